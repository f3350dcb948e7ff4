/* Lease stores behind one table of function pointers, registered by name
 * (memfile now; redis and postgresql later).  Called only from the
 * write-behind thread and, before the workers start, from main. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "conf.h"
#include "lease_rec.h"

/* Counters of one backend instance (memfile: both files together). */
struct lease_backend_stats {
	uint64_t loaded;               /* records handed to load's callback */
	uint64_t bad_lines;            /* lines skipped by load (unparsable) */
	uint64_t truncated;            /* loaded hostnames cut to 63 bytes */
	uint64_t appended;             /* records written by append */
	uint64_t syncs;
	uint64_t compactions;          /* completed (memfile: per file) */
	uint64_t compact_errors;
	uint64_t compact_kept;         /* leases in the last compaction's output(s) */
	/* network stores (postgresql) */
	uint64_t refused;              /* records refused: another server's live lease */
	uint64_t reconnects;           /* connections re-established after a loss */
	uint64_t connected;            /* 1 while the store's connection is up */
	uint64_t commits;              /* transactions committed */
	uint64_t wait_short;           /* redis: syncs WAIT found short of wait-replicas */
	/* redis, shared: other servers' claims heard by pub/sub */
	uint64_t claims_heard;         /* claims read from their messages */
	uint64_t claims_bad;           /* message lines that did not read */
	uint64_t sub_connected;        /* 1 while subscribed */
};

/* A record the store refused because the address is another client's
 * live lease written by another server (a shared database).  Nothing of
 * it was written; the change's worker must not acknowledge it. */
struct lease_refusal {
	uint8_t family;                /* enum lease_family: 4 or 6 */
	uint8_t has_holder;            /* holder is the lease the store kept */
	uint64_t seq;                  /* the record's seq */
	uint32_t addr;                 /* family 4 */
	struct lease_addr6 addr6;      /* family 6 */
	/* whose the address is, as the store read it back after the commit
	 * (the other server's client, its expiry), so the worker can hold
	 * the address for it; has_holder 0 when the row went meanwhile */
	union {
		struct lease_rec v4;
		struct lease6_rec v6;
	} holder;
};

struct lease_backend;
struct lease_count;
struct lease_counts;

struct lease_backend_ops {
	const char *name;              /* "memfile" */
	/* NULL with err set ("why") on failure. */
	struct lease_backend *(*open)(const struct conf_lease_db *db, char *err, size_t errlen);
	/* Replay every stored lease in order, later records overriding earlier
	 * ones for the same address (the callback sees them all, in order).
	 * Returns 0 or -errno; a bad line is skipped and counted, not fatal. */
	int (*load)(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg);
	int (*append)(struct lease_backend *be, const struct lease_rec *recs, unsigned n);
	/* The same for DHCPv6 leases (NULL: the backend stores none).  A
	 * backend opened without a v6 store (memfile: conf_lease_db.name6
	 * "") loads nothing and refuses appends with -ENODEV, and the other
	 * way round for v4 (name ""). */
	int (*load6)(struct lease_backend *be, int (*cb)(const struct lease6_rec *r, void *arg), void *arg);
	int (*append6)(struct lease_backend *be, const struct lease6_rec *recs, unsigned n);
	/* Make all appends of both families durable: returns 0 only when
	 * every store written since the last sync is synced. */
	int (*sync)(struct lease_backend *be);
	/* Start a compaction (of every store) if none is running; it must
	 * not block appends for long and must survive a crash at any point. */
	int (*compact)(struct lease_backend *be);
	void (*close)(struct lease_backend *be);
	/* Added: wait for a running compaction (if any) to finish; returns its
	 * result (0 or -errno), 0 if none ran. */
	int (*compact_wait)(struct lease_backend *be);
	void (*get_stats)(struct lease_backend *be, struct lease_backend_stats *s);
	/* After a sync that returned 0: copy out up to max of the records
	 * the synced transaction(s) refused (oldest first) and forget them;
	 * returns how many.  NULL: the store never refuses (memfile). */
	unsigned (*refused)(struct lease_backend *be, struct lease_refusal *out, unsigned max);
	/* Network stores (NULL for memfile, whose writes fail only with the
	 * disk): ping is 0 when the store answers again (re-connecting if
	 * needed, bounded by its connect-timeout), -errno otherwise; discard
	 * forgets what was appended since the last successful sync (the
	 * flusher put it in the outage journal instead). */
	int (*ping)(struct lease_backend *be);
	void (*discard)(struct lease_backend *be);
	/* Optional: why the last call that failed failed ("" if unknown), for
	 * the logs.  Valid until the next call; only on the thread that made
	 * the calls (the flusher). */
	const char *(*last_error)(struct lease_backend *be);
	/* Optional (a store several servers share): claims the other servers
	 * made since the last call, as refusals with seq 0 and the holder
	 * (has_holder 1), oldest first, at most max; how many.  Called by the
	 * flusher every millisecond or so: it must not block. */
	unsigned (*learnt)(struct lease_backend *be, struct lease_refusal *out, unsigned max);
	/* Lease counts the store keeps itself, right when several servers
	 * share it (PostgreSQL: the lease4_stat/lease6_stat tables Kea's
	 * triggers maintain).  For the control thread, over a connection of
	 * its own; NULL: the store keeps none (memfile). */
	struct lease_counts *(*counts_open)(const struct conf_lease_db *db, char *err, size_t errlen);
	/* Every count row (malloc'd array in *rows, *n of them): 0, or
	 * -errno with the connection re-tried on the next call. */
	int (*counts_read)(struct lease_counts *lc, struct lease_count **rows, size_t *n);
	void (*counts_close)(struct lease_counts *lc);
};

/* One row of the store's counts: leases of (family, subnet, type, state). */
struct lease_count {
	uint32_t subnet_id;
	uint8_t family;                /* 4 or 6 */
	uint8_t type;                  /* v6: 0 IA_NA, 1 IA_TA, 2 IA_PD; v4: 0 */
	uint8_t state;                 /* 0 default, 1 declined (the states counted) */
	int64_t leases;
};
struct lease_counts;

/* What the network stores share (lease_backend.c).  The refusals a store
 * keeps until its `refused` op reads them: at most LEASE_REFUSALS_MAX
 * (past that they are only counted, by the store). */
#define LEASE_REFUSALS_MAX 65536u
struct lease_refusals {
	struct lease_refusal *v;       /* oldest first */
	unsigned n, cap;
};
/* A zeroed slot at the end, or NULL when full (LEASE_REFUSALS_MAX) or out
 * of memory. */
struct lease_refusal *lease_refusals_push(struct lease_refusals *q);
/* Copies out up to max, oldest first, and forgets them; how many. */
unsigned lease_refusals_take(struct lease_refusals *q, struct lease_refusal *out, unsigned max);
void lease_refusals_free(struct lease_refusals *q);
/* A snapshot of counters that other threads read while the store's thread
 * adds to them (relaxed atomic loads). */
void lease_backend_stats_read(const struct lease_backend_stats *src, struct lease_backend_stats *dst);
/* Hex digits (either case, no separators) into bytes: the count, or -1
 * when slen is odd, a digit is not hex or it does not fit max. */
int lease_unhex(const char *s, size_t slen, uint8_t *out, size_t max);
/* Decimal digits (no sign, no spaces, 1..20 of them) into *out: 0, or
 * -EINVAL when one is not a digit or the value passes max. */
int lease_udec(const char *s, size_t n, uint64_t max, uint64_t *out);

/* The PostgreSQL store's counts (backends/pg_counts.c): Kea's stat tables. */
struct lease_counts *pg_counts_open(const struct conf_lease_db *db, char *err, size_t errlen);
int pg_counts_read(struct lease_counts *lc, struct lease_count **rows, size_t *n);
void pg_counts_close(struct lease_counts *lc);

/* The backend registered under `name`, or NULL.  Built in: "memfile",
 * "postgresql", "redis". */
const struct lease_backend_ops *lease_backend_find(const char *name);
/* Add a backend (before any thread uses the registry).  0, -EEXIST or -ENOSPC. */
int lease_backend_register(const struct lease_backend_ops *ops);

/* Kea's DHCPv4 lease-file CSV (memfile), exposed for tests, fuzzers and
 * tools.  One line without its newline; 0 or -EINVAL.  Accepts 9, 10 or
 * 11 columns (Kea 1.0 .. 2.x schemas); the user_context column is
 * skipped.  A hostname longer than 63 bytes is cut and *truncated set. */
int lease_csv_parse(const char *line, size_t len, struct lease_rec *r, int *truncated);
/* Formats one line, with its newline, as Kea 2.2 writes it (user_context
 * empty).  Returns the length, or -ENOSPC if `len` is too small
 * (LEASE_CSV_LINE_MAX always suffices). */
#define LEASE_CSV_LINE_MAX 1280
int lease_csv_format(const struct lease_rec *r, char *buf, size_t len);
/* The header line Kea 2.2 writes, without newline. */
extern const char lease_csv_header[];

/* Kea's DHCPv6 lease-file CSV, the same way: one line without its
 * newline; 0 or -EINVAL.  Accepts 12, 13, 14, 15 or 17 columns (the
 * schemas Kea 1.0 .. 2.2 wrote); user_context is skipped.  As Kea
 * reads it: the DUID "00" (Kea's empty DUID, duid_len 0) only for a
 * declined lease; a hardware address that does not read (bad hex, longer
 * than LEASE6_HWADDR_MAX, bad hwtype or hwaddr_source) is dropped and
 * the lease kept; an empty hwtype is 1 (Ethernet).  No hardware address
 * gives hwtype and hwaddr_source 0.  The address is never "::". */
int lease6_csv_parse(const char *line, size_t len, struct lease6_rec *r, int *truncated);
/* Formats one line, with its newline, as Kea 2.2 writes it: the address
 * as inet_ntop writes it, the DUID and hwaddr as colon hex, "00" for
 * duid_len 0, user_context empty, hwtype and hwaddr_source only with a
 * hardware address.  A record that breaks the parser's rules (type > 2,
 * prefix_len > 128, state > 2, duid_len 0 when not declined) is written
 * as it is, and will not load back.  Length, or -ENOSPC (never with
 * LEASE_CSV_LINE_MAX). */
int lease6_csv_format(const struct lease6_rec *r, char *buf, size_t len);
extern const char lease6_csv_header[];
