/* SPDX-License-Identifier: BSD-2-Clause */
/* conf.h - the per-host configuration file of mstackd (INI, with file:line errors). */
#ifndef MSTACK_CONF_H
#define MSTACK_CONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CONF_EAL_ARGS_MAX 1024
#define CONF_DEVARGS_MAX  512
#define CONF_PATH_MAX     108 /* sun_path */
#define CONF_GROUP_MAX    64
#define CONF_ADDRS_MAX    64 /* [host] address lines */
#define CONF_ROUTES_MAX   64 /* [host] route lines */

/* One [host] address: put on the TAP with its prefix. */
struct conf_addr {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t addr[16];   /* network byte order, IPv4 in the first 4 bytes */
	uint8_t prefix_len; /* /N, 0..32 or 0..128 */
	uint32_t line;      /* where the file gave it, for messages when it is applied */
};

/* One [host] route: dst/dst_len (0.0.0.0/0 or ::/0 for "default") through the on-link gateway gw. */
struct conf_route {
	int family;      /* AF_INET or AF_INET6, the same for dst and gw */
	uint8_t dst[16]; /* network byte order, no bits set past dst_len */
	uint8_t dst_len;
	uint8_t gw[16];
	uint32_t line;
};

/* [datapath] idle: what the worker does when it finds no work. */
enum conf_idle {
	CONF_IDLE_ADAPTIVE, /* "adaptive" (default): sleep on interrupts, kicks and a short timer */
	CONF_IDLE_POLL,     /* "poll": spin, lowest latency, a whole core */
};

/* [host] exception: the kind of port that carries the kernel's traffic. */
enum conf_exception {
	CONF_EXCEPTION_TAP,         /* "tap" (default): net_tap, a system call per burst */
	CONF_EXCEPTION_VIRTIO_USER, /* "virtio-user": virtio-user over /dev/vhost-net, the kernel's vhost worker copies
				     */
};

struct conf {
	/* [eal] */
	char eal_args[CONF_EAL_ARGS_MAX]; /* args: split on blanks, passed to rte_eal_init */
	/* [nic] */
	char nic_devargs[CONF_DEVARGS_MAX]; /* devargs (required): PCI address or vdev string */
	uint16_t nic_rx_desc;               /* rx_desc, default 1024 */
	uint16_t nic_tx_desc;               /* tx_desc, default 1024 */
	/* [host] */
	char tap_name[IF_NAMESIZE];    /* tap (required): kernel-facing TAP interface name */
	enum conf_exception exception; /* exception, "tap" (default) or "virtio-user": what creates it */
	uint32_t n_addrs;              /* address (repeatable), in file order, no duplicates */
	struct conf_addr addrs[CONF_ADDRS_MAX];
	uint32_t n_routes; /* route (repeatable), no two for one destination */
	struct conf_route routes[CONF_ROUTES_MAX];
	/* [control] */
	char ctl_socket[CONF_PATH_MAX];   /* socket, default /run/mstack/mstackd.sock */
	mode_t ctl_mode;                  /* mode (octal), default 0660 */
	char ctl_group[CONF_GROUP_MAX];   /* group: who may attach; empty = root's group */
	char admin_group[CONF_GROUP_MAX]; /* admin_group: who may run admin commands besides root */
	uint32_t ctl_max_conns;           /* max_connections, 1..1048576; 0 (unset): min(1024, NOFILE / 4) */
	/* [limits] */
	uint32_t max_apps;         /* apps, default 1024, 1..65536 */
	uint32_t max_queues;       /* queues_per_app, default 4, 1..64 */
	uint32_t max_ring_size;    /* ring_size, default 4096, power of two 64..32768 */
	uint32_t max_bindings;     /* bindings_per_app, default 1024, 1..65536 */
	uint32_t max_bindings_all; /* bindings, default 65536, 1..1048576 */
	uint32_t resolve_burst;    /* resolve_burst, default 64, 1..4096: unknown next hops an app may probe at once */
	uint32_t resolve_rate;     /* resolve_rate, default 8, 1..1024: probes per second an app earns back */
	uint32_t
	    misbehave_rate; /* misbehave_rate, default 100, 0..1000000: refusals a second an app may sustain; 0: off */
	uint32_t misbehave_burst; /* misbehave_burst, default 1000, 1..1000000: refusals an app may make at once */
	/* [datapath] */
	uint32_t mbufs;       /* mbufs, default 8191, 4095..1048575 */
	uint16_t burst;       /* burst, default 32, 1..64 (rte_hash bulk lookups take 64 keys) */
	enum conf_idle idle;  /* idle, "adaptive" (default) or "poll" */
	uint32_t coalesce_us; /* coalesce_us, default 0 (off), 0..1000: adaptive: nap after a partial burst */
	uint32_t workers;     /* workers, default 0: every EAL lcore after the main one; else at most that many */
	uint32_t
	    restart_hold_s; /* restart_hold_s, default 10, 0..300: hold a previous run's claims this long; 0: off */
};

/* What a SIGHUP does with a key: apply its new value, or keep the running one (a restart applies it). */
enum conf_reload { CONF_RELOAD_FIXED, CONF_RELOAD_APPLY };

/*
 * Applies the list of a repeatable key ([host] address, route) that changes
 * at run time: make the system match next's list, and record in running's
 * list what was actually applied. arg is conf_reload's.
 */
typedef void conf_list_fn(void *arg, const char *section, const char *key, struct conf *running,
			  const struct conf *next);

/* Fill c with the defaults above (required strings empty). */
void conf_defaults(struct conf *c);

/*
 * Parse the configuration text from `in`, naming it `name` in messages.
 * Every error is written to `errs` as "name:line: message\n" and parsing
 * goes on, so that one run reports them all. Missing required keys are
 * reported as "name: missing required key [section] key".
 * Returns the number of errors (0: c is valid and complete).
 */
int conf_parse(FILE *in, const char *name, struct conf *c, FILE *errs);

/*
 * Open `path` and conf_parse it. Returns the number of errors, or -errno
 * if the file cannot be read (reported to errs as "path: strerror").
 */
int conf_load(const char *path, struct conf *c, FILE *errs);

/*
 * SIGHUP: copy every key that applies at run time from next into running;
 * for each fixed key whose value differs, call fixed(section, key) and keep
 * the running value. A repeatable key that applies is not copied: list(arg,
 * ...) applies it (in the order of the keys: [host] address before route).
 * Each key's rule is in conf.c's one list of keys.
 */
void conf_reload(struct conf *running, const struct conf *next, void (*fixed)(const char *section, const char *key),
		 conf_list_fn *list, void *arg);

/* Same family, address and prefix length (the line it came from aside). */
bool conf_addr_eq(const struct conf_addr *a, const struct conf_addr *b);

/* Same destination, prefix length and gateway (the line aside). */
bool conf_route_eq(const struct conf_route *a, const struct conf_route *b);

#endif
