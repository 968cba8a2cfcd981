/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_reass.c - reassembly in any order, a full queue refuses intact, SACK blocks in RFC 2018 order. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_reass.h"
#include "tcp_seq.h"
#include "check_main.h"

static struct tcp_reass *q;

static void setup(void)
{
	q = malloc(sizeof(*q));
	ck_assert_ptr_nonnull(q);
	tcp_reass_init(q, 64);
}

static void teardown(void)
{
	free(q);
}

/* The ranges are sorted, disjoint and coalesced (no two touch), none empty. */
static void assert_ranges_canonical(const struct tcp_reass *r)
{
	uint32_t i;

	for (i = 0; i < r->n; i++) {
		ck_assert(seq_lt(r->r[i].start, r->r[i].end));
		if (i > 0)
			ck_assert(seq_gt(r->r[i].start, r->r[i - 1].end));
	}
}

/* What a connection does with a segment: in order, deliver and pull held ranges; above rcv_nxt, hold it. */
static uint32_t receive(uint32_t rcv_nxt, uint32_t seq, uint32_t len)
{
	if (seq_leq(seq, rcv_nxt)) {
		if (seq_gt(seq + len, rcv_nxt))
			rcv_nxt = seq + len;
		return tcp_reass_advance(q, rcv_nxt);
	}
	ck_assert_int_eq(tcp_reass_add(q, seq, len), 0);
	return rcv_nxt;
}

/* Heap's algorithm: the next permutation of a[0..n), state in c[]. @return 0 when all were produced. */
static int next_permutation(int *a, int *c, int n)
{
	int i = 1;

	while (i < n && c[i] >= i)
		c[i++] = 0;
	if (i >= n)
		return 0;
	if (i % 2 == 0) {
		int t = a[0];
		a[0] = a[i];
		a[i] = t;
	} else {
		int t = a[c[i]];
		a[c[i]] = a[i];
		a[i] = t;
	}
	c[i]++;
	return 1;
}

START_TEST(test_rfc9293_every_arrival_order_of_five_segments_reassembles_the_whole_range)
{
	/* Five segments of different lengths straddling the 2^32 wrap. */
	static const uint32_t len[5] = { 100, 1, 1460, 7, 536 };
	const uint32_t isn = 0xffffff00u;
	uint32_t off[5], total = 0;
	int a[5] = { 0, 1, 2, 3, 4 }, c[5] = { 0 }, perms = 0, i;

	for (i = 0; i < 5; i++) {
		off[i] = total;
		total += len[i];
	}
	do {
		uint32_t rcv_nxt = isn;

		tcp_reass_init(q, 64);
		for (i = 0; i < 5; i++) {
			rcv_nxt = receive(rcv_nxt, isn + off[a[i]], len[a[i]]);
			assert_ranges_canonical(q);
			ck_assert_uint_eq(tcp_reass_bytes(q) + (rcv_nxt - isn) <= total, 1);
		}
		ck_assert_uint_eq(rcv_nxt, isn + total);
		ck_assert_uint_eq(q->n, 0);
		ck_assert_uint_eq(tcp_reass_bytes(q), 0);
		perms++;
	} while (next_permutation(a, c, 5));
	ck_assert_int_eq(perms, 120);
}
END_TEST

START_TEST(test_rfc9293_duplicate_and_overlapping_segments_are_held_once)
{
	ck_assert_int_eq(tcp_reass_add(q, 1100, 100), 0);
	ck_assert_int_eq(tcp_reass_add(q, 1300, 100), 0);
	ck_assert_int_eq(tcp_reass_add(q, 1100, 100), 0); /* an exact duplicate */
	ck_assert_int_eq(tcp_reass_add(q, 1120, 50), 0);  /* inside a held range */
	ck_assert_uint_eq(q->n, 2);
	ck_assert_uint_eq(tcp_reass_bytes(q), 200);

	ck_assert_int_eq(tcp_reass_add(q, 1150, 200), 0); /* overlaps both: one range */
	ck_assert_uint_eq(q->n, 1);
	ck_assert_uint_eq(q->r[0].start, 1100);
	ck_assert_uint_eq(q->r[0].end, 1400);

	ck_assert_int_eq(tcp_reass_add(q, 1050, 60), 0); /* overlaps the left edge */
	ck_assert_int_eq(tcp_reass_add(q, 1400, 10), 0); /* touches the right edge */
	ck_assert_int_eq(tcp_reass_add(q, 1500, 10), 0);
	ck_assert_int_eq(tcp_reass_add(q, 1000, 600), 0); /* covers everything */
	assert_ranges_canonical(q);
	ck_assert_uint_eq(q->n, 1);
	ck_assert_uint_eq(q->r[0].start, 1000);
	ck_assert_uint_eq(q->r[0].end, 1600);
	ck_assert_uint_eq(tcp_reass_bytes(q), 600);
}
END_TEST

START_TEST(test_in_order_data_into_a_held_range_consumes_all_of_it)
{
	ck_assert_int_eq(tcp_reass_add(q, 200, 100), 0);
	ck_assert_int_eq(tcp_reass_add(q, 400, 100), 0);
	ck_assert_uint_eq(tcp_reass_advance(q, 150), 150); /* not reaching 200: nothing moves */
	ck_assert_uint_eq(q->n, 2);
	ck_assert_uint_eq(tcp_reass_advance(q, 250), 300); /* a segment [100, 250) overlapped [200, 300) */
	ck_assert_uint_eq(q->n, 1);
	ck_assert_uint_eq(tcp_reass_bytes(q), 100);
	ck_assert_uint_eq(tcp_reass_advance(q, 400), 500);
	ck_assert_uint_eq(q->n, 0);
}
END_TEST

START_TEST(test_a_full_queue_refuses_a_new_range_and_keeps_its_state)
{
	struct tcp_reass *before = malloc(sizeof(*before));
	struct tcp_sack_block b[4];

	ck_assert_ptr_nonnull(before);
	tcp_reass_init(q, 3);
	ck_assert_int_eq(tcp_reass_add(q, 100, 10), 0);
	ck_assert_int_eq(tcp_reass_add(q, 200, 10), 0);
	ck_assert_int_eq(tcp_reass_add(q, 300, 10), 0);
	memcpy(before, q, sizeof(*q));

	ck_assert_int_eq(tcp_reass_add(q, 400, 10), -ENOBUFS);
	ck_assert_int_eq(tcp_reass_add(q, 150, 10), -ENOBUFS);
	ck_assert_int_eq(memcmp(before, q, sizeof(*q)), 0);

	/* Data that extends or joins held ranges needs no new range: still taken at the limit. */
	ck_assert_int_eq(tcp_reass_add(q, 110, 90), 0);
	ck_assert_uint_eq(q->n, 2);
	ck_assert_int_eq(tcp_reass_add(q, 400, 10), 0);
	ck_assert_uint_eq(q->n, 3);
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 4), 3);
	free(before);
}
END_TEST

START_TEST(test_a_limit_above_the_array_is_clamped)
{
	uint32_t i;

	tcp_reass_init(q, 100000);
	ck_assert_uint_eq(q->max, TCP_REASS_RANGES_MAX);
	for (i = 0; i < TCP_REASS_RANGES_MAX; i++)
		ck_assert_int_eq(tcp_reass_add(q, 1000 + 20 * i, 10), 0);
	ck_assert_int_eq(tcp_reass_add(q, 1000 + 20 * i, 10), -ENOBUFS);
	assert_ranges_canonical(q);
}
END_TEST

START_TEST(test_rfc2018_s4_the_first_block_holds_the_latest_segment_then_the_recent_ones)
{
	struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];

	ck_assert_int_eq(tcp_reass_add(q, 100, 10), 0); /* A */
	ck_assert_int_eq(tcp_reass_add(q, 300, 10), 0); /* C */
	ck_assert_int_eq(tcp_reass_add(q, 200, 10), 0); /* B */
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 4), 3);
	ck_assert_uint_eq(b[0].start, 200);
	ck_assert_uint_eq(b[1].start, 300);
	ck_assert_uint_eq(b[2].start, 100);

	/* A segment growing A to the left: A, now [90, 110), comes first, once. */
	ck_assert_int_eq(tcp_reass_add(q, 90, 10), 0);
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 4), 3);
	ck_assert_uint_eq(b[0].start, 90);
	ck_assert_uint_eq(b[0].end, 110);
	ck_assert_uint_eq(b[1].start, 200);
	ck_assert_uint_eq(b[2].start, 300);

	/* A segment joining B and C: the joined block first, and no block twice. */
	ck_assert_int_eq(tcp_reass_add(q, 210, 90), 0);
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 4), 2);
	ck_assert_uint_eq(b[0].start, 200);
	ck_assert_uint_eq(b[0].end, 310);
	ck_assert_uint_eq(b[1].start, 90);

	/* A duplicate of data already held still names its block first. */
	ck_assert_int_eq(tcp_reass_add(q, 95, 5), 0);
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 4), 2);
	ck_assert_uint_eq(b[0].start, 90);
	ck_assert_uint_eq(b[1].start, 200);

	/* In-order data consuming [90, 110) drops its block (RFC 2018: it is no longer above rcv_nxt). */
	ck_assert_uint_eq(tcp_reass_advance(q, 90), 110);
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 4), 1);
	ck_assert_uint_eq(b[0].start, 200);
}
END_TEST

START_TEST(test_rfc2018_s4_at_most_max_blocks_none_repeated_the_latest_first)
{
	struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];
	unsigned n, i, k;

	for (i = 0; i < 6; i++)
		ck_assert_int_eq(tcp_reass_add(q, 1000 + 100 * i, 10), 0);
	n = tcp_reass_sack_blocks(q, b, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(b[0].start, 1500);
	ck_assert_uint_eq(b[1].start, 1400);
	ck_assert_uint_eq(b[2].start, 1300);

	/* Joining the two latest leaves three remembered blocks: the room left is filled lowest first, no repeats. */
	ck_assert_int_eq(tcp_reass_add(q, 1410, 90), 0);
	ck_assert_uint_eq(tcp_reass_advance(q, 1000), 1010);
	n = tcp_reass_sack_blocks(q, b, 4);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(b[0].start, 1400);
	ck_assert_uint_eq(b[0].end, 1510);
	ck_assert_uint_eq(b[1].start, 1300);
	ck_assert_uint_eq(b[2].start, 1200);
	ck_assert_uint_eq(b[3].start, 1100);
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n; k++)
			ck_assert_uint_ne(b[i].start, b[k].start);
	ck_assert_uint_eq(tcp_reass_sack_blocks(q, b, 0), 0);
}
END_TEST

/* xorshift32: a fixed seed, so a failure replays. */
static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

#define LINK_BYTES 3000u

START_TEST(test_rfc9293_a_lossy_reordering_duplicating_link_matches_a_byte_map)
{
	static uint8_t have[LINK_BYTES];
	const uint32_t isn = 0xfffffa00u;
	int trial, segs = 0;

	for (trial = 0; trial < 60; trial++) {
		uint32_t rcv_nxt = isn, wrong = 0;

		tcp_reass_init(q, 64);
		memset(have, 0, sizeof(have));
		while (rcv_nxt != isn + LINK_BYTES) {
			/* 1 to 300 bytes from anywhere in the next 1000: in order, overlapping, duplicate or new. */
			uint32_t base = rcv_nxt - isn, off = base + rng() % 1000, len = 1 + rng() % 300, i, n, runs = 0;
			struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];

			if (off >= LINK_BYTES)
				continue;
			if (off + len > LINK_BYTES)
				len = LINK_BYTES - off;
			segs++;
			memset(&have[off], 1, len);
			if (seq_gt(isn + off, rcv_nxt))
				wrong += tcp_reass_add(q, isn + off, len) != 0;
			else
				rcv_nxt = tcp_reass_advance(q, isn + off + len);
			/* rcv_nxt is the first byte missing, and the ranges are exactly the runs held above it. */
			for (i = base; i < LINK_BYTES && have[i]; i++)
				;
			wrong += rcv_nxt != isn + i;
			for (; i < LINK_BYTES; i++)
				if (have[i] && !have[i - 1]) {
					uint32_t e = i;

					while (e < LINK_BYTES && have[e])
						e++;
					wrong +=
					    runs >= q->n || q->r[runs].start != isn + i || q->r[runs].end != isn + e;
					runs++;
				}
			wrong += runs != q->n;
			/* RFC 2018 section 4: the first block holds the segment just received, if it was held. */
			n = tcp_reass_sack_blocks(q, b, TCP_SACK_BLOCKS_MAX);
			wrong += n != (q->n < TCP_SACK_BLOCKS_MAX ? q->n : TCP_SACK_BLOCKS_MAX);
			if (seq_gt(isn + off, rcv_nxt))
				wrong += !(seq_leq(b[0].start, isn + off) && seq_geq(b[0].end, isn + off + len));
		}
		wrong += q->n != 0;
		/* One assertion per trial: check records each one, too slow per segment. */
		ck_assert_uint_eq(wrong, 0);
	}
	ck_assert_int_gt(segs, 600);
}
END_TEST

static Suite *tcp_reass_suite(void)
{
	Suite *s = suite_create("tcp_reass");
	TCase *tc = tcase_create("reass");

	tcase_set_timeout(tc, 60); /* the randomised runs, on a loaded machine or under valgrind */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rfc9293_every_arrival_order_of_five_segments_reassembles_the_whole_range);
	tcase_add_test(tc, test_rfc9293_duplicate_and_overlapping_segments_are_held_once);
	tcase_add_test(tc, test_in_order_data_into_a_held_range_consumes_all_of_it);
	tcase_add_test(tc, test_a_full_queue_refuses_a_new_range_and_keeps_its_state);
	tcase_add_test(tc, test_a_limit_above_the_array_is_clamped);
	tcase_add_test(tc, test_rfc2018_s4_the_first_block_holds_the_latest_segment_then_the_recent_ones);
	tcase_add_test(tc, test_rfc2018_s4_at_most_max_blocks_none_repeated_the_latest_first);
	tcase_add_test(tc, test_rfc9293_a_lossy_reordering_duplicating_link_matches_a_byte_map);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tcp_reass_suite)
