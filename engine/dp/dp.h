/* The DPDK datapath: ports, worker lcores, steering, parking.
 *
 * Each worker owns RX queue k and TX queue k of every port.  A DHCP packet
 * is handled by the worker that owns its client (dhcp4_owner); packets that
 * land elsewhere cross over an SP/SC ring, one ring per (from, to) pair, so
 * no ring ever has two producers or two consumers.  Replies that must wait
 * for the write-behind flusher (commit mode) are parked in a per-worker FIFO
 * in sequence order and sent once wb_durable() passes them. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include "conf.h"
#include "dhcp4_server.h"

#define DP_BURST        32
#define DP_MAX_PORTS    8
#define DP_MAX_WORKERS  32
#define DP_STEER_RING   1024
#define DP_PARK_SIZE    4096            /* parked replies per worker, power of two */
#define DP_EXPIRE_BATCH 64              /* leases reclaimed per loop pass at most */

struct wb;

struct dp_port {
	uint16_t port_id;
	unsigned iface;                 /* index into conf->ifaces */
	uint32_t addr;                  /* host order */
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
};

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_park {
	struct rte_mbuf *m;
	uint64_t seq;
	uint16_t port;                  /* index into dp->ports */
};

struct dp;

struct dp_worker {
	unsigned id;
	unsigned lcore;
	struct dp *dp;
	struct dhcp4_worker *dw;
	struct stats4 *st;
	struct dp_txq txq[DP_MAX_PORTS];
	struct dp_park park[DP_PARK_SIZE];
	uint32_t park_head, park_tail;  /* head: next to send, tail: next free */
	uint32_t idle;                  /* consecutive empty loop passes */
	uint32_t now;                   /* epoch seconds, refreshed per pass */
	uint32_t passes;                /* loop passes, for periodic work */
	struct dhcp4_pkt pkt;           /* parse scratch (too big for the stack) */
	uint8_t scratch[RTE_ETHER_MTU - 28];   /* reply payload, before framing */
} __rte_cache_aligned;

struct dp {
	const struct conf *conf;
	unsigned n_ports, n_workers;
	struct dp_port ports[DP_MAX_PORTS];
	uint8_t port_index[RTE_MAX_ETHPORTS];     /* port_id -> index into ports */
	struct dp_worker *workers[DP_MAX_WORKERS];
	struct rte_ring *steer[DP_MAX_WORKERS][DP_MAX_WORKERS];   /* [from][to] */
	struct wb *wb;                  /* NULL in memory mode */
	bool commit;                    /* replies wait for durability */
	volatile int quit;
};

/* port.c */
int dp_ports_init(struct dp *dp);
void dp_ports_close(struct dp *dp);
unsigned dp_mbufs_in_use(const struct dp *dp);

/* worker.c */
int dp_workers_init(struct dp *dp, struct dhcp4_runtime *rt);
int dp_worker_main(void *arg);      /* lcore entry point */
void dp_rings_drain(struct dp *dp);     /* free mbufs left in steering rings */
void dp_workers_free(struct dp *dp);
/* After the workers stopped and the flusher drained: send what is parked. */
void dp_workers_drain(struct dp *dp);
