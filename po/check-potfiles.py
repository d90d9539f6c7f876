#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a source with translatable strings is missing from
po/POTFILES.in, or when POTFILES.in names a file that does not exist."""

import pathlib
import re
import sys

top = pathlib.Path(sys.argv[1])
listed = {line.strip() for line in (top / "po" / "POTFILES.in").read_text().splitlines()
          if line.strip() and not line.startswith("#")}
marker = re.compile(r'(?<![A-Za-z0-9_])(_|N_|C_|ngettext)\s*\(\s*"|translatable="yes"|'
                    r'<(summary|description)>', re.M)
# Keys a desktop file translates; a D-Bus service file has a Name too.
desktop_marker = re.compile(r'^(Name|GenericName|Comment|Keywords)=', re.M)

problems = []
for path in sorted(listed):
    if not (top / path).is_file():
        problems.append(f"POTFILES.in names a missing file: {path}")

for folder in ("src", "data"):
    for path in sorted((top / folder).rglob("*")):
        if path.suffix not in (".c", ".ui", ".in", ".xml") or not path.is_file():
            continue
        relative = path.relative_to(top).as_posix()
        if relative.endswith(".gresource.xml"):
            continue
        text = path.read_text(encoding="utf-8")
        translatable = marker.search(text) or ("[Desktop Entry]" in text and
                                               desktop_marker.search(text))
        if translatable and relative not in listed:
            problems.append(f"translatable strings in {relative}, which POTFILES.in lacks")

for problem in problems:
    print(problem)
print(f"{len(problems)} problem(s) in {len(listed)} listed files")
sys.exit(1 if problems else 0)
