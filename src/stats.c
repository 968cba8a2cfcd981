/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.c - naming and walking the datapath counters for the control socket and the log. */
#include "stats.h"

#include <stdio.h>

/* Visit one counter as "prefix.name". */
static int stats_visit_one(const char *prefix, const char *name, uint64_t value, stats_visit_fn fn, void *arg)
{
	char full[64];

	snprintf(full, sizeof(full), "%s.%s", prefix, name);
	return fn(arg, full, value);
}

#define STATS_VISIT(name) kept += stats_visit_one(prefix, #name, __atomic_load_n(&s->name, __ATOMIC_RELAXED), fn, arg);

/* Visit counters[1..n) as "prefix.<dir>_<name(i)>". */
static int stats_visit_by_reason(const char *prefix, const char *dir, const uint64_t *counters, unsigned n,
				 const char *(*name)(unsigned), stats_visit_fn fn, void *arg)
{
	char full[48];
	int kept = 0;
	unsigned i;

	for (i = 1; i < n; i++) {
		snprintf(full, sizeof(full), "%s_%s", dir, name(i));
		kept += stats_visit_one(prefix, full, __atomic_load_n(&counters[i], __ATOMIC_RELAXED), fn, arg);
	}
	return kept;
}

static const char *stats_cls_name(unsigned i)
{
	return cls_status_name((enum cls_status)i);
}

static const char *stats_txv_name(unsigned i)
{
	return txval_verdict_name((enum txval_verdict)i);
}

int stats_visit_port(const char *prefix, const struct port_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	PORT_COUNTERS(STATS_VISIT)
	return kept + stats_visit_by_reason(prefix, "rx", s->rx_failed, CLS_STATUS_COUNT, stats_cls_name, fn, arg);
}

int stats_visit_app(const char *prefix, const struct app_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	APP_COUNTERS(STATS_VISIT, STATS_VISIT)
	return kept + stats_visit_by_reason(prefix, "tx", s->tx_refused, TXV_VERDICT_COUNT, stats_txv_name, fn, arg);
}

int stats_visit_dp(const char *prefix, const struct dp_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	DP_COUNTERS(STATS_VISIT)
	return kept;
}

int stats_visit_cap(const char *prefix, const struct cap_stats *s, stats_visit_fn fn, void *arg)
{
	int kept = 0;
	CAP_COUNTERS(STATS_VISIT)
	return kept;
}

uint64_t stats_app_drops(const struct app_stats *s)
{
	uint64_t sum = 0;
	unsigned i;

#define STATS_NOT_A_DROP(name)
#define STATS_ADD_DROP(name) sum += s->name;
	APP_COUNTERS(STATS_NOT_A_DROP, STATS_ADD_DROP)
#undef STATS_NOT_A_DROP
#undef STATS_ADD_DROP
	for (i = 1; i < TXV_VERDICT_COUNT; i++)
		sum += s->tx_refused[i];
	return sum;
}
