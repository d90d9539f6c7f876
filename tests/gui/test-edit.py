#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: regenerate and switch replies, edit and resend, continue."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

PROMPT = "「ありがとう」を韓国語で"
FIRST = "고맙습니다."
SECOND = "감사합니다."


def check(condition, message):
    if not condition:
        raise Failure(message)


def texts(s):
    return s.message_texts()


def send(s, prompt, answer):
    s.server.scripts.append(Script(writes=sse_reply(answer, pieces=3, delay=0.01)))
    s.type_text(prompt)
    s.key("Return")
    wait_until(lambda: texts(s)[-1:] == [answer], what=f"the reply {answer!r}")


def test_regenerate_keeps_both_replies_and_switches(s):
    s.start_app()
    send(s, PROMPT, FIRST)
    s.server.scripts.append(Script(writes=sse_reply(SECOND, pieces=3, delay=0.01)))
    s.key("ctrl+r")
    wait_until(lambda: texts(s) == [PROMPT, SECOND],
               what=lambda: f"the new reply (shows {texts(s)!r})")
    wait_until(lambda: "2/2" in s.labels(), what="the reply counter 2/2")
    # The same question was asked again, with the same history.
    check(s.server.requests[1]["body"]["messages"] == s.server.requests[0]["body"]["messages"],
          "the regenerated request differs")

    s.press("Previous reply")
    wait_until(lambda: texts(s) == [PROMPT, FIRST], what="the first reply again")
    wait_until(lambda: "1/2" in s.labels(), what="the reply counter 1/2")

    # Kept across a restart, as chosen.
    s.key("ctrl+q")
    wait_until(lambda: s.app.poll() is not None, what="Confab to quit")
    s.start_app()
    wait_until(lambda: texts(s) == [PROMPT, FIRST], what="the chosen reply after a restart")
    wait_until(lambda: "1/2" in s.labels(), what="the counter after a restart")
    s.press("Next reply")
    wait_until(lambda: texts(s) == [PROMPT, SECOND], what="the second reply after a restart")


def test_edit_and_resend_replaces_the_later_messages(s):
    s.start_app()
    send(s, PROMPT, FIRST)
    send(s, "もう一つ", "하나 더")
    # Edit the first message: its text goes to the composer.
    edit = wait_until(lambda: next(iter(s.buttons("Edit and resend message")), None),
                      what="the edit button")
    s.press(None, edit)
    composer = s.find("Message", "text")
    wait_until(lambda: s.text_of(composer) == PROMPT, what="the message in the composer")
    s.key("ctrl+a")
    s.server.scripts.append(Script(writes=sse_reply(SECOND, pieces=3, delay=0.01)))
    s.type_text("「感謝します」を韓国語で")
    s.key("Return")
    # Asked first; Replace resends.
    replace = wait_until(lambda: next(iter(s.find_all(
        lambda n: s.is_button(n) and n.name.replace("_", "").split()[:1] == ["Replace"],
        root=s.window.parent)), None), what="the confirmation")
    s.press(None, replace)
    wait_until(lambda: texts(s) == ["「感謝します」を韓国語で", SECOND],
               what=lambda: f"the edited conversation (shows {texts(s)!r})")
    body = s.server.requests[-1]["body"]["messages"]
    check([m["content"] for m in body] == ["「感謝します」を韓国語で"],
          f"the resent history is {body!r}")


def test_stop_then_continue_appends_to_the_reply(s):
    s.start_app()
    partial = "첫 번째 문장입니다. "
    s.server.scripts.append(Script(writes=sse_reply(partial, pieces=2, delay=0.01)[:-2],
                                   stall=True))
    s.type_text(PROMPT)
    s.key("Return")
    # Shown as Markdown, a paragraph's last space is not shown.
    wait_until(lambda: [t.rstrip() for t in texts(s)[-1:]] == [partial.rstrip()],
               what="the partial reply")
    s.key("Escape")
    wait_until(lambda: "You stopped this reply." in s.labels(), what="the reply stopped")
    s.server.release.set()

    s.server.scripts.append(Script(writes=sse_reply("두 번째 문장입니다.", pieces=2, delay=0.01)))
    s.press("Continue")
    wait_until(lambda: texts(s) == [PROMPT, partial + "두 번째 문장입니다."],
               what=lambda: f"the continued reply (shows {texts(s)!r})")
    body = s.server.requests[-1]["body"]["messages"]
    check(body[-2] == {"role": "assistant", "content": partial},
          f"the partial reply was not sent back: {body!r}")
    check(body[-1]["role"] == "user" and "Continue" in body[-1]["content"],
          f"no instruction to go on: {body!r}")


def test_chat_settings_set_model_and_system_prompt(s):
    s.start_app()
    send(s, PROMPT, FIRST)
    s.key("F10")
    item = wait_until(lambda: next(iter(s.find_all(
        lambda n: n.getRoleName() == "menu item" and
        n.name.replace("_", "").startswith("Chat Settings"))), None),
        what="the Chat Settings menu item")
    s.press(None, item)
    def field(name):
        return next(iter(s.find_all(lambda n: n.name == name and
                                    n.getRoleName() in ("text", "entry"),
                                    root=s.window.parent)), None)
    wait_until(lambda: s.find(name="Model", root=s.window.parent), what="the settings dialog")
    model = wait_until(lambda: field("Model"), what="the settings dialog")
    check(s.text_of(model) == "fake-model", f"the model field shows {s.text_of(model)!r}")
    s.key("ctrl+a")
    s.type_text("other-model")
    s.key("alt+s")
    s.type_text("日本語で答えて")
    prompt = field("System prompt")
    wait_until(lambda: s.text_of(prompt) == "日本語で答えて", what="the prompt typed")
    save = next(n for n in s.find_all(lambda n: s.is_button(n) and
                                      n.name.replace("_", "").split()[:1] == ["Save"],
                                      root=s.window.parent))
    s.press(None, save)
    wait_until(lambda: "other-model" in s.labels(), what="the model in the header")

    send(s, "もう一度", SECOND)
    body = s.server.requests[-1]["body"]
    check(body["model"] == "other-model", f"asked {body['model']!r}")
    check(body["messages"][0] == {"role": "system", "content": "日本語で答えて"},
          f"the system prompt was not sent first: {body['messages'][:2]!r}")

    s.key("ctrl+q")
    wait_until(lambda: s.app.poll() is not None, what="Confab to quit")
    s.start_app()
    wait_until(lambda: texts(s)[-1:] == [SECOND], what="the chat after a restart")
    wait_until(lambda: "other-model" in s.labels(), what="the chat's own model after a restart")


TESTS = [
    ("regenerate-and-switch", test_regenerate_keeps_both_replies_and_switches),
    ("edit-and-resend", test_edit_and_resend_replaces_the_later_messages),
    ("stop-then-continue", test_stop_then_continue_appends_to_the_reply),
    ("chat-settings", test_chat_settings_set_model_and_system_prompt),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
