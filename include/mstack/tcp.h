/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp.h - libmstack-tcp: a TCP/IP stack (IPv4, IPv6) over one mstack queue. */
#ifndef MSTACK_TCP_H
#define MSTACK_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mstack/mstack.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One stack instance drives one queue of an mstack session, from one
 * thread, and shares nothing with other instances (an application with N
 * queues runs N instances, one per thread, and attaches with
 * MS_HELLO_F_QUEUE_WAKEUP so that each sleeps on its own queue: ms_tcp_fd). It has no thread and no timer
 * of its own: the application calls ms_tcp_poll, which receives a whole
 * rx burst, runs the protocol and the timers that are due, transmits in a
 * burst, and returns the events of many connections at once.
 *
 * Connections and listeners are named by small non-negative handles, like
 * file descriptors, valid until ms_tcp_close (or ms_tcp_abort) returns.
 * Errors are -errno; the library never logs and never exits.
 *
 * Waiting without spinning: poll ms_tcp_fd for POLLIN with the timeout
 * ms_tcp_timeout returns, after ms_tcp_wait_prepare returned 0; call
 * ms_tcp_poll when either fires.
 *
 * Restarts of mstackd: connections and listeners survive. ms_tcp_poll
 * notices that mstackd went away (ms_tcp_fd becomes readable) and re-attaches
 * the session with ms_reattach (never blocking; the library backs off). In
 * between, connections keep their state and timers and nothing goes out;
 * afterwards the tuples are bound again by the client library and every
 * connection with data in flight retransmits at once, with its RTO back to
 * the estimator's value. A transfer completes intact after a short outage:
 * a new mstackd forwards nothing for its first 500 ms, so that the tuples
 * are claimed again before a peer's segment could reach the kernel (which
 * would reset the connection); an application that takes longer than that to
 * re-attach can still lose its connections this way (docs/tcp.md). With
 * MS_ATTACH_F_NO_REATTACH ms_tcp_poll returns
 * -ECONNRESET instead, until the application calls ms_reattach. Instances of
 * one session in several threads must use MS_ATTACH_F_NO_REATTACH and
 * re-attach with every thread stopped (the session's region is swapped).
 */
struct ms_tcp_stack;

/* An endpoint: family AF_INET or AF_INET6, port in host order, address in network order
 * (IPv4 in addr[0..3]). */
struct ms_tcp_addr {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t addr[16];
};

/* Limits and defaults of a stack instance; every 0 means the default in brackets. */
struct ms_tcp_config {
	uint32_t max_conns;    /* connections of every state, TIME_WAIT included (the oldest closed one
				* gives its slot to a new connection when the table is full) [4096] */
	uint32_t sndbuf;       /* send buffer per connection, bytes [262144] */
	uint32_t rcvbuf;       /* receive buffer (and window) per connection, bytes [262144] */
	uint64_t mem_max;      /* buffered bytes of all connections together [268435456] */
	uint32_t syn_backlog;  /* embryonic connections per listener before SYN cookies [1024] */
	uint32_t reass_max;    /* out-of-order segments held per connection [64] */
	uint32_t time_wait_ms; /* TIME_WAIT, 2 MSL [60000] */
	const char *cc;        /* congestion control: "newreno" or "cubic" [newreno] */
	uint32_t flags;        /* MS_TCP_CFG_* */
	/* Zero-window probes an orphan (a connection the application closed, in FIN_WAIT_1, CLOSING or
	 * LAST_ACK with data or FIN held back by the peer's zero window) sends while the window stays
	 * shut; then it is reset [8]. UINT32_MAX: probe for ever. */
	uint32_t orphan_probes;
};
#define MS_TCP_CFG_NO_SACK   0x1u /* do not offer or accept SACK */
#define MS_TCP_CFG_NO_TS     0x2u /* no timestamps */
#define MS_TCP_CFG_NO_WSCALE 0x4u /* no window scaling */

/**
 * Create a stack instance on queue q of session s.
 * @return 0 and *out; -EINVAL (s or out NULL, q out of range, unknown cc); -ENOMEM.
 */
int ms_tcp_stack_new(struct ms_session *s, uint32_t q, const struct ms_tcp_config *cfg, struct ms_tcp_stack **out);

/* Abort every connection (RST), release the bindings, free. st may be NULL. */
void ms_tcp_stack_free(struct ms_tcp_stack *st);

/**
 * Listen on local (address may be all zeros: every address of the host).
 * The tuple is bound in mstackd through ms_bind.
 * @return a listener handle; -EINVAL; -EADDRINUSE; -EACCES; -ENOSPC (max_conns); -errno of ms_bind.
 */
int ms_tcp_listen(struct ms_tcp_stack *st, const struct ms_tcp_addr *local, int backlog, void *udata);

/**
 * Accept a connection established on listener l.
 * @return a connection handle, *peer filled if not NULL; -EAGAIN (none ready); -EINVAL.
 */
int ms_tcp_accept(struct ms_tcp_stack *st, int l, struct ms_tcp_addr *peer, void *udata);

/**
 * Open a connection (non-blocking: MS_TCP_EV_WRITE reports it established,
 * MS_TCP_EV_ERROR that it failed). local names the address to send from
 * (one of the host's; all zeros is -EADDRNOTAVAIL); local->port 0 picks a
 * port whose flow hash lands on this instance's queue. The SYN leaves with
 * the next ms_tcp_poll.
 * @return a connection handle; -EINVAL; -EADDRNOTAVAIL; -EADDRINUSE; -ENETUNREACH; -EHOSTUNREACH;
 *   -ENOSPC; -errno of ms_bind.
 */
int ms_tcp_connect(struct ms_tcp_stack *st, const struct ms_tcp_addr *local, const struct ms_tcp_addr *remote,
		   void *udata);

/**
 * Queue up to len bytes for sending; they leave with the next ms_tcp_poll.
 * @return bytes taken (> 0; 0 for len 0); -EAGAIN (buffer full: MS_TCP_EV_WRITE reports space);
 *   -ENOBUFS (the stack's mem_max is reached: no buffer for this connection yet); -EPIPE (shut
 *   down for writing); -ENOTCONN (not yet established); the connection's error (-ECONNRESET, ...).
 */
ssize_t ms_tcp_send(struct ms_tcp_stack *st, int c, const void *buf, size_t len);

/**
 * Queue up to len bytes of the file fd from offset, read (pread) straight into the send buffer:
 * its bytes are copied once, as ms_tcp_send copies a buffer, and no mapping of the file can fault
 * if it shrinks meanwhile.
 * @return bytes taken (> 0; 0 for len 0); 0 when the file ends at offset (it is shorter than
 *   the caller thought: the caller decides, e.g. ms_tcp_abort); -EINVAL (fd or offset negative);
 *   -errno of the read; otherwise as ms_tcp_send.
 */
ssize_t ms_tcp_sendfile(struct ms_tcp_stack *st, int c, int fd, off_t offset, size_t len);

/**
 * Take up to len received bytes.
 * @return bytes (> 0); 0 (the peer closed: end of stream); -EAGAIN; the connection's error.
 */
ssize_t ms_tcp_recv(struct ms_tcp_stack *st, int c, void *buf, size_t len);

/* Half-close: send FIN after the queued data (how must be SHUT_WR). @return 0; -EINVAL; -ENOTCONN. */
int ms_tcp_shutdown(struct ms_tcp_stack *st, int c, int how);

/* Close gracefully (FIN after queued data; the protocol goes on without the handle), or
 * stop listening. The handle is free on return. @return 0; -EINVAL. */
int ms_tcp_close(struct ms_tcp_stack *st, int c);

/* Reset the connection (RST) and free the handle. @return 0; -EINVAL. */
int ms_tcp_abort(struct ms_tcp_stack *st, int c);

/* Per-connection options (ms_tcp_setopt). */
enum ms_tcp_opt {
	MS_TCP_NODELAY = 1,   /* 1: Nagle off */
	MS_TCP_KEEPALIVE = 2, /* idle seconds before probing; 0: off (default) */
};
int ms_tcp_setopt(struct ms_tcp_stack *st, int c, enum ms_tcp_opt opt, uint32_t value);

/* Events (ms_tcp_event.events). */
#define MS_TCP_EV_READ   0x1u  /* data, end of stream, or an error to read */
#define MS_TCP_EV_WRITE  0x2u  /* established, or send buffer space */
#define MS_TCP_EV_ACCEPT 0x4u  /* a listener has connections to accept */
#define MS_TCP_EV_ERROR  0x8u  /* reset, timed out or unreachable: ms_tcp_error says which */
#define MS_TCP_EV_CLOSED 0x10u /* ms_tcp_close'd or fully closed: nothing more will come */

struct ms_tcp_event {
	int handle;
	uint32_t events;
	void *udata;
};

/**
 * Run the stack: receive and process a burst, fire due timers, transmit;
 * then report up to max events (each handle at most once per call, edge
 * style: a state that did not change is not reported again).
 * @return the number of events (0..max); -ECONNRESET (mstackd went away and the session was
 *   attached with MS_ATTACH_F_NO_REATTACH; otherwise the stack re-attaches by itself).
 */
int ms_tcp_poll(struct ms_tcp_stack *st, struct ms_tcp_event *ev, int max);

/* The connection's pending error (-ECONNRESET, -ETIMEDOUT, -EHOSTUNREACH, ...), 0 if none. */
int ms_tcp_error(struct ms_tcp_stack *st, int c);

/* Waiting: the fd to poll (an epoll set of the wakeup fd and of the session's control fd, for
 * mstackd going away; -EINVAL for a stack without a session), ms before the next timer (-1:
 * none; at most 20 ms while mstackd is away). The wakeup fd is the instance's queue's own
 * (ms_queue_wait_fd) when the session was attached with MS_HELLO_F_QUEUE_WAKEUP: then
 * instances on several threads sleep independently, each woken only by frames of its queue.
 * Without that flag it is the session's (ms_wait_fd): every instance wakes for every queue,
 * and one instance's ms_tcp_poll drains the wakeup of the others (fit for one thread). */
int ms_tcp_fd(const struct ms_tcp_stack *st);
int ms_tcp_timeout(const struct ms_tcp_stack *st);
/* Before sleeping on ms_tcp_fd: 1 if work is already there (frames, output or events: do not
 * sleep), else 0. The next ms_tcp_poll withdraws the wakeup request. */
int ms_tcp_wait_prepare(struct ms_tcp_stack *st);

/* What a connection looks like, for tools and tests. */
struct ms_tcp_info {
	uint8_t state;     /* enum ms_tcp_state */
	uint32_t mss;      /* send MSS */
	uint32_t cwnd;     /* bytes */
	uint32_t ssthresh; /* bytes */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t snd_wnd; /* peer's window, bytes */
	uint64_t bytes_sent, bytes_acked, bytes_received;
	uint32_t retransmits;           /* segments sent again */
	uint8_t wscale_snd, wscale_rcv; /* 0xff: not in use */
	uint8_t sack, ts;               /* negotiated */
	/* The last soft ICMP error (-EHOSTUNREACH, -ENETUNREACH; RFC 1122 4.2.3.9, RFC 5461) heard since
	 * the peer last acknowledged something, 0 if none. If the connection times out, it is the
	 * connection's error instead of -ETIMEDOUT. */
	int32_t soft_error;
};
enum ms_tcp_state {
	MS_TCP_CLOSED,
	MS_TCP_LISTEN,
	MS_TCP_SYN_SENT,
	MS_TCP_SYN_RECEIVED,
	MS_TCP_ESTABLISHED,
	MS_TCP_FIN_WAIT_1,
	MS_TCP_FIN_WAIT_2,
	MS_TCP_CLOSE_WAIT,
	MS_TCP_CLOSING,
	MS_TCP_LAST_ACK,
	MS_TCP_TIME_WAIT,
};
int ms_tcp_info(struct ms_tcp_stack *st, int c, struct ms_tcp_info *info);
const char *ms_tcp_state_name(int state);

/* The stack's counters (docs/tcp.md names them): drops by reason, retransmissions, SYN cookies,
 * challenge ACKs, resets... name points to a constant string. Fills out[0..max) and returns how
 * many counters the stack has (call with max 0 to size the array); -EINVAL for a NULL stack, a
 * negative max, or a NULL out with max > 0. */
struct ms_tcp_counter {
	const char *name;
	uint64_t value;
};
int ms_tcp_counters(const struct ms_tcp_stack *st, struct ms_tcp_counter *out, int max);

/* Parse "ADDR:PORT" or "[ADDR6]:PORT" into *a. @return 0; -EINVAL. */
int ms_tcp_addr_parse(const char *s, struct ms_tcp_addr *a);

#ifdef __cplusplus
}
#endif

#endif
