/* The flusher's outage journal: a network store that goes away, the
 * changes that go to the journal meanwhile (and still release their
 * replies), the replay in order once the store answers, a journal left by
 * an earlier run, and giving up after max_reconnect_tries. */
#include "backend_test.h"

/* A stand-in for a network store: what it committed (the last record of
 * each address, a removal deletes), what it was given since its last
 * commit, and a switch that makes every call fail as a lost connection
 * would.  Addresses are 10.9.0.x (v4) and 2001:db8::x (v6), x < 256. */
#define FS_N 256
static struct {
	int down;                      /* atomic: the store is away */
	struct lease_rec db[FS_N];     /* committed, by x; valid_lft 0 = none */
	struct lease6_rec db6[FS_N];
	struct lease_rec pend[4096];
	unsigned n_pend;
	struct lease6_rec pend6[4096];
	unsigned n_pend6;
	unsigned discards;
	unsigned commits;
	uint8_t refuse4[FS_N];         /* another server's live lease holds 10.9.0.x */
	struct lease_refusal ref[64];  /* refusals of committed transactions */
	unsigned n_ref;
} fs;
static char fs_handle;

static int fs_down(void)
{
	return __atomic_load_n(&fs.down, __ATOMIC_ACQUIRE);
}

static int fs_append(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	(void)be;
	if (fs_down())
		return -EIO;
	CU_ASSERT_FATAL(fs.n_pend + n <= 4096);
	memcpy(fs.pend + fs.n_pend, r, n * sizeof(*r));
	fs.n_pend += n;
	return 0;
}

static int fs_append6(struct lease_backend *be, const struct lease6_rec *r, unsigned n)
{
	(void)be;
	if (fs_down())
		return -EIO;
	CU_ASSERT_FATAL(fs.n_pend6 + n <= 4096);
	memcpy(fs.pend6 + fs.n_pend6, r, n * sizeof(*r));
	fs.n_pend6 += n;
	return 0;
}

static int fs_sync(struct lease_backend *be)
{
	(void)be;
	if (fs_down())
		return -EIO;       /* what was given stays pending, as PostgreSQL's would */
	for (unsigned i = 0; i < fs.n_pend; i++) {
		const struct lease_rec *r = &fs.pend[i];

		if (r->valid_lft && fs.refuse4[r->addr & 0xff]) {
			if (fs.n_ref < 64)
				fs.ref[fs.n_ref++] = (struct lease_refusal){
					.family = LEASE_FAMILY_V4, .seq = r->seq, .addr = r->addr };
			continue;
		}
		fs.db[r->addr & 0xff] = *r;
	}
	for (unsigned i = 0; i < fs.n_pend6; i++)
		fs.db6[fs.pend6[i].addr.lo & 0xff] = fs.pend6[i];
	fs.n_pend = fs.n_pend6 = 0;
	__atomic_fetch_add(&fs.commits, 1, __ATOMIC_RELEASE);
	return 0;
}

static int fs_ping(struct lease_backend *be)
{
	(void)be;
	return fs_down() ? -ENOTCONN : 0;
}

static void fs_discard(struct lease_backend *be)
{
	(void)be;
	fs.n_pend = fs.n_pend6 = 0;
	fs.discards++;
}

static unsigned fs_refused(struct lease_backend *be, struct lease_refusal *out, unsigned max)
{
	unsigned n = fs.n_ref < max ? fs.n_ref : max;

	(void)be;
	memcpy(out, fs.ref, n * sizeof(*out));
	memmove(fs.ref, fs.ref + n, (fs.n_ref - n) * sizeof(*fs.ref));
	fs.n_ref -= n;
	return n;
}

static const struct lease_backend_ops fs_ops = {
	.name = "fake-network-store",
	.append = fs_append,
	.append6 = fs_append6,
	.sync = fs_sync,
	.ping = fs_ping,
	.discard = fs_discard,
	.refused = fs_refused,
};

static unsigned fs_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FS_N; i++)
		n += (fs.db[i].valid_lft != 0) + (fs.db6[i].valid_lft != 0);
	return n;
}

static struct lease_log *jlog;
static struct conf_lease_db jdb;

static void journal_paths(void)
{
	fresh_dir("journal");
	memset(&jdb, 0, sizeof(jdb));
	jdb.type = CONF_DB_MEMFILE;
	jdb.durability = CONF_DUR_COMMIT;
	path_in(jdb.name, sizeof(jdb.name), "journal", "journal4.csv");
	path_in(jdb.name6, sizeof(jdb.name6), "journal", "journal6.csv");
}

static struct wb *journal_wb(uint32_t max_tries)
{
	struct lease_log_params lp = { .size = 1024 };
	struct wb_params p = {
		.ops = &fs_ops, .be = (struct lease_backend *)&fs_handle, .n_workers = 1,
		.mode = CONF_DUR_COMMIT, .flush_interval_ms = 10, .journal_ops = mf,
		.journal_db = &jdb, .reconnect_wait_ms = 50, .max_reconnect_tries = max_tries,
	};
	struct wb *wb;

	jlog = lease_log_create(&lp);
	CU_ASSERT_FATAL(jlog != NULL);
	p.logs = &jlog;
	wb = wb_create(&p);
	CU_ASSERT_FATAL(wb != NULL);
	return wb;
}

static void journal_wb_free(struct wb *wb)
{
	wb_free(wb);
	lease_log_free(jlog);
	jlog = NULL;
}

/* One change as the worker logs it; its seq. */
static uint64_t push4(unsigned x, uint32_t valid)
{
	struct lease_change *c = lease_log_claim(jlog);
	struct lease_rec r;

	CU_ASSERT_FATAL(c != NULL);
	rec_init(&r, ip(10, 9, 0, x), valid, 0);
	c->family = LEASE_FAMILY_V4;
	c->op = valid ? LEASE_OP_ADD : LEASE_OP_RELEASE;
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v4 = r;
	return lease_log_commit(jlog);
}

static uint64_t push6(unsigned x, uint32_t valid)
{
	struct lease_change *c = lease_log_claim(jlog);
	struct lease6_rec r;

	CU_ASSERT_FATAL(c != NULL);
	rec6_init(&r, a6(0x20010db800000000ull, x), valid, 0);
	c->family = LEASE_FAMILY_V6;
	c->op = valid ? LEASE_OP_ADD : LEASE_OP_RELEASE;
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v6 = r;
	return lease_log_commit(jlog);
}

/* Waits (5 s at most) for seq to be published as durable. */
static int wait_durable(struct wb *wb, uint64_t seq)
{
	uint64_t end = now_ns() + 5000000000ull;

	while (wb_durable(wb, 0) < seq)
		if (now_ns() > end)
			return -1;
		else
			usleep(1000);
	return 0;
}

static int wait_state(struct wb *wb, enum wb_store_state st)
{
	uint64_t end = now_ns() + 5000000000ull;

	while (wb_store_state(wb) != st)
		if (now_ns() > end)
			return -1;
		else
			usleep(1000);
	return 0;
}

void test_wb_journal_outage(void)
{
	struct wb_stats ws;
	struct set s = { 0 };
	struct set6 s6 = { 0 };
	struct wb *wb;
	uint64_t seq = 0;
	unsigned x;

	memset(&fs, 0, sizeof(fs));
	journal_paths();
	wb = journal_wb(0);
	CU_ASSERT_FATAL(wb_start(wb) == 0);
	for (x = 1; x <= 10; x++)
		seq = push4(x, 3600);
	CU_ASSERT_FATAL(wait_durable(wb, seq) == 0);
	CU_ASSERT_EQUAL(fs_live(), 10);
	CU_ASSERT_EQUAL(wb_store_state(wb), WB_STORE_UP);

	/* the store goes away: the changes still become durable (in the
	 * journal), so replies would go on; the store has none of them */
	__atomic_store_n(&fs.down, 1, __ATOMIC_RELEASE);
	for (x = 11; x <= 20; x++)
		seq = push4(x, 3600);
	seq = push4(1, 0);              /* a release of an earlier lease */
	push6(7, 3600);
	seq = push6(8, 3600);
	CU_ASSERT_FATAL(wait_durable(wb, seq) == 0);
	CU_ASSERT_EQUAL(wb_store_state(wb), WB_STORE_DOWN);
	CU_ASSERT_EQUAL(fs_live(), 10);
	CU_ASSERT(fs.db[1].valid_lft != 0);
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.outages, 1);
	CU_ASSERT_EQUAL(ws.journaled, 13);
	CU_ASSERT_EQUAL(ws.backlog, 13);
	CU_ASSERT(ws.reconnect_tries >= 1 || ws.backlog == 13);
	/* the journal is a Kea lease file of those changes */
	CU_ASSERT_EQUAL(load_set(jdb.name, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 10);       /* 11..20; the release of .1 deletes nothing there */
	CU_ASSERT_PTR_NOT_NULL(set_find(&s, ip(10, 9, 0, 20)));
	CU_ASSERT_EQUAL(load_set6(jdb.name6, &s6, NULL), 0);
	CU_ASSERT_EQUAL(s6.n, 2);

	/* back: the journal is replayed in order, emptied, and the store
	 * written again */
	__atomic_store_n(&fs.down, 0, __ATOMIC_RELEASE);
	CU_ASSERT_FATAL(wait_state(wb, WB_STORE_UP) == 0);
	CU_ASSERT_EQUAL(fs_live(), 21);   /* 2..20 and the two v6 */
	CU_ASSERT_EQUAL(fs.db[1].valid_lft, 0);
	CU_ASSERT(fs.db[20].valid_lft != 0 && fs.db6[8].valid_lft != 0);
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.replayed, 13);
	CU_ASSERT_EQUAL(ws.backlog, 0);
	free(s.r);
	s = (struct set){ 0 };
	CU_ASSERT_EQUAL(load_set(jdb.name, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	seq = push4(30, 3600);
	CU_ASSERT_FATAL(wait_durable(wb, seq) == 0);
	CU_ASSERT(fs.db[30].valid_lft != 0);
	journal_wb_free(wb);
	free(s.r);
	free(s6.r);
}

/* A run that stopped while the store was away left a journal: the next
 * wb_create replays it before anything is loaded from the store. */
void test_wb_journal_left_over(void)
{
	struct lease_rec r[3];
	struct lease_backend *j;
	struct set s = { 0 };
	struct wb *wb;
	char err[256];

	memset(&fs, 0, sizeof(fs));
	journal_paths();
	j = mf->open(&jdb, err, sizeof(err));
	CU_ASSERT_FATAL(j != NULL);
	rec_init(&r[0], ip(10, 9, 0, 40), 3600, 0);
	rec_init(&r[1], ip(10, 9, 0, 41), 3600, 0);
	rec_init(&r[2], ip(10, 9, 0, 40), 0, 0);    /* released again */
	CU_ASSERT_EQUAL(append_sync(j, r, 3), 0);
	mf->close(j);

	wb = journal_wb(0);
	CU_ASSERT_EQUAL(fs.db[41].valid_lft, 3600);
	CU_ASSERT_EQUAL(fs.db[40].valid_lft, 0);
	CU_ASSERT_EQUAL(load_set(jdb.name, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	journal_wb_free(wb);
	free(s.r);

	/* and with the store away, wb_create refuses to start */
	j = mf->open(&jdb, err, sizeof(err));
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_EQUAL(append_sync(j, r, 1), 0);
	mf->close(j);
	fs.down = 1;
	{
		struct lease_log_params lp = { .size = 64 };
		struct wb_params p = {
			.ops = &fs_ops, .be = (struct lease_backend *)&fs_handle, .n_workers = 1,
			.mode = CONF_DUR_COMMIT, .journal_ops = mf, .journal_db = &jdb,
		};

		jlog = lease_log_create(&lp);
		p.logs = &jlog;
		errno = 0;
		CU_ASSERT_PTR_NULL(wb_create(&p));
		CU_ASSERT_EQUAL(errno, EIO);
		lease_log_free(jlog);
		jlog = NULL;
	}
	s = (struct set){ 0 };
	CU_ASSERT_EQUAL(load_set(jdb.name, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 1);        /* kept for the next start */
	free(s.r);
}

/* max_reconnect_tries failed tries: the flusher says it gave up (on-fail
 * decides what the server does) and keeps journaling meanwhile. */
void test_wb_journal_gives_up(void)
{
	struct wb *wb;
	uint64_t seq;

	memset(&fs, 0, sizeof(fs));
	journal_paths();
	wb = journal_wb(2);
	CU_ASSERT_FATAL(wb_start(wb) == 0);
	fs.down = 1;
	seq = push4(50, 3600);
	CU_ASSERT_FATAL(wait_durable(wb, seq) == 0);
	CU_ASSERT_FATAL(wait_state(wb, WB_STORE_GAVE_UP) == 0);
	seq = push4(51, 3600);
	CU_ASSERT_FATAL(wait_durable(wb, seq) == 0);
	__atomic_store_n(&fs.down, 0, __ATOMIC_RELEASE);
	CU_ASSERT_FATAL(wait_state(wb, WB_STORE_UP) == 0);
	CU_ASSERT(fs.db[50].valid_lft != 0 && fs.db[51].valid_lft != 0);
	journal_wb_free(wb);
}

/* A store that refuses claims (a shared database, no journal): each
 * refusal reaches the worker whose change it was, and before the
 * watermark that covers it, so a worker that reads its watermark and then
 * its refusals can never release the refused reply. */
void test_wb_refusals_routed(void)
{
	struct lease_log_params lp = { .size = 1024 };
	struct lease_log *logs[2];
	struct lease_refusal got[2][16];
	unsigned n_got[2] = { 0, 0 }, w, i, x;
	uint64_t seq_r[2] = { 0, 0 }, last[2] = { 0, 0 }, end;
	struct wb_stats ws;
	struct wb *wb;
	int early = 0;

	memset(&fs, 0, sizeof(fs));
	fs.refuse4[12] = fs.refuse4[23] = 1;
	for (w = 0; w < 2; w++) {
		logs[w] = lease_log_create(&lp);
		CU_ASSERT_FATAL(logs[w] != NULL);
	}
	wb = wb_create(&(struct wb_params){ .ops = &fs_ops, .be = (struct lease_backend *)&fs_handle,
					    .n_workers = 2, .logs = logs, .mode = CONF_DUR_COMMIT });
	CU_ASSERT_FATAL(wb != NULL);
	CU_ASSERT_FATAL(wb_start(wb) == 0);
	/* worker 0 claims 10.9.0.10..14, worker 1 .20..24 */
	for (w = 0; w < 2; w++) {
		jlog = logs[w];
		for (x = 10 * (w + 1); x < 10 * (w + 1) + 5; x++) {
			last[w] = push4(x, 3600);
			if (fs.refuse4[x])
				seq_r[w] = last[w];
		}
	}
	jlog = NULL;
	/* as a worker does: the watermark first, then the refusals */
	end = now_ns() + 5000000000ull;
	while ((wb_durable(wb, 0) < last[0] || wb_durable(wb, 1) < last[1]) && now_ns() < end) {
		for (w = 0; w < 2; w++) {
			uint64_t d = wb_durable(wb, w);

			n_got[w] += wb_refusals_take(wb, w, got[w] + n_got[w], 16 - n_got[w]);
			if (d >= seq_r[w] && n_got[w] == 0)
				early = 1;
		}
	}
	for (w = 0; w < 2; w++)
		n_got[w] += wb_refusals_take(wb, w, got[w] + n_got[w], 16 - n_got[w]);
	CU_ASSERT_EQUAL(early, 0);
	CU_ASSERT_EQUAL(wb_durable(wb, 0), last[0]);
	CU_ASSERT_EQUAL(wb_durable(wb, 1), last[1]);
	for (w = 0; w < 2; w++) {
		CU_ASSERT_EQUAL_FATAL(n_got[w], 1);
		CU_ASSERT_EQUAL(got[w][0].seq, seq_r[w]);
		CU_ASSERT_EQUAL(got[w][0].addr, ip(10, 9, 0, w ? 23 : 12));
	}
	/* the others were written, the refused ones not */
	for (i = 10; i < 25; i++)
		if (i < 15 || i >= 20)
			CU_ASSERT_EQUAL(fs.db[i].valid_lft != 0, !fs.refuse4[i]);
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.refused, 2);
	wb_free(wb);
	for (w = 0; w < 2; w++)
		lease_log_free(logs[w]);
}
