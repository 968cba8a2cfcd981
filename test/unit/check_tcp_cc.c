/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_cc.c - NewReno (RFC 5681, RFC 3465) and CUBIC (RFC 9438) driven by simulated ACKs over virtual time. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cc_cubic.h"
#include "tcp_cc.h"
#include "check_main.h"

#define MSS 1460u

static struct tcp_cc_state cc;

static void start(const struct tcp_cc_ops *ops, uint32_t rtt_us)
{
	memset(&cc, 0, sizeof(cc));
	cc.mss = MSS;
	cc.srtt_us = rtt_us;
	cc.min_rtt_us = rtt_us;
	cc.now_us = 1000000;
	ops->init(&cc);
}

/*
 * One round trip: the receiver acknowledges every segment of the window,
 * `per_ack` segments per ACK, the ACKs spread evenly over the RTT.
 */
static void round_trip(const struct tcp_cc_ops *ops, uint32_t per_ack)
{
	uint32_t acks = cc.cwnd / (MSS * per_ack), i;
	uint64_t t0 = cc.now_us;

	if (acks == 0)
		acks = 1;
	for (i = 0; i < acks; i++) {
		cc.now_us = t0 + (uint64_t)cc.srtt_us * (i + 1) / acks;
		cc.flight = cc.cwnd;
		ops->on_ack(&cc, per_ack * MSS);
	}
}

/* A loss detected by duplicate ACKs with a full window in flight, and its recovery (no growth inside it). */
static void loss_and_recovery(const struct tcp_cc_ops *ops)
{
	cc.flight = cc.cwnd;
	ops->on_congestion(&cc);
	cc.cwnd += 3 * MSS; /* RFC 5681 3.2 step 3: the connection's inflation */
	cc.now_us += cc.srtt_us;
	ops->on_recovery_end(&cc);
}

START_TEST(test_cc_find_knows_both_controllers_by_name)
{
	ck_assert_ptr_eq(tcp_cc_find("newreno"), &tcp_cc_newreno);
	ck_assert_ptr_eq(tcp_cc_find("cubic"), &tcp_cc_cubic);
	ck_assert_ptr_null(tcp_cc_find("reno"));
	ck_assert_ptr_null(tcp_cc_find(""));
	ck_assert_ptr_null(tcp_cc_find(NULL));
}
END_TEST

START_TEST(test_rfc6928_initial_window_is_ten_segments_capped_at_14600_bytes)
{
	ck_assert_uint_eq(tcp_cc_initial_window(1460), 14600);
	ck_assert_uint_eq(tcp_cc_initial_window(536), 5360);
	ck_assert_uint_eq(tcp_cc_initial_window(1500), 14600);
	ck_assert_uint_eq(tcp_cc_initial_window(8960), 17920); /* never below 2 SMSS */
	start(&tcp_cc_newreno, 10000);
	ck_assert_uint_eq(cc.cwnd, 14600);
	ck_assert_uint_eq(cc.ssthresh, UINT32_MAX);
	start(&tcp_cc_cubic, 10000);
	ck_assert_uint_eq(cc.cwnd, 14600);
}
END_TEST

START_TEST(test_rfc5681_slow_start_doubles_cwnd_every_round_trip)
{
	const struct tcp_cc_ops *ops[] = { &tcp_cc_newreno, &tcp_cc_cubic };
	int o, r;

	for (o = 0; o < 2; o++) {
		start(ops[o], 10000);
		for (r = 1; r <= 6; r++) {
			round_trip(ops[o], 1);
			ck_assert_uint_eq(cc.cwnd, 14600u << r);
		}
		/* Delayed ACKs, one per two segments: L = 2 SMSS still doubles it. */
		start(ops[o], 10000);
		round_trip(ops[o], 2);
		ck_assert_uint_eq(cc.cwnd, 2 * 14600);
	}
}
END_TEST

START_TEST(test_rfc3465_abc_counts_at_most_two_smss_per_ack)
{
	start(&tcp_cc_newreno, 10000);
	tcp_cc_newreno.on_ack(&cc, 4 * MSS); /* a stretch ACK */
	ck_assert_uint_eq(cc.cwnd, 14600 + 2 * MSS);
	tcp_cc_newreno.on_ack(&cc, MSS / 2); /* a partial segment counts its bytes */
	ck_assert_uint_eq(cc.cwnd, 14600 + 2 * MSS + MSS / 2);
}
END_TEST

START_TEST(test_rfc3465_s2_3_slow_start_after_an_rto_counts_one_smss_per_ack)
{
	start(&tcp_cc_newreno, 10000);
	cc.flight = 40 * MSS;
	tcp_cc_newreno.on_rto(&cc);
	tcp_cc_newreno.on_ack(&cc, 4 * MSS);
	ck_assert_uint_eq(cc.cwnd, 2 * MSS);
	tcp_cc_newreno.on_ack(&cc, 4 * MSS);
	ck_assert_uint_eq(cc.cwnd, 3 * MSS);
}
END_TEST

START_TEST(test_rfc5681_congestion_avoidance_adds_one_smss_per_round_trip)
{
	int r;

	start(&tcp_cc_newreno, 10000);
	cc.cwnd = 20 * MSS;
	cc.ssthresh = 10 * MSS;
	for (r = 1; r <= 10; r++) {
		round_trip(&tcp_cc_newreno, 1);
		ck_assert_uint_eq(cc.cwnd, (20 + r) * MSS);
	}
	/* With delayed ACKs (RFC 3465: byte counting is not fooled by fewer ACKs). */
	for (r = 1; r <= 10; r++)
		round_trip(&tcp_cc_newreno, 2);
	ck_assert_uint_ge(cc.cwnd, 39 * MSS);
	ck_assert_uint_le(cc.cwnd, 40 * MSS);
}
END_TEST

START_TEST(test_rfc5681_eq4_on_congestion_ssthresh_is_half_the_flight_at_least_two_smss)
{
	start(&tcp_cc_newreno, 10000);
	cc.cwnd = 40 * MSS;
	cc.flight = 30001;
	tcp_cc_newreno.on_congestion(&cc);
	ck_assert_uint_eq(cc.ssthresh, 15000);
	ck_assert_uint_eq(cc.cwnd, 15000); /* the connection adds 3 SMSS (RFC 5681 3.2 step 3) */
	cc.cwnd += 3 * MSS + 5 * MSS;      /* inflated during recovery */
	tcp_cc_newreno.on_recovery_end(&cc);
	ck_assert_uint_eq(cc.cwnd, 15000);

	cc.flight = 3 * MSS;
	tcp_cc_newreno.on_congestion(&cc);
	ck_assert_uint_eq(cc.ssthresh, 2 * MSS);
	ck_assert_uint_eq(cc.cwnd, 2 * MSS);
}
END_TEST

START_TEST(test_rfc5681_an_rto_sets_ssthresh_by_eq4_and_cwnd_to_one_segment)
{
	start(&tcp_cc_newreno, 10000);
	cc.cwnd = 40 * MSS;
	cc.flight = 40 * MSS;
	tcp_cc_newreno.on_rto(&cc);
	ck_assert_uint_eq(cc.ssthresh, 20 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
	/* The retransmission times out too: ssthresh is held, not halved again (RFC 5681 3.1). */
	cc.flight = MSS;
	tcp_cc_newreno.on_rto(&cc);
	ck_assert_uint_eq(cc.ssthresh, 20 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
	/* After an ACK, a new timeout computes it again. */
	tcp_cc_newreno.on_ack(&cc, MSS);
	cc.flight = 10 * MSS;
	tcp_cc_newreno.on_rto(&cc);
	ck_assert_uint_eq(cc.ssthresh, 5 * MSS);
}
END_TEST

START_TEST(test_rfc9438_k_matches_figure_2_and_w_cubic_of_k_is_w_max)
{
	/* K = cbrt((W_max - cwnd_epoch) / C), C = 0.4: cbrt(75), cbrt(7.5), cbrt(0). */
	ck_assert_double_eq_tol(cc_cubic_k(100, 70), 4.2171633265087, 1e-9);
	ck_assert_double_eq_tol(cc_cubic_k(10, 7), 1.9574338205844, 1e-9);
	ck_assert_double_eq_tol(cc_cubic_k(50, 50), 0, 1e-12);
	ck_assert_double_eq_tol(cc_cubic_window(cc_cubic_k(100, 70), cc_cubic_k(100, 70), 100), 100, 1e-9);
	/* At t = 0 the curve starts from cwnd_epoch = beta W_max. */
	ck_assert_double_eq_tol(cc_cubic_window(0, cc_cubic_k(100, 70), 100), 70, 1e-9);
	/* Figure 1 at a known point: 0.4 * 2^3 + 100. */
	ck_assert_double_eq_tol(cc_cubic_window(6, 4, 100), 103.2, 1e-9);
}
END_TEST

START_TEST(test_rfc9438_s4_6_after_a_loss_cwnd_is_beta_times_w_max)
{
	start(&tcp_cc_cubic, 100000);
	cc.cwnd = 100 * MSS;
	cc.ssthresh = 50 * MSS;
	cc.flight = cc.cwnd;
	tcp_cc_cubic.on_congestion(&cc);
	ck_assert_uint_eq(cc.ssthresh, 70 * MSS);
	ck_assert_uint_eq(cc.cwnd, 70 * MSS);
	/* Never below 2 SMSS. */
	cc.cwnd = 2 * MSS;
	cc.flight = 2 * MSS;
	tcp_cc_cubic.on_congestion(&cc);
	ck_assert_uint_eq(cc.cwnd, 2 * MSS);
}
END_TEST

/* Round trips until virtual time reaches until_us; w[] gets cwnd in segments at the end of each. @return how many. */
static int run_until(const struct tcp_cc_ops *ops, uint64_t until_us, double *w, int max)
{
	int n = 0;

	while (cc.now_us < until_us && n < max) {
		round_trip(ops, 1);
		w[n++] = cc.cwnd / (double)MSS;
	}
	return n;
}

START_TEST(test_rfc9438_growth_is_concave_below_w_max_and_convex_above)
{
	double w[400], k = cc_cubic_k(1000, 700), early, late, after_k, later;
	uint64_t epoch;
	int n, i, at_k;

	/* A large BDP (1000 segments, 100 ms): the cubic region, not the Reno-friendly one. */
	start(&tcp_cc_cubic, 100000);
	cc.cwnd = 1000 * MSS;
	cc.ssthresh = 500 * MSS;
	loss_and_recovery(&tcp_cc_cubic);
	ck_assert_uint_eq(cc.cwnd, 700 * MSS);
	epoch = cc.now_us;
	n = run_until(&tcp_cc_cubic, epoch + (uint64_t)(2 * k * 1e6), w, 400);
	ck_assert_int_gt(n, 150);
	for (i = 1; i < n; i++)
		ck_assert(w[i] >= w[i - 1]); /* growth only, never a cut without a loss */

	/* Near t = K the window has regained W_max (it aims one RTT ahead, so allow a little). */
	at_k = (int)(k / 0.1) - 1;
	ck_assert_double_ge(w[at_k], 990);
	ck_assert_double_le(w[at_k], 1010);
	/* Concave: the increments shrink while approaching W_max ... */
	early = w[10] - w[0];
	late = w[at_k - 5] - w[at_k - 15];
	ck_assert_double_gt(early, 2 * late);
	/* ... convex: they grow again beyond it. */
	after_k = w[at_k + 15] - w[at_k + 5];
	later = w[n - 1] - w[n - 11];
	ck_assert_double_gt(later, 2 * after_k);
	ck_assert_double_gt(w[n - 1], 1100);
	/* And each round follows Figure 1 closely: at 1.5 K, W_cubic(1.5 K + RTT). */
	i = (int)(1.5 * k / 0.1) - 1;
	ck_assert_double_eq_tol(w[i], cc_cubic_window((i + 1) * 0.1 + 0.1, k, 1000), 0.02 * w[i]);
}
END_TEST

START_TEST(test_rfc9438_s4_3_reno_friendly_region_wins_for_a_small_bdp)
{
	double w[200], reno_like;
	int n;

	/* 10 segments at 1 ms: K is about 2 s, i.e. 2000 round trips of a cubic curve that barely moves. */
	start(&tcp_cc_cubic, 1000);
	cc.cwnd = 10 * MSS;
	cc.ssthresh = 5 * MSS;
	loss_and_recovery(&tcp_cc_cubic);
	ck_assert_uint_eq(cc.cwnd, 7 * MSS);
	n = run_until(&tcp_cc_cubic, cc.now_us + 50000, w, 200); /* 50 round trips */
	ck_assert_int_ge(n, 49);
	/* W_cubic(50 ms) is still about 7.4 segments; W_est has grown by alpha_cubic (then 1) per RTT. */
	ck_assert_double_lt(cc_cubic_window(0.05, cc_cubic_k(10, 7), 10), 7.6);
	reno_like = 7 + 3 * (3 * 0.3 / 1.7) + (n - 3) * 1.0;
	ck_assert_double_gt(w[n - 1], 0.8 * reno_like);
	ck_assert_double_lt(w[n - 1], 1.2 * reno_like);
}
END_TEST

START_TEST(test_rfc9438_s4_7_fast_convergence_lowers_w_max)
{
	double w[400], k2 = cc_cubic_k(680, 560);
	uint64_t epoch;
	int n, at_k;

	start(&tcp_cc_cubic, 100000);
	cc.cwnd = 1000 * MSS;
	cc.ssthresh = 500 * MSS;
	loss_and_recovery(&tcp_cc_cubic);
	/* Grow back to about 800 segments (below W_max = 1000), then lose again. */
	while (cc.cwnd < 800 * MSS)
		round_trip(&tcp_cc_cubic, 1);
	cc.cwnd = 800 * MSS;
	loss_and_recovery(&tcp_cc_cubic);
	ck_assert_uint_eq(cc.cwnd, 560 * MSS);
	/* W_max = 800 (1 + 0.7) / 2 = 680: the plateau at K is there, not at 800. */
	epoch = cc.now_us;
	n = run_until(&tcp_cc_cubic, epoch + (uint64_t)(k2 * 1e6), w, 400);
	at_k = n - 1;
	ck_assert_double_ge(w[at_k], 670);
	ck_assert_double_le(w[at_k], 700);
	/* Without fast convergence W_cubic at that time would be within 3 segments of 800. */
	ck_assert_double_gt(cc_cubic_window(k2, cc_cubic_k(800, 560), 800), 795);
}
END_TEST

START_TEST(test_rfc9438_s4_8_after_an_rto_cubic_restarts_from_one_segment_with_k_zero)
{
	double w[100];
	int n;

	start(&tcp_cc_cubic, 100000);
	cc.cwnd = 100 * MSS;
	cc.flight = 100 * MSS;
	tcp_cc_cubic.on_rto(&cc);
	ck_assert_uint_eq(cc.cwnd, MSS);
	ck_assert_uint_eq(cc.ssthresh, 70 * MSS);
	/* Slow start to ssthresh, then a convex curve from there (K = 0): it keeps accelerating. */
	while (cc.cwnd < cc.ssthresh)
		round_trip(&tcp_cc_cubic, 1);
	n = run_until(&tcp_cc_cubic, cc.now_us + 3000000, w, 100);
	ck_assert_int_ge(n, 25);
	ck_assert_double_gt(w[n - 1] - w[n - 11], w[10] - w[0]);
}
END_TEST

static Suite *tcp_cc_suite(void)
{
	Suite *s = suite_create("tcp_cc");
	TCase *reno = tcase_create("newreno");
	TCase *cub = tcase_create("cubic");

	tcase_add_test(reno, test_cc_find_knows_both_controllers_by_name);
	tcase_add_test(reno, test_rfc6928_initial_window_is_ten_segments_capped_at_14600_bytes);
	tcase_add_test(reno, test_rfc5681_slow_start_doubles_cwnd_every_round_trip);
	tcase_add_test(reno, test_rfc3465_abc_counts_at_most_two_smss_per_ack);
	tcase_add_test(reno, test_rfc3465_s2_3_slow_start_after_an_rto_counts_one_smss_per_ack);
	tcase_add_test(reno, test_rfc5681_congestion_avoidance_adds_one_smss_per_round_trip);
	tcase_add_test(reno, test_rfc5681_eq4_on_congestion_ssthresh_is_half_the_flight_at_least_two_smss);
	tcase_add_test(reno, test_rfc5681_an_rto_sets_ssthresh_by_eq4_and_cwnd_to_one_segment);
	suite_add_tcase(s, reno);
	tcase_add_test(cub, test_rfc9438_k_matches_figure_2_and_w_cubic_of_k_is_w_max);
	tcase_add_test(cub, test_rfc9438_s4_6_after_a_loss_cwnd_is_beta_times_w_max);
	tcase_add_test(cub, test_rfc9438_growth_is_concave_below_w_max_and_convex_above);
	tcase_add_test(cub, test_rfc9438_s4_3_reno_friendly_region_wins_for_a_small_bdp);
	tcase_add_test(cub, test_rfc9438_s4_7_fast_convergence_lowers_w_max);
	tcase_add_test(cub, test_rfc9438_s4_8_after_an_rto_cubic_restarts_from_one_segment_with_k_zero);
	suite_add_tcase(s, cub);
	return s;
}

CHECK_MAIN(tcp_cc_suite)
