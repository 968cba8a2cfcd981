/* SPDX-License-Identifier: BSD-2-Clause */
/* resolve_app.c - asks mstackd to RESOLVE each address given, one after another, and prints the answers:
 * "ADDR MAC" or "ADDR error: REASON". */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <mstack/mstack.h>

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "resolve", .nqueues = 1, .ring_size = 64 };
	struct ms_session *s;
	int i, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: resolve_app SOCKET ADDR...\n");
		return 2;
	}
	if ((rc = ms_attach(argv[1], &o, &s)) < 0) {
		fprintf(stderr, "resolve_app: %s\n", ms_strerror(rc));
		return 1;
	}
	for (i = 2; i < argc; i++) {
		uint8_t addr[16], mac[6];
		int family = strchr(argv[i], ':') ? AF_INET6 : AF_INET;

		if (inet_pton(family, argv[i], addr) != 1) {
			fprintf(stderr, "resolve_app: bad address %s\n", argv[i]);
			return 2;
		}
		rc = ms_resolve(s, family, addr, mac);
		if (rc < 0)
			printf("%s error: %s\n", argv[i], ms_strerror(rc));
		else
			printf("%s %02x:%02x:%02x:%02x:%02x:%02x\n", argv[i], mac[0], mac[1], mac[2], mac[3], mac[4],
			       mac[5]);
		fflush(stdout);
	}
	ms_detach(s);
	return 0;
}
