/* SPDX-License-Identifier: BSD-2-Clause */
/* output_prom.c - mstackctl stats --prometheus: the Prometheus text exposition format (version 0.0.4). */
#include "mstackctl.h"
#include "utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/*
 * A daemon counter "group.name" becomes the sample mstack_<family>_<name>_total{labels}:
 *   nic.rx_packets, tap.hw_imissed  mstack_port_rx_packets_total{port="nic"}, ..._hw_imissed_total{port="tap"}
 *   dp.1.busy_cycles                mstack_dp_busy_cycles_total{worker="1"}
 *   dp.busy_cycles                  the same with worker="0" from a daemon without per-worker
 *                                   counters; left out when "dp.0." ones exist (they are its parts)
 *   app.3.tx_spoofed                mstack_app_tx_spoofed_total{app="3",name="echo"}
 *   ctl.refused                     mstack_ctl_refused_total
 * Gauges (prom_kinds[].gauge) have no _total. A name this table does not know
 * still comes out: a counter in the port, dp and app groups (their blocks only
 * count up), untyped elsewhere, with a generic HELP line.
 */
#define PROM_NAME_MAX 128

struct prom_kind {
	const char *family; /* "port", "dp", "app", "ctl", "capture" */
	const char *name;   /* the counter's name within its group */
	int gauge;
	const char *help;
};

/* clang-format off */
static const struct prom_kind prom_kinds[] = {
	{ "port", "rx_packets", 0, "Frames received on the port." },
	{ "port", "rx_bytes", 0, "Bytes received on the port." },
	{ "port", "tx_packets", 0, "Frames sent on the port." },
	{ "port", "tx_bytes", 0, "Bytes sent on the port." },
	{ "port", "rx_runt", 0, "Frames dropped as shorter than an Ethernet header." },
	{ "port", "rx_truncated", 0, "Frames dropped because an IP or L4 header runs past the frame." },
	{ "port", "rx_bad_version", 0, "Frames dropped because the IP version does not match the ethertype." },
	{ "port", "rx_bad_ihl", 0, "Frames dropped for an IPv4 header length below 5 words." },
	{ "port", "rx_bad_totlen", 0, "Frames dropped for an IP length that does not fit the frame." },
	{ "port", "rx_bad_csum", 0, "Frames dropped for a wrong IPv4 header checksum." },
	{ "port", "rx_multiseg", 0, "Multi-segment (jumbo) frames passed to the kernel." },
	{ "port", "rx_fragment", 0, "IP fragments received, steered with their datagram's first fragment." },
	{ "port", "rx_vlan", 0, "VLAN-tagged frames passed to the kernel." },
	{ "port", "rx_other_mac", 0, "Unicast frames to another MAC address, passed to the kernel." },
	{ "port", "rx_not_local", 0, "Frames matching a wildcard binding but for another host's address, passed to the kernel." },
	{ "port", "rx_to_kernel", 0, "Frames passed to the kernel through the TAP interface." },
	{ "port", "rx_to_app", 0, "Frames delivered to applications." },
	{ "port", "rx_held", 0, "Frames dropped for a tuple held for an application that outlived the previous mstackd (it resends them)." },
	{ "port", "rx_bcast", 0, "Broadcast and multicast frames received." },
	{ "port", "rx_icmp_to_app", 0, "ICMP errors about an application's flow, copied to the application and passed to the kernel." },
	{ "port", "rx_icmp_malformed", 0, "ICMP errors with a bad checksum or a quote too short, passed to the kernel only." },
	{ "port", "tx_full", 0, "Frames dropped because the port's transmit queue was full." },
	{ "port", "hw_imissed", 0, "Frames the port's driver dropped because its receive queue was full." },
	{ "port", "hw_ierrors", 0, "Erroneous frames the port's driver received." },
	{ "port", "hw_oerrors", 0, "Frames the port's driver failed to send." },
	{ "port", "hw_rx_nombuf", 0, "Receive buffer allocation failures counted by the port's driver." },
	{ "port", "nic_txq_owned", 1, "1 if the TAP lcore sends the kernel's frames on a NIC tx queue of its own, 0 if worker 0 sends them." },
	{ "dp", "loops", 0, "Iterations of the datapath loop." },
	{ "dp", "busy_loops", 0, "Iterations of the datapath loop that did work." },
	{ "dp", "busy_cycles", 0, "TSC cycles spent in datapath loops that did work." },
	{ "dp", "total_cycles", 0, "TSC cycles spent in the datapath loop." },
	{ "dp", "packets", 0, "Frames the datapath handled: NIC and TAP receive plus application transmit." },
	{ "dp", "sleeps", 0, "Times the idle datapath worker went to sleep (idle = adaptive)." },
	{ "dp", "slept_us", 0, "Microseconds the datapath worker slept." },
	{ "dp", "woke_rx", 0, "Sleeps ended by a port's receive interrupt or socket, the TAP's included." },
	{ "dp", "woke_kick", 0, "Sleeps ended by an application's transmit kick." },
	{ "dp", "idle_pending", 0, "Sleeps abandoned because an application had published frames before its doorbell was set." },
	{ "dp", "capture_frames", 0, "Frames the worker copied into its ring of a running capture." },
	{ "dp", "capture_dropped", 0, "Capture copies the worker dropped because its capture ring was full." },
	{ "dp", "capture_wakeups", 0, "Wakeups the worker sent to a sleeping capture reader." },
	{ "ctl", "refused", 0, "Control requests refused by the access policy." },
	{ "ctl", "conn_refused", 0, "Control connections closed at accept beyond the connection limit." },
	{ "ctl", "fds_lost", 0, "File descriptors sent by applications that did not arrive." },
	{ "ctl", "close_pending", 1, "Descriptors queued or being closed by the close helpers." },
	{ "ctl", "close_slow", 0, "Closes that blocked a close helper for too long." },
	{ "ctl", "close_leaked", 0, "Descriptors left open because they could not be queued for closing." },
	{ "capture", "frames", 0, "Frames copied into a running capture." },
	{ "capture", "dropped", 0, "Capture copies dropped because the capture reader fell behind (traffic is unaffected)." },
	{ "capture", "wakeups", 0, "Wakeups sent to a sleeping capture reader." },
	{ "app", "rx_packets", 0, "Frames delivered to the application." },
	{ "app", "rx_bytes", 0, "Bytes delivered to the application." },
	{ "app", "rx_ring_full", 0, "Frames dropped because the application's receive ring was full." },
	{ "app", "rx_too_long", 0, "Frames dropped as longer than an application buffer." },
	{ "app", "rx_bad_index", 0, "Receive ring index errors made by the application." },
	{ "app", "rx_wakeups", 0, "Wakeups sent to the application." },
	{ "app", "tx_packets", 0, "Frames the application sent." },
	{ "app", "tx_bytes", 0, "Bytes the application sent." },
	{ "app", "tx_bad_index", 0, "Transmit ring index errors made by the application." },
	{ "app", "tx_invalid_desc", 0, "Transmit descriptors refused as invalid." },
	{ "app", "tx_nombuf", 0, "Frames dropped for want of an mbuf." },
	{ "app", "tx_nic_full", 0, "Frames dropped because the NIC's transmit queue was full." },
	{ "app", "tx_bad_src_mac", 0, "Frames refused for a source MAC address other than the NIC's." },
	{ "app", "tx_malformed", 0, "Frames refused as malformed." },
	{ "app", "tx_spoofed", 0, "Frames refused for a source address or port the application does not hold." },
	{ "app", "tx_proto_denied", 0, "Frames refused for a protocol applications may not send." },
	{ "app", "tx_too_long", 0, "Frames refused as longer than the port's MTU." },
	{ "app", "tx_ip_options", 0, "Frames refused for IP options or an IPv6 routing header." },
	{ "app", "tx_frag_orphan", 0, "Frames refused as a fragment of no datagram the application began." },
};
/* clang-format on */

enum prom_label { PROM_NONE, PROM_PORT, PROM_WORKER, PROM_APP };

/* One sample of a daemon counter. */
struct prom_series {
	char family[PROM_NAME_MAX];   /* the metric name */
	char counter[PROM_NAME_MAX];  /* for the generic HELP: "group.name", sanitised */
	const struct prom_kind *kind; /* NULL: not in prom_kinds */
	enum prom_label label;
	char lval[sizeof(((struct ms_counter *)0)->name)]; /* port name or app id */
	uint64_t value;
	int done; /* printed */
};

/* Append src[0..n) to dst (cap bytes, NUL-terminated), every byte outside [a-zA-Z0-9_:] as '_'. */
static void prom_name_cat(char *dst, size_t cap, const char *src, size_t n)
{
	size_t len = strlen(dst), i;

	for (i = 0; i < n && src[i] && len + 1 < cap; i++) {
		char c = src[i];

		dst[len++] =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ? c : '_';
	}
	dst[len] = '\0';
}

/*
 * A HELP text (quote 0) or a label value (quote 1) of at most n bytes: backslash
 * and newline escaped, and the double quote in label values; bytes that are not
 * UTF-8 become U+FFFD, as the format is UTF-8.
 */
static void prom_escape(FILE *f, const char *str, size_t n, int quote)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len;

	while (i < n && s[i]) {
		if (s[i] == '\\' || (quote && s[i] == '"')) {
			fprintf(f, "\\%c", s[i++]);
		} else if (s[i] == '\n') {
			fputs("\\n", f);
			i++;
		} else if ((len = utf8_len(s + i, n - i)) == 0) {
			fputs("\xef\xbf\xbd", f);
			i++;
		} else {
			fwrite(s + i, 1, len, f);
			i += len;
		}
	}
}

static void prom_header(FILE *f, const char *family, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", family);
	prom_escape(f, help, strlen(help), 0);
	fprintf(f, "\n# TYPE %s %s\n", family, type);
}

static int prom_is_port(const struct prom_input *in, const char *group, size_t len)
{
	uint32_t i;

	if (in->st) {
		for (i = 0; i < in->st->nports && i < 2; i++)
			if (strnlen(in->st->ports[i].name, sizeof(in->st->ports[i].name)) == len &&
			    !strncmp(in->st->ports[i].name, group, len))
				return 1;
		return 0;
	}
	return (len == 3 && !strncmp(group, "nic", 3)) || (len == 3 && !strncmp(group, "tap", 3));
}

static const struct prom_kind *prom_kind_find(const char *family, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(prom_kinds) / sizeof(prom_kinds[0]); i++)
		if (!strcmp(prom_kinds[i].family, family) && !strcmp(prom_kinds[i].name, name))
			return &prom_kinds[i];
	return NULL;
}

/* The metric a counter goes to: its family name, kind and label. */
static void prom_series_make(const struct prom_input *in, const struct ms_counter *c, struct prom_series *p,
			     int per_worker)
{
	const char *name = c->name, *dot, *rest, *fam;
	size_t nlen = strnlen(c->name, sizeof(c->name)), glen;
	char group[PROM_NAME_MAX / 2] = ""; /* a counter name has at most 55 characters (ms_counter) */

	memset(p, 0, sizeof(*p));
	p->value = c->value;
	dot = memchr(name, '.', nlen);
	glen = dot ? (size_t)(dot - name) : nlen;
	rest = dot ? dot + 1 : name + nlen;
	if (prom_is_port(in, name, glen)) {
		fam = "port";
		p->label = PROM_PORT;
		memcpy(p->lval, name, glen);
	} else if (glen == 2 && !strncmp(name, "dp", 2)) {
		size_t digits = strspn(rest, "0123456789");

		fam = "dp";
		p->label = PROM_WORKER;
		if (digits > 0 && rest[digits] == '.') {
			memcpy(p->lval, rest, digits); /* "dp.W.name": worker W's own */
			rest += digits + 1;
		} else {
			p->lval[0] = '0';     /* a daemon with one worker and no per-worker names */
			p->done = per_worker; /* a sum of the per-worker series: one series per worker only */
		}
	} else if (glen == 3 && !strncmp(name, "app", 3) && dot &&
		   (dot = memchr(rest, '.', nlen - (size_t)(rest - name))) != NULL && dot > rest &&
		   strspn(rest, "0123456789") == (size_t)(dot - rest)) {
		fam = "app";
		p->label = PROM_APP;
		memcpy(p->lval, rest, (size_t)(dot - rest));
		rest = dot + 1;
	} else {
		prom_name_cat(group, sizeof(group), name, glen); /* ctl, or a group new to this mstackctl */
		fam = group;
	}
	snprintf(p->counter, sizeof(p->counter), "%s.", fam);
	prom_name_cat(p->counter, sizeof(p->counter), rest, nlen - (size_t)(rest - name));
	p->kind = prom_kind_find(fam, p->counter + strlen(fam) + 1);
	snprintf(p->family, sizeof(p->family), "mstack_");
	prom_name_cat(p->family, sizeof(p->family), p->counter, sizeof(p->counter));
	if (p->kind ? !p->kind->gauge : p->label != PROM_NONE)
		prom_name_cat(p->family, sizeof(p->family), "_total", 6);
}

/* The name APPS gave app id (decimal digits), "" if the app left meanwhile. */
static void prom_app_name(FILE *f, const struct prom_input *in, const char *id)
{
	unsigned long v = strtoul(id, NULL, 10);
	uint32_t i;

	for (i = 0; i < in->napps; i++)
		if (in->apps[i].app_id == v) {
			prom_escape(f, in->apps[i].name, sizeof(in->apps[i].name), 1);
			return;
		}
}

static void prom_sample(FILE *f, const struct prom_input *in, const struct prom_series *p)
{
	fputs(p->family, f);
	switch (p->label) {
	case PROM_NONE: break;
	case PROM_PORT:
		fputs("{port=\"", f);
		prom_escape(f, p->lval, sizeof(p->lval), 1);
		fputs("\"}", f);
		break;
	case PROM_WORKER: fprintf(f, "{worker=\"%s\"}", p->lval); break;
	case PROM_APP:
		fprintf(f, "{app=\"%s\",name=\"", p->lval); /* digits only: prom_series_make checked */
		prom_app_name(f, in, p->lval);
		fputs("\"}", f);
		break;
	}
	fprintf(f, " %" PRIu64 "\n", p->value);
}

/* The family's HELP and TYPE, then every sample of it from p[0] on, marked done. */
static void prom_family(FILE *f, const struct prom_input *in, struct prom_series *p, size_t n)
{
	const struct prom_kind *k = p->kind;
	char help[2 * PROM_NAME_MAX];
	size_t i;

	if (!k)
		snprintf(help, sizeof(help), "mstackd counter %s (this mstackctl has no description of it).",
			 p->counter);
	prom_header(f, p->family,
		    k                       ? (k->gauge ? "gauge" : "counter")
		    : p->label != PROM_NONE ? "counter"
					    : "untyped",
		    k ? k->help : help);
	for (i = 0; i < n; i++)
		if (!p[i].done && !strcmp(p[i].family, p->family)) {
			prom_sample(f, in, &p[i]);
			p[i].done = 1;
		}
}

/* Gauges from STATUS. */
static void prom_status(FILE *f, const struct ms_status *st)
{
	uint32_t i;

	prom_header(f, "mstack_up", "gauge", "Whether mstackd answered (mstackctl prints nothing when it does not).");
	fputs("mstack_up 1\n", f);
	prom_header(f, "mstack_info", "gauge", "The version of mstackd as a label; the value is always 1.");
	fputs("mstack_info{version=\"", f);
	prom_escape(f, st->version, sizeof(st->version), 1);
	fputs("\"} 1\n", f);
	prom_header(f, "mstack_uptime_seconds", "gauge", "Seconds since mstackd started.");
	fprintf(f, "mstack_uptime_seconds %" PRIu64 ".%03u\n", st->uptime_ms / 1000, (unsigned)(st->uptime_ms % 1000));
	prom_header(f, "mstack_workers", "gauge", "Datapath workers (lcores).");
	fprintf(f, "mstack_workers %u\n", st->nworkers);
	prom_header(f, "mstack_apps", "gauge", "Applications attached.");
	fprintf(f, "mstack_apps %u\n", st->napps);
	prom_header(f, "mstack_bindings", "gauge", "Bindings held by applications plus reservations.");
	fprintf(f, "mstack_bindings %u\n", st->nbindings);
	if (st->nports == 0)
		return;
	prom_header(f, "mstack_port_link_up", "gauge", "Whether the port's link is up.");
	for (i = 0; i < st->nports && i < 2; i++) {
		fputs("mstack_port_link_up{port=\"", f);
		prom_escape(f, st->ports[i].name, sizeof(st->ports[i].name), 1);
		fprintf(f, "\"} %u\n", st->ports[i].link_up ? 1 : 0);
	}
}

int prom_write(FILE *f, const struct prom_input *in)
{
	const struct sample *s = in->s;
	struct prom_series *p = calloc(s->n ? s->n : 1, sizeof(*p));
	int per_worker = 0;
	uint32_t i;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < s->n && !per_worker; i++)
		per_worker = !strncmp(s->c[i].name, "dp.0.", 5);
	for (i = 0; i < s->n; i++)
		prom_series_make(in, &s->c[i], &p[i], per_worker);
	if (in->st)
		prom_status(f, in->st);
	/* A family's samples must be contiguous: nic's and tap's rx_packets are one family. */
	for (i = 0; i < s->n; i++)
		if (!p[i].done)
			prom_family(f, in, &p[i], s->n - i);
	free(p);
	return 0;
}
