/* Unit tests for classify/: every token against real packets (golden
 * frames from wire/testdata, the test runs in wire/, and packets built
 * here byte by byte), every operator and function, every error with its
 * column, the stack bound, member() ordering, the evaluation stages, and
 * Kea's documented examples.  Timings are printed, never asserted. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cls.h"
#include "dhcp4_wire.h"

/* ---------------------------------------------------------------- packets */

static uint8_t raw_built[1024], raw_disc[1600], raw_relay[1600];
static struct dhcp4_pkt built, disc, relay;
static struct dhcp4_rx rx_built = {
	.iface = 1, .src_ip = 0xc6120101, .dst_ip = 0xc6120001, .src_port = 67,
};

/* Options of the built packet: 53, 60 "PXEClient", 61, 82, 124, 125, 12. */
static const uint8_t built_opts[] = {
	53, 1, 1,
	60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
	61, 7, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	12, 6, 'H', 'o', 's', 't', '-', '1',
	82, 9, 1, 2, 'e', '0', 2, 3, 'a', 'b', 'c',
	/* 124: enterprise 4491, "docsis3.0", enterprise 4491, "foo" */
	124, 22, 0, 0, 0x11, 0x8b, 9, 'd', 'o', 'c', 's', 'i', 's', '3', '.', '0',
	0, 0, 0x11, 0x8b, 3, 'f', 'o', 'o',
	/* 125: enterprise 4491, 9 bytes of sub-options: 1 "abc", 2 0x0102 */
	125, 14, 0, 0, 0x11, 0x8b, 9, 1, 3, 'a', 'b', 'c', 2, 2, 1, 2,
	255,
};

static size_t build(uint8_t *buf, const uint8_t *opts, size_t n)
{
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;

	memset(buf, 0, DHCP4_MIN_LEN);
	h->op = DHCP4_BOOTREQUEST;
	h->htype = 1;
	h->hlen = 6;
	h->xid = htonl(0x01020304);
	h->ciaddr = htonl(0xc6120005);
	h->yiaddr = htonl(0xc6120006);
	h->siaddr = htonl(0xc6120007);
	h->giaddr = htonl(0xc6120101);
	memcpy(h->chaddr, "\x02\x00\x5e\x00\x00\x01", 6);
	h->magic = htonl(DHCP4_MAGIC);
	memcpy(buf + DHCP4_MIN_LEN, opts, n);
	return DHCP4_MIN_LEN + n;
}

static int load(const char *path, uint8_t *buf, size_t cap, struct dhcp4_pkt *p)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -errno;
	n = fread(buf, 1, cap, f);
	fclose(f);
	if (n <= 42)
		return -EINVAL;
	return dhcp4_parse(p, buf + 42, n - 42);
}

static int init_suite(void)
{
	size_t n = build(raw_built, built_opts, sizeof(built_opts));

	if (dhcp4_parse(&built, raw_built, n) != 0)
		return -1;
	if (load("testdata/dhclient_discover.bin", raw_disc, sizeof(raw_disc), &disc) != 0)
		return -1;
	if (load("testdata/relay_request_opt82.bin", raw_relay, sizeof(raw_relay), &relay) != 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- helpers */

static struct cls_registry *reg;    /* pkt.iface names; rebuilt per test that needs classes */

static struct cls_prog *comp(const char *text, enum cls_type t, struct cls_err *err)
{
	struct cls_compile_params p = { .text = text, .result = t, .reg = reg };

	return cls_compile(&p, err);
}

/* Boolean result of `text` on packet `p` (1/0), or the error (<0). */
static int evb_set(const char *text, const struct dhcp4_pkt *p, const struct cls_set *set)
{
	struct cls_err err;
	struct cls_prog *prog = comp(text, CLS_T_BOOL, &err);
	struct cls_env env = { .pkt = p, .rx = &rx_built, .iface = "eth1", .set = set };
	int r;

	if (prog == NULL) {
		printf("\n  compile failed: %s: %s\n", text, err.msg);
		return -1000;
	}
	r = cls_eval_bool(prog, &env);
	cls_prog_free(prog);
	return r;
}

static int evb(const char *text, const struct dhcp4_pkt *p)
{
	return evb_set(text, p, NULL);
}

/* String result of `text` equals the `n` bytes of `want`. */
static bool evs(const char *text, const struct dhcp4_pkt *p, const void *want, size_t n)
{
	static struct cls_scratch s;
	struct cls_err err;
	struct cls_prog *prog = comp(text, CLS_T_STRING, &err);
	struct cls_env env = { .pkt = p, .rx = &rx_built, .iface = "eth1" };
	const uint8_t *out;
	size_t len;
	bool ok;

	if (prog == NULL) {
		printf("\n  compile failed: %s: %s\n", text, err.msg);
		return false;
	}
	ok = cls_eval_str(prog, &env, &s, &out, &len) == 0 && len == n &&
	     (n == 0 || memcmp(out, want, n) == 0);
	if (!ok)
		printf("\n  %s: got %zu bytes '%.*s'\n", text, len, (int)len, (const char *)out);
	cls_prog_free(prog);
	return ok;
}

#define S(lit) lit, sizeof(lit) - 1

/* ----------------------------------------------------------------- tokens */

static void test_literals(void)
{
	CU_ASSERT_TRUE(evs("'PXEClient'", &built, S("PXEClient")));
	CU_ASSERT_TRUE(evs("''", &built, S("")));
	CU_ASSERT_TRUE(evs("0x010203", &built, S("\x01\x02\x03")));
	CU_ASSERT_TRUE(evs("0X0aBc", &built, S("\x0a\xbc")));
	CU_ASSERT_TRUE(evs("0x123", &built, S("\x01\x23")));      /* odd: leading 0 */
	CU_ASSERT_TRUE(evs("258", &built, S("\x00\x00\x01\x02"))); /* 4-byte integer */
	CU_ASSERT_TRUE(evs("4294967295", &built, S("\xff\xff\xff\xff")));
	CU_ASSERT_TRUE(evs("198.18.0.1", &built, S("\xc6\x12\x00\x01")));
	CU_ASSERT_TRUE(evs("2001:db8::1", &built,
			   S("\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01")));
	CU_ASSERT_TRUE(evs("('a')", &built, S("a")));
	CU_ASSERT_EQUAL(evb("'a' == 'a'", &built), 1);
	CU_ASSERT_EQUAL(evb("'a' == 'b'", &built), 0);
	CU_ASSERT_EQUAL(evb("'' == ''", &built), 1);
	CU_ASSERT_EQUAL(evb("'ab' == 'abc'", &built), 0);
	CU_ASSERT_EQUAL(evb("0x61 == 'a'", &built), 1);
	CU_ASSERT_EQUAL(evb("1 == 0x00000001", &built), 1);
	CU_ASSERT_EQUAL(evb("  'a'\t==\n'a'  ", &built), 1);
}

static void test_option(void)
{
	CU_ASSERT_EQUAL(evb("option[60].text == 'PXEClient'", &built), 1);
	CU_ASSERT_EQUAL(evb("option[60].hex == 'PXEClient'", &built), 1);
	CU_ASSERT_EQUAL(evb("option[60].exists", &built), 1);
	CU_ASSERT_EQUAL(evb("option[60].text == 'PXE'", &built), 0);
	CU_ASSERT_EQUAL(evb("option[77].exists", &built), 0);
	CU_ASSERT_TRUE(evs("option[77].hex", &built, S("")));
	CU_ASSERT_TRUE(evs("option[61].hex", &built, S("\x01\x02\x03\x04\x05\x06\x07")));
	CU_ASSERT_EQUAL(evb("option[vendor-class-identifier].text == 'PXEClient'", &built), 1);
	CU_ASSERT_EQUAL(evb("option[host-name].text == 'vm'", &disc), 1);
	CU_ASSERT_EQUAL(evb("option[12].text == 'vm'", &disc), 1);
	CU_ASSERT_EQUAL(evb("option[60].exists", &disc), 0);
	CU_ASSERT_EQUAL(evb("option[55].hex == 0x011c02030f06770c2c2f1a792a", &disc), 1);
	CU_ASSERT_EQUAL(evb("option[53].hex == 0x03", &relay), 1);
	CU_ASSERT_EQUAL(evb("option[0].exists or option[255].exists", &built), 0);
}

static void test_relay4(void)
{
	/* The golden relay frame: circuit-id "eth0/1", remote-id = its MAC,
	 * link-selection 198.18.2.0. */
	CU_ASSERT_EQUAL(evb("relay4[1].hex == 'eth0/1'", &relay), 1);
	CU_ASSERT_EQUAL(evb("relay4[1].text == 'eth0/1'", &relay), 1);
	CU_ASSERT_EQUAL(evb("relay4[2].hex == 0x02005e120a0b", &relay), 1);
	CU_ASSERT_EQUAL(evb("relay4[5].hex == 198.18.2.0", &relay), 1);
	CU_ASSERT_EQUAL(evb("relay4[5].exists", &relay), 1);
	CU_ASSERT_EQUAL(evb("relay4[3].exists", &relay), 0);
	CU_ASSERT_TRUE(evs("relay4[3].hex", &relay, S("")));
	CU_ASSERT_EQUAL(evb("relay4[1].exists", &disc), 0);    /* no option 82 at all */
	/* Kea's documented example. */
	CU_ASSERT_EQUAL(evb("relay4[2].hex == 'abc'", &built), 1);
	CU_ASSERT_EQUAL(evb("relay4[1].hex == 'e0'", &built), 1);
}

static void test_pkt(void)
{
	CU_ASSERT_EQUAL(evb("pkt.iface == 'eth1'", &built), 1);
	CU_ASSERT_TRUE(evs("pkt.src", &built, S("\xc6\x12\x01\x01")));
	CU_ASSERT_EQUAL(evb("pkt.src == 198.18.1.1", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt.dst == 198.18.0.1", &built), 1);
	{
		size_t n = DHCP4_MIN_LEN + sizeof(built_opts);
		uint8_t want[4] = { 0, 0, (uint8_t)(n >> 8), (uint8_t)n };
		char e[64];

		CU_ASSERT_TRUE(evs("pkt.len", &built, want, 4));
		snprintf(e, sizeof(e), "pkt.len == %zu", n);
		CU_ASSERT_EQUAL(evb(e, &built), 1);
	}
	CU_ASSERT_EQUAL(evb("pkt.len == 300", &disc), 1);

	CU_ASSERT_EQUAL(evb("pkt4.mac == 0x02005e000001", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.mac == 0x02005e12000a", &disc), 1);
	CU_ASSERT_EQUAL(evb("pkt4.hlen == 6", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.htype == 1", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.ciaddr == 198.18.0.5", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.yiaddr == 198.18.0.6", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.siaddr == 198.18.0.7", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.giaddr == 198.18.1.1", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.giaddr == 198.18.1.1", &relay), 1);
	CU_ASSERT_EQUAL(evb("pkt4.giaddr == 0.0.0.0", &disc), 1);
	CU_ASSERT_EQUAL(evb("pkt4.msgtype == 1", &disc), 1);
	CU_ASSERT_EQUAL(evb("pkt4.msgtype == 3", &relay), 1);
	CU_ASSERT_EQUAL(evb("pkt4.transid == 0x477bd750", &disc), 1);
	CU_ASSERT_EQUAL(evb("pkt4.transid == 0x11223344", &relay), 1);
	CU_ASSERT_EQUAL(evb("pkt4.transid == 16909060", &built), 1);
}

static void test_vendor(void)
{
	CU_ASSERT_EQUAL(evb("vendor.enterprise == 4491", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor[4491].exists", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor[*].exists", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor[3561].exists", &built), 0);
	CU_ASSERT_EQUAL(evb("vendor[4491].option[1].hex == 'abc'", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor[*].option[2].hex == 0x0102", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor[4491].option[1].exists", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor[4491].option[9].exists", &built), 0);
	CU_ASSERT_EQUAL(evb("vendor[3561].option[1].exists", &built), 0);
	CU_ASSERT_TRUE(evs("vendor[3561].option[1].hex", &built, S("")));
	CU_ASSERT_TRUE(evs("vendor.enterprise", &disc, S("")));
	CU_ASSERT_EQUAL(evb("vendor[*].exists", &disc), 0);

	/* 124: Kea's vendor-class semantics: the first enterprise decides,
	 * data is tuple 0, data[i] tuple i. */
	CU_ASSERT_EQUAL(evb("vendor-class[4491].data == 'docsis3.0'", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor-class[4491].data[0] == 'docsis3.0'", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor-class[*].data[1] == 'foo'", &built), 1);
	CU_ASSERT_TRUE(evs("vendor-class[4491].data[2]", &built, S("")));
	CU_ASSERT_TRUE(evs("vendor-class[3561].data", &built, S("")));
	CU_ASSERT_EQUAL(evb("vendor-class[4491].exists", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor-class[3561].exists", &built), 0);
	CU_ASSERT_EQUAL(evb("vendor-class.enterprise == 4491", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor-class[*].exists", &disc), 0);
	CU_ASSERT_EQUAL(evb("vendor-class[4491].exists and vendor[4491].exists", &built), 1);
}

/* A truncated 124 is ignored as Kea would refuse to read it. */
static void test_vendor_malformed(void)
{
	static const uint8_t o1[] = { 53, 1, 1, 124, 8, 0, 0, 0x11, 0x8b, 9, 'a', 'b', 'c', 255 };
	static const uint8_t o2[] = { 53, 1, 1, 124, 5, 0, 0, 0x11, 0x8b, 0,
				      125, 3, 0, 0, 1, 255 };
	/* a whole first tuple, then a second that runs past the end */
	static const uint8_t o3[] = { 53, 1, 1, 124, 13, 0, 0, 0x11, 0x8b, 2, 'a', 'b',
				      0, 0, 0x11, 0x8b, 9, 'c', 255 };
	uint8_t b[512];
	struct dhcp4_pkt p;

	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&p, b, build(b, o1, sizeof(o1))), 0);
	CU_ASSERT_EQUAL(evb("vendor-class[*].exists", &p), 0);
	CU_ASSERT_TRUE(evs("vendor-class[4491].data", &p, S("")));
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&p, b, build(b, o2, sizeof(o2))), 0);
	CU_ASSERT_EQUAL(evb("vendor-class[4491].exists", &p), 1);   /* one empty tuple */
	CU_ASSERT_TRUE(evs("vendor-class[4491].data", &p, S("")));
	CU_ASSERT_EQUAL(evb("vendor[*].exists", &p), 0);           /* 3 bytes: no enterprise */
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&p, b, build(b, o3, sizeof(o3))), 0);
	CU_ASSERT_EQUAL(evb("vendor-class[*].exists", &p), 0);
	CU_ASSERT_TRUE(evs("vendor-class[*].data", &p, S("")));    /* not tuple 0 either */
}

/* -------------------------------------------------------------- operators */

static void test_operators(void)
{
	const char *t = "'a' == 'a'", *f = "'a' == 'b'";
	char e[128];

	for (int x = 0; x < 2; x++) {
		for (int y = 0; y < 2; y++) {
			snprintf(e, sizeof(e), "%s and %s", x ? t : f, y ? t : f);
			CU_ASSERT_EQUAL(evb(e, &built), x && y);
			snprintf(e, sizeof(e), "%s or %s", x ? t : f, y ? t : f);
			CU_ASSERT_EQUAL(evb(e, &built), x || y);
		}
		snprintf(e, sizeof(e), "not %s", x ? t : f);
		CU_ASSERT_EQUAL(evb(e, &built), !x);
	}
	/* Precedence: not > and > or; parentheses override. */
	CU_ASSERT_EQUAL(evb("not 'a' == 'b' and 'a' == 'a'", &built), 1);
	CU_ASSERT_EQUAL(evb("'a' == 'a' or 'a' == 'b' and 'a' == 'b'", &built), 1);
	CU_ASSERT_EQUAL(evb("('a' == 'a' or 'a' == 'b') and 'a' == 'b'", &built), 0);
	CU_ASSERT_EQUAL(evb("not ('a' == 'a' or 'a' == 'b')", &built), 0);
	CU_ASSERT_EQUAL(evb("not not option[60].exists", &built), 1);
	CU_ASSERT_EQUAL(evb("((((option[60].exists))))", &built), 1);
	/* A right side that can fail always runs, as in Kea: an error on the
	 * right fails the whole test even when the left decides. */
	CU_ASSERT_EQUAL(evb("'a' == 'b' and addrtotext(0x01) == ''", &built), -EDOM);
	CU_ASSERT_EQUAL(evb("'a' == 'a' or addrtotext(0x01) == ''", &built), -EDOM);
	CU_ASSERT_EQUAL(evb("'a' == 'a' or ('a' == 'b' and ucase(option[60].hex) == 'X')", &built), 1);
	CU_ASSERT_EQUAL(evb("'a' == 'a' or ('a' == 'a' and addrtotext(0x01) == '')", &built), -EDOM);
}

/* 'and'/'or' skip a right side that cannot fail: every shape of three
 * operands, every truth assignment, against C's answer, with the
 * operands' classes set or not (a wrong jump offset lands mid-code). */
static void test_short_circuit(void)
{
	static const char *const shapes[] = {
		"%s or %s or %s", "%s and %s and %s", "%s or %s and %s", "%s and %s or %s",
		"(%s or %s) and %s", "%s and (%s or %s)", "not (%s or %s) or %s",
		"(%s and %s) or not %s",
	};
	struct cls_registry *saved = reg;
	struct cls_set set;
	char e[256], atom[3][48];
	int ids[3], bad = 0;

	reg = cls_registry_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
	for (int i = 0; i < 3; i++) {
		char name[4] = { 'x', (char)('0' + i), 0 };
		struct cls_err err;

		ids[i] = cls_registry_add(reg, name, NULL, 0, &err);
		CU_ASSERT_TRUE_FATAL(ids[i] > 0);
		/* alternate forms: member(), and a compare that reads the packet */
		if (i == 1)
			snprintf(atom[i], sizeof(atom[i]), "(member('%s') and option[60].exists)", name);
		else
			snprintf(atom[i], sizeof(atom[i]), "member('%s')", name);
	}
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		snprintf(e, sizeof(e), shapes[k], atom[0], atom[1], atom[2]);
		for (int v = 0; v < 8; v++) {
			bool a = v & 1, b = v & 2, c = v & 4, want;

			cls_set_clear(&set);
			for (int i = 0; i < 3; i++)
				if (v >> i & 1)
					cls_set_add(&set, (unsigned)ids[i]);
			switch (k) {
			case 0: want = a || b || c; break;
			case 1: want = a && b && c; break;
			case 2: want = a || (b && c); break;
			case 3: want = (a && b) || c; break;
			case 4: want = (a || b) && c; break;
			case 5: want = a && (b || c); break;
			case 6: want = !(a || b) || c; break;
			default: want = (a && b) || !c; break;
			}
			if (evb_set(e, &built, &set) != want) {
				printf("\n  %s with %d%d%d: want %d\n", e, a, b, c, want);
				bad++;
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	cls_registry_free(reg);
	reg = saved;
}

static void test_functions(void)
{
	/* substring, with Kea's negative start/length rules */
	CU_ASSERT_TRUE(evs("substring('foobar', 0, 6)", &built, S("foobar")));
	CU_ASSERT_TRUE(evs("substring('foobar', 3, 4)", &built, S("bar")));
	CU_ASSERT_TRUE(evs("substring('foobar', 1, all)", &built, S("oobar")));
	CU_ASSERT_TRUE(evs("substring('foobar', -1, all)", &built, S("r")));
	CU_ASSERT_TRUE(evs("substring('foobar', -3, 2)", &built, S("ba")));
	CU_ASSERT_TRUE(evs("substring('foobar', 4, -2)", &built, S("ob")));
	CU_ASSERT_TRUE(evs("substring('foobar', 3, -2)", &built, S("oo")));
	CU_ASSERT_TRUE(evs("substring('foobar', 2, -5)", &built, S("fo")));
	CU_ASSERT_TRUE(evs("substring('foobar', -1, -3)", &built, S("oba")));
	CU_ASSERT_TRUE(evs("substring('foobar', 6, 1)", &built, S("")));
	CU_ASSERT_TRUE(evs("substring('foobar', -7, 1)", &built, S("")));
	CU_ASSERT_TRUE(evs("substring('foobar', 0, 0)", &built, S("")));
	CU_ASSERT_TRUE(evs("substring('', 0, all)", &built, S("")));
	CU_ASSERT_TRUE(evs("substring('foobar', 0, 2147483647)", &built, S("foobar")));
	CU_ASSERT_TRUE(evs("substring('foobar', -2147483648, -2147483648)", &built, S("")));
	/* concat, ifelse */
	CU_ASSERT_TRUE(evs("concat('foo', 'bar')", &built, S("foobar")));
	CU_ASSERT_TRUE(evs("concat(concat('a', 'b'), concat('c', 'd'))", &built, S("abcd")));
	CU_ASSERT_TRUE(evs("concat(ucase('ab'), 'c')", &built, S("ABc")));   /* grows in place */
	CU_ASSERT_TRUE(evs("concat('', '')", &built, S("")));
	CU_ASSERT_TRUE(evs("ifelse(option[60].exists, 'pxe', 'other')", &built, S("pxe")));
	CU_ASSERT_TRUE(evs("ifelse(option[77].exists, 'x', option[12].hex)", &built, S("Host-1")));
	/* hexstring, split */
	CU_ASSERT_TRUE(evs("hexstring(pkt4.mac, ':')", &built, S("02:00:5e:00:00:01")));
	CU_ASSERT_TRUE(evs("hexstring(0xabcd, '')", &built, S("abcd")));
	CU_ASSERT_TRUE(evs("hexstring('', '-')", &built, S("")));
	CU_ASSERT_TRUE(evs("split('a.b..c', '.', 2)", &built, S("b")));
	CU_ASSERT_TRUE(evs("split('a.b..c', '.', 3)", &built, S("")));
	CU_ASSERT_TRUE(evs("split('a.b..c', '.', 4)", &built, S("c")));
	CU_ASSERT_TRUE(evs("split('a.b..c', '.', 5)", &built, S("")));
	CU_ASSERT_TRUE(evs("split('a.b', '.', 0)", &built, S("")));
	CU_ASSERT_TRUE(evs("split('a.b', '', 2)", &built, S("a.b")));
	CU_ASSERT_TRUE(evs("split('a:b|c', '|:', 3)", &built, S("c")));
	CU_ASSERT_TRUE(evs("split('', '.', 1)", &built, S("")));
	/* conversions */
	CU_ASSERT_TRUE(evs("addrtotext(pkt4.giaddr)", &built, S("198.18.1.1")));
	CU_ASSERT_TRUE(evs("addrtotext(2001:db8::1)", &built, S("2001:db8::1")));
	CU_ASSERT_TRUE(evs("addrtotext('')", &built, S("")));
	CU_ASSERT_TRUE(evs("int8totext(0xff)", &built, S("-1")));
	CU_ASSERT_TRUE(evs("uint8totext(0xff)", &built, S("255")));
	CU_ASSERT_TRUE(evs("int16totext(0xfffe)", &built, S("-2")));
	CU_ASSERT_TRUE(evs("uint16totext(0xfffe)", &built, S("65534")));
	CU_ASSERT_TRUE(evs("int32totext(0x80000000)", &built, S("-2147483648")));
	CU_ASSERT_TRUE(evs("uint32totext(0xffffffff)", &built, S("4294967295")));
	CU_ASSERT_TRUE(evs("uint32totext(pkt4.transid)", &built, S("16909060")));
	CU_ASSERT_TRUE(evs("uint8totext(substring(option[61].hex, 1, 1))", &built, S("2")));
	CU_ASSERT_TRUE(evs("int8totext('')", &built, S("")));
	CU_ASSERT_EQUAL(evb("int16totext(0x01) == ''", &built), -EDOM);
	CU_ASSERT_EQUAL(evb("addrtotext(0x0102) == ''", &built), -EDOM);
	CU_ASSERT_TRUE(evs("lcase('AbC-1')", &built, S("abc-1")));
	CU_ASSERT_TRUE(evs("ucase(option[12].text)", &built, S("HOST-1")));
	CU_ASSERT_TRUE(evs("ucase('')", &built, S("")));
}

/* ------------------------------------------------------------------ errors */

static void test_errors(void)
{
	static const struct { const char *text; int col; const char *msg; } cases[] = {
		{ "option[60].hex and 'x' == 'x'", 16, "'and' needs boolean operands, got string" },
		{ "option[60].exists or 'x'", 19, "'or' needs boolean operands, got string" },
		{ "'a' == 'b' == 'c'", 12, "'==' needs string operands, got boolean" },
		{ "not 'a'", 1, "'not' needs a boolean operand, got string" },
		{ "option[256].hex == 'a'", 8, "option code 256 out of range 0..255" },
		{ "option[-1].exists", 8, "option code -1 out of range" },
		{ "option[no-such-option].hex == 'a'", 8, "unknown option name 'no-such-option'" },
		{ "option[60].foo == 'a'", 12, "expected 'hex', 'text' or 'exists'" },
		{ "option 60", 8, "expected '['" },
		{ "'abc", 1, "unterminated string" },
		{ "pkt4.mac == 0x", 13, "'0x' needs hex digits" },
		{ "1.2.3 == 'a'", 1, "bad IPv4 address '1.2.3'" },
		{ "1::2::3 == 'a'", 1, "bad IPv6 address" },
		{ "4294967296 == 'a'", 1, "integer 4294967296 out of range" },
		{ "-1 == 'a'", 1, "integer -1 out of range" },
		{ "member('nope')", 8, "class 'nope' is not defined before this one" },
		{ "member(nope)", 8, "member() needs a class name in quotes" },
		{ "substring('abc', 'x', 1) == 'a'", 18, "substring start must be an integer literal" },
		{ "substring('abc', 0, 'x') == 'a'", 21, "substring length must be an integer literal" },
		{ "split('a', '.', 2147483648) == 'a'", 17, "split field 2147483648 out of range" },
		{ "concat('a') == 'a'", 11, "'concat' takes 2 arguments" },
		{ "concat('a', 'b', 'c') == 'a'", 16, "'concat' takes 2 arguments" },
		{ "ifelse('a', 'b', 'c') == 'b'", 8, "first argument of 'ifelse' must be a boolean, got string" },
		{ "concat('a', option[1].exists) == 'a'", 13, "second argument of 'concat' must be a string, got boolean" },
		{ "'a' == 'b' 'c'", 12, "unexpected string 'c' after a complete expression" },
		{ "pkt6.msgtype == 1", 1, "'pkt6' can only be used in DHCPv6" },
		{ "relay6[0].option[1].exists", 1, "'relay6' can only be used in DHCPv6" },
		{ "", 1, "empty expression" },
		{ "   ", 1, "empty expression" },
		{ "option[60].text", 1, "expression is string, a boolean is needed here" },
		{ "'a' = 'b'", 5, "'=' is not an operator" },
		{ "'a' == 'b' $", 12, "invalid character '$'" },
		{ "(option[60].exists", 19, "expected ')' to close the '(' at col 1, got end of expression" },
		{ "vendor[4491].foo", 14, "expected 'exists' or 'option'" },
		{ "vendor.foo == 'a'", 8, "expected 'enterprise'" },
		{ "vendor[4294967296].exists", 8, "enterprise id 4294967296 out of range" },
		{ "vendor-class[1].data[256] == ''", 22, "data index 256 out of range 0..255" },
		{ "vendor-class[1].foo", 17, "expected 'exists' or 'data'" },
		{ "pkt.foo == 'a'", 5, "unknown field 'foo' after 'pkt'" },
		{ "pkt4.chaddr == 'a'", 6, "unknown field 'chaddr' after 'pkt4'" },
		{ "foo == 'a'", 1, "unexpected 'foo'" },
		{ "'a' ==", 7, "unexpected end of expression" },
		{ "and", 1, "unexpected 'and'" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cls_err err;
		struct cls_prog *p;

		errno = 0;
		p = comp(cases[i].text, CLS_T_BOOL, &err);
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_EQUAL(errno, EINVAL);
		snprintf(buf, sizeof(buf), "col %d: ", cases[i].col);
		if (p != NULL || err.col != cases[i].col || strstr(err.msg, cases[i].msg) == NULL ||
		    strncmp(err.msg, buf, strlen(buf)) != 0) {
			printf("\n  '%s': want col %d '%s', got col %d '%s'\n", cases[i].text,
			       cases[i].col, cases[i].msg, err.col, err.msg);
			CU_FAIL("error case");
		}
		cls_prog_free(p);
	}

	/* A string expression where a string is wanted compiles; a boolean does not. */
	{
		struct cls_err err;
		struct cls_prog *p = comp("option[60].exists", CLS_T_STRING, &err);

		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_STRING_EQUAL(err.msg, "col 1: expression is boolean, a string is needed here");
	}
	/* v4 tokens refused in v6 (cls6_test.c has the rest). */
	{
		struct cls_compile_params cp = { .text = "pkt4.mac == 'a'", .result = CLS_T_BOOL,
						 .universe = CLS_V6 };
		struct cls_err err;

		CU_ASSERT_PTR_NULL(cls_compile(&cp, &err));
		CU_ASSERT_STRING_EQUAL(err.msg, "col 1: 'pkt4' can only be used in DHCPv4");
		cp.universe = 5;
		CU_ASSERT_PTR_NULL(cls_compile(&cp, &err));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
}

/* The compiler refuses what the evaluator's stack cannot hold, and
 * nesting the parser could not recurse through. */
static void test_bounds(void)
{
	char e[4096 + 64];
	struct cls_err err;
	struct cls_prog *p;
	size_t n;
	int col17 = 0;

	/* concat('a', concat('a', ... 'a')) with k concats needs k + 1 slots. */
	for (int k = CLS_STACK_MAX - 1; k <= CLS_STACK_MAX; k++) {
		n = 0;
		for (int i = 0; i < k; i++) {
			if (i == CLS_STACK_MAX - 1)
				col17 = (int)n + 13;    /* the 17th value: 'a' of this concat */
			n += snprintf(e + n, sizeof(e) - n, "concat('a', ");
		}
		n += snprintf(e + n, sizeof(e) - n, "'a'");
		for (int i = 0; i < k; i++)
			n += snprintf(e + n, sizeof(e) - n, ")");
		p = comp(e, CLS_T_STRING, &err);
		if (k + 1 <= CLS_STACK_MAX) {
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			CU_ASSERT_EQUAL(cls_prog_stack(p), CLS_STACK_MAX);
			CU_ASSERT_TRUE(evs(e, &built, "aaaaaaaaaaaaaaaa", CLS_STACK_MAX));
			cls_prog_free(p);
		} else {
			CU_ASSERT_PTR_NULL(p);
			CU_ASSERT_EQUAL(err.col, col17);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs more than 16 stack slots"));
		}
	}
	/* Left-nested concat stays at depth 2 however long. */
	n = 0;
	for (int i = 0; i < 40; i++)
		n += snprintf(e + n, sizeof(e) - n, "concat(");
	n += snprintf(e + n, sizeof(e) - n, "'a'");
	for (int i = 0; i < 40; i++)
		n += snprintf(e + n, sizeof(e) - n, ", 'b')");
	p = comp(e, CLS_T_STRING, &err);
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p != NULL)
		CU_ASSERT_EQUAL(cls_prog_stack(p), 2);
	cls_prog_free(p);

	/* 65 parentheses: refused by depth, not by the C stack. */
	n = 0;
	for (int i = 0; i < 65; i++)
		e[n++] = '(';
	n += snprintf(e + n, sizeof(e) - n, "'a' == 'a'");
	for (int i = 0; i < 65; i++)
		e[n++] = ')';
	e[n] = '\0';
	p = comp(e, CLS_T_BOOL, &err);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(err.col, 65);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nested more than 64 deep"));
	memset(e, 'n', 1);
	n = 0;
	for (int i = 0; i < 70; i++)
		n += snprintf(e + n, sizeof(e) - n, "not ");
	snprintf(e + n, sizeof(e) - n, "'a' == 'a'");
	CU_ASSERT_PTR_NULL(comp(e, CLS_T_BOOL, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nested more than 64 deep"));

	/* Text over CLS_EXPR_MAX is refused before parsing. */
	memset(e, ' ', CLS_EXPR_MAX + 1);
	memcpy(e, "'a'=='a'", 8);
	e[CLS_EXPR_MAX + 1] = '\0';
	CU_ASSERT_PTR_NULL(comp(e, CLS_T_BOOL, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "longer than"));

	/* Scratch: a result bigger than CLS_SCRATCH_MAX fails the test with
	 * -ENOSPC instead of overrunning anything. */
	n = snprintf(e, sizeof(e), "hexstring(0x");
	for (int i = 0; i < 600; i++)
		n += snprintf(e + n, sizeof(e) - n, "ab");
	snprintf(e + n, sizeof(e) - n, ", '::') == ''");
	CU_ASSERT_EQUAL(evb(e, &built), -ENOSPC);      /* 1200 + 599 * 2 > 2048 */
	e[n + 3] = '\0';
	strcat(e, "') == ''");
	CU_ASSERT_EQUAL(evb(e, &built), 0);            /* 1200 + 599 fits */
}

/* ----------------------------------------------------------- registry */

static void test_registry_rules(void)
{
	struct cls_registry *r = cls_registry_create();
	struct cls_err err;
	int a, b, k, kk;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(cls_registry_find(r, "ALL"), CLS_ID_ALL);
	CU_ASSERT_EQUAL(cls_registry_find(r, "KNOWN"), CLS_ID_KNOWN);
	CU_ASSERT_EQUAL(cls_registry_find(r, "UNKNOWN"), CLS_ID_UNKNOWN);
	CU_ASSERT_EQUAL(cls_registry_find(r, "DROP"), CLS_ID_DROP);
	CU_ASSERT_EQUAL(cls_registry_find(r, "x"), -ENOENT);

	a = cls_registry_add(r, "A", "option[60].exists", 0, &err);
	CU_ASSERT_EQUAL(a, CLS_ID_FIRST_USER);
	b = cls_registry_add(r, "B", "member('A') and member('ALL')", 0, &err);
	CU_ASSERT_EQUAL(b, CLS_ID_FIRST_USER + 1);
	CU_ASSERT_FALSE(cls_registry_depends_known(r, b));
	/* Forward and self references are refused, with the column. */
	CU_ASSERT_EQUAL(cls_registry_add(r, "C", "'a' == 'a' and member('D')", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(err.col, 23);
	CU_ASSERT_STRING_EQUAL(err.msg, "col 23: class 'D' is not defined before this one (nor builtin)");
	CU_ASSERT_EQUAL(cls_registry_add(r, "E", "member('E')", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_find(r, "E"), -ENOENT);      /* a failed add leaves nothing */
	CU_ASSERT_EQUAL(cls_registry_add(r, "D", "member('A')", 0, &err), CLS_ID_FIRST_USER + 2);
	/* An interned (referenced, undefined) name is not a member() target... */
	CU_ASSERT_EQUAL(cls_registry_intern(r, "later"), CLS_ID_FIRST_USER + 3);
	CU_ASSERT_EQUAL(cls_registry_add(r, "F", "member('later')", 0, &err), -EINVAL);
	/* ...until it is defined, keeping its id. */
	CU_ASSERT_EQUAL(cls_registry_add(r, "later", "", 0, &err), CLS_ID_FIRST_USER + 3);
	CU_ASSERT_TRUE(cls_registry_defined(r, CLS_ID_FIRST_USER + 3));
	CU_ASSERT_PTR_NULL(cls_registry_prog(r, CLS_ID_FIRST_USER + 3));
	CU_ASSERT_TRUE(cls_registry_add(r, "F", "member('later')", 0, &err) > 0);

	/* KNOWN/UNKNOWN make a class (and those testing it) post-host. */
	k = cls_registry_add(r, "K", "member('KNOWN') and option[60].exists", 0, &err);
	CU_ASSERT_TRUE(k > 0);
	CU_ASSERT_TRUE(cls_registry_depends_known(r, k));
	kk = cls_registry_add(r, "KK", "not member('K')", 0, &err);
	CU_ASSERT_TRUE(cls_registry_depends_known(r, kk));
	CU_ASSERT_TRUE(cls_registry_add(r, "U", "member('UNKNOWN')", 0, &err) > 0);
	CU_ASSERT_TRUE(cls_registry_depends_known(r, cls_registry_find(r, "U")));

	/* VENDOR_CLASS_* names are builtin: usable without a definition. */
	CU_ASSERT_TRUE(cls_registry_add(r, "V", "member('VENDOR_CLASS_PXEClient')", 0, &err) > 0);
	CU_ASSERT_TRUE(cls_registry_find(r, "VENDOR_CLASS_PXEClient") > 0);

	/* Builtins, duplicates, bad names, bad flags. */
	CU_ASSERT_EQUAL(cls_registry_add(r, "ALL", "", 0, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "'ALL' is a builtin class");
	CU_ASSERT_EQUAL(cls_registry_add(r, "KNOWN", "", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_add(r, "A", "", 0, &err), -EEXIST);
	CU_ASSERT_EQUAL(cls_registry_add(r, "", "", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_add(r, "bad\nname", "", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_add(r, "G", "", 0x80, &err), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_add(r, "H", "option[60].hex", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(err.col, 1);

	/* DROP: defined by the user, evaluated before the host lookup. */
	CU_ASSERT_EQUAL(cls_registry_add(r, "DROP", "member('KNOWN')", 0, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot depend on KNOWN/UNKNOWN"));
	CU_ASSERT_EQUAL(cls_registry_add(r, "DROP", "member('K')", 0, &err), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_add(r, "DROP", "option[60].text == 'bad'", 0, &err), CLS_ID_DROP);
	CU_ASSERT_EQUAL(cls_registry_add(r, "DROP", "", 0, &err), -EEXIST);
	CU_ASSERT_TRUE(cls_registry_add(r, "notdropped", "not member('DROP')", 0, &err) > 0);
	CU_ASSERT_STRING_EQUAL(cls_registry_name(r, CLS_ID_DROP), "DROP");
	CU_ASSERT_PTR_NULL(cls_registry_name(r, 255));

	CU_ASSERT_EQUAL(cls_registry_set_iface(r, CLS_MAX_IFACES, "x"), -EINVAL);
	CU_ASSERT_EQUAL(cls_registry_set_iface(r, 0, "0123456789012345678901234567890123"), -EINVAL);
	cls_registry_free(r);

	/* A DHCPv6 registry compiles its tests for DHCPv6: no DHCPv4 tokens. */
	r = cls_registry_create6();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(cls_registry_add(r, "v4", "pkt4.mac == 0x01", 0, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "can only be used in DHCPv4"));
	CU_ASSERT_TRUE(cls_registry_add(r, "any", "pkt.iface == 'eth0'", 0, &err) > 0);
	cls_registry_free(r);

	/* Full: 256 ids, then -ENOSPC. */
	r = cls_registry_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = CLS_ID_FIRST_USER; i < CLS_MAX_CLASSES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		CU_ASSERT_EQUAL(cls_registry_add(r, name, "option[60].exists", 0, &err), i);
	}
	CU_ASSERT_EQUAL(cls_registry_add(r, "one-too-many", "", 0, &err), -ENOSPC);
	CU_ASSERT_EQUAL(cls_registry_intern(r, "one-too-many"), -ENOSPC);
	CU_ASSERT_EQUAL(cls_registry_count(r), CLS_MAX_CLASSES);
	cls_registry_free(r);
}

/* Kea's order: ALL, VENDOR_CLASS_*, tests in config order (each sees the
 * classes before it), KNOWN-dependent ones after the host lookup,
 * required ones on demand. */
static void test_classify(void)
{
	struct cls_registry *r = cls_registry_create();
	struct cls_set set, req;
	struct cls_err err;
	int pxe, first, second, known, req1, req2, notag, vend, other, drop;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(cls_registry_set_iface(r, 1, "eth1"), 0);
	vend = cls_registry_intern(r, "VENDOR_CLASS_PXEClient");
	other = cls_registry_intern(r, "VENDOR_CLASS_docsis3.0");
	pxe = cls_registry_add(r, "pxe", "option[60].text == 'PXEClient' and pkt.iface == 'eth1'", 0, &err);
	first = cls_registry_add(r, "first", "member('pxe') and member('VENDOR_CLASS_PXEClient')", 0, &err);
	second = cls_registry_add(r, "second", "member('first') and not member('UNKNOWN')", 0, &err);
	known = cls_registry_add(r, "known-pxe", "member('KNOWN') and member('pxe')", 0, &err);
	req1 = cls_registry_add(r, "req1", "member('ALL')", CLS_F_ONLY_IF_REQUIRED, &err);
	req2 = cls_registry_add(r, "req2", "member('req1')", CLS_F_ONLY_IF_REQUIRED, &err);
	notag = cls_registry_add(r, "notag", NULL, 0, &err);
	drop = cls_registry_add(r, "DROP", "pkt4.mac == 0x02005e12000a", 0, &err);
	CU_ASSERT_TRUE_FATAL(pxe > 0 && first > 0 && second > 0 && known > 0 && req1 > 0 &&
			     req2 > 0 && notag > 0 && drop == CLS_ID_DROP);
	CU_ASSERT_TRUE(cls_registry_depends_known(r, second));
	CU_ASSERT_TRUE(cls_registry_required(r, req1));

	memset(&set, 0xff, sizeof(set));      /* PRE_HOST starts from nothing */
	CU_ASSERT_EQUAL(cls_classify(r, &built, &rx_built, &set, CLS_STAGE_PRE_HOST), 0);
	CU_ASSERT_TRUE(cls_set_has(&set, CLS_ID_ALL));
	CU_ASSERT_TRUE(cls_set_has(&set, vend));
	CU_ASSERT_FALSE(cls_set_has(&set, other));
	CU_ASSERT_TRUE(cls_set_has(&set, pxe));
	CU_ASSERT_TRUE(cls_set_has(&set, first));
	CU_ASSERT_FALSE(cls_set_has(&set, second));    /* waits for the host lookup */
	CU_ASSERT_FALSE(cls_set_has(&set, known));
	CU_ASSERT_FALSE(cls_set_has(&set, req1));
	CU_ASSERT_FALSE(cls_set_has(&set, notag));
	CU_ASSERT_FALSE(cls_set_has(&set, CLS_ID_DROP));
	CU_ASSERT_FALSE(cls_set_has(&set, CLS_ID_KNOWN) || cls_set_has(&set, CLS_ID_UNKNOWN));

	cls_set_known(&set, true);
	CU_ASSERT_EQUAL(cls_classify(r, &built, &rx_built, &set, CLS_STAGE_POST_HOST), 0);
	CU_ASSERT_TRUE(cls_set_has(&set, second));
	CU_ASSERT_TRUE(cls_set_has(&set, known));
	CU_ASSERT_FALSE(cls_set_has(&set, req1));

	/* Required classes: evaluated in config order, so req2 sees req1. */
	cls_set_clear(&req);
	cls_set_add(&req, req2);
	cls_set_add(&req, req1);
	cls_set_add(&req, notag);          /* no test: not assigned (Kea) */
	CU_ASSERT_EQUAL(cls_require(r, &built, &rx_built, &set, &req), 0);
	CU_ASSERT_TRUE(cls_set_has(&set, req1));
	CU_ASSERT_TRUE(cls_set_has(&set, req2));
	CU_ASSERT_FALSE(cls_set_has(&set, notag));

	/* An UNKNOWN client: second fails, known-pxe too. */
	CU_ASSERT_EQUAL(cls_classify(r, &built, &rx_built, &set, CLS_STAGE_PRE_HOST), 0);
	cls_set_known(&set, false);
	CU_ASSERT_EQUAL(cls_classify(r, &built, &rx_built, &set, CLS_STAGE_POST_HOST), 0);
	CU_ASSERT_TRUE(cls_set_has(&set, CLS_ID_UNKNOWN) && !cls_set_has(&set, CLS_ID_KNOWN));
	CU_ASSERT_FALSE(cls_set_has(&set, second));
	CU_ASSERT_FALSE(cls_set_has(&set, known));

	/* The dhclient frame: no option 60, DROP by MAC; another port. */
	{
		struct dhcp4_rx rx = { .iface = 0 };

		CU_ASSERT_EQUAL(cls_classify(r, &disc, &rx, &set, CLS_STAGE_PRE_HOST), 0);
		CU_ASSERT_TRUE(cls_set_has(&set, CLS_ID_DROP));
		CU_ASSERT_FALSE(cls_set_has(&set, vend) || cls_set_has(&set, pxe));
	}
	CU_ASSERT_EQUAL(cls_classify(r, &built, &rx_built, &set, 7), -EINVAL);
	{
		unsigned n;
		const uint8_t *o = cls_registry_order(r, &n);

		/* config order, DROP included, interned-only vendor names not */
		CU_ASSERT_EQUAL_FATAL(n, 8);
		CU_ASSERT_TRUE(o[0] == pxe && o[1] == first && o[2] == second && o[3] == known &&
			       o[4] == req1 && o[5] == req2 && o[6] == notag && o[7] == CLS_ID_DROP);
	}

	/* A test that fails to evaluate is counted and not assigned. */
	CU_ASSERT_TRUE(cls_registry_add(r, "broken", "addrtotext(option[60].hex) == ''", 0, &err) > 0);
	CU_ASSERT_EQUAL(cls_classify(r, &built, &rx_built, &set, CLS_STAGE_PRE_HOST), 1);
	CU_ASSERT_FALSE(cls_set_has(&set, cls_registry_find(r, "broken")));
	cls_registry_free(r);
}

static void test_set(void)
{
	struct cls_set a, b;

	cls_set_clear(&a);
	cls_set_clear(&b);
	CU_ASSERT_TRUE(cls_set_empty(&a));
	cls_set_add(&a, 255);
	cls_set_add(&a, 0);
	cls_set_add(&b, 64);
	CU_ASSERT_TRUE(cls_set_has(&a, 255) && cls_set_has(&a, 0) && !cls_set_has(&a, 64));
	CU_ASSERT_FALSE(cls_set_intersects(&a, &b));
	cls_set_add(&b, 255);
	CU_ASSERT_TRUE(cls_set_intersects(&a, &b));
	cls_set_del(&a, 255);
	CU_ASSERT_FALSE(cls_set_has(&a, 255));
	cls_set_known(&a, true);
	CU_ASSERT_TRUE(cls_set_has(&a, CLS_ID_KNOWN));
	cls_set_known(&a, false);
	CU_ASSERT_TRUE(cls_set_has(&a, CLS_ID_UNKNOWN) && !cls_set_has(&a, CLS_ID_KNOWN));
}

/* Examples from Kea's documentation (classification chapter). */
static void test_kea_examples(void)
{
	CU_ASSERT_EQUAL(evb("substring(option[61].hex,0,3) == 0x010203", &built), 1);
	CU_ASSERT_EQUAL(evb("option[60].text == 'PXEClient'", &built), 1);
	CU_ASSERT_EQUAL(evb("relay4[2].hex == 'abc'", &built), 1);
	CU_ASSERT_EQUAL(evb("option[123].exists", &built), 0);
	CU_ASSERT_EQUAL(evb("substring(option[60].hex,0,3) == 'PXE'", &built), 1);
	CU_ASSERT_EQUAL(evb("option[61].hex == 0x01020304050607 and not (pkt4.msgtype == 3)", &built), 1);
	CU_ASSERT_EQUAL(evb("vendor-class[4491].exists and substring(vendor-class[4491].data, 0, 6) == 'docsis'", &built), 1);
	CU_ASSERT_EQUAL(evb("concat('foo', substring('foobar', 3, all)) == 'foobar'", &built), 1);
	CU_ASSERT_EQUAL(evb("ifelse(option[12].exists, option[12].text, 'none') == 'Host-1'", &built), 1);
	CU_ASSERT_EQUAL(evb("hexstring(pkt4.mac, ':') == '02:00:5e:00:00:01'", &built), 1);
	CU_ASSERT_EQUAL(evb("pkt4.giaddr == 0.0.0.0", &built), 0);
	CU_ASSERT_EQUAL(evb("lcase(option[12].text) == 'host-1'", &built), 1);
	CU_ASSERT_EQUAL(evb("split(option[12].text, '-', 2) == '1'", &built), 1);
}

/* --------------------------------------------------------------- timing */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ------------------------------------------------------ classification cache */

/* A packet for the cache tests: the built packet's header, with these
 * MAC, xid and giaddr, and option 60 = vendor (none if NULL). */
static void cache_pkt_hlen(uint8_t *buf, struct dhcp4_pkt *p, const uint8_t mac[6], uint8_t hlen,
			   uint32_t xid, uint32_t giaddr, const char *vendor)
{
	uint8_t opts[300];
	size_t n = 0, vl = vendor ? strlen(vendor) : 0;
	struct dhcp4_hdr *h;

	opts[n++] = 53, opts[n++] = 1, opts[n++] = 1;
	if (vendor) {
		opts[n++] = 60;
		opts[n++] = (uint8_t)vl;
		memcpy(opts + n, vendor, vl);
		n += vl;
	}
	memcpy(opts + n, "\x52\x09\x01\x02\x65\x30\x02\x03\x61\x62\x63", 11);   /* 82 */
	n += 11;
	opts[n++] = 255;
	n = build(buf, opts, n);
	h = (struct dhcp4_hdr *)buf;
	memcpy(h->chaddr, mac, 6);
	h->hlen = hlen;
	h->xid = htonl(xid);
	h->giaddr = htonl(giaddr);
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(p, buf, n), 0);
}

static void cache_pkt(uint8_t *buf, struct dhcp4_pkt *p, const uint8_t mac[6], uint32_t xid,
		      uint32_t giaddr, const char *vendor)
{
	cache_pkt_hlen(buf, p, mac, 6, xid, giaddr, vendor);
}

/* Classify through the cache and directly: the same classes, the same
 * count of failed tests.  Returns true if they agree. */
static bool cache_agrees(const struct cls_registry *r, struct cls_cache *c,
			 const struct dhcp4_pkt *p, const struct dhcp4_rx *rx)
{
	struct cls_set a, b;
	int ra, rb;

	ra = cls_classify(r, p, rx, &a, CLS_STAGE_PRE_HOST);
	memset(&b, 0x5a, sizeof(b));
	rb = cls_classify_cached(r, c, p, rx, &b);
	if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0) {
		printf("\n  cache disagrees: %d vs %d, %016llx vs %016llx\n", ra, rb,
		       (unsigned long long)a.w[0], (unsigned long long)b.w[0]);
		return false;
	}
	return true;
}

static void test_cache(void)
{
	static const char *const tests[][2] = {
		{ "oui",    "substring(pkt4.mac, 0, 3) == 0x02005e" },
		{ "pxe",    "option[60].text == 'PXEClient'" },
		{ "relay",  "pkt4.giaddr == 198.18.1.1" },
		{ "tid",    "pkt4.transid == 0x00000007" },
		{ "mem",    "member('oui') and not member('VENDOR_CLASS_PXEClient')" },
		{ "src",    "pkt.src == 198.18.1.1 and pkt.iface == 'eth1'" },
		{ "broken", "addrtotext(option[60].hex) == '1.2.3.4'" },  /* fails unless 4 bytes */
		{ "rai",    "relay4[2].hex == 'abc' and option[60].exists" },
		{ "tail",   "substring(pkt4.mac, -1, all) == 0x09" },
		{ "known",  "member('KNOWN')" },                        /* POST_HOST: not here */
	};
	static const char *const vendors[] = { NULL, "PXEClient", "MSFT 5.0", "\x01\x02\x03\x04", "" };
	static uint8_t buf[1024];
	struct cls_registry *r = cls_registry_create();
	uint64_t n[CLS_CACHE_COUNTERS] = { 0 }, n0[CLS_CACHE_COUNTERS], n1[CLS_CACHE_COUNTERS];
	struct cls_cache *c = cls_cache_create(n);
	struct dhcp4_rx rx[2] = { rx_built, rx_built };
	struct dhcp4_pkt p;
	struct cls_err err;
	uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	bool all_agree = true;
	int id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(cls_registry_set_iface(r, 1, "eth1"), 0);
	cls_registry_intern(r, "VENDOR_CLASS_PXEClient");
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		CU_ASSERT_TRUE_FATAL(cls_registry_add(r, tests[i][0], tests[i][1], 0, &err) > 0);
	rx[1].iface = 0;
	rx[1].src_ip = 0xc6120202;

	/* Every mix of the inputs, each twice (the second from the cache):
	 * MAC inside and outside the slice a test reads, hlen, xid, giaddr, option
	 * 60 (absent, matching, other, 4 bytes, empty) and the port. */
	for (int round = 0; round < 2; round++)
		for (int m = 0; m < 8; m++)
			for (int x = 0; x < 2; x++)
				for (int g = 0; g < 2; g++)
					for (size_t v = 0; v < sizeof(vendors) / sizeof(vendors[0]); v++)
						for (int k = 0; k < 2; k++) {
							mac[2] = m & 1 ? 0x5f : 0x5e;    /* inside oui */
							mac[5] = m & 2 ? 0x09 : 0x01;    /* the last byte */
							/* hlen 2 cuts oui's slice short */
							cache_pkt_hlen(buf, &p, mac, m & 4 ? 2 : 6, x ? 7 : 8,
								       g ? 0xc6120101 : 0, vendors[v]);
							all_agree &= cache_agrees(r, c, &p, &rx[k]);
						}
	CU_ASSERT_TRUE(all_agree);
	CU_ASSERT_TRUE(n[CLS_CACHE_HITS] > 0 && n[CLS_CACHE_MISSES] > 0);

	/* A byte no test reads (mac[4]) changes nothing: a hit.  One that a
	 * test reads (mac[2]) is another key: a miss. */
	mac[2] = 0x5e;
	mac[4] = 0x33;
	cache_pkt(buf, &p, mac, 8, 0, NULL);
	CU_ASSERT_TRUE(cache_agrees(r, c, &p, &rx[0]));
	mac[4] = 0x44;
	cache_pkt(buf, &p, mac, 8, 0, NULL);
	memcpy(n0, n, sizeof(n));
	CU_ASSERT_TRUE(cache_agrees(r, c, &p, &rx[0]));
	memcpy(n1, n, sizeof(n));
	CU_ASSERT_EQUAL(n1[CLS_CACHE_HITS], n0[CLS_CACHE_HITS] + 1);
	mac[2] = 0x5d;
	cache_pkt(buf, &p, mac, 8, 0, NULL);
	CU_ASSERT_TRUE(cache_agrees(r, c, &p, &rx[0]));
	CU_ASSERT_EQUAL(n[CLS_CACHE_MISSES], n1[CLS_CACHE_MISSES] + 1);

	/* A class added to the registry: the cached answers are not used. */
	id = cls_registry_add(r, "late", "pkt4.giaddr == 0.0.0.0", 0, &err);
	CU_ASSERT_TRUE_FATAL(id > 0);
	{
		struct cls_set set;

		CU_ASSERT_EQUAL(cls_classify_cached(r, c, &p, &rx[0], &set), 0);
		CU_ASSERT_TRUE(cls_set_has(&set, id));
	}
	CU_ASSERT_TRUE(cache_agrees(r, c, &p, &rx[0]));

	/* An option value too long for the key: classified directly. */
	{
		char big[201];

		memset(big, 'v', 200);
		big[200] = '\0';
		cache_pkt(buf, &p, mac, 8, 0, big);
		memcpy(n0, n, sizeof(n));
		CU_ASSERT_TRUE(cache_agrees(r, c, &p, &rx[0]));
		CU_ASSERT_EQUAL(n[CLS_CACHE_DIRECT], n0[CLS_CACHE_DIRECT] + 1);
		CU_ASSERT_EQUAL(n[CLS_CACHE_HITS] + n[CLS_CACHE_MISSES],
				n0[CLS_CACHE_HITS] + n0[CLS_CACHE_MISSES]);
	}

	/* Every packet a new xid: nothing hits, the cache steps aside (and
	 * the answers stay right). */
	cls_cache_free(c);
	c = cls_cache_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	all_agree = true;
	for (uint32_t x = 0; x < 3000; x++) {
		cache_pkt(buf, &p, mac, x, 0, NULL);
		all_agree &= cache_agrees(r, c, &p, &rx[0]);
	}
	CU_ASSERT_TRUE(all_agree);
	CU_ASSERT_TRUE(cls_cache_counters(c)[CLS_CACHE_DIRECT] > 0);
	CU_ASSERT_TRUE(cls_cache_counters(c)[CLS_CACHE_HITS] < 100);

	/* A slice of pkt4.mac depends on hlen too: the same chaddr bytes
	 * under hlen 6 and 2 are two keys. */
	{
		struct cls_registry *r2 = cls_registry_create();
		struct cls_cache *c2 = cls_cache_create(NULL);
		struct cls_set set;
		int oui;

		CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
		oui = cls_registry_add(r2, "oui", tests[0][1], 0, &err);
		CU_ASSERT_TRUE_FATAL(oui > 0);
		mac[2] = 0x5e;
		cache_pkt_hlen(buf, &p, mac, 6, 8, 0, NULL);
		CU_ASSERT_EQUAL(cls_classify_cached(r2, c2, &p, &rx[0], &set), 0);
		CU_ASSERT_TRUE(cls_set_has(&set, oui));
		cache_pkt_hlen(buf, &p, mac, 2, 8, 0, NULL);
		CU_ASSERT_EQUAL(cls_classify_cached(r2, c2, &p, &rx[0], &set), 0);
		CU_ASSERT_FALSE(cls_set_has(&set, oui));
		cls_cache_free(c2);
		cls_registry_free(r2);
	}

	/* A slice of an option keys its presence too: absent and present
	 * but empty give the same (empty) slice, and .exists tells them apart. */
	{
		struct cls_registry *r3 = cls_registry_create();
		struct cls_cache *c3 = cls_cache_create(NULL);
		struct cls_set set;
		int id3;

		CU_ASSERT_PTR_NOT_NULL_FATAL(r3);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c3);
		id3 = cls_registry_add(r3, "no60", "substring(option[60].hex, 0, 2) == 'PX' or "
				       "not option[60].exists", 0, &err);
		CU_ASSERT_TRUE_FATAL(id3 > 0);
		cache_pkt(buf, &p, mac, 8, 0, NULL);
		CU_ASSERT_EQUAL(cls_classify_cached(r3, c3, &p, &rx[0], &set), 0);
		CU_ASSERT_TRUE(cls_set_has(&set, id3));
		cache_pkt(buf, &p, mac, 8, 0, "");
		CU_ASSERT_EQUAL(cls_classify_cached(r3, c3, &p, &rx[0], &set), 0);
		CU_ASSERT_FALSE(cls_set_has(&set, id3));
		cls_cache_free(c3);
		cls_registry_free(r3);
	}

	/* No cache at all: the same as cls_classify. */
	CU_ASSERT_TRUE(cache_agrees(r, NULL, &p, &rx[0]));
	cls_cache_free(c);
	cls_registry_free(r);
}

static void test_timing(void)
{
	static const char *const exprs[] = {
		"option[60].text == 'PXEClient'",
		"substring(option[61].hex,0,3) == 0x010203",
		"relay4[2].hex == 'abc' and pkt4.giaddr == 198.18.1.1",
		"vendor-class[4491].data == 'docsis3.0'",
		"hexstring(pkt4.mac, ':') == '02:00:5e:00:00:01'",
		"member('ALL') and not option[77].exists",
	};
	struct cls_env env = { .pkt = &built, .rx = &rx_built, .iface = "eth1" };
	struct cls_registry *r;
	struct cls_set set;
	struct cls_err err;
	const int iters = 100000;
	volatile int sink = 0;
	double t0, ns;
	char name[16];

	cls_set_clear(&set);
	cls_set_add(&set, CLS_ID_ALL);
	env.set = &set;
	printf("\n");
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		struct cls_prog *p = comp(exprs[i], CLS_T_BOOL, &err);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(cls_eval_bool(p, &env), 1);
		ns = 1e9;
		for (int round = 0; round < 5; round++) {     /* best of 5: the box is shared */
			t0 = now_ns();
			for (int k = 0; k < iters / 5; k++)
				sink += cls_eval_bool(p, &env);
			t0 = (now_ns() - t0) / (iters / 5);
			ns = t0 < ns ? t0 : ns;
		}
		printf("    %6.1f ns/eval  %3zu bytes  %s\n", ns, cls_prog_code_len(p), exprs[i]);
		cls_prog_free(p);
	}

	/* 20 classes: the six above, a few times over, chained by member(). */
	r = cls_registry_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < 20; i++) {
		char test[160];

		if (i % 7 == 6)
			snprintf(test, sizeof(test), "member('c%d') or option[%d].exists", i - 1, 100 + i);
		else
			snprintf(test, sizeof(test), "%s", exprs[i % 6]);
		snprintf(name, sizeof(name), "c%d", i);
		CU_ASSERT_TRUE_FATAL(cls_registry_add(r, name, test, 0, &err) > 0);
	}
	cls_registry_set_iface(r, 1, "eth1");
	ns = 1e9;
	for (int round = 0; round < 5; round++) {
		t0 = now_ns();
		for (int k = 0; k < iters / 5; k++)
			sink += cls_classify(r, &built, &rx_built, &set, CLS_STAGE_PRE_HOST);
		t0 = (now_ns() - t0) / (iters / 5);
		ns = t0 < ns ? t0 : ns;
	}
	printf("    %6.1f ns/packet for cls_classify with 20 classes (%d matched)\n",
	       ns, (int)__builtin_popcountll(set.w[0]));
	CU_ASSERT_EQUAL(sink, 6 * iters);   /* every expression true, no eval errors */
	CU_ASSERT_TRUE(cls_set_has(&set, cls_registry_find(r, "c19")));
	cls_registry_free(r);
}

int main(void)
{
	CU_pSuite s;
	int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("cls", init_suite, NULL);
	if (s == NULL)
		return 1;
	reg = cls_registry_create();
	if (reg == NULL)
		return 1;
	CU_add_test(s, "literals", test_literals);
	CU_add_test(s, "option", test_option);
	CU_add_test(s, "relay4", test_relay4);
	CU_add_test(s, "pkt and pkt4", test_pkt);
	CU_add_test(s, "vendor and vendor-class", test_vendor);
	CU_add_test(s, "malformed vendor options", test_vendor_malformed);
	CU_add_test(s, "operators", test_operators);
	CU_add_test(s, "short-circuit and/or", test_short_circuit);
	CU_add_test(s, "functions", test_functions);
	CU_add_test(s, "errors with columns", test_errors);
	CU_add_test(s, "stack, nesting and scratch bounds", test_bounds);
	CU_add_test(s, "registry rules", test_registry_rules);
	CU_add_test(s, "classification order", test_classify);
	CU_add_test(s, "class sets", test_set);
	CU_add_test(s, "classification cache", test_cache);
	CU_add_test(s, "Kea documentation examples", test_kea_examples);
	CU_add_test(s, "timing (information only)", test_timing);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = (int)CU_get_number_of_failures() + (int)CU_get_number_of_suites_failed();
	cls_registry_free(reg);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
