/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_abi.h - the shared-memory region between mstackd and one application (the ring ABI). */
#ifndef MSTACK_MS_ABI_H
#define MSTACK_MS_ABI_H

#include <stddef.h>
#include <stdint.h>

/*
 * One region per application: a memfd created by mstackd, passed over the
 * control socket with SCM_RIGHTS, mapped MAP_SHARED by both sides. All
 * positions are offsets from the start of the region, never pointers.
 *
 *   offset 0                      hdr.rings_off            hdr.bufs_off
 *   +--------------------------+ +-----------------------+ +------------------------------+
 *   | struct ms_region_hdr     | | ring 0: rx of queue 0 | | buffers of ring 0 (ring_size |
 *   | magic, ABI, geometry     | | ring 1: tx of queue 0 | |   x buf_size bytes)          |
 *   | (d) written once, before | | ring 2: rx of queue 1 | | buffers of ring 1            |
 *   |     the fd is passed     | | ...  (ring_stride     | | ...                          |
 *   +--------------------------+ |       bytes each)     | +------------------------------+
 *                                +-----------------------+
 *
 *   one ring (struct ms_ring)         one buffer (struct ms_buf, buf_size bytes)
 *   +------+------+-------+           +-----+---------------------------------------+
 *   | head | tail | flags |           | len | frame: len bytes, at MS_BUF_HEADROOM  |
 *   +------+------+-------+           +-----+---------------------------------------+
 *    a cache line each                 2 B   the IP header lands 16-byte aligned
 *
 * Ring r (0 <= r < 2 * nqueues) is the rx ring of queue r/2 when r is even
 * and the tx ring of queue r/2 when r is odd. Index i of ring r always owns
 * buffer r * ring_size + (i & (ring_size - 1)): an application can never
 * name a buffer that is not its index's, so the daemon reads no buffer
 * index from shared memory.
 *
 * Why the length lives in the buffer (ABI 2): a frame's length and its
 * first bytes share one cache line, so a 60-byte frame and its length are
 * one line. Receiving, the daemon writes one line the app's core holds per
 * frame (plus head once per burst) instead of two (a slot and the buffer);
 * transmitting, it reads one line per 64-byte frame instead of two. With
 * many apps each frame goes to another app, and each of those lines is a
 * cross-core transfer per frame.
 *
 * Ownership tags: (d) written by the daemon, (a) written by the application.
 *
 * Indices are free-running 32-bit counters; buffer = index & (ring_size - 1).
 * A ring holds head - tail frames (unsigned arithmetic), 0..ring_size.
 *
 * rx ring: the daemon is the producer. It fills the buffers of indices
 *   [head, head + n) (len and frame), then publishes head + n with a release
 *   store. The application reads head with an acquire load, consumes
 *   [tail, head), then publishes its new tail with a release store, giving
 *   the buffers back.
 * tx ring: the application is the producer. It fills the buffers of
 *   [head, head + n) (frame and len), then publishes head + n with a release
 *   store. The daemon reads head (acquire), copies each frame out of the
 *   region, validates the copy, and publishes tail (release) to give the
 *   buffers back.
 *
 * Trust rule: the application can write the whole region at any time. The
 * daemon treats it as hostile: it keeps its own copy of the indices it
 * produces (rx head, tx tail) and never reads them back, reads every
 * application-written index and length exactly once, bounds-checks it, and
 * copies a frame out before validating it. A bad value costs the
 * application its own packets (counted) and nothing else.
 *
 * Waiting: an application that wants to sleep sets MS_RING_NEED_WAKEUP in
 * its rx ring's flags, re-checks the ring, then polls the wakeup fd (an
 * eventfd: the session's, or the queue's own with MS_HELLO_F_QUEUE_WAKEUP,
 * ms_proto.h). The daemon signals it after publishing into a ring that was
 * empty while the flag was set.
 *
 * Transmit doorbell (since ABI 1.1): a daemon with [datapath] idle = adaptive
 * sleeps when it has nothing to do. Before it sleeps it sets
 * MS_RING_NEED_WAKEUP in the flags of every tx ring, issues a full fence,
 * and re-checks every tx ring's head; it clears the flags once awake and
 * busy. On a tx ring the flag is (d): the daemon writes it, the application
 * only reads it. The application, after publishing tx head (release store),
 * issues a full fence, reads the flag, and if it is set writes 1 (a uint64_t)
 * to the kick eventfd (the third fd of the HELLO reply). The two fences make
 * it impossible for both sides to miss each other: either the daemon's
 * re-check sees the new head, or the application sees the flag and kicks.
 * A busy daemon keeps the flag clear, so a busy application makes no system
 * call. An application that clears the flag or never kicks only delays its
 * own frames (by up to the daemon's longest sleep).
 */

#define MS_REGION_MAGIC 0x4d53524eu /* "MSRN" */
#define MS_ABI_MAJOR    2           /* incompatible layout changes; 2: the length in the buffer */
#define MS_ABI_MINOR    0           /* compatible additions */

#define MS_CACHELINE 64
/*
 * Bytes from one buffer to the next: 2 KiB and one line. With a 2 KiB
 * stride every buffer of a ring started in one of two sets of a 64-set L1,
 * so the lines of a burst (32 frames to one queue) evicted each other before
 * they were used; one line more walks consecutive buffers through the sets.
 */
#define MS_BUF_SIZE     (2048 + MS_CACHELINE)
#define MS_BUF_HEADROOM 2    /* the frame's offset in its buffer */
#define MS_FRAME_MAX    2046 /* the longest frame: 2 KiB less its length field */
#define MS_FRAME_MIN    14   /* an Ethernet header */

/* ms_ring.flags */
#define MS_RING_NEED_WAKEUP 0x1u /* rx ring (a): signal the wakeup fd when it fills; tx ring (d): kick me */

struct ms_region_hdr {
	uint32_t magic;       /* (d) MS_REGION_MAGIC */
	uint16_t abi_major;   /* (d) MS_ABI_MAJOR */
	uint16_t abi_minor;   /* (d) MS_ABI_MINOR */
	uint64_t region_size; /* (d) bytes, the memfd's size */
	uint32_t nqueues;     /* (d) rx/tx ring pairs */
	uint32_t ring_size;   /* (d) buffers per ring, a power of two */
	uint32_t buf_size;    /* (d) bytes per buffer (MS_BUF_SIZE) */
	uint32_t ring_stride; /* (d) bytes from one ring to the next: sizeof(struct ms_ring) */
	uint64_t rings_off;   /* (d) offset of ring 0 */
	uint64_t bufs_off;    /* (d) offset of buffer 0 */
	uint32_t app_id;      /* (d) this application's id in mstackd */
	uint32_t reserved[7];
};

/* The start of every packet buffer. */
struct ms_buf {
	uint16_t len;    /* frame length in bytes: (d) on rx, (a) on tx */
	uint8_t frame[]; /* len bytes, up to MS_FRAME_MAX */
};

struct ms_ring {
	/* producer's line */
	uint32_t head; /* rx: (d), tx: (a) */
	uint8_t pad0[MS_CACHELINE - sizeof(uint32_t)];
	/* consumer's line */
	uint32_t tail; /* rx: (a), tx: (d) */
	uint8_t pad1[MS_CACHELINE - sizeof(uint32_t)];
	/* requests to the other side: rx (a) read by the daemon at every publish, tx (d) read by the app */
	uint32_t flags; /* MS_RING_*: (a) on rx rings, (d) on tx rings */
	uint8_t pad2[MS_CACHELINE - sizeof(uint32_t)];
};

_Static_assert(sizeof(struct ms_region_hdr) == 80, "region header layout is ABI");
_Static_assert(offsetof(struct ms_buf, frame) == MS_BUF_HEADROOM, "the frame follows its length");
_Static_assert(MS_FRAME_MAX <= UINT16_MAX, "a frame's length fits its field");
_Static_assert(MS_BUF_HEADROOM + MS_FRAME_MAX <= MS_BUF_SIZE, "the longest frame fits its buffer");
_Static_assert(MS_BUF_SIZE % MS_CACHELINE == 0, "every buffer starts on a line");
_Static_assert((MS_BUF_HEADROOM + 14) % 16 == 0, "the IP header after an Ethernet header is 16-byte aligned");
_Static_assert(offsetof(struct ms_ring, tail) == MS_CACHELINE, "head and tail on their own lines");
_Static_assert(offsetof(struct ms_ring, flags) == 2 * MS_CACHELINE, "flags off the consumer's busy line");
_Static_assert(sizeof(struct ms_ring) == 3 * MS_CACHELINE, "ring header layout is ABI");

/* Ring r of a region mapped at base. */
static inline struct ms_ring *ms_region_ring(void *base, const struct ms_region_hdr *h, uint32_t r)
{
	return (struct ms_ring *)((uint8_t *)base + h->rings_off + (uint64_t)r * h->ring_stride);
}

/* The buffer of index i of ring r. */
static inline struct ms_buf *ms_region_buf(void *base, const struct ms_region_hdr *h, uint32_t r, uint32_t i)
{
	return (struct ms_buf *)((uint8_t *)base + h->bufs_off +
				 ((uint64_t)r * h->ring_size + (i & (h->ring_size - 1))) * h->buf_size);
}

/* Buffer n (already masked) of a ring whose buffers start at bufs. */
static inline struct ms_buf *ms_ring_buf(uint8_t *bufs, uint32_t n)
{
	return (struct ms_buf *)(bufs + (size_t)n * MS_BUF_SIZE);
}

#endif
