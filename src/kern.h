/* kern.h - what mstackd asks of the kernel over rtnetlink: TAP address and link, neighbours. */
#ifndef MSTACK_KERN_H
#define MSTACK_KERN_H

#include <stdint.h>

#include "app.h"

/* Add addr/prefix to interface ifname. Returns 0 (also if already there) or -errno. */
int kern_addr_add(const char *ifname, int family, const uint8_t *addr, uint8_t prefix_len);

/* Set interface ifname up. Returns 0 or -errno. */
int kern_link_up(const char *ifname);

/*
 * Look up addr in the kernel's neighbour table of ifname. Returns 0 with
 * mac filled when a usable entry exists, -EAGAIN when resolution is under way
 * or the entry is missing (after asking the kernel to resolve it), -EHOSTUNREACH
 * when the kernel marked it failed, or -errno.
 */
int kern_neigh_resolve(const char *ifname, int family, const uint8_t *addr, uint8_t mac[6]);

/* The addresses of interface ifname, as an address set (caller frees). NULL on error. */
struct app_addrs *kern_local_addrs(const char *ifname);

#endif
