/* Live reconfiguration on a worker: the statistics and pool cursors follow
 * their subnet and pool into the new runtime, and every lease (and every
 * address waiting in the release queue) is remapped onto the new pools. */
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

struct remap_ctx {
	struct dhcp4_worker *w;
	struct dhcp4_runtime *old;
	struct dhcp4_reconf *rc;
};

/* One lease onto the new runtime.  Its old pool index still names the old
 * runtime's pool: if the new pool holding the address is the same bitmap
 * (carried over), the bit is already set; otherwise the bit is claimed in
 * the new bitmap and the old one is left to be freed with the old runtime.
 * An address outside every new pool keeps its lease (until it expires)
 * but no bit: "orphaned". */
static int remap_one(struct lease4 *l, void *arg)
{
	struct remap_ctx *x = arg;
	struct dhcp4_worker *w = x->w;
	struct dhcp4_runtime *rt = w->rt;
	struct alloc_pool *old_ap = l->pool != NO_POOL ? x->old->pools[l->pool].ap : NULL;
	bool reserved;
	uint16_t p;
	int s;

	x->rc->leases++;
	if (l->state == LEASE_STATE_OFFERED && !l->addr) {
		l->pool = NO_POOL;              /* a vacated entry: no address */
		return 0;
	}
	p = rt_pool_of(rt, l->addr);
	reserved = rt_reserved(rt, l->addr) != NULL;
	if (reserved) {
		/* the bit is the reservation's; the lease holds the address */
		if (dhcp4_addr_take(rt, p, l->addr))
			x->rc->conflicts++;
	} else if (p != NO_POOL && rt->pools[p].ap != old_ap && alloc_claim(rt->pools[p].ap, l->addr)) {
		x->rc->conflicts++;
		p = NO_POOL;
	}
	l->pool = p;
	if (p == NO_POOL && !reserved)          /* a reservation outside the pools is no orphan */
		x->rc->orphaned++;
	s = p != NO_POOL ? (int)rt->pools[p].subnet : rt_subnet_of(rt, l->addr);
	if (s >= 0)
		l->subnet_id = w->conf->subnets[s].id;
	dhcp4_gauge(w, l, +1);
	return 0;
}

/* Addresses waiting for their delete to be durable stay taken in the new
 * runtime too: same bitmap if the pool was carried over, else claimed in
 * the new one (the old bitmap goes with the old runtime).  An address in
 * no new pool has nothing to give back. */
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
		else if (p != NO_POOL && rt->pools[p].ap != old_ap &&
			 alloc_claim(rt->pools[p].ap, e->addr)) {
			rc->conflicts++;
			p = NO_POOL;
		}
		e->pool = p;
	}
}

int dhcp4_worker_reconfigure(struct dhcp4_worker *w, struct dhcp4_reconf *rc)
{
	const struct conf *oc = w->conf, *nc = rc->conf;
	struct dhcp4_runtime *old = w->rt, *rt = rc->rt;
	struct stats4_subnet *osub = w->st.subnet;
	struct stats4_pool *opool = w->st.pool;
	uint32_t *ocur = w->cursor, i;
	struct remap_ctx x = { .w = w, .old = old, .rc = rc };

	if (!nc || !rt || rt->conf != nc || !rc->subnet || !rc->pool || !rc->cursor)
		return -EINVAL;
	worker_serving(w);
	/* Counters follow their subnet (by id) and pool (by range); gauges
	 * are recounted from the leases below. */
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
			rc->cursor[i] = (uint32_t)(size * w->id / w->n_workers);
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
	lease_table_foreach(w->lt, remap_one, &x);
	remap_pending(w, old, rc);
	/* A reservation this config adds on an in-pool address of a carried
	 * pool could not claim the bit while a lease held it at build time; if
	 * that lease ended under the old runtime the bit is free now and must
	 * be the reservation's before anyone serves from this runtime (the
	 * workers resume only once every one has switched), or the pool would
	 * offer the reserved address to other clients.  One worker does it. */
	if (w->id == 0 && rt->hosts && rt->claimed) {
		for (i = 0; i < dhcp4_hosts_count(rt->hosts); i++) {
			uint32_t a = dhcp4_hosts_get(rt->hosts, i)->addr;
			uint16_t p = a ? rt_pool_of(rt, a) : NO_POOL;

			if (p != NO_POOL && rt->pools[p].from >= 0 && !rt->claimed[i] &&
			    alloc_claim(rt->pools[p].ap, a) == 0)
				rt->claimed[i] = 1;
		}
	}
	/* hand the old arrays back for the caller to free */
	rc->subnet = osub;
	rc->pool = opool;
	rc->cursor = ocur;
	return 0;
}
