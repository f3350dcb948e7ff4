/* Access (RADIUS) on a DHCPv6 worker: which identifier a client is asked
 * and cached under, the question's packet-borne attributes, and what an
 * answer changes in a transaction.  The question is asked by the
 * datapath (engine/dp), the answer comes back through dhcp6_resume; the
 * addresses and prefixes it names are given in dhcp6_ia.c. */
#include <string.h>

#include "access_attrs.h"
#include "dhcp6_priv.h"
#include "rad_dict.h"

/* conf radius identifier-type6 values: radius/rad_ident.h's enum
 * rad_ident_type (hw-address, client-id, duid, flex-id). */
enum { ID_HW_ADDRESS = 0, ID_CLIENT_ID = 1, ID_DUID = 2, ID_FLEX_ID = 3 };


static void id_set(struct dhcp6_worker *w, uint8_t type, const uint8_t *p, size_t len)
{
	if (len > ACCESS_ID_MAX)
		len = ACCESS_ID_MAX;
	w->aq.type = type;
	w->aq.len = (uint8_t)len;
	memcpy(w->aq.id, p, len);
}

/* The client's identifier and hardware address into w->aq (the latter
 * as client_hwaddr found it for this packet: the relay's client
 * link-layer address option, a DUID-LLT / DUID-LL, or the frame's source
 * of a direct message).  A packet without the configured identifier
 * (no hardware address, an empty flex-id) is asked about by its DUID;
 * client-id names the DUID too (DHCPv6's client identifier). */
static void ident(struct txn6 *t, const struct cls_rx6 *crx)
{
	struct dhcp6_worker *w = t->w;
	const struct conf_radius *r = w->radius;
	uint8_t want = r ? r->identifier_type6 : ID_DUID;

	w->aq.hw_len = w->hw_len > sizeof(w->aq.hw) ? sizeof(w->aq.hw) : w->hw_len;
	if (w->aq.hw_len)
		memcpy(w->aq.hw, w->hw, w->aq.hw_len);
	if (want == ID_HW_ADDRESS && w->hw_len) {
		id_set(w, ID_HW_ADDRESS, w->hw, w->hw_len);
		return;
	}
	if (want == ID_FLEX_ID) {
		struct cls_scratch sc;
		const uint8_t *fid = NULL;
		size_t n = dhcp6_flex_id(t, crx, &sc, &fid);

		if (n) {
			id_set(w, ID_FLEX_ID, fid, n);
			return;
		}
	}
	id_set(w, ID_DUID, t->duid, t->duid_len);
}

/* The question's attributes: the interface-id of the relay closest to
 * the client (its access port) as NAS-Port-Id, and the access block's
 * `expr` attributes evaluated on the packet (one that fails, or gives
 * bytes that are no value of its type, is left out and counted). */
static void build(struct txn6 *t, const struct cls_rx6 *crx)
{
	const struct conf_radius *r = t->w->radius;
	struct dhcp6_worker *w = t->w;
	const struct dhcp6_pkt *p = t->req;
	unsigned i;

	w->aq.attrs_len = 0;
	if (p->n_relays) {
		const struct dhcp6_opt_ref *iid = &p->relays[p->n_relays - 1].interface_id;

		if (iid->data)
			access_attr_add(w->aq.attrs, &w->aq.attrs_len, sizeof(w->aq.attrs),
					ACCESS_A_NAS_PORT_ID, iid->data, iid->len);
	}
	for (i = 0; r && i < r->access.n_attrs; i++) {
		const struct conf_radius_attr *at = &r->access.attrs[i];
		struct rad_dict_attr da = { .vendor = at->vendor, .type = at->type,
					    .dtype = at->dtype };
		struct cls_env6 env = { .pkt = t->req, .src = crx->src, .dst = crx->dst,
					.set = &t->classes };
		struct cls_scratch sc;
		const uint8_t *v;
		size_t n;

		if (!at->expr6)
			continue;
		sc.used = 0;
		if (cls_eval6_str(at->expr6, &env, &sc, &v, &n) != 0 ||
		    rad_dict_append_bytes(&da, v, n, w->aq.attrs, &w->aq.attrs_len,
					  sizeof(w->aq.attrs)) < 0)
			w->st.c[STAT6_ACCESS_ATTR_FAILED]++;
	}
}

/* Cache a fresh answer under the identifier of the transaction being
 * resumed (computed again from the same packet: the same one). */
static void store(struct dhcp6_worker *w, const struct access_answer *a)
{
	const struct conf_radius *r = w->radius;
	uint32_t ttl;

	if (!w->acache || (a->flags & ACCESS_F_NOCACHE))
		return;
	ttl = a->verdict == ACCESS_ACCEPT ? (r ? r->cache_ttl : 300) : (r ? r->reject_ttl : 300);
	if (ttl)
		access_cache_put(w->acache, w->aq.type, w->aq.id, w->aq.len, a, w->now,
				 w->now + ttl);
}

/* An accepted answer's effects: Framed-IPv6-Pool is a class of the
 * client (a pool's or pd-pool's client-class names it; a name no class
 * has is counted), Framed-IPv6-Address and Delegated-IPv6-Prefix the
 * units its IAs are to get (dhcp6_ia.c). */
static void apply(struct txn6 *t, const struct access_answer *a)
{
	if (a->flags & ACCESS_F_ADDR6) {
		t->has_radaddr = true;
		t->radaddr = a->addr6;
	}
	if ((a->flags & ACCESS_F_PREFIX6) && a->plen6 <= 128) {
		t->has_radpfx = true;
		t->radpfx = a->prefix6;
		t->radplen = a->plen6;
	}
	if ((a->flags & ACCESS_F_POOL) && a->pool[0]) {
		int id = t->c6->reg ? cls_registry_find(t->c6->reg, a->pool) : -1;

		if (id >= 0)
			cls_set_add(&t->classes, (unsigned)id);
		else
			t->w->st.c[STAT6_ACCESS_UNKNOWN_POOL]++;
	}
}

/* Access is asked before an address or prefix is given or kept: a
 * SOLICIT, REQUEST, RENEW or REBIND with a subnet to serve it (a
 * renewal too: what the answer assigned must hold for it as it did for
 * the first one).  A REQUEST or RENEW sent straight to our unicast
 * address is only told to use multicast: nothing to ask for. */
static bool wants_access(const struct txn6 *t)
{
	switch (t->msg) {
	case DHCP6_SOLICIT: case DHCP6_REBIND:
		break;
	case DHCP6_REQUEST: case DHCP6_RENEW:
		if (!t->rx->multicast && !t->req->n_relays)
			return false;
		break;
	default:
		return false;
	}
	return t->s >= 0;
}

int dhcp6_access(struct txn6 *t, const struct cls_rx6 *crx)
{
	struct dhcp6_worker *w = t->w;
	const struct access_answer *a = w->answer;

	if (a) {
		if (a->flags & ACCESS_F_JOINED) {
			w->st.c[STAT6_ACCESS_JOINED]++;
			return -1;
		}
		ident(t, crx);
		/* no server answered: a client answered before keeps what its
		 * last answer gave (stale), on-unreachable is for the others */
		if ((a->flags & ACCESS_F_UNREACHABLE) && w->acache) {
			const struct access_answer *s = access_cache_stale(w->acache, w->aq.type,
									   w->aq.id, w->aq.len);

			if (s) {
				w->st.c[STAT6_ACCESS_STALE]++;
				a = s;          /* used, not stored again: asked at the next packet */
			}
		}
		if (a == w->answer)
			store(w, a);
	} else if (wants_access(t)) {
		ident(t, crx);
		a = w->acache ? access_cache_get(w->acache, w->aq.type, w->aq.id, w->aq.len, w->now)
			      : NULL;
		if (!a) {
			build(t, crx);
			w->st.c[STAT6_ACCESS_ASKED]++;
			return DHCP6_SUSPEND;
		}
		w->st.c[STAT6_ACCESS_CACHE_HITS]++;
	} else {
		return 0;
	}
	if (a->verdict != ACCESS_ACCEPT) {
		w->st.c[STAT6_ACCESS_REJECTED]++;
		return -1;
	}
	apply(t, a);
	return 0;
}

int dhcp6_resume(struct dhcp6_worker *w, const struct dhcp6_rx *rx, const struct dhcp6_pkt *req,
		 uint8_t ask, const struct access_answer *ans, uint8_t *out, size_t cap,
		 struct dhcp6_tx *tx)
{
	int n;

	/* only what asked can be resumed: a SOLICIT, REQUEST, RENEW or
	 * REBIND, for access */
	if (ask != DHCP6_ASK_ACCESS || !w->ask_access || !ans ||
	    (req->msg_type != DHCP6_SOLICIT && req->msg_type != DHCP6_REQUEST &&
	     req->msg_type != DHCP6_RENEW && req->msg_type != DHCP6_REBIND)) {
		tx->wait_seq = 0;
		tx->ask = DHCP6_ASK_NONE;
		return -1;
	}
	w->answer = ans;
	n = dhcp6_process(w, rx, req, out, cap, tx);
	w->answer = NULL;
	return n;
}

const uint8_t *dhcp6_access_id(const struct dhcp6_worker *w, uint8_t *type, uint8_t *len)
{
	*type = w->aq.type;
	*len = w->aq.len;
	return w->aq.id;
}

const uint8_t *dhcp6_access_hw(const struct dhcp6_worker *w, uint8_t *len)
{
	*len = w->aq.hw_len;
	return w->aq.hw;
}

const uint8_t *dhcp6_access_attrs(const struct dhcp6_worker *w, uint16_t *len)
{
	*len = w->aq.attrs_len;
	return w->aq.attrs;
}

struct access_cache *dhcp6_worker_access_cache(struct dhcp6_worker *w)
{
	return w->acache;
}
