/* SPDX-License-Identifier: BSD-2-Clause */
/* csum_bench.c - cycles per byte of ms_csum_add against the word-at-a-time loop it replaced, in one run. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <mstack/ms_csum.h>
#include "../csum_word_sum.h"

#define BENCH_MAX_LEN   9000
#define BENCH_ALIGN_MAX 7
#define BENCH_ROUNDS    201
#define BENCH_BYTES     (1 << 20) /* per round and variant: long enough to time, short enough to dodge a preemption */

/* Out of line, called through a pointer: the length is not known at compile time, as in a stack's receive path. */
static __attribute__((noinline)) uint64_t current_csum_add(const void *p, size_t len, uint64_t sum)
{
	return ms_csum_add(p, len, sum);
}

/* Where every round's sums go, so that no call can be optimised away. */
static volatile uint64_t bench_sink;

typedef uint64_t csum_fn(const void *p, size_t len, uint64_t sum);

/* Ticks of the cycle counter (the TSC on x86: constant rate, not the core clock), else nanoseconds. */
static uint64_t bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Ticks per byte of one round: calls of fn over len bytes at p, BENCH_BYTES in all. */
static double bench_round(csum_fn *volatile fn, const uint8_t *p, size_t len)
{
	size_t calls = BENCH_BYTES / len + 1, i;
	uint64_t sum = 0, t0, t1;

	t0 = bench_ticks();
	for (i = 0; i < calls; i++)
		sum += fn(p, len, 0);
	t1 = bench_ticks();
	bench_sink = sum;
	return (double)(t1 - t0) / (double)(calls * len);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-a OFFSET] [LEN...]\n", prog);
	fprintf(stderr, "  -a OFFSET  start the data OFFSET (0-%d) bytes past an 8-byte boundary (default 0)\n",
		BENCH_ALIGN_MAX);
	fprintf(stderr, "  LEN        bytes per call, 1-%d (default 20 64 1460 9000)\n", BENCH_MAX_LEN);
	exit(2);
}

int main(int argc, char **argv)
{
	static const size_t default_lens[] = { 20, 64, 1460, 9000 };
	static uint8_t buf[BENCH_MAX_LEN + 64] __attribute__((aligned(64)));
	double old_t[BENCH_ROUNDS], new_t[BENCH_ROUNDS];
	size_t lens[64], nlens = 0, i, r;
	long offset = 0;
	int opt;

	while ((opt = getopt(argc, argv, "a:h")) != -1) {
		if (opt != 'a')
			usage(argv[0]);
		offset = strtol(optarg, NULL, 10);
		if (offset < 0 || offset > BENCH_ALIGN_MAX)
			usage(argv[0]);
	}
	for (; optind < argc && nlens < sizeof(lens) / sizeof(lens[0]); optind++) {
		long len = strtol(argv[optind], NULL, 10);

		if (len < 1 || len > BENCH_MAX_LEN)
			usage(argv[0]);
		lens[nlens++] = (size_t)len;
	}
	if (!nlens)
		for (; nlens < sizeof(default_lens) / sizeof(default_lens[0]); nlens++)
			lens[nlens] = default_lens[nlens];
	srand(1);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();

#if defined(__x86_64__) || defined(__i386__)
	printf("# ticks: TSC cycles; data in L1, offset %ld from an 8-byte boundary; median [min] of %d rounds\n",
	       offset, BENCH_ROUNDS);
#else
	printf("# ticks: nanoseconds; data in L1, offset %ld from an 8-byte boundary; median [min] of %d rounds\n",
	       offset, BENCH_ROUNDS);
#endif
	printf("%6s %22s %22s %8s\n", "bytes", "old ticks/byte", "new ticks/byte", "speedup");
	for (i = 0; i < nlens; i++) {
		const uint8_t *p = buf + offset;
		size_t len = lens[i];

		/* Never time a wrong answer. */
		if (ms_csum_fold(csum_word_sum(p, len, 0)) != ms_csum_fold(current_csum_add(p, len, 0))) {
			fprintf(stderr, "csum_bench: the two sums of %zu bytes differ\n", len);
			return 1;
		}
		/* Rounds alternate between the two, so that both see the same noise from the rest of the machine. */
		for (r = 0; r < BENCH_ROUNDS; r++) {
			old_t[r] = bench_round(csum_word_sum, p, len);
			new_t[r] = bench_round(current_csum_add, p, len);
		}
		qsort(old_t, BENCH_ROUNDS, sizeof(double), cmp_double);
		qsort(new_t, BENCH_ROUNDS, sizeof(double), cmp_double);
		printf("%6zu %13.3f [%6.3f] %13.3f [%6.3f] %7.2fx\n", len, old_t[BENCH_ROUNDS / 2], old_t[0],
		       new_t[BENCH_ROUNDS / 2], new_t[0], old_t[BENCH_ROUNDS / 2] / new_t[BENCH_ROUNDS / 2]);
	}
	return 0;
}
