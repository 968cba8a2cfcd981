#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared set-up for the integration tests and the demo: a peer namespace on a veth pair,
# mstackd on net_af_packet (the "NIC") and net_tap (the kernel), cleaned up on any exit.
#
# Use: source lib.sh; integ_start [extra config lines]; ... ; integ_pass
# Provides: $PEER (netns), $HOST_IP, $PEER_IP, $SOCK, $TAP, $WORK, $BIN, peer CMD..., ctl ARGS...
# With INTEG_LOSSY="lossy_fwd options" set before integ_start, the peer reaches mstackd's veth
# through a middle namespace $MIDDLE where lossy_fwd drops, duplicates, reorders and delays frames.

set -u
BIN=${MSTACK_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ID=$(printf '%04x' $(( ($$ + RANDOM) % 65536 )))
PEER=mspeer$ID
VETH_NIC=msn$ID		# our end: the DPDK "NIC" (net_af_packet)
VETH_PEER=msp$ID	# the remote host's end, inside $PEER
TAP=mst$ID
MIDDLE=msmid$ID		# the lossy forwarder's namespace (INTEG_LOSSY, lossy_start)
INTEG_NETNS=()		# more namespaces that cleanup deletes
NET=10.213.$(( 0x$ID % 250 + 1 ))
HOST_IP=$NET.1
PEER_IP=$NET.2
WORK=$(mktemp -d /tmp/mstack-integ.XXXXXX)
chmod 755 "$WORK" # other uids (the access-policy tests) must reach the socket
SOCK=$WORK/mstackd.sock
CONF=$WORK/mstackd.conf
DLOG=$WORK/mstackd.log
INTEG_PIDS=()
INTEG_NAME=$(basename "$0" .sh)

integ_cleanup() {
	local rc=$?
	for p in "${INTEG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ -n "${DAEMON_PID:-}" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$DAEMON_PID" 2>/dev/null
		# A clean stop is part of every test: exit status 0, and no sanitizer report.
		wait "$DAEMON_PID"
		local drc=$?
		if [ $rc -eq 0 ] && { [ $drc -ne 0 ] || grep -q "Sanitizer" "$DLOG"; }; then
			echo "FAIL: $INTEG_NAME: mstackd exited with status $drc on SIGTERM"
			rc=1
		fi
	fi
	for ns in "$PEER" "$MIDDLE" "${INTEG_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	ip link del "$VETH_NIC" 2>/dev/null
	if [ $rc -ne 0 ] && [ -f "$DLOG" ]; then
		echo "--- mstackd log ($DLOG) ---"; tail -40 "$DLOG"
	fi
	rm -rf "$WORK"
	exit $rc
}
trap integ_cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $INTEG_NAME: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
peer() { ip netns exec "$PEER" "$@"; }
# in_ns NS CMD...: CMD in namespace NS, or in this one when NS is empty
in_ns() { local ns=$1; shift; if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }
ctl() { "$BIN/mstackctl" -s "$SOCK" "$@"; }

# counter NAME: one counter's value from mstackctl --json stats
counter() {
	ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"].get(sys.argv[1], 0))' "$1"
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local t=$1; shift
	for _ in $(seq $(( t * 10 ))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# ip6_add NS DEV ADDR/LEN: add an IPv6 address without DAD (NS empty: this namespace), and wait
# until the kernel uses it. It stays tentative, and the kernel silently drops what is sent to it,
# until the kernel has handled the link's carrier event; on a busy host (earlier tests' namespaces
# being torn down hold the rtnl lock) that can come seconds after "ip link set up".
ip6_add() {
	in_ns "$1" ip addr add "$3" dev "$2" nodad
	ip6_ready "$1" "$2"
}
ip6_settled() { [ -z "$(in_ns "$1" ip -6 addr show dev "$2" tentative)" ]; }
ip6_ready() {
	wait_for 10 ip6_settled "$1" "$2" || fail "IPv6 on $2 stays tentative: $(in_ns "$1" ip -6 addr show dev "$2")"
}

# no_offload NS DEV: frames on DEV carry complete checksums and stay MTU-sized (no TSO/GSO/GRO),
# as on a real wire; AF_PACKET readers (mstackd, lossy_fwd) see them as sent.
no_offload() {
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off > /dev/null 2>&1
}

# lossy_start LEFT RIGHT OPTIONS...: in $MIDDLE, join LEFT and RIGHT (its interfaces) through
# lossy_fwd; sets $LOSSY_PID, output in $WORK/lossy.log
lossy_start() {
	local l=$1 r=$2; shift 2
	for d in "$l" "$r"; do
		ip netns exec "$MIDDLE" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1"
		ip netns exec "$MIDDLE" ip link set "$d" up
		no_offload "$MIDDLE" "$d"
	done
	ip netns exec "$MIDDLE" "$BIN/test/lossy_fwd" "$@" "$l" "$r" > "$WORK/lossy.log" 2>&1 &
	LOSSY_PID=$!
	INTEG_PIDS+=("$LOSSY_PID")
	wait_for 5 grep -q "forwarding" "$WORK/lossy.log" || fail "lossy_fwd did not start: $(cat "$WORK/lossy.log")"
}

# lossy_stop: SIGTERM the forwarder, wait for its counters; lossy_counter NAME then reads one
lossy_stop() {
	kill -TERM "$LOSSY_PID" 2>/dev/null
	wait "$LOSSY_PID" 2>/dev/null
}
lossy_counter() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/lossy.log"; }

# lossy_impaired_both_ways: after lossy_stop, fail unless the forwarder dropped, duplicated and
# reordered frames in each direction, so that a transfer that came through was really impaired
lossy_impaired_both_ways() {
	local dir k
	for dir in a_to_b b_to_a; do
		for k in dropped duplicated reordered; do
			[ "$(lossy_counter "$dir.$k")" -gt 0 ] || fail "lossy_fwd did no $dir.$k: $(cat "$WORK/lossy.log")"
		done
	done
}

# kernel_net direct|middle: no mstackd, two kernels face each other: the client $PEER ($PEER_IP,
# fd00:$ID::2) and the server $SRV ($HOST_IP, fd00:$ID::1, on $SRV_DEV), on one veth pair or with
# $MIDDLE between them (its interfaces mla$ID on the server's side, mlb$ID on the peer's: lossy_start)
kernel_net() {
	SRV=mssrv$ID
	SRV_DEV=mss$ID
	INTEG_NETNS+=("$SRV")
	ip netns add "$PEER"
	ip netns add "$SRV"
	if [ "$1" = middle ]; then
		ip netns add "$MIDDLE"
		ip link add "$SRV_DEV" netns "$SRV" type veth peer name "mla$ID" netns "$MIDDLE"
		ip link add "$VETH_PEER" netns "$PEER" type veth peer name "mlb$ID" netns "$MIDDLE"
	else
		ip link add "$SRV_DEV" netns "$SRV" type veth peer name "$VETH_PEER" netns "$PEER"
	fi
	for side in "$SRV $SRV_DEV $HOST_IP 1" "$PEER $VETH_PEER $PEER_IP 2"; do
		read -r ns dev ip n <<< "$side"
		ip netns exec "$ns" ip link set lo up
		ip netns exec "$ns" ip addr add "$ip/24" dev "$dev"
		ip netns exec "$ns" ip addr add "fd00:$ID::$n/64" dev "$dev" nodad
		ip netns exec "$ns" ip link set "$dev" up
		no_offload "$ns" "$dev"
	done
	if [ "$1" != middle ]; then # (the middle's ends come up in lossy_start)
		ip6_ready "$SRV" "$SRV_DEV"
		ip6_ready "$PEER" "$VETH_PEER"
	fi
}

# kernel_echo PORT [BACKLOG]: the kernel's TCP echo server in $SRV (IPv4 and IPv6): reads until end
# of stream, echoes everything, then closes
kernel_echo() {
	start_bg ip netns exec "$SRV" python3 -c '
import socket, socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while (d := self.request.recv(65536)):
                self.request.sendall(d)
        except OSError:
            pass
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = daemon_threads = True
    address_family = socket.AF_INET6
    request_queue_size = int(sys.argv[2])
Server(("::", int(sys.argv[1])), Echo).serve_forever()' "$1" "${2:-1024}" > "$WORK/kernel_echo.$1" 2>&1
	kernel_listening() { ip netns exec "$SRV" ss -Hltn "sport = :$1" | grep -q LISTEN; }
	wait_for 5 kernel_listening "$1" || fail "kernel echo server on $1 did not start: $(cat "$WORK/kernel_echo.$1")"
}

integ_net() {
	ip netns add "$PEER"
	if [ -n "${INTEG_LOSSY:-}" ]; then
		ip netns add "$MIDDLE"
		ip link add "$VETH_NIC" type veth peer name "mla$ID" netns "$MIDDLE"
		ip link add "$VETH_PEER" type veth peer name "mlb$ID" netns "$MIDDLE"
		ip link set "$VETH_PEER" netns "$PEER"
		# shellcheck disable=SC2086 # options, split on purpose
		lossy_start "mla$ID" "mlb$ID" $INTEG_LOSSY
		peer ethtool -K "$VETH_PEER" tso off gso off gro off > /dev/null
	else
		ip link add "$VETH_NIC" type veth peer name "$VETH_PEER"
		ip link set "$VETH_PEER" netns "$PEER"
	fi
	ip link set "$VETH_NIC" up
	# The veth end is our "NIC": only DPDK may use it, not this host's own stack
	# (AF_PACKET sees frames before these filters drop them for the kernel).
	sysctl -qw "net.ipv6.conf.$VETH_NIC.disable_ipv6=1" "net.ipv4.conf.$VETH_NIC.rp_filter=1" \
		"net.ipv4.conf.$VETH_NIC.arp_ignore=8"
	peer ip link set lo up
	peer ip addr add "$PEER_IP/24" dev "$VETH_PEER"
	peer ip link set "$VETH_PEER" up
	# veth hands AF_PACKET frames whose TCP/UDP checksums the sender left to "hardware";
	# a real wire carries them complete, so make the peer compute them itself.
	peer ethtool -K "$VETH_PEER" tx off > /dev/null
}

# integ_start [config lines...]: write the config, start mstackd, wait until it serves.
# INTEG_LCORES (EAL lcore option, default "-l 0-1": one worker) and INTEG_NIC_ARGS (appended to the
# NIC's devargs, e.g. ",qpairs=2") shape the datapath.
integ_start() {
	integ_net
	{
		echo "[eal]"
		echo "args = ${INTEG_LCORES:--l 0-1} --no-huge -m 256 --no-pci --file-prefix ms$ID --log-level=*:warning"
		echo "[nic]"
		echo "devargs = net_af_packet$ID,iface=$VETH_NIC${INTEG_NIC_ARGS:-}"
		echo "[host]"
		echo "tap = $TAP"
		echo "address = $HOST_IP/24"
		echo "[control]"
		echo "socket = $SOCK"
		for l in "$@"; do echo "$l"; done
	} > "$CONF"
	daemon_start
}

# daemon_start: (re)start mstackd on $CONF, wait until it serves
daemon_start() {
	"$BIN/mstackd" -c "$CONF" >> "$DLOG" 2>&1 &
	DAEMON_PID=$!
	wait_for 30 grep -q "ready" "$DLOG" || fail "mstackd did not start"
	sysctl -qw "net.ipv4.conf.$TAP.rp_filter=0"
}

# start_bg CMD...: run in the background, killed at exit; sets $LAST_PID
start_bg() {
	"$@" &
	LAST_PID=$!
	disown "$LAST_PID"
	INTEG_PIDS+=("$LAST_PID")
}

integ_pass() { echo "PASS: $INTEG_NAME"; }

# udp_roundtrip IP PORT PAYLOAD: from the peer, send one datagram and print the answer (2 s timeout, 3 tries)
udp_roundtrip() {
	peer python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(2048).decode()); sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)' "$@"
}

# tcp_stream_start HOST PORT TOTAL OUT: from the peer, one kernel-TCP connection that sends TOTAL
# bytes (a paced sender thread, about 640 kB/s) and reads the echo back, logging "rcvd N TIME" every
# 128 kB to OUT, then "done N intact"; it exits 0 only if all of it came back intact (SHA-256).
# Sets $STREAM (its pid, killed at exit).
tcp_stream_start() {
	peer python3 -u -c '
import hashlib, random, socket, sys, threading, time
host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = random.Random(7).randbytes(total)
s = socket.create_connection((host, port), timeout=5)
s.settimeout(45)
def send():
    for off in range(0, total, 32768):
        s.sendall(data[off:off + 32768])
        time.sleep(0.05)
threading.Thread(target=send, daemon=True).start()
h, got, step = hashlib.sha256(), 0, 0
while got < total:
    b = s.recv(65536)
    if not b:
        print("eof at", got); sys.exit(1)
    h.update(b)
    got += len(b)
    if got >= step:
        print("rcvd", got, "%.3f" % time.time())
        step += 131072
ok = h.digest() == hashlib.sha256(data).digest()
print("done", got, "intact" if ok else "CORRUPT")
sys.exit(0 if ok else 1)
' "$1" "$2" "$3" > "$4" 2>&1 &
	STREAM=$!
	INTEG_PIDS+=("$STREAM")
}

# stream_received OUT: the bytes a tcp_stream_start stream has read back so far
stream_received() { awk '$1 == "rcvd" { n = $2 } END { print n + 0 }' "$1"; }

# stream_progress_after OUT TIME: has the stream read something back after TIME (date +%s.%N)?
stream_progress_after() { awk -v t="$2" '$1 == "rcvd" && $3 > t' "$1" | grep -q .; }

# start_echo PORT [OPTION...]: an mstack-echo bound to udp $HOST_IP:PORT; sets $LAST_PID and $APP_ID
start_echo() {
	local out="$WORK/echo.$1" port=$1
	shift
	start_bg "$BIN/mstack-echo" -s "$SOCK" "$@" udp "$HOST_IP:$port" > "$out" 2>&1
	wait_for 10 grep -q "echoing" "$out" || fail "mstack-echo on port $port did not start: $(cat "$out")"
	APP_ID=$(sed -n 's/.* app \([0-9]*\) echoing.*/\1/p' "$out")
}
