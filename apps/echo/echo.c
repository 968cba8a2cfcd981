/* SPDX-License-Identifier: BSD-2-Clause */
/* echo.c - mstack-echo: a user-level UDP echo server on libmstack-client (IPv4 and IPv6). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mstack/ms_csum.h>
#include <mstack/mstack.h>

#define ECHO_BURST     32
#define ETH_HLEN       14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

static volatile sig_atomic_t echo_stop;

static void echo_on_signal(int sig)
{
	(void)sig;
	echo_stop = 1;
}

static void echo_swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/*
 * Turn a received UDP datagram into its echo, in place: swap MACs, addresses
 * and ports, recompute checksums. Returns the frame length, or 0 to drop.
 */
static uint32_t echo_reflect(uint8_t *f, uint32_t len, const uint8_t mac[6])
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	uint8_t *ip = f + ETH_HLEN, *udp;
	uint32_t iplen, udplen;
	uint16_t csum;

	if (len < ETH_HLEN + 8)
		return 0;
	if (type == ETHERTYPE_IPV4) {
		uint32_t ihl = (ip[0] & 0xfu) * 4;

		iplen = (uint32_t)(ip[2] << 8 | ip[3]);
		if (ip[9] != IPPROTO_UDP || ihl < 20 || iplen < ihl + 8 || ETH_HLEN + iplen > len)
			return 0;
		if ((ip[6] & 0x3f) || ip[7])
			return 0; /* a fragment: this small stack does not reassemble */
		udp = ip + ihl;
		udplen = iplen - ihl;
		echo_swap(ip + 12, ip + 16, 4);
		ip[8] = 64; /* a fresh TTL */
		ip[10] = ip[11] = 0;
		csum = (uint16_t)~ms_csum_fold(ms_csum_add(ip, ihl, 0));
		memcpy(ip + 10, &csum, 2);
		udp[6] = udp[7] = 0; /* optional over IPv4 */
	} else if (type == ETHERTYPE_IPV6) {
		if (len < ETH_HLEN + 48 || ip[6] != IPPROTO_UDP)
			return 0;
		udplen = (uint32_t)(ip[4] << 8 | ip[5]);
		iplen = 40 + udplen;
		if (udplen < 8 || ETH_HLEN + iplen > len)
			return 0;
		udp = ip + 40;
		echo_swap(ip + 8, ip + 24, 16);
		ip[7] = 64;
		/* RFC 8200 pseudo-header: addresses, upper-layer length, next header. */
		const uint8_t pseudo[8] = { 0, 0, (uint8_t)(udplen >> 8), (uint8_t)udplen, 0, 0, 0, IPPROTO_UDP };

		udp[6] = udp[7] = 0;
		csum = (uint16_t)~ms_csum_fold(
		    ms_csum_add(udp, udplen, ms_csum_add(pseudo, 8, ms_csum_add(ip + 8, 32, 0))));
		if (csum == 0)
			csum = 0xffff; /* mandatory over IPv6: 0 is not a checksum (RFC 8200 section 8.1) */
		memcpy(udp + 6, &csum, 2);
	} else {
		return 0;
	}
	echo_swap(udp, udp + 2, 2);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, mac, 6);
	return ETH_HLEN + iplen;
}

/*
 * Nothing received: sleep on the wakeup fd, or when busy-polling look at
 * the daemon now and then (a wait of 0 ms costs a poll(2)). Either way a
 * daemon restart comes back as MS_REATTACHED (-ECONNRESET with -x).
 */
static int echo_idle(struct ms_session *s, bool busy)
{
	static unsigned idle;

	if (!busy)
		return ms_wait(s, 500);
	return ++idle % 4096 ? 0 : ms_wait(s, 0);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mstack-echo [-s SOCKET] [-p] [-x] udp ADDR:PORT\n"
		"  -s SOCKET  mstackd's control socket (default %s)\n"
		"  -p         busy-poll instead of sleeping on the wakeup fd\n"
		"  -x         exit when mstackd goes away (default: attach again when it is back)\n",
		MS_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct ms_attach_opts opts = { .name = "mstack-echo", .nqueues = 1, .ring_size = 1024 };
	struct ms_session *s;
	struct ms_tuple t;
	char name[MS_TUPLE_STRLEN];
	bool busy = false;
	int opt, rc;

	while ((opt = getopt(argc, argv, "s:pxh")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'p': busy = true; break;
		case 'x': opts.flags |= MS_ATTACH_F_NO_REATTACH; break;
		default: usage(); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "udp") != 0 ||
	    ms_tuple_parse(argv[optind], argv[optind + 1], &t) < 0) {
		usage();
		return 2;
	}
	signal(SIGINT, echo_on_signal);
	signal(SIGTERM, echo_on_signal);
	rc = ms_attach(sock, &opts, &s);
	if (rc < 0) {
		fprintf(stderr, "mstack-echo: attach to %s: %s\n", sock ? sock : MS_DEFAULT_SOCKET, ms_strerror(rc));
		return 1;
	}
	rc = ms_bind(s, &t);
	if (rc < 0) {
		ms_tuple_format(&t, name, sizeof(name));
		fprintf(stderr, "mstack-echo: bind %s: %s\n", name, ms_strerror(rc));
		ms_detach(s);
		return 1;
	}
	ms_tuple_format(&t, name, sizeof(name));
	printf("mstack-echo: app %u echoing %s\n", ms_app_id(s), name);
	fflush(stdout);
	while (!echo_stop) {
		struct ms_pkt rx[ECHO_BURST];
		unsigned n = ms_rx_burst(s, 0, rx, ECHO_BURST), i;

		if (n == 0) {
			rc = echo_idle(s, busy);
			if (rc == MS_REATTACHED) {
				printf("mstack-echo: mstackd restarted; app %u echoing %s again\n", ms_app_id(s), name);
				fflush(stdout);
			} else if (rc == -ECONNRESET) {
				fprintf(stderr, "mstack-echo: mstackd went away; exiting as asked (-x)\n");
				break;
			} else if (rc < 0 && rc != -EINTR) {
				fprintf(stderr, "mstack-echo: %s\n", ms_strerror(rc));
				break;
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			uint8_t frame[MS_BUF_SIZE];
			uint32_t len = rx[i].len;

			memcpy(frame, rx[i].data, len);
			len = echo_reflect(frame, len, ms_mac(s));
			/* A full tx ring drops the echo, as a congested network would. */
			if (len)
				ms_tx_copy(s, 0, frame, len);
		}
		ms_rx_release(s, 0, n);
	}
	ms_detach(s);
	return rc < 0 && rc != -EINTR ? 1 : 0;
}
