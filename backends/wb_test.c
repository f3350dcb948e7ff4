/* The write-behind flusher reading the workers' lease-change logs. */
#include "backend_test.h"

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

/* A record of worker subnet_id - 1 was appended. */
static void wr_note(uint32_t subnet_id, uint64_t seq)
{
	unsigned w = subnet_id - 1;

	if (seq > wr.appended[w])
		__atomic_store_n(&wr.appended[w], seq, __ATOMIC_RELAXED);
}

static int wr_append(struct lease_backend *be, const struct lease_rec *r, unsigned n)
{
	int ret = mf->append(be, r, n);

	for (unsigned i = 0; ret == 0 && i < n; i++)
		wr_note(r[i].subnet_id, r[i].seq);
	return ret;
}

static int wr_append6(struct lease_backend *be, const struct lease6_rec *r, unsigned n)
{
	int ret = mf->append6(be, r, n);

	for (unsigned i = 0; ret == 0 && i < n; i++)
		wr_note(r[i].subnet_id, r[i].seq);
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

/* What a worker does for one lease change (rec a struct lease_rec, or a
 * struct lease6_rec when v6): *seq, the record's own, gets its sequence. */
static int log_push_any(unsigned w, int v6, const void *rec, uint32_t valid, uint64_t *seq)
{
	struct lease_change *c = lease_log_claim(tlogs[w]);

	*seq = 0;
	if (c == NULL)
		return -ENOBUFS;
	c->family = v6 ? LEASE_FAMILY_V6 : LEASE_FAMILY_V4;
	c->op = valid ? LEASE_OP_ADD : LEASE_OP_DELETE;
	c->origin = LEASE_ORIGIN_CLIENT;
	if (v6)
		c->u.v6 = *(const struct lease6_rec *)rec;
	else
		c->u.v4 = *(const struct lease_rec *)rec;
	*seq = lease_log_commit(tlogs[w]);
	return 0;
}

static int log_push(unsigned w, struct lease_rec *r)
{
	return log_push_any(w, 0, r, r->valid_lft, &r->seq);
}

static int log_push6(unsigned w, struct lease6_rec *r)
{
	return log_push_any(w, 1, r, r->valid_lft, &r->seq);
}

struct prod_arg {
	struct wb *wb;
	unsigned w;
	unsigned n;
	unsigned rate;                  /* pushes/s, 0 = as fast as possible */
	int mix;                        /* every other change a DHCPv6 one */
	uint64_t retries;
};

static void prod_rec(struct lease_rec *r, unsigned w, unsigned i)
{
	rec_init(r, ip(10, 100 + w, 0, 0) + i + 1, 3600, 0);
	r->subnet_id = w + 1;
	r->expire = i + 1;              /* what its seq will be */
}

static struct lease_addr6 prod_addr6(unsigned w, uint32_t expire)
{
	return a6(0x20010db800000000ull | (uint64_t)(100 + w) << 16, expire);
}

static void prod_rec6(struct lease6_rec *r, unsigned w, unsigned i)
{
	rec6_init(r, prod_addr6(w, i + 1), 3600, 0);
	r->subnet_id = w + 1;
	r->expire = i + 1;              /* what its seq will be */
}

/* Worker w's i-th change, of the family `mix` says. */
static int push_nth(unsigned w, unsigned i, int mix)
{
	struct lease6_rec r6;
	struct lease_rec r;

	if (mix && i % 2) {
		prod_rec6(&r6, w, i);
		return log_push6(w, &r6);
	}
	prod_rec(&r, w, i);
	return log_push(w, &r);
}

static void *producer(void *arg)
{
	struct prod_arg *pa = arg;
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < pa->n; i++) {
		if (pa->rate) {
			uint64_t due = t0 + (uint64_t)i * 1000000000u / pa->rate, t;

			while ((t = now_ns()) < due)
				if (due - t > 200000)
					usleep((unsigned)((due - t) / 1000 - 100));
		}
		while (push_nth(pa->w, i, pa->mix) == -ENOBUFS) {
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

/* The records of each worker must come back in its order, none lost,
 * none twice: the k-th record of worker w has expire k * step + first
 * (step 2 when the families alternate). */
struct order_ctx {
	uint64_t next[2];
	uint64_t bad;
	unsigned step, first;
};

static int order_next(struct order_ctx *oc, unsigned w, uint32_t expire, int addr_ok)
{
	if (w > 1 || !addr_ok || expire != oc->next[w] * oc->step + oc->first)
		oc->bad++;
	else
		oc->next[w]++;
	return 0;
}

static int check_order(const struct lease_rec *r, void *arg)
{
	unsigned w = r->subnet_id - 1;

	return order_next(arg, w, r->expire, r->addr == ip(10, 100 + w, 0, 0) + r->expire);
}

static int check_order6(const struct lease6_rec *r, void *arg)
{
	unsigned w = r->subnet_id - 1;

	return order_next(arg, w, r->expire, lease_addr6_eq(r->addr, prod_addr6(w, r->expire)));
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
			      int report, unsigned rate, int mix)
{
	struct prod_arg pa[2];
	pthread_t t[2];
	struct wb_stats ws;
	struct order_ctx oc = { .step = mix ? 2 : 1, .first = 1 };
	struct order_ctx oc6 = { .step = 2, .first = 2 };
	char path[1024], path6[1024];
	struct lease_backend *be;
	struct wb *wb;
	uint64_t t0, t1, calls0 = fdatasync_calls;

	fresh_dir(sub);
	path_in(path, sizeof(path), sub, "l.csv");
	path_in(path6, sizeof(path6), sub, "l6.csv");
	be = open_be2(path, mix ? path6 : "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, mode, 1024, 20, lfc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	t0 = now_ns();
	for (unsigned w = 0; w < 2; w++) {
		pa[w] = (struct prod_arg){ .wb = wb, .w = w, .n = n, .rate = rate, .mix = mix };
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
	CU_ASSERT_EQUAL(ws.records6, mix ? n : 0);
	CU_ASSERT_EQUAL(ws.errors, 0);
	CU_ASSERT_EQUAL(ws.ring_full, pa[0].retries + pa[1].retries);
	if (mode == CONF_DUR_COMMIT)
		CU_ASSERT_EQUAL(ws.syncs, ws.batches);
	/* at most one fdatasync per file per sync (opening each file took one) */
	CU_ASSERT(fdatasync_calls - calls0 <= (mix ? 2 : 1) * (ws.syncs + 1));
	if (report) {
		double s = (double)(t1 - t0) / 1e9;

		printf("\n  %s %s%s%s: %llu records in %.2f s (%.0f/s), %llu batches, %llu syncs "
		       "(%.1f records/sync, %.0f syncs/s, mean sync %.1f us, max batch %llu), ring full %llu",
		       mode == CONF_DUR_COMMIT ? "commit" : "write-behind", tdir,
		       rate ? ", paced" : "", mix ? ", v4+v6" : "",
		       (unsigned long long)ws.records, s, (double)ws.records / s,
		       (unsigned long long)ws.batches, (unsigned long long)ws.syncs,
		       (double)ws.records / (double)(ws.syncs ? ws.syncs : 1), (double)ws.syncs / s,
		       (double)ws.sync_ns / 1e3 / (double)(ws.syncs ? ws.syncs : 1),
		       (unsigned long long)ws.max_batch, (unsigned long long)ws.ring_full);
	}
	wb_done(wb);
	mf->close(be);

	be = open_be2(path, mix ? path6 : "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->load(be, check_order, &oc), 0);
	CU_ASSERT_EQUAL(mf->load6(be, check_order6, &oc6), 0);
	mf->close(be);
	if (lfc == 0) {
		/* the whole log, in order: each family its share */
		unsigned n4 = mix ? (n + 1) / 2 : n, n6 = mix ? n / 2 : 0;

		CU_ASSERT_EQUAL(oc.bad + oc6.bad, 0);
		CU_ASSERT_EQUAL(oc.next[0], n4);
		CU_ASSERT_EQUAL(oc.next[1], n4);
		CU_ASSERT_EQUAL(oc6.next[0], n6);
		CU_ASSERT_EQUAL(oc6.next[1], n6);
	}
}

void test_wb_commit_two_producers(void)
{
	/* PG_BACKEND_BENCH=1: longer runs for the group-commit numbers,
	 * flat out and paced at 20000 pushes/s per producer */
	const char *b = getenv("PG_BACKEND_BENCH");

	run_two_producers(CONF_DUR_COMMIT, "wb-commit", b ? 400000 : 20000, 0, 1, 0, 0);
	if (b)
		run_two_producers(CONF_DUR_COMMIT, "wb-commit", 40000, 0, 1, 20000, 0);
}

/* Both families in every batch, in both modes: each record in its
 * family's file, every worker's order kept. */
void test_wb_mixed(void)
{
	run_two_producers(CONF_DUR_COMMIT, "wb-mix", 20000, 0, 1, 0, 1);
	run_two_producers(CONF_DUR_WRITE_BEHIND, "wb-mix-wb", 20000, 0, 1, 0, 1);
}

void test_wb_write_behind(void)
{
	struct lease_rec r;
	struct wb_stats ws;
	char path[1024];
	struct lease_backend *be;
	struct wb *wb;
	uint64_t t0, dt;

	run_two_producers(CONF_DUR_WRITE_BEHIND, "wb-wb", 20000, 0, 1, 0, 0);

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

void test_wb_ring_full(void)
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

/* Both families flow (every other change a DHCPv6 one): no watermark is
 * ever seen past what the sync of both files covered. */
void test_wb_commit_after_sync(void)
{
	struct prod_arg pa[2];
	struct chk_arg ca;
	pthread_t t[2], ct;
	char path[1024], path6[1024];
	struct wb *wb;
	enum { N = 5000 };

	fresh_dir("wb-order");
	path_in(path, sizeof(path), "wb-order", "l.csv");
	path_in(path6, sizeof(path6), "wb-order", "l6.csv");
	memset(&wr, 0, sizeof(wr));
	wr.be = open_be2(path, path6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wr.be);
	wr.sync_delay_us = 300;
	wr_ops = *mf;
	wr_ops.append = wr_append;
	wr_ops.append6 = wr_append6;
	wr_ops.sync = wr_sync;
	wb = make_wb(&wr_ops, wr.be, CONF_DUR_COMMIT, 256, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	memset(&ca, 0, sizeof(ca));
	ca.wb = wb;
	CU_ASSERT_FATAL(pthread_create(&ct, NULL, checker, &ca) == 0);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (unsigned w = 0; w < 2; w++) {
		pa[w] = (struct prod_arg){ .wb = wb, .w = w, .n = N, .mix = 1 };
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

void test_wb_compaction(void)
{
	/* lfc every second while 2 x 30000 records of both families flow
	 * in: compactions of both files run under load and the final sets
	 * are complete. */
	struct lease_backend_stats bst;
	struct lease_backend *be;
	struct prod_arg pa[2];
	struct wb_stats ws;
	char path[1024], path6[1024];
	struct set s;
	struct set6 s6;
	pthread_t t[2];
	struct wb *wb;
	enum { N = 30000 };

	fresh_dir("wb-lfc");
	path_in(path, sizeof(path), "wb-lfc", "l.csv");
	path_in(path6, sizeof(path6), "wb-lfc", "l6.csv");
	be = open_be2(path, path6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, CONF_DUR_WRITE_BEHIND, 1024, 5, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (unsigned w = 0; w < 2; w++) {
		pa[w] = (struct prod_arg){ .wb = wb, .w = w, .n = N, .mix = 1 };
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
	CU_ASSERT(bst.compactions >= 2);                /* both files, at least once */
	CU_ASSERT_EQUAL(bst.compact_errors, 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(path, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, N);
	CU_ASSERT_EQUAL_FATAL(load_set6(path6, &s6, NULL), 0);
	CU_ASSERT_EQUAL(s6.n, N);
	free(s.r);
	free(s6.r);
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

void test_wb_lost_batch_not_published(void)
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
void test_wb_idle_latency(void)
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

/* A fresh sub/l.csv and sub/l6.csv (paths into p4 and p6, 1024 bytes)
 * opened as one backend. */
static struct lease_backend *open_pair(const char *sub, char *p4, char *p6)
{
	fresh_dir(sub);
	path_in(p4, 1024, sub, "l.csv");
	path_in(p6, 1024, sub, "l6.csv");
	return open_be2(p4, p6);
}

/* The v6 lease set the file loads (free its r), checked to hold n. */
static struct set6 leases6(const char *p6, size_t n)
{
	struct set6 s6;

	CU_ASSERT_EQUAL(load_set6(p6, &s6, NULL), 0);
	CU_ASSERT_EQUAL(s6.n, n);
	return s6;
}

static void expect_leases4(const char *p4, size_t n)
{
	struct set s4;

	CU_ASSERT_EQUAL(load_set(p4, &s4, NULL), 0);
	CU_ASSERT_EQUAL(s4.n, n);
	free(s4.r);
}

/* DHCPv6 changes go to the v6 file in the same batch as the v4 ones:
 * adds, a removal (as valid 0), an empty DUID of a declined lease.  A
 * store without append6 keeps no v6 leases: the watermark passes them. */
void test_wb_v6_written(void)
{
	static struct lease_backend_ops v4only;
	struct lease6_rec r6[3];
	struct lease_rec r;
	struct wb_stats ws;
	struct set6 s6;
	char p4[1024], p6[1024];
	struct lease_backend *be;
	struct wb *wb;

	be = open_pair("wb-v6", p4, p6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, CONF_DUR_COMMIT, 16, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	for (unsigned i = 0; i < 3; i++)
		prod_rec6(&r6[i], 0, 10 + i);
	r6[1].duid_len = 0;                             /* declined */
	r6[1].state = 1;
	prod_rec(&r, 0, 0);
	CU_ASSERT_EQUAL(log_push(0, &r), 0);
	CU_ASSERT_EQUAL(log_push6(0, &r6[0]), 0);
	CU_ASSERT_EQUAL(log_push6(0, &r6[1]), 0);
	CU_ASSERT_EQUAL(log_push6(0, &r6[2]), 0);
	r6[0].valid_lft = 0;                            /* released: LEASE_OP_DELETE */
	CU_ASSERT_EQUAL(log_push6(0, &r6[0]), 0);
	prod_rec(&r, 0, 1);
	CU_ASSERT_EQUAL(log_push(0, &r), 0);
	CU_ASSERT_EQUAL(r.seq, 6);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	CU_ASSERT_EQUAL(wait_durable(wb, 1, 6, 2000), 0);
	wb_stop(wb);
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.records, 6);
	CU_ASSERT_EQUAL(ws.records6, 4);
	CU_ASSERT_EQUAL(ws.batches, 1);
	CU_ASSERT_EQUAL(ws.syncs, 1);
	wb_done(wb);
	mf->close(be);
	expect_leases4(p4, 2);
	s6 = leases6(p6, 2);
	CU_ASSERT_PTR_NULL(set6_find(&s6, r6[0].addr));
	CU_ASSERT_FATAL(set6_find(&s6, r6[1].addr) != NULL);
	CU_ASSERT_EQUAL(set6_find(&s6, r6[1].addr)->duid_len, 0);
	CU_ASSERT_PTR_NOT_NULL(set6_find(&s6, r6[2].addr));
	free(s6.r);

	/* a store without append6 */
	be = open_be(p4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	v4only = *mf;
	v4only.append6 = NULL;
	wb = make_wb(&v4only, be, CONF_DUR_COMMIT, 16, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	CU_ASSERT_EQUAL(log_push6(0, &r6[2]), 0);
	prod_rec(&r, 0, 2);
	CU_ASSERT_EQUAL(log_push(0, &r), 0);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	CU_ASSERT_EQUAL(wait_durable(wb, 1, 2, 2000), 0);
	wb_stop(wb);
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.records, 1);
	CU_ASSERT_EQUAL(ws.records6, 0);
	wb_done(wb);
	mf->close(be);
	expect_leases4(p4, 3);
}

/* Commit mode: while the v6 file's fdatasync fails, no watermark passes
 * the batch, though its v4 part is synced; once it works the batch is
 * written again and published.  A batch without v6 records does not
 * sync the v6 file at all. */
void test_wb_v6_sync_fails(void)
{
	struct lease6_rec r6;
	struct lease_rec r;
	struct wb_stats ws;
	struct set6 s6;
	char p4[1024], p6[1024];
	struct lease_backend *be;
	struct wb *wb;
	uint64_t fails;

	be = open_pair("wb-v6fail", p4, p6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = make_wb(mf, be, CONF_DUR_COMMIT, 64, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	prod_rec(&r, 0, 0);
	CU_ASSERT_EQUAL(log_push(0, &r), 0);
	prod_rec6(&r6, 0, 1);
	CU_ASSERT_EQUAL(log_push6(0, &r6), 0);
	fails = fdatasync_failed;
	__atomic_store_n(&fail_fdatasync_suffix, "/l6.csv", __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	usleep(100000);
	CU_ASSERT_EQUAL(wb_durable(wb, 0), 0);
	CU_ASSERT(fdatasync_failed > fails);
	wb_get_stats(wb, &ws);
	CU_ASSERT(ws.errors > 0);
	__atomic_store_n(&fail_fdatasync_suffix, NULL, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(wait_durable(wb, 1, 2, 2000), 0);

	/* v4 only now: the v6 file is not synced (its failure would show) */
	__atomic_store_n(&fail_fdatasync_suffix, "/l6.csv", __ATOMIC_RELEASE);
	fails = fdatasync_failed;
	prod_rec(&r, 0, 2);
	CU_ASSERT_EQUAL(log_push(0, &r), 0);
	CU_ASSERT_EQUAL(wait_durable(wb, 1, 3, 2000), 0);
	CU_ASSERT_EQUAL(fdatasync_failed, fails);
	__atomic_store_n(&fail_fdatasync_suffix, NULL, __ATOMIC_RELEASE);
	wb_stop(wb);
	wb_done(wb);
	mf->close(be);
	expect_leases4(p4, 2);
	s6 = leases6(p6, 1);
	free(s6.r);
}
