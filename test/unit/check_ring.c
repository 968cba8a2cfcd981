/* SPDX-License-Identifier: BSD-2-Clause */
/* check_ring.c - unit tests for the app rings: the daemon side (src/appring.h) against the real client library. */
#include <mstack/mstack.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "ms_codec.h"
#include "appring.h"
#include "check_main.h"

/*
 * Each test attaches the real client library (lib/mstack.c) to a fake
 * control server running in a thread: it answers HELLO the way mstackd does
 * (app_create, then the reply with app_hello_fds: memfd, wakeup and kick eventfds,
 * and each queue's eventfd with MS_HELLO_F_QUEUE_WAKEUP). The
 * test then holds both sides of one region: the daemon's `struct app` and
 * the client's `struct ms_session`.
 */

#define RING 64u /* default slots per ring in these tests */

static struct app *g_app;      /* the daemon's side */
static int g_conn_fd = -1;     /* the daemon's end of the control connection */
static struct ms_session *g_s; /* the client's side */

struct fake_srv {
	int lfd;
	int conn_fd;     /* the session's connection: the test closes it */
	struct app *app; /* made on HELLO, handed to the test */
};

/* Serve exactly one HELLO like mstackd: app_create, reply, pass memfd, wakeup fd and kick fd. */
static void *fake_srv_run(void *arg)
{
	static uint8_t buf[MS_MSG_MAX];
	struct fake_srv *srv = arg;
	struct ms_hello hello;
	struct ms_hello_reply rep;
	struct ms_msg_hdr h;
	const void *body;
	uint8_t out[sizeof(struct ms_msg_hdr) + sizeof(rep)];
	int cfd, nfds = 0, fds[MS_MSG_FDS_MAX];
	ssize_t n;
	struct app *a;

	cfd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return NULL;
	n = ms_msg_recv(cfd, buf, sizeof(buf), NULL, &nfds);
	if (n <= 0 || ms_msg_unpack(buf, (size_t)n, &h, &body) < 0 || h.type != MS_MSG_HELLO) {
		close(cfd);
		return NULL;
	}
	memcpy(&hello, body, sizeof(hello));
	a = app_create(1, &hello, hello.ring_size);
	if (!a) {
		close(cfd);
		return NULL;
	}
	memset(&rep, 0, sizeof(rep));
	rep.app_id = a->id;
	rep.nqueues = a->nqueues;
	rep.ring_size = a->ring_size;
	rep.mtu = 1500;
	rep.region_size = a->region_size;
	memcpy(rep.mac, "\x02\x00\x00\x00\x00\x01", 6);
	n = ms_msg_pack(out, sizeof(out), MS_MSG_HELLO | MS_MSG_REPLY, h.req_id, 0, &rep, sizeof(rep));
	if (n < 0 || ms_msg_send(cfd, out, (size_t)n, fds, app_hello_fds(a, fds)) < 0) {
		close(cfd);
		app_destroy(a);
		return NULL;
	}
	srv->conn_fd = cfd;
	srv->app = a;
	return NULL;
}

/* Attach a client with nqueues rings of ring_size slots and attach flags; sets g_app and g_s. */
static void ring_attach_flags(uint32_t ring_size, uint16_t nqueues, uint32_t flags)
{
	static unsigned seq;
	struct ms_attach_opts opts = {
		.name = "check_ring", .nqueues = nqueues, .ring_size = ring_size, .flags = flags
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fake_srv srv = { .lfd = -1, .conn_fd = -1 };
	pthread_t th;
	int rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/check_ring.%d.%u.sock", (int)getpid(), seq++);
	unlink(sa.sun_path);
	srv.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(srv.lfd, 0);
	ck_assert_int_eq(bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(srv.lfd, 1), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, fake_srv_run, &srv), 0);
	rc = ms_attach(sa.sun_path, &opts, &g_s);
	pthread_join(th, NULL);
	unlink(sa.sun_path);
	close(srv.lfd);
	g_app = srv.app;
	g_conn_fd = srv.conn_fd;
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(g_app);
	ck_assert_uint_eq(ms_nqueues(g_s), nqueues);
	ck_assert_uint_eq(g_app->ring_size, ring_size);
}

static void ring_attach(uint32_t ring_size, uint16_t nqueues)
{
	ring_attach_flags(ring_size, nqueues, 0);
}

static void ring_setup(void)
{
	g_app = NULL;
	g_s = NULL;
	g_conn_fd = -1;
}

static void ring_teardown(void)
{
	ms_detach(g_s);
	app_destroy(g_app);
	if (g_conn_fd >= 0)
		close(g_conn_fd);
	g_s = NULL;
	g_app = NULL;
	g_conn_fd = -1;
}

/* ck_assert_int_eq that says which case failed: `what` names it, `field` is what was compared. */
static void expect_eq(const char *what, const char *field, int64_t got, int64_t want)
{
	ck_assert_msg(got == want, "%s: %s is %lld, expected %lld", what, field, (long long)got, (long long)want);
}
#define EXPECT_EQ(what, got, want) expect_eq((what), #got, (int64_t)(got), (int64_t)(want))

/* Byte i of test frame `seq`: every frame and every offset differs. */
static uint8_t pat(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8) + 1u);
}

static void frame_fill(uint8_t *f, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		f[i] = pat(seq, i);
}

static int frame_is(const uint8_t *f, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		if (f[i] != pat(seq, i))
			return 0;
	return 1;
}

/* A length from 14 to MS_FRAME_MAX that depends on seq. */
static uint32_t len_of(uint32_t seq)
{
	static const uint32_t lens[] = { 14, 60, 64, 1514, MS_FRAME_MAX, 15, 128, 999 };

	return lens[seq % (sizeof(lens) / sizeof(lens[0]))];
}

static int rx_put(uint32_t q, uint32_t seq, uint32_t len)
{
	uint8_t f[MS_BUF_SIZE + 1];

	frame_fill(f, len, seq);
	return appring_rx_put(g_app, q, f, len);
}

/* Take up to max frames from rx queue q: exactly n must come, seq, seq+1, ... with their lengths and bytes. */
static void rx_take(uint32_t q, uint32_t seq, unsigned n, unsigned max)
{
	struct ms_pkt p[1025];

	ck_assert_uint_le(max, 1025);
	ck_assert_uint_eq(ms_rx_burst(g_s, q, p, max), n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(p[i].len, len_of(seq + i));
		ck_assert_msg(frame_is(p[i].data, p[i].len, seq + i), "frame %u has the wrong bytes", seq + i);
	}
	ms_rx_release(g_s, q, n);
}

/* Rx queue q holds exactly the n frames seq, seq+1, ...: take them all. */
static void rx_expect(uint32_t q, uint32_t seq, unsigned n)
{
	rx_take(q, seq, n, n + 1);
}

/* Start every index of queue 0, on both sides, at v, before any traffic. */
static void set_indices(uint32_t v)
{
	struct app_queue *aq = &g_app->q[0];

	aq->rx_head = aq->rx_published = aq->rx_tail = aq->tx_tail = v;
	aq->rx->head = aq->rx->tail = v;
	aq->tx->head = aq->tx->tail = v;
}

static uint64_t evfd_read(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0; /* EAGAIN: the counter is zero */
	return v;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ rx */

START_TEST(test_rx_burst_on_empty_ring_returns_nothing)
{
	struct ms_pkt p[4];

	ring_attach(RING, 1);
	ck_assert_uint_eq(ms_rx_burst(g_s, 0, p, 4), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 0);
	ck_assert_uint_eq(ms_rx_burst(g_s, 0, p, 4), 0);
}
END_TEST

START_TEST(test_rx_frames_arrive_in_order_with_their_lengths_and_bytes)
{
	uint64_t bytes = 0;

	ring_attach(RING, 1);
	for (uint32_t i = 0; i < 8; i++) {
		ck_assert_int_eq(rx_put(0, i, len_of(i)), 0);
		bytes += len_of(i);
	}
	appring_rx_publish(g_app);
	rx_expect(0, 0, 8);
	ck_assert_uint_eq(g_app->stats.rx_packets, 8);
	ck_assert_uint_eq(g_app->stats.rx_bytes, bytes);
	/* The release reached the daemon: the whole ring is free again. */
	ck_assert_uint_eq(g_app->q[0].rx->tail, 8);
	for (uint32_t i = 0; i < RING; i++)
		ck_assert_int_eq(rx_put(0, 100 + i, len_of(100 + i)), 0);
}
END_TEST

START_TEST(test_rx_burst_takes_at_most_n_and_release_of_part_keeps_the_rest)
{
	struct ms_pkt p[4];

	ring_attach(RING, 1);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(rx_put(0, i, len_of(i)), 0);
	appring_rx_publish(g_app);
	ck_assert_uint_eq(ms_rx_burst(g_s, 0, p, 4), 4);
	ck_assert(frame_is(p[3].data, p[3].len, 3));
	ms_rx_release(g_s, 0, 2);
	/* Frames 2 and 3 were not released: they come again, first. */
	rx_expect(0, 2, 8);
}
END_TEST

START_TEST(test_rx_frames_are_invisible_until_publish)
{
	struct ms_pkt p[4];

	ring_attach(RING, 1);
	for (uint32_t i = 0; i < 3; i++)
		ck_assert_int_eq(rx_put(0, i, len_of(i)), 0);
	ck_assert_uint_eq(ms_rx_burst(g_s, 0, p, 4), 0);
	ck_assert_uint_eq(g_app->q[0].rx->head, 0);
	appring_rx_publish(g_app);
	ck_assert_uint_eq(g_app->q[0].rx->head, 3);
	rx_expect(0, 0, 3);
}
END_TEST

/*
 * Several workers: each queue has exactly one owner, (app id + q) % nworkers;
 * a worker's publish stores the heads of its own queues only (another
 * worker's head is that worker's to store), and counts in its own block.
 */
START_TEST(test_each_worker_publishes_and_counts_only_the_queues_it_owns)
{
	const uint32_t nw = 2;
	struct app_stats sum;
	uint32_t q, w, owned[2] = { 0, 0 };

	ring_attach(RING, 4);
	ck_assert_int_eq(app_spread_stats(g_app, nw), 0);
	for (w = 0; w < nw; w++)
		for (q = app_first_queue(g_app, w, nw); q < g_app->nqueues; q += nw) {
			ck_assert_uint_eq(app_queue_owner(g_app, q, nw), w);
			owned[w]++;
		}
	ck_assert_uint_eq(owned[0] + owned[1], 4); /* every queue once */
	ck_assert_uint_eq(owned[0], 2);
	for (q = 0; q < 4; q++)
		ck_assert_int_eq(rx_put(q, q, len_of(q)), 0);
	w = app_queue_owner(g_app, 0, nw);
	appring_rx_publish_of(g_app, app_first_queue(g_app, w, nw), nw);
	for (q = 0; q < 4; q++)
		ck_assert_uint_eq(g_app->q[q].rx->head, app_queue_owner(g_app, q, nw) == w ? 1 : 0);
	/* Each frame was counted in the block of its queue's owner. */
	ck_assert_uint_eq(g_app->wstats[w].rx_packets, 2);
	ck_assert_uint_eq(g_app->wstats[1 - w].rx_packets, 2);
	ck_assert_uint_eq(g_app->stats.rx_packets, 0);
	app_stats_sum(g_app, &sum);
	ck_assert_uint_eq(sum.rx_packets, 4);
	appring_rx_publish_of(g_app, app_first_queue(g_app, 1 - w, nw), nw);
	for (q = 0; q < 4; q++)
		ck_assert_uint_eq(g_app->q[q].rx->head, 1);
}
END_TEST

START_TEST(test_rx_full_ring_refuses_with_enobufs_and_counts_rx_ring_full)
{
	ring_attach(RING, 1);
	for (uint32_t i = 0; i < RING; i++)
		ck_assert_int_eq(rx_put(0, i, len_of(i)), 0);
	ck_assert_int_eq(rx_put(0, 999, 60), -ENOBUFS);
	ck_assert_uint_eq(g_app->stats.rx_ring_full, 1);
	ck_assert_uint_eq(g_app->stats.rx_packets, RING);
	/* Published, still full: the oldest frame was not overwritten. */
	appring_rx_publish(g_app);
	ck_assert_int_eq(rx_put(0, 999, 60), -ENOBUFS);
	ck_assert_uint_eq(g_app->stats.rx_ring_full, 2);
	rx_expect(0, 0, RING);
	ck_assert_int_eq(rx_put(0, RING, len_of(RING)), 0);
}
END_TEST

START_TEST(test_rx_frame_over_buffer_size_is_refused_counted_and_not_written)
{
	const struct ms_buf *b;

	ring_attach(RING, 1);
	b = ms_ring_buf(g_app->q[0].rx_bufs, 0);
	ck_assert_int_eq(rx_put(0, 1, MS_FRAME_MAX + 1), -EMSGSIZE);
	ck_assert_uint_eq(g_app->stats.rx_too_long, 1);
	ck_assert_uint_eq(g_app->stats.rx_ring_full, 0);
	ck_assert_uint_eq(g_app->q[0].rx_head, 0);
	ck_assert_uint_eq(g_app->stats.rx_packets, 0);
	ck_assert_uint_eq(b->len, 0);
	ck_assert_uint_eq(b->frame[0], 0);
	/* The longest frame fits its buffer, after its length, and ends before the next buffer. */
	ck_assert_int_eq(rx_put(0, 1, MS_FRAME_MAX), 0);
	ck_assert_uint_eq(b->len, MS_FRAME_MAX);
	ck_assert(b->frame + MS_FRAME_MAX <= g_app->q[0].rx_bufs + MS_BUF_SIZE);
	ck_assert_int_eq(frame_is(b->frame, MS_FRAME_MAX, 1), 1);
	ck_assert_uint_eq(ms_ring_buf(g_app->q[0].rx_bufs, 1)->len, 0); /* the next buffer is untouched */
}
END_TEST

/* Start values for the wrap-around tests: 0, and just before the 32-bit counters overflow. */
static const struct wrap_case {
	const char *name;
	uint32_t start;
} wrap_cases[] = {
	{ "indices from 0", 0 },
	{ "indices 37 short of the 32-bit wrap", UINT32_MAX - 37 },
	{ "indices at UINT32_MAX", UINT32_MAX },
	{ "indices 5 short of 2^31", 0x80000000u - 5 },
};

START_TEST(test_rx_indices_wrap_with_varying_batch_and_burst_sizes)
{
	const struct wrap_case *c = &wrap_cases[_i];
	const uint32_t start = c->start;
	static const unsigned batches[] = { 1, 7, RING, 3, RING - 1, 16, 2, 33, 5 };
	uint32_t produced = 0, consumed = 0;
	struct ms_pkt p[RING];

	ring_attach(RING, 1);
	set_indices(start);
	for (unsigned round = 0; round < 300; round++) {
		unsigned batch = batches[round % (sizeof(batches) / sizeof(batches[0]))];
		unsigned room = RING - (produced - consumed);

		for (unsigned i = 0; i < batch; i++) {
			int rc = rx_put(0, produced, len_of(produced));

			if (i < room) {
				EXPECT_EQ(c->name, rc, 0);
				produced++;
			} else {
				EXPECT_EQ(c->name, rc, -ENOBUFS);
			}
		}
		appring_rx_publish(g_app);
		EXPECT_EQ(c->name, g_app->q[0].rx->head, start + produced);
		/* Consume in bursts of another rhythm, sometimes leaving frames behind. */
		unsigned want = (round * 5) % 23 + 1;
		while (want > 0) {
			unsigned n = ms_rx_burst(g_s, 0, p, want < RING ? want : RING);

			if (n == 0)
				break;
			for (unsigned i = 0; i < n; i++) {
				EXPECT_EQ(c->name, p[i].len, len_of(consumed + i));
				ck_assert_msg(frame_is(p[i].data, p[i].len, consumed + i), "%s: frame %u corrupted",
					      c->name, consumed + i);
			}
			ms_rx_release(g_s, 0, n);
			consumed += n;
			want -= n;
		}
	}
	rx_expect(0, consumed, produced - consumed);
	/* Passed the ring size many times, and (for the high starts) wrapped the 32-bit counter. */
	ck_assert_msg(produced > 20 * RING, "%s: only %u frames produced", c->name, produced);
	if (start > UINT32_MAX - produced)
		ck_assert_msg(g_app->q[0].rx->head < start, "%s: rx head did not wrap", c->name);
	EXPECT_EQ(c->name, g_app->q[0].rx->tail, start + produced);
	EXPECT_EQ(c->name, g_app->stats.rx_bad_index, 0);
}
END_TEST

/* ------------------------------------------------------------------ tx */

/* The daemon takes up to max frames of tx queue q, checks them against seq.., and releases them. */
static unsigned tx_drain_expect(uint32_t q, uint32_t seq, uint32_t max)
{
	int n = appring_tx_avail(g_app, q, max);

	ck_assert_int_ge(n, 0);
	for (int k = 0; k < n; k++) {
		const uint8_t *data;
		uint32_t len = appring_tx_frame(g_app, q, (uint32_t)k, &data);

		ck_assert_uint_eq(len, len_of(seq + (uint32_t)k));
		ck_assert_msg(frame_is(data, len, seq + (uint32_t)k), "tx frame %u corrupted", seq + (uint32_t)k);
	}
	appring_tx_release(g_app, q, (uint32_t)n);
	return (unsigned)n;
}

START_TEST(test_tx_frames_roundtrip_from_client_to_daemon)
{
	struct ms_pkt p[5];
	uint8_t f[MS_BUF_SIZE];

	ring_attach(RING, 1);
	ck_assert_int_eq(appring_tx_avail(g_app, 0, RING), 0);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 0, p, 5), 5);
	for (uint32_t i = 0; i < 5; i++) {
		ck_assert_uint_eq(p[i].len, MS_FRAME_MAX);
		frame_fill(p[i].data, len_of(i), i);
		p[i].len = len_of(i);
	}
	/* Nothing is visible before ms_tx_send. */
	ck_assert_int_eq(appring_tx_avail(g_app, 0, RING), 0);
	ms_tx_send(g_s, 0, p, 5);
	ck_assert_int_eq(appring_tx_avail(g_app, 0, 3), 3);
	ck_assert_uint_eq(tx_drain_expect(0, 0, 3), 3);
	ck_assert_uint_eq(g_app->q[0].tx->tail, 3);
	frame_fill(f, len_of(5), 5);
	ck_assert_int_eq(ms_tx_copy(g_s, 0, f, len_of(5)), 0);
	ck_assert_uint_eq(tx_drain_expect(0, 3, RING), 3);
	ck_assert_int_eq(appring_tx_avail(g_app, 0, RING), 0);
	ck_assert_uint_eq(g_app->stats.tx_invalid_desc + g_app->stats.tx_bad_index, 0);
}
END_TEST

START_TEST(test_tx_full_ring_gives_the_client_no_buffers_until_the_daemon_releases)
{
	uint8_t f[MS_BUF_SIZE + 1];
	struct ms_pkt p[RING];

	ring_attach(RING, 1);
	for (uint32_t i = 0; i < RING; i++) {
		frame_fill(f, len_of(i), i);
		ck_assert_int_eq(ms_tx_copy(g_s, 0, f, len_of(i)), 0);
	}
	ck_assert_int_eq(ms_tx_copy(g_s, 0, f, 60), -EAGAIN);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 0, p, RING), 0);
	ck_assert_int_eq(ms_tx_copy(g_s, 0, f, MS_FRAME_MAX + 1), -EMSGSIZE);
	ck_assert_int_eq(appring_tx_avail(g_app, 0, 2 * RING), RING);
	ck_assert_uint_eq(tx_drain_expect(0, 0, 2), 2);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 0, p, RING), 2);
	ck_assert_uint_eq(tx_drain_expect(0, 2, 2 * RING), RING - 2);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 0, p, RING), RING);
}
END_TEST

START_TEST(test_tx_indices_wrap_with_varying_batch_sizes)
{
	const struct wrap_case *c = &wrap_cases[_i];
	const uint32_t start = c->start;
	static const unsigned batches[] = { 1, RING, 9, 2, RING - 3, 17, 4 };
	uint32_t sent = 0, taken = 0;
	struct ms_pkt p[RING];

	ring_attach(RING, 1);
	set_indices(start);
	for (unsigned round = 0; round < 300; round++) {
		unsigned batch = batches[round % (sizeof(batches) / sizeof(batches[0]))];
		unsigned n = ms_tx_alloc(g_s, 0, p, batch);

		EXPECT_EQ(c->name, n, batch < RING - (sent - taken) ? batch : RING - (sent - taken));
		for (unsigned i = 0; i < n; i++) {
			frame_fill(p[i].data, len_of(sent + i), sent + i);
			p[i].len = len_of(sent + i);
		}
		ms_tx_send(g_s, 0, p, n);
		sent += n;
		taken += tx_drain_expect(0, taken, (round * 3) % 29 + 1);
	}
	while (taken != sent)
		taken += tx_drain_expect(0, taken, RING);
	ck_assert_msg(sent > 20 * RING, "%s: only %u frames sent", c->name, sent);
	if (start > UINT32_MAX - sent)
		ck_assert_msg(g_app->q[0].tx->tail < start, "%s: tx tail did not wrap", c->name);
	EXPECT_EQ(c->name, g_app->q[0].tx->tail, start + sent);
	EXPECT_EQ(c->name, g_app->stats.tx_invalid_desc + g_app->stats.tx_bad_index, 0);
}
END_TEST

/* ------------------------------------------------------------ hostile */

/*
 * Tails an rx ring can never have, relative to the daemon's head, now or after it produced up
 * to a ring more: more than a ring behind, or in the future by more than a ring.
 */
static const struct bad_index_case {
	const char *name;
	int64_t delta;
} bad_rx_tails[] = {
	{ "tail one more than a ring behind", -(int64_t)RING - 1 },
	{ "tail four rings ahead", 4 * RING },
	{ "tail 2^31 ahead", 0x80000000 },
	{ "tail 2^31 - 1 behind", -0x7fffffff },
	{ "tail 2^30 ahead", 0x40000000 },
};

START_TEST(test_rx_put_refuses_an_impossible_tail_without_writing)
{
	const struct bad_index_case *c = &bad_rx_tails[_i];
	struct app_queue *aq;
	struct ms_buf *bad;
	uint32_t head, tail;

	ring_attach(RING, 1);
	aq = &g_app->q[0];
	for (uint32_t i = 0; i < 10; i++)
		EXPECT_EQ(c->name, rx_put(0, i, len_of(i)), 0);
	appring_rx_publish(g_app);
	rx_take(0, 0, 4, 4); /* tail 4, head 10; the daemon last read tail 0 */

	/* The library has no call that corrupts its tail: write it as a hostile app would. */
	tail = aq->rx_head + (uint32_t)c->delta;
	__atomic_store_n(&aq->rx->tail, tail, __ATOMIC_RELEASE);

	/*
	 * The daemon reads the tail only when its last good view (tail 0) says
	 * the ring is full: puts go on into that room, then the tail is read and refused.
	 */
	EXPECT_EQ(c->name, rx_put(0, 10, len_of(10)), 0);
	EXPECT_EQ(c->name, appring_rx_publish(g_app), 0);
	EXPECT_EQ(c->name, aq->rx_tail, 0);
	for (uint32_t i = 11; i < RING; i++)
		EXPECT_EQ(c->name, rx_put(0, i, 60), 0);
	head = aq->rx_head;
	bad = ms_ring_buf(aq->rx_bufs, head & g_app->mask);
	memset(bad, 0xa5, MS_BUF_SIZE);
	EXPECT_EQ(c->name, rx_put(0, RING, 60), -EBADMSG);
	EXPECT_EQ(c->name, g_app->stats.rx_bad_index, 1);
	EXPECT_EQ(c->name, g_app->stats.rx_ring_full, 0);
	EXPECT_EQ(c->name, aq->rx_head, head);
	EXPECT_EQ(c->name, bad->len, 0xa5a5); /* neither the length nor the frame was written */
	for (uint32_t i = 0; i < MS_BUF_SIZE; i++)
		EXPECT_EQ(c->name, ((const uint8_t *)bad)[i], 0xa5);
	EXPECT_EQ(c->name, aq->rx->tail, tail); /* the daemon never writes the app's index */

	/* The app repairs its tail (it consumed everything): delivery resumes where it stopped. */
	appring_rx_publish(g_app);
	__atomic_store_n(&aq->rx->tail, head, __ATOMIC_RELEASE);
	EXPECT_EQ(c->name, rx_put(0, RING, len_of(RING)), 0);
	appring_rx_publish(g_app);
	rx_expect(0, RING, 1);
}
END_TEST

START_TEST(test_rx_put_treats_a_tail_exactly_one_ring_behind_as_full_not_bad)
{
	struct app_queue *aq;

	ring_attach(RING, 1);
	aq = &g_app->q[0];
	set_indices(1000);
	aq->rx_head = aq->rx_published = aq->rx->head = 1000 + RING;
	ck_assert_int_eq(rx_put(0, 1, 60), -ENOBUFS);
	ck_assert_uint_eq(g_app->stats.rx_ring_full, 1);
	ck_assert_uint_eq(g_app->stats.rx_bad_index, 0);
	aq->rx->tail = 1000 + RING;
	ck_assert_int_eq(rx_put(0, 1, 60), 0);
}
END_TEST

/* Heads a tx ring can never have, relative to the daemon's tail. */
static const struct bad_index_case bad_tx_heads[] = {
	{ "head one more than a ring ahead", RING + 1 },
	{ "head one behind", -1 },
	{ "head 2^31 ahead", 0x80000000 },
	{ "head a ring behind", -(int64_t)RING },
	{ "head 0xffffff ahead", 0xffffff },
};

START_TEST(test_tx_avail_refuses_an_impossible_head_and_consumes_nothing)
{
	const struct bad_index_case *c = &bad_tx_heads[_i];
	struct app_queue *aq;
	uint8_t f[64];
	uint32_t head;

	ring_attach(RING, 1);
	aq = &g_app->q[0];
	set_indices(UINT32_MAX - 2);
	frame_fill(f, 60, 0);
	EXPECT_EQ(c->name, ms_tx_copy(g_s, 0, f, 60), 0);
	head = aq->tx->head;
	__atomic_store_n(&aq->tx->head, aq->tx_tail + (uint32_t)c->delta, __ATOMIC_RELEASE);
	EXPECT_EQ(c->name, appring_tx_avail(g_app, 0, RING), -EBADMSG);
	EXPECT_EQ(c->name, g_app->stats.tx_bad_index, 1);
	EXPECT_EQ(c->name, aq->tx_tail, UINT32_MAX - 2);
	EXPECT_EQ(c->name, aq->tx->tail, UINT32_MAX - 2);

	/* Exactly a full ring is possible; a repaired head works again. */
	__atomic_store_n(&aq->tx->head, aq->tx_tail + RING, __ATOMIC_RELEASE);
	EXPECT_EQ(c->name, appring_tx_avail(g_app, 0, 2 * RING), RING);
	__atomic_store_n(&aq->tx->head, head, __ATOMIC_RELEASE);
	EXPECT_EQ(c->name, appring_tx_avail(g_app, 0, RING), 1);
	EXPECT_EQ(c->name, g_app->stats.tx_bad_index, 1);
}
END_TEST

static const struct bad_len_case {
	const char *name;
	uint32_t len;
} bad_tx_lens[] = {
	{ "length 0", 0 },
	{ "length 13, under the Ethernet header", 13 },
	{ "length one past the longest frame", MS_FRAME_MAX + 1 },
	{ "length of the whole buffer", MS_BUF_SIZE },
	{ "length 0xffff, the field's largest", 0xffffu },
	{ "length 0x10000 + 60, valid if wrapped to 16 bits", 0x10000u + 60 },
	{ "length 0xffffffff", 0xffffffffu },
	{ "length 2^31", 0x80000000u },
};

START_TEST(test_tx_frame_refuses_a_length_out_of_bounds_and_counts_it)
{
	const struct bad_len_case *c = &bad_tx_lens[_i];
	const uint8_t *data = NULL;
	const uint8_t *lo, *hi;
	struct ms_pkt p[3];

	ring_attach(RING, 1);
	EXPECT_EQ(c->name, ms_tx_alloc(g_s, 0, p, 3), 3);
	p[0].len = MS_FRAME_MIN; /* the smallest and largest lengths are fine */
	p[1].len = c->len;
	p[2].len = MS_FRAME_MAX;
	ms_tx_send(g_s, 0, p, 3);
	EXPECT_EQ(c->name, appring_tx_avail(g_app, 0, RING), 3);
	EXPECT_EQ(c->name, appring_tx_frame(g_app, 0, 0, &data), MS_FRAME_MIN);
	EXPECT_EQ(c->name, appring_tx_frame(g_app, 0, 1, &data), 0);
	EXPECT_EQ(c->name, g_app->stats.tx_invalid_desc, 1);
	/* Even for a bad length the frame pointer is its index's own buffer's, inside the region. */
	lo = (const uint8_t *)g_app->region;
	hi = lo + g_app->region_size;
	ck_assert_msg(data >= lo && data + MS_FRAME_MAX <= hi, "%s: buffer outside the region", c->name);
	ck_assert_msg(data == g_app->q[0].tx_bufs + MS_BUF_SIZE + MS_BUF_HEADROOM, "%s: not the index's own buffer",
		      c->name);
	EXPECT_EQ(c->name, appring_tx_frame(g_app, 0, 2, &data), MS_FRAME_MAX);
	EXPECT_EQ(c->name, g_app->stats.tx_invalid_desc, 1);
	appring_tx_release(g_app, 0, 3);
	EXPECT_EQ(c->name, ms_tx_alloc(g_s, 0, p, 3), 3);
}
END_TEST

/* ------------------------------------------------------------ wakeups */

START_TEST(test_publish_without_need_wakeup_signals_nothing)
{
	ring_attach(RING, 1);
	ck_assert_int_eq(rx_put(0, 0, 60), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 0);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 0);
	ck_assert_uint_eq(g_app->stats.rx_wakeups, 0);
}
END_TEST

START_TEST(test_publish_into_empty_ring_after_wait_prepare_signals_exactly_once)
{
	ring_attach(RING, 1);
	ck_assert_int_eq(ms_wait_prepare(g_s), 0);
	ck_assert(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP);
	for (uint32_t i = 0; i < 3; i++)
		ck_assert_int_eq(rx_put(0, i, len_of(i)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 1);
	ck_assert_uint_eq(g_app->stats.rx_wakeups, 1);
	/* The ring is not empty any more: a second publish does not signal. */
	ck_assert_int_eq(rx_put(0, 3, len_of(3)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 0);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 0);
	ck_assert_uint_eq(g_app->stats.rx_wakeups, 1);
	/* Drained while the flag is still up: the next publish signals again. */
	rx_expect(0, 0, 4);
	ck_assert_int_eq(rx_put(0, 4, len_of(4)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 1);
	/* ms_wait_done withdraws the request. */
	ms_wait_done(g_s);
	ck_assert(!(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP));
	rx_expect(0, 4, 1);
	ck_assert_int_eq(rx_put(0, 5, len_of(5)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 0);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 0);
	ck_assert_uint_eq(g_app->stats.rx_wakeups, 2);
}
END_TEST

START_TEST(test_wait_prepare_returns_1_when_frames_are_already_there)
{
	ring_attach(RING, 1);
	ck_assert_int_eq(rx_put(0, 0, 60), 0);
	appring_rx_publish(g_app);
	ck_assert_int_eq(ms_wait_prepare(g_s), 1);
	ms_wait_done(g_s);
}
END_TEST

START_TEST(test_wait_done_drains_a_pending_signal)
{
	ring_attach(RING, 1);
	ck_assert_int_eq(ms_wait_prepare(g_s), 0);
	ck_assert_int_eq(rx_put(0, 0, 60), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ms_wait_done(g_s);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 0);
}
END_TEST

START_TEST(test_wait_returns_0_on_timeout)
{
	double t0;

	ring_attach(RING, 1);
	t0 = now_ms();
	ck_assert_int_eq(ms_wait(g_s, 50), 0);
	ck_assert_double_ge(now_ms() - t0, 40);
	ck_assert(!(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP));
}
END_TEST

static void *late_publisher(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	rx_put(0, 0, len_of(0));
	appring_rx_publish(g_app);
	return NULL;
}

START_TEST(test_wait_returns_1_when_frames_are_ready)
{
	pthread_t th;
	double t0;

	ring_attach(RING, 1);
	/* Frames published while the client sleeps in poll wake it. */
	ck_assert_int_eq(pthread_create(&th, NULL, late_publisher, NULL), 0);
	t0 = now_ms();
	ck_assert_int_eq(ms_wait(g_s, 10000), 1);
	ck_assert_double_lt(now_ms() - t0, 5000);
	pthread_join(th, NULL);
	ck_assert_uint_eq(g_app->stats.rx_wakeups, 1);
	ck_assert(!(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP));
	/* Frames already there: no sleep at all. */
	t0 = now_ms();
	ck_assert_int_eq(ms_wait(g_s, 10000), 1);
	ck_assert_double_lt(now_ms() - t0, 5000);
	rx_expect(0, 0, 1);
}
END_TEST

/* An app that asked to handle the daemon's departure itself is told of it (the default re-attaches: check_client). */
START_TEST(test_wait_reports_a_closed_control_connection)
{
	ring_attach_flags(RING, 1, MS_ATTACH_F_NO_REATTACH);
	close(g_conn_fd);
	g_conn_fd = -1;
	ck_assert_int_eq(ms_wait(g_s, 5000), -ECONNRESET);
}
END_TEST

START_TEST(test_wakeup_request_covers_every_queue)
{
	ring_attach(RING, 2);
	ck_assert_int_eq(ms_wait_prepare(g_s), 0);
	ck_assert(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP);
	ck_assert(g_app->q[1].rx->flags & MS_RING_NEED_WAKEUP);
	ck_assert_int_eq(rx_put(1, 0, len_of(0)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ck_assert_uint_eq(evfd_read(ms_wait_fd(g_s)), 1);
	ms_wait_done(g_s);
	ck_assert_int_eq(ms_wait_prepare(g_s), 1);
	ms_wait_done(g_s);
}
END_TEST

/* ------------------------------------------------------------ per-queue wakeups */

/* 1 if fd is readable now (poll with no wait). */
static int fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

START_TEST(test_queue_wakeup_signals_only_the_fd_of_the_queue_that_received)
{
	int fd0, fd1;

	ring_attach_flags(RING, 2, MS_HELLO_F_QUEUE_WAKEUP);
	fd0 = ms_queue_wait_fd(g_s, 0);
	fd1 = ms_queue_wait_fd(g_s, 1);
	ck_assert_int_ge(fd0, 0);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_ne(fd0, fd1);
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, 0), 0);
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, 1), 0);
	ck_assert_int_eq(rx_put(1, 0, len_of(0)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ck_assert_uint_eq(evfd_read(fd1), 1);
	ck_assert_uint_eq(evfd_read(fd0), 0);
	ck_assert_uint_eq(evfd_read(g_app->wakeup_fd), 0); /* the session's fd is not signalled */
	/* And the other way round. */
	rx_expect(1, 0, 1);
	ck_assert_int_eq(rx_put(0, 1, len_of(1)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ck_assert_uint_eq(evfd_read(fd0), 1);
	ck_assert_uint_eq(evfd_read(fd1), 0);
	ck_assert_uint_eq(g_app->stats.rx_wakeups, 2);
}
END_TEST

START_TEST(test_queue_wait_prepare_and_done_touch_only_their_queue)
{
	ring_attach_flags(RING, 2, MS_HELLO_F_QUEUE_WAKEUP);
	/* Frames on queue 0 do not stop queue 1 from sleeping. */
	ck_assert_int_eq(rx_put(0, 0, len_of(0)), 0);
	appring_rx_publish(g_app);
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, 1), 0);
	ck_assert(g_app->q[1].rx->flags & MS_RING_NEED_WAKEUP);
	ck_assert(!(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP));
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, 0), 1);
	rx_expect(0, 0, 1);
	/* Both signalled; queue 0's done drains and withdraws queue 0 only. */
	ck_assert_int_eq(rx_put(0, 1, len_of(1)), 0);
	ck_assert_int_eq(rx_put(1, 2, len_of(2)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 2);
	ms_queue_wait_done(g_s, 0);
	ck_assert(!(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP));
	ck_assert(g_app->q[1].rx->flags & MS_RING_NEED_WAKEUP);
	ck_assert(!fd_readable(ms_queue_wait_fd(g_s, 0)));
	ck_assert(fd_readable(ms_queue_wait_fd(g_s, 1)));
	ms_queue_wait_done(g_s, 1);
	ck_assert(!(g_app->q[1].rx->flags & MS_RING_NEED_WAKEUP));
	ck_assert(!fd_readable(ms_queue_wait_fd(g_s, 1)));
}
END_TEST

START_TEST(test_session_wait_fd_wakes_for_any_queue_of_a_per_queue_session)
{
	ring_attach_flags(RING, 3, MS_HELLO_F_QUEUE_WAKEUP);
	ck_assert_int_eq(ms_wait_prepare(g_s), 0);
	ck_assert(!fd_readable(ms_wait_fd(g_s)));
	ck_assert_int_eq(rx_put(2, 0, len_of(0)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	ck_assert(fd_readable(ms_wait_fd(g_s)));
	ms_wait_done(g_s);
	ck_assert(!fd_readable(ms_wait_fd(g_s)));
	ck_assert(!fd_readable(ms_queue_wait_fd(g_s, 2)));
	for (uint32_t q = 0; q < 3; q++)
		ck_assert(!(g_app->q[q].rx->flags & MS_RING_NEED_WAKEUP));
	/* ms_wait polls them all. */
	rx_expect(2, 0, 1);
	ck_assert_int_eq(rx_put(1, 1, len_of(1)), 0);
	appring_rx_publish(g_app);
	ck_assert_int_eq(ms_wait(g_s, 10000), 1);
}
END_TEST

START_TEST(test_queue_wait_is_refused_without_the_flag_or_out_of_range)
{
	ring_attach(RING, 2);
	ck_assert_int_eq(ms_queue_wait_fd(g_s, 0), -EOPNOTSUPP);
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, 0), -EOPNOTSUPP);
	ck_assert(!(g_app->q[0].rx->flags & MS_RING_NEED_WAKEUP));
	ms_queue_wait_done(g_s, 0); /* nothing to do, and nothing drained */
	ring_teardown();
	ring_attach_flags(RING, 2, MS_HELLO_F_QUEUE_WAKEUP);
	ck_assert_int_eq(ms_queue_wait_fd(g_s, 2), -EINVAL);
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, 2), -EINVAL);
	ck_assert_int_eq(ms_queue_wait_prepare(g_s, UINT32_MAX), -EINVAL);
	ms_queue_wait_done(g_s, 2);
}
END_TEST

START_TEST(test_daemon_refuses_per_queue_fds_that_would_not_fit_one_reply)
{
	struct ms_hello h = { .abi_major = MS_ABI_MAJOR,
			      .nqueues = MS_QUEUES_MAX + 1,
			      .flags = MS_HELLO_F_QUEUE_WAKEUP,
			      .ring_size = 64,
			      .name = "big" };
	struct app *a;
	int fds[MS_MSG_FDS_MAX];

	errno = 0;
	ck_assert_ptr_null(app_create(1, &h, 64));
	ck_assert_int_eq(errno, EINVAL);
	/* The most queues: every one has an eventfd of its own, and the reply's fds fill one message. */
	h.nqueues = MS_QUEUES_MAX;
	a = app_create(1, &h, 64);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(app_hello_fds(a, fds), MS_MSG_FDS_MAX);
	for (int i = 3; i < MS_MSG_FDS_MAX; i++) {
		ck_assert_int_eq(fds[i], a->q[i - 3].wakeup_fd);
		ck_assert_int_ne(fds[i], a->wakeup_fd);
		for (int j = 0; j < i; j++)
			ck_assert_int_ne(fds[i], fds[j]);
	}
	app_destroy(a);
	/* Without the flag every queue's wakeups go to the session's fd, and the reply has 3 fds. */
	h.flags = 0;
	h.nqueues = 2;
	a = app_create(1, &h, 64);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(app_hello_fds(a, fds), 3);
	ck_assert_int_eq(a->q[1].wakeup_fd, a->wakeup_fd);
	app_destroy(a);
}
END_TEST

struct queue_sleeper {
	uint32_t q;
	int woke; /* 1: its fd fired within the wait; 0: it timed out */
};

/* One thread per queue, as a stack instance per queue sleeps: prepare, poll its own fd, done. */
static void *queue_sleeper_run(void *arg)
{
	struct queue_sleeper *z = arg;
	struct pollfd p = { .fd = ms_queue_wait_fd(g_s, z->q), .events = POLLIN };

	if (ms_queue_wait_prepare(g_s, z->q) == 0)
		z->woke = poll(&p, 1, 400) == 1;
	else
		z->woke = -1; /* frames before the sleep: the test's order is broken */
	ms_queue_wait_done(g_s, z->q);
	return NULL;
}

START_TEST(test_threads_sleeping_on_their_own_queue_are_woken_only_by_it)
{
	uint32_t target = (uint32_t)_i; /* the queue that receives */
	struct queue_sleeper z[2] = { { .q = 0 }, { .q = 1 } };
	pthread_t th[2];

	ring_attach_flags(RING, 2, MS_HELLO_F_QUEUE_WAKEUP);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, queue_sleeper_run, &z[i]), 0);
	/* Both asleep (their flags up), then a frame for one queue. */
	while (!(__atomic_load_n(&g_app->q[0].rx->flags, __ATOMIC_ACQUIRE) & MS_RING_NEED_WAKEUP) ||
	       !(__atomic_load_n(&g_app->q[1].rx->flags, __ATOMIC_ACQUIRE) & MS_RING_NEED_WAKEUP))
		sched_yield();
	ck_assert_int_eq(rx_put(target, 0, len_of(0)), 0);
	ck_assert_uint_eq(appring_rx_publish(g_app), 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(z[target].woke, 1);
	ck_assert_int_eq(z[1 - target].woke, 0);
}
END_TEST

/* ------------------------------------------------------------ region */

START_TEST(test_region_is_sealed_against_resizing)
{
	struct stat st;
	int fd, seals;

	ring_attach(RING, 1);
	/* The fd the client received is this open file (SCM_RIGHTS passes the same file). */
	fd = dup(g_app->memfd);
	ck_assert_int_ge(fd, 0);
	errno = 0;
	/* hugetlbfs refuses a size that is not a huge-page multiple before it looks at the seals. */
	ck_assert_int_eq(ftruncate(fd, 4096), -1);
	ck_assert(errno == EPERM || errno == EINVAL);
	ck_assert_int_eq(ftruncate(fd, 0), -1);
	ck_assert_int_eq(ftruncate(fd, (off_t)g_app->region_size * 2), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)g_app->region_size);
	seals = fcntl(fd, F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	/* And the seals cannot be changed any more. */
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	close(fd);
	/* The region is still whole and shared: a frame crosses it. */
	ck_assert_uint_eq(len_of(4), MS_FRAME_MAX);
	ck_assert_int_eq(rx_put(0, 4, len_of(4)), 0);
	appring_rx_publish(g_app);
	rx_expect(0, 4, 1);
}
END_TEST

START_TEST(test_queues_are_separate_rings_and_buffers)
{
	ring_attach(RING, 2);
	for (uint32_t i = 0; i < RING; i++) {
		ck_assert_int_eq(rx_put(0, i, len_of(i)), 0);
		ck_assert_int_eq(rx_put(1, 1000 + i, len_of(1000 + i)), 0);
	}
	appring_rx_publish(g_app);
	rx_expect(1, 1000, RING);
	rx_expect(0, 0, RING);
	for (uint32_t i = 0; i < 4; i++) {
		uint8_t f[MS_BUF_SIZE];

		frame_fill(f, len_of(i), i);
		ck_assert_int_eq(ms_tx_copy(g_s, 1, f, len_of(i)), 0);
	}
	ck_assert_int_eq(appring_tx_avail(g_app, 0, RING), 0);
	ck_assert_uint_eq(tx_drain_expect(1, 0, RING), 4);
}
END_TEST

/* ------------------------------------------------------------ concurrency */

#define STRESS_FRAMES 20000u

static void *stress_producer(void *arg)
{
	uint32_t seq = 0;

	(void)arg;
	while (seq < STRESS_FRAMES) {
		unsigned batch = seq % 13 + 1;

		while (batch-- > 0 && seq < STRESS_FRAMES && rx_put(0, seq, len_of(seq) % 256 + 14) == 0)
			seq++;
		appring_rx_publish(g_app);
		sched_yield();
	}
	return NULL;
}

START_TEST(test_rx_with_producer_and_consumer_on_two_threads_delivers_every_frame_in_order)
{
	struct ms_pkt p[32];
	uint32_t seq = 0;
	pthread_t th;
	int bad = 0;

	ring_attach(RING, 1);
	set_indices(UINT32_MAX - 1000);
	ck_assert_int_eq(pthread_create(&th, NULL, stress_producer, NULL), 0);
	while (seq < STRESS_FRAMES) {
		unsigned n = ms_rx_burst(g_s, 0, p, seq % 31 + 1);

		for (unsigned i = 0; i < n; i++)
			if (p[i].len != len_of(seq + i) % 256 + 14 || !frame_is(p[i].data, p[i].len, seq + i))
				bad++;
		ms_rx_release(g_s, 0, n);
		seq += n;
		if (n == 0)
			sched_yield();
	}
	pthread_join(th, NULL);
	ck_assert_int_eq(bad, 0);
	ck_assert_uint_eq(g_app->stats.rx_packets, STRESS_FRAMES);
	ck_assert_uint_eq(g_app->stats.rx_bad_index, 0);
}
END_TEST

/* ------------------------------------------------------------ transmit doorbell */

static const uint8_t kick_frame[60] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00 };

/* Take every waiting frame of tx ring q the way the worker does. Returns how many. */
static int tx_take_all(uint32_t q)
{
	int n = appring_tx_avail(g_app, q, RING);

	if (n > 0)
		appring_tx_release(g_app, q, (uint32_t)n);
	return n;
}

START_TEST(test_tx_send_does_not_kick_an_awake_daemon)
{
	struct ms_pkt p[4];

	ring_attach(RING, 1);
	ck_assert_int_eq(ms_tx_copy(g_s, 0, kick_frame, sizeof(kick_frame)), 0);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 0, p, 4), 4);
	ms_tx_send(g_s, 0, p, 4);
	ck_assert_uint_eq(evfd_read(g_app->kick_fd), 0);
	ck_assert_int_eq(tx_take_all(0), 5);
}
END_TEST

START_TEST(test_tx_send_kicks_once_per_batch_when_the_daemon_asked)
{
	struct ms_pkt p[8];

	ring_attach(RING, 1);
	appring_tx_need_wakeup(g_app, true);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 0, p, 8), 8);
	for (unsigned i = 0; i < 8; i++)
		p[i].len = 60;
	ms_tx_send(g_s, 0, p, 8);
	ck_assert_uint_eq(evfd_read(g_app->kick_fd), 1);
	ck_assert_int_eq(ms_tx_copy(g_s, 0, kick_frame, sizeof(kick_frame)), 0);
	ck_assert_uint_eq(evfd_read(g_app->kick_fd), 1);
	/* Awake again: the daemon clears the flag, and the app stops making system calls. */
	appring_tx_need_wakeup(g_app, false);
	ck_assert_int_eq(ms_tx_copy(g_s, 0, kick_frame, sizeof(kick_frame)), 0);
	ck_assert_uint_eq(evfd_read(g_app->kick_fd), 0);
	ck_assert_int_eq(tx_take_all(0), 10);
}
END_TEST

START_TEST(test_tx_doorbell_is_set_on_every_queue_and_each_queue_kicks)
{
	ring_attach(RING, 4);
	appring_tx_need_wakeup(g_app, true);
	for (uint32_t q = 0; q < 4; q++) {
		ck_assert_uint_eq(g_app->q[q].tx->flags, MS_RING_NEED_WAKEUP);
		ck_assert_uint_eq(g_app->q[q].rx->flags, 0); /* the rx flags are the app's */
		ck_assert_int_eq(ms_tx_copy(g_s, q, kick_frame, sizeof(kick_frame)), 0);
		ck_assert_uint_eq(evfd_read(g_app->kick_fd), 1);
	}
	appring_tx_need_wakeup(g_app, false);
	for (uint32_t q = 0; q < 4; q++)
		ck_assert_uint_eq(g_app->q[q].tx->flags, 0);
}
END_TEST

START_TEST(test_tx_pending_sees_published_frames_until_the_daemon_takes_them)
{
	ring_attach(RING, 2);
	ck_assert(!appring_tx_pending(g_app));
	ck_assert_int_eq(ms_tx_copy(g_s, 1, kick_frame, sizeof(kick_frame)), 0);
	ck_assert(appring_tx_pending(g_app));
	ck_assert_int_eq(tx_take_all(1), 1);
	ck_assert(!appring_tx_pending(g_app));
}
END_TEST

/*
 * The ordering contract of the doorbell (ms_abi.h), raced on two threads:
 * the daemon sets the flag, fences, re-checks head, and only then sleeps
 * on the kick fd; the app publishes, fences, reads the flag. A lost wakeup
 * leaves the daemon asleep with a frame in the ring: it would hit the poll
 * timeout, which fails the test.
 */
#define DOORBELL_ROUNDS 3000

static void *doorbell_app(void *arg)
{
	uint32_t i;

	(void)arg;
	for (i = 0; i < DOORBELL_ROUNDS; i++) {
		/* Wait until the daemon has taken the previous frame, then send the next one. */
		while (__atomic_load_n(&g_app->q[0].tx->tail, __ATOMIC_ACQUIRE) != i)
			;
		if (i % 3 == 0)
			sched_yield(); /* vary who comes first */
		while (ms_tx_copy(g_s, 0, kick_frame, sizeof(kick_frame)) != 0)
			;
	}
	return NULL;
}

START_TEST(test_tx_doorbell_never_loses_a_wakeup_against_a_sleeping_daemon)
{
	struct pollfd pfd;
	unsigned taken = 0, timeouts = 0;
	pthread_t th;

	ring_attach(RING, 1);
	pfd.fd = g_app->kick_fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(pthread_create(&th, NULL, doorbell_app, NULL), 0);
	while (taken < DOORBELL_ROUNDS && timeouts == 0) {
		int n = tx_take_all(0);

		if (n > 0) {
			taken += (unsigned)n;
			appring_tx_need_wakeup(g_app, false);
			continue;
		}
		appring_tx_need_wakeup(g_app, true);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (appring_tx_pending(g_app))
			continue;
		if (poll(&pfd, 1, 2000) == 0)
			timeouts++;
		evfd_read(g_app->kick_fd);
	}
	if (timeouts)
		taken = DOORBELL_ROUNDS + tx_take_all(0); /* let the app thread finish */
	pthread_join(th, NULL);
	ck_assert_uint_eq(timeouts, 0);
	ck_assert_uint_eq(taken, DOORBELL_ROUNDS);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	const int nwrap = (int)(sizeof(wrap_cases) / sizeof(wrap_cases[0]));
	TCase *tc;

	tc = tcase_create("rx");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_test(tc, test_rx_burst_on_empty_ring_returns_nothing);
	tcase_add_test(tc, test_rx_frames_arrive_in_order_with_their_lengths_and_bytes);
	tcase_add_test(tc, test_rx_burst_takes_at_most_n_and_release_of_part_keeps_the_rest);
	tcase_add_test(tc, test_rx_frames_are_invisible_until_publish);
	tcase_add_test(tc, test_each_worker_publishes_and_counts_only_the_queues_it_owns);
	tcase_add_test(tc, test_rx_full_ring_refuses_with_enobufs_and_counts_rx_ring_full);
	tcase_add_test(tc, test_rx_frame_over_buffer_size_is_refused_counted_and_not_written);
	tcase_add_loop_test(tc, test_rx_indices_wrap_with_varying_batch_and_burst_sizes, 0, nwrap);
	suite_add_tcase(s, tc);

	tc = tcase_create("tx");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_test(tc, test_tx_frames_roundtrip_from_client_to_daemon);
	tcase_add_test(tc, test_tx_full_ring_gives_the_client_no_buffers_until_the_daemon_releases);
	tcase_add_loop_test(tc, test_tx_indices_wrap_with_varying_batch_sizes, 0, nwrap);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_loop_test(tc, test_rx_put_refuses_an_impossible_tail_without_writing, 0,
			    (int)(sizeof(bad_rx_tails) / sizeof(bad_rx_tails[0])));
	tcase_add_test(tc, test_rx_put_treats_a_tail_exactly_one_ring_behind_as_full_not_bad);
	tcase_add_loop_test(tc, test_tx_avail_refuses_an_impossible_head_and_consumes_nothing, 0,
			    (int)(sizeof(bad_tx_heads) / sizeof(bad_tx_heads[0])));
	tcase_add_loop_test(tc, test_tx_frame_refuses_a_length_out_of_bounds_and_counts_it, 0,
			    (int)(sizeof(bad_tx_lens) / sizeof(bad_tx_lens[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("wakeup");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_test(tc, test_publish_without_need_wakeup_signals_nothing);
	tcase_add_test(tc, test_publish_into_empty_ring_after_wait_prepare_signals_exactly_once);
	tcase_add_test(tc, test_wait_prepare_returns_1_when_frames_are_already_there);
	tcase_add_test(tc, test_wait_done_drains_a_pending_signal);
	tcase_add_test(tc, test_wait_returns_0_on_timeout);
	tcase_add_test(tc, test_wait_returns_1_when_frames_are_ready);
	tcase_add_test(tc, test_wait_reports_a_closed_control_connection);
	tcase_add_test(tc, test_wakeup_request_covers_every_queue);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue_wakeup");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_test(tc, test_queue_wakeup_signals_only_the_fd_of_the_queue_that_received);
	tcase_add_test(tc, test_queue_wait_prepare_and_done_touch_only_their_queue);
	tcase_add_test(tc, test_session_wait_fd_wakes_for_any_queue_of_a_per_queue_session);
	tcase_add_test(tc, test_queue_wait_is_refused_without_the_flag_or_out_of_range);
	tcase_add_test(tc, test_daemon_refuses_per_queue_fds_that_would_not_fit_one_reply);
	tcase_add_loop_test(tc, test_threads_sleeping_on_their_own_queue_are_woken_only_by_it, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("doorbell");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_test(tc, test_tx_send_does_not_kick_an_awake_daemon);
	tcase_add_test(tc, test_tx_send_kicks_once_per_batch_when_the_daemon_asked);
	tcase_add_test(tc, test_tx_doorbell_is_set_on_every_queue_and_each_queue_kicks);
	tcase_add_test(tc, test_tx_pending_sees_published_frames_until_the_daemon_takes_them);
	suite_add_tcase(s, tc);

	tc = tcase_create("region");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_add_test(tc, test_region_is_sealed_against_resizing);
	tcase_add_test(tc, test_queues_are_separate_rings_and_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_checked_fixture(tc, ring_setup, ring_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rx_with_producer_and_consumer_on_two_threads_delivers_every_frame_in_order);
	tcase_add_test(tc, test_tx_doorbell_never_loses_a_wakeup_against_a_sleeping_daemon);
	suite_add_tcase(s, tc);

	return s;
}

CHECK_MAIN(ring_suite)
