/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_reass.h - the receiver's out-of-order queue and the SACK blocks it reports (RFC 9293 3.10.7.4, RFC 2018 4). */
#ifndef MSTACK_TCP_REASS_H
#define MSTACK_TCP_REASS_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_seg.h"

/*
 * Bytes that arrived above rcv_nxt, kept as sorted, disjoint, coalesced
 * ranges whose payload is stored in the connection's receive buffer at
 * its final place (the buffer is a ring of rcvbuf bytes indexed by
 * sequence number), so that reassembly copies each byte once. This module
 * only keeps the ranges; at most max ranges (the peer cannot make it
 * allocate: a segment that would need one more is dropped).
 */
#define TCP_REASS_RANGES_MAX 256

struct tcp_reass {
	uint32_t n, max;          /* ranges in use; the limit (<= TCP_REASS_RANGES_MAX) */
	struct tcp_sack_block r[TCP_REASS_RANGES_MAX];
	/* The most recently changed ranges first, for the SACK option (RFC 2018 section 4: the first
	 * block reports the segment that triggered the ACK). Indices into r are not kept: starts. */
	uint32_t recent[TCP_SACK_BLOCKS_MAX];
	uint32_t nrecent;
};

void tcp_reass_init(struct tcp_reass *q, uint32_t max);

/*
 * Record that [seq, seq + len) (above rcv_nxt, inside the window: the caller
 * checked) is now stored. @return 0; -ENOBUFS (would need more than max ranges: drop it).
 */
int tcp_reass_add(struct tcp_reass *q, uint32_t seq, uint32_t len);

/*
 * rcv_nxt advanced to rcv_nxt (in-order data arrived): if a range now
 * starts at or below it, consume it. @return the new rcv_nxt (the end of
 * the contiguous data), and drop ranges below it.
 */
uint32_t tcp_reass_advance(struct tcp_reass *q, uint32_t rcv_nxt);

/* The SACK blocks to send (RFC 2018 section 4 order), at most max. @return how many. */
unsigned tcp_reass_sack_blocks(const struct tcp_reass *q, struct tcp_sack_block *out, unsigned max);

/* Bytes held above rcv_nxt. */
uint32_t tcp_reass_bytes(const struct tcp_reass *q);

#endif
