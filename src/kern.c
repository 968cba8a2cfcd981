/* SPDX-License-Identifier: BSD-2-Clause */
/* kern.c - rtnetlink requests (libmnl) for the TAP's address and link and the neighbour table. */
#include "kern.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

struct kern_neigh {
	int family;
	const uint8_t *addr;
	int ifindex;
	uint16_t state;
	uint8_t mac[6];
	bool found;
	bool has_mac;
};

static int kern_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Send one request and run the callback over the answers until the ACK or DONE. */
static int kern_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	unsigned portid;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int rc = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			rc = -errno;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, arg);
		if (rc <= MNL_CB_STOP) {
			rc = rc < 0 ? -errno : 0;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return rc;
}

/* RTM_NEWADDR or RTM_DELADDR for addr/prefix_len on ifname. */
static int kern_addr_req(uint16_t type, uint16_t flags, const char *ifname, int family, const uint8_t *addr,
			 uint8_t prefix_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	unsigned ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -errno;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, (size_t)kern_addr_len(family), addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)kern_addr_len(family), addr);
	return kern_talk(nlh, NULL, NULL);
}

int kern_addr_add(const char *ifname, int family, const uint8_t *addr, uint8_t prefix_len)
{
	int rc = kern_addr_req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifname, family, addr, prefix_len);

	return rc == -EEXIST ? 0 : rc;
}

int kern_addr_del(const char *ifname, int family, const uint8_t *addr, uint8_t prefix_len)
{
	int rc = kern_addr_req(RTM_DELADDR, 0, ifname, family, addr, prefix_len);

	return rc == -EADDRNOTAVAIL || rc == -ENOENT ? 0 : rc;
}

/* RTM_NEWROUTE or RTM_DELROUTE: dst/dst_len via gw, out of ifname, in the main table. */
static int kern_route_req(uint16_t type, uint16_t flags, const char *ifname, int family, const uint8_t *dst,
			  uint8_t dst_len, const uint8_t *gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;
	unsigned ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -errno;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)family;
	rt->rtm_dst_len = dst_len;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	if (dst_len > 0)
		mnl_attr_put(nlh, RTA_DST, (size_t)kern_addr_len(family), dst);
	mnl_attr_put(nlh, RTA_GATEWAY, (size_t)kern_addr_len(family), gw);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return kern_talk(nlh, NULL, NULL);
}

int kern_route_add(const char *ifname, int family, const uint8_t *dst, uint8_t dst_len, const uint8_t *gw)
{
	return kern_route_req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifname, family, dst, dst_len, gw);
}

int kern_route_del(const char *ifname, int family, const uint8_t *dst, uint8_t dst_len, const uint8_t *gw)
{
	int rc = kern_route_req(RTM_DELROUTE, 0, ifname, family, dst, dst_len, gw);

	return rc == -ESRCH || rc == -ENOENT ? 0 : rc;
}

/* An RTM_NEWLINK request for ifname in buf, flags changed as given; NULL with errno set if there is no such link. */
static struct nlmsghdr *kern_link_req(char *buf, const char *ifname, unsigned flags, unsigned change)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	unsigned ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return NULL;
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	return nlh;
}

int kern_link_up(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = kern_link_req(buf, ifname, IFF_UP, IFF_UP);

	return nlh ? kern_talk(nlh, NULL, NULL) : -errno;
}

int kern_link_set_mac(const char *ifname, const uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = kern_link_req(buf, ifname, 0, 0);

	if (!nlh)
		return -errno;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return kern_talk(nlh, NULL, NULL);
}

static int kern_neigh_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NDA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int kern_neigh_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kern_neigh *q = arg;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	int alen = kern_addr_len(q->family);

	if (nd->ndm_family != q->family || nd->ndm_ifindex != q->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*nd), kern_neigh_attr, tb);
	if (!tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != (uint16_t)alen ||
	    memcmp(mnl_attr_get_payload(tb[NDA_DST]), q->addr, (size_t)alen) != 0)
		return MNL_CB_OK;
	q->found = true;
	q->state = nd->ndm_state;
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(q->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		q->has_mac = true;
	}
	return MNL_CB_OK;
}

int kern_neigh_probe(const char *ifname, int family, const uint8_t *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;
	unsigned ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -errno;
	/* As `ip neigh add ... use` does: create the entry and start resolution. */
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (uint8_t)family;
	nd->ndm_ifindex = (int)ifindex;
	nd->ndm_state = NUD_NONE;
	nd->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, (size_t)kern_addr_len(family), addr);
	return kern_talk(nlh, NULL, NULL);
}

int kern_neigh_lookup(const char *ifname, int family, const uint8_t *addr, uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;
	struct kern_neigh q = { .family = family, .addr = addr };
	int rc;

	q.ifindex = (int)if_nametoindex(ifname);
	if (!q.ifindex)
		return -errno;
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (uint8_t)family;
	rc = kern_talk(nlh, kern_neigh_cb, &q);
	if (rc < 0)
		return rc;
	if (!q.found)
		return -ENOENT;
	if (q.has_mac && (q.state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP))) {
		memcpy(mac, q.mac, 6);
		return 0;
	}
	if (q.state & NUD_FAILED)
		return -EHOSTUNREACH;
	return -EAGAIN; /* incomplete, or an entry without an address yet */
}

struct kern_route {
	int family;
	int oif;
	uint8_t type;
	bool has_gateway;
	uint8_t gateway[16];
};

static int kern_route_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int kern_route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kern_route *r = arg;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	int alen = kern_addr_len(r->family);

	if (nlh->nlmsg_type != RTM_NEWROUTE || rt->rtm_family != r->family)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rt), kern_route_attr, tb);
	r->type = rt->rtm_type;
	if (tb[RTA_OIF] && mnl_attr_get_payload_len(tb[RTA_OIF]) == sizeof(uint32_t))
		r->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == (uint16_t)alen) {
		memcpy(r->gateway, mnl_attr_get_payload(tb[RTA_GATEWAY]), (size_t)alen);
		r->has_gateway = true;
	}
	return MNL_CB_OK;
}

static bool kern_is_link_local6(int family, const uint8_t *addr)
{
	return family == AF_INET6 && addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

int kern_route_nexthop(const char *ifname, int family, const uint8_t *addr, uint8_t nexthop[16])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;
	struct kern_route r = { .family = family };
	unsigned ifindex = if_nametoindex(ifname);
	int rc;

	if (!ifindex)
		return -errno;
	/* `ip route get ADDR`: the route the kernel itself would take. */
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)family;
	rt->rtm_dst_len = (uint8_t)(kern_addr_len(family) * 8);
	mnl_attr_put(nlh, RTA_DST, (size_t)kern_addr_len(family), addr);
	/*
	 * Only a link-local address names its interface. Never give IPv4 an
	 * output interface: with one, the kernel guesses any address on-link.
	 */
	if (kern_is_link_local6(family, addr))
		mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	rc = kern_talk(nlh, kern_route_cb, &r);
	if (rc < 0)
		return rc == -EHOSTUNREACH || rc == -ENETUNREACH ? -ENETUNREACH : rc;
	if (r.type != RTN_UNICAST || r.oif != (int)ifindex)
		return -ENETUNREACH;
	memset(nexthop, 0, 16);
	memcpy(nexthop, r.has_gateway ? r.gateway : addr, (size_t)kern_addr_len(family));
	return 0;
}

struct app_addrs *kern_local_addrs(const char *ifname)
{
	struct ifaddrs *ifs, *i;
	struct app_addrs *s;
	uint32_t n = 0;

	if (getifaddrs(&ifs) < 0)
		return NULL;
	for (i = ifs; i; i = i->ifa_next)
		n++;
	s = calloc(1, sizeof(*s) + n * sizeof(s->a[0]));
	if (!s)
		goto out;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			s->a[s->n].family = AF_INET;
			memcpy(s->a[s->n++].addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			s->a[s->n].family = AF_INET6;
			memcpy(s->a[s->n++].addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
		}
	}
out:
	freeifaddrs(ifs);
	return s;
}
