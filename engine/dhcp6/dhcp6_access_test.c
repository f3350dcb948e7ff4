/* RADIUS access on the DHCPv6 worker (issue 17): a SOLICIT, REQUEST,
 * RENEW or REBIND of a client with no cached answer suspends with nothing
 * changed, asks about the configured identifier, and resumes with the
 * answer; answers are cached (cache-ttl, reject-ttl, not when the answer
 * says so); a rejected client gets nothing; Framed-IPv6-Address,
 * Delegated-IPv6-Prefix and Framed-IPv6-Pool each assign what they name,
 * and each refusal falls back to the usual allocation, counted.  The
 * configurations go through conf_load_text, so the radius and dhcp6
 * blocks are read as in production.  No DPDK. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "access_cache.h"
#include "dhcp6_server.h"
#include "dhcp6_test.h"
#include "lease_log.h"
#include "lease_table.h"

#define A t6_addr
#define T0 1000000u

static const uint8_t server_duid[] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 0x99 };

/* The radius block's identifier-type6 and extra dhcp6 keys vary. */
static const char conf_fmt[] =
	"dpdk = { lcores = \"0,1\"; };\n"
	"interfaces = ( { name = \"eth0\"; device = \"net_null0\"; address = \"198.18.0.1/24\";\n"
	"                 address6 = \"2001:db8:1::1/64\"; } );\n"
	"radius = { identifier-type6 = \"%s\"; cache-ttl = 100; reject-ttl = 50;\n"
	"  access = { servers = ( { name = \"127.0.0.1\"; secret = \"testing123\"; } ); }; };\n"
	"dhcp6 = {\n"
	"  valid-lifetime = 4000; preferred-lifetime = 3000;\n"
	"  client-classes = ( { name = \"gold\"; } );\n"
	"  %s\n"
	"  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; interface = \"eth0\";\n"
	"    pools = ( { pool = \"2001:db8:1::100 - 2001:db8:1::10f\"; client-class = \"gold\"; },\n"
	"              { pool = \"2001:db8:1::200 - 2001:db8:1::20f\"; } );\n"
	"    pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 52; delegated-len = 56;\n"
	"                   client-class = \"gold\"; },\n"
	"                 { prefix = \"2001:db8:9::\"; prefix-len = 52; delegated-len = 56; } ); } );\n"
	"};\n";

static struct conf *xc;
static struct dhcp6_runtime *rt;
static struct dhcp6_worker *w;
static struct lease_log *logp;

static void setup(const char *id_type, const char *extra)
{
	char text[4096], err[512];

	snprintf(text, sizeof(text), conf_fmt, id_type, extra);
	xc = conf_load_text("access6.conf", text, err, sizeof(err));
	if (!xc)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xc);
	rt = dhcp6_runtime_create(xc, server_duid, sizeof(server_duid));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	logp = lease_log_create(&(struct lease_log_params){ .size = 256 });
	CU_ASSERT_PTR_NOT_NULL_FATAL(logp);
	w = dhcp6_worker_create(&(struct dhcp6_worker_params){
		.id = 0, .n_workers = 1, .conf = xc, .rt = rt, .log = logp, .ask_access = true });
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	dhcp6_worker_set_now(w, T0);
}

static void teardown(void)
{
	dhcp6_worker_free(w);
	dhcp6_runtime_free(rt);
	lease_log_free(logp);
	conf_free(xc);
	w = NULL;
	rt = NULL;
	logp = NULL;
	xc = NULL;
}

static uint64_t st(enum stat6 s)
{
	return dhcp6_worker_stats(w)->c[s];
}

/* ---- exchanges ------------------------------------------------------------ */

static struct dhcp6_pkt rep;
static uint8_t out[2048];
static struct dhcp6_tx tx;
static bool suspended;          /* the last xrun asked */

/* Run m (multicast from fe80::1, or unicast to our address); when it
 * suspends, resume it with ans (none: leave it suspended).  The reply is
 * parsed into rep; the result of the last call is returned. */
static int xrun_to(struct t6_msg *m, bool multicast, const struct access_answer *ans)
{
	struct dhcp6_rx rx = { .iface = 0, .multicast = multicast };
	struct dhcp6_pkt req;
	int n;

	inet_pton(AF_INET6, "fe80::1", rx.src_ip);
	inet_pton(AF_INET6, multicast ? "ff02::1:2" : "2001:db8:1::1", rx.dst_ip);
	memcpy(rx.src_mac, "\x02\x00\x00\x00\xee\x01", 6);
	CU_ASSERT_FATAL(dhcp6_parse(&req, m->b, m->n) == 0);
	memset(&tx, 0, sizeof(tx));
	n = dhcp6_process(w, &rx, &req, out, sizeof(out), &tx);
	suspended = n == DHCP6_SUSPEND;
	if (suspended) {
		CU_ASSERT_EQUAL(tx.ask, DHCP6_ASK_ACCESS);
		if (!ans)
			return n;
		n = dhcp6_resume(w, &rx, &req, tx.ask, ans, out, sizeof(out), &tx);
		CU_ASSERT_NOT_EQUAL(n, DHCP6_SUSPEND);
	}
	if (n > 0)
		CU_ASSERT_FATAL(dhcp6_parse(&rep, out, (size_t)n) == 0);
	return n;
}

static int xrun(struct t6_msg *m, const struct access_answer *ans)
{
	return xrun_to(m, true, ans);
}

static void duid_of(uint8_t d[10], unsigned n)
{
	memcpy(d, "\x00\x03\x00\x01\x02\x00\x00\x00\x00", 9);
	d[9] = (uint8_t)n;
}

/* A message of client n with an IA_NA (iaid 1, naming na) and, with pd,
 * an IA_PD (iaid 2, naming pfx/56). */
static void msg(struct t6_msg *m, uint8_t type, unsigned n, const char *na, bool pd,
		const char *pfx)
{
	uint8_t d[10];

	duid_of(d, n);
	t6_start(m, type, d, sizeof(d));
	if (type != DHCP6_SOLICIT && type != DHCP6_REBIND)
		t6_opt(m, DHCP6_OPT_SERVERID, server_duid, sizeof(server_duid));
	t6_ia(m, DHCP6_OPT_IA_NA, 1, na, 128);
	if (pd)
		t6_ia(m, DHCP6_OPT_IA_PD, 2, pfx, 56);
}

/* The unit the reply gives IA of `type` with a valid lifetime (false:
 * none). */
static bool given(uint16_t type, struct lease_addr6 *a)
{
	for (unsigned i = 0; i < rep.n_ias; i++)
		for (unsigned j = 0; rep.ias[i].type == type && j < rep.ias[i].n_addrs; j++)
			if (rep.ias[i].addrs[j].valid) {
				*a = lease_addr6_load(rep.ias[i].addrs[j].addr);
				return true;
			}
	return false;
}

/* Whether the reply takes a back (zero lifetimes) in IA of `type`. */
static bool taken_back(uint16_t type, struct lease_addr6 a)
{
	for (unsigned i = 0; i < rep.n_ias; i++)
		for (unsigned j = 0; rep.ias[i].type == type && j < rep.ias[i].n_addrs; j++)
			if (!rep.ias[i].addrs[j].valid &&
			    lease_addr6_eq(lease_addr6_load(rep.ias[i].addrs[j].addr), a))
				return true;
	return false;
}

static struct lease_addr6 zero6;

/* SOLICIT then REQUEST of client n (ans answers whatever is asked); the
 * address and prefix the REPLY gives (zero: none). */
static void sarr(unsigned n, const struct access_answer *ans, bool pd, struct lease_addr6 *na,
		 struct lease_addr6 *pfx)
{
	struct lease_addr6 a = zero6, p = zero6;
	struct t6_msg m;
	char as[64], ps[64];

	*na = *pfx = zero6;
	msg(&m, DHCP6_SOLICIT, n, NULL, pd, NULL);
	if (xrun(&m, ans) <= 0)
		return;
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_ADVERTISE);
	(void)given(DHCP6_OPT_IA_NA, &a);
	(void)given(DHCP6_OPT_IA_PD, &p);
	snprintf(as, sizeof(as), "%s", t6_text(a));
	snprintf(ps, sizeof(ps), "%s", t6_text(p));
	msg(&m, DHCP6_REQUEST, n, as, pd, ps);
	if (xrun(&m, ans) <= 0)
		return;
	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_REPLY);
	(void)given(DHCP6_OPT_IA_NA, na);
	(void)given(DHCP6_OPT_IA_PD, pfx);
}

static bool between(struct lease_addr6 a, const char *lo, const char *hi)
{
	return lease_addr6_cmp(a, A(lo)) >= 0 && lease_addr6_cmp(a, A(hi)) <= 0;
}

#define OPEN_NA(a)  between(a, "2001:db8:1::200", "2001:db8:1::20f")
#define GOLD_NA(a)  between(a, "2001:db8:1::100", "2001:db8:1::10f")
#define OPEN_PD(a)  between(a, "2001:db8:9::", "2001:db8:9:f00::")
#define GOLD_PD(a)  between(a, "2001:db8:8::", "2001:db8:8:f00::")

static const struct access_answer plain = { .verdict = ACCESS_ACCEPT };
static const struct access_answer reject = { .verdict = ACCESS_REJECT };

/* ---- the tests ------------------------------------------------------------- */

/* A SOLICIT suspends before anything changed, asking about the DUID;
 * resumed, it is answered and counted once; the REQUEST after it is a
 * cache hit; past cache-ttl a RENEW asks again and is served. */
static void test_suspend_resume(void)
{
	uint8_t d[10], type, len;
	const uint8_t *id;
	struct lease_addr6 a, b, p;
	struct t6_msg m;
	int n;

	setup("duid", "");
	duid_of(d, 1);
	msg(&m, DHCP6_SOLICIT, 1, NULL, false, NULL);
	n = xrun(&m, NULL);
	CU_ASSERT_EQUAL(n, DHCP6_SUSPEND);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ASKED), 1);
	CU_ASSERT_EQUAL(st(STAT6_PKT6_RECEIVED), 1);
	CU_ASSERT_EQUAL(st(STAT6_PKT6_SENT), 0);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 0);
	id = dhcp6_access_id(w, &type, &len);
	CU_ASSERT_EQUAL(type, 2);                       /* RAD_ID_DUID */
	CU_ASSERT(len == sizeof(d) && memcmp(id, d, len) == 0);
	/* the DUID-LL's link-layer address is its hardware address */
	id = dhcp6_access_hw(w, &len);
	CU_ASSERT(len == 6 && memcmp(id, d + 4, 6) == 0);
	/* resumed: answered once, counted once */
	n = xrun(&m, &plain);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ASKED), 2);     /* the xrun above asked again */
	CU_ASSERT_EQUAL(st(STAT6_PKT6_RECEIVED), 2);
	CU_ASSERT_EQUAL(st(STAT6_PKT6_ADVERTISE_SENT), 1);
	/* the full exchange: the REQUEST is a cache hit */
	sarr(1, NULL, false, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT_FALSE(suspended);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ASKED), 2);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_CACHE_HITS), 2);   /* SOLICIT and REQUEST */
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 1);
	/* within cache-ttl a RENEW asks nothing */
	msg(&m, DHCP6_RENEW, 1, t6_text(a), false, NULL);
	CU_ASSERT(xrun(&m, NULL) > 0);
	CU_ASSERT_FALSE(suspended);
	/* past it: asked again, then renewed (same address) */
	dhcp6_worker_set_now(w, T0 + 101);
	msg(&m, DHCP6_RENEW, 1, t6_text(a), false, NULL);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 1);
	CU_ASSERT(xrun(&m, &plain) > 0);
	CU_ASSERT(given(DHCP6_OPT_IA_NA, &b) && lease_addr6_eq(a, b));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ASKED), 4);
	/* a REBIND asks too (a fresh client's) */
	msg(&m, DHCP6_REBIND, 2, NULL, false, NULL);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	/* not asked: RELEASE, INFORMATION-REQUEST, a unicast REQUEST (told
	 * to use multicast) */
	msg(&m, DHCP6_RELEASE, 1, t6_text(a), false, NULL);
	dhcp6_worker_set_now(w, T0 + 500);
	CU_ASSERT(xrun(&m, NULL) > 0);
	CU_ASSERT_FALSE(suspended);
	msg(&m, DHCP6_REQUEST, 3, NULL, false, NULL);
	CU_ASSERT(xrun_to(&m, false, NULL) > 0);
	CU_ASSERT_FALSE(suspended);
	CU_ASSERT_EQUAL(t6_status_of(rep.msg + 4, rep.msg_len - 4), DHCP6_ST_USE_MULTICAST);
	/* resuming what did not ask: refused */
	{
		struct dhcp6_pkt req;
		struct dhcp6_rx rx = { .multicast = true };

		msg(&m, DHCP6_RELEASE, 1, t6_text(a), false, NULL);
		CU_ASSERT_FATAL(dhcp6_parse(&req, m.b, m.n) == 0);
		CU_ASSERT_EQUAL(dhcp6_resume(w, &rx, &req, DHCP6_ASK_ACCESS, &plain, out,
					     sizeof(out), &tx), -1);
	}
	teardown();
}

/* Reject: no reply, counted, cached for reject-ttl (asked once), then
 * asked again.  An answer marked not to be cached asks every time. */
static void test_reject_nocache(void)
{
	struct access_answer serve = { .verdict = ACCESS_ACCEPT,
				       .flags = ACCESS_F_NOCACHE | ACCESS_F_UNREACHABLE };
	struct lease_addr6 a, p;
	struct t6_msg m;

	setup("duid", "");
	msg(&m, DHCP6_SOLICIT, 5, NULL, true, NULL);
	CU_ASSERT_EQUAL(xrun(&m, &reject), -1);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_REJECTED), 1);
	CU_ASSERT_EQUAL(st(STAT6_PKT6_RECEIVE_DROP), 1);
	CU_ASSERT_EQUAL(st(STAT6_PKT6_SENT), 0);
	/* retrying: the cached reject, nothing asked */
	CU_ASSERT_EQUAL(xrun(&m, NULL), -1);
	CU_ASSERT_FALSE(suspended);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_REJECTED), 2);
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ASKED), 1);
	CU_ASSERT_EQUAL(lease6_table_count(dhcp6_worker_leases(w)), 0);
	CU_ASSERT_EQUAL(access_cache_size(dhcp6_worker_access_cache(w)), 1);
	/* past reject-ttl (50 s, not cache-ttl's 100): asked again */
	dhcp6_worker_set_now(w, T0 + 51);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	/* not cached: each message asks */
	sarr(6, &serve, true, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT(OPEN_PD(p));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ASKED), 4);     /* 5's, then 6's SOLICIT and REQUEST */
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_CACHE_HITS), 1);
	teardown();
}

/* Framed-IPv6-Pool: the client is in that class, so the guarded pool and
 * pd-pool serve it; a name no class has is counted and changes nothing. */
static void test_pool(void)
{
	struct access_answer gold = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_POOL,
				      .pool = "gold" },
			     nosuch = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_POOL,
					.pool = "nosuch" };
	struct lease_addr6 a, p;

	setup("duid", "");
	sarr(10, &plain, true, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT(OPEN_PD(p));
	sarr(11, &gold, true, &a, &p);
	CU_ASSERT(GOLD_NA(a));
	CU_ASSERT(GOLD_PD(p));
	sarr(12, &nosuch, true, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT(OPEN_PD(p));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_UNKNOWN_POOL), 2);      /* its SOLICIT and REQUEST */
	teardown();
}

/* Framed-IPv6-Address: the IA_NA's address when in a pool, whatever its
 * class; held by another client or outside every pool: the usual
 * allocation (the latter counted).  A client with a lease elsewhere
 * moves to it and the old one is taken back. */
static void test_address(void)
{
	struct access_answer fixed = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR6 },
			     outside = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR6 },
			     far = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR6 },
			     moved = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR6 };
	struct lease_addr6 a, p, old;
	struct t6_msg m;

	fixed.addr6 = A("2001:db8:1::105");     /* in the gold pool */
	outside.addr6 = A("2001:db8:1::77");    /* in the subnet, in no pool */
	far.addr6 = A("2001:db8:5::1");         /* in no subnet */
	moved.addr6 = A("2001:db8:1::10a");    /* gold: no dynamic client there */
	setup("duid", "");
	sarr(20, &fixed, false, &a, &p);
	CU_ASSERT(lease_addr6_eq(a, fixed.addr6));
	/* the same answer for another client: the address is 20's */
	sarr(21, &fixed, false, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ADDR_UNUSABLE), 0);
	sarr(22, &outside, false, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ADDR_UNUSABLE), 2);     /* SOLICIT and REQUEST */
	sarr(23, &far, false, &a, &p);
	CU_ASSERT(OPEN_NA(a));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_ADDR_UNUSABLE), 4);
	/* 20 renews past cache-ttl with the same answer: kept */
	dhcp6_worker_set_now(w, T0 + 101);
	msg(&m, DHCP6_RENEW, 20, "2001:db8:1::105", false, NULL);
	CU_ASSERT(xrun(&m, &fixed) > 0);
	CU_ASSERT(given(DHCP6_OPT_IA_NA, &a) && lease_addr6_eq(a, fixed.addr6));
	/* a client with a lease renews and RADIUS now names another
	 * address: it moves there, its old one goes back with zero
	 * lifetimes */
	sarr(25, &plain, false, &old, &p);
	CU_ASSERT(OPEN_NA(old) && !lease_addr6_eq(old, moved.addr6));
	dhcp6_worker_set_now(w, T0 + 202);
	msg(&m, DHCP6_RENEW, 25, t6_text(old), false, NULL);
	CU_ASSERT(xrun(&m, &moved) > 0);
	CU_ASSERT(given(DHCP6_OPT_IA_NA, &a) && lease_addr6_eq(a, moved.addr6));
	CU_ASSERT(taken_back(DHCP6_OPT_IA_NA, old));
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), old));
	CU_ASSERT_PTR_NOT_NULL(lease6_table_lookup_addr(dhcp6_worker_leases(w), moved.addr6));
	teardown();
}

/* Delegated-IPv6-Prefix: the IA_PD's prefix when in a pd-pool of that
 * delegated length (whatever its class); another length, or outside
 * every pd-pool: the usual allocation, counted. */
static void test_prefix(void)
{
	struct access_answer pfx = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_PREFIX6,
				     .plen6 = 56 },
			     len60 = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_PREFIX6,
				       .plen6 = 60 },
			     outside = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_PREFIX6,
					 .plen6 = 56 };
	struct lease_addr6 a, p;

	pfx.prefix6 = A("2001:db8:8:300::");    /* in the gold pd-pool */
	len60.prefix6 = A("2001:db8:9:310::");
	outside.prefix6 = A("2001:db8:77::");
	setup("duid", "");
	sarr(30, &pfx, true, &a, &p);
	CU_ASSERT(lease_addr6_eq(p, pfx.prefix6));
	CU_ASSERT(OPEN_NA(a));                  /* the address: as usual */
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_PREFIX_UNUSABLE), 0);
	sarr(31, &len60, true, &a, &p);
	CU_ASSERT(OPEN_PD(p) && !lease_addr6_eq(p, len60.prefix6));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_PREFIX_UNUSABLE), 2);
	sarr(32, &outside, true, &a, &p);
	CU_ASSERT(OPEN_PD(p));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_PREFIX_UNUSABLE), 4);
	/* the same prefix for another client: 30's; no count */
	sarr(33, &pfx, true, &a, &p);
	CU_ASSERT(OPEN_PD(p));
	CU_ASSERT_EQUAL(st(STAT6_ACCESS_PREFIX_UNUSABLE), 4);
	teardown();
}

/* A relayed message with the relay's client link-layer address and an
 * interface-id around m. */
static void relay_wrap(struct t6_msg *m, const char *iid, const uint8_t *lladdr)
{
	struct t6_msg r;
	uint8_t a[16], ll[8] = { 0, 1 };

	r.n = 0;
	r.b[r.n++] = DHCP6_RELAY_FORW;
	r.b[r.n++] = 0;
	inet_pton(AF_INET6, "2001:db8:1::fe", a);
	memcpy(r.b + r.n, a, 16);
	r.n += 16;
	inet_pton(AF_INET6, "fe80::c1", a);
	memcpy(r.b + r.n, a, 16);
	r.n += 16;
	if (iid)
		t6_opt(&r, DHCP6_OPT_INTERFACE_ID, iid, strlen(iid));
	if (lladdr) {
		memcpy(ll + 2, lladdr, 6);
		t6_opt(&r, DHCP6_OPT_CLIENT_LINKLAYER_ADDR, ll, sizeof(ll));
	}
	t6_opt(&r, DHCP6_OPT_RELAY_MSG, m->b, m->n);
	*m = r;
}

/* identifier-type6 hw-address: the relay's client link-layer address
 * before the DUID's; a DUID without one (DUID-EN) and no relay: the
 * frame's source; the question carries the relay's interface-id as
 * NAS-Port-Id, a direct one none.  flex-id: the expression's value. */
static void test_identifiers(void)
{
	static const uint8_t relay_mac[6] = { 0x02, 0, 0, 0, 0x77, 0x01 };
	static const uint8_t duid_en[] = { 0, 2, 0, 0, 0x11, 0x8b, 0xaa, 0xbb };
	const uint8_t *v;
	uint8_t type, len;
	uint16_t alen;
	struct t6_msg m;

	setup("hw-address", "");
	msg(&m, DHCP6_SOLICIT, 40, NULL, false, NULL);
	relay_wrap(&m, "port-7", relay_mac);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	v = dhcp6_access_id(w, &type, &len);
	CU_ASSERT_EQUAL(type, 0);                       /* RAD_ID_HW_ADDRESS */
	CU_ASSERT(len == 6 && memcmp(v, relay_mac, 6) == 0);
	v = dhcp6_access_attrs(w, &alen);
	CU_ASSERT(alen == 8 && v[0] == 87 && v[1] == 8 && memcmp(v + 2, "port-7", 6) == 0);
	/* resumed through the relay: a RELAY-REPL-bound ADVERTISE */
	CU_ASSERT(xrun(&m, &plain) > 0);
	/* direct, DUID-LL: its link-layer address; no attributes */
	msg(&m, DHCP6_SOLICIT, 41, NULL, false, NULL);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	v = dhcp6_access_id(w, &type, &len);
	CU_ASSERT(type == 0 && len == 6 && v[5] == 41);
	dhcp6_access_attrs(w, &alen);
	CU_ASSERT_EQUAL(alen, 0);
	/* direct, DUID-EN: the frame's source MAC */
	t6_start(&m, DHCP6_SOLICIT, duid_en, sizeof(duid_en));
	t6_ia(&m, DHCP6_OPT_IA_NA, 1, NULL, 128);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	v = dhcp6_access_id(w, &type, &len);
	CU_ASSERT(type == 0 && len == 6 && memcmp(v, "\x02\x00\x00\x00\xee\x01", 6) == 0);
	/* cached under the hardware address: a second DUID with the same
	 * MAC behind the same relay port is the same client */
	msg(&m, DHCP6_SOLICIT, 42, NULL, false, NULL);
	relay_wrap(&m, "port-7", relay_mac);
	CU_ASSERT(xrun(&m, NULL) > 0);
	CU_ASSERT_FALSE(suspended);
	teardown();

	setup("flex-id", "flex-id-expression = \"substring(option[1].hex, 8, 2)\";");
	msg(&m, DHCP6_SOLICIT, 0x43, NULL, false, NULL);
	CU_ASSERT_EQUAL(xrun(&m, NULL), DHCP6_SUSPEND);
	v = dhcp6_access_id(w, &type, &len);
	CU_ASSERT_EQUAL(type, 3);                       /* RAD_ID_FLEX_ID */
	CU_ASSERT(len == 2 && v[0] == 0 && v[1] == 0x43);
	teardown();
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dhcp6_access", NULL, NULL);
	CU_add_test(s, "suspend and resume, cache hits and expiry", test_suspend_resume);
	CU_add_test(s, "reject, reject-ttl, answers not cached", test_reject_nocache);
	CU_add_test(s, "Framed-IPv6-Pool", test_pool);
	CU_add_test(s, "Framed-IPv6-Address", test_address);
	CU_add_test(s, "Delegated-IPv6-Prefix", test_prefix);
	CU_add_test(s, "identifiers and attributes", test_identifiers);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
