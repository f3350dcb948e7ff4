/* Ports: probe each configured device, one RX and one TX queue per worker,
 * one mempool per port sized for every place an mbuf can sit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include "dp.h"
#include "log.h"
#include "net.h"

#define DP_MEMPOOL_CACHE 256

/* The device name is the devargs up to the first comma. */
static void device_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

/* mbufs one port can hold at once: descriptors, a burst in every TX buffer,
 * every parked reply (one gate lane), every suspended transaction, every
 * steering ring slot, and each lcore's cache.  Call dp_asks_enable first. */
static unsigned pool_size(const struct dp *dp)
{
	const struct conf_dpdk *d = &dp->conf->dpdk;
	unsigned w = dp->n_workers;
	unsigned n;

	if (d->mbufs)
		return d->mbufs;
	n = w * (d->rx_desc + d->tx_desc + DP_BURST * 2 + DP_PARK_SIZE + (dp->asks ? DP_PENDING : 0))
	    + w * w * DP_STEER_RING + (w + 1) * DP_MEMPOOL_CACHE;
	/* rte_mempool is most efficient at 2^q - 1 */
	return (unsigned)rte_align32pow2(n) - 1;
}

static int port_init(struct dp *dp, unsigned idx)
{
	const struct conf_iface *ci = &dp->conf->ifaces[idx];
	const struct conf_dpdk *d = &dp->conf->dpdk;
	struct dp_port *p = &dp->ports[idx];
	struct rte_eth_conf eth_conf;
	struct rte_eth_dev_info info;
	char name[RTE_ETH_NAME_MAX_LEN], pname[RTE_MEMPOOL_NAMESIZE];
	uint16_t port_id, q, nrx = d->rx_desc, ntx = d->tx_desc;
	int ret;

	device_name(ci->device, name, sizeof(name));
	ret = rte_eth_dev_get_port_by_name(name, &port_id);
	if (ret) {
		LOG_E("interface %s: DPDK device '%s' not found (%s)", ci->name, name,
		      rte_strerror(-ret));
		return ret;
	}
	p->port_id = port_id;
	p->iface = idx;
	p->addr = ci->addr;
	dp->port_index[port_id] = (uint8_t)idx;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret)
		return ret;
	if (info.max_rx_queues < dp->n_workers || info.max_tx_queues < dp->n_workers) {
		LOG_E("interface %s: device %s has %u rx / %u tx queues, %u workers need one each "
		      "(af_packet: qpairs=N, af_xdp: queue_count=N)", ci->name, name,
		      info.max_rx_queues, info.max_tx_queues, dp->n_workers);
		return -EINVAL;
	}

	snprintf(pname, sizeof(pname), "mb_%.20s", ci->name);
	p->pool = rte_pktmbuf_pool_create(pname, pool_size(dp), DP_MEMPOOL_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_eth_dev_socket_id(port_id));
	if (!p->pool) {
		LOG_E("interface %s: mempool of %u mbufs: %s", ci->name, pool_size(dp),
		      rte_strerror(rte_errno));
		return -rte_errno;
	}

	memset(&eth_conf, 0, sizeof(eth_conf));
	ret = rte_eth_dev_configure(port_id, (uint16_t)dp->n_workers, (uint16_t)dp->n_workers,
				    &eth_conf);
	if (ret) {
		LOG_E("interface %s: configure: %s", ci->name, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrx, &ntx);
	if (ret)
		return ret;
	for (q = 0; q < dp->n_workers; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, nrx, rte_eth_dev_socket_id(port_id),
					     NULL, p->pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port_id, q, ntx,
						     rte_eth_dev_socket_id(port_id), NULL);
		if (ret) {
			LOG_E("interface %s: queue %u setup: %s", ci->name, q, rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_macaddr_get(port_id, &p->mac);
	if (ret)
		return ret;
	/* IPv6: the link-local address every port has, and the global one */
	net_ip6_linklocal(p->mac.addr_bytes, p->ip6[0]);
	p->n_ip6 = 1;
	if (ci->has_addr6)
		lease_addr6_store(ci->addr6, p->ip6[p->n_ip6++]);
	/* DHCP clients broadcast; relays and renewing clients unicast to our MAC.
	 * Promiscuous only matters on real NICs with a filter; failure is fine. */
	rte_eth_promiscuous_enable(port_id);
	ret = rte_eth_dev_start(port_id);
	if (ret) {
		LOG_E("interface %s: start: %s", ci->name, rte_strerror(-ret));
		return ret;
	}
	LOG_I("interface %s: port %u (%s) " RTE_ETHER_ADDR_PRT_FMT ", %u queue pair(s), "
	      "%u rx / %u tx descriptors, %u mbufs", ci->name, port_id, name,
	      RTE_ETHER_ADDR_BYTES(&p->mac), dp->n_workers, nrx, ntx, p->pool->size);
	return 0;
}

int dp_ports_init(struct dp *dp)
{
	unsigned i;
	int ret;

	if (dp->conf->n_ifaces > DP_MAX_PORTS) {
		LOG_E("at most %d interfaces", DP_MAX_PORTS);
		return -EINVAL;
	}
	for (i = 0; i < dp->conf->n_ifaces; i++) {
		ret = port_init(dp, i);
		dp->n_ports = i + 1;    /* so close() sees the partial one too */
		if (ret)
			return ret;
	}
	return 0;
}

void dp_ports_close(struct dp *dp)
{
	unsigned i;

	for (i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
	dp->n_ports = 0;     /* the pools stay: dp_mbufs_in_use still reads them */
}

unsigned dp_mbufs_in_use(const struct dp *dp)
{
	unsigned i, n = 0;

	for (i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].pool)
			n += rte_mempool_in_use_count(dp->ports[i].pool);
	return n;
}
