#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# httpd_clients.py - the HTTP clients test_httpd.sh needs that curl, ab and wrk are not: raw bytes,
# pipelining, slowloris, clients that never read, and many connections at once.
import errno
import resource
import selectors
import socket
import sys
import time


def conn(host, port, timeout=5.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def read_all(s):
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def parse_responses(data, methods=()):
    """Split a byte stream into (status, headers, body) by Content-Length (none after HEAD)."""
    out = []
    while data:
        head_only = len(methods) > len(out) and methods[len(out)] == "HEAD"
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise SystemExit("truncated head: %r" % data[:200])
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            hdrs[k.strip().lower().decode()] = v.strip().decode()
        n = 0 if head_only else int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        data = rest[n:]
    return out


def cmd_raw(host, port, payload):
    """Send the bytes (Python escapes allowed), print every response's status, one per line."""
    s = conn(host, port)
    s.sendall(payload.encode().decode("unicode_escape").encode("latin-1"))
    data = read_all(s)
    for st, h, body in parse_responses(data):
        print(st, h.get("connection", "-"), len(body))


def cmd_pipeline(host, port, *paths):
    """All requests in one write; the last one closes. Print status and body length of each, in order."""
    reqs = b""
    methods = []
    for i, p in enumerate(paths):
        method, _, path = p.partition(" ") if " " in p else ("GET", "", p)
        methods.append(method)
        close = b"Connection: close\r\n" if i == len(paths) - 1 else b""
        reqs += b"%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (method.encode(), path.encode(), close)
    s = conn(host, port)
    s.sendall(reqs)
    for st, h, body in parse_responses(read_all(s), methods):
        print(st, h.get("content-length"), len(body))


def cmd_slowloris(host, port, n, secs):
    """n connections trickling an endless head; print how many the server closed within secs."""
    n, secs = int(n), float(secs)
    socks = [conn(host, port) for _ in range(n)]
    for s in socks:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
        s.setblocking(False)
    closed = set()
    end = time.time() + secs
    while time.time() < end and len(closed) < n:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                s.send(b"X-a: b\r\n")
                if s.recv(1) == b"":
                    closed.add(i)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.3)
    print(len(closed))


def cmd_nonreaders(host, port, n, path, secs):
    """n connections asking for a large file over and over and never reading; hold them secs."""
    socks = [conn(host, port) for _ in range(int(n))]
    req = b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode()
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        try:
            for _ in range(50):
                s.send(req)
        except BlockingIOError:
            pass
    time.sleep(float(secs))
    # Then look for the resets for up to 5 s more: a reset reaches us when the server's stack sends it.
    dead = set()
    end = time.time() + 5
    while len(dead) < len(socks) and time.time() < end:
        for i, s in enumerate(socks):
            if i in dead:
                continue
            try:
                s.send(req)
            except BlockingIOError:
                pass
            except OSError:
                dead.add(i)
        time.sleep(0.2)
    print(len(dead))


def count(why, what):
    why[what] = why.get(what, 0) + 1


def cmd_many(host, port, n, path, pidfile=""):
    """n connections open at once, one request on each; print the 200s. Holds them all open.

    Each request goes out as soon as its own connect completes, as a browser's does: the server
    closes a connection that sends nothing within its header deadline (slowloris), and waiting for
    all n connects first can take longer than that on a loaded machine (a SYN retransmitted after
    1 s, a starved client). The first line is the number of 200s; when it falls short, a second
    line (stderr) says what the others got: connect errors, send errors, resets, empty reads
    (the server closed first), other status lines, no answer."""
    n = int(n)
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sel = selectors.DefaultSelector()
    req = b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode()
    socks = []  # all of them stay open until the caller is done
    why = {}
    bufs = {}  # connections whose request is out, waiting for the answer's head
    state = {"ok": 0, "done": 0}  # 200s; connections finished (answered or failed)

    def finish(s, what=None):
        if what:
            count(why, what)
        sel.unregister(s)
        bufs.pop(s, None)
        state["done"] += 1

    def serve(timeout):
        for key, _ in sel.select(timeout):
            s = key.fileobj
            if s not in bufs:
                # The connect completed: send the request now.
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    finish(s, "connect " + errno.errorcode.get(err, str(err)))
                    continue
                try:
                    s.send(req)
                except OSError as e:
                    finish(s, "send " + errno.errorcode.get(e.errno, str(e.errno)))
                    continue
                bufs[s] = b""
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                b = s.recv(65536)
            except OSError as e:
                finish(s, "recv " + errno.errorcode.get(e.errno, str(e.errno)))
                continue
            bufs[s] += b
            if b and b"\r\n\r\n" not in bufs[s]:
                continue
            if bufs[s].startswith(b"HTTP/1.1 200 "):
                state["ok"] += 1
                finish(s)
            else:
                finish(s, bufs[s].split(b"\r\n")[0].decode("latin-1") if bufs[s] else "empty read")

    start = time.time()
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        sel.register(s, selectors.EVENT_WRITE)
        socks.append(s)
        if i % 100 == 99:
            serve(0)  # the first connects complete while the last are being opened
    end = time.time() + 35
    while state["done"] < n and time.time() < end:
        serve(1)
    ok, pending = state["ok"], n - state["done"]
    if pending:
        why["no connect or no answer in 35 s"] = pending
    print(ok, flush=True)
    if why:
        print("not 200: %s (%.1f s)" % (", ".join("%s %d" % kv for kv in sorted(why.items())), time.time() - start),
              file=sys.stderr, flush=True)
    if pidfile:
        # All still open: the caller measures the server now, then removes the file.
        open(pidfile, "w").write("open\n")
        while True:
            try:
                open(pidfile).close()
            except FileNotFoundError:
                break
            time.sleep(0.2)


if __name__ == "__main__":
    cmds = {"raw": cmd_raw, "pipeline": cmd_pipeline, "slowloris": cmd_slowloris,
            "nonreaders": cmd_nonreaders, "many": cmd_many}
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cmds[cmd](host, port, *sys.argv[4:])
