/* append and sync: records wait in the backend's own pending buffers
 * (one per family) until a transaction commits them; sync sends all of
 * them as ONE transaction in libpq's pipeline mode (BEGIN, at most one
 * upsert and one delete per family, COMMIT, one sync message: one round
 * trip) and empties the buffers only when COMMIT succeeded.  A failed
 * sync keeps everything for the next one.
 *
 * A transaction writes each address once: the pending records are
 * sorted by address and the last one appended wins (the engine keeps an
 * address's changes within a buffer to one client, in order).  The same
 * records given twice (the flusher re-appends a batch whose sync failed)
 * change nothing.  Parameters travel as binary arrays unnested by the
 * server, so nothing is escaped and a batch costs four statements
 * whatever its size.
 *
 * Another server may share the database: the upsert overwrites a row
 * only when it is ours to replace (the same client, or expired, or not
 * in state 0) and RETURNs the addresses it wrote; a live record whose
 * address did not come back was refused, and is reported by the
 * `refused` op once the transaction committed.  The delete has the same
 * guard and never removes another client's live lease. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgsql_int.h"

/* element and array type OIDs (pg_type.dat) */
enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25,
	OID_BOOL_A = 1000, OID_BYTEA_A = 1001, OID_INT2_A = 1005, OID_INT4_A = 1007,
	OID_TEXT_A = 1009, OID_INT8_A = 1016,
};

#define PG_IO_TIMEOUT_MS 30000         /* no progress at all for this long: the connection is dead */
#define PG_COMPACT_MIN 65536u          /* a failed sync with more pending folds them per address */

/* The guard of both statements: the row is ours to replace or remove. */
#define PG_MINE4(t, x) \
	"((octet_length(" t ".hwaddr) > 0 AND " t ".hwaddr = " x ".hwaddr) OR " \
	t ".client_id = " x ".client_id OR " t ".expire <= now() OR " t ".state <> 0)"
#define PG_MINE6(t, x) \
	"((" t ".duid = " x ".duid AND " t ".iaid = " x ".iaid AND " \
	t ".lease_type = " x ".lease_type) OR " t ".expire <= now() OR " t ".state <> 0)"

/* Kea 2.2's INSERT_LEASE4 columns; user_context NULL. */
static const char pg_upsert4_sql[] =
	"INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, "
	"fqdn_fwd, fqdn_rev, hostname, state, user_context) "
	"SELECT address, hwaddr, client_id, valid_lifetime, to_timestamp(expire), subnet_id, "
	"fqdn_fwd, fqdn_rev, hostname, state, NULL "
	"FROM unnest($1::int8[], $2::bytea[], $3::bytea[], $4::int8[], $5::int8[], $6::int8[], "
	"$7::bool[], $8::bool[], $9::text[], $10::int8[]) AS t(address, hwaddr, client_id, "
	"valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state) "
	"ON CONFLICT (address) DO UPDATE SET hwaddr = excluded.hwaddr, "
	"client_id = excluded.client_id, valid_lifetime = excluded.valid_lifetime, "
	"expire = excluded.expire, subnet_id = excluded.subnet_id, fqdn_fwd = excluded.fqdn_fwd, "
	"fqdn_rev = excluded.fqdn_rev, hostname = excluded.hostname, state = excluded.state, "
	"user_context = excluded.user_context "
	"WHERE " PG_MINE4("lease4", "excluded") " RETURNING address";

/* A delete also needs the row not to be newer than the lease it ends: a
 * row another server renewed for the same client (a shared database, a
 * lease loaded at start and renewed there since) is not ours to end. */
static const char pg_delete4_sql[] =
	"DELETE FROM lease4 USING unnest($1::int8[], $2::bytea[], $3::bytea[], $4::int8[]) "
	"AS t(address, hwaddr, client_id, expire) "
	"WHERE lease4.address = t.address AND " PG_MINE4("lease4", "t") " AND "
	"(lease4.expire <= to_timestamp(t.expire) OR lease4.expire <= now() OR lease4.state <> 0)";

/* Kea 2.2's INSERT_LEASE6 columns; user_context NULL. */
static const char pg_upsert6_sql[] =
	"INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, "
	"lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, "
	"hwaddr_source, state, user_context) "
	"SELECT address, duid, valid_lifetime, to_timestamp(expire), subnet_id, pref_lifetime, "
	"lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, "
	"hwaddr_source, state, NULL "
	"FROM unnest($1::text[], $2::bytea[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], "
	"$7::int2[], $8::int4[], $9::int2[], $10::bool[], $11::bool[], $12::text[], "
	"$13::bytea[], $14::int2[], $15::int2[], $16::int8[]) AS t(address, duid, "
	"valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, "
	"fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state) "
	"ON CONFLICT (address) DO UPDATE SET duid = excluded.duid, "
	"valid_lifetime = excluded.valid_lifetime, expire = excluded.expire, "
	"subnet_id = excluded.subnet_id, pref_lifetime = excluded.pref_lifetime, "
	"lease_type = excluded.lease_type, iaid = excluded.iaid, "
	"prefix_len = excluded.prefix_len, fqdn_fwd = excluded.fqdn_fwd, "
	"fqdn_rev = excluded.fqdn_rev, hostname = excluded.hostname, hwaddr = excluded.hwaddr, "
	"hwtype = excluded.hwtype, hwaddr_source = excluded.hwaddr_source, "
	"state = excluded.state, user_context = excluded.user_context "
	"WHERE " PG_MINE6("lease6", "excluded") " RETURNING address";

static const char pg_delete6_sql[] =
	"DELETE FROM lease6 USING unnest($1::text[], $2::bytea[], $3::int4[], $4::int2[], "
	"$5::int8[]) AS t(address, duid, iaid, lease_type, expire) "
	"WHERE lease6.address = t.address AND " PG_MINE6("lease6", "t") " AND "
	"(lease6.expire <= to_timestamp(t.expire) OR lease6.expire <= now() OR lease6.state <> 0)";

static const uint32_t pg_upsert4_types[] = {
	OID_INT8_A, OID_BYTEA_A, OID_BYTEA_A, OID_INT8_A, OID_INT8_A, OID_INT8_A,
	OID_BOOL_A, OID_BOOL_A, OID_TEXT_A, OID_INT8_A,
};
static const uint32_t pg_delete4_types[] = { OID_INT8_A, OID_BYTEA_A, OID_BYTEA_A, OID_INT8_A };
static const uint32_t pg_upsert6_types[] = {
	OID_TEXT_A, OID_BYTEA_A, OID_INT8_A, OID_INT8_A, OID_INT8_A, OID_INT8_A,
	OID_INT2_A, OID_INT4_A, OID_INT2_A, OID_BOOL_A, OID_BOOL_A, OID_TEXT_A,
	OID_BYTEA_A, OID_INT2_A, OID_INT2_A, OID_INT8_A,
};
static const uint32_t pg_delete6_types[] = {
	OID_TEXT_A, OID_BYTEA_A, OID_INT4_A, OID_INT2_A, OID_INT8_A,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *const pg_stmt_sql[PG_NSTMTS] = {
	pg_upsert4_sql, pg_delete4_sql, pg_upsert6_sql, pg_delete6_sql,
};
const int pg_stmt_nparams[PG_NSTMTS] = {
	NELEM(pg_upsert4_types), NELEM(pg_delete4_types),
	NELEM(pg_upsert6_types), NELEM(pg_delete6_types),
};
const uint32_t *const pg_stmt_types[PG_NSTMTS] = {
	pg_upsert4_types, pg_delete4_types, pg_upsert6_types, pg_delete6_types,
};
static const char *const pg_stmt_name[PG_NSTMTS] = { "pg0", "pg1", "pg2", "pg3" };

/* ---- binary array parameters ------------------------------------------ */

static void pg_buf_put(struct pg_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void pg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void pg_arr_start(struct pg_arr *a, uint32_t elem_oid)
{
	static const uint8_t hdr[20];

	a->b.len = 0;
	a->b.oom = false;
	a->elem_oid = elem_oid;
	a->n = 0;
	a->has_null = false;
	pg_buf_put(&a->b, hdr, sizeof(hdr));
}

static void pg_arr_elem(struct pg_arr *a, const void *p, size_t len)
{
	uint8_t l[4];

	pg_put32(l, (uint32_t)len);
	pg_buf_put(&a->b, l, 4);
	pg_buf_put(&a->b, p, len);
	a->n++;
}

static void pg_arr_null(struct pg_arr *a)
{
	static const uint8_t minus1[4] = { 0xff, 0xff, 0xff, 0xff };

	pg_buf_put(&a->b, minus1, 4);
	a->has_null = true;
	a->n++;
}

static void pg_arr_i64(struct pg_arr *a, int64_t v)
{
	uint8_t b[8];

	pg_put32(b, (uint32_t)((uint64_t)v >> 32));
	pg_put32(b + 4, (uint32_t)v);
	pg_arr_elem(a, b, 8);
}

static void pg_arr_i32(struct pg_arr *a, int32_t v)
{
	uint8_t b[4];

	pg_put32(b, (uint32_t)v);
	pg_arr_elem(a, b, 4);
}

static void pg_arr_i16(struct pg_arr *a, int16_t v)
{
	uint8_t b[2] = { (uint8_t)((uint16_t)v >> 8), (uint8_t)v };

	pg_arr_elem(a, b, 2);
}

static void pg_arr_bool(struct pg_arr *a, uint8_t v)
{
	uint8_t b = v != 0;

	pg_arr_elem(a, &b, 1);
}

/* A hostname as text the database accepts whatever the client sent: it
 * stops at a NUL and anything but printable ASCII becomes '?' (a byte
 * sequence that is not UTF-8 would fail the whole transaction, every
 * retry of it). */
static void pg_arr_hostname(struct pg_arr *a, const char *name, unsigned len)
{
	char buf[64];
	unsigned i;

	if (len > sizeof(buf))
		len = sizeof(buf);
	for (i = 0; i < len && name[i] != '\0'; i++)
		buf[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	pg_arr_elem(a, buf, i);
}

/* Fills in the header: one dimension of n elements, lower bound 1. */
static void pg_arr_finish(struct pg_arr *a)
{
	if (a->b.oom || a->b.len < 20)
		return;
	pg_put32(a->b.p, 1);
	pg_put32(a->b.p + 4, a->has_null);
	pg_put32(a->b.p + 8, a->elem_oid);
	pg_put32(a->b.p + 12, a->n);
	pg_put32(a->b.p + 16, 1);
}

/* ---- pending records ---------------------------------------------------- */

static void *pg_rec(const struct pg_pending *p, unsigned i)
{
	return (char *)p->recs + (size_t)i * p->size;
}

/* Copies n records to the family's buffer.  A chunk equal to the last
 * one appended (the flusher's re-append of a batch whose sync failed)
 * folds into it: the last record per address would be the same. */
static int pg_append_to(struct lease_backend *be, struct pg_pending *p, const void *recs, unsigned n)
{
	if (be == NULL || (recs == NULL && n))
		return -EINVAL;
	PG_STAT_ADD(be, appended, n);
	if (n == 0)
		return 0;
	if (n == p->tail_n && p->tail_at + n == p->n &&
	    memcmp(pg_rec(p, p->tail_at), recs, (size_t)n * p->size) == 0)
		return 0;
	if (p->n + n > p->cap) {
		unsigned cap = p->cap ? p->cap : 1024;
		void *q;

		while (cap < p->n + n)
			cap *= 2;
		q = realloc(p->recs, (size_t)cap * p->size);
		if (q == NULL)
			return -ENOMEM;
		p->recs = q;
		p->cap = cap;
	}
	memcpy(pg_rec(p, p->n), recs, (size_t)n * p->size);
	p->tail_at = p->n;
	p->tail_n = n;
	p->n += n;
	return 0;
}

int pg_append4(struct lease_backend *be, const struct lease_rec *recs, unsigned n)
{
	return be == NULL ? -EINVAL : pg_append_to(be, &be->pend[0], recs, n);
}

int pg_append6(struct lease_backend *be, const struct lease6_rec *recs, unsigned n)
{
	return be == NULL ? -EINVAL : pg_append_to(be, &be->pend[1], recs, n);
}

/* ---- the plan: records by address ------------------------------------- */

static struct lease_addr6 pg_key4(const struct lease_rec *r)
{
	return (struct lease_addr6){ 0, r->addr };
}

/* The address the row is keyed by: a prefix is its first address. */
static struct lease_addr6 pg_key6(const struct lease6_rec *r)
{
	return r->type == LEASE6_TYPE_PD ? lease_addr6_mask(r->addr, r->prefix_len) : r->addr;
}

static int pg_slot_cmp(const void *a, const void *b)
{
	const struct pg_slot *x = a, *y = b;
	int c = lease_addr6_cmp(x->key, y->key);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorts the family's pending records by (address, append order). */
static int pg_plan(struct lease_backend *be, int fam)
{
	const struct pg_pending *p = &be->pend[fam];
	unsigned i;

	if (p->n > be->slots_cap[fam]) {
		struct pg_slot *s = realloc(be->slots[fam], p->n * sizeof(*s));
		uint8_t *r;

		if (s == NULL)
			return -ENOMEM;
		be->slots[fam] = s;
		r = realloc(be->returned[fam], p->n);
		if (r == NULL)
			return -ENOMEM;
		be->returned[fam] = r;
		be->slots_cap[fam] = p->n;
	}
	for (i = 0; i < p->n; i++) {
		be->slots[fam][i].key = fam ? pg_key6(pg_rec(p, i)) : pg_key4(pg_rec(p, i));
		be->slots[fam][i].pos = i;
	}
	qsort(be->slots[fam], p->n, sizeof(struct pg_slot), pg_slot_cmp);
	return 0;
}

static uint32_t pg_valid(const struct lease_backend *be, int fam, unsigned pos)
{
	const void *r = pg_rec(&be->pend[fam], pos);

	return fam ? ((const struct lease6_rec *)r)->valid_lft : ((const struct lease_rec *)r)->valid_lft;
}

/* Whether slot i is the last (the winner) of its address's run. */
static bool pg_winner(const struct lease_backend *be, int fam, unsigned i)
{
	const struct pg_slot *s = be->slots[fam];

	return i + 1 == be->pend[fam].n || !lease_addr6_eq(s[i].key, s[i + 1].key);
}

/* ---- the statements' parameters --------------------------------------- */

static uint32_t pg_expire_db(uint32_t expire)
{
	return expire > PG_MAX_DB_TIME ? PG_MAX_DB_TIME : expire;
}

static void pg_cid(struct pg_arr *a, const struct lease_rec *r)
{
	if (r->cid_len)
		pg_arr_elem(a, r->cid, r->cid_len);
	else
		pg_arr_null(a);
}

static void pg_params4(struct lease_backend *be, const struct lease_rec *r, bool live)
{
	struct pg_arr *a = be->arr;

	pg_arr_i64(&a[0], r->addr);
	pg_arr_elem(&a[1], r->hwaddr, r->hwaddr_len < 16 ? r->hwaddr_len : 16);
	pg_cid(&a[2], r);
	if (!live) {
		pg_arr_i64(&a[3], pg_expire_db(r->expire));
		return;
	}
	pg_arr_i64(&a[3], r->valid_lft);
	pg_arr_i64(&a[4], pg_expire_db(r->expire));
	pg_arr_i64(&a[5], r->subnet_id);
	pg_arr_bool(&a[6], r->fqdn_fwd);
	pg_arr_bool(&a[7], r->fqdn_rev);
	pg_arr_hostname(&a[8], r->hostname, r->hostname_len);
	pg_arr_i64(&a[9], r->state);
}

static void pg_addr6_text(struct lease_addr6 key, char *text)
{
	uint8_t b[16];

	lease_addr6_store(key, b);
	inet_ntop(AF_INET6, b, text, INET6_ADDRSTRLEN);
}

static void pg_duid(struct pg_arr *a, const struct lease6_rec *r)
{
	static const uint8_t kea_empty_duid = 0;

	if (r->duid_len)
		pg_arr_elem(a, r->duid, r->duid_len < LEASE_DUID_MAX ? r->duid_len : LEASE_DUID_MAX);
	else
		pg_arr_elem(a, &kea_empty_duid, 1);
}

static void pg_params6(struct lease_backend *be, const struct lease6_rec *r, bool live)
{
	struct pg_arr *a = be->arr;
	char text[INET6_ADDRSTRLEN];

	pg_addr6_text(pg_key6(r), text);
	pg_arr_elem(&a[0], text, strlen(text));
	pg_duid(&a[1], r);
	if (!live) {
		pg_arr_i32(&a[2], (int32_t)r->iaid);
		pg_arr_i16(&a[3], r->type);
		pg_arr_i64(&a[4], pg_expire_db(r->expire));
		return;
	}
	pg_arr_i64(&a[2], r->valid_lft);
	pg_arr_i64(&a[3], pg_expire_db(r->expire));
	pg_arr_i64(&a[4], r->subnet_id);
	pg_arr_i64(&a[5], r->pref_lft);
	pg_arr_i16(&a[6], r->type);
	pg_arr_i32(&a[7], (int32_t)r->iaid);   /* Kea's signed int: the same 32 bits */
	pg_arr_i16(&a[8], r->prefix_len);
	pg_arr_bool(&a[9], r->fqdn_fwd);
	pg_arr_bool(&a[10], r->fqdn_rev);
	pg_arr_hostname(&a[11], r->hostname, r->hostname_len);
	if (r->hwaddr_len)
		pg_arr_elem(&a[12], r->hwaddr,
			    r->hwaddr_len < LEASE6_HWADDR_MAX ? r->hwaddr_len : LEASE6_HWADDR_MAX);
	else
		pg_arr_null(&a[12]);
	pg_arr_i16(&a[13], (int16_t)r->hwtype);
	pg_arr_i16(&a[14], (int16_t)r->hwaddr_source);
	pg_arr_i64(&a[15], r->state);
}

static uint32_t pg_elem_oid(uint32_t array_oid)
{
	switch (array_oid) {
	case OID_INT8_A: return OID_INT8;
	case OID_BYTEA_A: return OID_BYTEA;
	case OID_TEXT_A: return OID_TEXT;
	case OID_BOOL_A: return OID_BOOL;
	case OID_INT2_A: return OID_INT2;
	default: return OID_INT4;
	}
}

/* Sends statement st over the family's winners that are live (upsert)
 * or removals (delete).  Returns 1 if sent, 0 if it had no rows, -errno. */
static int pg_send_stmt(struct lease_backend *be, int fam, enum pg_stmt st, bool live)
{
	const char *vals[16];
	int lens[16], fmts[16];
	int np = pg_stmt_nparams[st], i;
	unsigned k, rows = 0;

	for (i = 0; i < np; i++)
		pg_arr_start(&be->arr[i], pg_elem_oid(pg_stmt_types[st][i]));
	for (k = 0; k < be->pend[fam].n; k++) {
		unsigned pos = be->slots[fam][k].pos;

		if (!pg_winner(be, fam, k) || (pg_valid(be, fam, pos) != 0) != live)
			continue;
		if (fam)
			pg_params6(be, pg_rec(&be->pend[1], pos), live);
		else
			pg_params4(be, pg_rec(&be->pend[0], pos), live);
		rows++;
	}
	if (rows == 0)
		return 0;
	for (i = 0; i < np; i++) {
		pg_arr_finish(&be->arr[i]);
		if (be->arr[i].b.oom)
			return -ENOMEM;
		vals[i] = (const char *)be->arr[i].b.p;
		lens[i] = (int)be->arr[i].b.len;
		fmts[i] = 1;
	}
	if (!PQsendQueryPrepared(be->conn, pg_stmt_name[st], np, vals, lens, fmts, 1)) {
		pg_set_err(be, "sending a statement", NULL);
		return -EIO;
	}
	return 1;
}

/* ---- talking to the server without blocking forever ------------------- */

static uint64_t pg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Waits until the socket is readable (or writable, with `out`); reads
 * what came in.  0, or -ETIMEDOUT / -ECONNRESET: the connection is
 * unusable. */
static int pg_wait(struct lease_backend *be, bool out)
{
	struct pollfd pfd = { .fd = PQsocket(be->conn), .events = POLLIN | (out ? POLLOUT : 0) };
	int r;

	if (pfd.fd < 0)
		return -ECONNRESET;
	do
		r = poll(&pfd, 1, PG_IO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		snprintf(be->last_err, sizeof(be->last_err), "postgresql: no answer for %d s",
			 PG_IO_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	if (r < 0 || ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !PQconsumeInput(be->conn))) {
		pg_set_err(be, "reading", NULL);
		return -ECONNRESET;
	}
	return 0;
}

/* Sends everything libpq holds, reading meanwhile (the server may be
 * answering the first statements while we still send the last). */
static int pg_flush(struct lease_backend *be)
{
	int r, ret;

	while ((r = PQflush(be->conn)) == 1)
		if ((ret = pg_wait(be, true)) != 0)
			return ret;
	if (r < 0) {
		pg_set_err(be, "sending", NULL);
		return -ECONNRESET;
	}
	return 0;
}

/* The next result (NULL between statements), waiting for it. */
static int pg_result(struct lease_backend *be, PGresult **res)
{
	int ret;

	while (PQisBusy(be->conn))
		if ((ret = pg_wait(be, false)) != 0)
			return ret;
	*res = PQgetResult(be->conn);
	return 0;
}

/* ---- one transaction -------------------------------------------------- */

/* What the transaction sends, in order. */
struct pg_step {
	int fam;
	enum pg_stmt st;               /* PG_NSTMTS: BEGIN or COMMIT */
	bool commit;
};

/* Marks the winners whose address the upsert returned. */
static void pg_mark_returned(struct lease_backend *be, int fam, const PGresult *res)
{
	const struct pg_slot *s = be->slots[fam];
	int rows = PQntuples(res), i;

	for (i = 0; i < rows; i++) {
		const uint8_t *v = (const uint8_t *)PQgetvalue(res, i, 0);
		int len = PQgetlength(res, i, 0);
		struct lease_addr6 key = { 0, 0 };
		unsigned lo = 0, hi = be->pend[fam].n;

		if (fam == 0 && len == 8) {
			for (int j = 0; j < 8; j++)
				key.lo = key.lo << 8 | v[j];
		} else if (fam == 1 && len > 0 && len < INET6_ADDRSTRLEN) {
			char text[INET6_ADDRSTRLEN];
			uint8_t b[16];

			memcpy(text, v, (size_t)len);
			text[len] = '\0';
			if (inet_pton(AF_INET6, text, b) != 1)
				continue;
			key = lease_addr6_load(b);
		} else {
			continue;
		}
		/* the first slot past the address: its run's winner is before */
		while (lo < hi) {
			unsigned mid = lo + (hi - lo) / 2;

			if (lease_addr6_cmp(s[mid].key, key) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && lease_addr6_eq(s[lo - 1].key, key))
			be->returned[fam][lo - 1] = 1;
	}
}

/* Reads one step's results.  0 when it did what it should; -EIO when it
 * failed (the first failure sets be->last_err and sqlstate); -ETIMEDOUT
 * or -ECONNRESET when the connection is gone. */
static int pg_read_step(struct lease_backend *be, const struct pg_step *sp, char *sqlstate)
{
	PGresult *res;
	int ret, bad = 0, n = 0;

	for (;;) {
		ExecStatusType es;

		if ((ret = pg_result(be, &res)) != 0)
			return ret;
		if (res == NULL)
			break;
		es = PQresultStatus(res);
		n++;
		if (sp->st != PG_NSTMTS && (sp->st == PG_UPSERT4 || sp->st == PG_UPSERT6) &&
		    es == PGRES_TUPLES_OK)
			pg_mark_returned(be, sp->fam, res);
		else if (es == PGRES_COMMAND_OK && (!sp->commit || strcmp(PQcmdStatus(res), "COMMIT") == 0))
			;
		else if (!bad) {
			const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			bad = -EIO;
			if (es != PGRES_PIPELINE_ABORTED && sqlstate[0] == '\0') {
				snprintf(sqlstate, 6, "%s", s ? s : "");
				pg_set_err(be, sp->commit ? "commit" : "writing leases", res);
			}
		}
		PQclear(res);
		if (PQstatus(be->conn) != CONNECTION_OK)
			return -ECONNRESET;
	}
	return n ? bad : -ECONNRESET;
}

/* BEGIN; the statements; COMMIT; one sync.  0 only when COMMIT succeeded.
 * On failure the connection is left usable (rolled back) or closed. */
static int pg_txn(struct lease_backend *be, char *sqlstate)
{
	struct pg_step steps[PG_NSTMTS + 2];
	unsigned ns = 0, i;
	PGresult *res = NULL;
	bool dead;
	int ret = 0, r;

	sqlstate[0] = '\0';
	for (int fam = 0; fam < 2; fam++)
		memset(be->returned[fam], 0, be->pend[fam].n);
	if (!PQenterPipelineMode(be->conn)) {
		pg_set_err(be, "pipeline mode", NULL);
		pg_disconnect(be);      /* a connection that is not idle: start afresh */
		return -EIO;
	}
	steps[ns++] = (struct pg_step){ 0, PG_NSTMTS, false };
	if (!PQsendQueryParams(be->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
		ret = -EIO;
	for (int fam = 0; fam < 2 && ret == 0; fam++) {
		for (int del = 0; del < 2 && ret == 0; del++) {
			enum pg_stmt st = fam ? (del ? PG_DELETE6 : PG_UPSERT6) : (del ? PG_DELETE4 : PG_UPSERT4);

			r = pg_send_stmt(be, fam, st, !del);
			if (r < 0)
				ret = r;
			else if (r)
				steps[ns++] = (struct pg_step){ fam, st, false };
		}
	}
	steps[ns++] = (struct pg_step){ 0, PG_NSTMTS, true };
	if (ret == 0 && (!PQsendQueryParams(be->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
			 !PQpipelineSync(be->conn)))
		ret = -EIO;
	if (ret) {
		/* a half-sent pipeline cannot be finished: start over on a
		 * new connection */
		if (ret != -ENOMEM)
			pg_set_err(be, "sending", NULL);
		pg_disconnect(be);
		return ret;
	}
	ret = pg_flush(be);
	dead = ret != 0;
	for (i = 0; i < ns && !dead; i++) {
		r = pg_read_step(be, &steps[i], sqlstate);
		if (r == -ETIMEDOUT || r == -ECONNRESET) {
			dead = true;
			ret = r;
		} else if (r && ret == 0) {
			ret = r;
		}
	}
	if (!dead && pg_result(be, &res) == 0 && res &&
	    PQresultStatus(res) == PGRES_PIPELINE_SYNC && PQexitPipelineMode(be->conn)) {
		PQclear(res);
		if (PQtransactionStatus(be->conn) != PQTRANS_IDLE) {
			res = PQexec(be->conn, "ROLLBACK");
			PQclear(res);
		}
		if (PQstatus(be->conn) == CONNECTION_OK && PQtransactionStatus(be->conn) == PQTRANS_IDLE)
			return ret;
	} else {
		PQclear(res);
	}
	/* the connection is in a state we cannot trust: drop it */
	if (ret == 0) {
		pg_set_err(be, "ending the transaction", NULL);
		ret = -EIO;
	}
	pg_disconnect(be);
	return ret;
}

/* ---- sync -------------------------------------------------------------- */

/* Keeps a refusal for the `refused` op.  A caller that never asks would
 * let them grow without end: past LEASE_REFUSALS_MAX the newest are only
 * counted. */
static int pg_refusal_add(struct lease_backend *be, const struct lease_refusal *x)
{
	struct lease_refusal *q;

	PG_STAT_ADD(be, refused, 1);
	q = lease_refusals_push(&be->ref);
	if (q == NULL)
		return -ENOSPC;
	*q = *x;
	return 0;
}

/* After COMMIT: every live record of an address whose winner the upsert
 * did not return was refused (the records it superseded in this
 * transaction too: none of them reached the database). */
static void pg_collect_refusals(struct lease_backend *be, int fam)
{
	const struct pg_slot *s = be->slots[fam];
	unsigned n = be->pend[fam].n, start = 0, k;

	for (k = 0; k < n; k++) {
		unsigned j;

		if (!pg_winner(be, fam, k))
			continue;
		if (pg_valid(be, fam, s[k].pos) != 0 && !be->returned[fam][k]) {
			for (j = start; j <= k; j++) {
				const void *r = pg_rec(&be->pend[fam], s[j].pos);
				struct lease_refusal x = { .family = fam ? 6 : 4 };

				if (pg_valid(be, fam, s[j].pos) == 0)
					continue;
				if (fam) {
					x.seq = ((const struct lease6_rec *)r)->seq;
					x.addr6 = ((const struct lease6_rec *)r)->addr;
				} else {
					x.seq = ((const struct lease_rec *)r)->seq;
					x.addr = ((const struct lease_rec *)r)->addr;
				}
				pg_refusal_add(be, &x);
			}
		}
		start = k + 1;
	}
}

/* A long outage: keep only each address's last record (the plan is
 * sorted), in append order. */
static void pg_fold(struct lease_backend *be, int fam)
{
	struct pg_pending *p = &be->pend[fam];
	unsigned k, n = 0;

	memset(be->returned[fam], 0, p->n);
	for (k = 0; k < p->n; k++)
		if (pg_winner(be, fam, k))
			be->returned[fam][be->slots[fam][k].pos] = 1;
	for (k = 0; k < p->n; k++)
		if (be->returned[fam][k]) {
			if (n != k)
				memcpy(pg_rec(p, n), pg_rec(p, k), p->size);
			n++;
		}
	p->n = n;
	p->tail_n = 0;
}

/* Whether a failure is worth one more try at once: the connection was
 * lost (a new one may work) or the server asks for a retry (a deadlock
 * or serialization failure with another writer, the stat triggers'
 * insert race). */
static bool pg_retryable(const struct lease_backend *be, const char *sqlstate)
{
	return be->conn == NULL || strncmp(sqlstate, "40", 2) == 0 || strcmp(sqlstate, "23505") == 0;
}

static int pg_reconnect(struct lease_backend *be)
{
	uint64_t now = pg_now_ns();
	char err[PG_ERR_MAX];
	int ret;

	if (now < be->next_connect_ns)
		return -ENOTCONN;
	ret = pg_connect(be, err, sizeof(err));
	if (ret) {
		be->next_connect_ns = now + (uint64_t)be->db.reconnect_wait_time * 1000000u;
		return -ENOTCONN;
	}
	PG_STAT_ADD(be, reconnects, 1);
	return 0;
}

/* The flusher's question while the store is away: does it answer again?
 * A connection that looks up is asked (SELECT 1: a server that went away
 * shows only when used); a bad one is replaced. */
int pg_ping(struct lease_backend *be)
{
	PGresult *res;
	bool ok;

	if (be == NULL)
		return -EINVAL;
	if (be->conn && (PQstatus(be->conn) != CONNECTION_OK ||
			 PQpipelineStatus(be->conn) != PQ_PIPELINE_OFF))
		pg_disconnect(be);
	if (be->conn == NULL) {
		be->next_connect_ns = 0;      /* the flusher paces the tries */
		return pg_reconnect(be);
	}
	res = PQexec(be->conn, "SELECT 1");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (ok)
		return 0;
	pg_disconnect(be);
	be->next_connect_ns = 0;
	return pg_reconnect(be);
}

/* What was appended since the last commit went to the outage journal:
 * forget it (and any refusal detail that depended on it). */
void pg_discard(struct lease_backend *be)
{
	if (be == NULL)
		return;
	for (int fam = 0; fam < 2; fam++) {
		be->pend[fam].n = 0;
		be->pend[fam].tail_at = 0;
		be->pend[fam].tail_n = 0;
	}
}

int pg_sync(struct lease_backend *be)
{
	char sqlstate[6] = "";
	int ret = 0, fam, attempt;

	if (be == NULL)
		return -EINVAL;
	if (be->pend[0].n == 0 && be->pend[1].n == 0) {
		PG_STAT_ADD(be, syncs, 1);
		return 0;
	}
	for (fam = 0; fam < 2; fam++)
		if ((ret = pg_plan(be, fam)) != 0)
			return ret;
	if (be->conn && PQstatus(be->conn) != CONNECTION_OK)
		pg_disconnect(be);
	for (attempt = 0; attempt < 2; attempt++) {
		if (be->conn == NULL && (ret = pg_reconnect(be)) != 0)
			break;
		ret = pg_txn(be, sqlstate);
		if (ret == 0 || !pg_retryable(be, sqlstate))
			break;
	}
	if (ret) {
		for (fam = 0; fam < 2; fam++)
			if (be->pend[fam].n >= PG_COMPACT_MIN)
				pg_fold(be, fam);
		return ret;
	}
	for (fam = 0; fam < 2; fam++) {
		pg_collect_refusals(be, fam);
		be->pend[fam].n = 0;
		be->pend[fam].tail_n = 0;
	}
	PG_STAT_ADD(be, commits, 1);
	PG_STAT_ADD(be, syncs, 1);
	return 0;
}

void pg_sync_free(struct lease_backend *be)
{
	for (int fam = 0; fam < 2; fam++) {
		free(be->pend[fam].recs);
		free(be->slots[fam]);
		free(be->returned[fam]);
	}
	for (size_t i = 0; i < NELEM(be->arr); i++)
		free(be->arr[i].b.p);
}
