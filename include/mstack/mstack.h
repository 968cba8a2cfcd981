/* SPDX-License-Identifier: BSD-2-Clause */
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
 * never logs and never calls exit.
 *
 * Threads: the library keeps no state outside its sessions, so any number
 * of threads may each attach, use and detach sessions of their own at
 * once. One session is not thread-safe: its control calls (ms_bind,
 * ms_unbind, ms_resolve, ms_wait*, ms_detach) must not run concurrently,
 * except that each queue's rx side (ms_rx_burst, ms_rx_release) and tx side
 * (ms_tx_alloc, ms_tx_send, ms_tx_copy) may each be used by one thread.
 *
 * Restarts: a session outlives its daemon. When mstackd exits, crashes or
 * is restarted, the session becomes "lost": the datapath calls keep
 * working on the old region (nothing arrives, what is sent goes nowhere),
 * control calls answer -ECONNRESET, and ms_wait / ms_reattach attach again
 * to the daemon that comes back, with the same request, and claim every
 * tuple again with the reservation socket the library kept (so nobody can
 * take a port in between). They then return MS_REATTACHED: the session
 * pointer is the same, but the region, its rings and buffers (every ms_pkt
 * and ms_region pointer from before), the app id, MAC and MTU are new;
 * ms_wait_fd and ms_ctl_fd keep their numbers but are new files (add them
 * to an epoll set again). Frames queued in the old rings are lost. A loop
 * survives with:
 *
 *	rc = ms_wait(s, 1000);
 *	if (rc == MS_REATTACHED)
 *		continue;         (drop every ms_pkt held; re-read what you cached)
 *
 * Re-attaching swaps the region under every queue: with threads on the
 * session's rx or tx sides, those must be stopped (or hold no ms_pkt and
 * make no call) while ms_wait or ms_reattach runs. An application that
 * prefers to end with its daemon, or whose threads must be stopped first,
 * attaches with MS_ATTACH_F_NO_REATTACH: then ms_wait returns -ECONNRESET
 * and re-attaches only when the application calls ms_reattach itself.
 *
 * Preconditions common to every function below: s is a session returned by
 * ms_attach and not yet passed to ms_detach (the library cannot check a
 * dangling pointer; NULL is accepted by ms_detach only). Where a function
 * checks an argument it says so, with the code it returns.
 */
struct ms_session;

#define MS_DEFAULT_SOCKET "/run/mstack/mstackd.sock"

struct ms_attach_opts {
	const char *name;   /* shown by mstackctl; NULL: none; truncated to MS_NAME_MAX - 1 bytes */
	uint16_t nqueues;   /* 0 means 1 */
	uint32_t ring_size; /* slots per ring, power of two; 0 means 1024 */
	uint32_t flags;     /* MS_HELLO_F_BCAST: also receive broadcast/multicast; MS_HELLO_F_QUEUE_WAKEUP:
			     * one wakeup fd per queue (ms_queue_wait_fd); MS_ATTACH_F_* */
};

/*
 * A flag of the library, never sent to mstackd (bits 16..31 of
 * ms_attach_opts.flags; bits 0..15 are MS_HELLO_F_*): ms_wait does not
 * re-attach when mstackd goes away but answers -ECONNRESET; the
 * application exits, or calls ms_reattach when it is ready to.
 */
#define MS_ATTACH_F_NO_REATTACH 0x10000u

/* Returned by ms_wait and ms_reattach: the session is attached to a new daemon (see "Restarts"). */
#define MS_REATTACHED 2

/* A frame in a ring buffer. */
struct ms_pkt {
	uint8_t *data;
	uint32_t len;
};

/**
 * Connect to mstackd, attach and map the region.
 *
 * @param socket_path  the control socket; NULL: MS_DEFAULT_SOCKET.
 * @param opts         what to ask for; NULL: every default (one queue of 1024 slots, no name).
 *                     The daemon checks nqueues and ring_size against its [limits].
 * @param out          where to store the session; must not be NULL.
 * @return
 *   - 0: *out is the session.
 *   - -EINVAL: out is NULL, or nqueues/ring_size out of the daemon's limits (with
 *     MS_HELLO_F_QUEUE_WAKEUP, nqueues at most MS_QUEUES_MAX, whatever the limits).
 *   - -ENAMETOOLONG: socket_path does not fit a Unix socket address.
 *   - -ENOENT, -ECONNREFUSED: no daemon. -EACCES: socket permissions.
 *   - -ENOSPC: the daemon's limit on applications is reached.
 *   - -EPROTO: protocol or ABI version mismatch, or a reply or region that fails its checks
 *     (a daemon that predates MS_HELLO_F_QUEUE_WAKEUP answers without the per-queue fds).
 *   - -ETIMEDOUT: no answer within 10 s. -ECONNRESET: the daemon closed the connection.
 *   - -ENOMEM, or another -errno of socket(2), connect(2) or mmap(2).
 *   *out is untouched on error.
 */
int ms_attach(const char *socket_path, const struct ms_attach_opts *opts, struct ms_session **out);

/**
 * Detach and free; every binding is released, the region unmapped (every
 * ms_pkt of the session is invalid after this). s may be NULL.
 */
void ms_detach(struct ms_session *s);

/**
 * Claim a tuple. The library binds a kernel socket to it, so the kernel's
 * rules apply, and hands that socket to mstackd as the reservation. The
 * library keeps its own copy of the socket while the binding lives, to
 * claim the tuple again after a daemon restart (ms_reattach). A binding an
 * administrator revokes (mstackctl unbind) is forgotten, and the copy
 * closed, by the next ms_wait (within 100 ms of waits) or ms_reattach.
 *
 * @param t  the tuple; t->port 0 asks for an ephemeral port, written back into *t.
 * @return
 *   - 0: bound; *t is the tuple actually bound.
 *   - -EINVAL: t is NULL or fails ms_tuple_check (checked before anything is sent).
 *   - -EADDRINUSE: the kernel or another app holds it. -EACCES: privileged port.
 *   - -EADDRNOTAVAIL: not a local address. -ENOSPC: the daemon's limit on bindings.
 *   - -ETIMEDOUT, -ECONNRESET, -EPROTO: as for ms_attach; or another -errno of socket(2)/bind(2).
 */
int ms_bind(struct ms_session *s, struct ms_tuple *t);

/**
 * Release a tuple this session bound.
 *
 * @return 0 (also on a lost session: closing the library's reservation
 *   socket releases the tuple); -EINVAL (t NULL or malformed, checked);
 *   -ENOENT (not bound by this session); -ECONNRESET (lost, and t not
 *   bound); -ETIMEDOUT, -EPROTO.
 */
int ms_unbind(struct ms_session *s, const struct ms_tuple *t);

/**
 * The MAC address of a next hop, from the kernel's neighbour table,
 * resolved by the kernel if missing (may take up to 3 s).
 *
 * @param family  AF_INET or AF_INET6.
 * @param addr    4 (AF_INET) or 16 (AF_INET6) bytes, network order; not NULL.
 * @param mac     6 bytes written on success; not NULL.
 * @return 0; -EINVAL (addr or mac NULL, checked); -EAFNOSUPPORT (family, checked);
 *   -EHOSTUNREACH (no answer); -ETIMEDOUT, -ECONNRESET, -EPROTO.
 */
int ms_resolve(struct ms_session *s, int family, const void *addr, uint8_t mac[6]);

/*
 * What the daemon granted, from the session's private copy (never from the
 * shared region). ms_mac: the NIC's MAC, the source MAC of every frame the
 * application sends; 6 bytes valid until ms_detach. ms_nqueues: the number
 * of queues, every q below must be less than it.
 */
const uint8_t *ms_mac(const struct ms_session *s);
uint32_t ms_mtu(const struct ms_session *s);
uint32_t ms_nqueues(const struct ms_session *s);
uint32_t ms_app_id(const struct ms_session *s);

/**
 * The rx queue on which mstackd delivers the frames of the flow between the
 * local endpoint `local` and the remote (raddr, rport): the queue whose
 * stack instance should own the connection, and the queue to send its
 * frames on. A stack that runs one instance per queue picks, before it
 * connects, a local port for which this gives its own queue (see
 * include/mstack/ms_flow.h for the hash, shared with the daemon). ICMP
 * errors about the flow arrive on the same queue. Computed locally: no
 * message to the daemon, safe from any thread.
 *
 * @param local  the application's end: proto (unused by the hash), family
 *               AF_INET or AF_INET6, port, and the concrete local address the
 *               flow uses (for a wildcard binding, the address the peer
 *               talks to, never the all-zero wildcard); not NULL, not checked.
 * @param raddr  the remote address, network order: 4 bytes when
 *               local->family is AF_INET, else 16; not NULL, not checked.
 * @param rport  the remote port, host order.
 * @return the queue, less than ms_nqueues(s) (always 0 with one queue).
 *   Later IP fragments carry no ports: mstackd sends them to the queue of
 *   their datagram's first fragment (docs/architecture.md).
 */
uint32_t ms_flow_queue(const struct ms_session *s, const struct ms_tuple *local, const void *raddr, uint16_t rport);

/*
 * The datapath. Each function works on queue q, which must be less than
 * ms_nqueues(s): an out-of-range q is checked (one branch per burst) and
 * gives 0 / -EINVAL / no effect, never an access outside the session. The
 * other preconditions are the caller's and are not checked: pkts has room
 * for n entries, and k never exceeds what the matching burst returned.
 */

/**
 * Receive up to n frames of queue q, in order, pointing into the ring
 * (zero copy). They stay valid until ms_rx_release gives them back;
 * calling ms_rx_burst again before that returns the same frames first.
 *
 * @return the number of frames in pkts[0..], 0..n (0: ring empty or q out of range).
 */
unsigned ms_rx_burst(struct ms_session *s, uint32_t q, struct ms_pkt *pkts, unsigned n);

/**
 * Give the first k frames of the last ms_rx_burst of queue q back to the
 * daemon. k must not exceed the frames received and not yet released: a
 * larger k hands the daemon slots it did not fill, which it refuses as an
 * impossible index (frames for this queue are dropped, counted in rx_bad_index). A q out
 * of range does nothing.
 */
void ms_rx_release(struct ms_session *s, uint32_t q, unsigned k);

/**
 * Transmit, zero copy: up to n empty buffers of queue q, each with
 * len = MS_FRAME_MAX (its capacity). Fill them, set len, and hand the first
 * k to ms_tx_send. Calling ms_tx_alloc again before that returns the same
 * buffers.
 *
 * @return the number of buffers in pkts[0..], 0..n (0: ring full or q out of range).
 */
unsigned ms_tx_alloc(struct ms_session *s, uint32_t q, struct ms_pkt *pkts, unsigned n);

/**
 * Send the first k buffers of the last ms_tx_alloc of queue q, in the
 * order it returned them (only pkts[i].len is read: 14..MS_FRAME_MAX bytes,
 * the daemon drops and counts any other length). k must not exceed what
 * ms_tx_alloc returned. A q out of range does nothing. If the daemon asked
 * for it (it is about to sleep, ms_abi.h "Transmit doorbell"), this also
 * kicks it: one eventfd write; a busy daemon costs no system call.
 */
void ms_tx_send(struct ms_session *s, uint32_t q, const struct ms_pkt *pkts, unsigned k);

/**
 * Copy one frame out on queue q.
 *
 * @return 0; -EINVAL (frame NULL or q out of range, checked); -EMSGSIZE (len > MS_FRAME_MAX);
 *   -EAGAIN (ring full).
 */
int ms_tx_copy(struct ms_session *s, uint32_t q, const void *frame, uint32_t len);

/*
 * Waiting without spinning. ms_wait_fd is an fd to poll/epoll for POLLIN
 * (the session's; do not close or read it yourself). Before sleeping on it
 * call ms_wait_prepare: it asks the daemon for a wakeup on every queue and
 * returns 1 if frames already arrived (do not sleep), else 0. After
 * waking, ms_wait_done drains the fd and withdraws the request. They touch
 * every queue's rx ring: run them on the thread that receives, or with the
 * receiving threads stopped.
 *
 * ms_wait does all three with poll(2); timeout_ms as poll's (-1: forever).
 * Returns 1 when frames are ready, 0 on timeout, or -errno of poll
 * (-EINTR). When mstackd goes away it re-attaches within the same timeout
 * (ms_reattach) and returns what that returns, with -EAGAIN (not back yet)
 * turned into 0: MS_REATTACHED or a new daemon's refusal. The time may
 * run up to twice timeout_ms when the hang-up ends the poll. With
 * MS_ATTACH_F_NO_REATTACH it returns -ECONNRESET instead, at once and at
 * every call until ms_reattach succeeds.
 */
int ms_wait_fd(const struct ms_session *s);
int ms_wait_prepare(struct ms_session *s);
void ms_wait_done(struct ms_session *s);
int ms_wait(struct ms_session *s, int timeout_ms);

/*
 * Waiting on one queue, for applications that receive each queue on a
 * thread of its own (one stack instance per queue): attach with
 * MS_HELLO_F_QUEUE_WAKEUP and mstackd gives every queue an eventfd of its
 * own, signalled only when that queue's rx ring becomes non-empty while
 * its thread asked for a wakeup. A thread then sleeps on its queue alone:
 * it is not woken by the other queues' frames and does not drain their
 * wakeups. The pattern is ms_wait_prepare's, per queue:
 *
 *	if (ms_queue_wait_prepare(s, q) == 0)
 *		poll ms_queue_wait_fd(s, q) for POLLIN (with ms_ctl_fd, for restarts);
 *	ms_queue_wait_done(s, q);
 *
 * These touch only queue q's rx ring and fd: each queue's thread may call
 * them for its own q at once. The session-wide calls keep working on such
 * a session (ms_wait_fd is then readable when any queue's fd is; ms_wait,
 * ms_wait_prepare and ms_wait_done cover every queue) but must not run
 * while other threads wait on their queues. Re-attaching (ms_reattach)
 * keeps each queue fd's number, with a new file behind it (add it to an
 * epoll set again).
 */

/**
 * The fd to poll for POLLIN while waiting for frames on queue q (the
 * session's: do not read or close it).
 *
 * @return the fd (>= 0); -EINVAL (q >= ms_nqueues(s), checked); -EOPNOTSUPP (the session
 *   was attached without MS_HELLO_F_QUEUE_WAKEUP: use ms_wait_fd).
 */
int ms_queue_wait_fd(const struct ms_session *s, uint32_t q);

/**
 * Ask mstackd for a wakeup on queue q's fd, before sleeping on it.
 *
 * @return 1 if frames already wait in queue q (do not sleep), 0 if not (sleep);
 *   -EINVAL (q out of range, checked); -EOPNOTSUPP (no per-queue fds, as above).
 *   After 0 or 1, call ms_queue_wait_done once awake.
 */
int ms_queue_wait_prepare(struct ms_session *s, uint32_t q);

/**
 * After waking: withdraw queue q's wakeup request and drain its fd. A q out
 * of range, or a session without per-queue fds, is left alone.
 */
void ms_queue_wait_done(struct ms_session *s, uint32_t q);

/**
 * Re-attach a session whose daemon went away; a no-op (one poll(2) of
 * ms_ctl_fd) while it is attached. Connects again with back-off (10 ms
 * doubling to 1 s between attempts; the schedule lives in the session, so
 * calling it with timeout_ms 0 from a poll loop never hammers the socket;
 * while nothing listens on the socket, ENOENT or ECONNREFUSED, every 20 ms,
 * so that the tuples are claimed soon after the daemon is back),
 * sends the same HELLO, maps the new region and claims every bound tuple
 * again with the reservation socket the library kept. Call it where the
 * application holds no ms_pkt: MS_REATTACHED invalidates them all. An
 * attachment that lived 10 s or more is retried at once; one lost sooner
 * keeps backing off (a daemon that keeps closing the session, e.g. for
 * misbehaving rings, sees it back at most once a second).
 *
 * @param timeout_ms  how long to try: 0 once if an attempt is due, -1 until it works.
 *                    One attempt may take up to the 10 s reply timeout if a
 *                    daemon accepts without answering.
 * @return
 *   - 0: attached, nothing changed.
 *   - MS_REATTACHED: attached to a new daemon (see "Restarts" above).
 *   - -EAGAIN: no daemon serves the socket yet (ENOENT, ECONNREFUSED, ...); call again.
 *   - -EINTR: a signal interrupted the back-off sleep.
 *   - a new daemon's refusal (-EPROTO, -EACCES, -ENOSPC, -EINVAL; -EADDRNOTAVAIL and the
 *     other ms_bind codes for a tuple it refuses): the session stays lost, the next call
 *     tries again after the back-off; give up (ms_detach) or keep calling.
 */
int ms_reattach(struct ms_session *s, int timeout_ms);

/*
 * The mapped region, for code that works on the rings directly through
 * ms_abi.h (ms_region_ring, ms_region_buf), valid until ms_detach.
 * Everything in it is the app's.
 */
void *ms_region(const struct ms_session *s);

/*
 * The control connection's fd, to poll: readable (POLLHUP) when mstackd goes
 * away, then call ms_reattach. Do not read, write or close it.
 */
int ms_ctl_fd(const struct ms_session *s);

/* The flags given to ms_attach (MS_HELLO_F_* and MS_ATTACH_F_*), for code that gets a session from the application. */
uint32_t ms_attach_flags(const struct ms_session *s);

/*
 * The attachment's generation: 1 after ms_attach, one more at every
 * MS_REATTACHED. Code sharing a session (a library on top of this one) sees
 * a re-attachment another caller made by a change of this number.
 */
uint32_t ms_attach_gen(const struct ms_session *s);

/* A message for any int, meant for a -errno of this library: a static string, or strerror(-err). */
const char *ms_strerror(int err);

/**
 * Connect to the control socket without attaching (mstackctl's path).
 *
 * @param socket_path  NULL: MS_DEFAULT_SOCKET.
 * @return a close-on-exec fd whose replies time out after 10 s, which the
 *   caller closes; or -ENAMETOOLONG, -ENOENT, -ECONNREFUSED, -EACCES, -errno.
 */
int ms_ctl_connect(const char *socket_path);

/**
 * Send one request on fd (from ms_ctl_connect, one request at a time per
 * fd; threads with fds of their own may call it at once) and receive its
 * reply into buf.
 *
 * @param type     an enum ms_msg_type a client may send without attaching.
 * @param req      the request body for type, exactly ms_proto.h's size for it
 *                 (else the daemon refuses with -EPROTO and closes fd); NULL if req_len is 0.
 * @param req_len  at most 256 bytes (every request is smaller).
 * @param buf      receives the reply; not NULL (checked). cap: its size; MS_MSG_MAX always
 *                 suffices, a reply longer than cap is refused with -EMSGSIZE.
 * @param body     set to the reply's body inside buf; not NULL (checked).
 * @return the reply body's length (>= 0); -EINVAL (buf or body NULL, req NULL with
 *   req_len > 0); -EMSGSIZE; -ETIMEDOUT; -ECONNRESET; -EPROTO (a reply that fails the codec's
 *   checks or answers another request); or the daemon's refusal (-EPERM, -EINVAL, ...).
 */
int ms_ctl_request(int fd, uint16_t type, const void *req, uint32_t req_len, void *buf, size_t cap, const void **body);

#ifdef __cplusplus
}
#endif

#endif
