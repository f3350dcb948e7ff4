/* dhcp4_hosts_test: lookups by each identifier type taken from real
 * parsed packets, the host-reservation-identifiers order, subnet scope
 * before global, reverse lookup by address, claiming reserved in-pool
 * addresses in the allocator, duplicates refused, 1,000 hosts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "alloc.h"
#include "dhcp4_hosts.h"
#include "dhcp4_wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t CID_B[7] = { 1, 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t DUID_C[6] = { 0, 1, 0, 1, 0xcc, 0xcc };
static const uint8_t CIRC_D[4] = { 'p', 'o', 'r', 't' };

/* A DISCOVER with chaddr mac, and the options given as raw TLVs. */
static void mkpkt(struct dhcp4_pkt *p, uint8_t *buf, const uint8_t mac[6], const uint8_t *opts,
		  size_t n)
{
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;
	size_t o = DHCP4_MIN_LEN;

	memset(buf, 0, 600);
	h->op = 1;
	h->htype = 1;
	h->hlen = 6;
	memcpy(h->chaddr, mac, 6);
	h->magic = htonl(DHCP4_MAGIC);
	buf[o++] = 53;
	buf[o++] = 1;
	buf[o++] = 1;
	memcpy(buf + o, opts, n);
	o += n;
	buf[o++] = 255;
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(p, buf, o), 0);
}

static struct conf_host host(uint32_t subnet, enum conf_hid t, const void *id, size_t len,
			     uint32_t addr)
{
	struct conf_host h;

	memset(&h, 0, sizeof(h));
	h.subnet_id = subnet;
	h.id_type = (uint8_t)t;
	h.id_len = (uint8_t)len;
	memcpy(h.id, id, len);
	h.addr = addr;
	return h;
}

static const uint8_t ORDER_ALL[] = { CONF_HID_HW_ADDRESS, CONF_HID_DUID, CONF_HID_CIRCUIT_ID,
				     CONF_HID_CLIENT_ID, CONF_HID_FLEX_ID };

static struct dhcp4_hosts *make(const struct conf_host *h, unsigned n, const uint8_t *order,
				unsigned n_order, const struct cls_prog *flex)
{
	struct dhcp4_hosts_params p = { .hosts = h, .n_hosts = n, .order = order,
					.n_order = n_order, .flex = flex };
	struct dhcp4_hosts *t = dhcp4_hosts_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void test_each_type(void)
{
	struct cls_compile_params cp = { .text = "substring(option[60].hex, 0, 4)",
					 .result = CLS_T_STRING };
	struct cls_err ce;
	struct cls_prog *flex = cls_compile(&cp, &ce);
	struct conf_host hs[5];
	struct dhcp4_hosts *t;
	struct dhcp4_pkt p;
	uint8_t buf[600];
	static const uint8_t other[6] = { 2, 0, 0, 0, 0, 0x99 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(flex);
	hs[0] = host(7, CONF_HID_HW_ADDRESS, MAC_A, 6, IP(10, 0, 0, 1));
	hs[1] = host(7, CONF_HID_CLIENT_ID, CID_B, 7, IP(10, 0, 0, 2));
	hs[2] = host(7, CONF_HID_DUID, DUID_C, 6, 0);
	hs[3] = host(7, CONF_HID_CIRCUIT_ID, CIRC_D, 4, 0);
	hs[4] = host(7, CONF_HID_FLEX_ID, "ACME", 4, 0);
	t = make(hs, 5, ORDER_ALL, 5, flex);
	CU_ASSERT_EQUAL(dhcp4_hosts_count(t), 5);

	/* hw-address */
	mkpkt(&p, buf, MAC_A, NULL, 0);
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 0));
	CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 8, &p, NULL, NULL, NULL));   /* other subnet */
	/* client-id (type byte included) */
	{
		uint8_t o[] = { 61, 7, 1, 0x02, 0, 0, 0, 0, 0x0b };

		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 1));
		o[8] = 0x0c;
		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL));
	}
	/* duid: RFC 4361 client-id 255, IAID, DUID */
	{
		uint8_t o[] = { 61, 11, 0xff, 0, 0, 0, 1, 0, 1, 0, 1, 0xcc, 0xcc };
		const uint8_t *id;
		size_t len;
		struct cls_scratch s;

		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 2));
		CU_ASSERT_EQUAL(dhcp4_hosts_ident(t, &p, NULL, NULL, NULL, CONF_HID_DUID, &s, &id, &len), 0);
		CU_ASSERT_EQUAL(len, 6);
		o[2] = 1;   /* not type 255: no DUID in it */
		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_EQUAL(dhcp4_hosts_ident(t, &p, NULL, NULL, NULL, CONF_HID_DUID, &s, &id, &len),
				-ENOENT);
		CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL));
	}
	/* circuit-id: option 82 sub-option 1 (after a remote-id sub-option 2) */
	{
		uint8_t o[] = { 82, 11, 2, 3, 'x', 'y', 'z', 1, 4, 'p', 'o', 'r', 't' };

		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 3));
		o[7] = 3;   /* the same bytes as another sub-option */
		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL));
	}
	/* flex-id: the expression's value */
	{
		uint8_t o[] = { 60, 8, 'A', 'C', 'M', 'E', '-', 'f', 'o', 'o' };

		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 4));
		o[2] = 'a';
		mkpkt(&p, buf, other, o, sizeof(o));
		CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 7, &p, NULL, NULL, NULL));
	}
	/* exact find and reverse lookup */
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_find(t, 7, CONF_HID_HW_ADDRESS, MAC_A, 6), dhcp4_hosts_get(t, 0));
	CU_ASSERT_PTR_NULL(dhcp4_hosts_find(t, 7, CONF_HID_CLIENT_ID, MAC_A, 6));
	CU_ASSERT_PTR_NULL(dhcp4_hosts_find(t, 7, CONF_HID_HW_ADDRESS, MAC_A, 5));
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_by_addr(t, IP(10, 0, 0, 2)), dhcp4_hosts_get(t, 1));
	CU_ASSERT_PTR_NULL(dhcp4_hosts_by_addr(t, IP(10, 0, 0, 3)));
	CU_ASSERT_TRUE(dhcp4_hosts_reserved(t, IP(10, 0, 0, 1)));
	CU_ASSERT_FALSE(dhcp4_hosts_reserved(t, 0));
	dhcp4_hosts_free(t);
	cls_prog_free(flex);
}

/* A packet matching two reservations: the first type in the order wins;
 * a type left out of the order never matches. */
static void test_order(void)
{
	static const uint8_t hw_first[] = { CONF_HID_HW_ADDRESS, CONF_HID_CLIENT_ID };
	static const uint8_t cid_first[] = { CONF_HID_CLIENT_ID, CONF_HID_HW_ADDRESS };
	static const uint8_t cid_only[] = { CONF_HID_CLIENT_ID };
	uint8_t o[] = { 61, 7, 1, 0x02, 0, 0, 0, 0, 0x0b };
	struct conf_host hs[2];
	struct dhcp4_hosts *t;
	struct dhcp4_pkt p;
	uint8_t buf[600];

	hs[0] = host(3, CONF_HID_HW_ADDRESS, MAC_A, 6, 0);
	hs[1] = host(3, CONF_HID_CLIENT_ID, CID_B, 7, 0);
	mkpkt(&p, buf, MAC_A, o, sizeof(o));

	t = make(hs, 2, hw_first, 2, NULL);
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 3, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 0));
	dhcp4_hosts_free(t);
	t = make(hs, 2, cid_first, 2, NULL);
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 3, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 1));
	dhcp4_hosts_free(t);
	hs[1].id[6] = 0x77;   /* client-id no longer matches; hw-address not in the order */
	t = make(hs, 2, cid_only, 1, NULL);
	CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 3, &p, NULL, NULL, NULL));
	dhcp4_hosts_free(t);
}

/* A subnet's own reservation wins over a global one for the same client;
 * the global one serves every other subnet. */
static void test_scopes(void)
{
	struct conf_host hs[2];
	struct dhcp4_hosts *t;
	struct dhcp4_pkt p;
	uint8_t buf[600];

	hs[0] = host(0, CONF_HID_HW_ADDRESS, MAC_A, 6, 0);
	hs[1] = host(5, CONF_HID_HW_ADDRESS, MAC_A, 6, 0);
	t = make(hs, 2, ORDER_ALL, 5, NULL);
	mkpkt(&p, buf, MAC_A, NULL, 0);
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 5, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 1));
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 6, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 0));
	CU_ASSERT_PTR_EQUAL(dhcp4_hosts_lookup(t, 0, &p, NULL, NULL, NULL), dhcp4_hosts_get(t, 0));
	dhcp4_hosts_free(t);
}

static void test_refused(void)
{
	struct conf_host hs[2];
	struct dhcp4_hosts_params p = { .hosts = hs, .n_hosts = 2, .order = ORDER_ALL, .n_order = 5 };
	static const uint8_t bad_order[] = { 9 };

	hs[0] = host(5, CONF_HID_HW_ADDRESS, MAC_A, 6, IP(10, 0, 0, 1));
	hs[1] = host(5, CONF_HID_HW_ADDRESS, MAC_A, 6, 0);
	errno = 0;
	CU_ASSERT_PTR_NULL(dhcp4_hosts_create(&p));
	CU_ASSERT_EQUAL(errno, EINVAL);
	hs[1] = host(5, CONF_HID_HW_ADDRESS, CID_B, 6, IP(10, 0, 0, 1));
	errno = 0;
	CU_ASSERT_PTR_NULL(dhcp4_hosts_create(&p));
	CU_ASSERT_EQUAL(errno, EINVAL);
	hs[1] = host(5, CONF_HID_MAX, CID_B, 6, 0);
	CU_ASSERT_PTR_NULL(dhcp4_hosts_create(&p));
	hs[1] = host(6, CONF_HID_HW_ADDRESS, MAC_A, 6, IP(10, 0, 0, 2));   /* other scope: fine */
	dhcp4_hosts_free(make(hs, 2, ORDER_ALL, 5, NULL));
	p.order = bad_order;
	p.n_order = 1;
	CU_ASSERT_PTR_NULL(dhcp4_hosts_create(&p));
	CU_ASSERT_PTR_NULL(dhcp4_hosts_create(NULL));
	/* an empty table is valid and finds nothing */
	p.n_hosts = 0;
	p.order = ORDER_ALL;
	p.n_order = 5;
	{
		struct dhcp4_hosts *t = dhcp4_hosts_create(&p);
		struct dhcp4_pkt pk;
		uint8_t buf[600];

		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		mkpkt(&pk, buf, MAC_A, NULL, 0);
		CU_ASSERT_PTR_NULL(dhcp4_hosts_lookup(t, 5, &pk, NULL, NULL, NULL));
		dhcp4_hosts_free(t);
	}
}

/* The table copies the options: the caller's array may go away. */
static void test_copies(void)
{
	struct conf_host h = host(1, CONF_HID_HW_ADDRESS, MAC_A, 6, 0);
	struct conf_option *o = calloc(1, sizeof(*o));
	struct dhcp4_hosts *t;

	o->code = 3;
	o->len = 4;
	memcpy(o->data, "\x0a\x00\x00\x01", 4);
	h.options.n = 1;
	h.options.opts = o;
	snprintf(h.hostname, sizeof(h.hostname), "printer");
	t = make(&h, 1, ORDER_ALL, 1, NULL);
	memset(o, 0xee, sizeof(*o));
	free(o);
	CU_ASSERT_EQUAL(dhcp4_hosts_get(t, 0)->options.n, 1);
	CU_ASSERT_EQUAL(dhcp4_hosts_get(t, 0)->options.opts[0].code, 3);
	CU_ASSERT_EQUAL(memcmp(dhcp4_hosts_get(t, 0)->options.opts[0].data, "\x0a\x00\x00\x01", 4), 0);
	CU_ASSERT_STRING_EQUAL(dhcp4_hosts_get(t, 0)->hostname, "printer");
	dhcp4_hosts_free(t);
}

struct pools {
	struct alloc_pool *ap[2];
};

static struct alloc_pool *pool_of(void *arg, uint32_t addr)
{
	struct pools *ps = arg;

	for (int i = 0; i < 2; i++)
		if (alloc_contains(ps->ap[i], addr))
			return ps->ap[i];
	return NULL;
}

static void collect(void *arg, uint32_t addr)
{
	*(uint32_t *)arg = addr;
}

/* Reserved in-pool addresses are taken out of the pools at runtime
 * creation: alloc_take() hands out every other address and then reports
 * the pool full, never the reserved one. */
static void test_claim(void)
{
	struct conf_host hs[4];
	struct dhcp4_hosts *t, *t2;
	struct pools ps;
	unsigned claimed = 99, busy = 99, n = 0;
	uint32_t cursor = 0, a, dropped = 0;

	ps.ap[0] = alloc_pool_create(IP(10, 0, 0, 10), IP(10, 0, 0, 20));
	ps.ap[1] = alloc_pool_create(IP(10, 0, 1, 10), IP(10, 0, 1, 20));
	CU_ASSERT_FATAL(ps.ap[0] && ps.ap[1]);
	CU_ASSERT_EQUAL(alloc_claim(ps.ap[1], IP(10, 0, 1, 12)), 0);   /* a lease holds it already */
	hs[0] = host(1, CONF_HID_HW_ADDRESS, "\x01", 1, IP(10, 0, 0, 15));   /* in pool 0 */
	hs[1] = host(1, CONF_HID_HW_ADDRESS, "\x02", 1, IP(10, 0, 0, 5));    /* outside any pool */
	hs[2] = host(2, CONF_HID_HW_ADDRESS, "\x03", 1, IP(10, 0, 1, 12));   /* busy */
	hs[3] = host(2, CONF_HID_HW_ADDRESS, "\x04", 1, 0);                  /* no address */
	t = make(hs, 4, ORDER_ALL, 1, NULL);
	CU_ASSERT_EQUAL(dhcp4_hosts_claim(t, pool_of, &ps, &claimed, &busy), 0);
	CU_ASSERT_EQUAL(claimed, 1);
	CU_ASSERT_EQUAL(busy, 1);
	CU_ASSERT_TRUE(alloc_in_use(ps.ap[0], IP(10, 0, 0, 15)));
	while (alloc_take(ps.ap[0], &cursor, &a) == 0) {
		CU_ASSERT_NOT_EQUAL(a, IP(10, 0, 0, 15));
		n++;
	}
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(dhcp4_hosts_claim(t, NULL, NULL, NULL, NULL), -EINVAL);

	/* a reload that drops the 10.0.0.15 reservation reports it */
	hs[0].addr = 0;
	t2 = make(hs, 4, ORDER_ALL, 1, NULL);
	CU_ASSERT_EQUAL(dhcp4_hosts_dropped(t, t2, collect, &dropped), 1);
	CU_ASSERT_EQUAL(dropped, IP(10, 0, 0, 15));
	CU_ASSERT_EQUAL(dhcp4_hosts_dropped(t2, t, NULL, NULL), 0);
	dhcp4_hosts_free(t2);
	dhcp4_hosts_free(t);
	alloc_pool_free(ps.ap[0]);
	alloc_pool_free(ps.ap[1]);
}

/* 1,000 reservations (the benchmark's size) across subnets: all found,
 * by identifier and by address, and a miss stays a miss. */
static void test_many(void)
{
	enum { N = 1000 };
	struct conf_host *hs = calloc(N, sizeof(*hs));
	struct dhcp4_hosts *t;
	unsigned bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(hs);
	for (unsigned i = 0; i < N; i++) {
		uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		hs[i] = host(1 + i % 4, CONF_HID_HW_ADDRESS, mac, 6, IP(10, 1, 0, 0) + i + 1);
	}
	t = make(hs, N, ORDER_ALL, 5, NULL);
	for (unsigned i = 0; i < N; i++) {
		uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		bad += dhcp4_hosts_find(t, 1 + i % 4, CONF_HID_HW_ADDRESS, mac, 6) != dhcp4_hosts_get(t, i);
		bad += dhcp4_hosts_find(t, 1 + (i + 1) % 4, CONF_HID_HW_ADDRESS, mac, 6) != NULL;
		bad += dhcp4_hosts_by_addr(t, IP(10, 1, 0, 0) + i + 1) != dhcp4_hosts_get(t, i);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NULL(dhcp4_hosts_by_addr(t, IP(10, 1, 0, 0) + N + 1));
	dhcp4_hosts_free(t);
	free(hs);
}

/* Only global hw-address reservations (the set-up with a lookup of its
 * own): the same answers as the walk gives with another type present. */
static void test_global_hw(void)
{
	enum { N = 1000 };
	struct conf_host *hs = calloc(N + 1, sizeof(*hs));
	struct dhcp4_hosts *fast, *walk;
	struct dhcp4_pkt p;
	uint8_t buf[600];
	unsigned bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(hs);
	for (unsigned i = 0; i < N; i++) {
		uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		hs[i] = host(0, CONF_HID_HW_ADDRESS, mac, 6, 0);
	}
	hs[N] = host(0, CONF_HID_CLIENT_ID, CID_B, 7, 0);   /* forces the walk */
	fast = make(hs, N, ORDER_ALL, 5, NULL);
	walk = make(hs, N + 1, ORDER_ALL, 5, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fast);
	CU_ASSERT_PTR_NOT_NULL_FATAL(walk);
	for (unsigned i = 0; i < N + 200; i++) {
		uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
		const struct conf_host *want = i < N ? dhcp4_hosts_get(fast, i) : NULL;

		mkpkt(&p, buf, mac, NULL, 0);
		bad += dhcp4_hosts_lookup(fast, 0, &p, NULL, NULL, NULL) != want;
		bad += dhcp4_hosts_lookup(fast, 9, &p, NULL, NULL, NULL) != want;
		bad += (dhcp4_hosts_lookup(walk, 9, &p, NULL, NULL, NULL) != NULL) != (want != NULL);
		((struct dhcp4_hdr *)buf)->hlen = 5;        /* a prefix of the MAC: no one's */
		bad += dhcp4_hosts_lookup(fast, 0, &p, NULL, NULL, NULL) != NULL;
		((struct dhcp4_hdr *)buf)->hlen = 0;
		bad += dhcp4_hosts_lookup(fast, 0, &p, NULL, NULL, NULL) != NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	dhcp4_hosts_free(fast);
	dhcp4_hosts_free(walk);
	free(hs);
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dhcp4_hosts", NULL, NULL);
	CU_add_test(s, "each identifier type from a packet", test_each_type);
	CU_add_test(s, "host-reservation-identifiers order", test_order);
	CU_add_test(s, "subnet scope before global", test_scopes);
	CU_add_test(s, "duplicates and bad params refused", test_refused);
	CU_add_test(s, "options copied", test_copies);
	CU_add_test(s, "reserved in-pool addresses claimed", test_claim);
	CU_add_test(s, "1,000 reservations", test_many);
	CU_add_test(s, "global hw-address only", test_global_hw);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
