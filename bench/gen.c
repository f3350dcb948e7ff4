/* DHCPv4 client simulator: see gen.h.  The frames only; the clients'
 * transactions are gen_core.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rte_mbuf.h>
#include "gen_core.h"

#define ETH_HLEN   14
#define IP_OFF     14
#define UDP_OFF    34
#define DHCP_OFF   42
#define OPT_OFF    (DHCP_OFF + 240)
#define DHCP_LEN   300                  /* BOOTP minimum, padded */
#define FRAME_LEN  (DHCP_OFF + DHCP_LEN)

/* What a client waits for (struct gen_client.wait; 0 = idle).  The
 * client's word is its offered or bound address. */
enum { W_OFFER = 1, W_ACK, W_RENEW };

struct gen4 {
	struct gen_owner owner;         /* pool offset -> client */
	uint32_t pool_n;
	uint32_t server_id;             /* option 54 of the last OFFER */
};

static inline struct gen4 *g4(const struct gen *g)
{
	return g->ps;
}

static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t s = 0;
	unsigned i;

	for (i = 0; i < 20; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Build a request for client ci into frame f; returns its length.  The
 * type follows the client's state (RELEASE when release is set).
 * UDP checksum 0 (none, legal over IPv4): the servers under test do not
 * need one and computing it would make the generator the bottleneck. */
static unsigned build(struct gen *g, uint8_t *f, uint32_t ci, bool release)
{
	const struct gen_client *c = &g->cl[ci];
	uint32_t sid = g4(g)->server_id ? g4(g)->server_id : g->p.server_ip;
	uint8_t type = release ? 7 : c->wait == W_OFFER ? 1 : 3;
	bool relay = g->p.relay_ip != 0;
	bool unicast = type == 3 && c->wait == W_RENEW;   /* RENEWING */
	uint8_t mac[6], *d = f + DHCP_OFF, *o = f + OPT_OFF;
	uint32_t src = 0, dst = 0xffffffffu;

	if (type == 7)                  /* RELEASE: unicast from the bound address */
		unicast = true;
	gen_client_mac(g, ci, mac);
	memset(f, 0, FRAME_LEN);
	if (relay) {
		memcpy(f, g->server_mac, 6);
		memcpy(f + 6, g->p.mac, 6);
		src = g->p.relay_ip;
		dst = g->p.server_ip;
	} else if (unicast) {
		memcpy(f, g->server_mac, 6);
		memcpy(f + 6, mac, 6);
		src = c->word;
		dst = g->p.server_ip;
	} else {
		memset(f, 0xff, 6);
		memcpy(f + 6, mac, 6);
	}
	f[12] = 0x08;
	f[IP_OFF] = 0x45;
	gen_put16(f + IP_OFF + 2, 20 + 8 + DHCP_LEN);
	f[IP_OFF + 8] = 64;
	f[IP_OFF + 9] = 17;
	gen_put32(f + IP_OFF + 12, src);
	gen_put32(f + IP_OFF + 16, dst);
	gen_put16(f + IP_OFF + 10, ip_csum(f + IP_OFF));
	gen_put16(f + UDP_OFF, relay ? 67 : 68);
	gen_put16(f + UDP_OFF + 2, 67);
	gen_put16(f + UDP_OFF + 4, 8 + DHCP_LEN);

	d[0] = 1; d[1] = 1; d[2] = 6;
	d[3] = relay ? 1 : 0;
	gen_put32(d + 4, c->xid);
	if (!unicast && !relay)
		d[10] = 0x80;                            /* broadcast flag */
	if (unicast)
		gen_put32(d + 12, c->word);              /* ciaddr */
	if (relay)
		gen_put32(d + 24, g->p.relay_ip);        /* giaddr */
	memcpy(d + 28, mac, 6);
	gen_put32(d + 236, 0x63825363u);
	*o++ = 53; *o++ = 1; *o++ = type;
	if (g->p.client_id) {
		*o++ = 61; *o++ = 7; *o++ = 1;
		memcpy(o, mac, 6);
		o += 6;
	}
	if (type == 3 && c->wait == W_ACK) {             /* SELECTING */
		*o++ = 54; *o++ = 4; gen_put32(o, sid); o += 4;
		*o++ = 50; *o++ = 4; gen_put32(o, c->word); o += 4;
	}
	if (type == 7) {
		*o++ = 54; *o++ = 4; gen_put32(o, sid); o += 4;
	} else {
		*o++ = 55; *o++ = 3; *o++ = 1; *o++ = 3; *o++ = 51;
	}
	*o = 255;
	return FRAME_LEN;
}

/* ---- bindings and the uniqueness check ---- */

static void unbind(struct gen *g, uint32_t ci)
{
	uint32_t off = g->cl[ci].word - g->p.pool_first;

	if (off < g4(g)->pool_n)
		gen_owner_drop(&g4(g)->owner, off, ci);
}

static void grant(struct gen *g, uint32_t ci, uint32_t addr)
{
	struct gen_client *c = &g->cl[ci];
	uint32_t off = addr - g->p.pool_first;

	if (c->pos != GEN_NONE && c->word != addr)
		gen_core_unbind(g, ci);
	c->word = addr;
	gen_core_bind(g, ci);
	if (off >= g4(g)->pool_n) {
		g->c.out_of_pool++;
		return;
	}
	if (gen_owner_claim(&g4(g)->owner, off, ci))
		g->c.duplicates++;
}

/* ---- receive ---- */

static bool is_ours(const struct gen *g, uint32_t ip)
{
	return (g->p.relay_ip && ip == g->p.relay_ip) ||
	       (ip - g->p.pool_first < g4(g)->pool_n);
}

static enum gen_rx_verdict rx_arp(struct gen *g, struct rte_mbuf *m, uint8_t *f)
{
	uint16_t op;
	uint32_t spa, tpa;

	if (m->data_len < 42 || f[14] != 0 || f[15] != 1 || f[16] != 8 || f[17] != 0)
		return GEN_RX_DONE;
	op = (uint16_t)(f[20] << 8 | f[21]);
	spa = gen_get32(f + 28);
	tpa = gen_get32(f + 38);
	if (op == 2 && spa == g->p.server_ip) {
		gen_set_server_mac(g, f + 22);
	} else if (op == 1 && is_ours(g, tpa) && g->npend < GEN_PEND_MAX) {
		/* a server (Kea's kernel) resolving our relay or client address */
		memcpy(f, f + 22, 6);
		memcpy(f + 6, g->p.mac, 6);
		f[21] = 2;
		memcpy(f + 32, f + 22, 10);             /* THA, TPA = asker */
		memcpy(f + 22, g->p.mac, 6);
		gen_put32(f + 28, tpa);
		g->c.arp_replies++;
		gen_core_queue(g, m);
		return GEN_RX_KEPT;
	}
	return GEN_RX_DONE;
}

static enum gen_rx_verdict rx_one(struct gen *g, struct rte_mbuf *m, uint64_t now)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), *d, *o, *end;
	unsigned len = m->data_len, ihl;
	uint32_t ci, sid = 0, yi;
	uint8_t type = 0;
	struct gen_client *c;

	if (len < ETH_HLEN + 20 || m->nb_segs != 1)
		return GEN_RX_BAD;
	if (f[12] == 0x08 && f[13] == 0x06)
		return rx_arp(g, m, f);
	if (f[12] != 0x08 || f[13] != 0x00 || (f[IP_OFF] >> 4) != 4 || f[IP_OFF + 9] != 17)
		return GEN_RX_UNKNOWN;
	ihl = (f[IP_OFF] & 15u) * 4;
	if (len < ETH_HLEN + ihl + 8 + 240)
		return GEN_RX_BAD;
	o = f + ETH_HLEN + ihl;                          /* UDP */
	if (gen_get32(o) != (uint32_t)(67u << 16 | (g->p.relay_ip ? 67u : 68u)))
		return GEN_RX_UNKNOWN;
	d = o + 8;
	if (d[0] != 2 || gen_get32(d + 236) != 0x63825363u || d[28] != 0x02 || d[29] != g->p.tag)
		return GEN_RX_UNKNOWN;
	ci = gen_get32(d + 30);
	if (ci >= g->p.n_clients)
		return GEN_RX_UNKNOWN;
	c = &g->cl[ci];
	if (c->wait == 0 || gen_get32(d + 4) != c->xid)
		return GEN_RX_LATE;
	/* the options: only 53 and 54 matter here */
	end = f + len;
	for (o = d + 240; o < end && *o != 255;) {
		if (*o == 0) {
			o++;
			continue;
		}
		if (o + 2 > end || o + 2 + o[1] > end)
			break;
		if (o[0] == 53 && o[1] == 1)
			type = o[2];
		else if (o[0] == 54 && o[1] == 4)
			sid = gen_get32(o + 2);
		o += 2 + o[1];
	}
	yi = gen_get32(d + 16);
	if (type == 2 && c->wait == W_OFFER) {           /* OFFER -> REQUEST */
		if (!g->server_mac_known)
			gen_set_server_mac(g, f + 6);
		if (sid)
			g4(g)->server_id = sid;
		/* a bound client offered another address lets go of its own
		 * (else its owner entry would outlive the binding) */
		if (c->pos != GEN_NONE && c->word != yi)
			gen_core_unbind(g, ci);
		c->word = yi;
		c->wait = W_ACK;
		gen_core_followup(g, ci, m, now);
		return GEN_RX_KEPT;
	}
	if (type == 5 && (c->wait == W_ACK || c->wait == W_RENEW)) {
		grant(g, ci, yi);
		gen_core_finish(g, ci, now, true);
		return GEN_RX_DONE;
	}
	if (type == 6) {
		gen_core_refused(g, ci, now);
		return GEN_RX_DONE;
	}
	return GEN_RX_BAD;
}

static struct rte_mbuf *arp_probe(struct gen *g)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->p.pool);
	uint8_t *f;
	uint32_t spa = g->p.relay_ip ? g->p.relay_ip : g->p.pool_first;

	if (!m)
		return NULL;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, g->p.mac, 6);
	f[12] = 0x08; f[13] = 0x06;
	f[15] = 1; f[16] = 0x08; f[18] = 6; f[19] = 4; f[21] = 1;
	memcpy(f + 22, g->p.mac, 6);
	gen_put32(f + 28, spa);
	gen_put32(f + 38, g->p.server_ip);
	gen_core_frame(g, m, 60);
	return m;
}

static void fini(struct gen *g)
{
	if (!g->ps)
		return;
	gen_owner_fini(&g4(g)->owner);
	free(g->ps);
	g->ps = NULL;
}

static const struct gen_proto proto4 = {
	.kind_text = { "DORA", "renew", "release" },
	.kind_json = { "dora", "renew", "release" },
	.first_wait = { W_OFFER, W_RENEW, 0 },
	.xid_mask = UINT32_MAX,
	.build = build,
	.rx = rx_one,
	.unbind = unbind,
	.probe = arp_probe,
	.fini = fini,
};

struct gen *gen_create(const struct gen_params *p)
{
	struct gen *g;
	struct gen4 *s;

	if (p->pool_first > p->pool_last || p->pool_last - p->pool_first >= (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	g = gen_core_create(p, &proto4);
	if (!g)
		return NULL;
	g->relayed = p->relay_ip != 0;
	g->server_mac_need = g->relayed ? 2 : 1;
	s = calloc(1, sizeof(*s));
	g->ps = s;
	if (!s || gen_owner_init(&s->owner, p->pool_last - p->pool_first, p->n_clients)) {
		gen_free(g);
		errno = ENOMEM;
		return NULL;
	}
	s->pool_n = p->pool_last - p->pool_first + 1;
	return g;
}
