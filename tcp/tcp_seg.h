/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_seg.h - a received TCP segment as the IP layer hands it to TCP input, and its options. */
#ifndef MSTACK_TCP_SEG_H
#define MSTACK_TCP_SEG_H

#include <stdint.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCP_SACK_BLOCKS_MAX 4 /* 40 option bytes hold at most 4 blocks (RFC 2018, section 3) */

struct tcp_sack_block {
	uint32_t start; /* first sequence number of the block */
	uint32_t end;   /* sequence number after the block */
};

/* The options of one segment (tcp_opt.c). A field is meaningful only when its TCP_OPT_* bit is set. */
#define TCP_OPT_MSS       0x01u
#define TCP_OPT_WSCALE    0x02u
#define TCP_OPT_SACK_PERM 0x04u
#define TCP_OPT_SACK      0x08u
#define TCP_OPT_TS        0x10u

struct tcp_opts {
	uint32_t present;  /* TCP_OPT_* */
	uint16_t mss;
	uint8_t wscale;    /* as sent (not yet clamped to 14) */
	uint8_t nsack;     /* blocks in sack[] */
	uint32_t ts_val, ts_ecr;
	struct tcp_sack_block sack[TCP_SACK_BLOCKS_MAX];
};

/* Both endpoints of a segment, as seen by the receiver: local is the destination. */
struct tcp_endpoints {
	uint8_t family;     /* AF_INET or AF_INET6 */
	uint16_t lport, rport; /* host order */
	uint8_t laddr[16], raddr[16]; /* network order, IPv4 in [0..3], rest zero */
};

/* One validated segment: checksums verified, lengths consistent (tcp_ip_parse). */
struct tcp_seg {
	struct tcp_endpoints ep;
	uint32_t seq, ack;
	uint16_t wnd;        /* unscaled, as on the wire */
	uint8_t flags;       /* TCP_* */
	uint8_t ttl;         /* IPv4 TTL / IPv6 hop limit, for tests */
	const uint8_t *data; /* payload, inside the received frame */
	uint32_t len;        /* payload bytes */
	struct tcp_opts opt;
	uint8_t src_mac[6];  /* the frame's source (the previous hop) */
};

/* Sequence space the segment occupies: payload plus one for SYN and one for FIN. */
static inline uint32_t tcp_seg_seqlen(const struct tcp_seg *s)
{
	return s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
}

#endif
