/* The protocol-independent half of the client simulator (private to
 * bench/): gen.c (DHCPv4) and gen6.c (DHCPv6) build on it.
 *
 * The core owns the clients' transaction records, the waiting list, the
 * timeouts and retransmissions, the rate pacing, the choice of the next
 * transaction per scenario, the bound list, the latency histogram, the
 * counters and the reports.  A protocol supplies a struct gen_proto: how
 * to write the request a client's state calls for, what to do with a
 * received frame, and how to let go of a client's addresses. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "gen.h"

#define GEN_NONE     UINT32_MAX
#define GEN_PEND_MAX 1024

/* One client's transaction state.  `wait` is 0 when idle, else a state of
 * the protocol's (what answer the client waits for); `word` is the
 * protocol's (DHCPv4: the offered or bound address). */
struct gen_client {
	uint64_t t_start;               /* TSC at the transaction's first send */
	uint64_t t_send;                /* TSC of the last request sent */
	uint32_t prev, next;            /* in the waiting list, oldest send first */
	uint32_t xid;                   /* of the last request sent */
	uint32_t pos;                   /* index in bound[], GEN_NONE if unbound */
	uint32_t word;
	uint8_t wait;
	uint8_t tries;
	uint8_t kind;                   /* enum gen_kind of the transaction */
	uint8_t flags;                  /* the protocol's */
};

/* What became of a received frame (struct gen_proto.rx): kept (queued or
 * sent on), or to be freed and counted. */
enum gen_rx_verdict { GEN_RX_KEPT, GEN_RX_DONE, GEN_RX_LATE, GEN_RX_BAD, GEN_RX_UNKNOWN };

struct gen_proto {
	const char *kind_text[GEN_K_MAX];
	const char *kind_json[GEN_K_MAX];
	/* the state a transaction of each kind starts in; 0 for
	 * GEN_K_RELEASE: a release has no answer (DHCPv4) */
	uint8_t first_wait[GEN_K_MAX];
	uint32_t xid_mask;
	bool v6;
	/* Write the request client ci's state calls for (or, release set, an
	 * unanswered RELEASE) at frame; returns the frame length. */
	unsigned (*build)(struct gen *g, uint8_t *frame, uint32_t ci, bool release);
	/* One received frame; the core frees it unless it was kept. */
	enum gen_rx_verdict (*rx)(struct gen *g, struct rte_mbuf *m, uint64_t now);
	/* Forget what a bound client holds (its owner table entries). */
	void (*unbind)(struct gen *g, uint32_t ci);
	struct rte_mbuf *(*probe)(struct gen *g);
	void (*fini)(struct gen *g);    /* free the protocol's state; may be NULL */
};

/* Who holds each unit (address, prefix) of a pool, by the unit's offset in
 * it: a plain array for pools of up to 2^24 units, else a hash table
 * sized for `holders` entries (every client holds at most one unit of a
 * pool at a time, so the table never fills). */
struct gen_owner {
	uint64_t max_off;
	uint32_t *dense;                /* offset -> client + 1 */
	struct gen_owner_slot {
		uint64_t off;
		uint32_t who;           /* client + 1; 0 = empty */
	} *slot;
	uint64_t mask;
};

int gen_owner_init(struct gen_owner *o, uint64_t max_off, uint32_t holders);   /* 0 / -ENOMEM */
void gen_owner_fini(struct gen_owner *o);
/* Record client ci as the holder of unit off; true when another client
 * held it (a duplicate; ci holds it from now on). */
bool gen_owner_claim(struct gen_owner *o, uint64_t off, uint32_t ci);
/* Forget ci as the holder of off (nothing when someone else holds it). */
void gen_owner_drop(struct gen_owner *o, uint64_t off, uint32_t ci);

struct gen {
	struct gen_params p;
	const struct gen_proto *proto;
	void *ps;                       /* the protocol's state */
	struct gen_client *cl;
	uint32_t *bound;                /* dense list of bound clients */
	uint32_t nbound;
	uint32_t wait_head, wait_tail;  /* clients waiting for an answer, by send time */
	struct rte_mbuf *pend[GEN_PEND_MAX];   /* follow-ups, ARP and ND replies */
	unsigned npend;
	uint8_t server_mac[6];
	bool server_mac_known;
	int server_mac_need;
	bool relayed;
	uint64_t hz, timeout_c, drain_c;
	uint64_t rng, xid_ctr;
	uint32_t next, warm_next, rr;
	uint32_t outstanding;
	bool measuring;
	uint64_t t0, t_end, t_stop, t_last_done, t_last_prog, last_tsc;
	double credit;
	uint64_t started_total;
	struct gen_counters c, c_prog;
	struct gen_hist hist, hist_prog;
};

/* A generator with the common parameters checked and the client records
 * allocated; the protocol sets g->ps (and the fields it owns) next, and
 * frees through gen_free on failure.  NULL + errno. */
struct gen *gen_core_create(const struct gen_params *p, const struct gen_proto *proto);

/* The answer to client ci's request arrived and calls for another
 * request (OFFER -> REQUEST, ADVERTISE -> REQUEST): the caller set the
 * client's new state; the request is written into m and queued. */
void gen_core_followup(struct gen *g, uint32_t ci, struct rte_mbuf *m, uint64_t now);
/* The transaction of client ci ends (ok: its answer came). */
void gen_core_finish(struct gen *g, uint32_t ci, uint64_t now, bool ok);
/* The server refused client ci's request (NAK, a status code): it is
 * unbound and its transaction ends. */
void gen_core_refused(struct gen *g, uint32_t ci, uint64_t now);
/* Client ci is bound (no-op if it already was) / is not any more. */
void gen_core_bind(struct gen *g, uint32_t ci);
void gen_core_unbind(struct gen *g, uint32_t ci);
/* Queue a frame (an ARP or ND answer) for the next gen_tx; false when the
 * queue is full (the caller frees it). */
bool gen_core_queue(struct gen *g, struct rte_mbuf *m);
/* Length and port of an mbuf whose frame was written from its data start. */
void gen_core_frame(struct gen *g, struct rte_mbuf *m, unsigned len);

/* Big-endian stores and loads for the frames (bytes at any alignment). */
static inline void gen_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t gen_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void gen_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Client ci's MAC: 02:<tag>:<ci, 4 bytes big endian>. */
static inline void gen_client_mac(const struct gen *g, uint32_t ci, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = g->p.tag;
	gen_put32(mac + 2, ci);
}
