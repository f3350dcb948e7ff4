/* The DHCPv6 allocator: bitmap pools (up to 2^24 units) and sparse ones
 * (a /64 of addresses, a /32 cut into /64s), addresses and prefixes.
 *
 * Built twice: as the unit test, and with -fsanitize=thread
 * (alloc6_tsan_test, ALLOC6_TSAN defined) running the threaded tests
 * only, where a hand-over of a unit that is not ordered (a holder's
 * plain writes racing the next holder's) fails the run. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "alloc6.h"
#include "lease_test_util.h"

static struct lease_addr6 a6(uint64_t hi, uint64_t lo)
{
	return (struct lease_addr6){ hi, lo };
}

#define NET 0x20010db800000000ULL       /* 2001:db8::/64 */

static struct alloc6_pool *pool(struct lease_addr6 first, struct lease_addr6 last, unsigned len,
				uint32_t max_used)
{
	struct alloc6_params prm = { .first = first, .last = last, .unit_len = (uint8_t)len,
				     .max_used = max_used };

	return alloc6_pool_create(&prm);
}

#ifndef ALLOC6_TSAN

/* first + n units of length len */
static struct lease_addr6 nth(struct lease_addr6 first, uint64_t n, unsigned len)
{
	CU_ASSERT_EQUAL(lease_addr6_add_prefixes(&first, n, len), 0);
	return first;
}

static int cmp6(const void *x, const void *y)
{
	return lease_addr6_cmp(*(const struct lease_addr6 *)x, *(const struct lease_addr6 *)y);
}

/* How many of a[0..n) repeat once sorted. */
static unsigned dups(struct lease_addr6 *a, size_t n)
{
	unsigned d = 0;

	qsort(a, n, sizeof(*a), cmp6);
	for (size_t i = 1; i < n; i++)
		d += lease_addr6_eq(a[i - 1], a[i]);
	return d;
}

static void test_create(void)
{
	struct lease_addr6 f = a6(NET, 0);
	struct alloc6_pool *p;

	errno = 0;
	CU_ASSERT_PTR_NULL(pool(a6(NET, 9), a6(NET, 8), 128, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(pool(f, f, 0, 0));
	CU_ASSERT_PTR_NULL(pool(f, f, 129, 0));
	CU_ASSERT_PTR_NULL(pool(a6(NET | 1, 0), a6(NET | 0xff00, 0), 56, 0));   /* first misaligned */
	CU_ASSERT_PTR_NULL(pool(a6(NET, 0), a6(NET | 0xff01, 0), 56, 0));       /* last misaligned */
	CU_ASSERT_PTR_NULL(pool(f, a6(NET | 1, ~0ULL), 128, 0));                /* a /63: 2^65 */
	CU_ASSERT_PTR_NULL(pool(f, a6(NET, ~0ULL), 128, (1u << 30) + 1));
	CU_ASSERT_EQUAL(errno, EINVAL);

	/* 2^24 units: the last bitmap; one more: sparse */
	p = pool(f, a6(NET, (1u << 24) - 1), 128, 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_FALSE(alloc6_is_sparse(p));
	CU_ASSERT_EQUAL(alloc6_size(p), 1u << 24);
	CU_ASSERT_EQUAL(alloc6_capacity(p), 1u << 24);
	alloc6_pool_free(p);
	p = pool(f, a6(NET, 1u << 24), 128, 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_TRUE(alloc6_is_sparse(p));
	CU_ASSERT_EQUAL(alloc6_size(p), (1u << 24) + 1);
	CU_ASSERT_EQUAL(alloc6_capacity(p), ALLOC6_DEFAULT_MAX_USED);
	alloc6_pool_free(p);
	/* a /64 of addresses saturates; a /32 in /64s; max_used rounds up */
	p = pool(f, a6(NET, ~0ULL), 128, 100000);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(alloc6_size(p), UINT64_MAX);
	CU_ASSERT_EQUAL(alloc6_capacity(p), 131072);
	CU_ASSERT_EQUAL(alloc6_used(p), 0);
	CU_ASSERT_EQUAL(alloc6_slots_written(p), 0);
	alloc6_pool_free(p);
	p = pool(a6(0x20010db800000000ULL, 0), a6(0x20010db8ffffffffULL, 0), 64, 0);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_TRUE(alloc6_is_sparse(p));
	CU_ASSERT_EQUAL(alloc6_size(p), 1ULL << 32);
	alloc6_pool_free(p);
	/* max_used above the size: room for every unit, no more */
	p = pool(f, a6(NET, (1u << 24) + 4), 128, 1u << 30);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(alloc6_capacity(p), (1u << 24) + 5);
	alloc6_pool_free(p);
	alloc6_pool_free(NULL);
}

/* A small address pool (a bitmap, not a multiple of 64): every unit once,
 * then -ENOSPC; claim, release, range. */
static void test_bitmap_fill(void)
{
	const unsigned n = 1000;
	struct lease_addr6 f = a6(NET, 0x100), got[1000], a;
	struct alloc6_pool *p = pool(f, a6(NET, 0x100 + n - 1), 128, 0);
	uint64_t cursor = 517;
	unsigned out = 0, fail = 0;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(alloc6_size(p), n);
	for (unsigned i = 0; i < n; i++) {
		if (alloc6_take(p, rng_next(&(uint64_t){ i }), &cursor, &got[i]) != 0)
			fail++;
		else if (!alloc6_contains(p, got[i]) || got[i].hi != NET || got[i].lo < 0x100 ||
			 got[i].lo >= 0x100 + n)
			out++;
	}
	CU_ASSERT_EQUAL(fail, 0);
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(dups(got, n), 0);
	CU_ASSERT_EQUAL(alloc6_used(p), n);
	CU_ASSERT_EQUAL(alloc6_take(p, 1, &cursor, &a), -ENOSPC);

	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 0x105)), -EBUSY);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 0xff)), -ERANGE);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 0x100 + n)), -ERANGE);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET + 1, 0x105)), -ERANGE);
	alloc6_release(p, a6(NET, 0x105));
	CU_ASSERT_FALSE(alloc6_in_use(p, a6(NET, 0x105)));
	CU_ASSERT_EQUAL(alloc6_used(p), n - 1);
	CU_ASSERT_EQUAL(alloc6_take(p, 99, &cursor, &a), 0);
	CU_ASSERT_TRUE(lease_addr6_eq(a, a6(NET, 0x105)));
	alloc6_release(p, a6(NET, 0x200));
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 0x200)), 0);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 0x200)), -EBUSY);
	alloc6_release(p, a6(NET, 0x99));              /* outside: nothing */
	CU_ASSERT_FALSE(alloc6_in_use(p, a6(NET, 0x99)));
	CU_ASSERT_EQUAL(alloc6_used(p), n);
	alloc6_pool_free(p);
}

/* A /48 cut into /56s: 256 prefixes, all aligned and inside. */
static void test_prefix_pool(void)
{
	struct lease_addr6 f = a6(0x20010db800010000ULL, 0), l = a6(0x20010db80001ff00ULL, 0);
	struct lease_addr6 got[256], a;
	struct alloc6_pool *p = pool(f, l, 56, 0);
	uint64_t cursor = 0;
	unsigned bad = 0;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_FALSE(alloc6_is_sparse(p));
	CU_ASSERT_EQUAL(alloc6_size(p), 256);
	for (unsigned i = 0; i < 256; i++) {
		if (alloc6_take(p, i * 7919ULL, &cursor, &got[i]) != 0 ||
		    !lease_addr6_in_prefix(got[i], f, 48) ||
		    !lease_addr6_eq(lease_addr6_mask(got[i], 56), got[i]))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(dups(got, 256), 0);
	CU_ASSERT_TRUE(lease_addr6_eq(got[0], f));
	CU_ASSERT_TRUE(lease_addr6_eq(got[255], l));
	CU_ASSERT_EQUAL(alloc6_take(p, 5, &cursor, &a), -ENOSPC);
	/* 2001:db8:1:500::/56 is the 5th; :501:: is inside it, not a start */
	a = nth(f, 5, 56);
	CU_ASSERT_EQUAL(a.hi, 0x20010db800010500ULL);
	CU_ASSERT_EQUAL(alloc6_claim(p, a), -EBUSY);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(0x20010db800010501ULL, 0)), -ERANGE);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(0x20010db800010500ULL, 1)), -ERANGE);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(0x20010db800020000ULL, 0)), -ERANGE);
	CU_ASSERT_FALSE(alloc6_contains(p, a6(0x20010db800010501ULL, 0)));
	alloc6_release(p, a);
	CU_ASSERT_EQUAL(alloc6_take(p, 5, &cursor, &got[0]), 0);
	CU_ASSERT_TRUE(lease_addr6_eq(got[0], a));
	alloc6_pool_free(p);

	/* Sparse prefixes: a /32 in /64s (2^32 units). */
	f = a6(0x20010db800000000ULL, 0);
	p = pool(f, a6(0x20010db8ffffffffULL, 0), 64, 1000);
	CU_ASSERT_FATAL(p != NULL);
	bad = 0;
	for (unsigned i = 0; i < 1000; i++) {
		if (alloc6_take(p, i, &cursor, &got[i % 256]) != 0 || got[i % 256].lo != 0 ||
		    got[i % 256].hi >> 32 != 0x20010db8)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(alloc6_used(p), 1000);
	CU_ASSERT_EQUAL(alloc6_claim(p, got[3]), -EBUSY);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(0x20010db800000007ULL, 1)), -ERANGE);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(0x20010db900000000ULL, 0)), -ERANGE);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(0x20010db8ffffffffULL, 0)), 0);   /* the last one */
	alloc6_pool_free(p);
}

/* A /64 of addresses: 50,000 distinct takes, claim, release, re-take. */
static void test_sparse_64(void)
{
	enum { N = 50000 };
	struct lease_addr6 f = a6(NET, 0), *got = malloc(N * sizeof(*got)), a, b;
	struct alloc6_pool *p = pool(f, a6(NET, ~0ULL), 128, 0);
	uint64_t cursor = 0, rs = 7;
	unsigned fail = 0, out = 0;

	CU_ASSERT_FATAL(p != NULL && got != NULL);
	for (unsigned i = 0; i < N; i++) {
		if (alloc6_take(p, rng_next(&rs), &cursor, &got[i]) != 0)
			fail++;
		else if (got[i].hi != NET)
			out++;
	}
	CU_ASSERT_EQUAL(fail, 0);
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(alloc6_used(p), N);
	CU_ASSERT_EQUAL(alloc6_slots_written(p), N);
	a = got[123];
	CU_ASSERT_TRUE(alloc6_in_use(p, a));
	CU_ASSERT_EQUAL(alloc6_claim(p, a), -EBUSY);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET + 1, 0)), -ERANGE);
	alloc6_release(p, a);
	CU_ASSERT_FALSE(alloc6_in_use(p, a));
	CU_ASSERT_EQUAL(alloc6_claim(p, a), 0);         /* its key is still there */
	CU_ASSERT_EQUAL(alloc6_slots_written(p), N);
	/* a unit nobody took: claimed once, then busy */
	b = a6(NET, 0x1234);
	CU_ASSERT_FALSE(alloc6_in_use(p, b));
	CU_ASSERT_EQUAL(alloc6_claim(p, b), 0);
	CU_ASSERT_EQUAL(alloc6_claim(p, b), -EBUSY);
	CU_ASSERT_EQUAL(alloc6_used(p), N + 1);
	CU_ASSERT_EQUAL(dups(got, N), 0);
	free(got);
	alloc6_pool_free(p);
}

/* The same hint finds the same unit again once it is free, in both kinds;
 * another client's hint elsewhere. */
static void test_same_hint(void)
{
	struct alloc6_pool *ps[2] = {
		pool(a6(NET, 0), a6(NET, 0xffff), 128, 0),       /* bitmap */
		pool(a6(NET, 0), a6(NET, ~0ULL), 128, 0),        /* sparse */
	};

	for (int k = 0; k < 2; k++) {
		struct alloc6_pool *p = ps[k];
		struct lease_addr6 a, b, c;
		uint64_t cursor = 0, hint = 0x5eed5eedULL;

		CU_ASSERT_FATAL(p != NULL);
		for (unsigned i = 0; i < 100; i++)          /* some other clients */
			CU_ASSERT_EQUAL(alloc6_take(p, i, &cursor, &a), 0);
		CU_ASSERT_EQUAL(alloc6_take(p, hint, &cursor, &a), 0);
		CU_ASSERT_EQUAL(alloc6_take(p, hint + 1, &cursor, &c), 0);
		CU_ASSERT_FALSE(lease_addr6_eq(a, c));
		alloc6_release(p, a);
		CU_ASSERT_EQUAL(alloc6_take(p, hint, &cursor, &b), 0);
		CU_ASSERT_TRUE(lease_addr6_eq(a, b));
		/* held: the same hint gets some other unit */
		CU_ASSERT_EQUAL(alloc6_take(p, hint, &cursor, &c), 0);
		CU_ASSERT_FALSE(lease_addr6_eq(a, c));
		alloc6_pool_free(p);
	}
}

/* A sparse set sized for 100 (capacity 128): full, then -ENOSPC for new
 * units; released keys are re-used; compaction into a fresh pool. */
static void test_sparse_full(void)
{
	struct lease_addr6 f = a6(NET, 0), got[128], a, b;
	struct alloc6_pool *p = pool(f, a6(NET, ~0ULL), 128, 100), *q;
	uint64_t cursor = 0;
	unsigned fail = 0, found = 0;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(alloc6_capacity(p), 128);
	for (unsigned i = 0; i < 128; i++)
		fail += alloc6_take(p, i, &cursor, &got[i]) != 0;
	CU_ASSERT_EQUAL(fail, 0);
	CU_ASSERT_EQUAL(alloc6_take(p, 1000, &cursor, &a), -ENOSPC);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 42)), -ENOSPC);
	CU_ASSERT_EQUAL(alloc6_claim(p, got[7]), -EBUSY);
	CU_ASSERT_EQUAL(alloc6_slots_written(p), 128);

	/* One released: a new client gets that unit (the walk of the set). */
	alloc6_release(p, got[77]);
	CU_ASSERT_EQUAL(alloc6_take(p, 1001, &cursor, &a), 0);
	CU_ASSERT_TRUE(lease_addr6_eq(a, got[77]));
	CU_ASSERT_EQUAL(alloc6_take(p, 1002, &cursor, &a), -ENOSPC);

	/* All released: the set is full of released keys.  Takes still
	 * work (on those units), claims of a new unit do not. */
	for (unsigned i = 0; i < 128; i++)
		alloc6_release(p, got[i]);
	CU_ASSERT_EQUAL(alloc6_used(p), 0);
	CU_ASSERT_EQUAL(alloc6_slots_written(p), 128);
	for (unsigned i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(alloc6_take(p, 5000 + i, &cursor, &a), 0);
		for (unsigned j = 0; j < 128; j++)
			found += lease_addr6_eq(a, got[j]);
	}
	CU_ASSERT_EQUAL(found, 10);
	CU_ASSERT_EQUAL(alloc6_claim(p, a6(NET, 42)), -ENOSPC);
	CU_ASSERT_EQUAL(alloc6_used(p), 10);

	/* Compaction: a fresh pool holds the 10 in use, room for new ones. */
	q = pool(f, a6(NET, ~0ULL), 128, 100);
	CU_ASSERT_FATAL(q != NULL);
	CU_ASSERT_EQUAL(alloc6_copy_in_use(q, p, NULL, NULL), 10);
	CU_ASSERT_EQUAL(alloc6_used(q), 10);
	CU_ASSERT_EQUAL(alloc6_slots_written(q), 10);
	CU_ASSERT_EQUAL(alloc6_claim(q, a6(NET, 42)), 0);
	CU_ASSERT_EQUAL(alloc6_take(q, 5000, &cursor, &b), 0);
	CU_ASSERT_FALSE(alloc6_in_use(p, b));           /* not one of the 10 */
	alloc6_pool_free(q);
	alloc6_pool_free(p);
}

/* Owner references beside each unit, both kinds; the last unit of a /64
 * (offset 2^64 - 1, the set's spare slot) like any other. */
static void test_refs(void)
{
	struct alloc6_pool *ps[2] = {
		pool(a6(NET, 0), a6(NET, 0xffff), 128, 0),
		pool(a6(NET, 0), a6(NET, ~0ULL), 128, 0),
	};
	struct lease_addr6 top = a6(NET, ~0ULL);

	for (int k = 0; k < 2; k++) {
		struct alloc6_pool *p = ps[k];
		struct lease_addr6 a = a6(NET, 0x42), out = a6(NET + 1, 0);

		CU_ASSERT_FATAL(p != NULL);
		CU_ASSERT_EQUAL(alloc6_ref(p, a), 0);
		CU_ASSERT_EQUAL(alloc6_claim(p, a), 0);
		alloc6_set_ref(p, a, 0x81);
		CU_ASSERT_EQUAL(alloc6_ref(p, a), 0x81);
		alloc6_release(p, a);
		CU_ASSERT_EQUAL(alloc6_ref(p, a), 0x81);   /* left as it was */
		alloc6_set_ref(p, out, 7);                 /* outside: ignored */
		CU_ASSERT_EQUAL(alloc6_ref(p, out), 0);
		alloc6_pool_free(p);
	}
	/* the spare: claim, ref, walk, release */
	ps[1] = pool(a6(NET, 0), top, 128, 0);
	CU_ASSERT_FATAL(ps[1] != NULL);
	CU_ASSERT_EQUAL(alloc6_claim(ps[1], top), 0);
	CU_ASSERT_EQUAL(alloc6_claim(ps[1], top), -EBUSY);
	CU_ASSERT_TRUE(alloc6_in_use(ps[1], top));
	alloc6_set_ref(ps[1], top, 0x99);
	CU_ASSERT_EQUAL(alloc6_ref(ps[1], top), 0x99);
	CU_ASSERT_EQUAL(alloc6_used(ps[1]), 1);
	CU_ASSERT_EQUAL(alloc6_slots_written(ps[1]), 0);
	alloc6_release(ps[1], top);
	CU_ASSERT_FALSE(alloc6_in_use(ps[1], top));
	CU_ASSERT_EQUAL(alloc6_used(ps[1]), 0);
	alloc6_pool_free(ps[1]);
}

/* ---- foreach and copy ---- */

struct seen {
	struct lease_addr6 a[4096];
	uint32_t ref[4096];
	unsigned n;
	unsigned stop_at;               /* stop with 77 after that many; 0 = never */
};

static int collect(struct lease_addr6 a, uint32_t ref, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4096) {
		s->a[s->n] = a;
		s->ref[s->n] = ref;
	}
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 77 : 0;
}

/* Exactly the units in use, each with its reference, in both kinds. */
static void test_foreach(void)
{
	struct alloc6_pool *ps[2] = {
		pool(a6(NET, 0), a6(NET, 0xffff), 128, 0),
		pool(a6(NET, 0), a6(NET, ~0ULL), 128, 0),
	};
	static struct seen s;
	struct lease_addr6 held[600];

	for (int k = 0; k < 2; k++) {
		struct alloc6_pool *p = ps[k];
		uint64_t cursor = 0;
		unsigned n = 0, wrong = 0;

		CU_ASSERT_FATAL(p != NULL);
		/* 1000 taken, 400 of them released again */
		for (unsigned i = 0; i < 1000; i++) {
			struct lease_addr6 a;

			CU_ASSERT_EQUAL(alloc6_take(p, i * 31ULL, &cursor, &a), 0);
			alloc6_set_ref(p, a, (uint32_t)(a.lo & 0xffff) + 1);
			if (i % 5 < 2)
				alloc6_release(p, a);
			else
				held[n++] = a;
		}
		CU_ASSERT_EQUAL(n, 600);
		memset(&s, 0, sizeof(s));
		CU_ASSERT_EQUAL(alloc6_foreach_used(p, collect, &s), 0);
		CU_ASSERT_EQUAL_FATAL(s.n, 600);
		for (unsigned i = 0; i < s.n; i++)
			wrong += !alloc6_in_use(p, s.a[i]) || s.ref[i] != (s.a[i].lo & 0xffff) + 1;
		CU_ASSERT_EQUAL(wrong, 0);
		qsort(held, n, sizeof(held[0]), cmp6);
		qsort(s.a, s.n, sizeof(s.a[0]), cmp6);
		CU_ASSERT_EQUAL(memcmp(held, s.a, n * sizeof(held[0])), 0);
		/* the callback's non-zero stops the walk and comes back */
		memset(&s, 0, sizeof(s));
		s.stop_at = 10;
		CU_ASSERT_EQUAL(alloc6_foreach_used(p, collect, &s), 77);
		CU_ASSERT_EQUAL(s.n, 10);
		alloc6_pool_free(p);
	}
}

static bool skip_odd(struct lease_addr6 a, void *arg)
{
	(void)arg;
	return a.lo & 1;
}

/* Reconfiguration: a moved range, a bitmap grown into a sparse pool,
 * a prefix pool re-cut both ways. */
static void test_copy(void)
{
	struct alloc6_pool *src = pool(a6(NET, 100), a6(NET, 299), 128, 0);
	struct alloc6_pool *dst = pool(a6(NET, 150), a6(NET, 450), 128, 0), *big;
	uint64_t a, cursor = 0;
	struct lease_addr6 x;

	CU_ASSERT_FATAL(src != NULL && dst != NULL);
	for (a = 100; a <= 299; a += 3) {
		CU_ASSERT_EQUAL(alloc6_claim(src, a6(NET, a)), 0);
		alloc6_set_ref(src, a6(NET, a), (uint32_t)a);
	}
	CU_ASSERT_EQUAL(alloc6_claim(dst, a6(NET, 400)), 0);
	CU_ASSERT_EQUAL(alloc6_claim(dst, a6(NET, 151)), 0);   /* already held in dst */
	CU_ASSERT_EQUAL(alloc6_copy_in_use(dst, src, NULL, NULL), (298 - 151) / 3);
	for (a = 150; a <= 450; a++)
		CU_ASSERT_EQUAL(alloc6_in_use(dst, a6(NET, a)), (a <= 299 && a % 3 == 1) || a == 400);
	CU_ASSERT_EQUAL(alloc6_ref(dst, a6(NET, 298)), 298);
	alloc6_pool_free(dst);

	/* into a sparse pool, odd ones skipped */
	big = pool(a6(NET, 0), a6(NET, ~0ULL), 128, 0);
	CU_ASSERT_FATAL(big != NULL);
	CU_ASSERT_EQUAL(alloc6_copy_in_use(big, src, skip_odd, NULL), 34);
	CU_ASSERT_EQUAL(alloc6_used(big), 34);
	CU_ASSERT_TRUE(alloc6_in_use(big, a6(NET, 100)));
	CU_ASSERT_FALSE(alloc6_in_use(big, a6(NET, 103)));
	CU_ASSERT_EQUAL(alloc6_ref(big, a6(NET, 106)), 106);
	alloc6_pool_free(big);
	alloc6_pool_free(src);

	/* /48 in /56s -> the same /48 in /60s and in /52s */
	struct lease_addr6 f = a6(0x20010db800010000ULL, 0);
	struct alloc6_pool *p56 = pool(f, a6(0x20010db80001ff00ULL, 0), 56, 0);
	struct alloc6_pool *p60 = pool(f, a6(0x20010db80001fff0ULL, 0), 60, 0);
	struct alloc6_pool *p52 = pool(f, a6(0x20010db80001f000ULL, 0), 52, 0);

	CU_ASSERT_FATAL(p56 != NULL && p60 != NULL && p52 != NULL);
	CU_ASSERT_EQUAL(alloc6_claim(p56, nth(f, 3, 56)), 0);
	CU_ASSERT_EQUAL(alloc6_claim(p56, nth(f, 255, 56)), 0);
	CU_ASSERT_EQUAL(alloc6_copy_in_use(p60, p56, NULL, NULL), 32);
	for (a = 0; a < 4096; a++)
		CU_ASSERT_EQUAL(alloc6_in_use(p60, nth(f, a, 60)), a / 16 == 3 || a / 16 == 255);
	CU_ASSERT_EQUAL(alloc6_copy_in_use(p52, p56, NULL, NULL), 2);
	for (a = 0; a < 16; a++)
		CU_ASSERT_EQUAL(alloc6_in_use(p52, nth(f, a, 52)), a == 0 || a == 15);
	/* back to /60s: each /52 in use keeps its 256 out; the rest can
	 * all be taken */
	alloc6_pool_free(p60);
	p60 = pool(f, a6(0x20010db80001fff0ULL, 0), 60, 0);
	CU_ASSERT_FATAL(p60 != NULL);
	CU_ASSERT_EQUAL(alloc6_copy_in_use(p60, p52, NULL, NULL), 512);
	for (a = 0; a < 4096 - 512; a++)
		CU_ASSERT_EQUAL(alloc6_take(p60, a, &cursor, &x), 0);
	CU_ASSERT_EQUAL(alloc6_take(p60, 1, &cursor, &x), -ENOSPC);
	alloc6_pool_free(p60);
	alloc6_pool_free(p56);
	alloc6_pool_free(p52);
}

#endif /* !ALLOC6_TSAN */

/* ---- threads ----
 *
 * Four threads take, claim and release on one pool.  Each records what it
 * holds in a shared owner array with an atomic exchange and checks the
 * value it replaced: a unit handed to two threads at once shows up as a
 * non-zero previous owner.  Each holder also writes the unit's plain
 * `payload` byte, which the next holder reads: under ThreadSanitizer that
 * is a data race unless release -> take orders the hand-over.
 *
 * A holder also checks that its unit is in use, right after getting it and
 * before letting go: a key lost in the set (two writers on one slot) shows
 * there even when nobody else got the unit yet.
 *
 * The hints come from a small, moving window shared by all threads, so
 * they keep racing for the same candidates, and in a sparse pool for the
 * same new keys (the insert race of alloc6.c); claims aim at a small range
 * too.  Sparse pools are a little over 2^24 units so an array can be
 * indexed by offset.  A run is several rounds, each on a fresh pool, so
 * a small set is filled with new keys again and again. */
struct hammer {
	struct alloc6_pool *p;
	_Atomic uint8_t *owner;         /* by offset; 0 = nobody */
	uint8_t *payload;               /* by offset; the holder's id */
	uint64_t n;                     /* units */
	unsigned hold_max;
	double end_ns;
	_Atomic uint64_t epoch;         /* the hints' window moves with it */
	_Atomic unsigned dup, bad_release, not_in_use;
};

struct hammer_thread {
	struct hammer *h;
	uint8_t id;
	struct lease_addr6 *held;
	unsigned nheld;
	unsigned long takes, claims, enospc;
	unsigned long seen_ids;         /* keeps the payload reads */
	pthread_t tid;
};

static uint64_t off_of(struct lease_addr6 a)
{
	return a.lo;                    /* pools start at NET::0 */
}

static void hold(struct hammer_thread *t, struct lease_addr6 a)
{
	struct hammer *h = t->h;
	uint64_t o = off_of(a);

	if (!alloc6_in_use(h->p, a))
		atomic_fetch_add(&h->not_in_use, 1);
	if (o >= h->n) {
		atomic_fetch_add(&h->dup, 1);
		return;
	}
	/* Plain, and before the owner exchange (which would order the two
	 * holders by itself): only the allocator's hand-over, release then
	 * take, makes the previous holder's write happen before this. */
	t->seen_ids += h->payload[o];
	h->payload[o] = t->id;
	if (atomic_exchange(&h->owner[o], t->id) != 0) {
		atomic_fetch_add(&h->dup, 1);
		return;
	}
	t->held[t->nheld++] = a;
}

#define HAMMER_MIN_OPS 2600     /* per thread and round: 4 threads x 2600 > 10000 */

static void *hammer_run(void *arg)
{
	struct hammer_thread *t = arg;
	struct hammer *h = t->h;
	uint64_t cursor = t->id * 7919u, rs = t->id;
	struct lease_addr6 a;
	unsigned long ops = 0, t0 = t->takes + t->claims;

	/* the round's time, and at least HAMMER_MIN_OPS takes and claims
	 * of this thread in it, whatever the machine's load (a count, not a
	 * rate: a loaded machine only makes the round longer, up to a
	 * minute more) */
	while (now_ns() < h->end_ns ||
	       (t->takes + t->claims - t0 < HAMMER_MIN_OPS && now_ns() < h->end_ns + 60e9)) {
		uint64_t r = rng_next(&rs), ep;

		if (t->id == 1 && ++ops % 512 == 0)
			atomic_fetch_add(&h->epoch, 1);
		ep = atomic_load_explicit(&h->epoch, memory_order_relaxed);
		if (t->nheld < h->hold_max && (r & 3) != 0) {
			int rc;

			if (r & 4) {
				t->takes++;
				rc = alloc6_take(h->p, ep * 64 + (r >> 8) % 64, &cursor, &a);
			} else {
				t->claims++;
				a = a6(NET, (r >> 8) % (h->n < 512 ? h->n : 512));
				rc = alloc6_claim(h->p, a);
			}
			if (rc == 0)
				hold(t, a);
			t->enospc += rc == -ENOSPC;
		} else if (t->nheld > 0) {
			unsigned j = (unsigned)((r >> 8) % t->nheld);

			a = t->held[j];
			t->held[j] = t->held[--t->nheld];
			/* the owner goes before the unit: once released, another
			 * thread may hold it at once */
			if (atomic_exchange(&h->owner[off_of(a)], 0) != t->id)
				atomic_fetch_add(&h->bad_release, 1);
			if (!alloc6_in_use(h->p, a))
				atomic_fetch_add(&h->not_in_use, 1);
			alloc6_release(h->p, a);
		}
	}
	return NULL;
}

static int count_cb(struct lease_addr6 a, uint32_t ref, void *arg)
{
	(void)a;
	(void)ref;
	++*(unsigned *)arg;
	return 0;
}

/* One round on a fresh pool: threads run, then every unit they hold is
 * checked and let go.  Adds to the run's totals. */
static void hammer_round(struct hammer *h, struct hammer_thread *th, int T, uint32_t max_used,
			 double secs, unsigned *held, unsigned *wrong)
{
	unsigned mine = 0, walked = 0;

	h->p = pool(a6(NET, 0), a6(NET, h->n - 1), 128, max_used);
	CU_ASSERT_FATAL(h->p != NULL);
	h->end_ns = now_ns() + secs * 1e9;
	for (int i = 0; i < T; i++)
		CU_ASSERT_FATAL(pthread_create(&th[i].tid, NULL, hammer_run, &th[i]) == 0);
	for (int i = 0; i < T; i++)
		pthread_join(th[i].tid, NULL);
	for (int i = 0; i < T; i++) {
		*held += th[i].nheld;
		for (unsigned j = 0; j < th[i].nheld; j++)
			*wrong += !alloc6_in_use(h->p, th[i].held[j]) ||
				  atomic_load(&h->owner[off_of(th[i].held[j])]) != th[i].id;
		mine += th[i].nheld;
	}
	alloc6_foreach_used(h->p, count_cb, &walked);
	CU_ASSERT_EQUAL(alloc6_used(h->p), mine);
	CU_ASSERT_EQUAL(walked, mine);
	for (int i = 0; i < T; i++) {
		for (unsigned j = 0; j < th[i].nheld; j++)
			atomic_store(&h->owner[off_of(th[i].held[j])], 0);
		th[i].nheld = 0;
	}
}

static void hammer_pool(uint64_t n, uint32_t max_used, unsigned hold_max, double secs,
			unsigned rounds)
{
	enum { T = 4 };
	struct hammer h = { .n = n, .hold_max = hold_max };
	struct hammer_thread th[T];
	unsigned long takes = 0, claims = 0, enospc = 0;
	unsigned held = 0, wrong = 0, keys = 0;

	h.owner = calloc(n, sizeof(*h.owner));
	h.payload = calloc(n, 1);
	CU_ASSERT_FATAL(h.owner != NULL && h.payload != NULL);
	for (int i = 0; i < T; i++) {
		th[i] = (struct hammer_thread){ .h = &h, .id = (uint8_t)(i + 1) };
		th[i].held = malloc(hold_max * sizeof(*th[i].held));
		CU_ASSERT_FATAL(th[i].held != NULL);
	}
	for (unsigned r = 0; r < rounds; r++) {
		hammer_round(&h, th, T, max_used, secs / rounds, &held, &wrong);
		keys += (unsigned)alloc6_slots_written(h.p);
		if (r + 1 < rounds)
			alloc6_pool_free(h.p);
	}
	for (int i = 0; i < T; i++) {
		takes += th[i].takes;
		claims += th[i].claims;
		enospc += th[i].enospc;
	}
	printf("\n    %s pool of %llu (capacity %llu), %d threads, %u rounds: %lu takes, "
	       "%lu claims (%lu -ENOSPC), %u keys written, %u duplicates, %u bad releases, "
	       "%u not in use, %u held at ends of rounds",
	       alloc6_is_sparse(h.p) ? "sparse" : "bitmap", (unsigned long long)n,
	       (unsigned long long)alloc6_capacity(h.p), T, rounds, takes, claims, enospc, keys,
	       atomic_load(&h.dup), atomic_load(&h.bad_release), atomic_load(&h.not_in_use), held);
	CU_ASSERT_EQUAL(atomic_load(&h.dup), 0);
	CU_ASSERT_EQUAL(atomic_load(&h.bad_release), 0);
	CU_ASSERT_EQUAL(atomic_load(&h.not_in_use), 0);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(takes + claims > 10000);
	for (int i = 0; i < T; i++)
		free(th[i].held);
	free(h.payload);
	free(h.owner);
	alloc6_pool_free(h.p);
}

static void test_threads_bitmap(void)
{
	/* 4 * 100 wanted of 300: the pool keeps going full */
	hammer_pool(300, 0, 100, 0.5, 5);
}

static void test_threads_sparse(void)
{
	/* room for every key: new keys inserted by several threads at once */
	hammer_pool((1u << 24) + 64, 1u << 20, 200, 0.5, 2);
	/* a small set filled afresh 200 times: new keys crowd one table */
	hammer_pool((1u << 24) + 64, 2048, 200, 0.5, 200);
}

static void test_threads_sparse_saturated(void)
{
	/* capacity 128, 4 * 60 wanted: the set fills with keys, then takes
	 * live on released ones (the walk) while claims of new units fail */
	hammer_pool((1u << 24) + 64, 100, 60, 0.5, 5);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("alloc6", NULL, NULL);
#ifndef ALLOC6_TSAN
	CU_add_test(s, "create, kinds, sizes", test_create);
	CU_add_test(s, "bitmap fill, claim, release, range", test_bitmap_fill);
	CU_add_test(s, "prefix pools", test_prefix_pool);
	CU_add_test(s, "a /64 of addresses", test_sparse_64);
	CU_add_test(s, "same hint, same unit", test_same_hint);
	CU_add_test(s, "sparse set full, re-use, compaction", test_sparse_full);
	CU_add_test(s, "owner references", test_refs);
	CU_add_test(s, "foreach", test_foreach);
	CU_add_test(s, "copy in use", test_copy);
#endif
	CU_add_test(s, "threads, bitmap", test_threads_bitmap);
	CU_add_test(s, "threads, sparse", test_threads_sparse);
	CU_add_test(s, "threads, sparse saturated", test_threads_sparse_saturated);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails != 0;
}
