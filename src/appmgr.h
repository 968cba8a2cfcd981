/* SPDX-License-Identifier: BSD-2-Clause */
/* appmgr.h - an application's life in mstackd: attach, bind, unbind, revoke, detach. */
#ifndef MSTACK_APPMGR_H
#define MSTACK_APPMGR_H

#include <sys/types.h>

#include "mstackd.h"

/*
 * The one module that changes which apps exist and what they hold: each
 * change is made in the control thread's own state, the binding table and
 * the datapath's view together, by the rule of publish.h.
 */

/*
 * Create an app for a HELLO within the configured limits and publish it to
 * the datapath. Returns it, or NULL with errno: EPROTO (ABI), EINVAL (the
 * request), ENOSPC (the apps limit), ENOMEM or another from app_create.
 */
struct app *appmgr_attach(struct mstackd *d, const struct ms_hello *h, pid_t pid, uid_t uid, gid_t gid);

/*
 * Release every binding of a (its tuples are free in the kernel before this
 * returns, unless the closer is stalled), take it from the datapath and free
 * it once the worker has let go of it. Never fails.
 */
void appmgr_detach(struct mstackd *d, struct app *a);

/*
 * Bind t for a, with fd the kernel socket that reserves it (kept on success,
 * left to the caller on failure); t->port 0 becomes the socket's port.
 * Returns 0, -ENOSPC (limits), -EADDRINUSE, -ENOMEM, or resv_check's errors.
 */
int appmgr_bind(struct mstackd *d, struct app *a, struct ms_tuple *t, int fd);

/* Release a's binding of t. 0, -EINVAL or -ENOENT (a does not hold t). */
int appmgr_unbind(struct mstackd *d, struct app *a, const struct ms_tuple *t);

/* Admin: hold t in the daemon, refused to apps. 0, -EADDRINUSE (an app holds it), or resv_admin_add's errors. */
int appmgr_reserve(struct mstackd *d, const struct ms_tuple *t);

/* Admin: release the daemon's reservation of t, or revoke t from the app that holds it. 0, -EINVAL, -ENOENT. */
int appmgr_revoke(struct mstackd *d, const struct ms_tuple *t);

#endif
