/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_input.c - segment arrival (RFC 9293 3.10.7): LISTEN, SYN-SENT, and every synchronized state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_ip.h"
#include "tcp_seq.h"
#include "tcp_stack.h"

/* RFC 9293 3.7.1: the MSS assumed when the peer sends none. */
static uint16_t tcp_default_mss(uint8_t family)
{
	return family == AF_INET ? 536 : 1220;
}

/* RFC 6691: the payload of a full segment leaves room for the timestamps every segment carries. */
static void tcp_set_mss(struct tcp_conn *c)
{
	c->mss = (uint16_t)(c->peer_mss - ((c->flags & TCP_CF_TS) ? TCP_TS_OPTLEN : 0));
	c->cc.mss = c->mss;
}

/*
 * What both SYNs agreed (RFC 7323 2.2 and 3.2, RFC 2018 2): an option is
 * used only when we offered it and the peer's SYN carried it; the send MSS
 * is the smaller of the peer's and our own (RFC 9293 3.7.1).
 */
static void tcp_negotiate(struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opt;

	c->peer_mss = (o->present & TCP_OPT_MSS) && o->mss ? o->mss : tcp_default_mss(c->ep.family);
	if (c->peer_mss > c->rcv_mss)
		c->peer_mss = c->rcv_mss;
	if (c->peer_mss < 64)
		c->peer_mss = 64; /* a peer cannot make us send one byte per frame */
	if ((c->flags & TCP_CF_WSCALE) && (o->present & TCP_OPT_WSCALE)) {
		c->snd_wscale = o->wscale > 14 ? 14 : o->wscale; /* RFC 7323 2.3 */
	} else {
		c->flags &= ~TCP_CF_WSCALE;
		c->snd_wscale = c->rcv_wscale = 0;
	}
	if (!(o->present & TCP_OPT_SACK_PERM))
		c->flags &= ~TCP_CF_SACK;
	if ((c->flags & TCP_CF_TS) && (o->present & TCP_OPT_TS)) {
		c->ts_recent = o->ts_val;
		c->ts_recent_ms = 0;
	} else {
		c->flags &= ~TCP_CF_TS;
	}
	tcp_set_mss(c);
}

/* RFC 5961 7: challenge ACKs are rate-limited per stack, so that they cannot be used to amplify. */
static void tcp_challenge_ack(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint64_t sec = st->now_ms / 1000;

	if (sec != st->challenge_sec) {
		st->challenge_sec = sec;
		st->challenge_count = 0;
	}
	if (st->challenge_count >= TCP_CHALLENGE_PER_S) {
		st->stats.challenge_limited++;
		return;
	}
	st->challenge_count++;
	st->stats.challenge_acks++;
	c->flags |= TCP_CF_ACK_NOW;
	tcp_want_output(st, c);
}

/* A new connection of listener l for the segment's endpoints, not yet hashed. */
static struct tcp_conn *tcp_conn_new_passive(struct ms_tcp_stack *st, struct tcp_conn *l, const struct tcp_seg *seg)
{
	struct tcp_conn *c;

	if (st->tab.count >= st->tab.max)
		tcp_fsm_time_wait_reclaim(st);
	c = tcp_conn_alloc(&st->tab);
	if (!c)
		return NULL;
	c->ep = seg->ep;
	memcpy(c->src_mac, st->io.mac, 6);
	memcpy(c->dst_mac, seg->src_mac, 6);
	tcp_route_learn(&st->route, seg->ep.family, seg->ep.raddr, seg->src_mac, st->now_ms);
	tcp_conn_setup(st, c);
	c->flags |= TCP_CF_PASSIVE;
	c->listener = l;
	c->udata = l->udata;
	l->nsyn++;
	return c;
}

/*
 * The options a stateless SYN,ACK offers and its cookie keeps (RFC 4987
 * 3.6 with RFC 7323 2.2 / 3.2 and RFC 2018 2): none beyond the MSS unless
 * the SYN had timestamps (they carry the rest back, tcp_cookie_tsval);
 * with them, each option we use that the SYN carried too.
 */
static void tcp_cookie_opts_of_syn(const struct ms_tcp_stack *st, const struct tcp_seg *seg, struct tcp_cookie_opts *co)
{
	const struct tcp_opts *o = &seg->opt;

	memset(co, 0, sizeof(*co));
	if ((st->cfg.flags & MS_TCP_CFG_NO_TS) || !(o->present & TCP_OPT_TS))
		return;
	co->ts = 1;
	co->wscale = TCP_COOKIE_NO_WSCALE;
	if (!(st->cfg.flags & MS_TCP_CFG_NO_WSCALE) && (o->present & TCP_OPT_WSCALE))
		co->wscale = o->wscale > 14 ? 14 : o->wscale; /* RFC 7323 2.3 */
	co->sack = !(st->cfg.flags & MS_TCP_CFG_NO_SACK) && (o->present & TCP_OPT_SACK_PERM);
}

/*
 * The ACK that completes a SYN-cookie handshake (RFC 4987 3.6): the
 * connection is made from the cookie alone. Without timestamps it has the
 * cookie's MSS and no other option (the SYN,ACK offered none). With them,
 * the ACK's TSecr echoes our SYN,ACK's TSval (RFC 7323 4.3), whose low bits
 * name the peer's window shift and SACK-permitted (tcp_cookie_tsval): the
 * connection has window scaling (our shift is recomputed from the buffer,
 * as the SYN,ACK offered it), SACK and timestamps, TS.Recent from the
 * ACK's TSval. Those bits are in the cookie's MAC, so a TSecr naming other
 * options than the SYN,ACK offered (an ACK that is not the echo of ours)
 * fails the check like a forged cookie: a reset, no connection.
 */
static struct tcp_conn *tcp_input_cookie(struct ms_tcp_stack *st, struct tcp_conn *l, const struct tcp_seg *seg)
{
	struct tcp_cookie_opts co = { 0 };
	struct tcp_conn *c;
	uint16_t mss;

	if (!(st->cfg.flags & MS_TCP_CFG_NO_TS) && (seg->opt.present & TCP_OPT_TS) &&
	    tcp_cookie_ts_decode(seg->opt.ts_ecr, &co))
		return NULL;
	if (tcp_cookie_check(&st->secret, &seg->ep, seg->seq - 1, seg->ack - 1, &co, st->now_ms, &mss))
		return NULL;
	if (l->nacc >= l->backlog) {
		st->stats.syn_dropped++;
		return NULL;
	}
	c = tcp_conn_new_passive(st, l, seg);
	if (!c)
		return NULL;
	st->stats.syn_cookies_ok++;
	c->flags |= TCP_CF_COOKIE;
	if (co.ts) {
		st->stats.syn_cookies_ts++;
		c->ts_recent = seg->opt.ts_val;
		c->ts_recent_ms = st->now_ms;
		if (co.wscale == TCP_COOKIE_NO_WSCALE) {
			c->flags &= ~TCP_CF_WSCALE;
			c->rcv_wscale = c->snd_wscale = 0;
		} else {
			c->snd_wscale = co.wscale;
		}
		if (!co.sack)
			c->flags &= ~TCP_CF_SACK;
	} else {
		c->flags &= ~(TCP_CF_WSCALE | TCP_CF_SACK | TCP_CF_TS);
		c->rcv_wscale = c->snd_wscale = 0;
	}
	c->peer_mss = mss < c->rcv_mss ? mss : c->rcv_mss;
	tcp_set_mss(c);
	c->irs = seg->seq - 1;
	c->rcv_nxt = c->rd_seq = c->last_ack_sent = seg->seq;
	/* The window the stateless SYN,ACK offered (never scaled in a SYN, tcp_send_synack_cookie) stays
	 * offered: RFC 9293 3.8.6.2.2, the receiver does not shrink its window. */
	c->rcv_adv = seg->seq + (c->rcv_wnd_max > 65535 ? 65535 : c->rcv_wnd_max);
	c->iss = seg->ack - 1;
	c->snd_una = c->snd_nxt = c->snd_max = seg->ack;
	tcp_sack_reset(&c->sb, c->iss); /* the scoreboard starts where the cookie's sequence space does */
	c->snd_wnd = c->max_snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->state = MS_TCP_SYN_RECEIVED;
	tcp_conn_hash(&st->tab, c);
	tcp_established(st, c);
	return c;
}

/* RFC 9293 3.10.7.2: a segment for a listener. */
static void tcp_input_listen(struct ms_tcp_stack *st, struct tcp_conn *l, const struct tcp_seg *seg)
{
	struct tcp_conn *c;

	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		if (!(seg->flags & TCP_SYN)) {
			c = tcp_input_cookie(st, l, seg);
			if (c) {
				tcp_input_conn(st, c, seg);
				return;
			}
		}
		tcp_send_reset_for(st, seg);
		return;
	}
	if (!(seg->flags & TCP_SYN))
		return;
	if (l->nacc >= l->backlog) {
		st->stats.syn_dropped++; /* nobody accepts: let the peer retry */
		return;
	}
	if (l->nsyn >= st->cfg.syn_backlog || (st->tab.count >= st->tab.max && !tcp_fsm_time_wait_reclaim(st))) {
		/* RFC 4987 3.6: the backlog (or the table, with no TIME_WAIT entry to reclaim) is full,
		 * answer without state. */
		uint16_t mss = seg->opt.present & TCP_OPT_MSS ? seg->opt.mss : tcp_default_mss(seg->ep.family);
		uint16_t ours = (uint16_t)tcp_ip_mss_for_mtu(seg->ep.family, st->io.mtu);
		struct tcp_cookie_opts co;

		if (mss > ours)
			mss = ours;
		tcp_cookie_opts_of_syn(st, seg, &co);
		tcp_send_synack_cookie(st, seg, tcp_cookie_make(&st->secret, &seg->ep, seg->seq, mss, &co, st->now_ms),
				       mss, &co);
		return;
	}
	c = tcp_conn_new_passive(st, l, seg);
	if (!c) {
		st->stats.syn_dropped++;
		return;
	}
	c->irs = seg->seq;
	c->rcv_nxt = c->rd_seq = c->rcv_adv = seg->seq + 1;
	c->snd_wnd = c->max_snd_wnd = seg->wnd; /* a SYN's window is never scaled */
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	tcp_negotiate(c, seg);
	c->state = MS_TCP_SYN_RECEIVED;
	tcp_conn_hash(&st->tab, c);
	tcp_want_output(st, c);
}

/*
 * The first RTT sample, from the segment that acknowledges our SYN or
 * SYN,ACK: its timestamp echo (RFC 7323 4), else, if the SYN was sent once
 * (Karn), the time since it left (RFC 6298 2.2: it seeds SRTT and RTTVAR,
 * on a passive open as on an active one). Without a sample after a
 * handshake that timed out, RFC 6298 5.7: the RTO for the data is 3 s, not
 * the 1 s of 2.1 nor a back-off below 3 s.
 */
static void tcp_rtt_sample_handshake(struct ms_tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *seg)
{
	if ((c->flags & TCP_CF_TS) && (seg->opt.present & TCP_OPT_TS) && seg->opt.ts_ecr)
		tcp_rtt_sample(st, c, (tcp_ts_now(st, c) - seg->opt.ts_ecr) * 1000u);
	else if (c->flags & TCP_CF_RTT_TIMING)
		tcp_rtt_sample(st, c, (uint32_t)(st->now_us - c->rtt_start_us));
	c->flags &= ~TCP_CF_RTT_TIMING;
	if (!c->srtt_us && c->retries && c->rto_ms < TCP_RTO_SYN_LOST_MS)
		c->rto_ms = TCP_RTO_SYN_LOST_MS;
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void tcp_input_syn_sent(struct ms_tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *seg)
{
	int ack_ok = 0;

	if (seg->flags & TCP_ACK) {
		if (seq_leq(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_max)) {
			tcp_send_reset_for(st, seg);
			return;
		}
		ack_ok = 1;
	}
	if (seg->flags & TCP_RST) {
		/* RFC 5961 3.2 keeps RFC 9293's rule here: a reset counts only with an acceptable ACK. */
		if (ack_ok)
			tcp_fsm_drop(st, c, -ECONNREFUSED);
		return;
	}
	if (!(seg->flags & TCP_SYN))
		return;
	c->irs = seg->seq;
	c->rcv_nxt = c->rd_seq = c->rcv_adv = seg->seq + 1;
	c->snd_wnd = c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	tcp_negotiate(c, seg);
	c->flags |= TCP_CF_ACK_NOW;
	tcp_want_output(st, c);
	if (ack_ok) {
		c->snd_una = seg->ack;
		c->snd_wl2 = seg->ack;
		tcp_rtt_sample_handshake(st, c, seg);
		c->rto_at = 0;
		tcp_established(st, c);
	} else {
		/* Simultaneous open: answer with SYN,ACK from the same ISS. */
		c->state = MS_TCP_SYN_RECEIVED;
		c->snd_nxt = c->iss;
	}
}

/* RFC 9293 3.10.7.4 first: is any of the segment inside the receive window? */
static int tcp_seq_acceptable(const struct tcp_conn *c, uint32_t seq, uint32_t seqlen, uint32_t rwnd)
{
	if (!seqlen)
		return rwnd ? seq_in(seq, c->rcv_nxt, c->rcv_nxt + rwnd) : seq == c->rcv_nxt;
	if (!rwnd)
		return 0;
	return seq_in(seq, c->rcv_nxt, c->rcv_nxt + rwnd) || seq_in(seq + seqlen - 1, c->rcv_nxt, c->rcv_nxt + rwnd);
}

/* A RST that passed the sequence test. RFC 5961 3.2: only the exact RCV.NXT resets; the rest of the window gets a
 * challenge ACK. */
static void tcp_input_rst(struct ms_tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* RFC 1337: TIME-WAIT ignores resets, so that an old duplicate cannot end it early (TIME-WAIT assassination).
	 */
	if (c->state == MS_TCP_TIME_WAIT)
		return;
	if (seg->seq != c->rcv_nxt) {
		tcp_challenge_ack(st, c);
		return;
	}
	switch (c->state) {
	case MS_TCP_SYN_RECEIVED:
		/* Passive: back to LISTEN, which here means the embryo disappears. Active: refused. */
		tcp_fsm_drop(st, c, (c->flags & TCP_CF_PASSIVE) ? 0 : -ECONNREFUSED);
		break;
	case MS_TCP_ESTABLISHED:
	case MS_TCP_FIN_WAIT_1:
	case MS_TCP_FIN_WAIT_2:
	case MS_TCP_CLOSE_WAIT: tcp_fsm_drop(st, c, -ECONNRESET); break;
	default: tcp_fsm_drop(st, c, 0); break;
	}
}

/* The window the segment advertises (RFC 7323 2.3: scaled except in a SYN). */
static uint32_t tcp_seg_wnd(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	return (seg->flags & TCP_SYN) ? seg->wnd : (uint32_t)seg->wnd << c->snd_wscale;
}

/* Enter fast recovery (RFC 5681 3.2, RFC 6582 3.2, RFC 6675 5). */
static void tcp_enter_recovery(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	c->recover = c->snd_max;
	c->cc.flight = c->snd_max - c->snd_una;
	c->cc.now_us = st->now_us;
	st->cc->on_congestion(&c->cc);
	c->flags |= TCP_CF_RECOVERY;
	st->stats.fast_retransmits++;
	if (c->flags & TCP_CF_SACK) {
		c->sb.in_recovery = 1;
		c->sb.recovery_point = c->snd_max;
		c->sb.high_rxt = c->snd_una;
	} else {
		c->flags |= TCP_CF_RXMIT_UNA;
	}
	tcp_rto_restart(st, c);
}

/*
 * RFC 9293 3.10.7.4 fifth (the ACK field): new data acknowledged frees the
 * send ring and feeds RTT (RFC 7323 4 with timestamps, else Karn's one
 * timed segment), the controller and recovery (RFC 6582 partial ACKs,
 * RFC 6675); a duplicate ACK (RFC 5681 2: no data, same window, data in
 * flight) counts towards fast retransmit; the window is taken from the
 * newest segment (SND.WL1/SND.WL2).
 */
static void tcp_input_ack(struct ms_tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t ack = seg->ack, wnd = tcp_seg_wnd(c, seg), sacked = 0;

	c->persist_unanswered = 0; /* the peer is there: RFC 1122 4.2.2.17 */
	if (c->flags & TCP_CF_SACK)
		sacked = tcp_sack_update(&c->sb, seq_gt(ack, c->snd_una) ? ack : c->snd_una, c->snd_max,
					 seg->opt.present & TCP_OPT_SACK ? seg->opt.sack : NULL,
					 seg->opt.present & TCP_OPT_SACK ? seg->opt.nsack : 0);
	if (seq_gt(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una, data_seq = tcp_snd_data_seq(c);
		uint32_t data_acked = seq_gt(ack, data_seq) ? ack - data_seq : 0;

		if ((c->flags & TCP_CF_TS) && (seg->opt.present & TCP_OPT_TS) && seg->opt.ts_ecr)
			tcp_rtt_sample(st, c, (tcp_ts_now(st, c) - seg->opt.ts_ecr) * 1000u);
		else if ((c->flags & TCP_CF_RTT_TIMING) && seq_gt(ack, c->rtt_seq)) {
			c->flags &= ~TCP_CF_RTT_TIMING;
			tcp_rtt_sample(st, c, (uint32_t)(st->now_us - c->rtt_start_us));
		}
		if (data_acked > c->snd.len)
			data_acked = c->snd.len;
		tcp_sndbuf_consume(&c->snd, data_acked);
		c->bytes_acked += data_acked;
		/* An idle connection holds no buffer: the ring goes back once everything was acknowledged. */
		if (!c->snd.len)
			tcp_sndbuf_free(&c->snd, &st->mem);
		c->snd_una = ack;
		if (seq_lt(c->snd_nxt, ack))
			c->snd_nxt = ack;
		c->retries = 0;
		c->soft_error = 0; /* the path works again */
		c->cc.flight = c->snd_max - c->snd_una;
		c->cc.now_us = st->now_us;
		if (c->flags & TCP_CF_RECOVERY) {
			if (seq_geq(ack, c->recover)) {
				c->flags &= ~TCP_CF_RECOVERY;
				c->sb.in_recovery = 0;
				c->dupacks = 0;
				st->cc->on_recovery_end(&c->cc);
			} else if (!(c->flags & TCP_CF_SACK)) {
				/* RFC 6582 3.2 (5): partial ACK: deflate by the amount acked, add back one
				 * segment if that was at least one, retransmit the next hole. */
				c->cc.cwnd = c->cc.cwnd > acked ? c->cc.cwnd - acked : c->mss;
				if (acked >= c->mss)
					c->cc.cwnd += c->mss;
				c->flags |= TCP_CF_RXMIT_UNA;
			}
		} else {
			c->dupacks = 0;
			st->cc->on_ack(&c->cc, acked);
		}
		if (c->snd_una == c->snd_max)
			c->rto_at = 0;
		else
			tcp_rto_restart(st, c);
		if (data_acked && (c->flags & TCP_CF_WANT_WRITE)) {
			c->flags &= ~TCP_CF_WANT_WRITE;
			tcp_event(st, c, MS_TCP_EV_WRITE);
		}
		tcp_want_output(st, c);
	} else if (ack == c->snd_una && c->snd_max != c->snd_una && !seg->len && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
		   (wnd == c->snd_wnd || sacked)) {
		c->dupacks++;
		if (!(c->flags & TCP_CF_RECOVERY)) {
			if (c->dupacks == 3 ||
			    ((c->flags & TCP_CF_SACK) && tcp_sack_is_lost(&c->sb, c->snd_una, c->mss)))
				tcp_enter_recovery(st, c);
		} else if (!(c->flags & TCP_CF_SACK)) {
			c->cc.cwnd += c->mss; /* RFC 5681 3.2 (4): inflate for each segment that left */
		}
		tcp_want_output(st, c);
	}
	/* RFC 9293 3.10.7.4: update the window from the newest segment only, and not from an old ACK. */
	if (seq_geq(ack, c->snd_una) &&
	    (seq_lt(c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, ack)))) {
		if (wnd != c->snd_wnd)
			tcp_want_output(st, c);
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
	}
	/* Our FIN acknowledged. */
	if ((c->flags & TCP_CF_FIN_QUEUED) && seq_gt(c->snd_max, c->fin_seq) && seq_gt(c->snd_una, c->fin_seq))
		tcp_fsm_fin_acked(st, c);
}

/*
 * RFC 9293 3.10.7.4 seventh (segment text): in-order bytes go into the
 * receive ring and become readable; bytes above RCV.NXT are stored in place
 * and their range given to tcp_reass, and are ACKed at once (RFC 5681 4.2,
 * as is the segment that fills a hole); otherwise an ACK is delayed to every
 * second full segment or TCP_DACK_MS (RFC 1122 4.2.3.2).
 */
static void tcp_input_data(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t seq, const uint8_t *data, uint32_t len)
{
	uint32_t old = c->rcv_nxt;
	int had_ooo = c->rx && c->rx->reass.n;

	if (tcp_rcvbuf_ensure(&c->rcv, &st->mem, c->rcv_wnd_max)) {
		st->stats.rx_no_mem++;
		c->flags |= TCP_CF_ACK_NOW;
		return;
	}
	if (seq != c->rcv_nxt) {
		if (!c->rx) {
			c->rx = calloc(1, sizeof(*c->rx));
			if (!c->rx) {
				st->stats.rx_no_mem++;
				return;
			}
			tcp_reass_init(&c->rx->reass, st->cfg.reass_max);
		}
		c->flags |= TCP_CF_ACK_NOW;
		if (tcp_reass_add(&c->rx->reass, seq, len)) {
			st->stats.rx_ooo_dropped++;
			return;
		}
		tcp_rcvbuf_write(&c->rcv, seq - c->rd_seq, data, len);
		return;
	}
	tcp_rcvbuf_write(&c->rcv, seq - c->rd_seq, data, len);
	c->rcv_nxt += len;
	if (c->rx && c->rx->reass.n)
		c->rcv_nxt = tcp_reass_advance(&c->rx->reass, c->rcv_nxt);
	c->bytes_received += c->rcv_nxt - old;
	tcp_event(st, c, MS_TCP_EV_READ);
	if (had_ooo || ++c->segs_unacked >= 2)
		c->flags |= TCP_CF_ACK_NOW;
	else if (!c->dack_at)
		c->dack_at = st->now_ms + TCP_DACK_MS;
}

/* RFC 7323 5.3 R1: PAWS, a timestamp older than TS.Recent (and not 24 days stale) is a duplicate. */
static int tcp_paws_reject(const struct ms_tcp_stack *st, const struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!(c->flags & TCP_CF_TS) || !(seg->opt.present & TCP_OPT_TS) || (seg->flags & TCP_RST))
		return 0;
	if (!seq_lt(seg->opt.ts_val, c->ts_recent))
		return 0;
	return st->now_ms - c->ts_recent_ms < 24ull * 24 * 3600 * 1000;
}

void tcp_input_conn(struct ms_tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t seq = seg->seq, len = seg->len, rwnd;
	const uint8_t *data = seg->data;
	uint8_t flags = seg->flags;

	c->last_rx_ms = st->now_ms;
	if (c->ka_probes) {
		/* The peer answered a keepalive probe: idle again from now (RFC 1122 4.2.3.6). */
		c->ka_probes = 0;
		c->ka_at = st->now_ms + c->ka_idle_ms;
		tcp_timers_update(st, c);
	}
	if (c->state == MS_TCP_SYN_SENT) {
		tcp_input_syn_sent(st, c, seg);
		return;
	}
	if (tcp_paws_reject(st, c, seg)) {
		st->stats.rx_paws++;
		c->flags |= TCP_CF_ACK_NOW;
		tcp_want_output(st, c);
		return;
	}
	rwnd = tcp_rcv_window(c);
	if (!tcp_seq_acceptable(c, seq, tcp_seg_seqlen(seg), rwnd)) {
		st->stats.rx_bad_seq++;
		/* RFC 9293 3.10.7.4: TIME-WAIT acknowledges a retransmitted FIN and restarts 2 MSL. */
		if (c->state == MS_TCP_TIME_WAIT && (flags & TCP_FIN) && seq + seg->len + 1 == c->rcv_nxt)
			tcp_fsm_time_wait_restart(st, c);
		if (!(flags & TCP_RST)) {
			c->flags |= TCP_CF_ACK_NOW;
			tcp_want_output(st, c);
		}
		return;
	}
	if (flags & TCP_RST) {
		tcp_input_rst(st, c, seg);
		return;
	}
	/* RFC 5961 4: a SYN on a synchronized connection gets a challenge ACK (a retransmitted SYN in
	 * SYN-RECEIVED gets the SYN,ACK again). */
	if (flags & TCP_SYN) {
		if (c->state == MS_TCP_SYN_RECEIVED && seq == c->irs) {
			c->snd_nxt = c->iss;
			tcp_want_output(st, c);
		} else {
			tcp_challenge_ack(st, c);
		}
		return;
	}
	if (!(flags & TCP_ACK))
		return;
	/* RFC 7323 4.3: remember the timestamp to echo. */
	if ((c->flags & TCP_CF_TS) && (seg->opt.present & TCP_OPT_TS) && seq_leq(seq, c->last_ack_sent) &&
	    seq_geq(seg->opt.ts_val, c->ts_recent)) {
		c->ts_recent = seg->opt.ts_val;
		c->ts_recent_ms = st->now_ms;
	}
	/* Keep only what lies in the window. */
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		if (d >= len) {
			if (len)
				st->stats.rx_dup_data++;
			if (len || ((flags & TCP_FIN) && seq + len != c->rcv_nxt))
				c->flags |= TCP_CF_ACK_NOW;
			if (d > len)
				flags &= ~TCP_FIN;
			d = len;
		}
		seq += d;
		data += d;
		len -= d;
	}
	if (seq_gt(seq + len, c->rcv_nxt + rwnd)) {
		len = c->rcv_nxt + rwnd - seq;
		flags &= ~TCP_FIN;
		c->flags |= TCP_CF_ACK_NOW;
	}
	if (c->state == MS_TCP_SYN_RECEIVED) {
		if (!seq_gt(seg->ack, c->snd_una) || seq_gt(seg->ack, c->snd_max)) {
			tcp_send_reset_for(st, seg);
			return;
		}
		c->rto_at = 0;
		tcp_rtt_sample_handshake(st, c, seg);
		c->snd_una = seg->ack;
		c->snd_wnd = tcp_seg_wnd(c, seg);
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		tcp_established(st, c);
	}
	/* RFC 5961 5.2: an ACK beyond what we sent, or older than the window the peer could have
	 * seen, is answered with an ACK and dropped. */
	if (seq_gt(seg->ack, c->snd_max) || seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
		tcp_challenge_ack(st, c);
		return;
	}
	tcp_input_ack(st, c, seg);
	if (c->state == MS_TCP_CLOSED)
		return;
	if (len && (c->state == MS_TCP_ESTABLISHED || c->state == MS_TCP_FIN_WAIT_1 || c->state == MS_TCP_FIN_WAIT_2)) {
		tcp_input_data(st, c, seq, data, len);
		tcp_want_output(st, c);
	}
	if ((flags & TCP_FIN) && !(c->flags & TCP_CF_RCV_FIN)) {
		c->rcv_fin_seq = seq + len;
		c->flags |= TCP_CF_RCV_FIN_OOO;
	}
	if ((c->flags & TCP_CF_RCV_FIN_OOO) && c->rcv_fin_seq == c->rcv_nxt)
		tcp_fsm_rcv_fin(st, c);
	else if (flags & TCP_FIN)
		c->flags |= TCP_CF_ACK_NOW;
	if (c->flags & TCP_CF_ACK_NOW)
		tcp_want_output(st, c);
}

/*
 * A SYN that may reopen a connection in TIME_WAIT (RFC 6191): with
 * timestamps, its TSval must be newer than the last one seen; without,
 * its sequence number must lie above everything of the old incarnation
 * (RFC 9293 3.10.7.4, as the BSDs do).
 */
static int tcp_time_wait_reusable(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	if ((seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return 0;
	if ((c->flags & TCP_CF_TS) && (seg->opt.present & TCP_OPT_TS))
		return seq_gt(seg->opt.ts_val, c->ts_recent);
	return seq_gt(seg->seq, c->rcv_nxt);
}

void tcp_input(struct ms_tcp_stack *st, const struct tcp_seg *seg)
{
	struct tcp_conn *c = tcp_conn_lookup(&st->tab, &seg->ep);
	struct tcp_conn *l;

	l = tcp_listener_lookup(&st->tab, seg->ep.family, seg->ep.laddr, seg->ep.lport);
	if (c && c->state == MS_TCP_TIME_WAIT && l && tcp_time_wait_reusable(c, seg)) {
		/* RFC 9293 3.10.7.4 / RFC 6191: a new incarnation ends TIME_WAIT early. */
		tcp_fsm_drop(st, c, 0);
		c = NULL;
	}
	if (c) {
		tcp_input_conn(st, c, seg);
		return;
	}
	if (l) {
		tcp_input_listen(st, l, seg);
		return;
	}
	st->stats.rx_no_conn++;
	tcp_send_reset_for(st, seg);
}

/*
 * An ICMP error about one of our segments. RFC 5927 4.1: only if the quoted
 * sequence number is in flight. Packet too big (RFC 1191, RFC 8201): lower
 * the MSS and send again. RFC 1122 4.2.3.9: hard errors abort a connection
 * that is still opening; soft errors are remembered, not fatal, and so are
 * hard ones once synchronized (RFC 5461 4: a transient routing problem must
 * not end an established connection). The one remembered becomes the error
 * of a connection that times out (tcp_timeout_error), as Linux's
 * sk_err_soft.
 */
void tcp_input_icmp(struct ms_tcp_stack *st, const struct tcp_icmp_err *err)
{
	struct tcp_conn *c = tcp_conn_lookup(&st->tab, &err->ep);

	st->stats.rx_icmp++;
	if (!c || !seq_in(err->seq, c->snd_una, c->snd_max + (c->snd_max == c->snd_una)))
		return;
	if (err->error == -EMSGSIZE) {
		uint32_t mss = tcp_ip_mss_for_mtu(c->ep.family, err->mtu);

		if (mss >= 88 && mss < c->peer_mss) {
			c->peer_mss = (uint16_t)mss;
			tcp_set_mss(c);
			c->snd_nxt = c->snd_una;
			tcp_want_output(st, c);
		}
		return;
	}
	if (err->hard && (c->state == MS_TCP_SYN_SENT || c->state == MS_TCP_SYN_RECEIVED)) {
		tcp_fsm_drop(st, c, err->error);
		return;
	}
	c->soft_error = err->error;
}
