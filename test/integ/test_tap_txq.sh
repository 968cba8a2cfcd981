#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_tap_txq.sh - the kernel's frames leave by the TAP lcore's own NIC tx queue where the NIC has one more
# than the workers (net_af_packet,qpairs=3, two workers), by worker 0's otherwise (qpairs=2): ping and HTTP to
# the kernel work both ways, the stats name the route and count the frames where they went, a capture sees them.
source "$(dirname "$0")/lib.sh"
command -v tshark > /dev/null || fail "tshark is missing (scripts/deps.sh installs it)"
# As test_workers.sh: three lcores on two CPUs, worker 1 shares CPU 0 with the main lcore (control thread, TAP).
INTEG_LCORES="--lcores 0@0,1@1,2@0" INTEG_NIC_ARGS=",qpairs=3" integ_start "[datapath]" "workers = 2"
grep -q "2 worker(s)" "$DLOG" || fail "mstackd did not start two workers: $(tail -5 "$DLOG")"

mkdir -p "$WORK/www" && head -c 300000 /dev/urandom > "$WORK/www/blob"
start_bg python3 -m http.server -b "$HOST_IP" -d "$WORK/www" 8080 > /dev/null 2>&1
wait_for 10 sh -c "ss -ltn 'sport = :8080' | grep -q LISTEN" || fail "no HTTP server on $HOST_IP:8080"

# kernel_traffic: ping and a 300 kB TCP transfer from the peer to the kernel's own server, through mstackd.
kernel_traffic() {
	peer ping -c 5 -i 0.2 -W 2 "$HOST_IP" > "$WORK/ping" || fail "ping $HOST_IP from the peer through mstackd"
	grep -q " 0% packet loss" "$WORK/ping" || fail "ping lost packets: $(tail -2 "$WORK/ping")"
	wait_for 10 peer curl -sf -m 2 -o /dev/null "http://$HOST_IP:8080/blob" || fail "HTTP server not reachable"
	peer curl -sf -m 10 -o "$WORK/got" "http://$HOST_IP:8080/blob" || fail "HTTP GET through mstackd"
	cmp -s "$WORK/got" "$WORK/www/blob" || fail "the 300 kB body came back different"
}

# --- Direct route: tx queue 2 is the TAP lcore's.
grep -q "the kernel's frames leave by NIC tx queue 2, the TAP lcore's own" "$DLOG" ||
	fail "the log does not name the direct route: $(grep -i kernel "$DLOG" | tail -3)"
[ "$(counter tap.nic_txq_owned)" -eq 1 ] || fail "tap.nic_txq_owned = $(counter tap.nic_txq_owned), want 1"
# snap NAME [FILE]: a counter from one snapshot of them (stats.json), so that sums compare within it.
snap() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"].get(sys.argv[2], 0))' "${2:-$WORK/stats.json}" "$1"; }
ctl --json stats > "$WORK/stats0.json" || fail "mstackctl stats"
nic0=$(snap nic.tx_packets "$WORK/stats0.json"); direct0=$(snap tap.nic_tx_packets "$WORK/stats0.json")
kernel_traffic
ctl --json stats > "$WORK/stats.json" || fail "mstackctl stats"
direct=$(( $(snap tap.nic_tx_packets) - direct0 ))
# The kernel sent at least the 5 echo replies and the ~200 segments of 300 kB.
[ "$direct" -ge 200 ] || fail "tap.nic_tx_packets moved by $direct, want the kernel's replies and segments"
[ "$(snap tap.returned)" -eq 0 ] && [ "$(snap tap.return_full)" -eq 0 ] && [ "$(snap tap.return_kicks)" -eq 0 ] ||
	fail "frames went to worker 0: returned $(snap tap.returned), return_full $(snap tap.return_full), return_kicks $(snap tap.return_kicks)"
w_tx=$(( $(snap dp.0.nic_tx_packets) + $(snap dp.1.nic_tx_packets) ))
[ "$w_tx" -eq 0 ] || fail "the workers sent $w_tx frames with no app attached: the kernel's went through them"
[ "$(snap nic.tx_packets)" -eq $(( $(snap dp.0.nic_tx_packets) + $(snap dp.1.nic_tx_packets) + $(snap tap.nic_tx_packets) )) ] ||
	fail "nic.tx_packets $(snap nic.tx_packets) is not the workers' and the TAP lcore's sum"
[ $(( $(snap nic.tx_packets) - nic0 )) -eq "$direct" ] || fail "nic.tx_packets did not move with tap.nic_tx_packets"
[ "$(snap nic.tx_full)" -eq 0 ] || fail "nic.tx_full = $(snap nic.tx_full)"
ok "direct route: ping and 300 kB over TCP; $direct of the kernel's frames left by the TAP lcore's queue, counted in nic.tx_packets; worker 0 handed none"

# A capture on the direct route: the kernel's echo replies, TAP rx and NIC tx, from the TAP lcore's own ring.
start_bg "$BIN/mstackctl" -s "$SOCK" capture --nic --tap -w "$WORK/cap.pcapng" icmp 2> "$WORK/cap.err"
CAP=$LAST_PID
wait_for 10 grep -q "capturing to" "$WORK/cap.err" || fail "capture did not start: $(cat "$WORK/cap.err")"
peer ping -c 3 -i 0.2 -W 2 "$HOST_IP" > /dev/null || fail "ping during the capture"
sleep 0.5
kill -INT "$CAP"
wait_for 10 sh -c "! kill -0 $CAP" || fail "the capture did not end on SIGINT"
replies=$(tshark -r "$WORK/cap.pcapng" -Y "icmp.type == 0" 2> /dev/null | wc -l)
requests=$(tshark -r "$WORK/cap.pcapng" -Y "icmp.type == 8" 2> /dev/null | wc -l)
[ "$replies" -eq 6 ] && [ "$requests" -eq 6 ] ||
	fail "want each of 3 requests and 3 replies at the NIC and the TAP: $requests requests, $replies replies"
ok "a capture holds the kernel's 3 echo replies twice (TAP rx, NIC tx) as it holds the 3 requests"

# --- No spare tx queue (qpairs=2, two workers): the route through worker 0, unchanged.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "mstackd did not stop cleanly"
DAEMON_PID=
sed -i "s/,qpairs=3/,qpairs=2/" "$CONF"
: > "$DLOG"
daemon_start
grep -q "the kernel's frames leave through worker 0's NIC tx queue" "$DLOG" ||
	fail "the log does not name the worker-0 route: $(grep -i kernel "$DLOG" | tail -3)"
[ "$(counter tap.nic_txq_owned)" -eq 0 ] || fail "tap.nic_txq_owned = $(counter tap.nic_txq_owned), want 0"
kernel_traffic
ctl --json stats > "$WORK/stats.json" || fail "mstackctl stats"
returned=$(snap tap.returned)
[ "$returned" -ge 200 ] || fail "tap.returned = $returned, want the kernel's replies and segments"
[ "$(snap tap.nic_tx_packets)" -eq 0 ] || fail "tap.nic_tx_packets = $(snap tap.nic_tx_packets) without a queue of its own"
[ "$(snap dp.0.nic_tx_packets)" -ge "$returned" ] || fail "worker 0 sent $(snap dp.0.nic_tx_packets), fewer than the $returned handed to it"
ok "worker-0 route: ping and 300 kB over TCP; worker 0 sent the kernel's $returned frames"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
