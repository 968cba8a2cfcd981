/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_counters.c - the stack's counters by name (ms_tcp_counters), for operators' tools and tests. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <mstack/tcp.h>

#include "tcp_ip.h"
#include "tcp_stack.h"

#define TCP_COUNTER(name, field)                        \
	{                                               \
		name, offsetof(struct tcp_stats, field) \
	}

/* Names are stable: tools match on them. New counters go at the end. */
static const struct {
	const char *name;
	size_t off;
} tcp_counter_fields[] = {
	TCP_COUNTER("rx_frames", rx_frames),
	TCP_COUNTER("rx_dropped_other", rx_dropped[0]),
	TCP_COUNTER("rx_dropped_short", rx_dropped[-TCP_IP_DROP_SHORT]),
	TCP_COUNTER("rx_dropped_not_ip", rx_dropped[-TCP_IP_DROP_NOT_IP]),
	TCP_COUNTER("rx_dropped_bad_ip", rx_dropped[-TCP_IP_DROP_BAD_IP]),
	TCP_COUNTER("rx_dropped_fragment", rx_dropped[-TCP_IP_DROP_FRAGMENT]),
	TCP_COUNTER("rx_dropped_not_tcp", rx_dropped[-TCP_IP_DROP_NOT_TCP]),
	TCP_COUNTER("rx_dropped_bad_csum", rx_dropped[-TCP_IP_DROP_BAD_CSUM]),
	TCP_COUNTER("rx_dropped_bad_opt", rx_dropped[-TCP_IP_DROP_BAD_OPT]),
	TCP_COUNTER("rx_dropped_bad_addr", rx_dropped[-TCP_IP_DROP_BAD_ADDR]),
	TCP_COUNTER("rx_icmp", rx_icmp),
	TCP_COUNTER("rx_no_conn", rx_no_conn),
	TCP_COUNTER("rx_bad_seq", rx_bad_seq),
	TCP_COUNTER("rx_paws", rx_paws),
	TCP_COUNTER("rx_dup_data", rx_dup_data),
	TCP_COUNTER("rx_ooo_dropped", rx_ooo_dropped),
	TCP_COUNTER("rx_no_mem", rx_no_mem),
	TCP_COUNTER("rst_sent", rst_sent),
	TCP_COUNTER("challenge_acks", challenge_acks),
	TCP_COUNTER("challenge_limited", challenge_limited),
	TCP_COUNTER("syn_cookies_sent", syn_cookies_sent),
	TCP_COUNTER("syn_cookies_ok", syn_cookies_ok),
	TCP_COUNTER("syn_dropped", syn_dropped),
	TCP_COUNTER("tx_frames", tx_frames),
	TCP_COUNTER("tx_ring_full", tx_ring_full),
	TCP_COUNTER("retransmits", retransmits),
	TCP_COUNTER("timeouts", timeouts),
	TCP_COUNTER("fast_retransmits", fast_retransmits),
	TCP_COUNTER("orphans_reset", orphans_reset),
	TCP_COUNTER("time_wait_reclaimed", time_wait_reclaimed),
	TCP_COUNTER("syn_cookies_ts", syn_cookies_ts),
};

_Static_assert(sizeof(((struct tcp_stats *)0)->rx_dropped) / sizeof(uint64_t) == 9,
	       "every rx_dropped reason has a name above");

int ms_tcp_counters(const struct ms_tcp_stack *st, struct ms_tcp_counter *out, int max)
{
	int i, n = (int)(sizeof(tcp_counter_fields) / sizeof(tcp_counter_fields[0]));

	if (!st || max < 0 || (max > 0 && !out))
		return -EINVAL;
	for (i = 0; i < n && i < max; i++) {
		out[i].name = tcp_counter_fields[i].name;
		memcpy(&out[i].value, (const char *)&st->stats + tcp_counter_fields[i].off, sizeof(uint64_t));
	}
	return n;
}
