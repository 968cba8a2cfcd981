/* SPDX-License-Identifier: BSD-2-Clause */
/* capread.h - the reader's side of a capture region (ms_capture.h): check it, drain its rings merged by timestamp. */
#ifndef MSTACKCTL_CAPREAD_H
#define MSTACKCTL_CAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mstack/ms_capture.h>

/* One ring as the reader sees it: its tail private until capread_release, its head as last loaded. */
struct capread_ring {
	struct ms_cap_ring *ring;
	uint32_t tail;
	uint32_t head;
};

struct capread {
	void *base;
	size_t size;
	struct ms_cap_hdr h; /* a private copy, checked once */
	uint64_t newest_ts;  /* the largest ts_ns seen in any ring so far (capread_refresh) */
	struct capread_ring r[MS_CAP_RINGS_MAX];
};

/*
 * Check the header of a region of size bytes mapped at base, and start
 * reading at each ring's tail. Returns 0; -EPROTONOSUPPORT if it is a
 * capture region of another ABI major (cr->h.abi_major says which);
 * -EPROTO if it is no capture region or its geometry does not fit in size.
 */
int capread_open(struct capread *cr, void *base, size_t size);

/*
 * Load every ring's head (acquire) and raise newest_ts to the last record
 * of each. Returns how many records are waiting in all rings, or -EPROTO if
 * a head is impossible (more than nslots ahead of the tail).
 */
long capread_refresh(struct capread *cr);

/*
 * The oldest waiting record over all rings (the rings are each in order, so
 * the smallest ts_ns of their first records), if its ts_ns <= cutoff_ns;
 * else NULL. *ring says which ring, for capread_consume. Ties go to the
 * lower ring. Records stay valid until capread_release.
 */
const struct ms_cap_rec *capread_next(const struct capread *cr, uint64_t cutoff_ns, uint32_t *ring);

/* The record capread_next returned is done with. */
void capread_consume(struct capread *cr, uint32_t ring);

/* Give the consumed slots back to the daemon: store every tail (release). */
void capread_release(struct capread *cr);

/*
 * Before sleeping: set or clear MS_CAP_NEED_WAKEUP on every ring. After
 * setting it, returns true if a head moved since capread_refresh (then do
 * not sleep: the daemon may not have seen the flag).
 */
bool capread_want_wakeup(struct capread *cr, bool on);

#endif
