/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_sack.h - the sender's SACK scoreboard and the loss recovery of RFC 6675. */
#ifndef MSTACK_TCP_SACK_H
#define MSTACK_TCP_SACK_H

#include <stdint.h>

#include "tcp_seg.h"

#define TCP_SACK_HOLES_MAX 32 /* SACKed ranges remembered; beyond it the lowest is forgotten (see tcp_sack.c) */
#define TCP_SACK_DUPTHRESH 3  /* RFC 6675 DupThresh */

/*
 * What the peer SACKed above snd_una, as sorted disjoint ranges, plus
 * RFC 6675's per-segment "retransmitted" memory kept as a high-water mark
 * (HighRxt). Sequence numbers are absolute (mod 2^32). No allocation.
 */
struct tcp_scoreboard {
	uint32_t nblocks;
	struct tcp_sack_block b[TCP_SACK_HOLES_MAX]; /* sorted, disjoint, all above snd_una */
	uint32_t high_rxt;   /* RFC 6675 HighRxt, plus one: the caller sets seq + len on retransmitting */
	uint32_t high_ack;   /* RFC 6675 HighACK (= snd_una) */
	uint32_t high_data;  /* RFC 6675 HighData (= snd_max) at the time of the last update */
	uint32_t recovery_point; /* RFC 6675 RecoveryPoint */
	uint8_t in_recovery;
};

/* Forget everything (connection start, RTO: RFC 6675 section 5.1). */
void tcp_sack_reset(struct tcp_scoreboard *sb, uint32_t snd_una);

/*
 * Take an ACK: snd_una advanced to una (cumulative), snd_max is HighData,
 * blocks are the segment's SACK blocks (validated here: blocks outside
 * (una, snd_max] are ignored, RFC 2018 and RFC 6675 section 4).
 * @return the number of bytes newly SACKed by this ACK (for the dupack rule of RFC 6675).
 */
uint32_t tcp_sack_update(struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_max,
	const struct tcp_sack_block *blocks, unsigned n);

/* RFC 6675 IsLost(seq): more than (DupThresh - 1) * mss bytes, or DupThresh discontiguous blocks, SACKed above seq. */
int tcp_sack_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss);

/* RFC 6675 SetPipe: bytes in flight between una and snd_max given the scoreboard. */
uint32_t tcp_sack_pipe(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_max, uint32_t mss);

/*
 * RFC 6675 NextSeg: the next range to send, up to mss bytes: *seq and *len.
 * Rule 1: the first unSACKed, lost byte above HighRxt; rule 2: new data,
 * when can_send_new says there is unsent data that the peer's window allows
 * (returned as *seq = snd_nxt with *len = 0: the caller sends up to mss of
 * it); rule 3, only when rule 2 cannot apply: an unSACKed byte above HighRxt
 * that is not lost, if any SACKed data lies above it.
 * @return 1 rule 1 or 3 (retransmit *seq.. *len), 2 new data, 0 nothing.
 */
int tcp_sack_next_seg(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt, uint32_t snd_max,
	uint32_t mss, int can_send_new, uint32_t *seq, uint32_t *len);

/* Is seq inside a SACKed block (the sender skips it on retransmission). */
int tcp_sack_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq);

#endif
