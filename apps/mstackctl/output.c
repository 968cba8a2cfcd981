/* SPDX-License-Identifier: BSD-2-Clause */
/* output.c - mstackctl's text output, for people: aligned columns, human units. */
#include "mstackctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/*
 * Names come from applications: copy one bounded by its array (dst holds one
 * byte more, for a name that fills it) and turn every byte that is not
 * printable ASCII into '?', so that no name can drive the terminal.
 */
static const char *text_clean(char *dst, size_t cap, const char *src, size_t srclen)
{
	size_t i;

	for (i = 0; i + 1 < cap && i < srclen && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
	return dst;
}
#define TEXT_CLEAN(buf, field) text_clean((buf), sizeof(buf), (field), sizeof(field))

/* 3s, 2m03s, 1h02m03s, 4d01h02m03s */
static const char *text_uptime(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000, d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	s %= 60;
	if (d)
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", d, h, m, s);
	else if (h)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", h, m, s);
	else if (m)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", m, s);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

static const char *text_speed(char *buf, size_t len, uint32_t mbps)
{
	if (mbps == 0 || mbps == UINT32_MAX) /* DPDK: RTE_ETH_SPEED_NUM_NONE / _UNKNOWN */
		snprintf(buf, len, "speed unknown");
	else if (mbps % 1000 == 0)
		snprintf(buf, len, "%u Gb/s", mbps / 1000);
	else
		snprintf(buf, len, "%u Mb/s", mbps);
	return buf;
}

static void text_status(const struct ms_status *st)
{
	char ver[sizeof(st->version) + 1], up[32], speed[32], name[sizeof(st->ports[0].name) + 1],
	    dev[sizeof(st->ports[0].devargs) + 1];
	uint32_t i;

	printf("version   %s\n", TEXT_CLEAN(ver, st->version));
	printf("uptime    %s\n", text_uptime(up, sizeof(up), st->uptime_ms));
	printf("workers   %u\n", st->nworkers);
	printf("apps      %u\n", st->napps);
	printf("bindings  %u\n", st->nbindings);
	for (i = 0; i < st->nports; i++) {
		const struct ms_port_info *p = &st->ports[i];

		printf("port %-4s link %s, %s, mac %02x:%02x:%02x:%02x:%02x:%02x, %s\n", TEXT_CLEAN(name, p->name),
		       p->link_up ? "up" : "down", text_speed(speed, sizeof(speed), p->speed_mbps), p->mac[0],
		       p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5], TEXT_CLEAN(dev, p->devargs));
	}
}

static void text_apps(const struct ms_app_info *a, uint32_t n)
{
	char name[sizeof(a->name) + 1];
	uint32_t i;

	printf("%5s %-16s %7s %6s %6s %6s %8s %14s %14s %10s\n", "ID", "NAME", "PID", "UID", "QUEUES", "RING",
	       "BINDINGS", "RX", "TX", "DROPS");
	for (i = 0; i < n; i++)
		printf("%5u %-16s %7u %6u %6u %6u %8u %14" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n", a[i].app_id,
		       TEXT_CLEAN(name, a[i].name), a[i].pid, a[i].uid, a[i].nqueues, a[i].ring_size, a[i].nbindings,
		       a[i].rx_packets, a[i].tx_packets, a[i].drops);
}

static void text_tuple(char *buf, size_t len, const struct ms_tuple *t)
{
	if (ms_tuple_format(t, buf, len) < 0)
		snprintf(buf, len, "(bad tuple)");
}

static void text_bindings(const struct ms_binding_info *b, uint32_t n)
{
	char tup[MS_TUPLE_STRLEN], name[sizeof(b->name) + 1];
	int width = 0, w;
	uint32_t i;

	for (i = 0; i < n; i++) {
		text_tuple(tup, sizeof(tup), &b[i].tuple);
		w = (int)strlen(tup);
		width = w > width ? w : width;
	}
	for (i = 0; i < n; i++) {
		text_tuple(tup, sizeof(tup), &b[i].tuple);
		if (b[i].app_id == 0)
			printf("%-*s  reserved (administrator)\n", width, tup);
		else if (b[i].app_id == MS_BINDING_HELD)
			printf("%-*s  held for pid %u across a restart (%s)\n", width, tup, b[i].pid,
			       TEXT_CLEAN(name, b[i].name));
		else
			printf("%-*s  app %u (%s, pid %u)\n", width, tup, b[i].app_id, TEXT_CLEAN(name, b[i].name),
			       b[i].pid);
	}
}

/* Counters group by their prefix: "nic", "tap", "dp", "ctl", "app.3". */
static size_t text_group_len(const char *name)
{
	const char *dot = strchr(name, '.');

	if (dot && !strncmp(name, "app.", 4) && strchr(dot + 1, '.'))
		dot = strchr(dot + 1, '.');
	return dot ? (size_t)(dot - name) : strlen(name);
}

static void text_group_end(const char *group, const struct derived *d)
{
	if (strcmp(group, "dp") || d->cycles_per_packet < 0)
		return;
	printf("%-32s %20.1f", "dp.busy_cycles_per_packet", d->cycles_per_packet);
	if (d->interval > 0)
		printf("  (last %.1f s)", d->interval);
	printf("\n");
}

static void text_stats(const struct sample *cur, const struct sample *prev, int all)
{
	char name[sizeof(cur->c[0].name) + 1], group[sizeof(name)] = "";
	struct derived d;
	uint32_t i;
	size_t glen;

	sample_derive(cur, prev, &d);
	for (i = 0; i < cur->n; i++) {
		if (!all && cur->c[i].value == 0)
			continue;
		TEXT_CLEAN(name, cur->c[i].name);
		glen = text_group_len(name);
		if (strlen(group) != glen || strncmp(group, name, glen)) {
			if (*group) {
				text_group_end(group, &d);
				printf("\n");
			}
			snprintf(group, sizeof(group), "%.*s", (int)glen, name);
		}
		printf("%-32s %20" PRIu64, name, cur->c[i].value);
		if (prev) {
			double r = sample_rate(cur, prev, i);

			if (r >= 0)
				printf(" %16.1f/s", r);
		}
		printf("\n");
	}
	if (*group)
		text_group_end(group, &d);
}

static void text_result(const char *verb, const struct ms_tuple *t)
{
	char tup[MS_TUPLE_STRLEN];

	text_tuple(tup, sizeof(tup), t);
	printf("%s %s\n", verb, tup);
}

const struct output output_text = {
	.status = text_status,
	.apps = text_apps,
	.bindings = text_bindings,
	.stats = text_stats,
	.result = text_result,
};
