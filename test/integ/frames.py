#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""frames.py - send crafted Ethernet frames from the peer namespace (raw AF_PACKET socket).

usage: frames.py IFACE DST_MAC SRC_IP DST_IP KIND [COUNT]
KIND: good-udp:PORT, bad-csum, bad-ihl, bad-version, bad-totlen, truncated, ip-options:PORT,
      fragment:PORT, vlan-udp:PORT, flood-udp:PORT (COUNT frames, as fast as possible),
      ttl1-udp:PORT (TTL 1: a forwarding kernel drops it instead of routing it on),
      udp6:PORT (SRC_IP and DST_IP are IPv6 addresses; hop limit 1)
"""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, payload, proto=17, ihl=5, version=4, total=None, frag=0, options=b"", fix_csum=True, ttl=64):
    total = total if total is not None else ihl * 4 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 1, frag, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    if fix_csum:
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def ipv6_udp(src, dst, sport, dport, data, hop_limit=1):
    src, dst = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    dgram = udp(sport, dport, data)
    pseudo = src + dst + struct.pack("!IxxxB", len(dgram), 17)
    dgram = dgram[:6] + struct.pack("!H", csum(pseudo + dgram) or 0xFFFF) + dgram[8:]
    return struct.pack("!IHBB", 6 << 28, len(dgram), 17, hop_limit) + src + dst + dgram


def main():
    iface, dst_mac, src_ip, dst_ip, kind = sys.argv[1:6]
    count = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    name, _, arg = kind.partition(":")
    port = int(arg) if arg else 9
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    eth = bytes.fromhex(dst_mac.replace(":", "")) + src_mac + b"\x08\x00"
    payload = udp(40000, port, b"mstack-test-payload")
    if name in ("good-udp", "flood-udp"):
        frame = eth + ipv4(src_ip, dst_ip, payload)
    elif name == "bad-csum":
        frame = eth + ipv4(src_ip, dst_ip, payload, fix_csum=False)[:10] + b"\xde\xad" + \
            ipv4(src_ip, dst_ip, payload)[12:]
    elif name == "bad-ihl":
        frame = eth + ipv4(src_ip, dst_ip, payload, ihl=3)
    elif name == "bad-version":
        frame = eth + ipv4(src_ip, dst_ip, payload, version=6)
    elif name == "bad-totlen":
        frame = eth + ipv4(src_ip, dst_ip, payload, total=1400)
    elif name == "truncated":
        frame = eth + ipv4(src_ip, dst_ip, payload)[:12]
    elif name == "ip-options":
        frame = eth + ipv4(src_ip, dst_ip, payload, ihl=6, options=b"\x01\x01\x01\x00")
    elif name == "fragment":
        frame = eth + ipv4(src_ip, dst_ip, payload, frag=0x2000)
    elif name == "ttl1-udp":
        frame = eth + ipv4(src_ip, dst_ip, payload, ttl=1)
    elif name == "udp6":
        frame = eth[:12] + b"\x86\xdd" + ipv6_udp(src_ip, dst_ip, 40000, port, b"mstack-test-payload")
    elif name == "vlan-udp":
        frame = eth[:12] + b"\x81\x00\x00\x05\x08\x00" + ipv4(src_ip, dst_ip, payload)
    else:
        sys.exit("unknown kind " + kind)
    if len(frame) < 60 and name != "truncated":
        frame += b"\0" * (60 - len(frame))
    for _ in range(count):
        try:
            s.send(frame)
        except OSError:
            pass  # a full socket buffer under flood: drop, as a wire would


if __name__ == "__main__":
    main()
