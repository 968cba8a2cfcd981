#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""sec_ctl.py - hostile and victim control-channel clients for test_sec_ctl.sh.

Speaks the control protocol (include/mstack/ms_proto.h, docs/protocol.md) directly, so that a test
can pass the daemon whatever descriptor it likes:
  fuse MNT SOCK              a FUSE file whose FLUSH from anyone else is never answered, passed with STATUS
  linger SOCK IP when        a TCP reservation lingering on unsent data: `when` is "at-bind" (connected
                             before BIND), "after-bind" (connected after BIND, then UNBIND) or
                             "in-flight" (sent with a STATUS behind a malformed message that ends the
                             session, so that it is still queued when the daemon closes the session)
  hold-udp PORT DEV          a kernel UDP service on PORT bound to DEV (SO_BINDTODEVICE)
  bind-dev SOCK PORT DEV     BIND udp *:PORT with a socket bound to DEV; exit 0 if the daemon accepted
  victim SOCK IP FIFO        attach, then run "bind PORT" (udp IP:PORT) lines read from FIFO, printing each status
  flood SOCK N               open N idle control connections and hold them
  hello-abi SOCK MAJOR       attach as a client of ring ABI MAJOR, printing the status
Each prints what happened on stdout, one line per step, and waits to be killed when it holds something.
"""
import ctypes
import errno
import os
import signal
import socket
import struct
import sys
import threading
import time

MS_PROTO_VERSION = 2
MS_ABI_MAJOR = 2
HELLO, BIND, UNBIND, STATUS = 1, 2, 3, 5
REPLY = 0x8000
HDR = struct.Struct("=HHIIi")  # version, type, len, req_id, status


def say(*a):
    print(*a, flush=True)


def ctl_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s


def request(s, typ, body=b"", fds=(), req_id=1, timeout=5.0):
    """Send one request (with fds); return the reply's status, or None if none came in time."""
    msg = HDR.pack(MS_PROTO_VERSION, typ, len(body), req_id, 0) + body
    socket.send_fds(s, [msg], list(fds)) if fds else s.send(msg)
    return reply(s, timeout)


def reply(s, timeout=5.0):
    s.settimeout(timeout)
    try:
        data, fds, _, _ = socket.recv_fds(s, 65536, 4)
    except (socket.timeout, ConnectionResetError):
        return None
    for fd in fds:
        os.close(fd)
    if len(data) < HDR.size:
        return None  # the daemon closed the session
    return HDR.unpack_from(data)[4]


def hello(s, name):
    body = struct.pack("=HHHHI32s", MS_ABI_MAJOR, 0, 1, 0, 64, name.encode())
    st = request(s, HELLO, body)
    if st != 0:
        sys.exit("hello: status %s" % st)


def tuple_body(proto, addr, port):
    fam = socket.AF_INET
    return struct.pack("=BBH16s", proto, fam, port, socket.inet_aton(addr))


# --- FUSE: just enough of the kernel protocol (linux/fuse.h) to open one file ---------------------
FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_OPEN, FUSE_RELEASE, FUSE_FLUSH, FUSE_INIT = 1, 2, 3, 14, 18, 25, 26
FUSE_INTERRUPT, FUSE_DESTROY, FUSE_BATCH_FORGET = 36, 38, 42
IN_HDR = struct.Struct("=IIQQIIIHH")  # len, opcode, unique, nodeid, uid, gid, pid, total_extlen, pad
OUT_HDR = struct.Struct("=IiQ")


def fuse_attr(ino, mode, size):
    # ino size blocks atime mtime ctime atimensec mtimensec ctimensec mode nlink uid gid rdev blksize flags
    return struct.pack("=QQQQQQIIIIIIIIII", ino, size, 0, 0, 0, 0, 0, 0, 0, mode, 1, 0, 0, 0, 4096, 0)


def fuse_serve(dev, flushes):
    """Answer what opening and closing one file takes; FLUSH only from our own pid."""
    me = os.getpid()
    while True:
        try:
            req = os.read(dev, 1 << 17)
        except OSError as e:
            if e.errno in (errno.EINTR, errno.ENOENT, errno.EAGAIN):
                continue
            return  # ENODEV: unmounted or aborted
        ln, op, unique, node, _, _, pid, _, _ = IN_HDR.unpack_from(req)
        out, err = b"", 0
        if op == FUSE_INIT:
            out = struct.pack("=IIIIHHIIHHII", 7, 26, 0, 0, 16, 12, 4096, 1, 0, 0, 0, 0) + bytes(24)  # 64 bytes
        elif op == FUSE_LOOKUP:
            if req[IN_HDR.size:].rstrip(b"\0") != b"f":
                err = -errno.ENOENT
            else:
                out = struct.pack("=QQQQII", 2, 0, 3600, 3600, 0, 0) + fuse_attr(2, 0o100644, 0)
        elif op == FUSE_GETATTR:
            attr = fuse_attr(1, 0o40755, 0) if node == 1 else fuse_attr(2, 0o100644, 0)
            out = struct.pack("=QII", 3600, 0, 0) + attr
        elif op == FUSE_OPEN:
            out = struct.pack("=QIi", 1, 0, 0)
        elif op == FUSE_FLUSH:
            if pid != me:
                flushes.append(pid)
                say("flush from pid %d held" % pid)
                continue  # never answered: whoever closes the file waits, uninterruptibly
        elif op in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT):
            continue  # no reply expected (INTERRUPT: none given, the FLUSH stays pending)
        elif op == FUSE_RELEASE:
            pass
        else:
            err = -errno.ENOSYS
        try:
            os.write(dev, OUT_HDR.pack(OUT_HDR.size + len(out), err, unique) + out)
        except OSError:
            pass


def cmd_fuse(mnt, sock):
    libc = ctypes.CDLL(None, use_errno=True)
    dev = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    opts = "fd=%d,rootmode=40000,user_id=0,group_id=0" % dev
    if libc.mount(b"mstack-sec-ctl", mnt.encode(), b"fuse", 0x6, opts.encode()) != 0:  # nosuid,nodev
        sys.exit("mount: %s" % os.strerror(ctypes.get_errno()))
    flushes = []
    threading.Thread(target=fuse_serve, args=(dev, flushes), daemon=True).start()
    f = os.open(os.path.join(mnt, "f"), os.O_RDONLY)
    s = ctl_connect(sock)
    msg = HDR.pack(MS_PROTO_VERSION, STATUS, 0, 7, 0)
    socket.send_fds(s, [msg], [f])
    os.close(f)  # our own close: FLUSH from our pid, answered
    say("passed a FUSE file with STATUS")
    st = reply(s, 3.0)
    say("status reply %s" % ("none" if st is None else st))
    while True:
        time.sleep(3600)


def lingering_socket(ip, lst, bind_first=None):
    """A TCP socket connected to lst, its send queue full of data lst never reads, SO_LINGER 20 s."""
    t = bind_first or socket.socket()
    t.connect(lst.getsockname())
    t.setblocking(False)
    sent = 0
    try:
        while True:
            sent += t.send(b"x" * 65536)
    except BlockingIOError:
        pass
    t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 20))
    say("connected, %d bytes queued, linger 20 s" % sent)
    return t


def in_flight(sock, ip, lst):
    """Leave a lingering socket queued, unread, on a session the daemon is about to close.

    The daemon must not read the session until all of it is queued: with MSTACKD_PID set, it is
    stopped (SIGSTOP) while the client connects and sends, so that the order is certain; else
    the client races it and tries again when the daemon closed the session first.
    """
    pid = int(os.environ.get("MSTACKD_PID", "0"))
    for attempt in range(20):
        t = lingering_socket(ip, lst)
        s = None
        if pid:
            os.kill(pid, signal.SIGSTOP)
        try:
            s = ctl_connect(sock)  # queued in the listen backlog: nobody accepts until SIGCONT
            s.send(HDR.pack(MS_PROTO_VERSION, HELLO, 44, 1, 0) +
                   struct.pack("=HHHHI32s", MS_ABI_MAJOR, 0, 4, 0, 4096, b"in-flight"))
            s.send(b"\xff" * 16)  # malformed: the daemon answers and closes the session
            s.send(b"")  # an empty message: the end of the queue, or not?
            socket.send_fds(s, [HDR.pack(MS_PROTO_VERSION, STATUS, 0, 9, 0)], [t.fileno()])
        except OSError as e:  # the daemon closed the session first: try again
            say("attempt %d: %s" % (attempt + 1, e))
            t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            t.close()
            if s:
                s.close()
            continue
        finally:
            if pid:
                os.kill(pid, signal.SIGCONT)
        t.close()  # the copy in flight is the last one
        say("queued behind a malformed message (attempt %d)" % (attempt + 1))
        return s
    sys.exit("the daemon always closed the session before the third message")


def cmd_linger(sock, ip, when):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lst.bind((ip, 0))
    lst.listen(64)  # never accepts, never reads: the data stays unsent at the sender
    if when == "in-flight":
        s = in_flight(sock, ip, lst)
        while True:
            time.sleep(3600)
    t = socket.socket()
    t.bind((ip, 0))
    port = t.getsockname()[1]
    s = ctl_connect(sock)
    hello(s, "linger")
    if when == "at-bind":
        t = lingering_socket(ip, lst, t)
    msg = HDR.pack(MS_PROTO_VERSION, BIND, 20, 2, 0) + tuple_body(socket.IPPROTO_TCP, ip, port)
    socket.send_fds(s, [msg], [t.fileno()])
    if when == "at-bind":
        t.close()  # the daemon's copy is now the last: closing it lingers
    st = reply(s)
    say("bind status %s" % st)
    if st == 0:
        if when == "after-bind":
            t = lingering_socket(ip, lst, t)  # through our copy of the very socket the daemon holds
            t.close()
        msg = HDR.pack(MS_PROTO_VERSION, UNBIND, 20, 3, 0) + tuple_body(socket.IPPROTO_TCP, ip, port)
        s.send(msg)
        say("unbind sent")
        st = reply(s, 30.0)
        say("unbind status %s" % st)
    while True:
        time.sleep(3600)


def udp_on_dev(dev, port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    u.bind(("0.0.0.0", port))
    return u


def cmd_hold_udp(port, dev):
    u = udp_on_dev(dev, port)
    say("holding udp *:%d on %s" % (port, dev))
    while True:
        time.sleep(3600)


def cmd_bind_dev(sock, port, dev):
    u = udp_on_dev(dev, port)
    s = ctl_connect(sock)
    hello(s, "bind-dev")
    st = request(s, BIND, tuple_body(socket.IPPROTO_UDP, "0.0.0.0", port), [u.fileno()])
    say("bind udp *:%d on %s: status %s" % (port, dev, st))
    sys.exit(0 if st == 0 else 1)


def cmd_victim(sock, ip, fifo):
    s = ctl_connect(sock)
    hello(s, "victim")
    say("attached")
    held, req = [], 10
    with open(fifo) as cmds:
        while True:
            w = cmds.readline().split()
            if len(w) == 2 and w[0] == "bind":
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.bind((ip, int(w[1])))
                req += 1
                st = request(s, BIND, tuple_body(socket.IPPROTO_UDP, ip, int(w[1])), [u.fileno()], req)
                if st == 0:
                    held.append(u)  # the app's own copy of its reservation
                else:
                    u.close()
                say("bind %s status %s" % (w[1], "none" if st is None else st))


def cmd_flood(sock, n):
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
    conns, stuck_since = [], None
    while len(conns) < n:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.setblocking(False)
        try:
            c.connect(sock)
        except BlockingIOError:  # the backlog is full: the daemon is busy, or accepts no more
            c.close()
            stuck_since = stuck_since or time.monotonic()
            if time.monotonic() - stuck_since > 2:
                break
            time.sleep(0.01)
            continue
        stuck_since = None
        conns.append(c)
    say("opened %d idle connections" % len(conns))
    while True:
        time.sleep(3600)


def cmd_hello_abi(sock, major):
    """HELLO from a client built for another ring layout: the daemon must refuse it (-EPROTO)."""
    s = ctl_connect(sock)
    body = struct.pack("=HHHHI32s", major, 0, 1, 0, 64, b"abi-%d" % major)
    say("hello abi %d: status %s" % (major, request(s, HELLO, body)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "fuse":
        cmd_fuse(*args)
    elif cmd == "linger":
        cmd_linger(*args)
    elif cmd == "hold-udp":
        cmd_hold_udp(int(args[0]), args[1])
    elif cmd == "bind-dev":
        cmd_bind_dev(args[0], int(args[1]), args[2])
    elif cmd == "victim":
        cmd_victim(*args)
    elif cmd == "flood":
        cmd_flood(args[0], int(args[1]))
    elif cmd == "hello-abi":
        cmd_hello_abi(args[0], int(args[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
