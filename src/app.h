/* SPDX-License-Identifier: BSD-2-Clause */
/* app.h - an attached application: its session, its shared region and rings, its bindings. */
#ifndef MSTACK_APP_H
#define MSTACK_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bsd/sys/queue.h>

#include <mstack/ms_abi.h>
#include <mstack/ms_proto.h>

#include "ms_tuple.h" /* lib/: the kernel sockets behind bindings */

#include "misbehave.h"
#include "stats.h"
#include "txfrag.h"
#include "txsrc.h"

/*
 * The daemon's view of one rx/tx ring pair; indices it produces are private.
 * The first line holds what the worker reads for every frame.
 */
struct app_queue {
	struct ms_ring *rx;
	struct ms_ring *tx;
	uint8_t *rx_bufs; /* buffer of rx index i: ms_ring_buf(rx_bufs, i & mask) */
	uint8_t *tx_bufs;
	uint32_t rx_head;        /* (d) private copy, only ever stored to the region */
	uint32_t rx_published;   /* rx_head as last published */
	uint32_t rx_tail;        /* the app's rx tail as last read and checked */
	uint32_t tx_tail;        /* (d) private copy */
	struct app_stats *st;    /* where this queue's one worker counts: app.stats, or its block in app.wstats */
	uint32_t rx_ahead;       /* the buffer the burst being delivered fills next, as far as prefetched */
	uint32_t rx_ahead_burst; /* which burst rx_ahead is for (low bits of its number) */
	int wakeup_fd;      /* where its rx wakeups go: its own eventfd (MS_HELLO_F_QUEUE_WAKEUP) or app.wakeup_fd */
	struct txsrc txsrc; /* the source tuple that passed last on this queue (txsrc.h) */
	/* First fragments sent on this queue, for their later fragments. Per queue, not per app: each
	 * queue has one worker, and the table has one writer. */
	struct txfrag txfrag;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct app_queue, wakeup_fd) == 64, "the per-frame fields of a queue fill its first line");

/* Addresses an application may use as a source (and in ARP/ND). */
struct app_addrs {
	uint32_t n;
	bool any_v4; /* holds an IPv4 wildcard binding */
	bool any_v6;
	struct {
		uint8_t family;
		uint8_t addr[16];
	} a[];
};

struct app_binding {
	struct ms_tuple tuple;
	int fd; /* the kernel socket that reserves the tuple */
};

struct app {
	/* read by the datapath; the first five for every frame delivered, so on one line */
	uint32_t id;
	uint32_t nqueues;
	uint32_t ring_size; /* power of two */
	uint32_t mask;
	uint64_t dp_burst_seq; /* datapath only: last burst that delivered here (unique over workers) */
	bool want_bcast;
	int wakeup_fd;            /* eventfd the daemon writes (the session's; see app_queue.wakeup_fd) */
	bool queue_wakeup;        /* MS_HELLO_F_QUEUE_WAKEUP: each queue has an eventfd of its own */
	int kick_fd;              /* eventfd the app writes: the transmit doorbell (ms_abi.h) */
	struct app_addrs *addrs;  /* published and retired by the rule of publish.h */
	struct app_stats stats;   /* written by the datapath only (with one worker) */
	struct app_stats *wstats; /* with several workers: one block each (app_spread_stats), or NULL */
	uint32_t nwstats;

	/* control thread only */
	pid_t pid;
	uint64_t pid_start; /* the process's start time (claims.h): pid and start name it across a restart of ours */
	uid_t uid;
	gid_t gid;
	char name[MS_NAME_MAX];
	int memfd;
	void *region;
	uint64_t region_size;
	uint32_t nbindings;
	uint32_t cap_bindings;
	struct app_binding *bindings;
	struct misbehave misbehave; /* the disconnect policy's account of stats */
	LIST_ENTRY(app) link;       /* the control thread's list of all apps */

	struct app_queue q[]; /* nqueues */
};

#define APP_ALIGN 64 /* a cache line: app_create places each app on its own */
_Static_assert(offsetof(struct app, dp_burst_seq) + sizeof(uint64_t) <= APP_ALIGN,
	       "what the datapath reads for every frame delivered sits on the first line");
_Static_assert(_Alignof(struct app) == APP_ALIGN, "struct app's counters are line-aligned");

/*
 * The owner the binding table names for a tuple held for an application
 * that outlived the previous mstackd (hold.h): one static object, never
 * attached, never in an app list, without queues or region. Whoever reads an
 * owner from the table may meet it: the datapath drops the tuple's frames
 * (dp_deliver), the source check finds that it is not the sender (txval.c
 * compares owners with the sender, and no app is this one), the control
 * thread's requests treat the tuple as taken (appmgr.c).
 */
extern struct app app_held;

static inline bool app_is_held(const struct app *a)
{
	return a == &app_held;
}

/*
 * Create an app with its region (memfd, sealed against resizing so that the
 * application cannot make the daemon fault), its wakeup eventfd, its
 * kick eventfd and, with MS_HELLO_F_QUEUE_WAKEUP, one wakeup eventfd per
 * queue (h->nqueues at most MS_QUEUES_MAX then, else EINVAL).
 * Returns NULL with errno set.
 */
struct app *app_create(uint32_t id, const struct ms_hello *h, uint32_t ring_size);

/*
 * With several workers, queue q of app a belongs to worker (a->id + q) %
 * nworkers: that worker alone produces into its rx ring and consumes its tx
 * ring. Adding the app's id spreads apps of one queue over the workers.
 */
static inline uint32_t app_queue_owner(const struct app *a, uint32_t q, uint32_t nworkers)
{
	/* A division costs tens of cycles and the datapath asks several times per frame: skip it for one worker. */
	return nworkers == 1 ? 0 : (a->id + q) % nworkers;
}

/* The first queue of a that worker w owns (>= a->nqueues: none); the next ones follow every nworkers. */
static inline uint32_t app_first_queue(const struct app *a, uint32_t w, uint32_t nworkers)
{
	return nworkers == 1 ? 0 : (w + nworkers - a->id % nworkers) % nworkers;
}

/*
 * Several workers: give each worker
 * a counter block of its own, so that no counter has two writers. Control
 * thread, before a is published. 0 or -ENOMEM.
 */
int app_spread_stats(struct app *a, uint32_t nworkers);

/* The sum of every block a's workers count in. */
void app_stats_sum(const struct app *a, struct app_stats *out);

/*
 * The region's fd has been handed to the application: close ours (the
 * mapping keeps the region alive, and a stray copy would only be one more
 * fd). Closing our own memfd cannot block.
 */
void app_region_handed_over(struct app *a);

/*
 * The fds of the HELLO reply, in protocol order (ms_proto.h): memfd, wakeup,
 * kick, then each queue's wakeup fd if it has its own. Returns the count.
 */
int app_hello_fds(const struct app *a, int fds[MS_MSG_FDS_MAX]);

/* Hand every binding's reservation socket to fdreap and forget the bindings. */
void app_release_bindings(struct app *a);

/*
 * Free everything: region, wakeup (per-queue too) and kick fds, bindings (through fdreap), memory.
 * a must be unreachable from the datapath (publish.h). Accepts NULL.
 */
void app_destroy(struct app *a);

/* Add/remove a binding in the app's own list (control thread). */
int app_binding_add(struct app *a, const struct ms_tuple *t, int fd, uint32_t limit);
bool app_binding_remove(struct app *a, const struct ms_tuple *t); /* closes its fd (fdreap) */

/* The address set of a's bindings, newly allocated (NULL when out of memory): the caller publishes it. */
struct app_addrs *app_addrs_build(const struct app *a);

/* Does the set allow `addr` of `family` as a source? local_ok: addr is the host's. */
bool app_addrs_allow(const struct app_addrs *s, uint8_t family, const uint8_t *addr, bool local_ok);

#endif
