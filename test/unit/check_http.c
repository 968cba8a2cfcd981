/* SPDX-License-Identifier: BSD-2-Clause */
/* check_http.c - mstack-httpd's request parser (RFC 9112), path confinement, file cache and response heads. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "http_conn.h"
#include "http_file.h"
#include "http_parse.h"
#include "http_path.h"
#include "http_resp.h"
#include "httpd.h"
#include "check_main.h"

/* Parse s whole, in one read. */
static int parse_all(const char *s, struct http_request *req)
{
	struct http_parser p;

	http_parser_reset(&p);
	return http_parse(&p, s, strlen(s), req);
}

START_TEST(test_a_simple_get_is_parsed_and_persists_in_1_1)
{
	const char *s = "GET /index.html?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\n\r\n";
	struct http_request r;

	ck_assert_int_eq(parse_all(s, &r), (int)strlen(s));
	ck_assert_int_eq(r.method, HTTP_GET);
	ck_assert_int_eq(r.version_minor, 1);
	ck_assert(r.keep_alive);
	ck_assert_uint_eq(r.head_len, strlen(s));
	ck_assert_uint_eq(r.target_len, strlen("/index.html?x=1"));
	ck_assert(memcmp(r.target, "/index.html?x=1", r.target_len) == 0);
}
END_TEST

/* RFC 9112 9.3: persistence by version and Connection options (case-insensitive, in a list). */
START_TEST(test_keep_alive_follows_the_version_and_connection_rules)
{
	static const struct {
		const char *req;
		bool keep_alive;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", false },
		{ "GET / HTTP/1.9\r\nHost: h\r\n\r\n", true }, /* a higher 1.x minor is 1.1 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request r;

		ck_assert_msg(parse_all(cases[i].req, &r) > 0, "case %zu", i);
		ck_assert_msg(r.keep_alive == cases[i].keep_alive, "case %zu: %s", i, cases[i].req);
	}
}
END_TEST

START_TEST(test_methods_head_and_others_are_told_apart)
{
	struct http_request r;

	ck_assert(parse_all("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	ck_assert_int_eq(r.method, HTTP_HEAD);
	ck_assert(parse_all("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", &r) > 0);
	ck_assert_int_eq(r.method, HTTP_OTHER);
	ck_assert_uint_eq(r.content_length, 3);
	/* RFC 9110 9.1: case-sensitive, "get" is another (valid) method. */
	ck_assert(parse_all("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	ck_assert_int_eq(r.method, HTTP_OTHER);
	/* Authority-form and asterisk-form are for methods this server refuses with 405. */
	ck_assert(parse_all("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	ck_assert_int_eq(r.method, HTTP_OTHER);
}
END_TEST

/* RFC 9112 3.2.2: absolute-form is accepted, reduced to its path. */
START_TEST(test_absolute_form_targets_are_reduced_to_their_path)
{
	struct http_request r;

	ck_assert(parse_all("GET http://example.org/a/b?q HTTP/1.1\r\nHost: example.org\r\n\r\n", &r) > 0);
	ck_assert_uint_eq(r.target_len, 6);
	ck_assert(memcmp(r.target, "/a/b?q", 6) == 0);
	ck_assert(parse_all("GET HTTP://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n", &r) > 0);
	ck_assert(r.target_len == 1 && r.target[0] == '/');
}
END_TEST

/* RFC 9112 2.2: bare LF ends a line; empty lines before the request line are skipped. */
START_TEST(test_bare_lf_and_leading_empty_lines_are_accepted)
{
	const char *s = "\r\n\nGET /a HTTP/1.1\nHost: h\n\n";
	struct http_request r;

	ck_assert_int_eq(parse_all(s, &r), (int)strlen(s));
	ck_assert(memcmp(r.target, "/a", 2) == 0);
}
END_TEST

/* Every refusal of a malformed head with 400, each naming the rule it breaks. */
START_TEST(test_malformed_requests_are_400)
{
	static const char *const cases[] = {
		" / HTTP/1.1\r\nHost: h\r\n\r\n",                  /* no method */
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",              /* two spaces (RFC 9112 3) */
		"GET /\r\nHost: h\r\n\r\n",                        /* no version (HTTP/0.9) */
		"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",              /* trailing space */
		"GET / http/1.1\r\nHost: h\r\n\r\n",               /* version is case-sensitive */
		"GET / HTTP/1.10\r\nHost: h\r\n\r\n",              /* DIGIT "." DIGIT */
		"GET / HTTP/a.1\r\nHost: h\r\n\r\n",               /* not a digit */
		"GET index.html HTTP/1.1\r\nHost: h\r\n\r\n",      /* not origin-form */
		"GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n",       /* absolute-form without authority */
		"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",               /* not a token */
		"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",           /* DEL in the target */
		"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",       /* raw non-ASCII in the target */
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",              /* space before colon (RFC 9112 5.1) */
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", /* obs-fold (RFC 9112 5.2) */
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",    /* not a field line */
		"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",    /* empty field name */
		"GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n",    /* name not a token */
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",    /* bare CR (RFC 9112 2.2) */
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n",   /* a CTL in a value */
		"GET / HTTP/1.1\r\n\r\n",                          /* 1.1 without Host (RFC 9112 3.2) */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",    /* two Hosts */
		"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",    /* two Hosts in 1.0 too */
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /* RFC 9112 6.3 */
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", /* TE in 1.0 (RFC 9112 6.1) */
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: a b\r\n\r\n", /* not a token list */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request r;

		ck_assert_msg(parse_all(cases[i], &r) == -400, "case %zu: %d", i, parse_all(cases[i], &r));
	}
}
END_TEST

START_TEST(test_identical_content_lengths_are_one)
{
	struct http_request r;

	ck_assert(parse_all("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n", &r) > 0);
	ck_assert_uint_eq(r.content_length, 5);
}
END_TEST

/* Garbage is refused as soon as the method cannot be a token, not after HTTP_LINE_MAX bytes. */
START_TEST(test_a_bad_method_is_refused_before_the_line_ends)
{
	struct http_request r;
	struct http_parser p;

	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, "\x16\x03\x01", 3, &r), -400);
	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, "\r", 1, &r), 0); /* maybe a leading CRLF */
	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, "GE", 2, &r), 0);
	/* The same verdict once the line is complete but the head is not (found by fuzz_http). */
	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, "G\x11T / HTTP/1.1\r\nHost: h\r\n", 25, &r), -400);
}
END_TEST

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A request line over HTTP_LINE_MAX is 414, whether complete or still arriving. */
START_TEST(test_a_long_request_line_is_414)
{
	char *path = repeat('a', HTTP_LINE_MAX);
	static char buf[HTTP_LINE_MAX + 64];
	struct http_request r;
	struct http_parser p;

	snprintf(buf, HTTP_LINE_MAX + 64, "GET /%s HTTP/1.1\r\nHost: h\r\n\r\n", path);
	ck_assert_int_eq(parse_all(buf, &r), -414);
	snprintf(buf, HTTP_LINE_MAX + 64, "GET /%s", path);
	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, buf, strlen(buf), &r), -414);
	/* Just within the limit: accepted. */
	snprintf(buf, HTTP_LINE_MAX + 64, "GET /%s HTTP/1.1\r\nHost: h\r\n\r\n", path + 15);
	ck_assert_int_gt(parse_all(buf, &r), 0);
	free(path);
}
END_TEST

/* A head over HTTP_HEAD_MAX, or with more than HTTP_FIELDS_MAX fields, is 431. */
START_TEST(test_large_heads_and_many_fields_are_431)
{
	char *val = repeat('v', 3000);
	char buf[HTTP_HEAD_MAX * 2];
	struct http_request r;
	struct http_parser p;
	int n;

	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\nA: %s\r\nB: %s\r\nC: %s\r\n\r\n", val, val, val);
	ck_assert_int_gt(n, HTTP_HEAD_MAX);
	ck_assert_int_eq(parse_all(buf, &r), -431);
	/* Incomplete: the input buffer is full and no end in sight. */
	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, buf, HTTP_HEAD_MAX, &r), -431);
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < HTTP_FIELDS_MAX; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "X%d: y\r\n", i);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "\r\n");
	ck_assert_int_eq(parse_all(buf, &r), -431);
	free(val);
}
END_TEST

/* Endless empty lines before a request are bounded like everything else. */
START_TEST(test_endless_leading_empty_lines_are_431)
{
	char *crlf = malloc(HTTP_HEAD_MAX + 1);
	struct http_request r;
	struct http_parser p;

	ck_assert_ptr_nonnull(crlf);
	for (int i = 0; i < HTTP_HEAD_MAX; i += 2)
		memcpy(crlf + i, "\r\n", 2);
	http_parser_reset(&p);
	ck_assert_int_eq(http_parse(&p, crlf, HTTP_HEAD_MAX, &r), -431);
	free(crlf);
}
END_TEST

START_TEST(test_other_refusals_have_their_status)
{
	struct http_request r;

	/* RFC 9110 15.6.6: another major version. */
	ck_assert_int_eq(parse_all("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r), -505);
	ck_assert_int_eq(parse_all("GET / HTTP/0.9\r\nHost: h\r\n\r\n", &r), -505);
	/* RFC 9112 6.1: a transfer coding this server does not implement. */
	ck_assert_int_eq(parse_all("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", &r), -501);
	ck_assert_int_eq(
	    parse_all("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", &r),
	    -501);
	/* A body no GET needs, larger than the server drops. */
	ck_assert_int_eq(parse_all("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n", &r), -413);
}
END_TEST

/*
 * What a connection does with its input buffer: append what arrives, parse,
 * drop each parsed request (and its body) from the front. Feeding chunks
 * of every size must give the same requests as one read.
 */
static int feed(const char *in, size_t len, size_t chunk, char targets[][16], int max)
{
	char buf[HTTP_HEAD_MAX];
	size_t have = 0, off = 0;
	uint64_t body = 0;
	struct http_parser p;
	int n = 0;

	http_parser_reset(&p);
	while (off < len || have) {
		size_t take = len - off < chunk ? len - off : chunk;
		struct http_request r;
		int rc;

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
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
			ck_assert_int_lt(n, max);
			snprintf(targets[n++], 16, "%.*s", (int)r.target_len, r.target);
			have -= r.head_len;
			memmove(buf, buf + r.head_len, have);
			body = r.content_length;
			http_parser_reset(&p);
		}
		if (off == len)
			break;
	}
	return n;
}

/* RFC 9112 9.3.2: pipelined requests, split at every byte boundary, come out whole and in order. */
START_TEST(test_pipelined_requests_split_anywhere_parse_the_same)
{
	const char *in = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
			 "\r\nHEAD /two HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
			 "GET /three HTTP/1.0\nConnection: keep-alive\n\n"
			 "GET /four?x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
	const char *want[] = { "/one", "/two", "/three", "/four?x" };
	size_t len = strlen(in);

	for (size_t chunk = 1; chunk <= len; chunk++) {
		char got[8][16];

		ck_assert_int_eq(feed(in, len, chunk, got, 8), 4);
		for (int i = 0; i < 4; i++)
			ck_assert_str_eq(got[i], want[i]);
	}
	/* Two reads, split at every byte. */
	for (size_t cut = 1; cut < len; cut++) {
		char buf[HTTP_HEAD_MAX], got[8][16];
		struct http_parser p;
		struct http_request r;
		int rc;

		http_parser_reset(&p);
		memcpy(buf, in, cut);
		rc = http_parse(&p, buf, cut, &r);
		ck_assert_int_ge(rc, 0);
		if (rc == 0) {
			memcpy(buf + cut, in + cut, len - cut);
			rc = http_parse(&p, buf, len, &r);
		}
		ck_assert_int_eq(rc, 30);
		ck_assert_int_eq(feed(in + rc, len - (size_t)rc, len, got, 8), 3);
	}
}
END_TEST

/* ---- paths ---- */

/* RFC 9110 13.1.3: If-Modified-Since is kept (trimmed) when sent once, dropped when sent twice; If-None-Match lines are
 * kept. */
START_TEST(test_if_modified_since_is_taken_once_and_if_none_match_kept)
{
	struct http_request r;

	ck_assert_int_gt(
	    parse_all("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since:  Sun, 06 Nov 1994 08:49:37 GMT \r\n\r\n", &r),
	    0);
	ck_assert_ptr_nonnull(r.if_modified_since);
	ck_assert_uint_eq(r.if_modified_since_len, 29);
	ck_assert(memcmp(r.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT", 29) == 0);
	ck_assert_uint_eq(r.if_none_match_lines, 0);
	ck_assert_int_gt(
	    parse_all("GET / HTTP/1.1\r\nHost: h\r\nif-modified-since: a\r\nIf-Modified-Since: b\r\n\r\n", &r), 0);
	ck_assert_ptr_null(r.if_modified_since);
	/* RFC 9110 5.3: two lines are one list; each is kept, trimmed, for the evaluation. */
	ck_assert_int_gt(
	    parse_all("GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\nif-none-match:\t\"a\", W/\"b\" \r\n\r\n", &r),
	    0);
	ck_assert_ptr_null(r.if_modified_since);
	ck_assert_uint_eq(r.if_none_match_lines, 2);
	ck_assert_uint_eq(r.if_none_match[0].len, 1);
	ck_assert(memcmp(r.if_none_match[0].s, "*", 1) == 0);
	ck_assert_uint_eq(r.if_none_match[1].len, 10);
	ck_assert(memcmp(r.if_none_match[1].s, "\"a\", W/\"b\"", 10) == 0);
}
END_TEST

static int inm(const char *v, const char *etag)
{
	return http_etag_list_match(v, strlen(v), etag, etag ? strlen(etag) : 0);
}

/* RFC 9110 8.8.3.2: the weak comparison matches equal opaque-tags, weak or strong, either side. */
START_TEST(test_if_none_match_uses_the_weak_comparison)
{
	ck_assert_int_eq(inm("\"1a-6-ff\"", "\"1a-6-ff\""), 1);
	ck_assert_int_eq(inm("W/\"1a-6-ff\"", "\"1a-6-ff\""), 1); /* a weak tag matches a strong one */
	ck_assert_int_eq(inm("\"1a-6-fe\"", "\"1a-6-ff\""), 0);
	ck_assert_int_eq(inm("\"1a-6-f\"", "\"1a-6-ff\""), 0);  /* a prefix is not the tag */
	ck_assert_int_eq(inm("\"1A-6-FF\"", "\"1a-6-ff\""), 0); /* opaque: compared octet by octet */
	ck_assert_int_eq(inm("\"\"", "\"1a-6-ff\""), 0);        /* the empty tag is a tag */
}
END_TEST

/* RFC 9110 13.1.2: "*" matches any current representation, and stands alone. */
START_TEST(test_if_none_match_star_matches_any_tag)
{
	ck_assert_int_eq(inm("*", "\"1a-6-ff\""), 1);
	ck_assert_int_eq(inm("*", "\"x\""), 1);
	ck_assert_int_eq(inm("*, \"x\"", "\"x\""), -EINVAL);
	ck_assert_int_eq(inm("\"x\", *", "\"x\""), -EINVAL);
	ck_assert_int_eq(inm("**", "\"x\""), -EINVAL);
	ck_assert_int_eq(inm("W/*", "\"x\""), -EINVAL);
}
END_TEST

/* RFC 9110 5.6.1.2: a list with optional whitespace and empty elements; every tag is looked at. */
START_TEST(test_if_none_match_lists_with_spaces_and_empty_elements)
{
	ck_assert_int_eq(inm("\"a\", \"b\",\t\"c\"", "\"c\""), 1);
	ck_assert_int_eq(inm("\"a\" ,W/\"b\" , \"c\"", "\"b\""), 1);
	ck_assert_int_eq(inm(", ,\"a\",,  ,\"b\",", "\"b\""), 1);
	ck_assert_int_eq(inm("\"a\", \"b\",\t\"c\"", "\"d\""), 0);
	ck_assert_int_eq(inm("\"a\", \"b\"", NULL), 0); /* only checked */
	ck_assert_int_eq(inm("", "\"a\""), 0);          /* #entity-tag: an empty list matches nothing */
}
END_TEST

/* RFC 9110 8.8.3: anything but entity tags and commas is malformed, whether or not a tag before it matched. */
START_TEST(test_if_none_match_malformed_lists_are_refused)
{
	static const char *const bad[] = {
		"a",                /* no quotes */
		"\"a",              /* unterminated */
		"\"a\" \"b\"",      /* no comma between */
		"\"a\"b",           /* junk after a tag */
		"w/\"a\"",          /* the W of weak is case-sensitive */
		"W/ \"a\"",         /* nothing between W/ and the tag */
		"W\"a\"",           /* no slash */
		"\"a b\"",          /* SP is not an etagc */
		"\"a\", \"b\tc\"",  /* nor HTAB */
		"\"a\", \"b\x7f\"", /* nor DEL */
		"\"a\", junk",      /* malformed after a match */
		"\"a\", *",         /* "*" in a list */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(inm(bad[i], "\"a\"") == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(inm("\"\x80\xff\"", "\"\x80\xff\""), 1); /* obs-text is an etagc */
}
END_TEST

/* The head bound bounds the list: thousands of tags in a full head are one scan, the match found at the end. */
START_TEST(test_if_none_match_with_thousands_of_tags_is_one_scan)
{
	static char head[HTTP_HEAD_MAX];
	struct http_request r;
	size_t off = (size_t)snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: ");
	uint32_t tags = 0;

	while (off + 16 < sizeof(head)) {
		memcpy(head + off, "\"t\",", 4);
		off += 4;
		tags++;
	}
	off += (size_t)snprintf(head + off, sizeof(head) - off, "\"z\"\r\n\r\n");
	ck_assert_uint_gt(tags, 2000);
	ck_assert_int_gt(parse_all(head, &r), 0);
	ck_assert_uint_eq(r.if_none_match_lines, 1);
	ck_assert_int_eq(http_etag_list_match(r.if_none_match[0].s, r.if_none_match[0].len, "\"z\"", 3), 1);
	ck_assert_int_eq(http_etag_list_match(r.if_none_match[0].s, r.if_none_match[0].len, "\"y\"", 3), 0);
}
END_TEST

static int decode(const char *t, char *out)
{
	return http_path_decode(t, strlen(t), out, HTTP_PATH_MAX);
}

START_TEST(test_paths_are_decoded_and_normalized)
{
	static const struct {
		const char *target, *rel;
	} cases[] = {
		{ "/", "" },
		{ "/a/b.txt", "a/b.txt" },
		{ "/./a//b/", "a/b" },
		{ "/a?x=../../etc", "a" },
		{ "/a#../../etc", "a" },
		{ "/%41%62c", "Abc" },
		{ "/sp%20ace", "sp ace" },
		{ "/a..b/..c/c..", "a..b/..c/c.." },
		{ "/%2e/x", "x" },
	};
	char out[HTTP_PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(decode(cases[i].target, out) == 0, "case %zu", i);
		ck_assert_str_eq(out, cases[i].rel);
	}
}
END_TEST

/* Traversal, plain or encoded in any case, and encodings that would change the path's meaning. */
START_TEST(test_traversal_and_dangerous_encodings_are_refused)
{
	static const struct {
		const char *target;
		int err;
	} cases[] = {
		{ "/..", -EPERM },
		{ "/../etc/passwd", -EPERM },
		{ "/a/../../etc/passwd", -EPERM },
		{ "/a/..", -EPERM },
		{ "/%2e%2e/etc/passwd", -EPERM },
		{ "/%2E%2e/etc/passwd", -EPERM },
		{ "/.%2e/x", -EPERM },
		{ "/a/%2e%2e%2f%2e%2e/etc/passwd", -EINVAL }, /* an encoded '/' */
		{ "/..%2fetc", -EINVAL },
		{ "/a%2Fb", -EINVAL },
		{ "/a%00.html", -EINVAL }, /* NUL */
		{ "/a%zz", -EINVAL },
		{ "/a%4", -EINVAL },
		{ "/a%", -EINVAL },
		{ "a", -EINVAL },
		{ "", -EINVAL },
	};
	char out[HTTP_PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(decode(cases[i].target, out) == cases[i].err, "case %zu (%s): %d", i, cases[i].target,
			      decode(cases[i].target, out));
}
END_TEST

START_TEST(test_a_path_too_long_is_refused)
{
	char *t = repeat('a', HTTP_PATH_MAX + 10);
	char out[HTTP_PATH_MAX];

	t[0] = '/';
	ck_assert_int_eq(decode(t, out), -ENAMETOOLONG);
	free(t);
}
END_TEST

/* A scratch tree: TMP/root holds the served files; TMP/secret is outside. */
static char tree[64];
static int root_fd = -1;

static void put_file(const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static void at(const char *rel, char *p, size_t cap)
{
	snprintf(p, cap, "%s/%s", tree, rel);
}

static void tree_setup(void)
{
	char a[256], b[256];

	snprintf(tree, sizeof(tree), "/tmp/check_http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	at("root", a, sizeof(a));
	mkdir(a, 0755);
	at("root/dir", a, sizeof(a));
	mkdir(a, 0755);
	at("root/empty", a, sizeof(a));
	mkdir(a, 0755);
	put_file("secret", "secret\n");
	put_file("root/a.txt", "alpha\n");
	put_file("root/dir/index.html", "<p>dir</p>\n");
	put_file("root/index.html", "<p>root</p>\n");
	ck_assert_int_eq(symlink("a.txt", (at("root/inside", a, sizeof(a)), a)), 0);
	ck_assert_int_eq(symlink("dir/../a.txt", (at("root/inside2", a, sizeof(a)), a)), 0);
	ck_assert_int_eq(symlink("../secret", (at("root/rel_out", a, sizeof(a)), a)), 0);
	at("secret", b, sizeof(b));
	ck_assert_int_eq(symlink(b, (at("root/abs_out", a, sizeof(a)), a)), 0);
	ck_assert_int_eq(symlink("/etc", (at("root/etc", a, sizeof(a)), a)), 0);
	ck_assert_int_eq(symlink("..", (at("root/dir/up", a, sizeof(a)), a)), 0);
	ck_assert_int_eq(symlink("../..", (at("root/dir/up2", a, sizeof(a)), a)), 0);
	ck_assert_int_eq(mkfifo((at("root/fifo", a, sizeof(a)), a), 0644), 0);
	at("root", a, sizeof(a));
	root_fd = open(a, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(root_fd, 0);
}

static void tree_teardown(void)
{
	char cmd[128];

	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
	ck_assert_int_eq(system(cmd), 0);
}

/* Open through decode, as the server does; @return the fd's content's first line or an error. */
static int open_target(const char *target, char *content, size_t cap, bool *index)
{
	char rel[HTTP_PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd, rc = decode(target, rel);

	if (rc < 0)
		return rc;
	fd = http_path_open(root_fd, rel, &st, index);
	if (fd < 0)
		return fd;
	n = read(fd, content, cap - 1);
	close(fd);
	content[n > 0 ? n : 0] = '\0';
	return 0;
}

/* Whether this kernel (or valgrind, which does not know the call) has openat2. */
static bool have_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));

	if (fd >= 0)
		close((int)fd);
	return fd >= 0 || errno != ENOSYS;
}

START_TEST(test_files_and_links_inside_the_root_are_served)
{
	/* Links inside work with openat2; the fallback without it refuses every link. */
	int link_rc = have_openat2() ? 0 : -EXDEV;
	char c[64];
	bool index;

	ck_assert_int_eq(open_target("/a.txt", c, sizeof(c), &index), 0);
	ck_assert_str_eq(c, "alpha\n");
	ck_assert(!index);
	ck_assert_int_eq(open_target("/inside", c, sizeof(c), &index), link_rc);
	ck_assert_int_eq(open_target("/inside2", c, sizeof(c), &index), link_rc);
	if (link_rc == 0) {
		ck_assert_int_eq(open_target("/dir/up/a.txt", c, sizeof(c), &index), 0); /* ".." that stays inside */
		ck_assert_str_eq(c, "alpha\n");
	}
	ck_assert_int_eq(open_target("/dir/", c, sizeof(c), &index), 0);
	ck_assert_str_eq(c, "<p>dir</p>\n");
	ck_assert(index);
	ck_assert_int_eq(open_target("/", c, sizeof(c), &index), 0);
	ck_assert_str_eq(c, "<p>root</p>\n");
}
END_TEST

/* RESOLVE_BENEATH: every way of resolving outside the root fails, whatever the link looks like. */
START_TEST(test_links_leaving_the_root_are_refused)
{
	static const char *const out[] = { "/rel_out", "/abs_out", "/etc/passwd", "/dir/up2/secret", "/dir/up2" };
	char c[64];
	bool index;

	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		int rc = open_target(out[i], c, sizeof(c), &index);

		/* Without openat2, a link to a directory opened as one is "not a directory". */
		ck_assert_msg(rc == -EXDEV || (!have_openat2() && rc == -ENOTDIR), "%s: %d", out[i], rc);
	}
}
END_TEST

START_TEST(test_missing_files_dirs_without_index_and_fifos_are_not_found)
{
	char c[64];
	bool index;

	ck_assert_int_eq(open_target("/nope", c, sizeof(c), &index), -ENOENT);
	ck_assert_int_eq(open_target("/empty/", c, sizeof(c), &index), -ENOENT);
	/* A FIFO is opened without blocking, then refused as not a regular file. */
	ck_assert_int_eq(open_target("/fifo", c, sizeof(c), &index), -ENOENT);
	ck_assert_int_eq(open_target("/a.txt/x", c, sizeof(c), &index), -ENOTDIR);
}
END_TEST

/* ---- the file cache ---- */

START_TEST(test_the_cache_serves_from_memory_and_refreshes_changed_files)
{
	struct http_cache_limits lim = { .revalidate_ms = 1000 };
	struct http_cache *c;
	struct http_file *f, *g;
	struct timespec later[2] = { { 0, UTIME_OMIT }, { 2000000000, 0 } };
	char p[256];

	ck_assert_int_eq(http_cache_new(root_fd, &lim, &c), 0);
	ck_assert_int_eq(http_cache_get(c, "a.txt", 1000, &f), 0);
	ck_assert_uint_eq(f->len, 6);
	ck_assert(memcmp(f->data, "alpha\n", 6) == 0);
	ck_assert_str_eq(f->content_type, "text/plain; charset=utf-8");
	ck_assert_uint_eq(http_cache_mem(c), 6);
	/* Same size, new content and mtime: within revalidate_ms the cached copy is trusted... */
	put_file("root/a.txt", "omega\n");
	at("root/a.txt", p, sizeof(p));
	ck_assert_int_eq(utimensat(AT_FDCWD, p, later, 0), 0);
	ck_assert_int_eq(http_cache_get(c, "a.txt", 1500, &g), 0);
	ck_assert_ptr_eq(g, f);
	http_file_put(c, g);
	/* ...after it, the change is seen; the old copy stays whole for whoever still sends it. */
	ck_assert_int_eq(http_cache_get(c, "a.txt", 2000, &g), 0);
	ck_assert_ptr_ne(g, f);
	/* RFC 9110 8.8.3: a new version, same size, has a new strong entity tag. */
	ck_assert_int_eq(g->etag[0], '"');
	ck_assert_int_eq(g->etag[strlen(g->etag) - 1], '"');
	ck_assert_str_ne(g->etag, f->etag);
	{
		/* Revalidated and unchanged: the same entry, the same tag. */
		struct http_file *h;

		ck_assert_int_eq(http_cache_get(c, "a.txt", 3500, &h), 0);
		ck_assert_ptr_eq(h, g);
		http_file_put(c, h);
	}
	ck_assert(memcmp(g->data, "omega\n", 6) == 0);
	ck_assert(memcmp(f->data, "alpha\n", 6) == 0);
	ck_assert_str_eq(g->last_modified, "Wed, 18 May 2033 03:33:20 GMT");
	http_file_put(c, f);
	ck_assert_uint_eq(http_cache_mem(c), 6);
	/* Deleted: gone from the cache too. */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(http_cache_get(c, "a.txt", 5000, &f), -ENOENT);
	http_file_put(c, g);
	ck_assert_uint_eq(http_cache_entries(c), 0);
	ck_assert_uint_eq(http_cache_mem(c), 0);
	/* A directory's index has the index's type. */
	ck_assert_int_eq(http_cache_get(c, "dir", 5000, &f), 0);
	ck_assert_str_eq(f->content_type, "text/html; charset=utf-8");
	http_file_put(c, f);
	http_cache_free(c);
}
END_TEST

START_TEST(test_the_cache_stays_within_its_memory_bound)
{
	struct http_cache_limits lim = { .mem_max = 3000, .small_max = 2000 };
	struct http_cache *c;
	struct http_file *f, *big;
	char *data = repeat('x', 1000), name[32];

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "root/f%d", i);
		put_file(name, data);
	}
	ck_assert_int_eq(http_cache_new(root_fd, &lim, &c), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(http_cache_get(c, name, 0, &f), 0);
		ck_assert_uint_eq(f->len, 1000);
		http_file_put(c, f);
		ck_assert_uint_le(http_cache_mem(c), 3000);
	}
	/* A file being sent outlives its eviction. */
	ck_assert_int_eq(http_cache_get(c, "f0", 0, &f), 0);
	for (int i = 1; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(http_cache_get(c, name, 0, &big), 0);
		http_file_put(c, big);
	}
	ck_assert(memcmp(f->data, data, 1000) == 0);
	http_file_put(c, f);
	ck_assert_uint_le(http_cache_mem(c), 3000);
	/* Over small_max: kept open (read as it is sent), not counted against the memory bound. */
	free(data);
	data = repeat('y', 5000);
	put_file("root/large.bin", data);
	ck_assert_int_eq(http_cache_get(c, "large.bin", 0, &big), 0);
	ck_assert_uint_eq(big->len, 5000);
	ck_assert_ptr_null(big->data);
	ck_assert_int_ge(big->fd, 0);
	{
		char back[5000];

		ck_assert_int_eq(pread(big->fd, back, sizeof(back), 0), 5000);
		ck_assert(memcmp(back, data, 5000) == 0);
	}
	ck_assert_uint_le(http_cache_mem(c), 3000);
	http_file_put(c, big);
	http_cache_free(c);
	free(data);
}
END_TEST

/* ---- response heads ---- */

START_TEST(test_dates_are_imf_fixdate)
{
	char d[HTTP_DATE_LEN];

	http_date(784111777, d); /* RFC 9110 5.6.7's example */
	ck_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
}
END_TEST

/* A file's 200 response, the start of the head tests. */
static const struct http_resp resp_200 = { .status = 200,
					   .keep_alive = true,
					   .content_length = 1234,
					   .content_type = "text/css",
					   .last_modified = "Sun, 06 Nov 1994 08:49:37 GMT",
					   .date = "Mon, 07 Nov 1994 08:49:37 GMT" };

static int date_parse(const char *d, time_t now, time_t *t)
{
	return http_date_parse(d, strlen(d), now, t);
}

/* RFC 9110 5.6.7: a recipient accepts IMF-fixdate, the obsolete RFC 850 form and asctime. */
START_TEST(test_the_three_http_date_formats_are_accepted)
{
	static const char *const forms[] = { "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
					     "Sun Nov  6 08:49:37 1994", "Sun Nov 06 08:49:37 1994" };
	time_t now = 1795000000, t; /* 2026 */

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		t = 0;
		ck_assert_int_eq(date_parse(forms[i], now, &t), 0);
		ck_assert_int_eq(t, 784111777);
	}
	/* A leap day, the end of a leap year, and a leap second (second 60). */
	ck_assert_int_eq(date_parse("Thu, 29 Feb 2024 00:00:00 GMT", now, &t), 0);
	ck_assert_int_eq(t, 1709164800);
	ck_assert_int_eq(date_parse("Sun, 31 Dec 2000 23:59:59 GMT", now, &t), 0);
	ck_assert_int_eq(t, 978307199);
	ck_assert_int_eq(date_parse("Sat, 31 Dec 2016 23:59:60 GMT", now, &t), 0);
	ck_assert_int_eq(t, 1483228800);
	/* Whatever the date, what http_date writes reads back. */
	for (time_t v = 0; v < 4102444800; v += 86400 * 397 + 3917) {
		char d[HTTP_DATE_LEN];

		http_date(v, d);
		ck_assert_int_eq(date_parse(d, now, &t), 0);
		ck_assert_int_eq(t, v);
	}
}
END_TEST

/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is the most recent past year with those digits. */
START_TEST(test_rfc850_two_digit_years_are_never_more_than_50_years_ahead)
{
	time_t in_2026 = 1795000000, in_2090 = 3810000000, t;

	ck_assert_int_eq(date_parse("Wednesday, 01-Jan-76 00:00:00 GMT", in_2026, &t), 0);
	ck_assert_int_eq(t, 3345062400); /* 2076: 50 years ahead, not more */
	ck_assert_int_eq(date_parse("Saturday, 01-Jan-77 00:00:00 GMT", in_2026, &t), 0);
	ck_assert_int_eq(t, 220924800); /* 1977, not 2077 */
	ck_assert_int_eq(date_parse("Friday, 01-Jan-99 00:00:00 GMT", in_2026, &t), 0);
	ck_assert_int_eq(t, 915148800); /* 1999 */
	ck_assert_int_eq(date_parse("Tuesday, 01-Jan-30 00:00:00 GMT", in_2026, &t), 0);
	ck_assert_int_eq(t, 1893456000); /* 2030 */
	/* Late in a century, a small year is the next one's. */
	ck_assert_int_eq(date_parse("Sunday, 01-Jan-02 00:00:00 GMT", in_2090, &t), 0);
	ck_assert_int_eq(t, 4165516800); /* 2102 */
}
END_TEST

/* RFC 9110 5.6.7: HTTP-date is case-sensitive and exact; what is not one is refused, not guessed at. */
START_TEST(test_invalid_http_dates_are_refused)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun,  06 Nov 1994 08:49:37 GMT",
		"Sun, 06-Nov-1994 08:49:37 GMT",
		"Sun, 30 Feb 2024 08:49:37 GMT",
		"Sun, 29 Feb 2023 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sundae, 06-Nov-94 08:49:37 GMT",
		"Sun, 06-Nov-94 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 UTC",
		"Sunday, 6-Nov-94 08:49:37 GMT",
		"Sunday 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 94",
		"Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 1994 GMT",
		"Sun Nov  x 08:49:37 1994",
		"Sunday Nov  6 08:49:37 1994",
		"Sun Nov -6 08:49:37 1994",
		"Sun, 06 Nov +994 08:49:37 GMT",
	};
	time_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(date_parse(bad[i], 1795000000, &t) == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(t, 42);
}
END_TEST

/* RFC 9110 15.4.5: a 304 has no content; it carries Date and the validators, not Content-Length or Content-Type. */
START_TEST(test_a_304_has_no_content_and_carries_date_and_validators)
{
	char buf[HTTP_RESP_HEAD_MAX];
	struct http_resp r = resp_200;

	r.status = 304;
	ck_assert_int_gt(http_resp_head(buf, sizeof(buf), &r), 0);
	ck_assert_str_eq(buf, "HTTP/1.1 304 Not Modified\r\nDate: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
			      "Server: mstack-httpd\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
	r.etag = "\"1a-6-ff\"";
	ck_assert_int_gt(http_resp_head(buf, sizeof(buf), &r), 0);
	ck_assert_str_eq(buf, "HTTP/1.1 304 Not Modified\r\nDate: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
			      "Server: mstack-httpd\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			      "ETag: \"1a-6-ff\"\r\n\r\n");
	/* An error is not the file's: no validator. */
	r.status = 404;
	ck_assert_int_gt(http_resp_head(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_null(strstr(buf, "ETag"));
	r.status = 304;
	r.keep_alive = false;
	ck_assert_int_gt(http_resp_head(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n\r\n"));
	ck_assert_int_eq(http_resp_head(buf, 40, &r), -ENOSPC);
}
END_TEST

START_TEST(test_response_heads_follow_status_method_and_persistence)
{
	char buf[HTTP_RESP_HEAD_MAX];
	struct http_resp r = resp_200;
	int n;

	n = http_resp_head(buf, sizeof(buf), &r);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\nDate: Mon, 07 Nov 1994 08:49:37 GMT\r\nServer: mstack-httpd\r\n"
			      "Content-Length: 1234\r\nContent-Type: text/css\r\n"
			      "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
	/* A 1.0 client that asked to persist is told it does; a closing connection says so. */
	r.keep_alive_explicit = true;
	http_resp_head(buf, sizeof(buf), &r);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: keep-alive\r\n"));
	r.keep_alive = false;
	http_resp_head(buf, sizeof(buf), &r);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n"));
	/* RFC 9110 15.5.6: 405 lists the allowed methods; errors carry a small body, but not for HEAD. */
	r = (struct http_resp){ .status = 405, .date = r.date };
	n = http_resp_head(buf, sizeof(buf), &r);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Length: 23\r\n"));
	ck_assert_str_eq(strstr(buf, "\r\n\r\n") + 4, "405 Method Not Allowed\n");
	r.head_only = true;
	ck_assert_int_eq(http_resp_head(buf, sizeof(buf), &r), n - 23);
	ck_assert_ptr_nonnull(strstr(buf, "Content-Length: 23\r\n"));
	ck_assert_ptr_null(strstr(buf, "Last-Modified"));
}
END_TEST

START_TEST(test_content_types_come_from_the_extension)
{
	ck_assert_str_eq(http_content_type("a/b/index.HTML"), "text/html; charset=utf-8");
	ck_assert_str_eq(http_content_type("x.png"), "image/png");
	ck_assert_str_eq(http_content_type("dir.d/noext"), "application/octet-stream");
	ck_assert_str_eq(http_content_type("data.bin"), "application/octet-stream");
}
END_TEST

/* ---- connections, over the kernel transport's socket operations on a socketpair ---- */

/* transport_kernel.c's loop is not used here, only its socket operations; the loop needs these. */
volatile sig_atomic_t httpd_stop;
uint64_t httpd_now_ms(void)
{
	return 0;
}
void httpd_ready(const struct httpd_options *o, const char *transport)
{
	(void)o;
	(void)transport;
}

static struct http_transport ktr = { .ops = &transport_kernel_ops };
static struct http_server srv;
static const struct http_server_config conn_cfg = {
	.max_conns = 4,
	.timeout_ms = { [HTTP_T_HEADER] = 100, [HTTP_T_IDLE] = 200, [HTTP_T_SEND] = 300, [HTTP_T_LINGER] = 50 },
};

static void conn_setup(void)
{
	struct http_server_config cfg = conn_cfg;
	char *big = repeat('z', 1 << 20);

	tree_setup();
	put_file("root/big.bin", big);
	free(big);
	cfg.root_fd = root_fd;
	ck_assert_int_eq(http_server_init(&srv, &ktr, &cfg), 0);
}

static void conn_teardown(void)
{
	http_server_fini(&srv);
	tree_teardown();
}

/* A connection on one end of a non-blocking socketpair; *peer is the client's end. */
static struct http_conn *conn_new(int *peer, uint64_t now)
{
	int sv[2];
	struct http_conn *c;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = http_conn_open(&srv, sv[0], now);
	ck_assert_ptr_nonnull(c);
	*peer = sv[1];
	return c;
}

/* Everything the client can read now (-1: end of stream seen). */
static ssize_t peer_read(int fd, char *buf, size_t cap, bool *eof)
{
	size_t have = 0;

	*eof = false;
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - 1 - have);

		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			*eof = true;
			break;
		}
		if (n < 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	return (ssize_t)have;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* RFC 9112 9.3.2: pipelined requests are answered in order on the connection; "close" ends it after. */
START_TEST(test_a_connection_answers_pipelined_requests_in_order_then_closes)
{
	static char out[1 << 16];
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	const char *in =
	    "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\nHEAD /dir/ HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /nope HTTP/1.1\r\nHost: h\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
	bool eof;
	char *p;

	ck_assert_int_eq(write(peer, in, strlen(in)), (ssize_t)strlen(in));
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 0);
	peer_read(peer, out, sizeof(out), &eof);
	ck_assert_int_eq(count(out, "HTTP/1.1 "), 4);
	p = strstr(out, "HTTP/1.1 200 OK");
	ck_assert_ptr_eq(p, out);
	p = strstr(p + 1, "HTTP/1.1 200 OK"); /* HEAD: a head and no body */
	ck_assert(p && strstr(p, "Content-Length: 11\r\n"));
	p = strstr(p + 1, "\r\n\r\n") + 4;
	ck_assert(strncmp(p, "HTTP/1.1 404 Not Found", 22) == 0);
	p = strstr(p + 1, "HTTP/1.1 200 OK");
	ck_assert(p && strstr(p, "Connection: close\r\n"));
	ck_assert_str_eq(strstr(p, "\r\n\r\n") + 4, "alpha\n");
	/* Nothing else was sent: closed at once, our FIN after the last answer. */
	ck_assert(eof);
	ck_assert_uint_eq(srv.stats.closed, 1);
	ck_assert_uint_eq(srv.stats.resets, 0);
	ck_assert_uint_eq(srv.stats.requests, 4);
	close(peer);
}
END_TEST

/* Send in on a fresh connection; the whole answer into out (the connection stays open). */
static void conn_ask(const char *in, char *out, size_t cap)
{
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	bool eof;

	ck_assert_int_eq(write(peer, in, strlen(in)), (ssize_t)strlen(in));
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 0);
	peer_read(peer, out, cap, &eof);
	close(peer);
	http_conn_event(c, HTTP_EV_READ, 0); /* sees the end of stream: closed */
}

/*
 * RFC 9110 13.1.3, 13.2.2: GET or HEAD with If-Modified-Since no earlier than
 * the file's Last-Modified is answered 304 without content; an earlier date,
 * an invalid one, or If-None-Match alongside gets the full response; a file
 * that does not exist is 404 whatever the date (13.2.1).
 */
START_TEST(test_if_modified_since_not_before_last_modified_is_304)
{
	static const struct {
		const char *since;
		const char *extra;
		const char *method;
		int status;
	} cases[] = {
		{ "Sun, 06 Nov 1994 08:49:37 GMT", "", "GET", 304 },  /* equal */
		{ "Sunday, 06-Nov-94 08:49:38 GMT", "", "GET", 304 }, /* later, RFC 850 */
		{ "Sun Nov  6 08:49:37 1994", "", "HEAD", 304 },      /* asctime, HEAD */
		{ "Sun, 06 Nov 1994 08:49:36 GMT", "", "GET", 200 },  /* a second earlier */
		{ "Sun, 06 Nov 1994 08:49:37 UTC", "", "GET", 200 },  /* not an HTTP-date: ignored */
		{ "Sun, 06 Nov 1994 08:49:37 GMT", "If-None-Match: \"x\"\r\n", "GET", 200 },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", "GET", 200 },
	};
	struct timespec ts[2] = { { .tv_sec = 784111777, .tv_nsec = 500000000 },
				  { .tv_sec = 784111777, .tv_nsec = 500000000 } };
	static char out[8192];
	char in[512];

	ck_assert_int_eq(utimensat(root_fd, "a.txt", ts, 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];

		snprintf(in, sizeof(in), "%s /a.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: %s\r\n%s\r\n",
			 cases[i].method, cases[i].since, cases[i].extra);
		conn_ask(in, out, sizeof(out));
		snprintf(want, sizeof(want), "HTTP/1.1 %d ", cases[i].status);
		ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "case %zu: %s", i, out);
		ck_assert_ptr_nonnull(strstr(out, "\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
		ck_assert_ptr_nonnull(strstr(out, "\r\nDate: "));
		if (cases[i].status == 304) {
			ck_assert_str_eq(strstr(out, "\r\n\r\n"), "\r\n\r\n"); /* nothing after the head */
			ck_assert_ptr_null(strstr(out, "Content-Length"));
		} else {
			ck_assert_str_eq(strstr(out, "\r\n\r\n") + 4, "alpha\n");
		}
	}
	conn_ask("GET /nope HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n\r\n", out,
		 sizeof(out));
	ck_assert(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
	ck_assert_uint_eq(srv.stats.responses_3xx, 3);
	ck_assert_uint_eq(srv.stats.responses_2xx, 4);
	ck_assert_uint_eq(srv.stats.resets, 0);
}
END_TEST

/* The value of a field in a response head (up to its CRLF), into out. */
static void head_field(const char *resp, const char *name, char *out, size_t cap)
{
	const char *p = strstr(resp, name), *e;

	ck_assert_ptr_nonnull(p);
	p += strlen(name);
	e = strstr(p, "\r\n");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - p), cap);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

/*
 * RFC 9110 13.2.2 step 3, 13.1.2, 8.8.3.2: If-None-Match with the file's tag
 * (weak or strong, alone, in a list, on a second line) or "*" is answered
 * 304 with the ETag and no content; otherwise the full response, whatever
 * If-Modified-Since says (13.1.3: it is ignored when If-None-Match is
 * present). Malformed (a bad list, "*" in a list) matches nothing. A
 * missing file is 404 (13.2.1).
 */
START_TEST(test_if_none_match_decides_and_overrides_if_modified_since)
{
	static const struct {
		const char *method;
		const char *fields; /* %s: the file's tag, between its quotes */
		int status;
	} cases[] = {
		{ "GET", "If-None-Match: \"%s\"\r\n", 304 },
		{ "HEAD", "If-None-Match: \"%s\"\r\n", 304 },
		{ "GET", "If-None-Match: W/\"%s\"\r\n", 304 },
		{ "GET", "If-None-Match: \"x\" , W/\"y\",\"%s\"\r\n", 304 },
		{ "GET", "If-None-Match: \"x\"\r\nIf-None-Match: \"%s\"\r\n", 304 },
		{ "GET", "If-None-Match: *\r\n", 304 },
		{ "GET", "If-None-Match: \"%s\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 304 },
		{ "GET", "If-None-Match: \"x%s\"\r\n", 200 },
		{ "GET", "If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n", 200 },
		{ "GET", "If-None-Match: \"%s\" junk\r\nIf-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n", 200 },
		{ "GET", "If-None-Match: *\r\nIf-None-Match: \"%s\"\r\n", 200 },
		{ "GET", "If-None-Match: w/\"%s\"\r\n", 200 },
	};
	struct timespec ts[2] = { { .tv_sec = 784111777 }, { .tv_sec = 784111777 } };
	static char out[8192];
	char in[512], fields[256], etag[HTTP_ETAG_MAX], tag[HTTP_ETAG_MAX];

	ck_assert_int_eq(utimensat(root_fd, "a.txt", ts, 0), 0);
	conn_ask("GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n", out, sizeof(out));
	head_field(out, "\r\nETag: ", etag, sizeof(etag));
	ck_assert_uint_gt(strlen(etag), 2);
	ck_assert(etag[0] == '"' && etag[strlen(etag) - 1] == '"');
	snprintf(tag, sizeof(tag), "%.*s", (int)strlen(etag) - 2, etag + 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];

		snprintf(fields, sizeof(fields), cases[i].fields, tag);
		snprintf(in, sizeof(in), "%s /a.txt HTTP/1.1\r\nHost: h\r\n%s\r\n", cases[i].method, fields);
		conn_ask(in, out, sizeof(out));
		snprintf(want, sizeof(want), "HTTP/1.1 %d ", cases[i].status);
		ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "case %zu: %s", i, out);
		head_field(out, "\r\nETag: ", fields, sizeof(fields));
		ck_assert_str_eq(fields, etag); /* RFC 9110 15.4.5: the 304 carries the 200's ETag */
		if (cases[i].status == 304) {
			ck_assert_str_eq(strstr(out, "\r\n\r\n"), "\r\n\r\n");
			ck_assert_ptr_null(strstr(out, "Content-Length"));
		} else {
			ck_assert_str_eq(strstr(out, "\r\n\r\n") + 4, "alpha\n");
		}
	}
	conn_ask("GET /nope HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n", out, sizeof(out));
	ck_assert(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
	ck_assert_ptr_null(strstr(out, "ETag"));
}
END_TEST

/* RFC 9112 9.6: requests after a "close" are not answered, and the server lingers until the client closes. */
START_TEST(test_after_close_the_server_half_closes_and_lingers)
{
	static char out[4096];
	const char *in = "GET /a.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
	const char *more = "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n";
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	bool eof;

	ck_assert_int_eq(write(peer, in, strlen(in)), (ssize_t)strlen(in));
	ck_assert_int_eq(write(peer, more, strlen(more)), (ssize_t)strlen(more));
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 0);
	peer_read(peer, out, sizeof(out), &eof);
	ck_assert_int_eq(count(out, "HTTP/1.1 200 OK"), 1);
	ck_assert(eof); /* our FIN */
	ck_assert_uint_eq(srv.stats.closed, 0);
	/* More from the client is read and dropped; its close ends ours, without a reset. */
	ck_assert_int_eq(write(peer, more, strlen(more)), (ssize_t)strlen(more));
	http_conn_event(c, HTTP_EV_READ, 10);
	ck_assert_uint_eq(srv.stats.closed, 0);
	ck_assert_int_eq(shutdown(peer, SHUT_WR), 0);
	http_conn_event(c, HTTP_EV_READ, 20);
	ck_assert_uint_eq(srv.stats.closed, 1);
	ck_assert_uint_eq(srv.stats.resets, 0);
	ck_assert_uint_eq(srv.stats.requests, 1);
	close(peer);
}
END_TEST

/* RFC 9112 6.3: a body framed by Content-Length is read and dropped; the next request follows it. */
START_TEST(test_a_request_body_is_dropped_and_the_next_request_follows)
{
	static char out[8192];
	const char *in = "POST /a.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 36\r\n\r\n"
			 "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n\r\n\r\n"; /* a body that looks like a request */
	const char *next = "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n";
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	bool eof;

	ck_assert_uint_eq(strlen(strstr(in, "\r\n\r\n") + 4), 36);
	ck_assert_int_eq(write(peer, in, 20), 20);
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 0);
	ck_assert_int_eq(write(peer, in + 20, strlen(in) - 20), (ssize_t)strlen(in) - 20);
	http_conn_event(c, HTTP_EV_READ, 0);
	ck_assert_int_eq(write(peer, next, strlen(next)), (ssize_t)strlen(next));
	http_conn_event(c, HTTP_EV_READ, 0);
	peer_read(peer, out, sizeof(out), &eof);
	ck_assert_int_eq(count(out, "HTTP/1.1 405 Method Not Allowed"), 1);
	ck_assert_int_eq(count(out, "HTTP/1.1 200 OK"), 1);
	ck_assert(strstr(out, "405") < strstr(out, "200 OK"));
	ck_assert_uint_eq(srv.stats.requests, 2);
	ck_assert(!eof);
	close(peer);
}
END_TEST

/* A request that arrives a byte at a time is answered once, when complete. */
START_TEST(test_a_request_arriving_byte_by_byte_is_answered_once)
{
	static char out[4096];
	const char *in = "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n";
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	bool eof;

	for (size_t i = 0; i < strlen(in); i++) {
		ck_assert_int_eq(peer_read(peer, out, sizeof(out), &eof), 0);
		ck_assert_int_eq(write(peer, in + i, 1), 1);
		http_conn_event(c, HTTP_EV_READ | (i == 0 ? HTTP_EV_WRITE : 0), 0);
	}
	peer_read(peer, out, sizeof(out), &eof);
	ck_assert_int_eq(count(out, "HTTP/1.1 200 OK"), 1);
	ck_assert(!eof); /* keep-alive */
	close(peer);
}
END_TEST

/* Slowloris: the header deadline runs from the first byte and trickling does not renew it. */
START_TEST(test_the_header_deadline_is_not_renewed_by_trickling)
{
	static char out[4096];
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	bool eof;

	for (uint64_t t = 0; t < 100; t += 20) {
		ck_assert_int_eq(write(peer, "X", 1), 1);
		http_conn_event(c, HTTP_EV_READ, t);
		http_server_run(&srv, t);
		ck_assert_uint_eq(srv.stats.closed, 0);
	}
	ck_assert_int_eq(http_server_timeout(&srv, 90), 10);
	http_server_run(&srv, 100);
	ck_assert_uint_eq(srv.stats.timeouts[HTTP_T_HEADER], 1);
	ck_assert_uint_eq(srv.stats.closed, 1);
	peer_read(peer, out, sizeof(out), &eof);
	ck_assert(eof);
	close(peer);
}
END_TEST

/* Keep-alive: the idle deadline between requests, then the header deadline for the next one. */
START_TEST(test_an_idle_connection_is_closed_at_the_idle_deadline)
{
	static char out[4096];
	const char *in = "GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n";
	int peer;
	struct http_conn *c = conn_new(&peer, 0);
	bool eof;

	ck_assert_int_eq(write(peer, in, strlen(in)), (ssize_t)strlen(in));
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 50);
	peer_read(peer, out, sizeof(out), &eof);
	http_server_run(&srv, 249);
	ck_assert_uint_eq(srv.stats.closed, 0);
	http_server_run(&srv, 250);
	ck_assert_uint_eq(srv.stats.timeouts[HTTP_T_IDLE], 1);
	peer_read(peer, out, sizeof(out), &eof);
	ck_assert(eof);
	close(peer);
}
END_TEST

/*
 * A large file truncated while it is being sent: the connection ends after the
 * bytes that were still there (the client sees a body shorter than its
 * Content-Length, never other bytes), and nothing faults: the file is read by
 * the transport, not through a mapping (which would raise SIGBUS).
 */
START_TEST(test_a_large_file_truncated_while_sent_ends_the_connection_short)
{
	static char out[1 << 21];
	const char *req = "GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n";
	int peer, fd;
	struct http_conn *c = conn_new(&peer, 0);
	size_t have = 0;
	bool eof = false;
	char *body;

	ck_assert_int_eq(write(peer, req, strlen(req)), (ssize_t)strlen(req));
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 0);
	ck_assert_uint_eq(srv.stats.requests, 1);
	ck_assert_uint_eq(srv.stats.closed, 0); /* 1 MiB does not fit the socketpair at once */
	fd = openat(root_fd, "big.bin", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 300000), 0);
	close(fd);
	for (int i = 0; i < 1000 && !eof; i++) {
		have += (size_t)peer_read(peer, out + have, sizeof(out) - have, &eof);
		if (srv.stats.closed == 0) /* c is freed once it ends */
			http_conn_event(c, HTTP_EV_WRITE, 1);
	}
	ck_assert(eof);
	ck_assert_uint_eq(srv.stats.closed, 1);
	ck_assert_uint_eq(srv.stats.resets, 1);
	body = strstr(out, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert(strstr(out, "Content-Length: 1048576\r\n") != NULL);
	body += 4;
	/* Only the file's bytes, fewer than announced. */
	ck_assert_uint_lt((size_t)(out + have - body), 1048576);
	for (char *p = body; p < out + have; p++)
		ck_assert_int_eq(*p, 'z');
	close(peer);
}
END_TEST

/*
 * A client that never reads: once the transport is full the connection reads
 * nothing more from it (its pipelined requests stay in the socket), and at the
 * send deadline it is reset.
 */
START_TEST(test_a_client_that_never_reads_is_not_read_and_is_reset)
{
	const char *req = "GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n";
	int peer, small = 4096;
	struct http_conn *c = conn_new(&peer, 0);
	char probe;

	ck_assert_int_eq(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(write(peer, req, strlen(req)), (ssize_t)strlen(req));
	http_conn_event(c, HTTP_EV_READ | HTTP_EV_WRITE, 0);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(write(peer, req, strlen(req)), (ssize_t)strlen(req));
	http_conn_event(c, HTTP_EV_READ, 10);
	http_server_run(&srv, 10);
	ck_assert_uint_eq(srv.stats.requests, 1);
	ck_assert_uint_eq(srv.stats.closed, 0);
	http_server_run(&srv, 310);
	ck_assert_uint_eq(srv.stats.timeouts[HTTP_T_SEND], 1);
	ck_assert_uint_eq(srv.stats.resets, 1);
	/* Gone: whatever the client reads now ends (after what was already in its buffer). */
	while (read(peer, &probe, 1) == 1)
		;
	ck_assert_int_eq(send(peer, "x", 1, MSG_NOSIGNAL), -1);
	close(peer);
}
END_TEST

START_TEST(test_connections_are_bounded_in_number_and_memory)
{
	int peers[4], extra[2];

	for (int i = 0; i < 4; i++)
		conn_new(&peers[i], 0);
	ck_assert(http_server_full(&srv));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, extra), 0);
	ck_assert_ptr_null(http_conn_open(&srv, extra[0], 0));
	ck_assert_uint_eq(srv.stats.refused, 1);
	ck_assert_uint_le(http_conn_mem_max(), 9 * 1024);
	for (int i = 0; i < 4; i++)
		close(peers[i]);
	close(extra[0]);
	close(extra[1]);
}
END_TEST

/* ---- the workers' rendezvous (several mstack queues re-attaching) ---- */

#define RV_WORKERS 4
#define RV_ROUNDS  200

static struct httpd_rendezvous rv;
static atomic_int rv_polling; /* workers between their "polls" and the rendezvous */
static atomic_int rv_works;   /* rounds whose work ran */
static atomic_int rv_work_alone_violations;

static int rv_work(void *arg)
{
	(void)arg;
	if (atomic_load(&rv_polling) != 0)
		atomic_fetch_add(&rv_work_alone_violations, 1);
	usleep(100); /* a window for a worker that would wrongly go on */
	if (atomic_load(&rv_polling) != 0)
		atomic_fetch_add(&rv_work_alone_violations, 1);
	atomic_fetch_add(&rv_works, 1);
	return 7;
}

static void *rv_worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long ran = 0;

	for (int round = 0; round < RV_ROUNDS; round++) {
		atomic_fetch_add(&rv_polling, 1);
		if (rand_r(&seed) % 4 == 0)
			usleep((useconds_t)(rand_r(&seed) % 200));
		atomic_fetch_sub(&rv_polling, 1);
		int rc = httpd_rendezvous(&rv, rv_work, NULL), works = atomic_load(&rv_works);

		ck_assert(rc == 0 || rc == 7);
		ran += rc == 7;
		ck_assert_int_ge(works, round + 1); /* released only after this round's work */
	}
	return (void *)ran;
}

/*
 * docs/tcp.md: instances on several threads must not poll while one
 * re-attaches. Every round, the work runs once, in the last worker to
 * arrive, while no other is between its rendezvous: none polls beside it,
 * and none goes on before it is done.
 */
START_TEST(test_the_rendezvous_runs_the_work_once_per_round_with_every_worker_stopped)
{
	pthread_t t[RV_WORKERS];
	long ran = 0;

	atomic_store(&rv_works, 0);
	ck_assert_int_eq(httpd_rendezvous_init(&rv, RV_WORKERS), 0);
	for (uintptr_t i = 0; i < RV_WORKERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, rv_worker, (void *)(i + 1)), 0);
	for (int i = 0; i < RV_WORKERS; i++) {
		void *r;

		pthread_join(t[i], &r);
		ran += (long)r;
	}
	ck_assert_int_eq(atomic_load(&rv_works), RV_ROUNDS);
	ck_assert_int_eq(ran, RV_ROUNDS); /* each round's work returned its result to the one that ran it */
	ck_assert_int_eq(atomic_load(&rv_work_alone_violations), 0);
	httpd_rendezvous_fini(&rv);
}
END_TEST

static void *rv_waiter(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)httpd_rendezvous(&rv, rv_work, NULL);
}

/* A stop (SIGTERM sets httpd_stop) releases a worker waiting for others that will not come; no work runs. */
START_TEST(test_a_stop_releases_the_workers_waiting_at_the_rendezvous)
{
	pthread_t t;
	void *r;

	atomic_store(&rv_works, 0);
	ck_assert_int_eq(httpd_rendezvous_init(&rv, 3), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, rv_waiter, NULL), 0);
	usleep(150 * 1000);
	httpd_stop = 1;
	pthread_join(t, &r);
	httpd_stop = 0;
	ck_assert_int_eq((intptr_t)r, -EINTR);
	ck_assert_int_eq(atomic_load(&rv_works), 0);
	httpd_rendezvous_fini(&rv);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *parse = tcase_create("parse"), *path = tcase_create("path"), *files = tcase_create("files"),
	      *resp = tcase_create("resp"), *conn = tcase_create("conn"), *workers = tcase_create("workers");

	tcase_add_test(parse, test_a_simple_get_is_parsed_and_persists_in_1_1);
	tcase_add_test(parse, test_keep_alive_follows_the_version_and_connection_rules);
	tcase_add_test(parse, test_methods_head_and_others_are_told_apart);
	tcase_add_test(parse, test_absolute_form_targets_are_reduced_to_their_path);
	tcase_add_test(parse, test_bare_lf_and_leading_empty_lines_are_accepted);
	tcase_add_test(parse, test_malformed_requests_are_400);
	tcase_add_test(parse, test_identical_content_lengths_are_one);
	tcase_add_test(parse, test_a_bad_method_is_refused_before_the_line_ends);
	tcase_add_test(parse, test_a_long_request_line_is_414);
	tcase_add_test(parse, test_large_heads_and_many_fields_are_431);
	tcase_add_test(parse, test_endless_leading_empty_lines_are_431);
	tcase_add_test(parse, test_other_refusals_have_their_status);
	tcase_add_test(parse, test_pipelined_requests_split_anywhere_parse_the_same);
	tcase_add_test(parse, test_if_modified_since_is_taken_once_and_if_none_match_kept);
	tcase_add_test(parse, test_if_none_match_uses_the_weak_comparison);
	tcase_add_test(parse, test_if_none_match_star_matches_any_tag);
	tcase_add_test(parse, test_if_none_match_lists_with_spaces_and_empty_elements);
	tcase_add_test(parse, test_if_none_match_malformed_lists_are_refused);
	tcase_add_test(parse, test_if_none_match_with_thousands_of_tags_is_one_scan);
	suite_add_tcase(s, parse);
	tcase_add_test(path, test_paths_are_decoded_and_normalized);
	tcase_add_test(path, test_traversal_and_dangerous_encodings_are_refused);
	tcase_add_test(path, test_a_path_too_long_is_refused);
	tcase_add_checked_fixture(path, tree_setup, tree_teardown);
	tcase_add_test(path, test_files_and_links_inside_the_root_are_served);
	tcase_add_test(path, test_links_leaving_the_root_are_refused);
	tcase_add_test(path, test_missing_files_dirs_without_index_and_fifos_are_not_found);
	suite_add_tcase(s, path);
	tcase_add_checked_fixture(files, tree_setup, tree_teardown);
	tcase_add_test(files, test_the_cache_serves_from_memory_and_refreshes_changed_files);
	tcase_add_test(files, test_the_cache_stays_within_its_memory_bound);
	suite_add_tcase(s, files);
	tcase_add_test(resp, test_dates_are_imf_fixdate);
	tcase_add_test(resp, test_the_three_http_date_formats_are_accepted);
	tcase_add_test(resp, test_rfc850_two_digit_years_are_never_more_than_50_years_ahead);
	tcase_add_test(resp, test_invalid_http_dates_are_refused);
	tcase_add_test(resp, test_a_304_has_no_content_and_carries_date_and_validators);
	tcase_add_test(resp, test_response_heads_follow_status_method_and_persistence);
	tcase_add_test(resp, test_content_types_come_from_the_extension);
	suite_add_tcase(s, resp);
	tcase_add_checked_fixture(conn, conn_setup, conn_teardown);
	tcase_add_test(conn, test_a_connection_answers_pipelined_requests_in_order_then_closes);
	tcase_add_test(conn, test_after_close_the_server_half_closes_and_lingers);
	tcase_add_test(conn, test_if_modified_since_not_before_last_modified_is_304);
	tcase_add_test(conn, test_if_none_match_decides_and_overrides_if_modified_since);
	tcase_add_test(conn, test_a_request_arriving_byte_by_byte_is_answered_once);
	tcase_add_test(conn, test_a_request_body_is_dropped_and_the_next_request_follows);
	tcase_add_test(conn, test_the_header_deadline_is_not_renewed_by_trickling);
	tcase_add_test(conn, test_an_idle_connection_is_closed_at_the_idle_deadline);
	tcase_add_test(conn, test_a_client_that_never_reads_is_not_read_and_is_reset);
	tcase_add_test(conn, test_a_large_file_truncated_while_sent_ends_the_connection_short);
	tcase_add_test(conn, test_connections_are_bounded_in_number_and_memory);
	suite_add_tcase(s, conn);
	tcase_add_test(workers, test_the_rendezvous_runs_the_work_once_per_round_with_every_worker_stopped);
	tcase_add_test(workers, test_a_stop_releases_the_workers_waiting_at_the_rendezvous);
	tcase_set_timeout(workers, 30);
	suite_add_tcase(s, workers);
	return s;
}

CHECK_MAIN(http_suite)
