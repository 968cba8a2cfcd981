/* SPDX-License-Identifier: BSD-2-Clause */
/* transport_mstack.c - the server on libmstack-tcp: one stack instance per mstack queue, one thread each. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mstack/mstack.h>
#include <mstack/tcp.h>

#include "httpd.h"

#define TM_EVENTS        256
#define TM_TIME_WAIT_MAX 262144 /* connections closed by us that the stack keeps in TIME_WAIT */

/*
 * A worker drives one stack instance: ms_tcp_poll runs the protocol and
 * returns events, the HTTP connections answer them, and when there is
 * nothing to do the worker sleeps on its stack's fd (its own queue's wakeup
 * eventfd: the session is attached with MS_HELLO_F_QUEUE_WAKEUP, so workers
 * neither drain each other's wakeups nor wake for each other's frames)
 * until the stack's next timer or the server's next deadline, whichever is
 * first. Connections are found by handle (handles are small, like fds).
 */
struct tm_worker {
	struct httpd_worker hw; /* first: the transport callbacks get it back */
	struct ms_session *s;
	struct ms_tcp_stack *st;
	uint32_t q;
	int lh[HTTPD_LISTEN_MAX];
	uint32_t nl;
	char ltag[HTTPD_LISTEN_MAX]; /* listener i's udata is &ltag[i] */
	struct http_conn **conns;
	size_t nconns_cap;
	bool accept_pending;
	struct httpd_rendezvous *restart; /* several queues: where the workers meet to re-attach; NULL with one */
};

static struct tm_worker *tm_of(struct http_transport *t)
{
	return (struct tm_worker *)t;
}

static ssize_t tm_recv(struct http_transport *t, int h, void *buf, size_t len)
{
	return ms_tcp_recv(tm_of(t)->st, h, buf, len);
}

/* ms_tcp_send takes one buffer: offer each in turn, stop at the first that is not taken whole. */
static ssize_t tm_sendv(struct http_transport *t, int h, const struct iovec *iov, int iovcnt)
{
	ssize_t total = 0;

	for (int i = 0; i < iovcnt; i++) {
		ssize_t n = ms_tcp_send(tm_of(t)->st, h, iov[i].iov_base, iov[i].iov_len);

		if (n < 0)
			return total > 0 ? total : n;
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return total;
}

static ssize_t tm_sendfile(struct http_transport *t, int h, int fd, off_t offset, size_t len)
{
	return ms_tcp_sendfile(tm_of(t)->st, h, fd, offset, len);
}

static int tm_shutdown(struct http_transport *t, int h)
{
	return ms_tcp_shutdown(tm_of(t)->st, h, SHUT_WR);
}

static void tm_close(struct http_transport *t, int h, bool reset)
{
	struct tm_worker *w = tm_of(t);

	if (reset)
		ms_tcp_abort(w->st, h);
	else
		ms_tcp_close(w->st, h);
	if ((size_t)h < w->nconns_cap)
		w->conns[h] = NULL;
}

static const struct http_transport_ops tm_ops = {
	.recv = tm_recv,
	.sendv = tm_sendv,
	.sendfile = tm_sendfile,
	.shutdown = tm_shutdown,
	.close = tm_close,
};

static int tm_slot(struct tm_worker *w, int h)
{
	if ((size_t)h >= w->nconns_cap) {
		size_t cap = w->nconns_cap ? w->nconns_cap : 1024;
		struct http_conn **n;

		while (cap <= (size_t)h)
			cap *= 2;
		n = realloc(w->conns, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + w->nconns_cap, 0, (cap - w->nconns_cap) * sizeof(*n));
		w->conns = n;
		w->nconns_cap = cap;
	}
	return 0;
}

static void tm_accept(struct tm_worker *w, int l, uint64_t now)
{
	for (;;) {
		struct http_conn *c;
		int h;

		if (http_server_full(&w->hw.srv)) {
			w->accept_pending = true;
			return;
		}
		h = ms_tcp_accept(w->st, l, NULL, NULL);
		if (h < 0)
			return; /* -EAGAIN: none left */
		if (tm_slot(w, h) < 0 || !(c = http_conn_open(&w->hw.srv, h, now))) {
			ms_tcp_abort(w->st, h);
			continue;
		}
		ms_tcp_setopt(w->st, h, MS_TCP_NODELAY, 1);
		w->conns[h] = c;
		/* Established: a request may already be there, and the send buffer is empty. */
		http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, now);
	}
}

static void tm_sleep(struct tm_worker *w, uint64_t now)
{
	struct pollfd pfd = { .fd = ms_tcp_fd(w->st), .events = POLLIN };
	int a = ms_tcp_timeout(w->st), b = http_server_timeout(&w->hw.srv, now), t;

	if (ms_tcp_wait_prepare(w->st) != 0)
		return; /* the stack has work, or frames are there */
	t = a < 0 ? b : (b < 0 || a < b ? a : b);
	if (w->accept_pending && (t < 0 || t > 100))
		t = 100;
	if (t < 0 || t > 1000)
		t = 1000; /* look at httpd_stop now and then */
	poll(&pfd, 1, t);
}

/*
 * mstackd went away (docs/tcp.md, "Restarts of mstackd"): attach to the one
 * that comes back, while every worker waits at the rendezvous, so no stack
 * polls while the region is swapped. ms_reattach backs off by itself (20 ms
 * while nothing listens, 10 ms doubling to 1 s after a refusal): keep trying
 * until it works or the server is told to stop. Each stack sees the new
 * attachment at its next ms_tcp_poll (ms_attach_gen) and carries on with
 * its connections.
 */
static int tm_reattach(void *arg)
{
	struct ms_session *s = arg;

	while (!httpd_stop) {
		int rc = ms_reattach(s, 100);

		if (rc >= 0) {
			fprintf(stderr, "mstack-httpd: mstackd is back: re-attached, every queue resumes\n");
			return 0;
		}
	}
	return -EINTR;
}

static void *tm_loop(void *arg)
{
	struct tm_worker *w = arg;
	struct ms_tcp_event ev[TM_EVENTS];

	while (!httpd_stop) {
		int n = ms_tcp_poll(w->st, ev, TM_EVENTS);
		uint64_t now = httpd_now_ms();

		if (n == -ECONNRESET && w->restart) {
			/* Poll no more: wait for the others, and for the one that re-attaches. */
			httpd_rendezvous(w->restart, tm_reattach, w->s);
			continue;
		}
		if (n < 0) {
			w->hw.rc = n;
			snprintf(w->hw.err, sizeof(w->hw.err), "queue %u: mstackd closed the session: %s", w->q,
				 ms_strerror(n));
			httpd_stop = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t e = ev[i].events, he = 0;
			struct http_conn *c;

			if (ev[i].udata) {
				if (e & MS_TCP_EV_ACCEPT)
					tm_accept(w, w->lh[(char *)ev[i].udata - w->ltag], now);
				continue;
			}
			if ((size_t)ev[i].handle >= w->nconns_cap || !(c = w->conns[ev[i].handle]))
				continue; /* closed by us in this batch */
			if (e & (MS_TCP_EV_READ | MS_TCP_EV_CLOSED))
				he |= HTTP_EV_READ;
			if (e & MS_TCP_EV_WRITE)
				he |= HTTP_EV_WRITE;
			if (e & MS_TCP_EV_ERROR)
				he |= HTTP_EV_ERROR;
			http_conn_event(c, he, now);
		}
		if (w->accept_pending && !http_server_full(&w->hw.srv)) {
			w->accept_pending = false;
			for (uint32_t l = 0; l < w->nl; l++)
				tm_accept(w, w->lh[l], now);
		}
		http_server_run(&w->hw.srv, now);
		if (n == 0)
			tm_sleep(w, now);
	}
	return NULL;
}

static void tm_addr(const struct sockaddr_storage *ss, struct ms_tcp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->port = ntohs(s6->sin6_port);
		memcpy(a->addr, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
	}
}

/*
 * The stack counts connections of every state. This server closes first
 * (after "Connection: close" and HTTP/1.0), so each such connection then
 * spends TIME_WAIT (60 s) in the stack. With room for only the stack's
 * default 4096, one request per connection at a few thousand requests/s
 * fills it within seconds and new connections are reset. 262 144 (the
 * kernel's usual tcp_max_tw_buckets) lasts at about 4 400 closes/s; beyond,
 * the stack would need what the kernel does: a compact TIME_WAIT, or none
 * past the bound (RFC 6191 reuse of a TIME_WAIT by a new SYN helps too).
 */
static uint32_t tm_stack_conns(const struct httpd_options *o)
{
	uint32_t open = o->server.max_conns ? o->server.max_conns : 10240;

	return open + TM_TIME_WAIT_MAX;
}

static int tm_worker_init(struct tm_worker *w, struct ms_session *s, uint32_t q, const struct httpd_options *o)
{
	char host[64];
	int rc;

	w->hw.tr.ops = &tm_ops;
	w->s = s;
	w->q = q;
	rc = http_server_init(&w->hw.srv, &w->hw.tr, &o->server);
	if (rc < 0) {
		snprintf(w->hw.err, sizeof(w->hw.err), "out of memory");
		return rc;
	}
	rc = ms_tcp_stack_new(s, q, &(struct ms_tcp_config){ .max_conns = tm_stack_conns(o) }, &w->st);
	if (rc < 0) {
		snprintf(w->hw.err, sizeof(w->hw.err), "queue %u: cannot start the TCP stack: %s", q, ms_strerror(rc));
		return rc;
	}
	for (uint32_t l = 0; l < o->nlisten; l++) {
		struct ms_tcp_addr a;

		tm_addr(&o->listen[l], &a);
		rc = ms_tcp_listen(w->st, &a, 4096, &w->ltag[l]);
		if (rc < 0) {
			getnameinfo((const struct sockaddr *)&o->listen[l], sizeof(o->listen[l]), host, sizeof(host),
				    NULL, 0, NI_NUMERICHOST);
			snprintf(w->hw.err, sizeof(w->hw.err), "cannot listen on %s port %u: %s", host, a.port,
				 ms_strerror(rc));
			return rc;
		}
		w->lh[w->nl++] = rc;
	}
	return 0;
}

/* At the stop: the stack's non-zero counters, one line per queue (retransmissions, drops... say what a run met). */
static void tm_print_counters(const struct tm_worker *w)
{
	struct ms_tcp_counter c[64];
	int n = ms_tcp_counters(w->st, c, 64);

	fprintf(stderr, "mstack-httpd: queue %u tcp:", w->q);
	for (int i = 0; i < n && i < 64; i++)
		if (c[i].value)
			fprintf(stderr, " %s=%" PRIu64, c[i].name, c[i].value);
	fputc('\n', stderr);
}

static void tm_worker_fini(struct tm_worker *w)
{
	if (w->st)
		tm_print_counters(w);
	http_server_fini(&w->hw.srv);
	ms_tcp_stack_free(w->st); /* closes the listeners and releases the bindings */
	free(w->conns);
}

int httpd_run_mstack(const struct httpd_options *o, char *err, size_t errlen)
{
	/*
	 * Stack instances on several threads must not poll while one of them
	 * re-attaches (the region is swapped under every queue, docs/tcp.md):
	 * with several queues, every ms_tcp_poll answers -ECONNRESET when
	 * mstackd goes away, and the workers meet to re-attach (tm_reattach).
	 * With one, the stack re-attaches by itself inside ms_tcp_poll.
	 */
	struct ms_attach_opts ao = { .name = "mstack-httpd",
				     .nqueues = (uint16_t)o->queues,
				     .flags = MS_HELLO_F_QUEUE_WAKEUP | (o->queues > 1 ? MS_ATTACH_F_NO_REATTACH : 0) };
	struct httpd_rendezvous restart;
	struct ms_session *s = NULL;
	struct tm_worker *w;
	uint32_t q;
	int rc;

	rc = ms_attach(o->socket_path, &ao, &s);
	if (rc < 0) {
		snprintf(err, errlen, "cannot attach to mstackd at %s: %s",
			 o->socket_path ? o->socket_path : MS_DEFAULT_SOCKET, ms_strerror(rc));
		return rc;
	}
	rc = httpd_rendezvous_init(&restart, o->queues);
	if (rc < 0) {
		ms_detach(s);
		snprintf(err, errlen, "cannot start the workers: %s", strerror(-rc));
		return rc;
	}
	w = calloc(o->queues, sizeof(*w));
	if (!w) {
		httpd_rendezvous_fini(&restart);
		ms_detach(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (q = 0; q < o->queues; q++) {
		w[q].restart = o->queues > 1 ? &restart : NULL;
		rc = tm_worker_init(&w[q], s, q, o);
		if (rc < 0) {
			snprintf(err, errlen, "%s", w[q].hw.err);
			q++;
			goto out;
		}
	}
	rc = 0;
	httpd_ready(o, "mstack TCP");
	rc = httpd_workers_run(w, sizeof(*w), o->queues, tm_loop, err, errlen);
out:
	while (q-- > 0)
		tm_worker_fini(&w[q]);
	free(w);
	httpd_rendezvous_fini(&restart);
	ms_detach(s);
	return rc;
}
