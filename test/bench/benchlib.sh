# SPDX-License-Identifier: BSD-2-Clause
# benchlib.sh - shell helpers of the benchmarks (sourced): processes, quiet windows, CPU counters, mstackd, the veth bed.
#
# The caller sets BIN (build directory), WORK (scratch directory), PREFIX (EAL file prefix), SOCK,
# TAP, HOST_IP, PEER_IP, PEER, VNIC, VPEER, WAIT_MAX (seconds to wait for foreign runs), and may
# set MS_CONF_EXTRA (config lines). These are the same conventions as test/bench/run.sh.

PIDS=()
DAEMON_PID=""
WORKER_TID=""
NOTES=()
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

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
	python3 "$(dirname "${BASH_SOURCE[0]}")/benchlib.py" hogs 0.3 $$ ${DAEMON_PID:-} "${PIDS[@]}" | tr ' ' '\n'
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

# snap_take NAME: save mstackd's counters (raw JSON), when they were taken, and the worker's run time
snap_take() {
	local t0 t1
	t0=$(now)
	"$BIN/mstackctl" -s "$SOCK" --json stats > "$WORK/snap.$1.json" || return 1
	t1=$(now)
	echo "$t0 $t1 $(pid_cpu "$WORKER_TID")" > "$WORK/snap.$1.t"
}

# snap_read NAME: one line "t=... worker_ns=... counters..." (t is the middle of the mstackctl call)
snap_read() {
	local t w
	read -r t w <<< "$(awk '{ printf "%.6f %s", ($1 + $2) / 2, $3 }' "$WORK/snap.$1.t")"
	echo "t=$t worker_ns=$w $(python3 "$(dirname "${BASH_SOURCE[0]}")/benchlib.py" snap < "$WORK/snap.$1.json")"
}

# ms_start NIC_DEVARGS [extra config lines...]: mstackd with its worker lcore on core 1
ms_start() {
	local devargs=$1; shift
	quiet_wait
	{
		echo "[eal]"
		echo "args = -l 0-1 --no-huge -m 1024 --no-pci --file-prefix $PREFIX --log-level=*:warning"
		echo "[nic]"
		echo "devargs = $devargs"
		echo "[host]"
		echo "tap = $TAP"
		echo "address = $HOST_IP/24"
		echo "[control]"
		echo "socket = $SOCK"
		echo "[limits]"
		echo "apps = 64"
		echo "ring_size = 4096"
		echo "[datapath]"
		echo "mbufs = 32767"
		for l in "$@"; do echo "$l"; done
	} > "$WORK/mstackd.conf"
	"$BIN/mstackd" -c "$WORK/mstackd.conf" > "$WORK/mstackd.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 grep -q "ready" "$WORK/mstackd.log" || { cat "$WORK/mstackd.log" >&2; die "mstackd did not start"; }
	sysctl -qw "net.ipv4.conf.$TAP.rp_filter=0"
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

# bench_cleanup: stop everything the benchmark started (the EXIT trap calls it)
bench_cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ms_stop
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VNIC" 2>/dev/null
	ip link del "$TAP" 2>/dev/null
	rm -rf "$WORK" "/var/run/dpdk/$PREFIX"
}

# bench_header: the machine, kernel and DPDK, as the Markdown results begin
bench_header() {
	echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores;" \
		"TSC $(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]* MHz\).*/\1/p' | head -1)"
	echo "- kernel: $(uname -r); DPDK $(dpkg-query -W -f '${Version}' dpdk 2>/dev/null); mstackd from $BIN"
}
