/* The datapath end to end, in one process: a port made of rte_rings that
 * this test feeds and drains, two worker lcores (so packets cross the
 * steering rings), real DHCP exchanges, ARP, malformed frames, and at the
 * end every mbuf back in its pool.
 *
 * With PG_DP_ASK=1 in the environment the same tests run with every
 * DISCOVER and REQUEST suspended for an access verdict from a helper
 * thread (answers take a millisecond), plus the tests of that path:
 * rejection, a slow answer that holds up nobody else, a missing one. */
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include "conf.h"
#include "lease_table.h"
#include "dp.h"
#include "ha_hash.h"
#include "util_fs.h"
#include "net.h"

#define N_CLIENTS 1000
#define ASK_MS 300                 /* dp.ask_ms in ask mode */
/* chaddr[2] of clients the access helper treats specially */
#define REJECTED 0x66u             /* rejected at once */
#define SLOW 0x55u                 /* accepted after 200 ms */
#define LATE 0x77u                 /* accepted after 600 ms: past the deadline */
#define SERVER_IP 0xc6120001u      /* 198.18.0.1 */
#define POOL_FIRST 0xc612000au     /* 198.18.0.10 */
#define POOL_LAST 0xc61203e8u      /* 198.18.3.232: 999 addresses... */

/* The configuration, with its pool's last address and routers option. */
static const char *conf_fmt =
	"dpdk = { lcores = \"0,1,2\"; no-huge = true; memory-mb = 256; };\n"
	"interfaces = ( { name = \"r0\"; device = \"net_ring_ringport0\"; address = \"198.18.0.1/16\"; } );\n"
	"valid-lifetime = 600;\n"
	"offer-lifetime = 2;\n"
	"lease-database = { type = \"memfile\"; durability = \"memory\"; };\n"
	"subnet4 = ( { id = 1; subnet = \"198.18.0.0/16\";\n"
	"  pools = ( { pool = \"198.18.0.10 - %s\"; } );\n"
	"  option-data = ( { name = \"routers\"; data = \"%s\"; } ); } );\n";

static struct conf *load_conf(const char *pool_last, const char *router)
{
	char path[] = "/tmp/dp_ring_test_XXXXXX", err[512];
	struct conf *c = NULL;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f && fprintf(f, conf_fmt, pool_last, router) > 0 && fclose(f) == 0)
		c = conf_load(path, err, sizeof(err));
	else if (f)
		fclose(f);
	unlink(path);
	if (!c)
		fprintf(stderr, "conf: %s\n", err);
	return c;
}

static struct conf *conf;
static struct dp dp;
static struct dhcp4_runtime *rt;
static struct rte_ring *rxr[2], *txr[2];
static unsigned malformed_sent;
static bool ask_mode;              /* PG_DP_ASK: transactions wait for access verdicts */

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void client_mac(unsigned i, uint8_t mac[6])
{
	mac[0] = 0x02; mac[1] = 0x00;
	mac[2] = (uint8_t)(i >> 24); mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8); mac[5] = (uint8_t)i;
}

/* A BOOTREQUEST frame from client i: broadcast, message type, and for a
 * REQUEST the server id and requested address. */
static struct rte_mbuf *request(unsigned i, uint8_t type, uint32_t req_addr)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.ports[0].pool);
	uint8_t *f, *d, *o, mac[6];
	struct dhcp4_hdr *h;
	size_t len;

	CU_ASSERT_FATAL(m != NULL);
	f = rte_pktmbuf_mtod(m, uint8_t *);
	d = f + NET_UDP4_HLEN;
	memset(d, 0, DHCP4_BOOTP_MIN);
	h = (struct dhcp4_hdr *)d;
	client_mac(i, mac);
	h->op = 1; h->htype = 1; h->hlen = 6;
	h->xid = htonl(0x1000 + i);
	h->flags = htons(DHCP4_FLAG_BROADCAST);
	memcpy(h->chaddr, mac, 6);
	h->magic = htonl(DHCP4_MAGIC);
	o = d + DHCP4_MIN_LEN;
	*o++ = DHCP4_OPT_MSG_TYPE; *o++ = 1; *o++ = type;
	if (type == DHCP4_REQUEST) {
		uint32_t sid = htonl(SERVER_IP), ra = htonl(req_addr);

		*o++ = DHCP4_OPT_SERVER_ID; *o++ = 4; memcpy(o, &sid, 4); o += 4;
		*o++ = DHCP4_OPT_REQ_ADDR; *o++ = 4; memcpy(o, &ra, 4); o += 4;
	}
	*o++ = DHCP4_OPT_PRL; *o++ = 2; *o++ = 1; *o++ = 3;
	*o++ = DHCP4_OPT_END;
	len = net_build_udp4(f, mac, bcast, 0, 0xffffffffu, 68, 67, DHCP4_BOOTP_MIN);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	m->port = dp.ports[0].port_id;
	return m;
}

static void inject(unsigned q, struct rte_mbuf *m)
{
	while (rte_ring_enqueue(rxr[q], m) != 0)
		usleep(100);
}

/* Collect replies from both TX rings until `want` arrived or `ms` passed
 * (in 0.1 ms naps). */
static unsigned collect_ms(struct rte_mbuf **out, unsigned want, unsigned ms)
{
	unsigned got = 0, q;
	unsigned spins = 0;

	while (got < want && spins < ms * 10) {
		unsigned n = 0;

		for (q = 0; q < 2; q++)
			n += rte_ring_dequeue_burst(txr[q], (void **)out + got + n, want - got - n, NULL);
		got += n;
		if (!n) {
			usleep(100);
			spins++;
		}
	}
	return got;
}

static unsigned collect(struct rte_mbuf **out, unsigned want)
{
	return collect_ms(out, want, 10000);
}

struct reply {
	uint8_t type;
	uint32_t yiaddr, xid;
	uint8_t chaddr[6];
};

static int parse_reply(struct rte_mbuf *m, struct reply *r)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct net_udp4 u;
	const struct dhcp4_hdr *h;
	const uint8_t *o;

	if (net_parse_udp4(f, m->data_len, &u) || u.src_port != 67 || u.dst_port != 68)
		return -1;
	h = (const struct dhcp4_hdr *)(f + u.payload_off);
	if (h->op != 2 || ntohl(h->magic) != DHCP4_MAGIC)
		return -1;
	o = f + u.payload_off + DHCP4_MIN_LEN;   /* the builder puts option 53 first */
	if (o[0] != DHCP4_OPT_MSG_TYPE)
		return -1;
	r->type = o[2];
	r->yiaddr = ntohl(h->yiaddr);
	r->xid = ntohl(h->xid);
	memcpy(r->chaddr, h->chaddr, 6);
	return 0;
}

static uint64_t sum_stat(enum stat4 s)
{
	uint64_t v = 0;
	unsigned w;

	for (w = 0; w < dp.n_workers; w++)
		v += dp.workers[w]->st->c[s];
	return v;
}

static uint64_t sum_dp(enum stat_dp s)
{
	uint64_t v = 0;
	unsigned w;

	for (w = 0; w < dp.n_workers; w++)
		v += dp.workers[w]->sdp.c[s];
	return v;
}

static uint32_t offered[N_CLIENTS];

static void test_dora(void)
{
	static struct rte_mbuf *got[N_CLIENTS];
	static uint8_t seen[1 << 16];
	struct reply r;
	unsigned i, n, bad = 0, dup = 0;

	/* every DISCOVER enters on queue 0: about half belong to worker 1 */
	for (i = 0; i < N_CLIENTS; i++)
		inject(0, request(i, DHCP4_DISCOVER, 0));
	n = collect(got, N_CLIENTS);
	CU_ASSERT_EQUAL(n, N_CLIENTS);
	for (i = 0; i < n; i++) {
		unsigned c;

		if (parse_reply(got[i], &r) || r.type != DHCP4_OFFER) {
			bad++;
		} else {
			c = r.xid - 0x1000;
			CU_ASSERT(c < N_CLIENTS);
			if (c < N_CLIENTS)
				offered[c] = r.yiaddr;
			CU_ASSERT(r.yiaddr >= POOL_FIRST && r.yiaddr <= 0xc61207ffu);
			if (seen[r.yiaddr & 0xffff]++)
				dup++;
		}
		rte_pktmbuf_free(got[i]);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT(sum_dp(STAT_DP_STEERED) > 0);          /* steering was exercised */
	CU_ASSERT_EQUAL(sum_stat(STAT4_PKT4_OFFER_SENT), N_CLIENTS);

	for (i = 0; i < N_CLIENTS; i++)
		inject(i & 1, request(i, DHCP4_REQUEST, offered[i]));
	n = collect(got, N_CLIENTS);
	CU_ASSERT_EQUAL(n, N_CLIENTS);
	for (i = 0, bad = 0; i < n; i++) {
		if (parse_reply(got[i], &r) || r.type != DHCP4_ACK ||
		    r.xid - 0x1000 >= N_CLIENTS || r.yiaddr != offered[r.xid - 0x1000])
			bad++;
		rte_pktmbuf_free(got[i]);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(sum_stat(STAT4_PKT4_ACK_SENT), N_CLIENTS);
	/* with asks on, every DISCOVER waited for its verdict; the REQUEST
	 * found it in its worker's cache */
	if (ask_mode) {
		CU_ASSERT_EQUAL(sum_dp(STAT_DP_ASKED), N_CLIENTS);
		CU_ASSERT_EQUAL(sum_stat(STAT4_ACCESS_CACHE_HITS), N_CLIENTS);
	}
}

static void test_arp(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.ports[0].pool), *r = NULL;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	static const uint8_t arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 9, 0x08, 0x06,
		0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 9, 198, 18, 0, 9,
		0, 0, 0, 0, 0, 0, 198, 18, 0, 1,
	};

	memcpy(f, arp, sizeof(arp));
	m->data_len = m->pkt_len = sizeof(arp);
	m->port = dp.ports[0].port_id;
	inject(1, m);
	CU_ASSERT_EQUAL_FATAL(collect(&r, 1), 1);
	f = rte_pktmbuf_mtod(r, uint8_t *);
	CU_ASSERT_EQUAL(f[21], 2);                                      /* ARP reply */
	CU_ASSERT(memcmp(f + 22, dp.ports[0].mac.addr_bytes, 6) == 0);  /* our MAC */
	CU_ASSERT(memcmp(f + 32, arp + 22, 6) == 0);                    /* to the asker */
	rte_pktmbuf_free(r);
}

static void test_malformed(void)
{
	uint64_t before = sum_stat(STAT4_PKT4_PARSE_FAILED);
	struct rte_mbuf *m, *r;
	unsigned i;

	/* a valid frame whose DHCP payload is cut short, and one with a bad cookie */
	for (i = 0; i < 50; i++) {
		m = request(5000 + i, DHCP4_DISCOVER, 0);
		if (i & 1) {
			uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *) + NET_UDP4_HLEN;

			d[236] ^= 0xff;
			net_build_udp4(rte_pktmbuf_mtod(m, uint8_t *), d - NET_UDP4_HLEN + 6, bcast,
				       0, 0xffffffffu, 68, 67, DHCP4_BOOTP_MIN);
		} else {
			size_t len = net_build_udp4(rte_pktmbuf_mtod(m, uint8_t *), bcast, bcast,
						    0, 0xffffffffu, 68, 67, 100);
			m->data_len = (uint16_t)len;
			m->pkt_len = (uint32_t)len;
		}
		inject(i & 1, m);
		malformed_sent++;
	}
	/* then a good client is still served */
	inject(0, request(7777, DHCP4_DISCOVER, 0));
	CU_ASSERT_EQUAL(collect(&r, 1), 1);
	rte_pktmbuf_free(r);
	/* the other worker may still be busy with its half: wait, bounded */
	for (i = 0; i < 50000 && sum_stat(STAT4_PKT4_PARSE_FAILED) - before < 50; i++)
		usleep(100);
	CU_ASSERT_EQUAL(sum_stat(STAT4_PKT4_PARSE_FAILED) - before, 50);
}

static uint32_t leases_held(void)
{
	uint32_t n = 0;
	unsigned w;

	for (w = 0; w < dp.n_workers; w++)
		n += lease_table_count(dhcp4_worker_leases(dp.workers[w]->dw));
	return n;
}

/* Offers that are never requested are reclaimed by the workers' own
 * bounded sweeps (offer-lifetime 2 s), while ACKed leases stay. */
static void test_offers_expire(void)
{
	struct rte_mbuf *got[100];
	unsigned i, n;

	for (i = 0; i < 100; i++)
		inject(i & 1, request(20000 + i, DHCP4_DISCOVER, 0));
	n = collect(got, 100);
	CU_ASSERT_EQUAL(n, 100);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(got[i]);
	CU_ASSERT(leases_held() >= N_CLIENTS + 100);
	for (i = 0; i < 100 && leases_held() > N_CLIENTS; i++)
		usleep(100 * 1000);
	CU_ASSERT_EQUAL(leases_held(), N_CLIENTS);
}

/* HA's query filter (issue 16): with ha_on in load-balancing and only the
 * primary's scope served, exactly the clients whose RFC 3074 hash puts
 * them in the primary's scope get an OFFER; the others are dropped and
 * counted.  (The HA thread will write ha_scopes; here the test does.) */
static void test_ha_filter(void)
{
	static struct rte_mbuf *got[200];
	bool mine[200];
	unsigned i, n, want = 0, wrong = 0;
	uint64_t drops0 = sum_dp(STAT_DP_HA_NOT_IN_SCOPE);
	struct reply r;

	for (i = 0; i < 200; i++) {
		uint8_t mac[6];

		client_mac(30000 + i, mac);
		mine[i] = ha_query_scope4(2, DHCP4_DISCOVER, NULL, 0, mac, 6) == (int)HA_SCOPE_PRIMARY;
		want += mine[i];
	}
	CU_ASSERT(want > 50 && want < 150);     /* the hash splits them */
	dp.ha_active = 2;
	__atomic_store_n(&dp.ha_scopes[0], 1u, __ATOMIC_RELAXED);
	__atomic_store_n(&dp.ha_on, true, __ATOMIC_RELEASE);
	for (i = 0; i < 200; i++)
		inject(i & 1, request(30000 + i, DHCP4_DISCOVER, 0));
	n = collect_ms(got, 200, 2000);
	__atomic_store_n(&dp.ha_on, false, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(n, want);
	for (i = 0; i < n; i++) {
		if (parse_reply(got[i], &r) || r.type != DHCP4_OFFER || r.xid - 0x1000 - 30000 >= 200 ||
		    !mine[r.xid - 0x1000 - 30000])
			wrong++;
		rte_pktmbuf_free(got[i]);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(sum_dp(STAT_DP_HA_NOT_IN_SCOPE) - drops0, 200 - want);
	/* the offers made here end as test_offers_expire's did */
	for (i = 0; i < 100 && leases_held() > N_CLIENTS; i++)
		usleep(100 * 1000);
	CU_ASSERT_EQUAL(leases_held(), N_CLIENTS);
}

/* A start-up that failed half way leaves slots missing or half built
 * (dhcp4_worker_create refused the last worker: its dp_worker exists, its
 * dw and st do not); statistics must not be summed over them. */
static void test_workers_ready(void)
{
	struct dp half = dp;
	struct dp_worker *broken = calloc(1, sizeof(*broken));

	CU_ASSERT_FATAL(broken != NULL);
	CU_ASSERT(dp_workers_ready(&dp));
	half.workers[half.n_workers - 1] = broken;      /* last one allocated, dw NULL */
	CU_ASSERT_FALSE(dp_workers_ready(&half));
	half.workers[half.n_workers - 1] = dp.workers[half.n_workers - 1];
	half.workers[0] = broken;                       /* an earlier one */
	CU_ASSERT_FALSE(dp_workers_ready(&half));
	half.workers[0] = NULL;
	CU_ASSERT_FALSE(dp_workers_ready(&half));
	half.n_workers = 0;
	CU_ASSERT_FALSE(dp_workers_ready(&half));
	free(broken);
}

/* ---- access verdicts (PG_DP_ASK=1) ------------------------------------ */

static volatile bool helper_stop;
static pthread_t helper_thr;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The helper thread a RADIUS client will be: takes every worker's
 * questions and answers later, never on the worker's time. */
static void *access_helper(void *arg)
{
	static struct { struct dp_ask a; double due; } held[2 * DP_PENDING];
	unsigned n_held = 0;

	(void)arg;
	while (!helper_stop) {
		struct dp_ask a[32];
		double now = now_ms();
		unsigned w, i, n;

		for (w = 0; w < dp.n_workers; w++) {
			n = dp_ask_take(&dp, w, a, 32);
			for (i = 0; i < n; i++) {
				double delay = a[i].chaddr[2] == SLOW ? 200 :
						 a[i].chaddr[2] == LATE ? 600 : 1;

				a[i].ans.verdict = a[i].chaddr[2] == REJECTED ? ACCESS_REJECT
									      : ACCESS_ACCEPT;
				CU_ASSERT_EQUAL(a[i].kind, DHCP4_ASK_ACCESS);
				/* asked about by its hardware address (no radius block) */
				CU_ASSERT(a[i].family == 4 && a[i].id_type == 0 &&
					  a[i].id_len == a[i].hlen &&
					  memcmp(a[i].id, a[i].chaddr, a[i].hlen) == 0);
				CU_ASSERT_EQUAL(a[i].worker, w);
				CU_ASSERT_FATAL(n_held < 2 * DP_PENDING);
				held[n_held].a = a[i];
				held[n_held++].due = now + delay;
			}
		}
		for (i = 0; i < n_held;) {
			if (held[i].due <= now && dp_answer_post(&dp, &held[i].a) == 0)
				held[i] = held[--n_held];
			else
				i++;
		}
		usleep(200);
	}
	return NULL;
}

static uint32_t xid_of(struct rte_mbuf *m)
{
	struct reply r;

	return parse_reply(m, &r) ? 0 : r.xid;
}

/* A rejected client gets no offer; its transaction ends there, counted. */
static void test_access_reject(void)
{
	uint64_t rej = sum_stat(STAT4_ACCESS_REJECTED), asked = sum_dp(STAT_DP_ASKED);
	uint64_t offers = sum_stat(STAT4_PKT4_OFFER_SENT);
	unsigned client = REJECTED << 24 | 1;
	struct rte_mbuf *r;
	unsigned i;

	inject(0, request(client, DHCP4_DISCOVER, 0));
	CU_ASSERT_EQUAL(collect_ms(&r, 1, 500), 0);
	for (i = 0; i < 1000 && sum_stat(STAT4_ACCESS_REJECTED) == rej; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(sum_stat(STAT4_ACCESS_REJECTED), rej + 1);
	CU_ASSERT_EQUAL(sum_dp(STAT_DP_ASKED), asked + 1);
	CU_ASSERT_EQUAL(sum_stat(STAT4_PKT4_OFFER_SENT), offers);
}

/* A client whose answer takes 200 ms holds up no other: one that asks
 * after it on the same worker is answered first, then it is. */
static void test_access_slow(void)
{
	unsigned slow = SLOW << 24 | 1, quick, i;
	struct rte_mbuf *r[2];
	double t0 = now_ms();

	/* a quick client owned by the same worker as the slow one */
	for (quick = 30000; ; quick++) {
		uint8_t a[6], b[6];
		struct lease_key ka = { .kind = LEASE_KEY_HWADDR, .len = 7 }, kb = ka;

		client_mac(slow, a);
		client_mac(quick, b);
		ka.data[0] = kb.data[0] = 1;
		memcpy(ka.data + 1, a, 6);
		memcpy(kb.data + 1, b, 6);
		if (dhcp4_owner(&ka, dp.n_workers) == dhcp4_owner(&kb, dp.n_workers))
			break;
	}
	inject(0, request(slow, DHCP4_DISCOVER, 0));
	usleep(20000);
	inject(0, request(quick, DHCP4_DISCOVER, 0));
	CU_ASSERT_EQUAL_FATAL(collect_ms(&r[0], 1, 150), 1);
	CU_ASSERT_EQUAL(xid_of(r[0]), 0x1000 + quick);
	CU_ASSERT(now_ms() - t0 < 200);
	CU_ASSERT_EQUAL_FATAL(collect_ms(&r[1], 1, 2000), 1);
	CU_ASSERT_EQUAL(xid_of(r[1]), 0x1000 + slow);
	CU_ASSERT(now_ms() - t0 >= 200);
	for (i = 0; i < 2; i++)
		rte_pktmbuf_free(r[i]);
}

/* No answer by the deadline: dropped and counted; the answer that comes
 * later finds its transaction gone and is ignored. */
static void test_access_timeout(void)
{
	uint64_t to = sum_dp(STAT_DP_ASK_TIMEOUTS), late = sum_dp(STAT_DP_ANSWERS_LATE);
	struct rte_mbuf *r;
	unsigned i;

	inject(1, request(LATE << 24 | 1, DHCP4_DISCOVER, 0));
	CU_ASSERT_EQUAL(collect_ms(&r, 1, 900), 0);
	for (i = 0; i < 2000 && sum_dp(STAT_DP_ANSWERS_LATE) == late; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(sum_dp(STAT_DP_ASK_TIMEOUTS), to + 1);
	CU_ASSERT_EQUAL(sum_dp(STAT_DP_ANSWERS_LATE), late + 1);
	CU_ASSERT_EQUAL(collect_ms(&r, 1, 100), 0);
}

/* ---- reload while a worker is stalled ---- */

#define STALL_MS 1500
#define RELOAD_WAIT_MS 300
static unsigned stall_armed, stalled;

/* Worker 1, once armed: one loop pass that does not reach its quiescent
 * point for STALL_MS (as if descheduled). */
static void stall_hook(struct dp_worker *w)
{
	if (w->id != 1 || !__atomic_exchange_n(&stall_armed, 0, __ATOMIC_ACQ_REL))
		return;
	__atomic_store_n(&stalled, 1, __ATOMIC_RELEASE);
	usleep(STALL_MS * 1000);
	__atomic_store_n(&stalled, 0, __ATOMIC_RELEASE);
}

static unsigned owner_of(unsigned i)
{
	struct lease_rec r;
	struct lease_key k;

	memset(&r, 0, sizeof(r));
	r.htype = 1;
	r.hwaddr_len = 6;
	client_mac(i, r.hwaddr);
	dhcp4_rec_key(&r, conf->match_client_id, &k);
	return dhcp4_owner(&k, dp.n_workers);
}

struct reload_call {
	struct conf *nc;
	struct dhcp4_runtime *nrt;
	struct dp_reload_info info;
	int ret;
	double ms;
};

static void *reload_thread(void *arg)
{
	struct reload_call *c = arg;
	double t0 = now_ms();

	c->ret = dp_reload(&dp, c->nc, c->nrt, conf, rt, 200, RELOAD_WAIT_MS, &c->info);
	c->ms = now_ms() - t0;
	return NULL;
}

/* DORA for `n` clients from `first` on whose owner is `owner`, entering
 * on queue q; their ACKed addresses go to out[].  Returns how many. */
static unsigned dora_owned(unsigned first, unsigned n, unsigned owner, unsigned q, uint32_t *out)
{
	static struct rte_mbuf *got[64];
	unsigned ids[64], i, k, c, acked = 0;
	struct reply r;

	for (i = first, k = 0; k < n && k < 64; i++)
		if (owner_of(i) == owner)
			ids[k++] = i;
	for (i = 0; i < k; i++)
		inject(q, request(ids[i], DHCP4_DISCOVER, 0));
	c = collect(got, k);
	for (i = 0; i < c; i++) {
		if (!parse_reply(got[i], &r) && r.type == DHCP4_OFFER)
			inject(q, request(r.xid - 0x1000, DHCP4_REQUEST, r.yiaddr));
		rte_pktmbuf_free(got[i]);
	}
	c = collect(got, k);
	for (i = 0; i < c; i++) {
		if (!parse_reply(got[i], &r) && r.type == DHCP4_ACK)
			out[acked++] = r.yiaddr;
		rte_pktmbuf_free(got[i]);
	}
	return acked;
}

/* config-reload while worker 1 is stalled inside a loop pass: the reload
 * returns within its bound (it does not wait for worker 1), worker 0
 * switches and serves DORAs meanwhile, worker 1 switches when it comes
 * back, and only then is the old snapshot freed.  With the reload barrier
 * worker 0 waited at the barrier for worker 1 and served nothing. */
static void test_reload_stalled(void)
{
	static uint8_t seen[1 << 16];
	struct reload_call c = { 0 };
	uint32_t during[64], after[64];
	unsigned i, n_during, n_after, dup = 0, spins;
	uint64_t assigned = 0;
	pthread_t th;

	/* the pool grows: a new bitmap, seeded from the old one's in-use bits */
	c.nc = load_conf("198.18.15.255", "198.18.0.254");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.nc);
	c.nrt = dhcp4_runtime_create_from(c.nc, rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.nrt);

	dp.test_hook_pass = stall_hook;
	__atomic_store_n(&stall_armed, 1, __ATOMIC_RELEASE);
	for (spins = 0; spins < 2000 && !__atomic_load_n(&stalled, __ATOMIC_ACQUIRE); spins++)
		usleep(1000);
	CU_ASSERT_FATAL(__atomic_load_n(&stalled, __ATOMIC_ACQUIRE));

	CU_ASSERT_FATAL(pthread_create(&th, NULL, reload_thread, &c) == 0);
	/* worker 0 serves its clients while the reload runs */
	n_during = dora_owned(30000, 40, 0, 0, during);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(n_during, 40);
	CU_ASSERT_EQUAL(c.ret, 0);
	CU_ASSERT(c.ms < RELOAD_WAIT_MS + 400);        /* its bound, with slack */
	CU_ASSERT_EQUAL(c.info.remapping, 1);          /* worker 1: not yet */
	CU_ASSERT_TRUE(dp_worker_current(&dp, 0));
	CU_ASSERT_FALSE(dp_worker_current(&dp, 1));
	CU_ASSERT(__atomic_load_n(&stalled, __ATOMIC_ACQUIRE));   /* all of it during the stall */
	if (c.ret == 0) {
		/* the datapath owns the old ones now */
		conf = c.nc;
		rt = c.nrt;
	}
	/* the old snapshot stays until worker 1 is past it */
	CU_ASSERT_EQUAL(dp_reload_reap(&dp, 0), 1);
	CU_ASSERT_EQUAL(dp_reload_reap(&dp, STALL_MS + 2000), 0);
	CU_ASSERT_TRUE(dp_worker_current(&dp, 1));
	dp.test_hook_pass = NULL;

	/* both serve after; no address went to two clients */
	n_after = dora_owned(31000, 40, 1, 1, after);
	CU_ASSERT_EQUAL(n_after, 40);
	for (i = 0; i < N_CLIENTS; i++)
		seen[offered[i] & 0xffff]++;
	for (i = 0; i < n_during; i++)
		dup += seen[during[i] & 0xffff]++ != 0;
	for (i = 0; i < n_after; i++)
		dup += seen[after[i] & 0xffff]++ != 0;
	CU_ASSERT_EQUAL(dup, 0);
	/* assigned-addresses: every ACKed lease once, on the new layout */
	for (i = 0; i < dp.n_workers; i++)
		assigned += dp.workers[i]->st->subnet[0].assigned;
	CU_ASSERT_EQUAL(assigned, N_CLIENTS + n_during + n_after);
	CU_ASSERT_EQUAL(dp.workers[0]->st->pool[0].assigned + dp.workers[1]->st->pool[0].assigned,
			assigned);
}

static void test_no_leak(void)
{
	struct rte_mbuf *m;
	unsigned q, left = 0;

	if (ask_mode) {
		helper_stop = true;
		pthread_join(helper_thr, NULL);
	}
	__atomic_store_n(&dp.quit, 1, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	/* frames the test queued but no worker read are the test's, not leaks */
	for (q = 0; q < 2; q++) {
		while (rte_ring_dequeue(rxr[q], (void **)&m) == 0 ||
		       rte_ring_dequeue(txr[q], (void **)&m) == 0) {
			rte_pktmbuf_free(m);
			left++;
		}
	}
	CU_ASSERT_EQUAL(left, 0);
	dp_reload_finish(&dp);
	dp_workers_drain(&dp);
	dp_ports_close(&dp);
	dp_rings_drain(&dp);
	CU_ASSERT_EQUAL(dp_mbufs_in_use(&dp), 0);
}

int main(void)
{
	char prefix[32];
	char *eal[12] = { "dp_ring_test", "--lcores", "0@0,1@0,2@0", "--no-huge", "-m", "256",
			"--no-pci", "--no-telemetry", "--file-prefix", prefix,
			"--log-level=lib.eal:error", NULL };
	unsigned lcore, w;
	int failures;
	CU_pSuite s;

	conf = load_conf("198.18.7.255", "198.18.0.1");
	if (!conf)
		return 1;
	snprintf(prefix, sizeof(prefix), "dp_ring_test_%d", (int)getpid());
	if (rte_eal_init(11, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rxr[0] = rte_ring_create("rx0", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	rxr[1] = rte_ring_create("rx1", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr[0] = rte_ring_create("tx0", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr[1] = rte_ring_create("tx1", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rte_eth_from_rings("ringport0", rxr, 2, txr, 2, 0) < 0) {
		fprintf(stderr, "rte_eth_from_rings failed\n");
		return 1;
	}
	dp.conf = conf;
	dp.n_workers = rte_lcore_count() - 1;
	ask_mode = getenv("PG_DP_ASK") != NULL;
	if (ask_mode) {
		dp.ask_ms = ASK_MS;
		dp_asks_enable(&dp);
	}
	rt = dhcp4_runtime_create(conf);
	if (dp_ports_init(&dp) || !rt || dp_logs_init(&dp) || dp_workers_init(&dp, rt)) {
		fprintf(stderr, "datapath init failed\n");
		return 1;
	}
	RTE_LCORE_FOREACH_WORKER(lcore)
		for (w = 0; w < dp.n_workers; w++)
			if (dp.workers[w]->lcore == lcore)
				rte_eal_remote_launch(dp_worker_main, dp.workers[w], lcore);
	if (ask_mode && pthread_create(&helper_thr, NULL, access_helper, NULL)) {
		fprintf(stderr, "helper thread failed\n");
		return 1;
	}

	CU_initialize_registry();
	s = CU_add_suite(ask_mode ? "datapath over rings, access asked" : "datapath over rings",
			 NULL, NULL);
	CU_add_test(s, "DORA for 1000 clients across 2 workers", test_dora);
	CU_add_test(s, "ARP for the server address", test_arp);
	CU_add_test(s, "malformed frames counted, next client served", test_malformed);
	CU_add_test(s, "unrequested offers reclaimed by the workers", test_offers_expire);
	CU_add_test(s, "HA query filter: only the served scope's clients answered", test_ha_filter);
	CU_add_test(s, "statistics only over fully built workers", test_workers_ready);
	CU_add_test(s, "reload while a worker is stalled: the other serves, bounded", test_reload_stalled);
	if (ask_mode) {
		CU_add_test(s, "access: rejected client gets nothing", test_access_reject);
		CU_add_test(s, "access: a slow answer holds up nobody", test_access_slow);
		CU_add_test(s, "access: no answer by the deadline", test_access_timeout);
	}
	CU_add_test(s, "every mbuf back in its pool after stop", test_no_leak);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	dp_workers_free(&dp);
	dp_logs_free(&dp);
	dhcp4_runtime_free(rt);
	conf_free(conf);
	rte_eal_cleanup();
	/* EAL leaves its runtime directory behind: this run's is ours */
	{
		char dir[96];

		snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
		if (util_rmtree(dir) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return failures ? 1 : 0;
}
