#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: the Translate view, with the keyboard and the clipboard."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import GATE, Failure, Script, run, sse_reply, wait_until  # noqa: E402

SOURCE = "안녕하세요? 오늘 날씨가 참 좋군요!"
TRANSLATION = "こんにちは。今日はとても良い天気ですね！"


def check(condition, message):
    if not condition:
        raise Failure(message)


def view_text(s, name):
    node = s.find(name=name, role="text")
    return s.text_of(node) if node is not None else None


def open_translate(s):
    # Alt+2 shows the view and puts the keyboard in its source.
    s.key("alt+2")

    def source_shown():
        node = s.find(name="Text to translate", role="text")
        if node is None:
            return False
        box = node.queryComponent().getExtents(s.pyatspi.WINDOW_COORDS)
        return box.width > 100 and box.height > 100
    wait_until(source_shown, what="the Translate view")
    time.sleep(0.3)


def test_clipboard_in_translation_out(s):
    # The second half of the reply waits until the test has seen the
    # first on screen, so a slow poll under load still sees it stream.
    writes = sse_reply(TRANSLATION, pieces=len(TRANSLATION), delay=0.05)
    half = len(writes) // 2
    writes[half] = (writes[half][0], GATE)
    s.server.scripts.append(Script(writes=writes))
    s.start_app()
    open_translate(s)
    s.set_clipboard(SOURCE)
    s.key("ctrl+shift+v")

    # The translation streams in: stages, each the start of it.
    seen = set()
    target = s.find(name="Translation", role="text")
    end = time.monotonic() + 20
    while time.monotonic() < end:
        text = s.text_of(target)
        if text:
            check(TRANSLATION.startswith(text), f"{text!r} is not the start of the translation")
            seen.add(text)
            if text == TRANSLATION:
                break
            s.server.gate.set()
        time.sleep(0.02)
    check(view_text(s, "Translation") == TRANSLATION, f"shows {view_text(s, 'Translation')!r}")
    check(len(seen) >= 2, f"saw {len(seen)} stages")
    check(view_text(s, "Text to translate") == SOURCE, "the source is not the clipboard's")

    body = s.server.requests[-1]["body"]
    check(body["stream"] is True, "not streamed")
    check(len(body["messages"]) == 2, f"{len(body['messages'])} messages")
    system, user = body["messages"]
    check(system["role"] == "system" and "from Korean into Japanese" in system["content"],
          f"the instruction: {system!r}")
    check("only the translation" in system["content"], "the model is not told to translate only")
    check(user == {"role": "user", "content": SOURCE}, f"the text sent: {user!r}")

    s.set_clipboard("nothing")
    s.key("ctrl+shift+c")
    wait_until(lambda: s.get_clipboard() == TRANSLATION,
               what=lambda: f"the translation copied ({s.get_clipboard()!r})")


def test_empty_source_sends_nothing(s):
    s.start_app()
    open_translate(s)
    s.key("ctrl+Return")
    wait_until(lambda: any("Type or paste" in t for t in s.labels()), what="the hint")
    time.sleep(0.5)
    check(not s.server.requests, f"sent {len(s.server.requests)} requests")


def test_new_translation_wins_over_a_late_one(s):
    # The first request stalls; a second replaces it; the first's reply,
    # released late, never shows.
    s.server.scripts.append(Script(writes=sse_reply("古い訳", pieces=2, delay=0.01)[:2],
                                   stall=True))
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=3, delay=0.02)))
    s.start_app()
    open_translate(s)
    s.set_clipboard("첫 번째")
    s.key("ctrl+shift+v")
    wait_until(lambda: len(s.server.requests) == 1, what="the first request")
    s.set_clipboard(SOURCE)
    s.key("ctrl+shift+v")
    wait_until(lambda: view_text(s, "Translation") == TRANSLATION,
               what=lambda: f"the second translation (shows {view_text(s, 'Translation')!r})")
    s.server.release.set()
    time.sleep(0.8)
    check(view_text(s, "Translation") == TRANSLATION,
          f"the late reply showed: {view_text(s, 'Translation')!r}")


def test_swap_and_clear(s):
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=3, delay=0.01)))
    s.start_app()
    open_translate(s)
    s.set_clipboard(SOURCE)
    s.key("ctrl+shift+v")
    wait_until(lambda: view_text(s, "Translation") == TRANSLATION, what="the translation")
    s.key("ctrl+s")
    wait_until(lambda: view_text(s, "Text to translate") == TRANSLATION and
               view_text(s, "Translation") == SOURCE, what="the texts swapped")
    s.server.scripts.append(Script(writes=sse_reply(SOURCE, pieces=3, delay=0.01)))
    s.key("ctrl+Return")
    wait_until(lambda: len(s.server.requests) == 2, what="the second request")
    check("from Japanese into Korean" in s.server.requests[-1]["body"]["messages"][0]["content"],
          "the languages were not swapped")
    wait_until(lambda: view_text(s, "Translation") == SOURCE, what="the translation back")
    s.key("ctrl+d")
    wait_until(lambda: view_text(s, "Text to translate") == "" and
               view_text(s, "Translation") == "", what="both cleared")


def wait_translation(s, text, what="the translation"):
    wait_until(lambda: view_text(s, "Translation") == text,
               what=lambda: f"{what} (shows {view_text(s, 'Translation')!r})")


def test_command_line_to_running_instance(s):
    # The app runs, showing the chat; `confab --translate` from a terminal
    # hands the text to it, and ends.
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=6, delay=0.03)))
    s.start_app()
    done = s.run_confab("--translate", "--from", "ko", "--to", "ja", SOURCE)
    check(done.returncode == 0, f"exit status {done.returncode}: {done.stderr}")
    wait_translation(s, TRANSLATION)
    check(view_text(s, "Text to translate") == SOURCE, "the source is not the text given")
    check(len(s.server.requests) == 1, f"{len(s.server.requests)} requests")
    system, user = s.server.requests[0]["body"]["messages"]
    check("from Korean into Japanese" in system["content"], f"the instruction: {system!r}")
    check(user["content"] == SOURCE, f"the text sent: {user!r}")

    # Other languages, by code; "auto" leaves the source to the model.
    s.server.scripts.append(Script(writes=sse_reply("Hello", pieces=2, delay=0.01)))
    done = s.run_confab("--translate", "--from", "auto", "--to", "en", "안녕")
    check(done.returncode == 0, f"exit status {done.returncode}: {done.stderr}")
    wait_translation(s, "Hello", what="the English translation")
    system = s.server.requests[-1]["body"]["messages"][0]["content"]
    check("into English" in system and "Korean" not in system, f"the instruction: {system!r}")
    check(s.app.poll() is None, "the first instance ended")


def test_command_line_starts_the_app(s):
    # With no instance running, `confab --translate` starts one, showing
    # the Translate view at work.
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=4, delay=0.02)))
    s.start_app(args=["--translate", "--from", "ko", "--to", "ja", SOURCE])
    wait_translation(s, TRANSLATION)
    check(view_text(s, "Text to translate") == SOURCE, "the source is not the text given")
    check(len(s.server.requests) == 1, f"{len(s.server.requests)} requests")


def test_command_line_clipboard(s):
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=4, delay=0.02)))
    s.start_app()
    s.set_clipboard(SOURCE)
    done = s.run_confab("--translate")
    check(done.returncode == 0, f"exit status {done.returncode}: {done.stderr}")
    wait_translation(s, TRANSLATION)
    check(view_text(s, "Text to translate") == SOURCE, "the source is not the clipboard's")
    check(s.server.requests[-1]["body"]["messages"][1]["content"] == SOURCE, "sent another text")


def test_command_line_bad_language(s):
    s.start_app()
    for args in (["--translate", "--from", "xx", "hi"], ["--translate", "--to", "auto", "hi"],
                 ["--to", "ja", "hi"]):
        done = s.run_confab(*args)
        check(done.returncode != 0, f"{args}: exit status 0")
        check(done.stderr.strip(), f"{args}: nothing said on stderr")
    check("xx" in s.run_confab("--translate", "--from", "xx").stderr, "the bad code not named")
    time.sleep(0.5)
    check(not s.server.requests, f"sent {len(s.server.requests)} requests")
    # The Translate view is made when first shown: none, or an empty one.
    check(view_text(s, "Text to translate") in (None, ""), "a text was put in the Translate view")


def test_dbus_action(s):
    # What a GNOME custom shortcut runs: the action on the running app.
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=4, delay=0.02)))
    s.start_app()
    s.set_clipboard(SOURCE)
    done = s.activate_action("translate-clipboard")
    check(done.returncode == 0, f"gdbus: {done.stderr}")
    wait_translation(s, TRANSLATION)
    check(view_text(s, "Text to translate") == SOURCE, "the source is not the clipboard's")

    # An empty clipboard sends nothing and says so.
    s.set_clipboard("")
    done = s.activate_action("translate-clipboard")
    check(done.returncode == 0, f"gdbus: {done.stderr}")
    wait_until(lambda: any("clipboard holds no text" in t for t in s.labels()),
               what="the empty clipboard said")
    check(len(s.server.requests) == 1, f"{len(s.server.requests)} requests")

    # app.translate takes the text itself.
    s.server.scripts.append(Script(writes=sse_reply("ありがとう", pieces=2, delay=0.01)))
    done = s.activate_action("translate", "'감사합니다'")
    check(done.returncode == 0, f"gdbus: {done.stderr}")
    wait_translation(s, "ありがとう", what="the second translation")
    check(s.server.requests[-1]["body"]["messages"][1]["content"] == "감사합니다",
          "sent another text")


def test_as_you_type_late_reply(s):
    # The first pause's request stalls after a word; typing on sends a
    # second one, whose reply shows; the first, released late, never does.
    s.server.scripts.append(Script(writes=sse_reply("古い訳", pieces=3, delay=0.01)[:2],
                                   stall=True))
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=4, delay=0.02)))
    s.start_app()
    open_translate(s)
    toggle = wait_until(lambda: s.find(name="Translate as you type", role="check box"),
                        what="the as-you-type switch")
    s.click(toggle)
    wait_until(lambda: toggle.getState().contains(s.pyatspi.STATE_CHECKED), what="it on")
    s.click(s.find(name="Text to translate", role="text"))
    s.type_ascii("annyeong")
    wait_until(lambda: len(s.server.requests) == 1, what="the request of the first pause")
    check(s.server.requests[0]["body"]["messages"][1]["content"] == "annyeong",
          f"sent {s.server.requests[0]['body']['messages'][1]!r}")
    wait_translation(s, "古", what="the first reply's start")
    s.type_ascii(" haseyo")
    wait_translation(s, TRANSLATION, what="the second translation")
    check(s.server.requests[1]["body"]["messages"][1]["content"] == "annyeong haseyo",
          f"sent {s.server.requests[1]['body']['messages'][1]!r}")
    s.server.release.set()
    time.sleep(0.8)
    check(view_text(s, "Translation") == TRANSLATION,
          f"the late reply showed: {view_text(s, 'Translation')!r}")
    # One request a pause, not one a key.
    check(len(s.server.requests) == 2, f"{len(s.server.requests)} requests")

    # A letter typed and erased changes nothing: nothing is asked again.
    s.type_ascii("x")
    s.key("BackSpace")
    time.sleep(1.5)
    check(len(s.server.requests) == 2, f"{len(s.server.requests)} requests after x, BackSpace")

    # The typing's translations replace each other among the recent ones.
    s.server.scripts.append(Script(writes=sse_reply("こんにちは、皆さん", pieces=2,
                                                    delay=0.01)))
    s.type_ascii(" yeoreobun")
    wait_translation(s, "こんにちは、皆さん", what="the third translation")
    open_recent(s)
    rows = wait_until(lambda: recent_rows(s), what="the recent translations")
    check([r.name for r in rows] == ["annyeong haseyo yeoreobun → こんにちは、皆さん"],
          f"the recent ones: {[r.name for r in rows]!r}")


def test_long_text_in_parts(s):
    # About 100 KB in paragraphs goes as several requests, cut between
    # paragraphs, with the part under way said; the window answers all
    # along (the accessibility calls below would time out otherwise).
    paragraph = "오늘은 날씨가 참 좋아서 공원에 산책을 나갔습니다. " * 20
    paragraphs = [f"{i}. {paragraph.strip()}" for i in range(75)]
    source = "\n\n".join(paragraphs)
    check(len(source.encode()) > 100_000, f"only {len(source.encode())} bytes")
    # The second part ends only once its progress has been seen: a
    # slower app (under the leak check) or a slower look at it cannot
    # miss a status that lasts a tenth of a second.
    second_seen = threading.Event()
    for i in range(40):
        writes = sse_reply(f"第{i}部。", pieces=2, delay=0.05)
        if i == 1:
            writes[-1] = (writes[-1][0], second_seen)
        s.server.scripts.append(Script(writes=writes))
    s.start_app()
    open_translate(s)
    s.set_clipboard(source)
    s.key("ctrl+shift+v")
    statuses = set()

    def sent():
        return [r["body"]["messages"][1]["content"] for r in s.server.requests]

    def done():
        for text in s.labels():
            if text.startswith("Translating part"):
                statuses.add(text)
                if text.startswith("Translating part 2 of"):
                    second_seen.set()
        n = len(s.server.requests)
        return ("\n\n".join(p.strip("\n") for p in sent()) == source.strip("\n") and
                f"第{n - 1}部。" in (view_text(s, "Translation") or ""))
    wait_until(done, timeout=60, interval=0.05, what="every part translated")
    n = len(s.server.requests)
    check(n >= 2, f"{n} requests")
    check(any(t.endswith(f" of {n}…") for t in statuses), f"no progress said: {statuses!r}")
    for text in sent():
        check(text.strip("\n").split("\n\n")[0] in paragraphs, "a part starts inside a paragraph")
    target = view_text(s, "Translation")
    check(all(f"第{i}部。" in target for i in range(n)), f"the translation: {target[:200]!r}")


def recent_rows(s):
    # The popover is not under the window in the accessible tree.
    return s.find_all(lambda n: n.getRoleName() == "list item" and " → " in (n.name or ""),
                      root=s.window.parent)


def open_recent(s):
    s.click(wait_until(lambda: next(iter(s.find_all(
        lambda n: n.name == "Recent translations" and s.is_button(n))), None),
        what="the Recent button"))


def test_recent_after_restart(s):
    s.server.scripts.append(Script(writes=sse_reply(TRANSLATION, pieces=3, delay=0.01)))
    s.start_app()
    open_translate(s)
    s.set_clipboard(SOURCE)
    s.key("ctrl+shift+v")
    wait_translation(s, TRANSLATION)
    # Quitting closes the history, which finishes its writes first.
    s.key("ctrl+q")
    wait_until(lambda: s.app.poll() is not None, what="the app to quit")

    s.start_app()
    open_translate(s)
    # From the keyboard, as the shortcuts window says.
    s.key("ctrl+h")
    rows = wait_until(lambda: recent_rows(s), what="the recent translations")
    check(len(rows) == 1, f"{len(rows)} rows")
    check(rows[0].name == f"{SOURCE} → {TRANSLATION}", f"the row says {rows[0].name!r}")
    s.screenshot(os.environ.get("CONFAB_TRANSLATE_SHOT", "/dev/null")) \
        if os.environ.get("CONFAB_TRANSLATE_SHOT") else None
    # The keyboard reaches it: the newest row has the focus; Enter.
    wait_until(lambda: rows[0].getState().contains(s.pyatspi.STATE_FOCUSED),
               what="the focus on the newest row")
    s.key("Return")
    wait_until(lambda: view_text(s, "Text to translate") == SOURCE and
               view_text(s, "Translation") == TRANSLATION, what="the translation restored")
    check(len(s.server.requests) == 1, "the restored translation was asked again")

    open_recent(s)
    s.press(None, wait_until(lambda: next(iter(s.find_all(
        lambda n: s.is_button(n) and n.name == "Clear History" and s.sensitive(n),
        root=s.window.parent)), None), what="Clear History"))
    wait_until(lambda: not recent_rows(s) and s.find_all(
        lambda n: n.getRoleName() == "label" and n.name == "No recent translations",
        root=s.window.parent),
               what="the history cleared")


TESTS = [
    ("clipboard-in-translation-out", test_clipboard_in_translation_out),
    ("empty-source-sends-nothing", test_empty_source_sends_nothing),
    ("new-translation-wins", test_new_translation_wins_over_a_late_one),
    ("swap-and-clear", test_swap_and_clear),
    ("command-line-to-running-instance", test_command_line_to_running_instance),
    ("command-line-starts-the-app", test_command_line_starts_the_app),
    ("command-line-clipboard", test_command_line_clipboard),
    ("command-line-bad-language", test_command_line_bad_language),
    ("dbus-action", test_dbus_action),
    ("as-you-type-late-reply", test_as_you_type_late_reply),
    ("recent-after-restart", test_recent_after_restart),
    ("long-text-in-parts", test_long_text_in_parts),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
