/* SPDX-License-Identifier: BSD-2-Clause */
/* fdreap.h - closes client-chosen descriptors off the control thread. */
#ifndef MSTACK_FDREAP_H
#define MSTACK_FDREAP_H

#include <stdint.h>

/*
 * Closing a descriptor can block for as long as whoever stands behind it
 * likes: a FUSE file whose server never answers FLUSH (an uninterruptible
 * wait, beyond SIGKILL), a TCP socket lingering on unsent data, a Unix socket
 * whose unread messages carry such a socket. A descriptor a client passed us
 * is the client's choice, so the control thread never closes one itself: it
 * hands it to fdreap, whose helper threads close them in order.
 *
 * Two lanes, each with its own helper thread, so that what an attacker can
 * stall does not hold up releasing the tuples of everyone else:
 * - sockets: reservation sockets (checked TCP or UDP sockets at BIND);
 * - any: every other descriptor a client passed, and the daemon's end of a
 *   session (its unread messages may carry client descriptors). A FUSE file
 *   that never answers stalls this lane only; what waits behind it stays open
 *   until the FUSE server answers or its connection is aborted.
 * Before closing a socket, a helper sets SO_LINGER {on, 0}: a client that
 * connected its reservation after BIND cannot make the close linger.
 *
 * A queue is bounded by the fd limit (every entry is an open fd); should one
 * fail to grow, the fd is left open (counted as leaked) rather than closed
 * here. Shutdown never waits for a helper.
 */

enum fdreap_lane { FDREAP_ANY, FDREAP_SOCKETS, FDREAP_LANES };

/* Queue fd for closing (-1 is ignored). Never blocks; starts the lane's helper on first use. */
void fdreap_close(enum fdreap_lane lane, int fd);

/* fdreap_close each of fds[0..n-1] on FDREAP_ANY. */
void fdreap_close_many(const int *fds, int n);

/*
 * Wait at most timeout_ms for what was queued on `lane` so far to be closed,
 * so that a released tuple is free in the kernel when the reply goes out.
 * Returns 0, or -ETIMEDOUT (the lane is stalled: the reply goes out anyway).
 */
int fdreap_sync(enum fdreap_lane lane, unsigned timeout_ms);

struct fdreap_stats {
	uint64_t pending; /* queued or being closed now, all lanes */
	uint64_t slow;    /* closes that blocked a helper for over FDREAP_SLOW_MS */
	uint64_t leaked;  /* could not be queued (out of memory): left open */
};

#define FDREAP_SLOW_MS 1000

void fdreap_get_stats(struct fdreap_stats *s);

/*
 * Call about once a second from the control thread: counts a close that has
 * blocked for over FDREAP_SLOW_MS and logs it, rate-limited.
 */
void fdreap_check(void);

#endif
