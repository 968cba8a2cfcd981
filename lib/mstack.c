/* SPDX-License-Identifier: BSD-2-Clause */
/* mstack.c - libmstack-client: attach, bind through a kernel socket, rings, wakeups. */
#include <mstack/mstack.h>

#include "ms_codec.h"
#include "ms_tuple.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct ms_queue {
	struct ms_ring *rx, *tx;
	uint8_t *rx_bufs, *tx_bufs;
	int wakeup_fd; /* the queue's own eventfd (MS_HELLO_F_QUEUE_WAKEUP), else -1 */
};

struct ms_session {
	int ctl_fd;
	int wakeup_fd;    /* the daemon's session eventfd; with per-queue fds, an epoll set of them all */
	int queue_wakeup; /* MS_HELLO_F_QUEUE_WAKEUP was granted: q[].wakeup_fd are valid */
	int kick_fd;      /* the transmit doorbell (ms_abi.h) */
	uint32_t req_id;
	void *region;
	uint64_t region_size;
	struct ms_hello_reply info;
	uint32_t mask;
	struct ms_revive *rv; /* what survives a daemon restart; see ms_reattach */
	struct ms_queue q[];
};

/* A tuple the session holds, with the library's own copy of its reservation socket. */
struct ms_binding {
	struct ms_tuple t;
	int fd;
};

/*
 * The part of a session that outlives its attachment: what to ask a new
 * daemon for, the tuples to claim again, and the back-off schedule. Only
 * ms_attach, ms_bind, ms_unbind, ms_reattach and ms_detach touch it.
 */
struct ms_revive {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ms_hello hello;
	int wait_reports_loss; /* MS_ATTACH_F_NO_REATTACH: ms_wait answers -ECONNRESET, never re-attaches */
	int lost;              /* the control connection is gone; the region is ours alone */
	uint32_t attach_gen;   /* 1 after ms_attach, one more at every MS_REATTACHED */
	uint32_t backoff_ms;
	int64_t next_try_ms;      /* CLOCK_MONOTONIC, like attached_ms */
	int64_t attached_ms;      /* when the current attachment began */
	int64_t revoked_check_ms; /* when ms_wait last looked for revoked bindings */
	struct ms_binding *b;
	unsigned nb, cap;
};

#define MS_BACKOFF_FIRST_MS 10
#define MS_BACKOFF_MAX_MS   1000
#define MS_ABSENT_RETRY_MS  20    /* between attempts while nothing listens on the socket */
#define MS_STABLE_MS        10000 /* an attachment that lived this long starts the back-off afresh */
#define MS_REVOKED_CHECK_MS 100   /* how often ms_wait looks for revoked bindings (one poll(2)) */

static int64_t ms_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Schedule the next attempt one back-off from now, and double the back-off up to its cap. */
static void ms_backoff_step(struct ms_revive *rv, int64_t now)
{
	rv->next_try_ms = now + rv->backoff_ms;
	rv->backoff_ms = rv->backoff_ms * 2 > MS_BACKOFF_MAX_MS ? MS_BACKOFF_MAX_MS : rv->backoff_ms * 2;
}

/*
 * The control connection is gone. After a long attachment the first
 * attempt is at once; a loss soon after the last (re-)attachment keeps
 * backing off instead, so that a session the daemon keeps closing (it
 * disconnects a misbehaving application) comes back at most once per
 * MS_BACKOFF_MAX_MS, never in a tight loop.
 */
static void ms_session_lost(struct ms_revive *rv)
{
	int64_t now = ms_now_ms();

	if (rv->lost)
		return;
	rv->lost = 1;
	if (now - rv->attached_ms >= MS_STABLE_MS) {
		rv->backoff_ms = MS_BACKOFF_FIRST_MS;
		rv->next_try_ms = now;
	} else {
		ms_backoff_step(rv, now);
	}
}

/* Longer than the daemon's longest answer (a RESOLVE waits up to 3 s for the kernel). */
static const struct timeval ms_reply_timeout = { .tv_sec = 10 };

int ms_ctl_connect(const char *socket_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = socket_path ? socket_path : MS_DEFAULT_SOCKET;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A daemon that accepts but never answers must not hang the application. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ms_reply_timeout, sizeof(ms_reply_timeout));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int ms_call(int fd, uint32_t req_id, uint16_t type, const void *req, uint32_t req_len, const int *fds_out, int nfds_out,
	    void *buf, size_t cap, const void **body, int *fds_in, int *nfds_in)
{
	uint8_t msg[sizeof(struct ms_msg_hdr) + 256];
	struct ms_msg_hdr h;
	int nfds = nfds_in ? *nfds_in : 0;
	ssize_t n = ms_msg_pack(msg, sizeof(msg), type, req_id, 0, req, req_len);
	int rc, i;

	if (n < 0)
		return (int)n;
	rc = ms_msg_send(fd, msg, (size_t)n, fds_out, nfds_out);
	if (rc < 0)
		return rc;
	n = ms_msg_recv(fd, buf, cap, fds_in, &nfds);
	if (n == 0)
		return -ECONNRESET;
	if (n == -EAGAIN)
		return -ETIMEDOUT;
	if (n < 0)
		return (int)n;
	rc = ms_msg_unpack(buf, (size_t)n, &h, body);
	if (rc == 0 && (h.type != (type | MS_MSG_REPLY) || h.req_id != req_id))
		rc = -EPROTO;
	if (rc == 0 && h.status != 0)
		rc = h.status;
	if (rc < 0) {
		for (i = 0; i < nfds; i++)
			close(fds_in[i]);
		nfds = 0;
	}
	if (nfds_in)
		*nfds_in = nfds;
	return rc < 0 ? rc : (int)h.len;
}

/*
 * Request ids of sessionless requests. The library's only mutable state
 * outside a session: atomic, so that threads with fds of their own may
 * call ms_ctl_request at once.
 */
static uint32_t ms_ctl_req_id;

int ms_ctl_request(int fd, uint16_t type, const void *req, uint32_t req_len, void *buf, size_t cap, const void **body)
{
	uint32_t req_id = __atomic_add_fetch(&ms_ctl_req_id, 1, __ATOMIC_RELAXED);

	if (!buf || !body)
		return -EINVAL;
	return ms_call(fd, req_id, type, req, req_len, NULL, 0, buf, cap, body, NULL, NULL);
}

/* Check what the daemon mapped against what it said, before trusting any offset. */
static int ms_map(struct ms_session *s, int memfd)
{
	const struct ms_region_hdr *h;
	uint32_t q;

	s->region = mmap(NULL, s->info.region_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (s->region == MAP_FAILED) {
		s->region = NULL;
		return -errno;
	}
	s->region_size = s->info.region_size;
	h = s->region;
	if (h->magic != MS_REGION_MAGIC || h->abi_major != MS_ABI_MAJOR || h->nqueues != s->info.nqueues ||
	    h->ring_size != s->info.ring_size || h->buf_size != MS_BUF_SIZE ||
	    h->ring_stride < sizeof(struct ms_ring) ||
	    h->bufs_off + (uint64_t)2 * h->nqueues * h->ring_size * h->buf_size > s->region_size ||
	    h->rings_off + (uint64_t)2 * h->nqueues * h->ring_stride > h->bufs_off)
		return -EPROTO;
	for (q = 0; q < h->nqueues; q++) {
		s->q[q].rx = ms_region_ring(s->region, h, 2 * q);
		s->q[q].tx = ms_region_ring(s->region, h, 2 * q + 1);
		s->q[q].rx_bufs = (uint8_t *)ms_region_buf(s->region, h, 2 * q, 0);
		s->q[q].tx_bufs = (uint8_t *)ms_region_buf(s->region, h, 2 * q + 1, 0);
	}
	return 0;
}

static void ms_session_close(struct ms_session *s);

/*
 * Per-queue wakeups: the queues' eventfds (fds[0..nqueues-1], taken over
 * by s) and, in place of the session's eventfd that the daemon no longer
 * signals, an epoll set of them all, so that ms_wait_fd still wakes for
 * any queue. The set follows its files, not their numbers: it survives
 * ms_session_adopt's dup3 of each file onto the old number.
 */
static int ms_queue_fds_take(struct ms_session *s, const int *fds)
{
	uint32_t q;
	int ep;

	for (q = 0; q < s->info.nqueues; q++)
		s->q[q].wakeup_fd = fds[q];
	s->queue_wakeup = 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	close(s->wakeup_fd);
	s->wakeup_fd = ep;
	for (q = 0; q < s->info.nqueues; q++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = q };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[q], &ev) < 0)
			return -errno;
	}
	return 0;
}

/* Connect, send hello and map the region granted: a session without its ms_revive (s->rv NULL). */
static int ms_session_open(const char *socket_path, const struct ms_hello *hello, struct ms_session **out)
{
	uint8_t buf[256]; /* the reply is 48 bytes; a longer one is refused (-EMSGSIZE) */
	struct ms_session *s = NULL;
	const void *body;
	int fd, fds[MS_MSG_FDS_MAX], nfds = MS_MSG_FDS_MAX, rc, i;

	fd = ms_ctl_connect(socket_path);
	if (fd < 0)
		return fd;
	rc = ms_call(fd, 1, MS_MSG_HELLO, hello, sizeof(*hello), NULL, 0, buf, sizeof(buf), &body, fds, &nfds);
	if (rc < 0) { /* ms_call closed every fd that came */
		close(fd);
		return rc;
	}
	if (ms_hello_reply_check(hello, body, nfds) < 0) {
		rc = -EPROTO; /* the wrong fds, or queues other than those asked for */
		goto fail;
	}
	s = calloc(1, sizeof(*s) + hello->nqueues * sizeof(struct ms_queue));
	if (!s) {
		rc = -ENOMEM;
		goto fail;
	}
	memcpy(&s->info, body, sizeof(s->info));
	s->ctl_fd = fd;
	s->wakeup_fd = fds[1];
	s->kick_fd = fds[2];
	s->req_id = 1;
	s->mask = s->info.ring_size - 1;
	for (i = 0; i < (int)s->info.nqueues; i++)
		s->q[i].wakeup_fd = -1;
	if (nfds > 3) {
		rc = ms_queue_fds_take(s, fds + 3);
		nfds = 3; /* s holds them now */
		if (rc < 0) {
			close(fds[0]);
			ms_session_close(s);
			return rc;
		}
	}
	rc = ms_map(s, fds[0]);
	close(fds[0]); /* the mapping keeps the region */
	if (rc < 0) {
		ms_session_close(s);
		return rc;
	}
	*out = s;
	return 0;
fail:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	close(fd);
	return rc;
}

/* Close what ms_session_open opened (an fd of -1 is skipped) and free s; not s->rv. */
static void ms_session_close(struct ms_session *s)
{
	uint32_t q;

	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	if (s->wakeup_fd >= 0)
		close(s->wakeup_fd);
	for (q = 0; s->queue_wakeup && q < s->info.nqueues; q++)
		if (s->q[q].wakeup_fd >= 0)
			close(s->q[q].wakeup_fd);
	if (s->kick_fd >= 0)
		close(s->kick_fd);
	if (s->region)
		munmap(s->region, s->region_size);
	free(s);
}

int ms_attach(const char *socket_path, const struct ms_attach_opts *opts, struct ms_session **out)
{
	const char *path = socket_path ? socket_path : MS_DEFAULT_SOCKET;
	struct ms_revive *rv;
	struct ms_session *s;
	int rc;

	if (!out)
		return -EINVAL;
	rv = calloc(1, sizeof(*rv));
	if (!rv)
		return -ENOMEM;
	if (strlen(path) >= sizeof(rv->path)) {
		free(rv);
		return -ENAMETOOLONG;
	}
	memcpy(rv->path, path, strlen(path) + 1);
	rv->hello.abi_major = MS_ABI_MAJOR;
	rv->hello.abi_minor = MS_ABI_MINOR;
	rv->hello.nqueues = opts && opts->nqueues ? opts->nqueues : 1;
	rv->hello.ring_size = opts && opts->ring_size ? opts->ring_size : 1024;
	/* The library's own flags stay here: the daemon sees only MS_HELLO_F_*. */
	rv->hello.flags = opts ? (uint16_t)(opts->flags & 0xffffu) : 0;
	rv->wait_reports_loss = opts && (opts->flags & MS_ATTACH_F_NO_REATTACH);
	rv->attach_gen = 1;
	rv->backoff_ms = MS_BACKOFF_FIRST_MS;
	rv->attached_ms = ms_now_ms();
	if (opts && opts->name)
		strncpy(rv->hello.name, opts->name, sizeof(rv->hello.name) - 1);
	rc = ms_session_open(rv->path, &rv->hello, &s);
	if (rc < 0) {
		free(rv);
		return rc;
	}
	s->rv = rv;
	*out = s;
	return 0;
}

static void ms_revive_free(struct ms_revive *rv)
{
	unsigned i;

	for (i = 0; i < rv->nb; i++)
		close(rv->b[i].fd);
	free(rv->b);
	free(rv);
}

void ms_detach(struct ms_session *s)
{
	if (!s)
		return;
	ms_revive_free(s->rv);
	ms_session_close(s);
}

/*
 * A control request of a session. A connection found dead marks the
 * session lost (ms_reattach then re-attaches) and answers -ECONNRESET;
 * a lost session answers it at once.
 */
static int ms_session_call(struct ms_session *s, uint16_t type, const void *req, uint32_t req_len, const int *fds_out,
			   int nfds_out, void *buf, size_t cap, const void **body)
{
	int rc;

	if (s->rv->lost)
		return -ECONNRESET;
	rc = ms_call(s->ctl_fd, ++s->req_id, type, req, req_len, fds_out, nfds_out, buf, cap, body, NULL, NULL);
	if (rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN) {
		ms_session_lost(s->rv);
		rc = -ECONNRESET;
	}
	return rc;
}

static int ms_binding_find(const struct ms_revive *rv, const struct ms_tuple *t)
{
	unsigned i;

	for (i = 0; i < rv->nb; i++)
		if (memcmp(&rv->b[i].t, t, sizeof(*t)) == 0)
			return (int)i;
	return -1;
}

static void ms_binding_forget(struct ms_revive *rv, unsigned i)
{
	close(rv->b[i].fd);
	rv->b[i] = rv->b[--rv->nb];
}

int ms_bind(struct ms_session *s, struct ms_tuple *t)
{
	struct ms_revive *rv = s->rv;
	uint8_t buf[256];
	const void *body;
	struct ms_tuple want;
	int fd, rc;

	rc = ms_tuple_check(t);
	if (rc < 0)
		return rc;
	if (rv->nb == rv->cap) { /* room first: a binding granted is never one the library cannot keep */
		unsigned cap = rv->cap ? 2 * rv->cap : 4;
		struct ms_binding *b = realloc(rv->b, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		rv->b = b;
		rv->cap = cap;
	}
	want = *t;
	fd = ms_tuple_bind_socket(&want); /* the kernel decides whether t is ours to take */
	if (fd < 0)
		return fd;
	rc = ms_session_call(s, MS_MSG_BIND, &want, sizeof(want), &fd, 1, buf, sizeof(buf), &body);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	memcpy(t, body, sizeof(*t));
	/* mstackd holds a copy; ours keeps the tuple reserved across a daemon restart. */
	rv->b[rv->nb++] = (struct ms_binding){ .t = *t, .fd = fd };
	return 0;
}

int ms_unbind(struct ms_session *s, const struct ms_tuple *t)
{
	uint8_t buf[256];
	const void *body;
	int rc = ms_tuple_check(t), i;

	if (rc < 0)
		return rc;
	i = ms_binding_find(s->rv, t);
	rc = ms_session_call(s, MS_MSG_UNBIND, t, sizeof(*t), NULL, 0, buf, sizeof(buf), &body);
	/* A lost session's binding is released by closing our reservation: no daemon holds the other copy. */
	if (i >= 0 && (rc >= 0 || rc == -ECONNRESET)) {
		ms_binding_forget(s->rv, (unsigned)i);
		rc = 0;
	}
	return rc < 0 ? rc : 0;
}

/*
 * Forget the bindings an administrator revoked: mstackd shuts their
 * reservation socket down (POLLRDHUP), and closing our copy frees the
 * tuple in the kernel. Never claimed again after a restart.
 */
static void ms_bindings_drop_revoked(struct ms_revive *rv)
{
	struct pollfd p[16];
	unsigned i, n, k;

	for (i = 0; i < rv->nb; i += n) {
		n = rv->nb - i < 16 ? rv->nb - i : 16;
		for (k = 0; k < n; k++)
			p[k] = (struct pollfd){ .fd = rv->b[i + k].fd, .events = POLLRDHUP };
		if (poll(p, n, 0) <= 0)
			continue;
		for (k = n; k-- > 0;) /* from the end: forgetting moves the last entry into the hole */
			if (p[k].revents & POLLRDHUP)
				ms_binding_forget(rv, i + k);
	}
}

/* 1 if the control connection hung up (mstackd exited or closed the session), without blocking. */
static int ms_ctl_hung_up(const struct ms_session *s)
{
	struct pollfd p = { .fd = s->ctl_fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/* Claim every kept tuple on fresh, each with the reservation socket the library kept. */
static int ms_rebind_all(struct ms_session *fresh, const struct ms_revive *rv)
{
	uint8_t buf[256];
	const void *body;
	unsigned i;
	int rc;

	for (i = 0; i < rv->nb; i++) {
		rc = ms_call(fresh->ctl_fd, ++fresh->req_id, MS_MSG_BIND, &rv->b[i].t, sizeof(rv->b[i].t), &rv->b[i].fd,
			     1, buf, sizeof(buf), &body, NULL, NULL);
		if (rc < 0)
			return rc;
		if (memcmp(body, &rv->b[i].t, sizeof(rv->b[i].t)) != 0)
			return -EPROTO; /* the socket holds this tuple; the daemon must grant exactly it */
	}
	return 0;
}

/* Put new's fd at the number *old had (closing that file), so that a stored fd number stays right. */
static void ms_fd_keep_number(int *new_fd, int *old_fd)
{
	if (dup3(*new_fd, *old_fd, O_CLOEXEC) == *old_fd) {
		close(*new_fd);
		*new_fd = *old_fd;
		*old_fd = -1;
	}
}

/* Make s the attachment fresh is (same pointer for the application) and close the old one. */
static void ms_session_adopt(struct ms_session *s, struct ms_session *fresh)
{
	size_t size = sizeof(*s) + s->info.nqueues * sizeof(struct ms_queue), i;
	uint8_t *x = (uint8_t *)s, *y = (uint8_t *)fresh, c;

	for (i = 0; i < size; i++) { /* both were sized for the same nqueues */
		c = x[i];
		x[i] = y[i];
		y[i] = c;
	}
	s->rv = fresh->rv;
	fresh->rv = NULL;
	ms_fd_keep_number(&s->ctl_fd, &fresh->ctl_fd);
	ms_fd_keep_number(&s->wakeup_fd, &fresh->wakeup_fd);
	/* Both asked with the same HELLO: both have per-queue fds, or neither. */
	for (i = 0; s->queue_wakeup && fresh->queue_wakeup && i < s->info.nqueues; i++)
		ms_fd_keep_number(&s->q[i].wakeup_fd, &fresh->q[i].wakeup_fd);
	ms_session_close(fresh);
}

/* One attempt: a new attachment with the same request, every tuple claimed again, then adopted. */
static int ms_reattach_once(struct ms_session *s)
{
	struct ms_session *fresh;
	int rc;

	ms_bindings_drop_revoked(s->rv);
	rc = ms_session_open(s->rv->path, &s->rv->hello, &fresh);
	if (rc < 0)
		return rc;
	rc = ms_rebind_all(fresh, s->rv);
	if (rc < 0) {
		ms_session_close(fresh); /* the daemon releases what it granted with the connection */
		return rc;
	}
	ms_session_adopt(s, fresh);
	return 0;
}

/* The errors of an attempt that mean "no daemon serves the socket yet". */
static int ms_daemon_absent(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED || err == -ECONNRESET || err == -EPIPE || err == -ETIMEDOUT;
}

int ms_reattach(struct ms_session *s, int timeout_ms)
{
	struct ms_revive *rv = s->rv;
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : ms_now_ms() + timeout_ms;

	if (!rv->lost && !ms_ctl_hung_up(s))
		return 0;
	ms_session_lost(rv);
	for (;;) {
		int64_t now = ms_now_ms(), wake;
		int rc;

		if (now >= rv->next_try_ms) {
			rc = ms_reattach_once(s);
			if (rc == 0) {
				rv->lost = 0;
				rv->attached_ms = ms_now_ms();
				rv->attach_gen++;
				return MS_REATTACHED;
			}
			now = ms_now_ms();
			/*
			 * Nothing listens on the socket yet: another attempt costs one
			 * connect(2), and the sooner the tuples are claimed once the daemon
			 * is back, the shorter the time their traffic goes to the kernel
			 * (which answers a TCP segment for them with a reset).
			 */
			if (rc == -ENOENT || rc == -ECONNREFUSED)
				rv->next_try_ms = now + MS_ABSENT_RETRY_MS;
			else
				ms_backoff_step(rv, now);
			if (!ms_daemon_absent(rc))
				return rc;
		}
		if (now >= deadline)
			return -EAGAIN;
		wake = rv->next_try_ms < deadline ? rv->next_try_ms : deadline;
		if (poll(NULL, 0, (int)(wake - now)) < 0 && errno == EINTR)
			return -EINTR;
	}
}

int ms_resolve(struct ms_session *s, int family, const void *addr, uint8_t mac[6])
{
	struct ms_resolve req;
	struct ms_resolve_reply rep;
	uint8_t buf[256];
	const void *body;
	int rc;

	if (!addr || !mac)
		return -EINVAL;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(&req, 0, sizeof(req));
	req.family = (uint8_t)family;
	memcpy(req.addr, addr, family == AF_INET ? 4 : 16);
	rc = ms_session_call(s, MS_MSG_RESOLVE, &req, sizeof(req), NULL, 0, buf, sizeof(buf), &body);
	if (rc < 0)
		return rc;
	memcpy(&rep, body, sizeof(rep));
	memcpy(mac, rep.mac, 6);
	return 0;
}

const uint8_t *ms_mac(const struct ms_session *s)
{
	return s->info.mac;
}
uint32_t ms_mtu(const struct ms_session *s)
{
	return s->info.mtu;
}
uint32_t ms_nqueues(const struct ms_session *s)
{
	return s->info.nqueues;
}
uint32_t ms_app_id(const struct ms_session *s)
{
	return s->info.app_id;
}
int ms_wait_fd(const struct ms_session *s)
{
	return s->wakeup_fd;
}
int ms_queue_wait_fd(const struct ms_session *s, uint32_t q)
{
	if (q >= s->info.nqueues)
		return -EINVAL;
	if (!s->queue_wakeup)
		return -EOPNOTSUPP;
	return s->q[q].wakeup_fd;
}
int ms_ctl_fd(const struct ms_session *s)
{
	return s->ctl_fd;
}
uint32_t ms_attach_flags(const struct ms_session *s)
{
	return s->rv->hello.flags | (s->rv->wait_reports_loss ? MS_ATTACH_F_NO_REATTACH : 0);
}
uint32_t ms_attach_gen(const struct ms_session *s)
{
	return s->rv->attach_gen;
}
void *ms_region(const struct ms_session *s)
{
	return s->region;
}

/*
 * The burst functions check q (one predictable branch per burst, against
 * the session's private copy of nqueues): a bad q would index past s->q.
 */
unsigned ms_rx_burst(struct ms_session *s, uint32_t q, struct ms_pkt *pkts, unsigned n)
{
	struct ms_queue *mq;
	uint32_t tail, avail;
	unsigned i;

	if (q >= s->info.nqueues)
		return 0;
	mq = &s->q[q];
	tail = __atomic_load_n(&mq->rx->tail, __ATOMIC_RELAXED);
	avail = __atomic_load_n(&mq->rx->head, __ATOMIC_ACQUIRE) - tail;

	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++) {
		struct ms_buf *b = ms_ring_buf(mq->rx_bufs, (tail + i) & s->mask);
		uint32_t len = b->len;

		pkts[i].data = b->frame;
		pkts[i].len = len <= MS_FRAME_MAX ? len : MS_FRAME_MAX;
	}
	return n;
}

void ms_rx_release(struct ms_session *s, uint32_t q, unsigned k)
{
	struct ms_ring *r;

	if (q >= s->info.nqueues)
		return;
	r = s->q[q].rx;
	__atomic_store_n(&r->tail, r->tail + k, __ATOMIC_RELEASE);
}

unsigned ms_tx_alloc(struct ms_session *s, uint32_t q, struct ms_pkt *pkts, unsigned n)
{
	struct ms_queue *mq;
	uint32_t head, room;
	unsigned i;

	if (q >= s->info.nqueues)
		return 0;
	mq = &s->q[q];
	head = mq->tx->head;
	room = s->info.ring_size - (head - __atomic_load_n(&mq->tx->tail, __ATOMIC_ACQUIRE));

	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		pkts[i].data = ms_ring_buf(mq->tx_bufs, (head + i) & s->mask)->frame;
		pkts[i].len = MS_FRAME_MAX;
	}
	return n;
}

/*
 * The transmit doorbell, after tx head was published: a full fence (pairing
 * with the daemon's between setting the flag and re-reading head), then the
 * flag. Either the daemon's re-check saw our head, or we see its flag here.
 * A failed write (the counter full because the app wrote to the fd itself)
 * delays only this app's frames, until the daemon's timer.
 */
static void ms_tx_kick(struct ms_session *s, const struct ms_ring *r)
{
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & MS_RING_NEED_WAKEUP)
		(void)!write(s->kick_fd, &one, sizeof(one));
}

void ms_tx_send(struct ms_session *s, uint32_t q, const struct ms_pkt *pkts, unsigned k)
{
	struct ms_ring *r;
	uint32_t head;
	unsigned i;

	if (q >= s->info.nqueues)
		return;
	r = s->q[q].tx;
	head = r->head;

	/* A length too long for the field stays too long (the daemon refuses it), not wrapped to a valid one. */
	for (i = 0; i < k; i++)
		ms_ring_buf(s->q[q].tx_bufs, (head + i) & s->mask)->len =
		    (uint16_t)(pkts[i].len < UINT16_MAX ? pkts[i].len : UINT16_MAX);
	__atomic_store_n(&r->head, head + k, __ATOMIC_RELEASE);
	if (k)
		ms_tx_kick(s, r);
}

int ms_tx_copy(struct ms_session *s, uint32_t q, const void *frame, uint32_t len)
{
	struct ms_pkt p;

	if (!frame || q >= s->info.nqueues)
		return -EINVAL;
	if (len > MS_FRAME_MAX)
		return -EMSGSIZE;
	if (ms_tx_alloc(s, q, &p, 1) != 1)
		return -EAGAIN;
	memcpy(p.data, frame, len);
	p.len = len;
	ms_tx_send(s, q, &p, 1);
	return 0;
}

static int ms_queue_rx_ready(const struct ms_session *s, uint32_t q)
{
	return __atomic_load_n(&s->q[q].rx->head, __ATOMIC_ACQUIRE) != s->q[q].rx->tail;
}

static int ms_rx_ready(const struct ms_session *s)
{
	uint32_t q;

	for (q = 0; q < s->info.nqueues; q++)
		if (ms_queue_rx_ready(s, q))
			return 1;
	return 0;
}

/* Read a non-blocking eventfd until it is empty. */
static void ms_eventfd_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

int ms_wait_prepare(struct ms_session *s)
{
	uint32_t q;

	for (q = 0; q < s->info.nqueues; q++)
		__atomic_fetch_or(&s->q[q].rx->flags, MS_RING_NEED_WAKEUP, __ATOMIC_RELAXED);
	/* Pairs with the daemon's fence between publishing head and reading flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ms_rx_ready(s);
}

void ms_wait_done(struct ms_session *s)
{
	uint32_t q;

	for (q = 0; q < s->info.nqueues; q++) {
		__atomic_fetch_and(&s->q[q].rx->flags, ~MS_RING_NEED_WAKEUP, __ATOMIC_RELAXED);
		if (s->queue_wakeup)
			ms_eventfd_drain(s->q[q].wakeup_fd);
	}
	if (!s->queue_wakeup) /* else wakeup_fd is the epoll set: readable while a queue's fd is */
		ms_eventfd_drain(s->wakeup_fd);
}

int ms_queue_wait_prepare(struct ms_session *s, uint32_t q)
{
	if (q >= s->info.nqueues)
		return -EINVAL;
	if (!s->queue_wakeup)
		return -EOPNOTSUPP;
	__atomic_fetch_or(&s->q[q].rx->flags, MS_RING_NEED_WAKEUP, __ATOMIC_RELAXED);
	/* As in ms_wait_prepare: either the daemon sees the flag or we see its head. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ms_queue_rx_ready(s, q);
}

void ms_queue_wait_done(struct ms_session *s, uint32_t q)
{
	if (q >= s->info.nqueues || !s->queue_wakeup)
		return;
	__atomic_fetch_and(&s->q[q].rx->flags, ~MS_RING_NEED_WAKEUP, __ATOMIC_RELAXED);
	ms_eventfd_drain(s->q[q].wakeup_fd);
}

/*
 * ms_wait on a lost session: re-attach within the wait's time (still away
 * at its end is a timeout), unless the application re-attaches itself.
 */
static int ms_wait_reattach(struct ms_session *s, int timeout_ms)
{
	int rc;

	if (s->rv->wait_reports_loss)
		return -ECONNRESET;
	rc = ms_reattach(s, timeout_ms);

	return rc == -EAGAIN ? 0 : rc;
}

int ms_wait(struct ms_session *s, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = s->wakeup_fd, .events = POLLIN }, { .fd = s->ctl_fd, .events = POLLIN } };
	int rc;

	if (s->rv->lost)
		return ms_wait_reattach(s, timeout_ms);
	rc = ms_wait_prepare(s);
	if (rc == 0) {
		rc = poll(p, 2, timeout_ms);
		if (rc < 0)
			rc = -errno;
		else if (p[1].revents & (POLLHUP | POLLERR))
			rc = -ECONNRESET;
		else
			rc = ms_rx_ready(s);
	}
	ms_wait_done(s);
	if (s->rv->nb && ms_now_ms() - s->rv->revoked_check_ms >= MS_REVOKED_CHECK_MS) {
		s->rv->revoked_check_ms = ms_now_ms();
		ms_bindings_drop_revoked(s->rv);
	}
	if (rc == -ECONNRESET) {
		ms_session_lost(s->rv);
		rc = ms_wait_reattach(s, timeout_ms);
	}
	return rc;
}

const char *ms_strerror(int err)
{
	switch (-err) {
	case EADDRINUSE: return "address and port already in use (by the kernel or another application)";
	case ENOENT: return "no such binding, or mstackd is not running (no control socket)";
	case ECONNREFUSED: return "mstackd is not running (connection refused)";
	case ECONNRESET: return "mstackd closed the session (it exited or was restarted)";
	case EACCES: return "permission denied";
	case EPERM: return "operation not permitted (administrator only)";
	case ENOSPC: return "a limit of mstackd was reached (applications or bindings)";
	case EPROTO: return "protocol error between the library and mstackd (version mismatch?)";
	case EHOSTUNREACH: return "next hop did not answer address resolution";
	case ETIMEDOUT: return "mstackd did not answer in time";
	default: return strerror(-err);
	}
}
