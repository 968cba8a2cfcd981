#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_sec_rx.sh - the receive demux gives apps only what is addressed to this host: a wildcard
# binding gets no frame for another IP or another MAC, and no tagged frame reaches a broadcast
# subscriber; each goes to the kernel and is counted. Proper frames still arrive.
source "$(dirname "$0")/lib.sh"
integ_start

MAC=$(cat "/sys/class/net/$TAP/address")
OTHER_MAC=02:00:00:00:77:77
OTHER_IP=198.51.100.7
OTHER_IP6=2001:db8::7
BCAST_IP=${HOST_IP%.*}.255
ATTACKS=0 # attacks that got through; all are tried before the test fails

# send DST_MAC SRC_IP DST_IP KIND: one crafted frame from the peer
send() { peer python3 "$INTEG_DIR/frames.py" "$VETH_PEER" "$1" "$2" "$3" "$4"; }
# nlines FILE PATTERN: how many lines of FILE contain PATTERN
nlines() { grep -c -- "$2" "$1" || true; }
# arrive FILE PATTERN N SEND-ARGS...: send until FILE has N lines with PATTERN (a barrier too:
# the datapath keeps the wire's order, so frames sent before have been demultiplexed)
arrive() {
	local f=$1 pat=$2 n=$3; shift 3
	for _ in $(seq 20); do
		[ "$(nlines "$f" "$pat")" -ge "$n" ] && return 0
		send "$@"
		sleep 0.5
	done
	return 1
}
# refused FILE PATTERN WHAT: the app must not have received a frame matching PATTERN
refused() {
	if grep -q -- "$2" "$1"; then
		echo "ATTACK: $3 reached the app: $(grep -- "$2" "$1" | head -1)" >&2
		ATTACKS=$((ATTACKS + 1))
	else
		ok "$3 did not reach the app"
	fi
}
# listen NAME bcast|plain ADDR:PORT: start a listen_app; sets $APP_ID
listen() {
	start_bg "$BIN/test/listen_app" "$SOCK" "$2" "$3" > "$WORK/$1" 2>&1
	wait_for 10 grep -q listening "$WORK/$1" || fail "listen_app $1: $(cat "$WORK/$1")"
	APP_ID=$(sed -n 's/^app \([0-9]*\) listening.*/\1/p' "$WORK/$1")
}

listen wild plain "*:5555"
WILD=$APP_ID
listen bcast bcast "*:5556"
W=$WORK/wild
B=$WORK/bcast

# Positive controls: a proper frame to HOST_IP reaches the wildcard, a broadcast the subscriber.
arrive "$W" "ip=$HOST_IP port=5555" 1 "$MAC" "$PEER_IP" "$HOST_IP" good-udp:5555 ||
	fail "a frame to $HOST_IP:5555 did not reach the wildcard app"
arrive "$B" "port=5558" 1 ff:ff:ff:ff:ff:ff "$PEER_IP" "$BCAST_IP" good-udp:5558 ||
	fail "an untagged broadcast did not reach the subscribed app"
ok "positive controls: udp $HOST_IP:5555 reaches *:5555, an untagged broadcast reaches the subscriber"

not_local=$(counter nic.rx_not_local)
other_mac=$(counter nic.rx_other_mac)
vlan=$(counter nic.rx_vlan)
send "$MAC" "$PEER_IP" "$OTHER_IP" ttl1-udp:5555
send "$OTHER_MAC" "$PEER_IP" "$HOST_IP" ttl1-udp:5555
send ff:ff:ff:ff:ff:ff "$PEER_IP" "$BCAST_IP" vlan-udp:5557
send ff:ff:ff:ff:ff:ff "$PEER_IP" "$BCAST_IP" vlan-udp:5555
# Barriers: frames sent after the attacks, in the same order on the wire.
arrive "$W" "ip=$HOST_IP port=5555" 2 "$MAC" "$PEER_IP" "$HOST_IP" good-udp:5555 ||
	fail "the second frame to $HOST_IP:5555 did not arrive"
arrive "$B" "port=5558" 2 ff:ff:ff:ff:ff:ff "$PEER_IP" "$BCAST_IP" good-udp:5558 ||
	fail "the second untagged broadcast did not arrive"
refused "$W" "ip=$OTHER_IP " "a frame to our MAC but to $OTHER_IP"
refused "$W" "mac=$OTHER_MAC" "a frame to $HOST_IP but to MAC $OTHER_MAC"
refused "$B" "tagged=1" "a VLAN-tagged broadcast"
refused "$W" "tagged=1" "a VLAN-tagged broadcast (to the wildcard's port)"

# IPv6: a wildcard gets frames to the TAP's link-local address, not to another address.
LL=$(ip -6 addr show dev "$TAP" scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)\/.*/\1/p' | head -1)
[ -n "$LL" ] || fail "the TAP has no IPv6 link-local address"
listen wild6 plain "[::]:5560"
W6=$WORK/wild6
arrive "$W6" "ip=$LL port=5560" 1 "$MAC" fe80::2 "$LL" udp6:5560 ||
	fail "a frame to the TAP's link-local $LL did not reach the IPv6 wildcard app"
ok "positive control: udp [$LL]:5560 reaches [::]:5560"
send "$MAC" fe80::2 "$OTHER_IP6" udp6:5560
arrive "$W6" "ip=$LL port=5560" 2 "$MAC" fe80::2 "$LL" udp6:5560 ||
	fail "the second frame to $LL did not arrive"
refused "$W6" "ip=$OTHER_IP6 " "a frame to our MAC but to $OTHER_IP6"

[ "$ATTACKS" -eq 0 ] || fail "$ATTACKS frame(s) not addressed to this host reached an app"

d_not_local=$(($(counter nic.rx_not_local) - not_local))
d_other_mac=$(($(counter nic.rx_other_mac) - other_mac))
d_vlan=$(($(counter nic.rx_vlan) - vlan))
[ "$d_not_local" -eq 2 ] || fail "nic.rx_not_local moved by $d_not_local, want 2"
[ "$d_other_mac" -ge 1 ] || fail "nic.rx_other_mac moved by $d_other_mac"
[ "$d_vlan" -ge 2 ] || fail "nic.rx_vlan moved by $d_vlan"
ok "counted: nic.rx_not_local +$d_not_local, nic.rx_other_mac +$d_other_mac, nic.rx_vlan +$d_vlan"
[ "$(counter "app.$WILD.rx_ring_full")" -eq 0 ] || fail "the wildcard app dropped frames"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
