/* SPDX-License-Identifier: BSD-2-Clause */
/* misbehave.c - the disconnect policy: how much an application's rings may misbehave before it is cut off. */
#include "misbehave.h"

uint64_t misbehave_count(const struct app_stats *s)
{
	uint64_t sum = s->rx_bad_index + s->tx_bad_index + s->tx_invalid_desc;
	int v;

	for (v = TXV_OK + 1; v < TXV_VERDICT_COUNT; v++)
		sum += s->tx_refused[v];
	return sum;
}

bool misbehave_over(struct misbehave *m, uint64_t count, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	uint64_t fresh = count - m->charged;

	m->charged = count;
	if (rate == 0)
		return false;
	/*
	 * One token per refusal; the loop ends at the first refusal the bucket
	 * cannot pay, so it runs burst + 1 times at most whatever the count.
	 */
	while (fresh--)
		if (!neigh_budget_take(&m->bucket, burst, rate, now_ms))
			return true;
	return false;
}
