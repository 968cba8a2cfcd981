/* session.c - attach, detach, bind, unbind, reservations and queries, with the kernel as tuple authority. */
#include "session.h"

#include <bsd/string.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "fdreap.h"
#include "kern.h"
#include "log.h"

/*
 * How long an unbind or detach waits for the closer to release the client's
 * sockets, so that the tuple is free in the kernel when the reply goes out.
 * A close takes microseconds; a stalled closer costs the control thread this
 * much per request at most, never more.
 */
#define SESSION_CLOSE_WAIT_MS 50

uint64_t mstackd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Rebuild the datapath's app lists from d->apps and publish them (one grace period). */
static void session_publish_apps(struct mstackd *d)
{
	struct app_list *all = calloc(1, sizeof(*all) + d->napps * sizeof(struct app *));
	struct app_list *bc = calloc(1, sizeof(*bc) + d->napps * sizeof(struct app *));
	struct app *a;

	if (!all || !bc) {
		/* Keep the old lists: the caller retires an app only after this succeeds. */
		free(all);
		free(bc);
		log_err("out of memory publishing the app list");
		return;
	}
	for (a = d->apps; a; a = a->next) {
		all->a[all->n++] = a;
		if (a->want_bcast)
			bc->a[bc->n++] = a;
	}
	all = __atomic_exchange_n(&d->dp.apps, all, __ATOMIC_ACQ_REL);
	bc = __atomic_exchange_n(&d->dp.bcast, bc, __ATOMIC_ACQ_REL);
	dp_synchronize(&d->dp);
	free(all);
	free(bc);
}

static bool session_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

struct app *session_attach(struct mstackd *d, const struct ms_hello *h, pid_t pid, uid_t uid, gid_t gid)
{
	struct app *a;

	if (h->abi_major != MS_ABI_MAJOR) {
		errno = EPROTO;
		return NULL;
	}
	if (h->nqueues < 1 || h->nqueues > d->conf.max_queues || !session_is_pow2(h->ring_size) || h->ring_size < 64 ||
	    h->ring_size > d->conf.max_ring_size || !memchr(h->name, '\0', MS_NAME_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	if (d->napps >= d->conf.max_apps) {
		errno = ENOSPC;
		return NULL;
	}
	a = app_create(++d->next_app_id, h, h->ring_size);
	if (!a)
		return NULL;
	a->pid = pid;
	a->uid = uid;
	a->gid = gid;
	a->next = d->apps;
	d->apps = a;
	d->napps++;
	session_publish_apps(d);
	log_info("app %u attached: %s pid %d uid %u, %u queue(s) of %u slots", a->id, a->name, (int)pid, (unsigned)uid,
		 a->nqueues, a->ring_size);
	return a;
}

/* Publish a's new address set and free the old one after a grace period. */
static int session_publish_addrs(struct mstackd *d, struct app *a)
{
	struct app_addrs *old = app_addrs_rebuild(a);

	if (!old)
		return -ENOMEM;
	dp_synchronize(&d->dp);
	free(old);
	return 0;
}

void session_detach(struct mstackd *d, struct app *a)
{
	int *slots = calloc(a->nbindings + 1, sizeof(int));
	uint32_t i, n = 0;
	struct app **pp;

	for (i = 0; i < a->nbindings; i++) {
		int s = btable_del(&d->bt, &a->bindings[i].tuple);

		if (s >= 0 && slots)
			slots[n++] = s;
	}
	for (pp = &d->apps; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	d->napps--;
	session_publish_apps(d); /* includes the grace period: the worker no longer sees a */
	for (i = 0; i < n; i++)
		btable_release(&d->bt, slots[i]);
	free(slots);
	log_info("app %u detached: %s pid %d, %u binding(s) released", a->id, a->name, (int)a->pid, a->nbindings);
	app_destroy(a); /* closes the kernel sockets (fdreap): the tuples are free again */
	fdreap_sync(FDREAP_SOCKETS, SESSION_CLOSE_WAIT_MS);
}

static int session_sockopt(int fd, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0)
		return -errno;
	return v;
}

/* The socket must live in our network namespace: the kernel's word is only good there. */
static int session_same_netns(int fd)
{
	struct stat ours, theirs;
	int ns = ioctl(fd, SIOCGSKNS);
	int rc;

	if (ns < 0)
		return -errno;
	rc = fstat(ns, &theirs);
	close(ns);
	if (rc < 0 || stat("/proc/self/ns/net", &ours) < 0)
		return -errno;
	return ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev ? 0 : -EACCES;
}

/*
 * SO_BINDTODEVICE narrows what the kernel reserves to one device: bound to
 * lo, a socket keeps nothing from a kernel service on the TAP, and the
 * kernel would hand the same port to both. Only the TAP we serve (or no
 * device) reserves the tuple for the traffic mstackd delivers.
 */
static int session_check_device(int fd, const char *tap)
{
	char dev[IF_NAMESIZE + 1] = "";
	socklen_t len = IF_NAMESIZE;

	if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) < 0)
		return -errno;
	dev[len < IF_NAMESIZE ? len : IF_NAMESIZE] = '\0';
	return dev[0] == '\0' || strcmp(dev, tap) == 0 ? 0 : -EINVAL;
}

/*
 * A TCP reservation is bound and nothing more (TCP_CLOSE): a listening or
 * connected socket holds other things besides the port, and closing a
 * connected one can linger on unsent data.
 */
static int session_check_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	return ti.tcpi_state == TCP_CLOSE ? 0 : -EINVAL;
}

/*
 * Check that fd is a kernel socket bound to exactly t (any port if t->port
 * is 0, then filled in), that nobody else can share it, that it reserves the
 * tuple on the TAP (no other device), that a TCP one is neither listening nor
 * connected, and in our netns.
 */
static int session_check_socket(struct ms_tuple *t, int fd, const char *tap)
{
	struct ms_tuple bound;
	int rc;

	if (session_sockopt(fd, SO_DOMAIN) != t->family || session_sockopt(fd, SO_PROTOCOL) != t->proto ||
	    session_sockopt(fd, SO_TYPE) != (t->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM))
		return -EINVAL;
	/* Either option would let another socket bind the same tuple beside ours. */
	if (session_sockopt(fd, SO_REUSEADDR) != 0 || session_sockopt(fd, SO_REUSEPORT) != 0)
		return -EINVAL;
	rc = session_check_device(fd, tap);
	if (rc == 0 && t->proto == IPPROTO_TCP)
		rc = session_check_tcp_state(fd);
	if (rc < 0)
		return rc;
	rc = session_same_netns(fd);
	if (rc < 0)
		return rc;
	rc = ms_tuple_of_socket(fd, &bound);
	if (rc < 0)
		return rc;
	if (bound.family != t->family || bound.port == 0 || (t->port != 0 && t->port != bound.port) ||
	    memcmp(bound.addr, t->addr, sizeof(t->addr)) != 0)
		return -EINVAL; /* not bound, or bound to something else */
	t->port = bound.port;
	return 0;
}

/*
 * The tuple's address must be the host's own (on the TAP) or the wildcard:
 * IP_FREEBIND lets any process bind a kernel socket to any address, and
 * holding one must not let an app speak for another host.
 */
static int session_check_local(struct mstackd *d, const struct ms_tuple *t)
{
	struct app_addrs *local;
	bool ok;

	if (ms_tuple_is_wildcard(t))
		return 0;
	local = kern_local_addrs(d->conf.tap_name);
	if (!local)
		return -ENOMEM;
	ok = app_addrs_allow(local, t->family, t->addr, false);
	free(local);
	return ok ? 0 : -EADDRNOTAVAIL;
}

int session_bind(struct mstackd *d, struct app *a, struct ms_tuple *t, int fd)
{
	int rc = ms_tuple_check(t);

	if (rc < 0)
		return rc;
	rc = session_check_socket(t, fd, d->conf.tap_name);
	if (rc < 0)
		return rc;
	rc = session_check_local(d, t);
	if (rc < 0)
		return rc;
	if (a->nbindings >= d->conf.max_bindings)
		return -ENOSPC;
	rc = app_binding_add(a, t, fd, d->conf.max_bindings);
	if (rc < 0)
		return rc;
	rc = session_publish_addrs(d, a);
	if (rc == 0)
		rc = btable_add(&d->bt, t, a);
	if (rc < 0) {
		a->nbindings--; /* undo the add without closing fd: the caller still owns it */
		session_publish_addrs(d, a);
		return rc;
	}
	if (log_debug_enabled()) {
		char name[MS_TUPLE_STRLEN];

		ms_tuple_format(t, name, sizeof(name));
		log_debug("app %u (%s) bound %s", a->id, a->name, name);
	}
	return 0;
}

int session_unbind(struct mstackd *d, struct app *a, const struct ms_tuple *t)
{
	int slot;

	if (ms_tuple_check(t) < 0)
		return -EINVAL;
	slot = btable_lookup(&d->bt, t) == a ? btable_del(&d->bt, t) : -ENOENT;
	if (slot < 0)
		return -ENOENT;
	app_binding_remove(a, t);
	session_publish_addrs(d, a); /* includes the grace period */
	btable_release(&d->bt, slot);
	fdreap_sync(FDREAP_SOCKETS, SESSION_CLOSE_WAIT_MS);
	return 0;
}

int session_reserve(struct mstackd *d, const struct ms_tuple *t)
{
	struct ms_tuple held = *t;
	struct reservation *r;
	int fd;

	if (ms_tuple_check(t) < 0 || t->port == 0)
		return -EINVAL;
	if (btable_lookup(&d->bt, t))
		return -EADDRINUSE;
	/* The daemon holds the kernel socket itself: the kernel refuses the tuple to everyone else. */
	fd = ms_tuple_bind_socket(&held);
	if (fd < 0)
		return fd;
	r = realloc(d->res, (d->nres + 1) * sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	d->res = r;
	d->res[d->nres].tuple = *t;
	d->res[d->nres++].fd = fd;
	return 0;
}

int session_revoke(struct mstackd *d, const struct ms_tuple *t)
{
	struct app *owner;
	uint32_t i;
	char name[80];

	if (ms_tuple_check(t) < 0)
		return -EINVAL;
	for (i = 0; i < d->nres; i++) {
		if (memcmp(&d->res[i].tuple, t, sizeof(*t)) == 0) {
			close(d->res[i].fd);
			d->res[i] = d->res[--d->nres];
			return 0;
		}
	}
	owner = btable_lookup(&d->bt, t);
	if (!owner)
		return -ENOENT;
	ms_tuple_format(t, name, sizeof(name));
	log_notice("administrator revoked %s from app %u (%s, pid %d)", name, owner->id, owner->name, (int)owner->pid);
	return session_unbind(d, owner, t);
}

/* A reply list being filled: entries before `offset` are counted, not copied. */
struct session_list {
	struct ms_list_hdr *hdr;
	uint8_t *next;
	size_t room;
	size_t entry;
	uint32_t offset;
};

static void *session_list_slot(struct session_list *l)
{
	void *slot = NULL;

	if (l->hdr->total++ >= l->offset && l->room >= l->entry) {
		slot = l->next;
		memset(slot, 0, l->entry);
		l->next += l->entry;
		l->room -= l->entry;
		l->hdr->count++;
	}
	return slot;
}

static int session_counter(void *arg, const char *name, uint64_t value)
{
	struct ms_counter *c = session_list_slot(arg);

	if (c) {
		strlcpy(c->name, name, sizeof(c->name));
		c->value = value;
	}
	return 1;
}

/* What the port's driver counted itself: frames lost before mstackd could see them. */
static void session_port_hw(struct session_list *l, const char *port_name, uint16_t port)
{
	struct rte_eth_stats st;
	char name[64];

	if (rte_eth_stats_get(port, &st) != 0)
		return;
#define SESSION_HW(field)                                            \
	snprintf(name, sizeof(name), "%s.hw_%s", port_name, #field); \
	session_counter(l, name, st.field);
	SESSION_HW(imissed)
	SESSION_HW(ierrors)
	SESSION_HW(oerrors)
	SESSION_HW(rx_nombuf)
#undef SESSION_HW
}

static void session_query_status(struct mstackd *d, struct ms_status *s)
{
	const char *names[2] = { "nic", "tap" };
	uint16_t ids[2] = { d->ports.nic, d->ports.tap };
	const char *devargs[2] = { d->conf.nic_devargs, d->conf.tap_name };
	int i;

	memset(s, 0, sizeof(*s));
	strlcpy(s->version, MSTACK_VERSION, sizeof(s->version));
	s->uptime_ms = mstackd_now_ms() - d->start_ms;
	s->napps = d->napps;
	s->nbindings = d->bt.count + d->nres;
	s->nworkers = 1;
	s->nports = 2;
	for (i = 0; i < 2; i++) {
		strlcpy(s->ports[i].name, names[i], sizeof(s->ports[i].name));
		strlcpy(s->ports[i].devargs, devargs[i], sizeof(s->ports[i].devargs));
		s->ports[i].link_up = port_link_up(ids[i], &s->ports[i].speed_mbps);
		memcpy(s->ports[i].mac, d->ports.nic_mac, 6);
	}
}

int session_query(struct mstackd *d, uint16_t type, uint32_t offset, void *out, size_t cap)
{
	struct session_list l = { .hdr = out,
				  .next = (uint8_t *)out + sizeof(struct ms_list_hdr),
				  .room = cap - sizeof(struct ms_list_hdr),
				  .offset = offset };
	struct fdreap_stats reap;
	struct app *a;
	uint32_t i;

	memset(l.hdr, 0, sizeof(*l.hdr));
	switch (type) {
	case MS_MSG_STATUS: session_query_status(d, out); return sizeof(struct ms_status);
	case MS_MSG_APPS:
		l.entry = sizeof(struct ms_app_info);
		for (a = d->apps; a; a = a->next) {
			struct ms_app_info *e = session_list_slot(&l);

			if (!e)
				continue;
			e->app_id = a->id;
			e->pid = (uint32_t)a->pid;
			e->uid = (uint32_t)a->uid;
			e->nqueues = a->nqueues;
			e->ring_size = a->ring_size;
			e->nbindings = a->nbindings;
			e->rx_packets = a->stats.rx_packets;
			e->tx_packets = a->stats.tx_packets;
			e->drops = stats_app_drops(&a->stats);
			memcpy(e->name, a->name, sizeof(e->name));
		}
		break;
	case MS_MSG_BINDINGS:
		l.entry = sizeof(struct ms_binding_info);
		for (i = 0; i < d->nres; i++) {
			struct ms_binding_info *e = session_list_slot(&l);

			if (e) {
				e->tuple = d->res[i].tuple;
				snprintf(e->name, sizeof(e->name), "reserved");
			}
		}
		for (a = d->apps; a; a = a->next)
			for (i = 0; i < a->nbindings; i++) {
				struct ms_binding_info *e = session_list_slot(&l);

				if (!e)
					continue;
				e->tuple = a->bindings[i].tuple;
				e->app_id = a->id;
				e->pid = (uint32_t)a->pid;
				memcpy(e->name, a->name, sizeof(e->name));
			}
		break;
	case MS_MSG_STATS:
		l.entry = sizeof(struct ms_counter);
		stats_visit_port("nic", &d->dp.nic_stats, session_counter, &l);
		session_port_hw(&l, "nic", d->ports.nic);
		stats_visit_port("tap", &d->dp.tap_stats, session_counter, &l);
		session_port_hw(&l, "tap", d->ports.tap);
		stats_visit_dp("dp", &d->dp.stats, session_counter, &l);
		session_counter(&l, "ctl.refused", d->ctl_refused);
		session_counter(&l, "ctl.conn_refused", d->ctl_conn_refused);
		session_counter(&l, "ctl.fds_lost", d->ctl_fds_lost);
		fdreap_get_stats(&reap);
		session_counter(&l, "ctl.close_pending", reap.pending);
		session_counter(&l, "ctl.close_slow", reap.slow);
		session_counter(&l, "ctl.close_leaked", reap.leaked);
		for (a = d->apps; a; a = a->next) {
			char prefix[32];

			snprintf(prefix, sizeof(prefix), "app.%u", a->id);
			stats_visit_app(prefix, &a->stats, session_counter, &l);
		}
		break;
	default: return -EPROTO;
	}
	return (int)(l.next - (uint8_t *)out);
}
