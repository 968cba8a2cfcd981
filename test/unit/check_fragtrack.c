/* check_fragtrack.c - later fragments find the tuple their first fragment was for, and nothing else does. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fragtrack.h"
#include "check_main.h"

static struct fragtrack *ft;

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

START_TEST(test_later_fragment_finds_the_tuple_of_its_first)
{
	struct cls_result first = frag(AF_INET, "10.0.0.2", "10.0.0.1", 77, true);
	struct cls_result later = frag(AF_INET, "10.0.0.2", "10.0.0.1", 77, false);
	struct ms_tuple t = tuple(AF_INET, "10.0.0.1", 7000), got;

	ck_assert(!fragtrack_find(ft, &later, 10, &got));
	fragtrack_note(ft, &first, &t, 10);
	ck_assert(fragtrack_find(ft, &later, 50, &got));
	ck_assert_mem_eq(&got, &t, sizeof(t));
}
END_TEST

START_TEST(test_ipv6_fragments_are_tracked_too)
{
	struct cls_result first = frag(AF_INET6, "fd00::2", "fd00::1", 0x12345678, true);
	struct cls_result later = frag(AF_INET6, "fd00::2", "fd00::1", 0x12345678, false);
	struct ms_tuple t = tuple(AF_INET6, "fd00::1", 53), got;

	fragtrack_note(ft, &first, &t, 0);
	ck_assert(fragtrack_find(ft, &later, 1, &got));
	ck_assert_mem_eq(&got, &t, sizeof(t));
}
END_TEST

START_TEST(test_other_datagrams_do_not_match)
{
	struct cls_result first = frag(AF_INET, "10.0.0.2", "10.0.0.1", 77, true);
	struct cls_result other_id = frag(AF_INET, "10.0.0.2", "10.0.0.1", 78, false);
	struct cls_result other_src = frag(AF_INET, "10.0.0.3", "10.0.0.1", 77, false);
	struct cls_result other_dst = frag(AF_INET, "10.0.0.2", "10.0.0.9", 77, false);
	struct cls_result other_proto = frag(AF_INET, "10.0.0.2", "10.0.0.1", 77, false);
	struct ms_tuple t = tuple(AF_INET, "10.0.0.1", 7000), got;

	other_proto.proto = 6;
	fragtrack_note(ft, &first, &t, 0);
	ck_assert(!fragtrack_find(ft, &other_id, 1, &got));
	ck_assert(!fragtrack_find(ft, &other_src, 1, &got));
	ck_assert(!fragtrack_find(ft, &other_dst, 1, &got));
	ck_assert(!fragtrack_find(ft, &other_proto, 1, &got));
}
END_TEST

START_TEST(test_entries_expire_after_their_lifetime)
{
	struct cls_result first = frag(AF_INET, "10.0.0.2", "10.0.0.1", 5, true);
	struct cls_result later = frag(AF_INET, "10.0.0.2", "10.0.0.1", 5, false);
	struct ms_tuple t = tuple(AF_INET, "10.0.0.1", 7000), got;

	fragtrack_note(ft, &first, &t, 1000);
	ck_assert(fragtrack_find(ft, &later, 1099, &got));
	ck_assert(!fragtrack_find(ft, &later, 1100, &got));
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

		fragtrack_note(ft, &first, &t, 0);
	}
	for (id = 0; id < 512; id++) {
		struct cls_result later = frag(AF_INET, "10.0.0.2", "10.0.0.1", id, false);

		if (fragtrack_find(ft, &later, 1, &got)) {
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
	tcase_add_test(tc, test_later_fragment_finds_the_tuple_of_its_first);
	tcase_add_test(tc, test_ipv6_fragments_are_tracked_too);
	tcase_add_test(tc, test_other_datagrams_do_not_match);
	tcase_add_test(tc, test_entries_expire_after_their_lifetime);
	tcase_add_test(tc, test_many_interleaved_datagrams_each_find_their_own_tuple);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(fragtrack_suite)
