/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_csum.h - the Internet checksum (RFC 1071), header-only: for mstackd, user-level stacks and tools. */
#ifndef MSTACK_MS_CSUM_H
#define MSTACK_MS_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The one's complement sum is independent of byte order (RFC 1071, section
 * 2(B)): sums here are kept in memory order, added with native loads, and a
 * folded result is stored into a header with memcpy, never byte-swapped.
 *
 *   uint16_t c = (uint16_t)~ms_csum_fold(ms_csum_add(hdr, len, 0));
 *   memcpy(hdr + 10, &c, 2);            (an IPv4 header checksum)
 *
 * A header that carries its own correct checksum sums to 0xffff.
 */

/*
 * Add len bytes at p (any alignment) to a running sum and return it. When
 * chaining calls over pieces of one message, every piece but the last must
 * have an even length (the odd byte of the last is padded with a zero).
 * 64 bits of sum take 32-bit words without overflow for any realistic len.
 */
static inline uint64_t ms_csum_add(const void *p, size_t len, uint64_t sum)
{
	const uint8_t *b = (const uint8_t *)p;
	uint32_t w;
	uint16_t h;

	for (; len >= 4; b += 4, len -= 4) {
		memcpy(&w, b, sizeof(w));
		sum += w;
	}
	if (len >= 2) {
		memcpy(&h, b, sizeof(h));
		sum += h;
		b += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the first of a word whose second byte is zero, in memory order. */
		uint8_t last[2] = { b[0], 0 };

		memcpy(&h, last, sizeof(h));
		sum += h;
	}
	return sum;
}

/* Fold a sum to 16 bits, end-around carries included; not complemented. */
static inline uint16_t ms_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
