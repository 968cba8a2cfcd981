#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - install, build, and show mstackd at work: a peer namespace pings the host and fetches
# a page from the kernel's own HTTP server through mstackd, then talks UDP to a user-level echo
# server beside it; mstackctl shows the state and counters. Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
set +e
source test/integ/lib.sh
integ_start
echo "== mstackd runs: NIC = net_af_packet on $VETH_NIC, kernel TAP = $TAP ($HOST_IP), peer netns $PEER ($PEER_IP)"
echo "== ping $HOST_IP from the peer: answered by the kernel through mstackd's TAP port"
peer ping -c 3 "$HOST_IP"
echo "== HTTP from the peer to the kernel's own server on $HOST_IP:8080"
echo "hello from the kernel's HTTP server" > "$WORK/index.html"
start_bg python3 -m http.server -b "$HOST_IP" -d "$WORK" 8080 > /dev/null 2>&1
wait_for 10 peer curl -sf -m 2 -o /dev/null "http://$HOST_IP:8080/"
peer curl -s "http://$HOST_IP:8080/index.html"
echo "== a user-level UDP echo server (mstack-echo) claims udp $HOST_IP:7000"
start_echo 7000
echo "== the peer sends a datagram to $HOST_IP:7000; mstack-echo answers:"
udp_roundtrip "$HOST_IP" 7000 "hello mstack"
echo "== mstackctl status"; ctl status
echo "== mstackctl bindings"; ctl bindings
echo "== mstackctl stats"; ctl stats
integ_pass
