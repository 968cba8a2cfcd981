#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_tcp_restart.sh - TCP connections on libmstack-tcp outlive mstackd: one kernel-TCP connection
# streams through mstack-tcpecho while mstackd is killed (-9) and restarted, and stopped (SIGTERM) and
# started; the same connection completes with every byte intact, and new connections work afterwards.
source "$(dirname "$0")/lib.sh"
integ_start
PORT=7000
TOTAL=6000000 # bytes; paced at about 640 kB/s, so that both restarts fall in the middle

"$BIN/mstack-tcpecho" -s "$SOCK" "$HOST_IP:$PORT" > "$WORK/tcpecho" 2>&1 &
ECHO=$!
INTEG_PIDS+=("$ECHO")
wait_for 10 grep -q echoing "$WORK/tcpecho" || fail "mstack-tcpecho did not start: $(cat "$WORK/tcpecho")"
"$BIN/mstack-tcpecho" -s "$SOCK" -x "$HOST_IP:7001" > "$WORK/quitter" 2>&1 &
QUITTER=$!
INTEG_PIDS+=("$QUITTER")
wait_for 10 grep -q echoing "$WORK/quitter" || fail "mstack-tcpecho -x did not start: $(cat "$WORK/quitter")"

tcp_stream_start "$HOST_IP" "$PORT" "$TOTAL" "$WORK/stream"
wait_for 5 grep -q rcvd "$WORK/stream" || fail "the stream does not get echoes: $(cat "$WORK/stream")"

progress_after() { stream_progress_after "$WORK/stream" "$1"; }
received() { stream_received "$WORK/stream"; }

# restart HOW: stop mstackd with HOW (KILL or TERM) in the middle of the stream, start it again;
# the stream must move again on the same connection.
restart() {
	local how=$1 at t_ready t_first
	at=$(received)
	[ "$at" -lt "$TOTAL" ] || fail "SIG$how: the stream ended before the restart (pace too fast)"
	kill "-$how" "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	sleep 1 # a real outage: segments in both directions are lost, retransmissions back off
	kill -0 "$ECHO" 2>/dev/null || fail "SIG$how: mstack-tcpecho exited with mstackd: $(tail -2 "$WORK/tcpecho")"
	: > "$DLOG"
	daemon_start
	t_ready=$(date +%s.%N)
	wait_for 10 progress_after "$t_ready" ||
		fail "SIG$how: the stream did not move within 10 s of the new mstackd: $(tail -3 "$WORK/stream")"
	t_first=$(awk -v t="$t_ready" '$1 == "rcvd" && $3 > t { print $3; exit }' "$WORK/stream")
	ctl bindings | grep -E "tcp $HOST_IP:$PORT " > /dev/null ||
		fail "SIG$how: the listener's tuple is not bound again: $(ctl bindings)"
	ok "SIG$how at $at bytes: the same connection moves again" \
		"$(awk -v a="$t_first" -v b="$t_ready" 'BEGIN { printf "%.2f", a - b }') s after the new mstackd was ready"
}

# Each restart with the stream well under way: windows open, data in flight both ways.
reached() { [ "$(received)" -ge "$1" ]; }
wait_for 10 reached 1000000 || fail "the stream is too slow: $(tail -1 "$WORK/stream")"
restart KILL
wait_for 5 sh -c "! kill -0 $QUITTER" || fail "mstack-tcpecho -x still runs after mstackd died"
wait "$QUITTER"
[ $? -eq 1 ] || fail "mstack-tcpecho -x did not exit with status 1"
grep -q "mstackd went away; exiting as asked (-x)" "$WORK/quitter" ||
	fail "mstack-tcpecho -x's last words: $(cat "$WORK/quitter")"
ok "mstack-tcpecho -x (MS_ATTACH_F_NO_REATTACH) exits when mstackd dies"
wait_for 10 reached 2500000 || fail "the stream is too slow after the first restart: $(tail -1 "$WORK/stream")"
restart TERM

wait "$STREAM" || fail "the stream failed: $(tail -3 "$WORK/stream")"
grep -q "^done $TOTAL intact" "$WORK/stream" || fail "the stream: $(tail -1 "$WORK/stream")"
ok "one connection, $TOTAL bytes echoed intact across kill -9 and SIGTERM of mstackd"

peer python3 "$INTEG_DIR/tcp_client.py" "$HOST_IP" $PORT -n 4 -m 1000000 -t 20 ||
	fail "new connections after the restarts"
kill -0 "$ECHO" || fail "mstack-tcpecho died"
ok "new connections to the same mstack-tcpecho work after the restarts"
# mstack-httpd serves again after mstackd is killed and started, without a restart of its own.
mkdir -p "$WORK/www"
head -c 300000 /dev/urandom > "$WORK/www/blob.bin"
want=$(sha256sum < "$WORK/www/blob.bin")
"$BIN/mstack-httpd" -s "$SOCK" -r "$WORK/www" "$HOST_IP:8080" > "$WORK/httpd" 2>&1 &
HTTPD=$!
INTEG_PIDS+=("$HTTPD")
fetch() { [ "$(peer curl -sf --max-time 3 "http://$HOST_IP:8080/blob.bin" | sha256sum)" = "$want" ]; }
wait_for 10 fetch || fail "mstack-httpd does not serve: $(cat "$WORK/httpd")"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
sleep 0.5
kill -0 "$HTTPD" 2>/dev/null || fail "mstack-httpd exited with mstackd: $(tail -2 "$WORK/httpd")"
: > "$DLOG"
daemon_start
wait_for 10 fetch || fail "mstack-httpd does not serve after mstackd restarted: $(tail -2 "$WORK/httpd")"
ok "mstack-httpd serves the same file again after kill -9 and a restart of mstackd"
integ_pass
