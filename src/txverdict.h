/* SPDX-License-Identifier: BSD-2-Clause */
/* txverdict.h - what the transmit validator can answer: one list for the enum and the counters. */
#ifndef MSTACK_TXVERDICT_H
#define MSTACK_TXVERDICT_H

/*
 * Why the validator refused a frame: the one list that gives enum
 * txval_verdict, the names (txval_verdict_name) and the per-app counters
 * "tx_<name>". Its own header because struct app's counters need it and
 * txval.h needs struct app.
 */
/* clang-format off */
#define TXV_REFUSALS(X) \
	X(BAD_SRC_MAC, bad_src_mac)   /* source MAC is not the NIC's */ \
	X(MALFORMED, malformed)       /* fails the classifier's checks (headers, IPv4 checksum), or bad ND options */ \
	X(SPOOFED, spoofed)           /* source tuple / ARP / ND address or link-layer address not held by this app */ \
	X(PROTO_DENIED, proto_denied) /* not TCP, UDP, ARP or IPv6 RS/NS/NA; or VLAN-tagged */ \
	X(TOO_LONG, too_long)         /* longer than the port's MTU plus the Ethernet header */ \
	X(IP_OPTIONS, ip_options)     /* IPv4 options other than end-of-list and no-op, or an IPv6 routing header */ \
	X(FRAG_ORPHAN, frag_orphan)   /* a later fragment of no datagram whose first fragment this app sent */
/* clang-format on */

#define TXV_VERDICT_ENUM(id, name) TXV_##id,
enum txval_verdict { TXV_OK = 0, TXV_REFUSALS(TXV_VERDICT_ENUM) TXV_VERDICT_COUNT };
#undef TXV_VERDICT_ENUM

/* "bad_src_mac", ...: the counter suffix for a verdict ("ok" for TXV_OK). */
const char *txval_verdict_name(enum txval_verdict v);

#endif
