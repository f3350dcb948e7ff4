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

struct lease_log;
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
	/* This worker's lease-change log: every change the worker makes is
	 * committed there (origin client, control or server), whoever reads
	 * it.  Required. */
	struct lease_log *log;
	/* The log consumers that make a change durable (the store's flusher;
	 * 0 in memory mode): an address a persisted lease gives up keeps its
	 * pool bit until their watermark passes the change (see
	 * dhcp4_worker_poll). */
	uint32_t durable;
	uint32_t lease_capacity;
	/* addresses that may wait for their delete record to become durable
	 * (rounded up to a power of two; 0 = 32768).  Size it for the changes
	 * that can be in flight (log + flusher batch): then it cannot fill
	 * while the log has room. */
	uint32_t release_queue;
	/* Ask for an access verdict (RADIUS) before allocating: a DISCOVER
	 * or a REQUEST of a client with no cached answer suspends
	 * (DHCP4_SUSPEND); the answer it resumes with is cached. */
	bool ask_access;
	uint32_t access_cache_max;     /* cached answers (ask_access), 0 = 65536 */
	/* An ACK names its change (tx->wait_seq) also without a store in
	 * commit mode: the datapath may hold it for the HA partner. */
	bool replies_wait;
};

struct dhcp4_worker;
struct dhcp4_worker *dhcp4_worker_create(const struct dhcp4_worker_params *p);   /* NULL + errno */
void dhcp4_worker_free(struct dhcp4_worker *w);
struct stats4 *dhcp4_worker_stats(struct dhcp4_worker *w);
struct lease_table *dhcp4_worker_leases(struct dhcp4_worker *w);
/* The datapath sets the clock once per loop pass (epoch seconds). */
void dhcp4_worker_set_now(struct dhcp4_worker *w, uint32_t now);

/* Where the reply goes (RFC 2131 §4.1 delivery rules), host byte order. */
struct dhcp4_tx {
	uint32_t src_ip;               /* the server address on rx->iface */
	uint32_t dst_ip;
	uint16_t src_port, dst_port;
	uint8_t dst_mac[6];            /* ff:ff:ff:ff:ff:ff for broadcast */
	uint8_t ask;                   /* DHCP4_SUSPEND: enum dhcp4_ask */
	uint8_t msg_type;              /* the reply's (counted as sent in pkt4-*-sent) */
	uint64_t wait_seq;             /* 0: send now; else the lease change (its seq in
					 * the worker's log) the reply answers for: the
					 * datapath holds it until that is safe */
};

/* Client key: client-id (option 61) if present and match-client-id is on,
 * else chaddr (hlen bytes) under a fixed htype byte of 1: the lease file
 * keeps no htype, so the real one cannot be part of a key that must be the
 * same before and after a restart. */
void dhcp4_client_key(const struct dhcp4_pkt *p, bool match_client_id, struct lease_key *k);

/* Worker that owns a client: lease_key_hash(key) % n_workers. */
static inline unsigned dhcp4_owner(const struct lease_key *k, unsigned n_workers);

/* Handle one parsed request.  Writes the reply's DHCP payload to out.
 * Returns its length (> 0), 0 when there is nothing to send (e.g. RELEASE),
 * or -1 when the request is dropped (the reason is counted in stats). */
int dhcp4_process(struct dhcp4_worker *w, const struct dhcp4_rx *rx,
		  const struct dhcp4_pkt *req, uint8_t *out, size_t cap, struct dhcp4_tx *tx);

/* ---- resumable transactions ----------------------------------------
 * A transaction that needs an outside answer stops at that stage:
 * dhcp4_process returns DHCP4_SUSPEND and tx->ask says what to ask
 * (nothing has changed yet).  The caller keeps the request, gets the
 * answer without blocking and calls dhcp4_resume on the same worker with
 * the same request: the stages before the question run again on the
 * configuration of that moment (nothing the worker holds across loop
 * passes points into a configuration), then the transaction goes on with
 * the verdict. */
#define DHCP4_SUSPEND (-2)
enum dhcp4_ask { DHCP4_ASK_NONE = 0, DHCP4_ASK_ACCESS = 1 };
/* The answer (access_cache.h): ACCESS_ACCEPT with what it assigns — the
 * Framed-IP-Address is the client's reserved address when it lies in a
 * pool of a candidate subnet, the Framed-Pool a class the client is in —
 * or ACCESS_REJECT (dropped, counted).  It is cached for the client
 * (conf radius cache-ttl / reject-ttl) unless ACCESS_F_NOCACHE. */
struct access_answer;
int dhcp4_resume(struct dhcp4_worker *w, const struct dhcp4_rx *rx, const struct dhcp4_pkt *req,
		 uint8_t ask, const struct access_answer *ans, uint8_t *out, size_t cap,
		 struct dhcp4_tx *tx);
/* What the transaction that just suspended asks about: its client's
 * identifier as RADIUS names it (conf radius identifier-type4; the
 * hardware address when the configured one is missing from the packet).
 * Valid until the next dhcp4_process / dhcp4_resume on this worker. */
const uint8_t *dhcp4_access_id(const struct dhcp4_worker *w, uint8_t *type, uint8_t *len);
/* ... and the RADIUS attributes only its packet tells, encoded (type,
 * length, value): NAS-Port-Id from the relay's circuit-id. */
const uint8_t *dhcp4_access_attrs(const struct dhcp4_worker *w, uint16_t *len);
/* This worker's answer cache (NULL without ask_access): for the control
 * messages that read and change it, on this worker's thread only. */
struct access_cache *dhcp4_worker_access_cache(struct dhcp4_worker *w);

/* Reclaim up to `max` expired leases (offers, leases, probation ends).
 * Returns how many were handled (a lease whose address cannot be freed
 * yet is counted, kept and retried a second later).  Also polls the
 * release queue. */
unsigned dhcp4_expire(struct dhcp4_worker *w, unsigned max);

/* Release queue.  With a flusher, an address a persisted lease
 * gives up (RELEASE, expiry, the client moving, lease4-del, the end of
 * probation) keeps its pool bit until its delete record is durable:
 * otherwise another worker could take the address and its add record could
 * reach the store before this worker's delete, and a restart would lose
 * that ACKed lease.  Call dhcp4_worker_poll every loop pass (cheap when
 * nothing waits); it gives back the bits whose delete is durable and
 * returns how many.  When the queue is full the change that would free an
 * address is refused (release-queue-full) and the lease stays.  In memory
 * mode nothing waits. */
unsigned dhcp4_worker_poll(struct dhcp4_worker *w);
unsigned dhcp4_worker_pending(const struct dhcp4_worker *w);   /* addresses waiting */

/* Start-up: put one persisted record into this worker's table and the
 * allocator (called by main before the workers run, for the worker that
 * owns the record's key).  A delete record removes the lease.  Records for
 * addresses outside every configured pool are kept in the table but take
 * no pool bit.  Returns 0 or -errno. */
int dhcp4_restore(struct dhcp4_worker *w, const struct lease_rec *r);

/* Key a persisted record is owned under (same rule as dhcp4_client_key). */
void dhcp4_rec_key(const struct lease_rec *r, bool match_client_id, struct lease_key *k);

/* ---- live reconfiguration -------------------------------------------
 *
 * A new runtime for config c that carries over the allocator of every pool
 * of `old` whose range is unchanged: the bitmap object moves, so the
 * addresses in use stay in use and nothing is re-scanned.  Until
 * dhcp4_runtime_commit(new), freeing `new` gives those pools back to
 * `old`; after it, freeing `old` leaves them alone.  NULL + errno. */
struct dhcp4_runtime *dhcp4_runtime_create_from(const struct conf *c, struct dhcp4_runtime *old);
void dhcp4_runtime_commit(struct dhcp4_runtime *rt);
uint32_t dhcp4_runtime_carried(const struct dhcp4_runtime *rt);   /* pools moved from old */
/* Subnet index and pool index of global pool p (for statistics names). */
int dhcp4_runtime_pool_info(const struct dhcp4_runtime *rt, uint32_t p, unsigned *subnet,
			    unsigned *index_in_subnet, uint32_t *first, uint32_t *last);

/* Building the new runtime's pools off the workers.
 * dhcp4_runtime_create_from seeds them already; for the copy to be exact
 * while workers serve, the caller freezes the old pools that new pools
 * replace (dhcp4_runtime_freeze: from then on a worker neither takes nor
 * frees there), waits until no worker is inside a unit of work begun
 * before (dhcp4_worker_busy), then seeds again:
 * dhcp4_runtime_seed resets each new or resized pool, claims its
 * reservations and every address in use in the old pools it covers, and
 * marks the reservations a not yet remapped old lease may hold (nobody
 * takes those until dhcp4_runtime_commit).  Returns the bits copied.
 * dhcp4_runtime_thaw undoes a freeze (a reload given up).
 * dhcp4_runtime_commit once no worker uses the old runtime any more. */
unsigned dhcp4_runtime_freeze(struct dhcp4_runtime *rt);
void dhcp4_runtime_thaw(struct dhcp4_runtime *rt);
int dhcp4_runtime_seed(struct dhcp4_runtime *rt);
bool dhcp4_runtime_in_use(const struct dhcp4_runtime *rt, uint32_t addr);   /* its pool bit */

/* What the control thread prepares and a worker applies at its quiescent
 * point (dhcp4_worker_switch): it swaps conf, runtime, its per-subnet and
 * per-pool statistics arrays and pool cursors, and from then on remaps
 * each lease onto the new pools as it is touched, plus `max` more per
 * dhcp4_worker_remap call (true once none is left: then the counts below
 * are final and the old runtime is no longer used by this worker).  The
 * old arrays come back in the same fields for the caller to free once the
 * worker has switched.  dhcp4_worker_reconfigure does both at once
 * (tests, and a worker that is not serving). */
struct dhcp4_reconf {
	const struct conf *conf;
	struct dhcp4_runtime *rt;
	struct stats4_subnet *subnet;  /* zeroed, conf->n_subnets entries */
	struct stats4_pool *pool;      /* zeroed, one per runtime pool */
	uint32_t *cursor;              /* one per runtime pool */
	/* results, final when the remap is done */
	uint64_t leases;               /* leases remapped */
	uint64_t orphaned;             /* address in no pool any more: kept, no pool bit */
	uint64_t conflicts;            /* pool bit already taken (should not happen) */
};
int dhcp4_worker_switch(struct dhcp4_worker *w, struct dhcp4_reconf *rc);   /* 0, -EINVAL, -EBUSY */
bool dhcp4_worker_remap(struct dhcp4_worker *w, unsigned max);
int dhcp4_worker_reconfigure(struct dhcp4_worker *w, struct dhcp4_reconf *rc);

/* A unit of work that may touch pool bits (a packet burst, the release
 * queue, expiry, a lease command) runs between enter and leave; busy is
 * odd meanwhile, for the control thread's freeze.  frozen: the worker's
 * runtime has pools a reload is replacing (lease commands wait). */
void dhcp4_worker_enter(struct dhcp4_worker *w);
void dhcp4_worker_leave(struct dhcp4_worker *w);
uint32_t dhcp4_worker_busy(const struct dhcp4_worker *w);
bool dhcp4_worker_frozen(const struct dhcp4_worker *w);

/* ---- control operations -----------------------------------------------
 * Run on the worker that owns the lease (from its control message ring),
 * never from another thread: single writer. */
#define DHCP4_FILTER_SUBNETS 64
struct dhcp4_lease_filter {
	uint32_t addr;                 /* this address only, 0 = any */
	uint32_t from;                 /* addresses above it only (paging), 0 = all */
	uint32_t limit;                /* keep the `limit` lowest addresses, 0 = all */
	uint32_t subnet_ids[DHCP4_FILTER_SUBNETS];
	unsigned n_subnet_ids;         /* 0 = every subnet */
	uint8_t hw_len;                /* 0 = any hardware address */
	uint8_t hw[16];
	uint16_t cid_len;              /* 0 = any client-id */
	uint8_t cid[255];
};

/* Copy the leases matching f (offers are not leases: never included) into
 * out[cap] as records; *matched counts every match.  With f->limit, out
 * keeps the lowest addresses.  Returns how many were copied. */
unsigned dhcp4_lease_query(struct dhcp4_worker *w, const struct dhcp4_lease_filter *f,
			   struct lease_rec *out, unsigned cap, uint64_t *matched);
/* Add lease r (Kea's lease4-add): -EINVAL (address in no subnet), -EEXIST
 * (the client or the address has a lease already), -ENOMEM.  With
 * `replace`, the lease at r->addr held by this worker is replaced instead
 * (lease4-update; -ENOENT if there is none).  Persisted; *seq is its
 * write-behind sequence (0 without a flusher). */
int dhcp4_lease_add(struct dhcp4_worker *w, const struct lease_rec *r, bool replace, uint64_t *seq);
/* lease4-update with force-create on this worker: the lease at r->addr
 * held here is replaced, or r is added.  dhcp4_lease_add's results. */
int dhcp4_lease_put(struct dhcp4_worker *w, const struct lease_rec *r, uint64_t *seq);
/* Delete the leases matching f (lease4-del, lease4-wipe): persisted,
 * address freed, gauges updated.  Returns how many, or -ENOMEM, or
 * -ENOBUFS when none could be deleted for lack of room in the write-behind
 * ring or the release queue (counted; the leases stay).  left (may be
 * NULL) gets how many matching leases stayed for lack of room: a caller
 * may call again for those once the flusher has caught up. */
long dhcp4_lease_del(struct dhcp4_worker *w, const struct dhcp4_lease_filter *f, unsigned *left);
/* Reclaim expired leases now (leases-reclaim), at most max. */
unsigned dhcp4_lease_reclaim(struct dhcp4_worker *w, unsigned max);
/* The origin (enum lease_origin) the lease-control calls here log their
 * changes with, until set again: LEASE_ORIGIN_CONTROL (the default), or
 * LEASE_ORIGIN_HA for the partner's updates, which the HA link does not
 * send back.  The worker's message handler sets it per message. */
void dhcp4_worker_set_ctl_origin(struct dhcp4_worker *w, uint8_t origin);

/* ---- address owners and by-address operations (added) -------------------
 *
 * Each address in use has an owner reference (32 bits): the worker that
 * holds its lease and the lease's id in that worker's table, written by
 * that worker beside the pool bit (or, outside the pools, in a small
 * shared index), read by anybody.  A by-address question goes to that one
 * worker, which checks the reference against its table. */
#define DHCP4_REF_WORKERS 63            /* low 6 bits: worker + 1 (0: none) */
static inline uint32_t dhcp4_ref(unsigned worker, uint32_t id)
{
	/* an id too big for 26 bits is left out: the owner then searches */
	return (id < (1u << 26) - 1 ? (id + 1) << 6 : 0) | (worker + 1);
}
static inline int dhcp4_ref_worker(uint32_t ref)
{
	return (int)(ref & DHCP4_REF_WORKERS) - 1;
}
static inline uint32_t dhcp4_ref_id(uint32_t ref)      /* UINT32_MAX: not given */
{
	return (ref >> 6) ? (ref >> 6) - 1 : UINT32_MAX;
}

/* Any thread: the worker that holds a lease (or an offer) at addr, or
 * -ENOENT (nobody), or -EAGAIN (not known: the index of addresses outside
 * the pools overflowed; ask every worker).  ref (may be NULL) gets the
 * owner reference. */
int dhcp4_addr_owner(const struct dhcp4_runtime *rt, uint32_t addr, uint32_t *ref);

/* Control thread: the leases above `from` in address order, at most
 * `limit`, into out (room for limit), for lease4-get-page.  It walks the
 * pools' bitmaps (in-use bits, their owners) and the index of addresses
 * outside the pools from `from` on, and asks the owners for the records
 * of a batch of addresses at a time through `fetch`: cost O(limit) plus
 * the bitmap words stepped over, not a pass over every lease.
 * fetch(ctx, addrs, workers, n, out): the leases of addrs[0..n) (ascending,
 * held by workers[i]) that their worker has, into out in address order;
 * returns how many, or -errno.  Returns the count, or -errno (-EAGAIN:
 * the outside index overflowed, this walk could miss leases). */
typedef long (*dhcp4_fetch_fn)(void *ctx, const uint32_t *addrs, const int *workers, unsigned n,
			       struct lease_rec *out);
long dhcp4_lease_page(const struct dhcp4_runtime *rt, uint32_t from, uint32_t limit,
		      dhcp4_fetch_fn fetch, void *ctx, struct lease_rec *out);

/* Worker: the records of those of addrs[0..n) that this worker holds a
 * lease at (offers are not leases), in the order given.  O(n). */
unsigned dhcp4_lease_fetch(struct dhcp4_worker *w, const uint32_t *addrs, unsigned n,
			   struct lease_rec *out);

/* Moving a lease between workers (lease4-update gives the address to a
 * client another worker owns) without a moment in which it is missing:
 *  1. dhcp4_lease_adopt on the new owner: the lease for the new client
 *     goes into its table without taking the address (it is held), the
 *     owner reference passes to it, an ADD record is logged (*seq);
 *  2. dhcp4_lease_handover on the old one (ref: the reference it had
 *     before step 1): its entry goes without a record and without giving
 *     the address back; *seq = its log's head, which covers every record
 *     it wrote for the address (also when the lease ended between 1 and
 *     2, silently, and it answers -ENOENT);
 *  3. if the old worker's records may reach the store after the ADD (its
 *     *seq was not durable before step 1), wait until it is, then
 *     dhcp4_lease_relog on the new owner logs the lease again, last.
 * See move_lease (engine/ctl) for why every interleaving leaves the store
 * and a restart right. */
int dhcp4_lease_adopt(struct dhcp4_worker *w, const struct lease_rec *r, uint64_t *seq);
/* Where in each pool the workers start looking for free addresses, as a
 * fraction of the pool (spread / 2^32) added to their even spacing.
 * Process-wide, set once before the workers are made (main: a random one
 * when several servers share the database, so they do not all claim the
 * same addresses first); 0 by default. */
void dhcp4_set_cursor_spread(uint32_t spread);

/* A reply counted as sent (pkt4-sent, pkt4-<type>-sent) did not leave
 * after all: the datapath dropped it (the store refused its lease, or it
 * waited too long).  Worker thread. */
void dhcp4_reply_unsent(struct dhcp4_worker *w, uint8_t msg_type);
/* Worker: the store refused its change `seq` at addr, another server's
 * client (holder; NULL: unknown) holds it.  See dhcp4_lease_ctl.c.  0, or
 * -ENOENT when that change is no longer this worker's lease at addr. */
int dhcp4_lease_foreign(struct dhcp4_worker *w, uint32_t addr, uint64_t seq,
			const struct lease_rec *holder);
/* Worker (the one the flusher picks for holder->addr, so every claim of
 * an address reaches the same one): another server sharing the store
 * published that its client holds holder->addr.  Held here as a refused
 * claim's holder is (LEASE_F_FOREIGN: never written, ended without a
 * record at its expiry, the address not handed out meanwhile), keyed by
 * the holder's client key, counted in leases-learnt-claims:
 *  - a foreign entry of that client at that address: its expire and
 *    valid_lft refreshed (a renewal learnt);
 *  - else the address is taken for it: its pool bit, or the entry that
 *    holds it here if that is a foreign one (a new holder learnt) or the
 *    client's own offer; the client's offer or foreign entry at another
 *    address goes without a record.
 * A holder that is not live (expire <= now, valid_lft 0, state not
 * default) ends the foreign entry at its address, if any (0, or as
 * dhcp4_lease_drop).  0, or -EINVAL (address 0), -ENOENT (not live and
 * nothing to end; the address in none of our pools, or reserved),
 * -EEXIST (our client's live lease: left as it is), -EBUSY (the address
 * is our live lease or offer, or another worker's: left, the store
 * arbitrates when either side writes), -ENOMEM.  Nothing is logged. */
int dhcp4_lease_learn(struct dhcp4_worker *w, const struct lease_rec *holder);
int dhcp4_lease_handover(struct dhcp4_worker *w, uint32_t addr, uint32_t ref, uint64_t *seq);
int dhcp4_lease_relog(struct dhcp4_worker *w, uint32_t addr, uint64_t *seq);
static inline unsigned dhcp4_owner(const struct lease_key *k, unsigned n_workers)
{
	return n_workers <= 1 ? 0 : (unsigned)(lease_key_hash(k) % n_workers);
}
