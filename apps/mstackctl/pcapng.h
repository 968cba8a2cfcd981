/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapng.h - a minimal pcapng writer: one section, interfaces with a name, packets with a direction. */
#ifndef MSTACKCTL_PCAPNG_H
#define MSTACKCTL_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/*
 * The blocks of draft-tuexen-opsawg-pcapng, in the writer's byte order
 * (readers detect it from the section's byte-order magic):
 * SHB with shb_userappl; IDB with if_name and if_tsresol = 9 (timestamps in
 * nanoseconds); EPB with epb_flags (direction in bits 0-1).
 * Each returns 0 or -errno (EIO when the stream fails, EINVAL on a bad argument).
 */

#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_INBOUND           1 /* epb_flags bits 0-1 */
#define PCAPNG_OUTBOUND          2

/* The Section Header Block; app names the writer (shb_userappl), may be NULL. */
int pcapng_write_shb(FILE *f, const char *app);

/*
 * An Interface Description Block; interfaces are numbered from 0 in the order
 * written. libpcap reads a section only if all its interfaces share one
 * linktype and snaplen: give them the same.
 */
int pcapng_write_idb(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name);

/* An Enhanced Packet Block of cap_len bytes of a frame of orig_len, at ts_ns (ns since the epoch). */
int pcapng_write_epb(FILE *f, uint32_t if_id, uint64_t ts_ns, const void *data, uint32_t cap_len, uint32_t orig_len,
		     uint32_t flags);

#endif
