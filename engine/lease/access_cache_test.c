/* access_cache: lookups, expiry, refresh, eviction of the oldest, and a
 * random run against a plain model (an array searched linearly). */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "access_cache.h"

static struct access_answer ans(uint8_t verdict, uint32_t addr, const char *pool)
{
	struct access_answer a;

	memset(&a, 0, sizeof(a));
	a.verdict = verdict;
	a.addr4 = addr;
	if (addr)
		a.flags |= ACCESS_F_ADDR4;
	if (pool) {
		a.flags |= ACCESS_F_POOL;
		strncpy(a.pool, pool, sizeof(a.pool) - 1);
	}
	return a;
}

static const uint8_t mac1[6] = { 0, 1, 2, 3, 4, 5 }, mac2[6] = { 0, 1, 2, 3, 4, 6 };

static void test_get_put(void)
{
	struct access_cache *c = access_cache_create(8);
	struct access_answer a = ans(ACCESS_ACCEPT, 0xc6120005, "gold");
	const struct access_answer *g;

	CU_ASSERT_PTR_NULL(access_cache_get(c, 0, mac1, 6, 100));
	CU_ASSERT_EQUAL(access_cache_put(c, 0, mac1, 6, &a, 100, 400), 0);
	g = access_cache_get(c, 0, mac1, 6, 399);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->addr4, 0xc6120005);
	CU_ASSERT_STRING_EQUAL(g->pool, "gold");
	/* another identifier, and the same bytes under another type */
	CU_ASSERT_PTR_NULL(access_cache_get(c, 0, mac2, 6, 100));
	CU_ASSERT_PTR_NULL(access_cache_get(c, 1, mac1, 6, 100));
	CU_ASSERT_PTR_NULL(access_cache_get(c, 0, mac1, 5, 100));
	CU_ASSERT_EQUAL(access_cache_size(c), 1);
	/* expired at its expiry second: no answer, but kept for an outage */
	CU_ASSERT_PTR_NULL(access_cache_get(c, 0, mac1, 6, 400));
	CU_ASSERT_EQUAL(access_cache_size(c), 1);
	g = access_cache_stale(c, 0, mac1, 6);
	CU_ASSERT(g && g->addr4 == 0xc6120005);
	CU_ASSERT_PTR_NULL(access_cache_stale(c, 0, mac2, 6));
	access_cache_free(c);
}

static void test_refresh_and_remove(void)
{
	struct access_cache *c = access_cache_create(4);
	struct access_answer a = ans(ACCESS_REJECT, 0, NULL), b = ans(ACCESS_ACCEPT, 7, NULL);
	struct access_entry_view v;

	access_cache_put(c, 0, mac1, 6, &a, 0, 50);
	access_cache_put(c, 0, mac1, 6, &b, 10, 90);       /* same key: replaced */
	CU_ASSERT_EQUAL(access_cache_size(c), 1);
	CU_ASSERT_EQUAL(access_cache_get(c, 0, mac1, 6, 60)->verdict, ACCESS_ACCEPT);
	CU_ASSERT_TRUE(access_cache_find(c, 0, mac1, 6, &v));
	CU_ASSERT_EQUAL(v.expire, 90);
	CU_ASSERT_TRUE(access_cache_remove(c, 0, mac1, 6));
	CU_ASSERT_FALSE(access_cache_remove(c, 0, mac1, 6));
	CU_ASSERT_FALSE(access_cache_find(c, 0, mac1, 6, &v));
	CU_ASSERT_EQUAL(access_cache_size(c), 0);
	access_cache_free(c);
}

static bool collect(void *arg, const struct access_entry_view *e)
{
	uint8_t **p = arg;

	*(*p)++ = e->id[0];
	return true;
}

static void test_evicts_oldest(void)
{
	struct access_cache *c = access_cache_create(3);
	struct access_answer a = ans(ACCESS_ACCEPT, 0, NULL);
	uint8_t id, order[8], *p = order;

	for (id = 1; id <= 3; id++)
		access_cache_put(c, 0, &id, 1, &a, 0, 1000);
	id = 1;                                              /* refresh 1: 2 is oldest now */
	access_cache_put(c, 0, &id, 1, &a, 0, 1000);
	id = 4;
	access_cache_put(c, 0, &id, 1, &a, 0, 1000);
	CU_ASSERT_EQUAL(access_cache_size(c), 3);
	CU_ASSERT_EQUAL(access_cache_evicted(c), 1);
	id = 2;
	CU_ASSERT_PTR_NULL(access_cache_stale(c, 0, &id, 1));       /* evicted: gone */
	access_cache_walk(c, collect, &p);
	CU_ASSERT_EQUAL(p - order, 3);
	CU_ASSERT_EQUAL(order[0], 3);
	CU_ASSERT_EQUAL(order[1], 1);
	CU_ASSERT_EQUAL(order[2], 4);
	/* storing sweeps expired entries first, without counting evictions */
	id = 5;
	access_cache_put(c, 0, &id, 1, &a, 1000, 2000);
	CU_ASSERT_EQUAL(access_cache_size(c), 2);           /* two of the three went, 5 came */
	CU_ASSERT_EQUAL(access_cache_evicted(c), 1);
	access_cache_clear(c);
	CU_ASSERT_EQUAL(access_cache_size(c), 0);
	CU_ASSERT_PTR_NULL(access_cache_get(c, 0, &id, 1, 1001));
	access_cache_free(c);
}

static void test_bounds(void)
{
	struct access_cache *c = access_cache_create(2);
	struct access_answer a = ans(ACCESS_ACCEPT, 0, NULL);
	uint8_t big[ACCESS_ID_MAX + 1];

	memset(big, 7, sizeof(big));
	CU_ASSERT_EQUAL(access_cache_put(c, 0, big, ACCESS_ID_MAX, &a, 0, 9), 0);
	CU_ASSERT_PTR_NOT_NULL(access_cache_get(c, 0, big, ACCESS_ID_MAX, 1));
	CU_ASSERT_EQUAL(access_cache_put(c, 0, big, ACCESS_ID_MAX + 1, &a, 0, 9), -1);
	CU_ASSERT_PTR_NULL(access_cache_create(0));
	access_cache_free(c);
}

/* The model: at most MAXN live entries, oldest first. */
#define MAXN 16
struct m_ent { uint8_t id; uint32_t expire; uint32_t addr; };

static void test_random_against_model(void)
{
	struct access_cache *c = access_cache_create(MAXN);
	struct m_ent m[MAXN];
	unsigned n = 0, i, step;
	uint32_t now = 0;

	srand(7);
	for (step = 0; step < 200000; step++) {
		uint8_t id = (uint8_t)(rand() % 40);
		int op = rand() % 10;
		const struct access_answer *g;

		now += (uint32_t)(rand() % 3);
		for (i = 0; i < n && m[i].id != id; i++)
			;
		if (op < 5) {                                   /* get */
			g = access_cache_get(c, 0, &id, 1, now);
			if (i < n && m[i].expire > now) {
				CU_ASSERT_PTR_NOT_NULL_FATAL(g);
				CU_ASSERT_EQUAL_FATAL(g->addr4, m[i].addr);
			} else {
				CU_ASSERT_PTR_NULL_FATAL(g);   /* expired ones stay (stale) */
				if (i < n)
					CU_ASSERT_EQUAL_FATAL(access_cache_stale(c, 0, &id, 1)->addr4,
							      m[i].addr);
			}
		} else if (op < 9) {                            /* put */
			struct access_answer a = ans(ACCESS_ACCEPT, step, NULL);
			uint32_t exp = now + 1 + (uint32_t)(rand() % 30);
			unsigned k, swept = 0;

			/* what put does first: up to two expired oldest go */
			while (swept < 2 && n > 0 && m[0].expire <= now) {
				memmove(&m[0], &m[1], (n - 1) * sizeof(m[0]));
				n--;
				swept++;
			}
			for (k = 0; k < n && m[k].id != id; k++)
				;
			if (k < n) {
				memmove(&m[k], &m[k + 1], (n - k - 1) * sizeof(m[0]));
				n--;
			} else if (n == MAXN) {
				memmove(&m[0], &m[1], (n - 1) * sizeof(m[0]));
				n--;
			}
			m[n].id = id;
			m[n].expire = exp;
			m[n].addr = step;
			n++;
			CU_ASSERT_EQUAL_FATAL(access_cache_put(c, 0, &id, 1, &a, now, exp), 0);
		} else {                                        /* remove */
			CU_ASSERT_EQUAL_FATAL(access_cache_remove(c, 0, &id, 1), i < n);
			if (i < n) {
				memmove(&m[i], &m[i + 1], (n - i - 1) * sizeof(m[0]));
				n--;
			}
		}
		CU_ASSERT_EQUAL_FATAL(access_cache_size(c), n);
	}
	access_cache_free(c);
}

int main(void)
{
	CU_pSuite s;
	unsigned i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("access_cache", NULL, NULL);
	CU_add_test(s, "get and put", test_get_put);
	CU_add_test(s, "refresh and remove", test_refresh_and_remove);
	CU_add_test(s, "evicts the oldest", test_evicts_oldest);
	CU_add_test(s, "bounds", test_bounds);
	CU_add_test(s, "random against a model", test_random_against_model);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	i = CU_get_number_of_failures();
	CU_cleanup_registry();
	return i ? 1 : 0;
}
