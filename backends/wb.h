/* The write-behind flusher: one thread that drains every worker's ring of
 * lease changes into a backend in batches, and publishes per worker the
 * highest sequence number that is durable.  Workers never block on it. */
#pragma once
#include <stdint.h>
#include "conf.h"
#include "lease_backend.h"

struct wb;

struct wb_params {
	const struct lease_backend_ops *ops;
	struct lease_backend *be;
	unsigned n_workers;
	unsigned ring_size;            /* records per worker ring, power of two */
	enum conf_durability mode;     /* WRITE_BEHIND or COMMIT */
	uint32_t flush_interval_ms;
	uint32_t lfc_interval;         /* seconds, 0 = never compact */
	uint32_t idle_sleep_us;        /* added: idle poll period, 0 = default (100 us) */
	unsigned batch_max;            /* added: records per batch, 0 = default (1024) */
	uint32_t deep_idle_us;         /* added: idle time before the doorbell sleep, 0 = 100 ms */
};

/* NULL + errno. */
struct wb *wb_create(const struct wb_params *p);
int wb_start(struct wb *wb);

/* Worker side (one producer per worker index).  Assigns rec->seq (1, 2, ...
 * per worker) and enqueues a copy.  0, or -ENOBUFS if the ring is full
 * (counted). */
int wb_push(struct wb *wb, unsigned worker, struct lease_rec *rec);

/* Highest seq of `worker` that the backend holds durably (acquire load). */
uint64_t wb_durable(const struct wb *wb, unsigned worker);

struct wb_stats {
	uint64_t records, batches, syncs, ring_full, errors, compactions;
	/* added */
	uint64_t sync_ns;              /* total time spent in sync */
	uint64_t max_batch;            /* largest batch so far */
	uint64_t deep_sleeps;          /* doorbell sleeps entered */
	uint64_t bell_wakes;           /* ... ended by a push ringing the bell */
};
void wb_get_stats(const struct wb *wb, struct wb_stats *s);

/* Drain every ring, sync, stop the thread.  Safe to call once workers stopped. */
void wb_stop(struct wb *wb);
void wb_free(struct wb *wb);
