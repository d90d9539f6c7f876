#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: replies shown as Markdown, their Copy buttons, their links,
and hostile Markdown that must neither crash nor freeze the window."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

CODE = 'def greet(name):\n    return f"Hello, {name}!"'
REPLY = f"""# Greeting

Some **bold** and *italic* text with `inline code`.

```python
{CODE}
```

- first item
- second item

| Name | Value |
|------|-------|
| a    | 1     |

See [the docs](https://example.invalid/x) and [this one](javascript:alert(1)).

日本語と한국어も **太字** で。
"""


def check(condition, message):
    if not condition:
        raise Failure(message)


def send(s, prompt="Hello"):
    s.paste(prompt)
    wait_until(lambda: s.text_of(s.find("Message", "text")) == prompt,
               what="the prompt in the composer")
    s.key("Return")


def wait_reply_done(s, timeout=60):
    # Regenerate shows on the last reply once it is no longer streaming.
    wait_until(lambda: s.buttons("Regenerate reply"), timeout=timeout,
               what="the reply to finish")


def reply_views(s):
    """The texts of the reply: every text view after the user's message."""
    return s.message_texts()[1:]


def shots(s, name):
    folder = os.environ.get("CONFAB_MD_SHOTS")
    if folder:
        time.sleep(0.5)
        s.screenshot(os.path.join(folder, f"md-{name}.png"))


def click_text(s, view, needle):
    """Clicks the middle of the first character of @needle in @view."""
    text = s.text_of(view)
    offset = text.index(needle) + 1
    box = view.queryText().getCharacterExtents(offset, s.pyatspi.WINDOW_COORDS)
    import subprocess
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", s.window_id],
                         env=s.env, check=True, capture_output=True, text=True).stdout
    values = dict(line.split("=", 1) for line in out.split())
    x = int(values["X"]) + box[0] + max(box[2] // 2, 1)
    y = int(values["Y"]) + box[1] + max(box[3] // 2, 1)
    subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", "1"],
                   env=s.env, check=True)


def test_reply_rendered_and_copied(s):
    uri_log = os.path.join(s.tmp, "uris.log")
    s.server.scripts.append(Script(writes=sse_reply(REPLY, pieces=60, delay=0.02)))
    s.start_app(extra_env={"CONFAB_TEST_URI_LOG": uri_log})
    send(s)
    wait_reply_done(s)

    shown = "\n".join(reply_views(s))
    check("Greeting" in shown and "# Greeting" not in shown, f"heading not rendered: {shown!r}")
    check("**" not in shown and "```" not in shown, f"markup shown: {shown!r}")
    check("• first item" in shown, f"list not rendered: {shown!r}")
    check(CODE in shown, f"code not shown: {shown!r}")
    check("太字" in shown, f"CJK text not shown: {shown!r}")
    shots(s, "reply")

    # The code block's Copy copies its code, and only that.
    s.set_clipboard("nothing yet")
    s.press("Copy code")
    wait_until(lambda: s.get_clipboard() == CODE,
               what=lambda: f"the code on the clipboard (it holds {s.get_clipboard()!r})")

    # Copy copies the reply as the model wrote it.
    s.set_clipboard("nothing yet")
    buttons = wait_until(lambda: len(s.buttons("Copy message")) == 2 and
                         s.buttons("Copy message"), what="two Copy buttons")
    s.press("Copy message", node=buttons[1])
    wait_until(lambda: s.get_clipboard() == REPLY,
               what=lambda: f"the raw reply on the clipboard (it holds {s.get_clipboard()!r})")

    # Copy as Plain Text drops the markup.
    s.set_clipboard("nothing yet")
    s.press("Copy as plain text")
    plain = wait_until(lambda: s.get_clipboard() != "nothing yet" and s.get_clipboard(),
                       what="plain text on the clipboard")
    check("**" not in plain and "# " not in plain and "```" not in plain and "|" not in plain,
          f"markup in the plain text: {plain!r}")
    check("Greeting" in plain and CODE in plain and "bold" in plain, f"plain text {plain!r}")

    # A click on a web link opens it (here: logs it); a javascript: link
    # never opens.
    view = next(v for v in s.text_views() if "See the docs" in s.text_of(v))
    click_text(s, view, "this one")
    time.sleep(0.5)
    check(not os.path.exists(uri_log) or open(uri_log).read() == "",
          "a javascript: link was opened")
    click_text(s, view, "the docs")
    wait_until(lambda: os.path.exists(uri_log) and open(uri_log).read() != "",
               what="the web link to open")
    check(open(uri_log).read() == "https://example.invalid/x\n",
          f"opened {open(uri_log).read()!r}")

    # By keyboard: in the focused text, Tab selects each link in turn and
    # says which it is, Enter opens it, and Tab after the last link goes
    # on out of the text.
    def selected():
        text = view.queryText()
        if text.getNSelections() == 0:
            return ""
        start, end = text.getSelection(0)
        return text.getText(start, end)

    def opened():
        return open(uri_log).read().splitlines()

    click_text(s, view, "See")
    wait_until(lambda: view.getState().contains(s.pyatspi.STATE_FOCUSED),
               what="the focus in the reply's text")
    s.key("Tab")
    wait_until(lambda: selected() == "the docs",
               what=lambda: f"the first link selected (it is {selected()!r})")
    shots(s, "link-selected")
    check("the docs" in view.description and "https://example.invalid/x" in view.description,
          f"the link is not said: {view.description!r}")
    s.key("Return")
    wait_until(lambda: opened() == ["https://example.invalid/x"] * 2,
               what=lambda: f"the link opened by Enter (opened {opened()!r})")
    s.key("Tab")
    wait_until(lambda: selected() == "this one",
               what=lambda: f"the second link selected (it is {selected()!r})")
    check("Only web links open" in view.description, f"said: {view.description!r}")
    s.key("Return")
    wait_until(lambda: any("Only web links" in t for t in s.labels()),
               what="the toast saying the link does not open")
    s.key("shift+Tab")
    wait_until(lambda: selected() == "the docs",
               what=lambda: f"the first link again (it is {selected()!r})")
    s.key("Tab")
    s.key("Tab")
    wait_until(lambda: not view.getState().contains(s.pyatspi.STATE_FOCUSED),
               what="the focus to leave the reply's text")
    check(selected() == "", f"a link is still selected: {selected()!r}")
    check(opened() == ["https://example.invalid/x"] * 2, f"opened {opened()!r}")


def test_link_out_of_sight(s):
    # Tab selects a link far above what is in sight, then one far below
    # it, and scrolls each into sight; Enter opens the one selected.
    uri_log = os.path.join(s.tmp, "uris.log")
    paragraphs = [f"Paragraph {i} of a long reply." for i in range(100)]
    paragraphs[10] = "Near the top is [the first link](https://example.invalid/first)."
    paragraphs[90] = "Near the end is [the second link](https://example.invalid/second)."
    reply = "\n\n".join(paragraphs) + "\n"
    s.server.scripts.append(Script(writes=sse_reply(reply, pieces=20, delay=0.01)))
    s.start_app(extra_env={"CONFAB_TEST_URI_LOG": uri_log})
    send(s)
    wait_reply_done(s)
    view = next(v for v in s.text_views() if "Paragraph 0 " in s.text_of(v))
    check("the second link" in s.text_of(view), "the paragraphs are in more than one view")
    bottom = s.find("Message", "text").queryComponent().getExtents(s.pyatspi.WINDOW_COORDS).y

    def top_of(needle):
        text = s.text_of(view)
        return view.queryText().getCharacterExtents(text.index(needle),
                                                    s.pyatspi.WINDOW_COORDS)[1]

    def in_sight(needle):
        return 0 < top_of(needle) < bottom - 20

    # The chat followed the reply to its end.
    wait_until(lambda: in_sight("Paragraph 99 "), what="the end of the reply")
    check(not in_sight("the first link"), "the first link is in sight already")
    click_text(s, view, "Paragraph 99 ")
    wait_until(lambda: view.getState().contains(s.pyatspi.STATE_FOCUSED),
               what="the focus in the reply's text")
    # A click near the end of a text taller than the view leaves it there.
    check(in_sight("Paragraph 99 "), f"the click scrolled away (to {top_of('Paragraph 99 ')})")
    s.key("Tab")
    wait_until(lambda: in_sight("the first link"),
               what=lambda: f"the first link in sight (at {top_of('the first link')})")
    check(not in_sight("the second link"), "the second link is in sight too")
    s.key("Tab")
    wait_until(lambda: in_sight("the second link"),
               what=lambda: f"the second link in sight (at {top_of('the second link')}, "
                            f"the composer at {bottom})")
    shots(s, "link-scrolled")
    s.key("Return")
    wait_until(lambda: os.path.exists(uri_log) and
               open(uri_log).read() == "https://example.invalid/second\n",
               what="the link opened by Enter")

    # Shift+Tab from the text goes up to the reply's buttons, above what
    # is in sight, and the chat scrolls up to them.
    def focused_button():
        return next(iter(s.find_all(lambda n: s.is_button(n) and n.getState().contains(
            s.pyatspi.STATE_FOCUSED))), None)

    def button_top():
        return focused_button().queryComponent().getExtents(s.pyatspi.WINDOW_COORDS).y

    s.key("shift+Tab", "shift+Tab", "shift+Tab")
    wait_until(lambda: focused_button() is not None, what="the focus on a button of the reply")
    wait_until(lambda: 0 < button_top() < bottom,
               what=lambda: f"“{focused_button().name}” in sight (at {button_top()})")


# In the dark style, where the selected link must still show.
test_link_out_of_sight.session_options = {"dark": True}


def test_setting_turns_rendering_off(s):
    s.server.scripts.append(Script(writes=sse_reply(REPLY, pieces=10, delay=0.01)))
    s.start_app()
    send(s)
    wait_reply_done(s)
    check("**" not in "\n".join(reply_views(s)), "markup shown with formatting on")

    s.key("ctrl+comma")
    # The preferences are a window of their own: search the whole app.
    switch = wait_until(lambda: next(iter(s.find_all(
        lambda n: "Format Replies" in n.name and
        n.getRoleName() in ("check box", "switch", "toggle button"),
        root=s.window.parent)), None),
        what="the Format replies switch")
    s.press(None, node=switch)
    wait_until(lambda: "\n".join(reply_views(s)) == REPLY.rstrip("\n"),
               what=lambda: f"the reply as written (it shows {reply_views(s)!r})")


def test_hostile_markdown(s):
    items = "".join(f"- item {i}\n" for i in range(10000))
    hostile = ("<script>alert(1)</script>\n\n" + ">" * 3000 + " deep\n\n" + items +
               "\n[x](file:///etc/passwd)\n\n```\nnever closed\n" + "x = 1\n" * 2000)
    s.server.scripts.append(Script(writes=sse_reply(hostile, pieces=300, delay=0.005)))
    s.start_app()
    send(s)
    wait_reply_done(s, timeout=120)

    shown = "\n".join(reply_views(s))
    check("<script>alert(1)</script>" in shown, "raw HTML not shown as text")
    check("item 9999" in shown, "the last list item is missing")
    check("never closed" in shown, "the unclosed fence is missing")
    shots(s, "hostile")

    # The window still answers: Ctrl+Shift+C copies the last reply.
    s.set_clipboard("nothing yet")
    s.key("ctrl+shift+c")
    wait_until(lambda: s.get_clipboard() == hostile, timeout=30,
               what="Ctrl+Shift+C to copy the hostile reply")


if __name__ == "__main__":
    sys.exit(run([
        ("reply-rendered-and-copied", test_reply_rendered_and_copied),
        ("link-out-of-sight", test_link_out_of_sight),
        ("setting-turns-rendering-off", test_setting_turns_rendering_off),
        ("hostile-markdown", test_hostile_markdown),
    ]))
