/* The DPDK datapath: ports, worker lcores, steering, parking.
 *
 * Each worker owns RX queue k and TX queue k of every port.  A DHCP packet
 * is handled by the worker that owns its client (dhcp4_owner); packets that
 * land elsewhere cross over an SP/SC ring, one ring per (from, to) pair, so
 * no ring ever has two producers or two consumers.  Every lease change a
 * worker makes goes into its lease-change log (lease_log.h); a reply that
 * must wait for a consumer of that log (the store in commit mode) is held
 * in the worker's reply gate (gate.h) until the consumer's watermark
 * passes its change, or its deadline passes. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include "access_cache.h"
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include "conf.h"
#include "dhcp4_server.h"
#include "dhcp6_server.h"
#include "lease_rec.h"
#include "netstate.h"

#define DP_BURST        32
#define DP_MAX_PORTS    8
#define DP_MAX_WORKERS  32
#define DP_STEER_RING   1024
#define DP_PARK_SIZE    4096            /* parked replies per worker and gate lane, power of two */
#define DP_SHED_PARKED  (DP_PARK_SIZE / 2) /* parked replies from which new transactions are shed */
#define DP_RERUN_MAX    DP_PARK_SIZE    /* refused requests served again per loop pass (a lane's worth) */
#define DP_GATE_TIMEOUT_MS 3000         /* a parked reply not safe by then is dropped */
#define DP_PENDING      4096            /* transactions waiting for an answer, per worker */
#define DP_ASK_RING     4096            /* questions / answers in flight per worker */
#define DP_ASK_MS       3000            /* default wait for an answer (dp.ask_ms) */
#define DP_EXPIRE_BATCH 64              /* leases reclaimed per loop pass at most */
#define DP_MSG_RING     64              /* control -> worker messages in flight */
#define DP_MSG_BATCH    4               /* messages a worker handles per loop pass */
#define DP_APPLY_MAX    64              /* records in one APPLY message (its time on the lcore) */
#define DP_LOG_SIZE     16384           /* lease-change log entries per worker */
#define DP_WB_BATCH     1024            /* flusher batch (wb's default) */
#define DP_REMAP_BATCH  256             /* leases remapped per loop pass after a reload */

struct wb;

/* A range of seqs in one refusal (dp->ha_refq): flag, length - 1 (15
 * bits), last seq (48 bits). */
#define HA_REFQ_RANGE_MAX     (1u << 15)
#define HA_REFQ_RANGE(lo, hi) ((1ull << 63) | ((uint64_t)((hi) - (lo)) << 48) | (hi))
#define HA_REFQ_IS_RANGE(v)   (((v) >> 63) != 0)
#define HA_REFQ_HI(v)         ((v) & ((1ull << 48) - 1))
#define HA_REFQ_LO(v)         (HA_REFQ_HI(v) - (((v) >> 48) & (HA_REFQ_RANGE_MAX - 1)))

struct dp_port {
	uint16_t port_id;
	unsigned iface;                 /* index into conf->ifaces */
	uint32_t addr;                  /* host order */
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	/* IPv6: the link-local address (from the MAC) and the configured
	 * global one, answered in neighbour discovery; ip6[0] is the
	 * link-local one, n_ip6 is 1 or 2. */
	uint8_t ip6[2][16];
	unsigned n_ip6;
};

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

/* A query the partner should have answered (dp->ha_seen). */
struct dp_ha_seen {
	uint64_t fp;                    /* ha_comm_fp4 / ha_comm_fp6 */
	uint16_t t;                     /* v4 secs, v6 elapsed time (1/100 s) */
	uint8_t fam;                    /* 4 or 6 */
	uint8_t has_t;
	uint32_t pad;
};

struct dp;
struct dp_snap;
struct gate;
struct lease_log;
struct pend_table;
struct rte_rcu_qsbr;

/* A question a worker asks a helper thread (an access verdict from
 * RADIUS, later a database's), and the same record back with the answer.
 * By value on rte_rings: one ring each way per worker, one producer and
 * one consumer each (the worker, and the one helper thread).  The worker
 * writes what only the packet tells (the client's identifier, the
 * packet-dependent attributes, encoded); the helper adds the rest. */
#define DP_ASK_ATTRS ACCESS_ATTRS_MAX
struct dp_ask {
	uint32_t token;                 /* the worker's pending transaction */
	uint16_t worker;
	uint8_t kind;                   /* DHCP4_ASK_* */
	uint8_t family;                 /* 4 or 6 */
	uint32_t giaddr;                /* host order */
	uint8_t msg_type;
	uint8_t hlen;
	uint8_t id_type;                /* the identifier (the cache's key): rad_ident_type */
	uint8_t id_len;
	uint8_t chaddr[16];
	uint8_t id[ACCESS_ID_MAX];
	uint16_t attrs_len;
	uint8_t attrs[DP_ASK_ATTRS];    /* RADIUS attributes from the packet, encoded */
	struct access_answer ans;       /* the answer (helper -> worker) */
};
struct dp_worker {
	unsigned id;
	unsigned lcore;
	struct dp *dp;
	struct dhcp4_worker *dw;
	struct stats4 *st;              /* DHCPv4 counters (the dhcp4 worker's) */
	struct stats_dp sdp;            /* datapath counters, this worker's */
	struct dp_txq txq[DP_MAX_PORTS];
	struct lease_log *log;          /* this worker's lease changes (dp->logs[id]) */
	struct gate *gate;              /* replies waiting for their change to be safe */
	uint32_t need;                  /* log consumers a reply waits for, 0 = none */
	uint32_t need_f[2];             /* ... per family this pass: need | dp->ha_need[f] */
	uint64_t gate_cycles;           /* how long a reply may wait, TSC cycles */
	struct pend_table *pend;        /* transactions waiting for an answer (asks on) */
	uint64_t ask_cycles;            /* how long one may wait, TSC cycles */
	uint32_t idle;                  /* consecutive empty loop passes */
	uint32_t now;                   /* epoch seconds, refreshed per pass */
	uint32_t passes;                /* loop passes, for periodic work */
	struct dp_snap *snap;           /* the snapshot this worker serves (NULL: the first) */
	uint64_t gen_seen;              /* its generation, once switched (atomic) */
	uint64_t gen_done;              /* ... once every lease is remapped (atomic) */
	struct dhcp4_pkt pkt;           /* parse scratch (too big for the stack) */
	struct dhcp6_worker *dw6;       /* NULL: no dhcp6 block, DHCPv6 is not served */
	struct stats6 *st6;
	uint64_t gen6;                  /* the dhcp6 reload it serves (atomic, reload6.c) */
	struct dhcp6_pkt pkt6;
	/* A shared database may refuse a claim: then the request is served
	 * again (the other server's lease learnt meanwhile), so each request
	 * is copied before it is served, and a parked reply keeps its copy. */
	bool keep_req;
	struct rte_mbuf *cur_req;       /* the copy of the request being served */
	struct rte_mbuf *rerun[DP_RERUN_MAX];   /* requests of refused replies, to serve again */
	unsigned n_rerun;
	uint8_t scratch[RTE_ETHER_MTU - 28];   /* reply payload, before framing */
} __rte_cache_aligned;

/* Control -> worker messages (lease commands, reload).  Only the control
 * thread produces, each worker consumes its own ring (SP/SC), a bounded
 * batch per loop pass, idle or not.  The control thread waits for
 * `state` to become DONE with a deadline; if the deadline passes it marks
 * the message ABANDONED and the worker frees it when it gets there. */
enum dp_msg_kind {
	DP_MSG_QUERY,                   /* filter -> out[] */
	DP_MSG_ADD,                     /* rec */
	DP_MSG_UPDATE,                  /* rec replaces the lease at rec.addr */
	DP_MSG_DEL,                     /* filter */
	DP_MSG_RECLAIM,
	DP_MSG_FETCH,                   /* addrs[0..n) -> out[] (lease4-get-page) */
	DP_MSG_ADOPT,                   /* rec moves in: dhcp4_lease_adopt */
	DP_MSG_HANDOVER,                /* filter.addr, ref: dhcp4_lease_handover */
	DP_MSG_RELOG,                   /* filter.addr: dhcp4_lease_relog */
	DP_MSG_APPLY,                   /* out[0..n): each as lease4-update with force-create
					 * (replace the lease at its address, else add);
					 * rets[i] its result, seq the last change's */
	DP_MSG_QUERY6,                  /* filter6 -> out6[] (lease6-get*) */
	DP_MSG_ADD6,                    /* rec6 (lease6-add) */
	DP_MSG_UPDATE6,                 /* rec6 replaces the lease at rec6.addr */
	DP_MSG_DEL6,                    /* filter6 (lease6-del, lease6-wipe) */
	/* A reload of the dhcp6 block (reload6.c), rc6 the worker's part. */
	DP_MSG_PREPARE6,                /* phase 1: dhcp6_worker_prepare */
	DP_MSG_ABORT6,                  /* the reload is given up: unprepare */
	DP_MSG_SWITCH6,                 /* phase 2: dhcp6_worker_switch; seq: its generation */
	/* The worker's access cache (access_cache.h, Kea's host-cache
	 * commands; dp_acache.h handles them).  Without one (no RADIUS) each
	 * answers as an empty cache.  matched: the entries it held. */
	DP_MSG_ACACHE_GET,              /* akey_set: akey's entry; else the next cap
					 * entries (oldest first) after the askip listed
					 * already, the last of them akey -> aout[0..n) */
	DP_MSG_ACACHE_REMOVE,           /* akey; matched: 1 removed, 0 not there */
	DP_MSG_ACACHE_CLEAR,            /* every entry */
	DP_MSG_ACACHE_SIZE,
};
enum dp_msg_state { DP_MSG_PENDING, DP_MSG_DONE, DP_MSG_ABANDONED };

/* A client's key in an access cache, and one entry as DP_MSG_ACACHE_GET
 * copies it out.  A page is bounded so that one message stays short on
 * the lcore (the walk to askip plus the copy). */
#define DP_ACACHE_PAGE 1024
struct dp_acache_key {
	uint8_t type;                   /* rad_ident_type */
	uint8_t len;
	uint8_t id[ACCESS_ID_MAX];
};
struct dp_acache_entry {
	struct dp_acache_key key;
	uint32_t expire;                /* epoch seconds */
	struct access_answer a;
};

struct dp_msg {
	enum dp_msg_kind kind;
	uint32_t state;                 /* enum dp_msg_state, atomic */
	int ret;                        /* 0 or -errno */
	uint8_t origin;                 /* enum lease_origin of the changes it makes;
					 * 0: LEASE_ORIGIN_CONTROL */
	uint64_t seq;                   /* ADD/UPDATE/ADOPT/RELOG: log sequence;
					 * HANDOVER: the old lease's last record */
	uint64_t matched;               /* QUERY: matches; DEL/RECLAIM: leases handled */
	unsigned n, cap;                /* QUERY: records in out, room in out;
					 * DEL: matches left for lack of room */
	struct lease_rec *out;          /* QUERY, FETCH: owned by the message */
	uint32_t *addrs;                /* FETCH: cap addresses, owned by the message */
	int *rets;                      /* APPLY: n results, owned by the message */
	uint32_t ref;                   /* HANDOVER: owner reference before the move */
	struct dhcp4_lease_filter filter;
	struct lease_rec rec;
	/* DHCPv6 messages: out6 has cap records (QUERY6), owned */
	struct dhcp6_lease_filter filter6;
	struct lease6_rec rec6;
	struct lease6_rec *out6;
	struct dhcp6_reconf *rc6;       /* PREPARE6, SWITCH6: not owned */
	/* ACACHE_*: aout has cap entries, owned (the caller allocates it) */
	struct dp_acache_key akey;
	bool akey_set;
	uint8_t afam;                   /* 4: the DHCPv4 worker's cache, 6: the DHCPv6 one's */
	uint32_t askip;
	struct dp_acache_entry *aout;
};

/* A published configuration (reload.c): what each worker switches to at
 * its quiescent point.  Immutable once published, except rc[k], which
 * only worker k writes (the switch, the remap counts). */
struct dp_snap {
	const struct conf *conf;
	struct dhcp4_runtime *rt;
	uint64_t gen;                   /* 1, 2, ...: the reload that made it */
	struct dhcp4_reconf rc[DP_MAX_WORKERS];
};
struct dp_retired;
struct dp_reload6;

struct dp {
	const struct conf *conf;
	unsigned n_ports, n_workers;
	struct dp_port ports[DP_MAX_PORTS];
	uint8_t port_index[RTE_MAX_ETHPORTS];     /* port_id -> index into ports */
	struct dp_worker *workers[DP_MAX_WORKERS];
	struct rte_ring *steer[DP_MAX_WORKERS][DP_MAX_WORKERS];   /* [from][to] */
	struct lease_log *logs[DP_MAX_WORKERS];   /* one per worker, made by dp_logs_init */
	struct wb *wb;                  /* NULL in memory mode */
	struct dhcp6_runtime *rt6;      /* NULL: DHCPv6 is not served */
	uint64_t gen6;                  /* dhcp6 reloads published (reload6.c) */
	struct dp_reload6 *reload6;     /* the one prepared or not retired yet */
	uint32_t durable;               /* log consumers that make a change durable (the store's) */
	bool commit;                    /* replies wait for durability */
	volatile int quit;
	struct rte_ring *ctl_ring[DP_MAX_WORKERS];   /* control -> worker k */
	/* Questions to the helper thread and its answers (dp_asks_enable):
	 * transactions suspend before allocation until the answer comes. */
	bool asks;
	uint32_t ask_ms;                /* 0: DP_ASK_MS */
	struct rte_ring *ask_ring[DP_MAX_WORKERS];   /* worker k -> helper */
	struct rte_ring *answer_ring[DP_MAX_WORKERS];   /* helper -> worker k */
	/* dhcp-disable and the others that turn a family off (netstate.h):
	 * read once per packet (netstate_until), written under its lock. */
	struct netstate ns;
	/* HA (issue 16): Kea's query filter.  With a high-availability
	 * block (ha_on), a balanced query whose scope (ha/ha_hash.h: the
	 * RFC 3074 hash of its client among ha_active servers, 2 in
	 * load-balancing, else 1) is not among the scopes its family serves
	 * (ha_scopes[f], bit i = scope i, written by the HA thread, read per
	 * packet) is dropped (dp-drop-ha-not-in-scope); a served one gets
	 * the class HA_<server of its scope> (ha_class[f][scope], 0 = none). */
	bool ha_on;
	uint8_t ha_active;
	uint32_t ha_scopes[2];
	uint16_t ha_class[2][2];
	/* HA lease updates (ha_run.c): the HA thread's log consumer bit
	 * while replies of family f must wait for the partner's
	 * acknowledgement (ha_need[f], atomic, read once per loop pass), and
	 * per worker the seqs whose update the partner refused or never got
	 * (ha_refq[k], SP/SC, pushed before the watermark passes them): their
	 * replies are dropped, as Kea drops them. */
	uint32_t ha_need[2];
	uint32_t ha_bit;                /* the HA thread's consumer bit (set before the workers run) */
	/* Failure detection: while the HA thread says so (ha_analyze[f],
	 * communication with the partner interrupted), each query of family
	 * f this server does not serve goes to it as a struct dp_ha_seen on
	 * the worker's lossy ring ha_seen[k] (SP/SC; dropped when full). */
	uint32_t ha_analyze[2];
	struct rte_ring *ha_seen[DP_MAX_WORKERS];
	struct rte_ring *ha_refq[DP_MAX_WORKERS];   /* a seq, or HA_REFQ_RANGE(lo, hi) */
	/* Live reconfiguration (reload.c): the snapshot the workers pick up
	 * (written by the control thread, read once per loop pass), their
	 * quiescent states, and what earlier reloads replaced, freed once
	 * every worker is past it. */
	struct dp_snap *snap;
	struct rte_rcu_qsbr *qs;
	struct dp_retired *retired;
	/* Unit tests only: called once per loop pass, before the worker's
	 * quiescent point (a worker made slow there delays every grace
	 * period but must never delay the others). */
	void (*test_hook_pass)(struct dp_worker *w);
};

/* port.c */
int dp_ports_init(struct dp *dp);
void dp_ports_close(struct dp *dp);
unsigned dp_mbufs_in_use(const struct dp *dp);

/* worker.c */
/* One lease-change log per worker, before its consumers register (the
 * flusher, later the HA link) and before dp_workers_init. */
int dp_logs_init(struct dp *dp);
void dp_logs_free(struct dp *dp);   /* after every consumer stopped */
int dp_workers_init(struct dp *dp, struct dhcp4_runtime *rt);
int dp_worker_main(void *arg);      /* lcore entry point */
void dp_rings_drain(struct dp *dp);     /* free mbufs left in steering rings */
void dp_workers_free(struct dp *dp);
/* After the workers stopped and the flusher drained: send what is parked. */
void dp_workers_drain(struct dp *dp);
/* Before dp_workers_init: every worker asks the helper thread for an
 * access verdict before it allocates (DISCOVER, REQUEST that is not a
 * renewal), waiting at most dp->ask_ms without blocking. */
void dp_asks_enable(struct dp *dp);
/* worker_msg.c: handle up to DP_MSG_BATCH control messages on worker w's
 * own lcore (none while a reload freezes its pools); how many. */
unsigned dp_worker_msgs_drain(struct dp_worker *w);
/* The helper thread's side (one thread): take a worker's questions, post
 * each one back with its verdict.  A count; 0 or -ENOBUFS. */
unsigned dp_ask_take(struct dp *dp, unsigned worker, struct dp_ask *out, unsigned max);
int dp_answer_post(struct dp *dp, const struct dp_ask *a);
/* Every worker exists and has its server state and statistics (false
 * after a start-up that failed half way): check before summing stats. */
bool dp_workers_ready(const struct dp *dp);

/* Live reconfiguration (reload.c), control thread.
 *
 * dp_reload publishes config nc and its runtime rt (built by
 * dhcp4_runtime_create_from from the running one) without stopping any
 * worker: it freezes the old pools that new ones replace, waits (at most
 * freeze_ms) until no worker is inside a unit of work begun before, copies
 * their in-use bits into the new pools, and swaps the snapshot pointer.
 * Each worker switches at its next quiescent point and remaps its leases
 * lazily.  It then waits at most wait_ms for every worker to finish and
 * fills `out` with what is known by then.  The old conf and runtime (oc,
 * ort) become the datapath's: freed once every worker has remapped and
 * passed a quiescent state (dp_reload_reap), never before.
 * 0; -EBUSY when an earlier reload is not retired yet, -ETIMEDOUT when the
 * freeze did not settle, -ENOMEM: then nothing was published and the
 * caller still owns nc, rt, oc and ort. */
struct dp_reload_info {
	uint64_t leases, orphaned, conflicts;   /* summed over the workers done */
	unsigned remapping;                     /* workers not done within wait_ms */
	bool rt_kept;                           /* -ETIMEDOUT: rt may still be read,
						 * never free it (nor nc) */
	uint64_t freeze_us, switch_us, remap_us;
};
int dp_reload(struct dp *dp, struct conf *nc, struct dhcp4_runtime *rt, struct conf *oc,
	      struct dhcp4_runtime *ort, unsigned freeze_ms, unsigned wait_ms,
	      struct dp_reload_info *out);
/* Free what earlier reloads replaced once it is safe, waiting at most
 * wait_ms; returns how many reloads are still not retired. */
unsigned dp_reload_reap(struct dp *dp, unsigned wait_ms);
/* After the workers stopped: finish every switch and remap here, free all. */
void dp_reload_finish(struct dp *dp);
/* Worker k serves the current snapshot (its statistics arrays have the
 * current layout): false while it has not switched yet. */
bool dp_worker_current(const struct dp *dp, unsigned k);

/* Live reconfiguration of the dhcp6 block (reload6.c), control thread,
 * around dp_reload: DHCPv6 does not go through the RCU snapshot but
 * through two rounds of control messages (dhcp6_server.h says what each
 * phase does on a worker), each round posted to every worker at once and
 * waited for at most wait_ms.
 *
 * dp_reload6_prepare: phase 1 on every worker, then the new pools open.
 * 0; -EBUSY (the dhcp6 reload before is not retired: a worker has not
 * switched yet), -ETIMEDOUT (a worker did not answer), -EINVAL (leases of
 * another unit length in pool bad_pool of rt), -ENOMEM.  On failure every
 * worker that got prepared is unprepared again and the caller frees rt,
 * unless rt_kept (a worker may still read it: leak it).
 * dp_reload6_abort: give up after a successful prepare (DHCPv4's
 * publication failed); rt_kept as above.
 * dp_reload6_switch: phase 2 on every worker; rt is published (dp->rt6)
 * whatever happens.  The old runtime and the old dhcp6 block (old_c6,
 * detached from its conf) are freed once every worker switched: at once,
 * or later by dp_reload6_reap (a worker that did not answer in time still
 * switches when it gets to the message). */
struct dp_reload6_info {
	uint64_t leases, orphaned, conflicts, mismatched;   /* summed over the workers */
	int32_t bad_pool;
	unsigned switching;             /* workers that had not switched when it returned */
	bool rt_kept;
	uint64_t prepare_us, switch_us;
};
int dp_reload6_prepare(struct dp *dp, const struct conf *nc, struct dhcp6_runtime *rt,
		       unsigned wait_ms, struct dp_reload6_info *out);
void dp_reload6_abort(struct dp *dp, unsigned wait_ms, struct dp_reload6_info *out);
void dp_reload6_switch(struct dp *dp, struct conf6 *old_c6, unsigned wait_ms,
		       struct dp_reload6_info *out);
/* Free the dhcp6 reload that every worker switched to's leftovers;
 * returns 1 while one is still waiting for a worker, else 0. */
unsigned dp_reload6_reap(struct dp *dp);
/* After the workers stopped: switch the ones that did not, free all. */
void dp_reload6_finish(struct dp *dp);
/* Worker k's DHCPv6 statistics arrays have the running layout (it
 * switched to the last dhcp6 reload). */
static inline bool dp_worker6_current(const struct dp *dp, unsigned k)
{
	return __atomic_load_n(&dp->workers[k]->gen6, __ATOMIC_ACQUIRE) == dp->gen6;
}

static inline uint64_t dp_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* Control side of the message rings (worker.c). */
struct dp_msg *dp_msg_new(enum dp_msg_kind kind, unsigned out_cap);   /* NULL + errno */
void dp_msg_free(struct dp_msg *m);
int dp_msg_post(struct dp *dp, unsigned worker, struct dp_msg *m);   /* 0, -ENOBUFS, -EINVAL */
/* 0 when the worker answered, -ETIMEDOUT when it did not in time: the
 * message is then abandoned (the worker frees it) and must not be used. */
int dp_msg_wait(struct dp_msg *m, unsigned timeout_ms);
