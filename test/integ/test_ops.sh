#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_ops.sh - operating mstackd: every mstackctl command against the real daemon (text and --json),
# admin reservations and revocation, the access policy for a non-admin uid, limits, and SIGHUP reload.
source "$(dirname "$0")/lib.sh"
integ_start "mode = 0666" "[limits]" "apps = 3" "bindings_per_app = 4"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ctl status > "$WORK/status" || fail "mstackctl status"
grep -q "0.1.0" "$WORK/status" && grep -qi "up" "$WORK/status" || fail "status text: $(cat "$WORK/status")"
[ "$(ctl --json status | json 'd["ports"][0]["link_up"]')" = "True" ] || fail "status --json: NIC link"
ok "status (text and --json)"

start_echo 7000; ECHO=$LAST_PID; APP=$APP_ID
[ "$(ctl --json apps | json '[a["pid"] for a in d["apps"] if a["app_id"]=='"$APP"'][0]')" = "$ECHO" ] ||
	fail "apps --json does not show mstack-echo's pid"
ctl apps | grep -q "mstack-echo" || fail "apps text"
ok "apps lists mstack-echo with its pid"
ctl bindings | grep -E "udp $HOST_IP:7000 .*app $APP .*mstack-echo" > /dev/null || fail "bindings: $(ctl bindings)"
[ "$(ctl --json bindings | json 'd["bindings"][0]["port"]')" = "7000" ] || fail "bindings --json"
ok "bindings: $(ctl bindings | head -1)"
udp_roundtrip "$HOST_IP" 7000 x > /dev/null || fail "echo"
[ "$(ctl --json stats | json 'd["counters"]["app.'"$APP"'.rx_packets"]')" -ge 1 ] || fail "stats --json"
ctl stats | grep -q "nic.rx_packets" || fail "stats text"
timeout -s INT 3 "$BIN/mstackctl" -s "$SOCK" --json stats --watch 1 > "$WORK/watch"
[ "$(wc -l < "$WORK/watch")" -ge 2 ] || fail "stats --watch printed $(wc -l < "$WORK/watch") samples"
tail -1 "$WORK/watch" | json 'd["rates"]' > /dev/null || fail "stats --watch --json has no rates"
ok "stats, and stats --watch with rates"

ctl bind udp "$HOST_IP:7400" | grep -q "reserved" || fail "admin bind"
ctl bindings | grep -q "7400.*reserved" || fail "reservation not listed"
if "$BIN/mstack-echo" -s "$SOCK" udp "$HOST_IP:7400" > "$WORK/r" 2>&1; then fail "app got a reserved tuple"; fi
ctl unbind udp "$HOST_IP:7400" | grep -q "released" || fail "admin unbind"
start_echo 7400
ok "an administrator's reservation is refused to apps until released"

ctl unbind udp "$HOST_IP:7000" > /dev/null || fail "revoke"
if udp_roundtrip "$HOST_IP" 7000 after-revoke > /dev/null; then fail "delivery after revocation"; fi
# The app's library drops its own copy of the reservation when it sees the revocation (its next ms_wait).
wait_for 2 python3 -c 'import socket,sys; socket.socket(socket.AF_INET,socket.SOCK_DGRAM).bind((sys.argv[1],7000))' \
	"$HOST_IP" || fail "revoked tuple not free for the kernel"
ok "a revoked binding stops delivery at once and frees the tuple"

for cmd in "bind udp $HOST_IP:7500" "unbind udp $HOST_IP:7400"; do
	if runuser -u nobody -- "$BIN/mstackctl" -s "$SOCK" $cmd > "$WORK/denied" 2>&1; then fail "nobody could $cmd"; fi
	grep -q "administrator only" "$WORK/denied" || fail "refusal text: $(cat "$WORK/denied")"
done
runuser -u nobody -- "$BIN/mstackctl" -s "$SOCK" status > /dev/null || fail "status as nobody"
[ "$(counter ctl.refused)" -ge 2 ] || fail "refusals not counted"
grep -q "admin command refused to pid" "$DLOG" || fail "refusal not logged"
ok "admin commands refused to a non-admin uid, counted and logged"

start_echo 7600
if "$BIN/mstack-echo" -s "$SOCK" udp "$HOST_IP:7700" > "$WORK/limit" 2>&1; then fail "a 4th app attached with apps = 3"; fi
grep -q "limit" "$WORK/limit" || fail "limit message: $(cat "$WORK/limit")"
ok "attach refused beyond [limits] apps: $(cat "$WORK/limit")"

cp "$CONF" "$WORK/good.conf"
echo "this is not a config line" >> "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: .* has errors, keeping the running configuration" "$DLOG" || fail "broken reload not refused"
grep -q "mstackd.conf:.*:" "$DLOG" || fail "reload error without file:line"
udp_roundtrip "$HOST_IP" 7400 still-serving > /dev/null || fail "not serving after a broken reload"
peer ping -c 1 -W 2 "$HOST_IP" > /dev/null || fail "kernel path after a broken reload"
sed -e 's/apps = 3/apps = 5/' -e "s/iface=$VETH_NIC/iface=${VETH_NIC}x/" "$WORK/good.conf" > "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: configuration re-read" "$DLOG" || fail "good reload not applied"
grep -q "\[nic\] devargs cannot change at run time" "$DLOG" || fail "fixed key change not reported"
start_echo 7700
ok "SIGHUP: a broken config keeps the daemon serving; a new limit applies; a NIC change is reported"

# The restarted daemon gets room for the three echo apps that re-attach on their own plus a new one.
sed -e 's/apps = 3/apps = 5/' "$WORK/good.conf" > "$CONF"
kill "$LAST_PID"
start_echo 7701 -x # exits with its daemon (test_restart.sh proves the apps that stay)
ECHO=$LAST_PID
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
wait_for 5 sh -c "! kill -0 $ECHO" || fail "mstack-echo -x did not notice mstackd died"
grep -q "mstackd went away" "$WORK/echo.7701" || fail "echo's last words: $(tail -1 "$WORK/echo.7701")"
: > "$DLOG"
daemon_start
start_echo 7700
r=$(udp_roundtrip "$HOST_IP" 7700 reborn) || fail "no echo after the daemon restarted"
peer ping -c 1 -W 2 "$HOST_IP" > /dev/null || fail "kernel path after the daemon restarted"
ok "mstackd killed and restarted: apps see the session end, re-attach and serve again"
integ_pass
