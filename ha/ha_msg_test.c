/* Kea 2.2's HA messages (ha_msg.c) against what two Kea 2.2 servers sent
 * each other on this machine (../shared/kea-ha-wire.md): the builders
 * give the same JSON (names, types, values; key order is free), the
 * parsers read Kea's answers and commands, and a lease survives record ->
 * JSON -> record unchanged. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "ha_msg.h"

/* ---- verbatim from kea-ha-wire.md --------------------------------------- */

static const char k_heartbeat[] =
	"{ \"command\": \"ha-heartbeat\", \"service\": [ \"dhcp4\" ] }";
static const char k_heartbeat_answer[] =
	"[ { \"arguments\": { \"date-time\": \"Mon, 07 Dec 2026 03:15:26 GMT\", \"scopes\": [  ], "
	"\"state\": \"waiting\", \"unsent-update-count\": 0 }, \"result\": 0, \"text\": \"HA peer "
	"status returned.\" } ]";
static const char k_heartbeat_answer_hs[] =
	"[ { \"arguments\": { \"date-time\": \"Mon, 07 Dec 2026 03:15:30 GMT\", \"scopes\": [ "
	"\"server1\" ], \"state\": \"hot-standby\", \"unsent-update-count\": 0 }, \"result\": 0, "
	"\"text\": \"HA peer status returned.\" } ]";
static const char k_disable[] =
	"{ \"arguments\": { \"max-period\": 10, \"origin\": \"ha-partner\" }, \"command\": "
	"\"dhcp-disable\", \"service\": [ \"dhcp4\" ] }";
static const char k_disable_answer[] =
	"[ { \"result\": 0, \"text\": \"DHCPv4 service disabled for 10 seconds\" } ]";
static const char k_get_page[] =
	"{ \"arguments\": { \"from\": \"start\", \"limit\": 4 }, \"command\": \"lease4-get-page\", "
	"\"service\": [ \"dhcp4\" ] }";
static const char k_get_page_answer[] =
	"[ { \"arguments\": { \"count\": 0, \"leases\": [  ] }, \"result\": 3, \"text\": \"0 IPv4 "
	"lease(s) found.\" } ]";
static const char k_sync_complete[] =
	"{ \"command\": \"ha-sync-complete-notify\", \"service\": [ \"dhcp4\" ] }";
static const char k_update[] =
	"{ \"arguments\": { \"expire\": 1796613933, \"force-create\": true, \"fqdn-fwd\": false, "
	"\"fqdn-rev\": false, \"hostname\": \"\", \"hw-address\": \"02:00:c6:12:01:21\", "
	"\"ip-address\": \"198.18.1.100\", \"state\": 0, \"subnet-id\": 1, \"valid-lft\": 600 }, "
	"\"command\": \"lease4-update\", \"service\": [ \"dhcp4\" ] }";
static const char k_update_answer[] = "[ { \"result\": 0, \"text\": \"IPv4 lease added.\" } ]";
static const char k_del[] =
	"{ \"arguments\": { \"expire\": 1796613933, \"fqdn-fwd\": false, \"fqdn-rev\": false, "
	"\"hostname\": \"\", \"hw-address\": \"02:00:c6:12:01:21\", \"ip-address\": "
	"\"198.18.1.100\", \"state\": 0, \"subnet-id\": 1, \"valid-lft\": 600 }, \"command\": "
	"\"lease4-del\", \"service\": [ \"dhcp4\" ] }";

/* ---- helpers ----------------------------------------------------------- */

#define ANSWER(s, a)  ha_msg_parse_answer(s, strlen(s), a, err, sizeof(err))
#define COMMAND(s, c) ha_msg_parse_command(s, strlen(s), c, err, sizeof(err))

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fprintf(stderr, "bad test JSON: %s\n", e.text);
	return j;
}

/* The message built equals the JSON text (jansson compares objects
 * member by member, types included: 600 is not 600.0 nor "600"). */
static void check_same(json_t *built, const char *golden)
{
	json_t *g = load(golden);

	CU_ASSERT_PTR_NOT_NULL_FATAL(built);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	if (!json_equal(built, g)) {
		char *b = ha_msg_text(built);

		fprintf(stderr, "\nbuilt:  %s\nwanted: %s\n", b, golden);
		free(b);
	}
	CU_ASSERT_TRUE(json_equal(built, g));
	json_decref(g);
	json_decref(built);
}

/* The lease of the captured lease4-update. */
static void captured_lease(struct lease_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->addr = 0xc6120164;                  /* 198.18.1.100 */
	r->subnet_id = 1;
	r->expire = 1796613933;
	r->valid_lft = 600;
	r->htype = 1;
	r->hwaddr_len = 6;
	memcpy(r->hwaddr, "\x02\x00\xc6\x12\x01\x21", 6);
}

/* ---- requests ---------------------------------------------------------- */

static void test_requests_as_kea(void)
{
	struct lease_rec r;
	char *text;
	json_t *m;

	check_same(ha_msg_heartbeat(4), k_heartbeat);
	check_same(ha_msg_dhcp_disable(4, 10), k_disable);
	check_same(ha_msg_lease4_get_page(NULL, 4), k_get_page);
	check_same(ha_msg_sync_complete_notify(4), k_sync_complete);
	captured_lease(&r);
	check_same(ha_msg_lease4_update(&r), k_update);
	check_same(ha_msg_lease4_del(&r), k_del);

	/* the other commands Kea 2.2's CommandCreator makes */
	check_same(ha_msg_dhcp_enable(6),
		   "{\"command\": \"dhcp-enable\", \"service\": [\"dhcp6\"], "
		   "\"arguments\": {\"origin\": \"ha-partner\"}}");
	check_same(ha_msg_dhcp_disable(4, 0),
		   "{\"command\": \"dhcp-disable\", \"service\": [\"dhcp4\"], "
		   "\"arguments\": {\"origin\": \"ha-partner\"}}");
	check_same(ha_msg_ha_reset(4), "{\"command\": \"ha-reset\", \"service\": [\"dhcp4\"]}");
	check_same(ha_msg_maintenance_notify(6, true),
		   "{\"command\": \"ha-maintenance-notify\", \"service\": [\"dhcp6\"], "
		   "\"arguments\": {\"cancel\": true}}");
	check_same(ha_msg_maintenance_notify(4, false),
		   "{\"command\": \"ha-maintenance-notify\", \"service\": [\"dhcp4\"], "
		   "\"arguments\": {\"cancel\": false}}");
	{
		uint32_t from = 0xc6120167;    /* the last address of the page before */

		check_same(ha_msg_lease4_get_page(&from, 4),
			   "{\"command\": \"lease4-get-page\", \"service\": [\"dhcp4\"], "
			   "\"arguments\": {\"from\": \"198.18.1.103\", \"limit\": 4}}");
	}
	{
		uint8_t b[16];
		struct lease_addr6 a;

		inet_pton(AF_INET6, "2001:db8::1:5", b);
		a = lease_addr6_load(b);
		check_same(ha_msg_lease6_get_page(&a, 500),
			   "{\"command\": \"lease6-get-page\", \"service\": [\"dhcp6\"], "
			   "\"arguments\": {\"from\": \"2001:db8::1:5\", \"limit\": 500}}");
		check_same(ha_msg_lease6_get_page(NULL, 2),
			   "{\"command\": \"lease6-get-page\", \"service\": [\"dhcp6\"], "
			   "\"arguments\": {\"from\": \"start\", \"limit\": 2}}");
	}
	CU_ASSERT_PTR_NULL(ha_msg_lease4_get_page(NULL, 0));

	/* the body text is compact JSON that reads back the same */
	m = ha_msg_heartbeat(4);
	text = ha_msg_text(m);
	CU_ASSERT_STRING_EQUAL(text, "{\"command\":\"ha-heartbeat\",\"service\":[\"dhcp4\"]}");
	free(text);
	json_decref(m);
}

/* ---- answers ------------------------------------------------------------ */

static void test_heartbeat_answer(void)
{
	struct ha_answer a;
	struct ha_heartbeat hb;
	char err[160];

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_answer(k_heartbeat_answer, strlen(k_heartbeat_answer),
						  &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.result, 0);
	CU_ASSERT_STRING_EQUAL(a.text, "HA peer status returned.");
	CU_ASSERT_EQUAL_FATAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(hb.state, "waiting");
	CU_ASSERT_EQUAL(hb.date_time, 1796613326);   /* date -u -d '...' +%s */
	CU_ASSERT_EQUAL(hb.n_scopes, 0);
	CU_ASSERT_TRUE(hb.has_unsent);
	CU_ASSERT_EQUAL(hb.unsent_update_count, 0);
	ha_answer_free(&a);

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_answer(k_heartbeat_answer_hs,
						  strlen(k_heartbeat_answer_hs), &a, err,
						  sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(hb.state, "hot-standby");
	CU_ASSERT_EQUAL(hb.date_time, 1796613330);
	CU_ASSERT_EQUAL_FATAL(hb.n_scopes, 1);
	CU_ASSERT_STRING_EQUAL(hb.scopes[0], "server1");
	ha_answer_free(&a);

	/* an older peer without unsent-update-count; a failed one; a bad date */
	CU_ASSERT_EQUAL(ANSWER("[{\"result\":0,\"arguments\":{\"state\":\"ready\","
			       "\"date-time\":\"Mon, 07 Dec 2026 03:15:26 GMT\"}}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(hb.has_unsent);
	CU_ASSERT_STRING_EQUAL(hb.state, "ready");
	ha_answer_free(&a);
	CU_ASSERT_EQUAL(ANSWER("[{\"result\":1,\"text\":\"no\"}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no"));
	ha_answer_free(&a);
	CU_ASSERT_EQUAL(ANSWER("[{\"result\":0,\"arguments\":{\"state\":\"ready\","
			       "\"date-time\":\"yesterday\"}}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), -1);
	ha_answer_free(&a);
}

static void test_answers(void)
{
	struct ha_answer a;
	struct lease_rec *v;
	char err[160];

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_answer(k_disable_answer, strlen(k_disable_answer), &a,
						  err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.result, 0);
	CU_ASSERT_STRING_EQUAL(a.text, "DHCPv4 service disabled for 10 seconds");
	CU_ASSERT_PTR_NULL(a.args);
	ha_answer_free(&a);

	/* result 3: the empty page */
	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_answer(k_get_page_answer, strlen(k_get_page_answer),
						  &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.result, HA_RESULT_EMPTY);
	CU_ASSERT_EQUAL(ha_msg_lease4_page(&a, &v, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(v);
	ha_answer_free(&a);

	/* a bare object is taken too; not JSON, an empty list, no result are not */
	CU_ASSERT_EQUAL(ANSWER("{\"result\": 2, \"text\": \"x\"}", &a), 0);
	CU_ASSERT_EQUAL(a.result, 2);
	ha_answer_free(&a);
	CU_ASSERT_EQUAL(ANSWER("[ { \"result\": 0", &a), -1);
	CU_ASSERT_PTR_NULL(a.root);
	CU_ASSERT_EQUAL(ANSWER("[]", &a), -1);
	CU_ASSERT_EQUAL(ANSWER("[{\"text\":\"x\"}]", &a), -1);
	CU_ASSERT_EQUAL(ANSWER("[{\"result\":\"0\"}]", &a), -1);
	CU_ASSERT_EQUAL(ANSWER("[7]", &a), -1);
	CU_ASSERT_PTR_NULL(a.root);

	/* the serving side's answers */
	check_same(ha_msg_answer(0, "IPv4 lease added.", NULL), k_update_answer);
	check_same(ha_msg_answer(0, "HA peer status returned.",
				 ha_msg_heartbeat_args("waiting", NULL, 0, 1796613326, 0)),
		   k_heartbeat_answer);
	{
		const char *sc[] = { "server1" };

		check_same(ha_msg_answer(0, "HA peer status returned.",
					 ha_msg_heartbeat_args("hot-standby", sc, 1, 1796613330, 0)),
			   k_heartbeat_answer_hs);
	}
}

/* A page as lease_cmds answers it: each lease in toElement()'s form,
 * with "cltt" (expire - valid-lft), and a client-id where the lease has one. */
static void test_page_of_leases(void)
{
	static const char page[] =
		"[ { \"arguments\": { \"count\": 2, \"leases\": [ "
		"{ \"client-id\": \"01:02:00:c6:12:01:21\", \"cltt\": 1796613333, \"fqdn-fwd\": false, "
		"\"fqdn-rev\": false, \"hostname\": \"host-a\", \"hw-address\": \"02:00:c6:12:01:21\", "
		"\"ip-address\": \"198.18.1.100\", \"state\": 0, \"subnet-id\": 1, \"valid-lft\": 600 }, "
		"{ \"cltt\": 1796613000, \"fqdn-fwd\": true, \"fqdn-rev\": true, \"hostname\": "
		"\"b.example.org\", \"hw-address\": \"\", \"ip-address\": \"198.18.1.101\", \"state\": 1, "
		"\"subnet-id\": 1, \"valid-lft\": 3600 } ] }, \"result\": 0, \"text\": \"2 IPv4 lease(s) "
		"found.\" } ]";
	struct ha_answer a;
	struct lease_rec *v, want;
	char err[160];
	json_t *j;

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_answer(page, strlen(page), &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(ha_msg_lease4_page(&a, &v, err, sizeof(err)), 2);
	captured_lease(&want);
	want.cid_len = 7;
	memcpy(want.cid, "\x01\x02\x00\xc6\x12\x01\x21", 7);
	want.hostname_len = 6;
	strcpy(want.hostname, "host-a");
	CU_ASSERT_EQUAL(memcmp(&v[0], &want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(v[1].addr, 0xc6120165);
	CU_ASSERT_EQUAL(v[1].expire, 1796613000 + 3600);
	CU_ASSERT_EQUAL(v[1].state, 1);
	CU_ASSERT_EQUAL(v[1].hwaddr_len, 0);
	CU_ASSERT_EQUAL(v[1].fqdn_fwd, 1);
	CU_ASSERT_STRING_EQUAL(v[1].hostname, "b.example.org");
	/* and back: the same objects */
	j = ha_msg_lease4_json(&v[0], false);
	CU_ASSERT_TRUE(json_equal(j, json_array_get(json_object_get(a.args, "leases"), 0)));
	json_decref(j);
	j = ha_msg_lease4_json(&v[1], false);
	CU_ASSERT_TRUE(json_equal(j, json_array_get(json_object_get(a.args, "leases"), 1)));
	json_decref(j);
	free(v);
	ha_answer_free(&a);

	/* a failed page, and a page with a broken lease */
	CU_ASSERT_EQUAL(ANSWER("[{\"result\":1,\"text\":\"bad\"}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_lease4_page(&a, &v, err, sizeof(err)), -1);
	ha_answer_free(&a);
	CU_ASSERT_EQUAL(ANSWER("[{\"result\":0,\"arguments\":{\"leases\":[{\"ip-address\":"
			       "\"198.18.1.1\"}]}}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_lease4_page(&a, &v, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(v);
	ha_answer_free(&a);
}

/* ---- the serving side: incoming commands ------------------------------- */

static void test_incoming_update(void)
{
	struct ha_cmd c;
	struct lease_rec r, want;
	char err[160];

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_command(k_update, strlen(k_update), &c, err,
						   sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.command, "lease4-update");
	CU_ASSERT_EQUAL(c.fam, 4);
	CU_ASSERT_EQUAL_FATAL(ha_msg_lease4_from_json(c.args, true, 0, &r, err, sizeof(err)), 0);
	captured_lease(&want);
	CU_ASSERT_EQUAL(memcmp(&r, &want, sizeof(r)), 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(c.args, "force-create")));
	ha_cmd_free(&c);

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_command(k_del, strlen(k_del), &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.command, "lease4-del");
	CU_ASSERT_EQUAL_FATAL(ha_msg_lease4_from_json(c.args, false, 0, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&r, &want, sizeof(r)), 0);
	ha_cmd_free(&c);

	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_command(k_heartbeat, strlen(k_heartbeat), &c, err,
						   sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.command, "ha-heartbeat");
	CU_ASSERT_PTR_NULL(c.args);
	ha_cmd_free(&c);

	/* what a command must look like */
	CU_ASSERT_EQUAL(COMMAND("{\"command\":1}", &c), -1);
	CU_ASSERT_EQUAL(COMMAND("[]", &c), -1);
	CU_ASSERT_EQUAL(COMMAND("{\"command\":\"x\",\"service\":[\"dhcp5\"]}", &c), -1);
	CU_ASSERT_EQUAL(COMMAND("{\"command\":\"x\",\"arguments\":[]}", &c), -1);
	CU_ASSERT_EQUAL(COMMAND("{\"command\":\"x\"}", &c), 0);
	CU_ASSERT_EQUAL(c.fam, 0);
	ha_cmd_free(&c);
}

static void test_lease4_checks(void)
{
	struct lease_rec r;
	char err[160];
	json_t *l;

	/* each broken field is refused with its name in the text */
	static const struct {
		const char *json, *word;
	} bad[] = {
		{ "{\"hw-address\":\"02:00:00:00:00:01\",\"valid-lft\":600}", "ip-address" },
		{ "{\"ip-address\":\"198.18.1.300\",\"hw-address\":\"02\",\"valid-lft\":6}", "ip-address" },
		{ "{\"ip-address\":\"198.18.1.3\",\"valid-lft\":600}", "hw-address" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"0x:01\",\"valid-lft\":6}", "hw-address" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"02\"}", "valid-lft" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"02\",\"valid-lft\":-1}", "valid-lft" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"02\",\"valid-lft\":6,\"state\":3}", "state" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"02\",\"valid-lft\":6,\"fqdn-fwd\":1}", "fqdn-fwd" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"02\",\"valid-lft\":6,\"subnet-id\":\"1\"}", "subnet-id" },
		{ "{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"02\",\"valid-lft\":6,\"expire\":4294967296}", "expire" },
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = load(bad[i].json);
		err[0] = '\0';
		CU_ASSERT_EQUAL(ha_msg_lease4_from_json(l, true, 1000, &r, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].word))
			fprintf(stderr, "\ncase %u: \"%s\" lacks %s\n", i, err, bad[i].word);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].word));
		json_decref(l);
	}

	/* no expire, no cltt: from now; hex without separators; short groups */
	l = load("{\"ip-address\":\"198.18.1.3\",\"hw-address\":\"0200c6120121\",\"valid-lft\":60,"
		 "\"client-id\":\"1:2:3\"}");
	CU_ASSERT_EQUAL(ha_msg_lease4_from_json(l, true, 1000, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.expire, 1060);
	CU_ASSERT_EQUAL(r.hwaddr_len, 6);
	CU_ASSERT_EQUAL(r.hwaddr[5], 0x21);
	CU_ASSERT_EQUAL(r.cid_len, 3);
	CU_ASSERT_EQUAL(r.cid[2], 3);
	json_decref(l);
}

/* A record -> lease4-update -> record is the same record, including a
 * client-id, a hostname and the fqdn flags. */
static void test_lease4_round_trip(void)
{
	struct lease_rec r, back;
	struct ha_cmd c;
	char err[160], *text;
	json_t *m;

	captured_lease(&r);
	r.cid_len = 9;
	memcpy(r.cid, "\x01\x02\x00\xc6\x12\x01\x21\xff\x00", 9);
	r.hostname_len = 12;
	memcpy(r.hostname, "client-1.lan", 12);
	r.fqdn_fwd = 1;
	r.state = LEASE_STATE_DECLINED;
	r.subnet_id = 4000000000u;
	r.valid_lft = 4294967295u;
	r.expire = 4294967295u;
	m = ha_msg_lease4_update(&r);
	text = ha_msg_text(m);
	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_command(text, strlen(text), &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ha_msg_lease4_from_json(c.args, true, 0, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&r, &back, sizeof(r)), 0);
	ha_cmd_free(&c);
	free(text);
	json_decref(m);

	/* a 64-byte name (no NUL in the field) comes back whole; a longer one
	 * from a peer is cut at a UTF-8 character boundary */
	captured_lease(&r);
	memset(r.hostname, 'h', sizeof(r.hostname));
	r.hostname_len = sizeof(r.hostname);
	m = ha_msg_lease4_json(&r, true);
	CU_ASSERT_EQUAL(ha_msg_lease4_from_json(m, true, 0, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&r, &back, sizeof(r)), 0);
	json_object_set_new(m, "hostname", json_string("hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
							"\xc3\xa9tail"));
	CU_ASSERT_EQUAL(ha_msg_lease4_from_json(m, true, 0, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.hostname_len, 63);
	CU_ASSERT_EQUAL(back.hostname[63], '\0');
	json_decref(m);
	/* raw bytes that are not UTF-8 still make JSON */
	captured_lease(&r);
	r.hostname_len = 3;
	memcpy(r.hostname, "a\xffz", 3);
	m = ha_msg_lease4_json(&r, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "hostname")), "a?z");
	json_decref(m);
}

/* ---- DHCPv6 ------------------------------------------------------------ */

static void lease6_of(struct lease6_rec *r, const char *ip, uint8_t type, uint8_t plen)
{
	uint8_t b[16];

	memset(r, 0, sizeof(*r));
	inet_pton(AF_INET6, ip, b);
	r->addr = lease_addr6_load(b);
	r->type = type;
	r->prefix_len = plen;
	r->duid_len = 14;
	memcpy(r->duid, "\x00\x01\x00\x01\x2a\x3b\x4c\x5d\x02\x00\xc6\x12\x01\x21", 14);
	r->iaid = 0x01020304;
	r->subnet_id = 7;
	r->valid_lft = 4000;
	r->pref_lft = 3000;
	r->expire = 1796613933;
}

static void test_lease6_messages(void)
{
	struct lease6_rec na, pd, back;
	struct ha_cmd c;
	char err[160], *text;
	json_t *m, *l;
	size_t i;

	/* Kea's Lease6::toElement names, "expire" for "cltt", force-create */
	lease6_of(&na, "2001:db8:1::100", LEASE6_TYPE_NA, 128);
	na.hwaddr_len = 6;
	na.hwtype = 1;
	memcpy(na.hwaddr, "\x02\x00\xc6\x12\x01\x21", 6);
	check_same(ha_msg_lease6_update(&na),
		   "{\"command\": \"lease6-update\", \"service\": [\"dhcp6\"], \"arguments\": {"
		   "\"ip-address\": \"2001:db8:1::100\", \"type\": \"IA_NA\", \"iaid\": 16909060, "
		   "\"duid\": \"00:01:00:01:2a:3b:4c:5d:02:00:c6:12:01:21\", \"subnet-id\": 7, "
		   "\"expire\": 1796613933, \"preferred-lft\": 3000, \"valid-lft\": 4000, "
		   "\"fqdn-fwd\": false, \"fqdn-rev\": false, \"hostname\": \"\", "
		   "\"hw-address\": \"02:00:c6:12:01:21\", \"state\": 0, \"force-create\": true}}");
	lease6_of(&pd, "2001:db8:8:100::", LEASE6_TYPE_PD, 56);
	check_same(ha_msg_lease6_del(&pd),
		   "{\"command\": \"lease6-del\", \"service\": [\"dhcp6\"], \"arguments\": {"
		   "\"ip-address\": \"2001:db8:8:100::\", \"type\": \"IA_PD\", \"prefix-len\": 56, "
		   "\"iaid\": 16909060, \"duid\": \"00:01:00:01:2a:3b:4c:5d:02:00:c6:12:01:21\", "
		   "\"subnet-id\": 7, \"expire\": 1796613933, \"preferred-lft\": 3000, "
		   "\"valid-lft\": 4000, \"fqdn-fwd\": false, \"fqdn-rev\": false, "
		   "\"hostname\": \"\", \"state\": 0}}");

	/* round trips through the text, NA with a hardware address and PD */
	m = ha_msg_lease6_update(&na);
	text = ha_msg_text(m);
	CU_ASSERT_EQUAL_FATAL(ha_msg_parse_command(text, strlen(text), &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.fam, 6);
	CU_ASSERT_EQUAL(ha_msg_lease6_from_json(c.args, true, 0, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&na, &back, sizeof(na)), 0);
	ha_cmd_free(&c);
	free(text);
	json_decref(m);
	pd.fqdn_rev = 1;
	pd.hostname_len = 4;
	memcpy(pd.hostname, "cpe7", 4);
	l = ha_msg_lease6_json(&pd, false);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(l, "cltt"));
	CU_ASSERT_PTR_NULL(json_object_get(l, "expire"));
	CU_ASSERT_EQUAL(ha_msg_lease6_from_json(l, true, 0, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&pd, &back, sizeof(pd)), 0);
	json_decref(l);
	/* a declined address: Kea's empty DUID "00" */
	na.duid_len = 0;
	memset(na.duid, 0, sizeof(na.duid));
	na.state = LEASE_STATE_DECLINED;
	l = ha_msg_lease6_json(&na, true);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(l, "duid")), "00");
	CU_ASSERT_EQUAL(ha_msg_lease6_from_json(l, true, 0, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&na, &back, sizeof(na)), 0);
	json_decref(l);

	/* lease6-bulk-apply: Kea 2.2's v6 update, two lists of leases */
	m = ha_msg_lease6_bulk_apply(&na, 1, &pd, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "command")), "lease6-bulk-apply");
	l = json_object_get(m, "arguments");
	CU_ASSERT_EQUAL(json_object_size(l), 2);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(l, "leases")), 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(l, "deleted-leases")), 1);
	{
		json_t *list = json_object_get(l, "deleted-leases"), *e;

		json_array_foreach(list, i, e) {
			CU_ASSERT_EQUAL(ha_msg_lease6_from_json(e, true, 0, &back, err, sizeof(err)), 0);
			CU_ASSERT_EQUAL(memcmp(&pd, &back, sizeof(pd)), 0);
			CU_ASSERT_PTR_NULL(json_object_get(e, "force-create"));
		}
	}
	json_decref(m);

	/* its answer (lease_cmds' createFailedLeaseMap entries) */
	{
		static const char ans[] =
			"[ { \"arguments\": { \"failed-leases\": [ { \"error-message\": \"busy\", "
			"\"ip-address\": \"2001:db8:1::100\", \"result\": 1, \"type\": \"IA_NA\" } ] }, "
			"\"result\": 0, \"text\": \"Bulk apply of 1 IPv6 leases completed.\" } ]";
		struct ha_answer a;

		CU_ASSERT_EQUAL_FATAL(ha_msg_parse_answer(ans, strlen(ans), &a, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(ha_msg_bulk_apply_failed(&a, err, sizeof(err)), 1);
		ha_answer_free(&a);
		CU_ASSERT_EQUAL_FATAL(ANSWER("[{\"result\":0}]", &a), 0);
		CU_ASSERT_EQUAL(ha_msg_bulk_apply_failed(&a, err, sizeof(err)), 0);
		ha_answer_free(&a);
	}

	/* refusals: a v4 address, an unknown type, PD without its length */
	l = load("{\"ip-address\":\"198.18.1.1\",\"duid\":\"01:02:03\",\"iaid\":1,\"valid-lft\":5}");
	CU_ASSERT_EQUAL(ha_msg_lease6_from_json(l, true, 0, &back, err, sizeof(err)), -1);
	json_decref(l);
	l = load("{\"ip-address\":\"2001:db8::1\",\"duid\":\"01:02:03\",\"iaid\":1,\"valid-lft\":5,"
		 "\"type\":\"IA_XX\"}");
	CU_ASSERT_EQUAL(ha_msg_lease6_from_json(l, true, 0, &back, err, sizeof(err)), -1);
	json_decref(l);
	l = load("{\"ip-address\":\"2001:db8::\",\"duid\":\"01:02:03\",\"iaid\":1,\"valid-lft\":5,"
		 "\"type\":\"IA_PD\"}");
	CU_ASSERT_EQUAL(ha_msg_lease6_from_json(l, true, 0, &back, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "prefix-len"));
	json_decref(l);
}

/* Peregrine's lease4-bulk-apply, its answer's failed lists, and the
 * heartbeat capability key. */
static void test_bulk_apply4(void)
{
	struct lease_rec r[2], back;
	struct ha_failed_lease fl[4];
	struct ha_answer a;
	struct ha_heartbeat hb;
	char err[160];
	json_t *m, *l, *e;
	size_t i;

	captured_lease(&r[0]);
	captured_lease(&r[1]);
	r[1].addr++;
	m = ha_msg_lease4_bulk_apply(r, 2, NULL, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "command")), "lease4-bulk-apply");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(m, "service"), 0)),
			       "dhcp4");
	l = json_object_get(m, "arguments");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(l, "deleted-leases")), 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(l, "leases")), 2);
	json_array_foreach(json_object_get(l, "leases"), i, e) {
		CU_ASSERT_EQUAL(ha_msg_lease4_from_json(e, true, 0, &back, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(memcmp(&r[i], &back, sizeof(back)), 0);
		CU_ASSERT_PTR_NOT_NULL(json_object_get(e, "expire"));   /* the HA form */
	}
	json_decref(m);
	m = ha_msg_lease4_bulk_apply(NULL, 0, &r[1], 1);
	l = json_object_get(m, "arguments");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(l, "leases")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
		json_object_get(l, "deleted-leases"), 0), "ip-address")), "198.18.1.101");
	json_decref(m);

	/* which failed: a refused update, a refused delete; a delete not
	 * found (3) is no failure */
	static const char ans[] =
		"[{\"result\":0,\"text\":\"Bulk apply of 1 IPv4 leases completed.\",\"arguments\":{"
		"\"failed-leases\":[{\"ip-address\":\"198.18.1.7\",\"result\":1,"
		"\"error-message\":\"no subnet\"}],"
		"\"failed-deleted-leases\":[{\"ip-address\":\"198.18.1.8\",\"result\":3},"
		"{\"ip-address\":\"198.18.1.9\",\"result\":1}]}}]";
	CU_ASSERT_EQUAL_FATAL(ANSWER(ans, &a), 0);
	CU_ASSERT_EQUAL_FATAL(ha_msg_bulk_apply_failures(&a, 4, fl, 4, err, sizeof(err)), 2);
	CU_ASSERT_EQUAL(fl[0].addr4, 0xc6120107u);
	CU_ASSERT_FALSE(fl[0].deleted);
	CU_ASSERT_EQUAL(fl[0].result, 1);
	CU_ASSERT_EQUAL(fl[1].addr4, 0xc6120109u);
	CU_ASSERT_TRUE(fl[1].deleted);
	/* fewer slots than failures: the count still says how many */
	CU_ASSERT_EQUAL(ha_msg_bulk_apply_failures(&a, 4, fl, 1, err, sizeof(err)), 2);
	ha_answer_free(&a);
	/* Kea's v6 answer: only a not-found delete, result 3 (nothing applied) */
	CU_ASSERT_EQUAL_FATAL(ANSWER("[{\"result\":3,\"arguments\":{\"failed-deleted-leases\":"
				     "[{\"ip-address\":\"2001:db8:1::5\",\"type\":\"IA_NA\","
				     "\"result\":3}]}}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_bulk_apply_failures(&a, 6, fl, 4, err, sizeof(err)), 0);
	ha_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(ANSWER("[{\"result\":0,\"arguments\":{\"failed-leases\":"
				     "[{\"ip-address\":\"2001:db8:1::6\",\"result\":1}]}}]", &a), 0);
	CU_ASSERT_EQUAL_FATAL(ha_msg_bulk_apply_failures(&a, 6, fl, 4, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(fl[0].addr6.hi, 0x20010db800010000ull);
	CU_ASSERT_EQUAL(fl[0].addr6.lo, 6);
	ha_answer_free(&a);
	/* a failed result, an entry without an address: -1 */
	CU_ASSERT_EQUAL_FATAL(ANSWER("[{\"result\":1,\"text\":\"bad\"}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_bulk_apply_failures(&a, 4, fl, 4, err, sizeof(err)), -1);
	ha_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(ANSWER("[{\"result\":0,\"arguments\":{\"failed-leases\":"
				     "[{\"result\":1}]}}]", &a), 0);
	CU_ASSERT_EQUAL(ha_msg_bulk_apply_failures(&a, 4, fl, 4, err, sizeof(err)), -1);
	ha_answer_free(&a);

	/* the capability: absent in Kea's answer, true in ours */
	CU_ASSERT_EQUAL_FATAL(ANSWER(k_heartbeat_answer_hs, &a), 0);
	CU_ASSERT_EQUAL_FATAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(hb.bulk_apply);
	ha_answer_free(&a);
	l = ha_msg_heartbeat_args("hot-standby", NULL, 0, 1796613330, 7);
	CU_ASSERT_EQUAL_FATAL(ha_msg_heartbeat_bulk(l), 0);
	CU_ASSERT(json_is_true(json_object_get(l, HA_MSG_BULK_KEY)));
	m = ha_msg_answer(0, "HA peer status returned.", l);
	char *t = ha_msg_text(m);
	CU_ASSERT_EQUAL_FATAL(ANSWER(t, &a), 0);
	CU_ASSERT_EQUAL_FATAL(ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(hb.bulk_apply);
	CU_ASSERT_EQUAL(hb.unsent_update_count, 7);
	ha_answer_free(&a);
	free(t);
	json_decref(m);
}

static void test_http_dates(void)
{
	int64_t t;
	char buf[32];

	CU_ASSERT_EQUAL(ha_msg_parse_http_date("Mon, 07 Dec 2026 03:15:26 GMT", &t), 0);
	CU_ASSERT_EQUAL(t, 1796613326);
	ha_msg_format_http_date(t, buf);
	CU_ASSERT_STRING_EQUAL(buf, "Mon, 07 Dec 2026 03:15:26 GMT");
	CU_ASSERT_EQUAL(ha_msg_parse_http_date("Monday, 07-Dec-26 03:15:26 GMT", &t), 0);
	CU_ASSERT_EQUAL(t, 1796613326);
	CU_ASSERT_EQUAL(ha_msg_parse_http_date("Mon Dec  7 03:15:26 2026", &t), 0);
	CU_ASSERT_EQUAL(t, 1796613326);
	CU_ASSERT_NOT_EQUAL(ha_msg_parse_http_date("Mon, 07 Dec 2026 03:15:26 CET", &t), 0);
	CU_ASSERT_NOT_EQUAL(ha_msg_parse_http_date("Mon, 07 Dec 2026", &t), 0);
	CU_ASSERT_NOT_EQUAL(ha_msg_parse_http_date("", &t), 0);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_msg", NULL, NULL);
	CU_add_test(s, "requests as Kea 2.2 sends them", test_requests_as_kea);
	CU_add_test(s, "ha-heartbeat answers", test_heartbeat_answer);
	CU_add_test(s, "answers", test_answers);
	CU_add_test(s, "a page of leases", test_page_of_leases);
	CU_add_test(s, "incoming lease4-update and -del", test_incoming_update);
	CU_add_test(s, "lease4 argument checks", test_lease4_checks);
	CU_add_test(s, "lease4 round trip", test_lease4_round_trip);
	CU_add_test(s, "lease6 messages", test_lease6_messages);
	CU_add_test(s, "lease4-bulk-apply, failed leases, bulk capability", test_bulk_apply4);
	CU_add_test(s, "HTTP dates", test_http_dates);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
