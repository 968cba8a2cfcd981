/* SPDX-License-Identifier: BSD-2-Clause */
/* classify.c - parse a received frame into what the demux needs (L2/L3/L4 and the 3-tuple). */
#include "classify.h"

#include <netinet/in.h>
#include <string.h>

#include <mstack/ms_csum.h>

/*
 * Frames come straight from NIC buffers at any alignment, so every multi-byte
 * field is read a byte at a time (big-endian); no header struct is ever cast
 * onto the frame. Each parser gets a pointer to its layer and the number of
 * bytes it may read from there, and checks that count before each read.
 */

enum {
	CLS_ETH_HLEN = 14,
	CLS_VLAN_HLEN = 4,
	CLS_ETHERTYPE_IPV4 = 0x0800,
	CLS_ETHERTYPE_ARP = 0x0806,
	CLS_ETHERTYPE_VLAN = 0x8100,
	CLS_ETHERTYPE_IPV6 = 0x86dd,
	CLS_IPV4_MIN_HLEN = 20,
	CLS_IPV4_MF = 0x2000,
	CLS_IPV4_OFFMASK = 0x1fff,
	CLS_IPV6_HLEN = 40,
	CLS_IPV6_EXT_MIN = 8, /* every extension header is at least 8 bytes */
	CLS_IPV6_MAX_EXT = 8, /* bounds the work a hostile chain can cause */
	CLS_IPV6_FRAG_M = 0x0001,
	CLS_IPV6_FRAG_OFFMASK = 0xfff8,
	CLS_UDP_HLEN = 8,
	CLS_TCP_MIN_HLEN = 20,
	CLS_ICMP_HLEN = 8, /* type, code, checksum, 4 bytes that depend on the type; then the quote */
	CLS_QUOTE_L4 = 8,  /* bytes of the quoted transport header an ICMP error must carry (RFC 792) */
	CLS_ICMP4_UNREACH = 3,
	CLS_ICMP4_TIME_EXCEEDED = 11,
	CLS_ICMP4_PARAM_PROBLEM = 12,
	CLS_ICMP6_UNREACH = 1,
	CLS_ICMP6_PACKET_TOO_BIG = 2,
	CLS_ICMP6_TIME_EXCEEDED = 3,
	CLS_ICMP6_PARAM_PROBLEM = 4,
};

static uint16_t cls_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * TCP/UDP: read the ports if the first `need` bytes of the header lie within
 * the IP length (the whole minimal header for a received packet; 8 bytes for
 * the quote in an ICMP error, all that RFC 792 promises).
 */
static enum cls_status cls_read_ports(const uint8_t *l4, uint32_t avail, uint32_t need, struct cls_result *r)
{
	if (avail < need)
		return CLS_TRUNCATED;
	r->src_port = cls_rd16(l4);
	r->dst_port = cls_rd16(l4 + 2);
	r->flags |= CLS_F_L4;
	return CLS_OK;
}

static enum cls_status cls_parse_ports(const uint8_t *l4, uint32_t avail, struct cls_result *r)
{
	if (r->proto == IPPROTO_UDP)
		return cls_read_ports(l4, avail, CLS_UDP_HLEN, r);
	if (r->proto == IPPROTO_TCP)
		return cls_read_ports(l4, avail, CLS_TCP_MIN_HLEN, r);
	return CLS_OK; /* ICMP, SCTP, ...: no 3-tuple, the kernel decides */
}

static enum cls_status cls_parse_ipv4(const uint8_t *ip, uint32_t avail, bool verify_csum, struct cls_result *r)
{
	uint32_t hlen, totlen;
	uint16_t frag;

	r->l3 = CLS_L3_IPV4;
	if (avail < CLS_IPV4_MIN_HLEN)
		return CLS_TRUNCATED;
	if (ip[0] >> 4 != 4)
		return CLS_BAD_VERSION;
	hlen = (ip[0] & 0x0fu) * 4;
	if (hlen < CLS_IPV4_MIN_HLEN)
		return CLS_BAD_IHL;
	if (hlen > avail)
		return CLS_TRUNCATED;
	/* Bytes past the total length are Ethernet padding (minimum frame size), not data. */
	totlen = cls_rd16(ip + 2);
	if (totlen < hlen || totlen > avail)
		return CLS_BAD_TOTLEN;

	r->proto = ip[9];
	r->ip_hdr_len = (uint16_t)hlen;
	r->l3_len = totlen;
	r->l4_off = (uint16_t)(r->l3_off + hlen);
	memcpy(r->src_addr, ip + 12, 4);
	memcpy(r->dst_addr, ip + 16, 4);

	/* A correct header, options included, sums to 0xffff (RFC 1071). */
	if (verify_csum && ms_csum_fold(ms_csum_add(ip, hlen, 0)) != 0xffff)
		return CLS_BAD_CSUM;

	frag = cls_rd16(ip + 6);
	r->frag_id = cls_rd16(ip + 4);
	if (frag & (CLS_IPV4_MF | CLS_IPV4_OFFMASK)) {
		r->flags |= CLS_F_FRAG;
		if (frag & CLS_IPV4_OFFMASK)
			return CLS_OK; /* later fragments carry no L4 header */
		r->flags |= CLS_F_FRAG_FIRST;
	}
	return cls_parse_ports(ip + hlen, totlen - hlen, r);
}

static bool cls_ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT;
}

/*
 * Walk the extension headers of the IPv6 packet ip[0 .. end) (hop-by-hop,
 * routing, destination options, fragment; at most CLS_IPV6_MAX_EXT) to its
 * upper layer: sets proto, ip_hdr_len, the fragment flags and id, and
 * *later_frag for a later fragment (no upper-layer header follows). Returns
 * CLS_OK or CLS_TRUNCATED.
 */
static enum cls_status cls_ipv6_walk(const uint8_t *ip, uint32_t end, struct cls_result *r, bool *later_frag)
{
	uint32_t off = CLS_IPV6_HLEN;
	uint8_t nh;
	int i;

	/* Invariant: off <= end, so ip[off .. end) is readable. */
	*later_frag = false;
	nh = ip[6];
	for (i = 0; i < CLS_IPV6_MAX_EXT && cls_ipv6_is_ext(nh) && !*later_frag; i++) {
		uint32_t ext_len = CLS_IPV6_EXT_MIN;

		if (end - off < CLS_IPV6_EXT_MIN)
			return CLS_TRUNCATED;
		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fo = cls_rd16(ip + off + 2);

			r->frag_id = (uint32_t)cls_rd16(ip + off + 4) << 16 | cls_rd16(ip + off + 6);

			/*
			 * Offset 0 without M is an "atomic fragment" (RFC 6946): a
			 * whole datagram, so it is not flagged as a fragment; the
			 * header promises that CLS_F_FRAG without CLS_F_FRAG_FIRST
			 * means "no ports".
			 */
			if (fo & CLS_IPV6_FRAG_OFFMASK) {
				/* Also after a first-fragment header: a later fragment has no ports. */
				r->flags = (uint8_t)((r->flags | CLS_F_FRAG) & ~CLS_F_FRAG_FIRST);
				*later_frag = true;
			} else if (fo & CLS_IPV6_FRAG_M) {
				r->flags |= CLS_F_FRAG | CLS_F_FRAG_FIRST;
			}
		} else {
			ext_len = (ip[off + 1] + 1u) * 8;
			if (end - off < ext_len)
				return CLS_TRUNCATED;
		}
		nh = ip[off];
		off += ext_len;
	}

	/* Past the limit nh is still an extension header: no ports, the kernel decides. */
	r->proto = nh;
	r->ip_hdr_len = (uint16_t)off; /* <= 40 + 8 * 2048 */
	return CLS_OK;
}

static enum cls_status cls_parse_ipv6(const uint8_t *ip, uint32_t avail, struct cls_result *r)
{
	enum cls_status cs;
	bool later_frag;
	uint32_t end;

	r->l3 = CLS_L3_IPV6;
	if (avail < CLS_IPV6_HLEN)
		return CLS_TRUNCATED;
	if (ip[0] >> 4 != 6)
		return CLS_BAD_VERSION;
	end = CLS_IPV6_HLEN + cls_rd16(ip + 4); /* as for IPv4, anything after is padding */
	if (end > avail)
		return CLS_BAD_TOTLEN;
	r->l3_len = end;
	memcpy(r->src_addr, ip + 8, 16);
	memcpy(r->dst_addr, ip + 24, 16);

	cs = cls_ipv6_walk(ip, end, r, &later_frag);
	if (cs != CLS_OK)
		return cs;
	r->l4_off = (uint16_t)(r->l3_off + r->ip_hdr_len);
	if (later_frag)
		return CLS_OK;
	return cls_parse_ports(ip + r->ip_hdr_len, end - r->ip_hdr_len, r);
}

enum cls_status cls_parse(const uint8_t *frame, uint32_t len, bool verify_ipv4_csum, struct cls_result *r)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t off = CLS_ETH_HLEN;

	memset(r, 0, sizeof(*r));
	if (len < CLS_ETH_HLEN)
		return CLS_RUNT;
	if (memcmp(frame, bcast, sizeof(bcast)) == 0)
		r->flags |= CLS_F_BCAST;
	else if (frame[0] & 0x01) /* I/G bit of the destination MAC */
		r->flags |= CLS_F_MCAST;

	r->ethertype = cls_rd16(frame + 12);
	if (r->ethertype == CLS_ETHERTYPE_VLAN) {
		if (len < CLS_ETH_HLEN + CLS_VLAN_HLEN)
			return CLS_RUNT;
		r->flags |= CLS_F_VLAN;
		r->vlan_tci = cls_rd16(frame + 14);
		r->ethertype = cls_rd16(frame + 16);
		off += CLS_VLAN_HLEN;
	}
	r->l3_off = (uint16_t)off;

	switch (r->ethertype) {
	case CLS_ETHERTYPE_IPV4: return cls_parse_ipv4(frame + off, len - off, verify_ipv4_csum, r);
	case CLS_ETHERTYPE_IPV6: return cls_parse_ipv6(frame + off, len - off, r);
	case CLS_ETHERTYPE_ARP:
		r->l3 = CLS_L3_ARP; /* the kernel is the ARP authority; it validates */
		return CLS_OK;
	default:
		/* Includes a second (QinQ) tag: we look through one tag only. */
		r->l3 = CLS_L3_OTHER;
		return CLS_OK;
	}
}

/* The quoted IPv4 packet q[0 .. qlen) of an ICMP error (RFC 792: its header and 8 bytes of its data). */
static enum cls_icmp cls_quote_ipv4(const uint8_t *q, uint32_t qlen, struct cls_result *quote)
{
	uint32_t hlen;

	if (qlen < CLS_IPV4_MIN_HLEN || q[0] >> 4 != 4)
		return CLS_ICMP_MALFORMED;
	hlen = (q[0] & 0x0fu) * 4;
	if (hlen < CLS_IPV4_MIN_HLEN || qlen - CLS_QUOTE_L4 < hlen)
		return CLS_ICMP_MALFORMED;
	quote->l3 = CLS_L3_IPV4;
	quote->proto = q[9];
	quote->ip_hdr_len = (uint16_t)hlen;
	memcpy(quote->src_addr, q + 12, 4);
	memcpy(quote->dst_addr, q + 16, 4);
	/* Only the first fragment carries ports (the router may quote any fragment). */
	if (cls_rd16(q + 6) & CLS_IPV4_OFFMASK || (quote->proto != IPPROTO_TCP && quote->proto != IPPROTO_UDP))
		return CLS_ICMP_NO_TUPLE;
	cls_read_ports(q + hlen, qlen - hlen, CLS_QUOTE_L4, quote);
	return CLS_ICMP_QUOTE;
}

/*
 * The quoted IPv6 packet q[0 .. qlen) of an ICMPv6 error (RFC 4443 2.4(c):
 * as much of it as fits in the minimum MTU), extension headers walked as for
 * a received packet. Its payload length is the original's: the quote ends
 * where the message does, or earlier.
 */
static enum cls_icmp cls_quote_ipv6(const uint8_t *q, uint32_t qlen, struct cls_result *quote)
{
	uint32_t end;
	bool later_frag;

	if (qlen < CLS_IPV6_HLEN || q[0] >> 4 != 6)
		return CLS_ICMP_MALFORMED;
	end = CLS_IPV6_HLEN + cls_rd16(q + 4);
	if (end > qlen)
		end = qlen;
	quote->l3 = CLS_L3_IPV6;
	memcpy(quote->src_addr, q + 8, 16);
	memcpy(quote->dst_addr, q + 24, 16);
	if (cls_ipv6_walk(q, end, quote, &later_frag) != CLS_OK)
		return CLS_ICMP_MALFORMED;
	if (later_frag || (quote->proto != IPPROTO_TCP && quote->proto != IPPROTO_UDP))
		return CLS_ICMP_NO_TUPLE;
	if (cls_read_ports(q + quote->ip_hdr_len, end - quote->ip_hdr_len, CLS_QUOTE_L4, quote) != CLS_OK)
		return CLS_ICMP_MALFORMED;
	return CLS_ICMP_QUOTE;
}

/* Is type an ICMP (l3 IPv4) or ICMPv6 error that quotes a packet the host sent? */
static bool cls_icmp_is_error(uint8_t l3, uint8_t type)
{
	if (l3 == CLS_L3_IPV4)
		return type == CLS_ICMP4_UNREACH || type == CLS_ICMP4_TIME_EXCEEDED || type == CLS_ICMP4_PARAM_PROBLEM;
	return type == CLS_ICMP6_UNREACH || type == CLS_ICMP6_PACKET_TOO_BIG || type == CLS_ICMP6_TIME_EXCEEDED ||
	       type == CLS_ICMP6_PARAM_PROBLEM;
}

/*
 * The checksum of the ICMP message m[0 .. len): over the message alone for
 * ICMPv4 (RFC 792), over the IPv6 pseudo-header and the message for ICMPv6
 * (RFC 4443 2.3, RFC 8200 8.1). A correct message sums to 0xffff.
 */
static bool cls_icmp_csum_ok(const struct cls_result *r, const uint8_t *m, uint32_t len)
{
	uint64_t sum = 0;

	if (r->l3 == CLS_L3_IPV6) {
		const uint8_t pseudo[8] = {
			(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0,
			IPPROTO_ICMPV6
		};

		sum = ms_csum_add(r->src_addr, 16, sum);
		sum = ms_csum_add(r->dst_addr, 16, sum);
		sum = ms_csum_add(pseudo, sizeof(pseudo), sum);
	}
	return ms_csum_fold(ms_csum_add(m, len, sum)) == 0xffff;
}

enum cls_icmp cls_icmp_quote(const uint8_t *frame, const struct cls_result *r, struct cls_result *quote)
{
	const uint8_t *m = frame + r->l3_off + r->ip_hdr_len;
	uint32_t len = r->l3_len - r->ip_hdr_len; /* cls_parse checked ip_hdr_len <= l3_len <= frame */

	memset(quote, 0, sizeof(*quote));
	if (r->flags & CLS_F_FRAG)
		return CLS_ICMP_NOT_ERROR;
	if (!((r->l3 == CLS_L3_IPV4 && r->proto == IPPROTO_ICMP) ||
	      (r->l3 == CLS_L3_IPV6 && r->proto == IPPROTO_ICMPV6)))
		return CLS_ICMP_NOT_ERROR;
	if (len < 1 || !cls_icmp_is_error(r->l3, m[0]))
		return CLS_ICMP_NOT_ERROR;
	if (len < CLS_ICMP_HLEN || !cls_icmp_csum_ok(r, m, len))
		return CLS_ICMP_MALFORMED;
	if (r->l3 == CLS_L3_IPV4)
		return cls_quote_ipv4(m + CLS_ICMP_HLEN, len - CLS_ICMP_HLEN, quote);
	return cls_quote_ipv6(m + CLS_ICMP_HLEN, len - CLS_ICMP_HLEN, quote);
}

const char *cls_status_name(enum cls_status s)
{
#define CLS_STATUS_NAME(id, name) #name,
	static const char *const names[CLS_STATUS_COUNT] = { "ok", CLS_FAILURES(CLS_STATUS_NAME) };
#undef CLS_STATUS_NAME

	if ((unsigned)s >= CLS_STATUS_COUNT)
		return "unknown";
	return names[s];
}
