/* The shared address allocator (bitmaps with a summary level, owner
 * references beside the bits) and the index of owners outside the pools. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "addr_owner.h"
#include "alloc.h"
#include "lease_test_util.h"

static void test_alloc_fill(void)
{
	const uint32_t first = 0xc6120000, n = 1000;   /* not a multiple of 64 */
	struct alloc_pool *p = alloc_pool_create(first, first + n - 1);
	uint8_t *seen = calloc(n, 1);
	uint32_t cursor = 517, a;
	unsigned dup = 0, out = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(alloc_size(p), n);
	CU_ASSERT_EQUAL(alloc_used(p), 0);
	for (uint32_t i = 0; i < n; i++) {
		if (alloc_take(p, &cursor, &a) != 0) {
			out++;
			continue;
		}
		if (a < first || a >= first + n)
			out++;
		else if (seen[a - first]++)
			dup++;
	}
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_EQUAL(alloc_used(p), n);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), -ENOSPC);
	/* The first take started at the cursor. */
	CU_ASSERT_TRUE(alloc_in_use(p, first + 517));

	alloc_release(p, first + 999);
	CU_ASSERT_FALSE(alloc_in_use(p, first + 999));
	CU_ASSERT_EQUAL(alloc_used(p), n - 1);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, first + 999);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), -ENOSPC);
	free(seen);
	alloc_pool_free(p);

	errno = 0;
	CU_ASSERT_PTR_NULL(alloc_pool_create(10, 9));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(alloc_pool_create(0, 1u << 24));
	p = alloc_pool_create(0, (1u << 24) - 1);
	CU_ASSERT_PTR_NOT_NULL(p);
	alloc_pool_free(p);
	p = alloc_pool_create(7, 7);           /* a pool of one */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	cursor = 12345;
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, 7);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), -ENOSPC);
	alloc_pool_free(p);
}

static void test_alloc_claim(void)
{
	const uint32_t first = 0xc6120000, last = 0xc61200ff;
	struct alloc_pool *p = alloc_pool_create(first, last);
	uint32_t cursor = 0, a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(alloc_contains(p, first));
	CU_ASSERT_TRUE(alloc_contains(p, last));
	CU_ASSERT_FALSE(alloc_contains(p, first - 1));
	CU_ASSERT_FALSE(alloc_contains(p, last + 1));
	CU_ASSERT_EQUAL(alloc_claim(p, first + 10), 0);
	CU_ASSERT_EQUAL(alloc_claim(p, first + 10), -EBUSY);
	CU_ASSERT_EQUAL(alloc_claim(p, last + 1), -ERANGE);
	CU_ASSERT_EQUAL(alloc_claim(p, first - 1), -ERANGE);
	CU_ASSERT_TRUE(alloc_in_use(p, first + 10));
	CU_ASSERT_FALSE(alloc_in_use(p, first + 11));
	CU_ASSERT_FALSE(alloc_in_use(p, last + 1));
	CU_ASSERT_EQUAL(alloc_used(p), 1);

	/* take skips a claimed address. */
	cursor = 10;
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_NOT_EQUAL(a, first + 10);
	CU_ASSERT_EQUAL(alloc_used(p), 2);

	alloc_release(p, first + 10);
	CU_ASSERT_FALSE(alloc_in_use(p, first + 10));
	CU_ASSERT_EQUAL(alloc_claim(p, first + 10), 0);
	/* Claim a whole word full, then release one: take finds it. */
	for (uint32_t i = 0; i < 256; i++)
		alloc_claim(p, first + i);
	CU_ASSERT_EQUAL(alloc_used(p), 256);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), -ENOSPC);
	alloc_release(p, first + 130);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, first + 130);
	alloc_pool_free(p);
}

static bool skip_odd(uint32_t a, void *arg)
{
	(void)arg;
	return a & 1;
}

/* A resized pool gets exactly the overlap's bits in use; a reset pool is
 * empty again. */
static void test_alloc_copy(void)
{
	struct alloc_pool *src = alloc_pool_create(100, 299), *dst = alloc_pool_create(150, 450);
	uint32_t a, cursor = 0;

	CU_ASSERT_FATAL(src != NULL && dst != NULL);
	for (a = 100; a <= 299; a += 3)
		alloc_claim(src, a);
	CU_ASSERT_EQUAL(alloc_claim(dst, 400), 0);
	CU_ASSERT_EQUAL(alloc_copy_in_use(dst, src, NULL, NULL, NULL), (297 - 150) / 3 + 1);
	for (a = 150; a <= 450; a++)
		CU_ASSERT_EQUAL(alloc_in_use(dst, a), (a <= 299 && a % 3 == 1) || a == 400);
	alloc_pool_reset(dst);
	CU_ASSERT_EQUAL(alloc_used(dst), 0);
	CU_ASSERT_EQUAL(alloc_copy_in_use(dst, src, skip_odd, NULL, NULL), 25);
	for (a = 150; a <= 450; a++)
		CU_ASSERT_EQUAL(alloc_in_use(dst, a), a <= 299 && a % 3 == 1 && !(a & 1));
	/* the summaries are right again: every free address can be taken */
	for (a = 0; a < 301 - 25; a++)
		CU_ASSERT_EQUAL(alloc_take(dst, &cursor, &(uint32_t){ 0 }), 0);
	CU_ASSERT_EQUAL(alloc_take(dst, &cursor, &a), -ENOSPC);
	alloc_pool_free(dst);
	/* a pool that starts below the old one, and one that ends inside it */
	dst = alloc_pool_create(30, 130);
	CU_ASSERT_FATAL(dst != NULL);
	CU_ASSERT_EQUAL(alloc_copy_in_use(dst, src, NULL, NULL, NULL), (130 - 100) / 3 + 1);
	for (a = 30; a <= 130; a++)
		CU_ASSERT_EQUAL(alloc_in_use(dst, a), a >= 100 && a % 3 == 1);
	CU_ASSERT_EQUAL(alloc_used(dst), 11);
	alloc_pool_free(dst);
	alloc_pool_free(src);
}

static void test_alloc_nearly_full(void)
{
	const uint32_t n = 1u << 20, first = 0x0a000000;
	struct alloc_pool *p = alloc_pool_create(first, first + n - 1);
	uint8_t *freed = calloc(n, 1);
	uint64_t rs = 42;
	uint32_t cursor = 0, a, k = 0;
	unsigned wrong = 0;
	double t0, t1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++)
		if (alloc_take(p, &cursor, &a) != 0)
			wrong++;
	t1 = now_ns();
	printf("\n    alloc_take (one thread, filling 2^20) %.1f ns/op\n", (t1 - t0) / n);
	CU_ASSERT_EQUAL(wrong, 0);

	/* Free 1% scattered: every one of them is found again, then none. */
	while (k < n / 100) {
		uint32_t i = (uint32_t)(rng_next(&rs) % n);

		if (freed[i])
			continue;
		freed[i] = 1;
		alloc_release(p, first + i);
		k++;
	}
	CU_ASSERT_EQUAL(alloc_used(p), n - k);
	t0 = now_ns();
	for (uint32_t i = 0; i < k; i++) {
		if (alloc_take(p, &cursor, &a) != 0 || !freed[a - first])
			wrong++;
		else
			freed[a - first] = 0;
	}
	t1 = now_ns();
	printf("    alloc_take (99%% full pool) %.1f ns/op\n", (t1 - t0) / k);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), -ENOSPC);

	/* The last free address, far from any cursor. */
	alloc_release(p, first + n - 3);
	cursor = 5;
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, first + n - 3);
	alloc_release(p, first + 3);
	cursor = n - 1;
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, first + 3);

	t0 = now_ns();
	for (int i = 0; i < 1000; i++)
		if (alloc_take(p, &cursor, &a) != -ENOSPC)
			wrong++;
	t1 = now_ns();
	printf("    alloc_take (full 2^20 pool, -ENOSPC) %.1f ns/op\n", (t1 - t0) / 1000);
	CU_ASSERT_EQUAL(wrong, 0);
	free(freed);
	alloc_pool_free(p);
}

/* The window the summary protocol exists for, made deterministic: a bit
 * is released between the moment a take fills a word and the moment it
 * clears that word's summary bit.  The freed address must stay findable. */
extern void (*alloc_test_hook_full)(struct alloc_pool *p, uint32_t addr);
static struct alloc_pool *hook_pool;
static uint32_t hook_word_addr, hook_release;
static int hook_fired;

static void hook_release_in_window(struct alloc_pool *p, uint32_t word_addr)
{
	if (p == hook_pool && word_addr == hook_word_addr && !hook_fired) {
		hook_fired = 1;
		alloc_release(p, hook_release);
	}
}

static void test_alloc_summary_race(void)
{
	const uint32_t first = 0x0a000000, n = 64 * 200;
	struct alloc_pool *p = alloc_pool_create(first, first + n - 1);
	uint32_t cursor = 0, a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (uint32_t i = 0; i < n; i++)
		if (i != 100 * 64 + 7)
			CU_ASSERT_EQUAL(alloc_claim(p, first + i), 0);
	hook_pool = p;
	hook_word_addr = first + 100 * 64;
	hook_release = first + 100 * 64 + 5;
	alloc_test_hook_full = hook_release_in_window;
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, first + 100 * 64 + 7);
	CU_ASSERT_EQUAL(hook_fired, 1);
	alloc_test_hook_full = NULL;
	/* From a cursor in another word: only the summary can lead there. */
	cursor = 3;
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), 0);
	CU_ASSERT_EQUAL(a, first + 100 * 64 + 5);
	CU_ASSERT_EQUAL(alloc_take(p, &cursor, &a), -ENOSPC);
	CU_ASSERT_EQUAL(alloc_used(p), n);
	alloc_pool_free(p);
}

/* Concurrency: threads take and release on one pool; an owner table set
 * with CAS proves no address is ever held by two threads at once. */
struct hammer {
	struct alloc_pool *p;
	_Atomic uint32_t *owner;      /* by offset; 0 = nobody */
	uint32_t first;
	uint32_t hold_max;
	double end_ns;
	_Atomic unsigned dup;
	_Atomic unsigned bad_release;
};

struct hammer_thread {
	struct hammer *h;
	uint32_t id;
	uint32_t *held;
	uint32_t nheld;
	unsigned long ops;
	unsigned long enospc;
	pthread_t tid;
};

static void *hammer_run(void *arg)
{
	struct hammer_thread *ht = arg;
	struct hammer *h = ht->h;
	uint32_t cursor = ht->id * 7919u, a;
	uint64_t rs = ht->id + 1;

	while (now_ns() < h->end_ns) {
		for (int i = 0; i < 256; i++) {
			uint64_t r = rng_next(&rs);

			if (ht->nheld < h->hold_max && (r & 3) != 0) {
				uint32_t zero = 0;

				if (alloc_take(h->p, &cursor, &a) != 0) {
					ht->enospc++;
					continue;
				}
				if (!atomic_compare_exchange_strong(&h->owner[a - h->first], &zero, ht->id))
					atomic_fetch_add(&h->dup, 1);
				ht->held[ht->nheld++] = a;
			} else if (ht->nheld > 0) {
				uint32_t j = (uint32_t)((r >> 8) % ht->nheld), want = ht->id;

				a = ht->held[j];
				ht->held[j] = ht->held[--ht->nheld];
				/* Clear the owner before the bit: once the bit is
				 * clear another thread may take it at once. */
				if (!atomic_compare_exchange_strong(&h->owner[a - h->first], &want, 0))
					atomic_fetch_add(&h->bad_release, 1);
				alloc_release(h->p, a);
			}
			ht->ops++;
		}
	}
	return NULL;
}

static void hammer_pool(uint32_t size, uint32_t hold_max, double secs)
{
	enum { T = 4 };
	struct hammer h = { .first = 0xc6130000, .hold_max = hold_max };
	struct hammer_thread th[T];
	uint32_t held = 0, cursor = 0, a;
	unsigned long ops = 0, enospc = 0;
	unsigned wrong = 0;

	h.p = alloc_pool_create(h.first, h.first + size - 1);
	h.owner = calloc(size, sizeof(*h.owner));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h.p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h.owner);
	h.end_ns = now_ns() + secs * 1e9;
	for (int i = 0; i < T; i++) {
		th[i] = (struct hammer_thread){ .h = &h, .id = i + 1 };
		th[i].held = malloc(hold_max * sizeof(uint32_t));
		CU_ASSERT_PTR_NOT_NULL_FATAL(th[i].held);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i].tid, NULL, hammer_run, &th[i]), 0);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i].tid, NULL);
		held += th[i].nheld;
		ops += th[i].ops;
		enospc += th[i].enospc;
		/* What each thread holds is in use and owned by it. */
		for (uint32_t j = 0; j < th[i].nheld; j++)
			if (!alloc_in_use(h.p, th[i].held[j]) ||
			    atomic_load(&h.owner[th[i].held[j] - h.first]) != th[i].id)
				wrong++;
	}
	printf("\n    %d threads, pool %u, hold <= %u: %lu ops (%lu -ENOSPC), "
	       "%u duplicates, %u bad releases, %u held at end\n",
	       T, size, hold_max, ops, enospc, atomic_load(&h.dup),
	       atomic_load(&h.bad_release), held);
	CU_ASSERT_EQUAL(atomic_load(&h.dup), 0);
	CU_ASSERT_EQUAL(atomic_load(&h.bad_release), 0);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(alloc_used(h.p), held);
	CU_ASSERT(ops > 10000);

	/* After the races the summary still shows every free address: the
	 * rest of the pool can be taken exactly, then -ENOSPC. */
	for (uint32_t i = held; i < size; i++)
		if (alloc_take(h.p, &cursor, &a) != 0 || atomic_load(&h.owner[a - h.first]) != 0)
			wrong++;
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(alloc_take(h.p, &cursor, &a), -ENOSPC);
	CU_ASSERT_EQUAL(alloc_used(h.p), size);
	for (int i = 0; i < T; i++)
		free(th[i].held);
	free(h.owner);
	alloc_pool_free(h.p);
}

static void test_alloc_concurrent_roomy(void)
{
	hammer_pool(1u << 16, 4096, 0.6);
}

static void test_alloc_concurrent_full(void)
{
	/* Threads want up to 4 * 100 of 300 addresses: the pool keeps going
	 * full, words flip between full and not full all the time. */
	hammer_pool(300, 100, 0.6);
}

/* Owner references beside the bits: the claimer writes, anyone reads; the
 * in-use walk in address order skips free words and the padding. */
static void test_alloc_refs(void)
{
	struct alloc_pool *p = alloc_pool_create(1000, 1000 + 199);   /* 200: padded */
	uint32_t c = 0, a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(alloc_next_used(p, 0), -1);
	CU_ASSERT_EQUAL(alloc_claim(p, 1005), 0);
	alloc_set_ref(p, 1005, 0x41);
	CU_ASSERT_EQUAL(alloc_claim(p, 1199), 0);
	alloc_set_ref(p, 1199, 0x82);
	alloc_set_ref(p, 999, 7);                         /* outside: ignored */
	CU_ASSERT_EQUAL(alloc_ref(p, 999), 0);
	CU_ASSERT_EQUAL(alloc_ref(p, 1005), 0x41);
	CU_ASSERT_EQUAL(alloc_ref(p, 1199), 0x82);
	CU_ASSERT_EQUAL(alloc_next_used(p, 0), 1005);
	CU_ASSERT_EQUAL(alloc_next_used(p, 1005), 1005);
	CU_ASSERT_EQUAL(alloc_next_used(p, 1006), 1199);  /* 3 free words stepped */
	CU_ASSERT_EQUAL(alloc_next_used(p, 1200), -1);
	alloc_release(p, 1199);
	CU_ASSERT_EQUAL(alloc_next_used(p, 1006), -1);    /* not the padding bits */
	CU_ASSERT_EQUAL(alloc_ref(p, 1199), 0x82);        /* left as it was */
	CU_ASSERT_EQUAL(alloc_take(p, &c, &a), 0);
	CU_ASSERT_EQUAL(alloc_next_used(p, 0), a);
	alloc_pool_free(p);
}

struct ref_thread {
	struct alloc_pool *p;
	uint32_t id, got;
	pthread_t tid;
};

static void *ref_run(void *arg)
{
	struct ref_thread *t = arg;
	uint32_t c = t->id * 500, a;

	while (alloc_take(t->p, &c, &a) == 0) {
		alloc_set_ref(t->p, a, t->id + 1);
		t->got++;
	}
	return NULL;
}

/* Two workers take the whole pool at once: every address ends owned by
 * the one that took its bit, and each one's count matches. */
static void test_alloc_refs_two_workers(void)
{
	struct alloc_pool *p = alloc_pool_create(0, 999);
	struct ref_thread t[2] = { { .p = p, .id = 0 }, { .p = p, .id = 1 } };
	unsigned n[3] = { 0 }, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i].tid, NULL, ref_run, &t[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i].tid, NULL);
	for (i = 0; i < 1000; i++) {
		uint32_t r = alloc_ref(p, i);

		CU_ASSERT(r == 1 || r == 2);
		n[r <= 2 ? r : 0]++;
	}
	CU_ASSERT_EQUAL(n[1], t[0].got);
	CU_ASSERT_EQUAL(n[2], t[1].got);
	CU_ASSERT_EQUAL(t[0].got + t[1].got, 1000);
	alloc_pool_free(p);
}

/* The index of addresses outside the pools: set, clear only by the ref
 * that holds it, ordered walk above an address, overflow. */
static void test_addr_owner(void)
{
	struct addr_owner *x = addr_owner_create(8);
	uint32_t addrs[8], refs[8], i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(addr_owner_get(x, 50), 0);
	CU_ASSERT_EQUAL(addr_owner_set(x, 50, 0x41), 0);
	CU_ASSERT_EQUAL(addr_owner_set(x, 20, 0x42), 0);
	CU_ASSERT_EQUAL(addr_owner_set(x, 90, 0x43), 0);
	CU_ASSERT_EQUAL(addr_owner_get(x, 50), 0x41);
	/* a lease that moved: its new holder's ref stays when the old lets go */
	CU_ASSERT_EQUAL(addr_owner_set(x, 50, 0x82), 0);
	addr_owner_clear(x, 50, 0x41);
	CU_ASSERT_EQUAL(addr_owner_get(x, 50), 0x82);
	addr_owner_clear(x, 20, 0x42);
	CU_ASSERT_EQUAL(addr_owner_get(x, 20), 0);
	/* a claim takes a free address only */
	CU_ASSERT_EQUAL(addr_owner_claim(x, 20, 0x45), 0);
	CU_ASSERT_EQUAL(addr_owner_claim(x, 20, 0x45), 0);      /* its own again */
	CU_ASSERT_EQUAL(addr_owner_claim(x, 20, 0x46), -EBUSY);
	CU_ASSERT_EQUAL(addr_owner_get(x, 20), 0x45);
	addr_owner_clear(x, 20, 0x45);
	CU_ASSERT_EQUAL(addr_owner_claim(x, 20, 0x46), 0);
	addr_owner_clear(x, 20, 0x46);
	CU_ASSERT_EQUAL(addr_owner_after(x, 0, addrs, refs, 8), 2);
	CU_ASSERT(addrs[0] == 50 && refs[0] == 0x82 && addrs[1] == 90);
	CU_ASSERT_EQUAL(addr_owner_after(x, 50, addrs, refs, 8), 1);
	CU_ASSERT_EQUAL(addr_owner_after(x, 0, addrs, refs, 1), 1);
	CU_ASSERT_FALSE(addr_owner_overflow(x));
	/* 64 slots, 48 keys: the 49th distinct address is refused, counted */
	for (i = 0; i < 100 && addr_owner_set(x, 1000 + i, 1) == 0; i++)
		;
	CU_ASSERT_EQUAL(i, 48 - 3);
	CU_ASSERT(addr_owner_overflow(x));
	CU_ASSERT_EQUAL(addr_owner_set(x, 90, 0x44), 0);      /* known keys still work */
	CU_ASSERT_EQUAL(addr_owner_after(x, 999, addrs, refs, 8), 8);
	CU_ASSERT_EQUAL(addrs[0], 1000);
	addr_owner_free(x);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("alloc", NULL, NULL);
	CU_add_test(s, "fill", test_alloc_fill);
	CU_add_test(s, "claim release", test_alloc_claim);
	CU_add_test(s, "copy in-use bits, reset", test_alloc_copy);
	CU_add_test(s, "nearly full", test_alloc_nearly_full);
	CU_add_test(s, "summary race window", test_alloc_summary_race);
	CU_add_test(s, "concurrent roomy", test_alloc_concurrent_roomy);
	CU_add_test(s, "concurrent full", test_alloc_concurrent_full);
	CU_add_test(s, "owner references and in-use walk", test_alloc_refs);
	CU_add_test(s, "owner references, two workers", test_alloc_refs_two_workers);
	CU_add_test(s, "owners outside the pools", test_addr_owner);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails != 0;
}
