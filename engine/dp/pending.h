/* Pending transactions: requests that wait on their worker for an outside
 * answer (RADIUS access before allocation; later a database's verdict on
 * an address) without blocking it.  The worker keeps the request (the
 * packet, where it came from, the stage it stopped at) under a token,
 * asks a helper thread over a ring, and resumes the transaction when the
 * answer comes back with the token, or drops it at its deadline.
 *
 * Tokens carry a generation, so an answer that arrives after its
 * transaction timed out (and the slot was reused) is recognised and
 * ignored.  One table per worker, used by that worker only; no DPDK. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PEND_STATE_MAX 48

struct pend_entry {
	void *pkt;                     /* the request (an mbuf), owned while pending */
	uint64_t deadline;             /* caller's clock */
	uint32_t token;                /* 0: free */
	uint32_t check;                /* the caller's: e.g. what the answer must match */
	uint16_t port;
	uint8_t stage;                 /* where the transaction resumes (caller's enum) */
	uint8_t state[PEND_STATE_MAX]; /* what the caller saved (e.g. struct dhcp4_rx) */
};

struct pend_table;

/* capacity: a power of two, 2..32768.  NULL + errno. */
struct pend_table *pend_create(uint32_t capacity);
void pend_free(struct pend_table *t);

/* A free entry with a fresh token and the deadline set, or NULL when the
 * table is full.  The caller fills pkt, port, stage and state. */
struct pend_entry *pend_add(struct pend_table *t, uint64_t deadline);
/* The entry of token, or NULL if that transaction is gone (answered,
 * expired, never existed). */
struct pend_entry *pend_find(struct pend_table *t, uint32_t token);
/* Free an entry (after resuming it or giving up on it): its token is dead. */
void pend_del(struct pend_table *t, struct pend_entry *e);

typedef void pend_expire_fn(void *ctx, struct pend_entry *e);
/* Look at up to `max` entries from where the last call stopped and pass
 * each one whose deadline is <= now to fn, then free it.  Bounded work per
 * call; a full sweep takes capacity / max calls.  Returns how many expired. */
unsigned pend_expire(struct pend_table *t, uint64_t now, unsigned max, pend_expire_fn *fn,
		     void *ctx);
uint32_t pend_count(const struct pend_table *t);
