/* RADIUS accounting (issue 17 item 3, docs/radius-plan.md): the RADIUS
 * thread's consumer of every worker's lease-change log, turning each
 * change into an Accounting-Request record on the on-disk queue
 * (radius/rad_acctq.h) and sending the queue, in order, through an
 * asynchronous client of its own (the accounting servers).  No DPDK: the
 * thread (radius_run.c) calls it, and so does its unit test.
 *
 * Which record.  A lease change (struct lease_change) of
 *   op ADD                     -> Start (a new session)
 *   op RENEW, session known    -> Interim-Update (same session)
 *   op RENEW, session unknown  -> Start (one this server never saw begin:
 *                                 before a crash, or lapped)
 *   RELEASE, EXPIRE, DECLINE,
 *   DELETE                     -> Stop, Acct-Terminate-Cause User-Request
 *                                 (release), Session-Timeout (expiry),
 *                                 Lost-Service (decline, a client moving
 *                                 to another address), Admin-Reset (a
 *                                 control command's delete)
 * An offer is no lease change (nothing is logged for it), so no record.
 * The HA partner's changes (origin HA) are accounted unless accounting {
 * peer-updates = false; }.  A Stop of an address with no session and in
 * probation (the end of a decline's probation) is not sent: its Stop went
 * with the decline.
 *
 * Attributes: Acct-Status-Type, Acct-Session-Id, User-Name (the lease's
 * identifier in identifier-type4/6's text, rad_ident.h: client-id, its
 * DUID, or the hardware address; flex-id, which a lease does not keep,
 * falls back to the hardware address (v4) or the DUID (v6)),
 * Calling-Station-Id (the hardware address, when the lease has one),
 * Framed-IP-Address (v4) / Framed-IPv6-Address (IA_NA, IA_TA) /
 * Delegated-IPv6-Prefix (IA_PD), NAS-IP-Address, Event-Timestamp (when
 * the thread read the change: it drains the logs every millisecond),
 * Acct-Session-Time (Interim-Update and Stop), Acct-Terminate-Cause
 * (Stop), then the accounting block's fixed `attributes` (an `expr` one
 * is refused at load: there is no packet here).  Acct-Delay-Time is added
 * when a record is sent a second or more after its event.
 *
 * Acct-Session-Id: 16 hex digits, the session's start time (epoch
 * seconds, 32 bits) then a 32-bit counter that starts at a random value
 * each run: the same from Start through Interim-Updates to Stop of one
 * lease (kept in a table by address: family, address or prefix, prefix
 * length), a new one for the next lease of the same client or address.
 * The table is written to <accounting-queue>.sessions when the server
 * stops and read when it starts, so a lease's session survives a clean
 * restart; after a crash a lease's next renewal starts a new session.
 *
 * Lossy: the thread never holds a worker back.  A log that laps it (the
 * changes it had not read yet were overwritten) is counted in `lapped`;
 * the queue on disk, drained into every pass, is what makes a RADIUS
 * outage lossless. */
#pragma once
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_radius;
struct conf_radius_service;
struct lease_change;
struct lease_log;
struct radius_acct;
struct rad_client_cfg;

struct radius_acct_params {
	struct lease_log *const *logs; /* every worker's log: a consumer is added to each */
	unsigned n_logs;
	const struct conf_radius *r;   /* its accounting servers, attributes and options */
	uint32_t nas_ip;               /* NAS-IP-Address, host order; 0: none */
	uint32_t window;               /* Accounting-Requests in flight; 0: 32 */
};

/* The counters, readable from any thread. */
struct radius_acct_stats {
	uint64_t changes;              /* lease changes read from the logs */
	uint64_t queued;               /* records appended to the queue */
	uint64_t backlog;              /* records not answered yet (on disk) */
	uint64_t sent;                 /* Accounting-Requests sent (a record again after a failure too) */
	uint64_t answered;             /* records an Accounting-Response removed */
	uint64_t failed;               /* requests no server answered (the record is sent again) */
	uint64_t dropped;              /* records dropped: the queue was full */
	uint64_t lapped;               /* changes a log overwrote before they were read */
	uint64_t skipped;              /* changes not accounted (peer-updates false, probation end) */
	uint64_t reloaded;             /* records found on disk at start */
	uint64_t down_since_ms;        /* rad_now_ms() of the first failure since the last answer; 0: up */
};

/* Consumers in every log (before the workers' first change), the queue
 * opened (its records from a previous run are the backlog), the client
 * made.  NULL with errno; NULL with errno 0 without accounting servers. */
struct radius_acct *radius_acct_create(const struct radius_acct_params *p);
/* One pass of the thread: the logs into the queue, answers in, the next
 * records out, the queue synced.  now_ms: rad_now_ms(); now_s: epoch
 * seconds.  Returns how much was done (0: idle). */
unsigned radius_acct_pump(struct radius_acct *a, uint64_t now_ms, uint32_t now_s);
/* The client's sockets to poll, and how long poll may wait. */
unsigned radius_acct_pollfds(const struct radius_acct *a, struct pollfd *fds, unsigned max);
int radius_acct_next_ms(const struct radius_acct *a, uint64_t now_ms);
void radius_acct_stats(const struct radius_acct *a, struct radius_acct_stats *out);
/* The accounting servers' client (its per-server counters), for the
 * RADIUS thread only. */
const struct rad_client *radius_acct_client(const struct radius_acct *a);
/* The last changes read into the queue, the queue closed (synced), the
 * sessions saved; after the workers stopped.  NULL: nothing. */
void radius_acct_free(struct radius_acct *a);

/* A client's settings for one service (access or accounting) of the
 * radius block: its servers in order, timeout, retries, deadtime,
 * bindaddr. */
void radius_client_cfg(const struct conf_radius *r, const struct conf_radius_service *svc,
		       struct rad_client_cfg *cc);

/* The record one change makes (the unit test's view of the mapping): 1
 * with *status and the attributes (their length in *len), 0 for a change
 * that is not accounted, -1 when they do not fit.  Updates the session
 * table as the pump would. */
int radius_acct_record(struct radius_acct *a, const struct lease_change *c, uint32_t now_s,
		       uint8_t *status, uint8_t *attrs, size_t cap, uint16_t *len);
