/* SPDX-License-Identifier: BSD-2-Clause */
/* check_csum.c - ms_csum.h against RFC 1071 written out byte by byte: every length, alignment and chaining. */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mstack/ms_csum.h>
#include "../csum_word_sum.h"
#include "check_main.h"

#define MAX_LEN   2048
#define MAX_ALIGN 8

/*
 * The reference: RFC 1071 section 1 as written, independent of the host's byte
 * order. 16-bit words in network order (b[i] is the high byte), an odd last
 * byte padded on the right with a zero, end-around carry folded after each
 * addition. Returns the folded, not complemented, sum in host order.
 */
static uint16_t ref_csum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2) {
		sum += (uint32_t)b[i] << 8 | (i + 1 < len ? b[i + 1] : 0);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)sum;
}

/* The checksum under test, in host order like ref_csum (sums are in memory order: ntohs). */
static uint16_t csum_of(const void *p, size_t len)
{
	return ntohs(ms_csum_fold(ms_csum_add(p, len, 0)));
}

/* xorshift64: reproducible pseudo-random bytes (a failure names its length and offset, the run repeats it). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill_random(uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rng_next();
}

START_TEST(test_rfc1071_section3_example_sums_to_ddf2)
{
	/* RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 2ddf0, folded ddf2. */
	const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t shifted[8 + MAX_ALIGN];
	int off;

	ck_assert_uint_eq(ref_csum(rfc, sizeof(rfc)), 0xddf2);
	for (off = 0; off < MAX_ALIGN; off++) {
		memcpy(shifted + off, rfc, sizeof(rfc));
		ck_assert_uint_eq(csum_of(shifted + off, sizeof(rfc)), 0xddf2);
	}
	/* Section 2(B): the sum of byte-swapped data is the byte-swapped sum. */
	ck_assert_uint_eq(ms_csum_fold(ms_csum_add(rfc, sizeof(rfc), 0)), htons(0xddf2));
}
END_TEST

START_TEST(test_ipv4_header_with_its_checksum_sums_to_ffff_and_without_gives_it)
{
	/* A real IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199) whose checksum field holds 0xb861. */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c;

	ck_assert_uint_eq(ms_csum_fold(ms_csum_add(ip, sizeof(ip), 0)), 0xffff);
	ip[10] = ip[11] = 0;
	c = (uint16_t)~ms_csum_fold(ms_csum_add(ip, sizeof(ip), 0));
	ck_assert_uint_eq(ntohs(c), 0xb861);
}
END_TEST

START_TEST(test_every_length_and_alignment_matches_the_reference)
{
	static uint8_t buf[MAX_LEN + MAX_ALIGN];
	size_t len;
	int off, round;

	/* Random data, then all ones (the most carries), then all zeros (a sum of 0 stays 0, not 0xffff). */
	for (round = 0; round < 3; round++) {
		if (round == 0)
			fill_random(buf, sizeof(buf));
		else
			memset(buf, round == 1 ? 0xff : 0x00, sizeof(buf));
		for (len = 0; len <= MAX_LEN; len++) {
			for (off = 0; off < MAX_ALIGN; off++) {
				const uint8_t *p = buf + off;

				ck_assert_msg(csum_of(p, len) == ref_csum(p, len), "round %d len %zu offset %d", round,
					      len, off);
				ck_assert_msg(ms_csum_add(p, len, 0) == csum_word_sum(p, len, 0),
					      "raw sum: round %d len %zu offset %d", round, len, off);
			}
		}
	}
}
END_TEST

START_TEST(test_the_running_sum_is_added_not_replaced)
{
	uint8_t buf[100];
	uint64_t start = 0x123456789aULL;

	fill_random(buf, sizeof(buf));
	ck_assert_uint_eq(ms_csum_add(buf, 0, start), start);
	ck_assert_uint_eq(ms_csum_add(buf, 3, start), start + ms_csum_add(buf, 3, 0));
	ck_assert_uint_eq(ms_csum_add(buf, 100, start), start + ms_csum_add(buf, 100, 0));
}
END_TEST

START_TEST(test_chained_even_pieces_give_the_sum_of_the_whole)
{
	static uint8_t buf[MAX_LEN + MAX_ALIGN];
	int trial;

	/*
	 * The chaining rule: every piece but the last has an even length; the last
	 * may be odd. (Only the folded sum is the checksum: the raw 64-bit sums of
	 * pieces whose lengths are 2 mod 4 differ from the whole's, congruently.)
	 */
	for (trial = 0; trial < 20000; trial++) {
		size_t len = (size_t)(rng_next() % (MAX_LEN + 1)), done = 0;
		const uint8_t *p = buf + rng_next() % MAX_ALIGN;
		uint64_t sum = 0;

		fill_random(buf, MAX_LEN + MAX_ALIGN);
		while (done < len) {
			size_t piece = (size_t)(rng_next() % 200) & ~(size_t)1;

			if (piece > len - done)
				piece = len - done; /* the last piece */
			sum = ms_csum_add(p + done, piece, sum);
			done += piece;
		}
		ck_assert_msg(ntohs(ms_csum_fold(sum)) == ref_csum(p, len), "trial %d len %zu", trial, len);
	}
}
END_TEST

START_TEST(test_a_jumbo_of_ones_folds_without_losing_carries)
{
	size_t len = 1 << 20;
	uint8_t *b = malloc(len + 1);

	ck_assert_ptr_nonnull(b);
	memset(b, 0xff, len + 1);
	ck_assert_uint_eq(ms_csum_add(b, len, 0), (uint64_t)(len / 4) * 0xffffffffULL);
	ck_assert_uint_eq(csum_of(b, len), 0xffff);
	ck_assert_uint_eq(csum_of(b, len + 1), ref_csum(b, len + 1));
	ck_assert_uint_eq(csum_of(b + 1, 9001), ref_csum(b + 1, 9001));
	free(b);
}
END_TEST

START_TEST(test_reads_stay_within_the_bytes_given)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map, *data;
	size_t len;

	/* A readable page between two inaccessible ones: a read past either end of the data faults. */
	ck_assert_int_ge(page, MAX_LEN);
	map = mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	data = map + page;
	ck_assert_int_eq(mprotect(map, (size_t)page, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(data + page, (size_t)page, PROT_NONE), 0);
	fill_random(data, (size_t)page);
	for (len = 0; len <= MAX_LEN; len++) {
		ck_assert_uint_eq(csum_of(data, len), ref_csum(data, len));
		ck_assert_uint_eq(csum_of(data + page - len, len), ref_csum(data + page - len, len));
	}
	munmap(map, 3 * (size_t)page);
}
END_TEST

static Suite *csum_suite(void)
{
	Suite *s = suite_create("csum");
	TCase *tc = tcase_create("rfc1071");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rfc1071_section3_example_sums_to_ddf2);
	tcase_add_test(tc, test_ipv4_header_with_its_checksum_sums_to_ffff_and_without_gives_it);
	tcase_add_test(tc, test_every_length_and_alignment_matches_the_reference);
	tcase_add_test(tc, test_the_running_sum_is_added_not_replaced);
	tcase_add_test(tc, test_chained_even_pieces_give_the_sum_of_the_whole);
	tcase_add_test(tc, test_a_jumbo_of_ones_folds_without_losing_carries);
	tcase_add_test(tc, test_reads_stay_within_the_bytes_given);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(csum_suite)
