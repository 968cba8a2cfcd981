/* SPDX-License-Identifier: BSD-2-Clause */
/* check_handover.c - unit tests for the rings between the workers and the TAP lcore (src/handover.c). */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "capture.h"
#include "check_main.h"
#include "handover.h"

/*
 * The TAP lcore's port is a real ethdev: net_null with no-rx (it takes every
 * frame sent and never receives), so that handover_tap_poll runs its real
 * tx and rx bursts. The routes of the kernel's frames take two net_ring
 * ports, whose queue q sends into the ring that rx queue q reads: a frame
 * sent on the TAP port's queue is one the kernel sent, and what the TAP
 * lcore sends on the NIC's tx queue q can be read back from its rx queue q.
 */
#define NIC_QUEUES 3 /* two workers' and the TAP lcore's */

static struct rte_mempool *pool;
static uint16_t null_port, tap_ring_port, nic_ring_port;
static struct handover ho;

static void ho_setup(void)
{
	ck_assert_int_eq(handover_init(&ho, 2, null_port, nic_ring_port, PORT_NO_TXQ, 32), 0);
}

static void ho_teardown(void)
{
	handover_fini(&ho);
}

static void alloc_frames(struct rte_mbuf **m, unsigned n)
{
	unsigned i;

	ck_assert_int_eq(rte_pktmbuf_alloc_bulk(pool, m, n), 0);
	for (i = 0; i < n; i++) {
		m[i]->data_len = 60;
		m[i]->pkt_len = 60;
	}
}

/* Has the eventfd been written since it was last drained? Drains it. */
static uint64_t kicks(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, 0) != 1)
		return 0;
	ck_assert_int_eq(read(fd, &v, sizeof(v)), (int)sizeof(v));
	return v;
}

START_TEST(test_frames_for_the_kernel_reach_the_tap_lcore_and_the_tap_in_order)
{
	struct rte_mbuf *m[8];
	unsigned avail = rte_mempool_avail_count(pool);

	alloc_frames(m, 8);
	ck_assert_uint_eq(handover_to_kernel(&ho, 1, m, 8), 8);
	ck_assert_uint_eq(rte_ring_count(ho.chan[1].to_tap), 8);
	ck_assert_uint_eq(rte_ring_count(ho.chan[0].to_tap), 0);
	ck_assert_uint_eq(handover_tap_poll(&ho, NULL), 8);
	ck_assert_uint_eq(ho.tap_stats.tx_packets, 8);
	ck_assert_uint_eq(ho.tap_stats.tx_bytes, 8 * 60);
	ck_assert_uint_eq(ho.chan[1].st.handover_full, 0);
	/* net_null freed what it sent: every mbuf is back. */
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail);
	ck_assert_uint_eq(handover_tap_poll(&ho, NULL), 0);
}
END_TEST

START_TEST(test_a_full_ring_to_the_tap_lcore_drops_and_counts_never_blocks)
{
	struct rte_mbuf *m[64];
	unsigned avail = rte_mempool_avail_count(pool), sent = 0, i;

	/* rte_ring keeps one slot empty: HANDOVER_RING_SIZE - 1 frames fit. */
	for (i = 0; i < HANDOVER_RING_SIZE / 64 + 1; i++) {
		alloc_frames(m, 64);
		sent += handover_to_kernel(&ho, 0, m, 64);
	}
	ck_assert_uint_eq(sent, HANDOVER_RING_SIZE - 1);
	ck_assert_uint_eq(ho.chan[0].st.handover_full, (HANDOVER_RING_SIZE / 64 + 1) * 64 - sent);
	/* The dropped frames went back to the pool at once, the others wait in the ring. */
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail - sent);
}
END_TEST

START_TEST(test_a_sleeping_tap_lcore_is_kicked_once_per_sleep)
{
	struct rte_mbuf *m[4];

	ck_assert(handover_tap_may_sleep(&ho));
	alloc_frames(m, 4);
	handover_to_kernel(&ho, 0, m, 2);
	handover_to_kernel(&ho, 1, m + 2, 2);
	/* Two producers, one sleep: one kick. */
	ck_assert_uint_eq(kicks(ho.tap_kick_fd), 1);
	ck_assert_uint_eq(ho.chan[0].st.handover_kicks + ho.chan[1].st.handover_kicks, 1);
	handover_tap_awake(&ho);
	ck_assert_uint_eq(handover_tap_poll(&ho, NULL), 4);
}
END_TEST

START_TEST(test_an_awake_tap_lcore_is_never_kicked)
{
	struct rte_mbuf *m[4];

	alloc_frames(m, 4);
	handover_to_kernel(&ho, 0, m, 4);
	ck_assert_uint_eq(kicks(ho.tap_kick_fd), 0);
	ck_assert_uint_eq(ho.chan[0].st.handover_kicks, 0);
	handover_tap_poll(&ho, NULL);
}
END_TEST

START_TEST(test_the_tap_lcore_does_not_sleep_on_frames_handed_over_before_its_flag)
{
	struct rte_mbuf *m[1];

	alloc_frames(m, 1);
	handover_to_kernel(&ho, 1, m, 1);
	ck_assert(!handover_tap_may_sleep(&ho));
	/* The flag is down again: a handover now makes no system call. */
	ck_assert_uint_eq(ho.tap_sleeping, 0);
	ck_assert_uint_eq(ho.st.lcore_sleeps, 0);
	handover_tap_poll(&ho, NULL);
	ck_assert(handover_tap_may_sleep(&ho));
	ck_assert_uint_eq(ho.st.lcore_sleeps, 1);
}
END_TEST

START_TEST(test_a_worker_sleeps_only_with_nothing_from_the_kernel_and_is_kicked_once)
{
	struct rte_mbuf *m[2], *got[4];

	ck_assert(handover_worker_may_sleep(&ho, 0));
	ck_assert(handover_kick_worker(&ho, 0));
	ck_assert(!handover_kick_worker(&ho, 0)); /* taken by the first */
	ck_assert_uint_eq(kicks(ho.chan[0].worker_kick_fd), 1);
	ck_assert_uint_eq(kicks(ho.chan[1].worker_kick_fd), 0);
	handover_worker_awake(&ho, 0);

	/* Frames waiting from the kernel: no sleep. */
	alloc_frames(m, 2);
	ck_assert_uint_eq(rte_ring_enqueue_burst(ho.chan[0].from_tap, (void **)m, 2, NULL), 2);
	ck_assert(!handover_worker_may_sleep(&ho, 0));
	ck_assert(!handover_kick_worker(&ho, 0));
	ck_assert_uint_eq(handover_from_kernel(&ho, 0, got, 4), 2);
	ck_assert_ptr_eq(got[0], m[0]);
	ck_assert_ptr_eq(got[1], m[1]);
	rte_pktmbuf_free_bulk(got, 2);
}
END_TEST

static int sum_visit(void *arg, const char *name, uint64_t value)
{
	if (strcmp(name, "tap.handover_full") == 0)
		*(uint64_t *)arg = value;
	return 1;
}

START_TEST(test_counters_are_summed_over_the_workers)
{
	uint64_t full = 0;

	ho.chan[0].st.handover_full = 3;
	ho.chan[1].st.handover_full = 4;
	handover_visit_stats(&ho, sum_visit, &full);
	ck_assert_uint_eq(full, 7);
}
END_TEST

static void ring_drain(uint16_t port, uint16_t q)
{
	struct rte_mbuf *m[64];
	uint16_t n;

	while ((n = rte_eth_rx_burst(port, q, m, 64)) > 0)
		rte_pktmbuf_free_bulk(m, n);
}

static void direct_setup(void)
{
	ck_assert_int_eq(handover_init(&ho, 2, tap_ring_port, nic_ring_port, 2, 32), 0);
}

static void via_worker0_setup(void)
{
	ck_assert_int_eq(handover_init(&ho, 2, tap_ring_port, nic_ring_port, PORT_NO_TXQ, 32), 0);
}

static void route_teardown(void)
{
	uint16_t q;

	handover_fini(&ho);
	ring_drain(tap_ring_port, 0);
	for (q = 0; q < NIC_QUEUES; q++)
		ring_drain(nic_ring_port, q);
}

/* The kernel sends n frames, numbered from first in their first byte: they wait on the TAP. */
static void kernel_sends(struct rte_mbuf **m, unsigned n, uint8_t first)
{
	unsigned i;

	alloc_frames(m, n);
	for (i = 0; i < n; i++)
		*rte_pktmbuf_mtod(m[i], uint8_t *) = (uint8_t)(first + i);
	ck_assert_uint_eq(rte_eth_tx_burst(tap_ring_port, 0, m, (uint16_t)n), n);
}

struct counter_query {
	const char *name;
	uint64_t value;
	int found;
};

static int counter_visit(void *arg, const char *name, uint64_t value)
{
	struct counter_query *q = arg;

	if (strcmp(name, q->name) == 0) {
		q->value = value;
		q->found++;
	}
	return 1;
}

/* One of the handover's counters as mstackctl stats names it. */
static uint64_t counter(const char *name)
{
	struct counter_query q = { name, 0, 0 };

	handover_visit_stats(&ho, counter_visit, &q);
	ck_assert_msg(q.found == 1, "counter %s visited %d times", name, q.found);
	return q.value;
}

START_TEST(test_direct_route_the_kernels_frames_leave_by_the_tap_lcores_own_nic_queue_in_order)
{
	struct rte_mbuf *m[8], *got[16];
	unsigned avail = rte_mempool_avail_count(pool), i;

	kernel_sends(m, 8, 10);
	ck_assert_uint_eq(handover_tap_poll(&ho, NULL), 8);
	/* Straight onto NIC tx queue 2, in the kernel's order; none to worker 0, no worker queue touched. */
	ck_assert_uint_eq(rte_eth_rx_burst(nic_ring_port, 2, got, 16), 8);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(*rte_pktmbuf_mtod(got[i], uint8_t *), 10 + i);
	rte_pktmbuf_free_bulk(got, 8);
	ck_assert_uint_eq(rte_eth_rx_burst(nic_ring_port, 0, got, 16), 0);
	ck_assert_uint_eq(rte_eth_rx_burst(nic_ring_port, 1, got, 16), 0);
	ck_assert_uint_eq(rte_ring_count(ho.chan[0].from_tap), 0);
	ck_assert_uint_eq(kicks(ho.chan[0].worker_kick_fd), 0);
	/* Counted as the NIC's transmits (nic.tx_packets sums them in) and under tap.*. */
	ck_assert_uint_eq(ho.nic_stats.tx_packets, 8);
	ck_assert_uint_eq(ho.nic_stats.tx_bytes, 8 * 60);
	ck_assert_uint_eq(ho.tap_stats.rx_packets, 8);
	ck_assert_uint_eq(counter("tap.nic_txq_owned"), 1);
	ck_assert_uint_eq(counter("tap.nic_tx_packets"), 8);
	ck_assert_uint_eq(counter("tap.returned"), 0);
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail);
}
END_TEST

START_TEST(test_direct_route_a_full_nic_queue_is_retried_a_bounded_number_of_times_then_dropped_and_counted)
{
	struct rte_mbuf *m[32], *got[32];
	unsigned avail = rte_mempool_avail_count(pool), queued = 0, n;

	/* Nobody drains NIC queue 2 (a ring of 1024 slots, 1023 usable): fill it past the brim. */
	while (queued < 1023 + 32) {
		kernel_sends(m, 32, 0);
		handover_tap_poll(&ho, NULL);
		queued += 32;
	}
	ck_assert_uint_eq(ho.nic_stats.tx_packets, 1023);
	ck_assert_uint_eq(ho.nic_stats.tx_full, queued - 1023);
	/* Two bursts found the queue full; each was tried HANDOVER_NIC_TX_TRIES times in all, never more. */
	ck_assert_uint_eq(ho.st.nic_tx_retries, 2 * 3);
	ck_assert_uint_eq(counter("tap.nic_tx_full"), queued - 1023);
	/* The dropped frames are back in the pool; the queue holds the others, the first ones. */
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail - 1023);
	n = rte_eth_rx_burst(nic_ring_port, 2, got, 32);
	ck_assert_uint_eq(n, 32);
	ck_assert_uint_eq(*rte_pktmbuf_mtod(got[0], uint8_t *), 0);
	rte_pktmbuf_free_bulk(got, n);
}
END_TEST

START_TEST(test_direct_route_a_capture_records_the_kernels_frames_in_the_tap_lcores_own_ring)
{
	struct ms_capture_req req = {
		.points = MS_CAP_NIC | MS_CAP_TAP, .dirs = MS_CAP_RX | MS_CAP_TX, .snaplen = 128, .nslots = 64
	};
	struct capture *cap = capture_create(&req, 3);
	struct rte_mbuf *m[4];
	const struct ms_cap_rec *r;

	ck_assert_ptr_nonnull(cap);
	kernel_sends(m, 4, 40);
	ck_assert_uint_eq(handover_tap_poll(&ho, cap), 4);
	/* TAP rx and NIC tx of each frame, in ring 2 (the TAP lcore's), published; the workers' rings untouched. */
	ck_assert_uint_eq(__atomic_load_n(&cap->rings[2].ring->head, __ATOMIC_ACQUIRE), 8);
	ck_assert_uint_eq(cap->rings[0].ring->head, 0);
	ck_assert_uint_eq(cap->rings[1].ring->head, 0);
	ck_assert_uint_eq(ho.cap_stats.frames, 8);
	r = (const struct ms_cap_rec *)cap->rings[2].slots;
	ck_assert_uint_eq(r->point, MS_CAP_TAP);
	ck_assert_uint_eq(r->dir, MS_CAP_RX);
	ck_assert_uint_eq(*(const uint8_t *)(r + 1), 40);
	r = (const struct ms_cap_rec *)(cap->rings[2].slots + (size_t)4 * cap->slot_size);
	ck_assert_uint_eq(r->point, MS_CAP_NIC);
	ck_assert_uint_eq(r->dir, MS_CAP_TX);
	capture_destroy(cap);
}
END_TEST

START_TEST(test_worker0_route_the_kernels_frames_go_to_worker_0_which_is_kicked_if_asleep)
{
	struct ms_capture_req req = { .points = MS_CAP_TAP, .dirs = MS_CAP_RX, .snaplen = 64, .nslots = 64 };
	struct capture *cap = capture_create(&req, 2);
	struct rte_mbuf *m[8], *got[16];
	unsigned i;

	ck_assert_ptr_nonnull(cap);
	ck_assert(handover_worker_may_sleep(&ho, 0));
	kernel_sends(m, 8, 20);
	/* A capture runs, but only worker 0, which sends them, records them: the TAP lcore has no ring. */
	ck_assert_uint_eq(handover_tap_poll(&ho, cap), 8);
	ck_assert_uint_eq(ho.cap_stats.frames, 0);
	ck_assert_uint_eq(kicks(ho.chan[0].worker_kick_fd), 1);
	ck_assert_uint_eq(handover_from_kernel(&ho, 0, got, 16), 8);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(*rte_pktmbuf_mtod(got[i], uint8_t *), 20 + i);
	rte_pktmbuf_free_bulk(got, 8);
	for (i = 0; i < NIC_QUEUES; i++)
		ck_assert_uint_eq(rte_eth_rx_burst(nic_ring_port, (uint16_t)i, got, 16), 0);
	ck_assert_uint_eq(counter("tap.nic_txq_owned"), 0);
	ck_assert_uint_eq(counter("tap.returned"), 8);
	ck_assert_uint_eq(counter("tap.nic_tx_packets"), 0);
	capture_destroy(cap);
}
END_TEST

static Suite *handover_suite(void)
{
	Suite *s = suite_create("handover");
	TCase *tc = tcase_create("rings");

	tcase_add_checked_fixture(tc, ho_setup, ho_teardown);
	tcase_add_test(tc, test_frames_for_the_kernel_reach_the_tap_lcore_and_the_tap_in_order);
	tcase_add_test(tc, test_a_full_ring_to_the_tap_lcore_drops_and_counts_never_blocks);
	tcase_add_test(tc, test_counters_are_summed_over_the_workers);
	suite_add_tcase(s, tc);

	tc = tcase_create("wakeups");
	tcase_add_checked_fixture(tc, ho_setup, ho_teardown);
	tcase_add_test(tc, test_a_sleeping_tap_lcore_is_kicked_once_per_sleep);
	tcase_add_test(tc, test_an_awake_tap_lcore_is_never_kicked);
	tcase_add_test(tc, test_the_tap_lcore_does_not_sleep_on_frames_handed_over_before_its_flag);
	tcase_add_test(tc, test_a_worker_sleeps_only_with_nothing_from_the_kernel_and_is_kicked_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("direct route");
	tcase_add_checked_fixture(tc, direct_setup, route_teardown);
	tcase_add_test(tc, test_direct_route_the_kernels_frames_leave_by_the_tap_lcores_own_nic_queue_in_order);
	tcase_add_test(
	    tc, test_direct_route_a_full_nic_queue_is_retried_a_bounded_number_of_times_then_dropped_and_counted);
	tcase_add_test(tc, test_direct_route_a_capture_records_the_kernels_frames_in_the_tap_lcores_own_ring);
	suite_add_tcase(s, tc);

	tc = tcase_create("worker-0 route");
	tcase_add_checked_fixture(tc, via_worker0_setup, route_teardown);
	tcase_add_test(tc, test_worker0_route_the_kernels_frames_go_to_worker_0_which_is_kicked_if_asleep);
	suite_add_tcase(s, tc);
	return s;
}

/* A started net_null port that never receives: the TAP lcore's port in these tests. */
static int null_port_start(void)
{
	struct rte_eth_conf ec;

	memset(&ec, 0, sizeof(ec));
	if (rte_dev_probe("net_null_ckho,no-rx=1") != 0 ||
	    rte_eth_dev_get_port_by_name("net_null_ckho", &null_port) != 0)
		return -1;
	if (rte_eth_dev_configure(null_port, 1, 1, &ec) != 0 ||
	    rte_eth_rx_queue_setup(null_port, 0, 64, SOCKET_ID_ANY, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(null_port, 0, 64, SOCKET_ID_ANY, NULL) != 0)
		return -1;
	return rte_eth_dev_start(null_port);
}

/* A started net_ring port with nq queue pairs, each queue sending into the ring its rx queue reads. */
static int ring_port_start(const char *name, uint16_t nq, uint16_t *port)
{
	struct rte_eth_conf ec;
	uint16_t q;

	memset(&ec, 0, sizeof(ec));
	if (rte_dev_probe(name) != 0 || rte_eth_dev_get_port_by_name(name, port) != 0)
		return -1;
	if (rte_eth_dev_configure(*port, nq, nq, &ec) != 0)
		return -1;
	for (q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(*port, q, 1024, SOCKET_ID_ANY, NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup(*port, q, 1024, SOCKET_ID_ANY, NULL) != 0)
			return -1;
	return rte_eth_dev_start(*port);
}

int main(void)
{
	/* As check_btable: a small EAL with no shared files, apart from a running mstackd. */
	char *eal_args[] = { "check_handover",
			     "--no-huge",
			     "-m",
			     "128",
			     "--no-pci",
			     "--no-shconf",
			     "--no-telemetry",
			     "--file-prefix",
			     "check_handover",
			     "--log-level=*:error",
			     "-l",
			     "0",
			     NULL };
	int eal_argc = (int)(sizeof(eal_args) / sizeof(eal_args[0])) - 1;

	if (rte_eal_init(eal_argc, eal_args) < 0) {
		fprintf(stderr, "check_handover: rte_eal_init failed\n");
		return EXIT_FAILURE;
	}
	pool = rte_pktmbuf_pool_create("ckho_mbufs", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!pool || null_port_start() != 0 || ring_port_start("net_ring_cktap", 1, &tap_ring_port) != 0 ||
	    ring_port_start("net_ring_cknic", NIC_QUEUES, &nic_ring_port) != 0) {
		fprintf(stderr, "check_handover: cannot set up the mbuf pool, net_null and net_ring ports\n");
		return EXIT_FAILURE;
	}
	return check_run(srunner_create(handover_suite()));
}
