/* Owners of the addresses outside every pool (see addr_owner.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "addr_index.h"
#include "addr_owner.h"

struct addr_owner {
	uint32_t mask;                  /* slots - 1 */
	uint32_t max_keys;              /* 3/4 of the slots */
	_Atomic uint32_t keys;          /* keys written */
	_Atomic uint32_t overflow;      /* new addresses refused */
	_Atomic uint64_t *slot;         /* addr << 32 | ref; 0 = empty */
	/* the reader's sorted copy of the keys (addr_owner_after) */
	uint32_t *sorted;
	uint32_t n_sorted, sorted_cap;
	uint32_t sorted_keys;           /* `keys` when it was built */
};

struct addr_owner *addr_owner_create(uint32_t cap)
{
	struct addr_owner *x;
	uint64_t n = 64;

	while (n < (uint64_t)cap * 4 / 3 + 1 && n < (1ull << 31))
		n *= 2;
	x = calloc(1, sizeof(*x));
	if (!x) {
		errno = ENOMEM;
		return NULL;
	}
	x->slot = calloc(n, sizeof(*x->slot));
	if (!x->slot) {
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	x->mask = (uint32_t)(n - 1);
	x->max_keys = (uint32_t)(n / 4 * 3);
	return x;
}

void addr_owner_free(struct addr_owner *x)
{
	if (!x)
		return;
	free(x->slot);
	free(x->sorted);
	free(x);
}

/* addr's slot, or with `add` a new one for it; NULL when absent (or no
 * room).  Two writers may add the same address at once (a lease moving
 * between workers): the compare-and-swap lets one win and the other finds
 * its key on the retry. */
static _Atomic uint64_t *ao_slot(struct addr_owner *x, uint32_t addr, bool add)
{
	uint32_t i = addr_index_hash(addr) & x->mask, n;

	for (n = 0; n <= x->mask; n++, i = (i + 1) & x->mask) {
		uint64_t v = atomic_load_explicit(&x->slot[i], memory_order_acquire);

		if (v != 0 && (uint32_t)(v >> 32) == addr)
			return &x->slot[i];
		if (v != 0)
			continue;
		if (!add)
			return NULL;
		if (atomic_fetch_add(&x->keys, 1) >= x->max_keys) {
			atomic_fetch_sub(&x->keys, 1);
			atomic_fetch_add(&x->overflow, 1);
			return NULL;
		}
		if (atomic_compare_exchange_strong(&x->slot[i], &v, (uint64_t)addr << 32))
			return &x->slot[i];
		atomic_fetch_sub(&x->keys, 1);
		if ((uint32_t)(v >> 32) == addr)
			return &x->slot[i];
	}
	return NULL;
}

int addr_owner_set(struct addr_owner *x, uint32_t addr, uint32_t ref)
{
	_Atomic uint64_t *s = ao_slot(x, addr, true);

	if (!s)
		return -ENOSPC;
	atomic_store_explicit(s, (uint64_t)addr << 32 | ref, memory_order_release);
	return 0;
}

int addr_owner_claim(struct addr_owner *x, uint32_t addr, uint32_t ref)
{
	_Atomic uint64_t *s = ao_slot(x, addr, true);
	uint64_t v = (uint64_t)addr << 32;

	if (!s)
		return -ENOSPC;
	if (atomic_compare_exchange_strong(s, &v, (uint64_t)addr << 32 | ref))
		return 0;
	return (uint32_t)v == ref ? 0 : -EBUSY;
}

void addr_owner_clear(struct addr_owner *x, uint32_t addr, uint32_t ref)
{
	_Atomic uint64_t *s = ao_slot(x, addr, false);
	uint64_t v = (uint64_t)addr << 32 | ref;

	if (s && ref)
		atomic_compare_exchange_strong(s, &v, (uint64_t)addr << 32);
}

uint32_t addr_owner_get(const struct addr_owner *x, uint32_t addr)
{
	_Atomic uint64_t *s = ao_slot((struct addr_owner *)x, addr, false);

	return s ? (uint32_t)atomic_load_explicit(s, memory_order_acquire) : 0;
}

bool addr_owner_overflow(const struct addr_owner *x)
{
	return atomic_load_explicit(&((struct addr_owner *)x)->overflow, memory_order_relaxed) != 0;
}

static int ao_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Keys only ever appear, so the copy is stale exactly when the count
 * moved; a key being added right now may be missed, like any change made
 * while a page is read. */
static int ao_sort(struct addr_owner *x)
{
	uint32_t keys = atomic_load_explicit(&x->keys, memory_order_acquire), i, n = 0;

	if (keys == x->sorted_keys && x->sorted)
		return 0;
	if (keys > x->sorted_cap || !x->sorted) {
		uint32_t *v = realloc(x->sorted, (keys ? keys : 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->sorted = v;
		x->sorted_cap = keys ? keys : 1;
	}
	for (i = 0; i <= x->mask && n < x->sorted_cap; i++) {
		uint64_t v = atomic_load_explicit(&x->slot[i], memory_order_acquire);

		if (v)
			x->sorted[n++] = (uint32_t)(v >> 32);
	}
	qsort(x->sorted, n, sizeof(*x->sorted), ao_cmp);
	x->n_sorted = n;
	x->sorted_keys = keys;
	return 0;
}

unsigned addr_owner_after(struct addr_owner *x, uint32_t from, uint32_t *addrs, uint32_t *refs,
			  unsigned n)
{
	uint32_t lo = 0, hi, i;
	unsigned k = 0;

	if (ao_sort(x))
		return 0;
	hi = x->n_sorted;
	while (lo < hi) {                       /* first key above from */
		uint32_t mid = lo + (hi - lo) / 2;

		if (x->sorted[mid] <= from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < x->n_sorted && k < n; i++) {
		uint32_t ref = addr_owner_get(x, x->sorted[i]);

		if (!ref)
			continue;
		addrs[k] = x->sorted[i];
		refs[k++] = ref;
	}
	return k;
}
