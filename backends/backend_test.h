/* Shared by the backend tests (backend_test.c holds main and these
 * helpers; memfile_test.c the CSV and memfile tests; wb_test.c the
 * write-behind flusher's).  Run from backends/ (fixtures in testdata/).
 * Scratch files go under $PG_BACKEND_TEST_DIR (default /tmp), so the
 * group-commit numbers can be taken on different file systems.  The EAL is
 * never initialised: the flusher and the logs must work without it. */
#pragma once
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
#define FIXTURE6 "testdata/kea22-leases6.csv"

extern const struct lease_backend_ops *mf;
extern char tdir[512];

/* Every record replayed, then reduced to the lease set: the last record
 * per address, without deleted (valid 0) and expired-reclaimed ones. */
struct set {
	struct lease_rec *r;
	size_t n, cap;
};

uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d);
uint64_t now_ns(void);
void path_in(char *buf, size_t len, const char *sub, const char *name);
void fresh_dir(const char *sub);
void copy_file(const char *from, const char *to);
void write_text(const char *path, const char *text);
int exists(const char *path);
struct lease_backend *open_be(const char *path);
/* both files ("" for none), or one family's file alone */
struct lease_backend *open_be2(const char *path4, const char *path6);
struct lease_backend *open_fam(const char *path, int v6);
int set_add(const struct lease_rec *r, void *arg);
int load_set(const char *path, struct set *s, struct lease_backend_stats *st);
const struct lease_rec *set_find(const struct set *s, uint32_t addr);
int set_equal(const struct set *a, const struct set *b);
void rec_init(struct lease_rec *r, uint32_t addr, uint32_t valid, uint8_t state);
void rec_clean(struct lease_rec *r);
int append_sync(struct lease_backend *be, const struct lease_rec *r, unsigned n);

/* DHCPv6 */
struct set6 {
	struct lease6_rec *r;
	size_t n, cap;
};

struct lease_addr6 a6(uint64_t hi, uint64_t lo);
void rec6_init(struct lease6_rec *r, struct lease_addr6 addr, uint32_t valid, uint8_t state);
void rec6_clean(struct lease6_rec *r);
int append6_sync(struct lease_backend *be, const struct lease6_rec *r, unsigned n);
int set6_add(const struct lease6_rec *r, void *arg);
int load_set6(const char *path, struct set6 *s, struct lease_backend_stats *st);
const struct lease6_rec *set6_find(const struct set6 *s, struct lease_addr6 a);

/* Either family, for the tests both files share: a history of records,
 * and the lease set a file loads as one comparable text (the reduced
 * set's lines, sorted by address). */
struct hist {
	int v6;
	struct lease_rec *h4;
	struct lease6_rec *h6;
};
struct canon {
	char *text;
	size_t len, n;                 /* text bytes, leases */
};
int hist_append(struct lease_backend *be, const struct hist *h, unsigned from, unsigned n);
int load_canon(const char *path, int v6, struct canon *c, struct lease_backend_stats *st);
int canon_equal(const struct canon *a, const struct canon *b);

/* memfile_test.c */
void test_registry(void);
void test_csv_kea_line(void);
void test_csv_roundtrip(void);
void test_csv_lenient_and_long(void);
void test_kea_fixture(void);
void test_kea_reads_ours(void);
void test_delete(void);
void test_bad_lines(void);
void test_compaction(void);
void test_crash_points(void);

/* memfile6_test.c */
void test_csv6_kea_lines(void);
void test_csv6_fields(void);
void test_csv6_roundtrip(void);
void test_csv6_old_schemas(void);
void test_mf6_kea_fixture(void);
void test_mf6_kea_reads_ours(void);
void test_mf6_two_files(void);
void test_mf6_bad_lines(void);
void test_compaction6(void);          /* memfile_test.c, beside the v4 one */
void test_crash_points6(void);

/* wb_test.c */
void test_wb_commit_two_producers(void);
void test_wb_write_behind(void);
void test_wb_ring_full(void);
void test_wb_commit_after_sync(void);
void test_wb_compaction(void);
void test_wb_lost_batch_not_published(void);
void test_wb_idle_latency(void);
void test_wb_mixed(void);
void test_wb_v6_written(void);
void test_wb_v6_sync_fails(void);

/* wb_journal_test.c */
void test_wb_journal_outage(void);
void test_wb_journal_left_over(void);
void test_wb_journal_gives_up(void);
void test_wb_refusals_routed(void);

/* backend_test.c wraps fdatasync (-Wl,--wrap=fdatasync): it counts every
 * call, and fails (EIO) the ones on a file whose path ends in
 * fail_fdatasync_suffix while that is set. */
extern const char *fail_fdatasync_suffix;
extern uint64_t fdatasync_calls, fdatasync_failed;
