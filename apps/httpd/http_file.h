/* SPDX-License-Identifier: BSD-2-Clause */
/* http_file.h - the files served: small ones kept in memory, large ones kept open, both refreshed on change. */
#ifndef MSTACK_HTTP_FILE_H
#define MSTACK_HTTP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "http_resp.h"

/* "inode-size-mtime_ns", each up to 16 hex digits, quoted, and the NUL. */
#define HTTP_ETAG_MAX 56

/*
 * A file as served: its bytes (a private copy for a small file, which the
 * send path hands over from where it is) or, for a large one, its open fd
 * (the transport reads it as it sends: sendfile(2), ms_tcp_sendfile; a file
 * truncated meanwhile ends the response short instead of faulting, as a
 * mapping would), and what the response says of it.
 * Counted references: a connection holds one while it sends, so a file
 * replaced or evicted meanwhile stays whole until the last sender is done.
 */
struct http_file {
	const uint8_t *data; /* a small file's bytes; NULL for a large one */
	int fd;              /* a large file's open fd; -1 for a small one */
	uint64_t len;
	const char *content_type;
	char last_modified[HTTP_DATE_LEN];
	time_t last_modified_sec; /* the second last_modified names: what If-Modified-Since is compared with */
	char etag[HTTP_ETAG_MAX]; /* RFC 9110 8.8.3: a strong entity tag, quotes included */
	/* Private to http_file.c. */
	char *key;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	bool cached;
	uint32_t refs;
	uint64_t checked_ms;
	struct http_file *hnext, *lprev, *lnext;
};

struct http_cache_limits {
	uint64_t mem_max;       /* bytes of small files kept in memory [64 MiB] */
	uint64_t small_max;     /* a file up to this size is copied, a larger one kept open [256 KiB] */
	uint32_t entries_max;   /* files known at once, open ones included (an fd each) [4096] */
	uint32_t revalidate_ms; /* how long a file is trusted before its size and mtime are checked [1000] */
};

struct http_cache;

/* @return 0 and *out; -ENOMEM. root_fd stays the caller's. */
int http_cache_new(int root_fd, const struct http_cache_limits *lim, struct http_cache **out);
/* Free every file no connection holds. c may be NULL. */
void http_cache_free(struct http_cache *c);

/**
 * The file at rel (a path from http_path_decode), loaded, or refreshed if
 * it changed on disk (another inode, size or mtime) since it was last
 * checked more than revalidate_ms ago.
 * @return 0 and *out, a reference to give back with http_file_put;
 *   -errno of http_path_open (-ENOENT, -EXDEV, -EACCES, ...); -ENOMEM; -EIO (read short).
 */
int http_cache_get(struct http_cache *c, const char *rel, uint64_t now_ms, struct http_file **out);
void http_file_put(struct http_cache *c, struct http_file *f);

/* What the cache holds: bytes of small files in memory, and files. */
uint64_t http_cache_mem(const struct http_cache *c);
uint32_t http_cache_entries(const struct http_cache *c);

#endif
