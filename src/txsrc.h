/* SPDX-License-Identifier: BSD-2-Clause */
/* txsrc.h - the last source 3-tuple a tx queue validated, kept while the binding table does not change. */
#ifndef MSTACK_TXSRC_H
#define MSTACK_TXSRC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An app's frames overwhelmingly carry one source tuple per queue (one
 * stack, one flow or one listening port), and checking it costs one to
 * three table lookups per frame. The validator remembers the last tuple
 * that passed on the queue, with the binding table's generation
 * (btable_gen) read before the lookups that passed it, and answers "held"
 * without looking again while both match. Any bind, unbind or detach, and
 * any change of the host's addresses, bumps the generation after the
 * change, so a binding removed or moved is looked up again at the next
 * frame after it (txval_l4). Datapath only: the queue's worker is the one
 * reader and writer.
 */
struct txsrc {
	uint64_t gen; /* the generation the tuple passed under */
	bool valid;
	uint8_t proto;
	uint8_t family;
	uint16_t port;    /* host order */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes, rest zero */
};

#endif
