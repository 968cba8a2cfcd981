/* SPDX-License-Identifier: BSD-2-Clause */
/* check_btable.c - unit tests for the 3-tuple binding table on rte_hash (src/btable.c). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <mstack/ms_csum.h>

#include "btable.h"
#include "classify.h"
#include "check_main.h"

/*
 * The owners are never dereferenced by the table: the addresses of a static
 * array stand in for `struct app *`.
 */
static char owners_mem[64];
#define OWNER(i) ((struct app *)(void *)&owners_mem[(i)])
#define A        OWNER(1)
#define B        OWNER(2)
#define C        OWNER(3)

static struct btable bt;
static unsigned table_seq;

/* The RCU variable of one reader, as the daemon's worker: a test plays its part. */
static struct rte_rcu_qsbr *qsv;

#define READER 0

static void table_new(uint32_t capacity)
{
	char name[32];

	/* rte_hash names are global to the EAL: give each table its own. */
	snprintf(name, sizeof(name), "ckbt%u", table_seq++);
	ck_assert_int_eq(btable_init(&bt, name, capacity), 0);
	ck_assert_uint_eq(bt.count, 0);
	ck_assert_uint_eq(bt.capacity, capacity);
	qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	ck_assert_ptr_nonnull(qsv);
	ck_assert_int_eq(rte_rcu_qsbr_init(qsv, 1), 0);
	ck_assert_int_eq(btable_rcu_attach(&bt, qsv), 0);
}

static void bt_setup(void)
{
	memset(&bt, 0, sizeof(bt));
}

static void bt_teardown(void)
{
	btable_free(&bt);
	rte_free(qsv);
	qsv = NULL;
}

static struct ms_tuple key(uint8_t proto, uint8_t family, const char *addr, uint16_t port)
{
	struct ms_tuple t;

	memset(&t, 0, sizeof(t));
	t.proto = proto;
	t.family = family;
	t.port = port;
	if (addr)
		ck_assert_int_eq(inet_pton(family, addr, t.addr), 1);
	return t;
}

#define U4(addr, port) key(IPPROTO_UDP, AF_INET, (addr), (port))
#define T4(addr, port) key(IPPROTO_TCP, AF_INET, (addr), (port))
#define U6(addr, port) key(IPPROTO_UDP, AF_INET6, (addr), (port))
#define T6(addr, port) key(IPPROTO_TCP, AF_INET6, (addr), (port))

/* The datapath's view of one key: exact, else wildcard, else NULL. */
static struct app *burst1(struct ms_tuple k)
{
	struct app *o = OWNER(0);
	uint64_t wild;

	btable_lookup_burst(&bt, &k, 1, &o, &wild);
	return o;
}

/* ------------------------------------------------------------ lookups */

START_TEST(test_exact_key_is_found)
{
	struct ms_tuple k = U4("10.0.0.1", 53);

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	ck_assert_uint_eq(bt.count, 1);
	ck_assert_ptr_eq(btable_lookup(&bt, &k), A);
	ck_assert_ptr_eq(burst1(k), A);
}
END_TEST

START_TEST(test_wildcard_is_found_when_there_is_no_exact_key)
{
	struct ms_tuple w = U4(NULL, 53), k = U4("10.0.0.9", 53);

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &w, B), 0);
	ck_assert_ptr_eq(burst1(k), B);
	/* btable_lookup is exact only. */
	ck_assert_ptr_null(btable_lookup(&bt, &k));
	ck_assert_ptr_eq(btable_lookup(&bt, &w), B);
}
END_TEST

START_TEST(test_exact_key_is_preferred_over_the_wildcard)
{
	struct ms_tuple w = U4(NULL, 53), e = U4("10.0.0.1", 53);

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &w, B), 0);
	ck_assert_int_eq(btable_add(&bt, &e, A), 0);
	ck_assert_ptr_eq(burst1(U4("10.0.0.1", 53)), A);
	ck_assert_ptr_eq(burst1(U4("10.0.0.2", 53)), B);
	/* The same holds when the exact key went in first. */
	btable_free(&bt);
	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &e, A), 0);
	ck_assert_int_eq(btable_add(&bt, &w, B), 0);
	ck_assert_ptr_eq(burst1(U4("10.0.0.1", 53)), A);
	ck_assert_ptr_eq(burst1(U4("10.0.0.2", 53)), B);
}
END_TEST

START_TEST(test_miss_gives_null)
{
	struct ms_tuple e = U4("10.0.0.1", 53);

	table_new(64);
	ck_assert_ptr_null(btable_lookup(&bt, &e));
	ck_assert_ptr_null(burst1(e));
	ck_assert_int_eq(btable_add(&bt, &e, A), 0);
	ck_assert_ptr_null(btable_lookup(&bt, &(struct ms_tuple){ 0 }));
	ck_assert_ptr_null(burst1(U4("10.0.0.1", 54)));
	ck_assert_ptr_null(burst1(U4("10.0.0.2", 53)));
	ck_assert_ptr_null(burst1(U4(NULL, 53)));
}
END_TEST

START_TEST(test_family_and_protocol_are_part_of_the_key)
{
	struct ms_tuple u4w = U4(NULL, 53), t4w = T4(NULL, 53), u6w = U6(NULL, 53);
	struct ms_tuple e4 = U4("10.0.0.1", 7), e6, t4;

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &u4w, A), 0);
	ck_assert_int_eq(btable_add(&bt, &t4w, B), 0);
	ck_assert_int_eq(btable_add(&bt, &u6w, C), 0);
	ck_assert_ptr_eq(burst1(U4("10.0.0.1", 53)), A);
	ck_assert_ptr_eq(burst1(T4("10.0.0.1", 53)), B);
	ck_assert_ptr_eq(burst1(U6("2001:db8::1", 53)), C);
	ck_assert_ptr_null(burst1(T6("2001:db8::1", 53)));

	/* The same 20 bytes but the family: 10.0.0.1 and 0a00:0001:: are different keys. */
	e6 = e4;
	e6.family = AF_INET6;
	ck_assert_int_eq(btable_add(&bt, &e4, A), 0);
	ck_assert_ptr_null(btable_lookup(&bt, &e6));
	ck_assert_int_eq(btable_add(&bt, &e6, B), 0);
	ck_assert_ptr_eq(btable_lookup(&bt, &e4), A);
	ck_assert_ptr_eq(btable_lookup(&bt, &e6), B);

	/* And UDP 10.0.0.1:7 is not TCP 10.0.0.1:7. */
	t4 = e4;
	t4.proto = IPPROTO_TCP;
	ck_assert_ptr_null(btable_lookup(&bt, &t4));
	ck_assert_ptr_null(burst1(t4));
	ck_assert_int_eq(btable_add(&bt, &t4, C), 0);
	ck_assert_ptr_eq(burst1(t4), C);
	ck_assert_ptr_eq(burst1(e4), A);
	ck_assert_uint_eq(bt.count, 6);
}
END_TEST

/* ------------------------------------------------------------ updates */

START_TEST(test_adding_a_present_key_is_eaddrinuse_and_keeps_the_owner)
{
	struct ms_tuple k = T4("10.0.0.1", 80), w = T4(NULL, 80);

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	ck_assert_int_eq(btable_add(&bt, &k, B), -EADDRINUSE);
	ck_assert_int_eq(btable_add(&bt, &k, A), -EADDRINUSE);
	ck_assert_int_eq(btable_add(&bt, &w, B), 0);
	ck_assert_int_eq(btable_add(&bt, &w, C), -EADDRINUSE);
	ck_assert_uint_eq(bt.count, 2);
	ck_assert_ptr_eq(btable_lookup(&bt, &k), A);
	ck_assert_ptr_eq(btable_lookup(&bt, &w), B);
}
END_TEST

START_TEST(test_replacing_gives_a_present_key_to_its_new_owner_in_place)
{
	struct ms_tuple k = T4("10.0.0.1", 80), other = T4("10.0.0.1", 81);
	uint64_t gen, changes;

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	gen = btable_gen(&bt);
	changes = bt.changes;
	ck_assert_int_eq(btable_replace(&bt, &k, B), 0);
	ck_assert_ptr_eq(btable_lookup(&bt, &k), B);
	ck_assert_uint_eq(bt.count, 1);
	ck_assert_uint_gt(btable_gen(&bt), gen); /* a source check looks again */
	ck_assert_uint_eq(bt.changes, changes + 1);
	/* Only a present key: a replace never adds one. */
	ck_assert_int_eq(btable_replace(&bt, &other, B), -ENOENT);
	ck_assert_ptr_null(btable_lookup(&bt, &other));
	ck_assert_uint_eq(bt.changes, changes + 1);
	ck_assert_int_eq(btable_del(&bt, &k), 0);
	ck_assert_uint_eq(bt.changes, changes + 2);
}
END_TEST

START_TEST(test_adding_past_capacity_is_enospc)
{
	static const uint32_t caps[] = { 4, 8, 100 };
	uint32_t cap = caps[_i];

	table_new(cap);
	for (uint32_t i = 0; i < cap; i++) {
		struct ms_tuple k = U4("10.0.0.1", (uint16_t)(1000 + i));

		ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	}
	ck_assert_uint_eq(bt.count, cap);
	{
		struct ms_tuple k = U4("10.0.0.1", 999);

		ck_assert_int_eq(btable_add(&bt, &k, A), -ENOSPC);
		ck_assert_ptr_null(btable_lookup(&bt, &k));
		ck_assert_uint_eq(bt.count, cap);
		/* A present key is still reported as present, not as a full table. */
		k.port = 1000;
		ck_assert_int_eq(btable_add(&bt, &k, B), -EADDRINUSE);
	}
}
END_TEST

START_TEST(test_deleted_key_misses_and_can_be_added_again)
{
	struct ms_tuple k = U6("2001:db8::1", 443), w = U6(NULL, 443);

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	ck_assert_int_eq(btable_add(&bt, &w, B), 0);
	ck_assert_int_eq(btable_del(&bt, &k), 0);
	ck_assert_uint_eq(bt.count, 1);
	ck_assert_ptr_null(btable_lookup(&bt, &k));
	ck_assert_ptr_eq(burst1(k), B); /* falls back to the wildcard */
	ck_assert_int_eq(btable_del(&bt, &k), -ENOENT);
	ck_assert_int_eq(btable_add(&bt, &k, C), 0);
	ck_assert_ptr_eq(btable_lookup(&bt, &k), C);
	ck_assert_ptr_eq(burst1(k), C);

	ck_assert_int_eq(btable_del(&bt, &w), 0);
	ck_assert_ptr_null(burst1(U6("2001:db8::2", 443)));
	ck_assert_uint_eq(bt.count, 1);
}
END_TEST

/*
 * What a worker learned from lookups it may keep only while the generation
 * it read before them holds (txsrc.h): every add and delete moves it, and a
 * reader that sees the new value sees the change.
 */
START_TEST(test_every_add_and_delete_moves_the_generation)
{
	struct ms_tuple k = U4("10.0.0.1", 7000), w = U4(NULL, 7000);
	uint64_t g;

	table_new(64);
	g = btable_gen(&bt);
	ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	ck_assert_uint_gt(btable_gen(&bt), g);
	g = btable_gen(&bt);
	ck_assert_int_eq(btable_add(&bt, &w, B), 0);
	ck_assert_uint_gt(btable_gen(&bt), g);
	g = btable_gen(&bt);
	ck_assert_int_eq(btable_del(&bt, &k), 0);
	ck_assert_uint_gt(btable_gen(&bt), g);
	ck_assert_ptr_eq(burst1(k), B);
	g = btable_gen(&bt);
	btable_changed(&bt);
	ck_assert_uint_gt(btable_gen(&bt), g);
	/* Refused changes change nothing a reader could have kept. */
	g = btable_gen(&bt);
	ck_assert_int_eq(btable_add(&bt, &w, A), -EADDRINUSE);
	ck_assert_int_eq(btable_del(&bt, &k), -ENOENT);
	ck_assert_uint_eq(btable_gen(&bt), g);
}
END_TEST

/* Fill a table of 8 with A's keys, delete one: returns a new key that needs the freed slot. */
static struct ms_tuple full_table_less_one(void)
{
	struct ms_tuple k;

	for (uint16_t i = 0; i < 8; i++) {
		k = U4("10.0.0.1", (uint16_t)(1 + i));
		ck_assert_int_eq(btable_add(&bt, &k, A), 0);
	}
	k = U4("10.0.0.1", 3);
	ck_assert_int_eq(btable_del(&bt, &k), 0);
	return U4("10.0.0.2", 3);
}

/*
 * The two-phase rule for key slots: while a reader is online and has not
 * passed a quiescent state since a delete, the deleted key's slot is not
 * reused (the reader may still be comparing against it); once it has, it is.
 */
START_TEST(test_deleted_slot_is_reused_only_after_the_readers_grace_period)
{
	struct ms_tuple k;

	table_new(8);
	ck_assert_int_eq(rte_rcu_qsbr_thread_register(qsv, READER), 0);
	rte_rcu_qsbr_thread_online(qsv, READER);
	k = full_table_less_one();
	ck_assert_int_eq(btable_add(&bt, &k, B), -ENOSPC); /* the reader may still hold the slot */
	rte_rcu_qsbr_quiescent(qsv, READER);
	ck_assert_int_eq(btable_add(&bt, &k, B), 0);
	ck_assert_ptr_eq(btable_lookup(&bt, &k), B);
	rte_rcu_qsbr_thread_offline(qsv, READER);
	rte_rcu_qsbr_thread_unregister(qsv, READER);
}
END_TEST

START_TEST(test_full_table_accepts_again_after_delete)
{
	struct ms_tuple k;

	table_new(8);
	k = full_table_less_one();
	ck_assert_int_eq(btable_add(&bt, &k, B), 0);
	ck_assert_ptr_eq(btable_lookup(&bt, &k), B);
	k.port = 4;
	ck_assert_int_eq(btable_add(&bt, &k, B), -ENOSPC);
}
END_TEST

/* ------------------------------------------------------------ bursts */

/* A reference model of the table: a plain list searched linearly. */
struct model {
	struct ms_tuple k[256];
	struct app *a[256];
	unsigned n;
};

static struct app *model_lookup(const struct model *m, const struct ms_tuple *k)
{
	struct ms_tuple w = *k;

	for (unsigned i = 0; i < m->n; i++)
		if (memcmp(&m->k[i], k, sizeof(*k)) == 0)
			return m->a[i];
	memset(w.addr, 0, sizeof(w.addr));
	for (unsigned i = 0; i < m->n; i++)
		if (memcmp(&m->k[i], &w, sizeof(w)) == 0)
			return m->a[i];
	return NULL;
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* A random key from a small universe, so that bursts mix exact hits, wildcard hits and misses. */
static struct ms_tuple rand_key(void)
{
	struct ms_tuple k;

	memset(&k, 0, sizeof(k));
	k.proto = rng() & 1 ? IPPROTO_UDP : IPPROTO_TCP;
	k.family = rng() & 1 ? AF_INET : AF_INET6;
	k.port = (uint16_t)(5000 + rng() % 8);
	if (k.family == AF_INET) {
		k.addr[0] = 10;
		k.addr[3] = (uint8_t)(1 + rng() % 4);
	} else {
		k.addr[0] = 0x20;
		k.addr[1] = 0x01;
		k.addr[15] = (uint8_t)(1 + rng() % 4);
	}
	return k;
}

START_TEST(test_burst_of_mixed_keys_gives_each_its_owner)
{
	static struct model m;
	struct ms_tuple keys[64], orig[64];
	struct app *got[64];
	uint64_t wild;
	unsigned nexact = 0, nwild = 0, nmiss = 0;

	table_new(256);
	memset(&m, 0, sizeof(m));
	rng_state = 12345;
	/* Exact keys for some tuples, wildcards for some ports. */
	while (m.n < 40) {
		struct ms_tuple k = rand_key();

		if (rng() % 4 == 0)
			memset(k.addr, 0, sizeof(k.addr));
		if (btable_add(&bt, &k, OWNER(m.n % 60 + 1)) == 0) {
			m.k[m.n] = k;
			m.a[m.n] = OWNER(m.n % 60 + 1);
			m.n++;
		}
	}
	for (unsigned round = 0; round < 200; round++) {
		uint32_t n = round < 64 ? round + 1 : 1 + rng() % 64;

		for (uint32_t i = 0; i < n; i++) {
			keys[i] = orig[i] = rand_key();
			got[i] = OWNER(63); /* must be overwritten, NULL included */
		}
		btable_lookup_burst(&bt, keys, n, got, &wild);
		ck_assert_mem_eq(keys, orig, n * sizeof(keys[0]));
		for (uint32_t i = 0; i < n; i++) {
			struct app *want = model_lookup(&m, &orig[i]);
			bool is_wild = (wild >> i) & 1;

			ck_assert_msg(got[i] == want, "round %u key %u: owner %p, want %p", round, i, (void *)got[i],
				      (void *)want);
			if (!want) {
				ck_assert(!is_wild);
				nmiss++;
			} else if (btable_lookup(&bt, &orig[i]) == want) {
				ck_assert(!is_wild);
				nexact++;
			} else {
				ck_assert(is_wild);
				nwild++;
			}
		}
	}
	/* The random bursts did exercise all three outcomes. */
	ck_assert_uint_gt(nexact, 100);
	ck_assert_uint_gt(nwild, 100);
	ck_assert_uint_gt(nmiss, 100);
}
END_TEST

START_TEST(test_burst_of_zero_keys_touches_nothing)
{
	struct ms_tuple k = U4("10.0.0.1", 1);
	struct app *o = A;
	uint64_t wild = ~0ull;

	table_new(8);
	btable_lookup_burst(&bt, &k, 0, &o, &wild);
	ck_assert_ptr_eq(o, A);
	ck_assert_uint_eq(wild, 0);
}
END_TEST

/* The datapath checks a wildcard owner's address itself: the burst says which owners are wildcards. */
START_TEST(test_burst_marks_wildcard_owners_and_keeps_the_keys)
{
	struct ms_tuple exact = U4("10.0.0.1", 53), any = U4(NULL, 53);
	struct ms_tuple keys[5] = { U4("10.0.0.1", 53), U4("198.51.100.7", 53), U4(NULL, 53), U4("10.0.0.1", 54),
				    U6("2001:db8::7", 53) };
	struct ms_tuple orig[5];
	struct app *got[5];
	uint64_t wild;

	table_new(8);
	ck_assert_int_eq(btable_add(&bt, &exact, A), 0);
	ck_assert_int_eq(btable_add(&bt, &any, B), 0);
	memcpy(orig, keys, sizeof(keys));
	btable_lookup_burst(&bt, keys, 5, got, &wild);
	ck_assert_ptr_eq(got[0], A);
	ck_assert_ptr_eq(got[1], B);
	ck_assert_ptr_eq(got[2], B); /* the all-zero address is the wildcard key itself */
	ck_assert_ptr_null(got[3]);
	ck_assert_ptr_null(got[4]); /* the IPv4 wildcard does not cover IPv6 */
	ck_assert_uint_eq(wild, 0x6);
	ck_assert_mem_eq(keys, orig, sizeof(keys));
}
END_TEST

#define BIG 65536u

/* Key number i of the big test: distinct for every i below 2^18. */
static struct ms_tuple big_key(uint32_t i)
{
	struct ms_tuple k;

	memset(&k, 0, sizeof(k));
	k.proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;
	k.family = i & 2 ? AF_INET6 : AF_INET;
	k.port = (uint16_t)(i >> 2);
	if (k.family == AF_INET) {
		k.addr[0] = 10;
		k.addr[1] = (uint8_t)(i >> 16);
		k.addr[3] = 1;
	} else {
		k.addr[0] = 0x20;
		k.addr[1] = 0x01;
		k.addr[2] = (uint8_t)(i >> 16);
		k.addr[15] = 1;
	}
	return k;
}

START_TEST(test_full_capacity_of_65536_keys_is_found_then_deleted_and_reused)
{
	struct ms_tuple keys[64];
	struct app *got[64];
	uint64_t wild;
	uint32_t i, j;

	table_new(BIG);
	for (i = 0; i < BIG; i++) {
		struct ms_tuple k = big_key(i);
		int rc = btable_add(&bt, &k, OWNER(i % 64));

		if (rc != 0)
			ck_abort_msg("add of key %u of %u failed: %d", i, BIG, rc);
	}
	ck_assert_uint_eq(bt.count, BIG);
	{
		struct ms_tuple k = big_key(BIG);

		ck_assert_int_eq(btable_add(&bt, &k, A), -ENOSPC);
	}
	for (i = 0; i < BIG; i += 64) {
		for (j = 0; j < 64; j++)
			keys[j] = big_key(i + j);
		btable_lookup_burst(&bt, keys, 64, got, &wild);
		for (j = 0; j < 64; j++)
			if (got[j] != OWNER((i + j) % 64))
				ck_abort_msg("key %u: wrong owner", i + j);
	}
	for (i = 0; i < BIG; i++) {
		struct ms_tuple k = big_key(i);

		int rc = btable_del(&bt, &k);

		if (rc < 0)
			ck_abort_msg("delete of key %u failed: %d", i, rc);
	}
	ck_assert_uint_eq(bt.count, 0);
	for (i = 0; i < BIG; i += 64) {
		for (j = 0; j < 64; j++)
			keys[j] = big_key(i + j);
		btable_lookup_burst(&bt, keys, 64, got, &wild);
		for (j = 0; j < 64; j++)
			if (got[j] != NULL)
				ck_abort_msg("key %u found after delete", i + j);
	}
	/* Every slot came back: the table fills again. */
	for (i = 0; i < BIG; i++) {
		struct ms_tuple k = big_key(BIG + i);

		if (btable_add(&bt, &k, B) != 0)
			ck_abort_msg("re-add of key %u failed", i);
	}
	ck_assert_uint_eq(bt.count, BIG);
}
END_TEST

/* ------------------------------------------------------------ ICMP errors */

/*
 * An ICMP fragmentation-needed (RFC 1191) from 10.0.0.2 to the host
 * 10.0.0.1 quoting the UDP packet 10.0.0.1:qport -> 10.0.0.2:9000, laid
 * out by hand, with a correct ICMP checksum; the frame's length.
 */
static uint32_t frag_needed_quoting(uint8_t *f, uint16_t qport)
{
	static const uint8_t frame[14 + 20 + 8 + 20 + 8] = {
		2,    0, 0,    0,    0,    1,    2,    0,    0,  0,
		0,    2, 0x08, 0x00, /* Ethernet */
		0x45, 0, 0,    56,   0,    0,    0,    0,    64, IPPROTO_ICMP,
		0,    0, 10,   0,    0,    2,    10,   0,    0,  1, /* outer IPv4 */
		3,    4, 0,    0,    0,    0,    0x05, 0x00,        /* type 3 code 4, MTU 1280 */
		0x45, 0, 0x05, 0xdc, 0,    0,    0x40, 0,    1,  IPPROTO_UDP,
		0,    0, 10,   0,    0,    1,    10,   0,    0,  2, /* the quote */
		0,    0, 0x23, 0x28, 0x05, 0xc8, 0,    0,           /* UDP, 9000 */
	};
	uint16_t c;

	memcpy(f, frame, sizeof(frame));
	f[62] = (uint8_t)(qport >> 8);
	f[63] = (uint8_t)qport;
	c = (uint16_t)~ms_csum_fold(ms_csum_add(f + 34, 36, 0));
	memcpy(f + 36, &c, 2);
	return sizeof(frame);
}

/* The datapath's decision for an ICMP error: the owner of the quoted packet's source tuple, or NULL (kernel only). */
static struct app *icmp_owner(uint16_t qport)
{
	uint8_t f[128];
	struct cls_result r, q;
	struct ms_tuple t;

	ck_assert_int_eq(cls_parse(f, frag_needed_quoting(f, qport), false, &r), CLS_OK);
	ck_assert_int_eq(cls_icmp_quote(f, &r, &q), CLS_ICMP_QUOTE);
	cls_quote_tuple(&q, &t);
	return burst1(t);
}

START_TEST(test_icmp_error_goes_to_the_holder_of_the_quoted_source_tuple_or_nobody)
{
	struct ms_tuple exact = U4("10.0.0.1", 5000), wild = U4(NULL, 6000);

	table_new(64);
	ck_assert_int_eq(btable_add(&bt, &exact, A), 0);
	ck_assert_int_eq(btable_add(&bt, &wild, B), 0);
	ck_assert_ptr_eq(icmp_owner(5000), A);
	ck_assert_ptr_eq(icmp_owner(6000), B);
	/* A quote of a tuple nobody holds: no app, the kernel alone gets the error. */
	ck_assert_ptr_null(icmp_owner(5001));
	/* The quote's destination port (9000) is the peer's, not a key. */
	ck_assert_int_eq(
	    btable_add(&bt, &(struct ms_tuple){ .proto = IPPROTO_UDP, .family = AF_INET, .port = 9000 }, C), 0);
	ck_assert_ptr_null(icmp_owner(5001));
}
END_TEST

static Suite *btable_suite(void)
{
	Suite *s = suite_create("btable");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, bt_setup, bt_teardown);
	tcase_add_test(tc, test_exact_key_is_found);
	tcase_add_test(tc, test_wildcard_is_found_when_there_is_no_exact_key);
	tcase_add_test(tc, test_exact_key_is_preferred_over_the_wildcard);
	tcase_add_test(tc, test_miss_gives_null);
	tcase_add_test(tc, test_family_and_protocol_are_part_of_the_key);
	tcase_add_test(tc, test_icmp_error_goes_to_the_holder_of_the_quoted_source_tuple_or_nobody);
	suite_add_tcase(s, tc);

	tc = tcase_create("update");
	tcase_add_checked_fixture(tc, bt_setup, bt_teardown);
	tcase_add_test(tc, test_replacing_gives_a_present_key_to_its_new_owner_in_place);
	tcase_add_test(tc, test_adding_a_present_key_is_eaddrinuse_and_keeps_the_owner);
	tcase_add_loop_test(tc, test_adding_past_capacity_is_enospc, 0, 3);
	tcase_add_test(tc, test_deleted_key_misses_and_can_be_added_again);
	tcase_add_test(tc, test_every_add_and_delete_moves_the_generation);
	tcase_add_test(tc, test_full_table_accepts_again_after_delete);
	tcase_add_test(tc, test_deleted_slot_is_reused_only_after_the_readers_grace_period);
	suite_add_tcase(s, tc);

	tc = tcase_create("burst");
	tcase_add_checked_fixture(tc, bt_setup, bt_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_burst_of_mixed_keys_gives_each_its_owner);
	tcase_add_test(tc, test_burst_of_zero_keys_touches_nothing);
	tcase_add_test(tc, test_burst_marks_wildcard_owners_and_keeps_the_keys);
	tcase_add_test(tc, test_full_capacity_of_65536_keys_is_found_then_deleted_and_reused);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	/*
	 * --no-huge implies --legacy-mem in DPDK 22.11, which refuses
	 * --in-memory; --no-shconf gives the same "no shared files, no IPC"
	 * (so parallel runs do not collide), and our own --file-prefix keeps
	 * us apart from a running mstackd.
	 */
	char *eal_args[] = { "check_btable",
			     "--no-huge",
			     "-m",
			     "128",
			     "--no-pci",
			     "--no-shconf",
			     "--no-telemetry",
			     "--file-prefix",
			     "check_btable",
			     "--log-level=*:error",
			     "-l",
			     "0",
			     NULL };
	int eal_argc = (int)(sizeof(eal_args) / sizeof(eal_args[0])) - 1;
	SRunner *sr;
	int rc;

	if (rte_eal_init(eal_argc, eal_args) < 0) {
		fprintf(stderr, "check_btable: rte_eal_init failed\n");
		return EXIT_FAILURE;
	}
	sr = srunner_create(btable_suite());
	/*
	 * No fork: the EAL was initialised once, here, and cannot be
	 * initialised again in each forked child, and a forked child would
	 * inherit the EAL's memory and per-lcore state but not its threads (the
	 * interrupt thread), which DPDK does not support. So every test runs in
	 * this process, and each one frees its table in the fixture's teardown
	 * (rte_hash names are global, and the memory is only -m 128).
	 */
	srunner_set_fork_status(sr, CK_NOFORK);
	rc = check_run(sr);
	rte_eal_cleanup();
	return rc;
}
