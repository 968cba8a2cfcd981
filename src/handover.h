/* SPDX-License-Identifier: BSD-2-Clause */
/* handover.h - the kernel's share off the workers: SPSC rings between each worker and the TAP lcore. */
#ifndef MSTACK_HANDOVER_H
#define MSTACK_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "port.h"
#include "stats.h"

struct capture;
struct rte_mbuf;
struct rte_ring;

/*
 * The TAP costs a system call per frame sent and per empty poll. So that a
 * worker's cost per frame does not depend on how much traffic goes to the
 * kernel, the TAP belongs to one lcore of its own (the main lcore's loop,
 * main.c), and each worker talks to it through two single-producer,
 * single-consumer rte_rings:
 *
 *   worker w --to_tap (SP/SC)--> TAP lcore --rte_eth_tx_burst--> TAP -> kernel
 *   kernel -> TAP --rx burst--> TAP lcore --rte_eth_tx_burst--> NIC tx queue nworkers   (direct route)
 *   kernel -> TAP --rx burst--> TAP lcore --from_tap (SP/SC)--> worker 0 --> NIC tx      (worker-0 route)
 *
 * Every NIC tx queue keeps exactly one owner. Where the NIC has a tx queue
 * more than there are workers (port.c), the TAP lcore owns that one and sends
 * the kernel's frames itself: no ring hop, no place in worker 0's bursts.
 * Otherwise they go back through a worker (worker 0: one worker keeps the
 * order of each of the kernel's flows). Either way the kernel's frames leave
 * by one queue, in the order the kernel sent them. A full ring drops the
 * frames and counts them; neither side ever waits for the other.
 *
 * Waking without spinning, in both directions, is the need-wakeup idea of
 * the app doorbells (ms_abi.h): a side about to sleep sets its "sleeping"
 * flag, a full fence, then looks at its input ring once more; the other side
 * publishes into the ring, a full fence, and kicks the sleeper's eventfd only
 * if the flag is set (taking it with an exchange, so one kick per sleep).
 * Either the sleeper sees the frames or the producer sees the flag.
 */
#define HANDOVER_RING_SIZE   1024 /* frames in flight each way per worker; a power of two */
#define HANDOVER_WORKERS_MAX 64

/* clang-format off */
/* Written by the worker that owns the channel. */
#define HANDOVER_WORKER_COUNTERS(X) \
	X(handover_full)  /* frames for the kernel dropped: the ring to the TAP lcore was full */ \
	X(handover_kicks) /* eventfd writes that woke a sleeping TAP lcore */
/* Written by the TAP lcore. */
#define HANDOVER_TAP_COUNTERS(X) \
	X(returned)       /* frames from the kernel handed to worker 0 for the NIC (worker-0 route) */ \
	X(return_full)    /* frames from the kernel dropped: the ring to the worker was full */ \
	X(return_kicks)   /* eventfd writes that woke a sleeping worker */ \
	X(nic_tx_retries) /* tx bursts on the TAP lcore's own NIC queue tried again for the frames left (direct route) */ \
	X(lcore_sleeps)   /* times the TAP lcore found nothing to do and slept */
/* clang-format on */

struct handover_worker_stats {
	HANDOVER_WORKER_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

struct handover_tap_stats {
	HANDOVER_TAP_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

/* One worker's pair of rings. */
struct handover_chan {
	struct rte_ring *to_tap;                               /* producer: the worker; consumer: the TAP lcore */
	struct rte_ring *from_tap;                             /* producer: the TAP lcore; consumer: the worker */
	int worker_kick_fd;                                    /* eventfd in the worker's idle epoll set (idle.c) */
	uint32_t worker_sleeping __attribute__((aligned(64))); /* set by the worker, taken by the TAP lcore */
	struct handover_worker_stats st;
};

struct handover {
	struct handover_chan chan[HANDOVER_WORKERS_MAX];
	uint32_t nchan;
	uint16_t tap_port;
	uint16_t nic_port;
	uint16_t nic_txq; /* the TAP lcore's own NIC tx queue, or PORT_NO_TXQ (the worker-0 route) */
	uint16_t burst;
	int tap_kick_fd;                                    /* eventfd in the TAP lcore's epoll set */
	uint32_t tap_sleeping __attribute__((aligned(64))); /* set by the TAP lcore, taken by a worker */
	struct port_stats tap_stats;                        /* the TAP port, written by the TAP lcore */
	struct port_stats nic_stats; /* the NIC's tx counts of the direct route, in the NIC's totals (dp_sum_stats) */
	struct cap_stats cap_stats;  /* the TAP lcore's capture ring (ring nchan) */
	struct handover_tap_stats st;
};

/*
 * Create nworkers pairs of rings and the eventfds. nic_txq: the NIC tx queue
 * the TAP lcore owns (the direct route), or PORT_NO_TXQ (through worker
 * 0). 0 or -errno; handover_fini cleans up either way.
 */
int handover_init(struct handover *h, uint32_t nworkers, uint16_t tap_port, uint16_t nic_port, uint16_t nic_txq,
		  uint16_t burst);

/* Does the TAP lcore send the kernel's frames on its own NIC tx queue? */
static inline bool handover_direct(const struct handover *h)
{
	return h->nic_txq != PORT_NO_TXQ;
}

/* Once no lcore uses it any more: free the frames still in the rings, the rings and the fds. */
void handover_fini(struct handover *h);

/*
 * Worker w: hand n frames for the kernel to the TAP lcore; the ones the ring
 * cannot take are freed and counted (handover_full). Kicks the TAP lcore if
 * it sleeps. Returns the frames handed over.
 */
uint32_t handover_to_kernel(struct handover *h, uint32_t w, struct rte_mbuf **pkts, uint32_t n);

/* Worker w: take up to max frames the kernel sent (to go out of the NIC unchanged). */
uint32_t handover_from_kernel(struct handover *h, uint32_t w, struct rte_mbuf **pkts, uint32_t max);

/*
 * Worker w, about to sleep: set its sleeping flag, full fence, then look at
 * its ring from the TAP lcore. Returns true if it may sleep; false (flag
 * cleared) if frames wait there.
 */
bool handover_worker_may_sleep(struct handover *h, uint32_t w);

/*
 * Another worker has just handed worker w frames (dp.c): full fence, and
 * kick w's eventfd if it sleeps. The same need-wakeup rule as above; w looks
 * at its peer rings after setting its flag. Returns whether it kicked.
 */
bool handover_kick_worker(struct handover *h, uint32_t w);

/* Worker w, awake again: clear its sleeping flag. */
void handover_worker_awake(struct handover *h, uint32_t w);

/*
 * The TAP lcore: send what the workers handed over to the TAP, read a burst
 * from the TAP and send it on its own NIC tx queue, or hand it to worker 0.
 * cap: the running capture or NULL; on the direct route the TAP lcore
 * records the kernel's frames (TAP rx, NIC tx) in its own ring of it, ring
 * nchan (never a worker's: each ring has one producer). Returns the frames
 * moved (0: idle).
 */
uint32_t handover_tap_poll(struct handover *h, struct capture *cap);

/*
 * The TAP lcore, about to sleep: set its flag, full fence, and look at every
 * worker's ring once more. Returns true if it may sleep; false (flag cleared)
 * if frames wait.
 */
bool handover_tap_may_sleep(struct handover *h);

/* The TAP lcore, awake again. */
void handover_tap_awake(struct handover *h);

/*
 * Visit the handover's counters as "tap.<name>", summed over the workers;
 * then the route as tap.nic_txq_owned (1: direct) and what the TAP lcore
 * sent on it as tap.nic_tx_packets and tap.nic_tx_full (also in nic.*).
 */
int handover_visit_stats(const struct handover *h, stats_visit_fn fn, void *arg);

#endif
