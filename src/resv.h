/* SPDX-License-Identifier: BSD-2-Clause */
/* resv.h - the kernel as the tuple authority: reservation sockets of apps and of the administrator. */
#ifndef MSTACK_RESV_H
#define MSTACK_RESV_H

#include <stdint.h>

#include <mstack/ms_proto.h>

/*
 * Who may claim what is the kernel's to say: an app proves a tuple is its
 * own by passing a kernel socket bound to it (resv_check), which the daemon
 * keeps as the reservation; an administrator's reservation is a socket the
 * daemon binds and holds itself (resv_admin_*).
 */

/*
 * Check that fd is a kernel socket bound to exactly t (any port if t->port
 * is 0, then filled in) in our network namespace, that nobody else can share
 * it (no SO_REUSEADDR/SO_REUSEPORT), that it reserves the tuple on the TAP
 * `tap` (no other SO_BINDTODEVICE), that a TCP one is neither listening nor
 * connected, and that t's address is the host's own (on the TAP) or the
 * wildcard. Returns 0, -EINVAL, -EACCES (another netns), -EADDRNOTAVAIL
 * (not a local address) or -errno.
 */
int resv_check(struct ms_tuple *t, int fd, const char *tap);

/* One administrator's reservation: the daemon holds the kernel socket itself. */
struct resv_admin {
	struct ms_tuple tuple;
	int fd;
};

struct resv_admin_list {
	uint32_t n;
	struct resv_admin *r;
};

/* Bind and hold t (port required). 0, -EINVAL, -ENOMEM, or the kernel's -EADDRINUSE/-EACCES... */
int resv_admin_add(struct resv_admin_list *l, const struct ms_tuple *t);

/* Release the administrator's reservation of t. 0 or -ENOENT. */
int resv_admin_remove(struct resv_admin_list *l, const struct ms_tuple *t);

/* Release every one (shutdown). */
void resv_admin_clear(struct resv_admin_list *l);

#endif
