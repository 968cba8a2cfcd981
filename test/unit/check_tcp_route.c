/* SPDX-License-Identifier: BSD-2-Clause */
/* check_tcp_route.c - the next-hop cache: hits do not ask, expiry asks again, failures remembered, LRU out. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_route.h"
#include "check_main.h"

/* A resolver standing in for mstackd: counts its calls, answers a MAC made of the address, or fails. */
struct fake_resolver {
	unsigned calls;
	int fail; /* 0, or the error every call returns */
	int last_family;
	uint8_t last_addr[16];
};

static int fake_resolve(void *ctx, int family, const void *addr, uint8_t mac[6])
{
	struct fake_resolver *f = ctx;
	const uint8_t *a = addr;

	f->calls++;
	f->last_family = family;
	memcpy(f->last_addr, addr, family == AF_INET6 ? 16 : 4);
	if (f->fail)
		return f->fail;
	mac[0] = 0x02;
	mac[1] = (uint8_t)family;
	memcpy(mac + 2, family == AF_INET6 ? a + 12 : a, 4);
	return 0;
}

static struct tcp_route *route_new(struct fake_resolver *f)
{
	struct tcp_route *r = malloc(sizeof(*r));

	ck_assert_ptr_nonnull(r);
	tcp_route_init(r, NULL);
	r->resolve = fake_resolve;
	r->resolve_ctx = f;
	return r;
}

static void addr4(uint8_t a[16], unsigned n)
{
	memset(a, 0, 16);
	a[0] = 10;
	a[1] = (uint8_t)(n >> 16);
	a[2] = (uint8_t)(n >> 8);
	a[3] = (uint8_t)n;
}

START_TEST(test_a_cache_hit_does_not_call_the_resolver)
{
	struct fake_resolver f = { 0 };
	struct tcp_route *r = route_new(&f);
	uint8_t a[16], mac[6], want[6] = { 0x02, AF_INET, 10, 0, 0, 9 };

	addr4(a, 9);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1000, mac), 0);
	ck_assert_mem_eq(mac, want, 6);
	ck_assert_uint_eq(f.calls, 1);
	ck_assert_mem_eq(f.last_addr, a, 4);
	memset(mac, 0, 6);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1000 + TCP_ROUTE_TTL_MS - 1, mac), 0);
	ck_assert_mem_eq(mac, want, 6);
	ck_assert_uint_eq(f.calls, 1);
	ck_assert_uint_eq(r->lookups, 2);
	ck_assert_uint_eq(r->resolves, 1);
	free(r);
}
END_TEST

START_TEST(test_an_expired_entry_is_asked_again)
{
	struct fake_resolver f = { 0 };
	struct tcp_route *r = route_new(&f);
	uint8_t a[16], mac[6];

	addr4(a, 1);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 0, mac), 0);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, TCP_ROUTE_TTL_MS, mac), 0);
	ck_assert_uint_eq(f.calls, 2);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, TCP_ROUTE_TTL_MS + 1, mac), 0);
	ck_assert_uint_eq(f.calls, 2);
	free(r);
}
END_TEST

START_TEST(test_failures_are_remembered_for_the_negative_ttl)
{
	struct fake_resolver f = { .fail = -EHOSTUNREACH };
	struct tcp_route *r = route_new(&f);
	uint8_t a[16], mac[6];
	uint64_t t;

	addr4(a, 2);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 5000, mac), -EHOSTUNREACH);
	for (t = 5000; t < 5000 + TCP_ROUTE_NEG_TTL_MS; t += 10)
		ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, t, mac), -EHOSTUNREACH);
	ck_assert_uint_eq(f.calls, 1);
	ck_assert_uint_eq(r->failures, 1);
	f.fail = 0; /* the neighbour answers now: asked again once the failure expires */
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 5000 + TCP_ROUTE_NEG_TTL_MS, mac), 0);
	ck_assert_uint_eq(f.calls, 2);
	ck_assert_uint_eq(mac[5], 2);
	free(r);
}
END_TEST

START_TEST(test_the_least_recently_used_entry_is_evicted_when_full)
{
	struct fake_resolver f = { 0 };
	struct tcp_route *r = route_new(&f);
	uint8_t a[16], mac[6];
	unsigned i;

	for (i = 0; i < TCP_ROUTE_ENTRIES; i++) {
		addr4(a, i);
		ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 100 + i, mac), 0);
	}
	/* Touch entry 0, the oldest, so that entry 1 becomes the least recently used. */
	addr4(a, 0);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1000, mac), 0);
	ck_assert_uint_eq(f.calls, TCP_ROUTE_ENTRIES);
	addr4(a, TCP_ROUTE_ENTRIES);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1001, mac), 0);
	ck_assert_uint_eq(f.calls, TCP_ROUTE_ENTRIES + 1);
	/* 0 and 2 are still cached, 1 was evicted and is asked again. */
	addr4(a, 0);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1002, mac), 0);
	addr4(a, 2);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1002, mac), 0);
	ck_assert_uint_eq(f.calls, TCP_ROUTE_ENTRIES + 1);
	addr4(a, 1);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 1003, mac), 0);
	ck_assert_uint_eq(f.calls, TCP_ROUTE_ENTRIES + 2);
	free(r);
}
END_TEST

START_TEST(test_families_and_address_tails_are_kept_apart)
{
	struct fake_resolver f = { 0 };
	struct tcp_route *r = route_new(&f);
	uint8_t a4[16], a6[16] = { 10, 0, 0, 3 }, mac[6];

	addr4(a4, 3); /* the same first 4 bytes as a6 */
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a4, 0, mac), 0);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET6, a6, 0, mac), 0);
	ck_assert_uint_eq(f.calls, 2);
	ck_assert_int_eq(f.last_family, AF_INET6);
	ck_assert_uint_eq(mac[1], AF_INET6);
	/* For IPv4 only addr[0..3] count. */
	a4[10] = 0x55;
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a4, 1, mac), 0);
	ck_assert_uint_eq(f.calls, 2);
	ck_assert_uint_eq(mac[1], AF_INET);
	ck_assert_int_eq(tcp_route_lookup(r, AF_UNIX, a4, 1, mac), -EAFNOSUPPORT);
	ck_assert_uint_eq(f.calls, 2);
	free(r);
}
END_TEST

/* A passive connection's next hop is its SYN's source MAC: learnt, never asked, replacing a remembered failure. */
START_TEST(test_a_learnt_next_hop_is_used_without_asking)
{
	struct fake_resolver f = { .fail = -ETIMEDOUT };
	struct tcp_route *r = route_new(&f);
	uint8_t a[16], mac[6], peer[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

	addr4(a, 4);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 0, mac), -ETIMEDOUT);
	tcp_route_learn(r, AF_INET, a, peer, 10);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 20, mac), 0);
	ck_assert_mem_eq(mac, peer, 6);
	ck_assert_uint_eq(f.calls, 1);
	addr4(a, 5);
	tcp_route_learn(r, AF_INET, a, peer, 30);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 30 + TCP_ROUTE_TTL_MS - 1, mac), 0);
	ck_assert_uint_eq(f.calls, 1);
	free(r);
}
END_TEST

START_TEST(test_without_a_session_or_resolver_nothing_is_asked)
{
	struct tcp_route *r = malloc(sizeof(*r));
	uint8_t a[16], mac[6];

	ck_assert_ptr_nonnull(r);
	tcp_route_init(r, NULL);
	addr4(a, 1);
	ck_assert_int_eq(tcp_route_lookup(r, AF_INET, a, 0, mac), -ENOTCONN);
	free(r);
}
END_TEST

static Suite *tcp_route_suite(void)
{
	Suite *s = suite_create("tcp_route");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, test_a_cache_hit_does_not_call_the_resolver);
	tcase_add_test(tc, test_an_expired_entry_is_asked_again);
	tcase_add_test(tc, test_failures_are_remembered_for_the_negative_ttl);
	tcase_add_test(tc, test_the_least_recently_used_entry_is_evicted_when_full);
	tcase_add_test(tc, test_families_and_address_tails_are_kept_apart);
	tcase_add_test(tc, test_a_learnt_next_hop_is_used_without_asking);
	tcase_add_test(tc, test_without_a_session_or_resolver_nothing_is_asked);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tcp_route_suite)
