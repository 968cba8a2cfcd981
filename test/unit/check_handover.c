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

#include "check_main.h"
#include "handover.h"

/*
 * The TAP lcore's port is a real ethdev: net_null with no-rx (it takes every
 * frame sent and never receives), so that handover_tap_poll runs its real
 * tx and rx bursts.
 */
static struct rte_mempool *pool;
static uint16_t null_port;
static struct handover ho;

static void ho_setup(void)
{
	ck_assert_int_eq(handover_init(&ho, 2, null_port, 32), 0);
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
	ck_assert_uint_eq(handover_tap_poll(&ho), 8);
	ck_assert_uint_eq(ho.tap_stats.tx_packets, 8);
	ck_assert_uint_eq(ho.tap_stats.tx_bytes, 8 * 60);
	ck_assert_uint_eq(ho.chan[1].st.handover_full, 0);
	/* net_null freed what it sent: every mbuf is back. */
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail);
	ck_assert_uint_eq(handover_tap_poll(&ho), 0);
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
	ck_assert_uint_eq(handover_tap_poll(&ho), 4);
}
END_TEST

START_TEST(test_an_awake_tap_lcore_is_never_kicked)
{
	struct rte_mbuf *m[4];

	alloc_frames(m, 4);
	handover_to_kernel(&ho, 0, m, 4);
	ck_assert_uint_eq(kicks(ho.tap_kick_fd), 0);
	ck_assert_uint_eq(ho.chan[0].st.handover_kicks, 0);
	handover_tap_poll(&ho);
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
	handover_tap_poll(&ho);
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
	if (!pool || null_port_start() != 0) {
		fprintf(stderr, "check_handover: cannot set up the mbuf pool and net_null port\n");
		return EXIT_FAILURE;
	}
	return check_run(srunner_create(handover_suite()));
}
