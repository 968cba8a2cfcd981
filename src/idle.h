/* SPDX-License-Identifier: BSD-2-Clause */
/* idle.h - the worker's idle policy: spin, or sleep on rx interrupts, the TAP, app kicks and a short timer. */
#ifndef MSTACK_IDLE_H
#define MSTACK_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

struct app;
struct dp;
struct dp_worker;
struct ports;

/*
 * With [datapath] idle = adaptive, a worker whose loops found nothing for
 * IDLE_SPIN_US goes to sleep in epoll_pwait2 on one epoll set holding:
 * - the NIC's rx interrupt fd if its PMD has one (ixgbe: the queue's MSI-X
 *   eventfd), found through rte_eth_dev_rx_intr_ctl_q_get_fd;
 * - the handover's eventfd: the TAP lcore kicks it when it gives a sleeping
 *   worker frames from the kernel (handover.h);
 * - every attached app's kick eventfd (the transmit doorbell, ms_abi.h).
 * Every fd is edge-triggered and never read: an eventfd or a socket reports
 * each new write or frame as an edge, an edge that comes while the worker is
 * awake waits in the epoll set's ready list, and not reading spares a
 * system call per event (an eventfd's counter cannot reach its 2^64 limit).
 *
 * With [datapath] coalesce_us = C (0: off), the worker trades latency for
 * CPU at moderate loads, as a NIC's interrupt throttling does: after a loop
 * that found work but drained its sources (no full burst), it naps C us
 * on a timer instead of spinning, so that frames gather and the next loop
 * (and the app it wakes) handles a batch. Waking a sleeping thread costs
 * microseconds of context switch; at a few hundred kpps a spinning worker
 * pays a whole core for frames a nap of 100 us gathers in tens. Frames from
 * apps and from the kernel wait up to C us during a nap; a full burst means
 * the worker is behind and it loops on without napping. With naps there is
 * no IDLE_SPIN_US: a nap already waited for the next frame, and a loop
 * with nothing after it goes to sleep on the events at once.
 *
 * A port without rx interrupts (net_af_packet, net_pcap) is polled on a
 * timer instead: the sleep starts at IDLE_BACKOFF_MIN_US and doubles up to
 * IDLE_BACKOFF_MAX_US while nothing arrives. With interrupts on both ports
 * the worker still wakes every IDLE_SLEEP_MAX_MS, which keeps the
 * heartbeat going and bounds what an app that clears its own doorbell loses.
 */
#define IDLE_SPIN_US        200
#define IDLE_BACKOFF_MIN_US 50
#define IDLE_BACKOFF_MAX_US 1000
#define IDLE_SLEEP_MAX_MS   100

/* What woke a sleeping worker (idle_sleep), as bits; 0 is the timer. */
#define IDLE_WOKE_RX   0x1u /* the NIC's rx interrupt, or frames from the kernel */
#define IDLE_WOKE_KICK 0x2u /* an app's kick */

/* What the worker does after a loop that found no work (idle_prepare). */
enum idle_step {
	IDLE_STAY,    /* not idle long enough: loop on */
	IDLE_PENDING, /* arming found frames an app published before it saw the doorbell: poll the apps */
	IDLE_SLEEP,   /* call idle_sleep */
};

struct idle {
	enum conf_idle policy;
	int epfd; /* the worker sleeps here; -1 with idle = poll */
	uint16_t intr_port[2];
	uint32_t nintr;        /* ports in intr_port: their rx interrupts are in epfd */
	uint16_t queue;        /* the worker's rx queue on those ports */
	bool timed;            /* a port has no rx interrupt: sleeps follow the back-off */
	bool ms_timer;         /* no epoll_pwait2 (Linux < 5.11): epoll_wait's milliseconds */
	uint64_t spin_tsc;     /* IDLE_SPIN_US in TSC cycles; 0 with naps */
	uint32_t coalesce_us;  /* [datapath] coalesce_us: the nap after a partial burst; 0: none */
	uint64_t tsc_per_us;   /* for the slept-time counter */
	uint32_t apps_changed; /* control thread: bumped after every attach is published */

	/* worker only */
	uint64_t last_work;  /* TSC of the last loop that found work */
	uint32_t backoff_us; /* the next timed sleep */
	uint32_t apps_seen;  /* apps_changed when the doorbells were last cleared */
	bool armed;          /* every app's doorbell is set */
	bool intr_on;        /* rx interrupts are enabled on the ports of intr_port */
};

/*
 * After port_setup: set the policy up (coalesce_us: the nap, adaptive only;
 * 0 for none); with adaptive, create the epoll set
 * and add the NIC's rx interrupt and kernel_fd, the eventfd the TAP lcore
 * kicks when it hands frames from the kernel to a sleeping worker
 * (handover.h). Returns 0 or -errno (logged).
 */
int idle_init(struct idle *id, enum conf_idle policy, uint32_t coalesce_us, const struct ports *ports, uint16_t queue,
	      int kernel_fd);

/*
 * Worker, after a loop that found work (adaptive only): should it nap now?
 * most is the largest count of frames one source gave the loop (the NIC
 * queue, the other workers, the kernel, the apps' tx rings), burst what a
 * source gives at most at once: a full burst from any of them means that
 * the worker is behind on it.
 */
static inline bool idle_should_nap(const struct idle *id, uint32_t most, uint32_t burst)
{
	return id->coalesce_us && most < burst;
}

/*
 * Worker: nap coalesce_us on a timer, whatever arrives. Like idle_sleep it
 * touches nothing published: call it offline.
 */
void idle_nap(struct dp_worker *wk);

/* After the worker has stopped. Accepts an idle_init that failed. */
void idle_fini(struct idle *id);

/*
 * Control thread, attach: before a is published, add its kick fd to the
 * epoll set of every worker that owns one of its queues and, with adaptive,
 * set its doorbells (a worker may be asleep already and never see this app
 * until it kicks). 0 or -errno.
 */
int idle_app_add(struct dp *dp, struct app *a);

/* Control thread, attach: a has been published; each worker clears its doorbells if it is awake. */
void idle_app_published(struct dp *dp);

/* Control thread, detach: take a's kick fd out of the epoll sets (the app's copy keeps the file open). */
void idle_app_remove(struct dp *dp, struct app *a);

/* Worker, after every loop (adaptive only): work found at TSC now clears its doorbells. */
void idle_awake(struct dp_worker *wk, uint32_t work, uint64_t now);

/*
 * Worker, after a loop without work (adaptive only): once idle long enough,
 * set every app's doorbell, a full fence, then re-check the tx rings;
 * arm the ports' rx interrupts. Reads the RCU-published app list: call it
 * online.
 */
enum idle_step idle_prepare(struct dp_worker *wk, uint64_t now);

/*
 * Worker: sleep until an event or the timer; returns IDLE_WOKE_* bits.
 * Touches nothing published: call it offline (rte_rcu_qsbr_thread_offline)
 * so that the control thread's grace periods do not wait for the sleep.
 */
unsigned idle_sleep(struct dp_worker *wk);

#endif
