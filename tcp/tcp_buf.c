/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_buf.c - send and receive byte rings, allocated lazily within the stack's memory limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_buf.h"

static uint8_t *tcp_mem_take(struct tcp_mem *m, uint32_t cap)
{
	uint8_t *p;

	if (m->used + cap > m->max) {
		m->refused++;
		return NULL;
	}
	p = malloc(cap);
	if (p)
		m->used += cap;
	return p;
}

static void tcp_mem_give(struct tcp_mem *m, uint8_t **p, uint32_t cap)
{
	if (!*p)
		return;
	free(*p);
	*p = NULL;
	m->used -= cap;
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

int tcp_sndbuf_append(struct tcp_sndbuf *b, struct tcp_mem *m, uint32_t cap, const void *data, uint32_t len)
{
	uint32_t room;

	if (!b->buf) {
		b->buf = tcp_mem_take(m, cap);
		if (!b->buf)
			return -ENOBUFS;
		b->cap = cap;
		b->head = 0;
		b->len = 0;
	}
	room = b->cap - b->len;
	if (len > room)
		len = room;
	ring_put(b->buf, b->cap, (b->head + b->len) % b->cap, data, len);
	b->len += len;
	return (int)len;
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
	if (b->buf)
		return 0;
	b->buf = tcp_mem_take(m, cap);
	if (!b->buf)
		return -ENOBUFS;
	b->cap = cap;
	b->head = 0;
	return 0;
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
