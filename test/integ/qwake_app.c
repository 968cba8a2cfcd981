/* SPDX-License-Identifier: BSD-2-Clause */
/* qwake_app.c - an application for the integration tests: one thread per queue, each asleep on its own queue's fd. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mstack/mstack.h>

/*
 * qwake_app SOCKET NQUEUES SECONDS UDP_TUPLE PEER_IPV4
 *
 * Attaches with NQUEUES (1..16) queues and MS_HELLO_F_QUEUE_WAKEUP, binds the
 * tuple, and prints for each queue Q a peer source port whose flow to the
 * tuple lands on Q (ms_flow_queue): "port q=Q PORT". Then one thread per
 * queue, for SECONDS: ms_queue_wait_prepare, poll on ms_queue_wait_fd (and
 * the control fd), ms_queue_wait_done, receive. Each time a thread's poll
 * returns because its own queue fd fired it prints "wake q=Q", and for each
 * frame it then takes "udp q=Q". A thread woken by a queue that is not its
 * own would print a wake with no frame; one that never sleeps would print
 * no wake at all: the test reads both.
 */

struct sleeper {
	struct ms_session *s;
	uint32_t q;
	time_t end;
};

static void *sleeper_run(void *arg)
{
	struct sleeper *z = arg;

	while (time(NULL) < z->end) {
		struct pollfd p[2] = { { .fd = ms_queue_wait_fd(z->s, z->q), .events = POLLIN },
				       { .fd = ms_ctl_fd(z->s), .events = POLLIN } };
		struct ms_pkt pkts[32];
		unsigned n, k;

		if (ms_queue_wait_prepare(z->s, z->q) == 0) {
			if (poll(p, 2, 1000) > 0 && (p[0].revents & POLLIN))
				printf("wake q=%u\n", z->q);
			if (p[1].revents & (POLLHUP | POLLERR)) {
				printf("mstackd went away\n");
				return NULL;
			}
		}
		ms_queue_wait_done(z->s, z->q);
		n = ms_rx_burst(z->s, z->q, pkts, 32);
		for (k = 0; k < n; k++)
			printf("udp q=%u len=%u\n", z->q, pkts[k].len);
		ms_rx_release(z->s, z->q, n);
		fflush(stdout);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "qwake", .flags = MS_HELLO_F_QUEUE_WAKEUP | MS_ATTACH_F_NO_REATTACH };
	struct sleeper z[16];
	pthread_t th[16];
	struct ms_session *s;
	struct ms_tuple t;
	uint8_t peer[4];
	uint32_t q, found = 0;
	time_t end;
	int rc;

	if (argc != 6) {
		fprintf(stderr, "usage: qwake_app SOCKET NQUEUES SECONDS UDP_TUPLE PEER_IPV4\n");
		return 2;
	}
	o.nqueues = (uint16_t)atoi(argv[2]);
	end = time(NULL) + atoi(argv[3]);
	if (o.nqueues < 1 || o.nqueues > 16 || inet_pton(AF_INET, argv[5], peer) != 1) {
		fprintf(stderr, "qwake_app: bad NQUEUES or PEER_IPV4\n");
		return 2;
	}
	if ((rc = ms_attach(argv[1], &o, &s)) < 0) {
		fprintf(stderr, "qwake_app: %s\n", ms_strerror(rc));
		return 1;
	}
	if ((rc = ms_tuple_parse("udp", argv[4], &t)) < 0 || (rc = ms_bind(s, &t)) < 0) {
		fprintf(stderr, "qwake_app: %s: %s\n", argv[4], ms_strerror(rc));
		return 1;
	}
	/* A source port per queue, the first from 40000 up whose flow hash names it. */
	for (uint32_t port = 40000; port < 65536 && found < (1u << o.nqueues) - 1; port++) {
		q = ms_flow_queue(s, &t, peer, (uint16_t)port);
		if (!(found & (1u << q))) {
			found |= 1u << q;
			printf("port q=%u %u\n", q, port);
		}
	}
	printf("ready app %u queues %u\n", ms_app_id(s), ms_nqueues(s));
	fflush(stdout);
	for (q = 0; q < ms_nqueues(s); q++) {
		z[q] = (struct sleeper){ .s = s, .q = q, .end = end };
		if (pthread_create(&th[q], NULL, sleeper_run, &z[q]) != 0) {
			fprintf(stderr, "qwake_app: pthread_create: %s\n", strerror(errno));
			return 1;
		}
	}
	for (q = 0; q < ms_nqueues(s); q++)
		pthread_join(th[q], NULL);
	ms_detach(s);
	return 0;
}
