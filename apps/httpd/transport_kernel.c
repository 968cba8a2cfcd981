/* SPDX-License-Identifier: BSD-2-Clause */
/* transport_kernel.c - the server on the kernel's TCP: epoll, edge-triggered, non-blocking sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netdb.h>
#include <unistd.h>

#include "httpd.h"

#define TK_EVENTS          256
#define TK_ACCEPT_RETRY_MS 100

/* One worker: a thread with its own epoll, listeners (SO_REUSEPORT spreads connections) and server. */
struct tk_worker {
	struct httpd_worker hw; /* first: the transport callbacks get it back */
	const struct httpd_options *o;
	int epfd;
	int lfd[HTTPD_LISTEN_MAX];
	bool accept_pending; /* connections may wait in a backlog we stopped draining */
	uint64_t accept_retry_ms;
};

static ssize_t tk_recv(struct http_transport *t, int fd, void *buf, size_t len)
{
	ssize_t n;

	(void)t;
	do
		n = recv(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : n;
}

static ssize_t tk_sendv(struct http_transport *t, int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t n;

	(void)t;
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : n;
}

static ssize_t tk_sendfile(struct http_transport *t, int fd, int file, off_t offset, size_t len)
{
	ssize_t n;

	(void)t;
	do
		n = sendfile(fd, file, &offset, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : n;
}

static int tk_shutdown(struct http_transport *t, int fd)
{
	(void)t;
	return shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
}

static void tk_close(struct http_transport *t, int fd, bool reset)
{
	(void)t;
	if (reset) {
		/* SO_LINGER 0: close sends RST and frees the socket's buffers at once. */
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(fd);
}

const struct http_transport_ops transport_kernel_ops = {
	.recv = tk_recv,
	.sendv = tk_sendv,
	.sendfile = tk_sendfile,
	.shutdown = tk_shutdown,
	.close = tk_close,
};

static int tk_listen(const struct sockaddr_storage *ss, bool reuseport)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1, fd, rc;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 4096) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Accept what the backlog holds, as far as the server takes it. */
static void tk_accept(struct tk_worker *w, int lfd, uint64_t now)
{
	int one = 1;

	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
		struct http_conn *c;
		int fd;

		if (http_server_full(&w->hw.srv)) {
			w->accept_pending = true; /* retried when a connection closes */
			return;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: out of something; try again a little later. */
			w->accept_pending = true;
			w->accept_retry_ms = now + TK_ACCEPT_RETRY_MS;
			return;
		}
		/* A response is one sendmsg; the last segment of one must not wait for an ACK (Nagle). */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = http_conn_open(&w->hw.srv, fd, now);
		if (!c) {
			tk_close(&w->hw.tr, fd, true);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			http_conn_event(c, HTTP_EV_ERROR, now);
	}
}

/* Listeners are tagged by their index in the low bits of an odd u64; connections are pointers. */
static void *tk_loop(void *arg)
{
	struct tk_worker *w = arg;
	struct epoll_event ev[TK_EVENTS];

	while (!httpd_stop) {
		uint64_t now = httpd_now_ms();
		int timeout = http_server_timeout(&w->hw.srv, now), n;

		if (w->accept_pending && (timeout < 0 || timeout > TK_ACCEPT_RETRY_MS))
			timeout = TK_ACCEPT_RETRY_MS;
		if (timeout < 0 || timeout > 1000)
			timeout = 1000; /* look at httpd_stop now and then */
		n = epoll_wait(w->epfd, ev, TK_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			w->hw.rc = -errno;
			snprintf(w->hw.err, sizeof(w->hw.err), "epoll_wait: %s", strerror(errno));
			break;
		}
		now = httpd_now_ms();
		for (int i = 0; i < n; i++) {
			uint32_t e = ev[i].events, he = 0;

			if (ev[i].data.u64 & 1) {
				tk_accept(w, w->lfd[ev[i].data.u64 >> 1], now);
				continue;
			}
			if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
				he |= HTTP_EV_READ;
			if (e & (EPOLLOUT | EPOLLHUP))
				he |= HTTP_EV_WRITE;
			if (e & EPOLLERR)
				he |= HTTP_EV_ERROR;
			http_conn_event(ev[i].data.ptr, he, now);
		}
		if (w->accept_pending && !http_server_full(&w->hw.srv) && now >= w->accept_retry_ms) {
			w->accept_pending = false;
			for (uint32_t l = 0; l < w->o->nlisten; l++)
				tk_accept(w, w->lfd[l], now);
		}
		http_server_run(&w->hw.srv, now);
	}
	return NULL;
}

static void tk_worker_fini(struct tk_worker *w)
{
	http_server_fini(&w->hw.srv);
	for (uint32_t l = 0; l < w->o->nlisten; l++)
		if (w->lfd[l] >= 0)
			close(w->lfd[l]);
	if (w->epfd >= 0)
		close(w->epfd);
}

static int tk_worker_init(struct tk_worker *w, const struct httpd_options *o)
{
	char addr[64];
	int rc;

	w->o = o;
	w->hw.tr.ops = &transport_kernel_ops;
	w->epfd = -1;
	for (uint32_t l = 0; l < HTTPD_LISTEN_MAX; l++)
		w->lfd[l] = -1;
	rc = http_server_init(&w->hw.srv, &w->hw.tr, &o->server);
	if (rc < 0) {
		snprintf(w->hw.err, sizeof(w->hw.err), "out of memory");
		return rc;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		rc = -errno;
		snprintf(w->hw.err, sizeof(w->hw.err), "epoll_create1: %s", strerror(-rc));
		return rc;
	}
	for (uint32_t l = 0; l < o->nlisten; l++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)l << 1 | 1 };

		w->lfd[l] = tk_listen(&o->listen[l], o->queues > 1);
		if (w->lfd[l] < 0) {
			rc = w->lfd[l];
			char port[8];

			getnameinfo((const struct sockaddr *)&o->listen[l], sizeof(o->listen[l]), addr, sizeof(addr),
				    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
			snprintf(w->hw.err, sizeof(w->hw.err), "cannot listen on %s port %s: %s", addr, port,
				 strerror(-rc));
			return rc;
		}
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd[l], &ev) < 0) {
			rc = -errno;
			snprintf(w->hw.err, sizeof(w->hw.err), "epoll_ctl: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int httpd_run_kernel(const struct httpd_options *o, char *err, size_t errlen)
{
	struct tk_worker *w = calloc(o->queues, sizeof(*w));
	uint32_t q;
	int rc = 0;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (q = 0; q < o->queues; q++) {
		rc = tk_worker_init(&w[q], o);
		if (rc < 0) {
			snprintf(err, errlen, "%s", w[q].hw.err);
			q++;
			goto out;
		}
	}
	httpd_ready(o, "the kernel's TCP");
	rc = httpd_workers_run(w, sizeof(*w), o->queues, tk_loop, err, errlen);
out:
	while (q-- > 0)
		tk_worker_fini(&w[q]);
	free(w);
	return rc;
}
