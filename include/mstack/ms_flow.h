/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_flow.h - the flow hash that picks an app's rx queue, header-only: one definition for mstackd and apps. */
#ifndef MSTACK_MS_FLOW_H
#define MSTACK_MS_FLOW_H

#include <stdint.h>
#include <string.h>

/*
 * mstackd puts every frame of a flow on the rx queue
 *
 *   ms_flow_pick(ms_flow_hash(local addr, local port, remote addr, remote port), nqueues)
 *
 * of the app that holds the flow's local tuple, where "local" is the
 * destination of a received frame. An app computes the same value from its
 * own endpoint and its peer's, so a user-level stack that runs one instance
 * per queue can choose, before it connects, a local port whose replies land
 * on its own queue (what mTCP does with the NIC's RSS key), and it sends on
 * that queue. The daemon and the app share this one definition, so they
 * cannot disagree.
 *
 * Addresses are 16 bytes in network order, an IPv4 address in the first 4
 * and zeros after (as in struct ms_tuple); ports are in host order. The
 * value depends on the host's byte order: compare values computed on one
 * host only (the daemon's and its apps').
 *
 * It is computed for every received frame: four loads per address and a
 * few multiplications, no table. Swapping local and remote gives another
 * value: the hash names a direction-independent flow only because both
 * sides call it with "local" meaning the host's own endpoint.
 */

/* XOR of the address's four 32-bit words: an IPv4 address folds to itself. */
static inline uint32_t ms_flow_fold_addr(const uint8_t *addr)
{
	uint32_t w[4];

	memcpy(w, addr, sizeof(w));
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

/*
 * The flow hash of (laddr, lport, raddr, rport). The local address is
 * multiplied by an odd constant so that local and remote are not
 * interchangeable; the sum of everything goes through MurmurHash3's 32-bit
 * finalizer (Appleby), a bijection whose every output bit depends on every
 * input bit, so that flows differing in one port spread evenly over the
 * queues.
 */
static inline uint32_t ms_flow_hash(const uint8_t *laddr, uint16_t lport, const uint8_t *raddr, uint16_t rport)
{
	uint32_t h = ms_flow_fold_addr(laddr) * 0x9e3779b1u ^ ms_flow_fold_addr(raddr);

	h ^= (uint32_t)lport << 16 | rport;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The queue, of nqueues, for flow hash `hash`: no division with one queue (or zero, taken as one). */
static inline uint32_t ms_flow_pick(uint32_t hash, uint32_t nqueues)
{
	return nqueues <= 1 ? 0 : hash % nqueues;
}

#endif
