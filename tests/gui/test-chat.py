#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: the real window, driven by keyboard, mouse and clipboard."""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import GATE, Failure, Script, run, sse_reply, wait_until  # noqa: E402

PROMPT = "다음을 일본어로 번역하세요: 안녕하세요? 오늘 날씨가 참 좋군요!"
ANSWER = "こんにちは。今日は本当にいい天気ですね！☀️ Have a nice day."


def reply_text(s):
    texts = s.message_texts()
    return texts[-1] if len(texts) >= 2 else None


def check(condition, message):
    if not condition:
        raise Failure(message)


def composer_text(s):
    return s.text_of(s.find("Message", "text"))


def test_korean_prompt_streams_and_copies(s):
    # Three points of the reply wait until the test has seen the text
    # change on screen since the one before, so that a slow poll on a
    # loaded machine still sees it grow in stages.
    writes = sse_reply(ANSWER, pieces=len(ANSWER), delay=0.06)
    gates = [threading.Event() for _ in range(3)]
    for n, gate in enumerate(gates, 1):
        at = len(writes) * n // 4
        writes[at] = (writes[at][0], gate)
    s.server.scripts.append(Script(writes=writes))
    s.start_app()
    s.type_text(PROMPT)
    wait_until(lambda: composer_text(s) == PROMPT,
               what=lambda: f"the typed prompt in the composer (it holds {composer_text(s)!r})")
    s.key("Return")

    # The answer visibly grows: several distinct prefixes, each a prefix
    # of the final text, before it is complete.
    seen = set()
    opened = 0
    end = time.monotonic() + 20
    while time.monotonic() < end:
        text = reply_text(s)
        if text:
            check(ANSWER.startswith(text), f"reply {text!r} is not a prefix of the answer")
            if text not in seen and opened < len(gates):
                gates[opened].set()
                opened += 1
            seen.add(text)
            if text == ANSWER:
                break
        time.sleep(0.02)
    check(reply_text(s) == ANSWER, f"final reply {reply_text(s)!r}")
    check(len(seen) >= 4, f"saw only {len(seen)} stages of the reply: {seen}")

    texts = s.message_texts()
    check(texts[0] == PROMPT, f"user message {texts[0]!r}")
    check(composer_text(s) == "", "the composer was not cleared")

    request = s.server.requests[0]["body"]
    check(request["stream"] is True, "stream is not true")
    check(request["messages"] == [{"role": "user", "content": PROMPT}], request["messages"])
    check(request["model"] == "fake-model", request["model"])
    check("Authorization" not in s.server.requests[0]["headers"], "sent Authorization")

    # Copy on the reply (the second Copy button, in reading order),
    # clicked with the mouse, gives exactly the streamed text.
    buttons = wait_until(lambda: len(s.buttons("Copy message")) == 2 and
                         s.buttons("Copy message"), what="two Copy buttons")
    s.set_clipboard("nothing yet")
    s.click(buttons[1])
    wait_until(lambda: s.get_clipboard() == ANSWER,
               what=lambda: f"the reply on the clipboard (it holds {s.get_clipboard()!r})")

    # Ctrl+Shift+C copies the last reply too.
    s.set_clipboard("something else")
    s.key("ctrl+shift+c")
    wait_until(lambda: s.get_clipboard() == ANSWER, what="Ctrl+Shift+C to copy the reply")


def test_shift_enter_inserts_newline(s):
    s.server.scripts.append(Script(writes=sse_reply("ok", pieces=1)))
    s.start_app()
    s.type_ascii("first line")
    s.key("shift+Return")
    s.type_ascii("second line")
    wait_until(lambda: composer_text(s) == "first line\nsecond line",
               what="two lines in the composer")
    s.key("Return")
    wait_until(lambda: reply_text(s) == "ok", what="the reply")
    check(s.message_texts()[0] == "first line\nsecond line", s.message_texts())


def test_stop_during_stall(s):
    writes = sse_reply("partial answer that never ends", pieces=4, delay=0.01)[:3]
    s.server.scripts.append(Script(writes=writes, stall=True))
    s.start_app(extra_env={"CONFAB_IDLE_TIMEOUT": "60"})
    s.type_ascii("hello")
    s.key("Return")
    wait_until(lambda: reply_text(s), what="some partial text")
    partial = reply_text(s)
    s.button("Stop generating")
    s.key("Escape")
    wait_until(lambda: "Stopped" in s.labels(), what="the reply to say Stopped")
    check(reply_text(s) == partial, f"partial text changed: {reply_text(s)!r}")
    wait_until(lambda: not s.buttons("Stop generating"), what="Stop to be disabled")
    s.type_ascii("again")
    s.button("Send message")


def test_stop_button(s):
    writes = sse_reply("partial answer that never ends", pieces=4, delay=0.01)[:2]
    s.server.scripts.append(Script(writes=writes, stall=True))
    s.start_app(extra_env={"CONFAB_IDLE_TIMEOUT": "60"})
    s.type_ascii("hello")
    s.key("Return")
    wait_until(lambda: reply_text(s), what="some partial text")
    s.press("Stop generating")
    wait_until(lambda: "Stopped" in s.labels(), what="the reply to say Stopped")
    check(reply_text(s), "the partial text is gone")


def error_label(s):
    # Under the reply, in the conversation: not the other pages' texts.
    box = s.find(name="Conversation")
    if box is None:
        return None
    for text in [s.text_of(n) for n in s.find_all(lambda n: n.getRoleName() == "label",
                                                  root=box)]:
        if "HTTP" in text or "server" in text.lower() or "connect" in text.lower():
            if len(text) > 30:
                return text
    return None


def test_http_401_inline_then_retry(s):
    body = json.dumps({"error": {"message": "Incorrect API key provided.",
                                 "type": "invalid_request_error",
                                 "code": "invalid_api_key"}}).encode()
    s.server.scripts.append(Script(status=401, content_type="application/json",
                                   writes=[(body, 0)]))
    s.server.scripts.append(Script(writes=sse_reply("second time lucky", pieces=3)))
    s.start_app()
    s.type_ascii("hi")
    s.key("Return")
    text = wait_until(lambda: error_label(s), what="an inline error")
    check("OPENAI_API_KEY" in text, f"401 not explained: {text!r}")
    check("Incorrect API key provided." in text, f"server text missing: {text!r}")
    s.press("Retry")
    wait_until(lambda: reply_text(s) == "second time lucky", what="the retried reply")
    check(error_label(s) is None, "the error stayed after a successful retry")


def error_inline_then_retry(s, status, error, expected):
    """An HTTP error with an OpenAI-style JSON body reads as @expected,
    inline under the reply, and its Retry button asks again."""
    body = json.dumps({"error": error}).encode()
    s.server.scripts.append(Script(status=status, content_type="application/json",
                                   writes=[(body, 0)]))
    s.server.scripts.append(Script(writes=sse_reply("second time lucky", pieces=3)))
    s.start_app()
    s.type_ascii("hi")
    s.key("Return")
    text = wait_until(lambda: error_label(s), what="an inline error")
    check(text == expected, f"HTTP {status} reads as {text!r}")
    check(not reply_text(s), f"a failed reply has text: {reply_text(s)!r}")
    s.press("Retry")
    wait_until(lambda: reply_text(s) == "second time lucky", what="the retried reply")
    check(error_label(s) is None, "the error stayed after a successful retry")
    check(len(s.server.requests) == 2, f"{len(s.server.requests)} requests, not 2")


def test_http_404_model_inline_then_retry(s):
    error_inline_then_retry(
        s, 404,
        {"message": "The model `fake-model` does not exist or you do not have access to it.",
         "type": "invalid_request_error", "param": None, "code": "model_not_found"},
        "The server could not find the model or the endpoint (HTTP 404). Check the model "
        "name and the base URL. The server said: “The model `fake-model` does not exist or "
        "you do not have access to it.”")


def test_http_429_inline_then_retry(s):
    error_inline_then_retry(
        s, 429,
        {"message": "Rate limit reached for fake-model in organization org-test on requests "
                    "per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
         "type": "requests", "param": None, "code": "rate_limit_exceeded"},
        "The server is limiting requests or the quota is used up (HTTP 429). Wait a moment "
        "and try again. The server said: “Rate limit reached for fake-model in organization "
        "org-test on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again "
        "in 20s.”")


def test_500_html_and_partial_text_kept(s):
    s.server.scripts.append(Script(status=500, content_type="text/html",
                                   writes=[(b"<html><body><h1>Oops</h1></body></html>", 0)]))
    s.start_app()
    s.type_ascii("hi")
    s.key("Return")
    text = wait_until(lambda: error_label(s), what="an inline error")
    check("500" in text and "<html" not in text, f"500 reads badly: {text!r}")


def test_reset_mid_stream_keeps_partial_text(s):
    writes = sse_reply("the beginning of a long answer", pieces=5, delay=0.01)[:4]
    s.server.scripts.append(Script(writes=writes, reset=True))
    s.start_app()
    s.type_ascii("hi")
    s.key("Return")
    text = wait_until(lambda: error_label(s), what="an inline error")
    # The end of the sentence is the system's own description of the reset.
    check(text.startswith("The connection was lost before the reply was complete: ") and
          text.endswith("Connection reset by peer"), f"reset reads badly: {text!r}")
    check(reply_text(s) and "the beginning of a long answer".startswith(reply_text(s)),
          f"partial text lost: {reply_text(s)!r}")


def test_idle_timeout(s):
    writes = sse_reply("slow start", pieces=2, delay=0.01)[:2]
    s.server.scripts.append(Script(writes=writes, stall=True))
    s.start_app(extra_env={"CONFAB_IDLE_TIMEOUT": "1"})
    s.type_ascii("hi")
    s.key("Return")
    text = wait_until(lambda: error_label(s), what="a time-out error")
    check(text == "The server 127.0.0.1 sent nothing for 1 second.",
          f"time-out reads badly: {text!r}")
    check(reply_text(s), "partial text lost")


def test_connection_refused(s):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    s.start_app(extra_env={"OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1"})
    s.type_ascii("hi")
    s.key("Return")
    text = wait_until(lambda: error_label(s), what="a connection error")
    check("Could not reach" in text, f"refused reads badly: {text!r}")


def test_paste_korean(s):
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=12)))
    s.start_app()
    s.paste(PROMPT)
    wait_until(lambda: composer_text(s) == PROMPT, what="the pasted prompt in the composer")
    s.key("Return")
    wait_until(lambda: reply_text(s) == ANSWER, what="the reply")


def extents(s, node):
    box = node.queryComponent().getExtents(s.pyatspi.WINDOW_COORDS)
    return box.x, box.y, box.width, box.height


def test_view_follows_the_end_unless_scrolled_away(s):
    lines = "".join(f"line {i} of a long reply 長い返事の{i}行目\n" for i in range(120))
    writes = sse_reply(lines, pieces=120, delay=0.06)
    # The second half waits until the test has scrolled away: under a
    # sanitizer the whole reply could otherwise be in before it does.
    writes[61] = (writes[61][0], GATE)
    s.server.scripts.append(Script(writes=writes))
    s.start_app()
    s.type_ascii("write a lot")
    s.key("Return")
    pane = wait_until(lambda: s.find_all(lambda n: n.getRoleName() == "scroll pane"
                                         and s.find("Conversation", root=n)),
                      what="the conversation's scroll pane")[0]

    def reply_view():
        return [v for v in s.text_views() if v.name != "Message"][-1]

    # While it streams, the end of the reply stays in view.
    wait_until(lambda: (reply_text(s) or "").count("\n") > 30, what="a reply taller than the view")
    for _ in range(5):
        _, py, _, ph = extents(s, pane)
        _, ry, _, rh = extents(s, reply_view())
        check(ry + rh <= py + ph + 2 and ry + rh >= py + ph - 60,
              f"the end of the reply is out of view: reply ends at {ry + rh}, "
              f"view at {py + ph}")
        time.sleep(0.1)

    # Scrolled up by the user, the view stays where it is.
    x, y, w, h = extents(s, pane)
    wx, wy = (int(v) for v in subprocess_out(s, ["xdotool", "getwindowgeometry", "--shell",
                                                   s.window_id], ("X", "Y")))
    subprocess_run(s, ["xdotool", "mousemove", str(wx + x + w // 2), str(wy + y + h // 2)])
    for _ in range(5):
        subprocess_run(s, ["xdotool", "click", "4"])
    time.sleep(0.3)
    _, ry1, _, rh1 = extents(s, reply_view())
    s.server.gate.set()
    # It grows on (on a loaded machine, perhaps only after a while), and
    # the view stays where the user put it.
    wait_until(lambda: extents(s, reply_view())[3] > rh1, what="the reply to grow on")
    _, ry2, _, rh2 = extents(s, reply_view())
    check(ry2 == ry1, f"the view moved although the user scrolled away ({ry1} -> {ry2})")
    # The newline that ends the reply is not shown as an empty line.
    wait_until(lambda: reply_text(s) == lines[:-1], what="the whole reply")


def subprocess_run(s, args):
    import subprocess
    subprocess.run(args, env=s.env, check=True)


def subprocess_out(s, args, names):
    import subprocess
    out = subprocess.run(args, env=s.env, check=True, capture_output=True, text=True).stdout
    values = dict(line.split("=", 1) for line in out.split())
    return [values[n] for n in names]


def test_suggestion(s):
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=5)))
    s.start_app()
    s.press("Send the example prompt")
    wait_until(lambda: reply_text(s) == ANSWER, what="the reply to the suggestion")
    check(s.message_texts()[0] == PROMPT, s.message_texts())


def test_reasoning_folds_and_usage_shows(s):
    import json
    thought = "まず質問を理解する。次に日本語で答える。"
    writes = []

    def event(delta, finish=None, usage=None):
        chunk = {"id": "c1", "object": "chat.completion.chunk", "model": "fake-model",
                 "choices": [] if usage else [{"index": 0, "delta": delta,
                                               "finish_reason": finish}]}
        if usage:
            chunk["usage"] = usage
        return ("data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n").encode()

    writes.append((event({"role": "assistant", "content": None}), 0))
    # DeepSeek's field, then OpenRouter's: both are reasoning.
    for i, piece in enumerate([thought[:6], thought[6:12], thought[12:]]):
        field = "reasoning_content" if i < 2 else "reasoning"
        writes.append((event({field: piece}), 0.2))
    # The answer waits until the test has seen the model think: on a
    # loaded machine a fixed time may pass unseen.
    for i, piece in enumerate([ANSWER[:5], ANSWER[5:10], ANSWER[10:]]):
        writes.append((event({"content": piece}), GATE if i == 0 else 0.3))
    writes.append((event({}, finish="stop"), 0.05))
    writes.append((event(None, usage={"prompt_tokens": 31, "completion_tokens": 42,
                                      "total_tokens": 73}), 0))
    writes.append((b"data: [DONE]\n\n", 0))
    s.server.scripts.append(Script(writes=writes))
    s.start_app()
    s.type_text(PROMPT)
    s.key("Return")

    def thinking():
        return s.find(name="Thinking…", role="toggle button") or \
            s.find(name="Thinking…")
    wait_until(thinking, what="the Thinking section, open")
    wait_until(lambda: any(thought[:6] in s.text_of(n) for n in s.find_all(
        lambda n: n.name == "Thinking" and n.getRoleName() == "text")),
        what="the reasoning, shown while the model thinks")
    wait_until(lambda: any(thought in s.text_of(n) for n in s.find_all(
        lambda n: n.name == "Thinking" and n.getRoleName() == "text")),
        what="all of the reasoning")
    texts = s.message_texts()
    check(texts[0] == PROMPT and all(t == "" for t in texts[1:]),
          f"reasoning leaked into the reply: {texts!r}")
    s.server.gate.set()

    wait_until(lambda: s.message_texts() == [PROMPT, ANSWER], what="the answer")
    # Folded once the answer began: its text is no longer shown.
    wait_until(lambda: not any(n.getRoleName() == "text" and n.name == "Thinking" and
                               s.showing(n) for n in s.find_all(lambda n: n.name == "Thinking")),
               what="the Thinking section to fold")
    wait_until(lambda: any("31 tokens in, 42 out" in t and "first token after" in t and
                           "tokens/s" in t for t in s.labels()),
               what=lambda: f"the usage line (labels {s.labels()!r})")

    # Copy gives the answer only.
    s.set_clipboard("nothing yet")
    s.key("ctrl+shift+c")
    wait_until(lambda: s.get_clipboard() == ANSWER,
               what=lambda: f"the answer alone on the clipboard ({s.get_clipboard()!r})")


def test_cut_off_at_max_tokens(s):
    # The server stopped at the token limit: the reply says so under its
    # text, as a note, and offers to go on.
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=4, delay=0.01,
                                                    finish="length")))
    s.start_app()
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: s.message_texts() == [PROMPT, ANSWER], what="the reply")
    wait_until(lambda: "Cut off: max tokens" in s.labels(),
               what=lambda: f"the reason the reply ended (labels {s.labels()!r})")
    check("The reply reached the most tokens it may have." in s.labels(),
          f"no note under the reply (labels {s.labels()!r})")
    s.button("Continue")


TESTS = [
    ("reasoning-and-usage", test_reasoning_folds_and_usage_shows),
    ("cut-off-at-max-tokens", test_cut_off_at_max_tokens),
    ("korean-prompt-streams-and-copies", test_korean_prompt_streams_and_copies),
    ("shift-enter-inserts-newline", test_shift_enter_inserts_newline),
    ("escape-stops-stalled-stream", test_stop_during_stall),
    ("stop-button", test_stop_button),
    ("http-401-inline-then-retry", test_http_401_inline_then_retry),
    ("http-404-model-inline-then-retry", test_http_404_model_inline_then_retry),
    ("http-429-inline-then-retry", test_http_429_inline_then_retry),
    ("http-500-html", test_500_html_and_partial_text_kept),
    ("reset-mid-stream", test_reset_mid_stream_keeps_partial_text),
    ("idle-timeout", test_idle_timeout),
    ("connection-refused", test_connection_refused),
    ("paste-korean", test_paste_korean),
    ("view-follows-the-end", test_view_follows_the_end_unless_scrolled_away),
    ("suggestion", test_suggestion),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
