/* The RADIUS threads (issue 17, docs/radius-plan.md).  The access thread
 * takes the workers' access questions (dp_ask on dp->ask_ring), sends Access-Request through
 * the asynchronous client (radius/rad_client.h) and posts each answer back
 * to the worker that asked (dp->answer_ring), never on a worker's time.
 *
 * The request: the worker's attributes (what only the packet tells: the
 * relay's circuit-id as NAS-Port-Id, the `expr` attributes), then
 * User-Name (the identifier in Kea's text form, rad_ident.h),
 * Calling-Station-Id (the hardware address), NAS-IP-Address and the
 * configured fixed attributes.  The answer: Access-Accept → ACCESS_ACCEPT
 * with Framed-IP-Address, Framed-Pool (v4) / Framed-IPv6-Address,
 * Delegated-IPv6-Prefix, Framed-IPv6-Pool (v6); Access-Reject (and
 * Access-Challenge, which DHCP cannot answer) → ACCESS_REJECT; no server
 * answered → on-unreachable's verdict, flagged not to be cached.
 *
 * Questions about a client whose request is already out (a client
 * retransmitting while RADIUS is slow) join that request: one
 * Access-Request per client at a time.
 *
 * Accounting (radius_acct.h), when the radius block has accounting
 * servers: a thread of its own (its disk writes and syncs never hold up
 * a question) reads every worker's lease-change log (a lossy consumer)
 * into the on-disk queue and sends it through a client of its own.  An outage and its end are logged ("radius accounting: no
 * server answers ..." / "... answers again; N record(s) queued to send"),
 * and the counts at stop. */
#pragma once
#include <stdint.h>

#include "radius_acct.h"

struct conf_radius;
struct dp;
struct radius_run;

/* Counters of the thread (the per-server ones are rad_client's). */
struct radius_run_stats {
	uint64_t asked;                 /* questions taken from the workers */
	uint64_t joined;                /* ... that joined a request already out */
	uint64_t accepts, rejects, unreachable;
	uint64_t busy;                  /* could not ask (no room, no request to make): refused, not cached */
	uint64_t answers_waiting;       /* answers not yet posted (a full answer ring) */
};

/* Before dp_workers_init (and after dp_logs_init): with access servers,
 * turns the workers' asks on (dp_asks_enable) and sets how long a worker
 * keeps a question (the client's whole RADIUS time: timeout x retries x
 * servers, at least 1 s, at most 60 s); with accounting servers, adds its
 * consumer to every log and opens the queue.  NULL with errno set; NULL
 * with errno 0 when conf has neither. */
struct radius_run *radius_run_create(struct dp *dp, const struct conf_radius *r);
/* 0 or -errno.  After the workers run. */
int radius_run_start(struct radius_run *rr);
/* Stop and free (NULL: nothing).  After the workers stopped: accounting
 * reads their last changes, has up to a second to send its backlog, and
 * keeps the rest on disk. */
void radius_run_stop(struct radius_run *rr);
/* A snapshot of the counters, from any thread. */
void radius_run_stats(const struct radius_run *rr, struct radius_run_stats *out);

/* The counters as statistics (engine/ctl's dp_ext_stats_fn, ctx the run):
 * radius-access-asked ... and, per server, radius-access[<addr>:<port>].
 * requests, retransmissions, accepts, rejects, timeouts, bad-answers,
 * latency-avg-us, latency-max-us, dead.  The per-server ones are the
 * thread's copy, at most 250 ms old. */
struct dp_ext_stat;
unsigned radius_run_ext_stats(void *ctx, struct dp_ext_stat *out, unsigned max);
/* Accounting's counters (queued = backlog, sent, answered, dropped,
 * lapped ...), from any thread: 0, or -ENOENT without accounting. */
int radius_run_acct_stats(const struct radius_run *rr, struct radius_acct_stats *out);
