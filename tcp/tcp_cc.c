/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_cc.c - congestion controllers by name, and the rules they share (initial window, slow start). */
#include <stddef.h>
#include <string.h>

#include "tcp_cc.h"

static const struct tcp_cc_ops *const cc_all[] = {
	&tcp_cc_newreno,
	&tcp_cc_cubic,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(cc_all) / sizeof(cc_all[0]); i++)
		if (strcmp(cc_all[i]->name, name) == 0)
			return cc_all[i];
	return NULL;
}

/*
 * RFC 6928 section 2: IW = min(10 * MSS, max(2 * MSS, 14600)). Chosen over
 * RFC 5681 3.1's 2 to 4 segments, as deployed stacks do. If the SYN or
 * SYN-ACK was lost, RFC 6928 section 2 requires one segment instead: the
 * connection sets that after init.
 */
uint32_t tcp_cc_initial_window(uint32_t mss)
{
	uint32_t floor = 2 * mss > 14600 ? 2 * mss : 14600;

	return 10 * mss < floor ? 10 * mss : floor;
}

/*
 * RFC 5681 3.1 slow start with RFC 3465's appropriate byte counting: the
 * window grows by the bytes acknowledged, at most L per ACK (L = 2 SMSS,
 * or 1 SMSS in the slow start that follows an RTO, RFC 3465 section 2.3).
 */
void tcp_cc_slow_start(struct tcp_cc_state *cc, uint32_t acked, uint32_t limit)
{
	uint32_t inc = acked < limit ? acked : limit;

	cc->cwnd = cc->cwnd > TCP_CC_CWND_MAX - inc ? TCP_CC_CWND_MAX : cc->cwnd + inc;
}
