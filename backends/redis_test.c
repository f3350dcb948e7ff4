/* The "redis" lease backend against a real redis-server, started once by
 * redis_test.sh (scripts/redistest.sh), which passes its unix socket in
 * RDT_SOCK.  The hashes are checked with HGETALL on a connection of the
 * test's own (which also plays the other server writing the store). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "lease_backend.h"

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

static struct lease_backend *open_be(void)
{
	struct conf_lease_db db;
	char err[512] = "";
	struct lease_backend *be;

	db_conf(&db);
	be = rd->open(&db, err, sizeof(err));
	if (be == NULL)
		fprintf(stderr, "open: %s\n", err);
	return be;
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

	flush();
	be = open_be();
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

	flush();
	be = open_be();
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

	flush();
	be = open_be();
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

	flush();
	be = open_be();
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

	flush();
	be = open_be();
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

	flush();
	be = open_be();
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

static void bench(void)
{
	struct lease_backend *be;
	struct lease_rec *r = calloc(1024, sizeof(*r));
	struct timespec t0, t1;
	unsigned batches = 32;
	double s;

	flush();
	be = open_be();
	if (be == NULL || r == NULL) {
		free(r);
		return;
	}
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
	free(r);
	rd->close(be);
}

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
	CU_add_test(s, "registry", test_registry);
	CU_add_test(s, "schema key created, another version refused", test_schema);
	CU_add_test(s, "v4/v6 round trip, as stored and as loaded", test_roundtrip);
	CU_add_test(s, "renew, release, decline; the counters follow", test_renew_remove);
	CU_add_test(s, "another server's lease refused with its holder, expired one overwritten",
		    test_conflict);
	CU_add_test(s, "a failed sync keeps every record", test_failed_sync);
	CU_add_test(s, "bad records skipped and counted", test_bad_records);
	CU_add_test(s, "throughput (printed)", bench);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	redisFree(cli);
	return fails ? 1 : 0;
}
