/* The write-behind flusher: the store's consumer of the workers'
 * lease-change logs.  One thread reads every worker's log into a backend
 * in batches (DHCPv4 and DHCPv6 changes alike, each family to its own
 * store), and publishes in each log, as its watermark, the highest
 * sequence number that is durable in every store.  Workers never block
 * on it: a log the flusher has not read far enough refuses new changes
 * (counted). */
#pragma once
#include <stdint.h>
#include "conf.h"
#include "lease_backend.h"
#include "lease_log.h"

struct wb;

struct wb_params {
	const struct lease_backend_ops *ops;
	struct lease_backend *be;
	unsigned n_workers;
	/* One log per worker; wb_create registers the flusher in each as a
	 * holding consumer, so call it before the workers' first change. */
	struct lease_log *const *logs;
	enum conf_durability mode;     /* WRITE_BEHIND or COMMIT */
	uint32_t flush_interval_ms;
	uint32_t lfc_interval;         /* seconds, 0 = never compact */
	uint32_t idle_sleep_us;        /* idle poll period, 0 = default (100 us) */
	unsigned batch_max;            /* records per batch, 0 = default (1024) */
	uint32_t deep_idle_us;         /* idle time before the doorbell sleep, 0 = 100 ms */
};

/* NULL + errno. */
struct wb *wb_create(const struct wb_params *p);
int wb_start(struct wb *wb);

/* The flusher's consumer id in worker's log: the watermark a reply that
 * must be durable waits for. */
unsigned wb_consumer(const struct wb *wb, unsigned worker);
/* Highest seq of `worker` that the backend holds durably (acquire load). */
uint64_t wb_durable(const struct wb *wb, unsigned worker);

struct wb_stats {
	uint64_t records, batches, syncs, errors, compactions;
	uint64_t ring_full;            /* changes the logs refused while full */
	/* added */
	uint64_t sync_ns;              /* total time spent in sync */
	uint64_t max_batch;            /* largest batch so far */
	uint64_t deep_sleeps;          /* doorbell sleeps entered */
	uint64_t bell_wakes;           /* ... ended by a push ringing the bell */
	uint64_t records6;             /* of records, the DHCPv6 ones */
};
void wb_get_stats(const struct wb *wb, struct wb_stats *s);

/* Drain every log, sync, stop the thread.  Safe to call once workers stopped. */
void wb_stop(struct wb *wb);
void wb_free(struct wb *wb);
