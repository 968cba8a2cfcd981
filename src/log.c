/* SPDX-License-Identifier: BSD-2-Clause */
/* log.c - mstackd's log: stderr lines with syslog <N> priority prefixes (journald keeps the levels). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"

static int log_level = LOG_INFO;

void log_set_level(int prio)
{
	log_level = prio;
}

bool log_debug_enabled(void)
{
	return log_level >= LOG_DEBUG;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so that lines from threads do not interleave. */
	fprintf(stderr, "<%d>%s\n", prio, line);
}

bool log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = clock_now_ms();

	if (now - rl->window_start_ms >= (uint64_t)rl->interval_s * 1000) {
		if (rl->suppressed)
			log_msg(LOG_NOTICE, "%u similar messages suppressed", rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
