/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_codec.h - the control protocol's codec; internal to mstack (mstackd, libmstack-client, mstackctl). */
#ifndef MSTACK_MS_CODEC_H
#define MSTACK_MS_CODEC_H

#include <mstack/ms_proto.h>

/*
 * Not installed and not exported by libmstack-client.so: the daemon and
 * mstackctl link the static library and find this header through its
 * include path. The wire format is in <mstack/ms_proto.h>.
 *
 * All return 0 / a length on success, -errno on failure.
 */

/*
 * Write header + body into buf. Returns the message length, -EMSGSIZE (cap
 * too small or body_len over MS_MSG_MAX) or -EINVAL (body NULL, body_len > 0).
 */
ssize_t ms_msg_pack(void *buf, size_t cap, uint16_t type, uint32_t req_id, int32_t status, const void *body,
		    uint32_t body_len);

/*
 * Check a received message: length >= header, version, known type, hdr.len
 * matching the bytes received and the exact body size for its type (lists:
 * header + count entries, count <= total; error replies: empty). On success
 * copies the header to *hdr and points *body at the body inside buf.
 * Returns 0, -EPROTO (bad version, type or framing) or -EMSGSIZE (too long).
 */
int ms_msg_unpack(const void *buf, size_t len, struct ms_msg_hdr *hdr, const void **body);

/* sendmsg one message with up to MS_MSG_FDS_MAX fds. Returns 0 or -errno. */
int ms_msg_send(int sock, const void *msg, size_t len, const int *fds, int nfds);

/*
 * recvmsg one message into buf (cap >= MS_MSG_MAX) with up to *nfds fds.
 * Returns the message length, 0 on orderly close, or -errno; -EMSGSIZE if
 * truncated. Received fds beyond *nfds are closed; *nfds is set to the count
 * kept. Fds are received with MSG_CMSG_CLOEXEC.
 */
ssize_t ms_msg_recv(int sock, void *buf, size_t cap, int *fds, int *nfds);

#define MS_MSG_FDS_KERNEL_MAX 253 /* SCM_MAX_FD: the most fds the kernel lets one message carry */

/* What ms_msg_recv_keep saw besides the message. */
#define MS_RECV_FDS_LOST 0x1 /* MSG_CTRUNC: fds did not all arrive (the receiver is out of descriptors) */
#define MS_RECV_CREDS    0x2 /* SCM_CREDENTIALS came with it (SO_PASSCRED): a message, even an empty one */

/*
 * ms_msg_recv for a receiver that must neither close a peer's descriptors
 * itself (closing one can block: a FUSE file, a lingering socket) nor lose a
 * request because its descriptors did not arrive (mstackd):
 * - it closes no fd: fds[] must hold MS_MSG_FDS_KERNEL_MAX entries, every fd
 *   that arrives is in fds[] and counted in *nfds (also on -EMSGSIZE);
 * - a message whose fds were cut short (MS_RECV_FDS_LOST in *flags) is still
 *   returned. The kernel itself releases the fds it could not pass.
 * Returns the message length, 0 on orderly close (or an empty message: tell
 * them apart with SO_PASSCRED and MS_RECV_CREDS), or -errno; -EMSGSIZE if
 * the message itself was truncated.
 */
ssize_t ms_msg_recv_keep(int sock, void *buf, size_t cap, int *fds, int *nfds, unsigned *flags);

/*
 * The fds a HELLO reply to req carries: 3, or 3 + nqueues with
 * MS_HELLO_F_QUEUE_WAKEUP. -EINVAL when req asks for per-queue fds with
 * nqueues 0 or over MS_QUEUES_MAX (they would not fit one message).
 */
int ms_hello_reply_nfds(const struct ms_hello *req);

/*
 * Check a HELLO reply against its request, with the nfds fds that came
 * with it: the queues granted are the queues asked for and the fd count is
 * ms_hello_reply_nfds(req). Returns 0 or -EPROTO.
 */
int ms_hello_reply_check(const struct ms_hello *req, const struct ms_hello_reply *rep, int nfds);

/* Body size of a fixed-size message type, or -1 for lists / unknown. */
long ms_msg_body_size(uint16_t type);

/*
 * One request on a control connection and its reply, fds riding along both
 * ways (up to *nfds_in received into fds_in; *nfds_in set to the count; all
 * closed on an error). Returns the reply body's length with *body pointing
 * into buf, the daemon's -errno status, or -ECONNRESET/-ETIMEDOUT/-EPROTO.
 * Shared by the library and mstackctl (static library); not exported.
 */
int ms_call(int fd, uint32_t req_id, uint16_t type, const void *req, uint32_t req_len, const int *fds_out, int nfds_out,
	    void *buf, size_t cap, const void **body, int *fds_in, int *nfds_in);

#endif
