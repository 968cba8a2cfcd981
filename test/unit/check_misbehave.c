/* SPDX-License-Identifier: BSD-2-Clause */
/* check_misbehave.c - the disconnect policy: what counts as misbehaviour, a burst tolerated, a rate sustained, off. */
#include <check.h>
#include <stdlib.h>

#include "misbehave.h"
#include "check_main.h"

START_TEST(test_only_the_apps_own_refusals_count_not_load)
{
	struct app_stats s = { 0 };
	int v;

	/* Load: a full ring, no mbufs, a full NIC, a frame too long for the app's buffers. */
	s.rx_ring_full = 1000;
	s.tx_nombuf = 1000;
	s.tx_nic_full = 1000;
	s.rx_too_long = 1000;
	s.rx_packets = s.tx_packets = 1000;
	ck_assert_uint_eq(misbehave_count(&s), 0);
	s.rx_bad_index = 1;
	s.tx_bad_index = 10;
	s.tx_invalid_desc = 100;
	for (v = TXV_OK + 1; v < TXV_VERDICT_COUNT; v++)
		s.tx_refused[v] = 1000;
	ck_assert_uint_eq(misbehave_count(&s), 111 + 1000 * (TXV_VERDICT_COUNT - 1));
}
END_TEST

START_TEST(test_a_burst_up_to_misbehave_burst_is_tolerated_one_more_is_not)
{
	struct misbehave m = { 0 };

	ck_assert(!misbehave_over(&m, 0, 100, 1000, 5000));
	ck_assert(!misbehave_over(&m, 1000, 100, 1000, 5000));
	ck_assert(misbehave_over(&m, 1001, 100, 1000, 5000));
}
END_TEST

START_TEST(test_misbehave_rate_is_sustained_twice_the_rate_is_not)
{
	struct misbehave slow = { 0 }, fast = { 0 };
	uint64_t t, n_slow = 0, n_fast = 0, over_at = 0;

	/* 50 ms ticks for a minute: the slow app at the rate (100/s), the fast one at twice it. */
	for (t = 0; t <= 60000; t += 50) {
		n_slow += 5;
		n_fast += 10;
		ck_assert_msg(!misbehave_over(&slow, n_slow, 100, 1000, t), "at the rate, over at %llu ms",
			      (unsigned long long)t);
		if (!over_at && misbehave_over(&fast, n_fast, 100, 1000, t))
			over_at = t;
	}
	/* The excess (100/s) empties a burst of 1000 in about ten seconds. */
	ck_assert_msg(over_at >= 9000 && over_at <= 11000, "twice the rate over at %llu ms",
		      (unsigned long long)over_at);
}
END_TEST

START_TEST(test_rate_0_never_disconnects_and_enabling_it_does_not_bill_the_past)
{
	struct misbehave m = { 0 };

	ck_assert(!misbehave_over(&m, 0, 0, 1000, 0));
	ck_assert(!misbehave_over(&m, 1000000, 0, 1000, 1000));
	ck_assert(!misbehave_over(&m, 2000000, 0, 1000, 2000));
	/* Enabled by a reload: only what comes after counts. */
	ck_assert(!misbehave_over(&m, 2000500, 100, 1000, 3000));
	ck_assert(misbehave_over(&m, 2001001, 100, 1000, 3000));
}
END_TEST

static Suite *misbehave_suite(void)
{
	Suite *su = suite_create("misbehave");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_only_the_apps_own_refusals_count_not_load);
	tcase_add_test(tc, test_a_burst_up_to_misbehave_burst_is_tolerated_one_more_is_not);
	tcase_add_test(tc, test_misbehave_rate_is_sustained_twice_the_rate_is_not);
	tcase_add_test(tc, test_rate_0_never_disconnects_and_enabling_it_does_not_bill_the_past);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(misbehave_suite)
