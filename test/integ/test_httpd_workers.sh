#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_httpd_workers.sh - mstack-httpd -q 2 on mstackd with two workers and a two-queue NIC: many concurrent
# clients (ab, wrk) without a failed request, both server queues serving, parallel downloads checked by sha256;
# a download that spans kill -9 and a restart of mstackd, and SIGTERM while mstackd is away.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httpd_lib.sh"

PORT=8080
ROOT=$WORK/root
for t in curl ab wrk; do
	command -v $t > /dev/null || fail "$t is missing (scripts/deps.sh)"
done
# test_workers.sh's test bed: three lcores on two CPUs, the main lcore sharing CPU 0 with worker 1.
INTEG_LCORES="--lcores 0@0,1@1,2@0" INTEG_NIC_ARGS=",qpairs=2" integ_start "[datapath]" "workers = 2"
ctl status | grep -q "^workers *2$" || fail "want 2 workers: $(ctl status)"

mkdir -p "$ROOT"
head -c 8388608 /dev/urandom > "$ROOT/big.bin"
head -c 1024 /dev/urandom > "$ROOT/1k.bin"
echo "<p>home</p>" > "$ROOT/index.html"
chmod -R a+rX "$WORK"

SLOG=$WORK/httpd.log
"$BIN/mstack-httpd" -s "$SOCK" -q 2 -r "$ROOT" "$HOST_IP:$PORT" > "$SLOG" 2>&1 &
HTTPD=$!
INTEG_PIDS+=("$HTTPD")
U=http://$HOST_IP:$PORT
wait_for 15 peer curl -sf -o /dev/null "$U/" || fail "no answer on $U: $(cat "$SLOG")"
grep -q "over mstack TCP, 2 workers" "$SLOG" || fail "mstack-httpd did not start 2 workers: $(cat "$SLOG")"
ok "mstack-httpd -q 2 answers, on mstackd with 2 workers and a two-queue NIC"
alive() { kill -0 "$HTTPD" 2>/dev/null || fail "mstack-httpd died: $(tail -5 "$SLOG")"; }

# Parallel downloads: each connection on the queue its flow hashes to, every byte right.
want=$(sha256sum < "$ROOT/big.bin")
DL=()
for i in $(seq 8); do
	peer curl -sf --max-time 30 "$U/big.bin" | sha256sum > "$WORK/dl.$i" &
	DL+=($!)
done
wait "${DL[@]}"
for i in $(seq 8); do
	[ "$(cat "$WORK/dl.$i")" = "$want" ] || fail "parallel download $i: sha256 differs"
done
ok "8 parallel 8 MB downloads match their sha256"

# Many concurrent clients: one request per connection, keep-alive, and wrk both ways; zero failures.
# A worker that sleeps through frames for its queue (each waiting for a timer) makes this take a minute.
t0=$SECONDS
ab_clean 6000 50 "$U/1k.bin"
[ $((SECONDS - t0)) -lt 20 ] || fail "6000 requests one per connection took $((SECONDS - t0)) s"
ab_clean 6000 50 -k "$U/index.html"
wrk_clean -t2 -c50 -d3s -H "Connection: close" "$U/1k.bin"
close_rps=$WRK_RPS
wrk_clean -t2 -c100 -d3s "$U/1k.bin"
ok "ab -c 50 (6000 + 6000 keep-alive), wrk -c100 keep-alive and -c50 one per connection: 0 failures," \
	"$WRK_RPS req/s keep-alive, $close_rps req/s one per connection"
alive

w0=$(counter dp.0.nic_rx_packets); w1=$(counter dp.1.nic_rx_packets)
[ "$w0" -gt 0 ] && [ "$w1" -gt 0 ] || fail "the NIC's queues did not spread the clients: worker 0 got $w0, worker 1 $w1"

# mstackd killed (-9) and started again under a download (docs/tcp.md, "Restarts of mstackd"): both queues
# stop polling, one re-attaches while the other waits, and the same connection completes, every byte right.
# A small receive buffer in the peer keeps the server paced by curl's reads: with the default one
# (autotuned up to 6 MB) the whole file could sit in the peer's socket before mstackd is killed.
peer sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
peer curl -sf --max-time 60 --limit-rate 2M -o "$WORK/slow.bin" "$U/big.bin" &
SLOW=$!
got_bytes() { [ "$(stat -c %s "$WORK/slow.bin" 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_for 10 got_bytes 1000000 || fail "the paced download does not start"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
sleep 1 # a real outage: segments both ways are lost
alive
at=$(stat -c %s "$WORK/slow.bin")
[ "$at" -lt 8388608 ] || fail "the download ended before mstackd was killed (pace too fast)"
: > "$DLOG"
daemon_start
wait "$SLOW" || fail "the download across the restart failed (at $(stat -c %s "$WORK/slow.bin") bytes): $(tail -3 "$SLOG")"
[ "$(sha256sum < "$WORK/slow.bin")" = "$want" ] || fail "the download across the restart: sha256 differs"
grep -q "re-attached, every queue resumes" "$SLOG" || fail "mstack-httpd did not say it re-attached: $(tail -3 "$SLOG")"
ok "an 8 MB download spans kill -9 and a restart of mstackd (at $at bytes) on -q 2 and matches its sha256"
ab_clean 2000 50 "$U/1k.bin"
for i in 1 2 3 4; do
	[ "$(peer curl -sf --max-time 20 "$U/big.bin" | sha256sum)" = "$want" ] || fail "download $i after the restart"
done
alive
ok "after the restart: ab -c 50 (2000 one per connection) without a failure, 4 downloads match their sha256"

# SIGTERM still ends the server while its workers wait for mstackd to come back.
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
sleep 0.5
alive
httpd_stop "$HTTPD" "$SLOG"
# Each server queue served its share ("worker Q: N connections, ...", said at the stop).
for q in 0 1; do
	n=$(sed -n "s/^mstack-httpd: worker $q: \([0-9]*\) connections.*/\1/p" "$SLOG")
	[ "${n:-0}" -gt 1000 ] || fail "queue $q served ${n:-no} connections: $(cat "$SLOG")"
done
ok "both NIC queues received (worker 0: $w0 frames, worker 1: $w1) and both server queues served:" \
	"$(grep -c '^mstack-httpd: worker' "$SLOG") workers, $(sed -n 's/^mstack-httpd: worker \([01]\): \([0-9]*\) connections.*/q\1 \2/p' "$SLOG" | tr '\n' ' ')"
ok "SIGTERM while mstackd is away: exit 0 within 5 s"
: > "$DLOG"
daemon_start
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
