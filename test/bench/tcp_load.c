/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_load.c - the TCP benchmark's load generator on kernel sockets: bulk in either direction, or setup rate. */
/*
 * tcp_load -m up|down|rate [-p PARALLEL] [-l BYTES] [-t SECONDS] ADDR PORT
 *   up:   one connection, write without end (to tcpperf_srv's sink port)
 *   down: one connection, read without end (from its source port)
 *   rate: PARALLEL loops of connect, send BYTES, receive the BYTES echoed, close (its echo port)
 * One thread, epoll, non-blocking sockets. It prints "ready" when the load runs, and on SIGUSR1
 * a line "t=SECONDS bytes=N conns=N fails=N" (monotonic clock, counters since the start), so that
 * the benchmark reads its figures at the same instants as the CPU counters. It stops after
 * SECONDS (default: never) or on SIGTERM, printing the line once more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD_CHUNK   65536
#define LOAD_MAXPAR  4096
#define LOAD_STALL_S 3.0 /* a rate loop that makes no progress this long is counted a failure */
#define LOAD_MAX_MSG LOAD_CHUNK

enum load_mode { LOAD_UP, LOAD_DOWN, LOAD_RATE };
enum loop_state { LOOP_IDLE, LOOP_CONNECTING, LOOP_ECHO };

struct load_loop {
	int fd;
	enum loop_state state;
	uint32_t got; /* echoed bytes received */
	double since; /* when the current connection started */
};

struct load {
	enum load_mode mode;
	struct sockaddr_in dst;
	int epfd;
	uint32_t msg_len;
	struct load_loop loops[LOAD_MAXPAR];
	unsigned nloops;
	uint64_t bytes, conns, fails;
	double start;
};

static volatile sig_atomic_t load_report, load_stop;
static uint8_t load_buf[LOAD_CHUNK];

static void load_on_signal(int sig)
{
	if (sig == SIGUSR1)
		load_report = 1;
	else
		load_stop = 1;
}

static double load_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load_print(const struct load *l)
{
	printf("t=%.6f bytes=%llu conns=%llu fails=%llu\n", load_now(), (unsigned long long)l->bytes,
	       (unsigned long long)l->conns, (unsigned long long)l->fails);
	fflush(stdout);
}

/* A non-blocking connect, registered in the epoll set under the loop's index. */
static int load_connect(struct load *l, unsigned i, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.u32 = i };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The servers' congestion control (tcpperf_srv), whatever the host's default is. */
	setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5);
	if ((connect(fd, (struct sockaddr *)&l->dst, sizeof(l->dst)) < 0 && errno != EINPROGRESS) ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	l->loops[i].fd = fd;
	l->loops[i].state = LOOP_CONNECTING;
	l->loops[i].got = 0;
	l->loops[i].since = load_now();
	return 0;
}

/* Rate: end loop i's connection (counted a success or a failure) and start the next one. */
static void load_next(struct load *l, unsigned i, bool ok)
{
	struct load_loop *lp = &l->loops[i];

	if (lp->fd >= 0)
		close(lp->fd);
	lp->fd = -1;
	lp->state = LOOP_IDLE;
	if (ok)
		l->conns++;
	else
		l->fails++;
	if (!load_stop && load_connect(l, i, EPOLLIN | EPOLLOUT | EPOLLET) < 0)
		l->fails++; /* retried by the stall scan */
}

/* Rate: one loop's event. Connected: send the message; then collect its echo; then close. */
static void load_rate_event(struct load *l, unsigned i, uint32_t ev)
{
	struct load_loop *lp = &l->loops[i];

	if (lp->state == LOOP_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (ev & (EPOLLERR | EPOLLHUP) || getsockopt(lp->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			load_next(l, i, false);
			return;
		}
		if (!(ev & EPOLLOUT))
			return;
		if (send(lp->fd, load_buf, l->msg_len, MSG_NOSIGNAL) != (ssize_t)l->msg_len) {
			load_next(l, i, false);
			return;
		}
		l->bytes += l->msg_len;
		lp->state = LOOP_ECHO;
	}
	if (lp->state == LOOP_ECHO) {
		for (;;) {
			ssize_t n = recv(lp->fd, load_buf, sizeof(load_buf), 0);

			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0) {
				load_next(l, i, false);
				return;
			}
			lp->got += (uint32_t)n;
			if (lp->got >= l->msg_len) {
				load_next(l, i, true);
				return;
			}
		}
	}
}

/* Bulk: move as much as the socket takes (up) or has (down). */
static int load_bulk_event(struct load *l)
{
	int fd = l->loops[0].fd;

	for (;;) {
		ssize_t n = l->mode == LOAD_UP ? send(fd, load_buf, sizeof(load_buf), MSG_NOSIGNAL)
					       : recv(fd, load_buf, sizeof(load_buf), 0);

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == EINTR)
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		l->bytes += (uint64_t)n;
	}
}

/* Rate: start idle loops; a loop whose connection stalls (a lost SYN the kernel backs off on) is failed and restarted.
 */
static void load_stall_scan(struct load *l, double now)
{
	unsigned i;

	for (i = 0; i < l->nloops; i++) {
		if (l->loops[i].state == LOOP_IDLE) {
			if (load_connect(l, i, EPOLLIN | EPOLLOUT | EPOLLET) < 0)
				l->fails++;
		} else if (now - l->loops[i].since > LOAD_STALL_S) {
			load_next(l, i, false);
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: tcp_load -m up|down|rate [-p PARALLEL] [-l BYTES] [-t SECONDS] ADDR PORT\n");
}

int main(int argc, char **argv)
{
	static struct load l = { .msg_len = 64, .nloops = 64 };
	struct epoll_event ev[256];
	struct sigaction sa = { .sa_handler = load_on_signal };
	double secs = 0, last_scan;
	int opt, rc = 0, n, i;
	unsigned long v;
	char *end;

	while ((opt = getopt(argc, argv, "m:p:l:t:h")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "up"))
				l.mode = LOAD_UP;
			else if (!strcmp(optarg, "down"))
				l.mode = LOAD_DOWN;
			else if (!strcmp(optarg, "rate"))
				l.mode = LOAD_RATE;
			else
				goto bad_usage;
			break;
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > LOAD_MAXPAR)
				goto bad_usage;
			l.nloops = (unsigned)v;
			break;
		case 'l':
			v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > LOAD_MAX_MSG)
				goto bad_usage;
			l.msg_len = (uint32_t)v;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end || secs < 0)
				goto bad_usage;
			break;
		default: goto bad_usage;
		}
	}
	if (argc - optind != 2)
		goto bad_usage;
	l.dst.sin_family = AF_INET;
	v = strtoul(argv[optind + 1], &end, 10);
	if (inet_pton(AF_INET, argv[optind], &l.dst.sin_addr) != 1 || *end || v == 0 || v > 65535)
		goto bad_usage;
	l.dst.sin_port = htons((uint16_t)v);
	/* No SA_RESTART: a signal ends epoll_wait, and the loop looks at the flags. */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(load_buf, 0xa5, sizeof(load_buf));

	l.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l.epfd < 0) {
		perror("tcp_load: epoll_create1");
		return 1;
	}
	l.start = load_now();
	if (l.mode == LOAD_RATE) {
		for (i = 0; (unsigned)i < l.nloops; i++)
			l.loops[i].fd = -1;
		load_stall_scan(&l, l.start);
	} else {
		l.nloops = 1;
		rc = load_connect(&l, 0, l.mode == LOAD_UP ? EPOLLOUT : EPOLLIN);
		if (rc < 0) {
			fprintf(stderr, "tcp_load: connect: %s\n", strerror(-rc));
			return 1;
		}
	}
	printf("tcp_load: ready\n");
	fflush(stdout);

	last_scan = l.start;
	while (!load_stop) {
		double now;

		n = epoll_wait(l.epfd, ev, 256, 100);
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			if (l.mode == LOAD_RATE) {
				load_rate_event(&l, ev[i].data.u32, ev[i].events);
			} else if ((rc = load_bulk_event(&l)) < 0) {
				load_stop = 1;
				break;
			}
		}
		if (load_report) {
			load_report = 0;
			load_print(&l);
		}
		now = load_now();
		if (secs > 0 && now - l.start >= secs)
			break;
		if (l.mode == LOAD_RATE && now - last_scan >= 0.5) {
			load_stall_scan(&l, now);
			last_scan = now;
		}
	}
	load_print(&l);
	if (rc < 0)
		fprintf(stderr, "tcp_load: %s\n", strerror(-rc));
	return rc < 0 ? 1 : 0;

bad_usage:
	usage();
	return 2;
}
