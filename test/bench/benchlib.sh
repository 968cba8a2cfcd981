# SPDX-License-Identifier: BSD-2-Clause
# benchlib.sh - shell helpers of the benchmarks (sourced): options, processes, quiet windows, CPU counters, mstackd, the veth bed, the results.
#
# A benchmark sources it, then calls bench_options, bench_times and bench_bed, which set BIN (build
# directory), OUT (results), RUNS, SECS, WARMUP, WAIT_MAX (seconds to wait for foreign runs), WORK
# (scratch directory), RAW (raw results), PREFIX (EAL file prefix), SOCK, TAP, HOST_IP, PEER_IP,
# PEER, VNIC, VPEER; then bench_on_exit. It may set MS_LCORES (mstackd's EAL lcore option, "-l 0-1")
# and MS_APPS (mstackd's [limits] apps, 64) before ms_start, and add paths to CLEAN_PATHS.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB="python3 $BENCH_DIR/benchlib.py"
PIDS=()
DAEMON_PID=""
WORKER_TID=""
NOTES=()
CLEAN_PATHS=()
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# bench_options NAME HELP_LINES ARGS...: -o RESULTS.md, -b BUILD_DIR (MSTACK_BIN, else the
# repository's build/), -h (prints lines HELP_LINES, "2,12", of the script); sets OUT and BIN
bench_options() {
	local name=$1 help=$2 opt dir OPTIND=1
	shift 2
	BENCH_NAME=$name
	BIN=${MSTACK_BIN:-$(cd "$BENCH_DIR/../.." && pwd)/build}
	OUT=""
	while getopts "o:b:h" opt; do
		case $opt in
		o) OUT=$OPTARG ;;
		b) BIN=$OPTARG ;;
		h) sed -n "${help}p" "$0"; exit 0 ;;
		*) exit 2 ;;
		esac
	done
	dir=$(cd "$BIN" && pwd) || { echo "$name: no build directory $BIN" >&2; exit 2; }
	BIN=$dir
}

# bench_times SECONDS WAIT: RUNS windows of SECS seconds after WARMUP, from BENCH_RUNS (3),
# BENCH_SECONDS (SECONDS), BENCH_QUICK=1 (1 run of 3 s), BENCH_WARMUP (2) and BENCH_WAIT (WAIT)
bench_times() {
	RUNS=${BENCH_RUNS:-3}
	SECS=${BENCH_SECONDS:-$1}
	if [ "${BENCH_QUICK:-0}" = 1 ]; then
		RUNS=1 SECS=3
	fi
	WARMUP=${BENCH_WARMUP:-2}
	WAIT_MAX=${BENCH_WAIT:-$2}
}

# bench_bed TAG SUBNET STEM: names of this run, unique per process so that runs do not collide:
# the 10.SUBNET.x.0/24 network, the peer namespace, veth ends, TAP and EAL prefix TAG<p|n|q|t|>ID,
# the scratch directory /tmp/mstack-STEM.XXXXXX and the default results /tmp/mstack-STEM-DATE.md
bench_bed() {
	ID=$(printf '%04x' $(( ($$ + RANDOM) % 65536 )))
	NET=10.$2.$(( 0x$ID % 250 + 1 ))
	HOST_IP=$NET.1
	PEER_IP=$NET.2
	PEER=$1p$ID  # the remote host's namespace
	VNIC=$1n$ID  # our veth end: the kernel's interface, or mstackd's "NIC"
	VPEER=$1q$ID # the peer's veth end
	TAP=$1t$ID
	PREFIX=$1$ID # EAL file prefix
	WORK=$(mktemp -d "/tmp/mstack-$3.XXXXXX")
	SOCK=$WORK/mstackd.sock
	RAW=$WORK/results.tsv
	[ -n "$OUT" ] || OUT=/tmp/mstack-$3-$(date +%Y%m%d-%H%M%S).md
}

# bench_on_exit: clean up whatever way the script ends (bench_cleanup), and say so if it failed
bench_on_exit() {
	trap bench_exit EXIT
	trap 'exit 130' INT TERM
}

bench_exit() {
	local rc=$?
	trap - EXIT INT TERM
	bench_cleanup
	[ $rc -ne 0 ] && log "$BENCH_NAME: stopped (status $rc); everything it started is cleaned up"
	exit $rc
}

# bench_need BINARIES... -- COMMANDS...: root, the build's programs and the installed tools
bench_need() {
	local t
	[ "$(id -u)" = 0 ] || die "run as root"
	while [ "$1" != "--" ]; do
		[ -x "$BIN/$1" ] || die "$BIN/$1 is missing: build first (scripts/build.sh)"
		shift
	done
	shift
	for t in "$@"; do
		command -v "$t" > /dev/null || die "$t is missing: run scripts/bench.sh (it installs what this needs)"
	done
}

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW"; log "  $1 $2: $3"; }

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

# others: someone else's daemon, testpmd, build or test run, or any other process keeping a fifth
# of a core busy (a fuzzer, a valgrind run), which would share our two cores
others() {
	pgrep -x mstackd | grep -vx "${DAEMON_PID:-none}"
	pgrep -x dpdk-testpmd; pgrep -x cc1; pgrep -x ctest; pgrep -x make; pgrep -x memcheck-amd64-
	$LIB hogs 0.3 $$ ${DAEMON_PID:-} "${PIDS[@]}" | tr ' ' '\n'
}

# Measurements need the machine to themselves: wait while others() run. WAIT_MAX seconds is the
# budget of the whole run, so that a foreign job that runs on does not stretch the run without end.
WAITED=0
quiet_wait() {
	local first=1 o
	while :; do
		o=$(others | sort -u)
		[ -z "$o" ] && return 0
		if [ "$WAITED" -ge "$WAIT_MAX" ]; then
			NOTES+=("Foreign processes (mstackd, testpmd, a build, a test or fuzz run) ran during some measurements: the waiting budget of ${WAIT_MAX}s was spent.")
			return 0
		fi
		[ $first = 1 ] && log "waiting for other processes to finish ($(echo $o))"
		first=0
		sleep 5
		WAITED=$(( WAITED + 5 ))
	done
}

# disturbed TRY: after a window, true (and a log line) if others() started meanwhile and TRY < 3,
# so that the caller measures the window again; the third try is kept whatever happened.
disturbed() {
	local o
	o=$(others | sort -u)
	[ -z "$o" ] && return 1
	if [ "$1" -ge 3 ] || [ "$WAITED" -ge "$WAIT_MAX" ]; then
		NOTES+=("Some windows were disturbed by other processes and kept anyway (three tries, or the waiting budget spent).")
		return 1
	fi
	log "  window disturbed ($(echo $o)): measuring it again"
	quiet_wait
	return 0
}

now() { date +%s.%N; }

# cpu_idle CPU: idle + iowait of a CPU since boot, in USER_HZ ticks. On a tickless kernel without
# IRQ_TIME_ACCOUNTING the busy columns miss short softirq bursts on an otherwise idle CPU, but the
# idle time is measured exactly (nohz idle accounting stops at every interrupt): busy = wall - idle.
cpu_idle() { awk -v c="cpu$1" '$1 == c { print $5 + $6 }' /proc/stat; }
# pid_cpu PID: CPU time a (single-threaded) process or a thread ran, in ns (sum_exec_runtime)
pid_cpu() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }

# proc_cpu PID: run time of every thread of a process, in ns (schedstat: exact, not tick-sampled)
proc_cpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# snap_take NAME: save mstackd's counters (raw JSON), when they were taken, and the run time of the
# worker thread and of the whole daemon; nothing else runs on core 0 meanwhile (parsing waits for
# snap_read, after the window)
snap_take() {
	local t0 t1
	t0=$(now)
	"$BIN/mstackctl" -s "$SOCK" --json stats > "$WORK/snap.$1.json" || return 1
	t1=$(now)
	echo "$t0 $t1 $(pid_cpu "$WORKER_TID") $(proc_cpu "$DAEMON_PID")" > "$WORK/snap.$1.t"
}

# snap_read NAME: one line "t=... worker_ns=... daemon_ns=... counters..." (t is the middle of the
# mstackctl call)
snap_read() {
	local t w d
	read -r t w d <<< "$(awk '{ printf "%.6f %s %s", ($1 + $2) / 2, $3, $4 }' "$WORK/snap.$1.t")"
	echo "t=$t worker_ns=$w daemon_ns=$d $($LIB snap < "$WORK/snap.$1.json")"
}

# ms_start NIC_DEVARGS [extra config lines...]: mstackd with its worker lcore on core 1 (MS_LCORES)
ms_start() {
	local devargs=$1; shift
	quiet_wait
	{
		echo "[eal]"
		echo "args = ${MS_LCORES:--l 0-1} --no-huge -m 1024 --no-pci --file-prefix $PREFIX --log-level=*:warning"
		echo "[nic]"
		echo "devargs = $devargs"
		echo "[host]"
		echo "tap = $TAP"
		echo "address = $HOST_IP/24"
		echo "[control]"
		echo "socket = $SOCK"
		echo "[limits]"
		echo "apps = ${MS_APPS:-64}"
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

# net_up / net_down: the peer namespace on a veth pair, as test/integ/lib.sh builds it
net_up() {
	ip netns add "$PEER"
	ip link add "$VNIC" type veth peer name "$VPEER"
	ip link set "$VPEER" netns "$PEER"
	ip link set "$VNIC" up
	ip netns exec "$PEER" ip link set lo up
	ip netns exec "$PEER" ip addr add "$PEER_IP/24" dev "$VPEER"
	ip netns exec "$PEER" ip link set "$VPEER" up
}

net_down() {
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VNIC" 2>/dev/null
	sleep 0.5
}

# The veth end is mstackd's "NIC": the host stack must leave it alone, and the peer must put
# complete checksums in its frames (veth leaves them to "hardware", which AF_PACKET never fills).
net_for_mstackd() {
	sysctl -qw "net.ipv6.conf.$VNIC.disable_ipv6=1" "net.ipv4.conf.$VNIC.rp_filter=1" \
		"net.ipv4.conf.$VNIC.arp_ignore=8"
	ip netns exec "$PEER" ethtool -K "$VPEER" tx off > /dev/null
}

# offloads DEV_NS DEV on|off: the veth's checksum, segmentation and receive offloads. Off, each
# TCP segment crosses the veth as one MTU-sized frame with its checksum computed and verified in
# software: what mstack does (it has no TSO/GRO, and AF_PACKET gives it none).
offloads() {
	local ns=() state=$3
	[ -n "$1" ] && ns=(ip netns exec "$1")
	"${ns[@]}" ethtool -K "$2" tx "$state" tso "$state" gso "$state" gro "$state" > /dev/null 2>&1
}

# The client namespace: many short connections from one address need ports back quickly
# (tcp_tw_reuse, which needs TCP timestamps: the client's SYN offers them to both stacks alike).
peer_sysctls() {
	ip netns exec "$PEER" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.tcp_timestamps=1
}

# mstackd_bed: mstackd on our veth end through net_af_packet, offloads off on both ends (each
# segment one frame, as mstack sends it), the peer's route to HOST_IP through it checked
mstackd_bed() {
	quiet_wait
	net_up
	peer_sysctls
	net_for_mstackd
	offloads "" "$VNIC" off
	offloads "$PEER" "$VPEER" off
	ms_start "net_af_packet_$PREFIX,iface=$VNIC"
	ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null || die "no route to $HOST_IP through mstackd"
}

# bench_cleanup: stop everything the benchmark started (the EXIT trap calls it)
bench_cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ms_stop
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VNIC" 2>/dev/null
	ip link del "$TAP" 2>/dev/null
	rm -rf "$WORK" "/var/run/dpdk/$PREFIX" "${CLEAN_PATHS[@]}"
}

# bench_header: the machine, kernel and DPDK, as the Markdown results begin
bench_header() {
	echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores;" \
		"TSC $(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]* MHz\).*/\1/p' | head -1)"
	echo "- kernel: $(uname -r); DPDK $(dpkg-query -W -f '${Version}' dpdk 2>/dev/null); mstackd from $BIN"
}

# bench_report TITLE: the Markdown results (title, machine, the caller's header lines from stdin,
# notes, tables) in OUT and on stdout, the raw results beside them in OUT's name with .tsv
bench_report() {
	{
		echo "## $1, $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		bench_header
		cat
		[ ${#NOTES[@]} -gt 0 ] && printf -- '- NOTE: %s\n' "${NOTES[@]}" | sort -u
	} > "$WORK/header.md"
	$LIB table "$RAW" "$WORK/header.md" > "$OUT"
	cp "$RAW" "${OUT%.md}.tsv"
	cat "$OUT"
	log "results: $OUT (raw: ${OUT%.md}.tsv)"
}
