/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_buf.h - a connection's send and receive byte rings, accounted against the stack's memory limit. */
#ifndef MSTACK_TCP_BUF_H
#define MSTACK_TCP_BUF_H

#include <stdint.h>
#include <sys/types.h>

/*
 * The memory every buffer of one stack instance draws from: capacity is
 * charged when a ring is allocated (lazily, at the first byte it holds) and
 * given back when it is freed, so a peer or an application can never make
 * the stack hold more than max bytes in all.
 *
 * A ring given back is kept on a free list, up to TCP_MEM_FREE_MAX of them,
 * and handed to the next ring of the same capacity: with one request per
 * connection, every connection would otherwise cost a malloc/free pair per
 * direction. Kept rings count against max with the rings in use (used +
 * cached <= max); when a new ring would pass it, kept rings are freed
 * first, so the list never refuses what the limit would allow.
 */
#define TCP_MEM_FREE_MAX 64

struct tcp_mem_block; /* a kept ring: its first bytes link the list */

struct tcp_mem {
	uint64_t used, max;
	uint64_t refused;                /* allocations refused by the limit */
	uint64_t cached;                 /* bytes of the kept rings */
	uint64_t reused;                 /* rings handed out from the free list, not malloc */
	uint32_t nfree;                  /* rings kept (<= TCP_MEM_FREE_MAX) */
	struct tcp_mem_block *free_head; /* the last given back first: its memory is the warmest */
};

/* Free the kept rings (the stack's end; rings in use are the connections' to free). */
void tcp_mem_fini(struct tcp_mem *m);

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
/*
 * Append up to len bytes of the file fd from offset off, read straight into the ring (preadv, at
 * most two pieces: the file's bytes are copied once, as tcp_sndbuf_append copies a buffer).
 * @return bytes taken; 0 when the file ends at off; -EAGAIN (the ring is full); -ENOBUFS; -errno of preadv.
 */
int tcp_sndbuf_append_fd(struct tcp_sndbuf *b, struct tcp_mem *m, uint32_t cap, int fd, off_t off, uint32_t len);
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
