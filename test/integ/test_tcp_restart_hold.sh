#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_tcp_restart_hold.sh - an application slow to come back after mstackd restarts keeps its TCP
# connections: mstackd is killed (-9) and started again while mstack-tcpecho is stopped (SIGSTOP) for
# 2 s, four times the old fixed start wait; the new mstackd holds its tuple (from the claims file),
# drops the peer's segments rather than let the kernel reset them, and the connection completes
# intact. The control: with [datapath] restart_hold_s = 0 the same outage loses the connection.
source "$(dirname "$0")/lib.sh"
integ_start
PORT=7000
TOTAL=3000000 # bytes; paced at about 640 kB/s: each outage falls in the middle of one stream

"$BIN/mstack-tcpecho" -s "$SOCK" "$HOST_IP:$PORT" > "$WORK/tcpecho" 2>&1 &
ECHO=$!
INTEG_PIDS+=("$ECHO")
wait_for 10 grep -q echoing "$WORK/tcpecho" || fail "mstack-tcpecho did not start: $(cat "$WORK/tcpecho")"

# The kernel's count of resets that ended an established connection of the peer's.
peer_resets() { peer nstat -asz TcpEstabResets | awk '$1 == "TcpEstabResets" { print $2 }'; }
claimed_in_file() { grep -q "^tcp $HOST_IP:$PORT $ECHO " "$SOCK.claims"; }
reached() { [ "$(stream_received "$1")" -ge "$2" ]; }

# outage OUT: with the stream of OUT under way, kill mstackd, stop the app, start mstackd, let the
# peer retransmit for 2 s while the app cannot come back, then let the app go on.
outage() {
	wait_for 10 reached "$1" 500000 || fail "the stream is too slow: $(tail -1 "$1")"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	kill -STOP "$ECHO"
	: > "$DLOG"
	daemon_start
	sleep 2
	kill -CONT "$ECHO"
}

wait_for 5 claimed_in_file || fail "the claims file does not hold the listener: $(cat "$SOCK.claims" 2>&1)"
ok "the claims file names the listener's tuple with the app's pid"
tcp_stream_start "$HOST_IP" "$PORT" "$TOTAL" "$WORK/stream1"
wait_for 5 grep -q rcvd "$WORK/stream1" || fail "the stream does not get echoes: $(cat "$WORK/stream1")"
resets=$(peer_resets)
outage "$WORK/stream1"
grep -q "holding tcp $HOST_IP:$PORT for pid $ECHO" "$DLOG" || fail "mstackd did not hold the tuple: $(cat "$DLOG")"
wait "$STREAM" || fail "the held connection failed: $(tail -3 "$WORK/stream1")"
grep -q "^done $TOTAL intact" "$WORK/stream1" || fail "the stream: $(tail -1 "$WORK/stream1")"
held=$(counter nic.rx_held)
[ "$held" -gt 0 ] || fail "no frame was held (nic.rx_held $held): the outage did not test the hold"
[ "$(peer_resets)" -eq "$resets" ] || fail "the peer saw a reset: TcpEstabResets $resets -> $(peer_resets)"
ok "held for 2 s without its app: $TOTAL bytes echoed intact, $held segment(s) dropped, no reset"
ctl bindings | grep -E "^tcp $HOST_IP:$PORT +app " > /dev/null ||
	fail "the app did not claim its tuple again: $(ctl bindings)"
grep -q "tcp $HOST_IP:$PORT is claimed again" "$DLOG" || fail "the hold did not end with the claim: $(cat "$DLOG")"
ok "the app claimed its tuple again, which ended the hold"

# mstackctl bindings shows a hold while it lasts: the owner's pid and the seconds left.
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
kill -STOP "$ECHO"
: > "$DLOG"
daemon_start
ctl bindings | grep -E "^tcp $HOST_IP:$PORT +held for pid $ECHO across a restart \(held, ([1-9]|10) s left\)" \
	> /dev/null || fail "mstackctl bindings does not show the hold: $(ctl bindings)"
kill -CONT "$ECHO"
ok "mstackctl bindings shows the held tuple with its pid and seconds left"
wait_for 10 sh -c "'$BIN/mstackctl' -s '$SOCK' bindings | grep -E '^tcp $HOST_IP:$PORT +app '" ||
	fail "the app did not come back: $(ctl bindings)"

# The control: no hold, the same outage, and the kernel resets the connection.
echo "[datapath]" >> "$CONF"
echo "restart_hold_s = 0" >> "$CONF"
tcp_stream_start "$HOST_IP" "$PORT" "$TOTAL" "$WORK/stream2"
wait_for 5 grep -q rcvd "$WORK/stream2" || fail "the second stream does not get echoes: $(cat "$WORK/stream2")"
resets=$(peer_resets)
outage "$WORK/stream2"
[ -e "$SOCK.claims" ] && fail "restart_hold_s = 0 left the claims file in place"
wait "$STREAM" && fail "the connection survived without the hold: the test cannot tell the hold works"
[ "$(peer_resets)" -gt "$resets" ] ||
	fail "the connection failed, but not by a reset: $(tail -2 "$WORK/stream2") (TcpEstabResets $resets)"
ok "with restart_hold_s = 0 the same outage loses the connection to the kernel's reset ($(tail -1 "$WORK/stream2"))"
integ_pass
