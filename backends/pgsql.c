/* postgresql: leases in Kea 2.2's PostgreSQL schema (13.0), so Kea and
 * Peregrine servers can share one database and a Kea user's database is
 * served as it is.  One connection, used only by the write-behind thread
 * (and by main before the workers start, for load).
 *
 * This file: the connection (libpq's keywords from conf_pg_params), the
 * schema check, the ops table, the statistics and the refusals.  Times
 * cross the wire as epoch seconds (to_timestamp / extract(epoch)), so the
 * session's time zone never matters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"

static void pg_strip_nl(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

void pg_set_err(struct lease_backend *be, const char *what, const PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : NULL;

	if ((msg == NULL || *msg == '\0') && be->conn)
		msg = PQerrorMessage(be->conn);
	snprintf(be->last_err, sizeof(be->last_err), "postgresql: %s: %s", what,
		 msg && *msg ? msg : "no connection");
	pg_strip_nl(be->last_err);
}

void pg_disconnect(struct lease_backend *be)
{
	if (be->conn) {
		PQfinish(be->conn);
		be->conn = NULL;
	}
	PG_STAT_SET(be, connected, 0);
}

/* schema_version must say 13.x (Kea 2.2). */
static int pg_check_schema(struct lease_backend *be, char *err, size_t errlen)
{
	PGresult *res = PQexec(be->conn, "SELECT version, minor FROM schema_version");
	const char *state;
	long major = -1, minor = 0;
	int ret = -EPROTO;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && strcmp(state, "42P01") == 0)    /* undefined_table */
			snprintf(err, errlen, "postgresql: no Kea schema in database %s: run "
				 "'peregrine-admin db-init pgsql ...' (or kea-admin db-init pgsql)",
				 be->db.name);
		else {
			pg_set_err(be, "reading schema_version", res);
			snprintf(err, errlen, "%s", be->last_err);
			ret = -EIO;
		}
		goto out;
	}
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		snprintf(err, errlen, "postgresql: no Kea schema in database %s (schema_version is "
			 "empty): run 'peregrine-admin db-init pgsql ...'", be->db.name);
		goto out;
	}
	major = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (!PQgetisnull(res, 0, 1))
		minor = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	if (major < PG_SCHEMA_MAJOR)
		snprintf(err, errlen, "postgresql: database schema %ld.%ld is older than %d.0 (Kea 2.2): "
			 "run 'peregrine-admin db-upgrade pgsql ...' (or kea-admin db-upgrade pgsql)",
			 major, minor, PG_SCHEMA_MAJOR);
	else if (major > PG_SCHEMA_MAJOR)
		snprintf(err, errlen, "postgresql: database schema %ld.%ld is newer than this Peregrine "
			 "knows: it reads and writes schema %d (Kea 2.2)", major, minor, PG_SCHEMA_MAJOR);
	else
		ret = 0;
out:
	PQclear(res);
	return ret;
}

static int pg_prepare_all(struct lease_backend *be, char *err, size_t errlen)
{
	char name[16];

	for (int i = 0; i < PG_NSTMTS; i++) {
		PGresult *res;

		snprintf(name, sizeof(name), "pg%d", i);
		res = PQprepare(be->conn, name, pg_stmt_sql[i], pg_stmt_nparams[i],
				(const Oid *)pg_stmt_types[i]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_set_err(be, "preparing a statement", res);
			snprintf(err, errlen, "%s", be->last_err);
			PQclear(res);
			return -EIO;
		}
		PQclear(res);
	}
	return 0;
}

int pg_connect(struct lease_backend *be, char *err, size_t errlen)
{
	const char *keys[16], *vals[16];
	char nbuf[32];
	int ret;

	pg_disconnect(be);
	conf_pg_params(&be->db, keys, vals, 16, nbuf, sizeof(nbuf));
	be->conn = PQconnectdbParams(keys, vals, 0);
	if (be->conn == NULL) {
		snprintf(err, errlen, "postgresql: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	if (PQstatus(be->conn) != CONNECTION_OK) {
		/* libpq's own words (host, port, the server's refusal); it
		 * never repeats the password */
		pg_set_err(be, "connecting", NULL);
		snprintf(err, errlen, "%s", be->last_err);
		ret = -ECONNREFUSED;
		goto fail;
	}
	ret = pg_check_schema(be, err, errlen);
	if (ret == 0)
		ret = pg_prepare_all(be, err, errlen);
	/* Sends must never block the flusher behind a full socket while the
	 * server waits for us to read (pipeline mode); PQexec and PQprepare
	 * ignore this and stay blocking. */
	if (ret == 0 && PQsetnonblocking(be->conn, 1) != 0) {
		pg_set_err(be, "non-blocking mode", NULL);
		snprintf(err, errlen, "%s", be->last_err);
		ret = -EIO;
	}
	if (ret)
		goto fail;
	PG_STAT_SET(be, connected, 1);
	return 0;
fail:
	if (err != be->last_err)
		snprintf(be->last_err, sizeof(be->last_err), "%s", err);
	pg_disconnect(be);
	return ret;
}

static void pg_close(struct lease_backend *be);

static struct lease_backend *pg_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	struct lease_backend *be;
	int ret;

	if (db == NULL || db->type != CONF_DB_POSTGRESQL || db->name[0] == '\0') {
		snprintf(err, errlen, "postgresql: not a postgresql lease-database, or no database name");
		errno = EINVAL;
		return NULL;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL) {
		snprintf(err, errlen, "postgresql: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	be->db = *db;
	be->pend[0].size = sizeof(struct lease_rec);
	be->pend[1].size = sizeof(struct lease6_rec);
	ret = pg_connect(be, err, errlen);
	if (ret) {
		pg_close(be);
		errno = -ret;
		return NULL;
	}
	return be;
}

/* Copies out (oldest first) and forgets the refusals of committed
 * transactions. */
static unsigned pg_refused(struct lease_backend *be, struct lease_refusal *out, unsigned max)
{
	unsigned n;

	if (be == NULL || out == NULL)
		return 0;
	n = lease_refusals_take(&be->ref, out, max);
	if (n)
		pg_fill_holders(be, out, n);
	return n;
}

static const char *pg_last_error(struct lease_backend *be)
{
	return be->last_err;
}

static void pg_get_stats(struct lease_backend *be, struct lease_backend_stats *s)
{
	lease_backend_stats_read(&be->st, s);
}

static void pg_close(struct lease_backend *be)
{
	if (be == NULL)
		return;
	pg_disconnect(be);
	pg_sync_free(be);
	lease_refusals_free(&be->ref);
	/* the password stays in no freed memory */
	memset(be->db.password, 0, sizeof(be->db.password));
	free(be);
}

const struct lease_backend_ops lease_backend_pgsql_ops = {
	.name = "postgresql",
	.open = pg_open,
	.load = pg_load4,
	.append = pg_append4,
	.load6 = pg_load6,
	.append6 = pg_append6,
	.sync = pg_sync,
	.compact = NULL,               /* one row per address: nothing to compact */
	.close = pg_close,
	.get_stats = pg_get_stats,
	.last_error = pg_last_error,
	.refused = pg_refused,
	.ping = pg_ping,
	.discard = pg_discard,
	.counts_open = pg_counts_open,
	.counts_read = pg_counts_read,
	.counts_close = pg_counts_close,
};
