/* SPDX-License-Identifier: BSD-2-Clause */
/* cc_cubic.c - CUBIC congestion control (RFC 9438), without HyStart; cbrt() comes from libm. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cc_cubic.h"
#include "tcp_cc.h"

/* RFC 9438 4.3: alpha_cubic = 3 (1 - beta) / (1 + beta), the Reno-friendly additive increase. */
#define CUBIC_ALPHA (3.0 * (1.0 - CC_CUBIC_BETA) / (1.0 + CC_CUBIC_BETA))

struct cubic {
	double w_max;        /* segments: the window to regain (RFC 9438 4.2, lowered by 4.7) */
	double k;            /* seconds from the start of the epoch until W_cubic reaches w_max */
	double w_est;        /* segments: the window Reno would have now (4.3) */
	double carry;        /* bytes of growth earned but not yet a whole byte */
	uint64_t t_epoch;    /* us: when the current congestion avoidance stage began */
	uint32_t cwnd_prior; /* bytes: cwnd when ssthresh was last set (4.3's switch of alpha) */
	uint8_t in_epoch;    /* a congestion avoidance stage is under way */
	uint8_t no_w_max;    /* no loss to regain (first avoidance, or after an RTO): K = 0 (4.8, 4.10) */
	uint8_t after_rto;   /* slow start after an RTO: L = 1 SMSS (RFC 3465 2.3) */
	uint8_t rto_pending; /* an RTO and no ACK since: the next RTO holds ssthresh (RFC 5681 3.1) */
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_cc_state *)0)->priv), "CUBIC's state fits in priv");

static struct cubic *cubic(struct tcp_cc_state *cc)
{
	return (struct cubic *)(void *)cc->priv;
}

double cc_cubic_k(double w_max, double cwnd_epoch)
{
	return cbrt((w_max - cwnd_epoch) / CC_CUBIC_C);
}

double cc_cubic_window(double t, double k, double w_max)
{
	double d = t - k;

	return CC_CUBIC_C * d * d * d + w_max;
}

/* RFC 9438 4.6: ssthresh = max(flight_size * beta_cubic, 2 SMSS), in integers (beta = 7/10). */
static uint32_t cubic_ssthresh(const struct tcp_cc_state *cc)
{
	uint32_t s = (uint32_t)((uint64_t)cc->flight * 7 / 10);

	return s > 2 * cc->mss ? s : 2 * cc->mss;
}

static void cubic_add(struct tcp_cc_state *cc, uint32_t inc)
{
	cc->cwnd = cc->cwnd > TCP_CC_CWND_MAX - inc ? TCP_CC_CWND_MAX : cc->cwnd + inc;
}

/* RFC 9438 4.10: the initial window and slow start are Reno's (RFC 5681, RFC 6928 for IW). */
static void cubic_init(struct tcp_cc_state *cc)
{
	struct cubic *cu = cubic(cc);

	memset(cu, 0, sizeof(*cu));
	cu->no_w_max = 1;
	cc->cwnd = tcp_cc_initial_window(cc->mss);
	cc->ssthresh = UINT32_MAX;
}

/*
 * RFC 9438 4.2: a congestion avoidance stage starts at its first ACK: t
 * counts from here, W_est starts at cwnd (4.3), and K is Figure 2's, or 0
 * with W_max = cwnd when there is no loss to regain (after an RTO, 4.8;
 * leaving the first slow start without a loss, 4.10).
 */
static void cubic_epoch_start(struct tcp_cc_state *cc, struct cubic *cu, double cwnd_seg)
{
	cu->in_epoch = 1;
	cu->t_epoch = cc->now_us;
	cu->carry = 0;
	cu->w_est = cwnd_seg;
	if (cu->no_w_max) {
		cu->w_max = cwnd_seg;
		cu->k = 0;
		if (cu->cwnd_prior == 0)
			cu->cwnd_prior = cc->cwnd;
		cu->no_w_max = 0;
	} else {
		cu->k = cc_cubic_k(cu->w_max, cwnd_seg);
	}
}

/*
 * RFC 9438 4.3 to 4.5, per ACK in congestion avoidance: W_est grows by
 * alpha_cubic per window acknowledged (alpha = 1 once W_est passes
 * cwnd_prior); if W_cubic(t) < W_est the Reno-friendly region sets cwnd to
 * W_est; otherwise (concave below W_max, convex above) the target is
 * W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd] and cwnd grows by
 * (target - cwnd) / cwnd per SMSS acknowledged.
 */
static void cubic_on_ack(struct tcp_cc_state *cc, uint32_t acked)
{
	struct cubic *cu = cubic(cc);
	double mss = cc->mss, cwnd_seg, t, rtt, alpha, target, inc;

	cu->rto_pending = 0;
	if (cc->mss == 0)
		return; /* not yet set: no segment to count in */
	if (cc->cwnd < cc->ssthresh) {
		tcp_cc_slow_start(cc, acked, cu->after_rto ? cc->mss : 2 * cc->mss);
		return;
	}
	cu->after_rto = 0;
	cwnd_seg = cc->cwnd / mss;
	if (!cu->in_epoch)
		cubic_epoch_start(cc, cu, cwnd_seg);
	t = cc->now_us > cu->t_epoch ? (double)(cc->now_us - cu->t_epoch) / 1e6 : 0;
	rtt = (cc->srtt_us ? cc->srtt_us : cc->min_rtt_us) / 1e6;

	alpha = cu->w_est * mss >= cu->cwnd_prior ? 1.0 : CUBIC_ALPHA;
	cu->w_est += alpha * (acked / mss) / cwnd_seg;
	if (cc_cubic_window(t, cu->k, cu->w_max) < cu->w_est) {
		double est = cu->w_est * mss;

		if (est > cc->cwnd)
			cubic_add(cc, est >= TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)est - cc->cwnd);
		return;
	}
	target = cc_cubic_window(t + rtt, cu->k, cu->w_max);
	if (target < cwnd_seg)
		target = cwnd_seg;
	else if (target > 1.5 * cwnd_seg)
		target = 1.5 * cwnd_seg;
	cu->carry += (target - cwnd_seg) / cwnd_seg * acked;
	inc = floor(cu->carry);
	cu->carry -= inc;
	cubic_add(cc, inc >= TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)inc);
}

/*
 * RFC 9438 4.6 and 4.7: on a loss, W_max is the window before it, lowered
 * to cwnd (1 + beta) / 2 when the window had not regained the previous
 * W_max (fast convergence: yield to newer flows); ssthresh = flight * beta,
 * cwnd = ssthresh (the connection inflates it during recovery).
 */
static void cubic_on_congestion(struct tcp_cc_state *cc)
{
	struct cubic *cu = cubic(cc);
	double cwnd_seg = cc->cwnd / (double)cc->mss;

	if (!cu->no_w_max && cwnd_seg < cu->w_max)
		cu->w_max = cwnd_seg * (1.0 + CC_CUBIC_BETA) / 2.0;
	else
		cu->w_max = cwnd_seg;
	cu->cwnd_prior = cc->cwnd;
	cc->ssthresh = cubic_ssthresh(cc);
	cc->cwnd = cc->ssthresh;
	cu->in_epoch = 0;
	cu->no_w_max = 0;
	cu->after_rto = 0;
}

/* RFC 9438 4.6 (as RFC 5681 3.2 step 6): recovery over, cwnd = ssthresh. */
static void cubic_on_recovery_end(struct tcp_cc_state *cc)
{
	cc->cwnd = cc->ssthresh;
}

/*
 * RFC 9438 4.8: a timeout reduces cwnd as Reno does (one SMSS, RFC 5681 3.1)
 * with ssthresh set by beta_cubic (held on a repeated RTO, RFC 5681 3.1);
 * the next congestion avoidance stage starts with K = 0.
 */
static void cubic_on_rto(struct tcp_cc_state *cc)
{
	struct cubic *cu = cubic(cc);

	if (!cu->rto_pending) {
		cu->cwnd_prior = cc->cwnd;
		cc->ssthresh = cubic_ssthresh(cc);
	}
	cc->cwnd = cc->mss;
	cu->in_epoch = 0;
	cu->no_w_max = 1;
	cu->after_rto = 1;
	cu->rto_pending = 1;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_congestion = cubic_on_congestion,
	.on_recovery_end = cubic_on_recovery_end,
	.on_rto = cubic_on_rto,
	.on_rtt = NULL,
};
