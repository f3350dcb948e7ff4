/* Control operations on leases (lease4-get/-get-all/-get-page, lease4-add,
 * lease4-update, lease4-del, lease4-wipe, leases-reclaim).  They run on the
 * worker that owns the lease, from its control message ring: single
 * writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4_priv.h"

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
			dhcp4_rec_of(q->w->lt, &q->out[q->n++], l);
		return 0;
	}
	if (q->n < cap) {
		dhcp4_rec_of(q->w->lt, &q->out[q->n], l);
		heap_up(q->out, q->n++);
	} else if (cap && l->addr < q->out[0].addr) {
		dhcp4_rec_of(q->w->lt, &q->out[0], l);
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
	/* Room in the log before anything changes: success means logged. */
	if (!lease_log_claim(w->log)) {
		w->st.c[STAT4_FLUSH_RING_FULL]++;
		return -ENOBUFS;
	}
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
		if (dhcp4_addr_take(rt, p, r->addr))
			return -EEXIST;         /* the address is someone's (or an offer's) */
		claimed = true;
	}
	if (!replace) {
		/* an address outside the pools has no bit: look for a holder */
		lease_table_foreach(w->lt, find_addr, &fx);
		if (fx.l) {
			if (claimed)
				dhcp4_addr_give(rt, p, r->addr);
			return -EEXIST;
		}
	}
	if (l && l != old)
		dhcp4_lease_drop(w, l, 0);        /* the client's pending offer */
	if (old) {
		/* the bit (if any) passes to the new entry, as in DECLINE */
		dhcp4_gauge(w, old, -1);
		if (old->pool != p && old->pool != NO_POOL)
			alloc_release(rt->pools[old->pool].ap, old->addr);
		old->pool = NO_POOL;
		lease_table_remove(w->lt, old);
	}
	l = lease_table_insert(w->lt, &k, &existed);
	if (!l) {
		dhcp4_addr_give(rt, p, r->addr);
		return -ENOMEM;
	}
	l->addr = r->addr;
	l->pool = p;
	l->subnet_id = w->conf->subnets[s].id;
	if (dhcp4_lease_from_rec(w, l, r, k.kind)) {
		addr_release(w, l);
		lease_table_remove(w->lt, l);
		return -ENOMEM;
	}
	if (!old && l->state == LEASE_STATE_DEFAULT) {
		w->st.subnet[s].cumulative++;
		if (p != NO_POOL)
			w->st.pool[p].cumulative++;
	}
	dhcp4_gauge(w, l, +1);
	lease_table_touch(w->lt, l);
	w->origin = LEASE_ORIGIN_CONTROL;
	dhcp4_persist(w, l, replace ? LEASE_OP_RENEW : LEASE_OP_ADD, seq);   /* claimed above */
	w->origin = LEASE_ORIGIN_CLIENT;
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
	w->origin = LEASE_ORIGIN_CONTROL;
	for (i = 0, done = 0; i < x.n; i++)
		if (!dhcp4_lease_drop(w, x.v[i], LEASE_OP_DELETE))
			done++;
	w->origin = LEASE_ORIGIN_CLIENT;
	free(x.v);
	/* some left in place (counted): the caller may retry */
	if (left)
		*left = (unsigned)(x.n - done);
	return x.n && !done ? -ENOBUFS : (long)done;
}

unsigned dhcp4_lease_reclaim(struct dhcp4_worker *w, unsigned max)
{
	unsigned total = 0, rounds = 0, n;

	w->origin = LEASE_ORIGIN_CONTROL;
	do {
		n = dhcp4_expire(w, 256);
		total += n;
	} while (total < max && ++rounds < 65536 &&
		 (n || !lease_table_expire_idle(w->lt, w->now)));
	w->origin = LEASE_ORIGIN_CLIENT;
	return total;
}
