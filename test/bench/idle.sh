#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# idle.sh - [datapath] idle, poll vs adaptive: mstackd's CPU with no traffic (0 and N idle apps),
# and the UDP echo round trip from the peer namespace with gaps long enough for it to fall asleep.
#
# Usage: test/bench/idle.sh [-b BUILD_DIR]
# Environment: IDLE_SECONDS (10), IDLE_APPS (1024), RTT_COUNT (2000), RTT_GAP_MS (5),
#   IDLE_POLICIES ("poll adaptive adaptive/100": a policy, or adaptive/C for coalesce_us = C).
# Needs root and python3; runs mstackd on net_af_packet over a veth pair (test/integ/lib.sh).
# CPU time is the sum of /proc/PID/task/*/schedstat (ns on a CPU, exact, not tick-sampled),
# for the whole daemon and for its worker thread. Run it alone: flock /tmp/mstack-integ.lock.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
while getopts "b:h" opt; do
	case $opt in
	b) export MSTACK_BIN=$(cd "$OPTARG" && pwd) ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done
source "$HERE/../integ/lib.sh"
SECS=${IDLE_SECONDS:-10}
NAPPS=${IDLE_APPS:-1024}
RTT_COUNT=${RTT_COUNT:-2000}
RTT_GAP_MS=${RTT_GAP_MS:-5}
POLICIES=${IDLE_POLICIES:-"poll adaptive adaptive/100"}
ulimit -n "$(ulimit -Hn)"

# cpu_ns [worker]: ns on a CPU of every mstackd thread, or of its worker (rte-worker-N) only
cpu_ns() {
	local t sum=0
	for t in /proc/"$DAEMON_PID"/task/*; do
		[ "${1:-}" = worker ] && case "$(cat "$t/comm")" in rte-worker-*) ;; *) continue ;; esac
		sum=$(( sum + $(cut -d' ' -f1 "$t/schedstat") ))
	done
	echo "$sum"
}

# measure LABEL: print the daemon's and the worker's CPU over SECS seconds, in % of one core
measure() {
	local p0 w0 p1 w1 s0 s1
	s0=$(counter dp.sleeps) p0=$(cpu_ns) w0=$(cpu_ns worker)
	sleep "$SECS"
	p1=$(cpu_ns) w1=$(cpu_ns worker) s1=$(counter dp.sleeps)
	printf '| %s | %s | %.2f %% | %.2f %% | %d |\n' "$POLICY" "$1" \
		"$(echo "($p1 - $p0) / ($SECS * 10000000)" | bc -l)" "$(echo "($w1 - $w0) / ($SECS * 10000000)" | bc -l)" \
		$(( (s1 - s0) / SECS ))
}

stop_daemon() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	DAEMON_PID=
	ip netns del "$PEER" 2>/dev/null
	ip link del "$VETH_NIC" 2>/dev/null
	: > "$DLOG"
}

CPU_ROWS=() RTT_ROWS=()
for POLICY in $POLICIES; do
	coalesce=0
	[[ $POLICY == */* ]] && coalesce=${POLICY#*/}
	# [control] continues: NAPPS sessions plus mstackctl's own connection.
	integ_start "max_connections = $(( NAPPS + 16 ))" "[datapath]" "idle = ${POLICY%%/*}" "coalesce_us = $coalesce"
	sleep 2
	CPU_ROWS+=("$(measure "0 apps")")
	start_bg "$BIN/mstack-pktcount" -s "$SOCK" -n "$NAPPS" -w -t 0 -r 64 -q udp "$HOST_IP:10000" > "$WORK/pktcount" 2>&1
	cnt_pid=$LAST_PID
	wait_for 120 grep -q "ready" "$WORK/pktcount" || fail "pktcount: $(cat "$WORK/pktcount")"
	sleep 2
	CPU_ROWS+=("$(measure "$NAPPS idle apps")")
	kill -TERM "$cnt_pid"
	wait_for 60 sh -c "! kill -0 $cnt_pid" || fail "pktcount did not stop"
	start_echo 7000
	echo_pid=$LAST_PID
	udp_roundtrip "$HOST_IP" 7000 warm > /dev/null || fail "no echo"
	r=$(peer python3 "$HERE/udprtt.py" "$HOST_IP" 7000 "$RTT_COUNT" "$RTT_GAP_MS") || fail "udprtt: $r"
	RTT_ROWS+=("| $POLICY | $r |")
	# The echo app would outlive the daemon and re-attach to the next one (it holds its port).
	kill -TERM "$echo_pid"
	wait_for 10 sh -c "! kill -0 $echo_pid" || fail "mstack-echo did not stop"
	stop_daemon
done

echo "mstackd idle CPU over $SECS s (% of one core; sleeps per second), $(date -u +%F), $(nproc) CPUs"
echo
echo "| idle (/coalesce_us) | attached | mstackd | its worker | sleeps/s |"
echo "|---|---|---|---|---|"
printf '%s\n' "${CPU_ROWS[@]}"
echo
echo "UDP echo round trip from the peer namespace (mstack-echo sleeping on its wakeup fd), $RTT_COUNT datagrams, $RTT_GAP_MS ms apart"
echo
echo "| idle (/coalesce_us) | result |"
echo "|---|---|"
printf '%s\n' "${RTT_ROWS[@]}"
DAEMON_PID=
integ_pass
