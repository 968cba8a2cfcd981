/* SPDX-License-Identifier: BSD-2-Clause */
/* handover.c - the kernel's share off the workers: the rings to and from the TAP lcore, and their kicks. */
#include "handover.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "capture.h"

#define HANDOVER_BURST_MAX 64
/*
 * Direct route: tx bursts tried again for the frames a full NIC queue left,
 * before they are dropped (nic.tx_full). A few: the queue drains at line
 * rate, and the TAP lcore must get back to the workers' frames for the kernel.
 */
#define HANDOVER_NIC_TX_TRIES 4

static void handover_kick(int fd)
{
	uint64_t one = 1;

	/* Non-blocking; the counter cannot fill up (2^64 - 1 kicks), and the reader never reads it (idle.h). */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static struct rte_ring *handover_ring(const char *what, uint32_t w)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "mstack_%s_%u", what, w);
	return rte_ring_create(name, HANDOVER_RING_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int handover_init(struct handover *h, uint32_t nworkers, uint16_t tap_port, uint16_t nic_port, uint16_t nic_txq,
		  uint16_t burst)
{
	uint32_t w;

	memset(h, 0, sizeof(*h));
	h->tap_kick_fd = -1;
	for (w = 0; w < HANDOVER_WORKERS_MAX; w++)
		h->chan[w].worker_kick_fd = -1;
	if (nworkers == 0 || nworkers > HANDOVER_WORKERS_MAX)
		return -EINVAL;
	h->tap_port = tap_port;
	h->nic_port = nic_port;
	h->nic_txq = nic_txq;
	h->burst = burst > HANDOVER_BURST_MAX ? HANDOVER_BURST_MAX : burst;
	h->tap_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->tap_kick_fd < 0)
		return -errno;
	for (w = 0; w < nworkers; w++) {
		struct handover_chan *c = &h->chan[w];

		h->nchan = w + 1;
		c->to_tap = handover_ring("to_tap", w);
		c->from_tap = handover_ring("from_tap", w);
		if (!c->to_tap || !c->from_tap)
			return rte_errno > 0 ? -rte_errno : -ENOMEM;
		c->worker_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->worker_kick_fd < 0)
			return -errno;
	}
	return 0;
}

static void handover_ring_free(struct rte_ring *r)
{
	struct rte_mbuf *m[HANDOVER_BURST_MAX];
	unsigned n;

	if (!r)
		return;
	while ((n = rte_ring_dequeue_burst(r, (void **)m, HANDOVER_BURST_MAX, NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	rte_ring_free(r);
}

void handover_fini(struct handover *h)
{
	uint32_t w;

	for (w = 0; w < h->nchan; w++) {
		struct handover_chan *c = &h->chan[w];

		handover_ring_free(c->to_tap);
		handover_ring_free(c->from_tap);
		c->to_tap = c->from_tap = NULL;
		if (c->worker_kick_fd >= 0)
			close(c->worker_kick_fd);
		c->worker_kick_fd = -1;
	}
	if (h->tap_kick_fd >= 0)
		close(h->tap_kick_fd);
	h->tap_kick_fd = -1;
	h->nchan = 0;
}

/*
 * Producer side of the need-wakeup rule (handover.h): the enqueue's release
 * store, a full fence, then the sleeper's flag. Returns whether it kicked.
 */
static bool handover_wake(uint32_t *sleeping, int fd)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (likely(!__atomic_load_n(sleeping, __ATOMIC_RELAXED)))
		return false;
	if (!__atomic_exchange_n(sleeping, 0, __ATOMIC_ACQ_REL))
		return false; /* another producer took it: one kick per sleep */
	handover_kick(fd);
	return true;
}

/* Sleeper side: flag, full fence, then one more look at the input. */
static void handover_flag_sleep(uint32_t *sleeping)
{
	__atomic_store_n(sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint32_t handover_to_kernel(struct handover *h, uint32_t w, struct rte_mbuf **pkts, uint32_t n)
{
	struct handover_chan *c = &h->chan[w];
	uint32_t q;

	if (n == 0)
		return 0;
	q = rte_ring_enqueue_burst(c->to_tap, (void **)pkts, n, NULL);
	if (unlikely(q < n)) {
		c->st.handover_full += n - q;
		rte_pktmbuf_free_bulk(&pkts[q], n - q);
	}
	if (q && handover_wake(&h->tap_sleeping, h->tap_kick_fd))
		c->st.handover_kicks++;
	return q;
}

uint32_t handover_from_kernel(struct handover *h, uint32_t w, struct rte_mbuf **pkts, uint32_t max)
{
	return rte_ring_dequeue_burst(h->chan[w].from_tap, (void **)pkts, max, NULL);
}

bool handover_worker_may_sleep(struct handover *h, uint32_t w)
{
	struct handover_chan *c = &h->chan[w];

	handover_flag_sleep(&c->worker_sleeping);
	if (rte_ring_empty(c->from_tap))
		return true;
	__atomic_store_n(&c->worker_sleeping, 0, __ATOMIC_RELAXED);
	return false;
}

bool handover_kick_worker(struct handover *h, uint32_t w)
{
	return handover_wake(&h->chan[w].worker_sleeping, h->chan[w].worker_kick_fd);
}

void handover_worker_awake(struct handover *h, uint32_t w)
{
	__atomic_store_n(&h->chan[w].worker_sleeping, 0, __ATOMIC_RELAXED);
}

/* Send one worker's frames for the kernel to the TAP (a system call per frame: why it is here). */
static uint32_t handover_tap_tx(struct handover *h, struct handover_chan *c)
{
	struct rte_mbuf *m[HANDOVER_BURST_MAX];
	uint32_t n = rte_ring_dequeue_burst(c->to_tap, (void **)m, h->burst, NULL), i;
	uint16_t sent;

	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(h->tap_port, 0, m, (uint16_t)n);
	for (i = 0; i < sent; i++)
		h->tap_stats.tx_bytes += m[i]->pkt_len;
	h->tap_stats.tx_packets += sent;
	if (sent < n) {
		h->tap_stats.tx_full += n - sent;
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
	return n;
}

/* Worker-0 route: the kernel's frames to worker 0, which sends them out of the NIC unchanged. */
static void handover_return(struct handover *h, struct rte_mbuf **m, uint32_t n)
{
	struct handover_chan *c = &h->chan[0];
	uint32_t q = rte_ring_enqueue_burst(c->from_tap, (void **)m, n, NULL);

	h->st.returned += q;
	if (unlikely(q < n)) {
		h->st.return_full += n - q;
		rte_pktmbuf_free_bulk(&m[q], n - q);
	}
	if (q && handover_wake(&c->worker_sleeping, c->worker_kick_fd))
		h->st.return_kicks++;
}

/*
 * Direct route: the kernel's frames out of the NIC on the TAP lcore's own tx
 * queue (its only user: no lock), in the order the kernel sent them. What a
 * full queue still refuses after a few tries is dropped and counted as the
 * NIC's tx_full, as a worker counts its own. A capture sees the frames as
 * offered, in the TAP lcore's ring.
 */
static void handover_nic_tx(struct handover *h, struct capture *cap, struct rte_mbuf **m, uint32_t n)
{
	struct port_stats *st = &h->nic_stats;
	uint32_t sent = 0, tries, i;

	if (unlikely(cap))
		capture_mbufs(cap, h->nchan, &h->cap_stats, MS_CAP_NIC, MS_CAP_TX, 0, m, n);
	for (tries = 0; sent < n && tries < HANDOVER_NIC_TX_TRIES; tries++) {
		if (tries)
			h->st.nic_tx_retries++;
		sent += rte_eth_tx_burst(h->nic_port, h->nic_txq, &m[sent], (uint16_t)(n - sent));
	}
	for (i = 0; i < sent; i++)
		st->tx_bytes += m[i]->pkt_len;
	st->tx_packets += sent;
	if (unlikely(sent < n)) {
		st->tx_full += n - sent;
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
}

/* The kernel's frames from the TAP, out of the NIC by the route in use. */
static uint32_t handover_tap_rx(struct handover *h, struct capture *cap)
{
	struct rte_mbuf *m[HANDOVER_BURST_MAX];
	uint16_t n = rte_eth_rx_burst(h->tap_port, 0, m, h->burst), i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		h->tap_stats.rx_bytes += m[i]->pkt_len;
	h->tap_stats.rx_packets += n;
	if (!handover_direct(h)) {
		handover_return(h, m, n); /* worker 0 records them in its capture ring */
		return n;
	}
	if (unlikely(cap))
		capture_mbufs(cap, h->nchan, &h->cap_stats, MS_CAP_TAP, MS_CAP_RX, 0, m, n);
	handover_nic_tx(h, cap, m, n);
	return n;
}

uint32_t handover_tap_poll(struct handover *h, struct capture *cap)
{
	uint32_t w, work = 0;

	/* Only the direct route records anything here: without it the capture has no ring for the TAP lcore. */
	if (!handover_direct(h))
		cap = NULL;
	for (w = 0; w < h->nchan; w++)
		work += handover_tap_tx(h, &h->chan[w]);
	work += handover_tap_rx(h, cap);
	if (unlikely(cap))
		capture_publish(cap, h->nchan, &h->cap_stats);
	return work;
}

bool handover_tap_may_sleep(struct handover *h)
{
	uint32_t w;

	handover_flag_sleep(&h->tap_sleeping);
	for (w = 0; w < h->nchan; w++)
		if (!rte_ring_empty(h->chan[w].to_tap)) {
			__atomic_store_n(&h->tap_sleeping, 0, __ATOMIC_RELAXED);
			return false;
		}
	h->st.lcore_sleeps++;
	return true;
}

void handover_tap_awake(struct handover *h)
{
	__atomic_store_n(&h->tap_sleeping, 0, __ATOMIC_RELAXED);
}

static int handover_visit_one(const char *name, uint64_t value, stats_visit_fn fn, void *arg)
{
	char full[64];

	snprintf(full, sizeof(full), "tap.%s", name);
	return fn(arg, full, value);
}

int handover_visit_stats(const struct handover *h, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	uint32_t w;

#define HANDOVER_SUM(name)                                                             \
	{                                                                              \
		uint64_t sum = 0;                                                      \
		for (w = 0; w < h->nchan; w++)                                         \
			sum += __atomic_load_n(&h->chan[w].st.name, __ATOMIC_RELAXED); \
		kept += handover_visit_one(#name, sum, fn, arg);                       \
	}
#define HANDOVER_ONE(name) kept += handover_visit_one(#name, __atomic_load_n(&h->st.name, __ATOMIC_RELAXED), fn, arg);
	HANDOVER_WORKER_COUNTERS(HANDOVER_SUM)
	HANDOVER_TAP_COUNTERS(HANDOVER_ONE)
#undef HANDOVER_SUM
#undef HANDOVER_ONE
	kept += handover_visit_one("nic_txq_owned", handover_direct(h), fn, arg);
	kept +=
	    handover_visit_one("nic_tx_packets", __atomic_load_n(&h->nic_stats.tx_packets, __ATOMIC_RELAXED), fn, arg);
	kept += handover_visit_one("nic_tx_full", __atomic_load_n(&h->nic_stats.tx_full, __ATOMIC_RELAXED), fn, arg);
	return kept;
}
