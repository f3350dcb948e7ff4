/* Binding an address to a client: the identity and hostname a lease
 * records, claiming a requested or reserved address, taking any free one,
 * side offers (a client bound elsewhere keeps its lease until it
 * REQUESTs the new address), and the ACK that commits the lease. */
#include <string.h>

#include "dhcp4_priv.h"

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
	/* no DNS update here; a lease this server writes is its own */
	l->flags &= (uint8_t)~(LEASE_F_FQDN_FWD | LEASE_F_FQDN_REV | LEASE_F_FOREIGN);
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
	addr_own(t->w, l);
}

/* Put the taken address `addr` (pool p, or NO_POOL for a reserved address
 * outside the pools; subnet s) on the client's entry.
 * `side`: the client keeps a bound lease in another subnet until it
 * REQUESTs this address (Kea changes a lease at REQUEST, never at
 * DISCOVER), so the offer is a separate entry filed under its address and
 * `l` is left alone.  Otherwise `l` (may be NULL) moves to the address.
 * NULL (the address given back) on failure; t->busy when the old address
 * could not be freed now. */
struct lease4 *dhcp4_attach(struct txn *t, struct lease4 *l, uint32_t addr, uint16_t p, int s,
			     bool side)
{
	struct dhcp4_worker *w = t->w;
	struct lease_key k;
	bool existed;

	if (side) {
		addr_key(addr, &k);
		l = lease_table_insert(w->lt, &k, &existed);
		if (!l || existed) {            /* an entry without the bit: never */
			dhcp4_addr_give(w->rt, p, addr);
			return NULL;
		}
	} else if (l) {
		if (dhcp4_lease_vacate(w, l)) {
			dhcp4_addr_give(w->rt, p, addr);
			t->busy = true;
			return NULL;
		}
	} else {
		l = lease_table_insert_h(w->lt, &t->key, t->key_hash, &existed);
		if (!l) {
			dhcp4_addr_give(w->rt, p, addr);
			return NULL;
		}
	}
	lease_bind_s(t, l, addr, p, s);
	return l;
}

/* RADIUS's Framed-IP-Address outside every pool: in a candidate subnet,
 * taken by compare-and-swap on its owner word (held for this worker until
 * the lease's own reference replaces it), given back when the lease is
 * not made. */
static struct lease4 *claim_outside(struct txn *t, struct lease4 *l, uint32_t addr, bool side)
{
	struct dhcp4_worker *w = t->w;
	uint32_t ref = dhcp4_ref(w->id, UINT32_MAX);      /* "worker w", no entry yet */
	struct lease4 *n;
	int s = rt_subnet_of(w->rt, addr);

	if (!subnet_ok(t, s))
		return NULL;
	if (addr_owner_claim(w->rt->outside, addr, ref))
		return NULL;                    /* another client's (or no room) */
	n = dhcp4_attach(t, l, addr, NO_POOL, s, side);
	if (!n)
		addr_owner_clear(w->rt->outside, addr, ref);
	return n;
}

/* Claim `addr` for the client if it is free in a pool of a candidate
 * subnet that its classes may use, or if it is the client's own reserved
 * address (inside or outside the pools; a reserved address is nobody
 * else's).  See attach.  Returns the entry in OFFERED state, or NULL. */
struct lease4 *dhcp4_claim_for(struct txn *t, struct lease4 *l, uint32_t addr, bool side)
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
		/* RADIUS's address for the client is its own whatever the
		 * pool's classes say; outside the pools, the address's owner
		 * word keeps it from a second client */
		if (p == NO_POOL) {
			if (addr == t->radaddr)
				return claim_outside(t, l, addr, side);
			return NULL;
		}
		s = (int)rt->pools[p].subnet;
		if (!subnet_ok(t, s) || (addr != t->radaddr && !dhcp4_pool_allowed(t, p)))
			return NULL;
	}
	if (dhcp4_addr_take(rt, p, addr))
		return NULL;
	return dhcp4_attach(t, l, addr, p, s, side);
}

/* May the client keep lease l?  Its subnet and pool must still be open to
 * it, and a reserved address must be reserved for it. */
bool dhcp4_lease_ok(const struct txn *t, const struct lease4 *l)
{
	const struct conf_host *h;

	if (!l || !l->addr || !subnet_ok(t, lease_subnet(t->w, l)))
		return false;
	if (l->pool != NO_POOL && l->addr != t->radaddr && !dhcp4_pool_allowed(t, l->pool))
		return false;
	h = rt_reserved(t->w->rt, l->addr);
	/* with access asked, an address outside the pools that no
	 * reservation names is the client's only while RADIUS says so */
	if (!h && l->pool == NO_POOL && t->w->ask_access && l->addr != t->radaddr)
		return false;
	return !h || h == t->host;
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
struct lease4 *dhcp4_side_offer(const struct txn *t, uint32_t addr)
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
		if (dhcp4_lease_vacate(w, l)) {
			t->busy = true;
			return NULL;
		}
	} else if (!l) {
		l = lease_table_insert_h(w->lt, &t->key, t->key_hash, &existed);
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
	addr_own(w, l);
	lease_set_identity(t, l);
	return l;
}

/* A REQUEST names addr, which is not the client's lease: its side offer,
 * or the address itself if it is free in a candidate subnet. */
struct lease4 *dhcp4_request_addr(struct txn *t, struct lease4 *l, uint32_t addr)
{
	struct lease4 *o = dhcp4_side_offer(t, addr);

	return o ? adopt(t, l, o) : dhcp4_claim_for(t, l, addr, false);
}

/* Commit the client's lease and ACK it; the reply waits for durability in
 * commit mode. */
int dhcp4_ack(struct txn *t, struct lease4 *l, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	int n, s = lease_subnet(w, l);
	uint8_t op = l->state == LEASE_STATE_DEFAULT ? LEASE_OP_RENEW : LEASE_OP_ADD;
	struct lease_change *c;
	uint64_t seq;

	/* Room in the log first: a change that cannot be logged is not made
	 * (counted), and no ACK goes out; the client retransmits. */
	c = dhcp4_log_claim(w);
	if (unlikely(!c))
		return drop(t, STAT4_MAX);
	if (l->state != LEASE_STATE_DEFAULT && s >= 0) {
		/* a new assignment, not a renewal */
		w->st.subnet[s].cumulative++;
		if (l->pool != NO_POOL)
			w->st.pool[l->pool].cumulative++;
	}
	dhcp4_gauge(w, l, -1);
	l->state = LEASE_STATE_DEFAULT;
	l->valid_lft = s >= 0 ? t->c->subnets[s].valid_lifetime : t->c->valid_lifetime;
	l->expire = add_lft(w->now, l->valid_lft);
	lease_set_identity(t, l);
	lease_set_hostname(t, l);
	dhcp4_gauge(w, l, +1);
	lease_table_touch(w->lt, l);
	seq = dhcp4_log_commit(w, c, l, op);
	n = dhcp4_reply(t, DHCP4_ACK, l, out, cap, tx);
	if (n > 0 && w->commit)
		tx->wait_seq = seq;
	return n;
}
