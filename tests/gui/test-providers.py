#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""GUI tests: providers, the model picker and API keys in the keyring."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confabgui import Failure, Script, run, sse_reply, wait_until  # noqa: E402

PROMPT = "안녕하세요를 일본어로"
ANSWER = "こんにちは。"
KEY = "sk-test-0123456789abcdef-confab"


def check(condition, message):
    if not condition:
        raise Failure(message)


def everywhere(s):
    """The app's windows: the main one and the preferences."""
    return s.window.parent


def field(s, name):
    return next(iter(s.find_all(lambda n: n.name == name and
                                n.getRoleName() in ("text", "entry", "password text"),
                                root=everywhere(s))), None)


def all_labels(s):
    return [s.text_of(n) for n in s.find_all(lambda n: n.getRoleName() == "label",
                                             root=everywhere(s))]


def set_field(s, name, text):
    node = wait_until(lambda: field(s, name), what=f"the {name} field")
    s.click(node)
    s.key("ctrl+a")
    s.type_text(text)
    wait_until(lambda: s.text_of(field(s, name)) == text,
               what=lambda: f"{text!r} in {name} (it shows {s.text_of(field(s, name))!r})")


def press_anywhere(s, name):
    button = wait_until(lambda: next(iter(s.find_all(
        lambda n: s.is_button(n) and n.name.replace("_", "").split(" ")[0] == name,
        root=everywhere(s))), None), what=f"the {name} button")
    s.press(None, button)


def choose_provider_on_welcome(s, title):
    wait_until(lambda: "Welcome to Confab" in s.labels(),
               what=lambda: f"the welcome page (labels {s.labels()!r})")
    s.click(wait_until(lambda: s.find(name=title), what=title))
    wait_until(lambda: "Connection" in all_labels(s), what="the provider's page")


def preferences_open(s):
    app = everywhere(s)
    return any(app.getChildAtIndex(i) is not None and
               app.getChildAtIndex(i).name == "Preferences" for i in range(app.childCount))


def close_preferences(s):
    # Back to the list (a field being edited keeps its first Escape), and
    # closed. Keys would go to the window under the pointer: Xvfb has no
    # window manager to give the focus.
    back = wait_until(lambda: next(iter(s.find_all(
        lambda n: s.is_button(n) and n.name == "Back to the providers",
        root=everywhere(s))), None), what="the Back button")
    s.press(None, back)
    wait_until(lambda: "Connection" not in all_labels(s), what="the list of providers")
    prefs = next(everywhere(s).getChildAtIndex(i) for i in range(everywhere(s).childCount)
                 if everywhere(s).getChildAtIndex(i).name == "Preferences")
    close = next(n for n in s.find_all(lambda n: s.is_button(n) and n.name == "Close",
                                       root=prefs))
    s.press(None, close)
    wait_until(lambda: not preferences_open(s), what="the preferences to close")


def send(s, text, answer):
    s.server.scripts.append(Script(writes=sse_reply(answer, pieces=3, delay=0.01)))
    # Into the composer, clicked first: after Preferences closes, Xvfb
    # (no window manager) leaves the keyboard where the pointer is.
    composer = wait_until(lambda: s.find("Message", "text"), what="the composer")
    s.click(composer)
    s.type_text(text)
    wait_until(lambda: s.text_of(composer) == text,
               what=lambda: f"the prompt in the composer (it holds {s.text_of(composer)!r})")
    s.key("Return")
    wait_until(lambda: s.message_texts()[-1:] == [answer],
               what=lambda: f"the reply (shows {s.message_texts()!r})")


def no_provider(s):
    # The settings in a file, so that profiles outlive a restart as they
    # do for users; the environment says nothing.
    return {"OPENAI_BASE_URL": "", "OPENAI_DEFAULT_MODEL": "", "OPENAI_API_KEY": "",
            "GSETTINGS_BACKEND": "keyfile"}


def test_welcome_leads_to_a_working_provider(s):
    s.server.models = ["fake-model", "qwen2.5:7b", "llama3.2:latest"]
    s.start_app(no_provider(s))
    choose_provider_on_welcome(s, "llama.cpp on This Computer")
    check("http://localhost:8080/v1" in [s.text_of(n) for n in s.find_all(
        lambda n: n.name == "Base URL", root=everywhere(s))],
        "the llama.cpp preset's address is not shown")
    set_field(s, "Base URL", s.server.base_url)
    set_field(s, "Default Model", "fake-model")
    press_anywhere(s, "Test")
    wait_until(lambda: "Connected: the server lists 3 models." in all_labels(s),
               what=lambda: f"the test's result (labels {all_labels(s)!r})")

    # The temperature goes from the server's default to 0.0 and back, and
    # then to 0.7, with the arrow keys.
    spin = wait_until(lambda: next(iter(s.find_all(
        lambda n: n.name.startswith("Temperature") and n.getRoleName() == "spin button",
        root=everywhere(s))), None), what="the temperature")
    s.click(spin)
    shown = lambda: s.text_of(spin)  # noqa: E731
    check(shown() == "Default", f"the temperature shows {shown()!r}")
    s.key("Up")
    wait_until(lambda: shown() == "0.0", what=lambda: f"0.0 (shows {shown()!r})")
    s.key("Down")
    wait_until(lambda: shown() == "Default", what=lambda: f"Default again (shows {shown()!r})")
    for _ in range(8):
        s.key("Up")
    wait_until(lambda: shown() == "0.7", what=lambda: f"0.7 (shows {shown()!r})")
    close_preferences(s)

    send(s, PROMPT, ANSWER)
    request = s.server.requests[-1]
    check(request["body"]["model"] == "fake-model", f"asked {request['body']['model']!r}")
    check(request["body"].get("temperature") == 0.7, f"temperature {request['body']!r}")
    check("Authorization" not in request["headers"], "a key was sent to a local server")


def test_model_picker_lists_and_chooses(s):
    s.server.models = ["fake-model", "qwen2.5:7b", "llama3.2:latest"]
    s.start_app()
    s.key("ctrl+m")
    wait_until(lambda: "llama3.2:latest" in s.labels(),
               what=lambda: f"the models listed (labels {s.labels()!r})")
    check(len(s.server.gets) == 1 and s.server.gets[0]["path"] == "/v1/models",
          f"asked {s.server.gets!r}")
    # Typing filters the list.
    s.type_text("qwen")
    wait_until(lambda: "llama3.2:latest" not in s.labels() and "qwen2.5:7b" in s.labels(),
               what="the list filtered")
    s.click(s.find(name="qwen2.5:7b"))
    wait_until(lambda: "qwen2.5:7b" in s.labels(), what="the model in the header")
    send(s, PROMPT, ANSWER)
    check(s.server.requests[-1]["body"]["model"] == "qwen2.5:7b",
          f"asked {s.server.requests[-1]['body']['model']!r}")


def test_model_picker_takes_any_name(s):
    s.server.models = None
    s.start_app()
    s.key("ctrl+m")
    wait_until(lambda: any("does not list its models" in t for t in s.labels()),
               what=lambda: f"the server's answer (labels {s.labels()!r})")
    s.type_text("my-own-model")
    s.key("Return")
    wait_until(lambda: "my-own-model" in s.labels(), what="the model in the header")
    send(s, PROMPT, ANSWER)
    check(s.server.requests[-1]["body"]["model"] == "my-own-model",
          f"asked {s.server.requests[-1]['body']['model']!r}")


def saved_profile(s, profile_id, name, base_url, model):
    """Settings with one saved provider, in the keyfile the app reads with
    GSETTINGS_BACKEND=keyfile; the environment's profile comes first."""
    folder = os.path.join(s.env["XDG_CONFIG_HOME"], "glib-2.0", "settings")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "keyfile"), "w") as f:
        f.write(f"""[io/github/confab/Confab]
profiles=['{profile_id}']
profiles-migrated=true

[io/github/confab/Confab/profiles/{profile_id}]
name='{name}'
preset='custom'
base-url='{base_url}'
default-model='{model}'
""")
    return {"GSETTINGS_BACKEND": "keyfile"}


def use_provider(s, name):
    """Makes @name the provider in use, from its page in the preferences."""
    result = s.activate_action("preferences")
    check(result.returncode == 0, f"app.preferences: {result.stderr}")
    wait_until(lambda: preferences_open(s), what="the preferences")
    row = wait_until(lambda: provider_row(s, name), what=f"the provider {name}")
    s.click(row)
    wait_until(lambda: "Connection Test" in all_labels(s), what=f"the page of {name}")
    press_anywhere(s, "Use")
    close_preferences(s)


def test_model_picker_refreshes_per_provider(s):
    from confabgui import FakeServer
    other = FakeServer()
    try:
        s.server.models = ["alpha-1", "alpha-2"]
        other.models = ["beta-1", "beta-2"]
        s.start_app(saved_profile(s, "work", "Work", other.base_url, "beta-1"))
        s.key("ctrl+m")
        wait_until(lambda: "alpha-2" in s.labels(),
                   what=lambda: f"the models listed (labels {s.labels()!r})")
        check(len(s.server.gets) == 1, f"asked {s.server.gets!r}")

        # Refresh asks the server again, and shows what it lists now.
        s.server.models = ["alpha-1", "alpha-2", "alpha-3"]
        s.press("Refresh the list of models")
        wait_until(lambda: "alpha-3" in s.labels(),
                   what=lambda: f"the new model after Refresh (labels {s.labels()!r})")
        check(len(s.server.gets) == 2 and s.server.gets[1]["path"] == "/v1/models",
              f"asked {s.server.gets!r}")
        check(not other.gets, f"the other provider was asked: {other.gets!r}")
        s.key("Escape")

        # Another provider in use: the picker shows its own list, which
        # it asked that provider's server for.
        use_provider(s, "Work")
        s.key("ctrl+m")
        wait_until(lambda: "beta-2" in s.labels(),
                   what=lambda: f"the other provider's models (labels {s.labels()!r})")
        check(not any(m in s.labels() for m in ("alpha-1", "alpha-2", "alpha-3")),
              f"the first provider's models are still listed: {s.labels()!r}")
        check(len(other.gets) == 1 and other.gets[0]["path"] == "/v1/models",
              f"asked {other.gets!r}")
        check(len(s.server.gets) == 2, f"the first provider was asked again: {s.server.gets!r}")
    finally:
        other.stop()


def start_keyring(s):
    daemon = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
        input="test-password", env=s.env, capture_output=True, text=True, timeout=30)
    check(daemon.returncode == 0, f"gnome-keyring-daemon: {daemon.stderr}")
    for line in daemon.stdout.splitlines():
        name, _, value = line.partition("=")
        if name == "GNOME_KEYRING_PID" and value.isdigit():
            s.procs.append(_Pid(int(value)))

    # The login collection is made a moment after the daemon answers: a
    # store before that finds no default collection (libsecret then
    # passes a NULL path on, a critical).
    def default_collection():
        out = subprocess.run(
            ["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
             "--object-path", "/org/freedesktop/secrets",
             "--method", "org.freedesktop.Secret.Service.ReadAlias", "default"],
            env=s.env, capture_output=True, text=True, timeout=10).stdout
        return "/collection/" in out
    wait_until(default_collection, what="the keyring's login collection")


class _Pid:
    """A daemonized process, stopped with the session."""

    def __init__(self, pid):
        self.pid = pid

    def terminate(self):
        try:
            os.kill(self.pid, 15)
        except OSError:
            pass

    def wait(self, timeout=None):
        return 0

    def poll(self):
        return 0

    def kill(self):
        self.terminate()


def files_holding(root, needle):
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


def test_key_goes_to_the_keyring_and_is_sent(s):
    start_keyring(s)
    app = s.start_app(no_provider(s))
    choose_provider_on_welcome(s, "OpenAI")
    set_field(s, "Base URL", s.server.base_url)
    set_field(s, "Default Model", "fake-model")
    set_field(s, "API Key", KEY)
    s.key("Return")
    wait_until(lambda: any("saved in the keyring" in t for t in all_labels(s)),
               what=lambda: f"the key saved (labels {all_labels(s)!r})")
    close_preferences(s)

    send(s, PROMPT, ANSWER)
    check(s.message_texts()[0] == PROMPT, f"sent {s.message_texts()[0]!r}")
    check(s.server.requests[-1]["headers"].get("Authorization") == "Bearer " + KEY,
          f"sent {s.server.requests[-1]['headers'].get('Authorization')!r}")
    held = files_holding(s.tmp, KEY.encode())
    check(not held, f"the key is in plain text in {held!r}")

    # After a restart the key comes from the keyring again.
    s.key("ctrl+q")
    wait_until(lambda: app.poll() is not None, what="Confab to quit")
    s.start_app(no_provider(s))
    wait_until(lambda: s.message_texts()[:1] == [PROMPT], what="the chat after the restart")
    send(s, "もう一度", ANSWER)
    check(s.server.requests[-1]["headers"].get("Authorization") == "Bearer " + KEY,
          "the key was not read back from the keyring")
    held = files_holding(s.tmp, KEY.encode())
    check(not held, f"the key is in plain text in {held!r}")


def test_key_kept_for_the_session_without_a_keyring(s):
    s.start_app(no_provider(s))
    choose_provider_on_welcome(s, "OpenAI")
    # Opening the page looked for the key and found no keyring: the page
    # says so for as long as it is shown, before any key is typed.
    wait_until(lambda: any("No keyring is available" in t and "until Confab quits" in t
                           for t in all_labels(s)),
               what=lambda: f"the page to say there is no keyring (labels {all_labels(s)!r})")
    check(not any("kept in the keyring" in t for t in all_labels(s)),
          "the page still says the key is kept in the keyring")
    set_field(s, "Base URL", s.server.base_url)
    set_field(s, "Default Model", "fake-model")
    set_field(s, "API Key", KEY)
    s.key("Return")
    wait_until(lambda: any("kept only until Confab quits." in t for t in all_labels(s)),
               what=lambda: f"the key kept in memory (labels {all_labels(s)!r})")
    check(not any("saved in the keyring" in t for t in all_labels(s)),
          "a key was said to be saved in a keyring that is not there")
    close_preferences(s)

    # The key works for this session all the same, and no file holds it.
    send(s, PROMPT, ANSWER)
    check(s.server.requests[-1]["headers"].get("Authorization") == "Bearer " + KEY,
          f"sent {s.server.requests[-1]['headers'].get('Authorization')!r}")
    held = files_holding(s.tmp, KEY.encode())
    check(not held, f"the key is in plain text in {held!r}")


test_key_kept_for_the_session_without_a_keyring.session_options = {"secret_service": False}


def keyring_items(s, profile_id):
    """The object paths of the keyring's items for @profile_id."""
    out = subprocess.run(
        ["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
         "--object-path", "/org/freedesktop/secrets",
         "--method", "org.freedesktop.Secret.Service.SearchItems",
         "{'profile': '" + profile_id + "'}"],
        env=s.env, capture_output=True, text=True, timeout=10)
    check(out.returncode == 0, f"SearchItems: {out.stderr}")
    return [w.strip("',[]()") for w in out.stdout.split() if "/collection/" in w]


def test_environment_key_is_for_this_run(s):
    env_key = "sk-from-the-environment-7"
    start_keyring(s)
    s.start_app({"OPENAI_API_KEY": env_key})
    test_connection(s, "Environment")
    # The page shows the environment's key, and tests with it.
    wait_until(lambda: "Connected: the server lists 1 model." in all_labels(s),
               what=lambda: f"the test's result (labels {all_labels(s)!r})")
    check(s.server.gets[-1]["headers"].get("Authorization") == "Bearer " + env_key,
          f"tested with {s.server.gets[-1]['headers'].get('Authorization')!r}")

    # A key typed there is used for this run, and kept nowhere.
    set_field(s, "API Key", KEY)
    s.key("Return")
    wait_until(lambda: any("saved nowhere" in t for t in all_labels(s)),
               what=lambda: f"the key taken for this run (labels {all_labels(s)!r})")
    close_preferences(s)
    send(s, PROMPT, ANSWER)
    check(s.server.requests[-1]["headers"].get("Authorization") == "Bearer " + KEY,
          f"sent {s.server.requests[-1]['headers'].get('Authorization')!r}")
    check(not keyring_items(s, "environment"), "the environment's key went to the keyring")
    held = files_holding(s.tmp, KEY.encode())
    check(not held, f"the key is in plain text in {held!r}")


def window_named(s, name):
    app = everywhere(s)
    for i in range(app.childCount):
        window = app.getChildAtIndex(i)
        if window is not None and window.name == name:
            return window
    return None


def test_raw_response_shows_the_bytes(s):
    secret = "sk-inspector-secret-42"
    writes = sse_reply(ANSWER, pieces=3, delay=0.05)
    s.server.scripts.append(Script(writes=writes))
    s.start_app({"OPENAI_API_KEY": secret})
    s.type_text(PROMPT)
    s.key("Return")
    wait_until(lambda: s.message_texts()[-1:] == [ANSWER], what="the reply")
    check(s.server.requests[-1]["headers"].get("Authorization") == "Bearer " + secret,
          "the key was not sent")
    s.press("Show raw response")
    inspector = wait_until(lambda: window_named(s, "Raw Response"), what="the inspector")
    view = wait_until(lambda: next(iter(s.find_all(
        lambda n: n.name == "Raw response" and n.getRoleName() == "text", root=inspector)),
        None), what="the raw text")
    text = s.text_of(view)
    check("200 OK" in text, f"no status line in {text[:200]!r}")
    check("text/event-stream" in text, "no Content-Type header")
    # The body as it came, piece by piece: each piece after a line giving
    # its arrival time and size. Put together, the pieces are the bytes
    # the server wrote.
    import re
    raw = text.encode()
    body = b""
    for marker in re.finditer(rb"^\+[0-9.]+ ms, ([0-9]+) bytes?\n", raw, re.M):
        size = int(marker.group(1))
        body += raw[marker.end():marker.end() + size]
    sent = b"".join(data for data, _ in writes)
    check(body == sent, f"shown {body[:300]!r}, sent {sent[:300]!r}")
    check(secret not in text, "the key is in the raw response")
    copy = next(n for n in s.find_all(lambda n: s.is_button(n) and
                                      n.name == "Copy the raw response", root=inspector))
    s.set_clipboard("nothing")
    s.press(None, copy)
    wait_until(lambda: s.get_clipboard().startswith("POST"),
               what=lambda: f"the raw response copied ({s.get_clipboard()[:80]!r})")
    check(secret not in s.get_clipboard(), "the key is in the copy")


def make_certificate(folder):
    import hashlib
    import ssl
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=30)
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest()
    return cert, key, ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def test_certificate_trusted_after_its_fingerprint(s):
    from confabgui import FakeServer
    cert, key, fingerprint = make_certificate(s.tmp)
    https = FakeServer(tls=(cert, key))
    try:
        https.scripts.append(Script(writes=sse_reply(ANSWER, pieces=3, delay=0.01)))
        s.start_app({"OPENAI_BASE_URL": https.base_url})
        s.type_text(PROMPT)
        s.key("Return")
        wait_until(lambda: any("certificate" in t.lower() for t in s.labels()),
                   what=lambda: f"the certificate error (labels {s.labels()!r})")
        check(not https.requests, "a request went through an unverified certificate")
        check(any(fingerprint in t for t in s.labels()),
              f"the error does not give the fingerprint {fingerprint}")
        s.press("Trust…")
        # The dialog asks, with the fingerprint; its buttons are named
        # "_Trust Trust" by GTK 4.8.
        trust = wait_until(lambda: next(iter(s.find_all(
            lambda n: s.is_button(n) and n.name.replace("_", "").startswith("Trust") and
            n.name != "Trust…", root=everywhere(s))), None), what="the dialog's Trust button")
        dialog_text = [s.text_of(n) for n in s.find_all(
            lambda n: n.getRoleName() == "label" and "Trust it only" in s.text_of(n),
            root=everywhere(s))]
        check(dialog_text and fingerprint in dialog_text[0],
              f"the dialog does not show the fingerprint: {dialog_text!r}")
        s.press(None, trust)
        wait_until(lambda: s.message_texts()[-1:] == [ANSWER],
                   what=lambda: f"the reply once trusted (shows {s.message_texts()!r})")
        check(len(https.requests) == 1, f"{len(https.requests)} requests reached the server")

        # The provider's Test button trusts the same certificate.
        test_connection(s, "Environment")
        wait_until(lambda: "Connected: the server lists 1 model." in all_labels(s),
                   what=lambda: f"the test's result (labels {all_labels(s)!r})")
        check(https.gets and https.gets[-1]["path"] == "/v1/models", f"asked {https.gets!r}")
    finally:
        https.stop()


def provider_row(s, name):
    """The row of the provider @name in the preferences' list (not the
    label that names the provider in use)."""
    return next(iter(s.find_all(lambda n: n.name == name and n.getRoleName() != "label",
                                root=window_named(s, "Preferences"))), None)


def test_connection(s, provider):
    """Opens the preferences on @provider's page and presses Test."""
    result = s.activate_action("preferences")
    check(result.returncode == 0, f"app.preferences: {result.stderr}")
    wait_until(lambda: preferences_open(s), what="the preferences")
    row = wait_until(lambda: provider_row(s, provider), what=f"the provider {provider}")
    s.click(row)
    wait_until(lambda: "Connection Test" in all_labels(s), what="the provider's page")
    press_anywhere(s, "Test")


def test_certificate_test_says_untrusted(s):
    from confabgui import FakeServer
    cert, key, fingerprint = make_certificate(s.tmp)
    https = FakeServer(tls=(cert, key))
    try:
        s.start_app({"OPENAI_BASE_URL": https.base_url})
        test_connection(s, "Environment")
        wait_until(lambda: any("cannot be trusted" in t and fingerprint in t and
                               "To trust this certificate" in t for t in all_labels(s)),
                   what=lambda: f"the test to say why (labels {all_labels(s)!r})")
        check(not https.gets, f"a request went through an unverified certificate: {https.gets!r}")
    finally:
        https.stop()


TESTS = [
    ("welcome-to-first-reply", test_welcome_leads_to_a_working_provider),
    ("model-picker-lists-and-chooses", test_model_picker_lists_and_chooses),
    ("model-picker-takes-any-name", test_model_picker_takes_any_name),
    ("model-picker-refreshes-per-provider", test_model_picker_refreshes_per_provider),
    ("key-in-keyring", test_key_goes_to_the_keyring_and_is_sent),
    ("key-without-keyring", test_key_kept_for_the_session_without_a_keyring),
    ("environment-key-for-this-run", test_environment_key_is_for_this_run),
    ("raw-response", test_raw_response_shows_the_bytes),
    ("certificate-trusted", test_certificate_trusted_after_its_fingerprint),
    ("certificate-test-untrusted", test_certificate_test_says_untrusted),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    sys.exit(run([t for t in TESTS if not only or t[0] in only]))
