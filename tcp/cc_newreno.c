/* SPDX-License-Identifier: BSD-2-Clause */
/* cc_newreno.c - RFC 5681 congestion control (slow start, congestion avoidance) with RFC 3465 byte counting. */
#include <stddef.h>

#include "tcp_cc.h"

struct newreno {
	uint32_t bytes_acked; /* RFC 3465 section 2.1: bytes acknowledged since cwnd last grew in avoidance */
	uint8_t after_rto;    /* slow start after an RTO: L = 1 SMSS (RFC 3465 section 2.3) */
	uint8_t rto_pending;  /* an RTO and no ACK since: the next RTO holds ssthresh (RFC 5681 3.1) */
};

_Static_assert(sizeof(struct newreno) <= sizeof(((struct tcp_cc_state *)0)->priv), "NewReno's state fits in priv");

static struct newreno *newreno(struct tcp_cc_state *cc)
{
	return (struct newreno *)(void *)cc->priv;
}

/* RFC 5681 equation (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t newreno_ssthresh(const struct tcp_cc_state *cc)
{
	uint32_t half = cc->flight / 2;

	return half > 2 * cc->mss ? half : 2 * cc->mss;
}

/* RFC 5681 3.1: IW (tcp_cc_initial_window), ssthresh as high as it goes. */
static void newreno_init(struct tcp_cc_state *cc)
{
	struct newreno *nr = newreno(cc);

	nr->bytes_acked = 0;
	nr->after_rto = 0;
	nr->rto_pending = 0;
	cc->cwnd = tcp_cc_initial_window(cc->mss);
	cc->ssthresh = UINT32_MAX;
}

/*
 * RFC 5681 3.1: slow start while cwnd < ssthresh (tcp_cc_slow_start, L = 2
 * SMSS), then congestion avoidance by bytes acknowledged (RFC 3465 2.1, the
 * byte-counting form of equation (3)): once a whole cwnd has been
 * acknowledged, cwnd grows by one SMSS, so one SMSS per RTT.
 */
static void newreno_on_ack(struct tcp_cc_state *cc, uint32_t acked)
{
	struct newreno *nr = newreno(cc);

	nr->rto_pending = 0;
	if (cc->cwnd < cc->ssthresh) {
		tcp_cc_slow_start(cc, acked, nr->after_rto ? cc->mss : 2 * cc->mss);
		return;
	}
	nr->after_rto = 0;
	nr->bytes_acked += acked;
	if (nr->bytes_acked >= cc->cwnd) {
		nr->bytes_acked -= cc->cwnd;
		if (cc->cwnd <= TCP_CC_CWND_MAX - cc->mss)
			cc->cwnd += cc->mss;
	}
}

/* RFC 5681 3.2 step 2: ssthresh per equation (4); the connection adds the 3 SMSS of step 3 itself. */
static void newreno_on_congestion(struct tcp_cc_state *cc)
{
	cc->ssthresh = newreno_ssthresh(cc);
	cc->cwnd = cc->ssthresh;
	newreno(cc)->bytes_acked = 0;
}

/* RFC 5681 3.2 step 6 (RFC 6582 3.2 step 3): deflate the window to ssthresh. */
static void newreno_on_recovery_end(struct tcp_cc_state *cc)
{
	cc->cwnd = cc->ssthresh;
	newreno(cc)->bytes_acked = 0;
}

/*
 * RFC 5681 3.1: on a timeout, ssthresh per equation (4), unless the segment
 * had already been retransmitted by the timer (then ssthresh is held), and
 * cwnd = LW, one full-sized segment.
 */
static void newreno_on_rto(struct tcp_cc_state *cc)
{
	struct newreno *nr = newreno(cc);

	if (!nr->rto_pending)
		cc->ssthresh = newreno_ssthresh(cc);
	cc->cwnd = cc->mss;
	nr->bytes_acked = 0;
	nr->after_rto = 1;
	nr->rto_pending = 1;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_congestion = newreno_on_congestion,
	.on_recovery_end = newreno_on_recovery_end,
	.on_rto = newreno_on_rto,
	.on_rtt = NULL,
};
