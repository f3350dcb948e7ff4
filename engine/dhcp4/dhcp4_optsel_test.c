/* dhcp4_optsel_test: precedence in both modes from a table of cases (every
 * combination of the six scopes holding option 3), class order, the reply
 * options as add_options() made them (PRL order, always-send with the
 * winning value, server-owned skipped, space left honoured), the reserved
 * hostname, and the boot fields. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "dhcp4_optsel.h"
#include "dhcp4_wire.h"

enum { S_HOST, S_POOL, S_SUBNET, S_SHARED, S_CLASS, S_GLOBAL, S_N };
static const char scope_tag[] = "hpsncg";

/* Option 3 with one byte naming its scope, plus option 6 in some. */
static struct conf_option opts[S_N][2];
static struct conf_option_set sets[S_N];
static struct conf_policy *x;
static struct cls_set pkt_classes;
static int cls_a, cls_b;

static void set_one(struct conf_option_set *s, struct conf_option *o, uint8_t code, char tag,
		    bool always)
{
	memset(o, 0, sizeof(*o));
	o->code = code;
	o->len = 1;
	o->data[0] = (uint8_t)tag;
	o->always_send = always;
	s->opts = o;
	s->n = 1;
}

/* Two classes "a" then "b" (config order); the packet is in both. */
static int setup_classes(void)
{
	x = conf_policy_create();
	if (x == NULL)
		return 1;
	x->classes = calloc(2, sizeof(*x->classes));
	cls_a = cls_registry_add(x->reg, "a", "'x' == 'x'", 0, NULL);
	cls_b = cls_registry_add(x->reg, "b", NULL, 0, NULL);
	if (x->classes == NULL || cls_a < 0 || cls_b < 0)
		return 1;
	x->n_classes = 2;
	x->classes[0].id = cls_a;
	x->classes[1].id = cls_b;
	x->class_idx[cls_a] = 0;
	x->class_idx[cls_b] = 1;
	/* the tests give these classes options and boot fields as they go */
	cls_set_add(&x->with_options, (unsigned)cls_a);
	cls_set_add(&x->with_options, (unsigned)cls_b);
	cls_set_add(&x->with_boot, (unsigned)cls_a);
	cls_set_add(&x->with_boot, (unsigned)cls_b);
	cls_set_clear(&pkt_classes);
	cls_set_add(&pkt_classes, (unsigned)cls_a);
	cls_set_add(&pkt_classes, (unsigned)cls_b);
	return 0;
}

/* The class option sets point at static arrays here: not conf_policy_free's to free. */
static int teardown_classes(void)
{
	for (unsigned i = 0; i < x->n_classes; i++)
		memset(&x->classes[i].options, 0, sizeof(x->classes[i].options));
	conf_policy_free(x);
	return 0;
}

static char winner(enum conf_prec mode, unsigned present, struct conf_host *h)
{
	struct dhcp4_optsel_src src = { 0 };
	struct dhcp4_optsel sel;
	const struct conf_option *o;

	memset(h, 0, sizeof(*h));
	for (int s = 0; s < S_N; s++)
		set_one(&sets[s], &opts[s][0], 3, scope_tag[s], false);
	if (present & 1u << S_HOST) {
		h->options = sets[S_HOST];
		src.host = h;
	}
	src.pool = present & 1u << S_POOL ? &sets[S_POOL] : NULL;
	src.subnet = present & 1u << S_SUBNET ? &sets[S_SUBNET] : NULL;
	src.shared = present & 1u << S_SHARED ? &sets[S_SHARED] : NULL;
	src.global = present & 1u << S_GLOBAL ? &sets[S_GLOBAL] : NULL;
	x->classes[0].options.n = 0;
	x->classes[1].options.n = 0;
	if (present & 1u << S_CLASS)
		x->classes[1].options = sets[S_CLASS];
	src.x = x;
	src.classes = &pkt_classes;
	dhcp4_optsel_init(&sel, mode, &src);
	o = dhcp4_optsel_find(&sel, 3);
	return o ? (char)o->data[0] : '-';
}

/* The expected winner: the first scope present in the mode's order. */
static char expected(enum conf_prec mode, unsigned present)
{
	static const int kea[] = { S_HOST, S_POOL, S_SUBNET, S_SHARED, S_CLASS, S_GLOBAL };
	static const int isc[] = { S_HOST, S_CLASS, S_POOL, S_SUBNET, S_SHARED, S_GLOBAL };
	const int *order = mode == CONF_PREC_KEA ? kea : isc;

	for (int i = 0; i < S_N; i++)
		if (present & 1u << order[i])
			return scope_tag[order[i]];
	return '-';
}

static void test_precedence_table(void)
{
	/* Written out for the cases that tell the two orders apart... */
	static const struct {
		const char *present;   /* scopes holding option 3 */
		char kea, isc;
	} cases[] = {
		{ "hpsncg", 'h', 'h' },
		{ "psncg", 'p', 'c' },
		{ "sncg", 's', 'c' },
		{ "ncg", 'n', 'c' },
		{ "cg", 'c', 'c' },
		{ "g", 'g', 'g' },
		{ "pg", 'p', 'p' },
		{ "sn", 's', 's' },
		{ "hc", 'h', 'h' },
		{ "", '-', '-' },
	};
	struct conf_host h;
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned present = 0;

		for (const char *p = cases[i].present; *p; p++)
			present |= 1u << (unsigned)(strchr(scope_tag, *p) - scope_tag);
		if (winner(CONF_PREC_KEA, present, &h) != cases[i].kea ||
		    winner(CONF_PREC_ISC_DHCPD, present, &h) != cases[i].isc) {
			printf("\n  case \"%s\": kea %c isc %c\n", cases[i].present,
			       winner(CONF_PREC_KEA, present, &h), winner(CONF_PREC_ISC_DHCPD, present, &h));
			bad++;
		}
	}
	/* ...and every one of the 64 combinations against the rule. */
	for (unsigned present = 0; present < 1u << S_N; present++)
		for (int m = 0; m < 2; m++)
			bad += winner((enum conf_prec)m, present, &h) != expected((enum conf_prec)m, present);
	CU_ASSERT_EQUAL(bad, 0);
}

/* Classes: config order decides between two classes; a class the packet
 * is not in does not count. */
static void test_class_order(void)
{
	struct dhcp4_optsel_src src = { .x = x, .classes = &pkt_classes };
	struct dhcp4_optsel sel;
	struct cls_set only_b;

	set_one(&x->classes[0].options, &opts[0][0], 3, 'A', false);
	set_one(&x->classes[1].options, &opts[1][0], 3, 'B', false);
	dhcp4_optsel_init(&sel, CONF_PREC_KEA, &src);
	CU_ASSERT_EQUAL(dhcp4_optsel_find(&sel, 3)->data[0], 'A');
	cls_set_clear(&only_b);
	cls_set_add(&only_b, (unsigned)cls_b);
	src.classes = &only_b;
	dhcp4_optsel_init(&sel, CONF_PREC_KEA, &src);
	CU_ASSERT_EQUAL(dhcp4_optsel_find(&sel, 3)->data[0], 'B');
	CU_ASSERT_EQUAL(sel.n, 1);
	src.classes = NULL;
	dhcp4_optsel_init(&sel, CONF_PREC_KEA, &src);
	CU_ASSERT_EQUAL(sel.n, 0);
	CU_ASSERT_PTR_NULL(dhcp4_optsel_find(&sel, 3));
	x->classes[0].options.n = 0;
	x->classes[1].options.n = 0;
}

/* A request with the given PRL (and option 12 if sent_12). */
static void mkreq(struct dhcp4_pkt *p, uint8_t *buf, const uint8_t *prl, uint8_t n, bool sent_12)
{
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;
	size_t o = DHCP4_MIN_LEN;

	memset(buf, 0, 600);
	h->op = 1;
	h->htype = 1;
	h->hlen = 6;
	h->magic = htonl(DHCP4_MAGIC);
	buf[o++] = 53;
	buf[o++] = 1;
	buf[o++] = 1;
	if (n) {
		buf[o++] = 55;
		buf[o++] = n;
		memcpy(buf + o, prl, n);
		o += n;
	}
	if (sent_12) {
		memcpy(buf + o, "\x0c\x03" "abc", 5);
		o += 5;
	}
	buf[o++] = 255;
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(p, buf, o), 0);
}

/* The codes of the options in a built reply, after 53. */
static size_t codes(const struct dhcp4_build *b, uint8_t *out, uint8_t *vals)
{
	size_t n = 0;

	for (size_t i = DHCP4_MIN_LEN; i < b->len;) {
		uint8_t c = b->buf[i];

		if (c == 255)
			break;
		if (c != 53) {
			vals[n] = b->buf[i + 2];
			out[n++] = c;
		}
		i += 2u + b->buf[i + 1];
	}
	return n;
}

static void test_add(void)
{
	/* subnet: 3 (s), 15 always-send (s); global: 6 always-send (g), 15 (g),
	 * 51 (server-owned, must never go out), 42 always-send (g) */
	static struct conf_option sub_o[2], glob_o[4];
	struct conf_option_set sub = { 2, sub_o }, glob = { 4, glob_o };
	struct dhcp4_optsel_src src = { .subnet = &sub, .global = &glob };
	struct dhcp4_optsel sel;
	struct dhcp4_build b;
	struct dhcp4_pkt req;
	struct dhcp4_hdr reqh;
	uint8_t reqbuf[600], out[600], c[32], v[32];
	static const uint8_t prl[] = { 15, 3, 51, 66, 1 };
	size_t n;

	memset(&reqh, 0, sizeof(reqh));
	set_one(&(struct conf_option_set){ 0 }, &sub_o[0], 3, 's', false);
	set_one(&(struct conf_option_set){ 0 }, &sub_o[1], 15, 's', true);
	set_one(&(struct conf_option_set){ 0 }, &glob_o[0], 6, 'g', true);
	set_one(&(struct conf_option_set){ 0 }, &glob_o[1], 15, 'g', true);
	set_one(&(struct conf_option_set){ 0 }, &glob_o[2], 42, 'g', true);
	set_one(&(struct conf_option_set){ 0 }, &glob_o[3], 51, 'g', true);
	dhcp4_optsel_init(&sel, CONF_PREC_KEA, &src);

	mkreq(&req, reqbuf, prl, sizeof(prl), false);
	dhcp4_build_init(&b, out, sizeof(out), &reqh, DHCP4_OFFER);
	dhcp4_optsel_add(&sel, &b, &req, 1);
	n = codes(&b, c, v);
	/* PRL order (15, 3; 51 server-owned, 66 and 1 not configured), then
	 * always-send by precedence: subnet's (15 done), global's 6, 15 (done), 42 */
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(c[0], 15);
	CU_ASSERT_EQUAL(v[0], 's');
	CU_ASSERT_EQUAL(c[1], 3);
	CU_ASSERT_EQUAL(c[2], 6);
	CU_ASSERT_EQUAL(c[3], 42);
	CU_ASSERT_FALSE(dhcp4_build_has(&b, 51));

	/* always-send set only at the global level, value from the subnet:
	 * no PRL, so 15 goes out because of always-send, with 's'. */
	sub_o[1].always_send = false;
	mkreq(&req, reqbuf, NULL, 0, false);
	dhcp4_build_init(&b, out, sizeof(out), &reqh, DHCP4_OFFER);
	dhcp4_optsel_add(&sel, &b, &req, 1);
	n = codes(&b, c, v);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(c[0], 6);
	CU_ASSERT_EQUAL(c[1], 15);
	CU_ASSERT_EQUAL(v[1], 's');
	CU_ASSERT_EQUAL(c[2], 42);

	/* space: room for exactly one 3-byte option before the reserve */
	dhcp4_build_init(&b, out, DHCP4_BOOTP_MIN, &reqh, DHCP4_OFFER);
	{
		size_t reserve = b.cap - b.len - 3;

		dhcp4_optsel_add(&sel, &b, &req, reserve);
		n = codes(&b, c, v);
		CU_ASSERT_EQUAL(n, 1);
		CU_ASSERT_EQUAL(c[0], 6);
		CU_ASSERT_FALSE(b.overflow);
	}
}

static void test_hostname(void)
{
	static struct conf_option g12;
	struct conf_option_set glob = { 1, &g12 };
	struct conf_host h;
	struct dhcp4_optsel_src src = { .host = &h, .global = &glob };
	struct dhcp4_optsel sel;
	struct dhcp4_build b;
	struct dhcp4_pkt req;
	struct dhcp4_hdr reqh;
	uint8_t reqbuf[600], out[600];
	static const uint8_t prl12[] = { 12 };
	static const uint8_t prl3[] = { 3 };
	const uint8_t *p;

	memset(&reqh, 0, sizeof(reqh));
	memset(&h, 0, sizeof(h));
	snprintf(h.hostname, sizeof(h.hostname), "printer-7");
	set_one(&(struct conf_option_set){ 0 }, &g12, 12, 'g', false);
	dhcp4_optsel_init(&sel, CONF_PREC_KEA, &src);

	/* asked for in the PRL: the reservation's name, not option-data's */
	mkreq(&req, reqbuf, prl12, 1, false);
	dhcp4_build_init(&b, out, sizeof(out), &reqh, DHCP4_OFFER);
	dhcp4_optsel_add(&sel, &b, &req, 1);
	p = out + DHCP4_MIN_LEN + 3;
	CU_ASSERT_EQUAL(p[0], 12);
	CU_ASSERT_EQUAL(p[1], 9);
	CU_ASSERT_EQUAL(memcmp(p + 2, "printer-7", 9), 0);
	/* sent by the client: also */
	mkreq(&req, reqbuf, prl3, 1, true);
	dhcp4_build_init(&b, out, sizeof(out), &reqh, DHCP4_OFFER);
	dhcp4_optsel_add(&sel, &b, &req, 1);
	CU_ASSERT_TRUE(dhcp4_build_has(&b, 12));
	CU_ASSERT_EQUAL(out[DHCP4_MIN_LEN + 3 + 1], 9);
	/* neither: no hostname */
	mkreq(&req, reqbuf, prl3, 1, false);
	dhcp4_build_init(&b, out, sizeof(out), &reqh, DHCP4_OFFER);
	dhcp4_optsel_add(&sel, &b, &req, 1);
	CU_ASSERT_FALSE(dhcp4_build_has(&b, 12));
}

static void test_boot(void)
{
	struct conf_subnet sn;
	struct conf_host h;
	struct dhcp4_optsel_src src = { .x = x, .classes = &pkt_classes };
	struct dhcp4_hdr rh;

	memset(&sn, 0, sizeof(sn));
	memset(&h, 0, sizeof(h));
	sn.next_server = 0x0a000001;
	snprintf(sn.server_hostname, sizeof(sn.server_hostname), "subnet-srv");
	snprintf(sn.boot_file_name, sizeof(sn.boot_file_name), "subnet.bin");
	x->classes[0].next_server = 0;
	snprintf(x->classes[0].boot_file_name, sizeof(x->classes[0].boot_file_name), "a.bin");
	x->classes[1].next_server = 0x0a000002;
	snprintf(x->classes[1].boot_file_name, sizeof(x->classes[1].boot_file_name), "b.bin");

	memset(&rh, 0, sizeof(rh));        /* as dhcp4_build_init leaves it, each time */
	dhcp4_optsel_boot(&src, &sn, &rh);
	CU_ASSERT_EQUAL(ntohl(rh.siaddr), 0x0a000002);          /* class b (a has none) */
	CU_ASSERT_STRING_EQUAL(rh.sname, "subnet-srv");          /* no class sets it */
	CU_ASSERT_STRING_EQUAL(rh.file, "a.bin");                /* first class in config order */

	h.next_server = 0x0a000003;
	src.host = &h;
	memset(&rh, 0, sizeof(rh));
	dhcp4_optsel_boot(&src, &sn, &rh);
	CU_ASSERT_EQUAL(ntohl(rh.siaddr), 0x0a000003);
	CU_ASSERT_STRING_EQUAL(rh.file, "a.bin");

	src.classes = NULL;
	src.host = NULL;
	memset(&rh, 0, sizeof(rh));
	dhcp4_optsel_boot(&src, &sn, &rh);
	CU_ASSERT_EQUAL(ntohl(rh.siaddr), 0x0a000001);
	CU_ASSERT_STRING_EQUAL(rh.file, "subnet.bin");
	memset(&rh, 0, sizeof(rh));
	dhcp4_optsel_boot(&src, NULL, &rh);
	CU_ASSERT_EQUAL(rh.siaddr, 0);
	CU_ASSERT_EQUAL(rh.file[0], '\0');
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dhcp4_optsel", setup_classes, teardown_classes);
	CU_add_test(s, "precedence table, both modes", test_precedence_table);
	CU_add_test(s, "class order", test_class_order);
	CU_add_test(s, "PRL, always-send, server-owned, space", test_add);
	CU_add_test(s, "reserved hostname", test_hostname);
	CU_add_test(s, "boot fields", test_boot);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
