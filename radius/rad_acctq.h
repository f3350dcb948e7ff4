/* The accounting queue: a bounded on-disk FIFO of Accounting-Request
 * records (the encoded attributes, the Acct-Status-Type, the event's
 * time), appended by the RADIUS thread as lease changes come in, taken in
 * order with a window of requests in flight, and removed once an
 * Accounting-Response arrived.  A RADIUS outage then costs no record:
 * they wait here, also across a restart of the server.
 *
 *   q = rad_acctq_open(&params)            create, or reopen what is there
 *   rad_acctq_append(q, status, t, a, n)   a new record (-ENOSPC: full, counted)
 *   rad_acctq_take(q, &rec)                the next record to send (1), or 0
 *   rad_acctq_ack(q, rec.ticket)           answered: gone once every older one is
 *   rad_acctq_fail(q, rec.ticket)          not answered: sent again, first
 *   rad_acctq_sync(q, now_ms)              each loop pass: write, persist, fsync when due
 *   rad_acctq_close(q)
 *
 * Order.  Records are taken oldest first; up to `window` are out at once.
 * One that fails is taken again before anything new, and the window
 * shrinks to that one record until an answer arrives (a server that is
 * down is probed with one request, not flooded).  The head (what is
 * removed) only passes answered records, so a failure never lets a later
 * record's answer remove an earlier one.
 *
 * Files.  The queue is a series of segment files `<path>.<n>` (n = 1, 2,
 * ...), each at most `segment_bytes`: appends go to the newest, a
 * segment whose every record was answered is unlinked.  The disk use is
 * the backlog plus at most two segments; no file grows without bound and
 * nothing is ever copied.  Each segment starts with a header; the oldest
 * one's header holds the head (the first record not answered).  A record
 * is [crc32, length, status, magic, event time] + attributes; the crc
 * covers the rest, so a torn last record (a crash during a write) is
 * found at open and cut off.
 *
 * Durability, without an fsync per record.  Appends are buffered and
 * written at the next rad_acctq_sync (or take, or when the buffer fills),
 * so a process that dies loses what was appended since the last sync (one
 * loop pass of the RADIUS thread); the data is fdatasync'ed at most every
 * `sync_ms` (default 1 s) and when a segment is closed, so a machine that
 * loses power loses at most that much more.  The head is written (not
 * synced) at each sync: after a crash, records answered since the last
 * one written are sent again (RADIUS accounting is at-least-once; the
 * server sees the same Acct-Session-Id and Event-Timestamp twice).
 *
 * One thread owns a queue; nothing here locks.  Statistics may be read
 * from other threads (rad_acctq_stats uses relaxed atomics). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rad_pkt.h"

#define RAD_ACCTQ_WINDOW_MAX 256
#define RAD_ACCTQ_ATTRS_MAX  (RAD_PKT_MAX - RAD_HDR_LEN)
#define RAD_ACCTQ_SEGMENT_DEFAULT (4u << 20)

struct rad_acctq_params {
	const char *path;              /* segments are <path>.<n>; its directory must exist */
	uint32_t max_records;          /* the bound: an append beyond it is dropped (>= 1) */
	uint32_t window;               /* records out at once, 1..RAD_ACCTQ_WINDOW_MAX */
	uint32_t segment_bytes;        /* 0: 4 MiB; else >= 4096 */
	uint32_t sync_ms;              /* fdatasync at most this often; 0: 1000 */
};

/* A record taken to be sent. */
struct rad_acctq_rec {
	uint64_t ticket;               /* for rad_acctq_ack / rad_acctq_fail */
	uint8_t status;                /* Acct-Status-Type (also among the attributes) */
	uint32_t event_time;           /* epoch seconds of the change (Acct-Delay-Time's base) */
	uint16_t len;
	uint8_t attrs[RAD_ACCTQ_ATTRS_MAX];
};

struct rad_acctq_stats {
	uint64_t backlog;              /* records not answered yet (in flight included) */
	uint64_t appended;             /* records queued since open */
	uint64_t dropped;              /* appends refused: the queue was full */
	uint64_t answered;             /* records removed after their answer */
	uint64_t retried;              /* records taken again after a failure */
	uint64_t segments;             /* segment files now */
	uint64_t reloaded;             /* records found in the files at open */
	uint64_t torn;                 /* bytes cut off at open (a torn or damaged tail) */
	uint64_t io_errors;            /* writes or reads that failed */
};

struct rad_acctq;

/* Open the queue at params->path: the segments there are read (their
 * records are the backlog, oldest first; a torn tail is cut off), or a
 * first segment is made.  NULL with errno (EINVAL for bad params; the
 * file system's). */
struct rad_acctq *rad_acctq_open(const struct rad_acctq_params *p);
/* Sync (data and head, fdatasync'ed) and free.  NULL: nothing. */
void rad_acctq_close(struct rad_acctq *q);

/* Queue one record: 0; -ENOSPC when max_records are queued (the NEW
 * record is dropped, counted); -EINVAL (len > RAD_ACCTQ_ATTRS_MAX);
 * -EIO when it cannot be written (counted). */
int rad_acctq_append(struct rad_acctq *q, uint8_t status, uint32_t event_time,
		     const uint8_t *attrs, uint16_t len);
/* The next record to send into *out: 1; 0 when nothing is to send or
 * the window is full; -EIO (counted). */
int rad_acctq_take(struct rad_acctq *q, struct rad_acctq_rec *out);
/* The record's answer came: 0; -ENOENT for a ticket not out. */
int rad_acctq_ack(struct rad_acctq *q, uint64_t ticket);
/* No answer: it is taken again, before any newer record.  0 or -ENOENT. */
int rad_acctq_fail(struct rad_acctq *q, uint64_t ticket);
/* Write what is buffered and the head; fdatasync when sync_ms passed
 * since the last one (force: now).  0 or -EIO. */
int rad_acctq_sync(struct rad_acctq *q, uint64_t now_ms, bool force);

/* Records not answered yet. */
uint64_t rad_acctq_backlog(const struct rad_acctq *q);
/* Records out (taken, neither answered nor failed). */
unsigned rad_acctq_out(const struct rad_acctq *q);
/* From any thread. */
void rad_acctq_stats(const struct rad_acctq *q, struct rad_acctq_stats *out);
