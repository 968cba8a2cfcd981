/* SPDX-License-Identifier: BSD-2-Clause */
/* http_resp.h - response heads: status line, framing, content type, dates, persistence. */
#ifndef MSTACK_HTTP_RESP_H
#define MSTACK_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http_date.h"

/* A response head (and an error's small body) always fits in this much. */
#define HTTP_RESP_HEAD_MAX 512

struct http_resp {
	int status;
	bool keep_alive;           /* the connection stays open after this response */
	bool keep_alive_explicit;  /* say "Connection: keep-alive" (an HTTP/1.0 client asked for it) */
	bool head_only;            /* HEAD: the same head, no body */
	uint64_t content_length;   /* of the file; ignored for errors, which carry their own body */
	const char *content_type;  /* NULL: none */
	const char *last_modified; /* IMF-fixdate or NULL */
	const char *etag;          /* entity tag, quotes included, or NULL */
	const char *date;          /* IMF-fixdate of now */
};

/* The reason phrase of a status this server sends ("" for others). */
const char *http_reason(int status);

/* The media type for a path, from its extension; application/octet-stream when unknown. */
const char *http_content_type(const char *path);

/**
 * Write the head of r into buf: status line, Date, Server, Content-Length,
 * Content-Type, Last-Modified, ETag, Connection, and for 405 Allow; for 304
 * only Date, Last-Modified, ETag and Connection. A status of 400 or more gets a short
 * text/plain body after the head (none for HEAD).
 * @return the length written; -ENOSPC (cap too small; HTTP_RESP_HEAD_MAX always fits).
 */
int http_resp_head(char *buf, size_t cap, const struct http_resp *r);

#endif
