/* The "redis" lease backend against a real redis-server, started once by
 * redis_test.sh (scripts/redistest.sh), which passes its unix socket in
 * RDT_SOCK.  The hashes are checked with HGETALL on a connection of the
 * test's own (which also plays the other server writing the store).
 * redis_test.sh also starts a replica (RDT_REPL_SOCK, RDT_REPL_PORT), a
 * redis-sentinel monitoring the primary as "rdt" (RDT_SENTINEL) and a
 * fake sentinel naming the replica (RDT_FAKE_SENTINEL). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "lease_backend.h"
#include "redis_int.h"

static const struct lease_backend_ops *rd;
static redisContext *cli;
static uint32_t now_s;

static void db_conf(struct conf_lease_db *db)
{
	const char *s = getenv("RDT_SOCK");

	memset(db, 0, sizeof(*db));
	db->durability = CONF_DUR_COMMIT;
	db->connect_timeout = 5;
	snprintf(db->host, sizeof(db->host), "%s", s ? s : "");
}

static struct lease_backend *open_db(const struct conf_lease_db *db)
{
	char err[512] = "";
	struct lease_backend *be = rd->open(db, err, sizeof(err));

	if (be == NULL)
		fprintf(stderr, "open: %s\n", err);
	return be;
}

static struct lease_backend *open_be(void)
{
	struct conf_lease_db db;

	db_conf(&db);
	return open_db(&db);
}

static redisReply *cmd(const char *fmt, ...);
static void flush(void);

/* An empty store and a backend on it. */
static struct lease_backend *fresh_be(void)
{
	flush();
	return open_be();
}

static redisReply *cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(cli, fmt, ap);
	va_end(ap);
	return r;
}

static void flush(void)
{
	freeReplyObject(cmd("FLUSHALL"));
}

static long long get_int(const char *key)
{
	redisReply *r = cmd("GET %s", key);
	long long v = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

	freeReplyObject(r);
	return v;
}

static int exists(const char *key)
{
	redisReply *r = cmd("EXISTS %s", key);
	int v = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;

	freeReplyObject(r);
	return v;
}

/* The value of field f of hash key, "" when missing (static buffer). */
static const char *hget(const char *key, const char *f)
{
	static char buf[600];
	redisReply *r = cmd("HGET %s %s", key, f);

	buf[0] = '\0';
	if (r && r->type == REDIS_REPLY_STRING)
		snprintf(buf, sizeof(buf), "%s", r->str);
	freeReplyObject(r);
	return buf;
}

static struct lease_rec mk4(uint32_t addr, uint8_t mac_last, uint32_t valid)
{
	struct lease_rec r;

	memset(&r, 0, sizeof(r));
	r.seq = addr;
	r.addr = addr;
	r.subnet_id = 7;
	r.valid_lft = valid;
	r.expire = valid ? now_s + valid : now_s;
	r.htype = 1;
	r.hwaddr_len = 6;
	memcpy(r.hwaddr, (uint8_t[]){ 0, 0x11, 0x22, 0, 0, mac_last }, 6);
	r.cid_len = 3;
	memcpy(r.cid, (uint8_t[]){ 1, 0, mac_last }, 3);
	r.hostname_len = 4;
	memcpy(r.hostname, "host", 5);
	r.fqdn_fwd = 1;
	return r;
}

static struct lease6_rec mk6(uint64_t lo, uint8_t duid_last, uint32_t valid)
{
	struct lease6_rec r;

	memset(&r, 0, sizeof(r));
	r.seq = lo;
	r.addr.hi = 0x20010db800000000ull;
	r.addr.lo = lo;
	r.duid_len = 4;
	memcpy(r.duid, (uint8_t[]){ 0, 3, 0xff, duid_last }, 4);
	r.valid_lft = valid;
	r.expire = now_s + valid;
	r.subnet_id = 9;
	r.pref_lft = valid / 2;
	r.iaid = 0x80000001u;
	r.prefix_len = 128;
	r.hwaddr_len = 6;
	memcpy(r.hwaddr, (uint8_t[]){ 0, 0x11, 0x22, 0, 0, duid_last }, 6);
	r.hwtype = 1;
	r.hwaddr_source = 4;
	return r;
}

struct got4 { struct lease_rec r[64]; unsigned n; };
static int cb4(const struct lease_rec *r, void *arg)
{
	struct got4 *g = arg;

	if (g->n < 64)
		g->r[g->n++] = *r;
	return 0;
}
struct got6 { struct lease6_rec r[64]; unsigned n; };
static int cb6(const struct lease6_rec *r, void *arg)
{
	struct got6 *g = arg;

	if (g->n < 64)
		g->r[g->n++] = *r;
	return 0;
}

#define A(x) (0xc6120000u | (x))       /* 198.18.0.x */

static void test_registry(void)
{
	CU_ASSERT_PTR_NOT_NULL(lease_backend_find("redis"));
}

static void test_schema(void)
{
	struct lease_backend *be;

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_STRING_EQUAL(hget("peregrine:schema", "x"), "");  /* not a hash */
	rd->close(be);
	CU_ASSERT_EQUAL(get_int("peregrine:schema"), 1);
	freeReplyObject(cmd("SET peregrine:schema 2"));
	be = open_be();
	CU_ASSERT_PTR_NULL(be);
	if (be)
		rd->close(be);
	flush();
}

static void test_roundtrip(void)
{
	struct lease_backend *be;
	struct lease_rec r4 = mk4(A(1), 1, 3600);
	struct lease6_rec r6 = mk6(0x10, 1, 7200), pd = mk6(0, 2, 7200);
	struct got4 g4 = { .n = 0 };
	struct got6 g6 = { .n = 0 };

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	pd.addr.hi = 0x20010db800010000ull;
	pd.type = 2;
	pd.prefix_len = 56;
	CU_ASSERT_EQUAL(rd->append(be, &r4, 1), 0);
	CU_ASSERT_EQUAL(rd->append6(be, &r6, 1), 0);
	CU_ASSERT_EQUAL(rd->append6(be, &pd, 1), 0);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.1", "hwaddr"), "001122000001");
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.1", "client_id"), "010001");
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.1", "valid_lifetime"), "3600");
	CU_ASSERT_EQUAL(atoll(hget("lease4:198.18.0.1", "expire")), r4.expire);
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.1", "hostname"), "host");
	CU_ASSERT_STRING_EQUAL(hget("lease6:2001:db8::10", "duid"), "0003ff01");
	CU_ASSERT_STRING_EQUAL(hget("lease6:2001:db8::10", "iaid"), "2147483649");
	CU_ASSERT_STRING_EQUAL(hget("lease6:2001:db8:1::", "prefix_len"), "56");
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 1);
	CU_ASSERT_EQUAL(get_int("stat6:9:0:0"), 1);
	CU_ASSERT_EQUAL(get_int("stat6:9:2:0"), 1);
	CU_ASSERT_EQUAL(rd->load(be, cb4, &g4), 0);
	CU_ASSERT_EQUAL_FATAL(g4.n, 1);
	r4.seq = 0;
	CU_ASSERT_EQUAL(memcmp(&g4.r[0], &r4, sizeof(r4)), 0);
	CU_ASSERT_EQUAL(rd->load6(be, cb6, &g6), 0);
	CU_ASSERT_EQUAL_FATAL(g6.n, 2);
	for (unsigned i = 0; i < 2; i++) {
		struct lease6_rec *want = g6.r[i].type == 2 ? &pd : &r6;

		want->seq = 0;
		CU_ASSERT_EQUAL(memcmp(&g6.r[i], want, sizeof(*want)), 0);
	}
	rd->close(be);
}

static void test_renew_remove(void)
{
	struct lease_backend *be;
	struct lease_rec a = mk4(A(1), 1, 3600), b = mk4(A(2), 2, 3600);
	struct lease_count *rows = NULL;
	struct lease_counts *lc;
	struct conf_lease_db db;
	char err[256];
	size_t n = 0;

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rd->append(be, &a, 1);
	rd->append(be, &b, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 2);
	a.expire += 100;                       /* renew */
	rd->append(be, &a, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 2);
	CU_ASSERT_EQUAL(atoll(hget("lease4:198.18.0.1", "expire")), a.expire);
	a.valid_lft = 0;                       /* release */
	b.state = 1;                           /* decline */
	rd->append(be, &a, 1);
	rd->append(be, &b, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.1"), 0);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 0);
	CU_ASSERT_EQUAL(get_int("stat4:7:1"), 1);
	db_conf(&db);
	lc = rd->counts_open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(lc);
	CU_ASSERT_EQUAL(rd->counts_read(lc, &rows, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (rows[i].family == 4 && rows[i].subnet_id == 7)
			CU_ASSERT_EQUAL(rows[i].leases, rows[i].state == 1 ? 1 : 0);
	CU_ASSERT(n >= 1);
	free(rows);
	rd->counts_close(lc);
	rd->close(be);
}

static void test_conflict(void)
{
	struct lease_backend *be;
	struct lease_rec mine = mk4(A(3), 3, 3600), theirs = mk4(A(4), 4, 3600), old = mk4(A(5), 5, 3600);
	struct lease_rec del = mk4(A(6), 6, 0);
	struct lease_refusal ref[4];

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	/* another server's live lease at .4, an expired one at .5, a live one at .6 */
	freeReplyObject(cmd("HSET lease4:198.18.0.4 hwaddr aabbccddeeff client_id %s valid_lifetime 3600 "
			    "expire %u subnet_id 7 fqdn_fwd 0 fqdn_rev 0 hostname other state 0",
			    "", now_s + 1000));
	freeReplyObject(cmd("HSET lease4:198.18.0.5 hwaddr aabbccddee00 client_id %s valid_lifetime 3600 "
			    "expire %u subnet_id 7 fqdn_fwd 0 fqdn_rev 0 hostname old state 0", "", now_s - 10));
	freeReplyObject(cmd("HSET lease4:198.18.0.6 hwaddr aabbccddee01 client_id %s valid_lifetime 3600 "
			    "expire %u subnet_id 7 fqdn_fwd 0 fqdn_rev 0 hostname x state 0", "", now_s + 1000));
	rd->append(be, &mine, 1);
	rd->append(be, &theirs, 1);
	rd->append(be, &old, 1);
	rd->append(be, &del, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.3", "hwaddr"), "001122000003");
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.4", "hwaddr"), "aabbccddeeff");
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.5", "hwaddr"), "001122000005");
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.6", "hwaddr"), "aabbccddee01");
	CU_ASSERT_EQUAL_FATAL(rd->refused(be, ref, 4), 1);
	CU_ASSERT_EQUAL(ref[0].family, 4);
	CU_ASSERT_EQUAL(ref[0].addr, A(4));
	CU_ASSERT_EQUAL(ref[0].seq, theirs.seq);
	CU_ASSERT_EQUAL(ref[0].has_holder, 1);
	CU_ASSERT_EQUAL(ref[0].holder.v4.hwaddr[0], 0xaa);
	CU_ASSERT_EQUAL(ref[0].holder.v4.expire, now_s + 1000);
	CU_ASSERT_STRING_EQUAL(ref[0].holder.v4.hostname, "other");
	rd->close(be);
}

/* The session killed and AUTH required between append and sync: the
 * sync fails, keeps everything, and the next one writes each record once. */
static void test_failed_sync(void)
{
	struct lease_backend *be;
	struct lease_rec r[3] = { mk4(A(10), 10, 3600), mk4(A(11), 11, 3600), mk4(A(12), 12, 3600) };
	struct lease_backend_stats st;

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rd->append(be, r, 3);
	freeReplyObject(cmd("CONFIG SET requirepass sekrit"));
	freeReplyObject(cmd("CLIENT KILL TYPE normal SKIPME yes"));
	CU_ASSERT_NOT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.10"), 0);
	CU_ASSERT_NOT_EQUAL(rd->ping(be), 0);
	freeReplyObject(cmd("CONFIG SET requirepass %s", ""));
	rd->append(be, r, 3);                  /* the flusher gives them again */
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.10"), 1);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.12"), 1);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 3);
	rd->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.connected, 1);
	CU_ASSERT(st.reconnects >= 1);
	CU_ASSERT_EQUAL(st.commits, 1);
	CU_ASSERT_EQUAL(rd->ping(be), 0);
	rd->close(be);
}

static void test_bad_records(void)
{
	struct lease_backend *be;
	struct lease_backend_stats st;
	struct got4 g = { .n = 0 };
	struct lease_rec r = mk4(A(20), 20, 3600);

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rd->append(be, &r, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	freeReplyObject(cmd("HSET lease4:198.18.0.21 hwaddr zz"));
	freeReplyObject(cmd("SET lease4:198.18.0.22 junk"));
	freeReplyObject(cmd("HSET lease4:nonsense hwaddr 00"));
	CU_ASSERT_EQUAL(rd->load(be, cb4, &g), 0);
	CU_ASSERT_EQUAL(g.n, 1);
	rd->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.bad_lines, 3);
	/* a batch over a key that is not a hash does not abort the script */
	r = mk4(A(22), 22, 3600);
	rd->append(be, &r, 1);
	r = mk4(A(23), 23, 3600);
	rd->append(be, &r, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.23"), 1);
	rd->close(be);
}

/* An answer of the replica (its own connection), NULL without one. */
static redisReply *repl_cmd(const char *fmt, ...)
{
	const char *sock = getenv("RDT_REPL_SOCK");
	redisContext *c = sock ? redisConnectUnix(sock) : NULL;
	redisReply *r = NULL;
	va_list ap;

	if (c && !c->err) {
		va_start(ap, fmt);
		r = redisvCommand(c, fmt, ap);
		va_end(ap);
	}
	if (c)
		redisFree(c);
	return r;
}

static long long integer_of(redisReply *r)
{
	long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return v;
}

/* name "t1" and "t2": two key prefixes in one database do not see each
 * other; name "3": SELECT 3, no prefix. */
static void test_prefix_db(void)
{
	struct lease_backend *b1, *b2, *b3;
	struct conf_lease_db db;
	struct lease_rec r1 = mk4(A(30), 30, 3600), r2 = mk4(A(30), 31, 3600), r3 = mk4(A(32), 32, 3600);
	struct lease_refusal ref[2];
	struct got4 g = { .n = 0 };

	flush();
	db_conf(&db);
	snprintf(db.name, sizeof(db.name), "t1");
	b1 = open_db(&db);
	snprintf(db.name, sizeof(db.name), "t2");
	b2 = open_db(&db);
	snprintf(db.name, sizeof(db.name), "3");
	b3 = open_db(&db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b3);
	/* one address, two clients, two prefixes: neither is refused */
	rd->append(b1, &r1, 1);
	rd->append(b2, &r2, 1);
	rd->append(b3, &r3, 1);
	CU_ASSERT_EQUAL(rd->sync(b1), 0);
	CU_ASSERT_EQUAL(rd->sync(b2), 0);
	CU_ASSERT_EQUAL(rd->sync(b3), 0);
	CU_ASSERT_EQUAL(rd->refused(b1, ref, 2), 0);
	CU_ASSERT_EQUAL(rd->refused(b2, ref, 2), 0);
	CU_ASSERT_STRING_EQUAL(hget("t1:lease4:198.18.0.30", "hwaddr"), "00112200001e");
	CU_ASSERT_STRING_EQUAL(hget("t2:lease4:198.18.0.30", "hwaddr"), "00112200001f");
	CU_ASSERT_EQUAL(get_int("t1:stat4:7:0"), 1);
	CU_ASSERT_EQUAL(get_int("t2:stat4:7:0"), 1);
	CU_ASSERT_EQUAL(get_int("t1:peregrine:schema"), 1);
	CU_ASSERT_EQUAL(integer_of(cmd("ZCARD t1:expire4")), 1);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.30"), 0);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.32"), 0);     /* not in db 0 */
	CU_ASSERT_EQUAL(exists("stat4:7:0"), 0);
	/* each loads only its own */
	CU_ASSERT_EQUAL(rd->load(b1, cb4, &g), 0);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_EQUAL(g.r[0].hwaddr[5], 30);
	/* db 3 holds the unprefixed keys */
	freeReplyObject(cmd("SELECT 3"));
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.32", "hwaddr"), "001122000020");
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 1);
	CU_ASSERT_EQUAL(get_int("peregrine:schema"), 1);
	CU_ASSERT_EQUAL(exists("t1:lease4:198.18.0.30"), 0);
	freeReplyObject(cmd("SELECT 0"));
	rd->close(b1);
	rd->close(b2);
	rd->close(b3);
}

/* Polls be's learnt op (as the flusher does) until it gave want claims
 * in all or about two seconds passed; how many it gave. */
static unsigned learn(struct lease_backend *be, struct lease_refusal *out, unsigned max,
		      unsigned want)
{
	unsigned n = 0;

	for (int i = 0; i < 2000 && n < want; i++) {
		n += rd->learnt(be, out + n, max - n);
		if (n < want)
			usleep(1000);
	}
	return n;
}

static bool subscribed(struct lease_backend *be)
{
	struct lease_refusal x[4];
	struct lease_backend_stats st;

	for (int i = 0; i < 2000; i++) {
		(void)rd->learnt(be, x, 4);
		rd->get_stats(be, &st);
		if (st.sub_connected)
			return true;
		usleep(1000);
	}
	return false;
}

/* Shared stores: a new claim reaches the other servers of the same store
 * (never its own, never another prefix's), renewals are not announced,
 * and a store that is not shared neither announces nor listens. */
static void test_claims(void)
{
	struct lease_backend *a, *b, *c, *d;
	struct conf_lease_db db;
	struct lease_rec r4 = mk4(A(40), 40, 3600), renew;
	struct lease6_rec r6 = mk6(0x40, 40, 3600);
	struct lease_refusal got[8];
	struct lease_backend_stats st;
	unsigned bad = 0;

	flush();
	db_conf(&db);
	db.shared = true;
	snprintf(db.name, sizeof(db.name), "pool");
	a = open_db(&db);
	b = open_db(&db);
	snprintf(db.name, sizeof(db.name), "elsewhere");
	c = open_db(&db);
	db.shared = false;
	snprintf(db.name, sizeof(db.name), "pool");
	d = open_db(&db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FATAL(subscribed(a) && subscribed(b) && subscribed(c));
	CU_ASSERT_EQUAL(rd->learnt(d, got, 8), 0);      /* not shared: no subscriber */
	rd->get_stats(d, &st);
	CU_ASSERT_EQUAL(st.sub_connected, 0);

	rd->append(a, &r4, 1);
	rd->append6(a, &r6, 1);
	CU_ASSERT_EQUAL_FATAL(rd->sync(a), 0);
	CU_ASSERT_EQUAL_FATAL(learn(b, got, 8, 2), 2);
	CU_ASSERT_EQUAL(got[0].family, 4);
	CU_ASSERT_EQUAL(got[0].seq, 0);
	CU_ASSERT_EQUAL(got[0].has_holder, 1);
	CU_ASSERT_EQUAL(got[0].addr, A(40));
	CU_ASSERT_EQUAL(got[0].holder.v4.addr, A(40));
	CU_ASSERT_EQUAL(got[0].holder.v4.hwaddr_len, 6);
	CU_ASSERT_EQUAL(memcmp(got[0].holder.v4.hwaddr, r4.hwaddr, 6), 0);
	CU_ASSERT_EQUAL(got[0].holder.v4.cid_len, 3);
	CU_ASSERT_EQUAL(memcmp(got[0].holder.v4.cid, r4.cid, 3), 0);
	CU_ASSERT_EQUAL(got[0].holder.v4.expire, r4.expire);
	CU_ASSERT_EQUAL(got[0].holder.v4.valid_lft, 3600);
	CU_ASSERT_EQUAL(got[0].holder.v4.subnet_id, 7);
	CU_ASSERT_EQUAL(got[0].holder.v4.state, 0);
	CU_ASSERT_EQUAL(got[1].family, 6);
	CU_ASSERT_EQUAL(got[1].seq, 0);
	CU_ASSERT(lease_addr6_eq(got[1].addr6, r6.addr));
	CU_ASSERT_EQUAL(got[1].holder.v6.duid_len, 4);
	CU_ASSERT_EQUAL(memcmp(got[1].holder.v6.duid, r6.duid, 4), 0);
	CU_ASSERT_EQUAL(got[1].holder.v6.iaid, r6.iaid);
	CU_ASSERT_EQUAL(got[1].holder.v6.type, 0);
	CU_ASSERT_EQUAL(got[1].holder.v6.prefix_len, 128);
	CU_ASSERT_EQUAL(got[1].holder.v6.pref_lft, r6.pref_lft);
	CU_ASSERT_EQUAL(got[1].holder.v6.expire, r6.expire);
	CU_ASSERT_EQUAL(got[1].holder.v6.subnet_id, 9);
	CU_ASSERT_EQUAL(learn(a, got, 8, 1), 0);        /* its own: not heard */
	CU_ASSERT_EQUAL(learn(c, got, 8, 1), 0);        /* another prefix */
	rd->get_stats(b, &st);
	CU_ASSERT_EQUAL(st.claims_heard, 2);

	/* the same client again: a renewal, not announced; a store that is
	 * not shared announces nothing */
	renew = r4;
	renew.expire += 60;
	rd->append(a, &renew, 1);
	CU_ASSERT_EQUAL_FATAL(rd->sync(a), 0);
	r4 = mk4(A(41), 41, 3600);
	rd->append(d, &r4, 1);
	CU_ASSERT_EQUAL_FATAL(rd->sync(d), 0);
	CU_ASSERT_EQUAL(learn(b, got, 8, 1), 0);
	/* another client on A's address once it expired there: announced */
	freeReplyObject(cmd("HSET pool:lease4:198.18.0.40 expire %u", now_s - 1));
	r4 = mk4(A(40), 42, 3600);
	rd->append(b, &r4, 1);
	CU_ASSERT_EQUAL_FATAL(rd->sync(b), 0);
	CU_ASSERT_EQUAL_FATAL(learn(a, got, 8, 1), 1);
	CU_ASSERT_EQUAL(got[0].holder.v4.hwaddr[5], 42);

	/* messages that do not read: counted, never a claim */
	{
		static const char *junk[] = {
			"no newline",
			"x\n4 198.18.0.1",
			"x\n4 198.18.0.1 zz 01 3600 1 1",
			"x\n4 300.1.1.1 aa 01 3600 1 1",
			"x\n6 2001:db8::1 0001 1 3 128 1 1 1 1",
			"x\n6 2001:db8::1  1 0 128 1 1 1 1",
			"x\n9 1 2 3",
			"x\n4 198.18.0.1 aa 01 3600 1 1 extra",
			"x\n4 198.18.0.1 aa 01 99999999999 1 1",
		};
		struct lease_refusals q = { 0 };
		const char *mine = "me\n4 198.18.0.1 aa  1 2 3";
		const char *two = "it\n4 198.18.0.1 aa  1 2 3\n6 2001:db8::1 01 1 2 64 1 1 1 1";

		for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
			CU_ASSERT_EQUAL(rd_claims_parse(junk[i], strlen(junk[i]), "me", &q, &bad), 0);
		CU_ASSERT_EQUAL(bad, sizeof(junk) / sizeof(junk[0]));
		CU_ASSERT_EQUAL(q.n, 0);
		CU_ASSERT_EQUAL(rd_claims_parse(mine, strlen(mine), "me", &q, &bad), 0);
		CU_ASSERT_EQUAL(rd_claims_parse(two, strlen(two), "me", &q, &bad), 2);
		CU_ASSERT_EQUAL(q.n, 2);
		CU_ASSERT_EQUAL(q.v[1].holder.v6.prefix_len, 64);
		lease_refusals_free(&q);
	}
	rd->close(a);
	rd->close(b);
	rd->close(c);
	rd->close(d);
}

/* requirepass, over TCP: the right password writes, a wrong one fails
 * with a message that names AUTH but not the password. */
static void test_auth(void)
{
	const char *port = getenv("RDT_PORT");
	struct lease_backend *be;
	struct conf_lease_db db;
	struct lease_rec r = mk4(A(40), 40, 3600);
	char err[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(port);
	flush();
	db_conf(&db);
	snprintf(db.host, sizeof(db.host), "127.0.0.1");
	snprintf(db.port, sizeof(db.port), "%s", port);
	freeReplyObject(cmd("CONFIG SET requirepass rdt-right-pw"));
	snprintf(db.password, sizeof(db.password), "rdt-wrong-pw");
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AUTH"));
	CU_ASSERT_PTR_NULL(strstr(err, "rdt-wrong-pw"));
	CU_ASSERT_PTR_NULL(strstr(err, "rdt-right-pw"));
	if (be)
		rd->close(be);
	db.password[0] = '\0';                 /* none: the schema key is refused */
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	if (be)
		rd->close(be);
	snprintf(db.password, sizeof(db.password), "rdt-right-pw");
	db.shared = true;                       /* the claims subscriber AUTHs too */
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(be);
	if (be) {
		CU_ASSERT(subscribed(be));
		rd->append(be, &r, 1);
		CU_ASSERT_EQUAL(rd->sync(be), 0);
		rd->close(be);
	}
	freeReplyObject(cmd("CONFIG SET requirepass %s", ""));
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.40", "hwaddr"), "001122000028");
}

/* The script cache flushed between syncs (a restart does it too): the
 * next sync meets NOSCRIPT, loads the script again and applies, with one
 * EVALSHA and with a MULTI of several. */
static void test_noscript(void)
{
	struct lease_backend *be;
	struct lease_rec *r = calloc(2500, sizeof(*r));
	struct lease_rec one = mk4(A(50), 50, 3600);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rd->append(be, &one, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	freeReplyObject(cmd("SCRIPT FLUSH"));
	one = mk4(A(51), 51, 3600);
	rd->append(be, &one, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(exists("lease4:198.18.0.51"), 1);
	freeReplyObject(cmd("SCRIPT FLUSH"));
	for (unsigned i = 0; i < 2500; i++)
		r[i] = mk4(0xc6130000u + i, (uint8_t)i, 3600);
	rd->append(be, r, 2500);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 2502);
	CU_ASSERT_EQUAL(exists("lease4:198.19.9.195"), 1);     /* the last, 2499 */
	rd->close(be);
	free(r);
}

/* A v6 address another server's client holds: refused, with its holder. */
static void test_refused6(void)
{
	struct lease_backend *be;
	struct lease6_rec mine = mk6(0x41, 0x41, 3600), theirs = mk6(0x40, 0x40, 3600);
	struct lease_refusal ref[4];
	struct lease_backend_stats st;

	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	freeReplyObject(cmd("HSET lease6:2001:db8::40 duid 0003ffee iaid 7 lease_type 0 prefix_len 128 "
			    "pref_lifetime 1800 valid_lifetime 3600 expire %u subnet_id 9 fqdn_fwd 0 "
			    "fqdn_rev 0 hostname other6 hwaddr %s hwtype 1 hwaddr_source 0 state 0",
			    now_s + 1000, ""));
	rd->append6(be, &mine, 1);
	rd->append6(be, &theirs, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_STRING_EQUAL(hget("lease6:2001:db8::41", "duid"), "0003ff41");
	CU_ASSERT_STRING_EQUAL(hget("lease6:2001:db8::40", "duid"), "0003ffee");
	CU_ASSERT_EQUAL_FATAL(rd->refused(be, ref, 4), 1);
	CU_ASSERT_EQUAL(ref[0].family, 6);
	CU_ASSERT_EQUAL(ref[0].seq, theirs.seq);
	CU_ASSERT(lease_addr6_eq(ref[0].addr6, theirs.addr));
	CU_ASSERT_EQUAL(ref[0].has_holder, 1);
	CU_ASSERT_EQUAL(ref[0].holder.v6.duid_len, 4);
	CU_ASSERT_EQUAL(ref[0].holder.v6.duid[3], 0xee);
	CU_ASSERT_EQUAL(ref[0].holder.v6.iaid, 7);
	CU_ASSERT_EQUAL(ref[0].holder.v6.expire, now_s + 1000);
	CU_ASSERT_STRING_EQUAL(ref[0].holder.v6.hostname, "other6");
	CU_ASSERT(lease_addr6_eq(ref[0].holder.v6.addr, theirs.addr));
	rd->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.refused, 1);
	rd->close(be);
}

/* Another connection reads the counter and the expiry index in one MULTI
 * while the big sync runs: it must only ever see none or all of it. */
struct watch {
	volatile int stop;
	unsigned seen, partial;
	long long want;
};

static void *watcher(void *arg)
{
	struct watch *w = arg;
	redisContext *c = redisConnectUnix(getenv("RDT_SOCK"));

	while (c && !c->err && !w->stop) {
		redisReply *r;
		long long a = -1, b = -1;

		redisAppendCommand(c, "MULTI");
		redisAppendCommand(c, "GET stat4:7:0");
		redisAppendCommand(c, "ZCARD expire4");
		redisAppendCommand(c, "EXEC");
		for (int k = 0; k < 4; k++) {
			void *v = NULL;

			if (redisGetReply(c, &v) != REDIS_OK)
				goto out;
			r = v;
			if (k == 3 && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
				a = r->element[0]->type == REDIS_REPLY_STRING ? atoll(r->element[0]->str) : 0;
				b = r->element[1]->integer;
			}
			freeReplyObject(r);
		}
		w->seen++;
		if (a != b || (a != 0 && a != w->want))
			w->partial++;
	}
out:
	if (c)
		redisFree(c);
	return NULL;
}

static void test_big_batch(void)
{
	enum { N = 50000 };
	struct lease_backend *be;
	struct lease_rec *r = calloc(N, sizeof(*r));
	struct lease_refusal ref[1];
	struct watch w = { .want = N };
	struct timespec t0, t1;
	pthread_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	be = fresh_be();
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	for (unsigned i = 0; i < N; i++)
		r[i] = mk4(0xc6130000u + i, (uint8_t)i, 3600);
	CU_ASSERT_EQUAL(rd->append(be, r, N), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, watcher, &w), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	w.stop = 1;
	pthread_join(t, NULL);
	printf("\n  sync of %u records: %.0f ms (printed, not checked); watcher: %u reads during "
	       "and after it, %u partial\n", N, (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, w.seen, w.partial);
	CU_ASSERT(w.seen > 0);
	CU_ASSERT_EQUAL(w.partial, 0);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), N);
	CU_ASSERT_EQUAL(integer_of(cmd("ZCARD expire4")), N);
	/* N hashes + schema + expire4 + the counter */
	CU_ASSERT_EQUAL(integer_of(cmd("DBSIZE")), N + 3);
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.19.0.0", "hwaddr"), "001122000000");
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.19.195.79", "hwaddr"), "00112200004f"); /* 49999 */
	CU_ASSERT_EQUAL(rd->refused(be, ref, 1), 0);
	rd->close(be);
	free(r);
}

static bool repl_link_up(void)
{
	redisReply *r = repl_cmd("INFO replication");
	bool up = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "master_link_status:up");

	freeReplyObject(r);
	return up;
}

static long long primary_replicas(void)
{
	redisReply *r = cmd("INFO replication");
	const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "connected_slaves:") : NULL;
	long long n = p ? atoll(p + 17) : -1;

	freeReplyObject(r);
	return n;
}

/* Polls cond every 50 ms, 15 s at most: whether it came true. */
static bool wait_until(bool (*cond)(void))
{
	for (int i = 0; i < 300; i++) {
		if (cond())
			return true;
		usleep(50000);
	}
	return false;
}

static bool no_replica(void) { return primary_replicas() == 0; }

/* wait-replicas 1: a sync succeeds with the replica attached; with it
 * detached the sync fails (the script applied on the primary, WAIT
 * short), keeps the batch and reports no refusal; attached again, the
 * same batch succeeds and its one refusal is reported once. */
static void test_wait(void)
{
	const char *rport = getenv("RDT_REPL_PORT"), *port = getenv("RDT_PORT");
	struct lease_backend *be;
	struct conf_lease_db db;
	struct lease_rec a = mk4(A(60), 60, 3600), b = mk4(A(61), 61, 3600), c = mk4(A(62), 62, 3600);
	struct lease_refusal ref[4];
	struct lease_backend_stats st;
	redisReply *x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rport);
	flush();
	/* the replica has caught up with the tests before (a busy machine) */
	CU_ASSERT_EQUAL_FATAL(integer_of(cmd("WAIT 1 15000")), 1);
	db_conf(&db);
	db.wait_replicas = 1;
	db.wait_timeout_ms = 1000;
	be = open_db(&db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rd->append(be, &a, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	x = repl_cmd("HGET lease4:198.18.0.60 hwaddr");  /* WAIT said the replica has it */
	CU_ASSERT(x && x->type == REDIS_REPLY_STRING && strcmp(x->str, "00112200003c") == 0);
	freeReplyObject(x);

	/* another server's live lease at .62, claimed in the failing batch */
	freeReplyObject(cmd("HSET lease4:198.18.0.62 hwaddr aabbccddee62 client_id %s valid_lifetime 3600 "
			    "expire %u subnet_id 7 fqdn_fwd 0 fqdn_rev 0 hostname x state 0", "", now_s + 1000));
	freeReplyObject(repl_cmd("REPLICAOF NO ONE"));
	CU_ASSERT_FATAL(wait_until(no_replica));
	rd->append(be, &b, 1);
	rd->append(be, &c, 1);
	CU_ASSERT_NOT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_EQUAL(rd->refused(be, ref, 4), 0);     /* not before the sync succeeded */
	rd->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.commits, 1);
	CU_ASSERT_EQUAL(st.refused, 0);

	freeReplyObject(repl_cmd("REPLICAOF 127.0.0.1 %s", port));
	CU_ASSERT_FATAL(wait_until(repl_link_up));
	CU_ASSERT_EQUAL(rd->sync(be), 0);                /* the kept batch, not appended again */
	CU_ASSERT_EQUAL(rd->refused(be, ref, 4), 1);
	CU_ASSERT_EQUAL(ref[0].addr, A(62));
	x = repl_cmd("HGET lease4:198.18.0.61 hwaddr");
	CU_ASSERT(x && x->type == REDIS_REPLY_STRING && strcmp(x->str, "00112200003d") == 0);
	freeReplyObject(x);
	CU_ASSERT_EQUAL(get_int("stat4:7:0"), 2);        /* .60 and .61 (the test wrote .62) */
	rd->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.commits, 2);
	CU_ASSERT_EQUAL(st.refused, 1);
	rd->close(be);
}

/* sentinels: a refused port, a stale one naming the replica, then the
 * real one: the primary is found (and written); without the real one the
 * error names each sentinel and why. */
static void test_sentinel(void)
{
	const char *real = getenv("RDT_SENTINEL"), *fake = getenv("RDT_FAKE_SENTINEL");
	struct lease_backend *be;
	struct conf_lease_db db;
	struct lease_rec r = mk4(A(70), 70, 3600);
	char err[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(real);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fake);
	CU_ASSERT_FATAL(wait_until(repl_link_up));
	flush();
	db_conf(&db);
	db.host[0] = '\0';
	snprintf(db.sentinel_master, sizeof(db.sentinel_master), "rdt");
	snprintf(db.sentinels[0], sizeof(db.sentinels[0]), "127.0.0.1:1");
	snprintf(db.sentinels[1], sizeof(db.sentinels[1]), "%s", fake);
	snprintf(db.sentinels[2], sizeof(db.sentinels[2]), "%s", real);
	db.n_sentinels = 3;
	/* the real sentinel has requirepass: without the password it does
	 * not answer, and no sentinel names the primary */
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NOAUTH"));
	if (be)
		rd->close(be);
	snprintf(db.sentinel_password, sizeof(db.sentinel_password), "wrong-pw");
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NULL(strstr(err, "wrong-pw"));
	if (be)
		rd->close(be);
	snprintf(db.sentinel_password, sizeof(db.sentinel_password), "rdt-sentinel-pw");
	be = open_db(&db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rd->append(be, &r, 1);
	CU_ASSERT_EQUAL(rd->sync(be), 0);
	CU_ASSERT_STRING_EQUAL(hget("lease4:198.18.0.70", "hwaddr"), "001122000046");
	CU_ASSERT_EQUAL(rd->ping(be), 0);
	rd->close(be);

	db.n_sentinels = 2;
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	printf("\n  without the real sentinel: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "127.0.0.1:1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, fake));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not master"));
	if (be)
		rd->close(be);
	snprintf(db.sentinels[0], sizeof(db.sentinels[0]), "%s", real);
	snprintf(db.sentinel_master, sizeof(db.sentinel_master), "nosuch");
	db.n_sentinels = 1;
	be = rd->open(&db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, real));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nosuch"));
	if (be)
		rd->close(be);
}

/* Redis's own time in the scripts since CONFIG RESETSTAT, per record. */
static void bench_redis_cpu(unsigned records)
{
	redisReply *r = cmd("INFO commandstats");
	const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "cmdstat_evalsha:") : NULL;
	unsigned long long calls, usec;

	if (p && sscanf(p, "cmdstat_evalsha:calls=%llu,usec=%llu", &calls, &usec) == 2)
		printf("  redis: %llu EVALSHA, %.2f us of script time per record\n", calls,
		       (double)usec / records);
	freeReplyObject(r);
}

static void bench(void)
{
	struct lease_backend *be;
	struct lease_rec *r = calloc(1024, sizeof(*r));
	struct timespec t0, t1;
	unsigned batches = 32;
	double s;

	be = fresh_be();
	if (be == NULL || r == NULL) {
		free(r);
		return;
	}
	freeReplyObject(cmd("CONFIG RESETSTAT"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned b = 0; b < batches; b++) {
		for (unsigned i = 0; i < 1024; i++)
			r[i] = mk4(0xc6130000u + b * 1024 + i, (uint8_t)i, 3600);
		rd->append(be, r, 1024);
		if (rd->sync(be))
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("\n  bench: %u batches of 1024 new v4 leases, append+sync: %.0f leases/s\n",
	       batches, batches * 1024 / s);
	bench_redis_cpu(batches * 1024);
	free(r);
	rd->close(be);
}

static const struct {
	const char *name;
	CU_TestFunc fn;
} tests[] = {
	{ "registry", test_registry },
	{ "schema key created, another version refused", test_schema },
	{ "v4/v6 round trip, as stored and as loaded", test_roundtrip },
	{ "renew, release, decline; the counters follow", test_renew_remove },
	{ "another server's lease refused with its holder, expired one overwritten",
	  test_conflict },
	{ "a failed sync keeps every record", test_failed_sync },
	{ "bad records skipped and counted", test_bad_records },
	{ "key prefixes apart, a database number selected", test_prefix_db },
	{ "shared stores hear each other's new claims, not their own or renewals", test_claims },
	{ "AUTH over TCP: the right password writes, a wrong one is not shown", test_auth },
	{ "SCRIPT FLUSH between syncs: NOSCRIPT, loaded again, applied", test_noscript },
	{ "v6: another server's lease refused with its holder", test_refused6 },
	{ "50,000 records in one sync, applied whole and atomically", test_big_batch },
	{ "wait-replicas 1: short WAIT fails the sync, kept, later applied once", test_wait },
	{ "sentinels: refused, stale and real; the error names each", test_sentinel },
	{ "throughput (printed)", bench },
};

int main(void)
{
	const char *sock = getenv("RDT_SOCK");
	CU_pSuite s;
	unsigned fails;

	if (sock == NULL) {
		fprintf(stderr, "redis_test: run by redis_test.sh (RDT_SOCK)\n");
		return 77;
	}
	/* as the server does: a write to a closed connection is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	now_s = (uint32_t)time(NULL);
	rd = lease_backend_find("redis");
	cli = redisConnectUnix(sock);
	if (rd == NULL || cli == NULL || cli->err)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("redis backend", NULL, NULL);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	redisFree(cli);
	return fails ? 1 : 0;
}
