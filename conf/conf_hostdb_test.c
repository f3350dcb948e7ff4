/* conf_merge_db_hosts(): Kea hosts rows -> the snapshot's reservations,
 * what is kept, what is left out and why, and the hosts-database keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "conf.h"

static const char base[] =
	"dpdk = { lcores = \"0,1\"; no-huge = true; };\n"
	"interfaces = ( { name = \"e\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; "
	"address6 = \"2001:db8:1::1/64\"; } );\n"
	"hosts-database = { name = \"kea\"; user = \"kea\"; refresh-interval = 5; };\n"
	"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"e\";\n"
	"  pools = ( { pool = \"198.18.0.100 - 198.18.0.199\"; } );\n"
	"  reservations = ( { hw-address = \"02:00:00:00:00:03\"; ip-address = \"198.18.0.60\"; } ); } );\n"
	"dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; interface = \"e\";\n"
	"  pools = ( { pool = \"2001:db8:1::100 - 2001:db8:1::1ff\"; } ); } ); };\n";

static char why[8][256];
static int64_t why_id[8];
static unsigned n_why;

static void warn(void *arg, int64_t id, bool v6, const char *w)
{
	(void)arg;
	(void)v6;
	if (n_why < 8) {
		why_id[n_why] = id;
		snprintf(why[n_why++], sizeof(why[0]), "%s", w);
	}
}

static uint8_t mac[5][6] = {
	{ 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 3 }, { 2, 0, 0, 0, 0, 4 }, { 2, 0, 0, 0, 0, 5 },
	{ 2, 0, 0, 0, 0, 6 },
};

static void v4row(struct conf_db_host *h, int64_t id, uint8_t *m, int64_t addr)
{
	memset(h, 0, sizeof(*h));
	h->host_id = id;
	h->id = m;
	h->id_len = 6;
	h->id_type = 0;
	h->has_sub4 = true;
	h->sub4 = 1;
	h->ipv4 = addr;
}

static void test_merge(void)
{
	char err[512];
	struct conf *c = conf_load_text("/x/t.conf", base, err, sizeof(err));
	struct conf_db_host rows[6];
	struct conf_db_option opt = { .code = 3, .formatted = "198.18.0.77" };
	struct conf_db_option bad = { .code = 222, .formatted = "zz" };
	struct conf_db_resv6 resv = { .address = "2001:db8:1::77", .prefix_len = 128, .type = 0 };
	uint8_t duid[4] = { 0, 3, 0, 1 };
	char classes[] = "gold, silver";
	struct conf_db_hosts all = { rows, 6, 0 };
	unsigned n4 = 0, n6 = 0, file4;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->hosts_db.enabled);
	CU_ASSERT_STRING_EQUAL(c->hosts_db.db.name, "kea");
	CU_ASSERT_EQUAL(c->hosts_db.refresh_interval, 5);
	file4 = c->policy->n_hosts;
	v4row(&rows[0], 10, mac[0], 0xc6120032);          /* good: 198.18.0.50 + routers */
	rows[0].opts4 = &opt;
	rows[0].n_opts4 = 1;
	rows[0].classes4 = classes;
	v4row(&rows[1], 11, mac[1], 0xc612003d);          /* the file reserves this MAC */
	v4row(&rows[2], 12, mac[2], 0x0a000005);          /* 10.0.0.5: not in subnet 1 */
	v4row(&rows[3], 13, mac[3], 0xc6120032);          /* 198.18.0.50 again */
	v4row(&rows[4], 14, mac[4], 0);                   /* an option without definition */
	rows[4].opts4 = &bad;
	rows[4].n_opts4 = 1;
	memset(&rows[5], 0, sizeof(rows[5]));             /* v6: a duid and an address */
	rows[5].host_id = 15;
	rows[5].id = duid;
	rows[5].id_len = 4;
	rows[5].id_type = 1;
	rows[5].has_sub6 = true;
	rows[5].sub6 = 1;
	rows[5].resv = &resv;
	rows[5].n_resv = 1;
	CU_ASSERT_EQUAL(conf_merge_db_hosts(c, &all, warn, NULL, &n4, &n6), 0);
	CU_ASSERT_EQUAL(n4, 1);
	CU_ASSERT_EQUAL(n6, 1);
	CU_ASSERT_EQUAL_FATAL(c->policy->n_hosts, file4 + 1);
	const struct conf_host *h = &c->policy->hosts[file4];

	CU_ASSERT_EQUAL(h->db_id, 10);
	CU_ASSERT_EQUAL(h->addr, 0xc6120032);
	CU_ASSERT_EQUAL(h->subnet_id, 1);
	CU_ASSERT_EQUAL_FATAL(h->options.n, 1);
	CU_ASSERT_EQUAL(h->options.opts[0].code, 3);
	CU_ASSERT_EQUAL(h->options.opts[0].len, 4);
	CU_ASSERT_EQUAL(memcmp(h->options.opts[0].data, "\xc6\x12\x00\x4d", 4), 0);
	CU_ASSERT_TRUE(cls_set_has(&h->classes, (unsigned)cls_registry_find(c->policy->reg, "gold")));
	CU_ASSERT_TRUE(cls_set_has(&h->classes, (unsigned)cls_registry_find(c->policy->reg, "silver")));
	CU_ASSERT_EQUAL_FATAL(c->v6->n_hosts, 1);
	CU_ASSERT_EQUAL(c->v6->hosts[0].db_id, 15);
	CU_ASSERT_EQUAL(c->v6->hosts[0].n_addrs, 1);
	CU_ASSERT_EQUAL(c->v6->hosts[0].addrs[0].lo, 0x77);
	CU_ASSERT_EQUAL_FATAL(n_why, 4);
	CU_ASSERT_EQUAL(why_id[0], 11);
	CU_ASSERT_PTR_NOT_NULL(strstr(why[0], "by the configuration file"));
	CU_ASSERT_EQUAL(why_id[1], 12);
	CU_ASSERT_PTR_NOT_NULL(strstr(why[1], "not inside subnet"));
	CU_ASSERT_EQUAL(why_id[2], 13);
	CU_ASSERT_PTR_NOT_NULL(strstr(why[2], "198.18.0.50 is already reserved by host_id 10"));
	CU_ASSERT_EQUAL(why_id[3], 14);
	CU_ASSERT_PTR_NOT_NULL(strstr(why[3], "option 222"));
	conf_free(c);
}

static void test_keys(void)
{
	static const char two[] =
		"dpdk = { lcores = \"0,1\"; };\n"
		"interfaces = ( { name = \"e\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; } );\n"
		"hosts-databases = ( { name = \"a\"; }, { name = \"b\"; } );\n";
	static const char in6[] =
		"dpdk = { lcores = \"0,1\"; };\n"
		"interfaces = ( { name = \"e\"; device = \"net_null0\"; address6 = \"2001:db8::1/64\"; } );\n"
		"dhcp6 = { hosts-database = { name = \"a\"; }; };\n";
	static const char none[] =
		"dpdk = { lcores = \"0,1\"; };\n"
		"interfaces = ( { name = \"e\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; } );\n";
	char err[512];
	struct conf *c = conf_load_text("/x/t.conf", none, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(c->hosts_db.enabled);
	conf_free(c);
	c = conf_load_text("/x/t.conf", two, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:3: only one hosts database"));
	if (!strstr(err, "only one"))
		fprintf(stderr, "%s\n", err);
	c = conf_load_text("/x/t.conf", in6, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:3: 'hosts-database' belongs at the top level"));
}

/* hosts-database type "redis": its keys, its defaults, and the refusals
 * with file:line. */
static void test_redis_keys(void)
{
	static const char head[] =
		"dpdk = { lcores = \"0,1\"; };\n"
		"interfaces = ( { name = \"e\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; } );\n";
	static const struct {
		const char *db;          /* the hosts-database group's keys, on line 3 */
		const char *err;         /* NULL: loads */
	} cases[] = {
		{ "type = \"redis\"; socket = \"/run/r.sock\"; name = \"pfx\"; readonly = true; "
		  "refresh-interval = 2; user = \"u\"; password = \"p\"; connect-timeout = 3;", NULL },
		{ "type = \"redis\";", NULL },
		{ "type = \"redis\"; host = \"10.0.0.1\"; port = 7000; name = \"2\";", NULL },
		{ "type = \"redis\"; socket = \"/run/r.sock\"; host = \"h\";",
		  "t.conf:3: a redis hosts-database connects to 'socket'" },
		{ "type = \"redis\"; socket = \"/run/r.sock\"; port = 6379;",
		  "t.conf:3: a redis hosts-database connects to 'socket'" },
		{ "type = \"redis\"; socket = \"r.sock\";", "t.conf:3: 'socket' \"r.sock\" must be an absolute" },
		{ "type = \"redis\"; host = \"a,b\";", "t.conf:3: 'host' \"a,b\": a redis hosts-database has one host" },
		{ "type = \"redis\"; name = \"a b\";", "t.conf:3: 'name' \"a b\"" },
		{ "type = \"redis\"; name = \"h*\";", "t.conf:3: 'name' \"h*\"" },
		{ "type = \"redis\"; socket = \"\";", "t.conf:3: 'socket' must not be empty" },
		{ "type = \"postgresql\"; name = \"kea\"; socket = \"/run/r.sock\";",
		  "t.conf:3: 'socket' belongs to a redis hosts-database" },
		{ "type = \"postgresql\";", "t.conf:3: a postgresql hosts-database needs a 'name'" },
		{ "type = \"mysql\"; name = \"kea\";", "t.conf:3:" },
	};
	char text[1024], err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf *c;

		snprintf(text, sizeof(text), "%shosts-database = { %s };\n", head, cases[i].db);
		err[0] = '\0';
		c = conf_load_text("/x/t.conf", text, err, sizeof(err));
		if (cases[i].err == NULL) {
			if (c == NULL)
				fprintf(stderr, "case %zu: %s\n", i, err);
			CU_ASSERT_PTR_NOT_NULL(c);
		} else {
			CU_ASSERT_PTR_NULL(c);
			if (!strstr(err, cases[i].err))
				fprintf(stderr, "case %zu: '%s', expected '%s'\n", i, err, cases[i].err);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].err));
		}
		if (c == NULL)
			continue;
		CU_ASSERT_TRUE(c->hosts_db.enabled);
		CU_ASSERT_EQUAL(c->hosts_db.db.type, CONF_DB_REDIS);
		if (i == 0) {
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.socket, "/run/r.sock");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.name, "pfx");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.user, "u");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.password, "p");
			CU_ASSERT_EQUAL(c->hosts_db.db.connect_timeout, 3);
			CU_ASSERT_TRUE(c->hosts_db.readonly);
			CU_ASSERT_EQUAL(c->hosts_db.refresh_interval, 2);
		} else if (i == 1) {         /* the defaults: 127.0.0.1:6379, db 0, no prefix */
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.host, "127.0.0.1");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.port, "6379");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.name, "");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.socket, "");
			CU_ASSERT_FALSE(c->hosts_db.readonly);
			CU_ASSERT_EQUAL(c->hosts_db.refresh_interval, 60);
		} else {
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.host, "10.0.0.1");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.port, "7000");
			CU_ASSERT_STRING_EQUAL(c->hosts_db.db.name, "2");
		}
		conf_free(c);
	}
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("conf_hostdb", NULL, NULL);
	CU_add_test(s, "rows merged beside the file's", test_merge);
	CU_add_test(s, "hosts-database keys", test_keys);
	CU_add_test(s, "hosts-database type redis", test_redis_keys);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
