/* SPDX-License-Identifier: BSD-2-Clause */
/* lossy_fwd.c - a bridge between two interfaces over AF_PACKET that drops, duplicates, reorders and delays frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * This kernel has no netem, so the lossy tests put this program in a middle
 * network namespace, between two veth ends. Every frame received on one
 * interface goes through, in this order:
 *
 *   drop (-d)  ->  duplicate (-u: queued twice)  ->  delay queue (-D ms, FIFO)
 *     ->  reorder (-r: held back and sent right after the next frame)  ->  send
 *
 * Rates are percentages, drawn from a seeded generator (-S), so a failing
 * run can be replayed with the same seed. Memory is bounded: each direction
 * has a fixed queue of -q frames of at most FWD_FRAME_MAX bytes; a frame that
 * finds the queue full is dropped and counted (as a full router queue would).
 * A held frame with no successor is sent after FWD_HOLD_MS, so that reordering
 * never turns into loss at the end of a burst. SIGTERM/SIGINT print the
 * counters, one "key value" per line, and exit 0.
 */

#define FWD_FRAME_MAX 2048 /* veth with offloads off carries at most MTU + 14 */
#define FWD_HOLD_MS   20
#define FWD_BURST     64

struct fwd_frame {
	uint64_t due_ns;
	uint32_t len;
	uint8_t data[FWD_FRAME_MAX];
};

struct fwd_counters {
	uint64_t rx, tx, dropped, duplicated, reordered, queue_full, oversize, tx_error;
};

/* One direction: frames read from in_fd, queued, written to out_fd. */
struct fwd_dir {
	const char *name;
	int in_fd, out_fd;
	struct fwd_frame *queue; /* ring of qcap frames */
	uint32_t qcap, head, count;
	struct fwd_frame held;
	bool holding;
	uint64_t held_since_ns;
	struct fwd_counters c;
};

struct fwd_params {
	double drop, dup, reorder; /* probabilities, 0..1 */
	uint64_t delay_ns;
};

static volatile sig_atomic_t fwd_stop;
static uint64_t fwd_rng_state;

static void fwd_on_signal(int sig)
{
	(void)sig;
	fwd_stop = 1;
}

/* xorshift64*: small, fast and reproducible from the seed; not for secrets. */
static double fwd_random(void)
{
	fwd_rng_state ^= fwd_rng_state >> 12;
	fwd_rng_state ^= fwd_rng_state << 25;
	fwd_rng_state ^= fwd_rng_state >> 27;
	return (double)((fwd_rng_state * 0x2545F4914F6CDD1DULL) >> 11) / (double)(1ULL << 53);
}

static bool fwd_chance(double p)
{
	return p > 0 && fwd_random() < p;
}

static uint64_t fwd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A raw socket on ifname that sees every frame the interface receives, and none that it sends. */
static int fwd_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, bufsz = 4 << 20, fd, e;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0)
		return -errno;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	mr.mr_ifindex = sll.sll_ifindex;
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	/* Bigger buffers than the default absorb bursts; failure only costs drops. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));
	return fd;
fail:
	e = -errno;
	close(fd);
	return e;
}

static void fwd_send(struct fwd_dir *d, const struct fwd_frame *f)
{
	if (send(d->out_fd, f->data, f->len, 0) == (ssize_t)f->len)
		d->c.tx++;
	else
		d->c.tx_error++;
}

static void fwd_enqueue(struct fwd_dir *d, const uint8_t *data, uint32_t len, uint64_t due_ns)
{
	struct fwd_frame *f;

	if (d->count == d->qcap) {
		d->c.queue_full++;
		return;
	}
	f = &d->queue[(d->head + d->count) % d->qcap];
	memcpy(f->data, data, len);
	f->len = len;
	f->due_ns = due_ns;
	d->count++;
}

/* Read what in_fd has (one burst at most, so that both directions get their turn). */
static void fwd_receive(struct fwd_dir *d, const struct fwd_params *p)
{
	uint8_t buf[65536];
	int i;

	for (i = 0; i < FWD_BURST; i++) {
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(d->in_fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
		uint64_t due;

		if (n < 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue; /* kernels without PACKET_IGNORE_OUTGOING */
		d->c.rx++;
		if (n > FWD_FRAME_MAX) {
			d->c.oversize++;
			continue;
		}
		if (fwd_chance(p->drop)) {
			d->c.dropped++;
			continue;
		}
		due = fwd_now_ns() + p->delay_ns;
		fwd_enqueue(d, buf, (uint32_t)n, due);
		if (fwd_chance(p->dup)) {
			d->c.duplicated++;
			fwd_enqueue(d, buf, (uint32_t)n, due);
		}
	}
}

/* Send the frames whose delay is over; a frame picked for reordering waits for the next one. */
static void fwd_transmit(struct fwd_dir *d, const struct fwd_params *p, uint64_t now)
{
	while (d->count && d->queue[d->head].due_ns <= now) {
		struct fwd_frame *f = &d->queue[d->head];

		if (!d->holding && fwd_chance(p->reorder)) {
			d->held = *f;
			d->holding = true;
			d->held_since_ns = now;
			d->c.reordered++;
		} else {
			fwd_send(d, f);
			if (d->holding) {
				fwd_send(d, &d->held);
				d->holding = false;
			}
		}
		d->head = (d->head + 1) % d->qcap;
		d->count--;
	}
	if (d->holding && now - d->held_since_ns >= (uint64_t)FWD_HOLD_MS * 1000000ULL) {
		fwd_send(d, &d->held);
		d->holding = false;
	}
}

/* Milliseconds until this direction has something to send, -1 if nothing. */
static int fwd_next_ms(const struct fwd_dir *d, uint64_t now)
{
	uint64_t due = UINT64_MAX;

	if (d->count)
		due = d->queue[d->head].due_ns;
	if (d->holding && d->held_since_ns + (uint64_t)FWD_HOLD_MS * 1000000ULL < due)
		due = d->held_since_ns + (uint64_t)FWD_HOLD_MS * 1000000ULL;
	if (due == UINT64_MAX)
		return -1;
	return due <= now ? 0 : (int)((due - now + 999999) / 1000000);
}

static void fwd_print(const struct fwd_dir *d)
{
	printf("%s.rx %llu\n%s.tx %llu\n%s.dropped %llu\n%s.duplicated %llu\n%s.reordered %llu\n"
	       "%s.queue_full %llu\n%s.oversize %llu\n%s.tx_error %llu\n",
	       d->name, (unsigned long long)d->c.rx, d->name, (unsigned long long)d->c.tx, d->name,
	       (unsigned long long)d->c.dropped, d->name, (unsigned long long)d->c.duplicated, d->name,
	       (unsigned long long)d->c.reordered, d->name, (unsigned long long)d->c.queue_full, d->name,
	       (unsigned long long)d->c.oversize, d->name, (unsigned long long)d->c.tx_error);
}

/* A percentage 0..100 from the command line, as a probability. */
static int fwd_parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 100))
		return -EINVAL;
	*out = v / 100;
	return 0;
}

static int fwd_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: lossy_fwd [-d DROP%%] [-u DUP%%] [-r REORDER%%] [-D DELAY_MS] [-q QUEUE] [-S SEED] "
			"IFACE_A IFACE_B\n");
}

int main(int argc, char **argv)
{
	struct fwd_params p = { 0 };
	struct fwd_dir dir[2] = { { .name = "a_to_b" }, { .name = "b_to_a" } };
	unsigned long v, qcap = 1024, seed = 1;
	int opt, fd_a, fd_b, i;

	while ((opt = getopt(argc, argv, "d:u:r:D:q:S:h")) != -1) {
		int rc = 0;

		switch (opt) {
		case 'd': rc = fwd_parse_rate(optarg, &p.drop); break;
		case 'u': rc = fwd_parse_rate(optarg, &p.dup); break;
		case 'r': rc = fwd_parse_rate(optarg, &p.reorder); break;
		case 'D':
			rc = fwd_parse_uint(optarg, 10000, &v);
			p.delay_ns = (uint64_t)v * 1000000ULL;
			break;
		case 'q': rc = fwd_parse_uint(optarg, 65536, &qcap); break;
		case 'S': rc = fwd_parse_uint(optarg, ~0UL, &seed); break;
		default: usage(); return 2;
		}
		if (rc < 0 || qcap == 0) {
			usage();
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage();
		return 2;
	}
	fwd_rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1; /* never 0: xorshift's fixed point */
	fd_a = fwd_open(argv[optind]);
	if (fd_a < 0) {
		fprintf(stderr, "lossy_fwd: %s: %s\n", argv[optind], strerror(-fd_a));
		return 1;
	}
	fd_b = fwd_open(argv[optind + 1]);
	if (fd_b < 0) {
		fprintf(stderr, "lossy_fwd: %s: %s\n", argv[optind + 1], strerror(-fd_b));
		return 1;
	}
	dir[0].in_fd = dir[1].out_fd = fd_a;
	dir[1].in_fd = dir[0].out_fd = fd_b;
	for (i = 0; i < 2; i++) {
		dir[i].qcap = (uint32_t)qcap;
		dir[i].queue = calloc(qcap, sizeof(struct fwd_frame));
		if (!dir[i].queue) {
			fprintf(stderr, "lossy_fwd: %s\n", strerror(ENOMEM));
			return 1;
		}
	}
	signal(SIGINT, fwd_on_signal);
	signal(SIGTERM, fwd_on_signal);
	printf("lossy_fwd: forwarding %s <-> %s drop %.2f%% dup %.2f%% reorder %.2f%% delay %llu ms seed %lu\n",
	       argv[optind], argv[optind + 1], p.drop * 100, p.dup * 100, p.reorder * 100,
	       (unsigned long long)(p.delay_ns / 1000000), seed);
	fflush(stdout);
	while (!fwd_stop) {
		struct pollfd pfd[2] = { { .fd = fd_a, .events = POLLIN }, { .fd = fd_b, .events = POLLIN } };
		uint64_t now = fwd_now_ns();
		int timeout = -1;

		for (i = 0; i < 2; i++) {
			int t = fwd_next_ms(&dir[i], now);

			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "lossy_fwd: poll: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].revents & POLLIN)
				fwd_receive(&dir[i], &p);
		}
		now = fwd_now_ns();
		for (i = 0; i < 2; i++)
			fwd_transmit(&dir[i], &p, now);
	}
	for (i = 0; i < 2; i++) {
		fwd_print(&dir[i]);
		free(dir[i].queue);
	}
	fflush(stdout);
	close(fd_a);
	close(fd_b);
	return 0;
}
