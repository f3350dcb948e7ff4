/* The worker: one per lcore.  It owns its lease table, statistics, pool
 * scan cursors, release queue and classification cache; only it writes
 * them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcp4_priv.h"

#define DEFAULT_CAPACITY 1024u
#define DEFAULT_RELEASE_QUEUE (1u << 15)

void dhcp4_worker_free(struct dhcp4_worker *w)
{
	if (!w)
		return;
	if (w->rt && w->id < w->rt->n_workers && w->rt->workers[w->id] == w)
		w->rt->workers[w->id] = NULL;
	addr_index_free(&w->ridx);
	lease_table_free(w->lt);
	release_queue_free(&w->rq);
	cls_cache_free(w->cls_cache);
	access_cache_free(w->acache);
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
	    p->id >= p->n_workers || !p->log) {
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
	w->log = p->log;
	w->durable = p->durable;
	w->origin = LEASE_ORIGIN_CLIENT;
	w->commit = (p->durable && p->conf->lease_db.durability == CONF_DUR_COMMIT) ||
		    p->replies_wait;
	w->ask_access = p->ask_access;
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
	if (p->ask_access)
		w->acache = access_cache_create(p->access_cache_max ? p->access_cache_max : 65536);
	if (!w->cursor || !w->st.subnet || !w->st.pool || !w->cls_cache ||
	    (p->ask_access && !w->acache))
		goto err;
	/* Also in memory mode: a reload parks the bits freed in a pool it
	 * replaces here until this worker switches (dhcp4_addr_defer). */
	{
		int ret = release_queue_init(&w->rq, p->release_queue ? p->release_queue
								      : DEFAULT_RELEASE_QUEUE);

		if (ret) {
			err = -ret;
			goto err;
		}
	}
	/* Workers start scanning each pool at evenly spread offsets so that
	 * they rarely race for the same bitmap word. */
	for (i = 0; i < rt->n_pools; i++) {
		uint64_t size = (uint64_t)rt->pools[i].last - rt->pools[i].first + 1;

		w->cursor[i] = dhcp4_cursor_start(size, p->id, p->n_workers);
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

void dhcp4_worker_enter(struct dhcp4_worker *w)
{
	/* seq_cst: ordered before this unit's loads of the frozen flags */
	__atomic_store_n(&w->busy, w->busy + 1, __ATOMIC_SEQ_CST);
}

void dhcp4_worker_leave(struct dhcp4_worker *w)
{
	__atomic_store_n(&w->busy, w->busy + 1, __ATOMIC_RELEASE);
}

uint32_t dhcp4_worker_busy(const struct dhcp4_worker *w)
{
	return __atomic_load_n(&w->busy, __ATOMIC_SEQ_CST);
}

bool dhcp4_worker_frozen(const struct dhcp4_worker *w)
{
	return __atomic_load_n(&w->rt->n_frozen, __ATOMIC_SEQ_CST) != 0;
}

uint32_t dhcp4_cursor_spread;

void dhcp4_set_cursor_spread(uint32_t spread)
{
	dhcp4_cursor_spread = spread;
}
