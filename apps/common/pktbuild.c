/* SPDX-License-Identifier: BSD-2-Clause */
/* pktbuild.c - build Ethernet/IPv4/UDP or TCP frames from scratch, with Internet checksums. */
#include "pktbuild.h"

#include <netinet/in.h>
#include <string.h>

#include <mstack/ms_csum.h>

#define PB_ETHERTYPE_IPV4 0x0800
#define PB_TTL            64
#define PB_IP_DF          0x4000
#define PB_TCP_ACK        0x10
#define PB_TCP_WINDOW     0xffff
#define PB_PAYLOAD_BYTE   0x5a /* not zero, so a checksum over the payload proves something */

uint32_t pb_hdr_len(uint8_t proto)
{
	return PB_ETH_HLEN + PB_IP_HLEN + (proto == IPPROTO_TCP ? PB_TCP_HLEN : PB_UDP_HLEN);
}

static void pb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void pb_put32(uint8_t *p, uint32_t v)
{
	pb_put16(p, (uint16_t)(v >> 16));
	pb_put16(p + 2, (uint16_t)v);
}

static void pb_eth(uint8_t *eth, const struct pb_flow *f)
{
	memcpy(eth, f->dst_mac, 6);
	memcpy(eth + 6, f->src_mac, 6);
	pb_put16(eth + 12, PB_ETHERTYPE_IPV4);
}

static void pb_ipv4(uint8_t *ip, uint16_t total_len, struct pb_flow *f)
{
	uint16_t csum;

	ip[0] = 0x45; /* version 4, 20-byte header */
	ip[1] = 0;
	pb_put16(ip + 2, total_len);
	pb_put16(ip + 4, f->ip_id++);
	pb_put16(ip + 6, PB_IP_DF);
	ip[8] = PB_TTL;
	ip[9] = f->proto;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, f->src_ip, 4);
	memcpy(ip + 16, f->dst_ip, 4);
	csum = (uint16_t)~ms_csum_fold(ms_csum_add(ip, PB_IP_HLEN, 0));
	memcpy(ip + 10, &csum, sizeof(csum));
}

/* The sum of the IPv4 pseudo-header: addresses, protocol, L4 length. */
static uint64_t pb_pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	uint8_t tail[4] = { 0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len };

	return ms_csum_add(tail, sizeof(tail), ms_csum_add(ip + 12, 8, 0));
}

static void pb_udp(uint8_t *udp, uint16_t l4_len, const uint8_t *ip, const struct pb_flow *f)
{
	uint16_t csum;

	pb_put16(udp, f->src_port);
	pb_put16(udp + 2, f->dst_port);
	pb_put16(udp + 4, l4_len);
	udp[6] = udp[7] = 0;
	csum = (uint16_t)~ms_csum_fold(ms_csum_add(udp, l4_len, pb_pseudo_sum(ip, IPPROTO_UDP, l4_len)));
	if (csum == 0)
		csum = 0xffff; /* 0 would mean "no checksum" (RFC 768) */
	memcpy(udp + 6, &csum, sizeof(csum));
}

static void pb_tcp(uint8_t *tcp, uint16_t l4_len, const uint8_t *ip, struct pb_flow *f)
{
	uint16_t csum;

	pb_put16(tcp, f->src_port);
	pb_put16(tcp + 2, f->dst_port);
	pb_put32(tcp + 4, f->seq);
	pb_put32(tcp + 8, 1); /* an ACK of the peer's SYN, as an established sender would send */
	tcp[12] = (PB_TCP_HLEN / 4) << 4;
	tcp[13] = PB_TCP_ACK;
	pb_put16(tcp + 14, PB_TCP_WINDOW);
	tcp[16] = tcp[17] = 0;
	tcp[18] = tcp[19] = 0;
	csum = (uint16_t)~ms_csum_fold(ms_csum_add(tcp, l4_len, pb_pseudo_sum(ip, IPPROTO_TCP, l4_len)));
	memcpy(tcp + 16, &csum, sizeof(csum));
	f->seq += (uint32_t)(l4_len - PB_TCP_HLEN); /* the next byte of the stream */
}

uint32_t pb_build(uint8_t *frame, uint32_t len, struct pb_flow *f)
{
	uint8_t *ip = frame + PB_ETH_HLEN, *l4 = ip + PB_IP_HLEN;
	uint32_t hdr = pb_hdr_len(f->proto);
	uint16_t l4_len = (uint16_t)(len - PB_ETH_HLEN - PB_IP_HLEN);

	if (len < PB_FRAME_MIN || len > PB_FRAME_MAX || (f->proto != IPPROTO_UDP && f->proto != IPPROTO_TCP))
		return 0;
	/* The payload goes first: the L4 checksum covers it. */
	memset(frame + hdr, PB_PAYLOAD_BYTE, len - hdr);
	pb_eth(frame, f);
	pb_ipv4(ip, (uint16_t)(len - PB_ETH_HLEN), f);
	if (f->proto == IPPROTO_TCP)
		pb_tcp(l4, l4_len, ip, f);
	else
		pb_udp(l4, l4_len, ip, f);
	return len;
}
