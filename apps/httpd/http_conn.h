/* SPDX-License-Identifier: BSD-2-Clause */
/* http_conn.h - the HTTP server over a transport: per-connection state machines, timeouts, limits. */
#ifndef MSTACK_HTTP_CONN_H
#define MSTACK_HTTP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "http_file.h"
#include "http_parse.h"
#include "transport.h"

/* The timeouts; each kind has its own list, in deadline order because its duration is fixed. */
enum http_timer {
	HTTP_T_HEADER, /* from a request's first byte (or the accept) to its complete head: slowloris */
	HTTP_T_IDLE,   /* keep-alive: between requests */
	HTTP_T_SEND,   /* no byte of the response taken by the transport for this long: a client that does not read */
	HTTP_T_LINGER, /* after our FIN, draining what the client still sends so that close does not reset */
	HTTP_T_KINDS,
	HTTP_T_NONE = HTTP_T_KINDS,
};

struct http_server_config {
	int root_fd;
	uint32_t max_conns;                /* more are not accepted [10240] */
	uint32_t timeout_ms[HTTP_T_KINDS]; /* [10000, 15000, 30000, 2000] */
	uint32_t max_pipeline;             /* requests answered per connection per turn before others [16] */
	struct http_cache_limits cache;
};

struct http_conn;

/* What a server counts. */
struct http_stats {
	uint64_t accepted, closed, requests, responses_2xx, responses_3xx, responses_4xx, responses_5xx;
	uint64_t timeouts[HTTP_T_KINDS];
	uint64_t resets;  /* connections that died on a transport error */
	uint64_t refused; /* connections refused at max_conns or for memory */
};

struct http_conn_list {
	struct http_conn *head, *tail;
};

/* One server per thread and transport; it owns the connections and the file cache. */
struct http_server {
	struct http_transport *tr;
	struct http_server_config cfg;
	struct http_cache *cache;
	uint32_t nconns;
	struct http_conn_list timers[HTTP_T_KINDS];
	struct http_conn_list runnable; /* connections with work left after their turn */
	time_t date_sec;
	char date[HTTP_DATE_LEN];
	struct http_stats stats;
	char scratch[HTTP_HEAD_MAX]; /* the input buffer lent to a connection for its turn */
};

/* @return 0; -ENOMEM. cfg's zeros take the defaults. */
int http_server_init(struct http_server *s, struct http_transport *tr, const struct http_server_config *cfg);
/* Reset every connection, free the cache. */
void http_server_fini(struct http_server *s);

/* True when another connection would exceed max_conns: leave it in the transport's backlog. */
bool http_server_full(const struct http_server *s);

/**
 * A connection the transport accepted, handle h, writable. @return the
 * connection (the transport passes it back with each event); NULL when the
 * server is full or out of memory: the transport resets h.
 */
struct http_conn *http_conn_open(struct http_server *s, int h, uint64_t now_ms);

#define HTTP_EV_READ  0x1u
#define HTTP_EV_WRITE 0x2u
#define HTTP_EV_ERROR 0x4u /* the transport says the connection is dead: release it */

/* The transport reports events of c; c may be closed and freed on return. */
void http_conn_event(struct http_conn *c, uint32_t events, uint64_t now_ms);

/* Give connections that still had work after their turn another one, and expire deadlines. */
void http_server_run(struct http_server *s, uint64_t now_ms);

/* Milliseconds the transport may sleep: 0 if work is waiting, -1 if nothing is due. */
int http_server_timeout(const struct http_server *s, uint64_t now_ms);

/* The memory a connection holds of its own, at most (the file it sends is shared). */
size_t http_conn_mem_max(void);

#endif
