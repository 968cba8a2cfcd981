/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_ip.h - IPv4/IPv6 input and output for TCP: frames to segments, segments to frames, ICMP errors. */
#ifndef MSTACK_TCP_IP_H
#define MSTACK_TCP_IP_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_seg.h"

/* What tcp_ip_parse found in a frame. */
enum tcp_ip_kind {
	TCP_IP_SEGMENT = 1,  /* a TCP segment: *seg */
	TCP_IP_ICMP_ERROR,   /* an ICMP/ICMPv6 error quoting a TCP segment we sent: *err */
};

/* Why a frame was dropped (negative results of tcp_ip_parse); counted by the stack. */
enum tcp_ip_drop {
	TCP_IP_DROP_SHORT = -1,     /* truncated anywhere */
	TCP_IP_DROP_NOT_IP = -2,    /* not IPv4/IPv6 (ARP, VLAN, ...) */
	TCP_IP_DROP_BAD_IP = -3,    /* version, IHL, lengths, IPv4 header checksum, IPv6 extension headers */
	TCP_IP_DROP_FRAGMENT = -4,  /* IP fragments are not reassembled (TCP never sends them: PMTUD) */
	TCP_IP_DROP_NOT_TCP = -5,   /* another protocol, or an ICMP message that is not a TCP error */
	TCP_IP_DROP_BAD_CSUM = -6,  /* TCP or ICMP checksum */
	TCP_IP_DROP_BAD_OPT = -7,   /* TCP data offset or a malformed option list */
	TCP_IP_DROP_BAD_ADDR = -8,  /* multicast/broadcast/unspecified source or destination */
};

/* An ICMP error quoting one of our segments (RFC 1122 4.2.3.9, RFC 4443, RFC 5927). */
struct tcp_icmp_err {
	struct tcp_endpoints ep; /* the quoted segment's endpoints, local = its source */
	uint32_t seq;            /* the quoted segment's sequence number (RFC 5927: check it is in flight) */
	int error;               /* -EHOSTUNREACH (also TTL), -ENETUNREACH, -ECONNREFUSED, -EMSGSIZE */
	int hard;                /* 1: RFC 1122 hard error (protocol/port unreachable); 0: soft */
	uint32_t mtu;            /* -EMSGSIZE only: the next-hop MTU (IPv4 frag needed, ICMPv6 packet too big) */
};

/*
 * Parse one received Ethernet frame (untagged; the daemon delivers only
 * frames of our tuples and ICMP errors quoting them). Verifies every
 * length and checksum; never reads outside frame[0..len).
 * @return TCP_IP_SEGMENT, TCP_IP_ICMP_ERROR, or a negative enum tcp_ip_drop.
 */
int tcp_ip_parse(const uint8_t *frame, uint32_t len, struct tcp_seg *seg, struct tcp_icmp_err *err);

/* One outgoing segment's headers. */
struct tcp_hdr_out {
	const struct tcp_endpoints *ep; /* local is the source */
	const uint8_t *src_mac, *dst_mac;
	uint32_t seq, ack;
	uint16_t wnd;                /* already scaled down */
	uint8_t flags;               /* TCP_* */
	const uint8_t *opt;          /* option bytes from tcp_opt_write; optlen a multiple of 4, <= 40 */
	uint8_t optlen;
};

/* Bytes of headers before the payload (Ethernet, IPv4 20 or IPv6 40, TCP 20, options). */
size_t tcp_ip_header_len(uint8_t family, size_t optlen);

/*
 * Write Ethernet, IP and TCP headers at frame[0..tcp_ip_header_len) for a
 * payload of len bytes already placed right after them, and fill the IPv4
 * header checksum and the TCP checksum (pseudo-header included; RFC 9293
 * 3.1, RFC 8200 8.1). IPv4 has DF set (RFC 1191 PMTUD), TTL/hop limit 64.
 * @return the frame's length.
 */
uint32_t tcp_ip_build(uint8_t *frame, const struct tcp_hdr_out *h, uint32_t len);

/* Largest MSS for a link MTU (RFC 9293 3.7.1: MTU minus the fixed IP and TCP headers). */
uint32_t tcp_ip_mss_for_mtu(uint8_t family, uint32_t mtu);

#endif
