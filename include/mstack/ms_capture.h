/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_capture.h - the shared-memory region of a packet capture between mstackd and its reader (mstackctl). */
#ifndef MSTACK_MS_CAPTURE_H
#define MSTACK_MS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include <mstack/ms_abi.h>

/*
 * A CAPTURE request (ms_proto.h) is answered with a memfd holding one ring
 * of fixed-size records, and an eventfd. The daemon's worker produces, the
 * reader consumes; one capture at a time.
 *
 *   offset 0                 MS_CAP_RING_OFF         hdr.slots_off
 *   +----------------------+ +--------------------+ +----------------------------------+
 *   | struct ms_cap_hdr    | | struct ms_cap_ring | | slot 0: ms_cap_rec + snaplen     |
 *   | (d) written once,    | | head (d) / tail (a)| | slot 1    bytes of frame, padded |
 *   | before the fd passes | | flags (a)          | | ...       to slot_size           |
 *   +----------------------+ +--------------------+ +----------------------------------+
 *
 * Ownership tags: (d) written by the daemon, (a) by the reader.
 * Indices are free-running 32-bit counters; slot = index & (nslots - 1).
 * The daemon fills slots [head, head + n), then publishes head + n with a
 * release store (once per burst). The reader loads head (acquire), reads
 * slots [tail, head), then stores its tail (release).
 *
 * Trust rule, as for an application's region: the reader can write the
 * whole region at any time. The daemon keeps head privately, reads tail
 * once when its cached view says the ring is full, and treats an
 * impossible tail (head - tail > nslots) as a full ring. A full ring drops
 * the capture copy (counted as capture.dropped), never the traffic.
 *
 * Waiting: the reader sets MS_CAP_NEED_WAKEUP in ring.flags, re-reads
 * head, then polls the eventfd; the daemon writes the eventfd after a
 * burst that published records while the flag was set.
 */

#define MS_CAP_MAGIC     0x4d534350u /* "MSCP" */
#define MS_CAP_ABI_MAJOR 1
#define MS_CAP_ABI_MINOR 0
#define MS_CAP_RING_OFF  128 /* the ring's offset: after the header's two lines */

/* Capture points (ms_cap_rec.point, and a mask of them in ms_capture_req.points). */
#define MS_CAP_NIC 0x1
#define MS_CAP_TAP 0x2
#define MS_CAP_APP 0x4 /* of the application ms_capture_req.app_id */

/* Directions: NIC, TAP: rx received by mstackd from the port, tx sent to it; app: rx into its rx ring, tx from its tx
 * ring. */
#define MS_CAP_RX 0x1
#define MS_CAP_TX 0x2

/* ms_cap_ring.flags */
#define MS_CAP_NEED_WAKEUP 0x1u /* (a) signal the eventfd when records arrive */

struct ms_cap_hdr {
	uint32_t magic;       /* (d) MS_CAP_MAGIC */
	uint16_t abi_major;   /* (d) MS_CAP_ABI_MAJOR */
	uint16_t abi_minor;   /* (d) MS_CAP_ABI_MINOR */
	uint64_t region_size; /* (d) bytes, the memfd's size */
	uint32_t nslots;      /* (d) a power of two */
	uint32_t slot_size;   /* (d) bytes per slot: sizeof(ms_cap_rec) + snaplen, cache-line rounded */
	uint32_t snaplen;     /* (d) at most this many bytes of each frame are kept */
	uint32_t reserved0;
	uint64_t slots_off; /* (d) offset of slot 0 */
	uint64_t reserved[3];
};

struct ms_cap_ring {
	uint32_t head; /* (d) */
	uint8_t pad0[MS_CACHELINE - sizeof(uint32_t)];
	uint32_t tail; /* (a) */
	uint8_t pad1[MS_CACHELINE - sizeof(uint32_t)];
	uint32_t flags; /* (a) MS_CAP_* flags */
	uint8_t pad2[MS_CACHELINE - sizeof(uint32_t)];
};

/* One captured frame; cap_len bytes of it follow. All (d). */
struct ms_cap_rec {
	uint64_t ts_ns;    /* CLOCK_REALTIME, nanoseconds */
	uint32_t orig_len; /* the frame's length on the wire */
	uint32_t cap_len;  /* bytes kept: min(orig_len, snaplen) */
	uint8_t point;     /* one MS_CAP_NIC / _TAP / _APP */
	uint8_t dir;       /* MS_CAP_RX or MS_CAP_TX */
	uint16_t pad;
	uint32_t app_id; /* MS_CAP_APP: the application */
};

_Static_assert(sizeof(struct ms_cap_hdr) == 64, "capture header layout is ABI");
_Static_assert(sizeof(struct ms_cap_ring) == 3 * MS_CACHELINE, "capture ring layout is ABI");
_Static_assert(offsetof(struct ms_cap_ring, tail) == MS_CACHELINE, "head and tail on their own lines");
_Static_assert(sizeof(struct ms_cap_rec) == 24, "capture record layout is ABI");

/* Bytes of a slot for snaplen bytes of frame. */
static inline uint32_t ms_cap_slot_size(uint32_t snaplen)
{
	return (uint32_t)((sizeof(struct ms_cap_rec) + snaplen + MS_CACHELINE - 1) & ~(uint32_t)(MS_CACHELINE - 1));
}

/* Slot i's record in a region mapped at base (i is masked). */
static inline struct ms_cap_rec *ms_cap_slot(void *base, const struct ms_cap_hdr *h, uint32_t i)
{
	return (struct ms_cap_rec *)((uint8_t *)base + h->slots_off + (uint64_t)(i & (h->nslots - 1)) * h->slot_size);
}

#endif
