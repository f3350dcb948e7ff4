/* What the PostgreSQL pieces of this folder share (pg_counts.c,
 * hostdb_pg.c): a connection from the Kea-style keys, and a text field as
 * a number.  Private to backends/. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "conf.h"

/* Connected, or NULL with err (may be NULL) set to libpq's message. */
PGconn *pg_conn_open(const struct conf_lease_db *db, char *err, size_t errlen);
/* Field (row, col) as a decimal integer: 0, or -1 (NULL or not a number). */
int pg_field_i64(const PGresult *r, int row, int col, int64_t *v);
