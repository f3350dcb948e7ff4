/* Control operations on leases (query/add/update/del/wipe, reclaim) and
 * live reconfiguration (carry-over, remap, orphans, pending releases). */
#include "dhcp4_test.h"
#include "lease_log.h"

static int64_t gauge_assigned(struct dhcp4_worker *w, unsigned s)
{
	return dhcp4_worker_stats(w)->subnet[s].assigned;
}

/* A lease of mac at addr for 100 s from T0, as lease4-add takes it. */
static void rec_for(struct lease_rec *r, uint32_t addr, const uint8_t mac[6])
{
	memset(r, 0, sizeof(*r));
	r->addr = addr;
	r->htype = 1;
	r->hwaddr_len = 6;
	memcpy(r->hwaddr, mac, 6);
	r->valid_lft = 100;
	r->expire = T0 + 100;
}

void test_lease_ops(void)
{
	struct dhcp4_lease_filter f;
	struct lease_rec r, out[8];
	uint64_t seq, matched;
	uint32_t a, b;
	unsigned n;

	setup(true, false);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, 0);
	CU_ASSERT(in_pool0(a) && in_pool0(b));
	/* query: offers are not leases, all filters apply */
	memset(&f, 0, sizeof(f));
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(matched, 2);
	f.addr = b;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(memcmp(out[0].hwaddr, MAC_B, 6) == 0);
	CU_ASSERT_EQUAL(out[0].subnet_id, 1);
	CU_ASSERT_EQUAL(out[0].expire - out[0].valid_lft, T0);
	memset(&f, 0, sizeof(f));
	f.hw_len = 6;
	memcpy(f.hw, MAC_A, 6);
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].addr == a);
	/* paging keeps the lowest addresses above `from` */
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].addr == (a < b ? a : b));
	f.from = a < b ? a : b;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].addr == (a < b ? b : a));
	/* add: bit taken, gauge up; a second add of the address is refused */
	rec_for(&r, IP(198, 18, 0, 19), MAC_C);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 3);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].cumulative, 3);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[0].assigned, 3);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EEXIST);
	r.addr = a;              /* MAC_C already has .19 */
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EEXIST);
	r.addr = IP(198, 18, 7, 7);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EINVAL);
	/* update replaces in place, keeps the bit */
	r.addr = IP(198, 18, 0, 19);
	r.valid_lft = 200;
	r.expire = T0 + 200;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), 0);
	memset(&f, 0, sizeof(f));
	f.addr = r.addr;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].valid_lft == 200);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 3);
	/* the address is not free to DISCOVER: a new client gets another */
	CU_ASSERT_NOT_EQUAL(offer_w(F.w, (const uint8_t[6]){ 2, 0, 0, 0, 1, 1 }, r.addr), r.addr);
	r.addr = IP(198, 18, 0, 18);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), -ENOENT);
	/* delete by address, then wipe the subnet */
	memset(&f, 0, sizeof(f));
	f.addr = a;
	{
		unsigned left = 7;

		CU_ASSERT_EQUAL(dhcp4_lease_del(F.w, &f, &left), 1);
		CU_ASSERT_EQUAL(left, 0);
	}
	CU_ASSERT_EQUAL(dhcp4_lease_del(F.w, &f, NULL), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 2);
	memset(&f, 0, sizeof(f));
	f.subnet_ids[0] = 1;
	f.n_subnet_ids = 1;
	CU_ASSERT_EQUAL(dhcp4_lease_del(F.w, &f, NULL), 2);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[0].assigned, 0);
	/* every address is free again except the pending offer's: 9 of 10 */
	for (n = 0; n < 9; n++)
		CU_ASSERT(in_pool0(dora((const uint8_t[6]){ 2, 0, 0, 0, 2, (uint8_t)n }, 0)));
	teardown();
}

void test_lease_reclaim(void)
{
	unsigned n;

	setup(true, false);
	dora(MAC_A, 0);
	dora(MAC_B, 0);
	dhcp4_worker_set_now(F.w, T0 + VALID + 1);
	n = dhcp4_lease_reclaim(F.w, 1000);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 2);
	teardown();
}

/* Reload: subnet 1's pool is unchanged (carried: its bitmap moves with
 * the leases' bits), subnet 2's pool grows (a new bitmap, bits claimed by
 * the remap), subnet 3 goes away (its lease is kept, orphaned). */
/* An address waiting for its durable delete stays taken across a reload
 * that replaces its pool (new bitmap), and is given back there later. */
void test_reconfigure_pending(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	static struct conf nc;
	static struct conf_subnet nsub[3];
	static struct conf_pool npools[3];
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t b, o;
	unsigned i, released = 0;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 64, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	b = dora(MAC_B, IP(198, 18, 2, 1));
	CU_ASSERT_FATAL(b >= IP(198, 18, 2, 10) && b <= IP(198, 18, 2, 12));
	m_init(&m, DHCP4_RELEASE, MAC_B);
	m_relay(&m, IP(198, 18, 2, 1));
	m_ciaddr(&m, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);

	nc = F.c;
	memcpy(nsub, F.subnets, sizeof(nsub));
	memcpy(npools, F.pools, sizeof(npools));
	npools[1].last = IP(198, 18, 2, 40);        /* subnet 2's pool: a new bitmap */
	for (i = 0; i < 3; i++)
		nsub[i].pools = &npools[i];
	nc.subnets = nsub;
	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(nrt), 2);
	CU_ASSERT_EQUAL_FATAL(reload_to(&nc, nrt, &rc), 0);   /* frees the old runtime */
	CU_ASSERT_EQUAL(rc.conflicts, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);
	/* still taken in the new bitmap */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(r_type(run(&m, &tx)), DHCP4_OFFER);
	o = r_yiaddr();
	CU_ASSERT(o != b && o >= IP(198, 18, 2, 10) && o <= IP(198, 18, 2, 40));
	/* the flusher runs: given back to the new bitmap */
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (i = 0; i < 5000 && !released; i++) {
		struct timespec ts = { 0, 1000000 };

		released = dhcp4_worker_poll(F.w);
		if (!released)
			nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL(released, 1);
	m_init(&m, DHCP4_DISCOVER, MAC_RELAY);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(r_type(run(&m, &tx)), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), b);
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();
	lease_file_reset();
}

void test_reconfigure(void)
{
	static struct conf nc;
	static struct conf_subnet nsub[3];
	static struct conf_pool npools[3];
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };
	struct dhcp4_lease_filter f;
	struct lease_rec out[4];
	uint64_t matched;
	uint32_t a, b, c, p;
	unsigned n;

	setup(true, false);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, IP(198, 18, 2, 1));
	c = dora(MAC_C, IP(198, 18, 3, 1));
	CU_ASSERT(in_pool0(a));
	CU_ASSERT(b >= IP(198, 18, 2, 10) && b <= IP(198, 18, 2, 12));
	CU_ASSERT(c >= IP(198, 18, 3, 10) && c <= IP(198, 18, 3, 20));

	nc = F.c;
	subnet(&nsub[0], 1, IP(198, 18, 0, 0), &npools[0], IP(198, 18, 0, 10), IP(198, 18, 0, 19), 0);
	nsub[0].options = F.subnets[0].options;
	subnet(&nsub[1], 2, IP(198, 18, 2, 0), &npools[1], IP(198, 18, 2, 10), IP(198, 18, 2, 40), -1);
	nsub[1].relay_addrs = F.relays;
	nsub[1].n_relay_addrs = 1;
	subnet(&nsub[2], 4, IP(198, 18, 4, 0), &npools[2], IP(198, 18, 4, 10), IP(198, 18, 4, 20), -1);
	nsub[2].valid_lifetime = 77;
	nc.subnets = nsub;
	nc.n_subnets = 3;

	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(nrt), 1);
	/* a reload given up hands the carried pool back: old one still works */
	dhcp4_runtime_free(nrt);
	CU_ASSERT_NOT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 3, 1 }, 0), 0);
	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);

	CU_ASSERT_EQUAL_FATAL(reload_to(&nc, nrt, &rc), 0);   /* frees the old runtime */
	CU_ASSERT_EQUAL(rc.leases, 4);
	CU_ASSERT_EQUAL(rc.orphaned, 1);          /* c: subnet 3 is gone */
	CU_ASSERT_EQUAL(rc.conflicts, 0);

	/* gauges recounted on the new layout; cumulative carried by id */
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 2);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 1);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 2), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].cumulative, 2);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[1].assigned, 1);
	/* the orphan is kept, with its old subnet id */
	memset(&f, 0, sizeof(f));
	f.addr = c;
	n = dhcp4_lease_query(F.w, &f, out, 4, &matched);
	CU_ASSERT(n == 1 && out[0].subnet_id == 3);
	/* leases keep working: renewals in the carried and the new pool */
	CU_ASSERT_EQUAL(dora(MAC_A, 0), a);
	CU_ASSERT_EQUAL(dora(MAC_B, IP(198, 18, 2, 1)), b);
	/* the new bitmaps know the old leases: 31 more clients through the
	 * relay get 31 distinct addresses, none of them b's, then none */
	for (p = 0; p < 30; p++) {
		uint32_t x = dora((const uint8_t[6]){ 2, 0, 0, 0, 4, (uint8_t)p }, IP(198, 18, 2, 1));

		CU_ASSERT(x >= IP(198, 18, 2, 10) && x <= IP(198, 18, 2, 40) && x != b);
	}
	CU_ASSERT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 4, 99 }, IP(198, 18, 2, 1)), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 31);
	/* the carried pool still holds a's bit: it is not handed out */
	for (p = 0; p < 8; p++)
		CU_ASSERT_NOT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 5, (uint8_t)p }, 0), a);
	teardown();
}

/* lease4-add/-update succeed only once the change is in the log: with the
 * log full (a store that does not keep up), the add is refused with
 * -ENOBUFS and nothing changes (no lease, the address still free, no
 * gauge); an update leaves the old lease as it was. */
void test_lease_add_log_full(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct dhcp4_lease_filter f;
	struct lease_backend *be;
	struct lease_rec r, out[2];
	struct wb *wb;
	uint64_t seq, matched;
	uint32_t x;
	unsigned i;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 4, false);      /* 4 entries, nobody drains */
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	memset(&r, 0, sizeof(r));
	r.htype = 1;
	r.hwaddr_len = 6;
	r.valid_lft = 100;
	r.expire = T0 + 100;
	for (i = 0; i < 4; i++) {
		r.addr = IP(198, 18, 0, 10 + i);
		r.hwaddr[5] = (uint8_t)i;
		CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), 0);
		CU_ASSERT_EQUAL(seq, i + 1);
	}
	x = IP(198, 18, 0, 14);
	r.addr = x;
	r.hwaddr[5] = 9;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -ENOBUFS);
	CU_ASSERT_EQUAL(seq, 0);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), 1);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 4);
	memset(&f, 0, sizeof(f));
	f.addr = x;
	CU_ASSERT_EQUAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 0);
	/* update of an existing lease: refused, the lease keeps its time */
	r.addr = IP(198, 18, 0, 10);
	r.hwaddr[5] = 0;
	r.expire = T0 + 999;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), -ENOBUFS);
	f.addr = r.addr;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_EQUAL(out[0].expire, T0 + 100);
	/* the store catches up: the same add now succeeds, and x was free */
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	CU_ASSERT(wait_durable(wb, 4));
	r.addr = x;
	r.hwaddr[5] = 9;
	r.expire = T0 + 100;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), 0);
	CU_ASSERT_EQUAL(seq, 5);
	CU_ASSERT(wait_durable(wb, 5));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();
}

/* Building a reload's pools from the in-use state: a resized pool (grown
 * or shrunk) gets exactly the bits in use in the old pools it covers, a
 * carried pool keeps its own; while the old pools are frozen the worker
 * still on the old runtime claims what it takes there in the new pool too
 * and parks what it frees (so the seed after the freeze is exact), and
 * after the switch that bit goes back to the new pool. */
void test_reload_seed(void)
{
	static struct conf nc;
	static struct conf_subnet nsub[3];
	static struct conf_pool npools[3];
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a, b, c, x;
	unsigned i;

	setup(true, false);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, IP(198, 18, 2, 1));
	c = dora(MAC_C, IP(198, 18, 3, 1));
	for (i = 0; i < 3; i++)
		CU_ASSERT_NOT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 6, (uint8_t)i },
					 IP(198, 18, 3, 1)), 0);
	nc = F.c;
	memcpy(nsub, F.subnets, sizeof(nsub));
	memcpy(npools, F.pools, sizeof(npools));
	npools[1].last = IP(198, 18, 2, 40);        /* grown */
	npools[2].last = IP(198, 18, 3, 11);        /* shrunk: .12 and .13 fall out */
	for (i = 0; i < 3; i++)
		nsub[i].pools = &npools[i];
	nc.subnets = nsub;
	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(nrt), 1);
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(nrt, a));
	for (x = IP(198, 18, 2, 10); x <= IP(198, 18, 2, 40); x++)
		CU_ASSERT_EQUAL(dhcp4_runtime_in_use(nrt, x), x == b);
	for (x = IP(198, 18, 3, 10); x <= IP(198, 18, 3, 11); x++)
		CU_ASSERT_TRUE(dhcp4_runtime_in_use(nrt, x));
	CU_ASSERT(c >= IP(198, 18, 3, 10) && c <= IP(198, 18, 3, 13));

	/* frozen: the worker still on the old runtime keeps serving; what it
	 * takes in a replaced pool is taken in the new one too */
	CU_ASSERT_EQUAL(dhcp4_runtime_freeze(nrt), 2);
	CU_ASSERT_TRUE(dhcp4_worker_frozen(F.w));
	x = dora((const uint8_t[6]){ 2, 0, 0, 0, 7, 1 }, IP(198, 18, 2, 1));
	CU_ASSERT(x >= IP(198, 18, 2, 10) && x <= IP(198, 18, 2, 12) && x != b);
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(nrt, x));
	CU_ASSERT_NOT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 7, 2 }, 0), 0);
	/* thawed (a reload given up): no more mirrors; frozen again, the new
	 * pools start over from their reservations */
	dhcp4_runtime_thaw(nrt);
	CU_ASSERT_FALSE(dhcp4_worker_frozen(F.w));
	x = dora((const uint8_t[6]){ 2, 0, 0, 0, 7, 3 }, IP(198, 18, 2, 1));
	CU_ASSERT(x >= IP(198, 18, 2, 10) && x <= IP(198, 18, 2, 12) && x != b);
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(nrt, x));
	CU_ASSERT_EQUAL(dhcp4_runtime_freeze(nrt), 2);
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(nrt, b));
	/* b is released under the old runtime: its bit waits, still taken */
	m_init(&m, DHCP4_RELEASE, MAC_B);
	m_relay(&m, IP(198, 18, 2, 1));
	m_ciaddr(&m, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_poll(F.w), 0);
	CU_ASSERT_EQUAL(dhcp4_runtime_seed(nrt), 3 + 2);   /* subnet 2's three; subnet 3's two in range */
	for (x = IP(198, 18, 2, 10); x <= IP(198, 18, 2, 40); x++)
		CU_ASSERT_EQUAL(dhcp4_runtime_in_use(nrt, x), dhcp4_runtime_in_use(F.rt, x));
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(nrt, b));

	CU_ASSERT_EQUAL_FATAL(reload_to(&nc, nrt, &rc), 0);   /* frees the old runtime */
	CU_ASSERT_EQUAL(rc.conflicts, 0);
	CU_ASSERT_EQUAL(rc.orphaned, 2);                   /* .12 and .13 */
	CU_ASSERT_FALSE(dhcp4_worker_frozen(F.w));
	CU_ASSERT_EQUAL(dhcp4_worker_poll(F.w), 1);        /* b back in the new pool */
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(nrt, b));
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 2);          /* the two taken around the freeze */
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 2), 4);   /* the orphans are still in subnet 3 */
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[2].assigned, 2);
	teardown();
}

/* A shared store refused a change and could not say whose the address is
 * (a holder it does not read): the address stays taken, by a stand-in
 * client of LEASE_UNKNOWN_HOLDER, until LEASE_UNKNOWN_HOLD_S; it is not
 * freed to be claimed again at once. */
void test_foreign_unknown_holder(void)
{
	struct lease_rec r;
	uint64_t seq;
	uint32_t a = IP(198, 18, 0, 19);

	setup(true, false);
	/* this worker's lease of MAC_B at a, as its change `seq` */
	rec_for(&r, a, MAC_B);
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_add(F.w, &r, false, &seq), 0);
	CU_ASSERT_EQUAL(dhcp4_lease_foreign(F.w, a, seq, NULL), 0);
	/* another client cannot have it: the address is held (it was freed) */
	memcpy(r.hwaddr, MAC_C, 6);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EEXIST);
	/* the client whose claim was refused gets another address */
	CU_ASSERT_NOT_EQUAL(dora(MAC_B, 0), a);
	teardown();
}

/* The worker's log has no record since `head` (a learnt claim is never
 * written, nor is its end). */
#define NO_RECORD(head) CU_ASSERT_EQUAL(lease_log_head(F.logs[0]), (head))

static const uint8_t MAC_D[6] = { 0x02, 0, 0, 0, 0, 0xd4 };
static const uint8_t MAC_E[6] = { 0x02, 0, 0, 0, 0, 0xe5 };

/* Another server's claim learnt (dhcp4_lease_learn): in subnet 2's pool
 * of three (.10-.12, through the relay) one address learnt is skipped by
 * the allocator, and with the other two leased no client gets any; a
 * REQUEST for it is not ACKed.  A renewal refreshes the one entry, a new
 * holder replaces it, an ended holder frees the address; a learnt lease
 * ends at its expiry without a record.  Nothing is ever logged. */
void test_learn_claim(void)
{
	const uint32_t relay = IP(198, 18, 2, 1), a = IP(198, 18, 2, 10);
	struct lease_rec h;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint64_t head;
	uint32_t x, y;
	unsigned n;
	int len;

	setup(true, false);
	rec_for(&h, a, MAC_C);
	head = lease_log_head(F.logs[0]);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	NO_RECORD(head);
	CU_ASSERT_EQUAL(ST(STAT4_LEASES_CLAIMS), 1);
	CU_ASSERT_EQUAL(ST(STAT4_LEASES_FOREIGN), 0);
	l = lease_of_mac(F.w, MAC_C);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT(l->addr == a && (l->flags & LEASE_F_FOREIGN) && l->expire == T0 + 100);
	CU_ASSERT_EQUAL(l->subnet_id, 2);
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(F.rt, a));
	/* the allocator passes it over: the two others, then none */
	x = dora_w(F.w, MAC_A, relay, &tx);
	y = dora_w(F.w, MAC_B, relay, &tx);
	CU_ASSERT(x && y && x != y && x != a && y != a);
	CU_ASSERT(x >= IP(198, 18, 2, 11) && x <= IP(198, 18, 2, 12));
	CU_ASSERT(y >= IP(198, 18, 2, 11) && y <= IP(198, 18, 2, 12));
	CU_ASSERT_EQUAL(dora_w(F.w, MAC_D, relay, &tx), 0);
	/* a client of ours asking for it by name is not given it */
	m_init(&m, DHCP4_REQUEST, MAC_D);
	m_relay(&m, relay);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	len = run(&m, &tx);
	CU_ASSERT(len <= 0 || r_type(len) != DHCP4_ACK);
	l = lease_of_mac(F.w, MAC_D);
	CU_ASSERT(!l || l->addr != a);
	n = lease_table_count(dhcp4_worker_leases(F.w));

	/* a renewal learnt: the same entry, its expiry moved */
	head = lease_log_head(F.logs[0]);
	h.valid_lft = 300;
	h.expire = T0 + 300;
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), n);
	l = lease_of_mac(F.w, MAC_C);
	CU_ASSERT(l && l->addr == a && l->expire == T0 + 300 && l->valid_lft == 300);
	CU_ASSERT_EQUAL(ST(STAT4_LEASES_CLAIMS), 2);
	/* a new holder learnt: it takes the entry's place, the address stays held */
	rec_for(&h, a, MAC_E);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_C));
	l = lease_of_mac(F.w, MAC_E);
	CU_ASSERT(l && l->addr == a && (l->flags & LEASE_F_FOREIGN));
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), n);
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(F.rt, a));
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 3);        /* x, y and the held one */
	/* the holder's lease ended (its expiry published): the address is free */
	h.expire = T0;
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_E));
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(F.rt, a));
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 2);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -ENOENT);   /* nothing to end */
	CU_ASSERT_EQUAL(ST(STAT4_LEASES_CLAIMS), 3);
	NO_RECORD(head);

	/* learnt again; it ends at its expiry without a record, and is not
	 * counted as reclaimed (it was never this server's) */
	h.expire = T0 + 50;
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	CU_ASSERT_EQUAL(dora_w(F.w, MAC_D, relay, &tx), 0);
	head = lease_log_head(F.logs[0]);
	dhcp4_worker_set_now(F.w, T0 + 51);
	CU_ASSERT(dhcp4_expire(F.w, 100) >= 1);
	NO_RECORD(head);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_E));
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 2);
	CU_ASSERT_EQUAL(dora_w(F.w, MAC_D, relay, &tx), a);  /* free again */
	teardown();
}

/* A learnt claim meets this server's own state: the client's offer gives
 * way (elsewhere, or at the very address), its old foreign entry
 * elsewhere goes (it moved); our client's live lease at the address
 * (-EBUSY) or for the client (-EEXIST) is left as it is, and so is an
 * address outside the pools (-ENOENT). */
void test_learn_meets_ours(void)
{
	struct lease_rec h;
	struct lease4 *l;
	uint64_t head;
	uint32_t b, o, z1, z2;

	setup(true, false);
	b = dora(MAC_B, 0);
	CU_ASSERT_FATAL(in_pool0(b));
	/* our live lease at the address: left */
	rec_for(&h, b, MAC_C);
	head = lease_log_head(F.logs[0]);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -EBUSY);
	l = lease_of_mac(F.w, MAC_B);
	CU_ASSERT(l && l->addr == b && !(l->flags & LEASE_F_FOREIGN));
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_C));
	/* our live lease for the client: left, the address not taken */
	z1 = b == IP(198, 18, 0, 19) ? IP(198, 18, 0, 18) : IP(198, 18, 0, 19);
	rec_for(&h, z1, MAC_B);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -EEXIST);
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(F.rt, z1));
	CU_ASSERT(lease_of_mac(F.w, MAC_B)->addr == b);
	/* outside the pools, outside the subnets, or the address 0 */
	rec_for(&h, IP(198, 18, 0, 50), MAC_C);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -ENOENT);
	rec_for(&h, IP(198, 18, 7, 7), MAC_C);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -ENOENT);
	rec_for(&h, 0, MAC_C);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -EINVAL);
	CU_ASSERT_EQUAL(ST(STAT4_LEASES_CLAIMS), 0);
	NO_RECORD(head);

	/* the client's offer elsewhere: dropped, its address free again */
	o = offer_w(F.w, MAC_A, 0);
	CU_ASSERT_FATAL(in_pool0(o) && o != b);
	z1 = IP(198, 18, 0, 10);
	while (z1 == b || z1 == o)
		z1++;
	head = lease_log_head(F.logs[0]);
	rec_for(&h, z1, MAC_A);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT(l && l->addr == z1 && (l->flags & LEASE_F_FOREIGN) &&
		  l->state == LEASE_STATE_DEFAULT);
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(F.rt, o));
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(F.rt, z1));
	/* it moves to another address: the old foreign entry goes */
	z2 = o;
	rec_for(&h, z2, MAC_A);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT(l && l->addr == z2 && (l->flags & LEASE_F_FOREIGN));
	CU_ASSERT_FALSE(dhcp4_runtime_in_use(F.rt, z1));
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(F.rt, z2));
	/* the client's offer at the very address: it gives way */
	o = offer_w(F.w, MAC_D, 0);
	CU_ASSERT_FATAL(in_pool0(o));
	rec_for(&h, o, MAC_D);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), 0);
	l = lease_of_mac(F.w, MAC_D);
	CU_ASSERT(l && l->addr == o && (l->flags & LEASE_F_FOREIGN) &&
		  l->state == LEASE_STATE_DEFAULT);
	CU_ASSERT_TRUE(dhcp4_runtime_in_use(F.rt, o));
	/* another client's offer at the address: left */
	o = offer_w(F.w, MAC_E, 0);
	CU_ASSERT_FATAL(in_pool0(o));
	rec_for(&h, o, MAC_C);
	CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -EBUSY);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_E)->state, LEASE_STATE_OFFERED);
	CU_ASSERT_EQUAL(ST(STAT4_LEASES_CLAIMS), 3);
	NO_RECORD(head);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 3);        /* b and the two held */
	/* another worker's lease at the address: left */
	{
		struct dhcp4_worker *w2 = mkworker(1, 2, NULL);
		struct dhcp4_tx tx;
		uint32_t q = dora_w(w2, (const uint8_t[6]){ 2, 0, 0, 0, 9, 1 }, 0, &tx);

		CU_ASSERT_FATAL(in_pool0(q));
		rec_for(&h, q, MAC_C);
		CU_ASSERT_EQUAL(dhcp4_lease_learn(F.w, &h), -EBUSY);
		CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_C));
		CU_ASSERT_EQUAL(lease_of_mac(w2, (const uint8_t[6]){ 2, 0, 0, 0, 9, 1 })->addr, q);
		dhcp4_worker_free(w2);
	}
	teardown();
}
