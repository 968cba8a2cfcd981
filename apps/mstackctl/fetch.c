/* SPDX-License-Identifier: BSD-2-Clause */
/* fetch.c - mstackctl's requests to mstackd: status, paged lists, counter samples, admin. */
#include "mstackctl.h"

#include "ms_codec.h" /* lib/: fds with a reply */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Replies land here; one request at a time. */
static uint8_t fetch_buf[MS_MSG_MAX];

int fetch_status(int fd, struct ms_status *st)
{
	const void *body;
	int rc = ms_ctl_request(fd, MS_MSG_STATUS, NULL, 0, fetch_buf, sizeof(fetch_buf), &body);

	if (rc < 0)
		return rc;
	memcpy(st, body, sizeof(*st)); /* ms_msg_unpack checked the exact size */
	if (st->nports > 2)
		st->nports = 2;
	return 0;
}

int fetch_admin(int fd, uint16_t type, const struct ms_tuple *t)
{
	const void *body;
	int rc = ms_ctl_request(fd, type, t, sizeof(*t), fetch_buf, sizeof(fetch_buf), &body);

	return rc < 0 ? rc : 0;
}

int fetch_capture(int fd, const struct ms_capture_req *req, struct ms_capture_reply *rep, int fds[2])
{
	const void *body;
	int nfds = 2, i;
	int rc =
	    ms_call(fd, 1, MS_MSG_CAPTURE, req, sizeof(*req), NULL, 0, fetch_buf, sizeof(fetch_buf), &body, fds, &nfds);

	if (rc >= 0 && nfds != 2) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		rc = -EPROTO;
	}
	if (rc < 0)
		return rc;
	memcpy(rep, body, sizeof(*rep));
	return 0;
}

int fetch_counter(int fd, const char *name, uint64_t *v)
{
	struct ms_counter *c;
	uint32_t n, i;
	void *all;
	int rc = fetch_list(fd, MS_MSG_STATS, &all, &n);

	if (rc < 0)
		return rc;
	c = all;
	*v = 0;
	for (i = 0; i < n; i++)
		if (!strncmp(c[i].name, name, sizeof(c[i].name)))
			*v = c[i].value;
	free(all);
	return 0;
}

static size_t fetch_entry_size(uint16_t type)
{
	switch (type) {
	case MS_MSG_APPS: return sizeof(struct ms_app_info);
	case MS_MSG_BINDINGS: return sizeof(struct ms_binding_info);
	case MS_MSG_STATS: return sizeof(struct ms_counter);
	default: return 0;
	}
}

/*
 * Ask page after page from offset 0 until we have `total` entries. Each page
 * is its own snapshot: the list may shrink meanwhile, so an empty page ends it.
 */
int fetch_list(int fd, uint16_t type, void **out, uint32_t *n)
{
	size_t entry = fetch_entry_size(type);
	struct ms_list_req req = { 0 };
	struct ms_list_hdr lh;
	uint8_t *all = NULL;
	const void *body;
	int rc;

	if (!entry)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	for (;;) {
		uint8_t *grown;

		req.offset = *n;
		rc = ms_ctl_request(fd, type, &req, sizeof(req), fetch_buf, sizeof(fetch_buf), &body);
		if (rc < 0)
			goto fail;
		memcpy(&lh, body, sizeof(lh)); /* count matches the body: ms_msg_unpack checked */
		if (lh.count == 0)
			break;
		grown = realloc(all, (*n + (size_t)lh.count) * entry);
		if (!grown) {
			rc = -ENOMEM;
			goto fail;
		}
		all = grown;
		memcpy(all + *n * entry, (const uint8_t *)body + sizeof(lh), lh.count * entry);
		*n += lh.count;
		if (*n >= lh.total)
			break;
	}
	*out = all;
	return 0;
fail:
	free(all);
	*n = 0;
	return rc;
}

int fetch_sample(int fd, struct sample *s)
{
	struct timespec ts;
	void *c;
	int rc;

	rc = fetch_list(fd, MS_MSG_STATS, &c, &s->n);
	if (rc < 0)
		return rc;
	s->c = c;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->when = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return 0;
}

void sample_free(struct sample *s)
{
	if (!s)
		return;
	free(s->c);
	s->c = NULL;
	s->n = 0;
}

/* Counter name's value in *v: 0, or -1 if s lacks it. hint: the index to try first. */
static int sample_find(const struct sample *s, const char *name, uint32_t hint, uint64_t *v)
{
	size_t len = sizeof(s->c[0].name);
	uint32_t i;

	/* Two samples list the same counters in the same order unless apps came or went. */
	if (hint < s->n && !strncmp(s->c[hint].name, name, len)) {
		*v = s->c[hint].value;
		return 0;
	}
	for (i = 0; i < s->n; i++)
		if (!strncmp(s->c[i].name, name, len)) {
			*v = s->c[i].value;
			return 0;
		}
	return -1;
}

double sample_rate(const struct sample *cur, const struct sample *prev, uint32_t i)
{
	double dt = cur->when - prev->when;
	uint64_t old;

	if (sample_find(prev, cur->c[i].name, i, &old) < 0 || old > cur->c[i].value || dt <= 0)
		return -1;
	return (double)(cur->c[i].value - old) / dt;
}

void sample_derive(const struct sample *cur, const struct sample *prev, struct derived *d)
{
	uint64_t cyc, pkts, pcyc, ppkts;

	d->interval = prev ? cur->when - prev->when : 0;
	d->cycles_per_packet = -1;
	if (sample_find(cur, "dp.busy_cycles", 0, &cyc) < 0 || sample_find(cur, "dp.packets", 0, &pkts) < 0)
		return;
	if (prev) { /* over the last interval: what an operator watching wants */
		if (sample_find(prev, "dp.busy_cycles", 0, &pcyc) < 0 ||
		    sample_find(prev, "dp.packets", 0, &ppkts) < 0 || pcyc > cyc || ppkts > pkts)
			return;
		cyc -= pcyc;
		pkts -= ppkts;
	}
	if (pkts > 0)
		d->cycles_per_packet = (double)cyc / (double)pkts;
}
