#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_lossy_fwd.sh - lossy_fwd between two kernel TCPs: transfers survive loss, duplication, reordering and delay.
# The forwarder is proved here with the kernel on both sides, so that a failure of the
# user TCP behind it (test_tcp_lossy.sh) is the TCP's, not the forwarder's.
source "$(dirname "$0")/lib.sh"

SRV=mssrv$ID
INTEG_NETNS+=("$SRV")
SRV_DEV=mss$ID
SRV_IP=$NET.1
PORT=7400

# peer ($PEER_IP) <-> mlb | $MIDDLE: lossy_fwd | mla <-> server ($SRV_IP)
ip netns add "$PEER"
ip netns add "$SRV"
ip netns add "$MIDDLE"
ip link add "$SRV_DEV" netns "$SRV" type veth peer name "mla$ID" netns "$MIDDLE"
ip link add "$VETH_PEER" netns "$PEER" type veth peer name "mlb$ID" netns "$MIDDLE"
for side in "$SRV $SRV_DEV $SRV_IP" "$PEER $VETH_PEER $PEER_IP"; do
	read -r ns dev ip <<< "$side"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr add "$ip/24" dev "$dev"
	ip netns exec "$ns" ip addr add "fd00:$ID::${ip##*.}/64" dev "$dev" nodad
	ip netns exec "$ns" ip link set "$dev" up
	no_offload "$ns" "$dev"
done

# The kernel's echo server: reads until end of stream, echoes everything, then closes.
start_bg ip netns exec "$SRV" python3 -c '
import socket, socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while (d := self.request.recv(65536)):
                self.request.sendall(d)
        except OSError:
            pass
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = daemon_threads = True
    address_family = socket.AF_INET6
    request_queue_size = 1024
Server(("::", int(sys.argv[1])), Echo).serve_forever()' "$PORT" > "$WORK/server.log" 2>&1
listening() { ip netns exec "$SRV" ss -Hltn "sport = :$PORT" | grep -q LISTEN; }
wait_for 5 listening || fail "kernel echo server did not start: $(cat "$WORK/server.log")"

client() { peer python3 "$INTEG_DIR/tcp_client.py" "$@"; }

# 1. A clean forwarder is transparent: IPv4 and IPv6 transfers, one connection each.
lossy_start "mla$ID" "mlb$ID" -S 1
client "$SRV_IP" $PORT -n 2 -m 2000000 -t 20 || fail "clean IPv4 transfer"
client "fd00:$ID::1" $PORT -n 2 -m 2000000 -t 20 || fail "clean IPv6 transfer"
lossy_stop
[ "$(lossy_counter a_to_b.dropped)" = 0 ] && [ "$(lossy_counter b_to_a.tx)" -gt 1000 ] ||
	fail "clean forwarder counters: $(cat "$WORK/lossy.log")"
ok "a clean forwarder carries IPv4 and IPv6 transfers"

# 2. Impaired both ways: the kernel's TCP still delivers every byte, and every impairment happened.
lossy_start "mla$ID" "mlb$ID" -d 2 -u 2 -r 3 -D 2 -S 42
client "$SRV_IP" $PORT -n 4 -m 1000000 -t 40 || fail "IPv4 transfer through drops, duplicates, reordering"
client "fd00:$ID::1" $PORT -n 2 -m 500000 --mode halfclose -t 40 || fail "IPv6 half-close through the impairments"
lossy_stop
for dir in a_to_b b_to_a; do
	for k in dropped duplicated reordered; do
		[ "$(lossy_counter $dir.$k)" -gt 0 ] || fail "no $dir.$k: $(cat "$WORK/lossy.log")"
	done
done
ok "kernel TCP through 2% loss, 2% duplication, 3% reordering, 2 ms delay: hashes match"

# 3. Bounded memory: an 8-frame queue with a long delay overflows and counts it, and stays up.
lossy_start "mla$ID" "mlb$ID" -q 8 -D 20 -S 7
client "$SRV_IP" $PORT -n 1 -m 200000 -t 40 || fail "transfer through an 8-frame queue"
lossy_stop
[ "$(lossy_counter a_to_b.queue_full)" -gt 0 ] || [ "$(lossy_counter b_to_a.queue_full)" -gt 0 ] ||
	fail "a 4-frame queue never overflowed: $(cat "$WORK/lossy.log")"
ok "a full queue drops and counts, the transfer still completes"
integ_pass
