/* SPDX-License-Identifier: BSD-2-Clause */
/* rawgen.c - a UDP load generator on an AF_PACKET socket: prebuilt frames, sendmmsg batches, a target rate. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/ether.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mstack/ms_csum.h>

#define RG_BATCH_MAX 256
#define RG_FLOWS_MAX 65536
#define RG_NS        1000000000ull

struct rg_conf {
	const char *ifname;
	uint8_t dst_mac[6];
	struct in_addr src_ip, dst_ip;
	unsigned first_port, nports, len, batch, seconds;
	double rate; /* packets per second; 0: as fast as possible */
};

static volatile sig_atomic_t rg_stop;

static void rg_on_signal(int sig)
{
	(void)sig;
	rg_stop = 1;
}

static void rg_usage(FILE *f)
{
	fprintf(f, "usage: rawgen -i IFACE -d DST_MAC -s SRC_IP -D DST_IP -p FIRST_PORT [-n PORTS] [-l LEN]\n"
		   "              [-r PPS] [-b BATCH] [-t SECONDS]\n"
		   "Send UDP frames of LEN bytes (no FCS, default 60) from IFACE (AF_PACKET, qdisc bypass,\n"
		   "sendmmsg batches of BATCH, default 64) to DST_IP, destination ports FIRST_PORT..+PORTS-1\n"
		   "round-robin, at PPS frames per second (default 0: as fast as possible) for SECONDS (default\n"
		   "10; 0: until SIGINT/SIGTERM). Prints one line: sent, seconds, pps, cpu_s.\n");
}

/* One complete frame: Ethernet, IPv4 (header checksum), UDP (checksum), a payload pattern. */
static void rg_build(uint8_t *f, const struct rg_conf *c, const uint8_t src_mac[6], uint16_t sport, uint16_t dport,
		     uint16_t id)
{
	unsigned ip_len = c->len - 14, udp_len = ip_len - 20, i;
	uint8_t *ip = f + 14, *udp = ip + 20, pseudo[12];
	uint16_t cs;

	memcpy(f, c->dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8), ip[3] = (uint8_t)ip_len;
	ip[4] = (uint8_t)(id >> 8), ip[5] = (uint8_t)id;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &c->src_ip, 4);
	memcpy(ip + 16, &c->dst_ip, 4);
	cs = (uint16_t)~ms_csum_fold(ms_csum_add(ip, 20, 0));
	memcpy(ip + 10, &cs, 2);
	udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(udp_len >> 8), udp[5] = (uint8_t)udp_len;
	udp[6] = udp[7] = 0;
	for (i = 8; i < udp_len; i++)
		udp[i] = (uint8_t)i;
	memcpy(pseudo, &c->src_ip, 4);
	memcpy(pseudo + 4, &c->dst_ip, 4);
	pseudo[8] = 0, pseudo[9] = IPPROTO_UDP;
	pseudo[10] = (uint8_t)(udp_len >> 8), pseudo[11] = (uint8_t)udp_len;
	cs = (uint16_t)~ms_csum_fold(ms_csum_add(udp, udp_len, ms_csum_add(pseudo, 12, 0)));
	if (cs == 0)
		cs = 0xffff; /* 0 would mean "no checksum" (RFC 768) */
	memcpy(udp + 6, &cs, 2);
}

static bool rg_mac(const char *s, uint8_t mac[6])
{
	struct ether_addr e;

	if (!ether_aton_r(s, &e))
		return false;
	memcpy(mac, e.ether_addr_octet, 6);
	return true;
}

static uint64_t rg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * RG_NS + (uint64_t)ts.tv_nsec;
}

static int rg_parse(int argc, char **argv, struct rg_conf *c)
{
	bool have_mac = false, have_src = false, have_dst = false;
	int opt;

	while ((opt = getopt(argc, argv, "i:d:s:D:p:n:l:r:b:t:h")) != -1) {
		switch (opt) {
		case 'i': c->ifname = optarg; break;
		case 'd': have_mac = rg_mac(optarg, c->dst_mac); break;
		case 's': have_src = inet_pton(AF_INET, optarg, &c->src_ip) == 1; break;
		case 'D': have_dst = inet_pton(AF_INET, optarg, &c->dst_ip) == 1; break;
		case 'p': c->first_port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': c->nports = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': c->len = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': c->rate = strtod(optarg, NULL); break;
		case 'b': c->batch = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': c->seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h': rg_usage(stdout); exit(0);
		default: rg_usage(stderr); return -1;
		}
	}
	if (!c->ifname || !have_mac || !have_src || !have_dst || c->first_port == 0 || c->nports == 0 ||
	    c->nports > RG_FLOWS_MAX || c->first_port + c->nports - 1 > 65535 || c->len < 60 || c->len > 1514 ||
	    c->batch == 0 || c->batch > RG_BATCH_MAX || c->rate < 0) {
		rg_usage(stderr);
		return -1;
	}
	return 0;
}

static double rg_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	struct rg_conf c = { .len = 60, .batch = 64, .seconds = 10, .nports = 1 };
	static struct mmsghdr msgs[RG_BATCH_MAX];
	static struct iovec iov[RG_BATCH_MAX];
	struct sockaddr_ll sll;
	struct ifreq ifr;
	uint8_t *frames, src_mac[6];
	unsigned long long sent = 0, failed = 0;
	unsigned nframes, i, next = 0;
	uint64_t start, deadline, now;
	int fd, one = 1;
	double cpu0;

	if (rg_parse(argc, argv, &c) < 0)
		return 2;
	fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, never receive */
	if (fd < 0) {
		perror("rawgen: socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c.ifname);
	/* ifr_hwaddr and ifr_ifindex share a union: one request at a time. */
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("rawgen: interface address");
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		perror("rawgen: interface index");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifr.ifr_ifindex;
	sll.sll_protocol = 0;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("rawgen: bind");
		return 1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		perror("rawgen: PACKET_QDISC_BYPASS (going on without it)");

	/* Enough distinct frames to cover every port a few times and vary the source port. */
	nframes = c.nports * ((1024 + c.nports - 1) / c.nports);
	frames = malloc((size_t)nframes * c.len);
	if (!frames) {
		fprintf(stderr, "rawgen: out of memory\n");
		return 1;
	}
	for (i = 0; i < nframes; i++)
		rg_build(frames + (size_t)i * c.len, &c, src_mac, (uint16_t)(1024 + i % 4096),
			 (uint16_t)(c.first_port + i % c.nports), (uint16_t)i);
	for (i = 0; i < c.batch; i++) {
		iov[i].iov_len = c.len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, rg_on_signal);
	signal(SIGTERM, rg_on_signal);
	printf("rawgen: ready frames=%u ports=%u len=%u rate=%.0f\n", nframes, c.nports, c.len, c.rate);
	fflush(stdout);
	cpu0 = rg_cpu_s();
	start = rg_now();
	deadline = c.seconds ? start + (uint64_t)c.seconds * RG_NS : UINT64_MAX;
	while (!rg_stop) {
		int n;

		for (i = 0; i < c.batch; i++) {
			iov[i].iov_base = frames + (size_t)next * c.len;
			if (++next == nframes)
				next = 0;
		}
		n = sendmmsg(fd, msgs, c.batch, 0);
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("rawgen: sendmmsg");
				break;
			}
			failed += c.batch;
			n = 0;
		}
		sent += (unsigned)n;
		now = rg_now();
		if (now >= deadline)
			break;
		if (c.rate > 0) {
			/* Sleep until this many frames are due: the load is paced, not a spin. */
			uint64_t due = start + (uint64_t)((double)(sent + failed) * 1e9 / c.rate);

			if (due > now) {
				struct timespec ts = { .tv_sec = (time_t)(due / RG_NS),
						       .tv_nsec = (long)(due % RG_NS) };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
	}
	now = rg_now();
	printf("rawgen: sent=%llu failed=%llu seconds=%.3f pps=%.0f cpu_s=%.3f\n", sent, failed,
	       (double)(now - start) / 1e9, sent / ((double)(now - start) / 1e9), rg_cpu_s() - cpu0);
	free(frames);
	close(fd);
	return 0;
}
