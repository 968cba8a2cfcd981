#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_tcp_scapy.sh - the user TCP at packet level (tcp_scapy.py): SYN-ACK options, SYN cookies under a
# SYN flood, challenge ACKs, SACK dup ACKs, RTO backoff, against mstack-tcpecho through a real mstackd.
# "test_tcp_scapy.sh kernel" runs the same checks against the kernel's TCP in a namespace: the
# reference that proves the checks themselves.
source "$(dirname "$0")/lib.sh"
TARGET=${1:-mstack}

# scapy is Debian's python3-scapy: Debian's own interpreter, whatever python3 comes first on PATH.
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || fail "python3-scapy is not installed (scripts/deps.sh)"

HOST_IP6=fd00:$ID::1
FAKE_IP=$NET.99
FAKE_IP6=fd00:$ID::99
PORT=7000
FLOOD_PORT=7001
BACKLOG=16

if [ "$TARGET" = kernel ]; then
	kernel_net direct
	SERVER_NS=$SRV
	SERVER_DEV=$SRV_DEV
	kernel_echo $PORT 1024
	kernel_echo $FLOOD_PORT $BACKLOG
	# Linux sends a tail loss probe (RFC 8985 7) before the first RTO; mstack has none. Without
	# it the kernel's retransmissions are RTO-driven alone, the behaviour the backoff check reads.
	ip netns exec "$SRV" sysctl -qw net.ipv4.tcp_early_retrans=0
else
	integ_start
	SERVER_NS=
	SERVER_DEV=$TAP
	ip6_add "" "$TAP" "$HOST_IP6/64"
	ip6_add "$PEER" "$VETH_PEER" "fd00:$ID::2/64"
	peer ethtool -K "$VETH_PEER" tso off gso off > /dev/null
	for spec in "echo $PORT 1024" "flood $FLOOD_PORT $BACKLOG"; do
		read -r name port backlog <<< "$spec"
		start_bg "$BIN/mstack-tcpecho" -s "$SOCK" -b "$backlog" "$HOST_IP:$port" "[$HOST_IP6]:$port" \
			> "$WORK/$name" 2>&1
		wait_for 10 grep -q "echoing" "$WORK/$name" ||
			fail "mstack-tcpecho on $port did not start: $(cat "$WORK/$name")"
	done
fi
server() { if [ -n "$SERVER_NS" ]; then ip netns exec "$SERVER_NS" "$@"; else "$@"; fi; }

# The hand-made connections come from addresses the peer's kernel does not own (so it sends no
# RST for them); the server reaches them at the peer's MAC, where scapy reads the answers.
PEER_MAC=$(peer cat "/sys/class/net/$VETH_PEER/address")
SERVER_MAC=$(server cat "/sys/class/net/$SERVER_DEV/address")
server ip neigh replace "$FAKE_IP" lladdr "$PEER_MAC" dev "$SERVER_DEV" nud permanent
server ip -6 neigh replace "$FAKE_IP6" lladdr "$PEER_MAC" dev "$SERVER_DEV" nud permanent

peer $PY "$INTEG_DIR/tcp_scapy.py" "$VETH_PEER" "$SERVER_MAC" "$HOST_IP" "$FAKE_IP" "$HOST_IP6" "$FAKE_IP6" \
	$PORT $FLOOD_PORT $BACKLOG || fail "packet-level checks against $TARGET"
integ_pass
