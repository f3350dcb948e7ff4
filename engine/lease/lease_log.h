/* The lease-change log: one per worker, every lease change of that worker
 * (v4 or v6; add, renew, release, expire, decline, delete; from a client,
 * a control command, the HA partner or the server's own expiry) as one entry with one
 * sequence number, in every durability mode.
 *
 * One producer (the worker that owns the leases) and up to
 * LEASE_LOG_MAX_CONSUMERS readers (the store's flusher, the HA peer link,
 * RADIUS accounting), each with its own read position and its own
 * published watermark ("everything up to seq is durable / acknowledged /
 * sent").  A reply that must wait names the watermarks it needs
 * (lease_log_safe).
 *
 * A consumer either holds the producer back (LEASE_LOG_HOLD: the store;
 * a full log refuses the change, counted, so nothing is ever lost
 * silently) or never does (LEASE_LOG_LOSSY: a slow or absent peer is
 * lapped, and learns how many entries it missed from its overflow
 * count, so it can resynchronise).  A slow consumer never stalls another.
 *
 * Lock free: entries are written in place (claim, fill, commit) and read
 * by copy under a per-slot sequence check.  No DPDK, so stores and tests
 * use it without the EAL. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lease_rec.h"

#define LEASE_LOG_MAX_CONSUMERS 4

enum lease_op {
	LEASE_OP_ADD = 1,              /* a new lease (ACK, lease4-add, HA update, restore) */
	LEASE_OP_RENEW,                /* the same client's lease extended or changed */
	LEASE_OP_RELEASE,              /* the client gave it back */
	LEASE_OP_EXPIRE,               /* reclaimed at its end */
	LEASE_OP_DECLINE,              /* the address is held in probation */
	LEASE_OP_DELETE,               /* removed: control command, HA partner, a client moving */
};

/* Who made the change.  Loading the store at start-up is not a change:
 * those leases are the store's already, so a restore logs nothing. */
enum lease_origin {
	LEASE_ORIGIN_CLIENT = 1,       /* a DHCP message */
	LEASE_ORIGIN_CONTROL,          /* a control command (lease4-add, lease4-del, ...) */
	LEASE_ORIGIN_HA,               /* the HA partner's update */
	LEASE_ORIGIN_SERVER,           /* the server itself: expiry, end of probation */
};

enum lease_family { LEASE_FAMILY_V4 = 4, LEASE_FAMILY_V6 = 6 };

/* True for the ops after which the lease is gone (the record deletes). */
static inline bool lease_op_removes(uint8_t op)
{
	return op == LEASE_OP_RELEASE || op == LEASE_OP_EXPIRE || op == LEASE_OP_DELETE;
}

struct lease_change {
	uint64_t seq;                  /* set by lease_log_commit: do not write */
	uint8_t family;                /* enum lease_family */
	uint8_t op;                    /* enum lease_op */
	uint8_t origin;                /* enum lease_origin */
	uint8_t reserved[5];
	union {
		struct lease_rec v4;   /* family 4 (v4.valid_lft == 0 when the op removes) */
		struct lease6_rec v6;  /* family 6 (v6.valid_lft == 0 when the op removes) */
	} u;
};

/* The log copies changes by value (claim, read), so their size is the
 * cost of every change: the v6 record (a 130-byte DUID) fits in the room
 * the v4 one (a 255-byte client-id) already takes. */
_Static_assert(sizeof(struct lease6_rec) <= sizeof(struct lease_rec),
	       "a v6 record must not make every lease change bigger");
_Static_assert(sizeof(struct lease_change) == 384, "lease_change size changed: check the log's footprint");

enum lease_log_flags {
	LEASE_LOG_HOLD = 0,            /* the producer waits for this consumer (refuses when full) */
	LEASE_LOG_LOSSY = 1,           /* never holds the producer back; lapped entries are counted */
};

/* A consumer thread that sleeps while its logs are empty shares one bell
 * among them; a commit rings it only while it sleeps: a futex wake, or,
 * for a thread that sleeps in poll(2) on descriptors of its own too (the
 * HA thread), a write to the eventfd `fd` (> 0; 0: the futex). */
struct lease_log_bell {
	uint32_t sleeping;
	int fd;
} __attribute__((aligned(64)));

struct lease_log_params {
	uint32_t size;                 /* entries, a power of two >= 2 */
};

/* The log's layout is here only so the producer's calls inline (as DPDK
 * shows rte_ring's); use the functions below, never the fields. */
struct lease_log_cons {
	uint64_t read;                 /* last seq copied out (consumer writes) */
	uint64_t done;                 /* watermark (consumer writes) */
	uint64_t overflow;             /* lapped entries (consumer writes) */
	struct lease_log_bell *bell;
	uint32_t flags;
} __attribute__((aligned(64)));

struct lease_log {
	/* producer's line */
	uint64_t head;                 /* last committed seq (release store) */
	uint64_t hold_min;             /* cached: slowest holding consumer's read */
	uint64_t full;
	uint32_t mask;
	uint32_t n_cons;
	uint32_t n_bells;
	uint32_t n_hold;               /* consumers without LEASE_LOG_LOSSY */
	bool claimed;
	struct lease_change *ring;
	struct lease_change scratch;   /* claimed when nobody reads */
	struct lease_log_cons cons[LEASE_LOG_MAX_CONSUMERS];
};

struct lease_log *lease_log_create(const struct lease_log_params *p);   /* NULL + errno */
void lease_log_free(struct lease_log *log);

/* Before the producer's first change: a new consumer reading from the
 * start.  Its id (0..LEASE_LOG_MAX_CONSUMERS-1), or -ENOSPC / -EINVAL.
 * `bell` (may be NULL) is rung when a change is committed while the
 * consumer sleeps on it. */
int lease_log_consumer_add(struct lease_log *log, unsigned flags, struct lease_log_bell *bell);
static inline unsigned lease_log_consumers(const struct lease_log *log)
{
	return log->n_cons;
}

/* ---- producer: the owning worker only ---------------------------------
 * lease_log_claim gives the next entry to fill (its seq excepted), or
 * NULL when a holding consumer has not read far enough (counted in
 * `full`; nothing changes).  Claiming again before commit returns the same
 * entry, so a caller may claim first to know it has room.  With no
 * consumer the entry is a scratch one nobody reads: filling it may be
 * skipped (lease_log_consumers() == 0).  lease_log_commit publishes the
 * claimed entry and returns its sequence number (1, 2, ...). */
struct lease_change *lease_log_claim_slow(struct lease_log *log);
uint64_t lease_log_commit_slow(struct lease_log *log);

static inline struct lease_change *lease_log_claim(struct lease_log *log)
{
	return log->n_cons == 0 ? &log->scratch : lease_log_claim_slow(log);
}

static inline uint64_t lease_log_commit(struct lease_log *log)
{
	if (log->n_cons == 0) {
		__atomic_store_n(&log->head, log->head + 1, __ATOMIC_RELEASE);
		return log->head;
	}
	return lease_log_commit_slow(log);
}

/* last committed seq */
static inline uint64_t lease_log_head(const struct lease_log *log)
{
	return __atomic_load_n(&log->head, __ATOMIC_ACQUIRE);
}

/* ---- consumers -------------------------------------------------------- */
/* Copy up to max entries after the consumer's read position into out and
 * advance it; returns how many.  A lossy consumer that was lapped skips
 * to the oldest entry still in the log, adding what it missed to its
 * overflow count. */
unsigned lease_log_read(struct lease_log *log, unsigned consumer, struct lease_change *out,
			unsigned max);
/* For a holding consumer only (nothing it has not read is ever
 * overwritten): call fn on up to max entries after its read position, in
 * place in the log (no copy; the pointer is valid only during the call),
 * then advance.  Returns how many; -EINVAL (as 0) for a lossy consumer. */
unsigned lease_log_read_each(struct lease_log *log, unsigned consumer, unsigned max,
			     void (*fn)(const struct lease_change *c, void *arg), void *arg);
/* Entries committed that `consumer` has not read yet. */
uint64_t lease_log_unread(const struct lease_log *log, unsigned consumer);
/* The consumer's watermark: every change up to seq is done (durable,
 * acknowledged, sent).  Only grows; release store. */
void lease_log_publish(struct lease_log *log, unsigned consumer, uint64_t seq);
uint64_t lease_log_done(const struct lease_log *log, unsigned consumer);
/* The lowest watermark of the consumers in `mask` (bit i = consumer i);
 * UINT64_MAX for an empty mask, 0 if it names a consumer that does not
 * exist. */
uint64_t lease_log_safe(const struct lease_log *log, uint32_t mask);

struct lease_log_stats {
	uint64_t committed;            /* = head */
	uint64_t full;                 /* claims refused */
	uint64_t overflow[LEASE_LOG_MAX_CONSUMERS];   /* entries a lossy consumer missed */
	uint64_t done[LEASE_LOG_MAX_CONSUMERS];
};
void lease_log_get_stats(const struct lease_log *log, struct lease_log_stats *s);

/* ---- bells ------------------------------------------------------------
 * A consumer about to sleep: lease_log_bell_arm, then check every log it
 * reads once more (lease_log_unread), then lease_log_bell_wait (returns
 * at once if a commit rang in between, else after at most timeout_us). */
void lease_log_bell_arm(struct lease_log_bell *b);
/* true when woken by a ring, false on timeout */
bool lease_log_bell_wait(struct lease_log_bell *b, uint32_t timeout_us);
void lease_log_bell_ring(struct lease_log_bell *b);
/* An eventfd bell's owner after its poll(2): not sleeping any more, the
 * eventfd read empty. */
void lease_log_bell_disarm(struct lease_log_bell *b);
