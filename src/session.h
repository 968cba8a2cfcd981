/* session.h - what a control request does to the daemon: attach, detach, bind, unbind, reserve, query. */
#ifndef MSTACK_SESSION_H
#define MSTACK_SESSION_H

#include <stddef.h>
#include <sys/types.h>

#include "mstackd.h"

/* Create an app within the configured limits and publish it to the datapath. NULL + errno. */
struct app *session_attach(struct mstackd *d, const struct ms_hello *h, pid_t pid, uid_t uid, gid_t gid);

/* Release every binding of a, retire it from the datapath (RCU) and free it. */
void session_detach(struct mstackd *d, struct app *a);

/*
 * Bind t for a, with `fd` the kernel socket that holds it (kept on success,
 * not closed on failure). t->port 0 is replaced by the socket's port.
 */
int session_bind(struct mstackd *d, struct app *a, struct ms_tuple *t, int fd);
int session_unbind(struct mstackd *d, struct app *a, const struct ms_tuple *t);

/* Admin: hold t in the daemon (refused to apps), or revoke whoever holds it. */
int session_reserve(struct mstackd *d, const struct ms_tuple *t);
int session_revoke(struct mstackd *d, const struct ms_tuple *t);

/* Fill the reply body of STATUS/APPS/BINDINGS/STATS from `offset`. Returns its length or -errno. */
int session_query(struct mstackd *d, uint16_t type, uint32_t offset, void *out, size_t cap);

#endif
