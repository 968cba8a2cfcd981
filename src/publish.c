/* SPDX-License-Identifier: BSD-2-Clause */
/* publish.c - the two-phase rule: publish to the datapath, retire after an RCU grace period. */
#include "publish.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "kern.h"
#include "log.h"

#define PUB_DQ_SIZE  4096 /* retired objects waiting at most; beyond, a retire waits a grace period */
#define PUB_DQ_BATCH 256  /* freed per reclaim call */

/* What waits in the defer queue: a function and its object (16 bytes, a multiple of 4). */
struct pub_retired {
	void (*free_fn)(void *);
	void *obj;
};

static void pub_free_retired(void *p, void *e, unsigned n)
{
	struct pub_retired *r = e;
	unsigned i;

	(void)p;
	for (i = 0; i < n; i++)
		r[i].free_fn(r[i].obj);
}

int pub_init(struct dp *dp)
{
	struct rte_rcu_qsbr_dq_parameters dqp = {
		.name = "mstack_retired",
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, /* the control thread alone retires and reclaims */
		.size = PUB_DQ_SIZE,
		.esize = sizeof(struct pub_retired),
		.trigger_reclaim_limit = PUB_DQ_BATCH,
		.max_reclaim_size = PUB_DQ_BATCH,
		.free_fn = pub_free_retired,
	};
	int rc;

	/* One reader per worker: its id is its thread id. */
	dp->qsv = rte_zmalloc("mstack_qsbr", rte_rcu_qsbr_get_memsize(dp->nworkers), RTE_CACHE_LINE_SIZE);
	if (!dp->qsv)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(dp->qsv, dp->nworkers) != 0)
		return -EINVAL;
	dqp.v = dp->qsv;
	dp->retired = rte_rcu_qsbr_dq_create(&dqp);
	if (!dp->retired)
		return rte_errno > 0 ? -rte_errno : -ENOMEM;
	rc = btable_rcu_attach(dp->bt, dp->qsv);
	return rc;
}

void pub_fini(struct dp *dp)
{
	/* The worker is offline: every grace period is over, everything is freed. */
	if (dp->retired && rte_rcu_qsbr_dq_delete(dp->retired) != 0)
		log_warn("retired objects left at exit: %s", rte_strerror(rte_errno));
	dp->retired = NULL;
	free(dp->apps);
	free(dp->bcast);
	free(dp->local);
	dp->apps = dp->bcast = NULL;
	dp->local = NULL;
	rte_free(dp->qsv);
	dp->qsv = NULL;
}

void pub_retire(struct dp *dp, void (*free_fn)(void *), void *obj)
{
	struct pub_retired r = { .free_fn = free_fn, .obj = obj };

	if (!obj)
		return;
	if (rte_rcu_qsbr_dq_enqueue(dp->retired, &r) == 0)
		return;
	/* The queue is full even after reclaiming: wait out one grace period here, then free. */
	rte_rcu_qsbr_synchronize(dp->qsv, RTE_QSBR_THRID_INVALID);
	free_fn(obj);
}

void pub_replace(struct dp *dp, void **slot, void *value, void (*free_fn)(void *))
{
	pub_retire(dp, free_fn, __atomic_exchange_n(slot, value, __ATOMIC_ACQ_REL));
}

void pub_reclaim(struct dp *dp)
{
	unsigned freed, pending, available;

	rte_rcu_qsbr_dq_reclaim(dp->retired, PUB_DQ_SIZE, &freed, &pending, &available);
}

/* A copy of l (NULL: empty) with room for one more, without drop; NULL when out of memory. */
static struct app_list *pub_list_copy(const struct app_list *l, const struct app *drop)
{
	uint32_t n = l ? l->n : 0, i;
	struct app_list *c = malloc(sizeof(*c) + (n + 1) * sizeof(c->a[0]));

	if (!c)
		return NULL;
	c->n = 0;
	for (i = 0; i < n; i++)
		if (l->a[i] != drop)
			c->a[c->n++] = l->a[i];
	return c;
}

int pub_app_add(struct dp *dp, struct app *a)
{
	struct app_list *all = pub_list_copy(dp->apps, NULL);
	struct app_list *bc = a->want_bcast ? pub_list_copy(dp->bcast, NULL) : NULL;

	if (!all || (a->want_bcast && !bc)) {
		free(all);
		free(bc);
		return -ENOMEM;
	}
	all->a[all->n++] = a;
	pub_replace(dp, (void **)&dp->apps, all, free);
	if (bc) {
		bc->a[bc->n++] = a;
		pub_replace(dp, (void **)&dp->bcast, bc, free);
	}
	return 0;
}

/* Publish *slot without a, allocating nothing if need be. */
static void pub_list_remove(struct dp *dp, struct app_list **slot, const struct app *a)
{
	struct app_list *now = *slot, *c;
	uint32_t i;

	if (!now)
		return;
	c = pub_list_copy(now, a);
	if (c) {
		pub_replace(dp, (void **)slot, c, free);
		return;
	}
	/* Out of memory: hide the list, wait until the worker has let go of it, edit it, show it again. */
	__atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(dp->qsv, RTE_QSBR_THRID_INVALID);
	for (i = 0; i < now->n; i++)
		if (now->a[i] == a)
			now->a[i] = now->a[--now->n];
	__atomic_store_n(slot, now, __ATOMIC_RELEASE);
}

void pub_app_remove(struct dp *dp, struct app *a)
{
	pub_list_remove(dp, &dp->apps, a);
	pub_list_remove(dp, &dp->bcast, a);
}

void pub_host_addrs(struct dp *dp, const char *tap_name)
{
	struct app_addrs *s = kern_local_addrs(tap_name);

	if (!s)
		return;
	pub_replace(dp, (void **)&dp->local, s, free);
	/* What a wildcard binding lets an app send from follows the host's addresses (txsrc.h). */
	btable_changed(dp->bt);
}
