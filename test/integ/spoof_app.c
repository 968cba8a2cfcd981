/* SPDX-License-Identifier: BSD-2-Clause */
/* spoof_app.c - an application for the integration tests that sends hand-made frames (given in hex)
 * from one binding, to show what the daemon lets onto the wire. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mstack/mstack.h>

/* Decode a hex string into f; returns its length in bytes, or 0 if it is not even-length hex or too long. */
static uint32_t spoof_unhex(const char *s, uint8_t *f, size_t cap)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 2 || n / 2 > cap)
		return 0;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return 0;
		f[i] = (uint8_t)v;
	}
	return (uint32_t)(n / 2);
}

/* Wait until the daemon consumed (validated, then sent or refused) everything on tx queue 0. */
static void spoof_drain(struct ms_session *s)
{
	const struct ms_region_hdr *h = ms_region(s);
	struct ms_ring *tx = ms_region_ring(ms_region(s), h, 1);

	while (__atomic_load_n(&tx->tail, __ATOMIC_ACQUIRE) != __atomic_load_n(&tx->head, __ATOMIC_RELAXED))
		usleep(1000);
}

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "spoof", .nqueues = 1, .ring_size = 64 };
	static uint8_t frame[MS_FRAME_MAX];
	const uint8_t *mac;
	struct ms_session *s;
	struct ms_tuple t;
	int i, rc;

	if (argc < 4 || ms_tuple_parse(argv[2], argv[3], &t) < 0) {
		fprintf(stderr, "usage: spoof_app SOCKET udp|tcp ADDR:PORT [HEX_FRAME...]\n");
		return 2;
	}
	if ((rc = ms_attach(argv[1], &o, &s)) < 0 || (rc = ms_bind(s, &t)) < 0) {
		fprintf(stderr, "spoof_app: %s\n", ms_strerror(rc));
		return 1;
	}
	mac = ms_mac(s);
	printf("spoof: app %u mac %02x:%02x:%02x:%02x:%02x:%02x\n", ms_app_id(s), mac[0], mac[1], mac[2], mac[3],
	       mac[4], mac[5]);
	/* One at a time and in order: a later frame may depend on an earlier one (fragments). */
	for (i = 4; i < argc; i++) {
		uint32_t len = spoof_unhex(argv[i], frame, sizeof(frame));

		if (len == 0) {
			fprintf(stderr, "spoof_app: frame %d is not hex of at most %u bytes\n", i - 3, MS_FRAME_MAX);
			return 2;
		}
		while ((rc = ms_tx_copy(s, 0, frame, len)) == -EAGAIN)
			usleep(1000);
		if (rc < 0) {
			fprintf(stderr, "spoof_app: frame %d: %s\n", i - 3, ms_strerror(rc));
			return 1;
		}
		spoof_drain(s);
	}
	printf("spoof: sent %d\n", argc - 4);
	fflush(stdout);
	/* Stay attached, so that the test can read this app's counters. */
	for (;;)
		pause();
}
