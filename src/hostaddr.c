/* SPDX-License-Identifier: BSD-2-Clause */
/* hostaddr.c - the [host] addresses and routes on the TAP: set at start, brought in line with the file on SIGHUP. */
#include "hostaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kern.h"
#include "log.h"

/* "a.b.c.d/N" or "x::y/N" */
static const char *hostaddr_fmt(int family, const uint8_t *addr, uint8_t len, char *buf, size_t size)
{
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, txt, sizeof(txt));
	snprintf(buf, size, "%s/%u", txt, len);
	return buf;
}

/* "PREFIX via GW" */
static const char *hostaddr_route_fmt(const struct conf_route *r, char *buf, size_t size)
{
	char dst[INET6_ADDRSTRLEN + 4], gw[INET6_ADDRSTRLEN];

	hostaddr_fmt(r->family, r->dst, r->dst_len, dst, sizeof(dst));
	inet_ntop(r->family, r->gw, gw, sizeof(gw));
	snprintf(buf, size, "%s via %s", dst, gw);
	return buf;
}

/*
 * With promote_secondaries off, the kernel deletes every other IPv4 address
 * of a subnet along with its primary: removing one configured address must
 * not take others with it.
 */
static void hostaddr_promote_secondaries(const char *tap)
{
	char path[128];
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/promote_secondaries", tap);
	f = fopen(path, "w");
	if (f) {
		ok = fputs("1\n", f) >= 0;
		ok = fclose(f) == 0 && ok;
	}
	if (!ok)
		log_warn("cannot set %s: removing an IPv4 address may remove others of its subnet", path);
}

/*
 * What the TAP carries for one list key of [host]: addresses or routes.
 * Starting and reloading are the same steps for both, on items of k->size
 * bytes; only these operations differ.
 */
struct hostaddr_kind {
	const char *what;  /* "address", "route" */
	const char *whats; /* "addresses", "routes" */
	const char *onto;  /* "to", "on": how messages place it on the TAP */
	size_t size;
	uint32_t max;
	bool (*eq)(const void *a, const void *b);
	int (*add)(const char *tap, const void *item);
	int (*del)(const char *tap, const void *item);
	void (*fmt)(const void *item, char *buf, size_t size);
	uint32_t (*line)(const void *item);
};

static bool hostaddr_addr_eq(const void *a, const void *b)
{
	return conf_addr_eq(a, b);
}

static int hostaddr_addr_add(const char *tap, const void *item)
{
	const struct conf_addr *a = item;

	return kern_addr_add(tap, a->family, a->addr, a->prefix_len);
}

static int hostaddr_addr_del(const char *tap, const void *item)
{
	const struct conf_addr *a = item;

	return kern_addr_del(tap, a->family, a->addr, a->prefix_len);
}

static void hostaddr_addr_fmt(const void *item, char *buf, size_t size)
{
	const struct conf_addr *a = item;

	hostaddr_fmt(a->family, a->addr, a->prefix_len, buf, size);
}

static uint32_t hostaddr_addr_line(const void *item)
{
	return ((const struct conf_addr *)item)->line;
}

static bool hostaddr_route_eq(const void *a, const void *b)
{
	return conf_route_eq(a, b);
}

static int hostaddr_route_add(const char *tap, const void *item)
{
	const struct conf_route *r = item;

	return kern_route_add(tap, r->family, r->dst, r->dst_len, r->gw);
}

static int hostaddr_route_del(const char *tap, const void *item)
{
	const struct conf_route *r = item;

	return kern_route_del(tap, r->family, r->dst, r->dst_len, r->gw);
}

static void hostaddr_route_fmt_item(const void *item, char *buf, size_t size)
{
	hostaddr_route_fmt(item, buf, size);
}

static uint32_t hostaddr_route_line(const void *item)
{
	return ((const struct conf_route *)item)->line;
}

static const struct hostaddr_kind hostaddr_addrs = {
	.what = "address",
	.whats = "addresses",
	.onto = "to",
	.size = sizeof(struct conf_addr),
	.max = CONF_ADDRS_MAX,
	.eq = hostaddr_addr_eq,
	.add = hostaddr_addr_add,
	.del = hostaddr_addr_del,
	.fmt = hostaddr_addr_fmt,
	.line = hostaddr_addr_line,
};

static const struct hostaddr_kind hostaddr_routes = {
	.what = "route",
	.whats = "routes",
	.onto = "on",
	.size = sizeof(struct conf_route),
	.max = CONF_ROUTES_MAX,
	.eq = hostaddr_route_eq,
	.add = hostaddr_route_add,
	.del = hostaddr_route_del,
	.fmt = hostaddr_route_fmt_item,
	.line = hostaddr_route_line,
};

#define HOSTADDR_TXT_MAX   (2 * INET6_ADDRSTRLEN + 16) /* "PREFIX via GW" */
#define HOSTADDR_ITEMS_MAX (CONF_ADDRS_MAX > CONF_ROUTES_MAX ? CONF_ADDRS_MAX : CONF_ROUTES_MAX)

union hostaddr_item {
	struct conf_addr addr;
	struct conf_route route;
};

static const void *hostaddr_at(const struct hostaddr_kind *k, const void *items, uint32_t i)
{
	return (const unsigned char *)items + (size_t)i * k->size;
}

static bool hostaddr_has(const struct hostaddr_kind *k, const void *items, uint32_t n, const void *item)
{
	for (uint32_t i = 0; i < n; i++)
		if (k->eq(hostaddr_at(k, items, i), item))
			return true;
	return false;
}

/* Start-up: add every item; stop at the first the kernel refuses (logged with file:line). */
static int hostaddr_start(const struct hostaddr_kind *k, const char *tap, const char *path, const void *items,
			  uint32_t n)
{
	char txt[HOSTADDR_TXT_MAX];
	int rc;

	for (uint32_t i = 0; i < n; i++) {
		const void *item = hostaddr_at(k, items, i);

		rc = k->add(tap, item);
		if (rc < 0) {
			k->fmt(item, txt, sizeof(txt));
			log_err("%s:%u: cannot add %s %s %s %s: %s", path, k->line(item), k->what, txt, k->onto, tap,
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/*
 * SIGHUP: remove the items of running that next lacks, add those next has
 * anew, keep the others; running (*n_running items) becomes what the TAP
 * now carries of ours. Removals first: an address that moves to another
 * prefix is deleted, then added.
 */
static void hostaddr_reload(const struct hostaddr_kind *k, const char *tap, const char *path, void *running,
			    uint32_t *n_running, const void *next, uint32_t n_next)
{
	_Alignas(union hostaddr_item) unsigned char now[2 * HOSTADDR_ITEMS_MAX * sizeof(union hostaddr_item)];
	char txt[HOSTADDR_TXT_MAX];
	uint32_t n = 0;
	int rc;

	for (uint32_t i = 0; i < *n_running; i++) {
		const void *item = hostaddr_at(k, running, i);

		if (hostaddr_has(k, next, n_next, item))
			continue;
		k->fmt(item, txt, sizeof(txt));
		rc = k->del(tap, item);
		if (rc < 0) {
			log_err("reload: cannot remove %s %s from %s: %s; it stays", k->what, txt, tap, strerror(-rc));
			memcpy(now + (size_t)n++ * k->size, item, k->size);
		} else {
			log_notice("reload: %s %s removed from %s", k->what, txt, tap);
		}
	}
	for (uint32_t i = 0; i < n_next; i++) {
		const void *item = hostaddr_at(k, next, i);

		if (!hostaddr_has(k, running, *n_running, item)) {
			k->fmt(item, txt, sizeof(txt));
			rc = k->add(tap, item);
			if (rc < 0) {
				log_err("reload: %s:%u: cannot add %s %s %s %s: %s", path, k->line(item), k->what, txt,
					k->onto, tap, strerror(-rc));
				continue;
			}
			log_notice("reload: %s %s added %s %s", k->what, txt, k->onto, tap);
		}
		memcpy(now + (size_t)n++ * k->size, item, k->size); /* unchanged ones take their new line */
	}
	/* Failed removals and the file's list may together pass the bound: keep the first ones. */
	if (n > k->max) {
		log_err("reload: more than %u %s of mstackd on %s; the last %u are no longer followed", k->max,
			k->whats, tap, n - k->max);
		n = k->max;
	}
	memcpy(running, now, (size_t)n * k->size);
	*n_running = n;
}

int hostaddr_start_addrs(const struct conf *c, const char *path)
{
	hostaddr_promote_secondaries(c->tap_name);
	return hostaddr_start(&hostaddr_addrs, c->tap_name, path, c->addrs, c->n_addrs);
}

int hostaddr_start_routes(const struct conf *c, const char *path)
{
	return hostaddr_start(&hostaddr_routes, c->tap_name, path, c->routes, c->n_routes);
}

void hostaddr_reload_addrs(const char *path, struct conf *running, const struct conf *next)
{
	hostaddr_reload(&hostaddr_addrs, running->tap_name, path, running->addrs, &running->n_addrs, next->addrs,
			next->n_addrs);
}

void hostaddr_reload_routes(const char *path, struct conf *running, const struct conf *next)
{
	hostaddr_reload(&hostaddr_routes, running->tap_name, path, running->routes, &running->n_routes, next->routes,
			next->n_routes);
}
