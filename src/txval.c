/* txval.c - validation of frames an application sends: source MAC, source 3-tuple, ARP and ND. */
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

static enum txval_verdict txval_l4(const struct txval_env *env, const struct app *a, const struct cls_result *r)
{
	uint8_t family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	size_t alen = family == AF_INET ? 4 : 16;
	struct ms_tuple t;

	if ((r->flags & CLS_F_FRAG) && !(r->flags & CLS_F_FRAG_FIRST))
		/* No ports in a later fragment: the address must still be the app's. */
		return txval_addr_held(env, a, family, r->src_addr) ? TXV_OK : TXV_SPOOFED;
	if (!(r->flags & CLS_F_L4))
		return TXV_MALFORMED;
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
		return TXV_OK;
	memset(t.addr, 0, sizeof(t.addr));
	/* A wildcard covers the host's addresses, except tuples bound exactly by another app. */
	if (env->owner(env->table, &t) == a && txval_is_local(env, family, r->src_addr)) {
		memcpy(t.addr, r->src_addr, alen);
		if (!env->owner(env->table, &t))
			return TXV_OK;
	}
	return TXV_SPOOFED;
}

enum txval_verdict txval_check(const struct txval_env *env, const struct app *a, const uint8_t *frame, uint32_t len)
{
	struct cls_result r;

	if (len < MS_FRAME_MIN)
		return TXV_MALFORMED;
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
	if (r.proto == IPPROTO_TCP || r.proto == IPPROTO_UDP)
		return txval_l4(env, a, &r);
	if (r.l3 == CLS_L3_IPV6 && r.proto == IPPROTO_ICMPV6 && !(r.flags & CLS_F_FRAG)) {
		uint32_t icmp_off = (uint32_t)r.l3_off + r.ip_hdr_len;

		if (icmp_off >= (uint32_t)r.l3_off + r.l3_len) /* the type must be payload, not padding */
			return TXV_MALFORMED;
		uint8_t type = frame[icmp_off];

		if (type == TXV_ICMP6_ROUTER_SOLICIT || type == TXV_ICMP6_NEIGH_SOLICIT ||
		    type == TXV_ICMP6_NEIGH_ADVERT)
			return txval_addr_held(env, a, AF_INET6, r.src_addr) ? TXV_OK : TXV_SPOOFED;
	}
	return TXV_PROTO_DENIED;
}
