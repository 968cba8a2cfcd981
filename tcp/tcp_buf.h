/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_buf.h - a connection's send and receive byte rings, accounted against the stack's memory limit. */
#ifndef MSTACK_TCP_BUF_H
#define MSTACK_TCP_BUF_H

#include <stdint.h>

/*
 * The memory every buffer of one stack instance draws from: capacity is
 * charged when a ring is allocated (lazily, at the first byte it holds) and
 * given back when it is freed, so a peer or an application can never make
 * the stack hold more than max bytes in all.
 */
struct tcp_mem {
	uint64_t used, max;
	uint64_t refused; /* allocations refused by the limit */
};

/*
 * Send ring: the bytes from snd_una on (sent and not acknowledged, then not
 * yet sent), kept until acknowledged because retransmission reads them again.
 */
struct tcp_sndbuf {
	uint8_t *buf;
	uint32_t cap;  /* capacity once allocated (sndbuf) */
	uint32_t head; /* index of the oldest byte (sequence snd_una) */
	uint32_t len;  /* bytes held */
};

/*
 * Receive ring, indexed by sequence number: byte s lives at
 * (head + s - rd_seq) mod cap, where rd_seq is the next byte the
 * application reads, so that out-of-order data is written at its final
 * place and becomes readable without a copy when the hole is filled.
 */
struct tcp_rcvbuf {
	uint8_t *buf;
	uint32_t cap;
	uint32_t head; /* index of the byte rd_seq */
};

/* Append up to len bytes (allocating the ring on first use). @return bytes taken; -ENOBUFS (memory limit). */
int tcp_sndbuf_append(struct tcp_sndbuf *b, struct tcp_mem *m, uint32_t cap, const void *data, uint32_t len);
/* Copy len bytes starting off bytes after the oldest into dst (off + len <= b->len). */
void tcp_sndbuf_peek(const struct tcp_sndbuf *b, uint32_t off, void *dst, uint32_t len);
/* Drop the n oldest bytes (acknowledged). */
void tcp_sndbuf_consume(struct tcp_sndbuf *b, uint32_t n);
/* Room left for the application (cap when not yet allocated). */
uint32_t tcp_sndbuf_space(const struct tcp_sndbuf *b, uint32_t cap);
void tcp_sndbuf_free(struct tcp_sndbuf *b, struct tcp_mem *m);

/* Allocate on first use. @return 0; -ENOBUFS. */
int tcp_rcvbuf_ensure(struct tcp_rcvbuf *b, struct tcp_mem *m, uint32_t cap);
/* Store len bytes at off bytes after rd_seq (off + len <= cap: the caller clipped to the window). */
void tcp_rcvbuf_write(struct tcp_rcvbuf *b, uint32_t off, const void *data, uint32_t len);
/* Take len readable bytes (the caller knows how many are in order) into dst, advancing rd_seq. */
void tcp_rcvbuf_read(struct tcp_rcvbuf *b, void *dst, uint32_t len);
void tcp_rcvbuf_free(struct tcp_rcvbuf *b, struct tcp_mem *m);

#endif
