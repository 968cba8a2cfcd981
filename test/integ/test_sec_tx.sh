#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_sec_tx.sh - an application may only say what it holds, beyond its source tuple: neighbour
# discovery link-layer options and targets, later fragments of another app's datagram, frames longer
# than the MTU, IPv4 source routes. Each attack is captured in the peer namespace to prove it stayed
# off the wire, and counted; the legitimate forms (one app's fragmented datagram, a neighbour
# solicitation naming the NIC's MAC) still pass.
source "$(dirname "$0")/lib.sh"
F="$INTEG_DIR/sec_tx_frames.py"
integ_start

NIC_MAC=$(cat "/sys/class/net/$TAP/address")
PEER_MAC=$(peer cat "/sys/class/net/$VETH_PEER/address")
EVIL_MAC=02:66:66:66:66:66
V6=fd00:$ID
# Veths that carry jumbo frames: a frame over the daemon's MTU that got through would reach the peer.
ip link set "$VETH_NIC" mtu 9000
peer ip link set "$VETH_PEER" mtu 9000
ip6_add "" "$TAP" "$V6::1/64"
ip6_add "$PEER" "$VETH_PEER" "$V6::2/64"
sleep 1.5 # mstackd re-reads the host's addresses every second

start_bg ip netns exec "$PEER" python3 "$F" capture "$VETH_PEER" "$WORK/wire" > "$WORK/capture.out" 2>&1
wait_for 5 grep -q capturing "$WORK/capture.out" || fail "capture: $(cat "$WORK/capture.out")"
start_bg ip netns exec "$PEER" python3 "$F" listen "$PEER_IP" 7777 "$WORK/udp" > "$WORK/listen.out" 2>&1
wait_for 5 grep -q listening "$WORK/listen.out" || fail "listener: $(cat "$WORK/listen.out")"

# spoof NAME PROTO ADDR:PORT FRAME...: an app that sends these frames, in order; sets $SPOOF (its id)
spoof() {
	local name=$1
	shift
	start_bg "$BIN/test/spoof_app" "$SOCK" "$@" > "$WORK/$name" 2>&1
	wait_for 10 grep -q "^spoof: sent" "$WORK/$name" || fail "spoof_app $name: $(cat "$WORK/$name")"
	SPOOF=$(sed -n 's/^spoof: app \([0-9]*\).*/\1/p' "$WORK/$name")
}
ipv4() { python3 "$F" ipv4 "$NIC_MAC" "$PEER_MAC" "$HOST_IP" "$PEER_IP" "$@"; }
nd() { python3 "$F" "$1" "$NIC_MAC" "$PEER_MAC" "$V6::1" "$V6::2" "${@:2}"; }

# Every check runs, so that a failure shows every attack that got through; the test fails at the end.
FAILED=()
check() { # check WHAT CMD...: CMD must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else
		echo "NOT OK: $what" >&2
		FAILED+=("$what")
	fi
}
not() { ! "$@"; }
on_wire() { python3 "$F" count "$WORK/wire" "$@"; }
none_on_wire() { [ "$(on_wire "$@")" -eq 0 ]; }
some_on_wire() { [ "$(on_wire "$@")" -gt 0 ]; }
counter_is() { [ "$(counter "app.$1.$2")" -eq "$3" ]; }
peer_neigh_mac() { peer ip -6 neigh show "$1" dev "$VETH_PEER" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# --- neighbour discovery: an app holding only udp [::]:6000 (so every host IPv6 address is its own)
peer ip -6 neigh flush dev "$VETH_PEER"
# The peer knows a third address, ::9, which the host does not have.
peer ip -6 neigh replace "$V6::9" lladdr "$NIC_MAC" dev "$VETH_PEER" nud stale
spoof nd udp "[::]:6000" \
	"$(nd ns "$V6::2" "$NIC_MAC" "$(hexof legit!)")" \
	"$(nd ns "$V6::2" "$EVIL_MAC")" \
	"$(nd na "$V6::9" "$NIC_MAC")" \
	"$(nd na "$V6::9" "$EVIL_MAC")" \
	"$(nd na "$V6::1" "$EVIL_MAC")"
ND=$SPOOF
sleep 0.5
check "an NS from the host's address with the NIC's MAC reaches the peer" some_on_wire contains "$(hexof legit!)"
check "the peer maps the host's address to the NIC's MAC" [ "$(peer_neigh_mac "$V6::1")" = "$NIC_MAC" ]
check "no ND option naming another MAC reaches the wire" none_on_wire contains "${EVIL_MAC//:/}"
check "the peer's cache entry for $V6::9 keeps its MAC" [ "$(peer_neigh_mac "$V6::9")" = "$NIC_MAC" ]
check "bogus NS/NA are counted as tx_spoofed (4)" counter_is "$ND" tx_spoofed 4
check "only the legitimate NS was sent" counter_is "$ND" tx_packets 1

# --- fragments: app A sends a fragmented datagram, then the first fragment of another;
# app B, holding only udp $HOST_IP:9000, sends a last fragment with A's IP ID, and a TCP later fragment.
spoof frag-a udp "$HOST_IP:9001" \
	"$(ipv4 id=18247 mf=1 udp=9001,7777,24 data=GOODGOOD)" \
	"$(ipv4 id=18247 off=2 data=FRAGMENT)" \
	"$(ipv4 id=16705 mf=1 udp=9001,7777,24 data=AAAAAAAA)"
A=$SPOOF
spoof frag-b udp "$HOST_IP:9000" \
	"$(ipv4 id=16705 off=2 data=EVILEVIL)" \
	"$(ipv4 id=20817 off=8 proto=6 data=TCPFRAG!)"
B=$SPOOF
sleep 0.5
check "one app's own fragmented datagram reaches the peer whole" grep -q "^$HOST_IP 9001 GOODGOODFRAGMENT$" "$WORK/udp"
check "A's fragments were all sent" counter_is "$A" tx_packets 3
check "no fragment of B's joins A's datagram on the wire" none_on_wire contains "$(hexof EVILEVIL)"
check "the peer received nothing of B's in A's datagram" not grep -q EVIL "$WORK/udp"
check "no TCP later fragment from a UDP-only app reaches the wire" none_on_wire later-frag4 6
check "B's orphan fragments are counted as tx_frag_orphan (2)" counter_is "$B" tx_frag_orphan 2

# --- MTU and IPv4 options, from the tuple of a third app
spoof long udp "$HOST_IP:9002" \
	"$(ipv4 udp=9002,7777,1966 data=TOOLONG! pad=1950)" \
	"$(ipv4 opts=0183070400000000 udp=9002,7777,16 data=LSRRLSRR)" \
	"$(ipv4 udp=9002,7777,1480 data=MTUEXACT pad=1464)"
L=$SPOOF
sleep 0.5
check "a frame of exactly MTU + 14 bytes still passes" grep -qa "^$HOST_IP 9002 MTUEXACT" "$WORK/udp"
check "no frame longer than MTU + 14 reaches the wire" none_on_wire longer 1514
check "no IPv4 frame with a source route reaches the wire" none_on_wire contains "$(hexof LSRRLSRR)"
check "the long frame is counted as tx_too_long (1)" counter_is "$L" tx_too_long 1
check "the source-routed frame is counted as tx_ip_options (1)" counter_is "$L" tx_ip_options 1

kill -0 "$DAEMON_PID" || fail "mstackd died"
[ ${#FAILED[@]} -eq 0 ] || fail "${#FAILED[@]} check(s) failed: ${FAILED[*]}"
integ_pass
