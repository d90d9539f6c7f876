#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Confab authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a test on a D-Bus session bus of its own, with a real Secret
# Service (gnome-keyring-daemon) whose login keyring is made unlocked, and
# HOME, XDG and TMPDIR in a folder of its own, so that the test can scan
# every file written and the user's own keyring is never touched.
#
#   run-with-keyring.sh PROGRAM ARGS...                 with a keyring
#   run-with-keyring.sh --no-keyring PROGRAM ARGS...    a bus without one
#
# The test learns the mode and the folder from CONFAB_TEST_KEYRING
# ("keyring" or "none") and CONFAB_TEST_KEYRING_ROOT.
set -eu

mode=keyring
if [ "${1:-}" = "--no-keyring" ]; then
  mode=none
  shift
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/confab-keyring-XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
mkdir -p "$root/home" "$root/data" "$root/config" "$root/cache" "$root/tmp" "$root/runtime"
chmod 700 "$root/runtime"

# No service folders: nothing on the bus is started on demand, so
# without the daemon below org.freedesktop.secrets has no owner.
cat > "$root/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$root/runtime</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF

export HOME="$root/home" XDG_DATA_HOME="$root/data" XDG_CONFIG_HOME="$root/config"
export XDG_CACHE_HOME="$root/cache" XDG_RUNTIME_DIR="$root/runtime" TMPDIR="$root/tmp"
export CONFAB_TEST_KEYRING="$mode" CONFAB_TEST_KEYRING_ROOT="$root"
unset DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL

# The daemon reads the login password on standard input and creates the
# login keyring with it, unlocked, as a desktop session does at log-in.
# It is not ours to debug: the tests' G_DEBUG and sanitizer options stay
# away from it. It leaves when the bus goes away with the session.
rc=0
dbus-run-session --config-file="$root/bus.conf" -- sh -c '
  if [ "$0" = keyring ]; then
    printf "confab-test-password" |
      env -u G_DEBUG -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS \
        gnome-keyring-daemon --unlock --components=secrets >/dev/null
  fi
  exec "$@"' "$mode" "$@" || rc=$?
exit "$rc"
