/* SPDX-License-Identifier: BSD-2-Clause */
/* query.h - the answers to STATUS, APPS, BINDINGS and STATS, read from the daemon's state. */
#ifndef MSTACK_QUERY_H
#define MSTACK_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "mstackd.h"

/*
 * Fill the reply body of a query of `type` (MS_MSG_STATUS, _APPS, _BINDINGS
 * or _STATS) into out (cap bytes), list entries from `offset` on. Returns
 * the body's length, or -EPROTO for another type.
 */
int query_reply(struct mstackd *d, uint16_t type, uint32_t offset, void *out, size_t cap);

#endif
