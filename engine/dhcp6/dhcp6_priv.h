/* engine/dhcp6 private: what the DHCPv6 server's files share (the public
 * API is dhcp6_server.h).
 *
 *   dhcp6_runtime.c   the shared runtime of a configuration: pools (one
 *                     alloc6 each), subnet selection tables, reservations
 *   dhcp6_duid.c      the server's DUID: configured, kept on disk, or made
 *   dhcp6_worker.c    the per-lcore worker; expiry; the release queue
 *   dhcp6_lease.c     lease bookkeeping: gauges, the log, units, restore
 *   dhcp6_process.c   dhcp6_process: checks, subnet, host, the handlers
 *   dhcp6_ia.c        one IA: its leases found, extended, made, released
 *   dhcp6_reply.c     options in the reply (server id, ORO, option-data)
 *   dhcp6_lease_ctl.c the control commands on leases
 *
 * Nothing here allocates, locks or logs per packet, except the lease
 * table's own growth (and long DUIDs it keeps out of line). */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc6.h"
#include "cls.h"
#include "conf.h"
#include "dhcp6_server.h"
#include "lease_log.h"
#include "lease_rec.h"
#include "lease_table.h"

#define NO_POOL6 UINT16_MAX
#define DHCP6_DUID_FILE "peregrine-dhcp6-serverid"

/* struct lease6.flags beyond LEASE_F_FQDN_*: the lease holds a reserved
 * address or prefix, which has no unit of its own in any pool. */
enum { LEASE6_F_RESERVED = 4 };

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* ---- runtime (dhcp6_runtime.c) ------------------------------------------ */

struct rt6_pool {
	struct alloc6_pool *ap;
	struct lease_addr6 first, last;
	uint8_t unit_len;               /* 128 for addresses, delegated-len for prefixes */
	bool pd;
	unsigned subnet;                /* index into c6->subnets */
	unsigned index;                 /* position among its subnet's pools or pd-pools */
	const struct conf6_option_set *options;
	int client_class;
	const struct conf6_pd_pool *pdp;   /* pd-pools: excluded prefix */
};

struct rt6_subnet {
	uint32_t na0, pd0, end;         /* its pools: NA [na0, pd0), PD [pd0, end) */
};

/* A reserved address or prefix, for the "is it somebody's" check. */
struct rt6_resv {
	struct lease_addr6 addr;
	uint8_t len;
	unsigned host;                  /* index into c6->hosts */
};

/* A host's identifier, sorted for the per-packet lookup. */
struct rt6_hkey {
	uint32_t subnet_id;
	uint8_t type, len;
	const uint8_t *id;
	unsigned host;
};

struct dhcp6_runtime {
	const struct conf *conf;
	const struct conf6 *c6;
	struct rt6_pool *pools;
	uint32_t n_pools;
	struct rt6_subnet *subnets;     /* indexed like c6->subnets */
	uint32_t *by_first;             /* pool indexes sorted by first unit */
	uint32_t *by_prefix;            /* subnet indexes sorted by prefix */
	struct rt6_resv *resv;          /* sorted by addr */
	unsigned n_resv;
	struct rt6_hkey *hkeys;         /* sorted */
	unsigned n_hkeys;
	uint8_t duid[DHCP6_DUID_MAX];
	uint8_t duid_len;
};

/* The pool holding a (an address, or a prefix of the pool's unit length),
 * or NO_POOL6. */
uint16_t rt6_pool_of(const struct dhcp6_runtime *rt, struct lease_addr6 a, bool pd);
/* The subnet whose prefix contains a, or -1. */
int rt6_subnet_of(const struct dhcp6_runtime *rt, struct lease_addr6 a);
int rt6_subnet_by_id(const struct dhcp6_runtime *rt, uint32_t id);
/* The reservation that names a/len (any host), or NULL. */
const struct rt6_resv *rt6_reserved(const struct dhcp6_runtime *rt, struct lease_addr6 a,
				    uint8_t len);
/* The host with identifier (type, id) in subnet_id (0: global), or NULL. */
const struct conf6_host *rt6_host_find(const struct dhcp6_runtime *rt, uint32_t subnet_id,
				       uint8_t type, const uint8_t *id, uint8_t len);

/* ---- worker (dhcp6_worker.c) -------------------------------------------- */

struct rq6_entry {
	uint64_t seq;
	struct lease_addr6 addr;
	uint16_t pool;
};

/* Units whose delete record is on its way to the store (as
 * release_queue.h for v4): FIFO, this worker only. */
struct rq6 {
	struct rq6_entry *e;
	uint32_t cap, head, tail;
};

struct dhcp6_worker {
	struct stats6 st;               /* first: cache aligned, written only here */
	unsigned id, n_workers;
	const struct conf *conf;
	const struct conf6 *c6;
	struct dhcp6_runtime *rt;
	struct lease_log *log;
	uint32_t durable;
	bool commit;                    /* replies wait for their change to be durable */
	uint8_t origin;                 /* enum lease_origin of the changes being made */
	struct lease6_table *lt;
	uint64_t *cursor;               /* per pool scan position */
	uint32_t now;
	struct rq6 rq;
	/* The hardware address of the client being served (kept with the
	 * leases made or renewed for it, dhcp6_keep_hw). */
	const uint8_t *hw;
	uint8_t hw_len;
	uint16_t hw_type;
	uint32_t hw_src;
} __attribute__((aligned(64)));

static inline uint32_t add_lft6(uint32_t now, uint32_t lft)
{
	return lft > UINT32_MAX - now ? UINT32_MAX : now + lft;
}

/* ---- leases (dhcp6_lease.c) ------------------------------------------------ */

int lease6_subnet(const struct dhcp6_worker *w, const struct lease6 *l);
void dhcp6_gauge(struct dhcp6_worker *w, const struct lease6 *l, int d);
void dhcp6_rec_of(const struct dhcp6_worker *w, struct lease6_rec *r, const struct lease6 *l);
void dhcp6_keep_hw(struct dhcp6_worker *w, struct lease6 *l);
void dhcp6_lease_fill(struct dhcp6_worker *w, struct lease6 *l, const struct lease6_rec *r);
/* The entry for the worker's next change, or NULL (counted) while a
 * holding consumer has not caught up.  A caller that must not change a
 * lease without logging it claims first, changes, then commits. */
static inline struct lease_change *dhcp6_log_claim(struct dhcp6_worker *w)
{
	struct lease_change *c = lease_log_claim(w->log);

	if (unlikely(!c))
		w->st.c[STAT6_LOG_FULL]++;
	return c;
}
/* Commit the claimed entry as one change `op` of l; its sequence number. */
uint64_t dhcp6_log_commit(struct dhcp6_worker *w, struct lease_change *c, struct lease6 *l,
			  uint8_t op);
/* Claim and commit: 0 and *seq, or -ENOBUFS with nothing logged. */
static inline int dhcp6_persist(struct dhcp6_worker *w, struct lease6 *l, uint8_t op,
				uint64_t *seq)
{
	struct lease_change *c = dhcp6_log_claim(w);

	*seq = c ? dhcp6_log_commit(w, c, l, op) : 0;
	return c ? 0 : -ENOBUFS;
}
/* Take / give back the unit of a lease (pool p, or a reservation). */
int dhcp6_unit_take(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a);
/* End a lease: gauges, the removal logged as op (0: not logged), the unit
 * given back (after the delete is durable when the store is in use). */
int dhcp6_lease_drop(struct dhcp6_worker *w, struct lease6 *l, uint8_t op);
void dhcp6_rq_poll(struct dhcp6_worker *w);

/* ---- options of a reply (dhcp6_reply.c) ---------------------------------- */

struct txn6;
void dhcp6_reply_options(struct txn6 *t);
int dhcp6_put_server_id(struct txn6 *t);

/* ---- one transaction ------------------------------------------------------ */

struct txn6 {
	struct dhcp6_worker *w;
	const struct conf6 *c6;
	const struct dhcp6_rx *rx;
	const struct dhcp6_pkt *req;
	struct dhcp6_build b;
	const uint8_t *duid;
	uint8_t duid_len;
	int s;                          /* selected subnet, -1 none */
	int shared;                     /* its shared network, -1 none */
	const struct conf6_host *host;
	struct cls_set classes;
	bool commit;                    /* leases are made (REQUEST, RENEW, REBIND, rapid commit) */
	uint8_t msg;                    /* the request's type */
	uint16_t first_pool;            /* pool of the first lease given (its options) */
	unsigned given;                 /* leases in the reply with non-zero lifetimes */
	uint64_t wait_seq;
};

/* Whether subnet index s may serve this client (shared network, class). */
bool txn6_subnet_ok(const struct txn6 *t, int s);
/* Handle each IA of the request for SOLICIT/REQUEST/RENEW/REBIND. */
void dhcp6_ias_assign(struct txn6 *t);
/* RELEASE / DECLINE: the leases named in the IAs.  Returns how many. */
unsigned dhcp6_ias_release(struct txn6 *t, bool decline);
