#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_capture_workers.sh - a capture with two workers on a two-queue NIC: every frame of many flows, whichever
# worker handled it, is in the pcapng exactly as often as the peer sent or received it, in timestamp order.
source "$(dirname "$0")/lib.sh"
command -v tshark > /dev/null || fail "tshark is missing (scripts/deps.sh installs it)"
# As test_workers.sh: three lcores on two CPUs, worker 1 shares CPU 0 with the main lcore.
INTEG_LCORES="--lcores 0@0,1@1,2@0" INTEG_NIC_ARGS=",qpairs=2" integ_start "[datapath]" "workers = 2"
grep -q "2 worker(s)" "$DLOG" || fail "mstackd did not start two workers: $(tail -5 "$DLOG")"

PORT=7000
start_echo $PORT
udp_roundtrip "$HOST_IP" $PORT warm-up > /dev/null || fail "echo" # ARP happens here, not in the capture

rx0_0=$(counter dp.0.nic_rx_packets); rx1_0=$(counter dp.1.nic_rx_packets)
start_bg "$BIN/mstackctl" -s "$SOCK" capture -w "$WORK/cap.pcapng" udp port $PORT 2> "$WORK/cap.err"
CAP=$LAST_PID
wait_for 10 grep -q "capturing to" "$WORK/cap.err" || fail "capture did not start: $(cat "$WORK/cap.err")"

# From the peer: NFLOWS flows (one source port each), K datagrams each, every one answered by the echo.
# Prints "port sent replies" per flow.
NFLOWS=64
K=4
peer python3 -c '
import socket, sys
host, port, nflows, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(nflows):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 33000 + i))
    s.settimeout(1)
    socks.append(s)
for j in range(k):
    for i, s in enumerate(socks):
        s.sendto(b"flow %d datagram %d" % (i, j), (host, port))
sent = [k] * nflows
got = [0] * nflows
for i, s in enumerate(socks):
    try:
        while got[i] < k:
            s.recv(256)
            got[i] += 1
    except socket.timeout:
        pass
for i in range(nflows):
    print(33000 + i, sent[i], got[i])' "$HOST_IP" $PORT $NFLOWS $K > "$WORK/peer.txt" || fail "the peer's flows"
[ "$(wc -l < "$WORK/peer.txt")" -eq $NFLOWS ] || fail "peer: $(cat "$WORK/peer.txt")"
lost=$(awk '$3 != $2' "$WORK/peer.txt" | wc -l)
[ "$lost" -eq 0 ] || fail "$lost flows lost replies: $(awk '$3 != $2' "$WORK/peer.txt")"
rx0=$(( $(counter dp.0.nic_rx_packets) - rx0_0 )); rx1=$(( $(counter dp.1.nic_rx_packets) - rx1_0 ))
[ "$rx0" -gt 0 ] && [ "$rx1" -gt 0 ] || fail "the NIC's queues did not spread the flows: worker 0 got $rx0, worker 1 $rx1"
# One snapshot of the counters: the NIC keeps copying whatever else arrives (ARP, IPv6) between two reads;
# within it the workers' counters come before their sums (capture.frames >= their sum).
ctl --json stats > "$WORK/stats.json" || fail "mstackctl stats"
snap() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"].get(sys.argv[2], 0))' "$WORK/stats.json" "$1"; }
f0=$(snap dp.0.capture_frames); f1=$(snap dp.1.capture_frames)
[ "$f0" -gt 0 ] && [ "$f1" -gt 0 ] || fail "both workers' rings should hold frames: worker 0 $f0, worker 1 $f1"
[ "$(snap capture.frames)" -ge $(( f0 + f1 )) ] || fail "capture.frames $(snap capture.frames) is less than the sum of the workers' rings ($f0 + $f1)"
[ "$(snap capture.dropped)" -eq 0 ] || fail "capture.dropped = $(snap capture.dropped)"
ok "$NFLOWS flows x $K datagrams answered; worker 0 received $rx0 frames, worker 1 $rx1; rings: worker 0 $f0 copies, worker 1 $f1"

# Ctrl-C: mstackctl writes what it holds and stops.
sleep 0.5
kill -INT "$CAP"
wait_for 10 sh -c "! kill -0 $CAP" || fail "the capture did not end on SIGINT"
tshark -r "$WORK/cap.pcapng" -T fields -E separator=' ' -e frame.time_epoch -e frame.packet_flags_direction \
	-e udp.srcport -e udp.dstport > "$WORK/cap.txt" 2> "$WORK/tshark.err" || fail "tshark: $(cat "$WORK/tshark.err")"
python3 - "$WORK/peer.txt" "$WORK/cap.txt" $PORT << 'PY' || fail "the capture is incomplete or out of order"
import sys
from decimal import Decimal
peer = {int(p): (int(s), int(g)) for p, s, g in (l.split() for l in open(sys.argv[1]))}
port = int(sys.argv[3])
inbound, outbound, times = {}, {}, []
for line in open(sys.argv[2]):
    ts, direction, sport, dport = line.split()
    times.append(Decimal(ts))
    if int(direction, 16) == 1 and int(dport) == port:
        inbound[int(sport)] = inbound.get(int(sport), 0) + 1
    elif int(direction, 16) == 2 and int(sport) == port:
        outbound[int(dport)] = outbound.get(int(dport), 0) + 1
    else:
        sys.exit("a frame that is neither: " + line)
bad = [p for p, (s, g) in peer.items() if inbound.get(p, 0) != s or outbound.get(p, 0) != g]
if bad:
    sys.exit("flows whose frames are missing: " + ", ".join(
        "%d sent %d captured %d in, received %d captured %d out" % (p, peer[p][0], inbound.get(p, 0), peer[p][1],
                                                                    outbound.get(p, 0)) for p in bad))
back = [i for i in range(1, len(times)) if times[i] < times[i - 1]]
if back:
    sys.exit("%d frames written before an older one, first at frame %d: %s < %s" % (
        len(back), back[0] + 1, times[back[0]], times[back[0] - 1]))
print("%d frames, per flow as the peer counted, in timestamp order" % len(times))
PY
ok "the pcapng holds every frame of all $NFLOWS flows from both workers, in timestamp order: $(tail -1 "$WORK/cap.err")"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
