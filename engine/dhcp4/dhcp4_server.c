/* DHCPv4 server logic (RFC 2131/2132): one parsed request in, at most one
 * reply out, on the worker that owns the client.
 *
 * Everything a request touches is either this worker's own (lease table,
 * stats, pool cursors) or lock free and shared (the allocator bitmaps, the
 * write-behind ring of this worker).  Nothing here allocates, locks, logs
 * or makes a system call per packet; the only allocations are the lease
 * table's own (growth, long client-ids).
 *
 * Addresses are host byte order everywhere except in struct dhcp4_hdr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cls.h"
#include "conf_ext.h"
#include "dhcp4_hosts.h"
#include "dhcp4_optsel.h"
#include "dhcp4_server.h"
#include "lease_backend.h"
#include "lease_table.h"
#include "wb.h"

#define NO_POOL          UINT16_MAX
#define MAX_POOLS        (NO_POOL - 1)
#define DEFAULT_CAPACITY 1024u
#define DEFAULT_OFFER_LIFETIME 60u
#define DEFAULT_RELEASE_QUEUE (1u << 15)
#define RFC_MIN_MSG      576u           /* RFC 2131 §2: every client takes 576 */
#define IP_UDP_HLEN      28u
#define RAI_LINK_SELECTION 5            /* RFC 3527 sub-option of option 82 */

#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- runtime: the shared part, built once per configuration ---------- */

struct rt_pool {
	struct alloc_pool *ap;
	uint32_t first, last;
	unsigned subnet;                /* index into conf->subnets */
	unsigned index;                 /* position in its subnet's pools */
	bool owned;                     /* false: moved to a newer runtime */
	int32_t from;                   /* index in rt->from it was carried from, -1 */
};

struct rt_key {                         /* sorted lookup tables */
	uint32_t key;
	unsigned subnet;
};

struct dhcp4_runtime {
	const struct conf *conf;
	struct rt_pool *pools;          /* global pool index = position here */
	uint32_t n_pools;
	uint16_t *by_first;             /* pool indexes sorted by first address */
	uint32_t *subnet_pool0;         /* subnet i owns pools [p0[i], p0[i+1]) */
	struct rt_key *relays;          /* relay address -> subnet */
	unsigned n_relays;
	struct rt_key *prefixes;        /* subnet prefix -> subnet */
	struct rt_key *ids;             /* subnet id -> subnet */
	/* Workers by id, so that start-up restore can settle an address that
	 * two records for different clients (hence owners) both claim. */
	struct dhcp4_worker **workers;
	unsigned n_workers;
	struct dhcp4_runtime *from;     /* reload: carried pools until commit */
	uint32_t n_carried;
	/* Host reservations of conf->ext (NULL: none).  A reserved in-pool
	 * address has its pool bit set for the whole life of the runtime (it
	 * belongs to the reservation, never to a lease), so alloc_take()
	 * never hands it out.  Which lease uses a reserved address is kept in
	 * held[host index] instead: set by compare-and-swap when a lease
	 * takes it, cleared when that lease lets go. */
	struct dhcp4_hosts *hosts;
	uint8_t *held;
	uint8_t *claimed;               /* bits this runtime set in carried pools */
};

static int rt_key_cmp(const void *a, const void *b)
{
	const struct rt_key *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}


/* Last entry with key <= k, or -1. */
static int rt_key_floor(const struct rt_key *a, unsigned n, uint32_t k)
{
	int lo = 0, hi = (int)n - 1, r = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (a[mid].key <= k) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return r;
}

static int rt_key_find(const struct rt_key *a, unsigned n, uint32_t k)
{
	int i = rt_key_floor(a, n, k);

	return i >= 0 && a[i].key == k ? i : -1;
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

static uint16_t rt_pool_of(const struct dhcp4_runtime *rt, uint32_t addr);

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
	if (c->ext && c->ext->n_hosts) {
		struct dhcp4_hosts_params hp = {
			.hosts = c->ext->hosts, .n_hosts = c->ext->n_hosts,
			.order = c->ext->hr_order, .n_order = c->ext->n_hr_order,
			.flex = c->ext->flex_expr,
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

/* Global pool index holding addr, or NO_POOL.  Pools do not overlap. */
static uint16_t rt_pool_of(const struct dhcp4_runtime *rt, uint32_t addr)
{
	int lo = 0, hi = (int)rt->n_pools - 1, r = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (rt->pools[rt->by_first[mid]].first <= addr) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (r < 0 || addr > rt->pools[rt->by_first[r]].last)
		return NO_POOL;
	return rt->by_first[r];
}

/* Subnet containing addr, or -1.  Subnets do not overlap. */
static int rt_subnet_of(const struct dhcp4_runtime *rt, uint32_t addr)
{
	int i = rt_key_floor(rt->prefixes, rt->conf->n_subnets, addr);
	const struct conf_subnet *sn;

	if (i < 0)
		return -1;
	sn = &rt->conf->subnets[rt->prefixes[i].subnet];
	return (addr & sn->mask) == (sn->prefix & sn->mask) ? (int)rt->prefixes[i].subnet : -1;
}

static int rt_subnet_by_id(const struct dhcp4_runtime *rt, uint32_t id)
{
	int i = rt_key_find(rt->ids, rt->conf->n_subnets, id);

	return i < 0 ? -1 : (int)rt->ids[i].subnet;
}

/* ---- worker ---------------------------------------------------------- */

/* Address -> lease index used only while records are being restored (one
 * open-addressing table per worker).  Freed when the worker starts
 * serving, so it costs nothing afterwards. */
struct ridx {
	uint32_t *addr;
	struct lease4 **lease;
	uint32_t cap, live, used;
};

static struct lease4 ridx_dead_slot;
#define RIDX_DEAD (&ridx_dead_slot)

/* An address whose delete record is on its way to the lease store: its
 * bit stays set until the flusher says the record is durable. */
struct pend_release {
	uint64_t seq;                   /* write-behind sequence of the delete */
	uint32_t addr;
	uint16_t pool;
};

struct dhcp4_worker {
	struct stats4 st;               /* first: cache aligned, written only here */
	unsigned id, n_workers;
	const struct conf *conf;
	struct dhcp4_runtime *rt;
	struct wb *wb;
	struct lease_table *lt;
	uint32_t *cursor;               /* per pool scan hint */
	uint32_t now;
	bool commit;
	struct ridx ridx;
	/* Release queue: FIFO in sequence order (one producer, this worker). */
	struct pend_release *pend;
	uint32_t pend_cap;              /* power of two; 0 in memory mode */
	uint32_t pend_head, pend_tail;
	struct cls_cache *cls_cache;    /* PRE_HOST classification, this worker's */
} __attribute__((aligned(64)));

static void ridx_free(struct ridx *x)
{
	free(x->addr);
	free(x->lease);
	memset(x, 0, sizeof(*x));
}

static inline uint32_t ridx_hash(uint32_t a)
{
	a ^= a >> 16;
	a *= 0x7feb352du;
	a ^= a >> 15;
	a *= 0x846ca68bu;
	a ^= a >> 16;
	return a;
}

static int64_t ridx_slot(const struct ridx *x, uint32_t addr)
{
	uint32_t i;

	if (!x->cap)
		return -1;
	for (i = ridx_hash(addr) & (x->cap - 1); x->lease[i]; i = (i + 1) & (x->cap - 1))
		if (x->lease[i] != RIDX_DEAD && x->addr[i] == addr)
			return i;
	return -1;
}

static struct lease4 *ridx_get(const struct ridx *x, uint32_t addr)
{
	int64_t i = ridx_slot(x, addr);

	return i < 0 ? NULL : x->lease[i];
}

static int ridx_resize(struct ridx *x, uint32_t cap)
{
	struct ridx n = { .cap = cap };
	uint32_t i, j;

	n.addr = calloc(cap, sizeof(*n.addr));
	n.lease = calloc(cap, sizeof(*n.lease));
	if (!n.addr || !n.lease) {
		ridx_free(&n);
		return -ENOMEM;
	}
	for (i = 0; i < x->cap; i++) {
		if (!x->lease[i] || x->lease[i] == RIDX_DEAD)
			continue;
		for (j = ridx_hash(x->addr[i]) & (cap - 1); n.lease[j]; j = (j + 1) & (cap - 1))
			;
		n.addr[j] = x->addr[i];
		n.lease[j] = x->lease[i];
		n.live++;
	}
	n.used = n.live;
	ridx_free(x);
	*x = n;
	return 0;
}

static int ridx_put(struct ridx *x, uint32_t addr, struct lease4 *l)
{
	int64_t s = ridx_slot(x, addr);
	uint32_t i;

	if (s >= 0) {
		x->lease[s] = l;
		return 0;
	}
	if ((uint64_t)(x->used + 1) * 4 > (uint64_t)x->cap * 3) {
		uint32_t cap = x->cap ? x->cap : 1024;

		while ((uint64_t)(x->live + 1) * 2 > cap)
			cap *= 2;
		if (ridx_resize(x, cap))
			return -ENOMEM;
	}
	for (i = ridx_hash(addr) & (x->cap - 1); x->lease[i] && x->lease[i] != RIDX_DEAD;
	     i = (i + 1) & (x->cap - 1))
		;
	if (!x->lease[i])
		x->used++;
	x->addr[i] = addr;
	x->lease[i] = l;
	x->live++;
	return 0;
}

static void ridx_del(struct ridx *x, uint32_t addr, const struct lease4 *l)
{
	int64_t s = ridx_slot(x, addr);

	if (s >= 0 && x->lease[s] == l) {
		x->lease[s] = RIDX_DEAD;
		x->live--;
	}
}

/* Serving begins: the restore index is not kept up to date past here. */
static inline void worker_serving(struct dhcp4_worker *w)
{
	if (unlikely(w->ridx.cap))
		ridx_free(&w->ridx);
}

void dhcp4_worker_free(struct dhcp4_worker *w)
{
	if (!w)
		return;
	if (w->rt && w->id < w->rt->n_workers && w->rt->workers[w->id] == w)
		w->rt->workers[w->id] = NULL;
	ridx_free(&w->ridx);
	lease_table_free(w->lt);
	free(w->pend);
	cls_cache_free(w->cls_cache);
	free(w->cursor);
	free(w->st.subnet);
	free(w->st.pool);
	free(w);
}

struct dhcp4_worker *dhcp4_worker_create(const struct dhcp4_worker_params *p)
{
	struct dhcp4_worker *w;
	struct dhcp4_runtime *rt;
	char name[32];
	uint32_t i;
	int err = ENOMEM;

	if (!p || !p->conf || !p->rt || p->rt->conf != p->conf || !p->n_workers ||
	    p->id >= p->n_workers) {
		errno = EINVAL;
		return NULL;
	}
	rt = p->rt;
	w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);
	if (!w)
		goto err_nofree;
	memset(w, 0, sizeof(*w));
	w->id = p->id;
	w->n_workers = p->n_workers;
	w->conf = p->conf;
	w->rt = rt;
	w->wb = p->wb;
	w->commit = p->conf->lease_db.durability == CONF_DUR_COMMIT;
	w->now = (uint32_t)time(NULL);
	snprintf(name, sizeof(name), "leases4-%u", p->id);
	w->lt = lease_table_create(&(struct lease_table_params){
		.name = name, .capacity = p->lease_capacity ? p->lease_capacity : DEFAULT_CAPACITY });
	if (!w->lt) {
		err = errno ? errno : ENOMEM;
		goto err;
	}
	w->cursor = calloc(rt->n_pools ? rt->n_pools : 1, sizeof(*w->cursor));
	w->st.n_subnets = p->conf->n_subnets;
	w->st.subnet = calloc(p->conf->n_subnets ? p->conf->n_subnets : 1, sizeof(*w->st.subnet));
	w->st.n_pools = rt->n_pools;
	w->st.pool = calloc(rt->n_pools ? rt->n_pools : 1, sizeof(*w->st.pool));
	_Static_assert(STAT4_CLASS_CACHE_MISSES == STAT4_CLASS_CACHE_HITS + CLS_CACHE_MISSES &&
		       STAT4_CLASS_CACHE_DIRECT == STAT4_CLASS_CACHE_HITS + CLS_CACHE_DIRECT,
		       "the cache's counters are consecutive statistics");
	w->cls_cache = cls_cache_create(&w->st.c[STAT4_CLASS_CACHE_HITS]);
	if (!w->cursor || !w->st.subnet || !w->st.pool || !w->cls_cache)
		goto err;
	if (w->wb) {
		uint32_t want = p->release_queue ? p->release_queue : DEFAULT_RELEASE_QUEUE;

		if (want > (1u << 30)) {
			err = EINVAL;
			goto err;
		}
		w->pend_cap = 1;
		while (w->pend_cap < want)
			w->pend_cap <<= 1;
		w->pend = calloc(w->pend_cap, sizeof(*w->pend));
		if (!w->pend)
			goto err;
	}
	/* Workers start scanning each pool at evenly spread offsets so that
	 * they rarely race for the same bitmap word. */
	for (i = 0; i < rt->n_pools; i++) {
		uint64_t size = (uint64_t)rt->pools[i].last - rt->pools[i].first + 1;

		w->cursor[i] = (uint32_t)(size * p->id / p->n_workers);
	}
	if (p->id >= rt->n_workers) {
		struct dhcp4_worker **nw = realloc(rt->workers, (p->id + 1) * sizeof(*nw));

		if (!nw)
			goto err;
		memset(nw + rt->n_workers, 0, (p->id + 1 - rt->n_workers) * sizeof(*nw));
		rt->workers = nw;
		rt->n_workers = p->id + 1;
	}
	rt->workers[p->id] = w;
	return w;
err:
	w->rt = NULL;
	dhcp4_worker_free(w);
err_nofree:
	errno = err;
	return NULL;
}

struct stats4 *dhcp4_worker_stats(struct dhcp4_worker *w)
{
	return &w->st;
}

struct lease_table *dhcp4_worker_leases(struct dhcp4_worker *w)
{
	return w->lt;
}

void dhcp4_worker_set_now(struct dhcp4_worker *w, uint32_t now)
{
	w->now = now;
}

/* ---- keys ------------------------------------------------------------ */

/* RFC 2132 §9.14: a client identifier is at least two bytes (type + id). */
#define CID_MIN 2

/* The htype byte of every LEASE_KEY_HWADDR key.  Kea's lease file has no
 * htype column, so a lease read back from it says 1 whatever the client's
 * link was; a key that kept the real htype would name a different client
 * (and a different owner worker) after a restart.  So the hardware type is
 * left out of the identity: packet keys, record keys and steering all use
 * this constant, and a hwaddr-keyed lease stores it as its htype. */
#define KEY_HTYPE 1

void dhcp4_client_key(const struct dhcp4_pkt *p, bool match_client_id, struct lease_key *k)
{
	const uint8_t *cid;
	uint16_t len = 0;

	cid = match_client_id ? dhcp4_opt(p, DHCP4_OPT_CLIENT_ID, &len) : NULL;
	if (cid && len >= CID_MIN) {
		k->kind = LEASE_KEY_CLIENT_ID;
		k->len = (uint8_t)(len > 255 ? 255 : len);
		memcpy(k->data, cid, k->len);
		return;
	}
	k->kind = LEASE_KEY_HWADDR;
	k->data[0] = KEY_HTYPE;
	k->len = (uint8_t)(1 + (p->hdr->hlen > 16 ? 16 : p->hdr->hlen));
	memcpy(k->data + 1, p->hdr->chaddr, k->len - 1u);
}

static void addr_key(uint32_t addr, struct lease_key *k)
{
	uint32_t n = htonl(addr);

	k->kind = LEASE_KEY_ADDR;
	k->len = 4;
	memcpy(k->data, &n, 4);
}

/* Declined records belong to no client: always filed under their address,
 * as dhcp4 files them at DECLINE time. */
void dhcp4_rec_key(const struct lease_rec *r, bool match_client_id, struct lease_key *k)
{
	if (r->state == LEASE_STATE_DECLINED || (!(match_client_id && r->cid_len >= CID_MIN) &&
						 !r->hwaddr_len)) {
		addr_key(r->addr, k);
		return;
	}
	if (match_client_id && r->cid_len >= CID_MIN) {
		k->kind = LEASE_KEY_CLIENT_ID;
		k->len = r->cid_len;
		memcpy(k->data, r->cid, r->cid_len);
		return;
	}
	k->kind = LEASE_KEY_HWADDR;
	k->data[0] = KEY_HTYPE;
	k->len = (uint8_t)(1 + (r->hwaddr_len > 16 ? 16 : r->hwaddr_len));
	memcpy(k->data + 1, r->hwaddr, k->len - 1u);
}

/* ---- lease bookkeeping ----------------------------------------------- */

static int lease_subnet(const struct dhcp4_worker *w, const struct lease4 *l)
{
	if (l->pool != NO_POOL)
		return (int)w->rt->pools[l->pool].subnet;
	return rt_subnet_by_id(w->rt, l->subnet_id);
}

/* Gauges follow the lease's state: call with -1 before a change and +1
 * after it. */
static void gauge(struct dhcp4_worker *w, const struct lease4 *l, int d)
{
	int s = lease_subnet(w, l);

	if (s < 0)
		return;
	if (l->state == LEASE_STATE_DEFAULT) {
		w->st.subnet[s].assigned += d;
		if (l->pool != NO_POOL)
			w->st.pool[l->pool].assigned += d;
	} else if (l->state == LEASE_STATE_DECLINED) {
		w->st.subnet[s].declined += d;
		if (l->pool != NO_POOL)
			w->st.pool[l->pool].declined += d;
	}
}

static inline uint32_t add_lft(uint32_t now, uint32_t lft)
{
	return lft > UINT32_MAX - now ? UINT32_MAX : now + lft;
}

static void rec_of(const struct lease_table *lt, struct lease_rec *r, const struct lease4 *l)
{
	const char *hn = lease_table_hostname(lt, l);

	memset(r, 0, sizeof(*r));
	r->hostname_len = (uint8_t)strnlen(hn, sizeof(r->hostname) - 1);
	memcpy(r->hostname, hn, r->hostname_len);
	r->fqdn_fwd = (l->flags & LEASE_F_FQDN_FWD) != 0;
	r->fqdn_rev = (l->flags & LEASE_F_FQDN_REV) != 0;
	r->addr = l->addr;
	r->subnet_id = l->subnet_id;
	r->expire = l->expire;
	r->valid_lft = l->valid_lft;
	r->state = l->state == LEASE_STATE_DECLINED ? LEASE_STATE_DECLINED : LEASE_STATE_DEFAULT;
	if (l->key_kind != LEASE_KEY_ADDR) {
		r->htype = l->htype;
		r->hwaddr_len = l->hwaddr_len > 16 ? 16 : l->hwaddr_len;
		memcpy(r->hwaddr, l->hwaddr, r->hwaddr_len);
		r->cid_len = l->cid_len;
		if (l->cid_len)
			memcpy(r->cid, lease_cid(l), l->cid_len);
	}
}

/* Persist the lease (or its deletion).  0 with *seq (0 without a flusher),
 * or -ENOBUFS, counted. */
static int persist(struct dhcp4_worker *w, struct lease4 *l, bool del, uint64_t *seq)
{
	struct lease_rec r;

	*seq = 0;
	if (!w->wb)
		return 0;
	rec_of(w->lt, &r, l);
	if (del)
		r.valid_lft = 0;
	if (wb_push(w->wb, w->id, &r)) {
		w->st.c[STAT4_FLUSH_RING_FULL]++;
		return -ENOBUFS;
	}
	if (!del)
		l->seq = r.seq;
	*seq = r.seq;
	return 0;
}

/* The reservation of addr, or NULL (one hash probe; none without hosts). */
static inline const struct conf_host *rt_reserved(const struct dhcp4_runtime *rt, uint32_t addr)
{
	return rt->hosts ? dhcp4_hosts_by_addr(rt->hosts, addr) : NULL;
}

static inline uint8_t *rt_held(const struct dhcp4_runtime *rt, const struct conf_host *h)
{
	return &rt->held[h - dhcp4_hosts_get(rt->hosts, 0)];
}

/* Take addr (in pool p, or NO_POOL) for a lease: the pool bit, or for a
 * reserved address the reservation's held flag.  0 or -EBUSY. */
static int addr_take(struct dhcp4_runtime *rt, uint16_t p, uint32_t addr)
{
	const struct conf_host *h = rt_reserved(rt, addr);
	uint8_t zero = 0;

	if (h)
		return __atomic_compare_exchange_n(rt_held(rt, h), &zero, 1, false, __ATOMIC_ACQ_REL,
						   __ATOMIC_RELAXED) ? 0 : -EBUSY;
	if (p == NO_POOL)
		return 0;
	return alloc_claim(rt->pools[p].ap, addr) ? -EBUSY : 0;
}

/* Undo addr_take(): a reserved address keeps its pool bit. */
static void addr_give(struct dhcp4_runtime *rt, uint16_t p, uint32_t addr)
{
	const struct conf_host *h = addr ? rt_reserved(rt, addr) : NULL;

	if (h)
		__atomic_store_n(rt_held(rt, h), 0, __ATOMIC_RELEASE);
	else if (p != NO_POOL)
		alloc_release(rt->pools[p].ap, addr);
}

/* Give the address bit back now: for an address no record names (an
 * offer), in memory mode, and at start-up before anything is written. */
static void addr_release(struct dhcp4_worker *w, struct lease4 *l)
{
	addr_give(w->rt, l->pool, l->addr);
	l->pool = NO_POOL;
}

/* Why a freed address waits: each worker has its own write-behind ring and
 * the flusher takes them in turns, so a delete this worker pushed can reach
 * the store after an add that another worker pushed later for the same
 * address, once it had taken the bit.  Replay keeps the last record per
 * address, and that ACKed lease would be lost.  Holding the bit until the
 * delete is durable orders the two records in the store. */
static inline bool release_needs_queue(const struct dhcp4_worker *w, const struct lease4 *l)
{
	return w->wb && l->pool != NO_POOL && l->state != LEASE_STATE_OFFERED;
}

static inline bool release_queue_full(const struct dhcp4_worker *w)
{
	return w->pend_tail - w->pend_head == w->pend_cap;
}

/* The delete record of l was pushed as `seq` (0: none, no flusher). */
static void addr_release_after(struct dhcp4_worker *w, struct lease4 *l, uint64_t seq)
{
	struct pend_release *e;

	/* A reserved address keeps its bit whatever happens; only its own
	 * client (hence this worker, this ring) can take it again. */
	if (l->addr && rt_reserved(w->rt, l->addr)) {
		addr_release(w, l);
		return;
	}
	if (l->pool == NO_POOL)
		return;
	if (!seq || !w->pend_cap || release_queue_full(w)) {
		addr_release(w, l);
		return;
	}
	e = &w->pend[w->pend_tail++ & (w->pend_cap - 1)];
	e->seq = seq;
	e->addr = l->addr;
	e->pool = l->pool;
	l->pool = NO_POOL;
}

unsigned dhcp4_worker_poll(struct dhcp4_worker *w)
{
	uint64_t durable;
	unsigned n = 0;

	if (w->pend_head == w->pend_tail)
		return 0;
	durable = wb_durable(w->wb, w->id);
	while (w->pend_head != w->pend_tail) {
		struct pend_release *e = &w->pend[w->pend_head & (w->pend_cap - 1)];

		if (e->seq > durable)
			break;
		if (e->pool != NO_POOL)
			alloc_release(w->rt->pools[e->pool].ap, e->addr);
		w->pend_head++;
		n++;
	}
	return n;
}

unsigned dhcp4_worker_pending(const struct dhcp4_worker *w)
{
	return w->pend_tail - w->pend_head;
}

/* Refuse a change that would free a persisted address when the release
 * queue has no room: the lease stays (counted), nothing is pushed. */
static inline int release_room(struct dhcp4_worker *w, const struct lease4 *l)
{
	if (unlikely(release_needs_queue(w, l) && release_queue_full(w))) {
		w->st.c[STAT4_RELEASE_QUEUE_FULL]++;
		return -ENOBUFS;
	}
	return 0;
}

/* Forget a lease entirely: gauges, a delete record for persisted states,
 * its address bit (after the delete is durable), the table entry.
 * -ENOBUFS when the address cannot be freed now (release queue or
 * write-behind ring full, counted): nothing changed. */
static int lease_drop(struct dhcp4_worker *w, struct lease4 *l, bool persist_del)
{
	uint64_t seq = 0;

	if (persist_del && l->state != LEASE_STATE_OFFERED) {
		/* a delete that is not in the ring must not free anything:
		 * the file would still give the address to this client */
		if (release_room(w, l) || persist(w, l, true, &seq))
			return -ENOBUFS;
	}
	gauge(w, l, -1);
	addr_release_after(w, l, seq);
	if (unlikely(w->ridx.cap))
		ridx_del(&w->ridx, l->addr, l);
	lease_table_remove(w->lt, l);
	return 0;
}

/* Keep the table entry but give up its address (the client moves).
 * -ENOBUFS as lease_drop. */
static int lease_vacate(struct dhcp4_worker *w, struct lease4 *l)
{
	uint64_t seq = 0;

	if (l->state != LEASE_STATE_OFFERED) {
		/* a delete that is not in the ring must not free anything:
		 * the file would still give the address to this client */
		if (release_room(w, l) || persist(w, l, true, &seq))
			return -ENOBUFS;
	}
	gauge(w, l, -1);
	addr_release_after(w, l, seq);
	l->addr = 0;
	l->state = LEASE_STATE_OFFERED;
	return 0;
}

/* ---- one transaction ------------------------------------------------- */

struct txn {
	struct dhcp4_worker *w;
	const struct conf *c;
	const struct dhcp4_rx *rx;
	const struct dhcp4_pkt *req;
	const struct dhcp4_hdr *h;
	uint32_t ciaddr, giaddr, reqaddr, server_addr;
	int s;                          /* serving subnet, -1 none */
	int s0;                         /* the selected one: first candidate */
	int shared;                     /* s0's shared network (its subnets are candidates), -1 */
	bool by_iface;                  /* every subnet on rx->iface is a candidate */
	bool busy;                      /* the client's old address could not be freed now */
	struct lease_key key;
	struct cls_set *cls;            /* the packet's classes (on dhcp4_process's stack) */
	const struct conf_host *host;   /* the client's reservation, NULL */
};

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t opt_addr(const struct dhcp4_pkt *p, uint8_t code)
{
	uint16_t len;
	const uint8_t *v = dhcp4_opt(p, code, &len);

	return v && len == 4 ? be32(v) : 0;
}

/* RFC 3527 link-selection sub-option inside option 82, 0 if absent. */
static uint32_t rai_link_selection(const struct dhcp4_pkt *p)
{
	uint16_t len, i;
	const uint8_t *v = dhcp4_opt(p, DHCP4_OPT_RAI, &len);

	if (!v)
		return 0;
	for (i = 0; i + 2u <= len; i += 2u + v[i + 1]) {
		if (i + 2u + v[i + 1] > len)
			break;
		if (v[i] == RAI_LINK_SELECTION && v[i + 1] == 4)
			return be32(v + i + 2);
	}
	return 0;
}

static bool served_on(const struct conf *c, unsigned s, unsigned iface)
{
	const struct conf_subnet *sn = &c->subnets[s];

	if (sn->iface >= 0)
		return (unsigned)sn->iface == iface;
	return ((c->ifaces[iface].addr ^ sn->prefix) & sn->mask) == 0;
}

/* Subnet selection, in Kea's order: subnet-selection option (118) or the
 * relay's link-selection; then giaddr (a subnet listing it as relay, else
 * the subnet containing it); for direct clients the ciaddr or source
 * address when it is on a subnet served on this interface, then the
 * subnets bound to the interface, then the one containing its address. */
static void select_subnet(struct txn *t)
{
	const struct dhcp4_runtime *rt = t->w->rt;
	const struct conf *c = t->c;
	unsigned iface = t->rx->iface, s;
	uint32_t a;
	int i;

	t->s = -1;
	t->by_iface = false;
	t->shared = -1;
	a = opt_addr(t->req, DHCP4_OPT_SUBNET_SELECT);
	if (!a && t->giaddr)
		a = rai_link_selection(t->req);
	if (a) {
		t->s = rt_subnet_of(rt, a);
		return;
	}
	if (t->giaddr) {
		i = rt_key_find(rt->relays, rt->n_relays, t->giaddr);
		t->s = i >= 0 ? (int)rt->relays[i].subnet : rt_subnet_of(rt, t->giaddr);
		return;
	}
	a = t->ciaddr ? t->ciaddr : t->rx->src_ip;
	if (a) {
		i = rt_subnet_of(rt, a);
		if (i >= 0 && served_on(c, (unsigned)i, iface)) {
			t->s = i;
			t->by_iface = c->subnets[i].iface == (int)iface;
			return;
		}
	}
	for (s = 0; s < c->n_subnets; s++) {
		if (c->subnets[s].iface == (int)iface) {
			t->s = (int)s;
			t->by_iface = true;
			return;
		}
	}
	t->s = rt_subnet_of(rt, c->ifaces[iface].addr);
}

/* Shared network index of subnet s, -1 (a hand-built conf has no ext). */
static inline int shared_of(const struct conf *c, int s)
{
	int k = c->subnets[s].shared;

	return c->ext && k >= 0 && (unsigned)k < c->ext->n_shared ? k : -1;
}

/* Client-class restrictions of a subnet and its shared network.  A
 * hand-built conf leaves client_class 0, which is ALL: always a member. */
static bool subnet_allowed(const struct txn *t, int s)
{
	const struct conf_subnet *sn = &t->c->subnets[s];
	int k = shared_of(t->c, s);

	if (sn->client_class >= 0 && !cls_set_has(t->cls, (unsigned)sn->client_class))
		return false;
	if (k >= 0 && t->c->ext->shared[k].client_class >= 0 &&
	    !cls_set_has(t->cls, (unsigned)t->c->ext->shared[k].client_class))
		return false;
	return true;
}

static bool pool_allowed(const struct txn *t, uint16_t p)
{
	const struct rt_pool *rp = &t->w->rt->pools[p];
	int cc = t->c->subnets[rp->subnet].pools[rp->index].client_class;

	return cc < 0 || cls_set_has(t->cls, (unsigned)cc);
}

/* A sibling of the selected subnet: on the same interface (when selected
 * by interface) or in the same shared network. */
static inline bool subnet_sibling(const struct txn *t, int s)
{
	return (t->by_iface && t->c->subnets[s].iface == (int)t->rx->iface) ||
	       (t->shared >= 0 && shared_of(t->c, s) == t->shared);
}

static inline bool subnet_ok(const struct txn *t, int s)
{
	return s >= 0 && (s == t->s0 || subnet_sibling(t, s)) && subnet_allowed(t, s);
}

/* Next candidate subnet after `s` (start with -1), or -1: the selected
 * one, then its siblings in config order, leaving out those the client's
 * classes may not use. */
static int subnet_next(const struct txn *t, int s)
{
	unsigned i;

	if (t->s0 < 0)
		return -1;
	if (s < 0 && subnet_allowed(t, t->s0))
		return t->s0;
	if (!t->by_iface && t->shared < 0)
		return -1;
	for (i = s < 0 || s == t->s0 ? 0 : (unsigned)s + 1; i < t->c->n_subnets; i++)
		if ((int)i != t->s0 && subnet_sibling(t, (int)i) && subnet_allowed(t, (int)i))
			return (int)i;
	return -1;
}

static bool is_our_server_id(const struct conf *c, uint32_t sid)
{
	unsigned i;

	for (i = 0; i < c->n_ifaces; i++)
		if (c->ifaces[i].addr == sid)
			return true;
	return false;
}

static int drop(struct txn *t, enum stat4 why)
{
	if (why != STAT4_MAX)
		t->w->st.c[why]++;
	t->w->st.c[STAT4_PKT4_RECEIVE_DROP]++;
	return -1;
}

/* The hostname a bound lease records (Kea's lease hostname): the
 * reservation's, else what the client sent in option 12, else none; and
 * no DNS update flags (none is made here).  Out of slots, the lease keeps
 * the one it had (counted nowhere: a cosmetic field, never a reason to
 * refuse the client). */
static void lease_set_hostname(struct txn *t, struct lease4 *l)
{
	uint16_t len = 0;
	const uint8_t *hn = NULL;

	if (t->host && t->host->hostname[0]) {
		hn = (const uint8_t *)t->host->hostname;
		len = (uint16_t)strlen(t->host->hostname);
	} else {
		hn = dhcp4_opt(t->req, DHCP4_OPT_HOSTNAME, &len);
	}
	(void)lease_table_set_hostname(t->w->lt, l, (const char *)hn, hn ? len : 0);
	l->flags &= (uint8_t)~(LEASE_F_FQDN_FWD | LEASE_F_FQDN_REV);   /* no DNS update here */
}

/* A record's hostname and DNS update flags into its lease (restore,
 * lease4-add/-update).  0 or -ENOMEM. */
static int lease_names_of(struct dhcp4_worker *w, struct lease4 *l, const struct lease_rec *r)
{
	l->flags = (uint8_t)((r->fqdn_fwd ? LEASE_F_FQDN_FWD : 0) | (r->fqdn_rev ? LEASE_F_FQDN_REV : 0));
	return lease_table_set_hostname(w->lt, l, r->hostname, r->hostname_len);
}

/* The client's lease, and its own identity written into it. */
static void lease_set_identity(struct txn *t, struct lease4 *l)
{
	const struct dhcp4_hdr *h = t->h;
	uint16_t len = 0;
	const uint8_t *cid = dhcp4_opt(t->req, DHCP4_OPT_CLIENT_ID, &len);

	if (l->key_kind != LEASE_KEY_HWADDR) {
		l->htype = h->htype;
		l->hwaddr_len = h->hlen > 16 ? 16 : h->hlen;
		memcpy(l->hwaddr, h->chaddr, l->hwaddr_len);
	}
	if (l->key_kind != LEASE_KEY_CLIENT_ID) {
		if (len > 255)
			len = 255;
		if (!cid)
			len = 0;
		if (len != l->cid_len || (len && memcmp(lease_cid(l), cid, len)))
			lease_table_set_cid(t->w->lt, l, cid, (uint8_t)len);
	}
}

/* Give lease l (new or vacated) the address addr from pool p (NO_POOL:
 * a reserved address outside the pools, in subnet s). */
static void lease_bind_s(struct txn *t, struct lease4 *l, uint32_t addr, uint16_t p, int s)
{
	const struct conf_subnet *sn = &t->c->subnets[s];

	l->addr = addr;
	l->pool = p;
	l->subnet_id = sn->id;
	l->state = LEASE_STATE_OFFERED;
	l->valid_lft = sn->valid_lifetime;
	lease_set_identity(t, l);
}

static uint32_t offer_lifetime(const struct conf *c)
{
	return c->offer_lifetime ? c->offer_lifetime : DEFAULT_OFFER_LIFETIME;
}

/* Put the taken address `addr` (pool p, or NO_POOL for a reserved address
 * outside the pools; subnet s) on the client's entry.
 * `side`: the client keeps a bound lease in another subnet until it
 * REQUESTs this address (Kea changes a lease at REQUEST, never at
 * DISCOVER), so the offer is a separate entry filed under its address and
 * `l` is left alone.  Otherwise `l` (may be NULL) moves to the address.
 * NULL (the address given back) on failure; t->busy when the old address
 * could not be freed now. */
static struct lease4 *attach(struct txn *t, struct lease4 *l, uint32_t addr, uint16_t p, int s,
			     bool side)
{
	struct dhcp4_worker *w = t->w;
	struct lease_key k;
	bool existed;

	if (side) {
		addr_key(addr, &k);
		l = lease_table_insert(w->lt, &k, &existed);
		if (!l || existed) {            /* an entry without the bit: never */
			addr_give(w->rt, p, addr);
			return NULL;
		}
	} else if (l) {
		if (lease_vacate(w, l)) {
			addr_give(w->rt, p, addr);
			t->busy = true;
			return NULL;
		}
	} else {
		l = lease_table_insert(w->lt, &t->key, &existed);
		if (!l) {
			addr_give(w->rt, p, addr);
			return NULL;
		}
	}
	lease_bind_s(t, l, addr, p, s);
	return l;
}

/* Claim `addr` for the client if it is free in a pool of a candidate
 * subnet that its classes may use, or if it is the client's own reserved
 * address (inside or outside the pools; a reserved address is nobody
 * else's).  See attach.  Returns the entry in OFFERED state, or NULL. */
static struct lease4 *claim_for(struct txn *t, struct lease4 *l, uint32_t addr, bool side)
{
	struct dhcp4_runtime *rt = t->w->rt;
	uint16_t p = rt_pool_of(rt, addr);
	const struct conf_host *h = rt_reserved(rt, addr);
	int s;

	if (h) {
		if (h != t->host)
			return NULL;
		s = rt_subnet_of(rt, addr);
		if (!subnet_ok(t, s))
			return NULL;
	} else {
		if (p == NO_POOL)
			return NULL;
		s = (int)rt->pools[p].subnet;
		if (!subnet_ok(t, s) || !pool_allowed(t, p))
			return NULL;
	}
	if (addr_take(rt, p, addr))
		return NULL;
	return attach(t, l, addr, p, s, side);
}

/* The client's reserved address, if it has one in a candidate subnet. */
static uint32_t host_addr(const struct txn *t)
{
	if (!t->host || !t->host->addr)
		return 0;
	return subnet_ok(t, rt_subnet_of(t->w->rt, t->host->addr)) ? t->host->addr : 0;
}

/* May the client keep lease l?  Its subnet and pool must still be open to
 * it, and a reserved address must be reserved for it. */
static bool lease_ok(const struct txn *t, const struct lease4 *l)
{
	const struct conf_host *h;

	if (!l || !l->addr || !subnet_ok(t, lease_subnet(t->w, l)))
		return false;
	if (l->pool != NO_POOL && !pool_allowed(t, l->pool))
		return false;
	h = rt_reserved(t->w->rt, l->addr);
	return !h || h == t->host;
}

/* Any free address from the candidate subnets' pools the client's classes
 * may use, in order: a full subnet moves on to the next candidate (the
 * next subnet on the interface or in the shared network). */
static struct lease4 *take_for(struct txn *t, struct lease4 *l, bool side)
{
	struct dhcp4_worker *w = t->w;
	struct dhcp4_runtime *rt = w->rt;
	uint32_t p, addr;
	int s;

	for (s = subnet_next(t, -1); s >= 0; s = subnet_next(t, s))
		for (p = rt->subnet_pool0[s]; p < rt->subnet_pool0[s + 1]; p++)
			if (pool_allowed(t, (uint16_t)p) &&
			    !alloc_take(rt->pools[p].ap, &w->cursor[p], &addr))
				return attach(t, l, addr, (uint16_t)p, s, side);
	return NULL;
}

/* Does entry o (an offer filed under its address) belong to this client? */
static bool same_client(const struct txn *t, const struct lease4 *o)
{
	const struct lease_key *k = &t->key;

	if (k->kind == LEASE_KEY_CLIENT_ID)
		return o->cid_len == k->len && !memcmp(lease_cid(o), k->data, k->len);
	return o->hwaddr_len + 1u == k->len && !memcmp(o->hwaddr, k->data + 1, o->hwaddr_len);
}

/* The client's side offer of addr in a candidate subnet, or NULL. */
static struct lease4 *side_offer(const struct txn *t, uint32_t addr)
{
	struct lease_key k;
	struct lease4 *o;

	if (!addr)
		return NULL;
	addr_key(addr, &k);
	o = lease_table_lookup(t->w->lt, &k);
	if (!o || o->state != LEASE_STATE_OFFERED || !same_client(t, o) ||
	    !subnet_ok(t, lease_subnet(t->w, o)))
		return NULL;
	return o;
}

/* The client takes its side offer o: its bound lease `l` (may be NULL)
 * gives up the old address (the delete record goes first, on this
 * worker's ring) and takes over o's address and bit.  NULL, with t->busy,
 * when the old address cannot be freed now: nothing changed. */
static struct lease4 *adopt(struct txn *t, struct lease4 *l, struct lease4 *o)
{
	struct dhcp4_worker *w = t->w;
	bool existed;

	if (l && l->addr) {
		if (lease_vacate(w, l)) {
			t->busy = true;
			return NULL;
		}
	} else if (!l) {
		l = lease_table_insert(w->lt, &t->key, &existed);
		if (!l)
			return NULL;
	}
	l->addr = o->addr;
	l->pool = o->pool;
	l->subnet_id = o->subnet_id;
	l->valid_lft = o->valid_lft;
	l->expire = o->expire;
	l->state = LEASE_STATE_OFFERED;
	o->pool = NO_POOL;                      /* the bit passes to the client's entry */
	lease_table_remove(w->lt, o);
	lease_set_identity(t, l);
	return l;
}

/* A REQUEST names addr, which is not the client's lease: its side offer,
 * or the address itself if it is free in a candidate subnet. */
static struct lease4 *request_addr(struct txn *t, struct lease4 *l, uint32_t addr)
{
	struct lease4 *o = side_offer(t, addr);

	return o ? adopt(t, l, o) : claim_for(t, l, addr, false);
}

/* ---- reply ----------------------------------------------------------- */

static size_t opt_space(size_t len)
{
	return len + 2 * (len ? (len + 254) / 255 : 1);
}

/* The option sets, boot fields and required classes that apply to a
 * reply from subnet sn (and pool p of lease l).  Everything lives on the
 * caller's stack. */
static void reply_src(struct txn *t, const struct conf_subnet *sn, const struct lease4 *l,
		      struct dhcp4_optsel_src *src)
{
	const struct conf *c = t->c;
	const struct conf_ext *x = c->ext;
	const struct conf_pool *cp = NULL;
	int k = sn ? shared_of(c, (int)(sn - c->subnets)) : -1;

	if (l && l->pool != NO_POOL) {
		const struct rt_pool *rp = &t->w->rt->pools[l->pool];

		cp = &c->subnets[rp->subnet].pools[rp->index];
	}
	memset(src, 0, sizeof(*src));
	src->host = t->host;
	src->pool = cp ? &cp->options : NULL;
	src->subnet = sn ? &sn->options : NULL;
	src->shared = k >= 0 ? &x->shared[k].options : NULL;
	src->global = &c->options;
	src->x = x;
	src->classes = t->cls;
	/* Kea's require-client-classes: shared network, subnet, pool lists,
	 * evaluated once the address (so the pool) is known. */
	if (x && sn) {
		struct cls_set req = sn->require;
		int failed;

		if (k >= 0)
			for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
				req.w[i] |= x->shared[k].require.w[i];
		if (cp)
			for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
				req.w[i] |= cp->require.w[i];
		if (!cls_set_empty(&req)) {
			failed = cls_require(x->reg, t->req, t->rx, t->cls, &req);
			if (failed > 0)
				t->w->st.c[STAT4_CLASS_EVAL_FAILED] += (unsigned)failed;
		}
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void add_u32(struct dhcp4_build *b, uint8_t code, uint32_t v)
{
	uint8_t d[4];

	put_be32(d, v);
	dhcp4_build_opt(b, code, d, 4);
}

/* RFC 2131 §4.1 delivery. */
static void deliver(struct txn *t, uint8_t type, uint32_t yiaddr, struct dhcp4_tx *tx)
{
	static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const struct dhcp4_hdr *h = t->h;

	tx->src_ip = t->server_addr;
	tx->src_port = 67;
	tx->dst_port = 68;
	if (t->giaddr) {
		tx->dst_ip = t->giaddr;
		tx->dst_port = 67;
		memcpy(tx->dst_mac, t->rx->src_mac, 6);
	} else if (type == DHCP4_NAK) {
		goto bcast;
	} else if (t->ciaddr) {
		tx->dst_ip = t->ciaddr;
		memcpy(tx->dst_mac, t->rx->src_mac, 6);
	} else if (ntohs(h->flags) & DHCP4_FLAG_BROADCAST) {
		goto bcast;
	} else if (yiaddr && h->htype == 1 && h->hlen == 6) {
		tx->dst_ip = yiaddr;
		memcpy(tx->dst_mac, h->chaddr, 6);
	} else {
		goto bcast;
	}
	return;
bcast:
	tx->dst_ip = 0xffffffffu;
	memcpy(tx->dst_mac, bcast_mac, 6);
}

/* Build and address a reply.  l == NULL for NAK and INFORM's ACK. */
static int reply(struct txn *t, uint8_t type, const struct lease4 *l, uint8_t *out, size_t cap,
		 struct dhcp4_tx *tx)
{
	const struct conf *c = t->c;
	const struct conf_subnet *sn = t->s >= 0 ? &c->subnets[t->s] : NULL;
	struct dhcp4_build b;
	struct dhcp4_hdr *rh;
	struct dhcp4_optsel_src src;
	struct dhcp4_optsel sel;
	const uint8_t *v, *rai = NULL, *cid;
	uint16_t len, rai_len = 0, cid_len = 0;
	uint32_t maxmsg = RFC_MIN_MSG, yiaddr = 0;
	size_t reserve, n;

	if (l) {
		int s = lease_subnet(t->w, l);

		yiaddr = l->addr;
		if (s >= 0)
			sn = &c->subnets[s];
	}
	v = dhcp4_opt(t->req, DHCP4_OPT_MAX_MSG_SIZE, &len);
	if (v && len == 2 && ((uint32_t)v[0] << 8 | v[1]) > maxmsg)
		maxmsg = (uint32_t)v[0] << 8 | v[1];
	if (cap > maxmsg - IP_UDP_HLEN)
		cap = maxmsg - IP_UDP_HLEN;
	if (cap < DHCP4_BOOTP_MIN)
		return drop(t, STAT4_MAX);

	dhcp4_build_init(&b, out, cap, t->h, type);
	rh = dhcp4_build_hdr(&b);
	rh->yiaddr = htonl(yiaddr);
	if (type == DHCP4_NAK) {
		/* RFC 2131 §4.3.2: through a relay, ask it to broadcast. */
		if (t->giaddr)
			rh->flags |= htons(DHCP4_FLAG_BROADCAST);
	} else {
		if (type == DHCP4_ACK)
			rh->ciaddr = t->h->ciaddr;
		if (sn) {
			reply_src(t, sn, l, &src);
			dhcp4_optsel_boot(&src, sn, rh);
		}
	}
	add_u32(&b, DHCP4_OPT_SERVER_ID, t->server_addr);
	if (l && sn) {
		uint32_t valid = l->valid_lft;
		uint32_t t1 = sn->renew_timer ? sn->renew_timer : valid / 2;
		uint32_t t2 = sn->rebind_timer ? sn->rebind_timer : (uint32_t)((uint64_t)valid * 7 / 8);

		add_u32(&b, DHCP4_OPT_LEASE_TIME, valid);
		if (valid == UINT32_MAX || t2 < valid) {
			if (t1 < t2)
				add_u32(&b, DHCP4_OPT_T1, t1);
			add_u32(&b, DHCP4_OPT_T2, t2);
		}
	}
	/* RFC 6842: echo the client identifier. */
	cid = dhcp4_opt(t->req, DHCP4_OPT_CLIENT_ID, &cid_len);
	if (cid)
		dhcp4_build_opt(&b, DHCP4_OPT_CLIENT_ID, cid, cid_len);
	if (t->giaddr)
		rai = dhcp4_opt(t->req, DHCP4_OPT_RAI, &rai_len);
	reserve = 1 + (rai ? opt_space(rai_len) : 0);
	if (type != DHCP4_NAK && sn) {
		const struct conf_option *mask;

		dhcp4_optsel_init(&sel, c->ext ? c->ext->precedence : CONF_PREC_KEA, &src);
		mask = dhcp4_optsel_find(&sel, DHCP4_OPT_SUBNET_MASK);
		if (!mask)
			add_u32(&b, DHCP4_OPT_SUBNET_MASK, sn->mask);
		else if (b.len + opt_space(mask->len) + reserve <= b.cap)
			dhcp4_build_opt(&b, mask->code, mask->data, mask->len);
		dhcp4_optsel_add(&sel, &b, t->req, reserve);
	}
	/* RFC 3046 §2.2: the relay agent option goes back unchanged, last. */
	if (rai)
		dhcp4_build_opt(&b, DHCP4_OPT_RAI, rai, rai_len);
	n = dhcp4_build_finish(&b);
	if (!n)
		return drop(t, STAT4_MAX);

	deliver(t, type, yiaddr, tx);
	t->w->st.c[STAT4_PKT4_SENT]++;
	if (type == DHCP4_OFFER)
		t->w->st.c[STAT4_PKT4_OFFER_SENT]++;
	else if (type == DHCP4_ACK)
		t->w->st.c[STAT4_PKT4_ACK_SENT]++;
	else if (type == DHCP4_NAK)
		t->w->st.c[STAT4_PKT4_NAK_SENT]++;
	return (int)n;
}

static int nak(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	return reply(t, DHCP4_NAK, NULL, out, cap, tx);
}

/* Commit the client's lease and ACK it; the reply waits for durability in
 * commit mode. */
static int ack(struct txn *t, struct lease4 *l, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	int n, s = lease_subnet(w, l);
	uint64_t seq;

	if (l->state != LEASE_STATE_DEFAULT && s >= 0) {
		/* a new assignment, not a renewal */
		w->st.subnet[s].cumulative++;
		if (l->pool != NO_POOL)
			w->st.pool[l->pool].cumulative++;
	}
	gauge(w, l, -1);
	l->state = LEASE_STATE_DEFAULT;
	l->valid_lft = s >= 0 ? t->c->subnets[s].valid_lifetime : t->c->valid_lifetime;
	l->expire = add_lft(w->now, l->valid_lft);
	lease_set_identity(t, l);
	lease_set_hostname(t, l);
	gauge(w, l, +1);
	lease_table_touch(w->lt, l);
	if (persist(w, l, false, &seq) && w->commit)
		/* Not durable, so not acknowledged: the client retransmits and
		 * the next attempt pushes again. */
		return drop(t, STAT4_MAX);
	n = reply(t, DHCP4_ACK, l, out, cap, tx);
	if (n > 0 && w->commit)
		tx->wait_seq = seq;
	return n;
}

/* ---- message handlers ------------------------------------------------ */

static int on_discover(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	struct lease4 *l = lease_table_lookup(w->lt, &t->key), *o = NULL;
	uint32_t hold = add_lft(w->now, offer_lifetime(t->c)), ra = host_addr(t);
	bool side;

	/* A reservation's address comes first (Kea): the client moves to it
	 * unless another client still holds it (then the usual rules).  A
	 * bound lease elsewhere stays until the REQUEST (a side offer). */
	if (ra && !(l && l->addr == ra)) {
		side = l && l->addr && l->state != LEASE_STATE_OFFERED;
		o = side ? side_offer(t, ra) : NULL;
		if (!o)
			o = claim_for(t, side ? NULL : l, ra, side);
		if (o) {
			o->expire = hold;
			lease_table_touch(w->lt, o);
			return reply(t, DHCP4_OFFER, o, out, cap, tx);
		}
		if (t->busy)
			return drop(t, STAT4_MAX);
	}
	if (lease_ok(t, l)) {
		/* The client's own lease or earlier offer: offer it again.  A
		 * bound lease is not demoted; it only must outlive the offer. */
		if (l->state == LEASE_STATE_OFFERED || l->expire < hold) {
			l->expire = hold;
			lease_table_touch(w->lt, l);
		}
		return reply(t, DHCP4_OFFER, l, out, cap, tx);
	}
	/* A bound lease in another subnet (the client asks through another
	 * relay, or roams) stays as it is until a REQUEST commits the move:
	 * it keeps renewing meanwhile, and nothing is persisted for an offer. */
	side = l && l->addr && l->state != LEASE_STATE_OFFERED;
	if (side) {
		o = side_offer(t, t->reqaddr);
		if (o) {
			o->expire = hold;
			lease_table_touch(w->lt, o);
			return reply(t, DHCP4_OFFER, o, out, cap, tx);
		}
		l = NULL;
	}
	if (t->reqaddr)
		o = claim_for(t, l, t->reqaddr, side);
	if (!o && !t->busy)
		o = take_for(t, l, side);
	if (!o && t->busy)
		return drop(t, STAT4_MAX);
	if (!o) {
		w->st.c[STAT4_V4_ALLOCATION_FAIL]++;
		return 0;
	}
	o->expire = hold;
	lease_table_touch(w->lt, o);
	return reply(t, DHCP4_OFFER, o, out, cap, tx);
}

static bool addr_in_candidates(const struct txn *t, uint32_t addr)
{
	return subnet_ok(t, rt_subnet_of(t->w->rt, addr));
}

static int on_request(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	struct lease4 *l = lease_table_lookup(w->lt, &t->key), *n;
	bool mine = lease_ok(t, l);
	uint32_t ra = host_addr(t);
	uint16_t len;
	const uint8_t *sid = dhcp4_opt(t->req, DHCP4_OPT_SERVER_ID, &len);

	if (sid) {
		/* SELECTING */
		uint32_t want = t->reqaddr ? t->reqaddr : t->ciaddr;

		if (len != 4 || !is_our_server_id(t->c, be32(sid))) {
			/* The client took another server's offer. */
			if (l && l->state == LEASE_STATE_OFFERED)
				lease_drop(w, l, false);
			n = side_offer(t, t->reqaddr);
			if (n)
				lease_drop(w, n, false);
			return drop(t, STAT4_NOT_FOR_US);
		}
		if (!want && mine)
			want = l->addr;
		if (mine && l->addr == want)
			return ack(t, l, out, cap, tx);
		n = want ? request_addr(t, l, want) : NULL;
		if (!n && t->busy)
			return drop(t, STAT4_MAX);      /* the client retransmits */
		return n ? ack(t, n, out, cap, tx) : nak(t, out, cap, tx);
	}
	if (t->reqaddr && !t->ciaddr) {
		/* INIT-REBOOT: the client checks an address it remembers. */
		if (!addr_in_candidates(t, t->reqaddr))
			return nak(t, out, cap, tx);
		/* A reserved client asking for another address starts over
		 * (Kea NAKs it too), unless it holds no reservation here. */
		if (ra && ra != t->reqaddr && !(mine && l->addr == t->reqaddr))
			return nak(t, out, cap, tx);
		if (mine && l->addr == t->reqaddr)
			return ack(t, l, out, cap, tx);
		if (mine)                       /* known client, wrong address */
			return nak(t, out, cap, tx);
		if (!t->c->authoritative)       /* Kea: not ours to judge */
			return 0;
		n = request_addr(t, l, t->reqaddr);
		if (!n && t->busy)
			return drop(t, STAT4_MAX);
		return n ? ack(t, n, out, cap, tx) : nak(t, out, cap, tx);
	}
	if (t->ciaddr) {
		/* RENEWING (unicast) or REBINDING (broadcast). */
		if (mine && l->addr == t->ciaddr)
			return ack(t, l, out, cap, tx);
		/* A client we have no record of (lost leases, a memory-mode
		 * restart) keeps its address if it is free: Kea's allocation
		 * engine does the same with ciaddr as the hint. */
		if (!mine && addr_in_candidates(t, t->ciaddr)) {
			n = request_addr(t, l, t->ciaddr);
			if (n)
				return ack(t, n, out, cap, tx);
			if (t->busy)
				return drop(t, STAT4_MAX);
		}
		return t->c->authoritative ? nak(t, out, cap, tx) : 0;
	}
	return drop(t, STAT4_MAX);              /* no address named at all */
}

static bool sid_refused(const struct txn *t)
{
	uint16_t len;
	const uint8_t *sid = dhcp4_opt(t->req, DHCP4_OPT_SERVER_ID, &len);

	return sid && (len != 4 || !is_our_server_id(t->c, be32(sid)));
}

static int on_release(struct txn *t)
{
	struct dhcp4_worker *w = t->w;
	struct lease4 *l;

	if (sid_refused(t))
		return drop(t, STAT4_NOT_FOR_US);
	l = lease_table_lookup(w->lt, &t->key);
	if (l && t->ciaddr && l->addr == t->ciaddr && l->state == LEASE_STATE_DEFAULT &&
	    lease_drop(w, l, true))
		return drop(t, STAT4_MAX);      /* kept: the lease expires or the client retries */
	return 0;
}

static int on_decline(struct txn *t)
{
	struct dhcp4_worker *w = t->w;
	struct lease4 *l, *d, rec;
	struct lease_key k;
	uint32_t addr = t->reqaddr, probation = t->c->decline_probation_period;
	uint64_t seq;
	bool existed;

	if (sid_refused(t))
		return drop(t, STAT4_NOT_FOR_US);
	l = lease_table_lookup(w->lt, &t->key);
	if (!l || !addr || l->addr != addr || l->state != LEASE_STATE_DEFAULT)
		return 0;
	/* The address is in use by someone unknown: the client loses it and
	 * it is held, bit still set, until probation ends.  Nothing changes
	 * unless the held entry exists and its record is in the ring: a
	 * DECLINE that cannot be persisted is dropped (counted), the client's
	 * lease stays as the file has it, and the client declines again. */
	addr_key(addr, &k);
	d = lease_table_insert(w->lt, &k, &existed);
	if (!d)
		return drop(t, STAT4_MAX);
	memset(&rec, 0, sizeof(rec));
	rec.addr = addr;
	rec.subnet_id = l->subnet_id;
	rec.state = LEASE_STATE_DECLINED;
	rec.valid_lft = probation;
	rec.expire = add_lft(w->now, probation);
	rec.key_kind = LEASE_KEY_ADDR;
	if (persist(w, &rec, false, &seq)) {
		if (!existed)
			lease_table_remove(w->lt, d);
		return drop(t, STAT4_MAX);
	}
	if (existed)
		gauge(w, d, -1);
	d->pool = l->pool;                      /* the bit passes to the held lease */
	gauge(w, l, -1);
	l->pool = NO_POOL;
	lease_table_remove(w->lt, l);
	d->addr = addr;
	d->subnet_id = rec.subnet_id;
	d->state = LEASE_STATE_DECLINED;
	lease_table_set_hostname(w->lt, d, NULL, 0);    /* as the record says: nobody's */
	d->flags = 0;
	d->valid_lft = probation;
	d->expire = rec.expire;
	d->seq = seq;
	gauge(w, d, +1);
	lease_table_touch(w->lt, d);
	return 0;
}

static int on_inform(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	if (sid_refused(t))
		return drop(t, STAT4_NOT_FOR_US);
	return reply(t, DHCP4_ACK, NULL, out, cap, tx);
}

int dhcp4_process(struct dhcp4_worker *w, const struct dhcp4_rx *rx,
		  const struct dhcp4_pkt *req, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	const struct conf_ext *x;
	struct cls_set cls;
	struct txn t;
	int s;

	worker_serving(w);
	w->st.c[STAT4_PKT4_RECEIVED]++;
	tx->wait_seq = 0;
	t.w = w;
	t.c = w->conf;
	t.rx = rx;
	t.req = req;
	t.h = req->hdr;
	t.busy = false;
	t.cls = &cls;
	t.host = NULL;
	x = t.c->ext;

	switch (req->msg_type) {
	case DHCP4_DISCOVER: w->st.c[STAT4_PKT4_DISCOVER_RECEIVED]++; break;
	case DHCP4_REQUEST:  w->st.c[STAT4_PKT4_REQUEST_RECEIVED]++; break;
	case DHCP4_RELEASE:  w->st.c[STAT4_PKT4_RELEASE_RECEIVED]++; break;
	case DHCP4_DECLINE:  w->st.c[STAT4_PKT4_DECLINE_RECEIVED]++; break;
	case DHCP4_INFORM:   w->st.c[STAT4_PKT4_INFORM_RECEIVED]++; break;
	case DHCP4_OFFER:    w->st.c[STAT4_PKT4_OFFER_RECEIVED]++; return drop(&t, STAT4_MAX);
	case DHCP4_ACK:      w->st.c[STAT4_PKT4_ACK_RECEIVED]++; return drop(&t, STAT4_MAX);
	case DHCP4_NAK:      w->st.c[STAT4_PKT4_NAK_RECEIVED]++; return drop(&t, STAT4_MAX);
	default:             w->st.c[STAT4_PKT4_UNKNOWN_RECEIVED]++; return drop(&t, STAT4_MAX);
	}
	if (unlikely(rx->iface >= t.c->n_ifaces))
		return drop(&t, STAT4_NOT_FOR_US);

	/* Classes, Kea's order: ALL, VENDOR_CLASS_*, the tests that need no
	 * host lookup; DROP ends it here. */
	cls_set_clear(&cls);
	cls_set_add(&cls, CLS_ID_ALL);
	if (x && x->classify_pre) {
		int failed = cls_classify_cached(x->reg, w->cls_cache, req, rx, &cls);

		if (unlikely(failed > 0))
			w->st.c[STAT4_CLASS_EVAL_FAILED] += (unsigned)failed;
		if (unlikely(cls_set_has(&cls, CLS_ID_DROP)))
			return drop(&t, STAT4_DROP_CLASS);
	}

	t.ciaddr = ntohl(t.h->ciaddr);
	t.giaddr = ntohl(t.h->giaddr);
	t.reqaddr = opt_addr(req, DHCP4_OPT_REQ_ADDR);
	t.server_addr = t.c->ifaces[rx->iface].addr;
	dhcp4_client_key(req, t.c->match_client_id, &t.key);
	/* Kea refuses a client it cannot identify. */
	if (unlikely(t.key.kind == LEASE_KEY_HWADDR && t.key.len <= 1))
		return drop(&t, STAT4_MAX);
	select_subnet(&t);
	t.s0 = t.s;
	t.shared = t.s >= 0 ? shared_of(t.c, t.s) : -1;
	/* The first candidate the client's classes may use. */
	t.s = subnet_next(&t, -1);
	if (t.s < 0)
		return drop(&t, STAT4_NO_SUBNET);

	/* Host lookup: a reservation in a candidate subnet (in candidate
	 * order), else a global one; then the classes that depend on
	 * KNOWN/UNKNOWN and the reservation's own classes. */
	if (w->rt->hosts && !dhcp4_hosts_subnet_scoped(w->rt->hosts)) {
		/* only global reservations: one lookup for every candidate */
		t.host = dhcp4_hosts_lookup(w->rt->hosts, 0, req, rx, t.c->ifaces[rx->iface].name, &cls);
	} else if (w->rt->hosts) {
		const char *ifname = t.c->ifaces[rx->iface].name;
		const struct conf_host *g = NULL, *h;

		for (s = t.s; s >= 0 && !t.host; s = subnet_next(&t, s)) {
			h = dhcp4_hosts_lookup(w->rt->hosts, t.c->subnets[s].id, req, rx, ifname, &cls);
			if (h && h->subnet_id)
				t.host = h;
			else if (h && !g)
				g = h;
		}
		if (!t.host)
			t.host = g;
		else if ((s = rt_subnet_by_id(w->rt, t.host->subnet_id)) >= 0)
			t.s = s;
	}
	if (x) {
		int failed;

		cls_set_known(&cls, t.host != NULL);
		if (t.host)
			for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
				cls.w[i] |= t.host->classes.w[i];
		failed = x->classify_post ? cls_classify(x->reg, req, rx, &cls, CLS_STAGE_POST_HOST) : 0;
		if (unlikely(failed > 0))
			w->st.c[STAT4_CLASS_EVAL_FAILED] += (unsigned)failed;
		/* DROP also from a reservation's client-classes */
		if (unlikely(cls_set_has(&cls, CLS_ID_DROP)))
			return drop(&t, STAT4_DROP_CLASS);
		/* KNOWN-dependent classes may close the subnet chosen so far */
		if (!subnet_allowed(&t, t.s)) {
			t.s = subnet_next(&t, -1);
			if (t.s < 0)
				return drop(&t, STAT4_NO_SUBNET);
		}
	}

	switch (req->msg_type) {
	case DHCP4_DISCOVER: return on_discover(&t, out, cap, tx);
	case DHCP4_REQUEST:  return on_request(&t, out, cap, tx);
	case DHCP4_RELEASE:  return on_release(&t);
	case DHCP4_DECLINE:  return on_decline(&t);
	default:             return on_inform(&t, out, cap, tx);
	}
}

/* ---- expiry ---------------------------------------------------------- */

static void expire_one(struct lease4 *l, void *arg)
{
	struct dhcp4_worker *w = arg;
	int s = lease_subnet(w, l);
	uint8_t state = l->state;

	if (lease_drop(w, l, true)) {
		/* Not freed now (counted): due again in a second, so the next
		 * sweeps retry without spinning on it in this one. */
		l->expire = w->now + 1;
		lease_table_touch(w->lt, l);
		return;
	}
	if (state == LEASE_STATE_DEFAULT) {
		w->st.c[STAT4_RECLAIMED_LEASES]++;
		if (s >= 0)
			w->st.subnet[s].reclaimed++;
	} else if (state == LEASE_STATE_DECLINED) {
		w->st.c[STAT4_RECLAIMED_DECLINED]++;
		if (s >= 0)
			w->st.subnet[s].reclaimed_declined++;
	}
}

unsigned dhcp4_expire(struct dhcp4_worker *w, unsigned max)
{
	worker_serving(w);
	dhcp4_worker_poll(w);
	return lease_table_expire(w->lt, w->now, max, expire_one, w);
}

/* ---- start-up restore ------------------------------------------------ */

/* Find the lease restored for addr, in any worker of this runtime. */
static struct lease4 *restore_holder(struct dhcp4_runtime *rt, uint32_t addr,
				     struct dhcp4_worker **wp)
{
	unsigned i;

	for (i = 0; i < rt->n_workers; i++) {
		struct lease4 *l;

		if (!rt->workers[i])
			continue;
		l = ridx_get(&rt->workers[i]->ridx, addr);
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
		lease_drop(hw, held, false);
	/* Deletions, reclaimed and expired leases leave the address free. */
	if (!r->valid_lft || r->state == LEASE_STATE_EXPIRED_RECLAIMED || r->expire <= w->now)
		return 0;
	if (r->state != LEASE_STATE_DEFAULT && r->state != LEASE_STATE_DECLINED)
		return -EINVAL;
	/* One lease per client: a newer address replaces the older one. */
	l = lease_table_lookup(w->lt, &k);
	if (l)
		lease_drop(w, l, false);

	p = rt_pool_of(rt, r->addr);
	ret = addr_take(rt, p, r->addr);
	if (ret)
		return ret;                     /* held by a lease we cannot see */
	l = lease_table_insert(w->lt, &k, &existed);
	if (!l) {
		addr_give(rt, p, r->addr);
		return -ENOMEM;
	}
	l->addr = r->addr;
	l->pool = p;
	if (p != NO_POOL)
		s = (int)rt->pools[p].subnet;
	else
		s = rt_subnet_of(rt, r->addr);
	l->subnet_id = s >= 0 ? w->conf->subnets[s].id : r->subnet_id;
	l->expire = r->expire;
	l->valid_lft = r->valid_lft;
	l->state = r->state;
	if (k.kind != LEASE_KEY_ADDR) {
		if (k.kind != LEASE_KEY_HWADDR) {
			l->htype = r->htype;
			l->hwaddr_len = r->hwaddr_len > 16 ? 16 : r->hwaddr_len;
			memcpy(l->hwaddr, r->hwaddr, l->hwaddr_len);
		}
		if (k.kind != LEASE_KEY_CLIENT_ID && r->cid_len &&
		    lease_table_set_cid(w->lt, l, r->cid, r->cid_len))
			goto err_nomem;
	}
	if (lease_names_of(w, l, r))
		goto err_nomem;
	ret = ridx_put(&w->ridx, l->addr, l);
	if (ret)
		goto err_nomem;
	gauge(w, l, +1);
	lease_table_touch(w->lt, l);
	return 0;
err_nomem:
	addr_release(w, l);
	lease_table_remove(w->lt, l);
	return -ENOMEM;
}

/* ---- live reconfiguration -------------------------------------------- */

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
		if (addr_take(rt, p, l->addr))
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
	gauge(w, l, +1);
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

	for (i = w->pend_head; i != w->pend_tail; i++) {
		struct pend_release *e = &w->pend[i & (w->pend_cap - 1)];
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

/* ---- control operations ---------------------------------------------- */

static bool filter_match(const struct dhcp4_lease_filter *f, const struct lease4 *l)
{
	unsigned i;

	if (l->state == LEASE_STATE_OFFERED || !l->addr)
		return false;
	if (f->addr && l->addr != f->addr)
		return false;
	if (f->from && l->addr <= f->from)
		return false;
	if (f->hw_len && (l->key_kind == LEASE_KEY_ADDR || l->hwaddr_len != f->hw_len ||
			  memcmp(l->hwaddr, f->hw, f->hw_len)))
		return false;
	if (f->cid_len && (l->key_kind == LEASE_KEY_ADDR || l->cid_len != f->cid_len ||
			   memcmp(lease_cid(l), f->cid, f->cid_len)))
		return false;
	if (f->n_subnet_ids) {
		for (i = 0; i < f->n_subnet_ids; i++)
			if (f->subnet_ids[i] == l->subnet_id)
				break;
		if (i == f->n_subnet_ids)
			return false;
	}
	return true;
}

struct query_ctx {
	const struct dhcp4_lease_filter *f;
	struct dhcp4_worker *w;
	struct lease_rec *out;
	unsigned cap, n;
	uint64_t matched;
};

/* out[0..n) is a max-heap on the address while paging, so the highest of
 * the kept addresses is the one a lower match replaces. */
static void heap_down(struct lease_rec *a, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		struct lease_rec t;

		if (l < n && a[l].addr > a[m].addr)
			m = l;
		if (r < n && a[r].addr > a[m].addr)
			m = r;
		if (m == i)
			return;
		t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void heap_up(struct lease_rec *a, unsigned i)
{
	while (i > 0) {
		unsigned p = (i - 1) / 2;
		struct lease_rec t;

		if (a[p].addr >= a[i].addr)
			return;
		t = a[i];
		a[i] = a[p];
		a[p] = t;
		i = p;
	}
}

static int query_one(struct lease4 *l, void *arg)
{
	struct query_ctx *q = arg;
	unsigned cap = q->f->limit && q->f->limit < q->cap ? q->f->limit : q->cap;

	if (!filter_match(q->f, l))
		return 0;
	q->matched++;
	if (!q->f->limit) {
		if (q->n < cap)
			rec_of(q->w->lt, &q->out[q->n++], l);
		return 0;
	}
	if (q->n < cap) {
		rec_of(q->w->lt, &q->out[q->n], l);
		heap_up(q->out, q->n++);
	} else if (cap && l->addr < q->out[0].addr) {
		rec_of(q->w->lt, &q->out[0], l);
		heap_down(q->out, q->n, 0);
	}
	return 0;
}

unsigned dhcp4_lease_query(struct dhcp4_worker *w, const struct dhcp4_lease_filter *f,
			   struct lease_rec *out, unsigned cap, uint64_t *matched)
{
	struct query_ctx q = { .f = f, .w = w, .out = out, .cap = out ? cap : 0 };

	worker_serving(w);
	lease_table_foreach(w->lt, query_one, &q);
	if (matched)
		*matched = q.matched;
	return q.n;
}

struct find_ctx {
	uint32_t addr;
	struct lease4 *l;
};

static int find_addr(struct lease4 *l, void *arg)
{
	struct find_ctx *x = arg;

	if (l->addr != x->addr || l->state == LEASE_STATE_OFFERED)
		return 0;
	x->l = l;
	return 1;
}

int dhcp4_lease_add(struct dhcp4_worker *w, const struct lease_rec *r, bool replace, uint64_t *seq)
{
	struct dhcp4_runtime *rt = w->rt;
	struct find_ctx fx = { .addr = r ? r->addr : 0 };
	struct lease4 *l, *old = NULL;
	struct lease_key k;
	uint16_t p;
	bool existed, claimed = false;
	int s;

	*seq = 0;
	if (!r || !r->addr || (r->state != LEASE_STATE_DEFAULT && r->state != LEASE_STATE_DECLINED))
		return -EINVAL;
	worker_serving(w);
	s = rt_subnet_of(rt, r->addr);
	if (s < 0 || (r->subnet_id && r->subnet_id != w->conf->subnets[s].id))
		return -EINVAL;
	if (replace) {
		lease_table_foreach(w->lt, find_addr, &fx);
		old = fx.l;
		if (!old)
			return -ENOENT;
	}
	dhcp4_rec_key(r, w->conf->match_client_id, &k);
	l = lease_table_lookup(w->lt, &k);
	if (l && l != old && l->state != LEASE_STATE_OFFERED)
		return -EEXIST;                 /* the client has another lease */
	p = rt_pool_of(rt, r->addr);
	if (!old && (p != NO_POOL || rt_reserved(rt, r->addr))) {
		if (addr_take(rt, p, r->addr))
			return -EEXIST;         /* the address is someone's (or an offer's) */
		claimed = true;
	}
	if (!replace) {
		/* an address outside the pools has no bit: look for a holder */
		lease_table_foreach(w->lt, find_addr, &fx);
		if (fx.l) {
			if (claimed)
				addr_give(rt, p, r->addr);
			return -EEXIST;
		}
	}
	if (l && l != old)
		lease_drop(w, l, false);        /* the client's pending offer */
	if (old) {
		/* the bit (if any) passes to the new entry, as in DECLINE */
		gauge(w, old, -1);
		if (old->pool != p && old->pool != NO_POOL)
			alloc_release(rt->pools[old->pool].ap, old->addr);
		old->pool = NO_POOL;
		lease_table_remove(w->lt, old);
	}
	l = lease_table_insert(w->lt, &k, &existed);
	if (!l) {
		addr_give(rt, p, r->addr);
		return -ENOMEM;
	}
	l->addr = r->addr;
	l->pool = p;
	l->subnet_id = w->conf->subnets[s].id;
	l->valid_lft = r->valid_lft;
	l->expire = r->expire;
	l->state = r->state;
	if (k.kind != LEASE_KEY_ADDR) {
		if (k.kind != LEASE_KEY_HWADDR) {
			l->htype = r->htype;
			l->hwaddr_len = r->hwaddr_len > 16 ? 16 : r->hwaddr_len;
			memcpy(l->hwaddr, r->hwaddr, l->hwaddr_len);
		}
		if (k.kind != LEASE_KEY_CLIENT_ID && r->cid_len &&
		    lease_table_set_cid(w->lt, l, r->cid, r->cid_len)) {
			addr_release(w, l);
			lease_table_remove(w->lt, l);
			return -ENOMEM;
		}
	}
	if (lease_names_of(w, l, r)) {
		addr_release(w, l);
		lease_table_remove(w->lt, l);
		return -ENOMEM;
	}
	if (!old && l->state == LEASE_STATE_DEFAULT) {
		w->st.subnet[s].cumulative++;
		if (p != NO_POOL)
			w->st.pool[p].cumulative++;
	}
	gauge(w, l, +1);
	lease_table_touch(w->lt, l);
	persist(w, l, false, seq);
	return 0;
}

struct del_ctx {
	const struct dhcp4_lease_filter *f;
	struct lease4 **v;
	size_t n, cap;
};

static int del_collect(struct lease4 *l, void *arg)
{
	struct del_ctx *x = arg;

	if (!filter_match(x->f, l))
		return 0;
	if (x->n == x->cap)
		return 1;
	x->v[x->n++] = l;
	return 0;
}

long dhcp4_lease_del(struct dhcp4_worker *w, const struct dhcp4_lease_filter *f, unsigned *left)
{
	struct del_ctx x = { .f = f };
	size_t i, done;

	worker_serving(w);
	/* foreach forbids removal: collect first, then drop */
	if (left)
		*left = 0;
	x.cap = f->addr ? 1 : lease_table_count(w->lt);
	if (!x.cap)
		return 0;
	x.v = malloc(x.cap * sizeof(*x.v));
	if (!x.v)
		return -ENOMEM;
	lease_table_foreach(w->lt, del_collect, &x);
	for (i = 0, done = 0; i < x.n; i++)
		if (!lease_drop(w, x.v[i], true))
			done++;
	free(x.v);
	/* some left in place (counted): the caller may retry */
	if (left)
		*left = (unsigned)(x.n - done);
	return x.n && !done ? -ENOBUFS : (long)done;
}

unsigned dhcp4_lease_reclaim(struct dhcp4_worker *w, unsigned max)
{
	unsigned total = 0, rounds = 0, n;

	do {
		n = dhcp4_expire(w, 256);
		total += n;
	} while (total < max && ++rounds < 65536 &&
		 (n || !lease_table_expire_idle(w->lt, w->now)));
	return total;
}
