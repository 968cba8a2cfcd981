/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_fsm.c - the RFC 9293 state machine: opening, closing, resets, TIME_WAIT; every transition in one place. */
#include <errno.h>

#include "tcp_seq.h"
#include "tcp_stack.h"

/*
 *                         RFC 9293 figure 5, as this file implements it
 *
 *  CLOSED --connect/SYN--> SYN_SENT --SYN,ACK/ACK--> ESTABLISHED
 *  LISTEN --SYN/SYN,ACK--> SYN_RECEIVED --ACK--> ESTABLISHED      (or the cookie ACK: ESTABLISHED at once)
 *  SYN_SENT --SYN/SYN,ACK--> SYN_RECEIVED                            (simultaneous open)
 *  ESTABLISHED --close/FIN--> FIN_WAIT_1 --ACK of FIN--> FIN_WAIT_2 --FIN/ACK--> TIME_WAIT
 *  FIN_WAIT_1 --FIN/ACK--> CLOSING --ACK of FIN--> TIME_WAIT         (simultaneous close)
 *  ESTABLISHED --FIN/ACK--> CLOSE_WAIT --close/FIN--> LAST_ACK --ACK of FIN--> CLOSED
 *  TIME_WAIT --2 MSL--> CLOSED;  any --RST (RFC 5961 checked)--> CLOSED
 */

void tcp_set_state(struct ms_tcp_stack *st, struct tcp_conn *c, int state)
{
	(void)st;
	c->state = (uint8_t)state;
}

/*
 * Forget c once nothing refers to it: closed, no handle, on no list of this
 * poll. It is freed at the end of the poll (tcp_fsm_free_reaped), so that
 * no caller up the stack holds a dangling pointer.
 */
static void tcp_conn_reap(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (c->state == MS_TCP_CLOSED && c->handle < 0 && !c->out_queued && !c->ev_queued && !c->listener &&
	    !c->reaped) {
		c->reaped = 1;
		tcp_conn_unbind(st, c);
		c->out_next = st->reap_head;
		st->reap_head = c;
	}
}

void tcp_fsm_free_reaped(struct ms_tcp_stack *st)
{
	while (st->reap_head) {
		struct tcp_conn *c = st->reap_head;

		st->reap_head = c->out_next;
		tcp_conn_free(&st->tab, &st->mem, c);
	}
}

void tcp_fsm_reap(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	tcp_conn_reap(st, c);
}

/* Take c off its listener's accept queue or embryonic count. */
static void tcp_conn_unlisten(struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener, **p;

	if (!l)
		return;
	if (c->state == MS_TCP_SYN_RECEIVED) {
		l->nsyn--;
	} else {
		for (p = &l->acc_head; *p; p = &(*p)->acc_next)
			if (*p == c) {
				*p = c->acc_next;
				l->nacc--;
				break;
			}
		l->acc_tail = NULL;
		for (struct tcp_conn *q = l->acc_head; q; q = q->acc_next)
			l->acc_tail = q;
	}
	c->acc_next = NULL;
	c->listener = NULL;
}

void tcp_established(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener;

	c->cc.mss = c->mss;
	c->cc.now_us = st->now_us;
	st->cc->init(&c->cc);
	/* RFC 9293 3.3.1, SND.UNA <= SND.NXT: a retransmission timeout put snd_nxt back at the ISS to send
	 * the SYN again; if the ACK of the first SYN arrives before that one left (a full tx ring), new
	 * data starts after the SYN, not at it. */
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	tcp_sack_reset(&c->sb, c->snd_una);
	c->retries = 0;
	c->soft_error = 0; /* the handshake went through: the path works */
	if (l) {
		/* A passive open: ready to accept (RFC 9293 3.10.7.4, SYN-RECEIVED and the ACK). */
		l->nsyn--;
		c->acc_next = NULL;
		if (l->acc_tail)
			l->acc_tail->acc_next = c;
		else
			l->acc_head = c;
		l->acc_tail = c;
		l->nacc++;
		tcp_set_state(st, c, MS_TCP_ESTABLISHED);
		tcp_event(st, l, MS_TCP_EV_ACCEPT);
	} else {
		tcp_set_state(st, c, MS_TCP_ESTABLISHED);
		tcp_event(st, c, MS_TCP_EV_WRITE);
	}
	/* A close asked for during the handshake (RFC 9293 3.10.4, SYN-RECEIVED: FIN after it). */
	if (c->flags & TCP_CF_FIN_QUEUED) {
		c->fin_seq = tcp_snd_data_seq(c) + c->snd.len;
		tcp_set_state(st, c, MS_TCP_FIN_WAIT_1);
	}
	tcp_want_output(st, c);
}

/* The TIME_WAIT list, in the order the entries end (time_wait_ms is one for all): append at the tail. */
static void tcp_time_wait_link(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	c->tw_next = NULL;
	c->tw_prev = st->tw_tail;
	if (st->tw_tail)
		st->tw_tail->tw_next = c;
	else
		st->tw_head = c;
	st->tw_tail = c;
}

static void tcp_time_wait_unlink(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (c->tw_prev)
		c->tw_prev->tw_next = c->tw_next;
	else
		st->tw_head = c->tw_next;
	if (c->tw_next)
		c->tw_next->tw_prev = c->tw_prev;
	else
		st->tw_tail = c->tw_prev;
	c->tw_prev = c->tw_next = NULL;
}

static void tcp_enter_time_wait(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	tcp_set_state(st, c, MS_TCP_TIME_WAIT);
	tcp_time_wait_link(st, c);
	c->rto_at = c->persist_at = c->dack_at = c->ka_at = 0;
	c->tw_at = st->now_ms + st->cfg.time_wait_ms;
	tcp_event(st, c, MS_TCP_EV_READ | MS_TCP_EV_CLOSED);
	tcp_timers_update(st, c);
}

void tcp_fsm_time_wait_restart(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	c->tw_at = st->now_ms + st->cfg.time_wait_ms;
	tcp_time_wait_unlink(st, c);
	tcp_time_wait_link(st, c);
	tcp_timers_update(st, c);
}

/*
 * RFC 9293 3.10.7.4 eighth step: the FIN, once every byte before it arrived.
 * It ends the stream: bytes a peer sent beyond its own FIN, waiting out of
 * order, are forgotten (as Linux's tcp_fin does), or they would sit at and
 * below the new RCV.NXT.
 */
void tcp_fsm_rcv_fin(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (c->rx)
		tcp_reass_init(&c->rx->reass, c->rx->reass.max);
	c->rcv_nxt++;
	c->flags |= TCP_CF_RCV_FIN | TCP_CF_ACK_NOW;
	c->flags &= ~TCP_CF_RCV_FIN_OOO;
	tcp_want_output(st, c);
	switch (c->state) {
	case MS_TCP_SYN_RECEIVED:
	case MS_TCP_ESTABLISHED:
		tcp_set_state(st, c, MS_TCP_CLOSE_WAIT);
		tcp_event(st, c, MS_TCP_EV_READ);
		break;
	case MS_TCP_FIN_WAIT_1:
		/* Our FIN is not acknowledged yet (else we would be in FIN_WAIT_2): simultaneous close. */
		tcp_set_state(st, c, MS_TCP_CLOSING);
		tcp_event(st, c, MS_TCP_EV_READ);
		break;
	case MS_TCP_FIN_WAIT_2: tcp_enter_time_wait(st, c); break;
	default: break;
	}
}

void tcp_fsm_fin_acked(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	c->rto_at = 0;
	switch (c->state) {
	case MS_TCP_FIN_WAIT_1:
		tcp_set_state(st, c, MS_TCP_FIN_WAIT_2);
		/* Closed by the application: nobody will read, so bound the wait for the peer's FIN. */
		if (c->handle < 0)
			c->tw_at = st->now_ms + st->cfg.time_wait_ms;
		break;
	case MS_TCP_CLOSING: tcp_enter_time_wait(st, c); break;
	case MS_TCP_LAST_ACK: tcp_fsm_drop(st, c, 0); break;
	default: break;
	}
}

void tcp_fsm_drop(struct ms_tcp_stack *st, struct tcp_conn *c, int err)
{
	int was = c->state;

	if (was == MS_TCP_CLOSED)
		return;
	if (c->listener && c->handle < 0) {
		/* Never accepted: nobody will read the error; it just disappears. */
		tcp_conn_unlisten(c);
	}
	if (was == MS_TCP_TIME_WAIT)
		tcp_time_wait_unlink(st, c);
	tcp_set_state(st, c, MS_TCP_CLOSED);
	tcp_timer_cancel(&st->wheel, &c->timer);
	c->rto_at = c->persist_at = c->dack_at = c->ka_at = c->tw_at = 0;
	tcp_conn_unhash(&st->tab, c);
	if (err && !c->error)
		c->error = err;
	if (c->handle >= 0)
		tcp_event(st, c, MS_TCP_EV_READ | MS_TCP_EV_CLOSED | (err ? MS_TCP_EV_ERROR : 0));
	tcp_conn_reap(st, c);
}

/* RFC 9293 3.10.4 CLOSE (and SHUTDOWN for writing): a FIN after the queued data. */
int tcp_fsm_shutdown(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (c->flags & TCP_CF_FIN_QUEUED)
		return 0;
	switch (c->state) {
	case MS_TCP_SYN_SENT: tcp_fsm_drop(st, c, 0); return 0;
	case MS_TCP_SYN_RECEIVED:
		c->flags |= TCP_CF_FIN_QUEUED; /* sent once established */
		return 0;
	case MS_TCP_ESTABLISHED: tcp_set_state(st, c, MS_TCP_FIN_WAIT_1); break;
	case MS_TCP_CLOSE_WAIT: tcp_set_state(st, c, MS_TCP_LAST_ACK); break;
	default: return -ENOTCONN;
	}
	c->flags |= TCP_CF_FIN_QUEUED;
	c->fin_seq = tcp_snd_data_seq(c) + c->snd.len;
	tcp_want_output(st, c);
	return 0;
}

/* RFC 9293 3.10.5 ABORT: a reset in the synchronized states, then CLOSED. */
void tcp_fsm_abort(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	switch (c->state) {
	case MS_TCP_SYN_RECEIVED:
	case MS_TCP_ESTABLISHED:
	case MS_TCP_FIN_WAIT_1:
	case MS_TCP_FIN_WAIT_2:
	case MS_TCP_CLOSE_WAIT:
		st->stats.rst_sent++;
		tcp_send_ctl(st, c, c->snd_nxt, TCP_RST);
		break;
	default: break;
	}
	tcp_fsm_drop(st, c, -ECONNABORTED);
}

/*
 * The stack gives up on c (an orphan the peer holds in a zero window): a
 * reset, then CLOSED. RFC 9293 3.10.5 sends it at SND.NXT, but a window
 * probe put SND.NXT beyond a zero window, and a peer with a zero window
 * accepts a reset only at RCV.NXT (RFC 9293 3.10.7.4; RFC 5961 3.2 asks
 * for RCV.NXT in any case), which is SND.UNA as nothing beyond the window
 * was taken. So the sequence number is SND.NXT if it lies within the
 * window the peer offered, else the window's right edge (SND.UNA for a
 * zero window), as Linux's tcp_acceptable_seq.
 */
void tcp_fsm_reset(struct ms_tcp_stack *st, struct tcp_conn *c, int err)
{
	uint32_t edge = c->snd_una + c->snd_wnd;

	st->stats.rst_sent++;
	tcp_send_ctl(st, c, seq_leq(c->snd_nxt, edge) ? c->snd_nxt : edge, TCP_RST);
	tcp_fsm_drop(st, c, err);
}

/*
 * TIME_WAIT entries count against max_conns, so a server under connection
 * churn (one request per connection, closing first) would fill its table
 * with them and turn new peers away. When the table is full and a new
 * connection needs a slot, the oldest entry that nothing else refers to
 * ends early, as Linux recycles its timewait buckets when they run out
 * (tcp_max_tw_buckets) and FreeBSD its tcptw zone: the entry nearest its
 * natural end guards the fewest old segments. The tuples that stay keep
 * every TIME_WAIT rule (RFC 1337, RFC 6191). Entries with a handle (the
 * application has not closed them) or on a list of this poll are passed
 * over, and moved to the tail so that the next call does not look at them
 * first; at most TCP_TW_RECLAIM_SCAN are looked at. The entry is freed at
 * once: its slot is the point.
 */
int tcp_fsm_time_wait_reclaim(struct ms_tcp_stack *st)
{
	for (unsigned i = 0; i < TCP_TW_RECLAIM_SCAN && st->tw_head; i++) {
		struct tcp_conn *c = st->tw_head;

		if (c->handle >= 0 || c->out_queued || c->ev_queued || c->listener || c->reaped) {
			if (c == st->tw_tail)
				return 0;
			tcp_time_wait_unlink(st, c);
			tcp_time_wait_link(st, c);
			continue;
		}
		tcp_fsm_drop(st, c, 0);
		if (st->reap_head != c)
			return 0; /* cannot happen: nothing holds it */
		st->reap_head = c->out_next;
		tcp_conn_free(&st->tab, &st->mem, c);
		st->stats.time_wait_reclaimed++;
		return 1;
	}
	return 0;
}
