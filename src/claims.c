/* SPDX-License-Identifier: BSD-2-Clause */
/* claims.c - the binding table's claims in a state file that outlives mstackd: written by one, read by the next. */
#include "claims.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLAIMS_LINE_MAX 160 /* a tuple (MS_TUPLE_STRLEN), a pid and a start time, with room */

int claims_path(const char *sock, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", sock, CLAIMS_SUFFIX);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int claims_write(const char *path, const struct claim *c, uint32_t n)
{
	char tmp[PATH_MAX], tuple[MS_TUPLE_STRLEN];
	FILE *f;
	uint32_t i;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* 0644 whatever the umask: claims_load believes no file that others may write. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	fprintf(f, "# mstackd's claims: proto address:port owner-pid owner-start-time (/proc/PID/stat field 22)\n");
	for (i = 0; i < n; i++) {
		if (ms_tuple_format(&c[i].tuple, tuple, sizeof(tuple)) < 0)
			continue; /* the table holds checked tuples only */
		fprintf(f, "%s %d %" PRIu64 "\n", tuple, (int)c[i].pid, c[i].start);
	}
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* One line into *c: 0, or -EINVAL with *why saying what is wrong. */
static int claims_parse_line(char *line, struct claim *c, const char **why)
{
	char proto[8], addr[MS_TUPLE_STRLEN], extra;
	long long pid;
	unsigned long long start;

	/* %63s: addr has MS_TUPLE_STRLEN (64) bytes. */
	if (sscanf(line, "%7s %63s %lld %llu %c", proto, addr, &pid, &start, &extra) != 4) {
		*why = "expected: proto address:port pid start-time";
		return -EINVAL;
	}
	if (ms_tuple_parse(proto, addr, &c->tuple) < 0 || ms_tuple_check(&c->tuple) < 0 || c->tuple.port == 0) {
		*why = "not a tuple (tcp|udp address:port)";
		return -EINVAL;
	}
	/* %llu takes "-5" for a huge number: no sign anywhere (a tuple has none either). */
	if (pid <= 0 || pid > INT_MAX || strchr(line, '-')) {
		*why = "not a pid and a start time";
		return -EINVAL;
	}
	c->pid = (pid_t)pid;
	c->start = start;
	return 0;
}

uint32_t claims_parse(FILE *in, const char *name, struct claim *out, uint32_t max, FILE *errs)
{
	char line[CLAIMS_LINE_MAX];
	unsigned long lineno = 0;
	uint32_t n = 0;
	bool long_line = false;

	while (fgets(line, sizeof(line), in)) {
		size_t len = strlen(line);
		const char *why = NULL;
		bool cont = long_line;

		/* A line longer than the buffer is read in pieces: report it once, skip every piece. */
		long_line = len > 0 && line[len - 1] != '\n' && !feof(in);
		if (cont)
			continue;
		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == len)
			continue;
		if (n == max) {
			if (errs)
				fprintf(errs, "%s:%lu: more claims than [limits] bindings (%u): the rest are ignored\n",
					name, lineno, max);
			break;
		}
		if (long_line)
			why = "line too long";
		else
			claims_parse_line(line, &out[n], &why);
		if (why) {
			if (errs)
				fprintf(errs, "%s:%lu: %s, skipped\n", name, lineno, why);
			continue;
		}
		n++;
	}
	return n;
}

int claims_load(const char *path, struct claim *out, uint32_t max, FILE *errs)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	uint32_t n;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	/*
	 * A claim makes the daemon drop a tuple's frames: only a file of ours
	 * that nobody else may write is believed (whatever the directory allows).
	 */
	if (fstat(fileno(f), &st) < 0 || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		fclose(f);
		return -EPERM;
	}
	n = claims_parse(f, path, out, max, errs);
	fclose(f);
	return (int)n;
}

int claims_proc_start(pid_t pid, uint64_t *start)
{
	char path[32], buf[1024], *p;
	unsigned long long v;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Field 2, the command, is in parentheses and may hold anything, ')' and spaces included: skip past the last
	 * ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* Each step finds the space before the next field, from field 3 to the start time, field 22. */
	for (field = 3; field <= 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return -EINVAL;
	*start = v;
	return 0;
}

bool claims_owner_alive(const struct claim *c)
{
	uint64_t start;

	return claims_proc_start(c->pid, &start) == 0 && start == c->start;
}
