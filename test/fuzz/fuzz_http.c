/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_http.c - libFuzzer target: mstack-httpd's request parser over pipelined, split input, and path decoding. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "http_parse.h"
#include "http_path.h"

#define FZ_MAX_REQS 64

struct fz_result {
	int rc[FZ_MAX_REQS];
	size_t head_len[FZ_MAX_REQS];
	int n;
};

/* What a parsed request must look like, whatever the input. */
static void fz_check_request(const struct http_request *r, const char *buf, size_t len, int rc)
{
	char path[HTTP_PATH_MAX];
	int prc;

	FZ_ASSERT((size_t)rc == r->head_len && r->head_len <= len && r->head_len <= HTTP_HEAD_MAX);
	FZ_ASSERT(r->method == HTTP_GET || r->method == HTTP_HEAD || r->method == HTTP_OTHER);
	FZ_ASSERT(r->version_minor <= 1);
	FZ_ASSERT(r->content_length <= HTTP_BODY_MAX);
	FZ_ASSERT(r->target_len > 0);
	/* The target is in the buffer (or the constant "/" of an absolute-form without path). */
	FZ_ASSERT((r->target >= buf && r->target + r->target_len <= buf + r->head_len) ||
		  (r->target_len == 1 && r->target[0] == '/'));
	for (size_t i = 0; i < r->target_len; i++)
		FZ_ASSERT((unsigned char)r->target[i] > 0x20 && (unsigned char)r->target[i] < 0x7f);
	if (r->method != HTTP_OTHER)
		FZ_ASSERT(r->target[0] == '/');
	prc = http_path_decode(r->target, r->target_len, path, sizeof(path));
	FZ_ASSERT(prc == 0 || prc == -EINVAL || prc == -EPERM || prc == -ENAMETOOLONG);
	if (prc == 0) {
		/* Confinement's half that is ours: relative, no "..", ".", empty segment or NUL inside. */
		size_t plen = strlen(path), seg = 0;

		FZ_ASSERT(plen < sizeof(path));
		FZ_ASSERT(plen == 0 || (path[0] != '/' && path[plen - 1] != '/'));
		for (size_t i = 0; plen > 0 && i <= plen; i++) {
			if (i < plen && path[i] != '/')
				continue;
			FZ_ASSERT(i > seg);
			FZ_ASSERT(!(i - seg == 1 && path[seg] == '.'));
			FZ_ASSERT(!(i - seg == 2 && path[seg] == '.' && path[seg + 1] == '.'));
			seg = i + 1;
		}
	}
}

/*
 * Serve the stream as a connection does: an input buffer of HTTP_HEAD_MAX
 * filled by reads of `chunk` bytes, requests (and their bodies) dropped from
 * its front, until a refusal or the end.
 */
static void fz_run(const char *in, size_t len, size_t chunk, struct fz_result *res)
{
	static char buf[HTTP_HEAD_MAX];
	struct http_parser p;
	size_t have = 0, off = 0;
	uint64_t body = 0;

	res->n = 0;
	http_parser_reset(&p);
	for (;;) {
		size_t take = len - off < chunk ? len - off : chunk;
		struct http_request r;
		int rc;

		if (take > HTTP_HEAD_MAX - have)
			take = HTTP_HEAD_MAX - have;
		memcpy(buf + have, in + off, take);
		have += take;
		off += take;
		for (;;) {
			size_t drop = body < have ? (size_t)body : have;

			memmove(buf, buf + drop, have - drop);
			have -= drop;
			body -= drop;
			if (body || !have)
				break;
			rc = http_parse(&p, buf, have, &r);
			FZ_ASSERT(rc >= 0 || rc == -400 || rc == -413 || rc == -414 || rc == -431 || rc == -501 ||
				  rc == -505);
			if (rc == 0) {
				/* Incomplete never means a full buffer: that is 414 or 431. */
				FZ_ASSERT(have < HTTP_HEAD_MAX);
				break;
			}
			FZ_ASSERT(res->n < FZ_MAX_REQS);
			res->rc[res->n] = rc;
			res->head_len[res->n++] = rc > 0 ? r.head_len : 0;
			if (rc < 0 || res->n == FZ_MAX_REQS)
				return;
			fz_check_request(&r, buf, have, rc);
			have -= r.head_len;
			memmove(buf, buf + r.head_len, have);
			body = r.content_length;
			http_parser_reset(&p);
		}
		if (off == len)
			return;
	}
}

/* data[0] picks the read size; the rest is what a client sends. Every read size must give the same answers. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_result whole, split;
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 97 + 1;
	fz_run((const char *)data + 1, size - 1, HTTP_HEAD_MAX, &whole);
	fz_run((const char *)data + 1, size - 1, chunk, &split);
	FZ_ASSERT(whole.n == split.n);
	for (int i = 0; i < whole.n; i++) {
		FZ_ASSERT(whole.rc[i] == split.rc[i] || (whole.rc[i] < 0 && split.rc[i] < 0));
		FZ_ASSERT(whole.head_len[i] == split.head_len[i]);
	}
	return 0;
}
