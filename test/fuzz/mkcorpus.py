#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""mkcorpus.py - write the seed corpora of the fuzz targets into test/fuzz/corpus/<target>/.

usage: mkcorpus.py   (from anywhere; rewrites the generated seeds, keeps other files)
Seeds are small real inputs: control messages, tuples, configuration files,
Ethernet frames (UDP/TCP over IPv4/IPv6, ARP, NS/NA, fragments, VLAN, ICMP errors), ring
programs, TCP option lists, fuzz_tcp_input programs.
"""
import os
import shutil
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "integ"))
from frames import csum  # noqa: E402  the Internet checksum (RFC 1071), as the integration tests make it
NIC_MAC = bytes.fromhex("02005e102030")  # the NIC of fuzz_txval.c
PEER_MAC = bytes.fromhex("029988776655")


def eth(ethertype, payload, src=NIC_MAC, dst=PEER_MAC, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst + src + tag + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, frag=0, ident=0x1234, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + socket.inet_pton(socket.AF_INET6, src) + \
        socket.inet_pton(socket.AF_INET6, dst) + payload


def udp(sport, dport, data=b"mstack"):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)


def frag6(nh, offset, more, ident=0x12345678):
    return struct.pack("!BBHI", nh, 0, offset << 3 | more, ident)


def arp(sender_ip, target_ip, op=1):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, NIC_MAC, socket.inet_aton(sender_ip), b"\0" * 6,
                       socket.inet_aton(target_ip))


def nd(kind, target):
    body = struct.pack("!BBHI", kind, 0, 0, 0x20000000 if kind == 136 else 0)
    body += socket.inet_pton(socket.AF_INET6, target)
    return body + struct.pack("!BB6s", 1 if kind == 135 else 2, 1, NIC_MAC)


def frames():
    """Frames an app of fuzz_txval.c may send (app A holds udp 10.0.0.1:7000, tcp *:80, udp [2001:db8::1]:5353)."""
    first = udp(7000, 9, b"x" * 16)
    v6udp = udp(5353, 53)
    return {
        "udp4": eth(0x0800, ipv4("10.0.0.1", "192.0.2.200", 17, udp(7000, 9))),
        "tcp4": eth(0x0800, ipv4("10.0.0.3", "192.0.2.200", 6, tcp(80, 40000))),
        "udp6": eth(0x86DD, ipv6("2001:db8::1", "2001:db8:ffff::200", 17, v6udp)),
        "tcp6": eth(0x86DD, ipv6("2001:db8::1", "2001:db8:ffff::200", 6, tcp(5353, 80))),
        "arp": eth(0x0806, arp("10.0.0.1", "10.0.0.254")),
        "ns": eth(0x86DD, ipv6("2001:db8::1", "ff02::1:ff00:99", 58, nd(135, "2001:db8::99"))),
        "na": eth(0x86DD, ipv6("2001:db8::1", "2001:db8::99", 58, nd(136, "2001:db8::1"))),
        "frag4-first": eth(0x0800, ipv4("10.0.0.1", "192.0.2.200", 17, first[:16], frag=0x2000)),
        "frag4-later": eth(0x0800, ipv4("10.0.0.1", "192.0.2.200", 17, first[16:], frag=2)),
        "frag6-first": eth(0x86DD, ipv6("2001:db8::1", "2001:db8:ffff::200", 44, frag6(17, 0, 1) + v6udp[:8])),
        "frag6-later": eth(0x86DD, ipv6("2001:db8::1", "2001:db8:ffff::200", 44, frag6(17, 1, 0) + v6udp[8:])),
        "hbh6": eth(0x86DD, ipv6("2001:db8::1", "2001:db8:ffff::200", 0, bytes([17, 0, 1, 4, 0, 0, 0, 0]) + v6udp)),
        "opts4": eth(0x0800, ipv4("10.0.0.1", "192.0.2.200", 17, udp(7000, 9), options=b"\x01\x01\x01\x00")),
        "vlan-udp4": eth(0x0800, ipv4("10.0.0.1", "192.0.2.200", 17, udp(7000, 9)), vlan=42),
    }


def icmp_error_seeds(f):
    """ICMP and ICMPv6 errors received by the host, quoting frames it sent (cls_icmp_quote)."""
    def icmp4(mtype, code, quote):
        body = struct.pack("!BBHI", mtype, code, 0, 1280) + quote
        return body[:2] + struct.pack("!H", csum(body)) + body[4:]

    def icmp6(src, dst, mtype, quote):
        body = struct.pack("!BBHI", mtype, 0, 0, 1280) + quote
        pseudo = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
            struct.pack("!IxxxB", len(body), 58)
        return body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]

    q4, q6 = f["udp4"][14:14 + 28], f["udp6"][14:14 + 48]
    return {
        "icmp4-frag-needed": eth(0x0800, ipv4("192.0.2.200", "10.0.0.1", 1, icmp4(3, 4, q4)), PEER_MAC, NIC_MAC),
        "icmp4-time-exceeded-tcp": eth(0x0800, ipv4("192.0.2.1", "10.0.0.3", 1, icmp4(11, 0, f["tcp4"][14:14 + 28])),
                                       PEER_MAC, NIC_MAC),
        "icmp4-short-quote": eth(0x0800, ipv4("192.0.2.200", "10.0.0.1", 1, icmp4(3, 3, q4[:24])), PEER_MAC, NIC_MAC),
        "icmp6-packet-too-big": eth(0x86DD, ipv6("2001:db8:ffff::200", "2001:db8::1", 58,
                                                 icmp6("2001:db8:ffff::200", "2001:db8::1", 2, q6)), PEER_MAC, NIC_MAC),
        "icmp6-unreach-frag": eth(0x86DD, ipv6("2001:db8:ffff::200", "2001:db8::1", 58,
                                               icmp6("2001:db8:ffff::200", "2001:db8::1", 1,
                                                     f["frag6-first"][14:])), PEER_MAC, NIC_MAC),
    }


def msg(mtype, body=b"", status=0, req_id=1):
    return struct.pack("=HHIIi", 1, mtype, len(body), req_id, status) + body


def tuple_bin(proto, family, addr, port):
    raw = socket.inet_pton(family, addr)
    return struct.pack("=BBH16s", proto, family, port, raw)


def proto_seeds():
    hello = struct.pack("=HHHHI32s", 1, 0, 1, 0, 256, b"seed")
    bind = tuple_bin(17, socket.AF_INET, "10.0.0.1", 7000)
    app_info = struct.pack("=6I3Q32s", 3, 100, 0, 1, 256, 1, 10, 20, 0, b"echo")
    return {
        "hello": b"\0" + msg(1, hello),
        "hello-reply": b"\0" + msg(0x8001, struct.pack("=IIIIQ6s2x", 3, 1, 256, 1500, 1 << 20, NIC_MAC)),
        "bind": b"\0" + msg(2, bind),
        "bind6": b"\0" + msg(2, tuple_bin(6, socket.AF_INET6, "2001:db8::1", 80)),
        "status": b"\0" + msg(5),
        "apps-req": b"\0" + msg(6, struct.pack("=II", 0, 0)),
        "apps-reply": b"\0" + msg(0x8006, struct.pack("=II", 1, 1) + app_info),
        "stats-reply": b"\0" + msg(0x8008, struct.pack("=II", 2, 1) + struct.pack("=56sQ", b"nic.rx_packets", 7)),
        "error-reply": b"\0" + msg(0x8002, status=-98),
        "typed-bind": b"\1" + struct.pack("=Hi", 2, 0) + bind,
        "typed-resolve": b"\1" + struct.pack("=Hi", 4, 0) + struct.pack("=B3x16s", 2, socket.inet_aton("10.0.0.9")),
        "text-udp4": b"\2udp 10.0.0.1:7000",
        "text-tcp6": b"\2tcp [2001:db8::1]:80",
        "text-any": b"\2udp *:53",
        "tuple-bin": b"\3" + bind,
        "hello-queue-fds": b"\4" + struct.pack("=HHHHI32s", 1, 0, 2, 2, 256, b"seed")
        + struct.pack("=IIIIQ6s2x", 3, 2, 256, 1500, 1 << 20, NIC_MAC) + bytes([5]),
    }


def txval_seeds(f):
    def rec(frame, ctl=0):
        return struct.pack("!BH", ctl, len(frame)) + frame

    seeds = {name: rec(frame) for name, frame in f.items()}
    seeds["frag4-pair"] = rec(f["frag4-first"]) + rec(f["frag4-later"], ctl=2)
    seeds["frag6-pair"] = rec(f["frag6-first"]) + rec(f["frag6-later"], ctl=2)
    seeds["app-b"] = rec(eth(0x0800, ipv4("10.0.0.2", "192.0.2.200", 17, udp(9000, 9))), ctl=1)
    return seeds


def ring_seeds():
    def op(code, *args):
        return bytes([code]) + b"".join(args)

    u8 = lambda v: bytes([v])
    u16 = lambda v: struct.pack("!H", v)
    u32 = lambda v: struct.pack("!I", v)
    rx = op(5, u8(0), u16(60)) + op(5, u8(0), u16(1514)) + op(6) + op(0, u8(0x80), u32(2)) + op(5, u8(0), u16(64))
    tx = op(2, u8(0), u8(0), u16(60)) + op(2, u8(0), u8(1), u16(1514)) + op(1, u8(0x80), u32(2)) + op(7, u8(0), u8(32))
    return {
        "rx": u32(0) + rx,
        "tx": u32(0) + tx,
        "wrap": u32(0xFFFFFFF0) + rx + tx + op(3, u8(0), u8(1)) + op(6),
        "hostile": u32(5) + op(0, u8(1), u32(0x80000000)) + op(5, u8(1), u16(100)) + op(1, u8(1), u32(999)) +
        op(7, u8(1), u8(64)) + op(4, u16(3), u32(0xFFFFFFFF)) + op(6) +
        op(2, u8(1), u8(1), u16(0xFFFF)) + op(2, u8(1), u8(2), u16(2047)) + op(1, u8(0x81), u32(3)) + op(7, u8(1), u8(8)),
    }


def tcp_seg(src, dst, sport, dport, flags, opts=b"", data=b"", v6=False):
    """A TCP segment with its checksum (RFC 9293 3.1, RFC 8200 8.1 pseudo-headers), for the frame parser's seeds."""
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    hdr = struct.pack("!HHIIBBHHH", sport, dport, 0x01020304, 0x0a0b0c0d, (5 + len(opts) // 4) << 4, flags, 64240,
                      0, 0) + opts
    seg = hdr + data
    pseudo = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst)
    pseudo += struct.pack("!I", len(seg)) + b"\0\0\0\6" if v6 else struct.pack("!BBH", 0, 6, len(seg))
    return seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]


def icmp4(typ, code, rest, quoted):
    body = struct.pack("!BBHI", typ, code, 0, rest) + quoted
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


def icmp6(src, dst, typ, code, rest, quoted):
    body = struct.pack("!BBHI", typ, code, 0, rest) + quoted
    pseudo = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
        struct.pack("!I", len(body)) + b"\0\0\0\x3a"
    return body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]


def tcp_ip_seeds():
    """fuzz_tcp_ip.c: byte 0 = 0 a frame as received, 1 a frame whose checksums the target fills, 2 an option list."""
    syn_opts = bytes.fromhex("020405b40402080a000000010000000001030307")  # MSS, SACK-perm + TS, NOP + WSCALE
    est_opts = bytes.fromhex("0101080a0001e2400009fbf10101050a000003e8000007d0")  # NOP NOP TS, NOP NOP SACK 1
    v4 = ipv4("10.0.0.1", "192.0.2.7", 6, tcp_seg("10.0.0.1", "192.0.2.7", 80, 40000, 0x18, est_opts, b"x"))
    v4syn = ipv4("192.0.2.7", "10.0.0.1", 6, tcp_seg("192.0.2.7", "10.0.0.1", 40000, 80, 0x02, syn_opts))
    v6 = ipv6("2001:db8::2", "2001:db8::1", 6, tcp_seg("2001:db8::2", "2001:db8::1", 50000, 443, 0x02, syn_opts,
                                                       b"abc", v6=True))
    ours4 = ipv4("10.0.0.1", "192.0.2.7", 6, tcp_seg("10.0.0.1", "192.0.2.7", 80, 40000, 0x18, b"", b"x" * 100))
    ours6 = ipv6("2001:db8::1", "2001:db8::2", 6, tcp_seg("2001:db8::1", "2001:db8::2", 443, 50000, 0x18,
                                                           b"", b"y" * 100, v6=True))
    frag_needed = ipv4("192.0.2.254", "10.0.0.1", 1, icmp4(3, 4, 1400, ours4[:28]))
    port_unreach = ipv4("192.0.2.7", "10.0.0.1", 1, icmp4(3, 3, 0, ours4[:28]))
    too_big = ipv6("2001:db8::fe", "2001:db8::1", 58, icmp6("2001:db8::fe", "2001:db8::1", 2, 0, 1400, ours6[:48]))
    return {
        "raw-tcp4": b"\0" + eth(0x0800, v4, src=PEER_MAC, dst=NIC_MAC),
        "raw-syn4": b"\0" + eth(0x0800, v4syn, src=PEER_MAC, dst=NIC_MAC),
        "raw-syn6": b"\0" + eth(0x86DD, v6, src=PEER_MAC, dst=NIC_MAC),
        "raw-frag-needed": b"\0" + eth(0x0800, frag_needed, src=PEER_MAC, dst=NIC_MAC),
        "raw-port-unreach": b"\0" + eth(0x0800, port_unreach, src=PEER_MAC, dst=NIC_MAC),
        "raw-too-big": b"\0" + eth(0x86DD, too_big, src=PEER_MAC, dst=NIC_MAC),
        "fixed-syn4": b"\1" + eth(0x0800, v4syn, src=PEER_MAC, dst=NIC_MAC),
        "fixed-syn6": b"\1" + eth(0x86DD, v6, src=PEER_MAC, dst=NIC_MAC),
        "fixed-frag-needed": b"\1" + eth(0x0800, frag_needed, src=PEER_MAC, dst=NIC_MAC),
        "opts-syn": b"\2\1" + syn_opts,
        "opts-est": b"\2\0" + est_opts,
    }


def tcp_input_seeds():
    """fuzz_tcp_input.c: 8 configuration bytes, then operations (enum fz_op) with their operands."""
    SEG, SEG_POLL, POLL, ADVANCE, LISTEN, CONNECT, ACCEPT, SEND, RECV, SHUTDOWN, CLOSE, ABORT, SETOPT, ICMP, FLOW, \
        TX_RING = range(16)
    FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
    # 8 connections, 64 KiB buffers, default memory, SYN backlog 4, 8 out-of-order ranges, TIME_WAIT 1 s,
    # NewReno, SACK/TS/WS on, MTU 1500.
    cfg = bytes([6, 0x3a, 0x3b, 0, 0, 0, 0, 0])

    def seg(flags, plen=0, seq_mode=0, ack_mode=0, dseq=0, dack=0, wnd=0xffff, syn_opts=False, flow=0, poll=True):
        """A peer segment on flow with seq/ack offsets from the connection's numbers; TS always, SYN options."""
        mode = seq_mode | ack_mode << 2
        if syn_opts:
            opts = bytes([0x0f]) + struct.pack("!H", 1460) + bytes([7, 0])  # MSS, WS 7, SACK-permitted, TS
        else:
            opts = bytes([0x08, 0])  # TS
        return bytes([SEG_POLL if poll else SEG, flow, flags, mode]) + struct.pack("!hhH", dseq, dack, wnd) + opts + \
            struct.pack("!H", plen)

    listen = bytes([LISTEN, 0, 8])
    passive_open = listen + seg(SYN, syn_opts=True) + seg(ACK) + bytes([ACCEPT, 0])
    conn = 1  # the accepted connection is the second handle
    exchange = seg(ACK | PSH, plen=100) + bytes([RECV, conn, 0, 200]) + bytes([SEND, conn, 0x01, 0x2c, 0]) + \
        bytes([POLL]) + seg(ACK)
    close_active = bytes([CLOSE, conn, POLL]) + seg(ACK) + seg(FIN | ACK) + bytes([ADVANCE, 0x41, ADVANCE, 0x41])
    close_passive = seg(FIN | ACK) + bytes([RECV, conn, 0, 200, CLOSE, conn, POLL]) + seg(ACK)
    # The stack connects: SYN out, the peer's SYN,ACK acknowledges it, data both ways, the peer closes first.
    active = bytes([CONNECT, 0x00, POLL]) + seg(SYN | ACK, syn_opts=True) + \
        bytes([SEND, 0, 0x05, 0xdc, 0]) + bytes([POLL]) + seg(ACK, plen=50) + bytes([RECV, 0, 0, 100]) + \
        seg(FIN | ACK) + bytes([RECV, 0, 0, 100, SHUTDOWN, 0, 0, POLL]) + seg(ACK)
    # Out of order: a hole, data above it, then the hole filled; a bulk send with loss and a timeout.
    reorder = passive_open + seg(ACK, plen=500, dseq=1000) + seg(ACK, plen=1000) + bytes([RECV, conn, 0x10, 0])
    bulk = passive_open + bytes([SEND, conn, 0xff, 0xff, 1, POLL]) + seg(ACK, dack=-20000) + \
        seg(ACK, ack_mode=1) + seg(ACK, ack_mode=1) + seg(ACK, ack_mode=1) + bytes([ADVANCE, 0x41]) + seg(ACK)
    return {
        "passive-established": cfg + passive_open,
        "passive-data-close": cfg + passive_open + exchange + close_active,
        "passive-peer-closes": cfg + passive_open + exchange + close_passive,
        "active-data-close": cfg + active,
        "reorder": cfg + reorder,
        "bulk-recovery": cfg + bulk,
        "syn-flood-cookies": cfg + listen + b"".join(seg(SYN, dseq=1000 * i, syn_opts=True, flow=i) +
                                                     bytes([FLOW, 8 * (i + 1)]) for i in range(6)),
        "reset": cfg + passive_open + seg(RST | ACK, ack_mode=1),
    }


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as out:
            out.write(data)


def main():
    f = frames()
    write("proto", proto_seeds())
    write("classify", {**f, **icmp_error_seeds(f)})
    write("txval", txval_seeds(f))
    write("ring", ring_seeds())
    write("tcp_ip", tcp_ip_seeds())
    write("tcp_input", tcp_input_seeds())
    conf_dir = os.path.join(HERE, "corpus", "conf")
    os.makedirs(conf_dir, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "config", "mstackd.conf"), os.path.join(conf_dir, "mstackd.conf"))
    write("conf", {"minimal": b"[nic]\ndevargs = net_null0\n[host]\ntap = mstack0\naddress = fd00::1/64\n",
                   "host_lists": b"[nic]\ndevargs = net_null0\n[host]\ntap = mstack0\naddress = 10.0.0.1/24\n"
                   b"address = fd00::1/64\nroute = 198.51.100.0/24 via 10.0.0.254\nroute = default via fe80::1\n"})


if __name__ == "__main__":
    main()
