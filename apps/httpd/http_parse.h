/* SPDX-License-Identifier: BSD-2-Clause */
/* http_parse.h - HTTP/1.x request heads (RFC 9112): bounded, incremental over partial reads. */
#ifndef MSTACK_HTTP_PARSE_H
#define MSTACK_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Limits on what a client controls. A request line longer than
 * HTTP_LINE_MAX is answered 414, a head (request line and fields) larger
 * than HTTP_HEAD_MAX or with more than HTTP_FIELDS_MAX fields 431, a body
 * (which GET and HEAD never need, so it is read and dropped) larger than
 * HTTP_BODY_MAX 413. The connection's input buffer is HTTP_HEAD_MAX bytes.
 */
#define HTTP_LINE_MAX   4096
#define HTTP_HEAD_MAX   8192
#define HTTP_FIELDS_MAX 64
#define HTTP_BODY_MAX   65536
/* If-None-Match field lines kept; a request with more is answered as if none matched. */
#define HTTP_INM_LINES_MAX 8

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER, /* a well-formed method this server does not serve: 405 */
};

struct http_request {
	enum http_method method;
	const char *target; /* origin-form path and query, into the parsed buffer; not NUL-terminated */
	size_t target_len;
	uint8_t version_minor;   /* HTTP/1.0 or HTTP/1.1 (a higher 1.x is taken as 1.1) */
	bool keep_alive;         /* RFC 9112 9.3, from the version and Connection */
	uint64_t content_length; /* body bytes that follow the head */
	size_t head_len;         /* bytes of the head, leading empty lines included */
	/*
	 * RFC 9110 13.1.3: the value of If-Modified-Since (trimmed, into the
	 * parsed buffer like target), NULL when absent or sent more than once.
	 * Whether it is a valid HTTP-date is for the one who evaluates it.
	 */
	const char *if_modified_since;
	size_t if_modified_since_len;
	/*
	 * RFC 9110 13.1.2: the If-None-Match field lines (values trimmed, into
	 * the parsed buffer), the first HTTP_INM_LINES_MAX of if_none_match_lines.
	 * Present (any count), it decides alone: If-Modified-Since is ignored.
	 */
	uint32_t if_none_match_lines;
	struct {
		const char *s;
		size_t len;
	} if_none_match[HTTP_INM_LINES_MAX];
};

/* Where the search for the end of the head resumes: the buffer is scanned once, whatever the reads. */
struct http_parser {
	size_t scanned;    /* bytes already looked at */
	size_t line_start; /* start of the line being scanned */
	size_t req_start;  /* start of the request line, after leading empty lines */
	uint32_t lines;    /* lines seen, not counting leading empty ones */
};

void http_parser_reset(struct http_parser *p);

/**
 * Look for a complete request head at the start of buf (len bytes, of which
 * the first p->scanned were seen by earlier calls: the caller only appends,
 * and resets p when it drops a parsed request from the front).
 * @return
 *   - > 0: the head is complete and valid, *req filled, head_len bytes long;
 *   - 0: incomplete, call again with more bytes;
 *   - -400, -413, -414, -431, -501, -505: the request is refused with that status
 *     (the connection cannot be trusted to be in sync afterwards: close it).
 */
int http_parse(struct http_parser *p, const char *buf, size_t len, struct http_request *req);

/**
 * RFC 9110 13.1.2, 8.8.3.2: whether one If-None-Match field value, "*" or a
 * comma-separated list of entity tags (W/"..." or "...", optional
 * whitespace, empty elements allowed, RFC 9110 5.6.1.2), holds etag (a
 * strong entity tag with its quotes, as sent in ETag) by the weak comparison: the
 * opaque tags are equal, whether either is weak or not. "*" matches any
 * etag. One pass over the value, however many tags it lists.
 * @return 1 it matches; 0 it does not; -EINVAL the value is malformed
 *   (checked to its end even after a match). etag NULL only checks the value.
 */
int http_etag_list_match(const char *v, size_t len, const char *etag, size_t etag_len);

#endif
