/* Shared lease counts from a PostgreSQL store: the rows of lease4_stat and
 * lease6_stat, which Kea's schema keeps with triggers in every writer's
 * transaction, so they count the leases of every server that shares the
 * database (Kea's stat_cmds reads the same tables).  The control thread
 * asks; it has its own connection, separate from the flusher's, and a lost
 * one is re-opened on the next call (bounded by connect-timeout). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "lease_backend.h"
#include "pg_util.h"

struct lease_counts {
	struct conf_lease_db db;
	PGconn *conn;
};

static const char counts_sql[] =
	"SELECT 4, subnet_id, 0, state, leases FROM lease4_stat WHERE state IN (0, 1) "
	"UNION ALL "
	"SELECT 6, subnet_id, lease_type, state, leases FROM lease6_stat WHERE state IN (0, 1)";

PGconn *pg_conn_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	const char *keys[16], *vals[16];
	char buf[32];
	PGconn *c;

	conf_pg_params(db, keys, vals, 16, buf, sizeof(buf));
	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		if (err)
			snprintf(err, errlen, "%s", c ? PQerrorMessage(c) : "out of memory");
		/* libpq's messages end with a newline */
		if (err && errlen && strlen(err) && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		PQfinish(c);
		return NULL;
	}
	return c;
}

struct lease_counts *pg_counts_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	struct lease_counts *lc = calloc(1, sizeof(*lc));

	if (lc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lc->db = *db;
	lc->conn = pg_conn_open(db, err, errlen);
	if (lc->conn == NULL) {
		free(lc);
		return NULL;
	}
	return lc;
}

int pg_field_i64(const PGresult *r, int row, int col, int64_t *v)
{
	const char *s = PQgetvalue(r, row, col);
	char *end;
	long long x;

	if (PQgetisnull(r, row, col))
		return -1;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

int pg_counts_read(struct lease_counts *lc, struct lease_count **rows, size_t *n)
{
	PGresult *r;
	struct lease_count *v;
	int i, nt, k = 0;

	*rows = NULL;
	*n = 0;
	if (lc->conn == NULL || PQstatus(lc->conn) != CONNECTION_OK) {
		PQfinish(lc->conn);
		lc->conn = pg_conn_open(&lc->db, NULL, 0);
		if (lc->conn == NULL)
			return -ENOTCONN;
	}
	r = PQexec(lc->conn, counts_sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		/* a dead connection is replaced on the next call */
		if (PQstatus(lc->conn) != CONNECTION_OK) {
			PQfinish(lc->conn);
			lc->conn = NULL;
		}
		return -EIO;
	}
	nt = PQntuples(r);
	v = calloc(nt ? (size_t)nt : 1, sizeof(*v));
	if (v == NULL) {
		PQclear(r);
		return -ENOMEM;
	}
	for (i = 0; i < nt; i++) {
		int64_t fam, sid, type, state, leases;

		if (pg_field_i64(r, i, 0, &fam) || pg_field_i64(r, i, 1, &sid) ||
		    pg_field_i64(r, i, 2, &type) || pg_field_i64(r, i, 3, &state) ||
		    pg_field_i64(r, i, 4, &leases) || sid < 0 || sid > UINT32_MAX || type < 0 ||
		    type > 2 || state < 0 || state > 1)
			continue;       /* not a row this schema writes */
		v[k].family = (uint8_t)fam;
		v[k].subnet_id = (uint32_t)sid;
		v[k].type = (uint8_t)type;
		v[k].state = (uint8_t)state;
		v[k].leases = leases < 0 ? 0 : leases;
		k++;
	}
	PQclear(r);
	*rows = v;
	*n = (size_t)k;
	return 0;
}

void pg_counts_close(struct lease_counts *lc)
{
	if (lc == NULL)
		return;
	PQfinish(lc->conn);
	free(lc);
}
