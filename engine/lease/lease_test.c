/* Unit tests: client key hash and the DHCPv4 lease table (the allocator's
 * are in alloc_test.c). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "lease_table.h"
#include "lease_test_util.h"

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

/* The _h calls with the key's own hash are the plain calls: an entry
 * filed by one is found by the other, and insert_h sees it exists. */
static void test_table_hashed_calls(void)
{
	struct lease_table *t = table(64);
	struct lease_key k1, k2;
	struct lease4 *a, *b;
	bool existed = true;

	key_cid(&k1, 1, 7);
	key_hw(&k2, 2);
	a = lease_table_insert_h(t, &k1, lease_key_hash(&k1), &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_FALSE(existed);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup(t, &k1), a);
	b = lease_table_insert(t, &k2, &existed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_EQUAL(lease_table_lookup_h(t, &k2, lease_key_hash(&k2)), b);
	CU_ASSERT_PTR_EQUAL(lease_table_insert_h(t, &k2, lease_key_hash(&k2), &existed), b);
	CU_ASSERT_TRUE(existed);
	CU_ASSERT_PTR_NULL(lease_table_lookup_h(t, &k2, lease_key_hash(&k1)));
	CU_ASSERT_EQUAL(lease_table_count(t), 2);
	lease_table_free(t);
}

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
	CU_add_test(s, "table calls with the hash given", test_table_hashed_calls);
	CU_add_test(s, "table long client-id", test_table_long_cid);
	CU_add_test(s, "table hostnames", test_table_hostname);
	CU_add_test(s, "table growth 1M", test_table_growth);
	CU_add_test(s, "table incremental growth", test_table_migration);
	CU_add_test(s, "table expire", test_table_expire);
	CU_add_test(s, "table expire cb actions", test_table_expire_cb_actions);
	CU_add_test(s, "table foreach", test_table_foreach);
	CU_add_test(s, "table restamp and refresh", test_table_restamp);

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails != 0;
}
