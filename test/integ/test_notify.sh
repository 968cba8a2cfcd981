#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_notify.sh - the sd_notify protocol: READY=1 only once ports are up, STATUS=, WATCHDOG=1 while
# the datapath runs, STOPPING=1 on SIGTERM, read from a NOTIFY_SOCKET of the test's own.
source "$(dirname "$0")/lib.sh"
NOTIFY_LOG=$WORK/notify.log
start_bg python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    msg = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(msg.replace("\n", "|") + "\n")
' "$WORK/notify.sock" "$NOTIFY_LOG"
wait_for 5 test -S "$WORK/notify.sock" || fail "notify listener"
export NOTIFY_SOCKET=$WORK/notify.sock
integ_start
unset NOTIFY_SOCKET
wait_for 5 grep -q "READY=1" "$NOTIFY_LOG" || fail "no READY=1"
grep "READY=1" "$NOTIFY_LOG" | grep -q "STATUS=running" || fail "READY without STATUS"
grep -q "STATUS=starting" "$NOTIFY_LOG" || fail "no STATUS before READY"
[ "$(grep -n READY=1 "$NOTIFY_LOG" | cut -d: -f1)" -gt "$(grep -n STATUS=starting "$NOTIFY_LOG" | cut -d: -f1)" ] ||
	fail "READY=1 before start-up"
ip link show "$TAP" > /dev/null || fail "READY=1 but the TAP is not up"
ok "READY=1 with STATUS= once the ports are up"
wait_for 5 grep -q "WATCHDOG=1" "$NOTIFY_LOG" || fail "no WATCHDOG=1"
n1=$(grep -c WATCHDOG=1 "$NOTIFY_LOG"); sleep 2.5; n2=$(grep -c WATCHDOG=1 "$NOTIFY_LOG")
[ "$n2" -gt "$n1" ] || fail "WATCHDOG=1 not repeated"
ok "WATCHDOG=1 every second while the datapath makes progress"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "STATUS=running, configuration reloaded" "$NOTIFY_LOG" || fail "no STATUS after reload"
kill -TERM "$DAEMON_PID"
wait_for 10 grep -q "STOPPING=1" "$NOTIFY_LOG" || fail "no STOPPING=1"
wait_for 10 sh -c "! kill -0 $DAEMON_PID" || fail "mstackd did not stop"
DAEMON_PID=
ip link show "$TAP" > /dev/null 2>&1 && fail "TAP still there after stop"
test -e "$SOCK" && fail "control socket still there after stop"
ok "STOPPING=1 on SIGTERM; TAP and socket removed"
integ_pass
