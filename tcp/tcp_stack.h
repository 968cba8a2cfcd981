/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_stack.h - one libmstack-tcp stack instance: its I/O, clock, tables, timers, limits and counters. */
#ifndef MSTACK_TCP_STACK_H
#define MSTACK_TCP_STACK_H

#include <stdint.h>

#include <mstack/tcp.h>

#include "tcp_buf.h"
#include "tcp_cc.h"
#include "tcp_conn.h"
#include "tcp_isn.h"
#include "tcp_route.h"
#include "tcp_timer.h"

/*
 * How the stack reaches frames and time. The default is queue q of an
 * mstack session and CLOCK_MONOTONIC; tests put a simulated link and a
 * virtual clock here (tcp_stack_new_io).
 */
struct tcp_io_ops {
	unsigned (*rx_burst)(void *ctx, struct ms_pkt *pkts, unsigned n);
	void (*rx_release)(void *ctx, unsigned k);
	unsigned (*tx_alloc)(void *ctx, struct ms_pkt *pkts, unsigned n);
	void (*tx_send)(void *ctx, const struct ms_pkt *pkts, unsigned k);
	uint64_t (*now_us)(void *ctx);
};

struct tcp_io {
	const struct tcp_io_ops *ops;
	void *ctx;
	uint8_t mac[6]; /* our MAC: the source of every frame */
	uint32_t mtu;
	/* Next hops without mstackd (tests): see tcp_route.resolve. */
	int (*resolve)(void *ctx, int family, const void *addr, uint8_t mac[6]);
};

#define TCP_BURST           64   /* frames per rx burst and per tx allocation */
#define TCP_TS_OPTLEN       12   /* NOP NOP TS: what timestamps cost every segment */
#define TCP_RTO_INIT_MS     1000 /* RFC 6298 2.1 */
#define TCP_RTO_SYN_LOST_MS 3000 /* RFC 6298 5.7: after a handshake that timed out, without a sample */
#define TCP_RTO_MIN_MS      200  /* as Linux, below RFC 6298 2.4's 1 s: a LAN stack */
#define TCP_RTO_MAX_MS      60000
#define TCP_RETRIES_MAX     12 /* timeouts of the same data before -ETIMEDOUT */
#define TCP_SYN_RETRIES     6
#define TCP_DACK_MS         40    /* delayed ACK timer, RFC 1122 4.2.3.2 allows up to 500 */
#define TCP_SYNRCVD_MS      30000 /* an embryonic connection that never completes */
#define TCP_PERSIST_MIN_MS  200
#define TCP_TW_RECLAIM_SCAN 8     /* TIME_WAIT entries looked at for one that is free to go */
#define TCP_ORPHAN_PROBES   8     /* as Linux's tcp_orphan_retries 0: about 50 s of probes at 200 ms doubling */
#define TCP_KA_INTVL_MS     75000 /* RFC 1122 4.2.3.6: probes 75 s apart */
#define TCP_KA_PROBES       9
#define TCP_CHALLENGE_PER_S 100 /* RFC 5961 7: challenge ACKs per second per stack */
#define TCP_HUP_CHECK_MS    5   /* how often ms_tcp_poll looks whether mstackd went away */
#define TCP_REATTACH_MS     20  /* while it is away: the longest sleep between re-attach attempts */

/* Counters, named for what they count. */
struct tcp_stats {
	uint64_t rx_frames, rx_dropped[9], rx_icmp, rx_no_conn, rx_bad_seq, rx_paws, rx_dup_data;
	uint64_t rx_ooo_dropped, rx_no_mem, rst_sent, challenge_acks, challenge_limited;
	uint64_t syn_cookies_sent, syn_cookies_ok, syn_dropped, tx_frames, tx_ring_full;
	uint64_t retransmits, timeouts, fast_retransmits;
	uint64_t orphans_reset;       /* orphans in a zero window reset after orphan_probes probes */
	uint64_t time_wait_reclaimed; /* TIME_WAIT entries ended early for a new connection's slot */
	uint64_t syn_cookies_ts;      /* cookie connections that kept timestamps (and window scale, SACK as offered) */
};

struct ms_tcp_stack {
	struct ms_session *s;
	uint32_t q;
	struct tcp_io io;
	struct ms_tcp_config cfg; /* defaults filled in */
	const struct tcp_cc_ops *cc;
	uint64_t now_us, now_ms;
	struct tcp_table tab;
	struct tcp_mem mem;
	struct tcp_wheel wheel;
	struct tcp_secret secret;
	struct tcp_route route;
	/* Connections with output to consider, and with events, this poll. */
	struct tcp_conn *out_head, *ev_head, **ev_tail;
	struct tcp_conn *reap_head;         /* closed and forgotten, freed at the end of the poll (through out_next) */
	struct tcp_conn *tw_head, *tw_tail; /* connections in TIME_WAIT, oldest first (tcp_fsm_time_wait_reclaim) */
	/* The tx buffers of the current burst. */
	struct ms_pkt tx[TCP_BURST];
	unsigned ntx, ntx_alloc;
	uint8_t tx_full; /* ms_tx_alloc gave nothing this poll: output waits for the next */
	/* RFC 5961 7: the challenge ACK budget. */
	uint64_t challenge_sec;
	uint32_t challenge_count;
	uint16_t next_port;
	uint64_t hup_check_ms; /* when the session's control socket was last looked at */
	int wait_fd;           /* ms_tcp_fd: an epoll set of the session's wakeup fd and control fd; -1 without one */
	uint32_t attach_gen;   /* ms_attach_gen of the attachment this stack last worked on */
	uint8_t detached;      /* mstackd went away: the session is re-attaching (see tcp_session_check) */
	uint8_t wait_armed;    /* ms_wait_prepare was called: ms_wait_done at the next poll */
	struct tcp_stats stats;
};

/* The internal constructor: a stack on any I/O (tests). s may be NULL: then listen/connect bind nothing. */
int tcp_stack_new_io(const struct tcp_io *io, struct ms_session *s, uint32_t q, const struct ms_tcp_config *cfg,
		     struct ms_tcp_stack **out);

/* Between modules. */

struct tcp_icmp_err;

/* tcp_input.c: one parsed segment / ICMP error. */
void tcp_input(struct ms_tcp_stack *st, const struct tcp_seg *seg);
void tcp_input_icmp(struct ms_tcp_stack *st, const struct tcp_icmp_err *err);
/* A segment for connection c (also the ACK that completed a cookie handshake). */
void tcp_input_conn(struct ms_tcp_stack *st, struct tcp_conn *c, const struct tcp_seg *seg);

/* tcp_api.c: a new connection's defaults (MSS from the MTU, window scale, options offered, RTO, ISS). */
void tcp_conn_setup(struct ms_tcp_stack *st, struct tcp_conn *c);
/* The window shift we offer (RFC 7323 2.3), from the receive buffer: the same for every connection. */
uint8_t tcp_rcv_wscale(const struct ms_tcp_stack *st);
/* RFC 7323 5.4: the secret offset of our timestamp clock towards the peer of ep (per address pair). */
uint32_t tcp_ts_offset(const struct ms_tcp_stack *st, const struct tcp_endpoints *ep);
/* Release the tuple a connection bound in mstackd. */
void tcp_conn_unbind(struct ms_tcp_stack *st, struct tcp_conn *c);

/* tcp_output.c */
void tcp_output(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_output_flush(struct ms_tcp_stack *st);
void tcp_send_syn(struct ms_tcp_stack *st, struct tcp_conn *c);
/* RFC 9293 3.8.6.1: one byte beyond a zero window. */
void tcp_output_probe(struct ms_tcp_stack *st, struct tcp_conn *c);
/* A bare control segment (ACK, RST) of c. */
void tcp_send_ctl(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t seq, uint8_t flags);
/* RFC 9293 3.10.7.1: the reset answering a segment for no connection. */
void tcp_send_reset_for(struct ms_tcp_stack *st, const struct tcp_seg *seg);
/* A SYN-ACK without state: the cookie handshake (RFC 4987). */
void tcp_send_synack_cookie(struct ms_tcp_stack *st, const struct tcp_seg *seg, uint32_t cookie, uint16_t mss,
			    const struct tcp_cookie_opts *opts);
/* The window we advertise now (bytes, unscaled). */
uint32_t tcp_rcv_window(const struct tcp_conn *c);
uint32_t tcp_ts_now(const struct ms_tcp_stack *st, const struct tcp_conn *c);

/* tcp_fsm.c */
void tcp_set_state(struct ms_tcp_stack *st, struct tcp_conn *c, int state);
void tcp_established(struct ms_tcp_stack *st, struct tcp_conn *c);
/* The peer's FIN became in order. */
void tcp_fsm_rcv_fin(struct ms_tcp_stack *st, struct tcp_conn *c);
/* A retransmitted FIN in TIME_WAIT: 2 MSL again. */
void tcp_fsm_time_wait_restart(struct ms_tcp_stack *st, struct tcp_conn *c);
/* Our FIN was acknowledged. */
void tcp_fsm_fin_acked(struct ms_tcp_stack *st, struct tcp_conn *c);
/* The connection is over with err (0: normally): CLOSED, timers stopped, unhashed, freed if no handle. */
void tcp_fsm_drop(struct ms_tcp_stack *st, struct tcp_conn *c, int err);
/* User calls: CLOSE/SHUTDOWN (queue a FIN), ABORT (RST). */
int tcp_fsm_shutdown(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_fsm_abort(struct ms_tcp_stack *st, struct tcp_conn *c);
/* The table is full: free the slot of the oldest TIME_WAIT entry nobody holds. @return 1 if one was freed, else 0. */
int tcp_fsm_time_wait_reclaim(struct ms_tcp_stack *st);
/* The stack gives up on c: a RST the peer can accept, then CLOSED with err. */
void tcp_fsm_reset(struct ms_tcp_stack *st, struct tcp_conn *c, int err);
/* Mark c for freeing if it is closed, has no handle and is on no list; free the marked ones. */
void tcp_fsm_reap(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_fsm_free_reaped(struct ms_tcp_stack *st);

/* tcp_timer.c: the connection's timers. */
void tcp_timers_update(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_timers_fire(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_rto_restart(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_rtt_sample(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t rtt_us);
uint32_t tcp_rto_estimate(const struct tcp_conn *c);
void tcp_rto_expire_now(struct ms_tcp_stack *st, struct tcp_conn *c);

/* tcp_api.c: queue c for output / report events. */
void tcp_want_output(struct ms_tcp_stack *st, struct tcp_conn *c);
void tcp_event(struct ms_tcp_stack *st, struct tcp_conn *c, uint32_t ev);

/* Data sequence number of the first byte in the send ring. */
static inline uint32_t tcp_snd_data_seq(const struct tcp_conn *c)
{
	return c->snd_una == c->iss ? c->iss + 1 : c->snd_una;
}

#endif
