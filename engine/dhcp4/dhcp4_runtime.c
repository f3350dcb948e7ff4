/* The runtime of a configuration, shared by every worker: one address
 * allocator per pool, the lookups by address, relay, prefix and subnet id,
 * and the host reservations with which lease holds each reserved address.
 * Built on the control thread; a reload carries over the allocator of every
 * pool whose range is unchanged (dhcp4_runtime_create_from). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4_priv.h"

#define MAX_POOLS        (NO_POOL - 1)

static int rt_key_cmp(const void *a, const void *b)
{
	const struct rt_key *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* by_first: pool indexes ordered by first address (qsort has no context
 * argument in C11, so sort (first, index) pairs). */
static int sort_pools(struct dhcp4_runtime *rt)
{
	struct rt_key *tmp = calloc(rt->n_pools ? rt->n_pools : 1, sizeof(*tmp));
	uint32_t i;

	if (!tmp)
		return -ENOMEM;
	for (i = 0; i < rt->n_pools; i++) {
		tmp[i].key = rt->pools[i].first;
		tmp[i].subnet = i;
	}
	qsort(tmp, rt->n_pools, sizeof(*tmp), rt_key_cmp);
	for (i = 0; i < rt->n_pools; i++)
		rt->by_first[i] = (uint16_t)tmp[i].subnet;
	free(tmp);
	return 0;
}

void dhcp4_runtime_free(struct dhcp4_runtime *rt)
{
	uint32_t i;

	if (!rt)
		return;
	/* A reload given up: the bits claimed for new reservations in
	 * carried pools go back before the pools do. */
	for (i = 0; rt->from && rt->claimed && i < dhcp4_hosts_count(rt->hosts); i++) {
		uint32_t a = dhcp4_hosts_get(rt->hosts, i)->addr;
		uint16_t p = rt_pool_of(rt, a);

		if (rt->claimed[i] && p != NO_POOL)
			alloc_release(rt->pools[p].ap, a);
	}
	if (rt->pools)
		for (i = 0; i < rt->n_pools; i++) {
			struct rt_pool *p = &rt->pools[i];

			if (!p->owned)
				continue;
			if (rt->from && p->from >= 0)   /* a reload given up: hand it back */
				rt->from->pools[p->from].owned = true;
			else
				alloc_pool_free(p->ap);
		}
	free(rt->pools);
	free(rt->by_first);
	free(rt->subnet_pool0);
	free(rt->relays);
	free(rt->prefixes);
	free(rt->ids);
	free(rt->workers);
	dhcp4_hosts_free(rt->hosts);
	free(rt->held);
	free(rt->claimed);
	addr_owner_free(rt->outside);
	free(rt);
}

/* Index of old's pool with exactly [first, last], or -1. */
static int32_t rt_same_pool(const struct dhcp4_runtime *old, uint32_t first, uint32_t last)
{
	uint32_t i;

	for (i = 0; old && i < old->n_pools; i++)
		if (old->pools[i].owned && old->pools[i].first == first && old->pools[i].last == last)
			return (int32_t)i;
	return -1;
}

static struct dhcp4_runtime *rt_build(const struct conf *c, struct dhcp4_runtime *old);

/* Room in the index of addresses outside the pools: every address of the
 * subnets that no pool covers (then it can never overflow), up to 2^18
 * (2 MiB); past that an overflow only makes lookups of such addresses ask
 * every worker. */
#define OUTSIDE_MAX (1u << 18)
static uint32_t rt_outside_room(const struct conf *c)
{
	uint64_t n = 0;
	unsigned s, j;

	for (s = 0; s < c->n_subnets; s++) {
		const struct conf_subnet *sn = &c->subnets[s];
		uint64_t size = (uint64_t)(uint32_t)~sn->mask + 1;

		for (j = 0; j < sn->n_pools; j++) {
			uint64_t p = (uint64_t)sn->pools[j].last - sn->pools[j].first + 1;

			size -= p < size ? p : size;
		}
		n += size;
	}
	return (uint32_t)(n < OUTSIDE_MAX ? n : OUTSIDE_MAX);
}

struct dhcp4_runtime *dhcp4_runtime_create(const struct conf *c)
{
	return rt_build(c, NULL);
}

struct dhcp4_runtime *dhcp4_runtime_create_from(const struct conf *c, struct dhcp4_runtime *old)
{
	struct dhcp4_runtime *rt;

	if (!old) {
		errno = EINVAL;
		return NULL;
	}
	rt = rt_build(c, old);
	if (!rt)
		return NULL;
	/* Workers by id, so that dhcp4_worker_free finds its slot. */
	if (old->n_workers) {
		rt->workers = calloc(old->n_workers, sizeof(*rt->workers));
		if (!rt->workers) {
			dhcp4_runtime_free(rt);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(rt->workers, old->workers, old->n_workers * sizeof(*rt->workers));
		rt->n_workers = old->n_workers;
	}
	return rt;
}

/* The reservations the reload dropped: an in-pool address whose bit was
 * the old reservation's and that no lease held when the workers switched
 * (old->held is final then: the old runtime serves no more) is free
 * again.  Only carried pools have such a bit; a new bitmap never had it. */
void dhcp4_runtime_commit(struct dhcp4_runtime *rt)
{
	struct dhcp4_runtime *old;
	unsigned i;

	if (!rt)
		return;
	old = rt->from;
	for (i = 0; old && i < dhcp4_hosts_count(old->hosts); i++) {
		uint32_t a = dhcp4_hosts_get(old->hosts, i)->addr;
		uint16_t p = rt_pool_of(rt, a);

		if (!a || p == NO_POOL || rt->pools[p].from < 0 || dhcp4_hosts_reserved(rt->hosts, a) ||
		    __atomic_load_n(&old->held[i], __ATOMIC_ACQUIRE))
			continue;
		alloc_release(rt->pools[p].ap, a);
	}
	rt->from = NULL;
}

uint32_t dhcp4_runtime_carried(const struct dhcp4_runtime *rt)
{
	return rt ? rt->n_carried : 0;
}

int dhcp4_runtime_pool_info(const struct dhcp4_runtime *rt, uint32_t p, unsigned *subnet,
			    unsigned *index_in_subnet, uint32_t *first, uint32_t *last)
{
	if (!rt || p >= rt->n_pools)
		return -EINVAL;
	if (subnet)
		*subnet = rt->pools[p].subnet;
	if (index_in_subnet)
		*index_in_subnet = rt->pools[p].index;
	if (first)
		*first = rt->pools[p].first;
	if (last)
		*last = rt->pools[p].last;
	return 0;
}

static struct dhcp4_runtime *rt_build(const struct conf *c, struct dhcp4_runtime *old)
{
	struct dhcp4_runtime *rt;
	unsigned s, j, n_relays = 0;
	uint32_t n_pools = 0, p;
	int err = ENOMEM;

	if (!c || (c->n_subnets && !c->subnets)) {
		errno = EINVAL;
		return NULL;
	}
	for (s = 0; s < c->n_subnets; s++) {
		n_pools += c->subnets[s].n_pools;
		n_relays += c->subnets[s].n_relay_addrs;
	}
	if (n_pools > MAX_POOLS) {
		errno = E2BIG;
		return NULL;
	}
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		goto err;
	rt->conf = c;
	rt->from = old;
	rt->pools = calloc(n_pools ? n_pools : 1, sizeof(*rt->pools));
	rt->by_first = calloc(n_pools ? n_pools : 1, sizeof(*rt->by_first));
	rt->subnet_pool0 = calloc(c->n_subnets + 1, sizeof(*rt->subnet_pool0));
	rt->relays = calloc(n_relays ? n_relays : 1, sizeof(*rt->relays));
	rt->prefixes = calloc(c->n_subnets ? c->n_subnets : 1, sizeof(*rt->prefixes));
	rt->ids = calloc(c->n_subnets ? c->n_subnets : 1, sizeof(*rt->ids));
	if (!rt->pools || !rt->by_first || !rt->subnet_pool0 || !rt->relays ||
	    !rt->prefixes || !rt->ids)
		goto err;

	for (p = 0, s = 0; s < c->n_subnets; s++) {
		const struct conf_subnet *sn = &c->subnets[s];

		rt->subnet_pool0[s] = p;
		for (j = 0; j < sn->n_pools; j++, p++) {
			rt->pools[p].first = sn->pools[j].first;
			rt->pools[p].last = sn->pools[j].last;
			rt->pools[p].subnet = s;
			rt->pools[p].index = j;
			rt->pools[p].from = rt_same_pool(old, sn->pools[j].first, sn->pools[j].last);
			rt->pools[p].owned = true;
			if (rt->pools[p].from >= 0) {
				/* unchanged range: the bitmap moves with its bits */
				rt->pools[p].ap = old->pools[rt->pools[p].from].ap;
				old->pools[rt->pools[p].from].owned = false;
				rt->n_carried++;
			} else {
				rt->pools[p].ap = alloc_pool_create(sn->pools[j].first, sn->pools[j].last);
			}
			if (!rt->pools[p].ap) {
				err = errno ? errno : ENOMEM;
				rt->n_pools = p;
				goto err;
			}
			rt->by_first[p] = (uint16_t)p;
		}
		for (j = 0; j < sn->n_relay_addrs; j++) {
			rt->relays[rt->n_relays].key = sn->relay_addrs[j];
			rt->relays[rt->n_relays++].subnet = s;
		}
		rt->prefixes[s].key = sn->prefix & sn->mask;
		rt->prefixes[s].subnet = s;
		rt->ids[s].key = sn->id;
		rt->ids[s].subnet = s;
	}
	rt->subnet_pool0[c->n_subnets] = p;
	rt->n_pools = n_pools;

	if (sort_pools(rt))
		goto err;
	rt->outside = addr_owner_create(rt_outside_room(c));
	if (!rt->outside)
		goto err;
	if (c->policy && c->policy->n_hosts) {
		struct dhcp4_hosts_params hp = {
			.hosts = c->policy->hosts, .n_hosts = c->policy->n_hosts,
			.order = c->policy->hr_order, .n_order = c->policy->n_hr_order,
			.flex = c->policy->flex_expr,
		};
		unsigned n;

		rt->hosts = dhcp4_hosts_create(&hp);
		if (!rt->hosts) {
			err = errno ? errno : ENOMEM;
			goto err;
		}
		n = dhcp4_hosts_count(rt->hosts);
		rt->held = calloc(n ? n : 1, 1);
		rt->claimed = calloc(n ? n : 1, 1);
		if (!rt->held || !rt->claimed)
			goto err;
		/* dhcp4_hosts_claim() without the counts, because a reload
		 * given up must know which bits of carried pools to give
		 * back.  A bit already set belongs to a lease (or to the same
		 * reservation in the old config) and passes to the
		 * reservation when that lease ends. */
		for (j = 0; j < n; j++) {
			uint32_t a = dhcp4_hosts_get(rt->hosts, j)->addr;
			uint16_t hp_ = a ? rt_pool_of(rt, a) : NO_POOL;

			if (hp_ != NO_POOL && alloc_claim(rt->pools[hp_].ap, a) == 0)
				rt->claimed[j] = rt->pools[hp_].from >= 0;
		}
	}
	/* Stable order for equal keys is not needed: the first relay listing
	 * an address wins only if conf has duplicates, which it rejects. */
	qsort(rt->relays, rt->n_relays, sizeof(*rt->relays), rt_key_cmp);
	qsort(rt->prefixes, c->n_subnets, sizeof(*rt->prefixes), rt_key_cmp);
	qsort(rt->ids, c->n_subnets, sizeof(*rt->ids), rt_key_cmp);
	return rt;
err:
	dhcp4_runtime_free(rt);
	errno = err;
	return NULL;
}

uint32_t dhcp4_runtime_pool_count(const struct dhcp4_runtime *rt)
{
	return rt ? rt->n_pools : 0;
}
