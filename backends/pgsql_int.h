/* The "postgresql" lease backend's insides, shared by its files:
 * pgsql.c (connection, schema check, ops table, stats, refusals),
 * pgsql_load.c (load and load6: binary COPY of lease4 / lease6) and
 * pgsql_sync.c (append, the pending buffers, one pipelined transaction
 * per sync).  Kea 2.2's schema 13.0 (docs/pgsql-notes.md). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "lease_backend.h"

#define PG_SCHEMA_MAJOR 13
#define PG_MAX_DB_TIME 2147483647u     /* Kea's MAX_DB_TIME: 2038-01-19 03:14:07 UTC */
#define PG_HOSTNAME_MAX 63
#define PG_ERR_MAX 512

/* Prepared statements, named by their index. */
enum pg_stmt {
	PG_UPSERT4,
	PG_DELETE4,
	PG_UPSERT6,
	PG_DELETE6,
	PG_NSTMTS,
};

/* A growable byte buffer: binary array parameters and scratch. */
struct pg_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;                      /* a write did not fit: the content is short */
};

/* One array parameter in PostgreSQL's binary array format (array_recv):
 * a 20-byte header (ndim 1, has-null, element OID, length, lower bound
 * 1) patched when done, then each element as int32 length + bytes. */
struct pg_arr {
	struct pg_buf b;
	uint32_t elem_oid;
	uint32_t n;
	bool has_null;
};

/* Records one family keeps until a transaction commits them. */
struct pg_pending {
	void *recs;                    /* struct lease_rec or lease6_rec */
	size_t size;                   /* sizeof one record */
	unsigned n, cap;
	unsigned tail_at, tail_n;      /* the last append's chunk (a re-append folds into it) */
};

/* One pending record in a transaction's plan, sorted by (key, pos): an
 * address's records are one run, its last one (in append order) wins. */
struct pg_slot {
	struct lease_addr6 key;        /* v4: key.lo = address; v6: the address (IA_PD: masked) */
	unsigned pos;                  /* index in the family's pending buffer */
};

struct lease_backend {
	struct conf_lease_db db;       /* our copy: reconnects read it */
	PGconn *conn;                  /* NULL while disconnected */
	struct pg_pending pend[2];     /* [0] v4, [1] v6 */
	struct pg_slot *slots[2];      /* sync's plan per family: pending records by address */
	uint8_t *returned[2];          /* per slot: the upsert returned its address */
	unsigned slots_cap[2];
	struct pg_arr arr[16];         /* sync's scratch: one statement's array parameters */
	struct lease_refusals ref;     /* refusals of committed transactions */
	uint64_t next_connect_ns;      /* no new connection attempt before (reconnect-wait-time) */
	char last_err[PG_ERR_MAX];     /* the last failure, for tests and logs */
	struct lease_backend_stats st; /* relaxed atomics: get_stats reads from any thread */
};

#define PG_STAT_ADD(be, f, v) __atomic_fetch_add(&(be)->st.f, (v), __ATOMIC_RELAXED)
#define PG_STAT_SET(be, f, v) __atomic_store_n(&(be)->st.f, (v), __ATOMIC_RELAXED)

/* pgsql.c */
/* (Re)connects, checks the schema and prepares the statements: 0 or
 * -errno with be->last_err set. */
int pg_connect(struct lease_backend *be, char *err, size_t errlen);
void pg_disconnect(struct lease_backend *be);
/* Sets be->last_err from the connection's message, prefixed by what. */
void pg_set_err(struct lease_backend *be, const char *what, const PGresult *res);

/* pgsql_load.c */
int pg_load4(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg);
int pg_load6(struct lease_backend *be, int (*cb)(const struct lease6_rec *r, void *arg), void *arg);

/* pgsql_sync.c */
extern const char *const pg_stmt_sql[PG_NSTMTS];
extern const int pg_stmt_nparams[PG_NSTMTS];
extern const uint32_t *const pg_stmt_types[PG_NSTMTS];
int pg_append4(struct lease_backend *be, const struct lease_rec *recs, unsigned n);
int pg_append6(struct lease_backend *be, const struct lease6_rec *recs, unsigned n);
int pg_sync(struct lease_backend *be);
int pg_ping(struct lease_backend *be);

/* pgsql_holder.c: after a commit, the rows that refused (who holds each
 * address) into r[i].holder, has_holder set for those read. */
void pg_fill_holders(struct lease_backend *be, struct lease_refusal *r, unsigned n);
void pg_discard(struct lease_backend *be);
void pg_sync_free(struct lease_backend *be);
