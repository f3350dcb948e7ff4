/* rad_dict_test: the built-in attributes and their VALUEs, the stock
 * FreeRADIUS and radcli dictionaries, a dictionary file of our own
 * (VENDOR, BEGIN-VENDOR, VALUE, $INCLUDE, redefinitions, what is skipped),
 * the refusals with their file:line, encoding every type from text and
 * from expression bytes, and the identifier text of rad_ident.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "rad_dict.h"
#include "rad_ident.h"

static char tmpdir[] = "/tmp/rad_dict_test_XXXXXX";
static char err[1024];

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static const struct rad_dict_attr *attr(const struct rad_dict *d, const char *name)
{
	const struct rad_dict_attr *a = rad_dict_by_name(d, name);

	CU_ASSERT_PTR_NOT_NULL(a);
	if (a == NULL)
		fprintf(stderr, "\nno attribute %s\n", name);
	return a;
}

/* ---------------------------------------------------------------------- */

static void test_builtins(void)
{
	struct rad_dict *d = rad_dict_create();
	const struct rad_dict_attr *a;
	static const struct {
		const char *name;
		uint8_t type, dtype;
	} want[] = {
		{ "User-Name", 1, RAD_DT_STRING }, { "NAS-IP-Address", 4, RAD_DT_IPADDR },
		{ "Service-Type", 6, RAD_DT_INTEGER }, { "Framed-IP-Address", 8, RAD_DT_IPADDR },
		{ "Class", 25, RAD_DT_OCTETS }, { "Calling-Station-Id", 31, RAD_DT_STRING },
		{ "Acct-Status-Type", 40, RAD_DT_INTEGER }, { "Acct-Session-Id", 44, RAD_DT_STRING },
		{ "Event-Timestamp", 55, RAD_DT_DATE }, { "NAS-Port-Type", 61, RAD_DT_INTEGER },
		{ "Message-Authenticator", 80, RAD_DT_OCTETS }, { "NAS-Port-Id", 87, RAD_DT_STRING },
		{ "Framed-Pool", 88, RAD_DT_STRING }, { "NAS-IPv6-Address", 95, RAD_DT_IPV6ADDR },
		{ "Framed-Interface-Id", 96, RAD_DT_IFID },
		{ "Framed-IPv6-Prefix", 97, RAD_DT_IPV6PREFIX }, { "Framed-IPv6-Pool", 100, RAD_DT_STRING },
		{ "Delegated-IPv6-Prefix", 123, RAD_DT_IPV6PREFIX },
		{ "Framed-IPv6-Address", 168, RAD_DT_IPV6ADDR },
		{ "Stateful-IPv6-Address-Pool", 172, RAD_DT_STRING },
	};
	uint32_t v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		a = attr(d, want[i].name);
		if (a == NULL)
			continue;
		CU_ASSERT_STRING_EQUAL(a->name, want[i].name);
		CU_ASSERT_EQUAL(a->vendor, 0);
		CU_ASSERT_EQUAL(a->type, want[i].type);
		CU_ASSERT_EQUAL(a->dtype, want[i].dtype);
		CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 0, want[i].type), a);
	}
	/* names are case-insensitive; the dictionary's spelling comes back */
	a = rad_dict_by_name(d, "framed-ip-ADDRESS");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->name, "Framed-IP-Address");
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Framed-IP-Adress"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, ""));
	CU_ASSERT_PTR_NULL(rad_dict_by_num(d, 0, 17));        /* unassigned */
	CU_ASSERT_PTR_NULL(rad_dict_by_num(d, 9, 1));         /* no vendors built in */

	/* VALUEs both ways */
	a = attr(d, "Acct-Status-Type");
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Start", &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "stop", &v), 0);
	CU_ASSERT_EQUAL(v, 2);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Interim-Update", &v), 0);
	CU_ASSERT_EQUAL(v, 3);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Alive", &v), 0);
	CU_ASSERT_EQUAL(v, 3);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Accounting-On", &v), 0);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Begin", &v), -1);
	CU_ASSERT_STRING_EQUAL(rad_dict_value_name(d, a, 3), "Interim-Update");
	CU_ASSERT_STRING_EQUAL(rad_dict_value_name(d, a, 2), "Stop");
	CU_ASSERT_PTR_NULL(rad_dict_value_name(d, a, 99));
	a = attr(d, "NAS-Port-Type");
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Ethernet", &v), 0);
	CU_ASSERT_EQUAL(v, 15);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Wireless-802.11", &v), 0);
	CU_ASSERT_EQUAL(v, 19);
	a = attr(d, "Service-Type");
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Framed-User", &v), 0);
	CU_ASSERT_EQUAL(v, 2);
	CU_ASSERT_STRING_EQUAL(rad_dict_value_name(d, a, 8), "Authenticate-Only");
	/* an attribute without VALUEs */
	CU_ASSERT_EQUAL(rad_dict_value(d, attr(d, "User-Name"), "Start", &v), -1);
	rad_dict_free(d);
}

/* The stock files load; a test skips only when the file is not there. */
static void load_stock(const char *path, void (*check)(const struct rad_dict *d))
{
	struct rad_dict *d;

	if (access(path, R_OK) != 0) {
		fprintf(stderr, "\n(skipped: no %s) ", path);
		return;
	}
	d = rad_dict_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(rad_dict_load(d, path, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_STRING_EQUAL(err, "");
	check(d);
	rad_dict_free(d);
}

static void check_freeradius(const struct rad_dict *d)
{
	const struct rad_dict_attr *a;
	uint32_t v;

	/* a format 1,1 vendor's attribute, by name and by number */
	a = attr(d, "Cisco-AVPair");
	if (a) {
		CU_ASSERT_EQUAL(a->vendor, 9);
		CU_ASSERT_EQUAL(a->type, 1);
		CU_ASSERT_EQUAL(a->dtype, RAD_DT_STRING);
		CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 9, 1), a);
	}
	a = attr(d, "MS-CHAP-Challenge");
	if (a) {
		CU_ASSERT_EQUAL(a->vendor, 311);
		CU_ASSERT_EQUAL(a->dtype, RAD_DT_OCTETS);
	}
	/* the standard ones are still there, with the file's VALUEs added */
	a = attr(d, "Framed-IPv6-Address");
	CU_ASSERT(a && a->type == 168 && a->dtype == RAD_DT_IPV6ADDR);
	a = attr(d, "Acct-Status-Type");
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Start", &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_STRING_EQUAL(rad_dict_value_name(d, a, 3), "Interim-Update");
	a = attr(d, "Framed-Protocol");
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "PPP", &v), 0);
	/* skipped: a WiMAX (format 1,1,c) attribute, a tagged one, a TLV
	 * member, a format 2,1 vendor's, an internal number */
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "WiMAX-Capability"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Tunnel-Type"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Lucent-Max-Shared-Users"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Auth-Type"));
}

static void check_radcli(const struct rad_dict *d)
{
	const struct rad_dict_attr *a;

	/* radcli names attribute 5 NAS-Port-Id (integer): its definition
	 * replaces the built-in one, and number 5 now gives it */
	a = attr(d, "NAS-Port-Id");
	if (a) {
		CU_ASSERT_EQUAL(a->type, 5);
		CU_ASSERT_EQUAL(a->dtype, RAD_DT_INTEGER);
		CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 0, 5), a);
	}
	a = attr(d, "NAS-Port-Id-String");
	CU_ASSERT(a && a->type == 87 && a->dtype == RAD_DT_STRING);
	CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 0, 87), a);
	/* radcli's ipv4addr is ipaddr */
	a = attr(d, "Framed-IP-Address");
	CU_ASSERT(a && a->dtype == RAD_DT_IPADDR);
}

static void test_stock_freeradius(void)
{
	load_stock("/usr/share/freeradius/dictionary", check_freeradius);
}

static void test_stock_radcli(void)
{
	load_stock("/etc/radcli/dictionary", check_radcli);
}

static void test_own_file(void)
{
	char inc[512], main_path[512];
	struct rad_dict *d;
	const struct rad_dict_attr *a, *b;
	uint32_t v;

	write_file("dictionary.acme",
		"# an included file, named relative to the including one\n"
		"VENDOR\tAcme\t4242\n"
		"BEGIN-VENDOR Acme\n"
		"ATTRIBUTE\tAcme-Group\t1\tstring\n"
		"ATTRIBUTE\tAcme-Level\t2\tinteger\n"
		"ATTRIBUTE\tAcme-Mask\t3\toctets[4]\n"
		"ATTRIBUTE\tAcme-Tagged\t4\tstring has_tag\n"
		"ATTRIBUTE\tAcme-Mac\t5\tether\n"
		"BEGIN-TLV Acme-Tlv\n"
		"ATTRIBUTE\tAcme-Tlv-Member\t6.1\tstring\n"
		"END-TLV Acme-Tlv\n"
		"ATTRIBUTE\tAcme-Counter\t7\tuint64 # a comment after\n"
		"VALUE\tAcme-Level\tGold\t3\n"
		"VALUE\tAcme-Level\tSilver\t0x2\n"
		"END-VENDOR Acme\n", inc, sizeof(inc));
	write_file("dictionary",
		"# comments and blank lines\n"
		"\n"
		"$INCLUDE dictionary.acme\n"
		"$INCLUDE- dictionary.not-there\n"
		"VENDOR Wide 77 format=2,1\n"
		"BEGIN-VENDOR Wide\n"
		"ATTRIBUTE Wide-Thing 300 string\n"
		"END-VENDOR Wide\n"
		"VENDOR\tOld\t99\n"
		"ATTRIBUTE\tOld-Style\t9\tipaddr\tOld\n"
		"ATTRIBUTE\tMy-Bytes\t\t240\tbyte\n"
		"ATTRIBUTE\tMy-Short\t241\tShort\n"
		"ATTRIBUTE\tMy-Internal\t3000\tstring\n"
		"ATTRIBUTE\tMy-Pass\t242\tstring encrypt=1\n"
		"VALUE\tNo-Such-Attribute\tX\t1\n"
		"VALUE\tMy-Bytes\tTen\t10\n"
		"# a redefinition of a name replaces it\n"
		"ATTRIBUTE\tFramed-Pool\t250\toctets\n"
		"BEGIN-PROTOCOL DHCPv6\n"
		"ATTRIBUTE Whatever 1 struct\n"
		"END-PROTOCOL DHCPv6\n", main_path, sizeof(main_path));
	d = rad_dict_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL_FATAL(rad_dict_load(d, main_path, err, sizeof(err)), 0);

	a = attr(d, "acme-group");
	CU_ASSERT(a && a->vendor == 4242 && a->type == 1 && a->dtype == RAD_DT_STRING);
	a = attr(d, "Acme-Level");
	CU_ASSERT(a && a->vendor == 4242 && a->type == 2 && a->dtype == RAD_DT_INTEGER);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "gold", &v), 0);
	CU_ASSERT_EQUAL(v, 3);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Silver", &v), 0);
	CU_ASSERT_EQUAL(v, 2);
	CU_ASSERT_STRING_EQUAL(rad_dict_value_name(d, a, 3), "Gold");
	CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 4242, 2), a);
	a = attr(d, "Acme-Mask");
	CU_ASSERT(a && a->dtype == RAD_DT_OCTETS);
	a = attr(d, "Acme-Counter");
	CU_ASSERT(a && a->type == 7 && a->dtype == RAD_DT_INTEGER64);
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Acme-Tagged"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Acme-Mac"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Acme-Tlv-Member"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Wide-Thing"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "My-Internal"));
	CU_ASSERT_PTR_NULL(rad_dict_by_name(d, "Whatever"));
	a = attr(d, "Old-Style");
	CU_ASSERT(a && a->vendor == 99 && a->type == 9 && a->dtype == RAD_DT_IPADDR);
	a = attr(d, "My-Bytes");
	CU_ASSERT(a && a->type == 240 && a->dtype == RAD_DT_BYTE);
	CU_ASSERT_EQUAL(rad_dict_value(d, a, "Ten", &v), 0);
	a = attr(d, "My-Short");
	CU_ASSERT(a && a->dtype == RAD_DT_SHORT);
	a = attr(d, "My-Pass");
	CU_ASSERT(a && a->dtype == RAD_DT_STRING);
	/* Framed-Pool moved to 250: 88 no longer names it */
	b = attr(d, "Framed-Pool");
	CU_ASSERT(b && b->type == 250 && b->dtype == RAD_DT_OCTETS);
	CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 0, 250), b);
	CU_ASSERT_PTR_NULL(rad_dict_by_num(d, 0, 88));
	/* the built-ins are untouched otherwise */
	CU_ASSERT_PTR_EQUAL(rad_dict_by_num(d, 0, 1), rad_dict_by_name(d, "User-Name"));
	rad_dict_free(d);
	unlink(inc);
	unlink(main_path);
}

/* Each broken file is refused with "<file>:<line>: <fragment>". */
static void expect_refused(const char *text, int line, const char *fragment)
{
	char path[512], prefix[600];
	struct rad_dict *d = rad_dict_create();

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	write_file("broken", text, path, sizeof(path));
	CU_ASSERT_EQUAL(rad_dict_load(d, path, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	CU_ASSERT(strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, fragment) != NULL);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, fragment) == NULL)
		fprintf(stderr, "\nwanted \"%s...%s\"\n   got \"%s\"\n", prefix, fragment, err);
	rad_dict_free(d);
	unlink(path);
}

static void test_refusals(void)
{
	char path[600], inner[512];
	struct rad_dict *d;

	expect_refused("ATTRIBUTE A 1 string\nATTRIBUTE B 2\n", 2, "needs a name, a number");
	expect_refused("\n\nATTRIBUTE A x1 string\n", 3, "\"x1\" is not a number");
	expect_refused("ATTRIBUTE A 1 strnig\n", 1, "unknown type \"strnig\"");
	expect_refused("ATTRIBUTE A 1 string Nobody\n", 1, "neither a vendor nor flags");
	expect_refused("VALUE A B\n", 1, "VALUE needs");
	expect_refused("ATTRIBUTE A 1 integer\nVALUE A B -1\n", 2, "is not a number");
	expect_refused("VENDOR Acme\n", 1, "VENDOR needs");
	expect_refused("VENDOR Acme 99999999999\n", 1, "vendor number");
	expect_refused("VENDOR Acme 1 format=x\n", 1, "format=");
	expect_refused("BEGIN-VENDOR Nobody\n", 1, "unknown vendor \"Nobody\"");
	expect_refused("VENDOR A 1\nVENDOR B 2\nBEGIN-VENDOR A\nEND-VENDOR B\n", 4, "does not close");
	expect_refused("END-VENDOR A\n", 1, "without BEGIN-VENDOR");
	expect_refused("VENDOR A 1\nBEGIN-VENDOR A\nATTRIBUTE X 1 string\n", 2, "never closed");
	expect_refused("VENDOR A 1\nBEGIN-VENDOR A\nATTRIBUTE X 256 string\nEND-VENDOR A\n", 3,
		       "over 255");
	expect_refused("END-TLV X\n", 1, "END-TLV without");
	expect_refused("# ok\nFOO bar\n", 2, "unknown keyword \"FOO\"");
	expect_refused("ATTRIBUTE A-name-that-is-far-too-long-for-the-dictionary-to-keep-it-at-all 1 "
		       "string\n", 1, "longer than");
	expect_refused("$INCLUDE\n", 1, "needs a file name");
	expect_refused("\n$INCLUDE dictionary.missing\n", 2, "dictionary.missing");
	expect_refused("$INCLUDE broken\n", 1, "nested deeper");
	expect_refused("ATTRIBUTE A 1 string\n$INCLUDE /\n", 2, "$INCLUDE /: Is a directory");

	/* an error in an included file names that file and its line */
	write_file("inner", "ATTRIBUTE Ok 1 string\n\nATTRIBUTE Bad 2 nonsense\n", inner, sizeof(inner));
	write_file("outer", "$INCLUDE inner\n", path, sizeof(path));
	d = rad_dict_create();
	CU_ASSERT_EQUAL(rad_dict_load(d, path, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s:3: ", inner);
	CU_ASSERT(strncmp(err, path, strlen(path)) == 0);
	rad_dict_free(d);
	unlink(inner);
	snprintf(path, sizeof(path), "%s/outer", tmpdir);
	unlink(path);

	/* a file that is not there */
	d = rad_dict_create();
	CU_ASSERT_EQUAL(rad_dict_load(d, "/nonexistent/dictionary", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dictionary"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
	rad_dict_free(d);
}

/* ---------------------------------------------------------------------- */

/* text encodes for attribute `name` to exactly want[0..n) */
static void enc_ok(const struct rad_dict *d, const char *name, const char *text,
		   const uint8_t *want, int n)
{
	uint8_t out[256];
	int r = rad_dict_encode(d, rad_dict_by_name(d, name), text, out, sizeof(out));

	CU_ASSERT_EQUAL(r, n);
	CU_ASSERT(r == n && memcmp(out, want, (size_t)n) == 0);
	if (r != n || memcmp(out, want, (size_t)n) != 0)
		fprintf(stderr, "\n%s \"%s\": got %d\n", name, text, r);
}

static void enc_bad(const struct rad_dict *d, const char *name, const char *text)
{
	uint8_t out[256];
	int r = rad_dict_encode(d, rad_dict_by_name(d, name), text, out, sizeof(out));

	CU_ASSERT_EQUAL(r, -1);
	if (r != -1)
		fprintf(stderr, "\n%s \"%s\" encoded (%d)\n", name, text, r);
}

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, (int)sizeof((const uint8_t[]){ __VA_ARGS__ })

/* An expression's bytes appended as an attribute: standard, a vendor's
 * inside Vendor-Specific, refused when not of the type or out of room. */
static void test_append_bytes(void)
{
	const struct rad_dict_attr csi = { .name = "Called-Station-Id", .type = 30,
					   .dtype = RAD_DT_STRING },
				   ip = { .name = "Framed-IP-Address", .type = 8,
					  .dtype = RAD_DT_IPADDR },
				   vsa = { .name = "X-Thing", .vendor = 9, .type = 1,
					   .dtype = RAD_DT_STRING };
	const uint8_t four[4] = { 198, 18, 0, 5 };
	uint8_t buf[32];
	uint16_t used = 0;

	CU_ASSERT_EQUAL(rad_dict_append_bytes(&csi, (const uint8_t *)"eth0", 4, buf, &used,
					      sizeof(buf)), 0);
	CU_ASSERT(used == 6 && buf[0] == 30 && buf[1] == 6 && memcmp(buf + 2, "eth0", 4) == 0);
	CU_ASSERT_EQUAL(rad_dict_append_bytes(&ip, four, 3, buf, &used, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(rad_dict_append_bytes(&ip, four, 4, buf, &used, sizeof(buf)), 0);
	CU_ASSERT(used == 12 && buf[6] == 8 && buf[7] == 6 && buf[11] == 5);
	CU_ASSERT_EQUAL(rad_dict_append_bytes(&vsa, (const uint8_t *)"ab", 2, buf, &used,
					      sizeof(buf)), 0);
	CU_ASSERT(used == 22 && buf[12] == 26 && buf[13] == 10 && buf[17] == 9 &&
		  buf[18] == 1 && buf[19] == 4 && memcmp(buf + 20, "ab", 2) == 0);
	CU_ASSERT_EQUAL(rad_dict_append_bytes(&csi, (const uint8_t *)"0123456789", 10, buf,
					      &used, sizeof(buf)), -1);   /* no room */
	CU_ASSERT_EQUAL(used, 22);
}

static void test_encode(void)
{
	struct rad_dict *d = rad_dict_create();
	char path[512], longtext[300];
	uint8_t out[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	write_file("types",
		"ATTRIBUTE T-Byte 241 byte\nVALUE T-Byte Seven 7\nVALUE T-Byte Big 300\n"
		"ATTRIBUTE T-Short 242 short\nATTRIBUTE T-Int64 243 integer64\n", path, sizeof(path));
	CU_ASSERT_EQUAL_FATAL(rad_dict_load(d, path, err, sizeof(err)), 0);
	unlink(path);

	/* string */
	enc_ok(d, "User-Name", "alice", B('a', 'l', 'i', 'c', 'e'));
	enc_ok(d, "User-Name", "0x41", B('0', 'x', '4', '1'));    /* strings are never hex */
	enc_bad(d, "User-Name", "");
	memset(longtext, 'a', 254);
	longtext[254] = '\0';
	enc_bad(d, "User-Name", longtext);                        /* over 253 */
	longtext[253] = '\0';
	CU_ASSERT_EQUAL(rad_dict_encode(d, rad_dict_by_name(d, "User-Name"), longtext, out,
					sizeof(out)), 253);
	CU_ASSERT_EQUAL(rad_dict_encode(d, rad_dict_by_name(d, "User-Name"), "abc", out, 2), -1);
	/* octets */
	enc_ok(d, "Class", "0x0a0B", B(0x0a, 0x0b));
	enc_ok(d, "Class", "plain", B('p', 'l', 'a', 'i', 'n'));
	enc_bad(d, "Class", "0x0a0");
	enc_bad(d, "Class", "0xzz");
	enc_bad(d, "Class", "0x");
	enc_bad(d, "Class", "");
	/* ipaddr */
	enc_ok(d, "Framed-IP-Address", "198.18.0.10", B(198, 18, 0, 10));
	enc_bad(d, "Framed-IP-Address", "198.18.0");
	enc_bad(d, "Framed-IP-Address", "198.18.0.256");
	enc_bad(d, "Framed-IP-Address", "2001:db8::1");
	/* integer: decimal or a VALUE name */
	enc_ok(d, "Session-Timeout", "3600", B(0, 0, 0x0e, 0x10));
	enc_ok(d, "Session-Timeout", "4294967295", B(0xff, 0xff, 0xff, 0xff));
	enc_ok(d, "Acct-Status-Type", "Interim-Update", B(0, 0, 0, 3));
	enc_ok(d, "NAS-Port-Type", "ethernet", B(0, 0, 0, 15));
	enc_ok(d, "Service-Type", "2", B(0, 0, 0, 2));
	enc_bad(d, "Session-Timeout", "4294967296");
	enc_bad(d, "Session-Timeout", "-1");
	enc_bad(d, "Session-Timeout", "12a");
	enc_bad(d, "Acct-Status-Type", "Begin");
	/* date */
	enc_ok(d, "Event-Timestamp", "1700000000", B(0x65, 0x53, 0xf1, 0x00));
	enc_bad(d, "Event-Timestamp", "yesterday");
	/* ipv6addr */
	enc_ok(d, "Framed-IPv6-Address", "2001:db8::1",
	       B(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
	enc_bad(d, "Framed-IPv6-Address", "198.18.0.1");
	enc_bad(d, "Framed-IPv6-Address", "2001:db8::g");
	/* ipv6prefix: RFC 3162 form, bits past the length cleared */
	enc_ok(d, "Delegated-IPv6-Prefix", "2001:db8:1::/48",
	       B(0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	enc_ok(d, "Framed-IPv6-Prefix", "2001:db8:1:ffff::1/52",
	       B(0, 52, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	enc_bad(d, "Delegated-IPv6-Prefix", "2001:db8::");
	enc_bad(d, "Delegated-IPv6-Prefix", "2001:db8::/129");
	enc_bad(d, "Delegated-IPv6-Prefix", "2001:db8::/x");
	enc_bad(d, "Delegated-IPv6-Prefix", "nonsense/64");
	/* ifid */
	enc_ok(d, "Framed-Interface-Id", "1:22:333:4444", B(0, 1, 0, 0x22, 3, 0x33, 0x44, 0x44));
	enc_bad(d, "Framed-Interface-Id", "1:2:3");
	enc_bad(d, "Framed-Interface-Id", "1:2:3:4:5");
	enc_bad(d, "Framed-Interface-Id", "12345:2:3:4");
	enc_bad(d, "Framed-Interface-Id", "1:2:3:g");
	/* integer64, byte (with VALUEs), short */
	enc_ok(d, "T-Int64", "18446744073709551615", B(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
	enc_ok(d, "T-Int64", "258", B(0, 0, 0, 0, 0, 0, 1, 2));
	enc_bad(d, "T-Int64", "18446744073709551616");
	enc_ok(d, "T-Byte", "255", B(255));
	enc_ok(d, "T-Byte", "Seven", B(7));
	enc_bad(d, "T-Byte", "256");
	enc_bad(d, "T-Byte", "Big");                              /* its VALUE does not fit */
	enc_ok(d, "T-Short", "65535", B(0xff, 0xff));
	enc_bad(d, "T-Short", "65536");
	/* no attribute, no text */
	CU_ASSERT_EQUAL(rad_dict_encode(d, NULL, "x", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rad_dict_encode(d, rad_dict_by_name(d, "User-Name"), NULL, out, sizeof(out)), -1);
	rad_dict_free(d);
}

static void test_from_bytes(void)
{
	struct rad_dict *d = rad_dict_create();
	static const uint8_t four[4] = { 198, 18, 0, 1 }, pfx[18] = { 0, 64, 0x20, 0x01 };
	static const uint8_t bad_pfx[18] = { 0, 129 }, bad_res[18] = { 1, 64 };
	uint8_t out[256], big[254];

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(big, 'x', sizeof(big));
#define FB(name, v, n) rad_dict_from_bytes(rad_dict_by_name(d, name), v, n, out, sizeof(out))
	CU_ASSERT_EQUAL(FB("User-Name", (const uint8_t *)"bob", 3), 3);
	CU_ASSERT_EQUAL(memcmp(out, "bob", 3), 0);
	CU_ASSERT_EQUAL(FB("Class", four, 4), 4);
	CU_ASSERT_EQUAL(FB("Class", four, 0), -1);               /* empty */
	CU_ASSERT_EQUAL(FB("Class", big, 254), -1);              /* over 253 */
	CU_ASSERT_EQUAL(FB("Class", big, 253), 253);
	CU_ASSERT_EQUAL(FB("Framed-IP-Address", four, 4), 4);
	CU_ASSERT_EQUAL(memcmp(out, four, 4), 0);
	CU_ASSERT_EQUAL(FB("Framed-IP-Address", four, 3), -1);
	CU_ASSERT_EQUAL(FB("Session-Timeout", four, 4), 4);      /* Kea's integers: 4 octets */
	CU_ASSERT_EQUAL(FB("Session-Timeout", four, 2), -1);
	CU_ASSERT_EQUAL(FB("Event-Timestamp", four, 4), 4);
	CU_ASSERT_EQUAL(FB("Framed-IPv6-Address", big, 16), 16);
	CU_ASSERT_EQUAL(FB("Framed-IPv6-Address", four, 4), -1);
	CU_ASSERT_EQUAL(FB("Framed-Interface-Id", big, 8), 8);
	CU_ASSERT_EQUAL(FB("Framed-Interface-Id", big, 16), -1);
	CU_ASSERT_EQUAL(FB("Delegated-IPv6-Prefix", pfx, 18), 18);
	CU_ASSERT_EQUAL(memcmp(out, pfx, 18), 0);
	CU_ASSERT_EQUAL(FB("Delegated-IPv6-Prefix", pfx, 16), -1);
	CU_ASSERT_EQUAL(FB("Delegated-IPv6-Prefix", bad_pfx, 18), -1);
	CU_ASSERT_EQUAL(FB("Delegated-IPv6-Prefix", bad_res, 18), -1);
	CU_ASSERT_EQUAL(rad_dict_from_bytes(rad_dict_by_name(d, "User-Name"), four, 4, out, 3), -1);
#undef FB
	rad_dict_free(d);
}

/* ---------------------------------------------------------------------- */

static void id_ok(const struct rad_ident_opts *o, enum rad_ident_type t, const uint8_t *id,
		  size_t len, const char *want)
{
	char out[254];
	int r = rad_ident_text(o, t, id, len, out, sizeof(out));

	CU_ASSERT_EQUAL(r, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\nwanted \"%s\", got \"%s\" (%d)\n", want, out, r);
}

static void test_ident(void)
{
	static const uint8_t mac[6] = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
	/* RFC 4361 client-id: 255, IAID 1, DUID-LL (00 03 00 01 + mac) */
	static const uint8_t cid_duid[] = { 255, 0, 0, 0, 1, 0, 3, 0, 1, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
	static const uint8_t cid_short[] = { 255, 0, 0, 0, 1 };
	static const uint8_t cid_text[] = { 0, 'h', 'o', 's', 't', '-', '1' };
	static const uint8_t cid_hw[] = { 1, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
	static const uint8_t duid_text[] = { 0, 0, 'b', 'o', 'x' };
	static const uint8_t duid_ll[] = { 0, 3, 0, 1, 0x0a, 0x1b };
	static const uint8_t flex[] = { 'p', 'o', 'r', 't', '-', '7' };
	static const uint8_t flex_bin[] = { 'p', 0x01 };
	struct rad_ident_opts o = { .extract_duid = true };
	char out[254], small[8];

	/* hw-address: lower-case ":"; canonical: "-", lower case as Kea writes it */
	id_ok(&o, RAD_ID_HW_ADDRESS, mac, 6, "0a:1b:2c:3d:4e:5f");
	CU_ASSERT_EQUAL(rad_ident_mac(&o, mac, 6, out, sizeof(out)), 17);
	CU_ASSERT_STRING_EQUAL(out, "0a:1b:2c:3d:4e:5f");
	o.canonical_mac_address = true;
	id_ok(&o, RAD_ID_HW_ADDRESS, mac, 6, "0a-1b-2c-3d-4e-5f");
	CU_ASSERT_EQUAL(rad_ident_mac(&o, mac, 6, out, sizeof(out)), 17);
	CU_ASSERT_STRING_EQUAL(out, "0a-1b-2c-3d-4e-5f");
	o.canonical_mac_address = false;

	/* client-id: extract-duid on a type-255 client-id, off, too short */
	id_ok(&o, RAD_ID_CLIENT_ID, cid_duid, sizeof(cid_duid), "00:03:00:01:0a:1b:2c:3d:4e:5f");
	id_ok(&o, RAD_ID_CLIENT_ID, cid_short, sizeof(cid_short), "ff:00:00:00:01");
	o.extract_duid = false;
	id_ok(&o, RAD_ID_CLIENT_ID, cid_duid, sizeof(cid_duid),
	      "ff:00:00:00:01:00:03:00:01:0a:1b:2c:3d:4e:5f");
	o.extract_duid = true;
	id_ok(&o, RAD_ID_CLIENT_ID, cid_hw, sizeof(cid_hw), "01:0a:1b:2c:3d:4e:5f");
	/* pop0 and printable */
	id_ok(&o, RAD_ID_CLIENT_ID, cid_text, sizeof(cid_text), "00:68:6f:73:74:2d:31");
	o.client_id_pop0 = true;
	id_ok(&o, RAD_ID_CLIENT_ID, cid_text, sizeof(cid_text), "68:6f:73:74:2d:31");
	id_ok(&o, RAD_ID_CLIENT_ID, cid_hw, sizeof(cid_hw), "01:0a:1b:2c:3d:4e:5f");  /* no 0 */
	o.client_id_printable = true;
	id_ok(&o, RAD_ID_CLIENT_ID, cid_text, sizeof(cid_text), "host-1");
	id_ok(&o, RAD_ID_CLIENT_ID, cid_hw, sizeof(cid_hw), "01:0a:1b:2c:3d:4e:5f");  /* not printable */
	o.client_id_pop0 = false;
	id_ok(&o, RAD_ID_CLIENT_ID, cid_text, sizeof(cid_text), "00:68:6f:73:74:2d:31");
	o.client_id_printable = false;

	/* duid: hex; pop0 drops a leading 00 00; printable as text */
	id_ok(&o, RAD_ID_DUID, duid_ll, sizeof(duid_ll), "00:03:00:01:0a:1b");
	id_ok(&o, RAD_ID_DUID, duid_text, sizeof(duid_text), "00:00:62:6f:78");
	o.client_id_pop0 = true;
	id_ok(&o, RAD_ID_DUID, duid_text, sizeof(duid_text), "62:6f:78");
	id_ok(&o, RAD_ID_DUID, duid_ll, sizeof(duid_ll), "00:03:00:01:0a:1b");
	o.client_id_printable = true;
	id_ok(&o, RAD_ID_DUID, duid_text, sizeof(duid_text), "box");
	o.client_id_pop0 = false;
	o.client_id_printable = false;

	/* flex-id */
	id_ok(&o, RAD_ID_FLEX_ID, flex, sizeof(flex), "70:6f:72:74:2d:37");
	o.client_id_printable = true;
	id_ok(&o, RAD_ID_FLEX_ID, flex, sizeof(flex), "port-7");
	id_ok(&o, RAD_ID_FLEX_ID, flex_bin, sizeof(flex_bin), "70:01");

	/* realm on any type, not on Calling-Station-Id */
	o.realm = "example.org";
	id_ok(&o, RAD_ID_FLEX_ID, flex, sizeof(flex), "port-7@example.org");
	id_ok(&o, RAD_ID_HW_ADDRESS, mac, 6, "0a:1b:2c:3d:4e:5f@example.org");
	CU_ASSERT_EQUAL(rad_ident_mac(&o, mac, 6, out, sizeof(out)), 17);
	o.realm = "";
	id_ok(&o, RAD_ID_FLEX_ID, flex, sizeof(flex), "port-7");

	/* does not fit, empty */
	CU_ASSERT_EQUAL(rad_ident_text(&o, RAD_ID_HW_ADDRESS, mac, 6, small, sizeof(small)), -1);
	CU_ASSERT_STRING_EQUAL(small, "");
	CU_ASSERT_EQUAL(rad_ident_text(&o, RAD_ID_HW_ADDRESS, mac, 6, out, 17), -1);
	CU_ASSERT_EQUAL(rad_ident_text(&o, RAD_ID_HW_ADDRESS, mac, 6, out, 18), 17);
	CU_ASSERT_EQUAL(rad_ident_text(&o, RAD_ID_CLIENT_ID, mac, 0, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rad_ident_mac(&o, mac, 0, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rad_ident_mac(&o, mac, 6, small, sizeof(small)), -1);
	o.realm = "a-realm-long-enough";
	CU_ASSERT_EQUAL(rad_ident_text(&o, RAD_ID_HW_ADDRESS, mac, 6, out, 30), -1);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} cases[] = {
		{ "built-in attributes and values", test_builtins },
		{ "FreeRADIUS's stock dictionary", test_stock_freeradius },
		{ "radcli's stock dictionary", test_stock_radcli },
		{ "a dictionary file of our own", test_own_file },
		{ "broken files refused at file:line", test_refusals },
		{ "config text encoded per type", test_encode },
		{ "expression bytes as values", test_from_bytes },
		{ "expression bytes appended as attributes", test_append_bytes },
		{ "identifier text", test_ident },
	};
	unsigned failures;
	CU_pSuite s;

	if (mkdtemp(tmpdir) == NULL || CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("rad_dict", NULL, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_add_test(s, cases[i].name, cases[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	rmdir(tmpdir);
	return failures ? 1 : 0;
}
