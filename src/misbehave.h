/* SPDX-License-Identifier: BSD-2-Clause */
/* misbehave.h - the disconnect policy: how much an application's rings may misbehave before it is cut off. */
#ifndef MSTACK_MISBEHAVE_H
#define MSTACK_MISBEHAVE_H

#include <stdbool.h>
#include <stdint.h>

#include "neigh.h"
#include "stats.h"

/*
 * The datapath only counts what an app's rings present that it must
 * refuse; the control thread compares those counts, at every tick, with a
 * token bucket of [limits] misbehave_burst tokens earning misbehave_rate a
 * second (one token per refusal). An app that empties it is disconnected:
 * a bug that sends one bad frame now and then costs that frame, a ring
 * that keeps presenting garbage costs the session.
 */
struct misbehave {
	uint64_t charged;           /* misbehave_count already charged against the bucket */
	struct neigh_budget bucket; /* the token bucket RESOLVE's budget uses: zero-initialised means full */
};

/*
 * What counts as misbehaviour: rx and tx indices out of the ring
 * (rx_bad_index, tx_bad_index), impossible descriptors (tx_invalid_desc)
 * and every frame the transmit validator refuses (tx_spoofed,
 * tx_bad_src_mac, tx_malformed, ...). Not rx_ring_full, tx_nombuf,
 * tx_nic_full or rx_too_long: those are load, not the app's doing.
 */
uint64_t misbehave_count(const struct app_stats *s);

/*
 * Charge the refusals counted since the last call (count: misbehave_count
 * now) and answer whether the app went over: more than burst at once, or
 * more than rate a second for long. rate 0 disables the policy (never
 * over; nothing is charged, so enabling it later does not bill the past).
 */
bool misbehave_over(struct misbehave *m, uint64_t count, uint32_t rate, uint32_t burst, uint64_t now_ms);

#endif
