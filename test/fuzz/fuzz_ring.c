/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_ring.c - libFuzzer target: the daemon's side of an app's rings (appring.h) against a hostile app. */
#include <errno.h>
#include <string.h>

#include "app.h"
#include "appring.h"
#include "fuzz.h"

/*
 * One real region (app_create: memfd, mapped), two queues of 64 buffers. The
 * input is a program: each step is either the app writing whatever it likes
 * into its region, or one daemon operation as the datapath does it. After
 * each daemon operation: everything it returned is in bounds, and it wrote
 * nothing in the ring headers but what it owns (rx head, tx tail), and a put
 * wrote exactly its frame and length into its own buffer. An access outside
 * the region faults or trips ASan.
 *
 * Step: opcode byte, then its arguments.
 *   0 q v32   app sets rx tail      (q bit 7: v is a small step from rx head)
 *   1 q v32   app sets tx head      (q bit 7: v is a small step from tx tail)
 *   2 q s v16 app sets the length in tx buffer s
 *   3 q v8    app sets rx flags
 *   4 o16 v32 app writes anywhere in the ring headers
 *   5 q l16   daemon: appring_rx_put of l bytes
 *   6         daemon: appring_rx_publish
 *   7 q m     daemon: appring_tx_avail (at most m), appring_tx_frame each, copy out, appring_tx_release
 * The first 4 bytes are where every index starts (a long-lived session wraps).
 */

#define FZ_NQUEUES  2
#define FZ_RING     64
#define FZ_MAX_STEP 256

static struct app *fz_app;
static uint8_t *fz_hdrs; /* the ring headers: [rings_off, bufs_off) of the region */
static size_t fz_hdrs_len;
static uint8_t fz_before[8192];
static uint8_t fz_frame[MS_BUF_SIZE + 64];

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint32_t fz_take(struct fz_in *in, size_t bytes)
{
	uint32_t v = 0;

	while (bytes--) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

static void fz_setup(void)
{
	const struct ms_region_hdr *h;
	struct ms_hello hello;

	memset(&hello, 0, sizeof(hello));
	hello.abi_major = MS_ABI_MAJOR;
	hello.nqueues = FZ_NQUEUES;
	hello.ring_size = FZ_RING;
	fz_app = app_create(1, &hello, FZ_RING);
	FZ_ASSERT(fz_app);
	h = fz_app->region;
	fz_hdrs = (uint8_t *)fz_app->region + h->rings_off;
	fz_hdrs_len = h->bufs_off - h->rings_off;
	FZ_ASSERT(fz_hdrs_len <= sizeof(fz_before));
	for (size_t i = 0; i < sizeof(fz_frame); i++)
		fz_frame[i] = (uint8_t)i;
}

/* A fresh session whose every index is at base; the region's buffers are left as they are. */
static void fz_reset(uint32_t base)
{
	memset(fz_hdrs, 0, fz_hdrs_len);
	memset(&fz_app->stats, 0, sizeof(fz_app->stats));
	for (uint32_t q = 0; q < FZ_NQUEUES; q++) {
		struct app_queue *aq = &fz_app->q[q];

		aq->rx_head = aq->rx_published = aq->rx_tail = aq->tx_tail = base;
		aq->rx->head = aq->rx->tail = base;
		aq->tx->head = aq->tx->tail = base;
	}
}

/* Is [p, p + len) inside [lo, lo + size)? */
static bool fz_inside(const void *p, size_t len, const void *lo, size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)lo;

	return a >= b && len <= size && a - b <= size - len;
}

/* The daemon changed nothing in the ring headers but what it owns. */
static void fz_check_writes(void)
{
	uint8_t *now = fz_hdrs;

	for (uint32_t q = 0; q < FZ_NQUEUES; q++) {
		const struct app_queue *aq = &fz_app->q[q];
		size_t rx = (size_t)((uint8_t *)aq->rx - fz_hdrs), tx = (size_t)((uint8_t *)aq->tx - fz_hdrs);

		/* Put the daemon's own fields back as they were, then the rest must match. */
		memcpy(fz_before + rx + offsetof(struct ms_ring, head), &aq->rx->head, 4);
		memcpy(fz_before + tx + offsetof(struct ms_ring, tail), &aq->tx->tail, 4);
	}
	FZ_ASSERT(memcmp(fz_before, now, fz_hdrs_len) == 0);
}

static void fz_rx_put(uint32_t q, uint32_t len)
{
	struct app_queue *aq = &fz_app->q[q];
	uint32_t head = aq->rx_head;
	int rc = appring_rx_put(fz_app, q, fz_frame, len);

	FZ_ASSERT(rc == 0 || rc == -ENOBUFS || rc == -EMSGSIZE || rc == -EBADMSG);
	FZ_ASSERT(aq->rx_head - aq->rx_tail <= FZ_RING);
	if (rc == 0) {
		const struct ms_buf *b = ms_ring_buf(aq->rx_bufs, head & (FZ_RING - 1));

		FZ_ASSERT(aq->rx_head == head + 1 && len <= MS_FRAME_MAX);
		FZ_ASSERT(b->len == len);
		FZ_ASSERT(memcmp(b->frame, fz_frame, len) == 0);
	} else {
		FZ_ASSERT(aq->rx_head == head);
	}
}

/* Each ring with new frames gets its head stored; the others are not touched (the app may have scribbled there). */
static void fz_rx_publish(void)
{
	bool fresh[FZ_NQUEUES];
	uint32_t q;

	for (q = 0; q < FZ_NQUEUES; q++)
		fresh[q] = fz_app->q[q].rx_published != fz_app->q[q].rx_head;
	(void)appring_rx_publish(fz_app);
	for (q = 0; q < FZ_NQUEUES; q++) {
		const struct app_queue *aq = &fz_app->q[q];

		FZ_ASSERT(aq->rx_published == aq->rx_head);
		if (fresh[q])
			FZ_ASSERT(aq->rx->head == aq->rx_head);
	}
}

/* As the datapath does it: copy each frame out of the region, exactly its length. */
static void fz_tx_burst(uint32_t q, uint32_t max)
{
	struct app_queue *aq = &fz_app->q[q];
	const uint8_t *bufs_end = aq->tx_bufs + (size_t)FZ_RING * MS_BUF_SIZE;
	uint32_t tail = aq->tx_tail;
	int n = appring_tx_avail(fz_app, q, max);

	FZ_ASSERT(n == -EBADMSG || (n >= 0 && (uint32_t)n <= max && (uint32_t)n <= FZ_RING));
	if (n <= 0) {
		FZ_ASSERT(aq->tx_tail == tail);
		return;
	}
	for (uint32_t k = 0; k < (uint32_t)n; k++) {
		const uint8_t *src = NULL;
		uint32_t len = appring_tx_frame(fz_app, q, k, &src);
		uint8_t *copy;

		FZ_ASSERT(len == 0 || (len >= MS_FRAME_MIN && len <= MS_FRAME_MAX));
		FZ_ASSERT(fz_inside(src, MS_FRAME_MAX, aq->tx_bufs, (size_t)(bufs_end - aq->tx_bufs)));
		FZ_ASSERT((size_t)(src - aq->tx_bufs) ==
			  (size_t)((tail + k) & (FZ_RING - 1)) * MS_BUF_SIZE + MS_BUF_HEADROOM);
		FZ_ASSERT(fz_inside(src, MS_FRAME_MAX, fz_app->region, fz_app->region_size));
		if (len == 0)
			continue;
		copy = malloc(len);
		FZ_ASSERT(copy);
		memcpy(copy, src, len);
		free(copy);
	}
	appring_tx_release(fz_app, q, (uint32_t)n);
	FZ_ASSERT(aq->tx_tail == tail + (uint32_t)n);
	FZ_ASSERT(aq->tx->tail == aq->tx_tail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fz_in in = { data, size };

	if (!ready) {
		fz_setup();
		ready = true;
	}
	fz_reset(fz_take(&in, 4));

	for (unsigned step = 0; step < FZ_MAX_STEP && in.n > 0; step++) {
		uint8_t op = (uint8_t)fz_take(&in, 1);
		uint32_t qb, q, v, s;
		struct app_queue *aq;

		switch (op % 8) {
		case 0:
			qb = fz_take(&in, 1);
			aq = &fz_app->q[qb % FZ_NQUEUES];
			v = fz_take(&in, 4);
			aq->rx->tail = qb & 0x80 ? aq->rx->head + (uint32_t)(int8_t)v : v;
			break;
		case 1:
			qb = fz_take(&in, 1);
			aq = &fz_app->q[qb % FZ_NQUEUES];
			v = fz_take(&in, 4);
			aq->tx->head = qb & 0x80 ? aq->tx->tail + (uint32_t)(int8_t)v : v;
			break;
		case 2:
			aq = &fz_app->q[fz_take(&in, 1) % FZ_NQUEUES];
			s = fz_take(&in, 1) % FZ_RING;
			ms_ring_buf(aq->tx_bufs, s)->len = (uint16_t)fz_take(&in, 2);
			break;
		case 3:
			aq = &fz_app->q[fz_take(&in, 1) % FZ_NQUEUES];
			aq->rx->flags = fz_take(&in, 1);
			break;
		case 4:
			s = (fz_take(&in, 2) * 4) % (uint32_t)fz_hdrs_len;
			v = fz_take(&in, 4);
			memcpy(fz_hdrs + s, &v, 4);
			break;
		default:
			memcpy(fz_before, fz_hdrs, fz_hdrs_len);
			if (op % 8 == 5) {
				q = fz_take(&in, 1) % FZ_NQUEUES;
				fz_rx_put(q, fz_take(&in, 2) % (MS_BUF_SIZE + 16));
			} else if (op % 8 == 6) {
				fz_rx_publish();
			} else {
				q = fz_take(&in, 1) % FZ_NQUEUES;
				fz_tx_burst(q, fz_take(&in, 1));
			}
			fz_check_writes();
			break;
		}
	}
	return 0;
}
