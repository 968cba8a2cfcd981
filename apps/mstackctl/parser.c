/* SPDX-License-Identifier: BSD-2-Clause */
/* parser.c - the command table of mstackctl and the parsing of each command's arguments. */
#include "parser.h"

#include "numarg.h"

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_DEFAULT 1
#define WATCH_MAX     86400

static const struct command parser_table[] = {
	{ "status", "", ARGS_NONE, 1, cmd_status, "version, uptime, ports, workers, apps and bindings" },
	{ "apps", "", ARGS_NONE, 1, cmd_apps, "attached applications with their traffic" },
	{ "bindings", "", ARGS_NONE, 1, cmd_bindings, "claimed 3-tuples and who holds them" },
	{ "stats", "[-a|--all] [--watch [SECONDS] | --prometheus]", ARGS_STATS, 1, cmd_stats,
	  "counters (non-zero only unless --all); --watch adds rates, every SECONDS (1);\n"
	  "      --prometheus: every counter and gauge in Prometheus text format (not with --json)" },
	{ "bind", "PROTO ADDR:PORT", ARGS_TUPLE, 1, cmd_bind,
	  "reserve a 3-tuple so no application can claim it (administrator)" },
	{ "unbind", "PROTO ADDR:PORT", ARGS_TUPLE, 1, cmd_unbind,
	  "remove a reservation or revoke an application's binding (administrator)" },
	{ "capture", "[--nic] [--tap] [--app ID] [--dir rx|tx|both] [-c COUNT] [-s SNAPLEN] [-w FILE] [FILTER]",
	  ARGS_CAPTURE, 1, cmd_capture,
	  "write frames seen at the NIC (default), the TAP or an app to FILE (pcapng; '-' or none: standard\n"
	  "      output, not a terminal) until COUNT frames or Ctrl-C; FILTER is a pcap filter (administrator)" },
	{ "help", "", ARGS_NONE, 0, cmd_help, "this text" },
};

void parser_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: mstackctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"  -s, --socket SOCKET  mstackd's control socket (default $MSTACK_SOCKET or %s)\n"
		"  -j, --json           print one JSON object per command\n"
		"  -h, --help           this text\n"
		"commands:\n",
		MS_DEFAULT_SOCKET);
	for (i = 0; i < sizeof(parser_table) / sizeof(parser_table[0]); i++) {
		const struct command *c = &parser_table[i];

		fprintf(f, "  %s%s%s\n", c->name, *c->args ? " " : "", c->args);
		fprintf(f, "      %s\n", c->help);
	}
	fprintf(f, "PROTO is udp or tcp; ADDR:PORT is 10.0.0.1:53, *:53 (any IPv4) or [2001:db8::1]:53.\n");
}

static const struct command *parser_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(parser_table) / sizeof(parser_table[0]); i++)
		if (!strcmp(parser_table[i].name, name))
			return &parser_table[i];
	return NULL;
}

static int parser_stats(int argc, char *argv[], struct parse_result *res)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all")) {
			res->all = 1;
		} else if (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--watch")) {
			res->watch = WATCH_DEFAULT;
			if (i + 1 < argc && isdigit((unsigned char)argv[i + 1][0]) &&
			    !numarg_uint(argv[++i], 1, WATCH_MAX, &res->watch)) {
				fprintf(stderr, "mstackctl: stats: bad interval '%s' (1..%d seconds)\n", argv[i],
					WATCH_MAX);
				return -1;
			}
		} else if (!strcmp(argv[i], "--prometheus")) {
			res->prometheus = 1;
		} else {
			fprintf(stderr, "mstackctl: stats: unknown argument '%s'\n", argv[i]);
			return -1;
		}
	}
	/* Prometheus takes one sample and computes rates itself; a file is one format. */
	if (res->prometheus && res->watch) {
		fprintf(stderr, "mstackctl: stats: --prometheus prints one sample; it does not take --watch\n");
		return -1;
	}
	if (res->prometheus && res->json) {
		fprintf(stderr, "mstackctl: stats: --prometheus and --json exclude each other\n");
		return -1;
	}
	return 0;
}

#define CAP_SNAPLEN_DEFAULT 2048

/* An option's value: the next argument, or an error. */
static const char *parser_value(int argc, char *argv[], int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "mstackctl: capture: %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int parser_capture(int argc, char *argv[], struct parse_result *res)
{
	size_t used = 0;
	const char *v;
	int i;

	res->cap_dirs = MS_CAP_RX | MS_CAP_TX;
	res->cap_snaplen = CAP_SNAPLEN_DEFAULT;
	res->cap_file = "-";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--nic")) {
			res->cap_points |= MS_CAP_NIC;
		} else if (!strcmp(a, "--tap")) {
			res->cap_points |= MS_CAP_TAP;
		} else if (!strcmp(a, "--app")) {
			if (!(v = parser_value(argc, argv, &i)))
				return -1;
			if (!numarg_uint(v, 1, UINT32_MAX, &res->cap_app)) {
				fprintf(stderr, "mstackctl: capture: bad app id '%s'\n", v);
				return -1;
			}
			res->cap_points |= MS_CAP_APP;
		} else if (!strcmp(a, "--dir")) {
			if (!(v = parser_value(argc, argv, &i)))
				return -1;
			if (!strcmp(v, "rx"))
				res->cap_dirs = MS_CAP_RX;
			else if (!strcmp(v, "tx"))
				res->cap_dirs = MS_CAP_TX;
			else if (!strcmp(v, "both"))
				res->cap_dirs = MS_CAP_RX | MS_CAP_TX;
			else {
				fprintf(stderr, "mstackctl: capture: --dir is rx, tx or both, not '%s'\n", v);
				return -1;
			}
		} else if (!strcmp(a, "-c") || !strcmp(a, "--count")) {
			if (!(v = parser_value(argc, argv, &i)))
				return -1;
			if (!numarg_uint(v, 1, UINT32_MAX, &res->cap_count)) {
				fprintf(stderr, "mstackctl: capture: bad count '%s'\n", v);
				return -1;
			}
		} else if (!strcmp(a, "-s") || !strcmp(a, "--snaplen")) {
			if (!(v = parser_value(argc, argv, &i)))
				return -1;
			if (!numarg_uint(v, 14, MS_CAP_SNAPLEN_MAX, &res->cap_snaplen)) {
				fprintf(stderr, "mstackctl: capture: bad snaplen '%s' (14..%d)\n", v,
					MS_CAP_SNAPLEN_MAX);
				return -1;
			}
		} else if (!strcmp(a, "-w") || !strcmp(a, "--write")) {
			if (!(res->cap_file = parser_value(argc, argv, &i)))
				return -1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mstackctl: capture: unknown option '%s'\n", a);
			return -1;
		} else {
			/* The rest of the words are the filter, as tcpdump takes them. */
			size_t n = strlen(a);

			if (used + n + 2 > sizeof(res->cap_filter)) {
				fprintf(stderr, "mstackctl: capture: the filter is too long\n");
				return -1;
			}
			if (used)
				res->cap_filter[used++] = ' ';
			memcpy(res->cap_filter + used, a, n + 1);
			used += n;
		}
	}
	if (!res->cap_points)
		res->cap_points = MS_CAP_NIC;
	return 0;
}

static int parser_tuple(int argc, char *argv[], struct parse_result *res)
{
	const char *cmd = argv[0];

	if (argc != 3) {
		fprintf(stderr, "mstackctl: %s: expected PROTO ADDR:PORT, e.g. %s udp 10.0.0.1:53\n", cmd, cmd);
		return -1;
	}
	if (strcmp(argv[1], "udp") && strcmp(argv[1], "tcp")) {
		fprintf(stderr, "mstackctl: %s: unknown protocol '%s' (udp or tcp)\n", cmd, argv[1]);
		return -1;
	}
	if (ms_tuple_parse(argv[1], argv[2], &res->tuple) < 0) {
		fprintf(stderr, "mstackctl: %s: bad address '%s' (10.0.0.1:53, *:53 or [::1]:53)\n", cmd, argv[2]);
		return -1;
	}
	if (res->tuple.port == 0) {
		fprintf(stderr, "mstackctl: %s: port 0 cannot be reserved\n", cmd);
		return -1;
	}
	return 0;
}

/* The command's own arguments; prints what is wrong and returns -1 on error. */
static int parser_args(int argc, char *argv[], struct parse_result *res)
{
	switch (res->cmd->kind) {
	case ARGS_NONE:
		if (argc == 1)
			return 0;
		fprintf(stderr, "mstackctl: %s: unexpected argument '%s'\n", argv[0], argv[1]);
		return -1;
	case ARGS_TUPLE: return parser_tuple(argc, argv, res);
	case ARGS_STATS: return parser_stats(argc, argv, res);
	case ARGS_CAPTURE: return parser_capture(argc, argv, res);
	}
	return -1;
}

int parser_parse(int argc, char *argv[], struct parse_result *res)
{
	const struct command *c = parser_lookup(argv[0]);
	int i, n = 1;

	if (!c) {
		fprintf(stderr, "mstackctl: unknown command '%s'; 'mstackctl help' lists them\n", argv[0]);
		return -1;
	}
	res->cmd = c;
	/* --json after the command is taken too, before the command's own arguments. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			res->json = 1;
		else
			argv[n++] = argv[i];
	}
	if (parser_args(n, argv, res) < 0) {
		fprintf(stderr, "usage: mstackctl [-s SOCKET] [--json] %s%s%s\n", c->name, *c->args ? " " : "",
			c->args);
		return -1;
	}
	return 0;
}
