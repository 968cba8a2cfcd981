#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_tcp.sh - mstack-tcpecho through a real mstackd, the kernel's TCP in the peer namespace as its client.
# IPv4 and IPv6 transfers checked by hash, 10 000 concurrent connections, half-close, RST,
# back-pressure, no CPU when idle, kill -9 frees the tuple, errors and SIGTERM.
source "$(dirname "$0")/lib.sh"

integ_start
HOST_IP6=fd00:$ID::1
ip6_add "" "$TAP" "$HOST_IP6/64"
ip6_add "$PEER" "$VETH_PEER" "fd00:$ID::2/64"
peer ethtool -K "$VETH_PEER" tso off gso off > /dev/null
PORT=7000

client() { peer python3 "$INTEG_DIR/tcp_client.py" "$@"; }

# start_tcpecho NAME ARGS...: an mstack-tcpecho in the background (a child: `wait` gives its
# status); sets $LAST_PID, output in $WORK/NAME
start_tcpecho() {
	local out="$WORK/$1"; shift
	"$BIN/mstack-tcpecho" -s "$SOCK" "$@" > "$out" 2>&1 &
	LAST_PID=$!
	INTEG_PIDS+=("$LAST_PID")
	wait_for 10 grep -q "echoing" "$out" || fail "mstack-tcpecho $* did not start: $(cat "$out")"
}

# cpu_ticks PID: user + system time of a process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# 1. Errors: a one-line reason and status 1 when attach or bind fails.
out=$("$BIN/mstack-tcpecho" -s "$WORK/none.sock" "$HOST_IP:$PORT" 2>&1) && fail "attach to no daemon succeeded"
[ "$out" = "mstack-tcpecho: attach $WORK/none.sock: No such file or directory" ] || fail "attach error: '$out'"
"$BIN/mstack-tcpecho" -s "$SOCK" "not-an-address" > /dev/null 2>&1; [ $? -eq 2 ] || fail "a bad LISTEN is not a usage error"
ok "a missing daemon is one line and status 1"

start_tcpecho echo "$HOST_IP:$PORT" "[$HOST_IP6]:$PORT"
ECHO_PID=$LAST_PID
out=$("$BIN/mstack-tcpecho" -s "$SOCK" "$HOST_IP:$PORT" 2>&1) && fail "a second listener on the same tuple succeeded"
[ "$out" = "mstack-tcpecho: listen $HOST_IP:$PORT: Address already in use" ] || fail "bind error: '$out'"
ok "a taken tuple is refused with EADDRINUSE"

# 2. Multi-megabyte transfers, IPv4 and IPv6, every byte checked by SHA-256.
client "$HOST_IP" $PORT -n 4 -m 8000000 -t 40 || fail "IPv4 4 x 8 MB"
client "$HOST_IP6" $PORT -n 2 -m 8000000 -t 40 || fail "IPv6 2 x 8 MB"
ok "IPv4 4 x 8 MB and IPv6 2 x 8 MB echoed intact"
start_tcpecho twoq -q 2 "$HOST_IP:7004"
client "$HOST_IP" 7004 -n 50 -m 100000 -t 20 || fail "50 connections over two queues"
kill -TERM "$LAST_PID"
wait "$LAST_PID" || fail "mstack-tcpecho -q 2 exited with status $? on SIGTERM"
ok "two queues, two stack instances: 50 connections echoed"

# 3. Half-close: the client shuts down writing at once and still reads every byte back, then our FIN.
client "$HOST_IP" $PORT -n 8 -m 1000000 --mode halfclose -t 30 || fail "IPv4 half-close"
client "$HOST_IP6" $PORT -n 8 -m 1000000 --mode halfclose -t 30 || fail "IPv6 half-close"
ok "half-closed connections get all their data and then end of stream"

# 4. RST: clients abort (SO_LINGER 0) with data in flight; the server survives and serves the next.
client "$HOST_IP" $PORT -n 200 -m 50000 --mode rst -t 20 || fail "RST clients"
client "$HOST_IP6" $PORT -n 50 -m 50000 --mode rst -t 20 || fail "IPv6 RST clients"
kill -0 "$ECHO_PID" || fail "mstack-tcpecho died of reset connections"
client "$HOST_IP" $PORT -n 2 -m 100000 -t 20 || fail "no service after the resets"
ok "250 aborted connections, the server still serves"

# 5. 10 000 connections open at the same time: nobody sends before all are established.
# A server sized for it: 12 000 connections of 16 KiB buffers, 512 MiB in all.
start_tcpecho many -c 12000 -w 16384 -M 512 "$HOST_IP:7002"
MANY_PID=$LAST_PID
peer sysctl -qw net.ipv4.ip_local_port_range="20000 60999"
client "$HOST_IP" 7002 -n 10000 -m 64 --hold --pending 512 -t 50 || fail "10 000 concurrent connections"
kill "$MANY_PID"
ok "10 000 concurrent connections, each echoed"

# 6. Back-pressure: a client that sends 32 MB without reading can only fill the buffers on the way
# (its own, the server's and back), then is held by flow control; reading, it gets every byte.
peer python3 "$INTEG_DIR/tcp_client.py" "$HOST_IP" $PORT -m 32000000 --stall 3 --stall-max 20000000 -t 30 ||
	fail "back-pressure"
ok "a client that does not read is held by flow control, then gets everything"

# 7. Idle means asleep: no CPU while no connection is active.
sleep 1
t0=$(cpu_ticks "$ECHO_PID"); sleep 3; t1=$(cpu_ticks "$ECHO_PID")
[ $((t1 - t0)) -le 3 ] || fail "idle mstack-tcpecho used $((t1 - t0)) ticks in 3 s"
ok "idle: $((t1 - t0)) clock ticks in 3 s"

# 8. kill -9 frees the tuple: a new process listens on it at once and serves.
start_tcpecho victim "$HOST_IP:7100"
client "$HOST_IP" 7100 -n 1 -m 1000 -t 10 || fail "the first echo on 7100"
kill -9 "$LAST_PID"
wait "$LAST_PID" 2>/dev/null
kernel_bind_7100() { python3 -c 'import socket,sys; socket.socket().bind((sys.argv[1], 7100))' "$HOST_IP"; }
wait_for 1 kernel_bind_7100 || fail "tuple tcp $HOST_IP:7100 not free within a second of kill -9"
start_tcpecho again "$HOST_IP:7100"
client "$HOST_IP" 7100 -n 2 -m 100000 -t 10 || fail "echo on 7100 after kill -9"
ok "a killed app's tuple is free within a second, and a new app serves on it"

# 9. The libevent example: a greeting, then end of stream; asleep when idle.
"$BIN/mstack-tcpevent" -s "$SOCK" "$HOST_IP:7003" > "$WORK/event" 2>&1 &
EVENT_PID=$!
INTEG_PIDS+=("$EVENT_PID")
wait_for 10 grep -q "greeting" "$WORK/event" || fail "mstack-tcpevent did not start: $(cat "$WORK/event")"
hello() {
	peer python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
data = b""
while (b := s.recv(100)):
    data += b
sys.exit(0 if data == b"hello from mstack\n" else f"got {data!r}")' "$@"
}
for i in 1 2 3; do hello "$HOST_IP" 7003 || fail "mstack-tcpevent greeting $i"; done
sleep 1
t0=$(cpu_ticks "$EVENT_PID"); sleep 2; t1=$(cpu_ticks "$EVENT_PID")
[ $((t1 - t0)) -le 2 ] || fail "idle mstack-tcpevent used $((t1 - t0)) ticks in 2 s"
kill -TERM "$EVENT_PID"
wait "$EVENT_PID" || fail "mstack-tcpevent exited with status $? on SIGTERM"
ok "mstack-tcpevent greets from its libevent loop and sleeps when idle"

# 10. Active opens over two queues: each connection's local port is one whose flow hash lands on
# its stack's queue (ms_flow_queue); a wrong port would send the peer's answers to the other
# queue's stack, which resets them. IPv4 and IPv6, against the kernel's echo server in the peer.
SRV=$PEER kernel_echo 7100
"$BIN/test/tcp_connect_app" "$SOCK" 2 "$HOST_IP" "$PEER_IP:7100" 64 100000 > "$WORK/connect4" 2>&1 ||
	fail "active opens over IPv4: $(cat "$WORK/connect4")"
"$BIN/test/tcp_connect_app" "$SOCK" 2 "$HOST_IP6" "[fd00:$ID::2]:7100" 32 100000 > "$WORK/connect6" 2>&1 ||
	fail "active opens over IPv6: $(cat "$WORK/connect6")"
grep -q "^ok 64 connections, .*per queue: 32 32$" "$WORK/connect4" || fail "IPv4: $(cat "$WORK/connect4")"
ok "active opens on two queues: 64 IPv4 and 32 IPv6 connections echoed intact, each on its stack's queue"
# The same with each instance on a thread of its own, asleep on its own queue's wakeup fd
# (MS_HELLO_F_QUEUE_WAKEUP) whenever it has nothing to do.
"$BIN/test/tcp_connect_app" "$SOCK" 2 "$HOST_IP" "$PEER_IP:7100" 64 100000 threads > "$WORK/connect-threads" 2>&1 ||
	fail "active opens on two threads: $(cat "$WORK/connect-threads")"
grep -q "^ok 64 connections, .*per queue: 32 32; sleeps: [1-9][0-9]* [1-9][0-9]*$" "$WORK/connect-threads" ||
	fail "two threads: $(cat "$WORK/connect-threads")"
ok "two instances on two threads, each sleeping on its own queue: $(cat "$WORK/connect-threads")"

# 11. SIGTERM: a clean exit, status 0.
kill -TERM "$ECHO_PID"
wait "$ECHO_PID"
rc=$?
[ $rc -eq 0 ] || fail "mstack-tcpecho exited with status $rc on SIGTERM: $(cat "$WORK/echo")"
ok "SIGTERM stops mstack-tcpecho with status 0"
integ_pass
