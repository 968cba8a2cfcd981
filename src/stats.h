/* stats.h - datapath counters, named for what they count, written by one lcore each. */
#ifndef MSTACK_STATS_H
#define MSTACK_STATS_H

#include <stdint.h>

#include "classify.h"

/*
 * Each counter block is written by exactly one datapath lcore and read by
 * the control thread; aligned 64-bit loads and stores are atomic on the
 * platforms DPDK supports, so readers see each value whole.
 */

/* One counter per line, kept as written: */
/* clang-format off */
#define PORT_COUNTERS(X) \
	X(rx_packets) \
	X(rx_bytes) \
	X(tx_packets) \
	X(tx_bytes) \
	X(rx_runt) \
	X(rx_truncated) \
	X(rx_bad_version) \
	X(rx_bad_ihl) \
	X(rx_bad_totlen) \
	X(rx_bad_csum) \
	X(rx_multiseg) \
	X(rx_fragment) \
	X(rx_vlan) \
	X(rx_other_mac) \
	X(rx_not_local) \
	X(rx_to_kernel) \
	X(rx_to_app) \
	X(rx_bcast) \
	X(tx_full)

#define APP_COUNTERS(X) \
	X(rx_packets) \
	X(rx_bytes) \
	X(rx_ring_full) \
	X(rx_bad_index) \
	X(rx_wakeups) \
	X(tx_packets) \
	X(tx_bytes) \
	X(tx_bad_index) \
	X(tx_invalid_desc) \
	X(tx_bad_src_mac) \
	X(tx_malformed) \
	X(tx_spoofed) \
	X(tx_proto_denied) \
	X(tx_too_long) \
	X(tx_ip_options) \
	X(tx_frag_orphan) \
	X(tx_nombuf) \
	X(tx_nic_full)
/* clang-format on */

#define DP_COUNTERS(X) X(loops) X(busy_loops) X(busy_cycles) X(total_cycles) X(packets)

#define STATS_FIELD(name) uint64_t name;

struct port_stats {
	PORT_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

struct app_stats {
	APP_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

struct dp_stats {
	DP_COUNTERS(STATS_FIELD)
} __attribute__((aligned(64)));

/* Per-port counter for a classifier failure. */
static inline uint64_t *stats_port_cls(struct port_stats *s, enum cls_status st)
{
	switch (st) {
	case CLS_RUNT: return &s->rx_runt;
	case CLS_TRUNCATED: return &s->rx_truncated;
	case CLS_BAD_VERSION: return &s->rx_bad_version;
	case CLS_BAD_IHL: return &s->rx_bad_ihl;
	case CLS_BAD_TOTLEN: return &s->rx_bad_totlen;
	case CLS_BAD_CSUM: return &s->rx_bad_csum;
	default: return &s->rx_truncated;
	}
}

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

#endif
