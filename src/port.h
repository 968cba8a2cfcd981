/* SPDX-License-Identifier: BSD-2-Clause */
/* port.h - EAL start-up and the two DPDK ports mstackd owns: the NIC and the kernel's TAP. */
#ifndef MSTACK_PORT_H
#define MSTACK_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

struct rte_mempool;

/*
 * The NIC's queues: rx and tx queue w for worker w; tx queue nworkers, if
 * the NIC has it, for the TAP lcore (the kernel's frames, handover.h),
 * kernel_txq then names it (else PORT_NO_TXQ). rx queues past nworkers
 * exist only where the driver receives on every queue it was probed with
 * (net_af_packet: each queue is a socket of one fanout group); worker 0
 * polls them after its own.
 */
#define PORT_NO_TXQ UINT16_MAX

struct ports {
	uint16_t nic;
	uint16_t tap;
	uint16_t nic_rxqs;
	uint16_t nic_txqs;
	uint16_t kernel_txq;
	uint8_t nic_mac[6];
	uint16_t mtu;
	bool nic_probed, tap_probed;
	struct rte_mempool *pool;
	char tap_devname[32];
};

/* rte_eal_init with the config's [eal] args. Returns 0 or -errno (logged). */
int port_eal_init(const struct conf *c, const char *argv0);

/*
 * Probe and start the NIC (devargs) with an rx/tx queue pair per worker and,
 * if kernel_txq_ok and the NIC has one more tx queue, that one for the TAP
 * lcore (logged: the route of the kernel's frames); create the TAP (one queue pair, served by the main lcore) with the
 * NIC's MAC, put the [host] addresses on it, bring it up and add the [host] routes. conf_path names the file in
 * messages. Returns 0 or -errno (logged).
 */
int port_setup(struct ports *p, const struct conf *c, const char *conf_path, uint16_t nworkers, bool kernel_txq_ok);

/* Stop and close both ports (the TAP interface disappears with its port). */
void port_teardown(struct ports *p);

/* Link state of a port. */
bool port_link_up(uint16_t port, uint32_t *speed_mbps);

#endif
