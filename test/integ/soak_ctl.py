#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""soak_ctl.py - helpers for test_soak.sh: the kill-and-reclaim timer and misbehaving control clients.

  reclaim PID IP PORT        kill -9 PID, then bind udp IP:PORT in the kernel until it succeeds; print the
                             milliseconds from the kill to that bind (exit 1 if not within 5 s)
  misbehave SOCK IP SEED     one round of misbehaving control connections (docs/protocol.md); each must get
                             an error reply or be disconnected, and a well-behaved client must be served
                             throughout; print one line per connection, exit 1 on the first that is not
"""
import os
import random
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sec_ctl import HDR, HELLO, BIND, STATUS, MS_PROTO_VERSION, MS_ABI_MAJOR, ctl_connect, tuple_body  # noqa: E402

EPROTO, EINVAL = 71, 22


def say(*a):
    print(*a, flush=True)


def cmd_reclaim(pid, ip, port):
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    while True:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((ip, port))
            ms = (time.monotonic() - t0) * 1000
            u.close()
            say("%.1f" % ms)
            return 0
        except OSError:
            u.close()
            if time.monotonic() - t0 > 5:
                say("timeout")
                return 1
            time.sleep(0.002)


class Bad(Exception):
    pass


def recv_one(s, timeout=5.0):
    """The next reply's (type, req_id, status), or None once the daemon closed the connection."""
    s.settimeout(timeout)
    try:
        data, fds, _, _ = socket.recv_fds(s, 65536, 4)
    except ConnectionResetError:
        return None
    except socket.timeout:
        raise Bad("no reply and no close within %.0f s" % timeout)
    for fd in fds:
        os.close(fd)
    if not data:
        return None
    if len(data) < HDR.size:
        raise Bad("a reply shorter than the header (%d bytes)" % len(data))
    _, typ, _, req_id, st = HDR.unpack_from(data)
    return typ, req_id, st


def closed(s, timeout=5.0):
    """True if the daemon closes the connection (after any replies) within the timeout."""
    while True:
        r = recv_one(s, timeout)
        if r is None:
            return True
        if r[2] == 0:
            raise Bad("a success reply (type 0x%x) where an error or a close was due" % r[1])


def status(s, req_id):
    s.send(HDR.pack(MS_PROTO_VERSION, STATUS, 0, req_id, 0))
    r = recv_one(s)
    if r is None or r[2] != 0:
        raise Bad("STATUS answered %s" % (r,))


def hello(s, name):
    body = struct.pack("=HHHHI32s", MS_ABI_MAJOR, 0, 1, 0, 64, name.encode())
    s.send(HDR.pack(MS_PROTO_VERSION, HELLO, len(body), 1, 0) + body)
    r = recv_one(s)
    if r is None or r[2] != 0:
        raise Bad("HELLO answered %s" % (r,))


def never_reads(sock, good):
    """Sends STATUS requests for a second and reads nothing: the daemon's replies find the queue full, and it
    must keep serving another client."""
    s = ctl_connect(sock)
    s.setblocking(False)
    sent, blocked, t0 = 0, 0, time.monotonic()
    while time.monotonic() - t0 < 1.0 and sent < 5000:
        try:
            s.send(HDR.pack(MS_PROTO_VERSION, STATUS, 0, 100 + sent, 0))
            sent += 1
        except BlockingIOError:
            blocked += 1
            time.sleep(0.001)
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
        if sent % 250 == 0:
            status(good, 1000 + sent)
    status(good, 999)
    s.close()
    return "sent %d requests in 1 s (pushed back %d times), read nothing; another client served throughout" % (
        sent, blocked)


def half_header(sock, good):
    s = ctl_connect(sock)
    s.send(HDR.pack(MS_PROTO_VERSION, HELLO, 44, 1, 0)[:10])
    if not closed(s):
        raise Bad("not closed")
    return "10 bytes of a header: closed"


def half_body(sock, good):
    """A HELLO header claiming 44 bytes of body with 12 sent: -EPROTO and closed."""
    s = ctl_connect(sock)
    body = struct.pack("=HHHHI32s", MS_ABI_MAJOR, 0, 1, 0, 64, b"half")
    s.send(HDR.pack(MS_PROTO_VERSION, HELLO, len(body), 1, 0) + body[:12])
    r = recv_one(s)
    if r is not None and r[2] != -EPROTO:
        raise Bad("answered %s, not -EPROTO" % (r,))
    if not closed(s):
        raise Bad("not closed")
    s.close()
    return "header claiming 44 bytes, 12 sent: %s, closed" % ("-EPROTO" if r else "no reply")


def half_then_close(sock, good):
    """A header claiming more than sent, and the client closes at once: the daemon must not care."""
    s = ctl_connect(sock)
    s.send(HDR.pack(MS_PROTO_VERSION, BIND, 20, 2, 0) + b"\x11\x02")
    s.close()
    status(good, 3)
    return "header claiming 20 bytes, 2 sent, closed at once: daemon serves on"


def wrong_fds(sock, ip, good):
    """BIND with a pipe, /dev/null, two sockets, none: each refused, the session stays open."""
    s = ctl_connect(sock)
    hello(s, "soak-wrongfd")
    port = random.randint(40000, 60000)
    body = tuple_body(socket.IPPROTO_UDP, ip, port)
    rp, wp = os.pipe()
    null = os.open("/dev/null", os.O_RDWR)
    u1, u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u1.bind((ip, 0))
    u2.bind((ip, 0))
    got = []
    for rid, (what, fds) in enumerate((("pipe", [rp]), ("/dev/null", [null]), ("two sockets", [u1.fileno(), u2.fileno()]),
                                      ("no fd", [])), 10):
        msg = HDR.pack(MS_PROTO_VERSION, BIND, len(body), rid, 0) + body
        socket.send_fds(s, [msg], fds) if fds else s.send(msg)
        r = recv_one(s)
        if r is None:
            raise Bad("BIND with %s: connection closed, not refused" % what)
        if r[1] != rid or r[2] >= 0:
            raise Bad("BIND with %s: answered %s" % (what, r))
        got.append("%s %d" % (what, r[2]))
    status(s, 20)  # still open
    for fd in (rp, wp, null):
        os.close(fd)
    u1.close()
    u2.close()
    s.close()
    return "BIND refused: " + ", ".join(got) + "; session stayed open"


def garbage(sock, good, rng):
    """Random bytes: shorter than a header, or a header-sized random message: -EPROTO or closed."""
    s = ctl_connect(sock)
    n = rng.choice((rng.randint(1, 15), rng.randint(16, 512)))
    data = bytes(rng.getrandbits(8) for _ in range(n))
    if n >= 4 and rng.random() < 0.5:
        data = struct.pack("=H", MS_PROTO_VERSION) + data[2:]  # get past the version check sometimes
    s.send(data)
    if n < HDR.size:
        if not closed(s):
            raise Bad("not closed")
        return "%d random bytes: closed" % n
    r = recv_one(s)
    if r is not None and r[2] >= 0:
        raise Bad("%d random bytes answered %s" % (n, r))
    if r is not None and r[2] != -EPROTO:
        # a well-framed request with a bad field (e.g. a random type that happens to be valid): refused,
        # the connection may stay; ours closes it
        s.close()
        return "%d random bytes: refused %d" % (n, r[2])
    if not closed(s):
        raise Bad("not closed")
    s.close()
    return "%d random bytes: %s, closed" % (n, "-EPROTO" if r else "no reply")


def cmd_misbehave(sock, ip, seed):
    rng = random.Random(seed)
    random.seed(seed)
    good = ctl_connect(sock)
    status(good, 1)
    cases = [("never-reads", lambda: never_reads(sock, good)),
             ("half-header", lambda: half_header(sock, good)),
             ("half-body", lambda: half_body(sock, good)),
             ("half-then-close", lambda: half_then_close(sock, good)),
             ("wrong-fds", lambda: wrong_fds(sock, ip, good))]
    cases += [("garbage", lambda: garbage(sock, good, rng))] * 3
    for name, fn in cases:
        try:
            say("%s: %s" % (name, fn()))
            status(good, 2)
        except (Bad, OSError) as e:
            say("FAIL %s: %s" % (name, e))
            return 1
    good.close()
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "reclaim":
        return cmd_reclaim(int(args[0]), args[1], int(args[2]))
    if cmd == "misbehave":
        return cmd_misbehave(args[0], args[1], int(args[2]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
