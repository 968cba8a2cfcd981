/* SPDX-License-Identifier: BSD-2-Clause */
/* appmgr.c - an application's life in mstackd: attach, bind, unbind, revoke, detach. */
#include "appmgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "claims.h"
#include "fdreap.h"
#include "hold.h"
#include "log.h"
#include "publish.h"
#include "resv.h"

/*
 * How long an unbind or detach waits for the closer to release the client's
 * sockets, so that the tuple is free in the kernel when the reply goes out.
 * A close takes microseconds; a stalled closer costs the control thread this
 * much per request at most, never more.
 */
#define APPMGR_CLOSE_WAIT_MS 50

static bool appmgr_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void appmgr_free(void *a)
{
	app_destroy(a);
}

struct app *appmgr_attach(struct mstackd *d, const struct ms_hello *h, pid_t pid, uid_t uid, gid_t gid)
{
	struct app *a;
	int rc;

	if (h->abi_major != MS_ABI_MAJOR) {
		errno = EPROTO;
		return NULL;
	}
	if (h->nqueues < 1 || h->nqueues > d->conf.max_queues || !appmgr_is_pow2(h->ring_size) || h->ring_size < 64 ||
	    h->ring_size > d->conf.max_ring_size || !memchr(h->name, '\0', MS_NAME_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	if (d->napps >= d->conf.max_apps) {
		errno = ENOSPC;
		return NULL;
	}
	a = app_create(d->next_app_id + 1, h, h->ring_size);
	if (!a)
		return NULL;
	rc = app_spread_stats(a, d->dp.nworkers);
	if (rc == 0)
		rc = idle_app_add(&d->dp, a);
	if (rc < 0) {
		app_destroy(a); /* never published */
		errno = -rc;
		return NULL;
	}
	if (pub_app_add(&d->dp, a) < 0) {
		idle_app_remove(&d->dp, a);
		app_destroy(a); /* never published */
		errno = ENOMEM;
		return NULL;
	}
	idle_app_published(&d->dp);
	d->next_app_id++;
	a->pid = pid;
	if (claims_proc_start(pid, &a->pid_start) < 0)
		a->pid_start = 0; /* gone already, or another pid namespace: never held across a restart */
	a->uid = uid;
	a->gid = gid;
	LIST_INSERT_HEAD(&d->apps, a, link);
	d->napps++;
	log_info("app %u attached: %s pid %d uid %u, %u queue(s) of %u slots", a->id, a->name, (int)pid, (unsigned)uid,
		 a->nqueues, a->ring_size);
	return a;
}

void appmgr_detach(struct mstackd *d, struct app *a)
{
	uint32_t i, n = a->nbindings;

	for (i = 0; i < a->nbindings; i++)
		btable_del(&d->bt, &a->bindings[i].tuple);
	LIST_REMOVE(a, link);
	d->napps--;
	pub_app_remove(&d->dp, a);
	idle_app_remove(&d->dp, a); /* epoll_ctl is thread-safe: the worker may be asleep in it */
	app_release_bindings(a);    /* the tuples go back to the kernel now; the memory after a grace period */
	pub_retire(&d->dp, appmgr_free, a);
	log_info("app %u detached: %s pid %d, %u binding(s) released", a->id, a->name, (int)a->pid, n);
	fdreap_sync(FDREAP_SOCKETS, APPMGR_CLOSE_WAIT_MS);
}

int appmgr_bind(struct mstackd *d, struct app *a, struct ms_tuple *t, int fd)
{
	struct app_addrs *addrs;
	int rc = ms_tuple_check(t);

	if (rc == 0)
		rc = resv_check(t, fd, d->conf.tap_name);
	if (rc < 0)
		return rc;
	rc = app_binding_add(a, t, fd, d->conf.max_bindings);
	if (rc < 0)
		return rc;
	/* Everything that can fail comes before anything is published. */
	addrs = app_addrs_build(a);
	if (!addrs)
		rc = -ENOMEM;
	else if (app_is_held(btable_lookup(&d->bt, t)))
		rc = btable_replace(&d->bt, t, a); /* claimed again after a restart: never a miss in between */
	else
		rc = btable_add(&d->bt, t, a);
	if (rc < 0) {
		free(addrs);
		a->nbindings--; /* undo the add without closing fd: the caller still owns it */
		return rc;
	}
	pub_replace(&d->dp, (void **)&a->addrs, addrs, free);
	/*
	 * resv_check read the kernel's addresses just now; the datapath's copy is
	 * re-read once a second. An address bound before the datapath knows it
	 * would send the tuple's ICMP errors to the kernel only: publish it now.
	 */
	if (!ms_tuple_is_wildcard(t) && (!d->dp.local || !app_addrs_allow(d->dp.local, t->family, t->addr, false)))
		pub_host_addrs(&d->dp, d->conf.tap_name);
	if (log_debug_enabled()) {
		char name[MS_TUPLE_STRLEN];

		ms_tuple_format(t, name, sizeof(name));
		log_debug("app %u (%s) bound %s", a->id, a->name, name);
	}
	return 0;
}

int appmgr_unbind(struct mstackd *d, struct app *a, const struct ms_tuple *t)
{
	struct app_addrs *addrs;

	if (ms_tuple_check(t) < 0)
		return -EINVAL;
	if (btable_lookup(&d->bt, t) != a || btable_del(&d->bt, t) < 0)
		return -ENOENT;
	app_binding_remove(a, t);
	addrs = app_addrs_build(a);
	if (addrs)
		pub_replace(&d->dp, (void **)&a->addrs, addrs, free);
	else
		log_err("app %u: out of memory narrowing its source addresses after an unbind", a->id);
	fdreap_sync(FDREAP_SOCKETS, APPMGR_CLOSE_WAIT_MS);
	return 0;
}

int appmgr_reserve(struct mstackd *d, const struct ms_tuple *t)
{
	if (ms_tuple_check(t) < 0)
		return -EINVAL;
	if (btable_lookup(&d->bt, t))
		return -EADDRINUSE;
	return resv_admin_add(&d->res, t);
}

/*
 * Tell everyone who holds the reservation socket that it is revoked: the
 * client library keeps its own copy (to claim the tuple again after a
 * daemon restart) and drops it when it sees the socket shut down
 * (POLLRDHUP), which frees the tuple in the kernel. shutdown(2) of an
 * unconnected socket never blocks, whatever the client made of it.
 */
static void appmgr_mark_revoked(const struct app *owner, const struct ms_tuple *t)
{
	uint32_t i;

	for (i = 0; i < owner->nbindings; i++)
		if (memcmp(&owner->bindings[i].tuple, t, sizeof(*t)) == 0)
			shutdown(owner->bindings[i].fd, SHUT_RDWR);
}

int appmgr_revoke(struct mstackd *d, const struct ms_tuple *t)
{
	struct app *owner;
	char name[MS_TUPLE_STRLEN];

	if (ms_tuple_check(t) < 0)
		return -EINVAL;
	if (resv_admin_remove(&d->res, t) == 0)
		return 0;
	owner = btable_lookup(&d->bt, t);
	if (!owner)
		return -ENOENT;
	ms_tuple_format(t, name, sizeof(name));
	if (app_is_held(owner)) {
		log_notice("administrator ended the hold of %s", name);
		return hold_drop(d, t);
	}
	log_notice("administrator revoked %s from app %u (%s, pid %d)", name, owner->id, owner->name, (int)owner->pid);
	appmgr_mark_revoked(owner, t);
	return appmgr_unbind(d, owner, t);
}
