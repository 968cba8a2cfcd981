/* SPDX-License-Identifier: BSD-2-Clause */
/* port.c - EAL start-up and the NIC and TAP ports: probe, configure, start, stop. */
#include "port.h"

#include <bsd/string.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "hostaddr.h"
#include "kern.h"
#include "log.h"

#define PORT_EAL_ARGV_MAX 64
#define PORT_MBUF_CACHE   256
#define PORT_VHOST_NET    "/dev/vhost-net" /* virtio-user's kernel backend */

/*
 * -rte_errno after a failed DPDK call, never 0: some EAL paths fail without
 * setting it, and a 0 would let start-up go on as if the call had worked.
 */
static int port_rte_errno(void)
{
	return rte_errno > 0 ? -rte_errno : -EIO;
}

int port_eal_init(const struct conf *c, const char *argv0)
{
	static char args[CONF_EAL_ARGS_MAX]; /* EAL may keep pointers into argv */
	static char *argv[PORT_EAL_ARGV_MAX + 2];
	int argc = 0, rc;
	char *tok, *save = NULL;

	strlcpy(args, c->eal_args, sizeof(args));
	argv[argc++] = (char *)argv0;
	for (tok = strtok_r(args, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc > PORT_EAL_ARGV_MAX) {
			log_err("[eal] args: more than %d arguments", PORT_EAL_ARGV_MAX);
			return -E2BIG;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		rc = port_rte_errno();
		log_err("rte_eal_init failed: %s", rte_strerror(-rc));
		return rc;
	}
	return 0;
}

/* Probe devargs and find the ethdev it created. */
static int port_probe(const char *devargs, uint16_t *port)
{
	struct rte_dev_iterator it;
	uint16_t id;
	int rc;

	/* A PCI device may already be probed by the EAL's bus scan: look first. */
	RTE_ETH_FOREACH_MATCHING_DEV (id, devargs, &it) {
		*port = id;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	rc = rte_dev_probe(devargs);
	if (rc < 0) {
		log_err("cannot probe device '%s': %s", devargs, rte_strerror(-rc));
		return rc;
	}
	RTE_ETH_FOREACH_MATCHING_DEV (id, devargs, &it) {
		*port = id;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	log_err("device '%s' probed but has no ethdev port", devargs);
	return -ENODEV;
}

/*
 * Configure nrxq rx and ntxq tx queues, with rx interrupts if want_intr (the
 * NIC with [datapath] idle = adaptive, for idle.c; the TAP always, for the
 * main lcore's loop). A PMD that refuses them is configured without, and
 * whoever sleeps on the port finds that it has none.
 */
static int port_configure(uint16_t port, const char *what, uint16_t nrxq, uint16_t ntxq, bool want_intr,
			  struct rte_eth_conf *ec)
{
	int rc;

	if (want_intr) {
		ec->intr_conf.rxq = 1;
		rc = rte_eth_dev_configure(port, nrxq, ntxq, ec);
		if (rc == 0)
			return 0;
		log_info("%s port %u refuses rx interrupts (%s): it is polled on a timer while idle", what, port,
			 rte_strerror(-rc));
		ec->intr_conf.rxq = 0;
	}
	return rte_eth_dev_configure(port, nrxq, ntxq, ec);
}

/*
 * Several queues: spread flows over them with the NIC's RSS on the IP
 * addresses and TCP/UDP ports, where the PMD has it (ixgbe: Toeplitz over
 * up to 16 queues). A PMD without RSS spreads in its own way or not at all:
 * net_af_packet's queues are sockets in one PACKET_FANOUT_HASH group (with
 * FLAG_DEFRAG and FLAG_ROLLOVER), so the kernel's flow hash picks the queue,
 * which keeps a flow on one queue too, except that a socket whose ring is
 * full rolls frames over to another. Whichever worker receives a frame, it
 * reaches the app queue its flow hash names (dp.c).
 */
static void port_rss(uint16_t port, const char *what, uint16_t nq, const struct rte_eth_dev_info *info,
		     struct rte_eth_conf *ec)
{
	uint64_t hf = info->flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);

	if (nq <= 1)
		return;
	if (hf == 0) {
		log_info("%s port %u (%s) has no RSS: its driver spreads frames over the %u queues", what, port,
			 info->driver_name, nq);
		return;
	}
	ec->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	ec->rx_adv_conf.rss_conf.rss_key = NULL; /* the PMD's default key */
	ec->rx_adv_conf.rss_conf.rss_hf = hf;
	log_info("%s port %u: RSS over %u queues", what, port, nq);
}

static int port_start(uint16_t port, const char *what, const struct conf *c, uint16_t nrxq, uint16_t ntxq,
		      bool want_intr, struct rte_mempool *pool)
{
	struct rte_eth_conf ec;
	struct rte_eth_dev_info info;
	uint16_t rxd = c->nic_rx_desc, txd = c->nic_tx_desc, q;
	int rc;

	memset(&ec, 0, sizeof(ec));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0)
		goto fail;
	/* Let a NIC that can verify IPv4 header checksums do so; the classifier trusts the flag. */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	if (nrxq > info.max_rx_queues || ntxq > info.max_tx_queues) {
		log_err("%s port %u (%s) has at most %u rx and %u tx queues: too few for %u rx and %u tx", what, port,
			info.driver_name, info.max_rx_queues, info.max_tx_queues, nrxq, ntxq);
		return -EINVAL;
	}
	port_rss(port, what, nrxq, &info, &ec);
	rc = port_configure(port, what, nrxq, ntxq, want_intr, &ec);
	if (rc < 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc < 0)
		goto fail;
	for (q = 0; q < nrxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, rte_eth_dev_socket_id(port), NULL, pool);
		if (rc < 0)
			goto fail;
	}
	for (q = 0; q < ntxq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, txd, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0)
			goto fail;
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	log_err("cannot start %s port %u: %s", what, port, rte_strerror(-rc));
	return rc;
}

/*
 * The NIC's queue counts (port.h). A tx queue beyond the workers' goes to the
 * TAP lcore, so that the kernel's frames leave without a hop through worker
 * 0 (handover.h); rx stays one queue per worker, as RSS spreads over the rx
 * queues configured. Except net_af_packet: its queues are sockets opened at
 * probe, every one in the fanout group, and an unpolled one would still take
 * its share of the flows (until its ring is full, then roll them over): all
 * of them are configured, and worker 0 polls those past the workers'.
 */
static int port_nic_queues(struct ports *p, uint16_t nworkers, bool kernel_txq_ok)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(p->nic, &info);

	if (rc < 0) {
		log_err("cannot read the NIC's device info: %s", rte_strerror(-rc));
		return rc;
	}
	p->nic_rxqs = p->nic_txqs = nworkers;
	p->kernel_txq = PORT_NO_TXQ;
	if (kernel_txq_ok && info.max_tx_queues > nworkers) {
		p->kernel_txq = nworkers;
		p->nic_txqs = nworkers + 1;
	}
	if (strcmp(info.driver_name, "net_af_packet") == 0 && info.max_rx_queues > nworkers)
		p->nic_rxqs = info.max_rx_queues;
	if (p->kernel_txq != PORT_NO_TXQ)
		log_notice("the kernel's frames leave by NIC tx queue %u, the TAP lcore's own (%s has %u tx queues, "
			   "%u workers)",
			   p->kernel_txq, info.driver_name, info.max_tx_queues, nworkers);
	else
		log_notice("the kernel's frames leave through worker 0's NIC tx queue (%s has %u tx queue(s) for %u "
			   "worker(s), none spare)",
			   info.driver_name, info.max_tx_queues, nworkers);
	if (p->nic_rxqs > nworkers)
		log_info("%s: its %u queues all receive; worker 0 also polls rx queues %u..%u", info.driver_name,
			 p->nic_rxqs, nworkers, p->nic_rxqs - 1);
	return 0;
}

/*
 * Create the kernel's port, [host] exception: a net_tap, or virtio-user over
 * /dev/vhost-net (the kernel's vhost worker moves frames between the virtio
 * rings and a TAP it creates, no system call per burst on our side). Either
 * way the kernel sees an interface named [host] tap with the NIC's MAC, so
 * that its ARP/ND answers name the NIC: frames pass between the two ports
 * unchanged.
 */
static int port_exception_probe(struct ports *p, const struct conf *c, const struct rte_ether_addr *mac)
{
	char args[160];

	if (c->exception == CONF_EXCEPTION_VIRTIO_USER) {
		if (access(PORT_VHOST_NET, R_OK | W_OK) < 0) {
			int rc = -errno;

			log_err("[host] exception = virtio-user needs %s: %s (load the vhost_net module, or use "
				"exception = tap)",
				PORT_VHOST_NET, strerror(-rc));
			return rc;
		}
		snprintf(p->tap_devname, sizeof(p->tap_devname), "virtio_user_mstack");
		snprintf(args, sizeof(args), "%s,path=%s,iface=%s,queues=1,queue_size=1024,mac=" RTE_ETHER_ADDR_PRT_FMT,
			 p->tap_devname, PORT_VHOST_NET, c->tap_name, RTE_ETHER_ADDR_BYTES(mac));
	} else {
		snprintf(p->tap_devname, sizeof(p->tap_devname), "net_tap_mstack");
		snprintf(args, sizeof(args), "%s,iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, p->tap_devname, c->tap_name,
			 RTE_ETHER_ADDR_BYTES(mac));
	}
	return port_probe(args, &p->tap);
}

int port_setup(struct ports *p, const struct conf *c, const char *conf_path, uint16_t nworkers, bool kernel_txq_ok)
{
	struct rte_ether_addr mac;
	unsigned nbufs = c->mbufs;
	int rc;

	memset(p, 0, sizeof(*p));
	p->pool = rte_pktmbuf_pool_create("mstack_mbufs", nbufs, PORT_MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (!p->pool) {
		rc = port_rte_errno();
		log_err("cannot create a pool of %u mbufs: %s", nbufs, rte_strerror(-rc));
		return rc;
	}
	rc = port_probe(c->nic_devargs, &p->nic);
	if (rc < 0)
		return rc;
	p->nic_probed = true;
	rc = rte_eth_macaddr_get(p->nic, &mac);
	if (rc < 0) {
		log_err("cannot read the MAC address of '%s': %s", c->nic_devargs, rte_strerror(-rc));
		return rc;
	}
	memcpy(p->nic_mac, mac.addr_bytes, 6);
	rc = port_nic_queues(p, nworkers, kernel_txq_ok);
	if (rc < 0)
		return rc;
	rc = port_start(p->nic, "NIC", c, p->nic_rxqs, p->nic_txqs, c->idle == CONF_IDLE_ADAPTIVE, p->pool);
	if (rc < 0)
		return rc;
	/* Multicast (IPv6 neighbour discovery, mDNS...) must reach the kernel. */
	rc = rte_eth_allmulticast_enable(p->nic);
	if (rc < 0 && rc != -ENOTSUP) /* a PMD without the notion (af_packet) receives everything */
		log_warn("cannot enable all-multicast on '%s': %s; IPv6 neighbour discovery may not reach the kernel",
			 c->nic_devargs, rte_strerror(-rc));
	if (rte_eth_dev_get_mtu(p->nic, &p->mtu) < 0)
		p->mtu = 1500;

	rc = port_exception_probe(p, c, &mac);
	if (rc < 0)
		return rc;
	p->tap_probed = true;
	rc = port_start(p->tap, "TAP", c, 1, 1, true, p->pool);
	if (rc < 0)
		return rc;
	/* net_tap sets the kernel side's MAC from its mac= itself; virtio-user's vhost-net TAP gets a random one. */
	if (c->exception == CONF_EXCEPTION_VIRTIO_USER && (rc = kern_link_set_mac(c->tap_name, p->nic_mac)) < 0) {
		log_err("cannot give %s the NIC's MAC address: %s", c->tap_name, strerror(-rc));
		return rc;
	}
	rc = hostaddr_start_addrs(c, conf_path);
	if (rc < 0)
		return rc;
	rc = kern_link_up(c->tap_name);
	if (rc < 0) {
		log_err("cannot bring %s up: %s", c->tap_name, strerror(-rc));
		return rc;
	}
	/* A gateway is on-link only once the link is up. */
	return hostaddr_start_routes(c, conf_path);
}

static void port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

void port_teardown(struct ports *p)
{
	if (p->tap_probed)
		port_close(p->tap);
	if (p->nic_probed)
		port_close(p->nic);
	p->tap_probed = p->nic_probed = false;
}

bool port_link_up(uint16_t port, uint32_t *speed_mbps)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port, &link) < 0)
		return false;
	if (speed_mbps)
		*speed_mbps = link.link_speed;
	return link.link_status == RTE_ETH_LINK_UP;
}
