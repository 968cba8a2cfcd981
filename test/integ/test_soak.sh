#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_soak.sh - SOAK_CYCLES (default 60; 1000 for the full run) cycles of attach, bind, one UDP round trip and
# kill -9 of the application; every 10th cycle also a round of misbehaving control connections (never reading,
# half messages, BIND with wrong fds, garbage). Each kill frees the tuple in the kernel within a second, and at
# the end mstackd's open fds, apps and bindings are back at their starting values, its RSS within a bound.
source "$(dirname "$0")/lib.sh"
CYCLES=${SOAK_CYCLES:-60}
# The allocator (glibc malloc, DPDK's heap) keeps memory it freed for the next request rather than giving it
# back, and the first sessions fault in pages of the daemon's tables that stay resident: RSS may rise this far
# (KiB) without a leak. A leaked region or session per cycle would pass it within a few hundred cycles.
RSS_SLACK_KB=$((16 * 1024))
HELPER=(python3 "$INTEG_DIR/soak_ctl.py")
PORT=$((20000 + 0x$ID % 20000)) # a port of our own: other tests may run on this host at the same time
ECHO=

soak_cleanup() {
	local rc=$?
	[ -n "$ECHO" ] && kill -9 "$ECHO" 2>/dev/null
	(exit $rc)
	integ_cleanup
}
trap soak_cleanup EXIT

daemon_fds() { ls /proc/"$DAEMON_PID"/fd | wc -l; }
daemon_rss() { awk '/^VmRSS:/ {print $2}' /proc/"$DAEMON_PID"/status; }
status_field() { ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# poll SECONDS CMD...: like wait_for, at a finer grain (the cycles add up)
poll() {
	local t=$1; shift
	for _ in $(seq $((t * 50))); do "$@" > /dev/null 2>&1 && return 0; sleep 0.02; done
	return 1
}
settled() { [ "$(daemon_fds)" -eq "$FDS0" ] && [ "$(status_field apps)" -eq "$APPS0" ] &&
	[ "$(status_field bindings)" -eq "$BINDS0" ]; }

integ_start
FDS0=$(daemon_fds); RSS0=$(daemon_rss); APPS0=$(status_field apps); BINDS0=$(status_field bindings)
ok "start: $FDS0 fds, RSS $RSS0 KiB, $APPS0 apps, $BINDS0 bindings"

T0=$(date +%s.%N)
MAXMS=0; MISBEHAVED=0
for c in $(seq "$CYCLES"); do
	out=$WORK/echo.out
	"$BIN/mstack-echo" -s "$SOCK" udp "$HOST_IP:$PORT" > "$out" 2>&1 &
	ECHO=$!
	poll 10 grep -q "echoing" "$out" || fail "cycle $c: mstack-echo did not attach: $(cat "$out")"
	r=$(udp_roundtrip "$HOST_IP" "$PORT" "soak-$c") || fail "cycle $c: no echo"
	[ "$r" = "soak-$c" ] || fail "cycle $c: echo answered '$r'"
	ms=$("${HELPER[@]}" reclaim "$ECHO" "$HOST_IP" "$PORT") || fail "cycle $c: tuple not free 5 s after kill -9"
	wait "$ECHO" 2>/dev/null
	ECHO=
	awk -v a="$ms" 'BEGIN { exit !(a < 1000) }' || fail "cycle $c: tuple free only $ms ms after kill -9"
	MAXMS=$(awk -v a="$ms" -v b="$MAXMS" 'BEGIN { print (a > b) ? a : b }')
	if [ $((c % 10)) -eq 0 ]; then
		"${HELPER[@]}" misbehave "$SOCK" "$HOST_IP" "$c" > "$WORK/misbehave" 2>&1 ||
			fail "cycle $c: $(cat "$WORK/misbehave")"
		MISBEHAVED=$((MISBEHAVED + $(wc -l < "$WORK/misbehave")))
		kill -0 "$DAEMON_PID" || fail "cycle $c: mstackd died"
		[ "$c" -eq 10 ] && sed 's/^/  /' "$WORK/misbehave"
	fi
done
SECS=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
ok "$CYCLES cycles of attach, bind, echo, kill -9: the tuple free again at most $MAXMS ms after each kill"
ok "$MISBEHAVED misbehaving control connections: each refused or closed, mstackd served on"

wait_for 5 settled
FDS1=$(daemon_fds); RSS1=$(daemon_rss); APPS1=$(status_field apps); BINDS1=$(status_field bindings)
[ "$FDS1" -eq "$FDS0" ] || fail "open fds $FDS0 -> $FDS1: $(ls -l /proc/"$DAEMON_PID"/fd | tail -n +2)"
[ "$APPS1" -eq "$APPS0" ] || fail "apps $APPS0 -> $APPS1"
[ "$BINDS1" -eq "$BINDS0" ] || fail "bindings $BINDS0 -> $BINDS1"
[ "$RSS1" -le $((RSS0 + RSS_SLACK_KB)) ] || fail "RSS $RSS0 -> $RSS1 KiB, more than $RSS_SLACK_KB KiB up"
ok "end: fds, apps and bindings back at their starting values; RSS $RSS0 -> $RSS1 KiB"
echo "soak: $CYCLES cycles in $SECS s, $MISBEHAVED misbehaving connections, max re-attach $MAXMS ms," \
	"fds $FDS0 -> $FDS1, RSS $RSS0 -> $RSS1 KiB, apps $APPS0 -> $APPS1, bindings $BINDS0 -> $BINDS1"
integ_pass
