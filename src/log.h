/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - mstackd's log: stderr lines with syslog <N> priority prefixes, rate-limited when asked. */
#ifndef MSTACK_LOG_H
#define MSTACK_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

/* At most `burst` messages per `interval_s` seconds for one call site. */
struct log_ratelimit {
	uint64_t window_start_ms;
	uint32_t interval_s;
	uint32_t burst;
	uint32_t printed;
	uint32_t suppressed;
};
#define LOG_RATELIMIT_INIT(interval, n)  \
	{                                \
		0, (interval), (n), 0, 0 \
	}

/* true if a message may be printed now; reports suppressed counts when a window reopens. */
bool log_ratelimit_ok(struct log_ratelimit *rl);

/* Only messages at or above this priority are written (LOG_INFO by default). */
void log_set_level(int prio);

/* Is LOG_DEBUG on (-d)? Lets callers skip formatting what nobody will read. */
bool log_debug_enabled(void);

#endif
