#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tcp_client.py - the kernel's TCP as an echo client: N connections, M bytes each, checked by hash.
"""Open N connections to an echo server, send M bytes on each, read them back and
compare SHA-256 digests of what went out and what came back. One process, one
selector (epoll), non-blocking sockets: 10 000 connections cost no threads.

Modes:
  echo        send, read back M bytes, close (default)
  halfclose   send, shutdown(SHUT_WR) at once, read until end of stream: all M bytes
              must come back after our FIN, then the server's FIN
  rst         send, then abort with SO_LINGER 0 (the kernel sends RST) without reading

With --hold, no connection sends a byte until all N are established, so all N are
open at the same time (the concurrency test). With --stall S, a connection reads
nothing for its first S seconds: flow control must hold its sender (--stall-max:
the most it may have sent by then), and then every byte must still come back. Prints one line:
  tcp_client: mode=echo conns=N ok=N failed=0 bytes=... seconds=... mbit/s=...
and exits 0 only when every connection did what its mode expects.
"""
import argparse
import errno
import hashlib
import random
import resource
import selectors
import socket
import struct
import sys
import time

BLOCK = 1 << 20  # the payload source: M bytes taken cyclically from a seeded random block


class Conn:
    __slots__ = ("sock", "idx", "state", "sent", "rcvd", "h_out", "h_in", "eof", "err", "stall_end")

    def __init__(self, sock, idx):
        self.sock, self.idx = sock, idx
        self.state = "connecting"
        self.sent = self.rcvd = 0
        self.h_out, self.h_in = hashlib.sha256(), hashlib.sha256()
        self.eof = False
        self.err = None
        self.stall_end = 0.0


def payload(block, idx, off, n):
    """n bytes of connection idx's stream from offset off: a different phase per connection."""
    start = (idx * 7919 + off) % BLOCK
    n = min(n, BLOCK - start, 65536)
    return block[start:start + n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("-n", "--conns", type=int, default=1)
    ap.add_argument("-m", "--bytes", type=int, default=1000)
    ap.add_argument("--mode", choices=("echo", "halfclose", "rst"), default="echo")
    ap.add_argument("--hold", action="store_true", help="send only once all connections are up")
    ap.add_argument("--pending", type=int, default=256, help="connects in flight at once")
    ap.add_argument("-t", "--timeout", type=float, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mss", type=int, help="MSS to announce in our SYNs (TCP_MAXSEG)")
    ap.add_argument("--stall", type=float, default=0, help="seconds without reading at the start")
    ap.add_argument("--stall-max", type=int, default=0, help="bytes the stalled sender may have sent")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.conns + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.conns + 1024), hard))
    block = random.Random(a.seed).randbytes(BLOCK)
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    sel = selectors.DefaultSelector()
    conns, next_idx, connecting, established = [], 0, 0, 0
    ok = failed = 0
    t_start = time.monotonic()
    deadline = t_start + a.timeout

    def finish(c, good, why=None):
        nonlocal ok, failed
        if c.state == "done":
            return
        if c.state != "connecting":
            sel.unregister(c.sock)
        else:
            try:
                sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
        c.sock.close()
        c.state = "done"
        if good:
            ok += 1
        else:
            failed += 1
            c.err = why
            if failed <= 5:
                print(f"tcp_client: conn {c.idx}: {why}", file=sys.stderr)

    def start_more():
        nonlocal next_idx, connecting
        while next_idx < a.conns and connecting < a.pending:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setblocking(False)
            if a.mss:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, a.mss)
            c = Conn(s, next_idx)
            next_idx += 1
            conns.append(c)
            err = s.connect_ex((a.host, a.port))
            if err not in (0, errno.EINPROGRESS):
                finish(c, False, f"connect: {errno.errorcode.get(err, err)}")
                continue
            connecting += 1
            sel.register(s, selectors.EVENT_WRITE, c)

    def want(c):
        ev = 0
        if c.state == "sending" and c.sent < a.bytes:
            ev |= selectors.EVENT_WRITE
        if c.state == "sending" and a.mode != "rst" and time.monotonic() >= c.stall_end:
            ev |= selectors.EVENT_READ
        return ev

    def go(c):
        """Established (and released by --hold): start sending."""
        c.state = "sending"
        if a.stall:
            c.stall_end = time.monotonic() + a.stall
            stalled.append(c)
        if a.bytes == 0:
            after_sent(c)
        if c.state != "done":
            sel.modify(c.sock, want(c) or selectors.EVENT_READ, c)

    def after_sent(c):
        if a.mode == "halfclose":
            c.sock.shutdown(socket.SHUT_WR)
        elif a.mode == "rst":
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            finish(c, True)

    held, stalled = [], []
    start_more()
    while ok + failed < a.conns:
        now = time.monotonic()
        if now > deadline:
            for c in conns:
                if c.state != "done":
                    finish(c, False, f"timeout in state {c.state}: sent {c.sent} received {c.rcvd}")
            break
        events = sel.select(min(0.2 if stalled else 1.0, deadline - now))
        for key, mask in events:
            c = key.data
            if c.state == "done":
                continue
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                connecting -= 1
                if err:
                    finish(c, False, f"connect: {errno.errorcode.get(err, err)}")
                    continue
                established += 1
                if a.hold:
                    c.state = "held"
                    sel.modify(c.sock, selectors.EVENT_READ, c)  # a reset while held shows here
                    held.append(c)
                else:
                    go(c)
                continue
            if c.state == "held":
                finish(c, False, "closed or reset before all connections were up")
                continue
            if mask & selectors.EVENT_WRITE and c.sent < a.bytes:
                try:
                    n = c.sock.send(payload(block, c.idx, c.sent, a.bytes - c.sent))
                except BlockingIOError:
                    n = 0
                except OSError as e:
                    finish(c, False, f"send: {e}")
                    continue
                c.h_out.update(payload(block, c.idx, c.sent, n))
                c.sent += n
                if c.sent == a.bytes:
                    after_sent(c)
                    if c.state == "done":
                        continue
            if mask & selectors.EVENT_READ:
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    data = None
                except OSError as e:
                    finish(c, False, f"recv: {e}")
                    continue
                if data == b"":
                    c.eof = True
                elif data:
                    c.h_in.update(data)
                    c.rcvd += len(data)
                if c.rcvd > a.bytes:
                    finish(c, False, f"received {c.rcvd} bytes, more than the {a.bytes} sent")
                    continue
            done_reading = c.rcvd == a.bytes and (a.mode == "echo" or c.eof)
            if c.sent == a.bytes and done_reading:
                if c.h_in.digest() == c.h_out.digest():
                    finish(c, True)
                else:
                    finish(c, False, f"hash mismatch after {c.rcvd} bytes")
                continue
            if c.eof:
                finish(c, False, f"end of stream after {c.rcvd} of {a.bytes} bytes")
                continue
            if c.state != "done":
                sel.modify(c.sock, want(c) or selectors.EVENT_READ, c)
        for c in [c for c in stalled if time.monotonic() >= c.stall_end]:
            stalled.remove(c)
            if c.state == "done":
                continue
            if a.stall_max and c.sent > a.stall_max:
                finish(c, False, f"sent {c.sent} bytes without the peer reading: no flow control")
                continue
            print(f"tcp_client: conn {c.idx}: held after {c.sent} bytes without reading")
            sel.modify(c.sock, want(c) or selectors.EVENT_READ, c)
        start_more()
        if a.hold and established + failed == a.conns and held:
            for c in held:
                if c.state == "held":
                    go(c)
            held = []

    secs = time.monotonic() - t_start
    total = sum(c.rcvd for c in conns) if a.mode != "rst" else sum(c.sent for c in conns)
    print(f"tcp_client: mode={a.mode} conns={a.conns} ok={ok} failed={failed} bytes={total} "
          f"seconds={secs:.2f} mbit/s={total * 8 / 1e6 / max(secs, 1e-6):.1f}")
    sys.exit(0 if ok == a.conns else 1)


if __name__ == "__main__":
    main()
