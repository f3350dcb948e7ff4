/* Access (RADIUS) on a DHCPv4 worker: which identifier a client is asked
 * and cached under, and what an answer changes in a transaction.  The
 * question itself is asked by the datapath (engine/dp), the answer comes
 * back to dhcp4_resume (dhcp4_process.c). */
#include <string.h>

#include "access_attrs.h"
#include "dhcp4_priv.h"
#include "rad_dict.h"

/* conf radius identifier-type4 values: radius/rad_ident.h's enum
 * rad_ident_type (hw-address, client-id, duid, flex-id). */
enum { ID_HW_ADDRESS = 0, ID_CLIENT_ID = 1, ID_DUID = 2, ID_FLEX_ID = 3 };

static void id_set(struct dhcp4_worker *w, uint8_t type, const uint8_t *p, size_t len)
{
	if (len > ACCESS_ID_MAX)
		len = ACCESS_ID_MAX;
	w->aq.type = type;
	w->aq.len = (uint8_t)len;
	memcpy(w->aq.id, p, len);
}

/* The client's identifier into w->aq.  Falls back to the hardware address
 * when the packet lacks the configured one (no client-id, flex-id empty). */
void dhcp4_access_ident(struct txn *t)
{
	struct dhcp4_worker *w = t->w;
	const struct conf_radius *r = t->c->radius;
	uint8_t want = r ? r->identifier_type4 : ID_HW_ADDRESS;
	const uint8_t *v;
	uint16_t len;

	switch (want) {
	case ID_CLIENT_ID:
	case ID_DUID:
		v = dhcp4_opt(t->req, DHCP4_OPT_CLIENT_ID, &len);
		if (v && len > 0) {
			/* duid: RFC 4361's type 255, IAID (4), DUID */
			if (want == ID_DUID && len > 5 && v[0] == 255)
				id_set(w, ID_DUID, v + 5, len - 5u);
			else
				id_set(w, ID_CLIENT_ID, v, len);
			return;
		}
		break;
	case ID_FLEX_ID:
		if (t->c->policy && t->c->policy->flex_expr) {
			struct cls_scratch s;
			struct cls_env env = { .pkt = t->req, .rx = t->rx, .set = t->cls,
					       .iface = t->c->ifaces[t->rx->iface].name };
			const uint8_t *out;
			size_t n;

			s.used = 0;
			if (cls_eval_str(t->c->policy->flex_expr, &env, &s, &out, &n) == 0 && n) {
				id_set(w, ID_FLEX_ID, out, n);
				return;
			}
		}
		break;
	default:
		break;
	}
	id_set(w, ID_HW_ADDRESS, t->h->chaddr, t->h->hlen > 16 ? 16 : t->h->hlen);
}

/* The transaction serves subnet s from now on (Kea's reselect-subnet-*:
 * the answer named an address or a pool the selected subnet lacks). */
static void reselect(struct txn *t, int s)
{
	t->s0 = t->s = s;
	t->shared = shared_of(t->c, s);
	t->by_iface = false;
}

/* Does a candidate subnet have a pool for class id? */
static bool candidates_have_pool(const struct txn *t, int id)
{
	unsigned i;
	int s;

	for (s = dhcp4_subnet_next(t, -1); s >= 0; s = dhcp4_subnet_next(t, s))
		for (i = 0; i < t->c->subnets[s].n_pools; i++)
			if (t->c->subnets[s].pools[i].client_class == id)
				return true;
	return false;
}

/* The first subnet with a pool for class id, or -1. */
static int subnet_with_pool(const struct conf *c, int id)
{
	unsigned s, i;

	for (s = 0; s < c->n_subnets; s++)
		for (i = 0; i < c->subnets[s].n_pools; i++)
			if (c->subnets[s].pools[i].client_class == id)
				return (int)s;
	return -1;
}

/* An accepted answer's effects: its Framed-Pool is a class of the client
 * (a pool's client-class names it), its Framed-IP-Address the address
 * the client is to get.  A pool name no class is called is counted.
 * With reselect-subnet-address (-pool), an address (a pool) the selected
 * subnets lack moves the client to the subnet that has it, as Kea does. */
void dhcp4_access_apply(struct txn *t, const struct access_answer *a)
{
	const struct conf_radius *r = t->c->radius;
	int s;

	if (a->flags & ACCESS_F_ADDR4) {
		t->radaddr = a->addr4;
		s = rt_subnet_of(t->w->rt, a->addr4);
		if (r && r->reselect_subnet_address && s >= 0 && !subnet_ok(t, s))
			reselect(t, s);
		if (!subnet_ok(t, s))           /* not in the subnets it may use */
			t->w->st.c[STAT4_ACCESS_ADDR_UNUSABLE]++;
	}
	if ((a->flags & ACCESS_F_POOL) && a->pool[0]) {
		int id = t->c->policy ? cls_registry_find(t->c->policy->reg, a->pool) : -1;

		if (id < 0) {
			t->w->st.c[STAT4_ACCESS_UNKNOWN_POOL]++;
			return;
		}
		cls_set_add(t->cls, (unsigned)id);
		if (r && r->reselect_subnet_pool && !(a->flags & ACCESS_F_ADDR4) &&
		    !candidates_have_pool(t, id) && (s = subnet_with_pool(t->c, id)) >= 0)
			reselect(t, s);
	}
}

/* Cache a fresh answer for the client that asked (the identifier of the
 * transaction being resumed: computed again, it is the same packet). */
void dhcp4_access_store(struct txn *t, const struct access_answer *a)
{
	const struct conf_radius *r = t->c->radius;
	struct dhcp4_worker *w = t->w;
	uint32_t ttl;

	if (!w->acache || (a->flags & ACCESS_F_NOCACHE))
		return;
	ttl = a->verdict == ACCESS_ACCEPT ? (r ? r->cache_ttl : 300) : (r ? r->reject_ttl : 300);
	if (!ttl)
		return;
	access_cache_put(w->acache, w->aq.type, w->aq.id, w->aq.len, a, w->now, w->now + ttl);
}

/* The attributes of the question being asked: the relay's circuit-id
 * (option 82 sub-option 1) as NAS-Port-Id, and the access block's `expr`
 * attributes evaluated on the packet (one that fails, or gives bytes
 * that are no value of its type, is left out and counted). */
void dhcp4_access_build(struct txn *t)
{
	const struct conf_radius *r = t->c->radius;
	struct dhcp4_worker *w = t->w;
	const uint8_t *rai;
	uint16_t len, i;

	w->aq.attrs_len = 0;
	rai = dhcp4_opt(t->req, DHCP4_OPT_RAI, &len);
	for (i = 0; rai && i + 2 <= len && i + 2 + rai[i + 1] <= len; i += 2 + rai[i + 1])
		if (rai[i] == 1) {
			access_attr_add(w->aq.attrs, &w->aq.attrs_len, sizeof(w->aq.attrs),
					ACCESS_A_NAS_PORT_ID, rai + i + 2, rai[i + 1]);
			break;
		}
	for (i = 0; r && i < r->access.n_attrs; i++) {
		const struct conf_radius_attr *at = &r->access.attrs[i];
		struct rad_dict_attr da = { .vendor = at->vendor, .type = at->type,
					    .dtype = at->dtype };
		struct cls_env env = { .pkt = t->req, .rx = t->rx, .set = t->cls,
				       .iface = t->c->ifaces[t->rx->iface].name };
		struct cls_scratch s;
		const uint8_t *v;
		size_t n;

		if (!at->expr4)
			continue;
		s.used = 0;
		if (cls_eval_str(at->expr4, &env, &s, &v, &n) != 0 ||
		    rad_dict_append_bytes(&da, v, n, w->aq.attrs, &w->aq.attrs_len,
					  sizeof(w->aq.attrs)) < 0)
			w->st.c[STAT4_ACCESS_ATTR_FAILED]++;
	}
}

const uint8_t *dhcp4_access_attrs(const struct dhcp4_worker *w, uint16_t *len)
{
	*len = w->aq.attrs_len;
	return w->aq.attrs;
}

const uint8_t *dhcp4_access_id(const struct dhcp4_worker *w, uint8_t *type, uint8_t *len)
{
	*type = w->aq.type;
	*len = w->aq.len;
	return w->aq.id;
}

struct access_cache *dhcp4_worker_access_cache(struct dhcp4_worker *w)
{
	return w->acache;
}
