#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usage: run-fuzzer.sh FUZZER DICT SEEDS WORKDIR
#
# Runs FUZZER for CONFAB_FUZZ_SECONDS (30 by default) from the seeds. New
# inputs go to WORKDIR/corpus, never among the seeds, and a crash to
# WORKDIR/crash-*, which the log names; the exit status is 1 then.
set -eu

fuzzer=$1
dict=$2
seeds=$3
work=$4
seconds=${CONFAB_FUZZ_SECONDS:-30}

mkdir -p "$work/corpus"
# libFuzzer's own exit status for a crash is 77, which meson reads as a
# skipped test: every failure is 1 here, whatever found it.
rc=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 -dict="$dict" \
  -artifact_prefix="$work/" "$work/corpus" "$seeds" || rc=$?
[ "$rc" -eq 0 ] || exit 1
