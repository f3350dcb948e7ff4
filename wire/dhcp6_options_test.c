/* Unit tests for the DHCPv6 option table and encoder: lookups by space,
 * name and code; every type's csv form with the exact bytes it gives;
 * hex and quoted text; arrays and records (Kea's repeated last field);
 * encapsulation for ntp-server and vendor-opts; the errors. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_options.h"

static uint8_t o[DHCP6_VALUE_MAX];
static char err[256];

/* Encode with the standard definition of name in space (NULL: dhcp6). */
static int enc_in(const char *space, const char *name, const char *data, bool csv)
{
	const struct dhcp6_opt_def *def = name ? dhcp6_opt_def_by_name(space, name) : NULL;

	if (name != NULL)
		CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	memset(o, 0xee, 64);
	return dhcp6_opt_encode(def, data, csv, o, sizeof(o), err, sizeof(err));
}

static int enc(const char *name, const char *data)
{
	return enc_in(NULL, name, data, true);
}

/* The encoding gave exactly these bytes. */
#define EXPECT(rc, bytes) do {                                                  \
		static const uint8_t want_[] = bytes;                           \
		int rc_ = (rc);                                                 \
		CU_ASSERT_EQUAL(rc_, (int)sizeof(want_));                       \
		if (rc_ != (int)sizeof(want_))                                  \
			fprintf(stderr, "\n%s:%d: length %d, want %zu (%s)\n", \
				__FILE__, __LINE__, rc_, sizeof(want_), err);   \
		else                                                            \
			CU_ASSERT(memcmp(o, want_, sizeof(want_)) == 0);        \
	} while (0)
#define B(...) { __VA_ARGS__ }

/* The encoding failed with a message containing frag. */
static void expect_fail(int rc, const char *frag)
{
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, frag));
	if (rc != -1 || strstr(err, frag) == NULL)
		fprintf(stderr, "\nwanted an error with \"%s\", got %d \"%s\"\n", frag, rc, err);
}

static void test_lookup(void)
{
	const struct dhcp6_opt_def *d;
	uint32_t ent = 0;

	d = dhcp6_opt_def_by_name(NULL, "dns-servers");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->code, 23);
	CU_ASSERT_EQUAL(d->type, DHCP6_OT_IPV6);
	CU_ASSERT_TRUE(d->array);
	CU_ASSERT_PTR_EQUAL(dhcp6_opt_def_by_code(DHCP6_SPACE, 23), d);
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 24)->name, "domain-search");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 7)->name, "preference");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 12)->name, "unicast");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 21)->name, "sip-server-dns");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 22)->name, "sip-server-addr");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 59)->name, "bootfile-url");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 82)->name, "solmax-rt");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_by_code(NULL, 83)->name, "inf-max-rt");
	CU_ASSERT_PTR_NULL(dhcp6_opt_def_by_code(NULL, 10));
	CU_ASSERT_PTR_NULL(dhcp6_opt_def_by_name(NULL, "domain-name-servers"));

	d = dhcp6_opt_def_by_name(NULL, "ntp-server");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->code, 56);
	CU_ASSERT_EQUAL(d->type, DHCP6_OT_EMPTY);
	CU_ASSERT_STRING_EQUAL(d->encapsulate, DHCP6_NTP_SERVER_SPACE);
	d = dhcp6_opt_def_by_name(DHCP6_NTP_SERVER_SPACE, "ntp-server-fqdn");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->code, 3);
	CU_ASSERT_EQUAL(dhcp6_opt_def_by_code(DHCP6_NTP_SERVER_SPACE, 1)->type, DHCP6_OT_IPV6);
	/* sub-option names are per space, not in dhcp6 */
	CU_ASSERT_PTR_NULL(dhcp6_opt_def_by_name(NULL, "ntp-server-address"));
	CU_ASSERT_PTR_NULL(dhcp6_opt_def_by_code(DHCP6_NTP_SERVER_SPACE, 4));
	/* the same code in two softwire spaces */
	CU_ASSERT_EQUAL(dhcp6_opt_def_by_code("s46-cont-mapt-options", 91)->type, DHCP6_OT_IPV6_PREFIX);
	CU_ASSERT_PTR_NULL(dhcp6_opt_def_by_code("s46-cont-mape-options", 91));
	CU_ASSERT_TRUE(dhcp6_opt_space_known("s46-rule-options"));
	CU_ASSERT_TRUE(dhcp6_opt_space_known(NULL));
	CU_ASSERT_FALSE(dhcp6_opt_space_known("dhcp4"));
	CU_ASSERT_EQUAL(dhcp6_opt_def_encapsulating(DHCP6_NTP_SERVER_SPACE)->code, 56);
	CU_ASSERT_EQUAL(dhcp6_opt_def_encapsulating("vendor-4491")->code, 17);
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_def_encapsulating("s46-rule-options")->name, "s46-rule");
	CU_ASSERT_PTR_NULL(dhcp6_opt_def_encapsulating("dhcp6"));

	d = dhcp6_opt_def_by_name(NULL, "vendor-opts");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->code, 17);
	CU_ASSERT_STRING_EQUAL(d->encapsulate, DHCP6_VENDOR_SPACE_PREFIX);
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_space("vendor-4491", &ent), 0);
	CU_ASSERT_EQUAL(ent, 4491);
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_space("vendor-4294967295", &ent), 0);
	CU_ASSERT_EQUAL(ent, 4294967295u);
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_space("vendor-4294967296", &ent), -1);
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_space("vendor-04491", &ent), -1);
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_space("vendor-", &ent), -1);
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_space("dhcp6", &ent), -1);

	CU_ASSERT_EQUAL(dhcp6_opt_type_by_name("ipv6-prefix"), DHCP6_OT_IPV6_PREFIX);
	CU_ASSERT_EQUAL(dhcp6_opt_type_by_name("boolean"), DHCP6_OT_BOOL);
	CU_ASSERT_EQUAL(dhcp6_opt_type_by_name("internal"), -1);
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_type_name(DHCP6_OT_TUPLE), "tuple");
	CU_ASSERT_STRING_EQUAL(dhcp6_opt_type_name(DHCP6_OT_PSID), "psid");
}

static void test_addresses_names(void)
{
	EXPECT(enc("dns-servers", "2001:db8::1, 2001:db8::2"),
	       B(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02));
	EXPECT(enc("unicast", "fe80::1"),
	       B(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01));
	EXPECT(enc("domain-search", "example.org, example.com"),
	       B(7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0));
	EXPECT(enc("aftr-name", "aftr.example."),
	       B(4, 'a', 'f', 't', 'r', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0));
	EXPECT(enc("bootfile-url", "tftp://[2001:db8::1]/boot.efi"),
	       B('t', 'f', 't', 'p', ':', '/', '/', '[', '2', '0', '0', '1', ':', 'd', 'b', '8', ':',
		 ':', '1', ']', '/', 'b', 'o', 'o', 't', '.', 'e', 'f', 'i'));
	EXPECT(enc("new-posix-timezone", "EST5EDT4\\,M3.2.0/02:00\\,M11.1.0/02:00"),
	       B('E', 'S', 'T', '5', 'E', 'D', 'T', '4', ',', 'M', '3', '.', '2', '.', '0', '/', '0', '2',
		 ':', '0', '0', ',', 'M', '1', '1', '.', '1', '.', '0', '/', '0', '2', ':', '0', '0'));

	expect_fail(enc("dns-servers", "2001:db8::1, 192.0.2.1"), "invalid IPv6 address '192.0.2.1'");
	expect_fail(enc("dns-servers", "2001:db8::g"), "invalid IPv6 address");
	expect_fail(enc("dns-servers", ""), "needs a value");
	expect_fail(enc("domain-search", "example..org"), "empty label");
	expect_fail(enc("unicast", "2001:db8::1, 2001:db8::2"), "takes 1 value, got 2");
	expect_fail(enc("bootfile-url", ""), "needs a value");
}

static void test_integers_bool(void)
{
	const int fields[] = { DHCP6_OT_BOOL, DHCP6_OT_INT16, DHCP6_OT_IPV4, -1 };
	const struct dhcp6_opt_def flag = { .code = 65000, .name = "flag", .space = DHCP6_SPACE,
					    .type = DHCP6_OT_BOOL };
	const struct dhcp6_opt_def rec = { .code = 65001, .name = "rec", .space = DHCP6_SPACE,
					   .type = DHCP6_OT_RECORD, .fields = fields };

	EXPECT(enc("information-refresh-time", "3600"), B(0x00, 0x00, 0x0e, 0x10));
	EXPECT(enc("information-refresh-time", "0xffffffff"), B(0xff, 0xff, 0xff, 0xff));
	EXPECT(enc("preference", "255"), B(0xff));
	EXPECT(enc("solmax-rt", "7200"), B(0x00, 0x00, 0x1c, 0x20));
	EXPECT(enc("client-arch-type", "7, 9"), B(0x00, 0x07, 0x00, 0x09));
	EXPECT(enc("relay-source-port", "547"), B(0x02, 0x23));
	expect_fail(enc("preference", "256"), "value '256' out of range for uint8");
	expect_fail(enc("preference", "-1"), "out of range for uint8");
	expect_fail(enc("information-refresh-time", "4294967296"), "out of range for uint32");
	expect_fail(enc("information-refresh-time", "1h"), "invalid uint32 value '1h'");

	EXPECT(dhcp6_opt_encode(&flag, "true", true, o, sizeof(o), err, sizeof(err)), B(1));
	EXPECT(dhcp6_opt_encode(&flag, "FALSE", true, o, sizeof(o), err, sizeof(err)), B(0));
	EXPECT(dhcp6_opt_encode(&flag, "1", true, o, sizeof(o), err, sizeof(err)), B(1));
	expect_fail(dhcp6_opt_encode(&flag, "yes", true, o, sizeof(o), err, sizeof(err)),
		    "invalid boolean 'yes'");
	EXPECT(dhcp6_opt_encode(&rec, "false, -2, 192.0.2.1", true, o, sizeof(o), err, sizeof(err)),
	       B(0x00, 0xff, 0xfe, 0xc0, 0x00, 0x02, 0x01));
	expect_fail(dhcp6_opt_encode(&rec, "false, -2", true, o, sizeof(o), err, sizeof(err)),
		    "takes 3 values, got 2");
	expect_fail(dhcp6_opt_encode(&rec, "false, 40000, 192.0.2.1", true, o, sizeof(o), err,
				     sizeof(err)), "out of range for int16");
}

static void test_records_tuples_prefixes(void)
{
	EXPECT(enc("status-code", "0, ok"), B(0x00, 0x00, 'o', 'k'));
	EXPECT(enc("remote-id", "4491, 0a0b"), B(0x00, 0x00, 0x11, 0x8b, 0x0a, 0x0b));
	EXPECT(enc("nii", "1, 3, 0"), B(1, 3, 0));
	/* an array of records repeats its last field (Kea) */
	EXPECT(enc("rdnss-selection", "2001:db8::53, 1, a.example, b.example"),
	       B(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53, 1,
		 1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		 1, 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0));
	expect_fail(enc("rdnss-selection", "2001:db8::53, 1"), "takes at least 3 values, got 2");
	expect_fail(enc("nii", "1, 3, 0, 4"), "takes 3 values, got 4");
	/* tuples carry a 2-byte length */
	EXPECT(enc("bootfile-param", "a, bc"), B(0x00, 0x01, 'a', 0x00, 0x02, 'b', 'c'));
	/* prefixes: length, then the significant bytes, bits past it cleared */
	EXPECT(enc_in("s46-cont-mapt-options", "s46-dmr", "2001:db8:ffff::/41", true),
	       B(41, 0x20, 0x01, 0x0d, 0xb8, 0xff, 0x80));
	EXPECT(enc_in("s46-cont-mapt-options", "s46-dmr", "2001:db8::/ 32", true),
	       B(32, 0x20, 0x01, 0x0d, 0xb8));
	EXPECT(enc_in("s46-cont-mapt-options", "s46-dmr", "::/0", true), B(0));
	expect_fail(enc_in("s46-cont-mapt-options", "s46-dmr", "2001:db8::/129", true),
		    "invalid length in IPv6 prefix");
	expect_fail(enc_in("s46-cont-mapt-options", "s46-dmr", "2001:db8::", true),
		    "expected value/length");
	EXPECT(enc_in("s46-cont-lw-options", "s46-v4v6bind", "192.0.2.1, 2001:db8:1::/48", true),
	       B(0xc0, 0x00, 0x02, 0x01, 48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01));
	/* PSID 52 in 6 bits: 110100 in the high bits of 2 bytes */
	EXPECT(enc_in("s46-rule-options", "s46-portparams", "0, 52/6", true),
	       B(0x00, 0x06, 0xd0, 0x00));
	expect_fail(enc_in("s46-rule-options", "s46-portparams", "0, 64/6", true),
		    "PSID 64 does not fit in 6 bits");
	expect_fail(enc_in("s46-rule-options", "s46-portparams", "0, 1/17", true),
		    "invalid length in PSID");
	/* empty options take no value */
	CU_ASSERT_EQUAL(enc("rapid-commit", ""), 0);
	CU_ASSERT_EQUAL(enc("ntp-server", " "), 0);
	expect_fail(enc("rapid-commit", "1"), "takes no value");
}

static void test_hex_text_length(void)
{
	char *big;
	int rc;

	EXPECT(enc_in(NULL, "interface-id", "01:02:ff", false), B(0x01, 0x02, 0xff));
	EXPECT(enc_in(NULL, "dns-servers", "0x20010db8", false), B(0x20, 0x01, 0x0d, 0xb8));
	EXPECT(enc_in(NULL, NULL, "'port 1'", true), B('p', 'o', 'r', 't', ' ', '1'));
	EXPECT(enc_in(NULL, NULL, "abc", false), B(0x0a, 0xbc));
	CU_ASSERT_EQUAL(enc_in(NULL, NULL, "", false), 0);
	expect_fail(enc_in(NULL, NULL, "0xzz", false), "invalid hex string");

	/* A DHCPv6 value may pass 255 bytes: 20 addresses are 320. */
	big = malloc(20 * 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	big[0] = '\0';
	for (int i = 0; i < 20; i++)
		sprintf(big + strlen(big), "%s2001:db8::%x", i ? "," : "", i + 1);
	rc = enc("dns-servers", big);
	CU_ASSERT_EQUAL(rc, 320);
	CU_ASSERT_EQUAL(o[319], 20);
	/* ... but not the room given */
	rc = dhcp6_opt_encode(dhcp6_opt_def_by_name(NULL, "dns-servers"), big, true, o, 40,
			      err, sizeof(err));
	expect_fail(rc, "encoded value longer than 40 bytes");
	free(big);
}

static void test_encapsulation(void)
{
	uint8_t addr[16], fqdn[16], ent[4], out[128];
	struct dhcp6_subopt subs[2];
	size_t len = 0;
	int n, a, f;

	/* ntp-server (56): its value is its sub-options, each code, length, value */
	a = enc_in(DHCP6_NTP_SERVER_SPACE, "ntp-server-address", "2001:db8::123", true);
	CU_ASSERT_EQUAL_FATAL(a, 16);
	memcpy(addr, o, 16);
	f = enc_in(DHCP6_NTP_SERVER_SPACE, "ntp-server-fqdn", "ntp.example", true);
	CU_ASSERT_EQUAL_FATAL(f, 13);
	memcpy(fqdn, o, 13);
	subs[0] = (struct dhcp6_subopt){ .code = 1, .len = 16, .data = addr };
	subs[1] = (struct dhcp6_subopt){ .code = 3, .len = 13, .data = fqdn };
	n = dhcp6_opt_encapsulate(o, sizeof(o), NULL, 0, subs, 2);
	EXPECT(n, B(0x00, 0x01, 0x00, 0x10,
		    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23,
		    0x00, 0x03, 0x00, 0x0d,
		    3, 'n', 't', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0));
	CU_ASSERT_EQUAL(dhcp6_opt_encapsulate(out, 20, NULL, 0, subs, 2), -ENOSPC);

	/* vendor-opts (17): the enterprise number its data gives, then the
	 * vendor-<enterprise> sub-options */
	CU_ASSERT_EQUAL_FATAL(enc("vendor-opts", "4491"), 4);
	memcpy(ent, o, 4);
	CU_ASSERT(memcmp(ent, "\x00\x00\x11\x8b", 4) == 0);
	subs[0] = (struct dhcp6_subopt){ .code = 32, .len = 2, .data = (const uint8_t *)"\x01\x02" };
	n = dhcp6_opt_encapsulate(o, sizeof(o), ent, 4, subs, 1);
	EXPECT(n, B(0x00, 0x00, 0x11, 0x8b, 0x00, 0x20, 0x00, 0x02, 0x01, 0x02));
	n = dhcp6_opt_vendor_opts(o, sizeof(o), 4491, subs, 1);
	EXPECT(n, B(0x00, 0x00, 0x11, 0x8b, 0x00, 0x20, 0x00, 0x02, 0x01, 0x02));
	CU_ASSERT_EQUAL(dhcp6_opt_vendor_opts(out, 9, 4491, subs, 1), -ENOSPC);
	expect_fail(enc("vendor-opts", "4491, 9"), "takes 1 value");

	/* dhcp6_opt_put: nothing written when it does not fit */
	CU_ASSERT_EQUAL(dhcp6_opt_put(out, 8, &len, 7, "\xff", 1), 0);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT(memcmp(out, "\x00\x07\x00\x01\xff", 5) == 0);
	CU_ASSERT_EQUAL(dhcp6_opt_put(out, 8, &len, 7, "\xff", 1), -ENOSPC);
	CU_ASSERT_EQUAL(len, 5);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dhcp6_options", NULL, NULL);
	CU_add_test(s, "lookup by space, name, code", test_lookup);
	CU_add_test(s, "addresses, names, strings", test_addresses_names);
	CU_add_test(s, "integers and booleans", test_integers_bool);
	CU_add_test(s, "records, tuples, prefixes, psid", test_records_tuples_prefixes);
	CU_add_test(s, "hex, quoted text, long values", test_hex_text_length);
	CU_add_test(s, "ntp-server and vendor-opts encapsulation", test_encapsulation);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
