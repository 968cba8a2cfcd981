/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_reass.c - out-of-order ranges held above rcv_nxt and the SACK blocks reporting them (RFC 9293, RFC 2018). */
#include <errno.h>
#include <string.h>

#include "tcp_reass.h"
#include "tcp_seq.h"

void tcp_reass_init(struct tcp_reass *q, uint32_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max < TCP_REASS_RANGES_MAX ? max : TCP_REASS_RANGES_MAX;
}

/* The first range that ends at or above seq (so touches or follows it); q->n if none. Ranges are sorted. */
static uint32_t reass_first_reaching(const struct tcp_reass *q, uint32_t seq)
{
	uint32_t lo = 0, hi = q->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (seq_lt(q->r[mid].end, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The range that starts at start, or -1: recent[] names ranges by their start. */
static int reass_find_start(const struct tcp_reass *q, uint32_t start)
{
	uint32_t i = reass_first_reaching(q, start);

	return i < q->n && q->r[i].start == start ? (int)i : -1;
}

/* Forget the recent entries whose start lies in [lo, hi] (merged into or consumed with a range). */
static void reass_recent_drop(struct tcp_reass *q, uint32_t lo, uint32_t hi)
{
	uint32_t i, k = 0;

	for (i = 0; i < q->nrecent; i++)
		if (!(seq_geq(q->recent[i], lo) && seq_leq(q->recent[i], hi)))
			q->recent[k++] = q->recent[i];
	q->nrecent = k;
}

/* Put the range starting at start first in recent[] (RFC 2018 section 4: the latest segment's block first). */
static void reass_recent_push(struct tcp_reass *q, uint32_t start)
{
	uint32_t n = q->nrecent < TCP_SACK_BLOCKS_MAX ? q->nrecent : TCP_SACK_BLOCKS_MAX - 1;

	memmove(&q->recent[1], &q->recent[0], n * sizeof(q->recent[0]));
	q->recent[0] = start;
	q->nrecent = n + 1;
}

/*
 * RFC 9293 3.10.7.4 keeps segments that arrive out of order: [seq, seq + len)
 * joins every range it overlaps or touches (duplicates and overlaps cost
 * nothing), or becomes a new range if the limit allows. The refusal comes
 * before any change, so a refused segment leaves the queue as it was.
 */
int tcp_reass_add(struct tcp_reass *q, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len, i, j;

	if (len == 0)
		return 0;
	i = reass_first_reaching(q, seq);
	for (j = i; j < q->n && seq_leq(q->r[j].start, end); j++)
		;
	/* Ranges i .. j-1 overlap or touch the segment. */
	if (i == j) {
		if (q->n >= q->max)
			return -ENOBUFS;
		memmove(&q->r[i + 1], &q->r[i], (q->n - i) * sizeof(q->r[0]));
		q->r[i].start = seq;
		q->r[i].end = end;
		q->n++;
	} else {
		q->r[i].start = seq_min(seq, q->r[i].start);
		q->r[i].end = seq_max(end, q->r[j - 1].end);
		memmove(&q->r[i + 1], &q->r[j], (q->n - j) * sizeof(q->r[0]));
		q->n -= j - i - 1;
	}
	reass_recent_drop(q, q->r[i].start, q->r[i].end);
	reass_recent_push(q, q->r[i].start);
	return 0;
}

/* RFC 9293 3.10.7.4: in-order data reaching a held range makes that range's bytes deliverable too. */
uint32_t tcp_reass_advance(struct tcp_reass *q, uint32_t rcv_nxt)
{
	uint32_t i = 0;

	while (i < q->n && seq_leq(q->r[i].start, rcv_nxt)) {
		rcv_nxt = seq_max(rcv_nxt, q->r[i].end);
		i++;
	}
	if (i == 0)
		return rcv_nxt;
	reass_recent_drop(q, q->r[0].start, q->r[i - 1].end);
	memmove(&q->r[0], &q->r[i], (q->n - i) * sizeof(q->r[0]));
	q->n -= i;
	return rcv_nxt;
}

/*
 * RFC 2018 section 4: the first block holds the segment that triggered this
 * ACK, then the most recently reported blocks, none a repeat. Held ranges
 * that recent[] no longer names fill any room left, lowest first (they tell
 * the sender about the holes it must repair first).
 */
unsigned tcp_reass_sack_blocks(const struct tcp_reass *q, struct tcp_sack_block *out, unsigned max)
{
	unsigned n = 0, k;
	uint32_t i;

	for (i = 0; i < q->nrecent && n < max; i++) {
		int r = reass_find_start(q, q->recent[i]);

		if (r >= 0)
			out[n++] = q->r[r];
	}
	for (i = 0; i < q->n && n < max; i++) {
		for (k = 0; k < n && out[k].start != q->r[i].start; k++)
			;
		if (k == n)
			out[n++] = q->r[i];
	}
	return n;
}

uint32_t tcp_reass_bytes(const struct tcp_reass *q)
{
	uint32_t i, bytes = 0;

	for (i = 0; i < q->n; i++)
		bytes += q->r[i].end - q->r[i].start;
	return bytes;
}
