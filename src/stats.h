/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.h - datapath counters, named for what they count, written by one lcore each. */
#ifndef MSTACK_STATS_H
#define MSTACK_STATS_H

#include <stdint.h>

#include "classify.h"
#include "txverdict.h"

/*
 * Each counter block is written by exactly one datapath lcore and read by
 * the control thread; aligned 64-bit loads and stores are atomic on the
 * platforms DPDK supports, so readers see each value whole.
 */

/*
 * One counter per line, kept as written. Besides these, a port counts each
 * classifier failure (CLS_FAILURES, classify.h) as "rx_<name>" and an app
 * each transmit refusal (TXV_REFUSALS, txverdict.h) as "tx_<name>": those
 * lists are the only place that names them.
 * An app's counters are X(name) or, for frames it lost, DROP(name).
 */
/* clang-format off */
#define PORT_COUNTERS(X) \
	X(rx_packets) \
	X(rx_bytes) \
	X(tx_packets) \
	X(tx_bytes) \
	X(rx_multiseg) \
	X(rx_fragment) \
	X(rx_vlan) \
	X(rx_other_mac) \
	X(rx_not_local) \
	X(rx_to_kernel) \
	X(rx_to_app) \
	X(rx_held)           /* for a tuple held across a restart of mstackd (hold.h): dropped, the peer resends */ \
	X(rx_bcast) \
	X(rx_icmp_to_app)    /* ICMP errors about an app's flow: a copy to the app, the frame to the kernel */ \
	X(rx_icmp_malformed) /* ICMP errors with a bad checksum or a short quote: to the kernel only */ \
	X(tx_full)

#define APP_COUNTERS(X, DROP) \
	X(rx_packets) \
	X(rx_bytes) \
	DROP(rx_ring_full) \
	DROP(rx_too_long) \
	DROP(rx_bad_index) \
	X(rx_wakeups) \
	X(tx_packets) \
	X(tx_bytes) \
	DROP(tx_bad_index) \
	DROP(tx_invalid_desc) \
	DROP(tx_nombuf) \
	DROP(tx_nic_full)

/* sleeps..napped_us: the adaptive idle policy (idle.c); time slept or napped is part of total_cycles. */
#define DP_COUNTERS(X) \
	X(loops) \
	X(busy_loops) \
	X(busy_cycles) \
	X(total_cycles) \
	X(packets) \
	X(sleeps) \
	X(slept_us) \
	X(woke_rx) \
	X(woke_kick) \
	X(idle_pending) \
	X(naps) \
	X(napped_us)
/* clang-format on */

/* Packet capture: copies made, copies lost to a full capture ring (never the traffic), reader wakeups. */
#define CAP_COUNTERS(X) X(frames) X(dropped) X(wakeups)

#define STATS_FIELD(name) uint64_t name;

struct port_stats {
	PORT_COUNTERS(STATS_FIELD)
	uint64_t rx_failed[CLS_STATUS_COUNT]; /* by classifier failure; [CLS_OK] unused */
} __attribute__((aligned(64)));

struct app_stats {
	APP_COUNTERS(STATS_FIELD, STATS_FIELD)
	uint64_t tx_refused[TXV_VERDICT_COUNT]; /* by validator verdict, all drops; [TXV_OK] unused */
} __attribute__((aligned(64)));

struct dp_stats {
	DP_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

struct cap_stats {
	CAP_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

/* Sum of an app's drops of every reason. */
uint64_t stats_app_drops(const struct app_stats *s);

/*
 * Visit each counter of a block as ("prefix.name", value).
 * Returns the sum of the visitor's return values (how many it kept).
 */
typedef int (*stats_visit_fn)(void *arg, const char *name, uint64_t value);
int stats_visit_port(const char *prefix, const struct port_stats *s, stats_visit_fn fn, void *arg);
int stats_visit_app(const char *prefix, const struct app_stats *s, stats_visit_fn fn, void *arg);
int stats_visit_dp(const char *prefix, const struct dp_stats *s, stats_visit_fn fn, void *arg);
int stats_visit_cap(const char *prefix, const struct cap_stats *s, stats_visit_fn fn, void *arg);

#endif
