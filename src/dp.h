/* SPDX-License-Identifier: BSD-2-Clause */
/* dp.h - the datapath: one worker lcore switching NIC <-> TAP and NIC <-> application rings. */
#ifndef MSTACK_DP_H
#define MSTACK_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "btable.h"
#include "capture.h"
#include "fragtrack.h"
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

/*
 * Shared between the control thread (writer of the pointers, reader of the
 * counters) and the worker (reader of the pointers, writer of the counters).
 * Every pointer the worker follows is published and retired by the rule in
 * publish.h, and nowhere else.
 */
struct dp {
	struct ports *ports;
	struct btable *bt;
	struct rte_rcu_qsbr *qsv;        /* the worker reports quiescent states here */
	struct rte_rcu_qsbr_dq *retired; /* control thread: objects waiting for a grace period */
	uint16_t burst;
	struct app_list *apps;   /* every attached app: their tx rings are polled */
	struct app_list *bcast;  /* apps that asked for broadcast/multicast */
	struct app_addrs *local; /* the host's addresses (TAP interface) */
	struct fragtrack *frags; /* worker only: where fragmented datagrams go */
	struct capture *capture; /* the running capture, NULL if none (one at a time) */
	struct port_stats nic_stats;
	struct port_stats tap_stats;
	struct dp_stats stats;
	struct cap_stats cap_stats;
	uint64_t heartbeat;       /* incremented by the worker every loop */
	uint64_t burst_seq;       /* the worker's count of NIC bursts */
	struct capture *cap_live; /* worker only: dp->capture as loaded at the top of this loop */
	uint32_t tx_cursor;       /* next app whose tx rings the worker polls */
	uint32_t tap_skip;        /* loops left before the worker reads the TAP again */
	struct idle idle;         /* [datapath] idle: when and how the worker sleeps (idle.h) */
	bool stop;
};

/* Set up the datapath's state and its RCU (publish.h). Returns 0 or -errno. */
int dp_init(struct dp *dp, struct ports *ports, struct btable *bt, uint16_t burst);

/* After the worker has stopped: free the datapath's state and everything published. */
void dp_fini(struct dp *dp);

/* The worker's main loop (rte_eal_remote_launch). */
int dp_worker(void *arg);

#endif
