/* SPDX-License-Identifier: BSD-2-Clause */
/* clock.h - the daemon's one clock: monotonic milliseconds. */
#ifndef MSTACK_CLOCK_H
#define MSTACK_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC: for timeouts, rate limits and uptime, never for dates. */
static inline uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
