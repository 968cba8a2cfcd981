/* SPDX-License-Identifier: BSD-2-Clause */
/* httpd_workers.c - the worker threads of either transport: started, joined, their outcome and counts. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "httpd.h"

static struct httpd_worker *hw_at(void *first, size_t stride, uint32_t i)
{
	return (struct httpd_worker *)((char *)first + (size_t)i * stride);
}

int httpd_workers_run(void *first, size_t stride, uint32_t n, void *(*loop)(void *), char *err, size_t errlen)
{
	uint32_t started;
	int rc = 0;

	/* Worker 0 runs on this thread, the others on their own. */
	for (started = 1; started < n; started++) {
		rc = -pthread_create(&hw_at(first, stride, started)->thread, NULL, loop, hw_at(first, stride, started));
		if (rc < 0) {
			snprintf(err, errlen, "pthread_create: %s", strerror(-rc));
			httpd_stop = 1; /* the ones started return */
			break;
		}
	}
	if (rc == 0)
		loop(hw_at(first, stride, 0));
	for (uint32_t i = 1; i < started; i++)
		pthread_join(hw_at(first, stride, i)->thread, NULL);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const struct httpd_worker *w = hw_at(first, stride, i);

		if (w->rc < 0) {
			rc = w->rc;
			snprintf(err, errlen, "%s", w->err);
		}
	}
	/* What each worker did: how evenly the queues (or SO_REUSEPORT) spread the clients. */
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const struct http_stats *s = &hw_at(first, stride, i)->srv.stats;

		fprintf(stderr,
			"mstack-httpd: worker %u: %" PRIu64 " connections, %" PRIu64 " requests, %" PRIu64 " resets\n",
			i, s->accepted, s->requests, s->resets);
	}
	return rc;
}
