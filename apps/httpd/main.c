/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c - mstack-httpd: a static file server on mstack TCP, or on the kernel's for comparison. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "numarg.h"

volatile sig_atomic_t httpd_stop;

uint64_t httpd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int httpd_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *h = s;
	size_t hlen;
	unsigned port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host) || !numarg_uint(colon + 1, 1, 65535, &port))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
	}
	return 0;
}

void httpd_ready(const struct httpd_options *o, const char *transport)
{
	fprintf(stderr, "mstack-httpd: serving %u address%s over %s, %u worker%s\n", o->nlisten,
		o->nlisten > 1 ? "es" : "", transport, o->queues, o->queues > 1 ? "s" : "");
}

static void httpd_on_signal(int sig)
{
	(void)sig;
	httpd_stop = 1;
}

static void httpd_usage(FILE *f)
{
	fprintf(f,
		"usage: mstack-httpd [-s SOCKET] -r DOCROOT [-q QUEUES] [-k] [-c MAXCONNS]\n"
		"                    [--header-timeout MS] [--idle-timeout MS] [--send-timeout MS] LISTEN...\n"
		"  LISTEN is ADDR:PORT or [ADDR6]:PORT; -k (--kernel) serves on the kernel's TCP instead of mstack\n");
}

/* A usage error: one line saying what is wrong. Returns 2, the exit status. */
static int httpd_bad(const char *what, const char *arg)
{
	if (what)
		fprintf(stderr, "mstack-httpd: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	httpd_usage(stderr);
	return 2;
}

/* Raise the descriptor limit to the hard one: every connection on the kernel's TCP is an fd. */
static void httpd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "root", required_argument, NULL, 'r' },
		{ "queues", required_argument, NULL, 'q' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "header-timeout", required_argument, NULL, 'H' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "send-timeout", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct httpd_options o = { .socket_path = NULL, .queues = 1 };
	const char *root = NULL, *env;
	struct sigaction sa = { .sa_handler = httpd_on_signal };
	bool kernel = false;
	char err[256] = "";
	unsigned v;
	int opt, rc;

	env = getenv("MSTACK_SOCKET");
	if (env && *env)
		o.socket_path = env;
	while ((opt = getopt_long(argc, argv, "s:r:q:kc:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': o.socket_path = optarg; break;
		case 'r': root = optarg; break;
		case 'k': kernel = true; break;
		case 'q':
			if (!numarg_uint(optarg, 1, 64, &o.queues))
				return httpd_bad("QUEUES must be 1 to 64", optarg);
			break;
		case 'c':
			if (!numarg_uint(optarg, 1, 1000000, &o.server.max_conns))
				return httpd_bad("MAXCONNS must be 1 to 1000000", optarg);
			break;
		case 'H':
		case 'I':
		case 'S':
			if (!numarg_uint(optarg, 1, 3600000, &v))
				return httpd_bad("a timeout is 1 to 3600000 ms", optarg);
			o.server.timeout_ms[opt == 'H' ? HTTP_T_HEADER : opt == 'I' ? HTTP_T_IDLE : HTTP_T_SEND] = v;
			break;
		case 'h': httpd_usage(stdout); return 0;
		default: return httpd_bad(NULL, NULL);
		}
	}
	if (!root)
		return httpd_bad("no document root (-r DOCROOT)", NULL);
	if (optind == argc)
		return httpd_bad("nothing to listen on (LISTEN...)", NULL);
	for (; optind < argc; optind++) {
		if (o.nlisten == HTTPD_LISTEN_MAX)
			return httpd_bad("too many LISTEN addresses", argv[optind]);
		if (httpd_parse_listen(argv[optind], &o.listen[o.nlisten++]) < 0)
			return httpd_bad("LISTEN must be ADDR:PORT or [ADDR6]:PORT", argv[optind]);
	}
	o.server.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o.server.root_fd < 0) {
		fprintf(stderr, "mstack-httpd: cannot open document root %s: %s\n", root, strerror(errno));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	httpd_raise_nofile();
	rc = kernel ? httpd_run_kernel(&o, err, sizeof(err)) : httpd_run_mstack(&o, err, sizeof(err));
	close(o.server.root_fd);
	if (rc < 0) {
		fprintf(stderr, "mstack-httpd: %s\n", err);
		return 1;
	}
	return 0;
}
