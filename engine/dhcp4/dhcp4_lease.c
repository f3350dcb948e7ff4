/* Lease bookkeeping on the owning worker: gauges, each change's entry in
 * the worker's lease-change log, taking and giving back an address (pool
 * bit or reservation), the release queue, and dropping or vacating a
 * lease. */
#include <errno.h>
#include <string.h>

#include "dhcp4_priv.h"

/* Gauges follow the lease's state: call with -1 before a change and +1
 * after it. */
void dhcp4_gauge(struct dhcp4_worker *w, const struct lease4 *l, int d)
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

void dhcp4_rec_of(const struct lease_table *lt, struct lease_rec *r, const struct lease4 *l)
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

/* The entry of one change of l (dhcp4_persist fills it only when
 * somebody reads the log). */
void dhcp4_log_fill(struct dhcp4_worker *w, struct lease_change *c, const struct lease4 *l,
		    uint8_t op)
{
	c->family = LEASE_FAMILY_V4;
	c->op = op;
	c->origin = w->origin;
	dhcp4_rec_of(w->lt, &c->u.v4, l);
	if (lease_op_removes(op))
		c->u.v4.valid_lft = 0;
}

/* Take addr (in pool p, or NO_POOL) for a lease: the pool bit, or for a
 * reserved address the reservation's held flag.  0 or -EBUSY. */
int dhcp4_addr_take(struct dhcp4_runtime *rt, uint16_t p, uint32_t addr)
{
	const struct conf_host *h = rt_reserved(rt, addr);

	if (h) {
		/* a lease of the runtime before a reload may still hold it */
		if (unlikely(rt->contested) &&
		    __atomic_load_n(&rt->contested[h - dhcp4_hosts_get(rt->hosts, 0)], __ATOMIC_ACQUIRE))
			return -EBUSY;
		return dhcp4_held_take(rt, h);
	}
	if (p == NO_POOL)
		return 0;
	if (alloc_claim(rt->pools[p].ap, addr))
		return -EBUSY;
	if (unlikely(rt_frozen(rt, p)) && dhcp4_runtime_mirror(rt, addr)) {
		alloc_release(rt->pools[p].ap, addr);   /* the new pool's already */
		return -EBUSY;
	}
	return 0;
}

/* The reservation's held flag, by compare-and-swap: 0 or -EBUSY. */
int dhcp4_held_take(struct dhcp4_runtime *rt, const struct conf_host *h)
{
	uint8_t zero = 0;

	return __atomic_compare_exchange_n(rt_held(rt, h), &zero, 1, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_RELAXED) ? 0 : -EBUSY;
}

/* A bit to give back later: after its delete record is durable (seq), or
 * (frozen pool) once this worker uses the pool that replaces it.  With the
 * queue full (counted) a frozen pool's bit stays taken: it is lost until
 * a restart, never given twice. */
void dhcp4_addr_defer(struct dhcp4_worker *w, uint64_t seq, uint32_t addr, uint16_t p)
{
	if (unlikely(!w->rq.cap || release_queue_full(&w->rq))) {
		w->st.c[STAT4_RELEASE_QUEUE_FULL]++;
		return;
	}
	release_queue_push(&w->rq, seq, addr, p);
}

/* Undo dhcp4_addr_take(): a reserved address keeps its pool bit. */
void dhcp4_addr_give(struct dhcp4_runtime *rt, uint16_t p, uint32_t addr)
{
	const struct conf_host *h = addr ? rt_reserved(rt, addr) : NULL;

	if (h)
		__atomic_store_n(rt_held(rt, h), 0, __ATOMIC_RELEASE);
	else if (p != NO_POOL)
		alloc_release(rt->pools[p].ap, addr);
}

/* The delete record of l was logged as `seq` (0: none). */
static void addr_release_after(struct dhcp4_worker *w, struct lease4 *l, uint64_t seq)
{
	/* A reserved address keeps its bit whatever happens; only its own
	 * client (hence this worker, this ring) can take it again. */
	if (l->addr && rt_reserved(w->rt, l->addr)) {
		addr_release(w, l);
		return;
	}
	if (l->pool == NO_POOL)
		return;
	if (!seq || !w->durable || !w->rq.cap || release_queue_full(&w->rq)) {
		addr_release(w, l);     /* (which defers a frozen pool's bit) */
		return;
	}
	release_queue_push(&w->rq, seq, l->addr, l->pool);
	l->pool = NO_POOL;
}

unsigned dhcp4_worker_poll(struct dhcp4_worker *w)
{
	const struct release_entry *e;
	uint64_t durable;
	unsigned n = 0;

	if (!release_queue_len(&w->rq))
		return 0;
	durable = lease_log_safe(w->log, w->durable);
	while ((e = release_queue_first(&w->rq)) && e->seq <= durable) {
		if (rt_frozen(w->rt, e->pool))
			break;          /* given back in the new pool, after the switch */
		if (e->pool != NO_POOL)
			alloc_release(w->rt->pools[e->pool].ap, e->addr);
		release_queue_pop(&w->rq);
		n++;
	}
	return n;
}

unsigned dhcp4_worker_pending(const struct dhcp4_worker *w)
{
	return release_queue_len(&w->rq);
}

/* An address outside the pools that l held goes free: clear its owner
 * reference if it is still l's (a pool address keeps its word; its bit
 * says it is free). */
static void addr_disown(struct dhcp4_worker *w, const struct lease4 *l)
{
	if (l->pool == NO_POOL && l->addr && rt_pool_of(w->rt, l->addr) == NO_POOL)
		addr_owner_clear(w->rt->outside, l->addr,
				 dhcp4_ref(w->id, lease_table_id(w->lt, l)));
}

void dhcp4_addr_own_outside(struct dhcp4_worker *w, uint32_t addr, uint32_t ref)
{
	uint16_t p = rt_pool_of(w->rt, addr);

	if (p != NO_POOL)
		alloc_set_ref(w->rt->pools[p].ap, addr, ref);
	else
		(void)addr_owner_set(w->rt->outside, addr, ref);   /* full: overflow is recorded */
}

/* l's address went to another worker's lease (addr_handed_over): the
 * entry leaves without a record and without freeing the address, which
 * is the new lease's now.  Its own records stay in the log: the move
 * orders the new lease's record after them (dhcp4_lease_relog). */
void dhcp4_lease_forget(struct dhcp4_worker *w, struct lease4 *l)
{
	dhcp4_gauge(w, l, -1);
	l->pool = NO_POOL;
	if (unlikely(w->ridx.cap))
		addr_index_del(&w->ridx, l->addr, l);
}

/* Forget a lease entirely: gauges, its removal logged as `op` (RELEASE,
 * EXPIRE, DELETE; 0: not logged, for offers and undoing what was never
 * logged), its address bit (after the removal is durable), the table
 * entry.  -ENOBUFS when the address cannot be freed now (release queue or
 * log full, counted): nothing changed.  A lease whose address was handed
 * over to another worker goes without any of that. */
int dhcp4_lease_drop(struct dhcp4_worker *w, struct lease4 *l, uint8_t op)
{
	uint64_t seq = 0;

	if (op && l->state != LEASE_STATE_OFFERED) {
		if (unlikely(addr_handed_over(w, l))) {
			dhcp4_lease_forget(w, l);
			lease_table_remove(w->lt, l);
			return 0;
		}
		/* a delete that is not in the log must not free anything:
		 * the store would still give the address to this client */
		if (release_room(w, l) || dhcp4_persist(w, l, op, &seq))
			return -ENOBUFS;
	}
	dhcp4_gauge(w, l, -1);
	addr_disown(w, l);
	addr_release_after(w, l, seq);
	if (unlikely(w->ridx.cap))
		addr_index_del(&w->ridx, l->addr, l);
	lease_table_remove(w->lt, l);
	return 0;
}

/* Keep the table entry but give up its address (the client moves).
 * -ENOBUFS as lease_drop. */
int dhcp4_lease_vacate(struct dhcp4_worker *w, struct lease4 *l)
{
	uint64_t seq = 0;

	if (l->state != LEASE_STATE_OFFERED) {
		if (unlikely(addr_handed_over(w, l))) {
			dhcp4_lease_forget(w, l);
			goto out;
		}
		/* a delete that is not in the log must not free anything:
		 * the store would still give the address to this client */
		if (release_room(w, l) || dhcp4_persist(w, l, LEASE_OP_DELETE, &seq))
			return -ENOBUFS;
	}
	dhcp4_gauge(w, l, -1);
	addr_disown(w, l);
	addr_release_after(w, l, seq);
out:
	l->addr = 0;
	l->state = LEASE_STATE_OFFERED;
	return 0;
}

/* The lease (not an offer) this worker holds at addr, or NULL: the
 * address's owner reference must name this worker, and the lease it names
 * must still be at addr.  O(1); a reference without a lease id (a table
 * past 2^26 entries) costs a search. */
static int find_at(struct lease4 *l, void *arg)
{
	struct lease4 **x = arg;

	if (l->addr != (*x)->addr || l->state == LEASE_STATE_OFFERED)
		return 0;
	*x = l;
	return 1;
}

/* The lease this worker has at addr, given the owner reference that names
 * it (a search when the reference has no id). */
struct lease4 *dhcp4_lease_of_ref(struct dhcp4_worker *w, uint32_t addr, uint32_t ref)
{
	uint32_t id = dhcp4_ref_id(ref);
	struct lease4 *l, key = { .addr = addr }, *x = &key;

	if (id == UINT32_MAX)
		return lease_table_foreach(w->lt, find_at, &x) ? x : NULL;
	l = lease_table_at(w->lt, id);
	return l && l->addr == addr && l->state != LEASE_STATE_OFFERED ? l : NULL;
}

struct lease4 *dhcp4_lease_at(struct dhcp4_worker *w, uint32_t addr)
{
	uint32_t ref = addr ? addr_ref_get(w->rt, addr, NO_POOL) : 0;

	if (dhcp4_ref_worker(ref) != (int)w->id)
		return NULL;
	return dhcp4_lease_of_ref(w, addr, ref);
}

/* What a record says besides its address, pool and subnet, into its
 * lease (restore, lease4-add/-update): times and state, and about the
 * client beyond the key it is filed under (`kind`) its hardware address,
 * client-id, hostname and DNS update flags.  0 or -ENOMEM. */
int dhcp4_lease_from_rec(struct dhcp4_worker *w, struct lease4 *l, const struct lease_rec *r,
			 uint8_t kind)
{
	l->expire = r->expire;
	l->valid_lft = r->valid_lft;
	l->state = r->state;
	if (kind != LEASE_KEY_ADDR) {
		if (kind != LEASE_KEY_HWADDR) {
			l->htype = r->htype;
			l->hwaddr_len = r->hwaddr_len > 16 ? 16 : r->hwaddr_len;
			memcpy(l->hwaddr, r->hwaddr, l->hwaddr_len);
		}
		if (kind != LEASE_KEY_CLIENT_ID && r->cid_len &&
		    lease_table_set_cid(w->lt, l, r->cid, r->cid_len))
			return -ENOMEM;
	}
	l->flags = (uint8_t)((r->fqdn_fwd ? LEASE_F_FQDN_FWD : 0) | (r->fqdn_rev ? LEASE_F_FQDN_REV : 0));
	return lease_table_set_hostname(w->lt, l, r->hostname, r->hostname_len);
}
