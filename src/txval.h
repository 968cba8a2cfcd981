/* txval.h - validation of frames an application sends: it may only speak for what it holds. */
#ifndef MSTACK_TXVAL_H
#define MSTACK_TXVAL_H

#include <stdint.h>

#include <mstack/ms_proto.h>

#include "app.h"

enum txval_verdict {
	TXV_OK = 0,
	TXV_BAD_SRC_MAC,  /* source MAC is not the NIC's */
	TXV_MALFORMED,    /* fails the classifier's checks (headers, IPv4 checksum), or bad ND options */
	TXV_SPOOFED,      /* source tuple / ARP / ND address or link-layer address not held by this app */
	TXV_PROTO_DENIED, /* not TCP, UDP, ARP or IPv6 RS/NS/NA; or VLAN-tagged */
	TXV_TOO_LONG,     /* longer than the port's MTU plus the Ethernet header */
	TXV_IP_OPTIONS,   /* IPv4 options other than end-of-list and no-op, or an IPv6 routing header */
};

struct txval_env {
	uint8_t nic_mac[6];
	uint32_t max_frame; /* the port's MTU + 14: the longest frame that may leave */
	const void *table;  /* passed to owner() */
	/* The app bound to exactly this tuple, or NULL. */
	const struct app *(*owner)(const void *table, const struct ms_tuple *t);
	const struct app_addrs *local; /* the host's own addresses */
};

/* Check one frame (already copied out of the app's region) sent by app a. */
enum txval_verdict txval_check(const struct txval_env *env, const struct app *a, const uint8_t *frame, uint32_t len);

#endif
