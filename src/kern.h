/* SPDX-License-Identifier: BSD-2-Clause */
/* kern.h - what mstackd asks of the kernel over rtnetlink: TAP addresses, routes and link, neighbours. */
#ifndef MSTACK_KERN_H
#define MSTACK_KERN_H

#include <stdint.h>

#include "app.h"

/* Add addr/prefix to interface ifname. Returns 0 (also if already there) or -errno. */
int kern_addr_add(const char *ifname, int family, const uint8_t *addr, uint8_t prefix_len);

/* Take addr/prefix away from interface ifname. Returns 0 (also if it was not there) or -errno. */
int kern_addr_del(const char *ifname, int family, const uint8_t *addr, uint8_t prefix_len);

/*
 * Route dst/dst_len (dst_len 0: the default route) through gateway gw out of
 * ifname, in the main table, protocol static. An existing route to dst/dst_len
 * is replaced. Returns 0 or -errno (-ENETUNREACH: gw is not on-link).
 */
int kern_route_add(const char *ifname, int family, const uint8_t *dst, uint8_t dst_len, const uint8_t *gw);

/* Delete that route. Returns 0 (also if it was not there) or -errno. */
int kern_route_del(const char *ifname, int family, const uint8_t *dst, uint8_t dst_len, const uint8_t *gw);

/* Set interface ifname up. Returns 0 or -errno. */
int kern_link_up(const char *ifname);

/* Set interface ifname's MAC address. Returns 0 or -errno. */
int kern_link_set_mac(const char *ifname, const uint8_t mac[6]);

/*
 * Look addr up in the kernel's neighbour table of ifname, without asking for
 * resolution. Returns 0 with mac filled when a usable entry exists, -ENOENT
 * when there is no entry, -EAGAIN while resolution is under way,
 * -EHOSTUNREACH when the kernel marked it failed, or -errno.
 */
int kern_neigh_lookup(const char *ifname, int family, const uint8_t *addr, uint8_t mac[6]);

/* Ask the kernel to resolve addr on ifname (creates a neighbour entry). Returns 0 or -errno. */
int kern_neigh_probe(const char *ifname, int family, const uint8_t *addr);

/*
 * The next hop the kernel's routes give for addr: addr itself when it is
 * on-link, else the route's gateway (16 bytes, IPv4 in the first 4).
 * Returns 0, -ENETUNREACH when the route does not leave through ifname as
 * unicast (another interface, a local, broadcast or blackhole route, no route),
 * or -errno.
 */
int kern_route_nexthop(const char *ifname, int family, const uint8_t *addr, uint8_t nexthop[16]);

/* The addresses of interface ifname, as an address set (caller frees). NULL on error. */
struct app_addrs *kern_local_addrs(const char *ifname);

#endif
