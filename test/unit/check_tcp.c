/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp.c - libmstack-tcp end to end on a simulated link: byte streams, RFC 9293 states, recovery, timers, limits.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_ip.h"
#include "tcp_opt.h"
#include "tcp_seq.h"
#include "tcp_simlink.h"
#include "tcp_stack.h"
#include "check_main.h"

/* Two stacks on one link: side 0 at 10.0.0.1 (the client), side 1 at 10.0.0.2 (the server). */
#define MAXH 64

struct pair {
	struct simlink *l;
	struct ms_tcp_stack *st[2];
	uint32_t ev[2][MAXH]; /* events seen per handle, accumulated until the test clears them */
};

static struct ms_tcp_addr addr_of(int side, uint16_t port)
{
	struct ms_tcp_addr a = { .family = AF_INET, .port = port, .addr = { 10, 0, 0, (uint8_t)(side + 1) } };

	return a;
}

static void pair_init(struct pair *p, const struct simlink_cfg *lc, const struct ms_tcp_config *c0,
		      const struct ms_tcp_config *c1)
{
	memset(p, 0, sizeof(*p));
	p->l = simlink_new(lc);
	ck_assert_ptr_nonnull(p->l);
	ck_assert_int_eq(tcp_stack_new_io(simlink_io(p->l, 0), NULL, 0, c0, &p->st[0]), 0);
	ck_assert_int_eq(tcp_stack_new_io(simlink_io(p->l, 1), NULL, 0, c1 ? c1 : c0, &p->st[1]), 0);
}

static void pair_fini(struct pair *p)
{
	ms_tcp_stack_free(p->st[0]);
	ms_tcp_stack_free(p->st[1]);
	simlink_free(p->l);
}

/* Poll both stacks once, then move virtual time to the next thing that happens (a frame or a timer). */
static void pair_step(struct pair *p)
{
	struct ms_tcp_event ev[32];
	uint64_t now, next;
	int n;

	for (int s = 0; s < 2; s++) {
		do {
			n = ms_tcp_poll(p->st[s], ev, 32);
			ck_assert_int_ge(n, 0);
			for (int i = 0; i < n; i++)
				if (ev[i].handle >= 0 && ev[i].handle < MAXH)
					p->ev[s][ev[i].handle] |= ev[i].events;
		} while (n == 32);
	}
	now = simlink_now(p->l);
	next = simlink_next_arrival(p->l);
	for (int s = 0; s < 2; s++) {
		int t = ms_tcp_timeout(p->st[s]);

		if (t >= 0 && now + (uint64_t)t * 1000 < next)
			next = now + (uint64_t)t * 1000;
	}
	if (next == UINT64_MAX)
		next = now + 1000000;
	if (next <= now)
		next = now + 100;
	simlink_set_now(p->l, next);
}

/* Step until virtual time has advanced by us. */
static void pair_run(struct pair *p, uint64_t us)
{
	uint64_t end = simlink_now(p->l) + us;

	while (simlink_now(p->l) < end)
		pair_step(p);
}

static int conn_state(struct pair *p, int s, int h)
{
	struct ms_tcp_info info;

	if (ms_tcp_info(p->st[s], h, &info))
		return -1;
	return info.state;
}

/* Step until handle h of side s is in state, at most max_us. @return 1 if it got there. */
static int pair_until_state(struct pair *p, int s, int h, int state, uint64_t max_us)
{
	uint64_t end = simlink_now(p->l) + max_us;

	while (conn_state(p, s, h) != state && simlink_now(p->l) < end)
		pair_step(p);
	return conn_state(p, s, h) == state;
}

/* Listen on the server, connect from the client, accept. */
static void pair_connect(struct pair *p, int *lh, int *ch, int *sh)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	uint64_t end;

	*lh = ms_tcp_listen(p->st[1], &la, 16, NULL);
	ck_assert_int_ge(*lh, 0);
	*ch = ms_tcp_connect(p->st[0], &ca, &la, NULL);
	ck_assert_int_ge(*ch, 0);
	end = simlink_now(p->l) + 60000000;
	*sh = -EAGAIN;
	while (*sh == -EAGAIN && simlink_now(p->l) < end) {
		pair_step(p);
		*sh = ms_tcp_accept(p->st[1], *lh, NULL, NULL);
	}
	ck_assert_int_ge(*sh, 0);
	ck_assert(pair_until_state(p, 0, *ch, MS_TCP_ESTABLISHED, 60000000));
}

static struct tcp_conn *conn_of(struct pair *p, int s, int h)
{
	return tcp_handle_get(&p->st[s]->tab, h);
}

/* The byte at offset i of the stream in direction dir: not periodic at any segment size. */
static uint8_t pattern(uint64_t i, int dir)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)dir;

	return (uint8_t)(x >> 56 ^ x >> 23);
}

/* Both directions at once: each side sends total bytes then shuts down, and checks every byte it reads. */
struct stream {
	uint64_t sent, rcvd;
	int eof, shut;
};

static void bulk_transfer(struct pair *p, int h[2], uint64_t total, uint64_t max_us)
{
	struct stream s[2] = { 0 };
	static uint8_t buf[65536];
	uint64_t end = simlink_now(p->l) + max_us;

	while (!(s[0].eof && s[1].eof) && simlink_now(p->l) < end) {
		for (int k = 0; k < 2; k++) {
			ssize_t n;

			while (s[k].sent < total) {
				uint32_t chunk =
				    total - s[k].sent > sizeof(buf) ? sizeof(buf) : (uint32_t)(total - s[k].sent);

				for (uint32_t i = 0; i < chunk; i++)
					buf[i] = pattern(s[k].sent + i, k);
				n = ms_tcp_send(p->st[k], h[k], buf, chunk);
				if (n == -EAGAIN)
					break;
				ck_assert_int_gt(n, 0);
				s[k].sent += (uint64_t)n;
			}
			if (s[k].sent == total && !s[k].shut) {
				ck_assert_int_eq(ms_tcp_shutdown(p->st[k], h[k], SHUT_WR), 0);
				s[k].shut = 1;
			}
			while ((n = ms_tcp_recv(p->st[k], h[k], buf, sizeof(buf))) > 0) {
				for (ssize_t i = 0; i < n; i++)
					if (buf[i] != pattern(s[k].rcvd + (uint64_t)i, !k))
						ck_abort_msg("side %d: byte %llu differs", k,
							     (unsigned long long)(s[k].rcvd + (uint64_t)i));
				s[k].rcvd += (uint64_t)n;
			}
			if (n == 0)
				s[k].eof = 1;
			else
				ck_assert_int_eq(n, -EAGAIN);
		}
		pair_step(p);
	}
	ck_assert_uint_eq(s[0].rcvd, total);
	ck_assert_uint_eq(s[1].rcvd, total);
	ck_assert(s[0].eof && s[1].eof);
}

/* After both sides shut down and read EOF: one TIME_WAIT, then nothing left on either side. */
static void close_and_drain(struct pair *p, int h[2])
{
	ck_assert_int_eq(ms_tcp_close(p->st[0], h[0]), 0);
	ck_assert_int_eq(ms_tcp_close(p->st[1], h[1]), 0);
	pair_run(p, 2ull * 60 * 1000000 + 1000000);
	ck_assert_uint_le(p->st[0]->tab.count, 1); /* at most a listener */
	ck_assert_uint_le(p->st[1]->tab.count, 1);
	ck_assert_uint_eq(p->st[0]->mem.used, 0);
	ck_assert_uint_eq(p->st[1]->mem.used, 0);
}

static const struct simlink_cfg clean_link = { .delay_us = 500, .seed = 1 };

/* ---- byte streams ---- */

START_TEST(test_several_megabytes_arrive_intact_both_ways_over_a_clean_link)
{
	struct pair p;
	int lh, h[2];

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 4u << 20, 120000000);
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->retransmits, 0);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

/* Loss, reordering, duplication and corruption from the seed _i. */
START_TEST(test_streams_survive_a_bad_link)
{
	struct simlink_cfg lc = { .delay_us = 1000,
				  .jitter_us = 1500,
				  .loss_ppm = 20000,
				  .dup_ppm = 10000,
				  .corrupt_ppm = 5000,
				  .seed = (uint64_t)_i + 7 };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 1u << 20, 1200000000);
	ck_assert_uint_gt(simlink_stats(p.l)->lost, 0);
	ck_assert_uint_gt(simlink_stats(p.l)->corrupted, 0);
	ck_assert_uint_gt(
	    p.st[0]->stats.rx_dropped[-TCP_IP_DROP_BAD_CSUM] + p.st[1]->stats.rx_dropped[-TCP_IP_DROP_BAD_CSUM], 0);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

START_TEST(test_streams_survive_loss_without_sack_and_timestamps)
{
	struct simlink_cfg lc = { .delay_us = 1000, .jitter_us = 300, .loss_ppm = 20000, .seed = (uint64_t)_i + 100 };
	struct ms_tcp_config cfg = { .flags = MS_TCP_CFG_NO_SACK | MS_TCP_CFG_NO_TS };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, &cfg, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert(!(conn_of(&p, 0, h[0])->flags & (TCP_CF_SACK | TCP_CF_TS)));
	bulk_transfer(&p, h, 1u << 20, 1200000000);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

START_TEST(test_cubic_carries_a_stream_over_a_lossy_link)
{
	struct simlink_cfg lc = { .delay_us = 2000, .loss_ppm = 5000, .seed = 42 };
	struct ms_tcp_config cfg = { .cc = "cubic" };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, &cfg, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 2u << 20, 1200000000);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

static Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc;

	tc = tcase_create("streams");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_several_megabytes_arrive_intact_both_ways_over_a_clean_link);
	tcase_add_loop_test(tc, test_streams_survive_a_bad_link, 0, 4);
	tcase_add_loop_test(tc, test_streams_survive_loss_without_sack_and_timestamps, 0, 2);
	tcase_add_test(tc, test_cubic_carries_a_stream_over_a_lossy_link);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tcp_suite)
