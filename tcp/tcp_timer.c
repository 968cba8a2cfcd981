/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_timer.c - the stack's hashed timer wheel. */
#include <errno.h>
#include <stddef.h>

#include "tcp_seq.h"
#include "tcp_stack.h"
#include "tcp_timer.h"

void tcp_wheel_init(struct tcp_wheel *w, uint64_t now_ms)
{
	for (unsigned i = 0; i < TCP_TIMER_SLOTS; i++)
		w->slot[i] = NULL;
	w->far = NULL;
	w->far_min = UINT64_MAX;
	w->now_ms = now_ms;
	w->near = w->nfar = 0;
}

static int tcp_timer_is_near(const struct tcp_wheel *w, uint64_t expires_ms)
{
	return expires_ms - w->now_ms < TCP_TIMER_SLOTS;
}

void tcp_timer_cancel(struct tcp_wheel *w, struct tcp_timer *t)
{
	if (!t->pprev)
		return;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	if (t->on_far)
		w->nfar--;
	else
		w->near--;
	t->next = NULL;
	t->pprev = NULL;
}

static void tcp_timer_link(struct tcp_timer **head, struct tcp_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

void tcp_timer_arm(struct tcp_wheel *w, struct tcp_timer *t, uint64_t expires_ms)
{
	tcp_timer_cancel(w, t);
	/* A deadline already passed goes into the next slot to be run. */
	if (expires_ms <= w->now_ms)
		expires_ms = w->now_ms + 1;
	t->expires_ms = expires_ms;
	if (tcp_timer_is_near(w, expires_ms)) {
		tcp_timer_link(&w->slot[expires_ms & (TCP_TIMER_SLOTS - 1)], t);
		t->on_far = 0;
		w->near++;
	} else {
		tcp_timer_link(&w->far, t);
		t->on_far = 1;
		w->nfar++;
		if (expires_ms < w->far_min)
			w->far_min = expires_ms;
	}
}

/* Move the far entries that a wheel at now_ms reaches into their slots; recompute far_min. */
static void tcp_wheel_pull_far(struct tcp_wheel *w, uint64_t now_ms)
{
	struct tcp_timer *t = w->far, *next;

	w->far_min = UINT64_MAX;
	for (; t; t = next) {
		next = t->next;
		if (t->expires_ms - now_ms < TCP_TIMER_SLOTS || t->expires_ms <= now_ms) {
			*t->pprev = t->next;
			if (t->next)
				t->next->pprev = t->pprev;
			w->nfar--;
			tcp_timer_link(&w->slot[t->expires_ms & (TCP_TIMER_SLOTS - 1)], t);
			t->on_far = 0;
			w->near++;
		} else if (t->expires_ms < w->far_min) {
			w->far_min = t->expires_ms;
		}
	}
}

/* Move the entries of one slot due by now_ms onto the fire list. */
static void tcp_wheel_run_slot(struct tcp_wheel *w, unsigned i, uint64_t now_ms, struct tcp_timer **fire)
{
	struct tcp_timer *t = w->slot[i], *next;

	for (; t; t = next) {
		next = t->next;
		if (t->expires_ms > now_ms)
			continue;
		tcp_timer_cancel(w, t);
		t->next = *fire;
		*fire = t;
	}
}

struct tcp_timer *tcp_wheel_expire(struct tcp_wheel *w, uint64_t now_ms)
{
	struct tcp_timer *fire = NULL;
	uint64_t ms, from;

	if (now_ms <= w->now_ms)
		return NULL;
	/* Far entries due within a turn of the new time join the slots first (at most once per turn:
	 * far_min is then more than a turn ahead). */
	if (w->nfar && now_ms + TCP_TIMER_SLOTS > w->far_min)
		tcp_wheel_pull_far(w, now_ms);
	from = w->now_ms + 1;
	/* A jump of a whole turn or more visits every slot once. */
	if (now_ms - from >= TCP_TIMER_SLOTS)
		from = now_ms - TCP_TIMER_SLOTS + 1;
	for (ms = from; ms <= now_ms && w->near; ms++)
		tcp_wheel_run_slot(w, ms & (TCP_TIMER_SLOTS - 1), now_ms, &fire);
	w->now_ms = now_ms;
	return fire;
}

int64_t tcp_wheel_next(const struct tcp_wheel *w)
{
	uint64_t best = UINT64_MAX;

	if (w->near) {
		/* Every near entry is due within the turn, each at its slot's millisecond. */
		for (uint64_t ms = w->now_ms + 1; ms <= w->now_ms + TCP_TIMER_SLOTS; ms++) {
			const struct tcp_timer *t = w->slot[ms & (TCP_TIMER_SLOTS - 1)];

			for (; t; t = t->next)
				if (t->expires_ms < best)
					best = t->expires_ms;
			if (best != UINT64_MAX)
				break;
		}
	}
	if (w->nfar && w->far_min < best)
		best = w->far_min;
	if (best == UINT64_MAX)
		return -1;
	return best <= w->now_ms ? 0 : (int64_t)(best - w->now_ms);
}

/*
 * The connection's timers, on its one wheel entry.
 */

static void tcp_deadline_min(uint64_t *m, uint64_t at)
{
	if (at && (!*m || at < *m))
		*m = at;
}

void tcp_timers_update(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint64_t m = 0;

	if (c->state == MS_TCP_CLOSED)
		return;
	tcp_deadline_min(&m, c->rto_at);
	tcp_deadline_min(&m, c->persist_at);
	tcp_deadline_min(&m, c->dack_at);
	tcp_deadline_min(&m, c->ka_at);
	tcp_deadline_min(&m, c->tw_at);
	if (!m)
		tcp_timer_cancel(&st->wheel, &c->timer);
	else if (!tcp_timer_armed(&c->timer) || c->timer.expires_ms != m)
		tcp_timer_arm(&st->wheel, &c->timer, m);
}

void tcp_rto_restart(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	c->rto_at = st->now_ms + c->rto_ms;
}

/* RFC 6298 2.1-2.5: the RTO of the estimator, without back-off: SRTT + max(G, 4 RTTVAR), clamped to [min, max]. */
uint32_t tcp_rto_estimate(const struct tcp_conn *c)
{
	uint32_t rto_ms;

	if (!c->srtt_us)
		return TCP_RTO_INIT_MS;
	rto_ms = (c->srtt_us + (4 * c->rttvar_us > 1000 ? 4 * c->rttvar_us : 1000)) / 1000; /* G: a 1 ms clock */
	if (rto_ms < TCP_RTO_MIN_MS)
		rto_ms = TCP_RTO_MIN_MS;
	return rto_ms > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto_ms;
}

/*
 * After an outage of the stack's own I/O (a restart of mstackd): the
 * retransmission timer, if running, expires now, with the RTO back to the
 * estimator's value and the count of timeouts cleared. The timeouts of the
 * outage backed the RTO off (RFC 6298 5.5) for losses that were not the
 * path's; the expiry itself is an ordinary timeout (tcp_rto_fire).
 */
void tcp_rto_expire_now(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (!c->rto_at)
		return;
	c->retries = 0;
	c->rto_ms = tcp_rto_estimate(c);
	c->rto_at = st->now_ms;
	tcp_timers_update(st, c);
}

/* RFC 6298 2.2 and 2.3: SRTT, RTTVAR and RTO from a sample; RTO clamped to [min, max] (2.4, 2.5). */
void tcp_rtt_sample(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t rtt_us)
{
	if (!rtt_us)
		rtt_us = 1;
	if (!c->srtt_us) {
		c->srtt_us = rtt_us;
		c->rttvar_us = rtt_us / 2;
	} else {
		uint32_t delta = c->srtt_us > rtt_us ? c->srtt_us - rtt_us : rtt_us - c->srtt_us;

		c->rttvar_us = c->rttvar_us - c->rttvar_us / 4 + delta / 4; /* beta 1/4 */
		c->srtt_us = c->srtt_us - c->srtt_us / 8 + rtt_us / 8;      /* alpha 1/8 */
	}
	c->rto_ms = tcp_rto_estimate(c);
	c->cc.srtt_us = c->srtt_us;
	if (!c->cc.min_rtt_us || rtt_us < c->cc.min_rtt_us)
		c->cc.min_rtt_us = rtt_us;
	if (st->cc->on_rtt)
		st->cc->on_rtt(&c->cc, rtt_us);
}

/*
 * The error of a connection that timed out: the last soft ICMP error heard
 * (RFC 1122 4.2.3.9: "the application SHOULD be told" of it; it says more
 * than -ETIMEDOUT, e.g. -EHOSTUNREACH), as Linux's tcp_write_err; else
 * -ETIMEDOUT.
 */
static int tcp_timeout_error(const struct tcp_conn *c)
{
	return c->soft_error ? c->soft_error : -ETIMEDOUT;
}

/*
 * RFC 6298 5.4-5.6: retransmit the earliest unacknowledged segment, double
 * the RTO (up to the maximum) and give up after TCP_RETRIES_MAX timeouts of
 * the same data; RFC 5681 (4) through the controller; RFC 6675 5.1: forget
 * the SACK scoreboard; RFC 6582: recover = the highest sequence sent.
 */
static void tcp_rto_fire(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	int syn = c->state == MS_TCP_SYN_SENT || c->state == MS_TCP_SYN_RECEIVED;

	c->rto_at = 0;
	if (!syn && c->snd_wnd == 0) {
		/* Only a window probe is outstanding: the persist timer's business, not a loss. */
		if (!c->persist_at)
			c->persist_at = st->now_ms + (c->persist_backoff ? c->persist_backoff : TCP_PERSIST_MIN_MS);
		return;
	}
	st->stats.timeouts++;
	if (++c->retries > (syn ? TCP_SYN_RETRIES : TCP_RETRIES_MAX)) {
		tcp_fsm_drop(st, c, tcp_timeout_error(c));
		return;
	}
	c->rto_ms = c->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : c->rto_ms * 2;
	c->flags &= ~TCP_CF_RTT_TIMING; /* Karn */
	if (syn) {
		c->snd_nxt = c->iss;
		c->retransmits++;
	} else {
		c->cc.flight = c->snd_max - c->snd_una;
		c->cc.now_us = st->now_us;
		st->cc->on_rto(&c->cc);
		tcp_sack_reset(&c->sb, c->snd_una);
		c->flags &= ~TCP_CF_RECOVERY;
		c->dupacks = 0;
		c->recover = c->snd_max;
		c->snd_nxt = c->snd_una;
	}
	tcp_want_output(st, c);
}

/* Closed by the application and still sending (data or FIN): nobody is left to give up on it. */
static int tcp_conn_is_orphan(const struct tcp_conn *c)
{
	return c->handle < 0 &&
	       (c->state == MS_TCP_FIN_WAIT_1 || c->state == MS_TCP_CLOSING || c->state == MS_TCP_LAST_ACK);
}

/*
 * RFC 9293 3.8.6.1: probe the zero window, backing off like the
 * retransmission timer. A peer that answers none of TCP_RETRIES_MAX probes
 * is gone (RFC 1122 4.2.2.17 keeps the connection only "as long as the
 * receiving TCP continues to send acknowledgments"; Linux's tcp_retries2
 * for probes). The RFC keeps probing for as long as the receiver
 * answers; for an orphan that would let a peer hold the connection (its
 * buffers and a slot of max_conns) for ever by answering every probe with a
 * zero window. So an orphan is reset after orphan_probes probes that did not
 * open the window (Linux's tcp_orphan_retries, FreeBSD's persist limit);
 * RFC 1122 4.2.2.17 allows closing for "other reasons" than unanswered
 * probes, and an application that closed has asked for no more.
 */
static void tcp_persist_fire(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint32_t limit = st->cfg.orphan_probes;

	if (c->snd_wnd) {
		/* The window opened in this poll's input: the output pass sends and stops the timer. */
		c->persist_at = 0;
		return;
	}
	if (tcp_conn_is_orphan(c) && c->persist_probes >= limit) {
		st->stats.orphans_reset++;
		tcp_fsm_reset(st, c, -ETIMEDOUT);
		return;
	}
	if (c->persist_unanswered >= TCP_RETRIES_MAX) {
		st->stats.timeouts++;
		tcp_fsm_drop(st, c, tcp_timeout_error(c));
		return;
	}
	tcp_output_probe(st, c);
	if (c->persist_probes < UINT32_MAX)
		c->persist_probes++;
	c->persist_unanswered++;
	c->persist_backoff = c->persist_backoff * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : c->persist_backoff * 2;
	if (c->persist_backoff < TCP_PERSIST_MIN_MS)
		c->persist_backoff = TCP_PERSIST_MIN_MS;
	c->persist_at = st->now_ms + c->persist_backoff;
}

/* RFC 1122 4.2.3.6: after the idle time, probes (sequence snd_una - 1, no data) until one is answered. */
static void tcp_keepalive_fire(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (st->now_ms < c->last_rx_ms + c->ka_idle_ms) {
		c->ka_probes = 0;
		c->ka_at = c->last_rx_ms + c->ka_idle_ms;
		return;
	}
	if (c->ka_probes++ >= TCP_KA_PROBES) {
		tcp_fsm_drop(st, c, tcp_timeout_error(c));
		return;
	}
	tcp_send_ctl(st, c, c->snd_una - 1, 0);
	c->ka_at = st->now_ms + TCP_KA_INTVL_MS;
}

void tcp_timers_fire(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint64_t now = st->now_ms;

	if (c->tw_at && c->tw_at <= now) {
		c->tw_at = 0;
		tcp_fsm_drop(st, c, 0);
		return;
	}
	if (c->rto_at && c->rto_at <= now) {
		tcp_rto_fire(st, c);
		if (c->state == MS_TCP_CLOSED)
			return;
	}
	if (c->persist_at && c->persist_at <= now) {
		tcp_persist_fire(st, c);
		if (c->state == MS_TCP_CLOSED)
			return;
	}
	if (c->dack_at && c->dack_at <= now) {
		c->dack_at = 0;
		c->flags |= TCP_CF_ACK_NOW;
		tcp_want_output(st, c);
	}
	if (c->ka_at && c->ka_at <= now) {
		tcp_keepalive_fire(st, c);
		if (c->state == MS_TCP_CLOSED)
			return;
	}
	tcp_timers_update(st, c);
}
