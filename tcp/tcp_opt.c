/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_opt.c - TCP options: parse a received header's (hostile input), write an outgoing header's. */
#include <errno.h>
#include <string.h>

#include "tcp_opt.h"

enum {
	TCP_OPTK_EOL = 0,
	TCP_OPTK_NOP = 1,
	TCP_OPTK_MSS = 2,       /* RFC 9293 3.2: kind, len 4, 16 bits */
	TCP_OPTK_WSCALE = 3,    /* RFC 7323 2.2: kind, len 3, shift */
	TCP_OPTK_SACK_PERM = 4, /* RFC 2018 2: kind, len 2 */
	TCP_OPTK_SACK = 5,      /* RFC 2018 3: kind, len 2 + 8n */
	TCP_OPTK_TS = 8,        /* RFC 7323 3.2: kind, len 10, TSval, TSecr */
};

static uint16_t opt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t opt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void opt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Take one well-framed option p[0..olen) (olen >= 2, inside the list) into
 * *o. RFC 9293 3.2 and RFC 1122 4.2.2.5: an option of a kind we do not know,
 * or of the wrong length for its kind, is skipped. MSS, window scale and
 * SACK-permitted mean something on a SYN only (RFC 9293 3.7.1, RFC 7323
 * 2.2, RFC 2018 2) and are ignored elsewhere. A repeated option: the last
 * one counts.
 */
static void opt_take(const uint8_t *p, uint8_t olen, int syn, struct tcp_opts *o)
{
	uint8_t i, n;

	switch (p[0]) {
	case TCP_OPTK_MSS:
		if (olen == 4 && syn) {
			o->mss = opt_get16(p + 2);
			o->present |= TCP_OPT_MSS;
		}
		break;
	case TCP_OPTK_WSCALE:
		if (olen == 3 && syn) {
			o->wscale = p[2];
			o->present |= TCP_OPT_WSCALE;
		}
		break;
	case TCP_OPTK_SACK_PERM:
		if (olen == 2 && syn)
			o->present |= TCP_OPT_SACK_PERM;
		break;
	case TCP_OPTK_SACK:
		/* 1 to 4 blocks of 8 bytes (40 option bytes hold no more than 4). */
		if (olen < 10 || (olen - 2) % 8 != 0)
			break;
		n = (uint8_t)((olen - 2) / 8);
		if (n > TCP_SACK_BLOCKS_MAX)
			break;
		for (i = 0; i < n; i++) {
			o->sack[i].start = opt_get32(p + 2 + 8 * i);
			o->sack[i].end = opt_get32(p + 6 + 8 * i);
		}
		o->nsack = n;
		o->present |= TCP_OPT_SACK;
		break;
	case TCP_OPTK_TS:
		if (olen == 10) {
			o->ts_val = opt_get32(p + 2);
			o->ts_ecr = opt_get32(p + 6);
			o->present |= TCP_OPT_TS;
		}
		break;
	default: break; /* unknown kinds are skipped by their length */
	}
}

/*
 * RFC 9293 3.2: an option list is a sequence of one-byte EOL/NOP and
 * kind-length-value options; EOL ends it (what follows is padding). A length
 * below 2 or running past the end makes the whole list malformed (RFC 9293
 * 3.2, "must be prepared to handle an illegal option length").
 */
int tcp_opt_parse(const uint8_t *p, size_t len, int syn, struct tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t olen;

		if (p[i] == TCP_OPTK_EOL)
			break;
		if (p[i] == TCP_OPTK_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EINVAL;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -EINVAL;
		opt_take(p + i, olen, syn, o);
		i += olen;
	}
	return 0;
}

/*
 * Option groups in the order and alignment of the BSD and Linux stacks, so
 * that every 32-bit field lands on a 32-bit boundary (RFC 7323 appendix A):
 *   MSS (4); SACK-permitted + TS (12) or NOP NOP TS (12) or NOP NOP
 *   SACK-permitted (4); NOP WSCALE (4); NOP NOP SACK blocks (4 + 8n).
 * A group that does not fit in cap is left out; SACK blocks are cut to fit.
 */
size_t tcp_opt_write(uint8_t *p, size_t cap, const struct tcp_opts *o)
{
	size_t n = 0;
	int ts = !!(o->present & TCP_OPT_TS), sackp = !!(o->present & TCP_OPT_SACK_PERM);

	if (cap > 40)
		cap = 40;
	if ((o->present & TCP_OPT_MSS) && cap - n >= 4) {
		p[n] = TCP_OPTK_MSS;
		p[n + 1] = 4;
		p[n + 2] = (uint8_t)(o->mss >> 8);
		p[n + 3] = (uint8_t)o->mss;
		n += 4;
	}
	if (ts && cap - n >= 12) {
		if (sackp) {
			p[n] = TCP_OPTK_SACK_PERM;
			p[n + 1] = 2;
			sackp = 0;
		} else {
			p[n] = TCP_OPTK_NOP;
			p[n + 1] = TCP_OPTK_NOP;
		}
		p[n + 2] = TCP_OPTK_TS;
		p[n + 3] = 10;
		opt_put32(p + n + 4, o->ts_val);
		opt_put32(p + n + 8, o->ts_ecr);
		n += 12;
	}
	if (sackp && cap - n >= 4) {
		p[n] = TCP_OPTK_NOP;
		p[n + 1] = TCP_OPTK_NOP;
		p[n + 2] = TCP_OPTK_SACK_PERM;
		p[n + 3] = 2;
		n += 4;
	}
	if ((o->present & TCP_OPT_WSCALE) && cap - n >= 4) {
		p[n] = TCP_OPTK_NOP;
		p[n + 1] = TCP_OPTK_WSCALE;
		p[n + 2] = 3;
		p[n + 3] = o->wscale;
		n += 4;
	}
	if ((o->present & TCP_OPT_SACK) && o->nsack && cap - n >= 12) {
		size_t i, blocks = (cap - n - 4) / 8;

		if (blocks > o->nsack)
			blocks = o->nsack;
		if (blocks > TCP_SACK_BLOCKS_MAX)
			blocks = TCP_SACK_BLOCKS_MAX;
		p[n] = TCP_OPTK_NOP;
		p[n + 1] = TCP_OPTK_NOP;
		p[n + 2] = TCP_OPTK_SACK;
		p[n + 3] = (uint8_t)(2 + 8 * blocks);
		for (i = 0; i < blocks; i++) {
			opt_put32(p + n + 4 + 8 * i, o->sack[i].start);
			opt_put32(p + n + 8 + 8 * i, o->sack[i].end);
		}
		n += 4 + 8 * blocks;
	}
	return n;
}
