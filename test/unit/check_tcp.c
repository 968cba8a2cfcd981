/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp.c - libmstack-tcp end to end on a simulated link: byte streams, RFC 9293 states, recovery, timers, limits.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mstack/ms_csum.h>

#include "tcp_ip.h"
#include "tcp_opt.h"
#include "tcp_seq.h"
#include "tcp_simlink.h"
#include "tcp_stack.h"
#include "check_main.h"

/* Two stacks on one link: side 0 at 10.0.0.1 (the client), side 1 at 10.0.0.2 (the server). */
#define MAXH 64

struct pair {
	struct simlink *l;
	struct ms_tcp_stack *st[2];
	uint32_t ev[2][MAXH]; /* events seen per handle, accumulated until the test clears them */
};

static struct ms_tcp_addr addr_of(int side, uint16_t port)
{
	struct ms_tcp_addr a = { .family = AF_INET, .port = port, .addr = { 10, 0, 0, (uint8_t)(side + 1) } };

	return a;
}

static void pair_init(struct pair *p, const struct simlink_cfg *lc, const struct ms_tcp_config *c0,
		      const struct ms_tcp_config *c1)
{
	memset(p, 0, sizeof(*p));
	p->l = simlink_new(lc);
	ck_assert_ptr_nonnull(p->l);
	ck_assert_int_eq(tcp_stack_new_io(simlink_io(p->l, 0), NULL, 0, c0, &p->st[0]), 0);
	ck_assert_int_eq(tcp_stack_new_io(simlink_io(p->l, 1), NULL, 0, c1 ? c1 : c0, &p->st[1]), 0);
}

static void pair_fini(struct pair *p)
{
	ms_tcp_stack_free(p->st[0]);
	ms_tcp_stack_free(p->st[1]);
	simlink_free(p->l);
}

/* Poll both stacks once, collecting their events. */
static void pair_poll(struct pair *p)
{
	struct ms_tcp_event ev[32];
	int n;

	for (int s = 0; s < 2; s++) {
		do {
			n = ms_tcp_poll(p->st[s], ev, 32);
			ck_assert_int_ge(n, 0);
			for (int i = 0; i < n; i++)
				if (ev[i].handle >= 0 && ev[i].handle < MAXH)
					p->ev[s][ev[i].handle] |= ev[i].events;
		} while (n == 32);
	}
}

/* Move virtual time to the next thing that happens (a frame arrives or a timer fires), at most to limit. */
static void pair_advance(struct pair *p, uint64_t limit)
{
	uint64_t now = simlink_now(p->l), next = simlink_next_arrival(p->l);

	for (int s = 0; s < 2; s++) {
		int t = ms_tcp_timeout(p->st[s]);

		if (t >= 0 && now + (uint64_t)t * 1000 < next)
			next = now + (uint64_t)t * 1000;
	}
	if (next == UINT64_MAX)
		next = now + 1000000;
	if (next <= now)
		next = now + 100;
	if (next > limit)
		next = limit;
	simlink_set_now(p->l, next);
}

static void pair_step_to(struct pair *p, uint64_t limit)
{
	pair_poll(p);
	pair_advance(p, limit);
}

static void pair_step(struct pair *p)
{
	pair_step_to(p, UINT64_MAX);
}

/* Step until virtual time has advanced by us. */
static void pair_run(struct pair *p, uint64_t us)
{
	uint64_t end = simlink_now(p->l) + us;

	while (simlink_now(p->l) < end)
		pair_step_to(p, end);
}

static int conn_state(struct pair *p, int s, int h)
{
	struct ms_tcp_info info;

	if (ms_tcp_info(p->st[s], h, &info))
		return -1;
	return info.state;
}

/* Step until handle h of side s is in state, at most max_us. @return 1 if it got there. */
static int pair_until_state(struct pair *p, int s, int h, int state, uint64_t max_us)
{
	uint64_t end = simlink_now(p->l) + max_us;

	for (;;) {
		pair_poll(p);
		if (conn_state(p, s, h) == state)
			return 1;
		if (simlink_now(p->l) >= end)
			return 0;
		pair_advance(p, end);
	}
}

/* Listen on the server, connect from the client, accept. */
static void pair_connect(struct pair *p, int *lh, int *ch, int *sh)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	uint64_t end;

	*lh = ms_tcp_listen(p->st[1], &la, 16, NULL);
	ck_assert_int_ge(*lh, 0);
	*ch = ms_tcp_connect(p->st[0], &ca, &la, NULL);
	ck_assert_int_ge(*ch, 0);
	end = simlink_now(p->l) + 60000000;
	*sh = -EAGAIN;
	while (*sh == -EAGAIN && simlink_now(p->l) < end) {
		pair_step(p);
		*sh = ms_tcp_accept(p->st[1], *lh, NULL, NULL);
	}
	ck_assert_int_ge(*sh, 0);
	ck_assert(pair_until_state(p, 0, *ch, MS_TCP_ESTABLISHED, 60000000));
}

static struct tcp_conn *conn_of(struct pair *p, int s, int h)
{
	return tcp_handle_get(&p->st[s]->tab, h);
}

/* The byte at offset i of the stream in direction dir: not periodic at any segment size. */
static uint8_t pattern(uint64_t i, int dir)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)dir;

	return (uint8_t)(x >> 56 ^ x >> 23);
}

/* Both directions at once: each side sends total bytes then shuts down, and checks every byte it reads. */
struct stream {
	uint64_t sent, rcvd;
	int eof, shut;
};

static void bulk_transfer(struct pair *p, int h[2], uint64_t total, uint64_t max_us)
{
	struct stream s[2] = { 0 };
	static uint8_t buf[65536];
	uint64_t end = simlink_now(p->l) + max_us;

	while (!(s[0].eof && s[1].eof) && simlink_now(p->l) < end) {
		for (int k = 0; k < 2; k++) {
			ssize_t n;

			while (s[k].sent < total) {
				uint32_t chunk =
				    total - s[k].sent > sizeof(buf) ? sizeof(buf) : (uint32_t)(total - s[k].sent);

				for (uint32_t i = 0; i < chunk; i++)
					buf[i] = pattern(s[k].sent + i, k);
				n = ms_tcp_send(p->st[k], h[k], buf, chunk);
				if (n == -EAGAIN)
					break;
				ck_assert_int_gt(n, 0);
				s[k].sent += (uint64_t)n;
			}
			if (s[k].sent == total && !s[k].shut) {
				ck_assert_int_eq(ms_tcp_shutdown(p->st[k], h[k], SHUT_WR), 0);
				s[k].shut = 1;
			}
			while ((n = ms_tcp_recv(p->st[k], h[k], buf, sizeof(buf))) > 0) {
				for (ssize_t i = 0; i < n; i++)
					if (buf[i] != pattern(s[k].rcvd + (uint64_t)i, !k))
						ck_abort_msg("side %d: byte %llu differs", k,
							     (unsigned long long)(s[k].rcvd + (uint64_t)i));
				s[k].rcvd += (uint64_t)n;
			}
			if (n == 0)
				s[k].eof = 1;
			else
				ck_assert_int_eq(n, -EAGAIN);
		}
		pair_step(p);
	}
	ck_assert_uint_eq(s[0].rcvd, total);
	ck_assert_uint_eq(s[1].rcvd, total);
	ck_assert(s[0].eof && s[1].eof);
}

/* After both sides shut down and read EOF: one TIME_WAIT, then nothing left on either side. */
static void close_and_drain(struct pair *p, int h[2])
{
	ck_assert_int_eq(ms_tcp_close(p->st[0], h[0]), 0);
	ck_assert_int_eq(ms_tcp_close(p->st[1], h[1]), 0);
	pair_run(p, 2ull * 60 * 1000000 + 1000000);
	ck_assert_uint_le(p->st[0]->tab.count, 1); /* at most a listener */
	ck_assert_uint_le(p->st[1]->tab.count, 1);
	ck_assert_uint_eq(p->st[0]->mem.used, 0);
	ck_assert_uint_eq(p->st[1]->mem.used, 0);
}

/*
 * A tap on the link: parses every frame with the stack's own parser (tcp_ip.c), keeps a log of
 * what each side sent, and drops what the test asks: everything from a side, its pure ACKs, or
 * chosen first transmissions of its data segments (counted from 1).
 */
#define TAP_LOG 4096

struct tap_rec {
	uint64_t t_us;
	uint32_t seq, ack, len;
	uint8_t flags;
	uint16_t wnd;
	uint32_t ts_val;
};

struct tap {
	struct pair *p;
	int block[2];          /* drop every frame from this side */
	int block_pure_ack[2]; /* drop ACKs without data, SYN, FIN or RST */
	int block_rst[2];      /* drop resets */
	uint32_t drop_new[8];  /* drop these new data segments of side 0 (1 = the first) */
	unsigned ndrop;
	uint32_t new_segs, high_seq;
	int high_valid;
	unsigned nlog[2];
	struct tap_rec log[2][TAP_LOG];
};

static int tap_filter(void *ctx, int from, uint8_t *frame, uint32_t len)
{
	struct tap *t = ctx;
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	struct tap_rec *r;

	if (tcp_ip_parse(frame, len, &seg, &err) != TCP_IP_SEGMENT)
		return 0;
	if (t->nlog[from] < TAP_LOG) {
		r = &t->log[from][t->nlog[from]++];
		r->t_us = simlink_now(t->p->l);
		r->seq = seg.seq;
		r->ack = seg.ack;
		r->len = seg.len;
		r->flags = seg.flags;
		r->wnd = seg.wnd;
		r->ts_val = seg.opt.present & TCP_OPT_TS ? seg.opt.ts_val : 0;
	}
	if (t->block[from])
		return 1;
	if (t->block_pure_ack[from] && !seg.len && seg.flags == TCP_ACK)
		return 1;
	if (t->block_rst[from] && (seg.flags & TCP_RST))
		return 1;
	if (from == 0 && seg.len) {
		if (!t->high_valid || seq_geq(seg.seq, t->high_seq)) {
			t->high_valid = 1;
			t->high_seq = seg.seq + seg.len;
			t->new_segs++;
			for (unsigned i = 0; i < t->ndrop; i++)
				if (t->drop_new[i] == t->new_segs)
					return 1;
		}
	}
	return 0;
}

static void tap_init(struct tap *t, struct pair *p)
{
	memset(t, 0, sizeof(*t));
	t->p = p;
	simlink_set_filter(p->l, tap_filter, t);
}

/* Frames side sent since log index from that match: data (len > 0) or pure ACKs. */
static unsigned tap_count(const struct tap *t, int side, unsigned from, int data)
{
	unsigned n = 0;

	for (unsigned i = from; i < t->nlog[side]; i++) {
		const struct tap_rec *r = &t->log[side][i];

		if (data ? r->len > 0 : (!r->len && r->flags == TCP_ACK))
			n++;
	}
	return n;
}

/*
 * A hand-made segment to side to's connection c (which may have lost its
 * handle), as its peer would send it (built by tcp_ip.c and tcp_opt.c),
 * put on the wire after the link's delay.
 */
static void inject_conn(struct pair *p, int to, const struct tcp_conn *c, uint32_t seq, uint32_t ack, uint8_t flags,
			uint16_t wnd, const void *data, uint32_t len, const struct tcp_opts *o)
{
	struct tcp_endpoints ep = { 0 };
	struct tcp_hdr_out hd = { 0 };
	uint8_t frame[MS_BUF_SIZE], opt[40];
	size_t hl;

	ck_assert_ptr_nonnull(c);
	ep.family = c->ep.family;
	ep.lport = c->ep.rport;
	ep.rport = c->ep.lport;
	memcpy(ep.laddr, c->ep.raddr, 16);
	memcpy(ep.raddr, c->ep.laddr, 16);
	hd.optlen = o ? (uint8_t)tcp_opt_write(opt, sizeof(opt), o) : 0;
	hl = tcp_ip_header_len(ep.family, hd.optlen);
	if (len)
		memcpy(frame + hl, data, len);
	hd.ep = &ep;
	hd.src_mac = simlink_io(p->l, !to)->mac;
	hd.dst_mac = simlink_io(p->l, to)->mac;
	hd.seq = seq;
	hd.ack = ack;
	hd.wnd = wnd;
	hd.flags = flags;
	hd.opt = opt;
	simlink_inject(p->l, to, frame, tcp_ip_build(frame, &hd, len));
}

/* The same to side to's connection of handle h, with a window of 65535. */
static void inject(struct pair *p, int to, int h, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
		   uint32_t len, const struct tcp_opts *o)
{
	inject_conn(p, to, conn_of(p, to, h), seq, ack, flags, 65535, data, len, o);
}

/* The timestamp option side to's connection h expects next from its peer. */
static struct tcp_opts ts_opt(struct pair *p, int to, int h, int32_t delta)
{
	struct tcp_conn *c = conn_of(p, to, h);
	struct tcp_opts o = { .present = TCP_OPT_TS };

	o.ts_val = c->ts_recent + (uint32_t)delta;
	o.ts_ecr = tcp_ts_now(p->st[to], c);
	return o;
}

static const struct simlink_cfg clean_link = { .delay_us = 500, .seed = 1 };

/* ---- the timer wheel ---- */

static unsigned fired_count(struct tcp_timer *t)
{
	unsigned n = 0;

	for (; t; t = t->next)
		n++;
	return n;
}

START_TEST(test_wheel_fires_each_timer_at_its_millisecond)
{
	struct tcp_wheel w;
	struct tcp_timer a = { 0 }, b = { 0 }, c = { 0 }, *f;

	tcp_wheel_init(&w, 1000);
	ck_assert_int_eq(tcp_wheel_next(&w), -1);
	tcp_timer_arm(&w, &a, 1005);
	tcp_timer_arm(&w, &b, 1001);
	tcp_timer_arm(&w, &c, 1900);
	ck_assert_int_eq(tcp_wheel_next(&w), 1);
	f = tcp_wheel_expire(&w, 1004);
	ck_assert_ptr_eq(f, &b);
	ck_assert_uint_eq(fired_count(f), 1);
	ck_assert_int_eq(tcp_wheel_next(&w), 1);
	ck_assert_ptr_eq(tcp_wheel_expire(&w, 1005), &a);
	ck_assert_int_eq(tcp_wheel_next(&w), 895);
	/* Moving an armed timer, cancelling one. */
	tcp_timer_arm(&w, &c, 1010);
	ck_assert_int_eq(tcp_wheel_next(&w), 5);
	tcp_timer_cancel(&w, &c);
	ck_assert(!tcp_timer_armed(&c));
	ck_assert_int_eq(tcp_wheel_next(&w), -1);
	ck_assert_ptr_null(tcp_wheel_expire(&w, 5000));
}
END_TEST

START_TEST(test_wheel_keeps_far_timers_until_their_turn)
{
	struct tcp_wheel w;
	struct tcp_timer tw = { 0 }, rto = { 0 }, ka = { 0 };

	tcp_wheel_init(&w, 0);
	tcp_timer_arm(&w, &tw, 60000);
	tcp_timer_arm(&w, &rto, 3000);
	tcp_timer_arm(&w, &ka, 7200000);
	ck_assert_uint_eq(w.nfar, 3);
	ck_assert_int_eq(tcp_wheel_next(&w), 3000);
	ck_assert_ptr_null(tcp_wheel_expire(&w, 2999));
	ck_assert_ptr_eq(tcp_wheel_expire(&w, 3000), &rto);
	ck_assert_int_eq(tcp_wheel_next(&w), 57000);
	tcp_timer_cancel(&w, &ka);
	ck_assert_uint_eq(w.nfar, 1);
	/* A jump over many turns fires what is due and nothing else. */
	tcp_timer_arm(&w, &ka, 200000);
	ck_assert_ptr_eq(tcp_wheel_expire(&w, 100000), &tw);
	ck_assert_int_eq(tcp_wheel_next(&w), 100000);
	ck_assert_ptr_eq(tcp_wheel_expire(&w, 200000), &ka);
	ck_assert_uint_eq(w.near + w.nfar, 0);
}
END_TEST

/* Random deadlines and steps: every timer fires exactly once, in the step in which its deadline passed. */
START_TEST(test_wheel_random_deadlines_fire_once_on_time)
{
	enum { N = 2000 };
	static struct tcp_timer t[N];
	static uint64_t due[N], fired_at[N];
	struct tcp_wheel w;
	uint64_t x = 88172645463325252ull, now = 500, prev;
	unsigned left = N;

	memset(t, 0, sizeof(t));
	memset(fired_at, 0, sizeof(fired_at));
	tcp_wheel_init(&w, now);
	for (unsigned i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		due[i] = now + 1 + x % 300000;
		tcp_timer_arm(&w, &t[i], due[i]);
	}
	while (left) {
		int64_t next = tcp_wheel_next(&w);
		struct tcp_timer *f;

		ck_assert_int_gt(next, 0);
		prev = now;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Sometimes exactly to the next deadline, sometimes past several. */
		now += x % 3 ? (uint64_t)next : 1 + x % 5000;
		for (f = tcp_wheel_expire(&w, now); f; f = f->next) {
			unsigned i = (unsigned)(f - t);

			ck_assert_uint_eq(fired_at[i], 0);
			ck_assert_uint_le(due[i], now);
			ck_assert_uint_gt(due[i], prev);
			fired_at[i] = now;
			left--;
		}
	}
	ck_assert_int_eq(tcp_wheel_next(&w), -1);
}
END_TEST

/* ---- byte streams ---- */

START_TEST(test_several_megabytes_arrive_intact_both_ways_over_a_clean_link)
{
	struct pair p;
	int lh, h[2];

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 4u << 20, 120000000);
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->retransmits, 0);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

/* Loss, reordering, duplication and corruption from the seed _i. */
START_TEST(test_streams_survive_a_bad_link)
{
	struct simlink_cfg lc = { .delay_us = 1000,
				  .jitter_us = 1500,
				  .loss_ppm = 20000,
				  .dup_ppm = 10000,
				  .corrupt_ppm = 5000,
				  .seed = (uint64_t)_i + 7 };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 1u << 20, 1200000000);
	ck_assert_uint_gt(simlink_stats(p.l)->lost, 0);
	ck_assert_uint_gt(simlink_stats(p.l)->corrupted, 0);
	ck_assert_uint_gt(
	    p.st[0]->stats.rx_dropped[-TCP_IP_DROP_BAD_CSUM] + p.st[1]->stats.rx_dropped[-TCP_IP_DROP_BAD_CSUM], 0);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

START_TEST(test_streams_survive_loss_without_sack_and_timestamps)
{
	struct simlink_cfg lc = { .delay_us = 1000, .jitter_us = 300, .loss_ppm = 20000, .seed = (uint64_t)_i + 100 };
	struct ms_tcp_config cfg = { .flags = MS_TCP_CFG_NO_SACK | MS_TCP_CFG_NO_TS };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, &cfg, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert(!(conn_of(&p, 0, h[0])->flags & (TCP_CF_SACK | TCP_CF_TS)));
	bulk_transfer(&p, h, 1u << 20, 1200000000);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

START_TEST(test_cubic_carries_a_stream_over_a_lossy_link)
{
	struct simlink_cfg lc = { .delay_us = 2000, .loss_ppm = 5000, .seed = 42 };
	struct ms_tcp_config cfg = { .cc = "cubic" };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, &cfg, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 2u << 20, 1200000000);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

/* ---- RFC 9293 states ---- */

static const struct ms_tcp_config short_tw = { .time_wait_ms = 2000 };

START_TEST(test_active_and_passive_open_go_through_syn_sent_and_syn_received)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	struct tap t;
	struct tcp_conn *embryo;
	int lh, ch, sh;

	pair_init(&p, &clean_link, NULL, NULL);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 4, NULL);
	ck_assert_int_ge(lh, 0);
	ch = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(ch, 0);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_SYN_SENT);
	/* Hold the third segment of the handshake back: the server stays in SYN_RECEIVED. */
	t.block_pure_ack[0] = 1;
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_ESTABLISHED, 1000000));
	ck_assert(p.ev[0][ch] & MS_TCP_EV_WRITE);
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nsyn, 1);
	embryo = p.st[1]->tab.count == 2 ? NULL : NULL;
	for (uint32_t b = 0; b < p.st[1]->tab.nbuckets && !embryo; b++)
		embryo = p.st[1]->tab.bucket[b];
	ck_assert_ptr_nonnull(embryo);
	ck_assert_int_eq(embryo->state, MS_TCP_SYN_RECEIVED);
	ck_assert_int_eq(ms_tcp_accept(p.st[1], lh, NULL, NULL), -EAGAIN);
	/* The client's next segment carries the ACK. */
	t.block_pure_ack[0] = 0;
	ck_assert_int_eq(ms_tcp_send(p.st[0], ch, "x", 1), 1);
	pair_run(&p, 10000);
	ck_assert(p.ev[1][lh] & MS_TCP_EV_ACCEPT);
	sh = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(sh, 0);
	ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_ESTABLISHED);
	pair_fini(&p);
}
END_TEST

/* Listeners by 3-tuple: one per exact tuple; a specific address is preferred to the wildcard. */
START_TEST(test_a_specific_listener_wins_over_the_wildcard)
{
	struct ms_tcp_addr any = { .family = AF_INET, .port = 80 }, spec = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	int lw, ls, c, h = -EAGAIN;

	pair_init(&p, &clean_link, NULL, NULL);
	lw = ms_tcp_listen(p.st[1], &any, 4, NULL);
	ck_assert_int_ge(lw, 0);
	ck_assert_int_eq(ms_tcp_listen(p.st[1], &any, 4, NULL), -EADDRINUSE);
	ls = ms_tcp_listen(p.st[1], &spec, 4, NULL);
	ck_assert_int_ge(ls, 0);
	c = ms_tcp_connect(p.st[0], &ca, &spec, NULL);
	ck_assert(pair_until_state(&p, 0, c, MS_TCP_ESTABLISHED, 100000));
	pair_run(&p, 1000);
	ck_assert_int_eq(ms_tcp_accept(p.st[1], lw, NULL, NULL), -EAGAIN);
	h = ms_tcp_accept(p.st[1], ls, NULL, NULL);
	ck_assert_int_ge(h, 0);
	/* Without the specific one, the wildcard takes the next. */
	ck_assert_int_eq(ms_tcp_close(p.st[1], ls), 0);
	c = ms_tcp_connect(p.st[0], &ca, &spec, NULL);
	ck_assert(pair_until_state(&p, 0, c, MS_TCP_ESTABLISHED, 100000));
	pair_run(&p, 1000);
	ck_assert_int_ge(ms_tcp_accept(p.st[1], lw, NULL, NULL), 0);
	pair_fini(&p);
}
END_TEST

START_TEST(test_simultaneous_open_meets_in_syn_received)
{
	struct ms_tcp_addr a = addr_of(0, 5000), b = addr_of(1, 6000);
	struct pair p;
	int h0, h1, seen_synrcvd = 0;
	char buf[8];

	pair_init(&p, &clean_link, NULL, NULL);
	h0 = ms_tcp_connect(p.st[0], &a, &b, NULL);
	h1 = ms_tcp_connect(p.st[1], &b, &a, NULL);
	ck_assert_int_ge(h0, 0);
	ck_assert_int_ge(h1, 0);
	for (int i = 0;
	     i < 100 && !(conn_state(&p, 0, h0) == MS_TCP_ESTABLISHED && conn_state(&p, 1, h1) == MS_TCP_ESTABLISHED);
	     i++) {
		pair_step(&p);
		seen_synrcvd |= conn_state(&p, 0, h0) == MS_TCP_SYN_RECEIVED;
		seen_synrcvd |= conn_state(&p, 1, h1) == MS_TCP_SYN_RECEIVED;
	}
	ck_assert(seen_synrcvd);
	ck_assert_int_eq(conn_state(&p, 0, h0), MS_TCP_ESTABLISHED);
	ck_assert_int_eq(conn_state(&p, 1, h1), MS_TCP_ESTABLISHED);
	ck_assert_int_eq(ms_tcp_send(p.st[0], h0, "ping", 4), 4);
	pair_run(&p, 100000);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], h1, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	pair_fini(&p);
}
END_TEST

START_TEST(test_active_close_goes_fin_wait_1_fin_wait_2_time_wait_then_closed)
{
	struct pair p;
	int lh, ch, sh;
	char buf[8];

	pair_init(&p, &clean_link, &short_tw, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_FIN_WAIT_1);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_FIN_WAIT_2, 1000000));
	/* The passive side: CLOSE_WAIT, end of stream, then LAST_ACK and CLOSED. */
	ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_CLOSE_WAIT);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], sh, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ms_tcp_send(p.st[0], ch, "x", 1), -EPIPE);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[1], sh, SHUT_WR), 0);
	ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_LAST_ACK);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_TIME_WAIT, 1000000));
	ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSED, 1000000));
	ck_assert_int_eq(ms_tcp_error(p.st[1], sh), 0);
	ck_assert(p.ev[1][sh] & MS_TCP_EV_CLOSED);
	/* TIME_WAIT lasts 2 MSL (here 2 s), then the connection is gone. */
	pair_run(&p, 1500000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_TIME_WAIT);
	pair_run(&p, 1000000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_CLOSED);
	ck_assert_int_eq(ms_tcp_close(p.st[0], ch), 0);
	ck_assert_int_eq(ms_tcp_close(p.st[1], sh), 0);
	pair_poll(&p); /* closed connections are freed at the end of a poll */
	ck_assert_uint_eq(p.st[0]->tab.count, 0);
	ck_assert_uint_eq(p.st[1]->tab.count, 1); /* the listener */
	pair_fini(&p);
}
END_TEST

/* A connection closed by the application in FIN_WAIT_2 does not wait for ever for a peer that never closes. */
START_TEST(test_fin_wait_2_without_a_handle_is_bounded)
{
	struct pair p;
	int lh, ch, sh;

	for (int early = 0; early < 2; early++) {
		pair_init(&p, &clean_link, &short_tw, NULL);
		pair_connect(&p, &lh, &ch, &sh);
		if (early) {
			ck_assert_int_eq(ms_tcp_close(p.st[0], ch), 0); /* closed before the FIN is acknowledged */
		} else {
			ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
			ck_assert(pair_until_state(&p, 0, ch, MS_TCP_FIN_WAIT_2, 1000000));
			ck_assert_int_eq(ms_tcp_close(p.st[0], ch), 0);
		}
		pair_run(&p, 1000000);
		ck_assert_uint_eq(p.st[0]->tab.count, 1);
		pair_run(&p, 1500000);
		ck_assert_uint_eq(p.st[0]->tab.count, 0);
		ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_CLOSE_WAIT); /* the peer never closed */
		pair_fini(&p);
	}
}
END_TEST

/*
 * RFC 9293 3.10.7.4 eighth step: the FIN ends the stream. Bytes the peer
 * sent beyond its own FIN, held out of order, are forgotten when the FIN
 * is taken: the application reads the end of the stream, and no SACK
 * block reports data beyond it.
 */
START_TEST(test_fin_forgets_out_of_order_data_beyond_it)
{
	static const uint8_t data[100];
	struct pair p;
	struct tcp_conn *c;
	struct tcp_opts o;
	uint8_t buf[16];
	int lh, ch, sh;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	c = conn_of(&p, 1, sh);
	o = ts_opt(&p, 1, sh, 1);
	inject(&p, 1, sh, c->rcv_nxt + 1, c->snd_nxt, TCP_ACK, data, sizeof(data), &o);
	pair_run(&p, 10000);
	ck_assert_ptr_nonnull(c->rx);
	ck_assert_uint_eq(c->rx->reass.n, 1);
	o = ts_opt(&p, 1, sh, 2);
	inject(&p, 1, sh, c->rcv_nxt, c->snd_nxt, TCP_FIN | TCP_ACK, NULL, 0, &o);
	pair_run(&p, 10000);
	ck_assert_int_eq(c->state, MS_TCP_CLOSE_WAIT);
	ck_assert_uint_eq(c->rx->reass.n, 0);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], sh, buf, sizeof(buf)), 0);
	pair_fini(&p);
}
END_TEST

START_TEST(test_simultaneous_close_goes_through_closing_to_time_wait)
{
	struct pair p;
	int lh, ch, sh, seen_closing[2] = { 0, 0 };

	pair_init(&p, &clean_link, &short_tw, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[1], sh, SHUT_WR), 0);
	for (int i = 0;
	     i < 100 && !(conn_state(&p, 0, ch) == MS_TCP_TIME_WAIT && conn_state(&p, 1, sh) == MS_TCP_TIME_WAIT);
	     i++) {
		pair_step(&p);
		seen_closing[0] |= conn_state(&p, 0, ch) == MS_TCP_CLOSING;
		seen_closing[1] |= conn_state(&p, 1, sh) == MS_TCP_CLOSING;
	}
	ck_assert(seen_closing[0] && seen_closing[1]);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_TIME_WAIT);
	ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_TIME_WAIT);
	pair_run(&p, 2500000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_CLOSED);
	ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_CLOSED);
	pair_fini(&p);
}
END_TEST

START_TEST(test_half_close_lets_the_other_direction_finish)
{
	static uint8_t buf[65536];
	struct pair p;
	int lh, ch, sh;
	uint64_t sent = 0, rcvd = 0;
	ssize_t n;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
	ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSE_WAIT, 1000000));
	/* CLOSE_WAIT still sends: 300 KB to the half-closed client. */
	for (int i = 0; i < 100000 && rcvd < 300000; i++) {
		if (sent < 300000) {
			uint32_t k = 300000 - sent > sizeof(buf) ? sizeof(buf) : (uint32_t)(300000 - sent);

			for (uint32_t j = 0; j < k; j++)
				buf[j] = pattern(sent + j, 1);
			n = ms_tcp_send(p.st[1], sh, buf, k);
			if (n > 0)
				sent += (uint64_t)n;
		}
		while ((n = ms_tcp_recv(p.st[0], ch, buf, sizeof(buf))) > 0)
			for (ssize_t j = 0; j < n; j++, rcvd++)
				ck_assert_uint_eq(buf[j], pattern(rcvd, 1));
		pair_step(&p);
	}
	ck_assert_uint_eq(rcvd, 300000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_FIN_WAIT_2);
	ck_assert_int_eq(ms_tcp_close(p.st[1], sh), 0);
	pair_run(&p, 100000);
	ck_assert_int_eq(ms_tcp_recv(p.st[0], ch, buf, sizeof(buf)), 0);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_TIME_WAIT);
	pair_fini(&p);
}
END_TEST

START_TEST(test_rst_in_syn_sent_refuses_the_connection)
{
	struct ms_tcp_addr la = addr_of(1, 81), ca = addr_of(0, 0);
	struct pair p;
	int ch;
	char buf[4];

	pair_init(&p, &clean_link, NULL, NULL);
	ch = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(ch, 0);
	pair_run(&p, 100000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_CLOSED);
	ck_assert_int_eq(ms_tcp_error(p.st[0], ch), -ECONNREFUSED);
	ck_assert(p.ev[0][ch] & MS_TCP_EV_ERROR);
	ck_assert_int_eq(ms_tcp_recv(p.st[0], ch, buf, sizeof(buf)), -ECONNREFUSED);
	ck_assert_uint_eq(p.st[1]->stats.rst_sent, 1);
	pair_fini(&p);
}
END_TEST

/* A file of n pseudo-random bytes, unlinked (memfd), its bytes also in *copy. */
static int file_of(size_t n, uint8_t **copy)
{
	int fd = memfd_create("check_tcp", MFD_CLOEXEC);
	uint32_t x = 2463534242u;

	ck_assert_int_ge(fd, 0);
	*copy = malloc(n);
	ck_assert_ptr_nonnull(*copy);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		(*copy)[i] = (uint8_t)x;
	}
	ck_assert_int_eq(pwrite(fd, *copy, n, 0), (ssize_t)n);
	return fd;
}

/* ms_tcp_sendfile refuses what ms_tcp_send refuses, and a bad fd or offset; a file that shrank gives 0. */
START_TEST(test_sendfile_refuses_bad_arguments_and_reports_a_short_file)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	uint8_t *bytes;
	int lh, h[2], ch, dir, fd = file_of(1000, &bytes);
	struct pair p;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], -1, 0, 10), -EINVAL);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], fd, -1, 10), -EINVAL);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[1], lh, fd, 0, 10), -EINVAL); /* a listener */
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], fd, 0, 0), 0);
	/* The file shrinks under a sender that thought it had 1000 bytes: it gets what is left, then 0. */
	ck_assert_int_eq(ftruncate(fd, 600), 0);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], fd, 0, 1000), 600);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], fd, 600, 400), 0);
	/* Not a readable file: the read's error. */
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir, 0);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], dir, 0, 10), -EISDIR);
	close(dir);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], h[0], SHUT_WR), 0);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], fd, 0, 10), -EPIPE);
	ch = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(ch, 0);
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], ch, fd, 0, 10), -ENOTCONN);
	pair_fini(&p);
	close(fd);
	free(bytes);
}
END_TEST

/* ms_tcp_sendfile: a file larger than the send buffer arrives whole and in order, read from the file as it goes. */
START_TEST(test_sendfile_sends_a_file_larger_than_the_send_buffer)
{
	const size_t total = 700000; /* more than twice the 256 KB default send buffer: the ring wraps */
	uint8_t *want, *got = malloc(total);
	size_t sent = 0, recvd = 0;
	int lh, h[2], fd = file_of(total, &want);
	struct pair p;

	ck_assert_ptr_nonnull(got);
	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	for (int i = 0; i < 100000 && recvd < total; i++) {
		ssize_t n;

		if (sent < total) {
			n = ms_tcp_sendfile(p.st[0], h[0], fd, (off_t)sent, total - sent);
			ck_assert(n > 0 || n == -EAGAIN);
			if (n > 0)
				sent += (size_t)n;
		}
		while ((n = ms_tcp_recv(p.st[1], h[1], got + recvd, total - recvd)) > 0)
			recvd += (size_t)n;
		pair_step(&p);
	}
	ck_assert_uint_eq(recvd, total);
	ck_assert(memcmp(got, want, total) == 0);
	/* At the end of the file: 0, nothing queued. */
	ck_assert_int_eq(ms_tcp_sendfile(p.st[0], h[0], fd, (off_t)total, 100), 0);
	close_and_drain(&p, h);
	pair_fini(&p);
	close(fd);
	free(want);
	free(got);
}
END_TEST

/* ms_tcp_counters: every counter once, by a stable name, with the value the stack counted. */
static uint64_t counter_named(struct ms_tcp_stack *st, const char *name)
{
	struct ms_tcp_counter c[64];
	int i, n = ms_tcp_counters(st, c, 64);

	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, 64);
	for (i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return c[i].value;
	ck_abort_msg("no counter named %s", name);
	return 0;
}

START_TEST(test_counters_by_name_report_what_the_stack_counted)
{
	struct ms_tcp_addr la = addr_of(1, 81), ca = addr_of(0, 0);
	struct ms_tcp_counter c[64], one;
	struct pair p;
	int i, j, n;

	pair_init(&p, &clean_link, NULL, NULL);
	ck_assert_int_ge(ms_tcp_connect(p.st[0], &ca, &la, NULL), 0);
	pair_run(&p, 100000);
	/* Nobody listens on port 81: the SYN finds no connection and is answered with a RST. */
	ck_assert_uint_eq(counter_named(p.st[1], "rst_sent"), 1);
	ck_assert_uint_eq(counter_named(p.st[1], "rx_no_conn"), p.st[1]->stats.rx_no_conn);
	ck_assert_uint_ge(counter_named(p.st[1], "rx_frames"), 1);
	ck_assert_uint_eq(counter_named(p.st[1], "rx_dropped_bad_csum"), 0);
	n = ms_tcp_counters(p.st[1], NULL, 0);
	ck_assert_int_eq(ms_tcp_counters(p.st[1], c, 64), n);
	for (i = 0; i < n; i++) {
		ck_assert(c[i].name[0] != '\0');
		for (j = 0; j < i; j++)
			ck_assert_str_ne(c[i].name, c[j].name);
	}
	/* A short array is filled as far as it goes; the count stays the whole. */
	ck_assert_int_eq(ms_tcp_counters(p.st[1], &one, 1), n);
	ck_assert_str_eq(one.name, c[0].name);
	ck_assert_int_eq(ms_tcp_counters(NULL, c, 64), -EINVAL);
	ck_assert_int_eq(ms_tcp_counters(p.st[1], c, -1), -EINVAL);
	ck_assert_int_eq(ms_tcp_counters(p.st[1], NULL, 1), -EINVAL);
	pair_fini(&p);
}
END_TEST

START_TEST(test_rst_in_syn_received_forgets_the_embryo)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	struct tap t;
	int lh, ch;

	pair_init(&p, &clean_link, NULL, NULL);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 4, NULL);
	ch = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	t.block_pure_ack[0] = 1;
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nsyn, 1);
	ck_assert_int_eq(ms_tcp_abort(p.st[0], ch), 0); /* RST at the server's RCV.NXT */
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nsyn, 0);
	ck_assert_uint_eq(p.st[1]->tab.count, 1);
	ck_assert_int_eq(ms_tcp_accept(p.st[1], lh, NULL, NULL), -EAGAIN);
	pair_fini(&p);
}
END_TEST

/* A reset in ESTABLISHED, FIN_WAIT_1/2 and CLOSE_WAIT: ECONNRESET; in LAST_ACK: closed without error. */
START_TEST(test_rst_in_synchronized_states_resets)
{
	struct pair p;
	int lh, ch, sh;
	char buf[4];

	/* ESTABLISHED */
	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_abort(p.st[0], ch), 0);
	ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSED, 1000000));
	ck_assert_int_eq(ms_tcp_error(p.st[1], sh), -ECONNRESET);
	ck_assert(p.ev[1][sh] & MS_TCP_EV_ERROR);
	ck_assert_int_eq(ms_tcp_send(p.st[1], sh, "x", 1), -ECONNRESET);
	pair_fini(&p);
	/* FIN_WAIT_2 (the client shut down; the server resets) */
	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_FIN_WAIT_2, 1000000));
	ck_assert_int_eq(ms_tcp_abort(p.st[1], sh), 0);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_CLOSED, 1000000));
	ck_assert_int_eq(ms_tcp_error(p.st[0], ch), -ECONNRESET);
	pair_fini(&p);
	/* CLOSE_WAIT (the client shut down and then resets) */
	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
	ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSE_WAIT, 1000000));
	ck_assert_int_eq(ms_tcp_abort(p.st[0], ch), 0);
	ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSED, 1000000));
	ck_assert_int_eq(ms_tcp_error(p.st[1], sh), -ECONNRESET);
	pair_fini(&p);
	/* FIN_WAIT_1 (the FIN is held back, the peer resets) */
	{
		struct tap t;

		pair_init(&p, &clean_link, NULL, NULL);
		pair_connect(&p, &lh, &ch, &sh);
		tap_init(&t, &p);
		t.block[0] = 1;
		ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
		pair_run(&p, 10000);
		ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_FIN_WAIT_1);
		ck_assert_int_eq(ms_tcp_abort(p.st[1], sh), 0);
		ck_assert(pair_until_state(&p, 0, ch, MS_TCP_CLOSED, 1000000));
		ck_assert_int_eq(ms_tcp_error(p.st[0], ch), -ECONNRESET);
		pair_fini(&p);
	}
	/* LAST_ACK (the last ACK is held back, a reset arrives at RCV.NXT) */
	{
		struct tap t;
		struct tcp_conn *c;

		pair_init(&p, &clean_link, NULL, NULL);
		pair_connect(&p, &lh, &ch, &sh);
		ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
		ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSE_WAIT, 1000000));
		tap_init(&t, &p);
		t.block[0] = 1;
		ck_assert_int_eq(ms_tcp_shutdown(p.st[1], sh, SHUT_WR), 0);
		pair_run(&p, 10000);
		ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_LAST_ACK);
		c = conn_of(&p, 1, sh);
		inject(&p, 1, sh, c->rcv_nxt, c->snd_una, TCP_RST, NULL, 0, NULL);
		pair_run(&p, 10000);
		ck_assert_int_eq(conn_state(&p, 1, sh), MS_TCP_CLOSED);
		ck_assert_int_eq(ms_tcp_error(p.st[1], sh), 0);
		ck_assert_int_eq(ms_tcp_recv(p.st[1], sh, buf, sizeof(buf)), 0);
		pair_fini(&p);
	}
}
END_TEST

START_TEST(test_time_wait_acknowledges_a_retransmitted_fin_and_ignores_resets)
{
	struct pair p;
	struct tap t;
	struct tcp_conn *c;
	unsigned before;
	int lh, ch, sh;

	pair_init(&p, &clean_link, &short_tw, NULL);
	pair_connect(&p, &lh, &ch, &sh);
	ck_assert_int_eq(ms_tcp_shutdown(p.st[0], ch, SHUT_WR), 0);
	ck_assert(pair_until_state(&p, 1, sh, MS_TCP_CLOSE_WAIT, 1000000));
	ck_assert_int_eq(ms_tcp_shutdown(p.st[1], sh, SHUT_WR), 0);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_TIME_WAIT, 1000000));
	pair_run(&p, 1000000);
	tap_init(&t, &p);
	c = conn_of(&p, 0, ch);
	before = t.nlog[0];
	inject(&p, 0, ch, c->rcv_nxt - 1, c->snd_nxt, TCP_FIN | TCP_ACK, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_uint_eq(tap_count(&t, 0, before, 0), 1);
	/* RFC 1337: a reset, even at RCV.NXT, does not end TIME_WAIT early. */
	inject(&p, 0, ch, c->rcv_nxt, c->snd_nxt, TCP_RST, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_TIME_WAIT);
	/* 2 MSL restarted: still there 1.5 s later, gone after 2 s. */
	pair_run(&p, 1500000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_TIME_WAIT);
	pair_run(&p, 600000);
	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_CLOSED);
	pair_fini(&p);
}
END_TEST

/* RFC 6191: a new SYN with a newer timestamp reopens a 4-tuple that the server holds in TIME_WAIT. */
START_TEST(test_a_new_syn_reuses_a_connection_in_time_wait)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 40000);
	struct pair p;
	int lh, c1, s1, c2, s2 = -EAGAIN;
	char buf[4];

	pair_init(&p, &clean_link, NULL, NULL);
	lh = ms_tcp_listen(p.st[1], &la, 4, NULL);
	c1 = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, c1, MS_TCP_ESTABLISHED, 100000));
	pair_run(&p, 1000);
	s1 = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(s1, 0);
	/* The server closes first: it holds TIME_WAIT; the client's side is gone. */
	ck_assert_int_eq(ms_tcp_shutdown(p.st[1], s1, SHUT_WR), 0);
	ck_assert(pair_until_state(&p, 0, c1, MS_TCP_CLOSE_WAIT, 100000));
	ck_assert_int_eq(ms_tcp_close(p.st[0], c1), 0);
	ck_assert(pair_until_state(&p, 1, s1, MS_TCP_TIME_WAIT, 100000));
	ck_assert_int_eq(ms_tcp_close(p.st[1], s1), 0);
	pair_run(&p, 1000000);
	c2 = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(c2, 0);
	ck_assert(pair_until_state(&p, 0, c2, MS_TCP_ESTABLISHED, 100000));
	for (int i = 0; i < 10 && s2 < 0; i++) {
		pair_step(&p);
		s2 = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	}
	ck_assert_int_ge(s2, 0);
	ck_assert_int_eq(ms_tcp_send(p.st[0], c2, "two", 3), 3);
	pair_run(&p, 100000);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], s2, buf, sizeof(buf)), 3);
	pair_fini(&p);
}
END_TEST

/* ---- retransmission and recovery ---- */

/* Send n bytes of the pattern from side 0 as the buffer allows, stepping, until side 1 read them all. */
static void one_way(struct pair *p, int h[2], uint64_t n, uint64_t max_us)
{
	static uint8_t buf[65536];
	uint64_t sent = 0, rcvd = 0, end = simlink_now(p->l) + max_us;
	ssize_t k;

	while (rcvd < n && simlink_now(p->l) < end) {
		while (sent < n) {
			uint32_t chunk = n - sent > sizeof(buf) ? sizeof(buf) : (uint32_t)(n - sent);

			for (uint32_t i = 0; i < chunk; i++)
				buf[i] = pattern(sent + i, 0);
			k = ms_tcp_send(p->st[0], h[0], buf, chunk);
			if (k <= 0)
				break;
			sent += (uint64_t)k;
		}
		while ((k = ms_tcp_recv(p->st[1], h[1], buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < k; i++, rcvd++)
				ck_assert_uint_eq(buf[i], pattern(rcvd, 0));
		pair_step(p);
	}
	ck_assert_uint_eq(rcvd, n);
}

static const struct ms_tcp_config no_ts = { .flags = MS_TCP_CFG_NO_TS };

/* RFC 6298 5.5 and 5.6: each timeout doubles the RTO; Karn: the retransmitted segment gives no RTT sample. */
START_TEST(test_rto_backs_off_exponentially_and_karn_ignores_retransmitted_samples)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	uint64_t times[5];
	unsigned n = 0, from;
	uint32_t srtt_before;
	struct tcp_conn *c;

	pair_init(&p, &clean_link, &no_ts, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	c = conn_of(&p, 0, h[0]);
	srtt_before = c->srtt_us;
	ck_assert_uint_gt(srtt_before, 0);
	ck_assert_uint_eq(c->rto_ms, TCP_RTO_MIN_MS);
	t.block[1] = 1; /* the server's ACKs are lost */
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "hello", 5), 5);
	from = t.nlog[0];
	pair_run(&p, 3500000);
	for (unsigned i = from; i < t.nlog[0] && n < 5; i++)
		if (t.log[0][i].len == 5)
			times[n++] = t.log[0][i].t_us;
	ck_assert_uint_eq(n, 5); /* sent at 0, 0.2, 0.6, 1.4, 3.0 s */
	for (unsigned i = 2; i < n; i++) {
		uint64_t prev = times[i - 1] - times[i - 2], cur = times[i] - times[i - 1];

		ck_assert_uint_ge(cur, 2 * prev - 2000);
		ck_assert_uint_le(cur, 2 * prev + 2000);
	}
	ck_assert_uint_eq(times[1] - times[0] + 500 >= TCP_RTO_MIN_MS * 1000u, 1);
	ck_assert_uint_eq(c->rto_ms, TCP_RTO_MIN_MS * 16);
	t.block[1] = 0;
	pair_run(&p, 4000000);
	ck_assert_uint_eq(c->snd_una, c->snd_max);
	ck_assert_uint_eq(c->srtt_us, srtt_before);        /* Karn: no sample from the retransmission */
	ck_assert_uint_eq(c->rto_ms, TCP_RTO_MIN_MS * 32); /* RFC 6298 5.7: the backed-off RTO stays */
	pair_fini(&p);
}
END_TEST

/*
 * After an outage of the stack's own I/O (mstackd restarted, tcp_api.c), recovery starts at once:
 * the retransmission timer expires now with the RTO of the estimator (RFC 6298 2), not after the
 * back-off the outage's timeouts accumulated (5.5), and those timeouts no longer count.
 */
START_TEST(test_after_an_outage_of_our_io_the_retransmission_goes_at_once)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	unsigned from, resent = 0;
	struct tcp_conn *c;

	pair_init(&p, &clean_link, &no_ts, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	c = conn_of(&p, 0, h[0]);
	t.block[0] = 1; /* nothing of ours leaves: the daemon is away */
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "hello", 5), 5);
	pair_run(&p, 1500000); /* timeouts at 0.2, 0.6 and 1.4 s; the next would be at 3.0 s */
	ck_assert_uint_eq(c->rto_ms, TCP_RTO_MIN_MS * 8);
	ck_assert_uint_eq(c->retries, 3);
	t.block[0] = 0;
	from = t.nlog[0];
	tcp_rto_expire_now(p.st[0], c);
	ck_assert_uint_eq(c->retries, 0);
	pair_run(&p, 5000);
	for (unsigned i = from; i < t.nlog[0]; i++)
		resent += t.log[0][i].len == 5;
	ck_assert_uint_eq(resent, 1); /* within 5 ms, not 1.5 s */
	pair_run(&p, 100000);         /* the peer's delayed ACK */
	ck_assert_uint_eq(c->snd_una, c->snd_max);
	ck_assert_uint_le(c->rto_ms, TCP_RTO_MIN_MS * 2);
	pair_fini(&p);
}
END_TEST

static const struct simlink_cfg slow_link = { .delay_us = 100000, .seed = 5 }; /* a 200 ms round trip */

/* Connect from side 0 to a listener on side 1 and accept; the first frames of side 1 are dropped while
 * drop_first_synack is set and the SYN,ACK has not yet left. @return the server's handle. */
static int accept_over(struct pair *p, struct tap *t, int drop_first_synack, int *lh)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	int sh = -EAGAIN;

	*lh = ms_tcp_listen(p->st[1], &la, 16, NULL);
	ck_assert_int_ge(ms_tcp_connect(p->st[0], &ca, &la, NULL), 0);
	t->block[1] = drop_first_synack;
	pair_run(p, 150000); /* the SYN arrives at 100 ms, the SYN,ACK leaves */
	ck_assert_uint_eq(t->nlog[1], 1);
	ck_assert_uint_eq(t->log[1][0].flags, TCP_SYN | TCP_ACK);
	t->block[1] = 0;
	for (int i = 0; i < 1000 && sh == -EAGAIN; i++) {
		pair_step_to(p, simlink_now(p->l) + 10000);
		sh = ms_tcp_accept(p->st[1], *lh, NULL, NULL);
	}
	ck_assert_int_ge(sh, 0);
	return sh;
}

/*
 * RFC 6298 2.1 and 2.2 on a passive open without timestamps: the SYN,ACK waits
 * 1 s for its ACK; the ACK of a SYN,ACK sent once is the first RTT sample,
 * SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR (600 ms for 200 ms).
 */
START_TEST(test_a_passive_open_without_timestamps_seeds_srtt_from_the_syn_ack)
{
	struct ms_tcp_info info;
	struct pair p;
	struct tap t;
	int lh, sh;

	pair_init(&p, &slow_link, &no_ts, NULL);
	tap_init(&t, &p);
	sh = accept_over(&p, &t, 0, &lh);
	ck_assert_int_eq(ms_tcp_info(p.st[1], sh, &info), 0);
	ck_assert_uint_eq(info.ts, 0);
	ck_assert_uint_ge(info.srtt_us, 200000);
	ck_assert_uint_le(info.srtt_us, 201000);
	ck_assert_uint_eq(info.rttvar_us, info.srtt_us / 2);
	ck_assert_uint_eq(info.rto_ms, (info.srtt_us + 4 * info.rttvar_us) / 1000);
	ck_assert_uint_eq(t.nlog[1], 1); /* the SYN,ACK left once: it was acknowledged within its 1 s */
	pair_fini(&p);
}
END_TEST

/*
 * Karn's rule (RFC 6298 3) on the handshake: the first SYN,ACK is lost; it goes
 * again after the initial RTO of 1 s (2.1), and the ACK of the retransmitted
 * one is no sample. RFC 6298 5.7: the data then start with an RTO of 3 s.
 */
START_TEST(test_a_retransmitted_syn_ack_gives_no_rtt_sample)
{
	struct ms_tcp_info info;
	struct pair p;
	struct tap t;
	int lh, sh;

	pair_init(&p, &slow_link, &no_ts, NULL);
	tap_init(&t, &p);
	sh = accept_over(&p, &t, 1, &lh);
	ck_assert_uint_eq(t.nlog[1], 2);
	ck_assert_uint_eq(t.log[1][1].flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_ge(t.log[1][1].t_us - t.log[1][0].t_us, TCP_RTO_INIT_MS * 1000u);
	ck_assert_uint_le(t.log[1][1].t_us - t.log[1][0].t_us, TCP_RTO_INIT_MS * 1000u + 1000);
	ck_assert_int_eq(ms_tcp_info(p.st[1], sh, &info), 0);
	ck_assert_uint_eq(info.srtt_us, 0);
	ck_assert_uint_eq(info.rto_ms, TCP_RTO_SYN_LOST_MS);
	pair_fini(&p);
}
END_TEST

START_TEST(test_a_peer_that_never_answers_times_out_with_etimedout)
{
	struct pair p;
	struct tap t;
	int lh, h[2];

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	t.block[1] = 1;
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "hello", 5), 5);
	ck_assert(pair_until_state(&p, 0, h[0], MS_TCP_CLOSED, 30ull * 60 * 1000000));
	ck_assert_int_eq(ms_tcp_error(p.st[0], h[0]), -ETIMEDOUT);
	ck_assert(p.ev[0][h[0]] & MS_TCP_EV_ERROR);
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->retransmits, TCP_RETRIES_MAX);
	pair_fini(&p);
}
END_TEST

static const struct ms_tcp_config no_sack = { .flags = MS_TCP_CFG_NO_SACK };
static const struct simlink_cfg fast_link = { .delay_us = 2000, .rate_mbps = 1000, .seed = 3 };

/* RFC 5681 3.2: three duplicate ACKs retransmit the lost segment at once, without waiting for the RTO. */
START_TEST(test_three_dupacks_trigger_fast_retransmit)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	struct tcp_conn *c;

	pair_init(&p, &fast_link, &no_sack, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	t.drop_new[t.ndrop++] = 30;
	one_way(&p, h, 300000, 10000000);
	c = conn_of(&p, 0, h[0]);
	ck_assert_uint_eq(p.st[0]->stats.fast_retransmits, 1);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	ck_assert_uint_eq(c->retransmits, 1);
	ck_assert_uint_lt(c->cc.ssthresh, UINT32_MAX); /* the controller reacted */
	pair_fini(&p);
}
END_TEST

/* RFC 6582 3.2 (5): a partial ACK in recovery retransmits the next hole at once: two losses, one recovery, no timeout.
 */
START_TEST(test_newreno_partial_ack_retransmits_the_next_hole)
{
	struct pair p;
	struct tap t;
	int lh, h[2];

	pair_init(&p, &fast_link, &no_sack, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	t.drop_new[t.ndrop++] = 30;
	t.drop_new[t.ndrop++] = 34;
	one_way(&p, h, 300000, 10000000);
	ck_assert_uint_eq(p.st[0]->stats.fast_retransmits, 1);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->retransmits, 2);
	pair_fini(&p);
}
END_TEST

/* RFC 6675: with SACK, three losses in one window are three retransmissions, nothing SACKed is sent again. */
START_TEST(test_sack_recovery_retransmits_only_the_holes)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	struct tcp_conn *c;

	pair_init(&p, &fast_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert(conn_of(&p, 0, h[0])->flags & TCP_CF_SACK);
	tap_init(&t, &p);
	t.drop_new[t.ndrop++] = 30;
	t.drop_new[t.ndrop++] = 33;
	t.drop_new[t.ndrop++] = 36;
	one_way(&p, h, 300000, 10000000);
	c = conn_of(&p, 0, h[0]);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	ck_assert_uint_eq(p.st[0]->stats.fast_retransmits, 1);
	ck_assert_uint_eq(c->retransmits, 3);
	pair_fini(&p);
}
END_TEST

/* RFC 9293 3.8.6.1: a zero window is probed, with backoff, until it opens; then the data flows. */
START_TEST(test_zero_window_is_probed_until_it_opens)
{
	static uint8_t buf[65536];
	struct ms_tcp_config small = { .rcvbuf = 8192 };
	struct pair p;
	struct tap t;
	int lh, h[2];
	unsigned probes = 0, from;
	uint64_t last = 0, gap = 0;
	ssize_t n;
	uint64_t got = 0;

	pair_init(&p, &clean_link, NULL, &small);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	memset(buf, 'z', sizeof(buf));
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, 20000), 20000);
	pair_run(&p, 100000);
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->snd_wnd, 0);
	from = t.nlog[0];
	pair_run(&p, 5000000);
	/* Probes: one byte each, further and further apart. */
	for (unsigned i = from; i < t.nlog[0]; i++)
		if (t.log[0][i].len == 1) {
			if (last)
				ck_assert_uint_ge(t.log[0][i].t_us - last, gap);
			if (last)
				gap = t.log[0][i].t_us - last;
			last = t.log[0][i].t_us;
			probes++;
		}
	ck_assert_uint_ge(probes, 3);
	ck_assert_int_eq(conn_state(&p, 0, h[0]), MS_TCP_ESTABLISHED);
	/* The reader drains: the window opens and the rest arrives. */
	for (int i = 0; i < 1000 && got < 20000; i++) {
		while ((n = ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf))) > 0)
			got += (uint64_t)n;
		pair_step(&p);
	}
	ck_assert_uint_eq(got, 20000);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	pair_fini(&p);
}
END_TEST

/*
 * A connection whose peer (side 1, its output and ours blocked by t) shuts
 * its window with a hand-made ACK; then side 0 closes it. Returns side 0's
 * connection; *o is the peer's timestamp option, for more hand-made segments.
 */
static struct tcp_conn *close_in_a_zero_window(struct pair *p, struct tap *t, struct tcp_opts *o, int *lh, int h[2])
{
	struct tcp_conn *c;

	pair_init(p, &clean_link, NULL, NULL);
	pair_connect(p, lh, &h[0], &h[1]);
	tap_init(t, p);
	t->block[0] = t->block[1] = 1;
	c = conn_of(p, 0, h[0]);
	*o = ts_opt(p, 0, h[0], 1);
	inject_conn(p, 0, c, c->rcv_nxt, c->snd_nxt, TCP_ACK, 0, NULL, 0, o); /* the window closes */
	pair_run(p, 10000);
	ck_assert_uint_eq(c->snd_wnd, 0);
	ck_assert_int_eq(ms_tcp_close(p->st[0], h[0]), 0);
	return c;
}

/*
 * RFC 6298 5.1: a FIN in flight keeps the retransmission timer running. A
 * FIN sent into a zero window times out (the persist timer takes over);
 * when the window reopens without acknowledging it, the FIN is sent again.
 */
START_TEST(test_fin_sent_into_a_zero_window_is_retransmitted_when_it_opens)
{
	struct pair p;
	struct tap t;
	struct tcp_conn *c;
	struct tcp_opts o;
	uint8_t buf[8];
	int lh, h[2];
	ssize_t n = -EAGAIN;

	c = close_in_a_zero_window(&p, &t, &o, &lh, h);
	pair_run(&p, 3000000); /* the FIN times out in the zero window: persist */
	ck_assert(c->persist_at && !c->rto_at);
	ck_assert_int_eq(c->state, MS_TCP_FIN_WAIT_1);
	o.ts_val++;
	inject_conn(&p, 0, c, c->rcv_nxt, c->snd_una, TCP_ACK, 65535, NULL, 0, &o); /* it opens, FIN unacknowledged */
	pair_run(&p, 10000);
	ck_assert_uint_gt(c->snd_wnd, 0);
	t.block[0] = t.block[1] = 0;
	for (int i = 0; i < 1000 && n == -EAGAIN; i++) {
		pair_step(&p);
		n = ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf));
	}
	ck_assert_int_eq(n, 0); /* the end of the stream: the FIN arrived */
	pair_fini(&p);
}
END_TEST

/*
 * RFC 9293 3.8.6.1: a zero window is probed for as long as it stays shut.
 * With no data left, the probe is the FIN in flight: a peer whose window
 * update was lost still hears from us, and the connection does not wait
 * for good.
 */
START_TEST(test_a_fin_in_a_zero_window_is_the_probe)
{
	struct pair p;
	struct tap t;
	struct tcp_conn *c;
	struct tcp_opts o;
	unsigned fins = 0, from;
	int lh, h[2];

	c = close_in_a_zero_window(&p, &t, &o, &lh, h);
	from = t.nlog[0];
	pair_run(&p, 10000000);
	for (unsigned i = from; i < t.nlog[0]; i++)
		fins += !!(t.log[0][i].flags & TCP_FIN);
	ck_assert_uint_ge(fins, 4);
	ck_assert_int_eq(c->state, MS_TCP_FIN_WAIT_1);
	pair_fini(&p);
}
END_TEST

/* A stream from side 0 into a server that never reads (8 KB window): the client's window closes. */
static struct tcp_conn *zero_window_stream(struct pair *p, const struct ms_tcp_config *cli, int h[2])
{
	static const struct ms_tcp_config srv = { .rcvbuf = 8192 };
	static uint8_t buf[20000];
	struct tcp_conn *c;
	int lh;

	pair_init(p, &clean_link, cli, &srv);
	pair_connect(p, &lh, &h[0], &h[1]);
	c = conn_of(p, 0, h[0]);
	memset(buf, 'o', sizeof(buf));
	ck_assert_int_eq(ms_tcp_send(p->st[0], h[0], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	pair_run(p, 100000);
	ck_assert_uint_eq(c->snd_wnd, 0);
	return c;
}

/*
 * An orphan (closed by the application, FIN_WAIT_1 with data held back by a
 * zero window) whose peer answers every probe with a zero window is reset
 * after orphan_probes probes (Linux's tcp_orphan_retries), with a RST the
 * peer accepts; its slot and buffers come back.
 */
START_TEST(test_an_orphan_held_in_a_zero_window_is_reset_after_its_probes)
{
	struct ms_tcp_config cli = { .orphan_probes = 4 };
	struct pair p;
	struct tap t;
	int h[2];
	unsigned probes = 0, rsts = 0, acks, from;

	zero_window_stream(&p, &cli, h);
	tap_init(&t, &p);
	ck_assert_int_eq(ms_tcp_close(p.st[0], h[0]), 0);
	ck_assert_int_eq(conn_of(&p, 0, h[0]) ? 1 : 0, 0); /* the handle is gone: an orphan */
	from = t.nlog[0];
	pair_run(&p, 30000000); /* probes at 0.2, 0.6, 1.4, 3.0 s; the reset at 6.2 s */
	for (unsigned i = from; i < t.nlog[0]; i++) {
		probes += t.log[0][i].len == 1;
		rsts += !!(t.log[0][i].flags & TCP_RST);
	}
	acks = tap_count(&t, 1, 0, 0);
	ck_assert_uint_eq(probes, 4);
	ck_assert_uint_eq(rsts, 1);
	ck_assert_uint_ge(acks, 4); /* the peer answered every probe, with a zero window */
	for (unsigned i = 0; i < t.nlog[1]; i++)
		ck_assert_uint_eq(t.log[1][i].wnd, 0);
	ck_assert_uint_eq(p.st[0]->stats.orphans_reset, 1);
	ck_assert_uint_eq(p.st[0]->tab.count, 0); /* the slot and the buffers are back */
	ck_assert_uint_eq(p.st[0]->mem.used, 0);
	/* The peer accepted the reset: its RCV.NXT (our SND.UNA) is the only place its zero window allows. */
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_CLOSED);
	ck_assert_int_eq(ms_tcp_error(p.st[1], h[1]), -ECONNRESET);
	pair_fini(&p);
}
END_TEST

/* The orphans' limit is for orphans: a connection its application holds is probed for as long as it is answered. */
START_TEST(test_a_held_connection_in_a_zero_window_is_probed_past_the_orphan_limit)
{
	struct ms_tcp_config cli = { .orphan_probes = 4 };
	struct pair p;
	struct tcp_conn *c;
	int h[2];

	c = zero_window_stream(&p, &cli, h);
	pair_run(&p, 400000000); /* 14 probes: past the orphans' limit and past TCP_RETRIES_MAX */
	ck_assert_uint_gt(c->persist_probes, TCP_RETRIES_MAX);
	ck_assert_int_eq(c->state, MS_TCP_ESTABLISHED);
	ck_assert_uint_eq(p.st[0]->stats.orphans_reset, 0);
	pair_fini(&p);
}
END_TEST

/* RFC 1122 4.2.2.17: the window is probed only as long as the receiver answers; TCP_RETRIES_MAX probes
 * without an answer end the connection with -ETIMEDOUT (as Linux's tcp_retries2 for probes). */
START_TEST(test_a_zero_window_peer_that_stops_answering_probes_times_out)
{
	struct pair p;
	struct tap t;
	int h[2];
	unsigned probes = 0, from;

	zero_window_stream(&p, NULL, h);
	tap_init(&t, &p);
	pair_run(&p, 30000000); /* answered probes */
	ck_assert_int_eq(conn_state(&p, 0, h[0]), MS_TCP_ESTABLISHED);
	t.block[1] = 1; /* the peer is gone */
	from = t.nlog[0];
	ck_assert(pair_until_state(&p, 0, h[0], MS_TCP_CLOSED, 3600ull * 1000000));
	for (unsigned i = from; i < t.nlog[0]; i++)
		probes += t.log[0][i].len == 1;
	ck_assert_uint_eq(probes, TCP_RETRIES_MAX);
	ck_assert_int_eq(ms_tcp_error(p.st[0], h[0]), -ETIMEDOUT);
	ck_assert(p.ev[0][h[0]] & MS_TCP_EV_ERROR);
	pair_fini(&p);
}
END_TEST

/* ---- RFC 7323, RFC 5961 ---- */

/* RFC 7323 5.3: a segment whose timestamp is older than TS.Recent is dropped (and ACKed), the next good one accepted.
 */
START_TEST(test_paws_drops_a_segment_with_an_old_timestamp)
{
	struct pair p;
	int lh, h[2];
	struct tcp_conn *c;
	struct tcp_opts o;
	char buf[8];

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	c = conn_of(&p, 1, h[1]);
	ck_assert(c->flags & TCP_CF_TS);
	o = ts_opt(&p, 1, h[1], -1000);
	inject(&p, 1, h[1], c->rcv_nxt, c->snd_nxt, TCP_ACK | TCP_PSH, "old", 3, &o);
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.st[1]->stats.rx_paws, 1);
	ck_assert_uint_eq(c->bytes_received, 0);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf)), -EAGAIN);
	o = ts_opt(&p, 1, h[1], 1);
	inject(&p, 1, h[1], c->rcv_nxt, c->snd_nxt, TCP_ACK | TCP_PSH, "new", 3, &o);
	pair_run(&p, 10000);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "new", 3);
	pair_fini(&p);
}
END_TEST

/* RFC 5961 3.2: a reset inside the window but not at RCV.NXT gets a challenge ACK; only the exact one resets. */
START_TEST(test_in_window_rst_gets_a_challenge_ack_and_exact_rst_resets)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	struct tcp_conn *c;
	unsigned from;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	c = conn_of(&p, 1, h[1]);
	from = t.nlog[1];
	inject(&p, 1, h[1], c->rcv_nxt + 1000, 0, TCP_RST, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_ESTABLISHED);
	ck_assert_uint_eq(p.st[1]->stats.challenge_acks, 1);
	ck_assert_uint_eq(tap_count(&t, 1, from, 0), 1);
	/* Out of the window altogether: dropped silently. */
	inject(&p, 1, h[1], c->rcv_nxt + 10000000, 0, TCP_RST, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_ESTABLISHED);
	inject(&p, 1, h[1], c->rcv_nxt, 0, TCP_RST, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_CLOSED);
	ck_assert_int_eq(ms_tcp_error(p.st[1], h[1]), -ECONNRESET);
	pair_fini(&p);
}
END_TEST

/* RFC 5961 4: any SYN on a synchronized connection gets a challenge ACK and changes nothing. */
START_TEST(test_syn_on_an_established_connection_gets_a_challenge_ack)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	struct tcp_conn *c;
	unsigned from;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	c = conn_of(&p, 1, h[1]);
	from = t.nlog[1];
	inject(&p, 1, h[1], c->rcv_nxt + 5, 0, TCP_SYN, NULL, 0, NULL);
	pair_run(&p, 10000);
	inject(&p, 1, h[1], c->rcv_nxt - 100, 0, TCP_SYN, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_ESTABLISHED);
	ck_assert_uint_eq(tap_count(&t, 1, from, 0), 2);
	ck_assert_uint_eq(p.st[1]->stats.challenge_acks, 1); /* the other was out of window: a plain ACK */
	ck_assert_uint_eq(p.st[1]->stats.rst_sent, 0);
	pair_fini(&p);
}
END_TEST

/* RFC 5961 5.2: an ACK for data never sent is answered with an ACK and otherwise ignored. */
START_TEST(test_ack_of_unsent_data_is_refused)
{
	struct pair p;
	int lh, h[2];
	struct tcp_conn *c;
	uint32_t una;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	c = conn_of(&p, 1, h[1]);
	una = c->snd_una;
	inject(&p, 1, h[1], c->rcv_nxt, c->snd_max + 100000, TCP_ACK, NULL, 0, NULL);
	pair_run(&p, 10000);
	ck_assert_uint_eq(c->snd_una, una);
	ck_assert_uint_eq(p.st[1]->stats.challenge_acks, 1);
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_ESTABLISHED);
	pair_fini(&p);
}
END_TEST

/* ---- SYN cookies, ACK policy, Nagle, window scale ---- */

/*
 * RFC 9293 3.8.6.2.2: a receiver does not shrink its window. A connection
 * made from a SYN cookie keeps the window its stateless SYN,ACK offered:
 * data that uses part of it leaves the rest offered, it is not withdrawn.
 */
START_TEST(test_a_cookie_connection_keeps_the_window_its_syn_ack_offered)
{
	static uint8_t data[1500];
	struct ms_tcp_config srv = { .syn_backlog = 1, .rcvbuf = 2048 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	struct tap t;
	struct tcp_conn *c;
	int lh, ch[2], sh;
	uint32_t edge;

	pair_init(&p, &clean_link, NULL, &srv);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	t.block_pure_ack[0] = 1; /* the first handshake stays embryonic: the backlog is full */
	ch[0] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	pair_run(&p, 50000);
	t.block_pure_ack[0] = 0;
	ch[1] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, ch[1], MS_TCP_ESTABLISHED, 100000));
	pair_run(&p, 10000);
	sh = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(sh, 0);
	c = conn_of(&p, 1, sh);
	ck_assert(c->flags & TCP_CF_COOKIE);
	edge = c->rcv_nxt + 2048; /* what the SYN,ACK offered */
	ck_assert_int_eq(ms_tcp_send(p.st[0], ch[1], data, sizeof(data)), (ssize_t)sizeof(data));
	pair_run(&p, 100000);
	ck_assert_uint_eq(c->rcv_nxt - c->rd_seq, sizeof(data)); /* arrived, not read */
	ck_assert(seq_geq(c->rcv_nxt + tcp_rcv_window(c), edge));
	pair_fini(&p);
}
END_TEST

/* RFC 4987 3.6: with the SYN backlog full, a SYN is answered statelessly and the cookie's ACK makes the connection. */
START_TEST(test_syn_cookies_when_the_backlog_is_full)
{
	struct ms_tcp_config srv = { .syn_backlog = 2 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	struct tap t;
	int lh, c[3], sh = -EAGAIN;
	char buf[16];

	pair_init(&p, &clean_link, NULL, &srv);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	/* Two handshakes whose last ACK is lost: two embryos fill the backlog. */
	t.block_pure_ack[0] = 1;
	c[0] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	c[1] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	pair_run(&p, 50000);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nsyn, 2);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_sent, 0);
	t.block_pure_ack[0] = 0;
	t.block[1] = 0;
	c[2] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, c[2], MS_TCP_ESTABLISHED, 100000));
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_sent, 1);
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ok, 1);
	sh = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(sh, 0);
	ck_assert(conn_of(&p, 1, sh)->flags & TCP_CF_COOKIE);
	ck_assert_int_eq(conn_of(&p, 1, sh)->ep.rport, conn_of(&p, 0, c[2])->ep.lport);
	/* Data flows both ways over the cookie connection. */
	ck_assert_int_eq(ms_tcp_send(p.st[0], c[2], "cookie", 6), 6);
	ck_assert_int_eq(ms_tcp_send(p.st[1], sh, "jar", 3), 3);
	pair_run(&p, 100000);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], sh, buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "cookie", 6);
	ck_assert_int_eq(ms_tcp_recv(p.st[0], c[2], buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "jar", 3);
	pair_fini(&p);
}
END_TEST

/*
 * A SYN flood at side 1's port 80: n SYNs with timestamps, window scale and
 * SACK-permitted from ports of 10.0.0.9, a host that never completes them.
 * Side 0 sees the answers (its MAC is the flood's) and must not reset them:
 * the tap holds side 0's resets back until the test says otherwise.
 */
static void syn_flood(struct pair *p, struct tap *t, uint32_t n)
{
	struct tcp_endpoints from = {
		.family = AF_INET, .rport = 80, .laddr = { 10, 0, 0, 9 }, .raddr = { 10, 0, 0, 2 }
	};
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_SACK_PERM | TCP_OPT_TS,
			      .mss = 1460,
			      .wscale = 7,
			      .ts_val = 1 };
	uint8_t frame[256], opt[40];
	struct tcp_hdr_out hd = { .ep = &from, .flags = TCP_SYN, .wnd = 65535, .opt = opt };

	t->block_rst[0] = 1;
	hd.optlen = (uint8_t)tcp_opt_write(opt, sizeof(opt), &o);
	hd.src_mac = simlink_io(p->l, 0)->mac;
	hd.dst_mac = simlink_io(p->l, 1)->mac;
	for (uint32_t i = 0; i < n; i++) {
		from.lport = (uint16_t)(20000 + i);
		hd.seq = i * 7919u;
		simlink_inject(p->l, 1, frame, tcp_ip_build(frame, &hd, 0));
	}
	pair_run(p, 20000);
}

/*
 * RFC 4987 3.6 with RFC 7323 and RFC 2018: after a SYN flood beyond the
 * backlog, a client whose SYN has timestamps, window scale and SACK gets a
 * cookie connection that keeps all three (the options ride in the SYN,ACK's
 * TSval and come back in the ACK's TSecr). The server then receives more
 * than 64 KB in flight (the window is scaled) and, with three segments
 * lost in one window, SACK recovery sends only the holes again.
 */
START_TEST(test_a_cookie_connection_keeps_window_scale_sack_and_timestamps)
{
	struct ms_tcp_config srv = { .syn_backlog = 4 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct ms_tcp_info info;
	struct pair p;
	struct tap t;
	struct tcp_conn *sc, *cc;
	int lh, h[2];
	uint32_t max_flight = 0, n = 1u << 20;
	uint64_t rcvd = 0;
	static uint8_t buf[65536];

	pair_init(&p, &fast_link, NULL, &srv);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	ck_assert_int_ge(lh, 0);
	syn_flood(&p, &t, 40);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nsyn, 4);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_sent, 36);
	h[0] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, h[0], MS_TCP_ESTABLISHED, 100000));
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_sent, 37);
	pair_run(&p, 10000);
	h[1] = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(h[1], 0);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ok, 1);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ts, 1);
	sc = conn_of(&p, 1, h[1]);
	cc = conn_of(&p, 0, h[0]);
	ck_assert(sc->flags & TCP_CF_COOKIE);
	/* Both ends agree: the server's shift 3 (256 KB), the client's own, SACK and timestamps on. */
	ck_assert_int_eq(ms_tcp_info(p.st[1], h[1], &info), 0);
	ck_assert_uint_eq(info.wscale_rcv, 3);
	ck_assert_uint_eq(info.wscale_snd, cc->rcv_wscale);
	ck_assert_uint_eq(info.sack, 1);
	ck_assert_uint_eq(info.ts, 1);
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_uint_eq(info.wscale_snd, 3);
	ck_assert_uint_eq(info.sack, 1);
	ck_assert_uint_eq(info.ts, 1);
	ck_assert_uint_eq(sc->mss, cc->mss); /* 1448 both ways: timestamps in every segment */
	/* 1 MB from the client, three segments lost in one window. */
	t.drop_new[t.ndrop++] = 100;
	t.drop_new[t.ndrop++] = 103;
	t.drop_new[t.ndrop++] = 106;
	for (uint64_t sent = 0, end = simlink_now(p.l) + 10000000; rcvd < n && simlink_now(p.l) < end;) {
		ssize_t k;

		while (sent < n) {
			uint32_t chunk = n - sent > sizeof(buf) ? sizeof(buf) : (uint32_t)(n - sent);

			for (uint32_t i = 0; i < chunk; i++)
				buf[i] = pattern(sent + i, 0);
			k = ms_tcp_send(p.st[0], h[0], buf, chunk);
			if (k <= 0)
				break;
			sent += (uint64_t)k;
		}
		while ((k = ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < k; i++, rcvd++)
				ck_assert_uint_eq(buf[i], pattern(rcvd, 0));
		if (cc->snd_max - cc->snd_una > max_flight)
			max_flight = cc->snd_max - cc->snd_una;
		pair_step(&p);
	}
	ck_assert_uint_eq(rcvd, n);
	ck_assert_uint_gt(max_flight, 65535);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	ck_assert_uint_eq(p.st[0]->stats.fast_retransmits, 1);
	ck_assert_uint_eq(cc->retransmits, 3); /* the holes, nothing SACKed */
	pair_fini(&p);
}
END_TEST

/* RFC 4987 3.6: a client without timestamps still gets a cookie connection, with its MSS and no other option. */
START_TEST(test_a_cookie_connection_without_timestamps_has_only_the_mss)
{
	struct ms_tcp_config srv = { .syn_backlog = 4 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct ms_tcp_info info;
	struct pair p;
	struct tap t;
	int lh, h[2];
	char buf[16];

	pair_init(&p, &clean_link, &no_ts, &srv);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	syn_flood(&p, &t, 10);
	h[0] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, h[0], MS_TCP_ESTABLISHED, 100000));
	pair_run(&p, 10000);
	h[1] = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(h[1], 0);
	ck_assert(conn_of(&p, 1, h[1])->flags & TCP_CF_COOKIE);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ok, 1);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ts, 0);
	ck_assert_int_eq(ms_tcp_info(p.st[1], h[1], &info), 0);
	ck_assert_uint_eq(info.wscale_rcv, 0xff);
	ck_assert_uint_eq(info.wscale_snd, 0xff);
	ck_assert_uint_eq(info.sack, 0);
	ck_assert_uint_eq(info.ts, 0);
	/* The client saw the SYN,ACK offer nothing but the MSS either. */
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_uint_eq(info.wscale_snd, 0xff);
	ck_assert_uint_eq(info.sack, 0);
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "plain", 5), 5);
	pair_run(&p, 100000);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "plain", 5);
	pair_fini(&p);
}
END_TEST

/*
 * The options in the TSecr are covered by the cookie's MAC (docs/tcp.md):
 * an ACK with a good cookie whose TSecr names other options than the
 * SYN,ACK's (window shift 15, "none", where the SYN,ACK said 7; the
 * reserved bit) makes no connection and is reset like a forged cookie;
 * the ACK that echoes the SYN,ACK's TSval makes it.
 */
START_TEST(test_a_cookie_ack_whose_tsecr_names_other_options_is_refused)
{
	struct ms_tcp_config srv = { .syn_backlog = 4 }, cli = { .rcvbuf = 1 << 20 }; /* the client's shift: 5 */
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct tcp_opts ts = { .present = TCP_OPT_TS };
	struct tcp_conn view = { 0 }, *cc;
	struct pair p;
	struct tap t;
	int lh, h;
	uint32_t synack_seq = 0, synack_ts = 0;
	uint64_t rst;

	pair_init(&p, &clean_link, &cli, &srv);
	tap_init(&t, &p);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	syn_flood(&p, &t, 10);
	t.block_pure_ack[0] = 1; /* the client's handshake ACK is the test's to write */
	h = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, h, MS_TCP_ESTABLISHED, 100000));
	for (unsigned i = 0; i < t.nlog[1]; i++)
		if (t.log[1][i].flags == (TCP_SYN | TCP_ACK) && t.log[1][i].ack == conn_of(&p, 0, h)->iss + 1) {
			synack_seq = t.log[1][i].seq;
			synack_ts = t.log[1][i].ts_val;
		}
	ck_assert_uint_eq(synack_ts & 0x3f, 0x10 | 5); /* SACK-permitted, shift 5 */
	t.block[1] = 1;                                /* the server's resets stay on its side */
	cc = conn_of(&p, 0, h);
	view.ep.family = AF_INET; /* the server's view of the client's connection */
	view.ep.lport = cc->ep.rport;
	view.ep.rport = cc->ep.lport;
	memcpy(view.ep.laddr, cc->ep.raddr, 16);
	memcpy(view.ep.raddr, cc->ep.laddr, 16);
	ts.ts_val = tcp_ts_now(p.st[0], cc);
	rst = p.st[1]->stats.rst_sent;
	ts.ts_ecr = (synack_ts & ~0xfu) | 0xf;
	inject_conn(&p, 1, &view, cc->iss + 1, synack_seq + 1, TCP_ACK, 8192, NULL, 0, &ts);
	ts.ts_ecr = synack_ts | 0x20;
	inject_conn(&p, 1, &view, cc->iss + 1, synack_seq + 1, TCP_ACK, 8192, NULL, 0, &ts);
	ts.ts_ecr = synack_ts & ~0x10u;
	inject_conn(&p, 1, &view, cc->iss + 1, synack_seq + 1, TCP_ACK, 8192, NULL, 0, &ts);
	pair_run(&p, 5000);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ok, 0);
	ck_assert_uint_eq(p.st[1]->stats.rst_sent, rst + 3);
	ck_assert_int_eq(ms_tcp_accept(p.st[1], lh, NULL, NULL), -EAGAIN);
	/* The genuine echo. */
	ts.ts_ecr = synack_ts;
	inject_conn(&p, 1, &view, cc->iss + 1, synack_seq + 1, TCP_ACK, 8192, NULL, 0, &ts);
	pair_run(&p, 5000);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ok, 1);
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_ts, 1);
	h = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	ck_assert_int_ge(h, 0);
	ck_assert_uint_eq(conn_of(&p, 1, h)->snd_wscale, 5);
	ck_assert_uint_eq(conn_of(&p, 1, h)->snd_wnd, 8192u << 5);
	ck_assert_uint_eq(conn_of(&p, 1, h)->ts_recent, ts.ts_val);
	pair_fini(&p);
}
END_TEST

/* RFC 5681 4.2 / RFC 1122 4.2.3.2: an ACK for at least every second full segment, else after the delayed-ACK timer. */
START_TEST(test_delayed_ack_acks_every_second_segment_or_after_the_timer)
{
	static uint8_t buf[10 * 1448]; /* ten full segments: MSS 1460 less the 12 bytes of timestamps */
	struct simlink_cfg lc = { .delay_us = 1000, .rate_mbps = 100, .seed = 5 };
	struct pair p;
	struct tap t;
	int lh, h[2];
	unsigned from, acks = 0, data = 0;
	uint64_t seg_at = 0, ack_at = 0;

	pair_init(&p, &lc, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ms_tcp_setopt(p.st[0], h[0], MS_TCP_NODELAY, 1);
	tap_init(&t, &p);
	/* Ten full segments, spaced by the link's rate so that each arrives in its own burst. */
	ck_assert_uint_le(10u * conn_of(&p, 0, h[0])->mss, sizeof(buf));
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, 10u * conn_of(&p, 0, h[0])->mss),
			 (ssize_t)(10u * conn_of(&p, 0, h[0])->mss));
	from = t.nlog[1];
	pair_run(&p, 30000); /* less than the delayed-ACK timer */
	for (unsigned i = 0; i < t.nlog[0]; i++)
		data += t.log[0][i].len > 0;
	acks = tap_count(&t, 1, from, 0);
	ck_assert_uint_eq(data, 10);
	ck_assert_uint_eq(acks, 5);
	/* One segment alone: its ACK waits for the timer (40 ms), not longer than 500 ms. */
	from = t.nlog[1];
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, 100), 100);
	pair_run(&p, 200000);
	for (unsigned i = 0; i < t.nlog[0]; i++)
		if (t.log[0][i].len == 100)
			seg_at = t.log[0][i].t_us;
	for (unsigned i = from; i < t.nlog[1]; i++)
		if (!t.log[1][i].len && !ack_at)
			ack_at = t.log[1][i].t_us;
	ck_assert_uint_gt(ack_at, 0);
	ck_assert_uint_ge(ack_at - seg_at, TCP_DACK_MS * 1000u);
	ck_assert_uint_le(ack_at - seg_at, TCP_DACK_MS * 1000u + 5000);
	pair_fini(&p);
}
END_TEST

/* Small writes: one segment at a time in flight with Nagle (RFC 9293 3.7.4), each at once without. */
static unsigned small_writes(int nodelay)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	unsigned segs = 0;
	char buf[8];

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert_int_eq(ms_tcp_setopt(p.st[0], h[0], MS_TCP_NODELAY, (uint32_t)nodelay), 0);
	tap_init(&t, &p);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "x", 1), 1);
		pair_poll(&p); /* each write goes out with the next poll, if it may */
		simlink_set_now(p.l, simlink_now(p.l) + 100);
	}
	pair_run(&p, 200000);
	for (unsigned i = 0; i < t.nlog[0]; i++)
		segs += t.log[0][i].len > 0;
	ck_assert_int_eq(ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf)), 3);
	pair_fini(&p);
	return segs;
}

START_TEST(test_nagle_holds_small_segments_while_data_is_unacknowledged)
{
	ck_assert_uint_eq(small_writes(0), 2); /* "x", then "xx" once the first is ACKed */
	ck_assert_uint_eq(small_writes(1), 3);
}
END_TEST

/* RFC 7323 2: a 1 MB buffer is offered with a window scale, and the sender uses more than 64 KB of it. */
START_TEST(test_window_scaling_offers_and_uses_a_window_above_64k)
{
	struct ms_tcp_config big = { .rcvbuf = 1 << 20, .sndbuf = 1 << 20 };
	struct simlink_cfg lc = { .delay_us = 5000, .seed = 9 };
	struct ms_tcp_info info;
	struct pair p;
	int lh, h[2];
	uint32_t max_flight = 0;
	static uint8_t buf[1 << 20];

	pair_init(&p, &lc, &big, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert_int_eq(ms_tcp_info(p.st[1], h[1], &info), 0);
	ck_assert_uint_eq(info.wscale_rcv, 5); /* 1 MB >> 5 fits in 16 bits */
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_uint_eq(info.wscale_snd, 5);
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	for (int i = 0; i < 2000; i++) {
		struct tcp_conn *c = conn_of(&p, 0, h[0]);

		if (c->snd_max - c->snd_una > max_flight)
			max_flight = c->snd_max - c->snd_una;
		while (ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf)) > 0)
			;
		pair_step(&p);
	}
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_uint_gt(info.snd_wnd, 65535);
	ck_assert_uint_gt(max_flight, 65535);
	ck_assert_uint_eq(info.bytes_acked, sizeof(buf));
	pair_fini(&p);
}
END_TEST

START_TEST(test_without_window_scaling_the_window_stays_below_64k)
{
	struct ms_tcp_config big = { .rcvbuf = 1 << 20, .flags = MS_TCP_CFG_NO_WSCALE };
	struct ms_tcp_info info;
	struct pair p;
	int lh, h[2];

	pair_init(&p, &clean_link, &big, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_uint_eq(info.wscale_snd, 0xff);
	ck_assert_uint_le(info.snd_wnd, 65535);
	pair_fini(&p);
}
END_TEST

/* ---- limits ---- */

/* A SYN flood from many ports: never more than max_conns connections; the rest are answered with cookies. */
START_TEST(test_max_conns_holds_under_a_syn_flood)
{
	struct ms_tcp_config srv = { .max_conns = 16, .syn_backlog = 1000 };
	struct ms_tcp_addr la = addr_of(1, 80);
	struct pair p;
	struct tcp_endpoints ep = {
		.family = AF_INET, .lport = 80, .laddr = { 10, 0, 0, 2 }, .raddr = { 10, 0, 0, 1 }
	};
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1460 };
	uint8_t frame[256], opt[40];
	struct tcp_hdr_out hd = { .ep = &ep, .flags = TCP_SYN, .wnd = 65535, .opt = opt };
	struct tap t;

	pair_init(&p, &clean_link, NULL, &srv);
	ck_assert_int_ge(ms_tcp_listen(p.st[1], &la, 1000, NULL), 0);
	/* The frames come from the client's address, written by hand; the client stack's answers (resets
	 * to SYN-ACKs it never asked for) are held back so that the embryos stay. */
	tap_init(&t, &p);
	t.block[0] = 1;
	hd.optlen = (uint8_t)tcp_opt_write(opt, sizeof(opt), &o);
	hd.src_mac = simlink_io(p.l, 0)->mac;
	hd.dst_mac = simlink_io(p.l, 1)->mac;
	for (uint32_t i = 0; i < 500; i++) {
		struct tcp_endpoints from = ep;

		from.lport = (uint16_t)(10000 + i);
		from.rport = 80;
		memcpy(from.laddr, ep.raddr, 16);
		memcpy(from.raddr, ep.laddr, 16);
		hd.ep = &from;
		hd.seq = i * 7919u;
		simlink_inject(p.l, 1, frame, tcp_ip_build(frame, &hd, 0));
		if (i % 50 == 0)
			pair_run(&p, 1000);
		ck_assert_uint_le(p.st[1]->tab.count, 16);
	}
	pair_run(&p, 100000);
	ck_assert_uint_le(p.st[1]->tab.count, 16);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nsyn, 15);
	ck_assert_uint_ge(p.st[1]->stats.syn_cookies_sent, 485);
	pair_fini(&p);
}
END_TEST

/*
 * One connection of a churn: the client connects, the server accepts, side closer closes first (it
 * will hold TIME_WAIT), the other sees the end of the stream and closes. The closer's view of the
 * connection goes to *ep.
 */
static void churn_one(struct pair *p, int lh, int closer, struct tcp_endpoints *ep)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	int h[2], other = !closer;

	h[0] = ms_tcp_connect(p->st[0], &ca, &la, NULL);
	ck_assert_int_ge(h[0], 0);
	h[1] = -EAGAIN;
	for (int i = 0; i < 100 && h[1] == -EAGAIN; i++) {
		pair_step_to(p, simlink_now(p->l) + 1000); /* not as far as the next timer: TIME_WAIT's end */
		h[1] = ms_tcp_accept(p->st[1], lh, NULL, NULL);
	}
	ck_assert_int_ge(h[1], 0);
	*ep = conn_of(p, closer, h[closer])->ep;
	ck_assert_int_eq(ms_tcp_close(p->st[closer], h[closer]), 0);
	ck_assert(pair_until_state(p, other, h[other], MS_TCP_CLOSE_WAIT, 1000000));
	ck_assert_int_eq(ms_tcp_close(p->st[other], h[other]), 0);
	pair_run(p, 20000);
	ck_assert_int_eq(tcp_conn_lookup(&p->st[closer]->tab, ep)->state, MS_TCP_TIME_WAIT);
}

/*
 * A server under connection churn closes first and holds every TIME_WAIT:
 * with its table full of them, a new SYN takes the slot of the oldest (as
 * Linux recycles timewait buckets) instead of being answered with a cookie;
 * the newer entries stay in TIME_WAIT, and the reclaimed ones are counted.
 */
START_TEST(test_a_syn_on_a_full_table_reclaims_the_oldest_time_wait_slot)
{
	struct ms_tcp_config srv = { .max_conns = 4 }; /* the listener and 3 connections */
	struct ms_tcp_addr la = addr_of(1, 80);
	struct tcp_endpoints ep[10];
	struct pair p;
	int lh;

	pair_init(&p, &clean_link, NULL, &srv);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	ck_assert_int_ge(lh, 0);
	for (int i = 0; i < 10; i++) {
		churn_one(&p, lh, 1, &ep[i]);
		ck_assert_uint_eq(p.st[1]->tab.count, i < 3 ? (uint32_t)i + 2 : 4);
		ck_assert_uint_eq(p.st[1]->stats.time_wait_reclaimed, i < 3 ? 0 : (uint32_t)i - 2);
		/* The oldest went first: the three newest remain, in TIME_WAIT. */
		for (int k = 0; k <= i; k++) {
			struct tcp_conn *c = tcp_conn_lookup(&p.st[1]->tab, &ep[k]);

			if (k > i - 3)
				ck_assert(c && c->state == MS_TCP_TIME_WAIT);
			else
				ck_assert_ptr_null(c);
		}
	}
	ck_assert_uint_eq(p.st[1]->stats.syn_cookies_sent, 0); /* every connection had a slot, with its options */
	pair_fini(&p);
}
END_TEST

/* The same for an active open: a connect on a full table takes the oldest TIME_WAIT slot, and fails
 * with -ENOSPC only when none is free to go (held by a handle). */
START_TEST(test_a_connect_on_a_full_table_reclaims_the_oldest_time_wait_slot)
{
	struct ms_tcp_config cli = { .max_conns = 2 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct tcp_endpoints ep[4];
	struct pair p;
	int lh, h0, h1;

	pair_init(&p, &clean_link, &cli, NULL);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	ck_assert_int_ge(lh, 0);
	for (int i = 0; i < 4; i++) {
		churn_one(&p, lh, 0, &ep[i]);
		ck_assert_uint_eq(p.st[0]->tab.count, i < 2 ? (uint32_t)i + 1 : 2);
	}
	ck_assert_uint_eq(p.st[0]->stats.time_wait_reclaimed, 2);
	ck_assert_ptr_null(tcp_conn_lookup(&p.st[0]->tab, &ep[1]));
	ck_assert_ptr_nonnull(tcp_conn_lookup(&p.st[0]->tab, &ep[2]));
	ck_assert_ptr_nonnull(tcp_conn_lookup(&p.st[0]->tab, &ep[3]));
	/* Two open connections fill the table: nothing in TIME_WAIT, no slot. */
	h0 = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(h0, 0);
	h1 = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(h1, 0);
	ck_assert_ptr_null(tcp_conn_lookup(&p.st[0]->tab, &ep[3]));
	ck_assert_int_eq(ms_tcp_connect(p.st[0], &ca, &la, NULL), -ENOSPC);
	ck_assert_uint_eq(p.st[0]->stats.time_wait_reclaimed, 4);
	pair_fini(&p);
}
END_TEST

/* A ring given back is kept and handed to the next ring of its capacity, send or receive, instead of malloc. */
START_TEST(test_free_rings_are_reused_before_malloc)
{
	struct tcp_mem m = { .max = 1 << 20 };
	struct tcp_sndbuf a = { 0 }, b = { 0 };
	struct tcp_rcvbuf r = { 0 };
	char out[6] = "";
	uint8_t *first;

	ck_assert_int_eq(tcp_sndbuf_append(&a, &m, 4096, "x", 1), 1);
	first = a.buf;
	tcp_sndbuf_free(&a, &m);
	ck_assert_uint_eq(m.used, 0);
	ck_assert_uint_eq(m.cached, 4096);
	ck_assert_uint_eq(m.nfree, 1);
	ck_assert_int_eq(tcp_rcvbuf_ensure(&r, &m, 4096), 0);
	ck_assert_ptr_eq(r.buf, first);
	ck_assert_uint_eq(m.reused, 1);
	ck_assert_uint_eq(m.used, 4096);
	ck_assert_uint_eq(m.cached, 0);
	ck_assert_uint_eq(m.nfree, 0);
	/* The reused ring is a ring like any other (the list's link in its first bytes is overwritten). */
	tcp_rcvbuf_write(&r, 0, "hello", 5);
	tcp_rcvbuf_read(&r, out, 5);
	ck_assert_str_eq(out, "hello");
	tcp_rcvbuf_free(&r, &m);
	/* Another capacity is a miss: malloc, and the kept ring of the other size is dropped, not hoarded. */
	ck_assert_int_eq(tcp_sndbuf_append(&b, &m, 8192, "y", 1), 1);
	ck_assert_uint_eq(m.reused, 1);
	ck_assert_uint_eq(m.nfree, 0);
	ck_assert_uint_eq(m.cached, 0);
	ck_assert_uint_eq(m.used, 8192);
	tcp_sndbuf_free(&b, &m);
	ck_assert_uint_eq(m.nfree, 1);
	tcp_mem_fini(&m);
	ck_assert_uint_eq(m.nfree, 0);
	ck_assert_uint_eq(m.cached, 0);
}
END_TEST

/* At most TCP_MEM_FREE_MAX rings are kept, and kept rings count against max: they give way to a ring in use. */
START_TEST(test_the_free_list_is_bounded_and_counted_in_mem_max)
{
	enum { CAP = 4096, N = 100 };
	struct tcp_mem m = { .max = N * CAP };
	static struct tcp_sndbuf b[N + 1], big;

	memset(b, 0, sizeof(b));
	memset(&big, 0, sizeof(big));
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(tcp_sndbuf_append(&b[i], &m, CAP, "x", 1), 1);
	ck_assert_int_eq(tcp_sndbuf_append(&b[N], &m, CAP, "x", 1), -ENOBUFS);
	ck_assert_uint_eq(m.refused, 1);
	for (int i = 0; i < N; i++)
		tcp_sndbuf_free(&b[i], &m);
	ck_assert_uint_eq(m.used, 0);
	ck_assert_uint_eq(m.nfree, TCP_MEM_FREE_MAX);
	ck_assert_uint_eq(m.cached, (uint64_t)TCP_MEM_FREE_MAX * CAP);
	/* 80 rings' worth in one: the kept rings are freed until used + cached fits max again. */
	ck_assert_int_eq(tcp_sndbuf_append(&big, &m, 80 * CAP, "x", 1), 1);
	ck_assert_uint_eq(m.used, 80 * CAP);
	ck_assert_uint_le(m.used + m.cached, m.max);
	ck_assert_uint_eq(m.nfree, 20);
	ck_assert_uint_eq(m.refused, 1);
	tcp_sndbuf_free(&big, &m);
	ck_assert_uint_le(m.used + m.cached, m.max);
	tcp_mem_fini(&m);
	ck_assert_uint_eq(m.nfree, 0);
	ck_assert_uint_eq(m.cached, 0);
}
END_TEST

/* One request per connection: after the first, each connection's rings come from the free list, none from malloc. */
START_TEST(test_connections_one_after_another_reuse_their_rings)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	enum { ROUNDS = 6 };
	uint64_t reused_after_first = 0;
	uint32_t kept_after_first = 0;
	struct pair p;
	int lh;

	pair_init(&p, &clean_link, NULL, NULL);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	ck_assert_int_ge(lh, 0);
	for (int i = 0; i < ROUNDS; i++) {
		char buf[64];
		int ch = ms_tcp_connect(p.st[0], &ca, &la, NULL), sh = -EAGAIN;

		ck_assert_int_ge(ch, 0);
		while (sh == -EAGAIN) {
			pair_step(&p);
			sh = ms_tcp_accept(p.st[1], lh, NULL, NULL);
		}
		ck_assert_int_ge(sh, 0);
		ck_assert(pair_until_state(&p, 0, ch, MS_TCP_ESTABLISHED, 60000000));
		ck_assert_int_eq(ms_tcp_send(p.st[0], ch, "GET /", 5), 5);
		pair_run(&p, 10000);
		ck_assert_int_eq(ms_tcp_recv(p.st[1], sh, buf, sizeof(buf)), 5);
		ck_assert_int_eq(ms_tcp_send(p.st[1], sh, "200 OK", 6), 6);
		ck_assert_int_eq(ms_tcp_close(p.st[1], sh), 0);
		pair_run(&p, 10000);
		ck_assert_int_eq(ms_tcp_recv(p.st[0], ch, buf, sizeof(buf)), 6);
		ck_assert_int_eq(ms_tcp_close(p.st[0], ch), 0);
		pair_run(&p, 10000);
		/*
		 * Nothing in use on the server, and its rings kept, not freed: the
		 * same ones each round (the receive ring, drained by the read, even
		 * carries the answer), two rings taken and both from the list.
		 */
		ck_assert_uint_eq(p.st[1]->mem.used, 0);
		ck_assert_uint_ge(p.st[1]->mem.nfree, 1);
		if (i == 0) {
			reused_after_first = p.st[1]->mem.reused;
			kept_after_first = p.st[1]->mem.nfree;
		}
		ck_assert_uint_eq(p.st[1]->mem.nfree, kept_after_first);
	}
	ck_assert_uint_eq(p.st[1]->mem.reused - reused_after_first, 2 * (ROUNDS - 1));
	pair_fini(&p);
}
END_TEST

/* Connections that send to a reader who never reads: the stack's buffers never exceed mem_max. */
START_TEST(test_buffered_bytes_stay_within_mem_max)
{
	struct ms_tcp_config srv = { .mem_max = 200000, .rcvbuf = 65536 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	static uint8_t buf[200000];
	struct pair p;
	int lh, c[8];

	pair_init(&p, &clean_link, NULL, &srv);
	lh = ms_tcp_listen(p.st[1], &la, 16, NULL);
	for (int i = 0; i < 8; i++)
		c[i] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	for (int k = 0; k < 3000; k++) {
		for (int i = 0; i < 8; i++)
			if (conn_state(&p, 0, c[i]) == MS_TCP_ESTABLISHED)
				ms_tcp_send(p.st[0], c[i], buf, sizeof(buf));
		while (ms_tcp_accept(p.st[1], lh, NULL, NULL) >= 0)
			;
		pair_step(&p);
		ck_assert_uint_le(p.st[1]->mem.used, 200000);
	}
	ck_assert_uint_eq(p.st[1]->mem.used, 3 * 65536u); /* three receive buffers fit; a fourth would pass the limit */
	ck_assert_uint_gt(p.st[1]->stats.rx_no_mem, 0);
	ck_assert_uint_gt(p.st[1]->mem.refused, 0);
	pair_fini(&p);
}
END_TEST

/* Out-of-order segments that each need a range of their own: at most reass_max ranges, the rest dropped. */
START_TEST(test_reassembly_ranges_are_bounded)
{
	struct ms_tcp_config srv = { .reass_max = 4 };
	struct pair p;
	int lh, h[2];
	struct tcp_conn *c;

	pair_init(&p, &clean_link, NULL, &srv);
	pair_connect(&p, &lh, &h[0], &h[1]);
	c = conn_of(&p, 1, h[1]);
	for (uint32_t i = 0; i < 40; i++) {
		struct tcp_opts o = ts_opt(&p, 1, h[1], 0);

		inject(&p, 1, h[1], c->rcv_nxt + 2 + 10 * i, c->snd_nxt, TCP_ACK, "abcde", 5, &o);
	}
	pair_run(&p, 10000);
	ck_assert_ptr_nonnull(c->rx);
	ck_assert_uint_eq(c->rx->reass.n, 4);
	ck_assert_uint_eq(p.st[1]->stats.rx_ooo_dropped, 36);
	ck_assert_int_eq(conn_state(&p, 1, h[1]), MS_TCP_ESTABLISHED);
	pair_fini(&p);
}
END_TEST

/* Random segments aimed at a listener and a connection (flags, numbers, options, lengths): the limits hold, nothing
 * breaks. */
START_TEST(test_random_segments_break_nothing)
{
	struct ms_tcp_config srv = { .max_conns = 32, .mem_max = 1 << 20, .reass_max = 8 };
	struct pair p;
	struct tap t;
	int lh, h[2];
	uint64_t x = 0x2545f4914f6cdd1dull + (uint64_t)_i;
	static uint8_t data[1400];

	pair_init(&p, &clean_link, NULL, &srv);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	t.block[0] = 1; /* the client stays out of it: only the hand-made segments reach the server */
	for (int i = 0; i < 3000; i++) {
		struct tcp_conn *c = conn_of(&p, 1, h[1]);
		struct tcp_opts o = { 0 };
		uint32_t r[6];
		uint8_t flags;

		for (int k = 0; k < 6; k++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			r[k] = (uint32_t)((x * 2685821657736338717ull) >> 32);
		}
		if (!c || c->state == MS_TCP_CLOSED)
			break;
		flags = (uint8_t)(r[0] & 0x1f) | TCP_ACK * !!(r[0] & 0x100);
		if (r[0] & 0x200) {
			o.present |= TCP_OPT_TS;
			o.ts_val = c->ts_recent + (r[1] & 0xff) - 64;
		}
		if (r[0] & 0x400) {
			o.present |= TCP_OPT_SACK;
			o.nsack = 1 + (r[1] >> 8) % 3;
			for (unsigned k = 0; k < o.nsack; k++) {
				o.sack[k].start = c->snd_una + (r[2] >> (k * 8) & 0xff) * 100;
				o.sack[k].end = o.sack[k].start + (r[3] & 0xfff);
			}
		}
		/* Mostly near the window, sometimes anywhere; RST only off RCV.NXT, so that the connection lives. */
		{
			uint32_t seq = r[4] & 1 ? r[4] : c->rcv_nxt + (r[4] >> 8) % 300000 - 1000;

			if ((r[4] & 6) == 0)
				seq = c->rcv_nxt;

			if ((flags & TCP_RST) && seq == c->rcv_nxt)
				seq++;
			inject(&p, 1, h[1], seq, r[5] & 1 ? r[5] : c->snd_una + (r[5] >> 8) % 3000 - 1500, flags, data,
			       r[3] >> 20 > 1400 ? 0 : r[3] >> 20, o.present ? &o : NULL);
		}
		if (i % 16 == 0)
			pair_run(&p, 1000);
		ck_assert_uint_le(p.st[1]->tab.count, 32);
		ck_assert_uint_le(p.st[1]->mem.used, 1 << 20);
	}
	pair_run(&p, 100000);
	pair_fini(&p);
}
END_TEST

/* ---- events ---- */

/* Edge style: readable once when data arrives, not again until more arrives; WRITE when a full buffer drains. */
START_TEST(test_events_are_reported_once_per_change)
{
	struct ms_tcp_config small = { .sndbuf = 4096 };
	static uint8_t buf[8192];
	struct pair p;
	int lh, h[2];

	pair_init(&p, &clean_link, &small, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	memset(p.ev, 0, sizeof(p.ev));
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "abc", 3), 3);
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.ev[1][h[1]], MS_TCP_EV_READ);
	memset(p.ev, 0, sizeof(p.ev));
	pair_run(&p, 100000);
	ck_assert_uint_eq(p.ev[1][h[1]], 0);
	/* A send that does not fit entirely, then WRITE once the ACKs free the buffer. */
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, sizeof(buf)), 4096);
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, sizeof(buf)), -EAGAIN);
	pair_run(&p, 100000);
	ck_assert(p.ev[0][h[0]] & MS_TCP_EV_WRITE);
	pair_fini(&p);
}
END_TEST

/* ---- ICMP, IPv6, keepalive, closing with unread data ---- */

/* An ICMPv4 error from a router (10.0.0.254) to side to, quoting a segment of its connection h at seq. */
static void inject_icmp4(struct pair *p, int to, int h, uint8_t type, uint8_t code, uint16_t mtu, uint32_t seq)
{
	struct tcp_conn *c = conn_of(p, to, h);
	uint8_t f[14 + 20 + 8 + 28] = { 0 }, *ip = f + 14, *icmp = ip + 20, *q = icmp + 8;
	uint16_t sum;

	memcpy(f, simlink_io(p->l, to)->mac, 6);
	memcpy(f + 6, simlink_io(p->l, !to)->mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = sizeof(f) - 14;
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 254 }, 4);
	memcpy(ip + 16, c->ep.laddr, 4);
	sum = (uint16_t)~ms_csum_fold(ms_csum_add(ip, 20, 0));
	memcpy(ip + 10, &sum, 2);
	icmp[0] = type;
	icmp[1] = code;
	icmp[6] = (uint8_t)(mtu >> 8);
	icmp[7] = (uint8_t)mtu;
	/* The quoted segment: our IPv4 header and the first 8 bytes of TCP (ports, sequence). */
	q[0] = 0x45;
	q[3] = 40;
	q[6] = 0x40;
	q[8] = 64;
	q[9] = IPPROTO_TCP;
	memcpy(q + 12, c->ep.laddr, 4);
	memcpy(q + 16, c->ep.raddr, 4);
	q[20] = (uint8_t)(c->ep.lport >> 8);
	q[21] = (uint8_t)c->ep.lport;
	q[22] = (uint8_t)(c->ep.rport >> 8);
	q[23] = (uint8_t)c->ep.rport;
	q[24] = (uint8_t)(seq >> 24);
	q[25] = (uint8_t)(seq >> 16);
	q[26] = (uint8_t)(seq >> 8);
	q[27] = (uint8_t)seq;
	sum = (uint16_t)~ms_csum_fold(ms_csum_add(icmp, 8 + 28, 0));
	memcpy(icmp + 2, &sum, 2);
	simlink_inject(p->l, to, f, sizeof(f));
}

/* RFC 1191 / RFC 5927: "fragmentation needed" about a segment in flight lowers the MSS; data goes on in smaller
 * segments. */
START_TEST(test_icmp_fragmentation_needed_lowers_the_mss)
{
	static uint8_t buf[30000];
	struct pair p;
	struct tap t;
	int lh, h[2];
	struct tcp_conn *c;
	unsigned from;
	ssize_t n;
	uint64_t got = 0;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	c = conn_of(&p, 0, h[0]);
	t.block[0] = 1; /* the data is "lost" on the big-MTU hop */
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	pair_run(&p, 1000);
	/* A forged error quoting a sequence number that is not in flight is ignored. */
	inject_icmp4(&p, 0, h[0], 3, 4, 1000, c->snd_max + 100000);
	pair_run(&p, 1000);
	ck_assert_uint_eq(c->peer_mss, 1460);
	inject_icmp4(&p, 0, h[0], 3, 4, 1000, c->snd_una);
	t.block[0] = 0;
	from = t.nlog[0];
	pair_run(&p, 1000);
	ck_assert_uint_eq(c->peer_mss, tcp_ip_mss_for_mtu(AF_INET, 1000));
	ck_assert_uint_eq(c->mss, tcp_ip_mss_for_mtu(AF_INET, 1000) - TCP_TS_OPTLEN);
	for (int i = 0; i < 1000 && got < sizeof(buf); i++) {
		while ((n = ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf))) > 0)
			got += (uint64_t)n;
		pair_step(&p);
	}
	ck_assert_uint_eq(got, sizeof(buf));
	for (unsigned i = from; i < t.nlog[0]; i++)
		ck_assert_uint_le(t.log[0][i].len, 960 - TCP_TS_OPTLEN);
	pair_fini(&p);
}
END_TEST

/*
 * A connect whose SYNs never reach the peer (t blocks side 0's output) answered by an ICMP
 * destination unreachable with this code, quoting the SYN. Returns the connection's handle.
 */
static int connect_answered_by_icmp_unreachable(struct pair *p, struct tap *t, uint8_t code)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	int ch;

	pair_init(p, &clean_link, NULL, NULL);
	tap_init(t, p);
	t->block[0] = 1;
	ch = ms_tcp_connect(p->st[0], &ca, &la, NULL);
	ck_assert_int_ge(ch, 0);
	pair_run(p, 1000);
	ck_assert_int_eq(conn_state(p, 0, ch), MS_TCP_SYN_SENT);
	inject_icmp4(p, 0, ch, 3, code, 0, conn_of(p, 0, ch)->iss);
	pair_run(p, 1000);
	return ch;
}

/* RFC 1122 4.2.3.9: a hard error (port unreachable) aborts a connection that is still opening. */
START_TEST(test_icmp_port_unreachable_aborts_an_opening_connection)
{
	struct pair p;
	struct tap t;
	int ch = connect_answered_by_icmp_unreachable(&p, &t, 3);

	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_CLOSED);
	ck_assert_int_eq(ms_tcp_error(p.st[0], ch), -ECONNREFUSED);
	pair_fini(&p);
}
END_TEST

/*
 * RFC 1122 4.2.3.9: host unreachable (a soft error) does not abort a connection that is opening; it is
 * remembered, shown in ms_tcp_info, and is the error of the connect that then times out (instead of
 * -ETIMEDOUT, as Linux reports it).
 */
START_TEST(test_a_connect_that_times_out_after_a_soft_error_fails_with_it)
{
	struct ms_tcp_info info;
	struct pair p;
	struct tap t;
	int ch = connect_answered_by_icmp_unreachable(&p, &t, 1);

	ck_assert_int_eq(conn_state(&p, 0, ch), MS_TCP_SYN_SENT);
	ck_assert_int_eq(ms_tcp_error(p.st[0], ch), 0);
	ck_assert_int_eq(ms_tcp_info(p.st[0], ch, &info), 0);
	ck_assert_int_eq(info.soft_error, -EHOSTUNREACH);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_CLOSED, 300000000));
	ck_assert_int_eq(ms_tcp_error(p.st[0], ch), -EHOSTUNREACH);
	ck_assert(p.ev[0][ch] & MS_TCP_EV_ERROR);
	pair_fini(&p);
}
END_TEST

/*
 * RFC 1122 4.2.3.9 and RFC 5461 4: on an established connection time exceeded (soft) and even port
 * unreachable (hard, but the connection is synchronized) are only remembered: the last one is shown
 * in ms_tcp_info until the peer acknowledges data again (the path works).
 */
START_TEST(test_icmp_errors_on_an_established_connection_are_reported_not_fatal)
{
	struct ms_tcp_info info;
	struct pair p;
	struct tap t;
	int lh, h[2];
	struct tcp_conn *c;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	c = conn_of(&p, 0, h[0]);
	t.block[0] = 1;
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "hello", 5), 5);
	pair_run(&p, 1000);
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_int_eq(info.soft_error, 0);
	inject_icmp4(&p, 0, h[0], 11, 0, 0, c->snd_una);
	pair_run(&p, 1000);
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_int_eq(info.soft_error, -EHOSTUNREACH);
	inject_icmp4(&p, 0, h[0], 3, 3, 0, c->snd_una);
	pair_run(&p, 1000);
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_int_eq(info.soft_error, -ECONNREFUSED);
	ck_assert_int_eq(info.state, MS_TCP_ESTABLISHED);
	ck_assert_int_eq(ms_tcp_error(p.st[0], h[0]), 0);
	t.block[0] = 0; /* the path heals: the retransmission is acknowledged */
	pair_run(&p, 2000000);
	ck_assert_uint_eq(c->snd_una, c->snd_max);
	ck_assert_int_eq(ms_tcp_info(p.st[0], h[0], &info), 0);
	ck_assert_int_eq(info.soft_error, 0);
	pair_fini(&p);
}
END_TEST

START_TEST(test_a_stream_over_ipv6)
{
	struct ms_tcp_addr la = { .family = AF_INET6, .port = 443, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
	struct ms_tcp_addr ca = { .family = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	struct pair p;
	int lh, h[2] = { -1, -1 };

	pair_init(&p, &clean_link, NULL, NULL);
	lh = ms_tcp_listen(p.st[1], &la, 4, NULL);
	ck_assert_int_ge(lh, 0);
	h[0] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert_int_ge(h[0], 0);
	for (int i = 0; i < 100 && h[1] < 0; i++) {
		pair_step(&p);
		h[1] = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	}
	ck_assert_int_ge(h[1], 0);
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->peer_mss, 1440); /* 1500 - 40 - 20 */
	ck_assert_uint_eq(conn_of(&p, 0, h[0])->mss, 1440 - TCP_TS_OPTLEN);
	bulk_transfer(&p, h, 1u << 20, 60000000);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

/* RFC 1122 4.2.3.6: after the idle time, probes; a peer that answers keeps the connection, a silent one ends it. */
START_TEST(test_keepalive_probes_an_idle_connection)
{
	struct pair p;
	struct tap t;
	int lh, h[2];
	unsigned probes = 0;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	tap_init(&t, &p);
	ck_assert_int_eq(ms_tcp_setopt(p.st[0], h[0], MS_TCP_KEEPALIVE, 10), 0);
	pair_run(&p, 25000000);
	for (unsigned i = 0; i < t.nlog[0]; i++)
		probes += !t.log[0][i].len && t.log[0][i].seq == conn_of(&p, 0, h[0])->snd_una - 1;
	ck_assert_uint_eq(probes, 2); /* at 10 s and 20 s, each answered */
	ck_assert_int_eq(conn_state(&p, 0, h[0]), MS_TCP_ESTABLISHED);
	t.block[1] = 1;
	ck_assert(pair_until_state(&p, 0, h[0], MS_TCP_CLOSED, 20ull * 60 * 1000000));
	ck_assert_int_eq(ms_tcp_error(p.st[0], h[0]), -ETIMEDOUT);
	pair_fini(&p);
}
END_TEST

/* A side's tx ring that the test can fill: every other operation goes to the simulated link. */
struct full_ring {
	struct tcp_io inner;
	int full;
};

static unsigned full_ring_rx_burst(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct full_ring *r = ctx;

	return r->inner.ops->rx_burst(r->inner.ctx, pkts, n);
}

static void full_ring_rx_release(void *ctx, unsigned k)
{
	struct full_ring *r = ctx;

	r->inner.ops->rx_release(r->inner.ctx, k);
}

static unsigned full_ring_tx_alloc(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct full_ring *r = ctx;

	return r->full ? 0 : r->inner.ops->tx_alloc(r->inner.ctx, pkts, n);
}

static void full_ring_tx_send(void *ctx, const struct ms_pkt *pkts, unsigned k)
{
	struct full_ring *r = ctx;

	r->inner.ops->tx_send(r->inner.ctx, pkts, k);
}

static uint64_t full_ring_now(void *ctx)
{
	struct full_ring *r = ctx;

	return r->inner.ops->now_us(r->inner.ctx);
}

static const struct tcp_io_ops full_ring_ops = {
	.rx_burst = full_ring_rx_burst,
	.rx_release = full_ring_rx_release,
	.tx_alloc = full_ring_tx_alloc,
	.tx_send = full_ring_tx_send,
	.now_us = full_ring_now,
};

/*
 * A FIN (or any segment) that met a full tx ring is sent once the ring has
 * room, at the next poll: a connection closed in that moment still closes
 * (RFC 9293 3.10.4), it does not wait in FIN_WAIT_1 for a timer that its
 * unsent FIN never started.
 */
START_TEST(test_output_that_met_a_full_tx_ring_goes_at_the_next_poll)
{
	struct full_ring r;
	struct pair p;
	uint8_t buf[16];
	int lh, h[2];

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	r.inner = p.st[0]->io;
	r.full = 1;
	p.st[0]->io.ops = &full_ring_ops;
	p.st[0]->io.ctx = &r;
	ck_assert_int_eq(ms_tcp_close(p.st[0], h[0]), 0);
	ck_assert_int_ge(ms_tcp_poll(p.st[0], NULL, 0), 0);
	ck_assert_uint_gt(p.st[0]->stats.tx_ring_full, 0);
	ck_assert_int_eq(ms_tcp_timeout(p.st[0]), 0); /* something to send: poll again soon */
	r.full = 0;
	pair_run(&p, 1000000);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], h[1], buf, sizeof(buf)), 0); /* the FIN arrived */
	ck_assert_int_eq(ms_tcp_close(p.st[1], h[1]), 0);
	pair_run(&p, 70000000); /* past TIME_WAIT */
	ck_assert_uint_eq(p.st[0]->tab.count, 0);
	ck_assert_uint_eq(p.st[1]->tab.count, 1); /* the listener */
	pair_fini(&p);
}
END_TEST

/*
 * RFC 9293 3.3.1, SND.UNA <= SND.NXT: the server's SYN,ACK times out while
 * its tx ring is full (its retransmission waits), then the client's ACK of
 * the first one arrives. The connection is established and its data
 * leaves after the SYN, as if the retransmission had never been due.
 */
START_TEST(test_ack_of_a_syn_whose_retransmission_waits_establishes_cleanly)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct full_ring r;
	struct pair p;
	struct tap t;
	uint8_t buf[16];
	int lh, ch, sh = -EAGAIN;
	ssize_t n = -EAGAIN;

	pair_init(&p, &clean_link, NULL, NULL);
	tap_init(&t, &p);
	t.block_pure_ack[0] = 1; /* the client's ACK of the SYN,ACK is lost */
	lh = ms_tcp_listen(p.st[1], &la, 4, NULL);
	ch = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, ch, MS_TCP_ESTABLISHED, 100000));
	r.inner = p.st[1]->io;
	r.full = 1;
	p.st[1]->io.ops = &full_ring_ops;
	p.st[1]->io.ctx = &r;
	pair_run(&p, 1500000); /* the server's SYN,ACK times out; its retransmission meets the full ring */
	ck_assert_uint_gt(p.st[1]->stats.timeouts, 0);
	t.block_pure_ack[0] = 0;
	ck_assert_int_eq(ms_tcp_send(p.st[0], ch, "hello", 5), 5); /* its ACK establishes the server's side */
	for (int i = 0; i < 100 && sh < 0; i++) {
		pair_step(&p);
		sh = ms_tcp_accept(p.st[1], lh, NULL, NULL);
	}
	ck_assert_int_ge(sh, 0);
	r.full = 0;
	ck_assert_int_eq(ms_tcp_send(p.st[1], sh, "world", 5), 5);
	for (int i = 0; i < 1000 && n == -EAGAIN; i++) {
		pair_step(&p);
		n = ms_tcp_recv(p.st[0], ch, buf, sizeof(buf));
	}
	ck_assert_int_eq(n, 5);
	ck_assert_mem_eq(buf, "world", 5);
	ck_assert_int_eq(ms_tcp_recv(p.st[1], sh, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	pair_fini(&p);
}
END_TEST

/* Closing with unread data resets (RFC 2525 2.17); closing a listener resets what was never accepted. */
START_TEST(test_close_with_unread_data_or_unaccepted_connections_resets)
{
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	int lh, h[2], c2;

	pair_init(&p, &clean_link, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	ck_assert_int_eq(ms_tcp_send(p.st[0], h[0], "unread", 6), 6);
	pair_run(&p, 10000);
	ck_assert_int_eq(ms_tcp_close(p.st[1], h[1]), 0);
	ck_assert(pair_until_state(&p, 0, h[0], MS_TCP_CLOSED, 100000));
	ck_assert_int_eq(ms_tcp_error(p.st[0], h[0]), -ECONNRESET);
	c2 = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	ck_assert(pair_until_state(&p, 0, c2, MS_TCP_ESTABLISHED, 100000));
	pair_run(&p, 10000);
	ck_assert_uint_eq(p.st[1]->tab.listener[0]->nacc, 1);
	ck_assert_int_eq(ms_tcp_close(p.st[1], lh), 0);
	ck_assert(pair_until_state(&p, 0, c2, MS_TCP_CLOSED, 100000));
	ck_assert_int_eq(ms_tcp_error(p.st[0], c2), -ECONNRESET);
	pair_poll(&p);
	ck_assert_uint_eq(p.st[1]->tab.count, 0);
	pair_fini(&p);
}
END_TEST

/* A tx ring that fills: what did not fit leaves at the next poll, nothing is lost or reordered. */
START_TEST(test_a_full_tx_ring_delays_output_and_loses_nothing)
{
	struct simlink_cfg lc = { .delay_us = 500, .tx_ring = 4, .seed = 11 };
	struct pair p;
	int lh, h[2];

	pair_init(&p, &lc, NULL, NULL);
	pair_connect(&p, &lh, &h[0], &h[1]);
	bulk_transfer(&p, h, 1u << 20, 60000000);
	ck_assert_uint_gt(p.st[0]->stats.tx_ring_full, 0);
	ck_assert_uint_gt(p.st[1]->stats.tx_ring_full, 0);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	close_and_drain(&p, h);
	pair_fini(&p);
}
END_TEST

/* Eight connections owed an ACK in the same poll, a tx ring of two: the other six are ACKed at the next polls, not
 * after an RTO. */
START_TEST(test_acks_that_do_not_fit_the_tx_ring_go_at_the_next_poll)
{
	struct simlink_cfg lc = { .delay_us = 500, .tx_ring = 2, .seed = 12 };
	struct ms_tcp_addr la = addr_of(1, 80), ca = addr_of(0, 0);
	struct pair p;
	int c[8];

	pair_init(&p, &lc, NULL, NULL);
	ck_assert_int_ge(ms_tcp_listen(p.st[1], &la, 16, NULL), 0);
	for (int i = 0; i < 8; i++)
		c[i] = ms_tcp_connect(p.st[0], &ca, &la, NULL);
	for (int i = 0; i < 8; i++)
		ck_assert(pair_until_state(&p, 0, c[i], MS_TCP_ESTABLISHED, 1000000));
	pair_run(&p, 500000);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(ms_tcp_send(p.st[0], c[i], "x", 1), 1);
	pair_run(&p, 150000); /* the delayed ACKs fire together at 40 ms; the RTO is 200 ms or more */
	ck_assert_uint_gt(p.st[1]->stats.tx_ring_full, 0);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(conn_of(&p, 0, c[i])->snd_una, conn_of(&p, 0, c[i])->snd_max);
	ck_assert_uint_eq(p.st[0]->stats.timeouts, 0);
	pair_fini(&p);
}
END_TEST

static Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc;

	tc = tcase_create("wheel");
	tcase_add_test(tc, test_wheel_fires_each_timer_at_its_millisecond);
	tcase_add_test(tc, test_wheel_keeps_far_timers_until_their_turn);
	tcase_add_test(tc, test_wheel_random_deadlines_fire_once_on_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("streams");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_several_megabytes_arrive_intact_both_ways_over_a_clean_link);
	tcase_add_loop_test(tc, test_streams_survive_a_bad_link, 0, 4);
	tcase_add_loop_test(tc, test_streams_survive_loss_without_sack_and_timestamps, 0, 2);
	tcase_add_test(tc, test_cubic_carries_a_stream_over_a_lossy_link);
	tcase_add_test(tc, test_a_full_tx_ring_delays_output_and_loses_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("states");
	tcase_add_test(tc, test_active_and_passive_open_go_through_syn_sent_and_syn_received);
	tcase_add_test(tc, test_simultaneous_open_meets_in_syn_received);
	tcase_add_test(tc, test_a_specific_listener_wins_over_the_wildcard);
	tcase_add_test(tc, test_active_close_goes_fin_wait_1_fin_wait_2_time_wait_then_closed);
	tcase_add_test(tc, test_simultaneous_close_goes_through_closing_to_time_wait);
	tcase_add_test(tc, test_fin_wait_2_without_a_handle_is_bounded);
	tcase_add_test(tc, test_fin_forgets_out_of_order_data_beyond_it);
	tcase_add_test(tc, test_half_close_lets_the_other_direction_finish);
	tcase_add_test(tc, test_rst_in_syn_sent_refuses_the_connection);
	tcase_add_test(tc, test_rst_in_syn_received_forgets_the_embryo);
	tcase_add_test(tc, test_counters_by_name_report_what_the_stack_counted);
	tcase_add_test(tc, test_sendfile_sends_a_file_larger_than_the_send_buffer);
	tcase_add_test(tc, test_sendfile_refuses_bad_arguments_and_reports_a_short_file);
	tcase_add_test(tc, test_rst_in_synchronized_states_resets);
	tcase_add_test(tc, test_time_wait_acknowledges_a_retransmitted_fin_and_ignores_resets);
	tcase_add_test(tc, test_a_new_syn_reuses_a_connection_in_time_wait);
	suite_add_tcase(s, tc);

	tc = tcase_create("recovery");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rto_backs_off_exponentially_and_karn_ignores_retransmitted_samples);
	tcase_add_test(tc, test_after_an_outage_of_our_io_the_retransmission_goes_at_once);
	tcase_add_test(tc, test_a_peer_that_never_answers_times_out_with_etimedout);
	tcase_add_test(tc, test_a_passive_open_without_timestamps_seeds_srtt_from_the_syn_ack);
	tcase_add_test(tc, test_a_retransmitted_syn_ack_gives_no_rtt_sample);
	tcase_add_test(tc, test_three_dupacks_trigger_fast_retransmit);
	tcase_add_test(tc, test_newreno_partial_ack_retransmits_the_next_hole);
	tcase_add_test(tc, test_sack_recovery_retransmits_only_the_holes);
	tcase_add_test(tc, test_zero_window_is_probed_until_it_opens);
	tcase_add_test(tc, test_fin_sent_into_a_zero_window_is_retransmitted_when_it_opens);
	tcase_add_test(tc, test_a_fin_in_a_zero_window_is_the_probe);
	tcase_add_test(tc, test_an_orphan_held_in_a_zero_window_is_reset_after_its_probes);
	tcase_add_test(tc, test_a_held_connection_in_a_zero_window_is_probed_past_the_orphan_limit);
	tcase_add_test(tc, test_a_zero_window_peer_that_stops_answering_probes_times_out);
	suite_add_tcase(s, tc);

	tc = tcase_create("attacks");
	tcase_add_test(tc, test_paws_drops_a_segment_with_an_old_timestamp);
	tcase_add_test(tc, test_in_window_rst_gets_a_challenge_ack_and_exact_rst_resets);
	tcase_add_test(tc, test_syn_on_an_established_connection_gets_a_challenge_ack);
	tcase_add_test(tc, test_ack_of_unsent_data_is_refused);
	tcase_add_test(tc, test_syn_cookies_when_the_backlog_is_full);
	tcase_add_test(tc, test_a_cookie_connection_keeps_the_window_its_syn_ack_offered);
	tcase_add_test(tc, test_a_cookie_connection_keeps_window_scale_sack_and_timestamps);
	tcase_add_test(tc, test_a_cookie_connection_without_timestamps_has_only_the_mss);
	tcase_add_test(tc, test_a_cookie_ack_whose_tsecr_names_other_options_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_delayed_ack_acks_every_second_segment_or_after_the_timer);
	tcase_add_test(tc, test_nagle_holds_small_segments_while_data_is_unacknowledged);
	tcase_add_test(tc, test_window_scaling_offers_and_uses_a_window_above_64k);
	tcase_add_test(tc, test_without_window_scaling_the_window_stays_below_64k);
	tcase_add_test(tc, test_events_are_reported_once_per_change);
	suite_add_tcase(s, tc);

	tc = tcase_create("more");
	tcase_add_test(tc, test_icmp_fragmentation_needed_lowers_the_mss);
	tcase_add_test(tc, test_icmp_port_unreachable_aborts_an_opening_connection);
	tcase_add_test(tc, test_a_connect_that_times_out_after_a_soft_error_fails_with_it);
	tcase_add_test(tc, test_icmp_errors_on_an_established_connection_are_reported_not_fatal);
	tcase_add_test(tc, test_a_stream_over_ipv6);
	tcase_add_test(tc, test_keepalive_probes_an_idle_connection);
	tcase_add_test(tc, test_close_with_unread_data_or_unaccepted_connections_resets);
	tcase_add_test(tc, test_output_that_met_a_full_tx_ring_goes_at_the_next_poll);
	tcase_add_test(tc, test_ack_of_a_syn_whose_retransmission_waits_establishes_cleanly);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_max_conns_holds_under_a_syn_flood);
	tcase_add_test(tc, test_a_syn_on_a_full_table_reclaims_the_oldest_time_wait_slot);
	tcase_add_test(tc, test_a_connect_on_a_full_table_reclaims_the_oldest_time_wait_slot);
	tcase_add_test(tc, test_buffered_bytes_stay_within_mem_max);
	tcase_add_test(tc, test_free_rings_are_reused_before_malloc);
	tcase_add_test(tc, test_the_free_list_is_bounded_and_counted_in_mem_max);
	tcase_add_test(tc, test_connections_one_after_another_reuse_their_rings);
	tcase_add_test(tc, test_reassembly_ranges_are_bounded);
	tcase_add_test(tc, test_acks_that_do_not_fit_the_tx_ring_go_at_the_next_poll);
	tcase_add_loop_test(tc, test_random_segments_break_nothing, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tcp_suite)
