/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_opt.c - TCP option lists: hostile lists refused, unknown kinds skipped, SYN-only options, SACK blocks. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "tcp_opt.h"
#include "check_main.h"

START_TEST(test_a_syn_option_list_like_linux_sends_is_read_whole)
{
	/* MSS 1460, SACK-permitted, TS 1/0, NOP, WSCALE 7: a Linux SYN's 20 bytes. */
	static const uint8_t p[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct tcp_opts o;

	ck_assert_int_eq(tcp_opt_parse(p, sizeof(p), 1, &o), 0);
	ck_assert_uint_eq(o.present, TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE);
	ck_assert_uint_eq(o.mss, 1460);
	ck_assert_uint_eq(o.wscale, 7);
	ck_assert_uint_eq(o.ts_val, 1);
	ck_assert_uint_eq(o.ts_ecr, 0);
}
END_TEST

START_TEST(test_syn_only_options_are_ignored_on_a_non_syn)
{
	static const uint8_t p[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8 };
	struct tcp_opts o;

	ck_assert_int_eq(tcp_opt_parse(p, sizeof(p), 0, &o), 0);
	ck_assert_uint_eq(o.present, TCP_OPT_TS); /* RFC 7323 2.2, RFC 2018 2: SYN only */
	ck_assert_uint_eq(o.ts_val, 9);
	ck_assert_uint_eq(o.ts_ecr, 8);
}
END_TEST

START_TEST(test_unknown_kinds_are_skipped_by_their_length)
{
	/* kind 30 (MPTCP) of 6 bytes, kind 254 (experimental) of 4, then MSS. */
	static const uint8_t p[] = { 30, 6, 1, 2, 3, 4, 254, 4, 0xf9, 0x89, 2, 4, 0x02, 0x18 };
	struct tcp_opts o;

	ck_assert_int_eq(tcp_opt_parse(p, sizeof(p), 1, &o), 0);
	ck_assert_uint_eq(o.present, TCP_OPT_MSS);
	ck_assert_uint_eq(o.mss, 536);
}
END_TEST

START_TEST(test_a_known_kind_of_the_wrong_length_is_ignored_not_fatal)
{
	/* MSS of length 5, WSCALE of 4, TS of 8, SACK-permitted of 3, then a good WSCALE. */
	static const uint8_t p[] = { 2, 5, 1, 2, 3, 3, 4, 1, 2, 8, 8, 0, 0, 0, 0, 0, 0, 4, 3, 0, 3, 3, 2 };
	struct tcp_opts o;

	ck_assert_int_eq(tcp_opt_parse(p, sizeof(p), 1, &o), 0);
	ck_assert_uint_eq(o.present, TCP_OPT_WSCALE);
	ck_assert_uint_eq(o.wscale, 2);
}
END_TEST

START_TEST(test_eol_ends_the_list_and_what_follows_is_padding)
{
	static const uint8_t p[] = { 1, 0, 2, 1, 0xff, 0xff }; /* garbage after EOL would be malformed */
	struct tcp_opts o;

	ck_assert_int_eq(tcp_opt_parse(p, sizeof(p), 1, &o), 0);
	ck_assert_uint_eq(o.present, 0);
}
END_TEST

/* RFC 9293 3.2: a length byte of 0 or 1, a missing length byte, or a length past the end refuse the list. */
START_TEST(test_every_malformed_length_refuses_the_whole_list)
{
	/* Every kind we know, and unknown ones: framing does not depend on the kind. */
	static const uint8_t kinds[] = { 2, 3, 4, 5, 8, 30, 254, 255 };
	uint8_t p[40];
	struct tcp_opts o;
	unsigned k, olen, room;

	for (k = 0; k < sizeof(kinds); k++) {
		/* The option sits after a good MSS, so the refusal is of the list, not of the first option. */
		for (room = 1; room <= 36; room++) {
			size_t len = 4 + room;

			memset(p, 1, sizeof(p));
			p[0] = 2;
			p[1] = 4;
			p[2] = 5;
			p[3] = 0xb4;
			p[4] = kinds[k];
			if (room == 1) { /* no room for a length byte */
				ck_assert_int_eq(tcp_opt_parse(p, len, 1, &o), -EINVAL);
				continue;
			}
			for (olen = 0; olen < 256; olen++) {
				int bad = olen < 2 || olen > room;

				p[5] = (uint8_t)olen;
				ck_assert_int_eq(tcp_opt_parse(p, len, 1, &o), bad ? -EINVAL : 0);
			}
		}
	}
}
END_TEST

START_TEST(test_sack_blocks_are_counted_up_to_four)
{
	uint8_t p[40];
	struct tcp_opts o;
	unsigned n, i;

	for (n = 1; n <= 4; n++) {
		p[0] = 1;
		p[1] = 1;
		p[2] = 5;
		p[3] = (uint8_t)(2 + 8 * n);
		for (i = 0; i < 2 * n; i++) {
			p[4 + 4 * i] = 0;
			p[5 + 4 * i] = 0;
			p[6 + 4 * i] = (uint8_t)(i + 1);
			p[7 + 4 * i] = 0;
		}
		ck_assert_int_eq(tcp_opt_parse(p, 4 + 8 * n, 0, &o), 0);
		ck_assert_uint_eq(o.present, TCP_OPT_SACK);
		ck_assert_uint_eq(o.nsack, n);
		for (i = 0; i < n; i++) {
			ck_assert_uint_eq(o.sack[i].start, (2 * i + 1) << 8);
			ck_assert_uint_eq(o.sack[i].end, (2 * i + 2) << 8);
		}
	}
}
END_TEST

START_TEST(test_a_sack_option_that_is_not_whole_blocks_is_ignored)
{
	uint8_t p[40] = { 5, 0 };
	struct tcp_opts o;
	unsigned olen;

	for (olen = 2; olen <= 40; olen++) {
		p[1] = (uint8_t)olen;
		ck_assert_int_eq(tcp_opt_parse(p, olen, 0, &o), 0);
		if (olen >= 10 && (olen - 2) % 8 == 0)
			ck_assert_uint_eq(o.nsack, (olen - 2) / 8);
		else
			ck_assert_uint_eq(o.present, 0);
	}
}
END_TEST

START_TEST(test_syn_options_are_written_as_linux_writes_them_and_parse_back)
{
	struct tcp_opts w = { 0 }, r;
	static const uint8_t linux_syn[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
	uint8_t p[40];
	size_t n;

	w.present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE;
	w.mss = 1460;
	w.wscale = 7;
	w.ts_val = 1;
	n = tcp_opt_write(p, sizeof(p), &w);
	ck_assert_uint_eq(n, sizeof(linux_syn));
	ck_assert_mem_eq(p, linux_syn, n);
	ck_assert_int_eq(tcp_opt_parse(p, n, 1, &r), 0);
	ck_assert_uint_eq(r.present, w.present);
	ck_assert_uint_eq(r.mss, 1460);
	ck_assert_uint_eq(r.wscale, 7);
}
END_TEST

START_TEST(test_written_options_are_whole_words_for_every_combination)
{
	struct tcp_opts w = { 0 }, r;
	uint8_t p[40];
	uint32_t bits;
	size_t n;

	w.mss = 1220;
	w.wscale = 14;
	w.ts_val = 0xdeadbeef;
	w.ts_ecr = 0x01020304;
	w.nsack = 2;
	w.sack[0] = (struct tcp_sack_block){ 100, 200 };
	w.sack[1] = (struct tcp_sack_block){ 300, 400 };
	for (bits = 0; bits < 32; bits++) {
		w.present = bits;
		n = tcp_opt_write(p, sizeof(p), &w);
		ck_assert_uint_eq(n % 4, 0);
		ck_assert_uint_le(n, 40);
		ck_assert_int_eq(tcp_opt_parse(p, n, 1, &r), 0);
		ck_assert_uint_eq(r.present, bits);
		if (bits & TCP_OPT_TS)
			ck_assert(r.ts_val == w.ts_val && r.ts_ecr == w.ts_ecr);
		if (bits & TCP_OPT_SACK)
			ck_assert(r.nsack == 2 && r.sack[1].start == 300 && r.sack[1].end == 400);
	}
}
END_TEST

START_TEST(test_sack_blocks_that_do_not_fit_are_left_out)
{
	struct tcp_opts w = { 0 }, r;
	uint8_t p[40];
	unsigned i;
	size_t n;

	w.present = TCP_OPT_SACK | TCP_OPT_TS;
	w.nsack = 4;
	for (i = 0; i < 4; i++)
		w.sack[i] = (struct tcp_sack_block){ 1000 * i, 1000 * i + 500 };
	n = tcp_opt_write(p, 40, &w); /* TS takes 12: 3 blocks of 8 fit after NOP NOP kind len */
	ck_assert_uint_eq(n, 40);
	ck_assert_int_eq(tcp_opt_parse(p, n, 0, &r), 0);
	ck_assert_uint_eq(r.nsack, 3);
	ck_assert_uint_eq(r.sack[2].start, 2000);
	w.present = TCP_OPT_SACK;
	n = tcp_opt_write(p, 40, &w);
	ck_assert_uint_eq(n, 36);
	ck_assert_int_eq(tcp_opt_parse(p, n, 0, &r), 0);
	ck_assert_uint_eq(r.nsack, 4);
	n = tcp_opt_write(p, 20, &w);
	ck_assert_uint_eq(n, 20);
	ck_assert_int_eq(tcp_opt_parse(p, n, 0, &r), 0);
	ck_assert_uint_eq(r.nsack, 2);
	n = tcp_opt_write(p, 11, &w); /* no room for one block */
	ck_assert_uint_eq(n, 0);
}
END_TEST

static Suite *tcp_opt_suite(void)
{
	Suite *s = suite_create("tcp_opt");
	TCase *parse = tcase_create("parse"), *write = tcase_create("write");

	tcase_add_test(parse, test_a_syn_option_list_like_linux_sends_is_read_whole);
	tcase_add_test(parse, test_syn_only_options_are_ignored_on_a_non_syn);
	tcase_add_test(parse, test_unknown_kinds_are_skipped_by_their_length);
	tcase_add_test(parse, test_a_known_kind_of_the_wrong_length_is_ignored_not_fatal);
	tcase_add_test(parse, test_eol_ends_the_list_and_what_follows_is_padding);
	tcase_add_test(parse, test_every_malformed_length_refuses_the_whole_list);
	tcase_add_test(parse, test_sack_blocks_are_counted_up_to_four);
	tcase_add_test(parse, test_a_sack_option_that_is_not_whole_blocks_is_ignored);
	tcase_add_test(write, test_syn_options_are_written_as_linux_writes_them_and_parse_back);
	tcase_add_test(write, test_written_options_are_whole_words_for_every_combination);
	tcase_add_test(write, test_sack_blocks_that_do_not_fit_are_left_out);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, write);
	return s;
}

CHECK_MAIN(tcp_opt_suite)
