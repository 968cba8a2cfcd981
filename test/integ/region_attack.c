/* SPDX-License-Identifier: BSD-2-Clause */
/* region_attack.c - an application that frees pages of its own region under the daemon (issue 13 #1):
 * it sends one frame (so that mstackd has touched tx buffer 0), removes the page behind that buffer,
 * takes every free huge page of the host, then publishes a lap of tx buffers whose lengths (ABI 2:
 * in the buffers) the daemon reads from the removed pages, and tx buffer 0 again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mstack/mstack.h>

#define HUGE_2M (2UL << 20)

/* Map and touch anonymous huge pages until the host has none left; returns how many. */
static unsigned take_free_hugepages(void)
{
	unsigned n = 0;

	for (;;) {
		void *p = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

		if (p == MAP_FAILED)
			return n;
		n++;
	}
}

/* Length 0 in the tx buffers of indices [from, to): frames the daemon refuses without copying. */
static void empty_lens(void *base, const struct ms_region_hdr *h, uint32_t from, uint32_t to)
{
	uint32_t i;

	for (i = from; i != to; i++)
		ms_region_buf(base, h, 1, i)->len = 0;
}

/*
 * Publish tx indices up to last, the last one's frame of len bytes (the others as they are), and
 * wait until the daemon has given them all back. Returns the new head.
 */
static uint32_t publish_and_wait(void *base, const struct ms_region_hdr *h, uint32_t last, uint16_t len)
{
	struct ms_ring *tx = ms_region_ring(base, h, 1);

	ms_region_buf(base, h, 1, last)->len = len;
	__atomic_store_n(&tx->head, last + 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&tx->tail, __ATOMIC_ACQUIRE) != last + 1)
		usleep(1000);
	return last + 1;
}

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "region-attack", .nqueues = 1, .ring_size = 4096 };
	struct ms_session *s;
	struct ms_tuple t;
	struct ms_region_hdr *h;
	struct ms_ring *tx;
	uint8_t *bufs, *start;
	uint32_t head;
	int rc;

	if (argc != 3 || ms_tuple_parse("udp", argv[2], &t) < 0) {
		fprintf(stderr, "usage: region_attack SOCKET ADDR:PORT\n");
		return 2;
	}
	if ((rc = ms_attach(argv[1], &o, &s)) < 0 || (rc = ms_bind(s, &t)) < 0) {
		fprintf(stderr, "region_attack: %s\n", ms_strerror(rc));
		return 1;
	}
	h = ms_region(s);
	tx = ms_region_ring(h, h, 1);
	head = tx->head;
	bufs = (uint8_t *)ms_region_buf(h, h, 1, 0);
	/* A frame the daemon copies (and refuses: all zeros), so that it has touched the buffer. */
	memset(ms_region_buf(h, h, 1, head)->frame, 0, 64);
	head = publish_and_wait(h, h, head, 64);
	empty_lens(h, h, head, head + h->ring_size - 1);
	/*
	 * Free the huge page behind tx buffer 0, which the daemon's copy has just touched (freeing
	 * an untouched range would leave its reservation in place), then take every free huge page.
	 */
	start = (uint8_t *)((uintptr_t)bufs & ~(HUGE_2M - 1));
	if (madvise(start, HUGE_2M, MADV_REMOVE) < 0) {
		fprintf(stderr, "region_attack: madvise(MADV_REMOVE): %s\n", strerror(errno));
		return 1;
	}
	printf("region_attack: app %u removed the page of its tx buffer 0, took %u free huge pages\n", ms_app_id(s),
	       take_free_hugepages());
	fflush(stdout);
	/*
	 * Buffer 0 again, after a lap of empty frames: the daemon reads their lengths from the removed
	 * pages (zeros now: refused, counted) and copies buffer 0's frame, and none of it may fault.
	 */
	publish_and_wait(h, h, head + h->ring_size - 1, 64);
	printf("region_attack: published into the removed pages, done\n");
	fflush(stdout);
	for (;;)
		pause();
}
