/* The reply gate: replies that may leave only once their lease change is
 * safe.  Each parked reply names the watermarks it needs (a mask of
 * lease-change-log consumers: the store for durability, the HA peer link
 * for a partner's acknowledgement), a deadline, and the outcome it gets
 * if the deadline passes first (drop it, or turn it into a NAK).
 *
 * Replies that need the same watermarks wait in one FIFO lane: within a
 * lane sequence numbers and deadlines only grow, and so do watermarks, so
 * a lane releases in order from its head and one comparison a pass says
 * whether anything is due.  Lanes are independent: a reply that needs
 * only the store leaves as soon as the store has it, whatever a reply
 * waiting for the partner still waits for.
 *
 * One gate per worker, used by that worker only.  No DPDK: the packets
 * are opaque pointers. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lease_log.h"

#define GATE_MAX_LANES 4

enum gate_outcome {
	GATE_SEND = 1,                 /* its conditions hold: send it */
	GATE_NAK,                      /* deadline passed: answer a refusal instead */
	GATE_DROP,                     /* deadline passed: send nothing (the client retries) */
	GATE_REFUSED,                  /* the store refused its change (gate_refuse): the
					* reply must not leave */
};

struct gate_item {
	void *pkt;
	uint64_t seq;                  /* the lease change it waits for */
	uint64_t deadline;             /* caller's clock (e.g. TSC cycles or ns); a
					 * lane expires in order, so give one lane
					 * one timeout */
	uint16_t port;
	uint8_t on_timeout;            /* GATE_NAK or GATE_DROP */
	uint8_t refused;               /* set by gate_refuse (its why): leaves as
					* GATE_REFUSED */
	uint8_t family;                /* the caller's: e.g. the reply's family (4, 6) */
	uint8_t msg_type;              /* ... and its message type */
	void *req;                     /* the caller's: e.g. the request, to serve again */
};

struct gate_params {
	uint32_t lane_size;            /* items per lane, a power of two */
};

struct gate;
struct gate *gate_create(const struct gate_params *p);   /* NULL + errno */
void gate_free(struct gate *g);

/* Park `it` until lease_log_safe(log, need) >= it->seq.  0, -ENOBUFS when
 * its lane is full, -ENOSPC when GATE_MAX_LANES other masks are in use,
 * -EINVAL for an empty mask (nothing to wait for: send it). */
int gate_park(struct gate *g, uint32_t need, const struct gate_item *it);

/* Called for each item that leaves, with its outcome. */
typedef void gate_emit_fn(void *ctx, const struct gate_item *it, enum gate_outcome o);

/* Release what is due: every item whose watermarks passed its seq
 * (GATE_SEND), then every item whose deadline is <= now (its on_timeout).
 * Returns how many left. */
unsigned gate_poll(struct gate *g, const struct lease_log *log, uint64_t now, gate_emit_fn *emit,
		   void *ctx);
/* The store refused the change `seq` (another server holds its address):
 * the reply parked for it leaves as GATE_REFUSED when its watermark
 * passes.  0, or -ENOENT when no parked reply waits for seq.  O(parked). */
int gate_refuse(struct gate *g, uint64_t seq);
/* The same with the refuser's reason (>= 1), left in the item's
 * `refused` for the emit callback: the store (GATE_WHY_STORE, what
 * gate_refuse gives), or the HA partner (GATE_WHY_HA: it refused the
 * lease update or never got it). */
enum { GATE_WHY_STORE = 1, GATE_WHY_HA = 2 };
int gate_refuse_as(struct gate *g, uint64_t seq, uint8_t why);
/* Every reply parked for a change lo..hi in a lane that waits for one of
 * `bits` (a consumer that never saw those changes: its log lapped it)
 * leaves refused.  How many were marked.  O(parked). */
unsigned gate_refuse_range(struct gate *g, uint32_t bits, uint64_t lo, uint64_t hi, uint8_t why);

/* gate_poll in two steps, for a caller that must learn of refusals up to
 * the watermarks it releases with: take the watermarks (one per lane,
 * safe[GATE_MAX_LANES]), drain the refusals, then poll with them.  The
 * watermarks only grow, so an older snapshot never releases too much. */
void gate_snapshot(const struct gate *g, const struct lease_log *log, uint64_t *safe);
unsigned gate_poll_at(struct gate *g, const uint64_t *safe, uint64_t now, gate_emit_fn *emit,
		      void *ctx);

/* At shutdown: what is safe is sent, everything else dropped. */
unsigned gate_flush(struct gate *g, const struct lease_log *log, gate_emit_fn *emit, void *ctx);
unsigned gate_parked(const struct gate *g);
