/* SPDX-License-Identifier: BSD-2-Clause */
/* kick_app.c - an application for the idle test: sends timestamped UDP datagrams with gaps long enough for mstackd to
 * fall asleep. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mstack/mstack.h>

#include "pktbuild.h"

/*
 * usage: kick_app SOCKET ADDR:PORT PEER_IP PEER_PORT COUNT GAP_MS
 * Each datagram carries CLOCK_REALTIME in ns at the moment of ms_tx_copy
 * (the peer's receiver, in another network namespace of this host, reads
 * the same clock). The transmit goes through the doorbell: the daemon is
 * asleep after GAP_MS of silence, and only the kick (or its timer) wakes it.
 */
int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "kick" };
	struct pb_flow f = { .proto = IPPROTO_UDP };
	struct ms_session *s;
	struct ms_tuple t;
	struct in_addr peer;
	uint8_t frame[PB_FRAME_MIN];
	unsigned count, gap_ms, i;
	int rc;

	if (argc != 7 || ms_tuple_parse("udp", argv[2], &t) < 0 || inet_pton(AF_INET, argv[3], &peer) != 1) {
		fprintf(stderr, "usage: kick_app SOCKET ADDR:PORT PEER_IP PEER_PORT COUNT GAP_MS\n");
		return 2;
	}
	count = (unsigned)atoi(argv[5]);
	gap_ms = (unsigned)atoi(argv[6]);
	if ((rc = ms_attach(argv[1], &o, &s)) < 0 || (rc = ms_bind(s, &t)) < 0 ||
	    (rc = ms_resolve(s, AF_INET, &peer, f.dst_mac)) < 0) {
		fprintf(stderr, "kick_app: %s\n", ms_strerror(rc));
		return 1;
	}
	memcpy(f.src_mac, ms_mac(s), 6);
	memcpy(f.src_ip, t.addr, 4);
	memcpy(f.dst_ip, &peer, 4);
	f.src_port = t.port;
	f.dst_port = (uint16_t)atoi(argv[4]);
	printf("sending\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		struct timespec ts, gap = { .tv_sec = gap_ms / 1000, .tv_nsec = (long)(gap_ms % 1000) * 1000000 };
		uint64_t ns;

		nanosleep(&gap, NULL);
		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		if (pb_build(frame, sizeof(frame), &f) == 0) {
			fprintf(stderr, "kick_app: cannot build datagram %u\n", i);
			return 1;
		}
		/* The payload starts with the timestamp; the UDP checksum is optional over IPv4 (RFC 768). */
		memcpy(frame + pb_hdr_len(IPPROTO_UDP), &ns, sizeof(ns));
		frame[PB_ETH_HLEN + PB_IP_HLEN + 6] = frame[PB_ETH_HLEN + PB_IP_HLEN + 7] = 0;
		if (ms_tx_copy(s, 0, frame, sizeof(frame)) < 0) {
			fprintf(stderr, "kick_app: cannot send datagram %u\n", i);
			return 1;
		}
	}
	/* Let the daemon take the last frame before the session closes. */
	sleep(1);
	ms_detach(s);
	return 0;
}
