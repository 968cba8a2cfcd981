/* SPDX-License-Identifier: BSD-2-Clause */
/* conf.c - parse the mstackd configuration file (INI) into struct conf, with file:line errors. */
#include "conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Longest line accepted, without its newline: a longer one is refused, not split in two. */
#define CONF_LINE_MAX 4095

#define CONF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct conf_key;
struct conf_parser;

/*
 * Check one value and store it; 0, -EINVAL (bad value), -E2BIG (too long for
 * its buffer) or -EALREADY (the parser reported a more precise error itself).
 */
typedef int conf_parse_fn(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p);

/* One key of the file: where it is written, how its value is checked, where it is stored. */
struct conf_key {
	const char *section;
	const char *name;
	conf_parse_fn *parse;
	size_t off;             /* offset of the field in struct conf */
	size_t size;            /* size of that field: buffer length or integer width */
	unsigned long min, max; /* range of integer values */
	bool required;
	bool list; /* may be repeated, each line adds one (at most max) */
	enum conf_reload reload;
	const char *expect; /* completes "<key> must be ..." when the value is bad */
};

/* State of one conf_parse() run. */
struct conf_parser {
	const char *name;
	FILE *errs;
	unsigned long line; /* 0 once the file is read: the error is not tied to a line */
	int errors;
	const char *section; /* current section (a string of conf_keys), NULL before any */
	bool ignore;         /* under an unknown or malformed header: its keys were already reported */
	unsigned long *seen; /* line where each key was first set, 0 = not yet */
};

__attribute__((format(printf, 2, 3))) static void conf_err(struct conf_parser *p, const char *fmt, ...);

static void *conf_field(struct conf *c, const struct conf_key *k)
{
	return (char *)c + k->off;
}

/*
 * Digits only, in `base`: strtoul on its own would also take leading blanks,
 * a sign (and negate "-1" into a huge value) and a "0x" prefix.
 */
static bool conf_ulong(const char *s, int base, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void conf_store_uint(struct conf *c, const struct conf_key *k, unsigned long v)
{
	if (k->size == sizeof(uint16_t))
		*(uint16_t *)conf_field(c, k) = (uint16_t)v;
	else
		*(uint32_t *)conf_field(c, k) = (uint32_t)v;
}

static int conf_parse_uint(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	unsigned long v;

	if (!conf_ulong(val, 10, k->min, k->max, &v))
		return -EINVAL;
	conf_store_uint(c, k, v);
	return 0;
}

/*
 * Rings index by masking free-running counters, and PMDs want descriptor
 * counts that are a multiple of their alignment: a power of two serves both.
 */
static int conf_parse_pow2(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	unsigned long v;

	if (!conf_ulong(val, 10, k->min, k->max, &v) || (v & (v - 1)) != 0)
		return -EINVAL;
	conf_store_uint(c, k, v);
	return 0;
}

static int conf_parse_mode(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	unsigned long v;

	if (!conf_ulong(val, 8, k->min, k->max, &v))
		return -EINVAL;
	*(mode_t *)conf_field(c, k) = (mode_t)v;
	return 0;
}

/* Free text (EAL arguments, devargs): we check the length, EAL and the PMD judge the rest. */
static int conf_parse_string(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	size_t len = strlen(val);

	if (len >= k->size)
		return -E2BIG;
	memcpy(conf_field(c, k), val, len + 1);
	return 0;
}

/* The kernel's dev_valid_name() rules, so a bad name fails here and not at TAP creation. */
static int conf_parse_ifname(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	if (strlen(val) >= k->size)
		return -E2BIG;
	if (strcmp(val, ".") == 0 || strcmp(val, "..") == 0)
		return -EINVAL;
	for (const char *s = val; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return -EINVAL;
	return conf_parse_string(k, val, c, p);
}

/* The daemon may chdir; a relative socket path would then name another file. */
static int conf_parse_path(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	if (strlen(val) >= k->size)
		return -E2BIG;
	if (val[0] != '/')
		return -EINVAL;
	return conf_parse_string(k, val, c, p);
}

/* One word of a short list into an enum field: the enum's value is the word's place in the list. */
static int conf_parse_word(const struct conf_key *k, const char *val, struct conf *c, const char *const *words,
			   size_t nwords)
{
	for (size_t i = 0; i < nwords; i++) {
		if (strcmp(val, words[i]) == 0) {
			*(int *)conf_field(c, k) = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* [datapath] idle */
static int conf_parse_idle(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	static const char *const words[] = { [CONF_IDLE_ADAPTIVE] = "adaptive", [CONF_IDLE_POLL] = "poll" };

	(void)p;
	_Static_assert(sizeof(enum conf_idle) == sizeof(int), "conf_parse_word stores an int");
	return conf_parse_word(k, val, c, words, CONF_ARRAY_SIZE(words));
}

/* [host] exception */
static int conf_parse_exception(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	static const char *const words[] = {
		[CONF_EXCEPTION_TAP] = "tap", [CONF_EXCEPTION_VIRTIO_USER] = "virtio-user"
	};

	(void)p;
	_Static_assert(sizeof(enum conf_exception) == sizeof(int), "conf_parse_word stores an int");
	return conf_parse_word(k, val, c, words, CONF_ARRAY_SIZE(words));
}

/* Characters only: the group is looked up when the socket is created, not at parse time. */
static int conf_parse_group(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	(void)p;
	if (strlen(val) >= k->size)
		return -E2BIG;
	if (val[strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")] != '\0')
		return -EINVAL;
	return conf_parse_string(k, val, c, p);
}

/* "a.b.c.d/N" or "x::y/N" into family, addr (16 bytes) and the prefix length. */
static bool conf_prefix(const char *val, int *family, uint8_t addr[16], uint8_t *len)
{
	char buf[INET6_ADDRSTRLEN + sizeof("/128")];
	unsigned long prefix;
	char *slash;

	if (strlen(val) >= sizeof(buf))
		return false;
	strcpy(buf, val);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return false;
	if (!conf_ulong(slash + 1, 10, 0, *family == AF_INET ? 32 : 128, &prefix))
		return false;
	*len = (uint8_t)prefix;
	return true;
}

static int conf_alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool conf_is_zero(const uint8_t *a, int alen)
{
	for (int i = 0; i < alen; i++)
		if (a[i] != 0)
			return false;
	return true;
}

static bool conf_is_multicast(int family, const uint8_t *a)
{
	return family == AF_INET ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* Do a and b agree on their first len bits? */
static bool conf_prefix_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	return bits == 0 || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static void conf_ntop(int family, const uint8_t *a, char *buf)
{
	inet_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

bool conf_addr_eq(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->family == b->family && a->prefix_len == b->prefix_len && memcmp(a->addr, b->addr, 16) == 0;
}

bool conf_route_eq(const struct conf_route *a, const struct conf_route *b)
{
	return a->family == b->family && a->dst_len == b->dst_len && memcmp(a->dst, b->dst, 16) == 0 &&
	       memcmp(a->gw, b->gw, 16) == 0;
}

/* One more address for the TAP; the prefix is required so that the TAP gets the route it needs. */
static int conf_parse_address(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	struct conf_addr a = { .line = (uint32_t)p->line };

	if (!conf_prefix(val, &a.family, a.addr, &a.prefix_len))
		return -EINVAL;
	if (conf_is_zero(a.addr, conf_alen(a.family)) || conf_is_multicast(a.family, a.addr)) {
		conf_err(p, "address %s is not a unicast address", val);
		return -EALREADY;
	}
	for (uint32_t i = 0; i < c->n_addrs; i++) {
		if (c->addrs[i].family == a.family && memcmp(c->addrs[i].addr, a.addr, 16) == 0) {
			conf_err(p, "duplicate address %s, first given on line %u", val, c->addrs[i].line);
			return -EALREADY;
		}
	}
	if (c->n_addrs >= k->max) {
		conf_err(p, "too many addresses (at most %lu)", k->max);
		return -EALREADY;
	}
	/* Stored only once wholly valid: a bad value leaves the struct as it was. */
	c->addrs[c->n_addrs++] = a;
	return 0;
}

/* "PREFIX via GATEWAY" or "default via GATEWAY"; the on-link check waits for every address (conf_check_routes). */
static int conf_parse_route(const struct conf_key *k, const char *val, struct conf *c, struct conf_parser *p)
{
	struct conf_route r = { .line = (uint32_t)p->line };
	char buf[128], *dst, *via, *gw, *extra, *save = NULL;
	char txt[INET6_ADDRSTRLEN];
	int gw_family;

	if (strlen(val) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, val);
	dst = strtok_r(buf, " \t", &save);
	via = strtok_r(NULL, " \t", &save);
	gw = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (dst == NULL || via == NULL || gw == NULL || extra != NULL || strcmp(via, "via") != 0)
		return -EINVAL;
	if (inet_pton(AF_INET, gw, r.gw) == 1)
		gw_family = AF_INET;
	else if (inet_pton(AF_INET6, gw, r.gw) == 1)
		gw_family = AF_INET6;
	else
		return -EINVAL;
	if (strcmp(dst, "default") == 0) {
		r.family = gw_family;
		r.dst_len = 0;
	} else if (!conf_prefix(dst, &r.family, r.dst, &r.dst_len)) {
		return -EINVAL;
	}
	if (r.family != gw_family) {
		conf_err(p, "route %s: the gateway %s is not of the destination's family", dst, gw);
		return -EALREADY;
	}
	if (conf_is_zero(r.gw, conf_alen(r.family)) || conf_is_multicast(r.family, r.gw)) {
		conf_err(p, "route %s: the gateway %s is not a unicast address", dst, gw);
		return -EALREADY;
	}
	for (unsigned b = r.dst_len; b < (unsigned)conf_alen(r.family) * 8; b++) {
		if (r.dst[b / 8] & (0x80 >> (b % 8))) {
			for (; b < 128; b++)
				r.dst[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
			conf_ntop(r.family, r.dst, txt);
			conf_err(p, "route %s: bits set past the prefix length (the network is %s/%u)", dst, txt,
				 r.dst_len);
			return -EALREADY;
		}
	}
	for (uint32_t i = 0; i < c->n_routes; i++) {
		if (c->routes[i].family == r.family && c->routes[i].dst_len == r.dst_len &&
		    memcmp(c->routes[i].dst, r.dst, 16) == 0) {
			conf_err(p, "duplicate route to %s, first given on line %u", dst, c->routes[i].line);
			return -EALREADY;
		}
	}
	if (c->n_routes >= k->max) {
		conf_err(p, "too many routes (at most %lu)", k->max);
		return -EALREADY;
	}
	c->routes[c->n_routes++] = r;
	return 0;
}

/*
 * The kernel takes a gateway only on-link: inside the prefix of an address
 * of the TAP. Those that mstackd puts there are known now, so say it here
 * (mstackd -n) rather than at start. An IPv6 link-local gateway is on every link.
 */
static void conf_check_routes(struct conf_parser *p, const struct conf *c)
{
	char txt[INET6_ADDRSTRLEN];

	for (uint32_t i = 0; i < c->n_routes; i++) {
		const struct conf_route *r = &c->routes[i];
		bool onlink = r->family == AF_INET6 && r->gw[0] == 0xfe && (r->gw[1] & 0xc0) == 0x80;

		for (uint32_t j = 0; j < c->n_addrs && !onlink; j++) {
			const struct conf_addr *a = &c->addrs[j];

			onlink = a->family == r->family && a->prefix_len > 0 &&
				 conf_prefix_match(a->addr, r->gw, a->prefix_len);
		}
		conf_ntop(r->family, r->gw, txt);
		p->line = r->line;
		if (!onlink)
			conf_err(p, "route gateway %s is not on-link: no [host] address has a prefix that holds it",
				 txt);
		for (uint32_t j = 0; j < c->n_addrs && onlink; j++)
			if (c->addrs[j].family == r->family && memcmp(c->addrs[j].addr, r->gw, 16) == 0)
				conf_err(p, "route gateway %s is one of the [host] addresses, not a next hop", txt);
	}
	p->line = 0;
}

#define CONF_FIELD(m) offsetof(struct conf, m), sizeof(((struct conf *)0)->m)
/* Fields first..last together (a key that sets several); conf_defaults zeroes the padding between. */
#define CONF_SPAN(first, last)        \
	offsetof(struct conf, first), \
	    offsetof(struct conf, last) + sizeof(((struct conf *)0)->last) - offsetof(struct conf, first)

/* Every key the file may hold; ranges must match conf.h and config/mstackd.conf. */
static const struct conf_key conf_keys[] = {
	/* section, key, parser, field, min, max (a list: most lines), required, list, on SIGHUP, what a good value is
	 */
	{ "eal", "args", conf_parse_string, CONF_FIELD(eal_args), 0, 0, false, false, CONF_RELOAD_FIXED, NULL },
	{ "nic", "devargs", conf_parse_string, CONF_FIELD(nic_devargs), 0, 0, true, false, CONF_RELOAD_FIXED, NULL },
	{ "nic", "rx_desc", conf_parse_pow2, CONF_FIELD(nic_rx_desc), 64, 4096, false, false, CONF_RELOAD_FIXED,
	  "a power of two between 64 and 4096" },
	{ "nic", "tx_desc", conf_parse_pow2, CONF_FIELD(nic_tx_desc), 64, 4096, false, false, CONF_RELOAD_FIXED,
	  "a power of two between 64 and 4096" },
	{ "host", "tap", conf_parse_ifname, CONF_FIELD(tap_name), 0, 0, true, false, CONF_RELOAD_FIXED,
	  "an interface name without '/', ':' or blanks, and not '.' or '..'" },
	{ "host", "exception", conf_parse_exception, CONF_FIELD(exception), 0, 0, false, false, CONF_RELOAD_FIXED,
	  "tap or virtio-user" },
	{ "host", "address", conf_parse_address, CONF_SPAN(n_addrs, addrs), 0, CONF_ADDRS_MAX, false, true,
	  CONF_RELOAD_APPLY, "an IPv4 or IPv6 address with a prefix length, like 10.0.0.1/24 or fd00::1/64" },
	{ "host", "route", conf_parse_route, CONF_SPAN(n_routes, routes), 0, CONF_ROUTES_MAX, false, true,
	  CONF_RELOAD_APPLY, "PREFIX via GATEWAY or default via GATEWAY, like 198.51.100.0/24 via 10.0.0.254" },
	{ "control", "socket", conf_parse_path, CONF_FIELD(ctl_socket), 0, 0, false, false, CONF_RELOAD_FIXED,
	  "an absolute path" },
	{ "control", "mode", conf_parse_mode, CONF_FIELD(ctl_mode), 0, 0777, false, false, CONF_RELOAD_FIXED,
	  "an octal mode between 0 and 0777" },
	{ "control", "group", conf_parse_group, CONF_FIELD(ctl_group), 0, 0, false, false, CONF_RELOAD_FIXED,
	  "a group name made of letters, digits, '_', '.' and '-'" },
	{ "control", "admin_group", conf_parse_group, CONF_FIELD(admin_group), 0, 0, false, false, CONF_RELOAD_APPLY,
	  "a group name made of letters, digits, '_', '.' and '-'" },
	{ "control", "max_connections", conf_parse_uint, CONF_FIELD(ctl_max_conns), 1, 1048576, false, false,
	  CONF_RELOAD_APPLY, "an integer between 1 and 1048576" },
	{ "limits", "apps", conf_parse_uint, CONF_FIELD(max_apps), 1, 65536, false, false, CONF_RELOAD_APPLY,
	  "an integer between 1 and 65536" },
	{ "limits", "queues_per_app", conf_parse_uint, CONF_FIELD(max_queues), 1, 64, false, false, CONF_RELOAD_APPLY,
	  "an integer between 1 and 64" },
	{ "limits", "ring_size", conf_parse_pow2, CONF_FIELD(max_ring_size), 64, 32768, false, false, CONF_RELOAD_APPLY,
	  "a power of two between 64 and 32768" },
	{ "limits", "bindings_per_app", conf_parse_uint, CONF_FIELD(max_bindings), 1, 65536, false, false,
	  CONF_RELOAD_APPLY, "an integer between 1 and 65536" },
	{ "limits", "bindings", conf_parse_uint, CONF_FIELD(max_bindings_all), 1, 1048576, false, false,
	  CONF_RELOAD_FIXED, "an integer between 1 and 1048576" },
	{ "limits", "resolve_burst", conf_parse_uint, CONF_FIELD(resolve_burst), 1, 4096, false, false,
	  CONF_RELOAD_APPLY, "an integer between 1 and 4096" },
	{ "limits", "resolve_rate", conf_parse_uint, CONF_FIELD(resolve_rate), 1, 1024, false, false, CONF_RELOAD_APPLY,
	  "an integer between 1 and 1024" },
	{ "limits", "misbehave_rate", conf_parse_uint, CONF_FIELD(misbehave_rate), 0, 1000000, false, false,
	  CONF_RELOAD_APPLY, "an integer between 0 (no disconnection) and 1000000" },
	{ "limits", "misbehave_burst", conf_parse_uint, CONF_FIELD(misbehave_burst), 1, 1000000, false, false,
	  CONF_RELOAD_APPLY, "an integer between 1 and 1000000" },
	{ "datapath", "mbufs", conf_parse_uint, CONF_FIELD(mbufs), 4095, 1048575, false, false, CONF_RELOAD_FIXED,
	  "an integer between 4095 and 1048575" },
	{ "datapath", "burst", conf_parse_uint, CONF_FIELD(burst), 1, 64, false, false, CONF_RELOAD_FIXED,
	  "an integer between 1 and 64" },
	{ "datapath", "idle", conf_parse_idle, CONF_FIELD(idle), 0, 0, false, false, CONF_RELOAD_FIXED,
	  "adaptive or poll" },
	{ "datapath", "coalesce_us", conf_parse_uint, CONF_FIELD(coalesce_us), 0, 1000, false, false, CONF_RELOAD_FIXED,
	  "an integer between 0 (off) and 1000" },
	{ "datapath", "workers", conf_parse_uint, CONF_FIELD(workers), 0, 64, false, false, CONF_RELOAD_FIXED,
	  "an integer between 0 (every lcore after the main one) and 64" },
	{ "datapath", "restart_hold_s", conf_parse_uint, CONF_FIELD(restart_hold_s), 0, 300, false, false,
	  CONF_RELOAD_FIXED, "an integer between 0 (off) and 300" },
};

__attribute__((format(printf, 2, 3))) static void conf_err(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;

	p->errors++;
	if (p->errs == NULL)
		return;
	if (p->line > 0)
		fprintf(p->errs, "%s:%lu: ", p->name, p->line);
	else
		fprintf(p->errs, "%s: ", p->name);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

void conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->nic_rx_desc = 1024;
	c->nic_tx_desc = 1024;
	strcpy(c->ctl_socket, "/run/mstack/mstackd.sock");
	c->ctl_mode = 0660;
	c->max_apps = 1024;
	c->max_queues = 4;
	c->max_ring_size = 4096;
	c->max_bindings = 1024;
	c->max_bindings_all = 65536;
	c->resolve_burst = 64;
	c->resolve_rate = 8;
	c->misbehave_rate = 100;
	c->misbehave_burst = 1000;
	c->mbufs = 8191;
	c->burst = 32;
	c->idle = CONF_IDLE_ADAPTIVE;
	c->restart_hold_s = 10;
}

enum conf_line_status { CONF_LINE_OK, CONF_LINE_EOF, CONF_LINE_LONG, CONF_LINE_NUL };

/*
 * Read one line without its newline. A line that does not fit is still
 * consumed whole, so that the next one is read from its start and line
 * numbers stay right. A NUL would silently cut the value short, so it is refused.
 */
static enum conf_line_status conf_getline(FILE *in, char *buf, size_t size)
{
	enum conf_line_status st = CONF_LINE_OK;
	size_t n = 0;
	int ch;

	while ((ch = getc(in)) != EOF && ch != '\n') {
		if (ch == '\0')
			st = CONF_LINE_NUL;
		else if (n + 1 < size)
			buf[n++] = (char)ch;
		else if (st == CONF_LINE_OK)
			st = CONF_LINE_LONG;
	}
	buf[n] = '\0';
	if (ch == EOF && n == 0 && st == CONF_LINE_OK)
		return CONF_LINE_EOF;
	return st;
}

static char *conf_trim(char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* A comment starts a line or follows a blank, so '#' and ';' can still appear inside a value. */
static void conf_strip_comment(char *s)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		if ((s[i] == '#' || s[i] == ';') && (i == 0 || isblank((unsigned char)s[i - 1]))) {
			s[i] = '\0';
			return;
		}
	}
}

static void conf_section(struct conf_parser *p, char *s)
{
	size_t len = strlen(s);
	char *name;

	/* Until a good header, keys are ignored: one error per mistake, not one per line below it. */
	p->section = NULL;
	p->ignore = true;
	if (len < 2 || s[len - 1] != ']' || strcspn(s + 1, "[]") != len - 2) {
		conf_err(p, "malformed section header, expected [name]");
		return;
	}
	s[len - 1] = '\0';
	name = conf_trim(s + 1);
	if (*name == '\0') {
		conf_err(p, "malformed section header, expected [name]");
		return;
	}
	for (size_t i = 0; i < CONF_ARRAY_SIZE(conf_keys); i++) {
		if (strcmp(conf_keys[i].section, name) == 0) {
			p->section = conf_keys[i].section;
			p->ignore = false;
			return;
		}
	}
	conf_err(p, "unknown section [%s]", name);
}

static void conf_set(struct conf_parser *p, const char *key, const char *val, struct conf *c)
{
	const struct conf_key *k = NULL;
	size_t i;

	if (p->section == NULL) {
		if (!p->ignore)
			conf_err(p, "key '%s' before any section", key);
		return;
	}
	for (i = 0; i < CONF_ARRAY_SIZE(conf_keys); i++) {
		if (strcmp(conf_keys[i].section, p->section) == 0 && strcmp(conf_keys[i].name, key) == 0) {
			k = &conf_keys[i];
			break;
		}
	}
	if (k == NULL) {
		conf_err(p, "unknown key '%s' in section [%s]", key, p->section);
		return;
	}
	if (p->seen[i] != 0 && !k->list) {
		conf_err(p, "duplicate key '%s' in section [%s], first set on line %lu", key, p->section, p->seen[i]);
		return;
	}
	/* Marked seen even if the value is bad: it was reported, "missing" would say it twice. */
	if (p->seen[i] == 0)
		p->seen[i] = p->line;
	if (*val == '\0') {
		conf_err(p, "empty value for key '%s'", key);
		return;
	}
	switch (k->parse(k, val, c, p)) {
	case 0:
	case -EALREADY: break;
	case -E2BIG: conf_err(p, "value of %s too long (at most %zu characters)", key, k->size - 1); break;
	default: conf_err(p, "%s must be %s, got '%s'", key, k->expect, val); break;
	}
}

static void conf_line(struct conf_parser *p, char *s, struct conf *c)
{
	char *eq;

	conf_strip_comment(s);
	s = conf_trim(s);
	if (*s == '\0')
		return;
	if (*s == '[') {
		conf_section(p, s);
		return;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		conf_err(p, "expected 'key = value' or '[section]'");
		return;
	}
	*eq = '\0';
	s = conf_trim(s);
	if (*s == '\0') {
		conf_err(p, "missing key before '='");
		return;
	}
	conf_set(p, s, conf_trim(eq + 1), c);
}

/* Starts from the defaults: a reload parses into a fresh struct, keeping the old one on error. */
int conf_parse(FILE *in, const char *name, struct conf *c, FILE *errs)
{
	unsigned long seen[CONF_ARRAY_SIZE(conf_keys)] = { 0 };
	struct conf_parser p = { .name = name, .errs = errs, .seen = seen };
	char buf[CONF_LINE_MAX + 1];
	enum conf_line_status st;

	conf_defaults(c);
	while ((st = conf_getline(in, buf, sizeof(buf))) != CONF_LINE_EOF) {
		p.line++;
		if (st == CONF_LINE_LONG)
			conf_err(&p, "line too long (more than %d characters)", CONF_LINE_MAX);
		else if (st == CONF_LINE_NUL)
			conf_err(&p, "line contains a NUL byte");
		else
			conf_line(&p, buf, c);
	}
	p.line = 0;
	if (ferror(in))
		conf_err(&p, "read error");
	conf_check_routes(&p, c);
	for (size_t i = 0; i < CONF_ARRAY_SIZE(conf_keys); i++)
		if (conf_keys[i].required && p.seen[i] == 0)
			conf_err(&p, "missing required key [%s] %s", conf_keys[i].section, conf_keys[i].name);
	return p.errors;
}

int conf_load(const char *path, struct conf *c, FILE *errs)
{
	FILE *f = fopen(path, "r");
	int n, err;

	if (f == NULL) {
		err = errno;
		if (errs != NULL)
			fprintf(errs, "%s: %s\n", path, strerror(err));
		return -err;
	}
	n = conf_parse(f, path, c, errs);
	fclose(f);
	return n;
}

void conf_reload(struct conf *running, const struct conf *next, void (*fixed)(const char *section, const char *key),
		 conf_list_fn *list, void *arg)
{
	size_t i;

	for (i = 0; i < CONF_ARRAY_SIZE(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];
		const void *from = (const char *)next + k->off;

		if (k->reload == CONF_RELOAD_APPLY && k->list)
			list(arg, k->section, k->name, running, next);
		else if (k->reload == CONF_RELOAD_APPLY)
			memcpy(conf_field(running, k), from, k->size);
		else if (memcmp(conf_field(running, k), from, k->size) != 0)
			fixed(k->section, k->name);
	}
}
