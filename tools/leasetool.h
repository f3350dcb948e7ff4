/* peregrine-leasetool: the C half of `peregrine-admin ... redis`.  Its
 * files:
 *   leasetool.c        command line, lease-dump and lease-upload: leases
 *                      copied between a store and a Kea lease file through
 *                      the lease backends' ops (the memfile backend reads
 *                      and writes the CSV, the store's own append/sync
 *                      writes the store, as the server does)
 *   leasetool_redis.c  the Redis store's schema key: db-init, db-version,
 *                      and the check before a copy */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "lease_backend.h"

/* "prog: message" on stderr (prog: --prog, else "peregrine-leasetool"). */
void lt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char *lt_prog;

/* db-init: on a store without Peregrine's keys under the prefix (no
 * schema key, no lease, expiry or counter key), writes the schema key.
 * 0, or 1 with the reason said. */
int lt_redis_init(const struct conf_lease_db *db);
/* db-version: prints the schema key's value.  0 when it holds one (with
 * a note on stderr when it is not the version this Peregrine reads), 1
 * when there is none or it is not a string. */
int lt_redis_version(const struct conf_lease_db *db);
/* Before a dump or an upload: 0 when the store holds this Peregrine's
 * schema, 1 with the reason said (none: run db-init; another version). */
int lt_redis_need_schema(const struct conf_lease_db *db);
/* The last error the redis backend recorded (its connection, its sync
 * script), for messages; "" for another backend. */
const char *lt_redis_last_error(const struct lease_backend_ops *ops, struct lease_backend *be);
