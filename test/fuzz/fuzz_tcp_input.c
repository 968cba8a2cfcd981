/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_tcp_input.c - libFuzzer target: a whole libmstack-tcp stack driven by a fuzzed program of segments, time and
 * application calls, its invariants checked after every step. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <mstack/ms_csum.h>
#include <mstack/tcp.h>

#include "tcp_ip.h"
#include "tcp_opt.h"
#include "tcp_seq.h"
#include "tcp_stack.h"
#include "fuzz.h"

/*
 * The input is a program. The first FZ_CFG_BYTES bytes choose the stack's
 * configuration (small buffers, memory, connection and backlog limits, so
 * that every limit is within reach), then each operation is one byte
 * (enum fz_op, modulo FZ_OP_COUNT) followed by its operands; an input that
 * runs out reads zeros and ends the program.
 *
 * The stack (10.0.0.1, fd00::1) runs on an I/O backend of this file, not on
 * tcp_simlink: a fuzzed transmit ring that can be full, frames handed in
 * exactly as built, and every transmitted frame inspected. The other end
 * is a peer model of up to FZ_FLOWS flows (10.0.0.2, fd00::2) that tracks
 * what the stack sent (ISS, highest sequence, last ACK and window, last
 * timestamp), so that the fuzzed sequence and acknowledgment numbers are
 * offsets from the connection's real numbers and the stack reaches, and
 * stays in, the synchronized states.
 *
 * Byte streams are checked end to end: the peer sends, at sequence number
 * s, the byte fz_peer_byte(s); the application sends byte fz_app_byte(i) at
 * stream offset i. What the application receives and what the stack puts
 * on the wire must be exactly those bytes, whatever reordering,
 * retransmission, trimming and reassembly happened in between.
 */

#define FZ_CFG_BYTES 8
#define FZ_MAX_OPS   400
#define FZ_FLOWS     8
#define FZ_HANDLES   64
#define FZ_TXBUFS    64
#define FZ_RXQ       TCP_BURST
#define FZ_PORT_BASE 1024 /* the peer's ports */

static const uint8_t fz_stack_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t fz_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t fz_addr[2][2][16] = {
	/* [family is v6][0: the stack, 1: the peer] */
	{ { 10, 0, 0, 1 }, { 10, 0, 0, 2 } },
	{ { 0xfd, [15] = 1 }, { 0xfd, [15] = 2 } },
};

/* The program being read. */
struct fz_in {
	const uint8_t *p;
	size_t left;
};

/* What the peer knows of one flow (one 4-tuple), and of the incarnation of the connection on it. */
struct fz_flow {
	uint8_t used, v6;
	uint16_t lport, rport; /* the stack's port, the peer's port */
	/* The peer's own sequence space. */
	uint32_t peer_nxt, peer_acked, peer_ts;
	/* What the stack sent on this flow (the current incarnation: since its last SYN). */
	uint8_t iss_known, ack_known, ts_known;
	uint8_t wscale; /* the stack's receive window shift, once seen (its frames outlive the connection) */
	uint32_t iss, snd_max, ack, edge, ts;
	uint64_t app_sent; /* bytes the application queued on this incarnation */
	uint8_t fin_sent;
};

/* A handle the application holds. */
struct fz_handle {
	int h;
	uint8_t listener;
	uint8_t eof;       /* recv returned 0 */
	uint64_t received; /* stream offset of the next byte recv returns */
	uint32_t irs;
	uint8_t irs_known;
};

struct fz {
	struct ms_tcp_stack *st;
	struct tcp_io io;
	uint64_t now_us;
	/* Receive side of the backend: frames waiting for the next rx_burst. */
	uint8_t rxq[FZ_RXQ][MS_BUF_SIZE];
	uint32_t rxlen[FZ_RXQ];
	unsigned nrx, ntaken;
	uint64_t delivered;
	/* Transmit side: buffers, and how many frames the ring takes before it is full. */
	uint8_t txbuf[FZ_TXBUFS][MS_BUF_SIZE];
	unsigned tx_budget;
	unsigned tx_allocated;
	uint64_t transmitted;
	struct fz_flow flow[FZ_FLOWS];
	struct fz_handle hd[FZ_HANDLES];
	unsigned nhd;
};

static struct fz fz;      /* large: static, reset for every input */
static int fz_trace = -1; /* MSTACK_FUZZ_TRACE set: print each operation and the connections (to read a finding) */

static uint8_t fz_u8(struct fz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint16_t fz_u16(struct fz_in *in)
{
	return (uint16_t)(fz_u8(in) << 8 | fz_u8(in));
}

static uint32_t fz_u32(struct fz_in *in)
{
	return (uint32_t)fz_u16(in) << 16 | fz_u16(in);
}

/* The peer's byte at sequence number s, and the application's at stream offset i. */
static uint8_t fz_peer_byte(uint32_t s)
{
	return (uint8_t)((s * 2654435761u) >> 24);
}

static uint8_t fz_app_byte(uint64_t i)
{
	return (uint8_t)((i * 40503u + (i >> 9)) >> 3);
}

/*
 * The backend.
 */

static unsigned fz_rx_burst(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	unsigned k;

	(void)ctx;
	/* As ms_rx_burst: every frame not yet released, from the first. */
	for (k = 0; k < fz.nrx && k < n; k++) {
		pkts[k].data = fz.rxq[k];
		pkts[k].len = fz.rxlen[k];
	}
	fz.ntaken = k;
	return k;
}

static void fz_rx_release(void *ctx, unsigned k)
{
	(void)ctx;
	FZ_ASSERT(k <= fz.ntaken);
	memmove(fz.rxq, fz.rxq[k], (size_t)(fz.nrx - k) * MS_BUF_SIZE);
	memmove(fz.rxlen, fz.rxlen + k, (fz.nrx - k) * sizeof(fz.rxlen[0]));
	fz.nrx -= k;
	fz.ntaken = 0;
	fz.delivered += k;
}

static unsigned fz_tx_alloc(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	(void)ctx;
	if (n > fz.tx_budget)
		n = fz.tx_budget;
	if (n > FZ_TXBUFS)
		n = FZ_TXBUFS;
	for (unsigned i = 0; i < n; i++) {
		pkts[i].data = fz.txbuf[i];
		pkts[i].len = MS_FRAME_MAX;
	}
	fz.tx_allocated = n;
	return n;
}

static void fz_inspect_tx(const uint8_t *f, uint32_t len);

static void fz_tx_send(void *ctx, const struct ms_pkt *pkts, unsigned k)
{
	(void)ctx;
	FZ_ASSERT(k <= fz.tx_allocated);
	for (unsigned i = 0; i < k; i++) {
		FZ_ASSERT(pkts[i].data == fz.txbuf[i]);
		fz_inspect_tx(pkts[i].data, pkts[i].len);
	}
	fz.tx_budget -= k;
	fz.tx_allocated = 0;
	fz.transmitted += k;
}

static uint64_t fz_clock(void *ctx)
{
	(void)ctx;
	return fz.now_us;
}

static int fz_resolve(void *ctx, int family, const void *addr, uint8_t mac[6])
{
	(void)ctx;
	(void)family;
	(void)addr;
	memcpy(mac, fz_peer_mac, 6);
	return 0;
}

static const struct tcp_io_ops fz_ops = {
	.rx_burst = fz_rx_burst,
	.rx_release = fz_rx_release,
	.tx_alloc = fz_tx_alloc,
	.tx_send = fz_tx_send,
	.now_us = fz_clock,
};

/*
 * The peer model.
 */

static struct fz_flow *fz_flow_find(int v6, uint16_t lport, uint16_t rport)
{
	for (int i = 0; i < FZ_FLOWS; i++)
		if (fz.flow[i].used && fz.flow[i].v6 == v6 && fz.flow[i].lport == lport && fz.flow[i].rport == rport)
			return &fz.flow[i];
	return NULL;
}

/* What the peer knew of the stack's side is for a connection that is gone: a new one starts at its SYN. */
static void fz_flow_new_incarnation(struct fz_flow *f)
{
	f->iss_known = f->ack_known = 0;
	f->wscale = 0;
	f->app_sent = 0;
	f->fin_sent = 0;
}

/* The flow of a 4-tuple, kept if the peer knows it already, else in slot. */
static struct fz_flow *fz_flow_add(int v6, uint16_t lport, uint16_t rport, unsigned slot)
{
	struct fz_flow *f = fz_flow_find(v6, lport, rport);

	if (f)
		return f;
	f = &fz.flow[slot % FZ_FLOWS];
	memset(f, 0, sizeof(*f));
	f->used = 1;
	f->v6 = (uint8_t)v6;
	f->lport = lport;
	f->rport = rport;
	f->peer_nxt = 0x10000000u * (slot % FZ_FLOWS) + 1000;
	return f;
}

/* The connection the stack has on flow f, or NULL. */
static struct tcp_conn *fz_conn_of_flow(const struct fz_flow *f)
{
	struct tcp_endpoints ep = { 0 };

	ep.family = f->v6 ? AF_INET6 : AF_INET;
	ep.lport = f->lport;
	ep.rport = f->rport;
	memcpy(ep.laddr, fz_addr[f->v6][0], 16);
	memcpy(ep.raddr, fz_addr[f->v6][1], 16);
	return tcp_conn_lookup(&fz.st->tab, &ep);
}

/*
 * Every frame the stack transmits: a valid segment (checksums, lengths) of
 * ours, no larger than the MTU, and, on a flow the peer knows, in order with
 * what came before: ACKs never go back, the window's right edge never moves
 * left (RFC 9293 3.8.6.2.2, up to the scaling's rounding, RFC 7323 2.4), data
 * are exactly the application's bytes and only those it queued, and a FIN
 * comes right after the last of them.
 */
static void fz_inspect_tx(const uint8_t *f, uint32_t len)
{
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	struct fz_flow *fl;
	struct tcp_conn *c;
	int v6;

	FZ_ASSERT(len >= 14 && len <= fz.io.mtu + 14u);
	FZ_ASSERT(!memcmp(f + 6, fz_stack_mac, 6));
	FZ_ASSERT(!memcmp(f, fz_peer_mac, 6));
	FZ_ASSERT(tcp_ip_parse(f, len, &seg, &err) == TCP_IP_SEGMENT);
	v6 = seg.ep.family == AF_INET6;
	/* As the peer sees it: local is the peer. */
	FZ_ASSERT(!memcmp(seg.ep.raddr, fz_addr[v6][0], 16));
	fl = fz_flow_find(v6, seg.ep.rport, seg.ep.lport);
	if (!fl)
		return;
	if (seg.flags & TCP_SYN) {
		FZ_ASSERT(seg.len == 0 && !(seg.flags & (TCP_RST | TCP_FIN)));
		if (!fl->iss_known || seg.seq != fl->iss) {
			/* A new incarnation. */
			fl->iss_known = 1;
			fl->iss = seg.seq;
			fl->snd_max = seg.seq + 1;
			fl->ack_known = 0;
			fl->app_sent = 0;
			fl->fin_sent = 0;
		}
		if (seg.flags & TCP_ACK) {
			fl->ack_known = 1;
			fl->ack = seg.ack;
			fl->edge = seg.ack + seg.wnd;
		}
	} else if (seg.flags & TCP_RST) {
		return; /* a reset for a segment takes its numbers from that segment */
	} else if (fl->iss_known && (seg.flags & TCP_ACK)) {
		uint32_t scale = 0, edge;

		c = fz_conn_of_flow(fl);
		if (c)
			fl->wscale = c->flags & TCP_CF_WSCALE ? c->rcv_wscale : 0;
		scale = fl->wscale;
		edge = seg.ack + ((uint32_t)seg.wnd << scale);
		if (fl->ack_known) {
			FZ_ASSERT(seq_geq(seg.ack, fl->ack));
			FZ_ASSERT(seq_geq(edge + (1u << scale), fl->edge));
		}
		if (!fl->ack_known || seq_gt(edge, fl->edge))
			fl->edge = edge;
		fl->ack_known = 1;
		fl->ack = seg.ack;
		if (seg.len) {
			/* Data: stream offsets [seq - iss - 1, + len), all queued by the application. */
			uint64_t off = seg.seq - fl->iss - 1;

			FZ_ASSERT(off + seg.len <= fl->app_sent);
			for (uint32_t i = 0; i < seg.len; i++)
				FZ_ASSERT(seg.data[i] == fz_app_byte(off + i));
		}
		if (seg.flags & TCP_FIN) {
			FZ_ASSERT(seg.seq + seg.len == fl->iss + 1 + (uint32_t)fl->app_sent);
			fl->fin_sent = 1;
		}
	}
	if (fl->iss_known) {
		uint32_t end = seg.seq + tcp_seg_seqlen(&seg);

		if (seq_gt(end, fl->snd_max))
			fl->snd_max = end;
	}
	if (seg.opt.present & TCP_OPT_TS) {
		fl->ts_known = 1;
		fl->ts = seg.opt.ts_val;
	}
}

/* Queue a frame for the stack's next rx burst (a full queue drops it, as a full ring would). */
static uint8_t *fz_rx_slot(void)
{
	if (fz.nrx >= FZ_RXQ)
		return NULL;
	memset(fz.rxq[fz.nrx], 0, MS_BUF_SIZE);
	return fz.rxq[fz.nrx];
}

/* The endpoints of flow f as the peer sends: local is the peer. */
static void fz_peer_ep(const struct fz_flow *f, struct tcp_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = f->v6 ? AF_INET6 : AF_INET;
	ep->lport = f->rport;
	ep->rport = f->lport;
	memcpy(ep->laddr, fz_addr[f->v6][1], 16);
	memcpy(ep->raddr, fz_addr[f->v6][0], 16);
}

static struct fz_flow *fz_pick_flow(struct fz_in *in)
{
	uint8_t b = fz_u8(in);
	struct fz_flow *f = &fz.flow[b % FZ_FLOWS];

	if (!f->used) {
		/* Default: the first flow towards the listener port. */
		f = &fz.flow[0];
		if (!f->used)
			f = fz_flow_add(0, 80, FZ_PORT_BASE, 0);
	}
	return f;
}

/*
 * A segment from the peer: flags, sequence and acknowledgment numbers as
 * offsets from the connection's numbers (or raw), window, options (built
 * from fields or raw bytes), and a payload of the peer's bytes.
 */
static void fz_op_segment(struct fz_in *in)
{
	struct fz_flow *f = fz_pick_flow(in);
	uint8_t flags = fz_u8(in), mode = fz_u8(in), optsel;
	int16_t dseq = (int16_t)fz_u16(in), dack = (int16_t)fz_u16(in);
	uint16_t wnd = fz_u16(in), plen;
	uint32_t seq, ack, seqlen;
	struct tcp_endpoints ep;
	struct tcp_opts o = { 0 };
	uint8_t opt[40] = { 0 };
	struct tcp_hdr_out h = { 0 };
	size_t hl, room;
	uint8_t *frame;

	switch (mode & 3) {
	case 0: seq = f->peer_nxt; break;
	case 1: seq = f->ack_known ? f->ack : f->peer_nxt; break;
	case 2: seq = f->ack_known ? f->edge : f->peer_nxt; break;
	default: seq = fz_u32(in); break;
	}
	seq += (uint32_t)(int32_t)dseq;
	switch ((mode >> 2) & 3) {
	case 0: ack = f->iss_known ? f->snd_max : 0; break;
	case 1: ack = f->peer_acked; break;
	case 2: ack = f->iss + 1; break;
	default: ack = fz_u32(in); break;
	}
	ack += (uint32_t)(int32_t)dack;

	optsel = fz_u8(in);
	if (optsel & 0x80) {
		/* Raw option bytes. */
		h.optlen = (uint8_t)(((optsel & 0x0f) * 4) % 44);
		for (unsigned i = 0; i < h.optlen; i++)
			opt[i] = fz_u8(in);
	} else {
		if (optsel & 0x01) {
			o.present |= TCP_OPT_MSS;
			o.mss = fz_u16(in);
		}
		if (optsel & 0x02) {
			o.present |= TCP_OPT_WSCALE;
			o.wscale = fz_u8(in);
		}
		if (optsel & 0x04)
			o.present |= TCP_OPT_SACK_PERM;
		if (optsel & 0x08) {
			uint8_t tsmode = fz_u8(in);

			o.present |= TCP_OPT_TS;
			f->peer_ts += 1 + (tsmode & 0x0f);
			o.ts_val = tsmode & 0x40 ? fz_u32(in) : tsmode & 0x20 ? f->peer_ts - fz_u16(in) : f->peer_ts;
			o.ts_ecr = tsmode & 0x80 ? fz_u32(in) : f->ts_known ? f->ts : 0;
		}
		if (optsel & 0x30) {
			/* SACK blocks of the stack's data, from the ACK on. */
			o.present |= TCP_OPT_SACK;
			o.nsack = (optsel >> 4) & 3;
			for (unsigned i = 0; i < o.nsack; i++) {
				o.sack[i].start = ack + fz_u16(in);
				o.sack[i].end = o.sack[i].start + fz_u16(in);
			}
		}
		h.optlen = (uint8_t)tcp_opt_write(opt, sizeof(opt), &o);
	}
	plen = fz_u16(in);
	if (mode & 0x10)
		plen = 0;

	frame = fz_rx_slot();
	if (!frame)
		return;
	fz_peer_ep(f, &ep);
	hl = tcp_ip_header_len(ep.family, h.optlen);
	room = fz.io.mtu + 14u - hl;
	if (plen > room)
		plen = (uint16_t)(plen % (room + 1));
	for (uint32_t i = 0; i < plen; i++)
		frame[hl + i] = fz_peer_byte(seq + i);
	h.ep = &ep;
	h.src_mac = fz_peer_mac;
	h.dst_mac = fz_stack_mac;
	h.seq = seq;
	h.ack = ack;
	h.wnd = wnd;
	h.flags = flags;
	h.opt = opt;
	fz.rxlen[fz.nrx++] = tcp_ip_build(frame, &h, plen);

	/* The peer's own bookkeeping: its sequence space moves past what it sent in order; a SYN
	 * where the stack has no connection opens a new one. */
	seqlen = plen + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
	if ((flags & TCP_SYN) && !fz_conn_of_flow(f))
		fz_flow_new_incarnation(f);
	if (flags & TCP_SYN)
		f->peer_nxt = seq + seqlen;
	else if (seq_leq(seq, f->peer_nxt) && seq_gt(seq + seqlen, f->peer_nxt))
		f->peer_nxt = seq + seqlen;
	if (flags & TCP_ACK)
		f->peer_acked = ack;
}

/* The first 8 bytes of the TCP header an ICMP error quotes: our port, the peer's, the sequence number. */
static void fz_quote_tcp(uint8_t *q, const struct fz_flow *f, uint32_t qseq)
{
	q[0] = (uint8_t)(f->lport >> 8);
	q[1] = (uint8_t)f->lport;
	q[2] = (uint8_t)(f->rport >> 8);
	q[3] = (uint8_t)f->rport;
	q[4] = (uint8_t)(qseq >> 24);
	q[5] = (uint8_t)(qseq >> 16);
	q[6] = (uint8_t)(qseq >> 8);
	q[7] = (uint8_t)qseq;
}

/* An ICMP error from a router on the path, quoting a segment of the stack's on flow f. */
static void fz_op_icmp(struct fz_in *in)
{
	struct fz_flow *f = fz_pick_flow(in);
	uint8_t kind = fz_u8(in);
	uint16_t mtu = fz_u16(in);
	int16_t dseq = (int16_t)fz_u16(in);
	uint32_t qseq = (f->iss_known ? f->snd_max : 0) + (uint32_t)(int32_t)dseq;
	uint8_t *fr = fz_rx_slot(), *ip, *icmp, *q;
	uint16_t c;
	size_t iplen;

	if (!fr)
		return;
	memcpy(fr, fz_stack_mac, 6);
	memcpy(fr + 6, fz_peer_mac, 6);
	ip = fr + 14;
	if (!f->v6) {
		static const uint8_t router[4] = { 10, 0, 0, 254 };

		fr[12] = 0x08;
		iplen = 20 + 8 + 20 + 8;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(iplen >> 8);
		ip[3] = (uint8_t)iplen;
		ip[8] = 64;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, router, 4);
		memcpy(ip + 16, fz_addr[0][0], 4);
		icmp = ip + 20;
		icmp[0] = kind & 0x80 ? 11 : 3;
		icmp[1] = kind & 0x0f;
		icmp[6] = (uint8_t)(mtu >> 8);
		icmp[7] = (uint8_t)mtu;
		q = icmp + 8;
		q[0] = 0x45;
		q[2] = 0x05; /* total length 1500 */
		q[3] = 0xdc;
		q[6] = 0x40;
		q[8] = 64;
		q[9] = IPPROTO_TCP;
		memcpy(q + 12, fz_addr[0][0], 4);
		memcpy(q + 16, fz_addr[0][1], 4);
		c = (uint16_t)~ms_csum_fold(ms_csum_add(q, 20, 0));
		memcpy(q + 10, &c, 2);
		q += 20;
		fz_quote_tcp(q, f, qseq);
		c = (uint16_t)~ms_csum_fold(ms_csum_add(icmp, 8 + 28, 0));
		memcpy(icmp + 2, &c, 2);
		c = (uint16_t)~ms_csum_fold(ms_csum_add(ip, 20, 0));
		memcpy(ip + 10, &c, 2);
		fz.rxlen[fz.nrx++] = (uint32_t)(14 + iplen);
	} else {
		static const uint8_t router[16] = { 0xfd, [15] = 0xfe };
		uint8_t pseudo[8] = { 0, 0, 0, 8 + 48, 0, 0, 0, IPPROTO_ICMPV6 };

		fr[12] = 0x86;
		fr[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 8 + 48;
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = 64;
		memcpy(ip + 8, router, 16);
		memcpy(ip + 24, fz_addr[1][0], 16);
		icmp = ip + 40;
		icmp[0] = (uint8_t)(1 + (kind >> 6) % 3); /* unreachable, too big, time exceeded */
		icmp[1] = kind & 0x07;
		icmp[6] = (uint8_t)(mtu >> 8);
		icmp[7] = (uint8_t)mtu;
		q = icmp + 8;
		q[0] = 0x60;
		q[5] = 20;
		q[6] = IPPROTO_TCP;
		q[7] = 64;
		memcpy(q + 8, fz_addr[1][0], 16);
		memcpy(q + 24, fz_addr[1][1], 16);
		q += 40;
		fz_quote_tcp(q, f, qseq);
		c = (uint16_t)~ms_csum_fold(
		    ms_csum_add(icmp, 8 + 48, ms_csum_add(pseudo, 8, ms_csum_add(ip + 8, 32, 0))));
		memcpy(icmp + 2, &c, 2);
		fz.rxlen[fz.nrx++] = 14 + 40 + 8 + 48;
	}
}

/*
 * The application.
 */

static struct fz_handle *fz_handle_find(int h)
{
	for (unsigned i = 0; i < fz.nhd; i++)
		if (fz.hd[i].h == h)
			return &fz.hd[i];
	return NULL;
}

static struct fz_handle *fz_handle_add(int h, int listener)
{
	struct fz_handle *e;

	FZ_ASSERT(h >= 0);
	FZ_ASSERT(!fz_handle_find(h)); /* a handle the application holds is never given out again */
	FZ_ASSERT(fz.nhd < FZ_HANDLES);
	e = &fz.hd[fz.nhd++];
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->listener = (uint8_t)listener;
	return e;
}

static void fz_handle_forget(int h)
{
	struct fz_handle *e = fz_handle_find(h);

	if (e)
		*e = fz.hd[--fz.nhd];
}

/* A handle to call with: mostly one the application holds, sometimes any number. */
static int fz_pick_handle(struct fz_in *in)
{
	uint8_t b = fz_u8(in);

	if (b >= 0xf0 || !fz.nhd)
		return (int)(b & 0x0f) - 2;
	return fz.hd[b % fz.nhd].h;
}

static struct fz_flow *fz_flow_of_conn(const struct tcp_conn *c)
{
	return fz_flow_find(c->ep.family == AF_INET6, c->ep.lport, c->ep.rport);
}

static void fz_op_listen(struct fz_in *in)
{
	uint8_t b = fz_u8(in);
	struct ms_tcp_addr a = { .family = b & 1 ? AF_INET6 : AF_INET, .port = (uint16_t)(80 + ((b >> 1) & 3)) };
	int h;

	if (b & 0x08)
		memcpy(a.addr, fz_addr[b & 1][0], 16);
	h = ms_tcp_listen(fz.st, &a, (int)(int8_t)fz_u8(in), NULL);
	if (h >= 0)
		fz_handle_add(h, 1);
	else
		FZ_ASSERT(h == -EADDRINUSE || h == -ENOSPC);
}

static void fz_op_connect(struct fz_in *in)
{
	uint8_t b = fz_u8(in);
	int v6 = b & 1;
	struct ms_tcp_addr local = { .family = v6 ? AF_INET6 : AF_INET, .port = b & 2 ? 2000 : 0 };
	struct ms_tcp_addr remote = { .family = local.family, .port = (uint16_t)(FZ_PORT_BASE + ((b >> 2) & 7)) };
	struct tcp_conn *c;
	int h;

	memcpy(local.addr, fz_addr[v6][0], 16);
	memcpy(remote.addr, fz_addr[v6][1], 16);
	h = ms_tcp_connect(fz.st, &local, &remote, NULL);
	if (h < 0) {
		FZ_ASSERT(h == -EADDRINUSE || h == -ENOSPC);
		return;
	}
	fz_handle_add(h, 0);
	c = tcp_handle_get(&fz.st->tab, h);
	FZ_ASSERT(c && c->state == MS_TCP_SYN_SENT);
	fz_flow_new_incarnation(fz_flow_add(v6, c->ep.lport, c->ep.rport, (b >> 2) & 7));
}

static void fz_op_accept(struct fz_in *in)
{
	int l = fz_pick_handle(in), h;
	struct ms_tcp_addr peer;
	struct tcp_conn *c;

	h = ms_tcp_accept(fz.st, l, &peer, NULL);
	if (h < 0) {
		FZ_ASSERT(h == -EAGAIN || h == -EINVAL || h == -ENOSPC);
		return;
	}
	fz_handle_add(h, 0);
	c = tcp_handle_get(&fz.st->tab, h);
	FZ_ASSERT(c && c->state != MS_TCP_LISTEN && c->state != MS_TCP_SYN_SENT && c->state != MS_TCP_SYN_RECEIVED);
	FZ_ASSERT(peer.port == c->ep.rport && peer.family == c->ep.family);
}

static void fz_op_send(struct fz_in *in)
{
	static uint8_t buf[70000];
	int h = fz_pick_handle(in);
	uint32_t len = fz_u16(in) + ((uint32_t)fz_u8(in) & 1) * 4096;
	struct tcp_conn *c = tcp_handle_get(&fz.st->tab, h);
	struct fz_flow *f = c && c->state != MS_TCP_LISTEN ? fz_flow_of_conn(c) : NULL;
	uint64_t base = f ? f->app_sent : 0;
	ssize_t n;

	for (uint32_t i = 0; i < len; i++)
		buf[i] = fz_app_byte(base + i);
	n = ms_tcp_send(fz.st, h, buf, len);
	if (n < 0) {
		FZ_ASSERT(n == -EAGAIN || n == -ENOBUFS || n == -EPIPE || n == -ENOTCONN || n == -EINVAL ||
			  n == -ECONNRESET || n == -ECONNABORTED || n == -ETIMEDOUT || n == -ECONNREFUSED ||
			  n == -EHOSTUNREACH || n == -ENETUNREACH);
		return;
	}
	FZ_ASSERT((size_t)n <= len);
	FZ_ASSERT(n == 0 || c);
	if (n && f)
		f->app_sent += (uint64_t)n;
}

static void fz_op_recv(struct fz_in *in)
{
	static uint8_t buf[70000];
	int h = fz_pick_handle(in);
	uint32_t len = fz_u16(in);
	struct fz_handle *e = fz_handle_find(h);
	struct tcp_conn *c = tcp_handle_get(&fz.st->tab, h);
	ssize_t n;

	if (e && !e->listener && c && !e->irs_known && c->state != MS_TCP_SYN_SENT) {
		e->irs = c->irs;
		e->irs_known = 1;
	}
	n = ms_tcp_recv(fz.st, h, buf, len);
	if (n < 0) {
		FZ_ASSERT(n == -EAGAIN || n == -EINVAL || n == -ECONNRESET || n == -ECONNABORTED || n == -ETIMEDOUT ||
			  n == -ECONNREFUSED || n == -EHOSTUNREACH || n == -ENETUNREACH);
		/* An error recv reports is the connection's pending error. */
		if (n != -EAGAIN && n != -EINVAL)
			FZ_ASSERT(ms_tcp_error(fz.st, h) == n);
		return;
	}
	FZ_ASSERT((size_t)n <= len);
	if (!e || e->listener)
		return;
	if (n == 0) {
		if (len)
			e->eof = 1;
		return;
	}
	/* Nothing after the end of the stream; the bytes the peer sent, in order. */
	FZ_ASSERT(!e->eof);
	FZ_ASSERT(e->irs_known);
	for (ssize_t i = 0; i < n; i++)
		FZ_ASSERT(buf[i] == fz_peer_byte(e->irs + 1 + (uint32_t)(e->received + (uint64_t)i)));
	e->received += (uint64_t)n;
}

static void fz_op_close(struct fz_in *in, int reset)
{
	int h = fz_pick_handle(in);
	int r = reset ? ms_tcp_abort(fz.st, h) : ms_tcp_close(fz.st, h);

	if (r == 0) {
		FZ_ASSERT(fz_handle_find(h));
		FZ_ASSERT(!tcp_handle_get(&fz.st->tab, h));
		fz_handle_forget(h);
	} else {
		FZ_ASSERT(r == -EINVAL && !fz_handle_find(h));
	}
}

static void fz_op_shutdown(struct fz_in *in)
{
	int h = fz_pick_handle(in);
	uint8_t b = fz_u8(in);
	int r = ms_tcp_shutdown(fz.st, h, b & 0x80 ? SHUT_RD : SHUT_WR);

	FZ_ASSERT(r == 0 || r == -EINVAL || r == -ENOTCONN);
}

static void fz_op_setopt(struct fz_in *in)
{
	int h = fz_pick_handle(in);
	uint8_t b = fz_u8(in);
	uint32_t v = b & 0x80 ? fz_u32(in) : fz_u8(in);
	int r = ms_tcp_setopt(fz.st, h, (enum ms_tcp_opt)(b & 3), v);

	FZ_ASSERT(r == 0 || r == -EINVAL);
}

/*
 * The invariants.
 */

static int fz_synchronized(int state)
{
	return state >= MS_TCP_ESTABLISHED && state <= MS_TCP_TIME_WAIT;
}

/* One connection (not a listener) that the stack still holds. */
static void fz_check_conn(struct tcp_conn *c)
{
	struct ms_tcp_info info;
	uint32_t cap = c->rcv.buf ? c->rcv.cap : c->rcv_wnd_max, used = c->rcv_nxt - c->rd_seq;
	uint32_t data = used - ((c->flags & TCP_CF_RCV_FIN) && used ? 1 : 0);

	FZ_ASSERT(c->state <= MS_TCP_TIME_WAIT && c->state != MS_TCP_LISTEN);
	/* Buffers within their limits, and charged to the stack's memory. */
	FZ_ASSERT(c->snd.buf ? c->snd.len <= c->snd.cap && c->snd.cap == fz.st->cfg.sndbuf : c->snd.len == 0);
	FZ_ASSERT(!c->rcv.buf || c->rcv.cap == fz.st->cfg.rcvbuf);
	FZ_ASSERT(data <= cap);
	FZ_ASSERT(c->rcv.buf || data == 0);
	if (c->state == MS_TCP_CLOSED)
		return;
	/* RFC 9293 3.3.1: SND.UNA <= SND.NXT <= SND.MAX, and nothing sent beyond the data (and FIN) queued. */
	FZ_ASSERT(seq_leq(c->snd_una, c->snd_nxt));
	FZ_ASSERT(seq_leq(c->snd_nxt, c->snd_max));
	if (c->state != MS_TCP_SYN_SENT && c->state != MS_TCP_SYN_RECEIVED)
		FZ_ASSERT(seq_leq(c->snd_max, tcp_snd_data_seq(c) + c->snd.len + !!(c->flags & TCP_CF_FIN_QUEUED)));
	/* The out-of-order queue: sorted, disjoint, above RCV.NXT, inside the buffer. */
	if (c->rx) {
		const struct tcp_reass *q = &c->rx->reass;

		FZ_ASSERT(q->n <= q->max && q->max <= TCP_REASS_RANGES_MAX);
		for (uint32_t i = 0; i < q->n; i++) {
			FZ_ASSERT(seq_lt(q->r[i].start, q->r[i].end));
			FZ_ASSERT(seq_gt(q->r[i].start, c->rcv_nxt));
			FZ_ASSERT(q->r[i].end - c->rd_seq <= cap);
			if (i + 1 < q->n)
				FZ_ASSERT(seq_lt(q->r[i].end, q->r[i + 1].start));
		}
	}
	/* What ms_tcp_info says, when the application can ask. */
	if (c->handle >= 0) {
		FZ_ASSERT(ms_tcp_info(fz.st, c->handle, &info) == 0);
		FZ_ASSERT(info.state == c->state);
		/* RFC 6691: the payload of a full segment is what the peer allows less the timestamps. */
		FZ_ASSERT(c->peer_mss >= 64 && c->peer_mss <= c->rcv_mss);
		if (fz_synchronized(c->state))
			FZ_ASSERT(info.mss == c->peer_mss - (info.ts ? 12u : 0u));
		FZ_ASSERT(info.rto_ms >= TCP_RTO_MIN_MS && info.rto_ms <= TCP_RTO_MAX_MS);
		FZ_ASSERT(info.wscale_snd == 0xff ? info.wscale_rcv == 0xff
						  : info.wscale_snd <= 14 && info.wscale_rcv <= 14);
		FZ_ASSERT(info.sack <= 1 && info.ts <= 1);
		FZ_ASSERT(info.bytes_acked <= info.bytes_sent);
		if (fz_synchronized(info.state)) {
			FZ_ASSERT(info.cwnd > 0);
			FZ_ASSERT(info.ssthresh >= 2 * info.mss || info.ssthresh >= info.cwnd);
		}
	}
	if (c->state == MS_TCP_TIME_WAIT)
		FZ_ASSERT(c->tw_at != 0);
}

static int fz_is_listener(const struct tcp_conn *c)
{
	for (uint32_t i = 0; i < fz.st->tab.nlisteners; i++)
		if (fz.st->tab.listener[i] == c)
			return 1;
	return 0;
}

/*
 * The whole stack after a poll: every connection it counts is reachable (by
 * handle or by 4-tuple), nothing is counted twice or leaked, the memory
 * charged is the buffers held, the wheel holds one entry per connection with
 * a timer, listeners' queues agree with their counters, and the handles
 * are exactly the ones the application holds.
 */
static void fz_check_stack(void)
{
	struct ms_tcp_stack *st = fz.st;
	uint32_t count = 0, armed = 0;
	uint64_t mem = 0;

	/* After a poll only connections that met a full tx ring wait for output; those neither hashed nor
	 * held by a handle are closed ones, freed at the next poll. */
	FZ_ASSERT(!st->ev_head && !st->reap_head);
	for (struct tcp_conn *c = st->out_head; c; c = c->out_next) {
		FZ_ASSERT(c->out_queued && !c->reaped);
		if (c->handle >= 0 || tcp_conn_lookup(&st->tab, &c->ep) == c)
			continue;
		FZ_ASSERT(c->state == MS_TCP_CLOSED);
		count++;
		armed += tcp_timer_armed(&c->timer);
		mem += (c->snd.buf ? c->snd.cap : 0) + (c->rcv.buf ? c->rcv.cap : 0);
	}
	FZ_ASSERT(st->tab.count <= st->tab.max);
	FZ_ASSERT(st->mem.used <= st->mem.max);
	for (uint32_t h = 0; h < st->tab.max; h++) {
		struct tcp_conn *c = st->tab.handle[h];

		if (!c)
			continue;
		FZ_ASSERT(c->handle == (int)h);
		FZ_ASSERT(fz_handle_find((int)h));
		FZ_ASSERT(!c->reaped);
		count++;
		armed += tcp_timer_armed(&c->timer);
		mem += (c->snd.buf ? c->snd.cap : 0) + (c->rcv.buf ? c->rcv.cap : 0);
		if (c->state == MS_TCP_LISTEN) {
			uint32_t nacc = 0, nsyn = 0;

			FZ_ASSERT(fz_is_listener(c));
			for (struct tcp_conn *a = c->acc_head; a; a = a->acc_next) {
				FZ_ASSERT(a->listener == c && a->handle < 0);
				FZ_ASSERT(tcp_conn_lookup(&st->tab, &a->ep) == a);
				if (!a->acc_next)
					FZ_ASSERT(c->acc_tail == a);
				nacc++;
			}
			FZ_ASSERT(nacc == c->nacc);
			FZ_ASSERT(!c->acc_head == !c->acc_tail);
			for (uint32_t b = 0; b < st->tab.nbuckets; b++)
				for (struct tcp_conn *e = st->tab.bucket[b]; e; e = e->hash_next)
					nsyn += e->listener == c && e->state == MS_TCP_SYN_RECEIVED;
			FZ_ASSERT(nsyn == c->nsyn);
			FZ_ASSERT(c->nsyn <= st->cfg.syn_backlog);
		} else {
			fz_check_conn(c);
		}
	}
	for (unsigned i = 0; i < fz.nhd; i++)
		FZ_ASSERT(st->tab.handle[fz.hd[i].h]);
	for (uint32_t b = 0; b < st->tab.nbuckets; b++)
		for (struct tcp_conn *c = st->tab.bucket[b]; c; c = c->hash_next) {
			/* Hashed: alive, the only one of its 4-tuple. */
			FZ_ASSERT(c->state != MS_TCP_CLOSED && c->state != MS_TCP_LISTEN);
			FZ_ASSERT(tcp_conn_lookup(&st->tab, &c->ep) == c);
			FZ_ASSERT(!c->listener || fz_is_listener(c->listener));
			if (c->handle >= 0)
				continue;
			count++;
			armed += tcp_timer_armed(&c->timer);
			mem += (c->snd.buf ? c->snd.cap : 0) + (c->rcv.buf ? c->rcv.cap : 0);
			fz_check_conn(c);
			/* Without a handle nothing will ever close it: a timer must. */
			FZ_ASSERT(c->listener || tcp_timer_armed(&c->timer) || c->out_queued);
		}
	FZ_ASSERT(count == st->tab.count);
	FZ_ASSERT(armed == st->wheel.near + st->wheel.nfar);
	FZ_ASSERT(mem == st->mem.used);
	/* The counters agree with the backend. */
	FZ_ASSERT(st->stats.rx_frames == fz.delivered);
	FZ_ASSERT(st->stats.tx_frames == fz.transmitted);
	/* Waiting: no sleep while output waits for the ring; else as long as the next timer. */
	FZ_ASSERT(ms_tcp_timeout(st) >= -1);
	FZ_ASSERT((ms_tcp_timeout(st) == 0) >= !!st->out_head);
	FZ_ASSERT(ms_tcp_wait_prepare(st) == !!st->out_head);
}

/* A connection's deadline for the trace: ms from now, -1 for none. */
static long long fz_rel_ms(uint64_t at)
{
	return at ? (long long)at - (long long)(fz.now_us / 1000) : -1;
}

/* The trace of one step: the operation, then each handle's connection. */
static void fz_trace_step(const char *what)
{
	if (!fz_trace)
		return;
	fprintf(stderr, "%-8s now %llu ms:", what, (unsigned long long)(fz.now_us / 1000));
	for (unsigned i = 0; i < fz.nhd; i++) {
		struct tcp_conn *c = tcp_handle_get(&fz.st->tab, fz.hd[i].h);

		if (c)
			fprintf(stderr, " [%d %s una %u nxt %u max %u rcv %u snd.len %u]", fz.hd[i].h,
				ms_tcp_state_name(c->state), c->snd_una - c->iss, c->snd_nxt - c->iss,
				c->snd_max - c->iss, c->rcv_nxt - c->irs, c->snd.len);
	}
	for (uint32_t b = 0; b < fz.st->tab.nbuckets; b++)
		for (struct tcp_conn *c = fz.st->tab.bucket[b]; c; c = c->hash_next)
			if (c->handle < 0)
				fprintf(stderr,
					" [- %s una %u nxt %u max %u rcv %u snd.len %u wnd %u flags %#x timer %d"
					" (rto %lld persist %lld dack %lld ka %lld tw %lld)]",
					ms_tcp_state_name(c->state), c->snd_una - c->iss, c->snd_nxt - c->iss,
					c->snd_max - c->iss, c->rcv_nxt - c->irs, c->snd.len, c->snd_wnd, c->flags,
					tcp_timer_armed(&c->timer), fz_rel_ms(c->rto_at), fz_rel_ms(c->persist_at),
					fz_rel_ms(c->dack_at), fz_rel_ms(c->ka_at), fz_rel_ms(c->tw_at));
	fprintf(stderr, "\n");
}

static void fz_poll(void)
{
	struct ms_tcp_event ev[FZ_HANDLES];
	int n = ms_tcp_poll(fz.st, ev, FZ_HANDLES);

	FZ_ASSERT(n >= 0 && n <= FZ_HANDLES);
	for (int i = 0; i < n; i++) {
		struct fz_handle *e = fz_handle_find(ev[i].handle);

		FZ_ASSERT(e);
		FZ_ASSERT(ev[i].events && !(ev[i].events & ~0x1fu));
		FZ_ASSERT(!(ev[i].events & MS_TCP_EV_ACCEPT) || e->listener);
		/* An error is there to read; closed means nothing more comes. */
		if (ev[i].events & MS_TCP_EV_ERROR)
			FZ_ASSERT(ms_tcp_error(fz.st, ev[i].handle) < 0);
		if (ev[i].events & MS_TCP_EV_CLOSED) {
			struct tcp_conn *c = tcp_handle_get(&fz.st->tab, ev[i].handle);

			FZ_ASSERT(c && (c->state == MS_TCP_CLOSED || c->state == MS_TCP_TIME_WAIT));
		}
		for (int j = 0; j < i; j++)
			FZ_ASSERT(ev[j].handle != ev[i].handle);
	}
	fz_check_stack();
}

/* Virtual time: a few ms, to the next timer, or seconds at once. */
static void fz_op_advance(struct fz_in *in)
{
	uint8_t b = fz_u8(in);
	int t;

	switch (b >> 6) {
	case 0: fz.now_us += (uint64_t)(b & 0x3f) * 1000 + fz_u8(in); break;
	case 1:
		t = ms_tcp_timeout(fz.st);
		fz.now_us += t > 0 ? (uint64_t)t * 1000 : 1000;
		break;
	case 2: fz.now_us += (uint64_t)(b & 0x3f) * 1000000; break;
	default: fz.now_us += (uint64_t)(b & 0x3f) * 60000000; break;
	}
	fz_poll();
}

enum fz_op {
	FZ_OP_SEGMENT,
	FZ_OP_SEGMENT_POLL,
	FZ_OP_POLL,
	FZ_OP_ADVANCE,
	FZ_OP_LISTEN,
	FZ_OP_CONNECT,
	FZ_OP_ACCEPT,
	FZ_OP_SEND,
	FZ_OP_RECV,
	FZ_OP_SHUTDOWN,
	FZ_OP_CLOSE,
	FZ_OP_ABORT,
	FZ_OP_SETOPT,
	FZ_OP_ICMP,
	FZ_OP_FLOW,
	FZ_OP_TX_RING,
	FZ_OP_COUNT
};

static void fz_setup(struct fz_in *in)
{
	static const uint32_t bufs[4] = { 2048, 8192, 65536, 262144 };
	static const uint64_t mems[4] = { 8192, 65536, 1u << 20, 0 };
	static const uint32_t mtus[4] = { 1500, 1280, 576, 1500 };
	uint8_t cfgb[FZ_CFG_BYTES];
	struct ms_tcp_config cfg = { 0 };

	for (int i = 0; i < FZ_CFG_BYTES; i++)
		cfgb[i] = fz_u8(in);
	cfg.max_conns = 2 + (cfgb[0] & 15);
	cfg.sndbuf = bufs[cfgb[1] & 3];
	cfg.rcvbuf = bufs[(cfgb[1] >> 2) & 3];
	cfg.mem_max = mems[(cfgb[1] >> 4) & 3];
	cfg.syn_backlog = 1 + (cfgb[2] & 7);
	cfg.reass_max = 1 + (cfgb[2] >> 3);
	cfg.time_wait_ms = cfgb[3] & 1 ? 60000 : 1000 + cfgb[3] * 10u;
	cfg.cc = cfgb[4] & 1 ? "cubic" : "newreno";
	cfg.flags = (cfgb[4] >> 1) & 7;

	memset(&fz, 0, sizeof(fz));
	fz.now_us = 1000000 + (uint64_t)cfgb[5] * 1000003u;
	fz.tx_budget = UINT_MAX;
	fz.io.ops = &fz_ops;
	memcpy(fz.io.mac, fz_stack_mac, 6);
	fz.io.mtu = mtus[cfgb[6] & 3];
	fz.io.resolve = fz_resolve;
	FZ_ASSERT(tcp_stack_new_io(&fz.io, NULL, 0, &cfg, &fz.st) == 0);
	/* The same input, the same run: a fixed secret (ISNs, cookies, the hash key). */
	fz.st->secret.k0 = 0x0706050403020100ull;
	fz.st->secret.k1 = 0x0f0e0d0c0b0a0908ull ^ cfgb[7];
	fz.st->tab.key = fz.st->secret.k0 ^ fz.st->secret.k1;
	fz_flow_add(0, 80, FZ_PORT_BASE, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[FZ_OP_COUNT] = { "segment", "seg+poll", "poll", "advance",  "listen", "connect",
							"accept",  "send",     "recv", "shutdown", "close",  "abort",
							"setopt",  "icmp",     "flow", "txring" };
	struct fz_in in = { data, size };

	if (fz_trace < 0)
		fz_trace = getenv("MSTACK_FUZZ_TRACE") != NULL;
	fz_setup(&in);
	for (int op = 0; op < FZ_MAX_OPS && in.left; op++) {
		uint8_t b = fz_u8(&in);

		switch ((enum fz_op)(b % FZ_OP_COUNT)) {
		case FZ_OP_SEGMENT: fz_op_segment(&in); break;
		case FZ_OP_SEGMENT_POLL:
			fz_op_segment(&in);
			fz_poll();
			break;
		case FZ_OP_POLL: fz_poll(); break;
		case FZ_OP_ADVANCE: fz_op_advance(&in); break;
		case FZ_OP_LISTEN: fz_op_listen(&in); break;
		case FZ_OP_CONNECT: fz_op_connect(&in); break;
		case FZ_OP_ACCEPT: fz_op_accept(&in); break;
		case FZ_OP_SEND: fz_op_send(&in); break;
		case FZ_OP_RECV: fz_op_recv(&in); break;
		case FZ_OP_SHUTDOWN: fz_op_shutdown(&in); break;
		case FZ_OP_CLOSE: fz_op_close(&in, 0); break;
		case FZ_OP_ABORT: fz_op_close(&in, 1); break;
		case FZ_OP_SETOPT: fz_op_setopt(&in); break;
		case FZ_OP_ICMP: fz_op_icmp(&in); break;
		case FZ_OP_FLOW: {
			uint8_t f = fz_u8(&in);

			/* Flow slot i holds the peer's port FZ_PORT_BASE + i (the last one added). */
			fz_flow_add(f & 1, (uint16_t)(80 + ((f >> 1) & 3)), (uint16_t)(FZ_PORT_BASE + ((f >> 3) & 7)),
				    (f >> 3) & 7);
			break;
		}
		case FZ_OP_TX_RING: {
			uint8_t t = fz_u8(&in);

			fz.tx_budget = t & 0x80 ? UINT_MAX : t & 7;
			break;
		}
		default: break;
		}
		fz_trace_step(names[b % FZ_OP_COUNT]);
	}
	/* Wind down: the stack frees everything it holds. */
	fz.tx_budget = UINT_MAX;
	fz_poll();
	ms_tcp_stack_free(fz.st);
	fz.st = NULL;
	return 0;
}
