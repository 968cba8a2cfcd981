/* SPDX-License-Identifier: BSD-2-Clause */
/* neigh.h - next-hop resolution for applications: the kernel's routes and neighbour table, bounded. */
#ifndef MSTACK_NEIGH_H
#define MSTACK_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A token bucket: how many addresses unknown to the kernel one app (or all
 * apps) may have it resolve. Each resolution plants a neighbour entry and
 * sends ARP/ND on the segment, so a peer of the control socket must not be
 * able to fill the kernel's table. Zero-initialised means full.
 */
struct neigh_budget {
	bool primed;
	uint32_t tokens;
	uint64_t refilled_ms;
};

/* Take one token if there is one (burst tokens at most, per_sec added a second). */
bool neigh_budget_take(struct neigh_budget *b, uint32_t burst, uint32_t per_sec, uint64_t now_ms);

/* Give back a token taken in vain. */
void neigh_budget_refund(struct neigh_budget *b);

/* One application's RESOLVE under way. */
struct neigh_req {
	int family;
	uint8_t nexthop[16]; /* what the kernel is asked: the address itself, or its gateway */
	bool probed;         /* we asked the kernel to resolve it */
	uint64_t deadline_ms;
};

/*
 * Begin resolving addr on interface ifname: only a next hop that the
 * kernel's routes put on ifname is ever resolved (the address itself when
 * on-link, else its route's gateway). Returns 0 or -ENETUNREACH, -errno.
 */
int neigh_start(struct neigh_req *r, const char *ifname, int family, const uint8_t *addr, uint64_t deadline_ms);

/*
 * Advance r: returns 0 with mac filled, -EAGAIN while the kernel resolves
 * (call again later), -EHOSTUNREACH when it failed or the deadline passed,
 * -ENOBUFS when a probe was needed and the app's or everyone's budget is
 * spent, or -errno.
 */
int neigh_step(struct neigh_req *r, const char *ifname, struct neigh_budget *app, struct neigh_budget *all,
	       const uint32_t limits[2], uint64_t now_ms, uint8_t mac[6]);

/* Budgets of everyone together, as multiples of one app's. */
#define NEIGH_ALL_FACTOR 8

#endif
