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

/* Body size of a fixed-size message type, or -1 for lists / unknown. */
long ms_msg_body_size(uint16_t type);

#endif
