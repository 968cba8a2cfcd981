/* SPDX-License-Identifier: BSD-2-Clause */
/* fdreap.c - closes client-chosen descriptors off the control thread (see fdreap.h). */
#include "fdreap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

struct fdreap_lane_state {
	pthread_cond_t work; /* the helper waits for fds */
	pthread_cond_t done; /* fdreap_sync waits for closes */
	int *q;              /* ring of fds to close: q[(head + i) % cap], i < n */
	uint32_t cap, head, n;
	bool started;
	uint64_t queued_seq;    /* fds queued, ever */
	uint64_t done_seq;      /* fds closed, ever */
	uint64_t busy_since_ms; /* when the close in progress began; 0: none */
	uint64_t slow_seq;      /* done_seq + 1 of the last close counted slow */
};

static struct {
	pthread_mutex_t lock;
	struct fdreap_lane_state lane[FDREAP_LANES];
	uint64_t slow;
	uint64_t leaked;
} fdreap = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.lane = { [FDREAP_ANY] = { .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER },
		  [FDREAP_SOCKETS] = { .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER } },
};

static const char *const fdreap_lane_name[FDREAP_LANES] = { "mstack-reap-any", "mstack-reap-sk" };

static struct log_ratelimit fdreap_log_rl = LOG_RATELIMIT_INIT(60, 2);

static void *fdreap_main(void *arg)
{
	enum fdreap_lane id = (enum fdreap_lane)(uintptr_t)arg;
	struct fdreap_lane_state *l = &fdreap.lane[id];

	pthread_mutex_lock(&fdreap.lock);
	for (;;) {
		int fd;

		while (l->n == 0)
			pthread_cond_wait(&l->work, &fdreap.lock);
		fd = l->q[l->head];
		l->head = (l->head + 1) % l->cap;
		l->n--;
		l->busy_since_ms = clock_now_ms();
		pthread_mutex_unlock(&fdreap.lock);
		/*
		 * If it is a socket, an abortive close: nothing left to send, nothing
		 * to wait for. On anything else this fails at once (ENOTSOCK).
		 */
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ .l_onoff = 1, .l_linger = 0 },
				 sizeof(struct linger));
		close(fd); /* may block for as long as the client likes: that is why we are here */
		pthread_mutex_lock(&fdreap.lock);
		l->busy_since_ms = 0;
		l->done_seq++;
		pthread_cond_broadcast(&l->done);
	}
	return NULL;
}

/* With the lock held: start the lane's helper if it is not running. 0 or -errno. */
static int fdreap_start(enum fdreap_lane id)
{
	struct fdreap_lane_state *l = &fdreap.lane[id];
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rc;

	if (l->started)
		return 0;
	/* No signal is the helper's to take: mstackd takes its own through a signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, fdreap_main, (void *)(uintptr_t)id);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -rc;
	pthread_setname_np(t, fdreap_lane_name[id]);
	l->started = true;
	return 0;
}

/* With the lock held: room for one more fd. 0 or -ENOMEM. */
static int fdreap_grow(struct fdreap_lane_state *l)
{
	uint32_t cap = l->cap ? l->cap * 2 : 64, i;
	int *q;

	if (l->n < l->cap)
		return 0;
	if (cap < l->cap || !(q = malloc(cap * sizeof(*q))))
		return -ENOMEM;
	for (i = 0; i < l->n; i++)
		q[i] = l->q[(l->head + i) % l->cap];
	free(l->q);
	l->q = q;
	l->cap = cap;
	l->head = 0;
	return 0;
}

void fdreap_close(enum fdreap_lane lane, int fd)
{
	struct fdreap_lane_state *l = &fdreap.lane[lane];
	int rc;

	if (fd < 0)
		return;
	pthread_mutex_lock(&fdreap.lock);
	rc = fdreap_grow(l);
	if (rc == 0) {
		l->q[(l->head + l->n) % l->cap] = fd;
		l->n++;
		l->queued_seq++;
		rc = fdreap_start(lane); /* on failure the fd waits for the next call to start it */
		if (rc == 0)
			pthread_cond_signal(&l->work);
	} else {
		fdreap.leaked++;
	}
	pthread_mutex_unlock(&fdreap.lock);
	if (rc < 0 && log_ratelimit_ok(&fdreap_log_rl))
		log_err("cannot hand a client's descriptor to the closer: %s", strerror(-rc));
}

void fdreap_close_many(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		fdreap_close(FDREAP_ANY, fds[i]);
}

int fdreap_sync(enum fdreap_lane lane, unsigned timeout_ms)
{
	struct fdreap_lane_state *l = &fdreap.lane[lane];
	struct timespec until;
	uint64_t target;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&fdreap.lock);
	target = l->queued_seq;
	while (l->started && l->done_seq < target && rc == 0)
		rc = pthread_cond_timedwait(&l->done, &fdreap.lock, &until);
	if (l->done_seq < target)
		rc = ETIMEDOUT;
	pthread_mutex_unlock(&fdreap.lock);
	return -rc;
}

void fdreap_get_stats(struct fdreap_stats *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&fdreap.lock);
	for (i = 0; i < FDREAP_LANES; i++)
		s->pending += fdreap.lane[i].n + (fdreap.lane[i].busy_since_ms != 0);
	s->slow = fdreap.slow;
	s->leaked = fdreap.leaked;
	pthread_mutex_unlock(&fdreap.lock);
}

void fdreap_check(void)
{
	uint64_t now = clock_now_ms(), blocked[FDREAP_LANES] = { 0 }, waiting[FDREAP_LANES] = { 0 };
	int i;

	pthread_mutex_lock(&fdreap.lock);
	for (i = 0; i < FDREAP_LANES; i++) {
		struct fdreap_lane_state *l = &fdreap.lane[i];

		if (!l->busy_since_ms || now - l->busy_since_ms <= FDREAP_SLOW_MS)
			continue;
		blocked[i] = now - l->busy_since_ms;
		waiting[i] = l->n;
		if (l->slow_seq != l->done_seq + 1) {
			l->slow_seq = l->done_seq + 1;
			fdreap.slow++;
		}
	}
	pthread_mutex_unlock(&fdreap.lock);
	for (i = 0; i < FDREAP_LANES; i++)
		if (blocked[i] && log_ratelimit_ok(&fdreap_log_rl))
			log_warn("closing a client's descriptor has blocked %s for %llu s (a FUSE file that does not "
				 "answer, a lingering socket?); %llu more wait behind it",
				 fdreap_lane_name[i], (unsigned long long)(blocked[i] / 1000),
				 (unsigned long long)waiting[i]);
}
