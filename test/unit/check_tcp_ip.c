/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_ip.c - frames to segments and back: lengths, checksums, fragments, ICMP errors quoting our segments. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mstack/ms_csum.h>

#include "tcp_ip.h"
#include "tcp_opt.h"
#include "check_main.h"

/*
 * Frames written by scapy 2.5 (Debian 12), so that the checksums come from
 * an independent implementation:
 *   Ether(dst="02:99:88:77:66:55", src="02:00:5e:10:20:30")
 *   / IP(src="10.0.0.1", dst="192.0.2.7", id=0, flags="DF", ttl=64)
 *   / TCP(sport=80, dport=40000, seq=0x01020304, ack=0x0a0b0c0d, flags="PA", window=502,
 *         options=[("NOP", None), ("NOP", None), ("Timestamp", (123456, 654321))]) / b"x"
 * TCP checksum 0x9bca, IP header checksum 0x6ebb.
 */
static const char scapy_v4[] = "02998877665502005e1020300800450000350000400040066ebb0a000001c000020700509c40"
			       "010203040a0b0c0d801801f69bca00000101080a0001e2400009fbf178";
/*
 *   Ether(...) / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64)
 *   / TCP(sport=443, dport=50000, seq=7, ack=0, flags="S", window=64800,
 *         options=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])
 *   / b"abc"
 * TCP checksum 0x6605.
 */
static const char scapy_v6[] = "02998877665502005e10203086dd60000000002b064020010db80000000000000000000000012001"
			       "0db800000000000000000000000201bbc3500000000700000000a002fd2066050000020405a00402"
			       "080a000000010000000001030307616263";
/*
 * Ether(dst=.., src=..) / IP(src="192.0.2.254", dst="10.0.0.1", ttl=255)
 * / ICMP(type=3, code=4, nexthopmtu=1400) / the v4 frame's first 28 IP bytes. ICMP checksum 0x56ed.
 */
static const char scapy_icmp4[] = "02005e10203002998877665508004500003800010000ff01eec4c00002fe0a000001030456ed0000"
				  "0578450000350000400040066ebb0a000001c000020700509c4001020304";
/* ... / IPv6(src="2001:db8::fe", dst="2001:db8::1") / ICMPv6PacketTooBig(mtu=1400) / the v6 frame's first 48. */
static const char scapy_icmp6[] = "02005e10203002998877665586dd6000000000383aff20010db80000000000000000000000fe2001"
				  "0db8000000000000000000000001020014b10000057860000000002b064020010db8000000000000"
				  "00000000000120010db800000000000000000000000201bbc35000000007";

static const uint8_t mac_nic[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t mac_peer[6] = { 0x02, 0x99, 0x88, 0x77, 0x66, 0x55 };

static uint32_t unhex(const char *s, uint8_t *out)
{
	uint32_t n = 0;
	unsigned v;

	for (; s[0] && s[1]; s += 2) {
		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* The IPv4 header checksum after a test changed a field, so that the field's own check is what fails. */
static void fix_ip4_csum(uint8_t *f)
{
	uint16_t c;

	memset(f + 24, 0, 2);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(f + 14, (size_t)(f[14] & 0xf) * 4, 0));
	memcpy(f + 24, &c, 2);
}

/* The TCP checksum of an IPv4 frame after a test changed its header. */
static void fix_tcp4_csum(uint8_t *f, uint32_t n)
{
	uint8_t ph[4] = { 0, IPPROTO_TCP, (uint8_t)((n - 34) >> 8), (uint8_t)(n - 34) };
	uint16_t c;

	memset(f + 50, 0, 2);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(f + 34, n - 34, ms_csum_add(ph, 4, ms_csum_add(f + 26, 8, 0))));
	memcpy(f + 50, &c, 2);
}

static void ep_v4(struct tcp_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET;
	ep->lport = 80;
	ep->rport = 40000;
	memcpy(ep->laddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(ep->raddr, (uint8_t[]){ 192, 0, 2, 7 }, 4);
}

static void ep_v6(struct tcp_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET6;
	ep->lport = 443;
	ep->rport = 50000;
	memcpy(ep->laddr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
	memcpy(ep->raddr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, 16);
}

/* The endpoints as the receiver of a frame we built sees them: local and remote swapped. */
static void ep_swap(struct tcp_endpoints *ep)
{
	struct tcp_endpoints t = *ep;

	memcpy(ep->laddr, t.raddr, 16);
	memcpy(ep->raddr, t.laddr, 16);
	ep->lport = t.rport;
	ep->rport = t.lport;
}

/* Parse a copy of f[0..len) in a buffer of exactly len bytes (valgrind sees any read past its end). */
static int parse_exact(const uint8_t *f, uint32_t len, struct tcp_seg *seg, struct tcp_icmp_err *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, f, len);
	rc = tcp_ip_parse(copy, len, seg, err);
	free(copy);
	return rc;
}

static void round_trip(struct tcp_endpoints *ep, const struct tcp_opts *o, uint32_t paylen)
{
	uint8_t frame[2048], optb[40];
	struct tcp_hdr_out h = { 0 };
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	size_t hlen;
	uint32_t i, flen;

	h.ep = ep;
	h.src_mac = mac_nic;
	h.dst_mac = mac_peer;
	h.seq = 0xfffffff0u;
	h.ack = 12345;
	h.wnd = 65535;
	h.flags = o && (o->present & TCP_OPT_MSS) ? TCP_SYN | TCP_ACK : TCP_ACK | TCP_PSH;
	h.optlen = o ? (uint8_t)tcp_opt_write(optb, sizeof(optb), o) : 0;
	h.opt = optb;
	hlen = tcp_ip_header_len(ep->family, h.optlen);
	for (i = 0; i < paylen; i++)
		frame[hlen + i] = (uint8_t)(i * 7 + 1);
	flen = tcp_ip_build(frame, &h, paylen);
	ck_assert_uint_eq(flen, hlen + paylen);

	ck_assert_int_eq(tcp_ip_parse(frame, flen, &seg, &err), TCP_IP_SEGMENT);
	ep_swap(ep);
	ck_assert_mem_eq(&seg.ep, ep, sizeof(*ep));
	ep_swap(ep);
	ck_assert_uint_eq(seg.seq, h.seq);
	ck_assert_uint_eq(seg.ack, h.ack);
	ck_assert_uint_eq(seg.wnd, h.wnd);
	ck_assert_uint_eq(seg.flags, h.flags);
	ck_assert_uint_eq(seg.ttl, 64);
	ck_assert_uint_eq(seg.len, paylen);
	ck_assert_ptr_eq(seg.data, frame + hlen);
	ck_assert_mem_eq(seg.src_mac, mac_nic, 6);
	if (o) {
		ck_assert_uint_eq(seg.opt.present, o->present);
		ck_assert_uint_eq(seg.opt.ts_val, o->ts_val);
	} else {
		ck_assert_uint_eq(seg.opt.present, 0);
	}
	/* Ethernet padding after the IP datagram is not payload. */
	memset(frame + flen, 0, 10);
	ck_assert_int_eq(tcp_ip_parse(frame, flen + 10, &seg, &err), TCP_IP_SEGMENT);
	ck_assert_uint_eq(seg.len, paylen);
}

START_TEST(test_built_frames_parse_back_identically)
{
	struct tcp_endpoints ep;
	struct tcp_opts syn = { .present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE,
				.mss = 1460,
				.wscale = 9,
				.ts_val = 77 };
	struct tcp_opts est = { .present = TCP_OPT_TS | TCP_OPT_SACK, .ts_val = 5, .ts_ecr = 6, .nsack = 1 };
	uint32_t lens[] = { 0, 1, 2, 3, 517, 1459 };
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ep_v4(&ep);
		round_trip(&ep, NULL, lens[i]);
		round_trip(&ep, &syn, lens[i]);
		round_trip(&ep, &est, lens[i]);
		ep_v6(&ep);
		round_trip(&ep, NULL, lens[i]);
		round_trip(&ep, &syn, lens[i]);
		round_trip(&ep, &est, lens[i]);
	}
}
END_TEST

/* RFC 9293 3.1 / RFC 1071: our checksums equal scapy's, byte for byte, for the same segment. */
START_TEST(test_built_frames_equal_scapys_checksums_included)
{
	uint8_t want[256], got[256];
	struct tcp_endpoints ep;
	struct tcp_opts o = { .present = TCP_OPT_TS, .ts_val = 123456, .ts_ecr = 654321 };
	struct tcp_opts so = { .present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE,
			       .mss = 1440,
			       .wscale = 7,
			       .ts_val = 1 };
	uint8_t optb[40];
	struct tcp_hdr_out h = { .src_mac = mac_nic, .dst_mac = mac_peer, .opt = optb };
	uint32_t n;
	size_t hlen;

	ep_v4(&ep);
	h.ep = &ep;
	h.seq = 0x01020304;
	h.ack = 0x0a0b0c0d;
	h.wnd = 502;
	h.flags = TCP_PSH | TCP_ACK;
	h.optlen = (uint8_t)tcp_opt_write(optb, sizeof(optb), &o);
	n = unhex(scapy_v4, want);
	hlen = tcp_ip_header_len(AF_INET, h.optlen);
	got[hlen] = 'x';
	ck_assert_uint_eq(tcp_ip_build(got, &h, 1), n);
	ck_assert_mem_eq(got, want, n);

	ep_v6(&ep);
	h.seq = 7;
	h.ack = 0;
	h.wnd = 64800;
	h.flags = TCP_SYN;
	h.optlen = (uint8_t)tcp_opt_write(optb, sizeof(optb), &so);
	n = unhex(scapy_v6, want);
	hlen = tcp_ip_header_len(AF_INET6, h.optlen);
	memcpy(got + hlen, "abc", 3);
	ck_assert_uint_eq(tcp_ip_build(got, &h, 3), n);
	ck_assert_mem_eq(got, want, n);
}
END_TEST

START_TEST(test_scapys_frames_parse)
{
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n = unhex(scapy_v4, f);

	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_SEGMENT);
	ck_assert_uint_eq(seg.ep.lport, 40000);
	ck_assert_uint_eq(seg.ep.rport, 80);
	ck_assert_uint_eq(seg.len, 1);
	ck_assert_uint_eq(seg.data[0], 'x');
	ck_assert_uint_eq(seg.opt.ts_ecr, 654321);
	n = unhex(scapy_v6, f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_SEGMENT);
	ck_assert_uint_eq(seg.opt.present, TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE);
	ck_assert_uint_eq(seg.opt.mss, 1440);
	ck_assert_uint_eq(seg.len, 3);
}
END_TEST

START_TEST(test_every_truncation_is_refused_within_the_frame)
{
	const char *frames[] = { scapy_v4, scapy_v6, scapy_icmp4, scapy_icmp6 };
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n, len;
	size_t i;

	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		n = unhex(frames[i], f);
		ck_assert_int_gt(parse_exact(f, n, &seg, &err), 0);
		for (len = 0; len < n; len++)
			ck_assert_int_eq(parse_exact(f, len, &seg, &err), TCP_IP_DROP_SHORT);
	}
}
END_TEST

START_TEST(test_bad_checksums_are_refused)
{
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n = unhex(scapy_v4, f);

	f[n - 1] ^= 0x40; /* the payload */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_CSUM);
	n = unhex(scapy_v4, f);
	f[22] ^= 1; /* the TTL, without fixing the header checksum */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_IP);
	n = unhex(scapy_v4, f);
	f[29] ^= 1; /* the source address: in the pseudo-header only, as far as TCP goes */
	fix_ip4_csum(f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_CSUM);
	n = unhex(scapy_v6, f);
	f[37] ^= 1; /* IPv6 has no header checksum: the pseudo-header catches it */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_CSUM);
	n = unhex(scapy_icmp4, f);
	f[n - 1] ^= 1;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_CSUM);
	n = unhex(scapy_icmp6, f);
	f[n - 1] ^= 1;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_CSUM);
}
END_TEST

START_TEST(test_bad_ihl_data_offset_and_lengths_are_refused)
{
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n;
	unsigned ihl, doff;

	for (ihl = 0; ihl < 5; ihl++) {
		n = unhex(scapy_v4, f);
		f[14] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_IP);
	}
	n = unhex(scapy_v4, f);
	f[17] = 19; /* total length shorter than the header */
	fix_ip4_csum(f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_IP);
	/* RFC 9293 3.1: the data offset is at least 5 words and within the segment (here 8 words, 33 bytes). */
	for (doff = 0; doff < 16; doff++) {
		n = unhex(scapy_v4, f);
		f[46] = (uint8_t)(doff << 4);
		if (doff >= 5 && doff <= 8) /* shorter offsets are well formed, and fail the checksum */
			continue;
		ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_OPT);
	}
	n = unhex(scapy_v4, f);
	f[57] = 11; /* NOP NOP TS: a TS length of 11 runs past the 12 option bytes */
	fix_tcp4_csum(f, n);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_OPT);
}
END_TEST

START_TEST(test_fragments_are_refused)
{
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n = unhex(scapy_v4, f);

	f[20] = 0x20; /* MF, offset 0: a first fragment */
	f[21] = 0;
	fix_ip4_csum(f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_FRAGMENT);
	n = unhex(scapy_v4, f);
	f[20] = 0x40; /* DF and an offset: a forged last fragment */
	f[21] = 0x10;
	fix_ip4_csum(f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_FRAGMENT);
	n = unhex(scapy_v6, f);
	f[20] = IPPROTO_FRAGMENT;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_FRAGMENT);
}
END_TEST

START_TEST(test_wrong_versions_protocols_and_extension_headers_are_refused)
{
	static const uint8_t ext[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_AH, IPPROTO_ESP };
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n = unhex(scapy_v4, f);
	size_t i;

	f[14] = 0x65;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_IP);
	n = unhex(scapy_v6, f);
	f[14] = 0x40;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_IP);
	n = unhex(scapy_v4, f);
	f[12] = 0x81; /* a VLAN tag */
	f[13] = 0x00;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_IP);
	f[12] = 0x08; /* ARP */
	f[13] = 0x06;
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_IP);
	n = unhex(scapy_v4, f);
	f[23] = IPPROTO_UDP;
	fix_ip4_csum(f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_TCP);
	for (i = 0; i < sizeof(ext); i++) {
		n = unhex(scapy_v6, f);
		f[20] = ext[i];
		ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_IP);
	}
}
END_TEST

START_TEST(test_multicast_broadcast_and_unspecified_addresses_are_refused)
{
	static const uint8_t bad4[][4] = { { 0, 0, 0, 0 }, { 255, 255, 255, 255 }, { 224, 0, 0, 1 }, { 239, 1, 2, 3 } };
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n;
	size_t i;

	for (i = 0; i < 4; i++) {
		n = unhex(scapy_v4, f);
		memcpy(f + 30, bad4[i], 4);
		fix_ip4_csum(f);
		ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_ADDR);
		n = unhex(scapy_v4, f);
		memcpy(f + 26, bad4[i], 4);
		fix_ip4_csum(f);
		ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_ADDR);
	}
	n = unhex(scapy_v6, f);
	f[38] = 0xff; /* ff01:db8::2 */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_ADDR);
	n = unhex(scapy_v6, f);
	memset(f + 22, 0, 16);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_BAD_ADDR);
}
END_TEST

/* Rewrite the ICMP type, code and 4 bytes after the checksum, and fix the checksum (pseudo-header for v6). */
static void icmp_set(uint8_t *f, uint32_t n, uint8_t type, uint8_t code, uint32_t rest)
{
	int v6 = f[12] == 0x86;
	uint8_t *icmp = f + (v6 ? 54 : 34);
	uint32_t ilen = n - (uint32_t)(icmp - f);
	uint64_t sum = 0;
	uint16_t c;

	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 2, 0, 2);
	icmp[4] = (uint8_t)(rest >> 24);
	icmp[5] = (uint8_t)(rest >> 16);
	icmp[6] = (uint8_t)(rest >> 8);
	icmp[7] = (uint8_t)rest;
	if (v6) {
		uint8_t ph[8] = { 0, 0, (uint8_t)(ilen >> 8), (uint8_t)ilen, 0, 0, 0, IPPROTO_ICMPV6 };

		sum = ms_csum_add(ph, 8, ms_csum_add(f + 22, 32, 0));
	}
	c = (uint16_t)~ms_csum_fold(ms_csum_add(icmp, ilen, sum));
	memcpy(icmp + 2, &c, 2);
}

/* RFC 1191 / RFC 8201: fragmentation needed and packet too big give -EMSGSIZE with the MTU, for our segment. */
START_TEST(test_frag_needed_and_packet_too_big_give_emsgsize_with_the_mtu)
{
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	struct tcp_endpoints ep;
	uint32_t n = unhex(scapy_icmp4, f);

	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_ICMP_ERROR);
	ck_assert_int_eq(err.error, -EMSGSIZE);
	ck_assert_uint_eq(err.mtu, 1400);
	ck_assert_int_eq(err.hard, 0);
	ck_assert_uint_eq(err.seq, 0x01020304);
	ep_v4(&ep);
	ck_assert_mem_eq(&err.ep, &ep, sizeof(ep));

	n = unhex(scapy_icmp6, f);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_ICMP_ERROR);
	ck_assert_int_eq(err.error, -EMSGSIZE);
	ck_assert_uint_eq(err.mtu, 1400);
	ck_assert_uint_eq(err.seq, 7);
	ep_v6(&ep);
	ck_assert_mem_eq(&err.ep, &ep, sizeof(ep));

	/* Below the IPv6 minimum the MTU stays 1280 (RFC 8200 5). */
	icmp_set(f, n, 2, 0, 500);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_ICMP_ERROR);
	ck_assert_uint_eq(err.mtu, 1280);
	/* An old router that says 0: the plateau below the quoted length 53 (RFC 1191 7), at least 68. */
	n = unhex(scapy_icmp4, f);
	icmp_set(f, n, 3, 4, 0);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_ICMP_ERROR);
	ck_assert_uint_eq(err.mtu, 68);
}
END_TEST

/* RFC 1122 4.2.3.9: protocol and port unreachable are hard; net and host unreachable, time exceeded soft (time
 * exceeded as -EHOSTUNREACH, as Linux reports it). */
START_TEST(test_icmp_errors_are_hard_or_soft_as_rfc_1122_says)
{
	static const struct {
		int v6;
		uint8_t type, code;
		int error, hard;
	} cases[] = {
		{ 0, 3, 3, -ECONNREFUSED, 1 }, { 0, 3, 2, -ECONNREFUSED, 1 },  { 0, 3, 0, -ENETUNREACH, 0 },
		{ 0, 3, 1, -EHOSTUNREACH, 0 }, { 0, 3, 13, -EHOSTUNREACH, 0 }, { 0, 11, 0, -EHOSTUNREACH, 0 },
		{ 1, 1, 4, -ECONNREFUSED, 1 }, { 1, 1, 0, -ENETUNREACH, 0 },   { 1, 1, 3, -EHOSTUNREACH, 0 },
		{ 1, 3, 0, -EHOSTUNREACH, 0 },
	};
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = unhex(cases[i].v6 ? scapy_icmp6 : scapy_icmp4, f);
		icmp_set(f, n, cases[i].type, cases[i].code, 0);
		ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_ICMP_ERROR);
		ck_assert_int_eq(err.error, cases[i].error);
		ck_assert_int_eq(err.hard, cases[i].hard);
	}
}
END_TEST

START_TEST(test_icmp_messages_that_are_not_tcp_errors_are_refused)
{
	uint8_t f[256];
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	uint32_t n = unhex(scapy_icmp4, f);

	icmp_set(f, n, 0, 0, 0); /* echo reply */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_TCP);
	icmp_set(f, n, 4, 0, 0); /* source quench, RFC 6633 */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_TCP);
	n = unhex(scapy_icmp4, f);
	f[51] = IPPROTO_UDP; /* the quoted datagram's protocol */
	icmp_set(f, n, 3, 3, 0);
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_TCP);
	n = unhex(scapy_icmp6, f);
	icmp_set(f, n, 129, 0, 0); /* echo reply */
	ck_assert_int_eq(tcp_ip_parse(f, n, &seg, &err), TCP_IP_DROP_NOT_TCP);
}
END_TEST

START_TEST(test_mss_for_mtu_leaves_room_for_the_fixed_headers)
{
	ck_assert_uint_eq(tcp_ip_mss_for_mtu(AF_INET, 1500), 1460);
	ck_assert_uint_eq(tcp_ip_mss_for_mtu(AF_INET6, 1500), 1440);
	ck_assert_uint_eq(tcp_ip_mss_for_mtu(AF_INET6, 1280), 1220);
	ck_assert_uint_eq(tcp_ip_mss_for_mtu(AF_INET, 30), 0);
	ck_assert_uint_eq(tcp_ip_header_len(AF_INET, 12), 14 + 20 + 20 + 12);
	ck_assert_uint_eq(tcp_ip_header_len(AF_INET6, 0), 14 + 40 + 20);
}
END_TEST

static Suite *tcp_ip_suite(void)
{
	Suite *s = suite_create("tcp_ip");
	TCase *io = tcase_create("build_parse"), *drop = tcase_create("drop"), *icmp = tcase_create("icmp");

	tcase_add_test(io, test_built_frames_parse_back_identically);
	tcase_add_test(io, test_built_frames_equal_scapys_checksums_included);
	tcase_add_test(io, test_scapys_frames_parse);
	tcase_add_test(io, test_mss_for_mtu_leaves_room_for_the_fixed_headers);
	tcase_add_test(drop, test_every_truncation_is_refused_within_the_frame);
	tcase_add_test(drop, test_bad_checksums_are_refused);
	tcase_add_test(drop, test_bad_ihl_data_offset_and_lengths_are_refused);
	tcase_add_test(drop, test_fragments_are_refused);
	tcase_add_test(drop, test_wrong_versions_protocols_and_extension_headers_are_refused);
	tcase_add_test(drop, test_multicast_broadcast_and_unspecified_addresses_are_refused);
	tcase_add_test(icmp, test_frag_needed_and_packet_too_big_give_emsgsize_with_the_mtu);
	tcase_add_test(icmp, test_icmp_errors_are_hard_or_soft_as_rfc_1122_says);
	tcase_add_test(icmp, test_icmp_messages_that_are_not_tcp_errors_are_refused);
	suite_add_tcase(s, io);
	suite_add_tcase(s, drop);
	suite_add_tcase(s, icmp);
	return s;
}

CHECK_MAIN(tcp_ip_suite)
