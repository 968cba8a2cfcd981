/* SPDX-License-Identifier: BSD-2-Clause */
/* publish.h - what the control thread hands the datapath, and the two-phase rule for taking it back. */
#ifndef MSTACK_PUBLISH_H
#define MSTACK_PUBLISH_H

#include "dp.h"

/*
 * The worker follows pointers that the control thread replaces: the app
 * lists, each app's address set, the host's addresses, the apps themselves
 * and the binding table's entries. The rule, kept here and nowhere else:
 *
 *   1. unpublish: a release store of the replacement (or a deletion from
 *      the binding table) makes the old object unreachable to new reads;
 *   2. retire: the old object is freed only once the worker has passed a
 *      quiescent state (rte_rcu_qsbr) after step 1, so that it holds no
 *      reference taken before it.
 *
 * Nothing can fail between 1 and 2, and step 2 does not block the control
 * thread: retired objects wait in an RCU defer queue (rte_rcu_qsbr_dq) that
 * pub_reclaim empties at every control tick, and the binding table frees its
 * key slots through its own (rte_hash_rcu_qsbr_add). Only when the defer
 * queue is full does a retire wait for one grace period, then free at once.
 */

/*
 * What a worker keeps across quiescent states is not a pointer but an
 * answer: a tx queue's last validated source (txsrc.h). It is kept under
 * the binding table's generation (btable_gen), which every add and delete,
 * and pub_host_addrs, bump after their change; a worker that sees the
 * generation move looks the source up again.
 */

/* Create the RCU state for dp->nworkers readers (the workers) and attach the binding table to it. 0 or -errno. */
int pub_init(struct dp *dp);

/* After the worker has stopped: free everything still retired, then the RCU state. */
void pub_fini(struct dp *dp);

/* Step 2: free obj with free_fn once the worker can no longer hold it. Never fails. */
void pub_retire(struct dp *dp, void (*free_fn)(void *), void *obj);

/* Steps 1 and 2: store value in *slot (release) and retire what was there with free_fn. */
void pub_replace(struct dp *dp, void **slot, void *value, void (*free_fn)(void *));

/* Free what the worker has let go of since (control thread, every tick). */
void pub_reclaim(struct dp *dp);

/* Make a visible to the worker (its tx rings, broadcast if it asked). 0 or -ENOMEM (then it is not). */
int pub_app_add(struct dp *dp, struct app *a);

/*
 * Take a out of the worker's lists (step 1). Never fails: should the new
 * lists not be allocated, the worker briefly sees none while the old ones
 * are edited after a grace period. Then retire a itself (pub_retire).
 */
void pub_app_remove(struct dp *dp, struct app *a);

/* Re-read the host's addresses from the TAP interface and publish them. */
void pub_host_addrs(struct dp *dp, const char *tap_name);

#endif
