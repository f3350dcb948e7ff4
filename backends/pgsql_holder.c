/* postgresql: who holds a refused address.  After a transaction committed
 * with refusals (another server's client has a live lease on an address
 * this server claimed), the rows of those addresses are read back, so the
 * worker can keep the address for the other client until that lease ends
 * (LEASE_F_FOREIGN) instead of handing it out again and again.  Rare (one
 * query per refused batch), so plain text-mode queries. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"


/* A bytea in hex output ("\x0a0b..."): its bytes into out (at most max),
 * the count, or -1 when it does not read or does not fit. */
static int bytea_of(const char *s, uint8_t *out, unsigned max)
{
	if (s[0] != '\\' || s[1] != 'x')
		return -1;
	return lease_unhex(s + 2, strlen(s + 2), out, max);
}

static int u32_of(const char *s, uint32_t *v)
{
	char *end;
	long long x = strtoll(s, &end, 10);

	if (end == s || *end)
		return -1;
	*v = (uint32_t)x;          /* iaid: Kea's signed int, the same 32 bits */
	return 0;
}

static void hostname_of(const char *s, char *out, uint8_t *len)
{
	size_t n = strlen(s);

	if (n > PG_HOSTNAME_MAX)
		n = PG_HOSTNAME_MAX;
	memcpy(out, s, n);
	out[n] = '\0';
	*len = (uint8_t)n;
}

static struct lease_refusal *find4(struct lease_refusal *r, unsigned n, uint32_t addr)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].family == 4 && r[i].addr == addr)
			return &r[i];
	return NULL;
}

static struct lease_refusal *find6(struct lease_refusal *r, unsigned n, struct lease_addr6 a)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].family == 6 && lease_addr6_eq(r[i].addr6, a))
			return &r[i];
	return NULL;
}

static void rows4(struct lease_refusal *r, unsigned n, const PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct lease_refusal *x;
		struct lease_rec *h;
		uint32_t addr, v;
		int k;

		if (u32_of(PQgetvalue(res, i, 0), &addr) || !(x = find4(r, n, addr)))
			continue;
		h = &x->holder.v4;
		memset(h, 0, sizeof(*h));
		h->addr = addr;
		h->htype = 1;
		k = PQgetisnull(res, i, 1) ? 0 : bytea_of(PQgetvalue(res, i, 1), h->hwaddr, 16);
		if (k < 0)
			continue;
		h->hwaddr_len = (uint8_t)k;
		k = PQgetisnull(res, i, 2) ? 0 : bytea_of(PQgetvalue(res, i, 2), h->cid, sizeof(h->cid));
		if (k < 0)
			continue;
		h->cid_len = (uint8_t)k;
		if (u32_of(PQgetvalue(res, i, 3), &h->valid_lft) ||
		    u32_of(PQgetvalue(res, i, 4), &h->expire) ||
		    u32_of(PQgetvalue(res, i, 5), &h->subnet_id) || u32_of(PQgetvalue(res, i, 6), &v))
			continue;
		h->state = (uint8_t)v;
		hostname_of(PQgetvalue(res, i, 7), h->hostname, &h->hostname_len);
		x->has_holder = 1;
	}
}

static void rows6(struct lease_refusal *r, unsigned n, const PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct lease_refusal *x;
		struct lease6_rec *h;
		uint8_t b[16];
		uint32_t v;
		int k;

		if (inet_pton(AF_INET6, PQgetvalue(res, i, 0), b) != 1 ||
		    !(x = find6(r, n, lease_addr6_load(b))))
			continue;
		h = &x->holder.v6;
		memset(h, 0, sizeof(*h));
		h->addr = x->addr6;
		k = PQgetisnull(res, i, 1) ? 0 : bytea_of(PQgetvalue(res, i, 1), h->duid, LEASE_DUID_MAX);
		if (k < 0)
			continue;
		h->duid_len = (uint8_t)k;
		if (u32_of(PQgetvalue(res, i, 2), &h->valid_lft) ||
		    u32_of(PQgetvalue(res, i, 3), &h->expire) ||
		    u32_of(PQgetvalue(res, i, 4), &h->subnet_id) ||
		    u32_of(PQgetvalue(res, i, 5), &h->pref_lft) || u32_of(PQgetvalue(res, i, 6), &v))
			continue;
		h->type = (uint8_t)v;
		if (u32_of(PQgetvalue(res, i, 7), &h->iaid) || u32_of(PQgetvalue(res, i, 8), &v))
			continue;
		h->prefix_len = (uint8_t)v;
		if (u32_of(PQgetvalue(res, i, 9), &v))
			continue;
		h->state = (uint8_t)v;
		hostname_of(PQgetvalue(res, i, 10), h->hostname, &h->hostname_len);
		x->has_holder = 1;
	}
}

/* Appends one address to a text array literal ("{a,b,...}"). */
static int lit_add(char **lit, size_t *len, size_t *cap, const char *a)
{
	size_t need = strlen(a) + 3;

	if (*len + need > *cap) {
		size_t c = (*cap + need) * 2;
		char *p = realloc(*lit, c);

		if (p == NULL)
			return -ENOMEM;
		*lit = p;
		*cap = c;
	}
	*len += (size_t)sprintf(*lit + *len, "%s%s", *len > 1 ? "," : "", a);
	return 0;
}

static void query(struct lease_backend *be, struct lease_refusal *r, unsigned n, int fam)
{
	static const char q4[] =
		"SELECT address, hwaddr, client_id, valid_lifetime, "
		"extract(epoch from expire)::bigint, subnet_id, state, hostname "
		"FROM lease4 WHERE address = ANY($1::int8[])";
	static const char q6[] =
		"SELECT address, duid, valid_lifetime, extract(epoch from expire)::bigint, "
		"subnet_id, pref_lifetime, lease_type, iaid, prefix_len, state, hostname "
		"FROM lease6 WHERE address = ANY($1::text[])";
	size_t len = 1, cap = 256;
	char *lit = malloc(cap), a[INET6_ADDRSTRLEN];
	const char *param[1];
	PGresult *res;
	unsigned k = 0;

	if (lit == NULL)
		return;
	lit[0] = '{';
	lit[1] = '\0';
	for (unsigned i = 0; i < n; i++) {
		if (r[i].family != fam)
			continue;
		if (fam == 4) {
			snprintf(a, sizeof(a), "%u", r[i].addr);
		} else {
			uint8_t b[16];

			lease_addr6_store(r[i].addr6, b);
			inet_ntop(AF_INET6, b, a, sizeof(a));
		}
		if (lit_add(&lit, &len, &cap, a))
			goto out;
		k++;
	}
	if (k == 0)
		goto out;
	lit[len++] = '}';          /* lit_add always leaves room for 3 more */
	lit[len] = '\0';
	param[0] = lit;
	res = PQexecParams(be->conn, fam == 4 ? q4 : q6, 1, NULL, param, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		(fam == 4 ? rows4 : rows6)(r, n, res);
	PQclear(res);
out:
	free(lit);
}

void pg_fill_holders(struct lease_backend *be, struct lease_refusal *r, unsigned n)
{
	if (be->conn == NULL || PQstatus(be->conn) != CONNECTION_OK ||
	    PQpipelineStatus(be->conn) != PQ_PIPELINE_OFF)
		return;
	query(be, r, n, 4);
	query(be, r, n, 6);
}
