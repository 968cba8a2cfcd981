/* SPDX-License-Identifier: BSD-2-Clause */
/* dp.c - the datapath: NIC rx demux to apps or the kernel, the kernel's frames to the NIC, app tx validated to the NIC.
 */
#include "dp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "appring.h"
#include "classify.h"
#include "publish.h"
#include "txval.h"

#define DP_BURST_MAX        64 /* rte_hash bulk lookups take at most 64 keys */
#define DP_TX_APPS_PER_LOOP 32
#define DP_FRAG_LIFETIME_S  2 /* how long later fragments may trail the first */

/* How long an app's later fragments may follow its first one: a receiver's reassembly timeout. */
#define DP_TX_FRAG_LIFE_S 30

/*
 * A frame one worker received for an app queue that another worker owns
 * (app_queue_owner): it crosses in the owner's peer_in ring with what the
 * owner needs to deliver it itself. No pointer into published state
 * crosses: the owner looks the tuple up again in its own RCU read-side
 * section, so a grace period never has to wait for a frame in flight.
 */
enum dp_handoff_kind {
	DP_HANDOFF_UNICAST, /* look t up, deliver on the queue flow picks */
	DP_HANDOFF_BOTH,    /* the same, and the frame then goes to the kernel (ICMP errors) */
	DP_HANDOFF_BCAST,   /* a copy of a broadcast: deliver to the broadcast apps whose queue for flow is ours */
};

struct dp_handoff {
	struct rte_mbuf *m;
	struct ms_tuple t;
	uint32_t flow;
	uint32_t kind;
};

/* Per-burst scratch of the NIC receive path. */
struct dp_rx_burst {
	struct rte_mbuf *to_tap[DP_BURST_MAX];
	struct rte_mbuf *to_free[DP_BURST_MAX];
	struct ms_tuple keys[DP_BURST_MAX];
	struct rte_mbuf *key_pkt[DP_BURST_MAX];
	uint32_t key_flow[DP_BURST_MAX]; /* flow hash: picks the app's rx queue */
	uint64_t key_to_both;            /* bit i: keys[i]'s frame goes to the kernel too, owner or not */
	struct app *owners[DP_BURST_MAX];
	uint32_t key_q[DP_BURST_MAX]; /* the owner's rx queue for the frame */
	struct app *touched[DP_BURST_MAX];
	struct dp_handoff ho[DP_BURST_MAX]; /* frames for app queues other workers own */
	uint8_t ho_to[DP_BURST_MAX];        /* ho[i] goes to worker ho_to[i] */
	uint64_t ho_mask;                   /* the workers ho names, as bits */
	bool from_peer;                     /* the frames were handed in: never hand them on */
	uint32_t nto_tap, nto_free, nkeys, ntouched, nho;
	uint64_t now; /* TSC at the start of the burst */
	uint64_t seq; /* this burst's number, stamped on the apps it touches */
};

#define DP_HANDOFF_RING 1024 /* frames in flight between two workers */

static struct rte_ring *dp_peer_ring(uint32_t from, uint32_t to)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "mstack_peer_%u_%u", from, to);
	return rte_ring_create_elem(name, sizeof(struct dp_handoff), DP_HANDOFF_RING, (int)rte_socket_id(),
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
}

bool dp_peers_pending(const struct dp_worker *wk)
{
	uint32_t v;

	for (v = 0; v < wk->dp->nworkers; v++)
		if (wk->peer_in[v] && !rte_ring_empty(wk->peer_in[v]))
			return true;
	return false;
}

int dp_init(struct dp *dp, struct ports *ports, struct btable *bt, uint16_t burst, uint32_t nworkers)
{
	uint32_t i, v;
	int rc;

	memset(dp, 0, sizeof(*dp));
	if (nworkers == 0 || nworkers > DP_WORKERS_MAX)
		return -EINVAL;
	dp->ports = ports;
	dp->bt = bt;
	dp->burst = burst > DP_BURST_MAX ? DP_BURST_MAX : burst;
	dp->nworkers = nworkers;
	dp->w = rte_zmalloc("mstack_workers", nworkers * sizeof(*dp->w), RTE_CACHE_LINE_SIZE);
	if (!dp->w)
		return -ENOMEM;
	rc = pub_init(dp);
	if (rc < 0)
		return rc;
	rc = handover_init(&dp->ho, nworkers, ports->tap, ports->nic, ports->kernel_txq, dp->burst);
	if (rc < 0)
		return rc;
	for (i = 0; i < nworkers; i++) {
		struct dp_worker *wk = &dp->w[i];

		wk->dp = dp;
		wk->id = i;
		wk->frags = rte_zmalloc("mstack_frags", sizeof(*wk->frags), RTE_CACHE_LINE_SIZE);
		if (!wk->frags)
			return -ENOMEM;
		fragtrack_init(wk->frags, rte_get_tsc_hz() * DP_FRAG_LIFETIME_S);
		for (v = 0; v < nworkers; v++) {
			if (v == i)
				continue;
			wk->peer_in[v] = dp_peer_ring(v, i);
			if (!wk->peer_in[v])
				return rte_errno > 0 ? -rte_errno : -ENOMEM;
		}
	}
	return 0;
}

static void dp_peer_ring_free(struct rte_ring *r)
{
	struct dp_handoff h;

	if (!r)
		return;
	while (rte_ring_dequeue_elem(r, &h, sizeof(h)) == 0)
		rte_pktmbuf_free(h.m);
	rte_ring_free(r);
}

void dp_fini(struct dp *dp)
{
	uint32_t i, v;

	handover_fini(&dp->ho);
	pub_fini(dp);
	if (!dp->w)
		return;
	for (i = 0; i < dp->nworkers; i++) {
		rte_free(dp->w[i].frags);
		for (v = 0; v < dp->nworkers; v++)
			dp_peer_ring_free(dp->w[i].peer_in[v]);
	}
	rte_free(dp->w);
	dp->w = NULL;
}

static void dp_add_counters(uint64_t *dst, const uint64_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void dp_sum_stats(const struct dp *dp, struct port_stats *nic, struct dp_stats *loops)
{
	uint32_t i;

	memset(nic, 0, sizeof(*nic));
	memset(loops, 0, sizeof(*loops));
	for (i = 0; i < dp->nworkers; i++) {
		dp_add_counters((uint64_t *)nic, (const uint64_t *)&dp->w[i].nic_stats, sizeof(*nic) / 8);
		dp_add_counters((uint64_t *)loops, (const uint64_t *)&dp->w[i].stats, sizeof(*loops) / 8);
	}
	/* The kernel's frames the TAP lcore sent on its own NIC tx queue (direct route). */
	dp_add_counters((uint64_t *)nic, (const uint64_t *)&dp->ho.nic_stats, sizeof(*nic) / 8);
}

void dp_sum_cap_stats(const struct dp *dp, struct cap_stats *cap)
{
	uint32_t i;

	memset(cap, 0, sizeof(*cap));
	for (i = 0; i < dp->nworkers; i++)
		dp_add_counters((uint64_t *)cap, (const uint64_t *)&dp->w[i].cap_stats, sizeof(*cap) / 8);
	/* The TAP lcore's own ring of a capture (direct route; zero otherwise). */
	dp_add_counters((uint64_t *)cap, (const uint64_t *)&dp->ho.cap_stats, sizeof(*cap) / 8);
}

/*
 * Note that this burst delivered to a, once. Workers that own different queues of one app
 * share the mark: another worker's store can only make this one note a twice, and a second
 * publish of the same queues finds nothing new (relaxed atomics: no torn or cached value).
 */
static void dp_touch(struct dp_rx_burst *b, struct app *a)
{
	if (__atomic_load_n(&a->dp_burst_seq, __ATOMIC_RELAXED) == b->seq)
		return;
	__atomic_store_n(&a->dp_burst_seq, b->seq, __ATOMIC_RELAXED);
	b->touched[b->ntouched++] = a;
}

/*
 * Copy n frames into the running capture if it wants this point and
 * direction. Called only when wk->cap_live is set: with no capture running
 * the datapath pays one predictable branch per burst.
 */
static void __attribute__((noinline))
dp_capture(struct dp_worker *wk, uint8_t point, uint8_t dir, uint32_t app_id, struct rte_mbuf **pkts, uint32_t n)
{
	capture_mbufs(wk->cap_live, wk->id, &wk->cap_stats, point, dir, app_id, pkts, n);
}

/* One flat frame delivered to app a (its rx ring). */
static void dp_capture_app_rx(struct dp_worker *wk, const struct app *a, const void *frame, uint32_t len)
{
	struct capture *c = wk->cap_live;

	if (capture_wants(c, MS_CAP_APP, MS_CAP_RX, a->id))
		capture_put(c, wk->id, &wk->cap_stats, capture_now_ns(c), MS_CAP_APP, MS_CAP_RX, a->id, frame, len);
}

/* The rx queue of app a for a frame of flow hash `flow` (include/mstack/ms_flow.h: what the app predicts). */
static inline uint32_t dp_app_queue(const struct app *a, uint32_t flow)
{
	return ms_flow_pick(flow, a->nqueues);
}

/*
 * Hand n frames to worker `to`, which owns their app queues; what its ring
 * cannot take is freed and counted. Never waits.
 */
static void dp_handoff_send(struct dp_worker *wk, uint32_t to, const struct dp_handoff *h, uint32_t n)
{
	uint32_t q, i;

	if (n == 0)
		return;
	q = rte_ring_enqueue_burst_elem(wk->dp->w[to].peer_in[wk->id], h, sizeof(*h), n, NULL);
	wk->handoff.handoff_out += q;
	if (q && wk->dp->w[to].idle.policy == CONF_IDLE_ADAPTIVE)
		handover_kick_worker(&wk->dp->ho, to);
	if (unlikely(q < n)) {
		wk->handoff.handoff_full += n - q;
		for (i = q; i < n; i++)
			rte_pktmbuf_free(h[i].m);
	}
}

/*
 * A broadcast's copies for the apps that asked whose queue for this flow
 * this worker owns, each published at once (rare enough, and it keeps the
 * burst's touched list bounded). Returns the other workers that own such
 * queues, as bits.
 */
static uint64_t dp_bcast_deliver(struct dp_worker *wk, const void *f, uint32_t len, uint32_t flow)
{
	const struct app_list *l = __atomic_load_n(&wk->dp->bcast, __ATOMIC_ACQUIRE);
	uint32_t nw = wk->dp->nworkers, i;
	uint64_t others = 0;

	if (!l)
		return 0;
	for (i = 0; i < l->n; i++) {
		struct app *a = l->a[i];
		uint32_t q = dp_app_queue(a, flow), owner = app_queue_owner(a, q, nw);

		if (owner != wk->id) {
			others |= 1ull << owner;
			continue;
		}
		if (appring_rx_put(a, q, f, len) == 0 && unlikely(wk->cap_live))
			dp_capture_app_rx(wk, a, f, len);
		appring_rx_publish_of(a, app_first_queue(a, wk->id, nw), nw);
	}
	return others;
}

/*
 * Broadcast and multicast: a copy for every app that asked, the frame itself
 * to the kernel. The copies for app queues other workers own go to them as
 * one copied mbuf per worker.
 */
static void dp_deliver_bcast(struct dp_worker *wk, const struct rte_mbuf *m, const struct cls_result *r)
{
	uint32_t flow = cls_flow_hash(r);
	uint64_t others;

	wk->nic_stats.rx_bcast++;
	others = dp_bcast_deliver(wk, rte_pktmbuf_mtod(m, const void *), m->data_len, flow);
	while (others) {
		struct dp_handoff h = { .flow = flow, .kind = DP_HANDOFF_BCAST };
		uint32_t to = (uint32_t)__builtin_ctzll(others);

		others &= others - 1;
		h.m = rte_pktmbuf_copy(m, wk->dp->ports->pool, 0, UINT32_MAX);
		if (!h.m) {
			wk->handoff.handoff_full++;
			continue;
		}
		dp_handoff_send(wk, to, &h, 1);
	}
}

/* Queue m for the 3-tuple lookup of this burst, with its destination tuple t. */
static void dp_queue_lookup(struct dp_rx_burst *b, struct rte_mbuf *m, const struct ms_tuple *t, uint32_t flow)
{
	b->keys[b->nkeys] = *t;
	b->key_flow[b->nkeys] = flow;
	b->key_pkt[b->nkeys++] = m;
}

/*
 * Copy only the address's own bytes (t is zeroed): the classifier has just
 * written 4 of them for IPv4, and a 16-byte read of that cannot be
 * forwarded from the store buffer; it would wait for the stores to drain.
 */
static void dp_dst_tuple(const struct cls_result *r, struct ms_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->proto = r->proto;
	t->family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	t->port = r->dst_port;
	if (r->l3 == CLS_L3_IPV4)
		memcpy(t->addr, r->dst_addr, 4);
	else
		memcpy(t->addr, r->dst_addr, 16);
}

/*
 * Fragments follow their datagram's first fragment to the app that holds
 * its tuple (the app's stack reassembles); the rest go to the kernel.
 */
static void dp_fragment(struct dp_worker *wk, struct dp_rx_burst *b, struct rte_mbuf *m, const struct cls_result *r)
{
	struct ms_tuple t;
	uint32_t flow;

	wk->nic_stats.rx_fragment++;
	if (r->flags & CLS_F_FRAG_FIRST) {
		if (!(r->flags & CLS_F_L4)) {
			b->to_tap[b->nto_tap++] = m;
			return;
		}
		dp_dst_tuple(r, &t);
		flow = cls_flow_hash(r);
		fragtrack_note(wk->frags, r, &t, flow, b->now);
	} else if (!fragtrack_find(wk->frags, r, b->now, &t, &flow)) {
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	/* Later fragments carry no ports: they take the queue their first fragment's flow hash gave. */
	dp_queue_lookup(b, m, &t, flow);
}

/*
 * An ICMP/ICMPv6 error addressed to the host about a packet it sent: if the
 * quoted packet's source tuple is an app's (the same lookup as any frame,
 * exact then wildcard), the app gets a copy on the queue of the quoted
 * flow, so that its stack learns of unreachable peers and path MTUs
 * (RFC 1122 4.2.3.9, RFC 8201); the kernel always gets the frame, for its
 * own sockets and its PMTU cache. A malformed error goes to the kernel only.
 */
static void dp_icmp_error(struct dp_worker *wk, struct dp_rx_burst *b, struct rte_mbuf *m, const uint8_t *f,
			  const struct cls_result *r)
{
	const struct app_addrs *local = __atomic_load_n(&wk->dp->local, __ATOMIC_ACQUIRE);
	struct cls_result q;
	struct ms_tuple t;
	enum cls_icmp kind = cls_icmp_quote(f, r, &q);

	if (kind != CLS_ICMP_QUOTE) {
		if (kind == CLS_ICMP_MALFORMED)
			wk->nic_stats.rx_icmp_malformed++;
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (!local || !app_addrs_allow(local, r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6, r->dst_addr, false)) {
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	/* The quote's source is the host's end: the app's tuple, and "local" for the flow hash. */
	cls_quote_tuple(&q, &t);
	b->key_to_both |= 1ull << b->nkeys;
	dp_queue_lookup(b, m, &t, cls_quote_flow_hash(&q));
}

static void dp_classify_one(struct dp_worker *wk, struct dp_rx_burst *b, struct rte_mbuf *m)
{
	struct port_stats *st = &wk->nic_stats;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct cls_result r;
	enum cls_status cs;
	bool hw_csum_ok;

	st->rx_packets++;
	st->rx_bytes += m->pkt_len;
	if (unlikely(m->nb_segs > 1)) {
		/* Jumbo chains are the kernel's business; apps get single buffers. */
		st->rx_multiseg++;
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	hw_csum_ok = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	cs = cls_parse(f, m->data_len, !hw_csum_ok, &r);
	if (unlikely(cs != CLS_OK)) {
		st->rx_failed[cs]++;
		/* Not even Ethernet: nobody can use it. Anything else: the kernel decides. */
		if (cs == CLS_RUNT)
			b->to_free[b->nto_free++] = m;
		else
			b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (unlikely(r.flags & CLS_F_VLAN)) {
		/* Tagged frames, broadcast included, belong to the kernel's VLAN interfaces: apps live untagged. */
		st->rx_vlan++;
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (r.flags & (CLS_F_BCAST | CLS_F_MCAST)) {
		dp_deliver_bcast(wk, m, &r);
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (unlikely(!cls_mac_eq(f, wk->dp->ports->nic_mac))) {
		/* Another host's unicast (flooded by a switch, or a port in promiscuous mode): not for apps. */
		st->rx_other_mac++;
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (r.flags & CLS_F_FRAG) {
		dp_fragment(wk, b, m, &r);
		return;
	}
	if (!(r.flags & CLS_F_L4)) {
		if (r.proto == IPPROTO_ICMP || r.proto == IPPROTO_ICMPV6)
			dp_icmp_error(wk, b, m, f, &r);
		else
			b->to_tap[b->nto_tap++] = m;
		return;
	}
	/* Built in place: a copy of a tuple just written field by field would stall on store forwarding too. */
	dp_dst_tuple(&r, &b->keys[b->nkeys]);
	b->key_flow[b->nkeys] = cls_flow_hash(&r);
	b->key_pkt[b->nkeys++] = m;
}

/*
 * A wildcard binding covers the host's own addresses only: a frame whose
 * owner was found through the wildcard stays with it if its destination
 * address is one of the host's (wk->dp->local, a few entries, the TAP's link-local
 * addresses included), else it goes to the kernel like a miss. Exact bindings
 * were checked to name a host address when they were made.
 */
static void dp_wild_local(struct dp_worker *wk, struct dp_rx_burst *b, uint64_t wild)
{
	const struct app_addrs *local = __atomic_load_n(&wk->dp->local, __ATOMIC_ACQUIRE);

	while (wild) {
		uint32_t i = (uint32_t)__builtin_ctzll(wild);

		wild &= wild - 1;
		if (!local || !app_addrs_allow(local, b->keys[i].family, b->keys[i].addr, false)) {
			b->owners[i] = NULL;
			wk->nic_stats.rx_not_local++;
		}
	}
}

/*
 * Send n frames on the NIC's tx queue, counted in nic_stats; free (and count
 * as tx_full) what the queue could not take. Returns how many were sent.
 * A running capture of the NIC sees the frames offered to it, before it owns them.
 */
static uint32_t dp_nic_tx(struct dp_worker *wk, struct rte_mbuf **pkts, uint32_t n)
{
	struct port_stats *st = &wk->nic_stats;
	uint16_t sent;
	uint32_t i;

	if (unlikely(wk->cap_live))
		dp_capture(wk, MS_CAP_NIC, MS_CAP_TX, 0, pkts, n);
	sent = n ? rte_eth_tx_burst(wk->dp->ports->nic, (uint16_t)wk->id, pkts, (uint16_t)n) : 0;

	for (i = 0; i < sent; i++)
		st->tx_bytes += pkts[i]->pkt_len;
	st->tx_packets += sent;
	if (sent < n) {
		st->tx_full += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	return sent;
}

/*
 * The frames of a burst that belong to the kernel: handed to the TAP lcore
 * in one enqueue (handover.h); the worker never makes the TAP's system
 * calls. A capture of the TAP sees them here, as offered to the TAP.
 */
static void dp_to_kernel(struct dp_worker *wk, struct rte_mbuf **pkts, uint32_t n)
{
	if (n == 0)
		return;
	if (unlikely(wk->cap_live))
		dp_capture(wk, MS_CAP_TAP, MS_CAP_TX, 0, pkts, n);
	handover_to_kernel(&wk->dp->ho, wk->id, pkts, n);
}

/*
 * Pick the frame's rx queue in app a and, if this worker owns it, start
 * fetching the lines the copy will write: the first line of the buffer this
 * frame will take, which holds its length too (the k-th frame of the burst
 * for a queue takes the k-th free buffer: rx_ahead counts them), and once
 * per queue and burst the producer index and the counters. With many apps each frame of a burst goes to
 * other memory, and issuing these misses together overlaps them.
 */
static uint32_t dp_prefetch_dest(const struct dp_worker *wk, struct app *a, uint32_t flow, uint32_t burst)
{
	uint32_t q = dp_app_queue(a, flow);
	struct app_queue *aq = &a->q[q];
	if (app_queue_owner(a, q, wk->dp->nworkers) != wk->id)
		return q; /* another worker's queue: its head is that worker's to read */
	if (aq->rx_ahead_burst != burst) {
		aq->rx_ahead_burst = burst;
		aq->rx_ahead = aq->rx_head;
		appring_prefetch_write(&aq->rx->head);
		appring_prefetch_write(aq->st);
	}
	/* Full as last seen: that buffer is the one the app reads next; taking its line would only slow it. */
	if (aq->rx_ahead - aq->rx_tail >= a->ring_size)
		return q;
	appring_prefetch_write(ms_ring_buf(aq->rx_bufs, aq->rx_ahead++ & a->mask));
	return q;
}

/* Send the burst's frames for other workers' app queues, one enqueue per worker. */
static void dp_handoff_flush(struct dp_worker *wk, struct dp_rx_burst *b)
{
	struct dp_handoff out[DP_BURST_MAX];

	while (b->ho_mask) {
		uint32_t to = (uint32_t)__builtin_ctzll(b->ho_mask), i, n = 0;

		b->ho_mask &= b->ho_mask - 1;
		for (i = 0; i < b->nho; i++)
			if (b->ho_to[i] == to)
				out[n++] = b->ho[i];
		dp_handoff_send(wk, to, out, n);
	}
}

/*
 * The second half of a burst, for frames from the NIC or handed in by
 * another worker: look the keys up, deliver to the app queues this worker
 * owns (app_queue_owner: every app rx ring has one producer), hand the
 * others to their owners, publish once per touched app, the rest to the
 * kernel, free what was consumed. A tuple held for an app that outlived the
 * previous mstackd (app_held, hold.h) is nobody's to deliver to and not the
 * kernel's, which would reset the connection: its frames are dropped and
 * counted, and the peer resends them. The held owner becomes a miss marked
 * in `held`, so that the loop that delivers keeps its one test of a miss.
 */
static void dp_deliver(struct dp_worker *wk, struct dp_rx_burst *b)
{
	uint32_t nw = wk->dp->nworkers, i;
	uint64_t wild, held = 0;

	btable_lookup_burst(wk->dp->bt, b->keys, b->nkeys, b->owners, &wild);
	if (wild)
		dp_wild_local(wk, b, wild);
	for (i = 0; i < b->nkeys; i++)
		if (b->owners[i]) {
			if (unlikely(app_is_held(b->owners[i]))) {
				b->owners[i] = NULL;
				held |= 1ull << i;
				continue;
			}
			b->key_q[i] = dp_prefetch_dest(wk, b->owners[i], b->key_flow[i], (uint32_t)b->seq);
		}
	for (i = 0; i < b->nkeys; i++) {
		struct app *a = b->owners[i];
		struct rte_mbuf *m = b->key_pkt[i];
		bool both = b->key_to_both >> i & 1;

		if (!a) {
			/* An ICMP error quoting a held flow was the kernel's anyway (both): it still is. */
			if (unlikely(held >> i & 1) && !both) {
				wk->nic_stats.rx_held++;
				b->to_free[b->nto_free++] = m;
			} else {
				b->to_tap[b->nto_tap++] = m;
			}
			continue;
		}
		if (unlikely(app_queue_owner(a, b->key_q[i], nw) != wk->id)) {
			uint32_t to = app_queue_owner(a, b->key_q[i], nw);

			if (b->from_peer) {
				/* Its binding moved between the two lookups: rare, and never bounced on. */
				wk->handoff.handoff_moved++;
				b->to_free[b->nto_free++] = m;
				continue;
			}
			b->ho[b->nho] = (struct dp_handoff){ .m = m,
							     .t = b->keys[i],
							     .flow = b->key_flow[i],
							     .kind = both ? DP_HANDOFF_BOTH : DP_HANDOFF_UNICAST };
			b->ho_to[b->nho++] = (uint8_t)to;
			b->ho_mask |= 1ull << to;
			continue;
		}
		{
			const void *f = rte_pktmbuf_mtod(m, const void *);

			if (appring_rx_put(a, b->key_q[i], f, m->data_len) == 0 && unlikely(wk->cap_live))
				dp_capture_app_rx(wk, a, f, m->data_len);
		}
		dp_touch(b, a);
		wk->nic_stats.rx_to_app++;
		if (unlikely(both)) {
			wk->nic_stats.rx_icmp_to_app++;
			b->to_tap[b->nto_tap++] = m;
		} else {
			b->to_free[b->nto_free++] = m;
		}
	}
	for (i = 0; i < b->ntouched; i++)
		appring_rx_store_heads_of(b->touched[i], app_first_queue(b->touched[i], wk->id, nw), nw);
	if (b->ntouched) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (i = 0; i < b->ntouched; i++)
			appring_rx_wake_of(b->touched[i], app_first_queue(b->touched[i], wk->id, nw), nw);
	}
	if (b->nho)
		dp_handoff_flush(wk, b);
	wk->nic_stats.rx_to_kernel += b->nto_tap;
	dp_to_kernel(wk, b->to_tap, b->nto_tap);
	if (b->nto_free)
		rte_pktmbuf_free_bulk(b->to_free, b->nto_free);
}

static void dp_burst_start(struct dp_worker *wk, struct dp_rx_burst *b, bool from_peer)
{
	b->nto_tap = b->nto_free = b->nkeys = b->ntouched = b->nho = 0;
	b->key_to_both = 0;
	b->ho_mask = 0;
	b->from_peer = from_peer;
	/* Unique over workers: an app touched by two workers is never taken for touched by this burst. */
	b->seq = ++wk->burst_seq * DP_WORKERS_MAX + wk->id;
	b->now = rte_rdtsc();
}

static uint32_t dp_rx_nic(struct dp_worker *wk, uint16_t queue)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp_rx_burst b;
	uint16_t n = rte_eth_rx_burst(wk->dp->ports->nic, queue, pkts, wk->dp->burst);
	uint32_t i;

	if (n == 0)
		return 0;
	dp_burst_start(wk, &b, false);
	if (unlikely(wk->cap_live))
		dp_capture(wk, MS_CAP_NIC, MS_CAP_RX, 0, pkts, n);
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		dp_classify_one(wk, &b, pkts[i]);
	}
	dp_deliver(wk, &b);
	return n;
}

/*
 * Worker 0: the rx queues past the workers' that a driver receives on
 * whether polled or not (net_af_packet, port.h). Their frames are classified
 * like any other; the flow hash, not the queue, picks the app queue.
 */
static uint32_t dp_rx_nic_spare(struct dp_worker *wk)
{
	uint32_t work = 0;
	uint16_t q;

	for (q = (uint16_t)wk->dp->nworkers; q < wk->dp->ports->nic_rxqs; q++)
		work += dp_rx_nic(wk, q);
	return work;
}

/* What other workers received for the app queues this one owns. */
static uint32_t dp_handoff_in(struct dp_worker *wk)
{
	struct dp_handoff h[DP_BURST_MAX];
	struct dp_rx_burst b;
	uint32_t v, i, n, work = 0;

	for (v = 0; v < wk->dp->nworkers; v++) {
		if (v == wk->id)
			continue;
		n = rte_ring_dequeue_burst_elem(wk->peer_in[v], h, sizeof(h[0]), wk->dp->burst, NULL);
		if (n == 0)
			continue;
		work += n;
		wk->handoff.handoff_in += n;
		dp_burst_start(wk, &b, true);
		for (i = 0; i < n; i++) {
			if (h[i].kind == DP_HANDOFF_BCAST) {
				dp_bcast_deliver(wk, rte_pktmbuf_mtod(h[i].m, const void *), h[i].m->data_len,
						 h[i].flow);
				b.to_free[b.nto_free++] = h[i].m;
				continue;
			}
			if (h[i].kind == DP_HANDOFF_BOTH)
				b.key_to_both |= 1ull << b.nkeys;
			dp_queue_lookup(&b, h[i].m, &h[i].t, h[i].flow);
		}
		dp_deliver(wk, &b);
	}
	return work;
}

/*
 * The kernel's frames, read from the TAP by the TAP lcore, go out unchanged:
 * it is the host's own stack. Only on the worker-0 route (handover.h); on
 * the direct one the TAP lcore sends them itself and this ring stays empty.
 */
static uint32_t dp_from_kernel(struct dp_worker *wk)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	uint32_t n;

	if (handover_direct(&wk->dp->ho))
		return 0;
	n = handover_from_kernel(&wk->dp->ho, wk->id, pkts, wk->dp->burst);
	if (n == 0)
		return 0;
	if (unlikely(wk->cap_live))
		dp_capture(wk, MS_CAP_TAP, MS_CAP_RX, 0, pkts, n);
	dp_nic_tx(wk, pkts, n);
	return n;
}

static const struct app *dp_owner(const void *table, const struct ms_tuple *t)
{
	return btable_lookup(table, t);
}

/* Copy up to a burst out of one tx ring, validate the copies, send the good ones. */
static uint32_t dp_app_tx_queue(struct dp_worker *wk, const struct txval_env *env, struct app *a, uint32_t q)
{
	struct rte_mbuf *m[DP_BURST_MAX], *out[DP_BURST_MAX];
	int n = appring_tx_avail(a, q, wk->dp->burst);
	uint32_t k, nout = 0, sent;

	if (n <= 0)
		return 0;
	if (unlikely(rte_pktmbuf_alloc_bulk(wk->dp->ports->pool, m, (unsigned)n) != 0)) {
		a->q[q].st->tx_nombuf++;
		return 0; /* the frames stay in the ring for the next loop */
	}
	for (k = 0; k < (uint32_t)n; k++)
		appring_tx_prefetch(a, q, k);
	for (k = 0; k < (uint32_t)n; k++) {
		const uint8_t *src;
		uint32_t len = appring_tx_frame(a, q, k, &src);
		uint8_t *dst = rte_pktmbuf_mtod(m[k], uint8_t *);
		enum txval_verdict v;

		if (unlikely(len == 0 || len > rte_pktmbuf_tailroom(m[k]))) {
			rte_pktmbuf_free(m[k]);
			continue;
		}
		/* Validate the daemon's private copy: the app may rewrite its buffer at any time. */
		rte_memcpy(dst, src, len);
		m[k]->data_len = (uint16_t)len;
		m[k]->pkt_len = len;
		v = txval_check(env, a, &a->q[q].txfrag, &a->q[q].txsrc, dst, len);
		if (unlikely(v != TXV_OK)) {
			a->q[q].st->tx_refused[v]++;
			rte_pktmbuf_free(m[k]);
			continue;
		}
		a->q[q].st->tx_bytes += len;
		out[nout++] = m[k];
	}
	appring_tx_release(a, q, (uint32_t)n);
	if (unlikely(wk->cap_live))
		dp_capture(wk, MS_CAP_APP, MS_CAP_TX, a->id, out, nout);
	sent = dp_nic_tx(wk, out, nout);
	a->q[q].st->tx_packets += sent;
	a->q[q].st->tx_nic_full += nout - sent;
	return (uint32_t)n;
}

/*
 * Poll the tx rings of at most DP_TX_APPS_PER_LOOP apps per loop, round
 * robin, so that the cost of a loop (and of each received packet) does not
 * grow with the number of attached apps. Each tx ring has one consumer: the
 * worker that owns its queue (app_queue_owner); an app with fewer queues than
 * workers is polled by the first ones only.
 */
static uint32_t dp_apps_tx(struct dp_worker *wk)
{
	const struct app_list *l = __atomic_load_n(&wk->dp->apps, __ATOMIC_ACQUIRE);
	struct txval_env env;
	uint32_t i, k, q, budget, done = 0;

	if (!l || l->n == 0)
		return 0;
	memcpy(env.nic_mac, wk->dp->ports->nic_mac, 6);
	env.max_frame = (uint32_t)wk->dp->ports->mtu + RTE_ETHER_HDR_LEN;
	env.now = rte_rdtsc();
	env.frag_lifetime = rte_get_tsc_hz() * DP_TX_FRAG_LIFE_S;
	/* Before any lookup of this pass: the answers it keeps (txsrc.h) hold under this generation. */
	env.gen = btable_gen(wk->dp->bt);
	env.table = wk->dp->bt;
	env.owner = dp_owner;
	env.local = __atomic_load_n(&wk->dp->local, __ATOMIC_ACQUIRE);
	budget = l->n < DP_TX_APPS_PER_LOOP ? l->n : DP_TX_APPS_PER_LOOP;
	i = wk->tx_cursor < l->n ? wk->tx_cursor : 0;
	for (k = 0; k < budget; k++) {
		for (q = app_first_queue(l->a[i], wk->id, wk->dp->nworkers); q < l->a[i]->nqueues;
		     q += wk->dp->nworkers)
			done += dp_app_tx_queue(wk, &env, l->a[i], q);
		if (++i == l->n)
			i = 0;
	}
	wk->tx_cursor = i;
	return done;
}

/*
 * One pass over every app's tx rings (the round robin of dp_apps_tx, all the
 * way round): after a kick, the app that rang is served now, wherever the
 * round robin stands. Costs a look at each app's tx head, once per wakeup.
 */
static uint32_t dp_apps_tx_sweep(struct dp_worker *wk)
{
	const struct app_list *l = __atomic_load_n(&wk->dp->apps, __ATOMIC_ACQUIRE);
	uint32_t k, rounds, done = 0;

	if (!l)
		return 0;
	rounds = (l->n + DP_TX_APPS_PER_LOOP - 1) / DP_TX_APPS_PER_LOOP;
	for (k = 0; k < rounds; k++)
		done += dp_apps_tx(wk);
	return done;
}

/*
 * A capture has one ring per worker, each with this worker as its only
 * producer (ms_capture.h): every worker records what it handles, and the
 * reader merges the rings.
 */
_Static_assert(DP_WORKERS_MAX <= MS_CAP_RINGS_MAX, "a capture has a ring for every worker");

static struct capture *dp_load_capture(const struct dp_worker *wk)
{
	return __atomic_load_n(&wk->dp->capture, __ATOMIC_ACQUIRE);
}

/*
 * Sleep until an event (idle_sleep) or nap (idle_nap) outside RCU (offline),
 * so that the control thread's grace periods never wait for it; every
 * published pointer is loaded again after it. Returns what woke it.
 */
static unsigned dp_wait_offline(struct dp_worker *wk, bool nap)
{
	unsigned woke = 0;

	rte_rcu_qsbr_thread_offline(wk->dp->qsv, wk->id);
	if (nap)
		idle_nap(wk);
	else
		woke = idle_sleep(wk);
	rte_rcu_qsbr_thread_online(wk->dp->qsv, wk->id);
	/* The capture may have ended and been freed while we were offline. */
	wk->cap_live = dp_load_capture(wk);
	return woke;
}

/*
 * [datapath] idle = adaptive, after each loop (idle.h): nap after a partial
 * burst if coalescing, sleep once the loops have found nothing for a while.
 * most: the largest count of frames one source gave this loop.
 */
static void dp_idle(struct dp_worker *wk, uint32_t work, uint32_t most, uint64_t now)
{
	enum idle_step step;

	if (work) {
		idle_awake(wk, work, now);
		if (idle_should_nap(&wk->idle, most, wk->dp->burst))
			dp_wait_offline(wk, true);
		return;
	}
	step = idle_prepare(wk, now);
	if (step == IDLE_STAY)
		return;
	if (step == IDLE_SLEEP && !(dp_wait_offline(wk, false) & IDLE_WOKE_KICK))
		return;
	work = dp_apps_tx_sweep(wk);
	wk->stats.packets += work;
	idle_awake(wk, work, rte_rdtsc());
}

/* Add a source's frames to the loop's work, and keep the largest count one source gave. */
static inline void dp_tally(uint32_t *work, uint32_t *most, uint32_t n)
{
	*work += n;
	if (n > *most)
		*most = n;
}

int dp_worker(void *arg)
{
	struct dp_worker *wk = arg;
	uint64_t t0, t1;
	uint32_t work, most;

	rte_rcu_qsbr_thread_register(wk->dp->qsv, wk->id);
	rte_rcu_qsbr_thread_online(wk->dp->qsv, wk->id);
	/*
	 * No wait before forwarding: the tuples of applications that outlived
	 * the previous mstackd are held in the table before this worker starts
	 * (hold.h), for as long as [datapath] restart_hold_s, so a frame that
	 * comes before its app has claimed its tuple again is dropped, never
	 * given to the kernel. The fixed 500 ms wait this replaces covered only
	 * an app that came back within it, and delayed everyone's frames, the
	 * kernel's included, at every start.
	 */
	t0 = rte_rdtsc();
	while (!__atomic_load_n(&wk->dp->stop, __ATOMIC_RELAXED)) {
		/* One load per loop; dropped at the quiescent state below like every other pointer. */
		wk->cap_live = dp_load_capture(wk);
		work = most = 0;
		dp_tally(&work, &most, dp_rx_nic(wk, (uint16_t)wk->id));
		if (unlikely(wk->id == 0 && wk->dp->ports->nic_rxqs > wk->dp->nworkers))
			dp_tally(&work, &most, dp_rx_nic_spare(wk));
		if (wk->dp->nworkers > 1)
			dp_tally(&work, &most, dp_handoff_in(wk));
		dp_tally(&work, &most, dp_from_kernel(wk));
		dp_tally(&work, &most, dp_apps_tx(wk));
		if (unlikely(wk->cap_live))
			capture_publish(wk->cap_live, wk->id, &wk->cap_stats);
		/* Every pointer read above is dropped here: the control thread may retire them. */
		rte_rcu_qsbr_quiescent(wk->dp->qsv, wk->id);
		t1 = rte_rdtsc();
		wk->stats.loops++;
		wk->stats.total_cycles += t1 - t0;
		if (work) {
			wk->stats.busy_loops++;
			wk->stats.busy_cycles += t1 - t0;
			wk->stats.packets += work;
		}
		__atomic_store_n(&wk->heartbeat, wk->heartbeat + 1, __ATOMIC_RELEASE);
		if (wk->idle.policy == CONF_IDLE_ADAPTIVE) {
			dp_idle(wk, work, most, t1);
			/* A sleep belongs to total_cycles, never to the busy loop after it. */
			t0 = rte_rdtsc();
			wk->stats.total_cycles += t0 - t1;
		} else {
			t0 = t1;
		}
	}
	rte_rcu_qsbr_thread_offline(wk->dp->qsv, wk->id);
	rte_rcu_qsbr_thread_unregister(wk->dp->qsv, wk->id);
	return 0;
}
