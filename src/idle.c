/* SPDX-License-Identifier: BSD-2-Clause */
/* idle.c - the worker's idle policy: when to sleep, the doorbells, the epoll set it sleeps on. */
#include "idle.h"

#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "appring.h"
#include "dp.h"
#include "log.h"

/* epoll data: which kind of fd fired (the worker needs no more). */
#define IDLE_EV_RX   1
#define IDLE_EV_KICK 2

static int idle_add_fd(struct idle *id, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = tag };

	return epoll_ctl(id->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * net_af_packet has no rx interrupt, but its frames land in the ring of a
 * kernel AF_PACKET socket (PACKET_RX_RING) bound to the port's interface,
 * and each frame wakes that socket's pollers: mstackd's own AF_PACKET
 * sockets on that interface (the PMD's, one per queue) are its wakeup. They
 * are found among our fds once, at start, before any client can pass one.
 * Returns how many were added.
 */
static unsigned idle_add_packet_sockets(struct idle *id, uint16_t port)
{
	struct rte_eth_dev_info info;
	struct dirent *de;
	unsigned n = 0;
	DIR *dir;

	if (rte_eth_dev_info_get(port, &info) != 0 || info.if_index == 0 || !info.driver_name ||
	    strcmp(info.driver_name, "net_af_packet") != 0)
		return 0;
	dir = opendir("/proc/self/fd");
	if (!dir)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(int);
		int fd = atoi(de->d_name), domain = 0;

		if (de->d_name[0] == '.' || fd == dirfd(dir) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_PACKET)
			continue;
		len = sizeof(sll);
		if (getsockname(fd, (struct sockaddr *)&sll, &len) == 0 && sll.sll_ifindex == (int)info.if_index &&
		    idle_add_fd(id, fd, IDLE_EV_RX) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

/*
 * A port's rx interrupt of this worker's queue into the epoll set, if its
 * PMD has one (configured by port_setup). net_af_packet's sockets cannot be
 * told apart by queue: a worker sleeps on all of them and may wake for a
 * frame its peer will take (a spurious wakeup, nothing lost).
 */
static void idle_add_port(struct idle *id, uint16_t port, uint16_t queue, const char *what)
{
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port, queue);

	if (fd >= 0 && idle_add_fd(id, fd, IDLE_EV_RX) == 0) {
		id->intr_port[id->nintr++] = port;
		log_info("idle: %s port %u queue %u wakes its worker by its rx interrupt", what, port, queue);
		return;
	}
	if (idle_add_packet_sockets(id, port) > 0) {
		log_info("idle: %s port %u wakes worker %u through its AF_PACKET sockets", what, port, queue);
		return;
	}
	id->timed = true;
	log_info("idle: %s port %u has no rx interrupt: polled every %u..%u us while idle", what, port,
		 IDLE_BACKOFF_MIN_US, IDLE_BACKOFF_MAX_US);
}

int idle_init(struct idle *id, enum conf_idle policy, uint32_t coalesce_us, const struct ports *ports, uint16_t queue,
	      int kernel_fd)
{
	memset(id, 0, sizeof(*id));
	id->policy = policy;
	id->epfd = -1;
	id->queue = queue;
	id->tsc_per_us = rte_get_tsc_hz() / 1000000;
	if (id->tsc_per_us == 0)
		id->tsc_per_us = 1;
	id->spin_tsc = id->tsc_per_us * IDLE_SPIN_US;
	id->backoff_us = IDLE_BACKOFF_MIN_US;
	if (policy != CONF_IDLE_ADAPTIVE)
		return 0;
	id->coalesce_us = coalesce_us;
	if (coalesce_us) {
		id->spin_tsc = 0;
		log_info("idle: worker %u naps %u us after a partial burst", queue, coalesce_us);
	}
	id->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (id->epfd < 0) {
		int rc = -errno;

		log_err("idle: cannot create the worker's epoll set: %s", strerror(-rc));
		return rc;
	}
	idle_add_port(id, ports->nic, queue, "NIC");
	/* The kernel's frames come from the TAP lcore, which kicks this eventfd (handover.h). */
	if (idle_add_fd(id, kernel_fd, IDLE_EV_RX) < 0) {
		int rc = -errno;

		log_err("idle: cannot add the handover's eventfd to the worker's epoll set: %s", strerror(-rc));
		return rc;
	}
	{
		struct timespec zero = { 0, 0 };
		struct epoll_event ev;

		if (epoll_pwait2(id->epfd, &ev, 1, &zero, NULL) < 0 && errno == ENOSYS) {
			id->ms_timer = true;
			log_warn("idle: no epoll_pwait2 in this kernel: timed sleeps last at least 1 ms");
		}
	}
	return 0;
}

void idle_fini(struct idle *id)
{
	if (id->epfd >= 0)
		close(id->epfd);
	id->epfd = -1;
}

/* Queues 0 .. min(nqueues, nworkers) - 1 of a belong to distinct workers: those that poll its tx rings. */
static uint32_t idle_app_workers(const struct dp *dp, const struct app *a)
{
	return a->nqueues < dp->nworkers ? a->nqueues : dp->nworkers;
}

int idle_app_add(struct dp *dp, struct app *a)
{
	uint32_t q, n = idle_app_workers(dp, a);
	int rc;

	if (dp->w[0].idle.policy != CONF_IDLE_ADAPTIVE)
		return 0;
	for (q = 0; q < n; q++) {
		rc = idle_add_fd(&dp->w[app_queue_owner(a, q, dp->nworkers)].idle, a->kick_fd, IDLE_EV_KICK);
		if (rc < 0) {
			while (q-- > 0)
				epoll_ctl(dp->w[app_queue_owner(a, q, dp->nworkers)].idle.epfd, EPOLL_CTL_DEL,
					  a->kick_fd, NULL);
			return rc;
		}
	}
	/* Not yet published: the control thread still owns the app. */
	appring_tx_need_wakeup(a, true);
	return 0;
}

void idle_app_published(struct dp *dp)
{
	uint32_t w;

	if (dp->w[0].idle.policy != CONF_IDLE_ADAPTIVE)
		return;
	for (w = 0; w < dp->nworkers; w++)
		__atomic_fetch_add(&dp->w[w].idle.apps_changed, 1, __ATOMIC_RELEASE);
}

void idle_app_remove(struct dp *dp, struct app *a)
{
	uint32_t q, n = idle_app_workers(dp, a);

	if (dp->w[0].idle.policy != CONF_IDLE_ADAPTIVE)
		return;
	for (q = 0; q < n; q++) /* fails only if it was never added */
		epoll_ctl(dp->w[app_queue_owner(a, q, dp->nworkers)].idle.epfd, EPOLL_CTL_DEL, a->kick_fd, NULL);
}

/*
 * Set or clear the doorbell of the tx rings this worker owns in every
 * published app. Returns whether one of them has frames waiting.
 */
static bool idle_doorbells(struct dp_worker *wk, bool on)
{
	const struct app_list *l = __atomic_load_n(&wk->dp->apps, __ATOMIC_ACQUIRE);
	uint32_t i, nw = wk->dp->nworkers;
	bool pending = false;

	if (!l)
		return false;
	for (i = 0; i < l->n; i++)
		appring_tx_need_wakeup_of(l->a[i], on, app_first_queue(l->a[i], wk->id, nw), nw);
	if (!on)
		return false;
	/* Pairs with the app's fence between publishing head and reading the flag. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < l->n && !pending; i++)
		pending = appring_tx_pending_of(l->a[i], app_first_queue(l->a[i], wk->id, nw), nw);
	return pending;
}

static void idle_ports_intr(struct idle *id, bool on)
{
	uint32_t i;

	if (id->intr_on == on)
		return;
	/* net_tap has nothing to switch (its fd is always readable): -ENOTSUP is fine. */
	for (i = 0; i < id->nintr; i++) {
		if (on)
			rte_eth_dev_rx_intr_enable(id->intr_port[i], id->queue);
		else
			rte_eth_dev_rx_intr_disable(id->intr_port[i], id->queue);
	}
	id->intr_on = on;
}

void idle_awake(struct dp_worker *wk, uint32_t work, uint64_t now)
{
	struct idle *id = &wk->idle;
	uint32_t changed;

	if (!work)
		return;
	id->last_work = now;
	id->backoff_us = IDLE_BACKOFF_MIN_US;
	changed = __atomic_load_n(&id->apps_changed, __ATOMIC_ACQUIRE);
	/* A busy worker keeps the doorbells clear, those of apps attached meanwhile included. */
	if (id->armed || changed != id->apps_seen) {
		idle_doorbells(wk, false);
		id->apps_seen = changed;
		id->armed = false;
	}
}

enum idle_step idle_prepare(struct dp_worker *wk, uint64_t now)
{
	struct idle *id = &wk->idle;
	uint32_t i;

	if (now - id->last_work < id->spin_tsc)
		return IDLE_STAY;
	idle_ports_intr(id, true);
	if (!id->armed) {
		/* Apps attached from here on get their doorbell set by idle_app_add. */
		id->apps_seen = __atomic_load_n(&id->apps_changed, __ATOMIC_ACQUIRE);
		id->armed = true;
		if (idle_doorbells(wk, true)) {
			wk->stats.idle_pending++;
			return IDLE_PENDING;
		}
	}
	/*
	 * A frame that reached the queue between the last poll and enabling the
	 * interrupt may not raise one: where the PMD can count its queue, look.
	 */
	for (i = 0; i < id->nintr; i++)
		if (rte_eth_rx_queue_count(id->intr_port[i], id->queue) > 0)
			return IDLE_STAY;
	/* Last: the TAP lcore and the other workers kick only once this flag is up (handover.h). */
	if (!handover_worker_may_sleep(&wk->dp->ho, wk->id))
		return IDLE_STAY;
	if (dp_peers_pending(wk)) {
		handover_worker_awake(&wk->dp->ho, wk->id);
		return IDLE_STAY;
	}
	return IDLE_SLEEP;
}

void idle_nap(struct dp_worker *wk)
{
	struct idle *id = &wk->idle;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)id->coalesce_us * 1000 };
	uint64_t t0 = rte_rdtsc();

	/* A plain timer: the rx fds in the epoll set would end the nap at the next frame. */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	wk->stats.naps++;
	wk->stats.napped_us += (rte_rdtsc() - t0) / id->tsc_per_us;
}

unsigned idle_sleep(struct dp_worker *wk)
{
	struct idle *id = &wk->idle;
	struct epoll_event ev[16];
	struct timespec ts;
	uint64_t t0 = rte_rdtsc();
	unsigned woke = 0;
	int i, n;

	if (id->timed) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)id->backoff_us * 1000;
	} else {
		ts.tv_sec = IDLE_SLEEP_MAX_MS / 1000;
		ts.tv_nsec = (long)(IDLE_SLEEP_MAX_MS % 1000) * 1000000;
	}
	if (id->ms_timer)
		n = epoll_wait(id->epfd, ev, 16, (int)(ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000));
	else
		n = epoll_pwait2(id->epfd, ev, 16, &ts, NULL);
	for (i = 0; i < n; i++)
		woke |= ev[i].data.u64 == IDLE_EV_KICK ? IDLE_WOKE_KICK : IDLE_WOKE_RX;
	idle_ports_intr(id, false);
	handover_worker_awake(&wk->dp->ho, wk->id);
	if (!woke && id->backoff_us < IDLE_BACKOFF_MAX_US)
		id->backoff_us = id->backoff_us * 2 > IDLE_BACKOFF_MAX_US ? IDLE_BACKOFF_MAX_US : id->backoff_us * 2;
	else if (woke)
		id->backoff_us = IDLE_BACKOFF_MIN_US;
	wk->stats.sleeps++;
	wk->stats.slept_us += (rte_rdtsc() - t0) / id->tsc_per_us;
	if (woke & IDLE_WOKE_KICK)
		wk->stats.woke_kick++;
	if (woke & IDLE_WOKE_RX)
		wk->stats.woke_rx++;
	return woke;
}
