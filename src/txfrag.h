/* SPDX-License-Identifier: BSD-2-Clause */
/* txfrag.h - the first fragments an application sent, so that only it may send the rest of each datagram. */
#ifndef MSTACK_TXFRAG_H
#define MSTACK_TXFRAG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A later fragment carries no ports, so its tuple cannot be checked. It may
 * leave only as part of a datagram whose first fragment the same app sent
 * and mstackd validated: the validator notes each first fragment it passes
 * here, and looks each later fragment up by the same key. A fixed array per
 * app, filled round robin (a new datagram evicts the oldest noted one);
 * entries expire, at the latest, when the receiver would give up
 * reassembling. Datapath only: the worker is the one writer and reader.
 */
#define TXFRAG_SLOTS 32

/* What names a datagram (RFC 791, RFC 8200): both addresses, the protocol and the identification. */
struct txfrag_key {
	uint32_t id;     /* IPv4 identification (16 bits) or IPv6 fragment identification */
	uint8_t family;  /* AF_INET or AF_INET6 */
	uint8_t proto;   /* IPv4 protocol, or the next header of the IPv6 fragment header */
	uint8_t src[16]; /* network order; IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
};

struct txfrag_entry {
	uint64_t expires; /* 0: empty */
	struct txfrag_key key;
};

struct txfrag {
	uint32_t next; /* slot the next new datagram takes: the oldest */
	struct txfrag_entry slot[TXFRAG_SLOTS];
};

/* Note a validated first fragment, valid until `expires` (a time after now, in the caller's clock). */
void txfrag_note(struct txfrag *f, const struct txfrag_key *k, uint64_t expires);

/* Was a first fragment of this datagram noted, and is it still valid at `now`? */
bool txfrag_find(const struct txfrag *f, const struct txfrag_key *k, uint64_t now);

#endif
