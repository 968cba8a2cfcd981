#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - the mstack benchmark: receive demux, testpmd baselines, transmit, kernel mux vs mstackd,
# and the exception path; prints Markdown tables (median [min-max] of R runs of T seconds each).
#
# Usage: test/bench/run.sh [-o RESULTS.md] [-b BUILD_DIR]
# Environment: BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_QUICK=1 (R=1, T=3, fewer N),
#   BENCH_PARTS ("1 2 3 4 5"), BENCH_NS (receive/transmit N list), BENCH_KERN_NS (part 4 N list),
#   BENCH_LENS (part 1-2 frame lengths without FCS, "60 1514"),
#   BENCH_RATE (part 4 fixed offered load, frames/s), BENCH_WARMUP (seconds before each window),
#   BENCH_WAIT (seconds to wait for a foreign mstackd/testpmd to finish), MSTACK_BIN (build dir),
#   BENCH_WORKERS (mstackd's datapath workers, 1; with more, lcore i runs on CPU i % nproc, and
#   net_pcap gets one rx queue per worker).
# Needs root, iperf3, dpdk-testpmd (Debian package dpdk), python3, a C compiler: scripts/bench.sh
# installs them. The datapath gets core 1 (mstackd's worker lcore, testpmd's forwarding lcore,
# the kernel's receive softirq through RPS); apps and generators are pinned to core 0.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${MSTACK_BIN:-$ROOT/build}
OUT=""
while getopts "o:b:h" opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	b) BIN=$OPTARG ;;
	h) sed -n '2,12p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
BIN=$(cd "$BIN" && pwd) || { echo "run.sh: no build directory $BIN" >&2; exit 2; }

RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}
NS=${BENCH_NS:-"1 8 64 254 1024"}
KERN_NS=${BENCH_KERN_NS:-"1 64"}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=1 SECS=3
	NS=${BENCH_NS:-"1 254"}
	KERN_NS=${BENCH_KERN_NS:-"1 64"}
fi
PARTS=${BENCH_PARTS:-"1 2 3 4 5"}
WORKERS=${BENCH_WORKERS:-1}
if [ "$WORKERS" = 1 ]; then
	MS_LCORES="-l 0-1"
else
	MS_LCORES="--lcores 0@0"
	for i in $(seq "$WORKERS"); do MS_LCORES+=",$i@$(( i % $(nproc) ))"; done
fi
RATE=${BENCH_RATE:-400000}
WARMUP=${BENCH_WARMUP:-2}
WAIT_MAX=${BENCH_WAIT:-600}
RING=256            # slots per app ring, every N (1024 sessions x 2 rings x 256 x 2 KiB = 1 GiB of memfd)
KRING=4096          # part 4: deep enough to ride out core 0's scheduling (the sockets get 4 MB)
FIRST_PORT=10000    # apps bind FIRST_PORT..FIRST_PORT+N-1
UNBOUND_PORT=9999   # nobody binds it: the kernel's share
LENS=${BENCH_LENS:-"60 1514"} # frames without FCS: 64 and 1518 bytes on the wire (1500-byte IP MTU)

ID=$(printf '%04x' $(( ($$ + RANDOM) % 65536 )))
NET=10.214.$(( 0x$ID % 250 + 1 ))
HOST_IP=$NET.1
PEER_IP=$NET.2
PEER=msbp$ID     # the remote host's namespace (parts 4, 5)
VNIC=msbn$ID     # our veth end
VPEER=msbq$ID    # the peer's veth end
TAP=msbt$ID
PREFIX=msb$ID    # EAL file prefix
WORK=$(mktemp -d /tmp/mstack-bench.XXXXXX)
SOCK=$WORK/mstackd.sock
RAW=$WORK/results.tsv
[ -n "$OUT" ] || OUT=/tmp/mstack-bench-$(date +%Y%m%d-%H%M%S).md
PIDS=()
DAEMON_PID=""
WORKER_TID=""
NETUP=0
LIB="python3 $HERE/benchlib.py"
CTL="$BIN/mstackctl -s $SOCK"
NOTES=()

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ms_stop
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VNIC" 2>/dev/null
	ip link del "$TAP" 2>/dev/null
	rm -rf "$WORK" "/var/run/dpdk/$PREFIX" "/var/run/dpdk/${PREFIX}tp"
	[ $rc -ne 0 ] && log "run.sh: stopped (status $rc); everything it started is cleaned up"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg CMD...: start in the background, remembered for the cleanup; sets $LAST_PID
bg() {
	"$@" &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# stop_pid PID [SIGNAL]: end one of our processes and reap it
stop_pid() {
	kill -"${2:-TERM}" "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

wait_for() {
	local t=$1; shift
	for _ in $(seq $(( t * 10 ))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# others: someone else's daemon, testpmd, build or test run, which would share our two cores
others() {
	pgrep -x mstackd | grep -vx "${DAEMON_PID:-none}"
	pgrep -x dpdk-testpmd; pgrep -x cc1; pgrep -x ctest; pgrep -x make; pgrep -x memcheck-amd64-
}

# Measurements need the machine to themselves: wait while others() run (at most BENCH_WAIT s).
quiet_wait() {
	local waited=0 o
	while :; do
		o=$(others)
		[ -z "$o" ] && return 0
		if [ $waited -ge "$WAIT_MAX" ]; then
			log "WARNING: another mstackd/testpmd/build/test run still runs after ${WAIT_MAX}s; measuring anyway"
			NOTES+=("A foreign mstackd, testpmd, build or test run was running during some measurements (waited ${WAIT_MAX}s).")
			return 0
		fi
		[ $waited -eq 0 ] && log "waiting for another mstackd/testpmd/build/test run to finish ($(echo $o))"
		sleep 5
		waited=$(( waited + 5 ))
	done
}

# disturbed TRY: after a window, true (and a log line) if others() started meanwhile and TRY < 3,
# so that the caller measures the window again; the third try is kept whatever happened.
disturbed() {
	local o
	o=$(others)
	[ -z "$o" ] && return 1
	if [ "$1" -ge 3 ]; then
		NOTES+=("Some windows were disturbed three times by other processes and kept anyway.")
		return 1
	fi
	log "  window disturbed ($(echo $o)): measuring it again"
	quiet_wait
	return 0
}

now() { date +%s.%N; }

# snap_take NAME: save mstackd's counters (raw JSON), when they were taken, and the run time of the
# worker thread; nothing else runs on core 0 meanwhile (parsing waits for snap_read, after the window)
snap_take() {
	local t0 t1
	t0=$(now)
	$CTL --json stats > "$WORK/snap.$1.json" || return 1
	t1=$(now)
	echo "$t0 $t1 $(pid_cpu "$WORKER_TID")" > "$WORK/snap.$1.t"
}

# snap_read NAME: one line "t=... worker_ns=... counters..." (t is the middle of the mstackctl call)
snap_read() {
	local t w
	read -r t w <<< "$(awk '{ printf "%.6f %s", ($1 + $2) / 2, $3 }' "$WORK/snap.$1.t")"
	echo "t=$t worker_ns=$w $($LIB snap < "$WORK/snap.$1.json")"
}

# field LINE KEY: the value of KEY=... in a snapshot line
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# cpu_idle CPU: idle + iowait of a CPU since boot, in USER_HZ ticks. On a tickless kernel without
# IRQ_TIME_ACCOUNTING the busy columns miss short softirq bursts on an otherwise idle CPU, but the
# idle time is measured exactly (nohz idle accounting stops at every interrupt): busy = wall - idle.
cpu_idle() { awk -v c="cpu$1" '$1 == c { print $5 + $6 }' /proc/stat; }
# pid_cpu PID: CPU time a (single-threaded) process or a thread ran, in ns (sum_exec_runtime)
pid_cpu() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW"; log "  $1 $2: $3"; }

# --- mstackd --------------------------------------------------------------------------------

# ms_start NIC_DEVARGS [extra config lines...]
ms_start() {
	local devargs=$1; shift
	quiet_wait
	{
		echo "[eal]"
		echo "args = $MS_LCORES --no-huge -m 1024 --no-pci --file-prefix $PREFIX --log-level=*:warning"
		echo "[nic]"
		echo "devargs = $devargs"
		echo "[host]"
		echo "tap = $TAP"
		echo "address = $HOST_IP/24"
		echo "[control]"
		echo "socket = $SOCK"
		echo "[limits]"
		echo "apps = 2048"
		echo "ring_size = 4096"
		echo "[datapath]"
		echo "mbufs = 32767"
		for l in "$@"; do echo "$l"; done
	} > "$WORK/mstackd.conf"
	"$BIN/mstackd" -c "$WORK/mstackd.conf" > "$WORK/mstackd.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 grep -q "ready" "$WORK/mstackd.log" || { cat "$WORK/mstackd.log" >&2; die "mstackd did not start"; }
	sysctl -qw "net.ipv4.conf.$TAP.rp_filter=0"
	# The datapath thread: its run time over a window says whether it had core 1 to itself.
	WORKER_TID=$(grep -l '^rte-worker-1$' /proc/"$DAEMON_PID"/task/*/comm | head -1 | cut -d/ -f5)
}

ms_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	stop_pid "$DAEMON_PID"
	DAEMON_PID="" WORKER_TID=""
}

# --- the veth test bed (parts 4 and 5), as test/integ/lib.sh builds it -----------------------

net_up() {
	ip netns add "$PEER"
	ip link add "$VNIC" type veth peer name "$VPEER"
	ip link set "$VPEER" netns "$PEER"
	ip link set "$VNIC" up
	ip netns exec "$PEER" ip link set lo up
	ip netns exec "$PEER" ip addr add "$PEER_IP/24" dev "$VPEER"
	ip netns exec "$PEER" ip link set "$VPEER" up
	NETUP=1
}

net_down() {
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VNIC" 2>/dev/null
	NETUP=0
	sleep 0.5
}

# The veth end is mstackd's "NIC": the host stack must leave it alone, and the peer must put
# complete checksums in its frames (veth leaves them to "hardware", which AF_PACKET never fills).
net_for_mstackd() {
	sysctl -qw "net.ipv6.conf.$VNIC.disable_ipv6=1" "net.ipv4.conf.$VNIC.rp_filter=1" \
		"net.ipv4.conf.$VNIC.arp_ignore=8"
	ip netns exec "$PEER" ethtool -K "$VPEER" tx off > /dev/null
}

# veth_in: frames the peer put on the wire to us (received or dropped at our end)
veth_in() { echo $(( $(cat "/sys/class/net/$VNIC/statistics/rx_packets") + $(cat "/sys/class/net/$VNIC/statistics/rx_dropped") )); }
peer_mac() { ip netns exec "$PEER" cat "/sys/class/net/$VPEER/address"; }
nic_mac() { cat "/sys/class/net/$VNIC/address"; }

# --- part 1: receive --------------------------------------------------------------------------

# pcap_rx_queues FILE: "rx_pcap=FILE," once per worker (net_pcap has one rx queue per rx_pcap)
pcap_rx_queues() {
	local i
	for i in $(seq "$WORKERS"); do printf 'rx_pcap=%s,' "$1"; done
}

# rx_point LEN N [VARIANT]: mstackd on net_pcap, N sessions of one pktcount, RUNS windows
rx_point() {
	local len=$1 n=$2 variant=${3:-} pcap="$WORK/rx-$1-$2.pcap" key out s0 s1 r unbound=$UNBOUND_PORT
	key="len=$len,n=$n${variant:+,variant=$variant}"
	[ "$variant" = "no kernel share" ] && unbound=0
	$LIB pcap "$pcap" --len "$len" --dst-mac "$PCAP_MAC" --dst-ip "$HOST_IP" --first-port $FIRST_PORT \
		--n "$n" --unbound-port "$unbound" > /dev/null || die "pcap"
	ms_start "net_pcap_$PREFIX,$(pcap_rx_queues "$pcap")infinite_rx=1"
	for r in $(seq "$RUNS"); do
		for try in 1 2 3; do
			out="$WORK/pktcount.out"
			bg taskset -c 0 "$BIN/mstack-pktcount" -s "$SOCK" -n "$n" -r $RING -q -t 0 udp \
				"$HOST_IP:$FIRST_PORT" > "$out" 2>&1
			local pc=$LAST_PID
			wait_for 120 grep -q "ready" "$out" || { cat "$out" >&2; die "pktcount -n $n did not start"; }
			quiet_wait
			sleep "$WARMUP"
			snap_take 0; sleep "$SECS"; snap_take 1
			stop_pid "$pc"
			disturbed $try || break
		done
		record rx "$key" "$($LIB delta rx "$(snap_read 0)" "$(snap_read 1)")"
	done
	ms_stop
}

part_rx() {
	local len n
	for len in $LENS; do
		for n in $NS; do
			log "part 1: receive, $len B, $n apps"
			rx_point "$len" "$n"
		done
	done
	# The same demux without the kernel's 1/32: what the TAP writes cost.
	if [[ " $NS " == *" 254 "* && " $LENS " == *" 60 "* ]]; then
		log "part 1: receive, 60 B, 254 apps, no kernel share"
		rx_point 60 254 "no kernel share"
	fi
}

# --- testpmd baselines (parts 2 and 3) ---------------------------------------------------------

# testpmd_run OUTFILE VDEV... -- TESTPMD_ARGS...: run for WARMUP + SECS + 1 seconds with --stats-period 1
testpmd_run() {
	local out=$1; shift
	local vdevs=() fifo="$WORK/testpmd.fifo" fd
	while [ "$1" != "--" ]; do vdevs+=(--vdev "$1"); shift; done
	shift
	quiet_wait
	rm -f "$fifo"; mkfifo "$fifo"
	exec {fd}<>"$fifo" # stdin that never reaches EOF
	bg taskset -c 0-1 dpdk-testpmd -l 0-1 --no-huge -m 1024 --no-pci --file-prefix "${PREFIX}tp" \
		--log-level='*:warning' "${vdevs[@]}" -- --nb-cores=1 --stats-period 1 --total-num-mbufs=32768 \
		--burst=32 "$@" < "$fifo" > "$out" 2>&1
	local tp=$LAST_PID
	sleep $(( WARMUP + SECS + 4 ))
	stop_pid "$tp" INT
	exec {fd}>&-
}

part_testpmd_rx() {
	local len r
	for len in $LENS; do
		local pcap="$WORK/rx-$len-base.pcap"
		$LIB pcap "$pcap" --len "$len" --dst-mac "$PCAP_MAC" --dst-ip "$HOST_IP" --first-port $FIRST_PORT \
			--n 254 --unbound-port $UNBOUND_PORT > /dev/null || die "pcap"
		for r in $(seq "$RUNS"); do
			log "part 2: testpmd io forward, $len B, run $r"
			# Port 0 reads the pcap; port 1 (net_null, no-rx) only sinks: nothing else is forwarded.
			testpmd_run "$WORK/testpmd.out" "net_pcap_${PREFIX},rx_pcap=$pcap,infinite_rx=1" \
				"net_null_${PREFIX},no-rx=1" -- --forward-mode=io
			record rx_testpmd "len=$len" "$($LIB testpmd "$WORK/testpmd.out" "$WARMUP" "$SECS" 0 1)"
		done
	done
}

part_testpmd_tx() {
	local r
	for r in $(seq "$RUNS"); do
		log "part 3: testpmd txonly, 60 B, run $r"
		testpmd_run "$WORK/testpmd.out" "net_null_${PREFIX},no-rx=1" -- --forward-mode=txonly --txpkts=60 \
			--port-topology=loop
		record tx_testpmd "len=60" "$($LIB testpmd "$WORK/testpmd.out" "$WARMUP" "$SECS" 0 0)"
	done
}

# --- part 3: transmit -------------------------------------------------------------------------

part_tx() {
	local n r out s0 s1
	ms_start "net_null_$PREFIX,no-rx=1"
	for n in $NS; do
		log "part 3: transmit, 60 B, $n apps"
		for r in $(seq "$RUNS"); do
			for try in 1 2 3; do
				out="$WORK/pktgen.out"
				bg taskset -c 0 "$BIN/mstack-pktgen" -s "$SOCK" -n "$n" -r $RING -l 60 \
					-t $(( WARMUP + SECS + 60 )) -d 02:00:00:be:0c:02 -D "$PEER_IP:9" -v "$HOST_IP:20000" \
					> "$out" 2>&1
				local pg=$LAST_PID
				wait_for 120 grep -q "second=1" "$out" || { cat "$out" >&2; die "pktgen -n $n did not start"; }
				quiet_wait
				sleep "$WARMUP"
				snap_take 0; sleep "$SECS"; snap_take 1
				stop_pid "$pg"
				disturbed $try || break
			done
			record tx "len=60,n=$n" "$($LIB delta tx "$(snap_read 0)" "$(snap_read 1)") gen_mpps=$($LIB pktgen "$out")"
		done
	done
	ms_stop
}

# --- part 4: kernel mux vs mstackd over a veth pair --------------------------------------------

# kern_window PATH LOAD N RECEIVER_PID: one measured window while rawgen runs
kern_window() {
	local path=$1 load=$2 n=$3 rpid=$4 rate=0 gout="$WORK/rawgen.out" try
	local t0 c0 p0 v0 u0 s0="" t1 c1 p1 v1 u1 s1=""
	[ "$load" = "fixed" ] && rate=$RATE
	for try in 1 2 3; do
		quiet_wait
		bg ip netns exec "$PEER" taskset -c 0 "$WORK/rawgen" -i "$VPEER" -d "$(nic_mac)" -s "$PEER_IP" \
			-D "$HOST_IP" -p $FIRST_PORT -n "$n" -l 60 -r $rate -t $(( WARMUP + SECS + 30 )) > "$gout" 2>&1
		local g=$LAST_PID
		wait_for 10 grep -q ready "$gout" || { cat "$gout" >&2; die "rawgen did not start"; }
		sleep "$WARMUP"
		t0=$(now); c0=$(cpu_idle 1); p0=$(pid_cpu "$rpid"); v0=$(veth_in)
		u0=$(awk '/^Udp:/ { n++; if (n == 2) print $2, $4, $6 }' /proc/net/snmp)
		[ "$path" = mstackd ] && snap_take 0
		sleep "$SECS"
		t1=$(now); c1=$(cpu_idle 1); p1=$(pid_cpu "$rpid"); v1=$(veth_in)
		u1=$(awk '/^Udp:/ { n++; if (n == 2) print $2, $4, $6 }' /proc/net/snmp)
		[ "$path" = mstackd ] && { snap_take 1; s0=$(snap_read 0); s1=$(snap_read 1); }
		stop_pid "$g"
		disturbed $try || break
	done
	record kern "load=$load,n=$n,path=$path" "$($LIB kern "$path" "$HZ" "$t0" "$t1" "$c0" "$c1" "$p0" "$p1" \
		"$v0" "$v1" "$u0" "$u1" "$s0" "$s1")"
}

part_kern() {
	local n load r out
	cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$HERE/../../include" -o "$WORK/rawgen" "$HERE/rawgen.c" || die "cannot build rawgen"
	cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$WORK/kernrecv" "$HERE/kernrecv.c" || die "cannot build kernrecv"
	for n in $KERN_NS; do
		# (a) the kernel: HOST_IP on our veth end, N sockets; its receive softirq moves to core 1 (RPS).
		log "part 4: kernel, $n sockets"
		quiet_wait
		net_up
		ip addr add "$HOST_IP/24" dev "$VNIC"
		echo 2 > "/sys/class/net/$VNIC/queues/rx-0/rps_cpus"
		out="$WORK/kernrecv.out"
		bg taskset -c 0 "$WORK/kernrecv" -n "$n" -t 0 "$HOST_IP" $FIRST_PORT > "$out" 2>&1
		local kr=$LAST_PID
		wait_for 10 grep -q ready "$out" || { cat "$out" >&2; die "kernrecv did not start"; }
		ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null # ARP both ways
		for load in fixed max; do
			for r in $(seq "$RUNS"); do kern_window kernel "$load" "$n" "$kr"; done
		done
		stop_pid "$kr"
		net_down

		# (b) mstackd on the veth end (net_af_packet), N sessions of one pktcount sleeping on wakeups.
		log "part 4: mstackd, $n apps"
		net_up
		net_for_mstackd
		ms_start "net_af_packet_$PREFIX,iface=$VNIC"
		out="$WORK/pktcount.out"
		bg taskset -c 0 "$BIN/mstack-pktcount" -s "$SOCK" -n "$n" -r $KRING -w -q -t 0 udp "$HOST_IP:$FIRST_PORT" \
			> "$out" 2>&1
		local pc=$LAST_PID
		wait_for 60 grep -q ready "$out" || { cat "$out" >&2; die "pktcount did not start"; }
		ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null
		for load in fixed max; do
			for r in $(seq "$RUNS"); do kern_window mstackd "$load" "$n" "$pc"; done
		done
		stop_pid "$pc"
		ms_stop
		net_down
	done
}

# --- part 5: the exception path, TCP through the TAP --------------------------------------------

iperf_runs() {
	local path=$1 r out srv s0="" s1="" try
	bg taskset -c 0 iperf3 -s -B "$HOST_IP" -p 5201 > "$WORK/iperf3-server.out" 2>&1
	srv=$LAST_PID
	wait_for 10 ss -ltn "sport = :5201" | grep -q 5201
	sleep 1
	for r in $(seq "$RUNS"); do
		out="$WORK/iperf3.json"
		for try in 1 2 3; do
			quiet_wait
			[ -n "$DAEMON_PID" ] && snap_take 0
			ip netns exec "$PEER" taskset -c 0 iperf3 -c "$HOST_IP" -p 5201 -t "$SECS" -O "$WARMUP" -J \
				> "$out" 2>&1
			[ -n "$DAEMON_PID" ] && { snap_take 1; s0=$(snap_read 0); s1=$(snap_read 1); }
			disturbed $try || break
		done
		record iperf "path=$path" "$($LIB iperf "$out" "$s0" "$s1")"
	done
	stop_pid "$srv"
}

part_iperf() {
	log "part 5: iperf3 through mstackd's TAP"
	quiet_wait
	net_up
	net_for_mstackd
	ms_start "net_af_packet_$PREFIX,iface=$VNIC"
	ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null || die "no route to $HOST_IP through mstackd"
	iperf_runs "mstackd: veth -> net_af_packet -> mstackd -> TAP -> kernel"
	ms_stop
	net_down

	log "part 5: iperf3 straight to the veth (same peer offloads: tx off)"
	quiet_wait
	net_up
	ip addr add "$HOST_IP/24" dev "$VNIC"
	ip netns exec "$PEER" ethtool -K "$VPEER" tx off > /dev/null
	iperf_runs "kernel only: HOST_IP on the veth (peer tx offloads off as above)"
	net_down

	log "part 5: iperf3 straight to the veth (default offloads)"
	quiet_wait
	net_up
	ip addr add "$HOST_IP/24" dev "$VNIC"
	iperf_runs "kernel only: HOST_IP on the veth (default offloads: TSO and GRO)"
	net_down
}

# --- main ---------------------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "run as root"
for t in mstackd mstackctl mstack-pktcount mstack-pktgen; do
	[ -x "$BIN/$t" ] || die "$BIN/$t is missing: build first (scripts/build.sh)"
done
for t in dpdk-testpmd iperf3 python3 cc taskset ethtool; do
	command -v $t > /dev/null || die "$t is missing: run scripts/bench.sh (it installs what this needs)"
done
: > "$RAW"
PCAP_MAC=02:70:63:61:70:00 # net_pcap's address for its first port in DPDK 22.11; checked below

START=$(date +%s)
log "mstack benchmark: runs=$RUNS seconds=$SECS N=[$NS] parts=[$PARTS] results=$OUT"
if [[ " $PARTS " == *" 1 "* ]]; then
	# The frames must name the NIC's MAC, as a wire would; check what net_pcap reports.
	$LIB pcap "$WORK/probe.pcap" --len 60 --dst-mac "$PCAP_MAC" --dst-ip "$HOST_IP" --first-port $FIRST_PORT \
		--n 1 --unbound-port $UNBOUND_PORT > /dev/null
	ms_start "net_pcap_$PREFIX,$(pcap_rx_queues "$WORK/probe.pcap")infinite_rx=1"
	mac=$(cat "/sys/class/net/$TAP/address")
	ms_stop
	[ "$mac" = "$PCAP_MAC" ] || { log "net_pcap's MAC is $mac"; PCAP_MAC=$mac; }
	part_rx
fi
[[ " $PARTS " == *" 2 "* ]] && part_testpmd_rx
[[ " $PARTS " == *" 3 "* ]] && { part_tx; part_testpmd_tx; }
[[ " $PARTS " == *" 4 "* ]] && part_kern
[[ " $PARTS " == *" 5 "* ]] && part_iperf

{
	echo "## mstack benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores;" \
		"TSC $(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]* MHz\).*/\1/p' | head -1)"
	echo "- kernel: $(uname -r); DPDK $(dpkg-query -W -f '${Version}' dpdk 2>/dev/null); mstackd from $BIN"
	echo "- runs per figure: $RUNS x ${SECS}s (after ${WARMUP}s warm-up); total time $(( $(date +%s) - START ))s"
	echo "- datapath on core 1 (mstackd worker / testpmd forwarding lcore / kernel softirq via RPS);" \
		"apps and generators pinned to core 0; mstackd workers: $WORKERS ($MS_LCORES)"
	[ ${#NOTES[@]} -gt 0 ] && printf -- '- NOTE: %s\n' "${NOTES[@]}" | sort -u
} > "$WORK/header.md"
$LIB table "$RAW" "$WORK/header.md" > "$OUT"
cp "$RAW" "${OUT%.md}.tsv"
cat "$OUT"
log "results: $OUT (raw: ${OUT%.md}.tsv)"
