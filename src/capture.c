/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.c - a packet capture's region and the workers' side of its rings (hostile-safe, drop when full). */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

/* Bytes of a region of nrings rings of nslots records of snaplen bytes; sets *slots_off. */
static uint64_t capture_region_size(uint32_t nrings, uint32_t nslots, uint32_t snaplen, uint64_t *slots_off)
{
	uint64_t off = (MS_CAP_RINGS_OFF + (uint64_t)nrings * sizeof(struct ms_cap_ring) + 4095) & ~4095ULL;

	if (slots_off)
		*slots_off = off;
	return off + (uint64_t)nrings * nslots * ms_cap_slot_size(snaplen);
}

int capture_check(const struct ms_capture_req *req)
{
	if (!req->points || (req->points & ~(MS_CAP_NIC | MS_CAP_TAP | MS_CAP_APP)) || !req->dirs ||
	    (req->dirs & ~(MS_CAP_RX | MS_CAP_TX)) || req->pad)
		return -EINVAL;
	if (req->snaplen < 1 || req->snaplen > MS_CAP_SNAPLEN_MAX)
		return -EINVAL;
	if (req->nslots < 64 || req->nslots > MS_CAP_SLOTS_MAX || (req->nslots & (req->nslots - 1)))
		return -EINVAL;
	if (capture_region_size(1, req->nslots, req->snaplen, NULL) > CAPTURE_REGION_MAX)
		return -EINVAL;
	return 0;
}

struct capture *capture_create(const struct ms_capture_req *req, uint32_t nrings)
{
	struct capture *c;
	struct ms_cap_hdr h = { 0 };
	struct timespec ts;
	uint32_t r;
	int rc;

	if (nrings < 1 || nrings > MS_CAP_RINGS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c) + nrings * sizeof(c->rings[0]));
	if (!c)
		return NULL;
	c->memfd = c->wakeup_fd = -1;
	h.magic = MS_CAP_MAGIC;
	h.abi_major = MS_CAP_ABI_MAJOR;
	h.abi_minor = MS_CAP_ABI_MINOR;
	h.nrings = nrings;
	h.nslots = req->nslots;
	/* Many workers share the region's cap: each ring gets fewer slots rather than the capture being refused. */
	while (h.nslots > 64 && capture_region_size(nrings, h.nslots, req->snaplen, NULL) > CAPTURE_REGION_MAX)
		h.nslots /= 2;
	h.snaplen = req->snaplen;
	h.slot_size = ms_cap_slot_size(req->snaplen);
	h.rings_off = MS_CAP_RINGS_OFF;
	h.ring_stride = (uint64_t)h.nslots * h.slot_size;
	h.region_size = capture_region_size(nrings, h.nslots, h.snaplen, &h.slots_off);
	if (h.region_size > CAPTURE_REGION_MAX) {
		errno = EINVAL;
		goto fail;
	}

	c->wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* Shmem, sealed against resizing: nothing the reader does to it can make the worker fault (app.c). */
	c->memfd = memfd_create("mstack-capture", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (c->wakeup_fd < 0 || c->memfd < 0 || ftruncate(c->memfd, (off_t)h.region_size) < 0 ||
	    fcntl(c->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	c->region = mmap(NULL, h.region_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	if (c->region == MAP_FAILED) {
		c->region = NULL;
		goto fail;
	}
	c->region_size = h.region_size;
	memcpy(c->region, &h, sizeof(h));
	/* Pointers and geometry come from the daemon's own copy, never from the region. */
	c->nrings = nrings;
	for (r = 0; r < nrings; r++) {
		c->rings[r].ring = ms_cap_ring_at(c->region, &h, r);
		c->rings[r].slots = (uint8_t *)c->region + h.slots_off + r * h.ring_stride;
	}
	c->mask = h.nslots - 1;
	c->slot_size = h.slot_size;
	c->snaplen = h.snaplen;
	c->points = req->points;
	c->dirs = req->dirs;
	c->app_id = req->app_id;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->base_tsc = rte_rdtsc();
	c->base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	c->tsc_hz = rte_get_tsc_hz();
	return c;
fail:
	rc = errno;
	capture_destroy(c);
	errno = rc;
	return NULL;
}

void capture_handed_over(struct capture *c)
{
	if (c->memfd >= 0)
		close(c->memfd);
	c->memfd = -1;
}

void capture_destroy(void *p)
{
	struct capture *c = p;

	if (!c)
		return;
	if (c->region)
		munmap(c->region, c->region_size);
	if (c->memfd >= 0)
		close(c->memfd);
	if (c->wakeup_fd >= 0)
		close(c->wakeup_fd);
	free(c);
}

uint64_t capture_now_ns(const struct capture *c)
{
	uint64_t d = rte_rdtsc() - c->base_tsc;

	return c->base_ns + d / c->tsc_hz * 1000000000ull + d % c->tsc_hz * 1000000000ull / c->tsc_hz;
}

struct ms_cap_rec *capture_reserve(struct capture *c, uint32_t w, struct cap_stats *st, uint64_t ts, uint8_t point,
				   uint8_t dir, uint32_t app_id, uint32_t orig_len)
{
	struct capture_ring *cr = &c->rings[w];
	struct ms_cap_rec *r;

	if (cr->head - cr->tail > c->mask) {
		/* Full by our view: read the reader's tail once; an impossible one counts as full. */
		uint32_t tail = __atomic_load_n(&cr->ring->tail, __ATOMIC_ACQUIRE);

		if (cr->head - tail <= c->mask + 1)
			cr->tail = tail;
		if (cr->head - cr->tail > c->mask) {
			st->dropped++;
			return NULL;
		}
	}
	r = (struct ms_cap_rec *)(cr->slots + (size_t)(cr->head & c->mask) * c->slot_size);
	r->ts_ns = ts;
	r->orig_len = orig_len;
	r->cap_len = orig_len < c->snaplen ? orig_len : c->snaplen;
	r->point = point;
	r->dir = dir;
	r->pad = 0;
	r->app_id = app_id;
	cr->head++;
	st->frames++;
	return r;
}

void capture_put(struct capture *c, uint32_t w, struct cap_stats *st, uint64_t ts, uint8_t point, uint8_t dir,
		 uint32_t app_id, const void *frame, uint32_t len)
{
	struct ms_cap_rec *r = capture_reserve(c, w, st, ts, point, dir, app_id, len);

	if (r)
		memcpy(r + 1, frame, r->cap_len);
}

void capture_mbufs(struct capture *c, uint32_t w, struct cap_stats *st, uint8_t point, uint8_t dir, uint32_t app_id,
		   struct rte_mbuf *const *pkts, uint32_t n)
{
	uint64_t ts;
	uint32_t i;

	if (!capture_wants(c, point, dir, app_id) || n == 0)
		return;
	ts = capture_now_ns(c);
	for (i = 0; i < n; i++) {
		struct ms_cap_rec *r = capture_reserve(c, w, st, ts, point, dir, app_id, pkts[i]->pkt_len);
		const void *p;

		if (!r)
			continue;
		/* A chained (jumbo) frame is gathered into the record; a flat one is read in place. */
		p = rte_pktmbuf_read(pkts[i], 0, r->cap_len, r + 1);
		if (p && p != (void *)(r + 1))
			memcpy(r + 1, p, r->cap_len);
	}
}

void capture_publish(struct capture *c, uint32_t w, struct cap_stats *st)
{
	struct capture_ring *cr = &c->rings[w];
	uint64_t one = 1;

	if (cr->published == cr->head)
		return;
	__atomic_store_n(&cr->ring->head, cr->head, __ATOMIC_RELEASE);
	cr->published = cr->head;
	/* Pairs with the reader's fence between setting NEED_WAKEUP and re-reading the heads. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((__atomic_load_n(&cr->ring->flags, __ATOMIC_RELAXED) & MS_CAP_NEED_WAKEUP) &&
	    write(c->wakeup_fd, &one, sizeof(one)) == sizeof(one))
		st->wakeups++;
}
