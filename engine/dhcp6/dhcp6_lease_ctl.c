/* The control commands on DHCPv6 leases (lease6-get, -get-all,
 * -get-page, -get-by-duid, -add, -update, -del, -wipe), run on the worker
 * that holds the leases, from its control message ring: single writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_priv.h"

/* The origin this worker's control changes are logged with: the partner's
 * (LEASE_ORIGIN_HA) while its message handler says so, else CONTROL. */
static inline uint8_t ctl_origin(const struct dhcp6_worker *w)
{
	return w->ctl_origin ? w->ctl_origin : LEASE_ORIGIN_CONTROL;
}

void dhcp6_worker_set_ctl_origin(struct dhcp6_worker *w, uint8_t origin)
{
	w->ctl_origin = origin;
}

static bool filter_match(const struct dhcp6_worker *w, const struct dhcp6_lease_filter *f,
			 const struct lease6 *l)
{
	if (f->by_addr && !lease_addr6_eq(l->addr, f->addr))
		return false;
	if (f->after && lease_addr6_cmp(l->addr, f->from) <= 0)
		return false;
	if (f->type >= 0 && l->type != f->type)
		return false;
	if (f->duid_len && (l->duid_len != f->duid_len ||
			    memcmp(lease6_duid(l), f->duid, f->duid_len) != 0))
		return false;
	if (f->by_iaid && l->iaid != f->iaid)
		return false;
	if (f->n_subnet_ids) {
		unsigned i;

		for (i = 0; i < f->n_subnet_ids; i++)
			if (l->subnet_id == f->subnet_ids[i])
				break;
		if (i == f->n_subnet_ids)
			return false;
	}
	(void)w;
	return true;
}

struct query_ctx {
	struct dhcp6_worker *w;
	const struct dhcp6_lease_filter *f;
	struct lease6_rec *out;
	unsigned cap, n;
	uint64_t matched;
};

/* With a limit, out[] is a max-heap on the address: it keeps the lowest. */
static void heap_down(struct lease6_rec *h, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		struct lease6_rec t;

		if (l < n && lease_addr6_cmp(h[l].addr, h[m].addr) > 0)
			m = l;
		if (r < n && lease_addr6_cmp(h[r].addr, h[m].addr) > 0)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(struct lease6_rec *h, unsigned i)
{
	while (i) {
		unsigned p = (i - 1) / 2;
		struct lease6_rec t;

		if (lease_addr6_cmp(h[p].addr, h[i].addr) >= 0)
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static int query_one(struct lease6 *l, void *arg)
{
	struct query_ctx *q = arg;
	unsigned cap = q->f->limit && q->f->limit < q->cap ? q->f->limit : q->cap;

	if (!filter_match(q->w, q->f, l))
		return 0;
	q->matched++;
	if (q->n < cap) {
		dhcp6_rec_of(q->w, &q->out[q->n], l);
		if (q->f->limit)
			heap_up(q->out, q->n);
		q->n++;
	} else if (q->f->limit && cap && lease_addr6_cmp(l->addr, q->out[0].addr) < 0) {
		dhcp6_rec_of(q->w, &q->out[0], l);
		heap_down(q->out, q->n, 0);
	}
	return 0;
}

unsigned dhcp6_lease_query(struct dhcp6_worker *w, const struct dhcp6_lease_filter *f,
			   struct lease6_rec *out, unsigned cap, uint64_t *matched)
{
	struct query_ctx q = { w, f, out, cap, 0, 0 };

	w->hw_len = 0;
	if (f->by_addr) {
		struct lease6 *l = lease6_table_lookup_addr(w->lt, f->addr);

		if (l)
			(void)query_one(l, &q);
	} else {
		(void)lease6_table_foreach(w->lt, query_one, &q);
	}
	if (matched)
		*matched = q.matched;
	return q.n;
}

static int lease6_put(struct dhcp6_worker *w, const struct lease6_rec *r, bool replace,
		     uint64_t *seq)
{
	struct lease6_key k = { r->duid, r->duid_len, r->type, r->iaid };
	bool pd = r->type == LEASE6_TYPE_PD;
	uint8_t plen = pd ? r->prefix_len : 128;
	int s = rt6_subnet_by_id(w->rt, r->subnet_id);
	struct lease6 *l = lease6_table_lookup_addr(w->lt, r->addr);
	struct lease_change *c;
	struct rt6_resv *resv;
	uint8_t uflags;
	uint16_t p;
	bool existed;

	*seq = 0;
	w->hw_len = 0;
	w->origin = ctl_origin(w);
	if (s < 0 || !r->duid_len || r->type > LEASE6_TYPE_PD)
		return -EINVAL;
	if (replace) {
		if (!l)
			return -ENOENT;
		if (dhcp6_lease_drop(w, l, 0))
			return -ENOBUFS;
		l = NULL;
	} else if (l) {
		return -EEXIST;
	}
	p = rt6_pool_of(w->rt, r->addr, pd);
	if (p != NO_POOL6 && w->rt->pools[p].unit_len != plen)
		p = NO_POOL6;
	resv = rt6_reserved(w->rt, r->addr, plen);
	uflags = resv ? LEASE6_F_RESERVED : 0;
	c = dhcp6_log_claim(w);
	if (!c)
		return -ENOBUFS;
	/* another worker's client holds it (the unit, or the reservation) */
	if (resv ? rt6_resv_take(resv) != 0
		 : p != NO_POOL6 && alloc6_claim(w->rt->pools[p].ap, r->addr) != 0)
		return -EEXIST;
	if (unlikely(w->next != NULL) && dhcp6_mirror_take(w, r->addr, plen, pd, resv != NULL)) {
		dhcp6_unit_put_here(w, p, r->addr, plen, uflags);
		return -EEXIST;         /* the reload being prepared has it */
	}
	l = lease6_table_insert(w->lt, &k, r->addr, plen, &existed);
	if (!l || existed) {
		int ret = l ? -EEXIST : -errno;

		dhcp6_unit_put(w, p, r->addr, plen, pd, uflags);
		return ret;
	}
	l->pool = p;
	l->flags |= uflags;
	dhcp6_lease_fill(w, l, r);
	dhcp6_gauge(w, l, +1);
	*seq = dhcp6_log_commit(w, c, l, replace ? LEASE_OP_RENEW : LEASE_OP_ADD);
	return 0;
}

/* The origin is the control one for the whole call and the client's again
 * on every way out: a refused add must not leave the next client's (or
 * the expiry's) changes logged as the partner's. */
int dhcp6_lease_add(struct dhcp6_worker *w, const struct lease6_rec *r, bool replace,
		    uint64_t *seq)
{
	int ret;

	ret = lease6_put(w, r, replace, seq);
	w->origin = LEASE_ORIGIN_CLIENT;
	return ret;
}

struct del_ctx {
	struct dhcp6_worker *w;
	const struct dhcp6_lease_filter *f;
	struct lease6 *hit[256];
	unsigned n;
};

static int del_collect(struct lease6 *l, void *arg)
{
	struct del_ctx *d = arg;

	if (!filter_match(d->w, d->f, l))
		return 0;
	d->hit[d->n++] = l;
	return d->n == 256;             /* a batch; the caller goes round again */
}

long dhcp6_lease_del(struct dhcp6_worker *w, const struct dhcp6_lease_filter *f)
{
	struct del_ctx d = { .w = w, .f = f };
	long done = 0;

	w->hw_len = 0;
	w->origin = ctl_origin(w);
	for (;;) {
		unsigned ok = 0;

		d.n = 0;
		if (f->by_addr) {
			struct lease6 *l = lease6_table_lookup_addr(w->lt, f->addr);

			if (l && filter_match(w, f, l))
				d.hit[d.n++] = l;
		} else {
			(void)lease6_table_foreach(w->lt, del_collect, &d);
		}
		for (unsigned i = 0; i < d.n; i++)
			if (dhcp6_lease_drop(w, d.hit[i], LEASE_OP_DELETE) == 0)
				ok++;
		done += ok;
		if (d.n < 256 || ok < d.n || f->by_addr)
			break;
	}
	w->origin = LEASE_ORIGIN_CLIENT;
	if (!done && d.n)
		return -ENOBUFS;
	return done;
}

/* Unit addr/plen of pool p, taken for the holder's lease (by the caller,
 * or passed on by `from`, the entry that held it here and goes without a
 * record; keep: its LEASE6_F_NOUNIT), becomes the holder's lease in this
 * worker's table, flagged LEASE_F_FOREIGN (never written, ended without
 * a record at its expiry), so the unit is not handed out meanwhile.  It
 * is filed under the subnet of our pool (the holder's server may number
 * its subnets otherwise).  On failure the unit is free again.  0 or
 * -ENOMEM. */
static int foreign_hold6(struct dhcp6_worker *w, struct lease6 *from, struct lease_addr6 addr,
			 uint16_t p, uint8_t plen, uint8_t keep, const struct lease6_rec *holder)
{
	struct lease6_key k = { holder->duid, holder->duid_len, holder->type, holder->iaid };
	struct lease6 *f;
	bool existed;

	if (from) {
		dhcp6_gauge(w, from, -1);
		lease6_table_remove(w->lt, from);       /* the unit stays taken */
	}
	f = lease6_table_insert(w->lt, &k, addr, plen, &existed);
	if (!f) {
		dhcp6_unit_put(w, p, addr, plen, holder->type == LEASE6_TYPE_PD, keep);
		return -ENOMEM;
	}
	f->pool = p;
	f->flags = keep;
	dhcp6_lease_fill(w, f, holder);
	if (p != NO_POOL6)
		f->subnet_id = w->c6->subnets[w->rt->pools[p].subnet].id;
	f->flags |= LEASE_F_FOREIGN;
	dhcp6_gauge(w, f, +1);
	return 0;
}

/* The store refused this worker's change `seq` at addr (an address or a
 * delegated prefix): a live lease of another server's client holds it
 * (holder; NULL when the store could not say).  As dhcp4_lease_foreign:
 * our lease there goes without a record, and with a holder its lease
 * takes the place (foreign_hold6: the unit stays taken) until it
 * expires; without one the unit is free again. */
int dhcp6_lease_foreign(struct dhcp6_worker *w, struct lease_addr6 addr, uint64_t seq,
			const struct lease6_rec *holder)
{
	struct lease6 *l = lease6_table_lookup_addr(w->lt, addr);
	struct lease6_rec unknown;
	int ret;

	if (!l || l->seq != seq || (l->flags & LEASE_F_FOREIGN))
		return -ENOENT;
	if (!holder) {
		/* live for the store, unreadable here: held by a stand-in
		 * (a DUID of the marker and the address) */
		memset(&unknown, 0, sizeof(unknown));
		unknown.addr = addr;
		unknown.type = l->type;
		unknown.prefix_len = l->prefix_len;
		unknown.subnet_id = l->subnet_id;
		unknown.valid_lft = unknown.pref_lft = LEASE_UNKNOWN_HOLD_S;
		unknown.expire = w->now + LEASE_UNKNOWN_HOLD_S;
		unknown.duid_len = 32;
		memcpy(unknown.duid, LEASE_UNKNOWN_HOLDER, 16);
		lease_addr6_store(addr, unknown.duid + 16);
		holder = &unknown;
	}
	if (holder->expire <= w->now || !holder->valid_lft || !holder->duid_len ||
	    holder->state != LEASE_STATE_DEFAULT || holder->type != l->type ||
	    (l->flags & LEASE6_F_RESERVED))
		return dhcp6_lease_drop(w, l, 0);
	ret = foreign_hold6(w, l, addr, l->pool, l->prefix_len, l->flags & LEASE6_F_NOUNIT, holder);
	if (!ret)
		w->st.c[STAT6_LEASES_FOREIGN]++;
	return ret;
}

/* Another server's client holds holder->addr (a claim it published, see
 * dhcp6_server.h): hold the unit for it here, as a refusal would have
 * (foreign_hold6).  Nothing is logged.  Every refusal comes before any
 * change.  An ADVERTISE holds nothing here, so unlike DHCPv4 there is no
 * offer of ours to give way. */
int dhcp6_lease_learn(struct dhcp6_worker *w, const struct lease6_rec *holder)
{
	struct lease6_key k = { holder->duid, holder->duid_len, holder->type, holder->iaid };
	struct lease6 *at = lease6_table_lookup_addr(w->lt, holder->addr), *ia[DHCP6_MAX_IA_ADDRS];
	struct dhcp6_runtime *rt = w->rt;
	bool pd = holder->type == LEASE6_TYPE_PD;
	uint8_t plen = pd ? holder->prefix_len : 128;
	unsigned n, i;
	uint16_t p;
	int ret;

	w->hw_len = 0;
	if (holder->type > LEASE6_TYPE_PD)
		return -EINVAL;
	if (holder->expire <= w->now || !holder->valid_lft || !holder->duid_len ||
	    holder->state != LEASE_STATE_DEFAULT)
		return at && (at->flags & LEASE_F_FOREIGN) ? dhcp6_lease_drop(w, at, 0) : -ENOENT;
	p = holder->type == LEASE6_TYPE_TA ? NO_POOL6 : rt6_pool_of(rt, holder->addr, pd);
	if (p == NO_POOL6 || rt->pools[p].unit_len != plen || rt6_reserved(rt, holder->addr, plen))
		return -ENOENT;
	n = lease6_table_lookup_ia(w->lt, &k, ia, DHCP6_MAX_IA_ADDRS);
	if (n > DHCP6_MAX_IA_ADDRS)
		return -EBUSY;                  /* not an IA another server made */
	for (i = 0; i < n; i++)
		if (!(ia[i]->flags & LEASE_F_FOREIGN))
			return -EEXIST;         /* our client's lease: the store arbitrates */
	for (i = 0; i < n; i++)
		if (ia[i] == at) {
			/* a renewal learnt */
			at->expire = holder->expire;
			at->valid_lft = holder->valid_lft;
			at->pref_lft = holder->pref_lft;
			lease6_table_touch(w->lt, at);
			w->st.c[STAT6_LEASES_CLAIMS]++;
			return 0;
		}
	if (at && (!(at->flags & LEASE_F_FOREIGN) || at->type != holder->type ||
		   at->prefix_len != plen))
		return -EBUSY;                  /* our client's lease: the store arbitrates */
	if (!at) {
		/* a new unit would have to be mirrored into the reload's
		 * runtime: not now (the next claim or refusal brings it) */
		if (unlikely(w->next != NULL) || alloc6_claim(rt->pools[p].ap, holder->addr))
			return -EBUSY;          /* (or another worker's) */
	}
	/* the IA's foreign leases elsewhere: the client moved */
	for (i = 0; i < n; i++)
		(void)dhcp6_lease_drop(w, ia[i], 0);
	ret = foreign_hold6(w, at, holder->addr, at ? at->pool : p, plen,
			    at ? at->flags & LEASE6_F_NOUNIT : 0, holder);
	if (!ret)
		w->st.c[STAT6_LEASES_CLAIMS]++;
	return ret;
}
