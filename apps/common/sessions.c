/* SPDX-License-Identifier: BSD-2-Clause */
/* sessions.c - many mstack sessions from one process: file descriptor limit, attach and bind. */
#include "sessions.h"

#include <stdio.h>
#include <sys/resource.h>

int sessions_raise_nofile(const char *prog, unsigned nsessions)
{
	rlim_t need = 2 * (rlim_t)nsessions + 16;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= need)
		return 0;
	fprintf(stderr, "%s: %u sessions need %llu file descriptors, RLIMIT_NOFILE allows %llu\n", prog, nsessions,
		(unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return 1;
}

int sessions_attach(const char *prog, const char *role, const char *sock, uint32_t ring, unsigned i,
		    const struct ms_tuple *base, struct ms_session **s, struct ms_tuple *bound)
{
	struct ms_attach_opts opts = { .nqueues = 1, .ring_size = ring };
	char name[MS_NAME_MAX], tuple[MS_TUPLE_STRLEN];
	int rc;

	snprintf(name, sizeof(name), "%s-%u", role, i);
	opts.name = name;
	rc = ms_attach(sock, &opts, s);
	if (rc < 0) {
		fprintf(stderr, "%s: session %u: attach to %s: %s\n", prog, i, sock ? sock : MS_DEFAULT_SOCKET,
			ms_strerror(rc));
		return 1;
	}
	*bound = *base;
	if (bound->port)
		bound->port = (uint16_t)(bound->port + i);
	rc = ms_bind(*s, bound);
	if (rc < 0) {
		ms_tuple_format(bound, tuple, sizeof(tuple));
		fprintf(stderr, "%s: session %u: bind %s: %s\n", prog, i, tuple, ms_strerror(rc));
		return 1;
	}
	return 0;
}
