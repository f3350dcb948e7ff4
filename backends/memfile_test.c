/* Kea's lease-file CSV and the memfile backend: formats, fixtures, delete
 * records, bad lines, compaction, every crash point. */
#include "backend_test.h"

/* ---- CSV ------------------------------------------------------------ */

void test_registry(void)
{
	static const struct lease_backend_ops dup = { .name = "memfile" };

	CU_ASSERT_PTR_NOT_NULL(mf);
	CU_ASSERT_STRING_EQUAL(mf->name, "memfile");
	CU_ASSERT_PTR_NULL(lease_backend_find("nope"));
	CU_ASSERT_PTR_NULL(lease_backend_find(NULL));
	CU_ASSERT_EQUAL(lease_backend_register(&dup), -EINVAL);   /* no functions */
	CU_ASSERT_EQUAL(lease_backend_register(mf), -EEXIST);
}

void test_csv_kea_line(void)
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

void test_csv_roundtrip(void)
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

void test_csv_lenient_and_long(void)
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

void test_kea_fixture(void)
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
void test_kea_reads_ours(void)
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

void test_delete(void)
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

void test_bad_lines(void)
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

/* The same for DHCPv6: 150 addresses and 150 delegated /56 prefixes;
 * a declined lease has Kea's empty DUID. */
static void make_history6(struct lease6_rec *r, unsigned n, unsigned seed)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned x = (seed += 2654435761u) >> 7;
		unsigned kind = x % 10, k = 1 + (x >> 12) % 150;

		if ((x >> 8) % 2) {
			rec6_init(&r[i], a6(0x20010db801000000ull + ((uint64_t)k << 8), 0),
				  kind == 0 ? 0 : 600 + kind, kind == 1 ? 1 : kind == 2 ? 2 : 0);
			r[i].type = LEASE6_TYPE_PD;
			r[i].prefix_len = 56;
			r[i].hwaddr_len = 0;
			r[i].hwtype = 0;
			r[i].hwaddr_source = 0;
		} else {
			rec6_init(&r[i], a6(0x20010db800090000ull, k),
				  kind == 0 ? 0 : 600 + kind, kind == 1 ? 1 : kind == 2 ? 2 : 0);
		}
		if (kind == 1)
			r[i].duid_len = 0;
		r[i].expire += i;
	}
}

static void hist_make(struct hist *h, int v6, unsigned n, unsigned seed)
{
	memset(h, 0, sizeof(*h));
	h->v6 = v6;
	if (v6) {
		h->h6 = calloc(n, sizeof(*h->h6));
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->h6);
		make_history6(h->h6, n, seed);
	} else {
		h->h4 = calloc(n, sizeof(*h->h4));
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->h4);
		make_history(h->h4, n, seed);
	}
}

static void hist_free(struct hist *h)
{
	free(h->h4);
	free(h->h6);
}

/* Writes `n` records of the history from `from` to a fresh file of the
 * family at path; 0 or what failed. */
static int write_fam(const char *path, const struct hist *h, unsigned from, unsigned n)
{
	struct lease_backend *be = open_fam(path, h->v6);
	int ret;

	if (be == NULL)
		return -errno;
	ret = hist_append(be, h, from, n);
	mf->close(be);
	return ret;
}

/* Compactions interleaved with appends (either family's file) keep the
 * lease set the whole history replays to, and really compact. */
static void compaction(int v6)
{
	enum { N = 3000 };
	const char *sub = v6 ? "lfc6" : "lfc";
	struct lease_backend_stats st;
	struct canon after, direct, only2;
	struct lease_backend *be;
	char path[1024], p2[1100];
	struct hist h;
	int ret;

	hist_make(&h, v6, N, 1);
	fresh_dir(sub);
	path_in(path, sizeof(path), sub, "l.csv");
	snprintf(p2, sizeof(p2), "%s.2", path);
	be = open_fam(path, v6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(hist_append(be, &h, 0, 1000), 0);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	/* appends go on while the merge runs */
	CU_ASSERT_EQUAL(hist_append(be, &h, 1000, 1000), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	ret = mf->compact(be);          /* the merge just started: usually busy */
	CU_ASSERT(ret == -EBUSY || ret == 0);
	CU_ASSERT_EQUAL(hist_append(be, &h, 2000, 1000), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->get_stats(be, &st);
	mf->close(be);
	CU_ASSERT(st.compactions >= 2);
	CU_ASSERT_EQUAL(st.compact_errors, 0);
	CU_ASSERT_TRUE(exists(p2));

	/* the same history written to one file and replayed */
	path_in(path, sizeof(path), sub, "direct.csv");
	CU_ASSERT_EQUAL(write_fam(path, &h, 0, N), 0);
	CU_ASSERT_EQUAL_FATAL(load_canon(path, v6, &direct, NULL), 0);
	path_in(path, sizeof(path), sub, "l.csv");
	CU_ASSERT_EQUAL_FATAL(load_canon(path, v6, &after, NULL), 0);
	CU_ASSERT(direct.n > 50);
	CU_ASSERT_TRUE(canon_equal(&direct, &after));

	/* .2 alone holds one line per kept lease: compaction really compacted */
	path_in(path, sizeof(path), sub, "only2.csv");
	copy_file(p2, path);
	CU_ASSERT_EQUAL_FATAL(load_canon(path, v6, &only2, &st), 0);
	CU_ASSERT_EQUAL(st.loaded, only2.n);
	CU_ASSERT_EQUAL(st.bad_lines, 0);
	free(only2.text);
	free(after.text);
	free(direct.text);
	hist_free(&h);
}

void test_compaction(void)
{
	compaction(0);
}

void test_compaction6(void)
{
	compaction(1);
}

/* Every state a crash can leave during rotation or compaction (of either
 * family's file) loads the same lease set, and open() finishes the
 * interrupted steps. */
static void crash_points(int v6)
{
	enum { N = 2400 };
	const char *pre = v6 ? "crash6" : "crash";
	char base[1024], cmd[4096], f[1100], ref[600];
	struct canon want, got;
	struct lease_backend *be;
	struct hist h;
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

	hist_make(&h, v6, N, 99);
	/* Reference: .2 from an earlier compaction, .1 rotated, live. */
	snprintf(ref, sizeof(ref), "%s-ref", pre);
	fresh_dir(ref);
	path_in(base, sizeof(base), ref, "l.csv");
	be = open_fam(base, v6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(hist_append(be, &h, 0, 800), 0);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);       /* .2 */
	CU_ASSERT_EQUAL(hist_append(be, &h, 800, 800), 0);
	mf->close(be);
	snprintf(cmd, sizeof(cmd), "cd '%s/%s' && test -e l.csv.2 && ! test -e l.csv.1 && "
		 "cp l.csv l.csv.one && cp l.csv.2 old2", tdir, ref);
	CU_ASSERT_FATAL(system(cmd) == 0);
	/* the merge of .2 + .1 as our compaction writes it */
	be = open_fam(base, v6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	CU_ASSERT_EQUAL(hist_append(be, &h, 1600, 800), 0);  /* the live file */
	mf->close(be);
	snprintf(cmd, sizeof(cmd), "cd '%s/%s' && mv l.csv.2 merged && mv l.csv live", tdir, ref);
	CU_ASSERT_FATAL(system(cmd) == 0);

	/* expected set: the whole history replayed from one file */
	path_in(f, sizeof(f), ref, "all.csv");
	CU_ASSERT_EQUAL(write_fam(f, &h, 0, N), 0);
	CU_ASSERT_EQUAL_FATAL(load_canon(f, v6, &want, NULL), 0);
	CU_ASSERT(want.n > 50);

	for (unsigned i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		char d[600];

		snprintf(d, sizeof(d), "%s-%u", pre, i);
		fresh_dir(d);
		snprintf(d, sizeof(d), "%s/%s-%u", tdir, pre, i);
		snprintf(cmd, sizeof(cmd),
			 "set -e; cd '%s'; R=../%s;"
			 "%s %s %s %s %s %s %s",
			 d, ref,
			 st[i].old2 == 1 ? "cp $R/old2 l.csv.2;" :
			 st[i].old2 == 2 ? "cp $R/merged l.csv.2;" : "",
			 st[i].one ? "cp $R/l.csv.one l.csv.1;" : "",
			 st[i].live == 1 ? "cp $R/live l.csv;" : "",
			 /* before rotation, live = .1 records then the live ones */
			 st[i].live == 2 ? "cat $R/l.csv.one > l.csv; tail -n +2 $R/live >> l.csv;" : "",
			 st[i].output == 1 ? "head -c 3000 $R/merged > l.csv.output;" : "",
			 st[i].output == 2 ? "cp $R/merged l.csv.output;" : "",
			 st[i].completed ? "cp $R/merged l.csv.completed;" : "");
		CU_ASSERT_FATAL(system(cmd) == 0);
		/* "rotated, new live not yet created" has the live records in
		 * neither file: its expected set is the history up to 1600. */
		snprintf(f, sizeof(f), "%s/l.csv", d);
		CU_ASSERT_EQUAL_FATAL(load_canon(f, v6, &got, NULL), 0);
		if (st[i].live == 0) {
			struct canon part;
			char p[700];

			snprintf(p, sizeof(p), "%s/part.csv", d);
			CU_ASSERT_EQUAL(write_fam(p, &h, 0, 1600), 0);
			CU_ASSERT_EQUAL_FATAL(load_canon(p, v6, &part, NULL), 0);
			CU_ASSERT_TRUE(canon_equal(&part, &got));
			free(part.text);
		} else {
			if (!canon_equal(&want, &got))
				fprintf(stderr, "\ncrash state '%s': %zu leases, want %zu\n", st[i].what,
					got.n, want.n);
			CU_ASSERT_TRUE(canon_equal(&want, &got));
		}
		free(got.text);
		/* recovered: no .output, no .completed left */
		snprintf(f, sizeof(f), "%s/l.csv.output", d);
		CU_ASSERT_FALSE(exists(f));
		snprintf(f, sizeof(f), "%s/l.csv.completed", d);
		CU_ASSERT_FALSE(exists(f));
		/* and a compaction from here still yields the same set */
		if (st[i].live) {
			snprintf(f, sizeof(f), "%s/l.csv", d);
			be = open_fam(f, v6);
			CU_ASSERT_PTR_NOT_NULL_FATAL(be);
			CU_ASSERT_EQUAL(mf->compact(be), 0);
			CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
			CU_ASSERT_EQUAL(mf->compact(be), 0);
			CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
			mf->close(be);
			CU_ASSERT_EQUAL_FATAL(load_canon(f, v6, &got, NULL), 0);
			CU_ASSERT_TRUE(canon_equal(&want, &got));
			free(got.text);
		}
	}
	free(want.text);
	hist_free(&h);
}

void test_crash_points(void)
{
	crash_points(0);
}

void test_crash_points6(void)
{
	crash_points(1);
}
