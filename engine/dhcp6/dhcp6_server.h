/* DHCPv6 server logic (RFC 8415): one request in, at most one reply out,
 * on the worker that owns the client (the DUID's hash), lock free: its
 * own v6 lease table, the shared allocator pools (alloc6.h), its own
 * statistics, and its lease-change log.  No DPDK here; the datapath wraps
 * it, as dhcp4_server.h for DHCPv4. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf.h"
#include "dhcp6_wire.h"
#include "lease.h"
#include "stats.h"

struct lease_log;
struct lease6_rec;
struct lease6_table;

/* ---- server DUID ------------------------------------------------------
 * Kea's server-id: the configured one, else the one kept in
 * <data-directory>/peregrine-dhcp6-serverid (hex, as Kea keeps
 * kea-dhcp6-serverid), else a new one (LLT from the first port's MAC and
 * the time, LL from the MAC, EN from the enterprise id and random bytes),
 * written there when persist is on.  Control thread, at start-up. */
int dhcp6_server_duid(const struct conf6 *c6, const uint8_t mac[6], uint8_t *duid,
		      uint8_t *len, char *err, size_t errlen);

/* ---- runtime: shared, per configuration --------------------------------- */
struct dhcp6_runtime;
/* NULL + errno.  c->v6 must be set; duid is the server's (copied). */
struct dhcp6_runtime *dhcp6_runtime_create(const struct conf *c, const uint8_t *duid,
					   uint8_t duid_len);
void dhcp6_runtime_free(struct dhcp6_runtime *rt);
uint32_t dhcp6_runtime_pool_count(const struct dhcp6_runtime *rt);
/* The server's DUID. */
const uint8_t *dhcp6_runtime_duid(const struct dhcp6_runtime *rt, uint8_t *len);
/* Pool p: its subnet (index in conf->v6->subnets), its index among the
 * subnet's pools or pd-pools, whether it is a pd-pool, its size and used
 * count (units: addresses or prefixes). */
int dhcp6_runtime_pool_info(const struct dhcp6_runtime *rt, uint32_t p, unsigned *subnet,
			    unsigned *index, bool *pd, uint64_t *size, uint64_t *used);

/* ---- live reconfiguration ----------------------------------------------
 * A reload of the dhcp6 block, without stopping any worker and without
 * a unit ever held by two leases (dhcp6_reconf.c says why):
 *  0. dhcp6_runtime_create_from(new conf, running runtime), control
 *     thread: a pool whose range and unit length are unchanged carries its
 *     allocator over (nothing re-scanned); the others are new and closed.
 *  1. dhcp6_worker_prepare on every worker, each on its own thread: from
 *     then on it mirrors every unit it takes or gives back into the new
 *     runtime, and it claims there the units of all its leases.
 *  2. dhcp6_runtime_open once every worker is prepared.
 *  3. dhcp6_worker_switch on every worker: it serves the new runtime
 *     (its leases remapped, statistics and cursors laid out anew).
 *  4. dhcp6_runtime_commit once every worker switched; the old runtime
 *     (and its conf6) can be freed after it.
 * Giving up after 1 or 2: dhcp6_worker_unprepare on every worker that got
 * prepared, then dhcp6_runtime_free(new) hands the carried pools back. */
struct dhcp6_worker;
struct dhcp6_runtime *dhcp6_runtime_create_from(const struct conf *c, struct dhcp6_runtime *old);
uint32_t dhcp6_runtime_carried(const struct dhcp6_runtime *rt);
void dhcp6_runtime_open(struct dhcp6_runtime *rt);
void dhcp6_runtime_commit(struct dhcp6_runtime *rt);
/* The config line of pool p (its pools or pd-pools entry), 0 if none. */
int dhcp6_runtime_pool_line(const struct dhcp6_runtime *rt, uint32_t p);

/* One worker's part of a reload (the control thread owns it). */
struct dhcp6_reconf {
	const struct conf *conf;        /* rt's */
	struct dhcp6_runtime *rt;
	/* In: the worker's new per-subnet and per-pool statistics and pool
	 * cursors, zeroed, laid out as rt.  After the switch: its old ones,
	 * for the caller to free. */
	struct stats6_subnet *subnet;
	struct stats6_pool *pool;
	uint64_t *cursor;
	/* prepare: leases (and units waiting in the release queue) whose unit
	 * the new runtime had already (kept, with no unit from the switch
	 * on); those that lie in a new pool cut in units of another length
	 * (the reload must be given up: bad_pool is the first such pool) */
	uint64_t conflicts, mismatched;
	int32_t bad_pool;
	/* switch: leases remapped, and those left in no pool or subnet */
	uint64_t leases, orphaned;
};
/* 0; -EINVAL (rc->rt is not made from the worker's runtime), -EBUSY
 * (prepared already). */
int dhcp6_worker_prepare(struct dhcp6_worker *w, struct dhcp6_reconf *rc);
void dhcp6_worker_unprepare(struct dhcp6_worker *w);
/* 0, or -EINVAL: not prepared for rc->rt (nothing changed). */
int dhcp6_worker_switch(struct dhcp6_worker *w, struct dhcp6_reconf *rc);

/* ---- worker ------------------------------------------------------------ */
struct dhcp6_worker_params {
	unsigned id, n_workers;
	const struct conf *conf;
	struct dhcp6_runtime *rt;
	struct lease_log *log;          /* the same log as the worker's DHCPv4 changes */
	uint32_t durable;               /* log consumers that make a change durable */
	uint32_t lease_capacity;
	/* A reply names its change (tx->wait_seq) also without a store in
	 * commit mode: the datapath may hold it for the HA partner. */
	bool replies_wait;
	/* Ask for an access verdict (RADIUS) before assigning: a SOLICIT,
	 * REQUEST, RENEW or REBIND of a client with no cached answer
	 * suspends (DHCP6_SUSPEND); the answer it resumes with is cached. */
	bool ask_access;
	uint32_t access_cache_max;      /* cached answers (ask_access), 0 = 65536 */
};
struct dhcp6_worker;
struct dhcp6_worker *dhcp6_worker_create(const struct dhcp6_worker_params *p);   /* NULL + errno */
void dhcp6_worker_free(struct dhcp6_worker *w);
struct stats6 *dhcp6_worker_stats(struct dhcp6_worker *w);
struct lease6_table *dhcp6_worker_leases(struct dhcp6_worker *w);
void dhcp6_worker_set_now(struct dhcp6_worker *w, uint32_t now);

/* Where a request came from, as the datapath saw it. */
struct dhcp6_rx {
	unsigned iface;                 /* index into conf->ifaces */
	uint8_t src_ip[16], dst_ip[16];
	uint16_t src_port;
	uint8_t src_mac[6];
	bool multicast;                 /* sent to ff02::1:2 (or ff05::1:3) */
	uint16_t ha_class;              /* HA: the HA_<server> class of the query's
					 * scope; 0 (ALL, always set): none */
};

/* Where the reply goes: the relay that sent it (port 547) or the client
 * (port 546, its link-local address), to the L2 source of the request. */
struct dhcp6_tx {
	uint8_t dst_ip[16];
	uint16_t dst_port;
	uint64_t wait_seq;              /* 0: send now; else the log change it waits for */
	uint8_t msg_type;               /* the reply's (counted as sent in pkt6-*-sent) */
	uint8_t ask;                    /* DHCP6_SUSPEND: enum dhcp6_ask */
};

/* A reply counted as sent did not leave after all (dropped by the
 * datapath: a refused lease, a timeout).  Worker thread. */
void dhcp6_reply_unsent(struct dhcp6_worker *w, uint8_t msg_type);

/* Worker that owns a client: lease_duid_hash(duid) % n_workers.  A
 * message without a client id goes to worker 0 (it is dropped there, or
 * answered when it is an INFORMATION-REQUEST). */
unsigned dhcp6_owner(const struct dhcp6_pkt *p, unsigned n_workers);

/* Handle one parsed request.  Writes the reply's UDP payload to out.
 * Returns its length (> 0), 0 when there is nothing to send, -1 when
 * the request is dropped (the reason counted), or DHCP6_SUSPEND (below)
 * when it waits for an access verdict. */
int dhcp6_process(struct dhcp6_worker *w, const struct dhcp6_rx *rx, const struct dhcp6_pkt *req,
		  uint8_t *out, size_t cap, struct dhcp6_tx *tx);

/* ---- resumable transactions (as dhcp4_server.h's) ---------------------
 * A transaction that needs an outside answer stops before anything
 * changed: dhcp6_process returns DHCP6_SUSPEND and tx->ask says what to
 * ask.  The caller keeps the request, gets the answer without blocking
 * and calls dhcp6_resume on the same worker with the same request: the
 * stages before the question run again on the configuration of that
 * moment, then the transaction goes on with the verdict. */
#define DHCP6_SUSPEND (-2)
enum dhcp6_ask { DHCP6_ASK_NONE = 0, DHCP6_ASK_ACCESS = 1 };
/* The answer (access_cache.h): ACCESS_ACCEPT with what it assigns — the
 * Framed-IPv6-Address is the address of the client's (first) IA_NA when
 * it lies in a pool of a subnet the client may use, whatever the pool's
 * classes; the Delegated-IPv6-Prefix the prefix of its (first) IA_PD
 * when it lies in a pd-pool of that delegated length; the
 * Framed-IPv6-Pool a class the client is in (pools and pd-pools guarded
 * by it serve it) — or ACCESS_REJECT (dropped, counted).  An address or
 * prefix that cannot be used so is counted, and the IA gets the usual
 * allocation.  The answer is cached for the client (conf radius
 * cache-ttl / reject-ttl) unless ACCESS_F_NOCACHE. */
struct access_answer;
int dhcp6_resume(struct dhcp6_worker *w, const struct dhcp6_rx *rx, const struct dhcp6_pkt *req,
		 uint8_t ask, const struct access_answer *ans, uint8_t *out, size_t cap,
		 struct dhcp6_tx *tx);
/* What the transaction that just suspended asks about: its client's
 * identifier as RADIUS names it (conf radius identifier-type6: the DUID
 * by default; hw-address: the client's link-layer address, from the
 * relay's client link-layer address option, a DUID-LLT / DUID-LL, or the
 * frame of a direct message; flex-id: flex-id-expression's value; the
 * DUID when the packet lacks the configured one).  Valid until the next
 * dhcp6_process / dhcp6_resume on this worker. */
const uint8_t *dhcp6_access_id(const struct dhcp6_worker *w, uint8_t *type, uint8_t *len);
/* ... its hardware address when known (*len 0: not known; at most 16
 * octets), for Calling-Station-Id ... */
const uint8_t *dhcp6_access_hw(const struct dhcp6_worker *w, uint8_t *len);
/* ... and the RADIUS attributes only its packet tells, encoded (type,
 * length, value): NAS-Port-Id from the interface-id of the relay closest
 * to the client. */
const uint8_t *dhcp6_access_attrs(const struct dhcp6_worker *w, uint16_t *len);
/* This worker's answer cache (NULL without ask_access): for the control
 * messages that read and change it, on this worker's thread only. */
struct access_cache *dhcp6_worker_access_cache(struct dhcp6_worker *w);

/* Reclaim up to max expired leases; also gives back the units whose
 * delete record became durable.  Returns how many were handled. */
unsigned dhcp6_expire(struct dhcp6_worker *w, unsigned max);
unsigned dhcp6_worker_poll(struct dhcp6_worker *w);

/* Start-up: one persisted record into this worker's table and the pools
 * (main calls it for the worker that owns the record's DUID; a record
 * without a DUID, a declined one, goes to worker 0).  A delete record
 * removes the lease.  0 or -errno. */
int dhcp6_restore(struct dhcp6_worker *w, const struct lease6_rec *r);
/* Worker: the store refused its change `seq` at addr; another server's
 * client (holder; NULL: unknown) holds it.  0, or -ENOENT when that change
 * is no longer this worker's lease at addr. */
int dhcp6_lease_foreign(struct dhcp6_worker *w, struct lease_addr6 addr, uint64_t seq,
			const struct lease6_rec *holder);
/* Worker (the one the flusher picks for holder->addr): another server
 * sharing the store published that its client holds holder->addr (an
 * address, or a delegated prefix of holder->prefix_len).  As
 * dhcp4_lease_learn: held here as a refused claim's holder is
 * (LEASE_F_FOREIGN), filed under the holder's IA {duid, type, iaid},
 * counted in v6-leases-learnt-claims:
 *  - a foreign lease of that IA at that address: its expire, valid and
 *    preferred lifetimes refreshed (a renewal learnt);
 *  - else the unit is taken for it: in its pool, or from the foreign
 *    lease of another IA that holds it here (a new holder learnt); the
 *    IA's foreign leases at other addresses end without a record.
 * A holder that is not live (expire <= now, valid_lft 0, no DUID, state
 * not default) ends the foreign lease at its address, if any (0, or as
 * dhcp6_lease_drop).  0, or -EINVAL (type), -ENOENT (not live and nothing
 * to end; the unit in none of our pools of that unit length, or
 * reserved), -EEXIST (the IA has a lease of ours: left as it is), -EBUSY
 * (the unit is our lease or another worker's, or a reload is being
 * prepared: left, the store arbitrates), -ENOMEM.  Nothing is logged. */
int dhcp6_lease_learn(struct dhcp6_worker *w, const struct lease6_rec *holder);
unsigned dhcp6_rec_owner(const struct lease6_rec *r, unsigned n_workers);

/* ---- control operations (on the owning worker, from its message ring) ---- */
struct dhcp6_lease_filter {
	bool by_addr;
	struct lease_addr6 addr;        /* by_addr: this address or prefix only */
	bool after;                     /* paging: addresses above `from` only */
	struct lease_addr6 from;
	uint32_t limit;                 /* keep the `limit` lowest addresses, 0 = all */
	uint32_t subnet_ids[64];
	unsigned n_subnet_ids;          /* 0 = every subnet */
	uint8_t duid_len;               /* 0 = any client */
	uint8_t duid[LEASE_DUID_MAX];
	bool by_iaid;
	uint32_t iaid;
	int type;                       /* enum lease6_type, -1 = any */
};
unsigned dhcp6_lease_query(struct dhcp6_worker *w, const struct dhcp6_lease_filter *f,
			   struct lease6_rec *out, unsigned cap, uint64_t *matched);
/* lease6-add (replace false) / lease6-update (replace true): -EINVAL (in
 * no subnet), -EEXIST, -ENOENT, -ENOBUFS (log full), -ENOMEM. */
int dhcp6_lease_add(struct dhcp6_worker *w, const struct lease6_rec *r, bool replace,
		    uint64_t *seq);
long dhcp6_lease_del(struct dhcp6_worker *w, const struct dhcp6_lease_filter *f);
/* The origin (enum lease_origin) dhcp6_lease_add and -del log their
 * changes with, until set again: LEASE_ORIGIN_CONTROL (the default), or
 * LEASE_ORIGIN_HA for the partner's updates (dhcp4_worker_set_ctl_origin). */
void dhcp6_worker_set_ctl_origin(struct dhcp6_worker *w, uint8_t origin);
