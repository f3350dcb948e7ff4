/* Unit tests, DHCPv6 side of engine/lease: 128-bit address helpers, the
 * DUID steering hash, the v6 lease table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "lease_log.h"
#include "lease_table.h"
#include "lease_test_util.h"

static struct lease_addr6 a6(uint64_t hi, uint64_t lo)
{
	return (struct lease_addr6){ hi, lo };
}

#define A6_EQ(a, h, l) CU_ASSERT((a).hi == (h) && (a).lo == (l))

/* ---- 128-bit addresses ---- */

static void test_addr6_wire(void)
{
	static const uint8_t wire[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1,
					  0x80, 0, 0, 0, 0, 0, 0xab, 0xcd };
	uint8_t back[16];
	struct lease_addr6 a = lease_addr6_load(wire);

	A6_EQ(a, 0x20010db800000001ULL, 0x800000000000abcdULL);
	lease_addr6_store(a, back);
	CU_ASSERT_EQUAL(memcmp(back, wire, 16), 0);
}

static void test_addr6_cmp(void)
{
	struct lease_addr6 x = a6(0x20010db800000000ULL, 5);

	CU_ASSERT_EQUAL(lease_addr6_cmp(x, x), 0);
	CU_ASSERT(lease_addr6_eq(x, a6(0x20010db800000000ULL, 5)));
	CU_ASSERT_EQUAL(lease_addr6_cmp(x, a6(0x20010db800000000ULL, 6)), -1);
	CU_ASSERT_EQUAL(lease_addr6_cmp(x, a6(0x20010db800000000ULL, 4)), 1);
	/* the high half decides first, unsigned */
	CU_ASSERT_EQUAL(lease_addr6_cmp(a6(1, 0), a6(0, ~0ULL)), 1);
	CU_ASSERT_EQUAL(lease_addr6_cmp(a6(0x8000000000000000ULL, 0), a6(1, 0)), 1);
	CU_ASSERT(!lease_addr6_eq(a6(1, 2), a6(2, 1)));
}

static void test_addr6_prefix(void)
{
	struct lease_addr6 x = a6(0x20010db812345678ULL, 0x9abcdef012345678ULL);

	A6_EQ(lease_addr6_mask(x, 128), x.hi, x.lo);
	A6_EQ(lease_addr6_mask(x, 200), x.hi, x.lo);
	A6_EQ(lease_addr6_mask(x, 0), 0, 0);
	A6_EQ(lease_addr6_mask(x, 32), 0x20010db800000000ULL, 0);
	A6_EQ(lease_addr6_mask(x, 64), x.hi, 0);
	A6_EQ(lease_addr6_mask(x, 65), x.hi, 0x8000000000000000ULL);
	A6_EQ(lease_addr6_mask(x, 127), x.hi, 0x9abcdef012345678ULL);
	A6_EQ(lease_addr6_mask(x, 1), 0, 0);
	A6_EQ(lease_addr6_mask(a6(~0ULL, ~0ULL), 1), 0x8000000000000000ULL, 0);

	CU_ASSERT(lease_addr6_in_prefix(x, a6(0x20010db800000000ULL, 0), 32));
	CU_ASSERT(!lease_addr6_in_prefix(x, a6(0x20010db900000000ULL, 0), 32));
	CU_ASSERT(lease_addr6_in_prefix(x, a6(0, 0), 0));
	CU_ASSERT(lease_addr6_in_prefix(x, x, 128));
	CU_ASSERT(!lease_addr6_in_prefix(x, a6(x.hi, x.lo ^ 1), 128));
	CU_ASSERT(lease_addr6_in_prefix(x, a6(x.hi, x.lo ^ 1), 127));
	CU_ASSERT(!lease_addr6_in_prefix(x, a6(x.hi ^ 1, x.lo), 64));
}

static void test_addr6_add(void)
{
	struct lease_addr6 x = a6(0x20010db800000000ULL, ~0ULL - 1);
	uint64_t off;

	/* carry into the high half */
	CU_ASSERT_EQUAL(lease_addr6_add(&x, 3), 0);
	A6_EQ(x, 0x20010db800000001ULL, 1);
	/* prefixes: the 5th /56 after 2001:db8:0:100:: */
	x = a6(0x20010db800000100ULL, 0);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 5, 56), 0);
	A6_EQ(x, 0x20010db800000600ULL, 0);
	/* /64 steps are whole high halves; /72 straddles */
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 2, 64), 0);
	A6_EQ(x, 0x20010db800000602ULL, 0);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 0x101, 72), 0);
	A6_EQ(x, 0x20010db800000603ULL, 0x0100000000000000ULL);
	/* a step that does not fit in 128 bits, and the wrap at the top */
	x = a6(0, 0);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 2, 1), -ERANGE);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 1, 1), 0);
	A6_EQ(x, 0x8000000000000000ULL, 0);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 1, 1), -ERANGE);
	A6_EQ(x, 0x8000000000000000ULL, 0);
	x = a6(~0ULL, ~0ULL - 1);
	CU_ASSERT_EQUAL(lease_addr6_add(&x, 1), 0);
	CU_ASSERT_EQUAL(lease_addr6_add(&x, 1), -ERANGE);
	A6_EQ(x, ~0ULL, ~0ULL);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 0, 0), -ERANGE);
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&x, 0, 129), -ERANGE);

	/* offset is the inverse of add */
	x = a6(0x20010db800000000ULL, ~0ULL - 1);
	CU_ASSERT_EQUAL(lease_addr6_offset(x, a6(0x20010db800000001ULL, 7), &off), 0);
	CU_ASSERT_EQUAL(off, 9);
	CU_ASSERT_EQUAL(lease_addr6_offset(x, x, &off), 0);
	CU_ASSERT_EQUAL(off, 0);
	CU_ASSERT_EQUAL(lease_addr6_offset(a6(1, 0), a6(0, 5), &off), -ERANGE);
	CU_ASSERT_EQUAL(lease_addr6_offset(a6(0, 5), a6(1, 5), &off), -ERANGE);
	CU_ASSERT_EQUAL(lease_addr6_offset(a6(0, 5), a6(1, 4), &off), 0);
	CU_ASSERT_EQUAL(off, ~0ULL);
}

/* Counting prefixes between two addresses: the inverse of add_prefixes,
 * rounded down, for counts up to 2^64 - 1. */
static void test_addr6_offset_prefixes(void)
{
	struct lease_addr6 a = a6(0x20010db800000100ULL, 0), b = a;
	uint64_t n;

	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&b, 77, 56), 0);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, b, 56, &n), 0);
	CU_ASSERT_EQUAL(n, 77);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, a, 56, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	/* rounded down: the /56 that b + 1 address lies in */
	CU_ASSERT_EQUAL(lease_addr6_add(&b, 1), 0);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, b, 56, &n), 0);
	CU_ASSERT_EQUAL(n, 77);
	/* /72 straddles the halves; /64 counts high halves; 128 = addresses */
	b = a6(0x20010db800000103ULL, 0x0100000000000000ULL);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, b, 72, &n), 0);
	CU_ASSERT_EQUAL(n, 0x301);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, b, 64, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a6(0, 5), a6(1, 4), 128, &n), 0);
	CU_ASSERT_EQUAL(n, ~0ULL);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a6(0, 5), a6(1, 5), 128, &n), -ERANGE);
	/* a /32 cut into /96s: 2^64 - 1 fits, 2^64 does not */
	a = a6(0x20010db800000000ULL, 0);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, a6(0x20010db8ffffffffULL, 0xffffffff00000000ULL),
						    96, &n), 0);
	CU_ASSERT_EQUAL(n, ~0ULL);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, a6(0x20010db900000000ULL, 0), 96, &n), -ERANGE);
	/* the whole space in /1s, and the bad cases */
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a6(0, 0), a6(~0ULL, ~0ULL), 1, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(b, a, 56, &n), -ERANGE);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, b, 0, &n), -ERANGE);
	CU_ASSERT_EQUAL(lease_addr6_offset_prefixes(a, b, 129, &n), -ERANGE);
}

/* ---- DUID hash, records ---- */

static void test_duid_hash(void)
{
	struct lease_key k;
	uint8_t duid[LEASE_DUID_MAX];

	for (unsigned i = 0; i < sizeof(duid); i++)
		duid[i] = (uint8_t)(i * 7 + 1);
	/* the same value as the steering key, at every length (tails) */
	for (unsigned len = 1; len <= LEASE_DUID_MAX; len++) {
		memset(&k, 0, sizeof(k));
		k.kind = LEASE_KEY_DUID;
		k.len = (uint8_t)len;
		memcpy(k.data, duid, len);
		CU_ASSERT_EQUAL(lease_duid_hash(duid, (uint8_t)len), lease_key_hash(&k));
	}
	/* not the hash of the same bytes as a v4 client-id */
	k.kind = LEASE_KEY_CLIENT_ID;
	CU_ASSERT_NOT_EQUAL(lease_duid_hash(duid, k.len), lease_key_hash(&k));
}

static void test_change_sizes(void)
{
	struct lease_change c;

	printf("\n    lease4 %zu, lease6 %zu, lease_rec %zu, lease6_rec %zu, lease_change %zu bytes\n",
	       sizeof(struct lease4), sizeof(struct lease6), sizeof(struct lease_rec),
	       sizeof(struct lease6_rec), sizeof(struct lease_change));
	/* a v6 change carries the longest DUID and hostname */
	CU_ASSERT_EQUAL(sizeof(c.u.v6.duid), LEASE_DUID_MAX);
	CU_ASSERT(sizeof(c.u.v6.hostname) >= 64);
	CU_ASSERT_EQUAL(sizeof(struct lease_change), 384);
}


/* ---- the v6 lease table ---- */

#define NET6 0x20010db800000000ULL       /* 2001:db8::/64: addresses */
#define PD6 0x20010db880000000ULL        /* 2001:db8:8000::/33: prefixes */

/* DUID-LLT of client n (14 bytes), or a DUID-EN of `len` bytes. */
struct duid {
	uint8_t b[LEASE_DUID_MAX];
	uint8_t len;
};

static void duid_of(struct duid *d, uint32_t n, uint8_t len)
{
	memset(d, 0, sizeof(*d));
	d->len = len;
	d->b[1] = len == 14 ? 1 : 2;
	for (unsigned i = 2; i < len; i++)
		d->b[i] = (uint8_t)(n >> (8 * (i % 4))) ^ (uint8_t)(i * 13);
}

static struct lease6_key ia_of(const struct duid *d, uint8_t type, uint32_t iaid)
{
	return (struct lease6_key){ .duid = d->b, .duid_len = d->len, .type = type, .iaid = iaid };
}

static struct lease6_table *table6(uint32_t cap)
{
	struct lease_table_params p = { .name = "test6", .capacity = cap };
	struct lease6_table *t = lease6_table_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static bool holds(struct lease6 **v, unsigned n, const struct lease6 *l)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == l)
			return true;
	return false;
}

/* One client with two IA_NAs (two addresses in the first), an IA_PD, and
 * a second client: every lookup finds exactly its own. */
static void test_table6_basic(void)
{
	struct lease6_table *t = table6(16);
	struct duid d1, d2;
	struct lease6_key na1, na2, pd, other;
	struct lease6 *a, *b, *c, *p, *o, *v[8];
	bool existed = true;

	duid_of(&d1, 1, 14);
	duid_of(&d2, 2, 14);
	na1 = ia_of(&d1, LEASE6_TYPE_NA, 7);
	na2 = ia_of(&d1, LEASE6_TYPE_NA, 8);
	pd = ia_of(&d1, LEASE6_TYPE_PD, 7);   /* same IAID, another type: another IA */
	other = ia_of(&d2, LEASE6_TYPE_NA, 7);

	a = lease6_table_insert(t, &na1, a6(NET6, 0x10), 128, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(!existed);
	CU_ASSERT(a->iaid == 7 && a->type == LEASE6_TYPE_NA && a->prefix_len == 128);
	CU_ASSERT(a->duid_len == 14 && memcmp(lease6_duid(a), d1.b, 14) == 0);
	A6_EQ(a->addr, NET6, 0x10);
	b = lease6_table_insert(t, &na1, a6(NET6, 0x11), 128, &existed);
	c = lease6_table_insert(t, &na2, a6(NET6, 0x12), 128, &existed);
	p = lease6_table_insert(t, &pd, a6(PD6, 0), 56, &existed);
	o = lease6_table_insert(t, &other, a6(NET6, 0x20), 128, &existed);
	CU_ASSERT_FATAL(b && c && p && o);
	CU_ASSERT_EQUAL(lease6_table_count(t), 5);

	/* by IA */
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &na1, v, 8), 2);
	CU_ASSERT(holds(v, 2, a) && holds(v, 2, b));
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &na2, v, 8), 1);
	CU_ASSERT_PTR_EQUAL(v[0], c);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &pd, v, 8), 1);
	CU_ASSERT_PTR_EQUAL(v[0], p);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &other, v, 8), 1);
	CU_ASSERT_PTR_EQUAL(v[0], o);
	/* more than max: the count is the IA's, out[] holds max */
	v[1] = NULL;
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &na1, v, 1), 2);
	CU_ASSERT(holds(v, 1, a) || holds(v, 1, b));
	CU_ASSERT_PTR_NULL(v[1]);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &na1, NULL, 0), 2);
	/* an IAID or a DUID nobody has */
	na1.iaid = 9;
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &na1, v, 8), 0);
	na1.iaid = 7;
	d2.b[5] ^= 1;
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &other, v, 8), 0);
	d2.b[5] ^= 1;
	/* by DUID: every IA of the client */
	CU_ASSERT_EQUAL(lease6_table_lookup_duid(t, d1.b, d1.len, v, 8), 4);
	CU_ASSERT(holds(v, 4, a) && holds(v, 4, b) && holds(v, 4, c) && holds(v, 4, p));
	CU_ASSERT_EQUAL(lease6_table_lookup_duid(t, d1.b, 13, v, 8), 0);
	/* by address */
	CU_ASSERT_PTR_EQUAL(lease6_table_lookup_addr(t, a6(NET6, 0x11)), b);
	CU_ASSERT_PTR_EQUAL(lease6_table_lookup_addr(t, a6(PD6, 0)), p);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(t, a6(NET6, 0x13)));

	/* the same lease again: existed; the address for another IA: EEXIST */
	CU_ASSERT_PTR_EQUAL(lease6_table_insert(t, &na1, a6(NET6, 0x11), 128, &existed), b);
	CU_ASSERT(existed);
	errno = 0;
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &na2, a6(NET6, 0x11), 128, &existed));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &other, a6(NET6, 0x11), 128, &existed));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &pd, a6(PD6, 0), 60, &existed));
	CU_ASSERT_EQUAL(errno, EEXIST);
	/* invalid: an address with a prefix length, a prefix of length 0,
	 * an unknown type, a DUID too long */
	errno = 0;
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &na2, a6(NET6, 0x30), 64, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &pd, a6(PD6, 0x100), 0, NULL));
	pd.type = 3;
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &pd, a6(PD6, 0x100), 56, NULL));
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &pd, v, 8), 0);
	pd.type = LEASE6_TYPE_PD;
	pd.duid_len = LEASE_DUID_MAX + 1;
	CU_ASSERT_PTR_NULL(lease6_table_insert(t, &pd, a6(PD6, 0x100), 56, NULL));
	pd.duid_len = d1.len;
	CU_ASSERT_EQUAL(lease6_table_count(t), 5);

	/* removing one leaves the others, in both indexes */
	lease6_table_remove(t, a);
	CU_ASSERT_EQUAL(lease6_table_count(t), 4);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &na1, v, 8), 1);
	CU_ASSERT_PTR_EQUAL(v[0], b);
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(t, a6(NET6, 0x10)));
	CU_ASSERT_PTR_EQUAL(lease6_table_lookup_addr(t, a6(NET6, 0x11)), b);
	CU_ASSERT_EQUAL(lease6_table_lookup_duid(t, d1.b, d1.len, v, 8), 3);
	/* and the address is free for another client */
	CU_ASSERT_PTR_NOT_NULL(lease6_table_insert(t, &other, a6(NET6, 0x10), 128, &existed));
	CU_ASSERT(!existed);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &other, v, 8), 2);
	lease6_table_free(t);
}

/* DUIDs longer than LEASE_DUID_INLINE live out of line; moving a lease to
 * another IA or to none (DECLINE) re-files it. */
static void test_table6_long_duid_decline(void)
{
	struct lease6_table *t = table6(16);
	struct duid lng, shrt, lng2;
	struct lease6_key k, ks, none;
	struct lease6 *l, *m, *v[4];
	size_t mem0, mem1;

	duid_of(&lng, 5, LEASE_DUID_MAX);
	duid_of(&lng2, 6, LEASE_DUID_INLINE + 1);
	duid_of(&shrt, 5, 14);
	k = ia_of(&lng, LEASE6_TYPE_NA, 1);
	ks = ia_of(&shrt, LEASE6_TYPE_NA, 1);
	mem0 = lease6_table_memory(t);
	l = lease6_table_insert(t, &k, a6(NET6, 1), 128, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	mem1 = lease6_table_memory(t);
	CU_ASSERT_EQUAL(mem1, mem0 + LEASE_DUID_MAX);
	CU_ASSERT(l->duid_len == LEASE_DUID_MAX && memcmp(lease6_duid(l), lng.b, LEASE_DUID_MAX) == 0);
	CU_ASSERT_PTR_NOT_EQUAL(lease6_duid(l), l->duid.inl);
	/* the long one and the short one with the same first bytes differ */
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &ks, v, 4), 0);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &k, v, 4), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lease6_table_insert(t, &ks, a6(NET6, 2), 128, NULL));
	CU_ASSERT_EQUAL(lease6_table_lookup_duid(t, lng.b, lng.len, v, 4), 1);
	CU_ASSERT_PTR_EQUAL(v[0], l);

	/* to another client (long to long, then to short): memory follows */
	CU_ASSERT_EQUAL(lease6_table_set_ia(t, l, &(struct lease6_key){ lng2.b, lng2.len, LEASE6_TYPE_NA, 4 }), 0);
	CU_ASSERT_EQUAL(lease6_table_memory(t), mem0 + lng2.len);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &k, v, 4), 0);
	CU_ASSERT_EQUAL(lease6_table_lookup_duid(t, lng2.b, lng2.len, v, 4), 1);
	CU_ASSERT(v[0] == l && l->iaid == 4);
	CU_ASSERT_EQUAL(lease6_table_set_ia(t, l, &ks), 0);
	CU_ASSERT_EQUAL(lease6_table_memory(t), mem0);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &ks, v, 4), 2);
	/* its own DUID again (the bytes are the lease's own): no change */
	CU_ASSERT_EQUAL(lease6_table_set_ia(t, l, &(struct lease6_key){ lease6_duid(l), l->duid_len, l->type, l->iaid }), 0);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &ks, v, 4), 2);
	/* the type is the lease's: not changed here */
	CU_ASSERT_EQUAL(lease6_table_set_ia(t, l, &(struct lease6_key){ shrt.b, shrt.len, LEASE6_TYPE_PD, 1 }), -EINVAL);

	/* DECLINE: no client; found by address only */
	CU_ASSERT_EQUAL(lease6_table_set_ia(t, l, NULL), 0);
	CU_ASSERT_EQUAL(l->duid_len, 0);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &ks, v, 4), 1);
	CU_ASSERT_PTR_EQUAL(lease6_table_lookup_addr(t, a6(NET6, 1)), l);
	none = (struct lease6_key){ NULL, 0, LEASE6_TYPE_NA, 0 };
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &none, v, 4), 0);

	/* Many leases with no client: each is filed by address only, so
	 * they do not crowd one index cluster. */
	for (uint32_t i = 0; i < 20000; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(lease6_table_insert(t, &none, a6(NET6, 0x10000 + i), 128, NULL));
	CU_ASSERT_PTR_NOT_NULL(lease6_table_lookup_addr(t, a6(NET6, 0x10000 + 19999)));
	m = lease6_table_insert(t, &k, a6(NET6, 3), 128, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &k, v, 4), 1);
	CU_ASSERT_EQUAL(lease6_table_count(t), 20003);
	/* a declined lease goes back to a client */
	CU_ASSERT_EQUAL(lease6_table_set_ia(t, l, &k), 0);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &k, v, 4), 2);
	lease6_table_remove(t, m);
	lease6_table_remove(t, l);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &k, v, 4), 0);
	lease6_table_free(t);                 /* frees what is left, long DUIDs too */
}

static void test_table6_hostname(void)
{
	struct lease6_table *t = table6(16);
	struct duid d;
	struct lease6_key k;
	struct lease6 *l, *m;
	char longname[100];

	duid_of(&d, 9, 14);
	k = ia_of(&d, LEASE6_TYPE_NA, 1);
	l = lease6_table_insert(t, &k, a6(NET6, 1), 128, NULL);
	m = lease6_table_insert(t, &k, a6(NET6, 2), 128, NULL);
	CU_ASSERT_FATAL(l && m);
	CU_ASSERT_STRING_EQUAL(lease6_table_hostname(t, l), "");
	CU_ASSERT_EQUAL(lease6_table_set_hostname(t, l, "host-a.example", 14), 0);
	CU_ASSERT_EQUAL(lease6_table_set_hostname(t, m, "b", 1), 0);
	CU_ASSERT_STRING_EQUAL(lease6_table_hostname(t, l), "host-a.example");
	CU_ASSERT_STRING_EQUAL(lease6_table_hostname(t, m), "b");
	memset(longname, 'x', sizeof(longname));
	CU_ASSERT_EQUAL(lease6_table_set_hostname(t, m, longname, sizeof(longname)), 0);
	CU_ASSERT_EQUAL(strlen(lease6_table_hostname(t, m)), LEASE_HOSTNAME_MAX);
	CU_ASSERT_EQUAL(lease6_table_set_hostname(t, l, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(lease6_table_hostname(t, l), "");
	lease6_table_remove(t, m);
	lease6_table_free(t);
}

/* ---- expiry ---- */

struct exp6 {
	uint32_t now;
	unsigned n, bad, twice;
	uint8_t *seen;                   /* by the address's low half */
	struct lease6_table *t;
	int action;                      /* 0 none, 1 remove, 2 renew +1000 */
};

static void exp6_cb(struct lease6 *l, void *arg)
{
	struct exp6 *r = arg;

	if (l->expire > r->now)
		r->bad++;
	if (r->seen[l->addr.lo])
		r->twice++;
	r->seen[l->addr.lo] = 1;
	r->n++;
	if (r->action == 1) {
		lease6_table_remove(r->t, l);
	} else if (r->action == 2) {
		l->expire = r->now + 1000;
		lease6_table_touch(r->t, l);
	}
}

static void drain6(struct exp6 *r, unsigned max)
{
	unsigned calls = 0;

	do {
		CU_ASSERT(lease6_table_expire(r->t, r->now, max, exp6_cb, r) <= max);
		CU_ASSERT_FATAL(++calls < 1000000);
	} while (!lease6_table_expire_idle(r->t, r->now));
}

/* v6 leases go through the same wheel: handed out once, never early, in
 * bounded batches; the callback may renew or remove; infinite ones stay. */
static void test_table6_expire(void)
{
	enum { N = 6000, CLIENTS = 1000 };
	const uint32_t base = 1700000000u;
	struct lease6_table *t = table6(N);
	struct exp6 r = { .t = t };
	struct duid d;
	struct lease6_key k;

	r.seen = calloc(N, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.seen);
	/* per client an IA_NA with 3 addresses and an IA_PD with 3 prefixes */
	for (uint32_t i = 0; i < N; i++) {
		struct lease6 *l;
		bool pd = i % 6 >= 3;

		duid_of(&d, i / 6, 14);
		k = ia_of(&d, pd ? LEASE6_TYPE_PD : LEASE6_TYPE_NA, 1);
		l = lease6_table_insert(t, &k, a6(pd ? PD6 : NET6, i), pd ? 64 : 128, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		l->expire = i % 10 == 9 ? UINT32_MAX : base + i % 100;
		lease6_table_touch(t, l);
	}
	r.now = base - 1;
	drain6(&r, 1000);
	CU_ASSERT_EQUAL(r.n, 0);
	/* half of the finite ones are due; the callback renews them */
	r.now = base + 49;
	r.action = 2;
	drain6(&r, 7);
	CU_ASSERT_EQUAL(r.n, N / 2 - N / 20);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);
	for (uint32_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(r.seen[i], i % 100 <= 49 && i % 10 != 9);
	/* then every finite one is due once more (the renewed at +1000); the
	 * callback removes them */
	memset(r.seen, 0, N);
	r.n = 0;
	r.action = 1;
	r.now = base + 49 + 1000;
	drain6(&r, 64);
	CU_ASSERT_EQUAL(r.n, N - N / 10);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);
	CU_ASSERT_EQUAL(lease6_table_count(t), N / 10);
	/* the infinite ones are left, still found by IA and address */
	duid_of(&d, 9 / 6, 14);
	k = ia_of(&d, LEASE6_TYPE_PD, 1);
	CU_ASSERT_EQUAL(lease6_table_lookup_ia(t, &k, NULL, 0), 1);
	CU_ASSERT_PTR_NOT_NULL(lease6_table_lookup_addr(t, a6(PD6, 9)));
	CU_ASSERT_PTR_NULL(lease6_table_lookup_addr(t, a6(PD6, 8)));
	r.now = UINT32_MAX - 1;
	drain6(&r, 1000);
	CU_ASSERT_EQUAL(r.n, N - N / 10);
	free(r.seen);
	lease6_table_free(t);
}

/* ---- foreach, across both kinds ---- */

static int sum6_cb(struct lease6 *l, void *arg)
{
	uint64_t *s = arg;

	*s += l->addr.lo;
	return 0;
}

static int stop6_cb(struct lease6 *l, void *arg)
{
	unsigned *n = arg;

	(void)l;
	return ++*n == 100 ? 5 : 0;
}

static int sum4_cb(struct lease4 *l, void *arg)
{
	uint64_t *s = arg;

	*s += l->addr;
	return 0;
}

/* A worker holds a v4 and a v6 table: each walks its own leases only. */
static void test_table6_foreach(void)
{
	struct lease_table_params p = { .name = "test4", .capacity = 16 };
	struct lease_table *t4 = lease_table_create(&p);
	struct lease6_table *t = table6(16);
	uint64_t sum6 = 0, want6 = 0, sum4 = 0;
	struct lease_key k4;
	struct duid d;
	unsigned n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t4);
	for (uint32_t i = 0; i < 1000; i++) {
		struct lease6_key k;
		struct lease4 *l4;

		duid_of(&d, i / 4, 14);
		k = ia_of(&d, LEASE6_TYPE_NA, i % 2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(lease6_table_insert(t, &k, a6(NET6, i), 128, NULL));
		memset(&k4, 0, sizeof(k4));
		k4.kind = LEASE_KEY_ADDR;
		k4.len = 4;
		k4.data[3] = (uint8_t)i;
		k4.data[2] = (uint8_t)(i >> 8);
		l4 = lease_table_insert(t4, &k4, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
		CU_ASSERT_EQUAL(l4->addr, i);
	}
	for (uint32_t i = 0; i < 1000; i += 3)
		lease6_table_remove(t, lease6_table_lookup_addr(t, a6(NET6, i)));
	for (uint32_t i = 0; i < 1000; i++)
		want6 += i % 3 ? i : 0;
	CU_ASSERT_EQUAL(lease6_table_foreach(t, sum6_cb, &sum6), 0);
	CU_ASSERT_EQUAL(sum6, want6);
	CU_ASSERT_EQUAL(lease_table_foreach(t4, sum4_cb, &sum4), 0);
	CU_ASSERT_EQUAL(sum4, 999 * 1000 / 2);
	CU_ASSERT_EQUAL(lease6_table_foreach(t, stop6_cb, &n), 5);
	CU_ASSERT_EQUAL(n, 100);
	CU_ASSERT_EQUAL(lease6_table_count(t), 1000 - 334);
	CU_ASSERT_EQUAL(lease_table_count(t4), 1000);
	lease_table_free(t4);
	lease6_table_free(t);
}

/* ---- growth ---- */

/* 1M leases from a table made for 16: 250,000 clients, each with an
 * IA_NA of two addresses, another IA_NA of one, and an IA_PD of one
 * prefix.  Both indexes double (incrementally) many times on the way. */
static void test_table6_growth(void)
{
	enum { CLIENTS = 250000, PER = 4, N = CLIENTS * PER };
	struct lease6_table *t = table6(16);
	struct lease6 **ptr = malloc(N * sizeof(*ptr));
	unsigned missing = 0, wrong = 0;
	double t0, t1, worst = 0;
	struct duid d;
	size_t mem;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ptr);
	t0 = now_ns();
	for (uint32_t c = 0; c < CLIENTS; c++) {
		duid_of(&d, c * 2654435761u, 14);
		for (uint32_t j = 0; j < PER; j++) {
			struct lease6_key k = ia_of(&d, j == 3 ? LEASE6_TYPE_PD : LEASE6_TYPE_NA, j / 2);
			uint32_t i = c * PER + j;
			struct lease_addr6 a = j == 3 ? a6(PD6 | c, 0) : a6(NET6, i);
			double s = now_ns(), e;
			bool existed;

			ptr[i] = lease6_table_insert(t, &k, a, j == 3 ? 64 : 128, &existed);
			e = now_ns() - s;
			if (e > worst)
				worst = e;
			if (ptr[i] == NULL || existed) {
				missing++;
				continue;
			}
			ptr[i]->expire = 1000 + i % 5000;
			ptr[i]->subnet_id = i;
			lease6_table_touch(t, ptr[i]);
		}
	}
	t1 = now_ns();
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(lease6_table_count(t), N);
	mem = lease6_table_memory(t);
	printf("\n    worst single insert %.2f ms (shared CPU: preemption shows here)\n", worst / 1e6);
	printf("    insert+touch %.1f ns/op; memory %zu bytes = %.1f bytes/lease at %u leases\n",
	       (t1 - t0) / N, mem, (double)mem / N, N);
	/* two indexes of 8-byte slots: at most 2 x 16 bytes a lease more than v4 */
	CU_ASSERT(mem <= (size_t)160 * N);

	/* every lease found by address and in its IA, at its pointer */
	t0 = now_ns();
	for (uint32_t c = 0; c < CLIENTS; c++) {
		struct lease6 *v[4];

		duid_of(&d, c * 2654435761u, 14);
		for (uint32_t j = 0; j < PER; j++) {
			uint32_t i = c * PER + j;
			struct lease_addr6 a = j == 3 ? a6(PD6 | c, 0) : a6(NET6, i);
			struct lease6_key k = ia_of(&d, j == 3 ? LEASE6_TYPE_PD : LEASE6_TYPE_NA, j / 2);
			unsigned n = lease6_table_lookup_ia(t, &k, v, 4);

			if (lease6_table_lookup_addr(t, a) != ptr[i] || ptr[i]->subnet_id != i)
				wrong++;
			if (n != (j < 2 ? 2u : 1u) || !holds(v, n, ptr[i]))
				wrong++;
		}
	}
	t1 = now_ns();
	printf("    lookup by address + by IA %.1f ns/lease\n", (t1 - t0) / N);
	CU_ASSERT_EQUAL(wrong, 0);
	for (uint32_t i = 0; i < 100000; i++)
		if (lease6_table_lookup_addr(t, a6(NET6 + 1, i)) != NULL)
			wrong++;
	CU_ASSERT_EQUAL(wrong, 0);

	/* remove every other lease: the rest still found both ways */
	for (uint32_t i = 0; i < N; i += 2)
		lease6_table_remove(t, ptr[i]);
	CU_ASSERT_EQUAL(lease6_table_count(t), N / 2);
	for (uint32_t c = 0; c < CLIENTS; c++) {
		struct lease6 *v[4];

		duid_of(&d, c * 2654435761u, 14);
		if (lease6_table_lookup_duid(t, d.b, d.len, v, 4) != 2 ||
		    !holds(v, 2, ptr[c * PER + 1]) || !holds(v, 2, ptr[c * PER + 3]))
			wrong++;
		if (lease6_table_lookup_addr(t, a6(NET6, c * PER)) != NULL)
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);

	/* slots are reused: N/2 more leases do not grow the slab */
	mem = lease6_table_memory(t);
	for (uint32_t i = 0; i < N / 2; i++) {
		struct lease6_key k;

		duid_of(&d, i, 18);
		k = ia_of(&d, LEASE6_TYPE_NA, 0);
		if (lease6_table_insert(t, &k, a6(NET6 + 2, i), 128, NULL) == NULL)
			missing++;
	}
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(lease6_table_memory(t), mem);
	CU_ASSERT_EQUAL(lease6_table_count(t), N);
	free(ptr);
	lease6_table_free(t);
}

/* The hardware address kept beside a lease: set and read back, gone when
 * the lease goes, not inherited by the next lease in the same entry. */
static void test_table6_hwaddr(void)
{
	struct lease6_table *t = table6(4);
	struct duid d;
	struct lease6_key k;
	struct lease6 *l;
	const uint8_t *hw;
	uint16_t type;
	uint8_t src;
	bool existed;
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 7 };

	duid_of(&d, 1, 10);
	k = ia_of(&d, LEASE6_TYPE_NA, 1);
	l = lease6_table_insert(t, &k, (struct lease_addr6){ 1, 1 }, 128, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(lease6_table_hwaddr(t, l, &type, &src, &hw), 0);
	CU_ASSERT_EQUAL(lease6_table_set_hwaddr(t, l, 1, 2, mac, 6), 0);
	CU_ASSERT_EQUAL_FATAL(lease6_table_hwaddr(t, l, &type, &src, &hw), 6);
	CU_ASSERT(type == 1 && src == 2 && !memcmp(hw, mac, 6));
	CU_ASSERT_EQUAL(lease6_table_set_hwaddr(t, l, 1, 2, mac, LEASE6_HW_MAX + 1), -EINVAL);
	lease6_table_remove(t, l);
	l = lease6_table_insert(t, &k, (struct lease_addr6){ 1, 2 }, 128, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(lease6_table_hwaddr(t, l, &type, &src, &hw), 0);
	lease6_table_free(t);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("lease6", NULL, NULL);
	CU_add_test(s, "table6 hardware address", test_table6_hwaddr);
	CU_add_test(s, "addr6 wire", test_addr6_wire);
	CU_add_test(s, "addr6 compare", test_addr6_cmp);
	CU_add_test(s, "addr6 prefix", test_addr6_prefix);
	CU_add_test(s, "addr6 add offset", test_addr6_add);
	CU_add_test(s, "addr6 offset in prefixes", test_addr6_offset_prefixes);
	CU_add_test(s, "duid hash", test_duid_hash);
	CU_add_test(s, "record sizes", test_change_sizes);
	CU_add_test(s, "table6 basic", test_table6_basic);
	CU_add_test(s, "table6 long DUID, re-file, decline", test_table6_long_duid_decline);
	CU_add_test(s, "table6 hostnames", test_table6_hostname);
	CU_add_test(s, "table6 expire", test_table6_expire);
	CU_add_test(s, "table6 foreach (and v4 beside it)", test_table6_foreach);
	CU_add_test(s, "table6 growth 1M", test_table6_growth);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
