/* The shared DHCPv6 runtime of one configuration: an allocator per pool
 * and pd-pool, and the sorted tables subnet selection and reservations
 * are looked up in.  Built on the control thread, read by every worker.
 * A reload builds the next one from the running one
 * (dhcp6_runtime_create_from): a pool whose range and unit length are
 * unchanged carries its allocator over, bits and all; the workers then
 * move onto it as dhcp6_reconf.c says. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_priv.h"

static const struct dhcp6_runtime *sort_rt;     /* qsort has no context argument */

static int cmp_pool_first(const void *a, const void *b)
{
	const struct rt6_pool *pa = &sort_rt->pools[*(const uint32_t *)a];
	const struct rt6_pool *pb = &sort_rt->pools[*(const uint32_t *)b];

	return lease_addr6_cmp(pa->first, pb->first);
}

static int cmp_subnet_prefix(const void *a, const void *b)
{
	const struct conf6_subnet *sa = &sort_rt->c6->subnets[*(const uint32_t *)a];
	const struct conf6_subnet *sb = &sort_rt->c6->subnets[*(const uint32_t *)b];

	return lease_addr6_cmp(sa->prefix, sb->prefix);
}

static int cmp_resv(const void *a, const void *b)
{
	const struct rt6_resv *ra = a, *rb = b;
	int c = lease_addr6_cmp(ra->addr, rb->addr);

	return c ? c : (int)ra->len - (int)rb->len;
}

static int hkey_cmp(uint32_t sid, uint8_t type, const uint8_t *id, uint8_t len,
		    const struct rt6_hkey *k)
{
	if (sid != k->subnet_id)
		return sid < k->subnet_id ? -1 : 1;
	if (type != k->type)
		return type < k->type ? -1 : 1;
	if (len != k->len)
		return len < k->len ? -1 : 1;
	return memcmp(id, k->id, len);
}

static int cmp_hkey(const void *a, const void *b)
{
	const struct rt6_hkey *ka = a;

	return hkey_cmp(ka->subnet_id, ka->type, ka->id, ka->len, b);
}

/* A runtime that was never committed (a reload given up, or one that
 * failed half way) gives the carried allocators back to the runtime it
 * was made from, and the bits it took there for its new reservations. */
void dhcp6_runtime_free(struct dhcp6_runtime *rt)
{
	if (!rt)
		return;
	for (unsigned i = 0; rt->from && i < rt->n_resv; i++) {
		const struct rt6_resv *r = &rt->resv[i];
		uint16_t p = rt6_pool_of(rt, r->addr, r->len != 128);

		if (__atomic_load_n(&r->claimed, __ATOMIC_ACQUIRE) && p != NO_POOL6 &&
		    rt->pools[p].from >= 0)
			alloc6_release(rt->pools[p].ap, r->addr);
	}
	for (uint32_t i = 0; rt->pools && i < rt->n_pools; i++) {
		struct rt6_pool *p = &rt->pools[i];

		if (!p->owned)
			continue;
		if (rt->from && p->from >= 0)
			rt->from->pools[p->from].owned = true;
		else
			alloc6_pool_free(p->ap);
	}
	free(rt->pools);
	free(rt->subnets);
	free(rt->by_first);
	free(rt->by_prefix);
	free(rt->resv);
	free(rt->hkeys);
	free(rt->gone);
	free(rt);
}

static int add_pool(struct dhcp6_runtime *rt, unsigned s, unsigned index, bool pd,
		    struct lease_addr6 first, struct lease_addr6 last, uint8_t unit_len,
		    const struct conf6_option_set *opts, int cls, const struct conf6_pd_pool *pdp)
{
	struct rt6_pool *p = &rt->pools[rt->n_pools];
	struct dhcp6_runtime *old = rt->from;
	uint16_t q = old ? rt6_pool_of(old, first, pd) : NO_POOL6;

	p->from = -1;
	if (q != NO_POOL6 && old->pools[q].owned && old->pools[q].unit_len == unit_len &&
	    lease_addr6_eq(old->pools[q].first, first) && lease_addr6_eq(old->pools[q].last, last)) {
		/* the same range cut the same way: the same allocator */
		p->ap = old->pools[q].ap;
		p->from = q;
		old->pools[q].owned = false;
		rt->n_carried++;
	} else {
		/* A pool too large for a bitmap keeps its units in use in a set
		 * of this many (32 bytes each): 8 MiB a pool, room for 256k
		 * leases. */
		p->ap = alloc6_pool_create(&(struct alloc6_params){
			.first = first, .last = last, .unit_len = unit_len, .max_used = 1u << 18 });
		if (!p->ap)
			return -errno;
	}
	p->owned = true;
	p->first = first;
	p->last = last;
	p->unit_len = unit_len;
	p->pd = pd;
	p->subnet = s;
	p->index = index;
	p->options = opts;
	p->client_class = cls;
	p->pdp = pdp;
	rt->n_pools++;
	return 0;
}

/* The last unit of a pd-pool: its prefix with every bit between
 * prefix-len and delegated-len set. */
static struct lease_addr6 pd_last(const struct conf6_pd_pool *pp)
{
	struct lease_addr6 a = lease_addr6_mask(pp->prefix, pp->prefix_len);
	uint64_t n = pp->delegated_len - pp->prefix_len >= 64 ? UINT64_MAX
			: (1ULL << (pp->delegated_len - pp->prefix_len)) - 1;

	(void)lease_addr6_add_prefixes(&a, n, pp->delegated_len);
	return a;
}

static int build_pools(struct dhcp6_runtime *rt)
{
	const struct conf6 *c6 = rt->c6;
	uint32_t total = 0;

	for (unsigned s = 0; s < c6->n_subnets; s++)
		total += c6->subnets[s].n_pools + c6->subnets[s].n_pd_pools;
	if (total >= NO_POOL6)
		return -E2BIG;
	rt->pools = calloc(total ? total : 1, sizeof(*rt->pools));
	rt->subnets = calloc(c6->n_subnets ? c6->n_subnets : 1, sizeof(*rt->subnets));
	rt->by_first = calloc(total ? total : 1, sizeof(*rt->by_first));
	rt->by_prefix = calloc(c6->n_subnets ? c6->n_subnets : 1, sizeof(*rt->by_prefix));
	if (!rt->pools || !rt->subnets || !rt->by_first || !rt->by_prefix)
		return -ENOMEM;
	for (unsigned s = 0; s < c6->n_subnets; s++) {
		const struct conf6_subnet *sn = &c6->subnets[s];
		int ret;

		rt->subnets[s].na0 = rt->n_pools;
		for (unsigned i = 0; i < sn->n_pools; i++) {
			const struct conf6_pool *cp = &sn->pools[i];

			ret = add_pool(rt, s, i, false, cp->first, cp->last, 128, &cp->options,
				       cp->client_class, NULL);
			if (ret)
				return ret;
		}
		rt->subnets[s].pd0 = rt->n_pools;
		for (unsigned i = 0; i < sn->n_pd_pools; i++) {
			const struct conf6_pd_pool *pp = &sn->pd_pools[i];

			ret = add_pool(rt, s, i, true, lease_addr6_mask(pp->prefix, pp->prefix_len),
				       pd_last(pp), pp->delegated_len, &pp->options,
				       pp->client_class, pp);
			if (ret)
				return ret;
		}
		rt->subnets[s].end = rt->n_pools;
		rt->by_prefix[s] = s;
	}
	for (uint32_t i = 0; i < rt->n_pools; i++)
		rt->by_first[i] = i;
	sort_rt = rt;
	qsort(rt->by_first, rt->n_pools, sizeof(uint32_t), cmp_pool_first);
	qsort(rt->by_prefix, c6->n_subnets, sizeof(uint32_t), cmp_subnet_prefix);
	return 0;
}

/* Reservations: the identifiers sorted for lookup, the addresses and
 * prefixes sorted for the "is it somebody's" check, and a reserved unit
 * inside a pool taken for good, so the pool never hands it out. */
static int build_hosts(struct dhcp6_runtime *rt)
{
	const struct conf6 *c6 = rt->c6;
	unsigned n_resv = 0;

	for (unsigned h = 0; h < c6->n_hosts; h++)
		n_resv += c6->hosts[h].n_addrs + c6->hosts[h].n_prefixes;
	rt->hkeys = calloc(c6->n_hosts ? c6->n_hosts : 1, sizeof(*rt->hkeys));
	rt->resv = calloc(n_resv ? n_resv : 1, sizeof(*rt->resv));
	if (!rt->hkeys || !rt->resv)
		return -ENOMEM;
	for (unsigned h = 0; h < c6->n_hosts; h++) {
		const struct conf6_host *ho = &c6->hosts[h];

		rt->hkeys[rt->n_hkeys++] = (struct rt6_hkey){
			.subnet_id = ho->subnet_id, .type = ho->id_type, .len = ho->id_len,
			.id = ho->id, .host = h };
		for (unsigned i = 0; i < ho->n_addrs; i++)
			rt->resv[rt->n_resv++] = (struct rt6_resv){ ho->addrs[i], 128, h };
		for (unsigned i = 0; i < ho->n_prefixes; i++)
			rt->resv[rt->n_resv++] = (struct rt6_resv){
				ho->prefixes[i].prefix, ho->prefixes[i].len, h };
	}
	qsort(rt->hkeys, rt->n_hkeys, sizeof(*rt->hkeys), cmp_hkey);
	qsort(rt->resv, rt->n_resv, sizeof(*rt->resv), cmp_resv);
	for (unsigned i = 0; i < rt->n_resv; i++) {
		struct rt6_resv *r = &rt->resv[i];
		uint16_t p = rt6_pool_of(rt, r->addr, r->len != 128);

		if (p == NO_POOL6 || rt->pools[p].unit_len != r->len)
			continue;
		if (rt->pools[p].from < 0) {
			(void)alloc6_claim(rt->pools[p].ap, r->addr);   /* a pool of its own: fresh */
			continue;
		}
		/* A carried pool, live: its bit is the old reservation's
		 * already, or free (taken now), or a lease's (taken when
		 * that lease ends, or by dhcp6_runtime_open). */
		if (rt6_reserved(rt->from, r->addr, r->len))
			continue;
		if (alloc6_claim(rt->pools[p].ap, r->addr) == 0)
			r->claimed = 1;
		else
			r->pending = 1;
	}
	return 0;
}

/* The old runtime's reservations in carried pools that this one drops. */
static int build_gone(struct dhcp6_runtime *rt)
{
	const struct dhcp6_runtime *old = rt->from;

	rt->gone = calloc(old->n_resv ? old->n_resv : 1, sizeof(*rt->gone));
	if (!rt->gone)
		return -ENOMEM;
	for (unsigned i = 0; i < old->n_resv; i++) {
		const struct rt6_resv *r = &old->resv[i];
		uint16_t p = rt6_pool_of(rt, r->addr, r->len != 128);

		if (p == NO_POOL6 || rt->pools[p].from < 0 || rt->pools[p].unit_len != r->len ||
		    rt6_reserved(rt, r->addr, r->len))
			continue;
		if (i && lease_addr6_eq(old->resv[i - 1].addr, r->addr) && old->resv[i - 1].len == r->len)
			continue;               /* two hosts named it: one bit */
		rt->gone[rt->n_gone++] = (struct rt6_gone){ r->addr, r->len, 0, p };
	}
	return 0;
}

static struct dhcp6_runtime *rt_build(const struct conf *c, const uint8_t *duid,
				       uint8_t duid_len, struct dhcp6_runtime *old)
{
	struct dhcp6_runtime *rt;
	int ret;

	if (!c || !c->v6 || !duid || !duid_len || duid_len > DHCP6_DUID_MAX) {
		errno = EINVAL;
		return NULL;
	}
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->conf = c;
	rt->c6 = c->v6;
	rt->from = old;
	memcpy(rt->duid, duid, duid_len);
	rt->duid_len = duid_len;
	ret = build_pools(rt);
	if (!ret)
		ret = build_hosts(rt);
	if (!ret && old)
		ret = build_gone(rt);
	if (ret) {
		dhcp6_runtime_free(rt);
		errno = -ret;
		return NULL;
	}
	/* its own pools wait for every worker to be prepared */
	rt->closed = old && rt->n_carried < rt->n_pools;
	return rt;
}

struct dhcp6_runtime *dhcp6_runtime_create(const struct conf *c, const uint8_t *duid,
					   uint8_t duid_len)
{
	return rt_build(c, duid, duid_len, NULL);
}

struct dhcp6_runtime *dhcp6_runtime_create_from(const struct conf *c, struct dhcp6_runtime *old)
{
	if (!old || old->from) {
		errno = EINVAL;         /* none, or not committed yet itself */
		return NULL;
	}
	return rt_build(c, old->duid, old->duid_len, old);
}

uint32_t dhcp6_runtime_carried(const struct dhcp6_runtime *rt)
{
	return rt ? rt->n_carried : 0;
}

/* Every worker is prepared: each of their leases holds its unit here, so
 * the own pools may open.  A new reservation in a carried pool whose bit
 * a lease had at build is taken now if that lease has ended meanwhile
 * (one that ends later hands it over itself, dhcp6_mirror_give).  A failed
 * claim with nobody holding the reservation is a take in flight that the
 * next runtime refuses (dhcp6_mirror_take): it gives the bit back at
 * once, so look again a few times. */
void dhcp6_runtime_open(struct dhcp6_runtime *rt)
{
	for (unsigned i = 0; rt->from && i < rt->n_resv; i++) {
		struct rt6_resv *r = &rt->resv[i];
		uint16_t p = rt6_pool_of(rt, r->addr, r->len != 128);

		if (!r->pending || p == NO_POOL6)
			continue;
		for (unsigned tries = 0; tries < 1000; tries++) {
			if (__atomic_load_n(&r->held, __ATOMIC_ACQUIRE) ||
			    __atomic_load_n(&r->claimed, __ATOMIC_ACQUIRE))
				break;
			if (alloc6_claim(rt->pools[p].ap, r->addr) == 0) {
				__atomic_store_n(&r->claimed, 1, __ATOMIC_RELEASE);
				break;
			}
			sched_yield();
		}
	}
	__atomic_store_n(&rt->closed, 0, __ATOMIC_RELEASE);
}

/* Every worker switched to rt: the reservations it dropped in carried
 * pools give their bit back unless a lease held one at its switch (that
 * lease owns the bit now).  Then rt no longer refers to the old runtime,
 * which can be freed. */
void dhcp6_runtime_commit(struct dhcp6_runtime *rt)
{
	if (!rt || !rt->from)
		return;
	for (unsigned i = 0; i < rt->n_gone; i++)
		if (!__atomic_load_n(&rt->gone[i].held, __ATOMIC_ACQUIRE))
			alloc6_release(rt->pools[rt->gone[i].pool].ap, rt->gone[i].addr);
	rt->from = NULL;
}

int dhcp6_runtime_pool_line(const struct dhcp6_runtime *rt, uint32_t p)
{
	const struct rt6_pool *rp;

	if (p >= rt->n_pools)
		return 0;
	rp = &rt->pools[p];
	return rp->pdp ? rp->pdp->line : rt->c6->subnets[rp->subnet].pools[rp->index].line;
}

uint32_t dhcp6_runtime_pool_count(const struct dhcp6_runtime *rt)
{
	return rt->n_pools;
}

const uint8_t *dhcp6_runtime_duid(const struct dhcp6_runtime *rt, uint8_t *len)
{
	*len = rt->duid_len;
	return rt->duid;
}

int dhcp6_runtime_pool_info(const struct dhcp6_runtime *rt, uint32_t p, unsigned *subnet,
			    unsigned *index, bool *pd, uint64_t *size, uint64_t *used)
{
	if (p >= rt->n_pools)
		return -ENOENT;
	*subnet = rt->pools[p].subnet;
	*index = rt->pools[p].index;
	*pd = rt->pools[p].pd;
	*size = alloc6_size(rt->pools[p].ap);
	if (used)
		*used = alloc6_used(rt->pools[p].ap);
	return 0;
}

static uint16_t pool_find(const struct dhcp6_runtime *rt, struct lease_addr6 a, bool pd,
			  bool aligned)
{
	int lo = 0, hi = (int)rt->n_pools - 1, r = -1;
	const struct rt6_pool *p;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (lease_addr6_cmp(rt->pools[rt->by_first[mid]].first, a) <= 0) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	/* an address pool and a pd-pool may share a range: look back past
	 * pools of the other kind that start at the same unit */
	for (; r >= 0; r--) {
		p = &rt->pools[rt->by_first[r]];
		if (lease_addr6_cmp(a, p->last) <= 0 && p->pd == pd &&
		    (!aligned || alloc6_contains(p->ap, a)))
			return (uint16_t)rt->by_first[r];
		if (p->pd == pd)
			break;
	}
	return NO_POOL6;
}

uint16_t rt6_pool_of(const struct dhcp6_runtime *rt, struct lease_addr6 a, bool pd)
{
	return pool_find(rt, a, pd, true);
}

uint16_t rt6_pool_over(const struct dhcp6_runtime *rt, struct lease_addr6 a, bool pd)
{
	return pool_find(rt, a, pd, false);
}

int rt6_subnet_of(const struct dhcp6_runtime *rt, struct lease_addr6 a)
{
	int lo = 0, hi = (int)rt->c6->n_subnets - 1, r = -1;
	const struct conf6_subnet *sn;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (lease_addr6_cmp(rt->c6->subnets[rt->by_prefix[mid]].prefix, a) <= 0) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (r < 0)
		return -1;
	sn = &rt->c6->subnets[rt->by_prefix[r]];
	return lease_addr6_in_prefix(a, sn->prefix, sn->prefix_len) ? (int)rt->by_prefix[r] : -1;
}

int rt6_subnet_by_id(const struct dhcp6_runtime *rt, uint32_t id)
{
	const struct conf6_subnet *sn = conf6_subnet_by_id(rt->c6, id);

	return sn ? (int)(sn - rt->c6->subnets) : -1;
}

struct rt6_resv *rt6_reserved(const struct dhcp6_runtime *rt, struct lease_addr6 a, uint8_t len)
{
	struct rt6_resv key = { .addr = a, .len = len };

	if (!rt->n_resv)
		return NULL;
	return bsearch(&key, rt->resv, rt->n_resv, sizeof(key), cmp_resv);
}

static int cmp_gone(const void *a, const void *b)
{
	const struct rt6_gone *ga = a, *gb = b;
	int c = lease_addr6_cmp(ga->addr, gb->addr);

	return c ? c : (int)ga->len - (int)gb->len;
}

struct rt6_gone *rt6_gone_find(const struct dhcp6_runtime *rt, struct lease_addr6 a, uint8_t len)
{
	struct rt6_gone key = { .addr = a, .len = len };

	if (!rt->n_gone)
		return NULL;
	return bsearch(&key, rt->gone, rt->n_gone, sizeof(key), cmp_gone);
}

const struct conf6_host *rt6_host_find(const struct dhcp6_runtime *rt, uint32_t subnet_id,
				       uint8_t type, const uint8_t *id, uint8_t len)
{
	int lo = 0, hi = (int)rt->n_hkeys - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = hkey_cmp(subnet_id, type, id, len, &rt->hkeys[mid]);

		if (!c)
			return &rt->c6->hosts[rt->hkeys[mid].host];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}
