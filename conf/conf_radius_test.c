/* conf_radius_test: the radius block through conf_load(): every key lands
 * in struct conf_radius, Kea's defaults when a key is left out, attribute
 * values encoded through the built-in and a file dictionary, expr compiled
 * for the families that can run it, conf_radius_equal, and every refusal
 * naming its file:line (the line marked "#<" in each case's text).  Run
 * with the working directory conf/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "conf.h"
#include "rad_dict.h"
#include "rad_ident.h"
#define CONF_TEST_LOAD "/tmp/conf_radius_test_XXXXXX"
#include "conf_test_helpers.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define HEAD "dpdk = { lcores = \"0,1\"; };\n"                                                   \
	"interfaces = ( { name = \"eth0\"; device = \"net_null0\"; address = \"198.18.0.1/24\";\n" \
	"                 address6 = \"2001:db8:1::1/64\"; } );\n"
#define RADIUS(body) HEAD "radius = {\n" body "};\n"
#define SRV "  servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } );\n"
#define ACCESS(body) " access = {\n" SRV body " };\n"
/* One access attribute entry (marked or not) in an otherwise valid block. */
#define ATTR_CASE(entry, fragment) \
	expect_err(RADIUS(ACCESS("  attributes = (\n   " entry "\n  );\n")), fragment)

/* ---------------------------------------------------------------------- */

static const struct conf_radius_attr *find_attr(const struct conf_radius_service *svc,
						const char *name)
{
	for (unsigned i = 0; i < svc->n_attrs; i++)
		if (strcmp(svc->attrs[i].name, name) == 0)
			return &svc->attrs[i];
	return NULL;
}

/* Every key written, then read back. */
static void test_values(void)
{
	struct conf *c = load_ok(HEAD
		"lease-database = { type = \"memfile\"; name = \"/tmp/pg-radius/leases4.csv\"; };\n"
		"radius = {\n"
		"  identifier-type4 = \"hw-address\";\n"
		"  identifier-type6 = \"hw-address\";\n"
		"  canonical-mac-address = true; extract-duid = false;\n"
		"  client-id-printable = true; client-id-pop0 = true; require-message-authenticator = true;\n"
		"  realm = \"example.org\"; bindaddr = \"127.0.0.1\";\n"
		"  nas-ip-address = \"198.18.0.1\";\n"
		"  timeout = 0.2; retries = 5; deadtime = 30; thread-pool-size = 2;\n"
		"  reselect-subnet-pool = true; reselect-subnet-address = true;\n"
		"  on-unreachable = \"serve\";\n"
		"  cache-ttl = 600; reject-ttl = 60; cache-max = 1000;\n"
		"  accounting-queue = \"/var/spool/pg/acct.q\"; accounting-queue-max = 5000;\n"
		"  access = {\n"
		"    servers = ( { name = \"127.0.0.1\"; port = 21812; secret = \"one\"; },\n"
		"                { name = \"::1\"; secret = \"two\"; } );\n"
		"    attributes = (\n"
		"      { name = \"NAS-Identifier\"; data = \"peregrine-1\"; },\n"
		"      { name = \"service-type\"; data = \"Framed-User\"; },\n"
		"      { name = \"Framed-IPv6-Prefix\"; data = \"2001:db8:5::/48\"; },\n"
		"      { type = 26; raw = \"00:00:00:09:01:03:61\"; },\n"
		"      { type = 250; raw = \"0a0b\"; },\n"
		"      { name = \"Connect-Info\"; expr = \"option[1].hex\"; }\n"
		"    );\n"
		"  };\n"
		"  accounting = {\n"
		"    servers = ( { name = \"198.18.9.9\"; secret = \"three\"; } );\n"
		"    peer-updates = false;\n"
		"  };\n"
		"};\n");
	const struct conf_radius *r;
	const struct conf_radius_attr *a;
	static const uint8_t vsa[] = { 0, 0, 0, 9, 1, 3, 'a' };
	static const uint8_t pfx[18] = { 0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 5 };

	if (c == NULL)
		return;
	r = c->radius;
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->line, 5);
	CU_ASSERT_STRING_EQUAL(r->dictionary, "");
	CU_ASSERT_PTR_NOT_NULL(r->dict);
	CU_ASSERT_EQUAL(r->identifier_type4, RAD_ID_HW_ADDRESS);
	CU_ASSERT_EQUAL(r->identifier_type6, RAD_ID_HW_ADDRESS);
	CU_ASSERT_TRUE(r->canonical_mac_address);
	CU_ASSERT_FALSE(r->extract_duid);
	CU_ASSERT_TRUE(r->client_id_printable);
	CU_ASSERT_TRUE(r->client_id_pop0);
	CU_ASSERT_TRUE(r->require_message_authenticator);
	CU_ASSERT_STRING_EQUAL(r->realm, "example.org");
	CU_ASSERT_STRING_EQUAL(r->bindaddr, "127.0.0.1");
	CU_ASSERT_EQUAL(r->nas_ip_address, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(r->timeout_ms, 200);
	CU_ASSERT_EQUAL(r->retries, 5);
	CU_ASSERT_EQUAL(r->deadtime, 30);
	CU_ASSERT_EQUAL(r->thread_pool_size, 2);
	CU_ASSERT_TRUE(r->reselect_subnet_pool);
	CU_ASSERT_TRUE(r->reselect_subnet_address);
	CU_ASSERT_EQUAL(r->on_unreachable, CONF_RADIUS_SERVE);
	CU_ASSERT_EQUAL(r->cache_ttl, 600);
	CU_ASSERT_EQUAL(r->reject_ttl, 60);
	CU_ASSERT_EQUAL(r->cache_max, 1000);
	CU_ASSERT_STRING_EQUAL(r->accounting_queue, "/var/spool/pg/acct.q");
	CU_ASSERT_EQUAL(r->accounting_queue_max, 5000);

	/* servers: file order, ports defaulted per service */
	CU_ASSERT_TRUE(r->access.enabled);
	CU_ASSERT_EQUAL(r->access.line, 17);
	CU_ASSERT_EQUAL_FATAL(r->access.n_servers, 2);
	CU_ASSERT_STRING_EQUAL(r->access.servers[0].name, "127.0.0.1");
	CU_ASSERT_FALSE(r->access.servers[0].v6);
	CU_ASSERT_EQUAL(r->access.servers[0].addr4, IP(127, 0, 0, 1));
	CU_ASSERT_EQUAL(r->access.servers[0].port, 21812);
	CU_ASSERT_STRING_EQUAL(r->access.servers[0].secret, "one");
	CU_ASSERT_EQUAL(r->access.servers[0].line, 18);
	CU_ASSERT_TRUE(r->access.servers[1].v6);
	CU_ASSERT_EQUAL(r->access.servers[1].addr6.lo, 1);
	CU_ASSERT_EQUAL(r->access.servers[1].addr6.hi, 0);
	CU_ASSERT_EQUAL(r->access.servers[1].port, 1812);
	CU_ASSERT_STRING_EQUAL(r->access.servers[1].secret, "two");
	CU_ASSERT_TRUE(r->accounting.enabled);
	CU_ASSERT_EQUAL_FATAL(r->accounting.n_servers, 1);
	CU_ASSERT_EQUAL(r->accounting.servers[0].addr4, IP(198, 18, 9, 9));
	CU_ASSERT_EQUAL(r->accounting.servers[0].port, 1813);
	CU_ASSERT_EQUAL(r->accounting.n_attrs, 0);
	CU_ASSERT_FALSE(r->peer_updates);

	/* attributes: resolved and encoded at load */
	CU_ASSERT_EQUAL_FATAL(r->access.n_attrs, 6);
	a = &r->access.attrs[0];
	CU_ASSERT_STRING_EQUAL(a->name, "NAS-Identifier");
	CU_ASSERT_EQUAL(a->type, 32);
	CU_ASSERT_EQUAL(a->vendor, 0);
	CU_ASSERT_EQUAL(a->dtype, RAD_DT_STRING);
	CU_ASSERT_EQUAL(a->len, 11);
	CU_ASSERT_EQUAL(memcmp(a->data, "peregrine-1", 11), 0);
	CU_ASSERT_PTR_NULL(a->expr4);
	CU_ASSERT_PTR_NULL(a->expr_text);
	CU_ASSERT_EQUAL(a->line, 21);
	a = &r->access.attrs[1];
	CU_ASSERT_STRING_EQUAL(a->name, "Service-Type");     /* the dictionary's spelling */
	CU_ASSERT_EQUAL(a->type, 6);
	CU_ASSERT_EQUAL(a->len, 4);
	CU_ASSERT_EQUAL(a->data[3], 2);                       /* Framed-User */
	a = &r->access.attrs[2];
	CU_ASSERT_EQUAL(a->dtype, RAD_DT_IPV6PREFIX);
	CU_ASSERT_EQUAL(a->len, 18);
	CU_ASSERT_EQUAL(memcmp(a->data, pfx, 18), 0);
	a = &r->access.attrs[3];
	CU_ASSERT_STRING_EQUAL(a->name, "Vendor-Specific");  /* Kea's type + raw */
	CU_ASSERT_EQUAL(a->type, 26);
	CU_ASSERT_EQUAL(a->len, sizeof(vsa));
	CU_ASSERT_EQUAL(memcmp(a->data, vsa, sizeof(vsa)), 0);
	a = &r->access.attrs[4];
	CU_ASSERT_STRING_EQUAL(a->name, "Attr-250");         /* a number no dictionary names */
	CU_ASSERT_EQUAL(a->type, 250);
	CU_ASSERT_EQUAL(a->dtype, RAD_DT_OCTETS);
	CU_ASSERT_EQUAL(a->len, 2);
	CU_ASSERT_EQUAL(a->data[1], 0x0b);
	/* expr: no dhcp6 block, so DHCPv4 only */
	a = &r->access.attrs[5];
	CU_ASSERT_STRING_EQUAL(a->name, "Connect-Info");
	CU_ASSERT_PTR_NOT_NULL(a->expr4);
	CU_ASSERT_PTR_NULL(a->expr6);
	CU_ASSERT_STRING_EQUAL(a->expr_text, "option[1].hex");
	CU_ASSERT_EQUAL(a->len, 0);
	conf_free(c);
}

/* radius = { }: Kea's defaults. */
static void test_defaults(void)
{
	struct conf *c = load_ok(HEAD "radius = { };\n");
	const struct conf_radius *r;

	if (c == NULL)
		return;
	r = c->radius;
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FALSE(r->access.enabled);
	CU_ASSERT_FALSE(r->accounting.enabled);
	CU_ASSERT_EQUAL(r->access.n_servers + r->accounting.n_servers, 0);
	CU_ASSERT_STRING_EQUAL(r->dictionary, "");
	CU_ASSERT_PTR_NOT_NULL(rad_dict_by_name(r->dict, "Framed-Pool"));
	CU_ASSERT_EQUAL(r->identifier_type4, RAD_ID_CLIENT_ID);
	CU_ASSERT_EQUAL(r->identifier_type6, RAD_ID_DUID);
	CU_ASSERT_FALSE(r->canonical_mac_address);
	CU_ASSERT_TRUE(r->extract_duid);
	CU_ASSERT_FALSE(r->client_id_printable);
	CU_ASSERT_FALSE(r->client_id_pop0);
	CU_ASSERT_FALSE(r->require_message_authenticator);
	CU_ASSERT_STRING_EQUAL(r->realm, "");
	CU_ASSERT_STRING_EQUAL(r->bindaddr, "*");
	CU_ASSERT_EQUAL(r->nas_ip_address, 0);
	CU_ASSERT_EQUAL(r->timeout_ms, 10000);
	CU_ASSERT_EQUAL(r->retries, 3);
	CU_ASSERT_EQUAL(r->deadtime, 0);
	CU_ASSERT_EQUAL(r->thread_pool_size, 0);
	CU_ASSERT_FALSE(r->reselect_subnet_pool);
	CU_ASSERT_FALSE(r->reselect_subnet_address);
	CU_ASSERT_EQUAL(r->on_unreachable, CONF_RADIUS_DENY);
	CU_ASSERT_EQUAL(r->cache_ttl, 300);
	CU_ASSERT_EQUAL(r->reject_ttl, 300);
	CU_ASSERT_EQUAL(r->cache_max, 65536);
	/* no memfile: the data directory */
	CU_ASSERT_STRING_EQUAL(r->accounting_queue, "/var/lib/peregrine/radius-acct.queue");
	CU_ASSERT_EQUAL(r->accounting_queue_max, 1000000);
	CU_ASSERT_TRUE(r->peer_updates);
	conf_free(c);

	/* no radius block: none */
	c = load_ok(HEAD);
	if (c)
		CU_ASSERT_PTR_NULL(c->radius);
	conf_free(c);

	/* reject-ttl follows cache-ttl; the queue sits beside the v4 lease
	 * file; a whole-number timeout */
	c = load_ok(HEAD "lease-database = { type = \"memfile\"; name = \"/srv/dhcp/leases4.csv\"; };\n"
		    "radius = { cache-ttl = 0; timeout = 3; };\n");
	if (c) {
		CU_ASSERT_EQUAL(c->radius->cache_ttl, 0);
		CU_ASSERT_EQUAL(c->radius->reject_ttl, 0);
		CU_ASSERT_EQUAL(c->radius->timeout_ms, 3000);
		CU_ASSERT_STRING_EQUAL(c->radius->accounting_queue, "/srv/dhcp/radius-acct.queue");
	}
	conf_free(c);
	c = load_ok(HEAD "lease-database = { type = \"memfile\"; name = \"leases4.csv\"; };\n"
		    "radius = { cache-ttl = 120; };\n");
	if (c) {
		CU_ASSERT_EQUAL(c->radius->reject_ttl, 120);
		CU_ASSERT_STRING_EQUAL(c->radius->accounting_queue, "radius-acct.queue");
	}
	conf_free(c);
}

/* expr compiled for each family whose tokens it uses. */
static void test_expr(void)
{
	struct conf *c = load_ok(HEAD
		"client-classes = ( { name = \"gold\"; test = \"option[60].text == 'gold'\"; } );\n"
		"dhcp6 = { };\n"
		"radius = {\n"
		" access = {\n" SRV
		"  attributes = (\n"
		"   { name = \"Connect-Info\"; expr = \"option[1].hex\"; },\n"
		"   { name = \"NAS-Port-Id\"; expr = \"relay4[1].hex\"; },\n"
		"   { name = \"Framed-Pool\"; expr = \"ifelse(member('gold'), 'gold', 'std')\"; },\n"
		"   { name = \"Called-Station-Id\"; expr = \"relay6[0].peeraddr\"; }\n"
		"  );\n"
		" };\n"
		" accounting = {\n"
		"  servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } );\n"
		"  attributes = ( { name = \"Class\"; data = \"acct\"; } );\n"
		" };\n"
		"};\n");
	const struct conf_radius *r;
	const struct conf_radius_attr *a;

	if (c == NULL)
		return;
	r = c->radius;
	a = find_attr(&r->access, "Connect-Info");
	CU_ASSERT(a && a->expr4 && a->expr6);
	CU_ASSERT(a && cls_prog_universe(a->expr4) == CLS_V4 && cls_prog_universe(a->expr6) == CLS_V6);
	a = find_attr(&r->access, "NAS-Port-Id");
	CU_ASSERT(a && a->expr4 && a->expr6 == NULL);
	a = find_attr(&r->access, "Framed-Pool");            /* member() of a v4 class: v4 only */
	CU_ASSERT(a && a->expr4 && a->expr6 == NULL);
	a = find_attr(&r->access, "Called-Station-Id");
	CU_ASSERT(a && a->expr4 == NULL && a->expr6);
	a = find_attr(&r->accounting, "Class");
	CU_ASSERT(a && a->expr4 == NULL && a->expr_text == NULL && a->len == 4);
	conf_free(c);
}

/* A vendor attribute by its name from a dictionary file. */
static void test_dictionary(void)
{
	char dict[600], text[2048];
	struct conf *c;
	const struct conf_radius_attr *a;
	FILE *f;

	snprintf(dict, sizeof(dict), "%s/dictionary.acme", tmpdir);
	f = fopen(dict, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("VENDOR Acme 4242\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Level 2 integer\n"
	      "VALUE Acme-Level Gold 3\nATTRIBUTE Acme-Group 1 string\nEND-VENDOR Acme\n", f);
	fclose(f);
	snprintf(text, sizeof(text), RADIUS(" dictionary = \"%s\";\n" ACCESS(
		"  attributes = ( { name = \"Acme-Level\"; data = \"Gold\"; },\n"
		"                 { name = \"acme-group\"; data = \"staff\"; } );\n")), dict);
	c = load_ok(text);
	if (c) {
		CU_ASSERT_STRING_EQUAL(c->radius->dictionary, dict);
		a = &c->radius->access.attrs[0];
		CU_ASSERT_STRING_EQUAL(a->name, "Acme-Level");
		CU_ASSERT_EQUAL(a->vendor, 4242);
		CU_ASSERT_EQUAL(a->type, 2);
		CU_ASSERT_EQUAL(a->dtype, RAD_DT_INTEGER);
		CU_ASSERT_EQUAL(a->len, 4);
		CU_ASSERT_EQUAL(a->data[3], 3);
		a = &c->radius->access.attrs[1];
		CU_ASSERT_STRING_EQUAL(a->name, "Acme-Group");
		CU_ASSERT_EQUAL(a->vendor, 4242);
		/* the standard attributes are still there */
		CU_ASSERT_PTR_NOT_NULL(rad_dict_by_name(c->radius->dict, "Framed-IP-Address"));
	}
	conf_free(c);

	/* without the dictionary the name is unknown */
	ATTR_CASE("{ name = \"Acme-Level\"; data = \"Gold\"; } #<", "unknown RADIUS attribute "
		  "\"Acme-Level\" (not a standard one");
	/* with it, a value the attribute does not have */
	snprintf(text, sizeof(text), RADIUS(" dictionary = \"%s\";\n" ACCESS(
		"  attributes = ( { name = \"Acme-Level\"; data = \"Platinum\"; } ); #<\n")), dict);
	expect_err(text, "'data' \"Platinum\" is not a valid integer value");
	snprintf(text, sizeof(text), RADIUS(" dictionary = \"%s\";\n" ACCESS(
		"  attributes = ( { name = \"Acme-Levels\"; data = \"1\"; } ); #<\n")), dict);
	expect_err(text, "neither standard nor in dictionary");

	/* a dictionary that does not load: its own file:line after the config's */
	f = fopen(dict, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("VENDOR Acme 4242\n\nATTRIBUTE Acme-Level 2 integr\n", f);
	fclose(f);
	snprintf(text, sizeof(text), RADIUS(" dictionary = \"%s\"; #<\n"), dict);
	snprintf(dict + strlen(dict), sizeof(dict) - strlen(dict), ":3: attribute Acme-Level: "
		 "unknown type \"integr\"");
	expect_err(text, dict);
	dict[strlen(dict) - strlen(":3: attribute Acme-Level: unknown type \"integr\"")] = '\0';
	unlink(dict);
	expect_err(RADIUS(" dictionary = \"/nonexistent/dictionary\"; #<\n"),
		   "'dictionary': /nonexistent/dictionary: cannot open");
}

static void test_refusals(void)
{
	/* the block and its keys */
	expect_err(HEAD "radius = ( ); #<\n", "'radius' must be a group");
	expect_err(RADIUS(" colour = \"blue\"; #<\n"), "unknown key 'colour' in radius");
	expect_err(RADIUS(" identifier-type4 = \"circuit-id\"; #<\n"), "\"circuit-id\" is not supported");
	expect_err(RADIUS(" identifier-type4 = \"mac\"; #<\n"), "must be one of \"hw-address\", "
		   "\"client-id\", \"duid\", \"flex-id\", not \"mac\"");
	expect_err(RADIUS(" identifier-type6 = \"client-id\"; #<\n"), "'identifier-type6' must be one of "
		   "\"hw-address\", \"duid\", \"flex-id\"");
	expect_err(RADIUS(" identifier-type4 = \"flex-id\"; #<\n"), "needs the top-level "
		   "'flex-id-expression'");
	expect_err(HEAD "dhcp6 = { };\n" "radius = {\n identifier-type6 = \"flex-id\"; #<\n};\n",
		   "needs dhcp6's 'flex-id-expression'");
	expect_err(RADIUS(" timeout = 0; #<\n"), "'timeout' must be between 0.001 and 3600");
	expect_err(RADIUS(" timeout = 0.0001; #<\n"), "'timeout' must be between");
	expect_err(RADIUS(" timeout = -1.5; #<\n"), "'timeout' must be between");
	expect_err(RADIUS(" timeout = \"10\"; #<\n"), "'timeout' must be a number of seconds");
	expect_err(RADIUS(" retries = 0; #<\n"), "'retries' must be between 1 and");
	expect_err(RADIUS(" cache-max = 0; #<\n"), "'cache-max' must be between 1");
	expect_err(RADIUS(" accounting-queue-max = 0; #<\n"), "'accounting-queue-max' must be between 1");
	expect_err(RADIUS(" on-unreachable = \"drop\"; #<\n"), "'on-unreachable' must be one of "
		   "\"deny\", \"serve\"");
	expect_err(RADIUS(" bindaddr = \"radius.example\"; #<\n"), "'bindaddr' \"radius.example\" is "
		   "neither");
	expect_err(RADIUS(" nas-ip-address = \"2001:db8::1\"; #<\n"), "'nas-ip-address'");
	expect_err(RADIUS(" dictionary = \"\"; #<\n"), "'dictionary' must not be empty");

	/* services and servers */
	expect_err(RADIUS(" access = { attributes = ( ); }; #<\n"), "missing required key 'servers' "
		   "in a radius service");
	expect_err(RADIUS(" accounting = { }; #<\n"), "missing required key 'servers'");
	/* accounting records come from lease changes: no packet for an expr */
	expect_err(RADIUS(" accounting = {\n" SRV "  attributes = (\n"
			  "   { name = \"Class\"; expr = \"pkt4.mac\"; } #<\n  );\n };\n"),
		   "accounting attribute Class: 'expr' cannot be used in accounting");
	expect_err(RADIUS(ACCESS("  peer-updates = false; #<\n")), "'peer-updates' is an accounting "
		   "key, not an access one");
	expect_err(RADIUS(" accounting = {\n" SRV "  peer-updates = 1; #<\n };\n"),
		   "'peer-updates' must be true or false");
	expect_err(RADIUS(" access = \"127.0.0.1\"; #<\n"), "'access' must be a group");
	expect_err(RADIUS(" access = { servers = ( ); }; #<\n"), "'access' 'servers' is empty");
	expect_err(RADIUS(" access = { servers = ( { name = \"radius.example.org\"; secret = \"s\"; } ); }; #<\n"),
		   "\"radius.example.org\" is not an IPv4 or IPv6 address (host names are not resolved");
	expect_err(RADIUS(" access = { servers = ( { name = \"127.0.0.1\"; secret = \"\"; } ); }; #<\n"),
		   "server 'secret' must not be empty");
	expect_err(RADIUS(" access = { servers = ( { name = \"127.0.0.1\"; } ); }; #<\n"),
		   "missing required key 'secret'");
	expect_err(RADIUS(" access = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; port = 0; } ); }; #<\n"),
		   "'port' must be between 1 and 65535");
	expect_err(RADIUS(" accounting = { servers = (\n  { name = \"127.0.0.1\"; secret = \"a\"; },\n"
			  "  { name = \"127.0.0.1\"; port = 1813; secret = \"b\"; } #<\n ); };\n"),
		   "accounting server 127.0.0.1 port 1813 is already listed (line 6)");
	expect_err(RADIUS(" access = { servers = (\n"
			  "  { name = \"127.0.0.1\"; secret = \"s\"; }, { name = \"127.0.0.2\"; secret = \"s\"; },\n"
			  "  { name = \"127.0.0.3\"; secret = \"s\"; }, { name = \"127.0.0.4\"; secret = \"s\"; },\n"
			  "  { name = \"127.0.0.5\"; secret = \"s\"; }, { name = \"127.0.0.6\"; secret = \"s\"; },\n"
			  "  { name = \"127.0.0.7\"; secret = \"s\"; }, { name = \"127.0.0.8\"; secret = \"s\"; },\n"
			  "  { name = \"127.0.0.9\"; secret = \"s\"; } #<\n ); };\n"),
		   "at most 8 access servers");
	expect_err(RADIUS(" access = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } ); timeout = 1; }; #<\n"),
		   "unknown key 'timeout' in a radius service");

	/* attributes */
	ATTR_CASE("{ name = \"Framed-IP-Adress\"; data = \"198.18.0.5\"; } #<",
		  "unknown RADIUS attribute \"Framed-IP-Adress\"");
	ATTR_CASE("{ name = \"Framed-IP-Address\"; data = \"198.18.0.256\"; } #<",
		  "attribute Framed-IP-Address: 'data' \"198.18.0.256\" is not a valid ipaddr value");
	ATTR_CASE("{ name = \"Session-Timeout\"; data = \"soon\"; } #<",
		  "'data' \"soon\" is not a valid integer value");
	ATTR_CASE("{ name = \"Delegated-IPv6-Prefix\"; data = \"2001:db8::/200\"; } #<",
		  "is not a valid ipv6prefix value");
	ATTR_CASE("{ name = \"User-Name\"; data = \"\"; } #<", "is not a valid string value");
	ATTR_CASE("{ name = \"Class\"; data = \"x\"; expr = \"'y'\"; } #<",
		  "attribute Class: 'data' and 'expr' together");
	ATTR_CASE("{ name = \"Class\"; expr = \"'y'\"; raw = \"00\"; } #<", "'expr' and 'raw' together");
	ATTR_CASE("{ name = \"Class\"; } #<", "attribute Class needs 'data', 'expr' or 'raw'");
	ATTR_CASE("{ data = \"x\"; } #<", "an attribute needs 'name'");
	ATTR_CASE("{ name = \"Class\"; type = 25; raw = \"00\"; } #<", "by 'name' or by 'type', not both");
	ATTR_CASE("{ type = 256; raw = \"00\"; } #<", "'type' must be between 1 and 255");
	ATTR_CASE("{ type = 25; raw = \"0g\"; } #<", "'raw' \"0g\" is not 1 to 253 octets in hex");
	ATTR_CASE("{ type = 25; raw = \"\"; } #<", "is not 1 to 253 octets");
	ATTR_CASE("{ type = 8; raw = \"0a0b\"; } #<", "'raw' \"0a0b\" has the wrong length for ipaddr");
	ATTR_CASE("{ name = \"Class\"; expr = \"substring(option[61].hex, 0\"; } #<",
		  "'expr' of attribute Class: ");
	ATTR_CASE("{ name = \"Class\"; expr = \"option[61].exists\"; } #<", "'expr' of attribute Class: ");
	ATTR_CASE("{ name = \"Class\"; colour = 1; } #<", "unknown key 'colour' in a radius attributes entry");
	expect_err(RADIUS(ACCESS("  attributes = { name = \"Class\"; data = \"x\"; }; #<\n")),
		   "'attributes' must be a list");
	/* with a dhcp6 block, both families' reasons */
	expect_err(HEAD "dhcp6 = { };\nradius = {\n" ACCESS("  attributes = ( { name = \"Class\"; "
							   "expr = \"pkt4.mac == 1\"; } ); #<\n") "};\n",
		   "DHCPv4: ");
	{
		char text[8192] = HEAD "radius = {\n access = {\n" SRV "  attributes = (\n";
		size_t n;

		for (int i = 0; i < CONF_RADIUS_ATTRS_MAX; i++) {
			n = strlen(text);
			snprintf(text + n, sizeof(text) - n, "   { name = \"Class\"; data = \"%d\"; },\n", i);
		}
		n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "   { name = \"Class\"; data = \"x\"; } #<\n  );\n };\n};\n");
		expect_err(text, "at most 32 access attributes");
	}
}

/* Same settings compare equal whatever the lines; each change shows. */
static void test_equal(void)
{
	static const char *const variants[] = {
		" timeout = 2;\n",
		" retries = 4;\n",
		" on-unreachable = \"serve\";\n",
		" canonical-mac-address = true;\n",
		" realm = \"x\";\n",
		" reject-ttl = 5;\n",
		" accounting-queue = \"/tmp/q\";\n",
		" access = { servers = ( { name = \"127.0.0.1\"; secret = \"other\"; } );\n"
		"   attributes = ( { name = \"Class\"; data = \"a\"; } ); };\n",
		" access = { servers = ( { name = \"127.0.0.1\"; port = 1645; secret = \"s\"; } );\n"
		"   attributes = ( { name = \"Class\"; data = \"a\"; } ); };\n",
		" access = { servers = ( { name = \"::1\"; secret = \"s\"; } );\n"
		"   attributes = ( { name = \"Class\"; data = \"a\"; } ); };\n",
		" access = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } );\n"
		"   attributes = ( { name = \"Class\"; data = \"b\"; } ); };\n",
		" access = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } );\n"
		"   attributes = ( { name = \"Class\"; expr = \"'a'\"; } ); };\n",
		" accounting = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } ); };\n",
		" accounting = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } );\n"
		"   peer-updates = false; };\n",
	};
	const char *base = RADIUS(" timeout = 1;\n access = { servers = ( { name = \"127.0.0.1\"; "
				  "secret = \"s\"; } ); attributes = ( { name = \"Class\"; data = "
				  "\"a\"; } ); };\n");
	char moved[2048];
	struct conf *a = load_ok(base), *b;

	if (a == NULL)
		return;
	CU_ASSERT_TRUE(conf_radius_equal(a->radius, a->radius));
	CU_ASSERT_FALSE(conf_radius_equal(a->radius, NULL));
	CU_ASSERT_TRUE(conf_radius_equal(NULL, NULL));
	/* the same block two lines further down */
	snprintf(moved, sizeof(moved), "\n\n%s", base);
	b = load_ok(moved);
	if (b) {
		CU_ASSERT_NOT_EQUAL(a->radius->line, b->radius->line);
		CU_ASSERT_TRUE(conf_radius_equal(a->radius, b->radius));
	}
	conf_free(b);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		char text[2048];

		/* the variant's key replaces the base's where both have it */
		snprintf(text, sizeof(text), RADIUS("%s%s"),
			 strstr(variants[i], "timeout") ? "" : " timeout = 1;\n", variants[i]);
		if (!strstr(variants[i], "access"))
			snprintf(text + strlen(text) - 3, sizeof(text) - strlen(text) + 3,
				 " access = { servers = ( { name = \"127.0.0.1\"; secret = \"s\"; } ); "
				 "attributes = ( { name = \"Class\"; data = \"a\"; } ); };\n};\n");
		b = load_ok(text);
		if (b == NULL)
			continue;
		CU_ASSERT_FALSE(conf_radius_equal(a->radius, b->radius));
		if (conf_radius_equal(a->radius, b->radius))
			fprintf(stderr, "\nequal despite: %s\n", variants[i]);
		conf_free(b);
	}
	conf_free(a);
}

int main(void)
{
	static const struct conf_test_case cases[] = {
		{ "every key read back", test_values },
		{ "Kea's defaults", test_defaults },
		{ "expr compiled per family", test_expr },
		{ "a dictionary file's vendor attribute", test_dictionary },
		{ "refusals at file:line", test_refusals },
		{ "conf_radius_equal", test_equal },
	};

	return conf_test_run("conf_radius", cases, sizeof(cases) / sizeof(cases[0]));
}
