/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_route.h - next-hop MAC addresses from mstackd (the kernel's tables), cached and refreshed. */
#ifndef MSTACK_TCP_ROUTE_H
#define MSTACK_TCP_ROUTE_H

#include <stdint.h>

#include <mstack/mstack.h>

/*
 * The stack never ARPs or NDs: a destination's next-hop MAC comes from
 * ms_resolve (mstackd asks the kernel's routes and neighbours, gateways
 * included). Entries live for TCP_ROUTE_TTL_MS, then are asked again;
 * failures are remembered for TCP_ROUTE_NEG_TTL_MS so that a peer cannot
 * make the stack ask the daemon for every segment. A passive connection
 * learns its next hop from its SYN's source MAC (tcp_route_learn) and
 * never asks.
 */
#define TCP_ROUTE_TTL_MS     30000
#define TCP_ROUTE_NEG_TTL_MS 1000
#define TCP_ROUTE_ENTRIES    256 /* a fixed table, least recently used out */

struct tcp_route_entry {
	uint8_t family, valid;
	uint8_t addr[16];
	uint8_t mac[6];
	int error;              /* 0, or the remembered failure */
	uint64_t expires_ms;
	uint64_t used_ms;
};

struct tcp_route {
	struct ms_session *s;
	struct tcp_route_entry e[TCP_ROUTE_ENTRIES];
	uint64_t lookups, resolves, failures;
	/* For unit tests: resolve with this instead of ms_resolve when not NULL. */
	int (*resolve)(void *ctx, int family, const void *addr, uint8_t mac[6]);
	void *resolve_ctx;
};

void tcp_route_init(struct tcp_route *r, struct ms_session *s);

/* The next-hop MAC of addr. @return 0; or the (possibly remembered) error of ms_resolve. */
int tcp_route_lookup(struct tcp_route *r, int family, const uint8_t addr[16], uint64_t now_ms, uint8_t mac[6]);

/* Remember mac as addr's next hop (from a received frame). */
void tcp_route_learn(struct tcp_route *r, int family, const uint8_t addr[16], const uint8_t mac[6], uint64_t now_ms);

#endif
