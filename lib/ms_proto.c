/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_proto.c - the control protocol codec: message framing, fd passing, tuple text form. */
#include "ms_codec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The wire sizes docs/protocol.md gives: a change here is a protocol version change. */
_Static_assert(sizeof(struct ms_msg_hdr) == 16, "ms_msg_hdr");
_Static_assert(sizeof(struct ms_hello) == 44, "ms_hello");
_Static_assert(sizeof(struct ms_hello_reply) == 32, "ms_hello_reply");
_Static_assert(sizeof(struct ms_tuple) == 20, "ms_tuple");
_Static_assert(sizeof(struct ms_resolve) == 20, "ms_resolve");
_Static_assert(sizeof(struct ms_resolve_reply) == 8, "ms_resolve_reply");
_Static_assert(sizeof(struct ms_port_info) == 108, "ms_port_info");
_Static_assert(sizeof(struct ms_status) == 256, "ms_status");
_Static_assert(sizeof(struct ms_list_req) == 8, "ms_list_req");
_Static_assert(sizeof(struct ms_list_hdr) == 8, "ms_list_hdr");
_Static_assert(sizeof(struct ms_app_info) == 80, "ms_app_info");
_Static_assert(sizeof(struct ms_binding_info) == 60, "ms_binding_info");
_Static_assert(sizeof(struct ms_counter) == 64, "ms_counter");
_Static_assert(sizeof(struct ms_capture_req) == 16, "ms_capture_req");
_Static_assert(sizeof(struct ms_capture_reply) == 16, "ms_capture_reply");
_Static_assert(MS_MSG_FDS_MAX <= MS_MSG_FDS_KERNEL_MAX, "a HELLO reply with every per-queue fd fits one message");
_Static_assert(MS_MSG_TYPE_MAX < MS_MSG_REPLY, "type numbers stay below the reply bit");
_Static_assert(sizeof("tcp []:65535") + INET6_ADDRSTRLEN - 1 <= MS_TUPLE_STRLEN,
	       "MS_TUPLE_STRLEN holds every formatted tuple");

#define PROTO_ERRNO_MAX 4095 /* a reply status is 0 or -1..-4095 */

/*
 * Body sizes per message type. A reply with rep_entry != 0 is a list:
 * struct ms_list_hdr followed by count entries of rep_entry bytes.
 */
struct proto_desc {
	uint32_t req_size;
	uint32_t rep_size;  /* fixed replies */
	uint32_t rep_entry; /* list replies: entry size; 0 for fixed */
};

static const struct proto_desc proto_table[MS_MSG_TYPE_MAX + 1] = {
	[MS_MSG_HELLO] = { sizeof(struct ms_hello), sizeof(struct ms_hello_reply), 0 },
	[MS_MSG_BIND] = { sizeof(struct ms_tuple), sizeof(struct ms_tuple), 0 },
	[MS_MSG_UNBIND] = { sizeof(struct ms_tuple), 0, 0 },
	[MS_MSG_RESOLVE] = { sizeof(struct ms_resolve), sizeof(struct ms_resolve_reply), 0 },
	[MS_MSG_STATUS] = { 0, sizeof(struct ms_status), 0 },
	[MS_MSG_APPS] = { sizeof(struct ms_list_req), 0, sizeof(struct ms_app_info) },
	[MS_MSG_BINDINGS] = { sizeof(struct ms_list_req), 0, sizeof(struct ms_binding_info) },
	[MS_MSG_STATS] = { sizeof(struct ms_list_req), 0, sizeof(struct ms_counter) },
	[MS_MSG_ADMIN_BIND] = { sizeof(struct ms_tuple), 0, 0 },
	[MS_MSG_ADMIN_UNBIND] = { sizeof(struct ms_tuple), 0, 0 },
	[MS_MSG_CAPTURE] = { sizeof(struct ms_capture_req), sizeof(struct ms_capture_reply), 0 },
};

/* The table entry for a type with or without the reply bit, or NULL if unknown. */
static const struct proto_desc *proto_desc(uint16_t type)
{
	uint16_t t = type & (uint16_t)~MS_MSG_REPLY;

	if (t < 1 || t > MS_MSG_TYPE_MAX)
		return NULL;
	return &proto_table[t];
}

long ms_msg_body_size(uint16_t type)
{
	const struct proto_desc *d = proto_desc(type);

	if (!d)
		return -1;
	if (!(type & MS_MSG_REPLY))
		return d->req_size;
	if (d->rep_entry)
		return -1;
	return d->rep_size;
}

int ms_hello_reply_nfds(const struct ms_hello *req)
{
	if (!(req->flags & MS_HELLO_F_QUEUE_WAKEUP))
		return 3;
	if (req->nqueues < 1 || req->nqueues > MS_QUEUES_MAX)
		return -EINVAL;
	return 3 + req->nqueues;
}

int ms_hello_reply_check(const struct ms_hello *req, const struct ms_hello_reply *rep, int nfds)
{
	if (rep->nqueues != req->nqueues || nfds != ms_hello_reply_nfds(req))
		return -EPROTO;
	return 0;
}

ssize_t ms_msg_pack(void *buf, size_t cap, uint16_t type, uint32_t req_id, int32_t status, const void *body,
		    uint32_t body_len)
{
	struct ms_msg_hdr hdr = {
		.version = MS_PROTO_VERSION,
		.type = type,
		.len = body_len,
		.req_id = req_id,
		.status = status,
	};
	size_t total;

	if (body_len && !body)
		return -EINVAL;
	if (body_len > MS_MSG_MAX - sizeof(hdr))
		return -EMSGSIZE;
	total = sizeof(hdr) + body_len;
	if (!buf || cap < total)
		return -EMSGSIZE;
	memcpy(buf, &hdr, sizeof(hdr));
	if (body_len)
		memcpy((char *)buf + sizeof(hdr), body, body_len);
	return (ssize_t)total;
}

/* A successful list reply: header, count <= total, count entries exactly. */
static int proto_check_list(const void *body, size_t body_len, size_t entry)
{
	struct ms_list_hdr lh;
	uint64_t max = (MS_MSG_MAX - sizeof(struct ms_msg_hdr) - sizeof(lh)) / entry;

	if (body_len < sizeof(lh))
		return -EPROTO;
	memcpy(&lh, body, sizeof(lh));
	if (lh.count > lh.total || lh.count > max)
		return -EPROTO;
	if (body_len != sizeof(lh) + (uint64_t)lh.count * entry)
		return -EPROTO;
	return 0;
}

int ms_msg_unpack(const void *buf, size_t len, struct ms_msg_hdr *hdr, const void **body)
{
	const struct proto_desc *d;
	struct ms_msg_hdr h;
	const char *b;
	size_t body_len;
	bool reply;

	if (len < sizeof(h))
		return -EPROTO;
	if (len > MS_MSG_MAX)
		return -EMSGSIZE;
	memcpy(&h, buf, sizeof(h)); /* buf may be unaligned */
	body_len = len - sizeof(h);
	b = (const char *)buf + sizeof(h);

	if (h.version != MS_PROTO_VERSION)
		return -EPROTO;
	d = proto_desc(h.type);
	if (!d)
		return -EPROTO;
	if (h.len != body_len)
		return -EPROTO;

	reply = h.type & MS_MSG_REPLY;
	if (!reply) {
		if (h.status != 0 || body_len != d->req_size)
			return -EPROTO;
	} else if (h.status != 0) {
		if (h.status > 0 || h.status < -PROTO_ERRNO_MAX || body_len != 0)
			return -EPROTO;
	} else if (d->rep_entry) {
		if (proto_check_list(b, body_len, d->rep_entry) < 0)
			return -EPROTO;
	} else if (body_len != d->rep_size) {
		return -EPROTO;
	}

	if (hdr)
		*hdr = h;
	if (body)
		*body = b;
	return 0;
}

int ms_msg_send(int sock, const void *msg, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MS_MSG_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds < 0 || nfds > MS_MSG_FDS_MAX || (nfds > 0 && !fds))
		return -EINVAL;
	if (len > MS_MSG_MAX)
		return -EMSGSIZE;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}

	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len) /* cannot happen on SOCK_SEQPACKET; never report success */
		return -EMSGSIZE;
	return 0;
}

/*
 * recvmsg one message. keep: close no fd here (room for every fd a message
 * can carry) and return a message whose fds were cut short with
 * MS_RECV_FDS_LOST; else close every fd of such a message and refuse it whole.
 */
static ssize_t proto_recv(int sock, void *buf, size_t cap, int *fds, int *nfds, bool keep, unsigned *flags)
{
	/* Room for all the fds asked for, and for credentials should SO_PASSCRED be on. */
	union {
		char buf[CMSG_SPACE(sizeof(int) * MS_MSG_FDS_KERNEL_MAX) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * MS_MSG_FDS_MAX) + CMSG_SPACE(sizeof(struct ucred)),
	};
	int want = 0, kept = 0;
	struct cmsghdr *c;
	ssize_t n;

	if (keep) {
		want = MS_MSG_FDS_KERNEL_MAX;
		mh.msg_controllen = sizeof(ctl.buf);
		*flags = 0;
	} else if (nfds) {
		want = *nfds;
	}
	if (nfds)
		*nfds = 0;
	if (want < 0 || (want > 0 && !fds))
		return -EINVAL;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t i, cnt;

		if (keep && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			*flags |= MS_RECV_CREDS;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (kept < want)
				fds[kept++] = fd;
			else
				close(fd); /* more fds than the caller has slots for (never with keep) */
		}
	}

	if (keep) {
		*nfds = kept;
		if (mh.msg_flags & MSG_CTRUNC)
			*flags |= MS_RECV_FDS_LOST;
		return n > 0 && (mh.msg_flags & MSG_TRUNC) ? -EMSGSIZE : n;
	}
	/*
	 * A truncated message, or one that lost fds to a short control buffer, is
	 * refused whole. A zero-length read is the peer's close: no fds go with it.
	 */
	if (n == 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		while (kept > 0)
			close(fds[--kept]);
		return n == 0 ? 0 : -EMSGSIZE;
	}
	if (nfds)
		*nfds = kept;
	return n;
}

ssize_t ms_msg_recv(int sock, void *buf, size_t cap, int *fds, int *nfds)
{
	return proto_recv(sock, buf, cap, fds, nfds, false, NULL);
}

ssize_t ms_msg_recv_keep(int sock, void *buf, size_t cap, int *fds, int *nfds, unsigned *flags)
{
	if (!fds || !nfds || !flags)
		return -EINVAL;
	return proto_recv(sock, buf, cap, fds, nfds, true, flags);
}

int ms_tuple_check(const struct ms_tuple *t)
{
	size_t i;

	if (!t)
		return -EINVAL;
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP)
		return -EINVAL;
	if (t->family == AF_INET) {
		for (i = 4; i < sizeof(t->addr); i++)
			if (t->addr[i])
				return -EINVAL;
	} else if (t->family != AF_INET6) {
		return -EINVAL;
	}
	return 0;
}

int ms_tuple_format(const struct ms_tuple *t, char *buf, size_t len)
{
	static const uint8_t zero4[4];
	char a[INET6_ADDRSTRLEN];
	const char *proto;

	if (ms_tuple_check(t) < 0)
		return -EINVAL;
	proto = t->proto == IPPROTO_TCP ? "tcp" : "udp";

	if (t->family == AF_INET6) {
		if (!inet_ntop(AF_INET6, t->addr, a, sizeof(a)))
			return -errno;
		return snprintf(buf, len, "%s [%s]:%u", proto, a, (unsigned)t->port);
	}
	if (!memcmp(t->addr, zero4, sizeof(zero4)))
		return snprintf(buf, len, "%s *:%u", proto, (unsigned)t->port);
	if (!inet_ntop(AF_INET, t->addr, a, sizeof(a)))
		return -errno;
	return snprintf(buf, len, "%s %s:%u", proto, a, (unsigned)t->port);
}

/* A decimal port 0..65535: digits only, no sign, no space, nothing after. */
static int proto_parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > UINT16_MAX)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int ms_tuple_parse(const char *proto, const char *addr_port, struct ms_tuple *t)
{
	struct ms_tuple r = { 0 };
	char a[INET6_ADDRSTRLEN];
	const char *end, *port;
	size_t alen;

	if (!proto || !addr_port || !t)
		return -EINVAL;
	if (!strcmp(proto, "udp"))
		r.proto = IPPROTO_UDP;
	else if (!strcmp(proto, "tcp"))
		r.proto = IPPROTO_TCP;
	else
		return -EINVAL;

	if (addr_port[0] == '[') {
		end = strchr(addr_port, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		alen = (size_t)(end - addr_port - 1);
		if (alen == 0 || alen >= sizeof(a))
			return -EINVAL;
		memcpy(a, addr_port + 1, alen);
		a[alen] = '\0';
		if (inet_pton(AF_INET6, a, r.addr) != 1)
			return -EINVAL;
		r.family = AF_INET6;
		port = end + 2;
	} else {
		end = strchr(addr_port, ':');
		if (!end)
			return -EINVAL;
		alen = (size_t)(end - addr_port);
		if (alen == 0 || alen >= sizeof(a))
			return -EINVAL;
		memcpy(a, addr_port, alen);
		a[alen] = '\0';
		if (strcmp(a, "*") != 0 && inet_pton(AF_INET, a, r.addr) != 1)
			return -EINVAL;
		r.family = AF_INET;
		port = end + 1;
	}
	if (proto_parse_port(port, &r.port) < 0)
		return -EINVAL;
	*t = r;
	return 0;
}
