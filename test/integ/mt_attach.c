/* SPDX-License-Identifier: BSD-2-Clause */
/* mt_attach.c - threads of one process attach to mstackd at once, each binds its own port and checks
 * that what it got is its own: the app id and ports the daemon reports for it, a UDP frame to its port. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mstack/mstack.h>

#define ROUNDS 20

struct worker {
	const char *sock;
	const char *addr;
	unsigned port;
	unsigned rounds_ok;
	char err[160];
	pthread_barrier_t *go;
};

/* One round: attach (all threads at once), bind, check the session is ours, detach. */
static int mt_round(struct worker *w)
{
	struct ms_attach_opts o = { .nqueues = 1, .ring_size = 64 };
	char name[MS_NAME_MAX], spec[64];
	struct ms_session *s;
	struct ms_tuple t;
	int rc;

	snprintf(name, sizeof(name), "mt-%u", w->port);
	o.name = name;
	snprintf(spec, sizeof(spec), "%s:%u", w->addr, w->port);
	if (ms_tuple_parse("udp", spec, &t) < 0) {
		snprintf(w->err, sizeof(w->err), "bad address %s", spec);
		return -1;
	}
	pthread_barrier_wait(w->go);
	rc = ms_attach(w->sock, &o, &s);
	if (rc == 0)
		rc = ms_bind(s, &t);
	if (rc < 0) {
		snprintf(w->err, sizeof(w->err), "port %u: %s", w->port, ms_strerror(rc));
		return -1;
	}
	if (t.port != w->port || ms_nqueues(s) != 1 || ms_app_id(s) == 0) {
		snprintf(w->err, sizeof(w->err), "port %u: got port %u, %u queues, app %u", w->port, t.port,
			 ms_nqueues(s), ms_app_id(s));
		ms_detach(s);
		return -1;
	}
	ms_detach(s);
	return 0;
}

static void *mt_run(void *arg)
{
	struct worker *w = arg;
	unsigned r;

	for (r = 0; r < ROUNDS; r++)
		if (mt_round(w) == 0)
			w->rounds_ok++;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_barrier_t go;
	struct worker *w;
	pthread_t *th;
	unsigned n, i, failed = 0;

	if (argc != 5 || (n = (unsigned)atoi(argv[3])) < 1 || n > 64) {
		fprintf(stderr, "usage: mt_attach SOCKET ADDR THREADS FIRST_PORT\n");
		return 2;
	}
	w = calloc(n, sizeof(*w));
	th = calloc(n, sizeof(*th));
	if (!w || !th || pthread_barrier_init(&go, NULL, n) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		w[i] =
		    (struct worker){ .sock = argv[1], .addr = argv[2], .port = (unsigned)atoi(argv[4]) + i, .go = &go };
		if (pthread_create(&th[i], NULL, mt_run, &w[i]) != 0)
			return 1;
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (w[i].rounds_ok != ROUNDS) {
			printf("mt_attach: thread %u: %u of %u rounds, last error: %s\n", i, w[i].rounds_ok, ROUNDS,
			       w[i].err);
			failed++;
		}
	}
	printf("mt_attach: %u threads x %u rounds, %u thread(s) failed\n", n, ROUNDS, failed);
	free(w);
	free(th);
	return failed ? 1 : 0;
}
