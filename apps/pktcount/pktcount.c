/* SPDX-License-Identifier: BSD-2-Clause */
/* pktcount.c - mstack-pktcount: drains many sessions from one thread, busy-polling or sleeping. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mstack/mstack.h>

#include "numarg.h"
#include "sessions.h"

#define CNT_SESSIONS_MAX 65535
#define CNT_BURST        64
#define CNT_VISIT_MAX    256 /* frames per session per pass, so one busy session cannot starve the rest */
#define CNT_EVENTS       256
#define CNT_CTL          0x80000000u /* epoll data: a control socket, not a wakeup fd */
#define CNT_NS           1000000000ull

struct cnt_session {
	struct ms_session *s;
	uint16_t port;
	bool armed; /* ms_wait_prepare done, ms_wait_done not yet */
	unsigned long long packets, bytes;
};

struct cnt {
	const char *sock;
	unsigned nsessions, ring;
	unsigned seconds; /* 0: until a signal */
	unsigned spin_us; /* -w: keep polling this long after the last frame before sleeping */
	bool wait, quiet;
	struct ms_tuple t;
	struct cnt_session *ses;
	int ep;              /* control sockets (hangups) and, with -w, wakeup fds */
	sigset_t sleep_mask; /* the signal mask while asleep: SIGINT and SIGTERM let through */
	unsigned long long sleeps;
	unsigned lost; /* the session whose control socket hung up */
};

static volatile sig_atomic_t cnt_stop;

static void cnt_on_signal(int sig)
{
	(void)sig;
	cnt_stop = 1;
}

static void cnt_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: mstack-pktcount [-s SOCKET] [-n SESSIONS] [-t SECONDS] [-w [-S USEC]] [-r RING] [-q] udp|tcp "
	    "ADDR:FIRST_PORT\n"
	    "Attach SESSIONS sessions from one thread, bind (proto, ADDR, FIRST_PORT + i) in each\n"
	    "(FIRST_PORT 0: ephemeral ports), count the frames and bytes they receive.\n"
	    "  -s SOCKET   mstackd's control socket (default %s)\n"
	    "  -n SESSIONS sessions, 1..%u (default 1)\n"
	    "  -t SECONDS  run time from \"ready\" (default 10; 0: until SIGINT or SIGTERM)\n"
	    "  -w          sleep on the wakeup fds (epoll) when every ring is empty, instead of busy-polling\n"
	    "  -S USEC     with -w: keep polling USEC microseconds after the last frame before sleeping (default 50)\n"
	    "  -r RING     slots per ring, a power of two (default: mstackd's, 1024)\n"
	    "  -q          no per-session lines\n"
	    "Prints \"pktcount: ready N sessions\" once all are bound, then a total line at the end;\n"
	    "cpu_s is the user + system CPU time used from \"ready\" to the end.\n",
	    MS_DEFAULT_SOCKET, CNT_SESSIONS_MAX);
}

/* A usage error: one line saying what is wrong. Returns 2, the exit status. */
static int cnt_bad(const char *what, const char *value)
{
	if (what)
		fprintf(stderr, "mstack-pktcount: %s%s%s\n", what, value ? ": " : "", value ? value : "");
	fprintf(stderr, "mstack-pktcount: see mstack-pktcount -h\n");
	return 2;
}

/* One option into c. Returns false if its value is out of range. */
static bool cnt_option(int opt, const char *arg, struct cnt *c)
{
	bool ok = true;

	switch (opt) {
	case 's': c->sock = arg; break;
	case 'n': ok = numarg_uint(arg, 1, CNT_SESSIONS_MAX, &c->nsessions); break;
	case 't': ok = numarg_uint(arg, 0, 1000000000, &c->seconds); break;
	case 'w': c->wait = true; break;
	case 'S': ok = numarg_uint(arg, 0, 1000000, &c->spin_us); break;
	case 'r': ok = numarg_uint(arg, 64, 32768, &c->ring) && !(c->ring & (c->ring - 1)); break;
	case 'q': c->quiet = true; break;
	}
	return ok;
}

/* Parse the command line into c. Returns 0, 1 after -h, or 2 on a usage error (already reported). */
static int cnt_parse(int argc, char **argv, struct cnt *c)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	char bad[] = "invalid -?";
	int opt;

	while ((opt = getopt_long(argc, argv, "s:n:t:wS:r:qh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			cnt_usage(stdout);
			return 1;
		}
		if (opt == '?' || opt == ':')
			return cnt_bad(NULL, NULL); /* getopt said why */
		bad[sizeof(bad) - 2] = (char)opt;
		if (!cnt_option(opt, optarg, c))
			return cnt_bad(bad, optarg);
	}
	if (argc - optind != 2)
		return cnt_bad("expected udp|tcp and ADDR:FIRST_PORT", NULL);
	if (ms_tuple_parse(argv[optind], argv[optind + 1], &c->t) < 0)
		return cnt_bad("want udp or tcp, then ADDR:PORT", argv[optind + 1]);
	if (c->t.port && c->t.port + c->nsessions - 1 > 65535)
		return cnt_bad("FIRST_PORT + SESSIONS - 1 is over 65535", NULL);
	return 0;
}

/* Attach and bind session i. Returns 0, or 1 after saying why not. */
static int cnt_attach(const struct cnt *c, unsigned i, struct cnt_session *cs)
{
	struct ms_tuple bound;

	if (sessions_attach("mstack-pktcount", "pktcount", c->sock, c->ring, i, &c->t, &cs->s, &bound))
		return 1;
	cs->port = bound.port;
	return 0;
}

static int cnt_epoll_add(int ep, int fd, uint32_t events, uint32_t data)
{
	struct epoll_event ev = { .events = events, .data.u32 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Control sockets with no events asked: epoll still reports their hangup. */
static int cnt_epoll_setup(struct cnt *c)
{
	unsigned i;

	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0)
		return -errno;
	for (i = 0; i < c->nsessions; i++) {
		if (cnt_epoll_add(c->ep, ms_ctl_fd(c->ses[i].s), 0, i | CNT_CTL) < 0 ||
		    (c->wait && cnt_epoll_add(c->ep, ms_wait_fd(c->ses[i].s), EPOLLIN, i) < 0))
			return -errno;
	}
	return 0;
}

/* Count what session cs holds, up to CNT_VISIT_MAX frames. Returns the frames counted. */
static unsigned cnt_drain(struct cnt_session *cs)
{
	struct ms_pkt p[CNT_BURST];
	unsigned n, i, total = 0;

	while (total < CNT_VISIT_MAX && (n = ms_rx_burst(cs->s, 0, p, CNT_BURST)) > 0) {
		for (i = 0; i < n; i++)
			cs->bytes += p[i].len;
		cs->packets += n;
		total += n;
		ms_rx_release(cs->s, 0, n);
	}
	return total;
}

/*
 * One pass over every session. A session still armed from an earlier sleep
 * is disarmed as soon as it has traffic: while we poll it, a set wakeup
 * flag would only make mstackd write its eventfd for nothing.
 */
static unsigned long long cnt_pass(struct cnt *c)
{
	unsigned long long got = 0;
	unsigned i, n;

	for (i = 0; i < c->nsessions; i++) {
		struct cnt_session *cs = &c->ses[i];

		n = cnt_drain(cs);
		if (n && cs->armed) {
			ms_wait_done(cs->s);
			cs->armed = false;
		}
		got += n;
	}
	return got;
}

/*
 * Sleep until a ring fills, a control socket hangs up, a signal or the
 * timeout. Idle sessions stay armed across sleeps, so a session costs the
 * arming only once per stretch of traffic, not once per sleep. Returns the
 * frames drained from the sessions that woke us, or -ECONNRESET.
 */
static int cnt_sleep(struct cnt *c, int timeout_ms)
{
	struct epoll_event ev[CNT_EVENTS];
	sigset_t run_mask;
	int n, i, got = 0;

	for (unsigned k = 0; k < c->nsessions; k++) {
		struct cnt_session *cs = &c->ses[k];

		if (!cs->armed) {
			cs->armed = true;
			if (ms_wait_prepare(cs->s))
				return 0; /* frames arrived meanwhile: the next pass takes them */
		}
	}
	/* Blocked from the check to the sleep, so a signal cannot slip between them. */
	sigprocmask(SIG_BLOCK, &c->sleep_mask, &run_mask);
	n = cnt_stop ? 0 : epoll_pwait(c->ep, ev, CNT_EVENTS, timeout_ms, &run_mask);
	sigprocmask(SIG_SETMASK, &run_mask, NULL);
	c->sleeps++;
	for (i = 0; i < n; i++) {
		uint32_t idx = ev[i].data.u32 & ~CNT_CTL;

		if (ev[i].data.u32 & CNT_CTL) {
			c->lost = idx;
			return -ECONNRESET;
		}
		ms_wait_done(c->ses[idx].s);
		c->ses[idx].armed = false;
		got += (int)cnt_drain(&c->ses[idx]);
	}
	return got;
}

/* Busy-poll mode has nothing asleep on the control sockets: look at them now and then. */
static int cnt_check_hangup(struct cnt *c)
{
	struct epoll_event ev;

	if (c->wait || epoll_wait(c->ep, &ev, 1, 0) != 1)
		return 0;
	c->lost = ev.data.u32 & ~CNT_CTL;
	return -ECONNRESET;
}

static uint64_t cnt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * CNT_NS + (uint64_t)ts.tv_nsec;
}

static int cnt_timeout_ms(uint64_t now, uint64_t deadline)
{
	uint64_t ms;

	if (deadline == UINT64_MAX)
		return -1;
	ms = (deadline - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Drain until the deadline: poll while there is traffic, sleep (-w) once -S microseconds found nothing. */
static int cnt_run(struct cnt *c, uint64_t start)
{
	uint64_t deadline = c->seconds ? start + c->seconds * CNT_NS : UINT64_MAX;
	uint64_t now, last_frame = start, tick = start + CNT_NS;
	int rc = 0;

	while (!cnt_stop && rc >= 0) {
		unsigned long long got = cnt_pass(c);

		now = cnt_now();
		if (got)
			last_frame = now;
		if (now >= deadline)
			break;
		if (now >= tick) {
			tick = now + CNT_NS;
			rc = cnt_check_hangup(c);
		}
		if (rc < 0 || !c->wait || now - last_frame < c->spin_us * 1000ull)
			continue;
		rc = cnt_sleep(c, cnt_timeout_ms(now, deadline));
		now = cnt_now();
		if (rc > 0)
			last_frame = now;
	}
	return rc < 0 ? rc : 0;
}

static double cnt_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void cnt_report(const struct cnt *c, double secs, double cpu)
{
	unsigned long long packets = 0, bytes = 0;
	double pps, min = 0, max = 0;
	unsigned i;

	for (i = 0; i < c->nsessions; i++) {
		const struct cnt_session *cs = &c->ses[i];

		pps = cs->packets / secs;
		min = i == 0 || pps < min ? pps : min;
		max = pps > max ? pps : max;
		packets += cs->packets;
		bytes += cs->bytes;
		if (!c->quiet)
			printf("session %u port %u packets %llu pps %.0f\n", i, cs->port, cs->packets, pps);
	}
	printf("pktcount: sessions=%u packets=%llu bytes=%llu seconds=%.3f pps=%.0f mpps=%.3f min_session_pps=%.0f "
	       "max_session_pps=%.0f cpu_s=%.3f sleeps=%llu\n",
	       c->nsessions, packets, bytes, secs, packets / secs, packets / secs / 1e6, min, max, cpu, c->sleeps);
}

/* SIGINT and SIGTERM end the run; no SA_RESTART, so they also end a sleep. */
static void cnt_signals(struct cnt *c)
{
	struct sigaction sa = { .sa_handler = cnt_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&c->sleep_mask);
	sigaddset(&c->sleep_mask, SIGINT);
	sigaddset(&c->sleep_mask, SIGTERM);
}

int main(int argc, char **argv)
{
	struct cnt c = { .nsessions = 1, .seconds = 10, .ep = -1, .spin_us = 50 };
	uint64_t start;
	double cpu, secs;
	unsigned i, n;
	int rc = cnt_parse(argc, argv, &c);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (sessions_raise_nofile("mstack-pktcount", c.nsessions))
		return 1;
	cnt_signals(&c);
	c.ses = calloc(c.nsessions, sizeof(*c.ses));
	if (!c.ses) {
		fprintf(stderr, "mstack-pktcount: out of memory\n");
		return 1;
	}
	for (n = 0; n < c.nsessions && rc == 0; n++)
		rc = cnt_attach(&c, n, &c.ses[n]);
	if (rc == 0 && (rc = cnt_epoll_setup(&c)) < 0) {
		fprintf(stderr, "mstack-pktcount: epoll: %s\n", strerror(-rc));
		rc = 1;
	}
	if (rc == 0) {
		printf("pktcount: ready %u sessions\n", c.nsessions);
		fflush(stdout);
		cpu = cnt_cpu_s();
		start = cnt_now();
		rc = cnt_run(&c, start);
		secs = (double)(cnt_now() - start) / CNT_NS;
		cnt_report(&c, secs > 0 ? secs : 1e-9, cnt_cpu_s() - cpu);
		if (rc < 0)
			fprintf(stderr, "mstack-pktcount: session %u: %s\n", c.lost, ms_strerror(rc));
		rc = rc < 0;
	}
	if (c.ep >= 0)
		close(c.ep);
	for (i = 0; i < n; i++)
		ms_detach(c.ses[i].s);
	free(c.ses);
	return rc;
}
