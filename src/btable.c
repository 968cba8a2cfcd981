/* SPDX-License-Identifier: BSD-2-Clause */
/* btable.c - the 3-tuple binding table on DPDK's rte_hash in lock-free read/write mode. */
#include "btable.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>

_Static_assert(sizeof(struct ms_tuple) == 20, "the tuple is the hash key, without padding");

int btable_init(struct btable *t, const char *name, uint32_t capacity)
{
	struct rte_hash_parameters p = {
		.name = name,
		.entries = capacity < 8 ? 8 : capacity,
		.key_len = sizeof(struct ms_tuple),
		.hash_func = rte_jhash,
		.hash_func_init_val = 0,
		.socket_id = (int)rte_socket_id(),
		/*
		 * Readers (datapath lcores) never take a lock; the single writer
		 * (the control thread) has key slots freed only after an RCU
		 * grace period, see btable_rcu_attach. The extendable bucket table lets
		 * the cuckoo hash hold its full stated capacity.
		 */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	memset(t, 0, sizeof(*t));
	t->h = rte_hash_create(&p);
	if (!t->h)
		return -(rte_errno ? rte_errno : ENOMEM);
	t->capacity = capacity;
	return 0;
}

void btable_free(struct btable *t)
{
	if (t->h)
		rte_hash_free(t->h);
	t->h = NULL;
}

int btable_add(struct btable *t, const struct ms_tuple *k, struct app *a)
{
	int rc;

	if (rte_hash_lookup(t->h, k) >= 0)
		return -EADDRINUSE;
	if (t->count >= t->capacity)
		return -ENOSPC;
	rc = rte_hash_add_key_data(t->h, k, a);
	if (rc < 0)
		return rc == -ENOSPC ? -ENOSPC : rc;
	t->count++;
	t->changes++;
	btable_changed(t);
	return 0;
}

int btable_replace(struct btable *t, const struct ms_tuple *k, struct app *a)
{
	if (rte_hash_lookup(t->h, k) < 0)
		return -ENOENT;
	/* An existing key: rte_hash stores the new data atomically in lock-free mode, the key stays. */
	if (rte_hash_add_key_data(t->h, k, a) < 0)
		return -ENOENT;
	t->changes++;
	btable_changed(t);
	return 0;
}

void btable_changed(struct btable *t)
{
	/* One writer (the control thread): no read-modify-write race, only readers. */
	__atomic_store_n(&t->gen, t->gen + 1, __ATOMIC_RELEASE);
}

int btable_rcu_attach(struct btable *t, struct rte_rcu_qsbr *v)
{
	struct rte_hash_rcu_config cfg = { .v = v, .mode = RTE_HASH_QSBR_MODE_DQ };

	return rte_hash_rcu_qsbr_add(t->h, &cfg) == 0 ? 0 : -(rte_errno > 0 ? rte_errno : EINVAL);
}

int btable_del(struct btable *t, const struct ms_tuple *k)
{
	if (rte_hash_del_key(t->h, k) < 0)
		return -ENOENT;
	t->count--;
	t->changes++;
	btable_changed(t);
	return 0;
}

struct app *btable_lookup(const struct btable *t, const struct ms_tuple *k)
{
	void *data;

	if (rte_hash_lookup_data(t->h, k, &data) < 0)
		return NULL;
	return data;
}

static bool btable_addr_is_any(const struct ms_tuple *k)
{
	uint64_t w[2];

	memcpy(w, k->addr, sizeof(w));
	return (w[0] | w[1]) == 0;
}

void btable_lookup_burst(const struct btable *t, const struct ms_tuple *keys, uint32_t n, struct app **owners,
			 uint64_t *wild)
{
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	struct ms_tuple any[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hits = 0;
	uint32_t i, nmiss = 0, miss_idx[RTE_HASH_LOOKUP_BULK_MAX];

	*wild = 0;
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		kp[i] = &keys[i];
	rte_hash_lookup_bulk_data(t->h, kp, n, &hits, data);
	for (i = 0; i < n; i++) {
		if (hits & (1ULL << i)) {
			owners[i] = data[i];
			/* A frame to the all-zero address hit the wildcard entry itself. */
			if (unlikely(btable_addr_is_any(&keys[i])))
				*wild |= 1ULL << i;
		} else {
			owners[i] = NULL;
			any[nmiss] = keys[i];
			memset(any[nmiss].addr, 0, sizeof(any[nmiss].addr));
			kp[nmiss] = &any[nmiss];
			miss_idx[nmiss++] = i;
		}
	}
	if (nmiss == 0)
		return;
	/* Second pass for the wildcard (proto, family, any, port). */
	hits = 0;
	rte_hash_lookup_bulk_data(t->h, kp, nmiss, &hits, data);
	for (i = 0; i < nmiss; i++)
		if (hits & (1ULL << i)) {
			owners[miss_idx[i]] = data[i];
			*wild |= 1ULL << miss_idx[i];
		}
}
