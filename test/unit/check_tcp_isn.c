/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_isn.c - SipHash-2-4 against its reference vectors, RFC 6528 ISNs, RFC 4987 SYN cookies. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_isn.h"
#include "check_main.h"

/* The key of the SipHash paper's appendix A: bytes 00 01 .. 0f, read as two little-endian words. */
static const struct tcp_secret paper_key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };

static void ep_fill(struct tcp_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET;
	ep->lport = 80;
	ep->rport = 51000;
	memcpy(ep->laddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(ep->raddr, (uint8_t[]){ 192, 0, 2, 7 }, 4);
}

/* Aumasson and Bernstein, "SipHash: a fast short-input PRF", appendix A, and the reference vectors.h. */
START_TEST(test_siphash_gives_the_papers_test_vectors)
{
	uint8_t msg[15];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(tcp_siphash(&paper_key, msg, 15), 0xa129ca6149be45e5ull);
	ck_assert_uint_eq(tcp_siphash(&paper_key, msg, 0), 0x726fdb47dd0e0e31ull);
}
END_TEST

START_TEST(test_secrets_come_fresh_from_the_kernel)
{
	struct tcp_secret a, b;

	ck_assert_int_eq(tcp_secret_init(&a), 0);
	ck_assert_int_eq(tcp_secret_init(&b), 0);
	ck_assert(a.k0 != b.k0 || a.k1 != b.k1);
}
END_TEST

/* RFC 6528 3: F covers each element of the 4-tuple, so changing any one changes the ISN. */
START_TEST(test_different_four_tuples_give_different_isns)
{
	struct tcp_endpoints a, b;
	uint32_t base;

	ep_fill(&a);
	base = tcp_isn(&paper_key, &a, 1000);
	b = a;
	b.lport++;
	ck_assert_uint_ne(tcp_isn(&paper_key, &b, 1000), base);
	b = a;
	b.rport++;
	ck_assert_uint_ne(tcp_isn(&paper_key, &b, 1000), base);
	b = a;
	b.laddr[3]++;
	ck_assert_uint_ne(tcp_isn(&paper_key, &b, 1000), base);
	b = a;
	b.raddr[0]++;
	ck_assert_uint_ne(tcp_isn(&paper_key, &b, 1000), base);
	b = a;
	b.lport = a.rport; /* the reverse direction */
	b.rport = a.lport;
	memcpy(b.laddr, a.raddr, 16);
	memcpy(b.raddr, a.laddr, 16);
	ck_assert_uint_ne(tcp_isn(&paper_key, &b, 1000), base);
	b = a;
	b.family = AF_INET6;
	ck_assert_uint_ne(tcp_isn(&paper_key, &b, 1000), base);
	ck_assert_uint_eq(tcp_isn(&paper_key, &a, 1000), base); /* and it is a function */
}
END_TEST

START_TEST(test_another_secret_gives_another_isn)
{
	struct tcp_secret other = { paper_key.k0, paper_key.k1 ^ 1 };
	struct tcp_endpoints ep;

	ep_fill(&ep);
	ck_assert_uint_ne(tcp_isn(&paper_key, &ep, 0), tcp_isn(&other, &ep, 0));
}
END_TEST

/* RFC 6528 3 (and RFC 9293 3.4.1): M is a timer that ticks every 4 microseconds, wrapping modulo 2^32. */
START_TEST(test_the_isn_advances_with_the_4_us_clock)
{
	struct tcp_endpoints ep;
	uint64_t t = 4000000; /* a multiple of 4 */
	uint32_t base;

	ep_fill(&ep);
	base = tcp_isn(&paper_key, &ep, t);
	ck_assert_uint_eq(tcp_isn(&paper_key, &ep, t + 3), base);
	ck_assert_uint_eq(tcp_isn(&paper_key, &ep, t + 4), base + 1);
	ck_assert_uint_eq(tcp_isn(&paper_key, &ep, t + 4000000), base + 1000000);
	ck_assert_uint_eq(tcp_isn(&paper_key, &ep, t + (4ull << 32)), base);
}
END_TEST

/* RFC 4987 3.6: the cookie gives back the MSS it encoded, for each value in the table, at any time in its slot. */
START_TEST(test_cookies_round_trip_with_each_mss_in_the_table)
{
	struct tcp_endpoints ep;
	uint64_t now = 10 * 64000 + 123;
	uint32_t c, peer_isn = 0xfedcba98;
	uint16_t mss;
	unsigned i;

	ep_fill(&ep);
	for (i = 0; i < TCP_COOKIE_MSS_COUNT; i++) {
		c = tcp_cookie_make(&paper_key, &ep, peer_isn, tcp_cookie_mss[i], NULL, now);
		mss = 0;
		ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn, c, NULL, now, &mss), 0);
		ck_assert_uint_eq(mss, tcp_cookie_mss[i]);
		ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn, c, NULL, now + 64000 - 124, &mss), 0);
	}
	/* Between table values the MSS rounds down; below the table it is the smallest entry. */
	c = tcp_cookie_make(&paper_key, &ep, peer_isn, 1459, NULL, now);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn, c, NULL, now, &mss), 0);
	ck_assert_uint_eq(mss, 1440);
	c = tcp_cookie_make(&paper_key, &ep, peer_isn, 100, NULL, now);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn, c, NULL, now, &mss), 0);
	ck_assert_uint_eq(mss, 536);
	c = tcp_cookie_make(&paper_key, &ep, peer_isn, 65535, NULL, now);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn, c, NULL, now, &mss), 0);
	ck_assert_uint_eq(mss, 8960);
}
END_TEST

/* Up to 2 slots old is accepted, 3 is expired; a cookie from the future is not accepted either. */
START_TEST(test_an_expired_slot_is_refused)
{
	struct tcp_endpoints ep;
	uint64_t made = 100 * 64000;
	uint32_t c;
	uint16_t mss;

	ep_fill(&ep);
	c = tcp_cookie_make(&paper_key, &ep, 1, 1460, NULL, made);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 1, c, NULL, made + 2 * 64000 + 63999, &mss), 0);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 1, c, NULL, made + 3 * 64000, &mss), -EINVAL);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 1, c, NULL, made + 32 * 64000, &mss), -EINVAL);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 1, c, NULL, made - 1, &mss), -EINVAL);
	/* Near the clock's start there are fewer old slots, and nothing wraps. */
	c = tcp_cookie_make(&paper_key, &ep, 1, 1460, NULL, 5);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 1, c, NULL, 64000, &mss), 0);
}
END_TEST

START_TEST(test_a_flipped_bit_or_another_connection_is_refused)
{
	struct tcp_endpoints ep, other;
	uint64_t now = 7 * 64000 + 5;
	uint32_t c, peer_isn = 42;
	uint16_t mss;
	unsigned bit;

	ep_fill(&ep);
	c = tcp_cookie_make(&paper_key, &ep, peer_isn, 1380, NULL, now);
	for (bit = 0; bit < 32; bit++)
		ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn, c ^ (1u << bit), NULL, now, &mss),
				 -EINVAL);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, peer_isn + 1, c, NULL, now, &mss), -EINVAL);
	other = ep;
	other.rport++;
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &other, peer_isn, c, NULL, now, &mss), -EINVAL);
	other = ep;
	other.raddr[3]++;
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &other, peer_isn, c, NULL, now, &mss), -EINVAL);
	ck_assert_int_eq(tcp_cookie_check(&(struct tcp_secret){ 1, 2 }, &ep, peer_isn, c, NULL, now, &mss), -EINVAL);
}
END_TEST

/*
 * RFC 7323 5.3 (PAWS at the peer): a cookie TSval carries the options in its
 * low 6 bits and is never ahead of the clock nor more than 63 behind it,
 * so the connection's later TSvals (the clock itself) never go back; and
 * the TSecr that echoes it decodes to the same options.
 */
START_TEST(test_a_cookie_tsval_carries_the_options_and_stays_behind_the_clock)
{
	const uint32_t clocks[] = { 0, 1, 63, 64, 1000, 0xffffffc5u, 0xffffffffu, 0x12345678u };
	struct tcp_cookie_opts o = { .ts = 1 }, back;

	for (unsigned c = 0; c < sizeof(clocks) / sizeof(clocks[0]); c++)
		for (unsigned ws = 0; ws <= TCP_COOKIE_NO_WSCALE; ws++) {
			for (unsigned sack = 0; sack < 2; sack++) {
				uint32_t ts;

				o.wscale = (uint8_t)ws;
				o.sack = (uint8_t)sack;
				ts = tcp_cookie_tsval(clocks[c], &o);
				ck_assert_uint_le(clocks[c] - ts, 63); /* behind by 0..63, modulo 2^32 */
				ck_assert_int_eq(tcp_cookie_ts_decode(ts, &back), 0);
				ck_assert_uint_eq(back.ts, 1);
				ck_assert_uint_eq(back.wscale, ws);
				ck_assert_uint_eq(back.sack, sack);
			}
		}
	/* The clock moving on keeps the same options' TSvals in order (modulo 2^32, RFC 7323 5.2). */
	o.wscale = 7;
	o.sack = 1;
	for (uint32_t now = 0; now < 1000; now++)
		ck_assert_int_ge((int32_t)(tcp_cookie_tsval(now + 1, &o) - tcp_cookie_tsval(now, &o)), 0);
	/* The reserved bit is never ours. */
	ck_assert_int_eq(tcp_cookie_ts_decode(0x20, &back), -EINVAL);
}
END_TEST

/* The options are in the MAC: an ACK whose TSecr names other options than the SYN,ACK's fails the cookie. */
START_TEST(test_a_cookie_checks_only_with_the_options_it_was_made_with)
{
	struct tcp_endpoints ep;
	struct tcp_cookie_opts made = { .ts = 1, .wscale = 7, .sack = 1 }, other;
	uint64_t now = 3 * 64000 + 17;
	uint32_t c;
	uint16_t mss;

	ep_fill(&ep);
	c = tcp_cookie_make(&paper_key, &ep, 9, 1460, &made, now);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, &made, now, &mss), 0);
	ck_assert_uint_eq(mss, 1460);
	other = made;
	other.wscale = TCP_COOKIE_NO_WSCALE; /* "15": no window scaling */
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, &other, now, &mss), -EINVAL);
	other = made;
	other.wscale = 14;
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, &other, now, &mss), -EINVAL);
	other = made;
	other.sack = 0;
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, &other, now, &mss), -EINVAL);
	/* An ACK without timestamps for a cookie made with them, and the other way round. */
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, NULL, now, &mss), -EINVAL);
	c = tcp_cookie_make(&paper_key, &ep, 9, 1460, NULL, now);
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, &made, now, &mss), -EINVAL);
	other = (struct tcp_cookie_opts){ 0 }; /* ts 0 is no options, like NULL */
	ck_assert_int_eq(tcp_cookie_check(&paper_key, &ep, 9, c, &other, now, &mss), 0);
}
END_TEST

static Suite *tcp_isn_suite(void)
{
	Suite *s = suite_create("tcp_isn");
	TCase *sip = tcase_create("siphash"), *isn = tcase_create("isn"), *cookie = tcase_create("cookie");

	tcase_add_test(sip, test_siphash_gives_the_papers_test_vectors);
	tcase_add_test(sip, test_secrets_come_fresh_from_the_kernel);
	tcase_add_test(isn, test_different_four_tuples_give_different_isns);
	tcase_add_test(isn, test_another_secret_gives_another_isn);
	tcase_add_test(isn, test_the_isn_advances_with_the_4_us_clock);
	tcase_add_test(cookie, test_cookies_round_trip_with_each_mss_in_the_table);
	tcase_add_test(cookie, test_an_expired_slot_is_refused);
	tcase_add_test(cookie, test_a_flipped_bit_or_another_connection_is_refused);
	tcase_add_test(cookie, test_a_cookie_tsval_carries_the_options_and_stays_behind_the_clock);
	tcase_add_test(cookie, test_a_cookie_checks_only_with_the_options_it_was_made_with);
	suite_add_tcase(s, sip);
	suite_add_tcase(s, isn);
	suite_add_tcase(s, cookie);
	return s;
}

CHECK_MAIN(tcp_isn_suite)
