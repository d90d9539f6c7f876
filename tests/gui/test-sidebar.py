#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: the sidebar lists the chats, opens, renames, deletes and
searches them."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

CHATS = [
    ("안녕하세요? 오늘 날씨가 참 좋군요!", "こんにちは。今日は散歩日和ですね。"),
    ("Name three rivers", "The Han, the Nakdong and the Geum."),
]


def check(condition, message):
    if not condition:
        raise Failure(message)


def chat_titles(s):
    """The titles in the sidebar's list, top to bottom."""
    lists = s.find_all(lambda n: n.name == "Chats" and n.getRoleName() in ("list", "list box",
                                                                             "tree table",
                                                                             "table"))
    if not lists:
        return []
    return [s.text_of(n) for n in s.find_all(lambda n: n.getRoleName() == "label",
                                             root=lists[0])]


def search_focused(s):
    entries = s.find_all(lambda n: n.name == "Search all chats" and
                         n.getRoleName() in ("text", "entry"))
    return any(e.getState().contains(s.pyatspi.STATE_FOCUSED) for e in entries)


def make_chats(s, chats=CHATS):
    for _, answer in chats:
        s.server.scripts.append(Script(writes=sse_reply(answer, pieces=4, delay=0.01)))
    s.start_app()
    for i, (prompt, answer) in enumerate(chats):
        if i > 0:
            s.key("ctrl+n")
            wait_until(lambda: s.message_texts() == [], what="a new, empty chat")
        s.type_text(prompt)
        s.key("Return")
        wait_until(lambda: s.message_texts() == [prompt, answer],
                   what=lambda: f"the reply “{answer}” (shows {s.message_texts()!r})")
    titles = [prompt for prompt, _ in reversed(chats)]
    wait_until(lambda: chat_titles(s) == titles,
               what=lambda: f"the list of chats {titles!r} (shows {chat_titles(s)!r})")


def test_chats_are_listed_newest_first_and_open_on_click(s):
    make_chats(s)
    # The older chat, opened with the mouse.
    s.click(s.label(CHATS[0][0]))
    wait_until(lambda: s.message_texts() == list(CHATS[0]),
               what=lambda: f"the first chat (shows {s.message_texts()!r})")
    # Opening it did not move it: only a new message does.
    check(chat_titles(s) == [CHATS[1][0], CHATS[0][0]], f"the list changed: {chat_titles(s)!r}")

    # A new message in it brings it to the top.
    s.server.scripts.append(Script(writes=sse_reply("はい。", pieces=2, delay=0.01)))
    s.type_text("もう一度")
    s.key("Return")
    wait_until(lambda: chat_titles(s) == [CHATS[0][0], CHATS[1][0]],
               what=lambda: f"the chat written in to move up (shows {chat_titles(s)!r})")


def test_rename_then_delete_and_undo(s):
    make_chats(s)
    # Rename the chat shown (the newest) from the main menu's action.
    s.key("ctrl+n")
    s.click(s.label(CHATS[1][0]))
    wait_until(lambda: s.message_texts() == list(CHATS[1]), what="the second chat")
    s.key("F2")
    # The dialog is a window of its own: look from the application down.
    entry = wait_until(lambda: s.find(name="Title", root=s.window.parent),
                       what="the rename dialog")
    s.key("ctrl+a")
    s.type_text("川の名前")
    s.key("Return")
    wait_until(lambda: chat_titles(s) == ["川の名前", CHATS[0][0]],
               what=lambda: f"the new title (shows {chat_titles(s)!r})")
    check(entry is not None, "no entry")

    # Delete it from its row's menu, opened from the keyboard on the row;
    # the chat shown becomes a new one.
    # Ctrl+F then Escape leaves the keyboard on the list.
    s.key("ctrl+f")
    wait_until(lambda: search_focused(s), what="the search entry to take the keyboard")
    s.key("Escape")
    wait_until(lambda: not search_focused(s), what="Escape to leave the search")
    s.key("shift+F10")
    item = wait_until(lambda: next(iter(s.find_all(
        lambda n: n.getRoleName() in ("menu item", "push button", "button") and
        n.name.replace("_", "") == "Delete" and s.sensitive(n))), None),
        what="the Delete menu item")
    s.press(None, item)
    wait_until(lambda: chat_titles(s) == [CHATS[0][0]],
               what=lambda: f"the chat to go (shows {chat_titles(s)!r})")
    check(s.message_texts() == [], f"the deleted chat is still shown: {s.message_texts()!r}")
    if os.environ.get("CONFAB_GUI_SHOT_DIR"):
        s.screenshot(os.path.join(os.environ["CONFAB_GUI_SHOT_DIR"], "deleted.png"))

    # Undo brings it back, with its messages.
    # GTK 4.8 names the toast's button "Undo Undo" (its label twice).
    undo = wait_until(lambda: next(iter(s.find_all(
        lambda n: s.is_button(n) and set(n.name.split()) == {"Undo"})), None),
        what="the Undo button of the toast")
    s.press(None, undo)
    wait_until(lambda: chat_titles(s) == ["川の名前", CHATS[0][0]],
               what=lambda: f"the chat to come back (shows {chat_titles(s)!r})")
    s.click(s.label("川の名前"))
    wait_until(lambda: s.message_texts() == list(CHATS[1]), what="the restored messages")


def test_search_finds_a_japanese_word_from_an_old_reply(s):
    make_chats(s)
    s.key("ctrl+f")
    wait_until(lambda: s.find(name="Search all chats", role="text") or
               s.find(name="Search all chats", role="entry"), what="the search entry")
    # "散歩" is two characters: too short for a trigram, found all the same.
    s.type_text("散歩")
    snippet = "こんにちは。今日は散歩日和ですね。"
    wait_until(lambda: snippet in [s.text_of(n) for n in s.find_all(
        lambda n: n.getRoleName() == "label")], what="the search result")
    s.key("Return")
    wait_until(lambda: s.message_texts() == list(CHATS[0]),
               what=lambda: f"the chat with the match (shows {s.message_texts()!r})")

    # A longer word goes through the full-text index.
    s.key("ctrl+f")
    s.key("ctrl+a")
    s.type_text("Nakdong")
    wait_until(lambda: "The Han, the Nakdong and the Geum." in [
        s.text_of(n) for n in s.find_all(lambda n: n.getRoleName() == "label")],
        what="the English match")
    s.key("ctrl+a")
    s.type_text("존재하지않는말")
    s.label("No Results")


def test_narrow_window_folds_the_sidebar(s):
    make_chats(s, CHATS[:1])
    toggle = s.find(name="Show chats")

    def shown():
        return toggle.getState().contains(s.pyatspi.STATE_CHECKED) or \
            toggle.getState().contains(s.pyatspi.STATE_PRESSED)
    check(shown(), "the sidebar is hidden in a wide window")
    subprocess.run(["xdotool", "windowsize", "--sync", s.window_id, "400", "600"], env=s.env,
                   check=True)
    wait_until(lambda: not shown(), what="the sidebar to fold away")
    shot = os.environ.get("CONFAB_GUI_SHOT_DIR")
    s.key("F9")
    wait_until(shown, what="F9 to show the sidebar")
    if shot:
        time.sleep(0.5)
        s.screenshot(os.path.join(shot, "narrow-sidebar.png"))
    # Choosing a chat hides it again.
    s.key("ctrl+n")
    s.key("F9")
    wait_until(shown, what="F9 to show the sidebar")
    s.click(s.label(CHATS[0][0]))
    wait_until(lambda: s.message_texts() == list(CHATS[0]), what="the chat")
    wait_until(lambda: not shown(), what="the sidebar to give way")


def save_or_open_file(s, path):
    """Types @path in the file chooser that has the keyboard, as a person
    would, and accepts."""
    time.sleep(0.5)
    s.key("ctrl+a")
    s.type_text(path)
    time.sleep(0.3)
    s.key("Return")


def test_export_then_import(s):
    import json
    make_chats(s, CHATS[:1])
    out = os.path.join(s.tmp, "exported.json")
    s.key("ctrl+shift+e")
    save_or_open_file(s, out)
    wait_until(lambda: os.path.exists(out), what="the exported file")
    wait_until(lambda: os.path.getsize(out) > 0, what="the file to be written")
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    check([(m["role"], m["content"]) for m in data["messages"]] ==
          [("user", CHATS[0][0]), ("assistant", CHATS[0][1])], f"exported {data!r}")

    markdown = os.path.join(s.tmp, "exported.md")
    s.key("ctrl+e")
    save_or_open_file(s, markdown)
    wait_until(lambda: os.path.exists(markdown) and os.path.getsize(markdown) > 0,
               what="the Markdown file")
    with open(markdown, encoding="utf-8") as f:
        text = f.read()
    check(CHATS[0][1] in text and "## Assistant" in text, f"exported Markdown {text!r}")

    # A file another tool wrote, in the same format, comes in as a new chat.
    other = os.path.join(s.tmp, "other.json")
    with open(other, "w", encoding="utf-8") as f:
        json.dump({"messages": [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "東京の人口は?"},
                                {"role": "assistant", "content": "約1400万人です。"}]},
                  f, ensure_ascii=False)
    s.key("ctrl+o")
    save_or_open_file(s, other)
    wait_until(lambda: s.message_texts() == ["東京の人口は?", "約1400万人です。"],
               what=lambda: f"the imported chat (shows {s.message_texts()!r})")
    wait_until(lambda: "東京の人口は?" in chat_titles(s),
               what=lambda: f"it in the list ({chat_titles(s)!r})")

    # A broken file says why and adds nothing.
    broken = os.path.join(s.tmp, "broken.json")
    with open(broken, "w", encoding="utf-8") as f:
        f.write('{"messages": [{"role": "user", "content": "cut')
    before = chat_titles(s)
    s.key("ctrl+o")
    save_or_open_file(s, broken)
    wait_until(lambda: any("could not be imported" in t for t in s.labels()),
               what="the error toast")
    check(chat_titles(s) == before, f"the list changed: {chat_titles(s)!r}")


TESTS = [
    ("chats-listed-and-opened", test_chats_are_listed_newest_first_and_open_on_click),
    ("rename-delete-undo", test_rename_then_delete_and_undo),
    ("search-japanese", test_search_finds_a_japanese_word_from_an_old_reply),
    ("narrow-window", test_narrow_window_folds_the_sidebar),
    ("export-import", test_export_then_import),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
