#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest without building it (no network here).

    check-flatpak-manifest.py MANIFEST APP_ID COMMAND MESON_OPTIONS

The manifest must be JSON, name the app id and command the build installs,
use the GNOME runtime and SDK, ask for no more than the network, IPC, the
display and the GPU (files go through the portals, keys through the Secret
portal), pin every source it downloads by sha256 or by commit, and build
this tree with options that meson_options.txt defines.
"""

import json
import os
import re
import sys

ALLOWED_FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
}
# meson's own options, which meson_options.txt does not list.
BUILTIN_OPTIONS = {"buildtype", "prefix", "libdir", "werror", "b_lto", "optimization",
                   "debug", "b_ndebug"}

errors = []


def check(condition, message):
    if not condition:
        errors.append(message)


def walk(modules, where="modules"):
    for index, module in enumerate(modules):
        if isinstance(module, str):
            errors.append(f"{where}[{index}] is a file reference ({module}): "
                          "keep every module in the manifest, where this test sees it")
            continue
        yield module
        yield from walk(module.get("modules", []), f"{module.get('name')}.modules")


def main():
    manifest_path, app_id, command, options_path = sys.argv[1:5]
    with open(manifest_path, encoding="utf-8") as f:
        try:
            manifest = json.load(f)
        except json.JSONDecodeError as error:
            print(f"not ok 1 the manifest is not JSON: {error}")
            return 1

    check(manifest.get("id", manifest.get("app-id")) == app_id,
          f"the app id is {manifest.get('id')!r}, not {app_id!r}")
    check(manifest.get("command") == command,
          f"the command is {manifest.get('command')!r}, not {command!r}")
    check(manifest.get("runtime") == "org.gnome.Platform",
          f"the runtime is {manifest.get('runtime')!r}")
    check(manifest.get("sdk") == "org.gnome.Sdk", f"the SDK is {manifest.get('sdk')!r}")
    check(re.fullmatch(r"\d+", str(manifest.get("runtime-version", ""))),
          f"the runtime version {manifest.get('runtime-version')!r} is no GNOME release")

    finish_args = manifest.get("finish-args", [])
    for arg in finish_args:
        check(arg in ALLOWED_FINISH_ARGS, f"finish-arg {arg} asks for more than Confab needs")
    for arg in ALLOWED_FINISH_ARGS:
        check(arg in finish_args, f"finish-arg {arg} is missing")

    with open(options_path, encoding="utf-8") as f:
        own_options = set(re.findall(r"option\(\s*'([^']+)'", f.read()))

    top = os.path.dirname(os.path.abspath(manifest_path))
    modules = list(walk(manifest.get("modules", [])))
    apps = []
    for module in modules:
        name = module.get("name", "?")
        sources = module.get("sources", [])
        check(sources, f"module {name} has no sources")
        for source in sources:
            kind = source.get("type")
            if kind == "dir":
                apps.append(module)
                path = os.path.normpath(os.path.join(top, source.get("path", "")))
                meson_build = os.path.join(path, "meson.build")
                check(os.path.isfile(meson_build) and
                      "project('confab'" in open(meson_build, encoding="utf-8").read(),
                      f"module {name}: {source.get('path')} is not this tree")
            elif kind in ("archive", "file"):
                check(re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")),
                      f"module {name}: {source.get('url')} has no sha256")
                check(source.get("url", "").startswith("https://"),
                      f"module {name}: {source.get('url')} is not https")
            elif kind == "git":
                check(re.fullmatch(r"[0-9a-f]{40}", source.get("commit", "")),
                      f"module {name}: {source.get('url')} is not pinned to a commit")
            else:
                errors.append(f"module {name}: a source of type {kind!r} this test cannot check")

    check(len(apps) == 1 and apps and apps[0] is modules[-1],
          "the last module, and only it, must build this tree")
    for app in apps:
        check(app.get("buildsystem") == "meson", "the app module is not built with meson")
        for opt in app.get("config-opts", []):
            match = re.fullmatch(r"-D([a-z_]+)=.*", opt)
            check(match and (match.group(1) in own_options or
                             match.group(1) in BUILTIN_OPTIONS),
                  f"the app module's option {opt} is not a meson option of ours")

    if errors:
        print("not ok 1 the Flatpak manifest")
        for error in errors:
            print(f"# {error}")
        return 1
    print("ok 1 the Flatpak manifest")
    return 0


if __name__ == "__main__":
    print("1..1")
    sys.exit(main())
