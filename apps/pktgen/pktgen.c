/* SPDX-License-Identifier: BSD-2-Clause */
/* pktgen.c - mstack-pktgen: builds every frame from scratch into the tx rings of many sessions. */
#include <errno.h>
#include <getopt.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mstack/mstack.h>

#include "numarg.h"
#include "pktbuild.h"
#include "sessions.h"

#define GEN_SESSIONS_MAX 65535
#define GEN_BURST_MAX    256
#define GEN_NS           1000000000ull

struct gen_conf {
	const char *sock;
	unsigned nsessions, len, burst, ring;
	unsigned seconds;         /* 0: no time limit */
	unsigned long long count; /* 0: no packet limit */
	bool verbose, have_mac, have_time;
	uint8_t dst_mac[6];
	struct ms_tuple src, dst;
};

struct gen_session {
	struct ms_session *s;
	struct pb_flow flow;
};

static volatile sig_atomic_t gen_stop;

static void gen_on_signal(int sig)
{
	(void)sig;
	gen_stop = 1;
}

static void gen_usage(FILE *f)
{
	fprintf(f,
		"usage: mstack-pktgen [-s SOCKET] [-n SESSIONS] [-l LEN] [-t SECONDS | -c COUNT] [-m tcp|udp]\n"
		"                     [-d DST_MAC] -D DST_IP:PORT [-b BURST] [-r RING] [-v] SRC_IP:FIRST_PORT\n"
		"Attach SESSIONS sessions from one thread, bind (proto, SRC_IP, FIRST_PORT + i) in each\n"
		"(FIRST_PORT 0: ephemeral ports) and send frames built from scratch, round-robin.\n"
		"  -s SOCKET   mstackd's control socket (default %s)\n"
		"  -n SESSIONS sessions, 1..%u (default 1)\n"
		"  -l LEN      frame length without FCS, %u..%u (default %u: 64 bytes on the wire)\n"
		"  -t SECONDS  run time (default 10; 0: until -c or a signal)\n"
		"  -c COUNT    stop after COUNT frames in all (no time limit unless -t is given too)\n"
		"  -m tcp|udp  UDP with checksum, or TCP ACK segments with advancing sequence numbers (default udp)\n"
		"  -d DST_MAC  destination MAC (default: resolve DST_IP through mstackd; it must be on-link)\n"
		"  -D DST_IP:PORT  destination IPv4 address and port (required)\n"
		"  -b BURST    frames built per ring visit, 1..%u (default 32)\n"
		"  -r RING     slots per ring, a power of two (default: mstackd's, 1024); memory is\n"
		"              4 KiB per slot per session\n"
		"  -v          print a line every second\n"
		"\"sent\" counts frames posted into the tx rings. mstackd drops what its NIC queue cannot\n"
		"take and counts it (mstackctl stats); a full ring only makes pktgen move on to the next session.\n",
		MS_DEFAULT_SOCKET, GEN_SESSIONS_MAX, PB_FRAME_MIN, PB_FRAME_MAX, PB_FRAME_MIN, GEN_BURST_MAX);
}

static bool gen_mac(const char *s, uint8_t mac[6])
{
	struct ether_addr e;

	if (!ether_aton_r(s, &e))
		return false;
	memcpy(mac, e.ether_addr_octet, 6);
	return true;
}

/* A unicast source or destination: the wildcard address cannot be put in a frame. */
static bool gen_addr_ok(const struct ms_tuple *t)
{
	static const uint8_t any[4];

	return t->family == AF_INET && memcmp(t->addr, any, sizeof(any)) != 0;
}

static bool gen_ring_ok(unsigned r)
{
	return r == 0 || (r >= 64 && r <= 32768 && (r & (r - 1)) == 0);
}

/* A usage error: one line saying what is wrong. Returns 2, the exit status. */
static int gen_bad(const char *what, const char *value)
{
	if (what)
		fprintf(stderr, "mstack-pktgen: %s%s%s\n", what, value ? ": " : "", value ? value : "");
	fprintf(stderr, "mstack-pktgen: see mstack-pktgen -h\n");
	return 2;
}

/* One option into c. Returns false if its value is out of range. */
static bool gen_option(int opt, const char *arg, struct gen_conf *c, const char **proto, const char **dst)
{
	bool ok = true;

	switch (opt) {
	case 's': c->sock = arg; break;
	case 'n': ok = numarg_uint(arg, 1, GEN_SESSIONS_MAX, &c->nsessions); break;
	case 'l': ok = numarg_uint(arg, PB_FRAME_MIN, PB_FRAME_MAX, &c->len); break;
	case 't': ok = c->have_time = numarg_uint(arg, 0, 1000000000, &c->seconds); break;
	case 'c': ok = numarg_u64(arg, 1, ~0ull, &c->count); break;
	case 'm':
		*proto = arg;
		ok = !strcmp(arg, "udp") || !strcmp(arg, "tcp");
		break;
	case 'd': ok = c->have_mac = gen_mac(arg, c->dst_mac); break;
	case 'D': *dst = arg; break;
	case 'b': ok = numarg_uint(arg, 1, GEN_BURST_MAX, &c->burst); break;
	case 'r': ok = numarg_uint(arg, 0, 32768, &c->ring) && gen_ring_ok(c->ring); break;
	case 'v': c->verbose = true; break;
	}
	return ok;
}

/* Parse the command line into c. Returns 0, 1 after -h, or 2 on a usage error (already reported). */
static int gen_parse(int argc, char **argv, struct gen_conf *c)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *proto = "udp", *dst = NULL;
	char bad[] = "invalid -?";
	int opt;

	while ((opt = getopt_long(argc, argv, "s:n:l:t:c:m:d:D:b:r:vh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			gen_usage(stdout);
			return 1;
		}
		if (opt == '?' || opt == ':')
			return gen_bad(NULL, NULL); /* getopt said why */
		bad[sizeof(bad) - 2] = (char)opt;
		if (!gen_option(opt, optarg, c, &proto, &dst))
			return gen_bad(bad, optarg);
	}
	if (argc - optind != 1)
		return gen_bad("expected one SRC_IP:FIRST_PORT", NULL);
	if (!dst)
		return gen_bad("-D DST_IP:PORT is required", NULL);
	if (ms_tuple_parse(proto, argv[optind], &c->src) < 0 || !gen_addr_ok(&c->src))
		return gen_bad("SRC_IP:FIRST_PORT must be a unicast IPv4 address and a port", argv[optind]);
	if (ms_tuple_parse(proto, dst, &c->dst) < 0 || !gen_addr_ok(&c->dst))
		return gen_bad("-D must be a unicast IPv4 address and a port", dst);
	if (c->src.port && c->src.port + c->nsessions - 1 > 65535)
		return gen_bad("FIRST_PORT + SESSIONS - 1 is over 65535", NULL);
	if (c->count && !c->have_time)
		c->seconds = 0; /* a count alone runs until it is reached */
	return 0;
}

/* Attach and bind session i. Returns 0, or 1 after saying why not. */
static int gen_attach(const struct gen_conf *c, unsigned i, struct gen_session *g)
{
	struct ms_tuple t;

	if (sessions_attach("mstack-pktgen", "pktgen", c->sock, c->ring, i, &c->src, &g->s, &t))
		return 1;
	memcpy(g->flow.src_mac, ms_mac(g->s), 6);
	memcpy(g->flow.src_ip, t.addr, 4);
	memcpy(g->flow.dst_ip, c->dst.addr, 4);
	g->flow.src_port = t.port;
	g->flow.dst_port = c->dst.port;
	g->flow.proto = t.proto;
	g->flow.seq = (uint32_t)i << 24; /* distinct streams, like independent connections */
	return 0;
}

/* The destination MAC: given, or resolved once; every session shares the next hop. */
static int gen_dst_mac(struct gen_conf *c, struct ms_session *s)
{
	int rc;

	if (c->have_mac)
		return 0;
	rc = ms_resolve(s, AF_INET, c->dst.addr, c->dst_mac);
	if (rc < 0) {
		fprintf(stderr, "mstack-pktgen: resolve the MAC of the destination: %s\n", ms_strerror(rc));
		return 1;
	}
	return 0;
}

static uint64_t gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * GEN_NS + (uint64_t)ts.tv_nsec;
}

/* Fill and post up to max frames into g's tx ring. Returns how many; 0 when the ring is full. */
static unsigned gen_post(struct gen_session *g, const struct gen_conf *c, unsigned max)
{
	struct ms_pkt pkts[GEN_BURST_MAX];
	unsigned n = ms_tx_alloc(g->s, 0, pkts, max), i;

	for (i = 0; i < n; i++)
		pkts[i].len = pb_build(pkts[i].data, c->len, &g->flow);
	if (n)
		ms_tx_send(g->s, 0, pkts, n);
	return n;
}

/* All sessions talk to one daemon: if it went away, session 0's control socket hangs up. */
static bool gen_daemon_gone(const struct gen_session *g)
{
	struct pollfd p = { .fd = ms_ctl_fd(g[0].s), .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/* Round-robin over the sessions until the time or the count runs out. Returns frames sent. */
static unsigned long long gen_run(const struct gen_conf *c, struct gen_session *g, uint64_t start, bool *lost)
{
	uint64_t deadline = c->seconds ? start + c->seconds * GEN_NS : UINT64_MAX, tick = start + GEN_NS;
	unsigned long long sent = 0, last_tick = 0;
	unsigned sec = 0, i;
	uint64_t now;

	while (!gen_stop && (!c->count || sent < c->count)) {
		for (i = 0; i < c->nsessions; i++) {
			unsigned long long left = c->count ? c->count - sent : c->burst;

			sent += gen_post(&g[i], c, left < c->burst ? (unsigned)left : c->burst);
		}
		now = gen_now();
		if (now >= tick) {
			/* Once a second: report, and stop rather than spin if mstackd is gone. */
			if (c->verbose) {
				printf("pktgen: second=%u sent=%llu pps=%llu\n", ++sec, sent, sent - last_tick);
				fflush(stdout);
			}
			last_tick = sent;
			tick += GEN_NS;
			if (gen_daemon_gone(g)) {
				*lost = true;
				break;
			}
		}
		if (now >= deadline)
			break;
	}
	return sent;
}

int main(int argc, char **argv)
{
	struct gen_conf c = { .nsessions = 1, .len = PB_FRAME_MIN, .burst = 32, .seconds = 10 };
	struct gen_session *g;
	unsigned long long sent;
	uint64_t start;
	double secs;
	bool lost = false;
	unsigned i, n = 0;
	int rc = gen_parse(argc, argv, &c);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (sessions_raise_nofile("mstack-pktgen", c.nsessions))
		return 1;
	g = calloc(c.nsessions, sizeof(*g));
	if (!g) {
		fprintf(stderr, "mstack-pktgen: out of memory\n");
		return 1;
	}
	for (n = 0; n < c.nsessions && rc == 0; n++)
		rc = gen_attach(&c, n, &g[n]);
	if (rc == 0)
		rc = gen_dst_mac(&c, g[0].s);
	if (rc == 0) {
		for (i = 0; i < c.nsessions; i++)
			memcpy(g[i].flow.dst_mac, c.dst_mac, 6);
		signal(SIGINT, gen_on_signal);
		signal(SIGTERM, gen_on_signal);
		start = gen_now();
		sent = gen_run(&c, g, start, &lost);
		secs = (double)(gen_now() - start) / GEN_NS;
		secs = secs > 0 ? secs : 1e-9;
		printf("pktgen: sessions=%u len=%u sent=%llu seconds=%.3f pps=%.0f mpps=%.3f\n", c.nsessions, c.len,
		       sent, secs, sent / secs, sent / secs / 1e6);
		if (lost)
			fprintf(stderr, "mstack-pktgen: %s\n", ms_strerror(-ECONNRESET));
		rc = lost;
	}
	for (i = 0; i < n; i++)
		ms_detach(g[i].s);
	free(g);
	return rc;
}
