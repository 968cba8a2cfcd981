/* SPDX-License-Identifier: BSD-2-Clause */
/* transport.h - what the HTTP connections need from a byte stream transport (kernel sockets or mstack TCP). */
#ifndef MSTACK_HTTPD_TRANSPORT_H
#define MSTACK_HTTPD_TRANSPORT_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Connections are named by the transport's handle (an fd, an ms_tcp
 * handle). Readiness is edge style on both transports: the transport
 * reports "became readable/writable" once, and http_conn reads or writes
 * until -EAGAIN before it waits for the next report.
 */
struct http_transport;

struct http_transport_ops {
	/* @return bytes (> 0); 0 at end of stream; -EAGAIN; another -errno (the connection is dead). */
	ssize_t (*recv)(struct http_transport *t, int h, void *buf, size_t len);
	/* @return bytes taken (> 0, maybe fewer than offered); -EAGAIN; another -errno. */
	ssize_t (*sendv)(struct http_transport *t, int h, const struct iovec *iov, int iovcnt);
	/* Up to len bytes of the file fd from offset, read by the transport (no mapping of ours to fault on).
	 * @return bytes taken (> 0); 0 when the file ends at offset (it shrank); -EAGAIN; another -errno. */
	ssize_t (*sendfile)(struct http_transport *t, int h, int fd, off_t offset, size_t len);
	/* Send FIN after what is queued. @return 0 or -errno. */
	int (*shutdown)(struct http_transport *t, int h);
	/* Release h: gracefully, or with a reset. */
	void (*close)(struct http_transport *t, int h, bool reset);
};

struct http_transport {
	const struct http_transport_ops *ops;
};

#endif
