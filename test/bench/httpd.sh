#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# httpd.sh - the HTTP benchmark of issue 10: wrk against mstack-httpd on mstack, mstack-httpd -k and nginx on the kernel's TCP.
#
# Usage: test/bench/httpd.sh [-o RESULTS.md] [-b BUILD_DIR]
# Environment: BENCH_RUNS (3), BENCH_SECONDS (5), BENCH_QUICK=1 (1 run of 3 s per cell, 1 s warm-up:
#   about 3 minutes), BENCH_WARMUP (2), BENCH_SIZES (object KB, "1 4 8 16 32"), BENCH_MODES
#   ("close keepalive": one request per connection, Connection: close; or keep-alive),
#   BENCH_SERVERS ("mstack kernel nginx"), BENCH_CONNS (wrk's connections, 64), BENCH_PROFILE=DIR
#   (perf record -a of every measured window into DIR/SERVER-MODE-KB.data with a flat profile
#   beside it: a profiling run, its figures carry perf's overhead), BENCH_WAIT, MSTACK_BIN.
# Needs root, python3, ethtool, taskset, wrk, nginx (scripts/bench.sh installs them); the build's
# mstackd, mstackctl and mstack-httpd. All three servers run in one run on the same veth bed and
# the same files, one worker each. Core 1 is the datapath's (mstackd's worker lcore; the kernel's
# receive softirq through RPS), core 0 everything else (the server and wrk), as in tcp.sh.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benchlib.sh
source "$HERE/benchlib.sh"
bench_options httpd.sh 2,16 "$@"
bench_times 5 120
[ "${BENCH_QUICK:-0}" = 1 ] && WARMUP=${BENCH_WARMUP:-1}
SIZES=${BENCH_SIZES:-"1 4 8 16 32"}
MODES=${BENCH_MODES:-"close keepalive"}
SERVERS=${BENCH_SERVERS:-"mstack kernel nginx"}
CONNS=${BENCH_CONNS:-64}
PORT=8080

bench_bed mhb 217 httpdbench
DOCROOT=$WORK/www
HTTPD=$BIN/mstack-httpd
bench_on_exit

# tasks_cpu PID: run time of all threads of a process, in ns (schedstat of each task)
tasks_cpu() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# The objects, N KB of bytes that do not compress (no server compresses here, but no shortcut either).
make_docroot() {
	local kb
	mkdir -p "$DOCROOT"
	for kb in $SIZES; do head -c $(( kb * 1024 )) /dev/urandom > "$DOCROOT/${kb}k.bin"; done
}

# nginx as the paper's baseline, tuned as its users would: one worker process (master_process off:
# the one process is the worker), sendfile on, no access log, an open-file cache, no keep-alive
# request cap (mstack-httpd has none).
nginx_conf() {
	cat <<-EOF
	worker_processes 1;
	master_process off;
	daemon off;
	pid $WORK/nginx.pid;
	error_log $WORK/nginx.err warn;
	events { worker_connections 8192; }
	http {
		access_log off;
		sendfile on;
		keepalive_requests 1000000000;
		open_file_cache max=64 inactive=600s;
		default_type application/octet-stream;
		client_body_temp_path $WORK/nginx-body;
		server {
			listen $HOST_IP:$PORT backlog=4096;
			root $DOCROOT;
		}
	}
	EOF
}

# wrk's summary as one "key=value" line: exact counts and latency percentiles, not its rounded text
wrk_script() {
	cat <<-'EOF'
	done = function(s, lat, req)
		local e = s.errors
		io.write(string.format("wrk: requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
			s.requests, s.bytes, s.duration, lat:percentile(50), lat:percentile(99),
			e.connect + e.read + e.write + e.status + e.timeout))
	end
	EOF
}

# cell SERVER_LABEL STACK SRV_PID MODE KB: a warm-up run of wrk, then the measured one, with the
# counters of both sides taken around it
cell() {
	local label=$1 stack=$2 srv=$3 mode=$4 kb=$5 hdr=() url try wout=$WORK/wrk.out prof perf_pid=""
	local t0 t1 c0 c1 p0 p1 f0 foreign s0="" s1=""
	url="http://$HOST_IP:$PORT/${kb}k.bin"
	[ "$mode" = close ] && hdr=(-H "Connection: close")
	prof=${BENCH_PROFILE:+$BENCH_PROFILE/${label// /}-$mode-${kb}k}
	for try in 1 2 3; do
		quiet_wait
		ip netns exec "$PEER" taskset -c 0 wrk -t1 -c"$CONNS" -d"${WARMUP}s" "${hdr[@]}" "$url" > /dev/null 2>&1
		# perf (a profiling run) is ours: started first, so that it is left out of the others' CPU
		[ -n "$prof" ] && { bg taskset -c 0 perf record -q -a -o "$prof.data" > /dev/null 2>&1; perf_pid=$LAST_PID; }
		f0=$($LIB ticks $$ "$srv" ${DAEMON_PID:-} $perf_pid)
		t0=$(now); c0=$(cpu_idle 1); p0=$(tasks_cpu "$srv")
		[ "$stack" = mstack ] && snap_take 0
		ip netns exec "$PEER" taskset -c 0 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "${hdr[@]}" \
			-s "$WORK/report.lua" "$url" > "$wout" 2>&1
		t1=$(now); c1=$(cpu_idle 1); p1=$(tasks_cpu "$srv")
		[ "$stack" = mstack ] && { snap_take 1; s0=$(snap_read 0); s1=$(snap_read 1); }
		foreign=$($LIB foreign "$HZ" "$(awk "BEGIN { print $t1 - $t0 }")" "$f0" "$($LIB ticks $$ "$srv" ${DAEMON_PID:-} $perf_pid)")
		[ -n "$prof" ] && stop_pid "$perf_pid" INT
		kill -0 "$srv" 2>/dev/null || die "$label died during $mode ${kb} KB: $(tail -3 "$WORK/srv.out")"
		grep -q '^wrk: ' "$wout" || { cat "$wout" >&2; die "wrk against $label printed no summary"; }
		# Core 1's busy time is the kernel's cost only if nobody else ran: a window in which other
		# people's processes took more than 5 % of a core is measured again (the third is kept).
		if [ "$try" -lt 3 ] && awk "BEGIN { exit !($foreign > 0.05) }"; then
			log "  $foreign cores of other processes during the window: measuring it again"
			continue
		fi
		disturbed $try || break
	done
	[ -n "$prof" ] && perf report -i "$prof.data" --stdio --sort cpu,comm,dso,sym --percent-limit 0.5 \
		> "$prof.txt" 2>/dev/null
	record httpd "mode=$mode,kb=$kb,server=$label" \
		"$($LIB httpd "$stack" "$HZ" "$t0" "$t1" "$c0" "$c1" "$p0" "$p1" "$foreign" \
			"$(grep '^wrk: ' "$wout")" "$s0" "$s1")"
}

# cells LABEL STACK SRV_PID: every mode and size against one server, RUNS windows each (the
# tables give their median [min-max])
cells() {
	local mode kb r
	for mode in $MODES; do
		for kb in $SIZES; do
			for r in $(seq "$RUNS"); do
				log "$1: $mode, $kb KB, run $r of $RUNS"
				cell "$1" "$2" "$3" "$mode" "$kb"
			done
		done
	done
}

# start_server LABEL CMD...: in the background on core 0, then wait until it answers from the peer
start_server() {
	local label=$1; shift
	bg taskset -c 0 "$@" > "$WORK/srv.out" 2>&1
	SRV_PID=$LAST_PID
	wait_for 10 ip netns exec "$PEER" curl -sf -o /dev/null "http://$HOST_IP:$PORT/${SIZES%% *}k.bin" ||
		{ cat "$WORK/srv.out" >&2; die "$label does not answer on $HOST_IP:$PORT"; }
}

# kernel_bed: the kernel's TCP on our veth end, offloads off (each segment one frame, as mstack
# sends it), its receive softirq on core 1 through RPS, as tcp.sh's "kernel, offloads off"
kernel_bed() {
	quiet_wait
	net_up
	peer_sysctls
	ip addr add "$HOST_IP/24" dev "$VNIC"
	offloads "" "$VNIC" off
	offloads "$PEER" "$VPEER" off
	echo 2 > "/sys/class/net/$VNIC/queues/rx-0/rps_cpus"
	ip netns exec "$PEER" ping -c 1 -W 2 "$HOST_IP" > /dev/null || die "no route to $HOST_IP"
}

kernel_httpd() {
	log "mstack-httpd -k (kernel TCP)"
	kernel_bed
	start_server "mstack-httpd -k" "$HTTPD" -k -r "$DOCROOT" "$HOST_IP:$PORT"
	cells "mstack-httpd -k" kernel "$SRV_PID"
	stop_pid "$SRV_PID"
	net_down
}

nginx_side() {
	log "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (kernel TCP)"
	kernel_bed
	nginx_conf > "$WORK/nginx.conf"
	start_server nginx nginx -c "$WORK/nginx.conf" -e "$WORK/nginx.err"
	cells nginx kernel "$SRV_PID"
	stop_pid "$SRV_PID"
	net_down
}

# mstack_httpd: mstackd on the veth end (net_af_packet), mstack-httpd on libmstack-tcp
mstack_httpd() {
	log "mstack-httpd (mstack TCP through mstackd)"
	mstackd_bed
	start_server mstack-httpd "$HTTPD" -s "$SOCK" -r "$DOCROOT" "$HOST_IP:$PORT"
	cells mstack-httpd mstack "$SRV_PID"
	stop_pid "$SRV_PID"
	ms_stop
	net_down
}

bench_need mstackd mstackctl mstack-httpd -- python3 taskset ethtool wrk nginx curl
if [ -n "${BENCH_PROFILE:-}" ]; then
	command -v perf > /dev/null || die "perf is missing (Debian linux-perf; scripts/bench.sh installs it)"
	mkdir -p "$BENCH_PROFILE" || die "cannot create $BENCH_PROFILE"
fi
: > "$RAW"
START=$(date +%s)
make_docroot
wrk_script > "$WORK/report.lua"
log "mstack HTTP benchmark: runs=$RUNS seconds=$SECS sizes=$SIZES KB modes=$MODES connections=$CONNS results=$OUT"
for s in $SERVERS; do
	case $s in
	mstack) mstack_httpd ;;
	kernel) kernel_httpd ;;
	nginx) nginx_side ;;
	*) die "unknown server $s (mstack, kernel, nginx)" ;;
	esac
done

{
	echo "- cells: $RUNS run(s) x ${SECS}s of wrk -t1 -c$CONNS --latency (after a ${WARMUP}s wrk warm-up);" \
		"total time $(( $(date +%s) - START ))s; objects of $SIZES KB; close = one request per connection" \
		"(Connection: close), keepalive = every request on an open connection"
	echo "- cores: core 1 is the datapath's (mstackd's worker lcore / the kernel's receive softirq, moved" \
		"there by RPS), core 0 the server (one worker each) and wrk. Server CPU = stack cores (mstackd's" \
		"worker busy cycles / core 1's busy time) + the server process's run time (all threads); wrk's is not charged." \
		"Same veth bed, offloads off (one frame per segment) and files for all three servers."
} | bench_report "mstack HTTP benchmark"
