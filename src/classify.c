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
};

static uint16_t cls_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* TCP/UDP: read the ports if the whole minimal header lies within the IP length. */
static enum cls_status cls_parse_ports(const uint8_t *l4, uint32_t avail, struct cls_result *r)
{
	uint32_t need;

	if (r->proto == IPPROTO_UDP)
		need = CLS_UDP_HLEN;
	else if (r->proto == IPPROTO_TCP)
		need = CLS_TCP_MIN_HLEN;
	else
		return CLS_OK; /* ICMP, SCTP, ...: no 3-tuple, the kernel decides */
	if (avail < need)
		return CLS_TRUNCATED;
	r->src_port = cls_rd16(l4);
	r->dst_port = cls_rd16(l4 + 2);
	r->flags |= CLS_F_L4;
	return CLS_OK;
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

static enum cls_status cls_parse_ipv6(const uint8_t *ip, uint32_t avail, struct cls_result *r)
{
	uint32_t end, off = CLS_IPV6_HLEN;
	bool later_frag = false;
	uint8_t nh;
	int i;

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

	/* Invariant: off <= end <= avail, so ip[off .. end) is readable. */
	nh = ip[6];
	for (i = 0; i < CLS_IPV6_MAX_EXT && cls_ipv6_is_ext(nh) && !later_frag; i++) {
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
				later_frag = true;
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
	r->l4_off = (uint16_t)(r->l3_off + off);
	if (later_frag)
		return CLS_OK;
	return cls_parse_ports(ip + off, end - off, r);
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

const char *cls_status_name(enum cls_status s)
{
#define CLS_STATUS_NAME(id, name) #name,
	static const char *const names[CLS_STATUS_COUNT] = { "ok", CLS_FAILURES(CLS_STATUS_NAME) };
#undef CLS_STATUS_NAME

	if ((unsigned)s >= CLS_STATUS_COUNT)
		return "unknown";
	return names[s];
}
