/* DHCPv6 lease bookkeeping on the owning worker: gauges, each change's
 * entry in the lease-change log, taking and giving back a lease's unit,
 * the release queue, and start-up restore. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_priv.h"

int lease6_subnet(const struct dhcp6_worker *w, const struct lease6 *l)
{
	if (l->pool != NO_POOL6)
		return (int)w->rt->pools[l->pool].subnet;
	return rt6_subnet_by_id(w->rt, l->subnet_id);
}

/* Gauges follow a lease's state: -1 before a change, +1 after. */
void dhcp6_gauge(struct dhcp6_worker *w, const struct lease6 *l, int d)
{
	int s = lease6_subnet(w, l);

	if (s < 0)
		return;
	if (l->state == LEASE_STATE_DEFAULT) {
		if (l->type == LEASE6_TYPE_PD)
			w->st.subnet[s].assigned_pds += d;
		else
			w->st.subnet[s].assigned_nas += d;
		if (l->pool != NO_POOL6)
			w->st.pool[l->pool].assigned += d;
	} else if (l->state == LEASE_STATE_DECLINED) {
		w->st.subnet[s].declined += d;
		if (l->pool != NO_POOL6)
			w->st.pool[l->pool].declined += d;
	}
}

void dhcp6_rec_of(const struct dhcp6_worker *w, struct lease6_rec *r, const struct lease6 *l)
{
	const char *hn = lease6_table_hostname(w->lt, l);

	memset(r, 0, sizeof(*r));
	r->addr = l->addr;
	r->duid_len = l->duid_len;
	memcpy(r->duid, lease6_duid(l), l->duid_len);
	r->valid_lft = l->valid_lft;
	r->expire = l->expire;
	r->subnet_id = l->subnet_id;
	r->pref_lft = l->pref_lft;
	r->type = l->type;
	r->iaid = l->iaid;
	r->prefix_len = l->prefix_len;
	r->fqdn_fwd = (l->flags & LEASE_F_FQDN_FWD) != 0;
	r->fqdn_rev = (l->flags & LEASE_F_FQDN_REV) != 0;
	r->hostname_len = (uint8_t)strnlen(hn, sizeof(r->hostname) - 1);
	memcpy(r->hostname, hn, r->hostname_len);
	r->state = l->state == LEASE_STATE_DECLINED ? LEASE_STATE_DECLINED : LEASE_STATE_DEFAULT;
	r->hwtype = 1;
	if (l->duid_len) {
		uint16_t type;
		uint8_t src;
		const uint8_t *hw;
		uint8_t n = lease6_table_hwaddr(w->lt, l, &type, &src, &hw);

		if (n) {
			r->hwaddr_len = n;
			memcpy(r->hwaddr, hw, n);
			r->hwtype = type;
			r->hwaddr_source = src;
		}
	}
}

/* The lease is the served client's: keep the hardware address its packet
 * showed (when it showed one). */
void dhcp6_keep_hw(struct dhcp6_worker *w, struct lease6 *l)
{
	if (w->hw_len)
		(void)lease6_table_set_hwaddr(w->lt, l, w->hw_type, (uint8_t)w->hw_src, w->hw,
					      w->hw_len > LEASE6_HW_MAX ? LEASE6_HW_MAX : w->hw_len);
}

uint64_t dhcp6_log_commit(struct dhcp6_worker *w, struct lease_change *c, struct lease6 *l,
			  uint8_t op)
{
	uint64_t seq;

	if (lease_log_consumers(w->log)) {
		c->family = LEASE_FAMILY_V6;
		c->op = op;
		c->origin = w->origin;
		dhcp6_rec_of(w, &c->u.v6, l);
		if (lease_op_removes(op))
			c->u.v6.valid_lft = 0;
	}
	seq = lease_log_commit(w->log);
	if (!lease_op_removes(op))
		l->seq = seq;
	return seq;
}

/* A reserved unit was taken for good when the runtime was built: a lease
 * on it only holds the reservation (its `held` flag), never the bit.  A
 * unit a reload reserved while a lease had it as its own goes to the
 * reservation when that lease ends (the lease is RESERVED from its
 * worker's switch on, or its prepared worker hands the bit over). */
void dhcp6_unit_put_here(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a, uint8_t plen,
			 uint8_t flags)
{
	if (flags & LEASE6_F_RESERVED) {
		struct rt6_resv *r = rt6_reserved(w->rt, a, plen);

		if (r)
			__atomic_store_n(&r->held, 0, __ATOMIC_RELEASE);
	} else if (p != NO_POOL6) {
		alloc6_release(w->rt->pools[p].ap, a);
	}
}

void dhcp6_unit_put(struct dhcp6_worker *w, uint16_t p, struct lease_addr6 a, uint8_t plen,
		    bool pd, uint8_t flags)
{
	/* the next runtime's share first: a worker that takes this unit in
	 * the current runtime right after finds it free there too */
	if (unlikely(w->next != NULL) && dhcp6_mirror_give(w, p, a, plen, pd, flags))
		return;         /* the same bit, handed over to a reservation */
	dhcp6_unit_put_here(w, p, a, plen, flags);
}

static bool unit_owned(const struct lease6 *l)
{
	return l->pool != NO_POOL6 && !(l->flags & LEASE6_F_RESERVED);
}

void dhcp6_rq_poll(struct dhcp6_worker *w)
{
	uint64_t durable;

	if (w->rq.tail == w->rq.head)
		return;
	durable = lease_log_safe(w->log, w->durable);
	while (w->rq.tail != w->rq.head) {
		const struct rq6_entry *e = &w->rq.e[w->rq.head & (w->rq.cap - 1)];

		if (e->seq > durable)
			break;
		dhcp6_unit_put(w, e->pool, e->addr, e->plen, e->flags & RQ6_F_PD,
			       e->flags & (RQ6_F_RESERVED | RQ6_F_NOUNIT));
		w->rq.head++;
	}
}

unsigned dhcp6_worker_poll(struct dhcp6_worker *w)
{
	uint32_t before = w->rq.head;

	dhcp6_rq_poll(w);
	return w->rq.head - before;
}

/* Why a freed unit waits for its delete record to be durable: see
 * dhcp4_server.h (the release queue): another worker could take it and
 * its add record reach the store before this worker's delete. */
int dhcp6_lease_drop(struct dhcp6_worker *w, struct lease6 *l, uint8_t op)
{
	bool queue = w->durable && op && unit_owned(l);
	bool pd = l->type == LEASE6_TYPE_PD;
	struct lease_change *c = NULL;
	uint64_t seq = 0;

	if (queue && w->rq.tail - w->rq.head == w->rq.cap) {
		w->st.c[STAT6_RELEASE_QUEUE_FULL]++;
		return -ENOBUFS;
	}
	if (op) {
		c = dhcp6_log_claim(w);
		if (!c)
			return -ENOBUFS;
	}
	dhcp6_gauge(w, l, -1);
	if (c)
		seq = dhcp6_log_commit(w, c, l, op);
	if (queue) {
		struct rq6_entry *e = &w->rq.e[w->rq.tail++ & (w->rq.cap - 1)];

		e->seq = seq;
		e->addr = l->addr;
		e->pool = l->pool;
		e->plen = l->prefix_len;
		e->flags = (uint8_t)((pd ? RQ6_F_PD : 0) | (l->flags & LEASE6_F_NOUNIT));
	} else {
		dhcp6_unit_put(w, l->pool, l->addr, l->prefix_len, pd,
			       l->flags & (LEASE6_F_RESERVED | LEASE6_F_NOUNIT));
	}
	lease6_table_remove(w->lt, l);
	return 0;
}

/* A lease's fields from a record (restore, lease6-add/-update), its
 * expiry filed; the gauges are the caller's. */
void dhcp6_lease_fill(struct dhcp6_worker *w, struct lease6 *l, const struct lease6_rec *r)
{
	l->subnet_id = r->subnet_id;
	l->valid_lft = r->valid_lft;
	l->pref_lft = r->pref_lft;
	l->expire = r->expire;
	l->state = r->state == LEASE_STATE_DECLINED ? LEASE_STATE_DECLINED : LEASE_STATE_DEFAULT;
	if (r->fqdn_fwd)
		l->flags |= LEASE_F_FQDN_FWD;
	if (r->fqdn_rev)
		l->flags |= LEASE_F_FQDN_REV;
	if (r->hostname_len)
		(void)lease6_table_set_hostname(w->lt, l, r->hostname, r->hostname_len);
	if (r->hwaddr_len && r->duid_len)
		(void)lease6_table_set_hwaddr(w->lt, l, r->hwtype, (uint8_t)r->hwaddr_source,
					      r->hwaddr, r->hwaddr_len);
	lease6_table_touch(w->lt, l);
}

unsigned dhcp6_rec_owner(const struct lease6_rec *r, unsigned n_workers)
{
	if (!r->duid_len || n_workers <= 1)
		return 0;
	return (unsigned)(lease_duid_hash(r->duid, r->duid_len) % n_workers);
}

/* Start-up: a record from the store into the table and the pools.  Later
 * records for the same address override earlier ones. */
int dhcp6_restore(struct dhcp6_worker *w, const struct lease6_rec *r)
{
	struct lease6 *l = lease6_table_lookup_addr(w->lt, r->addr);
	struct lease6_key k = { r->duid, r->duid_len, r->type, r->iaid };
	bool pd = r->type == LEASE6_TYPE_PD;
	struct rt6_resv *resv;
	uint16_t p;
	bool existed;

	if (l) {
		/* the earlier record of this address: gone, or replaced below */
		(void)dhcp6_lease_drop(w, l, 0);
	}
	if (r->valid_lft == 0 || r->type > LEASE6_TYPE_PD)
		return 0;
	if (r->state == LEASE_STATE_EXPIRED_RECLAIMED)
		return 0;
	l = lease6_table_insert(w->lt, &k, r->addr, pd ? r->prefix_len : 128, &existed);
	if (!l)
		return -errno;
	p = rt6_pool_of(w->rt, r->addr, pd);
	if (p != NO_POOL6 && w->rt->pools[p].unit_len != (pd ? r->prefix_len : 128))
		p = NO_POOL6;
	l->pool = p;
	resv = rt6_reserved(w->rt, r->addr, pd ? r->prefix_len : 128);
	if (resv) {
		l->flags |= LEASE6_F_RESERVED;
		__atomic_store_n(&resv->held, 1, __ATOMIC_RELEASE);
	} else if (p != NO_POOL6 && alloc6_claim(w->rt->pools[p].ap, r->addr)) {
		l->pool = NO_POOL6;     /* another worker's record has it: kept, no unit */
	}
	dhcp6_lease_fill(w, l, r);
	dhcp6_gauge(w, l, +1);
	return 0;
}
