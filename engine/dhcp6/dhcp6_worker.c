/* The DHCPv6 worker: one per lcore, beside its DHCPv4 worker.  It owns
 * its v6 lease table, statistics, pool cursors and release queue; only it
 * writes them.  Expiry runs here in bounded batches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcp6_priv.h"

#define DEFAULT_CAPACITY 1024u
#define RQ6_SIZE (1u << 15)

void dhcp6_worker_free(struct dhcp6_worker *w)
{
	if (!w)
		return;
	lease6_table_free(w->lt);
	access_cache_free(w->acache);
	free(w->rq.e);
	free(w->cursor);
	free(w->st.subnet);
	free(w->st.pool);
	free(w);
}

struct dhcp6_worker *dhcp6_worker_create(const struct dhcp6_worker_params *p)
{
	struct dhcp6_worker *w;
	char name[32];

	if (!p || !p->conf || !p->conf->v6 || !p->rt || p->rt->conf != p->conf ||
	    !p->n_workers || p->id >= p->n_workers || !p->log) {
		errno = EINVAL;
		return NULL;
	}
	w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);
	if (!w)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->id = p->id;
	w->n_workers = p->n_workers;
	w->conf = p->conf;
	w->radius = p->conf->radius;
	w->c6 = p->conf->v6;
	w->rt = p->rt;
	w->log = p->log;
	w->durable = p->durable;
	w->commit = (p->durable && p->conf->lease_db.durability == CONF_DUR_COMMIT) ||
		    p->replies_wait;
	w->origin = LEASE_ORIGIN_CLIENT;
	w->now = (uint32_t)time(NULL);
	snprintf(name, sizeof(name), "leases6-%u", p->id);
	w->lt = lease6_table_create(&(struct lease_table_params){
		.name = name, .capacity = p->lease_capacity ? p->lease_capacity : DEFAULT_CAPACITY });
	w->cursor = calloc(p->rt->n_pools ? p->rt->n_pools : 1, sizeof(*w->cursor));
	w->st.n_subnets = w->c6->n_subnets;
	w->st.subnet = calloc(w->c6->n_subnets ? w->c6->n_subnets : 1, sizeof(*w->st.subnet));
	w->st.n_pools = p->rt->n_pools;
	w->st.pool = calloc(p->rt->n_pools ? p->rt->n_pools : 1, sizeof(*w->st.pool));
	w->rq.cap = RQ6_SIZE;
	w->rq.e = calloc(RQ6_SIZE, sizeof(*w->rq.e));
	w->ask_access = p->ask_access;
	if (p->ask_access)
		w->acache = access_cache_create(p->access_cache_max ? p->access_cache_max : 65536);
	if (!w->lt || !w->cursor || !w->st.subnet || !w->st.pool || !w->rq.e ||
	    (p->ask_access && !w->acache)) {
		dhcp6_worker_free(w);
		errno = ENOMEM;
		return NULL;
	}
	/* workers start each bitmap pool's scan at spread-out offsets */
	for (uint32_t i = 0; i < p->rt->n_pools; i++) {
		uint64_t size = alloc6_size(p->rt->pools[i].ap);

		w->cursor[i] = size / p->n_workers * p->id;
	}
	return w;
}

struct stats6 *dhcp6_worker_stats(struct dhcp6_worker *w)
{
	return &w->st;
}

struct lease6_table *dhcp6_worker_leases(struct dhcp6_worker *w)
{
	return w->lt;
}

void dhcp6_worker_set_now(struct dhcp6_worker *w, uint32_t now)
{
	w->now = now;
}

static void expire_one(struct lease6 *l, void *arg)
{
	struct dhcp6_worker *w = arg;
	int s = lease6_subnet(w, l);
	uint8_t state = l->state;

	if (l->flags & LEASE_F_FOREIGN) {
		/* another server's lease, never written here: it just ends */
		dhcp6_lease_drop(w, l, 0);
		return;
	}
	if (dhcp6_lease_drop(w, l, LEASE_OP_EXPIRE)) {
		/* not now (counted): due again in a second */
		l->expire = w->now + 1;
		lease6_table_touch(w->lt, l);
		return;
	}
	if (state == LEASE_STATE_DECLINED) {
		w->st.c[STAT6_RECLAIMED_DECLINED]++;
		if (s >= 0)
			w->st.subnet[s].reclaimed_declined++;
	} else {
		w->st.c[STAT6_RECLAIMED_LEASES]++;
		if (s >= 0)
			w->st.subnet[s].reclaimed++;
	}
}

unsigned dhcp6_expire(struct dhcp6_worker *w, unsigned max)
{
	uint8_t origin = w->origin;
	unsigned n;

	dhcp6_rq_poll(w);
	if (origin == LEASE_ORIGIN_CLIENT)
		w->origin = LEASE_ORIGIN_SERVER;
	w->hw_len = 0;
	n = lease6_table_expire(w->lt, w->now, max, expire_one, w);
	w->origin = origin;
	return n;
}

unsigned dhcp6_owner(const struct dhcp6_pkt *p, unsigned n_workers)
{
	if (n_workers <= 1 || !p->client_id.data)
		return 0;
	return (unsigned)(lease_duid_hash(p->client_id.data, (uint8_t)p->client_id.len) %
			  n_workers);
}
