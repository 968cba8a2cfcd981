/* SPDX-License-Identifier: BSD-2-Clause */
/* listen_app.c - an application for the integration tests: binds one UDP tuple (a wildcard
 * allowed), optionally asks for broadcast, and prints one line per frame it receives. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <mstack/mstack.h>

/* "rx mac=DST_MAC tagged=0|1 ip=DST_IP port=DST_PORT": what the demux decided on. */
static void listen_print(const uint8_t *f, uint32_t len)
{
	char ip[INET6_ADDRSTRLEN] = "-";
	uint32_t off = 14, port = 0;
	uint16_t type;
	int tagged = 0;

	if (len < 14)
		return;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == 0x8100 && len >= 18) {
		tagged = 1;
		type = (uint16_t)(f[16] << 8 | f[17]);
		off = 18;
	}
	if (type == 0x0800 && len >= off + 24) {
		inet_ntop(AF_INET, f + off + 16, ip, sizeof(ip));
		port = (uint32_t)(f[off + (f[off] & 0x0fu) * 4 + 2] << 8 | f[off + (f[off] & 0x0fu) * 4 + 3]);
	} else if (type == 0x86dd && len >= off + 44) {
		inet_ntop(AF_INET6, f + off + 24, ip, sizeof(ip));
		port = (uint32_t)(f[off + 42] << 8 | f[off + 43]);
	}
	printf("rx mac=%02x:%02x:%02x:%02x:%02x:%02x tagged=%d ip=%s port=%u\n", f[0], f[1], f[2], f[3], f[4], f[5],
	       tagged, ip, port);
}

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "listen" };
	struct ms_session *s;
	struct ms_tuple t;
	char name[MS_TUPLE_STRLEN];
	int rc;

	if (argc != 4 || (strcmp(argv[2], "bcast") != 0 && strcmp(argv[2], "plain") != 0) ||
	    ms_tuple_parse("udp", argv[3], &t) < 0) {
		fprintf(stderr, "usage: listen_app SOCKET bcast|plain ADDR:PORT\n");
		return 2;
	}
	if (strcmp(argv[2], "bcast") == 0)
		o.flags = MS_HELLO_F_BCAST;
	if ((rc = ms_attach(argv[1], &o, &s)) < 0 || (rc = ms_bind(s, &t)) < 0) {
		fprintf(stderr, "listen_app: %s\n", ms_strerror(rc));
		return 1;
	}
	ms_tuple_format(&t, name, sizeof(name));
	printf("app %u listening on %s\n", ms_app_id(s), name);
	fflush(stdout);
	while ((rc = ms_wait(s, -1)) >= 0) {
		struct ms_pkt p[32];
		unsigned n = ms_rx_burst(s, 0, p, 32), i;

		for (i = 0; i < n; i++)
			listen_print(p[i].data, p[i].len);
		ms_rx_release(s, 0, n);
		fflush(stdout);
	}
	fprintf(stderr, "listen_app: %s\n", ms_strerror(rc));
	ms_detach(s);
	return 1;
}
