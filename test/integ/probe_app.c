/* SPDX-License-Identifier: BSD-2-Clause */
/* probe_app.c - an application for the integration tests: ephemeral bind, next-hop resolution,
 * and broadcast/multicast delivery (MS_HELLO_F_BCAST). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <mstack/mstack.h>

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "probe", .flags = MS_HELLO_F_BCAST };
	struct ms_session *s;
	struct ms_tuple t;
	struct in_addr next_hop;
	char name[MS_TUPLE_STRLEN];
	uint8_t mac[6];
	unsigned bcast = 0;
	int rc;

	if (argc != 4 || ms_tuple_parse("udp", argv[2], &t) < 0 || inet_pton(AF_INET, argv[3], &next_hop) != 1) {
		fprintf(stderr, "usage: probe_app SOCKET ADDR:0 NEXT_HOP\n");
		return 2;
	}
	if ((rc = ms_attach(argv[1], &o, &s)) < 0 || (rc = ms_bind(s, &t)) < 0) {
		fprintf(stderr, "probe_app: %s\n", ms_strerror(rc));
		return 1;
	}
	ms_tuple_format(&t, name, sizeof(name));
	printf("bound %s port %u\n", name, t.port);
	rc = ms_resolve(s, AF_INET, &next_hop, mac);
	if (rc < 0)
		printf("resolve failed: %s\n", ms_strerror(rc));
	else
		printf("resolved %s %02x:%02x:%02x:%02x:%02x:%02x\n", argv[3], mac[0], mac[1], mac[2], mac[3], mac[4],
		       mac[5]);
	fflush(stdout);
	/* Broadcast and multicast frames (ARP requests, ND) arrive because of MS_HELLO_F_BCAST. */
	while (bcast < 3 && (rc = ms_wait(s, 10000)) > 0) {
		struct ms_pkt p[32];
		unsigned n = ms_rx_burst(s, 0, p, 32), i;

		for (i = 0; i < n; i++)
			if (p[i].data[0] & 1)
				bcast++;
		ms_rx_release(s, 0, n);
	}
	printf("broadcast frames %u\n", bcast);
	ms_detach(s);
	return bcast >= 3 ? 0 : 1;
}
