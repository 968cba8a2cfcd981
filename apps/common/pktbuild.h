/* SPDX-License-Identifier: BSD-2-Clause */
/* pktbuild.h - build Ethernet/IPv4/UDP or TCP frames from scratch, with Internet checksums. */
#ifndef MSTACK_APPS_PKTBUILD_H
#define MSTACK_APPS_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define PB_ETH_HLEN  14
#define PB_IP_HLEN   20
#define PB_UDP_HLEN  8
#define PB_TCP_HLEN  20
#define PB_FRAME_MIN 60   /* 64 bytes on the wire with the FCS */
#define PB_FRAME_MAX 1514 /* a 1500-byte IP MTU */

/* One flow's addresses and the state that changes from packet to packet. */
struct pb_flow {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint8_t src_ip[4]; /* network order */
	uint8_t dst_ip[4]; /* network order */
	uint16_t src_port; /* host order */
	uint16_t dst_port; /* host order */
	uint8_t proto;     /* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t ip_id;    /* next IPv4 identification */
	uint32_t seq;      /* next TCP sequence number */
};

/* Headers' length before the payload for proto: Ethernet + IPv4 + UDP or TCP. */
uint32_t pb_hdr_len(uint8_t proto);

/*
 * Write a complete frame of len bytes (PB_FRAME_MIN..PB_FRAME_MAX) for f
 * into frame: Ethernet, IPv4 (DF, header checksum), then UDP (checksum) or
 * TCP (ACK, checksum over the pseudo-header), then payload up to len, so
 * the IPv4 total length is len - 14 and there is no Ethernet padding.
 * Advances f->ip_id and, for TCP, f->seq by the payload length.
 * Returns len, or 0 if len or f->proto is out of range.
 */
uint32_t pb_build(uint8_t *frame, uint32_t len, struct pb_flow *f);

#endif
