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
	/* A network store's outage journal (journal_db NULL: none, and the
	 * flusher retries a failing store until it works, as for memfile).
	 * journal_db is a memfile database (its name and name6 the journal's
	 * two files) that wb_create opens with journal_ops.  When the store
	 * fails (append, sync), what it had not committed and every later
	 * change go to the journal instead, synced as the store would be, so
	 * watermarks and replies go on; every reconnect_wait_ms the store is
	 * pinged and, once it answers, the journal is replayed into it in
	 * order and emptied.  A journal left by an earlier run is replayed by
	 * wb_create (which fails, errno EIO, when the store does not take it). */
	const struct lease_backend_ops *journal_ops;
	const struct conf_lease_db *journal_db;
	uint32_t reconnect_wait_ms;    /* at least WB_RECONNECT_MIN_MS */
	uint32_t max_reconnect_tries;  /* failed tries before giving up, 0 = never give up */
};

#define WB_RECONNECT_MIN_MS 100

enum wb_store_state {
	WB_STORE_UP,                   /* changes go to the store */
	WB_STORE_DOWN,                 /* the store failed: changes go to the journal */
	WB_STORE_GAVE_UP,              /* down, and max_reconnect_tries tries failed */
};
/* acquire load; any thread */
enum wb_store_state wb_store_state(const struct wb *wb);
/* Why the store was last lost, or why the last reconnect try failed, as
 * the backend said it ("" when it says nothing); any thread. */
#define WB_ERR_MAX 512
void wb_store_error(struct wb *wb, char *buf, size_t len);

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
	/* the outage journal */
	uint64_t outages;              /* times the store went away */
	uint64_t journaled;            /* records written to the journal */
	uint64_t replayed;             /* records replayed from it into the store */
	uint64_t backlog;              /* records in the journal now */
	uint64_t reconnect_tries;      /* failed pings and replays */
	/* another server's live lease held the address */
	uint64_t refused;              /* changes the store refused (sent to their worker) */
	uint64_t refused_replay;       /* ... refused when the journal was replayed */
	uint64_t refusals_lost;        /* not delivered: the worker had stopped */
	/* other servers' claims (a store with a learnt op) */
	uint64_t learnt;               /* handed to their worker */
	uint64_t learnt_dropped;       /* not: the worker's queue was full */
};
void wb_get_stats(const struct wb *wb, struct wb_stats *s);
/* The store's own counters (its get_stats; zeros without one).  Any thread. */
void wb_get_store_stats(const struct wb *wb, struct lease_backend_stats *s);

/* Worker `worker`: the refusals of its changes (oldest first, at most
 * max), each meaning that the change `seq` was not stored because another
 * server's client holds the address.  Read the watermarks first, then
 * this: every refusal of a change at or below them is here.  Only that
 * worker calls it. */
unsigned wb_refusals_take(struct wb *wb, unsigned worker, struct lease_refusal *out, unsigned max);
/* The same queue brings claims other servers made (seq 0, has_holder 1):
 * the worker holds the address for the holder (dhcp4/6_lease_learn). */

/* Drain every log, sync, stop the thread.  Safe to call once workers stopped. */
void wb_stop(struct wb *wb);
void wb_free(struct wb *wb);
