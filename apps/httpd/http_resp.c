/* SPDX-License-Identifier: BSD-2-Clause */
/* http_resp.c - response heads: status line, framing, content type, dates, persistence. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_resp.h"

/* RFC 9110 5.6.7: the names are fixed English, whatever the locale. */
void http_date(time_t t, char out[HTTP_DATE_LEN])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char tmp[64];

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, HTTP_DATE_LEN - 1); /* 29 characters once the year has 4 digits, checked above */
	out[HTTP_DATE_LEN - 1] = '\0';
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
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

/*
 * RFC 9110 6.2: the response is HTTP/1.1 whatever 1.x the request was.
 * RFC 9112 9.3/9.6: "Connection: close" when the server closes after it;
 * "keep-alive" for a 1.0 client that asked to persist (RFC 2068 19.7.1).
 * RFC 9110 15.5.6: 405 carries Allow. RFC 9110 6.6.1: Date from a server
 * with a clock. RFC 9110 9.3.2: HEAD has GET's fields, Content-Length
 * included, and no body.
 */
int http_resp_head(char *buf, size_t cap, const struct http_resp *r)
{
	char body[64];
	int blen = 0, n;

	if (r->status >= 400)
		blen = snprintf(body, sizeof(body), "%d %s\n", r->status, http_reason(r->status));
	n = snprintf(buf, cap,
		     "HTTP/1.1 %d %s\r\n"
		     "Date: %s\r\n"
		     "Server: mstack-httpd\r\n"
		     "Content-Length: %" PRIu64 "\r\n"
		     "%s%s%s"
		     "%s%s%s"
		     "%s"
		     "%s"
		     "\r\n"
		     "%s",
		     r->status, http_reason(r->status), r->date, blen ? (uint64_t)blen : r->content_length,
		     r->content_type || blen ? "Content-Type: " : "",
		     blen ? "text/plain; charset=utf-8" : (r->content_type ? r->content_type : ""),
		     r->content_type || blen ? "\r\n" : "", r->last_modified && !blen ? "Last-Modified: " : "",
		     r->last_modified && !blen ? r->last_modified : "", r->last_modified && !blen ? "\r\n" : "",
		     r->status == 405 ? "Allow: GET, HEAD\r\n" : "",
		     !r->keep_alive ? "Connection: close\r\n"
				    : (r->keep_alive_explicit ? "Connection: keep-alive\r\n" : ""),
		     blen && !r->head_only ? body : "");
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}
