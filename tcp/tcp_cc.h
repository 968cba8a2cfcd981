/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_cc.h - the interface of a congestion controller; one per connection, chosen by name. */
#ifndef MSTACK_TCP_CC_H
#define MSTACK_TCP_CC_H

#include <stdint.h>

/*
 * The state every controller reads and writes; it lives in the connection.
 * Byte counts, the way RFC 5681 states its rules. The connection owns the
 * recovery logic (fast retransmit, NewReno's partial ACKs per RFC 6582,
 * SACK recovery per RFC 6675): it calls the hooks below at the events that
 * RFC 5681 names, and the controller only decides cwnd and ssthresh.
 */
struct tcp_cc_state {
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t mss;         /* SMSS */
	uint32_t flight;      /* bytes outstanding (FlightSize) when the hook runs */
	uint64_t now_us;      /* the connection's clock */
	uint32_t srtt_us;     /* 0 before the first sample */
	uint32_t min_rtt_us;  /* 0 before the first sample */
	uint8_t priv[64];     /* the controller's own state */
};

struct tcp_cc_ops {
	const char *name;
	/* Connection established: set the initial window (RFC 5681 3.1: IW from SMSS). */
	void (*init)(struct tcp_cc_state *cc);
	/* New data acknowledged outside recovery: grow cwnd (slow start / congestion avoidance). */
	void (*on_ack)(struct tcp_cc_state *cc, uint32_t acked);
	/* Loss detected by duplicate ACKs or SACK: set ssthresh and cwnd on entering recovery. */
	void (*on_congestion)(struct tcp_cc_state *cc);
	/* Recovery ended (the ACK covered the recovery point): deflate cwnd. */
	void (*on_recovery_end)(struct tcp_cc_state *cc);
	/* Retransmission timeout: RFC 5681 (4): ssthresh from FlightSize, cwnd = one segment. */
	void (*on_rto)(struct tcp_cc_state *cc);
	/* An ACK with an RTT sample (optional, may be NULL). */
	void (*on_rtt)(struct tcp_cc_state *cc, uint32_t rtt_us);
};

_Static_assert(sizeof(((struct tcp_cc_state *)0)->priv) >= 64, "controllers keep their state in priv");

extern const struct tcp_cc_ops tcp_cc_newreno; /* cc_newreno.c: RFC 5681, RFC 6582 */
extern const struct tcp_cc_ops tcp_cc_cubic;   /* cc_cubic.c: RFC 9438 */

/* The controller called name, or NULL. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* What every controller shares (tcp_cc.c). */
#define TCP_CC_CWND_MAX (1u << 30) /* cwnd stops growing here: byte arithmetic never overflows */

/* The initial window of RFC 6928: min(10 SMSS, max(2 SMSS, 14600 bytes)). */
uint32_t tcp_cc_initial_window(uint32_t mss);

/* RFC 5681 slow start, counting bytes per RFC 3465: cwnd += min(acked, limit), limit being L. */
void tcp_cc_slow_start(struct tcp_cc_state *cc, uint32_t acked, uint32_t limit);

#endif
