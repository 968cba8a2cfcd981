/* SPDX-License-Identifier: BSD-2-Clause */
/* txval.c - validation of frames an application sends: length, source MAC, source 3-tuple, IP options,
 * fragments, ARP and ND. */
#include "txval.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "classify.h"

#define TXV_ARP_LEN 28
/* What a host may say in neighbour discovery: never router advertisements or redirects. */
#define TXV_ICMP6_ROUTER_SOLICIT 133
#define TXV_ICMP6_NEIGH_SOLICIT  135
#define TXV_ICMP6_NEIGH_ADVERT   136
/* ND option types that carry a link-layer address (RFC 4861 4.6.1) */
#define TXV_ND_OPT_SRC_LLADDR 1
#define TXV_ND_OPT_TGT_LLADDR 2
#define TXV_ND_OPT_LLADDR_LEN 8 /* type, length, 6-byte Ethernet address */
#define TXV_IPV4_HLEN         20
#define TXV_IPV4_OPT_EOL      0
#define TXV_IPV4_OPT_NOP      1
#define TXV_IPV6_HLEN         40
#define TXV_IPV6_EXT_MIN      8

static bool txval_is_zero(const uint8_t *addr, size_t len)
{
	static const uint8_t zero[16];

	return memcmp(addr, zero, len) == 0;
}

static bool txval_is_local(const struct txval_env *env, uint8_t family, const uint8_t *addr)
{
	return env->local && app_addrs_allow(env->local, family, addr, false);
}

static bool txval_addr_held(const struct txval_env *env, const struct app *a, uint8_t family, const uint8_t *addr)
{
	const struct app_addrs *s = __atomic_load_n(&a->addrs, __ATOMIC_ACQUIRE);

	return app_addrs_allow(s, family, addr, txval_is_local(env, family, addr));
}

/* ARP: the sender hardware address must be the NIC's, the sender IP one the app holds. */
static enum txval_verdict txval_arp(const struct txval_env *env, const struct app *a, const uint8_t *frame,
				    uint32_t len, const struct cls_result *r)
{
	const uint8_t *arp = frame + r->l3_off;
	uint8_t spa[16] = { 0 };

	if (len < (uint32_t)r->l3_off + TXV_ARP_LEN)
		return TXV_MALFORMED;
	/* htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4 */
	if (arp[0] != 0 || arp[1] != 1 || arp[2] != 0x08 || arp[3] != 0x00 || arp[4] != 6 || arp[5] != 4)
		return TXV_MALFORMED;
	if (memcmp(arp + 8, env->nic_mac, 6) != 0)
		return TXV_SPOOFED;
	memcpy(spa, arp + 14, 4);
	return txval_addr_held(env, a, AF_INET, spa) ? TXV_OK : TXV_SPOOFED;
}

/*
 * Is r's source the tuple that passed last on this queue, under the table
 * generation this check runs with? Compares the address's own bytes, each
 * as wide as the classifier's store of it (no store-forwarding stall).
 */
static bool txval_src_hit(const struct txsrc *c, const struct txval_env *env, const struct cls_result *r,
			  uint8_t family)
{
	if (!c->valid || c->gen != env->gen || c->proto != r->proto || c->family != family || c->port != r->src_port)
		return false;
	return family == AF_INET ? memcmp(c->addr, r->src_addr, 4) == 0 : memcmp(c->addr, r->src_addr, 16) == 0;
}

static void txval_src_keep(struct txsrc *c, const struct txval_env *env, const struct cls_result *r, uint8_t family,
			   size_t alen)
{
	c->gen = env->gen;
	c->proto = r->proto;
	c->family = family;
	c->port = r->src_port;
	memset(c->addr, 0, sizeof(c->addr));
	memcpy(c->addr, r->src_addr, alen);
	c->valid = true;
}

/*
 * Does app a hold r's source tuple: bound exactly, or covered by its
 * wildcard on one of the host's addresses that no other app holds exactly?
 */
static bool txval_src_held(const struct txval_env *env, const struct app *a, const struct cls_result *r, uint8_t family,
			   size_t alen)
{
	struct ms_tuple t;

	memset(&t, 0, sizeof(t));
	t.proto = r->proto;
	t.family = family;
	t.port = r->src_port;
	/*
	 * Copy only the address's own bytes (t is zeroed): the classifier just
	 * wrote 4 of them for IPv4, and a 16-byte read of that would stall on
	 * store forwarding.
	 */
	memcpy(t.addr, r->src_addr, alen);
	/* An all-zero source would be the wildcard key itself: it must pass the local-address rule. */
	if (!txval_is_zero(r->src_addr, alen) && env->owner(env->table, &t) == a)
		return true;
	memset(t.addr, 0, sizeof(t.addr));
	/* A wildcard covers the host's addresses, except tuples bound exactly by another app. */
	if (env->owner(env->table, &t) == a && txval_is_local(env, family, r->src_addr)) {
		memcpy(t.addr, r->src_addr, alen);
		return !env->owner(env->table, &t);
	}
	return false;
}

/*
 * TCP and UDP: the source tuple must be one the app holds. The answer for
 * the queue's last tuple is kept in src while the table's generation stays
 * the same (txsrc.h): every input of the check (the table, the host's
 * addresses) bumps it when it changes.
 */
static enum txval_verdict txval_l4(const struct txval_env *env, const struct app *a, struct txsrc *src,
				   const struct cls_result *r)
{
	uint8_t family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	size_t alen = family == AF_INET ? 4 : 16;

	if (!(r->flags & CLS_F_L4))
		return TXV_MALFORMED;
	if (src && txval_src_hit(src, env, r, family))
		return TXV_OK;
	if (!txval_src_held(env, a, r, family, alen))
		return TXV_SPOOFED;
	if (src)
		txval_src_keep(src, env, r, family, alen);
	return TXV_OK;
}

/*
 * IPv4 options (RFC 791): only end-of-list and no-operation. Source routes
 * (LSRR 131, SSRR 137) would let an app steer its frames past the host's
 * routing, and record route, timestamps and the rest have no use an app
 * needs. After end-of-list only zero padding may follow.
 */
static bool txval_ipv4_options_ok(const uint8_t *ip, uint32_t hlen)
{
	bool ended = false;
	uint32_t i;

	for (i = TXV_IPV4_HLEN; i < hlen; i++) {
		if (ip[i] == TXV_IPV4_OPT_EOL)
			ended = true;
		else if (ended || ip[i] != TXV_IPV4_OPT_NOP)
			return false;
	}
	return true;
}

/*
 * IPv6 extension headers, as far as the classifier walked them (it checked
 * their lengths): refuse a routing header (type 0 is deprecated by RFC 5095,
 * and no app needs to choose its path), and return in *frag_nh the next
 * header of the fragment header, which names the datagram (RFC 8200 4.5).
 */
static enum txval_verdict txval_ipv6_ext(const uint8_t *ip, const struct cls_result *r, uint8_t *frag_nh)
{
	uint32_t len, off = TXV_IPV6_HLEN;
	uint8_t nh = ip[6];

	*frag_nh = r->proto;
	while (off < r->ip_hdr_len) {
		if (nh == IPPROTO_ROUTING)
			return TXV_IP_OPTIONS;
		if (r->l3_len - off < TXV_IPV6_EXT_MIN)
			return TXV_MALFORMED;
		len = nh == IPPROTO_FRAGMENT ? TXV_IPV6_EXT_MIN : (ip[off + 1] + 1u) * 8;
		if (nh == IPPROTO_FRAGMENT)
			*frag_nh = ip[off];
		nh = ip[off];
		off += len;
	}
	return nh == IPPROTO_ROUTING ? TXV_IP_OPTIONS : TXV_OK;
}

static void txval_frag_key(const struct cls_result *r, uint8_t proto, struct txfrag_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = r->frag_id;
	k->family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	k->proto = proto;
	memcpy(k->src, r->src_addr, 16);
	memcpy(k->dst, r->dst_addr, 16);
}

/*
 * Neighbour discovery (RFC 4861) that a host sends: RS, NS, NA. The source
 * address must be one the app holds, as must an advertisement's target (it
 * announces "this address is here", like ARP's sender address); every
 * link-layer address option must carry the NIC's MAC; and the options must
 * tile the message (none of length 0, none running past its end, 4.6).
 */
static enum txval_verdict txval_nd(const struct txval_env *env, const struct app *a, const uint8_t *frame,
				   const struct cls_result *r, uint8_t type)
{
	uint32_t off = (uint32_t)r->l3_off + r->ip_hdr_len, end = (uint32_t)r->l3_off + r->l3_len, olen;
	/* RS: type, code, checksum, reserved; NS and NA add a 16-byte target address. */
	uint32_t fixed = type == TXV_ICMP6_ROUTER_SOLICIT ? 8 : 24;

	if (end - off < fixed)
		return TXV_MALFORMED;
	if (!txval_addr_held(env, a, AF_INET6, r->src_addr))
		return TXV_SPOOFED;
	if (type == TXV_ICMP6_NEIGH_ADVERT && !txval_addr_held(env, a, AF_INET6, frame + off + 8))
		return TXV_SPOOFED;
	for (off += fixed; off < end; off += olen) {
		if (end - off < 2)
			return TXV_MALFORMED;
		olen = frame[off + 1] * 8u;
		if (olen == 0 || olen > end - off)
			return TXV_MALFORMED;
		if (frame[off] != TXV_ND_OPT_SRC_LLADDR && frame[off] != TXV_ND_OPT_TGT_LLADDR)
			continue; /* nonce, MTU...: receivers ignore what they do not know */
		if (olen != TXV_ND_OPT_LLADDR_LEN)
			return TXV_MALFORMED;
		if (memcmp(frame + off + 2, env->nic_mac, 6) != 0)
			return TXV_SPOOFED;
	}
	return TXV_OK;
}

enum txval_verdict txval_check(const struct txval_env *env, const struct app *a, struct txfrag *frags,
			       struct txsrc *src, const uint8_t *frame, uint32_t len)
{
	struct txfrag_key key;
	struct cls_result r;
	enum txval_verdict v;
	uint8_t frag_nh;

	if (len < MS_FRAME_MIN)
		return TXV_MALFORMED;
	if (len > env->max_frame)
		return TXV_TOO_LONG;
	if (memcmp(frame + 6, env->nic_mac, 6) != 0)
		return TXV_BAD_SRC_MAC;
	if (cls_parse(frame, len, true, &r) != CLS_OK)
		return TXV_MALFORMED;
	if (r.flags & CLS_F_VLAN)
		return TXV_PROTO_DENIED; /* VLANs are the host's configuration, not an app's */
	if (r.l3 == CLS_L3_ARP)
		return txval_arp(env, a, frame, len, &r);
	if (r.l3 != CLS_L3_IPV4 && r.l3 != CLS_L3_IPV6)
		return TXV_PROTO_DENIED;
	if (r.l3 == CLS_L3_IPV4) {
		if (!txval_ipv4_options_ok(frame + r.l3_off, r.ip_hdr_len))
			return TXV_IP_OPTIONS;
		frag_nh = r.proto;
	} else if ((v = txval_ipv6_ext(frame + r.l3_off, &r, &frag_nh)) != TXV_OK) {
		return v;
	}
	if ((r.flags & CLS_F_FRAG) && !(r.flags & CLS_F_FRAG_FIRST)) {
		/* No ports to check: only the app that sent the datagram's first fragment may go on. */
		txval_frag_key(&r, frag_nh, &key);
		return txfrag_find(frags, &key, env->now) ? TXV_OK : TXV_FRAG_ORPHAN;
	}
	if (r.proto == IPPROTO_TCP || r.proto == IPPROTO_UDP) {
		v = txval_l4(env, a, src, &r);
		if (v == TXV_OK && (r.flags & CLS_F_FRAG_FIRST)) {
			txval_frag_key(&r, frag_nh, &key);
			txfrag_note(frags, &key, env->now + env->frag_lifetime);
		}
		return v;
	}
	if (r.l3 == CLS_L3_IPV6 && r.proto == IPPROTO_ICMPV6 && !(r.flags & CLS_F_FRAG)) {
		uint32_t icmp_off = (uint32_t)r.l3_off + r.ip_hdr_len;

		if (icmp_off >= (uint32_t)r.l3_off + r.l3_len) /* the type must be payload, not padding */
			return TXV_MALFORMED;
		uint8_t type = frame[icmp_off];

		if (type == TXV_ICMP6_ROUTER_SOLICIT || type == TXV_ICMP6_NEIGH_SOLICIT ||
		    type == TXV_ICMP6_NEIGH_ADVERT)
			return txval_nd(env, a, frame, &r, type);
	}
	return TXV_PROTO_DENIED;
}

const char *txval_verdict_name(enum txval_verdict v)
{
#define TXV_VERDICT_NAME(id, name) #name,
	static const char *const names[TXV_VERDICT_COUNT] = { "ok", TXV_REFUSALS(TXV_VERDICT_NAME) };
#undef TXV_VERDICT_NAME

	if ((unsigned)v >= TXV_VERDICT_COUNT)
		return "unknown";
	return names[v];
}
