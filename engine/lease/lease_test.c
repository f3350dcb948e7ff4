/* Unit tests: client key hash, lease table, address allocator. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "alloc.h"
#include "lease_table.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Deterministic generator for test data. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void key_hw(struct lease_key *k, uint32_t n)
{
	memset(k, 0, sizeof(*k));
	k->kind = LEASE_KEY_HWADDR;
	k->len = 7;
	k->data[0] = 1;                    /* ethernet */
	k->data[1] = 0x02;
	k->data[2] = 0x00;
	k->data[3] = n >> 24;
	k->data[4] = n >> 16;
	k->data[5] = n >> 8;
	k->data[6] = n;
}

static void key_cid(struct lease_key *k, uint32_t n, uint8_t len)
{
	memset(k, 0, sizeof(*k));
	k->kind = LEASE_KEY_CLIENT_ID;
	k->len = len;
	for (unsigned i = 0; i < len; i++)
		k->data[i] = (uint8_t)(n >> (8 * (i % 4))) ^ (uint8_t)i;
}

static void key_addr(struct lease_key *k, uint32_t addr)
{
	memset(k, 0, sizeof(*k));
	k->kind = LEASE_KEY_ADDR;
	k->len = 4;
	k->data[0] = addr >> 24;
	k->data[1] = addr >> 16;
	k->data[2] = addr >> 8;
	k->data[3] = addr;
}

static struct lease_table *table(uint32_t cap)
{
	struct lease_table_params p = { .name = "test", .capacity = cap };
	struct lease_table *t = lease_table_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* ---- hash ---- */

#define HASH_PIN_HW 0x2edd2c52dec21aaaULL
#define HASH_PIN_CID 0x572a52cb8006af83ULL
#define HASH_PIN_ADDR 0x771fed70f0eb0cfaULL

static void test_hash_stable(void)
{
	struct lease_key k;
	struct lease4 l;
	uint64_t h;

	/* Pinned: steering between workers (and across restarts) depends on
	 * these; a change here moves clients to other workers. */
	key_hw(&k, 0x01020304);
	h = lease_key_hash(&k);
	CU_ASSERT_EQUAL(h, 0x0ULL + HASH_PIN_HW);
	key_cid(&k, 7, 30);
	CU_ASSERT_EQUAL(lease_key_hash(&k), 0x0ULL + HASH_PIN_CID);
	key_addr(&k, 0xc6120001);
	CU_ASSERT_EQUAL(lease_key_hash(&k), 0x0ULL + HASH_PIN_ADDR);

	/* Kind and length are part of the hash. */
	key_addr(&k, 0xc6120001);
	k.kind = LEASE_KEY_CLIENT_ID;
	CU_ASSERT_NOT_EQUAL(lease_key_hash(&k), 0x0ULL + HASH_PIN_ADDR);
	key_cid(&k, 7, 30);
	k.len = 31;
	k.data[30] = 0;
	CU_ASSERT_NOT_EQUAL(lease_key_hash(&k), 0x0ULL + HASH_PIN_CID);

	/* lease_key_of gives the key the lease was built from. */
	memset(&l, 0, sizeof(l));
	l.key_kind = LEASE_KEY_HWADDR;
	l.htype = 1;
	l.hwaddr_len = 6;
	memcpy(l.hwaddr, "\x02\x00\x01\x02\x03\x04", 6);
	lease_key_of(&l, &k);
	CU_ASSERT_EQUAL(k.len, 7);
	CU_ASSERT_EQUAL(lease_key_hash(&k), 0x0ULL + HASH_PIN_HW);
}

static void test_hash_spread(void)
{
	enum { N = 80000, W = 8 };
	unsigned bins[W] = { 0 }, bins3[3] = { 0 };
	struct lease_key k;

	/* Sequential MACs (what a lab or a load generator produces) must
	 * spread evenly over workers, for a power of two and for 3. */
	for (uint32_t i = 0; i < N; i++) {
		key_hw(&k, i);
		bins[lease_key_hash(&k) % W]++;
		bins3[lease_key_hash(&k) % 3]++;
	}
	for (int i = 0; i < W; i++) {
		CU_ASSERT(bins[i] > N / W * 95 / 100 && bins[i] < N / W * 105 / 100);
	}
	for (int i = 0; i < 3; i++)
		CU_ASSERT(bins3[i] > N / 3 * 97 / 100 && bins3[i] < N / 3 * 103 / 100);
}

/* ---- lease table ---- */

static void test_table_basic(void)
{
	struct lease_table *t = table(64);
	struct lease_key kc, kh, ka, kx;
	struct lease4 *lc, *lh, *la;
	bool existed = true;

	key_cid(&kc, 1, 7);
	key_hw(&kh, 1);
	key_addr(&ka, 0xc6120005);

	lc = lease_table_insert(t, &kc, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lc);
	CU_ASSERT_FALSE(existed);
	CU_ASSERT_EQUAL(lc->key_kind, LEASE_KEY_CLIENT_ID);
	CU_ASSERT_EQUAL(lc->cid_len, 7);
	CU_ASSERT_EQUAL(memcmp(lease_cid(lc), kc.data, 7), 0);

	lh = lease_table_insert(t, &kh, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lh);
	CU_ASSERT_FALSE(existed);
	CU_ASSERT_EQUAL(lh->htype, 1);
	CU_ASSERT_EQUAL(lh->hwaddr_len, 6);
	CU_ASSERT_EQUAL(memcmp(lh->hwaddr, kh.data + 1, 6), 0);
	CU_ASSERT_EQUAL(lh->cid_len, 0);

	la = lease_table_insert(t, &ka, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(la);
	CU_ASSERT_EQUAL(la->addr, 0xc6120005);
	CU_ASSERT_EQUAL(la->key_kind, LEASE_KEY_ADDR);
	CU_ASSERT_EQUAL(lease_table_count(t), 3);

	/* Same key again: the existing lease. */
	lc->addr = 42;
	CU_ASSERT_PTR_EQUAL(lease_table_insert(t, &kc, &existed), lc);
	CU_ASSERT_TRUE(existed);
	CU_ASSERT_EQUAL(lc->addr, 42);
	CU_ASSERT_EQUAL(lease_table_count(t), 3);

	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &kc), lc);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &kh), lh);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &ka), la);

	/* Same bytes, other kind: not the same key. */
	kx = ka;
	kx.kind = LEASE_KEY_CLIENT_ID;
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &kx));
	key_hw(&kx, 2);
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &kx));
	/* A hardware type is part of the key. */
	key_hw(&kx, 1);
	kx.data[0] = 6;
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &kx));

	/* Invalid keys. */
	kx.kind = 9;
	CU_ASSERT_PTR_NULL(lease_table_insert(t, &kx, &existed));
	CU_ASSERT_EQUAL(errno, EINVAL);
	key_addr(&kx, 1);
	kx.len = 3;
	CU_ASSERT_PTR_NULL(lease_table_insert(t, &kx, &existed));

	lease_table_remove(t, lh);
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &kh));
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &kc), lc);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &ka), la);
	CU_ASSERT_EQUAL(lease_table_count(t), 2);
	lease_table_remove(t, lc);
	lease_table_remove(t, la);
	CU_ASSERT_EQUAL(lease_table_count(t), 0);
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &ka));

	/* Re-insert after remove gets a clean lease. */
	la = lease_table_insert(t, &kc, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(la);
	CU_ASSERT_FALSE(existed);
	CU_ASSERT_EQUAL(la->addr, 0);

	{
		struct lease_table_params bad = { .capacity = 0xFFFFFFFFu };

		errno = 0;
		CU_ASSERT_PTR_NULL(lease_table_create(&bad));
		CU_ASSERT_EQUAL(errno, EINVAL);
		CU_ASSERT_PTR_NULL(lease_table_create(NULL));
	}
	lease_table_free(t);
}

static void test_table_long_cid(void)
{
	struct lease_table *t = table(16);
	struct lease_key k1, k2, k3, kh;
	struct lease4 *l, *lh;
	size_t mem0 = lease_table_memory(t);
	uint8_t longcid[200];
	bool existed;

	key_cid(&k1, 5, 255);
	l = lease_table_insert(t, &k1, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->cid_len, 255);
	CU_ASSERT_EQUAL(memcmp(lease_cid(l), k1.data, 255), 0);
	CU_ASSERT(lease_table_memory(t) >= mem0 + 255);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &k1), l);
	/* Differs in the last byte only. */
	k2 = k1;
	k2.data[254] ^= 1;
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &k2));
	CU_ASSERT_PTR_NOT_NULL(lease_table_insert(t, &k2, &existed));
	CU_ASSERT_FALSE(existed);

	/* Re-key a client-id lease: old key gone, new one found. */
	key_cid(&k3, 9, 21);
	CU_ASSERT_EQUAL(lease_table_set_cid(t, l, k3.data, k3.len), 0);
	CU_ASSERT_PTR_NULL(lease_table_lookup(t, &k1));
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &k3), l);
	CU_ASSERT_EQUAL(l->cid_len, 21);
	/* ...but not onto another lease's key. */
	CU_ASSERT_EQUAL(lease_table_set_cid(t, l, k2.data, k2.len), -EEXIST);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &k3), l);
	/* Short again (inline), freeing the long copy. */
	CU_ASSERT_EQUAL(lease_table_set_cid(t, l, (const uint8_t *)"abc", 3), 0);
	CU_ASSERT_EQUAL(l->cid_len, 3);
	CU_ASSERT_EQUAL(memcmp(lease_cid(l), "abc", 3), 0);

	/* A chaddr lease just records the client-id. */
	key_hw(&kh, 77);
	lh = lease_table_insert(t, &kh, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lh);
	memset(longcid, 0xab, sizeof(longcid));
	CU_ASSERT_EQUAL(lease_table_set_cid(t, lh, longcid, sizeof(longcid)), 0);
	CU_ASSERT_EQUAL(lh->cid_len, 200);
	CU_ASSERT_EQUAL(memcmp(lease_cid(lh), longcid, 200), 0);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &kh), lh);
	CU_ASSERT_EQUAL(lease_table_set_cid(t, lh, NULL, 0), 0);
	CU_ASSERT_EQUAL(lh->cid_len, 0);
	CU_ASSERT_EQUAL(lease_table_set_cid(t, lh, longcid, 100), 0);
	lease_table_remove(t, lh);     /* frees it (valgrind / ASan would say) */
	lease_table_free(t);            /* frees the remaining long one */
}

/* Hostnames: set, replace, cut at 63 bytes, removed with the lease and the
 * slot reused; more than a chunk of them. */
static void test_table_hostname(void)
{
	enum { N = 5000 };
	struct lease_table *t = table(N + 16);
	struct lease4 *l[N];
	struct lease_key k;
	char name[100];
	unsigned bad = 0;
	size_t mem0 = lease_table_memory(t);
	uint32_t slot;

	for (unsigned i = 0; i < N; i++) {
		key_hw(&k, i + 1);
		l[i] = lease_table_insert(t, &k, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l[i]);
		CU_ASSERT_STRING_EQUAL(lease_table_hostname(t, l[i]), "");
		snprintf(name, sizeof(name), "host-%u.example", i);
		CU_ASSERT_EQUAL_FATAL(lease_table_set_hostname(t, l[i], name, strlen(name)), 0);
	}
	CU_ASSERT(lease_table_memory(t) >= mem0 + (size_t)N * 64);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "host-%u.example", i);
		bad += strcmp(lease_table_hostname(t, l[i]), name) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* replace in place, cut a long one, clear one */
	CU_ASSERT_EQUAL(lease_table_set_hostname(t, l[0], "a", 1), 0);
	CU_ASSERT_STRING_EQUAL(lease_table_hostname(t, l[0]), "a");
	memset(name, 'x', sizeof(name));
	CU_ASSERT_EQUAL(lease_table_set_hostname(t, l[1], name, sizeof(name)), 0);
	CU_ASSERT_EQUAL(strlen(lease_table_hostname(t, l[1])), LEASE_HOSTNAME_MAX);
	CU_ASSERT_EQUAL(lease_table_set_hostname(t, l[2], NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(lease_table_hostname(t, l[2]), "");
	/* a removed lease gives its slot back: the next one takes it */
	slot = l[3]->name;
	lease_table_remove(t, l[3]);
	key_hw(&k, N + 100);
	l[3] = lease_table_insert(t, &k, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l[3]);
	CU_ASSERT_EQUAL(l[3]->name, 0);
	CU_ASSERT_EQUAL(lease_table_set_hostname(t, l[3], "new", 3), 0);
	CU_ASSERT_EQUAL(l[3]->name, slot);
	CU_ASSERT_STRING_EQUAL(lease_table_hostname(t, l[4]), "host-4.example");
	lease_table_free(t);
}

static void test_table_growth(void)
{
	enum { N = 1000000 };
	struct lease_table *t = table(16);
	struct lease_key k;
	struct lease4 **ptr = malloc(N * sizeof(*ptr));
	unsigned missing = 0, wrong = 0, moved = 0;
	double t0, t1, worst = 0;
	unsigned slow = 0;
	bool existed;
	size_t mem;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ptr);
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		double a = now_ns(), d;

		key_hw(&k, i * 2654435761u);
		ptr[i] = lease_table_insert(t, &k, &existed);
		d = now_ns() - a;
		if (d > worst)
			worst = d;
		if (d > 200e3)
			slow++;
		if (ptr[i] == NULL || existed) {
			missing++;
			continue;
		}
		ptr[i]->addr = i;
		ptr[i]->expire = 1000 + i % 5000;
		lease_table_touch(t, ptr[i]);
	}
	t1 = now_ns();
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(lease_table_count(t), N);
	mem = lease_table_memory(t);
	printf("\n    worst single insert %.2f ms, %u over 0.2 ms (shared CPU: preemption shows here)\n",
	       worst / 1e6, slow);
	printf("    insert+touch %.1f ns/op; memory %zu bytes = %.1f bytes/lease at %u leases\n",
	       (t1 - t0) / N, mem, (double)mem / N, N);
	CU_ASSERT(mem <= (size_t)128 * N);

	/* Every lease found, and at the pointer it got when inserted. */
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		struct lease4 *l;

		key_hw(&k, i * 2654435761u);
		l = lease_table_lookup(t, &k);
		if (l == NULL)
			missing++;
		else if (l != ptr[i])
			moved++;
		else if (l->addr != i)
			wrong++;
	}
	t1 = now_ns();
	printf("    lookup (hit) %.1f ns/op\n", (t1 - t0) / N);
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(moved, 0);
	CU_ASSERT_EQUAL(wrong, 0);

	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		key_hw(&k, N + i * 2654435761u + 1);   /* odd: never inserted */
		if (lease_table_lookup(t, &k) != NULL)
			wrong++;
	}
	t1 = now_ns();
	printf("    lookup (miss) %.1f ns/op\n", (t1 - t0) / N);

	/* Remove every other one: the rest still found (backward shifts). */
	for (uint32_t i = 0; i < N; i += 2)
		lease_table_remove(t, ptr[i]);
	CU_ASSERT_EQUAL(lease_table_count(t), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		struct lease4 *l;

		key_hw(&k, i * 2654435761u);
		l = lease_table_lookup(t, &k);
		if ((i % 2 == 0) != (l == NULL) || (l != NULL && l != ptr[i]))
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);

	/* Slots are reused: inserting N/2 more does not grow the slab. */
	mem = lease_table_memory(t);
	for (uint32_t i = 0; i < N / 2; i++) {
		key_cid(&k, i, 9);
		if (lease_table_insert(t, &k, &existed) == NULL)
			missing++;
	}
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(lease_table_memory(t), mem);
	CU_ASSERT_EQUAL(lease_table_count(t), N);
	free(ptr);
	lease_table_free(t);
}

/* Index doubling is incremental: lookups, removes and re-keys must work
 * on entries that still sit in the old array. */
static void test_table_migration(void)
{
	enum { FULL = 49152 };              /* 3/4 of a 2^16-slot index */
	struct lease_table *t = table(FULL);
	struct lease_key k;
	struct lease4 *l;
	unsigned wrong = 0;
	size_t mem0;

	for (uint32_t i = 0; i < FULL; i++) {
		key_hw(&k, i);
		l = lease_table_insert(t, &k, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		l->addr = i;
	}
	mem0 = lease_table_memory(t);
	key_hw(&k, FULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lease_table_insert(t, &k, NULL));
	/* Both arrays are held now: old 2^16 + new 2^17 slots. */
	CU_ASSERT(lease_table_memory(t) >= mem0 + (1u << 17) * 8);

	/* Remove every third while most still sit in the old array. */
	for (uint32_t i = 0; i < FULL; i++) {
		key_hw(&k, i);
		l = lease_table_lookup(t, &k);
		if (l == NULL || l->addr != i) {
			wrong++;
			continue;
		}
		if (i % 3 == 0)
			lease_table_remove(t, l);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* Keep inserting until the old array is long drained. */
	for (uint32_t i = FULL + 1; i < FULL + 20000; i++) {
		key_hw(&k, i);
		l = lease_table_insert(t, &k, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		l->addr = i;
	}
	for (uint32_t i = 0; i < FULL + 20000; i++) {
		key_hw(&k, i);
		l = lease_table_lookup(t, &k);
		if (i < FULL && i % 3 == 0 ? l != NULL : (l == NULL || (i != FULL && l->addr != i)))
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(lease_table_count(t), FULL + 20000 - FULL / 3);
	/* Old array freed: memory is back to one index (2^17 slots). */
	CU_ASSERT(lease_table_memory(t) < mem0 + (1u << 17) * 8 + 3 * 262144);
	lease_table_free(t);
}

struct exp_rec {
	uint32_t now;
	unsigned bad;        /* handed out before its expire */
	unsigned twice;      /* handed out while already marked */
	unsigned n;
	uint8_t *seen;       /* by lease addr */
	struct lease_table *t;
	int action;          /* 0 none, 1 remove, 2 renew +1000 */
};

static void exp_cb(struct lease4 *l, void *arg);

/* Call expire in batches of `max` until the scan has caught up with now;
 * checks every batch is within max.  Returns the number of calls. */
static unsigned drain(struct lease_table *t, struct exp_rec *r, unsigned max)
{
	unsigned calls = 0;

	do {
		unsigned got = lease_table_expire(t, r->now, max, exp_cb, r);

		CU_ASSERT(got <= max);
		CU_ASSERT_FATAL(++calls < 1000000);
	} while (!lease_table_expire_idle(t, r->now));
	return calls;
}

static void exp_cb(struct lease4 *l, void *arg)
{
	struct exp_rec *r = arg;

	if (l->expire > r->now)
		r->bad++;
	if (r->seen[l->addr])
		r->twice++;
	r->seen[l->addr] = 1;
	r->n++;
	if (r->action == 1) {
		lease_table_remove(r->t, l);
	} else if (r->action == 2) {
		l->expire = r->now + 1000;
		lease_table_touch(r->t, l);
	}
}

static void test_table_expire(void)
{
	enum { N = 10000 };
	const uint32_t base = 1700000000u;  /* realistic epoch: first call far from 0 */
	struct lease_table *t = table(N);
	struct lease4 *ls[N];
	struct exp_rec r = { .t = t };
	struct lease_key k;
	unsigned calls;

	r.seen = calloc(N, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.seen);
	for (uint32_t i = 0; i < N; i++) {
		key_addr(&k, 0xc6120000 + i);
		ls[i] = lease_table_insert(t, &k, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ls[i]);
		ls[i]->addr = i;            /* index into seen[] */
		ls[i]->expire = base + i % 100;
		lease_table_touch(t, ls[i]);
	}
	/* Nothing is due a second before the first expiry. */
	r.now = base - 1;
	drain(t, &r, 1000);
	CU_ASSERT_EQUAL(r.n, 0);

	/* Half are due: batches of at most 7 until dry, exactly the due
	 * ones, once each. */
	r.now = base + 49;
	calls = drain(t, &r, 7);
	CU_ASSERT_EQUAL(r.n, N / 2);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);
	CU_ASSERT(calls >= N / 2 / 7);
	for (uint32_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(r.seen[i], i % 100 <= 49 ? 1 : 0);

	/* Renew some not-yet-due leases to much later (beyond one wheel
	 * revolution for a few): they must not come out at their old time. */
	for (uint32_t i = 50; i < N; i += 100) {
		ls[i]->expire = base + (i % 200 == 50 ? 600 : 200000);
		lease_table_touch(t, ls[i]);
	}
	/* And one lease already handed out comes back with a past expiry
	 * (touched behind the wheel's position): due at once. */
	ls[0]->expire = base + 10;
	lease_table_touch(t, ls[0]);
	r.seen[0] = 0;

	r.now = base + 99;
	r.n = 0;
	drain(t, &r, 64);
	CU_ASSERT_EQUAL(r.n, N / 2 - N / 100 + 1);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);
	CU_ASSERT_EQUAL(r.seen[0], 1);
	for (uint32_t i = 50; i < N; i += 100)
		CU_ASSERT_EQUAL(r.seen[i], 0);

	/* The 600 s ones come at 600, the far ones only at 200000 (the wheel
	 * passes their bucket several times before). */
	r.n = 0;
	r.now = base + 599;
	drain(t, &r, 64);
	CU_ASSERT_EQUAL(r.n, 0);
	r.now = base + 600;
	drain(t, &r, 64);
	CU_ASSERT_EQUAL(r.n, N / 200);
	for (uint32_t s = 1000; s < 200000; s += 997) {
		r.now = base + s;
		drain(t, &r, 64);
	}
	CU_ASSERT_EQUAL(r.n, N / 200);
	r.now = base + 200000;
	drain(t, &r, 64);
	CU_ASSERT_EQUAL(r.n, N / 100);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);

	/* Handed out once: not again while nobody touches it. */
	r.now = base + 300000;
	drain(t, &r, 1000);
	CU_ASSERT_EQUAL(r.n, N / 100);
	CU_ASSERT_EQUAL(lease_table_count(t), N);
	free(r.seen);
	lease_table_free(t);
}

static void test_table_expire_cb_actions(void)
{
	enum { N = 3000 };
	struct lease_table *t = table(16);
	struct exp_rec r = { .t = t };
	struct lease_key k;
	struct lease4 *l;

	r.seen = calloc(N, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.seen);
	for (uint32_t i = 0; i < N; i++) {
		key_hw(&k, i);
		l = lease_table_insert(t, &k, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		l->addr = i;
		l->expire = 5000 + i % 3;    /* three crowded buckets */
		lease_table_touch(t, l);
		if (i % 3 == 2) {            /* infinite: never handed out */
			l->expire = UINT32_MAX;
			lease_table_touch(t, l);
		}
	}
	/* cb renews: each comes out once, at 5002 they are all refiled to
	 * 6002 and do not come back before then. */
	r.action = 2;
	r.now = 5002;
	drain(t, &r, 5);
	CU_ASSERT_EQUAL(r.n, N / 3 * 2);
	CU_ASSERT_EQUAL(r.twice, 0);
	r.now = 6001;
	drain(t, &r, 100);
	CU_ASSERT_EQUAL(r.n, N / 3 * 2);

	/* cb removes: the table empties of them; infinite ones stay. */
	memset(r.seen, 0, N);
	r.n = 0;
	r.action = 1;
	r.now = 6002;
	drain(t, &r, 3);
	CU_ASSERT_EQUAL(r.n, N / 3 * 2);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);
	CU_ASSERT_EQUAL(lease_table_count(t), N / 3);
	r.now = UINT32_MAX - 1;
	drain(t, &r, 1000);
	CU_ASSERT_EQUAL(r.n, N / 3 * 2);
	CU_ASSERT_EQUAL(lease_table_count(t), N / 3);

	lease_table_free(t);

	/* Removing the lease the expiry scan is parked on (max ran out inside
	 * a bucket, after stepping over a far one) must not derail the scan. */
	t = table(16);                  /* 4096 buckets */
	r.t = t;
	for (uint32_t i = 0; i < 200; i++) {
		key_cid(&k, i, 4);
		l = lease_table_insert(t, &k, NULL);
		l->addr = i;
		/* Same bucket: 7000 and 7000 + W*n (far). */
		l->expire = i % 2 ? 7000 : 7000 + 4096u * 4;
		lease_table_touch(t, l);
	}
	memset(r.seen, 0, N);
	r.n = 0;
	r.action = 0;
	r.now = 7000;
	/* Newest first: 199 out, 198 stepped over (parked there), 197 out. */
	CU_ASSERT_EQUAL(lease_table_expire(t, r.now, 2, exp_cb, &r), 2);
	CU_ASSERT_EQUAL(r.seen[199] + r.seen[197], 2);
	/* A lease touched to expire in the very second being visited, while
	 * the scan is parked past the bucket's head, still comes out now. */
	key_cid(&k, 2500, 5);
	l = lease_table_insert(t, &k, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	l->addr = 2500;
	l->expire = 7000;
	lease_table_touch(t, l);
	for (uint32_t i = 2; i < 200; i += 4) {
		key_cid(&k, i, 4);
		l = lease_table_lookup(t, &k);
		lease_table_remove(t, l);
	}
	drain(t, &r, 1);
	CU_ASSERT_EQUAL(r.n, 101);
	CU_ASSERT_EQUAL(r.seen[2500], 1);
	CU_ASSERT_EQUAL(lease_table_count(t), 151);
	r.now = 7000 + 4096 * 4;
	drain(t, &r, 1);
	CU_ASSERT_EQUAL(r.n, 151);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.twice, 0);
	free(r.seen);
	lease_table_free(t);
}

static int count_cb(struct lease4 *l, void *arg)
{
	unsigned *n = arg;

	(void)l;
	return ++*n == 500 ? 7 : 0;
}

static int sum_cb(struct lease4 *l, void *arg)
{
	uint64_t *s = arg;

	*s += l->addr;
	return 0;
}

static void test_table_foreach(void)
{
	struct lease_table *t = table(16);
	struct lease_key k;
	uint64_t sum = 0, want = 0;
	unsigned n = 0;

	for (uint32_t i = 0; i < 1000; i++) {
		struct lease4 *l;

		key_hw(&k, i);
		l = lease_table_insert(t, &k, NULL);
		l->addr = i;
	}
	for (uint32_t i = 0; i < 1000; i += 3) {
		key_hw(&k, i);
		lease_table_remove(t, lease_table_lookup(t, &k));
	}
	for (uint32_t i = 0; i < 1000; i++)
		if (i % 3 != 0)
			want += i;
	CU_ASSERT_EQUAL(lease_table_foreach(t, sum_cb, &sum), 0);
	CU_ASSERT_EQUAL(sum, want);
	CU_ASSERT_EQUAL(lease_table_foreach(t, count_cb, &n), 7);
	CU_ASSERT_EQUAL(n, 500);
	lease_table_free(t);
}

static uint8_t stamp_now;

static void stamp_hook(struct lease4 *l, void *arg)
{
	unsigned *n = arg;

	CU_ASSERT_NOT_EQUAL(l->stamp, stamp_now);      /* stale when called */
	l->addr += 1000000;
	(*n)++;
}

/* A restamp makes every lease stale; each is brought up to date exactly
 * once, whether a lookup, an insert, foreach or the bounded refresh
 * reaches it first, and new leases start up to date. */
static void test_table_restamp(void)
{
	struct lease_table *t = table(16);
	struct lease_key k;
	struct lease4 *l;
	uint32_t cursor = 0;
	unsigned hooked = 0, steps = 0, n = 0;
	uint64_t sum = 0, want = 0;

	for (uint32_t i = 0; i < 1000; i++) {
		key_hw(&k, i);
		l = lease_table_insert(t, &k, NULL);
		l->addr = i;
	}
	for (uint32_t i = 0; i < 1000; i += 7) {
		key_hw(&k, i);
		lease_table_remove(t, lease_table_lookup(t, &k));
	}
	stamp_now = 2;
	lease_table_restamp(t, 2, stamp_hook, &hooked);
	key_hw(&k, 1);
	l = lease_table_lookup(t, &k);
	CU_ASSERT(l != NULL && l->addr == 1000001 && l->stamp == 2);
	key_hw(&k, 2);
	l = lease_table_insert(t, &k, NULL);
	CU_ASSERT(l != NULL && l->addr == 1000002);
	key_hw(&k, 5000);
	l = lease_table_insert(t, &k, NULL);          /* new: up to date */
	CU_ASSERT(l != NULL && l->stamp == 2);
	l->addr = 1005000;
	CU_ASSERT_EQUAL(hooked, 2);
	while (!lease_table_refresh(t, &cursor, 100))
		steps++;
	CU_ASSERT(steps >= 9 && steps <= 11);           /* ~1000 slots, 100 a call */
	CU_ASSERT_EQUAL(hooked, 1000 - 143);
	CU_ASSERT_TRUE(lease_table_refresh(t, &cursor, 100));
	for (uint32_t i = 0; i < 1000; i++)
		if (i % 7 != 0)
			want += 1000000 + i;
	want += 1005000;
	CU_ASSERT_EQUAL(lease_table_foreach(t, sum_cb, &sum), 0);
	CU_ASSERT_EQUAL(sum, want);
	CU_ASSERT_EQUAL(hooked, 1000 - 143);
	/* foreach and expire bring stale leases up to date too */
	stamp_now = 3;
	lease_table_restamp(t, 3, stamp_hook, &hooked);
	CU_ASSERT_EQUAL(lease_table_foreach(t, count_cb, &n), 7);
	CU_ASSERT_EQUAL(hooked, (1000 - 143) + 500);   /* count_cb stops at 500 */
	lease_table_free(t);
}

/* ---- allocator ---- */

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

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("lease", NULL, NULL);
	CU_add_test(s, "hash stable", test_hash_stable);
	CU_add_test(s, "hash spread", test_hash_spread);
	CU_add_test(s, "table basic", test_table_basic);
	CU_add_test(s, "table long client-id", test_table_long_cid);
	CU_add_test(s, "table hostnames", test_table_hostname);
	CU_add_test(s, "table growth 1M", test_table_growth);
	CU_add_test(s, "table incremental growth", test_table_migration);
	CU_add_test(s, "table expire", test_table_expire);
	CU_add_test(s, "table expire cb actions", test_table_expire_cb_actions);
	CU_add_test(s, "table foreach", test_table_foreach);
	CU_add_test(s, "table restamp and refresh", test_table_restamp);
	s = CU_add_suite("alloc", NULL, NULL);
	CU_add_test(s, "fill", test_alloc_fill);
	CU_add_test(s, "claim release", test_alloc_claim);
	CU_add_test(s, "copy in-use bits, reset", test_alloc_copy);
	CU_add_test(s, "nearly full", test_alloc_nearly_full);
	CU_add_test(s, "summary race window", test_alloc_summary_race);
	CU_add_test(s, "concurrent roomy", test_alloc_concurrent_roomy);
	CU_add_test(s, "concurrent full", test_alloc_concurrent_full);

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails != 0;
}
