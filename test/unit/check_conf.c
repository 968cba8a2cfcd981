/* SPDX-License-Identifier: BSD-2-Clause */
/* check_conf.c - unit tests of the configuration file parser (src/conf.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "check_main.h"

/* The two required keys, on lines 1-4; cases below append to it from line 5. */
#define BASE "[nic]\ndevargs = net_af_packet0,iface=veth0\n[host]\ntap = mstack0\n"

static struct conf conf;
static char *errout; /* everything conf_parse wrote to its error stream */

static void conf_test_teardown(void)
{
	free(errout);
	errout = NULL;
}

/* Parse len bytes of text named "t.conf", capturing the error stream in errout. */
static int conf_test_parse_len(const char *text, size_t len)
{
	size_t outlen;
	FILE *in, *errs;
	int n;

	conf_test_teardown();
	in = fmemopen((void *)text, len, "r");
	ck_assert_ptr_nonnull(in);
	errs = open_memstream(&errout, &outlen);
	ck_assert_ptr_nonnull(errs);
	n = conf_parse(in, "t.conf", &conf, errs);
	fclose(in);
	fclose(errs);
	return n;
}

static int conf_test_parse(const char *text)
{
	return conf_test_parse_len(text, strlen(text));
}

START_TEST(test_full_ipv4_config_sets_every_field)
{
	const char *text = "[eal]\n"
			   "args = -l 0-1 --no-huge -m 512 --file-prefix mstack\n"
			   "[nic]\n"
			   "devargs = 0000:03:00.0\n"
			   "rx_desc = 2048\n"
			   "tx_desc = 512\n"
			   "[host]\n"
			   "tap = mstack0\n"
			   "address = 10.0.0.1/24\n"
			   "[control]\n"
			   "socket = /run/mstack/test.sock\n"
			   "mode = 0640\n"
			   "group = mstack\n"
			   "admin_group = mstack-admin.x_1\n"
			   "max_connections = 1048576\n"
			   "[limits]\n"
			   "apps = 65536\n"
			   "queues_per_app = 64\n"
			   "ring_size = 32768\n"
			   "bindings_per_app = 1\n"
			   "bindings = 1048576\n"
			   "[datapath]\n"
			   "mbufs = 4095\n"
			   "burst = 64\n"
			   "idle = poll\n"
			   "restart_hold_s = 300\n";
	const uint8_t addr[16] = { 10, 0, 0, 1 };

	ck_assert_int_eq(conf_test_parse(text), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_str_eq(conf.eal_args, "-l 0-1 --no-huge -m 512 --file-prefix mstack");
	ck_assert_str_eq(conf.nic_devargs, "0000:03:00.0");
	ck_assert_uint_eq(conf.nic_rx_desc, 2048);
	ck_assert_uint_eq(conf.nic_tx_desc, 512);
	ck_assert_str_eq(conf.tap_name, "mstack0");
	ck_assert_uint_eq(conf.n_addrs, 1);
	ck_assert_int_eq(conf.addrs[0].family, AF_INET);
	ck_assert_mem_eq(conf.addrs[0].addr, addr, sizeof(addr));
	ck_assert_uint_eq(conf.addrs[0].prefix_len, 24);
	ck_assert_uint_eq(conf.addrs[0].line, 9);
	ck_assert_uint_eq(conf.n_routes, 0);
	ck_assert_str_eq(conf.ctl_socket, "/run/mstack/test.sock");
	ck_assert_uint_eq(conf.ctl_mode, 0640);
	ck_assert_str_eq(conf.ctl_group, "mstack");
	ck_assert_str_eq(conf.admin_group, "mstack-admin.x_1");
	ck_assert_uint_eq(conf.ctl_max_conns, 1048576);
	ck_assert_uint_eq(conf.max_apps, 65536);
	ck_assert_uint_eq(conf.max_queues, 64);
	ck_assert_uint_eq(conf.max_ring_size, 32768);
	ck_assert_uint_eq(conf.max_bindings, 1);
	ck_assert_uint_eq(conf.max_bindings_all, 1048576);
	ck_assert_uint_eq(conf.mbufs, 4095);
	ck_assert_uint_eq(conf.burst, 64);
	ck_assert_int_eq(conf.idle, CONF_IDLE_POLL);
	ck_assert_uint_eq(conf.restart_hold_s, 300);
}
END_TEST

START_TEST(test_restart_hold_s_0_turns_the_hold_off)
{
	ck_assert_int_eq(conf_test_parse(BASE "[datapath]\nrestart_hold_s = 0\n"), 0);
	ck_assert_uint_eq(conf.restart_hold_s, 0);
}
END_TEST

START_TEST(test_ipv6_address_is_stored_with_its_prefix)
{
	const uint8_t addr[16] = { 0xfd, 0x00, [14] = 0x00, [15] = 0x01 };

	ck_assert_int_eq(conf_test_parse(BASE "address = fd00::1/64\n"), 0);
	ck_assert_uint_eq(conf.n_addrs, 1);
	ck_assert_int_eq(conf.addrs[0].family, AF_INET6);
	ck_assert_mem_eq(conf.addrs[0].addr, addr, sizeof(addr));
	ck_assert_uint_eq(conf.addrs[0].prefix_len, 64);

	ck_assert_int_eq(conf_test_parse(BASE "address = fd00::1/128\n"), 0);
	ck_assert_int_eq(conf.addrs[0].family, AF_INET6);
	ck_assert_uint_eq(conf.addrs[0].prefix_len, 128);
}
END_TEST

START_TEST(test_absent_keys_take_their_defaults)
{
	ck_assert_int_eq(conf_test_parse(BASE), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_str_eq(conf.eal_args, "");
	ck_assert_str_eq(conf.nic_devargs, "net_af_packet0,iface=veth0");
	ck_assert_uint_eq(conf.nic_rx_desc, 1024);
	ck_assert_uint_eq(conf.nic_tx_desc, 1024);
	ck_assert_str_eq(conf.tap_name, "mstack0");
	ck_assert_uint_eq(conf.n_addrs, 0);
	ck_assert_uint_eq(conf.n_routes, 0);
	ck_assert_str_eq(conf.ctl_socket, "/run/mstack/mstackd.sock");
	ck_assert_uint_eq(conf.ctl_mode, 0660);
	ck_assert_str_eq(conf.ctl_group, "");
	ck_assert_str_eq(conf.admin_group, "");
	ck_assert_uint_eq(conf.ctl_max_conns, 0); /* derived from RLIMIT_NOFILE at start */
	ck_assert_uint_eq(conf.max_apps, 1024);
	ck_assert_uint_eq(conf.max_queues, 4);
	ck_assert_uint_eq(conf.max_ring_size, 4096);
	ck_assert_uint_eq(conf.max_bindings, 1024);
	ck_assert_uint_eq(conf.max_bindings_all, 65536);
	ck_assert_uint_eq(conf.mbufs, 8191);
	ck_assert_uint_eq(conf.burst, 32);
	ck_assert_int_eq(conf.idle, CONF_IDLE_ADAPTIVE);      /* no core burnt unless asked */
	ck_assert_int_eq(conf.exception, CONF_EXCEPTION_TAP); /* works without /dev/vhost-net */
	ck_assert_uint_eq(conf.restart_hold_s, 10);           /* a restart of mstackd keeps connections */
}
END_TEST

/* Keys that take one word of a list: [datapath] idle (adaptive, poll), [host] exception (tap, virtio-user). */
START_TEST(test_word_keys_take_each_word_of_their_list)
{
	static const struct {
		const char *text;
		const void *field;
		int want;
	} cases[] = {
		{ BASE "[datapath]\nidle = poll\n", &conf.idle, CONF_IDLE_POLL },
		{ BASE "[datapath]\nidle = adaptive\n", &conf.idle, CONF_IDLE_ADAPTIVE },
		{ BASE "exception = virtio-user\n", &conf.exception, CONF_EXCEPTION_VIRTIO_USER },
		{ BASE "exception = tap\n", &conf.exception, CONF_EXCEPTION_TAP },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		ck_assert_int_eq(conf_test_parse(cases[i].text), 0);
		memcpy(&got, cases[i].field, sizeof(got));
		ck_assert_int_eq(got, cases[i].want);
	}
}
END_TEST

START_TEST(test_parse_resets_struct_to_defaults_first)
{
	memset(&conf, 0xa5, sizeof(conf));
	ck_assert_int_eq(conf_test_parse(BASE), 0);
	ck_assert_uint_eq(conf.burst, 32);
	ck_assert_str_eq(conf.eal_args, "");
	ck_assert_uint_eq(conf.n_addrs, 0);
	ck_assert_uint_eq(conf.n_routes, 0);
}
END_TEST

START_TEST(test_comments_blank_lines_and_whitespace_are_ignored)
{
	const char *text = "# full-line comment\n"
			   "; another style\n"
			   "\n"
			   "   \t\n"
			   "  [ nic ]   # trailing comment on a header\n"
			   "\tdevargs\t=  net_pcap0,iface=a#b;c   # '#' and ';' inside a value stay\n"
			   "  rx_desc=256\n"
			   "[host]\r\n"
			   "tap = mstack0\t; tab before a comment\r\n"
			   "   # indented comment\n"
			   "address = 192.168.1.2/32 ;\n"
			   "[eal]\n"
			   "args =  -l 0-1   --no-huge  \n";

	ck_assert_int_eq(conf_test_parse(text), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_uint_eq(conf.nic_rx_desc, 256);
	ck_assert_str_eq(conf.nic_devargs, "net_pcap0,iface=a#b;c");
	ck_assert_str_eq(conf.tap_name, "mstack0");
	ck_assert_uint_eq(conf.addrs[0].prefix_len, 32);
	ck_assert_str_eq(conf.eal_args, "-l 0-1   --no-huge");
}
END_TEST

START_TEST(test_last_line_without_newline_is_parsed)
{
	ck_assert_int_eq(conf_test_parse("[nic]\ndevargs = x\n[host]\ntap = t0"), 0);
	ck_assert_str_eq(conf.tap_name, "t0");
}
END_TEST

START_TEST(test_address_repeats_and_each_line_adds_one_in_file_order)
{
	const char *text = BASE "address = 10.0.0.1/24\n" /* 5 */
				"[limits]\n"
				"apps = 7\n"
				"[host]\n"
				"address = 10.0.1.1/24\n" /* 9 */
				"address = fd00::1/64\n"; /* 10 */
	const uint8_t a2[16] = { 10, 0, 1, 1 };
	const uint8_t a3[16] = { 0xfd, 0x00, [15] = 0x01 };

	ck_assert_int_eq(conf_test_parse(text), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_uint_eq(conf.n_addrs, 3);
	ck_assert_uint_eq(conf.addrs[0].line, 5);
	ck_assert_int_eq(conf.addrs[1].family, AF_INET);
	ck_assert_mem_eq(conf.addrs[1].addr, a2, 16);
	ck_assert_uint_eq(conf.addrs[1].line, 9);
	ck_assert_int_eq(conf.addrs[2].family, AF_INET6);
	ck_assert_mem_eq(conf.addrs[2].addr, a3, 16);
	ck_assert_uint_eq(conf.addrs[2].prefix_len, 64);
	ck_assert_uint_eq(conf.addrs[2].line, 10);
}
END_TEST

START_TEST(test_route_forms_give_destination_and_gateway)
{
	const char *text = BASE "address = 10.0.0.1/24\n"
				"address = fd00::1/64\n"
				"route = 198.51.100.0/24 via 10.0.0.254\n" /* 7 */
				"route = default   via\t10.0.0.253\n"
				"route = ::/0 via fd00::fe\n"
				"route = 2001:db8::/32 via fe80::1\n"; /* link-local: on-link */
	const uint8_t dst[16] = { 198, 51, 100, 0 }, gw[16] = { 10, 0, 0, 254 }, zero[16] = { 0 };
	const uint8_t gw6[16] = { 0xfd, 0x00, [15] = 0xfe };

	ck_assert_int_eq(conf_test_parse(text), 0);
	ck_assert_str_eq(errout, "");
	ck_assert_uint_eq(conf.n_routes, 4);
	ck_assert_int_eq(conf.routes[0].family, AF_INET);
	ck_assert_mem_eq(conf.routes[0].dst, dst, 16);
	ck_assert_uint_eq(conf.routes[0].dst_len, 24);
	ck_assert_mem_eq(conf.routes[0].gw, gw, 16);
	ck_assert_uint_eq(conf.routes[0].line, 7);
	ck_assert_int_eq(conf.routes[1].family, AF_INET);
	ck_assert_mem_eq(conf.routes[1].dst, zero, 16);
	ck_assert_uint_eq(conf.routes[1].dst_len, 0);
	ck_assert_int_eq(conf.routes[2].family, AF_INET6);
	ck_assert_uint_eq(conf.routes[2].dst_len, 0);
	ck_assert_mem_eq(conf.routes[2].gw, gw6, 16);
	ck_assert_uint_eq(conf.routes[3].dst_len, 32);

	/* "default" and 0.0.0.0/0 (::/0) name one destination. */
	ck_assert_int_eq(conf_test_parse(BASE "address = 10.0.0.1/24\nroute = default via 10.0.0.254\n"
					      "route = 0.0.0.0/0 via 10.0.0.253\n"),
			 1);
	ck_assert_str_eq(errout, "t.conf:7: duplicate route to 0.0.0.0/0, first given on line 6\n");
	ck_assert_int_eq(conf_test_parse(BASE "address = fd00::1/64\nroute = ::/0 via fd00::fe\n"
					      "route = default via fe80::1\n"),
			 1);
	ck_assert_str_eq(errout, "t.conf:7: duplicate route to default, first given on line 6\n");
	ck_assert_uint_eq(conf.n_routes, 1);
}
END_TEST

START_TEST(test_duplicate_address_is_reported_with_the_first_line)
{
	ck_assert_int_eq(conf_test_parse(BASE "address = 10.0.0.1/24\naddress = fd00::1/64\naddress = 10.0.0.1/24\n"
					      "address = 10.0.0.1/16\naddress = fd00:0::1/64\n"),
			 3);
	ck_assert_str_eq(errout, "t.conf:7: duplicate address 10.0.0.1/24, first given on line 5\n"
				 "t.conf:8: duplicate address 10.0.0.1/16, first given on line 5\n"
				 "t.conf:9: duplicate address fd00:0::1/64, first given on line 6\n");
	ck_assert_uint_eq(conf.n_addrs, 2);
	ck_assert_uint_eq(conf.addrs[0].prefix_len, 24);
}
END_TEST

/* BASE, then n lines made by fmt from 0..n-1 (after head), in a static buffer. */
static const char *conf_test_lines(const char *head, const char *fmt, int n)
{
	static char buf[16384];
	size_t len;

	snprintf(buf, sizeof(buf), "%s%s", BASE, head);
	for (int i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, fmt, i);
	}
	return buf;
}

START_TEST(test_address_and_route_counts_are_bounded)
{
	ck_assert_int_eq(conf_test_parse(conf_test_lines("", "address = 10.0.%d.1/24\n", CONF_ADDRS_MAX)), 0);
	ck_assert_uint_eq(conf.n_addrs, CONF_ADDRS_MAX);
	ck_assert_int_eq(conf_test_parse(conf_test_lines("", "address = 10.0.%d.1/24\n", CONF_ADDRS_MAX + 1)), 1);
	ck_assert_str_eq(errout, "t.conf:69: too many addresses (at most 64)\n");
	ck_assert_uint_eq(conf.n_addrs, CONF_ADDRS_MAX);

	ck_assert_int_eq(conf_test_parse(conf_test_lines("address = 10.0.0.1/24\n",
							 "route = 10.%d.0.0/16 via 10.0.0.254\n", CONF_ROUTES_MAX)),
			 0);
	ck_assert_uint_eq(conf.n_routes, CONF_ROUTES_MAX);
	ck_assert_int_eq(conf_test_parse(conf_test_lines("address = 10.0.0.1/24\n",
							 "route = 10.%d.0.0/16 via 10.0.0.254\n", CONF_ROUTES_MAX + 1)),
			 1);
	ck_assert_str_eq(errout, "t.conf:70: too many routes (at most 64)\n");
}
END_TEST

static int list_calls, fixed_calls;
static char list_keys[64];

static void conf_test_list(void *arg, const char *section, const char *key, struct conf *running,
			   const struct conf *next)
{
	ck_assert_ptr_eq(arg, &list_calls);
	ck_assert_str_eq(section, "host");
	ck_assert_ptr_ne(running, next);
	list_calls++;
	strcat(list_keys, key);
	strcat(list_keys, " ");
}

static void conf_test_fixed(const char *section, const char *key)
{
	(void)section;
	(void)key;
	fixed_calls++;
}

START_TEST(test_reload_leaves_address_and_route_to_their_apply_step)
{
	static struct conf running, next;

	ck_assert_int_eq(conf_test_parse(BASE "address = 10.0.0.1/24\n"), 0);
	running = conf;
	ck_assert_int_eq(conf_test_parse(BASE "address = 10.0.1.1/24\naddress = 10.0.0.1/24\n"
					      "route = default via 10.0.1.254\n[limits]\napps = 9\n"),
			 0);
	next = conf;
	list_calls = fixed_calls = 0;
	list_keys[0] = '\0';
	conf_reload(&running, &next, conf_test_fixed, conf_test_list, &list_calls);
	/* Addresses before routes, so that a new route's gateway is on-link; the lists are not copied. */
	ck_assert_str_eq(list_keys, "address route ");
	ck_assert_int_eq(fixed_calls, 0);
	ck_assert_uint_eq(running.n_addrs, 1);
	ck_assert_uint_eq(running.n_routes, 0);
	ck_assert_uint_eq(running.max_apps, 9);
}
END_TEST

START_TEST(test_unknown_section_is_reported_once_and_its_keys_skipped)
{
	ck_assert_int_eq(conf_test_parse(BASE "[bogus]\nfoo = 1\nbar = 2\n[limits]\napps = 7\n"), 1);
	ck_assert_str_eq(errout, "t.conf:5: unknown section [bogus]\n");
	ck_assert_uint_eq(conf.max_apps, 7);
}
END_TEST

START_TEST(test_unknown_key_is_reported_with_its_section)
{
	ck_assert_int_eq(conf_test_parse(BASE "[limits]\napp = 5\n"), 1);
	ck_assert_str_eq(errout, "t.conf:6: unknown key 'app' in section [limits]\n");
}
END_TEST

START_TEST(test_key_before_any_section_is_reported)
{
	ck_assert_int_eq(conf_test_parse("devargs = x\n" BASE), 1);
	ck_assert_str_eq(errout, "t.conf:1: key 'devargs' before any section\n");
}
END_TEST

START_TEST(test_line_without_equals_is_reported)
{
	ck_assert_int_eq(conf_test_parse(BASE "[limits]\napps 5\n"), 1);
	ck_assert_str_eq(errout, "t.conf:6: expected 'key = value' or '[section]'\n");
}
END_TEST

START_TEST(test_missing_key_before_equals_is_reported)
{
	ck_assert_int_eq(conf_test_parse(BASE "[limits]\n = 5\n"), 1);
	ck_assert_str_eq(errout, "t.conf:6: missing key before '='\n");
}
END_TEST

START_TEST(test_malformed_section_headers_are_reported)
{
	/* The keys under a bad header are skipped, so devargs is then missing. */
	ck_assert_int_eq(conf_test_parse("[nic\ndevargs = x\n[host]\ntap = t\n[]\n[ ]\n[a]b]\n[[x]\n"), 6);
	ck_assert_str_eq(errout, "t.conf:1: malformed section header, expected [name]\n"
				 "t.conf:5: malformed section header, expected [name]\n"
				 "t.conf:6: malformed section header, expected [name]\n"
				 "t.conf:7: malformed section header, expected [name]\n"
				 "t.conf:8: malformed section header, expected [name]\n"
				 "t.conf: missing required key [nic] devargs\n");
}
END_TEST

START_TEST(test_empty_value_is_reported)
{
	ck_assert_int_eq(conf_test_parse(BASE "[limits]\napps =   # nothing\n"), 1);
	ck_assert_str_eq(errout, "t.conf:6: empty value for key 'apps'\n");
	ck_assert_uint_eq(conf.max_apps, 1024);
}
END_TEST

START_TEST(test_empty_required_value_is_not_also_reported_missing)
{
	ck_assert_int_eq(conf_test_parse("[nic]\ndevargs =\n[host]\ntap = t\n"), 1);
	ck_assert_str_eq(errout, "t.conf:2: empty value for key 'devargs'\n");
}
END_TEST

#define TAP_EXPECT   "an interface name without '/', ':' or blanks, and not '.' or '..'"
#define ADDR_EXPECT  "an IPv4 or IPv6 address with a prefix length, like 10.0.0.1/24 or fd00::1/64"
#define GROUP_EXPECT "a group name made of letters, digits, '_', '.' and '-'"
#define ROUTE_EXPECT "PREFIX via GATEWAY or default via GATEWAY, like 198.51.100.0/24 via 10.0.0.254"

/* One bad value per case, each on its own line of a complete config; the message says what was expected. */
static const struct {
	const char *text;
	const char *msg;
} bad_values[] = {
	{ BASE "[limits]\nring_size = 100\n",
	  "t.conf:6: ring_size must be a power of two between 64 and 32768, got '100'\n" },
	{ BASE "[limits]\nring_size = 32\n",
	  "t.conf:6: ring_size must be a power of two between 64 and 32768, got '32'\n" },
	{ BASE "[limits]\nring_size = 65536\n",
	  "t.conf:6: ring_size must be a power of two between 64 and 32768, got '65536'\n" },
	{ BASE "[nic]\nrx_desc = 8192\n",
	  "t.conf:6: rx_desc must be a power of two between 64 and 4096, got '8192'\n" },
	{ BASE "[nic]\ntx_desc = 1000\n",
	  "t.conf:6: tx_desc must be a power of two between 64 and 4096, got '1000'\n" },
	{ BASE "[limits]\napps = 0\n", "t.conf:6: apps must be an integer between 1 and 65536, got '0'\n" },
	{ BASE "[limits]\napps = 65537\n", "t.conf:6: apps must be an integer between 1 and 65536, got '65537'\n" },
	{ BASE "[limits]\napps = -1\n", "t.conf:6: apps must be an integer between 1 and 65536, got '-1'\n" },
	{ BASE "[limits]\napps = +5\n", "t.conf:6: apps must be an integer between 1 and 65536, got '+5'\n" },
	{ BASE "[limits]\napps = 0x10\n", "t.conf:6: apps must be an integer between 1 and 65536, got '0x10'\n" },
	{ BASE "[limits]\napps = 12abc\n", "t.conf:6: apps must be an integer between 1 and 65536, got '12abc'\n" },
	{ BASE "[limits]\napps = 1 2\n", "t.conf:6: apps must be an integer between 1 and 65536, got '1 2'\n" },
	{ BASE "[limits]\napps = 99999999999999999999999\n",
	  "t.conf:6: apps must be an integer between 1 and 65536, got '99999999999999999999999'\n" },
	{ BASE "[limits]\nqueues_per_app = 65\n",
	  "t.conf:6: queues_per_app must be an integer between 1 and 64, got '65'\n" },
	{ BASE "[limits]\nbindings_per_app = 0\n",
	  "t.conf:6: bindings_per_app must be an integer between 1 and 65536, got '0'\n" },
	{ BASE "[limits]\nbindings = 1048577\n",
	  "t.conf:6: bindings must be an integer between 1 and 1048576, got '1048577'\n" },
	{ BASE "[datapath]\nmbufs = 4094\n",
	  "t.conf:6: mbufs must be an integer between 4095 and 1048575, got '4094'\n" },
	{ BASE "[datapath]\nburst = 65\n", "t.conf:6: burst must be an integer between 1 and 64, got '65'\n" },
	{ BASE "[datapath]\nrestart_hold_s = 301\n",
	  "t.conf:6: restart_hold_s must be an integer between 0 (off) and 300, got '301'\n" },
	{ BASE "[datapath]\nidle = Poll\n", "t.conf:6: idle must be adaptive or poll, got 'Poll'\n" },
	{ BASE "[datapath]\nidle = sleep\n", "t.conf:6: idle must be adaptive or poll, got 'sleep'\n" },
	{ BASE "exception = vhost\n", "t.conf:5: exception must be tap or virtio-user, got 'vhost'\n" },
	{ BASE "exception = virtio_user\n", "t.conf:5: exception must be tap or virtio-user, got 'virtio_user'\n" },
	{ BASE "[control]\nmode = 0778\n", "t.conf:6: mode must be an octal mode between 0 and 0777, got '0778'\n" },
	{ BASE "[control]\nmode = 01000\n", "t.conf:6: mode must be an octal mode between 0 and 0777, got '01000'\n" },
	{ BASE "[control]\nmode = -0660\n", "t.conf:6: mode must be an octal mode between 0 and 0777, got '-0660'\n" },
	{ BASE "[control]\nsocket = run/mstackd.sock\n",
	  "t.conf:6: socket must be an absolute path, got 'run/mstackd.sock'\n" },
	{ BASE "[control]\ngroup = wheel!\n", "t.conf:6: group must be " GROUP_EXPECT ", got 'wheel!'\n" },
	{ BASE "[control]\nadmin_group = a b\n", "t.conf:6: admin_group must be " GROUP_EXPECT ", got 'a b'\n" },
	{ BASE "[control]\nmax_connections = 0\n",
	  "t.conf:6: max_connections must be an integer between 1 and 1048576, got '0'\n" },
	{ BASE "address = 10.0.0.1\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.1'\n" },
	{ BASE "address = 10.0.0.1/33\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.1/33'\n" },
	{ BASE "address = 10.0.0.1/\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.1/'\n" },
	{ BASE "address = 10.0.0.1/24x\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.1/24x'\n" },
	{ BASE "address = 10.0.0.1/-1\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.1/-1'\n" },
	{ BASE "address = 10.0.0/24\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0/24'\n" },
	{ BASE "address = 10.0.0.256/24\n", "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.256/24'\n" },
	{ BASE "address = fd00::1/129\n", "t.conf:5: address must be " ADDR_EXPECT ", got 'fd00::1/129'\n" },
	{ BASE "address = fe80::1%eth0/64\n", "t.conf:5: address must be " ADDR_EXPECT ", got 'fe80::1%eth0/64'\n" },
	{ BASE "address = mstack.example/24\n",
	  "t.conf:5: address must be " ADDR_EXPECT ", got 'mstack.example/24'\n" },
	{ BASE "address = 0.0.0.0/0\n", "t.conf:5: address 0.0.0.0/0 is not a unicast address\n" },
	{ BASE "address = ::/64\n", "t.conf:5: address ::/64 is not a unicast address\n" },
	{ BASE "address = 224.0.0.1/4\n", "t.conf:5: address 224.0.0.1/4 is not a unicast address\n" },
	{ BASE "address = ff02::1/64\n", "t.conf:5: address ff02::1/64 is not a unicast address\n" },
	{ BASE "address = 10.0.0.1/24, 10.0.1.1/24\n",
	  "t.conf:5: address must be " ADDR_EXPECT ", got '10.0.0.1/24, 10.0.1.1/24'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0/24\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0/24'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0/24 via\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0/24 via'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0/24 gw 10.0.0.254\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0/24 gw 10.0.0.254'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0/24 via 10.0.0.254 dev x\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0/24 via 10.0.0.254 dev x'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0 via 10.0.0.254\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0 via 10.0.0.254'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0/33 via 10.0.0.254\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0/33 via 10.0.0.254'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.0/24 via gateway.example\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got '198.51.100.0/24 via gateway.example'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = dflt via 10.0.0.254\n",
	  "t.conf:6: route must be " ROUTE_EXPECT ", got 'dflt via 10.0.0.254'\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 2001:db8::/32 via 10.0.0.254\n",
	  "t.conf:6: route 2001:db8::/32: the gateway 10.0.0.254 is not of the destination's family\n" },
	{ BASE "address = 10.0.0.1/24\nroute = ::/0 via 10.0.0.254\n",
	  "t.conf:6: route ::/0: the gateway 10.0.0.254 is not of the destination's family\n" },
	{ BASE "address = 10.0.0.1/24\nroute = 198.51.100.7/24 via 10.0.0.254\n",
	  "t.conf:6: route 198.51.100.7/24: bits set past the prefix length (the network is 198.51.100.0/24)\n" },
	{ BASE "address = 10.0.0.1/24\nroute = default via 0.0.0.0\n",
	  "t.conf:6: route default: the gateway 0.0.0.0 is not a unicast address\n" },
	{ BASE "address = 10.0.0.1/24\nroute = default via 224.0.0.1\n",
	  "t.conf:6: route default: the gateway 224.0.0.1 is not a unicast address\n" },
	{ BASE "route = default via 10.0.0.254\naddress = 10.0.1.1/24\n",
	  "t.conf:5: route gateway 10.0.0.254 is not on-link: no [host] address has a prefix that holds it\n" },
	{ BASE "address = 10.0.0.1/32\nroute = default via 10.0.0.254\n",
	  "t.conf:6: route gateway 10.0.0.254 is not on-link: no [host] address has a prefix that holds it\n" },
	{ BASE "address = 10.0.0.1/24\nroute = default via 10.0.0.1\n",
	  "t.conf:6: route gateway 10.0.0.1 is one of the [host] addresses, not a next hop\n" },
	{ BASE "address = 10.0.0.1/24\nroute = ::/0 via fd00::fe\n",
	  "t.conf:6: route gateway fd00::fe is not on-link: no [host] address has a prefix that holds it\n" },
	{ "[nic]\ndevargs = x\n[host]\ntap = a/b\n", "t.conf:4: tap must be " TAP_EXPECT ", got 'a/b'\n" },
	{ "[nic]\ndevargs = x\n[host]\ntap = a b\n", "t.conf:4: tap must be " TAP_EXPECT ", got 'a b'\n" },
	{ "[nic]\ndevargs = x\n[host]\ntap = a:b\n", "t.conf:4: tap must be " TAP_EXPECT ", got 'a:b'\n" },
	{ "[nic]\ndevargs = x\n[host]\ntap = .\n", "t.conf:4: tap must be " TAP_EXPECT ", got '.'\n" },
	{ "[nic]\ndevargs = x\n[host]\ntap = ..\n", "t.conf:4: tap must be " TAP_EXPECT ", got '..'\n" },
};

START_TEST(test_bad_value_is_reported_with_what_was_expected)
{
	ck_assert_int_eq(conf_test_parse(bad_values[_i].text), 1);
	ck_assert_str_eq(errout, bad_values[_i].msg);
}
END_TEST

START_TEST(test_bad_value_leaves_the_default_in_place)
{
	ck_assert_int_eq(conf_test_parse(BASE "address = 10.0.0.1/33\n[nic]\nrx_desc = 100\n"), 2);
	ck_assert_uint_eq(conf.n_addrs, 0);
	ck_assert_uint_eq(conf.nic_rx_desc, 1024);
}
END_TEST

START_TEST(test_duplicate_key_is_reported_even_across_repeated_sections)
{
	const char *text = BASE "[limits]\n"
				"apps = 10\n"
				"[nic]\n"
				"rx_desc = 512\n"
				"devargs = other\n"
				"[limits]\n"
				"apps = 20\n";

	ck_assert_int_eq(conf_test_parse(text), 2);
	ck_assert_str_eq(errout, "t.conf:9: duplicate key 'devargs' in section [nic], first set on line 2\n"
				 "t.conf:11: duplicate key 'apps' in section [limits], first set on line 6\n");
	/* The first value stands, and keys of a repeated section merge. */
	ck_assert_str_eq(conf.nic_devargs, "net_af_packet0,iface=veth0");
	ck_assert_uint_eq(conf.max_apps, 10);
	ck_assert_uint_eq(conf.nic_rx_desc, 512);
}
END_TEST

/* head, prefix, n copies of fill and a newline, in a static buffer. */
static const char *conf_test_long_value(const char *head, const char *prefix, char fill, size_t n)
{
	static char buf[8192];
	size_t len = strlen(head) + strlen(prefix);

	ck_assert_uint_lt(len + n + 2, sizeof(buf));
	strcpy(buf, head);
	strcat(buf, prefix);
	memset(buf + len, fill, n);
	strcpy(buf + len + n, "\n");
	return buf;
}

START_TEST(test_value_too_long_for_its_buffer_is_reported)
{
	const char *nic = "[host]\ntap = t\n[nic]\ndevargs = ";

	ck_assert_int_eq(conf_test_parse(conf_test_long_value(nic, "", 'd', CONF_DEVARGS_MAX - 1)), 0);
	ck_assert_uint_eq(strlen(conf.nic_devargs), CONF_DEVARGS_MAX - 1);
	ck_assert_int_eq(conf_test_parse(conf_test_long_value(nic, "", 'd', CONF_DEVARGS_MAX)), 1);
	ck_assert_str_eq(errout, "t.conf:4: value of devargs too long (at most 511 characters)\n");

	ck_assert_int_eq(conf_test_parse(conf_test_long_value(BASE "[eal]\nargs = ", "", 'a', CONF_EAL_ARGS_MAX)), 1);
	ck_assert_str_eq(errout, "t.conf:6: value of args too long (at most 1023 characters)\n");

	ck_assert_int_eq(conf_test_parse(conf_test_long_value("[nic]\ndevargs = x\n[host]\ntap = ", "", 't', 15)), 0);
	ck_assert_int_eq(conf_test_parse(conf_test_long_value("[nic]\ndevargs = x\n[host]\ntap = ", "", 't', 16)), 1);
	ck_assert_str_eq(errout, "t.conf:4: value of tap too long (at most 15 characters)\n");

	ck_assert_int_eq(conf_test_parse(conf_test_long_value(BASE "[control]\nsocket = ", "/", 's', 106)), 0);
	ck_assert_uint_eq(strlen(conf.ctl_socket), 107);
	ck_assert_int_eq(conf_test_parse(conf_test_long_value(BASE "[control]\nsocket = ", "/", 's', 107)), 1);
	ck_assert_str_eq(errout, "t.conf:6: value of socket too long (at most 107 characters)\n");

	ck_assert_int_eq(conf_test_parse(conf_test_long_value(BASE "[control]\ngroup = ", "", 'g', 64)), 1);
	ck_assert_str_eq(errout, "t.conf:6: value of group too long (at most 63 characters)\n");
}
END_TEST

START_TEST(test_line_too_long_is_reported_and_the_next_line_still_parsed)
{
	static char cs[4096], text[8192];

	memset(cs, 'c', sizeof(cs));

	/* A comment of exactly 4095 characters is fine. */
	snprintf(text, sizeof(text), "%s#%.*s\n[limits]\napps = 3\n", BASE, 4094, cs);
	ck_assert_int_eq(conf_test_parse(text), 0);
	ck_assert_uint_eq(conf.max_apps, 3);

	/* One more and the line is refused whole; line numbers stay right after it. */
	snprintf(text, sizeof(text), "%s#%.*s\n[limits]\napps = 0\n", BASE, 4095, cs);
	ck_assert_int_eq(conf_test_parse(text), 2);
	ck_assert_str_eq(errout, "t.conf:5: line too long (more than 4095 characters)\n"
				 "t.conf:7: apps must be an integer between 1 and 65536, got '0'\n");
}
END_TEST

START_TEST(test_nul_byte_in_a_line_is_reported)
{
	static const char text[] = BASE "[control]\ngroup = ab\0cd\n";

	ck_assert_int_eq(conf_test_parse_len(text, sizeof(text) - 1), 1);
	ck_assert_str_eq(errout, "t.conf:6: line contains a NUL byte\n");
	ck_assert_str_eq(conf.ctl_group, "");
}
END_TEST

START_TEST(test_missing_required_keys_are_reported_after_parsing)
{
	ck_assert_int_eq(conf_test_parse(""), 2);
	ck_assert_str_eq(errout, "t.conf: missing required key [nic] devargs\n"
				 "t.conf: missing required key [host] tap\n");

	ck_assert_int_eq(conf_test_parse("[eal]\nargs = --no-huge\n[host]\ntap = t\n"), 1);
	ck_assert_str_eq(errout, "t.conf: missing required key [nic] devargs\n");
}
END_TEST

START_TEST(test_every_error_in_a_file_is_reported_with_its_own_line)
{
	const char *text = "; broken on purpose\n"      /* 1 */
			   "burst = 8\n"                /* 2 */
			   "[nic]\n"                    /* 3 */
			   "devargs = net_af_packet0\n" /* 4 */
			   "rx_desc = 1000\n"           /* 5 */
			   "speed = 10G\n"              /* 6 */
			   "[nic\n"                     /* 7 */
			   "[host]\n"                   /* 8 */
			   "address = 10.0.0.1\n"       /* 9 */
			   "just some words\n"          /* 10 */
			   "[datapath]\n"               /* 11 */
			   "burst = 16\n"               /* 12 */
			   "burst = 64\n"               /* 13 */
			   "mbufs =\n"                  /* 14 */
			   "[stats]\n"                  /* 15 */
			   "interval = 1\n"             /* 16 */
			   "[control]\n"                /* 17 */
			   "mode = 999\n";              /* 18 */

	ck_assert_int_eq(conf_test_parse(text), 11);
	ck_assert_str_eq(errout, "t.conf:2: key 'burst' before any section\n"
				 "t.conf:5: rx_desc must be a power of two between 64 and 4096, got '1000'\n"
				 "t.conf:6: unknown key 'speed' in section [nic]\n"
				 "t.conf:7: malformed section header, expected [name]\n"
				 "t.conf:9: address must be " ADDR_EXPECT ", got '10.0.0.1'\n"
				 "t.conf:10: expected 'key = value' or '[section]'\n"
				 "t.conf:13: duplicate key 'burst' in section [datapath], first set on line 12\n"
				 "t.conf:14: empty value for key 'mbufs'\n"
				 "t.conf:15: unknown section [stats]\n"
				 "t.conf:18: mode must be an octal mode between 0 and 0777, got '999'\n"
				 "t.conf: missing required key [host] tap\n");
	ck_assert_uint_eq(conf.burst, 16);
}
END_TEST

START_TEST(test_errors_are_counted_without_an_error_stream)
{
	FILE *in = fmemopen((void *)"x\n", 2, "r");

	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(conf_parse(in, "t.conf", &conf, NULL), 3);
	fclose(in);
}
END_TEST

START_TEST(test_load_of_missing_file_returns_enoent)
{
	size_t outlen;
	FILE *errs = open_memstream(&errout, &outlen);

	ck_assert_ptr_nonnull(errs);
	ck_assert_int_eq(conf_load("/nonexistent/mstackd.conf", &conf, errs), -ENOENT);
	fclose(errs);
	ck_assert_str_eq(errout, "/nonexistent/mstackd.conf: No such file or directory\n");
}
END_TEST

START_TEST(test_load_names_the_file_in_its_errors)
{
	char path[] = "/tmp/check_conf.XXXXXX";
	const char *text = BASE "[limits]\nburst = 1\n";
	char want[128];
	size_t outlen;
	FILE *errs;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	errs = open_memstream(&errout, &outlen);
	ck_assert_ptr_nonnull(errs);
	ck_assert_int_eq(conf_load(path, &conf, errs), 1);
	fclose(errs);
	unlink(path);
	snprintf(want, sizeof(want), "%s:6: unknown key 'burst' in section [limits]\n", path);
	ck_assert_str_eq(errout, want);
	ck_assert_str_eq(conf.tap_name, "mstack0");
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, NULL, conf_test_teardown);
	tcase_add_test(tc, test_full_ipv4_config_sets_every_field);
	tcase_add_test(tc, test_restart_hold_s_0_turns_the_hold_off);
	tcase_add_test(tc, test_ipv6_address_is_stored_with_its_prefix);
	tcase_add_test(tc, test_absent_keys_take_their_defaults);
	tcase_add_test(tc, test_word_keys_take_each_word_of_their_list);
	tcase_add_test(tc, test_parse_resets_struct_to_defaults_first);
	tcase_add_test(tc, test_comments_blank_lines_and_whitespace_are_ignored);
	tcase_add_test(tc, test_last_line_without_newline_is_parsed);
	tcase_add_test(tc, test_address_repeats_and_each_line_adds_one_in_file_order);
	tcase_add_test(tc, test_route_forms_give_destination_and_gateway);
	tcase_add_test(tc, test_reload_leaves_address_and_route_to_their_apply_step);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, NULL, conf_test_teardown);
	tcase_add_test(tc, test_unknown_section_is_reported_once_and_its_keys_skipped);
	tcase_add_test(tc, test_unknown_key_is_reported_with_its_section);
	tcase_add_test(tc, test_key_before_any_section_is_reported);
	tcase_add_test(tc, test_line_without_equals_is_reported);
	tcase_add_test(tc, test_missing_key_before_equals_is_reported);
	tcase_add_test(tc, test_malformed_section_headers_are_reported);
	tcase_add_test(tc, test_empty_value_is_reported);
	tcase_add_test(tc, test_empty_required_value_is_not_also_reported_missing);
	tcase_add_loop_test(tc, test_bad_value_is_reported_with_what_was_expected, 0,
			    (int)(sizeof(bad_values) / sizeof(bad_values[0])));
	tcase_add_test(tc, test_bad_value_leaves_the_default_in_place);
	tcase_add_test(tc, test_duplicate_key_is_reported_even_across_repeated_sections);
	tcase_add_test(tc, test_duplicate_address_is_reported_with_the_first_line);
	tcase_add_test(tc, test_address_and_route_counts_are_bounded);
	tcase_add_test(tc, test_value_too_long_for_its_buffer_is_reported);
	tcase_add_test(tc, test_line_too_long_is_reported_and_the_next_line_still_parsed);
	tcase_add_test(tc, test_nul_byte_in_a_line_is_reported);
	tcase_add_test(tc, test_missing_required_keys_are_reported_after_parsing);
	tcase_add_test(tc, test_every_error_in_a_file_is_reported_with_its_own_line);
	tcase_add_test(tc, test_errors_are_counted_without_an_error_stream);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, NULL, conf_test_teardown);
	tcase_add_test(tc, test_load_of_missing_file_returns_enoent);
	tcase_add_test(tc, test_load_names_the_file_in_its_errors);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(conf_suite)
