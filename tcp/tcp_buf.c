/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_buf.c - send and receive byte rings, allocated lazily within the stack's memory limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "tcp_buf.h"

struct tcp_mem_block {
	struct tcp_mem_block *next;
	uint32_t cap;
};

static void tcp_mem_free_block(struct tcp_mem *m, struct tcp_mem_block **link)
{
	struct tcp_mem_block *b = *link;

	*link = b->next;
	m->cached -= b->cap;
	m->nfree--;
	free(b);
}

/*
 * A kept ring of capacity cap, unlinked and charged as used; NULL if none.
 * A miss frees one kept ring of another size, so that rings of a size no
 * longer asked for (sndbuf or rcvbuf changed) drain from the list.
 */
static uint8_t *tcp_mem_reuse(struct tcp_mem *m, uint32_t cap)
{
	for (struct tcp_mem_block **link = &m->free_head; *link; link = &(*link)->next) {
		struct tcp_mem_block *b = *link;

		if (b->cap != cap)
			continue;
		*link = b->next;
		m->nfree--;
		m->cached -= cap;
		m->used += cap;
		m->reused++;
		return (uint8_t *)b;
	}
	if (m->free_head)
		tcp_mem_free_block(m, &m->free_head);
	return NULL;
}

static uint8_t *tcp_mem_take(struct tcp_mem *m, uint32_t cap)
{
	uint8_t *p;

	if (m->used + cap > m->max) {
		m->refused++;
		return NULL;
	}
	p = tcp_mem_reuse(m, cap);
	if (p)
		return p;
	/* Kept rings give way to a ring in use: used + cached stays within max. */
	while (m->free_head && m->used + m->cached + cap > m->max)
		tcp_mem_free_block(m, &m->free_head);
	p = malloc(cap);
	if (p)
		m->used += cap;
	return p;
}

static void tcp_mem_give(struct tcp_mem *m, uint8_t **p, uint32_t cap)
{
	struct tcp_mem_block *b = (struct tcp_mem_block *)*p;

	if (!b)
		return;
	*p = NULL;
	m->used -= cap;
	if (m->nfree >= TCP_MEM_FREE_MAX || cap < sizeof(*b)) {
		free(b);
		return;
	}
	b->cap = cap;
	b->next = m->free_head;
	m->free_head = b;
	m->nfree++;
	m->cached += cap;
}

void tcp_mem_fini(struct tcp_mem *m)
{
	while (m->free_head)
		tcp_mem_free_block(m, &m->free_head);
}

/* Copy into a ring at index at, wrapping. */
static void ring_put(uint8_t *ring, uint32_t cap, uint32_t at, const uint8_t *src, uint32_t len)
{
	uint32_t first = cap - at < len ? cap - at : len;

	memcpy(ring + at, src, first);
	memcpy(ring, src + first, len - first);
}

static void ring_get(const uint8_t *ring, uint32_t cap, uint32_t at, uint8_t *dst, uint32_t len)
{
	uint32_t first = cap - at < len ? cap - at : len;

	memcpy(dst, ring + at, first);
	memcpy(dst + first, ring, len - first);
}

/* A ring's memory on first use, empty (send and receive rings alike). @return 0; -ENOBUFS (memory limit). */
static int tcp_ring_ensure(struct tcp_mem *m, uint8_t **buf, uint32_t *cap, uint32_t *head, uint32_t want)
{
	if (*buf)
		return 0;
	*buf = tcp_mem_take(m, want);
	if (!*buf)
		return -ENOBUFS;
	*cap = want;
	*head = 0;
	return 0;
}

static int tcp_sndbuf_ensure(struct tcp_sndbuf *b, struct tcp_mem *m, uint32_t cap)
{
	if (!b->buf)
		b->len = 0;
	return tcp_ring_ensure(m, &b->buf, &b->cap, &b->head, cap);
}

int tcp_sndbuf_append(struct tcp_sndbuf *b, struct tcp_mem *m, uint32_t cap, const void *data, uint32_t len)
{
	int rc = tcp_sndbuf_ensure(b, m, cap);

	if (rc < 0)
		return rc;
	if (len > b->cap - b->len)
		len = b->cap - b->len;
	ring_put(b->buf, b->cap, (b->head + b->len) % b->cap, data, len);
	b->len += len;
	return (int)len;
}

int tcp_sndbuf_append_fd(struct tcp_sndbuf *b, struct tcp_mem *m, uint32_t cap, int fd, off_t off, uint32_t len)
{
	struct iovec iov[2];
	uint32_t at, first;
	ssize_t n;
	int rc = tcp_sndbuf_ensure(b, m, cap);

	if (rc < 0)
		return rc;
	if (len > b->cap - b->len)
		len = b->cap - b->len;
	if (len == 0)
		return -EAGAIN;
	/* The free space runs from the end of the data to the end of the ring, then from its start. */
	at = (b->head + b->len) % b->cap;
	first = b->cap - at < len ? b->cap - at : len;
	iov[0] = (struct iovec){ b->buf + at, first };
	iov[1] = (struct iovec){ b->buf, len - first };
	do
		n = preadv(fd, iov, len > first ? 2 : 1, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->len += (uint32_t)n;
	return (int)n;
}

void tcp_sndbuf_peek(const struct tcp_sndbuf *b, uint32_t off, void *dst, uint32_t len)
{
	ring_get(b->buf, b->cap, (b->head + off) % b->cap, dst, len);
}

void tcp_sndbuf_consume(struct tcp_sndbuf *b, uint32_t n)
{
	if (n > b->len)
		n = b->len;
	if (!n)
		return;
	b->head = (b->head + n) % b->cap;
	b->len -= n;
}

uint32_t tcp_sndbuf_space(const struct tcp_sndbuf *b, uint32_t cap)
{
	return b->buf ? b->cap - b->len : cap;
}

void tcp_sndbuf_free(struct tcp_sndbuf *b, struct tcp_mem *m)
{
	tcp_mem_give(m, &b->buf, b->cap);
	b->len = 0;
}

int tcp_rcvbuf_ensure(struct tcp_rcvbuf *b, struct tcp_mem *m, uint32_t cap)
{
	return tcp_ring_ensure(m, &b->buf, &b->cap, &b->head, cap);
}

void tcp_rcvbuf_write(struct tcp_rcvbuf *b, uint32_t off, const void *data, uint32_t len)
{
	ring_put(b->buf, b->cap, (b->head + off) % b->cap, data, len);
}

void tcp_rcvbuf_read(struct tcp_rcvbuf *b, void *dst, uint32_t len)
{
	ring_get(b->buf, b->cap, b->head, dst, len);
	b->head = (b->head + len) % b->cap;
}

void tcp_rcvbuf_free(struct tcp_rcvbuf *b, struct tcp_mem *m)
{
	tcp_mem_give(m, &b->buf, b->cap);
}
