/* stats.c - naming and walking the datapath counters for the control socket and the log. */
#include "stats.h"

#include <stdio.h>

#define STATS_VISIT(name)                                                           \
	{                                                                           \
		char full[64];                                                      \
		snprintf(full, sizeof(full), "%s.%s", prefix, #name);               \
		kept += fn(arg, full, __atomic_load_n(&s->name, __ATOMIC_RELAXED)); \
	}

int stats_visit_port(const char *prefix, const struct port_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	PORT_COUNTERS(STATS_VISIT)
	return kept;
}

int stats_visit_app(const char *prefix, const struct app_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	APP_COUNTERS(STATS_VISIT)
	return kept;
}

int stats_visit_dp(const char *prefix, const struct dp_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	DP_COUNTERS(STATS_VISIT)
	return kept;
}

uint64_t stats_app_drops(const struct app_stats *s)
{
	return s->rx_ring_full + s->rx_bad_index + s->tx_bad_index + s->tx_invalid_desc + s->tx_bad_src_mac +
	       s->tx_malformed + s->tx_spoofed + s->tx_proto_denied + s->tx_too_long + s->tx_ip_options +
	       s->tx_frag_orphan + s->tx_nombuf + s->tx_nic_full;
}
