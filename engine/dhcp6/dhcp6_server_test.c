/* DHCPv6 server logic, message by message: requests built here byte by
 * byte, parsed by the real parser, answered by dhcp6_process, and the
 * replies parsed back and checked field by field; the leases, the log and
 * the statistics checked beside them.  No DPDK. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "dhcp6_server.h"
#include "dhcp6_test.h"
#include "lease_log.h"
#include "lease_rec.h"
#include "lease_table.h"

/* ---- a configuration made by hand ----------------------------------- */

static struct conf conf;
static struct conf6 c6;
static struct conf6_subnet subnets[2];
static struct conf6_pool pools[2];
static struct conf6_pd_pool pd_pools[1];
static struct conf6_host hosts[1];
static struct lease_addr6 host_addr;
static struct conf6_option opt_dns;
static uint8_t dns_value[16];
static struct lease_addr6 relay_link;
static const uint8_t server_duid[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 0x99 };

#define A t6_addr

static void conf_setup(void)
{
	memset(&conf, 0, sizeof(conf));
	memset(&c6, 0, sizeof(c6));
	memset(subnets, 0, sizeof(subnets));
	memset(pools, 0, sizeof(pools));
	memset(pd_pools, 0, sizeof(pd_pools));
	memset(hosts, 0, sizeof(hosts));
	conf.v6 = &c6;
	c6.valid_lifetime = 4000;
	c6.preferred_lifetime = 3000;
	c6.decline_probation_period = 600;
	c6.n_hr_order = 2;
	c6.hr_order[0] = CONF_HID_HW_ADDRESS;
	c6.hr_order[1] = CONF_HID_DUID;
	/* subnet 1 on port 0: 16 addresses and /56s out of a /52 */
	pools[0].first = A("2001:db8:1::100");
	pools[0].last = A("2001:db8:1::10f");
	pools[0].client_class = -1;
	pd_pools[0].prefix = A("2001:db8:8::");
	pd_pools[0].prefix_len = 52;
	pd_pools[0].delegated_len = 56;
	pd_pools[0].client_class = -1;
	subnets[0].id = 1;
	subnets[0].prefix = A("2001:db8:1::");
	subnets[0].prefix_len = 64;
	subnets[0].pools = &pools[0];
	subnets[0].n_pools = 1;
	subnets[0].pd_pools = pd_pools;
	subnets[0].n_pd_pools = 1;
	subnets[0].iface = 0;
	subnets[0].valid_lifetime = 4000;
	subnets[0].preferred_lifetime = 3000;
	subnets[0].shared = -1;
	subnets[0].client_class = -1;
	/* subnet 2 behind a relay: a /64 pool (the sparse allocator), rapid commit */
	relay_link = A("2001:db8:2::1");
	pools[1].first = A("2001:db8:2:0:1::");
	pools[1].last = A("2001:db8:2:0:1:ffff:ffff:ffff");
	pools[1].client_class = -1;
	subnets[1].id = 2;
	subnets[1].prefix = A("2001:db8:2::");
	subnets[1].prefix_len = 48;
	subnets[1].pools = &pools[1];
	subnets[1].n_pools = 1;
	subnets[1].iface = -1;
	subnets[1].valid_lifetime = 5000;
	subnets[1].preferred_lifetime = 2500;
	subnets[1].renew_timer = 1000;
	subnets[1].rebind_timer = 2000;
	subnets[1].rapid_commit = true;
	subnets[1].shared = -1;
	subnets[1].client_class = -1;
	c6.subnets = subnets;
	c6.n_subnets = 2;
	/* dns-servers (23) for everybody who asks */
	inet_pton(AF_INET6, "2001:db8::53", dns_value);
	opt_dns = (struct conf6_option){ .code = 23, .len = 16, .data = dns_value };
	c6.options.n = 1;
	c6.options.opts = &opt_dns;
	/* a reservation by DUID in subnet 1, outside the pool */
	host_addr = A("2001:db8:1::77");
	hosts[0].subnet_id = 1;
	hosts[0].id_type = CONF_HID_DUID;
	hosts[0].id_len = 4;
	memcpy(hosts[0].id, "\x00\x04\xaa\xbb", 4);
	hosts[0].addrs = &host_addr;
	hosts[0].n_addrs = 1;
	c6.hosts = hosts;
	c6.n_hosts = 1;
}

static struct dhcp6_runtime *rt;
static struct dhcp6_worker *w;
static struct lease_log *logp;
static int cons = -1;

static void server_up(bool with_consumer)
{
	rt = dhcp6_runtime_create(&conf, server_duid, sizeof(server_duid));
	CU_ASSERT_FATAL(rt != NULL);
	logp = lease_log_create(&(struct lease_log_params){ .size = 256 });
	CU_ASSERT_FATAL(logp != NULL);
	cons = with_consumer ? lease_log_consumer_add(logp, LEASE_LOG_LOSSY, NULL) : -1;
	w = dhcp6_worker_create(&(struct dhcp6_worker_params){
		.id = 0, .n_workers = 1, .conf = &conf, .rt = rt, .log = logp });
	CU_ASSERT_FATAL(w != NULL);
	dhcp6_worker_set_now(w, 1000000);
}

static void server_down(void)
{
	dhcp6_worker_free(w);
	dhcp6_runtime_free(rt);
	lease_log_free(logp);
	w = NULL;
	rt = NULL;
	logp = NULL;
}

/* ---- requests (dhcp6_test_util.c) ------------------------------------ */

static void server_id(struct t6_msg *m)
{
	t6_opt(m, DHCP6_OPT_SERVERID, server_duid, sizeof(server_duid));
}

/* Wrap m into a RELAY-FORW from relay_link with an interface-id. */
static void relay_wrap(struct t6_msg *m, const char *iid)
{
	struct t6_msg r;
	uint8_t a[16];

	r.n = 0;
	r.b[r.n++] = DHCP6_RELAY_FORW;
	r.b[r.n++] = 0;
	lease_addr6_store(relay_link, a);
	memcpy(r.b + r.n, a, 16);
	r.n += 16;
	inet_pton(AF_INET6, "fe80::c1", a);
	memcpy(r.b + r.n, a, 16);
	r.n += 16;
	t6_opt(&r, DHCP6_OPT_INTERFACE_ID, iid, strlen(iid));
	t6_opt(&r, DHCP6_OPT_RELAY_MSG, m->b, m->n);
	*m = r;
}

static const uint8_t duid1[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 1 };     /* DUID-LL */
static const uint8_t duid2[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 2 };
static const uint8_t duid_resv[] = { 0x00, 0x04, 0xaa, 0xbb };

static struct dhcp6_pkt rep;
static uint8_t out[2048];
static struct dhcp6_tx tx;

/* Send m on port 0 (multicast, from a link-local address); the reply
 * parsed into rep, or the return value <= 0. */
static int send_rx(struct t6_msg *m, bool multicast, const char *src)
{
	return t6_send(w, m, 0, multicast, src, &rep, out, sizeof(out), &tx);
}

static int send6(struct t6_msg *m)
{
	return send_rx(m, true, "fe80::1");
}

static uint16_t top_status(void)
{
	return t6_status_of(rep.msg + 4, rep.msg_len - 4);
}

static struct lease_addr6 rep_addr(unsigned ia_i, unsigned a_i)
{
	CU_ASSERT_FATAL(rep.n_ias > ia_i);
	CU_ASSERT_FATAL(rep.ias[ia_i].n_addrs > a_i);
	return lease_addr6_load(rep.ias[ia_i].addrs[a_i].addr);
}

static bool in_pool(struct lease_addr6 a, const struct conf6_pool *p)
{
	return lease_addr6_cmp(a, p->first) >= 0 && lease_addr6_cmp(a, p->last) <= 0;
}

/* ---- the tests -------------------------------------------------------- */

/* SOLICIT -> ADVERTISE: an address from the pool, both DUIDs, T1/T2 from
 * the preferred lifetime; nothing is held.  REQUEST of that address ->
 * REPLY, the lease is in the table and logged, the gauge moved. */
static void test_solicit_request(void)
{
	struct t6_msg m;
	struct lease_addr6 a;
	struct lease6 *l;
	struct lease_change ch[4];

	conf_setup();
	server_up(true);
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	t6_ia(&m, DHCP6_OPT_IA_NA, 7, NULL, 0);
	CU_ASSERT(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_ADVERTISE);
	CU_ASSERT_EQUAL(rep.transid, 0x123456);
	CU_ASSERT_EQUAL(rep.client_id.len, sizeof(duid1));
	CU_ASSERT(rep.server_id.len == sizeof(server_duid) &&
		  !memcmp(rep.server_id.data, server_duid, sizeof(server_duid)));
	CU_ASSERT_EQUAL(tx.dst_port, DHCP6_CLIENT_PORT);
	CU_ASSERT_EQUAL(rep.ias[0].iaid, 7);
	CU_ASSERT_EQUAL(rep.ias[0].t1, 1500);
	CU_ASSERT_EQUAL(rep.ias[0].t2, 2400);
	a = rep_addr(0, 0);
	CU_ASSERT(in_pool(a, &pools[0]));
	CU_ASSERT_EQUAL(rep.ias[0].addrs[0].valid, 4000);
	CU_ASSERT_EQUAL(rep.ias[0].addrs[0].pref, 3000);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 0);
	CU_ASSERT_EQUAL(lease_log_read(logp, (unsigned)cons, ch, 4), 0);

	t6_start(&m, DHCP6_REQUEST, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 7, t6_text(a), 128);
	CU_ASSERT(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_REPLY);
	CU_ASSERT(lease_addr6_eq(rep_addr(0, 0), a));
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), a);
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT_EQUAL(l->iaid, 7);
	CU_ASSERT_EQUAL(l->subnet_id, 1);
	CU_ASSERT_EQUAL(l->expire, 1000000 + 4000);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_nas, 1);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->c[STAT6_PKT6_REPLY_SENT], 1);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->c[STAT6_PKT6_ADVERTISE_SENT], 1);
	CU_ASSERT_EQUAL_FATAL(lease_log_read(logp, (unsigned)cons, ch, 4), 1);
	CU_ASSERT_EQUAL(ch[0].family, LEASE_FAMILY_V6);
	CU_ASSERT_EQUAL(ch[0].op, LEASE_OP_ADD);
	CU_ASSERT(lease_addr6_eq(ch[0].u.v6.addr, a));
	CU_ASSERT_EQUAL(ch[0].u.v6.iaid, 7);
	CU_ASSERT_EQUAL(ch[0].u.v6.duid_len, sizeof(duid1));
	/* DUID-LL: its link-layer address is the record's hwaddr */
	CU_ASSERT_EQUAL(ch[0].u.v6.hwaddr_len, 6);
	CU_ASSERT_EQUAL(ch[0].u.v6.hwaddr[5], 1);
	server_down();
}

/* RENEW extends; a RENEW naming an address that is not the client's gets
 * it back with zero lifetimes; RELEASE ends the lease. */
static void test_renew_release(void)
{
	struct t6_msg m;
	struct lease_addr6 a;
	struct lease6 *l;

	conf_setup();
	server_up(false);
	t6_start(&m, DHCP6_REQUEST, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	a = rep_addr(0, 0);
	dhcp6_worker_set_now(w, 1000100);
	t6_start(&m, DHCP6_RENEW, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, "2001:db8:1::10f", 128);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.ias[0].n_addrs, 2);
	CU_ASSERT(lease_addr6_eq(rep_addr(0, 0), a));
	CU_ASSERT_EQUAL(rep.ias[0].addrs[0].valid, 4000);
	if (!lease_addr6_eq(a, A("2001:db8:1::10f"))) {
		CU_ASSERT(lease_addr6_eq(rep_addr(0, 1), A("2001:db8:1::10f")));
		CU_ASSERT_EQUAL(rep.ias[0].addrs[1].valid, 0);
	}
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), a);
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT_EQUAL(l->expire, 1000100 + 4000);
	/* REBIND carries no server id */
	t6_start(&m, DHCP6_REBIND, duid1, sizeof(duid1));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT(lease_addr6_eq(rep_addr(0, 0), a));
	/* RELEASE */
	t6_start(&m, DHCP6_RELEASE, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, t6_text(a), 128);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(top_status(), DHCP6_ST_SUCCESS);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), a));
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_nas, 0);
	/* a RELEASE of nothing: the IA comes back with NoBinding */
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL_FATAL(rep.n_ias, 1);
	server_down();
}

/* IA_PD: a /56 out of the /52; two IA_NAs and an IA_PD at once. */
static void test_pd_and_several_ias(void)
{
	struct t6_msg m;
	struct lease_addr6 p, a0, a1;

	conf_setup();
	server_up(false);
	t6_start(&m, DHCP6_REQUEST, duid2, sizeof(duid2));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	t6_ia(&m, DHCP6_OPT_IA_NA, 2, NULL, 0);
	t6_ia(&m, DHCP6_OPT_IA_PD, 3, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL_FATAL(rep.n_ias, 3);
	a0 = rep_addr(0, 0);
	a1 = rep_addr(1, 0);
	CU_ASSERT(!lease_addr6_eq(a0, a1));
	CU_ASSERT_EQUAL(rep.ias[2].type, DHCP6_OPT_IA_PD);
	CU_ASSERT_EQUAL(rep.ias[2].addrs[0].plen, 56);
	p = rep_addr(2, 0);
	CU_ASSERT(lease_addr6_in_prefix(p, A("2001:db8:8::"), 52));
	CU_ASSERT(lease_addr6_eq(p, lease_addr6_mask(p, 56)));
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_nas, 2);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_pds, 1);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 3);
	server_down();
}

/* The pool runs dry: NoAddrsAvail inside the IA, no lease made. */
static void test_pool_exhausted(void)
{
	struct t6_msg m;
	uint8_t d[10];

	conf_setup();
	server_up(false);
	memcpy(d, duid1, sizeof(d));
	for (unsigned i = 0; i < 16; i++) {
		d[9] = (uint8_t)(0x40 + i);
		t6_start(&m, DHCP6_REQUEST, d, sizeof(d));
		server_id(&m);
		t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
		CU_ASSERT_FATAL(send6(&m) > 0);
		CU_ASSERT_EQUAL(rep.ias[0].n_addrs, 1);
	}
	d[9] = 0x7f;
	t6_start(&m, DHCP6_SOLICIT, d, sizeof(d));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.ias[0].n_addrs, 0);
	CU_ASSERT_EQUAL(rep.ias[0].t1, 0);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 16);
	CU_ASSERT(dhcp6_worker_stats(w)->c[STAT6_V6_ALLOCATION_FAIL] >= 1);
	server_down();
}

/* Through a relay: subnet 2 by the relay's link address, a RELAY-REPL
 * back to the relay with the interface-id echoed, rapid commit honoured
 * (REPLY + lease at once), T1/T2 as configured. */
static void test_relayed_rapid_commit(void)
{
	struct t6_msg m;
	struct lease_addr6 a;
	uint16_t l;
	const uint8_t *v;

	conf_setup();
	server_up(false);
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	t6_opt(&m, DHCP6_OPT_RAPID_COMMIT, "", 0);
	t6_ia(&m, DHCP6_OPT_IA_NA, 9, NULL, 0);
	relay_wrap(&m, "port-7");
	CU_ASSERT_FATAL(send_rx(&m, false, "2001:db8:2::1") > 0);
	CU_ASSERT_EQUAL(out[0], DHCP6_RELAY_REPL);
	CU_ASSERT_EQUAL(rep.n_relays, 1);
	v = dhcp6_opt_in(rep.relays[0].opts, rep.relays[0].opts_len, DHCP6_OPT_INTERFACE_ID, &l);
	CU_ASSERT(v && l == 6 && !memcmp(v, "port-7", 6));
	CU_ASSERT_EQUAL(tx.dst_port, DHCP6_SERVER_PORT);
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_REPLY);
	CU_ASSERT(rep.rapid_commit);
	a = rep_addr(0, 0);
	CU_ASSERT(in_pool(a, &pools[1]));
	CU_ASSERT_EQUAL(rep.ias[0].t1, 1000);
	CU_ASSERT_EQUAL(rep.ias[0].t2, 2000);
	CU_ASSERT_EQUAL(rep.ias[0].addrs[0].valid, 5000);
	CU_ASSERT_PTR_NOT_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), a));
	/* the same without rapid commit on the subnet: ADVERTISE, no lease */
	subnets[1].rapid_commit = false;
	t6_start(&m, DHCP6_SOLICIT, duid2, sizeof(duid2));
	t6_opt(&m, DHCP6_OPT_RAPID_COMMIT, "", 0);
	t6_ia(&m, DHCP6_OPT_IA_NA, 9, NULL, 0);
	relay_wrap(&m, "port-7");
	CU_ASSERT_FATAL(send_rx(&m, false, "2001:db8:2::1") > 0);
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_ADVERTISE);
	CU_ASSERT(!rep.rapid_commit);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 1);
	server_down();
}

/* RFC 8415 16: server ids where they must and must not be; a unicast
 * REQUEST is told to use multicast; no client id is dropped. */
static void test_message_checks(void)
{
	struct t6_msg m;

	conf_setup();
	server_up(false);
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT(send6(&m) < 0);
	t6_start(&m, DHCP6_REQUEST, duid1, sizeof(duid1));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT(send6(&m) < 0);
	t6_start(&m, DHCP6_REQUEST, duid1, sizeof(duid1));
	t6_opt(&m, DHCP6_OPT_SERVERID, duid2, sizeof(duid2));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT(send6(&m) < 0);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->c[STAT6_BAD_SERVER_ID], 3);
	t6_start(&m, DHCP6_SOLICIT, NULL, 0);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT(send6(&m) < 0);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->c[STAT6_NO_CLIENT_ID], 1);
	t6_start(&m, DHCP6_REQUEST, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send_rx(&m, false, "2001:db8:1::99") > 0);
	CU_ASSERT_EQUAL(top_status(), DHCP6_ST_USE_MULTICAST);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 0);
	server_down();
}

/* A DUID reservation gets its address (outside the pool); an
 * INFORMATION-REQUEST that asks for dns-servers gets them; CONFIRM says
 * on-link or NotOnLink. */
static void test_reservation_inforeq_confirm(void)
{
	struct t6_msg m;
	uint16_t l;
	const uint8_t *v;
	uint8_t oro[2] = { 0, 23 };

	conf_setup();
	server_up(false);
	t6_start(&m, DHCP6_REQUEST, duid_resv, sizeof(duid_resv));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 5, NULL, 0);
	t6_opt(&m, DHCP6_OPT_ORO, oro, 2);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT(lease_addr6_eq(rep_addr(0, 0), host_addr));
	v = dhcp6_opt(&rep, 23, &l);
	CU_ASSERT(v && l == 16 && !memcmp(v, dns_value, 16));

	t6_start(&m, DHCP6_INFORMATION_REQUEST, duid2, sizeof(duid2));
	t6_opt(&m, DHCP6_OPT_ORO, oro, 2);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_REPLY);
	CU_ASSERT_EQUAL(rep.n_ias, 0);
	v = dhcp6_opt(&rep, 23, &l);
	CU_ASSERT(v && l == 16);
	/* without the ORO entry, no dns-servers */
	t6_start(&m, DHCP6_INFORMATION_REQUEST, duid2, sizeof(duid2));
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_PTR_NULL(dhcp6_opt(&rep, 23, &l));

	t6_start(&m, DHCP6_CONFIRM, duid2, sizeof(duid2));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, "2001:db8:1::105", 128);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(top_status(), DHCP6_ST_SUCCESS);
	t6_start(&m, DHCP6_CONFIRM, duid2, sizeof(duid2));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, "2001:db8:99::5", 128);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(top_status(), DHCP6_ST_NOT_ON_LINK);
	server_down();
}

/* DECLINE: the address goes to probation without a client, then comes
 * back to the pool when probation ends. */
static void test_decline(void)
{
	struct t6_msg m;
	struct lease_addr6 a;
	struct lease6 *l;

	conf_setup();
	server_up(false);
	t6_start(&m, DHCP6_REQUEST, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	a = rep_addr(0, 0);
	t6_start(&m, DHCP6_DECLINE, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, t6_text(a), 128);
	CU_ASSERT_FATAL(send6(&m) > 0);
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), a);
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DECLINED);
	CU_ASSERT_EQUAL(l->duid_len, 0);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].declined, 1);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_nas, 0);
	dhcp6_worker_set_now(w, 1000000 + 601);
	CU_ASSERT(dhcp6_expire(w, 100) >= 1);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), a));
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].declined, 0);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->c[STAT6_RECLAIMED_DECLINED], 1);
	server_down();
}

/* Restore: records from a store come back into the table and the pools;
 * a later delete record removes; the restored client renews its lease. */
static void test_restore(void)
{
	struct lease6_rec r;
	struct t6_msg m;

	conf_setup();
	server_up(false);
	memset(&r, 0, sizeof(r));
	r.addr = A("2001:db8:1::105");
	r.duid_len = sizeof(duid1);
	memcpy(r.duid, duid1, sizeof(duid1));
	r.iaid = 4;
	r.type = LEASE6_TYPE_NA;
	r.prefix_len = 128;
	r.subnet_id = 1;
	r.valid_lft = 4000;
	r.pref_lft = 3000;
	r.expire = 1000000 + 3000;
	r.hwaddr_len = 6;
	memcpy(r.hwaddr, "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
	r.hwtype = 1;
	r.hwaddr_source = 2;
	CU_ASSERT_EQUAL(dhcp6_restore(w, &r), 0);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_nas, 1);
	{
		/* the lease keeps the record's hardware address (lease6-get shows it) */
		struct dhcp6_lease_filter f = { .by_addr = true, .addr = r.addr, .type = -1 };
		struct lease6_rec q;

		CU_ASSERT_EQUAL_FATAL(dhcp6_lease_query(w, &f, &q, 1, NULL), 1);
		CU_ASSERT_EQUAL(q.hwaddr_len, 6);
		CU_ASSERT(!memcmp(q.hwaddr, r.hwaddr, 6));
		CU_ASSERT_EQUAL(q.hwaddr_source, 2);
	}
	t6_start(&m, DHCP6_RENEW, duid1, sizeof(duid1));
	server_id(&m);
	t6_ia(&m, DHCP6_OPT_IA_NA, 4, "2001:db8:1::105", 128);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT(lease_addr6_eq(rep_addr(0, 0), A("2001:db8:1::105")));
	CU_ASSERT_EQUAL(rep.ias[0].addrs[0].valid, 4000);
	r.valid_lft = 0;
	CU_ASSERT_EQUAL(dhcp6_restore(w, &r), 0);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 0);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_nas, 0);
	server_down();
}

/* Classification: a pool for members of a class (a vendor-class test),
 * and a flex-id reservation (user-class bytes). */
static void test_classes_flex_id(void)
{
	struct cls_err err;
	struct t6_msg m;
	int vip;
	uint8_t vc[8] = { 0, 0, 0x11, 0x8b, 0, 2, 'v', 'p' };   /* 4491, one tuple "vp" */
	uint8_t uc[5] = { 0, 3, 'a', 'b', 'c' };

	conf_setup();
	c6.reg = cls_registry_create6();
	CU_ASSERT_FATAL(c6.reg != NULL);
	vip = cls_registry_add(c6.reg, "vip", "vendor-class[4491].exists", 0, &err);
	CU_ASSERT_FATAL(vip > 0);
	pools[0].client_class = vip;
	c6.flex_expr = cls_compile(&(struct cls_compile_params){
		.text = "option[15].hex", .result = CLS_T_STRING, .universe = CLS_V6,
		.reg = c6.reg }, &err);
	CU_ASSERT_FATAL(c6.flex_expr != NULL);
	c6.hr_order[c6.n_hr_order++] = CONF_HID_FLEX_ID;
	hosts[0].id_type = CONF_HID_FLEX_ID;
	hosts[0].id_len = 5;
	memcpy(hosts[0].id, uc, 5);
	server_up(false);
	/* not a member: the only address pool is not for it */
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.ias[0].n_addrs, 0);
	/* a member */
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	t6_opt(&m, DHCP6_OPT_VENDOR_CLASS, vc, sizeof(vc));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL_FATAL(rep.ias[0].n_addrs, 1);
	CU_ASSERT(in_pool(rep_addr(0, 0), &pools[0]));
	/* the flex-id reservation, by its user-class bytes */
	t6_start(&m, DHCP6_SOLICIT, duid2, sizeof(duid2));
	t6_opt(&m, DHCP6_OPT_USER_CLASS, uc, sizeof(uc));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT(lease_addr6_eq(rep_addr(0, 0), host_addr));
	server_down();
	cls_prog_free(c6.flex_expr);
	cls_registry_free(c6.reg);
}

/* HA load-balancing: the HA_<server> class the datapath's filter gives a
 * query (rx.ha_class) admits it to a pool guarded by that class; without
 * it the pool is not for the client. */
static void test_ha_class_pool(void)
{
	struct cls_err err;
	struct t6_msg m;
	int ha1;

	conf_setup();
	c6.reg = cls_registry_create6();
	CU_ASSERT_FATAL(c6.reg != NULL);
	ha1 = cls_registry_add(c6.reg, "HA_server1", NULL, 0, &err);
	CU_ASSERT_FATAL(ha1 > 0);
	pools[0].client_class = ha1;
	server_up(false);
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_EQUAL(rep.ias[0].n_addrs, 0);
	t6_ha_class = (uint16_t)ha1;
	t6_start(&m, DHCP6_SOLICIT, duid1, sizeof(duid1));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 0);
	CU_ASSERT_FATAL(send6(&m) > 0);
	t6_ha_class = 0;
	CU_ASSERT_EQUAL_FATAL(rep.ias[0].n_addrs, 1);
	CU_ASSERT(in_pool(rep_addr(0, 0), &pools[0]));
	server_down();
	cls_registry_free(c6.reg);
}

/* The server DUID: LLT from the MAC by default and kept in the data
 * directory (the same one after a "restart"), LL and EN as configured,
 * a configured identifier wins over the kept one. */
static void test_server_duid(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x42 };
	uint8_t d[DHCP6_DUID_MAX], d2[DHCP6_DUID_MAX], len, len2;
	char dir[] = "/tmp/pg-duid-XXXXXX", path[64], err[256];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	conf_setup();
	snprintf(c6.data_dir, sizeof(c6.data_dir), "%s/sub", dir);   /* made when missing */
	c6.server_id = (struct conf6_server_id){ .type = CONF6_DUID_LLT, .htype = 1, .persist = true };
	CU_ASSERT_EQUAL_FATAL(dhcp6_server_duid(&c6, mac, d, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(len, 14);
	CU_ASSERT(d[0] == 0 && d[1] == 1 && d[2] == 0 && d[3] == 1);
	CU_ASSERT(!memcmp(d + 8, mac, 6));
	/* kept: a second start with another MAC still gets the first DUID */
	CU_ASSERT_EQUAL(dhcp6_server_duid(&c6, (const uint8_t *)"\x02\x00\x00\x00\x00\x99", d2, &len2,
					  err, sizeof(err)), 0);
	CU_ASSERT(len2 == len && !memcmp(d, d2, len));
	snprintf(path, sizeof(path), "%s/sub/peregrine-dhcp6-serverid", dir);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	/* LL: type 3, htype, the MAC; not the kept LLT */
	c6.server_id.type = CONF6_DUID_LL;
	CU_ASSERT_EQUAL_FATAL(dhcp6_server_duid(&c6, mac, d, &len, err, sizeof(err)), 0);
	CU_ASSERT(len == 10 && d[1] == 3 && !memcmp(d + 4, mac, 6));
	/* EN with an identifier */
	c6.server_id = (struct conf6_server_id){ .type = CONF6_DUID_EN, .enterprise_id = 2495,
						 .identifier_len = 3, .identifier = { 1, 2, 3 },
						 .persist = false };
	CU_ASSERT_EQUAL_FATAL(dhcp6_server_duid(&c6, mac, d, &len, err, sizeof(err)), 0);
	CU_ASSERT(len == 9 && d[1] == 2 && d[4] == 0x09 && d[5] == 0xbf && d[8] == 3);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/* ---- claims of another server sharing the store (dhcp6_lease_learn) ---- */

#define NOW6 1000000u

/* Another server's client's lease of IA (duid, type, iaid) on addr/plen,
 * live until `expire`. */
static void holder6(struct lease6_rec *r, const char *addr, uint8_t type, uint8_t plen,
		    const uint8_t *duid, uint8_t duid_len, uint32_t iaid, uint32_t expire)
{
	memset(r, 0, sizeof(*r));
	r->addr = A(addr);
	r->type = type;
	r->prefix_len = plen;
	r->duid_len = duid_len;
	memcpy(r->duid, duid, duid_len);
	r->iaid = iaid;
	r->subnet_id = 7;               /* the other server's numbering */
	r->valid_lft = 4000;
	r->pref_lft = 3000;
	r->expire = expire;
}

/* A REQUEST of client d[9] = id for one IA of `ia_type` (iaid 1), naming
 * `hint` (may be NULL): the unit given, or :: when none. */
static struct lease_addr6 request_one(uint16_t ia_type, uint8_t id, const char *hint,
				      uint8_t plen)
{
	uint8_t d[10];
	struct t6_msg m;

	memcpy(d, duid1, sizeof(d));
	d[9] = id;
	t6_start(&m, DHCP6_REQUEST, d, sizeof(d));
	server_id(&m);
	t6_ia(&m, ia_type, 1, hint, plen);
	CU_ASSERT_FATAL(send6(&m) > 0);
	CU_ASSERT_FATAL(rep.n_ias == 1);
	for (unsigned i = 0; i < rep.ias[0].n_addrs; i++)
		if (rep.ias[0].addrs[i].valid)
			return lease_addr6_load(rep.ias[0].addrs[i].addr);
	return A("::");
}

static const uint8_t duid_x[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0x0e, 1 };   /* other servers' clients */
static const uint8_t duid_y[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0x0e, 2 };

static unsigned ia_leases(const uint8_t *duid, uint8_t len, uint8_t type, uint32_t iaid)
{
	struct lease6_key k = { duid, len, type, iaid };
	struct lease6 *v[8];

	return lease6_table_lookup_ia(dhcp6_worker_leases(w), &k, v, 8);
}

/* IA_NA: a learnt address is passed over by the allocator (a client that
 * names it gets another; with the 15 others leased nobody gets one); a
 * renewal refreshes it, a new holder replaces it, the holder's IA moving
 * frees the old one, an ended holder frees it, and it ends at its expiry
 * without a record.  Our lease at the address (-EBUSY) or in the IA
 * (-EEXIST) stays.  Nothing is ever logged. */
static void test_learn_claim_na(void)
{
	struct lease6_rec h;
	struct lease_addr6 a0, z, held = A("2001:db8:1::105");
	struct lease6 *l;
	struct stats6 *st;
	uint64_t head;
	uint8_t d0[10];

	conf_setup();
	server_up(false);
	st = dhcp6_worker_stats(w);
	holder6(&h, "2001:db8:1::105", LEASE6_TYPE_NA, 128, duid_x, sizeof(duid_x), 9, NOW6 + 100);
	head = lease_log_head(logp);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), held);
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT((l->flags & LEASE_F_FOREIGN) && l->iaid == 9 && l->expire == NOW6 + 100);
	CU_ASSERT_EQUAL(l->subnet_id, 1);                  /* ours */
	CU_ASSERT_EQUAL(st->c[STAT6_LEASES_CLAIMS], 1);
	CU_ASSERT_EQUAL(st->c[STAT6_LEASES_FOREIGN], 0);
	CU_ASSERT_EQUAL(st->subnet[0].assigned_nas, 1);
	CU_ASSERT_EQUAL(lease_log_head(logp), head);
	/* a client naming it gets another */
	a0 = request_one(DHCP6_OPT_IA_NA, 0x40, "2001:db8:1::105", 128);
	CU_ASSERT(in_pool(a0, &pools[0]) && !lease_addr6_eq(a0, held));
	head = lease_log_head(logp);
	/* our lease at the address: left */
	holder6(&h, t6_text(a0), LEASE6_TYPE_NA, 128, duid_x, sizeof(duid_x), 10, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -EBUSY);
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), a0);
	CU_ASSERT(l && !(l->flags & LEASE_F_FOREIGN) && l->duid_len == sizeof(duid1));
	/* our lease in the IA: left, nothing taken */
	z = lease_addr6_eq(a0, A("2001:db8:1::10f")) ? A("2001:db8:1::10e") : A("2001:db8:1::10f");
	memcpy(d0, duid1, sizeof(d0));
	d0[9] = 0x40;
	holder6(&h, t6_text(z), LEASE6_TYPE_NA, 128, d0, sizeof(d0), 1, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -EEXIST);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), z));
	/* a renewal learnt: the one entry, its lifetimes moved */
	holder6(&h, "2001:db8:1::105", LEASE6_TYPE_NA, 128, duid_x, sizeof(duid_x), 9, NOW6 + 300);
	h.pref_lft = 200;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 2);
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), held);
	CU_ASSERT(l && l->expire == NOW6 + 300 && l->pref_lft == 200 && l->iaid == 9);
	/* a new holder learnt: its lease takes the place */
	holder6(&h, "2001:db8:1::105", LEASE6_TYPE_NA, 128, duid_y, sizeof(duid_y), 3, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_EQUAL(ia_leases(duid_x, sizeof(duid_x), LEASE6_TYPE_NA, 9), 0);
	CU_ASSERT_EQUAL(ia_leases(duid_y, sizeof(duid_y), LEASE6_TYPE_NA, 3), 1);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 2);
	CU_ASSERT_EQUAL(st->subnet[0].assigned_nas, 2);
	/* that IA moves to z and back: the address it left is free each time */
	holder6(&h, t6_text(z), LEASE6_TYPE_NA, 128, duid_y, sizeof(duid_y), 3, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), held));
	CU_ASSERT_EQUAL(ia_leases(duid_y, sizeof(duid_y), LEASE6_TYPE_NA, 3), 1);
	h.addr = held;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), z));
	CU_ASSERT_EQUAL(st->c[STAT6_LEASES_CLAIMS], 5);
	CU_ASSERT_EQUAL(lease_log_head(logp), head);
	/* the 14 addresses left go to our clients, never the held one; then
	 * nobody gets any */
	for (uint8_t i = 1; i <= 14; i++) {
		z = request_one(DHCP6_OPT_IA_NA, (uint8_t)(0x40 + i), NULL, 0);
		CU_ASSERT(in_pool(z, &pools[0]) && !lease_addr6_eq(z, held));
	}
	CU_ASSERT(lease_addr6_eq(request_one(DHCP6_OPT_IA_NA, 0x60, "2001:db8:1::105", 128),
				 A("::")));
	/* the holder's lease ended: the address is free */
	head = lease_log_head(logp);
	h.expire = NOW6;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), held));
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -ENOENT);
	CU_ASSERT_EQUAL(lease_log_head(logp), head);
	/* learnt again; at its expiry it ends without a record, not counted
	 * as reclaimed (it was never this server's) */
	h.expire = NOW6 + 50;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT(lease_addr6_eq(request_one(DHCP6_OPT_IA_NA, 0x60, NULL, 0), A("::")));
	head = lease_log_head(logp);
	dhcp6_worker_set_now(w, NOW6 + 51);
	CU_ASSERT(dhcp6_expire(w, 100) >= 1);
	CU_ASSERT_EQUAL(lease_log_head(logp), head);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), held));
	CU_ASSERT_EQUAL(st->c[STAT6_RECLAIMED_LEASES], 0);
	CU_ASSERT_EQUAL(st->subnet[0].assigned_nas, 15);
	CU_ASSERT(lease_addr6_eq(request_one(DHCP6_OPT_IA_NA, 0x60, NULL, 0), held));
	server_down();
}

/* IA_PD: the same for a delegated /56 of the pd-pool's 16; a claim on a
 * unit of another length, outside the pools, or of type TA is not ours. */
static void test_learn_claim_pd(void)
{
	struct lease_addr6 held = A("2001:db8:8:500::"), p;
	struct lease6_rec h;
	struct lease6 *l;
	uint64_t head;

	conf_setup();
	server_up(false);
	holder6(&h, "2001:db8:8:500::", LEASE6_TYPE_PD, 56, duid_x, sizeof(duid_x), 4, NOW6 + 100);
	head = lease_log_head(logp);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), held);
	CU_ASSERT(l && (l->flags & LEASE_F_FOREIGN) && l->prefix_len == 56);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_pds, 1);
	/* while a reload is being prepared no new unit is taken (it would
	 * have to be mirrored); a renewal of a held one is learnt */
	{
		struct dhcp6_runtime *nrt = dhcp6_runtime_create_from(&conf, rt);
		struct dhcp6_reconf rc = { .conf = &conf, .rt = nrt };
		struct lease6_rec h2;

		CU_ASSERT_FATAL(nrt != NULL);
		CU_ASSERT_EQUAL_FATAL(dhcp6_worker_prepare(w, &rc), 0);
		holder6(&h2, "2001:db8:8:600::", LEASE6_TYPE_PD, 56, duid_y, sizeof(duid_y), 4,
			NOW6 + 100);
		CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h2), -EBUSY);
		CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), h2.addr));
		h.expire = NOW6 + 200;
		CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
		dhcp6_worker_unprepare(w);
		dhcp6_runtime_free(nrt);
		CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h2), 0);
		h2.valid_lft = 0;
		CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h2), 0);   /* and it ends */
		CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), h2.addr));
	}
	/* not ours to hold */
	h.prefix_len = 60;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -ENOENT);
	holder6(&h, "2001:db8:9::", LEASE6_TYPE_PD, 56, duid_x, sizeof(duid_x), 4, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -ENOENT);
	holder6(&h, "2001:db8:1::100", LEASE6_TYPE_TA, 128, duid_x, sizeof(duid_x), 4, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -ENOENT);
	h.type = 7;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), -EINVAL);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 1);
	/* a renewal, then a new holder */
	holder6(&h, "2001:db8:8:500::", LEASE6_TYPE_PD, 56, duid_x, sizeof(duid_x), 4, NOW6 + 400);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	l = lease6_table_lookup_addr(dhcp6_worker_leases(w), held);
	CU_ASSERT(l && l->expire == NOW6 + 400);
	holder6(&h, "2001:db8:8:500::", LEASE6_TYPE_PD, 56, duid_y, sizeof(duid_y), 5, NOW6 + 100);
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_EQUAL(ia_leases(duid_x, sizeof(duid_x), LEASE6_TYPE_PD, 4), 0);
	CU_ASSERT_EQUAL(ia_leases(duid_y, sizeof(duid_y), LEASE6_TYPE_PD, 5), 1);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 1);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->c[STAT6_LEASES_CLAIMS], 5);
	CU_ASSERT_EQUAL(lease_log_head(logp), head);
	/* the other 15 prefixes go to our clients (one naming the held one),
	 * then none is left */
	for (uint8_t i = 0; i < 15; i++) {
		p = request_one(DHCP6_OPT_IA_PD, (uint8_t)(0x40 + i), i ? NULL : "2001:db8:8:500::",
				56);
		CU_ASSERT(lease_addr6_in_prefix(p, A("2001:db8:8::"), 52) &&
			  !lease_addr6_eq(p, held));
	}
	CU_ASSERT(lease_addr6_eq(request_one(DHCP6_OPT_IA_PD, 0x60, NULL, 0), A("::")));
	/* the holder's lease ended: the prefix is free again */
	head = lease_log_head(logp);
	h.valid_lft = 0;
	CU_ASSERT_EQUAL(dhcp6_lease_learn(w, &h), 0);
	CU_ASSERT_EQUAL(lease_log_head(logp), head);
	CU_ASSERT_EQUAL(dhcp6_worker_stats(w)->subnet[0].assigned_pds, 15);
	CU_ASSERT(lease_addr6_eq(request_one(DHCP6_OPT_IA_PD, 0x60, NULL, 0), held));
	server_down();
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dhcp6_server", NULL, NULL);
	CU_add_test(s, "solicit, advertise, request, reply", test_solicit_request);
	CU_add_test(s, "renew, rebind, release", test_renew_release);
	CU_add_test(s, "IA_PD and several IAs", test_pd_and_several_ias);
	CU_add_test(s, "HA_<server> class from the HA filter admits to a guarded pool", test_ha_class_pool);
	CU_add_test(s, "pool exhausted: NoAddrsAvail", test_pool_exhausted);
	CU_add_test(s, "relayed, rapid commit", test_relayed_rapid_commit);
	CU_add_test(s, "server id, client id, unicast checks", test_message_checks);
	CU_add_test(s, "reservation, information-request, confirm", test_reservation_inforeq_confirm);
	CU_add_test(s, "decline and probation", test_decline);
	CU_add_test(s, "restore from the store", test_restore);
	CU_add_test(s, "class-restricted pool, flex-id reservation", test_classes_flex_id);
	CU_add_test(s, "server DUID: made, kept, LL, EN", test_server_duid);
	CU_add_test(s, "another server's claim learnt: IA_NA", test_learn_claim_na);
	CU_add_test(s, "another server's claim learnt: IA_PD", test_learn_claim_pd);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
