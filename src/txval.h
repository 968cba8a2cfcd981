/* SPDX-License-Identifier: BSD-2-Clause */
/* txval.h - validation of frames an application sends: it may only speak for what it holds. */
#ifndef MSTACK_TXVAL_H
#define MSTACK_TXVAL_H

#include <stdint.h>

#include <mstack/ms_proto.h>

#include "app.h"
#include "txverdict.h"

struct txval_env {
	uint8_t nic_mac[6];
	uint32_t max_frame; /* the port's MTU + 14: the longest frame that may leave */
	const void *table;  /* passed to owner() */
	/* The app bound to exactly this tuple, or NULL. */
	const struct app *(*owner)(const void *table, const struct ms_tuple *t);
	const struct app_addrs *local; /* the host's own addresses */
	uint64_t now;                  /* any monotonic clock: fragment entries age in its units */
	uint64_t frag_lifetime;        /* how long later fragments may follow their first one */
	uint64_t gen;                  /* btable_gen of the table, read before any owner() call of this env */
};

/*
 * Check one frame (already copied out of the app's region) sent by app a on
 * the queue whose first fragments are `frags` (app_queue.txfrag). A first
 * fragment that passes is noted there, so that the later fragments of its
 * datagram may follow on the same queue: the datapath calls this only for
 * frames it will send, in the order the app sent them. `src` is the queue's
 * last validated source (app_queue.txsrc, txsrc.h), or NULL to look every
 * source up.
 */
enum txval_verdict txval_check(const struct txval_env *env, const struct app *a, struct txfrag *frags,
			       struct txsrc *src, const uint8_t *frame, uint32_t len);

#endif
