#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a translation does not compile with msgfmt --check, or has
an untranslated or fuzzy message, or a message whose mnemonic (_X) or
closing ellipsis (…) the translation lost.

Usage: check-translations.py MSGFMT FILE.po…"""

import ast
import re
import subprocess
import sys


def messages(path):
    """Yields (msgctxt, msgid, [msgstr…]) for each message but the header."""
    text = open(path, encoding="utf-8").read()
    for block in text.split("\n\n"):
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
            yield fields.get("msgctxt"), fields["msgid"], strs


def main():
    msgfmt = sys.argv[1]
    problems = []
    for path in sys.argv[2:]:
        result = subprocess.run([msgfmt, "--check", "--statistics", "-o", "/dev/null", path],
                                capture_output=True, text=True)
        # Statistics go to stderr: "N translated messages, M fuzzy
        # translations, K untranslated messages."
        report = result.stderr.strip()
        print(f"{path}: {report}")
        if result.returncode != 0:
            problems.append(f"{path}: msgfmt --check failed")
        if re.search(r"\d+ (fuzzy|untranslated)", report):
            problems.append(f"{path}: has fuzzy or untranslated messages")
        for context, msgid, strs in messages(path):
            mnemonic = re.search(r"(?<![A-Za-z0-9])_([A-Za-z])", msgid)
            for msgstr in strs:
                if mnemonic and msgstr.count("_") != msgid.count("_"):
                    problems.append(f"{path}: “{msgid}” lost its mnemonic: “{msgstr}”")
                if msgid.endswith("…") != msgstr.endswith("…"):
                    problems.append(f"{path}: “{msgid}” and “{msgstr}” differ in the ellipsis")
                if "..." in msgstr:
                    problems.append(f"{path}: “{msgstr}” has three dots, not “…”")

    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
