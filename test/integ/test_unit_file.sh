#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_unit_file.sh - systemd/mstackd.service passes systemd-analyze verify (pointed at this build's binary).
set -u
BIN=${MSTACK_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/sbin/mstackd|$BIN/mstackd|g" "$(dirname "$0")/../../systemd/mstackd.service" > "$dir/mstackd.service"
# Man pages are not installed in a build tree: ignore only those complaints.
out=$(systemd-analyze verify "$dir/mstackd.service" 2>&1 | grep -v "Command 'man ")
if [ -n "$out" ]; then
	echo "FAIL: systemd-analyze verify: $out"
	exit 1
fi
grep -q "^Type=notify" "$dir/mstackd.service" && grep -q "^WatchdogSec=" "$dir/mstackd.service" &&
	grep -q "^ExecStartPre=.*-n" "$dir/mstackd.service" || { echo "FAIL: unit lacks notify/watchdog/-n"; exit 1; }
echo "PASS: systemd-analyze verify mstackd.service"
