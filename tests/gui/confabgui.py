# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drives the real Confab window as a person would, headless.

Each GUI test gets its own Xvfb (display chosen by -displayfd), its own
session bus (which activates the accessibility bus), its own HOME and XDG
directories, and a fake OpenAI-compatible server on 127.0.0.1. The window
is read through AT-SPI and driven with xdotool and xclip.
"""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEADLINE = 20.0
# One test, start-up and clean-up included, under a sanitizer on a busy
# machine.
TEST_TIMEOUT = 150

# CONFAB_LEAK_CHECK=1 asks for the leak check, in the sanitizer build:
# each app is then quit as a person quits it, and what LeakSanitizer
# reports when it ends fails the test. Other runs end the app with
# SIGTERM, which is quicker and checks nothing.
LEAK_CHECK = os.environ.get("CONFAB_LEAK_CHECK") == "1"
# What the toolkit keeps to the end of the process, each entry explained.
LEAK_SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                 "lsan-app.supp")
# From app.quit to the end of the process, the heap scan included, under
# AddressSanitizer on a loaded machine.
QUIT_TIMEOUT = 30


class Failure(Exception):
    pass


def wait_until(predicate, timeout=DEADLINE, interval=0.03, what="condition"):
    """Polls @predicate until it returns a true value (GTK 4.8 sends few
    AT-SPI events, so waiting means polling against a deadline). @what
    names the condition; a function for it is called only on failure, so
    it describes the state then, and costs nothing while waiting."""
    end = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < end:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # AT-SPI objects vanish while we look
            last_error = error
        time.sleep(interval)
    if callable(what):
        try:
            what = what()
        except Exception as error:
            what = f"(its description failed: {error})"
    raise Failure(f"timed out waiting for {what}" +
                  (f" (last error: {last_error})" if last_error else ""))


# --------------------------------------------------------------------------
# The fake server

class Script:
    """What the fake server answers to one request: a status, headers and
    a list of (bytes, delay-before-in-seconds) writes. `stall` keeps the
    connection open without writing until the test releases it."""

    def __init__(self, status=200, content_type="text/event-stream", writes=(),
                 stall=False, reset=False):
        self.status = status
        self.content_type = content_type
        self.writes = list(writes)
        self.stall = stall
        self.reset = reset


def sse_reply(text, pieces, delay=0.02, model="fake-model", finish="stop"):
    """An OpenAI-style stream of @text cut into @pieces deltas, ended
    with @finish as its finish_reason."""
    writes = []
    head = {"id": "c1", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                         "finish_reason": None}]}
    writes.append(("data: " + json.dumps(head, ensure_ascii=False) + "\n\n", 0))
    step = max(1, len(text) // pieces)
    for i in range(0, len(text), step):
        chunk = {"id": "c1", "object": "chat.completion.chunk", "model": model,
                 "choices": [{"index": 0, "delta": {"content": text[i:i + step]},
                              "finish_reason": None}]}
        writes.append(("data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n", delay))
    tail = {"id": "c1", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    writes.append(("data: " + json.dumps(tail) + "\n\n", delay))
    writes.append(("data: [DONE]\n\n", 0))
    return [(w.encode("utf-8"), d) for w, d in writes]


GATE = "gate"


class FakeServer:
    def __init__(self, tls=None):
        """@tls: (certificate file, key file) to answer https."""
        self.scripts = []
        self.requests = []
        # What GET /v1/models lists, in the OpenAI shape; None answers 404,
        # as servers without the endpoint do.
        self.models = ["fake-model"]
        # The GET requests, apart from the chat requests above.
        self.gets = []
        self.release = threading.Event()
        # A write whose delay is a threading.Event waits until the test
        # sets it, and one whose delay is GATE for this shared one:
        # a test can look at a state that lasts only until then.
        self.gate = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.gets.append({"path": self.path, "headers": dict(self.headers)})
                if self.path.rstrip("/").endswith("/models") and server.models is not None:
                    body = json.dumps({"object": "list", "data": [
                        {"id": m, "object": "model", "created": 1767225600,
                         "owned_by": "test"} for m in server.models]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                else:
                    body = b'{"error":{"message":"Not found","type":"invalid_request_error"}}'
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                server.requests.append({"path": self.path,
                                        "headers": dict(self.headers),
                                        "body": json.loads(body or b"{}")})
                script = server.scripts.pop(0) if server.scripts else Script(
                    status=500, content_type="text/plain",
                    writes=[(b"no script", 0)])
                self.send_response(script.status)
                self.send_header("Content-Type", script.content_type)
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for data, delay in script.writes:
                        if delay == GATE:
                            server.gate.wait(60)
                        elif isinstance(delay, threading.Event):
                            delay.wait(60)
                        elif delay:
                            time.sleep(delay)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                    if script.stall:
                        server.release.wait(60)
                    if script.reset:
                        # Linger 0, then close the descriptor itself: the
                        # peer sees a reset, not an orderly end.
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                   struct.pack("ii", 1, 0))
                        os.close(self.connection.detach())
                        self.close_connection = True
                        return
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}/v1"

    def stop(self):
        self.release.set()
        self.httpd.shutdown()


# --------------------------------------------------------------------------
# The session: Xvfb, D-Bus, the app

class Session:
    def __init__(self, app_env=None, dark=False, secret_service=True):
        """@secret_service: whether the session bus can start a Secret
        Service (gnome-keyring-daemon) on demand, as a desktop's can;
        without one, org.freedesktop.secrets has no owner."""
        self.procs = []
        self.secret_service = secret_service
        self.tmp = tempfile.mkdtemp(prefix="confab-gui-")
        self.env = dict(os.environ)
        # G_DEBUG (fatal-criticals) is for the app: pyatspi in this process
        # warns about the buses of a session being replaced.
        os.environ.pop("G_DEBUG", None)
        for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                     "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
            path = os.path.join(self.tmp, name.lower())
            os.makedirs(path, mode=0o700)
            self.env[name] = path
        self._start_xvfb()
        self._start_dbus()
        self.server = FakeServer()
        self.app = None
        # Each app started, with the file its output went to; the leak
        # check reads them all, the app's earlier runs in a test included.
        self.apps = []
        # What the second instances (`confab ARGS…`) wrote on stderr.
        self.second_outputs = []
        self.app_env = app_env or {}
        self.dark = dark

    def _start_xvfb(self):
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24",
             "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        self.procs.append(xvfb)
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        if not number:
            raise Failure("Xvfb did not start")
        self.display = ":" + number
        self.env["DISPLAY"] = self.display
        wait_until(lambda: subprocess.run(["xdotool", "getdisplaygeometry"], env=self.env,
                                          capture_output=True).returncode == 0,
                   what="Xvfb to accept connections")

    def _restart_xvfb(self):
        """A new X server, and a new bus with it: the accessibility bus
        launcher the bus starts takes its DISPLAY from the bus. The bus can
        be replaced only before pyatspi has bound to it."""
        old = [self.procs.pop(0)]
        self._start_xvfb()
        self.procs.insert(0, self.procs.pop())
        if "pyatspi" not in sys.modules:
            old.append(self.procs.pop(1))
            self._start_dbus()
            self.procs.insert(1, self.procs.pop())
        for proc in old:
            proc.terminate()
            proc.wait(5)

    def _bus_config(self):
        """A session bus that starts only the accessibility bus on demand:
        nothing can then own org.freedesktop.secrets."""
        services = os.path.join(self.tmp, "dbus-services")
        os.makedirs(services, exist_ok=True)
        shutil.copy("/usr/share/dbus-1/services/org.a11y.Bus.service", services)
        path = os.path.join(self.tmp, "session-bus.conf")
        with open(path, "w") as f:
            f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={self.env["XDG_RUNTIME_DIR"]}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
        return ["--config-file=" + path]

    def _start_dbus(self):
        config = ["--session"] if self.secret_service else self._bus_config()
        dbus = subprocess.Popen(
            ["dbus-daemon", *config, "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=self.env, text=True)
        self.procs.append(dbus)
        address = dbus.stdout.readline().strip()
        if not address:
            raise Failure("dbus-daemon did not start")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        # pyatspi in this process must talk to the same buses.
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        os.environ["DISPLAY"] = self.display

    def start_app(self, extra_env=None, args=()):
        env = dict(self.env)
        env.update({
            "GDK_BACKEND": "x11",
            "GSK_RENDERER": env.get("GSK_RENDERER", "cairo"),
            "GSETTINGS_BACKEND": "memory",
            "ADW_DISABLE_PORTAL": "1",
            "GTK_IM_MODULE": "gtk-im-context-simple",
            "OPENAI_BASE_URL": self.server.base_url,
            "OPENAI_DEFAULT_MODEL": "fake-model",
            "LANG": env.get("CONFAB_TEST_LANG", "C.UTF-8"),
        })
        env.pop("OPENAI_API_KEY", None)
        env.pop("GTK_A11Y", None)
        if self.dark:
            env["ADW_DEBUG_COLOR_SCHEME"] = "prefer-dark"
        env.update(self.app_env)
        env.update(extra_env or {})
        # criticals.so makes every critical but one known one of GTK's
        # fatal (see criticals.c), as G_DEBUG=fatal-criticals would make
        # them all; a module the test preloads comes after it.
        criticals = os.environ.get("CONFAB_CRITICALS_MODULE")
        if criticals:
            env["LD_PRELOAD"] = ":".join(p for p in (criticals, env.get("LD_PRELOAD")) if p)
            env.pop("G_DEBUG", None)
            asan = env.get("ASAN_OPTIONS")
            if "verify_asan_link_order" not in (asan or ""):
                # The module comes before the sanitizer's runtime, which
                # is fine.
                env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        if LEAK_CHECK:
            add_leak_check(env)
        binary = os.environ["CONFAB_BINARY"]
        self.app_env_full = env
        for attempt in range(3):
            # A file for each start: a test that restarts the app keeps
            # what the first run wrote when it ended.
            self.log_path = os.path.join(self.tmp, f"confab-{len(self.apps) + 1}-{attempt}.log")
            self.log = open(self.log_path, "w")
            self.app = subprocess.Popen([binary, *args], env=env, stdout=self.log,
                                        stderr=self.log)
            self.procs.append(self.app)
            # Seen in a loaded CI run: a fresh Xvfb that answered xdotool
            # still refused the app. Another server on another display
            # has always worked.
            end = time.monotonic() + 3
            while (time.monotonic() < end and self.app.poll() is None
                   and not self._x_window_id()):
                time.sleep(0.05)
            # Also seen once under load with a sanitizer build: the app
            # could not register its name on the fresh session bus.
            log = self.app_log()
            if self.app.poll() is None or ("cannot open display" not in log and
                                           "Unable to register" not in log):
                break
            self._restart_xvfb()
            env["DISPLAY"] = self.display
            env["DBUS_SESSION_BUS_ADDRESS"] = self.env["DBUS_SESSION_BUS_ADDRESS"]
        # Only the start that worked: one that found no display ended in
        # GTK's start-up, not in Confab's code.
        self.apps.append((self.app, self.log_path))
        import pyatspi  # noqa: E402 (the bus address must be set first)
        self.pyatspi = pyatspi
        self.window = wait_until(self._find_window, what="the Confab window")
        self.window_id = wait_until(self._x_window_id, what="the X window")
        subprocess.run(["xdotool", "windowactivate", "--sync", self.window_id],
                       env=self.env, check=False, stderr=subprocess.DEVNULL)
        subprocess.run(["xdotool", "windowfocus", "--sync", self.window_id],
                       env=self.env, check=False)
        return self.app

    def run_confab(self, *args, timeout=DEADLINE):
        """Runs `confab ARGS…` as a second instance would be run from a
        terminal or a desktop shortcut, in the app's environment; returns
        the finished process (returncode, stdout, stderr)."""
        done = subprocess.run([os.environ["CONFAB_BINARY"], *args], env=self.app_env_full,
                              capture_output=True, text=True, timeout=timeout)
        self.second_outputs.append(done.stderr)
        return done

    def activate_action(self, name, parameter=None):
        """Activates the application action @name over D-Bus, as a GNOME
        custom shortcut running `gdbus call` does."""
        params = f"[<{parameter}>]" if parameter is not None else "[]"
        return subprocess.run(["gdbus", "call", "--session", "--dest", "io.github.confab.Confab",
                               "--object-path", "/io/github/confab/Confab",
                               "--method", "org.gtk.Actions.Activate", name, params, "{}"],
                              env=self.env, capture_output=True, text=True, timeout=DEADLINE)

    def _find_window(self):
        if self.app.poll() is not None:
            raise Failure(f"confab exited with {self.app.returncode}: {self.app_log()}")
        desktop = self.pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            if app is None or app.name != "confab":
                continue
            for j in range(app.childCount):
                window = app.getChildAtIndex(j)
                if window is not None and window.getRoleName() in ("frame", "window"):
                    return window
        return None

    def _x_window_id(self):
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid",
                              str(self.app.pid)],
                             env=self.env, capture_output=True, text=True).stdout.split()
        return out[-1] if out else None

    def app_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except (AttributeError, OSError):
            return ""

    def quit_app(self):
        """Quits the app as a person does, with app.quit (what Ctrl+Q
        activates, here over D-Bus), and waits for it to end: LeakSanitizer
        checks the heap on the way out. An app already ended, by the test
        or killed on purpose, is left as it is."""
        if self.app is None or self.app.poll() is not None:
            return
        try:
            done = self.activate_action("quit")
            said = done.stderr.strip()
        except subprocess.TimeoutExpired:
            said = "gdbus timed out"
        try:
            self.app.wait(QUIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"confab did not end within {QUIT_TIMEOUT} s of app.quit"
                          + (f" (gdbus: {said})" if said else ""))
        # 23 is LeakSanitizer's status, and its report says more.
        if self.app.returncode not in (0, 23):
            raise Failure(f"confab ended with {self.app.returncode} after app.quit")

    def sanitizer_reports(self):
        """What LeakSanitizer said when each app of the test ended, as
        lists of lines; a killed app says nothing."""
        outputs = []
        for _, path in self.apps:
            try:
                with open(path, errors="replace") as f:
                    outputs.append(f.read())
            except OSError:
                continue
        reports = []
        for text in outputs + self.second_outputs:
            reports.extend(leak_reports(text))
        return reports

    # ---- finding things

    def find_all(self, predicate, root=None):
        found = []
        stack = [root or self.window]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            try:
                if predicate(node):
                    found.append(node)
                # Reversed, so nodes come out in reading order.
                stack.extend(node.getChildAtIndex(i)
                             for i in reversed(range(node.childCount)))
            except Exception:
                continue
        return found

    def find(self, name=None, role=None, root=None):
        def match(node):
            return ((name is None or node.name == name) and
                    (role is None or node.getRoleName() == role))
        nodes = self.find_all(match, root)
        return nodes[0] if nodes else None

    def showing(self, node):
        return node.getState().contains(self.pyatspi.STATE_SHOWING)

    @staticmethod
    def is_button(node):
        return node.getRoleName() in ("push button", "button", "toggle button")

    def sensitive(self, node):
        return node.getState().contains(self.pyatspi.STATE_SENSITIVE)

    def buttons(self, name):
        """Buttons named @name that can be pressed now. GTK 4.8 reports no
        'showing' state, and lists the hidden pages of a GtkStack too, so
        sensitivity (the button's action is enabled) is what tells."""
        return [b for b in self.find_all(lambda n: self.is_button(n) and n.name == name)
                if self.sensitive(b)]

    def button(self, name):
        return wait_until(lambda: next(iter(self.buttons(name)), None),
                          what=f"button “{name}”")

    def press(self, name, node=None):
        node = node or self.button(name)
        action = node.queryAction()
        for i in range(action.nActions):
            if action.getName(i) in ("click", "press", "activate"):
                action.doAction(i)
                return
        action.doAction(0)

    def click(self, node):
        """Clicks the middle of @node with the mouse, as a person would."""
        extents = node.queryComponent().getExtents(self.pyatspi.WINDOW_COORDS)
        out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", self.window_id],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        values = dict(line.split("=", 1) for line in out.split())
        x = int(values["X"]) + extents.x + extents.width // 2
        y = int(values["Y"]) + extents.y + extents.height // 2
        subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", "1"],
                       env=self.env, check=True)

    def label(self, text):
        """The first label showing @text."""
        return wait_until(lambda: next(iter(self.find_all(
            lambda n: n.getRoleName() == "label" and self.text_of(n) == text)), None),
            what=f"a label “{text}”")

    @staticmethod
    def text_of(node):
        text = node.queryText()
        return text.getText(0, text.characterCount)

    def text_views(self):
        """The message texts, in order (AT-SPI role 'text'): those of the
        conversation shown (its box is labelled "Conversation"), not the
        composer's or the sidebar's search entry."""
        box = self.find(name="Conversation")
        if box is None:
            return []
        # The Thinking section's text is the model's reasoning, not a
        # message.
        return [n for n in self.find_all(lambda n: n.getRoleName() in ("text", "entry") and
                                         n.name != "Thinking", root=box)]

    def message_texts(self):
        # A row removed while it is read (an edit truncates the chat)
        # loses its text interface on the way: read again.
        for _ in range(10):
            try:
                return [self.text_of(v) for v in self.text_views()]
            except Exception:
                time.sleep(0.05)
        return [self.text_of(v) for v in self.text_views()]

    def labels(self):
        # A label can vanish while it is read (a toast times out, a row is
        # made again): it is then left out, not an error.
        found = []
        for node in self.find_all(lambda n: n.getRoleName() == "label"):
            try:
                found.append(self.text_of(node))
            except Exception:
                continue
        return found

    # ---- keyboard and clipboard

    def key(self, *keys):
        subprocess.run(["xdotool", "key", "--clearmodifiers", *keys], env=self.env, check=True)

    def type_ascii(self, text):
        subprocess.run(["xdotool", "type", "--delay", "5", text], env=self.env, check=True)

    def type_text(self, text):
        """Types any text on the keyboard. xdotool alone loses or doubles
        characters outside the keymap (it remaps one scratch keycode per
        character while GTK re-reads the keymap late), so each such
        character first gets a free keycode of its own; with more of them
        than free keycodes, the text is typed in parts."""
        table = subprocess.run(["xmodmap", "-pke"], env=self.env, capture_output=True,
                               text=True, check=True).stdout
        free = [int(line.split()[1]) for line in table.splitlines()
                if line.startswith("keycode") and line.rstrip().endswith("=")]
        part, wanted = "", []
        for char in text + "\0":
            new = ord(char) > 126 and char not in wanted
            if char == "\0" or (new and len(wanted) == len(free)):
                args = []
                for c, keycode in zip(wanted, free):
                    args += ["-e", f"keycode {keycode} = U{ord(c):04X}"]
                if args:
                    subprocess.run(["xmodmap", *args], env=self.env, check=True)
                    time.sleep(0.3)
                subprocess.run(["xdotool", "type", "--delay", "20", part], env=self.env,
                               check=True)
                part, wanted = "", []
                new = ord(char) > 126
            if new:
                wanted.append(char)
            part += char if char != "\0" else ""

    def set_clipboard(self, text):
        """xclip keeps owning the selection while it runs in the background."""
        proc = subprocess.Popen(["xclip", "-selection", "clipboard", "-i", "-loops", "1"],
                                stdin=subprocess.PIPE, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc.stdin.write(text.encode("utf-8"))
        proc.stdin.close()
        self.procs.append(proc)
        time.sleep(0.1)

    def get_clipboard(self):
        out = subprocess.run(["xclip", "-selection", "clipboard", "-o"], env=self.env,
                             capture_output=True, timeout=5)
        return out.stdout.decode("utf-8", errors="replace") if out.returncode == 0 else None

    def paste(self, text):
        self.set_clipboard(text)
        self.key("ctrl+v")

    def screenshot(self, path):
        subprocess.run(["import", "-display", self.display, "-window", "root", path],
                       env=self.env, check=False)

    def close(self):
        # What the test left running: under the leak check the app was
        # quit before, and this ends only one that would not.
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(5)
            except subprocess.TimeoutExpired:
                self.app.kill()
        self.server.stop()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------
# The leak check

def add_leak_check(env):
    """Turns LeakSanitizer on in the app's environment @env, with the
    toolkit's suppressions. The later of two settings of an option wins.
    The slow unwinder gives stacks through the system's libraries, which
    keep no frame pointers, so the suppressions find the toolkit's frames
    in them. It unwinds at every allocation: 16 frames (down from 30)
    still reach the caller in Confab's code and keep a test's time under
    twice what it takes without the check."""
    asan = env.get("ASAN_OPTIONS")
    env["ASAN_OPTIONS"] = ((asan + ":" if asan else "") +
                           "detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=16")
    lsan = env.get("LSAN_OPTIONS")
    env["LSAN_OPTIONS"] = ((lsan + ":" if lsan else "") +
                           "suppressions=" + os.path.normpath(LEAK_SUPPRESSIONS))


def leak_reports(text):
    """What the sanitizers reported in a process's output @text, each
    report as a list of lines: LeakSanitizer's leaks and AddressSanitizer's
    errors from the error to the summary, UndefinedBehaviorSanitizer's
    line, and a fatal error of LeakSanitizer's own (then nothing was
    checked)."""
    reports = []
    report = None
    for line in text.splitlines():
        if "ERROR: LeakSanitizer:" in line or "ERROR: AddressSanitizer:" in line:
            report = []
        elif ("LeakSanitizer has encountered a fatal error" in line
              or "runtime error:" in line):
            reports.append([line])
        if report is not None:
            report.append(line)
            if line.startswith("SUMMARY: "):
                reports.append(report)
                report = None
    if report is not None:
        reports.append(report)
    return reports


def print_reports(reports):
    for report in reports:
        for line in report:
            print(f"# leak: {line}", flush=True)


# --------------------------------------------------------------------------
# TAP

def run_one(func, name):
    """Runs one test in a fresh session; returns 0 on success. Under the
    leak check, a test whose app leaked fails, with the leaks' stacks."""
    session = None
    try:
        # A test says what its session lacks in its function's
        # session_options, such as {"secret_service": False}.
        session = Session(**getattr(func, "session_options", {}))
        func(session)
        if LEAK_CHECK:
            session.quit_app()
            reports = session.sanitizer_reports()
            if reports:
                print("# LeakSanitizer found leaks in confab:", flush=True)
                print_reports(reports)
                return 1
        return 0
    except Exception as error:
        for line in str(error).splitlines() or ["(no message)"]:
            print(f"# {line}", flush=True)
        if not isinstance(error, Failure):
            import traceback
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)
        if session is not None:
            shot = os.environ.get("CONFAB_GUI_FAILSHOT_DIR")
            if shot:
                session.screenshot(os.path.join(shot, f"fail-{name}.png"))
            for line in session.app_log().splitlines()[-30:]:
                print(f"# app: {line}", flush=True)
            if LEAK_CHECK:
                # An app the test ended itself (Ctrl+Q) and found to end
                # with LeakSanitizer's status shows why.
                print_reports(session.sanitizer_reports())
        return 1
    finally:
        if session is not None:
            session.close()


def run_child(name):
    """Runs one test in a child process; returns its exit status (None
    after TEST_TIMEOUT) and its output lines."""
    env = dict(os.environ, CONFAB_GUI_CHILD=name)
    # Each test runs in a session of its own, with its output in a
    # file: if it dies without cleaning up, what it started (Xvfb, the
    # buses, the app) is killed with it and holds no pipe open.
    with tempfile.TemporaryFile("w+") as output:
        child = subprocess.Popen([sys.executable, sys.argv[0]], env=env,
                                 stdin=subprocess.DEVNULL, stdout=output,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = child.wait(TEST_TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = None
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
        output.seek(0)
        return returncode, output.read().splitlines()


def report_child(returncode, lines):
    """Prints why a child failed, as TAP comments."""
    if returncode is None:
        print(f"# no result after {TEST_TIMEOUT} s", flush=True)
    elif returncode < 0:
        print(f"# the test process died of signal {-returncode}", flush=True)
    for line in lines:
        if line.startswith("#") or "CRITICAL" in line or "WARNING" in line:
            print(line if line.startswith("#") else f"# {line}", flush=True)


def run(tests):
    """Runs (name, function(session)) pairs and prints TAP. Each test runs
    in a process of its own, since pyatspi binds to the session bus of the
    first session it sees."""
    child = os.environ.get("CONFAB_GUI_CHILD")
    if child:
        return run_one(dict(tests)[child], child)

    print(f"1..{len(tests)}", flush=True)
    failures = 0
    for number, (name, _) in enumerate(tests, 1):
        started = time.monotonic()
        returncode, lines = run_child(name)
        first = None
        if returncode != 0:
            # Once more, in a fresh session: a desktop under Xvfb on a
            # loaded two-core machine now and then misses a deadline. A
            # test that fails twice fails; one that fails once says so.
            first = (returncode, lines)
            returncode, lines = run_child(name)
        took = time.monotonic() - started
        if returncode == 0:
            if first is None:
                print(f"ok {number} {name} # {took:.1f} s", flush=True)
            else:
                print(f"ok {number} {name} # {took:.1f} s, passed on the second try", flush=True)
                print("# the first try failed:", flush=True)
                report_child(*first)
        else:
            failures += 1
            print(f"not ok {number} {name}", flush=True)
            report_child(returncode, lines)
    return 1 if failures else 0
