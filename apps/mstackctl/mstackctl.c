/* SPDX-License-Identifier: BSD-2-Clause */
/* mstackctl.c - the administrator's tool for mstackd: options, connection, dispatch. */
#include "mstackctl.h"
#include "parser.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Connect, or say why not in an operator's words. Returns the fd or -1. */
static int ctl_connect(const char *path)
{
	int fd = ms_ctl_connect(path);

	if (fd >= 0)
		return fd;
	fprintf(stderr, "mstackctl: cannot connect to mstackd at %s: ", path);
	switch (-fd) {
	case ENOENT:
	case ECONNREFUSED: fprintf(stderr, "%s (is mstackd running?)\n", strerror(-fd)); break;
	case EACCES:
		fprintf(stderr, "permission denied (run as root or as a member of the socket's group, "
				"[control] group in mstackd.conf)\n");
		break;
	default: fprintf(stderr, "%s\n", strerror(-fd)); break;
	}
	return -1;
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct parse_result res = { 0 };
	const char *path = getenv("MSTACK_SOCKET");
	int ch, fd = -1, rc;

	if (!path || !*path)
		path = MS_DEFAULT_SOCKET;
	/* '+': stop at the command, whose own options its parser takes. */
	while ((ch = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'j': res.json = 1; break;
		case 'h': parser_usage(stdout); return 0;
		default: parser_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		parser_usage(stderr);
		return 2;
	}
	if (parser_parse(argc - optind, argv + optind, &res) < 0)
		return 2;
	res.out = res.json ? &output_json : &output_text;

	if (res.cmd->need_daemon && (fd = ctl_connect(path)) < 0)
		return 1;
	rc = res.cmd->handler(fd, &res);
	if (fd >= 0)
		close(fd);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mstackctl: writing output: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}
