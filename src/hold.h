/* SPDX-License-Identifier: BSD-2-Clause */
/* hold.h - tuples held for applications that outlived the previous mstackd, until they claim them again. */
#ifndef MSTACK_HOLD_H
#define MSTACK_HOLD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "claims.h"

struct mstackd;

/*
 * After a restart of mstackd, an application re-attaches and claims its
 * tuples again with the reservation sockets the library kept. Until it has,
 * a TCP segment from its peer would miss the binding table and go to the
 * kernel, which answers a port held only by a bound, non-listening socket
 * with a reset: the connection that survived the restart would die. So the
 * control thread keeps the table's claims in a state file (claims.h), and
 * the next mstackd installs a held binding for each claim whose owner still
 * lives, before its workers start: the table names app_held (app.h) as the
 * owner, and the datapath drops the tuple's frames (counted as rx_held)
 * rather than hand them to the kernel; the peer retransmits. A hold ends
 * when the tuple is claimed again (appmgr_bind replaces it), when its owner
 * is gone, or after [datapath] restart_hold_s.
 */
struct hold {
	struct claim c;
	uint64_t until_ms; /* clock_now_ms() at which the hold expires */
};

struct hold_list {
	uint32_t n;
	struct hold *h;
	char path[PATH_MAX];      /* the claims file; empty: restart_hold_s = 0, nothing is read or written */
	uint64_t written_changes; /* btable.changes when the file was last written */
	uint64_t next_alive_ms;   /* when the owners of holds are looked for in /proc again */
	bool write_failing;       /* the last write failed (logged once until one succeeds) */
};

/*
 * At start, after the control socket is ours and before the workers start:
 * read the previous run's claims and hold those whose owner lives. With
 * restart_hold_s 0, remove any claims file instead. Never fails (logged).
 */
void hold_start(struct mstackd *d);

/*
 * Control tick: end the holds that were claimed again, whose owner is gone
 * (looked up once a second) or that expired; then rewrite the claims file
 * if the binding table changed since the last write (at most once a tick).
 */
void hold_tick(struct mstackd *d, uint64_t now_ms);

/* Admin revoke of a held tuple: the hold ends now. 0 or -ENOENT (t is not held). */
int hold_drop(struct mstackd *d, const struct ms_tuple *t);

/*
 * SIGTERM, before the apps are detached: write the claims as they stand.
 * The file stays: applications re-attach after a clean stop too, and the
 * next mstackd holds their tuples until they have.
 */
void hold_stop(struct mstackd *d);

/* Whole seconds hold h has left at now_ms (rounded up). */
uint32_t hold_seconds_left(const struct hold *h, uint64_t now_ms);

#endif
