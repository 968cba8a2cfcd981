/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_txval.c - libFuzzer target: the transmit validator (txval_check) over arbitrary frames. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "classify.h"
#include "txval.h"
#include "fuzz.h"

/*
 * The world, as in test/unit/check_txval.c:
 *   host addresses   10.0.0.1 10.0.0.2 10.0.0.3 2001:db8::1 2001:db8::2 2001:db8::3
 *   app A            udp 10.0.0.1:7000, tcp *:80, udp [2001:db8::1]:5353, udp *:9000
 *   app B            udp 10.0.0.2:9000, udp [::]:53
 * Input: records of one control byte (bit 0: sent by B instead of A; the
 * rest: clock ticks before it), a 2-byte big-endian length, then the frame
 * (cut short at the end of the input). Records are checked in order, so
 * that a first fragment can let its later fragments through.
 */

#define FZ_MAX_RECORDS   16
#define FZ_FRAG_LIFETIME 30

static const uint8_t fz_nic_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

static struct {
	struct ms_tuple t;
	const struct app *a;
} fz_tbl[8];
static unsigned fz_ntbl;
static struct app *fz_app[2];
static struct app_addrs *fz_local;
static struct txval_env fz_env;

/* First fragments passed in this input (without their protocol: a superset of the validator's). */
static struct {
	const struct app *a;
	uint8_t family;
	uint32_t id;
	uint8_t src[16], dst[16];
} fz_firsts[FZ_MAX_RECORDS];
static unsigned fz_nfirsts;

static const struct app *fz_owner(const void *table, const struct ms_tuple *t)
{
	(void)table;
	for (unsigned i = 0; i < fz_ntbl; i++)
		if (memcmp(&fz_tbl[i].t, t, sizeof(*t)) == 0)
			return fz_tbl[i].a;
	return NULL;
}

static void fz_bind(struct app *a, uint8_t proto, uint8_t family, const char *addr, uint16_t port)
{
	struct ms_tuple t;
	struct app_addrs *addrs;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	memset(&t, 0, sizeof(t));
	t.proto = proto;
	t.family = family;
	t.port = port;
	FZ_ASSERT(inet_pton(family, addr, t.addr) == 1);
	FZ_ASSERT(fd >= 0 && app_binding_add(a, &t, fd, 64) == 0);
	addrs = app_addrs_build(a); /* what the daemon publishes when a's bindings change */
	FZ_ASSERT(addrs != NULL);
	free(a->addrs);
	a->addrs = addrs;
	fz_tbl[fz_ntbl].t = t;
	fz_tbl[fz_ntbl++].a = a;
}

static void fz_setup(void)
{
	static const struct {
		uint8_t family;
		const char *s;
	} host[] = { { AF_INET, "10.0.0.1" },     { AF_INET, "10.0.0.2" },     { AF_INET, "10.0.0.3" },
		     { AF_INET6, "2001:db8::1" }, { AF_INET6, "2001:db8::2" }, { AF_INET6, "2001:db8::3" } };
	const unsigned nhost = sizeof(host) / sizeof(host[0]);
	struct ms_hello h;

	memset(&h, 0, sizeof(h));
	h.abi_major = MS_ABI_MAJOR;
	h.nqueues = 1;
	h.ring_size = 64;
	for (unsigned i = 0; i < 2; i++) {
		fz_app[i] = app_create(i + 1, &h, 64);
		FZ_ASSERT(fz_app[i]);
	}
	fz_bind(fz_app[0], IPPROTO_UDP, AF_INET, "10.0.0.1", 7000);
	fz_bind(fz_app[0], IPPROTO_TCP, AF_INET, "0.0.0.0", 80);
	fz_bind(fz_app[0], IPPROTO_UDP, AF_INET6, "2001:db8::1", 5353);
	fz_bind(fz_app[0], IPPROTO_UDP, AF_INET, "0.0.0.0", 9000);
	fz_bind(fz_app[1], IPPROTO_UDP, AF_INET, "10.0.0.2", 9000);
	fz_bind(fz_app[1], IPPROTO_UDP, AF_INET6, "::", 53);

	fz_local = calloc(1, sizeof(*fz_local) + nhost * sizeof(fz_local->a[0]));
	FZ_ASSERT(fz_local);
	for (unsigned i = 0; i < nhost; i++) {
		fz_local->a[i].family = host[i].family;
		FZ_ASSERT(inet_pton(host[i].family, host[i].s, fz_local->a[i].addr) == 1);
	}
	fz_local->n = nhost;

	memcpy(fz_env.nic_mac, fz_nic_mac, 6);
	fz_env.table = fz_tbl;
	fz_env.owner = fz_owner;
	fz_env.local = fz_local;
	fz_env.max_frame = 1514;
	fz_env.frag_lifetime = FZ_FRAG_LIFETIME;
}

static bool fz_local_addr(uint8_t family, const uint8_t *addr)
{
	return app_addrs_allow(fz_local, family, addr, false);
}

/* May app a send from this source tuple? The binding rules, spelled out again. */
static bool fz_tuple_allowed(const struct app *a, const struct cls_result *r)
{
	uint8_t family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	struct ms_tuple t;
	static const uint8_t zero[16];
	const struct app *exact;

	memset(&t, 0, sizeof(t));
	t.proto = r->proto;
	t.family = family;
	t.port = r->src_port;
	memcpy(t.addr, r->src_addr, family == AF_INET ? 4 : 16);
	exact = memcmp(t.addr, zero, 16) ? fz_owner(NULL, &t) : NULL;
	if (exact)
		return exact == a;
	memset(t.addr, 0, sizeof(t.addr));
	return fz_owner(NULL, &t) == a && fz_local_addr(family, r->src_addr);
}

static bool fz_first_seen(const struct app *a, const struct cls_result *r)
{
	uint8_t family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;

	for (unsigned i = 0; i < fz_nfirsts; i++)
		if (fz_firsts[i].a == a && fz_firsts[i].family == family && fz_firsts[i].id == r->frag_id &&
		    !memcmp(fz_firsts[i].src, r->src_addr, 16) && !memcmp(fz_firsts[i].dst, r->dst_addr, 16))
			return true;
	return false;
}

/* What a frame that passed must be. */
static void fz_check_ok(const struct app *a, const uint8_t *f, uint32_t len)
{
	struct cls_result r;

	FZ_ASSERT(len >= MS_FRAME_MIN && len <= fz_env.max_frame);
	FZ_ASSERT(memcmp(f + 6, fz_nic_mac, 6) == 0);
	FZ_ASSERT(cls_parse(f, len, true, &r) == CLS_OK);
	FZ_ASSERT(!(r.flags & CLS_F_VLAN));
	if (r.l3 == CLS_L3_ARP) {
		uint8_t spa[16] = { 0 };

		FZ_ASSERT(len >= r.l3_off + 28u);
		FZ_ASSERT(memcmp(f + r.l3_off + 8, fz_nic_mac, 6) == 0);
		memcpy(spa, f + r.l3_off + 14, 4);
		FZ_ASSERT(app_addrs_allow(a->addrs, AF_INET, spa, fz_local_addr(AF_INET, spa)));
		return;
	}
	FZ_ASSERT(r.l3 == CLS_L3_IPV4 || r.l3 == CLS_L3_IPV6);
	if (r.l3 == CLS_L3_IPV4)
		for (uint32_t i = 20; i < r.ip_hdr_len; i++)
			FZ_ASSERT(f[r.l3_off + i] == 0 || f[r.l3_off + i] == 1);
	if ((r.flags & CLS_F_FRAG) && !(r.flags & CLS_F_FRAG_FIRST)) {
		FZ_ASSERT(fz_first_seen(a, &r));
		return;
	}
	if (r.flags & CLS_F_L4) {
		FZ_ASSERT(fz_tuple_allowed(a, &r));
		if ((r.flags & CLS_F_FRAG_FIRST) && fz_nfirsts < FZ_MAX_RECORDS) {
			fz_firsts[fz_nfirsts].a = a;
			fz_firsts[fz_nfirsts].family = r.l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
			fz_firsts[fz_nfirsts].id = r.frag_id;
			memcpy(fz_firsts[fz_nfirsts].src, r.src_addr, 16);
			memcpy(fz_firsts[fz_nfirsts++].dst, r.dst_addr, 16);
		}
		return;
	}
	/* Neighbour discovery from an address the app holds. */
	FZ_ASSERT(r.l3 == CLS_L3_IPV6 && r.proto == IPPROTO_ICMPV6 && !(r.flags & CLS_F_FRAG));
	FZ_ASSERT(r.ip_hdr_len < r.l3_len);
	{
		uint8_t type = f[r.l3_off + r.ip_hdr_len];

		FZ_ASSERT(type == 133 || type == 135 || type == 136);
	}
	FZ_ASSERT(app_addrs_allow(a->addrs, AF_INET6, r.src_addr, fz_local_addr(AF_INET6, r.src_addr)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	unsigned n;

	if (!ready) {
		fz_setup();
		ready = true;
	}
	memset(&fz_app[0]->q[0].txfrag, 0, sizeof(fz_app[0]->q[0].txfrag));
	memset(&fz_app[1]->q[0].txfrag, 0, sizeof(fz_app[1]->q[0].txfrag));
	fz_nfirsts = 0;
	fz_env.now = 1000;

	for (n = 0; n < FZ_MAX_RECORDS && size >= 3; n++) {
		struct app *a = fz_app[data[0] & 1];
		size_t len = (size_t)data[1] << 8 | data[2];
		enum txval_verdict v;
		uint8_t *f;

		fz_env.now += data[0] >> 1;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		/* An exact copy: ASan then catches a read of a single byte past the frame. */
		f = malloc(len ? len : 1);
		FZ_ASSERT(f);
		memcpy(f, data, len);
		data += len;
		size -= len;

		v = txval_check(&fz_env, a, &a->q[0].txfrag, &a->q[0].txsrc, f, (uint32_t)len);
		FZ_ASSERT(v < TXV_VERDICT_COUNT);
		FZ_ASSERT(strcmp(txval_verdict_name(v), "unknown") != 0);
		if (v == TXV_TOO_LONG)
			FZ_ASSERT(len > fz_env.max_frame);
		if (v == TXV_BAD_SRC_MAC)
			FZ_ASSERT(memcmp(f + 6, fz_nic_mac, 6) != 0);
		if (v == TXV_OK)
			fz_check_ok(a, f, (uint32_t)len);
		free(f);
	}
	return 0;
}
