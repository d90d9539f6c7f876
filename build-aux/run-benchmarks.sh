#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds Confab optimised in _build-release and runs every benchmark, as
# docs/benchmarks.md reports them. With node and npm on the machine, the
# OpenAI SDK for Node is installed into _build-release/sdk first, for
# bench-parse's comparison (CONFAB_BENCH_NO_SDK=1 leaves it out).
# Figures go to the terminal and to _build-release/meson-logs/benchmarklog.txt.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build-release"

if [ -f "$build/build.ninja" ]; then
  meson configure "$build" -Dbuildtype=release >/dev/null
else
  meson setup "$build" -Dbuildtype=release
fi
ninja -C "$build"

if [ -z "${CONFAB_BENCH_NO_SDK:-}" ] && command -v node >/dev/null && command -v npm >/dev/null; then
  if [ ! -f "$build/sdk/node_modules/openai/package.json" ]; then
    npm install --prefix "$build/sdk" --no-audit --no-fund --silent openai
  fi
  CONFAB_BENCH_NODE_MODULES="$build/sdk/node_modules"
  export CONFAB_BENCH_NODE_MODULES
fi

exec meson test -C "$build" --benchmark --verbose --num-processes 1 "$@"
