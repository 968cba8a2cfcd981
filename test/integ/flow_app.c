/* SPDX-License-Identifier: BSD-2-Clause */
/* flow_app.c - an application for the integration tests: on which queue each flow and ICMP error arrives. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mstack/ms_csum.h>
#include <mstack/mstack.h>

/*
 * flow_app SOCKET NQUEUES SECONDS UDP_TUPLE...
 *
 * Attaches with NQUEUES queues and binds every tuple. Then, for SECONDS:
 *  - each UDP datagram to a bound tuple is reported as
 *      "udp q=Q predicted=P"
 *    where Q is the queue it arrived on and P what ms_flow_queue says for
 *    its flow; an IPv4 one is answered, from queue Q, with "q=Q predicted=P";
 *  - each ICMP/ICMPv6 error is reported as
 *      "icmp family=4|6 type=T code=C q=Q predicted=P quote=ADDR:PORT"
 *    with P computed from the quoted packet (the app's own).
 * Frames are read from the wire as they are: this is a test tool, not a stack.
 */

#define ETH_HLEN 14

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The queue ms_flow_queue gives for the app's end (laddr, lport) and the peer's (raddr, rport). */
static uint32_t predict(const struct ms_session *s, int family, const uint8_t *laddr, uint16_t lport,
			const uint8_t *raddr, uint16_t rport)
{
	struct ms_tuple local = { .proto = IPPROTO_UDP, .family = (uint8_t)family, .port = lport };

	memcpy(local.addr, laddr, family == AF_INET ? 4 : 16);
	return ms_flow_queue(s, &local, raddr, rport);
}

/* Answer an IPv4 UDP datagram f (of len bytes, IHL ihl) from queue q with "q=Q predicted=P". */
static void reply4(struct ms_session *s, uint32_t q, const uint8_t *f, uint32_t ihl, uint32_t p)
{
	uint8_t out[128] = { 0 };
	uint8_t *ip = out + ETH_HLEN, *udp = ip + 20;
	int n = snprintf((char *)udp + 8, 64, "q=%u predicted=%u", q, p);
	uint16_t c;

	memcpy(out, f + 6, 6);
	memcpy(out + 6, ms_mac(s), 6);
	wr16(out + 12, 0x0800);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + 8 + n));
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, f + ETH_HLEN + 16, 4);
	memcpy(ip + 16, f + ETH_HLEN + 12, 4);
	c = (uint16_t)~ms_csum_fold(ms_csum_add(ip, 20, 0));
	memcpy(ip + 10, &c, 2);
	wr16(udp, rd16(f + ETH_HLEN + ihl + 2));
	wr16(udp + 2, rd16(f + ETH_HLEN + ihl));
	wr16(udp + 4, (uint16_t)(8 + n)); /* checksum 0: none, allowed over IPv4 */
	if (ms_tx_copy(s, q, out, (uint32_t)(ETH_HLEN + 20 + 8 + n)) < 0)
		printf("tx failed on queue %u\n", q);
}

static void icmp_report(const struct ms_session *s, uint32_t q, int family, const uint8_t *m, uint32_t len)
{
	uint32_t qihl = 40;
	const uint8_t *quote = m + 8, *src, *dst;
	char name[INET6_ADDRSTRLEN];

	if (len < 8 + (family == AF_INET ? 20 : 40))
		return;
	if (family == AF_INET) {
		qihl = (quote[0] & 0x0fu) * 4;
		src = quote + 12;
		dst = quote + 16;
	} else {
		src = quote + 8;
		dst = quote + 24;
	}
	if (len < 8 + qihl + 4)
		return;
	inet_ntop(family, src, name, sizeof(name));
	printf("icmp family=%d type=%u code=%u q=%u predicted=%u quote=%s:%u\n", family == AF_INET ? 4 : 6, m[0], m[1],
	       q, predict(s, family, src, rd16(quote + qihl), dst, rd16(quote + qihl + 2)), name, rd16(quote + qihl));
}

static void frame(struct ms_session *s, uint32_t q, const uint8_t *f, uint32_t len)
{
	uint16_t type = len >= ETH_HLEN ? rd16(f + 12) : 0;
	const uint8_t *ip = f + ETH_HLEN;

	if (type == 0x0800 && len >= ETH_HLEN + 20) {
		uint32_t ihl = (ip[0] & 0x0fu) * 4;

		if (len < ETH_HLEN + ihl + 8)
			return;
		if (ip[9] == IPPROTO_UDP) {
			uint32_t p = predict(s, AF_INET, ip + 16, rd16(ip + ihl + 2), ip + 12, rd16(ip + ihl));

			printf("udp q=%u predicted=%u\n", q, p);
			reply4(s, q, f, ihl, p);
		} else if (ip[9] == IPPROTO_ICMP) {
			icmp_report(s, q, AF_INET, ip + ihl, len - ETH_HLEN - ihl);
		}
	} else if (type == 0x86dd && len >= ETH_HLEN + 40 + 8) {
		if (ip[6] == IPPROTO_UDP)
			printf("udp q=%u predicted=%u\n", q,
			       predict(s, AF_INET6, ip + 24, rd16(ip + 42), ip + 8, rd16(ip + 40)));
		else if (ip[6] == IPPROTO_ICMPV6)
			icmp_report(s, q, AF_INET6, ip + 40, len - ETH_HLEN - 40);
	}
}

int main(int argc, char **argv)
{
	struct ms_attach_opts o = { .name = "flow" };
	struct ms_session *s;
	time_t end;
	int i, rc;

	if (argc < 5) {
		fprintf(stderr, "usage: flow_app SOCKET NQUEUES SECONDS UDP_TUPLE...\n");
		return 2;
	}
	o.nqueues = (uint16_t)atoi(argv[2]);
	end = time(NULL) + atoi(argv[3]);
	if ((rc = ms_attach(argv[1], &o, &s)) < 0) {
		fprintf(stderr, "flow_app: %s\n", ms_strerror(rc));
		return 1;
	}
	for (i = 4; i < argc; i++) {
		struct ms_tuple t;

		if ((rc = ms_tuple_parse("udp", argv[i], &t)) < 0 || (rc = ms_bind(s, &t)) < 0) {
			fprintf(stderr, "flow_app: %s: %s\n", argv[i], ms_strerror(rc));
			return 1;
		}
	}
	printf("ready app %u queues %u\n", ms_app_id(s), ms_nqueues(s));
	fflush(stdout);
	while (time(NULL) < end) {
		uint32_t q;

		ms_wait(s, 100);
		for (q = 0; q < ms_nqueues(s); q++) {
			struct ms_pkt p[32];
			unsigned n = ms_rx_burst(s, q, p, 32), k;

			for (k = 0; k < n; k++)
				frame(s, q, p[k].data, p[k].len);
			ms_rx_release(s, q, n);
		}
		fflush(stdout);
	}
	ms_detach(s);
	return 0;
}
