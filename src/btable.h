/* SPDX-License-Identifier: BSD-2-Clause */
/* btable.h - the 3-tuple binding table: lock-free lookups on the datapath, updates from control. */
#ifndef MSTACK_BTABLE_H
#define MSTACK_BTABLE_H

#include <stdint.h>

#include <mstack/ms_proto.h>

struct rte_hash;
struct rte_rcu_qsbr;
struct app;

/* The hash key is the tuple itself: 20 bytes, wildcard = all-zero addr. */
struct btable {
	struct rte_hash *h;
	uint32_t count;
	uint32_t capacity;
	/*
	 * Bumped (release) after every change of what a source check reads:
	 * each add and delete, and btable_changed. A worker that read a value
	 * before its lookups may reuse their answers while the value stays the
	 * same (txsrc.h): the bump comes after the change, so a reader that sees
	 * the new value also sees the change.
	 */
	uint64_t gen;
	uint64_t
	    changes; /* control thread: adds, deletes and replacements (the claims file is rewritten when it moves) */
};

/* Create a table of `capacity` entries. Returns 0 or -errno. */
int btable_init(struct btable *t, const char *name, uint32_t capacity);
void btable_free(struct btable *t);

/* Insert tuple -> app. -EADDRINUSE if present, -ENOSPC if full. */
int btable_add(struct btable *t, const struct ms_tuple *k, struct app *a);

/*
 * Give the present tuple k to a: one atomic store of the entry's data, so a
 * reader sees the old owner or the new one, never a miss in between (a held
 * tuple claimed again, hold.h). 0 or -ENOENT.
 */
int btable_replace(struct btable *t, const struct ms_tuple *k, struct app *a);

/*
 * Let the table free deleted entries' key slots itself, once the readers
 * reporting to v have passed a grace period (rte_hash_rcu_qsbr_add, defer
 * queue mode). Until then a deleted slot is not reused. 0 or -errno.
 */
int btable_rcu_attach(struct btable *t, struct rte_rcu_qsbr *v);

/* Delete a tuple: readers may still see it until a grace period. 0 or -ENOENT. */
int btable_del(struct btable *t, const struct ms_tuple *k);

/*
 * Something outside the table that a source check reads has changed (the
 * host's addresses, which decide what a wildcard covers): bump the
 * generation as an add or delete does. Control thread.
 */
void btable_changed(struct btable *t);

/* The generation (acquire): read it before the lookups whose answers are kept under it. Safe on the datapath. */
static inline uint64_t btable_gen(const struct btable *t)
{
	return __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE);
}

/* Owner of exactly this key, or NULL. Safe on the datapath. */
struct app *btable_lookup(const struct btable *t, const struct ms_tuple *k);

/*
 * Datapath: for n keys, owners[i] = the app bound to keys[i] exactly, else to
 * its wildcard (same proto and family, any address), else NULL.
 * *wild gets bit i set when owners[i] is the wildcard's owner (a key whose
 * address is all zero is the wildcard itself): the address that matched was
 * not checked against anything. keys[] is left as it was. n <= 64.
 */
void btable_lookup_burst(const struct btable *t, const struct ms_tuple *keys, uint32_t n, struct app **owners,
			 uint64_t *wild);

#endif
