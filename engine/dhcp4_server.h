/* DHCPv4 server logic (RFC 2131): one request in, at most one reply out.
 * Runs on the worker that owns the client, lock free: its own lease table,
 * the shared allocator bitmaps, its own stats, and a push to the
 * write-behind ring.  No DPDK here; the datapath wraps it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf.h"
#include "dhcp4_wire.h"
#include "lease.h"
#include "stats.h"

struct wb;
struct lease_rec;
struct lease_table;

/* Shared runtime state built from a config: one allocator per pool. */
struct dhcp4_runtime;
struct dhcp4_runtime *dhcp4_runtime_create(const struct conf *c);   /* NULL + errno */
void dhcp4_runtime_free(struct dhcp4_runtime *rt);
uint32_t dhcp4_runtime_pool_count(const struct dhcp4_runtime *rt);

struct dhcp4_worker_params {
	unsigned id, n_workers;
	const struct conf *conf;
	struct dhcp4_runtime *rt;
	struct wb *wb;                 /* NULL in memory mode */
	uint32_t lease_capacity;
};

struct dhcp4_worker;
struct dhcp4_worker *dhcp4_worker_create(const struct dhcp4_worker_params *p);   /* NULL + errno */
void dhcp4_worker_free(struct dhcp4_worker *w);
struct stats4 *dhcp4_worker_stats(struct dhcp4_worker *w);
struct lease_table *dhcp4_worker_leases(struct dhcp4_worker *w);
/* The datapath sets the clock once per loop pass (epoch seconds). */
void dhcp4_worker_set_now(struct dhcp4_worker *w, uint32_t now);

/* What the datapath knows about a received request (host byte order). */
struct dhcp4_rx {
	unsigned iface;                /* index into conf->ifaces */
	uint32_t src_ip, dst_ip;
	uint16_t src_port;
	uint8_t src_mac[6];
};

/* Where the reply goes (RFC 2131 §4.1 delivery rules), host byte order. */
struct dhcp4_tx {
	uint32_t src_ip;               /* the server address on rx->iface */
	uint32_t dst_ip;
	uint16_t src_port, dst_port;
	uint8_t dst_mac[6];            /* ff:ff:ff:ff:ff:ff for broadcast */
	uint64_t wait_seq;             /* 0: send now; else hold until wb_durable() >= it */
};

/* Client key: client-id (option 61) if present and match-client-id is on,
 * else htype + chaddr. */
void dhcp4_client_key(const struct dhcp4_pkt *p, bool match_client_id, struct lease_key *k);

/* Worker that owns a client: lease_key_hash(key) % n_workers. */
static inline unsigned dhcp4_owner(const struct lease_key *k, unsigned n_workers);

/* Handle one parsed request.  Writes the reply's DHCP payload to out.
 * Returns its length (> 0), 0 when there is nothing to send (e.g. RELEASE),
 * or -1 when the request is dropped (the reason is counted in stats). */
int dhcp4_process(struct dhcp4_worker *w, const struct dhcp4_rx *rx,
		  const struct dhcp4_pkt *req, uint8_t *out, size_t cap, struct dhcp4_tx *tx);

/* Reclaim up to `max` expired leases (offers, leases, probation ends).
 * Returns how many were handled. */
unsigned dhcp4_expire(struct dhcp4_worker *w, unsigned max);

/* Start-up: put one persisted record into this worker's table and the
 * allocator (called by main before the workers run, for the worker that
 * owns the record's key).  A delete record removes the lease.  Records for
 * addresses outside every configured pool are kept in the table but take
 * no pool bit.  Returns 0 or -errno. */
int dhcp4_restore(struct dhcp4_worker *w, const struct lease_rec *r);

/* Key a persisted record is owned under (same rule as dhcp4_client_key). */
void dhcp4_rec_key(const struct lease_rec *r, bool match_client_id, struct lease_key *k);

static inline unsigned dhcp4_owner(const struct lease_key *k, unsigned n_workers)
{
	return n_workers <= 1 ? 0 : (unsigned)(lease_key_hash(k) % n_workers);
}
