#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a translation lacks a message the sources have now.

The template is made again from POTFILES.in with xgettext, with the
keywords of meson's 'glib' preset, and every message of it (with its
context) must be in each .po. A string added or changed in the code
without updating the translations fails here, not in a user's language.

Usage: check-current.py XGETTEXT SOURCE_ROOT FILE.po…"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

xgettext, root, *pos = sys.argv[1:]
sources = [line.strip() for line in open(os.path.join(root, "po", "POTFILES.in"))
           if line.strip() and not line.startswith("#")]

with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, "current.pot")
    subprocess.run([xgettext, "--from-code=UTF-8", "--add-comments", "--output", pot,
                    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
                    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3",
                    "--keyword=g_dpgettext2:2c,3", "--keyword=ngettext:1,2",
                    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format",
                    "--flag=NC_:2:pass-c-format", "--flag=g_dngettext:2:pass-c-format",
                    "--flag=g_strdup_printf:1:c-format", "--flag=g_string_printf:2:c-format",
                    "--flag=g_string_append_printf:2:c-format",
                    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format"]
                   + sources, cwd=root, check=True)
    checker = import_module("check-translations")
    wanted = {(ctx, msgid) for ctx, msgid, _ in checker.messages(pot)}
    print(f"{len(wanted)} messages in the sources")

problems = 0
for path in pos:
    have = {(ctx, msgid) for ctx, msgid, _ in checker.messages(path)}
    for ctx, msgid in sorted(wanted - have, key=lambda m: (m[0] or "", m[1])):
        print(f"{os.path.basename(path)} lacks {msgid!r}" + (f" ({ctx})" if ctx else ""))
        problems += 1
print(f"{problems} message(s) missing in {len(pos)} translation(s)")
sys.exit(1 if problems else 0)
