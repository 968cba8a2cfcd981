/* SPDX-License-Identifier: BSD-2-Clause */
/* check_txval.c - unit tests for the validation of frames an application sends (src/txval.c). */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "classify.h"
#include "txval.h"
#include "check_main.h"

#include <mstack/ms_csum.h>

/*
 * The world of these tests:
 *   host addresses   10.0.0.1 10.0.0.2 10.0.0.3 2001:db8::1 2001:db8::2 2001:db8::3
 *   app A            udp 10.0.0.1:7000, tcp *:80 (IPv4 wildcard), udp [2001:db8::1]:5353
 *   app B            udp 10.0.0.2:9000, udp [::]:53 (IPv6 wildcard)
 * The binding table is a small array searched by the env's owner() callback,
 * which counts its calls; every change of it moves env.gen, as btable_add and
 * btable_del move the real table's generation.
 */

/* Fill in the IPv4 header checksum of the header at ip, hl bytes long. */
/* What the daemon publishes when a's bindings change: its address set, built anew. */
static void set_addrs(struct app *a)
{
	struct app_addrs *s = app_addrs_build(a);

	ck_assert_ptr_nonnull(s);
	free(a->addrs);
	a->addrs = s;
}

static void put_ip4_csum(uint8_t *ip, uint32_t hl)
{
	uint16_t c = 0;

	memcpy(ip + 10, &c, 2);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(ip, hl, 0));
	memcpy(ip + 10, &c, 2);
}

static const uint8_t nic_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t peer_mac[6] = { 0x02, 0x99, 0x88, 0x77, 0x66, 0x55 };

static struct {
	struct ms_tuple t;
	const struct app *a;
} tbl[16];
static unsigned ntbl;
static unsigned owner_calls;

static struct app *app_a, *app_b;
static struct app_addrs *local;
static struct txval_env env;

static const struct app *tbl_owner(const void *table, const struct ms_tuple *t)
{
	(void)table;
	owner_calls++;
	for (unsigned i = 0; i < ntbl; i++)
		if (memcmp(&tbl[i].t, t, sizeof(*t)) == 0)
			return tbl[i].a;
	return NULL;
}

static void addr_of(uint8_t family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	ck_assert_int_eq(inet_pton(family, s, out), 1);
}

/* Write exactly the 4 or 16 bytes of an address, as in a header. */
static void put_addr(uint8_t family, const char *s, uint8_t *p)
{
	ck_assert_int_eq(inet_pton(family, s, p), 1);
}

static struct ms_tuple tup(uint8_t proto, uint8_t family, const char *addr, uint16_t port)
{
	struct ms_tuple t;

	memset(&t, 0, sizeof(t));
	t.proto = proto;
	t.family = family;
	t.port = port;
	addr_of(family, addr, t.addr);
	return t;
}

/* Bind t to a as mstackd does: the app's own list (with a reservation fd), its address set, the table. */
static void bind_to(struct app *a, uint8_t proto, uint8_t family, const char *addr, uint16_t port)
{
	struct ms_tuple t = tup(proto, family, addr, port);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(app_binding_add(a, &t, fd, 64), 0);
	set_addrs(a);
	ck_assert_uint_lt(ntbl, sizeof(tbl) / sizeof(tbl[0]));
	tbl[ntbl].t = t;
	tbl[ntbl++].a = a;
	env.gen++;
}

/* Unbind t from a as mstackd does: the table first, then the generation, then a's own list and address set. */
static void unbind_from(struct app *a, uint8_t proto, uint8_t family, const char *addr, uint16_t port)
{
	struct ms_tuple t = tup(proto, family, addr, port);
	unsigned i;

	for (i = 0; i < ntbl && memcmp(&tbl[i].t, &t, sizeof(t)) != 0; i++)
		;
	ck_assert_uint_lt(i, ntbl);
	ck_assert_ptr_eq(tbl[i].a, a);
	tbl[i] = tbl[--ntbl];
	env.gen++;
	ck_assert(app_binding_remove(a, &t));
	set_addrs(a);
}

static struct app *new_app(uint32_t id)
{
	struct ms_hello h;
	struct app *a;

	memset(&h, 0, sizeof(h));
	h.abi_major = MS_ABI_MAJOR;
	h.nqueues = 2;
	h.ring_size = 64;
	a = app_create(id, &h, 64);
	ck_assert_ptr_nonnull(a);
	return a;
}

static void txval_setup(void)
{
	static const struct {
		uint8_t family;
		const char *s;
	} host[] = { { AF_INET, "10.0.0.1" },     { AF_INET, "10.0.0.2" },     { AF_INET, "10.0.0.3" },
		     { AF_INET6, "2001:db8::1" }, { AF_INET6, "2001:db8::2" }, { AF_INET6, "2001:db8::3" } };
	const unsigned nhost = sizeof(host) / sizeof(host[0]);

	ntbl = 0;
	app_a = new_app(1);
	app_b = new_app(2);
	bind_to(app_a, IPPROTO_UDP, AF_INET, "10.0.0.1", 7000);
	bind_to(app_a, IPPROTO_TCP, AF_INET, "0.0.0.0", 80);
	bind_to(app_a, IPPROTO_UDP, AF_INET6, "2001:db8::1", 5353);
	bind_to(app_b, IPPROTO_UDP, AF_INET, "10.0.0.2", 9000);
	bind_to(app_b, IPPROTO_UDP, AF_INET6, "::", 53);

	local = calloc(1, sizeof(*local) + nhost * sizeof(local->a[0]));
	ck_assert_ptr_nonnull(local);
	for (unsigned i = 0; i < nhost; i++) {
		local->a[i].family = host[i].family;
		addr_of(host[i].family, host[i].s, local->a[i].addr);
	}
	local->n = nhost;

	memset(&env, 0, sizeof(env));
	memcpy(env.nic_mac, nic_mac, 6);
	env.table = tbl;
	env.owner = tbl_owner;
	env.local = local;
	env.max_frame = 1514;
	env.now = 1000;
	env.frag_lifetime = 30;
}

static void txval_teardown(void)
{
	app_destroy(app_a);
	app_destroy(app_b);
	free(local);
	app_a = app_b = NULL;
	local = NULL;
}

/* ------------------------------------------------------------ frames */

enum l4kind { L4_UDP, L4_TCP, L4_ICMP4_ECHO, L4_ICMP6_NS, L4_ICMP6_ECHO, L4_OTHER };

struct fspec {
	uint8_t family; /* AF_INET or AF_INET6 */
	enum l4kind l4;
	const char *src;
	const char *dst; /* NULL: 192.0.2.200 or 2001:db8:ffff::200 */
	uint16_t sport;
	uint16_t pad;        /* zero bytes after the payload (UDP) */
	uint16_t frag;       /* IPv4 flags + fragment offset field, host order */
	uint16_t id;         /* IPv4 identification; 0: 0x1234 */
	bool bad_csum;       /* spoil the IPv4 header checksum */
	bool vlan;           /* one 802.1Q tag */
	const uint8_t *smac; /* NULL: the NIC's */
	const uint8_t *opts; /* IPv4 options, optlen bytes (a multiple of 4) */
	uint8_t optlen;
	/* IPv6 extension headers, in this order */
	bool hbh;          /* hop-by-hop options (PadN) */
	bool rthdr;        /* routing header, of type rh_type */
	uint8_t rh_type;   /* 0 (RFC 5095), 4 (segment routing)... */
	bool frag6;        /* fragment header */
	uint16_t frag6_fo; /* its offset (8-byte units) */
	bool frag6_m;      /* its M flag */
	uint32_t frag6_id; /* 0: 0x12345678 */
	/* L4_ICMP6_NS: neighbour discovery */
	uint8_t nd_type;        /* 133 RS, 135 NS (0), 136 NA */
	const char *target;     /* NS/NA target; NULL: 2001:db8::99 (NS), the source (NA) */
	const uint8_t *lla;     /* the link-layer address option's MAC; NULL: the NIC's */
	const uint8_t *nd_opts; /* options instead of the link-layer address option */
	uint8_t nd_optlen;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t eth(uint8_t *f, const uint8_t *smac, bool vlan, uint16_t ethertype)
{
	memcpy(f, peer_mac, 6);
	memcpy(f + 6, smac ? smac : nic_mac, 6);
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, 42);
		put16(f + 16, ethertype);
		return 18;
	}
	put16(f + 12, ethertype);
	return 14;
}

/* Neighbour discovery message of sp into l4; returns its length. */
static uint32_t build_nd(uint8_t *l4, const struct fspec *sp)
{
	uint8_t type = sp->nd_type ? sp->nd_type : 135;
	uint32_t len = type == 133 ? 8 : 24;

	memset(l4, 0, 24);
	l4[0] = type;
	if (type == 136)
		l4[4] = 0x20; /* override */
	if (type != 133)
		put_addr(AF_INET6, sp->target ? sp->target : type == 136 ? sp->src : "2001:db8::99", l4 + 8);
	if (sp->nd_opts) {
		memcpy(l4 + len, sp->nd_opts, sp->nd_optlen);
		return len + sp->nd_optlen;
	}
	l4[len] = type == 136 ? 2 : 1; /* target / source link-layer address */
	l4[len + 1] = 1;
	memcpy(l4 + len + 2, sp->lla ? sp->lla : nic_mac, 6);
	return len + 8;
}

/* IPv6 extension headers of sp at p, ending with next header `proto`; returns their length, sets *first. */
static uint32_t build_ext6(uint8_t *p, const struct fspec *sp, uint8_t proto, uint8_t *first)
{
	uint8_t *nh = first;
	uint32_t len = 0;

	if (sp->hbh) {
		*nh = IPPROTO_HOPOPTS;
		memset(p + len, 0, 8);
		p[len + 2] = 1; /* PadN of 4 */
		p[len + 3] = 4;
		nh = p + len;
		len += 8;
	}
	if (sp->rthdr) {
		*nh = IPPROTO_ROUTING;
		memset(p + len, 0, 8);
		p[len + 2] = sp->rh_type;
		nh = p + len;
		len += 8;
	}
	if (sp->frag6) {
		*nh = IPPROTO_FRAGMENT;
		memset(p + len, 0, 8);
		put16(p + len + 2, (uint16_t)(sp->frag6_fo << 3 | sp->frag6_m));
		put16(p + len + 4, (uint16_t)((sp->frag6_id ? sp->frag6_id : 0x12345678u) >> 16));
		put16(p + len + 6, (uint16_t)(sp->frag6_id ? sp->frag6_id : 0x12345678u));
		nh = p + len;
		len += 8;
	}
	*nh = proto;
	return len;
}

/* Build an IPv4/IPv6 frame from spec into f (room for 2048 bytes); returns its length. */
static uint32_t build(uint8_t *f, const struct fspec *sp)
{
	uint32_t off = eth(f, sp->smac, sp->vlan, sp->family == AF_INET ? 0x0800 : 0x86dd);
	uint8_t *ip = f + off, *l4, src[16], proto, ext[64], first;
	uint32_t l4len, extlen = 0, iphl = sp->family == AF_INET ? 20u + sp->optlen : 40;
	static const uint8_t payload[18] = "mstack test frame";

	switch (sp->l4) {
	case L4_UDP: proto = IPPROTO_UDP; break;
	case L4_TCP: proto = IPPROTO_TCP; break;
	case L4_ICMP4_ECHO: proto = IPPROTO_ICMP; break;
	case L4_ICMP6_NS:
	case L4_ICMP6_ECHO: proto = IPPROTO_ICMPV6; break;
	default: proto = 132; break; /* SCTP */
	}
	first = proto;
	if (sp->family == AF_INET6)
		extlen = build_ext6(ext, sp, proto, &first);
	l4 = ip + iphl + extlen;
	switch (sp->l4) {
	case L4_UDP:
		put16(l4, sp->sport);
		put16(l4 + 2, 4242);
		put16(l4 + 4, (uint16_t)(8 + sizeof(payload) + sp->pad));
		put16(l4 + 6, 0);
		memcpy(l4 + 8, payload, sizeof(payload));
		memset(l4 + 8 + sizeof(payload), 0, sp->pad);
		l4len = 8 + sizeof(payload) + sp->pad;
		break;
	case L4_TCP:
		memset(l4, 0, 20);
		put16(l4, sp->sport);
		put16(l4 + 2, 4242);
		l4[12] = 5 << 4;
		l4[13] = 0x02; /* SYN */
		put16(l4 + 14, 65535);
		l4len = 20;
		break;
	case L4_ICMP4_ECHO:
	case L4_ICMP6_ECHO:
		memset(l4, 0, 8);
		l4[0] = sp->l4 == L4_ICMP4_ECHO ? 8 : 128;
		put16(l4 + 4, 1);
		put16(l4 + 6, 1);
		memcpy(l4 + 8, payload, sizeof(payload));
		l4len = 8 + sizeof(payload);
		break;
	case L4_ICMP6_NS: l4len = build_nd(l4, sp); break;
	default:
		memset(l4, 0, 12);
		l4len = 12;
		break;
	}

	put_addr(sp->family, sp->src, src);
	if (sp->family == AF_INET) {
		memset(ip, 0, 20);
		ip[0] = (uint8_t)(0x40 | iphl / 4);
		put16(ip + 2, (uint16_t)(iphl + l4len));
		put16(ip + 4, sp->id ? sp->id : 0x1234);
		put16(ip + 6, sp->frag);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		put_addr(AF_INET, sp->dst ? sp->dst : "192.0.2.200", ip + 16);
		memcpy(ip + 20, sp->opts, sp->optlen);
		put_ip4_csum(ip, iphl);
		if (sp->bad_csum)
			ip[10] ^= 0x10;
	} else {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(extlen + l4len));
		ip[6] = first;
		ip[7] = sp->l4 == L4_ICMP6_NS ? 255 : 64;
		memcpy(ip + 8, src, 16);
		put_addr(AF_INET6, sp->dst ? sp->dst : "2001:db8:ffff::200", ip + 24);
		memcpy(ip + 40, ext, extlen);
	}
	return off + iphl + extlen + l4len;
}

/* An ARP request: sender (sha, spa), asking for 10.0.0.254. */
static uint32_t build_arp(uint8_t *f, const uint8_t *smac, const uint8_t *sha, const char *spa)
{
	uint32_t off = eth(f, smac, false, 0x0806);
	uint8_t *a = f + off;

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, sha, 6);
	put_addr(AF_INET, spa, a + 14);
	memset(a + 18, 0, 6);
	put_addr(AF_INET, "10.0.0.254", a + 24);
	return off + 28;
}

/* txval_check of a frame sent on queue q, on an exact-size heap copy, so that any read past the frame is caught by
 * ASan/valgrind. */
static enum txval_verdict check_len_on(struct app *a, uint32_t q, const uint8_t *f, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum txval_verdict v;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, f, len);
	v = txval_check(&env, a, &a->q[q].txfrag, &a->q[q].txsrc, copy, len);
	free(copy);
	return v;
}

static enum txval_verdict check_len(struct app *a, const uint8_t *f, uint32_t len)
{
	return check_len_on(a, 0, f, len);
}

static enum txval_verdict check_on(struct app *a, uint32_t q, const struct fspec *sp)
{
	uint8_t f[2048];

	return check_len_on(a, q, f, build(f, sp));
}

static enum txval_verdict check(struct app *a, const struct fspec *sp)
{
	return check_on(a, 0, sp);
}

#define UDP4(a_, p_) (&(struct fspec){ .family = AF_INET, .l4 = L4_UDP, .src = (a_), .sport = (p_) })
#define TCP4(a_, p_) (&(struct fspec){ .family = AF_INET, .l4 = L4_TCP, .src = (a_), .sport = (p_) })
#define UDP6(a_, p_) (&(struct fspec){ .family = AF_INET6, .l4 = L4_UDP, .src = (a_), .sport = (p_) })

/* ------------------------------------------------------------ the source 3-tuple */

/* One frame from `*app` with source (proto, family, src, sport), and the verdict it must get. */
static const struct tuple_case {
	const char *name;
	struct app **app;
	uint8_t family;
	enum l4kind l4;
	const char *src;
	uint16_t sport;
	enum txval_verdict verdict;
} tuple_cases[] = {
	{ "exact binding is OK (A, udp 10.0.0.1:7000)", &app_a, AF_INET, L4_UDP, "10.0.0.1", 7000, TXV_OK },
	{ "exact binding is OK (B, udp 10.0.0.2:9000)", &app_b, AF_INET, L4_UDP, "10.0.0.2", 9000, TXV_OK },
	{ "exact IPv6 binding is OK (A, udp [2001:db8::1]:5353)", &app_a, AF_INET6, L4_UDP, "2001:db8::1", 5353,
	  TXV_OK },
	{ "wildcard binding with a local source is OK (A, tcp 10.0.0.3:80)", &app_a, AF_INET, L4_TCP, "10.0.0.3", 80,
	  TXV_OK },
	{ "wildcard binding with a local source is OK (A, tcp 10.0.0.1:80)", &app_a, AF_INET, L4_TCP, "10.0.0.1", 80,
	  TXV_OK },
	{ "wildcard binding with a local source is OK (B, udp [2001:db8::3]:53)", &app_b, AF_INET6, L4_UDP,
	  "2001:db8::3", 53, TXV_OK },
	{ "wildcard binding with a non-local source is spoofed (A, tcp 192.0.2.9:80)", &app_a, AF_INET, L4_TCP,
	  "192.0.2.9", 80, TXV_SPOOFED },
	{ "wildcard binding with a non-local source is spoofed (B, udp [2001:db8:ffff::9]:53)", &app_b, AF_INET6,
	  L4_UDP, "2001:db8:ffff::9", 53, TXV_SPOOFED },
	/* 0.0.0.0 / :: is not a local address: the wildcard tuple's all-zero key must not match it exactly. */
	{ "unspecified source does not pass as the wildcard tuple (A, tcp 0.0.0.0:80)", &app_a, AF_INET, L4_TCP,
	  "0.0.0.0", 80, TXV_SPOOFED },
	{ "unspecified source does not pass as the wildcard tuple (B, udp [::]:53)", &app_b, AF_INET6, L4_UDP, "::", 53,
	  TXV_SPOOFED },
	{ "another app's tuple is spoofed (A, B's udp 10.0.0.2:9000)", &app_a, AF_INET, L4_UDP, "10.0.0.2", 9000,
	  TXV_SPOOFED },
	{ "another app's tuple is spoofed (B, A's udp 10.0.0.1:7000)", &app_b, AF_INET, L4_UDP, "10.0.0.1", 7000,
	  TXV_SPOOFED },
	{ "another app's tuple is spoofed (B, A's tcp *:80)", &app_b, AF_INET, L4_TCP, "10.0.0.3", 80, TXV_SPOOFED },
	{ "another app's tuple is spoofed (A, B's udp [::]:53)", &app_a, AF_INET6, L4_UDP, "2001:db8::3", 53,
	  TXV_SPOOFED },
	{ "wrong source port is spoofed (A, udp 10.0.0.1:7001)", &app_a, AF_INET, L4_UDP, "10.0.0.1", 7001,
	  TXV_SPOOFED },
	{ "wrong source port is spoofed (A, tcp 10.0.0.3:81)", &app_a, AF_INET, L4_TCP, "10.0.0.3", 81, TXV_SPOOFED },
	{ "wrong source port is spoofed (A, udp [2001:db8::1]:5354)", &app_a, AF_INET6, L4_UDP, "2001:db8::1", 5354,
	  TXV_SPOOFED },
	/* Local, but A holds udp 7000 on 10.0.0.1 only. */
	{ "wrong source address is spoofed (A, udp 10.0.0.3:7000)", &app_a, AF_INET, L4_UDP, "10.0.0.3", 7000,
	  TXV_SPOOFED },
	{ "wrong source address is spoofed (A, udp 192.0.2.1:7000)", &app_a, AF_INET, L4_UDP, "192.0.2.1", 7000,
	  TXV_SPOOFED },
	{ "wrong source address is spoofed (A, udp [2001:db8::2]:5353)", &app_a, AF_INET6, L4_UDP, "2001:db8::2", 5353,
	  TXV_SPOOFED },
	{ "UDP tuple used for TCP is spoofed (A, tcp 10.0.0.1:7000)", &app_a, AF_INET, L4_TCP, "10.0.0.1", 7000,
	  TXV_SPOOFED },
	{ "TCP tuple used for UDP is spoofed (A, udp 10.0.0.3:80)", &app_a, AF_INET, L4_UDP, "10.0.0.3", 80,
	  TXV_SPOOFED },
	{ "UDP tuple used for TCP is spoofed (A, tcp [2001:db8::1]:5353)", &app_a, AF_INET6, L4_TCP, "2001:db8::1",
	  5353, TXV_SPOOFED },
	/* 10.0.0.1 as the first 4 bytes of an IPv6 source: a different family, a different tuple. */
	{ "IPv4 address in an IPv6 frame does not match the IPv4 tuple (A, udp [a00:1::]:7000)", &app_a, AF_INET6,
	  L4_UDP, "a00:1::", 7000, TXV_SPOOFED },
};
#define N_TUPLE_CASES (int)(sizeof(tuple_cases) / sizeof(tuple_cases[0]))

START_TEST(test_source_tuple_gives_the_verdict)
{
	const struct tuple_case *c = &tuple_cases[_i];
	struct fspec sp = { .family = c->family, .l4 = c->l4, .src = c->src, .sport = c->sport };
	enum txval_verdict v = check(*c->app, &sp);

	ck_assert_msg(v == c->verdict, "%s: verdict %s, expected %s", c->name, txval_verdict_name(v),
		      txval_verdict_name(c->verdict));
}
END_TEST

START_TEST(test_wildcard_does_not_cover_a_tuple_another_app_holds_exactly)
{
	/* A holds tcp *:80; once B holds tcp 10.0.0.2:80 exactly, A may not send from it. */
	bind_to(app_b, IPPROTO_TCP, AF_INET, "10.0.0.2", 80);
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.2", 80)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_b, TCP4("10.0.0.2", 80)), TXV_OK);
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 80)), TXV_OK);
}
END_TEST

START_TEST(test_a_tuple_held_across_a_restart_is_nobodys_to_send_from)
{
	/* tcp 10.0.0.2:80 held for an app that outlived the previous mstackd: A's wildcard does not cover it. */
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.2", 80)), TXV_OK);
	ck_assert_uint_lt(ntbl, sizeof(tbl) / sizeof(tbl[0]));
	tbl[ntbl].t = tup(IPPROTO_TCP, AF_INET, "10.0.0.2", 80);
	tbl[ntbl++].a = &app_held;
	env.gen++;
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.2", 80)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_b, TCP4("10.0.0.2", 80)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 80)), TXV_OK);
}
END_TEST

START_TEST(test_vlan_tagged_frame_is_proto_denied_even_from_a_held_tuple)
{
	struct fspec tagged = { .family = AF_INET, .l4 = L4_UDP, .src = "10.0.0.1", .sport = 7000, .vlan = true };
	struct fspec untagged = tagged;

	untagged.vlan = false;
	ck_assert_int_eq(check(app_a, &untagged), TXV_OK);
	ck_assert_int_eq(check(app_a, &tagged), TXV_PROTO_DENIED);
}
END_TEST

START_TEST(test_verdict_follows_the_bindings_when_they_change)
{
	struct ms_tuple t = tup(IPPROTO_UDP, AF_INET, "10.0.0.1", 7000);

	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_OK);
	/* The table moves the tuple to B (as after A's unbind and B's bind). */
	tbl[0].a = app_b;
	env.gen++;
	ck_assert(app_binding_remove(app_a, &t));
	set_addrs(app_a);
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_b, UDP4("10.0.0.1", 7000)), TXV_OK);
}
END_TEST

/* ------------------------------------------------------------ the queue's last source (txsrc.h) */

START_TEST(test_last_source_is_not_looked_up_again_while_the_generation_holds)
{
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_OK);
	owner_calls = 0;
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_OK);
	ck_assert_uint_eq(owner_calls, 0);
	/* Another source on the same queue is looked up, and becomes the one kept. */
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 80)), TXV_OK);
	ck_assert_uint_gt(owner_calls, 0);
	owner_calls = 0;
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 80)), TXV_OK);
	ck_assert_uint_eq(owner_calls, 0);
	/* Same address, other port or protocol: not the kept tuple. */
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 81)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.3", 80)), TXV_SPOOFED);
	ck_assert_uint_gt(owner_calls, 0);
}
END_TEST

START_TEST(test_unbound_source_is_refused_at_the_next_frame)
{
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_OK);
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_OK);
	unbind_from(app_a, IPPROTO_UDP, AF_INET, "10.0.0.1", 7000);
	ck_assert_int_eq(check(app_a, UDP4("10.0.0.1", 7000)), TXV_SPOOFED);
	/* IPv6 alike. */
	ck_assert_int_eq(check(app_a, UDP6("2001:db8::1", 5353)), TXV_OK);
	unbind_from(app_a, IPPROTO_UDP, AF_INET6, "2001:db8::1", 5353);
	ck_assert_int_eq(check(app_a, UDP6("2001:db8::1", 5353)), TXV_SPOOFED);
}
END_TEST

START_TEST(test_source_moved_to_another_app_is_refused_to_the_first)
{
	/* A's wildcard covered 10.0.0.2:80 and the queue kept it; B then binds it exactly. */
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.2", 80)), TXV_OK);
	bind_to(app_b, IPPROTO_TCP, AF_INET, "10.0.0.2", 80);
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.2", 80)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_b, TCP4("10.0.0.2", 80)), TXV_OK);
}
END_TEST

START_TEST(test_wildcard_source_is_refused_once_the_host_drops_its_address)
{
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 80)), TXV_OK);
	/* The host's addresses are republished without 10.0.0.3: pub_host_addrs moves the generation. */
	local->a[2] = local->a[--local->n];
	env.gen++;
	ck_assert_int_eq(check(app_a, TCP4("10.0.0.3", 80)), TXV_SPOOFED);
}
END_TEST

START_TEST(test_each_queue_keeps_its_own_last_source)
{
	ck_assert_int_eq(check_on(app_a, 0, UDP4("10.0.0.1", 7000)), TXV_OK);
	owner_calls = 0;
	ck_assert_int_eq(check_on(app_a, 1, UDP4("10.0.0.1", 7000)), TXV_OK);
	ck_assert_uint_gt(owner_calls, 0);
	/* What app A's queues kept says nothing for B. */
	ck_assert_int_eq(check_on(app_b, 0, UDP4("10.0.0.1", 7000)), TXV_SPOOFED);
}
END_TEST

/* ------------------------------------------------------------ L2 and malformed */

START_TEST(test_foreign_source_mac_is_bad_src_mac)
{
	struct fspec sp = { .family = AF_INET, .l4 = L4_UDP, .src = "10.0.0.1", .sport = 7000, .smac = peer_mac };
	uint8_t mac[6];

	ck_assert_int_eq(check(app_a, &sp), TXV_BAD_SRC_MAC);
	for (int i = 0; i < 6; i++) {
		memcpy(mac, nic_mac, 6);
		mac[i] ^= 0x01;
		sp.smac = mac;
		ck_assert_int_eq(check(app_a, &sp), TXV_BAD_SRC_MAC);
	}
}
END_TEST

START_TEST(test_bad_ipv4_header_checksum_is_malformed)
{
	struct fspec sp = { .family = AF_INET, .l4 = L4_UDP, .src = "10.0.0.1", .sport = 7000, .bad_csum = true };

	ck_assert_int_eq(check(app_a, &sp), TXV_MALFORMED);
}
END_TEST

START_TEST(test_truncated_frames_are_malformed)
{
	uint8_t f[256];
	uint32_t len = build(f, UDP4("10.0.0.1", 7000));

	/* The IPv4 total length runs past the frame, or the header itself is cut. */
	ck_assert_int_eq(check_len(app_a, f, len - 1), TXV_MALFORMED);
	ck_assert_int_eq(check_len(app_a, f, 14 + 19), TXV_MALFORMED);
	ck_assert_int_eq(check_len(app_a, f, 14), TXV_MALFORMED);
	len = build(f, UDP6("2001:db8::1", 5353));
	ck_assert_int_eq(check_len(app_a, f, len - 1), TXV_MALFORMED);
	ck_assert_int_eq(check_len(app_a, f, 14 + 39), TXV_MALFORMED);
}
END_TEST

START_TEST(test_udp_header_cut_by_the_ip_length_is_malformed)
{
	uint8_t f[256];
	uint32_t len = build(f, UDP4("10.0.0.1", 7000));
	uint8_t *ip = f + 14;

	(void)len;
	/* Total length 20 + 4: the IP header is valid, the UDP header is not all there. */
	put16(ip + 2, 24);
	put_ip4_csum(ip, 20);
	ck_assert_int_eq(check_len(app_a, f, 14 + 24), TXV_MALFORMED);
}
END_TEST

START_TEST(test_runt_frames_are_malformed)
{
	uint8_t f[256];

	/* 13 bytes holding the NIC's own source MAC: a runt, not a foreign MAC. */
	build(f, UDP4("10.0.0.1", 7000));
	ck_assert_int_eq(check_len(app_a, f, 13), TXV_MALFORMED);
	ck_assert_int_eq(check_len(app_a, f, 5), TXV_MALFORMED);
	ck_assert_int_eq(check_len(app_a, f, 0), TXV_MALFORMED);
}
END_TEST

/* ------------------------------------------------------------ protocols */

START_TEST(test_icmpv4_echo_is_proto_denied)
{
	struct fspec sp = { .family = AF_INET, .l4 = L4_ICMP4_ECHO, .src = "10.0.0.1" };

	ck_assert_int_eq(check(app_a, &sp), TXV_PROTO_DENIED);
}
END_TEST

START_TEST(test_other_ip_protocols_are_proto_denied)
{
	struct fspec sctp = { .family = AF_INET, .l4 = L4_OTHER, .src = "10.0.0.1" };
	struct fspec echo6 = { .family = AF_INET6, .l4 = L4_ICMP6_ECHO, .src = "2001:db8::1" };

	ck_assert_int_eq(check(app_a, &sctp), TXV_PROTO_DENIED);
	ck_assert_int_eq(check(app_a, &echo6), TXV_PROTO_DENIED);
}
END_TEST

START_TEST(test_unknown_ethertype_is_proto_denied)
{
	uint8_t f[64];
	uint32_t len = eth(f, NULL, false, 0x88cc); /* LLDP */

	memset(f + len, 0, 46);
	ck_assert_int_eq(check_len(app_a, f, len + 46), TXV_PROTO_DENIED);
	len = eth(f, NULL, false, 0x9000);
	ck_assert_int_eq(check_len(app_a, f, len + 46), TXV_PROTO_DENIED);
}
END_TEST

/* ------------------------------------------------------------ ARP */

/* An ARP request from `*app`: Ethernet source smac (NULL: the NIC's), sender (sha, spa), and its verdict. */
static const struct arp_case {
	const char *name;
	struct app **app;
	const uint8_t *smac;
	const uint8_t *sha;
	const char *spa;
	enum txval_verdict verdict;
} arp_cases[] = {
	{ "ARP from a held address with the NIC's MAC is OK (A, 10.0.0.1)", &app_a, NULL, nic_mac, "10.0.0.1", TXV_OK },
	{ "ARP from a held address with the NIC's MAC is OK (B, 10.0.0.2)", &app_b, NULL, nic_mac, "10.0.0.2", TXV_OK },
	/* A's IPv4 wildcard lets it use every local IPv4 address, in ARP too. */
	{ "ARP from a local address under a wildcard is OK (A, 10.0.0.3)", &app_a, NULL, nic_mac, "10.0.0.3", TXV_OK },
	{ "ARP with a foreign sender MAC is spoofed", &app_a, NULL, peer_mac, "10.0.0.1", TXV_SPOOFED },
	{ "ARP from an address not held is spoofed (A, 192.0.2.9)", &app_a, NULL, nic_mac, "192.0.2.9", TXV_SPOOFED },
	/* B has no IPv4 wildcard: another local address is not its own. */
	{ "ARP from an address not held is spoofed (B, A's 10.0.0.1)", &app_b, NULL, nic_mac, "10.0.0.1", TXV_SPOOFED },
	{ "ARP from an address not held is spoofed (B, local 10.0.0.3)", &app_b, NULL, nic_mac, "10.0.0.3",
	  TXV_SPOOFED },
	{ "ARP with a foreign Ethernet source is bad_src_mac", &app_a, peer_mac, nic_mac, "10.0.0.1", TXV_BAD_SRC_MAC },
};
#define N_ARP_CASES (int)(sizeof(arp_cases) / sizeof(arp_cases[0]))

START_TEST(test_arp_sender_gives_the_verdict)
{
	const struct arp_case *c = &arp_cases[_i];
	uint8_t f[64];
	enum txval_verdict v = check_len(*c->app, f, build_arp(f, c->smac, c->sha, c->spa));

	ck_assert_msg(v == c->verdict, "%s: verdict %s, expected %s", c->name, txval_verdict_name(v),
		      txval_verdict_name(c->verdict));
}
END_TEST

START_TEST(test_truncated_or_non_ethernet_ipv4_arp_is_malformed)
{
	uint8_t f[64];
	uint32_t len = build_arp(f, NULL, nic_mac, "10.0.0.1");

	ck_assert_int_eq(check_len(app_a, f, len - 1), TXV_MALFORMED);
	ck_assert_int_eq(check_len(app_a, f, 14), TXV_MALFORMED);
	f[14 + 5] = 16; /* plen 16 */
	ck_assert_int_eq(check_len(app_a, f, len), TXV_MALFORMED);
}
END_TEST

/* ------------------------------------------------------------ IPv6 ND */

START_TEST(test_neighbour_solicitation_from_a_held_ipv6_address_is_ok)
{
	struct fspec sp = { .family = AF_INET6, .l4 = L4_ICMP6_NS, .src = "2001:db8::1" };

	ck_assert_int_eq(check(app_a, &sp), TXV_OK);
	/* B's IPv6 wildcard covers the host's IPv6 addresses. */
	sp.src = "2001:db8::3";
	ck_assert_int_eq(check(app_b, &sp), TXV_OK);
}
END_TEST

START_TEST(test_neighbour_solicitation_from_another_address_is_spoofed)
{
	struct fspec sp = { .family = AF_INET6, .l4 = L4_ICMP6_NS, .src = "2001:db8::3" };

	ck_assert_int_eq(check(app_a, &sp), TXV_SPOOFED); /* local, but A has no IPv6 wildcard */
	sp.src = "fe80::1";
	ck_assert_int_eq(check(app_a, &sp), TXV_SPOOFED);
	sp.src = "::";
	ck_assert_int_eq(check(app_a, &sp), TXV_SPOOFED);
	sp.src = "2001:db8:ffff::9";
	ck_assert_int_eq(check(app_b, &sp), TXV_SPOOFED);
}
END_TEST

START_TEST(test_icmpv6_other_than_neighbour_discovery_is_proto_denied)
{
	/*
	 * A host sends router solicitations and neighbour solicitations and
	 * advertisements; router advertisements (134), redirects (137), MLD
	 * and the rest belong to the kernel.
	 */
	static const uint8_t types[] = { 1, 128, 129, 130, 132, 134, 137, 138, 143, 255 };
	static const uint8_t host_nd[] = { 133, 135, 136 };
	struct fspec sp = { .family = AF_INET6, .l4 = L4_ICMP6_NS, .src = "2001:db8::1" };
	uint8_t f[256];
	uint32_t len = build(f, &sp);

	for (unsigned i = 0; i < sizeof(types); i++) {
		f[14 + 40] = types[i];
		ck_assert_msg(check_len(app_a, f, len) == TXV_PROTO_DENIED, "ICMPv6 type %u", types[i]);
	}
	for (unsigned i = 0; i < sizeof(host_nd); i++) {
		sp.nd_type = host_nd[i];
		ck_assert_msg(check(app_a, &sp) == TXV_OK, "ICMPv6 type %u", host_nd[i]);
	}
}
END_TEST

START_TEST(test_icmpv6_header_missing_is_malformed)
{
	uint8_t f[256];
	struct fspec sp = { .family = AF_INET6, .l4 = L4_ICMP6_NS, .src = "2001:db8::1" };

	build(f, &sp);
	put16(f + 14 + 4, 0); /* payload length 0: no ICMPv6 type byte */
	ck_assert_int_eq(check_len(app_a, f, 14 + 40), TXV_MALFORMED);
}
END_TEST

START_TEST(test_icmpv6_type_in_ethernet_padding_past_the_payload_is_malformed)
{
	uint8_t f[256];
	struct fspec sp = { .family = AF_INET6, .l4 = L4_ICMP6_NS, .src = "2001:db8::1" };
	uint32_t len = build(f, &sp);

	/* Payload length 0, but the frame goes on (padding) with what looks like an NS. */
	put16(f + 14 + 4, 0);
	ck_assert_uint_gt(len, 14 + 40);
	ck_assert_int_eq(f[14 + 40], 135);
	ck_assert_int_eq(check_len(app_a, f, len), TXV_MALFORMED);
}
END_TEST

/* ------------------------------------------------------------ ND options and targets */

#define ND(t_, src_) (&(struct fspec){ .family = AF_INET6, .l4 = L4_ICMP6_NS, .nd_type = (t_), .src = (src_) })

START_TEST(test_nd_with_the_nics_link_layer_address_is_ok)
{
	ck_assert_int_eq(check(app_a, ND(133, "2001:db8::1")), TXV_OK);
	ck_assert_int_eq(check(app_a, ND(135, "2001:db8::1")), TXV_OK);
	ck_assert_int_eq(check(app_a, ND(136, "2001:db8::1")), TXV_OK);
}
END_TEST

START_TEST(test_neighbour_solicitation_with_a_foreign_source_lladdr_is_spoofed)
{
	static const uint8_t evil[6] = { 0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
	struct fspec sp = *ND(135, "2001:db8::3");

	/* B's wildcard lets it solicit from any host address, but only as the NIC. */
	ck_assert_int_eq(check(app_b, &sp), TXV_OK);
	sp.lla = evil;
	ck_assert_int_eq(check(app_b, &sp), TXV_SPOOFED);
	sp.nd_type = 133;
	ck_assert_int_eq(check(app_b, &sp), TXV_SPOOFED);
}
END_TEST

START_TEST(test_neighbour_advertisement_with_a_foreign_target_lladdr_is_spoofed)
{
	struct fspec sp = *ND(136, "2001:db8::3");

	sp.lla = peer_mac;
	ck_assert_int_eq(check(app_b, &sp), TXV_SPOOFED);
}
END_TEST

START_TEST(test_neighbour_advertisement_for_an_address_not_held_is_spoofed)
{
	struct fspec sp = *ND(136, "2001:db8::1");

	/* A holds 2001:db8::1 exactly; 2001:db8::2 is the host's but not A's, 2001:db8::99 nobody's here. */
	sp.target = "2001:db8::2";
	ck_assert_int_eq(check(app_a, &sp), TXV_SPOOFED);
	sp.target = "2001:db8::99";
	ck_assert_int_eq(check(app_a, &sp), TXV_SPOOFED);
	ck_assert_int_eq(check(app_b, &sp), TXV_SPOOFED);
	/* B's wildcard covers every host address. */
	sp.src = "2001:db8::3";
	sp.target = "2001:db8::2";
	ck_assert_int_eq(check(app_b, &sp), TXV_OK);
	/* A solicitation's target is the address asked about: anyone's. */
	sp.nd_type = 135;
	sp.target = "2001:db8::99";
	ck_assert_int_eq(check(app_b, &sp), TXV_OK);
}
END_TEST

START_TEST(test_every_link_layer_address_option_is_checked)
{
	/* A nonce (type 14), the NIC's source address, then a foreign target address option. */
	static const uint8_t opts[24] = { 14,   1,    1,    2,    3, 4, 5,    6,    1,    1,    0x02, 0x00,
					  0x5e, 0x10, 0x20, 0x30, 2, 1, 0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
	struct fspec sp = *ND(135, "2001:db8::1");

	sp.nd_opts = opts;
	sp.nd_optlen = 16;
	ck_assert_int_eq(check(app_a, &sp), TXV_OK);
	sp.nd_optlen = 24;
	ck_assert_int_eq(check(app_a, &sp), TXV_SPOOFED);
	sp.nd_optlen = 0; /* no option at all */
	ck_assert_int_eq(check(app_a, &sp), TXV_OK);
}
END_TEST

START_TEST(test_malformed_nd_options_are_malformed)
{
	static const uint8_t zero_len[8] = { 1, 0, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	static const uint8_t too_long[8] = { 1, 2, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	static const uint8_t unknown_zero_len[8] = { 14, 0, 1, 2, 3, 4, 5, 6 };
	static const uint8_t lladdr_16[16] = { 1, 2, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	static const uint8_t one_byte[1] = { 1 };
	struct fspec sp = *ND(135, "2001:db8::1");

	sp.nd_opts = zero_len;
	sp.nd_optlen = sizeof(zero_len);
	ck_assert_int_eq(check(app_a, &sp), TXV_MALFORMED);
	sp.nd_opts = too_long; /* says 16 bytes, 8 are left */
	ck_assert_int_eq(check(app_a, &sp), TXV_MALFORMED);
	sp.nd_opts = unknown_zero_len;
	ck_assert_int_eq(check(app_a, &sp), TXV_MALFORMED);
	sp.nd_opts = lladdr_16; /* a link-layer address option must be 8 bytes on Ethernet */
	sp.nd_optlen = sizeof(lladdr_16);
	ck_assert_int_eq(check(app_a, &sp), TXV_MALFORMED);
	sp.nd_opts = one_byte;
	sp.nd_optlen = sizeof(one_byte);
	ck_assert_int_eq(check(app_a, &sp), TXV_MALFORMED);
}
END_TEST

START_TEST(test_nd_message_shorter_than_its_fixed_part_is_malformed)
{
	uint8_t f[256];
	uint32_t len = build(f, ND(136, "2001:db8::1"));

	/* An NA cut inside its target address. */
	put16(f + 14 + 4, 20);
	ck_assert_int_eq(check_len(app_a, f, len), TXV_MALFORMED);
	len = build(f, ND(133, "2001:db8::1"));
	put16(f + 14 + 4, 6);
	ck_assert_int_eq(check_len(app_a, f, len), TXV_MALFORMED);
}
END_TEST

/* ------------------------------------------------------------ fragments */

#define FRAG4(a_, p_, id_, frag_) \
	(&(struct fspec){ .family = AF_INET, .l4 = L4_UDP, .src = (a_), .sport = (p_), .id = (id_), .frag = (frag_) })
#define MF 0x2000

START_TEST(test_later_fragments_after_the_same_apps_first_fragment_are_ok)
{
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, MF)), TXV_OK);
	/* Offset 185 * 8: the "ports" in the payload are data and are not checked. */
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 1, 77, MF | 185)), TXV_OK);
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 1, 77, 370)), TXV_OK);
	/* Sent again (the sender's stack retransmits the datagram): still fine. */
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 1, 77, 370)), TXV_OK);
}
END_TEST

START_TEST(test_later_fragment_without_its_first_fragment_is_orphan)
{
	/* 10.0.0.1 is A's own address, and that is no longer enough. */
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, 185)), TXV_FRAG_ORPHAN);
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, MF | 185)), TXV_FRAG_ORPHAN);
	ck_assert_int_eq(check(app_b, FRAG4("10.0.0.1", 7000, 77, 185)), TXV_FRAG_ORPHAN);
}
END_TEST

START_TEST(test_later_fragment_of_another_apps_datagram_is_orphan)
{
	/* B sends a first fragment from 10.0.0.2:9000; A's IPv4 wildcard covers 10.0.0.2, but not B's datagram. */
	ck_assert_int_eq(check(app_b, FRAG4("10.0.0.2", 9000, 99, MF)), TXV_OK);
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.2", 9000, 99, 2)), TXV_FRAG_ORPHAN);
	ck_assert_int_eq(check(app_b, FRAG4("10.0.0.2", 9000, 99, 2)), TXV_OK);
}
END_TEST

START_TEST(test_later_fragment_on_another_queue_is_orphan)
{
	/* Each queue's table has one writer, the worker that owns the queue: the rest of a datagram
	 * leaves through the queue its first fragment took. */
	ck_assert_int_eq(check_on(app_a, 0, FRAG4("10.0.0.1", 7000, 78, MF)), TXV_OK);
	ck_assert_int_eq(check_on(app_a, 1, FRAG4("10.0.0.1", 7000, 78, 185)), TXV_FRAG_ORPHAN);
	ck_assert_int_eq(check_on(app_a, 0, FRAG4("10.0.0.1", 7000, 78, 185)), TXV_OK);
}
END_TEST

START_TEST(test_later_fragment_must_match_addresses_id_and_protocol)
{
	struct fspec later = { .family = AF_INET, .l4 = L4_UDP, .src = "10.0.0.1", .id = 77, .frag = 2 };
	struct fspec sp;

	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, MF)), TXV_OK);
	ck_assert_int_eq(check(app_a, &later), TXV_OK);
	sp = later;
	sp.id = 78;
	ck_assert_int_eq(check(app_a, &sp), TXV_FRAG_ORPHAN);
	sp = later;
	sp.dst = "192.0.2.201";
	ck_assert_int_eq(check(app_a, &sp), TXV_FRAG_ORPHAN);
	sp = later;
	sp.src = "10.0.0.3"; /* local, and A holds tcp *:80 */
	ck_assert_int_eq(check(app_a, &sp), TXV_FRAG_ORPHAN);
	sp = later;
	sp.l4 = L4_TCP;
	ck_assert_int_eq(check(app_a, &sp), TXV_FRAG_ORPHAN);
}
END_TEST

START_TEST(test_tcp_later_fragment_from_a_udp_only_app_is_orphan)
{
	struct fspec sp = { .family = AF_INET, .l4 = L4_TCP, .src = "10.0.0.2", .id = 5, .frag = 8 };

	/* B holds UDP only: it cannot have sent a TCP first fragment, so no TCP later fragment may follow. */
	ck_assert_int_eq(check(app_b, FRAG4("10.0.0.2", 9000, 5, MF)), TXV_OK);
	ck_assert_int_eq(check(app_b, &sp), TXV_FRAG_ORPHAN);
	sp.l4 = L4_OTHER;
	ck_assert_int_eq(check(app_b, &sp), TXV_FRAG_ORPHAN);
}
END_TEST

START_TEST(test_refused_first_fragment_lets_no_later_fragment_through)
{
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7001, 77, MF)), TXV_SPOOFED);
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, 2)), TXV_FRAG_ORPHAN);
}
END_TEST

START_TEST(test_later_fragment_after_its_first_fragment_expired_is_orphan)
{
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, MF)), TXV_OK);
	env.now += env.frag_lifetime - 1;
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, 2)), TXV_OK);
	env.now += 1;
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, 2)), TXV_FRAG_ORPHAN);
}
END_TEST

START_TEST(test_oldest_first_fragment_is_forgotten_when_the_table_is_full)
{
	uint16_t id;

	for (id = 1; id <= TXFRAG_SLOTS + 1; id++)
		ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, id, MF)), TXV_OK);
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 1, 2)), TXV_FRAG_ORPHAN);
	for (id = 2; id <= TXFRAG_SLOTS + 1; id++)
		ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, id, 2)), TXV_OK);
}
END_TEST

START_TEST(test_ipv6_later_fragment_follows_only_the_same_apps_first_fragment)
{
	struct fspec first = { .family = AF_INET6,
			       .l4 = L4_UDP,
			       .src = "2001:db8::1",
			       .sport = 5353,
			       .frag6 = true,
			       .frag6_m = true,
			       .frag6_id = 0xabcdef01 };
	struct fspec later = first;

	later.frag6_fo = 3;
	later.frag6_m = false;
	ck_assert_int_eq(check(app_a, &later), TXV_FRAG_ORPHAN);
	ck_assert_int_eq(check(app_a, &first), TXV_OK);
	ck_assert_int_eq(check(app_a, &later), TXV_OK);
	later.frag6_id = 0xabcdef02;
	ck_assert_int_eq(check(app_a, &later), TXV_FRAG_ORPHAN);
	/* 2001:db8::1 is local and B holds udp [::]:53, but the datagram is A's. */
	later.frag6_id = 0xabcdef01;
	ck_assert_int_eq(check(app_b, &later), TXV_FRAG_ORPHAN);
}
END_TEST

START_TEST(test_ipv4_first_fragment_is_checked_on_its_ports)
{
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7000, 77, MF)), TXV_OK);
	ck_assert_int_eq(check(app_a, FRAG4("10.0.0.1", 7001, 78, MF)), TXV_SPOOFED);
}
END_TEST

/* ------------------------------------------------------------ length and IP options */

START_TEST(test_frame_longer_than_the_mtu_and_ethernet_header_is_too_long)
{
	struct fspec sp = { .family = AF_INET, .l4 = L4_UDP, .src = "10.0.0.1", .sport = 7000 };
	uint8_t f[2048];

	sp.pad = (uint16_t)(1514 - build(f, &sp));
	ck_assert_uint_eq(build(f, &sp), 1514);
	ck_assert_int_eq(check(app_a, &sp), TXV_OK);
	sp.pad++;
	ck_assert_int_eq(check(app_a, &sp), TXV_TOO_LONG);
	sp.pad = 2000 - 14 - 20 - 8 - 18;
	ck_assert_int_eq(check(app_a, &sp), TXV_TOO_LONG);
	/* Before anything else: even a frame that is not the app's to send counts as too long. */
	ck_assert_int_eq(check(app_b, &sp), TXV_TOO_LONG);
}
END_TEST

static enum txval_verdict check_opts(const uint8_t *opts, uint8_t optlen)
{
	struct fspec sp = { .family = AF_INET, .l4 = L4_UDP, .src = "10.0.0.1", .sport = 7000 };

	sp.opts = opts;
	sp.optlen = optlen;
	return check(app_a, &sp);
}

/* An option list and the number of its bytes, for ip_opt_cases. */
#define OPTS(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* IPv4 options on a frame A may send: only NOP and end of list pass. */
static const struct ip_opt_case {
	const char *name;
	const uint8_t *opts;
	uint8_t optlen;
	enum txval_verdict verdict;
} ip_opt_cases[] = {
	{ "loose source route is refused", OPTS(1, 131, 7, 4, 192, 0, 2, 1), TXV_IP_OPTIONS },
	{ "strict source route is refused", OPTS(137, 7, 4, 192, 0, 2, 1, 0), TXV_IP_OPTIONS },
	{ "record route is refused", OPTS(7, 7, 4, 0, 0, 0, 0, 0), TXV_IP_OPTIONS },
	{ "timestamp is refused", OPTS(68, 8, 5, 0, 0, 0, 0, 0), TXV_IP_OPTIONS },
	{ "router alert is refused", OPTS(148, 4, 0, 0), TXV_IP_OPTIONS },
	{ "an option length of 0 is refused", OPTS(1, 1, 131, 0), TXV_IP_OPTIONS },
	{ "an option after end of list is refused", OPTS(1, 0, 0, 0, 131, 3, 4, 0), TXV_IP_OPTIONS },
	{ "NOPs are OK", OPTS(1, 1, 1, 1), TXV_OK },
	{ "NOP then end of list is OK", OPTS(1, 0, 0, 0, 0, 0, 0, 0), TXV_OK },
};
#define N_IP_OPT_CASES (int)(sizeof(ip_opt_cases) / sizeof(ip_opt_cases[0]))

START_TEST(test_ipv4_options_give_the_verdict)
{
	const struct ip_opt_case *c = &ip_opt_cases[_i];
	enum txval_verdict v = check_opts(c->opts, c->optlen);

	ck_assert_msg(v == c->verdict, "%s: verdict %s, expected %s", c->name, txval_verdict_name(v),
		      txval_verdict_name(c->verdict));
}
END_TEST

START_TEST(test_ipv6_routing_header_of_any_type_is_refused)
{
	struct fspec sp = { .family = AF_INET6, .l4 = L4_UDP, .src = "2001:db8::1", .sport = 5353, .rthdr = true };

	ck_assert_int_eq(check(app_a, &sp), TXV_IP_OPTIONS);
	sp.rh_type = 4; /* segment routing */
	ck_assert_int_eq(check(app_a, &sp), TXV_IP_OPTIONS);
	sp.hbh = true; /* behind a hop-by-hop header */
	ck_assert_int_eq(check(app_a, &sp), TXV_IP_OPTIONS);
	sp.frag6 = true; /* in front of a fragment header */
	sp.frag6_m = true;
	ck_assert_int_eq(check(app_a, &sp), TXV_IP_OPTIONS);
	sp.l4 = L4_ICMP6_NS;
	ck_assert_int_eq(check(app_a, &sp), TXV_IP_OPTIONS);
}
END_TEST

START_TEST(test_ipv6_hop_by_hop_header_is_ok)
{
	struct fspec sp = { .family = AF_INET6, .l4 = L4_UDP, .src = "2001:db8::1", .sport = 5353, .hbh = true };

	ck_assert_int_eq(check(app_a, &sp), TXV_OK);
}
END_TEST

static Suite *txval_suite(void)
{
	Suite *s = suite_create("txval");
	TCase *tc;

	tc = tcase_create("tuple");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_loop_test(tc, test_source_tuple_gives_the_verdict, 0, N_TUPLE_CASES);
	tcase_add_test(tc, test_wildcard_does_not_cover_a_tuple_another_app_holds_exactly);
	tcase_add_test(tc, test_a_tuple_held_across_a_restart_is_nobodys_to_send_from);
	tcase_add_test(tc, test_vlan_tagged_frame_is_proto_denied_even_from_a_held_tuple);
	tcase_add_test(tc, test_verdict_follows_the_bindings_when_they_change);
	suite_add_tcase(s, tc);

	tc = tcase_create("last source");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_test(tc, test_last_source_is_not_looked_up_again_while_the_generation_holds);
	tcase_add_test(tc, test_unbound_source_is_refused_at_the_next_frame);
	tcase_add_test(tc, test_source_moved_to_another_app_is_refused_to_the_first);
	tcase_add_test(tc, test_wildcard_source_is_refused_once_the_host_drops_its_address);
	tcase_add_test(tc, test_each_queue_keeps_its_own_last_source);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_test(tc, test_foreign_source_mac_is_bad_src_mac);
	tcase_add_test(tc, test_bad_ipv4_header_checksum_is_malformed);
	tcase_add_test(tc, test_truncated_frames_are_malformed);
	tcase_add_test(tc, test_udp_header_cut_by_the_ip_length_is_malformed);
	tcase_add_test(tc, test_runt_frames_are_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("protocols");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_test(tc, test_icmpv4_echo_is_proto_denied);
	tcase_add_test(tc, test_other_ip_protocols_are_proto_denied);
	tcase_add_test(tc, test_unknown_ethertype_is_proto_denied);
	tcase_add_loop_test(tc, test_arp_sender_gives_the_verdict, 0, N_ARP_CASES);
	tcase_add_test(tc, test_truncated_or_non_ethernet_ipv4_arp_is_malformed);
	tcase_add_test(tc, test_neighbour_solicitation_from_a_held_ipv6_address_is_ok);
	tcase_add_test(tc, test_neighbour_solicitation_from_another_address_is_spoofed);
	tcase_add_test(tc, test_icmpv6_other_than_neighbour_discovery_is_proto_denied);
	tcase_add_test(tc, test_icmpv6_header_missing_is_malformed);
	tcase_add_test(tc, test_icmpv6_type_in_ethernet_padding_past_the_payload_is_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("nd");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_test(tc, test_nd_with_the_nics_link_layer_address_is_ok);
	tcase_add_test(tc, test_neighbour_solicitation_with_a_foreign_source_lladdr_is_spoofed);
	tcase_add_test(tc, test_neighbour_advertisement_with_a_foreign_target_lladdr_is_spoofed);
	tcase_add_test(tc, test_neighbour_advertisement_for_an_address_not_held_is_spoofed);
	tcase_add_test(tc, test_every_link_layer_address_option_is_checked);
	tcase_add_test(tc, test_malformed_nd_options_are_malformed);
	tcase_add_test(tc, test_nd_message_shorter_than_its_fixed_part_is_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("fragments");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_test(tc, test_later_fragments_after_the_same_apps_first_fragment_are_ok);
	tcase_add_test(tc, test_later_fragment_without_its_first_fragment_is_orphan);
	tcase_add_test(tc, test_later_fragment_of_another_apps_datagram_is_orphan);
	tcase_add_test(tc, test_later_fragment_on_another_queue_is_orphan);
	tcase_add_test(tc, test_later_fragment_must_match_addresses_id_and_protocol);
	tcase_add_test(tc, test_tcp_later_fragment_from_a_udp_only_app_is_orphan);
	tcase_add_test(tc, test_refused_first_fragment_lets_no_later_fragment_through);
	tcase_add_test(tc, test_later_fragment_after_its_first_fragment_expired_is_orphan);
	tcase_add_test(tc, test_oldest_first_fragment_is_forgotten_when_the_table_is_full);
	tcase_add_test(tc, test_ipv6_later_fragment_follows_only_the_same_apps_first_fragment);
	tcase_add_test(tc, test_ipv4_first_fragment_is_checked_on_its_ports);
	suite_add_tcase(s, tc);

	tc = tcase_create("length_and_options");
	tcase_add_checked_fixture(tc, txval_setup, txval_teardown);
	tcase_add_test(tc, test_frame_longer_than_the_mtu_and_ethernet_header_is_too_long);
	tcase_add_loop_test(tc, test_ipv4_options_give_the_verdict, 0, N_IP_OPT_CASES);
	tcase_add_test(tc, test_ipv6_routing_header_of_any_type_is_refused);
	tcase_add_test(tc, test_ipv6_hop_by_hop_header_is_ok);
	suite_add_tcase(s, tc);

	return s;
}

CHECK_MAIN(txval_suite)
