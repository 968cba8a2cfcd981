/* SPDX-License-Identifier: BSD-2-Clause */
/* check_classify.c - unit tests for the frame classifier (src/classify.c). */
#include "classify.h"
#include "check_main.h"

#include <arpa/inet.h>

#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <mstack/ms_csum.h>

#define BUF_MAX 4096

enum {
	ETH_IPV4 = 0x0800,
	ETH_ARP = 0x0806,
	ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8,
	ETH_IPV6 = 0x86dd,
	ETH_LLDP = 0x88cc,
	SPORT = 40000,
	DPORT = 8080,
};

static const uint8_t MAC_SRC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t MAC_UNICAST[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t MAC_MCAST6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t SRC4[4] = { 192, 0, 2, 1 };
static const uint8_t DST4[4] = { 198, 51, 100, 7 };
static const uint8_t SRC6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* What build() puts in a frame. Zero fields mean "plain": unicast, no tag, no options, ... */
struct fspec {
	uint16_t ethertype;  /* after the tag, if any */
	const uint8_t *dmac; /* NULL: unicast */
	bool vlan;
	uint16_t tci;
	uint8_t proto;        /* IPv4 protocol / last IPv6 next header */
	uint8_t ip4_opt_len;  /* IPv4 option bytes (NOPs), multiple of 4 */
	uint16_t ip4_frag;    /* IPv4 flags + fragment offset field */
	uint8_t v6_ext[10];   /* IPv6 extension header types, in order */
	int v6_next;          /* how many of them */
	uint8_t v6_ext_units; /* hdr ext len of non-fragment ext headers: (n+1)*8 bytes */
	uint16_t v6_frag;     /* IPv6 fragment header offset|M field */
	uint32_t l4_cut;      /* bytes of the L4 header left outside the IP length */
	uint32_t payload;     /* bytes after the L4 header (or the body of a non-IP frame) */
	uint32_t pad;         /* Ethernet padding after the IP packet */
};

static uint8_t buf[BUF_MAX];

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t l4_hdr_len(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 20 : 8; /* UDP, ICMP, ... */
}

static uint32_t eth_hdr_len(const struct fspec *s)
{
	return s->vlan ? 18 : 14;
}

static void ip4_fix_csum(uint8_t *f, uint32_t l3)
{
	uint32_t hlen = (f[l3] & 0x0fu) * 4;

	uint16_t c;

	put16(f + l3 + 10, 0);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(f + l3, hlen, 0));
	memcpy(f + l3 + 10, &c, 2);
}

/* Writes the L4 header at f + l4 and returns how many L4 bytes the IP length covers. */
static uint32_t build_l4(const struct fspec *s, uint8_t *f, uint32_t l4)
{
	uint32_t covered = l4_hdr_len(s->proto) - s->l4_cut + s->payload;

	put16(f + l4, SPORT);
	put16(f + l4 + 2, DPORT);
	if (s->proto == IPPROTO_UDP)
		put16(f + l4 + 4, covered);
	if (s->proto == IPPROTO_TCP)
		f[l4 + 12] = 0x50; /* data offset 5 */
	memset(f + l4 + l4_hdr_len(s->proto), 0xab, s->payload);
	return covered;
}

static uint32_t build_ipv4(const struct fspec *s, uint8_t *f, uint32_t l3)
{
	uint32_t hlen = 20u + s->ip4_opt_len;
	uint32_t iplen = hlen + build_l4(s, f, l3 + hlen);

	f[l3] = (uint8_t)(0x40 | hlen / 4);
	put16(f + l3 + 2, iplen);
	put16(f + l3 + 4, 0x1234);
	put16(f + l3 + 6, s->ip4_frag);
	f[l3 + 8] = 64;
	f[l3 + 9] = s->proto;
	memcpy(f + l3 + 12, SRC4, 4);
	memcpy(f + l3 + 16, DST4, 4);
	memset(f + l3 + 20, 0x01, s->ip4_opt_len); /* NOP options */
	ip4_fix_csum(f, l3);
	return iplen;
}

static uint32_t build_ipv6(const struct fspec *s, uint8_t *f, uint32_t l3)
{
	uint32_t p = l3 + 40, plen;
	int i;

	for (i = 0; i < s->v6_next; i++) {
		f[p] = i + 1 < s->v6_next ? s->v6_ext[i + 1] : s->proto;
		if (s->v6_ext[i] == IPPROTO_FRAGMENT) {
			put16(f + p + 2, s->v6_frag);
			p += 8;
		} else {
			f[p + 1] = s->v6_ext_units; /* the rest stays zero: Pad1 options */
			p += (s->v6_ext_units + 1u) * 8;
		}
	}
	plen = p - l3 - 40 + build_l4(s, f, p);
	f[l3] = 0x60;
	put16(f + l3 + 4, plen);
	f[l3 + 6] = s->v6_next ? s->v6_ext[0] : s->proto;
	f[l3 + 7] = 64;
	memcpy(f + l3 + 8, SRC6, 16);
	memcpy(f + l3 + 24, DST6, 16);
	return 40 + plen;
}

/* Builds the frame described by *s into f (BUF_MAX bytes) and returns its length. */
static uint32_t build(const struct fspec *s, uint8_t *f)
{
	uint32_t l3 = eth_hdr_len(s), l3_len;

	memset(f, 0, BUF_MAX);
	memcpy(f, s->dmac ? s->dmac : MAC_UNICAST, 6);
	memcpy(f + 6, MAC_SRC, 6);
	if (s->vlan) {
		put16(f + 12, ETH_VLAN);
		put16(f + 14, s->tci);
	}
	put16(f + l3 - 2, s->ethertype);
	if (s->ethertype == ETH_IPV4)
		l3_len = build_ipv4(s, f, l3);
	else if (s->ethertype == ETH_IPV6)
		l3_len = build_ipv6(s, f, l3);
	else
		memset(f + l3, 0xcd, l3_len = s->payload);
	ck_assert_uint_le(l3 + l3_len + s->pad, BUF_MAX);
	return l3 + l3_len + s->pad;
}

static enum cls_status parse(uint32_t len, struct cls_result *r)
{
	return cls_parse(buf, len, true, r);
}

/* ck_assert_uint_eq that says which case failed: `what` names it, `field` is what was compared. */
static void expect_eq(const char *what, const char *field, uint64_t got, uint64_t want)
{
	ck_assert_msg(got == want, "%s: %s is %llu, expected %llu", what, field, (unsigned long long)got,
		      (unsigned long long)want);
}
#define EXPECT_EQ(what, got, want)     expect_eq((what), #got, (got), (want))
#define EXPECT_MEM(what, got, want, n) ck_assert_msg(memcmp((got), (want), (n)) == 0, "%s: %s differs", (what), #got)

/* The same for a parse status, by its name. */
static void expect_status(const char *what, enum cls_status got, enum cls_status want)
{
	ck_assert_msg(got == want, "%s: status %s, expected %s", what, cls_status_name(got), cls_status_name(want));
}

/* A frame parsed OK with ports: check the tuple build() writes and the layout. */
static void expect_tuple(const char *what, const struct cls_result *r, const struct fspec *s, uint16_t ip_hdr_len,
			 uint32_t l3_len)
{
	static const uint8_t zero[12];
	uint16_t l3_off = (uint16_t)eth_hdr_len(s);

	ck_assert_msg(r->flags & CLS_F_L4, "%s: no CLS_F_L4", what);
	EXPECT_EQ(what, r->proto, s->proto);
	EXPECT_EQ(what, r->ethertype, s->ethertype);
	EXPECT_EQ(what, r->src_port, SPORT);
	EXPECT_EQ(what, r->dst_port, DPORT);
	EXPECT_EQ(what, r->l3_off, l3_off);
	EXPECT_EQ(what, r->ip_hdr_len, ip_hdr_len);
	EXPECT_EQ(what, r->l4_off, l3_off + ip_hdr_len);
	EXPECT_EQ(what, r->l3_len, l3_len);
	if (s->ethertype == ETH_IPV4) {
		EXPECT_EQ(what, r->l3, CLS_L3_IPV4);
		EXPECT_MEM(what, r->src_addr, SRC4, 4);
		EXPECT_MEM(what, r->dst_addr, DST4, 4);
		EXPECT_MEM(what, r->src_addr + 4, zero, 12);
		EXPECT_MEM(what, r->dst_addr + 4, zero, 12);
	} else {
		EXPECT_EQ(what, r->l3, CLS_L3_IPV6);
		EXPECT_MEM(what, r->src_addr, SRC6, 16);
		EXPECT_MEM(what, r->dst_addr, DST6, 16);
	}
}

/* ---- well-formed frames ---- */

/* Frames with ports: each parses OK with exactly `flags`, the tuple build() wrote, and these lengths. */
static const struct tuple_case {
	const char *name;
	struct fspec s;
	uint8_t flags;
	uint16_t ip_hdr_len;
	uint32_t l3_len;
	uint32_t frame_len; /* 0: not checked */
} tuple_cases[] = {
	{ .name = "UDP over IPv4 gives ports, addresses and offsets",
	  .s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .payload = 10 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 8 + 10 },
	{ .name = "TCP over IPv4 gives ports, addresses and offsets",
	  .s = { .ethertype = ETH_IPV4, .proto = IPPROTO_TCP, .payload = 100 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 20 + 100 },
	{ .name = "UDP over IPv6 gives ports, addresses and offsets",
	  .s = { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .payload = 3 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 40,
	  .l3_len = 40 + 8 + 3 },
	{ .name = "TCP over IPv6 gives ports, addresses and offsets",
	  .s = { .ethertype = ETH_IPV6, .proto = IPPROTO_TCP },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 40,
	  .l3_len = 40 + 20 },
	{ .name = "IPv4 multicast MAC sets mcast, not bcast",
	  .s = { .ethertype = ETH_IPV4, .dmac = MAC_MCAST4, .proto = IPPROTO_UDP },
	  .flags = CLS_F_MCAST | CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 8 },
	{ .name = "IPv6 multicast MAC (33:33:...) sets mcast, not bcast",
	  .s = { .ethertype = ETH_IPV4, .dmac = MAC_MCAST6, .proto = IPPROTO_UDP },
	  .flags = CLS_F_MCAST | CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 8 },
	{ .name = "VLAN-tagged UDP over IPv4 gives the TCI, the inner ethertype and l3_off 18",
	  .s = { .ethertype = ETH_IPV4, .vlan = true, .tci = 0x2064, .proto = IPPROTO_UDP, .payload = 4 },
	  .flags = CLS_F_VLAN | CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 8 + 4 },
	{ .name = "IPv6 hop-by-hop header is skipped to UDP",
	  .s = { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .v6_ext = { IPPROTO_HOPOPTS }, .v6_next = 1 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 48,
	  .l3_len = 48 + 8 },
	{ .name = "IPv6 hop-by-hop, routing and destination options are skipped to TCP",
	  .s = { .ethertype = ETH_IPV6,
		 .proto = IPPROTO_TCP,
		 .v6_ext_units = 1,
		 .v6_ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS },
		 .v6_next = 3 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 40 + 3 * 16,
	  .l3_len = 40 + 3 * 16 + 20 },
	{ .name = "IPv6 328-byte destination options header gives an ip_hdr_len that does not wrap at 255",
	  .s = { .ethertype = ETH_IPV6,
		 .proto = IPPROTO_UDP,
		 .v6_ext_units = 40,
		 .v6_ext = { IPPROTO_DSTOPTS },
		 .v6_next = 1 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 40 + 328,
	  .l3_len = 40 + 328 + 8 },
	{ .name = "IPv6 chain of eight extension headers (the most) reaches UDP",
	  .s = { .ethertype = ETH_IPV6,
		 .proto = IPPROTO_UDP,
		 .v6_ext = { IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS,
			     IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS },
		 .v6_next = 8 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 40 + 8 * 8,
	  .l3_len = 40 + 8 * 8 + 8 },
	{ .name = "Ethernet padding after a short IPv4 packet is accepted",
	  .s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .payload = 2, .pad = 16 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 8 + 2,
	  .frame_len = 60 },
	{ .name = "Ethernet padding after a short IPv6 packet is accepted",
	  .s = { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .pad = 6 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 40,
	  .l3_len = 40 + 8 },
	{ .name = "IPv4 don't-fragment alone is not a fragment",
	  .s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .ip4_frag = 0x4000 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 20 + 8 },
	{ .name = "IPv4 first fragment has ports and frag_first",
	  .s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .ip4_frag = 0x2000, .payload = 1472 },
	  .flags = CLS_F_FRAG | CLS_F_FRAG_FIRST | CLS_F_L4,
	  .ip_hdr_len = 20,
	  .l3_len = 1500 },
	{ .name = "IPv6 first fragment has ports and frag_first",
	  .s = { .ethertype = ETH_IPV6,
		 .proto = IPPROTO_UDP,
		 .v6_frag = 0x0001,
		 .v6_ext = { IPPROTO_FRAGMENT },
		 .v6_next = 1,
		 .payload = 100 },
	  .flags = CLS_F_FRAG | CLS_F_FRAG_FIRST | CLS_F_L4,
	  .ip_hdr_len = 48,
	  .l3_len = 48 + 8 + 100 },
	/* RFC 6946: offset 0 without M is a whole datagram. */
	{ .name = "IPv6 atomic fragment is not flagged as a fragment",
	  .s = { .ethertype = ETH_IPV6,
		 .proto = IPPROTO_TCP,
		 .v6_frag = 0,
		 .v6_ext = { IPPROTO_FRAGMENT },
		 .v6_next = 1 },
	  .flags = CLS_F_L4,
	  .ip_hdr_len = 48,
	  .l3_len = 48 + 20 },
};
#define N_TUPLE_CASES (int)(sizeof(tuple_cases) / sizeof(tuple_cases[0]))

START_TEST(test_frame_with_ports_gives_flags_tuple_and_offsets)
{
	const struct tuple_case *c = &tuple_cases[_i];
	struct cls_result r;
	uint32_t len = build(&c->s, buf);

	if (c->frame_len)
		EXPECT_EQ(c->name, len, c->frame_len);
	expect_status(c->name, parse(len, &r), CLS_OK);
	EXPECT_EQ(c->name, r.flags, c->flags);
	if (c->s.vlan)
		EXPECT_EQ(c->name, r.vlan_tci, c->s.tci);
	expect_tuple(c->name, &r, &c->s, c->ip_hdr_len, c->l3_len);
}
END_TEST

/* Frames without ports: each parses OK as `l3` with exactly `flags`, its ethertype, protocol and l3_off. */
static const struct no_ports_case {
	const char *name;
	struct fspec s;
	enum cls_l3 l3;
	uint8_t flags;
} no_ports_cases[] = {
	{ .name = "ICMP over IPv4 is OK without ports",
	  .s = { .ethertype = ETH_IPV4, .proto = IPPROTO_ICMP, .payload = 56 },
	  .l3 = CLS_L3_IPV4 },
	{ .name = "ARP is OK without further checks", .s = { .ethertype = ETH_ARP, .payload = 28 }, .l3 = CLS_L3_ARP },
	{ .name = "unknown ethertype is l3 other", .s = { .ethertype = ETH_LLDP, .payload = 40 }, .l3 = CLS_L3_OTHER },
	{ .name = "broadcast MAC sets bcast, not mcast",
	  .s = { .ethertype = ETH_ARP, .dmac = MAC_BCAST, .payload = 28 },
	  .l3 = CLS_L3_ARP,
	  .flags = CLS_F_BCAST },
	{ .name = "second 802.1Q tag is l3 other",
	  .s = { .ethertype = ETH_VLAN, .vlan = true, .tci = 7, .payload = 50 },
	  .l3 = CLS_L3_OTHER,
	  .flags = CLS_F_VLAN },
	{ .name = "802.1ad tag inside an 802.1Q tag is l3 other",
	  .s = { .ethertype = ETH_QINQ, .vlan = true, .tci = 7, .payload = 50 },
	  .l3 = CLS_L3_OTHER,
	  .flags = CLS_F_VLAN },
};
#define N_NO_PORTS_CASES (int)(sizeof(no_ports_cases) / sizeof(no_ports_cases[0]))

START_TEST(test_frame_without_ports_gives_l3_and_flags)
{
	const struct no_ports_case *c = &no_ports_cases[_i];
	struct cls_result r;
	uint32_t len = build(&c->s, buf);

	expect_status(c->name, parse(len, &r), CLS_OK);
	EXPECT_EQ(c->name, r.l3, c->l3);
	EXPECT_EQ(c->name, r.flags, c->flags);
	EXPECT_EQ(c->name, r.ethertype, c->s.ethertype);
	EXPECT_EQ(c->name, r.proto, c->s.proto);
	EXPECT_EQ(c->name, r.l3_off, eth_hdr_len(&c->s));
	if (c->s.vlan)
		EXPECT_EQ(c->name, r.vlan_tci, c->s.tci);
}
END_TEST

/* The kernel validates ARP: even a frame with no ARP body at all is OK here. */
START_TEST(test_arp_without_a_body_is_ok)
{
	struct fspec s = { .ethertype = ETH_ARP, .payload = 28 };
	struct cls_result r;

	build(&s, buf);
	ck_assert_int_eq(parse(14, &r), CLS_OK);
	ck_assert_uint_eq(r.l3, CLS_L3_ARP);
}
END_TEST

/* The datapath gives apps only unicast frames to the NIC's MAC: cls_mac_eq decides "ours". */
START_TEST(test_unicast_frame_is_ours_only_for_its_own_destination_mac)
{
	static const uint8_t other[6] = { 0x02, 0x00, 0x00, 0x00, 0x77, 0x77 };
	struct fspec s = { .ethertype = ETH_IPV4, .dmac = MAC_UNICAST, .proto = IPPROTO_UDP };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	ck_assert_int_eq(parse(len, &r), CLS_OK);
	ck_assert_uint_eq(r.flags & (CLS_F_BCAST | CLS_F_MCAST), 0);
	ck_assert(cls_mac_eq(buf, MAC_UNICAST));
	ck_assert(!cls_mac_eq(buf, other));
	ck_assert(!cls_mac_eq(buf, MAC_SRC));
}
END_TEST

START_TEST(test_mac_eq_compares_all_six_bytes_at_any_alignment)
{
	uint8_t a[16], b[16];
	unsigned off, i, bit;

	for (off = 0; off < 8; off++) {
		memset(a, 0xa5, sizeof(a));
		memcpy(a + off, MAC_UNICAST, 6);
		memcpy(b + 7 - off, MAC_UNICAST, 6);
		ck_assert(cls_mac_eq(a + off, b + 7 - off));
		for (i = 0; i < 6; i++)
			for (bit = 0; bit < 8; bit++) {
				b[7 - off + i] ^= (uint8_t)(1u << bit);
				ck_assert_msg(!cls_mac_eq(a + off, b + 7 - off), "byte %u bit %u at offset %u", i, bit,
					      off);
				b[7 - off + i] ^= (uint8_t)(1u << bit);
			}
	}
	/* Bytes around the MAC do not count. */
	memset(a, 0x00, sizeof(a));
	memset(b, 0xff, sizeof(b));
	memcpy(a + 1, MAC_BCAST, 6);
	memcpy(b + 1, MAC_BCAST, 6);
	ck_assert(cls_mac_eq(a + 1, b + 1));
}
END_TEST

/* One more than the eight in tuple_cases: the parser stops following the chain, without ports. */
START_TEST(test_ipv6_ext_chain_of_nine_stops_without_ports)
{
	struct fspec s = { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .v6_next = 9 };
	struct cls_result r;
	uint32_t len;

	memset(s.v6_ext, IPPROTO_DSTOPTS, sizeof(s.v6_ext));
	len = build(&s, buf);
	ck_assert_int_eq(parse(len, &r), CLS_OK);
	ck_assert_uint_eq(r.l3, CLS_L3_IPV6);
	ck_assert_uint_eq(r.proto, IPPROTO_DSTOPTS);
	ck_assert_uint_eq(r.flags, 0);
}
END_TEST

/* ---- Ethernet and IPv4 failures ---- */

START_TEST(test_frames_shorter_than_ethernet_header_are_runts)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP };
	struct cls_result r;

	build(&s, buf);
	ck_assert_int_eq(cls_parse(NULL, 0, true, &r), CLS_RUNT);
	ck_assert_int_eq(parse(0, &r), CLS_RUNT);
	ck_assert_int_eq(parse(13, &r), CLS_RUNT);
}
END_TEST

START_TEST(test_vlan_frame_shorter_than_tag_is_runt)
{
	struct fspec s = { .ethertype = ETH_IPV4, .vlan = true, .proto = IPPROTO_UDP };
	struct cls_result r;

	build(&s, buf);
	ck_assert_int_eq(parse(16, &r), CLS_RUNT);
	ck_assert_int_eq(parse(17, &r), CLS_RUNT);
	ck_assert_int_eq(parse(18, &r), CLS_TRUNCATED); /* tag complete, IPv4 header missing */
}
END_TEST

/* A frame cut short of what its IP header announces: `len` bytes of it (0: all but the last byte). */
static const struct short_case {
	const char *name;
	struct fspec s;
	uint32_t len;
	enum cls_status status;
	enum cls_l3 l3;
} short_cases[] = {
	{ "IPv4 header cut short is truncated",
	  { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP },
	  14 + 19,
	  CLS_TRUNCATED,
	  CLS_L3_IPV4 },
	{ "IPv4 total length past the frame is bad_totlen",
	  { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .payload = 10 },
	  0,
	  CLS_BAD_TOTLEN,
	  CLS_L3_IPV4 },
	{ "IPv6 fixed header cut short is truncated",
	  { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP },
	  14 + 39,
	  CLS_TRUNCATED,
	  CLS_L3_IPV6 },
	{ "IPv6 payload length past the frame is bad_totlen",
	  { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .payload = 8 },
	  0,
	  CLS_BAD_TOTLEN,
	  CLS_L3_IPV6 },
};
#define N_SHORT_CASES (int)(sizeof(short_cases) / sizeof(short_cases[0]))

START_TEST(test_frame_shorter_than_its_ip_header_says_is_refused)
{
	const struct short_case *c = &short_cases[_i];
	struct cls_result r;
	uint32_t len = build(&c->s, buf);

	expect_status(c->name, parse(c->len ? c->len : len - 1, &r), c->status);
	EXPECT_EQ(c->name, r.l3, c->l3);
}
END_TEST

START_TEST(test_ip_version_not_matching_ethertype_is_bad_version)
{
	struct fspec s4 = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP };
	struct fspec s6 = { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP };
	struct cls_result r;
	uint32_t len;

	len = build(&s4, buf);
	buf[14] = 0x65;
	ck_assert_int_eq(parse(len, &r), CLS_BAD_VERSION);
	len = build(&s6, buf);
	buf[14] = 0x45;
	ck_assert_int_eq(parse(len, &r), CLS_BAD_VERSION);
}
END_TEST

START_TEST(test_ipv4_ihl_below_5_is_bad_ihl)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	buf[14] = 0x44;
	ck_assert_int_eq(parse(len, &r), CLS_BAD_IHL);
	buf[14] = 0x40;
	ck_assert_int_eq(parse(len, &r), CLS_BAD_IHL);
}
END_TEST

START_TEST(test_ipv4_ihl_past_frame_is_truncated)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP }; /* 28 bytes of IP */
	struct cls_result r;
	uint32_t len = build(&s, buf);

	buf[14] = 0x4f; /* 60-byte header */
	ck_assert_int_eq(parse(len, &r), CLS_TRUNCATED);
}
END_TEST

START_TEST(test_ipv4_total_length_below_header_is_bad_totlen)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .ip4_opt_len = 8 };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	put16(buf + 14 + 2, 27); /* header alone is 28 */
	ip4_fix_csum(buf, 14);
	ck_assert_int_eq(parse(len, &r), CLS_BAD_TOTLEN);
}
END_TEST

START_TEST(test_ipv4_bad_checksum_is_refused_when_verifying)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	buf[14 + 10] ^= 0x01;
	ck_assert_int_eq(parse(len, &r), CLS_BAD_CSUM);
}
END_TEST

START_TEST(test_ipv4_bad_checksum_is_accepted_without_verify)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	buf[14 + 10] ^= 0x01;
	ck_assert_int_eq(cls_parse(buf, len, false, &r), CLS_OK);
	expect_tuple("bad checksum without verify", &r, &s, 20, 28);
}
END_TEST

START_TEST(test_ipv4_options_are_skipped_to_ports_and_checksummed)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_TCP, .ip4_opt_len = 12 };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	ck_assert_int_eq(parse(len, &r), CLS_OK);
	expect_tuple("IPv4 options", &r, &s, 32, 32 + 20);
	buf[14 + 20 + 11] ^= 0x02; /* last option byte is covered by the checksum */
	ck_assert_int_eq(parse(len, &r), CLS_BAD_CSUM);
}
END_TEST

/* A later fragment needs no L4 header: these are shorter than a UDP header, and parse OK without ports. */
#define LATER4(frag_)                                                                         \
	{                                                                                     \
		.ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .ip4_frag = (frag_), .l4_cut = 5 \
	}
/* IPv6 fragment header field: offset (in 8-byte units) << 3 | M. */
#define LATER6(frag_)                                                                      \
	{                                                                                  \
		.ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .v6_frag = (frag_),           \
		.v6_ext = { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT }, .v6_next = 2, .l4_cut = 6 \
	}

static const struct later_frag_case {
	const char *name;
	struct fspec s;
	uint16_t ip_hdr_len;
	uint32_t l3_len;
} later_frag_cases[] = {
	{ "IPv4 middle fragment at the smallest offset", LATER4(0x2000 | 1), 20, 23 },
	{ "IPv4 middle fragment", LATER4(0x2000 | 185), 20, 23 },
	{ "IPv4 last fragment", LATER4(185), 20, 23 },
	{ "IPv4 last fragment at the largest offset", LATER4(0x1fff), 20, 23 },
	{ "IPv6 last fragment at the smallest offset", LATER6(1 << 3), 56, 58 },
	{ "IPv6 middle fragment", LATER6(185 << 3 | 1), 56, 58 },
	{ "IPv6 last fragment at the largest offset", LATER6(0xfff8), 56, 58 },
};
#define N_LATER_FRAG_CASES (int)(sizeof(later_frag_cases) / sizeof(later_frag_cases[0]))

START_TEST(test_later_fragments_have_no_ports)
{
	const struct later_frag_case *c = &later_frag_cases[_i];
	struct cls_result r;
	uint32_t len = build(&c->s, buf);

	expect_status(c->name, parse(len, &r), CLS_OK);
	EXPECT_EQ(c->name, r.flags, CLS_F_FRAG);
	EXPECT_EQ(c->name, r.proto, IPPROTO_UDP);
	EXPECT_EQ(c->name, r.ip_hdr_len, c->ip_hdr_len);
	EXPECT_EQ(c->name, r.l3_len, c->l3_len);
	if (c->s.ethertype == ETH_IPV4)
		EXPECT_MEM(c->name, r.dst_addr, DST4, 4);
	else
		EXPECT_MEM(c->name, r.dst_addr, DST6, 16);
}
END_TEST

/* The IP length ends one byte into the L4 header; padding after the IP packet must not count as L4 bytes. */
static const struct l4_cut_case {
	const char *name;
	struct fspec s;
} l4_cut_cases[] = {
	{ "UDP over IPv4", { .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .l4_cut = 1, .pad = 30 } },
	{ "TCP over IPv4", { .ethertype = ETH_IPV4, .proto = IPPROTO_TCP, .l4_cut = 1, .pad = 30 } },
	{ "UDP over IPv6", { .ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .l4_cut = 1, .pad = 30 } },
	{ "TCP over IPv6", { .ethertype = ETH_IPV6, .proto = IPPROTO_TCP, .l4_cut = 1, .pad = 30 } },
};
#define N_L4_CUT_CASES (int)(sizeof(l4_cut_cases) / sizeof(l4_cut_cases[0]))

START_TEST(test_l4_header_cut_by_ip_length_is_truncated)
{
	const struct l4_cut_case *c = &l4_cut_cases[_i];
	struct cls_result r;
	uint32_t len = build(&c->s, buf);

	expect_status(c->name, parse(len, &r), CLS_TRUNCATED);
	EXPECT_EQ(c->name, r.flags & CLS_F_L4, 0);
}
END_TEST

START_TEST(test_first_fragment_too_short_for_l4_header_is_truncated)
{
	struct fspec s = { .ethertype = ETH_IPV4, .proto = IPPROTO_TCP, .ip4_frag = 0x2000, .l4_cut = 12 };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	ck_assert_int_eq(parse(len, &r), CLS_TRUNCATED);
}
END_TEST

/* ---- IPv6 failures and fragments ---- */

START_TEST(test_ipv6_ext_header_past_payload_is_truncated)
{
	struct fspec s = {
		.ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .payload = 16, .v6_ext = { IPPROTO_HOPOPTS }, .v6_next = 1
	};
	struct cls_result r;
	uint32_t len = build(&s, buf);

	buf[14 + 40 + 1] = 4; /* claims 40 bytes; 32 are left in the payload */
	ck_assert_int_eq(parse(len, &r), CLS_TRUNCATED);
	put16(buf + 14 + 4, 4); /* payload shorter than an extension header's 8 bytes */
	ck_assert_int_eq(parse(len, &r), CLS_TRUNCATED);
}
END_TEST

/*
 * A first-fragment header followed by a later-fragment one (found by
 * fuzz_classify): the frame is a later fragment, not a first one without
 * ports, which would break the promise of CLS_F_FRAG_FIRST.
 */
START_TEST(test_ipv6_later_fragment_header_after_first_one_is_a_later_fragment)
{
	struct fspec s = { .ethertype = ETH_IPV6,
			   .proto = IPPROTO_TCP,
			   .v6_ext = { IPPROTO_FRAGMENT, IPPROTO_FRAGMENT },
			   .v6_next = 2,
			   .v6_frag = 0x0001 };
	struct cls_result r;
	uint32_t len = build(&s, buf);

	put16(buf + 14 + 48 + 2, 185 << 3); /* the second header: offset 185, no more fragments */
	len -= 20;                          /* and no TCP header: a later fragment carries none */
	put16(buf + 14 + 4, len - 14 - 40);
	ck_assert_int_eq(parse(len, &r), CLS_OK);
	ck_assert_uint_eq(r.l3, CLS_L3_IPV6);
	ck_assert_uint_eq(r.flags & (CLS_F_FRAG | CLS_F_FRAG_FIRST | CLS_F_L4), CLS_F_FRAG);
}
END_TEST

/* ---- status names and checksum ---- */

START_TEST(test_status_names_are_the_counter_suffixes)
{
	ck_assert_str_eq(cls_status_name(CLS_OK), "ok");
	ck_assert_str_eq(cls_status_name(CLS_RUNT), "runt");
	ck_assert_str_eq(cls_status_name(CLS_TRUNCATED), "truncated");
	ck_assert_str_eq(cls_status_name(CLS_BAD_VERSION), "bad_version");
	ck_assert_str_eq(cls_status_name(CLS_BAD_IHL), "bad_ihl");
	ck_assert_str_eq(cls_status_name(CLS_BAD_TOTLEN), "bad_totlen");
	ck_assert_str_eq(cls_status_name(CLS_BAD_CSUM), "bad_csum");
	ck_assert_str_eq(cls_status_name(CLS_STATUS_COUNT), "unknown");
	ck_assert_str_eq(cls_status_name((enum cls_status) - 1), "unknown");
}
END_TEST

START_TEST(test_csum_matches_rfc1071_and_handles_odd_and_unaligned_data)
{
	/* RFC 1071 section 3 example: the sum is 0xddf2 */
	const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* a real IPv4 header whose checksum field holds 0xb861 */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t odd[9];

	uint16_t c;

	/* Sums are in memory order: ntohs reads them as RFC 1071 writes them. */
	ck_assert_uint_eq(ntohs(ms_csum_fold(ms_csum_add(rfc, 8, 0))), 0xddf2);
	ck_assert_uint_eq(ms_csum_fold(ms_csum_add(rfc + 4, 4, ms_csum_add(rfc, 4, 0))),
			  ms_csum_fold(ms_csum_add(rfc, 8, 0)));
	odd[0] = 0x99;
	memcpy(odd + 1, rfc, 8); /* same bytes at an odd address */
	ck_assert_uint_eq(ms_csum_add(odd + 1, 8, 0), ms_csum_add(rfc, 8, 0));
	ck_assert_uint_eq(ntohs(ms_csum_fold(ms_csum_add(odd, 3, 0))), 0x9900 + 0x0100); /* 99 00 | 01 (00) */
	ck_assert_uint_eq(ms_csum_fold(0x0001ffff), 0x0001);
	ck_assert_uint_eq(ms_csum_fold(0xffffffff), 0xffff);
	ck_assert_uint_eq(ms_csum_fold(0xffffffffffffffffULL), 0xffff);
	ck_assert_uint_eq(ms_csum_fold(ms_csum_add(ip, 20, 0)), 0xffff);
	ip[10] = ip[11] = 0;
	c = (uint16_t)~ms_csum_fold(ms_csum_add(ip, 20, 0));
	ck_assert_uint_eq(ntohs(c), 0xb861);
}
END_TEST

/* ---- robustness: every read stays in [frame, frame+len) (run under ASan/valgrind) ---- */

/* Parses a private heap copy of exactly len bytes, at an odd address when misalign. */
static enum cls_status parse_exact(const uint8_t *f, uint32_t len, bool verify, bool misalign, struct cls_result *r)
{
	uint8_t *mem = malloc(len + misalign + 1u);
	enum cls_status st;

	ck_assert_ptr_nonnull(mem);
	memcpy(mem + misalign, f, len);
	st = cls_parse(mem + misalign, len, verify, r);
	free(mem);
	ck_assert_uint_lt((unsigned)st, CLS_STATUS_COUNT);
	ck_assert_uint_le(r->l3, CLS_L3_ARP);
	if (st == CLS_OK && (r->flags & CLS_F_L4))
		ck_assert_uint_le(r->l4_off + l4_hdr_len(r->proto), len);
	return st;
}

/* The payload ends 0..7 bytes into an announced extension header, at the very end of the frame. */
START_TEST(test_ipv6_payload_ending_inside_ext_header_is_truncated)
{
	const uint8_t ext[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT };
	struct cls_result r;
	uint32_t plen;
	size_t i;

	for (i = 0; i < sizeof(ext); i++) {
		struct fspec s = {
			.ethertype = ETH_IPV6, .proto = IPPROTO_UDP, .v6_frag = 1, .v6_ext = { ext[i] }, .v6_next = 1
		};

		for (plen = 0; plen < 8; plen++) {
			build(&s, buf);
			put16(buf + 14 + 4, plen);
			ck_assert_int_eq(parse_exact(buf, 14 + 40 + plen, true, false, &r), CLS_TRUNCATED);
		}
	}
}
END_TEST

static const struct fspec valid_frames[] = {
	{ .ethertype = ETH_IPV4, .vlan = true, .proto = IPPROTO_UDP, .ip4_opt_len = 8, .payload = 5, .pad = 3 },
	{ .ethertype = ETH_IPV4, .proto = IPPROTO_TCP, .ip4_frag = 0x2000, .payload = 7 },
	{ .ethertype = ETH_IPV4, .proto = IPPROTO_UDP, .ip4_frag = 100 },
	{ .ethertype = ETH_IPV6,
	  .proto = IPPROTO_TCP,
	  .v6_ext_units = 1,
	  .v6_ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT },
	  .v6_next = 3,
	  .v6_frag = 1,
	  .payload = 9 },
	{ .ethertype = ETH_IPV6,
	  .vlan = true,
	  .proto = IPPROTO_UDP,
	  .v6_frag = 8,
	  .v6_ext = { IPPROTO_FRAGMENT },
	  .v6_next = 1 },
	{ .ethertype = ETH_ARP, .dmac = MAC_BCAST, .payload = 28 },
};
#define N_VALID (sizeof(valid_frames) / sizeof(valid_frames[0]))

START_TEST(test_every_prefix_of_valid_frames_stays_in_bounds)
{
	struct cls_result r;
	uint32_t n, len;
	size_t i;

	for (i = 0; i < N_VALID; i++) {
		len = build(&valid_frames[i], buf);
		for (n = 0; n <= len; n++)
			parse_exact(buf, n, true, n & 1, &r);
		ck_assert_int_eq(parse_exact(buf, len, true, false, &r), CLS_OK);
	}
}
END_TEST

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) /* xorshift32: the same sequence on every libc */
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

START_TEST(test_random_and_mutated_frames_stay_in_bounds)
{
	static const uint16_t ethertypes[] = { ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_ARP, ETH_QINQ };
	unsigned n_l4 = 0;
	struct cls_result r;
	uint32_t len, i, k;
	int iter;

	for (iter = 0; iter < 5000; iter++) {
		if (iter & 1) {
			/* A valid frame with a few bytes flipped and a random cut. */
			len = build(&valid_frames[rng() % N_VALID], buf);
			for (k = rng() % 4; k > 0; k--)
				buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
			len -= rng() % 4 == 0 ? rng() % (len + 1) : 0;
		} else {
			/* Random bytes behind a plausible L2/L3 start, to get past the first checks. */
			len = rng() % 200;
			for (i = 0; i < len; i++)
				buf[i] = (uint8_t)rng();
			put16(buf + 12, ethertypes[rng() % 5]);
			put16(buf + 16, ethertypes[rng() % 5]);
			buf[14] = (uint8_t)((rng() & 1 ? 0x40 : 0x60) | (rng() % 16));
			buf[18] = (uint8_t)((rng() & 1 ? 0x40 : 0x60) | (rng() % 16));
		}
		if (parse_exact(buf, len, rng() & 1, rng() & 1, &r) == CLS_OK && (r.flags & CLS_F_L4))
			n_l4++;
	}
	ck_assert_uint_gt(n_l4, 100); /* the inputs reached the port reader, not only L2 */
}
END_TEST

/* ------------------------------------------------------------ ICMP errors */

/*
 * An ICMP error from the peer (SRC4/SRC6) to the host (DST4/DST6) about the
 * packet the host sent on the flow that build() receives: from the host's
 * DPORT to the peer's SPORT.
 */
struct icmp_spec {
	int family;      /* AF_INET or AF_INET6 */
	uint8_t type;    /* ICMP or ICMPv6 type */
	uint8_t qproto;  /* the quoted packet's protocol */
	uint32_t q_l4;   /* bytes of the quoted transport header (RFC 792: at least 8) */
	uint16_t q_frag; /* the quoted IPv4 flags + fragment offset field */
	bool bad_csum;   /* corrupt the ICMP checksum */
};

/* Builds the error into buf and returns the frame's length. */
static uint32_t build_icmp(const struct icmp_spec *s)
{
	bool v4 = s->family == AF_INET;
	uint32_t l3 = 14, ihl = v4 ? 20 : 40, m = l3 + ihl, q = m + 8, mlen = 8 + ihl + s->q_l4;
	const uint8_t *host = v4 ? DST4 : DST6, *peer = v4 ? SRC4 : SRC6;
	uint64_t sum = 0;
	uint16_t c;

	memset(buf, 0, BUF_MAX);
	memcpy(buf, MAC_UNICAST, 6);
	memcpy(buf + 6, MAC_SRC, 6);
	put16(buf + 12, v4 ? ETH_IPV4 : ETH_IPV6);
	/* The quote: the host's packet as it left, then its first q_l4 transport bytes. */
	if (v4) {
		buf[q] = 0x45;
		put16(buf + q + 2, 20 + 8 + 1200);
		put16(buf + q + 6, s->q_frag);
		buf[q + 8] = 1;
		buf[q + 9] = s->qproto;
		memcpy(buf + q + 12, host, 4);
		memcpy(buf + q + 16, peer, 4);
		ip4_fix_csum(buf, q);
	} else {
		buf[q] = 0x60;
		put16(buf + q + 4, 8 + 1400);
		buf[q + 6] = s->qproto;
		buf[q + 7] = 1;
		memcpy(buf + q + 8, host, 16);
		memcpy(buf + q + 24, peer, 16);
	}
	put16(buf + q + ihl, DPORT);
	put16(buf + q + ihl + 2, SPORT);
	/* The message: type, code 0 (4 for fragmentation needed), checksum, an MTU. */
	buf[m] = s->type;
	buf[m + 1] = v4 && s->type == 3 ? 4 : 0;
	put16(buf + m + 6, 1280);
	/* The outer header, from the peer to the host. */
	if (v4) {
		buf[l3] = 0x45;
		put16(buf + l3 + 2, ihl + mlen);
		buf[l3 + 8] = 64;
		buf[l3 + 9] = IPPROTO_ICMP;
		memcpy(buf + l3 + 12, peer, 4);
		memcpy(buf + l3 + 16, host, 4);
		ip4_fix_csum(buf, l3);
	} else {
		uint8_t pseudo[8] = { 0, 0, (uint8_t)(mlen >> 8), (uint8_t)mlen, 0, 0, 0, IPPROTO_ICMPV6 };

		buf[l3] = 0x60;
		put16(buf + l3 + 4, mlen);
		buf[l3 + 6] = IPPROTO_ICMPV6;
		buf[l3 + 7] = 64;
		memcpy(buf + l3 + 8, peer, 16);
		memcpy(buf + l3 + 24, host, 16);
		sum = ms_csum_add(peer, 16, ms_csum_add(host, 16, ms_csum_add(pseudo, 8, 0)));
	}
	c = (uint16_t)~ms_csum_fold(ms_csum_add(buf + m, mlen, sum));
	memcpy(buf + m + 2, &c, 2);
	if (s->bad_csum)
		buf[m + 2] ^= 0x01;
	return m + mlen;
}

static const struct icmp_case {
	const char *name;
	struct icmp_spec spec;
	enum cls_icmp want;
} icmp_cases[] = {
	{ "ICMP fragmentation needed quoting UDP gives the quoted tuple",
	  { AF_INET, 3, IPPROTO_UDP, 8, 0, false },
	  CLS_ICMP_QUOTE },
	{ "ICMP time exceeded quoting TCP (8 bytes of it) gives the quoted tuple",
	  { AF_INET, 11, IPPROTO_TCP, 8, 0, false },
	  CLS_ICMP_QUOTE },
	{ "ICMP parameter problem gives the quoted tuple",
	  { AF_INET, 12, IPPROTO_UDP, 8, 0x4000, false },
	  CLS_ICMP_QUOTE },
	{ "ICMPv6 packet too big quoting UDP gives the quoted tuple",
	  { AF_INET6, 2, IPPROTO_UDP, 8, 0, false },
	  CLS_ICMP_QUOTE },
	{ "ICMPv6 destination unreachable gives the quoted tuple",
	  { AF_INET6, 1, IPPROTO_TCP, 20, 0, false },
	  CLS_ICMP_QUOTE },
	{ "ICMPv6 time exceeded gives the quoted tuple", { AF_INET6, 3, IPPROTO_UDP, 8, 0, false }, CLS_ICMP_QUOTE },
	{ "ICMPv6 parameter problem gives the quoted tuple",
	  { AF_INET6, 4, IPPROTO_UDP, 8, 0, false },
	  CLS_ICMP_QUOTE },
	{ "ICMP quote with 4 transport bytes is malformed",
	  { AF_INET, 3, IPPROTO_UDP, 4, 0, false },
	  CLS_ICMP_MALFORMED },
	{ "ICMP quote with no transport bytes is malformed",
	  { AF_INET, 3, IPPROTO_UDP, 0, 0, false },
	  CLS_ICMP_MALFORMED },
	{ "ICMPv6 quote with 7 transport bytes is malformed",
	  { AF_INET6, 2, IPPROTO_UDP, 7, 0, false },
	  CLS_ICMP_MALFORMED },
	{ "ICMP error with a bad checksum is malformed", { AF_INET, 3, IPPROTO_UDP, 8, 0, true }, CLS_ICMP_MALFORMED },
	{ "ICMPv6 error with a bad checksum is malformed",
	  { AF_INET6, 2, IPPROTO_UDP, 8, 0, true },
	  CLS_ICMP_MALFORMED },
	{ "ICMP error quoting ICMP has no tuple", { AF_INET, 3, IPPROTO_ICMP, 8, 0, false }, CLS_ICMP_NO_TUPLE },
	{ "ICMP error quoting a later fragment has no tuple",
	  { AF_INET, 11, IPPROTO_UDP, 8, 185, false },
	  CLS_ICMP_NO_TUPLE },
	{ "ICMP echo request is not an error", { AF_INET, 8, IPPROTO_UDP, 8, 0, false }, CLS_ICMP_NOT_ERROR },
	{ "ICMP redirect is not an error an app is told about",
	  { AF_INET, 5, IPPROTO_UDP, 8, 0, false },
	  CLS_ICMP_NOT_ERROR },
	{ "ICMPv6 echo request is not an error", { AF_INET6, 128, IPPROTO_UDP, 8, 0, false }, CLS_ICMP_NOT_ERROR },
};
#define N_ICMP_CASES (int)(sizeof(icmp_cases) / sizeof(icmp_cases[0]))

START_TEST(test_icmp_error_gives_the_quoted_tuple_only_when_well_formed)
{
	const struct icmp_case *c = &icmp_cases[_i];
	uint32_t len = build_icmp(&c->spec);
	struct cls_result r, q;
	struct ms_tuple t;

	expect_status(c->name, parse(len, &r), CLS_OK);
	ck_assert_msg(!(r.flags & CLS_F_L4), "%s: an ICMP message has no ports", c->name);
	ck_assert_msg(cls_icmp_quote(buf, &r, &q) == c->want, "%s: got %d", c->name, cls_icmp_quote(buf, &r, &q));
	if (c->want != CLS_ICMP_QUOTE)
		return;
	/* The app's tuple is the quote's source: the host's address and port. */
	cls_quote_tuple(&q, &t);
	ck_assert_uint_eq(t.proto, c->spec.qproto);
	ck_assert_uint_eq(t.family, c->spec.family);
	ck_assert_uint_eq(t.port, DPORT);
	ck_assert_mem_eq(t.addr, c->spec.family == AF_INET ? DST4 : DST6, c->spec.family == AF_INET ? 4 : 16);
	ck_assert_uint_eq(q.dst_port, SPORT);
}
END_TEST

START_TEST(test_icmp_error_takes_the_queue_of_the_flow_it_quotes)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		struct icmp_spec is = { families[i], families[i] == AF_INET ? 3 : 2, IPPROTO_UDP, 8, 0, false };
		struct fspec fs = { .ethertype = families[i] == AF_INET ? ETH_IPV4 : ETH_IPV6, .proto = IPPROTO_UDP };
		struct cls_result r, q, flow;

		/* A received frame of the flow: peer SPORT -> host DPORT. */
		expect_status("flow frame", parse(build(&fs, buf), &flow), CLS_OK);
		expect_status("icmp", parse(build_icmp(&is), &r), CLS_OK);
		ck_assert_int_eq(cls_icmp_quote(buf, &r, &q), CLS_ICMP_QUOTE);
		ck_assert_uint_eq(cls_quote_flow_hash(&q), cls_flow_hash(&flow));
	}
}
END_TEST

START_TEST(test_icmp_quote_cut_anywhere_is_refused_and_never_read_past_the_message)
{
	struct icmp_spec is = { AF_INET6, 2, IPPROTO_UDP, 8, 0, false };
	uint32_t full = build_icmp(&is), len;

	/* A shorter IP length over the same bytes: every cut is refused or parsed within bounds. */
	for (len = 14 + 40; len < full; len++) {
		struct cls_result r, q;
		uint8_t *copy = malloc(len);

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, len);
		put16(copy + 14 + 4, len - 14 - 40);
		if (len >= 14 + 40 + 4) {
			/* A correct checksum over what is left, so that the quote's own checks are what refuses it. */
			uint32_t mlen = len - 14 - 40;
			uint8_t pseudo[8] = { 0, 0, (uint8_t)(mlen >> 8), (uint8_t)mlen, 0, 0, 0, IPPROTO_ICMPV6 };
			uint16_t c;

			put16(copy + 14 + 40 + 2, 0);
			c = (uint16_t)~ms_csum_fold(ms_csum_add(
			    copy + 14 + 40, mlen, ms_csum_add(copy + 14 + 8, 32, ms_csum_add(pseudo, 8, 0))));
			memcpy(copy + 14 + 40 + 2, &c, 2);
		}
		if (cls_parse(copy, len, true, &r) == CLS_OK)
			ck_assert_int_ne(cls_icmp_quote(copy, &r, &q),
					 CLS_ICMP_QUOTE); /* checksum or quote too short */
		free(copy);
	}
}
END_TEST

static Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc;

	tc = tcase_create("well_formed");
	tcase_add_loop_test(tc, test_frame_with_ports_gives_flags_tuple_and_offsets, 0, N_TUPLE_CASES);
	tcase_add_loop_test(tc, test_frame_without_ports_gives_l3_and_flags, 0, N_NO_PORTS_CASES);
	tcase_add_test(tc, test_arp_without_a_body_is_ok);
	tcase_add_test(tc, test_unicast_frame_is_ours_only_for_its_own_destination_mac);
	tcase_add_test(tc, test_ipv6_ext_chain_of_nine_stops_without_ports);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, test_frames_shorter_than_ethernet_header_are_runts);
	tcase_add_test(tc, test_vlan_frame_shorter_than_tag_is_runt);
	tcase_add_loop_test(tc, test_frame_shorter_than_its_ip_header_says_is_refused, 0, N_SHORT_CASES);
	tcase_add_test(tc, test_ip_version_not_matching_ethertype_is_bad_version);
	tcase_add_test(tc, test_ipv4_ihl_below_5_is_bad_ihl);
	tcase_add_test(tc, test_ipv4_ihl_past_frame_is_truncated);
	tcase_add_test(tc, test_ipv4_total_length_below_header_is_bad_totlen);
	tcase_add_test(tc, test_ipv4_bad_checksum_is_refused_when_verifying);
	tcase_add_test(tc, test_ipv4_bad_checksum_is_accepted_without_verify);
	tcase_add_test(tc, test_ipv4_options_are_skipped_to_ports_and_checksummed);
	tcase_add_loop_test(tc, test_l4_header_cut_by_ip_length_is_truncated, 0, N_L4_CUT_CASES);
	tcase_add_test(tc, test_first_fragment_too_short_for_l4_header_is_truncated);
	tcase_add_test(tc, test_ipv6_ext_header_past_payload_is_truncated);
	tcase_add_test(tc, test_ipv6_later_fragment_header_after_first_one_is_a_later_fragment);
	suite_add_tcase(s, tc);

	tc = tcase_create("fragments");
	tcase_add_loop_test(tc, test_later_fragments_have_no_ports, 0, N_LATER_FRAG_CASES);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp_errors");
	tcase_add_loop_test(tc, test_icmp_error_gives_the_quoted_tuple_only_when_well_formed, 0, N_ICMP_CASES);
	tcase_add_test(tc, test_icmp_error_takes_the_queue_of_the_flow_it_quotes);
	tcase_add_test(tc, test_icmp_quote_cut_anywhere_is_refused_and_never_read_past_the_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, test_status_names_are_the_counter_suffixes);
	tcase_add_test(tc, test_mac_eq_compares_all_six_bytes_at_any_alignment);
	tcase_add_test(tc, test_csum_matches_rfc1071_and_handles_odd_and_unaligned_data);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_add_test(tc, test_ipv6_payload_ending_inside_ext_header_is_truncated);
	tcase_add_test(tc, test_every_prefix_of_valid_frames_stays_in_bounds);
	tcase_add_test(tc, test_random_and_mutated_frames_stay_in_bounds);
	suite_add_tcase(s, tc);

	return s;
}

CHECK_MAIN(classify_suite)
