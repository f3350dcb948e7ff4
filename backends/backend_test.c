/* Unit tests for the lease backends and the write-behind flusher: main
 * and the helpers the test files share (see backend_test.h). */
#include "backend_test.h"

const struct lease_backend_ops *mf;
char tdir[512];

/* ---- helpers -------------------------------------------------------- */

uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void path_in(char *buf, size_t len, const char *sub, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", tdir, sub, name);
}

void fresh_dir(const char *sub)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s' && mkdir -p '%s/%s'", tdir, sub, tdir, sub);
	CU_ASSERT_FATAL(system(cmd) == 0);
}

void copy_file(const char *from, const char *to)
{
	char cmd[2400];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	CU_ASSERT_FATAL(system(cmd) == 0);
}

void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

struct lease_backend *open_be2(const char *path4, const char *path6)
{
	struct conf_lease_db db = { .type = CONF_DB_MEMFILE, .durability = CONF_DUR_COMMIT };
	char err[256] = "";
	struct lease_backend *be;

	snprintf(db.name, sizeof(db.name), "%s", path4);
	snprintf(db.name6, sizeof(db.name6), "%s", path6);
	be = mf->open(&db, err, sizeof(err));
	if (be == NULL)
		fprintf(stderr, "open %s %s: %s\n", path4, path6, err);
	return be;
}

struct lease_backend *open_be(const char *path)
{
	return open_be2(path, "");
}

struct lease_backend *open_fam(const char *path, int v6)
{
	return v6 ? open_be2("", path) : open_be2(path, "");
}


/* ---- lease sets, either family ------------------------------------------
 * Both record types start with their uint64_t seq, which a set uses for
 * the replay order; a family's part is its address order and whether a
 * record removes its lease. */
struct fam_recs {
	size_t size;
	int (*addr_cmp)(const void *a, const void *b);
	int (*gone)(const void *r);
};

/* arr with r appended (its seq set to its replay order), or NULL. */
static void *push_rec(void *arr, size_t *n, size_t *cap, const void *r, size_t size)
{
	char *a = arr;

	if (*n == *cap) {
		a = realloc(arr, (*cap ? *cap * 2 : 256) * size);
		if (a == NULL)
			return NULL;
		*cap = *cap ? *cap * 2 : 256;
	}
	memcpy(a + *n * size, r, size);
	memcpy(a + *n * size, &(uint64_t){ *n }, sizeof(uint64_t));
	(*n)++;
	return a;
}

static int rec4_addr_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct lease_rec *)a)->addr, y = ((const struct lease_rec *)b)->addr;

	return x < y ? -1 : x > y;
}

static int rec6_addr_cmp(const void *a, const void *b)
{
	return lease_addr6_cmp(((const struct lease6_rec *)a)->addr, ((const struct lease6_rec *)b)->addr);
}

static int rec4_gone(const void *r)
{
	const struct lease_rec *x = r;

	return x->valid_lft == 0 || x->state == 2;
}

static int rec6_gone(const void *r)
{
	const struct lease6_rec *x = r;

	return x->valid_lft == 0 || x->state == 2;
}

static const struct fam_recs fam4 = { sizeof(struct lease_rec), rec4_addr_cmp, rec4_gone };
static const struct fam_recs fam6 = { sizeof(struct lease6_rec), rec6_addr_cmp, rec6_gone };

static int rec_order(const void *a, const void *b, void *fam)
{
	const struct fam_recs *f = fam;
	int c = f->addr_cmp(a, b);
	uint64_t x, y;

	if (c)
		return c;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x < y ? -1 : x > y;
}

/* To the lease set: the last record per address, without deleted (valid
 * 0) and expired-reclaimed ones, sorted by address, seq 0.  Returns how
 * many are left. */
static size_t reduce_recs(void *arr, size_t n, const struct fam_recs *f)
{
	char *r = arr;
	size_t i, k = 0;

	if (n == 0)
		return 0;
	qsort_r(r, n, f->size, rec_order, (void *)f);
	for (i = 0; i < n; i++) {
		char *x = r + i * f->size;

		if (i + 1 < n && f->addr_cmp(x + f->size, x) == 0)
			continue;
		if (f->gone(x))
			continue;
		memmove(r + k * f->size, x, f->size);
		memset(r + k * f->size, 0, sizeof(uint64_t));
		k++;
	}
	return k;
}

int set_add(const struct lease_rec *r, void *arg)
{
	struct set *s = arg;
	struct lease_rec *g = push_rec(s->r, &s->n, &s->cap, r, sizeof(*r));

	if (g == NULL)
		return -ENOMEM;
	s->r = g;
	return 0;
}

int set6_add(const struct lease6_rec *r, void *arg)
{
	struct set6 *s = arg;
	struct lease6_rec *g = push_rec(s->r, &s->n, &s->cap, r, sizeof(*r));

	if (g == NULL)
		return -ENOMEM;
	s->r = g;
	return 0;
}

/* Either family's file alone, every record into the set (set_add's or
 * set6_add's). */
static int load_fam(const char *path, int v6, void *set, struct lease_backend_stats *st)
{
	struct lease_backend *be = open_fam(path, v6);
	int ret;

	if (be == NULL)
		return -errno;
	ret = v6 ? mf->load6(be, set6_add, set) : mf->load(be, set_add, set);
	if (st)
		mf->get_stats(be, st);
	mf->close(be);
	return ret;
}

int load_set(const char *path, struct set *s, struct lease_backend_stats *st)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = load_fam(path, 0, s, st);
	s->n = reduce_recs(s->r, s->n, &fam4);
	return ret;
}

int load_set6(const char *path, struct set6 *s, struct lease_backend_stats *st)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = load_fam(path, 1, s, st);
	s->n = reduce_recs(s->r, s->n, &fam6);
	return ret;
}

const struct lease_rec *set_find(const struct set *s, uint32_t addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].addr == addr)
			return &s->r[i];
	return NULL;
}

int set_equal(const struct set *a, const struct set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->r[i], &b->r[i], sizeof(a->r[i])) != 0)
			return 0;
	return 1;
}

void rec_init(struct lease_rec *r, uint32_t addr, uint32_t valid, uint8_t state)
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
void rec_clean(struct lease_rec *r)
{
	memset(r->hwaddr + r->hwaddr_len, 0, sizeof(r->hwaddr) - r->hwaddr_len);
	memset(r->cid + r->cid_len, 0, sizeof(r->cid) - r->cid_len);
	if (r->hostname_len < sizeof(r->hostname))
		memset(r->hostname + r->hostname_len, 0, sizeof(r->hostname) - r->hostname_len);
	r->seq = 0;
}

int append_sync(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	int ret = mf->append(be, r, n);

	return ret ? ret : mf->sync(be);
}

int append6_sync(struct lease_backend *be, const struct lease6_rec *r, unsigned n)
{
	int ret = mf->append6(be, r, n);

	return ret ? ret : mf->sync(be);
}

const struct lease6_rec *set6_find(const struct set6 *s, struct lease_addr6 a)
{
	for (size_t i = 0; i < s->n; i++)
		if (lease_addr6_eq(s->r[i].addr, a))
			return &s->r[i];
	return NULL;
}

/* ---- either family ------------------------------------------------------ */

int hist_append(struct lease_backend *be, const struct hist *h, unsigned from, unsigned n)
{
	return h->v6 ? append6_sync(be, h->h6 + from, n) : append_sync(be, h->h4 + from, n);
}

int load_canon(const char *path, int v6, struct canon *c, struct lease_backend_stats *st)
{
	char line[LEASE_CSV_LINE_MAX];
	struct set s4;
	struct set6 s6;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = v6 ? load_set6(path, &s6, st) : load_set(path, &s4, st);
	c->n = v6 ? s6.n : s4.n;
	c->text = malloc(c->n * LEASE_CSV_LINE_MAX + 1);
	if (c->text == NULL)
		ret = -ENOMEM;
	for (i = 0; ret == 0 && i < c->n; i++) {
		int k = v6 ? lease6_csv_format(&s6.r[i], line, sizeof(line)) :
			     lease_csv_format(&s4.r[i], line, sizeof(line));

		memcpy(c->text + c->len, line, (size_t)k);
		c->len += (size_t)k;
	}
	if (c->text)
		c->text[c->len] = '\0';
	free(v6 ? (void *)s6.r : (void *)s4.r);
	return ret;
}

int canon_equal(const struct canon *a, const struct canon *b)
{
	return a->n == b->n && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

struct lease_addr6 a6(uint64_t hi, uint64_t lo)
{
	struct lease_addr6 a = { hi, lo };

	return a;
}

/* A DUID-LLT client with an Ethernet address learnt from it, as
 * kea-dhcp6 records one. */
void rec6_init(struct lease6_rec *r, struct lease_addr6 addr, uint32_t valid, uint8_t state)
{
	static const uint8_t llt[8] = { 0, 1, 0, 1, 0x2b, 0x3c, 0x4d, 0x5e };

	memset(r, 0, sizeof(*r));
	r->addr = addr;
	r->duid_len = 14;
	memcpy(r->duid, llt, sizeof(llt));
	r->hwaddr_len = 6;
	for (int i = 0; i < 6; i++)
		r->duid[8 + i] = r->hwaddr[i] = (uint8_t)(addr.lo >> (i % 4 * 8)) ^ (uint8_t)i;
	r->hwtype = 1;
	r->hwaddr_source = 2;           /* Kea's HWADDR_SOURCE_DUID */
	r->valid_lft = valid;
	r->pref_lft = valid / 2;
	r->expire = 1800000000u + (uint32_t)(addr.lo % 1000);
	r->subnet_id = 7;
	r->type = LEASE6_TYPE_NA;
	r->iaid = (uint32_t)addr.lo ^ 0x5a5a;
	r->prefix_len = 128;
	r->state = state;
	r->hostname_len = (uint8_t)snprintf(r->hostname, sizeof(r->hostname), "h%u,x",
					    (unsigned)(addr.lo & 0xffff));
}

/* Zero what lies past each length, as a parsed record has it. */
void rec6_clean(struct lease6_rec *r)
{
	memset(r->duid + r->duid_len, 0, sizeof(r->duid) - r->duid_len);
	memset(r->hwaddr + r->hwaddr_len, 0, sizeof(r->hwaddr) - r->hwaddr_len);
	if (r->hostname_len < sizeof(r->hostname))
		memset(r->hostname + r->hostname_len, 0, sizeof(r->hostname) - r->hostname_len);
	r->seq = 0;
}

/* ---- fdatasync, wrapped --------------------------------------------- */

const char *fail_fdatasync_suffix;
uint64_t fdatasync_calls, fdatasync_failed;

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

int __wrap_fdatasync(int fd)
{
	const char *suf = __atomic_load_n(&fail_fdatasync_suffix, __ATOMIC_ACQUIRE);

	__atomic_fetch_add(&fdatasync_calls, 1, __ATOMIC_RELAXED);
	if (suf) {
		char link[64], target[PATH_MAX];
		size_t sl = strlen(suf);
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n >= (ssize_t)sl && memcmp(target + n - sl, suf, sl) == 0) {
			__atomic_fetch_add(&fdatasync_failed, 1, __ATOMIC_RELAXED);
			errno = EIO;
			return -1;
		}
	}
	return __real_fdatasync(fd);
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
	CU_add_test(s, "csv6: every line kea-dhcp6 2.2 wrote, byte for byte", test_csv6_kea_lines);
	CU_add_test(s, "csv6: the fields of Kea's lines", test_csv6_fields);
	CU_add_test(s, "csv6: round trip of every field", test_csv6_roundtrip);
	CU_add_test(s, "csv6: old schemas, Kea's leniencies, bad lines", test_csv6_old_schemas);
	CU_add_test(s, "memfile: real Kea 2.2 lease file", test_kea_fixture);
	CU_add_test(s, "memfile: Kea 2.2 (kea-lfc) reads our file", test_kea_reads_ours);
	CU_add_test(s, "memfile: delete records", test_delete);
	CU_add_test(s, "memfile: bad lines counted, torn write", test_bad_lines);
	CU_add_test(s, "memfile: compaction equals replay", test_compaction);
	CU_add_test(s, "memfile: every crash point loads the same set", test_crash_points);
	CU_add_test(s, "memfile6: real Kea 2.2 lease file, appended back byte for byte", test_mf6_kea_fixture);
	CU_add_test(s, "memfile6: kea-lfc -6 on our file writes our compaction", test_mf6_kea_reads_ours);
	CU_add_test(s, "memfile6: v4 and v6 files in one backend", test_mf6_two_files);
	CU_add_test(s, "memfile6: bad lines counted, torn write, old schema upgraded", test_mf6_bad_lines);
	CU_add_test(s, "memfile6: compaction equals replay", test_compaction6);
	CU_add_test(s, "memfile6: every crash point loads the same set", test_crash_points6);
	CU_add_test(s, "wb: commit, 2 producers, per-worker order", test_wb_commit_two_producers);
	CU_add_test(s, "wb: write-behind, flush interval", test_wb_write_behind);
	CU_add_test(s, "wb: ring full", test_wb_ring_full);
	CU_add_test(s, "wb: the store goes away, the journal keeps serving, replay in order",
		    test_wb_journal_outage);
	CU_add_test(s, "wb: a journal left by an earlier run is replayed at start",
		    test_wb_journal_left_over);
	CU_add_test(s, "wb: max_reconnect_tries, then gave up (and still journals)",
		    test_wb_journal_gives_up);
	CU_add_test(s, "wb: a refusal reaches its worker before the watermark covering it",
		    test_wb_refusals_routed);
	CU_add_test(s, "wb: commit publishes only after sync", test_wb_commit_after_sync);
	CU_add_test(s, "wb: compaction under load", test_wb_compaction);
	CU_add_test(s, "wb: idle commit latency", test_wb_idle_latency);
	CU_add_test(s, "wb: a batch lost at stop is never published", test_wb_lost_batch_not_published);
	CU_add_test(s, "wb: v4 and v6 in every batch, both modes", test_wb_mixed);
	CU_add_test(s, "wb: v6 changes written, a store without append6 skips them", test_wb_v6_written);
	CU_add_test(s, "wb: a failing v6 fsync holds the watermark", test_wb_v6_sync_fails);
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
