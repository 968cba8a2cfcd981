#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""sec_tx_frames.py - frames for test_sec_tx.sh, and the peer's view of what reached the wire.

usage:
  sec_tx_frames.py ns|na SMAC DMAC SRC DST TARGET LLADDR [NONCE_HEX]
      neighbour solicitation (source link-layer option) or unsolicited advertisement with the
      override flag (target link-layer option), printed in hex
  sec_tx_frames.py ipv4 SMAC DMAC SRC DST key=value...
      an IPv4 frame in hex; keys: proto (17), id (1), off (fragment offset, 8-byte units), mf (0|1),
      opts (hex, a multiple of 4 bytes), udp (SPORT,DPORT,LEN: a UDP header first), data (ASCII),
      pad (zero bytes after data)
  sec_tx_frames.py capture IFACE FILE     every frame IFACE receives, one hex line each
  sec_tx_frames.py listen ADDR PORT FILE  every UDP datagram received, one line "SRC PORT DATA"
  sec_tx_frames.py count FILE KIND ARG    how many captured frames match: contains HEX | longer LEN |
                                          later-frag4 PROTO (IPv4 non-first fragments of PROTO)
"""
import socket
import struct
import sys

from frames import csum  # the Internet checksum (RFC 1071), beside this script


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def eth(smac, dmac, ethertype):
    return mac(dmac) + mac(smac) + struct.pack("!H", ethertype)


def icmp6(src, dst, body):
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    pseudo = s + d + struct.pack("!I3xB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    return struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + s + d + body


def nd(kind, smac, dmac, src, dst, target, lladdr, nonce=None):
    tgt = socket.inet_pton(socket.AF_INET6, target)
    if kind == "ns":
        body = struct.pack("!BBHI", 135, 0, 0, 0) + tgt + struct.pack("!BB", 1, 1) + mac(lladdr)
    else:  # unsolicited, override
        body = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + tgt + struct.pack("!BB", 2, 1) + mac(lladdr)
    if nonce:
        body += struct.pack("!BB", 14, 1) + bytes.fromhex(nonce)
    return eth(smac, dmac, 0x86DD) + icmp6(src, dst, body)


def ipv4(smac, dmac, src, dst, args):
    kv = dict(a.split("=", 1) for a in args)
    payload = b""
    if "udp" in kv:
        sport, dport, ulen = (int(x) for x in kv["udp"].split(","))
        payload += struct.pack("!HHHH", sport, dport, ulen, 0)
    payload += kv.get("data", "").encode() + b"\0" * int(kv.get("pad", "0"))
    opts = bytes.fromhex(kv.get("opts", ""))
    ihl = 5 + len(opts) // 4
    frag = int(kv.get("off", "0")) | (0x2000 if kv.get("mf", "0") == "1" else 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), int(kv.get("id", "1")), frag, 64,
                      int(kv.get("proto", "17")), 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return eth(smac, dmac, 0x0800) + hdr + payload


def capture(iface, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((iface, 0))
    with open(path, "w") as out:
        print("capturing", flush=True)
        while True:
            data, addr = s.recvfrom(65536)
            if addr[2] != socket.PACKET_OUTGOING:  # what arrived from the wire, not the peer's replies
                out.write(data.hex() + "\n")
                out.flush()


def listen(addr, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    with open(path, "w") as out:
        print("listening", flush=True)
        while True:
            data, src = s.recvfrom(65536)
            out.write("%s %d %s\n" % (src[0], src[1], data.decode(errors="replace")))
            out.flush()


def count(path, kind, arg):
    n = 0
    for line in open(path):
        f = bytes.fromhex(line.strip())
        if kind == "contains":
            n += bytes.fromhex(arg) in f
        elif kind == "longer":
            n += len(f) > int(arg)
        elif kind == "later-frag4" and len(f) >= 34 and f[12:14] == b"\x08\x00":
            n += f[14 + 9] == int(arg) and (struct.unpack("!H", f[20:22])[0] & 0x1FFF) != 0
    print(n)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("ns", "na"):
        print(nd(cmd, *args).hex())
    elif cmd == "ipv4":
        print(ipv4(*args[:4], args[4:]).hex())
    elif cmd == "capture":
        capture(*args)
    elif cmd == "listen":
        listen(*args)
    elif cmd == "count":
        count(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
