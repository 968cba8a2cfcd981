#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tcp.sh - libmstack-tcp against the kernel's TCP on the veth test bed: bulk throughput of one
# connection both ways and connection setup rate, with the CPU each stack spends; Markdown tables.
#
# Usage: test/bench/tcp.sh [-o RESULTS.md] [-b BUILD_DIR]
# Environment: BENCH_RUNS (3), BENCH_SECONDS (5), BENCH_QUICK=1 (R=1, T=3), BENCH_WARMUP (2),
#   BENCH_PAR (setup rate: parallel connect/echo/close loops, 64), BENCH_MSG (bytes echoed per
#   connection, 64), BENCH_OFFLOADS=0 (skip the kernel run with veth offloads on),
#   BENCH_TESTS ("up down rate"), BENCH_STACKS ("kernel mstack"), BENCH_PROFILE=DIR (perf record
#   -a of every measured window into DIR/STACK-TEST.data, with a flat profile DIR/STACK-TEST.txt:
#   a profiling run, its figures carry perf's overhead),
#   BENCH_WAIT (seconds to wait for a foreign mstackd/build/test run), MSTACK_BIN (build dir).
# Needs root, python3, ethtool, taskset; the build's mstackd, mstackctl, test/tcpperf_srv and
# test/tcp_load. The same server program (tcpperf_srv) runs on both stacks in one run: with -k on
# kernel sockets and epoll, without it on libmstack-tcp; the load generator (tcp_load, kernel
# sockets) runs in the peer namespace. Core 1 is the datapath's (mstackd's worker lcore; the
# kernel's receive softirq through RPS), core 0 everything else (server, generator).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benchlib.sh
source "$HERE/benchlib.sh"
bench_options tcp.sh 2,15 "$@"
bench_times 5 120 # 3 runs of 8 windows of 5 s stay under 5 minutes
PAR=${BENCH_PAR:-64}
MSG=${BENCH_MSG:-64}
OFFLOADS=${BENCH_OFFLOADS:-1}
TESTS=${BENCH_TESTS:-"up down rate"}
STACKS=${BENCH_STACKS:-"kernel mstack"}
PORT=5300 # tcpperf_srv: PORT sink, PORT+1 source, PORT+2 echo

bench_bed mst 216 tcpbench
SRV=$BIN/test/tcpperf_srv
LOAD=$BIN/test/tcp_load
bench_on_exit

# window STACK TEST SRV_PID: start tcp_load for TEST (up, down, rate), measure SECS after WARMUP
window() {
	local stack=$1 test=$2 srv=$3 port=$PORT args=() gout="$WORK/load.out" try g
	local t0 t1 c0 c1 p0 p1 q0 q1 s0="" s1=""
	case $test in
	down) port=$(( PORT + 1 )) ;;
	rate) port=$(( PORT + 2 )); args=(-p "$PAR" -l "$MSG") ;;
	esac
	for try in 1 2 3; do
		quiet_wait
		bg ip netns exec "$PEER" taskset -c 0 "$LOAD" -m "$test" "${args[@]}" -t $(( WARMUP + SECS + 30 )) \
			"$HOST_IP" "$port" > "$gout" 2>&1
		g=$LAST_PID
		wait_for 10 grep -q ready "$gout" || { cat "$gout" >&2; die "tcp_load -m $test did not start"; }
		sleep "$WARMUP"
		kill -USR1 "$g"
		t0=$(now); c0=$(cpu_idle 1); p0=$(pid_cpu "$srv"); q0=$(pid_cpu "$g")
		[ "$stack" = mstack ] && snap_take 0
		if [ -n "${BENCH_PROFILE:-}" ]; then
			taskset -c 0 perf record -q -a -o "$BENCH_PROFILE/${stack}-${test}.data" -- sleep "$SECS" \
				> /dev/null 2>&1
		else
			sleep "$SECS"
		fi
		kill -USR1 "$g"
		t1=$(now); c1=$(cpu_idle 1); p1=$(pid_cpu "$srv"); q1=$(pid_cpu "$g")
		[ "$stack" = mstack ] && { snap_take 1; s0=$(snap_read 0); s1=$(snap_read 1); }
		sleep 0.2
		stop_pid "$g"
		kill -0 "$srv" 2>/dev/null || die "tcpperf_srv ($stack) died during $test: $(cat "$WORK/srv.out")"
		disturbed $try || break
	done
	[ -n "${BENCH_PROFILE:-}" ] && perf report -i "$BENCH_PROFILE/${stack}-${test}.data" --stdio \
		--sort cpu,comm,dso,sym --percent-limit 0.5 > "$BENCH_PROFILE/${stack}-${test}.txt" 2>/dev/null
	grep -q '^t=' "$gout" || { cat "$gout" >&2; die "tcp_load -m $test printed nothing"; }
	grep -v '^t=' "$gout" | sed 's/^/    tcp_load: /' >&2
	record "tcp_$([ "$test" = rate ] && echo rate || echo bulk)" "test=$test,stack=$STACK_LABEL" \
		"$($LIB tcp "$stack" "$HZ" "$t0" "$t1" "$c0" "$c1" "$p0" "$p1" "$q0" "$q1" \
			"$(sed -n '/^t=/p' "$gout" | sed -n 1p)" "$(sed -n '/^t=/p' "$gout" | sed -n 2p)" "$s0" "$s1")"
}

# runs STACK SRV_PID TESTS...: RUNS windows of each test
runs() {
	local stack=$1 srv=$2 test r; shift 2
	for test in "$@"; do
		log "$STACK_LABEL: $test"
		for r in $(seq "$RUNS"); do window "$stack" "$test" "$srv"; done
	done
}

# kernel_side on|off: the kernel's TCP on our veth end, its receive softirq on core 1 (RPS)
kernel_side() {
	local srv
	STACK_LABEL="kernel, offloads $1"
	log "$STACK_LABEL"
	quiet_wait
	net_up
	peer_sysctls
	ip addr add "$HOST_IP/24" dev "$VNIC"
	offloads "" "$VNIC" "$1"
	offloads "$PEER" "$VPEER" "$1"
	# veth delivers a frame in the sender's context (netif_rx): RPS moves the receive softirq
	# (IP, TCP input, and the ACKs and data it sends) of our end to core 1, as a NIC's interrupt
	# on the datapath core would; the server's system calls stay on core 0 in its own time.
	echo 2 > "/sys/class/net/$VNIC/queues/rx-0/rps_cpus"
	bg taskset -c 0 "$SRV" -k "$HOST_IP" $PORT > "$WORK/srv.out" 2>&1
	srv=$LAST_PID
	wait_for 10 grep -q ready "$WORK/srv.out" || { cat "$WORK/srv.out" >&2; die "tcpperf_srv -k did not start"; }
	ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null || die "no route to $HOST_IP"
	# shellcheck disable=SC2086 # lists, split on purpose
	if [ "$1" = off ]; then runs kernel "$srv" $TESTS; else runs kernel "$srv" ${TESTS/rate/}; fi
	stop_pid "$srv"
	log "  tcpperf_srv: $(grep accepted "$WORK/srv.out")"
	net_down
}

# mstack_side: mstackd on the veth end (net_af_packet), tcpperf_srv on libmstack-tcp
mstack_side() {
	local srv
	STACK_LABEL="mstack"
	log "$STACK_LABEL"
	mstackd_bed
	bg taskset -c 0 "$SRV" -s "$SOCK" "$HOST_IP" $PORT > "$WORK/srv.out" 2>&1
	srv=$LAST_PID
	wait_for 10 grep -q ready "$WORK/srv.out" || { cat "$WORK/srv.out" >&2; die "tcpperf_srv did not start"; }
	# shellcheck disable=SC2086
	runs mstack "$srv" $TESTS
	stop_pid "$srv"
	log "  tcpperf_srv: $(grep accepted "$WORK/srv.out")"
	[ -n "${BENCH_DEBUG:-}" ] && { $BIN/mstackctl -s "$SOCK" stats >&2; cp -r "$WORK" "$BENCH_DEBUG"; }
	ms_stop
	net_down
}

bench_need mstackd mstackctl test/tcpperf_srv test/tcp_load -- python3 taskset ethtool
if [ -n "${BENCH_PROFILE:-}" ]; then
	command -v perf > /dev/null || die "perf is missing (Debian linux-perf; scripts/bench.sh installs it)"
	mkdir -p "$BENCH_PROFILE" || die "cannot create $BENCH_PROFILE"
fi
: > "$RAW"
START=$(date +%s)
log "mstack TCP benchmark: runs=$RUNS seconds=$SECS parallel=$PAR message=${MSG}B results=$OUT"
[[ " $STACKS " == *" kernel "* ]] && kernel_side off
[[ " $STACKS " == *" mstack "* ]] && mstack_side
[[ " $STACKS " == *" kernel "* && $OFFLOADS = 1 && "$TESTS" != rate ]] && kernel_side on

{
	echo "- runs per figure: $RUNS x ${SECS}s (after ${WARMUP}s warm-up); total time $(( $(date +%s) - START ))s;" \
		"setup rate: $PAR parallel loops of connect, ${MSG} B echoed, close"
	echo "- core 1: mstackd's worker lcore / the kernel's receive softirq (RPS); core 0: tcpperf_srv and tcp_load"
} | bench_report "mstack TCP benchmark"
