/* gen_owner: the generator's duplicate check, dense and hashed, against a
 * plain reference (who holds each unit) over random claims and drops. */
#include <stdint.h>
#include <stdlib.h>
#include <CUnit/Basic.h>
#include "gen_core.h"

#define UNITS   4096                    /* distinct offsets used */
#define CLIENTS 512

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next_rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Offsets spread over the table's range (hashed: far apart and close
 * together, so probe runs form and wrap). */
static uint64_t unit_off(unsigned u, uint64_t max_off)
{
	if (max_off < UNITS)
		return u;
	return u < UNITS / 2 ? (uint64_t)u * 0x9e3779b97f4a7c15ull % max_off : max_off - u;
}

static void run(uint64_t max_off)
{
	static uint32_t who[UNITS];             /* reference: client + 1 */
	static int held[CLIENTS];               /* the unit each client holds, -1 none */
	struct gen_owner o;
	unsigned i, dups = 0, want_dups = 0;

	CU_ASSERT_EQUAL_FATAL(gen_owner_init(&o, max_off, CLIENTS), 0);
	CU_ASSERT((o.dense != NULL) == (max_off < (1u << 24)));
	for (i = 0; i < UNITS; i++)
		who[i] = 0;
	for (i = 0; i < CLIENTS; i++)
		held[i] = -1;
	for (i = 0; i < 400000; i++) {
		uint32_t ci = (uint32_t)(next_rnd() % CLIENTS);
		unsigned u = (unsigned)(next_rnd() % UNITS);

		if (held[ci] >= 0) {                    /* let go first, as the generator does */
			gen_owner_drop(&o, unit_off((unsigned)held[ci], max_off), ci);
			if (who[held[ci]] == ci + 1)
				who[held[ci]] = 0;
			held[ci] = -1;
			if (next_rnd() & 1)
				continue;
		}
		want_dups += who[u] && who[u] != ci + 1;
		dups += gen_owner_claim(&o, unit_off(u, max_off), ci);
		who[u] = ci + 1;
		held[ci] = (int)u;
	}
	CU_ASSERT_EQUAL(dups, want_dups);
	CU_ASSERT(want_dups > 1000);
	/* every unit's holder, as the reference has it: claiming it as an
	 * outsider reports a duplicate exactly where someone holds it */
	for (i = 0; i < UNITS; i++) {
		bool dup = gen_owner_claim(&o, unit_off(i, max_off), CLIENTS + 1);

		CU_ASSERT_EQUAL(dup, who[i] != 0);
		gen_owner_drop(&o, unit_off(i, max_off), CLIENTS + 1);
	}
	gen_owner_fini(&o);
}

static void test_dense(void)
{
	run(UNITS - 1);
}

static void test_hashed(void)
{
	run(UINT64_MAX);
	run((1ull << 32) - 1);
}

/* A drop of a unit the client does not hold changes nothing. */
static void test_drop_foreign(void)
{
	struct gen_owner o;

	CU_ASSERT_EQUAL_FATAL(gen_owner_init(&o, UINT64_MAX, 4), 0);
	CU_ASSERT_FALSE(gen_owner_claim(&o, 7, 1));
	gen_owner_drop(&o, 7, 2);
	gen_owner_drop(&o, 8, 1);
	CU_ASSERT_TRUE(gen_owner_claim(&o, 7, 3));
	gen_owner_fini(&o);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("gen_owner", NULL, NULL);
	CU_add_test(s, "dense", test_dense);
	CU_add_test(s, "hashed", test_hashed);
	CU_add_test(s, "drop of a unit held by another", test_drop_foreign);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
