/* SPDX-License-Identifier: BSD-2-Clause */
/* resv.c - the kernel as the tuple authority: checking an app's reservation socket, holding the admin's. */
#include "resv.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "app.h"
#include "kern.h"

static int resv_sockopt(int fd, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0)
		return -errno;
	return v;
}

/* The socket must live in our network namespace: the kernel's word is only good there. */
static int resv_same_netns(int fd)
{
	struct stat ours, theirs;
	int ns = ioctl(fd, SIOCGSKNS);
	int rc;

	if (ns < 0)
		return -errno;
	rc = fstat(ns, &theirs);
	close(ns); /* our own namespace fd, not the client's: cannot block */
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
static int resv_check_device(int fd, const char *tap)
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
static int resv_check_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	return ti.tcpi_state == TCP_CLOSE ? 0 : -EINVAL;
}

/*
 * The tuple's address must be the host's own (on the TAP) or the wildcard:
 * IP_FREEBIND lets any process bind a kernel socket to any address, and
 * holding one must not let an app speak for another host.
 */
static int resv_check_local(const struct ms_tuple *t, const char *tap)
{
	struct app_addrs *local;
	bool ok;

	if (ms_tuple_is_wildcard(t))
		return 0;
	local = kern_local_addrs(tap);
	if (!local)
		return -ENOMEM;
	ok = app_addrs_allow(local, t->family, t->addr, false);
	free(local);
	return ok ? 0 : -EADDRNOTAVAIL;
}

int resv_check(struct ms_tuple *t, int fd, const char *tap)
{
	struct ms_tuple bound;
	int rc;

	if (resv_sockopt(fd, SO_DOMAIN) != t->family || resv_sockopt(fd, SO_PROTOCOL) != t->proto ||
	    resv_sockopt(fd, SO_TYPE) != (t->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM))
		return -EINVAL;
	/* Either option would let another socket bind the same tuple beside ours. */
	if (resv_sockopt(fd, SO_REUSEADDR) != 0 || resv_sockopt(fd, SO_REUSEPORT) != 0)
		return -EINVAL;
	rc = resv_check_device(fd, tap);
	if (rc == 0 && t->proto == IPPROTO_TCP)
		rc = resv_check_tcp_state(fd);
	if (rc == 0)
		rc = resv_same_netns(fd);
	if (rc == 0)
		rc = ms_tuple_of_socket(fd, &bound);
	if (rc < 0)
		return rc;
	if (bound.family != t->family || bound.port == 0 || (t->port != 0 && t->port != bound.port) ||
	    memcmp(bound.addr, t->addr, sizeof(t->addr)) != 0)
		return -EINVAL; /* not bound, or bound to something else */
	t->port = bound.port;
	return resv_check_local(t, tap);
}

int resv_admin_add(struct resv_admin_list *l, const struct ms_tuple *t)
{
	struct ms_tuple held = *t;
	struct resv_admin *r;
	int fd;

	if (ms_tuple_check(t) < 0 || t->port == 0)
		return -EINVAL;
	/* The daemon holds the kernel socket itself: the kernel refuses the tuple to everyone else. */
	fd = ms_tuple_bind_socket(&held);
	if (fd < 0)
		return fd;
	r = realloc(l->r, (l->n + 1) * sizeof(*r));
	if (!r) {
		close(fd); /* our own socket, unconnected: cannot block */
		return -ENOMEM;
	}
	l->r = r;
	l->r[l->n].tuple = *t;
	l->r[l->n++].fd = fd;
	return 0;
}

int resv_admin_remove(struct resv_admin_list *l, const struct ms_tuple *t)
{
	uint32_t i;

	for (i = 0; i < l->n; i++) {
		if (memcmp(&l->r[i].tuple, t, sizeof(*t)) == 0) {
			close(l->r[i].fd);
			l->r[i] = l->r[--l->n];
			return 0;
		}
	}
	return -ENOENT;
}

void resv_admin_clear(struct resv_admin_list *l)
{
	while (l->n)
		close(l->r[--l->n].fd);
	free(l->r);
	l->r = NULL;
}
