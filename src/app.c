/* SPDX-License-Identifier: BSD-2-Clause */
/* app.c - an attached application's region (memfd, rings, buffers), wakeup fd and bindings. */
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdreap.h"
#include "ms_codec.h"

/*
 * Where an app's ring headers and buffers start within their page: its
 * color, app id modulo the 64 lines of a 4 KiB page. Regions are
 * page-aligned, so without it the head of every app's ring 0 would sit at
 * the same page offset, and every buffer at offset 0 or 2048: the lines the
 * worker writes for a burst that touches many apps would all fall into one
 * or two sets of the L1 cache (64 sets of 8 ways), which holds 8 or 16 of
 * them, and the rest of the burst's prefetches would be evicted before use.
 * The app reads both offsets from the header: nothing else changes.
 */
#define APP_COLORS (4096 / MS_CACHELINE)

struct app app_held = { .name = "(held)", .memfd = -1, .wakeup_fd = -1, .kick_fd = -1 };

static void app_layout(struct ms_region_hdr *h, uint32_t nqueues, uint32_t ring_size, uint32_t app_id)
{
	uint64_t color = (uint64_t)(app_id % APP_COLORS) * MS_CACHELINE;

	memset(h, 0, sizeof(*h));
	h->magic = MS_REGION_MAGIC;
	h->abi_major = MS_ABI_MAJOR;
	h->abi_minor = MS_ABI_MINOR;
	h->nqueues = nqueues;
	h->ring_size = ring_size;
	h->buf_size = MS_BUF_SIZE;
	h->ring_stride = sizeof(struct ms_ring);
	h->rings_off = MS_CACHELINE * 2 + color; /* after the header, on its own lines */
	/* Buffers start a color past a page: a long frame may then touch one page more (none with THP). */
	h->bufs_off = ((h->rings_off + (uint64_t)h->ring_stride * 2 * nqueues + 4095) & ~4095ULL) + color;
	h->region_size = h->bufs_off + (uint64_t)2 * nqueues * ring_size * MS_BUF_SIZE;
}

/*
 * Create, size, seal and map the region's memfd. The application gets this
 * fd, and nothing it does to it may make the daemon's accesses fault:
 * - sealing the size means it can never shrink the file under our mapping;
 * - the memfd is ordinary shmem, never hugetlb: an app can punch holes in
 *   its own region (fallocate, MADV_REMOVE), and a hole in shmem refills
 *   with zeros on our next access, whereas a hugetlb hole refills from the
 *   host's huge page pool, which any process can drain: SIGBUS in mstackd.
 * Shmem may still use transparent huge pages where the host allows it
 * (shmem_enabled = advise or always): those refill with zeros too.
 * The region is sparse: pages exist once one side touches them.
 * Returns 0 or -errno.
 */
static int app_make_region(struct app *a, uint64_t size)
{
	a->memfd = memfd_create("mstack-app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (a->memfd < 0)
		return -errno;
	if (ftruncate(a->memfd, (off_t)size) < 0 ||
	    fcntl(a->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	a->region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a->memfd, 0);
	if (a->region == MAP_FAILED) {
		a->region = NULL;
		return -errno;
	}
	a->region_size = size;
	/* Fewer TLB misses on the copy path where shmem THP is allowed; a hint, so no error. */
	(void)madvise(a->region, size, MADV_HUGEPAGE);
	return 0;
}

static int app_map_region(struct app *a, const struct ms_hello *hello, uint32_t ring_size)
{
	struct ms_region_hdr h;
	uint32_t q;
	int rc;

	app_layout(&h, hello->nqueues, ring_size, a->id);
	rc = app_make_region(a, h.region_size);
	if (rc < 0)
		return rc;
	h.region_size = a->region_size;
	h.app_id = a->id;
	memcpy(a->region, &h, sizeof(h));
	for (q = 0; q < hello->nqueues; q++) {
		struct app_queue *aq = &a->q[q];

		/* Pointers come from the daemon's own geometry, never from the region. */
		aq->rx = ms_region_ring(a->region, &h, 2 * q);
		aq->tx = ms_region_ring(a->region, &h, 2 * q + 1);
		aq->rx_bufs = (uint8_t *)ms_region_buf(a->region, &h, 2 * q, 0);
		aq->tx_bufs = (uint8_t *)ms_region_buf(a->region, &h, 2 * q + 1, 0);
	}
	return 0;
}

/* The name is the app's to choose and ends up in logs: keep printable ASCII only. */
static void app_copy_name(char dst[MS_NAME_MAX], const char *src)
{
	size_t i;

	for (i = 0; i < MS_NAME_MAX - 1 && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

struct app *app_create(uint32_t id, const struct ms_hello *h, uint32_t ring_size)
{
	struct app *a;
	size_t size;
	uint32_t q;
	int rc;

	if (ms_hello_reply_nfds(h) < 0) { /* per-queue fds that would not fit the reply */
		errno = EINVAL;
		return NULL;
	}
	/* On its own cache lines, as struct app's alignment says: the datapath's fields then share one. */
	size = (sizeof(*a) + h->nqueues * sizeof(struct app_queue) + APP_ALIGN - 1) & ~(size_t)(APP_ALIGN - 1);
	a = aligned_alloc(APP_ALIGN, size);
	if (!a)
		return NULL;
	memset(a, 0, size);
	a->id = id;
	a->nqueues = h->nqueues;
	a->ring_size = ring_size;
	a->mask = ring_size - 1;
	a->want_bcast = (h->flags & MS_HELLO_F_BCAST) != 0;
	a->memfd = -1;
	app_copy_name(a->name, h->name);
	a->kick_fd = -1;
	a->queue_wakeup = (h->flags & MS_HELLO_F_QUEUE_WAKEUP) != 0;
	for (q = 0; q < a->nqueues; q++)
		a->q[q].wakeup_fd = -1;
	a->wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->wakeup_fd < 0) {
		rc = -errno;
		goto fail;
	}
	for (q = 0; q < a->nqueues; q++) {
		a->q[q].wakeup_fd = a->queue_wakeup ? eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : a->wakeup_fd;
		if (a->q[q].wakeup_fd < 0) {
			rc = -errno;
			goto fail;
		}
	}
	/* Non-blocking on both sides: a kick must never stall the app, and the daemon never reads it. */
	a->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->kick_fd < 0) {
		rc = -errno;
		goto fail;
	}
	a->addrs = calloc(1, sizeof(*a->addrs));
	if (!a->addrs) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = app_map_region(a, h, ring_size);
	if (rc < 0)
		goto fail;
	for (rc = 0; rc < (int)a->nqueues; rc++)
		a->q[rc].st = &a->stats;
	return a;
fail:
	app_destroy(a);
	errno = -rc;
	return NULL;
}

int app_hello_fds(const struct app *a, int fds[MS_MSG_FDS_MAX])
{
	int n = 0;
	uint32_t q;

	fds[n++] = a->memfd;
	fds[n++] = a->wakeup_fd;
	fds[n++] = a->kick_fd;
	for (q = 0; a->queue_wakeup && q < a->nqueues; q++)
		fds[n++] = a->q[q].wakeup_fd;
	return n;
}

void app_region_handed_over(struct app *a)
{
	if (a->memfd >= 0)
		close(a->memfd);
	a->memfd = -1;
}

void app_release_bindings(struct app *a)
{
	while (a->nbindings)
		fdreap_close(FDREAP_SOCKETS, a->bindings[--a->nbindings].fd); /* the client's: closing may block */
}

int app_spread_stats(struct app *a, uint32_t nworkers)
{
	uint32_t q;

	if (nworkers <= 1)
		return 0;
	a->wstats = aligned_alloc(64, nworkers * sizeof(*a->wstats));
	if (!a->wstats)
		return -ENOMEM;
	memset(a->wstats, 0, nworkers * sizeof(*a->wstats));
	a->nwstats = nworkers;
	for (q = 0; q < a->nqueues; q++)
		a->q[q].st = &a->wstats[app_queue_owner(a, q, nworkers)];
	return 0;
}

void app_stats_sum(const struct app *a, struct app_stats *out)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;
	size_t i, n = sizeof(*out) / sizeof(uint64_t);
	uint32_t w;

	*out = a->stats;
	for (w = 0; w < a->nwstats; w++) {
		src = (const uint64_t *)&a->wstats[w];
		for (i = 0; i < n; i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}

void app_destroy(struct app *a)
{
	if (!a)
		return;
	free(a->wstats);
	app_release_bindings(a);
	free(a->bindings);
	free(a->addrs);
	if (a->region)
		munmap(a->region, a->region_size);
	if (a->memfd >= 0)
		close(a->memfd);
	for (uint32_t q = 0; a->queue_wakeup && q < a->nqueues; q++)
		if (a->q[q].wakeup_fd >= 0)
			close(a->q[q].wakeup_fd);
	if (a->wakeup_fd >= 0)
		close(a->wakeup_fd);
	if (a->kick_fd >= 0)
		close(a->kick_fd);
	free(a);
}

int app_binding_add(struct app *a, const struct ms_tuple *t, int fd, uint32_t limit)
{
	if (a->nbindings >= limit)
		return -ENOSPC;
	if (a->nbindings == a->cap_bindings) {
		uint32_t cap = a->cap_bindings ? a->cap_bindings * 2 : 4;
		struct app_binding *b = realloc(a->bindings, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		a->bindings = b;
		a->cap_bindings = cap;
	}
	a->bindings[a->nbindings].tuple = *t;
	a->bindings[a->nbindings].fd = fd;
	a->nbindings++;
	return 0;
}

bool app_binding_remove(struct app *a, const struct ms_tuple *t)
{
	uint32_t i;

	for (i = 0; i < a->nbindings; i++) {
		if (memcmp(&a->bindings[i].tuple, t, sizeof(*t)) == 0) {
			fdreap_close(FDREAP_SOCKETS, a->bindings[i].fd);
			a->bindings[i] = a->bindings[--a->nbindings];
			return true;
		}
	}
	return false;
}

struct app_addrs *app_addrs_build(const struct app *a)
{
	struct app_addrs *s = calloc(1, sizeof(*s) + a->nbindings * sizeof(s->a[0]));
	uint32_t i, j;

	if (!s)
		return NULL;
	for (i = 0; i < a->nbindings; i++) {
		const struct ms_tuple *t = &a->bindings[i].tuple;

		if (ms_tuple_is_wildcard(t)) {
			if (t->family == AF_INET)
				s->any_v4 = true;
			else
				s->any_v6 = true;
			continue;
		}
		for (j = 0; j < s->n; j++)
			if (s->a[j].family == t->family && memcmp(s->a[j].addr, t->addr, 16) == 0)
				break;
		if (j == s->n) {
			s->a[j].family = t->family;
			memcpy(s->a[j].addr, t->addr, 16);
			s->n++;
		}
	}
	return s;
}

bool app_addrs_allow(const struct app_addrs *s, uint8_t family, const uint8_t *addr, bool local_ok)
{
	uint32_t i;

	if (local_ok && ((family == AF_INET && s->any_v4) || (family == AF_INET6 && s->any_v6)))
		return true;
	for (i = 0; i < s->n; i++)
		if (s->a[i].family == family && memcmp(s->a[i].addr, addr, 16) == 0)
			return true;
	return false;
}
