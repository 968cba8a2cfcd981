/* SPDX-License-Identifier: BSD-2-Clause */
/* ctl.c - the control socket: accept sessions, decode requests, answer each with one reply. */
#include "ctl.h"

#include <bsd/string.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "appmgr.h"
#include "capture.h"
#include "clock.h"
#include "fdreap.h"
#include "hold.h"
#include "log.h"
#include "neigh.h"
#include "publish.h"
#include "query.h"

#define CTL_RESOLVE_TIMEOUT_MS 3000
#define CTL_ADMIN_RESERVE      16 /* connections an administrator may open beyond [control] max_connections */

struct ctl_conn {
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin;
	bool refusal_logged; /* log a peer's refusals once, not per request */
	struct app *app;     /* after HELLO */
	bool capturing;      /* this session's capture is d->dp.capture */
	/* one outstanding RESOLVE */
	bool resolving;
	uint32_t resolve_req_id;
	struct neigh_req resolve;
	struct neigh_budget resolve_budget; /* probes of addresses the kernel did not know */
	LIST_ENTRY(ctl_conn) link;
};

static struct log_ratelimit ctl_log_rl = LOG_RATELIMIT_INIT(10, 5);

static void ctl_reply(struct ctl_conn *c, uint16_t type, uint32_t req_id, int status, const void *body, uint32_t len,
		      const int *fds, int nfds)
{
	static uint8_t buf[MS_MSG_MAX];
	ssize_t n =
	    ms_msg_pack(buf, sizeof(buf), type | MS_MSG_REPLY, req_id, status, status ? NULL : body, status ? 0 : len);

	if (n < 0 || ms_msg_send(c->fd, buf, (size_t)n, fds, nfds) < 0)
		if (log_ratelimit_ok(&ctl_log_rl))
			log_warn("control: cannot reply to pid %d", (int)c->pid);
}

/* Count a refusal by the access policy or a limit; log it once per peer, rate-limited. */
static void ctl_refuse(struct mstackd *d, struct ctl_conn *c, const char *what, int err)
{
	d->ctl_refused++;
	if (c->refusal_logged || !log_ratelimit_ok(&ctl_log_rl))
		return;
	c->refusal_logged = true;
	log_notice("%s refused to pid %d uid %u: %s", what, (int)c->pid, (unsigned)c->uid, strerror(-err));
}

static bool ctl_peer_is_admin(struct mstackd *d, int fd, uid_t uid, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	struct group *g;
	unsigned i;

	if (uid == 0)
		return true;
	if (!d->conf.admin_group[0] || !(g = getgrnam(d->conf.admin_group)))
		return false;
	if (gid == g->gr_gid)
		return true;
	/* SO_PEERGROUPS: the peer's supplementary groups at connect time. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

/* Does a live process answer on path? Then it is not ours to replace. */
static bool ctl_socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return live;
}

int ctl_open(struct mstackd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	const char *path = d->conf.ctl_socket;
	int fd, rc;

	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("control socket %s: %s", path, strerror(errno));
		return -errno;
	}
	if (ctl_socket_in_use(path)) {
		log_err("control socket %s is in use: is another mstackd running?", path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path); /* a stale socket of a previous run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0)
		goto fail;
	if (chmod(path, d->conf.ctl_mode) < 0)
		goto fail;
	if (d->conf.ctl_group[0]) {
		struct group *g = getgrnam(d->conf.ctl_group);

		if (!g) {
			log_err("[control] group '%s' does not exist", d->conf.ctl_group);
			errno = ENOENT;
			goto fail;
		}
		if (chown(path, (uid_t)-1, g->gr_gid) < 0)
			goto fail;
	}
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	d->listen_fd = fd;
	return 0;
fail:
	rc = -errno;
	log_err("control socket %s: %s", path, strerror(-rc));
	close(fd);
	return rc;
}

/*
 * Close a session's socket. Messages still queued on it carry the client's
 * descriptors, and closing the socket would release them here, on the control
 * thread (a lingering TCP socket in flight blocks that close for as long as it
 * lingers). So take every message out first and hand its fds to fdreap:
 * SHUT_RD so that nothing more can arrive, SO_PASSCRED so that a queued empty
 * message (it comes with credentials) is told from the end of the queue.
 */
static void ctl_close_session_fd(int fd)
{
	static uint8_t buf[MS_MSG_MAX];
	int fds[MS_MSG_FDS_KERNEL_MAX], nfds, one = 1;
	unsigned flags;
	ssize_t n;

	if (shutdown(fd, SHUT_RD) < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		fdreap_close(FDREAP_ANY, fd); /* cannot drain it: let the closer take the risk */
		return;
	}
	do {
		n = ms_msg_recv_keep(fd, buf, sizeof(buf), fds, &nfds, &flags);
		fdreap_close_many(fds, nfds);
	} while (n > 0 || n == -EMSGSIZE || (n == 0 && (flags & MS_RECV_CREDS)));
	close(fd); /* nothing in flight any more: this cannot block */
}

uint32_t ctl_max_conns(const struct mstackd *d)
{
	return d->conf.ctl_max_conns ? d->conf.ctl_max_conns : d->ctl_max_conns_auto;
}

static void ctl_accept(struct mstackd *d)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *c;
	struct epoll_event ev = { .events = EPOLLIN };
	bool admin;
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of fds: stop listening until the next tick rather than spin on the backlog. */
			struct epoll_event ev_off = { .events = 0, .data.ptr = NULL };
			int err = errno;

			/* Should this fail, the next accept fails the same way: no worse than before. */
			(void)epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->listen_fd, &ev_off);
			d->listen_paused = true;
			if (log_ratelimit_ok(&ctl_log_rl))
				log_warn("control: cannot accept: %s", strerror(err));
		}
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		ctl_close_session_fd(fd);
		return;
	}
	admin = ctl_peer_is_admin(d, fd, cred.uid, cred.gid);
	/*
	 * Keep fds in reserve for bindings: a flood of idle sessions must not starve a working app.
	 * An administrator gets CTL_ADMIN_RESERVE connections beyond the limit, so that mstackctl
	 * still answers on a host whose apps use every connection the limit allows.
	 */
	if (d->nconns >= ctl_max_conns(d) + (admin ? CTL_ADMIN_RESERVE : 0)) {
		d->ctl_conn_refused++;
		if (log_ratelimit_ok(&ctl_log_rl))
			log_warn("control: %u connections, refusing more ([control] max_connections)", d->nconns);
		ctl_close_session_fd(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		ctl_close_session_fd(fd);
		return;
	}
	c->fd = fd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->admin = admin;
	ev.data.ptr = c;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		ctl_close_session_fd(fd);
		free(c);
		return;
	}
	LIST_INSERT_HEAD(&d->conns, c, link);
	d->nconns++;
}

static void ctl_drop(struct mstackd *d, struct ctl_conn *c)
{
	LIST_REMOVE(c, link);
	d->nconns--;
	(void)epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL); /* closing the fd removes it anyway */
	if (c->app)
		appmgr_detach(d, c->app);
	if (c->capturing) {
		/* The reader is gone (exit, Ctrl-C, kill -9): unpublish, free after a grace period. */
		pub_replace(&d->dp, (void **)&d->dp.capture, NULL, capture_destroy);
		log_notice("capture by pid %d ended", (int)c->pid);
	}
	ctl_close_session_fd(c->fd);
	free(c);
}

void ctl_close(struct mstackd *d)
{
	while (!LIST_EMPTY(&d->conns))
		ctl_drop(d, LIST_FIRST(&d->conns));
	if (d->listen_fd >= 0) {
		/* Connections never accepted may hold a client's descriptors in flight. */
		fdreap_close(FDREAP_ANY, d->listen_fd);
		unlink(d->conf.ctl_socket);
	}
	d->listen_fd = -1;
}

static void ctl_hello(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body)
{
	struct ms_hello hello;
	struct ms_hello_reply rep;
	struct app *a;
	int fds[MS_MSG_FDS_MAX];

	memcpy(&hello, body, sizeof(hello));
	if (c->app) {
		ctl_reply(c, h->type, h->req_id, -EBUSY, NULL, 0, NULL, 0);
		return;
	}
	a = appmgr_attach(d, &hello, c->pid, c->uid, c->gid);
	if (!a) {
		int err = errno;

		ctl_refuse(d, c, "attach", -err);
		ctl_reply(c, h->type, h->req_id, -err, NULL, 0, NULL, 0);
		return;
	}
	c->app = a;
	memset(&rep, 0, sizeof(rep));
	rep.app_id = a->id;
	rep.nqueues = a->nqueues;
	rep.ring_size = a->ring_size;
	rep.mtu = d->ports.mtu;
	rep.region_size = a->region_size;
	memcpy(rep.mac, d->ports.nic_mac, 6);
	ctl_reply(c, h->type, h->req_id, 0, &rep, sizeof(rep), fds, app_hello_fds(a, fds));
	app_region_handed_over(a);
}

static void ctl_bind(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body, int *fds,
		     int nfds, bool fds_lost)
{
	struct ms_tuple t;
	int rc;

	memcpy(&t, body, sizeof(t));
	if (!c->app) {
		rc = -ENOTCONN;
	} else if (fds_lost) {
		/* The reservation did not reach us (we are out of fds): refuse this bind, keep the session. */
		rc = -ENOBUFS;
		d->ctl_fds_lost++;
		if (log_ratelimit_ok(&ctl_log_rl))
			log_warn("control: the socket of a BIND from pid %d did not arrive (out of file descriptors?)",
				 (int)c->pid);
	} else if (nfds != 1)
		rc = -EINVAL;
	else
		rc = appmgr_bind(d, c->app, &t, fds[0]);
	if (rc == -ENOSPC)
		ctl_refuse(d, c, "bind beyond the limits", rc);
	if (rc == 0)
		nfds = 0; /* the reservation keeps the fd */
	fdreap_close_many(fds, nfds);
	ctl_reply(c, h->type, h->req_id, rc, &t, sizeof(t), NULL, 0);
}

static void ctl_unbind(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body)
{
	struct ms_tuple t;
	int rc;

	memcpy(&t, body, sizeof(t));
	rc = c->app ? appmgr_unbind(d, c->app, &t) : -ENOTCONN;
	ctl_reply(c, h->type, h->req_id, rc, NULL, 0, NULL, 0);
}

/* Answer a RESOLVE now if the kernel knows, else keep it pending until ctl_tick. */
static bool ctl_resolve_try(struct mstackd *d, struct ctl_conn *c)
{
	const uint32_t limits[2] = { d->conf.resolve_burst, d->conf.resolve_rate };
	struct ms_resolve_reply rep;
	int rc;

	memset(&rep, 0, sizeof(rep));
	rc = neigh_step(&c->resolve, d->conf.tap_name, &c->resolve_budget, &d->resolve_budget, limits, clock_now_ms(),
			rep.mac);
	if (rc == -EAGAIN)
		return false;
	if (rc == -ENOBUFS)
		ctl_refuse(d, c, "resolve beyond the budget", rc);
	c->resolving = false;
	ctl_reply(c, MS_MSG_RESOLVE, c->resolve_req_id, rc, &rep, sizeof(rep), NULL, 0);
	return true;
}

static void ctl_resolve(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body)
{
	struct ms_resolve req;
	int rc;

	if (!c->app || c->resolving) {
		ctl_reply(c, h->type, h->req_id, c->app ? -EBUSY : -ENOTCONN, NULL, 0, NULL, 0);
		return;
	}
	memcpy(&req, body, sizeof(req));
	if ((req.family != AF_INET && req.family != AF_INET6) ||
	    (req.family == AF_INET && memcmp(req.addr + 4, (uint8_t[12]){ 0 }, 12) != 0)) {
		ctl_reply(c, h->type, h->req_id, -EINVAL, NULL, 0, NULL, 0);
		return;
	}
	rc = neigh_start(&c->resolve, d->conf.tap_name, req.family, req.addr, clock_now_ms() + CTL_RESOLVE_TIMEOUT_MS);
	if (rc < 0) {
		ctl_reply(c, h->type, h->req_id, rc, NULL, 0, NULL, 0);
		return;
	}
	c->resolving = true;
	c->resolve_req_id = h->req_id;
	ctl_resolve_try(d, c);
}

/*
 * The disconnect policy (misbehave.h): the datapath counted what each app's
 * rings presented; an app over [limits] misbehave_rate/misbehave_burst
 * loses its session, by the same two-phase removal as a detach (the
 * datapath lets go of it before it is freed).
 */
static void ctl_police_apps(struct mstackd *d, uint64_t now_ms)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10, 5);
	struct ctl_conn *c, *next;

	for (c = LIST_FIRST(&d->conns); c; c = next) {
		struct app *a = c->app;
		uint64_t n;

		next = LIST_NEXT(c, link);
		if (!a)
			continue;
		n = misbehave_count(&a->stats);
		if (!misbehave_over(&a->misbehave, n, d->conf.misbehave_rate, d->conf.misbehave_burst, now_ms))
			continue;
		d->ctl_apps_disconnected++;
		if (log_ratelimit_ok(&rl))
			log_warn("app %u (%s, pid %d) disconnected: its rings presented %" PRIu64
				 " refused indices, descriptors or frames, beyond [limits] misbehave_rate %u/s, "
				 "misbehave_burst %u",
				 a->id, a->name, (int)a->pid, n, d->conf.misbehave_rate, d->conf.misbehave_burst);
		ctl_drop(d, c);
	}
}

void ctl_tick(struct mstackd *d)
{
	struct ctl_conn *c;

	if (d->listen_paused) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		/* Should this fail, it stays paused and is tried again at the next tick. */
		if (epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->listen_fd, &ev) == 0)
			d->listen_paused = false;
	}
	LIST_FOREACH (c, &d->conns, link)
		if (c->resolving)
			ctl_resolve_try(d, c);
	ctl_police_apps(d, clock_now_ms());
	hold_tick(d, clock_now_ms());
}

static void ctl_admin(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body)
{
	struct ms_tuple t;
	int rc;

	memcpy(&t, body, sizeof(t));
	if (!c->admin) {
		rc = -EPERM;
		ctl_refuse(d, c, "admin command", rc);
	} else if (h->type == MS_MSG_ADMIN_BIND) {
		rc = appmgr_reserve(d, &t);
	} else {
		rc = appmgr_revoke(d, &t);
	}
	ctl_reply(c, h->type, h->req_id, rc, NULL, 0, NULL, 0);
}

/* CAPTURE: an administrator's view of everyone's packets, one at a time, for as long as the session lasts. */
static void ctl_capture(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body)
{
	struct ms_capture_req req;
	struct ms_capture_reply rep;
	struct capture *cap;
	int fds[2], rc;

	memcpy(&req, body, sizeof(req));
	if (!c->admin) {
		rc = -EPERM;
		ctl_refuse(d, c, "capture", rc);
	} else if (d->dp.capture) {
		rc = -EBUSY;
	} else {
		rc = capture_check(&req);
	}
	if (rc < 0) {
		ctl_reply(c, h->type, h->req_id, rc, NULL, 0, NULL, 0);
		return;
	}
	/* A ring per worker, and one for the TAP lcore if it sends the kernel's frames itself (handover.h). */
	cap = capture_create(&req, d->dp.nworkers + (handover_direct(&d->dp.ho) ? 1 : 0));
	if (!cap) {
		ctl_reply(c, h->type, h->req_id, -errno, NULL, 0, NULL, 0);
		return;
	}
	pub_replace(&d->dp, (void **)&d->dp.capture, cap, capture_destroy); /* replaces NULL: nothing retired */
	c->capturing = true;
	memset(&rep, 0, sizeof(rep));
	rep.region_size = cap->region_size;
	rep.nslots = cap->mask + 1;
	rep.snaplen = cap->snaplen;
	fds[0] = cap->memfd;
	fds[1] = cap->wakeup_fd;
	ctl_reply(c, h->type, h->req_id, 0, &rep, sizeof(rep), fds, 2);
	capture_handed_over(cap);
	log_notice("capture started by pid %d uid %u: points 0x%x dirs 0x%x app %u snaplen %u", (int)c->pid,
		   (unsigned)c->uid, req.points, req.dirs, req.app_id, req.snaplen);
}

static void ctl_query(struct mstackd *d, struct ctl_conn *c, const struct ms_msg_hdr *h, const void *body)
{
	static uint8_t out[MS_MSG_MAX];
	struct ms_list_req req = { 0 };
	int len;

	if (h->len == sizeof(req))
		memcpy(&req, body, sizeof(req));
	len = query_reply(d, h->type, req.offset, out, sizeof(out) - sizeof(struct ms_msg_hdr));
	ctl_reply(c, h->type, h->req_id, len < 0 ? len : 0, out, len < 0 ? 0 : (uint32_t)len, NULL, 0);
}

/* Read one message; returns false when the session must end. */
static bool ctl_dispatch(struct mstackd *d, struct ctl_conn *c)
{
	static uint8_t buf[MS_MSG_MAX];
	struct ms_msg_hdr h;
	const void *body;
	int fds[MS_MSG_FDS_KERNEL_MAX], nfds, rc;
	unsigned flags;
	/* Whatever fds came with the message are the client's choice: they go to fdreap, never close() here. */
	ssize_t n = ms_msg_recv_keep(c->fd, buf, sizeof(buf), fds, &nfds, &flags);

	if (n <= 0)
		fdreap_close_many(fds, nfds);
	if (n == -EAGAIN || n == -EINTR)
		return true;
	if (n <= 0)
		return false;
	rc = ms_msg_unpack(buf, (size_t)n, &h, &body);
	if (rc < 0 || (h.type & MS_MSG_REPLY)) {
		if (log_ratelimit_ok(&ctl_log_rl))
			log_notice("control: malformed message from pid %d, closing", (int)c->pid);
		if ((size_t)n >= sizeof(h)) {
			memcpy(&h, buf, sizeof(h));
			ctl_reply(c, h.type & ~MS_MSG_REPLY, h.req_id, rc < 0 ? rc : -EPROTO, NULL, 0, NULL, 0);
		}
		fdreap_close_many(fds, nfds);
		return false;
	}
	if (h.type != MS_MSG_BIND) {
		fdreap_close_many(fds, nfds);
		nfds = 0;
	}
	switch (h.type) {
	case MS_MSG_HELLO: ctl_hello(d, c, &h, body); break;
	case MS_MSG_BIND: ctl_bind(d, c, &h, body, fds, nfds, flags & MS_RECV_FDS_LOST); break;
	case MS_MSG_UNBIND: ctl_unbind(d, c, &h, body); break;
	case MS_MSG_RESOLVE: ctl_resolve(d, c, &h, body); break;
	case MS_MSG_ADMIN_BIND:
	case MS_MSG_ADMIN_UNBIND: ctl_admin(d, c, &h, body); break;
	case MS_MSG_CAPTURE: ctl_capture(d, c, &h, body); break;
	default: ctl_query(d, c, &h, body); break;
	}
	return true;
}

void ctl_event(struct mstackd *d, void *ptr, uint32_t events)
{
	struct ctl_conn *c = ptr;

	if (!c) {
		ctl_accept(d);
		return;
	}
	if (events & EPOLLIN) {
		if (!ctl_dispatch(d, c))
			ctl_drop(d, c);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		ctl_drop(d, c);
	}
}
