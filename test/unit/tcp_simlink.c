/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_simlink.c - the simulated link: two frame queues ordered by arrival time, fates from a seeded PRNG. */
#include <stdlib.h>
#include <string.h>

#include "tcp_simlink.h"

#define SIMLINK_TXBUFS 64

struct simlink_frame {
	struct simlink_frame *next;
	uint64_t at_us;
	uint32_t len;
	uint8_t data[MS_BUF_SIZE];
};

struct simlink_side {
	struct simlink *l;
	int side;
	struct tcp_io io;
	struct simlink_frame *inbox; /* frames towards this side, by arrival time */
	uint32_t queued;
	struct simlink_frame *taken[TCP_BURST]; /* handed out by rx_burst, freed by rx_release */
	uint64_t wire_free_us;                  /* when the sender's wire is free again (rate_mbps) */
	uint64_t tx_us; /* the microsecond of the last tx_alloc, and the buffers handed out in it */
	uint32_t tx_given;
	unsigned ntaken;
	uint8_t txbuf[SIMLINK_TXBUFS][MS_BUF_SIZE];
};

struct simlink {
	struct simlink_cfg cfg;
	uint64_t now_us, rng;
	simlink_filter_fn filter;
	void *filter_ctx;
	struct simlink_stats stats;
	struct simlink_side side[2];
};

/* xorshift64*: small, fast, and the same sequence for the same seed everywhere. */
static uint64_t simlink_rand(struct simlink *l)
{
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 2685821657736338717ull;
}

static int simlink_chance(struct simlink *l, uint32_t ppm)
{
	return ppm && simlink_rand(l) % 1000000u < ppm;
}

/* Queue a copy of frame towards side to, arriving at at_us. */
static void simlink_enqueue(struct simlink *l, int to, const uint8_t *frame, uint32_t len, uint64_t at_us)
{
	struct simlink_side *d = &l->side[to];
	struct simlink_frame *f, **p;

	if (d->queued >= l->cfg.queue_max || len > MS_FRAME_MAX) {
		l->stats.queue_drops++;
		return;
	}
	f = malloc(sizeof(*f));
	if (!f)
		abort();
	f->at_us = at_us;
	f->len = len;
	memcpy(f->data, frame, len);
	/* After every frame due no later: equal times keep their order. */
	for (p = &d->inbox; *p && (*p)->at_us <= at_us; p = &(*p)->next)
		;
	f->next = *p;
	*p = f;
	d->queued++;
}

static unsigned simlink_rx_burst(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct simlink_side *s = ctx;
	unsigned k = 0;

	/* As ms_rx_burst: frames not yet released come back first. */
	for (; k < s->ntaken && k < n; k++) {
		pkts[k].data = s->taken[k]->data;
		pkts[k].len = s->taken[k]->len;
	}
	while (k < n && k < TCP_BURST && s->inbox && s->inbox->at_us <= s->l->now_us) {
		struct simlink_frame *f = s->inbox;

		s->inbox = f->next;
		s->queued--;
		s->taken[s->ntaken++] = f;
		pkts[k].data = f->data;
		pkts[k].len = f->len;
		k++;
		s->l->stats.delivered[s->side]++;
	}
	return k;
}

static void simlink_rx_release(void *ctx, unsigned k)
{
	struct simlink_side *s = ctx;

	if (k > s->ntaken)
		abort(); /* the stack gave back more than it received: a bug the test must see */
	for (unsigned i = 0; i < k; i++)
		free(s->taken[i]);
	memmove(s->taken, s->taken + k, (s->ntaken - k) * sizeof(s->taken[0]));
	s->ntaken -= k;
}

static unsigned simlink_tx_alloc(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct simlink_side *s = ctx;

	if (n > SIMLINK_TXBUFS)
		n = SIMLINK_TXBUFS;
	if (s->l->cfg.tx_ring) {
		/* A ring of tx_ring slots that the daemon empties every microsecond. */
		if (s->tx_us != s->l->now_us) {
			s->tx_us = s->l->now_us;
			s->tx_given = 0;
		}
		if (n > s->l->cfg.tx_ring - s->tx_given)
			n = s->l->cfg.tx_ring - s->tx_given;
	}
	for (unsigned i = 0; i < n; i++) {
		pkts[i].data = s->txbuf[i];
		pkts[i].len = MS_FRAME_MAX;
	}
	return n;
}

static void simlink_tx_send(void *ctx, const struct ms_pkt *pkts, unsigned k)
{
	struct simlink_side *s = ctx;
	struct simlink *l = s->l;
	int to = !s->side;

	s->tx_given += k;
	for (unsigned i = 0; i < k; i++) {
		uint8_t *frame = pkts[i].data;
		uint32_t len = pkts[i].len;
		uint64_t at = l->now_us + l->cfg.delay_us;

		if (l->cfg.rate_mbps) {
			/* The frame leaves once the previous one is on the wire, and takes len * 8 / rate. */
			uint64_t start = s->wire_free_us > l->now_us ? s->wire_free_us : l->now_us;

			s->wire_free_us = start + (uint64_t)len * 8 / l->cfg.rate_mbps;
			at = s->wire_free_us + l->cfg.delay_us;
		}

		if (len < 14 || len > MS_FRAME_MAX || len > 14 + s->io.mtu)
			abort(); /* the daemon or the NIC would drop it; a stack must never build one */
		l->stats.sent[s->side]++;
		if (l->filter && l->filter(l->filter_ctx, s->side, frame, len)) {
			l->stats.filtered++;
			continue;
		}
		if (simlink_chance(l, l->cfg.loss_ppm)) {
			l->stats.lost++;
			continue;
		}
		if (l->cfg.jitter_us)
			at += simlink_rand(l) % l->cfg.jitter_us;
		if (simlink_chance(l, l->cfg.corrupt_ppm)) {
			uint8_t copy[MS_BUF_SIZE];

			memcpy(copy, frame, len);
			copy[simlink_rand(l) % len] ^= (uint8_t)(1u << (simlink_rand(l) % 8));
			l->stats.corrupted++;
			simlink_enqueue(l, to, copy, len, at);
			continue;
		}
		simlink_enqueue(l, to, frame, len, at);
		if (simlink_chance(l, l->cfg.dup_ppm)) {
			l->stats.duplicated++;
			simlink_enqueue(l, to, frame, len,
					at + (l->cfg.jitter_us ? simlink_rand(l) % l->cfg.jitter_us : 0));
		}
	}
}

static uint64_t simlink_clock(void *ctx)
{
	struct simlink_side *s = ctx;

	return s->l->now_us;
}

/* Next hops: the other side's MAC, for every address. */
static int simlink_resolve(void *ctx, int family, const void *addr, uint8_t mac[6])
{
	struct simlink_side *s = ctx;

	(void)family;
	(void)addr;
	memcpy(mac, s->l->side[!s->side].io.mac, 6);
	return 0;
}

static const struct tcp_io_ops simlink_ops = {
	.rx_burst = simlink_rx_burst,
	.rx_release = simlink_rx_release,
	.tx_alloc = simlink_tx_alloc,
	.tx_send = simlink_tx_send,
	.now_us = simlink_clock,
};

struct simlink *simlink_new(const struct simlink_cfg *cfg)
{
	struct simlink *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->cfg = *cfg;
	if (!l->cfg.queue_max)
		l->cfg.queue_max = 4096;
	l->rng = cfg->seed * 0x9e3779b97f4a7c15ull + 1;
	l->now_us = 1000000; /* not zero: a clock at 0 hides bugs */
	for (int i = 0; i < 2; i++) {
		struct simlink_side *s = &l->side[i];

		s->l = l;
		s->side = i;
		s->io.ops = &simlink_ops;
		s->io.ctx = s;
		s->io.mac[0] = 0x02;
		s->io.mac[5] = (uint8_t)(i + 1);
		s->io.mtu = 1500;
		s->io.resolve = simlink_resolve;
	}
	return l;
}

void simlink_free(struct simlink *l)
{
	if (!l)
		return;
	for (int i = 0; i < 2; i++) {
		struct simlink_side *s = &l->side[i];

		while (s->inbox) {
			struct simlink_frame *f = s->inbox;

			s->inbox = f->next;
			free(f);
		}
		for (unsigned k = 0; k < s->ntaken; k++)
			free(s->taken[k]);
	}
	free(l);
}

const struct tcp_io *simlink_io(struct simlink *l, int side)
{
	return &l->side[side].io;
}

void simlink_set_filter(struct simlink *l, simlink_filter_fn fn, void *ctx)
{
	l->filter = fn;
	l->filter_ctx = ctx;
}

void simlink_inject(struct simlink *l, int to, const uint8_t *frame, uint32_t len)
{
	simlink_enqueue(l, to, frame, len, l->now_us + l->cfg.delay_us);
}

uint64_t simlink_now(const struct simlink *l)
{
	return l->now_us;
}

void simlink_set_now(struct simlink *l, uint64_t now_us)
{
	if (now_us > l->now_us)
		l->now_us = now_us;
}

uint64_t simlink_next_arrival(const struct simlink *l)
{
	uint64_t t = UINT64_MAX;

	for (int i = 0; i < 2; i++)
		if (l->side[i].inbox && l->side[i].inbox->at_us < t)
			t = l->side[i].inbox->at_us;
	return t;
}

const struct simlink_stats *simlink_stats(const struct simlink *l)
{
	return &l->stats;
}
