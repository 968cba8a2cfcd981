/* SPDX-License-Identifier: BSD-2-Clause */
/* hold.c - tuples held for applications that outlived the previous mstackd, until they claim them again. */
#include "hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mstackd.h"

#define HOLD_ALIVE_CHECK_MS 1000 /* owners are looked for in /proc once a second, not every tick */

/* Each line written to errs by claims_load, as one warning. */
static int hold_load_logged(const char *path, struct claim *out, uint32_t max)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&text, &len);
	int n;

	n = claims_load(path, out, max, errs);
	if (errs)
		fclose(errs);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		log_warn("%s", line);
	free(text);
	return n;
}

void hold_start(struct mstackd *d)
{
	struct hold_list *l = &d->holds;
	uint64_t until = clock_now_ms() + (uint64_t)d->conf.restart_hold_s * 1000;
	struct claim *c;
	char name[MS_TUPLE_STRLEN];
	int i, n;

	l->written_changes = UINT64_MAX; /* the first tick writes what this run holds */
	if (claims_path(d->conf.ctl_socket, l->path, sizeof(l->path)) < 0) {
		log_warn("[control] socket %s is too long for a claims file next to it: no tuple is held across "
			 "restarts",
			 d->conf.ctl_socket);
		l->path[0] = '\0';
		return;
	}
	if (d->conf.restart_hold_s == 0) {
		unlink(l->path); /* a previous run's claims would be stale by the time holds are turned on again */
		l->path[0] = '\0';
		return;
	}
	c = calloc(d->conf.max_bindings_all, sizeof(*c));
	if (!c) {
		log_warn("out of memory reading %s: no tuple is held", l->path);
		return;
	}
	n = hold_load_logged(l->path, c, d->conf.max_bindings_all);
	if (n < 0)
		log_warn("cannot read %s: %s; no tuple is held", l->path, strerror(-n));
	l->h = n > 0 ? calloc((size_t)n, sizeof(*l->h)) : NULL;
	for (i = 0; l->h && i < n; i++) {
		int rc;

		ms_tuple_format(&c[i].tuple, name, sizeof(name));
		if (!claims_owner_alive(&c[i])) {
			log_info("%s of pid %d is not held: the process is gone", name, (int)c[i].pid);
			continue;
		}
		rc = btable_add(&d->bt, &c[i].tuple, &app_held);
		if (rc < 0) {
			log_warn("%s of pid %d is not held: %s", name, (int)c[i].pid, strerror(-rc));
			continue;
		}
		l->h[l->n++] = (struct hold){ .c = c[i], .until_ms = until };
		log_notice("holding %s for pid %d, which outlived the previous mstackd: its frames are dropped, not "
			   "given to the kernel, until it claims it again (at most %u s)",
			   name, (int)c[i].pid, d->conf.restart_hold_s);
	}
	if (n > 0 && !l->h)
		log_warn("out of memory holding the %d claim(s) of %s", n, l->path);
	free(c);
}

/* Every binding of every app, and every hold, into a claims array. NULL with *n = 0 if there is none or no memory. */
static struct claim *hold_collect(struct mstackd *d, uint32_t *n)
{
	struct claim *c = malloc(((size_t)d->bt.count + 1) * sizeof(*c));
	struct app *a;
	uint32_t i;

	*n = 0;
	if (!c)
		return NULL;
	LIST_FOREACH (a, &d->apps, link)
		for (i = 0; i < a->nbindings && *n < d->bt.count; i++)
			c[(*n)++] =
			    (struct claim){ .tuple = a->bindings[i].tuple, .pid = a->pid, .start = a->pid_start };
	/* A hold claimed again since the last tick is in its app's bindings already. */
	for (i = 0; i < d->holds.n && *n < d->bt.count; i++)
		if (app_is_held(btable_lookup(&d->bt, &d->holds.h[i].c.tuple)))
			c[(*n)++] = d->holds.h[i].c;
	return c;
}

static void hold_write(struct mstackd *d)
{
	struct hold_list *l = &d->holds;
	struct claim *c;
	uint32_t n;
	int rc;

	if (!l->path[0] || l->written_changes == d->bt.changes)
		return;
	c = hold_collect(d, &n);
	rc = c ? claims_write(l->path, c, n) : -ENOMEM;
	free(c);
	if (rc < 0) {
		/* Tried again at the next tick; said once until a write succeeds. */
		if (!l->write_failing)
			log_warn("cannot write %s: %s; a restart now would not hold the tuples bound since", l->path,
				 strerror(-rc));
		l->write_failing = true;
		return;
	}
	l->write_failing = false;
	l->written_changes = d->bt.changes;
}

/* Take hold i out of the list (the table entry is the caller's). */
static void hold_remove(struct hold_list *l, uint32_t i)
{
	l->h[i] = l->h[--l->n];
}

void hold_tick(struct mstackd *d, uint64_t now_ms)
{
	struct hold_list *l = &d->holds;
	bool check_alive = l->n && now_ms >= l->next_alive_ms;
	char name[MS_TUPLE_STRLEN];
	uint32_t i = 0;

	if (check_alive)
		l->next_alive_ms = now_ms + HOLD_ALIVE_CHECK_MS;
	while (i < l->n) {
		struct hold *h = &l->h[i];
		bool claimed = !app_is_held(btable_lookup(&d->bt, &h->c.tuple));
		bool expired = !claimed && now_ms >= h->until_ms;
		bool gone = !claimed && !expired && check_alive && !claims_owner_alive(&h->c);

		if (!claimed && !expired && !gone) {
			i++;
			continue;
		}
		/* Formatted only for the line said when a hold ends: most ticks end none. */
		ms_tuple_format(&h->c.tuple, name, sizeof(name));
		if (claimed) {
			log_info("%s is claimed again (held for pid %d)", name, (int)h->c.pid);
		} else {
			btable_del(&d->bt, &h->c.tuple);
			if (expired)
				log_notice(
				    "hold of %s for pid %d expired after [datapath] restart_hold_s %u: its frames "
				    "go to the kernel again",
				    name, (int)h->c.pid, d->conf.restart_hold_s);
			else
				log_notice("hold of %s ended: pid %d is gone", name, (int)h->c.pid);
		}
		hold_remove(l, i);
	}
	hold_write(d);
}

int hold_drop(struct mstackd *d, const struct ms_tuple *t)
{
	struct hold_list *l = &d->holds;
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (memcmp(&l->h[i].c.tuple, t, sizeof(*t)) == 0 && app_is_held(btable_lookup(&d->bt, t))) {
			btable_del(&d->bt, t);
			hold_remove(l, i);
			return 0;
		}
	return -ENOENT;
}

void hold_stop(struct mstackd *d)
{
	hold_write(d);
	d->holds.path[0] = '\0'; /* what the detaches that follow remove stays in the file */
	free(d->holds.h);
	d->holds.h = NULL;
	d->holds.n = 0;
}

uint32_t hold_seconds_left(const struct hold *h, uint64_t now_ms)
{
	return h->until_ms > now_ms ? (uint32_t)((h->until_ms - now_ms + 999) / 1000) : 0;
}
