/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_output.c - what a connection sends now: SYNs, data, retransmissions, FIN, ACKs, resets, in one tx burst. */
#include <errno.h>
#include <string.h>

#include "tcp_ip.h"
#include "tcp_opt.h"
#include "tcp_seq.h"
#include "tcp_stack.h"

/* Hand the frames built so far to the ring. */
void tcp_output_flush(struct ms_tcp_stack *st)
{
	if (st->ntx)
		st->io.ops->tx_send(st->io.ctx, st->tx, st->ntx);
	st->stats.tx_frames += st->ntx;
	st->ntx = 0;
	st->ntx_alloc = 0;
}

/* The next empty tx buffer of this burst, or NULL when the ring is full. */
static struct ms_pkt *tcp_tx_buf(struct ms_tcp_stack *st)
{
	if (st->ntx == st->ntx_alloc) {
		tcp_output_flush(st);
		st->ntx_alloc = st->io.ops->tx_alloc(st->io.ctx, st->tx, TCP_BURST);
		if (!st->ntx_alloc) {
			st->stats.tx_ring_full++;
			st->tx_full = 1;
			return NULL;
		}
	}
	return &st->tx[st->ntx];
}

/* One segment; payload from c's send ring at byte offset off (len bytes), or none. @return 0; -ENOBUFS. */
static int tcp_emit(struct ms_tcp_stack *st, const struct tcp_endpoints *ep, const uint8_t *dst_mac, uint32_t seq,
		    uint32_t ack, uint8_t flags, uint16_t wnd, const struct tcp_opts *o, const struct tcp_conn *c,
		    uint32_t off, uint32_t len, size_t optcap)
{
	uint8_t opt[40];
	struct tcp_hdr_out h = { 0 };
	struct ms_pkt *p = tcp_tx_buf(st);
	size_t hl;

	if (!p)
		return -ENOBUFS;
	h.optlen = o ? (uint8_t)tcp_opt_write(opt, optcap, o) : 0;
	hl = tcp_ip_header_len(ep->family, h.optlen);
	if (len)
		tcp_sndbuf_peek(&c->snd, off, p->data + hl, len);
	h.ep = ep;
	h.src_mac = st->io.mac;
	h.dst_mac = dst_mac;
	h.seq = seq;
	h.ack = ack;
	h.wnd = wnd;
	h.flags = flags;
	h.opt = opt;
	p->len = tcp_ip_build(p->data, &h, len);
	st->ntx++;
	return 0;
}

/* Option bytes a segment of len payload bytes may carry: what is left of the peer's MSS (SACK blocks that
 * do not fit are left out by tcp_opt_write), at most 40. */
static size_t tcp_opt_room(const struct tcp_conn *c, uint32_t len)
{
	uint32_t room = c->peer_mss > len ? c->peer_mss - len : 0;

	return room > 40 ? 40 : room;
}

uint32_t tcp_ts_now(const struct ms_tcp_stack *st, const struct tcp_conn *c)
{
	return (uint32_t)st->now_ms + c->ts_off;
}

/*
 * The receive window to offer. RFC 9293 3.8.6.2.2 (receiver SWS avoidance):
 * the right edge moves only by at least min(half the buffer, one MSS); and
 * it never moves back, a window once offered stays offered.
 */
uint32_t tcp_rcv_window(const struct tcp_conn *c)
{
	uint32_t cap = c->rcv.buf ? c->rcv.cap : c->rcv_wnd_max;
	uint32_t used = c->rcv_nxt - c->rd_seq;
	uint32_t wnd = used < cap ? cap - used : 0;
	uint32_t adv = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t step = cap / 2 < c->rcv_mss ? cap / 2 : c->rcv_mss;

	if (wnd <= adv || wnd - adv < step)
		return adv;
	return wnd;
}

/*
 * One segment of connection c: the ACK, window and options every segment of
 * a synchronized connection carries (RFC 7323 3.2: TSopt on every segment
 * once negotiated; RFC 2018 4: SACK blocks of the reassembly queue, the most
 * recent first). Sending any segment is also the ACK the receiver owed.
 */
static int tcp_emit_conn(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint8_t flags, uint32_t len)
{
	struct tcp_opts o = { 0 };
	uint32_t wnd = tcp_rcv_window(c), data_seq = tcp_snd_data_seq(c);
	uint16_t wire_wnd;
	int err;

	if (flags & TCP_SYN) {
		o.present = TCP_OPT_MSS;
		o.mss = c->rcv_mss;
		/* RFC 7323 2.2 / 3.2, RFC 2018 2: offered in a SYN; in a SYN-ACK only if the peer's SYN had them. */
		if (c->flags & TCP_CF_WSCALE) {
			o.present |= TCP_OPT_WSCALE;
			o.wscale = c->rcv_wscale;
		}
		if (c->flags & TCP_CF_SACK)
			o.present |= TCP_OPT_SACK_PERM;
		/* RFC 7323 2.2: the window of a SYN is never scaled. */
		wire_wnd = wnd > 65535 ? 65535 : (uint16_t)wnd;
		wnd = wire_wnd;
	} else {
		wire_wnd = (wnd >> c->rcv_wscale) > 65535 ? 65535 : (uint16_t)(wnd >> c->rcv_wscale);
		wnd = (uint32_t)wire_wnd << c->rcv_wscale;
		if ((c->flags & TCP_CF_SACK) && c->rx && c->rx->reass.n) {
			o.nsack = (uint8_t)tcp_reass_sack_blocks(&c->rx->reass, o.sack, TCP_SACK_BLOCKS_MAX);
			if (o.nsack)
				o.present |= TCP_OPT_SACK;
		}
	}
	if (c->flags & TCP_CF_TS) {
		o.present |= TCP_OPT_TS;
		o.ts_val = tcp_ts_now(st, c);
		o.ts_ecr = c->ts_recent;
	}
	if (c->state != MS_TCP_SYN_SENT)
		flags |= TCP_ACK;
	err = tcp_emit(st, &c->ep, c->dst_mac, seq, c->rcv_nxt, flags, wire_wnd, &o, c, seq - data_seq, len,
		       (flags & TCP_SYN) ? 40 : tcp_opt_room(c, len));
	if (err)
		return err;
	if (flags & TCP_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		if (seq_gt(c->rcv_nxt + wnd, c->rcv_adv))
			c->rcv_adv = c->rcv_nxt + wnd;
		c->flags &= ~(TCP_CF_ACK_NOW | TCP_CF_RCV_READ);
		c->segs_unacked = 0;
		c->dack_at = 0;
	}
	c->bytes_sent += len;
	return 0;
}

void tcp_send_ctl(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint8_t flags)
{
	tcp_emit_conn(st, c, seq, flags, 0);
}

/*
 * The SYN or SYN,ACK, sent again until acknowledged. RFC 6298 2.2 and 3
 * (Karn): the first transmission is timed, without timestamps it gives the
 * first RTT sample when acknowledged; a second one (a timeout, or a
 * retransmitted SYN answered again) makes the sample ambiguous: none.
 */
void tcp_send_syn(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	int first = c->snd_max == c->iss;

	if (tcp_emit_conn(st, c, c->iss, TCP_SYN, 0))
		return;
	if (first) {
		c->flags |= TCP_CF_RTT_TIMING;
		c->rtt_seq = c->iss;
		c->rtt_start_us = st->now_us;
	} else {
		c->flags &= ~TCP_CF_RTT_TIMING;
	}
	c->snd_nxt = c->iss + 1;
	if (seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	if (!c->rto_at)
		tcp_rto_restart(st, c);
}

void tcp_send_reset_for(struct ms_tcp_stack *st, const struct tcp_seg *seg)
{
	/* RFC 9293 3.10.7.1: never answer a reset; if the segment has an ACK the reset takes its
	 * sequence number from it, else it is sequence 0 and acknowledges everything the segment held. */
	if (seg->flags & TCP_RST)
		return;
	st->stats.rst_sent++;
	if (seg->flags & TCP_ACK)
		tcp_emit(st, &seg->ep, seg->src_mac, seg->ack, 0, TCP_RST, 0, NULL, NULL, 0, 0, 0);
	else
		tcp_emit(st, &seg->ep, seg->src_mac, 0, seg->seq + tcp_seg_seqlen(seg), TCP_RST | TCP_ACK, 0, NULL,
			 NULL, 0, 0, 0);
}

/*
 * The stateless SYN,ACK (RFC 4987 3.6): the MSS, and when the SYN had
 * timestamps the options it asked for (RFC 7323 2.2 / 3.2, RFC 2018 2: in a
 * SYN,ACK only if the SYN had them), with the ones the ACK must bring back
 * in our TSval (tcp_cookie_tsval). The window is never scaled in a SYN.
 */
void tcp_send_synack_cookie(struct ms_tcp_stack *st, const struct tcp_seg *seg, uint32_t cookie, uint16_t mss,
			    const struct tcp_cookie_opts *opts)
{
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = mss };

	if (opts && opts->ts) {
		o.present |= TCP_OPT_TS;
		o.ts_val = tcp_cookie_tsval((uint32_t)st->now_ms + tcp_ts_offset(st, &seg->ep), opts);
		o.ts_ecr = seg->opt.ts_val;
		if (opts->wscale != TCP_COOKIE_NO_WSCALE) {
			o.present |= TCP_OPT_WSCALE;
			o.wscale = tcp_rcv_wscale(st);
		}
		if (opts->sack)
			o.present |= TCP_OPT_SACK_PERM;
	}
	st->stats.syn_cookies_sent++;
	tcp_emit(st, &seg->ep, seg->src_mac, cookie, seg->seq + 1, TCP_SYN | TCP_ACK,
		 st->cfg.rcvbuf > 65535 ? 65535 : (uint16_t)st->cfg.rcvbuf, &o, NULL, 0, 0, 40);
}

/* Retransmit [seq, seq + len) of the send ring (len <= mss), with FIN if it ends at our FIN. */
static int tcp_retransmit(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t data_end = tcp_snd_data_seq(c) + c->snd.len;
	uint8_t flags = 0;

	if (seq_gt(seq + len, data_end))
		len = seq_gt(data_end, seq) ? data_end - seq : 0;
	if ((c->flags & TCP_CF_FIN_QUEUED) && seq + len == c->fin_seq && seq_gt(c->snd_max, c->fin_seq))
		flags = TCP_FIN;
	if (!len && !flags)
		return 0;
	if (tcp_emit_conn(st, c, seq, flags, len))
		return -ENOBUFS;
	c->retransmits++;
	st->stats.retransmits++;
	c->flags &= ~TCP_CF_RTT_TIMING; /* Karn: a retransmitted segment gives no sample */
	return (int)len;
}

/* RFC 6675 5 (C): while pipe < cwnd, send what NextSeg names. @return 1 if new data may follow. */
static int tcp_output_sack_recovery(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t *pipe)
{
	uint32_t seq, len;
	int r;

	uint32_t data_end = tcp_snd_data_seq(c) + c->snd.len;
	int can_send_new = seq_gt(data_end, c->snd_nxt) && seq_gt(c->snd_una + c->snd_wnd, c->snd_nxt);

	*pipe = tcp_sack_pipe(&c->sb, c->snd_una, c->snd_max, c->mss);
	while (*pipe < c->cc.cwnd) {
		r = tcp_sack_next_seg(&c->sb, c->snd_una, c->snd_nxt, c->snd_max, c->mss, can_send_new, &seq, &len);
		if (r != 1)
			return r == 2;
		if (tcp_retransmit(st, c, seq, len) < 0)
			return 0;
		if (seq_gt(seq + len, c->sb.high_rxt))
			c->sb.high_rxt = seq + len;
		*pipe += len ? len : 1;
		if (!len)
			return 0;
	}
	return 0;
}

/*
 * New data from snd_nxt: within the peer's window and cwnd, MSS segments;
 * a short segment only when Nagle allows it (RFC 9293 3.7.4: nothing
 * unacknowledged, or no-delay) and the sender-side SWS rule lets it go
 * (RFC 9293 3.8.6.2.1: a full segment, all there is, or half the largest
 * window the peer offered). FIN rides on the last segment.
 */
static void tcp_output_data(struct ms_tcp_stack *st, struct tcp_conn *c, int sack_recovery, uint32_t pipe)
{
	uint32_t data_end = tcp_snd_data_seq(c) + c->snd.len;
	for (;;) {
		uint32_t avail = seq_gt(data_end, c->snd_nxt) ? data_end - c->snd_nxt : 0;
		uint32_t flight = sack_recovery ? pipe : c->snd_nxt - c->snd_una;
		uint32_t wnd_edge = c->snd_una + c->snd_wnd;
		uint32_t by_wnd = seq_gt(wnd_edge, c->snd_nxt) ? wnd_edge - c->snd_nxt : 0;
		uint32_t by_cwnd = c->cc.cwnd > flight ? c->cc.cwnd - flight : 0;
		uint32_t len = avail, first_send;
		uint8_t flags = 0;

		if (!avail)
			break;
		if (len > by_wnd)
			len = by_wnd;
		if (len > by_cwnd)
			len = by_cwnd;
		if (len > c->mss)
			len = c->mss;
		if (!len)
			break;
		if (len < c->mss) {
			int nagle_ok = (c->flags & (TCP_CF_NODELAY | TCP_CF_FIN_QUEUED)) || c->snd_nxt == c->snd_una;

			/* Window-limited with nothing in flight: send what fits rather than wait for a
			 * window that a receiver avoiding SWS may never offer (RFC 9293 3.8.6.2.1's
			 * override, without its timer). */
			if (len < avail ? len < c->max_snd_wnd / 2 && c->snd_nxt != c->snd_una : !nagle_ok)
				break;
		}
		if ((c->flags & TCP_CF_FIN_QUEUED) && c->snd_nxt + len == c->fin_seq)
			flags |= TCP_FIN;
		if (len == avail)
			flags |= TCP_PSH;
		first_send = seq_geq(c->snd_nxt, c->snd_max);
		if (tcp_emit_conn(st, c, c->snd_nxt, flags, len))
			break;
		if (!first_send) {
			c->retransmits++;
			st->stats.retransmits++;
		} else if (!(c->flags & (TCP_CF_TS | TCP_CF_RTT_TIMING))) {
			c->flags |= TCP_CF_RTT_TIMING;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start_us = st->now_us;
		}
		c->snd_nxt += len + !!(flags & TCP_FIN);
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		pipe += len;
		if (!c->rto_at)
			tcp_rto_restart(st, c);
	}
	/* A FIN with no data left to carry it. */
	if ((c->flags & TCP_CF_FIN_QUEUED) && c->snd_nxt == c->fin_seq && c->state != MS_TCP_SYN_RECEIVED) {
		if (!tcp_emit_conn(st, c, c->snd_nxt, TCP_FIN, 0)) {
			c->snd_nxt++;
			if (seq_gt(c->snd_nxt, c->snd_max))
				c->snd_max = c->snd_nxt;
			if (!c->rto_at)
				tcp_rto_restart(st, c);
		}
	}
	/* RFC 9293 3.8.6.1: a zero window with data waiting and nothing in flight starts the persist timer. */
	if (c->snd_wnd == 0 && seq_gt(data_end, c->snd_nxt) && c->snd_una == c->snd_max) {
		if (!c->persist_at) {
			c->persist_backoff = c->rto_ms > TCP_PERSIST_MIN_MS ? c->rto_ms : TCP_PERSIST_MIN_MS;
			c->persist_at = st->now_ms + c->persist_backoff;
		}
		c->rto_at = 0;
	} else if (c->snd_wnd) {
		c->persist_at = 0;
		c->persist_probes = 0;
		/* RFC 6298 5.1: what is in flight (data or a FIN) has the retransmission timer running;
		 * a timeout in a zero window left it to the persist timer, which stops here. */
		if (c->snd_una != c->snd_max && !c->rto_at)
			tcp_rto_restart(st, c);
	}
}

/* The zero-window probe (RFC 9293 3.8.6.1): one byte beyond the window, sent again until the window opens. */
void tcp_output_probe(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint32_t data_end = tcp_snd_data_seq(c) + c->snd.len;

	if (!seq_gt(data_end, c->snd_una)) {
		/* No data left: the FIN in flight is the probe (the receiver answers it with its window),
		 * or a lost window update would leave both ends waiting for good. */
		if ((c->flags & TCP_CF_FIN_QUEUED) && c->snd_una == c->fin_seq && seq_gt(c->snd_max, c->fin_seq))
			tcp_emit_conn(st, c, c->fin_seq, TCP_FIN, 0);
		return;
	}
	if (tcp_emit_conn(st, c, c->snd_una, 0, 1))
		return;
	if (seq_gt(c->snd_una + 1, c->snd_max))
		c->snd_max = c->snd_una + 1;
	c->snd_nxt = c->snd_max;
}

void tcp_output(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint32_t pipe = 0;
	int sack_recovery;

	switch (c->state) {
	case MS_TCP_CLOSED:
	case MS_TCP_LISTEN: return;
	case MS_TCP_SYN_SENT:
	case MS_TCP_SYN_RECEIVED:
		if (c->snd_nxt == c->iss)
			tcp_send_syn(st, c);
		else if (c->flags & TCP_CF_ACK_NOW)
			tcp_send_ctl(st, c, c->snd_nxt, 0);
		break;
	case MS_TCP_TIME_WAIT:
		if (c->flags & TCP_CF_ACK_NOW)
			tcp_send_ctl(st, c, c->snd_nxt, 0);
		break;
	default:
		/* RFC 6582 3.2 (5): a partial ACK retransmits the first unacknowledged segment. */
		if (c->flags & TCP_CF_RXMIT_UNA) {
			c->flags &= ~TCP_CF_RXMIT_UNA;
			tcp_retransmit(st, c, c->snd_una, c->mss);
		}
		sack_recovery = (c->flags & (TCP_CF_RECOVERY | TCP_CF_SACK)) == (TCP_CF_RECOVERY | TCP_CF_SACK);
		if (!sack_recovery || tcp_output_sack_recovery(st, c, &pipe))
			tcp_output_data(st, c, sack_recovery, pipe);
		/* Every segment sent carried the ACK and window. Otherwise a window update when the
		 * application freed two segments or half the buffer (RFC 9293 3.8.6.2.2, receiver SWS). */
		if (c->flags & TCP_CF_RCV_READ) {
			uint32_t cap = c->rcv.buf ? c->rcv.cap : c->rcv_wnd_max;
			uint32_t grow = c->rcv_nxt + tcp_rcv_window(c) - c->rcv_adv;
			uint32_t half = cap / 2 < 2u * c->rcv_mss ? cap / 2 : 2u * c->rcv_mss;

			if ((int32_t)grow >= (int32_t)half)
				c->flags |= TCP_CF_ACK_NOW;
		}
		if (c->flags & TCP_CF_ACK_NOW)
			tcp_send_ctl(st, c, c->snd_nxt, 0);
		break;
	}
	tcp_timers_update(st, c);
}
