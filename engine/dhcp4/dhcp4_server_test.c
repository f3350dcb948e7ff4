/* DHCPv4 server logic: real exchanges through dhcp4_process with the real
 * wire parser, lease table, allocator, config helpers and (for commit mode
 * and restore) the memfile backend behind the write-behind flusher. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "conf.h"
#include "dhcp4_server.h"
#include "dhcp4_wire.h"
#include "lease_backend.h"
#include "lease_table.h"
#include "stats.h"
#include "wb.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define T0 1700000000u
#define VALID 4000u
#define OFFER_LFT 30u
#define PROBATION 600u

/* ---- fixture: a hand-built configuration ----------------------------- */

/* iface 0 "lan" 198.18.0.1/24 serves subnet 1 (198.18.0.0/24, pool .10-.19);
 * subnet 2 198.18.2.0/24 is reached through relay 198.18.2.1 (pool .10-.12);
 * subnet 3 198.18.3.0/24 is reached through any relay inside it (pool .10-.20);
 * iface 1 "empty" 198.18.9.1 serves nothing. */
static struct {
	struct conf c;
	struct conf_iface ifaces[2];
	struct conf_subnet subnets[3];
	struct conf_pool pools[3];
	uint32_t relays[1];
	struct conf_option gopts[3];
	struct conf_option s1opts[2];
	struct dhcp4_runtime *rt;
	struct dhcp4_worker *w;
} F;

static struct conf_option mkopt(uint8_t code, bool always, const void *data, uint8_t len)
{
	struct conf_option o = { .code = code, .len = len, .always_send = always };

	memcpy(o.data, data, len);
	return o;
}

static void subnet(struct conf_subnet *s, uint32_t id, uint32_t prefix, struct conf_pool *pool,
		   uint32_t first, uint32_t last, int iface)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->prefix = prefix;
	s->prefix_len = 24;
	s->mask = 0xffffff00u;
	pool->first = first;
	pool->last = last;
	s->pools = pool;
	s->n_pools = 1;
	s->iface = iface;
	s->valid_lifetime = VALID;
}

static void conf_build(bool match_cid, bool authoritative, enum conf_durability dur)
{
	static const uint8_t dns_g[4] = { 198, 18, 0, 53 }, dns_s[4] = { 198, 18, 0, 54 };
	static const uint8_t router[4] = { 198, 18, 0, 1 }, ntp[4] = { 198, 18, 0, 123 };

	memset(&F, 0, sizeof(F));
	strcpy(F.ifaces[0].name, "lan");
	F.ifaces[0].addr = IP(198, 18, 0, 1);
	F.ifaces[0].prefix_len = 24;
	strcpy(F.ifaces[1].name, "empty");
	F.ifaces[1].addr = IP(198, 18, 9, 1);
	F.ifaces[1].prefix_len = 24;

	subnet(&F.subnets[0], 1, IP(198, 18, 0, 0), &F.pools[0], IP(198, 18, 0, 10), IP(198, 18, 0, 19), 0);
	subnet(&F.subnets[1], 2, IP(198, 18, 2, 0), &F.pools[1], IP(198, 18, 2, 10), IP(198, 18, 2, 12), -1);
	F.relays[0] = IP(198, 18, 2, 1);
	F.subnets[1].relay_addrs = F.relays;
	F.subnets[1].n_relay_addrs = 1;
	subnet(&F.subnets[2], 3, IP(198, 18, 3, 0), &F.pools[2], IP(198, 18, 3, 10), IP(198, 18, 3, 20), -1);

	/* sorted by code, as conf_load leaves them */
	F.gopts[0] = mkopt(6, false, dns_g, 4);
	F.gopts[1] = mkopt(15, false, "example.org", 11);
	F.gopts[2] = mkopt(42, true, ntp, 4);
	F.s1opts[0] = mkopt(3, false, router, 4);
	F.s1opts[1] = mkopt(6, false, dns_s, 4);
	F.subnets[0].options.opts = F.s1opts;
	F.subnets[0].options.n = 2;

	F.c.ifaces = F.ifaces;
	F.c.n_ifaces = 2;
	F.c.subnets = F.subnets;
	F.c.n_subnets = 3;
	F.c.options.opts = F.gopts;
	F.c.options.n = 3;
	F.c.valid_lifetime = VALID;
	F.c.decline_probation_period = PROBATION;
	F.c.offer_lifetime = OFFER_LFT;
	F.c.match_client_id = match_cid;
	F.c.authoritative = authoritative;
	F.c.lease_db.durability = dur;
}

static struct dhcp4_worker *mkworker(unsigned id, unsigned n, struct wb *wb)
{
	struct dhcp4_worker_params p = {
		.id = id, .n_workers = n, .conf = &F.c, .rt = F.rt, .wb = wb, .lease_capacity = 64,
	};
	struct dhcp4_worker *w = dhcp4_worker_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	dhcp4_worker_set_now(w, T0);
	return w;
}

static void setup(bool match_cid, bool authoritative)
{
	conf_build(match_cid, authoritative, CONF_DUR_MEMORY);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	F.w = mkworker(0, 1, NULL);
}

static void teardown(void)
{
	dhcp4_worker_free(F.w);
	dhcp4_runtime_free(F.rt);
	F.w = NULL;
	F.rt = NULL;
}

/* ---- requests -------------------------------------------------------- */

struct msg {
	uint8_t b[1200];
	size_t n;
	unsigned iface;
	uint32_t src_ip;
};

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0xa1 };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0xb2 };
static const uint8_t MAC_C[6] = { 0x02, 0, 0, 0, 0, 0xc3 };
static const uint8_t MAC_RELAY[6] = { 0x02, 0, 0, 0, 0, 0xee };

static struct dhcp4_hdr *mh(struct msg *m)
{
	return (struct dhcp4_hdr *)m->b;
}

static void m_opt(struct msg *m, uint8_t code, const void *d, uint8_t len)
{
	m->b[m->n++] = code;
	m->b[m->n++] = len;
	memcpy(m->b + m->n, d, len);
	m->n += len;
}

static void m_addr(struct msg *m, uint8_t code, uint32_t a)
{
	uint32_t n = htonl(a);

	m_opt(m, code, &n, 4);
}

static void m_init(struct msg *m, uint8_t type, const uint8_t mac[6])
{
	struct dhcp4_hdr *h = mh(m);

	memset(m, 0, sizeof(*m));
	h->op = DHCP4_BOOTREQUEST;
	h->htype = 1;
	h->hlen = 6;
	h->xid = htonl(0x1234u + mac[5]);
	memcpy(h->chaddr, mac, 6);
	h->magic = htonl(DHCP4_MAGIC);
	m->n = DHCP4_MIN_LEN;
	m_opt(m, DHCP4_OPT_MSG_TYPE, &type, 1);
}

static void m_ciaddr(struct msg *m, uint32_t a)
{
	mh(m)->ciaddr = htonl(a);
	m->src_ip = a;
}

static void m_relay(struct msg *m, uint32_t giaddr)
{
	mh(m)->giaddr = htonl(giaddr);
	mh(m)->hops = 1;
	m->src_ip = giaddr;
}

static void m_bcast(struct msg *m)
{
	mh(m)->flags = htons(DHCP4_FLAG_BROADCAST);
}

static uint8_t out[1500];
static struct dhcp4_pkt pkt;

static int run_w(struct dhcp4_worker *w, struct msg *m, struct dhcp4_tx *tx)
{
	struct dhcp4_rx rx = { .iface = m->iface, .src_ip = m->src_ip, .dst_ip = 0xffffffffu,
			       .src_port = mh(m)->giaddr ? 67 : 68 };
	uint8_t buf[1200];
	size_t len = m->n;

	memcpy(buf, m->b, m->n);
	buf[len++] = DHCP4_OPT_END;
	while (len < DHCP4_BOOTP_MIN)
		buf[len++] = 0;
	memcpy(rx.src_mac, mh(m)->giaddr ? MAC_RELAY : mh(m)->chaddr, 6);
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, buf, len), 0);
	memset(tx, 0x5a, sizeof(*tx));
	memset(out, 0, sizeof(out));
	return dhcp4_process(w, &rx, &pkt, out, sizeof(out), tx);
}

static int run(struct msg *m, struct dhcp4_tx *tx)
{
	return run_w(F.w, m, tx);
}

/* ---- reply inspection ------------------------------------------------ */

static const struct dhcp4_hdr *rh(void)
{
	return (const struct dhcp4_hdr *)out;
}

/* Option in the reply (options field only; the server does not overload). */
static const uint8_t *r_opt(int len, uint8_t code, uint8_t *olen)
{
	int i = DHCP4_MIN_LEN;

	while (i < len) {
		uint8_t c = out[i];

		if (c == DHCP4_OPT_END)
			return NULL;
		if (c == DHCP4_OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + out[i + 1] > len)
			return NULL;
		if (c == code) {
			if (olen)
				*olen = out[i + 1];
			return out + i + 2;
		}
		i += 2 + out[i + 1];
	}
	return NULL;
}

static uint32_t r_u32(int len, uint8_t code)
{
	uint8_t l;
	const uint8_t *v = r_opt(len, code, &l);

	if (!v || l != 4)
		return 0xdeadbeefu;
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static int r_type(int len)
{
	const uint8_t *v = r_opt(len, DHCP4_OPT_MSG_TYPE, NULL);

	return v ? *v : -1;
}

static uint32_t r_yiaddr(void)
{
	return ntohl(rh()->yiaddr);
}

static uint64_t ST(enum stat4 s)
{
	return dhcp4_worker_stats(F.w)->c[s];
}

static struct lease4 *lease_of_mac(struct dhcp4_worker *w, const uint8_t mac[6])
{
	struct lease_key k = { .kind = LEASE_KEY_HWADDR, .len = 7 };

	k.data[0] = 1;
	memcpy(k.data + 1, mac, 6);
	return lease_table_lookup(dhcp4_worker_leases(w), &k);
}

static bool is_bcast_mac(const uint8_t m[6])
{
	static const uint8_t ff[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return !memcmp(m, ff, 6);
}

/* DISCOVER then SELECTING REQUEST; returns the bound address, 0 on failure. */
static uint32_t dora_w(struct dhcp4_worker *w, const uint8_t mac[6], uint32_t giaddr,
		       struct dhcp4_tx *tx)
{
	struct msg m;
	uint32_t a;
	int n;

	m_init(&m, DHCP4_DISCOVER, mac);
	if (giaddr)
		m_relay(&m, giaddr);
	n = run_w(w, &m, tx);
	if (n <= 0 || r_type(n) != DHCP4_OFFER)
		return 0;
	a = r_yiaddr();
	m_init(&m, DHCP4_REQUEST, mac);
	if (giaddr)
		m_relay(&m, giaddr);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, r_u32(n, DHCP4_OPT_SERVER_ID));
	n = run_w(w, &m, tx);
	if (n <= 0 || r_type(n) != DHCP4_ACK || r_yiaddr() != a)
		return 0;
	return a;
}

static uint32_t dora(const uint8_t mac[6], uint32_t giaddr)
{
	struct dhcp4_tx tx;

	return dora_w(F.w, mac, giaddr, &tx);
}

/* DISCOVER asking for `want`: the offered address (0 if no OFFER). */
static uint32_t offer_w(struct dhcp4_worker *w, const uint8_t mac[6], uint32_t want)
{
	struct dhcp4_tx tx;
	struct msg m;
	int n;

	m_init(&m, DHCP4_DISCOVER, mac);
	if (want)
		m_addr(&m, DHCP4_OPT_REQ_ADDR, want);
	n = run_w(w, &m, &tx);
	return n > 0 && r_type(n) == DHCP4_OFFER ? r_yiaddr() : 0;
}

static bool in_pool0(uint32_t a)
{
	return a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19);
}

/* ---- tests ----------------------------------------------------------- */

static void test_dora(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	struct lease4 *l;
	uint32_t a;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_FATAL(n >= DHCP4_BOOTP_MIN);
	CU_ASSERT_EQUAL(rh()->op, DHCP4_BOOTREPLY);
	CU_ASSERT_EQUAL(rh()->xid, mh(&m)->xid);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	a = r_yiaddr();
	CU_ASSERT(in_pool0(a));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SERVER_ID), IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_LEASE_TIME), VALID);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_T1), VALID / 2);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_T2), VALID * 7 / 8);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
	/* an offer is held, but not assigned and not persisted */
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_OFFERED);
	CU_ASSERT_EQUAL(l->expire, T0 + OFFER_LFT);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 1);
	CU_ASSERT_EQUAL(tx.wait_seq, 0);

	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_LEASE_TIME), VALID);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(l->addr, a);
	CU_ASSERT_EQUAL(l->subnet_id, 1);
	CU_ASSERT_EQUAL(l->expire, T0 + VALID);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVED), 2);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_DISCOVER_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_REQUEST_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_SENT), 2);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 0);
	teardown();
}

static void test_returning_client(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a, b;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	CU_ASSERT(in_pool0(a));
	/* the same client comes back: same address, lease not demoted */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(dora(MAC_A, 0), a);
	/* another client gets another address, even when asking for a's */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	b = r_yiaddr();
	CU_ASSERT(in_pool0(b));
	CU_ASSERT_NOT_EQUAL(b, a);
	/* a free requested address is honoured */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 17));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), IP(198, 18, 0, 17));
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 3);
	teardown();
}

static void client_id_case(bool match)
{
	static const uint8_t cid[7] = { 1, 0x02, 0, 0, 0, 0, 0x99 };
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a, b;
	uint8_t len;
	int n;

	setup(match, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_opt(&m, DHCP4_OPT_CLIENT_ID, cid, sizeof(cid));
	n = run(&m, &tx);
	a = r_yiaddr();
	CU_ASSERT(in_pool0(a));
	/* RFC 6842: the client identifier is echoed */
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, DHCP4_OPT_CLIENT_ID, &len));
	CU_ASSERT_EQUAL(len, sizeof(cid));
	/* same client-id, new network card */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_opt(&m, DHCP4_OPT_CLIENT_ID, cid, sizeof(cid));
	n = run(&m, &tx);
	b = r_yiaddr();
	if (match)
		CU_ASSERT_EQUAL(b, a)
	else
		CU_ASSERT_NOT_EQUAL(b, a)
	teardown();
}

static void test_client_id(void)
{
	client_id_case(true);
	client_id_case(false);
}

static void test_init_reboot(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	/* known client, right address: ACK */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* known client, another address: NAK, broadcast, no yiaddr */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a == IP(198, 18, 0, 19) ? IP(198, 18, 0, 18) : IP(198, 18, 0, 19));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(r_yiaddr(), 0);
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SERVER_ID), IP(198, 18, 0, 1));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_LEASE_TIME, NULL));
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	CU_ASSERT(is_bcast_mac(tx.dst_mac));
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->addr, a);   /* NAK changes nothing */
	/* an address from another network: NAK even when not authoritative */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(10, 1, 2, 3));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	/* unknown client, not authoritative: silence */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_B));
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_NAK_SENT), 2);
	teardown();

	setup(true, true);
	a = dora(MAC_A, 0);
	/* unknown client, authoritative, address free: it keeps it */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), IP(198, 18, 0, 15));
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_B)->state, LEASE_STATE_DEFAULT);
	/* unknown client, authoritative, address someone else's: NAK */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->addr, a);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 2);
	teardown();
}

static void test_renew_rebind(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	struct lease4 *l;
	uint32_t a, b;
	int n;

	setup(true, true);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, 0);
	dhcp4_worker_set_now(F.w, T0 + 2000);
	/* RENEWING: unicast from ciaddr, reply to ciaddr:68 at the client's MAC */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(ntohl(rh()->ciaddr), a);
	CU_ASSERT_EQUAL(tx.dst_ip, a);
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	CU_ASSERT_EQUAL(tx.src_ip, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(tx.src_port, 67);
	CU_ASSERT(!memcmp(tx.dst_mac, MAC_A, 6));
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_EQUAL(l->expire, T0 + 2000 + VALID);
	/* REBINDING: broadcast, still answered to ciaddr */
	dhcp4_worker_set_now(F.w, T0 + 3600);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	m_bcast(&m);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(tx.dst_ip, a);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_A)->expire, T0 + 3600 + VALID);
	/* renewing someone else's address: NAK (authoritative), broadcast */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_ciaddr(&m, b);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, MAC_B)->addr, b);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 2);
	teardown();

	/* not authoritative: the same renewal gets no answer */
	setup(true, false);
	b = dora(MAC_B, 0);
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_ciaddr(&m, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	teardown();
}

static void test_release(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	m_init(&m, DHCP4_RELEASE, MAC_A);
	m_ciaddr(&m, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RELEASE_RECEIVED), 1);
	/* the address is free for another client */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* a release for an address that is not the client's changes nothing */
	CU_ASSERT_NOT_EQUAL(dora(MAC_C, 0), 0);
	m_init(&m, DHCP4_RELEASE, MAC_C);
	m_ciaddr(&m, a);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, MAC_C));
	teardown();
}

static void test_decline(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	struct lease_key k = { .kind = LEASE_KEY_ADDR, .len = 4 };
	struct lease4 *d;
	uint32_t a, na;
	int n;

	setup(true, false);
	a = dora(MAC_A, 0);
	m_init(&m, DHCP4_DECLINE, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	na = htonl(a);
	memcpy(k.data, &na, 4);
	d = lease_table_lookup(dhcp4_worker_leases(F.w), &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->state, LEASE_STATE_DECLINED);
	CU_ASSERT_EQUAL(d->expire, T0 + PROBATION);
	CU_ASSERT_EQUAL(d->hwaddr_len, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].declined, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	/* held: nobody gets it, not even by asking */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_NOT_EQUAL(r_yiaddr(), a);
	/* nothing expires before the end of probation */
	dhcp4_worker_set_now(F.w, T0 + PROBATION - 1);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 100), 1);              /* only B's offer */
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_DECLINED), 0);
	dhcp4_worker_set_now(F.w, T0 + PROBATION);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 100), 1);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_DECLINED), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].reclaimed_declined, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].declined, 0);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	teardown();
}

static void test_inform(void)
{
	static const uint8_t prl[] = { 3, 6, 15 };
	struct dhcp4_tx tx;
	struct msg m;
	uint8_t len;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_INFORM, MAC_A);
	m_ciaddr(&m, IP(198, 18, 0, 200));
	m_opt(&m, DHCP4_OPT_PRL, prl, sizeof(prl));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), 0);
	CU_ASSERT_EQUAL(ntohl(rh()->ciaddr), IP(198, 18, 0, 200));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_LEASE_TIME, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_T1, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_T2, NULL));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_ROUTERS), IP(198, 18, 0, 1));
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 15, &len));
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SERVER_ID), IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(tx.dst_ip, IP(198, 18, 0, 200));
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_INFORM_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), 1);
	teardown();
}

static void test_offer_expiry(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	a = r_yiaddr();
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	dhcp4_worker_set_now(F.w, T0 + OFFER_LFT - 1);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 0);
	dhcp4_worker_set_now(F.w, T0 + OFFER_LFT);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 1);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);     /* an offer is no lease */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* a bound lease expires into reclaimed-leases */
	dhcp4_worker_set_now(F.w, T0 + 100);
	a = dora(MAC_C, 0);
	CU_ASSERT(in_pool0(a));
	dhcp4_worker_set_now(F.w, T0 + 100 + VALID);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 2);           /* B's offer, C's lease */
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].reclaimed, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	teardown();
}

static void test_exhaustion_and_relay(void)
{
	static const uint8_t rai[] = { 1, 4, 'p', 'o', 'r', 't', 2, 3, 'r', 'i', 'd' };
	static const uint8_t macs[4][6] = {
		{ 2, 0, 0, 0, 1, 1 }, { 2, 0, 0, 0, 1, 2 }, { 2, 0, 0, 0, 1, 3 }, { 2, 0, 0, 0, 1, 4 },
	};
	struct dhcp4_tx tx;
	struct msg m;
	const uint8_t *v;
	uint8_t len;
	unsigned i;
	int n;

	setup(true, true);
	/* relayed: subnet 2 chosen by its relay address, RAI echoed last */
	for (i = 0; i < 3; i++) {
		m_init(&m, DHCP4_DISCOVER, macs[i]);
		m_relay(&m, IP(198, 18, 2, 1));
		m_opt(&m, DHCP4_OPT_RAI, rai, sizeof(rai));
		n = run(&m, &tx);
		CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
		CU_ASSERT(r_yiaddr() >= IP(198, 18, 2, 10) && r_yiaddr() <= IP(198, 18, 2, 12));
		CU_ASSERT_EQUAL(ntohl(rh()->giaddr), IP(198, 18, 2, 1));
		CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
		v = r_opt(n, DHCP4_OPT_RAI, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(len, sizeof(rai));
		CU_ASSERT(!memcmp(v, rai, sizeof(rai)));
		CU_ASSERT_EQUAL(v[len], DHCP4_OPT_END);              /* last option */
		CU_ASSERT_EQUAL(tx.dst_ip, IP(198, 18, 2, 1));
		CU_ASSERT_EQUAL(tx.dst_port, 67);
		CU_ASSERT(!memcmp(tx.dst_mac, MAC_RELAY, 6));
		/* subnet 2 has no options of its own; the global always-send one */
		CU_ASSERT_EQUAL(r_u32(n, 42), IP(198, 18, 0, 123));
		CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_ROUTERS, NULL));
	}
	/* pool of three exhausted: no offer, counted */
	m_init(&m, DHCP4_DISCOVER, macs[3]);
	m_relay(&m, IP(198, 18, 2, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_EQUAL(ST(STAT4_V4_ALLOCATION_FAIL), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 3);
	/* a relay that is listed nowhere: the subnet containing giaddr */
	m_init(&m, DHCP4_DISCOVER, macs[3]);
	m_relay(&m, IP(198, 18, 3, 77));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT(r_yiaddr() >= IP(198, 18, 3, 10) && r_yiaddr() <= IP(198, 18, 3, 20));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_RAI, NULL));
	/* option 118 overrides giaddr */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_SUBNET_SELECT, IP(198, 18, 3, 1));
	n = run(&m, &tx);
	CU_ASSERT(r_yiaddr() >= IP(198, 18, 3, 10) && r_yiaddr() <= IP(198, 18, 3, 20));
	/* a relayed NAK goes to the relay with the broadcast bit set */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 10));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(tx.dst_ip, IP(198, 18, 2, 1));
	CU_ASSERT(ntohs(rh()->flags) & DHCP4_FLAG_BROADCAST);
	/* a relay inside no subnet: dropped */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_relay(&m, IP(10, 9, 9, 9));
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_NO_SUBNET), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 1);
	teardown();
}

static void test_prl_and_always_send(void)
{
	static const uint8_t prl1[] = { 6, 3 }, prl2[] = { 15 };
	struct dhcp4_tx tx;
	struct msg m;
	uint8_t len;
	const uint8_t *v;
	int n;

	setup(true, false);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_opt(&m, DHCP4_OPT_PRL, prl1, sizeof(prl1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_u32(n, 6), IP(198, 18, 0, 54));            /* subnet beats global */
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_ROUTERS), IP(198, 18, 0, 1));
	CU_ASSERT_PTR_NULL(r_opt(n, 15, NULL));                        /* not requested */
	CU_ASSERT_EQUAL(r_u32(n, 42), IP(198, 18, 0, 123));           /* always-send */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_opt(&m, DHCP4_OPT_PRL, prl2, sizeof(prl2));
	n = run(&m, &tx);
	v = r_opt(n, 15, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(len, 11);
	CU_ASSERT(!memcmp(v, "example.org", 11));
	CU_ASSERT_PTR_NULL(r_opt(n, 6, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, DHCP4_OPT_ROUTERS, NULL));
	/* no PRL at all: only what is always sent */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	n = run(&m, &tx);
	CU_ASSERT_PTR_NULL(r_opt(n, 6, NULL));
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 42, NULL));
	teardown();
}

static void test_max_message_size(void)
{
	static const uint8_t big[200] = { 0 };
	uint8_t prl[60], mms[2] = { 576 >> 8, 576 & 0xff };
	struct conf_option gopts[4];
	struct dhcp4_tx tx;
	struct msg m;
	unsigned i;
	int n;

	setup(true, false);
	/* three big global options that cannot all fit in 548 bytes */
	gopts[0] = mkopt(120, false, big, 200);
	gopts[1] = mkopt(121, false, big, 200);
	gopts[2] = mkopt(122, false, big, 200);
	gopts[3] = mkopt(123, false, big, 200);
	F.c.options.opts = gopts;
	F.c.options.n = 4;
	for (i = 0; i < 4; i++)
		prl[i] = (uint8_t)(120 + i);
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_opt(&m, DHCP4_OPT_PRL, prl, 4);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT(n <= 576 - 28);                    /* default: RFC 2131's 576 */
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 120, NULL));
	CU_ASSERT_PTR_NULL(r_opt(n, 122, NULL));
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_opt(&m, DHCP4_OPT_PRL, prl, 4);
	mms[0] = 1500 >> 8;
	mms[1] = 1500 & 0xff;
	m_opt(&m, DHCP4_OPT_MAX_MSG_SIZE, mms, 2);
	n = run(&m, &tx);
	CU_ASSERT(n > 576 - 28 && n <= 1500 - 28);
	CU_ASSERT_PTR_NOT_NULL(r_opt(n, 123, NULL));
	F.c.options.opts = F.gopts;
	F.c.options.n = 3;
	teardown();
}

static void test_delivery(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	int n;

	setup(true, false);
	/* no broadcast flag: unicast to yiaddr at chaddr */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(tx.dst_ip, r_yiaddr());
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	CU_ASSERT(!memcmp(tx.dst_mac, MAC_A, 6));
	CU_ASSERT_EQUAL(tx.src_ip, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(tx.src_port, 67);
	/* broadcast flag */
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_bcast(&m);
	n = run(&m, &tx);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	CU_ASSERT(is_bcast_mac(tx.dst_mac));
	CU_ASSERT_EQUAL(tx.dst_port, 68);
	/* a hardware address that is not Ethernet: broadcast */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	mh(&m)->htype = 6;
	n = run(&m, &tx);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(tx.dst_ip, 0xffffffffu);
	teardown();
}

static void test_drops_and_counters(void)
{
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	setup(true, false);
	/* server messages are not ours to answer */
	m_init(&m, DHCP4_OFFER, MAC_A);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	m_init(&m, DHCP4_ACK, MAC_A);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_RECEIVED), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 2);
	/* the client picked another server: our offer is given back */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	a = r_yiaddr();
	CU_ASSERT(n > 0);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 77, 5));
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 77, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_NOT_FOR_US), 1);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	m_init(&m, DHCP4_DISCOVER, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	run(&m, &tx);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	/* a port with no subnet */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m.iface = 1;
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_NO_SUBNET), 1);
	/* SELECTING request for an address we cannot give: NAK */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_NAK);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVED), 7);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_SENT), 3);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_NAK_SENT), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), 4);
	CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_PKT4_RECEIVE_DROP], "pkt4-receive-drop");
	CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_V4_ALLOCATION_FAIL], "v4-allocation-fail");
	CU_ASSERT_STRING_EQUAL(stats_dp_names[STAT_DP_PARKED], "dp-parked");
	teardown();
}

static void test_two_workers_share_pools(void)
{
	struct dhcp4_worker *w2;
	struct dhcp4_tx tx;
	uint8_t mac[6] = { 2, 0, 0, 0, 9, 0 };
	uint32_t seen[32] = { 0 };
	unsigned i, j, got = 0;

	setup(true, false);
	w2 = mkworker(1, 2, NULL);
	/* 10 addresses, two workers taking alternately: all distinct, then full */
	for (i = 0; i < 12; i++) {
		uint32_t a;

		mac[5] = (uint8_t)i;
		a = dora_w(i % 2 ? w2 : F.w, mac, 0, &tx);
		if (!a)
			continue;
		CU_ASSERT(in_pool0(a));
		for (j = 0; j < got; j++)
			CU_ASSERT_NOT_EQUAL(seen[j], a);
		seen[got++] = a;
	}
	CU_ASSERT_EQUAL(got, 10);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->c[STAT4_V4_ALLOCATION_FAIL] +
			dhcp4_worker_stats(w2)->c[STAT4_V4_ALLOCATION_FAIL], 2);
	dhcp4_worker_free(w2);
	teardown();
}

/* Review finding 2: a DISCOVER arriving through another subnet (another
 * relay) must not move a bound lease; only the REQUEST that takes the new
 * offer does (Kea).  Meanwhile the old lease renews and nobody else gets
 * its address. */
static void test_discover_elsewhere_keeps_lease(void)
{
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t x, y, o;
	int n;

	setup(true, true);
	x = dora(MAC_A, 0);
	CU_ASSERT_FATAL(in_pool0(x));
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	y = r_yiaddr();
	CU_ASSERT(y >= IP(198, 18, 2, 10) && y <= IP(198, 18, 2, 12));
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, x);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[1].assigned, 0);
	/* the same DISCOVER again, asking for the offer: the same offer */
	m_addr(&m, DHCP4_OPT_REQ_ADDR, y);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), y);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 2);
	/* B asking for X does not get it */
	o = offer_w(F.w, MAC_B, x);
	CU_ASSERT(in_pool0(o) && o != x);
	/* A renews X */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, x);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(n > 0 ? r_type(n) : n, DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), x);
	/* A takes the offer through the relay: now the lease moves */
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, y);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), y);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, y);
	CU_ASSERT_EQUAL(l->subnet_id, 2);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[1].assigned, 1);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 2);   /* A, B's offer */
	/* X is free now (memory mode: at once) */
	CU_ASSERT_EQUAL(offer_w(F.w, MAC_C, x), x);
	teardown();
}

/* ---- persistence: commit mode, ring full, restore -------------------- */

static char tmpdir[64];

static struct lease_backend *be_open(const struct lease_backend_ops *ops)
{
	struct conf_lease_db db = { .type = CONF_DB_MEMFILE, .durability = CONF_DUR_COMMIT };
	struct lease_backend *be;
	char err[256] = "";

	snprintf(db.name, sizeof(db.name), "%s/leases4.csv", tmpdir);
	be = ops->open(&db, err, sizeof(err));
	if (!be)
		fprintf(stderr, "memfile open: %s\n", err);
	return be;
}

static struct wb *wb_open(const struct lease_backend_ops *ops, struct lease_backend *be,
			  enum conf_durability mode, unsigned ring, bool start)
{
	struct wb_params p = {
		.ops = ops, .be = be, .n_workers = 1, .ring_size = ring, .mode = mode,
		.flush_interval_ms = 2,
	};
	struct wb *wb = wb_create(&p);

	if (wb && start && wb_start(wb)) {
		wb_free(wb);
		return NULL;
	}
	return wb;
}

static bool wait_durable(struct wb *wb, uint64_t seq)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (wb_durable(wb, 0) >= seq)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Start a test on an empty lease file (tests share the temp dir). */
static void lease_file_reset(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/leases4.csv", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/leases4.csv.1", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/leases4.csv.2", tmpdir);
	unlink(path);
}

static struct lease_rec mkrec(uint32_t addr, const uint8_t *mac, uint32_t expire, uint32_t valid,
			      uint8_t state);

static struct dhcp4_worker *RW[2];

static int restore_cb(const struct lease_rec *r, void *arg)
{
	struct lease_key k;
	int ret;

	(void)arg;
	dhcp4_rec_key(r, F.c.match_client_id, &k);
	ret = dhcp4_restore(RW[dhcp4_owner(&k, 2)], r);
	CU_ASSERT_EQUAL(ret, 0);
	return 0;
}

static int64_t gauge_sum(bool declined)
{
	int64_t v = 0;
	unsigned i, s;

	for (i = 0; i < 2; i++)
		for (s = 0; s < F.c.n_subnets; s++)
			v += declined ? dhcp4_worker_stats(RW[i])->subnet[s].declined
				      : dhcp4_worker_stats(RW[i])->subnet[s].assigned;
	return v;
}

static struct lease4 *rlease_of_mac(const uint8_t mac[6])
{
	struct lease4 *l = lease_of_mac(RW[0], mac);

	return l ? l : lease_of_mac(RW[1], mac);
}

static void test_commit_and_restore(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct msg m;
	struct lease4 *l;
	uint32_t a, b, c;
	uint64_t seq;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 256, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);

	/* an OFFER is not persisted and never waits */
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(tx.wait_seq, 0);
	/* the ACK waits for its record */
	a = dora_w(F.w, MAC_A, 0, &tx);
	CU_ASSERT_FATAL(a != 0);
	seq = tx.wait_seq;
	CU_ASSERT(seq > 0);
	l = lease_of_mac(F.w, MAC_A);
	CU_ASSERT_EQUAL(l->seq, seq);
	CU_ASSERT(wait_durable(wb, seq));
	b = dora_w(F.w, MAC_B, 0, &tx);
	CU_ASSERT(tx.wait_seq > seq);
	c = dora(MAC_C, 0);
	CU_ASSERT(b && c);
	/* C releases (a delete record), B declines (a declined record) */
	m_init(&m, DHCP4_RELEASE, MAC_C);
	m_ciaddr(&m, c);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	m_init(&m, DHCP4_DECLINE, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	/* A renews later: the newest record wins on restore */
	dhcp4_worker_set_now(F.w, T0 + 100);
	m_init(&m, DHCP4_REQUEST, MAC_A);
	m_ciaddr(&m, a);
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT(wait_durable(wb, tx.wait_seq));
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), 0);
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();

	/* start again, two workers, replay the file */
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	l = rlease_of_mac(MAC_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, a);
	CU_ASSERT_EQUAL(l->state, LEASE_STATE_DEFAULT);
	CU_ASSERT_EQUAL(l->expire, T0 + 100 + VALID);
	CU_ASSERT_EQUAL(l->subnet_id, 1);
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_B));
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_C));
	CU_ASSERT_EQUAL(gauge_sum(false), 1);
	CU_ASSERT_EQUAL(gauge_sum(true), 1);
	/* A is found again by its own next request, on its owner */
	{
		struct lease_key k;
		struct dhcp4_worker *ow;

		m_init(&m, DHCP4_REQUEST, MAC_A);
		m_ciaddr(&m, a);
		m.b[m.n] = DHCP4_OPT_END;
		CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, m.b, DHCP4_BOOTP_MIN), 0);
		dhcp4_client_key(&pkt, true, &k);
		ow = RW[dhcp4_owner(&k, 2)];
		CU_ASSERT_PTR_EQUAL(lease_of_mac(ow, MAC_A), l);
		n = run_w(ow, &m, &tx);
		CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
		CU_ASSERT_EQUAL(r_yiaddr(), a);
	}
	/* bits: c is free, a and b are taken */
	CU_ASSERT_EQUAL(offer_w(RW[1], MAC_C, c), c);
	n = (int)offer_w(RW[0], MAC_RELAY, a);
	CU_ASSERT(in_pool0((uint32_t)n) && (uint32_t)n != a);
	n = (int)offer_w(RW[0], MAC_B, b);
	CU_ASSERT(in_pool0((uint32_t)n) && (uint32_t)n != b);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
}

/* The lease file has no htype column (Kea's CSV), so a record comes back
 * with htype 1 whatever the client's hardware type was.  A client without
 * a client-id on a non-Ethernet link (htype 6, IEEE 802) must still be
 * found under the same key, on the same worker, after a restart. */
static void test_htype_across_restart(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct lease_rec rec;
	struct lease_key kp, kr;
	struct dhcp4_worker *ow;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 256, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	mh(&m)->htype = 6;
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_OFFER);
	a = r_yiaddr();
	m_init(&m, DHCP4_REQUEST, MAC_C);
	mh(&m)->htype = 6;
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT(wait_durable(wb, tx.wait_seq));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();

	/* the packet's key and the restored record's key are the same key */
	m_init(&m, DHCP4_REQUEST, MAC_C);
	mh(&m)->htype = 6;
	m_ciaddr(&m, a);
	m.b[m.n] = DHCP4_OPT_END;
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, m.b, DHCP4_BOOTP_MIN), 0);
	dhcp4_client_key(&pkt, true, &kp);
	rec = mkrec(a, MAC_C, T0 + VALID, VALID, 0);   /* as the memfile gives it: htype 1 */
	dhcp4_rec_key(&rec, true, &kr);
	CU_ASSERT_EQUAL(kp.kind, kr.kind);
	CU_ASSERT_EQUAL(kp.len, kr.len);
	CU_ASSERT(kp.len == kr.len && !memcmp(kp.data, kr.data, kp.len));

	/* restart with two workers: the renewal reaches the owner, which has it */
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	ow = RW[dhcp4_owner(&kp, 2)];
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(ow)), 1);
	n = run_w(ow, &m, &tx);
	CU_ASSERT_EQUAL(n > 0 ? r_type(n) : n, DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), a);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(ow)), 1);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
	lease_file_reset();
}

static bool wait_durable_of(struct wb *wb, unsigned worker, uint64_t seq)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (wb_durable(wb, worker) >= seq)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static struct dhcp4_worker *mkworker_q(unsigned id, unsigned n, struct wb *wb, uint32_t queue)
{
	struct dhcp4_worker_params p = {
		.id = id, .n_workers = n, .conf = &F.c, .rt = F.rt, .wb = wb, .lease_capacity = 64,
		.release_queue = queue,
	};
	struct dhcp4_worker *w = dhcp4_worker_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	dhcp4_worker_set_now(w, T0);
	return w;
}

/* Review finding 1.  Worker 0 has a backlog in its write-behind ring when
 * its client A releases X; worker 1's client B then asks for X.  The
 * flusher takes the rings in turns (a burst each), so had X been free at
 * once, B's add record would reach the file before A's delete, and replay
 * (last record per address wins) would drop B's ACKed lease.  X must stay
 * taken until the delete is durable; after a restart B holds X. */
static void test_release_waits_for_durable_delete(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct wb_params wp = {
		.ops = ops, .n_workers = 2, .ring_size = 256, .mode = CONF_DUR_COMMIT,
		.flush_interval_ms = 2,
	};
	struct lease_backend *be;
	struct dhcp4_worker *w1;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t x, y;
	unsigned i, released = 0;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wp.be = be;
	wb = wb_create(&wp);                    /* not started yet: records queue up */
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 2, wb);
	w1 = mkworker(1, 2, wb);

	/* worker 0: A bound to X, 70 renewals (more than a flusher burst), RELEASE */
	x = dora_w(F.w, MAC_A, 0, &tx);
	CU_ASSERT_FATAL(x != 0);
	for (i = 0; i < 70; i++) {
		m_init(&m, DHCP4_REQUEST, MAC_A);
		m_ciaddr(&m, x);
		n = run(&m, &tx);
		CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	}
	m_init(&m, DHCP4_RELEASE, MAC_A);
	m_ciaddr(&m, x);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	/* gauges are exact at once: a waiting address is not assigned */
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[0].assigned, 0);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);
	CU_ASSERT_EQUAL(dhcp4_worker_poll(F.w), 0);     /* nothing durable yet */

	/* worker 1: B asks for X while the delete is still queued, and is
	 * ACKed (its add record queues behind nothing on ring 1) */
	y = offer_w(w1, MAC_B, x);
	CU_ASSERT(in_pool0(y));
	CU_ASSERT_NOT_EQUAL(y, x);
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, y);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run_w(w1, &m, &tx);
	CU_ASSERT_EQUAL_FATAL(r_type(n), DHCP4_ACK);
	CU_ASSERT_EQUAL(r_yiaddr(), y);

	/* the flusher runs; once the delete is durable, X is free again */
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (i = 0; i < 5000 && !released; i++) {
		struct timespec ts = { 0, 1000000 };

		released = dhcp4_worker_poll(F.w);
		if (!released)
			nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL(released, 1);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 0);
	/* now C on worker 1 gets X */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, x);
	n = run_w(w1, &m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), x);
	m_init(&m, DHCP4_REQUEST, MAC_C);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, x);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run_w(w1, &m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_ACK);
	CU_ASSERT(wait_durable_of(wb, 1, tx.wait_seq));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	dhcp4_worker_free(w1);
	teardown();

	/* restart: replay the file */
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	l = rlease_of_mac(MAC_B);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, y);
	CU_ASSERT_EQUAL(l ? l->state : 0xff, LEASE_STATE_DEFAULT);
	l = rlease_of_mac(MAC_C);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, x);
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_A));
	CU_ASSERT_EQUAL(gauge_sum(false), 2);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
	lease_file_reset();
}

/* Finding 2, persisted: an OFFER through another subnet writes nothing,
 * so a restart still finds the bound lease where it was. */
static void test_discover_elsewhere_persists_nothing(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t x;
	int n;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 256, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	x = dora(MAC_A, 0);
	CU_ASSERT_FATAL(in_pool0(x));
	m_init(&m, DHCP4_DISCOVER, MAC_A);
	m_relay(&m, IP(198, 18, 2, 1));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL(r_type(n), DHCP4_OFFER);
	CU_ASSERT_EQUAL(tx.wait_seq, 0);
	/* a later ACK on the same ring: everything before it is durable too */
	m_init(&m, DHCP4_REQUEST, MAC_B);
	m_ciaddr(&m, IP(198, 18, 0, 19));
	n = run(&m, &tx);
	CU_ASSERT_EQUAL_FATAL(n > 0 ? r_type(n) : n, DHCP4_ACK);
	CU_ASSERT(wait_durable(wb, tx.wait_seq));
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();

	F.rt = dhcp4_runtime_create(&F.c);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(ops->load(be, restore_cb, NULL), 0);
	ops->close(be);
	l = rlease_of_mac(MAC_A);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, x);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
	lease_file_reset();
}

/* A full release queue refuses the change that would free an address:
 * the lease stays, nothing is pushed, the gauges do not move. */
static void test_release_queue_full(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	static const uint8_t macs[3][6] = { { 2, 0, 0, 0, 8, 1 }, { 2, 0, 0, 0, 8, 2 },
					    { 2, 0, 0, 0, 8, 3 } };
	struct lease_backend *be;
	struct wb *wb;
	struct wb_stats ws;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t a[3];
	unsigned i;
	long del;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 64, false);   /* nobody drains */
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker_q(0, 1, wb, 2);
	for (i = 0; i < 3; i++) {
		a[i] = dora(macs[i], 0);
		CU_ASSERT(in_pool0(a[i]));
	}
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 3);
	for (i = 0; i < 3; i++) {
		m_init(&m, DHCP4_RELEASE, macs[i]);
		m_ciaddr(&m, a[i]);
		CU_ASSERT_EQUAL(run(&m, &tx), i < 2 ? 0 : -1);
	}
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 2);
	CU_ASSERT_EQUAL(ST(STAT4_RELEASE_QUEUE_FULL), 1);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, macs[0]));
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, macs[2]));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	/* expiry and lease4-del refuse too, and expiry retries a second later */
	dhcp4_worker_set_now(F.w, T0 + VALID);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 1);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	CU_ASSERT_EQUAL(lease_of_mac(F.w, macs[2])->expire, T0 + VALID + 1);
	CU_ASSERT_EQUAL(dhcp4_expire(F.w, 10), 0);
	{
		struct dhcp4_lease_filter f = { .addr = a[2] };
		unsigned left = 0;

		del = dhcp4_lease_del(F.w, &f, &left);
		CU_ASSERT_EQUAL(del, -ENOBUFS);
		CU_ASSERT_EQUAL(left, 1);            /* the control thread retries on this */
	}
	CU_ASSERT_PTR_NOT_NULL(lease_of_mac(F.w, macs[2]));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 1);
	CU_ASSERT_EQUAL(ST(STAT4_RELEASE_QUEUE_FULL), 3);
	/* the released addresses are still taken: nobody is offered them */
	for (i = 0; i < 2; i++) {
		uint32_t o = offer_w(F.w, MAC_C, a[i]);

		CU_ASSERT(o != a[0] && o != a[1]);
	}
	/* the refusals came from the queue, not from the ring */
	wb_get_stats(wb, &ws);
	CU_ASSERT_EQUAL(ws.ring_full, 0);
	wb_free(wb);
	ops->close(be);
	teardown();
	lease_file_reset();
}

/* Review finding 3: a change whose record cannot be pushed (ring full)
 * leaves memory as the file has it, counted in flush-ring-full: RELEASE
 * and DECLINE are dropped (the client retransmits), expiry retries. */
static void test_ring_full_keeps_leases(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_key k = { .kind = LEASE_KEY_ADDR, .len = 4 };
	uint8_t mac[6] = { 2, 0, 0, 0, 6, 0 };
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct lease4 *l;
	struct msg m;
	uint32_t a[8], na;
	uint64_t full;
	unsigned i, bound = 0;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 4, false);    /* nobody drains */
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	for (i = 0; i < 8; i++) {
		mac[5] = (uint8_t)i;
		a[i] = dora(mac, 0);
		if (!a[i])
			break;
		bound++;
	}
	CU_ASSERT_FATAL(bound >= 2 && bound < 8);       /* the ring is full now */
	full = ST(STAT4_FLUSH_RING_FULL);
	CU_ASSERT(full >= 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, bound + 1);

	/* RELEASE: dropped, lease and bit kept */
	mac[5] = 0;
	m_init(&m, DHCP4_RELEASE, mac);
	m_ciaddr(&m, a[0]);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), full + 1);
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->addr : 0, a[0]);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, bound + 1);
	CU_ASSERT_NOT_EQUAL(offer_w(F.w, MAC_C, a[0]), a[0]);

	/* DECLINE: dropped, the client keeps its lease, nothing held */
	mac[5] = 1;
	m_init(&m, DHCP4_DECLINE, mac);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, a[1]);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), full + 2);
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->state : 0xff, LEASE_STATE_DEFAULT);
	na = htonl(a[1]);
	memcpy(k.data, &na, 4);
	CU_ASSERT_PTR_NULL(lease_table_lookup(dhcp4_worker_leases(F.w), &k));
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].declined, 0);

	/* expiry: nothing reclaimed, every lease retried a second later */
	dhcp4_worker_set_now(F.w, T0 + VALID);
	dhcp4_expire(F.w, 100);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 0);
	mac[5] = 0;
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->expire : 0, T0 + VALID + 1);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, bound + 1);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 0);
	wb_free(wb);
	ops->close(be);
	teardown();
	lease_file_reset();
}

static void test_ring_full(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	uint8_t mac[6] = { 2, 0, 0, 0, 7, 0 };
	unsigned i, acked = 0;
	struct lease4 *l;

	/* commit mode, nobody draining: the ACK that cannot be pushed is not sent */
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 4, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	for (i = 0; i < 6; i++) {
		mac[5] = (uint8_t)i;
		if (dora(mac, 0))
			acked++;
	}
	CU_ASSERT(acked >= 1 && acked < 6);
	CU_ASSERT_EQUAL(ST(STAT4_FLUSH_RING_FULL), 6 - acked);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_ACK_SENT), acked);
	/* the lease itself stands; a retransmission will push again */
	l = lease_of_mac(F.w, mac);
	CU_ASSERT_PTR_NOT_NULL(l);
	CU_ASSERT_EQUAL(l ? l->state : 0xff, LEASE_STATE_DEFAULT);
	wb_free(wb);
	ops->close(be);
	teardown();

	/* write-behind mode: sent anyway, never waits, still counted */
	conf_build(true, false, CONF_DUR_WRITE_BEHIND);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_WRITE_BEHIND, 4, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	for (i = 0, acked = 0; i < 6; i++) {
		mac[5] = (uint8_t)(0x40 + i);
		if (dora_w(F.w, mac, 0, &tx))
			acked++;
		CU_ASSERT_EQUAL(tx.wait_seq, 0);
	}
	CU_ASSERT_EQUAL(acked, 6);
	CU_ASSERT(ST(STAT4_FLUSH_RING_FULL) >= 1);
	wb_free(wb);
	ops->close(be);
	teardown();
}

static struct lease_rec mkrec(uint32_t addr, const uint8_t *mac, uint32_t expire, uint32_t valid,
			      uint8_t state)
{
	struct lease_rec r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.subnet_id = 1;
	r.expire = expire;
	r.valid_lft = valid;
	r.state = state;
	if (mac) {
		r.htype = 1;
		r.hwaddr_len = 6;
		memcpy(r.hwaddr, mac, 6);
	}
	return r;
}

static void test_restore_rules(void)
{
	const uint32_t X = IP(198, 18, 0, 11), Y = IP(198, 18, 0, 12), Z = IP(198, 18, 0, 13);
	const uint32_t V = IP(198, 18, 0, 14), W = IP(198, 18, 0, 200);
	struct lease_rec recs[7];
	struct lease4 *l;
	uint32_t a;
	unsigned i;

	conf_build(true, false, CONF_DUR_MEMORY);
	F.rt = dhcp4_runtime_create(&F.c);
	RW[0] = mkworker(0, 2, NULL);
	RW[1] = mkworker(1, 2, NULL);
	recs[0] = mkrec(X, MAC_A, T0 + 100, 100, 0);
	recs[1] = mkrec(X, MAC_B, T0 + 200, 200, 0);   /* X reused by B: B wins */
	recs[2] = mkrec(Y, MAC_A, T0 + 300, 300, 0);   /* A moves to Y */
	recs[3] = mkrec(Y, MAC_A, T0 + 300, 0, 0);     /* ... and releases it */
	recs[4] = mkrec(Z, MAC_C, T0 - 1, 100, 0);     /* expired: skipped */
	recs[5] = mkrec(W, MAC_C, T0 + 50, 100, 0);    /* outside every pool */
	recs[6] = mkrec(V, NULL, T0 + 60, 600, LEASE_STATE_DECLINED);
	for (i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(restore_cb(&recs[i], NULL), 0);
	CU_ASSERT_PTR_NULL(rlease_of_mac(MAC_A));
	l = rlease_of_mac(MAC_B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, X);
	l = rlease_of_mac(MAC_C);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, W);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(RW[0])) +
			lease_table_count(dhcp4_worker_leases(RW[1])), 3);
	CU_ASSERT_EQUAL(gauge_sum(false), 2);
	CU_ASSERT_EQUAL(gauge_sum(true), 1);
	/* X and V are held, Y and Z are free */
	CU_ASSERT_EQUAL(offer_w(RW[1], MAC_A, Y), Y);
	CU_ASSERT_EQUAL(offer_w(RW[1], MAC_C, Z), Z);
	a = offer_w(RW[0], MAC_RELAY, X);
	CU_ASSERT(in_pool0(a) && a != X && a != V);
	a = offer_w(RW[0], (const uint8_t[6]){ 2, 0, 0, 0, 0, 0xd4 }, V);
	CU_ASSERT(in_pool0(a) && a != X && a != V);
	/* probation ends: the declined address is reclaimed by its holder */
	for (i = 0; i < 2; i++) {
		dhcp4_worker_set_now(RW[i], T0 + 60);
		dhcp4_expire(RW[i], 10);
	}
	CU_ASSERT_EQUAL(dhcp4_worker_stats(RW[0])->c[STAT4_RECLAIMED_DECLINED] +
			dhcp4_worker_stats(RW[1])->c[STAT4_RECLAIMED_DECLINED], 1);
	CU_ASSERT_EQUAL(gauge_sum(true), 0);
	/* and the lease outside the pools expires without touching a bitmap */
	CU_ASSERT_EQUAL(dhcp4_worker_stats(RW[0])->c[STAT4_RECLAIMED_LEASES] +
			dhcp4_worker_stats(RW[1])->c[STAT4_RECLAIMED_LEASES], 1);
	dhcp4_worker_free(RW[0]);
	dhcp4_worker_free(RW[1]);
	dhcp4_runtime_free(F.rt);
	F.rt = NULL;
}

/* ---- control operations and reload (added) --------------------------- */

static int64_t gauge_assigned(struct dhcp4_worker *w, unsigned s)
{
	return dhcp4_worker_stats(w)->subnet[s].assigned;
}

static void test_lease_ops(void)
{
	struct dhcp4_lease_filter f;
	struct lease_rec r, out[8];
	uint64_t seq, matched;
	uint32_t a, b;
	unsigned n;

	setup(true, false);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, 0);
	CU_ASSERT(in_pool0(a) && in_pool0(b));
	/* query: offers are not leases, all filters apply */
	memset(&f, 0, sizeof(f));
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(matched, 2);
	f.addr = b;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(memcmp(out[0].hwaddr, MAC_B, 6) == 0);
	CU_ASSERT_EQUAL(out[0].subnet_id, 1);
	CU_ASSERT_EQUAL(out[0].expire - out[0].valid_lft, T0);
	memset(&f, 0, sizeof(f));
	f.hw_len = 6;
	memcpy(f.hw, MAC_A, 6);
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].addr == a);
	/* paging keeps the lowest addresses above `from` */
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].addr == (a < b ? a : b));
	f.from = a < b ? a : b;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].addr == (a < b ? b : a));
	/* add: bit taken, gauge up; a second add of the address is refused */
	memset(&r, 0, sizeof(r));
	r.addr = IP(198, 18, 0, 19);
	r.htype = 1;
	r.hwaddr_len = 6;
	memcpy(r.hwaddr, MAC_C, 6);
	r.valid_lft = 100;
	r.expire = T0 + 100;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 3);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].cumulative, 3);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[0].assigned, 3);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EEXIST);
	r.addr = a;              /* MAC_C already has .19 */
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EEXIST);
	r.addr = IP(198, 18, 7, 7);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, false, &seq), -EINVAL);
	/* update replaces in place, keeps the bit */
	r.addr = IP(198, 18, 0, 19);
	r.valid_lft = 200;
	r.expire = T0 + 200;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), 0);
	memset(&f, 0, sizeof(f));
	f.addr = r.addr;
	n = dhcp4_lease_query(F.w, &f, out, 8, &matched);
	CU_ASSERT(n == 1 && out[0].valid_lft == 200);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 3);
	/* the address is not free to DISCOVER: a new client gets another */
	CU_ASSERT_NOT_EQUAL(offer_w(F.w, (const uint8_t[6]){ 2, 0, 0, 0, 1, 1 }, r.addr), r.addr);
	r.addr = IP(198, 18, 0, 18);
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), -ENOENT);
	/* delete by address, then wipe the subnet */
	memset(&f, 0, sizeof(f));
	f.addr = a;
	{
		unsigned left = 7;

		CU_ASSERT_EQUAL(dhcp4_lease_del(F.w, &f, &left), 1);
		CU_ASSERT_EQUAL(left, 0);
	}
	CU_ASSERT_EQUAL(dhcp4_lease_del(F.w, &f, NULL), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 2);
	memset(&f, 0, sizeof(f));
	f.subnet_ids[0] = 1;
	f.n_subnet_ids = 1;
	CU_ASSERT_EQUAL(dhcp4_lease_del(F.w, &f, NULL), 2);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[0].assigned, 0);
	/* every address is free again except the pending offer's: 9 of 10 */
	for (n = 0; n < 9; n++)
		CU_ASSERT(in_pool0(dora((const uint8_t[6]){ 2, 0, 0, 0, 2, (uint8_t)n }, 0)));
	teardown();
}

static void test_lease_reclaim(void)
{
	unsigned n;

	setup(true, false);
	dora(MAC_A, 0);
	dora(MAC_B, 0);
	dhcp4_worker_set_now(F.w, T0 + VALID + 1);
	n = dhcp4_lease_reclaim(F.w, 1000);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(lease_table_count(dhcp4_worker_leases(F.w)), 0);
	CU_ASSERT_EQUAL(ST(STAT4_RECLAIMED_LEASES), 2);
	teardown();
}

/* Reload: subnet 1's pool is unchanged (carried: its bitmap moves with
 * the leases' bits), subnet 2's pool grows (a new bitmap, bits claimed by
 * the remap), subnet 3 goes away (its lease is kept, orphaned). */
/* An address waiting for its durable delete stays taken across a reload
 * that replaces its pool (new bitmap), and is given back there later. */
static void test_reconfigure_pending(void)
{
	const struct lease_backend_ops *ops = lease_backend_find("memfile");
	static struct conf nc;
	static struct conf_subnet nsub[3];
	static struct conf_pool npools[3];
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };
	struct lease_backend *be;
	struct wb *wb;
	struct dhcp4_tx tx;
	struct msg m;
	uint32_t b, o;
	unsigned i, released = 0;

	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	wb = wb_open(ops, be, CONF_DUR_COMMIT, 64, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	F.w = mkworker(0, 1, wb);
	b = dora(MAC_B, IP(198, 18, 2, 1));
	CU_ASSERT_FATAL(b >= IP(198, 18, 2, 10) && b <= IP(198, 18, 2, 12));
	m_init(&m, DHCP4_RELEASE, MAC_B);
	m_relay(&m, IP(198, 18, 2, 1));
	m_ciaddr(&m, b);
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);

	nc = F.c;
	memcpy(nsub, F.subnets, sizeof(nsub));
	memcpy(npools, F.pools, sizeof(npools));
	npools[1].last = IP(198, 18, 2, 40);        /* subnet 2's pool: a new bitmap */
	for (i = 0; i < 3; i++)
		nsub[i].pools = &npools[i];
	nc.subnets = nsub;
	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(nrt), 2);
	rc.conf = &nc;
	rc.rt = nrt;
	rc.subnet = calloc(3, sizeof(*rc.subnet));
	rc.pool = calloc(3, sizeof(*rc.pool));
	rc.cursor = calloc(3, sizeof(*rc.cursor));
	CU_ASSERT_EQUAL_FATAL(dhcp4_worker_reconfigure(F.w, &rc), 0);
	CU_ASSERT_EQUAL(rc.conflicts, 0);
	free(rc.subnet);
	free(rc.pool);
	free(rc.cursor);
	dhcp4_runtime_commit(nrt);
	dhcp4_runtime_free(F.rt);
	F.rt = nrt;
	CU_ASSERT_EQUAL(dhcp4_worker_pending(F.w), 1);
	/* still taken in the new bitmap */
	m_init(&m, DHCP4_DISCOVER, MAC_C);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(r_type(run(&m, &tx)), DHCP4_OFFER);
	o = r_yiaddr();
	CU_ASSERT(o != b && o >= IP(198, 18, 2, 10) && o <= IP(198, 18, 2, 40));
	/* the flusher runs: given back to the new bitmap */
	CU_ASSERT_EQUAL_FATAL(wb_start(wb), 0);
	for (i = 0; i < 5000 && !released; i++) {
		struct timespec ts = { 0, 1000000 };

		released = dhcp4_worker_poll(F.w);
		if (!released)
			nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL(released, 1);
	m_init(&m, DHCP4_DISCOVER, MAC_RELAY);
	m_relay(&m, IP(198, 18, 2, 1));
	m_addr(&m, DHCP4_OPT_REQ_ADDR, b);
	CU_ASSERT_EQUAL(r_type(run(&m, &tx)), DHCP4_OFFER);
	CU_ASSERT_EQUAL(r_yiaddr(), b);
	wb_stop(wb);
	wb_free(wb);
	ops->close(be);
	teardown();
	lease_file_reset();
}

static void test_reconfigure(void)
{
	static struct conf nc;
	static struct conf_subnet nsub[3];
	static struct conf_pool npools[3];
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };
	struct dhcp4_lease_filter f;
	struct lease_rec out[4];
	uint64_t matched;
	uint32_t a, b, c, p;
	unsigned n;

	setup(true, false);
	a = dora(MAC_A, 0);
	b = dora(MAC_B, IP(198, 18, 2, 1));
	c = dora(MAC_C, IP(198, 18, 3, 1));
	CU_ASSERT(in_pool0(a));
	CU_ASSERT(b >= IP(198, 18, 2, 10) && b <= IP(198, 18, 2, 12));
	CU_ASSERT(c >= IP(198, 18, 3, 10) && c <= IP(198, 18, 3, 20));

	nc = F.c;
	subnet(&nsub[0], 1, IP(198, 18, 0, 0), &npools[0], IP(198, 18, 0, 10), IP(198, 18, 0, 19), 0);
	nsub[0].options = F.subnets[0].options;
	subnet(&nsub[1], 2, IP(198, 18, 2, 0), &npools[1], IP(198, 18, 2, 10), IP(198, 18, 2, 40), -1);
	nsub[1].relay_addrs = F.relays;
	nsub[1].n_relay_addrs = 1;
	subnet(&nsub[2], 4, IP(198, 18, 4, 0), &npools[2], IP(198, 18, 4, 10), IP(198, 18, 4, 20), -1);
	nsub[2].valid_lifetime = 77;
	nc.subnets = nsub;
	nc.n_subnets = 3;

	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(nrt), 1);
	/* a reload given up hands the carried pool back: old one still works */
	dhcp4_runtime_free(nrt);
	CU_ASSERT_NOT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 3, 1 }, 0), 0);
	nrt = dhcp4_runtime_create_from(&nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);

	rc.conf = &nc;
	rc.rt = nrt;
	rc.subnet = calloc(3, sizeof(*rc.subnet));
	rc.pool = calloc(3, sizeof(*rc.pool));
	rc.cursor = calloc(3, sizeof(*rc.cursor));
	CU_ASSERT_EQUAL_FATAL(dhcp4_worker_reconfigure(F.w, &rc), 0);
	CU_ASSERT_EQUAL(rc.leases, 4);
	CU_ASSERT_EQUAL(rc.orphaned, 1);          /* c: subnet 3 is gone */
	CU_ASSERT_EQUAL(rc.conflicts, 0);
	free(rc.subnet);
	free(rc.pool);
	free(rc.cursor);
	dhcp4_runtime_commit(nrt);
	dhcp4_runtime_free(F.rt);                  /* must not free the carried pool */
	F.rt = nrt;

	/* gauges recounted on the new layout; cumulative carried by id */
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 0), 2);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 1);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 2), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].cumulative, 2);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->pool[1].assigned, 1);
	/* the orphan is kept, with its old subnet id */
	memset(&f, 0, sizeof(f));
	f.addr = c;
	n = dhcp4_lease_query(F.w, &f, out, 4, &matched);
	CU_ASSERT(n == 1 && out[0].subnet_id == 3);
	/* leases keep working: renewals in the carried and the new pool */
	CU_ASSERT_EQUAL(dora(MAC_A, 0), a);
	CU_ASSERT_EQUAL(dora(MAC_B, IP(198, 18, 2, 1)), b);
	/* the new bitmaps know the old leases: 31 more clients through the
	 * relay get 31 distinct addresses, none of them b's, then none */
	for (p = 0; p < 30; p++) {
		uint32_t x = dora((const uint8_t[6]){ 2, 0, 0, 0, 4, (uint8_t)p }, IP(198, 18, 2, 1));

		CU_ASSERT(x >= IP(198, 18, 2, 10) && x <= IP(198, 18, 2, 40) && x != b);
	}
	CU_ASSERT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 4, 99 }, IP(198, 18, 2, 1)), 0);
	CU_ASSERT_EQUAL(gauge_assigned(F.w, 1), 31);
	/* the carried pool still holds a's bit: it is not handed out */
	for (p = 0; p < 8; p++)
		CU_ASSERT_NOT_EQUAL(dora((const uint8_t[6]){ 2, 0, 0, 0, 5, (uint8_t)p }, 0), a);
	teardown();
}

/* ---- issue 4: classes, reservations, precedence, shared networks ------
 * These configurations go through conf_load, so classes, option-def,
 * reservations and shared networks are parsed exactly as in production. */

#define XHEAD "dpdk = { lcores = \"0,1\"; };\n" \
	"interfaces = ( { name = \"lan\"; device = \"net_null0\"; address = \"198.18.0.1/24\"; } );\n" \
	"valid-lifetime = 4000;\n"

static struct conf *XC;

static void xsetup(const char *text)
{
	char path[128], err[512];
	FILE *f;

	memset(&F, 0, sizeof(F));
	snprintf(path, sizeof(path), "%s/x.conf", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(XHEAD, f);
	fputs(text, f);
	fclose(f);
	XC = conf_load(path, err, sizeof(err));
	if (!XC)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(XC);
	F.rt = dhcp4_runtime_create(XC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	{
		struct dhcp4_worker_params p = { .id = 0, .n_workers = 1, .conf = XC, .rt = F.rt,
						 .lease_capacity = 64 };

		F.w = dhcp4_worker_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(F.w);
		dhcp4_worker_set_now(F.w, T0);
	}
}

static void xteardown(void)
{
	teardown();
	conf_free(XC);
	XC = NULL;
}

/* What a test client sends besides its MAC. */
struct cl {
	const char *vci;                /* option 60 */
	const uint8_t *cid;             /* option 61 */
	uint8_t cid_len;
	const char *circuit;            /* option 82 sub-option 1 (with giaddr) */
	uint32_t giaddr;
	const uint8_t *prl;             /* option 55 */
	uint8_t prl_len;
	const char *hostname;           /* option 12 */
};

static void m_client(struct msg *m, uint8_t type, const uint8_t mac[6], const struct cl *c)
{
	m_init(m, type, mac);
	if (!c)
		return;
	if (c->vci)
		m_opt(m, DHCP4_OPT_VENDOR_CLASS, c->vci, (uint8_t)strlen(c->vci));
	if (c->cid)
		m_opt(m, DHCP4_OPT_CLIENT_ID, c->cid, c->cid_len);
	if (c->prl)
		m_opt(m, DHCP4_OPT_PRL, c->prl, c->prl_len);
	if (c->hostname)
		m_opt(m, DHCP4_OPT_HOSTNAME, c->hostname, (uint8_t)strlen(c->hostname));
	if (c->giaddr)
		m_relay(m, c->giaddr);
	if (c->circuit) {
		uint8_t rai[64];
		size_t n = strlen(c->circuit);

		rai[0] = 1;
		rai[1] = (uint8_t)n;
		memcpy(rai + 2, c->circuit, n);
		m_opt(m, DHCP4_OPT_RAI, rai, (uint8_t)(n + 2));
	}
}

/* DISCOVER + REQUEST; returns the ACK's length (the reply is in out[]) and
 * the bound address in *a, or <= 0 with *a = 0. */
static int xdora(const uint8_t mac[6], const struct cl *c, uint32_t *a)
{
	struct dhcp4_tx tx;
	struct msg m;
	int n;

	*a = 0;
	m_client(&m, DHCP4_DISCOVER, mac, c);
	n = run(&m, &tx);
	if (n <= 0 || r_type(n) != DHCP4_OFFER)
		return n <= 0 ? n : -2;
	m_client(&m, DHCP4_REQUEST, mac, c);
	m_addr(&m, DHCP4_OPT_REQ_ADDR, r_yiaddr());
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	n = run(&m, &tx);
	if (n <= 0 || r_type(n) != DHCP4_ACK)
		return n <= 0 ? n : -3;
	*a = r_yiaddr();
	return n;
}

static uint32_t xaddr(const uint8_t mac[6], const struct cl *c)
{
	uint32_t a;

	xdora(mac, c, &a);
	return a;
}

static const uint8_t *MACN(unsigned i)
{
	static uint8_t m[64][6];

	m[i & 63][0] = 2;
	m[i & 63][4] = 0x77;
	m[i & 63][5] = (uint8_t)i;
	return m[i & 63];
}

/* The reply option's text, "" if absent. */
static const char *r_text(int n, uint8_t code)
{
	static char buf[256];
	uint8_t l = 0;
	const uint8_t *v = r_opt(n, code, &l);

	buf[0] = '\0';
	if (v) {
		memcpy(buf, v, l);
		buf[l] = '\0';
	}
	return buf;
}

static void test_class_pools(void)
{
	const struct cl phone = { .vci = "phone-x100" };
	uint32_t a;
	unsigned i;

	xsetup("client-classes = ( { name = \"phones\"; test = \"substring(option[60].hex, 0, 5) == 'phone'\"; } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"phones\"; },\n"
	       "            { pool = \"198.18.0.20 - 198.18.0.21\"; } ); } );\n");
	/* members land in their pool, others in the open one */
	a = xaddr(MAC_A, &phone);
	CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	a = xaddr(MAC_B, NULL);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 21));
	a = xaddr(MAC_C, NULL);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 21));
	/* the open pool is full: a non-member gets nothing from the class pool */
	CU_ASSERT_EQUAL(xaddr(MACN(1), NULL), 0);
	CU_ASSERT_EQUAL(ST(STAT4_V4_ALLOCATION_FAIL), 1);
	/* ... and cannot take a class-pool address by asking for it */
	{
		struct dhcp4_tx tx;
		struct msg m;
		int n;

		m_init(&m, DHCP4_DISCOVER, MACN(2));
		m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
		n = run(&m, &tx);
		CU_ASSERT_EQUAL(n, 0);
	}
	/* members still get the rest of their pool */
	for (i = 0; i < 9; i++) {
		a = xaddr(MACN(10 + i), &phone);
		CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	}
	xteardown();

	/* the builtin VENDOR_CLASS_<option 60> works as a pool's class */
	xsetup("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; client-class = \"VENDOR_CLASS_phone-x100\"; },\n"
	       "            { pool = \"198.18.0.20 - 198.18.0.21\"; } ); } );\n");
	a = xaddr(MAC_B, NULL);
	CU_ASSERT(a >= IP(198, 18, 0, 20) && a <= IP(198, 18, 0, 21));
	a = xaddr(MAC_A, &phone);
	CU_ASSERT(a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19));
	xteardown();
}

static void test_drop_class(void)
{
	static const uint8_t bad[6] = { 0x0a, 0x0b, 0x0c, 0, 0, 1 };
	struct dhcp4_tx tx;
	struct msg m;
	uint64_t drops;

	xsetup("client-classes = ( { name = \"DROP\"; test = \"substring(pkt4.mac, 0, 3) == 0x0a0b0c\"; } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	drops = ST(STAT4_PKT4_RECEIVE_DROP);
	m_init(&m, DHCP4_DISCOVER, bad);
	CU_ASSERT_EQUAL(run(&m, &tx), -1);
	CU_ASSERT_EQUAL(ST(STAT4_DROP_CLASS), 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_RECEIVE_DROP), drops + 1);
	CU_ASSERT_EQUAL(ST(STAT4_PKT4_OFFER_SENT), 0);
	CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_DROP_CLASS], "drop-class");
	/* another client is served */
	CU_ASSERT_NOT_EQUAL(xaddr(MAC_A, NULL), 0);
	CU_ASSERT_EQUAL(ST(STAT4_DROP_CLASS), 1);
	/* the same prefix again: answered by the classification cache, and
	 * still dropped */
	{
		static const uint8_t bad2[6] = { 0x0a, 0x0b, 0x0c, 0, 0, 2 };
		uint64_t hits = ST(STAT4_CLASS_CACHE_HITS);

		m_init(&m, DHCP4_DISCOVER, bad2);
		CU_ASSERT_EQUAL(run(&m, &tx), -1);
		CU_ASSERT_EQUAL(ST(STAT4_DROP_CLASS), 2);
		CU_ASSERT_EQUAL(ST(STAT4_CLASS_CACHE_HITS), hits + 1);
		CU_ASSERT_TRUE(ST(STAT4_CLASS_CACHE_MISSES) >= 2);   /* bad, MAC_A */
		CU_ASSERT_STRING_EQUAL(stats4_names[STAT4_CLASS_CACHE_HITS], "class-cache-hits");
	}
	xteardown();
}

static void test_known_unknown(void)
{
	static const uint8_t prl[] = { 15 };
	const struct cl c = { .prl = prl, .prl_len = 1 };
	int n;
	uint32_t a;

	xsetup("client-classes = (\n"
	       " { name = \"k\"; test = \"member('KNOWN')\";\n"
	       "   option-data = ( { name = \"domain-name\"; data = \"known.example\"; } ); },\n"
	       " { name = \"u\"; test = \"not member('KNOWN')\";\n"
	       "   option-data = ( { name = \"domain-name\"; data = \"unknown.example\"; } ); } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  reservations = ( { hw-address = \"02:00:00:00:00:a1\"; hostname = \"alpha\"; } );\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "known.example");
	n = xdora(MAC_B, &c, &a);
	CU_ASSERT(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "unknown.example");
	xteardown();
}

/* The lease records a hostname: the reservation's, else the client's
 * option 12, else none; lease commands and restore carry it, and the
 * file's DNS update flags. */
static void test_lease_hostname(void)
{
	const struct cl named = { .hostname = "laptop-7" }, plain = { 0 };
	struct dhcp4_lease_filter f;
	struct lease_rec out[2], r;
	uint64_t matched, seq;
	uint32_t a;

	xsetup("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  reservations = ( { hw-address = \"02:00:00:00:00:a1\"; hostname = \"alpha\"; } );\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	memset(&f, 0, sizeof(f));
	/* the client's own name */
	CU_ASSERT(xdora(MAC_B, &named, &a) > 0);
	f.addr = a;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_EQUAL(out[0].hostname_len, 8);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "laptop-7");
	/* renewed without option 12: no name any more (Kea without DDNS) */
	CU_ASSERT(xdora(MAC_B, &plain, &a) > 0);
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_EQUAL(out[0].hostname_len, 0);
	/* the reservation's name wins over the client's */
	CU_ASSERT(xdora(MAC_A, &named, &a) > 0);
	f.addr = a;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "alpha");
	/* lease4-update and restore take the record's name */
	r = out[0];
	snprintf(r.hostname, sizeof(r.hostname), "renamed");
	r.hostname_len = 7;
	CU_ASSERT_EQUAL(dhcp4_lease_add(F.w, &r, true, &seq), 0);
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "renamed");
	r.addr = IP(198, 18, 0, 19);
	r.hwaddr[5] = 0x77;
	snprintf(r.hostname, sizeof(r.hostname), "from-file");
	r.hostname_len = 9;
	r.fqdn_fwd = 1;
	r.fqdn_rev = 0;
	CU_ASSERT_EQUAL(dhcp4_restore(F.w, &r), 0);
	f.addr = r.addr;
	CU_ASSERT_EQUAL_FATAL(dhcp4_lease_query(F.w, &f, out, 2, &matched), 1);
	CU_ASSERT_STRING_EQUAL(out[0].hostname, "from-file");
	/* a Kea file's DNS flags read back as they were */
	CU_ASSERT_EQUAL(out[0].fqdn_fwd, 1);
	CU_ASSERT_EQUAL(out[0].fqdn_rev, 0);
	xteardown();
}

static void test_reserved_addresses(void)
{
	static const uint8_t prl[] = { 12 };
	const struct cl c = { .prl = prl, .prl_len = 1 };
	uint32_t a, seen[16];
	unsigned i, got = 0;
	int n;

	xsetup("subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  reservations = (\n"
	       "    { hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.15\"; hostname = \"in-pool\"; },\n"
	       "    { hw-address = \"02:00:00:00:00:b2\"; ip-address = \"198.18.0.100\"; } );\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	/* nine other clients exhaust the pool without ever getting .15 */
	for (i = 0; i < 10; i++) {
		a = xaddr(MACN(i), NULL);
		if (a) {
			CU_ASSERT_NOT_EQUAL(a, IP(198, 18, 0, 15));
			seen[got++] = a;
		}
	}
	CU_ASSERT_EQUAL(got, 9);
	/* asking for it does not help either */
	{
		struct dhcp4_tx tx;
		struct msg m;

		m_init(&m, DHCP4_DISCOVER, MACN(40));
		m_addr(&m, DHCP4_OPT_REQ_ADDR, IP(198, 18, 0, 15));
		CU_ASSERT_EQUAL(run(&m, &tx), 0);
	}
	/* the reserved clients get theirs, in the pool and outside it */
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_EQUAL(a, IP(198, 18, 0, 15));
	CU_ASSERT_STRING_EQUAL(r_text(n, 12), "in-pool");
	CU_ASSERT_EQUAL(xaddr(MAC_B, NULL), IP(198, 18, 0, 100));
	/* released, the reserved address is still nobody else's */
	{
		struct dhcp4_tx tx;
		struct msg m;

		m_init(&m, DHCP4_RELEASE, MAC_A);
		m_ciaddr(&m, IP(198, 18, 0, 15));
		m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
		CU_ASSERT_EQUAL(run(&m, &tx), 0);
		CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MAC_A));
	}
	CU_ASSERT_EQUAL(xaddr(MACN(41), NULL), 0);
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), IP(198, 18, 0, 15));
	CU_ASSERT_NOT_EQUAL(seen[0], IP(198, 18, 0, 15));
	xteardown();
}

static void test_reservation_identifiers(void)
{
	static const uint8_t cid1[] = { 1, 2, 0, 0, 0, 0, 0xc3 };
	static const uint8_t cid2[] = { 1, 2, 0, 0, 0, 0, 0xc4 };
	const struct cl both = { .cid = cid1, .cid_len = 7, .circuit = "port-7", .giaddr = IP(198, 18, 0, 2) };
	const struct cl only_cid = { .cid = cid2, .cid_len = 7 };
	const struct cl flex = { .vci = "flexy" };
	const char *hosts =
		"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
		"  reservations = (\n"
		"    { client-id = \"01:02:00:00:00:00:c3\"; ip-address = \"198.18.0.30\"; },\n"
		"    { circuit-id = \"'port-7'\"; ip-address = \"198.18.0.31\"; },\n"
		"    { flex-id = \"'flexy'\"; ip-address = \"198.18.0.32\"; },\n"
		"    { client-id = \"01:02:00:00:00:00:c4\"; ip-address = \"198.18.0.33\"; } );\n"
		"  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n"
		"flex-id-expression = \"option[60].hex\";\n";
	char text[2048];

	snprintf(text, sizeof(text), "host-reservation-identifiers = [ \"circuit-id\", \"client-id\", \"flex-id\" ];\n%s", hosts);
	xsetup(text);
	CU_ASSERT_EQUAL(xaddr(MAC_A, &both), IP(198, 18, 0, 31));    /* circuit-id first */
	CU_ASSERT_EQUAL(xaddr(MAC_B, &only_cid), IP(198, 18, 0, 33));
	CU_ASSERT_EQUAL(xaddr(MAC_C, &flex), IP(198, 18, 0, 32));
	xteardown();

	snprintf(text, sizeof(text), "host-reservation-identifiers = [ \"client-id\", \"circuit-id\", \"flex-id\" ];\n%s", hosts);
	xsetup(text);
	CU_ASSERT_EQUAL(xaddr(MAC_A, &both), IP(198, 18, 0, 30));    /* client-id first */
	xteardown();
}

/* One ACK, and the value of options 6, 15 and 3 in it. */
static void prec_check(const char *mode, const char *want15, uint8_t want6, uint8_t want3)
{
	static const uint8_t prl[] = { 3, 6, 15 };
	const struct cl c = { .vci = "pxe", .prl = prl, .prl_len = 3 };
	char text[4096];
	uint8_t l;
	const uint8_t *v;
	uint32_t a;
	int n;

	snprintf(text, sizeof(text),
		 "option-precedence = \"%s\";\n"
		 "option-data = ( { name = \"domain-name\"; data = \"global.example\"; },\n"
		 "                { name = \"domain-name-servers\"; data = \"198.18.0.50\"; } );\n"
		 "client-classes = ( { name = \"pxe\"; test = \"option[60].text == 'pxe'\";\n"
		 "  option-data = ( { name = \"domain-name\"; data = \"class.example\"; },\n"
		 "                  { name = \"domain-name-servers\"; data = \"198.18.0.51\"; },\n"
		 "                  { name = \"routers\"; data = \"198.18.0.251\"; } ); } );\n"
		 "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
		 "  option-data = ( { name = \"domain-name\"; data = \"subnet.example\"; } );\n"
		 "  reservations = ( { hw-address = \"02:00:00:00:00:a1\";\n"
		 "    option-data = ( { name = \"routers\"; data = \"198.18.0.254\"; } ); } );\n"
		 "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\";\n"
		 "    option-data = ( { name = \"domain-name-servers\"; data = \"198.18.0.52\"; } ); } ); } );\n",
		 mode);
	xsetup(text);
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), want15);
	v = r_opt(n, 6, &l);
	CU_ASSERT(v && l == 4 && v[3] == want6);
	v = r_opt(n, 3, &l);
	CU_ASSERT(v && l == 4 && v[3] == want3);
	xteardown();
}

static void test_option_precedence(void)
{
	/* Kea: host > pool > subnet > class > global */
	prec_check("kea", "subnet.example", 52, 254);
	/* isc-dhcpd: host > class > pool > subnet > global */
	prec_check("isc-dhcpd", "class.example", 51, 254);
}

static void test_shared_network(void)
{
	uint32_t a;
	int n;

	xsetup("shared-networks = ( { name = \"floor\"; interface = \"lan\";\n"
	       "  option-data = ( { name = \"domain-name\"; data = \"floor.example\"; always-send = true; } );\n"
	       "  subnet4 = (\n"
	       "   { id = 1; subnet = \"198.18.0.0/24\"; pools = ( { pool = \"198.18.0.10 - 198.18.0.11\"; } ); },\n"
	       "   { id = 2; subnet = \"198.18.1.0/24\"; pools = ( { pool = \"198.18.1.10 - 198.18.1.11\"; } );\n"
	       "     option-data = ( { name = \"routers\"; data = \"198.18.1.1\"; always-send = true; } ); } ); } );\n");
	CU_ASSERT_EQUAL(XC->n_subnets, 2);
	CU_ASSERT(xaddr(MACN(1), NULL) >> 8 == IP(198, 18, 0, 0) >> 8);
	CU_ASSERT(xaddr(MACN(2), NULL) >> 8 == IP(198, 18, 0, 0) >> 8);
	n = xdora(MACN(3), NULL, &a);
	CU_ASSERT(a >> 8 == IP(198, 18, 1, 0) >> 8);
	/* the reply is subnet 2's (router), with the shared network's option */
	CU_ASSERT_EQUAL(r_u32(n, 3), IP(198, 18, 1, 1));
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "floor.example");
	CU_ASSERT_EQUAL(r_u32(n, DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
	CU_ASSERT(xaddr(MACN(4), NULL) >> 8 == IP(198, 18, 1, 0) >> 8);
	CU_ASSERT_EQUAL(xaddr(MACN(5), NULL), 0);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[0].assigned, 2);
	CU_ASSERT_EQUAL(dhcp4_worker_stats(F.w)->subnet[1].assigned, 2);
	/* the renewal of a subnet-2 lease stays in subnet 2 */
	CU_ASSERT(xaddr(MACN(3), NULL) == a);
	xteardown();

	/* a class-restricted subnet in a shared network only takes members */
	xsetup("client-classes = ( { name = \"cams\"; test = \"option[60].text == 'cam'\"; } );\n"
	       "shared-networks = ( { name = \"floor\"; interface = \"lan\"; subnet4 = (\n"
	       "   { id = 1; subnet = \"198.18.0.0/24\"; client-class = \"cams\";\n"
	       "     pools = ( { pool = \"198.18.0.10 - 198.18.0.11\"; } ); },\n"
	       "   { id = 2; subnet = \"198.18.1.0/24\"; pools = ( { pool = \"198.18.1.10 - 198.18.1.11\"; } ); } ); } );\n");
	{
		const struct cl cam = { .vci = "cam" };

		CU_ASSERT(xaddr(MACN(1), NULL) >> 8 == IP(198, 18, 1, 0) >> 8);
		CU_ASSERT(xaddr(MACN(2), &cam) >> 8 == IP(198, 18, 0, 0) >> 8);
	}
	xteardown();
}

static void test_required_classes(void)
{
	static const uint8_t prl[] = { 15, 42, 66 };
	const struct cl c = { .prl = prl, .prl_len = 3 };
	int n;
	uint32_t a;

	xsetup("client-classes = (\n"
	       " { name = \"req\"; test = \"pkt4.htype == 1\"; only-if-required = true;\n"
	       "   option-data = ( { name = \"domain-name\"; data = \"required.example\"; } ); },\n"
	       " { name = \"poolreq\"; test = \"'a' == 'a'\"; only-if-required = true;\n"
	       "   option-data = ( { name = \"tftp-server-name\"; data = \"tftp.example\"; } ); },\n"
	       " { name = \"unreq\"; test = \"'a' == 'a'\"; only-if-required = true;\n"
	       "   option-data = ( { name = \"ntp-servers\"; data = \"198.18.0.123\"; } ); } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  require-client-classes = [ \"req\" ];\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; require-client-classes = [ \"poolreq\" ]; } ); } );\n");
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_STRING_EQUAL(r_text(n, 15), "required.example");
	CU_ASSERT_STRING_EQUAL(r_text(n, 66), "tftp.example");
	CU_ASSERT_PTR_NULL(r_opt(n, 42, NULL));     /* never required: not evaluated */
	xteardown();
}

static void test_vendor_route_options(void)
{
	static const uint8_t prl[] = { 43, 121, 125 };
	static const uint8_t o43[] = { 1, 4, 10, 0, 0, 1 };
	static const uint8_t o121[] = { 8, 10, 198, 18, 0, 1 };
	static const uint8_t o125[] = { 0, 0, 0x11, 0x8b, 3, 1, 1, 5 };
	const struct cl c = { .prl = prl, .prl_len = 3 };
	const uint8_t *v;
	uint8_t l;
	uint32_t a;
	int n;

	xsetup("option-def = (\n"
	       " { name = \"tftp\"; code = 1; type = \"ipv4-address\"; space = \"vendor-encapsulated-options-space\"; },\n"
	       " { name = \"cfg-ver\"; code = 1; type = \"uint8\"; space = \"vendor-4491\"; } );\n"
	       "option-data = (\n"
	       " { name = \"vendor-encapsulated-options\"; },\n"
	       " { name = \"tftp\"; space = \"vendor-encapsulated-options-space\"; data = \"10.0.0.1\"; },\n"
	       " { name = \"vivso-suboptions\"; data = \"4491\"; },\n"
	       " { name = \"cfg-ver\"; space = \"vendor-4491\"; data = \"5\"; },\n"
	       " { name = \"classless-static-route\"; data = \"10.0.0.0/8 - 198.18.0.1\"; } );\n"
	       "subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n"
	       "  pools = ( { pool = \"198.18.0.10 - 198.18.0.19\"; } ); } );\n");
	n = xdora(MAC_A, &c, &a);
	CU_ASSERT_FATAL(n > 0);
	v = r_opt(n, 43, &l);
	CU_ASSERT(v && l == sizeof(o43) && !memcmp(v, o43, l));
	v = r_opt(n, 121, &l);
	CU_ASSERT(v && l == sizeof(o121) && !memcmp(v, o121, l));
	v = r_opt(n, 125, &l);
	CU_ASSERT(v && l == sizeof(o125) && !memcmp(v, o125, l));
	xteardown();
}

static struct conf *xload(const char *text)
{
	char path[128], err[512];
	struct conf *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/x2.conf", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(XHEAD, f);
	fputs(text, f);
	fclose(f);
	c = conf_load(path, err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n%s\n", err);
	return c;
}

/* Reload the worker onto config text (after building and giving up a
 * runtime for config `abandoned`, when given); the old config is freed. */
static void xreload(const char *text, const char *abandoned)
{
	struct conf *nc;
	struct dhcp4_runtime *nrt;
	struct dhcp4_reconf rc = { 0 };

	if (abandoned) {
		nc = xload(abandoned);
		CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
		nrt = dhcp4_runtime_create_from(nc, F.rt);
		CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
		dhcp4_runtime_free(nrt);
		conf_free(nc);
	}
	nc = xload(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
	nrt = dhcp4_runtime_create_from(nc, F.rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	rc.conf = nc;
	rc.rt = nrt;
	rc.subnet = calloc(nc->n_subnets, sizeof(*rc.subnet));
	rc.pool = calloc(dhcp4_runtime_pool_count(nrt), sizeof(*rc.pool));
	rc.cursor = calloc(dhcp4_runtime_pool_count(nrt), sizeof(*rc.cursor));
	CU_ASSERT_EQUAL_FATAL(dhcp4_worker_reconfigure(F.w, &rc), 0);
	CU_ASSERT_EQUAL(rc.conflicts, 0);
	free(rc.subnet);
	free(rc.pool);
	free(rc.cursor);
	dhcp4_runtime_commit(nrt);
	dhcp4_runtime_free(F.rt);
	F.rt = nrt;
	conf_free(XC);
	XC = nc;
}

#define RSUB(res) \
	"subnet4 = ( { id = 1; subnet = \"198.18.0.0/24\"; interface = \"lan\";\n" \
	"  reservations = ( " res " );\n" \
	"  pools = ( { pool = \"198.18.0.10 - 198.18.0.13\"; } ); } );\n"

/* Reservations across a reload of a carried pool: a new one takes its
 * free address at once (even if the reload was first given up: nothing
 * leaks), a dropped one without a lease is free again, a dropped one with a
 * lease stays that client's. */
static void test_reload_reservations(void)
{
	uint32_t a;
	unsigned i;

	xsetup(RSUB("{ hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.13\"; }"));
	for (i = 0; i < 3; i++)
		CU_ASSERT_NOT_EQUAL(xaddr(MACN(i), NULL), 0);
	CU_ASSERT_EQUAL(xaddr(MACN(3), NULL), 0);       /* .13 is reserved */
	/* reload: .13 no longer reserved (no lease): it is free again */
	xreload(RSUB("{ hw-address = \"02:00:00:00:00:b2\"; ip-address = \"198.18.0.100\"; }"), NULL);
	CU_ASSERT_EQUAL(dhcp4_runtime_carried(F.rt), 1);
	CU_ASSERT_EQUAL(xaddr(MACN(3), NULL), IP(198, 18, 0, 13));
	CU_ASSERT_EQUAL(xaddr(MAC_B, NULL), IP(198, 18, 0, 100));
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), 0);         /* pool full, no reservation */
	/* reload: .100 dropped while MAC_B holds it: MAC_B keeps it */
	xreload(RSUB("{ hw-address = \"02:00:00:00:00:c3\"; ip-address = \"198.18.0.50\"; }"), NULL);
	a = xaddr(MAC_B, NULL);
	CU_ASSERT_EQUAL(a, IP(198, 18, 0, 100));
	CU_ASSERT_EQUAL(xaddr(MAC_C, NULL), IP(198, 18, 0, 50));
	xteardown();

	/* a reload that would have reserved .11 is given up (its claim is
	 * undone: .11 stays usable); the real one reserves .12, which then
	 * goes to its client only */
	xsetup(RSUB(""));
	CU_ASSERT_NOT_EQUAL(xaddr(MACN(0), NULL), 0);
	xreload(RSUB("{ hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.12\"; }"),
		RSUB("{ hw-address = \"02:00:00:00:00:b2\"; ip-address = \"198.18.0.11\"; }"));
	CU_ASSERT_EQUAL(xaddr(MACN(1), NULL), IP(198, 18, 0, 11));
	CU_ASSERT_EQUAL(xaddr(MACN(2), NULL), IP(198, 18, 0, 13));
	CU_ASSERT_EQUAL(xaddr(MACN(3), NULL), 0);
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), IP(198, 18, 0, 12));
	xteardown();
}

/* A reload adds a reservation on an address a dynamic lease holds while
 * the new runtime is built (its claim fails), and that lease ends before
 * the workers switch: the freed bit must become the reservation's at the
 * switch, or the pool would hand the reserved address to anyone. */
static void test_reload_reservation_freed_before_switch(void)
{
	struct dhcp4_reconf rc = { 0 };
	struct dhcp4_runtime *nrt;
	struct dhcp4_tx tx;
	struct conf *nc;
	struct msg m;
	uint32_t held;
	unsigned i;

	xsetup(RSUB(""));
	/* fill the 4-address pool; the first client holds .10 */
	held = xaddr(MACN(0), NULL);
	CU_ASSERT_EQUAL(held, IP(198, 18, 0, 10));
	for (i = 1; i < 4; i++)
		CU_ASSERT_NOT_EQUAL(xaddr(MACN(i), NULL), 0);
	nc = xload(RSUB("{ hw-address = \"02:00:00:00:00:a1\"; ip-address = \"198.18.0.10\"; }"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
	nrt = dhcp4_runtime_create_from(nc, F.rt);       /* .10 is taken: claim fails */
	CU_ASSERT_PTR_NOT_NULL_FATAL(nrt);
	/* ... and is released under the old runtime before the switch */
	m_init(&m, DHCP4_RELEASE, MACN(0));
	m_ciaddr(&m, held);
	m_addr(&m, DHCP4_OPT_SERVER_ID, IP(198, 18, 0, 1));
	CU_ASSERT_EQUAL(run(&m, &tx), 0);
	CU_ASSERT_PTR_NULL(lease_of_mac(F.w, MACN(0)));
	rc.conf = nc;
	rc.rt = nrt;
	rc.subnet = calloc(nc->n_subnets, sizeof(*rc.subnet));
	rc.pool = calloc(dhcp4_runtime_pool_count(nrt), sizeof(*rc.pool));
	rc.cursor = calloc(dhcp4_runtime_pool_count(nrt), sizeof(*rc.cursor));
	CU_ASSERT_EQUAL_FATAL(dhcp4_worker_reconfigure(F.w, &rc), 0);
	free(rc.subnet);
	free(rc.pool);
	free(rc.cursor);
	dhcp4_runtime_commit(nrt);
	dhcp4_runtime_free(F.rt);
	F.rt = nrt;
	conf_free(XC);
	XC = nc;
	/* nobody else is even offered .10 (the pool is full for them); its
	 * client gets it */
	{
		uint32_t a;
		int r = xdora(MACN(9), NULL, &a);

		CU_ASSERT(r == 0 || r == -1);   /* no OFFER at all (-3: offered, then NAKed) */
		CU_ASSERT_EQUAL(a, 0);
	}
	CU_ASSERT_EQUAL(xaddr(MAC_A, NULL), IP(198, 18, 0, 10));
	xteardown();
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "DORA", test_dora },
		{ "returning client", test_returning_client },
		{ "client-id vs chaddr", test_client_id },
		{ "INIT-REBOOT", test_init_reboot },
		{ "RENEW and REBIND", test_renew_rebind },
		{ "RELEASE", test_release },
		{ "DECLINE and probation", test_decline },
		{ "INFORM", test_inform },
		{ "offer and lease expiry", test_offer_expiry },
		{ "relay, option 82, exhaustion", test_exhaustion_and_relay },
		{ "PRL and always-send", test_prl_and_always_send },
		{ "max message size", test_max_message_size },
		{ "delivery", test_delivery },
		{ "drops and counters", test_drops_and_counters },
		{ "two workers share pools", test_two_workers_share_pools },
		{ "DISCOVER through another subnet keeps the bound lease",
		  test_discover_elsewhere_keeps_lease },
		{ "commit mode and restore", test_commit_and_restore },
		{ "htype survives a restart (key normalised)", test_htype_across_restart },
		{ "release waits for its durable delete (two workers, restart)",
		  test_release_waits_for_durable_delete },
		{ "release queue full refuses the release", test_release_queue_full },
		{ "DISCOVER through another subnet persists nothing (restart)",
		  test_discover_elsewhere_persists_nothing },
		{ "flush ring full keeps leases (RELEASE, DECLINE, expiry)",
		  test_ring_full_keeps_leases },
		{ "flush ring full", test_ring_full },
		{ "restore rules", test_restore_rules },
		{ "lease commands (query/add/update/del/wipe)", test_lease_ops },
		{ "leases-reclaim", test_lease_reclaim },
		{ "reload: carry-over, remap, orphans", test_reconfigure },
		{ "reload keeps addresses waiting for their delete", test_reconfigure_pending },
		{ "class-restricted pools", test_class_pools },
		{ "DROP class", test_drop_class },
		{ "KNOWN and UNKNOWN", test_known_unknown },
		{ "reserved addresses in and out of pool", test_reserved_addresses },
		{ "reservation identifiers in order", test_reservation_identifiers },
		{ "reload: reservation whose address is freed before the switch",
		  test_reload_reservation_freed_before_switch },
		{ "option precedence kea / isc-dhcpd", test_option_precedence },
		{ "shared network", test_shared_network },
		{ "required classes", test_required_classes },
		{ "options 43, 121, 125", test_vendor_route_options },
		{ "reload with reservations", test_reload_reservations },
		{ "lease hostname", test_lease_hostname },
	};
	CU_pSuite s;
	unsigned i, failed;
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pg-server-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("dhcp4_server", NULL, NULL);
	for (i = 0; s && i < sizeof(tests) / sizeof(tests[0]); i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return failed ? 1 : 0;
}
