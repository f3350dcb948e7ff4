/* engine/dhcp4 private: what the server logic's files share (the public
 * API is dhcp4_server.h).
 *
 * DHCPv4 server logic (RFC 2131/2132): one parsed request in, at most one
 * reply out, on the worker that owns the client.  Everything a request
 * touches is either this worker's own (lease table, stats, pool cursors)
 * or lock free and shared (the allocator bitmaps, the write-behind ring of
 * this worker).  Nothing here allocates, locks, logs or makes a system
 * call per packet; the only allocations are the lease table's own (growth,
 * long client-ids).  Addresses are host byte order everywhere except in
 * struct dhcp4_hdr.
 *
 *   dhcp4_runtime.c   the shared runtime of a configuration: pools, lookups
 *   dhcp4_worker.c    the per-lcore worker object
 *   dhcp4_key.c       client keys (packet and record)
 *   dhcp4_lease.c     lease bookkeeping: gauges, persistence, address bits,
 *                     release queue, drop/vacate
 *   dhcp4_process.c   dhcp4_process: classes, subnet selection, host
 *                     lookup, the message handlers
 *   dhcp4_select.c    candidate subnets and pools a client may use
 *   dhcp4_alloc.c     binding an address to a client: offer, claim, ACK
 *   dhcp4_reply.c     building and addressing a reply
 *   dhcp4_expire.c    expiry; dhcp4_restore.c start-up restore;
 *   dhcp4_reconf.c    live reconfiguration; dhcp4_lease_ctl.c the control
 *                     commands on leases (query/add/del/reclaim)
 *
 * The small helpers of the per-packet path are static inline here: split
 * into files, the code makes no call that the compiler inlined when it
 * was one file.
 */
#pragma once
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addr_index.h"
#include "addr_owner.h"
#include "alloc.h"
#include "cls.h"
#include "conf.h"
#include "access_cache.h"
#include "dhcp4_hosts.h"
#include "dhcp4_server.h"
#include "lease_rec.h"
#include "lease_table.h"
#include "lease_log.h"
#include "release_queue.h"

#define NO_POOL          UINT16_MAX

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* ---- runtime: the shared part, built once per configuration (dhcp4_runtime.c) */

struct rt_pool {
	struct alloc_pool *ap;
	uint32_t first, last;
	unsigned subnet;                /* index into conf->subnets */
	unsigned index;                 /* position in its subnet's pools */
	bool owned;                     /* false: moved to a newer runtime */
	int32_t from;                   /* index in rt->from it was carried from, -1 */
	/* A reload replaces this pool by new ones whose bits are copied from
	 * this one's: from then on nothing is freed here, and an address
	 * taken here is also claimed in the new pool (atomic). */
	uint8_t frozen;
	uint64_t *seen;                 /* a new pool: the bits its copy marked */
};

struct rt_key {                         /* sorted lookup tables */
	uint32_t key;
	unsigned subnet;
};

struct dhcp4_runtime {
	const struct conf *conf;
	struct rt_pool *pools;          /* global pool index = position here */
	uint32_t n_pools;
	uint16_t *by_first;             /* pool indexes sorted by first address */
	uint32_t *subnet_pool0;         /* subnet i owns pools [p0[i], p0[i+1]) */
	struct rt_key *relays;          /* relay address -> subnet */
	unsigned n_relays;
	struct rt_key *prefixes;        /* subnet prefix -> subnet */
	struct rt_key *ids;             /* subnet id -> subnet */
	/* Workers by id, so that start-up restore can settle an address that
	 * two records for different clients (hence owners) both claim. */
	struct dhcp4_worker **workers;
	unsigned n_workers;
	struct dhcp4_runtime *from;     /* reload: carried pools until commit */
	uint32_t n_carried;
	uint32_t n_frozen;              /* pools frozen by a reload (atomic) */
	struct dhcp4_runtime *next;     /* the reload's runtime while frozen (atomic) */
	uint8_t gen;                    /* 1..255, one more than from's: lease stamps */
	/* Host reservations of conf->policy (NULL: none).  A reserved in-pool
	 * address has its pool bit set for the whole life of the runtime (it
	 * belongs to the reservation, never to a lease), so alloc_take()
	 * never hands it out.  Which lease uses a reserved address is kept in
	 * held[host index] instead: set by compare-and-swap when a lease
	 * takes it, cleared when that lease lets go. */
	struct dhcp4_hosts *hosts;
	uint8_t *held;
	uint8_t *claimed;               /* bits this runtime set in carried pools */
	/* Owner references of the addresses outside every pool (leases of
	 * reservations outside the pools, lease4-add, orphans of a reload);
	 * the pools keep theirs beside their bits (alloc_set_ref). */
	struct addr_owner *outside;
	/* Reservations whose address a lease of the old runtime may still
	 * hold, not remapped yet: nobody takes them until the reload is
	 * committed (atomic; NULL without reservations). */
	uint8_t *contested;
};

static inline bool rt_frozen(const struct dhcp4_runtime *rt, uint16_t p)
{
	return unlikely(__atomic_load_n(&rt->n_frozen, __ATOMIC_SEQ_CST)) && p != NO_POOL &&
	       __atomic_load_n(&rt->pools[p].frozen, __ATOMIC_SEQ_CST);
}

/* Last entry with key <= k, or -1. */
static inline int rt_key_floor(const struct rt_key *a, unsigned n, uint32_t k)
{
	int lo = 0, hi = (int)n - 1, r = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (a[mid].key <= k) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return r;
}

static inline int rt_key_find(const struct rt_key *a, unsigned n, uint32_t k)
{
	int i = rt_key_floor(a, n, k);

	return i >= 0 && a[i].key == k ? i : -1;
}

/* Global pool index holding addr, or NO_POOL.  Pools do not overlap. */
static inline uint16_t rt_pool_of(const struct dhcp4_runtime *rt, uint32_t addr)
{
	int lo = 0, hi = (int)rt->n_pools - 1, r = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (rt->pools[rt->by_first[mid]].first <= addr) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (r < 0 || addr > rt->pools[rt->by_first[r]].last)
		return NO_POOL;
	return rt->by_first[r];
}

/* Subnet containing addr, or -1.  Subnets do not overlap. */
static inline int rt_subnet_of(const struct dhcp4_runtime *rt, uint32_t addr)
{
	int i = rt_key_floor(rt->prefixes, rt->conf->n_subnets, addr);
	const struct conf_subnet *sn;

	if (i < 0)
		return -1;
	sn = &rt->conf->subnets[rt->prefixes[i].subnet];
	return (addr & sn->mask) == (sn->prefix & sn->mask) ? (int)rt->prefixes[i].subnet : -1;
}

static inline int rt_subnet_by_id(const struct dhcp4_runtime *rt, uint32_t id)
{
	int i = rt_key_find(rt->ids, rt->conf->n_subnets, id);

	return i < 0 ? -1 : (int)rt->ids[i].subnet;
}

/* The reservation of addr, or NULL (one hash probe; none without hosts). */
static inline const struct conf_host *rt_reserved(const struct dhcp4_runtime *rt, uint32_t addr)
{
	return rt->hosts ? dhcp4_hosts_by_addr(rt->hosts, addr) : NULL;
}

static inline uint8_t *rt_held(const struct dhcp4_runtime *rt, const struct conf_host *h)
{
	return &rt->held[h - dhcp4_hosts_get(rt->hosts, 0)];
}

/* ---- worker (dhcp4_worker.c) ---------------------------------------- */

struct dhcp4_worker {
	struct stats4 st;               /* first: cache aligned, written only here */
	unsigned id, n_workers;
	const struct conf *conf;
	struct dhcp4_runtime *rt;
	struct lease_log *log;          /* every lease change, in order */
	uint32_t durable;               /* log consumers that make a change durable */
	uint8_t origin;                 /* enum lease_origin of the changes being made */
	uint8_t ctl_origin;             /* that of a control message's changes (0: CONTROL) */
	struct lease_table *lt;
	uint32_t *cursor;               /* per pool scan hint */
	uint32_t now;
	bool commit;                    /* replies wait for their change to be durable */
	bool ask_access;                /* access verdict before allocation */
	/* The answer a resumed transaction runs with (set while dhcp4_resume
	 * runs it again), and this worker's cache of answers (ask_access). */
	const struct access_answer *answer;
	struct access_cache *acache;
	/* The identifier the last suspended transaction asks about. */
	struct {
		uint8_t type, len;
		uint8_t id[ACCESS_ID_MAX];
		uint16_t attrs_len;
		uint8_t attrs[ACCESS_ATTRS_MAX];   /* encoded RADIUS attributes */
	} aq;
	struct addr_index ridx;         /* start-up restore only: address -> lease */
	/* Release queue: FIFO in sequence order (one producer, this worker). */
	struct release_queue rq;        /* cap 0 in memory mode */
	struct cls_cache *cls_cache;    /* PRE_HOST classification, this worker's */
	/* Live reconfiguration: the runtime the stale leases' pool indexes
	 * refer to until every one is remapped (NULL: none is stale), where
	 * the bounded refresh is, and where the counts go. */
	struct dhcp4_runtime *prev;
	uint32_t remap_cursor;
	struct dhcp4_reconf *rc;
	/* odd while a unit of work that may touch pool bits runs (written
	 * only here, read by the control thread to freeze pools) */
	uint32_t busy;
} __attribute__((aligned(64)));

/* Serving begins: the restore index is not kept up to date past here. */
/* Where worker id of n starts scanning a pool of `size` addresses. */
extern uint32_t dhcp4_cursor_spread;
static inline uint32_t dhcp4_cursor_start(uint64_t size, unsigned id, unsigned n)
{
	return (uint32_t)((size * id / n + ((size * dhcp4_cursor_spread) >> 32)) % size);
}

static inline void worker_serving(struct dhcp4_worker *w)
{
	if (unlikely(w->ridx.cap))
		addr_index_free(&w->ridx);
}

/* ---- address owners (dhcp4_lease.c, dhcp4_owner.c) -------------------
 *
 * Every address a lease (or an offer) holds has an owner reference: in
 * its pool beside its bit (alloc_set_ref), or for an address outside the
 * pools in rt->outside.  The worker that gives a lease entry an address
 * writes it (addr_own), with a relaxed store, whichever way the address
 * came (taken, claimed, a side offer, DECLINE, lease4-add, restore, a
 * reload's reindex, a lease moving in from another worker); nobody else
 * writes it while the address is held.  The control thread reads it to
 * send a by-address question to one worker, and the worker checks it
 * against its own table (dhcp4_lease_at), so a stale reference costs a
 * "not found", never a wrong answer.  A freed pool address keeps its old
 * word (the bit says it is free); an address outside the pools is cleared
 * by its holder when it lets go. */

/* The owner reference of addr (p: its pool if known, NO_POOL to look). */
static inline uint32_t addr_ref_get(const struct dhcp4_runtime *rt, uint32_t addr, uint16_t p)
{
	if (p == NO_POOL)
		p = rt_pool_of(rt, addr);
	if (p != NO_POOL)
		return alloc_ref(rt->pools[p].ap, addr);
	return rt->outside ? addr_owner_get(rt->outside, addr) : 0;
}

void dhcp4_addr_own_outside(struct dhcp4_worker *w, uint32_t addr, uint32_t ref);

/* l (this worker's) now holds l->addr: say so beside the address. */
static inline void addr_own(struct dhcp4_worker *w, struct lease4 *l)
{
	uint32_t ref = dhcp4_ref(w->id, lease_table_id(w->lt, l));

	if (likely(l->pool != NO_POOL))
		alloc_set_ref(w->rt->pools[l->pool].ap, l->addr, ref);
	else
		dhcp4_addr_own_outside(w, l->addr, ref);
}

/* The address of l passed to a lease on another worker (a lease4-update
 * that moved it, see dhcp4_lease_adopt): l must go without a record of
 * its own and without giving the address back.  One load, on the paths
 * that end or move a lease, never per DORA. */
static inline bool addr_handed_over(const struct dhcp4_worker *w, const struct lease4 *l)
{
	int owner = dhcp4_ref_worker(addr_ref_get(w->rt, l->addr, l->pool));

	return l->addr && owner >= 0 && owner != (int)w->id;
}

/* ---- keys (dhcp4_key.c) ---------------------------------------------- */

static inline void addr_key(uint32_t addr, struct lease_key *k)
{
	uint32_t n = htonl(addr);

	k->kind = LEASE_KEY_ADDR;
	k->len = 4;
	memcpy(k->data, &n, 4);
}

/* ---- lease bookkeeping (dhcp4_lease.c) ------------------------------- */

static inline int lease_subnet(const struct dhcp4_worker *w, const struct lease4 *l)
{
	if (l->pool != NO_POOL)
		return (int)w->rt->pools[l->pool].subnet;
	return rt_subnet_by_id(w->rt, l->subnet_id);
}

static inline uint32_t add_lft(uint32_t now, uint32_t lft)
{
	return lft > UINT32_MAX - now ? UINT32_MAX : now + lft;
}

void dhcp4_gauge(struct dhcp4_worker *w, const struct lease4 *l, int d);
void dhcp4_rec_of(const struct lease_table *lt, struct lease_rec *r, const struct lease4 *l);
void dhcp4_log_fill(struct dhcp4_worker *w, struct lease_change *c, const struct lease4 *l,
		    uint8_t op);

/* The entry for the worker's next change, or NULL (counted) when a
 * consumer that holds the log back has not caught up.  A caller that must
 * not change a lease without logging it claims before it changes anything,
 * then commits the claimed entry. */
static inline struct lease_change *dhcp4_log_claim(struct dhcp4_worker *w)
{
	struct lease_change *c = lease_log_claim(w->log);

	if (unlikely(!c))
		w->st.c[STAT4_FLUSH_RING_FULL]++;
	return c;
}

/* Commit the claimed entry c as one change of l: `op` (enum lease_op),
 * from w->origin; returns its sequence number.  Nobody reads a log without
 * consumers (memory mode without HA): the change still takes its sequence
 * number, and nothing is copied. */
static inline uint64_t dhcp4_log_commit(struct dhcp4_worker *w, struct lease_change *c,
					struct lease4 *l, uint8_t op)
{
	uint64_t seq;

	if (lease_log_consumers(w->log))
		dhcp4_log_fill(w, c, l, op);
	seq = lease_log_commit(w->log);
	if (!lease_op_removes(op))
		l->seq = seq;
	return seq;
}

/* Claim and commit: 0 with *seq, or -ENOBUFS with nothing logged. */
static inline int dhcp4_persist(struct dhcp4_worker *w, struct lease4 *l, uint8_t op,
				uint64_t *seq)
{
	struct lease_change *c = dhcp4_log_claim(w);

	*seq = c ? dhcp4_log_commit(w, c, l, op) : 0;
	return c ? 0 : -ENOBUFS;
}
int dhcp4_addr_take(struct dhcp4_runtime *rt, uint16_t p, uint32_t addr);
void dhcp4_addr_give(struct dhcp4_runtime *rt, uint16_t p, uint32_t addr);
int dhcp4_lease_drop(struct dhcp4_worker *w, struct lease4 *l, uint8_t op);
int dhcp4_lease_vacate(struct dhcp4_worker *w, struct lease4 *l);
struct lease4 *dhcp4_lease_at(struct dhcp4_worker *w, uint32_t addr);
struct lease4 *dhcp4_lease_of_ref(struct dhcp4_worker *w, uint32_t addr, uint32_t ref);
void dhcp4_lease_forget(struct dhcp4_worker *w, struct lease4 *l);
int dhcp4_lease_from_rec(struct dhcp4_worker *w, struct lease4 *l, const struct lease_rec *r,
			 uint8_t kind);

void dhcp4_addr_defer(struct dhcp4_worker *w, uint64_t seq, uint32_t addr, uint16_t p);
int dhcp4_runtime_mirror(const struct dhcp4_runtime *old, uint32_t addr);
int dhcp4_held_take(struct dhcp4_runtime *rt, const struct conf_host *h);

/* Give the address bit back now: for an address no record names (an
 * offer), in memory mode, and at start-up before anything is written.
 * A bit in a frozen pool waits in the release queue instead until this
 * worker has switched to the pool that replaces it. */
static inline void addr_release(struct dhcp4_worker *w, struct lease4 *l)
{
	if (unlikely(rt_frozen(w->rt, l->pool)) && !rt_reserved(w->rt, l->addr))
		dhcp4_addr_defer(w, 0, l->addr, l->pool);
	else
		dhcp4_addr_give(w->rt, l->pool, l->addr);
	l->pool = NO_POOL;
}

/* Why a freed address waits: each worker has its own write-behind ring and
 * the flusher takes them in turns, so a delete this worker pushed can reach
 * the store after an add that another worker pushed later for the same
 * address, once it had taken the bit.  Replay keeps the last record per
 * address, and that ACKed lease would be lost.  Holding the bit until the
 * delete is durable orders the two records in the store. */
static inline bool release_needs_queue(const struct dhcp4_worker *w, const struct lease4 *l)
{
	return (w->durable && l->pool != NO_POOL && l->state != LEASE_STATE_OFFERED) ||
	       rt_frozen(w->rt, l->pool);
}

/* Refuse a change that would free a persisted address when the release
 * queue has no room: the lease stays (counted), nothing is pushed. */
static inline int release_room(struct dhcp4_worker *w, const struct lease4 *l)
{
	if (unlikely(release_needs_queue(w, l) && release_queue_full(&w->rq))) {
		w->st.c[STAT4_RELEASE_QUEUE_FULL]++;
		return -ENOBUFS;
	}
	return 0;
}

/* ---- one transaction ------------------------------------------------- */

struct txn {
	struct dhcp4_worker *w;
	const struct conf *c;
	const struct dhcp4_rx *rx;
	const struct dhcp4_pkt *req;
	const struct dhcp4_hdr *h;
	uint32_t ciaddr, giaddr, reqaddr, server_addr;
	int s;                          /* serving subnet, -1 none */
	int s0;                         /* the selected one: first candidate */
	int shared;                     /* s0's shared network (its subnets are candidates), -1 */
	bool by_iface;                  /* every subnet on rx->iface is a candidate */
	bool busy;                      /* the client's old address could not be freed now */
	struct lease_key key;
	uint64_t key_hash;              /* lease_key_hash(&key), computed once */
	struct cls_set *cls;            /* the packet's classes (on dhcp4_process's stack) */
	const struct conf_host *host;   /* the client's reservation, NULL */
	uint32_t radaddr;               /* RADIUS's Framed-IP-Address for it, 0 */
};

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline int drop(struct txn *t, enum stat4 why)
{
	if (why != STAT4_MAX)
		t->w->st.c[why]++;
	t->w->st.c[STAT4_PKT4_RECEIVE_DROP]++;
	return -1;
}

/* ---- candidate subnets and pools (dhcp4_select.c) -------------------- */

/* Shared network index of subnet s, -1 (a hand-built conf has no policy). */
static inline int shared_of(const struct conf *c, int s)
{
	int k = c->subnets[s].shared;

	return c->policy && k >= 0 && (unsigned)k < c->policy->n_shared ? k : -1;
}

bool dhcp4_subnet_allowed(const struct txn *t, int s);
bool dhcp4_pool_allowed(const struct txn *t, uint16_t p);
int dhcp4_subnet_next(const struct txn *t, int s);

/* A sibling of the selected subnet: on the same interface (when selected
 * by interface) or in the same shared network. */
static inline bool subnet_sibling(const struct txn *t, int s)
{
	return (t->by_iface && t->c->subnets[s].iface == (int)t->rx->iface) ||
	       (t->shared >= 0 && shared_of(t->c, s) == t->shared);
}

static inline bool subnet_ok(const struct txn *t, int s)
{
	return s >= 0 && (s == t->s0 || subnet_sibling(t, s)) && dhcp4_subnet_allowed(t, s);
}

/* ---- binding addresses to clients (dhcp4_alloc.c) ------------------- */

struct lease4 *dhcp4_attach(struct txn *t, struct lease4 *l, uint32_t addr, uint16_t p, int s,
			     bool side);
struct lease4 *dhcp4_claim_for(struct txn *t, struct lease4 *l, uint32_t addr, bool side);
bool dhcp4_lease_ok(const struct txn *t, const struct lease4 *l);
struct lease4 *dhcp4_side_offer(const struct txn *t, uint32_t addr);
struct lease4 *dhcp4_request_addr(struct txn *t, struct lease4 *l, uint32_t addr);
int dhcp4_ack(struct txn *t, struct lease4 *l, uint8_t *out, size_t cap, struct dhcp4_tx *tx);

/* The client's reserved address, if it has one in a candidate subnet:
 * RADIUS's Framed-IP-Address first, else its host reservation's. */
static inline uint32_t host_addr(const struct txn *t)
{
	uint32_t a = t->radaddr ? t->radaddr : t->host ? t->host->addr : 0;

	if (!a)
		return 0;
	return subnet_ok(t, rt_subnet_of(t->w->rt, a)) ? a : 0;
}

/* Any free address from the candidate subnets' pools the client's classes
 * may use, in order: a full subnet moves on to the next candidate (the
 * next subnet on the interface or in the shared network). */
static inline struct lease4 *take_for(struct txn *t, struct lease4 *l, bool side)
{
	struct dhcp4_worker *w = t->w;
	struct dhcp4_runtime *rt = w->rt;
	uint32_t p, addr;
	int s;

	for (s = dhcp4_subnet_next(t, -1); s >= 0; s = dhcp4_subnet_next(t, s))
		for (p = rt->subnet_pool0[s]; p < rt->subnet_pool0[s + 1]; p++) {
			if (!dhcp4_pool_allowed(t, (uint16_t)p))
				continue;
			while (!alloc_take(rt->pools[p].ap, &w->cursor[p], &addr)) {
				/* A reserved address's bit is the reservation's: one
				 * found free was given back by a lease of the runtime
				 * before a reload; keep it set (at most once each). */
				if (unlikely(rt->hosts) && rt_reserved(rt, addr))
					continue;
				if (unlikely(rt_frozen(rt, (uint16_t)p)) &&
				    dhcp4_runtime_mirror(rt, addr)) {
					/* taken in the new pool: not ours */
					alloc_release(rt->pools[p].ap, addr);
					continue;
				}
				return dhcp4_attach(t, l, addr, (uint16_t)p, s, side);
			}
		}
	return NULL;
}

/* ---- access (dhcp4_access.c) ----------------------------------------- */

void dhcp4_access_ident(struct txn *t);
void dhcp4_access_build(struct txn *t);
void dhcp4_access_apply(struct txn *t, const struct access_answer *a);
void dhcp4_access_store(struct txn *t, const struct access_answer *a);

/* ---- reply (dhcp4_reply.c) ------------------------------------------- */

int dhcp4_reply(struct txn *t, uint8_t type, const struct lease4 *l, uint8_t *out, size_t cap,
		 struct dhcp4_tx *tx);

static inline int nak(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	return dhcp4_reply(t, DHCP4_NAK, NULL, out, cap, tx);
}
