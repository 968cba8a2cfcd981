/* mstack.h - libmstack-client: attach a user-level network stack to mstackd. */
#ifndef MSTACK_MSTACK_H
#define MSTACK_MSTACK_H

#include <stdint.h>

#include <mstack/ms_abi.h>
#include <mstack/ms_proto.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A session is one attachment: a control connection, one shared region
 * with nqueues rx/tx ring pairs, a wakeup fd. Closing it (ms_detach, exit,
 * or being killed) releases every binding it holds.
 *
 * Errors are returned as -errno; ms_strerror() explains them. The library
 * never logs and never calls exit. A session is not thread-safe, but each
 * queue's rx and tx may be used by one thread each.
 */
struct ms_session;

#define MS_DEFAULT_SOCKET "/run/mstack/mstackd.sock"

struct ms_attach_opts {
	const char *name;   /* shown by mstackctl; up to MS_NAME_MAX - 1 bytes */
	uint16_t nqueues;   /* 0 means 1 */
	uint32_t ring_size; /* slots per ring, power of two; 0 means 1024 */
	uint32_t flags;     /* MS_HELLO_F_BCAST: also receive broadcast/multicast */
};

/* A frame in a ring buffer. */
struct ms_pkt {
	uint8_t *data;
	uint32_t len;
};

/*
 * Connect to mstackd at socket_path (NULL: MS_DEFAULT_SOCKET), attach and
 * map the region. Returns 0 and *out, or -errno: -ENOENT/-ECONNREFUSED (no
 * daemon), -EACCES (socket permissions), -ENOSPC (limit on apps reached),
 * -EINVAL (queues or ring size out of the daemon's limits), -EPROTO.
 */
int ms_attach(const char *socket_path, const struct ms_attach_opts *opts, struct ms_session **out);

/* Detach and free; every binding is released. Accepts NULL. */
void ms_detach(struct ms_session *s);

/*
 * Claim a tuple. The library binds a kernel socket to it, so the kernel's
 * rules apply, and hands that socket to mstackd as the reservation.
 * t->port 0 asks for an ephemeral port, written back into *t.
 * Returns 0, -EADDRINUSE (the kernel or another app holds it), -EACCES
 * (privileged port), -EADDRNOTAVAIL (not a local address), -ENOSPC (limit).
 */
int ms_bind(struct ms_session *s, struct ms_tuple *t);

/* Release a tuple. Returns 0 or -ENOENT. */
int ms_unbind(struct ms_session *s, const struct ms_tuple *t);

/*
 * The MAC address of next hop addr (family AF_INET or AF_INET6), from the
 * kernel's neighbour table, resolved by the kernel if missing (may take up
 * to 3 s). Returns 0, -EHOSTUNREACH.
 */
int ms_resolve(struct ms_session *s, int family, const void *addr, uint8_t mac[6]);

/* The NIC's MAC: the source MAC of every frame the application sends. */
const uint8_t *ms_mac(const struct ms_session *s);
uint32_t ms_mtu(const struct ms_session *s);
uint32_t ms_nqueues(const struct ms_session *s);
uint32_t ms_app_id(const struct ms_session *s);

/*
 * Receive: up to n frames of queue q, in order, pointing into the ring.
 * They stay valid until ms_rx_release(s, q, k) gives the first k back.
 * Returns the number of frames (0: ring empty).
 */
unsigned ms_rx_burst(struct ms_session *s, uint32_t q, struct ms_pkt *pkts, unsigned n);
void ms_rx_release(struct ms_session *s, uint32_t q, unsigned k);

/*
 * Transmit, zero-copy: ms_tx_alloc gives up to n empty buffers of queue q
 * (data, len = capacity MS_BUF_SIZE); fill them, set len, and ms_tx_send the
 * first k of them. Returns the number of buffers available.
 */
unsigned ms_tx_alloc(struct ms_session *s, uint32_t q, struct ms_pkt *pkts, unsigned n);
void ms_tx_send(struct ms_session *s, uint32_t q, const struct ms_pkt *pkts, unsigned k);

/* Copy one frame out. Returns 0, -EAGAIN (ring full) or -EMSGSIZE. */
int ms_tx_copy(struct ms_session *s, uint32_t q, const void *frame, uint32_t len);

/*
 * Waiting without spinning. ms_wait_fd is an fd to poll/epoll for POLLIN.
 * Before sleeping on it call ms_wait_prepare: it asks the daemon for a
 * wakeup and returns 1 if frames already arrived (do not sleep), else 0.
 * After waking, ms_wait_done drains the fd and withdraws the request.
 * ms_wait does all three with poll(2): returns 1 when frames are ready,
 * 0 on timeout, or -errno.
 */
int ms_wait_fd(const struct ms_session *s);
int ms_wait_prepare(struct ms_session *s);
void ms_wait_done(struct ms_session *s);
int ms_wait(struct ms_session *s, int timeout_ms);

/*
 * The mapped region, for code that works on the rings directly through
 * ms_abi.h (ms_region_ring, ms_region_buf). Everything in it is the app's.
 */
void *ms_region(const struct ms_session *s);

/* The control connection's fd: readable (POLLHUP) when mstackd goes away. */
int ms_ctl_fd(const struct ms_session *s);

/* A message for a -errno returned by this library. */
const char *ms_strerror(int err);

/*
 * Control requests without attaching (mstackctl): connect, send one
 * request, and receive its reply into buf (cap >= MS_MSG_MAX).
 * Returns the reply's body length and sets *body, or -errno (the reply's
 * status if the daemon refused).
 */
int ms_ctl_connect(const char *socket_path);
int ms_ctl_request(int fd, uint16_t type, const void *req, uint32_t req_len, void *buf, size_t cap, const void **body);

#ifdef __cplusplus
}
#endif

#endif
