/* One IA of a request: its leases found, extended or made (SOLICIT,
 * REQUEST, RENEW, REBIND), or given back (RELEASE, DECLINE), and the IA
 * option of the reply written from the outcome. */
#include <errno.h>
#include <string.h>

#include "dhcp6_priv.h"

#define IA_ITEMS (DHCP6_MAX_IA_ADDRS * 2)

/* What the reply says about one address or prefix of an IA. */
struct ia_item {
	struct lease_addr6 a;
	uint8_t plen;
	uint32_t pref, valid;
	uint16_t pool;
};

struct ia_out {
	const struct dhcp6_ia *ia;
	bool pd;
	unsigned n;
	unsigned given;                 /* items with non-zero lifetimes */
	struct ia_item it[IA_ITEMS];
	uint16_t status;                /* written when no item was given */
	const char *status_msg;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void item_add(struct ia_out *o, struct lease_addr6 a, uint8_t plen, uint32_t pref,
		     uint32_t valid, uint16_t pool)
{
	for (unsigned i = 0; i < o->n; i++)
		if (lease_addr6_eq(o->it[i].a, a) && o->it[i].plen == plen)
			return;
	if (o->n == IA_ITEMS)
		return;
	o->it[o->n++] = (struct ia_item){ a, plen, pref, valid, pool };
	if (valid)
		o->given++;
}

/* T1 and T2 of an IA (RFC 8415 21.4): the configured timers, else 50% and
 * 80% of the preferred lifetime (Kea's calculate-tee-times defaults). */
static void ia_timers(const struct txn6 *t, uint32_t pref, uint32_t *t1, uint32_t *t2)
{
	const struct conf6_subnet *sn = t->s >= 0 ? &t->c6->subnets[t->s] : NULL;

	*t1 = sn && sn->renew_timer ? sn->renew_timer : pref / 2;
	*t2 = sn && sn->rebind_timer ? sn->rebind_timer : (uint32_t)((uint64_t)pref * 4 / 5);
	if (*t1 > *t2)
		*t1 = *t2;
}

/* RFC 6603: the excluded prefix's bits past the delegated length. */
static void put_pd_exclude(struct txn6 *t, const struct conf6_pd_pool *pp)
{
	uint8_t v[17], ex[16];
	unsigned bits = pp->excluded_len - pp->delegated_len;
	unsigned nbytes = (bits + 7) / 8;

	lease_addr6_store(pp->excluded, ex);
	memset(v, 0, sizeof(v));
	v[0] = pp->excluded_len;
	for (unsigned i = 0; i < bits; i++) {
		unsigned src = pp->delegated_len + i;

		if (ex[src / 8] & (0x80 >> (src % 8)))
			v[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	(void)dhcp6_build_opt(&t->b, DHCP6_OPT_PD_EXCLUDE, v, 1 + nbytes);
}

static void ia_write(struct txn6 *t, const struct ia_out *o)
{
	uint8_t fixed[25];
	uint32_t t1 = 0, t2 = 0, pref = UINT32_MAX;
	int h;

	for (unsigned i = 0; i < o->n; i++)
		if (o->it[i].valid && o->it[i].pref < pref)
			pref = o->it[i].pref;
	if (o->given)
		ia_timers(t, pref, &t1, &t2);
	put32(fixed, o->ia->iaid);
	put32(fixed + 4, t1);
	put32(fixed + 8, t2);
	h = dhcp6_build_open(&t->b, o->ia->type, fixed, o->ia->type == DHCP6_OPT_IA_TA ? 4 : 12);
	if (h < 0)
		return;
	for (unsigned i = 0; i < o->n; i++) {
		const struct ia_item *it = &o->it[i];
		int hi;

		if (o->pd) {
			put32(fixed, it->pref);
			put32(fixed + 4, it->valid);
			fixed[8] = it->plen;
			lease_addr6_store(it->a, fixed + 9);
			hi = dhcp6_build_open(&t->b, DHCP6_OPT_IAPREFIX, fixed, 25);
			if (hi >= 0 && it->valid && it->pool != NO_POOL6) {
				const struct conf6_pd_pool *pp = t->w->rt->pools[it->pool].pdp;

				if (pp && pp->excluded_len)
					put_pd_exclude(t, pp);
			}
		} else {
			lease_addr6_store(it->a, fixed);
			put32(fixed + 16, it->pref);
			put32(fixed + 20, it->valid);
			hi = dhcp6_build_open(&t->b, DHCP6_OPT_IAADDR, fixed, 24);
		}
		if (hi >= 0)
			dhcp6_build_close(&t->b, hi);
	}
	if (!o->given && o->status)
		(void)dhcp6_build_status(&t->b, o->status, o->status_msg);
	dhcp6_build_close(&t->b, h);
}

static uint8_t lease_type_of(uint16_t ia_type)
{
	return ia_type == DHCP6_OPT_IA_PD ? LEASE6_TYPE_PD
	       : ia_type == DHCP6_OPT_IA_TA ? LEASE6_TYPE_TA : LEASE6_TYPE_NA;
}

static void lifetimes(const struct txn6 *t, int s, uint32_t *pref, uint32_t *valid)
{
	const struct conf6_subnet *sn = &t->c6->subnets[s];

	*valid = sn->valid_lifetime;
	*pref = sn->preferred_lifetime < *valid ? sn->preferred_lifetime : *valid;
}

/* Extend l (the client's, in a subnet it may use) for a commit. */
static int lease_renew(struct txn6 *t, struct lease6 *l, int s)
{
	struct dhcp6_worker *w = t->w;
	struct lease_change *c = dhcp6_log_claim(w);
	uint32_t pref, valid;

	if (!c)
		return -ENOBUFS;
	lifetimes(t, s, &pref, &valid);
	l->valid_lft = valid;
	l->pref_lft = pref;
	l->expire = add_lft6(w->now, valid);
	l->flags &= (uint8_t)~(LEASE_F_FQDN_FWD | LEASE_F_FQDN_REV | LEASE_F_FOREIGN);
	lease6_table_touch(w->lt, l);
	dhcp6_keep_hw(w, l);
	t->wait_seq = dhcp6_log_commit(w, c, l, LEASE_OP_RENEW);
	w->st.c[l->type == LEASE6_TYPE_PD ? STAT6_V6_IA_PD_LEASE_REUSES
					  : STAT6_V6_IA_NA_LEASE_REUSES]++;
	return 0;
}

/* A new lease of the IA on unit a (already taken in pool p, or its
 * reservation held).  On failure the unit is given back; t->busy says
 * the next runtime of a prepared worker has it (try another). */
static struct lease6 *lease_make(struct txn6 *t, const struct lease6_key *k, struct lease_addr6 a,
				 uint8_t plen, uint16_t p, bool reserved, int s)
{
	struct dhcp6_worker *w = t->w;
	uint8_t uflags = reserved ? LEASE6_F_RESERVED : 0;
	bool pd = k->type == LEASE6_TYPE_PD;
	struct lease_change *c;
	struct lease6 *l = NULL;
	uint32_t pref, valid;
	bool existed;

	if (unlikely(w->next != NULL) && dhcp6_mirror_take(w, a, plen, pd, reserved)) {
		/* only this runtime's unit to give back: the next one refused */
		dhcp6_unit_put_here(w, p, a, plen, uflags);
		t->busy = true;
		return NULL;
	}
	c = dhcp6_log_claim(w);
	if (c)
		l = lease6_table_insert(w->lt, k, a, plen, &existed);
	if (!l || existed) {
		if (!l)
			dhcp6_unit_put(w, p, a, plen, pd, uflags);
		return l;
	}
	lifetimes(t, s, &pref, &valid);
	l->pool = p;
	if (reserved)
		l->flags |= LEASE6_F_RESERVED;
	l->subnet_id = t->c6->subnets[s].id;
	l->valid_lft = valid;
	l->pref_lft = pref;
	l->expire = add_lft6(w->now, valid);
	l->state = LEASE_STATE_DEFAULT;
	lease6_table_touch(w->lt, l);
	dhcp6_keep_hw(w, l);
	dhcp6_gauge(w, l, +1);
	if (plen == 128)
		w->st.subnet[s].cumulative_nas++;
	else
		w->st.subnet[s].cumulative_pds++;
	if (p != NO_POOL6)
		w->st.pool[p].cumulative++;
	t->wait_seq = dhcp6_log_commit(w, c, l, LEASE_OP_ADD);
	return l;
}

/* Whether pool p may serve this client (its subnet may, and its class). */
static bool pool_ok(const struct txn6 *t, uint16_t p)
{
	const struct rt6_pool *rp = &t->w->rt->pools[p];

	return txn6_subnet_ok(t, (int)rp->subnet) &&
	       (rp->client_class < 0 || cls_set_has(&t->classes, (unsigned)rp->client_class));
}

/* A reserved unit of this client's host for the IA (the first one no
 * other IA of it holds).  Returns true when one was given or offered. */
static bool ia_reserved(struct txn6 *t, struct ia_out *o, const struct lease6_key *k)
{
	const struct conf6_host *h = t->host;
	unsigned n = o->pd ? h->n_prefixes : h->n_addrs;

	for (unsigned i = 0; i < n; i++) {
		struct lease_addr6 a = o->pd ? h->prefixes[i].prefix : h->addrs[i];
		uint8_t plen = o->pd ? h->prefixes[i].len : 128;
		int s = rt6_subnet_of(t->w->rt, a);
		uint16_t p = rt6_pool_of(t->w->rt, a, o->pd);
		struct lease6 *l = lease6_table_lookup_addr(t->w->lt, a);
		struct rt6_resv *r = rt6_reserved(t->w->rt, a, plen);
		uint32_t pref, valid;

		if (s < 0)
			s = t->s;
		if (l && (l->duid_len != k->duid_len || l->iaid != k->iaid || l->type != k->type))
			continue;               /* another IA of this client has it */
		if (p != NO_POOL6 && t->w->rt->pools[p].unit_len != plen)
			p = NO_POOL6;
		/* a lease of another client holds it (one that had it before
		 * a reload reserved it keeps it until it ends, as in Kea) */
		if (!l && r && __atomic_load_n(&r->held, __ATOMIC_ACQUIRE))
			continue;
		if (t->commit && !l) {
			if (r && rt6_resv_take(r))
				continue;
			l = lease_make(t, k, a, plen, p, true, s);
			if (!l)
				return false;
		}
		lifetimes(t, s, &pref, &valid);
		item_add(o, a, plen, pref, valid, p);
		return true;
	}
	return false;
}

/* Try to give unit a of pool p (a hint, or one just taken: `taken`).  A
 * reserved unit is never given here; one whose bit was free (a reload
 * reserved it while a lease had it) stays taken: the reservation's. */
static bool ia_give(struct txn6 *t, struct ia_out *o, const struct lease6_key *k, uint16_t p,
		    struct lease_addr6 a, bool taken)
{
	const struct rt6_pool *rp = &t->w->rt->pools[p];
	uint32_t pref, valid;

	if (!taken) {
		if (rt6_reserved(t->w->rt, a, rp->unit_len) ||
		    alloc6_claim(rp->ap, a) != 0)
			return false;
	} else if (unlikely(t->w->rt->n_resv != 0) && rt6_reserved(t->w->rt, a, rp->unit_len)) {
		t->busy = true;
		return false;
	}
	if (t->commit) {
		if (!lease_make(t, k, a, rp->unit_len, p, false, (int)rp->subnet))
			return false;
	} else {
		/* an ADVERTISE holds nothing (as Kea): the REQUEST names it */
		alloc6_release(rp->ap, a);
	}
	lifetimes(t, (int)rp->subnet, &pref, &valid);
	item_add(o, a, rp->unit_len, pref, valid, p);
	return true;
}

/* A new unit from the pools the client may use: its hint first, then any. */
static bool ia_dynamic(struct txn6 *t, struct ia_out *o, const struct lease6_key *k)
{
	struct dhcp6_runtime *rt = t->w->rt;
	uint64_t hint = lease_duid_hash(k->duid, k->duid_len) ^ ((uint64_t)k->iaid * 0x9e3779b97f4a7c15ULL);
	const struct conf6 *c6 = t->c6;

	for (unsigned i = 0; i < o->ia->n_addrs; i++) {
		struct lease_addr6 a = lease_addr6_load(o->ia->addrs[i].addr);
		uint16_t p = rt6_pool_of(rt, a, o->pd);

		if (p != NO_POOL6 && pool_ok(t, p) && rt6_pool_open(rt, p) &&
		    ia_give(t, o, k, p, a, false))
			return true;
		t->busy = false;
	}
	for (unsigned s = 0; s < c6->n_subnets; s++) {
		const struct rt6_subnet *rs = &rt->subnets[s];
		uint32_t p0 = o->pd ? rs->pd0 : rs->na0, p1 = o->pd ? rs->end : rs->pd0;

		if (!txn6_subnet_ok(t, (int)s))
			continue;
		for (uint32_t p = p0; p < p1; p++) {
			struct lease_addr6 a;

			if (!pool_ok(t, (uint16_t)p) || !rt6_pool_open(rt, p))
				continue;
			/* A unit refused as busy (reserved, or, during a reload,
			 * another worker's in the next runtime) is passed over:
			 * a few more tries with another hint. */
			for (unsigned try = 0; try < 4; try++) {
				if (alloc6_take(rt->pools[p].ap, hint + try * 0x2545f4914f6cdd1dULL,
						&t->w->cursor[p], &a))
					break;
				if (ia_give(t, o, k, (uint16_t)p, a, true))
					return true;
				if (!t->busy)
					return false;
				t->busy = false;
			}
		}
	}
	return false;
}

/* RADIUS's unit for the IA (Framed-IPv6-Address for an IA_NA,
 * Delegated-IPv6-Prefix for an IA_PD), the first IA of its type only:
 * given when it lies in a pool of that unit length of a subnet the client
 * may use, whatever the pool's classes, and nobody holds it (the pool's
 * bit keeps it from anybody else from then on).  True when given; then
 * the IA's leases elsewhere are not kept.  Outside every such pool it is
 * counted and the IA gets the usual allocation; an IA that holds it
 * already keeps it as its lease (the caller's loop). */
static bool ia_radius(struct txn6 *t, struct ia_out *o, const struct lease6_key *k,
		      struct lease6 *const *ls, unsigned n)
{
	struct dhcp6_runtime *rt = t->w->rt;
	struct lease_addr6 a = o->pd ? t->radpfx : t->radaddr;
	uint8_t plen = o->pd ? t->radplen : 128;
	uint16_t p;

	if (!(o->pd ? t->has_radpfx : t->has_radaddr))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (lease_addr6_eq(ls[i]->addr, a) && ls[i]->prefix_len == plen)
			return false;
	p = rt6_pool_of(rt, a, o->pd);
	if (p == NO_POOL6 || rt->pools[p].unit_len != plen) {
		t->w->st.c[o->pd ? STAT6_ACCESS_PREFIX_UNUSABLE : STAT6_ACCESS_ADDR_UNUSABLE]++;
		return false;
	}
	if (!txn6_subnet_ok(t, (int)rt->pools[p].subnet) || !rt6_pool_open(rt, p) ||
	    lease6_table_lookup_addr(t->w->lt, a))
		return false;
	if (!ia_give(t, o, k, p, a, false)) {
		t->busy = false;
		return false;
	}
	if (o->pd)
		t->has_radpfx = false;
	else
		t->has_radaddr = false;
	return true;
}

/* An address outside every pool is still the client's while it is in
 * its subnet's prefix (Kea's check on renewal); a prefix is the pd-pool's
 * business. */
static bool on_link(const struct txn6 *t, const struct lease6 *l, int s)
{
	const struct conf6_subnet *sn = &t->c6->subnets[s];

	return l->pool != NO_POOL6 || l->type == LEASE6_TYPE_PD ||
	       lease_addr6_in_prefix(l->addr, sn->prefix, sn->prefix_len);
}

static void ia_assign(struct txn6 *t, const struct dhcp6_ia *ia)
{
	struct dhcp6_worker *w = t->w;
	struct ia_out o = { .ia = ia, .pd = ia->type == DHCP6_OPT_IA_PD };
	struct lease6_key k = { t->duid, t->duid_len, lease_type_of(ia->type), ia->iaid };
	struct lease6 *ls[DHCP6_MAX_IA_ADDRS];
	bool renewing = t->msg == DHCP6_RENEW || t->msg == DHCP6_REBIND, rad;
	unsigned n;

	if (ia->type == DHCP6_OPT_IA_TA) {
		o.status = DHCP6_ST_NO_ADDRS_AVAIL;
		o.status_msg = "temporary addresses are not served";
		ia_write(t, &o);
		return;
	}
	n = lease6_table_lookup_ia(w->lt, &k, ls, DHCP6_MAX_IA_ADDRS);
	if (n > DHCP6_MAX_IA_ADDRS)
		n = DHCP6_MAX_IA_ADDRS;
	rad = t->s >= 0 && (t->has_radaddr || t->has_radpfx) && ia_radius(t, &o, &k, ls, n);
	for (unsigned i = 0; i < n; i++) {
		struct lease6 *l = ls[i];
		int s = lease6_subnet(w, l);
		uint32_t pref, valid;

		if (l->state == LEASE_STATE_DECLINED)
			continue;
		if (rad || t->s < 0 || s < 0 || !txn6_subnet_ok(t, s) || !on_link(t, l, s)) {
			/* the client moved (or a reload moved its subnet), or
			 * RADIUS gave the IA another unit: the old lease is
			 * not for this link */
			if (t->commit) {
				item_add(&o, l->addr, l->prefix_len, 0, 0, NO_POOL6);
				(void)dhcp6_lease_drop(w, l, LEASE_OP_DELETE);
			}
			continue;
		}
		if (t->commit && lease_renew(t, l, s))
			continue;
		lifetimes(t, s, &pref, &valid);
		item_add(&o, l->addr, l->prefix_len, pref, valid, l->pool);
	}
	if (!o.given && t->s >= 0) {
		if (!(t->host && ia_reserved(t, &o, &k)))
			(void)ia_dynamic(t, &o, &k);
	}
	/* RENEW/REBIND: addresses the client named that are not its (any
	 * more) go back with zero lifetimes (RFC 8415 18.3.4, 18.3.5) */
	if (renewing) {
		for (unsigned i = 0; i < ia->n_addrs; i++)
			item_add(&o, lease_addr6_load(ia->addrs[i].addr), ia->addrs[i].plen, 0, 0,
				 NO_POOL6);
	}
	if (!o.given) {
		if (renewing && !n) {
			o.status = DHCP6_ST_NO_BINDING;
			o.status_msg = "no binding for this IA";
		} else {
			o.status = o.pd ? DHCP6_ST_NO_PREFIX_AVAIL : DHCP6_ST_NO_ADDRS_AVAIL;
			o.status_msg = o.pd ? "no prefixes available" : "no addresses available";
		}
		w->st.c[STAT6_V6_ALLOCATION_FAIL]++;
	}
	if (o.given && t->first_pool == NO_POOL6)
		for (unsigned i = 0; i < o.n; i++)
			if (o.it[i].valid && o.it[i].pool != NO_POOL6) {
				t->first_pool = o.it[i].pool;
				break;
			}
	t->given += o.given;
	ia_write(t, &o);
}

void dhcp6_ias_assign(struct txn6 *t)
{
	for (unsigned i = 0; i < t->req->n_ias; i++)
		ia_assign(t, &t->req->ias[i]);
}

/* RELEASE / DECLINE of one IA: each address the client names that is its
 * lease ends (released) or goes to probation (declined, with no client). */
static unsigned ia_release(struct txn6 *t, const struct dhcp6_ia *ia, bool decline)
{
	struct dhcp6_worker *w = t->w;
	struct lease6_key k = { t->duid, t->duid_len, lease_type_of(ia->type), ia->iaid };
	unsigned done = 0;

	for (unsigned i = 0; i < ia->n_addrs; i++) {
		struct lease6 *l = lease6_table_lookup_addr(w->lt, lease_addr6_load(ia->addrs[i].addr));
		struct lease_change *c;

		if (!l || l->duid_len != k.duid_len || l->iaid != k.iaid || l->type != k.type ||
		    memcmp(lease6_duid(l), k.duid, k.duid_len) != 0 ||
		    l->state == LEASE_STATE_DECLINED)
			continue;
		if (!decline || l->type == LEASE6_TYPE_PD) {
			/* a declined prefix makes no sense (RFC 8415 18.3.8): released */
			if (dhcp6_lease_drop(w, l, LEASE_OP_RELEASE) == 0)
				done++;
			continue;
		}
		c = dhcp6_log_claim(w);
		if (!c)
			continue;
		dhcp6_gauge(w, l, -1);
		if (lease6_table_set_ia(w->lt, l, NULL)) {
			dhcp6_gauge(w, l, +1);
			continue;
		}
		(void)lease6_table_set_hwaddr(w->lt, l, 0, 0, NULL, 0);   /* as Kea: no client now */
		l->state = LEASE_STATE_DECLINED;
		l->valid_lft = t->c6->decline_probation_period;
		l->pref_lft = 0;
		l->expire = add_lft6(w->now, l->valid_lft);
		lease6_table_touch(w->lt, l);
		dhcp6_gauge(w, l, +1);
		t->wait_seq = dhcp6_log_commit(w, c, l, LEASE_OP_DECLINE);
		done++;
	}
	if (!done) {
		/* RFC 8415 18.3.7/18.3.8: the IA comes back with NoBinding */
		struct ia_out o = { .ia = ia, .status = DHCP6_ST_NO_BINDING,
				    .status_msg = "no binding for this IA" };

		ia_write(t, &o);
	}
	return done;
}

unsigned dhcp6_ias_release(struct txn6 *t, bool decline)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->req->n_ias; i++)
		n += ia_release(t, &t->req->ias[i], decline);
	return n;
}
