/* engine/dhcp6 private: what the DHCPv6 server's files share (the public
 * API is dhcp6_server.h).
 *
 *   dhcp6_runtime.c   the shared runtime of a configuration: pools (one
 *                     alloc6 each), subnet selection tables, reservations;
 *                     a reload's runtime made from the running one
 *   dhcp6_reconf.c    live reconfiguration on a worker: prepare (mirror
 *                     into the next runtime), switch, the unit's fate
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

#include "access_cache.h"
#include "alloc6.h"
#include "cls.h"
#include "conf.h"
#include "dhcp6_server.h"
#include "lease_log.h"
#include "lease_rec.h"
#include "lease_table.h"

#define NO_POOL6 UINT16_MAX
#define DHCP6_DUID_FILE "peregrine-dhcp6-serverid"

/* struct lease6.flags beyond LEASE_F_FQDN_*:
 *  RESERVED  the lease holds a reserved address or prefix: no unit of its
 *            own in any pool (the reservation keeps the pool's bit), the
 *            reservation's `held` flag says a lease has it;
 *  NOUNIT    while its worker is prepared for a reload: the lease has no
 *            unit in the next runtime (its claim there failed), so
 *            nothing of the next runtime is given back when it ends. */
enum { LEASE6_F_RESERVED = 4, LEASE6_F_NOUNIT = 8 };

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
	int32_t from;                   /* dhcp6_runtime_create_from: the old runtime's
					 * pool whose allocator it carries, -1: its own */
	bool owned;                     /* ap is freed with this runtime */
};

struct rt6_subnet {
	uint32_t na0, pd0, end;         /* its pools: NA [na0, pd0), PD [pd0, end) */
};

/* A reserved address or prefix, for the "is it somebody's" check.  Its
 * unit in a pool is taken for good by the runtime (the pool never hands
 * it out); which lease holds the reservation is `held`, set by
 * compare-and-swap, so two leases never hold it at once. */
struct rt6_resv {
	struct lease_addr6 addr;
	uint8_t len;
	uint8_t held;                   /* atomic: a lease holds it */
	/* dhcp6_runtime_create_from, in a carried pool only: */
	uint8_t claimed;                /* atomic: this runtime set the unit's bit
					 * (given back if the reload is given up) */
	uint8_t pending;                /* the bit was a lease's at build: claimed
					 * again by dhcp6_runtime_open */
	unsigned host;                  /* index into c6->hosts */
};

/* A reservation of the old runtime that this one drops, in a carried
 * pool: the old reservation's bit is released at dhcp6_runtime_commit
 * unless a lease held the unit (it owns the bit from its switch on). */
struct rt6_gone {
	struct lease_addr6 addr;
	uint8_t len;
	uint8_t held;                   /* atomic: a lease of a prepared worker holds it */
	uint16_t pool;
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
	/* Live reconfiguration (dhcp6_runtime_create_from until commit). */
	struct dhcp6_runtime *from;     /* the runtime it replaces */
	uint32_t n_carried;
	struct rt6_gone *gone;          /* sorted by addr */
	unsigned n_gone;
	uint8_t closed;                 /* atomic: its own (not carried) pools hand
					 * nothing out until dhcp6_runtime_open */
};

/* The pool holding a (an address, or a prefix of the pool's unit length),
 * or NO_POOL6. */
uint16_t rt6_pool_of(const struct dhcp6_runtime *rt, struct lease_addr6 a, bool pd);
/* The pool whose range holds a, whatever its unit length, or NO_POOL6. */
uint16_t rt6_pool_over(const struct dhcp6_runtime *rt, struct lease_addr6 a, bool pd);
/* The subnet whose prefix contains a, or -1. */
int rt6_subnet_of(const struct dhcp6_runtime *rt, struct lease_addr6 a);
int rt6_subnet_by_id(const struct dhcp6_runtime *rt, uint32_t id);
/* The reservation that names a/len (any host), or NULL. */
struct rt6_resv *rt6_reserved(const struct dhcp6_runtime *rt, struct lease_addr6 a, uint8_t len);
/* The dropped reservation a/len of a runtime being switched to, or NULL. */
struct rt6_gone *rt6_gone_find(const struct dhcp6_runtime *rt, struct lease_addr6 a, uint8_t len);
/* Whether a pool of rt may hand out units (its own pools stay closed
 * until the reload that made rt opens them). */
static inline bool rt6_pool_open(const struct dhcp6_runtime *rt, uint32_t p)
{
	return rt->pools[p].from >= 0 || !__atomic_load_n(&rt->closed, __ATOMIC_ACQUIRE);
}
/* The host with identifier (type, id) in subnet_id (0: global), or NULL. */
const struct conf6_host *rt6_host_find(const struct dhcp6_runtime *rt, uint32_t subnet_id,
				       uint8_t type, const uint8_t *id, uint8_t len);

/* ---- worker (dhcp6_worker.c) -------------------------------------------- */

struct rq6_entry {
	uint64_t seq;
	struct lease_addr6 addr;
	uint16_t pool;
	uint8_t plen;
	uint8_t flags;                  /* RQ6_F_* */
};
/* RQ6_F_PD: a prefix; RESERVED: the unit went to a reservation at a
 * reload (given back to it, not to the pool); NOUNIT: as LEASE6_F_NOUNIT. */
enum { RQ6_F_PD = 1, RQ6_F_RESERVED = LEASE6_F_RESERVED, RQ6_F_NOUNIT = LEASE6_F_NOUNIT };

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
	/* The radius block (NULL: none): one address for the life of the
	 * process (conf_radius_hand_over), so read through this, never
	 * through conf, which a reload may free before this worker switches. */
	const struct conf_radius *radius;
	const struct conf6 *c6;
	struct dhcp6_runtime *rt;
	struct lease_log *log;
	uint32_t durable;
	bool commit;                    /* replies wait for their change to be durable */
	uint8_t origin;                 /* enum lease_origin of the changes being made */
	uint8_t ctl_origin;             /* that of a control message's changes (0: CONTROL) */
	struct lease6_table *lt;
	uint64_t *cursor;               /* per pool scan position */
	/* Prepared for a reload (dhcp6_reconf.c): the runtime it switches
	 * to next; every unit this worker takes or gives back is mirrored
	 * there until the switch.  NULL otherwise. */
	struct dhcp6_runtime *next;
	uint32_t now;
	struct rq6 rq;
	/* The hardware address of the client being served (kept with the
	 * leases made or renewed for it, dhcp6_keep_hw). */
	const uint8_t *hw;
	uint8_t hw_len;
	uint16_t hw_type;
	uint32_t hw_src;
	bool ask_access;                /* access verdict before assigning */
	/* The answer a resumed transaction runs with (set while dhcp6_resume
	 * runs it again), and this worker's cache of answers (ask_access). */
	const struct access_answer *answer;
	struct access_cache *acache;
	/* The question of the last suspended transaction (dhcp6_access.c). */
	struct {
		uint8_t type, len;
		uint8_t id[ACCESS_ID_MAX];
		uint8_t hw_len;
		uint8_t hw[16];
		uint16_t attrs_len;
		uint8_t attrs[ACCESS_ATTRS_MAX];   /* encoded RADIUS attributes */
	} aq;
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
/* The unit a lease or a release-queue entry held goes back: to pool p
 * of the worker's runtime, or to its reservation (flags RESERVED); a
 * prepared worker gives back its share of the next runtime first. */
void dhcp6_unit_put(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a, uint8_t plen,
		    bool pd, uint8_t flags);
/* The same in the current runtime only (a take the next one refused). */
void dhcp6_unit_put_here(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a, uint8_t plen,
			 uint8_t flags);
/* Take reservation r for a lease: 0, or -EBUSY while another lease holds it. */
static inline int rt6_resv_take(struct rt6_resv *r)
{
	uint8_t free_ = 0;

	return __atomic_compare_exchange_n(&r->held, &free_, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED) ? 0 : -EBUSY;
}
/* End a lease: gauges, the removal logged as op (0: not logged), the unit
 * given back (after the delete is durable when the store is in use). */
int dhcp6_lease_drop(struct dhcp6_worker *w, struct lease6 *l, uint8_t op);
void dhcp6_rq_poll(struct dhcp6_worker *w);

/* ---- a reload on the worker (dhcp6_reconf.c) ------------------------------ */

/* A prepared worker makes a lease on a/plen (its unit taken in the
 * current runtime, or its reservation held: `reserved`): the unit is
 * claimed in the next runtime too.  0, or -EBUSY: the next runtime has
 * it (another worker's lease there, a reservation, or units of another
 * length): the caller gives the current unit back and looks further. */
int dhcp6_mirror_take(struct dhcp6_worker *w, struct lease_addr6 a, uint8_t plen, bool pd,
		      bool reserved);
/* A prepared worker gives back a unit (p and flags as dhcp6_unit_put's):
 * its share of the next runtime first.  True when the current runtime's
 * bit must stay set: a carried pool's unit that the next runtime reserves
 * (handed over to the reservation). */
bool dhcp6_mirror_give(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a, uint8_t plen,
		       bool pd, uint8_t flags);

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
	bool busy;                      /* a lease was refused: the next runtime has its unit */
	unsigned given;                 /* leases in the reply with non-zero lifetimes */
	uint64_t wait_seq;
	/* RADIUS's answer for the client (dhcp6_access_apply): its
	 * Framed-IPv6-Address and Delegated-IPv6-Prefix, when given. */
	bool has_radaddr, has_radpfx;
	uint8_t radplen;
	struct lease_addr6 radaddr, radpfx;
};

/* Whether subnet index s may serve this client (shared network, class). */
bool txn6_subnet_ok(const struct txn6 *t, int s);
/* Handle each IA of the request for SOLICIT/REQUEST/RENEW/REBIND. */
void dhcp6_ias_assign(struct txn6 *t);
/* RELEASE / DECLINE: the leases named in the IAs.  Returns how many. */
unsigned dhcp6_ias_release(struct txn6 *t, bool decline);

/* ---- access (dhcp6_access.c) ------------------------------------------------
 * The access stage of a transaction, after its classes, subnet and
 * reservation: the answer it resumes with (cached), else the client's
 * cached one, else the question is prepared in w->aq.  0 to go on (an
 * accepted answer applied to t), DHCP6_SUSPEND to ask, -1 when rejected
 * (counted in v6-drop-access-rejected; the caller drops). */
int dhcp6_access(struct txn6 *t, const struct cls_rx6 *crx);
/* The flex-id of this client: flex-id-expression's value (in sc), or 0. */
size_t dhcp6_flex_id(const struct txn6 *t, const struct cls_rx6 *crx, struct cls_scratch *sc,
		     const uint8_t **out);
