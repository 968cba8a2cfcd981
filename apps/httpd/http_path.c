/* SPDX-License-Identifier: BSD-2-Clause */
/* http_path.c - a request-target to a file under the document root, never one outside it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http_path.h"

static int hpath_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append one decoded segment to out (after a '/' unless it is the first); "." and "" add nothing. */
static int hpath_segment(const char *seg, size_t n, char *out, size_t *olen, size_t cap)
{
	if (n == 0 || (n == 1 && seg[0] == '.'))
		return 0;
	if (n == 2 && seg[0] == '.' && seg[1] == '.')
		return -EPERM;
	if (*olen + (*olen ? 1 : 0) + n + 1 > cap)
		return -ENAMETOOLONG;
	if (*olen)
		out[(*olen)++] = '/';
	memcpy(out + *olen, seg, n);
	*olen += n;
	out[*olen] = '\0';
	return 0;
}

/*
 * RFC 3986 2.1: %XX is one octet. Each segment is decoded before it is
 * judged, so "%2e%2e" is "..". An encoded '/' is refused, as Apache does by
 * default: decoded it would split a segment the client sent as one.
 */
int http_path_decode(const char *target, size_t len, char *out, size_t cap)
{
	char seg[HTTP_PATH_MAX];
	size_t olen = 0, n = 0, i;
	int rc;

	if (cap == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (len == 0 || target[0] != '/')
		return -EINVAL;
	for (i = 1; i <= len; i++) {
		char c = i < len ? target[i] : '/';

		if (c == '?' || c == '#') {
			c = '/';
			len = i; /* the query and fragment name no file */
		}
		if (c == '/') {
			rc = hpath_segment(seg, n, out, &olen, cap);
			if (rc < 0)
				return rc;
			n = 0;
			continue;
		}
		if (c == '%') {
			int hi = i + 2 < len ? hpath_hex(target[i + 1]) : -1;
			int lo = hi >= 0 ? hpath_hex(target[i + 2]) : -1;

			if (lo < 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			if (c == '\0' || c == '/')
				return -EINVAL;
			i += 2;
		}
		if (n + 1 >= sizeof(seg))
			return -ENAMETOOLONG;
		seg[n++] = c;
	}
	return 0;
}

/*
 * Without openat2 (Linux before 5.6, or valgrind, which does not know the
 * call): a component at a time with O_NOFOLLOW, so that no symbolic link is
 * followed at all (stricter than RESOLVE_BENEATH: links inside the root are
 * refused too). Paths come from http_path_decode: no "..", no empty component.
 */
static int hpath_walk(int root_fd, const char *path, int flags)
{
	char comp[HTTP_PATH_MAX];
	int dfd = root_fd, fd, err;

	for (;;) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);

		if (n == 0 || n >= sizeof(comp)) {
			err = -ENOENT;
			break;
		}
		memcpy(comp, path, n);
		comp[n] = '\0';
		fd = openat(dfd, comp, (slash ? O_RDONLY | O_DIRECTORY | O_CLOEXEC : flags) | O_NOFOLLOW);
		err = fd < 0 ? (errno == ELOOP ? -EXDEV : -errno) : 0;
		if (dfd != root_fd)
			close(dfd);
		if (fd < 0 || !slash)
			return fd < 0 ? err : fd;
		dfd = fd;
		path = slash + 1;
	}
	if (dfd != root_fd)
		close(dfd);
	return err;
}

static int hpath_openat2(int dirfd, const char *path)
{
	static bool no_openat2;
	struct open_how how = {
		/* O_NONBLOCK: opening a FIFO someone left in the tree must not block the server. */
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (no_openat2)
		return hpath_walk(dirfd, path, (int)how.flags);
	do
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN); /* RESOLVE_BENEATH may ask to retry after a concurrent rename */
	if (fd < 0 && errno == ENOSYS) {
		no_openat2 = true;
		return hpath_walk(dirfd, path, (int)how.flags);
	}
	return fd < 0 ? -errno : (int)fd;
}

int http_path_open(int root_fd, const char *rel, struct stat *st, bool *index)
{
	int fd = hpath_openat2(root_fd, rel[0] ? rel : "."), dfd;

	*index = false;
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		goto fail_errno;
	if (S_ISDIR(st->st_mode)) {
		/* From the root, not the directory: an index.html linking elsewhere inside still works. */
		char index_path[HTTP_PATH_MAX + sizeof("/index.html")];

		close(fd);
		snprintf(index_path, sizeof(index_path), "%s%sindex.html", rel, rel[0] ? "/" : "");
		fd = hpath_openat2(root_fd, index_path);
		*index = true;
		if (fd < 0)
			return fd;
		if (fstat(fd, st) < 0)
			goto fail_errno;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;

fail_errno:
	dfd = -errno;
	close(fd);
	return dfd;
}
