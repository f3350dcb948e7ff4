/* DHCPv6 client simulator: see gen6.h.  The frames only; the clients'
 * transactions are gen_core.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rte_mbuf.h>
#include "dhcp6_wire.h"
#include "gen6.h"
#include "gen_core.h"
#include "lease_addr6.h"
#include "net.h"

#define ETHERTYPE_IP6  0x86dd
#define IP6_OFF        14
#define ICMP6_OFF      (IP6_OFF + 40)
#define NH_ICMP6       58
#define ND_NS          135
#define ND_NA          136
#define DUID_LEN       10               /* 00:03 00:01 + MAC */
#define IAID_NA        1
#define IAID_PD        2

/* What a client waits for (struct gen_client.wait; 0 = idle), which is
 * also what it sends: SOLICIT, REQUEST, RENEW, RELEASE. */
enum { W_ADVERTISE = 1, W_REPLY, W_RENEW, W_RELEASE };

/* struct gen_client.flags: the units whose owner entries are the client's */
enum { HELD_NA = 1, HELD_PD = 2 };

struct gen6 {
	struct gen6_params p;
	struct lease_addr6 pool_first, pool_last, pd_prefix;
	struct gen_owner na_owner, pd_owner;
	uint64_t *na_off, *pd_off;      /* per client: the unit offered or held */
	uint8_t sid[DHCP6_DUID_MAX];    /* the server's DUID, from an ADVERTISE */
	uint8_t sid_len;
	uint8_t my_ips[2][16];          /* relayed: answered in neighbour discovery */
	struct dhcp6_pkt pkt;           /* the reply being read */
};

static inline struct gen6 *g6(const struct gen *g)
{
	return g->ps;
}

static inline uint8_t *put_opt(uint8_t *o, uint16_t code, uint16_t len)
{
	gen_put16(o, code);
	gen_put16(o + 2, len);
	return o + 4;
}

/* ---- addresses and prefixes <-> offsets in their pools ---- */

static void na_addr(const struct gen6 *s, uint64_t off, uint8_t out[16])
{
	struct lease_addr6 a = s->pool_first;

	lease_addr6_add(&a, off);
	lease_addr6_store(a, out);
}

static void pd_prefix(const struct gen6 *s, uint64_t off, uint8_t out[16])
{
	struct lease_addr6 a = s->pd_prefix;

	lease_addr6_add_prefixes(&a, off, s->p.delegated_len);
	lease_addr6_store(a, out);
}

/* 0 with *off, or -ERANGE outside the pool. */
static int na_off(const struct gen6 *s, const uint8_t addr[16], uint64_t *off)
{
	struct lease_addr6 a = lease_addr6_load(addr);

	if (lease_addr6_cmp(a, s->pool_last) > 0)
		return -ERANGE;
	return lease_addr6_offset(s->pool_first, a, off);
}

static int pd_off(const struct gen6 *s, const uint8_t pfx[16], uint64_t *off)
{
	struct lease_addr6 a = lease_addr6_load(pfx);

	if (!lease_addr6_in_prefix(a, s->pd_prefix, s->p.pd_len) ||
	    !lease_addr6_eq(a, lease_addr6_mask(a, s->p.delegated_len)))
		return -ERANGE;
	return lease_addr6_offset_prefixes(s->pd_prefix, a, s->p.delegated_len, off);
}

/* ---- requests ---- */

static uint8_t *put_duid(const struct gen *g, uint8_t *o, uint32_t ci)
{
	o = put_opt(o, DHCP6_OPT_CLIENTID, DUID_LEN);
	o[0] = 0; o[1] = 3; o[2] = 0; o[3] = 1;
	gen_client_mac(g, ci, o + 4);
	return o + DUID_LEN;
}

/* IA_NA / IA_PD with T1 = T2 = 0; after the SOLICIT with the client's
 * unit (lifetimes 0: the server's choice). */
static uint8_t *put_ias(const struct gen *g, uint8_t *o, uint32_t ci, bool with_units)
{
	const struct gen6 *s = g6(g);

	if (s->p.ia & GEN6_IA_NA) {
		o = put_opt(o, DHCP6_OPT_IA_NA, 12 + (with_units ? 28 : 0));
		gen_put32(o, IAID_NA);
		memset(o + 4, 0, 8);
		o += 12;
		if (with_units) {
			o = put_opt(o, DHCP6_OPT_IAADDR, 24);
			na_addr(s, s->na_off[ci], o);
			memset(o + 16, 0, 8);
			o += 24;
		}
	}
	if (s->p.ia & GEN6_IA_PD) {
		o = put_opt(o, DHCP6_OPT_IA_PD, 12 + (with_units ? 29 : 0));
		gen_put32(o, IAID_PD);
		memset(o + 4, 0, 8);
		o += 12;
		if (with_units) {
			o = put_opt(o, DHCP6_OPT_IAPREFIX, 25);
			memset(o, 0, 8);
			o[8] = s->p.delegated_len;
			pd_prefix(s, s->pd_off[ci], o + 9);
			o += 25;
		}
	}
	return o;
}

/* The client message for ci's state at o; returns its end. */
static uint8_t *put_msg(struct gen *g, uint8_t *o, uint32_t ci)
{
	static const uint8_t type[] = { 0, DHCP6_SOLICIT, DHCP6_REQUEST, DHCP6_RENEW,
					DHCP6_RELEASE };
	const struct gen_client *c = &g->cl[ci];
	const struct gen6 *s = g6(g);
	uint64_t cs = (c->t_send - c->t_start) * 100 / g->hz;   /* elapsed, 1/100 s */

	o[0] = type[c->wait];
	o[1] = (uint8_t)(c->xid >> 16);
	o[2] = (uint8_t)(c->xid >> 8);
	o[3] = (uint8_t)c->xid;
	o = put_duid(g, o + 4, ci);
	if (c->wait != W_ADVERTISE) {
		o = put_opt(o, DHCP6_OPT_SERVERID, s->sid_len);
		memcpy(o, s->sid, s->sid_len);
		o += s->sid_len;
	}
	o = put_opt(o, DHCP6_OPT_ELAPSED_TIME, 2);
	gen_put16(o, cs > 0xffff ? 0xffff : (uint16_t)cs);
	o += 2;
	if (c->wait == W_ADVERTISE && s->p.rapid_commit)
		o = put_opt(o, DHCP6_OPT_RAPID_COMMIT, 0);
	o = put_ias(g, o, ci, c->wait != W_ADVERTISE);
	if (c->wait != W_RELEASE) {
		o = put_opt(o, DHCP6_OPT_ORO, 2);
		gen_put16(o, DHCP6_OPT_DNS_SERVERS);
		o += 2;
	}
	return o;
}

static unsigned build(struct gen *g, uint8_t *f, uint32_t ci, bool release)
{
	static const uint8_t all_dhcp[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };
	static const uint8_t all_dhcp_mac[6] = { 0x33, 0x33, 0, 1, 0, 2 };
	const struct gen6 *s = g6(g);
	uint8_t *p = f + NET_UDP6_HLEN, *o = p, *relay_msg = NULL;
	uint8_t mac[6], ll[16];

	(void)release;                  /* a DHCPv6 RELEASE is a state of its own */
	gen_client_mac(g, ci, mac);
	net_ip6_linklocal(mac, ll);
	if (s->p.relayed) {
		o[0] = DHCP6_RELAY_FORW;
		o[1] = 0;
		memcpy(o + 2, s->p.link_addr, 16);
		memcpy(o + 18, ll, 16);
		o += DHCP6_RELAY_HDR_LEN;
		if (s->p.interface_id_len) {
			o = put_opt(o, DHCP6_OPT_INTERFACE_ID, s->p.interface_id_len);
			memcpy(o, s->p.interface_id, s->p.interface_id_len);
			o += s->p.interface_id_len;
		}
		relay_msg = o;
		o += 4;
	}
	o = put_msg(g, o, ci);
	if (relay_msg) {
		put_opt(relay_msg, DHCP6_OPT_RELAY_MSG, (uint16_t)(o - relay_msg - 4));
		return (unsigned)net_build_udp6(f, g->p.mac, g->server_mac, s->p.relay_addr,
						s->p.server_addr, DHCP6_SERVER_PORT,
						DHCP6_SERVER_PORT, (size_t)(o - p), 64);
	}
	return (unsigned)net_build_udp6(f, mac, all_dhcp_mac, ll, all_dhcp, DHCP6_CLIENT_PORT,
					DHCP6_SERVER_PORT, (size_t)(o - p), 1);
}

/* ---- bindings and the uniqueness checks ---- */

static void unbind(struct gen *g, uint32_t ci)
{
	struct gen6 *s = g6(g);
	struct gen_client *c = &g->cl[ci];

	if (c->flags & HELD_NA)
		gen_owner_drop(&s->na_owner, s->na_off[ci], ci);
	if (c->flags & HELD_PD)
		gen_owner_drop(&s->pd_owner, s->pd_off[ci], ci);
	c->flags = 0;
}

static void hold(struct gen *g, struct gen_owner *o, uint64_t *cur, uint64_t off, uint32_t ci,
		 uint8_t flag)
{
	struct gen_client *c = &g->cl[ci];

	if ((c->flags & flag) && *cur != off) {
		gen_owner_drop(o, *cur, ci);
		c->flags &= (uint8_t)~flag;
	}
	*cur = off;
	if (gen_owner_claim(o, off, ci))
		g->c.duplicates++;
	c->flags |= flag;
}

static void grant(struct gen *g, uint32_t ci, uint64_t na, uint64_t pd)
{
	struct gen6 *s = g6(g);

	if (s->p.ia & GEN6_IA_NA) {
		hold(g, &s->na_owner, &s->na_off[ci], na, ci, HELD_NA);
		g->c.granted_na++;
	}
	if (s->p.ia & GEN6_IA_PD) {
		hold(g, &s->pd_owner, &s->pd_off[ci], pd, ci, HELD_PD);
		g->c.granted_pd++;
	}
	gen_core_bind(g, ci);
}

/* ---- receive ---- */

static uint16_t count_status(struct gen *g, const uint8_t *st)
{
	uint16_t code = (uint16_t)(st[0] << 8 | st[1]);

	g->c.status[code < 7 ? code : 7]++;
	return code;
}

/* The unit the reply gives in its IA of `type`: 1 with *off, 0 when the
 * IA is refused (a status code, no unit), -1 when it is wrong (out of
 * the pool, a prefix of another length; counted). */
static int take_ia(struct gen *g, uint16_t type, uint64_t *off)
{
	struct gen6 *s = g6(g);
	const struct dhcp6_pkt *p = &s->pkt;
	uint32_t iaid = type == DHCP6_OPT_IA_NA ? IAID_NA : IAID_PD;
	const uint8_t *st;
	uint16_t len;

	for (unsigned i = 0; i < p->n_ias; i++) {
		const struct dhcp6_ia *ia = &p->ias[i];

		if (ia->type != type || ia->iaid != iaid)
			continue;
		st = dhcp6_opt_in(ia->opts, ia->opts_len, DHCP6_OPT_STATUS_CODE, &len);
		if (st && len >= 2 && count_status(g, st) != DHCP6_ST_SUCCESS)
			return 0;
		for (unsigned k = 0; k < ia->n_addrs; k++) {
			const struct dhcp6_iaaddr *a = &ia->addrs[k];

			if (a->valid == 0)
				continue;       /* a unit the server takes back */
			if (type == DHCP6_OPT_IA_PD && a->plen != s->p.delegated_len) {
				g->c.bad_plen++;
				return -1;
			}
			if ((type == DHCP6_OPT_IA_NA ? na_off(s, a->addr, off)
						     : pd_off(s, a->addr, off)) < 0) {
				g->c.out_of_pool++;
				return -1;
			}
			return 1;
		}
		return 0;
	}
	return 0;
}

/* Client index from a CLIENTID option, or GEN_NONE when it is not ours. */
static uint32_t client_of(const struct gen *g, const struct dhcp6_opt_ref *id)
{
	const uint8_t *d = id->data;
	uint32_t ci;

	if (!d || id->len != DUID_LEN || d[0] || d[1] != 3 || d[2] || d[3] != 1 ||
	    d[4] != 0x02 || d[5] != g->p.tag)
		return GEN_NONE;
	ci = gen_get32(d + 6);
	return ci < g->p.n_clients ? ci : GEN_NONE;
}

/* A neighbour solicitation for one of our addresses is answered; an
 * advertisement for the server's address gives its MAC. */
static enum gen_rx_verdict rx_nd(struct gen *g, struct rte_mbuf *m, uint8_t *f, unsigned len)
{
	struct gen6 *s = g6(g);
	const uint8_t *ic = f + ICMP6_OFF, *t = ic + 8;
	uint8_t mac[6], ll[16];
	size_t n = 0;
	uint32_t ci;

	if (len < ICMP6_OFF + 24)
		return GEN_RX_UNKNOWN;
	if (ic[0] == ND_NS && s->p.relayed) {
		n = net_nd_reply(f, len, (const uint8_t (*)[16])s->my_ips, 2, g->p.mac);
	} else if (ic[0] == ND_NS) {
		/* a client's link-local address: fe80::00<tag>:<i0>ff:fe<i1>:<i2><i3> */
		ci = (uint32_t)t[10] << 24 | (uint32_t)t[13] << 16 | (uint32_t)t[14] << 8 | t[15];
		if (ci < g->p.n_clients) {
			gen_client_mac(g, ci, mac);
			net_ip6_linklocal(mac, ll);
			n = net_nd_reply(f, len, (const uint8_t (*)[16])ll, 1, mac);
		}
	} else if (ic[0] == ND_NA && s->p.relayed && !memcmp(t, s->p.server_addr, 16)) {
		/* the target link-layer address option, else the sender */
		if (len >= ICMP6_OFF + 32 && ic[24] == 2 && ic[25] == 1)
			gen_set_server_mac(g, ic + 26);
		else
			gen_set_server_mac(g, f + 6);
		return GEN_RX_DONE;
	}
	if (!n)
		return GEN_RX_UNKNOWN;
	gen_core_frame(g, m, (unsigned)n);
	if (!gen_core_queue(g, m))
		return GEN_RX_DONE;
	g->c.arp_replies++;
	return GEN_RX_KEPT;
}

static enum gen_rx_verdict rx_one(struct gen *g, struct rte_mbuf *m, uint64_t now)
{
	struct gen6 *s = g6(g);
	struct dhcp6_pkt *p = &s->pkt;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), mac[6], ll[16];
	unsigned len = m->data_len, want = 0, got = 0;
	uint64_t na = 0, pd = 0;
	struct gen_client *c;
	const uint8_t *st;
	struct net_udp6 u;
	uint16_t slen;
	uint32_t ci;
	int r;

	if (m->nb_segs != 1)
		return GEN_RX_BAD;
	if (net_ethertype(f, len) != ETHERTYPE_IP6 || len < ICMP6_OFF)
		return GEN_RX_UNKNOWN;
	if (f[IP6_OFF + 6] == NH_ICMP6)
		return rx_nd(g, m, f, len);
	/* the checksum: a veth peer's kernel leaves it unfinished */
	if (net_parse_udp6_flags(f, len, &u, NET_PARSE_NO_UDP_CSUM) ||
	    u.src_port != DHCP6_SERVER_PORT ||
	    u.dst_port != (s->p.relayed ? DHCP6_SERVER_PORT : DHCP6_CLIENT_PORT))
		return GEN_RX_UNKNOWN;
	if (dhcp6_parse(p, f + u.payload_off, u.payload_len) ||
	    p->n_relays != (s->p.relayed ? 1 : 0))
		return GEN_RX_BAD;
	if (p->msg_type != DHCP6_ADVERTISE && p->msg_type != DHCP6_REPLY)
		return GEN_RX_UNKNOWN;
	ci = client_of(g, &p->client_id);
	if (ci == GEN_NONE)
		return GEN_RX_UNKNOWN;
	if (s->p.relayed) {
		gen_client_mac(g, ci, mac);
		net_ip6_linklocal(mac, ll);
		if (memcmp(p->relays[0].peer_addr, ll, 16))
			return GEN_RX_BAD;
	}
	c = &g->cl[ci];
	if (c->wait == 0 || p->transid != c->xid)
		return GEN_RX_LATE;
	st = dhcp6_opt(p, DHCP6_OPT_STATUS_CODE, &slen);
	if (st && slen >= 2)
		count_status(g, st);
	if (c->wait == W_RELEASE) {
		if (p->msg_type != DHCP6_REPLY)
			return GEN_RX_BAD;
		gen_core_finish(g, ci, now, true);
		return GEN_RX_DONE;
	}
	/* every IA asked for must come back with a unit */
	r = 1;
	if (s->p.ia & GEN6_IA_NA) {
		want++;
		r = take_ia(g, DHCP6_OPT_IA_NA, &na);
		got += r > 0;
	}
	if (r >= 0 && (s->p.ia & GEN6_IA_PD)) {
		want++;
		r = take_ia(g, DHCP6_OPT_IA_PD, &pd);
		got += r > 0;
	}
	if (r >= 0 && got < want) {
		gen_core_refused(g, ci, now);
		return GEN_RX_DONE;
	}
	if (r < 0) {                    /* counted as out of the pool or bad length */
		gen_core_unbind(g, ci);
		gen_core_finish(g, ci, now, false);
		return GEN_RX_DONE;
	}
	if (p->msg_type == DHCP6_ADVERTISE && c->wait == W_ADVERTISE) {
		if (!p->server_id.data)
			return GEN_RX_BAD;
		if (!g->server_mac_known)
			gen_set_server_mac(g, f + 6);
		if (p->server_id.len != s->sid_len || memcmp(p->server_id.data, s->sid, s->sid_len)) {
			memcpy(s->sid, p->server_id.data, p->server_id.len);
			s->sid_len = (uint8_t)p->server_id.len;
		}
		/* a bound client offered other units lets go of its own
		 * (else their owner entries would outlive the binding) */
		if (c->pos != GEN_NONE && (((s->p.ia & GEN6_IA_NA) && s->na_off[ci] != na) ||
					   ((s->p.ia & GEN6_IA_PD) && s->pd_off[ci] != pd)))
			gen_core_unbind(g, ci);
		s->na_off[ci] = na;
		s->pd_off[ci] = pd;
		c->wait = W_REPLY;
		gen_core_followup(g, ci, m, now);
		return GEN_RX_KEPT;
	}
	if (p->msg_type == DHCP6_REPLY &&
	    (c->wait == W_REPLY || c->wait == W_RENEW ||
	     (c->wait == W_ADVERTISE && s->p.rapid_commit && p->rapid_commit))) {
		grant(g, ci, na, pd);
		gen_core_finish(g, ci, now, true);
		return GEN_RX_DONE;
	}
	return GEN_RX_BAD;
}

/* ---- the server's MAC: a neighbour solicitation for its address ---- */

static uint16_t icmp6_csum(const uint8_t *ip6, const uint8_t *icmp, unsigned len)
{
	uint32_t sum = len + NH_ICMP6;
	unsigned i;

	for (i = 0; i < 32; i += 2)                      /* source, destination */
		sum += (uint32_t)ip6[8 + i] << 8 | ip6[9 + i];
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)icmp[i] << 8 | icmp[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static struct rte_mbuf *ns_probe(struct gen *g)
{
	const struct gen6 *s = g6(g);
	struct rte_mbuf *m;
	uint8_t *f, *ip, *ic, group[16];

	if (!s->p.relayed)
		return NULL;
	m = rte_pktmbuf_alloc(g->p.pool);
	if (!m)
		return NULL;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	ip = f + IP6_OFF;
	ic = f + ICMP6_OFF;
	memset(f, 0, ICMP6_OFF + 32);
	net_ip6_solicited_node(s->p.server_addr, group);
	net_ip6_mcast_mac(group, f);
	memcpy(f + 6, g->p.mac, 6);
	gen_put16(f + 12, ETHERTYPE_IP6);
	ip[0] = 0x60;
	gen_put16(ip + 4, 32);
	ip[6] = NH_ICMP6;
	ip[7] = 255;
	memcpy(ip + 8, s->p.relay_addr, 16);
	memcpy(ip + 24, group, 16);
	ic[0] = ND_NS;
	memcpy(ic + 8, s->p.server_addr, 16);
	ic[24] = 1;                                      /* source link-layer address */
	ic[25] = 1;
	memcpy(ic + 26, g->p.mac, 6);
	gen_put16(ic + 2, icmp6_csum(ip, ic, 32));
	gen_core_frame(g, m, ICMP6_OFF + 32);
	return m;
}

/* ---- construction ---- */

static void fini(struct gen *g)
{
	struct gen6 *s = g6(g);

	if (!s)
		return;
	gen_owner_fini(&s->na_owner);
	gen_owner_fini(&s->pd_owner);
	free(s->na_off);
	free(s->pd_off);
	free(s);
	g->ps = NULL;
}

static const struct gen_proto proto6 = {
	.kind_text = { "SARR", "renew", "release" },
	.kind_json = { "sarr", "renew", "release" },
	.first_wait = { W_ADVERTISE, W_RENEW, W_RELEASE },
	.xid_mask = 0xffffff,
	.v6 = true,
	.build = build,
	.rx = rx_one,
	.unbind = unbind,
	.probe = ns_probe,
	.fini = fini,
};

static bool params_ok(const struct gen6_params *p, uint64_t *na_max, uint64_t *pd_max)
{
	struct lease_addr6 first = lease_addr6_load(p->pool_first);
	struct lease_addr6 last = lease_addr6_load(p->pool_last);
	struct lease_addr6 pd = lease_addr6_load(p->pd_prefix);
	static const uint8_t zero[16];

	if (p->ia < GEN6_IA_NA || p->ia > GEN6_IA_BOTH)
		return false;
	if ((p->ia & GEN6_IA_NA) && lease_addr6_offset(first, last, na_max))
		return false;
	if (p->ia & GEN6_IA_PD) {
		if (p->pd_len == 0 || p->pd_len >= p->delegated_len || p->delegated_len > 128 ||
		    p->delegated_len - p->pd_len > 64 ||
		    !lease_addr6_eq(pd, lease_addr6_mask(pd, p->pd_len)))
			return false;
		*pd_max = p->delegated_len - p->pd_len == 64 ? UINT64_MAX
			  : (1ull << (p->delegated_len - p->pd_len)) - 1;
	}
	if (p->relayed && (!memcmp(p->relay_addr, zero, 16) || !memcmp(p->server_addr, zero, 16)))
		return false;
	return p->interface_id_len <= sizeof(p->interface_id);
}

struct gen *gen6_create(const struct gen6_params *p)
{
	uint64_t na_max = 0, pd_max = 0;
	struct gen *g;
	struct gen6 *s;
	uint32_t n = p->common.n_clients;

	if (!params_ok(p, &na_max, &pd_max)) {
		errno = EINVAL;
		return NULL;
	}
	g = gen_core_create(&p->common, &proto6);
	if (!g)
		return NULL;
	g->relayed = p->relayed;
	g->server_mac_need = p->relayed ? 2 : 0;
	s = calloc(1, sizeof(*s));
	g->ps = s;
	if (!s)
		goto nomem;
	s->p = *p;
	s->pool_first = lease_addr6_load(p->pool_first);
	s->pool_last = lease_addr6_load(p->pool_last);
	s->pd_prefix = lease_addr6_load(p->pd_prefix);
	memcpy(s->my_ips[0], p->relay_addr, 16);
	memcpy(s->my_ips[1], p->link_addr, 16);
	s->na_off = calloc(n, sizeof(*s->na_off));
	s->pd_off = calloc(n, sizeof(*s->pd_off));
	if (!s->na_off || !s->pd_off ||
	    ((p->ia & GEN6_IA_NA) && gen_owner_init(&s->na_owner, na_max, n)) ||
	    ((p->ia & GEN6_IA_PD) && gen_owner_init(&s->pd_owner, pd_max, n)))
		goto nomem;
	return g;
nomem:
	gen_free(g);
	errno = ENOMEM;
	return NULL;
}

/* ---- text forms ---- */

static int parse_addr(const char *s, size_t n, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];

	while (n && *s == ' ')
		s++, n--;
	while (n && s[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -EINVAL;
}

int gen6_parse_range(const char *s, uint8_t first[16], uint8_t last[16])
{
	const char *dash = strchr(s, '-');

	if (!dash || parse_addr(s, (size_t)(dash - s), first) ||
	    parse_addr(dash + 1, strlen(dash + 1), last) ||
	    memcmp(first, last, 16) > 0)
		return -EINVAL;
	return 0;
}

int gen6_parse_prefix(const char *s, uint8_t prefix[16], uint8_t *len)
{
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long l;

	if (!slash || parse_addr(s, (size_t)(slash - s), prefix))
		return -EINVAL;
	l = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || *end || l > 128)
		return -EINVAL;
	*len = (uint8_t)l;
	return 0;
}
