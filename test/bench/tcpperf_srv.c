/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpperf_srv.c - the TCP benchmark's server: sink, source and echo over libmstack-tcp or kernel sockets. */
/*
 * One program, two transports, so that only the stack differs between the two
 * measurements (test/bench/tcp.sh): the same single-threaded event loop, the
 * same buffers, the same per-connection logic, driven either by ms_tcp_poll
 * (libmstack-tcp on one mstackd queue, sleeping on the wakeup fd when idle) or
 * by epoll on non-blocking kernel sockets (edge-triggered, because
 * libmstack-tcp's events are edge style too: each handler works until EAGAIN).
 *
 * It listens on three ports, one per behaviour:
 *   PORT     sink:   read and discard until end of stream (bulk, client to server)
 *   PORT + 1 source: write without end until the peer goes (bulk, server to client)
 *   PORT + 2 echo:   send back every byte, close after the peer's FIN (setup rate)
 * It prints "ready" once listening, and its counters when SIGTERM or SIGINT ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mstack/mstack.h>
#include <mstack/tcp.h>

#define PERF_EVENTS  256
#define PERF_CHUNK   65536 /* bytes per recv or send call */
#define PERF_WAIT_MS 200   /* longest sleep, so that a stop signal is seen even without traffic */
/* The congestion control of both stacks (their defaults differ: NewReno, and the host's, often BBR). */
#define PERF_CC "cubic"

enum perf_mode { PERF_SINK, PERF_SOURCE, PERF_ECHO, PERF_NMODES };
static const char *const perf_mode_name[PERF_NMODES] = { "sink", "source", "echo" };

#define PERF_EV_IO     0x1u /* a connection may read or write */
#define PERF_EV_ACCEPT 0x2u /* a listener has connections waiting */

struct perf_ev {
	int handle;
	uint32_t events;
};

struct perf_srv;

/* What differs between the stacks: nothing else does. Each call returns -errno like libmstack-tcp. */
struct perf_transport {
	const char *name;
	int (*open)(struct perf_srv *p, const char *socket_path, unsigned max_conns);
	int (*listen)(struct perf_srv *p, const char *addr, uint16_t port);
	/* Wait for events (at most PERF_WAIT_MS); returns how many, 0 on a timeout or signal. */
	int (*wait)(struct perf_srv *p, struct perf_ev *ev, int max);
	int (*accept)(struct perf_srv *p, int listener);
	ssize_t (*recv)(struct perf_srv *p, int h, void *buf, size_t len);
	ssize_t (*send)(struct perf_srv *p, int h, const void *buf, size_t len);
	void (*close)(struct perf_srv *p, int h, bool reset);
	void (*free)(struct perf_srv *p);
};

enum perf_kind { PERF_FREE, PERF_LISTENER, PERF_CONN };

struct perf_slot {
	enum perf_kind kind;
	enum perf_mode mode;
	uint32_t pending; /* echo: received bytes the send buffer did not take yet */
	uint8_t *buf;     /* echo: PERF_CHUNK bytes while pending > 0 */
};

struct perf_srv {
	const struct perf_transport *tp;
	struct perf_slot *slots; /* by handle (mstack handle or kernel fd) */
	size_t nslots;
	/* libmstack-tcp */
	struct ms_session *session;
	struct ms_tcp_stack *st;
	/* kernel */
	int epfd;
	/* counters */
	uint64_t accepted, closed, resets, bytes_in, bytes_out;
};

static volatile sig_atomic_t perf_stop;

static void perf_on_signal(int sig)
{
	(void)sig;
	perf_stop = 1;
}

static uint8_t perf_data[PERF_CHUNK]; /* what source mode sends: its content does not matter */

static struct perf_slot *perf_slot(struct perf_srv *p, int h)
{
	if (h < 0)
		return NULL;
	if ((size_t)h >= p->nslots) {
		size_t n = p->nslots ? p->nslots : 1024;
		struct perf_slot *s;

		while (n <= (size_t)h)
			n *= 2;
		s = realloc(p->slots, n * sizeof(*s));
		if (!s)
			return NULL;
		memset(s + p->nslots, 0, (n - p->nslots) * sizeof(*s));
		p->slots = s;
		p->nslots = n;
	}
	return &p->slots[h];
}

/* --- libmstack-tcp ------------------------------------------------------------------------ */

static int perf_ms_open(struct perf_srv *p, const char *socket_path, unsigned max_conns)
{
	struct ms_attach_opts opts = { .name = "tcpperf_srv", .nqueues = 1, .ring_size = 1024 };
	struct ms_tcp_config cfg = { .max_conns = max_conns, .syn_backlog = 4096, .cc = PERF_CC };
	int rc = ms_attach(socket_path, &opts, &p->session);

	if (rc < 0)
		return rc;
	return ms_tcp_stack_new(p->session, 0, &cfg, &p->st);
}

static int perf_ms_listen(struct perf_srv *p, const char *addr, uint16_t port)
{
	char text[64];
	struct ms_tcp_addr a;
	int rc;

	snprintf(text, sizeof(text), "%s:%u", addr, port);
	rc = ms_tcp_addr_parse(text, &a);
	if (rc < 0)
		return rc;
	return ms_tcp_listen(p->st, &a, 4096, NULL);
}

/*
 * One pass of the stack: a poll that returned events runs again at once (our
 * sends leave with it); only an empty one sleeps on the wakeup fd, for as
 * long as the next timer allows.
 */
static int perf_ms_wait(struct perf_srv *p, struct perf_ev *ev, int max)
{
	struct ms_tcp_event mev[PERF_EVENTS];
	struct pollfd pfd = { .fd = ms_tcp_fd(p->st), .events = POLLIN };
	int n, i, out = 0, timeout;

	n = ms_tcp_poll(p->st, mev, max < PERF_EVENTS ? max : PERF_EVENTS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		struct perf_slot *s = (size_t)mev[i].handle < p->nslots ? &p->slots[mev[i].handle] : NULL;

		if (!s || s->kind == PERF_FREE)
			continue;
		ev[out].handle = mev[i].handle;
		ev[out].events = s->kind == PERF_LISTENER ? PERF_EV_ACCEPT : PERF_EV_IO;
		out++;
	}
	if (n > 0 || ms_tcp_wait_prepare(p->st))
		return out;
	timeout = ms_tcp_timeout(p->st);
	if (timeout < 0 || timeout > PERF_WAIT_MS)
		timeout = PERF_WAIT_MS;
	if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static int perf_ms_accept(struct perf_srv *p, int listener)
{
	return ms_tcp_accept(p->st, listener, NULL, NULL);
}

static ssize_t perf_ms_recv(struct perf_srv *p, int h, void *buf, size_t len)
{
	return ms_tcp_recv(p->st, h, buf, len);
}

static ssize_t perf_ms_send(struct perf_srv *p, int h, const void *buf, size_t len)
{
	ssize_t n = ms_tcp_send(p->st, h, buf, len);

	/* No buffer memory left in the stack is back-pressure like a full send buffer. */
	return n == -ENOBUFS ? -EAGAIN : n;
}

static void perf_ms_close(struct perf_srv *p, int h, bool reset)
{
	if (reset)
		ms_tcp_abort(p->st, h);
	else
		ms_tcp_close(p->st, h);
}

static void perf_ms_free(struct perf_srv *p)
{
	ms_tcp_stack_free(p->st);
	ms_detach(p->session);
}

static const struct perf_transport perf_mstack = {
	.name = "mstack",
	.open = perf_ms_open,
	.listen = perf_ms_listen,
	.wait = perf_ms_wait,
	.accept = perf_ms_accept,
	.recv = perf_ms_recv,
	.send = perf_ms_send,
	.close = perf_ms_close,
	.free = perf_ms_free,
};

/* --- kernel sockets and epoll -------------------------------------------------------------- */

static int perf_k_open(struct perf_srv *p, const char *socket_path, unsigned max_conns)
{
	(void)socket_path;
	(void)max_conns;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	return p->epfd < 0 ? -errno : 0;
}

static int perf_k_listen(struct perf_srv *p, const char *addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct epoll_event e = { .events = EPOLLIN };
	int one = 1, fd;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	e.data.fd = fd;
	/* Accepted connections inherit the listener's congestion control. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, PERF_CC, sizeof(PERF_CC) - 1) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4096) < 0 ||
	    epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int perf_k_wait(struct perf_srv *p, struct perf_ev *ev, int max)
{
	struct epoll_event e[PERF_EVENTS];
	int n, i, out = 0;

	n = epoll_wait(p->epfd, e, max < PERF_EVENTS ? max : PERF_EVENTS, PERF_WAIT_MS);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct perf_slot *s = (size_t)e[i].data.fd < p->nslots ? &p->slots[e[i].data.fd] : NULL;

		if (!s || s->kind == PERF_FREE)
			continue;
		ev[out].handle = e[i].data.fd;
		ev[out].events = s->kind == PERF_LISTENER ? PERF_EV_ACCEPT : PERF_EV_IO;
		out++;
	}
	return out;
}

static int perf_k_accept(struct perf_srv *p, int listener)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	e.data.fd = fd;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static ssize_t perf_k_recv(struct perf_srv *p, int h, void *buf, size_t len)
{
	ssize_t n = recv(h, buf, len, 0);

	(void)p;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static ssize_t perf_k_send(struct perf_srv *p, int h, const void *buf, size_t len)
{
	ssize_t n = send(h, buf, len, MSG_NOSIGNAL);

	(void)p;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static void perf_k_close(struct perf_srv *p, int h, bool reset)
{
	(void)p;
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(h, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(h); /* also leaves the epoll set */
}

static void perf_k_free(struct perf_srv *p)
{
	size_t h;

	for (h = 0; h < p->nslots; h++)
		if (p->slots[h].kind != PERF_FREE)
			close((int)h);
	close(p->epfd);
}

static const struct perf_transport perf_kernel = {
	.name = "kernel",
	.open = perf_k_open,
	.listen = perf_k_listen,
	.wait = perf_k_wait,
	.accept = perf_k_accept,
	.recv = perf_k_recv,
	.send = perf_k_send,
	.close = perf_k_close,
	.free = perf_k_free,
};

/* --- the server, the same on both stacks ---------------------------------------------------- */

static void perf_release(struct perf_srv *p, int h, bool reset)
{
	struct perf_slot *s = &p->slots[h];

	p->tp->close(p, h, reset);
	if (reset)
		p->resets++;
	else
		p->closed++;
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Send buf[0..len) and keep what the send buffer does not take; false when h was released. */
static bool perf_echo_send(struct perf_srv *p, int h, const uint8_t *buf, uint32_t len)
{
	struct perf_slot *s = &p->slots[h];
	uint32_t off = 0;

	while (off < len) {
		ssize_t n = p->tp->send(p, h, buf + off, len - off);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			perf_release(p, h, true);
			return false;
		}
		off += (uint32_t)n;
		p->bytes_out += (uint64_t)n;
	}
	if (off < len) {
		if (!s->buf && !(s->buf = malloc(PERF_CHUNK))) {
			perf_release(p, h, true);
			return false;
		}
		memmove(s->buf, buf + off, len - off);
	}
	s->pending = len - off;
	return true;
}

#define PERF_EOF  (-2) /* the peer's end of stream */
#define PERF_GONE (-1) /* the connection failed and is released */

/* Read what there is: the bytes read into buf (> 0), 0 when nothing more is there now, PERF_EOF or PERF_GONE. */
static ssize_t perf_read(struct perf_srv *p, int h, uint8_t *buf)
{
	ssize_t n = p->tp->recv(p, h, buf, PERF_CHUNK);

	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		perf_release(p, h, true);
		return PERF_GONE;
	}
	if (n == 0)
		return PERF_EOF;
	p->bytes_in += (uint64_t)n;
	return n;
}

/* Sink: consume everything; our FIN answers the peer's. */
static void perf_sink(struct perf_srv *p, int h, uint8_t *buf)
{
	ssize_t n;

	while ((n = perf_read(p, h, buf)) > 0)
		;
	if (n == PERF_EOF)
		perf_release(p, h, false);
}

/*
 * Source: fill the send buffer, and watch the receive side for the peer
 * leaving: it sends nothing, so its end of stream means it has what it
 * wanted, and what is still queued here has nobody to go to (reset).
 */
static void perf_source(struct perf_srv *p, int h, uint8_t *buf)
{
	ssize_t n;

	for (;;) {
		n = p->tp->send(p, h, perf_data, sizeof(perf_data));
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			perf_release(p, h, true);
			return;
		}
		p->bytes_out += (uint64_t)n;
	}
	while ((n = perf_read(p, h, buf)) > 0)
		;
	if (n == PERF_EOF)
		perf_release(p, h, true);
}

/* Echo: pending bytes first; while some wait for send space, h is not read (back-pressure). */
static void perf_echo(struct perf_srv *p, int h, uint8_t *buf)
{
	struct perf_slot *s = &p->slots[h];
	ssize_t n;

	if (s->pending) {
		memcpy(buf, s->buf, s->pending);
		if (!perf_echo_send(p, h, buf, s->pending) || s->pending)
			return;
	}
	for (;;) {
		n = p->tp->recv(p, h, buf, PERF_CHUNK);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* End of stream with everything echoed: our FIN follows the data. */
			perf_release(p, h, n < 0);
			return;
		}
		p->bytes_in += (uint64_t)n;
		if (!perf_echo_send(p, h, buf, (uint32_t)n) || s->pending)
			return;
	}
}

static void perf_io(struct perf_srv *p, int h, uint8_t *buf)
{
	switch (p->slots[h].mode) {
	case PERF_SINK: perf_sink(p, h, buf); break;
	case PERF_SOURCE: perf_source(p, h, buf); break;
	default: perf_echo(p, h, buf); break;
	}
}

static void perf_accept(struct perf_srv *p, int l, uint8_t *buf)
{
	enum perf_mode mode = p->slots[l].mode;
	int c;

	while ((c = p->tp->accept(p, l)) >= 0) {
		struct perf_slot *s = perf_slot(p, c);

		if (!s) {
			p->tp->close(p, c, true);
			continue;
		}
		s->kind = PERF_CONN;
		s->mode = mode;
		p->accepted++;
		/* Echo answers at once: Nagle would hold a reply behind an unacknowledged one. */
		if (mode == PERF_ECHO) {
			int one = 1;

			if (p->tp == &perf_mstack)
				ms_tcp_setopt(p->st, c, MS_TCP_NODELAY, 1);
			else
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		/* Data may have come with the handshake: no later edge would report it. */
		perf_io(p, c, buf);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: tcpperf_srv [-k | -s SOCKET] [-c CONNS] ADDR PORT\n"
			"  listens on ADDR:PORT (sink), PORT+1 (source), PORT+2 (echo)\n"
			"  -k         kernel sockets and epoll (default: libmstack-tcp on mstackd)\n"
			"  -s SOCKET  mstackd's control socket\n"
			"  -c CONNS   libmstack-tcp's connection limit (default 16384)\n");
}

int main(int argc, char **argv)
{
	static uint8_t buf[PERF_CHUNK];
	struct perf_srv p = { .tp = &perf_mstack, .epfd = -1 };
	struct perf_ev ev[PERF_EVENTS];
	struct sigaction sa = { .sa_handler = perf_on_signal };
	const char *sock = NULL;
	unsigned long conns = 16384, port;
	int opt, rc, m, i;
	char *end;

	while ((opt = getopt(argc, argv, "ks:c:h")) != -1) {
		switch (opt) {
		case 'k': p.tp = &perf_kernel; break;
		case 's': sock = optarg; break;
		case 'c':
			conns = strtoul(optarg, &end, 10);
			if (*end || conns == 0 || conns > (1u << 24))
				goto bad_usage;
			break;
		default: goto bad_usage;
		}
	}
	if (argc - optind != 2)
		goto bad_usage;
	port = strtoul(argv[optind + 1], &end, 10);
	if (*end || port == 0 || port > 65533)
		goto bad_usage;
	/* No SA_RESTART: the stop signal interrupts the wait. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = p.tp->open(&p, sock, (unsigned)conns);
	if (rc < 0) {
		fprintf(stderr, "tcpperf_srv: %s: %s\n", p.tp->name, strerror(-rc));
		return 1;
	}
	for (m = 0; m < PERF_NMODES; m++) {
		int l = p.tp->listen(&p, argv[optind], (uint16_t)(port + (unsigned)m));
		struct perf_slot *s;

		if (l < 0 || !(s = perf_slot(&p, l))) {
			fprintf(stderr, "tcpperf_srv: listen %s:%lu: %s\n", argv[optind], port + (unsigned)m,
				strerror(l < 0 ? -l : ENOMEM));
			p.tp->free(&p);
			return 1;
		}
		s->kind = PERF_LISTENER;
		s->mode = (enum perf_mode)m;
	}
	printf("tcpperf_srv: %s ready on %s ports %lu (%s) %lu (%s) %lu (%s)\n", p.tp->name, argv[optind], port,
	       perf_mode_name[0], port + 1, perf_mode_name[1], port + 2, perf_mode_name[2]);
	fflush(stdout);

	rc = 0;
	while (!perf_stop) {
		int n = p.tp->wait(&p, ev, PERF_EVENTS);

		if (n < 0) {
			rc = n;
			break;
		}
		for (i = 0; i < n; i++) {
			struct perf_slot *s = &p.slots[ev[i].handle];

			if (s->kind == PERF_LISTENER && (ev[i].events & PERF_EV_ACCEPT))
				perf_accept(&p, ev[i].handle, buf);
			else if (s->kind == PERF_CONN)
				perf_io(&p, ev[i].handle, buf);
		}
	}
	printf("tcpperf_srv: accepted=%llu closed=%llu resets=%llu bytes_in=%llu bytes_out=%llu\n",
	       (unsigned long long)p.accepted, (unsigned long long)p.closed, (unsigned long long)p.resets,
	       (unsigned long long)p.bytes_in, (unsigned long long)p.bytes_out);
	if (rc < 0)
		fprintf(stderr, "tcpperf_srv: %s: %s\n", p.tp->name, strerror(-rc));
	for (i = 0; (size_t)i < p.nslots; i++)
		free(p.slots[i].buf);
	p.tp->free(&p);
	free(p.slots);
	return rc < 0 ? 1 : 0;

bad_usage:
	usage();
	return 2;
}
