/* SPDX-License-Identifier: BSD-2-Clause */
/* commands.c - mstackctl's command handlers: ask mstackd, hand the reply to the output module. */
#include "mstackctl.h"
#include "parser.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t cmd_stop;

static void cmd_on_signal(int sig)
{
	(void)sig;
	cmd_stop = 1;
}

/* Report a failed request: always text on stderr, also with --json. Returns exit status 1. */
static int cmd_fail(const char *cmd, int rc)
{
	if (rc == -EPIPE || rc == -ECONNRESET)
		fprintf(stderr, "mstackctl: %s: lost the connection to mstackd (did it stop?)\n", cmd);
	else
		fprintf(stderr, "mstackctl: %s: %s\n", cmd, ms_strerror(rc));
	return 1;
}

int cmd_status(int fd, const struct parse_result *res)
{
	struct ms_status st;
	int rc = fetch_status(fd, &st);

	if (rc < 0)
		return cmd_fail("status", rc);
	res->out->status(&st);
	return 0;
}

int cmd_apps(int fd, const struct parse_result *res)
{
	void *apps;
	uint32_t n;
	int rc = fetch_list(fd, MS_MSG_APPS, &apps, &n);

	if (rc < 0)
		return cmd_fail("apps", rc);
	res->out->apps(apps, n);
	free(apps);
	return 0;
}

int cmd_bindings(int fd, const struct parse_result *res)
{
	void *b;
	uint32_t n;
	int rc = fetch_list(fd, MS_MSG_BINDINGS, &b, &n);

	if (rc < 0)
		return cmd_fail("bindings", rc);
	res->out->bindings(b, n);
	free(b);
	return 0;
}

/* Sleep up to sec seconds; a signal ends it early. */
static void cmd_sleep(unsigned sec)
{
	struct timespec ts = { .tv_sec = sec };

	while (!cmd_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* With --watch: sample, print with the rates since the last sample, sleep, until SIGINT/SIGTERM. */
static int cmd_stats_watch(int fd, const struct parse_result *res)
{
	struct sigaction sa = { .sa_handler = cmd_on_signal }; /* no SA_RESTART: a signal cuts the sleep */
	struct sample cur = { 0 }, prev = { 0 };
	int clear = !res->json && isatty(STDOUT_FILENO);
	int rc = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!cmd_stop) {
		rc = fetch_sample(fd, &cur);
		if (rc < 0)
			break;
		if (clear)
			printf("\033[H\033[2J");
		if (!res->json) {
			time_t now = time(NULL);
			struct tm tm = { 0 };
			char when[32];

			localtime_r(&now, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			printf("mstackd counters at %s, every %u s%s\n\n", when, res->watch,
			       clear ? " (Ctrl-C stops)" : "");
		}
		res->out->stats(&cur, prev.c ? &prev : NULL, res->all);
		if (!res->json && !clear)
			printf("\n");
		fflush(stdout);
		sample_free(&prev);
		prev = cur;
		cur = (struct sample){ 0 };
		cmd_sleep(res->watch);
	}
	sample_free(&prev);
	return rc < 0 ? cmd_fail("stats", rc) : 0;
}

/* --prometheus: the counters, then APPS for the app labels and STATUS for the gauges. */
static int cmd_stats_prom(int fd)
{
	struct prom_input in = { 0 };
	struct sample s = { 0 };
	struct ms_status st;
	void *apps = NULL;
	int rc;

	if ((rc = fetch_sample(fd, &s)) < 0 || (rc = fetch_list(fd, MS_MSG_APPS, &apps, &in.napps)) < 0 ||
	    (rc = fetch_status(fd, &st)) < 0)
		goto out;
	in.s = &s;
	in.st = &st;
	in.apps = apps;
	rc = prom_write(stdout, &in);
out:
	free(apps);
	sample_free(&s);
	return rc < 0 ? cmd_fail("stats", rc) : 0;
}

int cmd_stats(int fd, const struct parse_result *res)
{
	struct sample s;
	int rc;

	if (res->prometheus)
		return cmd_stats_prom(fd);
	if (res->watch)
		return cmd_stats_watch(fd, res);
	rc = fetch_sample(fd, &s);
	if (rc < 0)
		return cmd_fail("stats", rc);
	res->out->stats(&s, NULL, res->all);
	sample_free(&s);
	return 0;
}

/* ADMIN_BIND and ADMIN_UNBIND: the daemon's errors in an administrator's words. */
static int cmd_admin(int fd, const struct parse_result *res, uint16_t type, const char *cmd, const char *verb)
{
	char tup[MS_TUPLE_STRLEN];
	const char *why;
	int rc = fetch_admin(fd, type, &res->tuple);

	if (rc == 0) {
		res->out->result(verb, &res->tuple);
		return 0;
	}
	ms_tuple_format(&res->tuple, tup, sizeof(tup)); /* ms_tuple_parse made it: well-formed */
	switch (-rc) {
	case EPERM: fprintf(stderr, "mstackctl: %s: permission denied (administrator only)\n", cmd); return 1;
	case EADDRINUSE: why = "already bound by an application or reserved"; break;
	case ENOENT: why = "no such binding or reservation"; break;
	case EINVAL: why = "refused by mstackd as invalid"; break;
	default: why = ms_strerror(rc); break;
	}
	fprintf(stderr, "mstackctl: %s: %s: %s\n", cmd, tup, why);
	return 1;
}

int cmd_bind(int fd, const struct parse_result *res)
{
	return cmd_admin(fd, res, MS_MSG_ADMIN_BIND, "bind", "reserved");
}

int cmd_unbind(int fd, const struct parse_result *res)
{
	return cmd_admin(fd, res, MS_MSG_ADMIN_UNBIND, "unbind", "released");
}

int cmd_help(int fd, const struct parse_result *res)
{
	(void)fd;
	(void)res;
	parser_usage(stdout);
	return 0;
}
