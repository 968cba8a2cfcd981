/* SPDX-License-Identifier: BSD-2-Clause */
/* port.h - EAL start-up and the two DPDK ports mstackd owns: the NIC and the kernel's TAP. */
#ifndef MSTACK_PORT_H
#define MSTACK_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

struct rte_mempool;

struct ports {
	uint16_t nic;
	uint16_t tap;
	uint8_t nic_mac[6];
	uint16_t mtu;
	bool nic_probed, tap_probed;
	struct rte_mempool *pool;
	char tap_devname[32];
};

/* rte_eal_init with the config's [eal] args. Returns 0 or -errno (logged). */
int port_eal_init(const struct conf *c, const char *argv0);

/*
 * Probe and start the NIC (devargs) with an rx/tx queue pair per worker,
 * create the TAP (one queue pair, served by the main lcore) with the NIC's MAC,
 * put the [host] addresses on it, bring it up and add the [host] routes.
 * conf_path names the file in messages. Returns 0 or -errno (logged).
 */
int port_setup(struct ports *p, const struct conf *c, const char *conf_path, uint16_t nworkers);

/* Stop and close both ports (the TAP interface disappears with its port). */
void port_teardown(struct ports *p);

/* Link state of a port. */
bool port_link_up(uint16_t port, uint32_t *speed_mbps);

#endif
