#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_restart.sh - applications outlive mstackd: a UDP echo keeps serving across kill -9 and SIGTERM of
# the daemon, re-attaches and re-binds its tuple, holds the port meanwhile; "-x" apps exit instead.
source "$(dirname "$0")/lib.sh"
integ_start

start_echo 7000; ECHO=$LAST_PID
start_echo 7001 -x; QUITTER=$LAST_PID
udp_roundtrip "$HOST_IP" 7000 first > /dev/null || fail "no echo before any restart"

# The exchange that keeps going: a datagram every 50 ms from the peer, one line per echo that comes back.
start_bg peer python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.05)
seq = 0
while True:
    seq += 1
    s.sendto(str(seq).encode(), (sys.argv[1], 7000))
    try:
        while True:
            if s.recv(64).decode() == str(seq):
                print("echo", seq, "%.3f" % time.time())
    except socket.timeout:
        pass
' "$HOST_IP" > "$WORK/stream"
wait_for 5 grep -q echo "$WORK/stream" || fail "the continuous exchange does not get echoes"

echoes_after() { awk -v t="$1" '$1 == "echo" && $3 > t' "$WORK/stream" | grep -q .; }

# restart HOW: stop mstackd with HOW (KILL or TERM), check the app holds its port meanwhile, start it
# again; the echo app must come back by itself.
restart() {
	local how=$1 before t_ready t_first new_app
	before=$(grep -c "again" "$WORK/echo.7000")
	kill "-$how" "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	# The reservation is the app's own kernel socket: nobody can take 7000 while no daemon runs.
	ss -Hulnp "sport = :7000" | grep -q "mstack-echo\",pid=$ECHO," ||
		fail "SIG$how: mstack-echo does not hold udp :7000 while mstackd is away: $(ss -Hulnp "sport = :7000")"
	sleep 1 # a real outage: the app backs off, the exchange goes unanswered
	kill -0 "$ECHO" 2>/dev/null || fail "SIG$how: mstack-echo exited with mstackd: $(tail -2 "$WORK/echo.7000")"
	: > "$DLOG"
	daemon_start
	t_ready=$(date +%s.%N)
	wait_for 5 echoes_after "$t_ready" || fail "SIG$how: no echo within 5 s of the new mstackd being ready"
	t_first=$(awk -v t="$t_ready" '$1 == "echo" && $3 > t { print $3; exit }' "$WORK/stream")
	kill -0 "$ECHO" 2>/dev/null || fail "SIG$how: mstack-echo exited"
	[ "$(grep -c "again" "$WORK/echo.7000")" -gt "$before" ] || fail "SIG$how: echo did not report re-attaching"
	new_app=$(sed -n 's/.* app \([0-9]*\) echoing .* again/\1/p' "$WORK/echo.7000" | tail -1)
	ctl bindings | grep -E "udp $HOST_IP:7000 .*app $new_app " > /dev/null ||
		fail "SIG$how: tuple not re-bound to app $new_app: $(ctl bindings)"
	ok "SIG$how: mstack-echo re-attached as app $new_app, re-bound udp $HOST_IP:7000, echoing again" \
		"$(awk -v a="$t_first" -v b="$t_ready" 'BEGIN { printf "%.2f", a - b }') s after the daemon was ready"
}

restart KILL
wait_for 5 sh -c "! kill -0 $QUITTER" || fail "mstack-echo -x still runs after mstackd died"
grep -q "mstackd went away; exiting as asked" "$WORK/echo.7001" ||
	fail "mstack-echo -x's last words: $(cat "$WORK/echo.7001")"
ok "an app attached with MS_ATTACH_F_NO_REATTACH exits: $(tail -1 "$WORK/echo.7001")"
restart TERM
restart KILL
r=$(udp_roundtrip "$HOST_IP" 7000 "after-$ID") || fail "no echo after three restarts"
[ "$r" = "after-$ID" ] || fail "echo answered '$r'"
ok "the same mstack-echo process served across three restarts"
integ_pass
