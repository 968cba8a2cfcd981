#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - the mstack benchmark: receive demux, testpmd baselines, transmit, kernel mux vs mstackd,
# and the exception path; prints Markdown tables (median [min-max] of R runs of T seconds each).
#
# Usage: test/bench/run.sh [-o RESULTS.md] [-b BUILD_DIR]
# Environment: BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_QUICK=1 (R=1, T=3, fewer N),
#   BENCH_PARTS ("1 2 3 4 5"), BENCH_NS (receive/transmit N list), BENCH_KERN_NS (part 4 N list),
#   BENCH_LENS (part 1-2 frame lengths without FCS, "60 1514"),
#   BENCH_RATE (part 4 fixed offered load, frames/s), BENCH_COALESCE (part 4: mstackd's
#   [datapath] coalesce_us values, one mstackd run each, "0 100"), BENCH_WARMUP (seconds before each window),
#   BENCH_WAIT (seconds, for the whole run, to wait for foreign work), MSTACK_BIN (build dir),
#   BENCH_WORKERS (mstackd's datapath workers, 1; with more, lcore i runs on CPU i % nproc, and
#   net_pcap gets one rx queue per worker).
# Needs root, iperf3, dpdk-testpmd (Debian package dpdk), python3, a C compiler: scripts/bench.sh
# installs them. The datapath gets core 1 (mstackd's worker lcore, testpmd's forwarding lcore,
# the kernel's receive softirq through RPS); apps and generators are pinned to core 0.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benchlib.sh
source "$HERE/benchlib.sh"
bench_options run.sh 2,12 "$@"
bench_times 10 600
NS=${BENCH_NS:-"1 8 64 254 1024"}
KERN_NS=${BENCH_KERN_NS:-"1 64"}
[ "${BENCH_QUICK:-0}" = 1 ] && NS=${BENCH_NS:-"1 254"}
PARTS=${BENCH_PARTS:-"1 2 3 4 5"}
WORKERS=${BENCH_WORKERS:-1}
if [ "$WORKERS" = 1 ]; then
	MS_LCORES="-l 0-1"
else
	MS_LCORES="--lcores 0@0"
	for i in $(seq "$WORKERS"); do MS_LCORES+=",$i@$(( i % $(nproc) ))"; done
fi
RATE=${BENCH_RATE:-400000}
COALESCE=${BENCH_COALESCE:-"0 100"}
RING=256            # slots per app ring, every N (1024 sessions x 2 rings x 256 x 2 KiB = 1 GiB of memfd)
KRING=4096          # part 4: deep enough to ride out core 0's scheduling (the sockets get 4 MB)
FIRST_PORT=10000    # apps bind FIRST_PORT..FIRST_PORT+N-1
UNBOUND_PORT=9999   # nobody binds it: the kernel's share
LENS=${BENCH_LENS:-"60 1514"} # frames without FCS: 64 and 1518 bytes on the wire (1500-byte IP MTU)

bench_bed msb 214 bench
MS_APPS=2048
CLEAN_PATHS+=("/var/run/dpdk/${PREFIX}tp") # testpmd's EAL files
bench_on_exit

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
		[ "$path" != kernel ] && snap_take 0
		sleep "$SECS"
		t1=$(now); c1=$(cpu_idle 1); p1=$(pid_cpu "$rpid"); v1=$(veth_in)
		u1=$(awk '/^Udp:/ { n++; if (n == 2) print $2, $4, $6 }' /proc/net/snmp)
		[ "$path" != kernel ] && { snap_take 1; s0=$(snap_read 0); s1=$(snap_read 1); }
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

		# (b) mstackd on the veth end (net_af_packet), N sessions of one pktcount sleeping on wakeups,
		# once per [datapath] coalesce_us value (idle = adaptive, the default).
		local c
		for c in $COALESCE; do
			log "part 4: mstackd, $n apps, coalesce_us = $c"
			net_up
			net_for_mstackd
			# framecnt: the AF_PACKET ring, this test bed's NIC rx ring, holds 4096 frames (an 82599's
			# deepest ring; the kernel's sockets get 4 MB): a nap must not overflow it.
			ms_start "net_af_packet_$PREFIX,iface=$VNIC,framecnt=4096" "idle = adaptive" "coalesce_us = $c"
			out="$WORK/pktcount.out"
			bg taskset -c 0 "$BIN/mstack-pktcount" -s "$SOCK" -n "$n" -r $KRING -w -S 0 -q -t 0 \
				udp "$HOST_IP:$FIRST_PORT" > "$out" 2>&1
			local pc=$LAST_PID
			wait_for 60 grep -q ready "$out" || { cat "$out" >&2; die "pktcount did not start"; }
			ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null
			for load in fixed max; do
				for r in $(seq "$RUNS"); do kern_window "mstackd, coalesce_us $c" "$load" "$n" "$pc"; done
			done
			stop_pid "$pc"
			ms_stop
			net_down
		done
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

bench_need mstackd mstackctl mstack-pktcount mstack-pktgen -- dpdk-testpmd iperf3 python3 cc taskset ethtool
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
	echo "- runs per figure: $RUNS x ${SECS}s (after ${WARMUP}s warm-up); total time $(( $(date +%s) - START ))s"
	echo "- datapath on core 1 (mstackd worker / testpmd forwarding lcore / kernel softirq via RPS);" \
		"apps and generators pinned to core 0; mstackd workers: $WORKERS ($MS_LCORES)"
} | bench_report "mstack benchmark"
