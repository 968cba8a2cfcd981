/* SPDX-License-Identifier: BSD-2-Clause */
/* check_fragtrack.c - later fragments find the tuple their first fragment was for, and nothing else does. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fragtrack.h"
#include "check_main.h"

static struct fragtrack *ft;
static uint32_t got_flow;

#define FLOW 0x5eed1234u /* the flow hash noted with a first fragment */

static void setup(void)
{
	ft = malloc(sizeof(*ft));
	ck_assert_ptr_nonnull(ft);
	fragtrack_init(ft, 100);
}

static void teardown(void)
{
	free(ft);
}

/* A classified fragment from src to dst with IP id `id`. */
static struct cls_result frag(int family, const char *src, const char *dst, uint32_t id, bool first)
{
	struct cls_result r;

	memset(&r, 0, sizeof(r));
	r.l3 = family == AF_INET ? CLS_L3_IPV4 : CLS_L3_IPV6;
	r.proto = 17;
	r.frag_id = id;
	r.flags = CLS_F_FRAG | (first ? CLS_F_FRAG_FIRST | CLS_F_L4 : 0);
	ck_assert_int_eq(inet_pton(family, src, r.src_addr), 1);
	ck_assert_int_eq(inet_pton(family, dst, r.dst_addr), 1);
	return r;
}

static struct ms_tuple tuple(int family, const char *addr, uint16_t port)
{
	struct ms_tuple t;

	memset(&t, 0, sizeof(t));
	t.proto = 17;
	t.family = (uint8_t)family;
	t.port = port;
	ck_assert_int_eq(inet_pton(family, addr, t.addr), 1);
	return t;
}

/* A datagram's first fragment noted at note_at, for the tuple (addr, port); its later fragment looked up at find_at. */
static const struct found_case {
	const char *name;
	int family;
	const char *src, *dst;
	uint32_t id;
	const char *addr;
	uint16_t port;
	uint64_t note_at, find_at;
} found_cases[] = {
	{ "IPv4 later fragment finds the tuple of its first", AF_INET, "10.0.0.2", "10.0.0.1", 77, "10.0.0.1", 7000, 10,
	  50 },
	{ "IPv6 later fragment finds the tuple of its first", AF_INET6, "fd00::2", "fd00::1", 0x12345678, "fd00::1", 53,
	  0, 1 },
};
#define N_FOUND_CASES (int)(sizeof(found_cases) / sizeof(found_cases[0]))

START_TEST(test_later_fragment_finds_the_tuple_of_its_first)
{
	const struct found_case *c = &found_cases[_i];
	struct cls_result first = frag(c->family, c->src, c->dst, c->id, true);
	struct cls_result later = frag(c->family, c->src, c->dst, c->id, false);
	struct ms_tuple t = tuple(c->family, c->addr, c->port), got;

	ck_assert_msg(!fragtrack_find(ft, &later, c->note_at, &got, &got_flow), "%s: found before its first was noted",
		      c->name);
	fragtrack_note(ft, &first, &t, FLOW, c->note_at);
	ck_assert_msg(fragtrack_find(ft, &later, c->find_at, &got, &got_flow), "%s: not found", c->name);
	ck_assert_msg(memcmp(&got, &t, sizeof(t)) == 0, "%s: found another tuple", c->name);
	ck_assert_msg(got_flow == FLOW, "%s: found another flow hash", c->name);
}
END_TEST

/* The first fragment is 10.0.0.2 -> 10.0.0.1, id 77, UDP: a later fragment differing in one of these is another
 * datagram's. */
static const struct other_case {
	const char *name;
	const char *src, *dst;
	uint32_t id;
	uint8_t proto;
} other_cases[] = {
	{ "another IP id does not match", "10.0.0.2", "10.0.0.1", 78, 17 },
	{ "another source does not match", "10.0.0.3", "10.0.0.1", 77, 17 },
	{ "another destination does not match", "10.0.0.2", "10.0.0.9", 77, 17 },
	{ "another protocol does not match", "10.0.0.2", "10.0.0.1", 77, 6 },
};
#define N_OTHER_CASES (int)(sizeof(other_cases) / sizeof(other_cases[0]))

START_TEST(test_other_datagrams_do_not_match)
{
	const struct other_case *c = &other_cases[_i];
	struct cls_result first = frag(AF_INET, "10.0.0.2", "10.0.0.1", 77, true);
	struct cls_result later = frag(AF_INET, c->src, c->dst, c->id, false);
	struct ms_tuple t = tuple(AF_INET, "10.0.0.1", 7000), got;

	later.proto = c->proto;
	fragtrack_note(ft, &first, &t, FLOW, 0);
	ck_assert_msg(!fragtrack_find(ft, &later, 1, &got, &got_flow), "%s: it did", c->name);
}
END_TEST

START_TEST(test_entries_expire_after_their_lifetime)
{
	struct cls_result first = frag(AF_INET, "10.0.0.2", "10.0.0.1", 5, true);
	struct cls_result later = frag(AF_INET, "10.0.0.2", "10.0.0.1", 5, false);
	struct ms_tuple t = tuple(AF_INET, "10.0.0.1", 7000), got;

	fragtrack_note(ft, &first, &t, FLOW, 1000);
	ck_assert(fragtrack_find(ft, &later, 1099, &got, &got_flow));
	ck_assert(!fragtrack_find(ft, &later, 1100, &got, &got_flow));
}
END_TEST

START_TEST(test_many_interleaved_datagrams_each_find_their_own_tuple)
{
	struct ms_tuple got;
	uint32_t id, found = 0;

	/* Fewer datagrams than slots: most survive collisions; none is ever given a wrong tuple. */
	for (id = 0; id < 512; id++) {
		struct cls_result first = frag(AF_INET, "10.0.0.2", "10.0.0.1", id, true);
		struct ms_tuple t = tuple(AF_INET, "10.0.0.1", (uint16_t)(1000 + id));

		fragtrack_note(ft, &first, &t, FLOW, 0);
	}
	for (id = 0; id < 512; id++) {
		struct cls_result later = frag(AF_INET, "10.0.0.2", "10.0.0.1", id, false);

		if (fragtrack_find(ft, &later, 1, &got, &got_flow)) {
			ck_assert_uint_eq(got.port, 1000 + id);
			found++;
		}
	}
	ck_assert_uint_ge(found, 400);
}
END_TEST

static Suite *fragtrack_suite(void)
{
	Suite *s = suite_create("fragtrack");
	TCase *tc = tcase_create("fragtrack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_later_fragment_finds_the_tuple_of_its_first, 0, N_FOUND_CASES);
	tcase_add_loop_test(tc, test_other_datagrams_do_not_match, 0, N_OTHER_CASES);
	tcase_add_test(tc, test_entries_expire_after_their_lifetime);
	tcase_add_test(tc, test_many_interleaved_datagrams_each_find_their_own_tuple);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(fragtrack_suite)
