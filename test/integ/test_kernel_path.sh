#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_kernel_path.sh - with no application attached, the host works through mstackd as if it were
# not there (ARP, ping, TCP to the kernel's own HTTP server), and malformed frames are counted,
# forwarded to the kernel to decide, and disturb nothing.
source "$(dirname "$0")/lib.sh"
integ_start

peer ping -c 3 -W 2 "$HOST_IP" > "$WORK/ping" || fail "ping $HOST_IP from the peer through mstackd"
grep -q " 0% packet loss" "$WORK/ping" || fail "ping lost packets: $(tail -2 "$WORK/ping")"
ok "ping from the peer is answered by the kernel through the TAP port"

mkdir -p "$WORK/www" && echo "served-by-the-kernel-$ID" > "$WORK/www/index.html"
start_bg python3 -m http.server -b "$HOST_IP" -d "$WORK/www" 8080 > /dev/null 2>&1
wait_for 10 ss -ltn "sport = :8080" | grep -q LISTEN
wait_for 10 peer curl -sf -m 2 "http://$HOST_IP:8080/" || fail "HTTP server on $HOST_IP:8080 not reachable"
body=$(peer curl -sf -m 5 "http://$HOST_IP:8080/index.html") || fail "HTTP GET through mstackd"
[ "$body" = "served-by-the-kernel-$ID" ] || fail "HTTP body was '$body'"
ok "HTTP GET from the peer reaches the kernel's server through mstackd"

mac=$(peer ip neigh show "$HOST_IP" | awk '{print $5}')
[ -n "$mac" ] || fail "no neighbour entry for $HOST_IP in the peer"
[ "$mac" = "$(cat /sys/class/net/$TAP/address)" ] || fail "TAP does not carry the NIC's MAC"
send() { peer python3 "$INTEG_DIR/frames.py" "$VETH_PEER" "$mac" "$PEER_IP" "$HOST_IP" "$@"; }
for kind in bad-csum bad-ihl bad-version bad-totlen truncated; do
	send "$kind" 3 || fail "sending $kind frames"
done
send ip-options:9 2
# No fragments here: net_af_packet's socket asks the kernel to reassemble them (fanout DEFRAG),
# so mstackd never sees one on this test bed; the classifier's unit tests cover them.
send vlan-udp:9 2
check_counter() {
	local v; v=$(counter "$1")
	[ "$v" -ge "$2" ] || fail "counter $1 is $v, expected at least $2"
	ok "counter $1 = $v"
}
wait_for 5 test "$(counter nic.rx_bad_csum)" -ge 3
check_counter nic.rx_bad_csum 3
check_counter nic.rx_bad_ihl 3
check_counter nic.rx_bad_version 3
check_counter nic.rx_bad_totlen 3
check_counter nic.rx_truncated 3
check_counter nic.rx_to_kernel 18

peer ping -c 2 -W 2 "$HOST_IP" > /dev/null || fail "ping after malformed frames"
body=$(peer curl -sf -m 5 "http://$HOST_IP:8080/index.html") || fail "HTTP after malformed frames"
kill -0 "$DAEMON_PID" || fail "mstackd died"
ok "mstackd still forwards after malformed frames"
integ_pass
