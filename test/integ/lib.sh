#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared set-up for the integration tests and the demo: a peer namespace on a veth pair,
# mstackd on net_af_packet (the "NIC") and net_tap (the kernel), cleaned up on any exit.
#
# Use: source lib.sh; integ_start [extra config lines]; ... ; integ_pass
# Provides: $PEER (netns), $HOST_IP, $PEER_IP, $SOCK, $TAP, $WORK, $BIN, peer CMD..., ctl ARGS...

set -u
BIN=${MSTACK_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ID=$(printf '%04x' $(( ($$ + RANDOM) % 65536 )))
PEER=mspeer$ID
VETH_NIC=msn$ID		# our end: the DPDK "NIC" (net_af_packet)
VETH_PEER=msp$ID	# the remote host's end, inside $PEER
TAP=mst$ID
NET=10.213.$(( 0x$ID % 250 + 1 ))
HOST_IP=$NET.1
PEER_IP=$NET.2
WORK=$(mktemp -d /tmp/mstack-integ.XXXXXX)
chmod 755 "$WORK" # other uids (the access-policy tests) must reach the socket
SOCK=$WORK/mstackd.sock
CONF=$WORK/mstackd.conf
DLOG=$WORK/mstackd.log
INTEG_PIDS=()
INTEG_NAME=$(basename "$0" .sh)

integ_cleanup() {
	local rc=$?
	for p in "${INTEG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ -n "${DAEMON_PID:-}" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$DAEMON_PID" 2>/dev/null
		# A clean stop is part of every test: exit status 0, and no sanitizer report.
		wait "$DAEMON_PID"
		local drc=$?
		if [ $rc -eq 0 ] && { [ $drc -ne 0 ] || grep -q "Sanitizer" "$DLOG"; }; then
			echo "FAIL: $INTEG_NAME: mstackd exited with status $drc on SIGTERM"
			rc=1
		fi
	fi
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VETH_NIC" 2>/dev/null
	if [ $rc -ne 0 ] && [ -f "$DLOG" ]; then
		echo "--- mstackd log ($DLOG) ---"; tail -40 "$DLOG"
	fi
	rm -rf "$WORK"
	exit $rc
}
trap integ_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $INTEG_NAME: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
peer() { ip netns exec "$PEER" "$@"; }
ctl() { "$BIN/mstackctl" -s "$SOCK" "$@"; }

# counter NAME: one counter's value from mstackctl --json stats
counter() {
	ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"].get(sys.argv[1], 0))' "$1"
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local t=$1; shift
	for _ in $(seq $(( t * 10 ))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

integ_net() {
	ip netns add "$PEER"
	ip link add "$VETH_NIC" type veth peer name "$VETH_PEER"
	ip link set "$VETH_PEER" netns "$PEER"
	ip link set "$VETH_NIC" up
	# The veth end is our "NIC": only DPDK may use it, not this host's own stack
	# (AF_PACKET sees frames before these filters drop them for the kernel).
	sysctl -qw "net.ipv6.conf.$VETH_NIC.disable_ipv6=1" "net.ipv4.conf.$VETH_NIC.rp_filter=1" \
		"net.ipv4.conf.$VETH_NIC.arp_ignore=8"
	peer ip link set lo up
	peer ip addr add "$PEER_IP/24" dev "$VETH_PEER"
	peer ip link set "$VETH_PEER" up
	# veth hands AF_PACKET frames whose TCP/UDP checksums the sender left to "hardware";
	# a real wire carries them complete, so make the peer compute them itself.
	peer ethtool -K "$VETH_PEER" tx off > /dev/null
}

# integ_start [config lines...]: write the config, start mstackd, wait until it serves
integ_start() {
	integ_net
	{
		echo "[eal]"
		echo "args = -l 0-1 --no-huge -m 256 --no-pci --file-prefix ms$ID --log-level=*:warning"
		echo "[nic]"
		echo "devargs = net_af_packet$ID,iface=$VETH_NIC"
		echo "[host]"
		echo "tap = $TAP"
		echo "address = $HOST_IP/24"
		echo "[control]"
		echo "socket = $SOCK"
		for l in "$@"; do echo "$l"; done
	} > "$CONF"
	daemon_start
}

# daemon_start: (re)start mstackd on $CONF, wait until it serves
daemon_start() {
	"$BIN/mstackd" -c "$CONF" >> "$DLOG" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 grep -q "ready" "$DLOG" || fail "mstackd did not start"
	sysctl -qw "net.ipv4.conf.$TAP.rp_filter=0"
}

# start_bg CMD...: run in the background, killed at exit; sets $LAST_PID
start_bg() {
	"$@" &
	LAST_PID=$!
	disown "$LAST_PID"
	INTEG_PIDS+=("$LAST_PID")
}

integ_pass() { echo "PASS: $INTEG_NAME"; }

# udp_roundtrip IP PORT PAYLOAD: from the peer, send one datagram and print the answer (2 s timeout, 3 tries)
udp_roundtrip() {
	peer python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(2048).decode()); sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)' "$@"
}

# start_echo PORT [OPTION...]: an mstack-echo bound to udp $HOST_IP:PORT; sets $LAST_PID and $APP_ID
start_echo() {
	local out="$WORK/echo.$1" port=$1
	shift
	start_bg "$BIN/mstack-echo" -s "$SOCK" "$@" udp "$HOST_IP:$port" > "$out" 2>&1
	wait_for 10 grep -q "echoing" "$out" || fail "mstack-echo on port $port did not start: $(cat "$out")"
	APP_ID=$(sed -n 's/.* app \([0-9]*\) echoing.*/\1/p' "$out")
}
