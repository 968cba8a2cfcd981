/* SPDX-License-Identifier: BSD-2-Clause */
/* hostile_app.c - a misbehaving application for the integration tests: garbage indices, bad
 * lengths and spoofed frames in its own region ("garbage"), a steady stream of spoofed frames
 * ("spoof:RATE"), or one that never reads ("stall"). It says when mstackd disconnects it. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mstack/ms_csum.h>
#include <mstack/mstack.h>

/* A UDP/IPv4 frame from src:sport, with a correct IPv4 header checksum. */
static uint32_t hostile_udp(uint8_t *f, const uint8_t smac[6], const uint8_t src[4], uint16_t sport)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t csum;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[3] = 28;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, src, 4);
	csum = (uint16_t)~ms_csum_fold(ms_csum_add(ip, 20, 0));
	memcpy(ip + 10, &csum, 2);
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = 0;
	udp[3] = 9;
	udp[5] = 8;
	return 14 + 28;
}

static void hostile_garbage(struct ms_session *s, const struct ms_tuple *mine, uint16_t victim_port)
{
	const struct ms_region_hdr *h = ms_region(s);
	void *base = ms_region(s);
	struct ms_ring *rx = ms_region_ring(base, h, 0), *tx = ms_region_ring(base, h, 1);
	uint8_t bad_mac[6] = { 0x02, 0xba, 0xd0, 0, 0, 1 };
	uint32_t i, head = tx->head;

	/* Spoofed frames: someone else's port, and a MAC that is not the NIC's. */
	for (i = 0; i < 8; i++) {
		struct ms_buf *b = ms_region_buf(base, h, 1, head + i);

		b->len = (uint16_t)hostile_udp(b->frame, i & 1 ? bad_mac : ms_mac(s), mine->addr, victim_port);
	}
	/*
	 * Lengths that point past the buffer (the field's largest, and the whole buffer: its frame
	 * starts MS_BUF_HEADROOM bytes in) or are too short to be a frame.
	 */
	ms_region_buf(base, h, 1, head + 8)->len = 0xffffu;
	ms_region_buf(base, h, 1, head + 9)->len = 3;
	ms_region_buf(base, h, 1, head + 10)->len = MS_BUF_SIZE;
	__atomic_store_n(&tx->head, head + 11, __ATOMIC_RELEASE);
	while (__atomic_load_n(&tx->tail, __ATOMIC_ACQUIRE) != head + 11)
		usleep(1000);
	/* Impossible indices, left in place: the daemon must refuse them, never follow them. */
	rx->tail = rx->head + 0x40000000u;
	__atomic_store_n(&tx->head, tx->tail + 0x80000000u, __ATOMIC_RELEASE);
	printf("hostile: garbage written\n");
	fflush(stdout);
}

static uint64_t hostile_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Spoofed frames (someone else's source port) at rate a second, paced every 10 ms, until mstackd hangs up. */
static void hostile_spoof(struct ms_session *s, const struct ms_tuple *mine, uint16_t victim_port, unsigned rate)
{
	struct pollfd p = { .fd = ms_ctl_fd(s), .events = POLLIN };
	uint64_t start = hostile_now_ms(), sent = 0;
	unsigned i;

	printf("hostile: spoofing %u frames a second\n", rate);
	fflush(stdout);
	while (poll(&p, 1, 10) == 0) {
		struct ms_pkt pkts[64];
		uint64_t due = (hostile_now_ms() - start) * rate / 1000 - sent;
		unsigned n = ms_tx_alloc(s, 0, pkts, due < 64 ? (unsigned)due : 64);

		for (i = 0; i < n; i++)
			pkts[i].len = hostile_udp(pkts[i].data, ms_mac(s), mine->addr, victim_port);
		ms_tx_send(s, 0, pkts, n);
		sent += n;
	}
	printf("hostile: disconnected by mstackd after %llu spoofed frames\n", (unsigned long long)sent);
	fflush(stdout);
}

/* Wait for mstackd to hang up, and say so (the library would re-attach only if we called ms_wait). */
static void hostile_await_disconnect(struct ms_session *s)
{
	struct pollfd p = { .fd = ms_ctl_fd(s), .events = POLLIN };

	while (poll(&p, 1, -1) != 1)
		;
	printf("hostile: disconnected by mstackd\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "hostile", .nqueues = 1, .ring_size = 256 };
	struct ms_session *s;
	struct ms_tuple t;
	int rc;

	if (argc != 5 || ms_tuple_parse("udp", argv[3], &t) < 0) {
		fprintf(stderr, "usage: hostile_app SOCKET garbage|stall|spoof:RATE ADDR:PORT VICTIM_PORT\n");
		return 2;
	}
	if ((rc = ms_attach(argv[1], &o, &s)) < 0 || (rc = ms_bind(s, &t)) < 0) {
		fprintf(stderr, "hostile_app: %s\n", ms_strerror(rc));
		return 1;
	}
	printf("hostile: app %u\n", ms_app_id(s));
	fflush(stdout);
	if (strcmp(argv[2], "garbage") == 0) {
		hostile_garbage(s, &t, (uint16_t)atoi(argv[4]));
		hostile_await_disconnect(s);
	} else if (strncmp(argv[2], "spoof:", 6) == 0) {
		hostile_spoof(s, &t, (uint16_t)atoi(argv[4]), (unsigned)atoi(argv[2] + 6));
	} else {
		printf("hostile: stalled, never reading\n");
	}
	fflush(stdout);
	for (;;)
		pause();
}
