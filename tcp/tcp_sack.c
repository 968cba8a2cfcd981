/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_sack.c - the sender's SACK scoreboard and RFC 6675's IsLost, SetPipe and NextSeg. */
#include <string.h>

#include "tcp_sack.h"
#include "tcp_seq.h"

/* RFC 6675 section 5.1: after an RTO the SACK information is discarded (the receiver may have reneged). */
void tcp_sack_reset(struct tcp_scoreboard *sb, uint32_t snd_una)
{
	memset(sb, 0, sizeof(*sb));
	sb->high_rxt = snd_una;
	sb->high_ack = snd_una;
	sb->high_data = snd_una;
	sb->recovery_point = snd_una;
}

/* Drop what una now covers: SACKed ranges below the cumulative ACK are no longer the scoreboard's business. */
static void sack_trim_below(struct tcp_scoreboard *sb, uint32_t una)
{
	uint32_t i = 0;

	while (i < sb->nblocks && seq_leq(sb->b[i].end, una))
		i++;
	memmove(&sb->b[0], &sb->b[i], (sb->nblocks - i) * sizeof(sb->b[0]));
	sb->nblocks -= i;
	if (sb->nblocks > 0 && seq_lt(sb->b[0].start, una))
		sb->b[0].start = una;
}

/* Bytes of [start, end) that block b already covers. */
static uint32_t sack_overlap(const struct tcp_sack_block *b, uint32_t start, uint32_t end)
{
	uint32_t lo = seq_max(b->start, start), hi = seq_min(b->end, end);

	return seq_lt(lo, hi) ? hi - lo : 0;
}

/*
 * Merge one valid block into the sorted, disjoint ranges. When all
 * TCP_SACK_HOLES_MAX are in use and the block needs one more, the lowest
 * range is forgotten: its bytes then look unSACKed, so at worst they are
 * retransmitted needlessly. Filling a gap instead would claim bytes the
 * peer never received, which recovery would then skip until the RTO.
 * @return the bytes this block newly SACKed (those kept).
 */
static uint32_t sack_insert(struct tcp_scoreboard *sb, uint32_t start, uint32_t end)
{
	uint32_t i = 0, j, k, covered = 0;

	while (i < sb->nblocks && seq_lt(sb->b[i].end, start))
		i++;
	for (j = i; j < sb->nblocks && seq_leq(sb->b[j].start, end); j++)
		covered += sack_overlap(&sb->b[j], start, end);
	if (i == j) {
		if (sb->nblocks == TCP_SACK_HOLES_MAX) {
			if (i == 0)
				return 0; /* it would be the lowest: the one to forget */
			memmove(&sb->b[0], &sb->b[1], (sb->nblocks - 1) * sizeof(sb->b[0]));
			sb->nblocks--;
			i--;
		}
		memmove(&sb->b[i + 1], &sb->b[i], (sb->nblocks - i) * sizeof(sb->b[0]));
		sb->b[i].start = start;
		sb->b[i].end = end;
		sb->nblocks++;
		return end - start;
	}
	sb->b[i].start = seq_min(start, sb->b[i].start);
	sb->b[i].end = seq_max(end, sb->b[j - 1].end);
	k = j - i - 1;
	memmove(&sb->b[i + 1], &sb->b[j], (sb->nblocks - j) * sizeof(sb->b[0]));
	sb->nblocks -= k;
	return (end - start) - covered;
}

/*
 * RFC 6675 section 4 (update the scoreboard on every ACK) and RFC 2018
 * section 4/5: a block must lie in (una, snd_max]; anything else is bogus or
 * a D-SACK report of data below una (RFC 2883), and is ignored.
 */
uint32_t tcp_sack_update(struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_max, const struct tcp_sack_block *blocks,
			 unsigned n)
{
	uint32_t newly = 0;
	unsigned i;

	if (seq_gt(una, sb->high_ack))
		sb->high_ack = una;
	una = sb->high_ack;
	sb->high_data = snd_max;
	sb->high_rxt = seq_max(sb->high_rxt, una);
	sack_trim_below(sb, una);
	for (i = 0; i < n; i++) {
		uint32_t start = blocks[i].start, end = blocks[i].end;

		if (!seq_lt(start, end) || !seq_gt(start, una) || seq_gt(end, snd_max))
			continue;
		newly += sack_insert(sb, start, end);
	}
	return newly;
}

/* RFC 6675 IsLost's test, given what was SACKed above a sequence number. */
static int sack_lost_given(uint32_t blocks_above, uint32_t bytes_above, uint32_t mss)
{
	return blocks_above >= TCP_SACK_DUPTHRESH || bytes_above > (TCP_SACK_DUPTHRESH - 1) * mss;
}

/*
 * RFC 6675 IsLost(SeqNum): true when DupThresh discontiguous SACKed ranges
 * lie above SeqNum, or more than (DupThresh - 1) * SMSS bytes above it are
 * SACKed (RFC 6675, section 4; RFC 3517 asked for DupThresh * SMSS).
 */
int tcp_sack_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss)
{
	uint32_t i, nabove = 0, bytes = 0;

	for (i = 0; i < sb->nblocks; i++) {
		if (seq_gt(sb->b[i].start, seq)) {
			nabove++;
			bytes += sb->b[i].end - sb->b[i].start;
		} else if (seq_gt(sb->b[i].end, seq + 1)) {
			bytes += sb->b[i].end - (seq + 1);
		}
	}
	return sack_lost_given(nabove, bytes, mss);
}

/*
 * RFC 6675 SetPipe: over every unSACKed byte S1 in [HighACK, HighData),
 * pipe counts 1 if IsLost(S1) is false and 1 more if S1 was retransmitted
 * (S1 <= HighRxt, kept here as S1 < high_rxt). IsLost is the same for every
 * byte of one hole (the SACKed data above it does not change inside the
 * hole), so the sum is taken hole by hole.
 */
uint32_t tcp_sack_pipe(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_max, uint32_t mss)
{
	uint32_t i, sacked_above = 0, nabove = 0, pipe = 0, cur = una;
	uint32_t rxt_end = seq_min(seq_max(sb->high_rxt, una), snd_max);

	for (i = 0; i < sb->nblocks; i++)
		if (seq_gt(sb->b[i].end, una) && seq_lt(sb->b[i].start, snd_max)) {
			nabove++;
			sacked_above += seq_min(sb->b[i].end, snd_max) - seq_max(sb->b[i].start, una);
		}
	for (i = 0; i <= sb->nblocks; i++) {
		uint32_t hole_end = snd_max, next = cur, lost = 0;

		if (i < sb->nblocks) {
			if (seq_leq(sb->b[i].end, una) || seq_geq(sb->b[i].start, snd_max))
				continue;
			hole_end = seq_max(sb->b[i].start, cur);
			next = seq_min(sb->b[i].end, snd_max);
			lost = sack_lost_given(nabove, sacked_above, mss);
			nabove--;
			sacked_above -= next - seq_max(sb->b[i].start, una);
		}
		/* The hole [cur, hole_end). */
		if (!lost)
			pipe += hole_end - cur;
		if (seq_gt(rxt_end, cur))
			pipe += seq_min(rxt_end, hole_end) - cur;
		cur = seq_max(next, cur);
	}
	return pipe;
}

/*
 * RFC 6675 NextSeg, rules 1 to 3 (rule 4's rescue retransmission is not
 * done). The candidate is the first unSACKed byte at or above HighRxt and
 * below the highest SACKed byte; IsLost only falls as sequence numbers
 * rise, so if that byte is not lost no later one is. A retransmission stops
 * at the end of its hole: SACKed bytes are never sent again.
 */
int tcp_sack_next_seg(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt, uint32_t snd_max, uint32_t mss,
		      int can_send_new, uint32_t *seq, uint32_t *len)
{
	uint32_t s = seq_max(una, sb->high_rxt), i, hole_end = 0;
	int candidate = 0;

	for (i = 0; i < sb->nblocks; i++) {
		if (seq_leq(sb->b[i].end, s))
			continue;
		if (seq_leq(sb->b[i].start, s)) {
			s = sb->b[i].end;
			continue;
		}
		/* s lies in the hole below block i, so below the highest SACKed byte (rule 1.b). */
		hole_end = seq_min(sb->b[i].start, snd_max);
		candidate = seq_lt(s, hole_end);
		break;
	}
	if (candidate) {
		*seq = s;
		*len = hole_end - s < mss ? hole_end - s : mss;
		if (tcp_sack_is_lost(sb, s, mss))
			return 1; /* rule 1 */
	}
	if (can_send_new) {
		*seq = snd_nxt;
		*len = 0;
		return 2; /* rule 2 */
	}
	return candidate ? 1 : 0; /* rule 3, or nothing */
}

int tcp_sack_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < sb->nblocks; i++)
		if (seq_in(seq, sb->b[i].start, sb->b[i].end))
			return 1;
	return 0;
}
