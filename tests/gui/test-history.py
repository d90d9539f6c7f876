#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: conversations outlive the process, even a killed one."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

PROMPT = "오늘 날씨를 일본어로 말해 주세요"
ANSWER = "今日はとてもいい天気です。散歩日和ですね。"


def check(condition, message):
    if not condition:
        raise Failure(message)


def texts(s):
    return [t for t in s.message_texts()]


def test_quit_and_restart_keeps_the_conversation(s):
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=6, delay=0.02)))
    app = s.start_app()
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: texts(s)[-1:] == [ANSWER], what="the reply")
    s.key("ctrl+q")
    wait_until(lambda: app.poll() is not None, what="Confab to quit")
    check(app.returncode == 0, f"Confab exited with {app.returncode}")

    s.start_app()
    wait_until(lambda: texts(s) == [PROMPT, ANSWER],
               what=lambda: f"the conversation after a restart (shows {texts(s)!r})")

    # The text is not only in the buffers but shown: each view is as
    # high as a line at least (a row once stayed as high as an empty view).
    def heights():
        views = [v for v in s.text_views() if v.name != "Message"]
        return [v.queryComponent().getExtents(s.pyatspi.WINDOW_COORDS).height for v in views]
    wait_until(lambda: heights() and min(heights()) >= 15,
               what=lambda: f"the restored messages to be shown (view heights {heights()})")


def test_killed_mid_stream_shows_interrupted_and_retries(s):
    long_answer = "".join(f"{i}番目の文です。" for i in range(60))
    writes = sse_reply(long_answer, pieces=60, delay=0.1)
    # The reply stops halfway until the app is killed, however slowly the
    # test gets to that (the stream would end otherwise, under the leak
    # check).
    killed = threading.Event()
    writes[31] = (writes[31][0], killed)
    s.server.scripts.append(Script(writes=writes))
    app = s.start_app()
    s.type_text(PROMPT)
    s.key("Return")
    # Streams for about 6 s; the store saves at least once a second.
    wait_until(lambda: len(texts(s)) == 2 and len(texts(s)[1]) > 40, what="part of the reply")
    time.sleep(1.5)
    shown = texts(s)[1]
    os.kill(app.pid, signal.SIGKILL)
    app.wait(5)
    killed.set()

    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=4, delay=0.02)))
    s.start_app()
    wait_until(lambda: len(texts(s)) == 2, what="the conversation after the kill")
    saved = texts(s)[1]
    check(saved and long_answer.startswith(saved), f"saved text {saved!r} is not a prefix")
    check(len(saved) >= len(shown) // 2,
          f"too little was saved: {len(saved)} characters of {len(shown)} shown")
    wait_until(lambda: "Interrupted" in s.labels(),
               what=lambda: f"the reply marked Interrupted (labels {s.labels()!r})")

    s.press("Retry")
    wait_until(lambda: texts(s)[-1:] == [ANSWER], what="the retried reply")
    wait_until(lambda: "Interrupted" not in s.labels(), what="the mark to go")


def test_second_instance_raises_the_first(s):
    import subprocess
    first = s.start_app()
    env = dict(s.env, GDK_BACKEND="x11", GSETTINGS_BACKEND="memory", ADW_DISABLE_PORTAL="1",
               OPENAI_BASE_URL=s.server.base_url)
    second = subprocess.run([os.environ["CONFAB_BINARY"]], env=env, timeout=30,
                            capture_output=True, text=True)
    check(second.returncode == 0, f"the second confab exited with {second.returncode}: "
          f"{second.stderr[-500:]}")
    check(first.poll() is None, "the first confab is gone")
    windows = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Confab$"],
                             env=s.env, capture_output=True, text=True).stdout.split()
    check(len(windows) == 1, f"{len(windows)} Confab windows")


def add_old_messages(s, count, special=None):
    """Writes @count more messages into the first conversation behind
    Confab's back, as an old history would hold them; message @special
    (index, text) gets its own text."""
    import sqlite3
    path = os.path.join(s.env["XDG_DATA_HOME"], "confab", "history.db")
    db = sqlite3.connect(path)
    (conversation,) = db.execute("SELECT id FROM conversations").fetchone()
    now = int(time.time() * 1e6)
    rows = [(conversation, 2 + i, "user" if i % 2 == 0 else "assistant", f"メッセージ {i}", now,
             now) for i in range(count)]
    if special is not None:
        index, text = special
        rows[index] = rows[index][:3] + (text,) + rows[index][4:]
    db.executemany(
        "INSERT INTO messages (conversation_id, position, role, content, state, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, 'complete', ?, ?)", rows)
    db.commit()
    db.close()


def test_search_shows_the_message_far_up(s):
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=2, delay=0.01)))
    app = s.start_app()
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: texts(s) == [PROMPT, ANSWER], what="the reply")
    s.key("ctrl+q")
    wait_until(lambda: app.poll() is not None, what="Confab to quit")
    add_old_messages(s, 300, special=(100, "ここに目印の言葉があります"))

    s.start_app()
    wait_until(lambda: texts(s)[-1:] == ["メッセージ 299"], what="the long conversation")
    check("ここに目印の言葉があります" not in texts(s), "the old message has a row already")
    s.key("ctrl+f")
    s.type_text("目印の言葉")
    wait_until(lambda: "ここに目印の言葉があります" in s.labels(), what="the search result")
    s.key("Return")

    def found_view():
        return next(iter(v for v in s.text_views()
                         if s.text_of(v) == "ここに目印の言葉があります"), None)
    view = wait_until(found_view, what="the row of the message found")
    box = s.find(name="Conversation")
    pane = box.parent
    while pane is not None and pane.getRoleName() not in ("scroll pane", "viewport"):
        pane = pane.parent
    area = (pane or box).queryComponent().getExtents(s.pyatspi.WINDOW_COORDS)

    def in_view():
        e = view.queryComponent().getExtents(s.pyatspi.WINDOW_COORDS)
        return area.y <= e.y and e.y + e.height <= area.y + area.height
    wait_until(in_view, what="the message found to be in view")
    shot = os.environ.get("CONFAB_GUI_SHOT_DIR")
    if shot:
        s.screenshot(os.path.join(shot, "search-found.png"))


def test_long_conversation_makes_rows_as_you_scroll_up(s):
    import sqlite3
    import subprocess
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=2, delay=0.01)))
    app = s.start_app()
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: texts(s) == [PROMPT, ANSWER], what="the reply")
    s.key("ctrl+q")
    wait_until(lambda: app.poll() is not None, what="Confab to quit")

    add_old_messages(s, 300)
    s.start_app()
    wait_until(lambda: texts(s)[-1:] == ["メッセージ 299"], what="the long conversation")
    first_count = len(texts(s))
    check(first_count < 100, f"{first_count} rows made at once for 302 messages")

    # Scrolling up brings the earlier messages, down to the first.
    box = s.find(name="Conversation")
    extents = box.queryComponent().getExtents(s.pyatspi.WINDOW_COORDS)
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", s.window_id], env=s.env,
                         check=True, capture_output=True, text=True).stdout
    geometry = dict(line.split("=", 1) for line in out.split())
    x = int(geometry["X"]) + extents.x + extents.width // 2
    y = int(geometry["Y"]) + 200
    subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y)], env=s.env, check=True)

    def first_text():
        row = box.getChildAtIndex(0)
        views = s.find_all(lambda n: n.getRoleName() in ("text", "entry"), root=row)
        return s.text_of(views[0]) if views else None

    def scrolled_to_the_top():
        subprocess.run(["xdotool", "click", "--repeat", "10", "--delay", "10", "4"], env=s.env,
                       check=True)
        return first_text() == PROMPT
    wait_until(scrolled_to_the_top, timeout=60, interval=0.1, what="the first message")
    # The rows far below were let go: their number stays bounded.
    shown = texts(s)
    check(len(shown) <= 160, f"{len(shown)} rows kept after scrolling up")
    check(shown[:4] == [PROMPT, ANSWER, "メッセージ 0", "メッセージ 1"],
          f"rows out of order: {shown[:5]!r}")

    # Back down, the rows below are made again, to the end.
    def last_text():
        row = box.getChildAtIndex(box.childCount - 1)
        views = s.find_all(lambda n: n.getRoleName() in ("text", "entry"), root=row)
        return s.text_of(views[0]) if views else None

    def scrolled_to_the_end():
        subprocess.run(["xdotool", "click", "--repeat", "10", "--delay", "10", "5"], env=s.env,
                       check=True)
        return last_text() == "メッセージ 299"
    wait_until(scrolled_to_the_end, timeout=60, interval=0.1, what="the last message again")
    check(len(texts(s)) <= 160, f"{len(texts(s))} rows kept after scrolling down")


def test_unwritable_history_says_so_and_chat_still_works(s):
    # A data folder that is a file cannot be written, even by root (CI
    # runs as root, which file modes do not stop).
    blocked = os.path.join(s.tmp, "not-a-folder")
    with open(blocked, "w") as f:
        f.write("a file where the data folder should be")
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=3, delay=0.01)))
    s.start_app({"XDG_DATA_HOME": blocked})
    wait_until(lambda: any("could not be opened" in t for t in s.labels()),
               what=lambda: f"the toast about the history (labels {s.labels()!r})")
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: texts(s) == [PROMPT, ANSWER], what="the reply, kept in memory")


def test_damaged_history_is_kept_aside(s):
    data = os.path.join(s.env["XDG_DATA_HOME"], "confab")
    os.makedirs(data)
    with open(os.path.join(data, "history.db"), "wb") as f:
        f.write(b"this is not a database" * 100)
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=3, delay=0.01)))
    s.start_app()
    wait_until(lambda: any("damaged" in t for t in s.labels()), what="the toast")
    kept = [n for n in os.listdir(data) if n.startswith("history.db") and n != "history.db"
            and not n.endswith(("-wal", "-shm"))]
    check(kept, f"the damaged file was not kept: {os.listdir(data)!r}")
    with open(os.path.join(data, kept[0]), "rb") as f:
        check(f.read(22) == b"this is not a database", "the kept file is not the damaged one")
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: texts(s) == [PROMPT, ANSWER], what="the reply")


def stored_messages(s):
    """(content, state) of every stored message, in order, read as another
    program would while Confab runs."""
    import sqlite3
    path = os.path.join(s.env["XDG_DATA_HOME"], "confab", "history.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT content, state FROM messages"
                          " ORDER BY conversation_id, position").fetchall()
    finally:
        db.close()


def test_full_disk_mid_session_loses_nothing(s):
    # disk-full.so makes writes under the data folder fail with ENOSPC
    # while the flag file exists: the disk fills in the middle of a reply.
    module = os.environ.get("CONFAB_DISK_FULL_MODULE")
    check(module and os.path.exists(module), "CONFAB_DISK_FULL_MODULE names no module")
    flag = os.path.join(s.tmp, "disk-is-full")
    long_answer = "".join(f"{i}番目の文です。" for i in range(30))
    second = "ありがとう"
    writes = sse_reply(long_answer, pieces=30, delay=0.1)
    # The second half of the reply waits for the disk to be full.
    filled = threading.Event()
    writes[15] = (writes[15][0], filled)
    s.server.scripts.append(Script(writes=writes))
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=3, delay=0.02)))
    asan = os.environ.get("ASAN_OPTIONS")
    app = s.start_app({
        "LD_PRELOAD": module,
        "CONFAB_TEST_DISK_FULL": flag,
        "CONFAB_TEST_DISK_DIR": os.path.join(s.env["XDG_DATA_HOME"], "confab") + "/",
        # The module comes before the sanitizer's runtime, which is fine.
        "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0",
    })
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: len(texts(s)) == 2 and len(texts(s)[1]) > 10, what="part of the reply")
    open(flag, "w").close()
    filled.set()
    wait_until(lambda: any("The disk is full." in t for t in s.labels()),
               what=lambda: f"the toast about the full disk (labels {s.labels()!r})")
    wait_until(lambda: texts(s) == [PROMPT, long_answer], what="the whole reply, kept in memory")

    # Typed and answered while nothing can be saved.
    s.type_text(second)
    s.key("Return")
    wait_until(lambda: texts(s) == [PROMPT, long_answer, second, ANSWER],
               what=lambda: f"the second reply (shows {texts(s)!r})")
    everything = [(PROMPT, "complete"), (long_answer, "complete"), (second, "complete"),
                  (ANSWER, "complete")]
    on_disk = stored_messages(s)
    check(on_disk != everything, f"all was saved on a full disk: {on_disk!r}")

    # Space again: all of it is saved without the user doing anything.
    os.remove(flag)
    wait_until(lambda: any("saved again" in t for t in s.labels()), timeout=45,
               what=lambda: f"the toast saying it is saved (labels {s.labels()!r})")
    on_disk = stored_messages(s)
    check(on_disk == everything, f"saved after the disk was freed: {on_disk!r}")

    s.key("ctrl+q")
    wait_until(lambda: app.poll() is not None, what="Confab to quit")
    s.start_app()
    wait_until(lambda: texts(s) == [PROMPT, long_answer, second, ANSWER],
               what=lambda: f"the conversation after a restart (shows {texts(s)!r})")


TESTS = [
    ("quit-and-restart", test_quit_and_restart_keeps_the_conversation),
    ("killed-mid-stream", test_killed_mid_stream_shows_interrupted_and_retries),
    ("second-instance", test_second_instance_raises_the_first),
    ("long-conversation", test_long_conversation_makes_rows_as_you_scroll_up),
    ("unwritable-history", test_unwritable_history_says_so_and_chat_still_works),
    ("full-disk-mid-session", test_full_disk_mid_session_loses_nothing),
    ("damaged-history", test_damaged_history_is_kept_aside),
    ("search-shows-message", test_search_shows_the_message_far_up),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
