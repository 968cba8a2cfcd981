/* SPDX-License-Identifier: BSD-2-Clause */
/* mstackctl.h - what the parts of mstackctl share: fetching from mstackd and the output modules. */
#ifndef MSTACKCTL_H
#define MSTACKCTL_H

#include <stdint.h>
#include <stdio.h>

#include <mstack/mstack.h>

/* One STATS reply, all pages, and when it was taken. */
struct sample {
	struct ms_counter *c;
	uint32_t n;
	double when; /* seconds, CLOCK_MONOTONIC */
};

/* fetch.c: requests to mstackd. All return 0 or -errno (ms_strerror explains it). */
int fetch_status(int fd, struct ms_status *st);
/* A whole paged list (MS_MSG_APPS, _BINDINGS, _STATS): *out is malloc'd, free it. */
int fetch_list(int fd, uint16_t type, void **out, uint32_t *n);
/* MS_MSG_ADMIN_BIND or MS_MSG_ADMIN_UNBIND of *t. */
int fetch_admin(int fd, uint16_t type, const struct ms_tuple *t);
/*
 * CAPTURE: on success *rep is the reply and fds[0], fds[1] the region memfd
 * and the eventfd (the caller closes them). The session is the capture.
 */
int fetch_capture(int fd, const struct ms_capture_req *req, struct ms_capture_reply *rep, int fds[2]);
/* One counter's value (0 if mstackd has none of that name). */
int fetch_counter(int fd, const char *name, uint64_t *v);
/* All counters, timed; sample_free releases them (accepts an empty sample). */
int fetch_sample(int fd, struct sample *s);
void sample_free(struct sample *s);

/* Derived figures of a sample (and of the interval since prev, if not NULL). */
struct derived {
	double cycles_per_packet; /* dp.busy_cycles / dp.packets; < 0 if no packets */
	double interval;          /* seconds since prev; 0 without prev */
};
void sample_derive(const struct sample *cur, const struct sample *prev, struct derived *d);
/* Per second change of cur->c[i] since prev, or -1 if prev lacks it or went backwards. */
double sample_rate(const struct sample *cur, const struct sample *prev, uint32_t i);

/* output.c (text) and output_json.c: one function per kind of reply. */
struct output {
	void (*status)(const struct ms_status *st);
	void (*apps)(const struct ms_app_info *a, uint32_t n);
	void (*bindings)(const struct ms_binding_info *b, uint32_t n);
	/* prev is NULL except when watching; all: show zero counters too */
	void (*stats)(const struct sample *cur, const struct sample *prev, int all);
	/* verb is "reserved" or "released" */
	void (*result)(const char *verb, const struct ms_tuple *t);
};

extern const struct output output_text;
extern const struct output output_json;

/* output_prom.c: stats --prometheus, which also takes STATUS (gauges) and APPS (names for the app label). */
struct prom_input {
	const struct sample *s;
	const struct ms_status *st;     /* NULL: no gauges from STATUS */
	const struct ms_app_info *apps; /* may lack apps the sample has: their name label is "" */
	uint32_t napps;
};
/* Writes the text exposition format to f. Returns 0 or -ENOMEM. */
int prom_write(FILE *f, const struct prom_input *in);

#endif
