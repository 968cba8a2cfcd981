/* SPDX-License-Identifier: BSD-2-Clause */
/* dp.h - the datapath: worker lcores switching NIC <-> application rings, and NIC <-> the TAP lcore. */
#ifndef MSTACK_DP_H
#define MSTACK_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "btable.h"
#include "capture.h"
#include "fragtrack.h"
#include "handover.h"
#include "idle.h"
#include "port.h"
#include "stats.h"

struct rte_rcu_qsbr;
struct rte_rcu_qsbr_dq;

/* An RCU-published array of apps (all apps, or those that want broadcast). */
struct app_list {
	uint32_t n;
	struct app *a[];
};

#define DP_WORKERS_MAX HANDOVER_WORKERS_MAX

/* clang-format off */
/* A worker's handoffs to the owners of other app queues (dp.c, "Several workers"). */
#define DP_HANDOFF_COUNTERS(X) \
	X(handoff_out)   /* frames handed to the worker that owns their app queue */ \
	X(handoff_full)  /* frames dropped: the ring to that worker was full */ \
	X(handoff_in)    /* frames taken from other workers and delivered here */ \
	X(handoff_moved) /* frames whose tuple changed owner in flight: freed */
/* clang-format on */

struct dp_handoff_stats {
	DP_HANDOFF_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

/*
 * One datapath lcore: NIC rx/tx queue `id`, handover channel `id`, RCU
 * reader `id`, and the app queues q with q % nworkers == id. Everything
 * here is written by that worker alone (counters read by the control thread).
 */
struct dp_worker {
	struct dp *dp;
	uint32_t id;
	unsigned lcore;
	struct fragtrack *frags; /* where fragmented datagrams go */
	struct port_stats nic_stats;
	struct dp_stats stats;
	struct dp_handoff_stats handoff;
	uint64_t heartbeat;         /* incremented every loop */
	uint64_t burst_seq;         /* NIC bursts, times DP_WORKERS_MAX, plus id: unique over workers */
	struct capture *cap_live;   /* dp->capture as loaded at the top of this loop; this worker fills ring `id` */
	struct cap_stats cap_stats; /* this worker's capture ring: copies made, dropped, reader wakeups */
	uint32_t tx_cursor;         /* next app whose tx rings this worker polls */
	struct idle idle;           /* [datapath] idle: when and how this worker sleeps (idle.h) */
	/* peer_in[v]: frames worker v received for app queues this worker owns (SPSC; NULL for v == id) */
	struct rte_ring *peer_in[DP_WORKERS_MAX];
} __attribute__((aligned(64)));

/*
 * Shared between the control thread (writer of the pointers, reader of the
 * counters) and the workers (readers of the pointers). Every pointer a
 * worker follows is published and retired by the rule in publish.h, and
 * nowhere else.
 */
struct dp {
	struct ports *ports;
	struct btable *bt;
	struct rte_rcu_qsbr *qsv;        /* each worker reports quiescent states here */
	struct rte_rcu_qsbr_dq *retired; /* control thread: objects waiting for a grace period */
	uint16_t burst;
	uint32_t nworkers;
	struct app_list *apps;   /* every attached app: their tx rings are polled */
	struct app_list *bcast;  /* apps that asked for broadcast/multicast */
	struct app_addrs *local; /* the host's addresses (TAP interface) */
	struct capture *capture; /* the running capture, NULL if none (one at a time) */
	struct handover ho;      /* the rings to and from the TAP lcore (handover.h) */
	struct dp_worker *w;     /* nworkers of them */
	bool stop;
};

/*
 * Set up the datapath's state for nworkers workers, its RCU (publish.h) and
 * the rings between workers and to the TAP lcore. Returns 0 or -errno.
 */
int dp_init(struct dp *dp, struct ports *ports, struct btable *bt, uint16_t burst, uint32_t nworkers);

/* After the workers have stopped: free the datapath's state and everything published. */
void dp_fini(struct dp *dp);

/* Worker, about to sleep (idle.c): have other workers handed it frames? */
bool dp_peers_pending(const struct dp_worker *wk);

/* A worker's main loop (rte_eal_remote_launch with its struct dp_worker). */
int dp_worker(void *arg);

/* The sum of every worker's NIC counters and loop counters (the totals mstackctl stats shows). */
void dp_sum_stats(const struct dp *dp, struct port_stats *nic, struct dp_stats *loops);

/* The sum of every worker's capture counters (capture.frames, .dropped, .wakeups). */
void dp_sum_cap_stats(const struct dp *dp, struct cap_stats *cap);

#endif
