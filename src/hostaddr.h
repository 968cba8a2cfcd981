/* SPDX-License-Identifier: BSD-2-Clause */
/* hostaddr.h - the [host] addresses and routes on the TAP: set at start, brought in line with the file on SIGHUP. */
#ifndef MSTACK_HOSTADDR_H
#define MSTACK_HOSTADDR_H

#include "conf.h"

/*
 * Start-up, before the TAP is up: put every [host] address of c on it.
 * path names the file in messages. Returns 0 or the first -errno (logged with file:line).
 */
int hostaddr_start_addrs(const struct conf *c, const char *path);

/* Start-up, once the TAP is up: add every [host] route of c. Returns 0 or the first -errno (logged). */
int hostaddr_start_routes(const struct conf *c, const char *path);

/*
 * SIGHUP: take away the addresses of running that next no longer has, add
 * those it has anew, leave the others alone, and leave running's list as what
 * the TAP now carries of them. A failure is logged with file:line and the
 * rest goes on. Addresses mstackd did not put there are never touched.
 */
void hostaddr_reload_addrs(const char *path, struct conf *running, const struct conf *next);

/* The same for [host] route. */
void hostaddr_reload_routes(const char *path, struct conf *running, const struct conf *next);

#endif
