/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_conn.h - the connection (TCB, RFC 9293 3.3.1) and the stack's tables of connections and listeners. */
#ifndef MSTACK_TCP_CONN_H
#define MSTACK_TCP_CONN_H

#include <stdint.h>

#include "tcp_buf.h"
#include "tcp_cc.h"
#include "tcp_reass.h"
#include "tcp_sack.h"
#include "tcp_seg.h"
#include "tcp_timer.h"

struct ms_tcp_stack;

/* The receive side's lazily allocated part: the out-of-order ranges are large and an idle connection needs none. */
struct tcp_rcv_extra {
	struct tcp_reass reass;
};

/* Bits of tcp_conn.flags. */
#define TCP_CF_ACK_NOW     0x0001u /* send an ACK in this poll's output pass */
#define TCP_CF_NODELAY     0x0002u /* Nagle off */
#define TCP_CF_TS          0x0004u /* timestamps negotiated (RFC 7323) */
#define TCP_CF_SACK        0x0008u /* SACK negotiated (RFC 2018) */
#define TCP_CF_WSCALE      0x0010u /* window scaling negotiated (RFC 7323 2) */
#define TCP_CF_FIN_QUEUED  0x0020u /* the application shut down writing: FIN after the buffered data */
#define TCP_CF_RCV_FIN     0x0040u /* the peer's FIN was received (rcv_fin_seq valid) */
#define TCP_CF_RCV_FIN_OOO 0x0080u /* a FIN arrived above rcv_nxt, at rcv_fin_seq */
#define TCP_CF_RTT_TIMING  0x0100u /* rtt_seq is being timed (Karn) */
#define TCP_CF_RECOVERY    0x0200u /* in fast recovery (RFC 6582 or RFC 6675) */
#define TCP_CF_WANT_WRITE  0x0400u /* the application met a full send buffer: report EV_WRITE on space */
#define TCP_CF_COOKIE      0x0800u /* made from a SYN cookie (options kept only if the SYN had timestamps) */
#define TCP_CF_PASSIVE     0x1000u /* opened from a listener */
#define TCP_CF_RCV_READ    0x2000u /* the application read since the last window sent */
#define TCP_CF_RXMIT_UNA   0x4000u /* retransmit the segment at snd_una (NewReno partial ACK, fast retransmit) */

struct tcp_conn {
	struct tcp_endpoints ep;
	uint8_t state; /* enum ms_tcp_state */
	uint8_t src_mac[6], dst_mac[6];
	int handle; /* -1: none (embryonic, not yet accepted, or closed by the application) */
	void *udata;
	int error;      /* pending error, -errno */
	int soft_error; /* RFC 1122 4.2.3.9: the last soft ICMP error since data was last acknowledged, -errno */
	uint32_t flags; /* TCP_CF_* */

	/* Tables and lists. */
	struct tcp_conn *hash_next;         /* connection hash chain */
	struct tcp_conn *listener;          /* the listener this connection came from, until accepted */
	struct tcp_conn *acc_next;          /* the listener's accept queue */
	struct tcp_conn *out_next;          /* the stack's list of connections with output to consider */
	struct tcp_conn *ev_next;           /* the stack's list of connections with events */
	struct tcp_conn *tw_prev, *tw_next; /* the stack's TIME_WAIT list, oldest first */
	uint8_t out_queued, ev_queued;
	uint8_t bound;   /* holds its tuple in mstackd (ms_bind): released when freed */
	uint8_t reaped;  /* on the stack's list of connections to free */
	uint32_t events; /* MS_TCP_EV_* not yet reported */

	/* Listener only (state LISTEN). */
	struct tcp_conn *acc_head, *acc_tail;
	uint32_t backlog, nsyn, nacc;

	/* RFC 9293 3.3.1: the send sequence variables. snd_max is the highest sequence number sent. */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd; /* RFC 5961 5.2: MAX.SND.WND */
	/* Receive sequence variables; rcv_adv is the right edge of the window last advertised. */
	uint32_t irs, rcv_nxt, rcv_adv, rcv_wnd_max;
	uint32_t rd_seq;      /* the next byte the application reads */
	uint32_t rcv_fin_seq; /* the peer's FIN */
	uint16_t mss;         /* SMSS: payload of a full segment, after the options every segment carries (RFC 6691) */
	uint16_t peer_mss;    /* what the peer and the path allow, options included: payload + options <= it */
	uint16_t rcv_mss;     /* the MSS we announced */
	uint8_t snd_wscale, rcv_wscale; /* RFC 7323 2: Snd.Wind.Shift, Rcv.Wind.Shift */
	uint8_t dupacks, segs_unacked;

	/* RFC 7323: timestamps. */
	uint32_t ts_recent, ts_off, last_ack_sent;
	uint64_t ts_recent_ms;

	/* RFC 6298: the round-trip estimator and the retransmission timer. */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t rtt_seq; /* Karn: the segment being timed without timestamps */
	uint64_t rtt_start_us;
	uint8_t retries; /* consecutive timeouts of the same data */
	uint8_t ka_probes;
	uint32_t recover; /* RFC 6582 "recover" */

	struct tcp_scoreboard sb;
	struct tcp_cc_state cc;

	uint32_t fin_seq;      /* our FIN, once the data before it is known */
	struct tcp_sndbuf snd; /* bytes from snd_una (or iss + 1 before the SYN is acknowledged) */
	struct tcp_rcvbuf rcv;
	struct tcp_rcv_extra *rx; /* lazily allocated */

	/* Timers: the deadlines (0: not running) and the one wheel entry at the earliest. */
	struct tcp_timer timer;
	uint64_t rto_at, persist_at, dack_at, ka_at, tw_at, ka_idle_ms;
	uint32_t persist_backoff;
	uint32_t persist_probes;    /* zero-window probes since the window was last open */
	uint8_t persist_unanswered; /* zero-window probes since the peer last sent an acceptable ACK */
	uint64_t last_rx_ms;

	/* ms_tcp_info counters. */
	uint64_t bytes_sent, bytes_acked, bytes_received;
	uint32_t retransmits;
};

/*
 * The connection table: connections by 4-tuple (a hash chained through
 * hash_next, keyed with the stack's secret so a peer cannot aim at a chain),
 * handles like file descriptors (lowest free first), and listeners by
 * 3-tuple. Everything together is bounded by max_conns.
 */
struct tcp_table {
	struct tcp_conn **bucket;
	uint32_t nbuckets;        /* a power of two */
	struct tcp_conn **handle; /* max_conns slots */
	uint32_t max, count;      /* connections and listeners alive, and their limit */
	uint32_t free_hint;       /* no free handle below this one */
	uint64_t key;
	struct tcp_conn **listener; /* max_conns slots too, densely packed */
	uint32_t nlisteners;
};

int tcp_table_init(struct tcp_table *t, uint32_t max, uint64_t key);
void tcp_table_fini(struct tcp_table *t);

/* A zeroed connection counted against max. @return NULL when full or out of memory. */
struct tcp_conn *tcp_conn_alloc(struct tcp_table *t);
/* Free c (unhashed and without a handle already); its buffers go back to m. */
void tcp_conn_free(struct tcp_table *t, struct tcp_mem *m, struct tcp_conn *c);

void tcp_conn_hash(struct tcp_table *t, struct tcp_conn *c);
void tcp_conn_unhash(struct tcp_table *t, struct tcp_conn *c);
/* The connection of a received segment's endpoints, or NULL. */
struct tcp_conn *tcp_conn_lookup(const struct tcp_table *t, const struct tcp_endpoints *ep);

/* Give c the lowest free handle. @return the handle; -ENOSPC. */
int tcp_handle_attach(struct tcp_table *t, struct tcp_conn *c);
void tcp_handle_detach(struct tcp_table *t, struct tcp_conn *c);
/* The connection or listener of handle h, or NULL. */
struct tcp_conn *tcp_handle_get(const struct tcp_table *t, int h);

int tcp_listener_add(struct tcp_table *t, struct tcp_conn *l);
void tcp_listener_remove(struct tcp_table *t, struct tcp_conn *l);
/* The listener for a segment's destination: the exact address first, then the wildcard. */
struct tcp_conn *tcp_listener_lookup(const struct tcp_table *t, uint8_t family, const uint8_t addr[16], uint16_t port);

#endif
