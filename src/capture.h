/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.h - a packet capture: its shared rings (ms_capture.h), one filled by each worker, read by mstackctl. */
#ifndef MSTACK_CAPTURE_H
#define MSTACK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <mstack/ms_capture.h>
#include <mstack/ms_proto.h>

#include "stats.h"

struct rte_mbuf;

#define CAPTURE_REGION_MAX (64u << 20) /* bytes of one capture's region at most */

/* One worker's ring of a capture: its producer state, that worker's alone. */
struct capture_ring {
	struct ms_cap_ring *ring; /* in the region */
	uint8_t *slots;           /* its slot 0 */
	uint32_t head;            /* (d) private copy, only ever stored to the region */
	uint32_t tail;            /* the reader's tail as last read and checked */
	uint32_t published;       /* head as last published */
} __attribute__((aligned(64)));

struct capture {
	/* set at creation, read by the workers */
	uint32_t mask;
	uint32_t slot_size;
	uint32_t snaplen;
	uint8_t points;
	uint8_t dirs;
	uint32_t app_id;
	int wakeup_fd;    /* every worker writes it; the kernel serialises eventfd writes */
	uint64_t base_ns; /* CLOCK_REALTIME at base_tsc: one clock for all rings, so the reader can merge them */
	uint64_t base_tsc;
	uint64_t tsc_hz;

	/* control thread only */
	int memfd;
	void *region;
	uint64_t region_size;

	uint32_t nrings;
	struct capture_ring rings[]; /* ring w: worker w's */
};

/* 0 if req is a request the daemon can serve, else -EINVAL. */
int capture_check(const struct ms_capture_req *req);

/*
 * Create a capture for a checked request with nrings rings (one per worker,
 * 1..MS_CAP_RINGS_MAX): a sealed shmem memfd (like an app's region, app.c),
 * mapped, with its header written, and an eventfd. req->nslots is per ring;
 * it is halved (down to 64) while the region would pass CAPTURE_REGION_MAX,
 * and the result is in mask. Returns the capture, or NULL with errno set
 * (EINVAL for a bad nrings).
 */
struct capture *capture_create(const struct ms_capture_req *req, uint32_t nrings);

/* The memfd went to the reader: close ours (the mapping stays). */
void capture_handed_over(struct capture *c);

/* Free everything; c must be unreachable from the worker (publish.h). Accepts NULL. (void * for pub_retire.) */
void capture_destroy(void *c);

/* Worker: does c want frames of this point and direction (and app)? */
static inline bool capture_wants(const struct capture *c, uint8_t point, uint8_t dir, uint32_t app_id)
{
	return (c->points & point) && (c->dirs & dir) && (point != MS_CAP_APP || app_id == c->app_id);
}

/* Worker: the wall clock in ns, from the TSC (once per burst). */
uint64_t capture_now_ns(const struct capture *c);

/*
 * Worker w: the next free record of ring w, its header filled in (caller
 * copies cap_len bytes after it), or NULL if that ring is full (counted in
 * st->dropped, the worker's own counters).
 */
struct ms_cap_rec *capture_reserve(struct capture *c, uint32_t w, struct cap_stats *st, uint64_t ts, uint8_t point,
				   uint8_t dir, uint32_t app_id, uint32_t orig_len);

/* Worker w: copy a flat frame into ring w (capture_reserve + memcpy). */
void capture_put(struct capture *c, uint32_t w, struct cap_stats *st, uint64_t ts, uint8_t point, uint8_t dir,
		 uint32_t app_id, const void *frame, uint32_t len);

/*
 * Ring w's producer: copy n mbufs into ring w if the capture wants this point
 * and direction (and app), as offered (before a tx burst owns them).
 */
void capture_mbufs(struct capture *c, uint32_t w, struct cap_stats *st, uint8_t point, uint8_t dir, uint32_t app_id,
		   struct rte_mbuf *const *pkts, uint32_t n);

/* Worker w, once per loop: publish the records written to ring w, wake the reader if it sleeps. */
void capture_publish(struct capture *c, uint32_t w, struct cap_stats *st);

#endif
