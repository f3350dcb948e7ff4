/* Live reconfiguration on a worker, without stopping it: at its quiescent
 * point the worker switches to the new runtime (statistics and pool
 * cursors follow their subnet and pool, the release queue is remapped:
 * bounded by its size), and its leases are remapped lazily: a stale lease
 * is remapped when anything touches it (the lease table's stamp hook), and
 * a bounded number more per loop pass (dhcp4_worker_remap).  Until every
 * one is, the old runtime stays alive and the worker's prev points at it.
 *
 * Why the pools stay exact while workers are on different runtimes: a pool
 * whose range is unchanged is the same bitmap in both; a new or resized
 * pool got its bits from the old pools it covers while those were frozen
 * (nobody takes or frees there, see dhcp4_runtime_freeze), so every
 * address in use under the old runtime is in use in the new one before
 * any worker serves from it.  Remapping then only moves a lease's pool
 * index and gauges; it claims a bit only where the old runtime had none
 * (an address outside its pools). */
#include <errno.h>
#include <string.h>

#include "dhcp4_priv.h"

static int64_t subnet_index_by_id(const struct conf *c, uint32_t id)
{
	unsigned i;

	for (i = 0; i < c->n_subnets; i++)
		if (c->subnets[i].id == id)
			return i;
	return -1;
}

/* The bit of addr in new pool p for something that held old_ap's bit
 * (old_ap NULL: no bit).  0, or -EBUSY when someone else has it. */
static int carry_bit(struct dhcp4_runtime *rt, uint16_t p, const struct alloc_pool *old_ap,
		     uint32_t addr)
{
	struct alloc_pool *ap = rt->pools[p].ap;

	if (ap == old_ap)
		return 0;                       /* carried: the same bit */
	if (old_ap && alloc_in_use(ap, addr))
		return 0;                       /* copied from the frozen pool */
	return alloc_claim(ap, addr) ? -EBUSY : 0;
}

/* One lease onto the new runtime (the table's stamp hook).  Its pool
 * index still names a pool of w->prev.  An address outside every new pool
 * keeps its lease (until it expires) but no bit: "orphaned". */
static void remap_one(struct lease4 *l, void *arg)
{
	struct dhcp4_worker *w = arg;
	struct dhcp4_runtime *rt = w->rt, *old = w->prev;
	struct dhcp4_reconf *rc = w->rc;
	struct alloc_pool *old_ap;
	const struct conf_host *h;
	uint16_t p;
	int s;

	if (!old)
		return;                 /* nothing is stale */
	old_ap = l->pool != NO_POOL ? old->pools[l->pool].ap : NULL;
	rc->leases++;
	if (l->state == LEASE_STATE_OFFERED && !l->addr) {
		l->pool = NO_POOL;              /* a vacated entry: no address */
		return;
	}
	p = rt_pool_of(rt, l->addr);
	h = rt_reserved(rt, l->addr);
	if (h) {
		/* the bit is the reservation's; the lease holds the address
		 * (nobody else could take it: it is contested until commit) */
		if (dhcp4_held_take(rt, h))
			rc->conflicts++;
	} else if (p != NO_POOL && carry_bit(rt, p, old_ap, l->addr)) {
		rc->conflicts++;
		p = NO_POOL;
	}
	l->pool = p;
	if (p == NO_POOL && !h)                 /* a reservation outside the pools is no orphan */
		rc->orphaned++;
	s = p != NO_POOL ? (int)rt->pools[p].subnet : rt_subnet_of(rt, l->addr);
	if (s >= 0)
		l->subnet_id = w->conf->subnets[s].id;
	/* its owner reference in the new runtime (a carried pool has it
	 * already; a new pool or the new outside index does not) */
	addr_own(w, l);
	dhcp4_gauge(w, l, +1);
}

/* Addresses waiting for their delete to be durable (or, from a frozen
 * pool, for this switch) stay taken in the new runtime too.  An address
 * in no new pool has nothing to give back. */
static void remap_pending(struct dhcp4_worker *w, struct dhcp4_runtime *old,
			  struct dhcp4_reconf *rc)
{
	struct dhcp4_runtime *rt = w->rt;
	uint32_t i;

	for (i = 0; i < release_queue_len(&w->rq); i++) {
		struct release_entry *e = release_queue_at(&w->rq, i);
		struct alloc_pool *old_ap = e->pool != NO_POOL ? old->pools[e->pool].ap : NULL;
		uint16_t p = rt_pool_of(rt, e->addr);

		if (rt_reserved(rt, e->addr))
			p = NO_POOL;            /* the bit is the new reservation's now */
		else if (p != NO_POOL && carry_bit(rt, p, old_ap, e->addr)) {
			rc->conflicts++;
			p = NO_POOL;
		}
		e->pool = p;
	}
}

int dhcp4_worker_switch(struct dhcp4_worker *w, struct dhcp4_reconf *rc)
{
	const struct conf *oc = w->conf, *nc = rc->conf;
	struct dhcp4_runtime *old = w->rt, *rt = rc->rt;
	struct stats4_subnet *osub = w->st.subnet;
	struct stats4_pool *opool = w->st.pool;
	uint32_t *ocur = w->cursor, i;

	if (!nc || !rt || rt->conf != nc || !rc->subnet || !rc->pool || !rc->cursor)
		return -EINVAL;
	if (w->prev)
		return -EBUSY;          /* the reload before is not remapped yet */
	worker_serving(w);
	/* Counters follow their subnet (by id) and pool (by range); gauges
	 * are counted again as the leases are remapped. */
	for (i = 0; i < nc->n_subnets; i++) {
		int64_t o = subnet_index_by_id(oc, nc->subnets[i].id);

		memset(&rc->subnet[i], 0, sizeof(rc->subnet[i]));
		if (o >= 0) {
			rc->subnet[i].reclaimed = osub[o].reclaimed;
			rc->subnet[i].reclaimed_declined = osub[o].reclaimed_declined;
			rc->subnet[i].cumulative = osub[o].cumulative;
		}
	}
	for (i = 0; i < rt->n_pools; i++) {
		uint64_t size = (uint64_t)rt->pools[i].last - rt->pools[i].first + 1;
		uint16_t op = rt_pool_of(old, rt->pools[i].first);

		memset(&rc->pool[i], 0, sizeof(rc->pool[i]));
		if (op != NO_POOL && old->pools[op].first == rt->pools[i].first &&
		    old->pools[op].last == rt->pools[i].last) {
			rc->pool[i].cumulative = opool[op].cumulative;
			rc->cursor[i] = ocur[op];
		} else {
			rc->cursor[i] = dhcp4_cursor_start(size, w->id, w->n_workers);
		}
	}
	w->conf = nc;
	w->rt = rt;
	w->st.subnet = rc->subnet;
	w->st.n_subnets = nc->n_subnets;
	w->st.pool = rc->pool;
	w->st.n_pools = rt->n_pools;
	w->cursor = rc->cursor;
	if (w->id < rt->n_workers)
		rt->workers[w->id] = w;
	rc->leases = rc->orphaned = rc->conflicts = 0;
	w->prev = old;
	w->rc = rc;
	w->remap_cursor = 0;
	remap_pending(w, old, rc);
	lease_table_restamp(w->lt, rt->gen, remap_one, w);
	/* hand the old arrays back for the caller to free */
	rc->subnet = osub;
	rc->pool = opool;
	rc->cursor = ocur;
	return 0;
}

bool dhcp4_worker_remap(struct dhcp4_worker *w, unsigned max)
{
	if (!w->prev)
		return true;
	if (!lease_table_refresh(w->lt, &w->remap_cursor, max))
		return false;
	w->prev = NULL;
	w->rc = NULL;
	return true;
}

int dhcp4_worker_reconfigure(struct dhcp4_worker *w, struct dhcp4_reconf *rc)
{
	int ret = dhcp4_worker_switch(w, rc);

	while (!ret && !dhcp4_worker_remap(w, 4096))
		;
	return ret;
}
