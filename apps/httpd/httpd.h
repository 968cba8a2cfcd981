/* SPDX-License-Identifier: BSD-2-Clause */
/* httpd.h - what main.c hands each transport's workers: addresses, server settings, the stop flag. */
#ifndef MSTACK_HTTPD_H
#define MSTACK_HTTPD_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http_conn.h"

#define HTTPD_LISTEN_MAX 16

struct httpd_options {
	const char *socket_path; /* mstackd's control socket */
	uint32_t queues;         /* worker threads: mstack queues, or kernel listeners with SO_REUSEPORT */
	struct sockaddr_storage listen[HTTPD_LISTEN_MAX];
	uint32_t nlisten;
	struct http_server_config server;
};

extern volatile sig_atomic_t httpd_stop;

/* Milliseconds of CLOCK_MONOTONIC: the deadlines' clock. */
uint64_t httpd_now_ms(void);

/* Say on stderr that every listener is up (a transport calls it once, before serving). */
void httpd_ready(const struct httpd_options *o, const char *transport);

/* "ADDR:PORT" or "[ADDR6]:PORT" into *ss. @return 0; -EINVAL. */
int httpd_parse_listen(const char *s, struct sockaddr_storage *ss);

/* What every transport's worker starts with: its transport, its server, the outcome of its loop. */
struct httpd_worker {
	struct http_transport tr; /* first: the transport callbacks get it back */
	struct http_server srv;
	int rc;        /* 0; -errno when a failure stopped the loop */
	char err[160]; /* that failure in one line */
	pthread_t thread;
};

/**
 * Run loop on n workers, each a struct that starts with a struct
 * httpd_worker, stride bytes apart from first: worker 0 on this thread,
 * the others on threads of their own, until httpd_stop; then join them and
 * say on stderr what each served.
 * @return 0; a worker's rc (its err copied into err); -errno of pthread_create.
 */
int httpd_workers_run(void *first, size_t stride, uint32_t n, void *(*loop)(void *), char *err, size_t errlen);

/*
 * A meeting point of every worker, for work no worker may run beside (the
 * mstack session re-attaching swaps the region under every queue's stack):
 * each worker that arrives stops there; the last one runs the work, then
 * all go on. httpd_stop releases those waiting, the work is told to give up.
 */
struct httpd_rendezvous {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t n;       /* the workers that must all arrive */
	uint32_t arrived; /* this round's, so far */
	uint64_t round;   /* rounds done: a waiter leaves when it moves */
};

/* @return 0; -errno of pthread_mutex_init / pthread_cond_init. */
int httpd_rendezvous_init(struct httpd_rendezvous *r, uint32_t n);
void httpd_rendezvous_fini(struct httpd_rendezvous *r);

/**
 * Stop here until every one of the n workers has; the last to arrive runs
 * work(arg), alone, while the others wait, then releases them.
 * @return what work returned, in the worker that ran it; 0 in the others;
 *   -EINTR when httpd_stop was set while waiting (the round may not be done).
 */
int httpd_rendezvous(struct httpd_rendezvous *r, int (*work)(void *), void *arg);

/*
 * Run the server on a transport until httpd_stop, one thread per queue.
 * @return 0 after a stop; -errno after a failure, reason (one line) said into err.
 */
int httpd_run_kernel(const struct httpd_options *o, char *err, size_t errlen);
/* The kernel transport's operations on a connected, non-blocking stream socket (fd = handle). */
extern const struct http_transport_ops transport_kernel_ops;
int httpd_run_mstack(const struct httpd_options *o, char *err, size_t errlen);

#endif
