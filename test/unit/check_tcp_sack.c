/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_sack.c - the SACK scoreboard: RFC 2018 block validation, RFC 6675 IsLost, SetPipe and NextSeg. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_sack.h"
#include "tcp_seq.h"
#include "check_main.h"

#define MSS 1000u

/* Sequence numbers near the 2^32 wrap, so that every rule is also checked across it. */
#define UNA 0xfffffc18u /* 2^32 - 1000 */

static struct tcp_scoreboard sb;

/* una + off: offsets keep the hand-worked examples readable. */
static uint32_t at(uint32_t off)
{
	return UNA + off;
}

static uint32_t sack(uint32_t una_off, uint32_t max_off, uint32_t s1, uint32_t e1)
{
	struct tcp_sack_block b = { at(s1), at(e1) };

	return tcp_sack_update(&sb, at(una_off), at(max_off), &b, 1);
}

static void setup(void)
{
	tcp_sack_reset(&sb, UNA);
}

static void assert_board_canonical(uint32_t una)
{
	uint32_t i;

	ck_assert_uint_le(sb.nblocks, TCP_SACK_HOLES_MAX);
	for (i = 0; i < sb.nblocks; i++) {
		ck_assert(seq_geq(sb.b[i].start, una));
		ck_assert(seq_lt(sb.b[i].start, sb.b[i].end));
		if (i > 0)
			ck_assert(seq_gt(sb.b[i].start, sb.b[i - 1].end));
	}
}

START_TEST(test_rfc2018_blocks_outside_una_and_snd_max_are_ignored)
{
	const struct tcp_sack_block bogus[] = {
		{ at(0) - 1000, at(0) },                      /* a D-SACK below una (RFC 2883) */
		{ at(0) - 10, at(500) },                      /* straddles una */
		{ at(0), at(500) },                           /* starts at una: the ACK says that byte is missing */
		{ at(9000), at(10001) },                      /* ends beyond snd_max */
		{ at(3000), at(2000) },                       /* inverted */
		{ at(3000), at(3000) },                       /* empty */
		{ at(0) + 0x80000000u, at(0) + 0x80000100u }, /* half the sequence space away */
	};

	ck_assert_uint_eq(tcp_sack_update(&sb, at(0), at(10000), bogus, 7), 0);
	ck_assert_uint_eq(sb.nblocks, 0);
	ck_assert_uint_eq(tcp_sack_pipe(&sb, at(0), at(10000), MSS), 10000);

	/* The edges themselves are valid: (una, snd_max]. */
	ck_assert_uint_eq(sack(0, 10000, 9000, 10000), 1000);
	ck_assert_uint_eq(sack(0, 10000, 1, 2), 1);
	ck_assert_uint_eq(sb.nblocks, 2);
}
END_TEST

START_TEST(test_rfc6675_only_newly_sacked_bytes_are_counted)
{
	ck_assert_uint_eq(sack(0, 10000, 2000, 3000), 1000);
	ck_assert_uint_eq(sack(0, 10000, 2000, 3000), 0); /* the same report again */
	ck_assert_uint_eq(sack(0, 10000, 2500, 4000), 1000);
	ck_assert_uint_eq(sack(0, 10000, 5000, 6000), 1000);
	ck_assert_uint_eq(sack(0, 10000, 1000, 7000), 3000); /* covers both, fills the hole between */
	ck_assert_uint_eq(sb.nblocks, 1);
	ck_assert(tcp_sack_is_sacked(&sb, at(1000)));
	ck_assert(tcp_sack_is_sacked(&sb, at(6999)));
	ck_assert(!tcp_sack_is_sacked(&sb, at(7000)));
	ck_assert(!tcp_sack_is_sacked(&sb, at(999)));
}
END_TEST

START_TEST(test_a_cumulative_ack_drops_and_trims_sacked_ranges)
{
	ck_assert_uint_eq(sack(0, 10000, 2000, 3000), 1000);
	ck_assert_uint_eq(sack(0, 10000, 4000, 6000), 2000);
	ck_assert_uint_eq(tcp_sack_update(&sb, at(5000), at(10000), NULL, 0), 0);
	ck_assert_uint_eq(sb.high_ack, at(5000));
	ck_assert_uint_eq(sb.nblocks, 1);
	ck_assert_uint_eq(sb.b[0].start, at(5000));
	ck_assert_uint_eq(sb.b[0].end, at(6000));
	/* An older ACK, reordered in the network, does not move HighACK back. */
	ck_assert_uint_eq(tcp_sack_update(&sb, at(3000), at(10000), NULL, 0), 0);
	ck_assert_uint_eq(sb.high_ack, at(5000));
	assert_board_canonical(at(5000));
}
END_TEST

START_TEST(test_rfc6675_islost_needs_more_than_dupthresh_minus_one_smss_sacked_above)
{
	/* Two full segments SACKed above: not yet lost. */
	ck_assert_uint_eq(sack(0, 10000, 1000, 3000), 2000);
	ck_assert(!tcp_sack_is_lost(&sb, at(0), MSS));
	/* One byte more: more than (DupThresh - 1) * SMSS. */
	ck_assert_uint_eq(sack(0, 10000, 3000, 3001), 1);
	ck_assert(tcp_sack_is_lost(&sb, at(0), MSS));
	/* With 3 x SMSS SACKed above, as three duplicate ACKs of full segments would say. */
	tcp_sack_reset(&sb, UNA);
	ck_assert_uint_eq(sack(0, 10000, 1000, 4000), 3000);
	ck_assert(tcp_sack_is_lost(&sb, at(0), MSS));
	ck_assert(tcp_sack_is_lost(&sb, at(999), MSS));
	/* Bytes inside the block above seq count too: 2001 bytes lie above at(1999). */
	ck_assert(tcp_sack_is_lost(&sb, at(1998), MSS));
	ck_assert(!tcp_sack_is_lost(&sb, at(1999), MSS));
	/* Nothing above the highest SACKed byte is lost. */
	ck_assert(!tcp_sack_is_lost(&sb, at(4000), MSS));
}
END_TEST

START_TEST(test_rfc6675_islost_with_dupthresh_discontiguous_blocks)
{
	ck_assert_uint_eq(sack(0, 10000, 2000, 2100), 100);
	ck_assert_uint_eq(sack(0, 10000, 2200, 2300), 100);
	ck_assert(!tcp_sack_is_lost(&sb, at(0), MSS)); /* two small blocks */
	ck_assert_uint_eq(sack(0, 10000, 2400, 2500), 100);
	ck_assert(tcp_sack_is_lost(&sb, at(0), MSS)); /* three, only 300 bytes */
	ck_assert(tcp_sack_is_lost(&sb, at(1999), MSS));
	ck_assert(!tcp_sack_is_lost(&sb, at(2100), MSS)); /* only two above the second hole */
}
END_TEST

/*
 * The hand-worked example: ten segments of 1000 bytes in flight, una = 0,
 * HighData = 10000; SACKed: [3000, 4000), [5000, 6000), [7000, 9000).
 *   hole [0, 3000):     3 blocks above, lost       -> 0
 *   hole [4000, 5000):  2 blocks, 3000 bytes > 2000 -> lost -> 0
 *   hole [6000, 7000):  1 block, 2000 bytes, not more than 2000 -> 1000
 *   hole [9000, 10000): nothing above -> 1000
 * SetPipe = 2000; after retransmitting [0, 1000) (HighRxt), 3000.
 */
static void hand_worked_board(void)
{
	const struct tcp_sack_block b[] = {
		{ at(7000), at(9000) },
		{ at(5000), at(6000) },
		{ at(3000), at(4000) },
	};

	ck_assert_uint_eq(tcp_sack_update(&sb, at(0), at(10000), b, 3), 4000);
	assert_board_canonical(at(0));
}

START_TEST(test_rfc6675_setpipe_worked_by_hand)
{
	ck_assert_uint_eq(tcp_sack_pipe(&sb, at(0), at(10000), MSS), 10000); /* no SACK: all of it */
	hand_worked_board();
	ck_assert(tcp_sack_is_lost(&sb, at(0), MSS));
	ck_assert(tcp_sack_is_lost(&sb, at(4000), MSS));
	ck_assert(!tcp_sack_is_lost(&sb, at(6000), MSS));
	ck_assert_uint_eq(tcp_sack_pipe(&sb, at(0), at(10000), MSS), 2000);
	sb.high_rxt = at(1000);
	ck_assert_uint_eq(tcp_sack_pipe(&sb, at(0), at(10000), MSS), 3000);
	/* A retransmission of a hole that is not lost counts twice: once sent, once resent. */
	sb.high_rxt = at(6500);
	ck_assert_uint_eq(tcp_sack_pipe(&sb, at(0), at(10000), MSS), 2000 + 3000 + 1000 + 500);
}
END_TEST

START_TEST(test_rfc6675_nextseg_rule1_retransmits_the_first_lost_hole)
{
	uint32_t seq = 0, len = 0;

	hand_worked_board();
	ck_assert_int_eq(tcp_sack_next_seg(&sb, at(0), at(10000), at(10000), MSS, 1, &seq, &len), 1);
	ck_assert_uint_eq(seq, at(0));
	ck_assert_uint_eq(len, MSS);
	/* A segment never runs into SACKed data: the hole [4000, 5000) with a larger SMSS. */
	sb.high_rxt = at(3000);
	ck_assert_int_eq(tcp_sack_next_seg(&sb, at(0), at(10000), at(10000), 1460, 1, &seq, &len), 1);
	ck_assert_uint_eq(seq, at(4000));
	ck_assert_uint_eq(len, 1000);
}
END_TEST

START_TEST(test_rfc6675_nextseg_rule2_sends_new_data_when_nothing_is_lost)
{
	uint32_t seq = 0, len = 99;

	hand_worked_board();
	sb.high_rxt = at(5000); /* the lost holes were retransmitted */
	ck_assert_int_eq(tcp_sack_next_seg(&sb, at(0), at(10000), at(10000), MSS, 1, &seq, &len), 2);
	ck_assert_uint_eq(seq, at(10000));
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_rfc6675_nextseg_rule3_retransmits_a_hole_not_yet_lost_when_no_new_data)
{
	uint32_t seq = 0, len = 0;

	hand_worked_board();
	sb.high_rxt = at(5000);
	ck_assert_int_eq(tcp_sack_next_seg(&sb, at(0), at(10000), at(10000), MSS, 0, &seq, &len), 1);
	ck_assert_uint_eq(seq, at(6000));
	ck_assert_uint_eq(len, 1000);
	/* Above the highest SACKed byte rule 3 does not apply (rule 1.b): nothing to send. */
	sb.high_rxt = at(7000);
	ck_assert_int_eq(tcp_sack_next_seg(&sb, at(0), at(10000), at(10000), MSS, 0, &seq, &len), 0);
}
END_TEST

START_TEST(test_rfc6675_highrxt_stops_repeating_retransmissions)
{
	uint32_t seq, len, sent[16];
	int n = 0, i, k;

	hand_worked_board();
	while (tcp_sack_next_seg(&sb, at(0), at(10000), at(10000), MSS, 0, &seq, &len) == 1) {
		ck_assert_int_lt(n, 16);
		sent[n++] = seq;
		sb.high_rxt = seq + len; /* what the connection does on retransmitting */
	}
	/* Each hole byte once: [0, 3000) in three segments, [4000, 5000), then [6000, 7000) by rule 3. */
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(sent[0], at(0));
	ck_assert_uint_eq(sent[1], at(1000));
	ck_assert_uint_eq(sent[2], at(2000));
	ck_assert_uint_eq(sent[3], at(4000));
	ck_assert_uint_eq(sent[4], at(6000));
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n; k++)
			ck_assert_uint_ne(sent[i], sent[k]);
	/* A cumulative ACK does not bring HighRxt back below una. */
	ck_assert_uint_eq(tcp_sack_update(&sb, at(3000), at(10000), NULL, 0), 0);
	ck_assert_uint_eq(sb.high_rxt, at(7000));
}
END_TEST

START_TEST(test_rfc6675_s5_1_an_rto_resets_the_scoreboard)
{
	uint32_t seq = 0, len = 0;

	hand_worked_board();
	sb.high_rxt = at(3000);
	sb.in_recovery = 1;
	tcp_sack_reset(&sb, at(0));
	ck_assert_uint_eq(sb.nblocks, 0);
	ck_assert_uint_eq(sb.high_rxt, at(0));
	ck_assert_uint_eq(sb.in_recovery, 0);
	ck_assert(!tcp_sack_is_lost(&sb, at(0), MSS));
	ck_assert(!tcp_sack_is_sacked(&sb, at(3000)));
	ck_assert_uint_eq(tcp_sack_pipe(&sb, at(0), at(10000), MSS), 10000);
	ck_assert_int_eq(tcp_sack_next_seg(&sb, at(0), at(0), at(10000), MSS, 0, &seq, &len), 0);
}
END_TEST

START_TEST(test_many_blocks_keep_the_board_bounded_and_forget_the_lowest)
{
	struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];
	uint32_t i, k;

	/* A receiver reporting 100 holes, the latest block first as RFC 2018 asks. */
	for (i = 0; i < 100; i++) {
		for (k = 0; k < TCP_SACK_BLOCKS_MAX; k++) {
			uint32_t blk = i >= k ? i - k : 0;

			b[k].start = at(1000 + 2000 * blk);
			b[k].end = at(2000 + 2000 * blk);
		}
		tcp_sack_update(&sb, at(0), at(300000), b, TCP_SACK_BLOCKS_MAX);
		assert_board_canonical(at(0));
	}
	ck_assert_uint_eq(sb.nblocks, TCP_SACK_HOLES_MAX);
	ck_assert(tcp_sack_is_sacked(&sb, at(1000 + 2000 * 99)));
	ck_assert(tcp_sack_is_sacked(&sb, at(1000 + 2000 * (100 - TCP_SACK_HOLES_MAX))));
	/* The forgotten block looks unSACKed: retransmitted needlessly, never skipped. */
	ck_assert(!tcp_sack_is_sacked(&sb, at(1000)));
	/* A block below all 32 kept ones is the one forgotten at once. */
	ck_assert_uint_eq(sack(0, 300000, 1000, 2000), 0);
	ck_assert_uint_eq(sb.nblocks, TCP_SACK_HOLES_MAX);
	/* A block merging with a kept one needs no slot. */
	ck_assert_uint_eq(sack(0, 300000, 2000 + 2000 * 99, 2500 + 2000 * 99), 500);
	ck_assert_uint_eq(sb.nblocks, TCP_SACK_HOLES_MAX);
}
END_TEST

/* xorshift32: a fixed seed, so a failure replays. */
static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* The oracle: RFC 6675's definitions taken literally, octet by octet, over what the ACKs reported. */
#define ORC_MSS  100u
#define ORC_SEGS 40u
#define ORC_MAX  (ORC_MSS * ORC_SEGS)

static uint8_t orc_sacked[ORC_MAX];
static uint8_t orc_lost[ORC_MAX];

/*
 * IsLost(S) for every S: DupThresh discontiguous SACKed sequences above S,
 * or more than (DupThresh - 1) * SMSS SACKed bytes above S. Counted from the
 * top down, so that the per-octet definitions stay affordable.
 */
static void orc_prepare(void)
{
	uint32_t s = ORC_MAX, runs = 0, bytes = 0;

	while (s-- > 0) {
		orc_lost[s] = runs >= TCP_SACK_DUPTHRESH || bytes > (TCP_SACK_DUPTHRESH - 1) * ORC_MSS;
		bytes += orc_sacked[s];
		runs += orc_sacked[s] && (s == 0 || !orc_sacked[s - 1]);
	}
}

static int orc_is_lost(uint32_t s)
{
	return orc_lost[s];
}

/* SetPipe: each unSACKed octet counts once unless lost, and once more if retransmitted (S <= HighRxt). */
static uint32_t orc_pipe(uint32_t una, uint32_t high_rxt)
{
	uint32_t s, pipe = 0;

	for (s = una; s < ORC_MAX; s++)
		if (!orc_sacked[s])
			pipe += !orc_is_lost(s) + (s < high_rxt);
	return pipe;
}

/* NextSeg rules 1 to 3 as RFC 6675 section 4 words them. */
static int orc_next_seg(uint32_t una, uint32_t high_rxt, int can_send_new, uint32_t *seq, uint32_t *len)
{
	uint32_t s, high_sacked = 0, e;

	for (s = 0; s < ORC_MAX; s++)
		if (orc_sacked[s])
			high_sacked = s + 1;
	for (s = una > high_rxt ? una : high_rxt; s < high_sacked && orc_sacked[s]; s++)
		;
	if (s < high_sacked) {
		for (e = s; e < s + ORC_MSS && !orc_sacked[e]; e++)
			;
		*seq = s;
		*len = e - s;
		if (orc_is_lost(s))
			return 1;
	}
	if (can_send_new) {
		*seq = ORC_MAX;
		*len = 0;
		return 2;
	}
	return s < high_sacked;
}

START_TEST(test_rfc6675_islost_setpipe_nextseg_match_their_octet_by_octet_definitions)
{
	uint8_t delivered[ORC_SEGS];
	int trial, checks = 0, rule_seen[3] = { 0 };

	for (trial = 0; trial < 300; trial++) {
		uint32_t una = 0, i, ack;

		tcp_sack_reset(&sb, at(0));
		memset(orc_sacked, 0, sizeof(orc_sacked));
		for (i = 0; i < ORC_SEGS; i++)
			delivered[i] = rng() % 10 >= 3; /* 30% loss */
		for (ack = 0; ack < 12; ack++) {
			struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];
			uint32_t rcv_nxt = 0, nb = 0, seg, seq = 0, len = 0, oseq = 0, olen = 0, high_rxt, wrong;
			int can_new = rng() & 1, r, orc;

			/* The receiver: a cumulative ACK, then up to 4 of its SACK ranges, chosen at random. */
			while (rcv_nxt < ORC_SEGS && delivered[rcv_nxt])
				rcv_nxt++;
			if (rng() % 4 == 0 && una < rcv_nxt * ORC_MSS)
				una = rcv_nxt * ORC_MSS;
			for (seg = rcv_nxt; seg < ORC_SEGS && nb < TCP_SACK_BLOCKS_MAX; seg++) {
				uint32_t end = seg;

				if (!delivered[seg] || rng() % 3 == 0)
					continue;
				while (end < ORC_SEGS && delivered[end])
					end++;
				b[nb].start = at(seg * ORC_MSS);
				b[nb++].end = at(end * ORC_MSS);
				seg = end;
			}
			if (nb < TCP_SACK_BLOCKS_MAX && rng() % 4 == 0) { /* a D-SACK below una, or garbage */
				b[nb].start = at(rng() % ORC_MAX) - 5000;
				b[nb].end = b[nb].start + ORC_MSS;
				nb++;
			}
			tcp_sack_update(&sb, at(una), at(ORC_MAX), b, nb);
			for (i = 0; i < nb; i++)
				if (b[i].start - at(0) < ORC_MAX && b[i].start - at(0) > una)
					memset(&orc_sacked[b[i].start - at(0)], 1, b[i].end - b[i].start);
			memset(orc_sacked, 0, una);
			orc_prepare();

			assert_board_canonical(at(una));
			/* One assertion per round: check records every assertion, too slow per octet. */
			for (i = una, wrong = 0; i < ORC_MAX; i++) {
				wrong += tcp_sack_is_sacked(&sb, at(i)) != orc_sacked[i];
				wrong += !orc_sacked[i] && tcp_sack_is_lost(&sb, at(i), ORC_MSS) != orc_is_lost(i);
			}
			ck_assert_uint_eq(wrong, 0);
			high_rxt = una + rng() % (ORC_MAX - una + 1);
			sb.high_rxt = at(high_rxt);
			ck_assert_uint_eq(tcp_sack_pipe(&sb, at(una), at(ORC_MAX), ORC_MSS), orc_pipe(una, high_rxt));
			r = tcp_sack_next_seg(&sb, at(una), at(ORC_MAX), at(ORC_MAX), ORC_MSS, can_new, &seq, &len);
			orc = orc_next_seg(una, high_rxt, can_new, &oseq, &olen);
			ck_assert_int_eq(r, orc);
			if (r) {
				ck_assert_uint_eq(seq, at(oseq));
				ck_assert_uint_eq(len, olen);
				rule_seen[r == 2 ? 1 : orc_is_lost(oseq) ? 0 : 2]++;
			}
			sb.high_rxt = at(una); /* the next round draws its own */
			checks++;
		}
	}
	ck_assert_int_eq(checks, 3600);
	/* The random boards did reach every rule. */
	ck_assert_int_gt(rule_seen[0], 100);
	ck_assert_int_gt(rule_seen[1], 100);
	ck_assert_int_gt(rule_seen[2], 100);
}
END_TEST

static Suite *tcp_sack_suite(void)
{
	Suite *s = suite_create("tcp_sack");
	TCase *tc = tcase_create("scoreboard");

	tcase_set_timeout(tc, 60); /* the randomised runs, on a loaded machine or under valgrind */
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_rfc2018_blocks_outside_una_and_snd_max_are_ignored);
	tcase_add_test(tc, test_rfc6675_only_newly_sacked_bytes_are_counted);
	tcase_add_test(tc, test_a_cumulative_ack_drops_and_trims_sacked_ranges);
	tcase_add_test(tc, test_rfc6675_islost_needs_more_than_dupthresh_minus_one_smss_sacked_above);
	tcase_add_test(tc, test_rfc6675_islost_with_dupthresh_discontiguous_blocks);
	tcase_add_test(tc, test_rfc6675_setpipe_worked_by_hand);
	tcase_add_test(tc, test_rfc6675_nextseg_rule1_retransmits_the_first_lost_hole);
	tcase_add_test(tc, test_rfc6675_nextseg_rule2_sends_new_data_when_nothing_is_lost);
	tcase_add_test(tc, test_rfc6675_nextseg_rule3_retransmits_a_hole_not_yet_lost_when_no_new_data);
	tcase_add_test(tc, test_rfc6675_highrxt_stops_repeating_retransmissions);
	tcase_add_test(tc, test_rfc6675_s5_1_an_rto_resets_the_scoreboard);
	tcase_add_test(tc, test_many_blocks_keep_the_board_bounded_and_forget_the_lowest);
	tcase_add_test(tc, test_rfc6675_islost_setpipe_nextseg_match_their_octet_by_octet_definitions);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tcp_sack_suite)
