#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# tcp_scapy.py - packet-level TCP checks from the peer: SYN-ACK options, SYN cookies, challenge ACK, SACK, RTO backoff.
"""Usage: tcp_scapy.py IFACE HOST_MAC HOST4 FAKE4 HOST6 FAKE6 PORT FLOOD_PORT FLOOD_BACKLOG

Segments are crafted with scapy from addresses the peer's kernel does not own
(FAKE4, FAKE6: the host has static neighbour entries for them pointing at
IFACE), so that the kernel neither answers the server's segments with RSTs nor
interferes with the handshakes we drive by hand. PORT is an echo server;
FLOOD_PORT is an echo server whose SYN backlog is FLOOD_BACKLOG.
"""
import random
import select
import socket
import sys
import time

from scapy.all import IP, TCP, Ether, IPv6, Raw, conf  # noqa: E402

conf.verb = 0


class Wire:
    """One raw socket on the peer's interface: send IP/TCP to the host, receive its answers."""

    def __init__(self, iface, host_mac):
        self.sock = conf.L2socket(iface=iface)
        self.host_mac = host_mac

    def send(self, ip, tcp):
        self.sock.send(Ether(dst=self.host_mac) / ip / tcp)

    def recv(self, match, timeout=2.0):
        """The first TCP segment for which match(ip, tcp) is true, or None after timeout."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                break
            p = self.sock.recv()
            if p is None or TCP not in p:
                continue
            ip = p[IP] if IP in p else (p[IPv6] if IPv6 in p else None)
            if ip is not None and match(ip, p[TCP]):
                return ip, p[TCP]
        return None

    def recv_all(self, match, timeout):
        out = []
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            got = self.recv(match, left)
            if got is None:
                break
            out.append(got)
        return out


def fail(msg):
    print(f"FAIL: tcp_scapy: {msg}", file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print(f"ok: {msg}")


def options(tcp):
    return {k: v for k, v in tcp.options}


class Flow:
    """A connection we drive by hand from (src, sport) to (dst, dport)."""

    def __init__(self, wire, src, dst, dport, sport=None):
        self.w, self.src, self.dst, self.dport = wire, src, dst, dport
        self.sport = sport or random.randint(20000, 60000)
        self.iss = random.randint(0, 2**32 - 1)
        self.snd_nxt = self.iss
        self.rcv_nxt = None
        self.v6 = ":" in dst

    def ip(self):
        return IPv6(src=self.src, dst=self.dst) if self.v6 else IP(src=self.src, dst=self.dst)

    def mine(self, ip, tcp):
        return ip.src == self.dst and tcp.sport == self.dport and tcp.dport == self.sport

    def send(self, flags, payload=b"", seq=None, ack=None, opts=None):
        t = TCP(sport=self.sport, dport=self.dport, flags=flags,
                seq=self.snd_nxt if seq is None else seq,
                ack=(self.rcv_nxt or 0) if ack is None else ack, window=65535, options=opts or [])
        self.w.send(self.ip(), t / Raw(payload) if payload else t)

    def syn(self, opts):
        self.send("S", opts=opts, ack=0)
        got = self.w.recv(lambda ip, t: self.mine(ip, t) and t.flags.S and t.flags.A)
        if got is None:
            fail(f"no SYN-ACK from {self.dst}:{self.dport}")
        synack = got[1]
        if synack.ack != (self.iss + 1) % 2**32:
            fail(f"SYN-ACK acknowledges {synack.ack}, not ISS+1 {self.iss + 1}")
        self.snd_nxt = (self.iss + 1) % 2**32
        self.rcv_nxt = (synack.seq + 1) % 2**32
        return synack

    def connect(self, opts):
        synack = self.syn(opts)
        self.send("A")
        return synack

    def exchange(self, data, timeout=2.0):
        """Send data, return what the echo sends back (ACKing it), b"" if nothing within timeout."""
        self.send("PA", data)
        self.snd_nxt = (self.snd_nxt + len(data)) % 2**32
        got = b""
        end = time.monotonic() + timeout
        while len(got) < len(data) and time.monotonic() < end:
            r = self.w.recv(lambda ip, t: self.mine(ip, t) and len(bytes(t.payload)) > 0
                            and t.seq == self.rcv_nxt, end - time.monotonic())
            if r is None:
                break
            chunk = bytes(r[1].payload)
            got += chunk
            self.rcv_nxt = (self.rcv_nxt + len(chunk)) % 2**32
            self.send("A")
        return got

    def reset(self):
        self.send("R", ack=0)


FULL = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None), ("WScale", 7)]
MSS_ONLY = [("MSS", 1460)]
SACK_OK = [("MSS", 1460), ("SAckOK", b"")]
# Longest wait for an ACK that must come at once: the delayed ACK is 40 ms in mstack and in
# Linux (which also ACKs out-of-order data at once); the rest is scapy's latency on a busy host.
ACK_AT_ONCE = 0.035
# RTO backoff: 3 retransmissions (1 + 2 + 4 RTOs, at most 7 s with the 1 s initial RTO), each
# interval at least 1.6 x the one before (timer granularity and scheduling jitter). The first
# is the RTO: [200 ms minimum, 1 s initial] plus slack, or near the minimum after an RTT sample.
RTO_RETRANSMITS = 3
RTO_WATCH = 12.0
RTO_FIRST_MIN = 0.18
RTO_FIRST_MAX = 1.5
RTO_FIRST_MAX_SAMPLED = 0.6
BACKOFF_MIN = 1.6


def check_synack_options(w, src, dst, port):
    """RFC 9293 3.7.1 (MSS), RFC 2018 (SACK-permitted), RFC 7323 2.2 and 3.2 (window scale and
    timestamps: in a SYN-ACK only when the SYN offered them; TSecr echoes the SYN's TSval)."""
    fam = "IPv6" if ":" in dst else "IPv4"
    mss_max = 1440 if ":" in dst else 1460
    f = Flow(w, src, dst, port)
    o = options(f.syn(FULL))
    f.reset()
    if not 536 <= o.get("MSS", 0) <= mss_max:
        fail(f"{fam} SYN-ACK MSS {o.get('MSS')} (options {o})")
    if "SAckOK" not in o:
        fail(f"{fam} SYN-ACK without SACK-permitted to a SYN that offered it: {o}")
    if "Timestamp" not in o or o["Timestamp"][1] != 123456:
        fail(f"{fam} SYN-ACK timestamp does not echo TSval 123456: {o}")
    if not 0 <= o.get("WScale", -1) <= 14:
        fail(f"{fam} SYN-ACK window scale missing or above 14 to a SYN that offered it: {o}")
    ok(f"{fam} SYN-ACK to a full SYN: MSS {o['MSS']}, SACK-permitted, TSecr echoed, window scale {o['WScale']}")

    f = Flow(w, src, dst, port)
    o = options(f.syn(MSS_ONLY))
    f.reset()
    for k in ("WScale", "SAckOK", "Timestamp"):
        if k in o:
            fail(f"{fam} SYN-ACK carries {k} that the SYN did not offer: {o}")
    if "MSS" not in o:
        fail(f"{fam} SYN-ACK without MSS: {o}")
    ok(f"{fam} SYN-ACK to an MSS-only SYN: no window scale, SACK or timestamps")


def sack_blocks(tcp):
    """The SACK option's blocks as [(left, right), ...] in the order sent, [] without one."""
    edges = options(tcp).get("SAck", ())
    return list(zip(edges[0::2], edges[1::2]))


def check_sack_dup_ack(w, src, dst, port):
    """RFC 5681 4.2 and RFC 2018 4: out-of-order data is ACKed at once (no delayed ACK) with
    ack = the hole's start and a SACK block for exactly what arrived; the block of the most recent
    segment comes first; the segments that fill the holes are ACKed at once and cumulatively."""
    fam = "IPv6" if ":" in dst else "IPv4"
    f = Flow(w, src, dst, port)
    if "SAckOK" not in options(f.connect(SACK_OK)):
        fail(f"{fam} SYN-ACK without SACK-permitted to a SYN that offered it")
    base, seg = f.snd_nxt, 100
    data = bytes(random.getrandbits(8) for _ in range(4 * seg))

    def at(i):
        return (base + i * seg) % 2**32

    def ack_to(i, expect_ack, expect_blocks, what):
        f.send("PA", data[i * seg:(i + 1) * seg], seq=at(i))
        sent = time.monotonic()
        got = w.recv(lambda ip, t: f.mine(ip, t) and t.flags.A and t.ack == expect_ack, 1.0)
        if got is None:
            fail(f"{fam} {what}: no ACK of {expect_ack}")
        delay = time.monotonic() - sent
        if delay > ACK_AT_ONCE:
            fail(f"{fam} {what}: ACK after {delay * 1000:.0f} ms, delayed rather than at once")
        blocks = sack_blocks(got[1])
        if blocks != expect_blocks:
            fail(f"{fam} {what}: SACK blocks {blocks}, expected {expect_blocks}")
        return delay

    # Segments 1 and 3 leave holes at 0 and 2; both dup ACKs acknowledge the first hole.
    d = ack_to(1, base, [(at(1), at(2))], "segment beyond a hole")
    ok(f"{fam} out-of-order segment: dup ACK of the hole after {d * 1000:.1f} ms, one SACK block covering it")
    ack_to(3, base, [(at(3), at(4)), (at(1), at(2))], "second out-of-order segment")
    ok(f"{fam} second out-of-order segment: two SACK blocks, the most recent first")
    ack_to(0, at(2), [(at(3), at(4))], "segment filling the first hole")
    ok(f"{fam} first hole filled: cumulative ACK to the second hole, its SACK block remains")
    ack_to(2, at(4), [], "segment filling the last hole")
    ok(f"{fam} last hole filled: cumulative ACK of everything, no SACK block")
    f.snd_nxt = at(4)
    f.reset()


def check_rto_backoff(w, src, dst, port, timestamps):
    """RFC 6298 5.5: a segment that is never acknowledged is retransmitted with the RTO doubled
    each time (5.4: the earliest unacknowledged segment, the same bytes). The first comes after
    the stack's RTO: with timestamps the handshake's ACK is an RTT sample (RFC 7323 4.1, RFC 6298
    2.2), so the RTO is near its 200 ms minimum; without them a passive opener may have no sample
    yet and use the 1 s initial RTO (2.1)."""
    fam = "IPv6" if ":" in dst else "IPv4"
    what = f"{fam} {'with' if timestamps else 'without'} timestamps"
    f = Flow(w, src, dst, port)
    first_max = RTO_FIRST_MAX_SAMPLED if timestamps else RTO_FIRST_MAX
    if timestamps:
        peer_ts = options(f.syn(FULL))["Timestamp"][0]
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (123457, peer_ts))]
        f.send("A", opts=opts)
    else:
        f.connect(MSS_ONLY)
        opts = None
    data = b"never acknowledged " * 5
    f.send("PA", data, opts=opts)
    f.snd_nxt = (f.snd_nxt + len(data)) % 2**32

    def echoed(ip, t):
        return f.mine(ip, t) and len(bytes(t.payload)) > 0 and t.seq == f.rcv_nxt
    sends = []
    end = time.monotonic() + RTO_WATCH
    while len(sends) < 1 + RTO_RETRANSMITS and (left := end - time.monotonic()) > 0:
        got = w.recv(echoed, left)
        if got is None:
            break
        sends.append((time.monotonic(), bytes(got[1].payload)))
    f.reset()
    if not sends:
        fail(f"{what}: no echo to retransmit")
    if len(sends) < 1 + RTO_RETRANSMITS:
        fail(f"{what}: {len(sends) - 1} retransmissions within {RTO_WATCH} s, expected {RTO_RETRANSMITS}")
    if any(p != sends[0][1] for _, p in sends):
        fail(f"{what}: retransmissions differ from the original segment")
    if sends[0][1] != data:
        fail(f"{what}: the echoed segment is not what was sent")
    gaps = [b[0] - a[0] for a, b in zip(sends, sends[1:])]
    shown = ", ".join(f"{g * 1000:.0f}" for g in gaps)
    if not RTO_FIRST_MIN <= gaps[0] <= first_max:
        fail(f"{what}: first retransmission after {gaps[0] * 1000:.0f} ms, not within "
             f"[{RTO_FIRST_MIN * 1000:.0f}, {first_max * 1000:.0f}] ms (intervals {shown} ms)")
    for a, b in zip(gaps, gaps[1:]):
        if b < BACKOFF_MIN * a:
            fail(f"{what}: retransmission intervals {shown} ms do not double")
    ok(f"{what}: {RTO_RETRANSMITS} retransmissions of the same bytes, intervals {shown} ms")


def check_challenge_ack(w, src, dst, port):
    """RFC 5961 3.2: an RST in the window but not at RCV.NXT gets a challenge ACK and leaves the
    connection up; an RST at exactly RCV.NXT resets it."""
    f = Flow(w, src, dst, port)
    f.connect(MSS_ONLY)
    if f.exchange(b"before") != b"before":
        fail("no echo on the hand-made connection")
    f.send("R", seq=(f.snd_nxt + 1000) % 2**32, ack=0)
    got = w.recv(lambda ip, t: f.mine(ip, t) and t.flags.A and not t.flags.R and not t.flags.S
                 and len(bytes(t.payload)) == 0)
    if got is None:
        fail("no challenge ACK to an in-window RST")
    if got[1].ack != f.snd_nxt:
        fail(f"challenge ACK acknowledges {got[1].ack}, not RCV.NXT {f.snd_nxt}")
    if f.exchange(b"after") != b"after":
        fail("the connection did not survive an in-window RST")
    ok("in-window RST: challenge ACK with ack = RCV.NXT, connection still echoes")
    f.send("R", ack=0)
    time.sleep(0.2)
    f.send("PA", b"dead")
    if w.recv(lambda ip, t: f.mine(ip, t) and t.flags.R) is None:
        fail("data after an exact RST got no RST back: the RST did not reset the connection")
    ok("RST at RCV.NXT resets the connection")


def check_syn_flood(w, src, dst, port, backlog, real_peer_ok):
    """A SYN flood beyond the listener's backlog: SYN cookies (RFC 4987 3.6) answer every SYN, a
    cookie ACK completes a connection without state (with the options a full SYN asked for),
    and a real client is still served."""
    n = backlog * 8
    flows = [Flow(w, src, dst, port, sport=10000 + i) for i in range(n)]
    for f in flows:
        f.send("S", opts=MSS_ONLY, ack=0)
    synacks = {}
    for ip, t in w.recv_all(lambda ip, t: ip.src == dst and t.sport == port and t.flags.S and t.flags.A, 3.0):
        synacks.setdefault(t.dport, t)
    if len(synacks) < n * 9 // 10:
        fail(f"{len(synacks)} SYN-ACKs to {n} SYNs against a backlog of {backlog}: no SYN cookies")
    ok(f"{len(synacks)} SYN-ACKs to {n} SYNs, backlog {backlog}")
    # The last SYN came long after the backlog was full: its SYN-ACK is a cookie.
    last = flows[-1]
    t = synacks.get(last.sport)
    if t is None:
        fail("no SYN-ACK to the last SYN of the flood")
    last.snd_nxt = (last.iss + 1) % 2**32
    last.rcv_nxt = (t.seq + 1) % 2**32
    last.send("A")
    if last.exchange(b"cookie") != b"cookie":
        fail("the ACK of a SYN-cookie SYN-ACK did not make a working connection")
    ok("a connection completed from a SYN cookie echoes")
    check_cookie_keeps_options(w, src, dst, port, 10000 + n)
    if not real_peer_ok():
        fail("a real client was not served during the SYN flood")
    ok("a kernel client is served during the flood")
    for f in flows:
        f.reset()


def check_cookie_keeps_options(w, src, dst, port, sport):
    """During the flood, a SYN with timestamps, window scale and SACK-permitted (what Linux sends)
    is answered with a cookie that keeps them all (RFC 4987 3.6 with RFC 7323: they ride in the
    SYN-ACK's TSval, which the ACK's TSecr echoes): the SYN-ACK offers them, and on the connection
    a segment beyond a hole is SACKed and the echo carries timestamps that echo ours."""
    f = Flow(w, src, dst, port, sport=sport)
    o = options(f.syn(FULL))
    for k in ("SAckOK", "Timestamp", "WScale"):
        if k not in o:
            fail(f"cookie SYN-ACK to a full SYN without {k}: {o}")
    ts = [("NOP", None), ("NOP", None), ("Timestamp", (123457, o["Timestamp"][0]))]
    f.send("A", opts=ts)
    base, data = f.snd_nxt, bytes(random.getrandbits(8) for _ in range(200))
    f.send("PA", data[100:], seq=(base + 100) % 2**32, opts=ts)
    got = w.recv(lambda ip, t: f.mine(ip, t) and t.flags.A and t.ack == base, 1.0)
    if got is None:
        fail("cookie connection: no ACK of the hole for a segment beyond it")
    if sack_blocks(got[1]) != [((base + 100) % 2**32, (base + 200) % 2**32)]:
        fail(f"cookie connection: SACK blocks {sack_blocks(got[1])}, SACK not in use")
    f.send("PA", data[:100], seq=base, opts=ts)
    f.snd_nxt = (base + 200) % 2**32
    echo, echo_ts = b"", None
    end = time.monotonic() + 2.0
    while len(echo) < len(data) and time.monotonic() < end:
        r = w.recv(lambda ip, t: f.mine(ip, t) and len(bytes(t.payload)) > 0 and t.seq == f.rcv_nxt,
                   end - time.monotonic())
        if r is None:
            break
        echo += bytes(r[1].payload)
        echo_ts = options(r[1]).get("Timestamp")
        f.rcv_nxt = (f.rcv_nxt + len(bytes(r[1].payload))) % 2**32
        f.send("A", opts=ts)
    f.reset()
    if echo != data:
        fail("cookie connection with options: the echo differs")
    if echo_ts is None or echo_ts[1] != 123457:
        fail(f"cookie connection with options: echo timestamp {echo_ts}, timestamps not in use")
    ok(f"a SYN cookie keeps window scale {o['WScale']}, SACK and timestamps: SACK block, TS echoed")


def kernel_echo(host, port):
    def run():
        try:
            with socket.create_connection((host, port), timeout=5) as s:
                s.sendall(b"real client")
                return s.recv(100) == b"real client"
        except OSError:
            return False
    return run


def main():
    if len(sys.argv) != 10:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    iface, host_mac, host4, fake4, host6, fake6, port, flood_port, backlog = sys.argv[1:]
    port, flood_port, backlog = int(port), int(flood_port), int(backlog)
    random.seed()
    w = Wire(iface, host_mac)
    check_synack_options(w, fake4, host4, port)
    check_synack_options(w, fake6, host6, port)
    check_challenge_ack(w, fake4, host4, port)
    check_challenge_ack(w, fake6, host6, port)
    check_sack_dup_ack(w, fake4, host4, port)
    check_sack_dup_ack(w, fake6, host6, port)
    check_rto_backoff(w, fake4, host4, port, timestamps=False)
    check_rto_backoff(w, fake6, host6, port, timestamps=True)
    check_syn_flood(w, fake4, host4, flood_port, backlog, kernel_echo(host4, flood_port))


if __name__ == "__main__":
    main()
