/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_tcp_ip.c - libFuzzer target: libmstack-tcp's frame parser (tcp_ip_parse) and option parser (tcp_opt_parse). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <mstack/ms_csum.h>

#include "tcp_ip.h"
#include "tcp_opt.h"
#include "fuzz.h"

/*
 * The first byte chooses what the rest is:
 *   0  a frame as received;
 *   1  a frame whose IPv4 header, TCP, ICMP and ICMPv6 checksums the target
 *      fills in first wherever the lengths allow, so that mutations get past
 *      the checksums to the lengths, options and ICMP quotes behind them;
 *   2  an option list: one byte of flags (bit 0: on a SYN), then the bytes.
 */

static uint16_t fz_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Store the checksum of p[0..len) (plus a pseudo-header sum) at p + at. */
static void fz_fill_csum(uint8_t *p, size_t len, size_t at, uint64_t pseudo)
{
	uint16_t c;

	memset(p + at, 0, 2);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(p, len, pseudo));
	memcpy(p + at, &c, 2);
}

static uint64_t fz_pseudo(const uint8_t *addrs, size_t alen, uint8_t proto, uint32_t l4_len)
{
	uint8_t tail[8] = { (uint8_t)(l4_len >> 24),
			    (uint8_t)(l4_len >> 16),
			    (uint8_t)(l4_len >> 8),
			    (uint8_t)l4_len,
			    0,
			    0,
			    0,
			    proto };

	return ms_csum_add(tail, 8, ms_csum_add(addrs, 2 * alen, 0));
}

static void fz_fix_checksums(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14;
	size_t avail = len - 14, ihl, total, plen;

	if (len < 14)
		return;
	if (fz_rd16(f + 12) == 0x0800 && avail >= 20) {
		ihl = (size_t)(ip[0] & 0xf) * 4;
		total = fz_rd16(ip + 2);
		if (ihl < 20 || ihl > avail)
			return;
		fz_fill_csum(ip, ihl, 10, 0);
		if (total > avail || total < ihl)
			return;
		if (ip[9] == IPPROTO_TCP && total - ihl >= 20)
			fz_fill_csum(ip + ihl, total - ihl, 16,
				     fz_pseudo(ip + 12, 4, IPPROTO_TCP, (uint32_t)(total - ihl)));
		if (ip[9] == IPPROTO_ICMP && total - ihl >= 8)
			fz_fill_csum(ip + ihl, total - ihl, 2, 0);
	} else if (fz_rd16(f + 12) == 0x86dd && avail >= 40) {
		plen = fz_rd16(ip + 4);
		if (plen > avail - 40)
			return;
		if (ip[6] == IPPROTO_TCP && plen >= 20)
			fz_fill_csum(ip + 40, plen, 16, fz_pseudo(ip + 8, 16, IPPROTO_TCP, (uint32_t)plen));
		if (ip[6] == IPPROTO_ICMPV6 && plen >= 8)
			fz_fill_csum(ip + 40, plen, 2, fz_pseudo(ip + 8, 16, IPPROTO_ICMPV6, (uint32_t)plen));
	}
}

/* What TCP input relies on in an accepted option list. */
static void fz_check_opts(const struct tcp_opts *o, int syn)
{
	FZ_ASSERT((o->present & ~(TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_SACK_PERM | TCP_OPT_SACK | TCP_OPT_TS)) == 0);
	if (!syn)
		FZ_ASSERT((o->present & (TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_SACK_PERM)) == 0);
	FZ_ASSERT(o->nsack <= TCP_SACK_BLOCKS_MAX);
	FZ_ASSERT(!!(o->present & TCP_OPT_SACK) == (o->nsack > 0));
}

/* Options written from parsed options parse back to the same ones (SACK blocks may be cut to fit). */
static void fz_opts_round_trip(const struct tcp_opts *o, int syn)
{
	uint8_t buf[40];
	struct tcp_opts back;
	size_t n = tcp_opt_write(buf, sizeof(buf), o);
	unsigned i;

	FZ_ASSERT(n % 4 == 0 && n <= 40);
	FZ_ASSERT(tcp_opt_parse(buf, n, syn, &back) == 0);
	FZ_ASSERT((back.present & ~TCP_OPT_SACK) == (o->present & ~TCP_OPT_SACK));
	FZ_ASSERT(back.mss == o->mss && back.wscale == o->wscale);
	FZ_ASSERT(back.ts_val == o->ts_val && back.ts_ecr == o->ts_ecr);
	FZ_ASSERT(back.nsack <= o->nsack);
	for (i = 0; i < back.nsack; i++)
		FZ_ASSERT(back.sack[i].start == o->sack[i].start && back.sack[i].end == o->sack[i].end);
}

/* An accepted segment lies inside its frame, and building it again gives a frame that parses to the same. */
static void fz_check_segment(const uint8_t *f, uint32_t len, const struct tcp_seg *seg)
{
	static uint8_t again[65536 + 128];
	struct tcp_endpoints ep = seg->ep;
	struct tcp_seg back;
	struct tcp_icmp_err err;
	uint8_t optb[40];
	struct tcp_hdr_out h = { .ep = &ep, .src_mac = seg->src_mac, .dst_mac = f, .opt = optb };
	uint32_t n;
	size_t hlen;

	FZ_ASSERT(seg->ep.family == AF_INET || seg->ep.family == AF_INET6);
	FZ_ASSERT(seg->ep.lport != 0 && seg->ep.rport != 0);
	FZ_ASSERT(seg->data >= f && seg->data + seg->len <= f + len);
	FZ_ASSERT(memcmp(seg->src_mac, f + 6, 6) == 0);
	fz_check_opts(&seg->opt, !!(seg->flags & TCP_SYN));
	fz_opts_round_trip(&seg->opt, !!(seg->flags & TCP_SYN));

	/* Sent back the way it came: the sender's endpoints are the received segment's, swapped. */
	memcpy(ep.laddr, seg->ep.raddr, 16);
	memcpy(ep.raddr, seg->ep.laddr, 16);
	ep.lport = seg->ep.rport;
	ep.rport = seg->ep.lport;
	h.seq = seg->seq;
	h.ack = seg->ack;
	h.wnd = seg->wnd;
	h.flags = seg->flags;
	h.optlen = (uint8_t)tcp_opt_write(optb, sizeof(optb), &seg->opt);
	hlen = tcp_ip_header_len(ep.family, h.optlen);
	if (hlen + seg->len > 65535 - 40)
		return;
	memcpy(again + hlen, seg->data, seg->len);
	n = tcp_ip_build(again, &h, seg->len);
	FZ_ASSERT(n == hlen + seg->len);
	FZ_ASSERT(tcp_ip_parse(again, n, &back, &err) == TCP_IP_SEGMENT);
	FZ_ASSERT(memcmp(&back.ep, &seg->ep, sizeof(back.ep)) == 0);
	FZ_ASSERT(back.seq == seg->seq && back.ack == seg->ack && back.wnd == seg->wnd && back.flags == seg->flags);
	FZ_ASSERT(back.len == seg->len && memcmp(back.data, seg->data, seg->len) == 0);
}

static void fz_check_icmp(const struct tcp_icmp_err *e)
{
	FZ_ASSERT(e->ep.family == AF_INET || e->ep.family == AF_INET6);
	FZ_ASSERT(e->error == -EHOSTUNREACH || e->error == -ENETUNREACH || e->error == -ECONNREFUSED ||
		  e->error == -EMSGSIZE || e->error == -ETIMEDOUT);
	FZ_ASSERT(e->hard == (e->error == -ECONNREFUSED));
	if (e->error == -EMSGSIZE)
		FZ_ASSERT(e->mtu >= (e->ep.family == AF_INET ? 68u : 1280u));
	else
		FZ_ASSERT(e->mtu == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	struct tcp_opts o;
	uint8_t *f;
	size_t len;
	int rc;

	if (size < 1 || size > UINT16_MAX + 64)
		return 0;
	len = size - 1;
	/* An exact copy: ASan then catches a read of a single byte past the input. */
	f = malloc(len ? len : 1);
	FZ_ASSERT(f);
	memcpy(f, data + 1, len);
	if (data[0] == 2) {
		if (len >= 1) {
			int syn = f[0] & 1;

			rc = tcp_opt_parse(f + 1, len - 1, syn, &o);
			FZ_ASSERT(rc == 0 || rc == -EINVAL);
			if (rc == 0) {
				fz_check_opts(&o, syn);
				fz_opts_round_trip(&o, syn);
			}
		}
		free(f);
		return 0;
	}
	if (data[0] == 1)
		fz_fix_checksums(f, len);
	rc = tcp_ip_parse(f, (uint32_t)len, &seg, &err);
	FZ_ASSERT(rc == TCP_IP_SEGMENT || rc == TCP_IP_ICMP_ERROR ||
		  (rc <= TCP_IP_DROP_SHORT && rc >= TCP_IP_DROP_BAD_ADDR));
	if (rc == TCP_IP_SEGMENT)
		fz_check_segment(f, (uint32_t)len, &seg);
	if (rc == TCP_IP_ICMP_ERROR)
		fz_check_icmp(&err);
	free(f);
	return 0;
}
