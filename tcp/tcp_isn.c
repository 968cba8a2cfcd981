/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_isn.c - SipHash-2-4, initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 3.6). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "tcp_isn.h"

/*
 * The MSS values a cookie can carry: the common ones, IPv6's minimum
 * (1220) and Ethernet's, PPPoE's and tunnels' below it, and a jumbo frame's.
 */
const uint16_t tcp_cookie_mss[TCP_COOKIE_MSS_COUNT] = { 536, 1220, 1300, 1380, 1420, 1440, 1460, 8960 };

#define COOKIE_SLOT_MS   64000u /* one time slot */
#define COOKIE_SLOT_BITS 5
#define COOKIE_MSS_BITS  3
#define COOKIE_MAC_BITS  24
#define COOKIE_MAX_AGE   2 /* slots */

int tcp_secret_init(struct tcp_secret *k)
{
	ssize_t n = getrandom(k, sizeof(*k), 0);

	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*k) ? 0 : -EIO;
}

static uint64_t sip_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = sip_rotl(v[1], 13) ^ v[0];
	v[0] = sip_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = sip_rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = sip_rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = sip_rotl(v[1], 17) ^ v[2];
	v[2] = sip_rotl(v[2], 32);
}

static void sip_block(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

/* SipHash-2-4 as in the paper, section 2: 8-byte little-endian words, the last padded and tagged with len. */
uint64_t tcp_siphash(const struct tcp_secret *k, const void *msg, size_t len)
{
	const uint8_t *p = msg, *end = p + (len & ~(size_t)7);
	uint64_t v[4] = { k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f6dull, k->k0 ^ 0x6c7967656e657261ull,
			  k->k1 ^ 0x7465646279746573ull };
	uint64_t m;
	size_t i, left;

	for (; p < end; p += 8) {
		for (m = 0, i = 0; i < 8; i++)
			m |= (uint64_t)p[i] << (8 * i);
		sip_block(v, m);
	}
	left = len & 7;
	for (m = (uint64_t)len << 56, i = 0; i < left; i++)
		m |= (uint64_t)p[i] << (8 * i);
	sip_block(v, m);
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The 4-tuple in one fixed layout, with extra words appended by the caller. */
struct isn_input {
	uint8_t laddr[16], raddr[16];
	uint8_t lport[2], rport[2];
	uint8_t family;
	uint8_t extra[11]; /* the cookie's peer ISN, slot and MSS index; zero for ISNs */
};

static void isn_input_fill(struct isn_input *in, const struct tcp_endpoints *ep)
{
	memset(in, 0, sizeof(*in));
	memcpy(in->laddr, ep->laddr, 16);
	memcpy(in->raddr, ep->raddr, 16);
	in->lport[0] = (uint8_t)(ep->lport >> 8);
	in->lport[1] = (uint8_t)ep->lport;
	in->rport[0] = (uint8_t)(ep->rport >> 8);
	in->rport[1] = (uint8_t)ep->rport;
	in->family = ep->family;
}

/*
 * RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 microseconds and F a keyed
 * pseudo-random function (SipHash-2-4, as the Linux kernel uses), so that an
 * off-path attacker cannot guess the next ISN of a connection and
 * successive incarnations of one 4-tuple move forward (RFC 9293 3.4.1).
 */
uint32_t tcp_isn(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint64_t now_us)
{
	struct isn_input in;

	isn_input_fill(&in, ep);
	return (uint32_t)(now_us / 4) + (uint32_t)tcp_siphash(k, &in, sizeof(in));
}

/* Bits of the low TCP_COOKIE_TS_BITS of a cookie's TSval. */
#define COOKIE_TS_WSCALE_MASK 0x0fu
#define COOKIE_TS_SACK        0x10u
#define COOKIE_TS_RESERVED    0x20u /* ECN in Linux; mstack does no ECN: always 0 */

/* The options as the low bits of a TSval; 0 for none (a TSval may well end in 0: ts tells them apart). */
static uint8_t cookie_opts_bits(const struct tcp_cookie_opts *o)
{
	if (!o || !o->ts)
		return 0;
	return (uint8_t)((o->wscale & COOKIE_TS_WSCALE_MASK) | (o->sack ? COOKIE_TS_SACK : 0));
}

/*
 * The cookie's 24-bit MAC for a full slot number (not just its 5 bits), an
 * MSS index and the options kept in the timestamp. The options are in the
 * MAC (Linux leaves them out): an ACK whose TSecr does not echo what the
 * SYN,ACK offered makes no connection, instead of one whose window scale
 * the two ends see differently.
 */
static uint32_t cookie_mac(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint64_t slot,
			   unsigned mss_idx, const struct tcp_cookie_opts *opts)
{
	struct {
		struct isn_input in;
		uint8_t opts; /* 0: no timestamps; else 0x40 and the TSval bits */
	} m;
	unsigned i;

	memset(&m, 0, sizeof(m));
	isn_input_fill(&m.in, ep);
	for (i = 0; i < 4; i++)
		m.in.extra[i] = (uint8_t)(peer_isn >> (24 - 8 * i));
	for (i = 0; i < 6; i++)
		m.in.extra[4 + i] = (uint8_t)(slot >> (40 - 8 * i));
	m.in.extra[10] = (uint8_t)(mss_idx | 0x80); /* 0x80: never equal to an ISN input */
	if (opts && opts->ts)
		m.opts = (uint8_t)(0x40 | cookie_opts_bits(opts));
	return (uint32_t)tcp_siphash(k, &m, sizeof(m)) & ((1u << COOKIE_MAC_BITS) - 1);
}

/*
 * RFC 4987 3.6 (the layout of Bernstein's SYN cookies): the top 5 bits are
 * the time slot modulo 32, the next 3 the MSS index, the low 24 a MAC that
 * only the holder of the secret can compute.
 */
uint32_t tcp_cookie_make(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint16_t mss,
			 const struct tcp_cookie_opts *opts, uint64_t now_ms)
{
	uint64_t slot = now_ms / COOKIE_SLOT_MS;
	unsigned idx = 0, i;

	for (i = 1; i < TCP_COOKIE_MSS_COUNT; i++)
		if (tcp_cookie_mss[i] <= mss)
			idx = i;
	return (uint32_t)(slot & ((1u << COOKIE_SLOT_BITS) - 1)) << (COOKIE_MSS_BITS + COOKIE_MAC_BITS) |
	       (uint32_t)idx << COOKIE_MAC_BITS | cookie_mac(k, ep, peer_isn, slot, idx, opts);
}

/* RFC 4987 3.6: a cookie is good if its MAC matches for one of the last few slots whose low bits it carries. */
int tcp_cookie_check(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint32_t cookie,
		     const struct tcp_cookie_opts *opts, uint64_t now_ms, uint16_t *mss)
{
	uint64_t now_slot = now_ms / COOKIE_SLOT_MS, slot;
	unsigned age, idx = (cookie >> COOKIE_MAC_BITS) & ((1u << COOKIE_MSS_BITS) - 1);
	uint32_t low = cookie >> (COOKIE_MSS_BITS + COOKIE_MAC_BITS);

	for (age = 0; age <= COOKIE_MAX_AGE && age <= now_slot; age++) {
		slot = now_slot - age;
		if ((slot & ((1u << COOKIE_SLOT_BITS) - 1)) != low)
			continue;
		if (cookie_mac(k, ep, peer_isn, slot, idx, opts) != (cookie & ((1u << COOKIE_MAC_BITS) - 1)))
			return -EINVAL;
		*mss = tcp_cookie_mss[idx];
		return 0;
	}
	return -EINVAL;
}

/*
 * The options a stateless SYN,ACK must remember, in its TSval (as Linux's
 * cookie_init_timestamp does): the peer echoes the TSval in the TSecr of
 * its ACK (RFC 7323 4.3), so the ACK brings back the peer's window shift
 * and SACK-permitted, which the 32-bit ISN has no room for. Our own shift
 * needs no bits: it follows from the receive buffer, as for any SYN.
 *
 * RFC 7323 5.3 (PAWS at the peer) wants our TSvals never to go backwards.
 * This one is ts_now with its low 6 bits replaced, stepped back by 64 if
 * that put it ahead: it lies in (ts_now - 64, ts_now], at most 63 ms
 * behind our clock and never ahead of it. Every later segment of the
 * connection carries the clock itself (same per-pair offset), which is at
 * least this value, so the peer sees TSvals that only move forward; two
 * cookie SYN,ACKs for the same SYN carry the same low bits and so are in
 * the clock's order too.
 */
uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_cookie_opts *opts)
{
	uint32_t mask = (1u << TCP_COOKIE_TS_BITS) - 1;
	uint32_t ts = (ts_now & ~mask) | cookie_opts_bits(opts);

	if ((int32_t)(ts - ts_now) > 0)
		ts -= 1u << TCP_COOKIE_TS_BITS;
	return ts;
}

/*
 * What tcp_cookie_tsval put in the TSval, from the ACK's TSecr. The 4
 * bits of the shift hold 0..14 (RFC 7323 2.3: the peer's, clamped to 14
 * when the SYN was read) or 0xf for none, so no TSecr decodes to a shift
 * above 14; the reserved bit is never set by us. The MAC
 * (tcp_cookie_check) then says whether these are the options of this
 * cookie: a TSecr that names others makes no connection.
 */
int tcp_cookie_ts_decode(uint32_t ts_ecr, struct tcp_cookie_opts *opts)
{
	if (ts_ecr & COOKIE_TS_RESERVED)
		return -EINVAL;
	opts->ts = 1;
	opts->wscale = (uint8_t)(ts_ecr & COOKIE_TS_WSCALE_MASK);
	opts->sack = !!(ts_ecr & COOKIE_TS_SACK);
	return 0;
}
