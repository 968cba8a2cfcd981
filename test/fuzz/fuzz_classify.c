/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_classify.c - libFuzzer target: the receive classifier (cls_parse, cls_icmp_quote) over arbitrary frames. */
#include <netinet/in.h>
#include <string.h>

#include "classify.h"
#include "fuzz.h"

static uint16_t fz_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool fz_is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Everything the demux reads from an accepted frame lies inside it and agrees with its bytes. */
static void fz_check_ok(const uint8_t *f, uint32_t len, const struct cls_result *r)
{
	uint32_t l3_end;

	FZ_ASSERT(len >= 14);
	FZ_ASSERT(!((r->flags & CLS_F_BCAST) && (r->flags & CLS_F_MCAST)));
	FZ_ASSERT(r->l3_off == ((r->flags & CLS_F_VLAN) ? 18 : 14));
	FZ_ASSERT(r->l3_off <= len);
	FZ_ASSERT(r->ethertype == fz_rd16(f + r->l3_off - 2));
	if (r->flags & CLS_F_VLAN)
		FZ_ASSERT(r->vlan_tci == fz_rd16(f + 14));
	if (r->l3 != CLS_L3_IPV4 && r->l3 != CLS_L3_IPV6) {
		FZ_ASSERT(r->l3 == CLS_L3_ARP || r->l3 == CLS_L3_OTHER);
		FZ_ASSERT(r->flags == (r->flags & (CLS_F_VLAN | CLS_F_BCAST | CLS_F_MCAST)));
		return;
	}
	l3_end = (uint32_t)r->l3_off + r->l3_len;
	FZ_ASSERT(l3_end <= len);
	FZ_ASSERT(r->ip_hdr_len <= r->l3_len);
	FZ_ASSERT(r->l4_off == r->l3_off + r->ip_hdr_len);
	if (r->l3 == CLS_L3_IPV4) {
		FZ_ASSERT(r->ethertype == 0x0800);
		FZ_ASSERT(r->ip_hdr_len >= 20 && r->ip_hdr_len <= 60 && r->ip_hdr_len % 4 == 0);
		FZ_ASSERT(r->ip_hdr_len == (f[r->l3_off] & 0x0f) * 4);
		FZ_ASSERT(r->l3_len == fz_rd16(f + r->l3_off + 2));
		FZ_ASSERT(r->proto == f[r->l3_off + 9]);
		FZ_ASSERT(memcmp(r->src_addr, f + r->l3_off + 12, 4) == 0 && fz_is_zero(r->src_addr + 4, 12));
		FZ_ASSERT(memcmp(r->dst_addr, f + r->l3_off + 16, 4) == 0 && fz_is_zero(r->dst_addr + 4, 12));
	} else {
		FZ_ASSERT(r->ethertype == 0x86dd);
		FZ_ASSERT(r->ip_hdr_len >= 40 && (r->ip_hdr_len - 40) % 8 == 0);
		FZ_ASSERT(r->ip_hdr_len <= 40 + 8 * 2048);
		FZ_ASSERT(r->l3_len == 40u + fz_rd16(f + r->l3_off + 4));
		FZ_ASSERT(memcmp(r->src_addr, f + r->l3_off + 8, 16) == 0);
		FZ_ASSERT(memcmp(r->dst_addr, f + r->l3_off + 24, 16) == 0);
	}
	if (r->flags & CLS_F_FRAG_FIRST)
		FZ_ASSERT(r->flags & CLS_F_FRAG);
	if ((r->flags & CLS_F_FRAG) && !(r->flags & CLS_F_FRAG_FIRST))
		FZ_ASSERT(!(r->flags & CLS_F_L4));
	if (r->flags & CLS_F_L4) {
		uint32_t need = r->proto == IPPROTO_UDP ? 8 : 20;

		FZ_ASSERT(r->proto == IPPROTO_UDP || r->proto == IPPROTO_TCP);
		FZ_ASSERT((uint32_t)r->l4_off + need <= l3_end);
		FZ_ASSERT(r->src_port == fz_rd16(f + r->l4_off));
		FZ_ASSERT(r->dst_port == fz_rd16(f + r->l4_off + 2));
	} else if (!(r->flags & CLS_F_FRAG) || (r->flags & CLS_F_FRAG_FIRST)) {
		/* A whole datagram or a first fragment without ports: not TCP/UDP, or past the header limit. */
		FZ_ASSERT((r->proto != IPPROTO_UDP && r->proto != IPPROTO_TCP));
	}
}

/*
 * An accepted frame that is ICMP/ICMPv6: the quote parser stays inside the
 * message, and a tuple it returns is the quote's bytes, TCP or UDP.
 */
static void fz_check_icmp(const uint8_t *f, const struct cls_result *r)
{
	const uint8_t *m = f + r->l3_off + r->ip_hdr_len, *q = m + 8;
	uint32_t mlen = r->l3_len - r->ip_hdr_len;
	struct cls_result quote;
	enum cls_icmp k = cls_icmp_quote(f, r, &quote);

	FZ_ASSERT(k <= CLS_ICMP_MALFORMED);
	if (k != CLS_ICMP_QUOTE)
		return;
	FZ_ASSERT(!(r->flags & CLS_F_FRAG));
	FZ_ASSERT(quote.l3 == r->l3 && (quote.flags & CLS_F_L4));
	FZ_ASSERT(quote.proto == IPPROTO_UDP || quote.proto == IPPROTO_TCP);
	FZ_ASSERT(mlen >= 8u + quote.ip_hdr_len + 8);
	FZ_ASSERT(quote.src_port == fz_rd16(q + quote.ip_hdr_len));
	FZ_ASSERT(quote.dst_port == fz_rd16(q + quote.ip_hdr_len + 2));
	FZ_ASSERT(memcmp(quote.src_addr, q + (r->l3 == CLS_L3_IPV4 ? 12 : 8), r->l3 == CLS_L3_IPV4 ? 4 : 16) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cls_result sw, hw;
	enum cls_status s_sw, s_hw;
	uint8_t *f;

	if (size > UINT16_MAX + 64)
		return 0;
	/* An exact copy: ASan then catches a read of a single byte past the frame. */
	f = malloc(size ? size : 1);
	FZ_ASSERT(f);
	memcpy(f, data, size);

	s_sw = cls_parse(f, (uint32_t)size, true, &sw);
	s_hw = cls_parse(f, (uint32_t)size, false, &hw);
	FZ_ASSERT(s_sw < CLS_STATUS_COUNT && s_hw < CLS_STATUS_COUNT);
	FZ_ASSERT(strcmp(cls_status_name(s_sw), "unknown") != 0);
	FZ_ASSERT(s_hw != CLS_BAD_CSUM);
	/* The checksum is the only difference the flag makes. */
	if (s_sw != CLS_BAD_CSUM) {
		FZ_ASSERT(s_sw == s_hw);
		FZ_ASSERT(memcmp(&sw, &hw, sizeof(sw)) == 0);
	} else {
		FZ_ASSERT(sw.l3 == CLS_L3_IPV4);
	}
	if (s_hw == CLS_OK)
		fz_check_ok(f, (uint32_t)size, &hw);
	if (s_hw == CLS_OK && (hw.proto == IPPROTO_ICMP || hw.proto == IPPROTO_ICMPV6))
		fz_check_icmp(f, &hw);
	if (s_hw == CLS_RUNT)
		FZ_ASSERT(size < 18);
	free(f);
	return 0;
}
