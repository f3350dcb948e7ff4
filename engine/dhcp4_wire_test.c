/* Unit tests for the wire formats: option encoder, DHCPv4 parser and
 * builder, Ethernet/IPv4/UDP/ARP helpers.  Golden packets live in
 * engine/testdata (the test runs with engine/ as its working directory). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4_options.h"

/* ---------------------------------------------------------------- options */

static int enc(const char *name, const char *data, bool csv, uint8_t *out, char *err)
{
	const struct dhcp4_opt_def *def = name ? dhcp4_opt_def_by_name(name) : NULL;

	if (name != NULL)
		CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	return dhcp4_opt_encode(def, data, csv, out, err, 128);
}

static void test_opt_lookup(void)
{
	const struct dhcp4_opt_def *d;

	d = dhcp4_opt_def_by_name("domain-name-servers");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->code, 6);
	CU_ASSERT_EQUAL(d->type, DHCP4_OT_IPV4);
	CU_ASSERT_TRUE(d->array);
	CU_ASSERT_PTR_EQUAL(dhcp4_opt_def_by_code(6), d);

	d = dhcp4_opt_def_by_code(66);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "tftp-server-name");
	CU_ASSERT_STRING_EQUAL(dhcp4_opt_def_by_code(67)->name, "boot-file-name");
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("domain-search")->type, DHCP4_OT_FQDN);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("domain-search")->code, 119);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("classless-static-route")->code, 121);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("tftp-server-address")->code, 150);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("dhcp-client-identifier")->type, DHCP4_OT_BINARY);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("time-offset")->type, DHCP4_OT_INT32);
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_name("no-such-option"));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_name(NULL));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_code(0));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_code(255));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_code(200));

	/* Every name maps back to its own code. */
	for (int c = 1; c < 255; c++) {
		d = dhcp4_opt_def_by_code((uint8_t)c);
		if (d != NULL)
			CU_ASSERT_PTR_EQUAL(dhcp4_opt_def_by_name(d->name), d);
	}
}

static void test_opt_encode_scalars(void)
{
	uint8_t o[255];
	char err[128];

	CU_ASSERT_EQUAL(enc("domain-name-servers", "192.0.2.1, 198.18.0.53", true, o, err), 8);
	CU_ASSERT_EQUAL(memcmp(o, "\xc0\x00\x02\x01\xc6\x12\x00\x35", 8), 0);

	CU_ASSERT_EQUAL(enc("subnet-mask", "255.255.255.0", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xff\xff\xff\x00", 4), 0);
	CU_ASSERT_EQUAL(enc("subnet-mask", "255.255.255.0,255.0.0.0", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "takes 1 value"));
	CU_ASSERT_EQUAL(enc("routers", "192.0.2.300", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "invalid IPv4 address '192.0.2.300'");

	CU_ASSERT_EQUAL(enc("default-ip-ttl", "64", true, o, err), 1);
	CU_ASSERT_EQUAL(o[0], 64);
	CU_ASSERT_EQUAL(enc("default-ip-ttl", "300", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "value '300' out of range for uint8");
	CU_ASSERT_EQUAL(enc("default-ip-ttl", "-1", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("default-ip-ttl", "12x", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "invalid uint8 value '12x'");

	CU_ASSERT_EQUAL(enc("interface-mtu", "1500", true, o, err), 2);
	CU_ASSERT_EQUAL(memcmp(o, "\x05\xdc", 2), 0);
	CU_ASSERT_EQUAL(enc("interface-mtu", "65536", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("dhcp-lease-time", "4294967295", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xff\xff\xff\xff", 4), 0);
	CU_ASSERT_EQUAL(enc("dhcp-lease-time", "0x10000", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\x00\x01\x00\x00", 4), 0);
	CU_ASSERT_EQUAL(enc("dhcp-lease-time", "4294967296", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("time-offset", "-3600", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xff\xff\xf1\xf0", 4), 0);
	CU_ASSERT_EQUAL(enc("time-offset", "-2147483649", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "value '-2147483649' out of range for int32");

	CU_ASSERT_EQUAL(enc("ip-forwarding", "true", true, o, err), 1);
	CU_ASSERT_EQUAL(o[0], 1);
	CU_ASSERT_EQUAL(enc("ip-forwarding", "false", true, o, err), 1);
	CU_ASSERT_EQUAL(o[0], 0);
	CU_ASSERT_EQUAL(enc("ip-forwarding", "yes", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid boolean 'yes'"));

	CU_ASSERT_EQUAL(enc("path-mtu-plateau-table", "68, 296,1500", true, o, err), 6);
	CU_ASSERT_EQUAL(memcmp(o, "\x00\x44\x01\x28\x05\xdc", 6), 0);
	CU_ASSERT_EQUAL(enc("routers", "", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a value"));
}

static void test_opt_encode_strings(void)
{
	uint8_t o[255];
	char err[128];
	char big[400];

	CU_ASSERT_EQUAL(enc("domain-name", "example.org", true, o, err), 11);
	CU_ASSERT_EQUAL(memcmp(o, "example.org", 11), 0);
	CU_ASSERT_EQUAL(enc("boot-file-name", "pxelinux.0", true, o, err), 10);
	/* Kea's escape: a literal comma in a string. */
	CU_ASSERT_EQUAL(enc("dhcp-message", "a\\,b", true, o, err), 3);
	CU_ASSERT_EQUAL(memcmp(o, "a,b", 3), 0);
	CU_ASSERT_EQUAL(enc("dhcp-message", "a,b", true, o, err), -1);

	memset(big, 'x', 300);
	big[300] = '\0';
	CU_ASSERT_EQUAL(enc("root-path", big, true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "255"));
	big[255] = '\0';
	CU_ASSERT_EQUAL(enc("root-path", big, true, o, err), 255);

	CU_ASSERT_EQUAL(enc("domain-search", "example.com, b.example.", true, o, err), 13 + 11);
	CU_ASSERT_EQUAL(memcmp(o, "\x07" "example" "\x03" "com" "\x00"
			       "\x01" "b" "\x07" "example" "\x00", 24), 0);
	CU_ASSERT_EQUAL(enc("domain-search", "a..b", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty label"));
	CU_ASSERT_EQUAL(enc("v4-access-domain", "example.com", true, o, err), 13);
}

static void test_opt_encode_records_hex(void)
{
	uint8_t o[255];
	char err[128];

	/* fqdn: flags, rcode1, rcode2, name */
	CU_ASSERT_EQUAL(enc("fqdn", "1, 0, 0, h.example", true, o, err), 3 + 11);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\x00\x00\x01h\x07" "example" "\x00", 14), 0);
	CU_ASSERT_EQUAL(enc("fqdn", "1, 0", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "takes 4 values, got 2"));
	/* array of records */
	CU_ASSERT_EQUAL(enc("slp-directory-agent", "true, 192.0.2.1, false, 192.0.2.2", true, o, err), 10);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\xc0\x00\x02\x01\x00\xc0\x00\x02\x02", 10), 0);
	CU_ASSERT_EQUAL(enc("slp-directory-agent", "true, 192.0.2.1, false", true, o, err), -1);
	/* binary last field */
	CU_ASSERT_EQUAL(enc("uuid-guid", "0, 0102ff", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\x00\x01\x02\xff", 4), 0);

	/* hex forms (csv-format false), also for a defined option */
	CU_ASSERT_EQUAL(enc("routers", "0xC0000201", false, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xc0\x00\x02\x01", 4), 0);
	CU_ASSERT_EQUAL(enc(NULL, "01:2:ab", false, o, err), 3);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\x02\xab", 3), 0);
	CU_ASSERT_EQUAL(enc(NULL, "01 02 ff", true, o, err), 3);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\x02\xff", 3), 0);
	CU_ASSERT_EQUAL(enc(NULL, "abc", false, o, err), 2);
	CU_ASSERT_EQUAL(memcmp(o, "\x0a\xbc", 2), 0);
	CU_ASSERT_EQUAL(enc(NULL, "", false, o, err), 0);
	CU_ASSERT_EQUAL(enc(NULL, "0xzz", false, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid hex string"));
	CU_ASSERT_EQUAL(enc(NULL, "01::02", false, o, err), -1);
	CU_ASSERT_EQUAL(enc(NULL, "123:4", false, o, err), -1);

	/* RFC 3442 */
	CU_ASSERT_EQUAL(enc("classless-static-route",
			    "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 198.18.0.1", true, o, err),
			1 + 4 + 4 + 1 + 0 + 4);
	CU_ASSERT_EQUAL(memcmp(o, "\x19\x0a\xe5\x00\x80\x0a\xe5\x00\x01"
			       "\x00\xc6\x12\x00\x01", 14), 0);
	CU_ASSERT_EQUAL(enc("classless-static-route", "10.0.0.0/33 - 10.0.0.1", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("classless-static-route", "10.0.0.0 10.0.0.1", true, o, err), -1);
}

/* ------------------------------------------------------------------- main */

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;

	s = CU_add_suite("dhcp4_options", NULL, NULL);
	CU_add_test(s, "lookup", test_opt_lookup);
	CU_add_test(s, "encode scalars", test_opt_encode_scalars);
	CU_add_test(s, "encode strings and fqdn", test_opt_encode_strings);
	CU_add_test(s, "encode records and hex", test_opt_encode_records_hex);

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
