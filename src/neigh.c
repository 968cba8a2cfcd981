/* SPDX-License-Identifier: BSD-2-Clause */
/* neigh.c - next-hop resolution for applications: the kernel's routes and neighbour table, bounded. */
#include "neigh.h"

#include <errno.h>
#include <string.h>

#include "kern.h"

bool neigh_budget_take(struct neigh_budget *b, uint32_t burst, uint32_t per_sec, uint64_t now_ms)
{
	uint64_t add;

	if (!b->primed) {
		b->primed = true;
		b->tokens = burst;
		b->refilled_ms = now_ms;
	}
	if (per_sec && now_ms > b->refilled_ms) {
		add = (now_ms - b->refilled_ms) * per_sec / 1000;
		if (add) {
			b->tokens = add >= burst - b->tokens ? burst : b->tokens + (uint32_t)add;
			/* Keep the remainder: a slow trickle of requests still earns its tokens. */
			b->refilled_ms += add * 1000 / per_sec;
		}
	}
	if (b->tokens == 0)
		return false;
	b->tokens--;
	return true;
}

void neigh_budget_refund(struct neigh_budget *b)
{
	b->tokens++;
}

int neigh_start(struct neigh_req *r, const char *ifname, int family, const uint8_t *addr, uint64_t deadline_ms)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->deadline_ms = deadline_ms;
	return kern_route_nexthop(ifname, family, addr, r->nexthop);
}

int neigh_step(struct neigh_req *r, const char *ifname, struct neigh_budget *app, struct neigh_budget *all,
	       const uint32_t limits[2], uint64_t now_ms, uint8_t mac[6])
{
	int rc = kern_neigh_lookup(ifname, r->family, r->nexthop, mac);

	if (rc == 0)
		return 0;
	if (!r->probed && (rc == -ENOENT || rc == -EHOSTUNREACH)) {
		/* Unknown, or a failure that may be stale news: one probe, paid from both budgets. */
		if (!neigh_budget_take(app, limits[0], limits[1], now_ms))
			return -ENOBUFS;
		if (!neigh_budget_take(all, limits[0] * NEIGH_ALL_FACTOR, limits[1] * NEIGH_ALL_FACTOR, now_ms)) {
			neigh_budget_refund(app);
			return -ENOBUFS;
		}
		rc = kern_neigh_probe(ifname, r->family, r->nexthop);
		if (rc < 0)
			return rc;
		r->probed = true;
		rc = -EAGAIN;
	}
	if (rc == -EAGAIN || rc == -ENOENT) /* resolving, or our entry not visible yet */
		return now_ms < r->deadline_ms ? -EAGAIN : -EHOSTUNREACH;
	return rc;
}
