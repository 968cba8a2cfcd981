/* SPDX-License-Identifier: BSD-2-Clause */
/* http_path.h - a request-target to a file under the document root, never one outside it. */
#ifndef MSTACK_HTTP_PATH_H
#define MSTACK_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define HTTP_PATH_MAX 1024

/**
 * Turn the path of an origin-form target (query and fragment dropped) into
 * a relative path: percent-decoded, empty and "." segments removed, no
 * leading '/' ("" for the root). A ".." segment, decoded or not, is
 * refused rather than resolved: clients resolve dot segments before they
 * send (RFC 3986 5.2.4), so one that arrives is an attempt to climb.
 * @return 0; -EINVAL (not starting with '/', a bad or NUL escape, an
 *   encoded '/'); -EPERM (a ".." segment); -ENAMETOOLONG (over cap).
 */
int http_path_decode(const char *target, size_t len, char *out, size_t cap);

/**
 * Open rel (from http_path_decode) beneath the directory root_fd: a
 * regular file, or a directory's index.html. Confinement is the kernel's:
 * openat2 with RESOLVE_BENEATH, which refuses any resolution, through ".."
 * or a symbolic link (absolute or relative), that leaves root_fd, while a
 * link that stays inside works. It is atomic, unlike realpath and a prefix
 * check (the tree may change between the check and the open), and unlike
 * O_NOFOLLOW per component it does not forbid links inside the root.
 * Where the kernel has no openat2 (before 5.6), O_NOFOLLOW per component it
 * is, and every link is refused (-EXDEV).
 * @return an fd (O_RDONLY, O_CLOEXEC), *st, and *index (it is a directory's index.html); -ENOENT (missing, or not a
 *   regular file); -EXDEV (it would leave the root); -EACCES; -ELOOP;
 *   another -errno of openat2.
 */
int http_path_open(int root_fd, const char *rel, struct stat *st, bool *index);

#endif
