/* SPDX-License-Identifier: BSD-2-Clause */
/* check_capread.c - unit tests for mstackctl's capture region reader (apps/mstackctl/capread.c): checks and merge. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mstack/ms_proto.h>

#include "capread.h"
#include "check_main.h"

#define NSLOTS  64
#define SNAPLEN 64

/* A region laid out as mstackd lays one out (src/capture.c), nrings rings, all empty. */
static struct ms_cap_hdr hdr;
static void *region;

static void make_region(uint32_t nrings)
{
	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = MS_CAP_MAGIC;
	hdr.abi_major = MS_CAP_ABI_MAJOR;
	hdr.abi_minor = MS_CAP_ABI_MINOR;
	hdr.nrings = nrings;
	hdr.nslots = NSLOTS;
	hdr.snaplen = SNAPLEN;
	hdr.slot_size = ms_cap_slot_size(SNAPLEN);
	hdr.rings_off = MS_CAP_RINGS_OFF;
	hdr.ring_stride = (uint64_t)NSLOTS * hdr.slot_size;
	hdr.slots_off = (MS_CAP_RINGS_OFF + nrings * sizeof(struct ms_cap_ring) + 4095) & ~4095ull;
	hdr.region_size = hdr.slots_off + nrings * hdr.ring_stride;
	region = aligned_alloc(4096, hdr.region_size);
	ck_assert_ptr_nonnull(region);
	memset(region, 0, hdr.region_size);
	memcpy(region, &hdr, sizeof(hdr));
}

static void teardown(void)
{
	free(region);
	region = NULL;
}

/* What a worker does: fill the next slot of ring r with a record stamped ts (its frame's first byte: tag), publish. */
static void produce(uint32_t r, uint64_t ts, uint8_t tag)
{
	struct ms_cap_ring *ring = ms_cap_ring_at(region, &hdr, r);
	struct ms_cap_rec *rec = ms_cap_slot(region, &hdr, r, ring->head);

	rec->ts_ns = ts;
	rec->orig_len = rec->cap_len = 1;
	rec->point = MS_CAP_NIC;
	rec->dir = MS_CAP_RX;
	*(uint8_t *)(rec + 1) = tag;
	__atomic_store_n(&ring->head, ring->head + 1, __ATOMIC_RELEASE);
}

/* Take every record up to cutoff in merge order; their tags into out. Returns how many. */
static int drain(struct capread *cr, uint64_t cutoff, uint8_t *out, uint32_t *rings)
{
	const struct ms_cap_rec *rec;
	uint32_t ring;
	int n = 0;

	while ((rec = capread_next(cr, cutoff, &ring))) {
		out[n] = *(const uint8_t *)(rec + 1);
		if (rings)
			rings[n] = ring;
		capread_consume(cr, ring);
		n++;
	}
	return n;
}

START_TEST(test_merge_writes_records_of_all_rings_in_timestamp_order)
{
	struct capread cr;
	uint8_t tags[16];
	uint32_t rings[16];
	int i;

	make_region(3);
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), 0);
	/* Each worker's ring is in order; across rings the timestamps interleave. */
	produce(0, 100, 1);
	produce(0, 400, 4);
	produce(0, 700, 7);
	produce(1, 200, 2);
	produce(1, 500, 5);
	produce(1, 800, 8);
	produce(2, 300, 3);
	produce(2, 600, 6);
	ck_assert_int_eq(capread_refresh(&cr), 8);
	ck_assert_uint_eq(cr.newest_ts, 800);
	ck_assert_int_eq(drain(&cr, UINT64_MAX, tags, rings), 8);
	for (i = 0; i < 8; i++) {
		ck_assert_uint_eq(tags[i], i + 1);
		ck_assert_uint_eq(rings[i], (uint32_t)i % 3);
	}
}
END_TEST

START_TEST(test_equal_timestamps_keep_each_ring_in_order_lower_ring_first)
{
	struct capread cr;
	uint8_t tags[8];
	uint32_t rings[8];

	make_region(2);
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), 0);
	produce(1, 50, 3);
	produce(1, 50, 4);
	produce(0, 50, 1);
	produce(0, 50, 2);
	capread_refresh(&cr);
	ck_assert_int_eq(drain(&cr, UINT64_MAX, tags, rings), 4);
	ck_assert_mem_eq(tags, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
	ck_assert_mem_eq(rings, ((uint32_t[]){ 0, 0, 1, 1 }), 4 * sizeof(uint32_t));
}
END_TEST

/*
 * The hold: a record younger than the cutoff waits, so a record of another
 * ring published later but stamped earlier still goes before it.
 */
START_TEST(test_cutoff_holds_back_young_records_for_a_late_ring)
{
	struct capread cr;
	uint8_t tags[8];

	make_region(2);
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), 0);
	produce(0, 100, 1);
	produce(0, 300, 3);
	capread_refresh(&cr);
	ck_assert_int_eq(drain(&cr, 250, tags, NULL), 1);
	ck_assert_uint_eq(tags[0], 1);
	capread_release(&cr);
	ck_assert_uint_eq(ms_cap_ring_at(region, &hdr, 0)->tail, 1);
	/* Worker 1 publishes a record stamped before the held one. */
	produce(1, 200, 2);
	ck_assert_int_eq(capread_refresh(&cr), 2);
	ck_assert_int_eq(drain(&cr, UINT64_MAX, tags, NULL), 2);
	ck_assert_mem_eq(tags, ((uint8_t[]){ 2, 3 }), 2);
	/* Nothing is read past the heads loaded by the last refresh. */
	produce(1, 400, 4);
	ck_assert_ptr_null(capread_next(&cr, UINT64_MAX, &(uint32_t){ 0 }));
	capread_release(&cr);
	ck_assert_uint_eq(ms_cap_ring_at(region, &hdr, 0)->tail, 2);
	ck_assert_uint_eq(ms_cap_ring_at(region, &hdr, 1)->tail, 1);
}
END_TEST

START_TEST(test_a_ring_wraps_and_an_impossible_head_is_eproto)
{
	struct capread cr;
	uint8_t tags[NSLOTS];
	int i, round;

	make_region(1);
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NSLOTS; i++)
			produce(0, (uint64_t)round * NSLOTS + i, (uint8_t)i);
		ck_assert_int_eq(capread_refresh(&cr), NSLOTS);
		ck_assert_int_eq(drain(&cr, UINT64_MAX, tags, NULL), NSLOTS);
		ck_assert_uint_eq(tags[NSLOTS - 1], NSLOTS - 1);
		capread_release(&cr);
	}
	ms_cap_ring_at(region, &hdr, 0)->head += NSLOTS + 1;
	ck_assert_int_eq(capread_refresh(&cr), -EPROTO);
}
END_TEST

START_TEST(test_need_wakeup_on_every_ring_and_a_moved_head_means_do_not_sleep)
{
	struct capread cr;

	make_region(3);
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), 0);
	capread_refresh(&cr);
	ck_assert(!capread_want_wakeup(&cr, true));
	for (uint32_t r = 0; r < 3; r++)
		ck_assert_uint_eq(ms_cap_ring_at(region, &hdr, r)->flags, MS_CAP_NEED_WAKEUP);
	produce(2, 10, 1);
	ck_assert(capread_want_wakeup(&cr, true));
	capread_want_wakeup(&cr, false);
	for (uint32_t r = 0; r < 3; r++)
		ck_assert_uint_eq(ms_cap_ring_at(region, &hdr, r)->flags, 0);
}
END_TEST

/* A reader of this layout refuses another major with its own error, and bad geometry with -EPROTO. */
START_TEST(test_open_refuses_other_versions_and_geometry_outside_the_region)
{
	struct ms_cap_hdr *h;
	struct capread cr;

	make_region(2);
	h = region;
	h->abi_major = 1; /* the single-ring layout */
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTONOSUPPORT);
	ck_assert_uint_eq(cr.h.abi_major, 1);
	*h = hdr;
	h->magic = 0;
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size - 1), -EPROTO);
	h->nrings = 3; /* one ring more than the region holds */
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	h->nrings = 0;
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	h->ring_stride = hdr.ring_stride - MS_CACHELINE; /* rings overlap */
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	h->slots_off = MS_CAP_RINGS_OFF; /* slots over the rings' indices */
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	h->nslots = 48;
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	h->slots_off = UINT64_MAX - 4095;
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), -EPROTO);
	*h = hdr;
	ck_assert_int_eq(capread_open(&cr, region, hdr.region_size), 0);
}
END_TEST

static Suite *capread_suite(void)
{
	Suite *s = suite_create("capread");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_merge_writes_records_of_all_rings_in_timestamp_order);
	tcase_add_test(tc, test_equal_timestamps_keep_each_ring_in_order_lower_ring_first);
	tcase_add_test(tc, test_cutoff_holds_back_young_records_for_a_late_ring);
	tcase_add_test(tc, test_a_ring_wraps_and_an_impossible_head_is_eproto);
	tcase_add_test(tc, test_need_wakeup_on_every_ring_and_a_moved_head_means_do_not_sleep);
	tcase_add_test(tc, test_open_refuses_other_versions_and_geometry_outside_the_region);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(capread_suite)
