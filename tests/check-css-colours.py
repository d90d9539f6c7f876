#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails on a colour written out in Confab's CSS.

Colours come from libadwaita's named colours (@accent_color,
@window_fg_color, alpha (currentColor, 0.1), ...), so that the light, dark
and high-contrast styles all apply (STYLE.md §10): no #hex, rgb (), rgba (),
hsl () or colour keyword but transparent and currentColor.

    check-css-colours.py FILE.css...
"""

import re
import sys

LITERAL = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(rgba?|hsla?)\s*\(|"
                     r":\s*(black|white|red|green|blue|gray|grey|yellow|orange|purple)\b")

problems = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), f.read(), flags=re.S)
    for number, line in enumerate(text.splitlines(), 1):
        if LITERAL.search(line):
            print(f"{path}:{number}: a colour that is not a named one: {line.strip()}")
            problems += 1
print(f"{problems} colour(s) outside the named colours")
sys.exit(1 if problems else 0)
