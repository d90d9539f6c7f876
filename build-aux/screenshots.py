#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Takes the screenshots in data/screenshots/ from the real window under
Xvfb, against the GUI tests' fake server on 127.0.0.1: the welcome page
of a first start and the Preferences it leads to, an empty chat, a
Korean prompt and its Japanese translation as it streams and once
complete, an error, the Translate view, in the light and dark styles,
and the chat at 360 pixels wide. The window has GNOME's one Close button; each picture is
the window alone.

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
SOURCE = ("다음 주 화요일 오후 세 시에 회의실에서 뵙겠습니다. "
          "자료는 미리 메일로 보내 드릴게요.")
TRANSLATION = ("来週の火曜日の午後三時に会議室でお会いしましょう。"
               "資料は事前にメールでお送りします。")
NOT_FOUND = json.dumps({"error": {
    "message": "The model `gpt-5-mini-preview` does not exist or you do not have access to it.",
    "type": "invalid_request_error", "code": "model_not_found"}}).encode()


def shoot(session, name, window=None):
    path = os.path.join(out, name)
    subprocess.run(["import", "-display", session.display, "-window",
                    window or session.window_id, path],
                   env=session.env, check=True)
    print(path)


def x_window_named(session, title):
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                           env=session.env, capture_output=True, text=True).stdout.split()
    return found[-1] if found else None


def gnome_title_buttons(session):
    """GNOME's decoration layout, Close alone: without a settings daemon
    GTK shows Minimize and Maximize too."""
    folder = os.path.join(session.env["XDG_CONFIG_HOME"], "gtk-4.0")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "settings.ini"), "w") as f:
        f.write("[Settings]\ngtk-decoration-layout=:close\n")


def translate(session, style):
    session.key("alt+2")
    g.wait_until(lambda: session.find(name="Text to translate", role="text"),
                 what="the Translate view")
    time.sleep(0.4)
    session.set_clipboard(SOURCE)
    session.key("ctrl+shift+v")
    g.wait_until(lambda: session.text_of(session.find(name="Translation", role="text"))
                 == TRANSLATION, what="the translation")
    time.sleep(0.4)
    shoot(session, f"translate-{style}.png")
    session.key("alt+1")


def narrow():
    session = g.Session()
    try:
        gnome_title_buttons(session)
        session.server.scripts.append(
            g.Script(writes=g.sse_reply(REPLY, pieces=20, delay=0.01, model="gpt-4o-mini")))
        session.start_app(extra_env={"OPENAI_DEFAULT_MODEL": "gpt-4o-mini"})
        subprocess.run(["xdotool", "windowsize", "--sync", session.window_id, "360", "720"],
                       env=session.env, check=True)
        session.type_text(PROMPT)
        session.key("Return")
        # The reply shows as Markdown: its last list item, without the
        # dash, ends it.
        g.wait_until(lambda: any(t.rstrip().endswith("いいお天気ですね！")
                                 for t in session.message_texts()),
                     what="the whole reply")
        time.sleep(0.5)
        shoot(session, "narrow-light.png")
    finally:
        session.close()


def all_labels(session):
    """The labels of every window of the app, Preferences included."""
    return [session.text_of(n) for n in session.find_all(lambda n: n.getRoleName() == "label",
                                                         root=session.window.parent)]


def first_run(style):
    """A first start, nothing configured: the welcome page, then the
    provider it offers, in Preferences, and the list of providers."""
    session = g.Session(dark=style == "dark")
    try:
        gnome_title_buttons(session)
        session.start_app(extra_env={"OPENAI_BASE_URL": "", "OPENAI_DEFAULT_MODEL": "",
                                     "OPENAI_API_KEY": "", "GSETTINGS_BACKEND": "keyfile"})
        g.wait_until(lambda: "Welcome to Confab" in session.labels(), what="the welcome page")
        time.sleep(0.6)
        shoot(session, f"welcome-{style}.png")

        session.click(g.wait_until(lambda: session.find(name="llama.cpp on This Computer"),
                                   what="the llama.cpp choice"))
        g.wait_until(lambda: "Connection" in all_labels(session), what="the provider's page")
        window = g.wait_until(lambda: x_window_named(session, "Preferences"),
                              what="the Preferences window")
        time.sleep(0.6)
        shoot(session, f"provider-{style}.png", window)

        session.press(None, g.wait_until(lambda: next(iter(session.find_all(
            lambda n: session.is_button(n) and n.name == "Back to the providers",
            root=session.window.parent)), None), what="the Back button"))
        g.wait_until(lambda: "Connection" not in all_labels(session), what="the providers")
        time.sleep(0.6)
        shoot(session, f"preferences-{style}.png", window)
    finally:
        session.close()


def scenario(style):
    if style == "narrow":
        return narrow()
    if style.startswith("first-run-"):
        return first_run(style[len("first-run-"):])
    dark = style == "dark"
    session = g.Session(dark=dark)
    try:
        gnome_title_buttons(session)
        session.server.scripts.append(
            g.Script(writes=g.sse_reply(REPLY, pieces=60, delay=0.03, model="gpt-4o-mini")))
        session.server.scripts.append(
            g.Script(status=404, content_type="application/json", writes=[(NOT_FOUND, 0)]))
        session.server.scripts.append(
            g.Script(writes=g.sse_reply(TRANSLATION, pieces=30, delay=0.02,
                                        model="gpt-4o-mini")))
        session.start_app(extra_env={"OPENAI_DEFAULT_MODEL": "gpt-4o-mini"})
        time.sleep(0.8)
        shoot(session, f"empty-chat-{style}.png")

        session.type_text(PROMPT)
        session.key("Return")
        g.wait_until(lambda: any("今日は" in t for t in session.message_texts()),
                     what="the reply to start")
        time.sleep(0.4)
        shoot(session, f"streaming-{style}.png")
        # The reply shows as Markdown: its last list item, without the
        # dash, ends it.
        g.wait_until(lambda: any(t.rstrip().endswith("いいお天気ですね！")
                                 for t in session.message_texts()),
                     what="the whole reply")
        time.sleep(0.3)
        shoot(session, f"reply-{style}.png")

        session.type_text("Thanks! Now ask gpt-5-mini-preview the same.")
        session.key("Return")
        g.wait_until(lambda: any("HTTP 404" in t for t in session.labels()),
                     what="the error")
        time.sleep(0.3)
        shoot(session, f"error-{style}.png")

        translate(session, style)
    finally:
        session.close()


if __name__ == "__main__":
    os.makedirs(out, exist_ok=True)
    style = os.environ.get("CONFAB_SCREENSHOT_STYLE")
    if style:
        scenario(style)
    else:
        # One process per session: pyatspi stays bound to the first bus.
        for style in ("first-run-light", "first-run-dark", "light", "dark", "narrow"):
            subprocess.run([sys.executable, *sys.argv], check=True,
                           env=dict(os.environ, CONFAB_SCREENSHOT_STYLE=style))
