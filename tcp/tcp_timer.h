/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_timer.h - one hashed timer wheel per stack (Varghese and Lauck), one entry per connection. */
#ifndef MSTACK_TCP_TIMER_H
#define MSTACK_TCP_TIMER_H

#include <stdint.h>

/*
 * A connection keeps the deadlines of its timers (retransmission or
 * persist, delayed ACK, keepalive, TIME_WAIT / SYN-RECEIVED) in its own
 * fields and holds one wheel entry armed at the earliest of them; when the
 * entry fires the connection looks at which deadlines passed and arms the
 * entry again. So the wheel holds at most one entry per connection, and
 * arming, moving and cancelling are O(1).
 *
 * The wheel has TCP_TIMER_SLOTS slots of one millisecond: one turn. An entry
 * due within the turn sits in its millisecond's slot, so every entry of a
 * slot is due at that very millisecond and the earliest deadline is the first
 * non-empty slot. Entries due later (TIME_WAIT, keepalive, backed-off
 * retransmissions) wait on one "far" list, moved into the slots once per
 * turn when they come within reach.
 */
#define TCP_TIMER_SLOTS 1024 /* a power of two */

struct tcp_timer {
	struct tcp_timer *next, **pprev; /* pprev NULL: not armed */
	uint64_t expires_ms;
	uint8_t on_far; /* on the far list, not in a slot */
};

struct tcp_wheel {
	struct tcp_timer *slot[TCP_TIMER_SLOTS];
	struct tcp_timer *far; /* due a turn or more after they were armed */
	uint64_t far_min;      /* no far entry is due before this (a lower bound) */
	uint64_t now_ms;       /* every slot up to this millisecond was run */
	uint32_t near, nfar;   /* entries in the slots, on the far list */
};

void tcp_wheel_init(struct tcp_wheel *w, uint64_t now_ms);
/* Arm t at expires_ms (moving it if armed); a deadline in the past fires at the next run. */
void tcp_timer_arm(struct tcp_wheel *w, struct tcp_timer *t, uint64_t expires_ms);
void tcp_timer_cancel(struct tcp_wheel *w, struct tcp_timer *t);
static inline int tcp_timer_armed(const struct tcp_timer *t)
{
	return t->pprev != 0;
}

/*
 * Advance the wheel to now_ms and unlink every entry that expired, chaining
 * them through next into the returned list (fire them after this returns:
 * they may arm themselves again).
 */
struct tcp_timer *tcp_wheel_expire(struct tcp_wheel *w, uint64_t now_ms);

/* Milliseconds until the earliest entry expires (0 if due), -1 if none. */
int64_t tcp_wheel_next(const struct tcp_wheel *w);

#endif
