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

struct lease_backend *open_be(const char *path)
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


int set_add(const struct lease_rec *r, void *arg)
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

int rec_cmp(const void *a, const void *b)
{
	const struct lease_rec *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void set_reduce(struct set *s)
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

int load_set(const char *path, struct set *s, struct lease_backend_stats *st)
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
	CU_add_test(s, "wb: commit, 2 producers, per-worker order", test_wb_commit_two_producers);
	CU_add_test(s, "wb: write-behind, flush interval", test_wb_write_behind);
	CU_add_test(s, "wb: ring full", test_wb_ring_full);
	CU_add_test(s, "wb: commit publishes only after sync", test_wb_commit_after_sync);
	CU_add_test(s, "wb: compaction under load", test_wb_compaction);
	CU_add_test(s, "wb: idle commit latency", test_wb_idle_latency);
	CU_add_test(s, "wb: a batch lost at stop is never published", test_wb_lost_batch_not_published);
	CU_add_test(s, "wb: other families pass, the v4 store gets v4 only", test_wb_other_family);
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
