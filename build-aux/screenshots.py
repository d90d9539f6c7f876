#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Takes the screenshots in data/screenshots/ from the real window under
Xvfb, against the GUI tests' fake server on 127.0.0.1.

    build-aux/screenshots.py [BUILD_DIR [OUTPUT_DIR]]
"""

import json
import os
import subprocess
import sys
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "_build"))
out = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, "data", "screenshots"))
sys.path.insert(0, os.path.join(top, "tests", "gui"))
os.environ.setdefault("CONFAB_BINARY", os.path.join(build, "src", "confab"))
os.environ.setdefault("GSETTINGS_SCHEMA_DIR", os.path.join(build, "data"))

import confabgui as g  # noqa: E402

PROMPT = "다음을 일본어로 번역하세요: 안녕하세요? 오늘 날씨가 참 좋군요!"
REPLY = ("こんにちは。今日は本当にいい天気ですね！☀️\n\n"
         "「날씨가 참 좋군요」の「-군요」は気づきや感嘆を表すので、"
         "日本語では「〜ですね」が自然です。\n\n"
         "ほかの言い方:\n"
         "- 今日はとても良い天気ですね。\n"
         "- いいお天気ですね！\n")
NOT_FOUND = json.dumps({"error": {
    "message": "The model `gpt-5-mini-preview` does not exist or you do not have access to it.",
    "type": "invalid_request_error", "code": "model_not_found"}}).encode()


def shoot(session, name):
    path = os.path.join(out, name)
    subprocess.run(["import", "-display", session.display, "-window", session.window_id, path],
                   env=session.env, check=True)
    print(path)


def scenario(style):
    dark = style == "dark"
    session = g.Session(dark=dark)
    try:
        session.server.scripts.append(
            g.Script(writes=g.sse_reply(REPLY, pieces=60, delay=0.03, model="gpt-4o-mini")))
        session.server.scripts.append(
            g.Script(status=404, content_type="application/json", writes=[(NOT_FOUND, 0)]))
        session.start_app(extra_env={"OPENAI_DEFAULT_MODEL": "gpt-4o-mini"})
        time.sleep(0.8)
        shoot(session, f"welcome-{style}.png")

        session.type_text(PROMPT)
        session.key("Return")
        g.wait_until(lambda: any("今日は" in t for t in session.message_texts()),
                     what="the reply to start")
        time.sleep(0.4)
        shoot(session, f"streaming-{style}.png")
        g.wait_until(lambda: REPLY in session.message_texts(), what="the whole reply")
        time.sleep(0.3)
        shoot(session, f"reply-{style}.png")

        session.type_text("Thanks! Now ask gpt-5-mini-preview the same.")
        session.key("Return")
        g.wait_until(lambda: any("HTTP 404" in t for t in session.labels()),
                     what="the error")
        time.sleep(0.3)
        shoot(session, f"error-{style}.png")
    finally:
        session.close()


if __name__ == "__main__":
    os.makedirs(out, exist_ok=True)
    style = os.environ.get("CONFAB_SCREENSHOT_STYLE")
    if style:
        scenario(style)
    else:
        # One process per session: pyatspi stays bound to the first bus.
        for style in ("light", "dark"):
            subprocess.run([sys.executable, *sys.argv], check=True,
                           env=dict(os.environ, CONFAB_SCREENSHOT_STYLE=style))
