/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpecho.c - mstack-tcpecho: a TCP echo server on libmstack-tcp, one stack instance per queue. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <mstack/mstack.h>
#include <mstack/tcp.h>

#include "numarg.h"

#define ECHO_EVENTS    64
#define ECHO_CHUNK     16384 /* bytes moved per recv/send pair */
#define ECHO_MAXQ      64
#define ECHO_MAXLISTEN 16

enum echo_kind { ECHO_FREE, ECHO_LISTENER, ECHO_CONN };

/*
 * What this instance knows about a handle. Events are looked up by handle, not
 * by their udata, so that a late event for a handle already closed finds
 * nothing (or the handle's next user, for whom an extra pump is harmless).
 */
struct echo_slot {
	enum echo_kind kind;
	bool eof;         /* the peer closed: close once pending is sent */
	uint32_t pending; /* received bytes the send buffer did not take yet */
	uint8_t *buf;     /* ECHO_CHUNK bytes, allocated while pending > 0 */
};

/* One stack instance (one queue) and its handles. */
struct echo_worker {
	struct ms_tcp_stack *st;
	struct echo_slot *slots;
	size_t nslots;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: mstack-tcpecho [-s SOCKET] [-x] [-q QUEUES] [-c CONNS] [-b BACKLOG] [-w BYTES] [-M MB]\n"
		"                      LISTEN...\n"
		"  LISTEN      ADDR:PORT or [ADDR6]:PORT (0.0.0.0 or [::]: every address)\n"
		"  -s SOCKET   mstackd's control socket (default %s)\n"
		"  -x          exit when mstackd goes away (default: attach again when it is back; the\n"
		"              connections survive)\n"
		"  -q QUEUES   queues, one TCP stack each (default 1)\n"
		"  -c CONNS    connections per queue, TIME_WAIT included (default 4096)\n"
		"  -b BACKLOG  connections waiting for accept per listener (default 1024)\n"
		"  -w BYTES    send and receive buffer per connection (default 262144)\n"
		"  -M MB       buffered bytes of all connections of a queue, MiB (default 256)\n",
		MS_DEFAULT_SOCKET);
}

static struct echo_slot *echo_slot(struct echo_worker *w, int h)
{
	if (h < 0)
		return NULL;
	if ((size_t)h >= w->nslots) {
		size_t n = w->nslots ? w->nslots : 256;
		struct echo_slot *s;

		while (n <= (size_t)h)
			n *= 2;
		s = realloc(w->slots, n * sizeof(*s));
		if (!s)
			return NULL;
		memset(s + w->nslots, 0, (n - w->nslots) * sizeof(*s));
		w->slots = s;
		w->nslots = n;
	}
	return &w->slots[h];
}

static void echo_release(struct echo_worker *w, int h, bool reset)
{
	struct echo_slot *s = &w->slots[h];

	if (reset)
		ms_tcp_abort(w->st, h);
	else
		ms_tcp_close(w->st, h);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/*
 * Send buf[0..len) on h; keep what the send buffer does not take. Returns
 * false when the connection is dead (released here).
 */
static bool echo_send(struct echo_worker *w, int h, const uint8_t *buf, uint32_t len)
{
	struct echo_slot *s = &w->slots[h];
	uint32_t off = 0;

	while (off < len) {
		ssize_t n = ms_tcp_send(w->st, h, buf + off, len - off);

		if (n == -EAGAIN)
			break;
		if (n < 0) { /* -ENOBUFS too: no event says when memory frees up, so do not wait for one */
			echo_release(w, h, true);
			return false;
		}
		off += (uint32_t)n;
	}
	if (off < len) {
		if (!s->buf && !(s->buf = malloc(ECHO_CHUNK))) {
			echo_release(w, h, true);
			return false;
		}
		memmove(s->buf, buf + off, len - off);
	}
	s->pending = len - off;
	return true;
}

/*
 * Move what can be moved on connection h: first the bytes that waited for
 * send buffer space, then newly received ones, until recv has nothing more
 * (events are edge style: nothing is reported again for data left unread) or
 * the send buffer is full. Back-pressure: while bytes are pending, h is not
 * read; its MS_TCP_EV_WRITE brings us back here.
 */
static void echo_pump(struct echo_worker *w, int h)
{
	struct echo_slot *s = &w->slots[h];
	uint8_t chunk[ECHO_CHUNK];

	if (s->pending) {
		memcpy(chunk, s->buf, s->pending);
		if (!echo_send(w, h, chunk, s->pending) || s->pending)
			return;
	}
	while (!s->eof) {
		ssize_t n = ms_tcp_recv(w->st, h, chunk, sizeof(chunk));

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			echo_release(w, h, true);
			return;
		}
		if (n == 0) {
			s->eof = true;
			break;
		}
		if (!echo_send(w, h, chunk, (uint32_t)n) || s->pending)
			return;
	}
	/* End of stream and everything echoed: our FIN follows the queued data. */
	echo_release(w, h, false);
}

static void echo_accept(struct echo_worker *w, int l)
{
	for (;;) {
		int c = ms_tcp_accept(w->st, l, NULL, NULL);
		struct echo_slot *s;

		if (c < 0)
			return;
		s = echo_slot(w, c);
		if (!s) {
			ms_tcp_abort(w->st, c);
			continue;
		}
		s->kind = ECHO_CONN;
		/* Data may have come with the handshake: no later event would report it. */
		echo_pump(w, c);
	}
}

static void echo_dispatch(struct echo_worker *w, const struct ms_tcp_event *ev)
{
	struct echo_slot *s = (size_t)ev->handle < w->nslots ? &w->slots[ev->handle] : NULL;

	if (!s || ev->handle < 0)
		return;
	if (s->kind == ECHO_LISTENER && (ev->events & MS_TCP_EV_ACCEPT))
		echo_accept(w, ev->handle);
	else if (s->kind == ECHO_CONN)
		echo_pump(w, ev->handle);
}

/*
 * The event loop, one thread for every queue: the session has one wakeup
 * descriptor, and its wait calls may not run in several threads at once, so
 * the instances take turns. A round in which some poll returned events runs
 * again at once (our sends go out with it); only a round that found nothing
 * anywhere leads to sleeping on the wakeup fd, for as long as the nearest
 * timer allows, or until a signal. Returns 0 on a signal, or -errno.
 */
static int echo_run(struct echo_worker *w, unsigned nq, int sig_fd)
{
	struct ms_tcp_event ev[ECHO_EVENTS];

	for (;;) {
		struct pollfd pfd[2] = { { .fd = ms_tcp_fd(w[0].st), .events = POLLIN },
					 { .fd = sig_fd, .events = POLLIN } };
		bool busy = false;
		int timeout = -1;
		unsigned q;

		for (q = 0; q < nq; q++) {
			int n = ms_tcp_poll(w[q].st, ev, ECHO_EVENTS), i;

			if (n < 0)
				return n; /* -ECONNRESET: mstackd went away, and -x asked to end with it */
			for (i = 0; i < n; i++)
				echo_dispatch(&w[q], &ev[i]);
			busy |= n > 0;
		}
		for (q = 0; q < nq && !busy; q++) {
			int t;

			busy = ms_tcp_wait_prepare(w[q].st);
			t = ms_tcp_timeout(w[q].st);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		if (busy)
			continue;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents & POLLIN)
			return 0;
	}
}

static void echo_worker_free(struct echo_worker *w)
{
	size_t i;

	for (i = 0; i < w->nslots; i++)
		free(w->slots[i].buf);
	free(w->slots);
	ms_tcp_stack_free(w->st);
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct ms_attach_opts opts = { .name = "mstack-tcpecho", .nqueues = 1, .ring_size = 1024 };
	struct ms_tcp_config cfg = { 0 };
	struct ms_tcp_addr listen_addr[ECHO_MAXLISTEN];
	struct echo_worker w[ECHO_MAXQ];
	struct ms_session *s;
	unsigned nq = 1, conns = 0, backlog = 1024, bufsize = 0, mem_mb = 0, i, j, nlisten;
	sigset_t sigs;
	int opt, rc, sig_fd, status = 0;

	while ((opt = getopt(argc, argv, "s:xq:c:b:w:M:h")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'x': opts.flags |= MS_ATTACH_F_NO_REATTACH; break;
		case 'q':
			if (!numarg_uint(optarg, 1, ECHO_MAXQ, &nq))
				goto bad_usage;
			break;
		case 'c':
			if (!numarg_uint(optarg, 1, 1u << 24, &conns))
				goto bad_usage;
			break;
		case 'b':
			if (!numarg_uint(optarg, 1, 1u << 20, &backlog))
				goto bad_usage;
			break;
		case 'w':
			if (!numarg_uint(optarg, 1024, 1u << 30, &bufsize))
				goto bad_usage;
			break;
		case 'M':
			if (!numarg_uint(optarg, 1, 1u << 20, &mem_mb))
				goto bad_usage;
			break;
		default: goto bad_usage;
		}
	}
	nlisten = (unsigned)(argc - optind);
	if (nlisten == 0 || nlisten > ECHO_MAXLISTEN)
		goto bad_usage;
	for (i = 0; i < nlisten; i++) {
		if (ms_tcp_addr_parse(argv[optind + i], &listen_addr[i]) < 0) {
			fprintf(stderr, "mstack-tcpecho: %s: not ADDR:PORT or [ADDR6]:PORT\n", argv[optind + i]);
			return 2;
		}
	}
	cfg.max_conns = conns;
	cfg.syn_backlog = backlog;
	cfg.sndbuf = cfg.rcvbuf = bufsize;
	cfg.mem_max = (uint64_t)mem_mb << 20;

	/* SIGTERM and SIGINT arrive as a descriptor that the loop sleeps on beside the stack's. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN); /* a write to a daemon that died is an error, not a death */
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		fprintf(stderr, "mstack-tcpecho: signalfd: %s\n", strerror(errno));
		return 1;
	}

	opts.nqueues = (uint16_t)nq;
	rc = ms_attach(sock, &opts, &s);
	if (rc < 0) {
		fprintf(stderr, "mstack-tcpecho: attach %s: %s\n", sock ? sock : MS_DEFAULT_SOCKET, strerror(-rc));
		return 1;
	}
	memset(w, 0, sizeof(w));
	for (i = 0; i < nq; i++) {
		rc = ms_tcp_stack_new(s, i, &cfg, &w[i].st);
		if (rc < 0) {
			fprintf(stderr, "mstack-tcpecho: stack on queue %u: %s\n", i, strerror(-rc));
			status = 1;
			goto out;
		}
		/* Every instance listens on every address: mstackd spreads the flows over the queues. */
		for (j = 0; j < nlisten; j++) {
			struct echo_slot *sl;
			int l = ms_tcp_listen(w[i].st, &listen_addr[j], (int)backlog, NULL);

			if (l < 0) {
				fprintf(stderr, "mstack-tcpecho: listen %s: %s\n", argv[optind + j], strerror(-l));
				status = 1;
				goto out;
			}
			sl = echo_slot(&w[i], l);
			if (!sl) {
				fprintf(stderr, "mstack-tcpecho: %s\n", strerror(ENOMEM));
				status = 1;
				goto out;
			}
			sl->kind = ECHO_LISTENER;
		}
	}
	printf("mstack-tcpecho: app %u echoing on", ms_app_id(s));
	for (j = 0; j < nlisten; j++)
		printf(" %s", argv[optind + j]);
	printf(" (%u queue%s)\n", nq, nq > 1 ? "s" : "");
	fflush(stdout);

	rc = echo_run(w, nq, sig_fd);
	if (rc == -ECONNRESET) {
		/* Only with -x: otherwise the stacks re-attach and ms_tcp_poll never says it. */
		fprintf(stderr, "mstack-tcpecho: mstackd went away; exiting as asked (-x)\n");
		status = 1;
	} else if (rc < 0) {
		fprintf(stderr, "mstack-tcpecho: %s\n", strerror(-rc));
		status = 1;
	}
out:
	for (i = 0; i < nq; i++)
		echo_worker_free(&w[i]);
	ms_detach(s);
	close(sig_fd);
	return status;

bad_usage:
	usage();
	return 2;
}
