/* SPDX-License-Identifier: BSD-2-Clause */
/* httpd_workers.c - the worker threads of either transport: started, joined, their outcome and counts. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

int httpd_rendezvous_init(struct httpd_rendezvous *r, uint32_t n)
{
	pthread_condattr_t ca;
	int rc;

	memset(r, 0, sizeof(*r));
	r->n = n;
	rc = pthread_mutex_init(&r->mu, NULL);
	if (rc)
		return -rc;
	/* Timed waits on the monotonic clock: a clock step neither ends nor lengthens them. */
	rc = pthread_condattr_init(&ca);
	if (!rc) {
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		rc = pthread_cond_init(&r->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (rc) {
		pthread_mutex_destroy(&r->mu);
		return -rc;
	}
	return 0;
}

void httpd_rendezvous_fini(struct httpd_rendezvous *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
}

/*
 * The round counter, not the count of arrivals, tells a waiter that its
 * round is done: a worker released early may come back for the next round
 * (the daemon lost again) before a slow one has woken up from this one.
 * Waits are 100 ms at most, to look at httpd_stop (set by a signal
 * handler, which cannot signal a condition variable).
 */
int httpd_rendezvous(struct httpd_rendezvous *r, int (*work)(void *), void *arg)
{
	uint64_t round;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	round = r->round;
	if (++r->arrived < r->n) {
		while (r->round == round && !httpd_stop) {
			struct timespec t;

			clock_gettime(CLOCK_MONOTONIC, &t);
			t.tv_nsec += 100 * 1000000L;
			if (t.tv_nsec >= 1000000000L) {
				t.tv_sec++;
				t.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->cv, &r->mu, &t);
		}
		rc = r->round == round ? -EINTR : 0;
		pthread_mutex_unlock(&r->mu);
		return rc;
	}
	/* The last one: every other worker waits above, none runs beside the work. */
	pthread_mutex_unlock(&r->mu);
	rc = work(arg);
	pthread_mutex_lock(&r->mu);
	r->arrived = 0;
	r->round++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return rc;
}
