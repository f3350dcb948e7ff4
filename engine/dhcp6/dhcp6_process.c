/* dhcp6_process: a parsed request in, at most one reply out (RFC 8415
 * 16 and 18.3): the message checks, subnet selection, the host lookup,
 * then the handler of its type. */
#include <string.h>

#include "dhcp6_priv.h"

static const uint8_t zero16[16];

static int drop(struct txn6 *t, enum stat6 why)
{
	if (why != STAT6_MAX)
		t->w->st.c[why]++;
	t->w->st.c[STAT6_PKT6_RECEIVE_DROP]++;
	return -1;
}

static void count_received(struct dhcp6_worker *w, uint8_t type)
{
	static const uint8_t stat[] = {
		[DHCP6_SOLICIT] = STAT6_PKT6_SOLICIT_RECEIVED,
		[DHCP6_ADVERTISE] = STAT6_PKT6_ADVERTISE_RECEIVED,
		[DHCP6_REQUEST] = STAT6_PKT6_REQUEST_RECEIVED,
		[DHCP6_CONFIRM] = STAT6_PKT6_CONFIRM_RECEIVED,
		[DHCP6_RENEW] = STAT6_PKT6_RENEW_RECEIVED,
		[DHCP6_REBIND] = STAT6_PKT6_REBIND_RECEIVED,
		[DHCP6_REPLY] = STAT6_PKT6_REPLY_RECEIVED,
		[DHCP6_RELEASE] = STAT6_PKT6_RELEASE_RECEIVED,
		[DHCP6_DECLINE] = STAT6_PKT6_DECLINE_RECEIVED,
		[DHCP6_INFORMATION_REQUEST] = STAT6_PKT6_INFREQUEST_RECEIVED,
	};

	w->st.c[STAT6_PKT6_RECEIVED]++;
	if (type < sizeof(stat) && stat[type])
		w->st.c[stat[type]]++;
	else
		w->st.c[STAT6_PKT6_UNKNOWN_RECEIVED]++;
}

bool txn6_subnet_ok(const struct txn6 *t, int s)
{
	const struct conf6_subnet *sn;

	if (s < 0)
		return false;
	if (s != t->s && (t->shared < 0 || t->c6->subnets[s].shared != t->shared))
		return false;
	sn = &t->c6->subnets[s];
	return sn->client_class < 0 || cls_set_has(&t->classes, (unsigned)sn->client_class);
}

static bool relays_match(const struct lease_addr6 *a, unsigned n, struct lease_addr6 x)
{
	for (unsigned i = 0; i < n; i++)
		if (lease_addr6_eq(a[i], x))
			return true;
	return false;
}

/* Kea's order (Dhcpv6Srv::selectSubnet): for a relayed message the relay
 * closest to the client decides: its interface-id, then relay
 * ip-addresses naming its link address, then the subnet whose prefix
 * holds that address; a direct one goes by the receiving port, then by a
 * global source address. */
static int select_subnet(const struct txn6 *t)
{
	const struct conf6 *c6 = t->c6;
	const struct dhcp6_pkt *p = t->req;

	if (p->n_relays) {
		const struct dhcp6_relay *r = &p->relays[p->n_relays - 1];
		struct lease_addr6 link = lease_addr6_load(r->link_addr);
		const struct dhcp6_opt_ref *iid = &r->interface_id;

		if (iid->data) {
			for (unsigned s = 0; s < c6->n_subnets; s++) {
				const struct conf6_subnet *sn = &c6->subnets[s];
				const struct conf6_shared_net *sh = sn->shared >= 0 ? &c6->shared[sn->shared] : NULL;

				if ((sn->interface_id_len == iid->len &&
				     !memcmp(sn->interface_id, iid->data, iid->len)) ||
				    (sh && sh->interface_id_len == iid->len &&
				     !memcmp(sh->interface_id, iid->data, iid->len)))
					return (int)s;
			}
		}
		if (memcmp(r->link_addr, zero16, 16) == 0)
			return -1;
		for (unsigned s = 0; s < c6->n_subnets; s++) {
			const struct conf6_subnet *sn = &c6->subnets[s];
			const struct conf6_shared_net *sh = sn->shared >= 0 ? &c6->shared[sn->shared] : NULL;

			if (relays_match(sn->relay_addrs, sn->n_relay_addrs, link) ||
			    (sh && relays_match(sh->relay_addrs, sh->n_relay_addrs, link)))
				return (int)s;
		}
		return rt6_subnet_of(t->w->rt, link);
	}
	for (unsigned s = 0; s < c6->n_subnets; s++) {
		const struct conf6_subnet *sn = &c6->subnets[s];
		int iface = sn->iface;

		if (iface < 0 && sn->shared >= 0)
			iface = c6->shared[sn->shared].iface;
		if (iface >= 0 && (unsigned)iface == t->rx->iface)
			return (int)s;
	}
	if (t->rx->src_ip[0] != 0xfe)
		return rt6_subnet_of(t->w->rt, lease_addr6_load(t->rx->src_ip));
	return -1;
}

/* The client's link-layer address, Kea's sources in its default order:
 * the client link-layer address option of the first relay (RFC 6939),
 * a DUID-LLT or DUID-LL, the frame's source of a direct message. */
enum { HWSRC_RAW = 1, HWSRC_DUID = 2, HWSRC_CLIENT_ADDR_RELAY = 8 };   /* Kea's HWADDR_SOURCE_* */
static void client_hwaddr(struct dhcp6_worker *w, const struct dhcp6_pkt *p,
			  const struct dhcp6_rx *rx)
{
	const uint8_t *d = p->client_id.data;
	uint16_t dl = p->client_id.len, type;

	w->hw_len = 0;
	if (p->n_relays) {
		const struct dhcp6_relay *r = &p->relays[p->n_relays - 1];
		uint16_t len;
		const uint8_t *v = dhcp6_opt_in(r->opts, r->opts_len,
						DHCP6_OPT_CLIENT_LINKLAYER_ADDR, &len);

		if (v && len > 2 && len - 2 <= LEASE6_HWADDR_MAX) {
			w->hw_type = (uint16_t)(v[0] << 8 | v[1]);
			w->hw = v + 2;
			w->hw_len = (uint8_t)(len - 2);
			w->hw_src = HWSRC_CLIENT_ADDR_RELAY;
			return;
		}
	}
	if (d && dl >= 4) {
		type = (uint16_t)(d[0] << 8 | d[1]);
		if ((type == 1 && dl > 8 && dl - 8 <= LEASE6_HWADDR_MAX) ||
		    (type == 3 && dl > 4 && dl - 4 <= LEASE6_HWADDR_MAX)) {
			unsigned off = type == 1 ? 8 : 4;

			w->hw_type = (uint16_t)(d[2] << 8 | d[3]);
			w->hw = d + off;
			w->hw_len = (uint8_t)(dl - off);
			w->hw_src = HWSRC_DUID;
			return;
		}
	}
	if (!p->n_relays) {
		w->hw_type = 1;
		w->hw = rx->src_mac;
		w->hw_len = 6;
		w->hw_src = HWSRC_RAW;
	}
}

/* The flex-id of this client: flex-id-expression's value, or 0 bytes. */
size_t dhcp6_flex_id(const struct txn6 *t, const struct cls_rx6 *crx, struct cls_scratch *sc,
		     const uint8_t **out)
{
	struct cls_env6 env = { .pkt = t->req, .src = crx->src, .dst = crx->dst,
				.set = &t->classes };
	size_t len = 0;

	if (!t->c6->flex_expr)
		return 0;
	sc->used = 0;
	if (cls_eval6_str(t->c6->flex_expr, &env, sc, out, &len) < 0 || len > 255)
		return 0;
	return len;
}

/* Reservations in host-reservation-identifiers order: in the selected
 * subnet, else global ones. */
static const struct conf6_host *host_lookup(const struct txn6 *t, const struct cls_rx6 *crx)
{
	const struct dhcp6_worker *w = t->w;
	uint32_t sid = t->s >= 0 ? t->c6->subnets[t->s].id : 0;
	struct cls_scratch sc;
	const uint8_t *fid = NULL;
	size_t fid_len = 0;
	bool fid_done = false;

	if (!w->rt->n_hkeys)
		return NULL;
	for (unsigned pass = 0; pass < 2; pass++, sid = 0) {
		for (unsigned i = 0; i < t->c6->n_hr_order; i++) {
			const struct conf6_host *h = NULL;

			switch (t->c6->hr_order[i]) {
			case CONF_HID_DUID:
				if (t->duid_len)
					h = rt6_host_find(w->rt, sid, CONF_HID_DUID, t->duid, t->duid_len);
				break;
			case CONF_HID_HW_ADDRESS:
				if (w->hw_len)
					h = rt6_host_find(w->rt, sid, CONF_HID_HW_ADDRESS, w->hw, w->hw_len);
				break;
			case CONF_HID_FLEX_ID:
				if (!fid_done) {
					fid_len = dhcp6_flex_id(t, crx, &sc, &fid);
					fid_done = true;
				}
				if (fid_len)
					h = rt6_host_find(w->rt, sid, CONF_HID_FLEX_ID, fid, (uint8_t)fid_len);
				break;
			default:
				break;
			}
			if (h)
				return h;
		}
		if (!sid)
			break;
	}
	return NULL;
}

static bool server_id_ours(const struct txn6 *t)
{
	const struct dhcp6_opt_ref *sid = &t->req->server_id;

	return sid->len == t->w->rt->duid_len && !memcmp(sid->data, t->w->rt->duid, sid->len);
}

/* RFC 8415 18.3.3: a CONFIRM is answered only when every address it names
 * can be judged; NotOnLink as soon as one is not on the client's link. */
static int confirm(struct txn6 *t)
{
	unsigned n = 0;
	bool on_link = true;

	for (unsigned i = 0; i < t->req->n_ias; i++) {
		const struct dhcp6_ia *ia = &t->req->ias[i];

		if (ia->type == DHCP6_OPT_IA_PD)
			continue;
		for (unsigned j = 0; j < ia->n_addrs; j++, n++) {
			int s = rt6_subnet_of(t->w->rt, lease_addr6_load(ia->addrs[j].addr));

			if (!txn6_subnet_ok(t, s))
				on_link = false;
		}
	}
	if (!n || t->s < 0)
		return -1;
	return dhcp6_build_status(&t->b, on_link ? DHCP6_ST_SUCCESS : DHCP6_ST_NOT_ON_LINK,
				  on_link ? "all addresses are on link" : "not on link");
}

/* require-client-classes of the shared network, subnet and pool that
 * serve the client, evaluated once the leases are chosen (their
 * option-data then applies). */
static void required_classes(struct txn6 *t, const struct cls_rx6 *crx)
{
	struct cls_set req;
	int ret;

	if (!t->c6->reg || t->s < 0)
		return;
	req = t->c6->subnets[t->s].require;
	if (t->shared >= 0)
		for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
			req.w[i] |= t->c6->shared[t->shared].require.w[i];
	if (t->first_pool != NO_POOL6) {
		const struct rt6_pool *p = &t->w->rt->pools[t->first_pool];
		const struct cls_set *pr = p->pd ? &t->c6->subnets[p->subnet].pd_pools[p->index].require
						 : &t->c6->subnets[p->subnet].pools[p->index].require;

		for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
			req.w[i] |= pr->w[i];
	}
	if (cls_set_empty(&req))
		return;
	ret = cls_require6(t->c6->reg, t->req, crx, &t->classes, &req);
	if (ret > 0)
		t->w->st.c[STAT6_CLASS_EVAL_FAILED] += (unsigned)ret;
}

/* Which messages must carry our server id (1), must not carry one (-1),
 * or may (0), per RFC 8415 16. */
static int server_id_rule(uint8_t type)
{
	switch (type) {
	case DHCP6_REQUEST: case DHCP6_RENEW: case DHCP6_RELEASE: case DHCP6_DECLINE:
		return 1;
	case DHCP6_SOLICIT: case DHCP6_CONFIRM: case DHCP6_REBIND:
		return -1;
	default:
		return 0;
	}
}

int dhcp6_process(struct dhcp6_worker *w, const struct dhcp6_rx *rx, const struct dhcp6_pkt *req,
		  uint8_t *out, size_t cap, struct dhcp6_tx *tx)
{
	struct txn6 t = {
		.w = w, .c6 = w->c6, .rx = rx, .req = req, .s = -1, .shared = -1,
		.msg = req->msg_type, .first_pool = NO_POOL6,
		.duid = req->client_id.data, .duid_len = (uint8_t)req->client_id.len,
	};
	struct cls_rx6 crx;
	uint8_t reply = DHCP6_REPLY;
	int rule, ret = 0;
	size_t n;
	bool rapid = false;

	tx->ask = DHCP6_ASK_NONE;
	/* a resumed transaction was counted when it first came in */
	if (likely(!w->answer))
		count_received(w, req->msg_type);
	switch (req->msg_type) {
	case DHCP6_SOLICIT: case DHCP6_REQUEST: case DHCP6_CONFIRM: case DHCP6_RENEW:
	case DHCP6_REBIND: case DHCP6_RELEASE: case DHCP6_DECLINE:
	case DHCP6_INFORMATION_REQUEST:
		break;
	default:
		return drop(&t, STAT6_MAX);     /* server-to-client or relay-reply: not ours */
	}
	if (!req->client_id.data && req->msg_type != DHCP6_INFORMATION_REQUEST)
		return drop(&t, STAT6_NO_CLIENT_ID);
	rule = server_id_rule(req->msg_type);
	if ((rule > 0 && !req->server_id.data) || (rule < 0 && req->server_id.data) ||
	    (req->server_id.data && !server_id_ours(&t)))
		return drop(&t, STAT6_BAD_SERVER_ID);
	w->origin = LEASE_ORIGIN_CLIENT;
	client_hwaddr(w, req, rx);
	/* Kea's order: classes first (they may keep a client out of a
	 * subnet), DROP drops; then subnet, host, the KNOWN/UNKNOWN tests */
	cls_set_clear(&t.classes);
	cls_set_add(&t.classes, CLS_ID_ALL);
	cls_set_add(&t.classes, rx->ha_class);
	crx = (struct cls_rx6){ rx->iface, rx->src_ip, rx->dst_ip };
	if (t.c6->reg && cls_registry_stage_work(t.c6->reg, CLS_STAGE_PRE_HOST)) {
		ret = cls_classify6(t.c6->reg, req, &crx, &t.classes, CLS_STAGE_PRE_HOST);
		if (ret > 0)
			w->st.c[STAT6_CLASS_EVAL_FAILED] += (unsigned)ret;
		if (cls_set_has(&t.classes, CLS_ID_DROP))
			return drop(&t, STAT6_DROP_CLASS);
	}
	t.s = select_subnet(&t);
	if (t.s >= 0)
		t.shared = t.c6->subnets[t.s].shared;
	else if (req->msg_type != DHCP6_INFORMATION_REQUEST)
		w->st.c[STAT6_NO_SUBNET]++;
	t.host = host_lookup(&t, &crx);
	cls_set_known(&t.classes, t.host != NULL);
	if (t.host)
		for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
			t.classes.w[i] |= t.host->classes.w[i];
	if (t.c6->reg && cls_registry_stage_work(t.c6->reg, CLS_STAGE_POST_HOST)) {
		ret = cls_classify6(t.c6->reg, req, &crx, &t.classes, CLS_STAGE_POST_HOST);
		if (ret > 0)
			w->st.c[STAT6_CLASS_EVAL_FAILED] += (unsigned)ret;
	}
	/* RADIUS access: its Framed-IPv6-Pool is one more class of the
	 * client, so it counts in the checks below as the others do */
	if (unlikely(w->ask_access)) {
		ret = dhcp6_access(&t, &crx);
		if (ret == DHCP6_SUSPEND) {
			tx->ask = DHCP6_ASK_ACCESS;
			return ret;
		}
		if (ret)
			return drop(&t, STAT6_MAX);     /* rejected (counted) */
	}
	if (t.s >= 0 && !txn6_subnet_ok(&t, t.s)) {
		/* its class keeps this client out: a sibling in its shared
		 * network may take it */
		int s0 = t.s;

		t.s = -1;
		for (unsigned s = 0; t.shared >= 0 && s < t.c6->n_subnets; s++) {
			t.s = (int)s;
			if ((int)s != s0 && t.c6->subnets[s].shared == t.shared && txn6_subnet_ok(&t, t.s))
				break;
			t.s = -1;
		}
	}

	if (req->msg_type == DHCP6_SOLICIT) {
		rapid = req->rapid_commit && t.s >= 0 && t.c6->subnets[t.s].rapid_commit;
		reply = rapid ? DHCP6_REPLY : DHCP6_ADVERTISE;
	}
	dhcp6_build_init(&t.b, out, cap, req, reply);
	if (req->client_id.data)
		(void)dhcp6_build_opt(&t.b, DHCP6_OPT_CLIENTID, req->client_id.data, req->client_id.len);
	(void)dhcp6_put_server_id(&t);
	/* RFC 8415 18.4: we send no Server Unicast option, so a message that
	 * came straight to a unicast address is told to use multicast */
	if (!rx->multicast && !req->n_relays &&
	    (req->msg_type == DHCP6_REQUEST || req->msg_type == DHCP6_RENEW ||
	     req->msg_type == DHCP6_RELEASE || req->msg_type == DHCP6_DECLINE)) {
		(void)dhcp6_build_status(&t.b, DHCP6_ST_USE_MULTICAST, "use multicast");
		goto finish;
	}
	switch (req->msg_type) {
	case DHCP6_SOLICIT:
		t.commit = rapid;
		if (rapid)
			(void)dhcp6_build_opt(&t.b, DHCP6_OPT_RAPID_COMMIT, NULL, 0);
		dhcp6_ias_assign(&t);
		break;
	case DHCP6_REQUEST: case DHCP6_RENEW: case DHCP6_REBIND:
		t.commit = true;
		dhcp6_ias_assign(&t);
		break;
	case DHCP6_RELEASE:
		(void)dhcp6_ias_release(&t, false);
		(void)dhcp6_build_status(&t.b, DHCP6_ST_SUCCESS, "leases released");
		break;
	case DHCP6_DECLINE:
		(void)dhcp6_ias_release(&t, true);
		(void)dhcp6_build_status(&t.b, DHCP6_ST_SUCCESS, "addresses declined");
		break;
	case DHCP6_CONFIRM:
		if (confirm(&t) < 0)
			return drop(&t, STAT6_MAX);     /* nothing to judge: no reply */
		break;
	default:
		break;
	}
	required_classes(&t, &crx);
	dhcp6_reply_options(&t);
finish:
	n = dhcp6_build_finish(&t.b);
	if (!n)
		return drop(&t, STAT6_REPLY_OVERFLOW);
	/* back to the relay that sent it, or to the client */
	memcpy(tx->dst_ip, rx->src_ip, 16);
	tx->dst_port = req->n_relays ? DHCP6_SERVER_PORT : DHCP6_CLIENT_PORT;
	tx->wait_seq = w->commit ? t.wait_seq : 0;
	tx->msg_type = reply;
	w->st.c[STAT6_PKT6_SENT]++;
	w->st.c[reply == DHCP6_ADVERTISE ? STAT6_PKT6_ADVERTISE_SENT : STAT6_PKT6_REPLY_SENT]++;
	(void)ret;
	return (int)n;
}

void dhcp6_reply_unsent(struct dhcp6_worker *w, uint8_t msg_type)
{
	w->st.c[STAT6_PKT6_SENT]--;
	w->st.c[msg_type == DHCP6_ADVERTISE ? STAT6_PKT6_ADVERTISE_SENT : STAT6_PKT6_REPLY_SENT]--;
}
