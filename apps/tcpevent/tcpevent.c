/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpevent.c - mstack-tcpevent: a TCP "hello" server on libmstack-tcp, driven by a libevent loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <mstack/mstack.h>
#include <mstack/tcp.h>

/*
 * How an event-loop application runs mstack TCP without spinning: the stack
 * is one more descriptor in the loop. Its event fires when ms_tcp_fd is
 * readable (frames arrived) or when the stack's next timer is due; the
 * callback runs the stack, then re-arms the event with the new timeout. The
 * loop could watch any number of other descriptors at the same time.
 *
 * The server itself is the smallest useful one: every connection gets one
 * line and is closed (our FIN follows the line).
 */

#define HELLO_EVENTS 64

static const char hello_line[] = "hello from mstack\n";

struct hello {
	struct ms_tcp_stack *st;
	struct event *ev;
	int rc; /* why the loop stopped: 0 or -errno */
};

static void hello_accept(struct hello *h, int l)
{
	int c;

	while ((c = ms_tcp_accept(h->st, l, NULL, NULL)) >= 0) {
		/* A fresh connection's send buffer always takes one line. */
		if (ms_tcp_send(h->st, c, hello_line, sizeof(hello_line) - 1) < 0)
			ms_tcp_abort(h->st, c);
		else
			ms_tcp_close(h->st, c);
	}
}

/*
 * Sleep until the stack has something to do: ms_tcp_wait_prepare asks for a
 * wakeup on ms_tcp_fd (or says that work is already there), ms_tcp_timeout
 * says when the next timer is due (-1: none, no timeout).
 */
static void hello_arm(struct hello *h)
{
	int ms;

	if (ms_tcp_wait_prepare(h->st)) {
		event_active(h->ev, EV_TIMEOUT, 0);
		return;
	}
	ms = ms_tcp_timeout(h->st);
	if (ms < 0) {
		event_add(h->ev, NULL);
	} else {
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

		event_add(h->ev, &tv);
	}
}

/* The stack's descriptor is readable or its timer is due: run it until it has nothing to report. */
static void hello_on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct hello *h = arg;
	struct ms_tcp_event ev[HELLO_EVENTS];
	int n, i;

	(void)fd;
	(void)what;
	do {
		n = ms_tcp_poll(h->st, ev, HELLO_EVENTS);
		for (i = 0; i < n; i++) {
			if (ev[i].events & MS_TCP_EV_ACCEPT)
				hello_accept(h, ev[i].handle);
		}
	} while (n > 0); /* another poll sends what we queued and fetches what came meanwhile */
	if (n < 0) {
		h->rc = n;
		event_base_loopbreak(event_get_base(h->ev));
		return;
	}
	hello_arm(h);
}

static void hello_on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct ms_attach_opts opts = { .name = "mstack-tcpevent" };
	struct hello h = { 0 };
	struct ms_tcp_addr addr;
	struct ms_session *s;
	struct event_base *base;
	struct event *sigint, *sigterm;
	int opt, rc, l;

	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		default: goto bad_usage;
		}
	}
	if (argc - optind != 1 || ms_tcp_addr_parse(argv[optind], &addr) < 0)
		goto bad_usage;
	rc = ms_attach(sock, &opts, &s);
	if (rc < 0) {
		fprintf(stderr, "mstack-tcpevent: attach %s: %s\n", sock ? sock : MS_DEFAULT_SOCKET, strerror(-rc));
		return 1;
	}
	rc = ms_tcp_stack_new(s, 0, NULL, &h.st);
	if (rc < 0) {
		fprintf(stderr, "mstack-tcpevent: stack: %s\n", strerror(-rc));
		ms_detach(s);
		return 1;
	}
	l = ms_tcp_listen(h.st, &addr, 128, NULL);
	if (l < 0) {
		fprintf(stderr, "mstack-tcpevent: listen %s: %s\n", argv[optind], strerror(-l));
		ms_tcp_stack_free(h.st);
		ms_detach(s);
		return 1;
	}

	base = event_base_new();
	if (!base) {
		fprintf(stderr, "mstack-tcpevent: event_base_new failed\n");
		return 1;
	}
	h.ev = event_new(base, ms_tcp_fd(h.st), EV_READ, hello_on_ready, &h);
	sigint = evsignal_new(base, SIGINT, hello_on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, hello_on_signal, base);
	if (!h.ev || !sigint || !sigterm || event_add(sigint, NULL) < 0 || event_add(sigterm, NULL) < 0) {
		fprintf(stderr, "mstack-tcpevent: cannot set up the event loop\n");
		return 1;
	}
	printf("mstack-tcpevent: app %u greeting on %s\n", ms_app_id(s), argv[optind]);
	fflush(stdout);
	/* The first run: the stack may already have work (the listen itself, timers). */
	event_active(h.ev, EV_TIMEOUT, 0);
	event_base_dispatch(base);

	if (h.rc < 0)
		fprintf(stderr, "mstack-tcpevent: %s\n", strerror(-h.rc));
	event_free(sigint);
	event_free(sigterm);
	event_free(h.ev);
	event_base_free(base);
	ms_tcp_stack_free(h.st);
	ms_detach(s);
	return h.rc < 0 ? 1 : 0;

bad_usage:
	fprintf(stderr,
		"usage: mstack-tcpevent [-s SOCKET] LISTEN\n"
		"  LISTEN     ADDR:PORT or [ADDR6]:PORT\n"
		"  -s SOCKET  mstackd's control socket (default %s)\n",
		MS_DEFAULT_SOCKET);
	return 2;
}
