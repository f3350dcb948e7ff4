/* load and load6: every lease4 / lease6 row, streamed with one
 * COPY (SELECT ...) TO STDOUT (FORMAT binary): one message per row, no
 * result set held in memory, no text to parse but the v6 address.  The
 * SELECT casts every column to a fixed type, so each field's length is
 * known; a row whose fields do not read (a wrong length, a value out of
 * range, an address that does not parse, a hwaddr or DUID too long) is
 * skipped and counted in bad_lines, never trusted.  Rows of every state
 * are passed on (expired-reclaimed too: the caller decides). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pgsql_int.h"

static const char pg_copy4_sql[] =
	"COPY (SELECT address, hwaddr, client_id, valid_lifetime, "
	"extract(epoch FROM expire)::int8, subnet_id, fqdn_fwd, fqdn_rev, hostname::text, state "
	"FROM lease4) TO STDOUT (FORMAT binary)";
enum { C4_ADDR, C4_HWADDR, C4_CID, C4_VALID, C4_EXPIRE, C4_SUBNET, C4_FWD, C4_REV,
       C4_HOSTNAME, C4_STATE, C4_N };

static const char pg_copy6_sql[] =
	"COPY (SELECT address::text, duid, valid_lifetime, extract(epoch FROM expire)::int8, "
	"subnet_id, pref_lifetime, lease_type::int2, iaid::int4, prefix_len::int2, fqdn_fwd, "
	"fqdn_rev, hostname::text, hwaddr, hwtype::int2, hwaddr_source::int2, state "
	"FROM lease6) TO STDOUT (FORMAT binary)";
enum { C6_ADDR, C6_DUID, C6_VALID, C6_EXPIRE, C6_SUBNET, C6_PREF, C6_TYPE, C6_IAID, C6_PLEN,
       C6_FWD, C6_REV, C6_HOSTNAME, C6_HWADDR, C6_HWTYPE, C6_SOURCE, C6_STATE, C6_N };

#define PG_COPY_MAX_FIELDS 16

/* One field of a row: len -1 is NULL. */
struct pg_field {
	const uint8_t *p;
	int32_t len;
};

static uint32_t pg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t pg_be64(const uint8_t *p)
{
	return (uint64_t)pg_be32(p) << 32 | pg_be32(p + 4);
}

/* Splits one binary COPY row into its fields: the field count, then
 * each field as int32 length (-1 NULL) and bytes.  Returns the field
 * count, 0 for the trailer, -1 for a row that does not hold together. */
static int pg_row_split(const uint8_t *p, size_t len, struct pg_field *f, int max)
{
	size_t off = 2;
	int n, i;

	if (len < 2)
		return -1;
	n = (int16_t)(p[0] << 8 | p[1]);
	if (n == -1)
		return 0;
	if (n <= 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		int32_t fl;

		if (len - off < 4)
			return -1;
		fl = (int32_t)pg_be32(p + off);
		off += 4;
		if (fl < -1 || (fl > 0 && (size_t)fl > len - off))
			return -1;
		f[i].p = p + off;
		f[i].len = fl;
		if (fl > 0)
			off += (size_t)fl;
	}
	return off == len ? n : -1;
}

/* Typed readers: false when the field is NULL or not of the type's size. */
static bool pg_i64(const struct pg_field *f, int64_t *v)
{
	if (f->len != 8)
		return false;
	*v = (int64_t)pg_be64(f->p);
	return true;
}

static bool pg_i32(const struct pg_field *f, int32_t *v)
{
	if (f->len != 4)
		return false;
	*v = (int32_t)pg_be32(f->p);
	return true;
}

static bool pg_i16(const struct pg_field *f, int16_t *v)
{
	if (f->len != 2)
		return false;
	*v = (int16_t)(f->p[0] << 8 | f->p[1]);
	return true;
}

/* A non-NULL bigint within 0..max. */
static bool pg_u32_in(const struct pg_field *f, uint64_t max, uint32_t *v)
{
	int64_t x;

	if (!pg_i64(f, &x) || x < 0 || (uint64_t)x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* A boolean, NULL as false. */
static uint8_t pg_bool(const struct pg_field *f)
{
	return f->len == 1 && f->p[0] != 0;
}

/* bytea into buf (at most max bytes): NULL is empty; false if longer. */
static bool pg_bytes(const struct pg_field *f, uint8_t *buf, size_t max, uint8_t *len)
{
	if (f->len <= 0) {
		*len = 0;
		return true;
	}
	if ((size_t)f->len > max)
		return false;
	memcpy(buf, f->p, (size_t)f->len);
	*len = (uint8_t)f->len;
	return true;
}

/* expire as Kea writes it: seconds since the epoch, at most MAX_DB_TIME. */
static bool pg_expire(const struct pg_field *f, uint32_t *v)
{
	int64_t x;

	if (!pg_i64(f, &x))
		return false;
	*v = x < 0 ? 0 : x > PG_MAX_DB_TIME ? PG_MAX_DB_TIME : (uint32_t)x;
	return true;
}

/* The hostname, cut to 63 bytes (counted). */
static void pg_hostname(struct lease_backend *be, const struct pg_field *f, char *buf,
			uint8_t *len)
{
	size_t n = f->len > 0 ? (size_t)f->len : 0;

	if (n > PG_HOSTNAME_MAX) {
		n = PG_HOSTNAME_MAX;
		PG_STAT_ADD(be, truncated, 1);
	}
	memcpy(buf, f->p, n);
	buf[n] = '\0';
	*len = (uint8_t)n;
}

static bool pg_state(const struct pg_field *f, uint8_t *state)
{
	int64_t x = 0;

	if (f->len != -1 && !pg_i64(f, &x))
		return false;
	if (x < 0 || x > LEASE_STATE_EXPIRED_RECLAIMED)
		return false;
	*state = (uint8_t)x;
	return true;
}

static bool pg_row4(struct lease_backend *be, const struct pg_field *f, struct lease_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (!pg_u32_in(&f[C4_ADDR], UINT32_MAX, &r->addr) ||
	    !pg_bytes(&f[C4_HWADDR], r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len) ||
	    !pg_bytes(&f[C4_CID], r->cid, sizeof(r->cid), &r->cid_len) ||
	    !pg_u32_in(&f[C4_VALID], UINT32_MAX, &r->valid_lft) ||
	    !pg_expire(&f[C4_EXPIRE], &r->expire) ||
	    !pg_u32_in(&f[C4_SUBNET], UINT32_MAX, &r->subnet_id) ||
	    !pg_state(&f[C4_STATE], &r->state))
		return false;
	r->htype = 1;                  /* lease4 has no htype column: Ethernet */
	r->fqdn_fwd = pg_bool(&f[C4_FWD]);
	r->fqdn_rev = pg_bool(&f[C4_REV]);
	pg_hostname(be, &f[C4_HOSTNAME], r->hostname, &r->hostname_len);
	return true;
}

static bool pg_addr6(const struct pg_field *f, struct lease_addr6 *a)
{
	char text[INET6_ADDRSTRLEN];
	uint8_t b[16];

	if (f->len <= 0 || (size_t)f->len >= sizeof(text))
		return false;
	memcpy(text, f->p, (size_t)f->len);
	text[f->len] = '\0';
	if (inet_pton(AF_INET6, text, b) != 1)
		return false;
	*a = lease_addr6_load(b);
	return true;
}

static bool pg_row6(struct lease_backend *be, const struct pg_field *f, struct lease6_rec *r)
{
	int16_t type, plen, hwtype = 1, source = 0;
	int32_t iaid;

	memset(r, 0, sizeof(*r));
	if (!pg_addr6(&f[C6_ADDR], &r->addr) ||
	    !pg_bytes(&f[C6_DUID], r->duid, sizeof(r->duid), &r->duid_len) ||
	    !pg_u32_in(&f[C6_VALID], UINT32_MAX, &r->valid_lft) ||
	    !pg_expire(&f[C6_EXPIRE], &r->expire) ||
	    !pg_u32_in(&f[C6_SUBNET], UINT32_MAX, &r->subnet_id) ||
	    !pg_u32_in(&f[C6_PREF], UINT32_MAX, &r->pref_lft) ||
	    !pg_i16(&f[C6_TYPE], &type) || type < 0 || type > 2 ||
	    !pg_i32(&f[C6_IAID], &iaid) ||
	    !pg_i16(&f[C6_PLEN], &plen) || plen < 0 || plen > 128 ||
	    !pg_state(&f[C6_STATE], &r->state))
		return false;
	r->type = (uint8_t)type;
	r->iaid = (uint32_t)iaid;      /* Kea's signed int holds the 32 bits */
	r->prefix_len = (uint8_t)plen;
	r->fqdn_fwd = pg_bool(&f[C6_FWD]);
	r->fqdn_rev = pg_bool(&f[C6_REV]);
	pg_hostname(be, &f[C6_HOSTNAME], r->hostname, &r->hostname_len);
	/* Kea's empty DUID of a declined lease is the one byte 00 */
	if (r->duid_len == 1 && r->duid[0] == 0 && r->state == LEASE_STATE_DECLINED)
		r->duid_len = 0;
	/* As Kea's lease file reader: a hardware address that does not read
	 * is dropped and the lease kept. */
	if (!pg_bytes(&f[C6_HWADDR], r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len))
		r->hwaddr_len = 0;
	if (r->hwaddr_len) {
		pg_i16(&f[C6_HWTYPE], &hwtype);
		pg_i16(&f[C6_SOURCE], &source);
		r->hwtype = (uint16_t)hwtype;
		r->hwaddr_source = (uint16_t)source;
	}
	return true;
}

/* One family's COPY and the caller's callback (cb4 or cb6). */
struct pg_copy {
	const char *sql;
	int nfields;
	int (*cb4)(const struct lease_rec *r, void *arg);
	int (*cb6)(const struct lease6_rec *r, void *arg);
	void *arg;
};

/* A row to a record, to the callback (its return value stops the load). */
static int pg_copy_row(struct lease_backend *be, const struct pg_field *f, const struct pg_copy *c)
{
	union {
		struct lease_rec r4;
		struct lease6_rec r6;
	} u;

	if (!(c->cb4 ? pg_row4(be, f, &u.r4) : pg_row6(be, f, &u.r6))) {
		PG_STAT_ADD(be, bad_lines, 1);
		return 0;
	}
	PG_STAT_ADD(be, loaded, 1);
	return c->cb4 ? c->cb4(&u.r4, c->arg) : c->cb6(&u.r6, c->arg);
}

/* The binary COPY header: signature, flags, extension area. */
static const uint8_t pg_copy_sig[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0 };

static int pg_copy_header(const uint8_t **p, size_t *len)
{
	uint32_t ext;

	if (*len < 19 || memcmp(*p, pg_copy_sig, sizeof(pg_copy_sig)) != 0)
		return -1;
	ext = pg_be32(*p + 15);
	if (ext > *len - 19)
		return -1;
	*p += 19 + ext;
	*len -= 19 + ext;
	return 0;
}

static int pg_copy_run(struct lease_backend *be, const struct pg_copy *c)
{
	struct pg_field f[PG_COPY_MAX_FIELDS];
	PGresult *res;
	bool header = false;
	int ret = 0, cb_ret = 0, n;
	char *buf;

	if (be->conn == NULL) {
		if (pg_connect(be, be->last_err, sizeof(be->last_err)) != 0)
			return -ENOTCONN;
		PG_STAT_ADD(be, reconnects, 1);
	}
	/* a COPY is a blocking, one-result affair */
	PQsetnonblocking(be->conn, 0);
	if (!PQsendQuery(be->conn, c->sql)) {
		pg_set_err(be, "load", NULL);
		ret = -EIO;
		goto out;
	}
	res = PQgetResult(be->conn);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		pg_set_err(be, "load", res);
		ret = -EIO;
	}
	PQclear(res);
	while (ret == 0 && (n = PQgetCopyData(be->conn, &buf, 0)) > 0) {
		const uint8_t *p = (const uint8_t *)buf;
		size_t len = (size_t)n;
		int nf;

		if (!header) {
			/* the first message starts with the header */
			if (pg_copy_header(&p, &len) != 0) {
				snprintf(be->last_err, sizeof(be->last_err),
					 "postgresql: load: not a binary COPY header");
				ret = -EPROTO;
			}
			header = true;
		}
		if (ret == 0 && len > 0 && cb_ret == 0) {
			nf = pg_row_split(p, len, f, PG_COPY_MAX_FIELDS);
			if (nf < 0 || (nf > 0 && nf != c->nfields))
				PG_STAT_ADD(be, bad_lines, 1);
			else if (nf > 0)
				/* a callback's error stops the records, not the
				 * COPY: the rest is read and dropped */
				cb_ret = pg_copy_row(be, f, c);
		}
		PQfreemem(buf);
	}
	if (ret == 0 && n == -2) {
		pg_set_err(be, "load", NULL);
		ret = -EIO;
	}
	while ((res = PQgetResult(be->conn)) != NULL) {
		if (ret == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_set_err(be, "load", res);
			ret = -EIO;
		}
		PQclear(res);
	}
out:
	if (PQstatus(be->conn) != CONNECTION_OK)
		pg_disconnect(be);
	else
		PQsetnonblocking(be->conn, 1);
	return ret ? ret : cb_ret;
}

int pg_load4(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg)
{
	struct pg_copy c = { .sql = pg_copy4_sql, .nfields = C4_N, .cb4 = cb, .arg = arg };

	if (be == NULL || cb == NULL)
		return -EINVAL;
	return pg_copy_run(be, &c);
}

int pg_load6(struct lease_backend *be, int (*cb)(const struct lease6_rec *r, void *arg), void *arg)
{
	struct pg_copy c = { .sql = pg_copy6_sql, .nfields = C6_N, .cb6 = cb, .arg = arg };

	if (be == NULL || cb == NULL)
		return -EINVAL;
	return pg_copy_run(be, &c);
}
