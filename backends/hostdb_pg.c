/* Host reservations in Kea 2.2's PostgreSQL tables (hostdb.h, the
 * "postgresql" store).
 *
 * Reading: four queries in one REPEATABLE READ, READ ONLY transaction, so
 * a host and its children are seen as of one moment; text results (bytea
 * in either of PostgreSQL's output forms goes through PQunescapeBytea).
 * Nothing read is trusted: numbers are range checked by the merge
 * (conf_hostdb.c), a value that is not even a number leaves its row out.
 *
 * Writing: the rows Kea's pgsql host data source writes (column lists
 * and values taken from its INSERT_HOST, INSERT_V6_RESRV and
 * INSERT_V4/V6_HOST_OPTION statements): the other family's subnet id NULL,
 * ipv4_address and dhcp4_next_server 0 when none, hostname, classes,
 * server hostname and boot file name '' when none, user_context and
 * auth_key NULL; options with scope_id 3, formatted_value for csv data,
 * value for binary data. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "hostdb_int.h"
#include "pg_util.h"

struct hostdb_pg {
	struct hostdb base;            /* first: hostdb.c's handle */
	struct conf_lease_db db;
	PGconn *conn;
};

static void set_err(char *err, size_t len, const char *what, const char *msg)
{
	size_t n;

	if (err == NULL || len == 0)
		return;
	snprintf(err, len, "%s%s%s", what, what[0] ? ": " : "", msg ? msg : "out of memory");
	n = strlen(err);
	if (n && err[n - 1] == '\n')     /* libpq's messages end with one */
		err[n - 1] = '\0';
}

static struct hostdb *pg_open(const struct conf_hosts_db *db, char *err, size_t errlen)
{
	struct hostdb_pg *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		set_err(err, errlen, "", NULL);
		return NULL;
	}
	h->db = db->db;
	h->conn = pg_conn_open(&h->db, err, errlen);
	if (h->conn == NULL) {
		free(h);
		return NULL;
	}
	return &h->base;
}

static void pg_close(struct hostdb *base)
{
	struct hostdb_pg *h = (struct hostdb_pg *)base;

	PQfinish(h->conn);
	free(h);
}

/* The connection, made again if it was lost. */
static int conn_ok(struct hostdb_pg *h, char *err, size_t len)
{
	if (h->conn && PQstatus(h->conn) == CONNECTION_OK)
		return 0;
	PQfinish(h->conn);
	h->conn = pg_conn_open(&h->db, err, len);
	return h->conn ? 0 : -ENOTCONN;
}

/* A failed statement: -ENOTCONN when the connection went away with it. */
static int fail_res(struct hostdb_pg *h, PGresult *r, const char *what, char *err, size_t len)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int ret = state && !strcmp(state, "23505") ? -EEXIST : -EIO;

	set_err(err, len, what, r ? PQresultErrorMessage(r) : PQerrorMessage(h->conn));
	PQclear(r);
	if (PQstatus(h->conn) != CONNECTION_OK) {
		PQfinish(h->conn);
		h->conn = NULL;
		return -ENOTCONN;
	}
	return ret;
}

static int exec_ok(struct hostdb_pg *h, const char *sql, char *err, size_t len)
{
	PGresult *r = PQexec(h->conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return fail_res(h, r, sql, err, len);
	PQclear(r);
	return 0;
}

/* ------------------------------------------------------------------------
 * Reading
 */

static const char sql_hosts[] =
	"SELECT host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, "
	"dhcp6_subnet_id, ipv4_address, hostname, dhcp4_client_classes, dhcp6_client_classes, "
	"dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name "
	"FROM hosts ORDER BY host_id";
static const char sql_opts4[] =
	"SELECT host_id, code, value, formatted_value, space, persistent FROM dhcp4_options "
	"WHERE scope_id = 3 AND host_id IS NOT NULL ORDER BY host_id, option_id";
static const char sql_opts6[] =
	"SELECT host_id, code, value, formatted_value, space, persistent FROM dhcp6_options "
	"WHERE scope_id = 3 AND host_id IS NOT NULL ORDER BY host_id, option_id";
static const char sql_resv[] =
	"SELECT host_id, address, prefix_len, type FROM ipv6_reservations "
	"ORDER BY host_id, reservation_id";

/* NULL stays NULL; -ENOMEM otherwise fails. */
static int f_str(const PGresult *r, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	*out = strdup(PQgetvalue(r, row, col));
	return *out ? 0 : -ENOMEM;
}

static int f_bytea(const PGresult *r, int row, int col, uint8_t **out, size_t *len)
{
	unsigned char *u;

	*out = NULL;
	*len = 0;
	if (PQgetisnull(r, row, col))
		return 0;
	u = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), len);
	if (u == NULL)
		return -ENOMEM;
	*out = malloc(*len ? *len : 1);
	if (*out)
		memcpy(*out, u, *len);
	PQfreemem(u);
	return *out ? 0 : -ENOMEM;
}

static uint64_t digest(uint64_t d, const PGresult *r)
{
	for (int i = 0; i < PQntuples(r); i++)
		for (int j = 0; j < PQnfields(r); j++) {
			const char *v = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
			size_t n = v ? (size_t)PQgetlength(r, i, j) : 0;

			d = (d ^ (v ? 1 : 2)) * 0x100000001b3ull;
			for (size_t k = 0; k < n; k++)
				d = (d ^ (uint8_t)v[k]) * 0x100000001b3ull;
			d = (d ^ 0xff) * 0x100000001b3ull;
		}
	return d;
}

static struct conf_db_host *by_id(struct conf_db_hosts *rows, int64_t id)
{
	unsigned lo = 0, hi = rows->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (rows->h[mid].host_id == id)
			return &rows->h[mid];
		if (rows->h[mid].host_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int read_hosts(const PGresult *r, struct conf_db_hosts *rows)
{
	int n = PQntuples(r);

	rows->h = calloc(n ? (size_t)n : 1, sizeof(*rows->h));
	if (rows->h == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct conf_db_host *h = &rows->h[rows->n];

		if (pg_field_i64(r, i, 0, &h->host_id) || pg_field_i64(r, i, 2, &h->id_type))
			continue;
		/* host_id is the primary key, in order: a duplicate cannot be */
		if (rows->n && h->host_id <= rows->h[rows->n - 1].host_id)
			continue;
		h->has_sub4 = pg_field_i64(r, i, 3, &h->sub4) == 0;
		h->has_sub6 = pg_field_i64(r, i, 4, &h->sub6) == 0;
		if (!PQgetisnull(r, i, 3) && !h->has_sub4)
			h->has_sub4 = true, h->sub4 = -1;     /* the merge says why */
		if (!PQgetisnull(r, i, 4) && !h->has_sub6)
			h->has_sub6 = true, h->sub6 = -1;
		if (!PQgetisnull(r, i, 5) && pg_field_i64(r, i, 5, &h->ipv4))
			h->ipv4 = -1;
		if (!PQgetisnull(r, i, 9) && pg_field_i64(r, i, 9, &h->next_server))
			h->next_server = -1;
		rows->n++;
		if (f_bytea(r, i, 1, &h->id, &h->id_len) || f_str(r, i, 6, &h->hostname) ||
		    f_str(r, i, 7, &h->classes4) || f_str(r, i, 8, &h->classes6) ||
		    f_str(r, i, 10, &h->server_hostname) || f_str(r, i, 11, &h->boot_file_name))
			return -ENOMEM;
	}
	return 0;
}

static int read_opts(const PGresult *r, struct conf_db_hosts *rows, bool v6)
{
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t id;
		struct conf_db_host *h;
		struct conf_db_option *o, **arr;
		unsigned *n;

		if (pg_field_i64(r, i, 0, &id) || (h = by_id(rows, id)) == NULL)
			continue;
		arr = v6 ? &h->opts6 : &h->opts4;
		n = v6 ? &h->n_opts6 : &h->n_opts4;
		o = realloc(*arr, (*n + 1) * sizeof(**arr));
		if (o == NULL)
			return -ENOMEM;
		*arr = o;
		o = &o[(*n)++];
		memset(o, 0, sizeof(*o));
		if (pg_field_i64(r, i, 1, &o->code))
			o->code = -1;
		o->persistent = !PQgetisnull(r, i, 5) && PQgetvalue(r, i, 5)[0] == 't';
		o->has_value = !PQgetisnull(r, i, 2);
		if (f_bytea(r, i, 2, &o->value, &o->value_len) || f_str(r, i, 3, &o->formatted) ||
		    f_str(r, i, 4, &o->space))
			return -ENOMEM;
		/* Kea writes an empty formatted_value as NULL; '' means the same */
		if (o->formatted && o->formatted[0] == '\0' && o->has_value) {
			free(o->formatted);
			o->formatted = NULL;
		}
	}
	return 0;
}

static int read_resv(const PGresult *r, struct conf_db_hosts *rows)
{
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t id;
		struct conf_db_host *h;
		struct conf_db_resv6 *v;

		if (pg_field_i64(r, i, 0, &id) || (h = by_id(rows, id)) == NULL)
			continue;
		v = realloc(h->resv, (h->n_resv + 1) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		h->resv = v;
		v = &v[h->n_resv++];
		memset(v, 0, sizeof(*v));
		if (pg_field_i64(r, i, 2, &v->prefix_len))
			v->prefix_len = PQgetisnull(r, i, 2) ? 128 : -1;
		if (pg_field_i64(r, i, 3, &v->type))
			v->type = PQgetisnull(r, i, 3) ? 0 : -1;
		if (f_str(r, i, 1, &v->address))
			return -ENOMEM;
	}
	return 0;
}

static int pg_fetch(struct hostdb *base, struct conf_db_hosts *out, char *err, size_t errlen)
{
	struct hostdb_pg *h = (struct hostdb_pg *)base;
	static const char *const sql[] = { sql_hosts, sql_opts4, sql_opts6, sql_resv };
	PGresult *res[4] = { NULL };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = conn_ok(h, err, errlen);
	if (ret)
		return ret;
	ret = exec_ok(h, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen);
	if (ret)
		return ret;
	for (unsigned i = 0; i < 4; i++) {
		res[i] = PQexec(h->conn, sql[i]);
		if (PQresultStatus(res[i]) != PGRES_TUPLES_OK) {
			ret = fail_res(h, res[i], "reading the hosts tables", err, errlen);
			res[i] = NULL;
			goto out;
		}
	}
	out->digest = 0xcbf29ce484222325ull;
	for (unsigned i = 0; i < 4; i++)
		out->digest = digest(out->digest, res[i]);
	ret = read_hosts(res[0], out);
	if (!ret)
		ret = read_opts(res[1], out, false);
	if (!ret)
		ret = read_opts(res[2], out, true);
	if (!ret)
		ret = read_resv(res[3], out);
	if (ret)
		set_err(err, errlen, "hosts-database", NULL);
out:
	for (unsigned i = 0; i < 4; i++)
		PQclear(res[i]);
	if (h->conn) {
		PGresult *r = PQexec(h->conn, ret == -ENOTCONN ? "ROLLBACK" : "COMMIT");

		PQclear(r);
	}
	if (ret)
		conf_db_hosts_free(out);
	return ret;
}

/* ------------------------------------------------------------------------
 * Writing
 */

/* bytea as a text parameter: "\x0a0b..." */
static char *bytea_text(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 3);

	if (s == NULL)
		return NULL;
	strcpy(s, "\\x");
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 + 2 * i, "%02x", b[i]);
	return s;
}

static int exec_params(struct hostdb_pg *h, const char *sql, int n, const char *const *vals,
		       PGresult **out, char *err, size_t len)
{
	PGresult *r = PQexecParams(h->conn, sql, n, NULL, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return fail_res(h, r, "hosts-database", err, len);
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static int add_options(struct hostdb_pg *h, const struct conf_db_option *o, unsigned n, bool v6,
		       const char *id, char *err, size_t len)
{
	const char *sql = v6 ?
		"INSERT INTO dhcp6_options(code, value, formatted_value, space, persistent, "
		"user_context, host_id, scope_id) VALUES ($1, $2, $3, $4, $5, NULL, $6, 3)" :
		"INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent, "
		"user_context, host_id, scope_id) VALUES ($1, $2, $3, $4, $5, NULL, $6, 3)";

	for (unsigned i = 0; i < n; i++) {
		char code[24], *value = NULL;
		const char *vals[6];
		int ret;

		snprintf(code, sizeof(code), "%" PRId64, o[i].code);
		if (o[i].formatted == NULL && o[i].has_value &&
		    (value = bytea_text(o[i].value, o[i].value_len)) == NULL)
			return -ENOMEM;
		vals[0] = code;
		vals[1] = value;
		vals[2] = o[i].formatted;
		vals[3] = o[i].space ? o[i].space : v6 ? "dhcp6" : "dhcp4";
		vals[4] = o[i].persistent ? "t" : "f";
		vals[5] = id;
		ret = exec_params(h, sql, 6, vals, NULL, err, len);
		free(value);
		if (ret)
			return ret;
	}
	return 0;
}

static int pg_add(struct hostdb *base, const struct conf_db_host *r, int64_t *host_id, char *err,
		  size_t errlen)
{
	struct hostdb_pg *h = (struct hostdb_pg *)base;
	char type[8], sub4[24], sub6[24], ip4[24], ns[24], *ident;
	const char *vals[12];
	PGresult *res = NULL;
	int ret;

	ret = conn_ok(h, err, errlen);
	if (ret)
		return ret;
	ident = bytea_text(r->id, r->id_len);
	if (ident == NULL)
		return -ENOMEM;
	snprintf(type, sizeof(type), "%" PRId64, r->id_type);
	snprintf(sub4, sizeof(sub4), "%" PRId64, r->sub4);
	snprintf(sub6, sizeof(sub6), "%" PRId64, r->sub6);
	snprintf(ip4, sizeof(ip4), "%" PRId64, r->ipv4);
	snprintf(ns, sizeof(ns), "%" PRId64, r->next_server);
	vals[0] = ident;
	vals[1] = type;
	vals[2] = r->has_sub4 ? sub4 : NULL;
	vals[3] = r->has_sub6 ? sub6 : NULL;
	vals[4] = ip4;
	vals[5] = r->hostname ? r->hostname : "";
	vals[6] = r->classes4 ? r->classes4 : "";
	vals[7] = r->classes6 ? r->classes6 : "";
	vals[8] = ns;
	vals[9] = r->server_hostname ? r->server_hostname : "";
	vals[10] = r->boot_file_name ? r->boot_file_name : "";
	ret = exec_ok(h, "BEGIN", err, errlen);
	if (ret)
		goto out;
	ret = exec_params(h, "INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, "
			  "dhcp4_subnet_id, dhcp6_subnet_id, ipv4_address, hostname, "
			  "dhcp4_client_classes, dhcp6_client_classes, user_context, "
			  "dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key) "
			  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11, NULL) "
			  "RETURNING host_id", 11, vals, &res, err, errlen);
	if (ret)
		goto rollback;
	if (PQntuples(res) != 1 || pg_field_i64(res, 0, 0, host_id)) {
		PQclear(res);
		set_err(err, errlen, "hosts-database", "INSERT INTO hosts returned no host_id");
		ret = -EIO;
		goto rollback;
	}
	PQclear(res);
	snprintf(sub4, sizeof(sub4), "%" PRId64, *host_id);
	ret = add_options(h, r->opts4, r->n_opts4, false, sub4, err, errlen);
	if (!ret)
		ret = add_options(h, r->opts6, r->n_opts6, true, sub4, err, errlen);
	for (unsigned i = 0; !ret && i < r->n_resv; i++) {
		char plen[8], rtype[8];

		snprintf(plen, sizeof(plen), "%" PRId64, r->resv[i].prefix_len);
		snprintf(rtype, sizeof(rtype), "%" PRId64, r->resv[i].type);
		vals[0] = r->resv[i].address;
		vals[1] = plen;
		vals[2] = rtype;
		vals[3] = sub4;
		ret = exec_params(h, "INSERT INTO ipv6_reservations(address, prefix_len, type, "
				  "dhcp6_iaid, host_id) VALUES ($1, $2, $3, NULL, $4)", 4, vals, NULL,
				  err, errlen);
	}
	if (ret)
		goto rollback;
	ret = exec_ok(h, "COMMIT", err, errlen);
	goto out;
rollback:
	if (h->conn)
		PQclear(PQexec(h->conn, "ROLLBACK"));
out:
	free(ident);
	return ret;
}

static int pg_del(struct hostdb *base, bool v6, uint32_t subnet_id, int id_type, const uint8_t *id,
		  size_t id_len, uint32_t addr4, char *err, size_t errlen)
{
	struct hostdb_pg *h = (struct hostdb_pg *)base;
	char sid[16], type[8], a[16], *ident = NULL;
	const char *vals[3];
	PGresult *res = NULL;
	int ret;

	ret = conn_ok(h, err, errlen);
	if (ret)
		return ret;
	snprintf(sid, sizeof(sid), "%" PRIu32, subnet_id);
	vals[0] = sid;
	if (id) {
		ident = bytea_text(id, id_len);
		if (ident == NULL)
			return -ENOMEM;
		snprintf(type, sizeof(type), "%d", id_type);
		vals[1] = type;
		vals[2] = ident;
		/* the options and IPv6 reservations go with it (ON DELETE CASCADE) */
		ret = exec_params(h, v6 ? "DELETE FROM hosts WHERE dhcp6_subnet_id = $1 AND "
				  "dhcp_identifier_type = $2 AND dhcp_identifier = $3" :
				  "DELETE FROM hosts WHERE dhcp4_subnet_id = $1 AND "
				  "dhcp_identifier_type = $2 AND dhcp_identifier = $3",
				  3, vals, &res, err, errlen);
	} else {
		snprintf(a, sizeof(a), "%" PRIu32, addr4);
		vals[1] = a;
		ret = exec_params(h, "DELETE FROM hosts WHERE dhcp4_subnet_id = $1 AND "
				  "ipv4_address = $2", 2, vals, &res, err, errlen);
	}
	free(ident);
	if (ret)
		return ret;
	ret = atoi(PQcmdTuples(res));
	PQclear(res);
	return ret;
}

const struct hostdb_ops hostdb_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.fetch = pg_fetch,
	.add = pg_add,
	.del = pg_del,
};
