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

			free(p->seen);          /* the copy's, not the bitmap's */
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
	free(rt->contested);
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
	dhcp4_runtime_seed(rt);
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

/* Once no worker uses `from` any more (every lease remapped): its held
 * flags are final.
 *  - A reservation the reload dropped: an in-pool address whose bit was
 *    the old reservation's (in a carried pool, or copied into a new one
 *    from a frozen pool) and that no lease held is free again.
 *  - A reservation it added whose bit a lease held when the runtime was
 *    built: if that lease has ended, the bit is the reservation's now (a
 *    worker that finds it free first keeps it set, see take_for).
 *  - Contested reservations can be taken from now on. */
void dhcp4_runtime_commit(struct dhcp4_runtime *rt)
{
	struct dhcp4_runtime *old;
	unsigned i;

	if (!rt)
		return;
	old = rt->from;
	for (i = 0; old && i < dhcp4_hosts_count(old->hosts); i++) {
		uint32_t a = dhcp4_hosts_get(old->hosts, i)->addr;
		uint16_t p = rt_pool_of(rt, a), q = a ? rt_pool_of(old, a) : NO_POOL;

		if (!a || p == NO_POOL || dhcp4_hosts_reserved(rt->hosts, a) ||
		    __atomic_load_n(&old->held[i], __ATOMIC_ACQUIRE))
			continue;
		if (rt->pools[p].from < 0 && q == NO_POOL)
			continue;               /* not in an old pool: never copied */
		alloc_release(rt->pools[p].ap, a);
	}
	for (i = 0; old && i < dhcp4_hosts_count(rt->hosts); i++) {
		uint32_t a = dhcp4_hosts_get(rt->hosts, i)->addr;
		uint16_t p = a ? rt_pool_of(rt, a) : NO_POOL;

		if (p != NO_POOL && rt->pools[p].from >= 0 && !rt->claimed[i] &&
		    alloc_claim(rt->pools[p].ap, a) == 0)
			rt->claimed[i] = 1;
	}
	for (i = 0; rt->contested && i < dhcp4_hosts_count(rt->hosts); i++)
		__atomic_store_n(&rt->contested[i], 0, __ATOMIC_RELEASE);
	rt->from = NULL;
}

static bool pools_overlap(const struct rt_pool *a, const struct rt_pool *b)
{
	return a->first <= b->last && b->first <= a->last;
}

/* Old pools whose addresses a new (not carried) pool of rt takes over. */
static bool replaced(const struct dhcp4_runtime *rt, uint32_t q)
{
	uint32_t p;

	if (!rt->from->pools[q].owned)
		return false;                   /* carried: the same bitmap */
	for (p = 0; p < rt->n_pools; p++)
		if (rt->pools[p].from < 0 && pools_overlap(&rt->pools[p], &rt->from->pools[q]))
			return true;
	return false;
}

/* New and resized pools start from their reservations only; the copy
 * from the old pools follows (dhcp4_runtime_seed). */
static int pools_reset(struct dhcp4_runtime *rt)
{
	uint32_t p, i;

	for (p = 0; p < rt->n_pools; p++) {
		struct rt_pool *np = &rt->pools[p];
		size_t nw = alloc_seen_words(np->ap);

		if (np->from >= 0)
			continue;               /* carried: the bits moved with it */
		if (!np->seen)
			np->seen = calloc(nw, sizeof(*np->seen));
		if (!np->seen)
			return -ENOMEM;
		memset(np->seen, 0, nw * sizeof(*np->seen));
		alloc_pool_reset(np->ap);
		for (i = 0; i < dhcp4_hosts_count(rt->hosts); i++) {
			uint32_t a = dhcp4_hosts_get(rt->hosts, i)->addr;

			if (a && alloc_contains(np->ap, a))
				alloc_claim(np->ap, a);
		}
	}
	return 0;
}

unsigned dhcp4_runtime_freeze(struct dhcp4_runtime *rt)
{
	struct dhcp4_runtime *old = rt ? rt->from : NULL;
	unsigned n = 0;
	uint32_t q;

	if (!old || pools_reset(rt))
		return 0;
	/* next before the flags: whoever sees a pool frozen finds it */
	__atomic_store_n(&old->next, rt, __ATOMIC_SEQ_CST);
	for (q = 0; q < old->n_pools; q++)
		if (replaced(rt, q)) {
			__atomic_store_n(&old->pools[q].frozen, 1, __ATOMIC_SEQ_CST);
			n++;
		}
	__atomic_store_n(&old->n_frozen, n, __ATOMIC_SEQ_CST);
	return n;
}

void dhcp4_runtime_thaw(struct dhcp4_runtime *rt)
{
	struct dhcp4_runtime *old = rt ? rt->from : NULL;
	uint32_t q;

	if (!old)
		return;
	__atomic_store_n(&old->n_frozen, 0, __ATOMIC_SEQ_CST);
	for (q = 0; q < old->n_pools; q++)
		__atomic_store_n(&old->pools[q].frozen, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&old->next, NULL, __ATOMIC_SEQ_CST);
}

/* A worker of the old runtime took addr in a frozen pool: claim it in the
 * new pool too.  0: it is this worker's; -EBUSY: someone of the new
 * runtime has it (the caller gives it back).  A failed claim whose bit the
 * copy marked is still ours: the copy read our bit (a frozen pool frees
 * nothing, so that bit cannot be an earlier holder's).  Otherwise only a
 * worker already on the new runtime can have set it. */
int dhcp4_runtime_mirror(const struct dhcp4_runtime *old, uint32_t addr)
{
	const struct dhcp4_runtime *rt = __atomic_load_n(&old->next, __ATOMIC_ACQUIRE);
	uint16_t p;

	if (!rt)
		return 0;                       /* thawed: the reload was given up */
	if (rt_reserved(rt, addr))
		return -EBUSY;                  /* reserved from now on: not for a pool */
	p = rt_pool_of(rt, addr);
	if (p == NO_POOL || rt->pools[p].from >= 0 || !rt->pools[p].seen)
		return 0;
	if (alloc_claim(rt->pools[p].ap, addr) == 0 ||
	    alloc_seen(rt->pools[p].ap, rt->pools[p].seen, addr))
		return 0;
	return -EBUSY;
}

/* May a lease of `from` (not remapped yet) hold reserved address a?
 * Only "no" when that is certain: a carried pool's bit this runtime
 * claimed at build, or a new pool whose old pool had a's bit free. */
static bool maybe_held(const struct dhcp4_runtime *rt, unsigned i, uint32_t a)
{
	const struct dhcp4_runtime *old = rt->from;
	uint16_t p = rt_pool_of(rt, a), q;

	if (p == NO_POOL)
		return true;                    /* an orphan of old has no bit */
	if (rt->pools[p].from >= 0)
		return !rt->claimed[i];
	q = rt_pool_of(old, a);
	return q == NO_POOL || alloc_in_use(old->pools[q].ap, a) || rt_reserved(old, a);
}

int dhcp4_runtime_seed(struct dhcp4_runtime *rt)
{
	struct dhcp4_runtime *old;
	unsigned i, n = 0;
	uint32_t p, q;

	if (!rt || !rt->from)
		return 0;
	old = rt->from;
	/* Frozen by this reload: the pools were reset then, and the old
	 * runtime's workers may have claimed bits in them since. */
	if (__atomic_load_n(&old->next, __ATOMIC_ACQUIRE) != rt && pools_reset(rt))
		return -ENOMEM;
	for (p = 0; p < rt->n_pools; p++) {
		struct rt_pool *np = &rt->pools[p];

		if (np->from >= 0)
			continue;
		for (q = 0; q < old->n_pools; q++)
			if (old->pools[q].owned && pools_overlap(np, &old->pools[q]))
				n += alloc_copy_in_use(np->ap, old->pools[q].ap, NULL, NULL, np->seen);
	}
	for (i = 0; rt->contested && i < dhcp4_hosts_count(rt->hosts); i++) {
		uint32_t a = dhcp4_hosts_get(rt->hosts, i)->addr;

		__atomic_store_n(&rt->contested[i], a && maybe_held(rt, i, a), __ATOMIC_RELEASE);
	}
	return (int)n;
}

bool dhcp4_runtime_in_use(const struct dhcp4_runtime *rt, uint32_t addr)
{
	uint16_t p = rt ? rt_pool_of(rt, addr) : NO_POOL;

	return p != NO_POOL && alloc_in_use(rt->pools[p].ap, addr);
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
	rt->gen = old ? (uint8_t)(old->gen % 255 + 1) : 1;
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
		rt->contested = old ? calloc(n ? n : 1, 1) : NULL;
		if (!rt->held || !rt->claimed || (old && !rt->contested))
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
