/* The "redis" lease backend's insides, shared by its files: redis.c
 * (connection, AUTH/SELECT, the schema key, ops table, stats, refusals,
 * counts), redis_sync.c (append, the pending buffers, one Lua script per
 * sync) and redis_load.c (load and load6: SCAN + pipelined HGETALL).
 * The key scheme is docs/redis-notes.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "lease_backend.h"

#define RD_SCHEMA "1"
#define RD_ERR_MAX 512
#define RD_PREFIX_MAX 256
#define RD_IO_TIMEOUT_S 30             /* no answer for this long: the connection is dead */
#define RD_COUNTS_IO_S 2               /* ... for the control thread's counts (statistic-get
					* must not hang on a stalled Redis) */

/* Records one family keeps until a script applied them. */
struct rd_pending {
	void *recs;                    /* struct lease_rec or lease6_rec */
	size_t size;                   /* sizeof one record */
	unsigned n, cap;
};

struct lease_backend {
	struct conf_lease_db db;       /* our copy: reconnects read it */
	redisContext *c;               /* NULL while disconnected */
	char prefix[RD_PREFIX_MAX];    /* "" or "name:" */
	char sha[41];                  /* the sync script's SHA1 once loaded, else "" */
	struct rd_pending pend[2];     /* [0] v4, [1] v6 */
	/* sync's scratch: every pending record sorted by (family, address,
	 * order appended), a struct rd_slot each (redis_sync.c) */
	void *all;
	struct lease_refusals ref;     /* refusals of applied syncs */
	bool was_connected;            /* a later connect counts as a reconnect */
	unsigned gen;                  /* connects so far: the subscriber follows */
	/* pub/sub of claims (redis_claims.c), with shared = true only */
	char channel[RD_PREFIX_MAX + 32]; /* "" when not shared */
	char sid[17];                  /* this server's id in its messages (hex) */
	struct rd_sub *sub;            /* the subscription, on the flusher thread */
	struct lease_refusals learnt;  /* other servers' claims heard, seq 0 */
	char sub_err[RD_ERR_MAX];
	char last_err[RD_ERR_MAX];
	struct lease_backend_stats st; /* relaxed atomics: get_stats reads from any thread */
};

#define RD_STAT_ADD(be, f, v) __atomic_fetch_add(&(be)->st.f, (v), __ATOMIC_RELAXED)
#define RD_STAT_SET(be, f, v) __atomic_store_n(&(be)->st.f, (v), __ATOMIC_RELAXED)

/* redis.c */
/* A connection to db (unix socket or host:port, AUTH, SELECT), with the
 * key prefix written to prefix: NULL with err set. */
redisContext *rd_connect_db(const struct conf_lease_db *db, char *prefix, size_t plen,
			    char *err, size_t errlen);
/* The same with its commands bounded by io_s seconds (0: RD_IO_TIMEOUT_S,
 * plus wait-timeout with wait-replicas). */
redisContext *rd_connect_db_io(const struct conf_lease_db *db, char *prefix, size_t plen,
			       unsigned io_s, char *err, size_t errlen);
int rd_connect(struct lease_backend *be, char *err, size_t errlen);
/* ROLE says master: true, else false with why set. */
bool rd_is_primary(redisContext *c, char *why, size_t wlen);
void rd_disconnect(struct lease_backend *be);

/* redis_claims.c: the server id (shared stores only: 0 or -errno), the
 * channel (after each connect: it needs the prefix), the learnt op, and
 * one message of the channel into q (the claims of other servers than
 * self; a line that does not read counts in *bad): how many were added. */
int rd_claims_init(struct lease_backend *be);
void rd_claims_channel(struct lease_backend *be);
unsigned rd_learnt(struct lease_backend *be, struct lease_refusal *out, unsigned max);
unsigned rd_claims_parse(const char *msg, size_t len, const char *self, struct lease_refusals *q,
			 unsigned *bad);
void rd_claims_free(struct lease_backend *be);

/* redis_sync.c */
int rd_append4(struct lease_backend *be, const struct lease_rec *recs, unsigned n);
int rd_append6(struct lease_backend *be, const struct lease6_rec *recs, unsigned n);
int rd_sync(struct lease_backend *be);
/* SCRIPT LOAD of the sync script on be->c, its SHA1 into be->sha: 0 or
 * -errno with err set. */
int rd_load_script(struct lease_backend *be, char *err, size_t errlen);
void rd_discard(struct lease_backend *be);
void rd_sync_free(struct lease_backend *be);

/* redis_load.c: every key <prefix><what>* (what may hold glob characters;
 * the prefix's are escaped), by SCAN in pages of RD_SCAN_COUNT: page()
 * gets each page's key array, and a non-zero return stops the scan with
 * that value.  0 when the scan ended, -EIO (connection lost) or -EPROTO
 * (an answer that is no SCAN page) with err set. */
#define RD_SCAN_COUNT 1000
int rd_scan(redisContext *c, const char *prefix, const char *what,
	    int (*page)(redisContext *c, const redisReply *keys, void *arg), void *arg,
	    char *err, size_t errlen);

/* one stored hash (field, value pairs) to a record; 0 or -EINVAL.  The
 * address comes from the key. */
int rd_hash_to_rec4(const char *addr, const redisReply *h, struct lease_rec *r);
int rd_hash_to_rec6(const char *addr, const redisReply *h, struct lease6_rec *r);
int rd_load4(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg);
int rd_load6(struct lease_backend *be, int (*cb)(const struct lease6_rec *r, void *arg), void *arg);

/* lowercase hex of n bytes into out (2n+1); parse back: length or -1 */
void rd_hex(const uint8_t *p, unsigned n, char *out);
