/* SPDX-License-Identifier: BSD-2-Clause */
/* http_file.c - the files served: small ones kept in memory, large ones kept open, both refreshed on change. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_file.h"
#include "http_path.h"

#define HF_BUCKETS 4096 /* a power of two */

struct http_cache {
	int root_fd;
	struct http_cache_limits lim;
	uint64_t mem;     /* bytes of the small files in the table (and of evicted ones still sent) */
	uint32_t entries; /* files in the table */
	struct http_file *lru_head, *lru_tail; /* most recently used first */
	struct http_file *buckets[HF_BUCKETS];
};

/* FNV-1a: short keys, no adversary gets to choose many that collide cheaply enough to matter here. */
static uint32_t hf_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h & (HF_BUCKETS - 1);
}

int http_cache_new(int root_fd, const struct http_cache_limits *lim, struct http_cache **out)
{
	struct http_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->root_fd = root_fd;
	c->lim.mem_max = lim && lim->mem_max ? lim->mem_max : 64u << 20;
	c->lim.small_max = lim && lim->small_max ? lim->small_max : 256u << 10;
	c->lim.entries_max = lim && lim->entries_max ? lim->entries_max : 4096;
	c->lim.revalidate_ms = lim && lim->revalidate_ms ? lim->revalidate_ms : 1000;
	*out = c;
	return 0;
}

static void hf_destroy(struct http_cache *c, struct http_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	else {
		c->mem -= f->len;
		free((void *)f->data);
	}
	free(f->key);
	free(f);
}

/* Take f out of the table and the LRU; it is freed now, or by the last http_file_put. */
static void hf_unlink(struct http_cache *c, struct http_file *f)
{
	struct http_file **pp = &c->buckets[hf_hash(f->key)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		c->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		c->lru_tail = f->lprev;
	f->cached = false;
	c->entries--;
	if (f->refs == 0)
		hf_destroy(c, f);
}

void http_cache_free(struct http_cache *c)
{
	if (!c)
		return;
	while (c->lru_head)
		hf_unlink(c, c->lru_head);
	free(c);
}

static void hf_touch(struct http_cache *c, struct http_file *f)
{
	if (c->lru_head == f)
		return;
	f->lprev->lnext = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		c->lru_tail = f->lprev;
	f->lprev = NULL;
	f->lnext = c->lru_head;
	c->lru_head->lprev = f;
	c->lru_head = f;
}

static bool hf_same(const struct http_file *f, const struct stat *st)
{
	return f->dev == st->st_dev && f->ino == st->st_ino && f->len == (uint64_t)st->st_size &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Read a small file whole; a file that changes size under us is an error, not a torn response. */
static int hf_read(int fd, uint8_t *buf, uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		ssize_t n = pread(fd, buf + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * RFC 9110 8.8.3: the entity tag of this version of the file, from what the
 * cache itself compares to see a new version (hf_same): the inode (a file
 * replaced by a rename), the size, and the mtime to the nanosecond, in hex,
 * as other servers do. Strong (8.8.1): two versions that share all three
 * would need the same size written twice within one tick of the file
 * system's clock, which the cache cannot tell apart either.
 */
static void hf_etag(const struct stat *st, char *out)
{
	uint64_t mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;

	snprintf(out, HTTP_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_ino,
		 (uint64_t)st->st_size, mtime_ns);
}

static int hf_load(struct http_cache *c, const char *rel, int fd, const struct stat *st, bool index,
		   struct http_file **out)
{
	struct http_file *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;

	if (!f)
		goto fail;
	f->key = strdup(rel);
	if (!f->key)
		goto fail;
	f->fd = -1;
	f->len = (uint64_t)st->st_size;
	if (f->len > c->lim.small_max) {
		f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (f->fd < 0) {
			rc = -errno;
			goto fail;
		}
		posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	} else if (f->len > 0) {
		uint8_t *buf = malloc(f->len);

		if (!buf)
			goto fail;
		rc = hf_read(fd, buf, f->len);
		if (rc < 0) {
			free(buf);
			goto fail;
		}
		f->data = buf;
		c->mem += f->len;
	}
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mtime = st->st_mtim;
	f->content_type = http_content_type(index ? "index.html" : rel);
	f->last_modified_sec = st->st_mtim.tv_sec;
	http_date(st->st_mtim.tv_sec, f->last_modified);
	hf_etag(st, f->etag);
	*out = f;
	return 0;
fail:
	if (f)
		free(f->key);
	free(f);
	return rc;
}

/* Make room: drop least recently used files until the limits hold (files being sent stay alive). */
static void hf_evict(struct http_cache *c)
{
	while (c->lru_tail && (c->mem > c->lim.mem_max || c->entries > c->lim.entries_max))
		hf_unlink(c, c->lru_tail);
}

static void hf_insert(struct http_cache *c, struct http_file *f)
{
	uint32_t b = hf_hash(f->key);

	f->hnext = c->buckets[b];
	c->buckets[b] = f;
	f->lprev = NULL;
	f->lnext = c->lru_head;
	if (c->lru_head)
		c->lru_head->lprev = f;
	else
		c->lru_tail = f;
	c->lru_head = f;
	f->cached = true;
	c->entries++;
}

int http_cache_get(struct http_cache *c, const char *rel, uint64_t now_ms, struct http_file **out)
{
	struct http_file *f;
	struct stat st;
	bool index;
	int fd, rc;

	for (f = c->buckets[hf_hash(rel)]; f; f = f->hnext)
		if (strcmp(f->key, rel) == 0)
			break;
	if (f && now_ms - f->checked_ms < c->lim.revalidate_ms) {
		hf_touch(c, f);
		goto found;
	}
	/* Unknown, or trusted long enough: open it again, through the confinement. */
	fd = http_path_open(c->root_fd, rel, &st, &index);
	if (fd < 0) {
		if (f)
			hf_unlink(c, f);
		return fd;
	}
	if (f && hf_same(f, &st)) {
		close(fd);
		hf_touch(c, f);
		f->checked_ms = now_ms;
		goto found;
	}
	if (f)
		hf_unlink(c, f);
	rc = hf_load(c, rel, fd, &st, index, &f);
	close(fd);
	if (rc < 0)
		return rc;
	f->checked_ms = now_ms;
	hf_insert(c, f);
	f->refs++; /* before evicting, so that the new file survives it */
	hf_evict(c);
	*out = f;
	return 0;
found:
	f->refs++;
	*out = f;
	return 0;
}

void http_file_put(struct http_cache *c, struct http_file *f)
{
	if (f && --f->refs == 0 && !f->cached)
		hf_destroy(c, f);
}

uint64_t http_cache_mem(const struct http_cache *c)
{
	return c->mem;
}

uint32_t http_cache_entries(const struct http_cache *c)
{
	return c->entries;
}
