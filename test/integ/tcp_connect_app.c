/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_connect_app.c - active opens on libmstack-tcp over several queues: connect, send, read the echo back, check. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mstack/mstack.h>
#include <mstack/tcp.h>

#define MAXQ     8
#define MAXCONNS 256

/*
 * Usage: tcp_connect_app SOCKET QUEUES LOCAL_ADDR REMOTE:PORT CONNS BYTES [threads]
 * Opens CONNS connections from LOCAL_ADDR (port picked by the stack), spread
 * over QUEUES stack instances in turn, each sending BYTES of a pattern of its
 * own to an echo server and checking what comes back. A connection whose
 * local port sent its frames to another queue than its stack's is reset by
 * that queue's stack and fails the run. Prints "ok" and the connections per
 * queue; exits 1 with a reason on any failure or after 20 s.
 * With "threads": attaches with MS_HELLO_F_QUEUE_WAKEUP and runs each
 * instance on a thread of its own, which sleeps on its ms_tcp_fd whenever it
 * has nothing to do; prints the sleeps per queue too ("sleeps: S0 S1 ...").
 */
struct conn {
	struct ms_tcp_stack *st;
	int h;
	uint32_t sent, got, id;
	int done;
};

static uint8_t pattern(uint32_t id, uint32_t off)
{
	return (uint8_t)(off * 7 + id * 13);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tcp_connect_app: %s: %s\n", what, ms_strerror(err));
	exit(1);
}

static void pump(struct conn *c, uint32_t bytes)
{
	uint8_t buf[8192];
	ssize_t n;

	while (c->sent < bytes) {
		uint32_t k = bytes - c->sent < sizeof(buf) ? bytes - c->sent : sizeof(buf);

		for (uint32_t i = 0; i < k; i++)
			buf[i] = pattern(c->id, c->sent + i);
		n = ms_tcp_send(c->st, c->h, buf, k);
		if (n == -EAGAIN || n == -ENOTCONN)
			break;
		if (n < 0)
			die("send", (int)n);
		c->sent += (uint32_t)n;
	}
	while ((n = ms_tcp_recv(c->st, c->h, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(c->id, c->got + (uint32_t)i)) {
				fprintf(stderr, "tcp_connect_app: connection %u: wrong byte at %u\n", c->id,
					c->got + (uint32_t)i);
				exit(1);
			}
		c->got += (uint32_t)n;
	}
	if (n == 0 || (n < 0 && n != -EAGAIN && n != -ENOTCONN))
		die("recv before the whole echo", n == 0 ? -EPIPE : (int)n);
	if (c->got == bytes && !c->done) {
		c->done = 1;
		ms_tcp_close(c->st, c->h);
	}
}

/* One instance on its own thread: its connections (conns[q], conns[q + nq], ...), sleeping on ms_tcp_fd when idle. */
struct queue_thread {
	struct ms_tcp_stack *st;
	struct conn *conns;
	uint32_t q, nq, nconns, bytes, sleeps;
	time_t deadline;
};

static void *queue_thread_run(void *arg)
{
	struct queue_thread *t = arg;
	uint32_t mine = 0, done = 0;

	for (uint32_t i = t->q; i < t->nconns; i += t->nq)
		mine++;
	while (done < mine) {
		struct ms_tcp_event ev[64];
		int k = ms_tcp_poll(t->st, ev, 64);

		if (time(NULL) > t->deadline) {
			fprintf(stderr, "tcp_connect_app: queue %u: %u of %u connections done after 20 s\n", t->q, done,
				mine);
			exit(1);
		}
		if (k < 0)
			die("poll", k);
		for (int e = 0; e < k; e++) {
			struct conn *c = ev[e].udata;

			if (!c || c->done)
				continue;
			if (ev[e].events & MS_TCP_EV_ERROR)
				die("connection", ms_tcp_error(t->st, c->h));
			pump(c, t->bytes);
			done += (uint32_t)c->done;
		}
		if (k == 0 && ms_tcp_wait_prepare(t->st) == 0) {
			struct pollfd p = { .fd = ms_tcp_fd(t->st), .events = POLLIN };
			int timeout = ms_tcp_timeout(t->st);

			poll(&p, 1, timeout < 0 || timeout > 1000 ? 1000 : timeout);
			t->sleeps++;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct conn conns[MAXCONNS];
	struct ms_tcp_stack *st[MAXQ];
	struct ms_tcp_addr local, remote;
	struct ms_session *s;
	uint32_t nq, nconns, bytes, per_q[MAXQ] = { 0 }, done = 0;
	time_t deadline = time(NULL) + 20;
	struct queue_thread qt[MAXQ];
	pthread_t th[MAXQ];
	int rc, threads = argc == 8 && strcmp(argv[7], "threads") == 0;

	if (argc != 7 && !threads) {
		fprintf(stderr, "usage: tcp_connect_app SOCKET QUEUES LOCAL_ADDR REMOTE:PORT CONNS BYTES [threads]\n");
		return 2;
	}
	nq = (uint32_t)atoi(argv[2]);
	nconns = (uint32_t)atoi(argv[5]);
	bytes = (uint32_t)atoi(argv[6]);
	if (nq < 1 || nq > MAXQ || nconns < 1 || nconns > MAXCONNS)
		return 2;
	if (ms_tcp_addr_parse(argv[4], &remote) < 0)
		return 2;
	/* LOCAL_ADDR has no port: parse it with one. */
	char lbuf[80];
	snprintf(lbuf, sizeof(lbuf), remote.family == AF_INET6 ? "[%s]:0" : "%s:0", argv[3]);
	if (ms_tcp_addr_parse(lbuf, &local) < 0)
		return 2;
	/* Instances on several threads: each sleeps on its own queue, and none re-attaches behind the others' backs. */
	rc = ms_attach(
	    argv[1],
	    &(struct ms_attach_opts){ .name = "tcp_connect_app",
				      .nqueues = (uint16_t)nq,
				      .flags = threads ? MS_HELLO_F_QUEUE_WAKEUP | MS_ATTACH_F_NO_REATTACH : 0 },
	    &s);
	if (rc < 0)
		die("attach", rc);
	for (uint32_t q = 0; q < nq; q++)
		if ((rc = ms_tcp_stack_new(s, q, NULL, &st[q])) < 0)
			die("stack", rc);
	for (uint32_t i = 0; i < nconns; i++) {
		conns[i] = (struct conn){ .st = st[i % nq], .id = i };
		conns[i].h = ms_tcp_connect(conns[i].st, &local, &remote, &conns[i]);
		if (conns[i].h < 0)
			die("connect", conns[i].h);
		per_q[i % nq]++;
	}
	if (threads) {
		for (uint32_t q = 0; q < nq; q++) {
			qt[q] = (struct queue_thread){ .st = st[q],
						       .conns = conns,
						       .q = q,
						       .nq = nq,
						       .nconns = nconns,
						       .bytes = bytes,
						       .deadline = deadline };
			if (pthread_create(&th[q], NULL, queue_thread_run, &qt[q]) != 0)
				die("pthread_create", -EAGAIN);
		}
		for (uint32_t q = 0; q < nq; q++)
			pthread_join(th[q], NULL);
		done = nconns;
	}
	while (done < nconns) {
		struct ms_tcp_event ev[64];
		int n = 0;

		if (time(NULL) > deadline) {
			fprintf(stderr, "tcp_connect_app: %u of %u connections done after 20 s\n", done, nconns);
			return 1;
		}
		for (uint32_t q = 0; q < nq; q++) {
			int k = ms_tcp_poll(st[q], ev, 64);

			if (k < 0)
				die("poll", k);
			n += k;
			for (int e = 0; e < k; e++) {
				struct conn *c = ev[e].udata;

				if (!c || c->done)
					continue;
				if (ev[e].events & MS_TCP_EV_ERROR)
					die("connection", ms_tcp_error(st[q], c->h));
				pump(c, bytes);
				done += (uint32_t)c->done;
			}
		}
		if (n == 0)
			usleep(200);
	}
	printf("ok %u connections, %u bytes each echoed intact; per queue:", nconns, bytes);
	for (uint32_t q = 0; q < nq; q++)
		printf(" %u", per_q[q]);
	if (threads) {
		printf("; sleeps:");
		for (uint32_t q = 0; q < nq; q++)
			printf(" %u", qt[q].sleeps);
	}
	printf("\n");
	for (uint32_t q = 0; q < nq; q++)
		ms_tcp_stack_free(st[q]);
	ms_detach(s);
	return 0;
}
