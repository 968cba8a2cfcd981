/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_capture.h - the shared-memory region of a packet capture between mstackd and its reader (mstackctl). */
#ifndef MSTACK_MS_CAPTURE_H
#define MSTACK_MS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include <mstack/ms_abi.h>

/*
 * A CAPTURE request (ms_proto.h) is answered with a memfd holding one ring
 * of fixed-size records per datapath worker, and an eventfd. Each worker
 * produces into its own ring alone, the reader consumes them all; one
 * capture at a time. The TAP lcore records nothing: the TAP points are the
 * workers' handovers to and from it.
 *
 *   0                  hdr.rings_off              hdr.slots_off
 *   +----------------+ +----------------------+ +------------------------------------------+
 *   | ms_cap_hdr     | | ms_cap_ring 0        | | ring 0: slot 0 .. nslots - 1             |
 *   | (d) written    | | head (d) / tail (a)  | |   each ms_cap_rec + snaplen bytes of the |
 *   | once, before   | | flags (a)            | |   frame, padded to slot_size             |
 *   | the fd passes  | | ms_cap_ring 1        | | ring 1: at slots_off + 1 * ring_stride   |
 *   |                | | ... nrings of them   | | ... nrings of them                       |
 *   +----------------+ +----------------------+ +------------------------------------------+
 *
 * Ownership tags: (d) written by the daemon (ring r by worker r alone),
 * (a) by the reader.
 * Indices are free-running 32-bit counters; slot = index & (nslots - 1).
 * The worker fills slots [head, head + n) of its ring, then publishes
 * head + n with a release store (once per loop). The reader loads head
 * (acquire), reads slots [tail, head), then stores its tail (release).
 *
 * Order: within a ring records are in timestamp order (a worker stamps
 * each burst from one monotonic clock). Across rings they are not: the
 * reader merges the rings by ts_ns. A worker publishes within one loop of
 * stamping (microseconds), so a reader that holds each record back until
 * it has seen one some milliseconds younger (mstackctl: 20 ms), or the
 * rings stood still that long, writes them all in order.
 *
 * Trust rule, as for an application's region: the reader can write the
 * whole region at any time. The daemon keeps each head privately, reads a
 * tail once when its cached view says the ring is full, and treats an
 * impossible tail (head - tail > nslots) as a full ring. A full ring drops
 * the capture copy (counted as capture.dropped), never the traffic.
 *
 * Waiting: the reader sets MS_CAP_NEED_WAKEUP in every ring's flags,
 * re-reads the heads, then polls the eventfd; a worker writes the eventfd
 * after a loop that published records while its ring's flag was set.
 *
 * Versions: magic, abi_major and abi_minor stay at offsets 0, 4 and 6 in
 * every version, so a reader can always tell which layout it was given. A
 * reader accepts only its own abi_major. 1.x had a single ring (filled by
 * worker 0 only); 2.0 has one ring per worker.
 */

#define MS_CAP_MAGIC     0x4d534350u /* "MSCP" */
#define MS_CAP_ABI_MAJOR 2
#define MS_CAP_ABI_MINOR 0
#define MS_CAP_RINGS_OFF 128 /* where mstackd puts ring 0's indices: after the header's two lines */
#define MS_CAP_RINGS_MAX 64  /* rings in a region at most (one per worker, and the TAP lcore's) */

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
	uint32_t nslots;      /* (d) records per ring, a power of two */
	uint32_t slot_size;   /* (d) bytes per slot: sizeof(ms_cap_rec) + snaplen, cache-line rounded */
	uint32_t snaplen;     /* (d) at most this many bytes of each frame are kept */
	uint32_t nrings;      /* (d) 1..MS_CAP_RINGS_MAX: a worker's each, then the TAP lcore's (direct route) */
	uint64_t slots_off;   /* (d) offset of ring 0's slot 0 */
	uint64_t rings_off;   /* (d) offset of ring 0's struct ms_cap_ring; ring r's follows at + r * sizeof */
	uint64_t ring_stride; /* (d) bytes from one ring's slot 0 to the next ring's: at least nslots * slot_size */
	uint64_t reserved;
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
_Static_assert(offsetof(struct ms_cap_hdr, abi_major) == 4 && offsetof(struct ms_cap_hdr, abi_minor) == 6,
	       "the version fields never move");
_Static_assert(sizeof(struct ms_cap_ring) == 3 * MS_CACHELINE, "capture ring layout is ABI");
_Static_assert(offsetof(struct ms_cap_ring, tail) == MS_CACHELINE, "head and tail on their own lines");
_Static_assert(sizeof(struct ms_cap_rec) == 24, "capture record layout is ABI");

/* Bytes of a slot for snaplen bytes of frame. */
static inline uint32_t ms_cap_slot_size(uint32_t snaplen)
{
	return (uint32_t)((sizeof(struct ms_cap_rec) + snaplen + MS_CACHELINE - 1) & ~(uint32_t)(MS_CACHELINE - 1));
}

/* Ring r's indices in a region mapped at base (r < h->nrings, checked by the caller). */
static inline struct ms_cap_ring *ms_cap_ring_at(void *base, const struct ms_cap_hdr *h, uint32_t r)
{
	return (struct ms_cap_ring *)((uint8_t *)base + h->rings_off) + r;
}

/* Slot i's record of ring r in a region mapped at base (i is masked). */
static inline struct ms_cap_rec *ms_cap_slot(void *base, const struct ms_cap_hdr *h, uint32_t r, uint32_t i)
{
	return (struct ms_cap_rec *)((uint8_t *)base + h->slots_off + r * h->ring_stride +
				     (uint64_t)(i & (h->nslots - 1)) * h->slot_size);
}

#endif
