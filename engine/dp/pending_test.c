#include <errno.h>
#include <stdint.h>
#include <CUnit/Basic.h>
#include "pending.h"

static unsigned expired;
static uintptr_t last_pkt;

static void on_expire(void *ctx, struct pend_entry *e)
{
	(void)ctx;
	expired++;
	last_pkt = (uintptr_t)e->pkt;
}

static void test_tokens(void)
{
	struct pend_table *t = pend_create(4);
	struct pend_entry *e[5];
	uint32_t tok[4], old;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < 4; i++) {
		e[i] = pend_add(t, 100);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e[i]);
		CU_ASSERT_NOT_EQUAL(e[i]->token, 0);
		tok[i] = e[i]->token;
		e[i]->pkt = (void *)(uintptr_t)(i + 1);
	}
	CU_ASSERT_PTR_NULL(pend_add(t, 100));           /* full */
	CU_ASSERT_EQUAL(pend_count(t), 4);
	CU_ASSERT_PTR_EQUAL(pend_find(t, tok[2]), e[2]);
	CU_ASSERT_PTR_NULL(pend_find(t, 0));
	CU_ASSERT_PTR_NULL(pend_find(t, 0x10000));      /* slot 0 is never a token */
	CU_ASSERT_PTR_NULL(pend_find(t, tok[2] + 0x10000));   /* wrong generation */
	/* answered: gone, and its slot's next token differs */
	old = tok[2];
	pend_del(t, e[2]);
	CU_ASSERT_PTR_NULL(pend_find(t, old));
	e[4] = pend_add(t, 100);
	CU_ASSERT_PTR_EQUAL(e[4], e[2]);                /* the same slot ... */
	CU_ASSERT_NOT_EQUAL(e[4]->token, old);          /* ... a new token */
	CU_ASSERT_PTR_NULL(pend_find(t, old));          /* a late answer finds nothing */
	CU_ASSERT_PTR_EQUAL(pend_find(t, e[4]->token), e[4]);
	pend_free(t);
	errno = 0;
	CU_ASSERT_PTR_NULL(pend_create(6));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

static void test_expire(void)
{
	struct pend_table *t = pend_create(8);
	struct pend_entry *a, *b, *c;
	uint32_t tb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	a = pend_add(t, 10);
	b = pend_add(t, 20);
	c = pend_add(t, 30);
	a->pkt = (void *)1;
	b->pkt = (void *)2;
	c->pkt = (void *)3;
	tb = b->token;
	expired = 0;
	CU_ASSERT_EQUAL(pend_expire(t, 9, 8, on_expire, NULL), 0);
	CU_ASSERT_EQUAL(pend_expire(t, 20, 8, on_expire, NULL), 2);
	CU_ASSERT_EQUAL(expired, 2);
	CU_ASSERT_PTR_NULL(pend_find(t, tb));
	CU_ASSERT_EQUAL(pend_count(t), 1);
	/* bounded: one entry looked at per call; the sweep goes round */
	expired = 0;
	for (int i = 0; i < 8; i++)
		pend_expire(t, 1000, 1, on_expire, NULL);
	CU_ASSERT_EQUAL(expired, 1);
	CU_ASSERT_EQUAL(last_pkt, 3);
	CU_ASSERT_EQUAL(pend_count(t), 0);
	pend_free(t);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("pending", NULL, NULL);
	CU_add_test(s, "tokens, generations, full", test_tokens);
	CU_add_test(s, "deadlines, bounded sweep", test_expire);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
