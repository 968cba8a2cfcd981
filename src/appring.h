/* SPDX-License-Identifier: BSD-2-Clause */
/* appring.h - the daemon's side of an application's rings: hostile-safe produce and consume. */
#ifndef MSTACK_APPRING_H
#define MSTACK_APPRING_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "app.h"

/*
 * These read each application-written index once, check it against the
 * daemon's private copy, and never address memory outside the app's region.
 * DPDK-free so that the unit tests drive them against the real library.
 */

/*
 * Start fetching a line of the region that the daemon is about to write
 * (an rx buffer's first line or head): lines the app's core last held. A read
 * prefetch would bring such a line shared, and the store would then wait
 * for a second transfer to own it; PREFETCHW asks for it owned at once.
 * Older x86-64 CPUs that lack PRFCHW execute it as a no-op.
 */
static inline void appring_prefetch_write(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/*
 * Read the app's rx tail (once), check it against what the daemon produced,
 * and keep it as the cached view. Returns 0 or -EBADMSG (counted).
 */
static inline int appring_rx_sync_tail(struct app *a, struct app_queue *aq)
{
	uint32_t tail = __atomic_load_n(&aq->rx->tail, __ATOMIC_ACQUIRE);

	if (aq->rx_head - tail > a->ring_size) {
		aq->st->rx_bad_index++;
		return -EBADMSG;
	}
	aq->rx_tail = tail;
	return 0;
}

/*
 * Copy a frame into rx ring q (not yet visible: see appring_rx_publish):
 * its length and its bytes, which share the buffer's first line.
 * The app's tail lives on the consumer's cache line: it is read only when
 * the cached view says the ring is full (and at each publish that may wake
 * the app). Read again for every frame that finds the ring full, it costs a
 * transfer only while the app writes it, that is while it makes room, which
 * is when reading it admits frames: latching "full" for the rest of the
 * burst delivered fewer frames for no fewer cycles (docs/performance.md,
 * "Cost per frame, third pass").
 * Returns 0, -ENOBUFS (ring full), -EMSGSIZE (longer than MS_FRAME_MAX) or
 * -EBADMSG (the app's tail is impossible); each counted.
 */
static inline int appring_rx_put(struct app *a, uint32_t q, const void *frame, uint32_t len)
{
	struct app_queue *aq = &a->q[q];
	struct ms_buf *b;

	if (aq->rx_head - aq->rx_tail >= a->ring_size) {
		if (appring_rx_sync_tail(a, aq) < 0)
			return -EBADMSG;
		if (aq->rx_head - aq->rx_tail == a->ring_size) {
			aq->st->rx_ring_full++;
			return -ENOBUFS;
		}
	}
	if (len > MS_FRAME_MAX) {
		aq->st->rx_too_long++;
		return -EMSGSIZE;
	}
	b = ms_ring_buf(aq->rx_bufs, aq->rx_head & a->mask);
	b->len = (uint16_t)len;
	memcpy(b->frame, frame, len);
	aq->rx_head++;
	aq->st->rx_packets++;
	aq->st->rx_bytes += len;
	return 0;
}

/*
 * Publishing is two steps so that a burst that touched many apps pays one
 * fence, not one per app: store the new head of every ring of every touched
 * app (appring_rx_store_heads), one full fence, then look at each app's
 * NEED_WAKEUP flag (appring_rx_wake). The fence pairs with the app's fence
 * between setting NEED_WAKEUP and re-reading head: either the app sees the
 * new head, or the daemon sees the flag.
 *
 * With several workers a worker touches only the queues it owns: queues
 * first, first + step, ... (worker w of n: first w, step n). The plain names
 * are the one-worker case.
 */
static inline void appring_rx_store_heads_of(struct app *a, uint32_t first, uint32_t step)
{
	uint32_t q;

	for (q = first; q < a->nqueues; q += step)
		if (a->q[q].rx_published != a->q[q].rx_head)
			__atomic_store_n(&a->q[q].rx->head, a->q[q].rx_head, __ATOMIC_RELEASE);
}

static inline void appring_rx_store_heads(struct app *a)
{
	appring_rx_store_heads_of(a, 0, 1);
}

/*
 * After the fence: wake the app where a ring it sleeps on was empty, through
 * that queue's wakeup fd (its own with MS_HELLO_F_QUEUE_WAKEUP, else the
 * session's). Returns the wakeups sent.
 */
static inline unsigned appring_rx_wake_of(struct app *a, uint32_t first, uint32_t step)
{
	unsigned woken = 0;
	uint32_t q;

	for (q = first; q < a->nqueues; q += step) {
		struct app_queue *aq = &a->q[q];
		uint64_t one = 1;

		if (aq->rx_published == aq->rx_head)
			continue;
		/* flags has a line of its own: reading it does not pull the app's busy tail line. */
		if ((__atomic_load_n(&aq->rx->flags, __ATOMIC_RELAXED) & MS_RING_NEED_WAKEUP) &&
		    appring_rx_sync_tail(a, aq) == 0 && aq->rx_tail == aq->rx_published &&
		    write(aq->wakeup_fd, &one, sizeof(one)) == sizeof(one)) {
			aq->st->rx_wakeups++;
			woken++;
		}
		aq->rx_published = aq->rx_head;
	}
	return woken;
}

static inline unsigned appring_rx_wake(struct app *a)
{
	return appring_rx_wake_of(a, 0, 1);
}

/* Both steps for one app's queues first, first + step, ... Returns the wakeups sent. */
static inline unsigned appring_rx_publish_of(struct app *a, uint32_t first, uint32_t step)
{
	appring_rx_store_heads_of(a, first, step);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return appring_rx_wake_of(a, first, step);
}

/* Both steps for every queue of one app (tests). Returns the wakeups sent. */
static inline unsigned appring_rx_publish(struct app *a)
{
	return appring_rx_publish_of(a, 0, 1);
}

/*
 * Frames waiting in tx ring q, at most max. Returns the count, or
 * -EBADMSG when the app's head is impossible (nothing is consumed then).
 */
static inline int appring_tx_avail(struct app *a, uint32_t q, uint32_t max)
{
	struct app_queue *aq = &a->q[q];
	uint32_t avail = __atomic_load_n(&aq->tx->head, __ATOMIC_ACQUIRE) - aq->tx_tail;

	if (avail > a->ring_size) {
		aq->st->tx_bad_index++;
		return -EBADMSG;
	}
	return (int)(avail < max ? avail : max);
}

/*
 * Start fetching the first line of the buffer of the k-th waiting frame of
 * tx ring q: its length and first bytes, which the app has just written on
 * another core. Issued for a whole burst before the first copy, these misses
 * overlap instead of stalling each copy in turn. Touches nothing the app
 * wrote: only addresses the daemon computes.
 */
static inline void appring_tx_prefetch(const struct app *a, uint32_t q, uint32_t k)
{
	const struct app_queue *aq = &a->q[q];

	__builtin_prefetch(ms_ring_buf(aq->tx_bufs, (aq->tx_tail + k) & a->mask), 0, 3);
}

/*
 * The k-th waiting frame of tx ring q: its length, read once and checked
 * (0 if out of bounds: count it and skip), and where its bytes are.
 */
static inline uint32_t appring_tx_frame(struct app *a, uint32_t q, uint32_t k, const uint8_t **data)
{
	struct app_queue *aq = &a->q[q];
	struct ms_buf *b = ms_ring_buf(aq->tx_bufs, (aq->tx_tail + k) & a->mask);
	uint32_t len = __atomic_load_n(&b->len, __ATOMIC_RELAXED);

	*data = b->frame;
	if (len < MS_FRAME_MIN || len > MS_FRAME_MAX) {
		aq->st->tx_invalid_desc++;
		return 0;
	}
	return len;
}

/*
 * The transmit doorbell (ms_abi.h, "Transmit doorbell"): before the worker
 * sleeps it sets MS_RING_NEED_WAKEUP on every tx ring of an app, so that the
 * app kicks it after its next publish; once awake it clears them, so that a
 * busy app makes no system call. The daemon writes this flag; it sits on the
 * ring's flags line, which the app never writes on a tx ring.
 */
static inline void appring_tx_need_wakeup_of(struct app *a, bool on, uint32_t first, uint32_t step)
{
	uint32_t q;

	for (q = first; q < a->nqueues; q += step)
		__atomic_store_n(&a->q[q].tx->flags, on ? MS_RING_NEED_WAKEUP : 0u, __ATOMIC_RELAXED);
}

static inline void appring_tx_need_wakeup(struct app *a, bool on)
{
	appring_tx_need_wakeup_of(a, on, 0, 1);
}

/*
 * After the flags are set and a full fence: has the app published frames
 * the daemon has not taken? Either this sees them, or the app (publish,
 * fence, read the flag) sees the flag and kicks. An impossible head counts
 * as pending: the next poll counts it and skips nothing else.
 */
static inline bool appring_tx_pending_of(const struct app *a, uint32_t first, uint32_t step)
{
	uint32_t q;

	for (q = first; q < a->nqueues; q += step)
		if (__atomic_load_n(&a->q[q].tx->head, __ATOMIC_ACQUIRE) != a->q[q].tx_tail)
			return true;
	return false;
}

static inline bool appring_tx_pending(const struct app *a)
{
	return appring_tx_pending_of(a, 0, 1);
}

/* Give n consumed tx buffers back to the app. */
static inline void appring_tx_release(struct app *a, uint32_t q, uint32_t n)
{
	struct app_queue *aq = &a->q[q];

	aq->tx_tail += n;
	__atomic_store_n(&aq->tx->tail, aq->tx_tail, __ATOMIC_RELEASE);
}

#endif
