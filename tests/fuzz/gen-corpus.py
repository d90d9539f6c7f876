#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the fuzzers' seed corpora from the unit tests' inputs.

The tests keep their inputs as C string literals in tables, so this reads
the literals back: adjacent literals and the object-like macros made of
literals (OPENAI_HEAD and the like) are joined as the compiler joins them,
and escapes are decoded to the exact bytes. The seeds follow the tests
with no copy to keep up to date.

usage: gen-corpus.py OUTDIR TESTS_DIR
"""

import hashlib
import os
import re
import sys

TOKEN = re.compile(
    rb'(?P<comment>/\*.*?\*/|//[^\n]*)'
    rb'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    rb'|(?P<char>\'(?:[^\'\\\n]|\\.)*\')'
    rb'|(?P<define>^[ \t]*#[ \t]*define[ \t]+(?P<name>\w+)(?P<params>\([^)]*\))?'
    rb'(?P<body>(?:[^\n]|\\\n)*))'
    rb'|(?P<directive>^[ \t]*#(?:[^\n]|\\\n)*)'
    rb'|(?P<word>\w+)'
    rb'|(?P<other>\S)',
    re.S | re.M)

SIMPLE = {b'n': b'\n', b'r': b'\r', b't': b'\t', b'a': b'\a', b'b': b'\b', b'f': b'\f',
          b'v': b'\v', b'\\': b'\\', b'"': b'"', b"'": b"'", b'?': b'?'}


def decode(literal):
    """The bytes of one C string literal, quotes included."""
    body = literal[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i:i + 1]
        if c != b'\\':
            out += c
            i += 1
            continue
        e = body[i + 1:i + 2]
        if e in SIMPLE:
            out += SIMPLE[e]
            i += 2
        elif e == b'x':
            m = re.match(rb'[0-9a-fA-F]+', body[i + 2:])
            out.append(int(m.group(0), 16) & 0xff)
            i += 2 + len(m.group(0))
        elif e.isdigit():
            m = re.match(rb'[0-7]{1,3}', body[i + 1:])
            out.append(int(m.group(0), 8) & 0xff)
            i += 1 + len(m.group(0))
        else:
            raise ValueError('unknown escape in %r' % literal)
    return bytes(out)


def literals(path):
    """Every run of adjacent string literals in @path, joined."""
    with open(path, 'rb') as f:
        source = f.read()
    macros = {}
    runs = []
    current = None

    def flush():
        nonlocal current
        if current is not None:
            runs.append(bytes(current))
        current = None

    def join(tokens):
        """The bytes of a run of literals and string macros, or None."""
        out = bytearray()
        for kind, text in tokens:
            if kind == 'string':
                out += decode(text)
            elif kind == 'word' and text in macros:
                out += macros[text]
            else:
                return None
        return bytes(out)

    for m in TOKEN.finditer(source):
        kind = 'define' if m.group('define') is not None else m.lastgroup
        if kind in ('comment', 'directive'):
            continue
        if kind == 'define':
            flush()
            if m.group('params') is None:
                body = m.group('body').replace(b'\\\n', b' ')
                tokens = [(t.lastgroup, t.group(0)) for t in TOKEN.finditer(body)
                          if t.lastgroup != 'comment']
                value = join(tokens) if tokens else None
                if value is not None:
                    macros[m.group('name')] = value
            continue
        text = m.group(0)
        if kind == 'string' or (kind == 'word' and text in macros):
            if current is None:
                current = bytearray()
            current += decode(text) if kind == 'string' else macros[text]
        else:
            flush()
    flush()
    return runs


def is_json(data):
    """Text that starts like a JSON object or list."""
    return re.match(rb'(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]', data) is not None and len(data) > 1


def is_sse(data):
    return re.search(rb'(?:^|[\r\n])(?:data|event|id|retry)(?::|[\r\n])', data) is not None


def write(outdir, target, seeds):
    folder = os.path.join(outdir, target)
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.unlink(os.path.join(folder, old))
    for seed in set(seeds):
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(seed)
    return len(set(seeds))


def main():
    outdir, tests = sys.argv[1], sys.argv[2]

    def read(name):
        return literals(os.path.join(tests, name))

    # The SSE fuzzer's first three bytes choose the splits and the line
    # bound (fuzz-sse-chunk.c): each stream is given a few of them.
    headers = [b'\x00\x00\x00', b'\x01\x00\x00', b'\x07\x05\x00', b'\x2a\x3f\x00',
               b'\x03\x02\x10']
    streams = [s for s in read('test-sse-parser.c') + read('test-client.c') if is_sse(s)]
    streams += [b'data: ' + s + b'\n\n' for s in read('test-chunk-parser.c') if is_json(s)]
    sse = [headers[i % len(headers)] + s for i, s in enumerate(streams)]
    sse += [h + streams[0] for h in headers if streams]

    models = [s for s in read('test-models.c') if is_json(s)]
    transfer = [s for s in read('test-transfer.c') if is_json(s)]

    # The Markdown fuzzer's first byte chooses the streaming step.
    texts = [s for s in read('test-markdown.c') if len(s) > 1]
    markdown = [headers[i % len(headers)][:1] + s for i, s in enumerate(texts)]

    counts = {
        'markdown': write(outdir, 'markdown', markdown),
        'sse-chunk': write(outdir, 'sse-chunk', sse),
        'models': write(outdir, 'models', models),
        'transfer': write(outdir, 'transfer', transfer),
    }
    for target, count in counts.items():
        if count == 0:
            sys.exit('gen-corpus: no seeds for %s' % target)


if __name__ == '__main__':
    main()
