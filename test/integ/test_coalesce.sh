#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_coalesce.sh - [datapath] coalesce_us: after a loop with no full burst an adaptive worker naps
# for the time set, on a timer; a moderate stream loses nothing, and an echo or a ping after an
# idle period is still answered at once. coalesce_us = 0 never naps. (What the naps save in CPU
# is measured by the benchmark, part 4: on a shared machine a preempted worker batches as well.)
source "$(dirname "$0")/lib.sh"

NAP_US=200
COUNT=20000

# stream PORT: COUNT datagrams from the peer to the echo app, in chunks of 50 sent as fast as
# Python sends them, 1 ms apart (about 40 kpps: a chunk fits the NIC's ring even when a nap
# overruns by milliseconds on a busy machine); prints how many echoes came back
stream() {
	peer python3 -c '
import socket, sys, time
ip, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root): room for every echo
s.connect((ip, port))
got = 0
for i in range(0, count, 50):
    for _ in range(50):
        s.send(b"coalesce")
    time.sleep(0.001)
    s.setblocking(False)
    try:
        while True:
            s.recv(64); got += 1
    except BlockingIOError:
        pass
    s.setblocking(True)
s.settimeout(1)
try:
    while got < count:
        s.recv(64); got += 1
except socket.timeout:
    pass
print(got)' "$HOST_IP" "$1" "$COUNT"
}

# delta NAME: counter NAME minus its value saved by mark
declare -A MARK
mark() { local k; for k in dp.packets dp.busy_loops dp.naps dp.napped_us; do MARK[$k]=$(counter "$k"); done; }
delta() { echo $(( $(counter "$1") - MARK[$1] )); }

integ_start "[datapath]" "idle = adaptive" "coalesce_us = $NAP_US"
grep -q "naps $NAP_US us after a partial burst" "$DLOG" || fail "the log does not say that the worker naps"
start_echo 7000
udp_roundtrip "$HOST_IP" 7000 warm > /dev/null || fail "no echo before the stream"

mark
got=$(stream 7000) || fail "the stream failed"
[ "$got" -ge $(( COUNT * 99 / 100 )) ] || fail "only $got of $COUNT echoes came back"
packets=$(delta dp.packets) loops=$(delta dp.busy_loops) naps=$(delta dp.naps) slept=$(delta dp.napped_us)
[ "$naps" -gt 0 ] || fail "the worker never napped during a stream of partial bursts"
# A nap is a timer of NAP_US: it never ends early, and it ends (a stuck timer would stall the daemon).
[ $(( slept / naps )) -ge $(( NAP_US * 9 / 10 )) ] || fail "naps averaged $(( slept / naps )) us, set to $NAP_US"
[ $(( slept / naps )) -lt 50000 ] || fail "naps averaged $(( slept / naps )) us, set to $NAP_US"
ok "coalesce_us = $NAP_US: $got of $COUNT echoes, $naps naps of $(( slept / naps )) us, $(( packets / loops )) frames per busy loop"

sleep 1
ms=$(peer python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
t = time.monotonic()
s.sendto(b"after", (sys.argv[1], 7000))
assert s.recv(64) == b"after"
print(int((time.monotonic() - t) * 1000))' "$HOST_IP") || fail "the echo after the idle period went unanswered"
[ "$ms" -lt 100 ] || fail "the echo after the idle period took $ms ms"
peer ping -c 1 -W 1 "$HOST_IP" > /dev/null || fail "ping (the kernel, through the TAP) after the idle period went unanswered"
ok "after an idle second: UDP echo answered in $ms ms, ping answered"

# Off: the same stream, no nap.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "mstackd did not stop cleanly"
DAEMON_PID=
sed -i "s/^coalesce_us = $NAP_US\$/coalesce_us = 0/" "$CONF"
: > "$DLOG"
daemon_start
start_echo 7001
udp_roundtrip "$HOST_IP" 7001 warm > /dev/null || fail "coalesce_us = 0: no echo"
mark
got=$(stream 7001) || fail "the stream failed"
[ "$got" -ge $(( COUNT * 99 / 100 )) ] || fail "coalesce_us = 0: only $got of $COUNT echoes came back"
[ "$(counter dp.naps)" -eq 0 ] || fail "coalesce_us = 0: the worker napped"
ok "coalesce_us = 0: $got of $COUNT echoes, no nap, $(( $(delta dp.packets) / $(delta dp.busy_loops) )) frames per busy loop"
integ_pass
