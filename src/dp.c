/* SPDX-License-Identifier: BSD-2-Clause */
/* dp.c - the datapath: NIC rx demux to apps or the kernel, TAP rx to the NIC, app tx validated to the NIC. */
#include "dp.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "appring.h"
#include "classify.h"
#include "publish.h"
#include "txval.h"

#define DP_BURST_MAX        64 /* rte_hash bulk lookups take at most 64 keys */
#define DP_WORKER_TID       0
#define DP_TX_APPS_PER_LOOP 32
#define DP_TAP_IDLE_SKIP    8 /* loops without reading an idle TAP */
#define DP_FRAG_LIFETIME_S  2 /* how long later fragments may trail the first */

/* How long an app's later fragments may follow its first one: a receiver's reassembly timeout. */
#define DP_TX_FRAG_LIFE_S 30

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
	uint32_t nto_tap, nto_free, nkeys, ntouched;
	uint64_t now; /* TSC at the start of the burst */
	uint64_t seq; /* this burst's number, stamped on the apps it touches */
};

int dp_init(struct dp *dp, struct ports *ports, struct btable *bt, uint16_t burst)
{
	int rc;

	memset(dp, 0, sizeof(*dp));
	dp->ports = ports;
	dp->bt = bt;
	dp->burst = burst > DP_BURST_MAX ? DP_BURST_MAX : burst;
	rc = pub_init(dp);
	if (rc < 0)
		return rc;
	dp->frags = rte_zmalloc("mstack_frags", sizeof(*dp->frags), RTE_CACHE_LINE_SIZE);
	if (!dp->frags)
		return -ENOMEM;
	fragtrack_init(dp->frags, rte_get_tsc_hz() * DP_FRAG_LIFETIME_S);
	return 0;
}

void dp_fini(struct dp *dp)
{
	pub_fini(dp);
	rte_free(dp->frags);
	dp->frags = NULL;
}

static void dp_touch(struct dp_rx_burst *b, struct app *a)
{
	if (a->dp_burst_seq == b->seq)
		return;
	a->dp_burst_seq = b->seq;
	b->touched[b->ntouched++] = a;
}

/*
 * Copy n frames into the running capture if it wants this point and
 * direction. Called only when dp->cap_live is set: with no capture running
 * the datapath pays one predictable branch per burst.
 */
static void __attribute__((noinline))
dp_capture(struct dp *dp, uint8_t point, uint8_t dir, uint32_t app_id, struct rte_mbuf **pkts, uint32_t n)
{
	struct capture *c = dp->cap_live;
	uint64_t ts;
	uint32_t i;

	if (!capture_wants(c, point, dir, app_id) || n == 0)
		return;
	ts = capture_now_ns(c);
	for (i = 0; i < n; i++) {
		struct ms_cap_rec *r = capture_reserve(c, &dp->cap_stats, ts, point, dir, app_id, pkts[i]->pkt_len);
		const void *p;

		if (!r)
			continue;
		p = rte_pktmbuf_read(pkts[i], 0, r->cap_len, r + 1);
		if (p && p != (void *)(r + 1))
			memcpy(r + 1, p, r->cap_len);
	}
}

/* One flat frame delivered to app a (its rx ring). */
static void dp_capture_app_rx(struct dp *dp, const struct app *a, const void *frame, uint32_t len)
{
	struct capture *c = dp->cap_live;

	if (capture_wants(c, MS_CAP_APP, MS_CAP_RX, a->id))
		capture_put(c, &dp->cap_stats, capture_now_ns(c), MS_CAP_APP, MS_CAP_RX, a->id, frame, len);
}

/* The rx queue of app a for a frame of flow hash `flow` (include/mstack/ms_flow.h: what the app predicts). */
static inline uint32_t dp_app_queue(const struct app *a, uint32_t flow)
{
	return ms_flow_pick(flow, a->nqueues);
}

/* Broadcast and multicast: a copy for every app that asked, the frame itself to the kernel. */
static void dp_deliver_bcast(struct dp *dp, const struct rte_mbuf *m, const struct cls_result *r)
{
	const struct app_list *l = __atomic_load_n(&dp->bcast, __ATOMIC_ACQUIRE);
	uint32_t i, flow = cls_flow_hash(r);

	dp->nic_stats.rx_bcast++;
	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		struct app *a = l->a[i];

		/* Rare enough to publish at once, which keeps the burst's touched list bounded. */
		if (appring_rx_put(a, dp_app_queue(a, flow), rte_pktmbuf_mtod(m, const void *), m->data_len) == 0 &&
		    unlikely(dp->cap_live))
			dp_capture_app_rx(dp, a, rte_pktmbuf_mtod(m, const void *), m->data_len);
		appring_rx_publish(a);
	}
}

/* Queue m for the 3-tuple lookup of this burst, with its destination tuple t. */
static void dp_queue_lookup(struct dp_rx_burst *b, struct rte_mbuf *m, const struct ms_tuple *t, uint32_t flow)
{
	b->keys[b->nkeys] = *t;
	b->key_flow[b->nkeys] = flow;
	b->key_pkt[b->nkeys++] = m;
}

static void dp_dst_tuple(const struct cls_result *r, struct ms_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->proto = r->proto;
	t->family = r->l3 == CLS_L3_IPV4 ? AF_INET : AF_INET6;
	t->port = r->dst_port;
	memcpy(t->addr, r->dst_addr, 16);
}

/*
 * Fragments follow their datagram's first fragment to the app that holds
 * its tuple (the app's stack reassembles); the rest go to the kernel.
 */
static void dp_fragment(struct dp *dp, struct dp_rx_burst *b, struct rte_mbuf *m, const struct cls_result *r)
{
	struct ms_tuple t;
	uint32_t flow;

	dp->nic_stats.rx_fragment++;
	if (r->flags & CLS_F_FRAG_FIRST) {
		if (!(r->flags & CLS_F_L4)) {
			b->to_tap[b->nto_tap++] = m;
			return;
		}
		dp_dst_tuple(r, &t);
		flow = cls_flow_hash(r);
		fragtrack_note(dp->frags, r, &t, flow, b->now);
	} else if (!fragtrack_find(dp->frags, r, b->now, &t, &flow)) {
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
static void dp_icmp_error(struct dp *dp, struct dp_rx_burst *b, struct rte_mbuf *m, const uint8_t *f,
			  const struct cls_result *r)
{
	const struct app_addrs *local = __atomic_load_n(&dp->local, __ATOMIC_ACQUIRE);
	struct cls_result q;
	struct ms_tuple t;
	enum cls_icmp kind = cls_icmp_quote(f, r, &q);

	if (kind != CLS_ICMP_QUOTE) {
		if (kind == CLS_ICMP_MALFORMED)
			dp->nic_stats.rx_icmp_malformed++;
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

static void dp_classify_one(struct dp *dp, struct dp_rx_burst *b, struct rte_mbuf *m)
{
	struct port_stats *st = &dp->nic_stats;
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
		dp_deliver_bcast(dp, m, &r);
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (unlikely(!cls_mac_eq(f, dp->ports->nic_mac))) {
		/* Another host's unicast (flooded by a switch, or a port in promiscuous mode): not for apps. */
		st->rx_other_mac++;
		b->to_tap[b->nto_tap++] = m;
		return;
	}
	if (r.flags & CLS_F_FRAG) {
		dp_fragment(dp, b, m, &r);
		return;
	}
	if (!(r.flags & CLS_F_L4)) {
		if (r.proto == IPPROTO_ICMP || r.proto == IPPROTO_ICMPV6)
			dp_icmp_error(dp, b, m, f, &r);
		else
			b->to_tap[b->nto_tap++] = m;
		return;
	}
	{
		struct ms_tuple t;

		dp_dst_tuple(&r, &t);
		dp_queue_lookup(b, m, &t, cls_flow_hash(&r));
	}
}

/*
 * A wildcard binding covers the host's own addresses only: a frame whose
 * owner was found through the wildcard stays with it if its destination
 * address is one of the host's (dp->local, a few entries, the TAP's link-local
 * addresses included), else it goes to the kernel like a miss. Exact bindings
 * were checked to name a host address when they were made.
 */
static void dp_wild_local(struct dp *dp, struct dp_rx_burst *b, uint64_t wild)
{
	const struct app_addrs *local = __atomic_load_n(&dp->local, __ATOMIC_ACQUIRE);

	while (wild) {
		uint32_t i = (uint32_t)__builtin_ctzll(wild);

		wild &= wild - 1;
		if (!local || !app_addrs_allow(local, b->keys[i].family, b->keys[i].addr, false)) {
			b->owners[i] = NULL;
			dp->nic_stats.rx_not_local++;
		}
	}
}

/*
 * Send n frames on queue 0 of port, counted in st; free (and count as
 * tx_full) what the queue could not take. Returns how many were sent.
 * A running capture of cap_point (MS_CAP_NIC or MS_CAP_TAP) sees the
 * frames offered to the port, before it owns them.
 */
static uint32_t dp_tx_or_drop(struct dp *dp, uint16_t port, struct rte_mbuf **pkts, uint32_t n, struct port_stats *st,
			      uint8_t cap_point)
{
	uint16_t sent;
	uint32_t i;

	if (unlikely(dp->cap_live))
		dp_capture(dp, cap_point, MS_CAP_TX, 0, pkts, n);
	sent = n ? rte_eth_tx_burst(port, 0, pkts, (uint16_t)n) : 0;

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
 * Pick the frame's rx queue in app a and start fetching the lines the copy
 * will write (slot, buffer, producer index): with many apps each frame of a
 * burst goes to other memory, and issuing these misses together overlaps them.
 */
static uint32_t dp_prefetch_dest(const struct app *a, uint32_t flow)
{
	uint32_t q = dp_app_queue(a, flow);
	const struct app_queue *aq = &a->q[q];
	uint32_t slot = aq->rx_head & a->mask;

	/* Prefetches for writing (DPDK 22.11's rte_prefetch0_write is still experimental). */
	__builtin_prefetch(&aq->rx->slot[slot], 1, 3);
	__builtin_prefetch(aq->rx_bufs + (size_t)slot * MS_BUF_SIZE, 1, 3);
	__builtin_prefetch(&aq->rx->head, 1, 3);
	return q;
}

static uint32_t dp_rx_nic(struct dp *dp)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp_rx_burst b;
	uint16_t n = rte_eth_rx_burst(dp->ports->nic, 0, pkts, dp->burst);
	uint64_t wild;
	uint32_t i;

	if (n == 0)
		return 0;
	b.nto_tap = b.nto_free = b.nkeys = b.ntouched = 0;
	b.key_to_both = 0;
	b.seq = ++dp->burst_seq;
	b.now = rte_rdtsc();
	if (unlikely(dp->cap_live))
		dp_capture(dp, MS_CAP_NIC, MS_CAP_RX, 0, pkts, n);
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		dp_classify_one(dp, &b, pkts[i]);
	}
	btable_lookup_burst(dp->bt, b.keys, b.nkeys, b.owners, &wild);
	if (wild)
		dp_wild_local(dp, &b, wild);
	for (i = 0; i < b.nkeys; i++)
		if (b.owners[i])
			b.key_q[i] = dp_prefetch_dest(b.owners[i], b.key_flow[i]);
	for (i = 0; i < b.nkeys; i++) {
		struct app *a = b.owners[i];

		if (a) {
			const void *f = rte_pktmbuf_mtod(b.key_pkt[i], const void *);

			if (appring_rx_put(a, b.key_q[i], f, b.key_pkt[i]->data_len) == 0 && unlikely(dp->cap_live))
				dp_capture_app_rx(dp, a, f, b.key_pkt[i]->data_len);
			dp_touch(&b, a);
			dp->nic_stats.rx_to_app++;
			if (unlikely(b.key_to_both >> i & 1)) {
				dp->nic_stats.rx_icmp_to_app++;
				b.to_tap[b.nto_tap++] = b.key_pkt[i];
			} else {
				b.to_free[b.nto_free++] = b.key_pkt[i];
			}
		} else {
			b.to_tap[b.nto_tap++] = b.key_pkt[i];
		}
	}
	for (i = 0; i < b.ntouched; i++)
		appring_rx_store_heads(b.touched[i]);
	if (b.ntouched) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (i = 0; i < b.ntouched; i++)
			appring_rx_wake(b.touched[i]);
	}
	dp->nic_stats.rx_to_kernel += b.nto_tap;
	dp_tx_or_drop(dp, dp->ports->tap, b.to_tap, b.nto_tap, &dp->tap_stats, MS_CAP_TAP);
	if (b.nto_free)
		rte_pktmbuf_free_bulk(b.to_free, b.nto_free);
	return n;
}

/* The kernel's frames go out unchanged: it is the host's own stack. */
static uint32_t dp_rx_tap(struct dp *dp)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	uint16_t n, i;

	/* An empty TAP costs a system call to find out: after one, skip a few loops. */
	if (dp->tap_skip) {
		dp->tap_skip--;
		return 0;
	}
	n = rte_eth_rx_burst(dp->ports->tap, 0, pkts, dp->burst);
	if (n == 0)
		dp->tap_skip = DP_TAP_IDLE_SKIP;

	for (i = 0; i < n; i++) {
		dp->tap_stats.rx_packets++;
		dp->tap_stats.rx_bytes += pkts[i]->pkt_len;
	}
	if (unlikely(dp->cap_live))
		dp_capture(dp, MS_CAP_TAP, MS_CAP_RX, 0, pkts, n);
	dp_tx_or_drop(dp, dp->ports->nic, pkts, n, &dp->nic_stats, MS_CAP_NIC);
	return n;
}

static const struct app *dp_owner(const void *table, const struct ms_tuple *t)
{
	return btable_lookup(table, t);
}

/* Copy up to a burst out of one tx ring, validate the copies, send the good ones. */
static uint32_t dp_app_tx_queue(struct dp *dp, const struct txval_env *env, struct app *a, uint32_t q)
{
	struct rte_mbuf *m[DP_BURST_MAX], *out[DP_BURST_MAX];
	int n = appring_tx_avail(a, q, dp->burst);
	uint32_t k, nout = 0, sent;

	if (n <= 0)
		return 0;
	if (unlikely(rte_pktmbuf_alloc_bulk(dp->ports->pool, m, (unsigned)n) != 0)) {
		a->stats.tx_nombuf++;
		return 0; /* the frames stay in the ring for the next loop */
	}
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
		v = txval_check(env, a, dst, len);
		if (unlikely(v != TXV_OK)) {
			a->stats.tx_refused[v]++;
			rte_pktmbuf_free(m[k]);
			continue;
		}
		a->stats.tx_bytes += len;
		out[nout++] = m[k];
	}
	appring_tx_release(a, q, (uint32_t)n);
	if (unlikely(dp->cap_live))
		dp_capture(dp, MS_CAP_APP, MS_CAP_TX, a->id, out, nout);
	sent = dp_tx_or_drop(dp, dp->ports->nic, out, nout, &dp->nic_stats, MS_CAP_NIC);
	a->stats.tx_packets += sent;
	a->stats.tx_nic_full += nout - sent;
	return (uint32_t)n;
}

/*
 * Poll the tx rings of at most DP_TX_APPS_PER_LOOP apps per loop, round
 * robin, so that the cost of a loop (and of each received packet) does not
 * grow with the number of attached apps.
 */
static uint32_t dp_apps_tx(struct dp *dp)
{
	const struct app_list *l = __atomic_load_n(&dp->apps, __ATOMIC_ACQUIRE);
	struct txval_env env;
	uint32_t i, k, q, budget, done = 0;

	if (!l || l->n == 0)
		return 0;
	memcpy(env.nic_mac, dp->ports->nic_mac, 6);
	env.max_frame = (uint32_t)dp->ports->mtu + RTE_ETHER_HDR_LEN;
	env.now = rte_rdtsc();
	env.frag_lifetime = rte_get_tsc_hz() * DP_TX_FRAG_LIFE_S;
	env.table = dp->bt;
	env.owner = dp_owner;
	env.local = __atomic_load_n(&dp->local, __ATOMIC_ACQUIRE);
	budget = l->n < DP_TX_APPS_PER_LOOP ? l->n : DP_TX_APPS_PER_LOOP;
	i = dp->tx_cursor < l->n ? dp->tx_cursor : 0;
	for (k = 0; k < budget; k++) {
		for (q = 0; q < l->a[i]->nqueues; q++)
			done += dp_app_tx_queue(dp, &env, l->a[i], q);
		if (++i == l->n)
			i = 0;
	}
	dp->tx_cursor = i;
	return done;
}

/*
 * One pass over every app's tx rings (the round robin of dp_apps_tx, all the
 * way round): after a kick, the app that rang is served now, wherever the
 * round robin stands. Costs a look at each app's tx head, once per wakeup.
 */
static uint32_t dp_apps_tx_sweep(struct dp *dp)
{
	const struct app_list *l = __atomic_load_n(&dp->apps, __ATOMIC_ACQUIRE);
	uint32_t k, rounds, done = 0;

	if (!l)
		return 0;
	rounds = (l->n + DP_TX_APPS_PER_LOOP - 1) / DP_TX_APPS_PER_LOOP;
	for (k = 0; k < rounds; k++)
		done += dp_apps_tx(dp);
	return done;
}

/*
 * [datapath] idle = adaptive, after each loop (idle.h): sleep once the loops
 * have found nothing for a while. The sleep is outside RCU (offline), so the
 * control thread's grace periods never wait for it; every published pointer
 * is loaded again after it.
 */
static void dp_idle(struct dp *dp, uint32_t work, uint64_t now)
{
	enum idle_step step;
	unsigned woke;

	if (work) {
		idle_awake(dp, work, now);
		return;
	}
	step = idle_prepare(dp, now);
	if (step == IDLE_STAY)
		return;
	if (step == IDLE_SLEEP) {
		rte_rcu_qsbr_thread_offline(dp->qsv, DP_WORKER_TID);
		woke = idle_sleep(dp);
		rte_rcu_qsbr_thread_online(dp->qsv, DP_WORKER_TID);
		/* The capture may have ended and been freed while we were offline. */
		dp->cap_live = __atomic_load_n(&dp->capture, __ATOMIC_ACQUIRE);
		if (woke & IDLE_WOKE_RX)
			dp->tap_skip = 0; /* the kernel may have sent: read the TAP at once */
		if (!(woke & IDLE_WOKE_KICK))
			return;
	}
	work = dp_apps_tx_sweep(dp);
	dp->stats.packets += work;
	idle_awake(dp, work, rte_rdtsc());
}

int dp_worker(void *arg)
{
	struct dp *dp = arg;
	uint64_t t0, t1;
	uint32_t work;

	rte_rcu_qsbr_thread_register(dp->qsv, DP_WORKER_TID);
	rte_rcu_qsbr_thread_online(dp->qsv, DP_WORKER_TID);
	t0 = rte_rdtsc();
	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		/* One load per loop; dropped at the quiescent state below like every other pointer. */
		dp->cap_live = __atomic_load_n(&dp->capture, __ATOMIC_ACQUIRE);
		work = dp_rx_nic(dp);
		work += dp_rx_tap(dp);
		work += dp_apps_tx(dp);
		if (unlikely(dp->cap_live))
			capture_publish(dp->cap_live, &dp->cap_stats);
		/* Every pointer read above is dropped here: the control thread may retire them. */
		rte_rcu_qsbr_quiescent(dp->qsv, DP_WORKER_TID);
		t1 = rte_rdtsc();
		dp->stats.loops++;
		dp->stats.total_cycles += t1 - t0;
		if (work) {
			dp->stats.busy_loops++;
			dp->stats.busy_cycles += t1 - t0;
			dp->stats.packets += work;
		}
		__atomic_store_n(&dp->heartbeat, dp->heartbeat + 1, __ATOMIC_RELEASE);
		if (dp->idle.policy == CONF_IDLE_ADAPTIVE)
			dp_idle(dp, work, t1);
		t0 = t1;
	}
	rte_rcu_qsbr_thread_offline(dp->qsv, DP_WORKER_TID);
	rte_rcu_qsbr_thread_unregister(dp->qsv, DP_WORKER_TID);
	return 0;
}
