/* By-address work on the control thread: which worker holds an address,
 * and lease4-get-page as an ordered walk over the address owners.  Reads
 * only what the workers publish atomically (the pool bits, the owner
 * references); the leases themselves come from their workers. */
#include <errno.h>
#include <stdlib.h>

#include "dhcp4_priv.h"

int dhcp4_addr_owner(const struct dhcp4_runtime *rt, uint32_t addr, uint32_t *ref)
{
	uint16_t p = addr ? rt_pool_of(rt, addr) : NO_POOL;
	uint32_t r = 0;
	int w;

	if (p != NO_POOL) {
		if (alloc_in_use(rt->pools[p].ap, addr))
			r = alloc_ref(rt->pools[p].ap, addr);
	} else if (addr) {
		r = addr_owner_get(rt->outside, addr);
	}
	if (ref)
		*ref = r;
	w = dhcp4_ref_worker(r);
	if (w >= 0)
		return w;
	return p == NO_POOL && addr && addr_owner_overflow(rt->outside) ? -EAGAIN : -ENOENT;
}

/* First position in by_first of a pool with addresses above `from`. */
static uint32_t first_pool_after(const struct dhcp4_runtime *rt, uint32_t from)
{
	uint32_t lo = 0, hi = rt->n_pools;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rt->pools[rt->by_first[mid]].last <= from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Up to n addresses above `from` in use in a pool and with an owner, in
 * address order (pools do not overlap, by_first orders them). */
static unsigned pool_candidates(const struct dhcp4_runtime *rt, uint32_t from, uint32_t *addrs,
				int *workers, unsigned n)
{
	unsigned k = 0;
	uint32_t i;

	for (i = first_pool_after(rt, from); i < rt->n_pools && k < n; i++) {
		const struct rt_pool *p = &rt->pools[rt->by_first[i]];
		uint64_t at = from < p->first ? p->first : (uint64_t)from + 1;

		while (k < n && at <= p->last) {
			int64_t a = alloc_next_used(p->ap, (uint32_t)at);
			int w;

			if (a < 0)
				break;
			w = dhcp4_ref_worker(alloc_ref(p->ap, (uint32_t)a));
			if (w >= 0) {           /* no owner: a reservation nobody holds */
				addrs[k] = (uint32_t)a;
				workers[k++] = w;
			}
			at = (uint64_t)a + 1;
		}
	}
	return k;
}

long dhcp4_lease_page(const struct dhcp4_runtime *rt, uint32_t from, uint32_t limit,
		      dhcp4_fetch_fn fetch, void *ctx, struct lease_rec *out)
{
	enum { BATCH = 4096 };
	uint32_t *a = NULL, *b = NULL, *refs = NULL, *m = NULL;
	int *aw = NULL, *mw = NULL;
	long found = 0, ret = 0;

	if (addr_owner_overflow(rt->outside))
		return -EAGAIN;
	a = malloc(BATCH * sizeof(*a));
	b = malloc(BATCH * sizeof(*b));
	refs = malloc(BATCH * sizeof(*refs));
	m = malloc(BATCH * sizeof(*m));
	aw = malloc(BATCH * sizeof(*aw));
	mw = malloc(BATCH * sizeof(*mw));
	if (!a || !b || !refs || !m || !aw || !mw) {
		ret = -ENOMEM;
		goto out;
	}
	/* Each round: the next candidates above `from` (pools and outside
	 * addresses merged in order), as many as leases are still wanted; the
	 * owners answer for those that are leases (not offers, not a
	 * reservation's idle bit).  Rounds repeat only for the candidates
	 * that were not leases. */
	while ((uint64_t)found < limit) {
		unsigned want = limit - (uint32_t)found < BATCH ? limit - (uint32_t)found : BATCH;
		unsigned na = pool_candidates(rt, from, a, aw, want);
		unsigned nb = addr_owner_after(rt->outside, from, b, refs, want);
		unsigned i = 0, j = 0, n = 0;

		while (n < want && (i < na || j < nb)) {
			if (j >= nb || (i < na && a[i] < b[j])) {
				m[n] = a[i];
				mw[n++] = aw[i++];
			} else {
				m[n] = b[j];
				mw[n++] = dhcp4_ref_worker(refs[j++]);
			}
		}
		if (!n)
			break;
		ret = fetch(ctx, m, mw, n, out + found);
		if (ret < 0)
			goto out;
		found += ret;
		if (m[n - 1] == UINT32_MAX)
			break;
		from = m[n - 1];
	}
	ret = found;
out:
	free(a);
	free(b);
	free(refs);
	free(m);
	free(aw);
	free(mw);
	return ret;
}
