/* DHCPv4 client simulator: see gen.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include "gen.h"

#define ETH_HLEN   14
#define IP_OFF     14
#define UDP_OFF    34
#define DHCP_OFF   42
#define OPT_OFF    (DHCP_OFF + 240)
#define DHCP_LEN   300                  /* BOOTP minimum, padded */
#define FRAME_LEN  (DHCP_OFF + DHCP_LEN)
#define PEND_MAX   1024
#define NONE       UINT32_MAX

enum { W_NONE, W_OFFER, W_ACK, W_RENEW };

struct gen_client {
	uint64_t t_start;               /* TSC at the transaction's first send */
	uint64_t t_send;                /* TSC of the last request sent */
	uint32_t prev, next;            /* in the waiting list, oldest send first */
	uint32_t addr;                  /* bound (pos != NONE) or offered */
	uint32_t xid;                   /* of the last request sent */
	uint32_t pos;                   /* index in bound[], NONE if unbound */
	uint8_t wait;                   /* W_* */
	uint8_t tries;
	uint8_t kind;                   /* enum gen_kind of the transaction */
	uint8_t pad;
};

struct gen {
	struct gen_params p;
	struct gen_client *cl;
	uint32_t *bound;                /* dense list of bound clients */
	uint32_t nbound;
	uint32_t *owner;                /* pool offset -> client + 1 */
	uint32_t pool_n;
	uint32_t wait_head, wait_tail;  /* clients waiting for an answer, by send time */
	struct rte_mbuf *pend[PEND_MAX];   /* follow-ups and ARP replies */
	unsigned npend;
	uint8_t server_mac[6];
	bool server_mac_known;
	uint32_t server_id;             /* option 54 of the last OFFER */
	uint64_t hz, timeout_c, drain_c;
	uint64_t rng, xid_ctr;
	uint32_t next, warm_next, rr;
	uint32_t outstanding;
	bool measuring;
	uint64_t t0, t_end, t_stop, t_last_done, t_last_prog, last_tsc;
	double credit;
	uint64_t started_total;
	struct gen_counters c, c_prog;
	struct gen_hist hist, hist_prog;
};

static const char *scen_names[] = { "dora", "renew", "release", "mix", "churn" };

const char *gen_scenario_name(enum gen_scenario s)
{
	return (unsigned)s < RTE_DIM(scen_names) ? scen_names[s] : "?";
}

int gen_scenario_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < RTE_DIM(scen_names); i++)
		if (!strcmp(s, scen_names[i]))
			return (int)i;
	return -EINVAL;
}

static inline uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

/* ---- latency histogram: 16 linear steps per power of two (6%) ---- */

static inline unsigned hist_idx(uint64_t v)
{
	unsigned msb;

	if (v < 16)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return (msb - 3) * 16 + (unsigned)((v >> (msb - 4)) & 15);
}

static double hist_val(unsigned idx)
{
	unsigned msb, sub;

	if (idx < 16)
		return idx;
	msb = idx / 16 + 3;
	sub = idx % 16;
	return ldexp(16.0 + sub + 0.5, (int)msb - 4);
}

static inline void hist_add(struct gen_hist *h, uint64_t v)
{
	h->b[hist_idx(v)]++;
	h->n++;
}

double gen_hist_pct(const struct gen_hist *h, double pct, uint64_t hz)
{
	uint64_t want, acc = 0;
	unsigned i;

	if (!h->n)
		return 0;
	want = (uint64_t)ceil((double)h->n * pct / 100.0);
	if (want < 1)
		want = 1;
	for (i = 0; i < RTE_DIM(h->b); i++) {
		acc += h->b[i];
		if (acc >= want)
			return hist_val(i) * 1e6 / (double)hz;
	}
	return 0;
}

/* ---- construction ---- */

struct gen *gen_create(const struct gen_params *p)
{
	struct gen *g;

	if (!p->pool || !p->n_clients || p->n_clients > (1u << 30) ||
	    p->pool_first > p->pool_last || p->pool_last - p->pool_first >= (1u << 24) ||
	    p->timeout_s <= 0 || p->duration_s <= 0 || (unsigned)p->scenario > GEN_CHURN ||
	    p->warmup > p->n_clients || !p->outstanding) {
		errno = EINVAL;
		return NULL;
	}
	g = rte_zmalloc("gen", sizeof(*g), RTE_CACHE_LINE_SIZE);
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	g->p = *p;
	g->hz = rte_get_tsc_hz();
	g->timeout_c = (uint64_t)(p->timeout_s * (double)g->hz);
	g->drain_c = g->timeout_c * (p->retries + 1) + g->hz / 10;
	g->rng = p->seed ? p->seed : 0x9e3779b97f4a7c15ull;
	g->pool_n = p->pool_last - p->pool_first + 1;
	g->wait_head = g->wait_tail = NONE;
	/* Plain calloc for the big tables: with --no-huge DPDK memory is
	 * limited to -m, and these are not touched by a device. */
	g->cl = calloc(p->n_clients, sizeof(*g->cl));
	g->bound = calloc(p->n_clients, sizeof(*g->bound));
	g->owner = calloc(g->pool_n, sizeof(*g->owner));
	if (!g->cl || !g->bound || !g->owner) {
		gen_free(g);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < p->n_clients; i++)
		g->cl[i].pos = g->cl[i].prev = g->cl[i].next = NONE;
	g->measuring = p->warmup == 0;
	return g;
}

void gen_free(struct gen *g)
{
	if (!g)
		return;
	while (g->npend)
		rte_pktmbuf_free(g->pend[--g->npend]);
	free(g->cl);
	free(g->bound);
	free(g->owner);
	rte_free(g);
}

void gen_set_server_mac(struct gen *g, const uint8_t mac[6])
{
	memcpy(g->server_mac, mac, 6);
	g->server_mac_known = true;
}

bool gen_server_mac_known(const struct gen *g)
{
	return g->server_mac_known;
}

uint32_t gen_outstanding(const struct gen *g)
{
	return g->outstanding;
}

bool gen_measuring(const struct gen *g)
{
	return g->measuring;
}

/* ---- frames ---- */

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
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

static inline void client_mac(const struct gen *g, uint32_t ci, uint8_t *mac)
{
	mac[0] = 0x02;
	mac[1] = g->p.tag;
	put32(mac + 2, ci);
}

/* Build a request of `type` for client ci into frame f; returns its length.
 * UDP checksum 0 (none, legal over IPv4): the servers under test do not
 * need one and computing it would make the generator the bottleneck. */
static unsigned build(struct gen *g, uint8_t *f, uint32_t ci, uint8_t type, uint32_t xid)
{
	const struct gen_client *c = &g->cl[ci];
	bool relay = g->p.relay_ip != 0;
	bool unicast = type == 3 && c->wait == W_RENEW;   /* RENEWING */
	uint8_t mac[6], *d = f + DHCP_OFF, *o = f + OPT_OFF;
	uint32_t src = 0, dst = 0xffffffffu;

	if (type == 7)                  /* RELEASE: unicast from the bound address */
		unicast = true;
	client_mac(g, ci, mac);
	memset(f, 0, FRAME_LEN);
	if (relay) {
		memcpy(f, g->server_mac, 6);
		memcpy(f + 6, g->p.mac, 6);
		src = g->p.relay_ip;
		dst = g->p.server_ip;
	} else if (unicast) {
		memcpy(f, g->server_mac, 6);
		memcpy(f + 6, mac, 6);
		src = c->addr;
		dst = g->p.server_ip;
	} else {
		memset(f, 0xff, 6);
		memcpy(f + 6, mac, 6);
	}
	f[12] = 0x08;
	f[IP_OFF] = 0x45;
	put16(f + IP_OFF + 2, 20 + 8 + DHCP_LEN);
	f[IP_OFF + 8] = 64;
	f[IP_OFF + 9] = 17;
	put32(f + IP_OFF + 12, src);
	put32(f + IP_OFF + 16, dst);
	put16(f + IP_OFF + 10, ip_csum(f + IP_OFF));
	put16(f + UDP_OFF, relay ? 67 : 68);
	put16(f + UDP_OFF + 2, 67);
	put16(f + UDP_OFF + 4, 8 + DHCP_LEN);

	d[0] = 1; d[1] = 1; d[2] = 6;
	d[3] = relay ? 1 : 0;
	put32(d + 4, xid);
	if (!unicast && !relay)
		d[10] = 0x80;                            /* broadcast flag */
	if (unicast)
		put32(d + 12, c->addr);                  /* ciaddr */
	if (relay)
		put32(d + 24, g->p.relay_ip);            /* giaddr */
	memcpy(d + 28, mac, 6);
	put32(d + 236, 0x63825363u);
	*o++ = 53; *o++ = 1; *o++ = type;
	if (g->p.client_id) {
		*o++ = 61; *o++ = 7; *o++ = 1;
		memcpy(o, mac, 6);
		o += 6;
	}
	if (type == 3 && c->wait == W_ACK) {             /* SELECTING */
		*o++ = 54; *o++ = 4; put32(o, g->server_id ? g->server_id : g->p.server_ip); o += 4;
		*o++ = 50; *o++ = 4; put32(o, c->addr); o += 4;
	}
	if (type == 7) {
		*o++ = 54; *o++ = 4; put32(o, g->server_id ? g->server_id : g->p.server_ip); o += 4;
	} else {
		*o++ = 55; *o++ = 3; *o++ = 1; *o++ = 3; *o++ = 51;
	}
	*o = 255;
	return FRAME_LEN;
}

static inline void frame_to_mbuf(struct gen *g, struct rte_mbuf *m, unsigned len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->port = g->p.port_id;
	m->ol_flags = 0;
	m->nb_segs = 1;
	m->next = NULL;
}

/* The waiting list: every client with a request in flight, in the order
 * of their last send, so the oldest is the first to time out.  Exactly the
 * outstanding transactions are in it (no lazy entries to bound). */
static void wait_unlink(struct gen *g, uint32_t ci)
{
	struct gen_client *c = &g->cl[ci];

	/* Not on the list (the timeout path unlinks, then finish() does):
	 * unlinking twice would reset head and tail and drop every other
	 * waiting client, which then never times out. */
	if (c->prev == NONE && c->next == NONE && g->wait_head != ci)
		return;
	if (c->prev != NONE)
		g->cl[c->prev].next = c->next;
	else
		g->wait_head = c->next;
	if (c->next != NONE)
		g->cl[c->next].prev = c->prev;
	else
		g->wait_tail = c->prev;
	c->prev = c->next = NONE;
}

static void wait_append(struct gen *g, uint32_t ci, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];

	c->t_send = now;
	c->next = NONE;
	c->prev = g->wait_tail;
	if (g->wait_tail != NONE)
		g->cl[g->wait_tail].next = ci;
	else
		g->wait_head = ci;
	g->wait_tail = ci;
}

/* Send the request the client's state calls for, into m (allocated when
 * NULL).  Returns the mbuf, or NULL (none free: the request counts as sent
 * and lost, so its timeout retransmits it). */
static struct rte_mbuf *emit(struct gen *g, uint32_t ci, struct rte_mbuf *m, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];
	uint8_t type = c->wait == W_OFFER ? 1 : 3;

	c->xid = (uint32_t)(++g->xid_ctr * 0x9e3779b1u) | 1;
	if (c->prev != NONE || g->wait_head == ci)
		wait_unlink(g, ci);
	wait_append(g, ci, now);
	g->c.requests_tx++;
	if (!m)
		m = rte_pktmbuf_alloc(g->p.pool);
	if (!m) {
		g->c.tx_full++;
		return NULL;
	}
	m->data_off = RTE_PKTMBUF_HEADROOM;
	frame_to_mbuf(g, m, build(g, rte_pktmbuf_mtod(m, uint8_t *), ci, type, c->xid));
	return m;
}

/* ---- bindings and the uniqueness check ---- */

static void unbind(struct gen *g, uint32_t ci)
{
	struct gen_client *c = &g->cl[ci];
	uint32_t last, off;

	if (c->pos == NONE)
		return;
	off = c->addr - g->p.pool_first;
	if (off < g->pool_n && g->owner[off] == ci + 1)
		g->owner[off] = 0;
	last = g->bound[--g->nbound];
	g->bound[c->pos] = last;
	g->cl[last].pos = c->pos;
	c->pos = NONE;
}

static void grant(struct gen *g, uint32_t ci, uint32_t addr)
{
	struct gen_client *c = &g->cl[ci];
	uint32_t off = addr - g->p.pool_first;

	if (c->pos != NONE && c->addr != addr)
		unbind(g, ci);
	c->addr = addr;
	if (c->pos == NONE) {
		c->pos = g->nbound;
		g->bound[g->nbound++] = ci;
	}
	if (off >= g->pool_n) {
		g->c.out_of_pool++;
		return;
	}
	if (g->owner[off] && g->owner[off] != ci + 1)
		g->c.duplicates++;
	g->owner[off] = ci + 1;
}

static void finish(struct gen *g, uint32_t ci, uint64_t now, bool ok)
{
	struct gen_client *c = &g->cl[ci];

	c->wait = W_NONE;
	wait_unlink(g, ci);
	g->outstanding--;
	if (ok) {
		g->c.done[c->kind]++;
		hist_add(&g->hist, now - c->t_start);
		hist_add(&g->hist_prog, now - c->t_start);
		g->t_last_done = now;
	}
}

/* ---- receive ---- */

static bool is_ours(const struct gen *g, uint32_t ip)
{
	return (g->p.relay_ip && ip == g->p.relay_ip) ||
	       (ip - g->p.pool_first < g->pool_n);
}

static void rx_arp(struct gen *g, struct rte_mbuf *m, uint8_t *f)
{
	uint16_t op;
	uint32_t spa, tpa;

	if (m->data_len < 42 || f[14] != 0 || f[15] != 1 || f[16] != 8 || f[17] != 0)
		goto drop;
	op = (uint16_t)(f[20] << 8 | f[21]);
	spa = get32(f + 28);
	tpa = get32(f + 38);
	if (op == 2 && spa == g->p.server_ip) {
		gen_set_server_mac(g, f + 22);
	} else if (op == 1 && is_ours(g, tpa) && g->npend < PEND_MAX) {
		/* a server (Kea's kernel) resolving our relay or client address */
		memcpy(f, f + 22, 6);
		memcpy(f + 6, g->p.mac, 6);
		f[21] = 2;
		memcpy(f + 32, f + 22, 10);             /* THA, TPA = asker */
		memcpy(f + 22, g->p.mac, 6);
		put32(f + 28, tpa);
		g->c.arp_replies++;
		m->port = g->p.port_id;
		g->pend[g->npend++] = m;
		return;
	}
drop:
	rte_pktmbuf_free(m);
}

static void rx_one(struct gen *g, struct rte_mbuf *m, uint64_t now)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), *d, *o, *end;
	unsigned len = m->data_len, ihl;
	uint32_t ci, sid = 0, yi;
	uint8_t type = 0;
	struct gen_client *c;

	g->c.pkts_rx++;
	if (len < ETH_HLEN + 20 || m->nb_segs != 1)
		goto bad;
	if (f[12] == 0x08 && f[13] == 0x06) {
		rx_arp(g, m, f);
		return;
	}
	if (f[12] != 0x08 || f[13] != 0x00 || (f[IP_OFF] >> 4) != 4 || f[IP_OFF + 9] != 17)
		goto unknown;
	ihl = (f[IP_OFF] & 15u) * 4;
	if (len < ETH_HLEN + ihl + 8 + 240)
		goto bad;
	o = f + ETH_HLEN + ihl;                          /* UDP */
	if (get32(o) != (uint32_t)(67u << 16 | (g->p.relay_ip ? 67u : 68u)))
		goto unknown;
	d = o + 8;
	if (d[0] != 2 || get32(d + 236) != 0x63825363u || d[28] != 0x02 || d[29] != g->p.tag)
		goto unknown;
	ci = get32(d + 30);
	if (ci >= g->p.n_clients)
		goto unknown;
	c = &g->cl[ci];
	if (c->wait == W_NONE || get32(d + 4) != c->xid) {
		g->c.late++;
		goto drop;
	}
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
			sid = get32(o + 2);
		o += 2 + o[1];
	}
	yi = get32(d + 16);
	if (type == 2 && c->wait == W_OFFER) {           /* OFFER -> REQUEST */
		if (!g->server_mac_known)
			gen_set_server_mac(g, f + 6);
		if (sid)
			g->server_id = sid;
		c->addr = yi;
		c->wait = W_ACK;
		c->tries = 0;
		if (g->npend < PEND_MAX) {
			m = emit(g, ci, m, now);
			if (m)
				g->pend[g->npend++] = m;
		} else {
			/* no room to send it now: counted as sent and lost,
			 * so its timeout retransmits it */
			m = emit(g, ci, m, now);
			g->c.tx_full++;
			rte_pktmbuf_free(m);
		}
		return;
	}
	if (type == 5 && (c->wait == W_ACK || c->wait == W_RENEW)) {
		grant(g, ci, yi);
		finish(g, ci, now, true);
		goto drop;
	}
	if (type == 6) {
		g->c.naks++;
		unbind(g, ci);
		finish(g, ci, now, false);
		goto drop;
	}
bad:
	g->c.bad_replies++;
	goto drop;
unknown:
	g->c.unknown++;
drop:
	rte_pktmbuf_free(m);
}

void gen_rx(struct gen *g, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rx_one(g, pkts[i], now);
	}
}

/* ---- transmit ---- */

/* Next client in turn that is idle (and, for churn, unbound). */
static uint32_t pick_next(struct gen *g, bool unbound)
{
	unsigned t;

	for (t = 0; t < 16; t++) {
		uint32_t ci = g->next++;

		if (g->next >= g->p.n_clients)
			g->next = 0;
		if (g->cl[ci].wait == W_NONE && (!unbound || g->cl[ci].pos == NONE))
			return ci;
	}
	return NONE;
}

static uint32_t pick_bound(struct gen *g, bool in_turn)
{
	unsigned t;

	for (t = 0; t < 8 && g->nbound; t++) {
		uint32_t ci = in_turn ? g->bound[g->rr++ % g->nbound]
				      : g->bound[rnd(g) % g->nbound];

		if (g->cl[ci].wait == W_NONE)
			return ci;
	}
	return NONE;
}

static struct rte_mbuf *start(struct gen *g, uint32_t ci, enum gen_kind k, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];

	c->kind = (uint8_t)k;
	c->tries = 0;
	c->t_start = now;
	c->wait = k == GEN_K_DORA ? W_OFFER : W_RENEW;
	g->c.started[k]++;
	g->outstanding++;
	return emit(g, ci, NULL, now);
}

/* RELEASE has no answer: the client lets go of its address as it sends. */
static struct rte_mbuf *release(struct gen *g, uint32_t ci)
{
	struct gen_client *c = &g->cl[ci];
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->p.pool);

	g->c.started[GEN_K_RELEASE]++;
	g->c.done[GEN_K_RELEASE]++;
	if (!m) {
		g->c.tx_full++;
	} else {
		c->xid = (uint32_t)(++g->xid_ctr * 0x9e3779b1u) | 1;
		frame_to_mbuf(g, m, build(g, rte_pktmbuf_mtod(m, uint8_t *), ci, 7, c->xid));
	}
	unbind(g, ci);
	return m;
}

/* Start one transaction (warm-up or the scenario's); writes up to two
 * frames to out and returns how many, or -1 when nothing could start. */
static int start_one(struct gen *g, struct rte_mbuf **out, uint64_t now)
{
	uint32_t ci, cb;
	unsigned n = 0, r;

	if (!g->measuring) {
		if (g->warm_next >= g->p.warmup)
			return -1;
		ci = g->warm_next++;
		out[0] = start(g, ci, GEN_K_DORA, now);
		return out[0] ? 1 : 0;
	}
	switch (g->p.scenario) {
	case GEN_DORA:
		ci = pick_next(g, false);
		if (ci == NONE)
			return -1;
		out[n] = start(g, ci, GEN_K_DORA, now);
		break;
	case GEN_RENEW:
	case GEN_RELEASE:
		cb = pick_bound(g, g->p.scenario == GEN_RENEW);
		if (cb == NONE) {
			ci = pick_next(g, true);
			if (ci == NONE)
				return -1;
			out[n] = start(g, ci, GEN_K_DORA, now);
		} else {
			out[n] = g->p.scenario == GEN_RENEW ? start(g, cb, GEN_K_RENEW, now)
							    : release(g, cb);
		}
		break;
	case GEN_MIX:
		r = (unsigned)(rnd(g) % 3);
		cb = r ? pick_bound(g, false) : NONE;
		if (cb == NONE) {
			ci = pick_next(g, false);
			if (ci == NONE)
				return -1;
			out[n] = start(g, ci, GEN_K_DORA, now);
		} else {
			out[n] = r == 1 ? start(g, cb, GEN_K_RENEW, now) : release(g, cb);
		}
		break;
	case GEN_CHURN:
		ci = pick_next(g, true);
		if (ci == NONE)
			return -1;
		cb = pick_bound(g, false);
		if (cb != NONE) {
			out[n] = release(g, cb);
			n += out[n] != NULL;
		}
		out[n] = start(g, ci, GEN_K_DORA, now);
		break;
	}
	n += out[n] != NULL;
	g->started_total++;
	return (int)n;
}

static void begin_measuring(struct gen *g, uint64_t now)
{
	memset(&g->c, 0, sizeof(g->c));
	memset(&g->c_prog, 0, sizeof(g->c_prog));
	memset(&g->hist, 0, sizeof(g->hist));
	memset(&g->hist_prog, 0, sizeof(g->hist_prog));
	g->measuring = true;
	g->t0 = now;
	g->t_last_done = 0;
	g->t_last_prog = now;
	g->last_tsc = now;
	g->credit = 0;
}

unsigned gen_tx(struct gen *g, struct rte_mbuf **out, unsigned max, uint64_t now)
{
	unsigned n = 0;

	if (!g->t0) {
		g->t0 = now;
		g->t_last_prog = now;
		g->last_tsc = now;
	}
	if (!g->measuring && g->warm_next >= g->p.warmup && g->outstanding == 0)
		begin_measuring(g, now);
	if (g->measuring && !g->t_end)
		g->t_end = g->t0 + (uint64_t)(g->p.duration_s * (double)g->hz);

	while (g->npend && n < max)
		out[n++] = g->pend[--g->npend];

	/* timeouts, oldest first */
	while (g->wait_head != NONE && n < max) {
		uint32_t ci = g->wait_head;
		struct gen_client *c = &g->cl[ci];
		struct rte_mbuf *m;

		if (now - c->t_send < g->timeout_c)
			break;
		wait_unlink(g, ci);
		g->c.drops++;
		if (c->tries >= g->p.retries) {
			g->c.timeouts++;
			finish(g, ci, now, false);
			continue;
		}
		c->tries++;
		g->c.retransmits++;
		m = emit(g, ci, NULL, now);
		if (m)
			out[n++] = m;
	}

	/* new transactions */
	if (g->measuring) {
		if (now >= g->t_end || g->started_total >= g->p.count) {
			if (!g->t_stop)
				g->t_stop = now;
			goto out;
		}
		if (g->p.rate > 0) {
			double cap = RTE_MAX(32.0, g->p.rate / 100);

			g->credit += (double)(now - g->last_tsc) * g->p.rate / (double)g->hz;
			if (g->credit > cap)
				g->credit = cap;
		} else {
			g->credit = max;
		}
		g->last_tsc = now;
	} else {
		g->credit = max;
	}
	while (g->credit >= 1 && n + 2 <= max &&
	       g->outstanding < g->p.outstanding &&
	       (!g->measuring || g->started_total < g->p.count)) {
		int k = start_one(g, out + n, now);

		if (k < 0)
			break;
		n += (unsigned)k;
		g->credit -= 1;
	}
out:
	g->c.pkts_tx += n;
	return n;
}

void gen_tx_failed(struct gen *g, struct rte_mbuf **pkts, unsigned n)
{
	g->c.tx_full += n;
	g->c.pkts_tx -= n;
	rte_pktmbuf_free_bulk(pkts, n);
}

struct rte_mbuf *gen_arp_probe(struct gen *g)
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
	put32(f + 28, spa);
	put32(f + 38, g->p.server_ip);
	frame_to_mbuf(g, m, 60);
	return m;
}

bool gen_done(const struct gen *g, uint64_t now)
{
	if (!g->t_stop)
		return false;
	return (g->outstanding == 0 && g->npend == 0) || now > g->t_stop + g->drain_c;
}

/* ---- reports ---- */

void gen_progress(struct gen *g, uint64_t now, FILE *f)
{
	double dt = (double)(now - g->t_last_prog) / (double)g->hz;
	uint64_t done = 0, started = 0, pdone = 0, pstarted = 0;
	unsigned k;

	if (dt <= 0)
		return;
	for (k = 0; k < GEN_K_MAX; k++) {
		done += g->c.done[k];
		started += g->c.started[k];
		pdone += g->c_prog.done[k];
		pstarted += g->c_prog.started[k];
	}
	fprintf(f, "%s t=%5.1fs start/s %9.0f done/s %9.0f outstanding %6u drops %6lu "
		   "naks %lu dup %lu p50 %.0fus p99 %.0fus\n",
		g->measuring ? "[run]" : "[warm-up]", (double)(now - g->t0) / (double)g->hz,
		(double)(started - pstarted) / dt, (double)(done - pdone) / dt, g->outstanding,
		g->c.drops - g->c_prog.drops, g->c.naks, g->c.duplicates,
		gen_hist_pct(&g->hist_prog, 50, g->hz), gen_hist_pct(&g->hist_prog, 99, g->hz));
	fflush(f);
	g->c_prog = g->c;
	memset(&g->hist_prog, 0, sizeof(g->hist_prog));
	g->t_last_prog = now;
}

void gen_report(const struct gen *g, uint64_t now, struct gen_report *r)
{
	uint64_t end = g->t_last_done ? g->t_last_done : now;
	unsigned k;
	uint64_t done = 0;

	memset(r, 0, sizeof(*r));
	r->c = g->c;
	r->elapsed_s = g->measuring && end > g->t0 ? (double)(end - g->t0) / (double)g->hz : 0;
	for (k = 0; k < GEN_K_MAX; k++)
		done += g->c.done[k];
	if (r->elapsed_s > 0) {
		r->leases_per_s = (double)(g->c.done[GEN_K_DORA] + g->c.done[GEN_K_RENEW]) /
				  r->elapsed_s;
		r->tx_per_s = (double)done / r->elapsed_s;
	}
	r->drop_pct = g->c.requests_tx ? 100.0 * (double)g->c.drops / (double)g->c.requests_tx : 0;
	r->p50_us = gen_hist_pct(&g->hist, 50, g->hz);
	r->p90_us = gen_hist_pct(&g->hist, 90, g->hz);
	r->p99_us = gen_hist_pct(&g->hist, 99, g->hz);
	r->p999_us = gen_hist_pct(&g->hist, 99.9, g->hz);
	r->max_us = gen_hist_pct(&g->hist, 100, g->hz);
	r->bound = g->nbound;
}

void gen_report_text(const struct gen_report *r, const struct gen_params *p, FILE *f)
{
	const struct gen_counters *c = &r->c;

	fprintf(f, "scenario %s, %u clients, %s, %s\n", gen_scenario_name(p->scenario),
		p->n_clients, p->relay_ip ? "relayed" : "direct",
		p->rate > 0 ? "open loop" : "closed loop");
	fprintf(f, "  elapsed          %.3f s\n", r->elapsed_s);
	fprintf(f, "  leases/s         %.0f  (DORA + renew ACKs)\n", r->leases_per_s);
	fprintf(f, "  transactions/s   %.0f\n", r->tx_per_s);
	fprintf(f, "  DORA             %lu started, %lu done\n", c->started[GEN_K_DORA],
		c->done[GEN_K_DORA]);
	fprintf(f, "  renew            %lu started, %lu done\n", c->started[GEN_K_RENEW],
		c->done[GEN_K_RENEW]);
	fprintf(f, "  release          %lu sent\n", c->done[GEN_K_RELEASE]);
	fprintf(f, "  latency us       p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
		r->p50_us, r->p90_us, r->p99_us, r->p999_us, r->max_us);
	fprintf(f, "  requests sent    %lu (%lu retransmits), frames tx %lu rx %lu\n",
		c->requests_tx, c->retransmits, c->pkts_tx, c->pkts_rx);
	fprintf(f, "  drops            %lu (%.3f%%), timeouts %lu, tx-full %lu\n", c->drops,
		r->drop_pct, c->timeouts, c->tx_full);
	fprintf(f, "  NAKs %lu  duplicates %lu  out-of-pool %lu  late %lu  bad %lu  unknown %lu\n",
		c->naks, c->duplicates, c->out_of_pool, c->late, c->bad_replies, c->unknown);
	fprintf(f, "  bound at end     %u\n", r->bound);
}

void gen_report_json(const struct gen_report *r, const struct gen_params *p, FILE *f)
{
	const struct gen_counters *c = &r->c;

	fprintf(f, "{\"scenario\": \"%s\", \"clients\": %u, \"relayed\": %s, \"rate\": %.0f, "
		   "\"outstanding\": %u,\n", gen_scenario_name(p->scenario), p->n_clients,
		p->relay_ip ? "true" : "false", p->rate, p->outstanding);
	fprintf(f, " \"elapsed_s\": %.6f, \"leases_per_s\": %.1f, \"transactions_per_s\": %.1f,\n",
		r->elapsed_s, r->leases_per_s, r->tx_per_s);
	fprintf(f, " \"dora_started\": %lu, \"dora_done\": %lu, \"renew_started\": %lu, "
		   "\"renew_done\": %lu, \"releases\": %lu,\n", c->started[GEN_K_DORA],
		c->done[GEN_K_DORA], c->started[GEN_K_RENEW], c->done[GEN_K_RENEW],
		c->done[GEN_K_RELEASE]);
	fprintf(f, " \"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, "
		   "\"p999\": %.1f, \"max\": %.1f},\n", r->p50_us, r->p90_us, r->p99_us,
		r->p999_us, r->max_us);
	fprintf(f, " \"requests_sent\": %lu, \"retransmits\": %lu, \"frames_tx\": %lu, "
		   "\"frames_rx\": %lu,\n", c->requests_tx, c->retransmits, c->pkts_tx, c->pkts_rx);
	fprintf(f, " \"drops\": %lu, \"drop_pct\": %.4f, \"timeouts\": %lu, \"tx_full\": %lu,\n",
		c->drops, r->drop_pct, c->timeouts, c->tx_full);
	fprintf(f, " \"naks\": %lu, \"duplicates\": %lu, \"out_of_pool\": %lu, \"late\": %lu, "
		   "\"bad_replies\": %lu, \"unknown\": %lu, \"bound\": %u}\n", c->naks,
		c->duplicates, c->out_of_pool, c->late, c->bad_replies, c->unknown, r->bound);
}
