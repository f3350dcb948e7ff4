/* ctl_cmd unit test.  DHCPv6 leases in Kea's JSON (ctl_lease6_json.c):
 * lease6 arguments to a record and back, the lease6-get / -del selector,
 * Kea's texts for refused arguments.  Then the lease6-* commands
 * themselves against fake workers: the message calls of dp.h and the
 * DHCPv6 worker's lease calls are defined here (the linker takes these
 * instead of engine/dp's and engine/dhcp6's), each worker a small array
 * of records answering at once, so the routing (by DUID to its owner, by
 * address to every worker), paging, moves between workers and deletes
 * are checked without DPDK. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "ctl_cmd.h"
#include "lease_log.h"

#define NOW 1700000000u

static struct conf6_pd_pool pd_pool;
static struct conf6_pool pool;
static struct conf6_subnet subnets[2];
static struct conf6 c6;
static char text[1024];

static struct lease_addr6 a6(const char *s)
{
	struct lease_addr6 a = { 0, 0 };

	if (parse_ip6(s, &a)) {                 /* a test's own typo (also in suite_init) */
		fprintf(stderr, "not an IPv6 address: %s\n", s);
		abort();
	}
	return a;
}

/* The dhcp6 block of tests/integration/ctl6_commands.sh, and a second
 * subnet without pools. */
static int suite_init(void)
{
	pool.first = a6("2001:db8:1::100");
	pool.last = a6("2001:db8:1::1ff");
	pd_pool.prefix = a6("2001:db8:8::");
	pd_pool.prefix_len = 48;
	pd_pool.delegated_len = 56;
	subnets[0] = (struct conf6_subnet){
		.id = 1, .prefix = a6("2001:db8:1::"), .prefix_len = 64,
		.pools = &pool, .n_pools = 1, .pd_pools = &pd_pool, .n_pd_pools = 1,
		.valid_lifetime = 4000, .preferred_lifetime = 3000,
	};
	subnets[1] = (struct conf6_subnet){
		.id = 7, .prefix = a6("2001:db8:7::"), .prefix_len = 48,
		.valid_lifetime = 700, .preferred_lifetime = 500,
	};
	c6.subnets = subnets;
	c6.n_subnets = 2;
	return 0;
}

static json_t *args_of(const char *s)
{
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

/* lease6_from_json of `args`: its result, the record in *r. */
static int parse(const char *args, struct lease6_rec *r)
{
	json_t *j = args_of(args);
	int ret;

	text[0] = '\0';
	ret = lease6_from_json(&c6, j, NOW, r, text, sizeof(text));
	json_decref(j);
	return ret;
}

static void expect_refused(const char *args, const char *want)
{
	struct lease6_rec r;

	CU_ASSERT_EQUAL(parse(args, &r), CTL_ERROR);
	if (strcmp(text, want))
		fprintf(stderr, "\n  %s\n  got:  %s\n  want: %s\n", args, text, want);
	CU_ASSERT_STRING_EQUAL(text, want);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "(none)";
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Every field of Kea's lease6-add in, the same out of lease6_json. */
static void test_round_trip_na(void)
{
	static const char *in =
		"{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02:03:04:05:06:07:08\","
		" \"iaid\": 1234, \"subnet-id\": 1, \"hw-address\": \"1a:1b:1c:1d:1e:1f\","
		" \"preferred-lft\": 500, \"valid-lft\": 1000, \"expire\": 1700001000,"
		" \"fqdn-fwd\": true, \"fqdn-rev\": false, \"hostname\": \"urania.example.org\","
		" \"state\": 1}";
	struct lease6_rec r;
	json_t *j;

	CU_ASSERT_EQUAL_FATAL(parse(in, &r), CTL_SUCCESS);
	CU_ASSERT_TRUE(lease_addr6_eq(r.addr, a6("2001:db8:1::150")));
	CU_ASSERT_EQUAL(r.duid_len, 8);
	CU_ASSERT_EQUAL(r.iaid, 1234);
	CU_ASSERT_EQUAL(r.type, LEASE6_TYPE_NA);
	CU_ASSERT_EQUAL(r.prefix_len, 128);
	CU_ASSERT_EQUAL(r.subnet_id, 1);
	CU_ASSERT_EQUAL(r.valid_lft, 1000);
	CU_ASSERT_EQUAL(r.pref_lft, 500);
	CU_ASSERT_EQUAL(r.expire, 1700001000);
	CU_ASSERT_EQUAL(r.hwaddr_len, 6);
	CU_ASSERT_EQUAL(r.hwtype, 1);
	CU_ASSERT_EQUAL(r.state, LEASE_STATE_DECLINED);
	CU_ASSERT_TRUE(r.fqdn_fwd && !r.fqdn_rev);
	CU_ASSERT_EQUAL(r.hostname_len, strlen("urania.example.org"));

	j = lease6_json(&r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str(j, "ip-address"), "2001:db8:1::150");
	CU_ASSERT_STRING_EQUAL(str(j, "duid"), "01:02:03:04:05:06:07:08");
	CU_ASSERT_STRING_EQUAL(str(j, "type"), "IA_NA");
	CU_ASSERT_STRING_EQUAL(str(j, "hw-address"), "1a:1b:1c:1d:1e:1f");
	CU_ASSERT_STRING_EQUAL(str(j, "hostname"), "urania.example.org");
	CU_ASSERT_EQUAL(num(j, "iaid"), 1234);
	CU_ASSERT_EQUAL(num(j, "subnet-id"), 1);
	CU_ASSERT_EQUAL(num(j, "valid-lft"), 1000);
	CU_ASSERT_EQUAL(num(j, "preferred-lft"), 500);
	CU_ASSERT_EQUAL(num(j, "cltt"), 1700000000);       /* expire - valid-lft */
	CU_ASSERT_EQUAL(num(j, "state"), 1);
	CU_ASSERT_TRUE(json_is_true(json_object_get(j, "fqdn-fwd")));
	CU_ASSERT_TRUE(json_is_false(json_object_get(j, "fqdn-rev")));
	/* as Kea: no prefix-len for an address */
	CU_ASSERT_PTR_NULL(json_object_get(j, "prefix-len"));
	CU_ASSERT_EQUAL(json_object_size(j), 13);
	json_decref(j);
}

/* A prefix without subnet-id: the subnet whose pd-pool holds it; the
 * lifetimes and expiry from the subnet and now. */
static void test_round_trip_pd(void)
{
	struct lease6_rec r, back;
	json_t *j;
	char *s;

	CU_ASSERT_EQUAL_FATAL(parse("{\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\","
				    " \"prefix-len\": 56, \"duid\": \"00:03:00:01:02:00:00:00:00:01\","
				    " \"iaid\": 7}", &r), CTL_SUCCESS);
	CU_ASSERT_EQUAL(r.type, LEASE6_TYPE_PD);
	CU_ASSERT_EQUAL(r.prefix_len, 56);
	CU_ASSERT_EQUAL(r.subnet_id, 1);
	CU_ASSERT_EQUAL(r.valid_lft, 4000);
	CU_ASSERT_EQUAL(r.pref_lft, 3000);
	CU_ASSERT_EQUAL(r.expire, NOW + 4000);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);
	CU_ASSERT_EQUAL(r.state, 0);

	j = lease6_json(&r);
	CU_ASSERT_STRING_EQUAL(str(j, "type"), "IA_PD");
	CU_ASSERT_EQUAL(num(j, "prefix-len"), 56);
	CU_ASSERT_EQUAL(num(j, "cltt"), NOW);
	CU_ASSERT_PTR_NULL(json_object_get(j, "hw-address"));   /* none: left out, as Kea */
	/* and back: what lease6-get answers is a valid lease6-update */
	s = json_dumps(j, 0);
	CU_ASSERT_EQUAL(parse(s, &back), CTL_SUCCESS);
	CU_ASSERT_TRUE(lease_addr6_eq(back.addr, r.addr));
	CU_ASSERT_EQUAL(back.expire, r.expire);            /* from cltt + valid-lft */
	CU_ASSERT_EQUAL(back.prefix_len, 56);
	CU_ASSERT_EQUAL(back.duid_len, r.duid_len);
	CU_ASSERT_EQUAL(memcmp(back.duid, r.duid, r.duid_len), 0);
	free(s);
	json_decref(j);

	/* the subnet by address for an address; a cltt instead of expire */
	CU_ASSERT_EQUAL(parse("{\"ip-address\": \"2001:db8:7::9\", \"duid\": \"0a:0b\", \"iaid\": 0,"
			      " \"cltt\": 1000}", &r), CTL_SUCCESS);
	CU_ASSERT_EQUAL(r.subnet_id, 7);
	CU_ASSERT_EQUAL(r.expire, 1700);
}

/* A declined lease has no client: Kea's DUID "00". */
static void test_declined_duid(void)
{
	struct lease6_rec r = { .addr = { 0x20010db800010000ull, 0x101 }, .state = 1,
				.subnet_id = 1, .prefix_len = 128 };
	json_t *j = lease6_json(&r);

	CU_ASSERT_STRING_EQUAL(str(j, "duid"), "00");
	CU_ASSERT_STRING_EQUAL(str(j, "ip-address"), "2001:db8:1::101");
	json_decref(j);
}

static void test_add_refusals(void)
{
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"iaid\": 1}", "missing 'duid' argument");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\"}",
		       "missing 'iaid' argument");
	expect_refused("{\"ip-address\": \"192.0.2.1\", \"duid\": \"01:02\", \"iaid\": 1}",
		       "Non-IPv6 address specified: 192.0.2.1");
	expect_refused("{\"ip-address\": \"nowhere\", \"duid\": \"01:02\", \"iaid\": 1}",
		       "Failed to convert string to address 'nowhere': Invalid argument");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\", \"iaid\": 1,"
		       " \"type\": \"IA_XX\"}",
		       "Incorrect lease type: IA_XX, the only supported values are: IA_NA and IA_PD");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\", \"iaid\": 1,"
		       " \"subnet-id\": 9}",
		       "Invalid subnet-id: No IPv6 subnet with subnet-id=9 currently configured.");
	expect_refused("{\"ip-address\": \"2001:db8:2::1\", \"duid\": \"01:02\", \"iaid\": 1,"
		       " \"subnet-id\": 1}",
		       "The address 2001:db8:2::1 does not belong to subnet 2001:db8:1::/64, subnet-id=1");
	expect_refused("{\"ip-address\": \"2001:db8:2::1\", \"duid\": \"01:02\", \"iaid\": 1}",
		       "subnet-id not specified and failed to find a subnet for address 2001:db8:2::1");
	/* a prefix outside every pd-pool: no subnet found for it */
	expect_refused("{\"ip-address\": \"2001:db8:1::\", \"type\": \"IA_PD\", \"prefix-len\": 56,"
		       " \"duid\": \"01:02\", \"iaid\": 1}",
		       "subnet-id not specified and failed to find a subnet for address 2001:db8:1::");
	expect_refused("{\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\","
		       " \"duid\": \"01:02\", \"iaid\": 1}", "missing 'prefix-len' argument");
	expect_refused("{\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\", \"prefix-len\": 56,"
		       " \"duid\": \"01:02\", \"iaid\": 1, \"state\": 1}",
		       "Invalid declined state for PD prefix.");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\", \"iaid\": 1,"
		       " \"state\": 3}",
		       "Invalid state value: 3, supported values are: 0 (default), 1 (declined) and 2 "
		       "(expired-reclaimed)");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\", \"iaid\": 1,"
		       " \"fqdn-fwd\": true}",
		       "No hostname specified and either forward or reverse fqdn was set to true.");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\", \"iaid\": 1,"
		       " \"valid-lft\": 100, \"expire\": 50}",
		       "expiration time must be greater than valid lifetime for address 2001:db8:1::150");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"zz\", \"iaid\": 1}",
		       "'duid' \"zz\" is not a DUID (hex bytes, at most 130)");
	expect_refused("{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01:02\", \"iaid\": -1}",
		       "'iaid' must be between 0 and 4294967295");
	expect_refused("{\"ip-address\": 5, \"duid\": \"01:02\", \"iaid\": 1}",
		       "'ip-address' must be a string");
}

static int select6(const char *args, bool del, struct dhcp6_lease_filter *f)
{
	json_t *j = args_of(args);
	int ret;

	text[0] = '\0';
	ret = lease6_selector(j, del, f, text, sizeof(text));
	json_decref(j);
	return ret;
}

static void test_selector(void)
{
	struct dhcp6_lease_filter f;

	CU_ASSERT_EQUAL(select6("{\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\"}", false,
				&f), CTL_SUCCESS);
	CU_ASSERT_TRUE(f.by_addr);
	CU_ASSERT_TRUE(lease_addr6_eq(f.addr, a6("2001:db8:8:100::")));
	CU_ASSERT_EQUAL(f.type, LEASE6_TYPE_PD);
	CU_ASSERT_EQUAL(select6("{\"ip-address\": \"2001:db8:1::150\"}", false, &f), CTL_SUCCESS);
	CU_ASSERT_EQUAL(f.type, LEASE6_TYPE_NA);           /* Kea's default */

	CU_ASSERT_EQUAL(select6("{\"identifier-type\": \"duid\", \"identifier\": \"01:02:03\","
				" \"iaid\": 9, \"subnet-id\": 1}", false, &f), CTL_SUCCESS);
	CU_ASSERT_FALSE(f.by_addr);
	CU_ASSERT_EQUAL(f.duid_len, 3);
	CU_ASSERT_TRUE(f.by_iaid && f.iaid == 9);
	CU_ASSERT_TRUE(f.n_subnet_ids == 1 && f.subnet_ids[0] == 1);
	CU_ASSERT_EQUAL(f.type, LEASE6_TYPE_NA);

#define REFUSED(args, del, want) do { \
		CU_ASSERT_EQUAL(select6(args, del, &f), CTL_ERROR); \
		CU_ASSERT_STRING_EQUAL(text, want); } while (0)
	REFUSED("{\"identifier-type\": \"duid\", \"identifier\": \"01:02\"}", false,
		"Mandatory 'subnet-id' parameter missing.");
	REFUSED("{\"identifier-type\": \"duid\", \"identifier\": \"01:02\", \"subnet-id\": \"1\"}", false,
		"'subnet-id' parameter is not integer.");
	REFUSED("{\"identifier\": \"01:02\", \"subnet-id\": 1}", false,
		"No 'ip-address' provided and 'identifier-type' is either missing or not a string.");
	REFUSED("{\"identifier-type\": \"duid\", \"subnet-id\": 1}", false,
		"No 'ip-address' provided and 'identifier' is either missing or not a string.");
	REFUSED("{\"identifier-type\": \"hw-address\", \"identifier\": \"01:02\", \"subnet-id\": 1}",
		false, "Query by hw-address is not allowed in v6.");
	REFUSED("{\"identifier-type\": \"hw-address\", \"identifier\": \"01:02\", \"subnet-id\": 1}",
		true, "Delete by hw-address is not allowed in v6.");
	REFUSED("{\"identifier-type\": \"flex-id\", \"identifier\": \"01:02\", \"subnet-id\": 1}", false,
		"Incorrect identifier type: flex-id, the only supported values are: address, "
		"hw-address, duid");
	REFUSED("{\"ip-address\": \"2001:db8:1::1\", \"type\": \"IA_QQ\"}", false,
		"Invalid lease type specified: IA_QQ, only supported values are: IA_NA, IA_TA, IA_PD "
		"and V4");
	REFUSED("{\"ip-address\": \"192.0.2.1\"}", false, "Invalid IPv6 address specified: 192.0.2.1");
	REFUSED("{\"ip-address\": 3}", false, "'ip-address' is not a string.");
#undef REFUSED
	text[0] = '\0';
	CU_ASSERT_EQUAL(lease6_selector(NULL, false, &f, text, sizeof(text)), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "Parameters missing or are not a map.");
}

/* Text forms: RFC 5952's short form out, as Kea's toText. */
static void test_addr_text(void)
{
	char buf[INET6_ADDRSTRLEN];
	struct lease_addr6 a;

	fmt_ip6(a6("2001:0db8:0000:0000:0001:0000:0000:0001"), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8::1:0:0:1");
	fmt_ip6(a6("2001:db8:8:100::"), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8:8:100::");
	CU_ASSERT_EQUAL(parse_ip6("2001:db8::1/64", &a), -EINVAL);
	CU_ASSERT_EQUAL(parse_ip6("198.18.0.1", &a), -EINVAL);
}

/* ---- fake workers ---------------------------------------------------------- */

#define FAKE_WORKERS 3
#define FAKE_CAP 64

static struct fake_worker {
	struct lease6_rec v[FAKE_CAP];
	unsigned n;
	unsigned msgs;                  /* messages handled */
	int fail_add;                   /* every ADD6 answers this, 0: none */
} fw[FAKE_WORKERS];
static unsigned del_budget;             /* leases one DEL6 may delete, 0: all */
static struct dp fake_dp;
static struct dp_worker *fake_w[FAKE_WORKERS];
static struct lease_log fake_logs[FAKE_WORKERS];
static struct conf fake_conf;
static struct dp_srv srv;

/* The owner of a DUID: its last byte, so a test picks the worker. */
unsigned dhcp6_rec_owner(const struct lease6_rec *r, unsigned n_workers)
{
	return r->duid_len ? r->duid[r->duid_len - 1] % n_workers : 0;
}

struct lease6_table *dhcp6_worker_leases(struct dhcp6_worker *w)
{
	(void)w;
	return NULL;
}

uint32_t lease6_table_count(const struct lease6_table *t)
{
	(void)t;
	return 0;                       /* a guess too low: the retry is taken */
}

struct dp_msg *dp_msg_new(enum dp_msg_kind kind, unsigned out_cap)
{
	struct dp_msg *m = calloc(1, sizeof(*m));

	m->kind = kind;
	m->cap = out_cap;
	if (out_cap)
		m->out6 = calloc(out_cap, sizeof(*m->out6));
	return m;
}

void dp_msg_free(struct dp_msg *m)
{
	if (m) {
		free(m->out6);
		free(m);
	}
}

static bool fake_match(const struct dhcp6_lease_filter *f, const struct lease6_rec *r)
{
	unsigned i;

	if ((f->by_addr && !lease_addr6_eq(r->addr, f->addr)) ||
	    (f->after && lease_addr6_cmp(r->addr, f->from) <= 0) ||
	    (f->type >= 0 && r->type != f->type) || (f->by_iaid && r->iaid != f->iaid) ||
	    (f->duid_len && (f->duid_len != r->duid_len || memcmp(f->duid, r->duid, r->duid_len))))
		return false;
	for (i = 0; i < f->n_subnet_ids; i++)
		if (f->subnet_ids[i] == r->subnet_id)
			return true;
	return !f->n_subnet_ids;
}

static int rec_order(const void *a, const void *b)
{
	return lease_addr6_cmp(((const struct lease6_rec *)a)->addr,
			       ((const struct lease6_rec *)b)->addr);
}

static struct lease6_rec *fake_find(struct fake_worker *x, struct lease_addr6 a)
{
	for (unsigned i = 0; i < x->n; i++)
		if (lease_addr6_eq(x->v[i].addr, a))
			return &x->v[i];
	return NULL;
}

/* A worker answers at once, as dhcp6_lease_ctl.c would. */
int dp_msg_post(struct dp *dp, unsigned w, struct dp_msg *m)
{
	struct fake_worker *x = &fw[w];
	struct lease6_rec *l, hits[FAKE_CAP];
	unsigned i, k = 0;

	CU_ASSERT_FATAL(dp == &fake_dp && w < FAKE_WORKERS);
	x->msgs++;
	m->ret = 0;
	switch (m->kind) {
	case DP_MSG_QUERY6:
		for (i = 0; i < x->n; i++)
			if (fake_match(&m->filter6, &x->v[i]))
				hits[k++] = x->v[i];
		qsort(hits, k, sizeof(hits[0]), rec_order);
		m->matched = k;
		m->n = k < m->cap ? k : m->cap;
		if (m->filter6.limit && m->n > m->filter6.limit)
			m->n = m->filter6.limit;
		memcpy(m->out6, hits, m->n * sizeof(hits[0]));
		break;
	case DP_MSG_ADD6:
		if (x->fail_add)
			m->ret = x->fail_add;
		else if (fake_find(x, m->rec6.addr))
			m->ret = -EEXIST;
		else
			x->v[x->n++] = m->rec6;
		break;
	case DP_MSG_UPDATE6:
		l = fake_find(x, m->rec6.addr);
		if (l)
			*l = m->rec6;
		else
			m->ret = -ENOENT;
		break;
	case DP_MSG_DEL6:
		for (i = 0; i < x->n;) {
			if (fake_match(&m->filter6, &x->v[i]) && (!del_budget || k < del_budget)) {
				x->v[i] = x->v[--x->n];
				k++;
			} else {
				i++;
			}
		}
		m->matched = k;
		break;
	default:
		m->ret = -EINVAL;
	}
	m->state = DP_MSG_DONE;
	return 0;
}

int dp_msg_wait(struct dp_msg *m, unsigned timeout_ms)
{
	(void)timeout_ms;
	CU_ASSERT_EQUAL(m->state, DP_MSG_DONE);
	return 0;
}

static int fake_init(void)
{
	unsigned w;

	fake_dp.n_workers = FAKE_WORKERS;
	fake_dp.rt6 = (struct dhcp6_runtime *)&fake_dp;   /* never looked into here */
	for (w = 0; w < FAKE_WORKERS; w++) {
		fake_w[w] = aligned_alloc(64, sizeof(*fake_w[w]));
		if (!fake_w[w])
			return -1;
		memset(fake_w[w], 0, sizeof(*fake_w[w]));
		fake_w[w]->dw6 = (struct dhcp6_worker *)fake_w[w];
		fake_w[w]->log = &fake_logs[w];
		fake_dp.workers[w] = fake_w[w];
	}
	fake_conf.v6 = &c6;
	srv.dp = &fake_dp;
	srv.conf = &fake_conf;
	pthread_mutex_init(&srv.lock, NULL);
	return suite_init();
}

static int fake_clean(void)
{
	for (unsigned w = 0; w < FAKE_WORKERS; w++)
		free(fake_w[w]);
	return 0;
}

/* Run lease6-* command `name` with arguments `args` (NULL: none): its
 * result; the answer's arguments in *out (may be NULL: dropped). */
static int run(const char *name, const char *args, json_t **out)
{
	const struct cmd_def *d;
	json_t *a = args ? args_of(args) : NULL, *o = NULL;
	int r = -1;

	text[0] = '\0';
	for (d = cmds_lease6; d->name; d++)
		if (!strcmp(d->name, name))
			r = d->fn(a, &o, text, sizeof(text), &srv);
	CU_ASSERT_NOT_EQUAL(r, -1);
	json_decref(a);
	if (out)
		*out = o;
	else
		json_decref(o);
	return r;
}

static unsigned msgs(void)
{
	unsigned w, n = 0;

	for (w = 0; w < FAKE_WORKERS; w++)
		n += fw[w].msgs;
	return n;
}

static void reset_workers(void)
{
	memset(fw, 0, sizeof(fw));
	del_budget = 0;
}

/* DUIDs ending in 00, 01, 02 belong to workers 0, 1, 2. */
#define DUID(w) "\"duid\": \"0a:0b:0" #w "\""

static void test_cmd_add_get(void)
{
	json_t *o;
	unsigned m0;

	reset_workers();
	CU_ASSERT_EQUAL(run("lease6-add", "{\"ip-address\": \"2001:db8:1::150\", " DUID(1)
			    ", \"iaid\": 5}", NULL), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "Lease for address 2001:db8:1::150, subnet-id 1 added.");
	CU_ASSERT_EQUAL(fw[1].n, 1);                     /* on its DUID's owner */
	CU_ASSERT_EQUAL(run("lease6-add", "{\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\","
			    " \"prefix-len\": 56, " DUID(2) ", \"iaid\": 6}", NULL), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "Lease for prefix 2001:db8:8:100::/56, subnet-id 1 added.");
	CU_ASSERT_EQUAL(fw[2].n, 1);
	/* the address is held on worker 1: another client's add is refused
	 * whichever worker it belongs to */
	CU_ASSERT_EQUAL(run("lease6-add", "{\"ip-address\": \"2001:db8:1::150\", " DUID(0)
			    ", \"iaid\": 5}", NULL), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease already exists.");
	CU_ASSERT_EQUAL(fw[0].n, 0);

	m0 = msgs();
	CU_ASSERT_EQUAL(run("lease6-get", "{\"identifier-type\": \"duid\", \"identifier\": \"0a:0b:01\","
			    " \"iaid\": 5, \"subnet-id\": 1}", &o), CTL_SUCCESS);
	CU_ASSERT_EQUAL(msgs() - m0, 1);                 /* its owner only */
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease found.");
	CU_ASSERT_STRING_EQUAL(str(o, "ip-address"), "2001:db8:1::150");
	json_decref(o);
	CU_ASSERT_EQUAL(run("lease6-get", "{\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\"}",
			    &o), CTL_SUCCESS);
	CU_ASSERT_EQUAL(num(o, "prefix-len"), 56);
	json_decref(o);
	CU_ASSERT_EQUAL(run("lease6-get", "{\"ip-address\": \"2001:db8:8:100::\"}", NULL), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "Lease not found.");
	CU_ASSERT_EQUAL(run("lease6-get-by-duid", "{" DUID(2) "}", &o), CTL_SUCCESS);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "leases")), 1);
	CU_ASSERT_STRING_EQUAL(text, "1 IPv6 lease(s) found.");
	json_decref(o);
	CU_ASSERT_EQUAL(run("lease6-get-all", NULL, &o), CTL_SUCCESS);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "leases")), 2);
	json_decref(o);
	CU_ASSERT_EQUAL(run("lease6-get-all", "{\"subnets\": [7]}", &o), CTL_EMPTY);
	json_decref(o);
	CU_ASSERT_EQUAL(run("lease6-get-all", "{\"subnets\": [8]}", NULL), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "no subnet with subnet-id 8");
}

/* Pages merged from every worker in address order, each answer cut to
 * `limit`, until a short page. */
static void test_cmd_page(void)
{
	static const char *want[] = {
		"2001:db8:1::100", "2001:db8:1::101", "2001:db8:1::102", "2001:db8:1::103",
		"2001:db8:1::104", "2001:db8:1::105", "2001:db8:1::106",
	};
	char args[256], from[64] = "start";
	unsigned i, got = 0;
	json_t *o;

	reset_workers();
	for (i = 0; i < 7; i++) {
		/* out of order, spread over the workers */
		snprintf(args, sizeof(args), "{\"ip-address\": \"2001:db8:1::10%u\", \"duid\": "
			 "\"0a:0b:0%u\", \"iaid\": 1}", (i * 5) % 7, i % 3);
		CU_ASSERT_EQUAL(run("lease6-add", args, NULL), CTL_SUCCESS);
	}
	for (;;) {
		json_t *l;
		size_t k;
		int r;

		snprintf(args, sizeof(args), "{\"from\": \"%s\", \"limit\": 3}", from);
		r = run("lease6-get-page", args, &o);
		if (r == CTL_EMPTY) {
			CU_ASSERT_EQUAL(num(o, "count"), 0);
			json_decref(o);
			break;
		}
		CU_ASSERT_EQUAL_FATAL(r, CTL_SUCCESS);
		json_array_foreach(json_object_get(o, "leases"), k, l) {
			CU_ASSERT_FATAL(got < 7);
			CU_ASSERT_STRING_EQUAL(str(l, "ip-address"), want[got]);
			got++;
			snprintf(from, sizeof(from), "%s", str(l, "ip-address"));
		}
		CU_ASSERT_EQUAL(num(o, "count"), (json_int_t)k);
		CU_ASSERT_TRUE(k <= 3);
		json_decref(o);
	}
	CU_ASSERT_EQUAL(got, 7);
	CU_ASSERT_EQUAL(run("lease6-get-page", "{\"from\": \"10.0.0.1\", \"limit\": 3}", NULL),
			CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "'from' must be \"start\" or an IPv6 address, not \"10.0.0.1\"");
}

/* lease6-update in place, to a client of another worker (the lease moves
 * there), a move the new worker refuses (the old lease stays), and
 * force-create. */
static void test_cmd_update(void)
{
	json_t *o;

	reset_workers();
	CU_ASSERT_EQUAL(run("lease6-add", "{\"ip-address\": \"2001:db8:1::150\", " DUID(1)
			    ", \"iaid\": 5}", NULL), CTL_SUCCESS);
	CU_ASSERT_EQUAL(run("lease6-update", "{\"ip-address\": \"2001:db8:1::150\", " DUID(1)
			    ", \"iaid\": 5, \"valid-lft\": 900}", NULL), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease updated.");
	CU_ASSERT_EQUAL(fw[1].v[0].valid_lft, 900);
	CU_ASSERT_EQUAL(run("lease6-update", "{\"ip-address\": \"2001:db8:1::150\", " DUID(2)
			    ", \"iaid\": 9}", NULL), CTL_SUCCESS);
	CU_ASSERT_TRUE(fw[1].n == 0 && fw[2].n == 1 && fw[2].v[0].iaid == 9);
	/* the next worker keeps refusing (a client took the address): after
	 * its retries the lease goes back where it was */
	fw[0].fail_add = -EEXIST;
	CU_ASSERT_EQUAL(run("lease6-update", "{\"ip-address\": \"2001:db8:1::150\", " DUID(0)
			    ", \"iaid\": 3}", NULL), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease already exists.");
	CU_ASSERT_TRUE(fw[0].n == 0 && fw[2].n == 1 && fw[2].v[0].iaid == 9);
	fw[0].fail_add = 0;
	CU_ASSERT_EQUAL(run("lease6-update", "{\"ip-address\": \"2001:db8:1::160\", " DUID(0)
			    ", \"iaid\": 3}", NULL), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "failed to update the lease with address 2001:db8:1::160 either "
			       "because the lease has been deleted or it has changed in the database, "
			       "in both cases a retry might succeed");
	CU_ASSERT_EQUAL(run("lease6-update", "{\"ip-address\": \"2001:db8:1::160\", " DUID(0)
			    ", \"iaid\": 3, \"force-create\": true}", NULL), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease added.");
	CU_ASSERT_EQUAL(run("lease6-get", "{\"ip-address\": \"2001:db8:1::160\"}", &o), CTL_SUCCESS);
	CU_ASSERT_EQUAL(num(o, "iaid"), 3);
	json_decref(o);
}

static void test_cmd_del_wipe(void)
{
	char args[256];
	unsigned i;

	reset_workers();
	for (i = 0; i < 6; i++) {
		snprintf(args, sizeof(args), "{\"ip-address\": \"2001:db8:1::1%u0\", \"duid\": "
			 "\"0a:0b:0%u\", \"iaid\": %u}", i, i % 3, i);
		CU_ASSERT_EQUAL(run("lease6-add", args, NULL), CTL_SUCCESS);
	}
	CU_ASSERT_EQUAL(run("lease6-del", "{\"ip-address\": \"2001:db8:1::100\"}", NULL), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease deleted.");
	CU_ASSERT_EQUAL(run("lease6-del", "{\"ip-address\": \"2001:db8:1::100\"}", NULL), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "IPv6 lease not found.");
	/* by DUID: one lease of the IA, on its owner */
	CU_ASSERT_EQUAL(run("lease6-del", "{\"identifier-type\": \"duid\", \"identifier\": \"0a:0b:01\","
			    " \"iaid\": 4, \"subnet-id\": 1}", NULL), CTL_SUCCESS);
	CU_ASSERT_EQUAL(fw[1].n, 1);
	CU_ASSERT_EQUAL(run("lease6-del", "{\"identifier-type\": \"client-id\", \"identifier\": \"01\","
			    " \"subnet-id\": 1}", NULL), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "Delete by client-id is not allowed in v6.");
	CU_ASSERT_EQUAL(run("lease6-wipe", "{\"subnet-id\": 9}", NULL), CTL_ERROR);
	/* a worker that deletes two at a time and does not say it left some:
	 * passes go on while they delete */
	del_budget = 2;
	CU_ASSERT_EQUAL(run("lease6-wipe", "{\"subnet-id\": 1}", NULL), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "Deleted 4 IPv6 lease(s) from subnet(s) 1");
	CU_ASSERT_EQUAL(fw[0].n + fw[1].n + fw[2].n, 0);
	CU_ASSERT_EQUAL(run("lease6-wipe", NULL, NULL), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "Deleted 0 IPv6 lease(s) from subnet(s) 1 7");
}

/* No dhcp6 block: every command says so. */
static void test_cmd_no_v6(void)
{
	const struct cmd_def *d;

	fake_conf.v6 = NULL;
	for (d = cmds_lease6; d->name; d++) {
		CU_ASSERT_EQUAL(run(d->name, "{\"ip-address\": \"2001:db8:1::150\", \"duid\": \"01\","
				    " \"iaid\": 1, \"from\": \"start\", \"limit\": 1}", NULL),
				CTL_ERROR);
		CU_ASSERT_STRING_EQUAL(text, "DHCPv6 is not configured");
	}
	fake_conf.v6 = &c6;
}

/* ---- statistics on the fake workers --------------------------------------------
 * The DHCPv4 half is real (dhcp4 workers on an empty DHCPv4 config); the
 * DHCPv6 runtime's pools and the datapath's calls are fakes. */

static const json_t *fake_service;
static struct dhcp4_runtime *fake_rt4;
static struct dhcp4_worker *fake_dw4[FAKE_WORKERS];
static struct lease_log *fake_log4[FAKE_WORKERS];
static struct stats6_subnet fake_sn6[FAKE_WORKERS][2];
static struct stats6_pool fake_pool6[FAKE_WORKERS][3];
static struct stats6 *fake_st6[FAKE_WORKERS];

const json_t *ctl_request_service(const struct ctl *c)
{
	(void)c;
	return fake_service;
}

bool ctl_request_peer(void)
{
	return false;
}

bool dp_workers_ready(const struct dp *dp)
{
	(void)dp;
	return true;
}

bool dp_worker_current(const struct dp *dp, unsigned k)
{
	(void)dp;
	(void)k;
	return true;
}

unsigned dp_mbufs_in_use(const struct dp *dp)
{
	(void)dp;
	return 0;
}

const char *dhcp6_parse_err_name(int err)
{
	static char names[DHCP6_ERR_MAX][24];

	snprintf(names[-err], sizeof(names[0]), "reason-%d", -err);
	return names[-err];
}

/* Subnet 1: an address pool of 256 and a pd-pool of 256 /56s; subnet 7:
 * a /64, 2^64 addresses (saturated, as alloc6 gives its size). */
uint32_t dhcp6_runtime_pool_count(const struct dhcp6_runtime *rt)
{
	(void)rt;
	return 3;
}

int dhcp6_runtime_pool_info(const struct dhcp6_runtime *rt, uint32_t p, unsigned *subnet,
			    unsigned *index, bool *pd, uint64_t *size, uint64_t *used)
{
	static const struct { unsigned sn, idx; bool pd; uint64_t size; } pools[] = {
		{ 0, 0, false, 256 }, { 0, 0, true, 256 }, { 1, 0, false, UINT64_MAX },
	};

	(void)rt;
	if (p >= 3)
		return -ENOENT;
	*subnet = pools[p].sn;
	*index = pools[p].idx;
	*pd = pools[p].pd;
	*size = pools[p].size;
	if (used)
		*used = 0;
	return 0;
}

static int stats_init(void)
{
	struct lease_log_params lp = { .size = 1024 };
	unsigned w;

	if (fake_init())
		return -1;
	fake_rt4 = dhcp4_runtime_create(&fake_conf);
	if (!fake_rt4)
		return -1;
	srv.rt = fake_rt4;
	srv.ctl = (struct ctl *)&srv;           /* only ctl_request_service sees it */
	srv.base = stat_base_new();
	for (w = 0; w < FAKE_WORKERS; w++) {
		struct dhcp4_worker_params p = {
			.id = w, .n_workers = FAKE_WORKERS, .conf = &fake_conf, .rt = fake_rt4,
			.lease_capacity = 64,
		};

		fake_log4[w] = lease_log_create(&lp);
		p.log = fake_log4[w];
		fake_dw4[w] = dhcp4_worker_create(&p);
		fake_st6[w] = aligned_alloc(64, sizeof(*fake_st6[w]));
		if (!fake_dw4[w] || !fake_st6[w] || !srv.base)
			return -1;
		memset(fake_st6[w], 0, sizeof(*fake_st6[w]));
		fake_st6[w]->subnet = fake_sn6[w];
		fake_st6[w]->n_subnets = 2;
		fake_st6[w]->pool = fake_pool6[w];
		fake_st6[w]->n_pools = 3;
		fake_w[w]->dw = fake_dw4[w];
		fake_w[w]->st = dhcp4_worker_stats(fake_dw4[w]);
		fake_w[w]->st6 = fake_st6[w];
	}
	return 0;
}

static int stats_clean(void)
{
	for (unsigned w = 0; w < FAKE_WORKERS; w++) {
		dhcp4_worker_free(fake_dw4[w]);
		lease_log_free(fake_log4[w]);
		free(fake_st6[w]);
	}
	dhcp4_runtime_free(fake_rt4);
	stat_base_free(srv.base);
	return fake_clean();
}

static int run_stat(const char *name, const char *args, json_t **out)
{
	const struct cmd_def *d;
	json_t *a = args ? args_of(args) : NULL;
	int r = -1;

	*out = NULL;
	text[0] = '\0';
	for (d = cmds_stats; d->name; d++)
		if (!strcmp(d->name, name))
			r = d->fn(a, out, text, sizeof(text), &srv);
	json_decref(a);
	return r;
}

/* statistic-get-all's value of one statistic, -1 when it is not there. */
static json_int_t stat_of(const json_t *all, const char *name)
{
	const json_t *v = json_object_get(all, name);

	return v ? json_integer_value(json_array_get(json_array_get(v, 0), 0)) : -1;
}

static void test_stats6(void)
{
	json_t *all, *want;
	unsigned w;

	for (w = 0; w < FAKE_WORKERS; w++) {
		fake_sn6[w][0].assigned_nas = 2;        /* summed over the workers: 6 */
		fake_sn6[w][0].assigned_pds = w;        /* 0 + 1 + 2 */
		fake_sn6[w][0].declined = 1;
		fake_sn6[w][0].cumulative_nas = 10;
		fake_pool6[w][0].assigned = 2;
		fake_pool6[w][1].assigned = 1;
		fake_st6[w]->c[STAT6_PKT6_RECEIVED] = 5;
		fake_st6[w]->c[STAT6_RECLAIMED_LEASES] = 4;
	}
	fake_service = NULL;
	CU_ASSERT_EQUAL_FATAL(run_stat("statistic-get-all", NULL, &all), CTL_SUCCESS);
	CU_ASSERT_EQUAL(stat_of(all, "pkt6-received"), 15);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].total-nas"), 256);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].assigned-nas"), 6);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].total-pds"), 256);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].assigned-pds"), 3);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].cumulative-assigned-nas"), 30);
	CU_ASSERT_EQUAL(stat_of(all, "cumulative-assigned-nas"), 30);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].pool[0].total-nas"), 256);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].pool[0].assigned-nas"), 6);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].pd-pool[0].total-pds"), 256);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].pd-pool[0].assigned-pds"), 3);
	/* a /64: as large as a JSON integer of jansson can be */
	CU_ASSERT_EQUAL(stat_of(all, "subnet[7].total-nas"), INT64_MAX);
	CU_ASSERT_EQUAL(stat_of(all, "subnet[7].pool[0].total-nas"), INT64_MAX);
	/* the names DHCPv4 has too are DHCPv4's here (no v4 subnet 1: none) */
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].declined-addresses"), -1);
	CU_ASSERT_EQUAL(stat_of(all, "reclaimed-leases"), 0);
	CU_ASSERT_EQUAL(stat_of(all, "pkt4-received"), 0);
	json_decref(all);

	/* ... and DHCPv6's for "service": ["dhcp6"], without DHCPv4's */
	want = json_pack("[s]", "dhcp6");
	fake_service = want;
	CU_ASSERT_EQUAL_FATAL(run_stat("statistic-get-all", NULL, &all), CTL_SUCCESS);
	{
		char t[64];

		snprintf(t, sizeof(t), "%zu IPv6 statistic(s) returned.", json_object_size(all));
		CU_ASSERT_STRING_EQUAL(text, t);
	}
	CU_ASSERT_EQUAL(stat_of(all, "subnet[1].declined-addresses"), 3);
	CU_ASSERT_EQUAL(stat_of(all, "declined-addresses"), 3);
	CU_ASSERT_EQUAL(stat_of(all, "reclaimed-leases"), 12);
	CU_ASSERT_EQUAL(stat_of(all, "pkt4-received"), -1);
	CU_ASSERT_EQUAL(stat_of(all, "dp-rx-packets"), 0);     /* the datapath's: in both */
	json_decref(all);
	/* a reset in the dhcp6 view is DHCPv6's alone */
	CU_ASSERT_EQUAL(run_stat("statistic-reset", "{\"name\": \"reclaimed-leases\"}", &all),
			CTL_SUCCESS);
	json_decref(all);
	for (w = 0; w < FAKE_WORKERS; w++)
		fake_st6[w]->c[STAT6_RECLAIMED_LEASES]++;
	CU_ASSERT_EQUAL(run_stat("statistic-get", "{\"name\": \"reclaimed-leases\"}", &all),
			CTL_SUCCESS);
	CU_ASSERT_EQUAL(stat_of(all, "reclaimed-leases"), 3);
	json_decref(all);
	fake_service = NULL;
	CU_ASSERT_EQUAL(run_stat("statistic-get", "{\"name\": \"reclaimed-leases\"}", &all),
			CTL_SUCCESS);
	CU_ASSERT_EQUAL(stat_of(all, "reclaimed-leases"), 0);  /* DHCPv4's, not reset, 0 */
	json_decref(all);
	json_decref(want);
}

static void test_stat_lease6_get(void)
{
	json_t *o, *rows, *want;

	CU_ASSERT_EQUAL_FATAL(run_stat("stat-lease6-get", NULL, &o), CTL_SUCCESS);
	CU_ASSERT_STRING_EQUAL(text, "stat-lease6-get: 2 rows found");
	want = json_pack("[s,s,s,s,s,s,s,s]", "subnet-id", "total-nas", "cumulative-assigned-nas",
			 "assigned-nas", "declined-addresses", "total-pds", "cumulative-assigned-pds",
			 "assigned-pds");
	CU_ASSERT_TRUE(json_equal(json_object_get(json_object_get(o, "result-set"), "columns"), want));
	json_decref(want);
	rows = json_object_get(json_object_get(o, "result-set"), "rows");
	want = json_pack("[[I,I,I,I,I,I,I,I],[I,I,I,I,I,I,I,I]]", (json_int_t)1, (json_int_t)256,
			 (json_int_t)30, (json_int_t)6, (json_int_t)3, (json_int_t)256, (json_int_t)0,
			 (json_int_t)3, (json_int_t)7, (json_int_t)INT64_MAX, (json_int_t)0,
			 (json_int_t)0, (json_int_t)0, (json_int_t)0, (json_int_t)0, (json_int_t)0);
	CU_ASSERT_TRUE(json_equal(rows, want));
	json_decref(want);
	json_decref(o);
	CU_ASSERT_EQUAL(run_stat("stat-lease6-get", "{\"subnet-id\": 7}", &o), CTL_SUCCESS);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(o, "result-set"), "rows")), 1);
	json_decref(o);
	CU_ASSERT_EQUAL(run_stat("stat-lease6-get", "{\"subnet-range\": {\"first-subnet-id\": 2, "
				 "\"last-subnet-id\": 6}}", &o), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "stat-lease6-get: no matching data");
	json_decref(o);
	CU_ASSERT_EQUAL(run_stat("stat-lease4-get", NULL, &o), CTL_EMPTY);   /* no v4 subnet */
	json_decref(o);
	fake_conf.v6 = NULL;
	CU_ASSERT_EQUAL(run_stat("stat-lease6-get", NULL, &o), CTL_ERROR);
	CU_ASSERT_STRING_EQUAL(text, "DHCPv6 is not configured");
	fake_conf.v6 = &c6;
}

/* /metrics: the DHCPv6 server's under peregrine_dhcp6_, pd-pools apart. */
static void test_prometheus6(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_EQUAL(stats_prometheus(f, &srv), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nperegrine_dhcp6_subnet_assigned_nas{subnet=\"1\"} 6\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nperegrine_dhcp6_pd_pool_total_pds{subnet=\"1\",pool=\"0\"} 256\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nperegrine_dhcp6_subnet_declined_addresses{subnet=\"1\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE peregrine_dhcp6_pkt6_received_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nperegrine_dhcp6_subnet_total_nas{subnet=\"7\"} 9223372036854775807\n"));
	free(buf);
}

/* An outside thread's statistics (the RADIUS thread's, dp_srv
 * radius_stats): plain ones, and per-server ones under group[label]. */
static unsigned fake_ext(void *ctx, struct dp_ext_stat *out, unsigned max)
{
	(void)ctx;
	if (max < 2)
		return 0;
	out[0] = (struct dp_ext_stat){ .base = "radius-access-asked", .value = 7 };
	out[1] = (struct dp_ext_stat){ .group = "radius-access", .label = "198.18.2.10:1812",
				       .base = "latency-max-us", .value = 450, .gauge = true };
	return 2;
}

static void test_ext_stats(void)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *o = NULL;
	FILE *f;

	srv.radius_stats = fake_ext;
	CU_ASSERT_EQUAL(run_stat("statistic-get",
				 "{\"name\": \"radius-access[198.18.2.10:1812].latency-max-us\"}", &o),
			CTL_SUCCESS);
	CU_ASSERT_EQUAL(stat_of(o, "radius-access[198.18.2.10:1812].latency-max-us"), 450);
	json_decref(o);
	f = open_memstream(&buf, &len);
	CU_ASSERT_EQUAL(stats_prometheus(f, &srv), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nperegrine_radius_access_asked_total 7\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf,
		"\nperegrine_radius_access_latency_max_us{server=\"198.18.2.10:1812\"} 450\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE peregrine_radius_access_latency_max_us gauge\n"));
	free(buf);
	srv.radius_stats = NULL;
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ctl_cmd", suite_init, NULL);
	CU_add_test(s, "lease6 JSON round trip, address", test_round_trip_na);
	CU_add_test(s, "lease6 JSON round trip, prefix", test_round_trip_pd);
	CU_add_test(s, "declined lease's DUID", test_declined_duid);
	CU_add_test(s, "lease6-add refusals in Kea's words", test_add_refusals);
	CU_add_test(s, "lease6-get/-del selector", test_selector);
	CU_add_test(s, "IPv6 text forms", test_addr_text);
	s = CU_add_suite("lease6 commands, fake workers", fake_init, fake_clean);
	CU_add_test(s, "lease6-add, -get, -get-by-duid, -get-all", test_cmd_add_get);
	CU_add_test(s, "lease6-get-page through every worker", test_cmd_page);
	CU_add_test(s, "lease6-update in place, moved, refused, forced", test_cmd_update);
	CU_add_test(s, "lease6-del, lease6-wipe", test_cmd_del_wipe);
	CU_add_test(s, "no dhcp6 block", test_cmd_no_v6);
	s = CU_add_suite("DHCPv6 statistics, fake workers", stats_init, stats_clean);
	CU_add_test(s, "statistic-get-all, the dhcp6 service view, reset", test_stats6);
	CU_add_test(s, "stat-lease6-get", test_stat_lease6_get);
	CU_add_test(s, "Prometheus names", test_prometheus6);
	CU_add_test(s, "an outside thread's statistics", test_ext_stats);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
