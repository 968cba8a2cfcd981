/* SPDX-License-Identifier: BSD-2-Clause */
/* http_parse.c - HTTP/1.x request heads (RFC 9112): bounded, incremental over partial reads. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"

/* RFC 9110 5.6.2: tchar, the characters of a token (methods, field names, Connection options). */
static bool hp_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* RFC 9110 5.5: field-value characters: VCHAR, obs-text, SP and HTAB; never another CTL. */
static bool hp_field_char(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || (ch > 0x20 && ch != 0x7f);
}

void http_parser_reset(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
}

/* A line without its terminator: bare LF is accepted as a line end (RFC 9112 2.2), CR only before LF. */
struct hp_line {
	const char *s;
	size_t len;
};

static size_t hp_trim_cr(const char *s, size_t len)
{
	return len > 0 && s[len - 1] == '\r' ? len - 1 : len;
}

/*
 * The method of a partial request line, checked as it arrives so that
 * garbage (a TLS handshake, a binary protocol) is refused at once instead
 * of after HTTP_LINE_MAX bytes.
 */
static int hp_check_method_prefix(const char *buf, size_t start, size_t len)
{
	for (size_t i = start; i < len; i++) {
		if (buf[i] == ' ')
			return i > start ? 0 : -400;
		if (buf[i] == '\r' && i + 1 == len && i == start)
			return 0; /* maybe a leading empty line whose LF is still to come */
		if (!hp_tchar((unsigned char)buf[i]))
			return -400;
	}
	return 0;
}

/*
 * RFC 9112 3.2: origin-form ("/path?query") as is; absolute-form
 * ("http://host/path", which a server MUST accept, 3.2.2) reduced to its
 * path; anything else (authority-form, asterisk-form) is only valid with
 * methods this server refuses anyway.
 */
static int hp_target(struct http_request *req, const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return -400;
	if (len > 0 && t[0] == '/') {
		req->target = t;
		req->target_len = len;
		return 0;
	}
	size_t scheme = 0;
	if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
		scheme = 7;
	else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
		scheme = 8;
	if (scheme) {
		const char *path = memchr(t + scheme, '/', len - scheme);

		if (path == t + scheme)
			return -400; /* no authority */
		req->target = path ? path : "/";
		req->target_len = path ? len - (size_t)(path - t) : 1;
		return 0;
	}
	if (req->method == HTTP_OTHER) {
		req->target = t;
		req->target_len = len;
		return 0;
	}
	return -400;
}

/* RFC 9112 3: request-line = method SP request-target SP HTTP-version, single spaces. */
static int hp_request_line(struct http_request *req, struct hp_line l)
{
	const char *sp1 = memchr(l.s, ' ', l.len), *sp2, *v;
	size_t vlen;
	int rc;

	if (!sp1 || sp1 == l.s)
		return -400;
	for (const char *m = l.s; m < sp1; m++)
		if (!hp_tchar((unsigned char)*m))
			return -400;
	/* RFC 9110 9.1: methods are case-sensitive. */
	if (sp1 - l.s == 3 && memcmp(l.s, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (sp1 - l.s == 4 && memcmp(l.s, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	sp2 = memchr(sp1 + 1, ' ', l.len - (size_t)(sp1 + 1 - l.s));
	if (!sp2 || sp2 == sp1 + 1)
		return -400;
	rc = hp_target(req, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	if (rc < 0)
		return rc;
	/* RFC 9112 2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive. */
	v = sp2 + 1;
	vlen = l.len - (size_t)(v - l.s);
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
	    v[7] > '9')
		return -400;
	if (v[5] != '1')
		return -505; /* RFC 9110 15.6.6: a major version this server does not support */
	/* RFC 9110 2.5: a higher minor version is handled as the highest one supported. */
	req->version_minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* RFC 9110 7.6.1: Connection is a list of options; "close" and "keep-alive" are the ones that matter. */
static int hp_connection(const char *v, size_t len, bool *close, bool *keep_alive)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && hp_tchar((unsigned char)v[i]))
			i++;
		end = i;
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < len && v[i] != ',')
			return -400;
		if (end - start == 5 && strncasecmp(v + start, "close", 5) == 0)
			*close = true;
		else if (end - start == 10 && strncasecmp(v + start, "keep-alive", 10) == 0)
			*keep_alive = true;
	}
	return 0;
}

/*
 * RFC 9112 6.3: Content-Length is 1*DIGIT; a list of identical values may
 * be taken as one, differing values are an unrecoverable framing error.
 */
static int hp_content_length(const char *v, size_t len, uint64_t *out, bool *seen)
{
	size_t i = 0;

	while (i < len) {
		uint64_t n = 0;
		size_t digits = 0;

		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		while (i < len && v[i] >= '0' && v[i] <= '9') {
			if (n > (UINT64_MAX - 9) / 10)
				return -400;
			n = n * 10 + (uint64_t)(v[i++] - '0');
			digits++;
		}
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (!digits || (i < len && v[i++] != ','))
			return -400;
		if (*seen && n != *out)
			return -400;
		*out = n;
		*seen = true;
	}
	return *seen ? 0 : -400;
}

struct hp_fields {
	uint32_t hosts, if_modified_since;
	bool te, cl_seen, conn_close, conn_keep_alive;
};

/* RFC 9110 13.1.3: a field value with more than one member is ignored; two fields are two members. */
static void hp_if_modified_since(struct http_request *req, struct hp_fields *f, const char *v, size_t len)
{
	req->if_modified_since = ++f->if_modified_since == 1 ? v : NULL;
	req->if_modified_since_len = req->if_modified_since ? len : 0;
}

/*
 * RFC 9110 5.3: several If-None-Match lines are one list; each is kept for
 * the evaluation (http_etag_list_match on each), which needs the file's tag.
 */
static void hp_if_none_match(struct http_request *req, const char *v, size_t len)
{
	uint32_t i = req->if_none_match_lines++;

	if (i < HTTP_INM_LINES_MAX) {
		req->if_none_match[i].s = v;
		req->if_none_match[i].len = len;
	}
}

/* RFC 9112 5: field-line = field-name ":" OWS field-value OWS. */
static int hp_field(struct http_request *req, struct hp_fields *f, struct hp_line l)
{
	const char *colon = memchr(l.s, ':', l.len);
	const char *v, *end = l.s + l.len;
	size_t nlen;

	/* RFC 9112 5.2: obs-fold is refused with 400. */
	if (l.s[0] == ' ' || l.s[0] == '\t')
		return -400;
	/* RFC 9112 5.1: no whitespace between the name and the colon: 400. */
	if (!colon || colon == l.s)
		return -400;
	for (const char *n = l.s; n < colon; n++)
		if (!hp_tchar((unsigned char)*n))
			return -400;
	nlen = (size_t)(colon - l.s);
	for (v = colon + 1; v < end; v++)
		if (!hp_field_char((unsigned char)*v))
			return -400;
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (nlen == 4 && strncasecmp(l.s, "host", 4) == 0)
		f->hosts++;
	else if (nlen == 10 && strncasecmp(l.s, "connection", 10) == 0)
		return hp_connection(v, (size_t)(end - v), &f->conn_close, &f->conn_keep_alive);
	else if (nlen == 14 && strncasecmp(l.s, "content-length", 14) == 0)
		return hp_content_length(v, (size_t)(end - v), &req->content_length, &f->cl_seen);
	else if (nlen == 17 && strncasecmp(l.s, "transfer-encoding", 17) == 0)
		f->te = true;
	else if (nlen == 17 && strncasecmp(l.s, "if-modified-since", 17) == 0)
		hp_if_modified_since(req, f, v, (size_t)(end - v));
	else if (nlen == 13 && strncasecmp(l.s, "if-none-match", 13) == 0)
		hp_if_none_match(req, v, (size_t)(end - v));
	return 0;
}

/* The head [start, end) is complete: its lines, each ending in LF (CR LF or bare LF). */
static int hp_head(struct http_request *req, const char *buf, size_t start, size_t end)
{
	struct hp_fields f = { 0 };
	size_t i = start;
	bool first = true;
	int rc;

	memset(req, 0, sizeof(*req));
	while (i < end) {
		const char *lf = memchr(buf + i, '\n', end - i);
		struct hp_line l = { buf + i, hp_trim_cr(buf + i, (size_t)(lf - (buf + i))) };

		i = (size_t)(lf - buf) + 1;
		if (l.len == 0)
			break; /* the empty line that ends the head */
		/* A CR anywhere but before LF is not a line end, and not allowed elsewhere (RFC 9112 2.2). */
		if (memchr(l.s, '\r', l.len))
			return -400;
		rc = first ? hp_request_line(req, l) : hp_field(req, &f, l);
		if (rc < 0)
			return rc;
		first = false;
	}
	/* RFC 9112 3.2: a 1.1 request without Host, or any request with several, is a 400. */
	if (f.hosts > 1 || (req->version_minor == 1 && f.hosts == 0))
		return -400;
	/*
	 * RFC 9112 6.1: Transfer-Encoding in a 1.0 request is faulty framing
	 * (400); in 1.1 this server, which takes no request bodies, does not
	 * implement it (501). Either way the connection closes, which also
	 * settles a request that carries both it and Content-Length (6.3).
	 */
	if (f.te)
		return req->version_minor == 0 ? -400 : -501;
	if (req->content_length > HTTP_BODY_MAX)
		return -413;
	/* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
	req->keep_alive = !f.conn_close && (req->version_minor == 1 || f.conn_keep_alive);
	req->head_len = end;
	return (int)end;
}

/* RFC 9110 8.8.3: etagc = %x21 / %x23-7E / obs-text. */
static bool hp_etagc(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch != 0x7f);
}

static bool hp_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * RFC 9110 13.1.2: If-None-Match = "*" / #entity-tag; 8.8.3: entity-tag =
 * [ %s"W/" ] DQUOTE *etagc DQUOTE (the W is case-sensitive); 8.8.3.2: the
 * weak comparison matches two tags whose opaque-tags are equal, weak or not.
 * "*" stands alone: with a tag beside it the value is malformed.
 */
int http_etag_list_match(const char *v, size_t len, const char *etag, size_t etag_len)
{
	bool match = false;
	size_t i = 0;

	if (len == 1 && v[0] == '*')
		return 1;
	while (i < len) {
		size_t start;

		if (hp_ows(v[i]) || v[i] == ',') {
			i++; /* RFC 9110 5.6.1.2: empty list elements and the whitespace around them */
			continue;
		}
		if (len - i >= 2 && v[i] == 'W' && v[i + 1] == '/')
			i += 2;
		if (i >= len || v[i] != '"')
			return -EINVAL;
		start = i++;
		while (i < len && hp_etagc((unsigned char)v[i]))
			i++;
		if (i >= len || v[i] != '"')
			return -EINVAL;
		i++;
		if (etag && i - start == etag_len && memcmp(v + start, etag, etag_len) == 0)
			match = true;
		while (i < len && hp_ows(v[i]))
			i++;
		if (i < len && v[i] != ',')
			return -EINVAL;
	}
	return match;
}

/*
 * Scan only the bytes not seen before, line by line: an LF ends a line; an
 * empty line after the request line ends the head. Empty lines before the
 * request line are skipped (RFC 9112 2.2), within the same limits.
 */
int http_parse(struct http_parser *p, const char *buf, size_t len, struct http_request *req)
{
	int rc;

	for (size_t i = p->scanned; i < len; i++) {
		size_t llen;

		if (buf[i] != '\n')
			continue;
		llen = hp_trim_cr(buf + p->line_start, i - p->line_start);
		if (llen == 0 && p->lines == 0) {
			p->line_start = i + 1; /* a leading empty line */
			continue;
		}
		if (p->lines == 0 && llen > HTTP_LINE_MAX)
			return -414;
		if (llen == 0) {
			if (i + 1 > HTTP_HEAD_MAX)
				return -431;
			p->scanned = i + 1;
			return hp_head(req, buf, p->req_start, i + 1);
		}
		if (p->lines == 0) {
			/* The same early verdict whether the line arrived whole or in pieces. */
			rc = hp_check_method_prefix(buf, p->line_start, i);
			if (rc < 0)
				return rc;
			p->req_start = p->line_start;
		}
		if (++p->lines > HTTP_FIELDS_MAX + 1)
			return -431;
		p->line_start = i + 1;
	}
	p->scanned = len;
	if (p->lines == 0) {
		rc = hp_check_method_prefix(buf, p->line_start, len);
		if (rc < 0)
			return rc;
		if (len - p->line_start > HTTP_LINE_MAX)
			return -414;
	}
	if (len >= HTTP_HEAD_MAX)
		return -431;
	return 0;
}
