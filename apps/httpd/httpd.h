/* SPDX-License-Identifier: BSD-2-Clause */
/* httpd.h - what main.c hands each transport's workers: addresses, server settings, the stop flag. */
#ifndef MSTACK_HTTPD_H
#define MSTACK_HTTPD_H

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

/*
 * Run the server on a transport until httpd_stop, one thread per queue.
 * @return 0 after a stop; -errno after a failure, reason (one line) said into err.
 */
int httpd_run_kernel(const struct httpd_options *o, char *err, size_t errlen);
/* The kernel transport's operations on a connected, non-blocking stream socket (fd = handle). */
extern const struct http_transport_ops transport_kernel_ops;
int httpd_run_mstack(const struct httpd_options *o, char *err, size_t errlen);

#endif
