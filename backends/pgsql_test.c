/* The "postgresql" lease backend against a real PostgreSQL 15 with Kea
 * 2.2's schema, started once by pgsql_test.sh (scripts/pgtest.sh), which
 * passes the connection in PGT_HOST, PGT_PORT, PGT_USER, PGT_PASS,
 * PGT_DB and PGT_DB_EMPTY (a database without Kea's tables).  The rows
 * are checked with the SQL Kea itself uses to read them, on a second
 * connection of our own.
 *
 * `pgsql_test --bench` measures append+sync throughput instead (numbers
 * for BENCHMARKS.md; nothing asserted). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "lease_backend.h"
#include "lease_log.h"
#include "wb.h"

static const struct lease_backend_ops *pg;
static PGconn *sql;                    /* the test's own connection */
static uint32_t now_s;

/* ---- helpers ------------------------------------------------------------ */

static const char *env(const char *k)
{
	const char *v = getenv(k);

	return v ? v : "";
}

static void db_conf(struct conf_lease_db *db, const char *dbname)
{
	memset(db, 0, sizeof(*db));
	db->type = CONF_DB_POSTGRESQL;
	db->durability = CONF_DUR_COMMIT;
	db->connect_timeout = 5;
	snprintf(db->name, sizeof(db->name), "%s", dbname);
	snprintf(db->host, sizeof(db->host), "%s", env("PGT_HOST"));
	snprintf(db->port, sizeof(db->port), "%s", env("PGT_PORT"));
	snprintf(db->user, sizeof(db->user), "%s", env("PGT_USER"));
	snprintf(db->password, sizeof(db->password), "%s", env("PGT_PASS"));
}

static struct lease_backend *open_db(const char *dbname, char *err, size_t errlen)
{
	struct conf_lease_db db;

	db_conf(&db, dbname);
	err[0] = '\0';
	return pg->open(&db, err, errlen);
}

static struct lease_backend *open_pg(void)
{
	char err[512];
	struct lease_backend *be = open_db(env("PGT_DB"), err, sizeof(err));

	if (be == NULL)
		fprintf(stderr, "open: %s\n", err);
	return be;
}

/* Runs one statement on the test's connection; 0 if it worked. */
static int run(const char *q)
{
	PGresult *r = PQexec(sql, q);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", q, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* The first row of a query as text, fields joined by '|' ("" if none,
 * NULL fields as "NULL"). */
static const char *row1(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *row1(const char *fmt, ...)
{
	static char out[4096];
	char q[2048];
	va_list ap;
	PGresult *r;
	size_t n = 0;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	r = PQexec(sql, q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "%s: %s", q, PQresultErrorMessage(r));
	else if (PQntuples(r) > 0)
		for (int c = 0; c < PQnfields(r); c++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", c ? "|" : "",
					      PQgetisnull(r, 0, c) ? "NULL" : PQgetvalue(r, 0, c));
	PQclear(r);
	return out;
}

static long count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long count(const char *fmt, ...)
{
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return atol(row1("%s", q));
}

#define EXPECT_ROW(want, ...) do { \
		const char *got_ = row1(__VA_ARGS__); \
		if (strcmp(got_, (want)) != 0) \
			fprintf(stderr, "line %d: got '%s'\n         want '%s'\n", __LINE__, got_, (want)); \
		CU_ASSERT_STRING_EQUAL(got_, (want)); \
	} while (0)

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

static struct lease_addr6 ip6(const char *text)
{
	uint8_t b[16];

	inet_pton(AF_INET6, text, b);
	return lease_addr6_load(b);
}

/* A v4 lease of client `id` (hwaddr 02:00:00:00:id; client-id 01+hwaddr). */
static void v4(struct lease_rec *r, uint32_t addr, unsigned id, uint32_t valid, uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->addr = addr;
	r->subnet_id = 5;
	r->valid_lft = valid;
	r->expire = now_s + valid;
	r->htype = 1;
	r->hwaddr_len = 6;
	r->hwaddr[0] = 2;
	r->hwaddr[2] = (uint8_t)(id >> 16);
	r->hwaddr[3] = (uint8_t)(id >> 8);
	r->hwaddr[4] = (uint8_t)id;
	r->hwaddr[5] = 0x5e;
	r->cid_len = 7;
	r->cid[0] = 1;
	memcpy(r->cid + 1, r->hwaddr, 6);
	r->hostname_len = (uint8_t)snprintf(r->hostname, sizeof(r->hostname), "host-%u", id);
}

/* A v6 IA_NA lease of client `id` (DUID-LL 00:03:00:01 + hwaddr). */
static void v6(struct lease6_rec *r, const char *addr, unsigned id, uint32_t valid, uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->addr = ip6(addr);
	r->duid_len = 10;
	r->duid[1] = 3;
	r->duid[3] = 1;
	r->duid[4] = 2;
	r->duid[7] = (uint8_t)(id >> 8);
	r->duid[8] = (uint8_t)id;
	r->duid[9] = 0x6e;
	r->valid_lft = valid;
	r->pref_lft = valid / 2;
	r->expire = now_s + valid;
	r->subnet_id = 9;
	r->type = 0;
	r->iaid = id;
	r->prefix_len = 128;
	r->hwaddr_len = 6;
	memcpy(r->hwaddr, r->duid + 4, 6);
	r->hwtype = 1;
	r->hwaddr_source = 4;
}

static int sync_ok(struct lease_backend *be)
{
	int ret = pg->sync(be);

	if (ret)
		fprintf(stderr, "sync: %d (%s)\n", ret, strerror(-ret));
	return ret;
}

static void clean(void)
{
	CU_ASSERT_FATAL(run("DELETE FROM lease4; DELETE FROM lease6") == 0);
}

/* load / load6 into an array */
struct got4 {
	struct lease_rec r[64];
	unsigned n;
};
struct got6 {
	struct lease6_rec r[64];
	unsigned n;
};

static int got4_add(const struct lease_rec *r, void *arg)
{
	struct got4 *g = arg;

	if (g->n < 64)
		g->r[g->n] = *r;
	g->n++;
	return 0;
}

static int got6_add(const struct lease6_rec *r, void *arg)
{
	struct got6 *g = arg;

	if (g->n < 64)
		g->r[g->n] = *r;
	g->n++;
	return 0;
}

static const struct lease_rec *find4(const struct got4 *g, uint32_t addr)
{
	for (unsigned i = 0; i < g->n && i < 64; i++)
		if (g->r[i].addr == addr)
			return &g->r[i];
	return NULL;
}

static const struct lease6_rec *find6(const struct got6 *g, struct lease_addr6 a)
{
	for (unsigned i = 0; i < g->n && i < 64; i++)
		if (lease_addr6_eq(g->r[i].addr, a))
			return &g->r[i];
	return NULL;
}

/* The fields a lease_rec carries through the database, equal. */
static int same4(const struct lease_rec *a, const struct lease_rec *b)
{
	return a->addr == b->addr && a->subnet_id == b->subnet_id && a->expire == b->expire &&
	       a->valid_lft == b->valid_lft && a->state == b->state && a->htype == b->htype &&
	       a->hwaddr_len == b->hwaddr_len && !memcmp(a->hwaddr, b->hwaddr, a->hwaddr_len) &&
	       a->cid_len == b->cid_len && !memcmp(a->cid, b->cid, a->cid_len) &&
	       a->hostname_len == b->hostname_len &&
	       !memcmp(a->hostname, b->hostname, a->hostname_len) &&
	       a->fqdn_fwd == b->fqdn_fwd && a->fqdn_rev == b->fqdn_rev;
}

static int same6(const struct lease6_rec *a, const struct lease6_rec *b)
{
	return lease_addr6_eq(a->addr, b->addr) && a->duid_len == b->duid_len &&
	       !memcmp(a->duid, b->duid, a->duid_len) && a->valid_lft == b->valid_lft &&
	       a->expire == b->expire && a->subnet_id == b->subnet_id && a->pref_lft == b->pref_lft &&
	       a->type == b->type && a->iaid == b->iaid && a->prefix_len == b->prefix_len &&
	       a->fqdn_fwd == b->fqdn_fwd && a->fqdn_rev == b->fqdn_rev &&
	       a->hostname_len == b->hostname_len &&
	       !memcmp(a->hostname, b->hostname, a->hostname_len) &&
	       a->hwaddr_len == b->hwaddr_len && !memcmp(a->hwaddr, b->hwaddr, a->hwaddr_len) &&
	       a->hwtype == b->hwtype && a->hwaddr_source == b->hwaddr_source && a->state == b->state;
}

/* ---- tests -------------------------------------------------------------- */

static void test_registry(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(pg);
	CU_ASSERT_STRING_EQUAL(pg->name, "postgresql");
	CU_ASSERT_PTR_NOT_NULL(pg->refused);
	CU_ASSERT_PTR_NOT_NULL(pg->load6);
}

static void test_schema_check(void)
{
	struct lease_backend *be;
	char err[512];

	be = open_db(env("PGT_DB"), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	pg->close(be);

	CU_ASSERT_FATAL(run("UPDATE schema_version SET version = 12") == 0);
	be = open_db(env("PGT_DB"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "db-upgrade"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "12.0 is older than 13.0"));
	CU_ASSERT_FATAL(run("UPDATE schema_version SET version = 14") == 0);
	be = open_db(env("PGT_DB"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "newer"));
	CU_ASSERT_FATAL(run("UPDATE schema_version SET version = 13, minor = 7") == 0);
	be = open_db(env("PGT_DB"), err, sizeof(err));   /* any 13.x */
	CU_ASSERT_PTR_NOT_NULL(be);
	pg->close(be);
	CU_ASSERT_FATAL(run("UPDATE schema_version SET version = 13, minor = 0") == 0);

	be = open_db(env("PGT_DB_EMPTY"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "db-init"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, env("PGT_DB_EMPTY")));

	/* libpq's refusal, never the password */
	{
		struct conf_lease_db db;

		db_conf(&db, env("PGT_DB"));
		snprintf(db.password, sizeof(db.password), "wrong-Secret-pw");
		be = pg->open(&db, err, sizeof(err));
		CU_ASSERT_PTR_NULL(be);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "password authentication failed"));
		CU_ASSERT_PTR_NULL(strstr(err, "wrong-Secret-pw"));
	}
}

static void test_roundtrip4(void)
{
	struct lease_rec r[3];
	struct lease_backend *be;
	struct got4 g = { .n = 0 };

	clean();
	/* the backend's session in a far time zone: times are epoch seconds
	 * both ways, so nothing moves */
	CU_ASSERT_FATAL(run("ALTER ROLE CURRENT_USER SET timezone = 'Pacific/Chatham'") == 0);
	be = open_pg();
	CU_ASSERT_FATAL(run("ALTER ROLE CURRENT_USER RESET timezone") == 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	v4(&r[0], ip4(192, 0, 2, 10), 1, 3600, 1);
	r[0].fqdn_fwd = 1;
	v4(&r[1], ip4(255, 255, 255, 254), 2, 7200, 2);   /* needs the unsigned 32 bits */
	r[1].cid_len = 0;                                   /* no client-id: NULL */
	r[1].hostname_len = 0;
	r[1].hostname[0] = '\0';
	r[1].state = 1;
	v4(&r[2], ip4(10, 0, 0, 1), 3, 0xffffffffu, 3);
	r[2].expire = 4000000000u;                         /* past 2038: Kea's cap */
	CU_ASSERT_EQUAL(pg->append(be, r, 3), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);

	/* as Kea's SQL reads them */
	EXPECT_ROW("192.0.2.10|02000000015e|0102000000015e|3600|5|t|f|host-1|0|t",
		   "SELECT '0.0.0.0'::inet + address, encode(hwaddr, 'hex'), encode(client_id, 'hex'), "
		   "valid_lifetime, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context IS NULL "
		   "FROM lease4 WHERE address = %u", ip4(192, 0, 2, 10));
	CU_ASSERT_EQUAL(count("SELECT extract(epoch FROM expire)::bigint FROM lease4 WHERE address = %u",
			      ip4(192, 0, 2, 10)), now_s + 3600);
	EXPECT_ROW("255.255.255.254|4294967294|NULL||1",
		   "SELECT '0.0.0.0'::inet + address, address, client_id, hostname, state "
		   "FROM lease4 WHERE address = %u", ip4(255, 255, 255, 254));
	EXPECT_ROW("2147483647|4294967295",
		   "SELECT extract(epoch FROM expire)::bigint, valid_lifetime FROM lease4 "
		   "WHERE address = %u", ip4(10, 0, 0, 1));

	CU_ASSERT_EQUAL(pg->load(be, got4_add, &g), 0);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	r[2].expire = 2147483647u;
	/* a hostname that is not text for the database (the client sent
	 * bytes): written as '?' rather than failing the transaction */
	r[1].hostname_len = 4;
	memcpy(r[1].hostname, "a\xff\x01" "b", 4);
	r[1].seq = 4;
	CU_ASSERT_EQUAL(pg->append(be, &r[1], 1), 0);
	CU_ASSERT_EQUAL(sync_ok(be), 0);
	EXPECT_ROW("a??b", "SELECT hostname FROM lease4 WHERE address = %u", r[1].addr);
	r[1].hostname_len = 0;
	for (int i = 0; i < 3; i++) {
		const struct lease_rec *x = find4(&g, r[i].addr);

		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		CU_ASSERT(same4(x, &r[i]));
	}
	pg->close(be);
}

static void test_roundtrip6(void)
{
	struct lease6_rec r[3];
	struct lease_backend *be;
	struct got6 g = { .n = 0 };

	clean();
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	v6(&r[0], "2001:db8::1", 1, 3600, 1);
	r[0].iaid = 0x80000001u;                          /* a negative int in the column */
	r[0].fqdn_rev = 1;
	r[0].hostname_len = (uint8_t)snprintf(r[0].hostname, sizeof(r[0].hostname), "six.example.");
	v6(&r[1], "2001:db8:100::", 2, 7200, 2);          /* IA_PD 2001:db8:100::/56 */
	r[1].type = 2;
	r[1].prefix_len = 56;
	r[1].hwaddr_len = 0;                               /* none: NULL */
	r[1].hwtype = 0;
	r[1].hwaddr_source = 0;
	v6(&r[2], "2001:db8::dead:beef", 3, 600, 3);
	r[2].state = 1;                                    /* declined: Kea's empty DUID */
	r[2].duid_len = 0;
	r[2].hwaddr_len = 0;
	r[2].hwtype = 0;
	r[2].hwaddr_source = 0;
	CU_ASSERT_EQUAL(pg->append6(be, r, 3), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);

	EXPECT_ROW("0003000102000000016e|3600|9|1800|0|-2147483647|128|f|t|six.example."
		   "|02000000016e|1|4|0|t",
		   "SELECT encode(duid, 'hex'), valid_lifetime, subnet_id, pref_lifetime, lease_type, "
		   "iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, encode(hwaddr, 'hex'), hwtype, "
		   "hwaddr_source, state, user_context IS NULL FROM lease6 WHERE address = '2001:db8::1'");
	CU_ASSERT_EQUAL(count("SELECT extract(epoch FROM expire)::bigint FROM lease6 "
			      "WHERE address = '2001:db8::1'"), now_s + 3600);
	EXPECT_ROW("2001:db8:100::|2|56|NULL",
		   "SELECT address, lease_type, prefix_len, hwaddr FROM lease6 WHERE lease_type = 2");
	EXPECT_ROW("00|1", "SELECT encode(duid, 'hex'), state FROM lease6 "
		   "WHERE address = '2001:db8::dead:beef'");
	/* Kea's own reading of the iaid: the same 32 bits */
	EXPECT_ROW("2147483649", "SELECT iaid::bigint & 4294967295 FROM lease6 "
		   "WHERE address = '2001:db8::1'");

	CU_ASSERT_EQUAL(pg->load6(be, got6_add, &g), 0);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	for (int i = 0; i < 3; i++) {
		const struct lease6_rec *x = find6(&g, r[i].addr);

		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		CU_ASSERT(same6(x, &r[i]));
	}
	pg->close(be);
}

static long stat4(unsigned subnet, unsigned state)
{
	return count("SELECT coalesce(sum(leases), 0) FROM lease4_stat WHERE subnet_id = %u "
		     "AND state = %u", subnet, state);
}

static long stat6(unsigned subnet, unsigned type, unsigned state)
{
	return count("SELECT coalesce(sum(leases), 0) FROM lease6_stat WHERE subnet_id = %u "
		     "AND lease_type = %u AND state = %u", subnet, type, state);
}

static void test_renew_remove(void)
{
	struct lease_rec r[2];
	struct lease6_rec s[2];
	struct lease_backend *be;
	long base4, base6;

	clean();
	base4 = stat4(5, 0);
	base6 = stat6(9, 0, 0);
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	v4(&r[0], ip4(192, 0, 2, 20), 20, 3600, 1);
	v4(&r[1], ip4(192, 0, 2, 21), 21, 3600, 2);
	v6(&s[0], "2001:db8::20", 20, 3600, 1);
	v6(&s[1], "2001:db8::21", 21, 3600, 2);
	CU_ASSERT_EQUAL(pg->append(be, r, 2), 0);
	CU_ASSERT_EQUAL(pg->append6(be, s, 2), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(stat4(5, 0), base4 + 2);
	CU_ASSERT_EQUAL(stat6(9, 0, 0), base6 + 2);

	/* renew: the same client, a later expire */
	r[0].expire += 1000;
	r[0].seq = 3;
	s[0].expire += 1000;
	s[0].seq = 3;
	CU_ASSERT_EQUAL(pg->append(be, &r[0], 1), 0);
	CU_ASSERT_EQUAL(pg->append6(be, &s[0], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT extract(epoch FROM expire)::bigint FROM lease4 WHERE address = %u",
			      r[0].addr), r[0].expire);
	CU_ASSERT_EQUAL(count("SELECT extract(epoch FROM expire)::bigint FROM lease6 "
			      "WHERE address = '2001:db8::20'"), s[0].expire);
	CU_ASSERT_EQUAL(stat4(5, 0), base4 + 2);

	/* release: valid_lft 0 with the client's identity */
	r[1].valid_lft = 0;
	r[1].seq = 4;
	s[1].valid_lft = 0;
	s[1].seq = 4;
	CU_ASSERT_EQUAL(pg->append(be, &r[1], 1), 0);
	CU_ASSERT_EQUAL(pg->append6(be, &s[1], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4 WHERE address = %u", r[1].addr), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease6 WHERE address = '2001:db8::21'"), 0);
	CU_ASSERT_EQUAL(stat4(5, 0), base4 + 1);
	CU_ASSERT_EQUAL(stat6(9, 0, 0), base6 + 1);

	/* decline moves the count */
	r[0].state = 1;
	r[0].seq = 5;
	CU_ASSERT_EQUAL(pg->append(be, &r[0], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(stat4(5, 0), base4);
	CU_ASSERT_EQUAL(stat4(5, 1), 1);
	pg->close(be);
	clean();
	CU_ASSERT_EQUAL(stat4(5, 1), 0);
}

/* A row another server wrote for another client. */
static void foreign4(uint32_t addr, const char *expire)
{
	char q[512];

	snprintf(q, sizeof(q), "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, "
		 "expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES "
		 "(%u, '\\xaabbccddeeff', '\\x01aabbccddeeff', 3600, %s, 5, false, false, "
		 "'other', 0, NULL)", addr, expire);
	CU_ASSERT_FATAL(run(q) == 0);
}

static void test_conflict(void)
{
	struct lease_rec r[4];
	struct lease6_rec s[2];
	struct lease_refusal out[8];
	struct lease_backend_stats st;
	struct lease_backend *be;
	unsigned n;

	clean();
	foreign4(ip4(192, 0, 2, 50), "now() + interval '1 hour'");
	foreign4(ip4(192, 0, 2, 52), "now() - interval '10 seconds'");
	CU_ASSERT_FATAL(run("INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, "
			    "pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, "
			    "hwaddr, hwtype, hwaddr_source, state, user_context) VALUES ('2001:db8::50', "
			    "'\\x00030001aabbccddeeff', 3600, now() + interval '1 hour', 9, 1800, 0, 50, "
			    "128, false, false, 'other', NULL, 0, 0, 0, NULL)") == 0);
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	v4(&r[0], ip4(192, 0, 2, 50), 50, 3600, 101);    /* another client's live lease */
	v4(&r[1], ip4(192, 0, 2, 51), 51, 3600, 102);    /* free */
	v4(&r[2], ip4(192, 0, 2, 52), 52, 3600, 103);    /* another client's, expired */
	v6(&s[0], "2001:db8::50", 50, 3600, 104);
	v6(&s[1], "2001:db8::51", 51, 3600, 105);
	CU_ASSERT_EQUAL(pg->append(be, r, 3), 0);
	CU_ASSERT_EQUAL(pg->append6(be, s, 2), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);

	n = pg->refused(be, out, 8);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(out[0].family, 4);
	CU_ASSERT_EQUAL(out[0].seq, 101);
	CU_ASSERT_EQUAL(out[0].addr, ip4(192, 0, 2, 50));
	CU_ASSERT_EQUAL(out[1].family, 6);
	CU_ASSERT_EQUAL(out[1].seq, 104);
	CU_ASSERT(lease_addr6_eq(out[1].addr6, ip6("2001:db8::50")));
	CU_ASSERT_EQUAL(pg->refused(be, out, 8), 0);     /* forgotten once read */
	pg->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.refused, 2);

	/* the refused rows are untouched, the rest written */
	EXPECT_ROW("aabbccddeeff|other", "SELECT encode(hwaddr, 'hex'), hostname FROM lease4 "
		   "WHERE address = %u", ip4(192, 0, 2, 50));
	EXPECT_ROW("host-51", "SELECT hostname FROM lease4 WHERE address = %u", ip4(192, 0, 2, 51));
	EXPECT_ROW("02000000345e|host-52", "SELECT encode(hwaddr, 'hex'), hostname FROM lease4 "
		   "WHERE address = %u", ip4(192, 0, 2, 52));
	EXPECT_ROW("00030001aabbccddeeff|50", "SELECT encode(duid, 'hex'), iaid FROM lease6 "
		   "WHERE address = '2001:db8::50'");
	EXPECT_ROW("1", "SELECT count(*) FROM lease6 WHERE address = '2001:db8::51'");

	/* a removal of an address another client holds deletes nothing and
	 * is not a refusal */
	r[0].valid_lft = 0;
	r[0].seq = 106;
	CU_ASSERT_EQUAL(pg->append(be, &r[0], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4 WHERE address = %u", ip4(192, 0, 2, 50)), 1);
	CU_ASSERT_EQUAL(pg->refused(be, out, 8), 0);

	/* within one transaction: a renewal superseded by a later one of
	 * the same client; both refused */
	v4(&r[3], ip4(192, 0, 2, 50), 50, 3600, 107);
	r[0] = r[3];
	r[0].seq = 108;
	r[0].expire += 5;
	CU_ASSERT_EQUAL(pg->append(be, &r[3], 1), 0);
	CU_ASSERT_EQUAL(pg->append(be, &r[0], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	n = pg->refused(be, out, 8);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(out[0].seq, 107);
	CU_ASSERT_EQUAL(out[1].seq, 108);

	/* the same client's lease, renewed since by another server (the row
	 * is newer than the lease this server ends): the removal leaves it;
	 * a removal carrying the row's own expiry deletes it */
	v4(&r[1], ip4(192, 0, 2, 51), 51, 3600, 109);
	{
		char q[160];

		snprintf(q, sizeof(q), "UPDATE lease4 SET expire = expire + interval '600 seconds' "
			 "WHERE address = %u", ip4(192, 0, 2, 51));
		CU_ASSERT(run(q) == 0);
	}
	r[1].valid_lft = 0;
	CU_ASSERT_EQUAL(pg->append(be, &r[1], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4 WHERE address = %u", ip4(192, 0, 2, 51)), 1);
	r[1].expire += 600;
	r[1].seq = 110;
	CU_ASSERT_EQUAL(pg->append(be, &r[1], 1), 0);
	CU_ASSERT_EQUAL_FATAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4 WHERE address = %u", ip4(192, 0, 2, 51)), 0);
	pg->close(be);
}

/* The backend's session dies between append and sync; every record
 * still lands exactly once. */
static void test_failed_sync(void)
{
	static struct lease_rec a[100], b[50];
	struct lease_backend_stats st;
	struct lease_backend *be;
	int ret;

	clean();
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	for (unsigned i = 0; i < 100; i++)
		v4(&a[i], ip4(198, 18, 1, i), 1000 + i, 3600, i + 1);
	for (unsigned i = 0; i < 50; i++)
		v4(&b[i], ip4(198, 18, 2, i), 2000 + i, 3600, 200 + i);
	CU_ASSERT_EQUAL(pg->append(be, a, 100), 0);
	CU_ASSERT_FATAL(count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
			      "WHERE application_name = 'peregrine'") == 1);
	ret = pg->sync(be);                        /* fails, or reconnects and commits */
	printf("\n    sync after the session was terminated: %d%s\n", ret,
	       ret ? "" : " (reconnected and committed in the same sync)");
	if (ret) {
		/* the flusher's way: the same batch again, then sync */
		CU_ASSERT_EQUAL(pg->append(be, a, 100), 0);
		CU_ASSERT_EQUAL(sync_ok(be), 0);
	}
	CU_ASSERT_EQUAL(pg->append(be, b, 50), 0);
	CU_ASSERT_EQUAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4"), 150);
	pg->get_stats(be, &st);
	CU_ASSERT(st.reconnects >= 1);
	CU_ASSERT_EQUAL(st.connected, 1);

	/* a statement the database rejects fails the sync; nothing is lost
	 * and the next sync writes it all */
	CU_ASSERT_FATAL(run("ALTER TABLE lease4 ADD CONSTRAINT pgt_no_999 CHECK (subnet_id <> 999)") == 0);
	for (unsigned i = 0; i < 50; i++)
		v4(&b[i], ip4(198, 18, 3, i), 3000 + i, 3600, 300 + i);
	b[49].subnet_id = 999;
	CU_ASSERT_EQUAL(pg->append(be, b, 50), 0);
	CU_ASSERT(pg->sync(be) < 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4 WHERE address >= %u", ip4(198, 18, 3, 0)), 0);
	CU_ASSERT_EQUAL(pg->append(be, b, 50), 0);     /* the re-append folds in */
	CU_ASSERT(pg->sync(be) < 0);                   /* the connection survives an SQL error */
	pg->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.connected, 1);
	CU_ASSERT_FATAL(run("ALTER TABLE lease4 DROP CONSTRAINT pgt_no_999") == 0);
	CU_ASSERT_EQUAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4 WHERE address >= %u", ip4(198, 18, 3, 0)), 50);
	pg->close(be);
}

static void test_twice(void)
{
	static struct lease_rec a[300];
	static struct lease6_rec s[40];
	struct lease_backend_stats st0, st;
	struct lease_backend *be;
	char addr[64];

	clean();
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	pg->get_stats(be, &st0);
	for (unsigned i = 0; i < 300; i++)
		v4(&a[i], ip4(198, 18, 4, 0) + i, 4000 + i, 3600, i + 1);
	for (unsigned i = 0; i < 40; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:4::%x", i + 1);
		v6(&s[i], addr, 400 + i, 3600, i + 1);
	}
	CU_ASSERT_EQUAL(pg->append(be, a, 300), 0);
	CU_ASSERT_EQUAL(pg->append6(be, s, 40), 0);
	CU_ASSERT_EQUAL(pg->append(be, a, 300), 0);
	CU_ASSERT_EQUAL(pg->append6(be, s, 40), 0);
	CU_ASSERT_EQUAL(pg->append(be, a + 10, 5), 0);   /* a part again: not the same chunk */
	CU_ASSERT_EQUAL(sync_ok(be), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4"), 300);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease6"), 40);
	pg->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.commits, st0.commits + 1);
	CU_ASSERT_EQUAL(st.appended, st0.appended + 685);
	CU_ASSERT_EQUAL(st.refused, 0);
	pg->close(be);
}

/* Rows Kea would not write (or a broken tool did): skipped and counted,
 * never a crash. */
static void test_bad_rows(void)
{
	struct lease_backend_stats st;
	struct lease_backend *be;
	struct got4 g = { .n = 0 };
	struct got6 g6 = { .n = 0 };
	const struct lease_rec *x;

	clean();
	CU_ASSERT_FATAL(run(
		"INSERT INTO lease4 (address, hwaddr, valid_lifetime, expire, subnet_id, hostname, state) VALUES "
		"(1, '\\x000102030405060708090a0b0c0d0e0f10', 60, now(), 1, '', 0),"  /* hwaddr 17 */
		"(2, '\\x0a', 60, '2100-01-01 00:00:00+00', 1, repeat('x', 100), 2),"
		"(-5, '\\x0a', 60, now(), 1, '', 0),"                            /* not an address */
		"(3, NULL, 60, '1960-01-01 00:00:00+00', 1, NULL, 0)") == 0);
	CU_ASSERT_FATAL(run(
		"INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, "
		"lease_type, iaid, prefix_len, hostname, state) VALUES "
		"('not-an-address', '\\x0001', 60, now(), 1, 30, 0, 1, 128, '', 0),"
		"('2001:db8::7', decode(repeat('ab', 131), 'hex'), 60, now(), 1, 30, 0, 1, 128, '', 0),"
		"('2001:db8::8', '\\x0001', 60, now(), 1, 30, 0, -1, 128, '', 0)") == 0);
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(pg->load(be, got4_add, &g), 0);
	CU_ASSERT_EQUAL(pg->load6(be, got6_add, &g6), 0);
	CU_ASSERT_EQUAL(g.n, 2);
	CU_ASSERT_EQUAL(g6.n, 1);
	x = find4(&g, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->expire, 2147483647u);
	CU_ASSERT_EQUAL(x->hostname_len, 63);
	CU_ASSERT_EQUAL(x->state, 2);
	x = find4(&g, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->hwaddr_len, 0);
	CU_ASSERT_EQUAL(x->expire, 0);
	CU_ASSERT_EQUAL(g6.r[0].iaid, 0xffffffffu);
	pg->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.bad_lines, 4);
	CU_ASSERT_EQUAL(st.truncated, 1);
	CU_ASSERT_EQUAL(st.loaded, 3);
	pg->close(be);
	clean();
}

/* The flusher's worker-side half: one change into the log. */
static uint64_t push(struct lease_log *log, int v6fam, const void *rec, uint32_t valid)
{
	struct lease_change *c;

	while ((c = lease_log_claim(log)) == NULL)
		sched_yield();          /* full: the flusher frees room */
	c->family = v6fam ? LEASE_FAMILY_V6 : LEASE_FAMILY_V4;
	c->op = valid ? LEASE_OP_ADD : LEASE_OP_DELETE;
	c->origin = LEASE_ORIGIN_CLIENT;
	if (v6fam)
		c->u.v6 = *(const struct lease6_rec *)rec;
	else
		c->u.v4 = *(const struct lease_rec *)rec;
	return lease_log_commit(log);
}

/* The real flusher (wb.c) in commit mode over this backend, with the
 * backend's session killed in the middle: the watermark reaches the last
 * change and the database holds exactly the resulting lease set. */
static void test_wb_commit(void)
{
	struct lease_log_params lp = { .size = 4096 };
	struct lease_log *log = lease_log_create(&lp);
	struct lease_backend_stats st;
	struct lease_backend *be;
	struct lease_rec r;
	struct lease6_rec r6;
	struct wb *wb;
	uint64_t last = 0;
	char addr[64];
	int waited = 0;

	clean();
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_create(&(struct wb_params){ .ops = pg, .be = be, .n_workers = 1, .logs = &log,
					    .mode = CONF_DUR_COMMIT });
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (unsigned i = 0; i < 4000; i++) {
		if (i == 2000)
			CU_ASSERT(count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
					"WHERE application_name = 'peregrine'") == 1);
		if (i % 4 == 3) {
			snprintf(addr, sizeof(addr), "2001:db8:8::%x", i + 1);
			v6(&r6, addr, 8000 + i, 3600, 0);
			last = push(log, 1, &r6, r6.valid_lft);
		} else {
			v4(&r, ip4(198, 18, 8, 0) + i, 8000 + i, 3600, 0);
			last = push(log, 0, &r, r.valid_lft);
		}
	}
	for (unsigned i = 0; i < 400; i++) {     /* releases of the first 300 v4 leases */
		if (i % 4 == 3)
			continue;
		/* a removal carries the lease's own expiry, as the engine's do */
		v4(&r, ip4(198, 18, 8, 0) + i, 8000 + i, 3600, 0);
		r.valid_lft = 0;
		last = push(log, 0, &r, 0);
	}
	while (wb_durable(wb, 0) < last && waited++ < 2000)
		usleep(10000);
	CU_ASSERT_EQUAL(wb_durable(wb, 0), last);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease4"), 3000 - 300);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM lease6"), 1000);
	pg->get_stats(be, &st);
	CU_ASSERT(st.reconnects >= 1);
	CU_ASSERT(st.commits >= 1);
	printf("\n    flusher: %llu commits for 4,300 changes, %llu reconnect(s)\n",
	       (unsigned long long)st.commits, (unsigned long long)st.reconnects);
	wb_free(wb);
	pg->close(be);
	lease_log_free(log);
	clean();
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int count_cb(const struct lease_rec *r, void *arg)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

static void test_load_million(void)
{
	struct lease_backend *be;
	struct timespec t0;
	uint64_t n = 0;
	int ret;

	/* the rows are bulk data: the stat triggers stay out of it */
	CU_ASSERT_FATAL(run("TRUNCATE lease4") == 0);
	CU_ASSERT_FATAL(run("ALTER TABLE lease4 DISABLE TRIGGER USER") == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_FATAL(run("INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, "
			    "subnet_id, fqdn_fwd, fqdn_rev, hostname, state) SELECT 167772160 + g, "
			    "decode(lpad(to_hex(g), 12, '0'), 'hex'), decode('01' || lpad(to_hex(g), 12, "
			    "'0'), 'hex'), 3600, now() + interval '1 hour', 77, false, false, "
			    "'host-' || g, 0 FROM generate_series(1, 1000000) g") == 0);
	printf("\n    1,000,000 lease4 rows inserted by SQL in %.2f s\n", secs_since(&t0));
	be = open_pg();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = pg->load(be, count_cb, &n);
	printf("    load: %llu lease4 rows in %.2f s\n", (unsigned long long)n, secs_since(&t0));
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_EQUAL(n, 1000000);
	pg->close(be);
	CU_ASSERT(run("TRUNCATE lease4") == 0);
	CU_ASSERT(run("ALTER TABLE lease4 ENABLE TRIGGER USER") == 0);
}

/* ---- throughput (--bench) ------------------------------------------------ */

static void bench_run(const char *what, int renew, int v6fam)
{
	enum { BATCH = 1024, BATCHES = 100 };
	static struct lease_rec a[BATCH];
	static struct lease6_rec s[BATCH];
	struct lease_backend *be = open_pg();
	struct timespec t0;
	struct rusage ru0, ru1;
	char addr[64];
	double t, cpu;

	if (be == NULL)
		return;
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned b = 0; b < BATCHES; b++) {
		for (unsigned i = 0; i < BATCH; i++) {
			unsigned id = b * BATCH + i;

			if (v6fam) {
				snprintf(addr, sizeof(addr), "2001:db8:%x::%x", b, i + 1);
				v6(&s[i], addr, id, 3600 + (unsigned)renew, id + 1);
			} else {
				v4(&a[i], ip4(198, 18, 0, 0) + id, id, 3600 + (unsigned)renew, id + 1);
			}
		}
		if ((v6fam ? pg->append6(be, s, BATCH) : pg->append(be, a, BATCH)) != 0 || sync_ok(be) != 0) {
			printf("%s: failed\n", what);
			break;
		}
	}
	t = secs_since(&t0);
	getrusage(RUSAGE_SELF, &ru1);
	cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
		       ru0.ru_stime.tv_sec) + (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
						     ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	printf("%-44s %6u rows in %5.2f s: %7.0f rows/s, %6.2f ms per 1024-row commit "
	       "(our CPU %.2f ms of it)\n", what, BATCH * BATCHES, t, BATCH * BATCHES / t,
	       t * 1000 / BATCHES, cpu * 1000 / BATCHES);
	pg->close(be);
}

static int bench(void)
{
	now_s = (uint32_t)time(NULL);
	run("TRUNCATE lease4, lease6");
	bench_run("v4 new leases, batches of 1024", 0, 0);
	bench_run("v4 renewals (same clients), batches of 1024", 60, 0);
	bench_run("v6 new leases, batches of 1024", 0, 1);
	bench_run("v6 renewals, batches of 1024", 60, 1);
	run("TRUNCATE lease4, lease6");
	run("ALTER TABLE lease4 DISABLE TRIGGER USER");
	run("ALTER TABLE lease6 DISABLE TRIGGER USER");
	bench_run("v4 new leases, stat triggers disabled", 0, 0);
	bench_run("v4 renewals, stat triggers disabled", 60, 0);
	bench_run("v6 new leases, stat triggers disabled", 0, 1);
	run("TRUNCATE lease4, lease6");
	run("ALTER TABLE lease4 ENABLE TRIGGER USER");
	run("ALTER TABLE lease6 ENABLE TRIGGER USER");
	return 0;
}

int main(int argc, char **argv)
{
	char conninfo[1024];
	CU_pSuite s;
	unsigned fails;

	if (getenv("PGT_DB") == NULL) {
		fprintf(stderr, "pgsql_test: run it from pgsql_test.sh (PGT_* unset)\n");
		return 77;
	}
	pg = lease_backend_find("postgresql");
	snprintf(conninfo, sizeof(conninfo), "host='%s' port='%s' dbname='%s' user='%s' password='%s' "
		 "application_name=pgsql_test", env("PGT_HOST"), env("PGT_PORT"), env("PGT_DB"),
		 env("PGT_USER"), env("PGT_PASS"));
	sql = PQconnectdb(conninfo);
	if (PQstatus(sql) != CONNECTION_OK) {
		fprintf(stderr, "pgsql_test: %s", PQerrorMessage(sql));
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		int r = pg ? bench() : 1;

		PQfinish(sql);
		return r;
	}
	now_s = (uint32_t)time(NULL);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("pgsql", NULL, NULL);
	CU_add_test(s, "registry", test_registry);
	CU_add_test(s, "schema 13 accepted, 12 / 14 / none refused", test_schema_check);
	CU_add_test(s, "v4 round trip, as Kea's SQL reads it", test_roundtrip4);
	CU_add_test(s, "v6 round trip, IA_PD, iaid >= 2^31", test_roundtrip6);
	CU_add_test(s, "renew, release, decline; the stat triggers follow", test_renew_remove);
	CU_add_test(s, "another server's lease: refused, expired one overwritten", test_conflict);
	CU_add_test(s, "a failed sync keeps every record", test_failed_sync);
	CU_add_test(s, "the same batch twice", test_twice);
	CU_add_test(s, "bad rows skipped and counted", test_bad_rows);
	CU_add_test(s, "the flusher in commit mode, session killed midway", test_wb_commit);
	CU_add_test(s, "load of 1,000,000 rows", test_load_million);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	PQfinish(sql);
	return fails ? 1 : 0;
}
