/* Address owners: the owner reference beside each address (two workers),
 * lease4-get-page as an ordered walk compared with the full scan it
 * replaces, and a lease moving between workers without a moment in which
 * it is missing, in memory or after a restart. */
#include "dhcp4_test.h"

static struct dhcp4_worker *W[2];

static struct lease_rec rec_of(uint32_t addr, const uint8_t mac[6], uint32_t valid)
{
	struct lease_rec r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.htype = 1;
	r.hwaddr_len = 6;
	memcpy(r.hwaddr, mac, 6);
	r.valid_lft = valid;
	r.expire = T0 + valid;
	return r;
}

static unsigned rec_worker(const struct lease_rec *r, unsigned n)
{
	struct lease_key k;

	dhcp4_rec_key(r, F.c.match_client_id, &k);
	return dhcp4_owner(&k, n);
}

/* A MAC (02:00:00:<tag>:x:y) whose client worker `want` of 2 owns. */
static void mac_for(unsigned want, uint8_t tag, uint8_t mac[6])
{
	struct lease_rec r;
	unsigned i;

	for (i = 0; i < 65536; i++) {
		uint8_t m[6] = { 2, 0, 0, tag, (uint8_t)(i >> 8), (uint8_t)i };

		r = rec_of(1, m, 1);
		if (rec_worker(&r, 2) == want) {
			memcpy(mac, m, 6);
			return;
		}
	}
	CU_FAIL("no MAC for that worker");
}

/* The lease at addr as a by-address question sees it: the owner's answer. */
static bool visible(uint32_t addr, const uint8_t *mac)
{
	struct dhcp4_lease_filter f = { .addr = addr };
	struct lease_rec out[1];
	int w = dhcp4_addr_owner(F.rt, addr, NULL);

	if (w < 0 || dhcp4_lease_query(W[w], &f, out, 1, NULL) != 1)
		return false;
	return !mac || memcmp(out[0].hwaddr, mac, 6) == 0;
}

void test_owner_index(void)
{
	struct dhcp4_lease_filter f;
	struct lease_rec r, out[1];
	struct dhcp4_tx tx;
	struct msg m;
	uint8_t m0[6], m1[6], m2[6];
	uint32_t a, b, ref;
	uint64_t seq;

	setup(true, false);
	W[0] = F.w;
	W[1] = mkworker(1, 2, NULL);
	mac_for(0, 1, m0);
	mac_for(1, 1, m1);
	mac_for(1, 2, m2);
	/* each worker's claim names it as the address's owner */
	a = dora_w(W[0], m0, 0, &tx);
	b = dora_w(W[1], m1, 0, &tx);
	CU_ASSERT_FATAL(a && b);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, a, &ref), 0);
	CU_ASSERT_EQUAL(dhcp4_ref_worker(ref), 0);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, b, NULL), 1);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, IP(198, 18, 0, 19), NULL), -ENOENT);
	/* the other worker does not answer for it (one worker is asked) */
	memset(&f, 0, sizeof(f));
	f.addr = b;
	CU_ASSERT_EQUAL(dhcp4_lease_query(W[0], &f, out, 1, NULL), 0);
	CU_ASSERT_EQUAL(dhcp4_lease_query(W[1], &f, out, 1, NULL), 1);
	/* an offer owns its address too, but is no lease */
	m_init(&m, DHCP4_DISCOVER, m2);
	CU_ASSERT_EQUAL(r_type(run_w(W[1], &m, &tx)), DHCP4_OFFER);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, r_yiaddr(), NULL), 1);
	f.addr = r_yiaddr();
	CU_ASSERT_EQUAL(dhcp4_lease_query(W[1], &f, out, 1, NULL), 0);
	/* release: the bit goes, nobody owns it */
	m_init(&m, DHCP4_RELEASE, m0);
	m_ciaddr(&m, a);
	CU_ASSERT_EQUAL(run_w(W[0], &m, &tx), 0);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, a, NULL), -ENOENT);
	/* outside the pools (lease4-add): the index of the runtime */
	r = rec_of(IP(198, 18, 0, 200), m2, 100);
	CU_ASSERT_EQUAL(dhcp4_lease_add(W[1], &r, false, &seq), 0);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, r.addr, NULL), 1);
	CU_ASSERT(visible(r.addr, m2));
	memset(&f, 0, sizeof(f));
	f.addr = r.addr;
	CU_ASSERT_EQUAL(dhcp4_lease_del(W[1], &f, NULL), 1);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, r.addr, NULL), -ENOENT);
	/* DECLINE: the held entry keeps the address, and answers for it */
	m_init(&m, DHCP4_DECLINE, m1);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(run_w(W[1], &m, &tx), 0);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, b, NULL), 1);
	f.addr = b;
	CU_ASSERT_EQUAL(dhcp4_lease_query(W[1], &f, out, 1, NULL), 1);
	CU_ASSERT_EQUAL(out[0].state, LEASE_STATE_DECLINED);
	dhcp4_worker_free(W[1]);
	teardown();
}

/* ---- paging ---------------------------------------------------------- */

struct fetch_count {
	unsigned calls[2], asked[2];
};

/* dhcp4_lease_page's fetch, as the control thread does it over the
 * message rings, but calling the workers directly. */
static long fetch_direct(void *arg, const uint32_t *addrs, const int *workers, unsigned n,
			 struct lease_rec *out)
{
	struct fetch_count *c = arg;
	uint32_t *mine = malloc(n * sizeof(*mine));
	struct lease_rec *got = malloc(n * sizeof(*got));
	unsigned w, i, k, total = 0;

	CU_ASSERT_FATAL(mine && got);
	for (w = 0; w < 2; w++) {
		for (i = 0, k = 0; i < n; i++)
			if (workers[i] == (int)w)
				mine[k++] = addrs[i];
		if (!k)
			continue;
		c->calls[w]++;
		c->asked[w] += k;
		k = dhcp4_lease_fetch(W[w], mine, k, got);
		memcpy(out + total, got, k * sizeof(*got));
		total += k;
	}
	free(mine);
	free(got);
	/* both workers' answers ascend: sort the concatenation */
	for (i = 1; i < total; i++)
		for (k = i; k > 0 && out[k - 1].addr > out[k].addr; k--) {
			struct lease_rec t = out[k];

			out[k] = out[k - 1];
			out[k - 1] = t;
		}
	return total;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct lease_rec *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* What lease4-get-page did before: every worker walks its whole table
 * for the `limit` lowest addresses above `from`, merged and cut. */
static long page_scan(uint32_t from, uint32_t limit, struct lease_rec *out)
{
	struct dhcp4_lease_filter f = { .from = from, .limit = limit };
	struct lease_rec *v = malloc(2 * (size_t)limit * sizeof(*v));
	unsigned n = 0, w;

	CU_ASSERT_FATAL(v != NULL);
	for (w = 0; w < 2; w++)
		n += dhcp4_lease_query(W[w], &f, v + n, limit, NULL);
	qsort(v, n, sizeof(*v), rec_cmp);
	if (n > limit)
		n = limit;
	memcpy(out, v, n * sizeof(*v));
	free(v);
	return n;
}

void test_page_matches_scan(void)
{
	struct lease_rec want[64], got[64], r;
	struct fetch_count fc = { { 0 } };
	struct dhcp4_tx tx;
	struct msg m;
	unsigned i, pages = 0, total = 0;
	uint32_t from = 0, seed = 12345;
	uint64_t seq;

	setup(true, false);
	W[0] = F.w;
	W[1] = mkworker(1, 2, NULL);
	/* a random set over the three subnets, in and out of their pools,
	 * each lease on its client's worker; plus offers, which are no leases */
	for (i = 0; i < 300; i++) {
		static const uint32_t nets[3] = { IP(198, 18, 0, 0), IP(198, 18, 2, 0), IP(198, 18, 3, 0) };
		uint8_t mac[6] = { 2, 0, 1, 0, (uint8_t)(i >> 8), (uint8_t)i };

		seed = seed * 1103515245u + 12345u;
		r = rec_of(nets[(seed >> 8) % 3] + 2 + (seed >> 16) % 250, mac, 100 + i);
		/* as lease4-add: the address's owner, if any, says it is taken */
		if (dhcp4_addr_owner(F.rt, r.addr, NULL) == -ENOENT)
			(void)dhcp4_lease_add(W[rec_worker(&r, 2)], &r, false, &seq);
	}
	for (i = 0; i < 4; i++) {
		uint8_t mac[6] = { 2, 0, 2, 0, 0, (uint8_t)i };

		m_init(&m, DHCP4_DISCOVER, mac);
		run_w(W[i % 2], &m, &tx);
	}
	CU_ASSERT(lease_table_count(dhcp4_worker_leases(W[0])) > 50);
	CU_ASSERT(lease_table_count(dhcp4_worker_leases(W[1])) > 50);
	/* page after page with varying sizes: the same leases, same order */
	for (;;) {
		uint32_t limit = 1 + (pages * 7) % 40;
		long a = page_scan(from, limit, want);
		long b = dhcp4_lease_page(F.rt, from, limit, fetch_direct, &fc, got);

		CU_ASSERT_EQUAL_FATAL(a, b);
		for (i = 0; i < (unsigned)a; i++) {
			CU_ASSERT_EQUAL(want[i].addr, got[i].addr);
			CU_ASSERT(memcmp(&want[i], &got[i], sizeof(want[i])) == 0);
		}
		pages++;
		total += (unsigned)a;
		if (a < (long)limit)
			break;
		from = got[a - 1].addr;
	}
	CU_ASSERT(pages > 10);
	CU_ASSERT_EQUAL(total, lease_table_count(dhcp4_worker_leases(W[0])) +
			       lease_table_count(dhcp4_worker_leases(W[1])) - 4);
	/* every worker was asked only for addresses it owns, a few at a time */
	CU_ASSERT(fc.calls[0] > 0 && fc.calls[1] > 0);
	CU_ASSERT(fc.asked[0] + fc.asked[1] <= total + 4 + pages);
	dhcp4_worker_free(W[1]);
	teardown();
}

/* lease4-get-page at 1M leases: one page of 100 by the full scan and by
 * the owner walk (printed, not asserted: a measurement). */
void test_page_1m(void)
{
	struct fetch_count fc = { { 0 } };
	struct lease_rec *out = malloc(100 * sizeof(*out)), r;
	struct timespec t0, t1, t2;
	uint32_t i, n = 1u << 20, from = 0;
	uint64_t seq;
	long a, b;

	conf_build(true, false, CONF_DUR_MEMORY);
	/* subnet 3 grows to 10.0.0.0/11 with one pool of 2M (unit test only:
	 * no packet leaves the process) */
	F.subnets[2].prefix = 0x0a000000u;
	F.subnets[2].mask = 0xffe00000u;
	F.subnets[2].prefix_len = 11;
	F.pools[2].first = 0x0a000001u;
	F.pools[2].last = 0x0a1ffffeu;
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	W[0] = F.w = mkworker(0, 2, NULL);
	W[1] = mkworker(1, 2, NULL);
	for (i = 0; i < n; i++) {
		uint8_t mac[6] = { 2, 1, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };

		r = rec_of(0x0a000001u + 2 * i, mac, 3600);   /* every other address */
		CU_ASSERT_EQUAL_FATAL(dhcp4_lease_add(W[rec_worker(&r, 2)], &r, false, &seq), 0);
	}
	from = 0x0a000001u + n;                 /* a page from the middle */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = page_scan(from, 100, out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	b = dhcp4_lease_page(F.rt, from, 100, fetch_direct, &fc, out);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	CU_ASSERT(a == 100 && b == 100);
	printf("\n    lease4-get-page of 100 at %u leases, 2 workers: full scan %.3f ms, "
	       "owner walk %.3f ms\n    ", n,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	       (t2.tv_sec - t1.tv_sec) * 1e3 + (t2.tv_nsec - t1.tv_nsec) / 1e6);
	free(out);
	dhcp4_worker_free(W[1]);
	teardown();
}

/* ---- moving a lease between workers ---------------------------------- */

enum between { NOTHING, OLD_RENEWS, OLD_RELEASES };

/* move_lease (engine/ctl) step by step, with direct calls: the lease must
 * be visible by address after every step, and `what` happens to the old
 * client between steps 1 and 2. */
static void move_steps(struct wb *wb, bool started, unsigned from, unsigned to,
		       const struct lease_rec *r, const uint8_t *old_mac, enum between what)
{
	uint64_t s0 = wb_durable(wb, from), seq = 0, old_seq = 0;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t ref;
	int ret;

	CU_ASSERT_EQUAL_FATAL(dhcp4_addr_owner(F.rt, r->addr, &ref), (int)from);
	CU_ASSERT(visible(r->addr, old_mac));
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_adopt(W[to], r, &seq), 0);
	CU_ASSERT(visible(r->addr, r->hwaddr));
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, r->addr, NULL), (int)to);
	if (what == OLD_RENEWS) {
		m_init(&m, DHCP4_REQUEST, old_mac);
		m_ciaddr(&m, r->addr);
		CU_ASSERT_EQUAL(r_type(run_w(W[from], &m, &tx)), DHCP4_ACK);
		CU_ASSERT(visible(r->addr, r->hwaddr));
	} else if (what == OLD_RELEASES) {
		m_init(&m, DHCP4_RELEASE, old_mac);
		m_ciaddr(&m, r->addr);
		CU_ASSERT_EQUAL(run_w(W[from], &m, &tx), 0);
		CU_ASSERT(visible(r->addr, r->hwaddr));
		CU_ASSERT_EQUAL(dhcp4_worker_pending(W[from]), 0);   /* nothing freed */
	}
	ret = dhcp4_lease_handover(W[from], r->addr, ref, &old_seq);
	CU_ASSERT_EQUAL(ret, what == OLD_RELEASES ? -ENOENT : 0);
	CU_ASSERT(visible(r->addr, r->hwaddr));
	CU_ASSERT_PTR_NULL(lease_of_mac(W[from], old_mac));
	if (!started)
		CU_ASSERT_EQUAL(wb_start(wb), 0);
	if (old_seq > s0) {
		CU_ASSERT(wait_durable_of(wb, from, old_seq));
		CU_ASSERT_EQUAL(dhcp4_lease_relog(W[to], r->addr, &seq), 0);
		CU_ASSERT(visible(r->addr, r->hwaddr));
	}
	CU_ASSERT(wait_durable_of(wb, to, seq));
}

static int restore_two(const struct lease_rec *r, void *arg)
{
	(void)arg;
	CU_ASSERT_EQUAL(dhcp4_restore(W[rec_worker(r, 2)], r), 0);
	return 0;
}

/* Old lease on `from` (worker 1), new client on `to` (worker 0): the
 * flusher takes worker 0's log first, so a record of the old worker
 * that is not ordered by the move would land after the new lease. */
static void move_case(enum between what)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease_rec r;
	uint8_t mo[6], mn[6];
	uint32_t a;
	unsigned from = 1, to = 0;

	wb = wb_two_workers(ops, &be);
	W[0] = F.w = mkworker(0, 2, wb);
	W[1] = mkworker(1, 2, wb);
	mac_for(from, 3, mo);
	mac_for(to, 4, mn);
	/* the old lease, not yet durable: the flusher starts mid-move */
	a = dora_w(W[from], mo, 0, &tx);
	CU_ASSERT_FATAL(a != 0);
	r = rec_of(a, mn, 900);
	r.subnet_id = 1;
	move_steps(wb, false, from, to, &r, mo, what);
	CU_ASSERT_EQUAL(dhcp4_addr_owner(F.rt, a, NULL), (int)to);
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	dhcp4_worker_free(W[1]);
	teardown();

	/* restart: the lease is there, under the new client */
	conf_build(true, false, CONF_DUR_MEMORY);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	W[0] = F.w = mkworker(0, 2, NULL);
	W[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_two, NULL), 0);
	ops->close(be);
	CU_ASSERT(visible(a, mn));
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(W[to], mn));
	CU_ASSERT_PTR_NULL(lease_of_mac(W[from], mo));
	dhcp4_worker_free(W[1]);
	teardown();
}

void test_move_without_gap(void)
{
	move_case(NOTHING);
	move_case(OLD_RENEWS);
	move_case(OLD_RELEASES);
}
