/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_route.c - next-hop MAC addresses from mstackd, cached with a TTL, failures remembered, LRU out. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_route.h"

void tcp_route_init(struct tcp_route *r, struct ms_session *s)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
}

/* Bytes of an address that count: 4 for IPv4 (the rest of addr[16] is ignored), 16 for IPv6. */
static size_t route_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/*
 * addr's entry, or the slot it should take: a free one, else the least
 * recently used. A linear scan of a small fixed table: lookups happen when
 * a connection starts or its entry expires, not per segment, and the
 * table's size bounds what a peer can make the stack keep.
 */
static struct tcp_route_entry *route_slot(struct tcp_route *r, int family, const uint8_t addr[16], int *found)
{
	struct tcp_route_entry *e, *victim = NULL;
	size_t alen = route_addr_len(family);

	for (e = r->e; e < r->e + TCP_ROUTE_ENTRIES; e++) {
		if (!e->valid) {
			if (!victim || victim->valid)
				victim = e;
			continue;
		}
		if (e->family == family && memcmp(e->addr, addr, alen) == 0) {
			*found = 1;
			return e;
		}
		if (!victim || (victim->valid && e->used_ms < victim->used_ms))
			victim = e;
	}
	*found = 0;
	return victim;
}

static void route_fill(struct tcp_route_entry *e, int family, const uint8_t addr[16])
{
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)family;
	e->valid = 1;
	memcpy(e->addr, addr, route_addr_len(family));
}

int tcp_route_lookup(struct tcp_route *r, int family, const uint8_t addr[16], uint64_t now_ms, uint8_t mac[6])
{
	struct tcp_route_entry *e;
	int found, rc;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	r->lookups++;
	e = route_slot(r, family, addr, &found);
	if (found && now_ms < e->expires_ms) {
		e->used_ms = now_ms;
		if (e->error == 0)
			memcpy(mac, e->mac, 6);
		return e->error;
	}
	if (!r->resolve && !r->s)
		return -ENOTCONN;
	route_fill(e, family, addr);
	r->resolves++;
	rc = r->resolve ? r->resolve(r->resolve_ctx, family, e->addr, e->mac)
			: ms_resolve(r->s, family, e->addr, e->mac);
	e->used_ms = now_ms;
	if (rc < 0) {
		/* Remembered, so that a peer cannot make us ask the daemon for each of its segments. */
		r->failures++;
		e->error = rc;
		e->expires_ms = now_ms + TCP_ROUTE_NEG_TTL_MS;
		return rc;
	}
	e->expires_ms = now_ms + TCP_ROUTE_TTL_MS;
	memcpy(mac, e->mac, 6);
	return 0;
}

void tcp_route_learn(struct tcp_route *r, int family, const uint8_t addr[16], const uint8_t mac[6], uint64_t now_ms)
{
	struct tcp_route_entry *e;
	int found;

	if (family != AF_INET && family != AF_INET6)
		return;
	e = route_slot(r, family, addr, &found);
	route_fill(e, family, addr);
	memcpy(e->mac, mac, 6);
	e->used_ms = now_ms;
	e->expires_ms = now_ms + TCP_ROUTE_TTL_MS;
}
