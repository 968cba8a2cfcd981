/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_ip.c - IPv4/IPv6 input and output for TCP: frames to segments, segments to frames, ICMP errors. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <mstack/ms_csum.h>

#include "tcp_ip.h"
#include "tcp_opt.h"

#define ETH_HLEN     14
#define ETYPE_IPV4   0x0800
#define ETYPE_IPV6   0x86dd
#define IPV4_HLEN    20
#define IPV6_HLEN    40
#define TCP_HLEN     20
#define ICMP_HLEN    8    /* type, code, checksum, 4 bytes of the message's own */
#define IPV4_MIN_MTU 68   /* RFC 791 */
#define IPV6_MIN_MTU 1280 /* RFC 8200 5 */
#define IP_TTL_OUT   64

/* ICMP (RFC 792) and ICMPv6 (RFC 4443) types handled here. */
#define ICMP4_UNREACH     3
#define ICMP4_TIME_EXCEED 11
#define ICMP6_UNREACH     1
#define ICMP6_TOO_BIG     2
#define ICMP6_TIME_EXCEED 3

static uint16_t ip_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t ip_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ip_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void ip_put32(uint8_t *p, uint32_t v)
{
	ip_put16(p, (uint16_t)(v >> 16));
	ip_put16(p + 2, (uint16_t)v);
}

/*
 * The pseudo-header's sum: source and destination (contiguous in both IP
 * headers at addrs), then the upper-layer length and protocol. RFC 9293
 * 3.1 for IPv4 (zero, protocol, 16-bit length); RFC 8200 8.1 for IPv6
 * (32-bit length, three zeros, next header). Same sum for both layouts:
 * the one's complement sum does not care where the zeros sit in a word.
 */
static uint64_t ip_pseudo_sum(const uint8_t *addrs, size_t addr_len, uint8_t proto, uint32_t l4_len)
{
	uint8_t tail[8] = { 0 };

	ip_put32(tail, l4_len);
	tail[7] = proto;
	return ms_csum_add(tail, sizeof(tail), ms_csum_add(addrs, 2 * addr_len, 0));
}

/* A sum over a message that carries its own correct checksum folds to all ones (RFC 1071). */
static int ip_csum_ok(uint64_t sum)
{
	return ms_csum_fold(sum) == 0xffff;
}

/* No segment comes from or goes to 0.0.0.0, a multicast or the limited broadcast address (RFC 1122 3.2.1.3, 4.2.3.10).
 */
static int ip4_addr_ok(const uint8_t *a)
{
	uint32_t v = ip_get32(a);

	return v != 0 && v != 0xffffffffu && (v >> 28) != 0xe;
}

/* Nor from or to :: or a multicast address (RFC 4291 2.5.2, 2.7). */
static int ip6_addr_ok(const uint8_t *a)
{
	static const uint8_t unspec[16];

	return a[0] != 0xff && memcmp(a, unspec, 16) != 0;
}

/*
 * The TCP header and payload tcp[0..l4_len) whose pseudo-header sums to
 * pseudo: data offset (RFC 9293 3.1: at least 5 words, within the
 * segment), checksum, ports (0 is never a port on the wire), options.
 * src and dst point at the IP source and destination (alen bytes each).
 */
static int tcp_ip_parse_tcp(const uint8_t *tcp, uint32_t l4_len, uint64_t pseudo, const uint8_t *src,
			    const uint8_t *dst, size_t alen, struct tcp_seg *seg)
{
	uint32_t hlen;

	if (l4_len < TCP_HLEN)
		return TCP_IP_DROP_SHORT;
	hlen = (uint32_t)(tcp[12] >> 4) * 4;
	if (hlen < TCP_HLEN || hlen > l4_len)
		return TCP_IP_DROP_BAD_OPT;
	if (!ip_csum_ok(ms_csum_add(tcp, l4_len, pseudo)))
		return TCP_IP_DROP_BAD_CSUM;
	seg->ep.rport = ip_get16(tcp);
	seg->ep.lport = ip_get16(tcp + 2);
	if (seg->ep.rport == 0 || seg->ep.lport == 0)
		return TCP_IP_DROP_BAD_ADDR;
	seg->flags = tcp[13];
	if (tcp_opt_parse(tcp + TCP_HLEN, hlen - TCP_HLEN, !!(seg->flags & TCP_SYN), &seg->opt) < 0)
		return TCP_IP_DROP_BAD_OPT;
	memcpy(seg->ep.raddr, src, alen);
	memcpy(seg->ep.laddr, dst, alen);
	seg->seq = ip_get32(tcp + 4);
	seg->ack = ip_get32(tcp + 8);
	seg->wnd = ip_get16(tcp + 14);
	seg->data = tcp + hlen;
	seg->len = l4_len - hlen;
	return TCP_IP_SEGMENT;
}

/*
 * The quoted segment of an ICMP error: its ports and sequence number, the
 * first 8 bytes of the TCP header that RFC 792 guarantees. It is one we
 * sent, so our address and port are its source.
 */
static void tcp_ip_quoted_tcp(const uint8_t *tcp, const uint8_t *src, const uint8_t *dst, size_t alen,
			      struct tcp_icmp_err *err)
{
	memcpy(err->ep.laddr, src, alen);
	memcpy(err->ep.raddr, dst, alen);
	err->ep.lport = ip_get16(tcp);
	err->ep.rport = ip_get16(tcp + 2);
	err->seq = ip_get32(tcp + 4);
}

/* RFC 1191 section 7: the plateau below a too-big datagram, for routers that report no next-hop MTU. */
static uint32_t ip4_plateau_below(uint32_t len)
{
	static const uint16_t plateaus[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, IPV4_MIN_MTU };
	size_t i;

	for (i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return IPV4_MIN_MTU;
}

/*
 * An ICMPv4 error icmp[0..len), checksum first (RFC 792). Destination
 * unreachable: protocol and port unreachable are hard errors (RFC 1122
 * 4.2.3.9); fragmentation needed is PMTUD (RFC 1191), with the next-hop
 * MTU, or the plateau below the quoted length when a router sends 0, never
 * below 68; every other code is soft (RFC 1122 4.2.3.9, RFC 1812 5.2.7.1
 * for administratively prohibited). Time exceeded is soft, and reported as
 * -EHOSTUNREACH as Linux does (a routing loop or a TTL too small: the host
 * cannot be reached; -ETIMEDOUT would not tell a timeout with it from one
 * without it). Other types
 * (echo, source quench, which RFC 6633 says to ignore, ...) are not ours.
 */
static int tcp_ip_parse_icmp4(const uint8_t *icmp, uint32_t len, struct tcp_icmp_err *err)
{
	const uint8_t *in, *tcp;
	uint32_t ihl;

	if (len < ICMP_HLEN)
		return TCP_IP_DROP_SHORT;
	if (!ip_csum_ok(ms_csum_add(icmp, len, 0)))
		return TCP_IP_DROP_BAD_CSUM;
	if (icmp[0] != ICMP4_UNREACH && icmp[0] != ICMP4_TIME_EXCEED)
		return TCP_IP_DROP_NOT_TCP;
	in = icmp + ICMP_HLEN;
	len -= ICMP_HLEN;
	if (len < IPV4_HLEN)
		return TCP_IP_DROP_SHORT;
	ihl = (uint32_t)(in[0] & 0xf) * 4;
	if (in[0] >> 4 != 4 || ihl < IPV4_HLEN)
		return TCP_IP_DROP_BAD_IP;
	if (len < ihl + 8)
		return TCP_IP_DROP_SHORT;
	/* A later fragment quotes no TCP header (we send none, but a forger might). */
	if (in[9] != IPPROTO_TCP || (ip_get16(in + 6) & 0x1fff) != 0)
		return TCP_IP_DROP_NOT_TCP;
	tcp = in + ihl;
	err->ep.family = AF_INET;
	tcp_ip_quoted_tcp(tcp, in + 12, in + 16, 4, err);
	err->hard = 0;
	err->mtu = 0;
	if (icmp[0] == ICMP4_TIME_EXCEED) {
		err->error = -EHOSTUNREACH;
		return TCP_IP_ICMP_ERROR;
	}
	switch (icmp[1]) {
	case 0: /* net unreachable */
	case 6: /* destination network unknown */
	case 9: /* network administratively prohibited */
	case 11: /* network unreachable for TOS */ err->error = -ENETUNREACH; break;
	case 2: /* protocol unreachable */
	case 3: /* port unreachable */
		err->error = -ECONNREFUSED;
		err->hard = 1;
		break;
	case 4: /* fragmentation needed and DF set */
		err->error = -EMSGSIZE;
		err->mtu = ip_get16(icmp + 6);
		if (err->mtu == 0)
			err->mtu = ip4_plateau_below(ip_get16(in + 2));
		if (err->mtu < IPV4_MIN_MTU)
			err->mtu = IPV4_MIN_MTU;
		break;
	default: /* host unreachable, unknown, isolated, prohibited, source route failed, ... */
		err->error = -EHOSTUNREACH;
		break;
	}
	return TCP_IP_ICMP_ERROR;
}

/*
 * An ICMPv6 error icmp[0..len) whose pseudo-header sums to pseudo (RFC
 * 4443 2.3). Destination unreachable (RFC 4443 3.1): port unreachable is
 * hard (RFC 1122 4.2.3.9 by analogy), no route is -ENETUNREACH, the others
 * soft -EHOSTUNREACH. Packet too big (3.2) carries the MTU, never taken
 * below 1280 (RFC 8200 5). Time exceeded (3.3) is soft (-EHOSTUNREACH, as for
 * IPv4). We send no
 * extension headers, so a quoted packet must have TCP right after its
 * fixed header.
 */
static int tcp_ip_parse_icmp6(const uint8_t *icmp, uint32_t len, uint64_t pseudo, struct tcp_icmp_err *err)
{
	const uint8_t *in;

	if (len < ICMP_HLEN)
		return TCP_IP_DROP_SHORT;
	if (!ip_csum_ok(ms_csum_add(icmp, len, pseudo)))
		return TCP_IP_DROP_BAD_CSUM;
	if (icmp[0] != ICMP6_UNREACH && icmp[0] != ICMP6_TOO_BIG && icmp[0] != ICMP6_TIME_EXCEED)
		return TCP_IP_DROP_NOT_TCP;
	in = icmp + ICMP_HLEN;
	len -= ICMP_HLEN;
	if (len < IPV6_HLEN + 8)
		return TCP_IP_DROP_SHORT;
	if (in[0] >> 4 != 6)
		return TCP_IP_DROP_BAD_IP;
	if (in[6] != IPPROTO_TCP)
		return TCP_IP_DROP_NOT_TCP;
	err->ep.family = AF_INET6;
	tcp_ip_quoted_tcp(in + IPV6_HLEN, in + 8, in + 24, 16, err);
	err->hard = 0;
	err->mtu = 0;
	switch (icmp[0]) {
	case ICMP6_TOO_BIG:
		err->error = -EMSGSIZE;
		err->mtu = ip_get32(icmp + 4);
		if (err->mtu < IPV6_MIN_MTU)
			err->mtu = IPV6_MIN_MTU;
		break;
	case ICMP6_TIME_EXCEED: err->error = -EHOSTUNREACH; break;
	default:
		if (icmp[1] == 4) { /* port unreachable */
			err->error = -ECONNREFUSED;
			err->hard = 1;
		} else {
			err->error = icmp[1] == 0 ? -ENETUNREACH : -EHOSTUNREACH;
		}
		break;
	}
	return TCP_IP_ICMP_ERROR;
}

/*
 * IPv4 (RFC 791, RFC 1122 3.2.1): version, IHL of at least 5 words, a total
 * length that covers the header and fits in the frame (Ethernet padding
 * beyond it is ignored), the header checksum, no fragment (RFC 791 3.2:
 * MF or an offset), usable addresses. IP options are skipped.
 */
static int tcp_ip_parse4(const uint8_t *ip, uint32_t avail, struct tcp_seg *seg, struct tcp_icmp_err *err)
{
	uint32_t ihl, total;

	if (avail < IPV4_HLEN)
		return TCP_IP_DROP_SHORT;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (ip[0] >> 4 != 4 || ihl < IPV4_HLEN)
		return TCP_IP_DROP_BAD_IP;
	total = ip_get16(ip + 2);
	if (ihl > avail || total > avail)
		return TCP_IP_DROP_SHORT;
	if (total < ihl)
		return TCP_IP_DROP_BAD_IP;
	if (!ip_csum_ok(ms_csum_add(ip, ihl, 0)))
		return TCP_IP_DROP_BAD_IP;
	if (ip_get16(ip + 6) & 0x3fff)
		return TCP_IP_DROP_FRAGMENT;
	if (!ip4_addr_ok(ip + 12) || !ip4_addr_ok(ip + 16))
		return TCP_IP_DROP_BAD_ADDR;
	if (ip[9] == IPPROTO_ICMP) {
		memset(err, 0, sizeof(*err));
		return tcp_ip_parse_icmp4(ip + ihl, total - ihl, err);
	}
	if (ip[9] != IPPROTO_TCP)
		return TCP_IP_DROP_NOT_TCP;
	memset(&seg->ep, 0, sizeof(seg->ep));
	seg->ep.family = AF_INET;
	seg->ttl = ip[8];
	return tcp_ip_parse_tcp(ip + ihl, total - ihl, ip_pseudo_sum(ip + 12, 4, IPPROTO_TCP, total - ihl), ip + 12,
				ip + 16, 4, seg);
}

/*
 * IPv6 (RFC 8200 3): version, a payload length that fits in the frame,
 * usable addresses. Only TCP or ICMPv6 right after the fixed header: a
 * fragment header is a fragment, and every other extension header
 * (hop-by-hop, routing, destination options, AH, ESP, mobility, HIP,
 * shim6) is refused as BAD_IP. TCP never needs them and walking them is
 * attack surface; a jumbogram (payload length 0) needs hop-by-hop, so it
 * is refused too.
 */
static int tcp_ip_parse6(const uint8_t *ip, uint32_t avail, struct tcp_seg *seg, struct tcp_icmp_err *err)
{
	uint32_t plen;

	if (avail < IPV6_HLEN)
		return TCP_IP_DROP_SHORT;
	if (ip[0] >> 4 != 6)
		return TCP_IP_DROP_BAD_IP;
	plen = ip_get16(ip + 4);
	if (plen > avail - IPV6_HLEN)
		return TCP_IP_DROP_SHORT;
	if (!ip6_addr_ok(ip + 8) || !ip6_addr_ok(ip + 24))
		return TCP_IP_DROP_BAD_ADDR;
	switch (ip[6]) {
	case IPPROTO_TCP:
		memset(&seg->ep, 0, sizeof(seg->ep));
		seg->ep.family = AF_INET6;
		seg->ttl = ip[7];
		return tcp_ip_parse_tcp(ip + IPV6_HLEN, plen, ip_pseudo_sum(ip + 8, 16, IPPROTO_TCP, plen), ip + 8,
					ip + 24, 16, seg);
	case IPPROTO_ICMPV6:
		memset(err, 0, sizeof(*err));
		return tcp_ip_parse_icmp6(ip + IPV6_HLEN, plen, ip_pseudo_sum(ip + 8, 16, IPPROTO_ICMPV6, plen), err);
	case IPPROTO_FRAGMENT: return TCP_IP_DROP_FRAGMENT;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case 135: /* mobility (RFC 6275) */
	case 139: /* HIP (RFC 7401) */
	case 140: /* shim6 (RFC 5533) */ return TCP_IP_DROP_BAD_IP;
	default: return TCP_IP_DROP_NOT_TCP;
	}
}

int tcp_ip_parse(const uint8_t *frame, uint32_t len, struct tcp_seg *seg, struct tcp_icmp_err *err)
{
	uint16_t etype;

	if (len < ETH_HLEN)
		return TCP_IP_DROP_SHORT;
	etype = ip_get16(frame + 12);
	if (etype == ETYPE_IPV4 || etype == ETYPE_IPV6)
		memcpy(seg->src_mac, frame + 6, 6);
	if (etype == ETYPE_IPV4)
		return tcp_ip_parse4(frame + ETH_HLEN, len - ETH_HLEN, seg, err);
	if (etype == ETYPE_IPV6)
		return tcp_ip_parse6(frame + ETH_HLEN, len - ETH_HLEN, seg, err);
	return TCP_IP_DROP_NOT_IP;
}

size_t tcp_ip_header_len(uint8_t family, size_t optlen)
{
	return ETH_HLEN + (family == AF_INET6 ? IPV6_HLEN : IPV4_HLEN) + TCP_HLEN + optlen;
}

/*
 * IPv4 with DF (RFC 1191) and identification 0, which RFC 6864 4.1 allows
 * for atomic datagrams; IPv6 with flow label 0; TTL and hop limit 64.
 * The TCP checksum is one pass over header, options and payload, which are
 * contiguous (RFC 9293 3.1).
 */
uint32_t tcp_ip_build(uint8_t *frame, const struct tcp_hdr_out *h, uint32_t len)
{
	const struct tcp_endpoints *ep = h->ep;
	uint32_t l4_len = TCP_HLEN + h->optlen + len;
	uint8_t *ip = frame + ETH_HLEN, *tcp;
	uint64_t pseudo;
	uint16_t c;

	memcpy(frame, h->dst_mac, 6);
	memcpy(frame + 6, h->src_mac, 6);
	if (ep->family == AF_INET6) {
		ip_put16(frame + 12, ETYPE_IPV6);
		ip_put32(ip, 6u << 28);
		ip_put16(ip + 4, (uint16_t)l4_len);
		ip[6] = IPPROTO_TCP;
		ip[7] = IP_TTL_OUT;
		memcpy(ip + 8, ep->laddr, 16);
		memcpy(ip + 24, ep->raddr, 16);
		pseudo = ip_pseudo_sum(ip + 8, 16, IPPROTO_TCP, l4_len);
		tcp = ip + IPV6_HLEN;
	} else {
		ip_put16(frame + 12, ETYPE_IPV4);
		ip[0] = 0x45;
		ip[1] = 0;
		ip_put16(ip + 2, (uint16_t)(IPV4_HLEN + l4_len));
		ip_put16(ip + 4, 0);
		ip_put16(ip + 6, 0x4000); /* DF */
		ip[8] = IP_TTL_OUT;
		ip[9] = IPPROTO_TCP;
		ip_put16(ip + 10, 0);
		memcpy(ip + 12, ep->laddr, 4);
		memcpy(ip + 16, ep->raddr, 4);
		c = (uint16_t)~ms_csum_fold(ms_csum_add(ip, IPV4_HLEN, 0));
		memcpy(ip + 10, &c, 2);
		pseudo = ip_pseudo_sum(ip + 12, 4, IPPROTO_TCP, l4_len);
		tcp = ip + IPV4_HLEN;
	}
	ip_put16(tcp, ep->lport);
	ip_put16(tcp + 2, ep->rport);
	ip_put32(tcp + 4, h->seq);
	ip_put32(tcp + 8, h->ack);
	tcp[12] = (uint8_t)(((TCP_HLEN + h->optlen) / 4) << 4);
	tcp[13] = h->flags;
	ip_put16(tcp + 14, h->wnd);
	ip_put32(tcp + 16, 0); /* checksum, then urgent pointer */
	if (h->optlen)
		memcpy(tcp + TCP_HLEN, h->opt, h->optlen);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(tcp, l4_len, pseudo));
	memcpy(tcp + 16, &c, 2);
	return (uint32_t)(tcp - frame) + l4_len;
}

uint32_t tcp_ip_mss_for_mtu(uint8_t family, uint32_t mtu)
{
	uint32_t fixed = (family == AF_INET6 ? IPV6_HLEN : IPV4_HLEN) + TCP_HLEN;

	return mtu > fixed ? mtu - fixed : 0;
}
