/* SPDX-License-Identifier: BSD-2-Clause */
/* csum_word_sum.h - the word-at-a-time sum that ms_csum_add must equal, for its unit test and its benchmark. */
#ifndef MSTACK_TEST_CSUM_WORD_SUM_H
#define MSTACK_TEST_CSUM_WORD_SUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * ms_csum_add as it was first written, and what it still promises to return:
 * SUM plus the plain sum of native 32-bit words, then a 16-bit word, then the
 * odd byte padded with a zero (one chain of dependent additions). The unit
 * test checks the current loop against it; the benchmark times both.
 */
static inline uint64_t csum_word_sum(const void *p, size_t len, uint64_t sum)
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
		uint8_t last[2] = { b[0], 0 };

		memcpy(&h, last, sizeof(h));
		sum += h;
	}
	return sum;
}

#endif
