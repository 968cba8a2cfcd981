/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_isn.h - initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 3.6), keyed by a per-stack secret. */
#ifndef MSTACK_TCP_ISN_H
#define MSTACK_TCP_ISN_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_seg.h"

/* The MSS values a SYN cookie can carry, ascending (tcp_isn.c). */
#define TCP_COOKIE_MSS_COUNT 8
extern const uint16_t tcp_cookie_mss[TCP_COOKIE_MSS_COUNT];

struct tcp_secret {
	uint64_t k0, k1; /* SipHash-2-4 key, from getrandom(2) */
};

/* Fill a fresh secret. @return 0; -errno of getrandom. */
int tcp_secret_init(struct tcp_secret *k);

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of msg[0..len) under k; key bytes are k0, k1 little-endian. */
uint64_t tcp_siphash(const struct tcp_secret *k, const void *msg, size_t len);

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us clock. */
uint32_t tcp_isn(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint64_t now_us);

/*
 * The options a cookie connection keeps when the SYN carried timestamps
 * (and we use them): they travel in the low TCP_COOKIE_TS_BITS of our
 * SYN,ACK's TSval and come back in the ACK's TSecr (tcp_cookie_tsval,
 * tcp_cookie_ts_decode). ts 0: MSS only, the other fields are 0.
 */
#define TCP_COOKIE_TS_BITS   6
#define TCP_COOKIE_NO_WSCALE 0xf /* the peer sent no window scale option */

struct tcp_cookie_opts {
	uint8_t ts;     /* timestamps on: the two fields below are meaningful */
	uint8_t wscale; /* the peer's window shift 0..14, or TCP_COOKIE_NO_WSCALE */
	uint8_t sack;   /* the peer sent SACK-permitted (and we use SACK) */
};

/*
 * SYN cookie: our ISN for a SYN answered without state (RFC 4987 3.6).
 * Encodes a 64 s time slot (5 bits), the MSS as an index into a table of
 * common values (3 bits), and a 24-bit MAC over the endpoints, the peer's
 * ISN, the slot, the MSS index and opts (NULL: none). The MSS is rounded
 * down to tcp_cookie_mss[] (up to its smallest entry).
 */
uint32_t tcp_cookie_make(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint16_t mss,
			 const struct tcp_cookie_opts *opts, uint64_t now_ms);

/*
 * Check the ACK completing a cookie handshake: cookie is ack - 1, peer_isn
 * is seq - 1, opts what the ACK's TSecr says (NULL: none); options that
 * differ from the ones the cookie was made with fail the MAC. Accepts
 * slots up to 2 old (up to 128-192 s).
 * @return 0 with *mss; -EINVAL (forged, or expired).
 */
int tcp_cookie_check(const struct tcp_secret *k, const struct tcp_endpoints *ep, uint32_t peer_isn, uint32_t cookie,
		     const struct tcp_cookie_opts *opts, uint64_t now_ms, uint16_t *mss);

/* The TSval of a cookie SYN,ACK: ts_now with opts (opts->ts set) in its low bits, never ahead of ts_now. */
uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_cookie_opts *opts);

/*
 * The options an ACK's TSecr carries back (opts->ts set).
 * @return 0; -EINVAL if its low bits are not something tcp_cookie_tsval writes.
 */
int tcp_cookie_ts_decode(uint32_t ts_ecr, struct tcp_cookie_opts *opts);

#endif
