/* The protocol-independent half of the client simulator: see gen_core.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include "gen_core.h"

#define OWNER_DENSE_MAX (1ull << 24)

static const char *scen_names[] = { "dora", "renew", "release", "mix", "churn" };

const char *gen_scenario_name(enum gen_scenario s)
{
	return (unsigned)s < RTE_DIM(scen_names) ? scen_names[s] : "?";
}

int gen_scenario_parse(const char *s)
{
	unsigned i;

	if (!strcmp(s, "sarr"))
		return GEN_DORA;
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

/* ---- owner table ---- */

int gen_owner_init(struct gen_owner *o, uint64_t max_off, uint32_t holders)
{
	uint64_t cap = 16;

	memset(o, 0, sizeof(*o));
	o->max_off = max_off;
	if (max_off < OWNER_DENSE_MAX) {
		o->dense = calloc(max_off + 1, sizeof(*o->dense));
		return o->dense ? 0 : -ENOMEM;
	}
	while (cap < 2ull * holders)
		cap <<= 1;
	o->slot = calloc(cap, sizeof(*o->slot));
	o->mask = cap - 1;
	return o->slot ? 0 : -ENOMEM;
}

void gen_owner_fini(struct gen_owner *o)
{
	free(o->dense);
	free(o->slot);
	memset(o, 0, sizeof(*o));
}

static inline uint64_t owner_home(const struct gen_owner *o, uint64_t off)
{
	return (off * 0x9e3779b97f4a7c15ull) >> 20 & o->mask;
}

/* The slot holding off, or the empty slot where it would go. */
static struct gen_owner_slot *owner_find(struct gen_owner *o, uint64_t off)
{
	uint64_t i = owner_home(o, off);

	while (o->slot[i].who && o->slot[i].off != off)
		i = (i + 1) & o->mask;
	return &o->slot[i];
}

bool gen_owner_claim(struct gen_owner *o, uint64_t off, uint32_t ci)
{
	struct gen_owner_slot *s;
	bool dup;

	if (o->dense) {
		dup = o->dense[off] && o->dense[off] != ci + 1;
		o->dense[off] = ci + 1;
		return dup;
	}
	s = owner_find(o, off);
	dup = s->who && s->who != ci + 1;
	s->off = off;
	s->who = ci + 1;
	return dup;
}

/* Linear probing without tombstones: after a removal the entries behind
 * the hole that may not stay beyond it move into it. */
void gen_owner_drop(struct gen_owner *o, uint64_t off, uint32_t ci)
{
	uint64_t i, j, home;

	if (o->dense) {
		if (o->dense[off] == ci + 1)
			o->dense[off] = 0;
		return;
	}
	i = (uint64_t)(owner_find(o, off) - o->slot);
	if (o->slot[i].who != ci + 1)
		return;
	o->slot[i].who = 0;
	for (j = (i + 1) & o->mask; o->slot[j].who; j = (j + 1) & o->mask) {
		home = owner_home(o, o->slot[j].off);
		/* j's entry may move to i unless its home lies in (i, j] */
		if (((j - home) & o->mask) >= ((j - i) & o->mask)) {
			o->slot[i] = o->slot[j];
			o->slot[j].who = 0;
			i = j;
		}
	}
}

/* ---- construction ---- */

struct gen *gen_core_create(const struct gen_params *p, const struct gen_proto *proto)
{
	struct gen *g;

	if (!p->pool || !p->n_clients || p->n_clients > (1u << 30) ||
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
	g->proto = proto;
	g->hz = rte_get_tsc_hz();
	g->timeout_c = (uint64_t)(p->timeout_s * (double)g->hz);
	g->drain_c = g->timeout_c * (p->retries + 1) + g->hz / 10;
	g->rng = p->seed ? p->seed : 0x9e3779b97f4a7c15ull;
	g->wait_head = g->wait_tail = GEN_NONE;
	/* Plain calloc for the big tables: with --no-huge DPDK memory is
	 * limited to -m, and these are not touched by a device. */
	g->cl = calloc(p->n_clients, sizeof(*g->cl));
	g->bound = calloc(p->n_clients, sizeof(*g->bound));
	if (!g->cl || !g->bound) {
		gen_free(g);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < p->n_clients; i++)
		g->cl[i].pos = g->cl[i].prev = g->cl[i].next = GEN_NONE;
	g->measuring = p->warmup == 0;
	return g;
}

void gen_free(struct gen *g)
{
	if (!g)
		return;
	while (g->npend)
		rte_pktmbuf_free(g->pend[--g->npend]);
	if (g->proto->fini)
		g->proto->fini(g);
	free(g->cl);
	free(g->bound);
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

int gen_server_mac_need(const struct gen *g)
{
	return g->server_mac_need;
}

struct rte_mbuf *gen_probe(struct gen *g)
{
	return g->proto->probe(g);
}

uint32_t gen_outstanding(const struct gen *g)
{
	return g->outstanding;
}

bool gen_measuring(const struct gen *g)
{
	return g->measuring;
}

void gen_core_frame(struct gen *g, struct rte_mbuf *m, unsigned len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->port = g->p.port_id;
	m->ol_flags = 0;
	m->nb_segs = 1;
	m->next = NULL;
}

bool gen_core_queue(struct gen *g, struct rte_mbuf *m)
{
	if (g->npend >= GEN_PEND_MAX)
		return false;
	m->port = g->p.port_id;
	g->pend[g->npend++] = m;
	return true;
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
	if (c->prev == GEN_NONE && c->next == GEN_NONE && g->wait_head != ci)
		return;
	if (c->prev != GEN_NONE)
		g->cl[c->prev].next = c->next;
	else
		g->wait_head = c->next;
	if (c->next != GEN_NONE)
		g->cl[c->next].prev = c->prev;
	else
		g->wait_tail = c->prev;
	c->prev = c->next = GEN_NONE;
}

static void wait_append(struct gen *g, uint32_t ci, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];

	c->t_send = now;
	c->next = GEN_NONE;
	c->prev = g->wait_tail;
	if (g->wait_tail != GEN_NONE)
		g->cl[g->wait_tail].next = ci;
	else
		g->wait_head = ci;
	g->wait_tail = ci;
}

static inline uint32_t new_xid(struct gen *g)
{
	return ((uint32_t)(++g->xid_ctr * 0x9e3779b1u) | 1) & g->proto->xid_mask;
}

/* Send the request the client's state calls for, into m (allocated when
 * NULL).  Returns the mbuf, or NULL (none free: the request counts as sent
 * and lost, so its timeout retransmits it). */
static struct rte_mbuf *emit(struct gen *g, uint32_t ci, struct rte_mbuf *m, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];

	c->xid = new_xid(g);
	if (c->prev != GEN_NONE || g->wait_head == ci)
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
	gen_core_frame(g, m, g->proto->build(g, rte_pktmbuf_mtod(m, uint8_t *), ci, false));
	return m;
}

void gen_core_followup(struct gen *g, uint32_t ci, struct rte_mbuf *m, uint64_t now)
{
	g->cl[ci].tries = 0;
	m = emit(g, ci, m, now);
	if (m && !gen_core_queue(g, m)) {
		/* no room to send it now: counted as sent and lost, so its
		 * timeout retransmits it */
		g->c.tx_full++;
		rte_pktmbuf_free(m);
	}
}

/* ---- bindings ---- */

void gen_core_unbind(struct gen *g, uint32_t ci)
{
	struct gen_client *c = &g->cl[ci];
	uint32_t last;

	if (c->pos == GEN_NONE)
		return;
	g->proto->unbind(g, ci);
	last = g->bound[--g->nbound];
	g->bound[c->pos] = last;
	g->cl[last].pos = c->pos;
	c->pos = GEN_NONE;
}

void gen_core_bind(struct gen *g, uint32_t ci)
{
	struct gen_client *c = &g->cl[ci];

	if (c->pos == GEN_NONE) {
		c->pos = g->nbound;
		g->bound[g->nbound++] = ci;
	}
}

void gen_core_finish(struct gen *g, uint32_t ci, uint64_t now, bool ok)
{
	struct gen_client *c = &g->cl[ci];

	c->wait = 0;
	wait_unlink(g, ci);
	g->outstanding--;
	if (ok) {
		g->c.done[c->kind]++;
		hist_add(&g->hist, now - c->t_start);
		hist_add(&g->hist_prog, now - c->t_start);
		g->t_last_done = now;
	}
}

void gen_core_refused(struct gen *g, uint32_t ci, uint64_t now)
{
	g->c.naks++;
	gen_core_unbind(g, ci);
	gen_core_finish(g, ci, now, false);
}

/* ---- receive ---- */

void gen_rx(struct gen *g, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		g->c.pkts_rx++;
		switch (g->proto->rx(g, pkts[i], now)) {
		case GEN_RX_KEPT:
			continue;
		case GEN_RX_DONE:
			break;
		case GEN_RX_LATE:
			g->c.late++;
			break;
		case GEN_RX_BAD:
			g->c.bad_replies++;
			break;
		case GEN_RX_UNKNOWN:
			g->c.unknown++;
			break;
		}
		rte_pktmbuf_free(pkts[i]);
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
		if (g->cl[ci].wait == 0 && (!unbound || g->cl[ci].pos == GEN_NONE))
			return ci;
	}
	return GEN_NONE;
}

static uint32_t pick_bound(struct gen *g, bool in_turn)
{
	unsigned t;

	for (t = 0; t < 8 && g->nbound; t++) {
		uint32_t ci = in_turn ? g->bound[g->rr++ % g->nbound]
				      : g->bound[rnd(g) % g->nbound];

		if (g->cl[ci].wait == 0)
			return ci;
	}
	return GEN_NONE;
}

static struct rte_mbuf *start(struct gen *g, uint32_t ci, enum gen_kind k, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];

	c->kind = (uint8_t)k;
	c->tries = 0;
	c->t_start = now;
	c->wait = g->proto->first_wait[k];
	g->c.started[k]++;
	g->outstanding++;
	return emit(g, ci, NULL, now);
}

/* A RELEASE: the client lets go of its addresses as it sends.  Where
 * the protocol answers it (DHCPv6) it is a transaction like the others;
 * else (DHCPv4) it is sent once and done. */
static struct rte_mbuf *release(struct gen *g, uint32_t ci, uint64_t now)
{
	struct gen_client *c = &g->cl[ci];
	struct rte_mbuf *m;

	if (g->proto->first_wait[GEN_K_RELEASE]) {
		m = start(g, ci, GEN_K_RELEASE, now);
		gen_core_unbind(g, ci);
		return m;
	}
	m = rte_pktmbuf_alloc(g->p.pool);
	g->c.started[GEN_K_RELEASE]++;
	g->c.done[GEN_K_RELEASE]++;
	if (!m) {
		g->c.tx_full++;
	} else {
		c->xid = new_xid(g);
		gen_core_frame(g, m, g->proto->build(g, rte_pktmbuf_mtod(m, uint8_t *), ci, true));
	}
	gen_core_unbind(g, ci);
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
		if (ci == GEN_NONE)
			return -1;
		out[n] = start(g, ci, GEN_K_DORA, now);
		break;
	case GEN_RENEW:
	case GEN_RELEASE:
		cb = pick_bound(g, g->p.scenario == GEN_RENEW);
		if (cb == GEN_NONE) {
			ci = pick_next(g, true);
			if (ci == GEN_NONE)
				return -1;
			out[n] = start(g, ci, GEN_K_DORA, now);
		} else {
			out[n] = g->p.scenario == GEN_RENEW ? start(g, cb, GEN_K_RENEW, now)
							    : release(g, cb, now);
		}
		break;
	case GEN_MIX:
		r = (unsigned)(rnd(g) % 3);
		cb = r ? pick_bound(g, false) : GEN_NONE;
		if (cb == GEN_NONE) {
			ci = pick_next(g, false);
			if (ci == GEN_NONE)
				return -1;
			out[n] = start(g, ci, GEN_K_DORA, now);
		} else {
			out[n] = r == 1 ? start(g, cb, GEN_K_RENEW, now) : release(g, cb, now);
		}
		break;
	case GEN_CHURN:
		ci = pick_next(g, true);
		if (ci == GEN_NONE)
			return -1;
		cb = pick_bound(g, false);
		if (cb != GEN_NONE) {
			out[n] = release(g, cb, now);
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
	while (g->wait_head != GEN_NONE && n < max) {
		uint32_t ci = g->wait_head;
		struct gen_client *c = &g->cl[ci];
		struct rte_mbuf *m;

		if (now - c->t_send < g->timeout_c)
			break;
		wait_unlink(g, ci);
		g->c.drops++;
		if (c->tries >= g->p.retries) {
			g->c.timeouts++;
			gen_core_finish(g, ci, now, false);
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
		   "%s %lu dup %lu p50 %.0fus p99 %.0fus\n",
		g->measuring ? "[run]" : "[warm-up]", (double)(now - g->t0) / (double)g->hz,
		(double)(started - pstarted) / dt, (double)(done - pdone) / dt, g->outstanding,
		g->c.drops - g->c_prog.drops, g->proto->v6 ? "refused" : "naks", g->c.naks,
		g->c.duplicates, gen_hist_pct(&g->hist_prog, 50, g->hz),
		gen_hist_pct(&g->hist_prog, 99, g->hz));
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
	r->v6 = g->proto->v6;
	r->relayed = g->relayed;
	r->kind_text = g->proto->kind_text;
	r->kind_json = g->proto->kind_json;
}

static const char *scenario_of(const struct gen_report *r, const struct gen_params *p)
{
	return p->scenario == GEN_DORA ? r->kind_json[GEN_K_DORA] : gen_scenario_name(p->scenario);
}

void gen_report_text(const struct gen_report *r, const struct gen_params *p, FILE *f)
{
	const struct gen_counters *c = &r->c;
	const char *const *kt = r->kind_text;

	fprintf(f, "scenario %s, %u clients, %s, %s\n", scenario_of(r, p),
		p->n_clients, r->relayed ? "relayed" : "direct",
		p->rate > 0 ? "open loop" : "closed loop");
	fprintf(f, "  elapsed          %.3f s\n", r->elapsed_s);
	fprintf(f, "  leases/s         %.0f  (%s + %s %s)\n", r->leases_per_s, kt[GEN_K_DORA],
		kt[GEN_K_RENEW], r->v6 ? "REPLYs" : "ACKs");
	fprintf(f, "  transactions/s   %.0f\n", r->tx_per_s);
	for (unsigned k = 0; k < GEN_K_RELEASE; k++)
		fprintf(f, "  %-16s %lu started, %lu done\n", kt[k], c->started[k], c->done[k]);
	if (r->v6)
		fprintf(f, "  release          %lu started, %lu done\n",
			c->started[GEN_K_RELEASE], c->done[GEN_K_RELEASE]);
	else
		fprintf(f, "  release          %lu sent\n", c->done[GEN_K_RELEASE]);
	fprintf(f, "  latency us       p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
		r->p50_us, r->p90_us, r->p99_us, r->p999_us, r->max_us);
	fprintf(f, "  requests sent    %lu (%lu retransmits), frames tx %lu rx %lu\n",
		c->requests_tx, c->retransmits, c->pkts_tx, c->pkts_rx);
	fprintf(f, "  drops            %lu (%.3f%%), timeouts %lu, tx-full %lu\n", c->drops,
		r->drop_pct, c->timeouts, c->tx_full);
	fprintf(f, "  %s %lu  duplicates %lu  out-of-pool %lu  late %lu  bad %lu  unknown %lu\n",
		r->v6 ? "refused" : "NAKs", c->naks, c->duplicates, c->out_of_pool, c->late,
		c->bad_replies, c->unknown);
	if (r->v6) {
		fprintf(f, "  granted          %lu addresses, %lu prefixes (%lu of a wrong length)\n",
			c->granted_na, c->granted_pd, c->bad_plen);
		fprintf(f, "  status codes     Success %lu  UnspecFail %lu  NoAddrsAvail %lu  "
			   "NoBinding %lu  NotOnLink %lu  UseMulticast %lu  NoPrefixAvail %lu  "
			   "other %lu\n", c->status[0], c->status[1], c->status[2], c->status[3],
			c->status[4], c->status[5], c->status[6], c->status[7]);
	}
	fprintf(f, "  bound at end     %u\n", r->bound);
}

void gen_report_json(const struct gen_report *r, const struct gen_params *p, FILE *f)
{
	const struct gen_counters *c = &r->c;
	const char *const *kj = r->kind_json;

	fprintf(f, "{\"scenario\": \"%s\", \"clients\": %u, \"relayed\": %s, \"rate\": %.0f, "
		   "\"outstanding\": %u,\n", scenario_of(r, p), p->n_clients,
		r->relayed ? "true" : "false", p->rate, p->outstanding);
	if (r->v6)
		fprintf(f, " \"protocol\": \"dhcpv6\", \"granted_na\": %lu, \"granted_pd\": %lu, "
			   "\"bad_prefix_len\": %lu, \"status\": [%lu, %lu, %lu, %lu, %lu, %lu, "
			   "%lu, %lu],\n", c->granted_na, c->granted_pd, c->bad_plen, c->status[0],
			c->status[1], c->status[2], c->status[3], c->status[4], c->status[5],
			c->status[6], c->status[7]);
	fprintf(f, " \"elapsed_s\": %.6f, \"leases_per_s\": %.1f, \"transactions_per_s\": %.1f,\n",
		r->elapsed_s, r->leases_per_s, r->tx_per_s);
	fprintf(f, " \"%s_started\": %lu, \"%s_done\": %lu, \"%s_started\": %lu, "
		   "\"%s_done\": %lu, \"releases\": %lu,\n", kj[GEN_K_DORA], c->started[GEN_K_DORA],
		kj[GEN_K_DORA], c->done[GEN_K_DORA], kj[GEN_K_RENEW], c->started[GEN_K_RENEW],
		kj[GEN_K_RENEW], c->done[GEN_K_RENEW], c->done[GEN_K_RELEASE]);
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
