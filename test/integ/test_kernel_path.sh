#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_kernel_path.sh - with no application attached, the host works through mstackd as if it were
# not there (ARP, ping, TCP to the kernel's own HTTP server), and malformed frames are counted,
# forwarded to the kernel to decide, and disturb nothing; the virtio-user exception port, or its refusal.
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

# [host] exception = virtio-user: where /dev/vhost-net exists, the same kernel path over it; where
# it does not (this test bed's kernel has no vhost_net), a refusal that says why, and no TAP left.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "mstackd (tap) did not stop cleanly"
DAEMON_PID=
printf '[host]\nexception = virtio-user\n' >> "$CONF"
if [ -c /dev/vhost-net ]; then
	: > "$DLOG"
	daemon_start
	peer ping -c 3 -W 2 "$HOST_IP" > /dev/null || fail "virtio-user: ping through mstackd"
	body=$(peer curl -sf -m 5 "http://$HOST_IP:8080/index.html") || fail "virtio-user: HTTP GET through mstackd"
	[ "$body" = "served-by-the-kernel-$ID" ] || fail "virtio-user: HTTP body was '$body'"
	[ "$(cat /sys/class/net/$TAP/address)" = "$mac" ] || fail "virtio-user: $TAP does not carry the NIC's MAC"
	ok "virtio-user: ping and HTTP reach the kernel through vhost-net, $TAP carries the NIC's MAC"
else
	rc=0
	timeout 60 "$BIN/mstackd" -c "$CONF" > "$WORK/virtio-user.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "virtio-user without /dev/vhost-net: mstackd exited with $rc"
	grep -q "exception = virtio-user needs /dev/vhost-net" "$WORK/virtio-user.log" ||
		fail "virtio-user without /dev/vhost-net: $(tail -3 "$WORK/virtio-user.log")"
	ip link show "$TAP" > /dev/null 2>&1 && fail "virtio-user without /dev/vhost-net: $TAP was left behind"
	ok "virtio-user without /dev/vhost-net: refused at start ($(grep -o "needs.*" "$WORK/virtio-user.log"))"
fi
integ_pass
