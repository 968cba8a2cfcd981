/* SPDX-License-Identifier: BSD-2-Clause */
/* ctl.h - the control socket: connections, requests decoded and dispatched, one reply each. */
#ifndef MSTACK_CTL_H
#define MSTACK_CTL_H

#include <stdint.h>

#include "ms_codec.h" /* lib/: the protocol codec ctl.c speaks */
#include "mstackd.h"

/* Create the listening socket ([control] socket, mode, group). Returns 0 or -errno. */
int ctl_open(struct mstackd *d);

/* Close every session (releasing its app) and remove the socket file. */
void ctl_close(struct mstackd *d);

/* epoll events: the listening socket (data.ptr == NULL) or a session. */
void ctl_event(struct mstackd *d, void *ptr, uint32_t events);

/* Called about every 50 ms: retries pending neighbour resolutions. */
void ctl_tick(struct mstackd *d);

/* The most sessions at once: [control] max_connections, or min(1024, NOFILE / 4) if unset. */
uint32_t ctl_max_conns(const struct mstackd *d);

#endif
