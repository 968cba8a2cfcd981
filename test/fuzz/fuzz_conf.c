/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_conf.c - libFuzzer target: the configuration parser (conf_parse) over arbitrary text. */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conf.h"
#include "fuzz.h"

static bool fz_pow2_in(uint32_t v, uint32_t min, uint32_t max)
{
	return v >= min && v <= max && (v & (v - 1)) == 0;
}

static bool fz_terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/*
 * What the daemon may rely on. A bad value leaves its field as it was and
 * the defaults are in range, so these hold after any parse, failed or not.
 */
static void fz_check_conf(const struct conf *c)
{
	FZ_ASSERT(fz_terminated(c->eal_args, sizeof(c->eal_args)));
	FZ_ASSERT(fz_terminated(c->nic_devargs, sizeof(c->nic_devargs)));
	FZ_ASSERT(fz_terminated(c->tap_name, sizeof(c->tap_name)));
	FZ_ASSERT(fz_terminated(c->ctl_socket, sizeof(c->ctl_socket)));
	FZ_ASSERT(fz_terminated(c->ctl_group, sizeof(c->ctl_group)));
	FZ_ASSERT(fz_terminated(c->admin_group, sizeof(c->admin_group)));
	FZ_ASSERT(fz_pow2_in(c->nic_rx_desc, 64, 4096));
	FZ_ASSERT(fz_pow2_in(c->nic_tx_desc, 64, 4096));
	FZ_ASSERT(strcspn(c->tap_name, "/: \t\n\v\f\r") == strlen(c->tap_name));
	FZ_ASSERT(strcmp(c->tap_name, ".") != 0 && strcmp(c->tap_name, "..") != 0);
	FZ_ASSERT(c->ctl_socket[0] == '/');
	FZ_ASSERT((c->ctl_mode & ~(mode_t)0777) == 0);
	FZ_ASSERT(c->ctl_max_conns <= 1048576);
	FZ_ASSERT(c->max_apps >= 1 && c->max_apps <= 65536);
	FZ_ASSERT(c->max_queues >= 1 && c->max_queues <= 64);
	FZ_ASSERT(fz_pow2_in(c->max_ring_size, 64, 32768));
	FZ_ASSERT(c->max_bindings >= 1 && c->max_bindings <= 65536);
	FZ_ASSERT(c->max_bindings_all >= 1 && c->max_bindings_all <= 1048576);
	FZ_ASSERT(c->resolve_burst >= 1 && c->resolve_burst <= 4096);
	FZ_ASSERT(c->resolve_rate >= 1 && c->resolve_rate <= 1024);
	FZ_ASSERT(c->misbehave_rate <= 1000000);
	FZ_ASSERT(c->misbehave_burst >= 1 && c->misbehave_burst <= 1000000);
	FZ_ASSERT(c->mbufs >= 4095 && c->mbufs <= 1048575);
	FZ_ASSERT(c->burst >= 1 && c->burst <= 64);
	FZ_ASSERT(c->n_addrs <= CONF_ADDRS_MAX);
	for (uint32_t i = 0; i < c->n_addrs; i++) {
		FZ_ASSERT(c->addrs[i].family == AF_INET || c->addrs[i].family == AF_INET6);
		FZ_ASSERT(c->addrs[i].prefix_len <= (c->addrs[i].family == AF_INET ? 32 : 128));
		for (uint32_t j = 0; j < i; j++)
			FZ_ASSERT(c->addrs[j].family != c->addrs[i].family ||
				  memcmp(c->addrs[j].addr, c->addrs[i].addr, 16) != 0);
	}
	FZ_ASSERT(c->n_routes <= CONF_ROUTES_MAX);
	for (uint32_t i = 0; i < c->n_routes; i++) {
		FZ_ASSERT(c->routes[i].family == AF_INET || c->routes[i].family == AF_INET6);
		FZ_ASSERT(c->routes[i].dst_len <= (c->routes[i].family == AF_INET ? 32 : 128));
	}
}

/* One "fuzz:..." line per error counted, nothing else. */
static void fz_check_errs(const char *errs, size_t len, int nerr)
{
	int lines = 0;
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(errs + i, '\n', len - i);

		FZ_ASSERT(nl);
		FZ_ASSERT(len - i > 5 && memcmp(errs + i, "fuzz:", 5) == 0);
		i = (size_t)(nl - errs) + 1;
		lines++;
	}
	FZ_ASSERT(lines == nerr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;
	char *errs = NULL;
	size_t errs_len = 0;
	FILE *in, *err;
	int n;

	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	in = fmemopen((void *)data, size, "r");
	err = open_memstream(&errs, &errs_len);
	FZ_ASSERT(in && err);
	n = conf_parse(in, "fuzz", &c, err);
	fclose(in);
	fclose(err);
	FZ_ASSERT(n >= 0);
	fz_check_errs(errs, errs_len, n);
	free(errs);
	fz_check_conf(&c);
	if (n == 0) {
		/* Complete: the required keys are there. */
		FZ_ASSERT(c.nic_devargs[0] != '\0');
		FZ_ASSERT(c.tap_name[0] != '\0');
	}
	return 0;
}
