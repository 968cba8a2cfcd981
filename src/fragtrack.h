/* SPDX-License-Identifier: BSD-2-Clause */
/* fragtrack.h - which bound tuple a fragmented datagram is for, so that its later fragments follow the first. */
#ifndef MSTACK_FRAGTRACK_H
#define MSTACK_FRAGTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include <mstack/ms_proto.h>

#include "classify.h"

/*
 * Only the first fragment of a datagram carries its ports. The datapath
 * notes (source, destination, protocol, id) -> destination tuple and flow
 * hash when a first fragment arrives, and looks later fragments up by the
 * same key, so that all fragments of a claimed datagram reach the app that
 * claimed it, on the rx queue of its flow (its stack reassembles, as a
 * user-level stack does). A direct-mapped
 * table: a colliding datagram replaces the older one, whose remaining
 * fragments then go to the kernel; entries expire after `lifetime` ticks.
 * One writer and reader, the worker lcore: no locks.
 */
#define FRAGTRACK_SLOTS 4096 /* power of two */

struct fragtrack_entry {
	uint64_t expires;
	uint32_t id;
	uint8_t family;
	uint8_t proto;
	uint8_t src[16];
	uint8_t dst[16];
	struct ms_tuple tuple;
	uint32_t flow; /* the first fragment's flow hash (cls_flow_hash) */
};

struct fragtrack {
	uint64_t lifetime;
	struct fragtrack_entry slot[FRAGTRACK_SLOTS];
};

void fragtrack_init(struct fragtrack *f, uint64_t lifetime);

/* r is a first fragment (CLS_F_FRAG_FIRST) for destination tuple t, of flow hash `flow`, seen at `now`. */
void fragtrack_note(struct fragtrack *f, const struct cls_result *r, const struct ms_tuple *t, uint32_t flow,
		    uint64_t now);

/* r is a later fragment: its datagram's destination tuple and flow hash, if its first fragment was noted. */
bool fragtrack_find(const struct fragtrack *f, const struct cls_result *r, uint64_t now, struct ms_tuple *t,
		    uint32_t *flow);

#endif
