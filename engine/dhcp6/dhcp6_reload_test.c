/* Live reconfiguration of DHCPv6 (dhcp6_reconf.c): two workers on
 * hand-built configurations, with leases in pools that the reload keeps,
 * resizes, removes and adds; the two phases run by hand, then the leases,
 * the pools' bits, the gauges and the replies checked.  A threaded test
 * runs the phases while both workers keep allocating and releasing.
 * The invariant every test ends on: each unit is held exactly once (its
 * bit set, by one lease or one reservation, and no two leases on it). */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <CUnit/Basic.h>

#include "dhcp6_priv.h"
#include "dhcp6_test.h"

#define A t6_addr

/* ---- configurations made by hand ---------------------------------------- */

struct cfg {
	struct conf conf;
	struct conf6 c6;
	struct conf6_subnet sn[2];
	struct conf6_pool pools[2][3];
	struct conf6_pd_pool pd[1];
	struct conf6_host host;
	struct lease_addr6 host_addr;
	struct conf6_option dns;
	uint8_t dns_value[16];
};

static const uint8_t server_duid[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 0x99 };
static const uint8_t duid_r1[] = { 0, 4, 0xaa, 0x01 };    /* reserved ::105 in A */
static const uint8_t duid_r2[] = { 0, 4, 0xaa, 0x02 };    /* reserved ::10a in B */

static void pool_set(struct conf6_pool *p, const char *first, const char *last)
{
	p->first = A(first);
	p->last = A(last);
	p->client_class = -1;
}

static void subnet_set(struct conf6_subnet *s, uint32_t id, const char *prefix, int iface,
		       uint32_t valid)
{
	s->id = id;
	s->prefix = A(prefix);
	s->prefix_len = 64;
	s->iface = iface;
	s->valid_lifetime = valid;
	s->preferred_lifetime = valid / 2;
	s->shared = -1;
	s->client_class = -1;
}

/* A: subnet 1 (port 0): ::100-10f (kept), ::200-207 (grows to ::20f),
 *    ::300-303 (removed), the /52 by /56 pd-pool (kept or re-cut by /60);
 *    subnet 2 (port 1): 2001:db8:2::100-107 (the subnet goes away);
 *    ::105 reserved for R1; dns-servers 2001:db8::53.
 * B: subnet 1: ::100-10f, ::200-20f, ::400-403 (new), the pd-pool;
 *    subnet 3 (port 1): 2001:db8:3::100-107; ::10a reserved for R2 (R1's
 *    reservation is dropped); dns-servers 2001:db8::54; longer lifetimes. */
static void cfg_build(struct cfg *c, bool b, uint8_t delegated_len)
{
	memset(c, 0, sizeof(*c));
	c->conf.v6 = &c->c6;
	c->c6.valid_lifetime = 4000;
	c->c6.preferred_lifetime = 3000;
	c->c6.decline_probation_period = 600;
	c->c6.n_hr_order = 1;
	c->c6.hr_order[0] = CONF_HID_DUID;
	subnet_set(&c->sn[0], 1, "2001:db8:1::", 0, b ? 5000 : 4000);
	pool_set(&c->pools[0][0], "2001:db8:1::100", "2001:db8:1::10f");
	pool_set(&c->pools[0][1], "2001:db8:1::200", b ? "2001:db8:1::20f" : "2001:db8:1::207");
	if (b)
		pool_set(&c->pools[0][2], "2001:db8:1::400", "2001:db8:1::403");
	else
		pool_set(&c->pools[0][2], "2001:db8:1::300", "2001:db8:1::303");
	c->sn[0].pools = c->pools[0];
	c->sn[0].n_pools = 3;
	c->pd[0].prefix = A("2001:db8:8::");
	c->pd[0].prefix_len = 52;
	c->pd[0].delegated_len = delegated_len;
	c->pd[0].client_class = -1;
	c->pd[0].line = 42;
	c->sn[0].pd_pools = c->pd;
	c->sn[0].n_pd_pools = 1;
	subnet_set(&c->sn[1], b ? 3 : 2, b ? "2001:db8:3::" : "2001:db8:2::", 1, 4000);
	pool_set(&c->pools[1][0], b ? "2001:db8:3::100" : "2001:db8:2::100",
		 b ? "2001:db8:3::107" : "2001:db8:2::107");
	c->sn[1].pools = c->pools[1];
	c->sn[1].n_pools = 1;
	c->c6.subnets = c->sn;
	c->c6.n_subnets = 2;
	c->host.subnet_id = 1;
	c->host.id_type = CONF_HID_DUID;
	c->host.id_len = 4;
	memcpy(c->host.id, b ? duid_r2 : duid_r1, 4);
	c->host_addr = A(b ? "2001:db8:1::10a" : "2001:db8:1::105");
	c->host.addrs = &c->host_addr;
	c->host.n_addrs = 1;
	c->c6.hosts = &c->host;
	c->c6.n_hosts = 1;
	inet_pton(AF_INET6, b ? "2001:db8::54" : "2001:db8::53", c->dns_value);
	c->dns = (struct conf6_option){ .code = 23, .len = 16, .data = c->dns_value };
	c->c6.options.n = 1;
	c->c6.options.opts = &c->dns;
}

/* ---- two workers ---------------------------------------------------------- */

#define NW 2
static struct cfg ca, cb;
static struct dhcp6_runtime *rta, *rtb;
static struct dhcp6_worker *wk[NW];
static struct lease_log *lg[NW];
static struct dhcp6_reconf rc[NW];
static int cons[NW];

static void workers_up(uint32_t durable_consumer)
{
	rta = dhcp6_runtime_create(&ca.conf, server_duid, sizeof(server_duid));
	CU_ASSERT_FATAL(rta != NULL);
	for (unsigned k = 0; k < NW; k++) {
		lg[k] = lease_log_create(&(struct lease_log_params){ .size = 4096 });
		CU_ASSERT_FATAL(lg[k] != NULL);
		cons[k] = durable_consumer ? lease_log_consumer_add(lg[k], 0, NULL) : -1;
		wk[k] = dhcp6_worker_create(&(struct dhcp6_worker_params){
			.id = k, .n_workers = NW, .conf = &ca.conf, .rt = rta, .log = lg[k],
			.durable = durable_consumer ? 1u << cons[k] : 0 });
		CU_ASSERT_FATAL(wk[k] != NULL);
		dhcp6_worker_set_now(wk[k], 1000000);
	}
}

static void reconf_alloc(struct dhcp6_runtime *nrt, const struct conf *nc)
{
	for (unsigned k = 0; k < NW; k++) {
		memset(&rc[k], 0, sizeof(rc[k]));
		rc[k].conf = nc;
		rc[k].rt = nrt;
		rc[k].subnet = calloc(nc->v6->n_subnets, sizeof(*rc[k].subnet));
		rc[k].pool = calloc(dhcp6_runtime_pool_count(nrt), sizeof(*rc[k].pool));
		rc[k].cursor = calloc(dhcp6_runtime_pool_count(nrt), sizeof(*rc[k].cursor));
		CU_ASSERT_FATAL(rc[k].subnet && rc[k].pool && rc[k].cursor);
	}
}

static void reconf_free(void)
{
	for (unsigned k = 0; k < NW; k++) {
		free(rc[k].subnet);
		free(rc[k].pool);
		free(rc[k].cursor);
		memset(&rc[k], 0, sizeof(rc[k]));
	}
}

static void workers_down(void)
{
	for (unsigned k = 0; k < NW; k++) {
		dhcp6_worker_free(wk[k]);
		lease_log_free(lg[k]);
		wk[k] = NULL;
	}
	dhcp6_runtime_free(rtb);
	dhcp6_runtime_free(rta);
	rta = rtb = NULL;
	reconf_free();
}

/* ---- requests ------------------------------------------------------------- */

static struct dhcp6_pkt rep;
static uint8_t out[2048];
static struct dhcp6_tx tx;

static const uint8_t *duid_of(unsigned n)
{
	static uint8_t d[4096][10];

	d[n][0] = 0;
	d[n][1] = 3;
	d[n][2] = 0;
	d[n][3] = 1;
	d[n][4] = 2;
	d[n][8] = (uint8_t)(n >> 8);
	d[n][9] = (uint8_t)n;
	return d[n];
}

/* A message of client duid to worker k on port iface (an IA of type
 * iatype, naming addr if not NULL, asking for dns-servers).  The reply's
 * first IA's first lease, or :: when it has none with a valid lifetime. */
static struct lease_addr6 ask(unsigned k, uint8_t type, const uint8_t *duid, size_t dl,
			      uint16_t iatype, const char *addr, unsigned iface)
{
	struct t6_msg m;
	uint8_t oro[2] = { 0, 23 };

	t6_start(&m, type, duid, dl);
	if (type != DHCP6_SOLICIT && type != DHCP6_REBIND)
		t6_opt(&m, DHCP6_OPT_SERVERID, server_duid, sizeof(server_duid));
	t6_ia(&m, iatype, 1, addr, iatype == DHCP6_OPT_IA_PD ? 56 : 128);
	t6_opt(&m, DHCP6_OPT_ORO, oro, 2);
	if (t6_send(wk[k], &m, iface, true, "fe80::1", &rep, out, sizeof(out), &tx) <= 0 ||
	    rep.n_ias < 1 || rep.ias[0].n_addrs < 1 || !rep.ias[0].addrs[0].valid)
		return (struct lease_addr6){ 0, 0 };
	return lease_addr6_load(rep.ias[0].addrs[0].addr);
}

static struct lease_addr6 request(unsigned k, unsigned client, const char *addr, unsigned iface)
{
	return ask(k, DHCP6_REQUEST, duid_of(client), 10, DHCP6_OPT_IA_NA, addr, iface);
}

static bool zero(struct lease_addr6 a)
{
	return !a.hi && !a.lo;
}

/* The dns-servers value of the last reply (its last byte), 0 if none. */
static uint8_t reply_dns(void)
{
	uint16_t l;
	const uint8_t *v = dhcp6_opt(&rep, 23, &l);

	return v && l == 16 ? v[15] : 0;
}

/* ---- the invariant -------------------------------------------------------- */

struct unit6 {
	struct lease_addr6 a;
	uint8_t len;
};

struct held {
	struct unit6 *u;
	unsigned n;
	const struct dhcp6_runtime *rt;
	uint64_t *in_pool;              /* leases holding a bit, per pool */
	unsigned bad;                   /* a lease's own unit not in use */
};

static int held_one(struct lease6 *l, void *arg)
{
	struct held *h = arg;

	h->u[h->n++] = (struct unit6){ l->addr, l->prefix_len };
	if (l->pool != NO_POOL6 && !(l->flags & LEASE6_F_RESERVED)) {
		h->in_pool[l->pool]++;
		if (!alloc6_in_use(h->rt->pools[l->pool].ap, l->addr))
			h->bad++;
	}
	return 0;
}

static int cmp_unit(const void *a, const void *b)
{
	const struct unit6 *x = a, *y = b;
	int c = lease_addr6_cmp(x->a, y->a);

	return c ? c : (int)x->len - (int)y->len;
}

/* Every lease of both workers on a distinct unit; each pool's bits are
 * exactly its leases' units plus its reserved ones (nothing leaked,
 * nothing held twice).  The workers serve rt. */
static void check_units(const struct dhcp6_runtime *rt)
{
	uint64_t in_pool[64] = { 0 };
	struct held h = { .rt = rt, .in_pool = in_pool };
	unsigned n = 0, dup = 0;

	for (unsigned k = 0; k < NW; k++)
		n += lease6_table_count(dhcp6_worker_leases(wk[k]));
	h.u = calloc(n + 1, sizeof(*h.u));
	CU_ASSERT_FATAL(h.u != NULL);
	for (unsigned k = 0; k < NW; k++)
		(void)lease6_table_foreach(dhcp6_worker_leases(wk[k]), held_one, &h);
	qsort(h.u, h.n, sizeof(*h.u), cmp_unit);
	for (unsigned i = 1; i < h.n; i++)
		dup += !cmp_unit(&h.u[i - 1], &h.u[i]);
	free(h.u);
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_EQUAL(h.bad, 0);
	for (uint32_t p = 0; p < rt->n_pools; p++) {
		uint64_t resv = 0;

		for (unsigned i = 0; i < rt->n_resv; i++)
			resv += rt6_pool_of(rt, rt->resv[i].addr, rt->resv[i].len != 128) == p;
		if (alloc6_used(rt->pools[p].ap) != in_pool[p] + resv)
			fprintf(stderr, "pool %u: %lu bits, %lu leases + %lu reserved\n", p,
				(unsigned long)alloc6_used(rt->pools[p].ap), (unsigned long)in_pool[p],
				(unsigned long)resv);
		CU_ASSERT_EQUAL(alloc6_used(rt->pools[p].ap), in_pool[p] + resv);
	}
}

/* Sum of worker gauges: assigned addresses of subnet index s / pool p. */
static int64_t assigned_nas(unsigned s)
{
	int64_t n = 0;

	for (unsigned k = 0; k < NW; k++)
		n += dhcp6_worker_stats(wk[k])->subnet[s].assigned_nas;
	return n;
}

static int64_t pool_assigned(unsigned p)
{
	int64_t n = 0;

	for (unsigned k = 0; k < NW; k++)
		n += dhcp6_worker_stats(wk[k])->pool[p].assigned;
	return n;
}

static struct lease6 *lease_at(const char *a)
{
	for (unsigned k = 0; k < NW; k++) {
		struct lease6 *l = lease6_table_lookup_addr(dhcp6_worker_leases(wk[k]), A(a));

		if (l)
			return l;
	}
	return NULL;
}

/* ---- the tests ------------------------------------------------------------ */

/* Leases in every kind of pool, the two phases with one worker switched
 * before the other (each allocating meanwhile), then the state checked. */
static void test_remap(void)
{
	struct lease_addr6 got[64], a;
	unsigned n_got = 0, n_old = 0;
	struct lease6 *l;

	cfg_build(&ca, false, 56);
	cfg_build(&cb, true, 56);
	workers_up(0);
	CU_ASSERT(lease_addr6_eq(request(0, 1, "2001:db8:1::100", 0), A("2001:db8:1::100")));
	CU_ASSERT(lease_addr6_eq(request(1, 2, "2001:db8:1::101", 0), A("2001:db8:1::101")));
	CU_ASSERT(lease_addr6_eq(request(0, 3, "2001:db8:1::200", 0), A("2001:db8:1::200")));
	CU_ASSERT(lease_addr6_eq(request(1, 4, "2001:db8:1::201", 0), A("2001:db8:1::201")));
	CU_ASSERT(lease_addr6_eq(request(0, 5, "2001:db8:1::300", 0), A("2001:db8:1::300")));
	CU_ASSERT(lease_addr6_eq(request(1, 6, "2001:db8:1::301", 0), A("2001:db8:1::301")));
	CU_ASSERT(lease_addr6_eq(request(1, 7, "2001:db8:2::100", 1), A("2001:db8:2::100")));
	CU_ASSERT(lease_addr6_eq(request(1, 8, "2001:db8:1::10a", 0), A("2001:db8:1::10a")));
	CU_ASSERT(lease_addr6_eq(ask(0, DHCP6_REQUEST, duid_r1, 4, DHCP6_OPT_IA_NA, NULL, 0),
				 A("2001:db8:1::105")));
	CU_ASSERT(!zero(ask(0, DHCP6_REQUEST, duid_of(9), 10, DHCP6_OPT_IA_PD, NULL, 0)));
	CU_ASSERT_EQUAL(reply_dns(), 0x53);                 /* A's dns-servers */
	check_units(rta);

	rtb = dhcp6_runtime_create_from(&cb.conf, rta);
	CU_ASSERT_FATAL(rtb != NULL);
	CU_ASSERT_EQUAL(dhcp6_runtime_carried(rtb), 2);     /* ::100-10f and the pd-pool */
	CU_ASSERT(rtb->pools[0].ap == rta->pools[0].ap && rtb->pools[1].ap != rta->pools[1].ap);
	CU_ASSERT(rtb->closed);
	reconf_alloc(rtb, &cb.conf);
	/* phase 1: the resized pool gets the old leases' units, the new
	 * reservation is held by the lease that has its address, the dropped
	 * one by its host's lease */
	for (unsigned k = 0; k < NW; k++)
		CU_ASSERT_EQUAL_FATAL(dhcp6_worker_prepare(wk[k], &rc[k]), 0);
	CU_ASSERT_EQUAL(dhcp6_worker_prepare(wk[0], &rc[0]), -EBUSY);
	CU_ASSERT(alloc6_in_use(rtb->pools[1].ap, A("2001:db8:1::200")));
	CU_ASSERT(alloc6_in_use(rtb->pools[1].ap, A("2001:db8:1::201")));
	CU_ASSERT_EQUAL(alloc6_used(rtb->pools[1].ap), 2);
	CU_ASSERT_EQUAL(alloc6_used(rtb->pools[2].ap), 0);
	CU_ASSERT(rt6_reserved(rtb, A("2001:db8:1::10a"), 128)->held);
	CU_ASSERT_EQUAL_FATAL(rtb->n_gone, 1);
	CU_ASSERT(rtb->gone[0].held);
	CU_ASSERT_EQUAL(rc[0].conflicts + rc[1].conflicts + rc[0].mismatched + rc[1].mismatched, 0);
	/* its own pools hand nothing out before every worker is prepared */
	CU_ASSERT(!rt6_pool_open(rtb, 1) && !rt6_pool_open(rtb, 2) && rt6_pool_open(rtb, 0));
	dhcp6_runtime_open(rtb);
	CU_ASSERT(rt6_pool_open(rtb, 1) && rt6_pool_open(rtb, 2));

	/* phase 2 on worker 0 only: it takes every free unit of subnet 1 */
	CU_ASSERT_EQUAL_FATAL(dhcp6_worker_switch(wk[0], &rc[0]), 0);
	CU_ASSERT_EQUAL(rc[0].orphaned, 1);                 /* ::300 */
	for (unsigned c = 100; n_got < 64; c++) {
		a = request(0, c, NULL, 0);
		if (zero(a))
			break;
		got[n_got++] = a;
	}
	/* 16 - 4 (::100, ::101, ::105 until the commit, ::10a) + 16 - 2 + 4 */
	CU_ASSERT_EQUAL(n_got, 12 + 14 + 4);
	/* worker 1 still serves A: the units free there but taken in B are
	 * refused; the removed pool still hands out what A has */
	for (unsigned c = 200; c < 220; c++) {
		a = request(1, c, NULL, 0);
		if (zero(a))
			continue;
		n_old++;
		CU_ASSERT(lease_addr6_in_prefix(a, A("2001:db8:1::300"), 126));
	}
	CU_ASSERT_EQUAL(n_old, 2);                          /* ::302, ::303 */
	CU_ASSERT_EQUAL_FATAL(dhcp6_worker_switch(wk[1], &rc[1]), 0);
	CU_ASSERT_EQUAL(rc[1].orphaned, 4);                 /* ::301-303 and subnet 2's */
	CU_ASSERT_EQUAL(rc[0].leases + rc[1].leases, 5 + 7);   /* each had at its switch */
	dhcp6_runtime_commit(rtb);
	free(rc[0].subnet), free(rc[0].pool), free(rc[0].cursor);
	free(rc[1].subnet), free(rc[1].pool), free(rc[1].cursor);
	memset(rc, 0, sizeof(rc));
	dhcp6_runtime_free(rta);
	rta = NULL;
	check_units(rtb);

	/* gauges in the new layout: subnet 1 has its 10 old addresses (the
	 * orphans of its removed pool stay in it) and the 30 new ones; the
	 * lease of the removed subnet counts nowhere */
	CU_ASSERT_EQUAL(assigned_nas(0), 10 + 30);
	CU_ASSERT_EQUAL(assigned_nas(1), 0);                /* subnet 3 */
	CU_ASSERT_EQUAL(pool_assigned(0), 16);
	CU_ASSERT_EQUAL(pool_assigned(1), 16);
	CU_ASSERT_EQUAL(pool_assigned(2), 4);
	/* R1's reservation is gone: its lease owns ::105 now, a unit of the pool */
	l = lease_at("2001:db8:1::105");
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT(!(l->flags & LEASE6_F_RESERVED) && l->pool == 0);
	/* ::10a is R2's from now on, but client 8 keeps it until it lets go */
	l = lease_at("2001:db8:1::10a");
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT(l->flags & LEASE6_F_RESERVED);
	CU_ASSERT(zero(ask(0, DHCP6_REQUEST, duid_r2, 4, DHCP6_OPT_IA_NA, NULL, 0)));
	CU_ASSERT(zero(ask(1, DHCP6_RELEASE, duid_of(8), 10, DHCP6_OPT_IA_NA, "2001:db8:1::10a", 0)));
	CU_ASSERT(alloc6_in_use(rtb->pools[0].ap, A("2001:db8:1::10a")));   /* the reservation's */
	CU_ASSERT(lease_addr6_eq(ask(0, DHCP6_REQUEST, duid_r2, 4, DHCP6_OPT_IA_NA, NULL, 0),
				 A("2001:db8:1::10a")));
	/* renewals: the address stays, with B's lifetime and options */
	CU_ASSERT(lease_addr6_eq(ask(0, DHCP6_RENEW, duid_of(1), 10, DHCP6_OPT_IA_NA,
				     "2001:db8:1::100", 0), A("2001:db8:1::100")));
	CU_ASSERT_EQUAL(rep.ias[0].addrs[0].valid, 5000);
	CU_ASSERT_EQUAL(reply_dns(), 0x54);
	CU_ASSERT(lease_addr6_eq(ask(1, DHCP6_RENEW, duid_of(4), 10, DHCP6_OPT_IA_NA,
				     "2001:db8:1::201", 0), A("2001:db8:1::201")));
	/* the client of the removed subnet: zero lifetimes, its lease ends */
	CU_ASSERT(zero(ask(1, DHCP6_RENEW, duid_of(7), 10, DHCP6_OPT_IA_NA, "2001:db8:2::100", 1)));
	CU_ASSERT_PTR_NULL(lease_at("2001:db8:2::100"));
	check_units(rtb);
	/* everybody lets go, then both workers allocate until full again */
	for (unsigned i = 0; i < n_got; i++)
		(void)ask(0, DHCP6_RELEASE, duid_of(100 + i), 10, DHCP6_OPT_IA_NA, t6_text(got[i]), 0);
	n_got = 0;
	for (unsigned c = 300; c < 400; c++)
		n_got += !zero(request(c & 1, c, NULL, 0));
	CU_ASSERT_EQUAL(n_got, 30);
	check_units(rtb);
	workers_down();
}

/* A pd-pool re-cut into /60s while a /56 of it is delegated: the reload
 * is given up in phase 1 and the old runtime serves on, its carried
 * pools and bits as they were. */
static void test_mismatch_given_up(void)
{
	struct lease_addr6 p;
	uint64_t used0;

	cfg_build(&ca, false, 56);
	cfg_build(&cb, true, 60);
	workers_up(0);
	p = ask(1, DHCP6_REQUEST, duid_of(1), 10, DHCP6_OPT_IA_PD, NULL, 0);
	CU_ASSERT_FATAL(!zero(p));
	CU_ASSERT(!zero(request(0, 2, "2001:db8:1::10a", 0)));
	CU_ASSERT(!zero(request(0, 3, "2001:db8:1::10b", 0)));
	used0 = alloc6_used(rta->pools[0].ap);
	rtb = dhcp6_runtime_create_from(&cb.conf, rta);
	CU_ASSERT_FATAL(rtb != NULL);
	CU_ASSERT_EQUAL(dhcp6_runtime_carried(rtb), 1);
	reconf_alloc(rtb, &cb.conf);
	for (unsigned k = 0; k < NW; k++)
		CU_ASSERT_EQUAL(dhcp6_worker_prepare(wk[k], &rc[k]), 0);
	CU_ASSERT_EQUAL(rc[0].mismatched + rc[1].mismatched, 1);
	CU_ASSERT_EQUAL(rc[1].bad_pool, 3);
	CU_ASSERT_EQUAL(dhcp6_runtime_pool_line(rtb, 3), 42);
	/* while prepared, a new /56 would lie in /60 units: refused */
	CU_ASSERT(zero(ask(0, DHCP6_REQUEST, duid_of(4), 10, DHCP6_OPT_IA_PD, NULL, 0)));
	/* given up: the new reservation's bit (::10a was a lease's) and
	 * R1's (::105, carried) are as before */
	for (unsigned k = 0; k < NW; k++)
		dhcp6_worker_unprepare(wk[k]);
	dhcp6_runtime_free(rtb);
	rtb = NULL;
	CU_ASSERT(rta->pools[0].owned);
	CU_ASSERT_EQUAL(alloc6_used(rta->pools[0].ap), used0);
	CU_ASSERT(!zero(ask(0, DHCP6_REQUEST, duid_of(4), 10, DHCP6_OPT_IA_PD, NULL, 0)));
	CU_ASSERT(zero(ask(0, DHCP6_RELEASE, duid_of(2), 10, DHCP6_OPT_IA_NA, "2001:db8:1::10a", 0)));
	CU_ASSERT(!alloc6_in_use(rta->pools[0].ap, A("2001:db8:1::10a")));
	check_units(rta);
	workers_down();
}

/* The release queue across a reload: a unit released while its delete
 * is not durable stays taken in the resized pool, and goes back there
 * once the store has the delete. */
static void test_release_queue(void)
{
	struct lease_change ch[64];

	cfg_build(&ca, false, 56);
	cfg_build(&cb, true, 56);
	workers_up(1);
	CU_ASSERT(!zero(request(0, 1, "2001:db8:1::203", 0)));
	CU_ASSERT(zero(ask(0, DHCP6_RELEASE, duid_of(1), 10, DHCP6_OPT_IA_NA, "2001:db8:1::203", 0)));
	CU_ASSERT(alloc6_in_use(rta->pools[1].ap, A("2001:db8:1::203")));   /* queued */
	rtb = dhcp6_runtime_create_from(&cb.conf, rta);
	CU_ASSERT_FATAL(rtb != NULL);
	reconf_alloc(rtb, &cb.conf);
	for (unsigned k = 0; k < NW; k++)
		CU_ASSERT_EQUAL(dhcp6_worker_prepare(wk[k], &rc[k]), 0);
	CU_ASSERT(alloc6_in_use(rtb->pools[1].ap, A("2001:db8:1::203")));
	dhcp6_runtime_open(rtb);
	for (unsigned k = 0; k < NW; k++)
		CU_ASSERT_EQUAL(dhcp6_worker_switch(wk[k], &rc[k]), 0);
	dhcp6_runtime_commit(rtb);
	CU_ASSERT(alloc6_in_use(rtb->pools[1].ap, A("2001:db8:1::203")));
	/* the store takes the add and the delete: the unit is free in B */
	CU_ASSERT_EQUAL(lease_log_read(lg[0], (unsigned)cons[0], ch, 64), 2);
	lease_log_publish(lg[0], (unsigned)cons[0], ch[1].seq);
	CU_ASSERT_EQUAL(dhcp6_worker_poll(wk[0]), 1);
	CU_ASSERT(!alloc6_in_use(rtb->pools[1].ap, A("2001:db8:1::203")));
	workers_down();
}

/* Leases on reservations that end while their workers are prepared: a
 * unit newly reserved in a carried pool is handed over to the
 * reservation (its bit stays set), a dropped reservation's unit is free
 * after the commit.  Given up instead, the handed-over bit goes back. */
static void test_reservations_prepared(void)
{
	for (unsigned give_up = 0; give_up < 2; give_up++) {
		cfg_build(&ca, false, 56);
		cfg_build(&cb, true, 56);
		workers_up(0);
		CU_ASSERT(!zero(request(1, 8, "2001:db8:1::10a", 0)));
		CU_ASSERT(lease_addr6_eq(ask(0, DHCP6_REQUEST, duid_r1, 4, DHCP6_OPT_IA_NA, NULL, 0),
					 A("2001:db8:1::105")));
		rtb = dhcp6_runtime_create_from(&cb.conf, rta);
		CU_ASSERT_FATAL(rtb != NULL);
		CU_ASSERT(rt6_reserved(rtb, A("2001:db8:1::10a"), 128)->pending);
		reconf_alloc(rtb, &cb.conf);
		for (unsigned k = 0; k < NW; k++)
			CU_ASSERT_EQUAL(dhcp6_worker_prepare(wk[k], &rc[k]), 0);
		CU_ASSERT(rt6_reserved(rtb, A("2001:db8:1::10a"), 128)->held);
		CU_ASSERT(rtb->gone[0].held);
		/* both let go while prepared */
		CU_ASSERT(zero(ask(1, DHCP6_RELEASE, duid_of(8), 10, DHCP6_OPT_IA_NA,
				   "2001:db8:1::10a", 0)));
		CU_ASSERT(zero(ask(0, DHCP6_RELEASE, duid_r1, 4, DHCP6_OPT_IA_NA, "2001:db8:1::105", 0)));
		CU_ASSERT(alloc6_in_use(rta->pools[0].ap, A("2001:db8:1::10a")));   /* handed over */
		CU_ASSERT(rt6_reserved(rtb, A("2001:db8:1::10a"), 128)->claimed);
		CU_ASSERT(!rt6_reserved(rtb, A("2001:db8:1::10a"), 128)->held);
		CU_ASSERT(!rtb->gone[0].held);
		/* A's reservation still holds ::105 for R1 until the switch */
		CU_ASSERT(alloc6_in_use(rta->pools[0].ap, A("2001:db8:1::105")));
		/* a new client on A does not get ::10a (reserved in B) */
		for (unsigned c = 20; c < 40; c++)
			CU_ASSERT(!lease_addr6_eq(request(c & 1, c, NULL, 0), A("2001:db8:1::10a")));
		if (give_up) {
			for (unsigned k = 0; k < NW; k++)
				dhcp6_worker_unprepare(wk[k]);
			dhcp6_runtime_free(rtb);
			rtb = NULL;
			CU_ASSERT(!alloc6_in_use(rta->pools[0].ap, A("2001:db8:1::10a")));
			check_units(rta);
			workers_down();
			continue;
		}
		dhcp6_runtime_open(rtb);
		for (unsigned k = 0; k < NW; k++)
			CU_ASSERT_EQUAL(dhcp6_worker_switch(wk[k], &rc[k]), 0);
		dhcp6_runtime_commit(rtb);
		check_units(rtb);
		CU_ASSERT(lease_addr6_eq(ask(0, DHCP6_REQUEST, duid_r2, 4, DHCP6_OPT_IA_NA, NULL, 0),
					 A("2001:db8:1::10a")));
		CU_ASSERT(lease_addr6_eq(request(1, 50, "2001:db8:1::105", 0), A("2001:db8:1::105")));
		check_units(rtb);
		workers_down();
	}
}

/* What a reload costs a worker with 100k leases in a pool that grows
 * (every unit claimed in the new allocator): printed, and bounded well
 * under the control thread's wait (2 s per phase). */
static double since_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_cost_100k(void)
{
	enum { N = 100000 };
	struct lease6_rec r;
	struct timespec t0;
	double prep, sw;

	cfg_build(&ca, false, 56);
	cfg_build(&cb, true, 56);
	pool_set(&ca.pools[0][1], "2001:db8:1::1:0", "2001:db8:1::2:869f");   /* 100,000 */
	pool_set(&cb.pools[0][1], "2001:db8:1::1:0", "2001:db8:1::2:ffff");
	workers_up(0);
	memset(&r, 0, sizeof(r));
	r.duid_len = 10;
	r.type = LEASE6_TYPE_NA;
	r.prefix_len = 128;
	r.subnet_id = 1;
	r.valid_lft = 4000;
	r.expire = 1000000 + 4000;
	for (uint32_t i = 0; i < N; i++) {
		r.addr = A("2001:db8:1::1:0");
		r.addr.lo += i;
		memcpy(r.duid, "\x00\x03\x00\x01\x02\x00", 6);
		memcpy(r.duid + 6, &i, 4);
		CU_ASSERT_EQUAL_FATAL(dhcp6_restore(wk[0], &r), 0);
	}
	rtb = dhcp6_runtime_create_from(&cb.conf, rta);
	CU_ASSERT_FATAL(rtb != NULL);
	reconf_alloc(rtb, &cb.conf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(dhcp6_worker_prepare(wk[0], &rc[0]), 0);
	prep = since_ms(&t0);
	CU_ASSERT_EQUAL(dhcp6_worker_prepare(wk[1], &rc[1]), 0);
	CU_ASSERT_EQUAL(alloc6_used(rtb->pools[1].ap), N);
	dhcp6_runtime_open(rtb);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(dhcp6_worker_switch(wk[0], &rc[0]), 0);
	sw = since_ms(&t0);
	CU_ASSERT_EQUAL(dhcp6_worker_switch(wk[1], &rc[1]), 0);
	CU_ASSERT_EQUAL(rc[0].leases, N);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(wk[0])->pool[1].assigned, N);
	fprintf(stderr, "\n    100k leases, grown pool: prepare %.1f ms, switch %.1f ms ", prep, sw);
	CU_ASSERT(prep < 1000 && sw < 1000);
	dhcp6_runtime_commit(rtb);
	check_units(rtb);
	workers_down();
}

/* ---- both workers busy while the phases run --------------------------------- */

enum { CMD_NONE, CMD_PREPARE, CMD_SWITCH, CMD_STOP };

struct runner {
	pthread_t th;
	unsigned k;
	int cmd;                        /* atomic: the control side's order */
	int done;                       /* atomic: the last order carried out */
	struct dhcp6_pkt rep;
	uint8_t out[2048];
	unsigned live[128], n_live;     /* its clients with a lease */
	unsigned next_client;
	uint64_t given, refused;
	int err;                        /* a phase that failed (checked by the main thread) */
};

static struct lease_addr6 runner_ask(struct runner *r, uint8_t type, unsigned client,
				     const char *addr)
{
	struct t6_msg m;
	struct dhcp6_tx t;

	t6_start(&m, type, duid_of(client), 10);
	t6_opt(&m, DHCP6_OPT_SERVERID, server_duid, sizeof(server_duid));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, addr, 128);
	if (t6_send(wk[r->k], &m, 0, true, "fe80::1", &r->rep, r->out, sizeof(r->out), &t) <= 0 ||
	    r->rep.n_ias < 1 || r->rep.ias[0].n_addrs < 1 || !r->rep.ias[0].addrs[0].valid)
		return (struct lease_addr6){ 0, 0 };
	return lease_addr6_load(r->rep.ias[0].addrs[0].addr);
}

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	unsigned seed = 7 + r->k;

	for (;;) {
		int cmd = __atomic_load_n(&r->cmd, __ATOMIC_ACQUIRE);

		if (cmd != __atomic_load_n(&r->done, __ATOMIC_RELAXED)) {
			if (cmd == CMD_STOP)
				break;
			if (cmd == CMD_PREPARE && dhcp6_worker_prepare(wk[r->k], &rc[r->k]))
				r->err = cmd;
			if (cmd == CMD_SWITCH && dhcp6_worker_switch(wk[r->k], &rc[r->k]))
				r->err = cmd;
			__atomic_store_n(&r->done, cmd, __ATOMIC_RELEASE);
		}
		/* mostly takes, so the pools stay nearly full */
		if (r->n_live && (r->n_live == 128 || rand_r(&seed) % 8 < 3)) {
			unsigned i = (unsigned)rand_r(&seed) % r->n_live;
			unsigned c = r->live[i];
			struct lease6 *l = NULL;
			struct lease6_key key = { duid_of(c), 10, LEASE6_TYPE_NA, 1 };

			if (lease6_table_lookup_ia(dhcp6_worker_leases(wk[r->k]), &key, &l, 1) == 1)
				(void)runner_ask(r, DHCP6_RELEASE, c, t6_text(l->addr));
			r->live[i] = r->live[--r->n_live];
		} else {
			/* clients 1000 * (k + 1) + ...: each worker its own */
			unsigned c = 1000 * (r->k + 1) + r->next_client++ % 900;

			if (!zero(runner_ask(r, DHCP6_REQUEST, c, NULL))) {
				r->given++;
				r->live[r->n_live++] = c;
			} else {
				r->refused++;
			}
		}
	}
	return NULL;
}

static void order(struct runner *r, int cmd)
{
	__atomic_store_n(&r->cmd, cmd, __ATOMIC_RELEASE);
	while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) != cmd)
		sched_yield();
}

static void pause_ms(unsigned ms)
{
	struct timespec t = { 0, (long)ms * 1000000 };

	nanosleep(&t, NULL);
}

/* Worker 0 switches first and allocates from the grown pool while worker
 * 1, still on A, allocates and releases in the old one: a unit both
 * could take is refused to one of them.  Several rounds, each reloading
 * A -> B; the units are checked after every round. */
static void test_concurrent(void)
{
	static struct runner run[NW];
	uint64_t refused = 0;

	for (unsigned round = 0; round < 6; round++) {
		cfg_build(&ca, false, 56);
		cfg_build(&cb, true, 56);
		workers_up(0);
		memset(run, 0, sizeof(run));
		for (unsigned k = 0; k < NW; k++) {
			run[k].k = k;
			CU_ASSERT_FATAL(pthread_create(&run[k].th, NULL, runner_main, &run[k]) == 0);
		}
		pause_ms(5);
		rtb = dhcp6_runtime_create_from(&cb.conf, rta);
		CU_ASSERT_FATAL(rtb != NULL);
		reconf_alloc(rtb, &cb.conf);
		order(&run[0], CMD_PREPARE);
		pause_ms(2);
		order(&run[1], CMD_PREPARE);
		dhcp6_runtime_open(rtb);
		order(&run[round & 1], CMD_SWITCH);
		pause_ms(10);
		order(&run[!(round & 1)], CMD_SWITCH);
		pause_ms(3);
		for (unsigned k = 0; k < NW; k++) {
			__atomic_store_n(&run[k].cmd, CMD_STOP, __ATOMIC_RELEASE);
			pthread_join(run[k].th, NULL);
			refused += run[k].refused;
			CU_ASSERT_EQUAL(run[k].err, 0);
			CU_ASSERT(run[k].given > 20);
		}
		dhcp6_runtime_commit(rtb);
		check_units(rtb);
		workers_down();
	}
	CU_ASSERT(refused > 0);
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dhcp6_reload", NULL, NULL);
	CU_add_test(s, "carried, resized, removed, new pools; reservations", test_remap);
	CU_add_test(s, "units of another length: given up", test_mismatch_given_up);
	CU_add_test(s, "release queue across the switch", test_release_queue);
	CU_add_test(s, "reservations whose leases end while prepared", test_reservations_prepared);
	CU_add_test(s, "what 100k leases cost", test_cost_100k);
	CU_add_test(s, "both workers allocating through the switch", test_concurrent);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
