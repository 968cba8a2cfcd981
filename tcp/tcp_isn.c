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

/* The cookie's 24-bit MAC for a full slot number (not just its 5 bits) and an MSS index. */
static uint32_t cookie_mac(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint64_t slot,
			   unsigned mss_idx)
{
	struct isn_input in;
	unsigned i;

	isn_input_fill(&in, ep);
	for (i = 0; i < 4; i++)
		in.extra[i] = (uint8_t)(peer_isn >> (24 - 8 * i));
	for (i = 0; i < 6; i++)
		in.extra[4 + i] = (uint8_t)(slot >> (40 - 8 * i));
	in.extra[10] = (uint8_t)(mss_idx | 0x80); /* 0x80: never equal to an ISN input */
	return (uint32_t)tcp_siphash(k, &in, sizeof(in)) & ((1u << COOKIE_MAC_BITS) - 1);
}

/*
 * RFC 4987 3.6 (the layout of Bernstein's SYN cookies): the top 5 bits are
 * the time slot modulo 32, the next 3 the MSS index, the low 24 a MAC that
 * only the holder of the secret can compute.
 */
uint32_t tcp_cookie_make(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint16_t mss,
			 uint64_t now_ms)
{
	uint64_t slot = now_ms / COOKIE_SLOT_MS;
	unsigned idx = 0, i;

	for (i = 1; i < TCP_COOKIE_MSS_COUNT; i++)
		if (tcp_cookie_mss[i] <= mss)
			idx = i;
	return (uint32_t)(slot & ((1u << COOKIE_SLOT_BITS) - 1)) << (COOKIE_MSS_BITS + COOKIE_MAC_BITS) |
	       (uint32_t)idx << COOKIE_MAC_BITS | cookie_mac(k, ep, peer_isn, slot, idx);
}

/* RFC 4987 3.6: a cookie is good if its MAC matches for one of the last few slots whose low bits it carries. */
int tcp_cookie_check(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint32_t cookie,
		     uint64_t now_ms, uint16_t *mss)
{
	uint64_t now_slot = now_ms / COOKIE_SLOT_MS, slot;
	unsigned age, idx = (cookie >> COOKIE_MAC_BITS) & ((1u << COOKIE_MSS_BITS) - 1);
	uint32_t low = cookie >> (COOKIE_MSS_BITS + COOKIE_MAC_BITS);

	for (age = 0; age <= COOKIE_MAX_AGE && age <= now_slot; age++) {
		slot = now_slot - age;
		if ((slot & ((1u << COOKIE_SLOT_BITS) - 1)) != low)
			continue;
		if (cookie_mac(k, ep, peer_isn, slot, idx) != (cookie & ((1u << COOKIE_MAC_BITS) - 1)))
			return -EINVAL;
		*mss = tcp_cookie_mss[idx];
		return 0;
	}
	return -EINVAL;
}
