/* Unit tests for the lease backends and the write-behind flusher.
 * Run from backends/ (fixtures in testdata/).  Scratch files go under
 * $PG_BACKEND_TEST_DIR (default /tmp), so the group-commit numbers can be
 * taken on different file systems.  The EAL is never initialised: the
 * flusher's rings must work without it. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lease_backend.h"
#include "wb.h"

#define FIXTURE "testdata/kea22-leases4.csv"
#define FIXTURE_LFC "testdata/kea22-leases4.lfc.csv"

static const struct lease_backend_ops *mf;
static char tdir[512];

/* ---- helpers -------------------------------------------------------- */

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void path_in(char *buf, size_t len, const char *sub, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", tdir, sub, name);
}

static void fresh_dir(const char *sub)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s' && mkdir -p '%s/%s'", tdir, sub, tdir, sub);
	CU_ASSERT_FATAL(system(cmd) == 0);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[2400];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	CU_ASSERT_FATAL(system(cmd) == 0);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static struct lease_backend *open_be(const char *path)
{
	struct conf_lease_db db = { .type = CONF_DB_MEMFILE, .durability = CONF_DUR_COMMIT };
	char err[256] = "";
	struct lease_backend *be;

	snprintf(db.name, sizeof(db.name), "%s", path);
	be = mf->open(&db, err, sizeof(err));
	if (be == NULL)
		fprintf(stderr, "open %s: %s\n", path, err);
	return be;
}

/* Every record replayed, then reduced to the lease set: the last record
 * per address, without deleted (valid 0) and expired-reclaimed ones. */
struct set {
	struct lease_rec *r;
	size_t n, cap;
};

static int set_add(const struct lease_rec *r, void *arg)
{
	struct set *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->r = realloc(s->r, s->cap * sizeof(*s->r));
		if (s->r == NULL)
			return -ENOMEM;
	}
	s->r[s->n] = *r;
	s->r[s->n].seq = s->n;          /* replay order, for the reduction */
	s->n++;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct lease_rec *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void set_reduce(struct set *s)
{
	size_t i, k = 0;

	qsort(s->r, s->n, sizeof(*s->r), rec_cmp);
	for (i = 0; i < s->n; i++) {
		if (i + 1 < s->n && s->r[i + 1].addr == s->r[i].addr)
			continue;
		if (s->r[i].valid_lft == 0 || s->r[i].state == 2)
			continue;
		s->r[k] = s->r[i];
		s->r[k].seq = 0;
		k++;
	}
	s->n = k;
}

static int load_set(const char *path, struct set *s, struct lease_backend_stats *st)
{
	struct lease_backend *be = open_be(path);
	int ret;

	memset(s, 0, sizeof(*s));
	if (be == NULL)
		return -errno;
	ret = mf->load(be, set_add, s);
	if (st)
		mf->get_stats(be, st);
	mf->close(be);
	set_reduce(s);
	return ret;
}

static const struct lease_rec *set_find(const struct set *s, uint32_t addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].addr == addr)
			return &s->r[i];
	return NULL;
}

static int set_equal(const struct set *a, const struct set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->r[i], &b->r[i], sizeof(a->r[i])) != 0)
			return 0;
	return 1;
}

static void rec_init(struct lease_rec *r, uint32_t addr, uint32_t valid, uint8_t state)
{
	memset(r, 0, sizeof(*r));
	r->addr = addr;
	r->subnet_id = 7;
	r->valid_lft = valid;
	r->expire = 1800000000u + addr % 1000;
	r->state = state;
	r->htype = 1;
	r->hwaddr_len = 6;
	for (int i = 0; i < 6; i++)
		r->hwaddr[i] = (uint8_t)(addr >> (i % 4 * 8)) ^ (uint8_t)i;
	r->cid_len = 7;
	r->cid[0] = 1;
	memcpy(r->cid + 1, r->hwaddr, 6);
	r->hostname_len = (uint8_t)snprintf(r->hostname, sizeof(r->hostname), "h%u,x", addr & 0xffff);
}

/* Zero what lies past each length, as a parsed record has it. */
static void rec_clean(struct lease_rec *r)
{
	memset(r->hwaddr + r->hwaddr_len, 0, sizeof(r->hwaddr) - r->hwaddr_len);
	memset(r->cid + r->cid_len, 0, sizeof(r->cid) - r->cid_len);
	if (r->hostname_len < sizeof(r->hostname))
		memset(r->hostname + r->hostname_len, 0, sizeof(r->hostname) - r->hostname_len);
	r->seq = 0;
}

static int append_sync(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	int ret = mf->append(be, r, n);

	return ret ? ret : mf->sync(be);
}

/* ---- CSV ------------------------------------------------------------ */

static void test_registry(void)
{
	static const struct lease_backend_ops dup = { .name = "memfile" };

	CU_ASSERT_PTR_NOT_NULL(mf);
	CU_ASSERT_STRING_EQUAL(mf->name, "memfile");
	CU_ASSERT_PTR_NULL(lease_backend_find("nope"));
	CU_ASSERT_PTR_NULL(lease_backend_find(NULL));
	CU_ASSERT_EQUAL(lease_backend_register(&dup), -EINVAL);   /* no functions */
	CU_ASSERT_EQUAL(lease_backend_register(mf), -EEXIST);
}

static void test_csv_kea_line(void)
{
	/* The exact line kea-dhcp4 2.2 wrote for this lease (fixture), minus
	 * its user_context which we do not write. */
	static const char kea[] =
		"198.18.4.1,0a:0b:0c:0d:0e:0f,01:0a:0b:0c:0d:0e:0f,4000,1795481271,1,1,0,"
		"host&#x2cwith&#x2ccommas.example,0,\n";
	char buf[LEASE_CSV_LINE_MAX];
	struct lease_rec r;
	int trunc, n;

	CU_ASSERT_EQUAL_FATAL(lease_csv_parse(kea, sizeof(kea) - 2, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.addr, ip(198, 18, 4, 1));
	CU_ASSERT_STRING_EQUAL(r.hostname, "host,with,commas.example");
	CU_ASSERT_EQUAL(r.hostname_len, 24);
	CU_ASSERT_EQUAL(r.fqdn_fwd, 1);
	CU_ASSERT_EQUAL(r.fqdn_rev, 0);
	n = lease_csv_format(&r, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)sizeof(kea) - 1);
	CU_ASSERT_NSTRING_EQUAL(buf, kea, sizeof(kea) - 1);
	CU_ASSERT_EQUAL(lease_csv_format(&r, buf, 20), -ENOSPC);
}

static void test_csv_roundtrip(void)
{
	struct lease_rec in[6], out;
	char buf[LEASE_CSV_LINE_MAX];
	unsigned i;
	int n, trunc;

	rec_init(&in[0], ip(10, 0, 0, 1), 3600, 0);
	/* longest client-id, longest hwaddr, every flag, state 1 */
	rec_init(&in[1], ip(255, 255, 255, 254), UINT32_MAX, 1);
	in[1].cid_len = 255;
	for (i = 0; i < 255; i++)
		in[1].cid[i] = (uint8_t)(i * 7 + 3);
	in[1].hwaddr_len = 16;
	for (i = 0; i < 16; i++)
		in[1].hwaddr[i] = (uint8_t)(0xf0 + i);
	in[1].fqdn_fwd = 1;
	in[1].fqdn_rev = 1;
	in[1].expire = UINT32_MAX;
	in[1].subnet_id = UINT32_MAX;
	/* 63-byte hostname of nothing but characters that must be escaped */
	memset(in[1].hostname, ',', 63);
	in[1].hostname[10] = '\n';
	in[1].hostname[11] = '&';
	in[1].hostname[12] = '#';
	in[1].hostname[13] = 'x';
	in[1].hostname[14] = '2';
	in[1].hostname[15] = 'c';
	in[1].hostname[63] = '\0';
	in[1].hostname_len = 63;
	/* empty hwaddr/client-id/hostname (a declined lease), state 2 */
	rec_init(&in[2], ip(192, 0, 2, 9), 0, 2);
	in[2].hwaddr_len = 0;
	in[2].cid_len = 0;
	in[2].hostname_len = 0;
	in[2].hostname[0] = '\0';
	in[2].expire = 0;
	/* one-byte client-id, a plain '&' kept as is */
	rec_init(&in[3], ip(1, 2, 3, 4), 1, 0);
	in[3].cid_len = 1;
	in[3].hostname_len = (uint8_t)snprintf(in[3].hostname, sizeof(in[3].hostname), "a&b.example");
	in[3].fqdn_rev = 1;
	rec_init(&in[4], ip(172, 16, 0, 1), 86400, 1);
	in[4].subnet_id = 0;
	rec_init(&in[5], ip(100, 64, 3, 200), 120, 0);
	memset(in[5].hostname, 'a', 63);
	in[5].hostname_len = 63;

	for (i = 0; i < 6; i++) {
		rec_clean(&in[i]);
		n = lease_csv_format(&in[i], buf, sizeof(buf));
		CU_ASSERT_FATAL(n > 0 && buf[n - 1] == '\n');
		CU_ASSERT_PTR_NULL(memchr(buf, '\n', (size_t)n - 1));   /* one line */
		CU_ASSERT_EQUAL_FATAL(lease_csv_parse(buf, (size_t)n - 1, &out, &trunc), 0);
		CU_ASSERT_EQUAL(trunc, 0);
		in[i].seq = 0;
		CU_ASSERT_EQUAL(memcmp(&in[i], &out, sizeof(out)), 0);
	}
	/* commas escaped as Kea does */
	n = lease_csv_format(&in[0], buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",h1&#x2cx,0,\n"));

	/* and through a file: append, sync, reopen, load */
	char path[1024];
	struct set s;

	fresh_dir("rt");
	path_in(path, sizeof(path), "rt", "leases4.csv");
	struct lease_backend *be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append_sync(be, in, 6), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 5);        /* in[2] is valid 0: deleted */
	for (i = 0; i < 6; i++) {
		const struct lease_rec *f = set_find(&s, in[i].addr);

		if (i == 2) {
			CU_ASSERT_PTR_NULL(f);
			continue;
		}
		CU_ASSERT_FATAL(f != NULL);
		CU_ASSERT_EQUAL(memcmp(f, &in[i], sizeof(*f)), 0);
	}
	free(s.r);
}

static void test_csv_lenient_and_long(void)
{
	struct lease_rec r;
	int trunc;
	/* Kea 1.0 schema (9 columns), contiguous hex, one-digit colon groups, true/false, CRLF */
	static const char l9[] = "10.1.2.3,a:b:c:d:e:f,0102,60,1000,3,true,false,x\r";
	/* a 70-byte hostname is cut to 63 and flagged */
	static const char llong[] =
		"10.1.2.4,,,60,1000,3,0,0,"
		"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggggggggg,0,";

	CU_ASSERT_EQUAL_FATAL(lease_csv_parse(l9, sizeof(l9) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.hwaddr_len, 6);
	CU_ASSERT_EQUAL(r.hwaddr[0], 0x0a);
	CU_ASSERT_EQUAL(r.hwaddr[5], 0x0f);
	CU_ASSERT_EQUAL(r.cid_len, 2);
	CU_ASSERT_EQUAL(r.cid[1], 2);
	CU_ASSERT_EQUAL(r.fqdn_fwd, 1);
	CU_ASSERT_EQUAL(r.state, 0);
	CU_ASSERT_STRING_EQUAL(r.hostname, "x");
	CU_ASSERT_EQUAL_FATAL(lease_csv_parse(llong, sizeof(llong) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(trunc, 1);
	CU_ASSERT_EQUAL(r.hostname_len, 63);
	CU_ASSERT_EQUAL(r.hostname[62], 'g');
	CU_ASSERT_EQUAL(r.hostname[63], '\0');
}

/* ---- memfile ---------------------------------------------------------- */

static void test_kea_fixture(void)
{
	struct lease_backend_stats st;
	const struct lease_rec *r;
	struct set s, lfc;
	char path[1024];

	fresh_dir("kea");
	path_in(path, sizeof(path), "kea", "kea-leases4.csv");
	copy_file(FIXTURE, path);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &s, &st), 0);
	/* 205 records: 199 perfdhcp DORAs, a real DECLINE and RELEASE, four
	 * lease_cmds changes; lease4-get-all on that server listed 200. */
	CU_ASSERT_EQUAL(st.loaded, 205);
	CU_ASSERT_EQUAL(st.bad_lines, 0);
	CU_ASSERT_EQUAL(s.n, 200);
	r = set_find(&s, ip(198, 18, 1, 2));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->hwaddr_len, 6);
	CU_ASSERT_EQUAL(r->hwaddr[5], 0x05);
	CU_ASSERT_EQUAL(r->cid_len, 7);
	CU_ASSERT_EQUAL(r->cid[0], 0x01);
	CU_ASSERT_EQUAL(r->valid_lft, 4000);
	CU_ASSERT_EQUAL(r->expire, 1795481265u);
	CU_ASSERT_EQUAL(r->subnet_id, 1);
	CU_ASSERT_EQUAL(r->state, 0);
	/* the DECLINE: hwaddr cleared, probation lifetime, state 1 */
	r = set_find(&s, ip(198, 18, 1, 1));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->state, 1);
	CU_ASSERT_EQUAL(r->hwaddr_len, 0);
	CU_ASSERT_EQUAL(r->valid_lft, 3600);
	/* the RELEASE and the lease4-del: valid_lifetime 0 records */
	CU_ASSERT_PTR_NULL(set_find(&s, ip(198, 18, 1, 10)));
	CU_ASSERT_PTR_NULL(set_find(&s, ip(198, 18, 4, 3)));
	/* escaped hostname, fqdn flag, and a user_context with escaped commas */
	r = set_find(&s, ip(198, 18, 4, 1));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_STRING_EQUAL(r->hostname, "host,with,commas.example");
	CU_ASSERT_EQUAL(r->fqdn_fwd, 1);
	CU_ASSERT_EQUAL(r->fqdn_rev, 0);

	/* Kea's own kea-lfc, run on the same file, kept the same lease set. */
	path_in(path, sizeof(path), "kea", "kea-lfc.csv");
	copy_file(FIXTURE_LFC, path);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &lfc, &st), 0);
	CU_ASSERT_EQUAL(st.loaded, 200);
	CU_ASSERT_TRUE(set_equal(&s, &lfc));
	free(s.r);
	free(lfc.r);
}

/* Kea 2.2 reads what we write: kea-lfc (Kea's own lease-file parser and
 * writer) compacts a file we wrote, and the lease set survives.  Client-
 * ids stay <= 128 bytes here: Kea refuses longer ones (ours keeps 255). */
static void test_kea_reads_ours(void)
{
	struct lease_rec r[6];
	struct set ours, kea;
	struct lease_backend *be;
	char path[1024], cmd[4096];

	if (access("/usr/sbin/kea-lfc", X_OK) != 0) {
		printf("\n  kea-lfc not installed: skipped");
		return;
	}
	fresh_dir("kea-ours");
	path_in(path, sizeof(path), "kea-ours", "l.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	for (unsigned i = 0; i < 6; i++)
		rec_init(&r[i], ip(198, 18, 9, 1 + i), 3600, i == 3 ? 1 : 0);
	r[1].hwaddr_len = 16;
	r[2].cid_len = 128;
	for (unsigned i = 0; i < 128; i++)
		r[2].cid[i] = (uint8_t)(i * 3);
	r[3].hwaddr_len = 0;
	r[3].cid_len = 0;
	r[4].hostname_len = (uint8_t)snprintf(r[4].hostname, sizeof(r[4].hostname), "a,b&#x41,c.example");
	r[4].fqdn_fwd = 1;
	r[4].fqdn_rev = 1;
	r[5].valid_lft = 0;                             /* deleted */
	CU_ASSERT_EQUAL(append_sync(be, r, 6), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &ours, NULL), 0);
	CU_ASSERT_EQUAL(ours.n, 5);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/kea-ours' && mv l.csv k.1 && echo '{}' > c.json && "
		 "KEA_LOCKFILE_DIR=. KEA_PIDFILE_DIR=. kea-lfc -4 -x k.2 -i k.1 -o k.out -f k.done -p k.pid -c c.json >/dev/null 2>&1 && "
		 "test -e k.2", tdir);
	CU_ASSERT_FATAL(system(cmd) == 0);
	path_in(path, sizeof(path), "kea-ours", "k.2");
	CU_ASSERT_EQUAL_FATAL(load_set(path, &kea, NULL), 0);
	CU_ASSERT_TRUE(set_equal(&ours, &kea));
	free(ours.r);
	free(kea.r);
}

/* Open path, append n records, close; then how many leases it loads
 * (-1 when it cannot be opened or loaded). */
static long append_count(const char *path, const struct lease_rec *r, unsigned n,
			 struct set *s)
{
	struct lease_backend *be = open_be(path);

	if (be == NULL)
		return -1;
	CU_ASSERT_EQUAL(append_sync(be, r, n), 0);
	mf->close(be);
	return load_set(path, s, NULL) == 0 ? (long)s->n : -1;
}

static void test_delete(void)
{
	struct lease_rec r[3];
	struct set s;
	char path[1024];

	fresh_dir("del");
	path_in(path, sizeof(path), "del", "l.csv");
	rec_init(&r[0], ip(10, 0, 0, 1), 100, 0);
	rec_init(&r[1], ip(10, 0, 0, 2), 100, 0);
	rec_init(&r[2], ip(10, 0, 0, 1), 0, 0);       /* deletes 10.0.0.1 */
	CU_ASSERT_EQUAL_FATAL(append_count(path, r, 3, &s), 1);
	CU_ASSERT_PTR_NULL(set_find(&s, ip(10, 0, 0, 1)));
	CU_ASSERT_PTR_NOT_NULL(set_find(&s, ip(10, 0, 0, 2)));
	free(s.r);
	/* re-added after the delete: back */
	CU_ASSERT_EQUAL_FATAL(append_count(path, r, 1, &s), 2);
	free(s.r);
	/* A lease file in a directory that does not exist yet: made. */
	path_in(path, sizeof(path), "del", "var/lib/l.csv");
	CU_ASSERT_EQUAL_FATAL(append_count(path, r, 2, &s), 2);
	free(s.r);
}

static void test_bad_lines(void)
{
	struct lease_backend_stats st;
	struct lease_backend *be;
	struct lease_rec r;
	char path[1024];
	struct set s;
	static const char text[] =
		"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"
		"10.0.0.1,00:11:22:33:44:55,,100,2000,1,0,0,,0,\n"
		"garbage\n"
		"10.0.0.2,00:11:22:33:44:55,,100,2000,1,0,0,,0\n"        /* 10 columns under an 11 header */
		"10.0.0.300,00:11:22:33:44:55,,100,2000,1,0,0,,0,\n"     /* bad address */
		"0.0.0.0,00:11:22:33:44:55,,100,2000,1,0,0,,0,\n"        /* not an address to lease */
		"10.0.0.3,00:1g:22:33:44:55,,100,2000,1,0,0,,0,\n"       /* bad hex */
		"10.0.0.4,00:11:22:33:44:55,,-1,2000,1,0,0,,0,\n"        /* negative */
		"10.0.0.5,00:11:22:33:44:55,,100,2000,1,0,0,,7,\n"       /* state 7 */
		"10.0.0.6,00:11:22:33:44:55,,100,2000,1,2,0,,0,\n"       /* fqdn flag 2 */
		"10.0.0.7,00:11:22:33:44:55,,4294967296,2000,1,0,0,,0,\n" /* > 32 bits */
		"10.0.0.8,00:11:22:33:44:55,,100,2000,1,0,0,,0,{},x\n"   /* 12 columns */
		"\n"                                                     /* empty: ignored */
		"10.0.0.9,00:11:22:33:44:55,,100,2000,1,0,0,,0,{ \"a\": 1&#x2c \"b\": \"x&#x2cy\" }\n"
		"10.0.0.10,00:11:22:33:44:55,,100,2000,1,0,0";           /* torn write */

	fresh_dir("bad");
	path_in(path, sizeof(path), "bad", "l.csv");
	write_text(path, text);
	/* Opening adds a newline after the torn line, so this record lands on
	 * a line of its own. */
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rec_init(&r, ip(10, 0, 0, 11), 100, 0);
	CU_ASSERT_EQUAL(append_sync(be, &r, 1), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &s, &st), 0);
	CU_ASSERT_EQUAL(st.bad_lines, 11);
	CU_ASSERT_EQUAL(st.loaded, 3);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_PTR_NOT_NULL(set_find(&s, ip(10, 0, 0, 1)));
	CU_ASSERT_PTR_NOT_NULL(set_find(&s, ip(10, 0, 0, 9)));
	CU_ASSERT_PTR_NOT_NULL(set_find(&s, ip(10, 0, 0, 11)));
	free(s.r);

	/* A file of another kind (a DHCPv6 lease file) is refused, not
	 * silently read as 0 leases. */
	write_text(path, "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
			 "fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context\n");
	CU_ASSERT_EQUAL(load_set(path, &s, NULL), -EINVAL);
	free(s.r);
}

/* A random history over 300 addresses: grants, renewals, deletes,
 * declines and expired-reclaimed records. */
static void make_history(struct lease_rec *r, unsigned n, unsigned seed)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned x = (seed += 2654435761u) >> 7;
		unsigned kind = x % 10;

		rec_init(&r[i], ip(10, 9, 1 + (x >> 8) % 2, 1 + (x >> 12) % 150),
			 kind == 0 ? 0 : 600 + kind, kind == 1 ? 1 : kind == 2 ? 2 : 0);
		r[i].expire += i;
	}
}

static void test_compaction(void)
{
	enum { N = 3000 };
	struct lease_rec *h = calloc(N, sizeof(*h));
	struct lease_backend_stats st;
	struct set before, after, direct;
	struct lease_backend *be;
	char path[1024], p2[1100];
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	make_history(h, N, 1);
	fresh_dir("lfc");
	path_in(path, sizeof(path), "lfc", "l.csv");
	snprintf(p2, sizeof(p2), "%s.2", path);
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append_sync(be, h, 1000), 0);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	/* appends go on while the merge runs */
	CU_ASSERT_EQUAL(append_sync(be, h + 1000, 1000), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	ret = mf->compact(be);          /* the merge just started: usually busy */
	CU_ASSERT(ret == -EBUSY || ret == 0);
	CU_ASSERT_EQUAL(append_sync(be, h + 2000, 1000), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->get_stats(be, &st);
	mf->close(be);
	CU_ASSERT(st.compactions >= 2);
	CU_ASSERT_EQUAL(st.compact_errors, 0);
	CU_ASSERT_TRUE(exists(p2));

	/* the same history written to one file and replayed */
	path_in(path, sizeof(path), "lfc", "direct.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append_sync(be, h, N), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &direct, NULL), 0);
	path_in(path, sizeof(path), "lfc", "l.csv");
	CU_ASSERT_EQUAL_FATAL(load_set(path, &after, NULL), 0);
	CU_ASSERT(direct.n > 50);
	CU_ASSERT_TRUE(set_equal(&direct, &after));

	/* .2 alone holds one line per kept lease: compaction really compacted */
	path_in(path, sizeof(path), "lfc", "only2.csv");
	copy_file(p2, path);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &before, &st), 0);
	CU_ASSERT_EQUAL(st.loaded, before.n);
	CU_ASSERT_EQUAL(st.bad_lines, 0);
	free(before.r);
	free(after.r);
	free(direct.r);
	free(h);
}

/* Every state a crash can leave during rotation or compaction loads the
 * same lease set, and open() finishes the interrupted steps. */
static void test_crash_points(void)
{
	enum { N = 2400 };
	struct lease_rec *h = calloc(N, sizeof(*h));
	char base[1024], cmd[4096], f[1100];
	struct set want, got;
	struct lease_backend *be;
	/* which files exist in each state: .2, .1, live, .output (partial or
	 * whole merge), .completed */
	static const struct {
		const char *what;
		int old2, one, live, output, completed;
	} st[] = {
		{ "before rotation (live holds the .1 records)", 1, 0, 2, 0, 0 },
		{ "rotated, new live not yet created", 1, 1, 0, 0, 0 },
		{ "rotated", 1, 1, 1, 0, 0 },
		{ "merge half written", 1, 1, 1, 1, 0 },
		{ "merge written, not renamed", 1, 1, 1, 2, 0 },
		{ ".completed, inputs still there", 1, 1, 1, 0, 1 },
		{ ".completed, .1 removed", 1, 0, 1, 0, 1 },
		{ ".completed, .1 and .2 removed", 0, 0, 1, 0, 1 },
		{ "done", 2, 0, 1, 0, 0 },
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	make_history(h, N, 99);
	/* Reference: .2 from an earlier compaction, .1 rotated, live. */
	fresh_dir("crash-ref");
	path_in(base, sizeof(base), "crash-ref", "l.csv");
	be = open_be(base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append_sync(be, h, 800), 0);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);       /* .2 */
	CU_ASSERT_EQUAL(append_sync(be, h + 800, 800), 0);
	mf->close(be);
	snprintf(cmd, sizeof(cmd), "cd '%s/crash-ref' && test -e l.csv.2 && ! test -e l.csv.1 && "
		 "cp l.csv l.csv.one && cp l.csv.2 old2", tdir);
	CU_ASSERT_FATAL(system(cmd) == 0);
	/* the merge of .2 + .1 as our compaction writes it */
	be = open_be(base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	CU_ASSERT_EQUAL(append_sync(be, h + 1600, 800), 0);  /* the live file */
	mf->close(be);
	snprintf(cmd, sizeof(cmd), "cd '%s/crash-ref' && mv l.csv.2 merged && mv l.csv live", tdir);
	CU_ASSERT_FATAL(system(cmd) == 0);

	/* expected set: the whole history replayed from one file */
	path_in(f, sizeof(f), "crash-ref", "all.csv");
	be = open_be(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append_sync(be, h, N), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(f, &want, NULL), 0);
	CU_ASSERT(want.n > 50);

	for (unsigned i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		char d[600];

		snprintf(d, sizeof(d), "crash-%u", i);
		fresh_dir(d);
		snprintf(d, sizeof(d), "%s/crash-%u", tdir, i);
		snprintf(cmd, sizeof(cmd),
			 "set -e; cd '%s';"
			 "%s %s %s %s %s %s %s",
			 d,
			 st[i].old2 == 1 ? "cp ../crash-ref/old2 l.csv.2;" :
			 st[i].old2 == 2 ? "cp ../crash-ref/merged l.csv.2;" : "",
			 st[i].one ? "cp ../crash-ref/l.csv.one l.csv.1;" : "",
			 st[i].live == 1 ? "cp ../crash-ref/live l.csv;" : "",
			 /* before rotation, live = .1 records then the live ones */
			 st[i].live == 2 ? "cat ../crash-ref/l.csv.one > l.csv; tail -n +2 ../crash-ref/live >> l.csv;" : "",
			 st[i].output == 1 ? "head -c 3000 ../crash-ref/merged > l.csv.output;" : "",
			 st[i].output == 2 ? "cp ../crash-ref/merged l.csv.output;" : "",
			 st[i].completed ? "cp ../crash-ref/merged l.csv.completed;" : "");
		CU_ASSERT_FATAL(system(cmd) == 0);
		/* "rotated, new live not yet created" has the live records in
		 * neither file: its expected set is the history up to 1600. */
		snprintf(f, sizeof(f), "%s/l.csv", d);
		CU_ASSERT_EQUAL_FATAL(load_set(f, &got, NULL), 0);
		if (st[i].live == 0) {
			struct set part;
			char p[700];

			snprintf(p, sizeof(p), "%s/part.csv", d);
			be = open_be(p);
			CU_ASSERT_PTR_NOT_NULL_FATAL(be);
			CU_ASSERT_EQUAL(append_sync(be, h, 1600), 0);
			mf->close(be);
			CU_ASSERT_EQUAL_FATAL(load_set(p, &part, NULL), 0);
			CU_ASSERT_TRUE(set_equal(&part, &got));
			free(part.r);
		} else {
			if (!set_equal(&want, &got))
				fprintf(stderr, "\ncrash state '%s': %zu leases, want %zu\n", st[i].what,
					got.n, want.n);
			CU_ASSERT_TRUE(set_equal(&want, &got));
		}
		free(got.r);
		/* recovered: no .output, no .completed left */
		snprintf(f, sizeof(f), "%s/l.csv.output", d);
		CU_ASSERT_FALSE(exists(f));
		snprintf(f, sizeof(f), "%s/l.csv.completed", d);
		CU_ASSERT_FALSE(exists(f));
		/* and a compaction from here still yields the same set */
		if (st[i].live) {
			snprintf(f, sizeof(f), "%s/l.csv", d);
			be = open_be(f);
			CU_ASSERT_PTR_NOT_NULL_FATAL(be);
			CU_ASSERT_EQUAL(mf->compact(be), 0);
			CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
			CU_ASSERT_EQUAL(mf->compact(be), 0);
			CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
			mf->close(be);
			CU_ASSERT_EQUAL_FATAL(load_set(f, &got, NULL), 0);
			CU_ASSERT_TRUE(set_equal(&want, &got));
			free(got.r);
		}
	}
	free(want.r);
	free(h);
}

/* ---- write-behind ------------------------------------------------------- */

/* A wrapper backend over memfile that checks the commit contract: it
 * records, per worker, the highest seq appended before each sync began,
 * and only after the sync returns marks it synced. */
static struct {
	struct lease_backend *be;
	uint64_t appended[2];
	uint64_t synced[2];
	unsigned sync_delay_us;
} wr;

static int wr_append(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	int ret = mf->append(be, r, n);

	for (unsigned i = 0; ret == 0 && i < n; i++) {
		unsigned w = r[i].subnet_id - 1;

		if (r[i].seq > wr.appended[w])
			__atomic_store_n(&wr.appended[w], r[i].seq, __ATOMIC_RELAXED);
	}
	return ret;
}

static int wr_sync(struct lease_backend *be)
{
	uint64_t a0 = wr.appended[0], a1 = wr.appended[1];
	int ret;

	if (wr.sync_delay_us)
		usleep(wr.sync_delay_us);       /* widen the window a bug would use */
	ret = mf->sync(be);
	if (ret == 0) {
		__atomic_store_n(&wr.synced[0], a0, __ATOMIC_RELEASE);
		__atomic_store_n(&wr.synced[1], a1, __ATOMIC_RELEASE);
	}
	return ret;
}

static struct lease_backend_ops wr_ops;

/* The workers' lease-change logs the flusher under test reads. */
static struct lease_log *tlogs[2];

static void free_logs(void)
{
	for (unsigned i = 0; i < 2; i++) {
		lease_log_free(tlogs[i]);
		tlogs[i] = NULL;
	}
}

/* n fresh logs of `size` entries (NULL + errno when size is refused). */
static struct lease_log *const *test_logs(unsigned n, unsigned size)
{
	struct lease_log_params lp = { .size = size };

	free_logs();
	for (unsigned i = 0; i < n; i++) {
		tlogs[i] = lease_log_create(&lp);
		if (tlogs[i] == NULL) {
			int e = errno;

			free_logs();
			errno = e;
			return NULL;
		}
	}
	return tlogs;
}

static void wb_done(struct wb *wb)
{
	wb_free(wb);
	free_logs();
}

/* What a worker does for one lease change: r->seq gets its sequence. */
static int log_push(unsigned w, struct lease_rec *r)
{
	struct lease_change *c = lease_log_claim(tlogs[w]);

	r->seq = 0;
	if (c == NULL)
		return -ENOBUFS;
	c->family = LEASE_FAMILY_V4;
	c->op = r->valid_lft ? LEASE_OP_ADD : LEASE_OP_DELETE;
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v4 = *r;
	r->seq = lease_log_commit(tlogs[w]);
	return 0;
}

struct prod_arg {
	struct wb *wb;
	unsigned w;
	unsigned n;
	unsigned rate;                  /* pushes/s, 0 = as fast as possible */
	uint64_t retries;
};

static void prod_rec(struct lease_rec *r, unsigned w, unsigned i)
{
	rec_init(r, ip(10, 100 + w, 0, 0) + i + 1, 3600, 0);
	r->subnet_id = w + 1;
	r->expire = i + 1;              /* what its seq will be */
}

static void *producer(void *arg)
{
	struct prod_arg *pa = arg;
	struct lease_rec r;

	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < pa->n; i++) {
		if (pa->rate) {
			uint64_t due = t0 + (uint64_t)i * 1000000000u / pa->rate, t;

			while ((t = now_ns()) < due)
				if (due - t > 200000)
					usleep((unsigned)((due - t) / 1000 - 100));
		}
		prod_rec(&r, pa->w, i);
		while (log_push(pa->w, &r) == -ENOBUFS) {
			pa->retries++;
			sched_yield();
		}
	}
	return NULL;
}

static int wait_durable(struct wb *wb, unsigned nw, uint64_t want, unsigned timeout_ms)
{
	uint64_t t0 = now_ns();

	for (;;) {
		unsigned w, ok = 0;

		for (w = 0; w < nw; w++)
			ok += wb_durable(wb, w) >= want;
		if (ok == nw)
			return 0;
		if (now_ns() - t0 > (uint64_t)timeout_ms * 1000000u)
			return -ETIMEDOUT;
		usleep(200);
	}
}

struct order_ctx {
	uint64_t next[2];
	uint64_t bad;
};

static int check_order(const struct lease_rec *r, void *arg)
{
	struct order_ctx *oc = arg;
	unsigned w = r->subnet_id - 1;

	if (w > 1 || r->expire != oc->next[w] + 1 || r->addr != ip(10, 100 + w, 0, 0) + r->expire)
		oc->bad++;
	else
		oc->next[w]++;
	return 0;
}

static struct wb *make_wb(const struct lease_backend_ops *ops, struct lease_backend *be,
			  enum conf_durability mode, unsigned ring, uint32_t flush_ms, uint32_t lfc)
{
	struct wb_params p = {
		.ops = ops, .be = be, .n_workers = 2, .logs = test_logs(2, ring), .mode = mode,
		.flush_interval_ms = flush_ms, .lfc_interval = lfc,
	};
	struct wb *wb;

	if (p.logs == NULL)
		return NULL;
	wb = wb_create(&p);
	if (wb == NULL)
		free_logs();
	return wb;
}

/* Two producers, N each: everything becomes durable, and the file holds
 * every record of each worker in that worker's order. */
static void run_two_producers(enum conf_durability mode, const char *sub, unsigned n, uint32_t lfc,
			      int report, unsigned rate)
{
	struct prod_arg pa[2];
	pthread_t t[2];
	struct wb_stats ws;
	struct order_ctx oc = { { 0, 0 }, 0 };
	char path[1024];
	struct lease_backend *be;
	struct wb *wb;
	uint64_t t0, t1;

	fresh_dir(sub);
	path_in(path, sizeof(path), sub, "l.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, mode, 1024, 20, lfc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	t0 = now_ns();
	for (unsigned w = 0; w < 2; w++) {
		pa[w] = (struct prod_arg){ .wb = wb, .w = w, .n = n, .rate = rate };
		CU_ASSERT_FATAL(pthread_create(&t[w], NULL, producer, &pa[w]) == 0);
	}
	for (unsigned w = 0; w < 2; w++)
		pthread_join(t[w], NULL);
	CU_ASSERT_EQUAL(wait_durable(wb, 2, n, 60000), 0);
	t1 = now_ns();
	CU_ASSERT_EQUAL(wb_durable(wb, 0), n);
	CU_ASSERT_EQUAL(wb_durable(wb, 1), n);
	wb_stop(wb);
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.records, 2ull * n);
	CU_ASSERT_EQUAL(ws.errors, 0);
	CU_ASSERT_EQUAL(ws.ring_full, pa[0].retries + pa[1].retries);
	if (mode == CONF_DUR_COMMIT)
		CU_ASSERT_EQUAL(ws.syncs, ws.batches);
	if (report) {
		double s = (double)(t1 - t0) / 1e9;

		printf("\n  %s %s%s: %llu records in %.2f s (%.0f/s), %llu batches, %llu syncs "
		       "(%.1f records/sync, %.0f syncs/s, mean sync %.1f us, max batch %llu), ring full %llu",
		       mode == CONF_DUR_COMMIT ? "commit" : "write-behind", tdir,
		       rate ? ", paced" : "",
		       (unsigned long long)ws.records, s, (double)ws.records / s,
		       (unsigned long long)ws.batches, (unsigned long long)ws.syncs,
		       (double)ws.records / (double)(ws.syncs ? ws.syncs : 1), (double)ws.syncs / s,
		       (double)ws.sync_ns / 1e3 / (double)(ws.syncs ? ws.syncs : 1),
		       (unsigned long long)ws.max_batch, (unsigned long long)ws.ring_full);
	}
	wb_done(wb);
	mf->close(be);

	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->load(be, check_order, &oc), 0);
	mf->close(be);
	if (lfc == 0) {
		/* the whole log, in order */
		CU_ASSERT_EQUAL(oc.bad, 0);
		CU_ASSERT_EQUAL(oc.next[0], n);
		CU_ASSERT_EQUAL(oc.next[1], n);
	}
}

static void test_wb_commit_two_producers(void)
{
	/* PG_BACKEND_BENCH=1: longer runs for the group-commit numbers,
	 * flat out and paced at 20000 pushes/s per producer */
	const char *b = getenv("PG_BACKEND_BENCH");

	run_two_producers(CONF_DUR_COMMIT, "wb-commit", b ? 400000 : 20000, 0, 1, 0);
	if (b)
		run_two_producers(CONF_DUR_COMMIT, "wb-commit", 40000, 0, 1, 20000);
}

static void test_wb_write_behind(void)
{
	struct lease_rec r;
	struct wb_stats ws;
	char path[1024];
	struct lease_backend *be;
	struct wb *wb;
	uint64_t t0, dt;

	run_two_producers(CONF_DUR_WRITE_BEHIND, "wb-wb", 20000, 0, 1, 0);

	/* syncs at most every flush interval */
	fresh_dir("wb-int");
	path_in(path, sizeof(path), "wb-int", "l.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, CONF_DUR_WRITE_BEHIND, 1024, 50, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	t0 = now_ns();
	for (unsigned i = 0; i < 300; i++) {
		prod_rec(&r, 0, i);
		CU_ASSERT_EQUAL(log_push(0, &r), 0);
		CU_ASSERT_EQUAL(r.seq, i + 1);
		usleep(1000);
	}
	CU_ASSERT_EQUAL(wait_durable(wb, 1, 300, 2000), 0);
	dt = now_ns() - t0;
	wb_get_stats(wb, &ws);
	CU_ASSERT(ws.batches > 50);                          /* many small batches... */
	CU_ASSERT(ws.syncs <= dt / 50000000u + 2);            /* ...few syncs */
	wb_done(wb);
	mf->close(be);
}

static void test_wb_ring_full(void)
{
	struct lease_rec r;
	struct wb_stats ws;
	char path[1024];
	struct lease_backend *be;
	struct wb *wb;
	unsigned i;

	fresh_dir("wb-full");
	path_in(path, sizeof(path), "wb-full", "l.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_PTR_NULL(make_wb(mf, be, CONF_DUR_COMMIT, 12, 0, 0));   /* not a power of two */
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(make_wb(mf, be, CONF_DUR_MEMORY, 8, 0, 0));
	wb = make_wb(mf, be, CONF_DUR_COMMIT, 8, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	/* not started: nothing drains; an 8-entry log holds 8 */
	for (i = 0; i < 8; i++) {
		prod_rec(&r, 0, i);
		CU_ASSERT_EQUAL(log_push(0, &r), 0);
		CU_ASSERT_EQUAL(r.seq, i + 1);
	}
	prod_rec(&r, 0, 8);
	CU_ASSERT_EQUAL(log_push(0, &r), -ENOBUFS);
	CU_ASSERT_EQUAL(log_push(0, &r), -ENOBUFS);
	CU_ASSERT_EQUAL(r.seq, 0);
	prod_rec(&r, 1, 0);
	CU_ASSERT_EQUAL(log_push(1, &r), 0);            /* worker 1 unaffected */
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.ring_full, 2);
	CU_ASSERT_EQUAL(wb_durable(wb, 0), 0);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	CU_ASSERT_EQUAL(wait_durable(wb, 1, 8, 2000), 0);
	prod_rec(&r, 0, 8);
	CU_ASSERT_EQUAL(log_push(0, &r), 0);
	CU_ASSERT_EQUAL(r.seq, 9);                         /* refused pushes took no seq */
	wb_stop(wb);                                       /* drains and syncs */
	CU_ASSERT_EQUAL(wb_durable(wb, 0), 9);
	CU_ASSERT_EQUAL(wb_durable(wb, 1), 1);
	wb_done(wb);
	mf->close(be);
}

struct chk_arg {
	struct wb *wb;
	volatile int stop;
	uint64_t checks, early, seen;
};

static void *checker(void *arg)
{
	struct chk_arg *c = arg;

	while (!c->stop) {
		for (unsigned w = 0; w < 2; w++) {
			uint64_t d = wb_durable(c->wb, w);
			uint64_t s = __atomic_load_n(&wr.synced[w], __ATOMIC_ACQUIRE);

			c->checks++;
			if (d > s)
				c->early++;
			if (d)
				c->seen++;
		}
		sched_yield();
	}
	return NULL;
}

static void test_wb_commit_after_sync(void)
{
	struct prod_arg pa[2];
	struct chk_arg ca;
	pthread_t t[2], ct;
	char path[1024];
	struct wb *wb;
	enum { N = 5000 };

	fresh_dir("wb-order");
	path_in(path, sizeof(path), "wb-order", "l.csv");
	memset(&wr, 0, sizeof(wr));
	wr.be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wr.be);
	wr.sync_delay_us = 300;
	wr_ops = *mf;
	wr_ops.append = wr_append;
	wr_ops.sync = wr_sync;
	wb = make_wb(&wr_ops, wr.be, CONF_DUR_COMMIT, 256, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	memset(&ca, 0, sizeof(ca));
	ca.wb = wb;
	CU_ASSERT_FATAL(pthread_create(&ct, NULL, checker, &ca) == 0);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (unsigned w = 0; w < 2; w++) {
		pa[w] = (struct prod_arg){ .wb = wb, .w = w, .n = N };
		CU_ASSERT_FATAL(pthread_create(&t[w], NULL, producer, &pa[w]) == 0);
	}
	for (unsigned w = 0; w < 2; w++)
		pthread_join(t[w], NULL);
	CU_ASSERT_EQUAL(wait_durable(wb, 2, N, 20000), 0);
	ca.stop = 1;
	pthread_join(ct, NULL);
	wb_done(wb);
	mf->close(wr.be);
	CU_ASSERT(ca.seen > 100);        /* the checker really watched publishing */
	CU_ASSERT_EQUAL(ca.early, 0);
}

static void test_wb_compaction(void)
{
	/* lfc every second while 2 x 30000 records flow in: compactions run
	 * under load and the final set is complete. */
	struct lease_backend_stats bst;
	struct lease_backend *be;
	struct prod_arg pa[2];
	struct wb_stats ws;
	char path[1024];
	struct set s;
	pthread_t t[2];
	struct wb *wb;
	enum { N = 30000 };

	fresh_dir("wb-lfc");
	path_in(path, sizeof(path), "wb-lfc", "l.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, CONF_DUR_WRITE_BEHIND, 1024, 5, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (unsigned w = 0; w < 2; w++) {
		pa[w] = (struct prod_arg){ .wb = wb, .w = w, .n = N };
		CU_ASSERT_FATAL(pthread_create(&t[w], NULL, producer, &pa[w]) == 0);
	}
	usleep(2300000);                 /* at least two lfc intervals */
	for (unsigned w = 0; w < 2; w++)
		pthread_join(t[w], NULL);
	CU_ASSERT_EQUAL(wait_durable(wb, 2, N, 20000), 0);
	wb_stop(wb);
	wb_get_stats(wb, &ws);
	CU_ASSERT(ws.compactions >= 2);
	wb_done(wb);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->get_stats(be, &bst);
	CU_ASSERT(bst.compactions >= 1);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 2 * N);
	free(s.r);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int null_append(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	(void)be, (void)r, (void)n;
	return 0;
}

static int null_sync(struct lease_backend *be)
{
	(void)be;
	return 0;
}

/* A batch the flusher gives up on while stopping (the store kept failing)
 * is lost; a later batch that the store takes again must not publish a
 * watermark past the lost records, or their replies would go out as
 * durable.  The fake store blocks the first append until the test stops
 * the flusher, fails the next 22 appends, then recovers. */
static volatile int lost_stop_seen;
static int lost_fails;

static int lost_append(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	(void)be, (void)r, (void)n;
	while (!lost_stop_seen)
		usleep(1000);
	if (lost_fails < 22) {
		lost_fails++;
		return -EIO;
	}
	return 0;
}

static void test_wb_lost_batch_not_published(void)
{
	static struct lease_backend_ops ops;
	struct wb_params wp = {
		.ops = &ops, .be = (struct lease_backend *)&ops, .n_workers = 1, .logs = test_logs(1, 256),
		.mode = CONF_DUR_COMMIT, .batch_max = 64,
	};
	struct lease_rec r;
	struct wb_stats ws;
	struct wb *wb;
	unsigned i;

	ops = *mf;
	ops.append = lost_append;
	ops.sync = null_sync;
	ops.compact = NULL;            /* the store is a fake: be only has to be non-NULL */
	lost_stop_seen = 0;
	lost_fails = 0;
	wb = wb_create(&wp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (i = 0; i < 200; i++) {
		prod_rec(&r, 0, i);
		CU_ASSERT_EQUAL(log_push(0, &r), 0);
	}
	lost_stop_seen = 1;
	wb_stop(wb);
	wb_get_stats(wb, &ws);
	/* the later batches were written ... */
	CU_ASSERT(ws.records >= 200 - 64);
	/* ... but seq 1..64 never were, so nothing of worker 0 is durable */
	CU_ASSERT_EQUAL(wb_durable(wb, 0), 0);
	wb_done(wb);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Commit-mode latency of a lone change arriving at an idle flusher,
 * push -> published durable: once with a backend that does nothing (the
 * flusher's own wake-up and publish cost) and once with memfile (plus
 * write and fdatasync).  Also the CPU an idle flusher burns.  Reported,
 * loosely bounded. */
static void test_wb_idle_latency(void)
{
	enum { N = 200 };
	static struct lease_backend_ops null_ops;
	uint64_t lat[N];
	struct lease_rec r;
	char path[1024];
	struct lease_backend *be;
	struct wb *wb;
	double c0, w0;
	uint64_t deep0;

	fresh_dir("wb-lat");
	path_in(path, sizeof(path), "wb-lat", "l.csv");
	be = open_be(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	null_ops = *mf;
	null_ops.append = null_append;
	null_ops.sync = null_sync;
	/* gap before each push: 1.0-1.5 ms (short-sleep regime), 3-3.5 ms
	 * (the doorbell regime: deep_idle_us is 1 ms here) */
	static const struct { int memfile; unsigned gap_us, n; } pass[] = {
		{ 0, 1000, N }, { 0, 3000, N / 2 }, { 1, 1000, N }, { 1, 3000, N / 2 },
	};
	for (unsigned k = 0; k < sizeof(pass) / sizeof(pass[0]); k++) {
		unsigned n = pass[k].n;

		struct wb_params wp = {
			.ops = pass[k].memfile ? mf : &null_ops, .be = be, .n_workers = 1,
			.logs = test_logs(1, 64), .mode = CONF_DUR_COMMIT,
			.deep_idle_us = pass[k].gap_us > 2000 ? 1000 : 0,
		};
		struct wb_stats ws;

		wb = wb_create(&wp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
		CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
		if (k == 0) {
			/* the first 100 ms idle polls every 100 us, then the
			 * doorbell sleep */
			double poll;

			usleep(5000);
			c0 = cpu_s();
			w0 = (double)now_ns() / 1e9;
			usleep(85000);
			poll = 100 * (cpu_s() - c0) / ((double)now_ns() / 1e9 - w0);
			usleep(100000);
			c0 = cpu_s();
			w0 = (double)now_ns() / 1e9;
			usleep(500000);
			printf("\n  idle flusher CPU: %.2f %% of a core polling, %.2f %% in the doorbell sleep",
			       poll, 100 * (cpu_s() - c0) / ((double)now_ns() / 1e9 - w0));
		}
		wb_get_stats(wb, &ws);
		deep0 = ws.deep_sleeps;
		for (unsigned i = 0; i < n; i++) {
			uint64_t t0;

			usleep(pass[k].gap_us + (i * 37) % 500);   /* random phase */
			prod_rec(&r, 0, i);
			t0 = now_ns();
			CU_ASSERT_EQUAL(log_push(0, &r), 0);
			while (wb_durable(wb, 0) < i + 1)
				;
			lat[i] = now_ns() - t0;
		}
		wb_stop(wb);
		wb_get_stats(wb, &ws);
		wb_done(wb);
		/* How often each regime is entered depends on the scheduler of
		 * this shared VM, so the counts are reported, not asserted.  What
		 * must hold: with 3 ms gaps the flusher does reach its deep sleep,
		 * and a push does ring it awake (not only the 10 ms timeout). */
		if (pass[k].gap_us > 2000) {
			CU_ASSERT(ws.deep_sleeps >= 1);
			CU_ASSERT(ws.bell_wakes >= 1);
		}
		(void)deep0;
		qsort(lat, n, sizeof(lat[0]), cmp_u64);
		printf("\n  idle commit latency, %s, gap %u us: p50 %.0f us, p90 %.0f us, p99 %.0f us "
		       "(%llu doorbell sleeps, %llu rung)",
		       pass[k].memfile ? tdir : "no-op backend", pass[k].gap_us, lat[n / 2] / 1e3,
		       lat[n * 9 / 10] / 1e3, lat[n * 99 / 100] / 1e3,
		       (unsigned long long)ws.deep_sleeps, (unsigned long long)ws.bell_wakes);
		/* loose: this VM shares 2 cores with other builds */
		if (!pass[k].memfile)
			CU_ASSERT(lat[n / 2] < 5000000u);
	}
	mf->close(be);
}

int main(void)
{
	const char *d = getenv("PG_BACKEND_TEST_DIR");
	CU_pSuite s;
	unsigned fails;

	snprintf(tdir, sizeof(tdir), "%s/pgbk-test.%d", d && *d ? d : "/tmp", (int)getpid());
	if (mkdir(tdir, 0755) < 0) {
		perror(tdir);
		return 1;
	}
	mf = lease_backend_find("memfile");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("backends", NULL, NULL);
	CU_add_test(s, "registry", test_registry);
	CU_add_test(s, "csv: Kea's exact line", test_csv_kea_line);
	CU_add_test(s, "csv: round trip of every field", test_csv_roundtrip);
	CU_add_test(s, "csv: old schemas, lenient hex, long hostname", test_csv_lenient_and_long);
	CU_add_test(s, "memfile: real Kea 2.2 lease file", test_kea_fixture);
	CU_add_test(s, "memfile: Kea 2.2 (kea-lfc) reads our file", test_kea_reads_ours);
	CU_add_test(s, "memfile: delete records", test_delete);
	CU_add_test(s, "memfile: bad lines counted, torn write", test_bad_lines);
	CU_add_test(s, "memfile: compaction equals replay", test_compaction);
	CU_add_test(s, "memfile: every crash point loads the same set", test_crash_points);
	CU_add_test(s, "wb: commit, 2 producers, per-worker order", test_wb_commit_two_producers);
	CU_add_test(s, "wb: write-behind, flush interval", test_wb_write_behind);
	CU_add_test(s, "wb: ring full", test_wb_ring_full);
	CU_add_test(s, "wb: commit publishes only after sync", test_wb_commit_after_sync);
	CU_add_test(s, "wb: compaction under load", test_wb_compaction);
	CU_add_test(s, "wb: idle commit latency", test_wb_idle_latency);
	CU_add_test(s, "wb: a batch lost at stop is never published", test_wb_lost_batch_not_published);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	if (fails == 0) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tdir);
	}
	return fails ? 1 : 0;
}
