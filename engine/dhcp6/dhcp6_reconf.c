/* Live reconfiguration of DHCPv6 on a worker, driven by the control
 * thread in two phases (engine/dp/reload6.c), without stopping it.
 *
 * The problem.  A reload may resize, add or remove pools.  A pool whose
 * range and unit length are unchanged is carried over: the same allocator
 * in both runtimes, nothing to do.  A new or resized pool is a fresh
 * allocator: every unit that a lease holds under the old runtime must be
 * taken there before anybody hands units out of it, and must stay taken
 * while workers switch one after another, some serving the old runtime,
 * some the new one.
 *
 * The two phases.
 *  1. prepare (dhcp6_worker_prepare): the worker gets the next runtime.
 *     From then on every unit it takes or gives back is mirrored there
 *     (dhcp6_mirror_take / dhcp6_mirror_give): taken in the old runtime
 *     first, then claimed in the next one, where a failed claim refuses
 *     the lease ("busy": the client gets another unit); given back in the
 *     next runtime first, then in the old one.  Then it claims in the next
 *     runtime the unit of each of its leases and of each unit waiting in
 *     its release queue.  The next runtime's own pools stay closed.
 *  2. switch (dhcp6_worker_switch), only once every worker is prepared and
 *     the control thread opened the pools: the worker serves the next
 *     runtime; its leases get their new pool index (the unit is already
 *     theirs there), its gauges are counted again, its statistics and
 *     cursors are laid out anew; it stops mirroring.
 *
 * Why no unit is ever held by two leases.  Within one runtime a unit is
 * one bit, taken by compare-and-swap.  A reserved unit's bit is the
 * reservation's; the lease holding the reservation is its `held` flag,
 * also taken by compare-and-swap.  Across the two runtimes:
 *  - before anybody serves the next runtime (phase 1 everywhere), every
 *    lease of a prepared worker holds its unit in both, so the next
 *    runtime's own pools hold exactly the old leases' units (plus
 *    reservations) when they open: a worker that takes there after its
 *    switch cannot get a unit an old lease has;
 *  - a worker not switched yet takes in the old runtime and then claims in
 *    the next one: if a switched worker took the unit there first, the
 *    claim fails and the lease is refused;
 *  - a unit is given back in the next runtime before the old one, so a
 *    worker that takes it in the old runtime right after finds it free in
 *    the next one too (no spurious refusal from the order).
 * A unit whose length changed (a pd-pool's delegated-len) cannot be
 * mirrored: a lease there makes the reload fail in phase 1 (bad_pool), and
 * a new one is refused while prepared.
 *
 * Reservations in carried pools.  A unit newly reserved that a lease holds
 * stays that lease's until it ends (as Kea): the lease marks the next
 * runtime's reservation held, and when it ends its bit goes to the
 * reservation instead of the pool.  A reservation dropped by the reload
 * (rt6_gone) keeps its bit until every worker switched; then the bit is
 * released unless a lease held the unit (that lease owns the bit from its
 * switch on): dhcp6_runtime_commit.
 *
 * Cost.  prepare and switch each walk the worker's leases once (a lookup
 * of the pool and of the reservation per lease, a claim in a new pool):
 * proportional to its v6 leases, run from its control ring. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_priv.h"

enum fate6 {
	F6_NONE,                /* in no pool of the next runtime, not reserved there */
	F6_RESV,                /* reserved there: *r (pool q, or none) */
	F6_MIRROR,              /* a unit of its own pool q: mirrored */
	F6_CARRIED,             /* a unit of carried pool q: the same bit */
	F6_MISMATCH,            /* inside pool q, whose units have another length */
};

/* What unit a/plen is in runtime nx. */
static enum fate6 fate(const struct dhcp6_runtime *nx, struct lease_addr6 a, uint8_t plen,
		       bool pd, uint16_t *q, struct rt6_resv **r)
{
	uint16_t p = rt6_pool_over(nx, a, pd);

	*q = p;
	*r = rt6_reserved(nx, a, plen);
	if (*r) {
		if (p != NO_POOL6 && nx->pools[p].unit_len != plen)
			*q = NO_POOL6;
		return F6_RESV;
	}
	if (p == NO_POOL6)
		return F6_NONE;
	if (nx->pools[p].unit_len != plen || !alloc6_contains(nx->pools[p].ap, a))
		return F6_MISMATCH;
	return nx->pools[p].from >= 0 ? F6_CARRIED : F6_MIRROR;
}

/* Claim unit a/plen in the next runtime for a lease (`reserved`: it
 * holds the current runtime's reservation of a).  A new lease (rc NULL) is
 * refused (-EBUSY) when the next runtime has the unit.  A lease that
 * exists already (the sweep, rc) keeps its unit whatever: a reservation
 * there is held by it from now on, a failed claim leaves it without a
 * unit there (-EBUSY, counted in rc). */
static int claim_next(struct dhcp6_worker *w, struct lease_addr6 a, uint8_t plen, bool pd,
		      bool reserved, struct dhcp6_reconf *rc)
{
	struct dhcp6_runtime *nx = w->next;
	struct rt6_resv *r;
	struct rt6_gone *g;
	uint16_t q;

	switch (fate(nx, a, plen, pd, &q, &r)) {
	case F6_RESV:
		/* reserved from the switch on: a lease that has it keeps it
		 * until it ends; a new one only for a host (the next
		 * runtime's reservation taken by compare-and-swap) */
		if (rc) {
			__atomic_store_n(&r->held, 1, __ATOMIC_RELEASE);
			return 0;
		}
		return reserved ? rt6_resv_take(r) : -EBUSY;
	case F6_MIRROR:
		if (alloc6_claim(nx->pools[q].ap, a) == 0)
			return 0;
		if (rc)
			rc->conflicts++;        /* another lease has it already */
		return -EBUSY;
	case F6_CARRIED:
		/* the same bit; a reservation dropped by the reload passes it
		 * to the lease that holds it at its switch */
		g = reserved ? rt6_gone_find(nx, a, plen) : NULL;
		if (g)
			__atomic_store_n(&g->held, 1, __ATOMIC_RELEASE);
		return 0;
	case F6_MISMATCH:
		if (rc && !rc->mismatched++)
			rc->bad_pool = q;
		return -EBUSY;
	default:
		return 0;
	}
}

int dhcp6_mirror_take(struct dhcp6_worker *w, struct lease_addr6 a, uint8_t plen, bool pd,
		      bool reserved)
{
	return claim_next(w, a, plen, pd, reserved, NULL);
}

bool dhcp6_mirror_give(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a, uint8_t plen,
		       bool pd, uint8_t flags)
{
	struct dhcp6_runtime *nx = w->next;
	bool keep = false;
	struct rt6_resv *r;
	struct rt6_gone *g;
	uint16_t q;

	if (flags & LEASE6_F_NOUNIT)
		return false;           /* it has nothing there */
	switch (fate(nx, a, plen, pd, &q, &r)) {
	case F6_RESV:
		/* In a carried pool, a unit of its own is the bit the next
		 * runtime's reservation waits for: handed over, not freed. */
		if (!(flags & LEASE6_F_RESERVED) && q != NO_POOL6 && p != NO_POOL6 &&
		    nx->pools[q].from == p) {
			keep = true;
			__atomic_store_n(&r->claimed, 1, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&r->held, 0, __ATOMIC_RELEASE);
		break;
	case F6_MIRROR:
		alloc6_release(nx->pools[q].ap, a);
		break;
	case F6_CARRIED:
		g = (flags & LEASE6_F_RESERVED) ? rt6_gone_find(nx, a, plen) : NULL;
		if (g)
			__atomic_store_n(&g->held, 0, __ATOMIC_RELEASE);
		break;
	default:
		break;
	}
	return keep;
}

struct sweep_ctx {
	struct dhcp6_worker *w;
	struct dhcp6_reconf *rc;
};

static int sweep_lease(struct lease6 *l, void *arg)
{
	struct sweep_ctx *x = arg;

	l->flags &= (uint8_t)~LEASE6_F_NOUNIT;
	if (claim_next(x->w, l->addr, l->prefix_len, l->type == LEASE6_TYPE_PD,
		       l->flags & LEASE6_F_RESERVED, x->rc))
		l->flags |= LEASE6_F_NOUNIT;
	return 0;
}

int dhcp6_worker_prepare(struct dhcp6_worker *w, struct dhcp6_reconf *rc)
{
	struct sweep_ctx x = { w, rc };

	if (!rc || !rc->rt || rc->rt->from != w->rt || rc->rt->conf != rc->conf)
		return -EINVAL;
	if (w->next)
		return -EBUSY;
	rc->conflicts = rc->mismatched = 0;
	rc->bad_pool = -1;
	/* mirroring starts now: the sweep below and every change after it
	 * run on this thread, so no unit of this worker is missed */
	w->next = rc->rt;
	(void)lease6_table_foreach(w->lt, sweep_lease, &x);
	for (uint32_t i = w->rq.head; i != w->rq.tail; i++) {
		struct rq6_entry *e = &w->rq.e[i & (w->rq.cap - 1)];

		e->flags &= (uint8_t)~RQ6_F_NOUNIT;
		if (claim_next(w, e->addr, e->plen, e->flags & RQ6_F_PD, e->flags & RQ6_F_RESERVED,
			       rc))
			e->flags |= RQ6_F_NOUNIT;
	}
	return 0;
}

void dhcp6_worker_unprepare(struct dhcp6_worker *w)
{
	/* what it claimed in the next runtime goes with it */
	w->next = NULL;
}

/* Phase 2 for one unit: its pool index in the next runtime (NO_POOL6:
 * none), and whether it is a reservation's there (*resv). */
static uint16_t remap_unit(const struct dhcp6_worker *w, struct lease_addr6 a, uint8_t plen,
			   bool pd, uint16_t pool, uint8_t flags, bool *resv)
{
	const struct dhcp6_runtime *nx = w->next;
	struct rt6_resv *r;
	uint16_t q;

	*resv = false;
	switch (fate(nx, a, plen, pd, &q, &r)) {
	case F6_RESV:
		*resv = true;
		return q;
	case F6_MIRROR:
		return flags & LEASE6_F_NOUNIT ? NO_POOL6 : q;
	case F6_CARRIED:
		/* its bit: the one it held in the same pool, or a dropped
		 * reservation's that it held (the lease owns it now) */
		if (flags & LEASE6_F_RESERVED)
			return rt6_gone_find(nx, a, plen) ? q : NO_POOL6;
		return pool == (uint16_t)nx->pools[q].from ? q : NO_POOL6;
	default:
		return NO_POOL6;
	}
}

struct remap_ctx {
	struct dhcp6_worker *w;
	struct dhcp6_reconf *rc;
};

static int remap_lease(struct lease6 *l, void *arg)
{
	struct remap_ctx *x = arg;
	struct dhcp6_worker *w = x->w;
	const struct dhcp6_runtime *nx = w->next;
	bool resv;
	uint16_t q = remap_unit(w, l->addr, l->prefix_len, l->type == LEASE6_TYPE_PD, l->pool,
				l->flags, &resv);

	x->rc->leases++;
	l->pool = q;
	l->flags &= (uint8_t)~(LEASE6_F_RESERVED | LEASE6_F_NOUNIT);
	if (resv)
		l->flags |= LEASE6_F_RESERVED;
	if (q != NO_POOL6)
		l->subnet_id = nx->c6->subnets[nx->pools[q].subnet].id;
	/* in no pool (a reservation outside the pools is none), or its
	 * subnet is gone: kept until it expires or its client comes back */
	if (q == NO_POOL6 && (!resv || rt6_subnet_by_id(nx, l->subnet_id) < 0))
		x->rc->orphaned++;
	return 0;
}

static int gauge_lease(struct lease6 *l, void *arg)
{
	dhcp6_gauge(arg, l, +1);
	return 0;
}

static bool pool_same(const struct rt6_pool *a, const struct rt6_pool *b)
{
	return a->pd == b->pd && a->unit_len == b->unit_len && lease_addr6_eq(a->first, b->first) &&
	       lease_addr6_eq(a->last, b->last);
}

/* Counters follow their subnet (by id) and pool (by range); gauges are
 * counted again from the leases. */
static void stats_carry(struct dhcp6_worker *w, struct dhcp6_reconf *rc)
{
	const struct dhcp6_runtime *old = w->rt, *nx = rc->rt;

	for (unsigned i = 0; i < nx->c6->n_subnets; i++) {
		int o = rt6_subnet_by_id(old, nx->c6->subnets[i].id);

		memset(&rc->subnet[i], 0, sizeof(rc->subnet[i]));
		if (o < 0 || (unsigned)o >= w->st.n_subnets)
			continue;
		rc->subnet[i].cumulative_nas = w->st.subnet[o].cumulative_nas;
		rc->subnet[i].cumulative_pds = w->st.subnet[o].cumulative_pds;
		rc->subnet[i].reclaimed = w->st.subnet[o].reclaimed;
		rc->subnet[i].reclaimed_declined = w->st.subnet[o].reclaimed_declined;
	}
	for (uint32_t p = 0; p < nx->n_pools; p++) {
		const struct rt6_pool *np = &nx->pools[p];
		uint16_t o = rt6_pool_of(old, np->first, np->pd);

		memset(&rc->pool[p], 0, sizeof(rc->pool[p]));
		if (o != NO_POOL6 && pool_same(&old->pools[o], np)) {
			rc->pool[p].cumulative = w->st.pool[o].cumulative;
			rc->cursor[p] = w->cursor[o];
		} else {
			rc->cursor[p] = alloc6_size(np->ap) / w->n_workers * w->id;
		}
	}
}

int dhcp6_worker_switch(struct dhcp6_worker *w, struct dhcp6_reconf *rc)
{
	struct remap_ctx x = { w, rc };
	struct stats6_subnet *osub = w->st.subnet;
	struct stats6_pool *opool = w->st.pool;
	uint64_t *ocur = w->cursor;

	if (!rc || !rc->rt || w->next != rc->rt || !rc->subnet || !rc->pool || !rc->cursor)
		return -EINVAL;
	stats_carry(w, rc);
	rc->leases = rc->orphaned = 0;
	(void)lease6_table_foreach(w->lt, remap_lease, &x);
	for (uint32_t i = w->rq.head; i != w->rq.tail; i++) {
		struct rq6_entry *e = &w->rq.e[i & (w->rq.cap - 1)];
		bool resv;

		e->pool = remap_unit(w, e->addr, e->plen, e->flags & RQ6_F_PD, e->pool, e->flags,
				     &resv);
		e->flags &= (uint8_t)~(RQ6_F_RESERVED | RQ6_F_NOUNIT);
		if (resv)
			e->flags |= RQ6_F_RESERVED;
	}
	w->rt = rc->rt;
	w->conf = rc->conf;
	w->c6 = rc->rt->c6;
	w->next = NULL;
	w->st.subnet = rc->subnet;
	w->st.n_subnets = rc->rt->c6->n_subnets;
	w->st.pool = rc->pool;
	w->st.n_pools = rc->rt->n_pools;
	w->cursor = rc->cursor;
	(void)lease6_table_foreach(w->lt, gauge_lease, w);
	/* the old arrays go back for the caller to free */
	rc->subnet = osub;
	rc->pool = opool;
	rc->cursor = ocur;
	return 0;
}
