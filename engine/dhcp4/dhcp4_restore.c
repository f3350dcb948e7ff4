/* Start-up restore: the persisted records go into the owning workers'
 * tables and the allocator before the workers serve.  A later record for
 * an address overrides earlier ones, whichever worker holds them: each
 * worker keeps an address index (addr_index.h) until it starts serving. */
#include <errno.h>

#include "dhcp4_priv.h"

/* Find the lease restored for addr, in any worker of this runtime. */
static struct lease4 *restore_holder(struct dhcp4_runtime *rt, uint32_t addr,
				     struct dhcp4_worker **wp)
{
	unsigned i;

	for (i = 0; i < rt->n_workers; i++) {
		struct lease4 *l;

		if (!rt->workers[i])
			continue;
		l = addr_index_get(&rt->workers[i]->ridx, addr);
		if (l) {
			*wp = rt->workers[i];
			return l;
		}
	}
	return NULL;
}

int dhcp4_restore(struct dhcp4_worker *w, const struct lease_rec *r)
{
	struct dhcp4_runtime *rt = w->rt;
	struct dhcp4_worker *hw;
	struct lease4 *l, *held;
	struct lease_key k;
	uint16_t p;
	bool existed;
	int s, ret;

	if (!r)
		return -EINVAL;
	dhcp4_rec_key(r, w->conf->match_client_id, &k);
	/* A later record for an address overrides earlier ones (memfile
	 * semantics), whoever the earlier client was. */
	held = restore_holder(rt, r->addr, &hw);
	if (held)
		dhcp4_lease_drop(hw, held, 0);
	/* Deletions, reclaimed and expired leases leave the address free. */
	if (!r->valid_lft || r->state == LEASE_STATE_EXPIRED_RECLAIMED || r->expire <= w->now)
		return 0;
	if (r->state != LEASE_STATE_DEFAULT && r->state != LEASE_STATE_DECLINED)
		return -EINVAL;
	/* One lease per client: a newer address replaces the older one. */
	l = lease_table_lookup(w->lt, &k);
	if (l)
		dhcp4_lease_drop(w, l, 0);

	p = rt_pool_of(rt, r->addr);
	ret = dhcp4_addr_take(rt, p, r->addr);
	if (ret)
		return ret;                     /* held by a lease we cannot see */
	l = lease_table_insert(w->lt, &k, &existed);
	if (!l) {
		dhcp4_addr_give(rt, p, r->addr);
		return -ENOMEM;
	}
	l->addr = r->addr;
	l->pool = p;
	if (p != NO_POOL)
		s = (int)rt->pools[p].subnet;
	else
		s = rt_subnet_of(rt, r->addr);
	l->subnet_id = s >= 0 ? w->conf->subnets[s].id : r->subnet_id;
	if (dhcp4_lease_from_rec(w, l, r, k.kind))
		goto err_nomem;
	addr_own(w, l);
	ret = addr_index_put(&w->ridx, l->addr, l);
	if (ret)
		goto err_nomem;
	dhcp4_gauge(w, l, +1);
	lease_table_touch(w->lt, l);
	return 0;
err_nomem:
	addr_release(w, l);
	lease_table_remove(w->lt, l);
	return -ENOMEM;
}
