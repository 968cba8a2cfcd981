/* SPDX-License-Identifier: BSD-2-Clause */
/* classify.h - parse a received frame into what the demux needs (L2/L3/L4 and the 3-tuple). */
#ifndef MSTACK_CLASSIFY_H
#define MSTACK_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sys/socket.h>

#include <mstack/ms_flow.h>
#include <mstack/ms_proto.h>

/*
 * Why a frame failed its checks: the one list that gives the enum, the
 * names (cls_status_name) and the per-port counters "rx_<name>".
 */
/* clang-format off */
#define CLS_FAILURES(X) \
	X(RUNT, runt)               /* shorter than an Ethernet header (or header + VLAN tag) */ \
	X(TRUNCATED, truncated)     /* IPv4/IPv6 header or L4 header runs past the frame */ \
	X(BAD_VERSION, bad_version) /* IP version field does not match the ethertype */ \
	X(BAD_IHL, bad_ihl)         /* IPv4 IHL < 5 */ \
	X(BAD_TOTLEN, bad_totlen)   /* IPv4 total length < IHL*4 or > frame; IPv6 payload length > frame */ \
	X(BAD_CSUM, bad_csum)       /* IPv4 header checksum wrong */
/* clang-format on */

#define CLS_STATUS_ENUM(id, name) CLS_##id,
enum cls_status { CLS_OK = 0, CLS_FAILURES(CLS_STATUS_ENUM) CLS_STATUS_COUNT };
#undef CLS_STATUS_ENUM

/* l3 kinds */
enum cls_l3 { CLS_L3_OTHER = 0, CLS_L3_IPV4, CLS_L3_IPV6, CLS_L3_ARP };

/* flags */
#define CLS_F_VLAN       0x01 /* one 802.1Q tag was present (and skipped) */
#define CLS_F_BCAST      0x02 /* destination MAC is ff:ff:ff:ff:ff:ff */
#define CLS_F_MCAST      0x04 /* destination MAC is multicast (not broadcast) */
#define CLS_F_FRAG       0x08 /* IP fragment: ports valid only if CLS_F_FRAG_FIRST */
#define CLS_F_FRAG_FIRST 0x10 /* first fragment (offset 0, more fragments set) */
#define CLS_F_L4         0x20 /* proto is TCP or UDP and src/dst ports were read */

struct cls_result {
	uint8_t l3;           /* enum cls_l3 */
	uint8_t proto;        /* IP protocol / IPv6 next header of the L4 (e.g. IPPROTO_UDP) */
	uint8_t flags;        /* CLS_F_* */
	uint16_t ip_hdr_len;  /* IPv4 IHL*4 or IPv6 40 + extension headers, bytes (up to 16 KiB) */
	uint16_t l3_off;      /* offset of the IP/ARP header in the frame */
	uint16_t l4_off;      /* offset of the TCP/UDP header (valid with CLS_F_L4) */
	uint16_t vlan_tci;    /* host order, with CLS_F_VLAN */
	uint16_t ethertype;   /* host order, after the VLAN tag if any */
	uint16_t src_port;    /* host order, with CLS_F_L4 */
	uint16_t dst_port;    /* host order, with CLS_F_L4 */
	uint32_t l3_len;      /* IPv4 total length / 40 + IPv6 payload length */
	uint32_t frag_id;     /* with CLS_F_FRAG: IPv4 identification / IPv6 fragment header id */
	uint8_t src_addr[16]; /* network order; IPv4 uses the first 4 bytes, rest zero */
	uint8_t dst_addr[16];
};

/*
 * Parse `len` bytes of Ethernet frame. Fills *r as far as parsing went and
 * returns CLS_OK or the first failed check. Never reads outside [frame, frame+len).
 * verify_ipv4_csum: check the IPv4 header checksum in software (pass false
 * when the NIC already verified it).
 * IPv6: walks hop-by-hop, routing, destination-options and fragment headers
 * (bounded to 8 headers) to find TCP/UDP.
 * A non-first fragment has CLS_F_FRAG without CLS_F_FRAG_FIRST and no ports.
 */
enum cls_status cls_parse(const uint8_t *frame, uint32_t len, bool verify_ipv4_csum, struct cls_result *r);

/*
 * Is the 6-byte MAC at a the one at b (e.g. a frame's destination and the
 * NIC's)? One 4-byte and one 2-byte compare, at any alignment: per packet.
 */
static inline bool cls_mac_eq(const uint8_t *a, const uint8_t *b)
{
	uint32_t a4, b4;
	uint16_t a2, b2;

	memcpy(&a4, a, 4);
	memcpy(&b4, b, 4);
	memcpy(&a2, a + 4, 2);
	memcpy(&b2, b + 4, 2);
	return ((a4 ^ b4) | (uint32_t)(a2 ^ b2)) == 0;
}

/*
 * The flow hash of a received frame with ports (CLS_F_L4), the one that
 * picks its app's rx queue: the frame's destination is the local end
 * (include/mstack/ms_flow.h), so the app computes the same value from its
 * own endpoint and its peer's.
 */
static inline uint32_t cls_flow_hash(const struct cls_result *r)
{
	return ms_flow_hash(r->dst_addr, r->dst_port, r->src_addr, r->src_port);
}

/* What cls_icmp_quote found in an ICMP or ICMPv6 message. */
enum cls_icmp {
	CLS_ICMP_NOT_ERROR = 0, /* not one of the error messages an app is told about */
	CLS_ICMP_QUOTE,         /* an error quoting a TCP/UDP packet: *quote holds its tuple */
	CLS_ICMP_NO_TUPLE,      /* a well-formed error whose quote has no ports (other protocol, later fragment) */
	CLS_ICMP_MALFORMED,     /* bad ICMP checksum, or a quote too short for its IP header + 8 bytes */
};

/*
 * r is a frame that cls_parse returned CLS_OK for, unfragmented, with
 * proto ICMP (IPv4) or ICMPv6 (IPv6). If it is an error message about a
 * packet this host sent (ICMPv4 destination unreachable, time exceeded,
 * parameter problem; ICMPv6 destination unreachable, packet too big, time
 * exceeded, parameter problem), parse the quoted packet into *quote: l3,
 * proto, src/dst addresses and ports (CLS_F_L4). The quote's SOURCE is the
 * local end, the host's own tuple. Never reads outside the IP length r gave.
 */
enum cls_icmp cls_icmp_quote(const uint8_t *frame, const struct cls_result *r, struct cls_result *quote);

/*
 * The tuple an app holds if the quoted packet q (from cls_icmp_quote) was
 * its own: the quote's source, the host's end (protocol, address, port).
 */
static inline void cls_quote_tuple(const struct cls_result *q, struct ms_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->proto = q->proto;
	t->family = q->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	t->port = q->src_port;
	memcpy(t->addr, q->src_addr, 16);
}

/* The flow hash of the quoted packet q: the same as its flow's received frames (the source is local). */
static inline uint32_t cls_quote_flow_hash(const struct cls_result *q)
{
	return ms_flow_hash(q->src_addr, q->src_port, q->dst_addr, q->dst_port);
}

/* "runt", "truncated", ... : the counter suffix for a status. */
const char *cls_status_name(enum cls_status s);

#endif
