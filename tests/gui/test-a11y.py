#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: the window with the keyboard alone, as a screen reader hears it.

Tab walks every control the focus reaches, in the main window and in
Preferences, until the focus comes round again; each must have a name a
screen reader can say: not empty, not a type name ("GtkImage"), not a
mnemonic said twice ("_Test Test", which GTK 4.8 makes). A whole chat is
held with the keyboard alone: type, Enter, hear that the reply is
complete, reach the reply's Copy button, press it, and the shortcuts
Ctrl+N, Ctrl+comma, Ctrl+?, Ctrl+W and Ctrl+Q do what they say.
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

ANSWER = "Hello! This reply was read without a mouse."
# Enough steps for every control of a chat with two messages, twice.
MAX_STEPS = 80


def check(condition, message):
    if not condition:
        raise Failure(message)


def pump():
    """Lets pyatspi's event listeners run."""
    from gi.repository import GLib
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


def bad_name(name):
    """Why @name is no name a screen reader should say, or None."""
    if not name or not name.strip():
        return "no name"
    if re.fullmatch(r"(Gtk|Adw|Confab)[A-Z][A-Za-z]+", name):
        return "a type name"
    if re.search(r"(^|\s)_\w", name):
        return "a mnemonic underscore"
    return None


def app_windows(s):
    app = s.window.parent
    return [w for w in (app.getChildAtIndex(i) for i in range(app.childCount)) if w is not None]


def focused(s):
    """The node with the keyboard focus, in any window of the app, or None
    (GTK 4.8 does not mark the text inside libadwaita's entry rows)."""
    for window in app_windows(s):
        nodes = s.find_all(lambda n: n.getState().contains(s.pyatspi.STATE_FOCUSED), root=window)
        if nodes:
            return nodes[-1]
    return None


def describe(node):
    return f"{node.getRoleName()} “{node.name}”"


def key_of(node):
    extents = node.queryComponent().getExtents(1)
    return (node.getRoleName(), node.name, extents.x, extents.y, extents.width, extents.height)


def tab_walk(s, where, first_key="Tab"):
    """Presses Tab until the focus is back where it was after the first
    press (or where it is, without @first_key). Returns the (role, name)
    of each control it reached and the number of steps where AT-SPI
    marked no focus; fails on a control without a proper name."""
    if first_key:
        s.key(first_key)
    start = wait_until(lambda: focused(s), what=f"the focus in {where}")
    start_key = key_of(start)
    seen = [start]
    unmarked = 0
    for _ in range(MAX_STEPS):
        before = key_of(seen[-1]) if seen[-1] is not None else None
        s.key("Tab")
        # The focus moves, or lands where AT-SPI shows no focus.
        try:
            node = wait_until(lambda: (lambda n: n if n is not None and key_of(n) != before
                                       else None)(focused(s)), timeout=1.5,
                              what="the focus to move")
        except Failure:
            node = None
            unmarked += 1
        if node is not None and key_of(node) == start_key:
            break
        seen.append(node)
    else:
        raise Failure(f"the focus never came back to {describe(start)} in {where} after "
                      f"{MAX_STEPS} presses of Tab: {[describe(n) for n in seen if n]}")

    reached = [n for n in seen if n is not None]
    problems = [f"{describe(n)}: {bad_name(n.name)}" for n in reached if bad_name(n.name)]
    check(not problems, f"controls in {where} without a proper name:\n" + "\n".join(problems))
    print(f"# {where}: {len(reached)} controls by Tab, {unmarked} steps where AT-SPI marks "
          f"no focus", flush=True)
    return [(n.getRoleName(), n.name) for n in reached], unmarked


def check_entry_rows(s, root, where, unmarked):
    """The steps of a Tab walk where GTK 4.8 marked no focus are libadwaita's
    entry rows (the text inside them has no node of its own): there must
    be no more of them than entry rows, and each row needs a proper name."""
    state = s.pyatspi
    rows = s.find_all(lambda n: n.getRoleName() == "text" and
                      n.getState().contains(state.STATE_EDITABLE) and
                      n.getState().contains(state.STATE_FOCUSABLE), root=root)
    check(unmarked <= len(rows),
          f"{unmarked} steps of Tab in {where} reach no control AT-SPI shows, "
          f"and there are only {len(rows)} entry rows")
    problems = [f"{describe(n)}: {bad_name(n.name)}" for n in rows if bad_name(n.name)]
    check(not problems, f"entry rows in {where} without a proper name:\n" + "\n".join(problems))


def composer(s):
    return wait_until(lambda: s.find("Message", "text"), what="the composer")


def send_by_keyboard(s, text):
    box = composer(s)
    s.type_ascii(text)
    wait_until(lambda: s.text_of(box) == text,
               what=lambda: f"the prompt in the composer (it holds {s.text_of(box)!r})")
    s.key("Return")


def test_tab_main_window(s):
    # First empty: no chats in the list, the example prompt.
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=4, delay=0.02)))
    s.start_app()
    reached, unmarked = tab_walk(s, "the empty main window")
    check(unmarked == 0, f"{unmarked} steps of Tab in the empty main window reach no control")
    check("Send the example prompt" in {name for _, name in reached},
          f"Tab never reaches the example prompt; it reaches {reached}")

    # Then with a question and its reply.
    s.key("ctrl+n")
    wait_until(lambda: composer(s).getState().contains(s.pyatspi.STATE_FOCUSED),
               what="the focus in the composer")
    send_by_keyboard(s, "Say hello")
    wait_until(lambda: ANSWER in s.message_texts(),
               what=lambda: f"the reply (the chat shows {s.message_texts()!r})")
    reached, unmarked = tab_walk(s, "the main window")
    names = {name for _, name in reached}
    check(unmarked == 0, f"{unmarked} steps of Tab in the main window reach no control")
    for wanted in ("Message", "New chat", "Main menu", "Show chats", "Copy message",
                   "Regenerate reply", "Search all chats", "Edit and resend message"):
        check(wanted in names, f"Tab never reaches “{wanted}”; it reaches {sorted(names)}")

    # The rows say who wrote them.
    rows = s.find_all(lambda n: n.getRoleName() in ("grouping", "panel") and
                      n.name in ("You", "fake-model"))
    check({"You", "fake-model"} <= {r.name for r in rows},
          f"the message rows are not named by their author: {[describe(r) for r in rows]}")


def test_tab_preferences(s):
    s.start_app()
    s.key("ctrl+comma")
    prefs = wait_until(lambda: next((w for w in app_windows(s) if w.name == "Preferences"),
                                    None), what="the Preferences window")
    wait_until(lambda: s.find("Environment", root=prefs), what="the list of providers")
    reached, unmarked = tab_walk(s, "Preferences")
    names = {name for _, name in reached}
    check("Environment" in names, f"Tab never reaches the provider; it reaches {sorted(names)}")
    check(unmarked == 0, f"{unmarked} steps of Tab in Preferences reach no control")

    # The provider's page, opened from the keyboard.
    while (lambda n: n is None or n.name != "Environment")(focused(s)):
        s.key("Tab")
    s.key("Return")
    wait_until(lambda: s.find("Connection Test", root=prefs), what="the provider's page")
    wait_until(lambda: (lambda n: n is not None and n.name == "Back to the providers")(
        focused(s)), what="the focus on the page's Back button")
    reached, unmarked = tab_walk(s, "the provider's page", first_key=None)
    names = {name for _, name in reached}
    for wanted in ("Back to the providers", "Test", "Use This Provider", "Temperature"):
        check(wanted in names, f"Tab never reaches “{wanted}”; it reaches {sorted(names)}")
    check_entry_rows(s, prefs, "the provider's page", unmarked)


def test_keyboard_chat(s):
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=4, delay=0.05)))
    s.start_app()
    from gi.repository import Atspi
    heard = []

    def description_changed(event):
        try:
            heard.append((event.source.name, event.any_data))
        except Exception:
            pass

    listener = Atspi.EventListener.new(description_changed)
    listener.register("object:property-change:accessible-description")

    box = composer(s)
    check(box.getState().contains(s.pyatspi.STATE_FOCUSED), "the composer has not the focus")
    send_by_keyboard(s, "Say hello")
    wait_until(lambda: ANSWER in s.message_texts(), what="the reply")

    # The end of the reply is told to the screen reader: GTK 4.8 has no
    # announcements, so it comes as the focused composer's description.
    def announced():
        pump()
        return ("Message", "The reply is complete.") in heard
    wait_until(announced, what=f"the announcement of the reply (heard {heard})")

    # Back from the composer to the reply's Copy button.
    for _ in range(10):
        s.key("shift+Tab")
        node = wait_until(lambda: focused(s), what="the focus")
        if node.name == "Copy message":
            break
    else:
        raise Failure("shift+Tab from the composer never reaches the reply's Copy button")
    # It is the reply's: the row around it is named after the model.
    parent, row = node, None
    while parent is not None:
        if parent.name in ("You", "fake-model") and parent.getRoleName() != "text":
            row = parent
            break
        parent = parent.parent
    check(row is not None and row.name == "fake-model",
          f"the Copy button reached is not the reply's (its row: {row and describe(row)})")
    s.set_clipboard("before")
    s.key("space")
    wait_until(lambda: s.get_clipboard() == ANSWER,
               what=lambda: f"the reply on the clipboard (it holds {s.get_clipboard()!r})")

    # Ctrl+N: a new, empty chat, ready to type in.
    s.key("ctrl+n")
    wait_until(lambda: s.message_texts() == [],
               what=lambda: f"an empty chat (it shows {s.message_texts()!r})")
    wait_until(lambda: composer(s).getState().contains(s.pyatspi.STATE_FOCUSED),
               what="the focus in the composer of the new chat")

    # Ctrl+? shows every shortcut; Escape closes it.
    s.key("ctrl+question")
    shortcuts = wait_until(lambda: next((w for w in app_windows(s) if w.name != s.window.name),
                                        None), what="the shortcuts window")
    wait_until(lambda: s.find("Send the message", root=shortcuts), what="the shortcuts")
    for title in ("Quit", "Close the window", "New chat", "Preferences", "Open the main menu",
                  "Show keyboard shortcuts", "Copy the last reply"):
        check(s.find(title, root=shortcuts), f"the shortcuts window lacks “{title}”")

    # Ctrl+W closes the window, the last one, so Confab ends.
    s.key("Escape")
    wait_until(lambda: len(app_windows(s)) == 1, what="the shortcuts window to close")
    s.key("ctrl+w")
    wait_until(lambda: s.app.poll() is not None, what="Confab to end after Ctrl+W")
    check(s.app.returncode == 0, f"Confab ended with {s.app.returncode}")


def test_ctrl_q_and_about(s):
    s.start_app()
    # Preferences with Ctrl+comma; Escape closes them.
    s.key("ctrl+comma")
    wait_until(lambda: any(w.name == "Preferences" for w in app_windows(s)),
               what="the Preferences window")
    s.key("Escape")
    wait_until(lambda: not any(w.name == "Preferences" for w in app_windows(s)),
               what="Preferences to close on Escape")

    # The About window from the main menu, with F10 and the arrows.
    s.key("F10")
    about = wait_until(lambda: next(iter(s.find_all(
        lambda n: n.getRoleName() == "menu item" and n.name.replace("_", "") == "About Confab",
        root=s.window.parent)), None), what="the main menu's About item")
    for _ in range(12):
        if about.getState().contains(s.pyatspi.STATE_FOCUSED):
            break
        s.key("Up")
        time.sleep(0.1)
    check(about.getState().contains(s.pyatspi.STATE_FOCUSED),
          "the arrows never reach About Confab")
    s.key("Return")
    wait_until(lambda: any(w.name == "About" for w in app_windows(s)),
               what=lambda: f"the About window (windows {[w.name for w in app_windows(s)]})")

    # Ctrl+Q quits from the main window, with the About window open.
    s.key("Escape")
    wait_until(lambda: len(app_windows(s)) == 1, what="the About window to close")
    s.key("ctrl+q")
    wait_until(lambda: s.app.poll() is not None, what="Confab to end after Ctrl+Q")
    check(s.app.returncode == 0, f"Confab ended with {s.app.returncode}")


def accessible_root(s):
    """Confab's accessible application root, reached straight over the
    accessibility bus, as Orca reaches it, with no cache of pyatspi's in
    between: a function of a toplevel index that returns the (bus name,
    object path) the root answers for it."""
    from gi.repository import Gio, GLib
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    session = Gio.DBusConnection.new_for_address_sync(s.env["DBUS_SESSION_BUS_ADDRESS"],
                                                      flags, None, None)
    address = session.call_sync("org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress",
                                None, GLib.VariantType("(s)"), 0, 5000, None)[0]
    bus = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
    accessible = "org.a11y.atspi.Accessible"
    apps = bus.call_sync("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root",
                         accessible, "GetChildren", None, GLib.VariantType("(a(so))"),
                         0, 5000, None)[0]
    for name, path in apps:
        try:
            app_name = bus.call_sync(name, path, "org.freedesktop.DBus.Properties", "Get",
                                     GLib.Variant("(ss)", (accessible, "Name")),
                                     GLib.VariantType("(v)"), 0, 5000, None)[0]
        except GLib.Error:
            continue
        if app_name == "confab":
            return lambda index: bus.call_sync(name, path, accessible, "GetChildAtIndex",
                                               GLib.Variant("(i)", (index,)),
                                               GLib.VariantType("((so))"), 0, 5000, None)[0]
    raise Failure("Confab's application is not on the accessibility bus")


def test_window_index_after_close(s):
    """A screen reader that counted two windows asks for the second after
    one closed. GTK 4.8 then answers with the last window it keeps, and
    crashes on a hidden one: Confab keeps none (no hidden shortcuts
    window, no hidden Preferences)."""
    s.start_app()

    def ask_past_the_end(after):
        for index in (1, 2, 5):
            answer = child_at_index(index)
            check(s.app.poll() is None,
                  f"Confab ended ({s.app.returncode}) when asked for window {index} {after}")
            check(answer[1] == main_window[1],
                  f"window {index} {after} is answered with {answer!r}, "
                  f"not the main window {main_window!r}")

    child_at_index = accessible_root(s)
    main_window = child_at_index(0)
    ask_past_the_end("at start")
    for keys, title in (("ctrl+comma", "Preferences"), ("ctrl+question", None)):
        s.key(keys)
        wait_until(lambda: len(app_windows(s)) == 2 and
                   (title is None or any(w.name == title for w in app_windows(s))),
                   what=f"the window of {keys}")
        s.key("Escape")
        wait_until(lambda: len(app_windows(s)) == 1, what=f"the window of {keys} to close")
        ask_past_the_end(f"after the window of {keys} closed")
    # The main window still answers the keyboard.
    s.key("ctrl+comma")
    wait_until(lambda: any(w.name == "Preferences" for w in app_windows(s)),
               what="Preferences, opened again")


def test_narrow_window(s):
    """At 360 pixels (with GNOME's one Close button), nothing holds the
    window wider, and the views are still switched and used."""
    settings = os.path.join(s.env["XDG_CONFIG_HOME"], "gtk-4.0")
    os.makedirs(settings, exist_ok=True)
    with open(os.path.join(settings, "settings.ini"), "w") as f:
        f.write("[Settings]\ngtk-decoration-layout=:close\n")
    s.server.scripts.append(Script(writes=sse_reply(ANSWER, pieces=4, delay=0.02)))
    s.start_app()
    subprocess.run(["xdotool", "windowsize", "--sync", s.window_id, "360", "640"], env=s.env,
                   check=True)

    def width():
        out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", s.window_id],
                             env=s.env, capture_output=True, text=True, check=True).stdout
        return int(dict(line.split("=", 1) for line in out.split())["WIDTH"])
    # The X window has GTK's frame around the 360 pixels: 5 on each side
    # without a compositor.
    wait_until(lambda: width() <= 372, timeout=5,
               what=lambda: f"the window to be 360 pixels wide (it is {width()})")

    send_by_keyboard(s, "Say hello")
    wait_until(lambda: ANSWER in s.message_texts(), what="the reply")
    # The Translate view, from the keyboard, at this width too.
    s.key("alt+2")
    wait_until(lambda: s.find("Text to translate", "text"), what="the Translate view")
    check(width() <= 372, f"the Translate view makes the window {width()} pixels wide")


def type_named(s, allowed=()):
    """The elements of the app's windows a screen reader would say with a
    GTK or libadwaita type's name, as GTK 4.8 names an element without a
    label ("GtkStackPage panel"): (name, role) for each but fillers,
    which Orca passes over, and the (name, role) pairs @allowed."""
    import re
    nodes = s.find_all(lambda n: re.match(r"^(Gtk|Adw)[A-Z]", n.name or "") is not None and
                       n.getRoleName() != "filler", root=s.window.parent)
    return sorted({(n.name, n.getRoleName()) for n in nodes} - set(allowed))


def test_no_type_names(s):
    # Orca 43 read "GtkStackPage panel", "GtkImage … push button" and
    # "GtkPopoverMenu menu" as the focus moved through Confab.
    s.server.scripts.append(Script(writes=sse_reply("See [the docs](https://example.invalid/x).",
                                                    pieces=2, delay=0.02)))
    s.start_app()
    send_by_keyboard(s, "Say hello")
    wait_until(lambda: s.buttons("Regenerate reply"), what="the reply")
    check(not type_named(s), f"named after their type: {type_named(s)}")
    s.key("F10")
    wait_until(lambda: s.find_all(lambda n: n.getRoleName() == "menu", root=s.window.parent),
               what="the main menu")
    check(not type_named(s), f"named after their type with the menu open: {type_named(s)}")
    s.key("Escape")
    s.key("ctrl+comma")
    wait_until(lambda: any(w.name == "Preferences" for w in app_windows(s)),
               what="the Preferences window")
    # Left: the list libadwaita's preferences group keeps its rows in,
    # which Confab cannot tell from its own named lists as it maps.
    named = type_named(s, allowed={("GtkListBox", "list")})
    check(not named, f"named after their type in Preferences: {named}")


def test_text_attributes(s):
    # A screen reader asks for the attributes of a reply's text as it
    # reads: each kind of Markdown, at every offset, and the app lives.
    # GTK 4.8 crashed on the attributes of text with a colour of a tag's.
    reply = ("# Title\n\nSome **bold**, *italic*, `code` and [a link](https://example.invalid/).\n\n"
             "> A quote with [another link](https://example.invalid/2).\n\n- an item\n")
    s.server.scripts.append(Script(writes=sse_reply(reply, pieces=3, delay=0.02)))
    s.start_app()
    send_by_keyboard(s, "Say hello")
    wait_until(lambda: s.buttons("Regenerate reply"), what="the reply")
    views = [v for v in s.text_views() if "link" in s.text_of(v) or "Title" in s.text_of(v)]
    check(views, f"no reply text: {s.message_texts()!r}")
    for view in views:
        text = view.queryText()
        for offset in range(text.characterCount):
            text.getAttributeRun(offset, True)
            text.getStringAtOffset(offset, s.pyatspi.TEXT_GRANULARITY_LINE)
    check(s.app.poll() is None, f"confab ended with {s.app.poll()}")


TESTS = [
    ("tab-main-window", test_tab_main_window),
    ("tab-preferences", test_tab_preferences),
    ("keyboard-chat", test_keyboard_chat),
    ("ctrl-q-and-about", test_ctrl_q_and_about),
    ("window-index-after-close", test_window_index_after_close),
    ("narrow-window", test_narrow_window),
    ("no-type-names", test_no_type_names),
    ("text-attributes", test_text_attributes),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
