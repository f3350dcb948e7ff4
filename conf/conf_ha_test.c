/* conf_ha_test: the high-availability block through conf_load(): values
 * and defaults land in struct conf_ha, URLs are parsed, the HA_<peer>
 * classes are valid references exactly when the block gives that peer's
 * scope a class, the shipped HA pair loads, and every refusal names its
 * file:line (the line marked "#<" in each case's text).  Run with the
 * working directory conf/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "conf.h"
#define CONF_TEST_LOAD "/tmp/conf_ha_test_XXXXXX"
#include "conf_test_helpers.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define HEAD "dpdk = { lcores = \"0,1\"; };\n"                                                   \
	"interfaces = ( { name = \"eth0\"; device = \"net_null0\"; address = \"198.18.0.1/24\";\n" \
	"                 address6 = \"2001:db8:1::1/64\"; } );\n"
#define HA(body) HEAD "high-availability = {\n" body "};\n"
#define NAME1 " this-server-name = \"server1\";\n"
#define HSM " mode = \"hot-standby\";\n"
#define LBM " mode = \"load-balancing\";\n"
#define PBM " mode = \"passive-backup\";\n"
#define PEERS(x) " peers = (\n" x " );\n"
#define P1 "  { name = \"server1\"; url = \"http://198.18.2.1:8000/\"; role = \"primary\"; }\n"
#define P2S "  { name = \"server2\"; url = \"http://198.18.2.2:8000/\"; role = \"standby\"; }\n"
#define P2L "  { name = \"server2\"; url = \"http://198.18.2.2:8000/\"; role = \"secondary\"; }\n"
#define B3 "  { name = \"server3\"; url = \"http://198.18.2.3:8000/\"; role = \"backup\"; }\n"
#define HS_OK HA(NAME1 HSM PEERS(P1 "," P2S))
#define LB_OK HA(NAME1 LBM PEERS(P1 "," P2L "," B3))
/* A hot-standby pair with `keys` (a line marked "#<") written: its error. */
#define HS_KEY_CASE(keys, fragment) expect_err(HA(NAME1 HSM keys PEERS(P1 "," P2S)), fragment)
/* The same with `peer` (marked) after server1 instead of server2. */
#define HS_PEER2_CASE(peer, fragment) expect_err(HA(NAME1 HSM PEERS(P1 "," peer)), fragment)

/* A pool of subnet 1 guarded by class `cls` (a string literal). */
#define POOL4(cls) "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"eth0\";\n" \
	"  pools = ( { pool = \"198.18.0.10 - 198.18.0.99\"; client-class = \"" cls "\"; } #<\n" \
	"  ); } );\n"
#define POOL6(cls) "dhcp6 = { subnet6 = ( { id = 1; subnet = \"2001:db8:1::/64\"; interface = \"eth0\";\n" \
	"  pools = ( { pool = \"2001:db8:1::100 - 2001:db8:1::1ff\"; client-class = \"" cls "\"; } #<\n" \
	"  ); } ); };\n"

/* ---------------------------------------------------------------------- */

/* The brief's block: every key written, then read back. */
static void test_values(void)
{
	struct conf *c = load_ok(HEAD
		"high-availability = {\n"
		"  this-server-name = \"server2\";\n"
		"  mode = \"hot-standby\";\n"
		"  heartbeat-delay = 20; max-response-delay = 60; max-ack-delay = 0;\n"
		"  max-unacked-clients = 0; sync-timeout = 5000; sync-page-limit = 4;\n"
		"  delayed-updates-limit = 0; sync-leases = false; send-lease-updates = false;\n"
		"  wait-backup-ack = false;\n"
		"  peers = (\n"
		"    { name = \"server1\"; url = \"http://198.18.2.1:8000/\"; role = \"primary\"; auto-failover = true; },\n"
		"    { name = \"server2\"; url = \"http://198.18.2.2:8000\"; role = \"standby\";\n"
		"      basic-auth-user = \"ha\"; basic-auth-password = \"secret\"; auto-failover = false;\n"
		"      url6 = \"http://[2001:db8:2::2]:8001/\"; },\n"
		"    { name = \"bk.1\"; url = \"HTTP://198.18.2.3:65535/\"; role = \"backup\"; }\n"
		"  );\n"
		"  state-machine = { states = ( { state = \"waiting\"; pause = \"once\"; },\n"
		"                               { state = \"partner-down\"; pause = \"always\"; },\n"
		"                               { state = \"ready\"; } ); };\n"
		"};\n");
	const struct conf_ha *ha;
	const struct conf_ha_peer *p;

	if (c == NULL)
		return;
	ha = c->ha;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ha);
	CU_ASSERT_EQUAL(ha->line, 4);
	CU_ASSERT_STRING_EQUAL(ha->this_server_name, "server2");
	CU_ASSERT_EQUAL(ha->this_peer, 1);
	CU_ASSERT_PTR_EQUAL(conf_ha_this(ha), &ha->peers[1]);
	CU_ASSERT_EQUAL(ha->mode, CONF_HA_HOT_STANDBY);
	CU_ASSERT_EQUAL(ha->heartbeat_delay, 20);
	CU_ASSERT_EQUAL(ha->max_response_delay, 60);
	CU_ASSERT_EQUAL(ha->max_ack_delay, 0);
	CU_ASSERT_EQUAL(ha->max_unacked_clients, 0);
	CU_ASSERT_EQUAL(ha->sync_timeout, 5000);
	CU_ASSERT_EQUAL(ha->sync_page_limit, 4);
	CU_ASSERT_EQUAL(ha->delayed_updates_limit, 0);
	CU_ASSERT_FALSE(ha->sync_leases);
	CU_ASSERT_FALSE(ha->send_lease_updates);
	CU_ASSERT_FALSE(ha->wait_backup_ack);
	CU_ASSERT_EQUAL_FATAL(ha->n_peers, 3);

	p = &ha->peers[0];
	CU_ASSERT_STRING_EQUAL(p->name, "server1");
	CU_ASSERT_EQUAL(p->role, CONF_HA_PRIMARY);
	CU_ASSERT_TRUE(p->auto_failover);
	CU_ASSERT_STRING_EQUAL(p->url.text, "http://198.18.2.1:8000/");
	CU_ASSERT_FALSE(p->url.v6);
	CU_ASSERT_EQUAL(p->url.addr4, IP(198, 18, 2, 1));
	CU_ASSERT_EQUAL(p->url.port, 8000);
	CU_ASSERT_STRING_EQUAL(p->url.host, "198.18.2.1");
	/* url6 defaults to url */
	CU_ASSERT_FALSE(p->has_url6);
	CU_ASSERT_STRING_EQUAL(p->url6.text, p->url.text);
	CU_ASSERT_EQUAL(p->url6.port, 8000);
	CU_ASSERT_EQUAL(p->url6.addr4, IP(198, 18, 2, 1));
	CU_ASSERT_STRING_EQUAL(p->basic_auth_user, "");
	CU_ASSERT_EQUAL(p->line, 12);

	p = &ha->peers[1];
	CU_ASSERT_EQUAL(p->role, CONF_HA_STANDBY);
	CU_ASSERT_FALSE(p->auto_failover);
	CU_ASSERT_EQUAL(p->url.port, 8000);          /* no trailing slash: the same */
	CU_ASSERT_EQUAL(p->url.addr4, IP(198, 18, 2, 2));
	CU_ASSERT_TRUE(p->has_url6);
	CU_ASSERT_TRUE(p->url6.v6);
	CU_ASSERT_EQUAL(p->url6.port, 8001);
	CU_ASSERT(p->url6.addr6.hi == 0x20010db800020000ull && p->url6.addr6.lo == 2);
	CU_ASSERT_STRING_EQUAL(p->url6.host, "2001:db8:2::2");
	CU_ASSERT_STRING_EQUAL(p->basic_auth_user, "ha");
	CU_ASSERT_STRING_EQUAL(p->basic_auth_password, "secret");

	p = &ha->peers[2];
	CU_ASSERT_STRING_EQUAL(p->name, "bk.1");
	CU_ASSERT_EQUAL(p->role, CONF_HA_BACKUP);
	CU_ASSERT_TRUE(p->auto_failover);            /* Kea's default */
	CU_ASSERT_EQUAL(p->url.port, 65535);
	CU_ASSERT_PTR_EQUAL(conf_ha_peer_find(ha, "bk.1"), p);
	CU_ASSERT_PTR_NULL(conf_ha_peer_find(ha, "bk"));

	/* the pause table: written states, the rest never */
	CU_ASSERT_EQUAL(ha->pause[CONF_HA_ST_WAITING], CONF_HA_PAUSE_ONCE);
	CU_ASSERT_EQUAL(ha->pause[CONF_HA_ST_PARTNER_DOWN], CONF_HA_PAUSE_ALWAYS);
	CU_ASSERT_EQUAL(ha->pause[CONF_HA_ST_READY], CONF_HA_PAUSE_NEVER);
	CU_ASSERT_EQUAL(ha->pause[CONF_HA_ST_SYNCING], CONF_HA_PAUSE_NEVER);

	/* hot-standby: only the primary's scope has a class */
	CU_ASSERT(ha->peers[0].class4 >= CLS_ID_FIRST_USER);
	CU_ASSERT_EQUAL(ha->peers[0].class4, cls_registry_find(c->policy->reg, "HA_server1"));
	CU_ASSERT_FALSE(cls_registry_defined(c->policy->reg, (unsigned)ha->peers[0].class4));
	CU_ASSERT_EQUAL(ha->peers[1].class4, -1);
	CU_ASSERT_EQUAL(ha->peers[2].class4, -1);
	CU_ASSERT_EQUAL(ha->peers[0].class6, -1);    /* no dhcp6 block */
	CU_ASSERT(cls_registry_find(c->policy->reg, "HA_server2") < 0);
	conf_free(c);
}

/* Kea's defaults, and delayed-updates-limit's load-balancing one. */
static void test_defaults(void)
{
	struct conf *c = load_ok(HS_OK);

	if (c) {
		const struct conf_ha *ha = c->ha;

		CU_ASSERT_PTR_NOT_NULL_FATAL(ha);
		CU_ASSERT_EQUAL(ha->heartbeat_delay, 10000);
		CU_ASSERT_EQUAL(ha->max_response_delay, 60000);
		CU_ASSERT_EQUAL(ha->max_ack_delay, 10000);
		CU_ASSERT_EQUAL(ha->max_unacked_clients, 10);
		CU_ASSERT_EQUAL(ha->sync_timeout, 60000);
		CU_ASSERT_EQUAL(ha->sync_page_limit, 10000);
		CU_ASSERT_EQUAL(ha->delayed_updates_limit, 0);
		CU_ASSERT_TRUE(ha->sync_leases);
		CU_ASSERT_TRUE(ha->send_lease_updates);
		CU_ASSERT_FALSE(ha->wait_backup_ack);
		CU_ASSERT_EQUAL(ha->this_peer, 0);
		for (unsigned i = 0; i < CONF_HA_ST_MAX; i++)
			CU_ASSERT_EQUAL(ha->pause[i], CONF_HA_PAUSE_NEVER);
		conf_free(c);
	}
	c = load_ok(LB_OK);
	if (c) {
		CU_ASSERT_EQUAL(c->ha->mode, CONF_HA_LOAD_BALANCING);
		CU_ASSERT_EQUAL(c->ha->delayed_updates_limit, 100);
		conf_free(c);
	}
	c = load_ok(HA(NAME1 LBM " delayed-updates-limit = 0;\n" PEERS(P1 "," P2L)));
	if (c) {
		CU_ASSERT_EQUAL(c->ha->delayed_updates_limit, 0);
		conf_free(c);
	}
	/* passive-backup: a primary alone, or with backups; wait-backup-ack allowed */
	c = load_ok(HA(NAME1 PBM " wait-backup-ack = true;\n" PEERS(P1 "," B3)));
	if (c) {
		CU_ASSERT_EQUAL(c->ha->mode, CONF_HA_PASSIVE_BACKUP);
		CU_ASSERT_TRUE(c->ha->wait_backup_ack);
		CU_ASSERT(c->ha->peers[0].class4 >= CLS_ID_FIRST_USER);
		CU_ASSERT_EQUAL(c->ha->peers[1].class4, -1);
		conf_free(c);
	}
	c = load_ok(HA(" this-server-name = \"server3\";\n" PBM PEERS(P1 "," B3)));
	if (c) {
		CU_ASSERT_EQUAL(c->ha->this_peer, 1);
		CU_ASSERT_EQUAL(conf_ha_this(c->ha)->role, CONF_HA_BACKUP);
		conf_free(c);
	}
	c = load_ok(HA(NAME1 PBM PEERS(P1)));
	if (c) {
		CU_ASSERT_EQUAL(c->ha->n_peers, 1);
		conf_free(c);
	}
	/* no block, no HA */
	c = load_ok(HEAD);
	if (c) {
		CU_ASSERT_PTR_NULL(c->ha);
		conf_free(c);
	}
	/* Kea's form: a list of one relationship */
	c = load_ok(HEAD "high-availability = ( { this-server-name = \"server2\"; mode = \"hot-standby\";\n"
		    PEERS(P1 "," P2S) " } );\n");
	if (c) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(c->ha);
		CU_ASSERT_EQUAL(c->ha->this_peer, 1);
		CU_ASSERT_EQUAL(c->ha->line, 4);
		conf_free(c);
	}
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(conf_ha_mode_name(CONF_HA_LOAD_BALANCING), "load-balancing");
	CU_ASSERT_STRING_EQUAL(conf_ha_mode_name(CONF_HA_PASSIVE_BACKUP), "passive-backup");
	CU_ASSERT_STRING_EQUAL(conf_ha_role_name(CONF_HA_STANDBY), "standby");
	CU_ASSERT_STRING_EQUAL(conf_ha_role_name(CONF_HA_BACKUP), "backup");
	CU_ASSERT_STRING_EQUAL(conf_ha_state_name(CONF_HA_ST_PARTNER_IN_MAINTENANCE),
			       "partner-in-maintenance");
	CU_ASSERT_STRING_EQUAL(conf_ha_state_name(CONF_HA_ST_WAITING), "waiting");
	CU_ASSERT_STRING_EQUAL(conf_ha_state_name(CONF_HA_ST_COMMUNICATION_RECOVERY),
			       "communication-recovery");
	CU_ASSERT_STRING_EQUAL(conf_ha_pause_name(CONF_HA_PAUSE_ONCE), "once");
}

/* The pair shipped in etc/ loads; the two halves agree on the peers. */
static void test_example_pair(void)
{
	struct conf *a = conf_load("../etc/peregrine-ha-primary.conf", err, sizeof(err));
	struct conf *b;

	if (a == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	b = conf_load("../etc/peregrine-ha-standby.conf", err, sizeof(err));
	if (b == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a->ha);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->ha);
	CU_ASSERT_EQUAL(a->ha->mode, CONF_HA_HOT_STANDBY);
	CU_ASSERT_EQUAL(conf_ha_this(a->ha)->role, CONF_HA_PRIMARY);
	CU_ASSERT_EQUAL(conf_ha_this(b->ha)->role, CONF_HA_STANDBY);
	CU_ASSERT_EQUAL_FATAL(a->ha->n_peers, b->ha->n_peers);
	for (unsigned i = 0; i < a->ha->n_peers; i++) {
		CU_ASSERT_STRING_EQUAL(a->ha->peers[i].name, b->ha->peers[i].name);
		CU_ASSERT_STRING_EQUAL(a->ha->peers[i].url.text, b->ha->peers[i].url.text);
	}
	/* the two listeners differ */
	CU_ASSERT_NOT_EQUAL(conf_ha_this(a->ha)->url.addr4, conf_ha_this(b->ha)->url.addr4);
	conf_free(a);
	conf_free(b);
}

/* What a live reload compares. */
static void test_equal(void)
{
	struct conf *a = load_ok(LB_OK), *b = load_ok(HEAD "\n\n" POOL4("HA_server2")
		"high-availability = {\n" NAME1 LBM PEERS(P1 "," P2L "," B3) "};\n");
	struct conf *d = load_ok(HA(NAME1 LBM " heartbeat-delay = 9000;\n" PEERS(P1 "," P2L "," B3)));
	struct conf *e = load_ok(HA(NAME1 LBM PEERS(P1 "," "  { name = \"server2\"; url = "
		"\"http://198.18.2.2:8000/\"; role = \"secondary\"; auto-failover = false; }\n" "," B3)));

	CU_ASSERT_FATAL(a && b && d && e);
	/* lines and class ids differ, the relationship does not */
	CU_ASSERT_NOT_EQUAL(a->ha->line, b->ha->line);
	CU_ASSERT_TRUE(conf_ha_equal(a->ha, b->ha));
	CU_ASSERT_FALSE(conf_ha_equal(a->ha, d->ha));
	CU_ASSERT_FALSE(conf_ha_equal(a->ha, e->ha));
	CU_ASSERT_FALSE(conf_ha_equal(a->ha, NULL));
	CU_ASSERT_FALSE(conf_ha_equal(NULL, a->ha));
	CU_ASSERT_TRUE(conf_ha_equal(NULL, NULL));
	conf_free(a);
	conf_free(b);
	conf_free(d);
	conf_free(e);
}

/* ---------------------------------------------------------------------- */

static void test_err_names(void)
{
	expect_err(HA(NAME1 " mode = \"active\"; #<\n" PEERS(P1 "," P2S)),
		   "'mode' must be one of \"load-balancing\", \"hot-standby\", \"passive-backup\", not \"active\"");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"partner\"; } #<\n",
		   "'role' must be one of \"primary\", \"secondary\", \"standby\", \"backup\", not \"partner\"");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)
		      " state-machine = { states = ( { state = \"waiting\"; pause = \"sometimes\"; } ); }; #<\n"),
		   "'pause' must be one of \"never\", \"always\", \"once\", not \"sometimes\"");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)
		      " state-machine = { states = ( { state = \"dozing\"; } ); }; #<\n"),
		   "'state' must be one of \"backup\", \"communication-recovery\"");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)
		      " state-machine = { states = ( { state = \"unavailable\"; } ); }; #<\n"),
		   "not \"unavailable\"");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)
		      " state-machine = { states = (\n  { state = \"ready\"; pause = \"once\"; },\n"
		      "  { state = \"ready\"; } ); }; #<\n"),
		   "state \"ready\" is already configured (line 12)");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S) " state-machine = { states = ( { pause = \"once\"; } ); }; #<\n"),
		   "missing required key 'state'");
	expect_err(HA(" this-server-name = \"server9\"; #<\n" HSM PEERS(P1 "," P2S)),
		   "'this-server-name' \"server9\" is not among the peers (server1, server2)");
	HS_PEER2_CASE("  { name = \"server 2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; } #<\n",
		   "peer name \"server 2\": letters, digits");
	HS_PEER2_CASE("  { name = \"server1\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; } #<\n",
		   "peer \"server1\" is already defined (line 8)");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.1:8000\";"
					 " role = \"standby\"; } #<\n",
		   "peer \"server2\": url \"http://198.18.2.1:8000\" is also peer \"server1\"'s (line 8)");
	/* url6 counts too: server2's url6 is server1's url */
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000\";"
					 " role = \"standby\"; url6 = \"http://198.18.2.1:8000/\"; } #<\n",
		   "url6 \"http://198.18.2.1:8000/\" is also peer \"server1\"'s");
	/* a missing key: at the block's line */
	expect_err_at(HA(HSM PEERS(P1 "," P2S)), "missing required key 'this-server-name'", 4);
	expect_err_at(HA(NAME1 PEERS(P1 "," P2S)), "missing required key 'mode'", 4);
	expect_err(HA(NAME1 HSM " peers = ( ); #<\n"), "'peers' is empty");
	expect_err(HEAD "high-availability = { #<\n" NAME1 HSM "};\n", "missing required key 'peers'");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\"; } #<\n",
		   "missing required key 'role'");
	HS_PEER2_CASE("  { name = \"server2\"; role = \"standby\"; } #<\n",
		   "missing required key 'url'");
	HS_KEY_CASE(" restrict-commands = true; #<\n",
		   "unknown key 'restrict-commands' in high-availability");
	expect_err(HEAD "high-availability = ( #<\n { " NAME1 HSM PEERS(P1 "," P2S) " },\n { " NAME1 HSM
		   PEERS(P1 "," P2S) " } );\n", "'high-availability' holds one relationship");
	expect_err(HEAD "high-availability = \"on\"; #<\n", "'high-availability' must be a group");
}

/* Roles per mode (Kea's HAConfig::validate). */
static void test_err_roles(void)
{
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S "," "  { name = \"server3\"; url = \"http://198.18.2.3:8000/\";"
					     " role = \"primary\"; } #<\n")),
		   "peer \"server3\" is a second primary (the first: line 8)");
	expect_err(HA(NAME1 LBM PEERS(P1 "," P2L "," "  { name = \"server3\"; url = \"http://198.18.2.3:8000/\";"
					     " role = \"secondary\"; } #<\n")),
		   "peer \"server3\" is a second secondary (the first: line 9)");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S "," "  { name = \"server3\"; url = \"http://198.18.2.3:8000/\";"
					     " role = \"standby\"; } #<\n")),
		   "peer \"server3\" is a second standby (the first: line 9)");
	expect_err(HA(NAME1 " mode = \"load-balancing\"; #<\n" PEERS(P1 "," B3)),
		   "load-balancing needs one primary and one secondary peer");
	expect_err(HA(NAME1 LBM PEERS(P1 "," "  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; } #<\n")),
		   "peer \"server2\": role \"standby\" does not belong in load-balancing");
	expect_err(HA(NAME1 " mode = \"hot-standby\"; #<\n" PEERS(P1 "," B3)),
		   "hot-standby needs one primary and one standby peer");
	expect_err(HA(" this-server-name = \"server2\";\n mode = \"hot-standby\"; #<\n" PEERS(P2S "," B3)),
		   "hot-standby needs one primary and one standby peer");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"secondary\"; } #<\n",
		   "peer \"server2\": role \"secondary\" does not belong in hot-standby");
	expect_err(HA(NAME1 PBM PEERS(P1 "," "  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"secondary\"; } #<\n")),
		   "role \"secondary\" does not belong in passive-backup");
	expect_err(HA(NAME1 PBM PEERS(P1 "," "  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; } #<\n")),
		   "role \"standby\" does not belong in passive-backup");
	expect_err(HA(" this-server-name = \"server3\";\n mode = \"passive-backup\"; #<\n" PEERS(B3)),
		   "passive-backup needs a primary peer");
	expect_err(HA(NAME1 HSM " wait-backup-ack = true; #<\n" PEERS(P1 "," P2S "," B3)),
		   "'wait-backup-ack' must be false in hot-standby");
	expect_err(HA(NAME1 LBM " wait-backup-ack = true; #<\n" PEERS(P1 "," P2L "," B3)),
		   "'wait-backup-ack' must be false in load-balancing");
	HS_KEY_CASE(" delayed-updates-limit = 5; #<\n",
		   "'delayed-updates-limit' must be 0 in hot-standby");
	expect_err(HA(NAME1 PBM " delayed-updates-limit = 5; #<\n" PEERS(P1 "," B3)),
		   "'delayed-updates-limit' must be 0 in passive-backup");
}

static void test_err_urls(void)
{
#define URL_CASE(url, fragment) \
	HS_PEER2_CASE("  { name = \"server2\"; url = \"" url "\"; role = \"standby\"; } #<\n", fragment)
	URL_CASE("https://198.18.2.2:8000/", "TLS is not supported on the HA peer link: use http://");
	URL_CASE("ftp://198.18.2.2:8000/", "\"ftp://198.18.2.2:8000/\" is not http://host:port/");
	URL_CASE("198.18.2.2:8000", "is not http://host:port/");
	URL_CASE("http://198.18.2.2/", "has no port: write http://host:port/");
	URL_CASE("http://198.18.2.2", "has no port");
	URL_CASE("http://peer2:8000/", "the host must be an IPv4 or IPv6 address (as in Kea, not a name)");
	URL_CASE("http://198.18.2:8000/", "the host must be an IPv4 or IPv6 address");
	URL_CASE("http://:8000/", "the host must be an IPv4 or IPv6 address");
	URL_CASE("http://2001:db8::2:8000/", "an IPv6 address is written in brackets");
	URL_CASE("http://[2001:db8::zz]:8000/", "\"2001:db8::zz\" is not an IPv6 address");
	URL_CASE("http://[2001:db8::2:8000/", "no ']' after the IPv6 address");
	URL_CASE("http://[2001:db8::2]/", "has no port");
	URL_CASE("http://198.18.2.2:0/", "the port must be 1..65535");
	URL_CASE("http://198.18.2.2:65536/", "the port must be 1..65535");
	URL_CASE("http://198.18.2.2:/", "the port must be 1..65535");
	URL_CASE("http://198.18.2.2:80x/", "only the path \"/\" is used");
	URL_CASE("http://198.18.2.2:8000/kea", "only the path \"/\" is used");
	URL_CASE("http://u:p@198.18.2.2:8000/", "credentials go in basic-auth-user");
#undef URL_CASE
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\";\n    url6 = \"https://[2001:db8::2]:8001/\"; } #<\n",
		   "'url6' \"https://[2001:db8::2]:8001/\": TLS is not supported");
	HS_PEER2_CASE("  { name = \"server2\"; url = 8000; role = \"standby\"; } #<\n",
		   "'url' must be a string");
	/* TLS keys are refused with the reason, at either level */
	HS_KEY_CASE(" trust-anchor = \"/etc/ca.pem\"; #<\n",
		   "'trust-anchor': TLS is not supported");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; cert-file = \"/c.pem\"; } #<\n",
		   "'cert-file': TLS is not supported");
	HS_KEY_CASE(" multi-threading = { enable-multi-threading = true; }; #<\n",
		   "'multi-threading' is Kea's");
}

static void test_err_auth(void)
{
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; basic-auth-user = \"ha\"; } #<\n",
		   "peer \"server2\" needs both 'basic-auth-user' and 'basic-auth-password', or neither");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; basic-auth-password = \"pw\"; } #<\n",
		   "needs both 'basic-auth-user' and 'basic-auth-password'");
	HS_PEER2_CASE("  { name = \"server2\"; url = \"http://198.18.2.2:8000/\";"
					 " role = \"standby\"; basic-auth-user = \"h:a\"; basic-auth-password = \"pw\"; } #<\n",
		   "'basic-auth-user' must not contain ':'");
}

static void test_err_timers(void)
{
	HS_KEY_CASE(" heartbeat-delay = 0; #<\n",
		   "'heartbeat-delay' must be between 1 and 65535, not 0");
	HS_KEY_CASE(" heartbeat-delay = 70000; #<\n",
		   "'heartbeat-delay' must be between 1 and 65535, not 70000");
	HS_KEY_CASE(" max-response-delay = 65536; #<\n",
		   "'max-response-delay' must be between 1 and 65535");
	HS_KEY_CASE(" max-ack-delay = -1; #<\n",
		   "'max-ack-delay' must be between 0 and 65535");
	HS_KEY_CASE(" heartbeat-delay = 100;\n max-response-delay = 100; #<\n",
		   "max-response-delay (100 ms) must be greater than heartbeat-delay (100 ms)");
	/* only heartbeat-delay written: the error is there */
	HS_KEY_CASE(" heartbeat-delay = 60000; #<\n",
		   "max-response-delay (60000 ms) must be greater than heartbeat-delay (60000 ms)");
	HS_KEY_CASE(" sync-page-limit = 0; #<\n",
		   "'sync-page-limit' must be between 1 and 4294967295, not 0");
	HS_KEY_CASE(" sync-timeout = 0; #<\n",
		   "'sync-timeout' must be between 1");
	HS_KEY_CASE(" max-unacked-clients = \"10\"; #<\n",
		   "'max-unacked-clients' must be an integer");
	HS_KEY_CASE(" sync-leases = 1; #<\n",
		   "'sync-leases' must be true or false");
}

/* 17 peers: the 17th is refused. */
static void test_err_many_peers(void)
{
	char text[8192];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), HEAD "high-availability = {\n" NAME1 HSM " peers = (\n" P1 "," P2S);
	for (int i = 3; i <= 17; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",  { name = \"b%d\"; url = \"http://198.18.3.%d:8000/\";"
				      " role = \"backup\"; }%s\n", i, i, i == 17 ? " #<" : "");
	snprintf(text + n, sizeof(text) - n, " );\n};\n");
	expect_err(text, "at most 16 high-availability peers");
	/* 16 are fine */
	n = (size_t)snprintf(text, sizeof(text), HEAD "high-availability = {\n" NAME1 HSM " peers = (\n" P1 "," P2S);
	for (int i = 3; i <= 16; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",  { name = \"b%d\"; url = \"http://198.18.3.%d:8000/\";"
				      " role = \"backup\"; }\n", i, i);
	snprintf(text + n, sizeof(text) - n, " );\n};\n");
	{
		struct conf *c = load_ok(text);

		if (c) {
			CU_ASSERT_EQUAL(c->ha->n_peers, 16);
			conf_free(c);
		}
	}
}

/* ---------------------------------------------------------------------- */

/* HA_<peer> as client-class: valid for a scope with a class, in both
 * families, and nowhere else. */
static void test_classes(void)
{
	struct conf *c = load_ok(HA(NAME1 LBM PEERS(P1 "," P2L "," B3)) POOL4("HA_server2") POOL6("HA_server1"));

	if (c) {
		const struct conf_ha *ha = c->ha;

		CU_ASSERT(ha->peers[1].class4 >= CLS_ID_FIRST_USER);
		CU_ASSERT_NOT_EQUAL(ha->peers[0].class4, ha->peers[1].class4);
		CU_ASSERT_EQUAL(c->subnets[0].pools[0].client_class, ha->peers[1].class4);
		CU_ASSERT_EQUAL(ha->peers[2].class4, -1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c->v6);
		CU_ASSERT(ha->peers[0].class6 >= CLS_ID_FIRST_USER);
		CU_ASSERT(ha->peers[1].class6 >= CLS_ID_FIRST_USER);
		CU_ASSERT_EQUAL(ha->peers[2].class6, -1);
		CU_ASSERT_EQUAL(c->v6->subnets[0].pools[0].client_class, ha->peers[0].class6);
		CU_ASSERT_EQUAL(ha->peers[1].class6, cls_registry_find(c->v6->reg, "HA_server2"));
		conf_free(c);
	}
	/* the block may come after the pools that name its classes */
	c = load_ok(HEAD "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"eth0\";\n"
		    "  pools = ( { pool = \"198.18.0.10 - 198.18.0.99\"; client-class = \"HA_server1\"; } );\n"
		    "  require-client-classes = [ \"HA_server1\" ]; } );\n"
		    "high-availability = {\n" NAME1 HSM PEERS(P1 "," P2S) "};\n");
	if (c) {
		int id = c->ha->peers[0].class4;

		CU_ASSERT_EQUAL(c->subnets[0].pools[0].client_class, id);
		CU_ASSERT_TRUE(cls_set_has(&c->subnets[0].require, (unsigned)id));
		conf_free(c);
	}
	/* a class of that name the user defines, when HA does not own the name */
	c = load_ok(HEAD "client-classes = ( { name = \"HA_lab\"; } );\n"
		    POOL4("HA_lab"));
	if (c) {
		CU_ASSERT(cls_registry_defined(c->policy->reg, (unsigned)c->subnets[0].pools[0].client_class));
		conf_free(c);
	}

	expect_err(HA(NAME1 LBM PEERS(P1 "," P2L "," B3)) POOL4("HA_server9"),
		   "'client-class': \"HA_server9\": high-availability has no peer \"server9\"");
	expect_err(HEAD POOL4("HA_server1"),
		   "'client-class': \"HA_server1\" is a high-availability scope class, and there is no "
		   "high-availability block");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)) POOL4("HA_server2"),
		   "'client-class': \"HA_server2\" is never assigned: every client is in the primary's scope");
	expect_err(HA(NAME1 LBM PEERS(P1 "," P2L "," B3)) POOL4("HA_server3"),
		   "\"HA_server3\" is never assigned: a backup serves no scope of its own");
	expect_err(HA(NAME1 LBM PEERS(P1 "," P2L "," B3)) POOL6("HA_server9"),
		   "\"HA_server9\": high-availability has no peer \"server9\"");
	expect_err(HEAD POOL6("HA_server1"), "is a high-availability scope class, and there is no");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)) "client-classes = (\n { name = \"HA_server1\"; } #<\n);\n",
		   "client class \"HA_server1\" is high-availability's (the scope class of peer \"server1\"): "
		   "it cannot be defined");
	expect_err(HA(NAME1 HSM PEERS(P1 "," P2S)) "dhcp6 = { client-classes = (\n { name = \"HA_server2\"; } #<\n); };\n",
		   "client class \"HA_server2\" is high-availability's");
}

int main(void)
{
	static const struct conf_test_case cases[] = {
		{ "values read back", test_values },
		{ "defaults per mode", test_defaults },
		{ "names", test_names },
		{ "the example pair loads", test_example_pair },
		{ "equal for reload", test_equal },
		{ "errors: names, keys, duplicates", test_err_names },
		{ "errors: roles per mode", test_err_roles },
		{ "errors: URLs and TLS", test_err_urls },
		{ "errors: basic auth", test_err_auth },
		{ "errors: timers and limits", test_err_timers },
		{ "errors: too many peers", test_err_many_peers },
		{ "HA_<peer> classes", test_classes },
	};

	return conf_test_run("conf_ha", cases, sizeof(cases) / sizeof(cases[0]));
}
