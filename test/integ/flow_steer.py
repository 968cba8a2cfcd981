# SPDX-License-Identifier: BSD-2-Clause
# flow_steer.py - from the peer: N UDP flows (one source port each) to HOST:PORT, print each reply (flow_app's "q=Q predicted=P").
import socket
import sys

host, port, nflows, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(nflows):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", first + i))
    s.settimeout(1)
    for _ in range(3):
        s.sendto(b"which queue?", (host, port))
        try:
            print(s.recv(256).decode())
            break
        except socket.timeout:
            pass
    else:
        sys.exit("no reply to source port %d" % (first + i))
