/* SPDX-License-Identifier: BSD-2-Clause */
/* fragtrack.c - a direct-mapped table from (src, dst, proto, id) to the tuple of a fragmented datagram. */
#include "fragtrack.h"

#include <string.h>

void fragtrack_init(struct fragtrack *f, uint64_t lifetime)
{
	memset(f, 0, sizeof(*f));
	f->lifetime = lifetime;
}

static uint32_t fragtrack_slot(const struct cls_result *r)
{
	/* IPv4 addresses are in bytes 0..3; an IPv6 address varies most in its low word. */
	uint32_t off = r->l3 == CLS_L3_IPV4 ? 0 : 12, s, d, h;

	memcpy(&s, r->src_addr + off, 4);
	memcpy(&d, r->dst_addr + off, 4);
	h = (r->frag_id * 2654435761u) ^ (s * 2246822519u) ^ (d * 3266489917u) ^ r->proto;
	return (h ^ (h >> 15)) & (FRAGTRACK_SLOTS - 1);
}

static bool fragtrack_match(const struct fragtrack_entry *e, const struct cls_result *r)
{
	return e->id == r->frag_id && e->proto == r->proto && e->family == r->l3 &&
	       memcmp(e->src, r->src_addr, 16) == 0 && memcmp(e->dst, r->dst_addr, 16) == 0;
}

void fragtrack_note(struct fragtrack *f, const struct cls_result *r, const struct ms_tuple *t, uint32_t flow,
		    uint64_t now)
{
	struct fragtrack_entry *e = &f->slot[fragtrack_slot(r)];

	e->expires = now + f->lifetime;
	e->id = r->frag_id;
	e->family = r->l3;
	e->proto = r->proto;
	memcpy(e->src, r->src_addr, 16);
	memcpy(e->dst, r->dst_addr, 16);
	e->tuple = *t;
	e->flow = flow;
}

bool fragtrack_find(const struct fragtrack *f, const struct cls_result *r, uint64_t now, struct ms_tuple *t,
		    uint32_t *flow)
{
	const struct fragtrack_entry *e = &f->slot[fragtrack_slot(r)];

	if (e->expires == 0 || now >= e->expires || !fragtrack_match(e, r))
		return false;
	*t = e->tuple;
	*flow = e->flow;
	return true;
}
