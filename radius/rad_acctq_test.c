/* rad_acctq: order with a window and failures, reopening with records
 * pending (after a clean close, a torn last record, a cut one), the
 * bound, segments unlinked once answered.  Each test in a temp dir. */
#include "rad_acctq.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "util_fs.h"

static char dir[64];
static char path[128];

static void tmp_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pgt-acctq.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/acct.queue", dir);
}

static void tmp_teardown(void)
{
	CU_ASSERT(util_rmtree(dir) == 0);
}

static unsigned n_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static struct rad_acctq *open_q(uint32_t max, uint32_t window, uint32_t seg)
{
	struct rad_acctq_params p = { .path = path, .max_records = max, .window = window,
				      .segment_bytes = seg };
	struct rad_acctq *q = rad_acctq_open(&p);

	CU_ASSERT_FATAL(q != NULL);
	return q;
}

/* Record i: status 1 + i % 3, time 1000 + i, attributes "rec-<i>" padded
 * to `pad` octets. */
static int put(struct rad_acctq *q, unsigned i, unsigned pad)
{
	uint8_t a[300];
	int n = snprintf((char *)a, sizeof(a), "rec-%u", i);

	if (pad > (unsigned)n) {
		memset(a + n, 'x', pad - (unsigned)n);
		n = (int)pad;
	}
	return rad_acctq_append(q, (uint8_t)(1 + i % 3), 1000 + i, a, (uint16_t)n);
}

/* Take one and check it is record i: its ticket. */
static uint64_t take_is(struct rad_acctq *q, unsigned i)
{
	struct rad_acctq_rec r;
	char want[32];
	int n = snprintf(want, sizeof(want), "rec-%u", i);

	CU_ASSERT_FATAL(rad_acctq_take(q, &r) == 1);
	CU_ASSERT(r.status == 1 + i % 3);
	CU_ASSERT(r.event_time == 1000 + i);
	CU_ASSERT(r.len >= n && memcmp(r.attrs, want, (size_t)n) == 0 &&
		  (r.len == n || r.attrs[n] == 'x'));
	if (memcmp(r.attrs, want, (size_t)n) != 0)
		fprintf(stderr, "\n  took '%.*s', want '%s'\n", r.len, r.attrs, want);
	return r.ticket;
}

static void nothing_to_take(struct rad_acctq *q)
{
	struct rad_acctq_rec r;

	CU_ASSERT(rad_acctq_take(q, &r) == 0);
}

static void test_order_window(void)
{
	struct rad_acctq *q;
	uint64_t t[5];

	tmp_setup();
	q = open_q(100, 3, 0);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT(put(q, i, 0) == 0);
	CU_ASSERT(rad_acctq_backlog(q) == 5);
	for (unsigned i = 0; i < 3; i++)
		t[i] = take_is(q, i);
	nothing_to_take(q);                       /* window of 3 */
	CU_ASSERT(rad_acctq_out(q) == 3);
	/* an answer out of order removes nothing before the oldest */
	CU_ASSERT(rad_acctq_ack(q, t[1]) == 0);
	CU_ASSERT(rad_acctq_backlog(q) == 5);
	CU_ASSERT(rad_acctq_ack(q, t[1]) == -ENOENT);   /* not out any more */
	nothing_to_take(q);                       /* still three since the head */
	CU_ASSERT(rad_acctq_ack(q, t[0]) == 0);
	CU_ASSERT(rad_acctq_backlog(q) == 3);     /* 0 and 1 gone */
	t[3] = take_is(q, 3);
	t[4] = take_is(q, 4);
	nothing_to_take(q);
	CU_ASSERT(rad_acctq_ack(q, t[2]) == 0 && rad_acctq_ack(q, t[3]) == 0 &&
		  rad_acctq_ack(q, t[4]) == 0);
	CU_ASSERT(rad_acctq_backlog(q) == 0);
	nothing_to_take(q);
	CU_ASSERT(rad_acctq_ack(q, 99) == -ENOENT);
	rad_acctq_close(q);
	tmp_teardown();
}

/* An outage: every record out fails; the oldest is sent again first and
 * alone until an answer comes; then the window opens again, and answers
 * out of order remove nothing before the oldest unanswered record. */
static void test_fail_retry(void)
{
	struct rad_acctq *q;
	struct rad_acctq_stats st;
	uint64_t t[5];

	tmp_setup();
	q = open_q(100, 4, 0);
	for (unsigned i = 0; i < 5; i++)
		put(q, i, 0);
	for (unsigned i = 0; i < 3; i++)
		t[i] = take_is(q, i);
	CU_ASSERT(rad_acctq_fail(q, t[1]) == 0);
	nothing_to_take(q);                       /* probing, two still out */
	CU_ASSERT(rad_acctq_fail(q, t[0]) == 0 && rad_acctq_fail(q, t[2]) == 0);
	CU_ASSERT(rad_acctq_fail(q, t[2]) == -ENOENT);
	t[0] = take_is(q, 0);                     /* the oldest again */
	nothing_to_take(q);                       /* alone */
	CU_ASSERT(rad_acctq_fail(q, t[0]) == 0);
	t[0] = take_is(q, 0);
	CU_ASSERT(rad_acctq_ack(q, t[0]) == 0);   /* the server is back */
	CU_ASSERT(rad_acctq_backlog(q) == 4);
	t[1] = take_is(q, 1);
	t[2] = take_is(q, 2);
	t[3] = take_is(q, 3);
	CU_ASSERT(rad_acctq_ack(q, t[3]) == 0 && rad_acctq_ack(q, t[2]) == 0);
	CU_ASSERT(rad_acctq_backlog(q) == 4);     /* 1 holds the head */
	CU_ASSERT(rad_acctq_ack(q, t[1]) == 0);
	CU_ASSERT(rad_acctq_backlog(q) == 1);
	t[4] = take_is(q, 4);
	CU_ASSERT(rad_acctq_ack(q, t[4]) == 0);
	rad_acctq_stats(q, &st);
	CU_ASSERT(st.retried == 4 && st.answered == 5 && st.backlog == 0 && st.appended == 5);
	rad_acctq_close(q);
	tmp_teardown();
}

/* Closed with records pending: a new open has them, oldest first, and
 * not the answered ones. */
static void test_reopen(void)
{
	struct rad_acctq *q;
	struct rad_acctq_stats st;
	uint64_t t0;

	tmp_setup();
	q = open_q(100, 8, 0);
	for (unsigned i = 0; i < 4; i++)
		put(q, i, 0);
	t0 = take_is(q, 0);
	take_is(q, 1);                            /* out when closed: not answered */
	CU_ASSERT(rad_acctq_ack(q, t0) == 0);
	rad_acctq_close(q);

	q = open_q(100, 8, 0);
	rad_acctq_stats(q, &st);
	CU_ASSERT(st.backlog == 3 && st.reloaded == 3 && st.torn == 0);
	for (unsigned i = 1; i < 4; i++)
		CU_ASSERT(rad_acctq_ack(q, take_is(q, i)) == 0);
	nothing_to_take(q);
	put(q, 4, 0);
	rad_acctq_close(q);
	q = open_q(100, 8, 0);
	CU_ASSERT(rad_acctq_backlog(q) == 1);
	take_is(q, 4);
	rad_acctq_close(q);
	tmp_teardown();
}

static void append_raw(const char *file, const void *b, size_t n)
{
	int fd = open(file, O_WRONLY | O_APPEND);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, b, n) == (ssize_t)n);
	close(fd);
}

static off_t file_size(const char *file)
{
	struct stat s;

	return stat(file, &s) == 0 ? s.st_size : -1;
}

/* A crash in the middle of a write: the torn last record is cut off at
 * open, the whole ones before it kept, and appends go on after them. */
static void test_torn_tail(void)
{
	char seg[160];
	struct rad_acctq *q;
	struct rad_acctq_stats st;
	static const uint8_t junk[7] = { 0x12, 0x34, 0x20, 0x00, 0x01, 0xAC, 0x00 };
	off_t whole;

	tmp_setup();
	snprintf(seg, sizeof(seg), "%s.000001", path);
	q = open_q(100, 8, 0);
	for (unsigned i = 0; i < 3; i++)
		put(q, i, 20);
	rad_acctq_close(q);
	whole = file_size(seg);
	append_raw(seg, junk, sizeof(junk));      /* a record header cut short */

	q = open_q(100, 8, 0);
	rad_acctq_stats(q, &st);
	CU_ASSERT(st.backlog == 3 && st.torn == sizeof(junk));
	CU_ASSERT(file_size(seg) == whole);
	put(q, 3, 0);
	rad_acctq_close(q);

	/* the last record's own bytes cut (a torn write of its attributes) */
	CU_ASSERT(truncate(seg, file_size(seg) - 2) == 0);
	q = open_q(100, 8, 0);
	rad_acctq_stats(q, &st);
	CU_ASSERT(st.backlog == 3 && st.torn > 0);
	for (unsigned i = 0; i < 3; i++)
		take_is(q, i);
	nothing_to_take(q);
	rad_acctq_close(q);

	/* a damaged byte inside the last record: its crc no longer holds */
	q = open_q(100, 8, 0);
	put(q, 5, 0);
	rad_acctq_close(q);
	{
		int fd = open(seg, O_RDWR);
		uint8_t b = 'Z';

		CU_ASSERT(pwrite(fd, &b, 1, file_size(seg) - 1) == 1);
		close(fd);
	}
	q = open_q(100, 8, 0);
	CU_ASSERT(rad_acctq_backlog(q) == 3);
	rad_acctq_close(q);
	tmp_teardown();
}

/* max_records: the new record is dropped and counted; room again once
 * one is answered. */
static void test_bound(void)
{
	struct rad_acctq *q;
	struct rad_acctq_stats st;

	tmp_setup();
	q = open_q(3, 8, 0);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(put(q, i, 0) == 0);
	CU_ASSERT(put(q, 3, 0) == -ENOSPC);
	CU_ASSERT(put(q, 4, 0) == -ENOSPC);
	rad_acctq_stats(q, &st);
	CU_ASSERT(st.dropped == 2 && st.backlog == 3 && st.appended == 3);
	CU_ASSERT(rad_acctq_ack(q, take_is(q, 0)) == 0);
	CU_ASSERT(put(q, 5, 0) == 0);
	CU_ASSERT(put(q, 6, 0) == -ENOSPC);
	rad_acctq_close(q);
	/* the bound holds across a reopen, and the records are the first ones */
	q = open_q(3, 8, 0);
	CU_ASSERT(put(q, 7, 0) == -ENOSPC);
	take_is(q, 1);
	take_is(q, 2);
	take_is(q, 5);
	rad_acctq_close(q);
	CU_ASSERT(rad_acctq_open(&(struct rad_acctq_params){ .path = path, .max_records = 0,
							     .window = 1 }) == NULL && errno == EINVAL);
	CU_ASSERT(rad_acctq_open(&(struct rad_acctq_params){ .path = path, .max_records = 1,
							     .window = 1000 }) == NULL);
	tmp_teardown();
}

/* Segments: a long backlog spreads over several files; once answered they
 * are unlinked, leaving the newest; the disk use follows the backlog, not
 * the history.  Records cross segment boundaries in order, also after a
 * reopen in the middle. */
static void test_segments(void)
{
	struct rad_acctq *q;
	struct rad_acctq_stats st;
	unsigned i, next = 0;

	tmp_setup();
	q = open_q(100000, 16, 4096);
	for (i = 0; i < 100; i++)                 /* 100 x 212 octets: 6 segments */
		CU_ASSERT(put(q, i, 200) == 0);
	rad_acctq_sync(q, 0, true);
	CU_ASSERT(n_files() >= 5);
	for (; next < 40; next++)
		CU_ASSERT(rad_acctq_ack(q, take_is(q, next)) == 0);
	rad_acctq_sync(q, 0, true);
	CU_ASSERT(n_files() <= 5 && n_files() >= 3);
	rad_acctq_close(q);

	q = open_q(100000, 16, 4096);
	CU_ASSERT(rad_acctq_backlog(q) == 60);
	for (; next < 100; next++)
		CU_ASSERT(rad_acctq_ack(q, take_is(q, next)) == 0);
	nothing_to_take(q);
	rad_acctq_stats(q, &st);
	CU_ASSERT(st.backlog == 0 && st.segments == 1);
	CU_ASSERT(n_files() == 1);
	/* many rounds of append and answer: still one or two files */
	for (unsigned round = 0; round < 50; round++) {
		for (i = 0; i < 10; i++)
			put(q, next + i, 200);
		for (i = 0; i < 10; i++, next++)
			rad_acctq_ack(q, take_is(q, next));
	}
	rad_acctq_sync(q, 0, true);
	CU_ASSERT(n_files() <= 2);
	rad_acctq_close(q);
	tmp_teardown();
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("rad_acctq", NULL, NULL);
	CU_add_test(s, "append, take, answer in order with a window", test_order_window);
	CU_add_test(s, "a failure is sent again first, alone", test_fail_retry);
	CU_add_test(s, "reopen with records pending", test_reopen);
	CU_add_test(s, "a torn last record is cut off at open", test_torn_tail);
	CU_add_test(s, "the bound drops the new record", test_bound);
	CU_add_test(s, "segments are unlinked once answered", test_segments);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	{
		unsigned f = CU_get_number_of_failures();

		CU_cleanup_registry();
		return f ? 1 : 0;
	}
}
