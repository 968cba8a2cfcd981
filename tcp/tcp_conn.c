/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_conn.c - connections by 4-tuple, handles like file descriptors, listeners by 3-tuple. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_conn.h"

int tcp_table_init(struct tcp_table *t, uint32_t max, uint64_t key)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = 16;
	while (t->nbuckets < max && t->nbuckets < (1u << 20))
		t->nbuckets <<= 1;
	t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
	t->handle = calloc(max, sizeof(*t->handle));
	t->listener = calloc(max, sizeof(*t->listener));
	if (!t->bucket || !t->handle || !t->listener) {
		tcp_table_fini(t);
		return -ENOMEM;
	}
	t->max = max;
	t->key = key;
	return 0;
}

void tcp_table_fini(struct tcp_table *t)
{
	free(t->bucket);
	free(t->handle);
	free(t->listener);
	t->bucket = NULL;
	t->handle = NULL;
	t->listener = NULL;
}

/* A keyed mix of the 4-tuple (the key is the stack's secret, so chains are not predictable). */
static uint32_t tcp_tuple_hash(const struct tcp_table *t, const struct tcp_endpoints *ep)
{
	uint64_t h = t->key ^ ((uint64_t)ep->lport << 16 | ep->rport) ^ ((uint64_t)ep->family << 40);
	const uint8_t *a[2] = { ep->laddr, ep->raddr };
	unsigned n = ep->family == AF_INET ? 4 : 16;

	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < n; i += 4) {
			uint32_t w;

			memcpy(&w, a[k] + i, 4);
			h ^= w + ((uint64_t)k << 32);
			h *= 0x9e3779b97f4a7c15ull;
			h ^= h >> 29;
		}
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

static int tcp_ep_equal(const struct tcp_endpoints *a, const struct tcp_endpoints *b)
{
	return a->family == b->family && a->lport == b->lport && a->rport == b->rport &&
	       !memcmp(a->laddr, b->laddr, 16) && !memcmp(a->raddr, b->raddr, 16);
}

struct tcp_conn *tcp_conn_alloc(struct tcp_table *t)
{
	struct tcp_conn *c;

	if (t->count >= t->max)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->handle = -1;
	t->count++;
	return c;
}

void tcp_conn_free(struct tcp_table *t, struct tcp_mem *m, struct tcp_conn *c)
{
	if (!c)
		return;
	tcp_sndbuf_free(&c->snd, m);
	tcp_rcvbuf_free(&c->rcv, m);
	free(c->rx);
	free(c);
	t->count--;
}

void tcp_conn_hash(struct tcp_table *t, struct tcp_conn *c)
{
	struct tcp_conn **b = &t->bucket[tcp_tuple_hash(t, &c->ep) & (t->nbuckets - 1)];

	c->hash_next = *b;
	*b = c;
}

void tcp_conn_unhash(struct tcp_table *t, struct tcp_conn *c)
{
	struct tcp_conn **p = &t->bucket[tcp_tuple_hash(t, &c->ep) & (t->nbuckets - 1)];

	for (; *p; p = &(*p)->hash_next)
		if (*p == c) {
			*p = c->hash_next;
			c->hash_next = NULL;
			return;
		}
}

struct tcp_conn *tcp_conn_lookup(const struct tcp_table *t, const struct tcp_endpoints *ep)
{
	struct tcp_conn *c = t->bucket[tcp_tuple_hash(t, ep) & (t->nbuckets - 1)];

	for (; c; c = c->hash_next)
		if (tcp_ep_equal(&c->ep, ep))
			return c;
	return NULL;
}

int tcp_handle_attach(struct tcp_table *t, struct tcp_conn *c)
{
	for (uint32_t h = t->free_hint; h < t->max; h++)
		if (!t->handle[h]) {
			t->handle[h] = c;
			c->handle = (int)h;
			t->free_hint = h + 1;
			return (int)h;
		}
	t->free_hint = t->max;
	return -ENOSPC;
}

void tcp_handle_detach(struct tcp_table *t, struct tcp_conn *c)
{
	if (c->handle >= 0 && (uint32_t)c->handle < t->max && t->handle[c->handle] == c) {
		t->handle[c->handle] = NULL;
		if ((uint32_t)c->handle < t->free_hint)
			t->free_hint = (uint32_t)c->handle;
	}
	c->handle = -1;
}

struct tcp_conn *tcp_handle_get(const struct tcp_table *t, int h)
{
	if (h < 0 || (uint32_t)h >= t->max)
		return NULL;
	return t->handle[h];
}

int tcp_listener_add(struct tcp_table *t, struct tcp_conn *l)
{
	/* One listener per exact 3-tuple; a wildcard and a specific address may coexist (the specific wins). */
	for (uint32_t i = 0; i < t->nlisteners; i++) {
		const struct tcp_conn *o = t->listener[i];

		if (o->ep.family == l->ep.family && o->ep.lport == l->ep.lport && !memcmp(o->ep.laddr, l->ep.laddr, 16))
			return -EADDRINUSE;
	}
	t->listener[t->nlisteners++] = l;
	return 0;
}

void tcp_listener_remove(struct tcp_table *t, struct tcp_conn *l)
{
	for (uint32_t i = 0; i < t->nlisteners; i++)
		if (t->listener[i] == l) {
			t->listener[i] = t->listener[--t->nlisteners];
			return;
		}
}

struct tcp_conn *tcp_listener_lookup(const struct tcp_table *t, uint8_t family, const uint8_t addr[16], uint16_t port)
{
	static const uint8_t any[16];
	struct tcp_conn *wild = NULL;

	/* Listeners are few (one per served port and address): a linear scan. */
	for (uint32_t i = 0; i < t->nlisteners; i++) {
		struct tcp_conn *l = t->listener[i];

		if (l->ep.family != family || l->ep.lport != port)
			continue;
		if (!memcmp(l->ep.laddr, addr, 16))
			return l;
		if (!memcmp(l->ep.laddr, any, 16))
			wild = l;
	}
	return wild;
}
