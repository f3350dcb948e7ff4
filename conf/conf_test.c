/* conf_test: the shipped configs load, defaults and inheritance are what
 * the documentation says, option data is encoded, and every class of
 * error names the right file:line.  Run with the working directory conf/.
 *
 * Error cases are small configs written to a temporary directory.  The
 * line the error must name is marked in the text with "#<", so the
 * expected line number is found independently of the parser. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "conf.h"
#define CONF_TEST_LOAD "/tmp/conf_test_XXXXXX"
#include "conf_test_helpers.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* The smallest valid head: every error case starts with it. */
#define IFACES \
	"interfaces = ( { name = \"eth0\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; } );\n"
#define HEAD "dpdk = { lcores = \"0,1\"; };\n" IFACES

/* ---------------------------------------------------------------------- */

static void test_example_conf(void)
{
	struct conf *c = conf_load("../etc/peregrine.conf", err, sizeof(err));
	const struct conf_subnet *s1, *s2;
	const struct conf_option *o;

	if (c == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->dpdk.lcores, "0@0,1@1");
	CU_ASSERT_EQUAL(c->dpdk.n_extra_args, 1);
	CU_ASSERT_STRING_EQUAL(c->dpdk.extra_args[0], "--log-level=lib.eal:warning");
	CU_ASSERT_EQUAL(c->n_ifaces, 2);
	CU_ASSERT_EQUAL(c->ifaces[1].addr, IP(198, 18, 1, 254));
	CU_ASSERT_EQUAL(c->n_subnets, 2);

	/* Global options sorted by code: 6 (written first) then 15. */
	CU_ASSERT_EQUAL(c->options.n, 2);
	CU_ASSERT_EQUAL(c->options.opts[0].code, 6);
	CU_ASSERT_EQUAL(c->options.opts[0].len, 8);
	CU_ASSERT_EQUAL(c->options.opts[1].code, 15);
	CU_ASSERT_EQUAL(c->options.opts[1].len, 11);
	CU_ASSERT(memcmp(c->options.opts[1].data, "example.org", 11) == 0);

	s1 = conf_subnet_by_id(c, 1);
	s2 = conf_subnet_by_id(c, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
	CU_ASSERT_PTR_NULL(conf_subnet_by_id(c, 3));
	/* Subnet 1 inherits everything; subnet 2 sets its own. */
	CU_ASSERT_EQUAL(s1->valid_lifetime, 7200);
	CU_ASSERT_EQUAL(s1->renew_timer, 1800);
	CU_ASSERT_EQUAL(s1->rebind_timer, 3150);
	CU_ASSERT_EQUAL(s1->next_server, IP(198, 18, 0, 1));
	CU_ASSERT_STRING_EQUAL(s1->boot_file_name, "pxelinux.0");
	CU_ASSERT_EQUAL(s1->iface, 0);
	CU_ASSERT_EQUAL(s1->n_pools, 2);
	CU_ASSERT_EQUAL(s1->pools[1].first, IP(198, 18, 0, 128));
	CU_ASSERT_EQUAL(s1->pools[1].last, IP(198, 18, 0, 191));
	CU_ASSERT_EQUAL(s2->valid_lifetime, 3600);
	CU_ASSERT_EQUAL(s2->renew_timer, 900);
	CU_ASSERT_EQUAL(s2->rebind_timer, 1800);
	CU_ASSERT_EQUAL(s2->next_server, IP(198, 18, 1, 254));
	CU_ASSERT_STRING_EQUAL(s2->boot_file_name, "undionly.kpxe");
	CU_ASSERT_STRING_EQUAL(s2->server_hostname, "peregrine");
	CU_ASSERT_EQUAL(s2->iface, -1);
	CU_ASSERT_EQUAL(s2->n_relay_addrs, 1);
	CU_ASSERT_EQUAL(s2->relay_addrs[0], IP(198, 18, 1, 1));
	o = conf_option_find(&s2->options, 6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, 4);
	CU_ASSERT_EQUAL(c->lease_db.type, CONF_DB_MEMFILE);
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_COMMIT);
	CU_ASSERT_STRING_EQUAL(c->lease_db.name, "/var/lib/peregrine/dhcp4.leases");
	CU_ASSERT_TRUE(c->ctl_socket.enabled);
	CU_ASSERT_STRING_EQUAL(c->ctl_socket.socket_name, "/run/peregrine/control.sock");
	CU_ASSERT_EQUAL(c->ctl_socket.mode, 0600);
	CU_ASSERT_TRUE(c->http_control.enabled);
	CU_ASSERT_EQUAL(c->http_control.port, 8004);
	conf_free(c);
}

static void test_demo_conf(void)
{
	struct conf *c = conf_load("../etc/peregrine-demo.conf", err, sizeof(err));
	const struct conf_option *o;

	if (c == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->dpdk.lcores, "0,1");
	CU_ASSERT(c->dpdk.no_huge);
	CU_ASSERT_EQUAL(c->dpdk.memory_mb, 256);
	CU_ASSERT_EQUAL(c->n_ifaces, 1);
	CU_ASSERT_STRING_EQUAL(c->ifaces[0].name, "eth0");
	CU_ASSERT_STRING_EQUAL(c->ifaces[0].device, "net_af_packet0,iface=pg-srv");
	CU_ASSERT_EQUAL(c->ifaces[0].addr, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(c->ifaces[0].prefix_len, 24);
	CU_ASSERT_EQUAL_FATAL(c->n_subnets, 1);
	CU_ASSERT_EQUAL(c->subnets[0].prefix, IP(198, 18, 0, 0));
	CU_ASSERT_EQUAL(c->subnets[0].mask, 0xffffff00u);
	CU_ASSERT_EQUAL_FATAL(c->subnets[0].n_pools, 1);
	CU_ASSERT_EQUAL(c->subnets[0].pools[0].first, IP(198, 18, 0, 100));
	CU_ASSERT_EQUAL(c->subnets[0].pools[0].last, IP(198, 18, 0, 199));
	o = conf_option_find(&c->subnets[0].options, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, 4);
	CU_ASSERT(memcmp(o->data, "\xc6\x12\x00\x01", 4) == 0);
	CU_ASSERT_EQUAL(c->lease_db.type, CONF_DB_MEMFILE);
	CU_ASSERT_STRING_EQUAL(c->lease_db.name, "/tmp/peregrine-demo/dhcp4.leases");
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_COMMIT);
	CU_ASSERT_STRING_EQUAL(conf_durability_name(c->lease_db.durability), "commit");
	conf_free(c);
}

static void test_defaults(void)
{
	struct conf *c = load_ok(HEAD
		"subnet4 = ( { id = 7; subnet = \"198.18.0.0/24\"; } );\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->dpdk.file_prefix, "peregrine");
	CU_ASSERT(!c->dpdk.no_huge);
	CU_ASSERT_EQUAL(c->dpdk.memory_mb, 0);
	CU_ASSERT_EQUAL(c->dpdk.rx_desc, 1024);
	CU_ASSERT_EQUAL(c->dpdk.tx_desc, 1024);
	CU_ASSERT_EQUAL(c->dpdk.n_extra_args, 0);
	CU_ASSERT_EQUAL(c->valid_lifetime, 7200);
	CU_ASSERT_EQUAL(c->renew_timer, 0);
	CU_ASSERT_EQUAL(c->rebind_timer, 0);
	CU_ASSERT_EQUAL(c->decline_probation_period, 86400);
	CU_ASSERT_EQUAL(c->offer_lifetime, 60);
	CU_ASSERT(c->match_client_id);
	CU_ASSERT(!c->authoritative);
	CU_ASSERT_EQUAL(c->next_server, 0);
	CU_ASSERT_EQUAL(c->options.n, 0);
	CU_ASSERT_EQUAL(c->logging.severity, CONF_LOG_INFO);
	CU_ASSERT_EQUAL(c->logging.output, CONF_LOG_STDERR);
	/* No lease-database: memory only. */
	CU_ASSERT_EQUAL(c->lease_db.type, CONF_DB_NONE);
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_MEMORY);
	/* Timers derived from the (default) valid-lifetime. */
	CU_ASSERT_EQUAL(c->subnets[0].valid_lifetime, 7200);
	CU_ASSERT_EQUAL(c->subnets[0].renew_timer, 3600);
	CU_ASSERT_EQUAL(c->subnets[0].rebind_timer, 6300);
	CU_ASSERT_EQUAL(c->subnets[0].iface, -1);
	CU_ASSERT_EQUAL(c->subnets[0].n_pools, 0);
	conf_free(c);

	c = load_ok(HEAD "lease-database = { name = \"/tmp/x.leases\"; };\n"
		    "logging = { severity = \"debug\"; output = \"syslog\"; };\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->lease_db.type, CONF_DB_MEMFILE);
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_COMMIT);
	CU_ASSERT_EQUAL(c->lease_db.flush_interval_ms, 50);
	CU_ASSERT_EQUAL(c->lease_db.lfc_interval, 3600);
	CU_ASSERT_EQUAL(c->logging.severity, CONF_LOG_DEBUG);
	CU_ASSERT_EQUAL(c->logging.output, CONF_LOG_SYSLOG);
	conf_free(c);

	/* persist = false alone means memory, and then no name is needed. */
	c = load_ok(HEAD "lease-database = { type = \"memfile\"; persist = false; };\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_MEMORY);
	conf_free(c);
	c = load_ok(HEAD "lease-database = { name = \"/tmp/l\"; durability = \"write-behind\"; "
		    "flush-interval = 5; lfc-interval = 0; };\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_WRITE_BEHIND);
	CU_ASSERT_EQUAL(c->lease_db.flush_interval_ms, 5);
	CU_ASSERT_EQUAL(c->lease_db.lfc_interval, 0);
	conf_free(c);
}

static void test_timers(void)
{
	struct conf *c = load_ok(HEAD
		"valid-lifetime = 4000; renew-timer = 1000;\n"
		"subnet4 = (\n"
		"  { id = 1; subnet = \"198.18.0.0/24\"; },\n"
		"  { id = 2; subnet = \"198.18.1.0/24\"; valid-lifetime = 1600; },\n"
		"  { id = 3; subnet = \"198.18.2.0/24\"; renew-timer = 10; rebind-timer = 20; },\n"
		"  { id = 4; subnet = \"198.18.3.0/24\"; valid-lifetime = 2000L; }\n"
		");\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->renew_timer, 1000);
	CU_ASSERT_EQUAL(c->rebind_timer, 0);
	/* 1: renew global, rebind derived from the global valid-lifetime. */
	CU_ASSERT_EQUAL(c->subnets[0].valid_lifetime, 4000);
	CU_ASSERT_EQUAL(c->subnets[0].renew_timer, 1000);
	CU_ASSERT_EQUAL(c->subnets[0].rebind_timer, 3500);
	/* 2: its own valid-lifetime drives the derived rebind. */
	CU_ASSERT_EQUAL(c->subnets[1].valid_lifetime, 1600);
	CU_ASSERT_EQUAL(c->subnets[1].renew_timer, 1000);
	CU_ASSERT_EQUAL(c->subnets[1].rebind_timer, 1400);
	CU_ASSERT_EQUAL(c->subnets[2].renew_timer, 10);
	CU_ASSERT_EQUAL(c->subnets[2].rebind_timer, 20);
	CU_ASSERT_EQUAL(c->subnets[2].valid_lifetime, 4000);
	CU_ASSERT_EQUAL(c->subnets[3].valid_lifetime, 2000);
	CU_ASSERT_EQUAL(c->subnets[3].rebind_timer, 1750);
	conf_free(c);

	/* Neither level sets T1/T2: 50% and 87.5% of each subnet's lease. */
	c = load_ok(HEAD
		"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; valid-lifetime = 1000; },\n"
		"            { id = 2; subnet = \"198.18.1.0/24\"; } );\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->subnets[0].renew_timer, 500);
	CU_ASSERT_EQUAL(c->subnets[0].rebind_timer, 875);
	CU_ASSERT_EQUAL(c->subnets[1].renew_timer, 3600);
	CU_ASSERT_EQUAL(c->subnets[1].rebind_timer, 6300);
	conf_free(c);
}

static void test_int64_values(void)
{
	struct conf *c = load_ok(HEAD
		"valid-lifetime = 3000000000L;\n"
		"subnet4 = ( { id = 4000000000L; subnet = \"198.18.0.0/24\"; } );\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->valid_lifetime, 3000000000u);
	CU_ASSERT_EQUAL(c->subnets[0].id, 4000000000u);
	CU_ASSERT_PTR_NOT_NULL(conf_subnet_by_id(c, 4000000000u));
	CU_ASSERT_EQUAL(c->subnets[0].rebind_timer, 2625000000u);
	conf_free(c);
}

static void test_options(void)
{
	struct conf *c = load_ok(HEAD
		"option-data = (\n"
		"  { name = \"domain-name\"; data = \"example.org\"; always-send = true; },\n"
		"  { name = \"routers\"; code = 3; data = \"198.18.0.1\"; },\n"
		"  { code = 6; data = \"198.18.0.1, 198.18.0.2\"; },\n"
		"  { code = 224; data = \"0a:0B 0c\"; csv-format = false; },\n"
		"  { name = \"interface-mtu\"; data = \"1500\"; }\n"
		");\n");
	const struct conf_option *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(c->options.n, 5);
	for (unsigned i = 1; i < c->options.n; i++)
		CU_ASSERT(c->options.opts[i - 1].code < c->options.opts[i].code);
	o = conf_option_find(&c->options, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, 4);
	CU_ASSERT(memcmp(o->data, "\xc6\x12\x00\x01", 4) == 0);
	CU_ASSERT(!o->always_send);
	o = conf_option_find(&c->options, 6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, 8);
	CU_ASSERT(memcmp(o->data, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8) == 0);
	o = conf_option_find(&c->options, 15);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(o->always_send);
	CU_ASSERT_EQUAL(o->len, 11);
	o = conf_option_find(&c->options, 26);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, 2);
	CU_ASSERT(memcmp(o->data, "\x05\xdc", 2) == 0);
	o = conf_option_find(&c->options, 224);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, 3);
	CU_ASSERT(memcmp(o->data, "\x0a\x0b\x0c", 3) == 0);
	CU_ASSERT_PTR_NULL(conf_option_find(&c->options, 1));
	CU_ASSERT_PTR_NULL(conf_option_find(&c->options, 254));
	conf_free(c);
}

static void test_include(void)
{
	struct conf *c = conf_load("testdata/include-main.conf", err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->n_subnets, 2);
	CU_ASSERT_EQUAL(c->subnets[1].id, 2);
	CU_ASSERT_EQUAL(c->subnets[1].iface, 0);
	conf_free(c);

	/* An error inside an included file names that file and its line. */
	c = conf_load("testdata/include-bad-main.conf", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT(strncmp(err, "testdata/include-bad-part.conf:4: ", 34) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'pool-size'"));
	conf_free(c);

	/* A syntax error inside an included file too. */
	c = conf_load("testdata/include-syntax-main.conf", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT(strncmp(err, "testdata/include-syntax-part.conf:3: ", 37) == 0);
	conf_free(c);

	/* An overlap across files names the other file. */
	c = conf_load("testdata/include-overlap-main.conf", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT(strncmp(err, "testdata/include-overlap-main.conf:8: ", 38) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "testdata/include-part.conf:2"));
	conf_free(c);
}

static void test_err_file(void)
{
	char path[600];
	struct conf *c;

	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	c = conf_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nonexistent.conf: No such file"));

	/* libconfig's own syntax errors keep their file:line. */
	expect_err(HEAD "valid-lifetime = 7200;\nrenew-timer = ; #<\n", "syntax error");
	expect_err(HEAD "valid-lifetime = 7200;\nvalid-lifetime = 7200; #<\n", "duplicate setting");
	expect_err_at(HEAD "@include \"missing.conf\"\n", "cannot open include file", 3);
}

static void test_err_unknown_keys(void)
{
	expect_err(HEAD "valid-lifetim = 7200; #<\n", "unknown key 'valid-lifetim' at the top level");
	expect_err("dpdk = { lcores = \"0,1\";\n  lcore = 3; }; #<\n", "unknown key 'lcore' in dpdk");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\";\n   addres = \"1.2.3.4/8\"; } ); #<\n",
		   "unknown key 'addres' in an interfaces entry");
	expect_err(HEAD "lease-database = { type = \"memfile\";\n"
		   " persistent = true; }; #<\n", "unknown key 'persistent' in lease-database");
	expect_err(HEAD "logging = { level = \"INFO\"; }; #<\n", "unknown key 'level' in logging");
	expect_err(HEAD "subnet4 = (\n { id = 1; subnet = \"198.18.0.0/24\";\n"
		   "   valid_lifetime = 5; } ); #<\n", "unknown key 'valid_lifetime' in a subnet4 entry");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   "   pools = ( { pool = \"198.18.0.10/32\"; client-classes = \"x\"; } ); } ); #<\n",
		   "unknown key 'client-classes' in a pools entry");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   "   relay = { ip-address = \"198.18.1.1\"; }; } ); #<\n", "unknown key 'ip-address' in relay");
	expect_err(HEAD "option-data = ( { name = \"routers\"; data = \"1.2.3.4\";\n"
		   "   spaces = \"dhcp4\"; } ); #<\n", "unknown key 'spaces' in an option-data entry");
}

static void test_err_types(void)
{
	expect_err(HEAD "valid-lifetime = \"7200\"; #<\n", "'valid-lifetime' must be an integer, not a string");
	expect_err(HEAD "valid-lifetime = 7200.0; #<\n", "must be an integer, not a float");
	expect_err("dpdk = { lcores = \"0,1\";\n no-huge = 1; }; #<\n" IFACES,
		   "'no-huge' must be true or false");
	expect_err(HEAD "subnet4 = { id = 1; }; #<\n", "'subnet4' must be a list");
	expect_err(HEAD "subnet4 = ( \"198.18.0.0/24\" ); #<\n", "each 'subnet4' entry must be a group");
	expect_err(HEAD "logging = \"stderr\"; #<\n", "'logging' must be a group");
	expect_err(HEAD "lease-database = { name = \"/tmp/l\";\n persist = \"yes\"; }; #<\n",
		   "'persist' must be true or false");
	expect_err("dpdk = { lcores = \"0,1\";\n extra-args = [ 1 ]; }; #<\n" IFACES,
		   "'extra-args' must be a string, not an integer");
	expect_err(HEAD "server-hostname = 5; #<\n", "'server-hostname' must be a string, not an integer");
}

static void test_err_values(void)
{
	expect_err(HEAD "offer-lifetime = 0; #<\n", "'offer-lifetime' must be between 1 and 3600, not 0");
	expect_err("dpdk = { lcores = \"0,1\"; rx-desc = 8; }; #<\n" IFACES, "'rx-desc' must be between 32");
	expect_err(HEAD "logging = {\n severity = \"LOUD\"; }; #<\n",
		   "'severity' must be one of \"DEBUG\", \"INFO\", \"WARN\", \"ERROR\"");
	expect_err(HEAD "lease-database = { type = \"mysql\"; }; #<\n", "'type' must be one of \"memfile\"");
	expect_err(HEAD "server-hostname = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; #<\n",
		   "longer than 63 characters");
	expect_err("dpdk = { #<\n file-prefix = \"x\"; };\n" IFACES, "missing required key 'lcores' in dpdk");
}

static void test_err_required(void)
{
	expect_err_at("interfaces = ( { name = \"eth0\"; device = \"d\"; address = \"198.18.0.1/24\"; } );\n",
		      "missing required key 'dpdk'", 1);
	expect_err_at("dpdk = { lcores = \"0,1\"; };\n", "missing required key 'interfaces'", 1);
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = ( ); #<\n", "'interfaces' needs at least 1 entry");
	expect_err("dpdk = {\n lcores = \"0\"; }; #<\n" IFACES, "at least one more is needed as a worker");
	expect_err("dpdk = {\n lcores = \"0,,1\"; }; #<\n" IFACES, "is not an EAL lcore list");
	expect_err("dpdk = {\n lcores = \"0 1\"; }; #<\n" IFACES, "only digits");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; address = \"198.18.0.1/24\"; } ); #<\n",
		   "missing required key 'device' in an interfaces entry");
	expect_err(HEAD "subnet4 = (\n { subnet = \"198.18.0.0/24\"; } ); #<\n",
		   "missing required key 'id' in a subnet4 entry");
	expect_err(HEAD "option-data = (\n { data = \"1.2.3.4\"; } ); #<\n", "needs a 'name' or a 'code'");
}

static void test_err_addresses(void)
{
	expect_err(HEAD "next-server = \"198.18.0.256\"; #<\n", "\"198.18.0.256\" is not an IPv4 address");
	expect_err(HEAD "next-server = \"198.18.00.1\"; #<\n", "is not an IPv4 address");
	expect_err(HEAD "next-server = \"198.18.0\"; #<\n", "is not an IPv4 address");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address = \"198.18.0.1\"; } ); #<\n",
		   "is not an IPv4 address with a prefix length");
	expect_err(HEAD "subnet4 = ( { id = 1;\n subnet = \"198.18.0.5/24\"; } ); #<\n",
		   "has host bits set (did you mean \"198.18.0.0/24\"?)");
	expect_err(HEAD "subnet4 = ( { id = 1;\n subnet = \"198.18.0.0/33\"; } ); #<\n", "is not an IPv4 prefix");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   " relay = { ip-addresses = [ \"198.18.1.1\", \"198.18.1\" ]; }; } ); #<\n",
		   "'ip-addresses': \"198.18.1\" is not an IPv4 address");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   " interface = \"eth9\"; } ); #<\n", "no interface named \"eth9\"");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d1\"; address = \"198.18.0.1/24\"; },\n"
		   " { name = \"e\"; device = \"d2\"; address = \"198.18.1.1/24\"; } ); #<\n",
		   "interface name \"e\" is already used (line 3)");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"a\"; device = \"d1\"; address = \"198.18.0.1/24\"; },\n"
		   " { name = \"b\"; device = \"d1\"; address = \"198.18.1.1/24\"; } ); #<\n",
		   "device \"d1\" is already used by interface \"a\"");
}

static void test_err_pools_subnets(void)
{
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; pools = (\n"
		   "  { pool = \"198.18.0.10 - 198.18.0.20\"; },\n"
		   "  { pool = \"198.18.0.16/28\"; } ); } ); #<\n",
		   "pool \"198.18.0.16/28\" overlaps pool \"198.18.0.10 - 198.18.0.20\" at");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; pools = (\n"
		   "  { pool = \"198.18.0.10 - 198.18.1.20\"; } ); } ); #<\n",
		   "is not inside subnet 198.18.0.0/24");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; pools = (\n"
		   "  { pool = \"198.18.0.20 - 198.18.0.10\"; } ); } ); #<\n", "starts after it ends");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; pools = (\n"
		   "  { pool = \"198.18.0.20 to 198.18.0.30\"; } ); } ); #<\n", "is not \"first - last\"");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; pools = (\n"
		   "  { pool = \"198.18.0.20/28\"; } ); } ); #<\n", "has host bits set");
	expect_err(HEAD "subnet4 = (\n { id = 1; subnet = \"198.18.0.0/16\"; },\n"
		   " { id = 2;\n   subnet = \"198.18.4.0/24\"; } ); #<\n",
		   "subnet \"198.18.4.0/24\" overlaps subnet \"198.18.0.0/16\"");
	expect_err(HEAD "subnet4 = (\n { id = 5; subnet = \"198.18.0.0/24\"; },\n"
		   " { id = 5; subnet = \"198.18.1.0/24\"; } ); #<\n", "subnet id 5 is already used (line 4)");
	expect_err(HEAD "subnet4 = (\n { id = 0; subnet = \"198.18.0.0/24\"; } ); #<\n",
		   "'id' must be between 1 and 4294967295, not 0");
}

static void test_err_timers(void)
{
	expect_err(HEAD "renew-timer = 2000;\nrebind-timer = 1000; #<\n",
		   "renew-timer 2000 must be less than rebind-timer 1000");
	expect_err(HEAD "valid-lifetime = 1000; #<\nrebind-timer = 1000;\n",
		   "rebind-timer 1000 must be less than valid-lifetime 1000");
	/* In a subnet: the subnet's own key is named. */
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   "  renew-timer = 900;\n  rebind-timer = 900; } ); #<\n",
		   "renew-timer 900 must be less than rebind-timer 900");
	/* A subnet lease shorter than the inherited global T2. */
	expect_err(HEAD "renew-timer = 100; rebind-timer = 3000;\n"
		   "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   "  valid-lifetime = 2000; } ); #<\n",
		   "rebind-timer 3000 (global) must be less than valid-lifetime 2000");
	/* A given T1 above the derived T2. */
	expect_err(HEAD "valid-lifetime = 1000;\nrenew-timer = 900; #<\n"
		   "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; } );\n",
		   "renew-timer 900 (global) must be less than rebind-timer 875 (derived");
}

static void test_err_option_data(void)
{
	expect_err(HEAD "option-data = (\n { name = \"routerz\"; data = \"1.2.3.4\"; } ); #<\n",
		   "unknown option name \"routerz\"");
	expect_err(HEAD "option-data = (\n { code = 0; data = \"01\"; } ); #<\n",
		   "'code' must be between 1 and 254, not 0");
	expect_err(HEAD "option-data = (\n { code = 255; data = \"01\"; } ); #<\n",
		   "'code' must be between 1 and 254, not 255");
	expect_err(HEAD "option-data = (\n { code = 51; data = \"100\"; } ); #<\n",
		   "option 51 (dhcp-lease-time) cannot be configured: the lease time comes from valid-lifetime");
	expect_err(HEAD "option-data = (\n { name = \"dhcp-agent-options\"; data = \"01\"; } ); #<\n",
		   "option 82 (dhcp-agent-options) cannot be configured");
	expect_err(HEAD "option-data = (\n { code = 61; data = \"01\"; csv-format = false; } ); #<\n",
		   "option 61");
	expect_err(HEAD "option-data = ( { name = \"routers\";\n code = 4; data = \"1.2.3.4\"; } ); #<\n",
		   "option \"routers\" has code 3, not 4");
	expect_err(HEAD "option-data = ( { name = \"routers\";\n"
		   "  data = \"198.18.0.1, 198.18.0\"; } ); #<\n", "option 3 (routers)");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; option-data = (\n"
		   "  { name = \"routers\"; data = \"198.18.0.1\"; },\n"
		   "  { code = 3; data = \"198.18.0.2\"; } ); } ); #<\n",
		   "option 3 is already set in this scope (line 4)");
	/* The same code at two scopes is fine. */
	{
		struct conf *c = load_ok(HEAD "option-data = ( { name = \"routers\"; data = \"198.18.0.1\"; } );\n"
					 "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; option-data = (\n"
					 "  { name = \"routers\"; data = \"198.18.0.2\"; } ); } );\n");
		CU_ASSERT_PTR_NOT_NULL(c);
		conf_free(c);
	}
}

static void test_err_lease_db(void)
{
	expect_err(HEAD "lease-database = { type = \"memfile\"; name = \"/tmp/l\"; persist = false;\n"
		   "  durability = \"commit\"; }; #<\n", "durability \"commit\" contradicts persist = false");
	expect_err(HEAD "lease-database = { name = \"/tmp/l\"; persist = true;\n"
		   "  durability = \"memory\"; }; #<\n", "durability \"memory\" contradicts persist = true");
	expect_err(HEAD "lease-database = {\n type = \"memfile\"; }; #<\n", "needs a 'name'");
	expect_err(HEAD "lease-database = { name = \"/tmp/l\";\n flush-interval = 0; }; #<\n",
		   "'flush-interval' must be between 1 and 60000");
}

/* type "redis": defaults, a socket, sentinels, and what is refused. */
static void test_redis_db(void)
{
	struct conf *c = load_ok(HEAD "lease-database = { type = \"redis\"; name = \"site1\"; };\n");

	if (c) {
		CU_ASSERT_EQUAL(c->lease_db.type, CONF_DB_REDIS);
		CU_ASSERT_STRING_EQUAL(conf_db_type_name(c->lease_db.type), "redis");
		CU_ASSERT_STRING_EQUAL(c->lease_db.host, "127.0.0.1");
		CU_ASSERT_STRING_EQUAL(c->lease_db.port, "6379");
		CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_COMMIT);
		CU_ASSERT_EQUAL(c->lease_db.wait_replicas, 0);
		CU_ASSERT_EQUAL(c->lease_db.n_sentinels, 0);
		CU_ASSERT_STRING_EQUAL(c->lease_db.sentinel_master, "mymaster");
		conf_free(c);
	}
	c = load_ok(HEAD "lease-database = { type = \"redis\"; socket = \"/run/r.sock\"; name = \"3\";\n"
		    "  password = \"pw\"; user = \"u\"; wait-replicas = 1; wait-timeout = 250; };\n");
	if (c) {
		CU_ASSERT_STRING_EQUAL(c->lease_db.socket, "/run/r.sock");
		CU_ASSERT_STRING_EQUAL(c->lease_db.name, "3");
		CU_ASSERT_EQUAL(c->lease_db.wait_replicas, 1);
		CU_ASSERT_EQUAL(c->lease_db.wait_timeout_ms, 250);
		conf_free(c);
	}
	c = load_ok(HEAD "lease-database = { type = \"redis\"; sentinel-master = \"leases\";\n"
		    "  sentinels = ( \"127.0.0.1:26379\", \"[2001:db8::1]:26380\" );\n"
		    "  sentinel-password = \"spw\"; };\n");
	if (c) {
		CU_ASSERT_EQUAL(c->lease_db.n_sentinels, 2);
		CU_ASSERT_STRING_EQUAL(c->lease_db.sentinels[1], "[2001:db8::1]:26380");
		CU_ASSERT_STRING_EQUAL(c->lease_db.sentinel_master, "leases");
		CU_ASSERT_STRING_EQUAL(c->lease_db.sentinel_password, "spw");
		conf_free(c);
	}
	expect_err(HEAD "lease-database = { type = \"redis\"; socket = \"/run/r.sock\";\n"
		   "  host = \"10.0.0.1\"; }; #<\n", "'socket' \"/run/r.sock\" or to 'host'/'port'");
	expect_err(HEAD "lease-database = { type = \"redis\"; sentinels = ( \"127.0.0.1:1\" );\n"
		   "  port = 6380; }; #<\n", "the sentinels name the redis primary");
	expect_err(HEAD "lease-database = { type = \"redis\";\n sentinels = ( \"nohost\" ); }; #<\n",
		   "sentinel \"nohost\" is not \"host:port\"");
	expect_err(HEAD "lease-database = { type = \"redis\";\n host = \"a,b\"; }; #<\n",
		   "a redis lease-database has one host");
	expect_err(HEAD "lease-database = { type = \"redis\";\n name = \"a*b\"; }; #<\n",
		   "no spaces, control characters or glob characters");
	expect_err(HEAD "lease-database = { type = \"redis\"; durability = \"write-behind\";\n"
		   "  wait-replicas = 1; }; #<\n", "'wait-replicas' makes replies wait");
	expect_err(HEAD "lease-database = { type = \"redis\";\n lfc-interval = 10; }; #<\n",
		   "'lfc-interval' belongs to memfile");
	expect_err(HEAD "lease-database = { type = \"redis\";\n persist = false; }; #<\n",
		   "a redis lease-database keeps leases in the database");
	expect_err(HEAD "lease-database = { type = \"redis\"; shared = true;\n"
		   "  durability = \"write-behind\"; }; #<\n", "shared = true needs durability");
	expect_err(HEAD "lease-database = { type = \"postgresql\"; name = \"kea\";\n"
		   "  wait-replicas = 1; }; #<\n", "'wait-replicas' belongs to a redis lease-database");
	expect_err(HEAD "lease-database = { name = \"/tmp/l\";\n socket = \"/x\"; }; #<\n",
		   "'socket' belongs to a redis lease-database, not to memfile");
}

static void test_control(void)
{
	struct conf *c = load_ok(HEAD);

	if (c) {
		/* both blocks are optional: no listener when absent */
		CU_ASSERT_FALSE(c->ctl_socket.enabled);
		CU_ASSERT_FALSE(c->http_control.enabled);
		conf_free(c);
	}
	c = load_ok(HEAD "control-socket = { socket-type = \"unix\"; socket-name = \"/run/p.sock\"; };\n"
		    "http-control = { };\n");
	if (c) {
		CU_ASSERT_TRUE(c->ctl_socket.enabled);
		CU_ASSERT_STRING_EQUAL(c->ctl_socket.socket_type, "unix");
		CU_ASSERT_STRING_EQUAL(c->ctl_socket.socket_name, "/run/p.sock");
		CU_ASSERT_EQUAL(c->ctl_socket.mode, 0600);
		CU_ASSERT_EQUAL(c->ctl_socket.line, 3);
		CU_ASSERT_TRUE(c->http_control.enabled);
		CU_ASSERT_STRING_EQUAL(c->http_control.address, "127.0.0.1");
		CU_ASSERT_EQUAL(c->http_control.port, 8004);
		CU_ASSERT_STRING_EQUAL(c->http_control.user, "");
		conf_free(c);
	}
	c = load_ok(HEAD "control-socket = { socket-name = \"s\"; socket-mode = \"0660\";\n"
		    "  idle-timeout = 500; max-request-size = 4096; };\n"
		    "http-control = { address = \"::1\"; port = 9000; user = \"kea\"; password = \"pw\"; };\n");
	if (c) {
		CU_ASSERT_EQUAL(c->ctl_socket.mode, 0660);
		CU_ASSERT_EQUAL(c->ctl_socket.idle_timeout_ms, 500);
		CU_ASSERT_EQUAL(c->ctl_socket.max_request, 4096);
		CU_ASSERT_STRING_EQUAL(c->http_control.address, "::1");
		CU_ASSERT_EQUAL(c->http_control.port, 9000);
		CU_ASSERT_STRING_EQUAL(c->http_control.user, "kea");
		CU_ASSERT_STRING_EQUAL(c->http_control.password, "pw");
		conf_free(c);
	}
}

static void test_err_control(void)
{
	expect_err(HEAD "control-socket = {\n socket-type = \"tcp\"; #<\n socket-name = \"s\"; };\n",
		   "'socket-type' must be one of \"unix\"");
	expect_err(HEAD "control-socket = { socket-type = \"unix\"; }; #<\n",
		   "missing required key 'socket-name'");
	expect_err(HEAD "control-socket = { socket-name = \"s\";\n socket-mode = 384; }; #<\n",
		   "'socket-mode' must be a string");
	expect_err(HEAD "control-socket = { socket-name = \"s\";\n socket-mode = \"0800\"; }; #<\n",
		   "must be octal permissions");
	expect_err(HEAD "control-socket = { socket-name = \"s\";\n socket-mode = \"01777\"; }; #<\n",
		   "at most 0777");
	expect_err(HEAD "control-socket = { socket-name = \"s\";\n socket-mode = \"0066\"; }; #<\n",
		   "owner unable");
	expect_err(HEAD "control-socket = { socket-name = \"s\";\n sockt-name = \"x\"; }; #<\n",
		   "unknown key 'sockt-name' in control-socket");
	expect_err(HEAD "control-socket = { socket-name = \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\"; }; #<\n",
		   "'socket-name' is longer than 107 characters");
	expect_err(HEAD "http-control = {\n address = \"localhost\"; #<\n };\n",
		   "\"localhost\" is not an IPv4 or IPv6 address");
	expect_err(HEAD "http-control = {\n port = 0; #<\n };\n", "'port' must be between 1 and 65535");
	expect_err(HEAD "http-control = {\n port = \"8004\"; #<\n };\n", "'port' must be an integer");
	expect_err(HEAD "http-control = {\n user = \"kea\"; #<\n };\n", "both 'user' and 'password'");
	expect_err(HEAD "http-control = {\n password = \"x\"; #<\n };\n", "both 'user' and 'password'");
	expect_err(HEAD "http-control = {\n user = \"a:b\"; #<\n password = \"x\"; };\n",
		   "must not contain ':'");
	expect_err(HEAD "http-control = {\n idle-timeout = 5; #<\n };\n",
		   "'idle-timeout' must be between 100");
}

/* address6: optional, with address or alone; a port without an IPv4
 * address is never DHCPv4's (conf.h). */
static void test_iface_address6(void)
{
	struct conf *c = load_ok("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
				 " { name = \"a\"; device = \"d1\"; address = \"198.18.0.1/24\";\n"
				 "   address6 = \"2001:db8:1::1/64\"; },\n"
				 " { name = \"b\"; device = \"d2\"; address6 = \" 2001:db8:2::1 / 48 \"; } );\n"
				 "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"a\"; } );\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->ifaces[0].has_addr4);
	CU_ASSERT_TRUE(c->ifaces[0].has_addr6);
	CU_ASSERT_EQUAL(c->ifaces[0].addr, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(c->ifaces[0].addr6.hi, 0x20010db800010000ull);
	CU_ASSERT_EQUAL(c->ifaces[0].addr6.lo, 1);
	CU_ASSERT_EQUAL(c->ifaces[0].prefix6_len, 64);
	CU_ASSERT_FALSE(c->ifaces[1].has_addr4);
	CU_ASSERT_TRUE(c->ifaces[1].has_addr6);
	CU_ASSERT_EQUAL(c->ifaces[1].addr, 0);
	CU_ASSERT_EQUAL(c->ifaces[1].prefix_len, 0);
	CU_ASSERT_EQUAL(c->ifaces[1].prefix6_len, 48);
	CU_ASSERT_EQUAL(c->ifaces[1].addr6.hi, 0x20010db800020000ull);
	CU_ASSERT_PTR_NULL(c->v6);
	conf_free(c);

	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; } ); #<\n", "interface \"e\" needs 'address' (IPv4), "
		   "'address6' (IPv6) or both");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"2001:db8::1\"; } ); #<\n",
		   "'address6': \"2001:db8::1\" is not an IPv6 address with a prefix length");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"2001:db8::1/129\"; } ); #<\n",
		   "is not an IPv6 address with a prefix length");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"fe80::1/64\"; } ); #<\n", "is link-local");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"ff02::1:2/64\"; } ); #<\n", "is a multicast address");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"::/64\"; } ); #<\n", "is not a unicast address");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address = \"0.0.0.0/8\"; } ); #<\n",
		   "0.0.0.0 is not an address of this server");
	/* DHCPv4 needs the port's IPv4 address */
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"2001:db8::1/64\"; } );\n"
		   "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n interface = \"e\"; } ); #<\n",
		   "'interface': \"e\" has no IPv4 'address' (only address6)");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"2001:db8::1/64\"; } );\n"
		   "shared-networks = ( { name = \"n\";\n interface = \"e\"; } ); #<\n",
		   "has no IPv4 'address'");
	expect_err("dpdk = { lcores = \"0,1\"; };\ninterfaces = (\n"
		   " { name = \"e\"; device = \"d\"; address6 = \"2001:db8::1/64\"; } );\n"
		   "subnet4 = ( { id = 1;\n subnet = \"0.0.0.0/8\"; } ); #<\n",
		   "subnet 0.0.0.0/8 contains 0.0.0.0, the IPv4 address of interface \"e\"");
}

/* Classification and reservation keys through conf_load: classes, option-def, reservations (global,
 * per subnet, in a shared network), identifiers, flex-id, precedence,
 * shared networks (their subnets appended to subnets[]), pool and subnet
 * client-class / require-client-classes / pool option-data. */
static void test_policy_keys(void)
{
	char path[512];
	struct conf *c;
	const struct conf_policy *x;
	int cams, req;

	c = load_text(HEAD
		      "option-def = ( { name = \"cfg\"; code = 224; type = \"uint16\"; } );\n"
		      "client-classes = (\n"
		      "  { name = \"cams\"; test = \"option[60].text == 'cam'\";\n"
		      "    option-data = ( { name = \"cfg\"; data = \"7\"; } ); },\n"
		      "  { name = \"req\"; test = \"member('KNOWN')\"; only-if-required = true; } );\n"
		      "host-reservation-identifiers = [ \"client-id\", \"hw-address\", \"flex-id\" ];\n"
		      "flex-id-expression = \"option[60].hex\";\n"
		      "option-precedence = \"isc-dhcpd\";\n"
		      "reservations = ( { flex-id = \"'box'\"; hostname = \"box\"; } );\n"
		      "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"eth0\";\n"
		      "  client-class = \"cams\"; require-client-classes = [ \"req\" ];\n"
		      "  reservations = ( { hw-address = \"02:00:00:00:00:01\"; ip-address = \"198.18.0.5\"; } );\n"
		      "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"cams\";\n"
		      "              require-client-classes = [ \"req\" ];\n"
		      "              option-data = ( { name = \"cfg\"; data = \"9\"; } ); } ); } );\n"
		      "shared-networks = ( { name = \"floor\"; interface = \"eth0\";\n"
		      "  option-data = ( { name = \"domain-name\"; data = \"floor.example\"; } );\n"
		      "  subnet4 = ( { id = 2; subnet = \"198.18.1.0/24\";\n"
		      "      reservations = ( { client-id = \"01:02:03\"; ip-address = \"198.18.1.200\"; } );\n"
		      "      pools = ( { pool = \"198.18.1.10 - 198.18.1.19\"; } ); },\n"
		      "    { id = 3; subnet = \"198.18.2.0/24\"; } ); } );\n",
		      path, sizeof(path));
	if (c == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	x = c->policy;
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->n_defs, 1);
	CU_ASSERT_EQUAL(x->n_classes, 2);
	CU_ASSERT_EQUAL(x->precedence, CONF_PREC_ISC_DHCPD);
	CU_ASSERT_EQUAL(x->n_hr_order, 3);
	CU_ASSERT_PTR_NOT_NULL(x->flex_expr);
	CU_ASSERT_EQUAL(x->n_hosts, 3);
	CU_ASSERT_EQUAL(x->n_shared, 1);
	cams = cls_registry_find(x->reg, "cams");
	req = cls_registry_find(x->reg, "req");
	CU_ASSERT(cams >= CLS_ID_FIRST_USER && req >= CLS_ID_FIRST_USER);
	CU_ASSERT_EQUAL_FATAL(c->n_subnets, 3);
	CU_ASSERT_EQUAL(c->subnets[0].shared, -1);
	CU_ASSERT_EQUAL(c->subnets[0].client_class, cams);
	CU_ASSERT_TRUE(cls_set_has(&c->subnets[0].require, (unsigned)req));
	CU_ASSERT_EQUAL(c->subnets[0].pools[0].client_class, cams);
	CU_ASSERT_TRUE(cls_set_has(&c->subnets[0].pools[0].require, (unsigned)req));
	CU_ASSERT_EQUAL(c->subnets[0].pools[0].options.n, 1);
	CU_ASSERT(c->subnets[0].pools[0].options.opts[0].code == 224 &&
		  c->subnets[0].pools[0].options.opts[0].len == 2 &&
		  c->subnets[0].pools[0].options.opts[0].data[1] == 9);
	/* shared network subnets: appended, marked, interface inherited */
	CU_ASSERT_EQUAL(c->subnets[1].id, 2);
	CU_ASSERT_EQUAL(c->subnets[1].shared, 0);
	CU_ASSERT_EQUAL(c->subnets[2].shared, 0);
	CU_ASSERT_EQUAL(c->subnets[2].iface, 0);
	CU_ASSERT_EQUAL(c->subnets[1].client_class, -1);
	CU_ASSERT_EQUAL(c->subnets[1].pools[0].client_class, -1);
	CU_ASSERT_EQUAL(c->subnets[1].valid_lifetime, 7200);
	CU_ASSERT_EQUAL(x->hosts[2].subnet_id, 2);
	CU_ASSERT_EQUAL(x->hosts[2].addr, IP(198, 18, 1, 200));
	conf_free(c);

	/* an expression error names the line and the column */
	expect_err(HEAD "client-classes = (\n { name = \"a\";\n"
		   "   test = \"option[60].hex == 'x' and\"; } #<\n);\n", "client class \"a\": test: col 26:");
	/* subnet ids and prefixes are unique across shared networks too */
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; } );\n"
		   "shared-networks = ( { name = \"n\"; subnet4 = (\n"
		   "  { id = 1; subnet = \"198.18.1.0/24\"; } ); } ); #<\n",
		   "subnet id 1 is already used (line 3)");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; } );\n"
		   "shared-networks = ( { name = \"n\"; subnet4 = (\n"
		   "  { id = 2; subnet = \"198.18.0.0/25\"; } ); } ); #<\n",
		   "overlaps subnet");
	expect_err(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\";\n"
		   "  reservations = ( { hw-address = \"02:00:00:00:00:01\"; ip-address = \"198.18.1.5\"; } ); } ); #<\n",
		   "is not inside subnet 198.18.0.0/24");
	expect_err(HEAD "option-precedence = \"dhcpd\"; #<\n", "option-precedence");
}

int main(void)
{
	static const struct conf_test_case cases[] = {
		{ "example config loads", test_example_conf },
		{ "demo config loads", test_demo_conf },
		{ "defaults", test_defaults },
		{ "timers resolved and derived", test_timers },
		{ "int64 values", test_int64_values },
		{ "options encoded and sorted", test_options },
		{ "@include", test_include },
		{ "errors: file and syntax", test_err_file },
		{ "errors: unknown keys", test_err_unknown_keys },
		{ "errors: types", test_err_types },
		{ "errors: values", test_err_values },
		{ "errors: required", test_err_required },
		{ "errors: addresses", test_err_addresses },
		{ "errors: pools and subnets", test_err_pools_subnets },
		{ "errors: timers", test_err_timers },
		{ "errors: option data", test_err_option_data },
		{ "errors: lease-database", test_err_lease_db },
		{ "lease-database redis", test_redis_db },
		{ "control-socket and http-control", test_control },
		{ "errors: control-socket and http-control", test_err_control },
		{ "classes, reservations, shared networks", test_policy_keys },
		{ "interfaces: address6", test_iface_address6 },
	};

	return conf_test_run("conf", cases, sizeof(cases) / sizeof(cases[0]));
}
