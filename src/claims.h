/* SPDX-License-Identifier: BSD-2-Clause */
/* claims.h - the binding table's claims in a state file that outlives mstackd: written by one, read by the next. */
#ifndef MSTACK_CLAIMS_H
#define MSTACK_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <mstack/ms_proto.h>

/*
 * One line per claim: "tcp 10.0.0.1:7000 1234 5678" (ms_tuple_format's
 * tuple, the owner's pid, the owner's start time). Lines that start with
 * '#' and empty lines are skipped. The start time is field 22 of
 * /proc/PID/stat (clock ticks after boot): with the pid it names one
 * process, so a pid the kernel gave to another process meanwhile is not
 * taken for the owner.
 */
struct claim {
	struct ms_tuple tuple;
	pid_t pid;
	uint64_t start;
};

#define CLAIMS_SUFFIX ".claims" /* the file sits next to the control socket: "<socket>.claims" */

/* "<sock>.claims" into buf of len bytes. 0 or -ENAMETOOLONG. */
int claims_path(const char *sock, char *buf, size_t len);

/*
 * Write n claims to path, atomically: a reader sees the old file or the new
 * one, never a part (written to "<path>.tmp", then renamed over path; no
 * fsync: the file lives on tmpfs and matters only while this boot lasts).
 * 0 or -errno.
 */
int claims_write(const char *path, const struct claim *c, uint32_t n);

/*
 * Read claims from in (named `name` in messages) into out[max]. A malformed
 * line is reported to errs as "name:line: why" and skipped; lines past the
 * max-th claim are ignored with one report. Returns the number of claims
 * read (never fails).
 */
uint32_t claims_parse(FILE *in, const char *name, struct claim *out, uint32_t max, FILE *errs);

/*
 * claims_parse of the file at path. A missing file is no claims (0); -EPERM
 * if it is not ours or others may write it; -errno if it cannot be read.
 */
int claims_load(const char *path, struct claim *out, uint32_t max, FILE *errs);

/* The start time of process pid (field 22 of /proc/PID/stat). 0, -ENOENT (no such process) or -errno. */
int claims_proc_start(pid_t pid, uint64_t *start);

/* Is the process that made claim c still alive: the same pid, started at the same time? */
bool claims_owner_alive(const struct claim *c);

#endif
