/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz.h - what the libFuzzer targets share: an assertion that reports and crashes. */
#ifndef MSTACK_FUZZ_H
#define MSTACK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken invariant is a finding: say which, then abort so that libFuzzer keeps the input. */
#define FZ_ASSERT(cond)                                                                              \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
