#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_workers.sh - two workers on a two-queue NIC (net_af_packet,qpairs=2): many flows reach their app,
# each on the queue ms_flow_queue predicts whichever worker received it, replies from that queue reach the
# peer, an app with one queue works, the kernel path works, and both workers count their share.
source "$(dirname "$0")/lib.sh"
# Three lcores on two CPUs: the main lcore (control thread and TAP, asleep when idle) shares CPU 0 with worker 1.
INTEG_LCORES="--lcores 0@0,1@1,2@0" INTEG_NIC_ARGS=",qpairs=2" integ_start

ctl status > "$WORK/status" || fail "mstackctl status"
grep -q "^workers *2$" "$WORK/status" || fail "want 2 workers: $(cat "$WORK/status")"
grep -q "2 worker(s)" "$DLOG" || fail "mstackd did not start two workers: $(tail -5 "$DLOG")"
ok "mstackd runs two workers"

# --- Many flows, an app with 4 queues: two belong to worker 0, two to worker 1 (app_queue_owner).
NQ=4
PORT=7400
start_bg "$BIN/test/flow_app" "$SOCK" $NQ 120 "$HOST_IP:$PORT" > "$WORK/flow" 2>&1
wait_for 10 grep -q "^ready" "$WORK/flow" || fail "flow_app did not start: $(cat "$WORK/flow")"
grep -q "^ready app [0-9]* queues $NQ$" "$WORK/flow" || fail "flow_app: $(head -1 "$WORK/flow")"
NFLOWS=128
steer() {
	peer python3 "$INTEG_DIR/flow_steer.py" "$HOST_IP" "$PORT" $NFLOWS 32000 > "$WORK/$1" 2>&1 ||
		fail "steering: $(cat "$WORK/$1")"
	[ "$(wc -l < "$WORK/$1")" -eq $NFLOWS ] || fail "$NFLOWS flows, $(wc -l < "$WORK/$1") replies"
}
steer steer1
bad=$(awk '{ split($1, a, "="); split($2, b, "="); if (a[2] != b[2]) n++ } END { print n + 0 }' "$WORK/steer1")
[ "$bad" -eq 0 ] || fail "$bad of $NFLOWS flows arrived on another queue than ms_flow_queue predicts: $(cat "$WORK/steer1")"
used=$(sed 's/ .*//' "$WORK/steer1" | sort -u | wc -l)
[ "$used" -eq $NQ ] || fail "$NFLOWS flows used $used of $NQ queues: $(sort "$WORK/steer1" | uniq -c)"
steer steer2
cmp -s "$WORK/steer1" "$WORK/steer2" || fail "flows changed queues between two rounds: $(diff "$WORK/steer1" "$WORK/steer2" | head)"
ok "$NFLOWS flows, twice: each on the queue ms_flow_queue predicts, the same both rounds, over all $NQ queues; every reply from that queue reached the peer"

w0=$(counter dp.0.nic_rx_packets); w1=$(counter dp.1.nic_rx_packets)
[ "$w0" -gt 0 ] && [ "$w1" -gt 0 ] || fail "the NIC's queues did not spread the flows: worker 0 got $w0, worker 1 $w1"
out=$(( $(counter dp.0.handoff_out) + $(counter dp.1.handoff_out) ))
in=$(( $(counter dp.0.handoff_in) + $(counter dp.1.handoff_in) ))
[ "$out" -gt 0 ] && [ "$in" -eq "$out" ] || fail "handoffs: $out out, $in in"
[ "$(counter dp.0.handoff_full)" -eq 0 ] && [ "$(counter dp.1.handoff_full)" -eq 0 ] || fail "handoff rings overflowed"
ok "both workers received (worker 0: $w0 frames, worker 1: $w1); $out frames crossed to the worker that owns their queue, none lost"

# --- An app with one queue: every flow lands on queue 0, which one worker owns, whichever worker got it.
start_echo 7500
for i in $(seq 16); do
	[ "$(udp_roundtrip "$HOST_IP" 7500 "one-queue-$i")" = "one-queue-$i" ] || fail "echo round trip $i through a one-queue app"
done
ok "16 flows to an app with one queue were all answered"

# --- The kernel path: ICMP and TCP to the kernel's own server, through the TAP lcore.
peer ping -c 3 -W 2 "$HOST_IP" > "$WORK/ping" || fail "ping $HOST_IP from the peer through mstackd"
mkdir -p "$WORK/www" && echo "kernel-$ID" > "$WORK/www/index.html"
start_bg python3 -m http.server -b "$HOST_IP" -d "$WORK/www" 8080 > /dev/null 2>&1
wait_for 10 peer curl -sf -m 2 "http://$HOST_IP:8080/" || fail "HTTP server on $HOST_IP:8080 not reachable"
for i in 1 2 3 4; do
	[ "$(peer curl -sf -m 5 "http://$HOST_IP:8080/index.html")" = "kernel-$ID" ] || fail "HTTP GET $i through mstackd"
done
ok "ping and HTTP from the peer reach the kernel through the TAP lcore"

b0=$(counter dp.0.busy_cycles); b1=$(counter dp.1.busy_cycles)
[ "$b0" -gt 0 ] && [ "$b1" -gt 0 ] || fail "busy cycles: worker 0 $b0, worker 1 $b1"
[ "$(counter dp.busy_cycles)" -ge $(( b0 + b1 )) ] || fail "dp.busy_cycles is not the workers' total"
[ "$(counter tap.handover_full)" -eq 0 ] || fail "tap.handover_full = $(counter tap.handover_full)"
ok "per-worker counters: dp.0.busy_cycles = $b0, dp.1.busy_cycles = $b1; tap.handover_full = 0"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
