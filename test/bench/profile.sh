#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# profile.sh - profile mstackd's datapath on core 1: receive (net_pcap source, N sessions of one
# pktcount) or transmit (N sessions of one pktgen, net_null sink).
#
# Usage: test/bench/profile.sh [-m rx|tx] [-n N] [-l LEN] [-s SECONDS] [-b BUILD_DIR] [-o DIR] [-k] [-i POLICY]
# -k: no kernel share (receive: none of the frames is for the kernel; by default 1 in 32 is).
# -i: the worker's [datapath] idle policy (default adaptive; poll keeps it from sleeping between bursts).
# Leaves in DIR (default /tmp/mstack-profile): perf.data, report.txt (flat profile of the worker's
# core), annotate-*.txt (hot functions), stat.txt (perf stat on core 1) and counters.txt (mstackd's
# rates over the same window). Falls back to valgrind --tool=callgrind when perf cannot count.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${MSTACK_BIN:-$HERE/../../build}
N=254 LEN=60 SECS=5 OUTDIR=/tmp/mstack-profile MODE=rx UNBOUND_PORT=9999 IDLE=adaptive
while getopts "m:n:l:s:b:o:ki:h" opt; do
	case $opt in
	m) MODE=$OPTARG ;; n) N=$OPTARG ;; l) LEN=$OPTARG ;; s) SECS=$OPTARG ;; b) BIN=$OPTARG ;; o) OUTDIR=$OPTARG ;; k) UNBOUND_PORT=0 ;; i) IDLE=$OPTARG ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done
BIN=$(cd "$BIN" && pwd)
ID=$(printf '%04x' $(( ($$ + RANDOM) % 65536 )))
HOST_IP=10.214.$(( 0x$ID % 250 + 1 )).1
TAP=msbt$ID
WORK=$(mktemp -d /tmp/mstack-profile.XXXXXX)
SOCK=$WORK/sock
LIB="python3 $HERE/benchlib.py"
PIDS=()
mkdir -p "$OUTDIR"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	ip link del "$TAP" 2>/dev/null
	rm -rf "$WORK" "/var/run/dpdk/msb$ID"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

while pgrep -x mstackd > /dev/null || pgrep -x dpdk-testpmd > /dev/null || pgrep -f test/bench/run.sh > /dev/null; do
	echo "profile.sh: waiting for another mstackd/dpdk-testpmd to finish" >&2
	sleep 5
done
$LIB pcap "$WORK/rx.pcap" --len "$LEN" --dst-mac 02:70:63:61:70:00 --dst-ip "$HOST_IP" --first-port 10000 \
	--n "$N" --unbound-port "$UNBOUND_PORT" > /dev/null
cat > "$WORK/mstackd.conf" <<EOF
[eal]
args = -l 0-1 --no-huge -m 1024 --no-pci --file-prefix msb$ID --log-level=*:warning
[nic]
devargs = $( [ "$MODE" = tx ] && echo "net_null_msb$ID,no-rx=1" || echo "net_pcap_msb$ID,rx_pcap=$WORK/rx.pcap,infinite_rx=1")
[host]
tap = $TAP
address = $HOST_IP/24
[control]
socket = $SOCK
[limits]
apps = 2048
[datapath]
mbufs = 32767
idle = $IDLE
EOF
perf_ok=0
perf stat -e instructions true > /dev/null 2>&1 && perf_ok=1
if [ $perf_ok = 1 ]; then
	"$BIN/mstackd" -c "$WORK/mstackd.conf" > "$WORK/mstackd.log" 2>&1 &
else
	# callgrind: slow (about 50x), so the figures are instruction counts, not time.
	valgrind --tool=callgrind --callgrind-out-file="$OUTDIR/callgrind.out" \
		"$BIN/mstackd" -c "$WORK/mstackd.conf" > "$WORK/mstackd.log" 2>&1 &
fi
PIDS+=($!)
for _ in $(seq 600); do grep -q ready "$WORK/mstackd.log" && break; sleep 0.1; done
grep -q ready "$WORK/mstackd.log" || { cat "$WORK/mstackd.log"; exit 1; }
if [ "$MODE" = tx ]; then
	taskset -c 0 "$BIN/mstack-pktgen" -s "$SOCK" -n "$N" -r 256 -l "$LEN" -t 0 -d 02:00:00:be:0c:02 \
		-D "${HOST_IP%.1}.2:9" -v "$HOST_IP:20000" > "$WORK/pc.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 600); do grep -q second= "$WORK/pc.out" && break; sleep 0.1; done
else
	taskset -c 0 "$BIN/mstack-pktcount" -s "$SOCK" -n "$N" -r 256 -q -t 0 udp "$HOST_IP:10000" > "$WORK/pc.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 600); do grep -q ready "$WORK/pc.out" && break; sleep 0.1; done
fi
sleep 2
snap() { echo "t=$(date +%s.%N) $("$BIN/mstackctl" -s "$SOCK" --json stats | $LIB snap)"; }
s0=$(snap)
if [ $perf_ok = 1 ]; then
	perf stat -C 1 -e cycles,instructions,cache-misses,cache-references,branch-misses -o "$OUTDIR/stat.txt" \
		-- sleep "$SECS"
	s1=$(snap)
	perf record -q -C 1 -g -o "$OUTDIR/perf.data" -- sleep "$SECS" 2> /dev/null
	perf report -i "$OUTDIR/perf.data" --no-children --sort symbol --stdio 2> /dev/null \
		| grep -E '^ +[0-9.]+%' > "$OUTDIR/report.txt"
	for f in dp_rx_nic dp_apps_tx dp_app_tx_queue dp_worker txval_check cls_parse; do
		perf annotate -i "$OUTDIR/perf.data" --stdio -s "$f" 2> /dev/null > "$OUTDIR/annotate-$f.txt"
	done
else
	sleep "$SECS"
	s1=$(snap)
fi
$LIB delta "$MODE" "$s0" "$s1" | tee "$OUTDIR/counters.txt"
[ $perf_ok = 1 ] && { cat "$OUTDIR/stat.txt"; head -40 "$OUTDIR/report.txt"; }
echo "profile.sh: results in $OUTDIR"
