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

/* Helper of ms_csum_add: the 4 bytes at p (any alignment) as a native word, widened for a 64-bit sum. */
static inline uint64_t ms_csum_word32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/*
 * Add len bytes at p (any alignment) to a running sum and return it. When
 * chaining calls over pieces of one message, every piece but the last must
 * have an even length (the odd byte of the last is padded with a zero).
 * 64 bits of sum take 32-bit words without overflow for any realistic len.
 *
 * The returned sum is exactly sum plus every 32-bit word of the data (then a
 * last 16-bit word and odd byte), the same 64-bit number a word-at-a-time
 * loop gives; it is only computed faster. RFC 1071 section 4 (2): add 32-bit
 * words into a 64-bit register and fold the carries once at the end (in
 * ms_csum_fold), and (3): unroll, here 64 bytes per step into four
 * independent sums, so that the additions of one step do not wait on each
 * other, then one block per bit of the rest of len, without a loop. Plain
 * loads through memcpy keep it portable and alignment-free; the compiler
 * turns them into single unaligned loads where the CPU has them. (64-bit
 * words with a carry counter per sum, add-with-carry in portable C, measured
 * no faster on long data and slower on short: docs/performance.md.)
 */
static inline uint64_t ms_csum_add(const void *p, size_t len, uint64_t sum)
{
	const uint8_t *b = (const uint8_t *)p;
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	uint16_t h;

/*
 * The four 32-bit words at p into the four sums. A macro, not an inline function: taking four pointers
 * or an array, the same code ran 5-20 % slower under clang 14 (docs/performance.md).
 */
#define MS_CSUM_ADD16(p)                        \
	do {                                    \
		s0 += ms_csum_word32(p);        \
		s1 += ms_csum_word32((p) + 4);  \
		s2 += ms_csum_word32((p) + 8);  \
		s3 += ms_csum_word32((p) + 12); \
	} while (0)

	for (; len >= 64; b += 64, len -= 64) {
		MS_CSUM_ADD16(b);
		MS_CSUM_ADD16(b + 16);
		MS_CSUM_ADD16(b + 32);
		MS_CSUM_ADD16(b + 48);
	}
	if (len & 32) {
		MS_CSUM_ADD16(b);
		MS_CSUM_ADD16(b + 16);
		b += 32;
	}
	if (len & 16) {
		MS_CSUM_ADD16(b);
		b += 16;
	}
	if (len & 8) {
		s0 += ms_csum_word32(b);
		s1 += ms_csum_word32(b + 4);
		b += 8;
	}
	if (len & 4) {
		s2 += ms_csum_word32(b);
		b += 4;
	}
	if (len & 2) {
		memcpy(&h, b, sizeof(h));
		s3 += h;
		b += 2;
	}
	if (len & 1) {
		/* The odd byte is the first of a word whose second byte is zero, in memory order. */
		uint8_t last[2] = { b[0], 0 };

		memcpy(&h, last, sizeof(h));
		s0 += h;
	}
	return sum + (s0 + s1) + (s2 + s3);
#undef MS_CSUM_ADD16
}

/* Fold a sum to 16 bits, end-around carries included; not complemented. */
static inline uint16_t ms_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
