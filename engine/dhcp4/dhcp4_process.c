/* The request path: dhcp4_process counts the message, classifies it,
 * selects the subnet (select_subnet, in Kea's order), finds the client's
 * reservation and hands the request to its message handler
 * (DISCOVER, REQUEST, RELEASE, DECLINE, INFORM).  select_subnet and the
 * handlers are called once each and inlined into dhcp4_process: kept in
 * this file so that the per-packet path makes no extra call. */
#include <arpa/inet.h>
#include <string.h>

#include "dhcp4_priv.h"

#define DEFAULT_OFFER_LIFETIME 60u
#define RAI_LINK_SELECTION 5            /* RFC 3527 sub-option of option 82 */

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

static bool is_our_server_id(const struct conf *c, uint32_t sid)
{
	unsigned i;

	for (i = 0; i < c->n_ifaces; i++)
		if (c->ifaces[i].addr == sid)
			return true;
	return false;
}

static uint32_t offer_lifetime(const struct conf *c)
{
	return c->offer_lifetime ? c->offer_lifetime : DEFAULT_OFFER_LIFETIME;
}

static int on_discover(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	struct lease4 *l = lease_table_lookup_h(w->lt, &t->key, t->key_hash), *o = NULL;
	uint32_t hold = add_lft(w->now, offer_lifetime(t->c)), ra = host_addr(t);
	bool side;

	/* A reservation's address comes first (Kea): the client moves to it
	 * unless another client still holds it (then the usual rules).  A
	 * bound lease elsewhere stays until the REQUEST (a side offer). */
	if (ra && !(l && l->addr == ra)) {
		side = l && l->addr && l->state != LEASE_STATE_OFFERED;
		o = side ? dhcp4_side_offer(t, ra) : NULL;
		if (!o)
			o = dhcp4_claim_for(t, side ? NULL : l, ra, side);
		if (o) {
			o->expire = hold;
			lease_table_touch(w->lt, o);
			return dhcp4_reply(t, DHCP4_OFFER, o, out, cap, tx);
		}
		if (t->busy)
			return drop(t, STAT4_MAX);
	}
	if (dhcp4_lease_ok(t, l)) {
		/* The client's own lease or earlier offer: offer it again.  A
		 * bound lease is not demoted; it only must outlive the offer. */
		if (l->state == LEASE_STATE_OFFERED || l->expire < hold) {
			l->expire = hold;
			lease_table_touch(w->lt, l);
		}
		return dhcp4_reply(t, DHCP4_OFFER, l, out, cap, tx);
	}
	/* A bound lease in another subnet (the client asks through another
	 * relay, or roams) stays as it is until a REQUEST commits the move:
	 * it keeps renewing meanwhile, and nothing is persisted for an offer. */
	side = l && l->addr && l->state != LEASE_STATE_OFFERED;
	if (side) {
		o = dhcp4_side_offer(t, t->reqaddr);
		if (o) {
			o->expire = hold;
			lease_table_touch(w->lt, o);
			return dhcp4_reply(t, DHCP4_OFFER, o, out, cap, tx);
		}
		l = NULL;
	}
	if (t->reqaddr)
		o = dhcp4_claim_for(t, l, t->reqaddr, side);
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
	return dhcp4_reply(t, DHCP4_OFFER, o, out, cap, tx);
}

static bool addr_in_candidates(const struct txn *t, uint32_t addr)
{
	return subnet_ok(t, rt_subnet_of(t->w->rt, addr));
}

static int on_request(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	struct lease4 *l = lease_table_lookup_h(w->lt, &t->key, t->key_hash), *n;
	bool mine = dhcp4_lease_ok(t, l);
	uint32_t ra = host_addr(t);
	uint16_t len;
	const uint8_t *sid = dhcp4_opt(t->req, DHCP4_OPT_SERVER_ID, &len);

	if (sid) {
		/* SELECTING */
		uint32_t want = t->reqaddr ? t->reqaddr : t->ciaddr;

		if (len != 4 || !is_our_server_id(t->c, be32(sid))) {
			/* The client took another server's offer. */
			if (l && l->state == LEASE_STATE_OFFERED)
				dhcp4_lease_drop(w, l, 0);
			n = dhcp4_side_offer(t, t->reqaddr);
			if (n)
				dhcp4_lease_drop(w, n, 0);
			return drop(t, STAT4_NOT_FOR_US);
		}
		if (!want && mine)
			want = l->addr;
		if (mine && l->addr == want)
			return dhcp4_ack(t, l, out, cap, tx);
		n = want ? dhcp4_request_addr(t, l, want) : NULL;
		if (!n && t->busy)
			return drop(t, STAT4_MAX);      /* the client retransmits */
		return n ? dhcp4_ack(t, n, out, cap, tx) : nak(t, out, cap, tx);
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
			return dhcp4_ack(t, l, out, cap, tx);
		if (mine)                       /* known client, wrong address */
			return nak(t, out, cap, tx);
		if (!t->c->authoritative)       /* Kea: not ours to judge */
			return 0;
		n = dhcp4_request_addr(t, l, t->reqaddr);
		if (!n && t->busy)
			return drop(t, STAT4_MAX);
		return n ? dhcp4_ack(t, n, out, cap, tx) : nak(t, out, cap, tx);
	}
	if (t->ciaddr) {
		/* RENEWING (unicast) or REBINDING (broadcast). */
		if (mine && l->addr == t->ciaddr)
			return dhcp4_ack(t, l, out, cap, tx);
		/* A client we have no record of (lost leases, a memory-mode
		 * restart) keeps its address if it is free: Kea's allocation
		 * engine does the same with ciaddr as the hint. */
		if (!mine && addr_in_candidates(t, t->ciaddr)) {
			n = dhcp4_request_addr(t, l, t->ciaddr);
			if (n)
				return dhcp4_ack(t, n, out, cap, tx);
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
	l = lease_table_lookup_h(w->lt, &t->key, t->key_hash);
	if (l && t->ciaddr && l->addr == t->ciaddr && l->state == LEASE_STATE_DEFAULT &&
	    dhcp4_lease_drop(w, l, LEASE_OP_RELEASE))
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
	l = lease_table_lookup_h(w->lt, &t->key, t->key_hash);
	if (!l || !addr || l->addr != addr || l->state != LEASE_STATE_DEFAULT)
		return 0;
	/* the address went to another client's lease (lease4-update moved
	 * it to another worker): it is not this client's to decline */
	if (addr_handed_over(w, l))
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
	if (dhcp4_persist(w, &rec, LEASE_OP_DECLINE, &seq)) {
		if (!existed)
			lease_table_remove(w->lt, d);
		return drop(t, STAT4_MAX);
	}
	if (existed)
		dhcp4_gauge(w, d, -1);
	d->pool = l->pool;                      /* the bit passes to the held lease */
	dhcp4_gauge(w, l, -1);
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
	addr_own(w, d);
	dhcp4_gauge(w, d, +1);
	lease_table_touch(w->lt, d);
	return 0;
}

static int on_inform(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	if (sid_refused(t))
		return drop(t, STAT4_NOT_FOR_US);
	return dhcp4_reply(t, DHCP4_ACK, NULL, out, cap, tx);
}

static void txn_init(struct txn *t, struct dhcp4_worker *w, const struct dhcp4_rx *rx,
		     const struct dhcp4_pkt *req, struct cls_set *cls, struct dhcp4_tx *tx)
{
	worker_serving(w);
	tx->wait_seq = 0;
	tx->ask = DHCP4_ASK_NONE;
	t->w = w;
	t->c = w->conf;
	t->rx = rx;
	t->req = req;
	t->h = req->hdr;
	t->busy = false;
	t->cls = cls;
	t->host = NULL;
	t->radaddr = 0;
}

/* The stages before any question: classes, subnet, reservation.  0 to go
 * on, or drop()'s result.  They depend only on the request and the
 * running configuration, so a resumed transaction runs them again. */
static inline int admit(struct txn *t)
{
	struct dhcp4_worker *w = t->w;
	const struct conf_policy *x = t->c->policy;
	const struct dhcp4_pkt *req = t->req;
	const struct dhcp4_rx *rx = t->rx;
	struct cls_set *cls = t->cls;
	int s;

	if (unlikely(rx->iface >= t->c->n_ifaces))
		return drop(t, STAT4_NOT_FOR_US);

	/* Classes, Kea's order: ALL, VENDOR_CLASS_*, the tests that need no
	 * host lookup; DROP ends it here. */
	cls_set_clear(cls);
	cls_set_add(cls, CLS_ID_ALL);
	cls_set_add(cls, rx->ha_class);
	if (x && x->classify_pre) {
		int failed = cls_classify_cached(x->reg, w->cls_cache, req, rx, cls);

		if (unlikely(failed > 0))
			w->st.c[STAT4_CLASS_EVAL_FAILED] += (unsigned)failed;
		if (unlikely(cls_set_has(cls, CLS_ID_DROP)))
			return drop(t, STAT4_DROP_CLASS);
	}

	t->ciaddr = ntohl(t->h->ciaddr);
	t->giaddr = ntohl(t->h->giaddr);
	t->reqaddr = opt_addr(req, DHCP4_OPT_REQ_ADDR);
	t->server_addr = t->c->ifaces[rx->iface].addr;
	dhcp4_client_key(req, t->c->match_client_id, &t->key);
	/* Kea refuses a client it cannot identify. */
	if (unlikely(t->key.kind == LEASE_KEY_HWADDR && t->key.len <= 1))
		return drop(t, STAT4_MAX);
	t->key_hash = lease_key_hash(&t->key);
	select_subnet(t);
	t->s0 = t->s;
	t->shared = t->s >= 0 ? shared_of(t->c, t->s) : -1;
	/* The first candidate the client's classes may use. */
	t->s = dhcp4_subnet_next(t, -1);
	if (t->s < 0)
		return drop(t, STAT4_NO_SUBNET);

	/* Host lookup: a reservation in a candidate subnet (in candidate
	 * order), else a global one; then the classes that depend on
	 * KNOWN/UNKNOWN and the reservation's own classes. */
	if (w->rt->hosts && !dhcp4_hosts_subnet_scoped(w->rt->hosts)) {
		/* only global reservations: one lookup for every candidate */
		t->host = dhcp4_hosts_lookup(w->rt->hosts, 0, req, rx, t->c->ifaces[rx->iface].name,
					     cls);
	} else if (w->rt->hosts) {
		const char *ifname = t->c->ifaces[rx->iface].name;
		const struct conf_host *g = NULL, *h;

		for (s = t->s; s >= 0 && !t->host; s = dhcp4_subnet_next(t, s)) {
			h = dhcp4_hosts_lookup(w->rt->hosts, t->c->subnets[s].id, req, rx, ifname, cls);
			if (h && h->subnet_id)
				t->host = h;
			else if (h && !g)
				g = h;
		}
		if (!t->host)
			t->host = g;
		else if ((s = rt_subnet_by_id(w->rt, t->host->subnet_id)) >= 0)
			t->s = s;
	}
	if (x) {
		int failed;

		cls_set_known(cls, t->host != NULL);
		if (t->host)
			for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
				cls->w[i] |= t->host->classes.w[i];
		failed = x->classify_post ? cls_classify(x->reg, req, rx, cls, CLS_STAGE_POST_HOST) : 0;
		if (unlikely(failed > 0))
			w->st.c[STAT4_CLASS_EVAL_FAILED] += (unsigned)failed;
		/* DROP also from a reservation's client-classes */
		if (unlikely(cls_set_has(cls, CLS_ID_DROP)))
			return drop(t, STAT4_DROP_CLASS);
		/* KNOWN-dependent classes may close the subnet chosen so far */
		if (!dhcp4_subnet_allowed(t, t->s)) {
			t->s = dhcp4_subnet_next(t, -1);
			if (t->s < 0)
				return drop(t, STAT4_NO_SUBNET);
		}
	}
	return 0;
}

/* The message's own handler: allocation, lease changes, the reply. */
static inline int handle(struct txn *t, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	switch (t->req->msg_type) {
	case DHCP4_DISCOVER: return on_discover(t, out, cap, tx);
	case DHCP4_REQUEST:  return on_request(t, out, cap, tx);
	case DHCP4_RELEASE:  return on_release(t);
	case DHCP4_DECLINE:  return on_decline(t);
	default:             return on_inform(t, out, cap, tx);
	}
}

/* Access is asked before an address is given or kept: a DISCOVER or a
 * REQUEST whose client has no cached answer (a renewal too: what the
 * answer assigned — a class for its pool, its address — must hold for
 * it as it did for the first one). */
static inline bool wants_access(const struct txn *t)
{
	return t->req->msg_type == DHCP4_DISCOVER || t->req->msg_type == DHCP4_REQUEST;
}

/* The access stage: the answer the transaction resumes with, else the
 * client's cached one, else suspend to ask.  0 to go on. */
static int access(struct txn *t, struct dhcp4_tx *tx)
{
	struct dhcp4_worker *w = t->w;
	const struct access_answer *a = w->answer;

	if (a) {
		/* a retransmission the earlier question answers: no reply */
		if (a->flags & ACCESS_F_JOINED)
			return drop(t, STAT4_ACCESS_JOINED);
		dhcp4_access_ident(t);
		/* no server answered: a client answered before keeps what its
		 * last answer gave (stale), on-unreachable is for the others */
		if ((a->flags & ACCESS_F_UNREACHABLE) && w->acache) {
			const struct access_answer *s = access_cache_stale(w->acache, w->aq.type,
									   w->aq.id, w->aq.len);

			if (s) {
				w->st.c[STAT4_ACCESS_STALE]++;
				a = s;          /* used, not stored again: asked at the next packet */
			}
		}
		if (a == w->answer)
			dhcp4_access_store(t, a);
	} else if (wants_access(t)) {
		dhcp4_access_ident(t);
		a = w->acache ? access_cache_get(w->acache, w->aq.type, w->aq.id, w->aq.len, w->now)
			      : NULL;
		if (!a) {
			dhcp4_access_build(t);
			w->st.c[STAT4_ACCESS_ASKED]++;
			tx->ask = DHCP4_ASK_ACCESS;
			return DHCP4_SUSPEND;
		}
		w->st.c[STAT4_ACCESS_CACHE_HITS]++;
	} else {
		return 0;
	}
	if (a->verdict != ACCESS_ACCEPT)
		return drop(t, STAT4_ACCESS_REJECTED);
	dhcp4_access_apply(t, a);
	return 0;
}

int dhcp4_process(struct dhcp4_worker *w, const struct dhcp4_rx *rx,
		  const struct dhcp4_pkt *req, uint8_t *out, size_t cap, struct dhcp4_tx *tx)
{
	struct cls_set cls;
	struct txn t;
	int ret;

	txn_init(&t, w, rx, req, &cls, tx);
	/* a resumed transaction was counted when it first came in */
	if (likely(!w->answer)) {
		w->st.c[STAT4_PKT4_RECEIVED]++;
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
	}
	ret = admit(&t);
	if (ret)
		return ret;
	if (unlikely(w->ask_access)) {
		ret = access(&t, tx);
		if (ret)
			return ret;
	}
	return handle(&t, out, cap, tx);
}

int dhcp4_resume(struct dhcp4_worker *w, const struct dhcp4_rx *rx, const struct dhcp4_pkt *req,
		 uint8_t ask, const struct access_answer *ans, uint8_t *out, size_t cap,
		 struct dhcp4_tx *tx)
{
	int n;

	/* only what asked can be resumed: a DISCOVER or REQUEST, for access */
	if (ask != DHCP4_ASK_ACCESS || !w->ask_access || !ans ||
	    (req->msg_type != DHCP4_DISCOVER && req->msg_type != DHCP4_REQUEST)) {
		tx->wait_seq = 0;
		tx->ask = DHCP4_ASK_NONE;
		return -1;
	}
	/* the same stages again, this time with the answer */
	w->answer = ans;
	n = dhcp4_process(w, rx, req, out, cap, tx);
	w->answer = NULL;
	return n;
}
