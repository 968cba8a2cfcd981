#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_queue_wakeup.sh - per-queue wakeup fds (MS_HELLO_F_QUEUE_WAKEUP) with two workers: an app with two
# queues, one thread asleep on each queue's fd; a frame of a flow that lands on queue 1 wakes thread 1 and not
# thread 0, then one on queue 0 wakes thread 0 and not thread 1.
source "$(dirname "$0")/lib.sh"
# As test_workers.sh: three lcores on two CPUs, two workers on a two-queue NIC.
INTEG_LCORES="--lcores 0@0,1@1,2@0" INTEG_NIC_ARGS=",qpairs=2" integ_start

ctl status > "$WORK/status" || fail "mstackctl status"
grep -q "^workers *2$" "$WORK/status" || fail "want 2 workers: $(cat "$WORK/status")"

PORT=7600
start_bg "$BIN/test/qwake_app" "$SOCK" 2 60 "$HOST_IP:$PORT" "$PEER_IP" > "$WORK/app" 2>&1
wait_for 10 grep -q "^ready" "$WORK/app" || fail "qwake_app did not start: $(cat "$WORK/app")"
grep -q "^ready app [0-9]* queues 2$" "$WORK/app" || fail "qwake_app: $(cat "$WORK/app")"
P0=$(sed -n 's/^port q=0 //p' "$WORK/app")
P1=$(sed -n 's/^port q=1 //p' "$WORK/app")
[ -n "$P0" ] && [ -n "$P1" ] || fail "no source port for each queue: $(cat "$WORK/app")"

# send_from SPORT: one datagram from the peer's source port SPORT to the app's tuple.
send_from() {
	peer python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", int(sys.argv[1])))
s.sendto(b"wake-up", (sys.argv[2], int(sys.argv[3])))' "$1" "$HOST_IP" "$PORT"
}
wakes() { grep -c "^wake q=$1$" "$WORK/app"; }
frames() { grep -c "^udp q=$1 " "$WORK/app"; }
frames_over() { [ "$(frames "$1")" -gt "$2" ]; }

# Both threads asleep, neither woken while nothing arrives.
sleep 1
[ "$(wakes 0)" -eq 0 ] && [ "$(wakes 1)" -eq 0 ] || fail "woken with no traffic: $(grep wake "$WORK/app")"

# check_queue Q: a frame for queue Q wakes Q's thread, which takes it; the other thread sleeps on.
check_queue() {
	local q=$1 other=$(( 1 - $1 )) sport w_other f_other
	sport=$([ "$q" -eq 0 ] && echo "$P0" || echo "$P1")
	w_other=$(wakes $other); f_other=$(frames $other)
	local w=$(wakes "$q") f=$(frames "$q")
	send_from "$sport" || fail "could not send from port $sport"
	wait_for 5 frames_over "$q" "$f" ||
		fail "the frame for queue $q did not arrive on queue $q: $(cat "$WORK/app")"
	sleep 0.3
	[ "$(wakes "$q")" -eq $(( w + 1 )) ] || fail "thread $q woke $(( $(wakes "$q") - w )) times for its frame, want 1"
	[ "$(wakes $other)" -eq "$w_other" ] || fail "thread $other woke for a frame of queue $q"
	[ "$(frames $other)" -eq "$f_other" ] || fail "queue $other received the frame of queue $q"
}
check_queue 1
ok "a frame of a flow on queue 1 (peer port $P1) woke thread 1, which took it; thread 0 slept on"
check_queue 0
ok "a frame of a flow on queue 0 (peer port $P0) woke thread 0, which took it; thread 1 slept on"
APP=$(sed -n 's/^ready app \([0-9]*\) .*/\1/p' "$WORK/app")
[ "$(counter "app.$APP.rx_wakeups")" -eq 2 ] || fail "app.$APP.rx_wakeups = $(counter "app.$APP.rx_wakeups"), want 2"
ok "the daemon counted exactly the two wakeups"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
