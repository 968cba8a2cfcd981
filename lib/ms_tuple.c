/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_tuple.c - 3-tuples and the kernel sockets that hold them (shared by mstackd and the library). */
#include "ms_tuple.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ms_tuple_is_wildcard(const struct ms_tuple *t)
{
	static const uint8_t any[sizeof(t->addr)];

	return memcmp(t->addr, any, sizeof(any)) == 0;
}

/* The sockaddr for t's address and port. Returns its length. */
static socklen_t ms_tuple_to_sockaddr(const struct ms_tuple *t, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (t->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(t->port);
		memcpy(&sin->sin_addr, t->addr, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(t->port);
	memcpy(&sin6->sin6_addr, t->addr, 16);
	return sizeof(*sin6);
}

int ms_tuple_of_socket(int fd, struct ms_tuple *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	memset(t->addr, 0, sizeof(t->addr));
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		t->port = ntohs(sin->sin_port);
		memcpy(t->addr, &sin->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		t->port = ntohs(sin6->sin6_port);
		memcpy(t->addr, &sin6->sin6_addr, 16);
	} else {
		return -EINVAL;
	}
	t->family = (uint8_t)ss.ss_family;
	return 0;
}

int ms_tuple_bind_socket(struct ms_tuple *t)
{
	struct sockaddr_storage ss;
	socklen_t len = ms_tuple_to_sockaddr(t, &ss);
	int type = t->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(t->family, type | SOCK_CLOEXEC, t->proto), one = 1, rc = 0;

	if (fd < 0)
		return -errno;
	/* An IPv6 tuple claims IPv6 only; IPv4 is a tuple of its own. */
	if (t->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		rc = -errno;
	else if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		rc = -errno;
	else
		rc = ms_tuple_of_socket(fd, t);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}
