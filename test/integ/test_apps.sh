#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_apps.sh - applications attach beside the kernel: UDP echo through mstack-echo, the kernel's
# traffic alongside, isolation between apps, the kernel as tuple authority, kill -9, hostile and
# stalled apps that disturb nobody else.
source "$(dirname "$0")/lib.sh"
# The hostile app below must stay attached to have its refusals counted: the disconnect policy off
# (test_misbehave.sh tests it).
integ_start "[limits]" "misbehave_rate = 0"

start_echo 7000; ECHO1=$LAST_PID; APP1=$APP_ID
r=$(udp_roundtrip "$HOST_IP" 7000 "hello-$ID") || fail "no echo from mstack-echo on 7000"
[ "$r" = "hello-$ID" ] || fail "echo answered '$r'"
ok "UDP to a bound tuple reaches mstack-echo and the echo comes back"

peer ping -c 2 -W 2 "$HOST_IP" > /dev/null || fail "kernel ping beside an app"
start_bg python3 -m http.server -b "$HOST_IP" -d "$WORK" 8080 > /dev/null 2>&1
wait_for 10 peer curl -sf -m 2 -o /dev/null "http://$HOST_IP:8080/" || fail "kernel TCP beside an app"
ok "the kernel's ping and TCP keep working beside the app"

start_echo 7001; ECHO2=$LAST_PID; APP2=$APP_ID
rx1=$(counter "app.$APP1.rx_packets"); rx2=$(counter "app.$APP2.rx_packets")
for i in 1 2 3; do udp_roundtrip "$HOST_IP" 7001 "two-$i" > /dev/null || fail "no echo on 7001"; done
for i in 1 2; do udp_roundtrip "$HOST_IP" 7000 "one-$i" > /dev/null || fail "no echo on 7000"; done
d1=$(( $(counter "app.$APP1.rx_packets") - rx1 )); d2=$(( $(counter "app.$APP2.rx_packets") - rx2 ))
[ "$d1" -eq 2 ] && [ "$d2" -eq 3 ] || fail "app $APP1 got $d1 (want 2), app $APP2 got $d2 (want 3)"
ok "two applications on different ports each see only their own traffic"

start_bg python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],7100)); print("bound",flush=True); time.sleep(600)' "$HOST_IP" > "$WORK/kernel7100"
wait_for 5 grep -q bound "$WORK/kernel7100" || fail "kernel socket on 7100"
if "$BIN/mstack-echo" -s "$SOCK" udp "$HOST_IP:7100" > "$WORK/refused" 2>&1; then fail "bind of a kernel-held tuple succeeded"; fi
grep -q "already in use" "$WORK/refused" || fail "refusal message: $(cat "$WORK/refused")"
ok "a tuple held by a kernel socket is refused: $(cat "$WORK/refused")"

kill -9 "$ECHO2"
kernel_bind_7001() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],7001))' "$HOST_IP"; }
wait_for 1 kernel_bind_7001 || fail "tuple 7001 not free within a second of kill -9"
ok "kill -9 of an application frees its tuple within a second"

start_bg "$BIN/test/hostile_app" "$SOCK" garbage "$HOST_IP:7200" 7000 > "$WORK/hostile" 2>&1
wait_for 10 grep -q "garbage written" "$WORK/hostile" || fail "hostile app did not start: $(cat "$WORK/hostile")"
HOSTILE=$(sed -n 's/^hostile: app \([0-9]*\).*/\1/p' "$WORK/hostile")
peer python3 "$INTEG_DIR/frames.py" "$VETH_PEER" "$(cat /sys/class/net/$TAP/address)" "$PEER_IP" "$HOST_IP" good-udp:7200 300
sleep 1
for i in 1 2 3; do
	r=$(udp_roundtrip "$HOST_IP" 7000 "still-$i") || fail "echo disturbed by the hostile app"
	[ "$r" = "still-$i" ] || fail "echo answered '$r' beside the hostile app"
done
kill -0 "$DAEMON_PID" || fail "mstackd died"
for c in tx_spoofed tx_bad_src_mac tx_invalid_desc tx_bad_index rx_bad_index; do
	v=$(counter "app.$HOSTILE.$c"); [ "$v" -gt 0 ] || fail "hostile app's $c is $v"
	ok "hostile app counted: $c = $v"
done
v=$(counter "app.$HOSTILE.tx_invalid_desc")
[ "$v" -ge 3 ] || fail "of the 3 lengths out of bounds (0xffff, the whole buffer, 3) only $v were refused"
[ "$(counter "app.$APP1.tx_spoofed")" -eq 0 ] || fail "the echo app was charged for the hostile one"
ok "garbage indices, lengths and spoofed frames hurt only the app that wrote them"

start_bg "$BIN/test/hostile_app" "$SOCK" stall "$HOST_IP:7300" 0 > "$WORK/stall" 2>&1
wait_for 10 grep -q "stalled" "$WORK/stall" || fail "stalled app did not start"
STALL=$(sed -n 's/^hostile: app \([0-9]*\).*/\1/p' "$WORK/stall")
drops1=$(counter "app.$APP1.rx_ring_full")
peer python3 "$INTEG_DIR/frames.py" "$VETH_PEER" "$(cat /sys/class/net/$TAP/address)" "$PEER_IP" "$HOST_IP" flood-udp:7300 3000 &
FLOOD=$!
for i in 1 2 3 4 5; do
	r=$(udp_roundtrip "$HOST_IP" 7000 "busy-$i") || fail "echo starved by a stalled app"
	[ "$r" = "busy-$i" ] || fail "echo answered '$r'"
done
wait $FLOOD
wait_for 5 test "$(counter "app.$STALL.rx_ring_full")" -gt 0 || fail "stalled app's ring never filled"
ok "stalled app: rx_ring_full = $(counter "app.$STALL.rx_ring_full"), echo app drops unchanged"
[ "$(counter "app.$APP1.rx_ring_full")" -eq "$drops1" ] || fail "echo app dropped because of the stalled one"
kill -0 "$ECHO1" || fail "echo app died"

# IPv6: ND from the peer reaches the kernel (multicast), the echo answers over IPv6.
ip6_add "" "$TAP" "fd00:$ID::1/64"
ip6_add "$PEER" "$VETH_PEER" "fd00:$ID::2/64"
start_bg "$BIN/mstack-echo" -s "$SOCK" udp "[fd00:$ID::1]:7000" > "$WORK/echo6" 2>&1
wait_for 10 grep -q echoing "$WORK/echo6" || fail "IPv6 echo: $(cat "$WORK/echo6")"
r=$(udp_roundtrip "fd00:$ID::1" 7000 "six-$ID") || fail "no IPv6 echo"
[ "$r" = "six-$ID" ] || fail "IPv6 echo answered '$r'"
peer ping -6 -c 1 -W 2 "fd00:$ID::1" > /dev/null || fail "kernel IPv6 ping beside the app"
ok "IPv6: ND and ping to the kernel, UDP to an app holding [fd00:$ID::1]:7000"

# Port 0, next-hop resolution from the kernel's table, and broadcast for an app that asked.
peer ip neigh flush all
ip neigh flush dev "$TAP"
start_bg "$BIN/test/probe_app" "$SOCK" "$HOST_IP:0" "$PEER_IP" > "$WORK/probe" 2>&1
PROBE=$LAST_PID
wait_for 10 grep -q "^resolved\|^resolve failed" "$WORK/probe" || fail "probe app: $(cat "$WORK/probe")"
port=$(sed -n 's/^bound .* port \([0-9]*\)$/\1/p' "$WORK/probe")
[ -n "$port" ] && [ "$port" -gt 0 ] || fail "port 0 got no ephemeral port: $(cat "$WORK/probe")"
grep -q "^resolved $PEER_IP $(peer cat /sys/class/net/$VETH_PEER/address)" "$WORK/probe" ||
	fail "resolve: $(cat "$WORK/probe")"
ok "port 0 got ephemeral port $port; $PEER_IP resolved through the kernel's neighbour table"
for i in 1 2 3 4 5; do peer arping -c 1 -w 1 -I "$VETH_PEER" "$HOST_IP" > /dev/null 2>&1 ||
	peer python3 "$INTEG_DIR/frames.py" "$VETH_PEER" ff:ff:ff:ff:ff:ff "$PEER_IP" "$HOST_IP" good-udp:9; done
wait_for 10 grep -q "^broadcast frames" "$WORK/probe" || fail "probe app got no broadcast"
grep -q "^broadcast frames [3-9]" "$WORK/probe" || fail "$(tail -1 "$WORK/probe")"
ok "an app that asked for broadcast gets it: $(tail -1 "$WORK/probe")"
"$BIN/test/mt_attach" "$SOCK" "$HOST_IP" 8 7600 > "$WORK/mt" 2>&1 || fail "$(cat "$WORK/mt")"
[ "$(ctl --json apps | python3 -c 'import json,sys; print(sum(a["name"].startswith("mt-") for a in json.load(sys.stdin)["apps"]))')" = 0 ] ||
	fail "threads' sessions left behind"
ok "8 threads of one process attach, bind and detach at once, 20 times: $(tail -1 "$WORK/mt")"
integ_pass
