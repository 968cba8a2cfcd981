/* SPDX-License-Identifier: BSD-2-Clause */
/* output_json.c - mstackctl's JSON output: one object per command, from a tiny emitter. */
#include "mstackctl.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/*
 * The emitter: json_open/json_close nest objects and arrays, every value
 * takes its key (NULL inside arrays and at the top), commas come by
 * themselves. Output goes to stdout, compact, one line per top object.
 */
#define JSON_DEPTH_MAX 8

static int json_depth;
static int json_first[JSON_DEPTH_MAX]; /* nothing written yet at this level */

/* A JSON string of n bytes: escapes as RFC 8259 asks; bytes that are not UTF-8 become U+FFFD. */
static void json_string(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len;

	putchar('"');
	while (i < n) {
		if (s[i] == '"' || s[i] == '\\') {
			printf("\\%c", s[i++]);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			printf("\\u%04x", s[i++]);
		} else if ((len = utf8_len(s + i, n - i)) == 0) {
			printf("\\ufffd");
			i++;
		} else {
			fwrite(s + i, 1, len, stdout);
			i += len;
		}
	}
	putchar('"');
}

/* The comma before a value if it is not the first of its container, then "key":. */
static void json_key(const char *key)
{
	if (json_depth > 0) {
		if (!json_first[json_depth - 1])
			putchar(',');
		json_first[json_depth - 1] = 0;
	}
	if (key) {
		json_string(key, strlen(key));
		putchar(':');
	}
}

static void json_open(const char *key, char bracket)
{
	json_key(key);
	putchar(bracket);
	if (json_depth < JSON_DEPTH_MAX)
		json_first[json_depth++] = 1;
}

static void json_close(char bracket)
{
	putchar(bracket);
	if (json_depth > 0 && --json_depth == 0)
		putchar('\n');
}

/* A string field of the wire, bounded by its array (max bytes). */
static void json_str(const char *key, const char *s, size_t max)
{
	json_key(key);
	json_string(s, strnlen(s, max));
}

static void json_uint(const char *key, uint64_t v)
{
	json_key(key);
	printf("%" PRIu64, v);
}

static void json_num(const char *key, double v)
{
	json_key(key);
	if (isfinite(v))
		printf("%.3f", v);
	else
		printf("null");
}

static void json_bool(const char *key, int v)
{
	json_key(key);
	printf(v ? "true" : "false");
}

/* The outputs. */

static void json_status(const struct ms_status *st)
{
	uint32_t i;

	json_open(NULL, '{');
	json_str("version", st->version, sizeof(st->version));
	json_uint("uptime_ms", st->uptime_ms);
	json_uint("workers", st->nworkers);
	json_uint("apps", st->napps);
	json_uint("bindings", st->nbindings);
	json_open("ports", '[');
	for (i = 0; i < st->nports; i++) {
		const struct ms_port_info *p = &st->ports[i];
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1], p->mac[2], p->mac[3],
			 p->mac[4], p->mac[5]);
		json_open(NULL, '{');
		json_str("name", p->name, sizeof(p->name));
		json_str("devargs", p->devargs, sizeof(p->devargs));
		json_bool("link_up", p->link_up);
		json_uint("speed_mbps", p->speed_mbps);
		json_str("mac", mac, sizeof(mac));
		json_close('}');
	}
	json_close(']');
	json_close('}');
}

static void json_apps(const struct ms_app_info *a, uint32_t n)
{
	uint32_t i;

	json_open(NULL, '{');
	json_open("apps", '[');
	for (i = 0; i < n; i++) {
		json_open(NULL, '{');
		json_uint("app_id", a[i].app_id);
		json_str("name", a[i].name, sizeof(a[i].name));
		json_uint("pid", a[i].pid);
		json_uint("uid", a[i].uid);
		json_uint("queues", a[i].nqueues);
		json_uint("ring_size", a[i].ring_size);
		json_uint("bindings", a[i].nbindings);
		json_uint("rx_packets", a[i].rx_packets);
		json_uint("tx_packets", a[i].tx_packets);
		json_uint("drops", a[i].drops);
		json_close('}');
	}
	json_close(']');
	json_close('}');
}

static void json_binding(const struct ms_binding_info *b)
{
	const struct ms_tuple *t = &b->tuple;
	char addr[INET6_ADDRSTRLEN] = "";

	if (t->family == AF_INET || t->family == AF_INET6)
		inet_ntop(t->family, t->addr, addr, sizeof(addr));
	json_open(NULL, '{');
	json_str("proto", t->proto == IPPROTO_TCP ? "tcp" : t->proto == IPPROTO_UDP ? "udp" : "", 4);
	json_str("address", addr, sizeof(addr));
	json_uint("port", t->port);
	json_uint("app_id", b->app_id);
	json_str("name", b->name, sizeof(b->name));
	json_uint("pid", b->pid);
	json_close('}');
}

static void json_bindings(const struct ms_binding_info *b, uint32_t n)
{
	uint32_t i;

	json_open(NULL, '{');
	json_open("bindings", '[');
	for (i = 0; i < n; i++)
		json_binding(&b[i]);
	json_close(']');
	json_close('}');
}

/* Keys are counter names, bounded by their array. */
static void json_counter_key(const struct ms_counter *c)
{
	json_key(NULL);
	json_string(c->name, strnlen(c->name, sizeof(c->name)));
	putchar(':');
}

/* Every counter, zero or not: scripts look values up by name. */
static void json_stats(const struct sample *cur, const struct sample *prev, int all)
{
	struct derived d;
	uint32_t i;

	(void)all;
	sample_derive(cur, prev, &d);
	json_open(NULL, '{');
	json_open("counters", '{');
	for (i = 0; i < cur->n; i++) {
		json_counter_key(&cur->c[i]);
		printf("%" PRIu64, cur->c[i].value);
	}
	json_close('}');
	json_open("derived", '{');
	if (d.cycles_per_packet >= 0)
		json_num("dp.busy_cycles_per_packet", d.cycles_per_packet);
	json_close('}');
	if (prev) {
		json_num("interval_s", d.interval);
		json_open("rates", '{');
		for (i = 0; i < cur->n; i++) {
			double r = sample_rate(cur, prev, i);

			if (r < 0)
				continue;
			json_counter_key(&cur->c[i]);
			printf("%.3f", r);
		}
		json_close('}');
	}
	json_close('}');
}

static void json_result(const char *verb, const struct ms_tuple *t)
{
	(void)verb;
	(void)t;
	json_open(NULL, '{');
	json_str("result", "ok", 3);
	json_close('}');
}

const struct output output_json = {
	.status = json_status,
	.apps = json_apps,
	.bindings = json_bindings,
	.stats = json_stats,
	.result = json_result,
};
