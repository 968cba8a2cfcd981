/* SPDX-License-Identifier: BSD-2-Clause */
/* mstackd.h - the daemon's state, owned by the control thread (main lcore). */
#ifndef MSTACK_MSTACKD_H
#define MSTACK_MSTACKD_H

#include <stdbool.h>
#include <stdint.h>

#include <bsd/sys/queue.h>

#include "app.h"
#include "btable.h"
#include "conf.h"
#include "dp.h"
#include "hold.h"
#include "neigh.h"
#include "port.h"
#include "resv.h"

#define MSTACK_VERSION "0.1.0"

struct ctl_conn;

struct mstackd {
	const char *conf_path;
	struct conf conf;
	struct ports ports;
	struct btable bt;
	struct dp dp;
	unsigned worker_lcores[DP_WORKERS_MAX]; /* worker w runs on worker_lcores[w] */
	uint32_t nworkers;
	uint64_t start_ms;

	LIST_HEAD(, app) apps; /* every attached app */
	uint32_t napps;
	uint32_t next_app_id;
	struct resv_admin_list res; /* the administrator's reservations */
	struct hold_list holds;     /* tuples held for apps that outlived the previous run (hold.h) */

	LIST_HEAD(, ctl_conn) conns; /* every control connection */
	int listen_fd;
	int epoll_fd;
	bool tap_wakes;                     /* the TAP's rx interrupt fd is in epoll_fd (else it is polled) */
	bool listen_paused;                 /* out of fds: accept again at the next tick */
	uint32_t nconns;                    /* control connections open */
	uint32_t ctl_max_conns_auto;        /* min(1024, NOFILE / 4): when [control] max_connections is unset */
	uint64_t ctl_refused;               /* requests refused by the access policy or a limit */
	uint64_t ctl_conn_refused;          /* connections closed at accept: max_connections reached */
	uint64_t ctl_fds_lost;              /* BINDs whose socket did not arrive (we were out of fds) */
	uint64_t ctl_apps_disconnected;     /* apps cut off by the disconnect policy (misbehave.h) */
	struct neigh_budget resolve_budget; /* every app's RESOLVE probes together */
};

#endif
