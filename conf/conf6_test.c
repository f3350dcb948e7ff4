/* conf6_test: the dhcp6 block through conf_load(): defaults, every key
 * with the values it gives (option data byte for byte, encapsulation of
 * ntp-server, vendor-opts and option-def spaces), what subnets inherit
 * from shared networks and the block, and every kind of error with the
 * file:line it must name.  Run with the working directory conf/.
 *
 * Error cases are small configs written to a temporary directory; the
 * line the error must name is marked "#<" in the text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "conf.h"
#define CONF_TEST_LOAD "/tmp/conf6_test_XXXXXX"
#include "conf_test_helpers.h"

/* eth0 has both families, eth1 IPv6 only. */
#define HEAD "dpdk = { lcores = \"0,1\"; };\n"                                                   \
	"interfaces = ( { name = \"eth0\"; device = \"net_null0\"; address = \"198.18.0.1/24\";\n" \
	"                 address6 = \"2001:db8:1::1/64\"; },\n"                                    \
	"               { name = \"eth1\"; device = \"net_null1\"; address6 = \"2001:db8:2::1/64\"; } );\n"
/* A subnet for the cases that need one. */
#define SUBNET1 "subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; } );\n"

/* The address a:b:c:d:e:f:g:h as lease_addr6. */
#define A6(a, b, c, d, e, f, g, h) ((struct lease_addr6){                                     \
	(uint64_t)(a) << 48 | (uint64_t)(b) << 32 | (uint64_t)(c) << 16 | (uint64_t)(d),          \
	(uint64_t)(e) << 48 | (uint64_t)(f) << 32 | (uint64_t)(g) << 16 | (uint64_t)(h) })

static bool a6_eq(struct lease_addr6 a, struct lease_addr6 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

/* Option code of set holds exactly these bytes. */
#define EXPECT_OPT(set, code, ...) do {                                                  \
		static const uint8_t want_[] = { __VA_ARGS__ };                        \
		const struct conf6_option *o_ = conf6_option_find(set, code);          \
		CU_ASSERT_PTR_NOT_NULL_FATAL(o_);                                      \
		CU_ASSERT_EQUAL(o_->len, sizeof(want_));                               \
		if (o_->len == sizeof(want_)) {                                        \
			CU_ASSERT(memcmp(o_->data, want_, sizeof(want_)) == 0);        \
		} else {                                                               \
			fprintf(stderr, "\noption %u: %u bytes, want %zu\n", code,     \
				o_->len, sizeof(want_));                               \
		}                                                                      \
	} while (0)

/* ---------------------------------------------------------------------- */

static void test_defaults(void)
{
	struct conf *c = load_ok(HEAD "dhcp6 = { };\n");
	const struct conf6 *v6;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	v6 = c->v6;
	CU_ASSERT_PTR_NOT_NULL_FATAL(v6);
	CU_ASSERT_EQUAL(v6->line, 5);
	CU_ASSERT_EQUAL(v6->valid_lifetime, 7200);
	CU_ASSERT_EQUAL(v6->preferred_lifetime, 3600);
	CU_ASSERT_EQUAL(v6->renew_timer, 0);
	CU_ASSERT_EQUAL(v6->rebind_timer, 0);
	CU_ASSERT_EQUAL(v6->decline_probation_period, 86400);
	CU_ASSERT_EQUAL(v6->server_id.type, CONF6_DUID_LLT);
	CU_ASSERT_EQUAL(v6->server_id.htype, 1);
	CU_ASSERT_EQUAL(v6->server_id.identifier_len, 0);
	CU_ASSERT_EQUAL(v6->server_id.time, 0);
	CU_ASSERT_EQUAL(v6->server_id.enterprise_id, 2495);
	CU_ASSERT_TRUE(v6->server_id.persist);
	CU_ASSERT_STRING_EQUAL(v6->data_dir, "/var/lib/peregrine");
	CU_ASSERT_STRING_EQUAL(v6->lease_file, "");
	CU_ASSERT_STRING_EQUAL(c->lease_db.name6, "");
	CU_ASSERT_EQUAL(v6->n_hr_order, 2);
	CU_ASSERT_EQUAL(v6->hr_order[0], CONF_HID_HW_ADDRESS);
	CU_ASSERT_EQUAL(v6->hr_order[1], CONF_HID_DUID);
	CU_ASSERT_PTR_NULL(v6->flex_expr);
	CU_ASSERT_PTR_NOT_NULL(v6->reg);
	CU_ASSERT_EQUAL(v6->n_subnets + v6->n_shared + v6->n_hosts + v6->n_classes + v6->n_defs, 0);
	CU_ASSERT_EQUAL(v6->options.n, 0);
	CU_ASSERT_PTR_NULL(conf6_subnet_by_id(v6, 1));
	/* the v4 side is untouched */
	CU_ASSERT_EQUAL(c->n_subnets, 0);
	conf_free(c);

	/* a subnet with nothing of its own */
	c = load_ok(HEAD "dhcp6 = {\n" SUBNET1 "};\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	{
		const struct conf6_subnet *sn = conf6_subnet_by_id(c->v6, 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(sn);
		CU_ASSERT(a6_eq(sn->prefix, A6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0)));
		CU_ASSERT_EQUAL(sn->prefix_len, 64);
		CU_ASSERT_EQUAL(sn->valid_lifetime, 7200);
		CU_ASSERT_EQUAL(sn->preferred_lifetime, 3600);
		CU_ASSERT_EQUAL(sn->renew_timer, 0);
		CU_ASSERT_EQUAL(sn->rebind_timer, 0);
		CU_ASSERT_FALSE(sn->rapid_commit);
		CU_ASSERT_EQUAL(sn->iface, -1);
		CU_ASSERT_EQUAL(sn->shared, -1);
		CU_ASSERT_EQUAL(sn->client_class, -1);
		CU_ASSERT_EQUAL(sn->interface_id_len, 0);
		CU_ASSERT_EQUAL(sn->n_pools + sn->n_pd_pools + sn->n_relay_addrs, 0);
		CU_ASSERT_EQUAL(sn->line, 6);
	}
	conf_free(c);
}

/* Everything at once, as an operator would write it. */
static const char full[] = HEAD
	"lease-database = { type = \"memfile\"; name = \"/tmp/p.leases4\"; durability = \"write-behind\"; };\n"
	"dhcp6 = {\n"
	"  valid-lifetime = 4000; preferred-lifetime = 3000; renew-timer = 1000; rebind-timer = 2000;\n"
	"  decline-probation-period = 600;\n"
	"  data-directory = \"/tmp/p6\";\n"
	"  server-id = { type = \"EN\"; identifier = \"0a:0b:0c\"; enterprise-id = 4491; persist = false; };\n"
	"  lease-database = { type = \"memfile\"; name = \"/tmp/p.leases6\"; };\n"
	"  option-def = (\n"
	"    { name = \"tftp-servers\"; code = 32; type = \"ipv6-address\"; array = true; space = \"vendor-4491\"; },\n"
	"    { name = \"my-rec\"; code = 65000; type = \"record\"; record-types = \"uint8, boolean, ipv6-prefix\"; },\n"
	"    { name = \"box\"; code = 65001; type = \"empty\"; encapsulate = \"box-space\"; },\n"
	"    { name = \"box-url\"; code = 1; type = \"string\"; space = \"box-space\"; } );\n"
	"  client-classes = (\n"
	"    { name = \"lab\"; test = \"pkt.iface == 'eth1'\";\n"
	"      option-data = ( { name = \"preference\"; data = \"255\"; } ); },\n"
	"    { name = \"vip\"; },\n"
	"    { name = \"late\"; test = \"member('KNOWN')\"; only-if-required = true; } );\n"
	"  host-reservation-identifiers = [ \"duid\", \"hw-address\", \"flex-id\" ];\n"
	"  flex-id-expression = \"substring(pkt.iface, 0, 3)\";\n"
	"  option-data = (\n"
	"    { name = \"dns-servers\"; data = \"2001:db8::53, 2001:db8::54\"; always-send = true; },\n"
	"    { name = \"domain-search\"; data = \"example.org\"; },\n"
	"    { name = \"ntp-server\"; },\n"
	"    { name = \"ntp-server-address\"; space = \"v6-ntp-server-suboptions\"; data = \"2001:db8::123\"; },\n"
	"    { name = \"ntp-server-fqdn\"; space = \"v6-ntp-server-suboptions\"; data = \"ntp.example.org\"; },\n"
	"    { name = \"vendor-opts\"; data = \"4491\"; },\n"
	"    { name = \"tftp-servers\"; space = \"vendor-4491\"; data = \"2001:db8::69\"; },\n"
	"    { name = \"information-refresh-time\"; data = \"3600\"; },\n"
	"    { name = \"my-rec\"; data = \"1, true, 2001:db8::/32\"; },\n"
	"    { name = \"box\"; },\n"
	"    { name = \"box-url\"; space = \"box-space\"; data = \"http://x\"; } );\n"
	"  subnet6 = (\n"
	"    { id = 1; subnet = \"2001:db8:1::/64\"; interface = \"eth0\"; rapid-commit = true;\n"
	"      valid-lifetime = 8000; preferred-lifetime = 5000;\n"
	"      client-class = \"vip\"; require-client-classes = [ \"late\" ];\n"
	"      pools = ( { pool = \"2001:db8:1::100 - 2001:db8:1::1ff\"; },\n"
	"                { pool = \"2001:db8:1:0:1::/80\"; client-class = \"lab\";\n"
	"                  option-data = ( { name = \"sntp-servers\"; data = \"2001:db8::1\"; } ); } );\n"
	"      pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56;\n"
	"                     excluded-prefix = \"2001:db8:8:0:ff00::\"; excluded-prefix-len = 72;\n"
	"                     require-client-classes = [ \"late\" ]; } );\n"
	"      reservations = (\n"
	"        { duid = \"00:01:00:01:aa:bb:cc:dd\"; ip-addresses = [ \"2001:db8:1::5\", \"2001:db8:1::ffff:5\" ];\n"
	"          prefixes = [ \"2001:db8:8:100::/56\" ]; hostname = \"host5\"; client-classes = [ \"vip\" ];\n"
	"          option-data = ( { name = \"bootfile-url\"; data = \"http://boot/x.efi\"; } ); },\n"
	"        { hw-address = \"02:00:00:00:00:07\"; prefixes = [ \"2001:db8:1:0:8000::/80\" ]; } ); },\n"
	"    { id = 2; subnet = \"2001:db8:100::/48\"; interface-id = \"port-7\";\n"
	"      relay = { ip-addresses = [ \"2001:db8:100::1\" ]; };\n"
	"      pools = ( { pool = \"2001:db8:100::/64\"; } ); } );\n"
	"  shared-networks = (\n"
	"    { name = \"floor\"; interface = \"eth1\"; rapid-commit = true; valid-lifetime = 6000;\n"
	"      relay = { ip-addresses = [ \"2001:db8:2::fe\" ]; };\n"
	"      option-data = ( { name = \"domain-search\"; data = \"floor.example\"; } );\n"
	"      subnet6 = ( { id = 10; subnet = \"2001:db8:2::/64\"; pools = ( { pool = \"2001:db8:2::/96\"; } ); },\n"
	"                  { id = 11; subnet = \"2001:db8:3::/64\"; rapid-commit = false; renew-timer = 100; } ); } );\n"
	"  reservations = ( { flex-id = \"'eth'\"; hostname = \"anywhere\"; } );\n"
	"};\n";

static void test_full(void)
{
	struct conf *c = load_ok(full);
	const struct conf6 *v6;
	const struct conf6_subnet *s1, *s2, *s10, *s11;
	int lab, vip, late;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	v6 = c->v6;
	CU_ASSERT_PTR_NOT_NULL_FATAL(v6);
	CU_ASSERT_EQUAL(v6->valid_lifetime, 4000);
	CU_ASSERT_EQUAL(v6->preferred_lifetime, 3000);
	CU_ASSERT_EQUAL(v6->renew_timer, 1000);
	CU_ASSERT_EQUAL(v6->rebind_timer, 2000);
	CU_ASSERT_EQUAL(v6->decline_probation_period, 600);
	CU_ASSERT_STRING_EQUAL(v6->data_dir, "/tmp/p6");
	CU_ASSERT_EQUAL(v6->server_id.type, CONF6_DUID_EN);
	CU_ASSERT_EQUAL(v6->server_id.enterprise_id, 4491);
	CU_ASSERT_EQUAL(v6->server_id.identifier_len, 3);
	CU_ASSERT(memcmp(v6->server_id.identifier, "\x0a\x0b\x0c", 3) == 0);
	CU_ASSERT_FALSE(v6->server_id.persist);
	CU_ASSERT_STRING_EQUAL(v6->lease_file, "/tmp/p.leases6");
	CU_ASSERT_STRING_EQUAL(c->lease_db.name6, "/tmp/p.leases6");
	CU_ASSERT_STRING_EQUAL(c->lease_db.name, "/tmp/p.leases4");
	CU_ASSERT_EQUAL(c->lease_db.durability, CONF_DUR_WRITE_BEHIND);

	/* definitions */
	CU_ASSERT_EQUAL_FATAL(v6->n_defs, 4);
	CU_ASSERT_STRING_EQUAL(v6->defs[0].space, "vendor-4491");
	CU_ASSERT_EQUAL(v6->defs[0].def.type, DHCP6_OT_IPV6);
	CU_ASSERT_TRUE(v6->defs[0].def.array);
	CU_ASSERT_EQUAL(v6->defs[1].type, DHCP6_OT_RECORD);
	CU_ASSERT_EQUAL(v6->defs[1].fields[2], DHCP6_OT_IPV6_PREFIX);
	CU_ASSERT_EQUAL(v6->defs[1].fields[3], -1);
	CU_ASSERT_STRING_EQUAL(v6->defs[2].encapsulate, "box-space");

	/* classes: the block's own registry */
	CU_ASSERT_EQUAL(v6->n_classes, 3);
	lab = cls_registry_find(v6->reg, "lab");
	vip = cls_registry_find(v6->reg, "vip");
	late = cls_registry_find(v6->reg, "late");
	CU_ASSERT(lab >= CLS_ID_FIRST_USER && vip >= CLS_ID_FIRST_USER && late >= CLS_ID_FIRST_USER);
	CU_ASSERT_EQUAL(cls_registry_find(c->policy->reg, "lab"), -ENOENT);
	CU_ASSERT_EQUAL(v6->class_idx[lab], 0);
	CU_ASSERT_TRUE(v6->classes[2].only_if_required);
	EXPECT_OPT(&v6->classes[0].options, 7, 0xff);
	CU_ASSERT_EQUAL(v6->n_hr_order, 3);
	CU_ASSERT_EQUAL(v6->hr_order[0], CONF_HID_DUID);
	CU_ASSERT_EQUAL(v6->hr_order[2], CONF_HID_FLEX_ID);
	CU_ASSERT_PTR_NOT_NULL(v6->flex_expr);

	/* global options, sorted, encapsulations built */
	CU_ASSERT_EQUAL_FATAL(v6->options.n, 7);
	for (unsigned i = 1; i < v6->options.n; i++)
		CU_ASSERT(v6->options.opts[i - 1].code < v6->options.opts[i].code);
	EXPECT_OPT(&v6->options, 23,
		   0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
		   0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54);
	CU_ASSERT_TRUE(conf6_option_find(&v6->options, 23)->always_send);
	CU_ASSERT_FALSE(conf6_option_find(&v6->options, 24)->always_send);
	EXPECT_OPT(&v6->options, 24, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0);
	EXPECT_OPT(&v6->options, 56,
		   0x00, 0x01, 0x00, 0x10,
		   0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23,
		   0x00, 0x03, 0x00, 0x11,
		   3, 'n', 't', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0);
	EXPECT_OPT(&v6->options, 17,
		   0x00, 0x00, 0x11, 0x8b, 0x00, 0x20, 0x00, 0x10,
		   0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x69);
	EXPECT_OPT(&v6->options, 32, 0x00, 0x00, 0x0e, 0x10);
	EXPECT_OPT(&v6->options, 65000, 0x01, 0x01, 32, 0x20, 0x01, 0x0d, 0xb8);
	EXPECT_OPT(&v6->options, 65001, 0x00, 0x01, 0x00, 0x08, 'h', 't', 't', 'p', ':', '/', '/', 'x');

	/* subnets: top level first, then the shared network's */
	CU_ASSERT_EQUAL_FATAL(v6->n_subnets, 4);
	s1 = conf6_subnet_by_id(v6, 1);
	s2 = conf6_subnet_by_id(v6, 2);
	s10 = conf6_subnet_by_id(v6, 10);
	s11 = conf6_subnet_by_id(v6, 11);
	CU_ASSERT_FATAL(s1 && s2 && s10 && s11);
	CU_ASSERT_EQUAL(s10 - v6->subnets, 2);
	CU_ASSERT_EQUAL(s1->iface, 0);
	CU_ASSERT_TRUE(s1->rapid_commit);
	CU_ASSERT_EQUAL(s1->valid_lifetime, 8000);
	CU_ASSERT_EQUAL(s1->preferred_lifetime, 5000);
	CU_ASSERT_EQUAL(s1->renew_timer, 1000);
	CU_ASSERT_EQUAL(s1->rebind_timer, 2000);
	CU_ASSERT_EQUAL(s1->client_class, vip);
	CU_ASSERT_TRUE(cls_set_has(&s1->require, (unsigned)late));
	CU_ASSERT_EQUAL_FATAL(s1->n_pools, 2);
	CU_ASSERT(a6_eq(s1->pools[0].first, A6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x100)));
	CU_ASSERT(a6_eq(s1->pools[0].last, A6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x1ff)));
	CU_ASSERT(a6_eq(s1->pools[1].first, A6(0x2001, 0xdb8, 1, 0, 1, 0, 0, 0)));
	CU_ASSERT(a6_eq(s1->pools[1].last, A6(0x2001, 0xdb8, 1, 0, 1, 0xffff, 0xffff, 0xffff)));
	CU_ASSERT_EQUAL(s1->pools[0].client_class, -1);
	CU_ASSERT_EQUAL(s1->pools[1].client_class, lab);
	EXPECT_OPT(&s1->pools[1].options, 31, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
	CU_ASSERT_EQUAL_FATAL(s1->n_pd_pools, 1);
	CU_ASSERT(a6_eq(s1->pd_pools[0].prefix, A6(0x2001, 0xdb8, 8, 0, 0, 0, 0, 0)));
	CU_ASSERT_EQUAL(s1->pd_pools[0].prefix_len, 48);
	CU_ASSERT_EQUAL(s1->pd_pools[0].delegated_len, 56);
	CU_ASSERT(a6_eq(s1->pd_pools[0].excluded, A6(0x2001, 0xdb8, 8, 0, 0xff00, 0, 0, 0)));
	CU_ASSERT_EQUAL(s1->pd_pools[0].excluded_len, 72);
	CU_ASSERT_EQUAL(s1->pd_pools[0].client_class, -1);
	CU_ASSERT_TRUE(cls_set_has(&s1->pd_pools[0].require, (unsigned)late));

	CU_ASSERT_EQUAL(s2->iface, -1);
	CU_ASSERT_EQUAL(s2->interface_id_len, 6);
	CU_ASSERT(memcmp(s2->interface_id, "port-7", 6) == 0);
	CU_ASSERT_EQUAL_FATAL(s2->n_relay_addrs, 1);
	CU_ASSERT(a6_eq(s2->relay_addrs[0], A6(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 1)));
	CU_ASSERT_EQUAL(s2->valid_lifetime, 4000);
	CU_ASSERT_EQUAL(s2->preferred_lifetime, 3000);
	CU_ASSERT_FALSE(s2->rapid_commit);

	/* the shared network's subnets: its interface, relay, rapid-commit and
	 * valid-lifetime unless they set their own */
	CU_ASSERT_EQUAL_FATAL(v6->n_shared, 1);
	CU_ASSERT_STRING_EQUAL(v6->shared[0].name, "floor");
	CU_ASSERT_EQUAL(v6->shared[0].iface, 1);
	EXPECT_OPT(&v6->shared[0].options, 24, 5, 'f', 'l', 'o', 'o', 'r', 7, 'e', 'x', 'a', 'm',
		   'p', 'l', 'e', 0);
	CU_ASSERT_EQUAL(s10->shared, 0);
	CU_ASSERT_EQUAL(s11->shared, 0);
	CU_ASSERT_EQUAL(s10->iface, 1);
	CU_ASSERT_EQUAL(s11->iface, 1);
	CU_ASSERT_EQUAL_FATAL(s10->n_relay_addrs, 1);
	CU_ASSERT(a6_eq(s10->relay_addrs[0], A6(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0xfe)));
	CU_ASSERT_TRUE(s10->rapid_commit);
	CU_ASSERT_FALSE(s11->rapid_commit);
	CU_ASSERT_EQUAL(s10->valid_lifetime, 6000);
	CU_ASSERT_EQUAL(s10->preferred_lifetime, 3000);
	CU_ASSERT_EQUAL(s10->renew_timer, 1000);
	CU_ASSERT_EQUAL(s11->renew_timer, 100);

	/* reservations in file order: subnet 1's, then the global one */
	CU_ASSERT_EQUAL_FATAL(v6->n_hosts, 3);
	CU_ASSERT_EQUAL(v6->hosts[0].subnet_id, 1);
	CU_ASSERT_EQUAL(v6->hosts[0].id_type, CONF_HID_DUID);
	CU_ASSERT_EQUAL(v6->hosts[0].id_len, 8);
	CU_ASSERT_EQUAL(v6->hosts[0].id[7], 0xdd);
	CU_ASSERT_EQUAL_FATAL(v6->hosts[0].n_addrs, 2);
	CU_ASSERT(a6_eq(v6->hosts[0].addrs[1], A6(0x2001, 0xdb8, 1, 0, 0, 0, 0xffff, 5)));
	CU_ASSERT_EQUAL_FATAL(v6->hosts[0].n_prefixes, 1);
	CU_ASSERT(a6_eq(v6->hosts[0].prefixes[0].prefix, A6(0x2001, 0xdb8, 8, 0x100, 0, 0, 0, 0)));
	CU_ASSERT_EQUAL(v6->hosts[0].prefixes[0].len, 56);
	CU_ASSERT_STRING_EQUAL(v6->hosts[0].hostname, "host5");
	CU_ASSERT_TRUE(cls_set_has(&v6->hosts[0].classes, (unsigned)vip));
	CU_ASSERT_PTR_NOT_NULL(conf6_option_find(&v6->hosts[0].options, 59));
	CU_ASSERT_EQUAL(v6->hosts[1].id_type, CONF_HID_HW_ADDRESS);
	CU_ASSERT_EQUAL(v6->hosts[1].id_len, 6);
	CU_ASSERT_EQUAL(v6->hosts[2].subnet_id, 0);
	CU_ASSERT_EQUAL(v6->hosts[2].id_type, CONF_HID_FLEX_ID);
	CU_ASSERT(v6->hosts[2].id_len == 3 && memcmp(v6->hosts[2].id, "eth", 3) == 0);
	conf_free(c);
}

/* Timers: the subnet's, else the shared network's, else the block's;
 * a preferred lifetime written nowhere is 3600 or 5/8 of a shorter
 * valid lifetime; T1/T2 written nowhere stay 0. */
static void test_timers(void)
{
	struct conf *c = load_ok(HEAD "dhcp6 = {\n  valid-lifetime = 2000;\n"
				 "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; },\n"
				 "    { id = 2; subnet = \"2001:db8:2::/64\"; valid-lifetime = 9000; },\n"
				 "    { id = 3; subnet = \"2001:db8:3::/64\"; rebind-timer = 900; } );\n"
				 "  shared-networks = ( { name = \"n\"; preferred-lifetime = 1500; renew-timer = 200;\n"
				 "    subnet6 = ( { id = 4; subnet = \"2001:db8:4::/64\"; },\n"
				 "      { id = 5; subnet = \"2001:db8:5::/64\"; preferred-lifetime = 1200; } ); } );\n"
				 "};\n");
	const struct conf6 *v6;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	v6 = c->v6;
	CU_ASSERT_EQUAL(v6->preferred_lifetime, 3600);        /* the default, as written */
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 1)->valid_lifetime, 2000);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 1)->preferred_lifetime, 1250);   /* 5/8 of 2000 */
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 2)->preferred_lifetime, 3600);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 3)->renew_timer, 0);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 3)->rebind_timer, 900);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 4)->preferred_lifetime, 1500);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 4)->renew_timer, 200);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 4)->valid_lifetime, 2000);
	CU_ASSERT_EQUAL(conf6_subnet_by_id(v6, 5)->preferred_lifetime, 1200);
	CU_ASSERT_EQUAL(v6->shared[0].preferred_lifetime, 1500);
	CU_ASSERT_EQUAL(v6->shared[0].valid_lifetime, 0);    /* not set there */
	conf_free(c);

	/* equal values are fine (<=) */
	c = load_ok(HEAD "dhcp6 = { renew-timer = 100; rebind-timer = 100; preferred-lifetime = 100;\n"
		    "  valid-lifetime = 100; };\n");
	CU_ASSERT_PTR_NOT_NULL(c);
	conf_free(c);

	expect_err(HEAD "dhcp6 = { renew-timer = 2000;\n rebind-timer = 1000; }; #<\n",
		   "renew-timer 2000 (global) is more than rebind-timer 1000 (global)");
	expect_err(HEAD "dhcp6 = {\n preferred-lifetime = 8000; }; #<\n",
		   "preferred-lifetime 8000 (global) is more than valid-lifetime 7200 (default)");
	expect_err(HEAD "dhcp6 = {\n rebind-timer = 4000; }; #<\n",
		   "rebind-timer 4000 (global) is more than preferred-lifetime 3600 (default)");
	expect_err(HEAD "dhcp6 = { preferred-lifetime = 3000;\n"
		   "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n valid-lifetime = 2000; } ); }; #<\n",
		   "preferred-lifetime 3000 (global) is more than valid-lifetime 2000");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  renew-timer = 900;\n  rebind-timer = 800; } ); }; #<\n",
		   "renew-timer 900 is more than rebind-timer 800");
	expect_err(HEAD "dhcp6 = { shared-networks = ( { name = \"n\"; valid-lifetime = 1000;\n"
		   "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; preferred-lifetime = 900; },\n"
		   "              { id = 2; subnet = \"2001:db8:2::/64\";\n preferred-lifetime = 1100; } ); } ); }; #<\n",
		   "preferred-lifetime 1100 is more than valid-lifetime 1000 (shared network)");
	/* ... and at the shared network's key when it is the more specific one */
	expect_err(HEAD "dhcp6 = { valid-lifetime = 1000; shared-networks = ( { name = \"n\";\n"
		   "  preferred-lifetime = 1100; #<\n"
		   "  subnet6 = ( { id = 2; subnet = \"2001:db8:2::/64\"; } ); } ); };\n",
		   "preferred-lifetime 1100 (shared network) is more than valid-lifetime 1000 (global)");
	expect_err(HEAD "dhcp6 = {\n valid-lifetime = 0; }; #<\n", "'valid-lifetime' must be between 1");
}

static void test_lease_db_server_id(void)
{
	struct conf *c;

	/* durability memory: the v6 file name may be left out */
	c = load_ok(HEAD "lease-database = { type = \"memfile\"; persist = false; };\n"
		    "dhcp6 = { lease-database = { type = \"memfile\"; }; };\n");
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c)
		CU_ASSERT_STRING_EQUAL(c->v6->lease_file, "");
	conf_free(c);
	c = load_ok(HEAD "dhcp6 = { server-id = { type = \"LL\"; identifier = \"020000000007\"; htype = 1; }; };\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->v6->server_id.type, CONF6_DUID_LL);
	CU_ASSERT_EQUAL(c->v6->server_id.identifier_len, 6);
	CU_ASSERT_EQUAL(c->v6->server_id.identifier[5], 7);
	conf_free(c);
	c = load_ok(HEAD "dhcp6 = { server-id = { type = \"llt\"; time = 600000000; }; };\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->v6->server_id.time, 600000000);
	conf_free(c);

	expect_err(HEAD "dhcp6 = {\n lease-database = { type = \"memfile\"; name = \"/tmp/l6\"; }; }; #<\n",
		   "a dhcp6 lease-database needs a top-level lease-database of type \"memfile\"");
	expect_err(HEAD "lease-database = { name = \"/tmp/l4\"; };\n"
		   "dhcp6 = { lease-database = {\n type = \"mysql\"; }; }; #<\n", "'type' must be one of \"memfile\"");
	expect_err(HEAD "lease-database = { name = \"/tmp/l4\"; };\n"
		   "dhcp6 = {\n lease-database = { type = \"memfile\"; }; }; #<\n",
		   "the dhcp6 lease-database needs a 'name'");
	expect_err(HEAD "lease-database = { name = \"/tmp/l4\"; };\n"
		   "dhcp6 = { lease-database = {\n name = \"/tmp/l4\"; }; }; #<\n", "is the DHCPv4 lease file");
	expect_err(HEAD "lease-database = { name = \"/tmp/l4\"; };\n"
		   "dhcp6 = { lease-database = { name = \"/tmp/l6\";\n lfc-interval = 60; }; }; #<\n",
		   "'lfc-interval' is set in the top-level lease-database");
	expect_err(HEAD "dhcp6 = {\n lease-database = \"memfile\"; }; #<\n", "'lease-database' must be a group");
	expect_err(HEAD "lease-database = { name = \"/tmp/l4\"; };\n"
		   "dhcp6 = { preferred-lifetime = 100; }; #<\n",
		   "the dhcp6 block needs lease-database");
	expect_err(HEAD "dhcp6 = { server-id = {\n type = \"UUID\"; }; }; #<\n",
		   "'type' must be one of \"LLT\", \"EN\", \"LL\"");
	expect_err(HEAD "dhcp6 = { server-id = { type = \"EN\";\n time = 5; }; }; #<\n",
		   "'time' belongs to server-id type \"LLT\"");
	expect_err(HEAD "dhcp6 = { server-id = {\n enterprise-id = 5; }; }; #<\n",
		   "'enterprise-id' belongs to server-id type \"EN\"");
	expect_err(HEAD "dhcp6 = { server-id = { type = \"EN\";\n htype = 1; }; }; #<\n",
		   "'htype' belongs to server-id types");
	expect_err(HEAD "dhcp6 = { server-id = {\n identifier = \"0xzz\"; }; }; #<\n", "'identifier': \"0xzz\"");
	expect_err(HEAD "dhcp6 = { server-id = {\n htype = 70000; }; }; #<\n", "'htype' must be between 0 and 65535");
	expect_err(HEAD "dhcp6 = {\n data-directory = \"\"; }; #<\n", "'data-directory' must not be empty");
}

static void test_err_keys_types(void)
{
	expect_err(HEAD "dhcp6 = {\n valid-lifetim = 5; }; #<\n", "unknown key 'valid-lifetim' in dhcp6");
	expect_err(HEAD "dhcp6 = {\n subnet4 = ( ); }; #<\n", "unknown key 'subnet4' in dhcp6");
	expect_err(HEAD "dhcp6 = {\n next-server = \"1.2.3.4\"; }; #<\n", "unknown key 'next-server' in dhcp6");
	expect_err(HEAD "dhcp6 = ( ); #<\n", "'dhcp6' must be a group");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  next-server = \"1.2.3.4\"; } ); }; #<\n", "unknown key 'next-server' in a subnet6 entry");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  pools = ( { pool = \"2001:db8:1::/80\"; prefix = 1; } ); } ); }; #<\n",
		   "unknown key 'prefix' in a pools entry");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 64; pool = 1; } ); } ); }; #<\n",
		   "unknown key 'pool' in a pd-pools entry");
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01:02:03\";\n"
		   "  ip-address = \"2001:db8::1\"; } ); }; #<\n", "unknown key 'ip-address' in a dhcp6 reservations entry");
	expect_err(HEAD "dhcp6 = { reservations = ( {\n client-id = \"01:02:03\"; } ); }; #<\n",
		   "unknown key 'client-id' in a dhcp6 reservations entry");
	expect_err(HEAD "dhcp6 = { server-id = {\n duid = \"01\"; }; }; #<\n", "unknown key 'duid' in server-id");
	expect_err(HEAD "dhcp6 = { client-classes = ( { name = \"a\";\n boot-file-name = \"x\"; } ); }; #<\n",
		   "unknown key 'boot-file-name' in a dhcp6 client-classes entry");
	expect_err(HEAD "dhcp6 = { shared-networks = ( { name = \"n\";\n subnet4 = ( ); } ); }; #<\n",
		   "unknown key 'subnet4' in a dhcp6 shared-networks entry");
	expect_err(HEAD "dhcp6 = {\n subnet6 = { id = 1; }; }; #<\n", "'subnet6' must be a list");
	expect_err(HEAD "dhcp6 = {\n rapid-commit = true; }; #<\n", "unknown key 'rapid-commit' in dhcp6");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  rapid-commit = 1; } ); }; #<\n", "'rapid-commit' must be true or false");
	expect_err(HEAD "dhcp6 = { subnet6 = (\n { subnet = \"2001:db8:1::/64\"; } ); }; #<\n",
		   "missing required key 'id' in a subnet6 entry");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = (\n"
		   "  { prefix = \"2001:db8:8::\"; prefix-len = 48; } ); } ); }; #<\n",
		   "missing required key 'delegated-len' in a pd-pools entry");
}

static void test_err_subnets_pools(void)
{
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1;\n subnet = \"2001:db8:1::5/64\"; } ); }; #<\n",
		   "'subnet': \"2001:db8:1::5/64\" has bits set past /64 (did you mean \"2001:db8:1::/64\"?)");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1;\n subnet = \"198.18.0.0/24\"; } ); }; #<\n",
		   "is not an IPv6 prefix");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; },\n"
		   "  { subnet = \"2001:db8:2::/64\";\n id = 1; } ); }; #<\n", "subnet id 1 is already used (line 5)");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8::/32\"; },\n"
		   "  { id = 2;\n subnet = \"2001:db8:2::/64\"; } ); }; #<\n",
		   "subnet \"2001:db8:2::/64\" overlaps subnet \"2001:db8::/32\" at");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pools = (\n"
		   "  { pool = \"2001:db8:2::1 - 2001:db8:2::9\"; } ); } ); }; #<\n",
		   "'pool': \"2001:db8:2::1 - 2001:db8:2::9\" is not inside subnet 2001:db8:1::/64");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pools = (\n"
		   "  { pool = \"2001:db8:1::9 - 2001:db8:1::1\"; } ); } ); }; #<\n", "starts after it ends");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pools = (\n"
		   "  { pool = \"2001:db8:1::1 to 2001:db8:1::9\"; } ); } ); }; #<\n", "is not \"first - last\"");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pools = (\n"
		   "  { pool = \"2001:db8:1::1/80\"; } ); } ); }; #<\n", "has bits set past /80");
	/* pools may not overlap, in one subnet or across subnets */
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pools = (\n"
		   "  { pool = \"2001:db8:1::/80\"; },\n"
		   "  { pool = \"2001:db8:1::ff - 2001:db8:1::1:0\"; } ); } ); }; #<\n",
		   "pool \"2001:db8:1::ff - 2001:db8:1::1:0\" overlaps pool \"2001:db8:1::/80\"");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56; } ); },\n"
		   "  { id = 2; subnet = \"2001:db8:2::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8:ff00::\"; prefix-len = 56; delegated-len = 64; } ); } ); }; #<\n",
		   "pd-pool \"2001:db8:8:ff00::/56\" overlaps pd-pool \"2001:db8:8::/48\" at");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8::\"; prefix-len = 48;\n delegated-len = 40; } ); } ); }; #<\n",
		   "'delegated-len' 40 is shorter than 'prefix-len' 48");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8::\"; prefix-len = 48;\n delegated-len = 129; } ); } ); }; #<\n",
		   "'delegated-len' must be between 1 and 128");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8:1::\"; #<\n prefix-len = 48; delegated-len = 56; } ); } ); };\n",
		   "'prefix': \"2001:db8:8:1::\" has bits set past /48");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56;\n"
		   "  excluded-prefix = \"2001:db8:8::\"; excluded-prefix-len = 56; } ); } ); }; #<\n",
		   "'excluded-prefix-len' 56 must be longer than 'delegated-len' 56");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56;\n"
		   "  excluded-prefix = \"2001:db8:9::\"; #<\n excluded-prefix-len = 64; } ); } ); };\n",
		   "'excluded-prefix' 2001:db8:9::/64 is not inside the first delegated prefix 2001:db8:8::/56");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56;\n"
		   "  excluded-prefix = \"2001:db8:8::\"; } ); } ); }; #<\n",
		   "'excluded-prefix' and 'excluded-prefix-len' go together");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pd-pools = ( {\n"
		   "  prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56;\n"
		   "  excluded-prefix = \"2001:db8:8::1\"; #<\n excluded-prefix-len = 64; } ); } ); };\n",
		   "has bits set past /64");
	/* links */
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  interface = \"eth9\"; } ); }; #<\n", "'interface': no interface named \"eth9\"");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  interface = \"eth0\"; interface-id = \"x\"; } ); }; #<\n",
		   "subnet 1 has both an interface (its clients are on the link) and an interface-id");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  interface-id = \"\"; } ); }; #<\n", "'interface-id' must not be empty");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  relay = { ip-addresses = [ \"198.18.1.1\" ]; }; } ); }; #<\n",
		   "'ip-addresses': \"198.18.1.1\" is not an IPv6 address");
	expect_err(HEAD "dhcp6 = { shared-networks = ( { name = \"n\"; interface = \"eth1\";\n"
		   "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n interface = \"eth0\"; } ); } ); }; #<\n",
		   "subnet 1 is in shared network \"n\" on interface \"eth1\": it cannot use interface \"eth0\"");
	expect_err(HEAD "dhcp6 = { shared-networks = ( { name = \"n\"; interface-id = \"a\";\n"
		   "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n interface-id = \"b\"; } ); } ); }; #<\n",
		   "it cannot have an interface-id of its own");
	expect_err(HEAD "dhcp6 = { shared-networks = ( { name = \"n\"; interface-id = \"a\";\n"
		   "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n interface = \"eth0\"; } ); } ); }; #<\n",
		   "subnet 1 has both an interface");
	expect_err(HEAD "dhcp6 = { shared-networks = ( { name = \"n\"; },\n"
		   "  {\n name = \"n\"; } ); }; #<\n", "shared network name \"n\" is already used (line 5)");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; } );\n"
		   "  shared-networks = ( { name = \"n\"; subnet6 = ( {\n"
		   "  subnet = \"2001:db8:2::/64\"; id = 1; } ); } ); }; #<\n", "subnet id 1 is already used (line 5)");
}

static void test_err_reservations(void)
{
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; reservations = (\n"
		   "  { duid = \"01:02:03\"; ip-addresses = [ \"2001:db8:1::1\",\n \"2001:db8:2::1\" ]; } ); } ); }; #<\n",
		   "'ip-addresses': 2001:db8:2::1 is not inside subnet 2001:db8:1::/64");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56; } );\n"
		   "  reservations = ( { duid = \"01:02:03\";\n prefixes = [ \"2001:db8:9::/56\" ]; } ); } ); }; #<\n",
		   "'prefixes': 2001:db8:9::/56 is inside neither a pd-pools prefix of subnet 1 nor the subnet");
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01:02:03\";\n"
		   "  prefixes = [ \"2001:db8:9::1/56\" ]; } ); }; #<\n", "has bits set past /56");
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01:02:03\";\n"
		   "  prefixes = [ \"2001:db8:9::\" ]; } ); }; #<\n", "is not an IPv6 prefix");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; reservations = (\n"
		   "  { duid = \"01:02:03\"; },\n  { duid = \"01:02:03\"; } ); } ); }; #<\n",
		   "duid 01:02:03 is already reserved in subnet 1 (line 6)");
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01:02:03\"; },\n"
		   "  { duid = \"010203\"; } ); }; #<\n", "duid 01:02:03 is already reserved globally");
	/* the same identifier in two subnets is fine */
	{
		struct conf *c = load_ok(HEAD "dhcp6 = { reservations = ( { duid = \"01:02:03\"; } );\n"
					 "  subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
					 "  reservations = ( { duid = \"01:02:03\"; } ); } ); };\n");
		CU_ASSERT_PTR_NOT_NULL(c);
		conf_free(c);
	}
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01\"; ip-addresses = [ \"2001:db8::1\" ]; },\n"
		   "  { duid = \"02\"; ip-addresses = [\n \"2001:db8::1\" ]; } ); }; #<\n",
		   "address 2001:db8::1 is already reserved (line 5)");
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01\"; prefixes = [ \"2001:db8:8::/56\" ]; },\n"
		   "  { duid = \"02\"; prefixes = [\n \"2001:db8:8::/56\" ]; } ); }; #<\n",
		   "prefix 2001:db8:8::/56 is already reserved (line 5)");
	expect_err(HEAD "dhcp6 = { reservations = (\n { duid = \"01\"; hw-address = \"02:00:00:00:00:01\"; } ); }; #<\n",
		   "a reservation takes one identifier: 'duid' and 'hw-address' are both given");
	expect_err(HEAD "dhcp6 = { reservations = (\n { hostname = \"x\"; } ); }; #<\n",
		   "a reservation needs one of duid, hw-address or flex-id");
	expect_err(HEAD "dhcp6 = { reservations = (\n { duid = \"xyz\"; } ); }; #<\n",
		   "'duid': \"xyz\" is neither hex bytes");
	expect_err(HEAD "dhcp6 = { host-reservation-identifiers = [ \"duid\" ];\n"
		   "  reservations = (\n { hw-address = \"02:00:00:00:00:01\"; } ); }; #<\n",
		   "a reservation by hw-address never matches: \"hw-address\" is not in host-reservation-identifiers");
	expect_err(HEAD "dhcp6 = { host-reservation-identifiers = [ \"flex-id\" ];\n"
		   "  reservations = (\n { flex-id = \"'x'\"; } ); }; #<\n",
		   "a reservation by flex-id needs 'flex-id-expression'");
	expect_err(HEAD "dhcp6 = { host-reservation-identifiers = [ \"duid\",\n \"circuit-id\" ]; }; #<\n",
		   "unknown identifier \"circuit-id\" (hw-address, duid, flex-id)");
	expect_err(HEAD "dhcp6 = {\n flex-id-expression = \"pkt4.mac\"; }; #<\n",
		   "'flex-id-expression': col 1: 'pkt4' can only be used in DHCPv4");
}

static void test_err_classes(void)
{
	expect_err(HEAD "dhcp6 = { client-classes = ( { name = \"a\";\n"
		   "  test = \"pkt4.mac == 0x01\"; } ); }; #<\n", "client class \"a\": test: col 1:");
	expect_err(HEAD "dhcp6 = { client-classes = ( { name = \"a\"; },\n  {\n name = \"a\"; } ); }; #<\n",
		   "client class \"a\" is already defined (line 5)");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  client-class = \"nope\"; } ); }; #<\n",
		   "'client-class': client class \"nope\" is not defined in the dhcp6 client-classes");
	expect_err(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; pools = (\n"
		   "  { pool = \"2001:db8:1::/80\"; require-client-classes = [\n \"nope\" ]; } ); } ); }; #<\n",
		   "'require-client-classes': client class \"nope\" is not defined");
	expect_err(HEAD "dhcp6 = { reservations = ( { duid = \"01\";\n client-classes = [ \"tag\" ]; } ); }; #<\n",
		   "'client-classes': client class \"tag\" is not defined");
	/* v4 classes are not v6 classes */
	expect_err(HEAD "client-classes = ( { name = \"v4\"; } );\n"
		   "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
		   "  client-class = \"v4\"; } ); }; #<\n", "client class \"v4\" is not defined in the dhcp6");
	/* builtins and vendor classes need no definition */
	{
		struct conf *c = load_ok(HEAD "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\";\n"
					 "  client-class = \"KNOWN\";\n"
					 "  require-client-classes = [ \"VENDOR_CLASS_docsis3.0\" ]; } ); };\n");
		CU_ASSERT_PTR_NOT_NULL(c);
		conf_free(c);
	}
}

static void test_err_options(void)
{
	expect_err(HEAD "dhcp6 = { option-data = (\n { name = \"domain-name-servers\"; data = \"::1\"; } ); }; #<\n",
		   "unknown option name \"domain-name-servers\"");
	expect_err(HEAD "dhcp6 = { option-data = (\n { name = \"dns-servers\"; data = \"192.0.2.1\"; } ); }; #<\n",
		   "option 23 (dns-servers): invalid IPv6 address '192.0.2.1'");
	expect_err(HEAD "dhcp6 = { option-data = (\n { code = 2; data = \"0102\"; } ); }; #<\n",
		   "option 2 (serverid) cannot be configured: the server's DUID comes from server-id");
	expect_err(HEAD "dhcp6 = { option-data = (\n { name = \"rapid-commit\"; } ); }; #<\n",
		   "option 14 (rapid-commit) cannot be configured: set rapid-commit in a subnet");
	expect_err(HEAD "dhcp6 = { option-data = (\n { code = 0; data = \"01\"; } ); }; #<\n",
		   "'code' must be between 1 and 65535, not 0");
	expect_err(HEAD "dhcp6 = { option-data = ( { name = \"dns-servers\"; data = \"::1\"; },\n"
		   "  { code = 23; data = \"::2\"; } ); }; #<\n", "option 23 is already set in this scope (line 5)");
	expect_err(HEAD "dhcp6 = { option-data = (\n"
		   "  { name = \"ntp-server-address\"; space = \"v6-ntp-server-suboptions\"; data = \"::1\"; } ); }; #<\n",
		   "option 1 in space \"v6-ntp-server-suboptions\" needs option 56 (ntp-server)");
	expect_err(HEAD "dhcp6 = { option-data = ( { name = \"vendor-opts\"; data = \"4491\"; },\n"
		   "  { code = 5; space = \"vendor-9\"; data = \"01\"; } ); }; #<\n",
		   "option 5 in space \"vendor-9\" needs option 17 (vendor-opts) with enterprise 9");
	expect_err(HEAD "dhcp6 = { option-data = (\n { code = 5; space = \"nowhere\"; data = \"01\"; } ); }; #<\n",
		   "unknown option space \"nowhere\"");
	expect_err(HEAD "dhcp6 = { option-data = (\n { name = \"vendor-opts\"; } ); }; #<\n",
		   "option 17 (vendor-opts): option 'vendor-opts' needs a value");
	expect_err(HEAD "dhcp6 = { option-data = (\n { name = \"dns-servers\"; code = 24; data = \"::1\"; } ); }; #<\n",
		   "option \"dns-servers\" has code 23, not 24");
	expect_err(HEAD "dhcp6 = { option-data = (\n { name = \"x\"; space = \"vendor-9\"; data = \"1\"; } ); }; #<\n",
		   "unknown option name \"x\" in space \"vendor-9\" (define it with option-def)");
	/* unknown codes are hex, and may pass 255 bytes */
	{
		char *text = malloc(4096), *p;
		struct conf *c;

		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		p = text + sprintf(text, HEAD "dhcp6 = { option-data = ( { code = 60000; data = \"");
		for (int i = 0; i < 300; i++)
			p += sprintf(p, "%02x", i & 0xff);
		sprintf(p, "\"; } ); };\n");
		c = load_ok(text);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(conf6_option_find(&c->v6->options, 60000)->len, 300);
		CU_ASSERT_EQUAL(conf6_option_find(&c->v6->options, 60000)->data[299], 299 & 0xff);
		conf_free(c);
		free(text);
	}
	/* option-def */
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\";\n code = 23; type = \"uint8\"; } ); }; #<\n",
		   "option code 23 is the standard option \"dns-servers\"");
	expect_err(HEAD "dhcp6 = { option-def = (\n { name = \"dns-servers\"; code = 600; type = \"uint8\"; } ); }; #<\n",
		   "\"dns-servers\" is the name of standard option 23");
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\"; code = 600;\n type = \"internal\"; } ); }; #<\n",
		   "type \"internal\" is not supported in DHCPv6 option definitions");
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\"; code = 600; type = \"record\";\n"
		   "  record-types = \"string, uint8\"; } ); }; #<\n", "a string field can only be the last one");
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\"; code = 600; type = \"string\";\n"
		   "  array = true; } ); }; #<\n", "an array of string is not possible");
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\"; code = 600; type = \"empty\";\n"
		   "  encapsulate = \"dhcp6\"; } ); }; #<\n", "'encapsulate': an option of space \"dhcp6\" cannot carry");
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\"; code = 600; type = \"uint8\"; },\n"
		   "  { name = \"y\";\n code = 600; type = \"uint8\"; } ); }; #<\n",
		   "code 600 in space \"dhcp6\" is already defined as \"x\" (line 5)");
	expect_err(HEAD "dhcp6 = { option-def = ( { name = \"x\"; code = 600; type = \"uint8\";\n"
		   "  space = \"bad space\"; } ); }; #<\n", "'space': \"bad space\" is not a space name");
	/* a space that carries itself round is stopped */
	expect_err(HEAD "dhcp6 = { option-def = (\n"
		   "  { name = \"a\"; code = 600; type = \"empty\"; encapsulate = \"sa\"; },\n"
		   "  { name = \"b\"; code = 1; type = \"empty\"; space = \"sa\"; encapsulate = \"sb\"; },\n"
		   "  { name = \"c\"; code = 1; type = \"empty\"; space = \"sb\"; encapsulate = \"sa\"; } );\n"
		   "  option-data = ( { name = \"a\"; }, { name = \"b\"; space = \"sa\"; },"
		   " { name = \"c\"; space = \"sb\"; } ); }; #<\n", "nested more than 8 deep");
}

/* Every dhcp6 key of the shipped example (and that the example loads). */
static void test_example_conf(void)
{
	struct conf *c = conf_load("../etc/peregrine.conf", err, sizeof(err));
	const struct conf6 *v6;

	if (c == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	v6 = c->v6;
	CU_ASSERT_PTR_NOT_NULL_FATAL(v6);
	CU_ASSERT_TRUE(c->ifaces[0].has_addr6);
	CU_ASSERT_STRING_EQUAL(v6->lease_file, "/var/lib/peregrine/dhcp6.leases");
	CU_ASSERT_STRING_EQUAL(c->lease_db.name6, "/var/lib/peregrine/dhcp6.leases");
	CU_ASSERT(v6->n_subnets >= 2);
	CU_ASSERT_PTR_NOT_NULL(conf6_option_find(&v6->options, 23));
	CU_ASSERT_PTR_NOT_NULL(conf6_subnet_by_id(v6, 1));
	CU_ASSERT(conf6_subnet_by_id(v6, 1)->n_pd_pools >= 1);
	conf_free(c);
}

int main(void)
{
	static const struct conf_test_case cases[] = {
		{ "defaults", test_defaults },
		{ "every key", test_full },
		{ "timers inherited and checked", test_timers },
		{ "lease-database and server-id", test_lease_db_server_id },
		{ "errors: keys and types", test_err_keys_types },
		{ "errors: subnets, pools, pd-pools, links", test_err_subnets_pools },
		{ "errors: reservations", test_err_reservations },
		{ "errors: classes", test_err_classes },
		{ "errors: option-data and option-def", test_err_options },
		{ "example config", test_example_conf },
	};

	return conf_test_run("conf6", cases, sizeof(cases) / sizeof(cases[0]));
}
