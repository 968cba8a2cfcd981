/* SPDX-License-Identifier: BSD-2-Clause */
/* kernrecv.c - the kernel's UDP demux as an app sees it: N sockets, one thread, epoll + recvmmsg, counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KR_BATCH  64
#define KR_EVENTS 256
#define KR_BUF    2048
#define KR_RCVBUF (4 << 20)

static volatile sig_atomic_t kr_stop;

static void kr_on_signal(int sig)
{
	(void)sig;
	kr_stop = 1;
}

static double kr_cpu(int who, double *user, double *sys)
{
	struct rusage ru;

	getrusage(who, &ru);
	*user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return *user + *sys;
}

static double kr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[KR_BATCH][KR_BUF];
	static struct mmsghdr msgs[KR_BATCH];
	static struct iovec iov[KR_BATCH];
	struct epoll_event ev[KR_EVENTS];
	struct sigaction sa = { .sa_handler = kr_on_signal };
	unsigned long long packets = 0, bytes = 0;
	unsigned n = 1, first = 0, seconds = 10, i;
	struct in_addr addr;
	double u0, s0, u1, s1, t0, t1;
	int opt, ep, *fds;

	while ((opt = getopt(argc, argv, "n:t:h")) != -1) {
		switch (opt) {
		case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: kernrecv [-n SOCKETS] [-t SECONDS] ADDR FIRST_PORT\n"
				"Bind SOCKETS UDP sockets to ADDR:FIRST_PORT+i, drain them from one thread (epoll +\n"
				"recvmmsg) for SECONDS (0: until SIGINT/SIGTERM); print packets and CPU time used.\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind != 2 || inet_pton(AF_INET, argv[optind], &addr) != 1 || n == 0 || n > 60000) {
		fprintf(stderr, "kernrecv: see kernrecv -h\n");
		return 2;
	}
	first = (unsigned)strtoul(argv[optind + 1], NULL, 10);
	if (first == 0 || first + n - 1 > 65535) {
		fprintf(stderr, "kernrecv: bad port range\n");
		return 2;
	}
	{
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc(n, sizeof(*fds));
	ep = epoll_create1(0);
	if (!fds || ep < 0) {
		perror("kernrecv");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr = addr,
					   .sin_port = htons((uint16_t)(first + i)) };
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };
		int rcvbuf = KR_RCVBUF;

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			fprintf(stderr, "kernrecv: socket %u: %s\n", i, strerror(errno));
			return 1;
		}
		/* SO_RCVBUFFORCE (root) passes net.core.rmem_max; fall back to what is allowed. */
		if (setsockopt(fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e) < 0) {
			perror("kernrecv: epoll_ctl");
			return 1;
		}
	}
	for (i = 0; i < KR_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = KR_BUF;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("kernrecv: ready %u sockets\n", n);
	fflush(stdout);
	kr_cpu(RUSAGE_SELF, &u0, &s0);
	t0 = kr_now();
	while (!kr_stop) {
		int ne = epoll_wait(ep, ev, KR_EVENTS, 200), k;

		if (ne < 0 && errno != EINTR) {
			perror("kernrecv: epoll_wait");
			break;
		}
		for (k = 0; k < ne; k++) {
			int fd = fds[ev[k].data.u32], r, j;

			/* At most 4 batches per socket per wakeup, so that one busy socket cannot starve the rest. */
			for (j = 0; j < 4; j++) {
				r = recvmmsg(fd, msgs, KR_BATCH, MSG_DONTWAIT, NULL);
				if (r <= 0)
					break;
				packets += (unsigned)r;
				for (i = 0; i < (unsigned)r; i++)
					bytes += msgs[i].msg_len;
				if (r < KR_BATCH)
					break;
			}
		}
		if (seconds && kr_now() - t0 >= seconds)
			break;
	}
	t1 = kr_now();
	kr_cpu(RUSAGE_SELF, &u1, &s1);
	printf("kernrecv: sockets=%u packets=%llu bytes=%llu seconds=%.3f pps=%.0f user_s=%.3f sys_s=%.3f\n", n,
	       packets, bytes, t1 - t0, packets / (t1 - t0), u1 - u0, s1 - s0);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}
