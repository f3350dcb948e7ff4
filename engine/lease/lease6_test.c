/* Unit tests, DHCPv6 side of engine/lease: 128-bit address helpers, the
 * DUID steering hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lease_log.h"

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

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("lease6", NULL, NULL);
	CU_add_test(s, "addr6 wire", test_addr6_wire);
	CU_add_test(s, "addr6 compare", test_addr6_cmp);
	CU_add_test(s, "addr6 prefix", test_addr6_prefix);
	CU_add_test(s, "addr6 add offset", test_addr6_add);
	CU_add_test(s, "duid hash", test_duid_hash);
	CU_add_test(s, "record sizes", test_change_sizes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
