/* Building a reply in place: header, server id, lease times, echoed
 * client-id and relay agent option, the options that apply (precedence in
 * dhcp4_optsel.c), and where it goes (RFC 2131 §4.1). */
#include <arpa/inet.h>
#include <string.h>

#include "dhcp4_optsel.h"
#include "dhcp4_priv.h"

#define RFC_MIN_MSG      576u           /* RFC 2131 §2: every client takes 576 */
#define IP_UDP_HLEN      28u

static size_t opt_space(size_t len)
{
	return len + 2 * (len ? (len + 254) / 255 : 1);
}

/* The option sets, boot fields and required classes that apply to a
 * reply from subnet sn (and pool p of lease l).  Everything lives on the
 * caller's stack. */
static void reply_src(struct txn *t, const struct conf_subnet *sn, const struct lease4 *l,
		      struct dhcp4_optsel_src *src)
{
	const struct conf *c = t->c;
	const struct conf_policy *x = c->policy;
	const struct conf_pool *cp = NULL;
	int k = sn ? shared_of(c, (int)(sn - c->subnets)) : -1;

	if (l && l->pool != NO_POOL) {
		const struct rt_pool *rp = &t->w->rt->pools[l->pool];

		cp = &c->subnets[rp->subnet].pools[rp->index];
	}
	memset(src, 0, sizeof(*src));
	src->host = t->host;
	src->pool = cp ? &cp->options : NULL;
	src->subnet = sn ? &sn->options : NULL;
	src->shared = k >= 0 ? &x->shared[k].options : NULL;
	src->global = &c->options;
	src->x = x;
	src->classes = t->cls;
	/* Kea's require-client-classes: shared network, subnet, pool lists,
	 * evaluated once the address (so the pool) is known. */
	if (x && sn) {
		struct cls_set req = sn->require;
		int failed;

		if (k >= 0)
			for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
				req.w[i] |= x->shared[k].require.w[i];
		if (cp)
			for (unsigned i = 0; i < CLS_MAX_CLASSES / 64; i++)
				req.w[i] |= cp->require.w[i];
		if (!cls_set_empty(&req)) {
			failed = cls_require(x->reg, t->req, t->rx, t->cls, &req);
			if (failed > 0)
				t->w->st.c[STAT4_CLASS_EVAL_FAILED] += (unsigned)failed;
		}
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void add_u32(struct dhcp4_build *b, uint8_t code, uint32_t v)
{
	uint8_t d[4];

	put_be32(d, v);
	dhcp4_build_opt(b, code, d, 4);
}

/* RFC 2131 §4.1 delivery. */
static void deliver(struct txn *t, uint8_t type, uint32_t yiaddr, struct dhcp4_tx *tx)
{
	static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const struct dhcp4_hdr *h = t->h;

	tx->src_ip = t->server_addr;
	tx->src_port = DHCP4_SERVER_PORT;
	tx->dst_port = DHCP4_CLIENT_PORT;
	if (t->giaddr) {
		tx->dst_ip = t->giaddr;
		tx->dst_port = DHCP4_SERVER_PORT;
		memcpy(tx->dst_mac, t->rx->src_mac, 6);
	} else if (type == DHCP4_NAK) {
		goto bcast;
	} else if (t->ciaddr) {
		tx->dst_ip = t->ciaddr;
		memcpy(tx->dst_mac, t->rx->src_mac, 6);
	} else if (ntohs(h->flags) & DHCP4_FLAG_BROADCAST) {
		goto bcast;
	} else if (yiaddr && h->htype == 1 && h->hlen == 6) {
		tx->dst_ip = yiaddr;
		memcpy(tx->dst_mac, h->chaddr, 6);
	} else {
		goto bcast;
	}
	return;
bcast:
	tx->dst_ip = 0xffffffffu;
	memcpy(tx->dst_mac, bcast_mac, 6);
}

/* Build and address a reply.  l == NULL for NAK and INFORM's ACK. */
int dhcp4_reply(struct txn *t, uint8_t type, const struct lease4 *l, uint8_t *out, size_t cap,
		 struct dhcp4_tx *tx)
{
	const struct conf *c = t->c;
	const struct conf_subnet *sn = t->s >= 0 ? &c->subnets[t->s] : NULL;
	struct dhcp4_build b;
	struct dhcp4_hdr *rh;
	struct dhcp4_optsel_src src;
	struct dhcp4_optsel sel;
	const uint8_t *v, *rai = NULL, *cid;
	uint16_t len, rai_len = 0, cid_len = 0;
	uint32_t maxmsg = RFC_MIN_MSG, yiaddr = 0;
	size_t reserve, n;

	if (l) {
		int s = lease_subnet(t->w, l);

		yiaddr = l->addr;
		if (s >= 0)
			sn = &c->subnets[s];
	}
	v = dhcp4_opt(t->req, DHCP4_OPT_MAX_MSG_SIZE, &len);
	if (v && len == 2 && ((uint32_t)v[0] << 8 | v[1]) > maxmsg)
		maxmsg = (uint32_t)v[0] << 8 | v[1];
	if (cap > maxmsg - IP_UDP_HLEN)
		cap = maxmsg - IP_UDP_HLEN;
	if (cap < DHCP4_BOOTP_MIN)
		return drop(t, STAT4_MAX);

	dhcp4_build_init(&b, out, cap, t->h, type);
	rh = dhcp4_build_hdr(&b);
	rh->yiaddr = htonl(yiaddr);
	if (type == DHCP4_NAK) {
		/* RFC 2131 §4.3.2: through a relay, ask it to broadcast. */
		if (t->giaddr)
			rh->flags |= htons(DHCP4_FLAG_BROADCAST);
	} else {
		if (type == DHCP4_ACK)
			rh->ciaddr = t->h->ciaddr;
		if (sn) {
			reply_src(t, sn, l, &src);
			dhcp4_optsel_boot(&src, sn, rh);
		}
	}
	add_u32(&b, DHCP4_OPT_SERVER_ID, t->server_addr);
	if (l && sn) {
		uint32_t valid = l->valid_lft;
		uint32_t t1 = sn->renew_timer ? sn->renew_timer : valid / 2;
		uint32_t t2 = sn->rebind_timer ? sn->rebind_timer : (uint32_t)((uint64_t)valid * 7 / 8);

		add_u32(&b, DHCP4_OPT_LEASE_TIME, valid);
		if (valid == UINT32_MAX || t2 < valid) {
			if (t1 < t2)
				add_u32(&b, DHCP4_OPT_T1, t1);
			add_u32(&b, DHCP4_OPT_T2, t2);
		}
	}
	/* RFC 6842: echo the client identifier. */
	cid = dhcp4_opt(t->req, DHCP4_OPT_CLIENT_ID, &cid_len);
	if (cid)
		dhcp4_build_opt(&b, DHCP4_OPT_CLIENT_ID, cid, cid_len);
	if (t->giaddr)
		rai = dhcp4_opt(t->req, DHCP4_OPT_RAI, &rai_len);
	reserve = 1 + (rai ? opt_space(rai_len) : 0);
	if (type != DHCP4_NAK && sn) {
		const struct conf_option *mask;

		dhcp4_optsel_init(&sel, c->policy ? c->policy->precedence : CONF_PREC_KEA, &src);
		mask = dhcp4_optsel_find(&sel, DHCP4_OPT_SUBNET_MASK);
		if (!mask)
			add_u32(&b, DHCP4_OPT_SUBNET_MASK, sn->mask);
		else if (b.len + opt_space(mask->len) + reserve <= b.cap)
			dhcp4_build_opt(&b, mask->code, mask->data, mask->len);
		dhcp4_optsel_add(&sel, &b, t->req, reserve);
	}
	/* RFC 3046 §2.2: the relay agent option goes back unchanged, last. */
	if (rai)
		dhcp4_build_opt(&b, DHCP4_OPT_RAI, rai, rai_len);
	n = dhcp4_build_finish(&b);
	if (!n)
		return drop(t, STAT4_MAX);

	deliver(t, type, yiaddr, tx);
	tx->msg_type = type;
	t->w->st.c[STAT4_PKT4_SENT]++;
	if (type == DHCP4_OFFER)
		t->w->st.c[STAT4_PKT4_OFFER_SENT]++;
	else if (type == DHCP4_ACK)
		t->w->st.c[STAT4_PKT4_ACK_SENT]++;
	else if (type == DHCP4_NAK)
		t->w->st.c[STAT4_PKT4_NAK_SENT]++;
	return (int)n;
}

void dhcp4_reply_unsent(struct dhcp4_worker *w, uint8_t msg_type)
{
	w->st.c[STAT4_PKT4_SENT]--;
	if (msg_type == DHCP4_OFFER)
		w->st.c[STAT4_PKT4_OFFER_SENT]--;
	else if (msg_type == DHCP4_ACK)
		w->st.c[STAT4_PKT4_ACK_SENT]--;
	else if (msg_type == DHCP4_NAK)
		w->st.c[STAT4_PKT4_NAK_SENT]--;
}
