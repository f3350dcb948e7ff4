/* Control operations on leases (lease4-get/-get-all/-get-page, lease4-add,
 * lease4-update, lease4-del, lease4-wipe, leases-reclaim).  They run on the
 * worker that owns the lease, from its control message ring: single
 * writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4_priv.h"

/* The origin this worker's control changes are logged with: the partner's
 * (LEASE_ORIGIN_HA) while its message handler says so, else CONTROL. */
static inline uint8_t ctl_origin(const struct dhcp4_worker *w)
{
	return w->ctl_origin ? w->ctl_origin : LEASE_ORIGIN_CONTROL;
}

void dhcp4_worker_set_ctl_origin(struct dhcp4_worker *w, uint8_t origin)
{
	w->ctl_origin = origin;
}

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

/* cb for the leases f may match: with an address, only the one there (its
 * owner reference finds it), else the whole table. */
static void filter_walk(struct dhcp4_worker *w, const struct dhcp4_lease_filter *f,
			int (*cb)(struct lease4 *l, void *arg), void *arg)
{
	if (f->addr) {
		struct lease4 *l = dhcp4_lease_at(w, f->addr);

		if (l)
			cb(l, arg);
	} else {
		lease_table_foreach(w->lt, cb, arg);
	}
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
	filter_walk(w, f, query_one, &q);
	if (matched)
		*matched = q.matched;
	return q.n;
}

unsigned dhcp4_lease_fetch(struct dhcp4_worker *w, const uint32_t *addrs, unsigned n,
			   struct lease_rec *out)
{
	unsigned i, k = 0;

	worker_serving(w);
	for (i = 0; i < n; i++) {
		struct lease4 *l = dhcp4_lease_at(w, addrs[i]);

		if (l)
			dhcp4_rec_of(w->lt, &out[k++], l);
	}
	return k;
}

enum put_mode { PUT_ADD, PUT_REPLACE, PUT_ADOPT };

/* lease4-add (PUT_ADD), lease4-update on the holder (PUT_REPLACE) and a
 * lease moving in from another worker (PUT_ADOPT): see dhcp4_server.h. */
static int lease_put(struct dhcp4_worker *w, const struct lease_rec *r, enum put_mode mode,
		     uint64_t *seq)
{
	struct dhcp4_runtime *rt = w->rt;
	struct lease4 *l, *old = NULL;
	struct lease_change *c;
	struct lease_key k;
	uint16_t p;
	bool existed, claimed = false;
	int s;

	*seq = 0;
	if (!r || !r->addr || (r->state != LEASE_STATE_DEFAULT && r->state != LEASE_STATE_DECLINED))
		return -EINVAL;
	worker_serving(w);
	/* Room in the log before anything changes: success means logged. */
	c = dhcp4_log_claim(w);
	if (!c)
		return -ENOBUFS;
	s = rt_subnet_of(rt, r->addr);
	if (s < 0 || (r->subnet_id && r->subnet_id != w->conf->subnets[s].id))
		return -EINVAL;
	if (mode == PUT_REPLACE) {
		old = dhcp4_lease_at(w, r->addr);
		if (!old)
			return -ENOENT;
	}
	dhcp4_rec_key(r, w->conf->match_client_id, &k);
	l = lease_table_lookup(w->lt, &k);
	if (l && l != old && l->state != LEASE_STATE_OFFERED)
		return -EEXIST;                 /* the client has another lease */
	p = rt_pool_of(rt, r->addr);
	if (mode == PUT_ADOPT) {
		/* the address stays taken by the lease that moves: it must be */
		const struct conf_host *h = rt_reserved(rt, r->addr);

		if (h ? !__atomic_load_n(rt_held(rt, h), __ATOMIC_ACQUIRE)
		      : p != NO_POOL && !alloc_in_use(rt->pools[p].ap, r->addr))
			return -ENOENT;
		if (dhcp4_lease_at(w, r->addr))
			return -EEXIST;
		/* outside the pools the address must have its entry in the
		 * index already (the old holder's), or the reference could
		 * not pass: refuse before anything changes */
		if (p == NO_POOL && !addr_owner_get(rt->outside, r->addr))
			return -ENOSPC;
	} else if (!old && (p != NO_POOL || rt_reserved(rt, r->addr))) {
		if (dhcp4_addr_take(rt, p, r->addr))
			return -EEXIST;         /* the address is someone's (or an offer's) */
		claimed = true;
	}
	/* an address outside the pools has no bit: is it this worker's?  (the
	 * control thread asked the address's owner before) */
	if (mode == PUT_ADD && dhcp4_lease_at(w, r->addr)) {
		if (claimed)
			dhcp4_addr_give(rt, p, r->addr);
		return -EEXIST;
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
		if (mode != PUT_ADOPT)
			dhcp4_addr_give(rt, p, r->addr);
		return -ENOMEM;
	}
	l->addr = r->addr;
	l->pool = p;
	l->subnet_id = w->conf->subnets[s].id;
	if (dhcp4_lease_from_rec(w, l, r, k.kind)) {
		if (mode != PUT_ADOPT)
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
	w->origin = ctl_origin(w);
	*seq = dhcp4_log_commit(w, c, l, mode == PUT_REPLACE ? LEASE_OP_RENEW : LEASE_OP_ADD);
	w->origin = LEASE_ORIGIN_CLIENT;
	addr_own(w, l);                         /* adopt: the address is this worker's from here */
	return 0;
}

int dhcp4_lease_add(struct dhcp4_worker *w, const struct lease_rec *r, bool replace, uint64_t *seq)
{
	return lease_put(w, r, replace ? PUT_REPLACE : PUT_ADD, seq);
}

int dhcp4_lease_put(struct dhcp4_worker *w, const struct lease_rec *r, uint64_t *seq)
{
	int ret = lease_put(w, r, PUT_REPLACE, seq);

	return ret == -ENOENT ? lease_put(w, r, PUT_ADD, seq) : ret;
}

int dhcp4_lease_adopt(struct dhcp4_worker *w, const struct lease_rec *r, uint64_t *seq)
{
	return lease_put(w, r, PUT_ADOPT, seq);
}

int dhcp4_lease_handover(struct dhcp4_worker *w, uint32_t addr, uint32_t ref, uint64_t *seq)
{
	struct lease4 *l;

	/* Every record this worker wrote for addr is at or below its log's
	 * head now, whether the lease is still here or ended meanwhile
	 * without a record (addr_handed_over): after this it writes none. */
	*seq = lease_log_head(w->log);
	worker_serving(w);
	if (dhcp4_ref_worker(ref) != (int)w->id)
		return -EINVAL;
	l = dhcp4_lease_of_ref(w, addr, ref);
	if (!l)
		return -ENOENT;                 /* it ended meanwhile (without a record) */
	/* Only once the address is another worker's lease: otherwise this
	 * would leave the address taken by nobody. */
	if (!addr_handed_over(w, l))
		return -EBUSY;
	dhcp4_lease_forget(w, l);
	lease_table_remove(w->lt, l);
	return 0;
}

int dhcp4_lease_relog(struct dhcp4_worker *w, uint32_t addr, uint64_t *seq)
{
	struct lease4 *l;
	int ret;

	*seq = 0;
	worker_serving(w);
	l = dhcp4_lease_at(w, addr);
	if (!l)
		return -ENOENT;
	w->origin = ctl_origin(w);
	ret = dhcp4_persist(w, l, LEASE_OP_RENEW, seq);
	w->origin = LEASE_ORIGIN_CLIENT;
	return ret;
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
	filter_walk(w, f, del_collect, &x);
	w->origin = ctl_origin(w);
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

	w->origin = ctl_origin(w);
	do {
		n = dhcp4_expire(w, 256);
		total += n;
	} while (total < max && ++rounds < 65536 &&
		 (n || !lease_table_expire_idle(w->lt, w->now)));
	w->origin = LEASE_ORIGIN_CLIENT;
	return total;
}

/* addr, taken for the holder's lease (its pool bit in p: taken by the
 * caller, or passed on by `from`, the entry that held it here and goes
 * without a record), becomes the holder's entry in this worker's table,
 * keyed k: flagged LEASE_F_FOREIGN (never written, ended without a record
 * at its expiry), so the address is not handed out meanwhile.  On failure
 * the address is free again.  0 or -ENOMEM. */
static int foreign_hold(struct dhcp4_worker *w, struct lease4 *from, const struct lease_key *k,
			uint32_t addr, uint16_t p, uint32_t subnet_id,
			const struct lease_rec *holder)
{
	struct lease4 *f;
	bool existed;

	if (from) {
		dhcp4_lease_forget(w, from);
		lease_table_remove(w->lt, from);
	}
	f = lease_table_insert(w->lt, k, &existed);
	if (!f) {
		dhcp4_addr_give(w->rt, p, addr);
		return -ENOMEM;
	}
	f->addr = addr;
	f->pool = p;
	f->subnet_id = subnet_id;
	if (dhcp4_lease_from_rec(w, f, holder, k->kind)) {
		dhcp4_addr_give(w->rt, p, addr);
		lease_table_remove(w->lt, f);
		return -ENOMEM;
	}
	f->flags |= LEASE_F_FOREIGN;
	dhcp4_gauge(w, f, +1);
	lease_table_touch(w->lt, f);
	addr_own(w, f);
	return 0;
}

/* The store refused this worker's change `seq` at addr: the address is a
 * live lease of another server's client (holder, or NULL when the store
 * could not say whose).  Our client's lease there goes without a record
 * (the store never had it), and the reply waiting for it is dropped by
 * the caller.  With a holder the address stays taken: the holder's lease
 * takes the entry's place here (foreign_hold), so it is not handed out
 * again meanwhile.  It is filed in this worker, which keeps the address's
 * bit, even when the holder's client is another worker's.  Without a
 * holder, or with one that ended, the address is free again.  A lease
 * that changed after seq waits for that change's own verdict. */
int dhcp4_lease_foreign(struct dhcp4_worker *w, uint32_t addr, uint64_t seq,
			const struct lease_rec *holder)
{
	struct dhcp4_runtime *rt = w->rt;
	struct lease4 *l = dhcp4_lease_at(w, addr), *f;
	struct lease_rec unknown;
	struct lease_key k;
	uint16_t p;
	int ret;

	worker_serving(w);
	if (!l || l->seq != seq || (l->flags & LEASE_F_FOREIGN))
		return -ENOENT;
	if (!holder) {
		/* live for the store, unreadable here: held by a stand-in
		 * (the address's own hardware address of 16 bytes) */
		memset(&unknown, 0, sizeof(unknown));
		unknown.addr = addr;
		unknown.subnet_id = l->subnet_id;
		unknown.valid_lft = LEASE_UNKNOWN_HOLD_S;
		unknown.expire = w->now + LEASE_UNKNOWN_HOLD_S;
		unknown.hwaddr_len = 16;
		memcpy(unknown.hwaddr, LEASE_UNKNOWN_HOLDER, 12);
		unknown.hwaddr[12] = (uint8_t)(addr >> 24);
		unknown.hwaddr[13] = (uint8_t)(addr >> 16);
		unknown.hwaddr[14] = (uint8_t)(addr >> 8);
		unknown.hwaddr[15] = (uint8_t)addr;
		holder = &unknown;
	}
	if (holder->expire <= w->now || !holder->valid_lft ||
	    holder->state != LEASE_STATE_DEFAULT || rt_reserved(rt, addr))
		return dhcp4_lease_drop(w, l, 0);
	dhcp4_rec_key(holder, w->conf->match_client_id, &k);
	f = lease_table_lookup(w->lt, &k);
	if (f && f->state == LEASE_STATE_OFFERED)
		dhcp4_lease_drop(w, f, 0);
	else if (f)
		return dhcp4_lease_drop(w, l, 0);   /* the holder has a lease here too */
	/* the entry goes; its address (bit, owner word) passes to the holder's */
	p = l->pool;
	ret = foreign_hold(w, l, &k, addr, p, l->subnet_id, holder);
	if (ret)
		return ret;
	w->st.c[STAT4_LEASES_FOREIGN]++;
	/* the addresses after this one are likely the other server's run of
	 * claims: look elsewhere in the pool next time */
	if (p != NO_POOL) {
		uint64_t size = (uint64_t)rt->pools[p].last - rt->pools[p].first + 1;
		uint64_t h = (seq ^ ((uint64_t)addr << 32)) * 0x9e3779b97f4a7c15ull;

		w->cursor[p] = (uint32_t)((h >> 32) % size);
	}
	return 0;
}

/* Another server's client holds holder->addr (a claim it published, see
 * dhcp4_server.h): hold the address for it here, as a refusal would have
 * (foreign_hold), before this server offers it to anybody.  Nothing is
 * logged: the store has the holder's lease already.  Every refusal comes
 * before any change. */
int dhcp4_lease_learn(struct dhcp4_worker *w, const struct lease_rec *holder)
{
	struct dhcp4_runtime *rt = w->rt;
	uint32_t addr = holder->addr;
	struct lease4 *at, *f, *from;
	struct lease_key k;
	uint16_t p;
	int ret;

	worker_serving(w);
	if (!addr)
		return -EINVAL;
	at = dhcp4_lease_at(w, addr);
	if (holder->expire <= w->now || !holder->valid_lft || holder->state != LEASE_STATE_DEFAULT)
		return at && (at->flags & LEASE_F_FOREIGN) ? dhcp4_lease_drop(w, at, 0) : -ENOENT;
	p = rt_pool_of(rt, addr);
	if (p == NO_POOL || rt_reserved(rt, addr))
		return -ENOENT;
	dhcp4_rec_key(holder, w->conf->match_client_id, &k);
	f = lease_table_lookup(w->lt, &k);
	/* keyed by the address (a holder without identity): our side offer
	 * or declined address there */
	if (f && !(f->flags & LEASE_F_FOREIGN) && k.kind == LEASE_KEY_ADDR)
		return -EBUSY;
	if (f && !(f->flags & LEASE_F_FOREIGN) && f->state != LEASE_STATE_OFFERED)
		return -EEXIST;                 /* our client's lease: the store arbitrates */
	if (f && f == at) {
		/* a renewal learnt */
		f->expire = holder->expire;
		f->valid_lft = holder->valid_lft;
		lease_table_touch(w->lt, f);
		w->st.c[STAT4_LEASES_CLAIMS]++;
		return 0;
	}
	if (at && !(at->flags & LEASE_F_FOREIGN))
		return -EBUSY;                  /* our client's lease: the store arbitrates */
	/* the entry that holds the address here passes it on: another
	 * holder's (a new holder learnt), or the client's own offer */
	from = at ? at : f && f->state == LEASE_STATE_OFFERED && f->addr == addr ? f : NULL;
	if (from)
		p = from->pool;
	else if (dhcp4_addr_take(rt, p, addr))
		return -EBUSY;                  /* an offer of ours, or another worker's */
	/* the client's offer elsewhere (it took the other server's lease), or
	 * its old foreign lease elsewhere (it moved) */
	if (f && f != from)
		dhcp4_lease_drop(w, f, 0);
	ret = foreign_hold(w, from, &k, addr, p, w->conf->subnets[rt->pools[p].subnet].id, holder);
	if (!ret)
		w->st.c[STAT4_LEASES_CLAIMS]++;
	return ret;
}
