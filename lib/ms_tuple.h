/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_tuple.h - tuples and the kernel sockets that hold them; internal to mstack (mstackd, libmstack-client). */
#ifndef MSTACK_MS_TUPLE_H
#define MSTACK_MS_TUPLE_H

#include <mstack/ms_proto.h>

/* Not installed and not exported by libmstack-client.so (see ms_codec.h). */

/* 1 if t's address is all zero (the wildcard), else 0. */
int ms_tuple_is_wildcard(const struct ms_tuple *t);

/*
 * A kernel socket (close-on-exec; IPv6 ones V6ONLY) of t's protocol bound
 * to t, so that the kernel's rules decide whether t is free; port 0 is
 * replaced by the port the kernel chose. Returns the fd or -errno
 * (-EADDRINUSE, -EACCES, -EADDRNOTAVAIL...).
 */
int ms_tuple_bind_socket(struct ms_tuple *t);

/* The family, address and port socket fd is bound to, into *t (proto untouched). 0 or -errno. */
int ms_tuple_of_socket(int fd, struct ms_tuple *t);

#endif
