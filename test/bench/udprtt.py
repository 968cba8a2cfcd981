#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# udprtt.py - UDP echo round trips, one datagram at a time with a gap between: p50/p99/max in us.
"""Usage: udprtt.py ADDR PORT [COUNT] [GAP_MS]

Sends COUNT (2000) datagrams of 18 bytes to ADDR:PORT, one at a time: send, wait for the echo
(1 s timeout: counted as lost), sleep GAP_MS (5) so that an adaptive mstackd falls asleep
between. Prints one line: count, lost, p50, p99 and max round trip in microseconds.
"""
import socket
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    addr, port = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    gap = (float(sys.argv[4]) if len(sys.argv) > 4 else 5.0) / 1000
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((addr, port))
    rtts, lost = [], 0
    for i in range(count):
        msg = b"rtt %012d" % i
        t0 = time.perf_counter_ns()
        s.send(msg)
        try:
            while s.recv(2048) != msg:  # a late echo of an earlier, lost one
                pass
            rtts.append((time.perf_counter_ns() - t0) / 1000)
        except socket.timeout:
            lost += 1
        time.sleep(gap)
    rtts.sort()
    if not rtts:
        print(f"count {count} lost {lost}")
        return 1
    pick = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))]
    print(f"count {count} lost {lost} p50_us {pick(0.50):.0f} p99_us {pick(0.99):.0f} max_us {rtts[-1]:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
