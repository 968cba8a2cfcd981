/* SPDX-License-Identifier: BSD-2-Clause */
/* query.c - the answers to STATUS, APPS, BINDINGS and STATS, read from the daemon's state. */
#include "query.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "clock.h"
#include "fdreap.h"

/* A reply list being filled: entries before `offset` are counted, not copied. */
struct query_list {
	struct ms_list_hdr *hdr;
	uint8_t *next;
	size_t room;
	size_t entry;
	uint32_t offset;
};

static void *query_list_slot(struct query_list *l)
{
	void *slot = NULL;

	if (l->hdr->total++ >= l->offset && l->room >= l->entry) {
		slot = l->next;
		memset(slot, 0, l->entry);
		l->next += l->entry;
		l->room -= l->entry;
		l->hdr->count++;
	}
	return slot;
}

static int query_counter(void *arg, const char *name, uint64_t value)
{
	struct ms_counter *c = query_list_slot(arg);

	if (c) {
		strlcpy(c->name, name, sizeof(c->name));
		c->value = value;
	}
	return 1;
}

/* What the port's driver counted itself: frames lost before mstackd could see them. */
static void query_port_hw(struct query_list *l, const char *port_name, uint16_t port)
{
	struct rte_eth_stats st;
	char name[64];

	if (rte_eth_stats_get(port, &st) != 0)
		return;
#define QUERY_HW(field)                                              \
	snprintf(name, sizeof(name), "%s.hw_%s", port_name, #field); \
	query_counter(l, name, st.field);
	QUERY_HW(imissed)
	QUERY_HW(ierrors)
	QUERY_HW(oerrors)
	QUERY_HW(rx_nombuf)
#undef QUERY_HW
}

/*
 * The NIC's and the loops' counters summed over the workers (the names the
 * tools read), then each worker's own as "dp.<w>.<name>": loops, busy
 * cycles, packets, and its handoffs to other workers.
 */
static void query_datapath(struct mstackd *d, struct query_list *l)
{
	struct port_stats nic;
	struct dp_stats loops;
	uint32_t w;

	dp_sum_stats(&d->dp, &nic, &loops);
	stats_visit_port("nic", &nic, query_counter, l);
	stats_visit_dp("dp", &loops, query_counter, l);
	for (w = 0; w < d->dp.nworkers; w++) {
		const struct dp_worker *wk = &d->dp.w[w];
		char prefix[32];

		char name[64];

		snprintf(prefix, sizeof(prefix), "dp.%u", w);
		stats_visit_dp(prefix, &wk->stats, query_counter, l);
		snprintf(name, sizeof(name), "%s.nic_rx_packets", prefix);
		query_counter(l, name, __atomic_load_n(&wk->nic_stats.rx_packets, __ATOMIC_RELAXED));
		snprintf(name, sizeof(name), "%s.nic_tx_packets", prefix);
		query_counter(l, name, __atomic_load_n(&wk->nic_stats.tx_packets, __ATOMIC_RELAXED));
#define QUERY_HANDOFF(field)                                   \
	snprintf(name, sizeof(name), "%s.%s", prefix, #field); \
	query_counter(l, name, __atomic_load_n(&wk->handoff.field, __ATOMIC_RELAXED));
		DP_HANDOFF_COUNTERS(QUERY_HANDOFF)
#undef QUERY_HANDOFF
		/* Worker w's own capture ring (ms_capture.h): capture.* are their sums. */
#define QUERY_CAP(field)                                               \
	snprintf(name, sizeof(name), "%s.capture_%s", prefix, #field); \
	query_counter(l, name, __atomic_load_n(&wk->cap_stats.field, __ATOMIC_RELAXED));
		CAP_COUNTERS(QUERY_CAP)
#undef QUERY_CAP
	}
}

/* Tuples held for apps that outlived the previous mstackd (hold.h): the owner's pid and the seconds left. */
static void query_holds(struct mstackd *d, struct query_list *l)
{
	uint64_t now = clock_now_ms();
	uint32_t i;

	for (i = 0; i < d->holds.n; i++) {
		const struct hold *h = &d->holds.h[i];
		struct ms_binding_info *e;

		/* Claimed again, not yet seen by the tick: the app's own entry lists it. */
		if (!app_is_held(btable_lookup(&d->bt, &h->c.tuple)) || !(e = query_list_slot(l)))
			continue;
		e->tuple = h->c.tuple;
		e->app_id = MS_BINDING_HELD;
		e->pid = (uint32_t)h->c.pid;
		snprintf(e->name, sizeof(e->name), "held, %u s left", hold_seconds_left(h, now));
	}
}

static void query_status(struct mstackd *d, struct ms_status *s)
{
	const char *names[2] = { "nic", "tap" };
	uint16_t ids[2] = { d->ports.nic, d->ports.tap };
	const char *devargs[2] = { d->conf.nic_devargs, d->conf.tap_name };
	int i;

	memset(s, 0, sizeof(*s));
	strlcpy(s->version, MSTACK_VERSION, sizeof(s->version));
	s->uptime_ms = clock_now_ms() - d->start_ms;
	s->napps = d->napps;
	s->nbindings = d->bt.count + d->res.n;
	s->nworkers = d->dp.nworkers;
	s->nports = 2;
	for (i = 0; i < 2; i++) {
		strlcpy(s->ports[i].name, names[i], sizeof(s->ports[i].name));
		strlcpy(s->ports[i].devargs, devargs[i], sizeof(s->ports[i].devargs));
		s->ports[i].link_up = port_link_up(ids[i], &s->ports[i].speed_mbps);
		memcpy(s->ports[i].mac, d->ports.nic_mac, 6);
	}
}

int query_reply(struct mstackd *d, uint16_t type, uint32_t offset, void *out, size_t cap)
{
	struct query_list l = { .hdr = out,
				.next = (uint8_t *)out + sizeof(struct ms_list_hdr),
				.room = cap - sizeof(struct ms_list_hdr),
				.offset = offset };
	struct fdreap_stats reap;
	struct cap_stats capture;
	struct app *a;
	uint32_t i;

	memset(l.hdr, 0, sizeof(*l.hdr));
	switch (type) {
	case MS_MSG_STATUS: query_status(d, out); return sizeof(struct ms_status);
	case MS_MSG_APPS:
		l.entry = sizeof(struct ms_app_info);
		LIST_FOREACH (a, &d->apps, link) {
			struct ms_app_info *e = query_list_slot(&l);
			struct app_stats st;

			if (!e)
				continue;
			e->app_id = a->id;
			e->pid = (uint32_t)a->pid;
			e->uid = (uint32_t)a->uid;
			e->nqueues = a->nqueues;
			e->ring_size = a->ring_size;
			e->nbindings = a->nbindings;
			app_stats_sum(a, &st);
			e->rx_packets = st.rx_packets;
			e->tx_packets = st.tx_packets;
			e->drops = stats_app_drops(&st);
			memcpy(e->name, a->name, sizeof(e->name));
		}
		break;
	case MS_MSG_BINDINGS:
		l.entry = sizeof(struct ms_binding_info);
		for (i = 0; i < d->res.n; i++) {
			struct ms_binding_info *e = query_list_slot(&l);

			if (e) {
				e->tuple = d->res.r[i].tuple;
				snprintf(e->name, sizeof(e->name), "reserved");
			}
		}
		LIST_FOREACH (a, &d->apps, link)
			for (i = 0; i < a->nbindings; i++) {
				struct ms_binding_info *e = query_list_slot(&l);

				if (!e)
					continue;
				e->tuple = a->bindings[i].tuple;
				e->app_id = a->id;
				e->pid = (uint32_t)a->pid;
				memcpy(e->name, a->name, sizeof(e->name));
			}
		query_holds(d, &l);
		break;
	case MS_MSG_STATS:
		l.entry = sizeof(struct ms_counter);
		query_datapath(d, &l);
		query_port_hw(&l, "nic", d->ports.nic);
		stats_visit_port("tap", &d->dp.ho.tap_stats, query_counter, &l);
		handover_visit_stats(&d->dp.ho, query_counter, &l);
		query_port_hw(&l, "tap", d->ports.tap);
		dp_sum_cap_stats(&d->dp, &capture);
		stats_visit_cap("capture", &capture, query_counter, &l); /* the sums of dp.N.capture_* */
		query_counter(&l, "ctl.refused", d->ctl_refused);
		query_counter(&l, "ctl.conn_refused", d->ctl_conn_refused);
		query_counter(&l, "ctl.fds_lost", d->ctl_fds_lost);
		query_counter(&l, "ctl.apps_disconnected", d->ctl_apps_disconnected);
		fdreap_get_stats(&reap);
		query_counter(&l, "ctl.close_pending", reap.pending);
		query_counter(&l, "ctl.close_slow", reap.slow);
		query_counter(&l, "ctl.close_leaked", reap.leaked);
		LIST_FOREACH (a, &d->apps, link) {
			struct app_stats st;
			char prefix[32];

			app_stats_sum(a, &st);
			snprintf(prefix, sizeof(prefix), "app.%u", a->id);
			stats_visit_app(prefix, &st, query_counter, &l);
		}
		break;
	default: return -EPROTO;
	}
	return (int)(l.next - (uint8_t *)out);
}
