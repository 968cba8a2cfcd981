/* SPDX-License-Identifier: BSD-2-Clause */
/* main.c - mstackd: start-up, the control thread's event loop, reload and clean shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "ctl.h"
#include "fdreap.h"
#include "hostaddr.h"
#include "log.h"
#include "mstackd.h"
#include "publish.h"

#define MAIN_TICK_MS     50
#define MAIN_SIGFD       ((void *)1)
#define MAIN_TIMERFD     ((void *)2)
#define MAIN_TAPFD       ((void *)3)
#define MAIN_TAP_POLL_MS 1 /* a TAP without an rx interrupt fd is polled this often while idle */

static void usage(FILE *f)
{
	fprintf(f, "usage: mstackd [-c FILE] [-n] [-d] [-V] [-h]\n"
		   "  -c FILE  configuration file (default /etc/mstack/mstackd.conf)\n"
		   "  -n       check the configuration and exit\n"
		   "  -d       log debug messages\n"
		   "  -V       print the version and exit\n"
		   "  -h       print this help and exit\n");
}

static int main_log_counter(void *arg, const char *name, uint64_t value)
{
	(void)arg;
	if (value)
		log_info("  %s %llu", name, (unsigned long long)value);
	return 1;
}

static void main_log_stats(struct mstackd *d)
{
	struct port_stats nic;
	struct dp_stats loops;

	dp_sum_stats(&d->dp, &nic, &loops);
	log_info("counters (non-zero):");
	stats_visit_port("nic", &nic, main_log_counter, NULL);
	stats_visit_port("tap", &d->dp.ho.tap_stats, main_log_counter, NULL);
	handover_visit_stats(&d->dp.ho, main_log_counter, NULL);
	stats_visit_dp("dp", &loops, main_log_counter, NULL);
}

/* conf_load with each error logged at LOG_ERR (journald keeps the level). */
static int main_load_logged(const char *path, struct conf *c)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&text, &len);
	int rc;

	if (!errs)
		return -ENOMEM;
	rc = conf_load(path, c, errs);
	fclose(errs);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_err("%s", line);
	free(text);
	return rc;
}

static void main_reload_fixed(const char *section, const char *key)
{
	log_warn("reload: [%s] %s cannot change at run time, restart mstackd to apply", section, key);
}

/* [host] address and route: what the TAP carries follows the file. */
static void main_reload_list(void *arg, const char *section, const char *key, struct conf *running,
			     const struct conf *next)
{
	struct mstackd *d = arg;

	if (strcmp(section, "host") == 0 && strcmp(key, "address") == 0)
		hostaddr_reload_addrs(d->conf_path, running, next);
	else if (strcmp(section, "host") == 0 && strcmp(key, "route") == 0)
		hostaddr_reload_routes(d->conf_path, running, next);
	else
		log_err("reload: [%s] %s has no apply step, keeping its running value", section, key);
}

/* SIGHUP: re-read the file; keep the running config on errors; say what needs a restart. */
static void main_reload(struct mstackd *d)
{
	struct conf *nc = malloc(sizeof(*nc));

	if (!nc) {
		log_err("reload: out of memory, keeping the running configuration");
		return;
	}
	if (main_load_logged(d->conf_path, nc) != 0) {
		log_err("reload: %s has errors, keeping the running configuration", d->conf_path);
		sd_notify(0, "STATUS=reload refused: configuration has errors");
		free(nc);
		return;
	}
	/* Limits apply to new requests; what is attached stays. */
	conf_reload(&d->conf, nc, main_reload_fixed, main_reload_list, d);
	/* Binds and TX validation see the TAP's addresses now, not at the next second. */
	pub_host_addrs(&d->dp, d->conf.tap_name);
	log_notice("reload: configuration re-read from %s", d->conf_path);
	sd_notify(0, "STATUS=running, configuration reloaded");
	free(nc);
}

/*
 * Each app holds a session, an eventfd and a socket per binding: allow what
 * the hard limit allows, and keep three quarters of it out of reach of idle
 * sessions (the default of [control] max_connections).
 */
static void main_raise_nofile(struct mstackd *d)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = rl.rlim_max = 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	d->ctl_max_conns_auto = rl.rlim_cur / 4 < 1024 ? (uint32_t)(rl.rlim_cur / 4) : 1024;
	if (d->ctl_max_conns_auto < 1)
		d->ctl_max_conns_auto = 1;
	if (ctl_max_conns(d) * 2 > rl.rlim_cur)
		log_warn("[control] max_connections %u leaves few of the %llu descriptors allowed for bindings",
			 ctl_max_conns(d), (unsigned long long)rl.rlim_cur);
}

/* The signals the control thread takes through its signalfd. */
static void main_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

/* Block them (and SIGPIPE) before the EAL starts threads, so that every thread inherits the mask. */
static void main_block_signals(void)
{
	sigset_t set;

	main_signal_set(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/*
 * The main lcore also owns the TAP (handover.h): it sleeps in the same
 * epoll_wait as the control thread, woken by the TAP's rx interrupt fd (a
 * frame from the kernel) and by the workers' kick when they hand frames
 * over while it sleeps. Both edge-triggered and never read, as in idle.c:
 * the loop polls the TAP and the rings until a pass finds nothing.
 */
static int main_tap_fds(struct mstackd *d)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = MAIN_TAPFD };
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(d->ports.tap, 0);

	if (fd >= 0 && epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0) {
		d->tap_wakes = true;
	} else {
		d->tap_wakes = false;
		log_warn("TAP port %u has no rx interrupt fd: the main lcore polls it every %d ms while idle",
			 d->ports.tap, MAIN_TAP_POLL_MS);
	}
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->dp.ho.tap_kick_fd, &ev) < 0)
		return -errno;
	return 0;
}

static int main_setup_fds(struct mstackd *d, int *sigfd, int *timerfd)
{
	struct itimerspec its = { .it_interval = { 0, MAIN_TICK_MS * 1000000L },
				  .it_value = { 0, MAIN_TICK_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	main_signal_set(&set);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	*sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	*timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->epoll_fd < 0 || *sigfd < 0 || *timerfd < 0 || timerfd_settime(*timerfd, 0, &its, NULL) < 0)
		return -errno;
	ev.data.ptr = MAIN_SIGFD;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, *sigfd, &ev) < 0)
		return -errno;
	ev.data.ptr = MAIN_TIMERFD;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, *timerfd, &ev) < 0)
		return -errno;
	return main_tap_fds(d);
}

/* Every second: watchdog only while every worker makes progress; refresh host addresses. */
static void main_second(struct mstackd *d, uint64_t *last_beat)
{
	bool all = true;
	uint32_t w;

	for (w = 0; w < d->dp.nworkers; w++) {
		uint64_t beat = __atomic_load_n(&d->dp.w[w].heartbeat, __ATOMIC_ACQUIRE);

		if (beat == last_beat[w]) {
			log_err("datapath lcore %u (worker %u) made no progress for a second", d->dp.w[w].lcore, w);
			all = false;
		}
		last_beat[w] = beat;
	}
	if (all)
		sd_notify(0, "WATCHDOG=1");
	pub_host_addrs(&d->dp, d->conf.tap_name);
	fdreap_check();
}

/*
 * The workers: every lcore of the EAL list after the main one, or the first
 * [datapath] workers of them. The main lcore keeps the control thread and
 * the TAP (handover.h): on a two-core host that leaves one core whole for
 * the datapath.
 */
static int main_pick_workers(struct mstackd *d)
{
	unsigned lcore;

	d->nworkers = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (d->nworkers == DP_WORKERS_MAX || (d->conf.workers && d->nworkers == d->conf.workers))
			break;
		d->worker_lcores[d->nworkers++] = lcore;
	}
	if (d->nworkers == 0) {
		log_err("no worker lcore: give the EAL at least two lcores ([eal] args = -l 0-1 ...)");
		return -EINVAL;
	}
	if (d->conf.workers && d->nworkers < d->conf.workers) {
		log_err("[datapath] workers = %u, but the EAL list has %u lcore(s) after the main one", d->conf.workers,
			d->nworkers);
		return -EINVAL;
	}
	return 0;
}

static void main_loop(struct mstackd *d, int sigfd, int timerfd)
{
	struct epoll_event ev[32];
	uint64_t ticks = 0, last_beat[DP_WORKERS_MAX];
	bool running = true;
	int i, n;

	memset(last_beat, 0xff, sizeof(last_beat));
	while (running) {
		int timeout = -1;

		/* The kernel's share first: while it finds frames, the loop does not sleep. */
		/* This thread publishes and retires the capture itself: the pointer needs no grace period here. */
		if (handover_tap_poll(&d->dp.ho, __atomic_load_n(&d->dp.capture, __ATOMIC_ACQUIRE)) > 0 ||
		    !handover_tap_may_sleep(&d->dp.ho))
			timeout = 0;
		else if (!d->tap_wakes)
			timeout = MAIN_TAP_POLL_MS;
		n = epoll_wait(d->epoll_fd, ev, 32, timeout);
		handover_tap_awake(&d->dp.ho);
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == MAIN_SIGFD) {
				struct signalfd_siginfo si;

				while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						main_reload(d);
					else if (si.ssi_signo == SIGUSR1)
						main_log_stats(d);
					else
						running = false;
				}
			} else if (ev[i].data.ptr == MAIN_TIMERFD) {
				uint64_t exp;

				if (read(timerfd, &exp, sizeof(exp)) != sizeof(exp))
					continue;
				ctl_tick(d);
				pub_reclaim(&d->dp);
				if ((ticks += exp) >= 1000 / MAIN_TICK_MS) {
					ticks = 0;
					main_second(d, last_beat);
				}
			} else if (ev[i].data.ptr == MAIN_TAPFD) {
				continue; /* polled at the top of the loop */
			} else {
				ctl_event(d, ev[i].data.ptr, ev[i].events);
			}
		}
	}
}

int main(int argc, char **argv)
{
	static struct mstackd d;
	const char *path = "/etc/mstack/mstackd.conf";
	bool check_only = false;
	int opt, rc, sigfd = -1, timerfd = -1;
	uint32_t w;

	while ((opt = getopt(argc, argv, "c:ndVh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'n': check_only = true; break;
		case 'd': log_set_level(LOG_DEBUG); break;
		case 'V': printf("mstackd %s\n", MSTACK_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	d.conf_path = path;
	d.listen_fd = -1;
	rc = conf_load(path, &d.conf, stderr);
	if (rc != 0) {
		if (rc > 0)
			fprintf(stderr, "%s: %d error(s)\n", path, rc);
		return 1;
	}
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	main_block_signals();
	main_raise_nofile(&d);
	sd_notify(0, "STATUS=starting DPDK");
	if (port_eal_init(&d.conf, argv[0]) < 0)
		return 1;
	d.start_ms = clock_now_ms();
	if (main_pick_workers(&d) < 0)
		goto fail; /* logged */
	/* The TAP lcore's own NIC tx queue needs a ring of its own in a capture too (ms_capture.h). */
	if (port_setup(&d.ports, &d.conf, path, (uint16_t)d.nworkers, d.nworkers < MS_CAP_RINGS_MAX) < 0)
		goto fail;
	rc = btable_init(&d.bt, "mstack_bindings", d.conf.max_bindings_all);
	if (rc < 0) {
		log_err("cannot create the binding table: %s", strerror(-rc));
		goto fail;
	}
	rc = dp_init(&d.dp, &d.ports, &d.bt, d.conf.burst, d.nworkers);
	if (rc < 0) {
		log_err("cannot create the datapath's state (RCU, rings): %s", strerror(-rc));
		goto fail;
	}
	for (w = 0; w < d.nworkers; w++) {
		d.dp.w[w].lcore = d.worker_lcores[w];
		rc = idle_init(&d.dp.w[w].idle, d.conf.idle, d.conf.coalesce_us, &d.ports, (uint16_t)w,
			       d.dp.ho.chan[w].worker_kick_fd);
		if (rc < 0)
			goto fail; /* logged */
	}
	rc = main_setup_fds(&d, &sigfd, &timerfd);
	if (rc < 0) {
		log_err("cannot set up the signal, timer and epoll descriptors: %s", strerror(-rc));
		goto fail;
	}
	if (ctl_open(&d) < 0)
		goto fail; /* logged */
	hold_start(&d);    /* the socket is ours, so are its claims; the workers start with the holds in place */
	pub_host_addrs(&d.dp, d.conf.tap_name);
	for (w = 0; w < d.nworkers; w++) {
		rc = rte_eal_remote_launch(dp_worker, &d.dp.w[w], d.worker_lcores[w]);
		if (rc < 0) {
			log_err("cannot launch worker %u on lcore %u: %s", w, d.worker_lcores[w], strerror(-rc));
			__atomic_store_n(&d.dp.stop, true, __ATOMIC_RELEASE);
			rte_eal_mp_wait_lcore();
			goto fail;
		}
	}
	log_notice("mstackd %s ready: NIC %s (port %u), TAP %s (port %u, main lcore, kernel's frames out by %s), %u "
		   "worker(s) from lcore %u, socket %s",
		   MSTACK_VERSION, d.conf.nic_devargs, d.ports.nic, d.conf.tap_name, d.ports.tap,
		   handover_direct(&d.dp.ho) ? "its own NIC tx queue" : "worker 0", d.nworkers, d.worker_lcores[0],
		   d.conf.ctl_socket);
	sd_notifyf(0, "READY=1\nSTATUS=running: NIC %s, TAP %s\nMAINPID=%d", d.conf.nic_devargs, d.conf.tap_name,
		   (int)getpid());
	main_loop(&d, sigfd, timerfd);

	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	log_notice("stopping");
	/*
	 * The datapath stops before the apps are detached: once their bindings
	 * are gone, a frame for one of their tuples would go to the kernel, which
	 * resets a TCP connection that the app means to keep across the restart.
	 */
	__atomic_store_n(&d.dp.stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	hold_stop(&d); /* before the detaches: the apps come back to the next mstackd (hold.h) */
	ctl_close(&d);
	main_log_stats(&d);
	port_teardown(&d.ports);
	resv_admin_clear(&d.res);
	btable_free(&d.bt); /* before dp_fini: the table's defer queue uses the RCU state */
	for (w = 0; w < d.nworkers; w++)
		idle_fini(&d.dp.w[w].idle);
	dp_fini(&d.dp);
	rte_eal_cleanup();
	log_notice("stopped");
	return 0;
fail:
	ctl_close(&d);
	port_teardown(&d.ports);
	rte_eal_cleanup();
	return 1;
}
