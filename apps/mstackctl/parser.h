/* SPDX-License-Identifier: BSD-2-Clause */
/* parser.h - the command table of mstackctl and the parsing of each command's arguments. */
#ifndef MSTACKCTL_PARSER_H
#define MSTACKCTL_PARSER_H

#include <stdio.h>

#include <mstack/ms_capture.h>
#include <mstack/mstack.h>

struct output;
struct parse_result;

enum args_kind {
	ARGS_NONE,    /* no arguments */
	ARGS_TUPLE,   /* PROTO ADDR:PORT */
	ARGS_STATS,   /* [-a|--all] [--watch [SECONDS] | --prometheus] */
	ARGS_CAPTURE, /* [--nic] [--tap] [--app ID] [--dir D] [-c N] [-s LEN] [-w FILE] [FILTER...] */
};

struct command {
	const char *name;
	const char *args; /* as shown in the usage */
	enum args_kind kind;
	int need_daemon; /* connect before calling the handler */
	/* Returns the exit status: 0, or 1 after printing an error. fd is -1 if !need_daemon. */
	int (*handler)(int fd, const struct parse_result *res);
	const char *help;
};

struct parse_result {
	const struct command *cmd;
	const struct output *out;
	int json;
	int all;               /* stats: zero counters too */
	unsigned watch;        /* stats: interval in seconds, 0 = once */
	int prometheus;        /* stats: the Prometheus text format (output_prom.c), not res->out */
	struct ms_tuple tuple; /* bind, unbind */
	/* capture */
	unsigned cap_points;   /* MS_CAP_NIC | MS_CAP_TAP | MS_CAP_APP */
	unsigned cap_dirs;     /* MS_CAP_RX | MS_CAP_TX */
	unsigned cap_app;      /* with MS_CAP_APP */
	unsigned cap_count;    /* stop after this many frames written; 0: until interrupted */
	unsigned cap_snaplen;  /* bytes kept of each frame */
	const char *cap_file;  /* "-": standard output */
	char cap_filter[1024]; /* pcap filter expression, "" for none */
};

/*
 * Look argv[0] (argc >= 1) up in the command table and parse its arguments
 * into *res; may reorder argv. Returns 0, or -1 after printing what is wrong
 * (a usage error: exit 2).
 */
int parser_parse(int argc, char *argv[], struct parse_result *res);

/* The usage text with every command. */
void parser_usage(FILE *f);

/* Handlers, in commands.c. */
int cmd_status(int fd, const struct parse_result *res);
int cmd_apps(int fd, const struct parse_result *res);
int cmd_bindings(int fd, const struct parse_result *res);
int cmd_stats(int fd, const struct parse_result *res);
int cmd_bind(int fd, const struct parse_result *res);
int cmd_unbind(int fd, const struct parse_result *res);
int cmd_help(int fd, const struct parse_result *res);
int cmd_capture(int fd, const struct parse_result *res); /* capture.c */

#endif
