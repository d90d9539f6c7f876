#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: the window in Japanese and in Korean, with no English left.

Every text the window shows or names (labels, accessible names and
descriptions, menu items, window titles) is read through AT-SPI in the
main window with a reply and an error, its main menu, the preferences
with a provider's page open and the shortcuts window. None may be one of
the English messages of po/: those whose translation differs from the
English, as a format with its arguments filled in too. Product names,
model names, URLs and what the user or the server wrote are not messages,
so they pass.

The app finds the catalogues in the build tree through CONFAB_LOCALEDIR.
glibc's gettext translates only under a real locale (LANGUAGE alone does
nothing under C.UTF-8): the test uses ja_JP.UTF-8 and ko_KR.UTF-8 when
`locale -a` has them, and else compiles them with localedef into
CONFAB_GUI_LOCALE_DIR for LOCPATH.
"""

import ast
import gettext
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

PO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "po")
LOCALES = {"ja": "ja_JP.UTF-8", "ko": "ko_KR.UTF-8"}
PROMPTS = {"ja": "こんにちは。自己紹介をしてください。",
           "ko": "안녕하세요. 자기소개를 해 주세요."}
ANSWERS = {"ja": "はじめまして。fake-model です。",
           "ko": "반갑습니다. fake-model입니다."}
# Key caps as GtkShortcutLabel shows them, from GTK's own catalogue.
KEY_CAPS = {"Ctrl", "Shift", "Alt", "Delete", "Escape", "Esc", "Return", "Enter", "Tab",
            "Space", "Home", "End"}
SPECIFIER = re.compile(r"%(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?(?:l|ll|z|h)?[diouxXeEfgGcs]")


def check(condition, message):
    if not condition:
        raise Failure(message)


# --------------------------------------------------------------------------
# The catalogue

def read_po(path):
    """Returns {(msgctxt, msgid): (msgid_plural, [msgstr…])}."""
    entries = {}
    for block in open(path, encoding="utf-8").read().split("\n\n"):
        fields = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries[(fields.get("msgctxt"), fields["msgid"])] = (fields.get("msgid_plural"),
                                                                  strs)
    return entries


class Catalogue:
    def __init__(self, lang):
        self.entries = read_po(os.path.join(PO_DIR, lang + ".po"))
        self.exact = set()
        self.patterns = []
        for (context, msgid), (plural, strs) in self.entries.items():
            # Kept as they are on purpose: "Confab", "%u/%u", " · ".
            if strs == [msgid]:
                continue
            for english in filter(None, (msgid, plural)):
                for variant in {english, english.replace("_", "")}:
                    literal = SPECIFIER.sub("", variant)
                    if not re.search(r"[A-Za-z]{2,}", literal):
                        continue
                    if SPECIFIER.search(variant):
                        parts = SPECIFIER.split(variant)
                        self.patterns.append((english, re.compile(
                            "^" + ".+".join(re.escape(p) for p in parts) + "$", re.S)))
                    else:
                        self.exact.add(variant)

    def tr(self, msgid, context=None):
        return self.entries[(context, msgid)][1][0]

    def english(self, text):
        """The English message @text is, or None."""
        for candidate in {text, text.strip(), text.replace("_", "")}:
            if candidate in self.exact:
                return candidate
            for msgid, pattern in self.patterns:
                if pattern.match(candidate):
                    return msgid
        return None


def gtk_tr(lang, domain, msgid):
    """A string of GTK or libadwaita as the app shows it in @lang."""
    return gettext.translation(domain, "/usr/share/locale", languages=[lang],
                               fallback=True).gettext(msgid)


# --------------------------------------------------------------------------
# The locale

def have_locale(name):
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    wanted = name.lower().replace("utf-8", "utf8")
    return wanted in (entry.lower().replace("utf-8", "utf8") for entry in listed)


def locale_env(s, lang):
    name = LOCALES[lang]
    env = {"LANGUAGE": lang, "LANG": name, "LC_ALL": name}
    if not have_locale(name):
        folder = os.environ.get("CONFAB_GUI_LOCALE_DIR") or os.path.join(s.tmp, "locales")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, name)
        if not os.path.isdir(target):
            # Built aside and renamed: the two tests may build at once.
            scratch = tempfile.mkdtemp(dir=folder)
            language, charset = name.split(".")
            result = subprocess.run(["localedef", "-i", language, "-f", charset,
                                     os.path.join(scratch, name)],
                                    capture_output=True, text=True)
            check(result.returncode in (0, 1) and
                  os.path.isdir(os.path.join(scratch, name)),
                  f"localedef {name} failed: {result.stderr}")
            try:
                os.rename(os.path.join(scratch, name), target)
            except OSError:
                pass
            shutil.rmtree(scratch, ignore_errors=True)
        env["LOCPATH"] = folder
    return env


# --------------------------------------------------------------------------
# Reading the windows

def windows(s):
    app = s.window.parent
    return [w for w in (app.getChildAtIndex(i) for i in range(app.childCount)) if w is not None]


def window_named(s, name):
    return next((w for w in windows(s) if w.name == name), None)


def texts(s, root):
    """(role, text) for everything @root shows or names. The text of
    entries and text views is content (the user's or the model's), not
    the interface: only their names count."""
    found = []
    for node in s.find_all(lambda n: True, root=root):
        try:
            role = node.getRoleName()
            for text in (node.name, node.description):
                if text:
                    found.append((role, text))
            if role == "label":
                text = s.text_of(node)
                if text:
                    found.append((role, text))
        except Exception:  # a node that went away while being read
            continue
    return found


def assert_no_english(s, catalogue, root, where, keys=False):
    """@keys: @root shows key caps (GTK's names of keys, such as
    “Delete”, which may equal a message)."""
    found = texts(s, root)
    english = sorted({f"{role} “{text}” (msgid “{msgid}”)"
                      for role, text in found
                      for msgid in [catalogue.english(text)]
                      if msgid and not (keys and text in KEY_CAPS)})
    # Not a failure, but worth a look: ASCII-only texts that are no
    # message. Key names, product and model names are expected here (GTK
    # 4.8 names some nodes after their type, AdwFlap, GtkLabel: skipped).
    ascii_words = sorted({text for _, text in found
                          if text.isascii() and re.search(r"[A-Za-z]{3,}", text) and
                          not re.match(r"^(Gtk|Adw|Confab)[A-Z][A-Za-z]+$", text)})
    if ascii_words:
        print(f"# {where}: ASCII texts that are no message: {ascii_words}", flush=True)
    check(not english, f"English in {where}:\n" + "\n".join(english))
    check(len(found) > 5, f"{where} shows almost nothing: {found}")
    return [text for _, text in found]


def expect(shown, wanted, where):
    """Checks that @wanted translations are among the texts @shown.
    Accessible names drop the mnemonic's underscore, so both do."""
    shown = {text.replace("_", "") for text in shown}
    missing = [w for w in wanted if w.replace("_", "") not in shown]
    check(not missing, f"{where} lacks {missing}; it shows {sorted(set(shown))}")


# --------------------------------------------------------------------------
# The test

def conversation(s, t):
    # The box of messages, not the view switcher's button: Korean names
    # both the chat and the conversation 대화.
    nodes = s.find_all(lambda n: n.name == t.tr("Conversation") and
                       n.getRoleName() not in ("push button", "toggle button", "radio button",
                                               "label", "page tab"))
    return nodes[0] if nodes else None


def conversation_labels(s, t):
    box = conversation(s, t)
    if box is None:
        return []
    return [s.text_of(n) for n in s.find_all(lambda n: n.getRoleName() == "label", root=box)]


def conversation_texts(s, t):
    box = conversation(s, t)
    if box is None:
        return []
    return [s.text_of(n) for n in s.find_all(lambda n: n.getRoleName() in ("text", "entry"),
                                             root=box)]


def send(s, t, text):
    composer = wait_until(lambda: s.find(t.tr("Message"), "text"), what="the composer")
    # Under a sanitizer on a loaded machine a paste can come before the
    # composer has the keyboard: it is clicked and pasted again.
    for attempt in range(3):
        if attempt > 0:
            s.click(composer)
        s.paste(text)
        try:
            wait_until(lambda: s.text_of(composer) == text, timeout=8,
                       what="the prompt in the composer")
            break
        except Failure:
            if s.text_of(composer) not in ("", None):
                s.key("ctrl+a")
                s.key("BackSpace")
    check(s.text_of(composer) == text,
          f"the prompt in the composer (it holds {s.text_of(composer)!r})")
    s.key("Return")


def click_in(s, window, node):
    """Clicks @node in @window (not the main one) with the mouse: extents
    are relative to the X window, found here by its title."""
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(s.app.pid),
                            "--name", "^" + re.escape(window.name) + "$"],
                           env=s.env, capture_output=True, text=True).stdout.split()
    check(found, f"no X window “{window.name}”")
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", found[-1]], env=s.env,
                         check=True, capture_output=True, text=True).stdout
    values = dict(line.split("=", 1) for line in out.split())
    extents = node.queryComponent().getExtents(s.pyatspi.WINDOW_COORDS)
    x = int(values["X"]) + extents.x + extents.width // 2
    y = int(values["Y"]) + extents.y + extents.height // 2
    subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", "1"],
                   env=s.env, check=True)


def close_window(s, window, lang):
    """Presses the close button of @window's title bar: with no window
    manager, keys go to whichever window is under the pointer."""
    names = {gtk_tr(lang, "gtk40", "Close"), "Close"}
    close = wait_until(lambda: next(iter(s.find_all(
        lambda n: s.is_button(n) and n.name in names, root=window)), None),
        what="the window's Close button")
    # Read before: the window is destroyed as it closes, and its
    # accessible object with it.
    name = window.name
    s.press(None, close)
    wait_until(lambda: name not in [w.name for w in windows(s)], what=f"“{name}” to close")


def check_language(s, lang):
    t = Catalogue(lang)
    env = locale_env(s, lang)
    s.start_app(env)

    # The main window with a reply and an error under the next prompt.
    s.server.scripts.append(Script(writes=sse_reply(ANSWERS[lang], pieces=3, delay=0.01)))
    send(s, t, PROMPTS[lang])
    wait_until(lambda: ANSWERS[lang] in conversation_texts(s, t),
               what=lambda: f"the reply (the chat shows {conversation_texts(s, t)!r})")
    body = json.dumps({"error": {"message": "Incorrect API key provided.",
                                 "type": "invalid_request_error"}}).encode()
    s.server.scripts.append(Script(status=401, content_type="application/json",
                                   writes=[(body, 0)]))
    send(s, t, PROMPTS[lang] + "?")
    error = wait_until(lambda: next((text for text in conversation_labels(s, t)
                                     if "HTTP 401" in text), None),
                       what=lambda: f"the error (labels {conversation_labels(s, t)!r})")
    check(error.startswith(t.tr("The server needs an API key, and none is set (HTTP 401). "
                                "Add it to the provider in Preferences, or set "
                                "OPENAI_API_KEY.")),
          f"the error is not in {lang}: {error!r}")
    wait_until(lambda: s.buttons(t.tr("Retry")), what="the Retry button")
    shown = assert_no_english(s, t, s.window, "the main window")
    expect(shown, [t.tr("Send message"), t.tr("Copy message"), t.tr("Regenerate reply"),
                   t.tr("Main menu"), t.tr("Retry"), t.tr("You"), t.tr("Assistant")],
           "the main window")

    # The main menu, from the keyboard.
    s.key("F10")
    wait_until(lambda: s.find_all(lambda n: n.getRoleName() == "menu item",
                                  root=s.window.parent), what="the main menu")
    shown = assert_no_english(s, t, s.window.parent, "the main menu")
    expect(shown, [t.tr("_Preferences"), t.tr("_Keyboard Shortcuts"), t.tr("_New Chat"),
                   t.tr("_About Confab")], "the main menu")
    s.key("Escape")

    # The shortcuts window.
    s.key("ctrl+question")
    shortcuts = wait_until(lambda: next((w for w in windows(s) if w.name != s.window.name),
                                        None), what="the shortcuts window")
    wait_until(lambda: t.tr("Send the message", "shortcut window") in
               [text for _, text in texts(s, shortcuts)], what="the shortcuts")
    shown = assert_no_english(s, t, shortcuts, "the shortcuts window", keys=True)
    expect(shown, [t.tr("General", "shortcut window"), t.tr("Quit", "shortcut window"),
                   t.tr("Regenerate the last reply", "shortcut window")],
           "the shortcuts window")
    close_window(s, shortcuts, lang)

    # The preferences, then a provider's page.
    s.key("ctrl+comma")
    prefs = wait_until(lambda: window_named(s, t.tr("Preferences")),
                       what=lambda: f"the window “{t.tr('Preferences')}” "
                            f"(windows {[w.name for w in windows(s)]})")
    wait_until(lambda: t.tr("Provider in Use") in [text for _, text in texts(s, prefs)],
               what="the list of providers")
    shown = assert_no_english(s, t, prefs, "the preferences")
    expect(shown, [t.tr("Providers"), t.tr("Add a provider"), t.tr("Environment")],
           "the preferences")
    row = wait_until(lambda: next(iter(s.find_all(
        lambda n: n.name == t.tr("Environment") and n.getRoleName() != "label" and
        s.sensitive(n), root=prefs)), None), what="the provider's row")
    click_in(s, prefs, row)
    wait_until(lambda: t.tr("Connection") in [text for _, text in texts(s, prefs)],
               what=lambda: f"the provider's page (it shows {texts(s, prefs)})")
    shown = assert_no_english(s, t, prefs, "the provider's page")
    expect(shown, [t.tr("Base URL"), t.tr("API Key"), t.tr("Default Model"),
                   t.tr("Connection Test"), t.tr("Temperature"), t.tr("Back to the providers")],
           "the provider's page")


def test_japanese(s):
    check_language(s, "ja")


def test_korean(s):
    check_language(s, "ko")


TESTS = [
    ("japanese", test_japanese),
    ("korean", test_korean),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
