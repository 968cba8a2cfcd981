/* SPDX-License-Identifier: BSD-2-Clause */
/* http_resp.c - response heads: status line, framing, content type, dates, persistence. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_resp.h"

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "";
}

const char *http_content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "css", "text/css" },
		{ "js", "text/javascript" },
		{ "json", "application/json" },
		{ "xml", "application/xml" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "webp", "image/webp" },
		{ "ico", "image/vnd.microsoft.icon" },
		{ "pdf", "application/pdf" },
		{ "wasm", "application/wasm" },
		{ "woff2", "font/woff2" },
		{ "mp4", "video/mp4" },
		{ "gz", "application/gzip" },
		{ "tar", "application/x-tar" },
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Append to buf what fmt says, if it fits; *off counts what would have been written. */
static void hr_put(char *buf, size_t cap, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void hr_put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*off < cap ? buf + *off : NULL, *off < cap ? cap - *off : 0, fmt, ap);
	va_end(ap);
	*off += n > 0 ? (size_t)n : 0;
}

/*
 * RFC 9110 6.2: the response is HTTP/1.1 whatever 1.x the request was.
 * RFC 9112 9.3/9.6: "Connection: close" when the server closes after it;
 * "keep-alive" for a 1.0 client that asked to persist (RFC 2068 19.7.1).
 * RFC 9110 15.5.6: 405 carries Allow. RFC 9110 6.6.1: Date from a server
 * with a clock. RFC 9110 9.3.2: HEAD has GET's fields, Content-Length
 * included, and no body. RFC 9110 15.4.5: 304 has no content and carries
 * Date and the validators a 200 would carry, ETag and Last-Modified (an
 * error carries neither: it is not the file's); no Content-Length
 * (RFC 9110 8.6 allows one only equal to the 200's, which says nothing).
 */
int http_resp_head(char *buf, size_t cap, const struct http_resp *r)
{
	bool error = r->status >= 400, not_modified = r->status == 304;
	char body[64] = "";
	size_t off = 0;

	if (error)
		snprintf(body, sizeof(body), "%d %s\n", r->status, http_reason(r->status));
	hr_put(buf, cap, &off, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: mstack-httpd\r\n", r->status,
	       http_reason(r->status), r->date);
	if (!not_modified)
		hr_put(buf, cap, &off, "Content-Length: %" PRIu64 "\r\n",
		       error ? (uint64_t)strlen(body) : r->content_length);
	if (error)
		hr_put(buf, cap, &off, "Content-Type: text/plain; charset=utf-8\r\n");
	else if (r->content_type && !not_modified)
		hr_put(buf, cap, &off, "Content-Type: %s\r\n", r->content_type);
	if (r->last_modified && !error)
		hr_put(buf, cap, &off, "Last-Modified: %s\r\n", r->last_modified);
	if (r->etag && !error)
		hr_put(buf, cap, &off, "ETag: %s\r\n", r->etag);
	if (r->status == 405)
		hr_put(buf, cap, &off, "Allow: GET, HEAD\r\n");
	if (!r->keep_alive)
		hr_put(buf, cap, &off, "Connection: close\r\n");
	else if (r->keep_alive_explicit)
		hr_put(buf, cap, &off, "Connection: keep-alive\r\n");
	hr_put(buf, cap, &off, "\r\n%s", error && !r->head_only ? body : "");
	if (off >= cap)
		return -ENOSPC;
	return (int)off;
}
