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

int hostaddr_start_addrs(const struct conf *c, const char *path)
{
	char txt[INET6_ADDRSTRLEN + 4];
	int rc;

	hostaddr_promote_secondaries(c->tap_name);
	for (uint32_t i = 0; i < c->n_addrs; i++) {
		const struct conf_addr *a = &c->addrs[i];

		rc = kern_addr_add(c->tap_name, a->family, a->addr, a->prefix_len);
		if (rc < 0) {
			log_err("%s:%u: cannot add address %s to %s: %s", path, a->line,
				hostaddr_fmt(a->family, a->addr, a->prefix_len, txt, sizeof(txt)), c->tap_name,
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int hostaddr_start_routes(const struct conf *c, const char *path)
{
	char txt[2 * INET6_ADDRSTRLEN + 16];
	int rc;

	for (uint32_t i = 0; i < c->n_routes; i++) {
		const struct conf_route *r = &c->routes[i];

		rc = kern_route_add(c->tap_name, r->family, r->dst, r->dst_len, r->gw);
		if (rc < 0) {
			log_err("%s:%u: cannot add route %s on %s: %s", path, r->line,
				hostaddr_route_fmt(r, txt, sizeof(txt)), c->tap_name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static bool hostaddr_has_addr(const struct conf_addr *list, uint32_t n, const struct conf_addr *a)
{
	for (uint32_t i = 0; i < n; i++)
		if (conf_addr_eq(&list[i], a))
			return true;
	return false;
}

static bool hostaddr_has_route(const struct conf_route *list, uint32_t n, const struct conf_route *r)
{
	for (uint32_t i = 0; i < n; i++)
		if (conf_route_eq(&list[i], r))
			return true;
	return false;
}

void hostaddr_reload_addrs(const char *path, struct conf *running, const struct conf *next)
{
	struct conf_addr now[CONF_ADDRS_MAX * 2]; /* what the TAP carries of ours after this */
	char txt[INET6_ADDRSTRLEN + 4];
	const char *tap = running->tap_name;
	uint32_t n = 0;
	int rc;

	/* Removals first: an address that moves to another prefix is deleted, then added. */
	for (uint32_t i = 0; i < running->n_addrs; i++) {
		const struct conf_addr *a = &running->addrs[i];

		if (hostaddr_has_addr(next->addrs, next->n_addrs, a))
			continue;
		hostaddr_fmt(a->family, a->addr, a->prefix_len, txt, sizeof(txt));
		rc = kern_addr_del(tap, a->family, a->addr, a->prefix_len);
		if (rc < 0) {
			log_err("reload: cannot remove address %s from %s: %s; it stays", txt, tap, strerror(-rc));
			now[n++] = *a;
		} else {
			log_notice("reload: address %s removed from %s", txt, tap);
		}
	}
	for (uint32_t i = 0; i < next->n_addrs; i++) {
		const struct conf_addr *a = &next->addrs[i];

		if (!hostaddr_has_addr(running->addrs, running->n_addrs, a)) {
			hostaddr_fmt(a->family, a->addr, a->prefix_len, txt, sizeof(txt));
			rc = kern_addr_add(tap, a->family, a->addr, a->prefix_len);
			if (rc < 0) {
				log_err("reload: %s:%u: cannot add address %s to %s: %s", path, a->line, txt, tap,
					strerror(-rc));
				continue;
			}
			log_notice("reload: address %s added to %s", txt, tap);
		}
		now[n++] = *a; /* unchanged ones take their new line */
	}
	/* Failed removals and the file's list may together pass the bound: keep the first ones. */
	if (n > CONF_ADDRS_MAX) {
		log_err("reload: more than %d addresses of mstackd on %s; the last %u are no longer followed",
			CONF_ADDRS_MAX, tap, n - CONF_ADDRS_MAX);
		n = CONF_ADDRS_MAX;
	}
	memcpy(running->addrs, now, n * sizeof(now[0]));
	running->n_addrs = n;
}

void hostaddr_reload_routes(const char *path, struct conf *running, const struct conf *next)
{
	struct conf_route now[CONF_ROUTES_MAX * 2];
	char txt[2 * INET6_ADDRSTRLEN + 16];
	const char *tap = running->tap_name;
	uint32_t n = 0;
	int rc;

	for (uint32_t i = 0; i < running->n_routes; i++) {
		const struct conf_route *r = &running->routes[i];

		if (hostaddr_has_route(next->routes, next->n_routes, r))
			continue;
		hostaddr_route_fmt(r, txt, sizeof(txt));
		rc = kern_route_del(tap, r->family, r->dst, r->dst_len, r->gw);
		if (rc < 0) {
			log_err("reload: cannot remove route %s from %s: %s; it stays", txt, tap, strerror(-rc));
			now[n++] = *r;
		} else {
			log_notice("reload: route %s removed from %s", txt, tap);
		}
	}
	for (uint32_t i = 0; i < next->n_routes; i++) {
		const struct conf_route *r = &next->routes[i];

		if (!hostaddr_has_route(running->routes, running->n_routes, r)) {
			hostaddr_route_fmt(r, txt, sizeof(txt));
			rc = kern_route_add(tap, r->family, r->dst, r->dst_len, r->gw);
			if (rc < 0) {
				log_err("reload: %s:%u: cannot add route %s on %s: %s", path, r->line, txt, tap,
					strerror(-rc));
				continue;
			}
			log_notice("reload: route %s added on %s", txt, tap);
		}
		now[n++] = *r;
	}
	if (n > CONF_ROUTES_MAX) {
		log_err("reload: more than %d routes of mstackd on %s; the last %u are no longer followed",
			CONF_ROUTES_MAX, tap, n - CONF_ROUTES_MAX);
		n = CONF_ROUTES_MAX;
	}
	memcpy(running->routes, now, n * sizeof(now[0]));
	running->n_routes = n;
}
