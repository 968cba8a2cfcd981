/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_simlink.h - a deterministic simulated link between two libmstack-tcp stacks: delay, loss, reordering,
 * duplication, corruption. */
#ifndef MSTACK_TCP_SIMLINK_H
#define MSTACK_TCP_SIMLINK_H

#include <stdint.h>

#include "tcp_stack.h"

/* What happens to frames, in parts per million, chosen by a PRNG from seed: the same seed, the same run. */
struct simlink_cfg {
	uint32_t delay_us;  /* one-way delay */
	uint32_t jitter_us; /* extra delay, uniform in [0, jitter_us): reorders frames */
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t corrupt_ppm; /* one byte flipped somewhere in the frame */
	uint32_t queue_max;   /* frames in flight per direction before tail drop; 0: 4096 */
	uint32_t rate_mbps;   /* serialization: frames leave one after another at this rate; 0: at once */
	uint32_t tx_ring;     /* tx buffers a side gets per microsecond of virtual time (a small, full ring); 0: 64 */
	uint64_t seed;
};

/*
 * A test's hook on every frame a side sends, before the link's own fate:
 * return 1 to drop it. frame may be modified in place (len bytes).
 */
typedef int (*simlink_filter_fn)(void *ctx, int from_side, uint8_t *frame, uint32_t len);

struct simlink;

struct simlink *simlink_new(const struct simlink_cfg *cfg);
void simlink_free(struct simlink *l);
/* The I/O of side 0 or 1 (MAC 02:00:00:00:00:0side, MTU 1500), for tcp_stack_new_io. */
const struct tcp_io *simlink_io(struct simlink *l, int side);
void simlink_set_filter(struct simlink *l, simlink_filter_fn fn, void *ctx);
/* Put a hand-made frame on the wire towards side to (delivered after the delay, no fate applied). */
void simlink_inject(struct simlink *l, int to, const uint8_t *frame, uint32_t len);

uint64_t simlink_now(const struct simlink *l);
void simlink_set_now(struct simlink *l, uint64_t now_us);
/* When the next frame arrives at either side; UINT64_MAX if none is in flight. */
uint64_t simlink_next_arrival(const struct simlink *l);

struct simlink_stats {
	uint64_t sent[2], delivered[2], lost, duplicated, corrupted, filtered, queue_drops;
};
const struct simlink_stats *simlink_stats(const struct simlink *l);

#endif
