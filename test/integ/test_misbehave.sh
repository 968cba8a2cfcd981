#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_misbehave.sh - the disconnect policy: an app whose rings keep presenting garbage or spoofed
# frames beyond [limits] misbehave_rate/misbehave_burst is cut off, logged and counted; an app
# below the rate and a well-behaved app beside it keep working; misbehave_rate = 0 only counts.
source "$(dirname "$0")/lib.sh"
integ_start # the default policy: misbehave_burst 1000, misbehave_rate 100 a second

start_echo 7000; ECHO=$LAST_PID; APP1=$APP_ID
udp_roundtrip "$HOST_IP" 7000 first > /dev/null || fail "no echo"

# hostile NAME MODE PORT: a hostile_app bound to udp $HOST_IP:PORT, spoofing port 7000; sets $LAST_PID, $HOSTILE
hostile() {
	start_bg "$BIN/test/hostile_app" "$SOCK" "$2" "$HOST_IP:$3" 7000 > "$WORK/$1" 2>&1
	wait_for 10 grep -q "^hostile: app" "$WORK/$1" || fail "hostile_app $1 did not start: $(cat "$WORK/$1")"
	HOSTILE=$(sed -n 's/^hostile: app \([0-9]*\).*/\1/p' "$WORK/$1")
}

hostile garbage garbage 7200; GARBAGE_PID=$LAST_PID; GARBAGE=$HOSTILE
for i in 1 2 3; do
	r=$(udp_roundtrip "$HOST_IP" 7000 "beside-$i") || fail "echo disturbed by the hostile app"
	[ "$r" = "beside-$i" ] || fail "echo answered '$r'"
done
wait_for 20 grep -q "disconnected by mstackd" "$WORK/garbage" || fail "garbage app not disconnected: $(cat "$WORK/garbage")"
kill -0 "$GARBAGE_PID" || fail "hostile_app exited instead of being cut off"
ctl apps | grep -q "hostile" && fail "a disconnected app is still listed: $(ctl apps)"
ctl bindings | grep -q ":7200 " && fail "a disconnected app's binding stays: $(ctl bindings)"
[ "$(counter ctl.apps_disconnected)" -eq 1 ] || fail "ctl.apps_disconnected is $(counter ctl.apps_disconnected)"
grep -q "app $GARBAGE (hostile, pid $GARBAGE_PID) disconnected: its rings presented" "$DLOG" ||
	fail "disconnection not logged"
ok "garbage indices and lengths: app $GARBAGE disconnected, unbound, logged: $(grep -o "disconnected: .*" "$DLOG" | head -1)"
r=$(udp_roundtrip "$HOST_IP" 7000 after) || fail "echo after the disconnection"
[ "$(counter "app.$APP1.tx_spoofed")" -eq 0 ] && kill -0 "$ECHO" || fail "the echo app was touched"
ok "the well-behaved app beside it kept serving, uncharged"

hostile slow spoof:50 7201; SLOW_PID=$LAST_PID; SLOW=$HOSTILE
hostile fast spoof:3000 7202; FAST=$HOSTILE
wait_for 10 grep -q "disconnected by mstackd" "$WORK/fast" || fail "spoofing at 3000/s not disconnected"
sleep 3
grep -q "disconnected" "$WORK/slow" && fail "spoofing at 50/s (below misbehave_rate) was disconnected"
n=$(counter "app.$SLOW.tx_spoofed")
[ "$n" -ge 100 ] || fail "the slow spoofer's frames were not refused and counted: tx_spoofed $n"
[ "$(counter ctl.apps_disconnected)" -eq 2 ] || fail "ctl.apps_disconnected is $(counter ctl.apps_disconnected)"
ok "spoofed frames: 3000/s disconnected ($(grep -o "after .*" "$WORK/fast")), 50/s only refused ($n so far)"
kill "$SLOW_PID"

# The policy off, by a reload: the same garbage is counted and nobody is disconnected.
echo "[limits]" >> "$CONF"
echo "misbehave_rate = 0" >> "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: configuration re-read" "$DLOG" || fail "reload: $(tail -3 "$DLOG")"
hostile garbage2 garbage 7300; GARBAGE2=$HOSTILE
wait_for 10 grep -q "garbage written" "$WORK/garbage2" || fail "garbage2 did not start"
# The worker counts the garbage once per look at the ring; an idle worker looks about once a
# millisecond, a loaded (or sanitized) one less often: wait for more than the burst that would
# have cut it off with the policy on.
garbage_counted() { [ "$(counter "app.$GARBAGE2.tx_bad_index")" -gt 1000 ]; }
wait_for 20 garbage_counted || fail "garbage not counted: tx_bad_index $(counter "app.$GARBAGE2.tx_bad_index")"
grep -q "disconnected" "$WORK/garbage2" && fail "disconnected with misbehave_rate = 0"
ctl --json apps | python3 -c 'import json,sys; sys.exit(all(a["app_id"] != int(sys.argv[1])
	for a in json.load(sys.stdin)["apps"]))' "$GARBAGE2" || fail "app $GARBAGE2 not listed: $(ctl apps)"
[ "$(counter ctl.apps_disconnected)" -eq 2 ] || fail "ctl.apps_disconnected moved with the policy off"
udp_roundtrip "$HOST_IP" 7000 policy-off > /dev/null || fail "echo with the policy off"
ok "misbehave_rate = 0: app $GARBAGE2 stays, tx_bad_index = $(counter "app.$GARBAGE2.tx_bad_index")"
integ_pass
