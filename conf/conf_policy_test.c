/* conf_policy_test: every key of client-classes, option-def, reservations,
 * host-reservation-identifiers, flex-id-expression, option-precedence and
 * shared-networks; option-data with option-def names, records, arrays and
 * the vendor encapsulations (43, 125) byte for byte; and every error with
 * its file:line.  The line an error must name is marked "#<" in the text,
 * so the expectation does not come from the parser.
 *
 * The driver below applies the keys in the order conf.c's top table does
 * (see the notes in conf_priv.h), with a minimal subnet4 reader. */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "conf_priv.h"
#include "conf_test_helpers.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static char tmpdir[] = "/tmp/conf_policy_test_XXXXXX";
static char path[512];
static char err[1024];

static struct conf fake;            /* interfaces only */
static struct conf_iface fake_ifaces[2] = {
	{ .name = "eth0" }, { .name = "eth1" },
};

/* What one load produced. */
struct loaded {
	struct conf_policy *x;
	struct conf_option_set global;
	struct conf_subnet subnets[8];
	unsigned n_subnets;
	int shared_of[8];               /* subnet -> shared network, -1 */
};

static struct loaded L;

static void unload(void)
{
	conf_policy_free(L.x);
	free(L.global.opts);
	for (unsigned i = 0; i < L.n_subnets; i++)
		free(L.subnets[i].relay_addrs);
	memset(&L, 0, sizeof(L));
}

static int subnet(struct conf_ld *ld, const config_setting_t *e, int shared)
{
	struct conf_subnet *sn = &L.subnets[L.n_subnets];
	const config_setting_t *r, *s;
	const char *pfx = NULL;
	int id = 0, a, b, c, d, len;

	memset(sn, 0, sizeof(*sn));
	sn->iface = -1;
	config_setting_lookup_int(e, "id", &id);
	config_setting_lookup_string(e, "subnet", &pfx);
	if (pfx == NULL || sscanf(pfx, "%d.%d.%d.%d/%d", &a, &b, &c, &d, &len) != 5)
		return -1;
	sn->id = (uint32_t)id;
	sn->prefix = IP(a, b, c, d);
	sn->prefix_len = (uint8_t)len;
	sn->mask = len ? 0xffffffffu << (32 - len) : 0;
	if ((s = config_setting_get_member(e, "interface")) != NULL)
		sn->iface = strcmp(config_setting_get_string(s), "eth1") == 0;
	L.shared_of[L.n_subnets++] = shared;
	if (shared >= 0 && conf_shared_subnet(ld, &L.x->shared[shared], sn, e) < 0)
		return -1;
	if ((r = config_setting_get_member(e, "reservations")) != NULL)
		return conf_parse_reservations(ld, r, sn);
	return 0;
}

static int load(const char *text)
{
	static const char *const order[] = {
		"option-def", "client-classes", "host-reservation-identifiers",
		"flex-id-expression", "option-precedence", "option-data", "reservations",
		"shared-networks", "subnet4",
	};
	struct conf_ld ld;
	config_t cf;
	FILE *f;
	int rc = -1;

	unload();
	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	config_init(&cf);
	config_set_include_dir(&cf, tmpdir);
	if (!config_read_file(&cf, path)) {
		snprintf(err, sizeof(err), "syntax: %s:%d %s", config_error_file(&cf),
			 config_error_line(&cf), config_error_text(&cf));
		goto out;
	}
	L.x = conf_policy_create();
	CU_ASSERT_FATAL(L.x != NULL);
	conf_ld_init(&ld, L.x, path, &fake, err, sizeof(err));
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		const config_setting_t *s = config_lookup(&cf, order[k]);
		int r = 0;

		if (s == NULL)
			continue;
		switch (k) {
		case 0: r = conf_parse_option_defs(&ld, s); break;
		case 1: r = conf_parse_classes(&ld, s); break;
		case 2: r = conf_parse_hr_ids(&ld, s); break;
		case 3: r = conf_parse_flex_expr(&ld, s); break;
		case 4: r = conf_parse_precedence(&ld, s); break;
		case 5: r = conf_parse_options(&ld, s, &L.global); break;
		case 6: r = conf_parse_reservations(&ld, s, NULL); break;
		case 7:
			r = conf_parse_shared_networks(&ld, s);
			for (unsigned i = 0; r == 0 && i < L.x->n_shared; i++) {
				const config_setting_t *l = L.x->shared[i].subnets;

				for (int j = 0; r == 0 && l && j < config_setting_length(l); j++)
					r = subnet(&ld, config_setting_get_elem(l, (unsigned)j), (int)i);
			}
			break;
		case 8:
			for (int j = 0; r == 0 && j < config_setting_length(s); j++)
				r = subnet(&ld, config_setting_get_elem(s, (unsigned)j), -1);
			break;
		}
		if (r < 0)
			goto out;
	}
	rc = conf_policy_finish(&ld);
	if (rc == 0)
		CU_ASSERT_EQUAL(ld.errnum, 0);
out:
	config_destroy(&cf);
	return rc;
}

static int n_fail;

/* text must fail with "<path>:<marked line>: ...fragment..." */
static void expect_err(const char *text, const char *fragment)
{
	char prefix[600];

	snprintf(prefix, sizeof(prefix), "%s/t.conf:%d: ", tmpdir, marked_line(text));
	if (load(text) == 0 || strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, fragment) == NULL) {
		printf("\n  expected \"%s...%s\"\n  got      \"%s\"\n", prefix, fragment, err);
		n_fail++;
		CU_FAIL("error text");
	}
}

static void expect_ok(const char *text)
{
	if (load(text) != 0) {
		printf("\n  unexpected error: %s\n", err);
		CU_FAIL_FATAL("load");
	}
}

static const struct conf_option *opt(const struct conf_option_set *s, uint8_t code)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->opts[i].code == code)
			return &s->opts[i];
	return NULL;
}

static void expect_bytes(const struct conf_option *o, const uint8_t *b, size_t n)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->len, n);
	if (o->len != n || memcmp(o->data, b, n) != 0) {
		printf("\n  option %u: got", o->code);
		for (unsigned i = 0; i < o->len; i++)
			printf(" %02x", o->data[i]);
		printf("\n");
		CU_FAIL("bytes");
	}
}

/* ------------------------------------------------------------------ tests */

static void test_option_defs(void)
{
	static const uint8_t arr[] = { 0, 1, 0, 2, 0xff, 0xff };
	static const uint8_t rec[] = { 5, 10, 0, 0, 1, 'a', 'b', 'c' };
	static const uint8_t recarr[] = { 1, 192, 0, 2, 1, 0, 198, 18, 0, 1 };
	static const uint8_t fq[] = { 3, 'f', 'o', 'o', 0 };

	expect_ok("option-def = (\n"
		  " { name = \"my-ports\"; code = 224; type = \"uint16\"; array = true; },\n"
		  " { name = \"my-rec\"; code = 225; type = \"record\"; record-types = \"uint8, ipv4-address, string\"; },\n"
		  " { name = \"my-recs\"; code = 226; type = \"record\"; array = true;\n"
		  "   record-types = \"boolean,ipv4-address\"; space = \"dhcp4\"; },\n"
		  " { name = \"my-fqdn\"; code = 227; type = \"fqdn\"; },\n"
		  " { name = \"my-flag\"; code = 228; type = \"empty\"; }\n"
		  ");\n"
		  "option-data = (\n"
		  " { name = \"my-ports\"; data = \"1, 2, 65535\"; },\n"
		  " { name = \"my-rec\"; data = \"5, 10.0.0.1, abc\"; always-send = true; },\n"
		  " { code = 226; data = \"true, 192.0.2.1, false, 198.18.0.1\"; },\n"
		  " { name = \"my-fqdn\"; data = \"foo.\"; },\n"
		  " { name = \"my-flag\"; }\n"
		  ");\n");
	CU_ASSERT_EQUAL(L.x->n_defs, 5);
	CU_ASSERT_EQUAL(L.x->defs[1].def.type, DHCP4_OT_RECORD);
	CU_ASSERT_EQUAL(L.x->defs[1].fields[2], DHCP4_OT_STRING);
	CU_ASSERT_EQUAL(L.x->defs[1].fields[3], DHCP4_OT_EMPTY);
	CU_ASSERT_PTR_EQUAL(conf_policy_def_find(L.x, "dhcp4", NULL, 226), &L.x->defs[2]);
	CU_ASSERT_PTR_NULL(conf_policy_def_find(L.x, DHCP4_VENDOR_ENCAP_SPACE, NULL, 226));
	expect_bytes(opt(&L.global, 224), arr, sizeof(arr));
	expect_bytes(opt(&L.global, 225), rec, sizeof(rec));
	CU_ASSERT_TRUE(opt(&L.global, 225)->always_send);
	expect_bytes(opt(&L.global, 226), recarr, sizeof(recarr));
	expect_bytes(opt(&L.global, 227), fq, sizeof(fq));
	expect_bytes(opt(&L.global, 228), NULL, 0);
	/* sorted by code */
	for (unsigned i = 1; i < L.global.n; i++)
		CU_ASSERT(L.global.opts[i - 1].code < L.global.opts[i].code);

	expect_err("option-def = ( { name = \"x\"; code = 6; type = \"uint8\"; } );#<\n",
		   "option code 6 is the standard option \"domain-name-servers\"");
	expect_err("option-def = ( { name = \"routers\"; code = 230; type = \"uint8\"; } );#<\n",
		   "\"routers\" is the name of standard option 3");
	expect_err("option-def = (\n { name = \"x\"; code = 230;\n type = \"uint12\"; #<\n } );\n",
		   "unknown option type \"uint12\"");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"ipv6-address\"; } );#<\n",
		   "type \"ipv6-address\" is not supported");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"record\"; } );#<\n",
		   "a record option-def needs 'record-types'");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"uint8\";\n"
		   " record-types = \"uint8\"; } );#<\n", "'record-types' only goes with type \"record\"");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"record\";\n"
		   " record-types = \"string, uint8\"; } );#<\n", "a string field can only be the last one");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"record\";\n"
		   " record-types = \"uint8, record\"; } );#<\n", "a record field cannot be \"record\"");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"record\"; array = true;\n"
		   " record-types = \"uint8, binary\"; } );#<\n", "an array of records cannot end in a binary");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"string\";\n"
		   " array = true; } );#<\n", "an array of string is not possible");
	expect_err("option-def = (\n { name = \"x\"; code = 230; type = \"uint8\"; },\n"
		   " { name = \"x\"; code = 231; type = \"uint8\"; } #<\n);\n",
		   "option-def \"x\" is already defined in space \"dhcp4\" (line 2)");
	expect_err("option-def = (\n { name = \"x\"; code = 230; type = \"uint8\"; },\n"
		   " { name = \"y\"; code = 230; type = \"uint8\"; } #<\n);\n",
		   "code 230 in space \"dhcp4\" is already defined as \"x\" (line 2)");
	expect_err("option-def = ( { name = \"a b\"; code = 230; type = \"uint8\"; } );#<\n",
		   "option-def name \"a b\" may only use letters");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"uint8\"; space = \"foo\"; } );#<\n",
		   "unknown option space \"foo\"");
	expect_err("option-def = ( { name = \"x\"; code = 255; type = \"uint8\"; } );#<\n",
		   "'code' must be between 1 and 254, not 255");
	expect_err("option-def = ( { name = \"x\"; code = 230; } );#<\n",
		   "missing required key 'type' in an option-def entry");
	expect_err("option-def = ( { name = \"x\"; code = 230; type = \"uint8\"; encapsulate = \"s\"; } );#<\n",
		   "unknown key 'encapsulate' in an option-def entry");
	expect_err("option-def = { };#<\n", "'option-def' must be a list");
	/* same name in two spaces is fine */
	expect_ok("option-def = (\n { name = \"x\"; code = 230; type = \"uint8\"; },\n"
		  " { name = \"x\"; code = 1; type = \"uint8\"; space = \"vendor-4491\"; } );\n");
}

static void test_option_data(void)
{
	/* 121: prefix length, significant octets, router (RFC 3442) */
	static const uint8_t routes[] = { 8, 10, 10, 1, 1, 1, 0, 10, 0, 0, 1,
					  24, 192, 168, 1, 10, 0, 0, 2 };

	expect_ok("option-data = (\n"
		  " { name = \"classless-static-route\";\n"
		  "   data = \"10.0.0.0/8 - 10.1.1.1, 0.0.0.0/0 - 10.0.0.1, 192.168.1.0/24 - 10.0.0.2\"; },\n"
		  " { code = 3; data = \"198.18.0.1\"; },\n"
		  " { name = \"domain-name\"; data = \"example.org\"; always-send = true; },\n"
		  " { code = 240; data = \"0a:0b\"; csv-format = false; }\n"
		  ");\n");
	expect_bytes(opt(&L.global, 121), routes, sizeof(routes));
	expect_bytes(opt(&L.global, 240), (const uint8_t *)"\x0a\x0b", 2);
	CU_ASSERT_TRUE(opt(&L.global, 15)->always_send);
	CU_ASSERT_FALSE(opt(&L.global, 3)->always_send);

	expect_err("option-data = (\n { code = 3; data = \"1.2.3.4\"; },\n { code = 3; data = \"1.2.3.5\"; } #<\n);\n",
		   "option 3 is already set in this scope (line 2)");
	expect_err("option-data = ( { name = \"nope\"; } );#<\n", "unknown option name \"nope\"");
	expect_err("option-data = ( { name = \"nope\"; space = \"vendor-1\"; } );#<\n",
		   "unknown option name \"nope\" in space \"vendor-1\"");
	expect_err("option-data = ( { name = \"routers\"; code = 4; data = \"1.2.3.4\"; } );#<\n",
		   "option \"routers\" has code 3, not 4");
	expect_err("option-data = ( { code = 51; data = \"10\"; } );#<\n",
		   "option 51 (dhcp-lease-time) cannot be configured");
	expect_err("option-data = (\n { name = \"routers\";\n data = \"1.2.3\"; } #<\n);\n",
		   "option 3 (routers): invalid IPv4 address '1.2.3'");
	expect_err("option-data = ( { data = \"1\"; } );#<\n", "needs a 'name' or a 'code'");
	expect_err("option-data = ( { code = 3; colour = 1; } );#<\n",
		   "unknown key 'colour' in an option-data entry");
	expect_err("option-data = ( { code = 3; csv-format = 1; } );#<\n",
		   "'csv-format' must be true or false, not an integer");
	expect_err("option-data = ( 1 );#<\n", "each 'option-data' entry must be a group");
	expect_err("option-data = ( { code = 121; data = \"10.0.0.0/33 - 1.1.1.1\"; } );#<\n",
		   "prefix length 33 out of range");
}

static void test_vendor_options(void)
{
	static const uint8_t o43[] = { 1, 4, 10, 0, 0, 1, 2, 2, 0xab, 0xcd };
	static const uint8_t o43raw[] = { 0xde, 0xad, 1, 4, 10, 0, 0, 1 };
	static const uint8_t o125[] = { 0, 0, 0x11, 0x8b, 7, 1, 1, 5, 2, 2, 0x61, 0x62,
					0, 0, 0, 9, 3, 3, 1, 0x07 };
	static const uint8_t o125empty[] = { 0, 0, 0x11, 0x8b, 0 };

	expect_ok("option-def = (\n"
		  " { name = \"tftp\"; code = 1; type = \"ipv4-address\"; space = \"vendor-encapsulated-options-space\"; },\n"
		  " { name = \"cfg-ver\"; code = 1; type = \"uint8\"; space = \"vendor-4491\"; }\n"
		  ");\n"
		  "option-data = (\n"
		  " { name = \"vendor-encapsulated-options\"; },\n"
		  " { code = 2; space = \"vendor-encapsulated-options-space\"; data = \"abcd\"; csv-format = false; },\n"
		  " { name = \"tftp\"; space = \"vendor-encapsulated-options-space\"; data = \"10.0.0.1\"; },\n"
		  " { name = \"vivso-suboptions\"; data = \"4491, 9\"; },\n"
		  " { code = 2; space = \"vendor-4491\"; data = \"6162\"; },\n"
		  " { name = \"cfg-ver\"; space = \"vendor-4491\"; data = \"5\"; },\n"
		  " { code = 3; space = \"vendor-9\"; data = \"07\"; }\n"
		  ");\n");
	expect_bytes(opt(&L.global, 43), o43, sizeof(o43));
	expect_bytes(opt(&L.global, 125), o125, sizeof(o125));
	CU_ASSERT_EQUAL(L.global.n, 2);   /* sub-options are not options of their own */

	/* raw 43 data comes first, then the sub-options; 125 without any */
	expect_ok("option-def = ( { name = \"tftp\"; code = 1; type = \"ipv4-address\";\n"
		  "  space = \"vendor-encapsulated-options-space\"; } );\n"
		  "option-data = (\n"
		  " { code = 43; data = \"dead\"; csv-format = false; },\n"
		  " { name = \"tftp\"; space = \"vendor-encapsulated-options-space\"; data = \"10.0.0.1\"; },\n"
		  " { name = \"vivso-suboptions\"; data = \"4491\"; }\n"
		  ");\n");
	expect_bytes(opt(&L.global, 43), o43raw, sizeof(o43raw));
	expect_bytes(opt(&L.global, 125), o125empty, sizeof(o125empty));

	expect_err("option-data = (\n { code = 1; space = \"vendor-encapsulated-options-space\"; #<\n"
		   "   data = \"01\"; }\n);\n", "needs option 43 (vendor-encapsulated-options)");
	expect_err("option-data = (\n { name = \"vivso-suboptions\"; data = \"4491\"; },\n"
		   " { code = 1; space = \"vendor-311\"; data = \"01\"; } #<\n);\n",
		   "needs option 125 (vivso-suboptions) with enterprise 311");
	expect_err("option-data = (\n { code = 1; space = \"vendor-4491\"; data = \"01\"; },\n"
		   " { code = 1; space = \"vendor-4491\"; data = \"02\"; } #<\n);\n",
		   "option 1 in space \"vendor-4491\" is already set in this scope (line 2)");
	expect_err("option-data = ( { code = 1; space = \"vendor-x\"; data = \"01\"; } );#<\n",
		   "unknown option space \"vendor-x\"");
	expect_err("option-data = ( { code = 125; data = \"00\"; csv-format = false; },#<\n"
		   " { code = 1; space = \"vendor-1\"; data = \"01\"; } );\n",
		   "its data is not a list of enterprise blocks");
	/* 1 byte of its own + a 253-byte sub-option (255 with its header) */
	expect_err("option-data = ( { code = 43; data = \"00\"; csv-format = false; },#<\n"
		   "{ code = 1; space = \"vendor-encapsulated-options-space\"; data = \"" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000000000" \
		   "0000000000000000000000000000000000000000000000000000000000\"; } );\n",
		   "longer than 255 bytes");
}

static void test_classes(void)
{
	const struct conf_class *c;
	int id;

	expect_ok("client-classes = (\n"
		  " { name = \"pxe\"; test = \"substring(option[60].hex, 0, 9) == 'PXEClient'\";\n"
		  "   next-server = \"198.18.0.9\"; server-hostname = \"boot\"; boot-file-name = \"pxelinux.0\";\n"
		  "   option-data = ( { name = \"tftp-server-name\"; data = \"boot\"; } ); },\n"
		  " { name = \"late\"; test = \"member('KNOWN')\"; only-if-required = true; },\n"
		  " { name = \"tagged\"; },\n"
		  " { name = \"DROP\"; test = \"option[60].text == 'bad'\"; }\n"
		  ");\n");
	CU_ASSERT_EQUAL(L.x->n_classes, 4);
	id = cls_registry_find(L.x->reg, "pxe");
	CU_ASSERT_FATAL(id >= CLS_ID_FIRST_USER);
	c = conf_policy_class(L.x, (unsigned)id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->name, "pxe");
	CU_ASSERT_EQUAL(c->next_server, IP(198, 18, 0, 9));
	CU_ASSERT_STRING_EQUAL(c->server_hostname, "boot");
	CU_ASSERT_STRING_EQUAL(c->boot_file_name, "pxelinux.0");
	expect_bytes(opt(&c->options, 66), (const uint8_t *)"boot", 4);
	CU_ASSERT_EQUAL(c->line, 2);
	/* what option and boot selection walk: pxe only */
	CU_ASSERT_TRUE(cls_set_has(&L.x->with_options, (unsigned)id));
	CU_ASSERT_TRUE(cls_set_has(&L.x->with_boot, (unsigned)id));
	cls_set_del(&L.x->with_options, (unsigned)id);
	cls_set_del(&L.x->with_boot, (unsigned)id);
	CU_ASSERT_TRUE(cls_set_empty(&L.x->with_options) && cls_set_empty(&L.x->with_boot));
	id = cls_registry_find(L.x->reg, "late");
	CU_ASSERT_TRUE(cls_registry_required(L.x->reg, (unsigned)id));
	CU_ASSERT_TRUE(conf_policy_class(L.x, (unsigned)id)->only_if_required);
	CU_ASSERT_PTR_NULL(cls_registry_prog(L.x->reg, (unsigned)cls_registry_find(L.x->reg, "tagged")));
	CU_ASSERT_PTR_NOT_NULL(conf_policy_class(L.x, CLS_ID_DROP));
	CU_ASSERT_PTR_NULL(conf_policy_class(L.x, CLS_ID_ALL));

	expect_err("client-classes = (\n { name = \"a\";\n   test = \"option[60].hex == 'x' and\"; } #<\n);\n",
		   "client class \"a\": test: col 26:");
	expect_err("client-classes = (\n { name = \"a\"; },\n { name = \"a\"; } #<\n);\n",
		   "client class \"a\" is already defined (line 2)");
	expect_err("client-classes = ( { name = \"KNOWN\"; } );#<\n", "client class \"KNOWN\":");
	expect_err("client-classes = ( { test = \"'a' == 'a'\"; } );#<\n",
		   "missing required key 'name' in a client-classes entry");
	expect_err("client-classes = ( { name = \"a\"; valid-lifetime = 5; } );#<\n",
		   "unknown key 'valid-lifetime' in a client-classes entry");
	expect_err("client-classes = ( { name = \"a\"; next-server = \"1.2.3\"; } );#<\n",
		   "'next-server': \"1.2.3\" is not an IPv4 address");
	expect_err("client-classes = ( { name = \"a\"; only-if-required = \"yes\"; } );#<\n",
		   "'only-if-required' must be true or false");
	expect_err("client-classes = (\n { name = \"a\";\n option-data = ( { code = 3; data = \"x\"; } ); } #<\n);\n",
		   "option 3 (routers): invalid IPv4 address 'x'");
	expect_err("client-classes = ( { name = \"a\"; test = \"member('b')\"; } );#<\n",
		   "client class \"a\": test: col");
}

static void test_class_refs(void)
{
	struct conf_ld ld;
	config_t cf;
	const config_setting_t *s;
	struct cls_set set;
	int id = -1, late;

	config_init(&cf);
	CU_ASSERT_FATAL(config_read_string(&cf, "a = \"gold\";\nb = [ \"gold\", \"silver\" ];\n"
					   "c = \"\";\nd = [ 1 ];\ne = 7;\n"));
	unload();
	L.x = conf_policy_create();
	conf_ld_init(&ld, L.x, "x.conf", &fake, err, sizeof(err));
	CU_ASSERT_EQUAL(conf_parse_class_ref(&ld, config_lookup(&cf, "a"), &id), 0);
	CU_ASSERT(id >= CLS_ID_FIRST_USER);
	CU_ASSERT_EQUAL(conf_parse_class_list(&ld, config_lookup(&cf, "b"), &set), 0);
	CU_ASSERT_TRUE(cls_set_has(&set, (unsigned)id));
	late = cls_registry_find(L.x->reg, "silver");
	CU_ASSERT(late >= CLS_ID_FIRST_USER && late != id);
	CU_ASSERT_TRUE(cls_set_has(&set, (unsigned)late));
	/* a forward reference keeps its id when the class is defined */
	CU_ASSERT_EQUAL(cls_registry_add(L.x->reg, "gold", "'a' == 'a'", 0, NULL), id);
	s = config_lookup(&cf, "c");
	CU_ASSERT_EQUAL(conf_parse_class_ref(&ld, s, &id), -1);
	CU_ASSERT_STRING_EQUAL(err, "x.conf:3: 'c' must not be empty");
	ld.errnum = 0;
	CU_ASSERT_EQUAL(conf_parse_class_list(&ld, config_lookup(&cf, "d"), &set), -1);
	CU_ASSERT_STRING_EQUAL(err, "x.conf:4: 'd' must be a string, not an integer");
	ld.errnum = 0;
	CU_ASSERT_EQUAL(conf_parse_class_list(&ld, config_lookup(&cf, "e"), &set), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "x.conf:5: 'e' must be an array of class names"));
	config_destroy(&cf);
}

static void test_scalars(void)
{
	expect_ok("option-precedence = \"isc-dhcpd\";\n"
		  "host-reservation-identifiers = [ \"client-id\", \"flex-id\", \"hw-address\" ];\n"
		  "flex-id-expression = \"substring(option[60].hex, 0, 4)\";\n");
	CU_ASSERT_EQUAL(L.x->precedence, CONF_PREC_ISC_DHCPD);
	CU_ASSERT_EQUAL(L.x->n_hr_order, 3);
	CU_ASSERT_EQUAL(L.x->hr_order[0], CONF_HID_CLIENT_ID);
	CU_ASSERT_EQUAL(L.x->hr_order[1], CONF_HID_FLEX_ID);
	CU_ASSERT_EQUAL(L.x->hr_order[2], CONF_HID_HW_ADDRESS);
	CU_ASSERT_PTR_NOT_NULL(L.x->flex_expr);

	expect_ok("option-precedence = \"kea\";\n");
	CU_ASSERT_EQUAL(L.x->precedence, CONF_PREC_KEA);
	expect_ok("\n");   /* defaults */
	CU_ASSERT_EQUAL(L.x->precedence, CONF_PREC_KEA);
	CU_ASSERT_EQUAL(L.x->n_hr_order, 4);
	CU_ASSERT_EQUAL(L.x->hr_order[0], CONF_HID_HW_ADDRESS);
	CU_ASSERT_EQUAL(L.x->hr_order[3], CONF_HID_CLIENT_ID);
	CU_ASSERT_PTR_NULL(L.x->flex_expr);

	expect_err("\noption-precedence = \"dhcpd\";#<\n",
		   "'option-precedence' must be one of \"kea\", \"isc-dhcpd\", not \"dhcpd\"");
	expect_err("option-precedence = 1;#<\n", "'option-precedence' must be a string, not an integer");
	expect_err("host-reservation-identifiers = [ \"hw-address\", \"mac\" ];#<\n",
		   "unknown identifier \"mac\"");
	expect_err("host-reservation-identifiers = [ \"duid\", \"duid\" ];#<\n", "\"duid\" is listed twice");
	expect_err("host-reservation-identifiers = [ ];#<\n", "is empty");
	expect_err("host-reservation-identifiers = \"duid\";#<\n", "must be an array of strings");
	expect_err("flex-id-expression = \"option[60].exists\";#<\n", "'flex-id-expression': col");
	expect_err("flex-id-expression = \"substring(option[60].hex, 0\";#<\n", "'flex-id-expression': col");
}

static void test_reservations(void)
{
	const struct conf_host *h;

	expect_ok("host-reservation-identifiers = [ \"hw-address\", \"duid\", \"circuit-id\", \"client-id\", \"flex-id\" ];\n"
		  "flex-id-expression = \"option[60].hex\";\n"
		  "reservations = (\n"
		  " { hw-address = \"aa:bb:cc:dd:ee:ff\"; hostname = \"anywhere\"; ip-address = \"203.0.113.5\"; },\n"
		  " { client-id = \"01:aa:bb:cc:dd:ee:01\"; client-classes = [ \"gold\" ]; }\n"
		  ");\n"
		  "subnet4 = (\n"
		  " { id = 5; subnet = \"198.18.0.0/24\"; reservations = (\n"
		  "   { hw-address = \"aa:bb:cc:dd:ee:ff\"; ip-address = \"198.18.0.10\";\n"
		  "     next-server = \"198.18.0.2\"; server-hostname = \"srv\"; boot-file-name = \"f.bin\";\n"
		  "     option-data = ( { name = \"routers\"; data = \"198.18.0.1\"; } ); },\n"
		  "   { duid = \"00:01:00:01:aa\"; },\n"
		  "   { circuit-id = \"'port-1'\"; ip-address = \"198.18.0.11\"; },\n"
		  "   { flex-id = \"'ACME'\"; },\n"
		  "   { client-id = \"0x01aabbccddee02\"; }\n"
		  " ); },\n"
		  " { id = 6; subnet = \"198.18.1.0/24\"; reservations = (\n"
		  "   { hw-address = \"aa:bb:cc:dd:ee:ff\"; ip-address = \"198.18.1.10\"; }\n"
		  " ); }\n"
		  ");\n");
	CU_ASSERT_EQUAL_FATAL(L.x->n_hosts, 8);
	h = &L.x->hosts[0];
	CU_ASSERT_EQUAL(h->subnet_id, 0);
	CU_ASSERT_EQUAL(h->id_type, CONF_HID_HW_ADDRESS);
	CU_ASSERT_EQUAL(h->id_len, 6);
	CU_ASSERT_EQUAL(memcmp(h->id, "\xaa\xbb\xcc\xdd\xee\xff", 6), 0);
	CU_ASSERT_STRING_EQUAL(h->hostname, "anywhere");
	CU_ASSERT_EQUAL(h->addr, IP(203, 0, 113, 5));
	CU_ASSERT_PTR_NULL(h->src);
	h = &L.x->hosts[1];
	CU_ASSERT_EQUAL(h->id_type, CONF_HID_CLIENT_ID);
	CU_ASSERT_EQUAL(h->id_len, 7);
	CU_ASSERT_TRUE(cls_set_has(&h->classes, (unsigned)cls_registry_find(L.x->reg, "gold")));
	h = &L.x->hosts[2];
	CU_ASSERT_EQUAL(h->subnet_id, 5);
	CU_ASSERT_EQUAL(h->addr, IP(198, 18, 0, 10));
	CU_ASSERT_EQUAL(h->next_server, IP(198, 18, 0, 2));
	CU_ASSERT_STRING_EQUAL(h->server_hostname, "srv");
	CU_ASSERT_STRING_EQUAL(h->boot_file_name, "f.bin");
	expect_bytes(opt(&h->options, 3), (const uint8_t *)"\xc6\x12\x00\x01", 4);
	CU_ASSERT_EQUAL(L.x->hosts[3].id_type, CONF_HID_DUID);
	CU_ASSERT_EQUAL(L.x->hosts[3].id_len, 5);
	CU_ASSERT_EQUAL(L.x->hosts[4].id_type, CONF_HID_CIRCUIT_ID);
	CU_ASSERT_EQUAL(L.x->hosts[4].id_len, 6);
	CU_ASSERT_EQUAL(memcmp(L.x->hosts[4].id, "port-1", 6), 0);
	CU_ASSERT_EQUAL(L.x->hosts[5].id_type, CONF_HID_FLEX_ID);
	CU_ASSERT_EQUAL(memcmp(L.x->hosts[5].id, "ACME", 4), 0);
	CU_ASSERT_EQUAL(L.x->hosts[6].id_len, 7);
	CU_ASSERT_EQUAL(L.x->hosts[7].subnet_id, 6);   /* the same MAC in another scope is fine */

#define SUB(r) "subnet4 = (\n { id = 5; subnet = \"198.18.0.0/24\"; reservations = (\n" r "\n ); }\n);\n"
	expect_err(SUB("  { ip-address = \"198.18.0.9\"; } #<"),
		   "a reservation needs one of hw-address, duid, circuit-id, client-id or flex-id");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\";\n client-id = \"01:02\"; } #<"),
		   "a reservation takes one identifier: 'hw-address' and 'client-id' are both given");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\";\n ip-address = \"198.18.1.9\"; } #<"),
		   "'ip-address': 198.18.1.9 is not inside subnet 198.18.0.0/24");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\";\n ip-address = \"198.18.0.255\"; } #<"),
		   "'ip-address': 198.18.0.255 is the broadcast address of subnet 198.18.0.0/24");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\";\n ip-address = \"198.18.0.0\"; } #<"),
		   "is the network address");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\";\n ip-address = \"198.18.0.x\"; } #<"),
		   "'ip-address': \"198.18.0.x\" is not an IPv4 address");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\"; },\n  { hw-address = \"01:02:03:04:05:06\"; } #<"),
		   "hw-address 01:02:03:04:05:06 is already reserved in subnet 5 (line 3)");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06\"; ip-address = \"198.18.0.9\"; },\n"
		       "  { hw-address = \"01:02:03:04:05:07\"; ip-address = \"198.18.0.9\"; } #<"),
		   "address 198.18.0.9 is already reserved (line 3)");
	expect_err(SUB("  { hw-address = \"01:02:zz\"; } #<"),
		   "'hw-address': \"01:02:zz\" is neither hex bytes");
	expect_err(SUB("  { hw-address = \"01:02:03:04:05:06:07:08:09:10:11:12:13:14:15:16:17\"; } #<"),
		   "'hw-address' is 17 bytes, at most 16 fit");
	expect_err(SUB("  { client-id = \"01\"; } #<"), "'client-id' needs at least 2 bytes");
	expect_err(SUB("  { circuit-id = \"''\"; } #<"), "'circuit-id' is empty");
	expect_err(SUB("  { flex-id = \"'x'\"; } #<"),
		   "a reservation by flex-id never matches: \"flex-id\" is not in host-reservation-identifiers");
	expect_err("host-reservation-identifiers = [ \"flex-id\" ];\n" SUB("  { flex-id = \"'x'\"; } #<"),
		   "a reservation by flex-id needs 'flex-id-expression'");
	expect_err("host-reservation-identifiers = [ \"duid\" ];\n" SUB("  { hw-address = \"01:02\"; } #<"),
		   "a reservation by hw-address never matches");
	expect_err(SUB("  { hw-address = \"01:02\"; mac = 1; } #<"),
		   "unknown key 'mac' in a reservations entry");
	expect_err(SUB("  { hw-address = \"01:02\"; hostname = 5; } #<"),
		   "'hostname' must be a string, not an integer");
	expect_err(SUB("  { hw-address = \"01:02\";\n client-classes = \"gold\"; } #<"),
		   "'client-classes' must be an array of class names");
	expect_err(SUB("  { hw-address = \"01:02\";\n option-data = ( { code = 61; data = \"0102\"; } ); } #<"),
		   "option 61 (dhcp-client-identifier) cannot be configured");
	expect_err("reservations = (\n { hw-address = \"01:02\"; ip-address = \"0.0.0.0\"; } #<\n);\n",
		   "'ip-address': 0.0.0.0 cannot be reserved");
	expect_err("reservations = (\n { hw-address = \"01:02\"; },\n { hw-address = \"0102\"; } #<\n);\n",
		   "hw-address 01:02 is already reserved globally (line 2)");
	/* a global reservation and a subnet one may not share an address either */
	expect_err("reservations = (\n { hw-address = \"01:02\"; ip-address = \"198.18.0.9\"; }\n);\n"
		   SUB("  { hw-address = \"01:03\"; ip-address = \"198.18.0.9\"; } #<"),
		   "address 198.18.0.9 is already reserved (line 2)");
	expect_err("reservations = { };#<\n", "'reservations' must be a list");
#undef SUB
}

static void test_shared_networks(void)
{
	const struct conf_shared_net *sh;

	expect_ok("shared-networks = (\n"
		  " { name = \"floor1\"; interface = \"eth1\"; relay = { ip-addresses = [ \"198.18.9.1\" ]; };\n"
		  "   option-data = ( { name = \"domain-name\"; data = \"floor1.example\"; } );\n"
		  "   client-class = \"office\"; require-client-classes = [ \"late\" ];\n"
		  "   subnet4 = (\n"
		  "     { id = 1; subnet = \"198.18.0.0/24\"; },\n"
		  "     { id = 2; subnet = \"198.18.1.0/24\"; interface = \"eth1\"; }\n"
		  "   ); },\n"
		  " { name = \"empty\"; }\n"
		  ");\n"
		  "subnet4 = ( { id = 3; subnet = \"198.18.2.0/24\"; } );\n");
	CU_ASSERT_EQUAL_FATAL(L.x->n_shared, 2);
	sh = &L.x->shared[0];
	CU_ASSERT_STRING_EQUAL(sh->name, "floor1");
	CU_ASSERT_EQUAL(sh->iface, 1);
	CU_ASSERT_EQUAL(sh->n_relay_addrs, 1);
	CU_ASSERT_EQUAL(sh->relay_addrs[0], IP(198, 18, 9, 1));
	CU_ASSERT_PTR_NOT_NULL(opt(&sh->options, 15));
	CU_ASSERT_EQUAL(sh->client_class, cls_registry_find(L.x->reg, "office"));
	CU_ASSERT_TRUE(cls_set_has(&sh->require, (unsigned)cls_registry_find(L.x->reg, "late")));
	CU_ASSERT_PTR_NULL(sh->subnets);          /* load time only */
	CU_ASSERT_EQUAL(L.x->shared[1].iface, -1);
	CU_ASSERT_EQUAL(L.x->shared[1].client_class, -1);
	CU_ASSERT_EQUAL_FATAL(L.n_subnets, 3);
	/* the subnets of floor1 took its interface and relay */
	CU_ASSERT_EQUAL(L.subnets[0].id, 1);
	CU_ASSERT_EQUAL(L.shared_of[0], 0);
	CU_ASSERT_EQUAL(L.subnets[0].iface, 1);
	CU_ASSERT_EQUAL(L.subnets[0].n_relay_addrs, 1);
	CU_ASSERT_EQUAL(L.subnets[1].iface, 1);
	CU_ASSERT_EQUAL(L.shared_of[2], -1);
	CU_ASSERT_EQUAL(L.subnets[2].iface, -1);
	CU_ASSERT_EQUAL(L.subnets[2].n_relay_addrs, 0);

	expect_err("shared-networks = (\n { name = \"a\"; interface = \"eth1\"; subnet4 = (\n"
		   "  { id = 1; subnet = \"198.18.0.0/24\";\n interface = \"eth0\"; } #<\n ); }\n);\n",
		   "subnet 1 is in shared network \"a\" on interface \"eth1\": it cannot use interface \"eth0\"");
	expect_err("shared-networks = (\n { name = \"a\"; },\n { name = \"a\"; } #<\n);\n",
		   "shared network name \"a\" is already used (line 2)");
	expect_err("shared-networks = ( { name = \"a\"; interface = \"eth9\"; } );#<\n",
		   "'interface': no interface named \"eth9\" in interfaces");
	expect_err("shared-networks = ( { name = \"\"; } );#<\n", "'name' must not be empty");
	expect_err("shared-networks = ( { name = \"a\"; valid-lifetime = 5; } );#<\n",
		   "unknown key 'valid-lifetime' in a shared-networks entry");
	expect_err("shared-networks = ( { name = \"a\"; relay = { ip-addresses = [ \"1.2.3\" ]; }; } );#<\n",
		   "'ip-addresses': \"1.2.3\" is not an IPv4 address");
	expect_err("shared-networks = ( { name = \"a\"; relay = { addresses = [ ]; }; } );#<\n",
		   "unknown key 'addresses' in relay");
	expect_err("shared-networks = ( { name = \"a\"; relay = { }; } );#<\n",
		   "missing required key 'ip-addresses' in relay");
	expect_err("shared-networks = ( { name = \"a\"; subnet4 = { }; } );#<\n",
		   "'subnet4' must be a list");
	expect_err("shared-networks = ( { name = \"a\"; client-class = 1; } );#<\n",
		   "'client-class' must be a string");
	expect_err("shared-networks = ( { interface = \"eth0\"; } );#<\n",
		   "missing required key 'name' in a shared-networks entry");
}

/* Errors inside an @include'd file name that file, as conf_load() does. */
static void test_include(void)
{
	char part[600], prefix[700];
	FILE *f;

	snprintf(part, sizeof(part), "%s/part.conf", tmpdir);
	f = fopen(part, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("\n\n { hw-address = \"01:02\"; bogus = 1; }\n", f);
	fclose(f);
	CU_ASSERT_NOT_EQUAL(load("reservations = (\n@include \"part.conf\"\n);\n"), 0);
	snprintf(prefix, sizeof(prefix), "%s/part.conf:3: unknown key 'bogus'", tmpdir);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, prefix));
	unlink(part);
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	fake.ifaces = fake_ifaces;
	fake.n_ifaces = 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("conf_policy", NULL, NULL);
	CU_add_test(s, "option-def scalars, arrays, records", test_option_defs);
	CU_add_test(s, "option-data, 121 routes, errors", test_option_data);
	CU_add_test(s, "vendor options 43 and 125", test_vendor_options);
	CU_add_test(s, "client-classes", test_classes);
	CU_add_test(s, "client-class references", test_class_refs);
	CU_add_test(s, "precedence, identifiers, flex-id expression", test_scalars);
	CU_add_test(s, "reservations", test_reservations);
	CU_add_test(s, "shared-networks", test_shared_networks);
	CU_add_test(s, "errors in @include files", test_include);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	unload();
	unlink(path);
	rmdir(tmpdir);
	return failed ? 1 : 0;
}
