/* Worker lcores: poll, steer, serve, park, transmit. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <inttypes.h>
#include "dp.h"
#include "ha_hash.h"
#include "ha_state.h"
#include "gate.h"
#include "lease.h"
#include "lease_log.h"
#include "log.h"
#include "net.h"
#include "pending.h"
#include "wb.h"

_Static_assert(sizeof(struct dp_ask) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

/* What a suspended transaction keeps besides its mbuf. */
struct dp_saved {
	struct dhcp4_rx rx;
	uint16_t payload_off, payload_len;
};
_Static_assert(sizeof(struct dp_saved) <= PEND_STATE_MAX, "pending state too small");
/* A suspended DHCPv6 transaction's stage carries this bit; it keeps only
 * its HA class (a uint16_t in the entry's state): the rest is read from
 * its frame again, untouched in its mbuf. */
#define STAGE6 0x80
static void resume6(struct dp_worker *w, struct pend_entry *e, const struct access_answer *ans);

/* Idle back-off: spin a little, then pause, then sleep in short naps so an
 * idle server leaves its cores alone but still wakes within a millisecond. */
#define IDLE_SPIN   256
#define IDLE_PAUSE  4096
#define IDLE_NAP_NS 200000

static void tx_flush(struct dp_worker *w, unsigned pidx)
{
	struct dp_txq *q = &w->txq[pidx];
	uint16_t sent = 0, tries = 0;

	while (sent < q->n && tries++ < 4)
		sent += rte_eth_tx_burst(w->dp->ports[pidx].port_id, (uint16_t)w->id,
					 q->pkts + sent, q->n - sent);
	w->sdp.c[STAT_DP_TX_PACKETS] += sent;
	if (unlikely(sent < q->n)) {
		w->sdp.c[STAT_DP_TX_FULL] += q->n - sent;
		rte_pktmbuf_free_bulk(q->pkts + sent, q->n - sent);
	}
	q->n = 0;
}

static inline void tx_enqueue(struct dp_worker *w, unsigned pidx, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->txq[pidx];

	q->pkts[q->n++] = m;
	if (q->n == DP_BURST)
		tx_flush(w, pidx);
}

/* A parked reply that will not leave was counted as sent by the protocol
 * layer: take it back (Kea counts what left). */
static void reply_unsent(struct dp_worker *w, const struct gate_item *it)
{
	if (it->family == 4)
		dhcp4_reply_unsent(w->dw, it->msg_type);
	else if (it->family == 6 && w->dw6)
		dhcp6_reply_unsent(w->dw6, it->msg_type);
}

/* Hold a reply until the log consumers in w->need have its lease change
 * (seq), at most DP_GATE_TIMEOUT_MS; then it is dropped and the client
 * retransmits (its lease is already in the table). */
static inline void park(struct dp_worker *w, unsigned pidx, struct rte_mbuf *m, uint64_t seq,
			uint8_t family, uint8_t msg_type)
{
	struct gate_item it = {
		.pkt = m, .seq = seq, .deadline = rte_rdtsc() + w->gate_cycles,
		.port = (uint16_t)pidx, .on_timeout = GATE_DROP, .req = w->cur_req,
		.family = family, .msg_type = msg_type,
	};

	w->cur_req = NULL;
	if (unlikely(gate_park(w->gate, w->need_f[family == 6], &it) != 0)) {
		w->sdp.c[STAT_DP_PARK_FULL]++;
		reply_unsent(w, &it);
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(it.req);
		return;
	}
	w->sdp.c[STAT_DP_PARKED]++;
}

static void gate_emit(void *ctx, const struct gate_item *it, enum gate_outcome o)
{
	struct dp_worker *w = ctx;
	struct rte_mbuf *m = it->pkt;

	if (likely(o == GATE_SEND)) {
		tx_enqueue(w, it->port, m);
		if (unlikely(it->req != NULL))
			rte_pktmbuf_free(it->req);
		return;
	}
	reply_unsent(w, it);
	if (o == GATE_REFUSED && it->refused == GATE_WHY_HA) {
		/* the partner refused the lease update or never got it:
		 * dropped, not served again (the client asks again, and its
		 * next update may pass) */
		w->sdp.c[STAT_DP_HA_UPDATE_DROP]++;
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(it->req);
		return;
	}
	if (o == GATE_REFUSED) {
		/* the store refused its lease: another server's client holds
		 * the address.  Not sent; the request is served again after
		 * this poll (the other's lease learnt: a NAK, or another
		 * address), or without its copy the client asks again. */
		w->sdp.c[STAT_DP_REFUSED_DROP]++;
		rte_pktmbuf_free(m);
		if (it->req && w->n_rerun < DP_RERUN_MAX)
			w->rerun[w->n_rerun++] = it->req;
		else
			rte_pktmbuf_free(it->req);
		return;
	}
	rte_pktmbuf_free(it->req);
	/* No transaction parks with GATE_NAK yet: every timeout drops. */
	w->sdp.c[STAT_DP_GATE_TIMEOUTS]++;
	rte_pktmbuf_free(m);
}

/* The store's refusals of this worker's changes (another server's client
 * holds the address): the reply waiting for the change will not leave,
 * and the lease gives way to the other's.  The same queue brings the
 * claims other servers sharing the store published (seq 0: no change of
 * ours), for the addresses this worker answers for: learnt, so that this
 * server does not offer what another one's client holds. */
static unsigned refusals_drain(struct dp_worker *w)
{
	struct lease_refusal r[8];
	unsigned n, i, all = 0;

	while ((n = wb_refusals_take(w->dp->wb, w->id, r, 8)) > 0) {
		for (i = 0; i < n; i++) {
			if (r[i].seq == 0) {
				if (!r[i].has_holder)
					continue;
				if (r[i].family == LEASE_FAMILY_V4)
					(void)dhcp4_lease_learn(w->dw, &r[i].holder.v4);
				else if (w->dw6)
					(void)dhcp6_lease_learn(w->dw6, &r[i].holder.v6);
				continue;
			}
			w->sdp.c[STAT_DP_REFUSED]++;
			(void)gate_refuse(w->gate, r[i].seq);
			if (r[i].family == LEASE_FAMILY_V4)
				(void)dhcp4_lease_foreign(w->dw, r[i].addr, r[i].seq,
							  r[i].has_holder ? &r[i].holder.v4 : NULL);
			else if (w->dw6)
				(void)dhcp6_lease_foreign(w->dw6, r[i].addr6, r[i].seq,
							  r[i].has_holder ? &r[i].holder.v6 : NULL);
		}
		all += n;
	}
	return all;
}

/* The HA partner refused these changes of this worker, or never got
 * them: their replies must not leave (Kea drops them; the client asks
 * again).  The lease stays: the partner learns it by the next update or
 * the next sync. */
static unsigned ha_refusals_drain(struct dp_worker *w)
{
	struct rte_ring *q = w->dp->ha_refq[w->id];
	void *seqs[32];
	unsigned n, i, all = 0;

	if (!q)
		return 0;
	while ((n = rte_ring_sc_dequeue_burst(q, seqs, RTE_DIM(seqs), NULL)) > 0) {
		for (i = 0; i < n; i++) {
			uint64_t v = (uint64_t)(uintptr_t)seqs[i];

			if (HA_REFQ_IS_RANGE(v))
				(void)gate_refuse_range(w->gate, w->dp->ha_bit, HA_REFQ_LO(v),
							HA_REFQ_HI(v), GATE_WHY_HA);
			else
				(void)gate_refuse_as(w->gate, v, GATE_WHY_HA);
		}
		all += n;
	}
	return all;
}

/* Send the parked replies whose change is safe, drop the overdue ones.
 * With a store that can refuse a change, its refusals are taken after
 * the watermarks (gate_snapshot), so none covered by them is missed. */
static inline unsigned unpark(struct dp_worker *w)
{
	uint64_t safe[GATE_MAX_LANES];

	if (!w->dp->wb && !w->dp->ha_refq[w->id])
		return gate_poll(w->gate, w->log, rte_rdtsc(), gate_emit, w);
	gate_snapshot(w->gate, w->log, safe);
	if (w->dp->wb)
		refusals_drain(w);
	ha_refusals_drain(w);
	return gate_poll_at(w->gate, safe, rte_rdtsc(), gate_emit, w);
}

/* A reply framed in the request's mbuf (flen bytes) leaves now, or waits
 * in the gate until its lease change (seq) is safe. */
static __rte_always_inline void frame_out(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
					  size_t flen, uint64_t wait_seq, uint8_t family,
					  uint8_t msg_type)
{
	m->data_len = (uint16_t)flen;
	m->pkt_len = (uint32_t)flen;
	m->ol_flags = 0;
	if (wait_seq && w->need_f[family == 6])
		park(w, pidx, m, wait_seq, family, msg_type);
	else
		tx_enqueue(w, pidx, m);
}

/* Frame the reply dhcp4 wrote to w->scratch (n bytes) in the request's
 * mbuf and send it, or park it until its lease change is safe. */
static __rte_always_inline void reply_out(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
					  int n, const struct dhcp4_tx *tx)
{
	const struct dp_port *port = &w->dp->ports[pidx];
	uint8_t *f;
	size_t flen;

	m->data_off = RTE_PKTMBUF_HEADROOM;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f + NET_UDP4_HLEN, w->scratch, (size_t)n);
	flen = net_build_udp4(f, port->mac.addr_bytes, tx->dst_mac, tx->src_ip, tx->dst_ip,
			      tx->src_port, tx->dst_port, (size_t)n);
	frame_out(w, m, pidx, flen, tx->wait_seq, 4, tx->msg_type);
}

/* Keep request m under a fresh token and post question a (token and
 * worker set here) on the worker's ask ring.  The entry, its pkt, port
 * and stage filled, for the caller's own state; NULL when the table or
 * the ring is full (counted, m freed): the client retransmits. */
/* What an answer must match besides its token: the client it is about.
 * A token's generation is 16 bits, and a late answer (after its
 * transaction timed out) could meet a slot reused that many times. */
static uint32_t ask_check(const struct dp_ask *a)
{
	return (uint32_t)lease_bytes_hash((uint8_t)(a->family << 4 | a->id_type), a->id, a->id_len);
}

static struct pend_entry *ask_post(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
				   struct dp_ask *a, uint8_t stage)
{
	struct pend_entry *e = pend_add(w->pend, rte_rdtsc() + w->ask_cycles);

	if (likely(e != NULL)) {
		e->check = ask_check(a);
		a->token = e->token;
		a->worker = (uint16_t)w->id;
		if (likely(!rte_ring_sp_enqueue_elem(w->dp->ask_ring[w->id], a, sizeof(*a)))) {
			e->pkt = m;
			e->port = (uint16_t)pidx;
			e->stage = stage;
			w->sdp.c[STAT_DP_ASKED]++;
			return e;
		}
		pend_del(w->pend, e);
	}
	w->sdp.c[STAT_DP_ASK_FULL]++;
	rte_pktmbuf_free(m);
	return NULL;
}

/* The transaction waits for an answer: keep the request and ask the
 * helper thread about its client. */
static void suspend(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
		    const struct dhcp4_rx *rx, const struct net_udp4 *u, uint8_t kind)
{
	const struct dhcp4_hdr *h = w->pkt.hdr;
	const uint8_t *v;
	struct pend_entry *e;
	struct dp_saved *sv;
	struct dp_ask a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.family = 4;
	a.giaddr = ntohl(h->giaddr);
	a.msg_type = w->pkt.msg_type;
	a.hlen = h->hlen > 16 ? 16 : h->hlen;
	memcpy(a.chaddr, h->chaddr, a.hlen);
	v = dhcp4_access_id(w->dw, &a.id_type, &a.id_len);
	memcpy(a.id, v, a.id_len);
	v = dhcp4_access_attrs(w->dw, &a.attrs_len);
	memcpy(a.attrs, v, a.attrs_len);
	e = ask_post(w, m, pidx, &a, kind);
	if (!e)
		return;
	sv = (struct dp_saved *)e->state;
	sv->rx = *rx;
	sv->payload_off = u->payload_off;
	sv->payload_len = u->payload_len;
}

/* Answers back from the helper: each transaction goes on where it
 * stopped, on this worker, with its own request; an answer whose
 * transaction is gone (timed out) is counted and ignored. */
static unsigned answers_drain(struct dp_worker *w)
{
	struct dp_ask a[DP_BURST];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst_elem(w->dp->answer_ring[w->id], a, sizeof(a[0]), DP_BURST,
					   NULL);
	for (i = 0; i < n; i++) {
		struct pend_entry *e = pend_find(w->pend, a[i].token);
		const struct dp_saved *sv;
		struct rte_mbuf *m;
		struct dhcp4_tx tx;
		unsigned pidx;
		int r;

		if (!e || e->check != ask_check(&a[i])) {
			w->sdp.c[STAT_DP_ANSWERS_LATE]++;
			continue;
		}
		if (e->stage & STAGE6) {
			resume6(w, e, &a[i].ans);
			continue;
		}
		m = e->pkt;
		pidx = e->port;
		sv = (const struct dp_saved *)e->state;
		/* the request is as it came in: the mbuf was not touched */
		r = dhcp4_parse(&w->pkt, rte_pktmbuf_mtod(m, uint8_t *) + sv->payload_off,
				sv->payload_len);
		memset(&tx, 0, sizeof(tx));
		if (r == 0)
			r = dhcp4_resume(w->dw, &sv->rx, &w->pkt, e->stage, &a[i].ans,
					 w->scratch, sizeof(w->scratch), &tx);
		else
			r = -1;
		pend_del(w->pend, e);
		if (r > 0)
			reply_out(w, m, pidx, r, &tx);
		else
			rte_pktmbuf_free(m);
	}
	return n;
}

static void pending_free(void *ctx, struct pend_entry *e)
{
	(void)ctx;
	rte_pktmbuf_free(e->pkt);
}

static void ask_expired(void *ctx, struct pend_entry *e)
{
	struct dp_worker *w = ctx;

	w->sdp.c[STAT_DP_ASK_TIMEOUTS]++;
	rte_pktmbuf_free(e->pkt);
}

/* Serve one DHCP request whose owner is this worker; reuses the mbuf for the
 * reply (the request is not needed once dhcp4_process returns). */
static void serve(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
		  const struct net_udp4 *u, uint16_t ha_class)
{
	const struct dp_port *port = &w->dp->ports[pidx];
	struct dhcp4_rx rx = {
		.iface = port->iface, .src_ip = u->src_ip, .dst_ip = u->dst_ip,
		.src_port = u->src_port, .ha_class = ha_class,
	};
	struct dhcp4_tx tx;
	int n;

	memcpy(rx.src_mac, u->src_mac, 6);
	memset(&tx, 0, sizeof(tx));
	n = dhcp4_process(w->dw, &rx, &w->pkt, w->scratch, sizeof(w->scratch), &tx);
	if (n > 0) {
		reply_out(w, m, pidx, n, &tx);
		return;
	}
	if (unlikely(n == DHCP4_SUSPEND)) {
		suspend(w, m, pidx, &rx, u, tx.ask);
		return;
	}
	rte_pktmbuf_free(m);
}

/* Hand a request to the worker that owns its client (its SP/SC ring
 * from this worker); a full ring drops it, counted. */
static __rte_always_inline void steer(struct dp_worker *w, struct rte_mbuf *m, unsigned owner)
{
	if (unlikely(rte_ring_sp_enqueue(w->dp->steer[w->id][owner], m))) {
		w->sdp.c[STAT_DP_STEER_RING_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	w->sdp.c[STAT_DP_STEERED]++;
}

/* HA: Kea's query filter (dp.h).  The scope of the query (from
 * ha_query_scope4/6), or -1 when family f (0 v4, 1 v6) does not serve it
 * (counted). */
static __rte_always_inline int ha_served(struct dp_worker *w, int scope, unsigned f)
{
	if (!ha_scope_served(scope, __atomic_load_n(&w->dp->ha_scopes[f], __ATOMIC_RELAXED))) {
		w->sdp.c[STAT_DP_HA_NOT_IN_SCOPE]++;
		return -1;
	}
	return scope;
}

/* A query this server does not serve while the HA thread watches for
 * the partner answering them (dp->ha_analyze): to the HA thread, or
 * dropped when its ring is full (detection only needs some of them). */
static void ha_seen(struct dp_worker *w, uint8_t fam, uint64_t fp, bool has_t, uint16_t t)
{
	struct dp_ha_seen e = { .fp = fp, .t = t, .fam = fam, .has_t = has_t };

	(void)rte_ring_sp_enqueue_elem(w->dp->ha_seen[w->id], &e, sizeof(e));
}

static __rte_always_inline int ha_filter4(struct dp_worker *w, const struct dhcp4_pkt *p)
{
	const uint8_t *cid;
	uint16_t clen = 0;
	int scope;

	cid = dhcp4_opt(p, DHCP4_OPT_CLIENT_ID, &clen);
	scope = ha_served(w, ha_query_scope4(w->dp->ha_active, p->msg_type, cid, cid ? clen : 0,
					     p->hdr->chaddr, p->hdr->hlen), 0);
	if (unlikely(scope < 0) && unlikely(__atomic_load_n(&w->dp->ha_analyze[0], __ATOMIC_RELAXED)))
		ha_seen(w, 4, ha_comm_fp4(p->hdr->chaddr, p->hdr->hlen, cid, cid ? clen : 0), true,
			rte_be_to_cpu_16(p->hdr->secs));
	return scope;
}

static __rte_always_inline int ha_filter6(struct dp_worker *w, const struct dhcp6_pkt *p)
{
	int scope = ha_served(w, ha_query_scope6(w->dp->ha_active, p->msg_type, p->client_id.data,
						 p->client_id.data ? p->client_id.len : 0), 1);

	if (unlikely(scope < 0) && unlikely(__atomic_load_n(&w->dp->ha_analyze[1], __ATOMIC_RELAXED)))
		ha_seen(w, 6, ha_comm_fp6(p->client_id.data, p->client_id.data ? p->client_id.len : 0),
			p->elapsed.data != NULL,
			p->elapsed.data ? (uint16_t)(p->elapsed.data[0] << 8 | p->elapsed.data[1]) : 0);
	return scope;
}

/* Overload: half a gate lane's worth of replies wait for the store (it
 * is slower than the clients, or away).  A new transaction (DISCOVER,
 * SOLICIT: every later step of it would write a lease) is dropped before
 * it costs anything, so the store's time goes to the transactions already
 * under way (their REQUESTs) instead of to leases whose replies would
 * time out in the gate.  Without shedding, past the store's limit the
 * gate filled and the rate collapsed (BENCHMARKS.md, "Overload"). */
static __rte_always_inline bool overloaded(const struct dp_worker *w)
{
	return (w->need_f[0] | w->need_f[1]) && gate_parked(w->gate) >= DP_SHED_PARKED;
}

/* One frame from RX (steered == false) or from another worker's ring. */
/* DHCPv4 (UDP 67 over IPv4): dhcp-disable, not for us, parse, steer the
 * request to the worker that owns its client (client-id or chaddr), serve. */
static __rte_always_inline void dhcp4_in(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
					  const struct net_udp4 *u, bool steered)
{
	struct dp *dp = w->dp;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t ha_class = 0;
	int ret;

	if (unlikely(w->now < netstate_until(&dp->ns, 0))) {
		/* dhcp-disable: the client retransmits once we serve again */
		w->sdp.c[STAT_DP_DISABLED_DROP]++;
		goto drop;
	}
	if (u->dst_ip != 0xffffffffu && u->dst_ip != dp->ports[pidx].addr) {
		/* a renewal unicast to another server on the same link */
		w->st->c[STAT4_NOT_FOR_US]++;
		goto drop;
	}
	ret = dhcp4_parse(&w->pkt, f + u->payload_off, u->payload_len);
	if (ret) {
		w->st->c[STAT4_PKT4_RECEIVED]++;
		w->st->c[STAT4_PKT4_PARSE_FAILED]++;
		w->st->parse_err[-ret]++;
		goto drop;
	}
	if (!steered && dp->n_workers > 1) {
		struct lease_key k;
		unsigned owner;

		dhcp4_client_key(&w->pkt, dp->conf->match_client_id, &k);
		owner = dhcp4_owner(&k, dp->n_workers);
		if (owner != w->id) {
			steer(w, m, owner);
			return;
		}
	}
	if (unlikely(overloaded(w)) && w->pkt.msg_type == DHCP4_DISCOVER) {
		w->sdp.c[STAT_DP_OVERLOAD]++;
		goto drop;
	}
	if (unlikely(dp->ha_on)) {
		int scope = ha_filter4(w, &w->pkt);

		if (scope < 0)
			goto drop;
		ha_class = dp->ha_class[0][ha_scope_class(scope)];
	}
	/* only a REQUEST or a rapid-commit DISCOVER can be acknowledged */
	if (unlikely(w->keep_req) && (w->pkt.msg_type == DHCP4_REQUEST ||
				      (w->pkt.msg_type == DHCP4_DISCOVER &&
				       dhcp4_has_opt(&w->pkt, DHCP4_OPT_RAPID_COMMIT))))
		w->cur_req = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	serve(w, m, pidx, u, ha_class);
	if (unlikely(w->cur_req != NULL)) {
		/* its reply left (or there was none): no copy needed */
		rte_pktmbuf_free(w->cur_req);
		w->cur_req = NULL;
	}
	return;
drop:
	rte_pktmbuf_free(m);
}

/* ---- DHCPv6 ---------------------------------------------------------- */

static inline bool ip6_is_ours(const struct dp_port *port, const uint8_t ip[16])
{
	for (unsigned i = 0; i < port->n_ip6; i++)
		if (!memcmp(port->ip6[i], ip, 16))
			return true;
	return false;
}

/* Frame the reply dhcp6 wrote to w->scratch in the request's mbuf: from
 * our link-local address to a link-local destination (the client), else
 * from our global one when there is one (a relay), to the L2 source of
 * the request; sent now or parked until its change is safe. */
static void reply6_out(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx, int n,
		       const struct dhcp6_tx *tx, const uint8_t dst_mac[6])
{
	const struct dp_port *port = &w->dp->ports[pidx];
	const uint8_t *src = port->ip6[tx->dst_ip[0] == 0xfe || port->n_ip6 < 2 ? 0 : 1];
	uint8_t mac[6];
	uint8_t *f;
	size_t flen;

	memcpy(mac, dst_mac, 6);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f + NET_UDP6_HLEN, w->scratch, (size_t)n);
	flen = net_build_udp6(f, port->mac.addr_bytes, mac, src, tx->dst_ip, DHCP6_SERVER_PORT,
			      tx->dst_port, (size_t)n, 255);
	frame_out(w, m, pidx, flen, tx->wait_seq, 6, tx->msg_type);
}

/* Where a DHCPv6 request came from, from its frame's headers. */
static void rx6_fill(const struct dp_worker *w, unsigned pidx, const struct net_udp6 *u,
		     uint16_t ha_class, struct dhcp6_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->iface = w->dp->ports[pidx].iface;
	memcpy(rx->src_ip, u->src_ip, 16);
	memcpy(rx->dst_ip, u->dst_ip, 16);
	rx->src_port = u->src_port;
	memcpy(rx->src_mac, u->src_mac, 6);
	rx->multicast = net_ip6_is_all_dhcp(u->dst_ip);
	rx->ha_class = ha_class;
}

/* A DHCPv6 transaction waits for an access verdict: as suspend() for
 * DHCPv4, the question with the client's identifier, its hardware
 * address when known and the packet's attributes. */
static void suspend6(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx, uint16_t ha_class,
		     uint8_t kind)
{
	struct pend_entry *e;
	const uint8_t *v;
	struct dp_ask a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.family = 6;
	a.msg_type = w->pkt6.msg_type;
	v = dhcp6_access_id(w->dw6, &a.id_type, &a.id_len);
	memcpy(a.id, v, a.id_len);
	v = dhcp6_access_hw(w->dw6, &a.hlen);
	memcpy(a.chaddr, v, a.hlen);
	v = dhcp6_access_attrs(w->dw6, &a.attrs_len);
	memcpy(a.attrs, v, a.attrs_len);
	e = ask_post(w, m, pidx, &a, (uint8_t)(STAGE6 | kind));
	if (e)
		memcpy(e->state, &ha_class, sizeof(ha_class));
}

/* The answer to a suspended DHCPv6 transaction: its frame parsed again,
 * the transaction run on with the verdict. */
static void resume6(struct dp_worker *w, struct pend_entry *e, const struct access_answer *ans)
{
	struct rte_mbuf *m = e->pkt;
	unsigned pidx = e->port;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t stage = (uint8_t)(e->stage & ~STAGE6);
	struct net_udp6 u;
	struct dhcp6_rx rx;
	struct dhcp6_tx tx;
	uint16_t ha_class;
	int r = -1;

	memcpy(&ha_class, e->state, sizeof(ha_class));
	pend_del(w->pend, e);
	memset(&tx, 0, sizeof(tx));
	if (w->dw6 && net_parse_udp6_flags(f, m->data_len, &u, NET_PARSE_NO_UDP_CSUM) == 0 &&
	    dhcp6_parse(&w->pkt6, f + u.payload_off, u.payload_len) == 0) {
		rx6_fill(w, pidx, &u, ha_class, &rx);
		r = dhcp6_resume(w->dw6, &rx, &w->pkt6, stage, ans, w->scratch, sizeof(w->scratch),
				 &tx);
	}
	if (r > 0)
		reply6_out(w, m, pidx, r, &tx, rx.src_mac);
	else
		rte_pktmbuf_free(m);
}

/* DHCPv6 (UDP 547 over IPv6): dhcp-disable, not for us, parse, steer on
 * the DUID to the worker that owns the client, serve. */
static void dhcp6_in(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx,
		     const struct net_udp6 *u, bool steered)
{
	struct dp *dp = w->dp;
	const struct dp_port *port = &dp->ports[pidx];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct dhcp6_rx rx;
	struct dhcp6_tx tx;
	bool mcast = net_ip6_is_all_dhcp(u->dst_ip);
	uint16_t ha_class = 0;
	int ret, n;

	if (unlikely(!w->dw6)) {
		w->sdp.c[STAT_DP_NOT_DHCP]++;
		goto drop;
	}
	if (unlikely(w->now < netstate_until(&dp->ns, 1))) {
		w->sdp.c[STAT_DP_DISABLED_DROP]++;
		goto drop;
	}
	if (!mcast && !ip6_is_ours(port, u->dst_ip)) {
		w->st6->c[STAT6_NOT_FOR_US]++;
		goto drop;
	}
	ret = dhcp6_parse(&w->pkt6, f + u->payload_off, u->payload_len);
	if (ret) {
		w->st6->c[STAT6_PKT6_RECEIVED]++;
		w->st6->c[STAT6_PKT6_PARSE_FAILED]++;
		w->st6->parse_err[-ret]++;
		goto drop;
	}
	if (!steered && dp->n_workers > 1) {
		unsigned owner = dhcp6_owner(&w->pkt6, dp->n_workers);

		if (owner != w->id) {
			steer(w, m, owner);
			return;
		}
	}
	if (unlikely(overloaded(w)) && w->pkt6.msg_type == DHCP6_SOLICIT) {
		w->sdp.c[STAT_DP_OVERLOAD]++;
		goto drop;
	}
	if (unlikely(dp->ha_on)) {
		int scope = ha_filter6(w, &w->pkt6);

		if (scope < 0)
			goto drop;
		ha_class = dp->ha_class[1][ha_scope_class(scope)];
	}
	rx6_fill(w, pidx, u, ha_class, &rx);
	memset(&tx, 0, sizeof(tx));
	n = dhcp6_process(w->dw6, &rx, &w->pkt6, w->scratch, sizeof(w->scratch), &tx);
	if (unlikely(n == DHCP6_SUSPEND)) {
		suspend6(w, m, pidx, ha_class, tx.ask);
		return;
	}
	if (n > 0) {
		if (unlikely(w->keep_req) && tx.wait_seq)
			w->cur_req = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		reply6_out(w, m, pidx, n, &tx, rx.src_mac);
		if (unlikely(w->cur_req != NULL)) {
			rte_pktmbuf_free(w->cur_req);
			w->cur_req = NULL;
		}
		return;
	}
drop:
	rte_pktmbuf_free(m);
}

/* IPv6 from RX or a ring: neighbour solicitations for our addresses are
 * answered here, DHCPv6 goes on, the rest is not ours. */
static void handle6(struct dp_worker *w, struct rte_mbuf *m, unsigned pidx, bool steered)
{
	const struct dp_port *port = &w->dp->ports[pidx];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct net_udp6 u;
	int ret;

	if (!steered && port->n_ip6) {
		size_t n = net_nd_reply(f, m->data_len, (const uint8_t (*)[16])port->ip6,
					port->n_ip6, port->mac.addr_bytes);

		if (n) {
			m->data_len = (uint16_t)n;
			m->pkt_len = (uint32_t)n;
			w->sdp.c[STAT_DP_ND_REPLIES]++;
			tx_enqueue(w, pidx, m);
			return;
		}
	}
	/* the UDP checksum: as for v4, af_packet hands a veth sender's
	 * frame over with it unfinished */
	ret = net_parse_udp6_flags(f, m->data_len, &u, NET_PARSE_NO_UDP_CSUM);
	if (ret) {
		if (ret == -NET_ERR_NOT_UDP)
			w->sdp.c[STAT_DP_NOT_DHCP]++;
		else
			w->sdp.net_err[-ret]++;
		goto drop;
	}
	if (u.dst_port == DHCP6_SERVER_PORT) {
		dhcp6_in(w, m, pidx, &u, steered);
		return;
	}
	w->sdp.c[STAT_DP_NOT_DHCP]++;
drop:
	rte_pktmbuf_free(m);
}

/* One frame from RX (steered == false) or from another worker's ring.
 * Link layer first (ARP for our address), then the protocol handler by
 * UDP destination port: one case per protocol, each with its own parser
 * and steering key (DHCPv6 on UDP 547 over IPv6, keyed on the DUID, goes
 * beside DHCPv4 here); what no handler takes is counted and dropped. */
static void handle(struct dp_worker *w, struct rte_mbuf *m, bool steered)
{
	struct dp *dp = w->dp;
	unsigned pidx = dp->port_index[m->port];
	const struct dp_port *port = &dp->ports[pidx];
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t et = net_ethertype(f, m->data_len);
	struct net_udp4 u;
	int ret;

	if (!steered) {
		w->sdp.c[STAT_DP_RX_PACKETS]++;
		if (unlikely(m->nb_segs != 1)) {
			w->sdp.c[STAT_DP_NOT_DHCP]++;
			goto drop;
		}
		if (unlikely(et == RTE_ETHER_TYPE_ARP)) {
			size_t n = net_arp_reply(f, m->data_len, port->addr, port->mac.addr_bytes);

			if (!n) {
				w->sdp.c[STAT_DP_NOT_DHCP]++;
				goto drop;
			}
			m->data_len = (uint16_t)n;
			m->pkt_len = (uint32_t)n;
			w->sdp.c[STAT_DP_ARP_REPLIES]++;
			tx_enqueue(w, pidx, m);
			return;
		}
	}
	if (et == RTE_ETHER_TYPE_IPV6) {
		handle6(w, m, pidx, steered);
		return;
	}
	/* The UDP checksum is not verified: a sender on a veth (perfdhcp, a
	 * kernel relay) leaves it partial for offload and af_packet hands the
	 * frame over unfinished.  Kea on a raw socket does not check it either;
	 * the IP header checksum still is. */
	ret = net_parse_udp4_flags(f, m->data_len, &u, NET_PARSE_NO_UDP_CSUM);
	if (ret) {
		if (ret == -NET_ERR_NOT_IP4 || ret == -NET_ERR_NOT_UDP)
			w->sdp.c[STAT_DP_NOT_DHCP]++;
		else
			w->sdp.net_err[-ret]++;
		goto drop;
	}
	switch (u.dst_port) {
	case DHCP4_SERVER_PORT:
		dhcp4_in(w, m, pidx, &u, steered);
		return;
	default:
		w->sdp.c[STAT_DP_NOT_DHCP]++;
	}
drop:
	rte_pktmbuf_free(m);
}

/* Requests whose reply the store refused, served again now that the
 * other server's lease is learnt: a DHCPv4 REQUEST for that address is
 * NAKed (the client starts over), a DHCPv6 one or a rapid-commit
 * exchange gets another address (parked again until it is stored). */
static unsigned rerun_drain(struct dp_worker *w)
{
	unsigned n = w->n_rerun, i;

	w->n_rerun = 0;
	for (i = 0; i < n; i++)
		handle(w, w->rerun[i], true);
	w->sdp.c[STAT_DP_RERUN] += n;
	return n;
}

static inline uint32_t wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

/* The quiescent point: nothing of the snapshot is held across it.  A new
 * snapshot is switched to here; the remap then goes on a bounded step per
 * pass (and on touch), and the worker says when it is done with the old
 * runtime. */
static void snap_pickup(struct dp_worker *w)
{
	struct dp_snap *s = __atomic_load_n(&w->dp->snap, __ATOMIC_ACQUIRE);

	if (unlikely(s != w->snap)) {
		/* dp_reload publishes only once the reload before is retired,
		 * so the remap before is done; finish it if not. */
		while (!dhcp4_worker_remap(w->dw, UINT32_MAX))
			;
		if (dhcp4_worker_switch(w->dw, &s->rc[w->id]) == 0) {
			w->snap = s;
			__atomic_store_n(&w->gen_seen, s->gen, __ATOMIC_RELEASE);
		} else {
			LOG_E("worker %u: reload %" PRIu64 ": switch refused", w->id, s->gen);
			w->snap = s;    /* never retried: the old runtime stays in use */
		}
	}
	if (unlikely(w->gen_done != w->gen_seen) && dhcp4_worker_remap(w->dw, DP_REMAP_BATCH))
		__atomic_store_n(&w->gen_done, w->gen_seen, __ATOMIC_RELEASE);
}

int dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	struct rte_mbuf *pkts[DP_BURST];
	unsigned p, s, i, n, work;

	LOG_I("worker %u running on lcore %u", w->id, w->lcore);
	rte_rcu_qsbr_thread_online(dp->qs, w->id);
	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		work = 0;
		w->now = wall_seconds();
		dhcp4_worker_set_now(w->dw, w->now);
		if (w->dw6)
			dhcp6_worker_set_now(w->dw6, w->now);
		/* One unit of work for a reload's freeze: everything that may
		 * take or free pool bits in this pass. */
		dhcp4_worker_enter(w->dw);
		snap_pickup(w);
		/* replies wait for the HA partner's acknowledgement in the
		 * states where Kea's do (the HA thread says which) */
		if (unlikely(dp->ha_on)) {
			w->need_f[0] = w->need | __atomic_load_n(&dp->ha_need[0], __ATOMIC_RELAXED);
			w->need_f[1] = w->need | __atomic_load_n(&dp->ha_need[1], __ATOMIC_RELAXED);
		}

		for (p = 0; p < dp->n_ports; p++) {
			n = rte_eth_rx_burst(dp->ports[p].port_id, (uint16_t)w->id, pkts, DP_BURST);
			for (i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				handle(w, pkts[i], false);
			}
			work += n;
		}
		for (s = 0; s < dp->n_workers; s++) {
			if (s == w->id)
				continue;
			n = rte_ring_sc_dequeue_burst(dp->steer[s][w->id], (void **)pkts, DP_BURST, NULL);
			for (i = 0; i < n; i++)
				handle(w, pkts[i], true);
			work += n;
		}
		/* Control messages, also when idle (the nap below is short). */
		if (unlikely(!rte_ring_empty(dp->ctl_ring[w->id])))
			work += dp_worker_msgs_drain(w);
		/* Addresses freed by this worker whose delete record is now
		 * durable go back to the pools (nothing to do when none wait). */
		dhcp4_worker_poll(w->dw);
		if (w->dw6)
			dhcp6_worker_poll(w->dw6);
		/* Answers to suspended transactions, and their deadlines. */
		if (w->pend) {
			if (!rte_ring_empty(dp->answer_ring[w->id]))
				work += answers_drain(w);
			if (pend_count(w->pend))
				pend_expire(w->pend, rte_rdtsc(), 16, ask_expired, w);
		}
		/* refusals also come for changes no reply waits for */
		if (unlikely(dp->wb != NULL) && !gate_parked(w->gate))
			work += refusals_drain(w);
		if (unlikely(dp->ha_refq[w->id] != NULL) && !gate_parked(w->gate))
			work += ha_refusals_drain(w);
		if (gate_parked(w->gate)) {
			unsigned sent = unpark(w);

			if (unlikely(w->n_rerun))
				sent += rerun_drain(w);

			/* A parked reply is work in flight: never nap on it.  But
			 * a pass whose only work is waiting for the flusher yields
			 * the CPU: where the flusher shares this core (small boxes,
			 * unpinned lcores) spinning here would only delay the very
			 * fsync we wait for. */
			if (!work && !sent)
				sched_yield();
			work += sent;
			w->idle = 0;
		}
		/* Reclamation in bounded batches: on every idle pass, and every
		 * 64th pass under load, so a burst of expiries never stalls RX
		 * and a busy worker still keeps up with them. */
		if (!work || (++w->passes & 63) == 0) {
			dhcp4_expire(w->dw, DP_EXPIRE_BATCH);
			if (w->dw6)
				dhcp6_expire(w->dw6, DP_EXPIRE_BATCH);
		}
		dhcp4_worker_leave(w->dw);
		for (p = 0; p < dp->n_ports; p++)
			if (w->txq[p].n)
				tx_flush(w, p);
		if (unlikely(dp->test_hook_pass != NULL))
			dp->test_hook_pass(w);
		rte_rcu_qsbr_quiescent(dp->qs, w->id);

		if (work) {
			w->idle = 0;
		} else if (++w->idle > IDLE_PAUSE) {
			struct timespec nap = { 0, IDLE_NAP_NS };

			/* asleep, the worker holds nothing: no grace period waits */
			rte_rcu_qsbr_thread_offline(dp->qs, w->id);
			nanosleep(&nap, NULL);
			rte_rcu_qsbr_thread_online(dp->qs, w->id);
		} else if (w->idle > IDLE_SPIN) {
			rte_pause();
		}
	}
	rte_rcu_qsbr_thread_offline(dp->qs, w->id);
	for (p = 0; p < dp->n_ports; p++)
		if (w->txq[p].n)
			tx_flush(w, p);
	LOG_I("worker %u stopped", w->id);
	return 0;
}

void dp_workers_drain(struct dp *dp)
{
	unsigned i, p;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = dp->workers[i];

		if (!w || !w->gate)
			continue;
		/* transactions still waiting for an answer get none */
		if (w->pend)
			pend_expire(w->pend, UINT64_MAX, DP_PENDING, pending_free, w);
		/* what is safe now is sent; anything else never became
		 * durable: not acknowledged */
		gate_flush(w->gate, w->log, gate_emit, w);
		/* refused requests not served again: the workers stopped */
		while (w->n_rerun)
			rte_pktmbuf_free(w->rerun[--w->n_rerun]);
		for (p = 0; p < dp->n_ports; p++)
			if (w->txq[p].n)
				tx_flush(w, p);
	}
}
