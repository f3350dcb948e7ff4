/* Release queue: addresses whose delete record is on its way to the lease
 * store.  Each keeps its allocator bit until the store says the delete is
 * durable (dhcp4_worker_poll gives them back; dhcp4_server.h says why).  A
 * FIFO in sequence order with one producer and one consumer, the worker
 * that owns it: no atomics. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct release_entry {
	uint64_t seq;                   /* write-behind sequence of the delete */
	uint32_t addr;
	uint16_t pool;                  /* the owner's pool index */
};

struct release_queue {
	struct release_entry *e;
	uint32_t cap;                   /* power of two; 0: no queue (memory mode) */
	uint32_t head, tail;
};

/* Room for `want` entries, rounded up to a power of two.  0, -EINVAL
 * (more than 2^30) or -ENOMEM. */
int release_queue_init(struct release_queue *q, uint32_t want);
void release_queue_free(struct release_queue *q);

static inline uint32_t release_queue_len(const struct release_queue *q)
{
	return q->tail - q->head;
}

static inline bool release_queue_full(const struct release_queue *q)
{
	return q->tail - q->head == q->cap;
}

/* The caller has checked that the queue has a slot and is not full. */
static inline void release_queue_push(struct release_queue *q, uint64_t seq, uint32_t addr,
				      uint16_t pool)
{
	struct release_entry *e = &q->e[q->tail++ & (q->cap - 1)];

	e->seq = seq;
	e->addr = addr;
	e->pool = pool;
}

/* The i-th entry from the oldest (i < release_queue_len). */
static inline struct release_entry *release_queue_at(const struct release_queue *q, uint32_t i)
{
	return &q->e[(q->head + i) & (q->cap - 1)];
}

/* The oldest entry, NULL when empty. */
static inline struct release_entry *release_queue_first(const struct release_queue *q)
{
	return q->head == q->tail ? NULL : release_queue_at(q, 0);
}

static inline void release_queue_pop(struct release_queue *q)
{
	q->head++;
}
