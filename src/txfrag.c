/* SPDX-License-Identifier: BSD-2-Clause */
/* txfrag.c - a small round-robin table of the first fragments one application sent. */
#include "txfrag.h"

#include <string.h>

static bool txfrag_match(const struct txfrag_entry *e, const struct txfrag_key *k)
{
	return e->key.id == k->id && e->key.family == k->family && e->key.proto == k->proto &&
	       memcmp(e->key.src, k->src, 16) == 0 && memcmp(e->key.dst, k->dst, 16) == 0;
}

void txfrag_note(struct txfrag *f, const struct txfrag_key *k, uint64_t expires)
{
	struct txfrag_entry *e = NULL;
	uint32_t i;

	/* The same first fragment again (a retransmission): renew it, in place. */
	for (i = 0; i < TXFRAG_SLOTS; i++)
		if (f->slot[i].expires != 0 && txfrag_match(&f->slot[i], k)) {
			e = &f->slot[i];
			break;
		}
	if (!e) {
		e = &f->slot[f->next];
		f->next = (f->next + 1) % TXFRAG_SLOTS;
		e->key = *k;
	}
	e->expires = expires ? expires : 1; /* 0 means empty */
}

bool txfrag_find(const struct txfrag *f, const struct txfrag_key *k, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < TXFRAG_SLOTS; i++)
		if (f->slot[i].expires > now && txfrag_match(&f->slot[i], k))
			return true;
	return false;
}
