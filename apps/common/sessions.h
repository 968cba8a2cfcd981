/* SPDX-License-Identifier: BSD-2-Clause */
/* sessions.h - many mstack sessions from one process: the benchmark apps' shared set-up. */
#ifndef MSTACK_APPS_SESSIONS_H
#define MSTACK_APPS_SESSIONS_H

#include <mstack/mstack.h>

/*
 * Each session holds a control connection and a wakeup fd, and attaching
 * receives two more for a moment: take the hard RLIMIT_NOFILE, and say so
 * up front if even that is too low (a failed attach would only say EMSGSIZE).
 * Returns 0, or 1 after printing why not (prefixed by prog).
 */
int sessions_raise_nofile(const char *prog, unsigned nsessions);

/*
 * Attach session i (named "<role>-<i>") with one queue of `ring` slots and
 * bind base with its port advanced by i (port 0: an ephemeral one each).
 * On success *s and *bound are set. Returns 0, or 1 after printing why not.
 */
int sessions_attach(const char *prog, const char *role, const char *sock, uint32_t ring, unsigned i,
		    const struct ms_tuple *base, struct ms_session **s, struct ms_tuple *bound);

#endif
