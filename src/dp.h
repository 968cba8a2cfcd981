/* dp.h - the datapath: one worker lcore switching NIC <-> TAP and NIC <-> application rings. */
#ifndef MSTACK_DP_H
#define MSTACK_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "btable.h"
#include "fragtrack.h"
#include "port.h"
#include "stats.h"

struct rte_rcu_qsbr;

/* An RCU-published array of apps (all apps, or those that want broadcast). */
struct app_list {
	uint32_t n;
	struct app *a[];
};

/*
 * Shared between the control thread (writer of the pointers, reader of the
 * counters) and the worker (reader of the pointers, writer of the counters).
 * Every pointer the worker follows is published with a release store and
 * retired only after an RCU grace period on qsv.
 */
struct dp {
	struct ports *ports;
	struct btable *bt;
	struct rte_rcu_qsbr *qsv;
	uint16_t burst;
	struct app_list *apps;   /* every attached app: their tx rings are polled */
	struct app_list *bcast;  /* apps that asked for broadcast/multicast */
	struct app_addrs *local; /* the host's addresses (TAP interface) */
	struct fragtrack *frags; /* worker only: where fragmented datagrams go */
	struct port_stats nic_stats;
	struct port_stats tap_stats;
	struct dp_stats stats;
	uint64_t heartbeat; /* incremented by the worker every loop */
	uint64_t burst_seq; /* the worker's count of NIC bursts */
	uint32_t tx_cursor; /* next app whose tx rings the worker polls */
	uint32_t tap_skip;  /* loops left before the worker reads the TAP again */
	bool stop;
};

/* Allocate the RCU variable for one reader (the worker). Returns 0 or -errno. */
int dp_init(struct dp *dp, struct ports *ports, struct btable *bt, uint16_t burst);
void dp_fini(struct dp *dp);

/* The worker's main loop (rte_eal_remote_launch). */
int dp_worker(void *arg);

/*
 * Control thread: publish a new pointer in *slot, wait for the worker to
 * pass a quiescent state, and return the old value, now safe to free.
 */
void *dp_publish(struct dp *dp, void **slot, void *new_value);

/* Control thread: wait until the worker holds no reference taken before now. */
void dp_synchronize(struct dp *dp);

#endif
