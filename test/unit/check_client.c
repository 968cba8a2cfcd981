/* SPDX-License-Identifier: BSD-2-Clause */
/* check_client.c - unit tests for libmstack-client's control side: threads, sessions, preconditions. */
#include <mstack/ms_flow.h>
#include <mstack/mstack.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include "app.h"
#include "classify.h"
#include "ms_codec.h"
#include "ms_tuple.h"
#include "check_main.h"

/*
 * The real client library (lib/mstack.c) against a fake control server
 * that speaks the real codec (lib/ms_proto.c) and passes a real region
 * (app_create: memfd and eventfd) over SCM_RIGHTS, as mstackd does. One
 * handler thread per connection, so that many clients are answered at once.
 *
 * Every client says who it is in HELLO's name ("mt.<i>"); the server
 * derives everything it answers from that, so a client that ends up with
 * another client's answer is caught.
 */

#define NCLIENTS 8
#define ROUNDS   40
#define APP_ID0  100 /* client i is app APP_ID0 + i */

struct srv {
	int lfd;
	int nconns;                 /* connections to accept this round */
	pthread_barrier_t hello_go; /* every HELLO is in before any reply leaves */
	int conn_fd[2];             /* the first connections' fds (atomic): a test cuts one to play a daemon exit */
	int binds_held;             /* BINDs whose socket held the very tuple asked for (atomic) */
	uint16_t hello_flags;       /* the flags of the last HELLO (atomic) */
	bool revoke_binds;          /* shut every BIND's socket down at once, as mstackd's revocation does (atomic) */
	bool old_daemon;            /* answer HELLO with 3 fds whatever the flags, as a daemon without per-queue fds */
};

struct conn {
	struct srv *srv;
	int fd;
};

static int srv_send(int fd, uint16_t type, uint32_t req_id, const void *body, uint32_t len, const int *fds, int nfds)
{
	uint8_t out[512];
	ssize_t n = ms_msg_pack(out, sizeof(out), type | MS_MSG_REPLY, req_id, 0, body, len);

	return n < 0 ? (int)n : ms_msg_send(fd, out, (size_t)n, fds, nfds);
}

/* HELLO: an app numbered from the client's name, a reply that repeats the number in every field it can. */
static struct app *srv_hello(struct conn *c, const struct ms_msg_hdr *h, const void *body)
{
	struct ms_hello hello;
	struct ms_hello_reply rep;
	struct app *a;
	int fds[MS_MSG_FDS_MAX], nfds;
	unsigned i = 0;

	memcpy(&hello, body, sizeof(hello));
	hello.name[MS_NAME_MAX - 1] = '\0';
	__atomic_store_n(&c->srv->hello_flags, hello.flags, __ATOMIC_RELAXED);
	if (sscanf(hello.name, "mt.%u", &i) != 1)
		i = 0;
	a = app_create(APP_ID0 + i, &hello, hello.ring_size);
	pthread_barrier_wait(&c->srv->hello_go);
	if (!a)
		return NULL;
	memset(&rep, 0, sizeof(rep));
	rep.app_id = a->id;
	rep.nqueues = a->nqueues;
	rep.ring_size = a->ring_size;
	rep.mtu = 1000 + i;
	rep.region_size = a->region_size;
	memcpy(rep.mac, "\x02\x00\x00\x00\x00\x00", 6);
	rep.mac[5] = (uint8_t)i;
	nfds = app_hello_fds(a, fds);
	if (c->srv->old_daemon)
		nfds = 3;
	if (srv_send(c->fd, MS_MSG_HELLO, h->req_id, &rep, sizeof(rep), fds, nfds) < 0) {
		app_destroy(a);
		return NULL;
	}
	return a;
}

/* Serve one connection until the client closes it: HELLO, RESOLVE (MAC = the app), APPS (app_id = offset). */
static void *srv_conn(void *arg)
{
	struct conn *c = arg;
	uint8_t buf[1024];
	struct app *a = NULL;

	for (;;) {
		struct ms_msg_hdr h;
		const void *body;
		int nfds = 0;
		int fd = -1;
		ssize_t n;

		nfds = 1;
		n = ms_msg_recv(c->fd, buf, sizeof(buf), &fd, &nfds);
		if (n <= 0 || ms_msg_unpack(buf, (size_t)n, &h, &body) < 0) {
			if (nfds)
				close(fd);
			break;
		}
		if (h.type == MS_MSG_BIND && a && nfds == 1) {
			struct ms_tuple want, held = { 0 };

			memcpy(&want, body, sizeof(want));
			held.proto = want.proto;
			if (ms_tuple_of_socket(fd, &held) == 0 && memcmp(&held, &want, sizeof(want)) == 0)
				__atomic_add_fetch(&c->srv->binds_held, 1, __ATOMIC_RELAXED);
			if (__atomic_load_n(&c->srv->revoke_binds, __ATOMIC_ACQUIRE))
				shutdown(fd, SHUT_RDWR);
			close(fd); /* this fake holds no reservation: the client's copy does */
			srv_send(c->fd, MS_MSG_BIND, h.req_id, &want, sizeof(want), NULL, 0);
			continue;
		}
		if (nfds)
			close(fd);
		if (h.type == MS_MSG_HELLO && !a) {
			a = srv_hello(c, &h, body);
			if (!a)
				break;
		} else if (h.type == MS_MSG_RESOLVE && a) {
			struct ms_resolve_reply rep = { .mac = { 2, 0, 0, 0, 0, (uint8_t)(a->id - APP_ID0) } };

			srv_send(c->fd, MS_MSG_RESOLVE, h.req_id, &rep, sizeof(rep), NULL, 0);
		} else if (h.type == MS_MSG_APPS) {
			struct {
				struct ms_list_hdr lh;
				struct ms_app_info ai;
			} rep;
			struct ms_list_req lr;

			memcpy(&lr, body, sizeof(lr));
			memset(&rep, 0, sizeof(rep));
			rep.lh.total = rep.lh.count = 1;
			rep.ai.app_id = lr.offset;
			srv_send(c->fd, MS_MSG_APPS, h.req_id, &rep, sizeof(rep), NULL, 0);
		} else {
			break;
		}
	}
	if (a)
		app_destroy(a); /* conn_fd is unset: the fd is closed below */
	close(c->fd);
	return NULL;
}

/* Accept srv->nconns connections, a handler thread each; return when all are done. */
static void *srv_run(void *arg)
{
	struct srv *srv = arg;
	pthread_t th[2 * NCLIENTS];
	struct conn conns[2 * NCLIENTS];
	int i, n = 0;

	for (i = 0; i < srv->nconns && i < 2 * NCLIENTS; i++) {
		conns[n].srv = srv;
		conns[n].fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conns[n].fd < 0)
			break; /* SO_RCVTIMEO: a client gave up */
		if (n < 2)
			__atomic_store_n(&srv->conn_fd[n], conns[n].fd, __ATOMIC_RELEASE);
		if (pthread_create(&th[n], NULL, srv_conn, &conns[n]) != 0) {
			close(conns[n].fd);
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return NULL;
}

static char g_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int srv_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	snprintf(g_path, sizeof(g_path), "/tmp/check_client.%d.sock", (int)getpid());
	memcpy(sa.sun_path, g_path, sizeof(g_path));
	unlink(g_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 2 * NCLIENTS), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* ------------------------------------------------------------ threads */

struct client {
	unsigned i;
	pthread_barrier_t *go;
	const char *failed; /* NULL: every check passed */
	int rc;
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	char name[MS_NAME_MAX];
	struct ms_attach_opts opts = { .name = name,
				       .nqueues = (uint16_t)(1 + c->i % 4),
				       .ring_size = 64u << (c->i % 2) };
	struct ms_list_req lr = { .offset = APP_ID0 + c->i };
	const struct ms_list_hdr *lh;
	const struct ms_region_hdr *rh;
	struct ms_app_info ai;
	struct ms_session *s = NULL;
	uint8_t mac[6], addr[4] = { 10, 0, 0, 1 };
	uint8_t *buf = NULL;
	const void *body;
	int fd = -1;

	snprintf(name, sizeof(name), "mt.%u", c->i);
	pthread_barrier_wait(c->go);
	c->rc = ms_attach(g_path, &opts, &s);
	if (c->rc < 0) {
		c->failed = "ms_attach";
		return NULL;
	}
	rh = ms_region(s);
	if (ms_app_id(s) != APP_ID0 + c->i || ms_mtu(s) != 1000 + c->i || ms_mac(s)[5] != c->i)
		c->failed = "another client's HELLO reply";
	else if (ms_nqueues(s) != opts.nqueues || rh->nqueues != opts.nqueues || rh->ring_size != opts.ring_size)
		c->failed = "a region other than the one asked for";
	else if ((c->rc = ms_resolve(s, AF_INET, addr, mac)) < 0 || mac[5] != c->i)
		c->failed = "ms_resolve";
	ms_detach(s);
	if (c->failed)
		return NULL;

	/* The sessionless path (mstackctl's) from every thread at once, too. */
	buf = malloc(MS_MSG_MAX);
	fd = ms_ctl_connect(g_path);
	if (!buf || fd < 0) {
		c->failed = "ms_ctl_connect";
	} else if ((c->rc = ms_ctl_request(fd, MS_MSG_APPS, &lr, sizeof(lr), buf, MS_MSG_MAX, &body)) !=
		   (int)(sizeof(*lh) + sizeof(ai))) {
		c->failed = "ms_ctl_request";
	} else {
		memcpy(&ai, (const uint8_t *)body + sizeof(*lh), sizeof(ai));
		if (ai.app_id != APP_ID0 + c->i)
			c->failed = "another request's reply";
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

START_TEST(test_clients_attaching_from_many_threads_each_get_their_own_session)
{
	int lfd = srv_listen();

	for (unsigned r = 0; r < ROUNDS; r++) {
		struct srv srv = { .lfd = lfd, .nconns = 2 * NCLIENTS };
		struct client cl[NCLIENTS];
		pthread_t th[NCLIENTS], sth;
		pthread_barrier_t go;
		unsigned i;

		ck_assert_int_eq(pthread_barrier_init(&srv.hello_go, NULL, NCLIENTS), 0);
		ck_assert_int_eq(pthread_barrier_init(&go, NULL, NCLIENTS), 0);
		ck_assert_int_eq(pthread_create(&sth, NULL, srv_run, &srv), 0);
		for (i = 0; i < NCLIENTS; i++) {
			cl[i] = (struct client){ .i = i, .go = &go };
			ck_assert_int_eq(pthread_create(&th[i], NULL, client_run, &cl[i]), 0);
		}
		for (i = 0; i < NCLIENTS; i++)
			pthread_join(th[i], NULL);
		pthread_join(sth, NULL);
		pthread_barrier_destroy(&go);
		pthread_barrier_destroy(&srv.hello_go);
		for (i = 0; i < NCLIENTS; i++)
			ck_assert_msg(!cl[i].failed, "round %u client %u: %s (rc %d)", r, i, cl[i].failed, cl[i].rc);
	}
	close(lfd);
	unlink(g_path);
}
END_TEST

/* ------------------------------------------------------------ preconditions */

static int g_lfd = -1;
static pthread_t g_sth;
static struct srv g_srv;
static struct ms_session *g_s;

/* One client, "mt.3", with nqueues queues of 64 slots. */
static void one_setup_queues(uint16_t nqueues)
{
	struct ms_attach_opts opts = { .name = "mt.3", .nqueues = nqueues, .ring_size = 64 };

	g_lfd = srv_listen();
	g_srv = (struct srv){ .lfd = g_lfd, .nconns = 1 };
	ck_assert_int_eq(pthread_barrier_init(&g_srv.hello_go, NULL, 1), 0);
	ck_assert_int_eq(pthread_create(&g_sth, NULL, srv_run, &g_srv), 0);
	ck_assert_int_eq(ms_attach(g_path, &opts, &g_s), 0);
}

static void one_setup(void)
{
	one_setup_queues(2);
}

static void one_teardown(void)
{
	ms_detach(g_s);
	g_s = NULL;
	pthread_join(g_sth, NULL);
	pthread_barrier_destroy(&g_srv.hello_go);
	close(g_lfd);
	unlink(g_path);
}

START_TEST(test_queue_out_of_range_is_refused_and_touches_no_ring)
{
	struct ms_pkt p[4] = { { 0 } };
	uint8_t frame[64] = { 0 };
	void *base = ms_region(g_s);
	const struct ms_region_hdr *h = base;
	uint32_t r;

	ck_assert_uint_eq(ms_nqueues(g_s), 2);
	ck_assert_uint_eq(ms_rx_burst(g_s, 2, p, 4), 0);
	ck_assert_uint_eq(ms_rx_burst(g_s, UINT32_MAX, p, 4), 0);
	ck_assert_uint_eq(ms_tx_alloc(g_s, 2, p, 4), 0);
	ck_assert_uint_eq(ms_tx_alloc(g_s, UINT32_MAX, p, 4), 0);
	ck_assert_int_eq(ms_tx_copy(g_s, 2, frame, sizeof(frame)), -EINVAL);
	ms_rx_release(g_s, 2, 1);
	ms_tx_send(g_s, 2, p, 1);
	ms_tx_send(g_s, UINT32_MAX, p, 1);
	for (r = 0; r < 2 * h->nqueues; r++) {
		ck_assert_uint_eq(ms_region_ring(base, h, r)->head, 0);
		ck_assert_uint_eq(ms_region_ring(base, h, r)->tail, 0);
	}
	/* In range, the same calls work. */
	ck_assert_uint_eq(ms_tx_alloc(g_s, 1, p, 4), 4);
	ck_assert_int_eq(ms_tx_copy(g_s, 1, frame, sizeof(frame)), 0);
	ck_assert_uint_eq(ms_region_ring(base, h, 3)->head, 1);
}
END_TEST

START_TEST(test_null_arguments_are_refused_with_einval)
{
	struct ms_session *s = NULL;
	uint8_t mac[6], addr[4] = { 10, 0, 0, 1 }, buf[256];
	const void *body;

	ck_assert_int_eq(ms_attach(g_path, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ms_bind(g_s, NULL), -EINVAL);
	ck_assert_int_eq(ms_unbind(g_s, NULL), -EINVAL);
	ck_assert_int_eq(ms_resolve(g_s, AF_INET, NULL, mac), -EINVAL);
	ck_assert_int_eq(ms_resolve(g_s, AF_INET, addr, NULL), -EINVAL);
	ck_assert_int_eq(ms_resolve(g_s, AF_UNIX, addr, mac), -EAFNOSUPPORT);
	ck_assert_int_eq(ms_tx_copy(g_s, 0, NULL, 60), -EINVAL);
	ck_assert_int_eq(ms_ctl_request(ms_ctl_fd(g_s), MS_MSG_STATUS, NULL, 0, NULL, sizeof(buf), &body), -EINVAL);
	ck_assert_int_eq(ms_ctl_request(ms_ctl_fd(g_s), MS_MSG_STATUS, NULL, 0, buf, sizeof(buf), NULL), -EINVAL);
	ck_assert_ptr_null(s);
	/* The session still works after every refusal. */
	ck_assert_int_eq(ms_resolve(g_s, AF_INET, addr, mac), 0);
	ck_assert_uint_eq(mac[5], 3);
}
END_TEST

/* ------------------------------------------------------------ flow steering */

#define FLOW_QUEUES 4

static void flow_setup(void)
{
	one_setup_queues(FLOW_QUEUES);
}

static void flow_one_setup(void)
{
	one_setup_queues(1);
}

/* A UDP or TCP frame from (raddr, rport) to (laddr, lport), as mstackd receives it (no IPv4 checksum), into f; its
 * length. */
static uint32_t flow_frame(uint8_t *f, uint8_t proto, int family, const uint8_t *laddr, uint16_t lport,
			   const uint8_t *raddr, uint16_t rport)
{
	uint32_t ip = 14, ihl = family == AF_INET ? 20 : 40, l4len = proto == IPPROTO_TCP ? 20 : 8;

	memset(f, 0, 14 + 40 + 20);
	f[12] = family == AF_INET ? 0x08 : 0x86;
	f[13] = family == AF_INET ? 0x00 : 0xdd;
	if (family == AF_INET) {
		f[ip] = 0x45;
		f[ip + 3] = (uint8_t)(ihl + l4len);
		f[ip + 9] = proto;
		memcpy(f + ip + 12, raddr, 4);
		memcpy(f + ip + 16, laddr, 4);
	} else {
		f[ip] = 0x60;
		f[ip + 5] = (uint8_t)l4len;
		f[ip + 6] = proto;
		memcpy(f + ip + 8, raddr, 16);
		memcpy(f + ip + 24, laddr, 16);
	}
	f[ip + ihl] = (uint8_t)(rport >> 8);
	f[ip + ihl + 1] = (uint8_t)rport;
	f[ip + ihl + 2] = (uint8_t)(lport >> 8);
	f[ip + ihl + 3] = (uint8_t)lport;
	if (proto == IPPROTO_TCP)
		f[ip + ihl + 12] = 0x50;
	return ip + ihl + l4len;
}

START_TEST(test_flow_queue_is_the_queue_the_daemon_delivers_the_flow_on)
{
	static const uint8_t l4[16] = { 10, 0, 0, 1 }, r4[16] = { 192, 0, 2, 200 };
	static const uint8_t l6[16] = { 0xfd, 0, [15] = 1 }, r6[16] = { 0x20, 0x01, 0x0d, 0xb8, [12] = 0xab, [15] = 7 };
	static const uint8_t protos[2] = { IPPROTO_UDP, IPPROTO_TCP };
	uint8_t f[128];
	uint32_t port, hits[FLOW_QUEUES] = { 0 };

	ck_assert_uint_eq(ms_nqueues(g_s), FLOW_QUEUES);
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;
		const uint8_t *laddr = fam ? l6 : l4, *raddr = fam ? r6 : r4;

		for (port = 1; port < 65536; port += 7) {
			uint16_t lport = (uint16_t)port, rport = (uint16_t)(port * 31 + 5);
			struct ms_tuple local = { .proto = protos[port & 1], .family = (uint8_t)family, .port = lport };
			struct cls_result r;
			uint32_t q;

			memcpy(local.addr, laddr, 16);
			ck_assert_int_eq(
			    cls_parse(f, flow_frame(f, local.proto, family, laddr, lport, raddr, rport), false, &r),
			    CLS_OK);
			q = ms_flow_queue(g_s, &local, raddr, rport);
			ck_assert_uint_lt(q, FLOW_QUEUES);
			ck_assert_msg(q == ms_flow_pick(cls_flow_hash(&r), FLOW_QUEUES),
				      "family %d lport %u rport %u: the app predicts %u, the daemon delivers on %u",
				      family, lport, rport, q, ms_flow_pick(cls_flow_hash(&r), FLOW_QUEUES));
			hits[q]++;
		}
	}
	for (port = 0; port < FLOW_QUEUES; port++)
		ck_assert_uint_gt(hits[port], 0);
}
END_TEST

/* n flows that differ in one port only, spread over nq queues: each queue within 10% of n / nq. */
static void expect_even_spread(const char *what, uint32_t nq, bool vary_local)
{
	static const uint8_t laddr[16] = { 10, 0, 0, 1 }, raddr[16] = { 10, 0, 0, 2 };
	uint32_t hits[8] = { 0 }, n = 0, q, port;

	for (port = 1024; port < 65536; port++, n++) {
		uint16_t lport = vary_local ? (uint16_t)port : 80, rport = vary_local ? 443 : (uint16_t)port;

		hits[ms_flow_pick(ms_flow_hash(laddr, lport, raddr, rport), nq)]++;
	}
	for (q = 0; q < nq; q++)
		ck_assert_msg(hits[q] * 10 * nq >= 9 * n && hits[q] * 10 * nq <= 11 * n,
			      "%s, %u queues: queue %u has %u of %u flows", what, nq, q, hits[q], n);
}

START_TEST(test_flows_spread_evenly_over_queues_by_either_port)
{
	for (uint32_t nq = 2; nq <= 8; nq++) {
		expect_even_spread("local ports (a client's connections)", nq, true);
		expect_even_spread("remote ports (a server's clients)", nq, false);
	}
}
END_TEST

START_TEST(test_flow_queue_of_one_queue_is_zero)
{
	uint8_t raddr[4] = { 10, 0, 0, 2 };
	struct ms_tuple local = { .proto = IPPROTO_UDP, .family = AF_INET, .port = 7, .addr = { 10, 0, 0, 1 } };

	for (uint32_t rport = 0; rport < 65536; rport += 101)
		ck_assert_uint_eq(ms_flow_queue(g_s, &local, raddr, (uint16_t)rport), 0);
}
END_TEST

/* ------------------------------------------------------------ daemon restarts */

/* A fake daemon: listen at g_path and serve nconns connections on a thread of its own. */
static void restart_srv_start(struct srv *srv, pthread_t *th, int nconns)
{
	*srv = (struct srv){ .lfd = srv_listen(), .nconns = nconns, .conn_fd = { -1, -1 } };
	ck_assert_int_eq(pthread_barrier_init(&srv->hello_go, NULL, 1), 0);
	ck_assert_int_eq(pthread_create(th, NULL, srv_run, srv), 0);
}

/* The daemon goes away: its end of the first connection closes, it stops listening, the socket is gone. */
static void restart_srv_exit(struct srv *srv, pthread_t th)
{
	shutdown(__atomic_load_n(&srv->conn_fd[0], __ATOMIC_ACQUIRE), SHUT_RDWR);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&srv->hello_go);
	close(srv->lfd);
	unlink(g_path);
}

/* How many fds this process has open. */
static int restart_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A UDP tuple on 127.0.0.1 with an ephemeral port. */
static struct ms_tuple restart_tuple(void)
{
	struct ms_tuple t = { .proto = IPPROTO_UDP, .family = AF_INET, .addr = { 127, 0, 0, 1 } };

	return t;
}

START_TEST(test_lost_session_reattaches_in_place_and_rebinds_with_the_kept_socket)
{
	struct ms_attach_opts opts = { .name = "mt.5", .nqueues = 2, .ring_size = 64 };
	struct ms_tuple t = restart_tuple(), other = restart_tuple(), again;
	struct ms_session *s;
	struct srv srv;
	pthread_t th;
	uint8_t frame[64] = { 0 }, mac[6], addr[4] = { 10, 0, 0, 1 };
	const struct ms_region_hdr *h;
	void *old_region;
	int wait_fd, ctl_fd, fd, fds_attached;

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	ck_assert_int_eq(ms_bind(s, &t), 0);
	fds_attached = restart_open_fds(); /* the fake daemon's listening socket and connection included */
	ck_assert_uint_ne(t.port, 0);
	ck_assert_int_eq(__atomic_load_n(&srv.binds_held, __ATOMIC_RELAXED), 1);
	ck_assert_int_eq(ms_tx_copy(s, 1, frame, sizeof(frame)), 0);
	old_region = ms_region(s);
	wait_fd = ms_wait_fd(s);
	ctl_fd = ms_ctl_fd(s);
	restart_srv_exit(&srv, th);

	/* Away: no daemon to attach to, control calls refused, the datapath still safe on the old region. */
	ck_assert_int_eq(ms_reattach(s, 0), -EAGAIN);
	ck_assert_int_eq(ms_wait(s, 30), 0);
	ck_assert_int_eq(ms_bind(s, &other), -ECONNRESET);
	ck_assert_int_eq(ms_resolve(s, AF_INET, addr, mac), -ECONNRESET);
	ck_assert_int_eq(ms_tx_copy(s, 1, frame, sizeof(frame)), 0);
	/* Nobody takes the tuple meanwhile: the library kept its reservation socket. */
	again = t;
	fd = ms_tuple_bind_socket(&again);
	ck_assert_int_eq(fd, -EADDRINUSE);

	/* Back: ms_wait re-attaches, the same session pointer on a new region, the tuple claimed again. */
	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_wait(s, 5000), MS_REATTACHED);
	ck_assert_int_eq(__atomic_load_n(&srv.binds_held, __ATOMIC_RELAXED), 1);
	ck_assert_ptr_ne(ms_region(s), old_region);
	h = ms_region(s);
	ck_assert_uint_eq(ms_nqueues(s), 2);
	ck_assert_uint_eq(h->nqueues, 2);
	ck_assert_uint_eq(ms_region_ring(ms_region(s), h, 3)->head, 0); /* what was queued is gone */
	ck_assert_int_eq(ms_wait_fd(s), wait_fd);                       /* numbers kept for poll sets */
	ck_assert_int_eq(ms_ctl_fd(s), ctl_fd);
	ck_assert_int_eq(restart_open_fds(), fds_attached); /* the old attachment's fds all closed */
	ck_assert_int_eq(ms_resolve(s, AF_INET, addr, mac), 0);
	ck_assert_uint_eq(mac[5], 5);
	ck_assert_int_eq(ms_reattach(s, 0), 0); /* attached: nothing to do */
	ck_assert_int_eq(ms_tx_copy(s, 1, frame, sizeof(frame)), 0);
	ck_assert_uint_eq(ms_region_ring(ms_region(s), h, 3)->head, 1);

	/* Unbinding on a lost session releases the tuple at once: the kept socket was its only holder. */
	restart_srv_exit(&srv, th);
	ck_assert_int_eq(ms_unbind(s, &t), 0);
	again = t;
	fd = ms_tuple_bind_socket(&again);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ms_detach(s);
}
END_TEST

START_TEST(test_reattach_keeps_every_per_queue_wakeup_fd_number_on_new_files)
{
	struct ms_attach_opts opts = {
		.name = "mt.8", .nqueues = 3, .ring_size = 64, .flags = MS_HELLO_F_QUEUE_WAKEUP
	};
	struct ms_session *s;
	struct srv srv;
	pthread_t th;
	int qfd[3], wait_fd, fds_attached;

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	ck_assert_uint_eq(__atomic_load_n(&srv.hello_flags, __ATOMIC_RELAXED), MS_HELLO_F_QUEUE_WAKEUP);
	for (uint32_t q = 0; q < 3; q++) {
		qfd[q] = ms_queue_wait_fd(s, q);
		ck_assert_int_ge(qfd[q], 0);
	}
	wait_fd = ms_wait_fd(s);
	fds_attached = restart_open_fds();
	restart_srv_exit(&srv, th);

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_wait(s, 5000), MS_REATTACHED);
	for (uint32_t q = 0; q < 3; q++)
		ck_assert_int_eq(ms_queue_wait_fd(s, q), qfd[q]);
	ck_assert_int_eq(ms_wait_fd(s), wait_fd);
	ck_assert_int_eq(restart_open_fds(), fds_attached); /* the old attachment's queue fds all closed */
	/* The numbers name working fds of the new attachment: the session's set sees their wakeups. */
	ck_assert_int_eq(ms_queue_wait_prepare(s, 2), 0);
	ck_assert_int_eq(write(qfd[2], &(uint64_t){ 1 }, sizeof(uint64_t)), (ssize_t)sizeof(uint64_t));
	ck_assert_int_eq(poll(&(struct pollfd){ .fd = wait_fd, .events = POLLIN }, 1, 0), 1);
	ms_queue_wait_done(s, 2);
	ck_assert_int_eq(poll(&(struct pollfd){ .fd = qfd[2], .events = POLLIN }, 1, 0), 0);
	restart_srv_exit(&srv, th);
	ms_detach(s);
}
END_TEST

START_TEST(test_a_daemon_that_ignores_the_queue_wakeup_flag_is_refused)
{
	struct ms_attach_opts opts = { .name = "mt.9", .nqueues = 2, .flags = MS_HELLO_F_QUEUE_WAKEUP };
	struct ms_session *s = NULL;
	struct srv srv;
	pthread_t th;
	int before;

	restart_srv_start(&srv, &th, 1);
	__atomic_store_n(&srv.old_daemon, true, __ATOMIC_RELEASE);
	before = restart_open_fds();
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), -EPROTO);
	ck_assert_ptr_null(s);
	pthread_join(th, NULL); /* the server ends with the refused connection */
	pthread_barrier_destroy(&srv.hello_go);
	close(srv.lfd);
	unlink(g_path);
	ck_assert_int_eq(restart_open_fds(), before - 1); /* every fd that came was closed (the listener too) */
}
END_TEST

START_TEST(test_no_reattach_flag_leaves_reattaching_to_the_app_and_is_not_sent)
{
	struct ms_attach_opts opts = { .name = "mt.6", .flags = MS_ATTACH_F_NO_REATTACH | MS_HELLO_F_BCAST };
	struct ms_session *s;
	struct srv srv;
	pthread_t th;

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	ck_assert_uint_eq(__atomic_load_n(&srv.hello_flags, __ATOMIC_RELAXED), MS_HELLO_F_BCAST);
	restart_srv_exit(&srv, th);
	ck_assert_int_eq(ms_wait(s, 1000), -ECONNRESET);
	/* A daemon back: ms_wait still only reports the loss, at once. */
	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_wait(s, 1000), -ECONNRESET);
	ck_assert_int_eq(ms_wait(s, -1), -ECONNRESET);
	/* The application re-attaches when it is ready to; the flag goes with the new HELLO too. */
	ck_assert_int_eq(ms_reattach(s, 5000), MS_REATTACHED);
	ck_assert_uint_eq(__atomic_load_n(&srv.hello_flags, __ATOMIC_RELAXED), MS_HELLO_F_BCAST);
	ck_assert_int_eq(ms_wait(s, 10), 0);
	restart_srv_exit(&srv, th);
	ms_detach(s);
}
END_TEST

/* Accept and hang up at once, counting: a socket whose daemon is not serving yet. */
static void *restart_refuser(void *arg)
{
	struct srv *srv = arg;
	struct pollfd p = { .fd = srv->lfd, .events = POLLIN };
	int fd;

	while (poll(&p, 1, 1000) == 1 && (fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(fd);
		if (__atomic_add_fetch(&srv->binds_held, 1, __ATOMIC_RELAXED) >= 100)
			break;
	}
	return NULL;
}

START_TEST(test_reattach_backs_off_from_10_ms_doubling)
{
	struct ms_attach_opts opts = { .name = "mt.7" };
	struct ms_session *s;
	struct srv srv;
	pthread_t th;
	int attempts;

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	restart_srv_exit(&srv, th);
	srv = (struct srv){ .lfd = srv_listen() };
	ck_assert_int_eq(pthread_create(&th, NULL, restart_refuser, &srv), 0);
	/* 300 ms of trying: attempts at 10, 30, 70 and 150 ms (back-off 10 ms doubling); the next is due at 310. */
	ck_assert_int_eq(ms_reattach(s, 300), -EAGAIN);
	attempts = __atomic_load_n(&srv.binds_held, __ATOMIC_RELAXED);
	ck_assert_msg(attempts >= 3 && attempts <= 5, "%d attempts in 300 ms", attempts);
	/* Called again before the next attempt is due: no attempt, from a poll loop or not. */
	ck_assert_int_eq(ms_reattach(s, 0), -EAGAIN);
	ck_assert_int_eq(__atomic_load_n(&srv.binds_held, __ATOMIC_RELAXED), attempts);
	ms_detach(s);
	shutdown(srv.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(srv.lfd);
	unlink(g_path);
}
END_TEST

/*
 * While nothing listens on the socket the library tries every 20 ms, whatever the back-off has
 * reached: a daemon that comes back gets the session (and its tuples, whose traffic otherwise
 * goes to the kernel) within tens of ms, not at the next step of a back-off grown to 640 ms.
 */
START_TEST(test_reattach_tries_every_20_ms_while_no_daemon_listens)
{
	struct ms_attach_opts opts = { .name = "mt.10" };
	struct ms_session *s;
	struct timespec t0, t1;
	struct srv srv;
	pthread_t th;
	long ms;
	int i;

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	restart_srv_exit(&srv, th);
	for (i = 0; i < 160; i++) { /* 800 ms of a poll loop without a daemon */
		ck_assert_int_eq(ms_reattach(s, 0), -EAGAIN);
		poll(NULL, 0, 5);
	}
	restart_srv_start(&srv, &th, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ms_reattach(s, 5000), MS_REATTACHED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_msg(ms <= 100, "re-attached %ld ms after the daemon was back", ms);
	restart_srv_exit(&srv, th);
	ms_detach(s);
}
END_TEST

/* An administrator's revocation (the socket shut down) makes the library close its copy: the tuple is free. */
START_TEST(test_a_revoked_binding_is_dropped_and_its_tuple_freed_by_the_next_wait)
{
	struct ms_attach_opts opts = { .name = "mt.9" };
	struct ms_tuple t = restart_tuple(), again;
	struct ms_session *s;
	struct srv srv;
	pthread_t th;
	int fd;

	restart_srv_start(&srv, &th, 1);
	__atomic_store_n(&srv.revoke_binds, true, __ATOMIC_RELEASE);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	ck_assert_int_eq(ms_bind(s, &t), 0);
	ck_assert_int_eq(ms_wait(s, 10), 0);
	again = t;
	fd = ms_tuple_bind_socket(&again);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* Forgotten: a restart does not claim it again, and UNBIND is the daemon's answer alone. */
	restart_srv_exit(&srv, th);
	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_wait(s, 5000), MS_REATTACHED);
	ck_assert_int_eq(__atomic_load_n(&srv.binds_held, __ATOMIC_RELAXED), 0);
	restart_srv_exit(&srv, th);
	ms_detach(s);
}
END_TEST

/* A session the daemon keeps closing soon after it comes back (a disconnected app) re-attaches ever more slowly. */
START_TEST(test_a_session_lost_soon_after_reattaching_keeps_backing_off)
{
	struct ms_attach_opts opts = { .name = "mt.8" };
	struct ms_session *s;
	struct timespec t0, t1;
	struct srv srv;
	pthread_t th;
	long ms = 0;
	int i;

	restart_srv_start(&srv, &th, 1);
	ck_assert_int_eq(ms_attach(g_path, &opts, &s), 0);
	for (i = 0; i < 5; i++) { /* waits of 10, 20, 40, 80, 160 ms */
		restart_srv_exit(&srv, th);
		ck_assert_int_eq(ms_reattach(s, 0), -EAGAIN);
		restart_srv_start(&srv, &th, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(ms_wait(s, 5000), MS_REATTACHED);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	}
	ck_assert_msg(ms >= 100, "the fifth quick loss re-attached after %ld ms", ms);
	restart_srv_exit(&srv, th);
	ms_detach(s);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *su = suite_create("client");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_clients_attaching_from_many_threads_each_get_their_own_session);
	suite_add_tcase(su, tc);
	tc = tcase_create("preconditions");
	tcase_add_checked_fixture(tc, one_setup, one_teardown);
	tcase_add_test(tc, test_queue_out_of_range_is_refused_and_touches_no_ring);
	tcase_add_test(tc, test_null_arguments_are_refused_with_einval);
	suite_add_tcase(su, tc);
	tc = tcase_create("flow_steering");
	tcase_add_checked_fixture(tc, flow_setup, one_teardown);
	tcase_add_test(tc, test_flow_queue_is_the_queue_the_daemon_delivers_the_flow_on);
	tcase_add_test(tc, test_flows_spread_evenly_over_queues_by_either_port);
	suite_add_tcase(su, tc);
	tc = tcase_create("flow_one_queue");
	tcase_add_checked_fixture(tc, flow_one_setup, one_teardown);
	tcase_add_test(tc, test_flow_queue_of_one_queue_is_zero);
	tc = tcase_create("restarts");
	tcase_add_test(tc, test_lost_session_reattaches_in_place_and_rebinds_with_the_kept_socket);
	tcase_add_test(tc, test_no_reattach_flag_leaves_reattaching_to_the_app_and_is_not_sent);
	tcase_add_test(tc, test_reattach_keeps_every_per_queue_wakeup_fd_number_on_new_files);
	tcase_add_test(tc, test_a_daemon_that_ignores_the_queue_wakeup_flag_is_refused);
	tcase_add_test(tc, test_reattach_backs_off_from_10_ms_doubling);
	tcase_add_test(tc, test_reattach_tries_every_20_ms_while_no_daemon_listens);
	tcase_add_test(tc, test_a_session_lost_soon_after_reattaching_keeps_backing_off);
	tcase_add_test(tc, test_a_revoked_binding_is_dropped_and_its_tuple_freed_by_the_next_wait);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(client_suite)
