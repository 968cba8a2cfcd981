/* SPDX-License-Identifier: BSD-2-Clause */
/* capread.c - the reader's side of a capture region: header checks, per-ring cursors, the merge by timestamp. */
#include "capread.h"

#include <errno.h>
#include <string.h>

#include <mstack/ms_proto.h>

int capread_open(struct capread *cr, void *base, size_t size)
{
	const struct ms_cap_hdr *h = &cr->h;
	uint64_t rings_end;
	uint32_t r;

	memset(cr, 0, sizeof(*cr));
	if (size < sizeof(*h))
		return -EPROTO;
	memcpy(&cr->h, base, sizeof(cr->h));
	if (h->magic != MS_CAP_MAGIC)
		return -EPROTO;
	/* magic and the version never move (ms_capture.h): any other major is a layout we cannot read. */
	if (h->abi_major != MS_CAP_ABI_MAJOR)
		return -EPROTONOSUPPORT;
	if (h->region_size != size || !h->nslots || (h->nslots & (h->nslots - 1)) || h->nslots > MS_CAP_SLOTS_MAX ||
	    !h->nrings || h->nrings > MS_CAP_RINGS_MAX || !h->snaplen || h->snaplen > MS_CAP_SNAPLEN_MAX ||
	    h->slot_size < ms_cap_slot_size(h->snaplen) || h->slot_size % MS_CACHELINE)
		return -EPROTO;
	rings_end = h->rings_off + (uint64_t)h->nrings * sizeof(struct ms_cap_ring);
	if (h->rings_off < sizeof(*h) || h->rings_off % MS_CACHELINE || rings_end > h->slots_off ||
	    h->slots_off % MS_CACHELINE || h->ring_stride % MS_CACHELINE ||
	    h->ring_stride < (uint64_t)h->nslots * h->slot_size || h->ring_stride > size || h->slots_off > size ||
	    h->nrings * h->ring_stride > size - h->slots_off)
		return -EPROTO;
	cr->base = base;
	cr->size = size;
	for (r = 0; r < h->nrings; r++) {
		cr->r[r].ring = ms_cap_ring_at(base, h, r);
		cr->r[r].tail = cr->r[r].head = __atomic_load_n(&cr->r[r].ring->tail, __ATOMIC_RELAXED);
	}
	return 0;
}

long capread_refresh(struct capread *cr)
{
	long waiting = 0;
	uint32_t r;

	for (r = 0; r < cr->h.nrings; r++) {
		struct capread_ring *q = &cr->r[r];
		uint32_t head = __atomic_load_n(&q->ring->head, __ATOMIC_ACQUIRE);

		if (head - q->tail > cr->h.nslots)
			return -EPROTO;
		q->head = head;
		waiting += head - q->tail;
		if (head != q->tail) {
			const struct ms_cap_rec *last = ms_cap_slot(cr->base, &cr->h, r, head - 1);
			uint64_t ts = __atomic_load_n(&last->ts_ns, __ATOMIC_RELAXED);

			if (ts > cr->newest_ts)
				cr->newest_ts = ts;
		}
	}
	return waiting;
}

/*
 * A k-way merge of sorted runs, k the number of workers (a few): a linear
 * scan of the rings' first records costs less than keeping a heap.
 */
const struct ms_cap_rec *capread_next(const struct capread *cr, uint64_t cutoff_ns, uint32_t *ring)
{
	const struct ms_cap_rec *best = NULL;
	uint64_t best_ts = 0;
	uint32_t r;

	for (r = 0; r < cr->h.nrings; r++) {
		const struct capread_ring *q = &cr->r[r];
		const struct ms_cap_rec *rec;
		uint64_t ts;

		if (q->tail == q->head)
			continue;
		rec = ms_cap_slot(cr->base, &cr->h, r, q->tail);
		ts = __atomic_load_n(&rec->ts_ns, __ATOMIC_RELAXED);
		if (ts <= cutoff_ns && (!best || ts < best_ts)) {
			best = rec;
			best_ts = ts;
			*ring = r;
		}
	}
	return best;
}

void capread_consume(struct capread *cr, uint32_t ring)
{
	cr->r[ring].tail++;
}

void capread_release(struct capread *cr)
{
	uint32_t r;

	for (r = 0; r < cr->h.nrings; r++)
		__atomic_store_n(&cr->r[r].ring->tail, cr->r[r].tail, __ATOMIC_RELEASE);
}

bool capread_want_wakeup(struct capread *cr, bool on)
{
	uint32_t r;

	for (r = 0; r < cr->h.nrings; r++)
		__atomic_store_n(&cr->r[r].ring->flags, on ? MS_CAP_NEED_WAKEUP : 0, __ATOMIC_RELAXED);
	if (!on)
		return false;
	/* Pairs with the daemon's fence between publishing a head and reading the flag. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (r = 0; r < cr->h.nrings; r++)
		if (__atomic_load_n(&cr->r[r].ring->head, __ATOMIC_ACQUIRE) != cr->r[r].head)
			return true;
	return false;
}
