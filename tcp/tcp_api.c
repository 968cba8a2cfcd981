/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_api.c - the public API of libmstack-tcp (include/mstack/tcp.h): stacks, handles, the poll loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcp_ip.h"
#include "tcp_seq.h"
#include "tcp_stack.h"

/*
 * Listening tuples bound in mstackd, per session, counted: several stack
 * instances of one session (one per queue) listen on the same tuple with one
 * binding, released by the last. Process-wide, hence the mutex; used only
 * by listen and close, never on the datapath.
 */
struct tcp_bind_ref {
	struct tcp_bind_ref *next;
	struct ms_session *s;
	struct ms_tuple t;
	unsigned refs;
};
static struct tcp_bind_ref *tcp_bind_refs;
static pthread_mutex_t tcp_bind_lock = PTHREAD_MUTEX_INITIALIZER;

static int tcp_bind_get(struct ms_session *s, struct ms_tuple *t)
{
	struct tcp_bind_ref *r;
	int err = 0;

	pthread_mutex_lock(&tcp_bind_lock);
	for (r = tcp_bind_refs; r; r = r->next)
		if (r->s == s && !memcmp(&r->t, t, sizeof(*t)))
			break;
	if (r) {
		r->refs++;
	} else if (!(r = calloc(1, sizeof(*r)))) {
		err = -ENOMEM;
	} else if ((err = ms_bind(s, t))) {
		free(r);
	} else {
		r->s = s;
		r->t = *t;
		r->refs = 1;
		r->next = tcp_bind_refs;
		tcp_bind_refs = r;
	}
	pthread_mutex_unlock(&tcp_bind_lock);
	return err;
}

static void tcp_bind_put(struct ms_session *s, const struct ms_tuple *t)
{
	struct tcp_bind_ref **p, *r;

	pthread_mutex_lock(&tcp_bind_lock);
	for (p = &tcp_bind_refs; (r = *p); p = &r->next)
		if (r->s == s && !memcmp(&r->t, t, sizeof(*t))) {
			if (!--r->refs) {
				*p = r->next;
				ms_unbind(s, t);
				free(r);
			}
			break;
		}
	pthread_mutex_unlock(&tcp_bind_lock);
}

static void tcp_tuple_of(struct ms_tuple *t, uint8_t family, const uint8_t addr[16], uint16_t port)
{
	memset(t, 0, sizeof(*t));
	t->proto = IPPROTO_TCP;
	t->family = family;
	t->port = port;
	memcpy(t->addr, addr, family == AF_INET ? 4 : 16);
}

/* The default I/O: queue q of the session, CLOCK_MONOTONIC. */
static unsigned tcp_sess_rx_burst(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct ms_tcp_stack *st = ctx;

	return ms_rx_burst(st->s, st->q, pkts, n);
}

static void tcp_sess_rx_release(void *ctx, unsigned k)
{
	struct ms_tcp_stack *st = ctx;

	ms_rx_release(st->s, st->q, k);
}

static unsigned tcp_sess_tx_alloc(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct ms_tcp_stack *st = ctx;

	return ms_tx_alloc(st->s, st->q, pkts, n);
}

static void tcp_sess_tx_send(void *ctx, const struct ms_pkt *pkts, unsigned k)
{
	struct ms_tcp_stack *st = ctx;

	ms_tx_send(st->s, st->q, pkts, k);
}

static uint64_t tcp_monotonic_us(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const struct tcp_io_ops tcp_session_ops = {
	.rx_burst = tcp_sess_rx_burst,
	.rx_release = tcp_sess_rx_release,
	.tx_alloc = tcp_sess_tx_alloc,
	.tx_send = tcp_sess_tx_send,
	.now_us = tcp_monotonic_us,
};

static void tcp_clock(struct ms_tcp_stack *st)
{
	uint64_t now = st->io.ops->now_us(st->io.ctx);

	if (now > st->now_us)
		st->now_us = now;
	st->now_ms = st->now_us / 1000;
}

int tcp_stack_new_io(const struct tcp_io *io, struct ms_session *s, uint32_t q, const struct ms_tcp_config *cfg,
		     struct ms_tcp_stack **out)
{
	struct ms_tcp_stack *st;
	int err;

	if (!io || !out)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (cfg)
		st->cfg = *cfg;
	st->cfg.max_conns = st->cfg.max_conns ? st->cfg.max_conns : 4096;
	st->cfg.sndbuf = st->cfg.sndbuf ? st->cfg.sndbuf : 262144;
	st->cfg.rcvbuf = st->cfg.rcvbuf ? st->cfg.rcvbuf : 262144;
	st->cfg.mem_max = st->cfg.mem_max ? st->cfg.mem_max : 268435456;
	st->cfg.syn_backlog = st->cfg.syn_backlog ? st->cfg.syn_backlog : 1024;
	st->cfg.reass_max = st->cfg.reass_max ? st->cfg.reass_max : 64;
	if (st->cfg.reass_max > TCP_REASS_RANGES_MAX)
		st->cfg.reass_max = TCP_REASS_RANGES_MAX;
	st->cfg.time_wait_ms = st->cfg.time_wait_ms ? st->cfg.time_wait_ms : 60000;
	st->cfg.orphan_probes = st->cfg.orphan_probes ? st->cfg.orphan_probes : TCP_ORPHAN_PROBES;
	st->cc = tcp_cc_find(st->cfg.cc ? st->cfg.cc : "newreno");
	if (!st->cc || st->cfg.rcvbuf > (1u << 30) || st->cfg.sndbuf > (1u << 30)) {
		free(st);
		return -EINVAL;
	}
	st->cfg.cc = st->cc->name;
	st->s = s;
	st->q = q;
	st->io = *io;
	st->mem.max = st->cfg.mem_max;
	err = tcp_secret_init(&st->secret);
	if (!err)
		err = tcp_table_init(&st->tab, st->cfg.max_conns, st->secret.k0 ^ st->secret.k1);
	if (err) {
		free(st);
		return err;
	}
	tcp_route_init(&st->route, s);
	if (io->resolve) {
		st->route.resolve = io->resolve;
		st->route.resolve_ctx = io->ctx;
	}
	tcp_clock(st);
	tcp_wheel_init(&st->wheel, st->now_ms);
	st->ev_tail = &st->ev_head;
	st->next_port = 49152;
	st->wait_fd = -1;
	*out = st;
	return 0;
}

/*
 * The wakeup fd the instance sleeps on: its queue's own when the session
 * has per-queue fds (MS_HELLO_F_QUEUE_WAKEUP), so that instances on other
 * threads neither wake it nor drain its wakeups; else the session's.
 */
static int tcp_wakeup_fd(const struct ms_tcp_stack *st)
{
	int fd = ms_queue_wait_fd(st->s, st->q);

	return fd >= 0 ? fd : ms_wait_fd(st->s);
}

/* Ask for a wakeup on the instance's queue (or the session's queues): 1 if frames already wait. */
static int tcp_wakeup_prepare(struct ms_tcp_stack *st)
{
	int rc = ms_queue_wait_prepare(st->s, st->q);

	return rc == -EOPNOTSUPP ? ms_wait_prepare(st->s) : rc;
}

/* Withdraw the request of tcp_wakeup_prepare and drain the fd it armed. */
static void tcp_wakeup_done(struct ms_tcp_stack *st)
{
	if (ms_queue_wait_fd(st->s, st->q) >= 0)
		ms_queue_wait_done(st->s, st->q);
	else
		ms_wait_done(st->s);
}

/*
 * Put the wakeup fd (tcp_wakeup_fd) and the session's control fd into the
 * stack's epoll set (again after a re-attachment: same numbers, new files).
 * The control fd only for its hang-up, which epoll always reports: it
 * carries nothing else the stack waits for.
 */
static int tcp_session_watch(struct ms_tcp_stack *st)
{
	struct epoll_event wake = { .events = EPOLLIN }, hup = { .events = 0 };

	if (st->wait_fd < 0)
		return 0;
	if (epoll_ctl(st->wait_fd, EPOLL_CTL_ADD, tcp_wakeup_fd(st), &wake) < 0 && errno != EEXIST)
		return -errno;
	if (epoll_ctl(st->wait_fd, EPOLL_CTL_ADD, ms_ctl_fd(st->s), &hup) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The session is attached to a new mstackd (by our ms_reattach, or by
 * another user of the session): a new region, MAC and MTU. No pointer into
 * the old region lives between polls (the rx burst is released and the tx
 * burst flushed inside ms_tcp_poll), so only what was copied from the
 * session is read again. Connections keep their state and the frames lost
 * with the old rings are recovered by retransmission, started at once
 * (tcp_rto_expire_now) rather than after an RTO that the outage backed off:
 * that wait would add seconds to it.
 */
static void tcp_stack_reattached(struct ms_tcp_stack *st)
{
	st->attach_gen = ms_attach_gen(st->s);
	st->detached = 0;
	st->wait_armed = 0; /* the wakeup request was made on the old region */
	memcpy(st->io.mac, ms_mac(st->s), 6);
	st->io.mtu = ms_mtu(st->s); /* for new connections; established ones keep their MSS */
	tcp_session_watch(st);
	for (uint32_t b = 0; b < st->tab.nbuckets; b++)
		for (struct tcp_conn *c = st->tab.bucket[b]; c; c = c->hash_next) {
			memcpy(c->src_mac, st->io.mac, 6);
			tcp_rto_expire_now(st, c);
		}
}

/*
 * Whether mstackd is still there (one poll(2) of the control fd, at most
 * every TCP_HUP_CHECK_MS), and re-attaching when it is not: ms_reattach
 * never blocks and backs off inside, so while mstackd is away every poll
 * may try. The tuples of listeners and connections are claimed again by
 * the client library with the reservation sockets it kept, so the
 * listeners' reference counts (tcp_bind_refs) stay right.
 * @return 0, or -ECONNRESET: mstackd went away and the application asked
 *   MS_ATTACH_F_NO_REATTACH (at every poll until it calls ms_reattach).
 */
static int tcp_session_check(struct ms_tcp_stack *st)
{
	int rc;

	if (ms_attach_gen(st->s) != st->attach_gen)
		tcp_stack_reattached(st);
	if (!st->detached) {
		struct pollfd pfd = { .fd = ms_ctl_fd(st->s), .events = POLLIN };

		if (st->now_ms < st->hup_check_ms + TCP_HUP_CHECK_MS)
			return 0;
		st->hup_check_ms = st->now_ms;
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & (POLLHUP | POLLERR)))
			return 0;
		st->detached = 1;
		/* Its hang-up would keep ms_tcp_fd readable: the application would spin until mstackd is back. */
		if (st->wait_fd >= 0)
			epoll_ctl(st->wait_fd, EPOLL_CTL_DEL, ms_ctl_fd(st->s), NULL);
	}
	if (ms_attach_flags(st->s) & MS_ATTACH_F_NO_REATTACH)
		return -ECONNRESET;
	rc = ms_reattach(st->s, 0);
	if (rc == MS_REATTACHED || rc == 0)
		tcp_stack_reattached(st);
	/* Otherwise not back yet (-EAGAIN) or refused: the library tries again after its back-off. */
	return 0;
}

int ms_tcp_stack_new(struct ms_session *s, uint32_t q, const struct ms_tcp_config *cfg, struct ms_tcp_stack **out)
{
	struct tcp_io io = { .ops = &tcp_session_ops };
	int err, fd;

	if (!s || !out || q >= ms_nqueues(s))
		return -EINVAL;
	memcpy(io.mac, ms_mac(s), 6);
	io.mtu = ms_mtu(s);
	fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = tcp_stack_new_io(&io, s, q, cfg, out);
	if (err) {
		close(fd);
		return err;
	}
	(*out)->io.ctx = *out;
	(*out)->wait_fd = fd;
	(*out)->attach_gen = ms_attach_gen(s);
	err = tcp_session_watch(*out);
	if (err) {
		ms_tcp_stack_free(*out);
		*out = NULL;
	}
	return err;
}

void tcp_want_output(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	if (c->out_queued)
		return;
	c->out_queued = 1;
	c->out_next = st->out_head;
	st->out_head = c;
}

void tcp_event(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t ev)
{
	if (c->handle < 0)
		return;
	c->events |= ev;
	if (c->ev_queued)
		return;
	c->ev_queued = 1;
	c->ev_next = NULL;
	*st->ev_tail = c;
	st->ev_tail = &c->ev_next;
}

/*
 * RFC 7323 5.4: timestamps start at a secret offset per pair of addresses
 * (not per connection, so that a new incarnation's timestamps are newer than
 * the old one's, which RFC 6191's TIME_WAIT reuse relies on).
 */
uint32_t tcp_ts_offset(const struct ms_tcp_stack *st, const struct tcp_endpoints *ep)
{
	struct tcp_endpoints pair = *ep;

	pair.lport = pair.rport = 0;
	return tcp_isn(&st->secret, &pair, 0);
}

/* RFC 7323 2.3: the smallest shift that lets the whole receive buffer be offered. */
uint8_t tcp_rcv_wscale(const struct ms_tcp_stack *st)
{
	uint8_t shift = 0;

	while (shift < 14 && (st->cfg.rcvbuf >> shift) > 65535)
		shift++;
	return shift;
}

void tcp_conn_setup(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	uint32_t mss = tcp_ip_mss_for_mtu(c->ep.family, st->io.mtu);

	c->rcv_wnd_max = st->cfg.rcvbuf;
	c->rcv_mss = (uint16_t)(mss > 65535 ? 65535 : mss);
	c->mss = c->peer_mss = c->rcv_mss;
	c->rto_ms = TCP_RTO_INIT_MS;
	if (!(st->cfg.flags & MS_TCP_CFG_NO_TS))
		c->flags |= TCP_CF_TS;
	if (!(st->cfg.flags & MS_TCP_CFG_NO_SACK))
		c->flags |= TCP_CF_SACK;
	if (!(st->cfg.flags & MS_TCP_CFG_NO_WSCALE)) {
		c->flags |= TCP_CF_WSCALE;
		c->rcv_wscale = tcp_rcv_wscale(st);
	}
	c->iss = tcp_isn(&st->secret, &c->ep, st->now_us);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->ts_off = tcp_ts_offset(st, &c->ep);
	c->cc.mss = c->mss;
	c->cc.cwnd = 10u * c->mss;
	c->cc.ssthresh = UINT32_MAX;
	c->last_rx_ms = st->now_ms;
	tcp_sack_reset(&c->sb, c->iss);
}

/* Give back what a connection holds in mstackd (the tuple connect bound). */
void tcp_conn_unbind(struct ms_tcp_stack *st, struct tcp_conn *c)
{
	struct ms_tuple t;

	if (!c->bound)
		return;
	c->bound = 0;
	if (!st->s)
		return;
	tcp_tuple_of(&t, c->ep.family, c->ep.laddr, c->ep.lport);
	ms_unbind(st->s, &t);
}

static int tcp_addr_valid(const struct ms_tcp_addr *a)
{
	return a && (a->family == AF_INET || a->family == AF_INET6);
}

static int tcp_addr_is_any(const struct ms_tcp_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16);
}

int ms_tcp_listen(struct ms_tcp_stack *st, const struct ms_tcp_addr *local, int backlog, void *udata)
{
	struct tcp_conn *l;
	struct ms_tuple t;
	int h, err;

	if (!st || !tcp_addr_valid(local) || !local->port)
		return -EINVAL;
	l = tcp_conn_alloc(&st->tab);
	if (!l)
		return -ENOSPC;
	l->ep.family = local->family;
	l->ep.lport = local->port;
	memcpy(l->ep.laddr, local->addr, local->family == AF_INET ? 4 : 16);
	l->state = MS_TCP_LISTEN;
	l->backlog = backlog > 0 ? (uint32_t)backlog : 128;
	l->udata = udata;
	err = tcp_listener_add(&st->tab, l);
	if (err)
		goto fail;
	h = tcp_handle_attach(&st->tab, l);
	if (h < 0) {
		err = h;
		goto fail_listener;
	}
	if (st->s) {
		tcp_tuple_of(&t, l->ep.family, l->ep.laddr, l->ep.lport);
		err = tcp_bind_get(st->s, &t);
		if (err)
			goto fail_handle;
		l->bound = 1;
	}
	return h;
fail_handle:
	tcp_handle_detach(&st->tab, l);
fail_listener:
	tcp_listener_remove(&st->tab, l);
fail:
	tcp_conn_free(&st->tab, &st->mem, l);
	return err;
}

int ms_tcp_accept(struct ms_tcp_stack *st, int l, struct ms_tcp_addr *peer, void *udata)
{
	struct tcp_conn *lc = st ? tcp_handle_get(&st->tab, l) : NULL, *c;
	int h;

	if (!lc || lc->state != MS_TCP_LISTEN)
		return -EINVAL;
	c = lc->acc_head;
	if (!c)
		return -EAGAIN;
	h = tcp_handle_attach(&st->tab, c);
	if (h < 0)
		return h;
	lc->acc_head = c->acc_next;
	if (!lc->acc_head)
		lc->acc_tail = NULL;
	lc->nacc--;
	c->acc_next = NULL;
	c->listener = NULL;
	c->udata = udata;
	if (peer) {
		memset(peer, 0, sizeof(*peer));
		peer->family = c->ep.family;
		peer->port = c->ep.rport;
		memcpy(peer->addr, c->ep.raddr, 16);
	}
	/* What happened before the handle existed is reported now. */
	tcp_event(st, c, MS_TCP_EV_WRITE);
	if (c->rcv_nxt != c->rd_seq || c->state != MS_TCP_ESTABLISHED)
		tcp_event(st, c, MS_TCP_EV_READ);
	return h;
}

/* Ephemeral ports a connection on several queues may take (Linux's default ip_local_port_range). */
#define TCP_EPHEMERAL_LO 32768
#define TCP_EPHEMERAL_HI 60999
#define TCP_PORT_TRIES   256 /* ports of this queue tried before giving up (-EADDRNOTAVAIL) */

/*
 * Claim the local port of a new active connection in mstackd and write it
 * into ep->lport. With one queue any port does: the kernel picks it (port 0
 * in ms_bind). With several, mstackd delivers a flow to the queue its hash
 * names (ms_flow_queue), so the port must be one whose hash, with this
 * remote end, lands on this instance's queue -- mTCP's choice of source
 * port for RSS. Ports are tried from a random point of the ephemeral range;
 * one in nqueues matches, and a port the kernel or another app holds is
 * skipped (-EADDRINUSE).
 */
static int tcp_bind_local_port(struct ms_tcp_stack *st, struct tcp_endpoints *ep)
{
	uint32_t span = TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1, start, i, tries = 0;
	struct ms_tuple t;
	int err;

	tcp_tuple_of(&t, ep->family, ep->laddr, 0);
	if (ms_nqueues(st->s) == 1) {
		err = ms_bind(st->s, &t);
		ep->lport = t.port;
		return err;
	}
	start = (uint32_t)st->now_us % span;
	for (i = 0; i < span && tries < TCP_PORT_TRIES; i++) {
		t.port = (uint16_t)(TCP_EPHEMERAL_LO + (start + i) % span);
		if (ms_flow_queue(st->s, &t, ep->raddr, ep->rport) != st->q)
			continue;
		tries++;
		err = ms_bind(st->s, &t);
		if (err == -EADDRINUSE)
			continue;
		ep->lport = t.port;
		return err;
	}
	return -EADDRNOTAVAIL;
}

/* The local port of a connection in tests without a daemon: the IANA dynamic range, in turn. */
static uint16_t tcp_port_without_daemon(struct ms_tcp_stack *st)
{
	if (st->next_port < 49152)
		st->next_port = 49152;
	return st->next_port++;
}

int ms_tcp_connect(struct ms_tcp_stack *st, const struct ms_tcp_addr *local, const struct ms_tcp_addr *remote,
		   void *udata)
{
	struct tcp_endpoints ep = { 0 };
	struct tcp_conn *c;
	uint8_t mac[6];
	struct ms_tuple t;
	int err, h;

	if (!st || !tcp_addr_valid(local) || !tcp_addr_valid(remote) || local->family != remote->family ||
	    !remote->port || tcp_addr_is_any(remote))
		return -EINVAL;
	if (tcp_addr_is_any(local))
		return -EADDRNOTAVAIL;
	if (st->tab.count >= st->tab.max && !tcp_fsm_time_wait_reclaim(st))
		return -ENOSPC;
	tcp_clock(st);
	ep.family = local->family;
	ep.rport = remote->port;
	memcpy(ep.laddr, local->addr, local->family == AF_INET ? 4 : 16);
	memcpy(ep.raddr, remote->addr, remote->family == AF_INET ? 4 : 16);
	err = tcp_route_lookup(&st->route, ep.family, ep.raddr, st->now_ms, mac);
	if (err)
		return err;
	ep.lport = local->port;
	if (st->s && !local->port) {
		err = tcp_bind_local_port(st, &ep);
		if (err)
			return err;
	} else if (st->s) {
		tcp_tuple_of(&t, ep.family, ep.laddr, ep.lport);
		err = ms_bind(st->s, &t);
		if (err)
			return err;
	} else if (!local->port) {
		ep.lport = tcp_port_without_daemon(st);
	}
	if (tcp_conn_lookup(&st->tab, &ep)) {
		err = -EADDRINUSE;
		goto fail_unbind;
	}
	c = tcp_conn_alloc(&st->tab);
	if (!c) {
		err = -ENOSPC;
		goto fail_unbind;
	}
	c->ep = ep;
	c->bound = st->s != NULL;
	memcpy(c->src_mac, st->io.mac, 6);
	memcpy(c->dst_mac, mac, 6);
	tcp_conn_setup(st, c);
	c->udata = udata;
	c->state = MS_TCP_SYN_SENT;
	c->rtt_start_us = st->now_us;
	h = tcp_handle_attach(&st->tab, c);
	if (h < 0) {
		c->bound = 0;
		tcp_conn_free(&st->tab, &st->mem, c);
		err = h;
		goto fail_unbind;
	}
	tcp_conn_hash(&st->tab, c);
	tcp_want_output(st, c);
	return h;
fail_unbind:
	if (st->s)
		ms_unbind(st->s, &t);
	return err;
}

/* The connection of handle h, or NULL (a listener or nothing). */
static struct tcp_conn *tcp_conn_of(struct ms_tcp_stack *st, int h)
{
	struct tcp_conn *c = st ? tcp_handle_get(&st->tab, h) : NULL;

	return c && c->state != MS_TCP_LISTEN ? c : NULL;
}

/* Whether the application may queue data on c now. @return 0; -EINVAL (no such handle); the send errors. */
static int tcp_send_check(const struct tcp_conn *c)
{
	if (!c)
		return -EINVAL;
	if (c->error)
		return c->error;
	if (c->state == MS_TCP_SYN_SENT || c->state == MS_TCP_SYN_RECEIVED)
		return -ENOTCONN;
	if ((c->flags & TCP_CF_FIN_QUEUED) || (c->state != MS_TCP_ESTABLISHED && c->state != MS_TCP_CLOSE_WAIT))
		return -EPIPE;
	return 0;
}

/* n of the len bytes offered were queued (or -EAGAIN: none fit): ask for a write event if some did not fit. */
static ssize_t tcp_send_queued(struct ms_tcp_stack *st, struct tcp_conn *c, int n, size_t len)
{
	if (n == -EAGAIN || (n >= 0 && (size_t)n < len))
		c->flags |= TCP_CF_WANT_WRITE;
	if (n > 0)
		tcp_want_output(st, c);
	return n;
}

ssize_t ms_tcp_send(struct ms_tcp_stack *st, int h, const void *buf, size_t len)
{
	struct tcp_conn *c = tcp_conn_of(st, h);
	int n, rc = tcp_send_check(c);

	if (rc < 0 || (!buf && len))
		return rc < 0 ? rc : -EINVAL;
	if (!len)
		return 0;
	n = tcp_sndbuf_append(&c->snd, &st->mem, st->cfg.sndbuf, buf, len > INT_MAX ? INT_MAX : (uint32_t)len);
	return tcp_send_queued(st, c, n == 0 ? -EAGAIN : n, len);
}

ssize_t ms_tcp_sendfile(struct ms_tcp_stack *st, int h, int fd, off_t offset, size_t len)
{
	struct tcp_conn *c = tcp_conn_of(st, h);
	int n, rc = tcp_send_check(c);

	if (rc < 0 || fd < 0 || offset < 0)
		return rc < 0 ? rc : -EINVAL;
	if (!len)
		return 0;
	n = tcp_sndbuf_append_fd(&c->snd, &st->mem, st->cfg.sndbuf, fd, offset,
				 len > INT_MAX ? INT_MAX : (uint32_t)len);
	/* 0: the file ends at offset. Nothing was queued and no room is missing: no write event to ask for. */
	return n == 0 ? 0 : tcp_send_queued(st, c, n, len);
}

/* Bytes the application can read now (the peer's FIN takes a sequence number but no byte). */
static uint32_t tcp_readable(const struct tcp_conn *c)
{
	uint32_t n = c->rcv_nxt - c->rd_seq;

	return (c->flags & TCP_CF_RCV_FIN) && n ? n - 1 : n;
}

ssize_t ms_tcp_recv(struct ms_tcp_stack *st, int h, void *buf, size_t len)
{
	struct tcp_conn *c = tcp_conn_of(st, h);
	uint32_t n;

	if (!c || (!buf && len))
		return -EINVAL;
	n = c->rcv.buf ? tcp_readable(c) : 0;
	if (n) {
		if (n > len)
			n = (uint32_t)len;
		tcp_rcvbuf_read(&c->rcv, buf, n);
		c->rd_seq += n;
		/* Drained, nothing out of order: the ring (and the reassembly ranges) go back until data comes. */
		if (!tcp_readable(c) && !(c->rx && c->rx->reass.n)) {
			tcp_rcvbuf_free(&c->rcv, &st->mem);
			free(c->rx);
			c->rx = NULL;
		}
		c->flags |= TCP_CF_RCV_READ;
		tcp_want_output(st, c);
		return n;
	}
	if (c->flags & TCP_CF_RCV_FIN)
		return 0;
	if (c->error)
		return c->error;
	if (c->state == MS_TCP_CLOSED)
		return 0;
	return -EAGAIN;
}

int ms_tcp_shutdown(struct ms_tcp_stack *st, int h, int how)
{
	struct tcp_conn *c = tcp_conn_of(st, h);

	if (!c || how != SHUT_WR)
		return -EINVAL;
	return tcp_fsm_shutdown(st, c);
}

/* Stop listening: connections not yet accepted are reset, embryos forgotten, the tuple unbound. */
static void tcp_listener_close(struct ms_tcp_stack *st, struct tcp_conn *l)
{
	while (l->acc_head) {
		struct tcp_conn *c = l->acc_head;

		tcp_fsm_abort(st, c); /* takes it off the accept queue and frees it */
	}
	for (uint32_t b = 0; l->nsyn && b < st->tab.nbuckets; b++) {
		struct tcp_conn *c = st->tab.bucket[b], *next;

		for (; c; c = next) {
			next = c->hash_next;
			if (c->listener == l)
				tcp_fsm_drop(st, c, 0);
		}
	}
	tcp_listener_remove(&st->tab, l);
	tcp_handle_detach(&st->tab, l);
	if (l->bound && st->s) {
		struct ms_tuple t;

		tcp_tuple_of(&t, l->ep.family, l->ep.laddr, l->ep.lport);
		tcp_bind_put(st->s, &t);
	}
	l->bound = 0;
	l->state = MS_TCP_CLOSED;
	tcp_fsm_reap(st, l);
}

/*
 * What ms_tcp_close and ms_tcp_abort share: a listener is closed whole; a
 * connection loses its handle at once (it lives on without one until
 * reaped) and its pending events. @return the connection for the caller to
 * end; NULL when nothing is left to do, *rc saying why (0: a listener was
 * closed; -EINVAL: no such handle).
 */
static struct tcp_conn *tcp_handle_release(struct ms_tcp_stack *st, int h, int *rc)
{
	struct tcp_conn *c = st ? tcp_handle_get(&st->tab, h) : NULL;

	*rc = c ? 0 : -EINVAL;
	if (!c)
		return NULL;
	if (c->state == MS_TCP_LISTEN) {
		tcp_listener_close(st, c);
		return NULL;
	}
	tcp_handle_detach(&st->tab, c);
	c->events = 0;
	return c;
}

int ms_tcp_close(struct ms_tcp_stack *st, int h)
{
	int rc;
	struct tcp_conn *c = tcp_handle_release(st, h, &rc);

	if (!c)
		return rc;
	if (c->rcv.buf && tcp_readable(c)) {
		/* RFC 2525 2.17: closing with unread data resets, so the peer knows it was lost. */
		tcp_fsm_abort(st, c);
	} else if (c->state != MS_TCP_CLOSED) {
		tcp_fsm_shutdown(st, c);
		if (c->state == MS_TCP_FIN_WAIT_2) {
			/* Already half-closed and waiting for the peer: bound the wait without a handle. */
			c->tw_at = st->now_ms + st->cfg.time_wait_ms;
			tcp_timers_update(st, c);
		}
	}
	tcp_fsm_reap(st, c);
	return 0;
}

int ms_tcp_abort(struct ms_tcp_stack *st, int h)
{
	int rc;
	struct tcp_conn *c = tcp_handle_release(st, h, &rc);

	if (!c)
		return rc;
	tcp_fsm_abort(st, c);
	tcp_fsm_reap(st, c);
	return 0;
}

int ms_tcp_setopt(struct ms_tcp_stack *st, int h, enum ms_tcp_opt opt, uint32_t value)
{
	struct tcp_conn *c = tcp_conn_of(st, h);

	if (!c)
		return -EINVAL;
	switch (opt) {
	case MS_TCP_NODELAY:
		if (value)
			c->flags |= TCP_CF_NODELAY;
		else
			c->flags &= ~TCP_CF_NODELAY;
		tcp_want_output(st, c);
		return 0;
	case MS_TCP_KEEPALIVE:
		if (value > 86400 * 365)
			return -EINVAL;
		c->ka_idle_ms = (uint64_t)value * 1000;
		c->ka_probes = 0;
		c->ka_at = value ? st->now_ms + c->ka_idle_ms : 0;
		tcp_timers_update(st, c);
		return 0;
	}
	return -EINVAL;
}

int ms_tcp_error(struct ms_tcp_stack *st, int h)
{
	struct tcp_conn *c = tcp_conn_of(st, h);

	return c ? c->error : -EINVAL;
}

int ms_tcp_fd(const struct ms_tcp_stack *st)
{
	return st && st->wait_fd >= 0 ? st->wait_fd : -EINVAL;
}

int ms_tcp_timeout(const struct ms_tcp_stack *st)
{
	int64_t ms;

	if (!st)
		return -1;
	if (st->out_head || st->ev_head)
		return 0;
	ms = tcp_wheel_next(&st->wheel);
	/* While mstackd is away nothing wakes the stack up: come back to try re-attaching. */
	if (st->detached && (ms < 0 || ms > TCP_REATTACH_MS))
		ms = TCP_REATTACH_MS;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int ms_tcp_wait_prepare(struct ms_tcp_stack *st)
{
	if (!st || st->out_head || st->ev_head)
		return 1;
	if (!st->s)
		return 0;
	st->wait_armed = 1;
	return tcp_wakeup_prepare(st);
}

/* Feed one received frame to TCP. */
static void tcp_rx_frame(struct ms_tcp_stack *st, const struct ms_pkt *p)
{
	struct tcp_seg seg;
	struct tcp_icmp_err err;
	int r = tcp_ip_parse(p->data, p->len, &seg, &err);

	st->stats.rx_frames++;
	if (r == TCP_IP_SEGMENT)
		tcp_input(st, &seg);
	else if (r == TCP_IP_ICMP_ERROR)
		tcp_input_icmp(st, &err);
	else if (r < 0 && -r < (int)(sizeof(st->stats.rx_dropped) / sizeof(st->stats.rx_dropped[0])))
		st->stats.rx_dropped[-r]++;
	else
		st->stats.rx_dropped[0]++;
}

int ms_tcp_poll(struct ms_tcp_stack *st, struct ms_tcp_event *ev, int max)
{
	struct ms_pkt rx[TCP_BURST];
	struct tcp_timer *t, *next;
	struct tcp_conn *c, *retry;
	unsigned n;
	int k = 0;

	if (!st || (max > 0 && !ev))
		return -EINVAL;
	tcp_clock(st);
	if (st->s) {
		int err = tcp_session_check(st);

		if (err)
			return err;
	}
	if (st->wait_armed) {
		/* Back from sleeping on ms_tcp_fd: drain it and withdraw the wakeup request. */
		st->wait_armed = 0;
		tcp_wakeup_done(st);
	}
	/* Input: the whole burst, before any output, so that ACKs coalesce. */
	n = st->io.ops->rx_burst(st->io.ctx, rx, TCP_BURST);
	for (unsigned i = 0; i < n; i++)
		tcp_rx_frame(st, &rx[i]);
	if (n)
		st->io.ops->rx_release(st->io.ctx, n);
	/* Timers. */
	for (t = tcp_wheel_expire(&st->wheel, st->now_ms); t; t = next) {
		next = t->next;
		c = (struct tcp_conn *)((char *)t - offsetof(struct tcp_conn, timer));
		t->next = NULL;
		tcp_timers_fire(st, c);
	}
	/* Output for every connection that may have something to send, then one tx burst. */
	retry = NULL;
	while ((c = st->out_head)) {
		st->out_head = c->out_next;
		if (!st->tx_full) {
			c->out_queued = 0;
			tcp_output(st, c);
		}
		if (st->tx_full) {
			/* The tx ring is full: this connection (and the rest) try again at the next poll. */
			c->out_queued = 1;
			c->out_next = retry;
			retry = c;
			continue;
		}
		tcp_fsm_reap(st, c);
	}
	tcp_output_flush(st);
	st->out_head = retry;
	st->tx_full = 0;
	/* Events, each handle once. */
	while (k < max && (c = st->ev_head)) {
		st->ev_head = c->ev_next;
		if (!st->ev_head)
			st->ev_tail = &st->ev_head;
		c->ev_queued = 0;
		if (c->handle >= 0 && c->events) {
			ev[k].handle = c->handle;
			ev[k].events = c->events;
			ev[k].udata = c->udata;
			k++;
		}
		c->events = 0;
		tcp_fsm_reap(st, c);
	}
	tcp_fsm_free_reaped(st);
	return k;
}

int ms_tcp_info(struct ms_tcp_stack *st, int h, struct ms_tcp_info *info)
{
	struct tcp_conn *c = st ? tcp_handle_get(&st->tab, h) : NULL;

	if (!c || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->state = c->state;
	info->mss = c->mss;
	info->cwnd = c->cc.cwnd;
	info->ssthresh = c->cc.ssthresh;
	info->srtt_us = c->srtt_us;
	info->rttvar_us = c->rttvar_us;
	info->rto_ms = c->rto_ms;
	info->snd_wnd = c->snd_wnd;
	info->bytes_sent = c->bytes_sent;
	info->bytes_acked = c->bytes_acked;
	info->bytes_received = c->bytes_received;
	info->retransmits = c->retransmits;
	info->wscale_snd = c->flags & TCP_CF_WSCALE ? c->snd_wscale : 0xff;
	info->wscale_rcv = c->flags & TCP_CF_WSCALE ? c->rcv_wscale : 0xff;
	info->sack = !!(c->flags & TCP_CF_SACK);
	info->ts = !!(c->flags & TCP_CF_TS);
	info->soft_error = c->soft_error;
	return 0;
}

const char *ms_tcp_state_name(int state)
{
	static const char *const names[] = { "CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
					     "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
					     "CLOSING",     "LAST_ACK",   "TIME_WAIT" };

	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[state];
}

int ms_tcp_addr_parse(const char *s, struct ms_tcp_addr *a)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long port;

	if (!s || !a)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
		a->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		a->family = AF_INET;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(a->family, host, a->addr) != 1)
		return -EINVAL;
	if (!colon[1] || colon[1] == '-' || colon[1] == '+')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	a->port = (uint16_t)port;
	return 0;
}

void ms_tcp_stack_free(struct ms_tcp_stack *st)
{
	if (!st)
		return;
	for (uint32_t h = 0; h < st->tab.max; h++) {
		struct tcp_conn *c = st->tab.handle[h];

		if (c && c->state == MS_TCP_LISTEN)
			tcp_listener_close(st, c);
		else if (c)
			ms_tcp_abort(st, (int)h);
	}
	for (uint32_t b = 0; b < st->tab.nbuckets; b++)
		while (st->tab.bucket[b])
			tcp_fsm_abort(st, st->tab.bucket[b]);
	tcp_output_flush(st);
	/* Whatever still sits on this poll's lists. */
	while (st->out_head) {
		struct tcp_conn *c = st->out_head;

		st->out_head = c->out_next;
		c->out_queued = 0;
		tcp_fsm_reap(st, c);
	}
	while (st->ev_head) {
		struct tcp_conn *c = st->ev_head;

		st->ev_head = c->ev_next;
		c->ev_queued = 0;
		tcp_fsm_reap(st, c);
	}
	tcp_fsm_free_reaped(st);
	tcp_table_fini(&st->tab);
	tcp_mem_fini(&st->mem);
	if (st->wait_fd >= 0)
		close(st->wait_fd);
	free(st);
}
