/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.h - a packet capture: its shared ring (ms_capture.h), filled by the worker, read by mstackctl. */
#ifndef MSTACK_CAPTURE_H
#define MSTACK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <mstack/ms_capture.h>
#include <mstack/ms_proto.h>

#include "stats.h"

#define CAPTURE_REGION_MAX (64u << 20) /* bytes of one capture's region at most */

struct capture {
	/* set at creation, read by the worker */
	struct ms_cap_ring *ring;
	uint8_t *slots;
	uint32_t mask;
	uint32_t slot_size;
	uint32_t snaplen;
	uint8_t points;
	uint8_t dirs;
	uint32_t app_id;
	int wakeup_fd;
	uint64_t base_ns; /* CLOCK_REALTIME at base_tsc */
	uint64_t base_tsc;
	uint64_t tsc_hz;

	/* worker only */
	uint32_t head;      /* (d) private copy, only ever stored to the region */
	uint32_t tail;      /* the reader's tail as last read and checked */
	uint32_t published; /* head as last published */

	/* control thread only */
	int memfd;
	void *region;
	uint64_t region_size;
};

/* 0 if req is a request the daemon can serve, else -EINVAL. */
int capture_check(const struct ms_capture_req *req);

/*
 * Create a capture for a checked request: a sealed shmem memfd (like an
 * app's region, app.c), mapped, with its header written, and an eventfd.
 * Returns it, or NULL with errno set.
 */
struct capture *capture_create(const struct ms_capture_req *req);

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
 * Worker: the next free record, its header filled in (caller copies cap_len
 * bytes after it), or NULL if the ring is full (counted in st->dropped).
 */
struct ms_cap_rec *capture_reserve(struct capture *c, struct cap_stats *st, uint64_t ts, uint8_t point, uint8_t dir,
				   uint32_t app_id, uint32_t orig_len);

/* Worker: copy a flat frame in (capture_reserve + memcpy). */
void capture_put(struct capture *c, struct cap_stats *st, uint64_t ts, uint8_t point, uint8_t dir, uint32_t app_id,
		 const void *frame, uint32_t len);

/* Worker, once per loop: publish the records written, wake the reader if it sleeps. */
void capture_publish(struct capture *c, struct cap_stats *st);

#endif
