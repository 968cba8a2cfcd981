/* SPDX-License-Identifier: BSD-2-Clause */
/* check_neigh.c - the RESOLVE budget: a burst at once, then a steady rate, never more. */
#include <check.h>
#include <stdlib.h>

#include "neigh.h"
#include "check_main.h"

START_TEST(test_a_fresh_budget_allows_one_burst_then_refuses)
{
	struct neigh_budget b = { 0 };
	int i;

	for (i = 0; i < 5; i++)
		ck_assert(neigh_budget_take(&b, 5, 1, 1000));
	ck_assert(!neigh_budget_take(&b, 5, 1, 1000));
	ck_assert(!neigh_budget_take(&b, 5, 1, 1999));
}
END_TEST

START_TEST(test_tokens_come_back_at_the_rate_and_never_beyond_the_burst)
{
	struct neigh_budget b = { 0 };
	int i, n = 0;

	for (i = 0; i < 4; i++)
		ck_assert(neigh_budget_take(&b, 4, 2, 0));
	ck_assert(neigh_budget_take(&b, 4, 2, 500)); /* 2 per second: one after half a second */
	ck_assert(!neigh_budget_take(&b, 4, 2, 500));
	while (neigh_budget_take(&b, 4, 2, 1000000)) /* a long pause refills to the burst only */
		n++;
	ck_assert_int_eq(n, 4);
}
END_TEST

START_TEST(test_a_slow_trickle_keeps_its_fractional_tokens)
{
	struct neigh_budget b = { 0 };
	uint64_t t;
	int granted = 0;

	ck_assert(neigh_budget_take(&b, 1, 3, 0));
	/* Asking every 100 ms at 3 per second: 3 granted per second, not fewer from rounding. */
	for (t = 100; t <= 3000; t += 100)
		granted += neigh_budget_take(&b, 1, 3, t);
	ck_assert_int_eq(granted, 9);
}
END_TEST

START_TEST(test_a_refund_gives_the_token_back)
{
	struct neigh_budget b = { 0 };

	ck_assert(neigh_budget_take(&b, 1, 1, 0));
	neigh_budget_refund(&b);
	ck_assert(neigh_budget_take(&b, 1, 1, 0));
	ck_assert(!neigh_budget_take(&b, 1, 1, 0));
}
END_TEST

static Suite *neigh_suite(void)
{
	Suite *s = suite_create("neigh");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, test_a_fresh_budget_allows_one_burst_then_refuses);
	tcase_add_test(tc, test_tokens_come_back_at_the_rate_and_never_beyond_the_burst);
	tcase_add_test(tc, test_a_slow_trickle_keeps_its_fractional_tokens);
	tcase_add_test(tc, test_a_refund_gives_the_token_back);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(neigh_suite)
