/* The dhcp4 server tests' shared fixture and helpers (dhcp4_test.h). */
#include "dhcp4_test.h"

/* ---- fixture: a hand-built configuration ----------------------------- */

struct fixture F;

struct conf_option mkopt(uint8_t code, bool always, const void *data, uint8_t len)
{
	struct conf_option o = { .code = code, .len = len, .always_send = always };

	memcpy(o.data, data, len);
	return o;
}

void subnet(struct conf_subnet *s, uint32_t id, uint32_t prefix, struct conf_pool *pool,
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

void conf_build(bool match_cid, bool authoritative, enum conf_durability dur)
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

struct lease_log *test_log(unsigned id, unsigned size)
{
	struct lease_log_params lp = { .size = size ? size : 1024 };

	CU_ASSERT_FATAL(id < 2);
	if (!F.logs[id])
		F.logs[id] = lease_log_create(&lp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.logs[id]);
	return F.logs[id];
}

void logs_free(void)
{
	for (unsigned i = 0; i < 2; i++) {
		lease_log_free(F.logs[i]);
		F.logs[i] = NULL;
	}
}

/* No worker or flusher may still use the old ones. */
struct lease_log *const *test_logs(unsigned n, unsigned size)
{
	logs_free();
	for (unsigned i = 0; i < n; i++)
		test_log(i, size);
	return F.logs;
}

struct dhcp4_worker *mkworker_q(unsigned id, unsigned n, struct wb *wb, uint32_t queue)
{
	struct dhcp4_worker_params p = {
		.id = id, .n_workers = n, .conf = &F.c, .rt = F.rt, .log = test_log(id, 0),
		.durable = wb ? 1u << wb_consumer(wb, id) : 0, .lease_capacity = 64,
		.release_queue = queue,
	};
	struct dhcp4_worker *w = dhcp4_worker_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	dhcp4_worker_set_now(w, T0);
	return w;
}

struct dhcp4_worker *mkworker(unsigned id, unsigned n, struct wb *wb)
{
	return mkworker_q(id, n, wb, 0);
}

void setup(bool match_cid, bool authoritative)
{
	conf_build(match_cid, authoritative, CONF_DUR_MEMORY);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	F.w = mkworker(0, 1, NULL);
}

void teardown(void)
{
	dhcp4_worker_free(F.w);
	dhcp4_runtime_free(F.rt);
	F.w = NULL;
	F.rt = NULL;
	logs_free();
}

/* Reload F.w onto config nc and its runtime nrt at once (switch, remap
 * every lease), commit, free the old runtime; *out (may be NULL) gets the
 * counts.  Returns dhcp4_worker_reconfigure's value. */
int reload_to(const struct conf *nc, struct dhcp4_runtime *nrt, struct dhcp4_reconf *out)
{
	struct dhcp4_reconf rc = { .conf = nc, .rt = nrt };
	uint32_t np = dhcp4_runtime_pool_count(nrt);
	int ret;

	rc.subnet = calloc(nc->n_subnets ? nc->n_subnets : 1, sizeof(*rc.subnet));
	rc.pool = calloc(np ? np : 1, sizeof(*rc.pool));
	rc.cursor = calloc(np ? np : 1, sizeof(*rc.cursor));
	ret = dhcp4_worker_reconfigure(F.w, &rc);
	free(rc.subnet);
	free(rc.pool);
	free(rc.cursor);
	if (out)
		*out = rc;
	if (ret)
		return ret;
	dhcp4_runtime_commit(nrt);
	dhcp4_runtime_free(F.rt);
	F.rt = nrt;
	return 0;
}

/* ---- requests -------------------------------------------------------- */

const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0xa1 };
const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0xb2 };
const uint8_t MAC_C[6] = { 0x02, 0, 0, 0, 0, 0xc3 };
const uint8_t MAC_RELAY[6] = { 0x02, 0, 0, 0, 0, 0xee };

struct dhcp4_hdr *mh(struct msg *m)
{
	return (struct dhcp4_hdr *)m->b;
}

void m_opt(struct msg *m, uint8_t code, const void *d, uint8_t len)
{
	m->b[m->n++] = code;
	m->b[m->n++] = len;
	memcpy(m->b + m->n, d, len);
	m->n += len;
}

void m_addr(struct msg *m, uint8_t code, uint32_t a)
{
	uint32_t n = htonl(a);

	m_opt(m, code, &n, 4);
}

void m_init(struct msg *m, uint8_t type, const uint8_t mac[6])
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

void m_ciaddr(struct msg *m, uint32_t a)
{
	mh(m)->ciaddr = htonl(a);
	m->src_ip = a;
}

void m_relay(struct msg *m, uint32_t giaddr)
{
	mh(m)->giaddr = htonl(giaddr);
	mh(m)->hops = 1;
	m->src_ip = giaddr;
}

void m_bcast(struct msg *m)
{
	mh(m)->flags = htons(DHCP4_FLAG_BROADCAST);
}

uint8_t out[1500];
struct dhcp4_pkt pkt;

/* m as the datapath hands it over: parsed into pkt (from buf), with rx. */
static void prep(struct msg *m, struct dhcp4_rx *rx, uint8_t *buf, struct dhcp4_tx *tx)
{
	size_t len = m->n;

	*rx = (struct dhcp4_rx){ .iface = m->iface, .src_ip = m->src_ip, .dst_ip = 0xffffffffu,
				 .src_port = mh(m)->giaddr ? 67 : 68, .ha_class = m->ha_class };
	memcpy(buf, m->b, m->n);
	buf[len++] = DHCP4_OPT_END;
	while (len < DHCP4_BOOTP_MIN)
		buf[len++] = 0;
	memcpy(rx->src_mac, mh(m)->giaddr ? MAC_RELAY : mh(m)->chaddr, 6);
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, buf, len), 0);
	memset(tx, 0x5a, sizeof(*tx));
	memset(out, 0, sizeof(out));
}

int run_w(struct dhcp4_worker *w, struct msg *m, struct dhcp4_tx *tx)
{
	struct dhcp4_rx rx;
	uint8_t buf[1200];

	prep(m, &rx, buf, tx);
	return dhcp4_process(w, &rx, &pkt, out, sizeof(out), tx);
}

int resume_w(struct dhcp4_worker *w, struct msg *m, uint8_t ask, const struct access_answer *a,
	     struct dhcp4_tx *tx)
{
	struct dhcp4_rx rx;
	uint8_t buf[1200];

	prep(m, &rx, buf, tx);
	return dhcp4_resume(w, &rx, &pkt, ask, a, out, sizeof(out), tx);
}

int run(struct msg *m, struct dhcp4_tx *tx)
{
	return run_w(F.w, m, tx);
}

/* ---- reply inspection ------------------------------------------------ */

const struct dhcp4_hdr *rh(void)
{
	return (const struct dhcp4_hdr *)out;
}

/* Option in the reply (options field only; the server does not overload). */
const uint8_t *r_opt(int len, uint8_t code, uint8_t *olen)
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

uint32_t r_u32(int len, uint8_t code)
{
	uint8_t l;
	const uint8_t *v = r_opt(len, code, &l);

	if (!v || l != 4)
		return 0xdeadbeefu;
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

int r_type(int len)
{
	const uint8_t *v = r_opt(len, DHCP4_OPT_MSG_TYPE, NULL);

	return v ? *v : -1;
}

uint32_t r_yiaddr(void)
{
	return ntohl(rh()->yiaddr);
}

uint64_t ST(enum stat4 s)
{
	return dhcp4_worker_stats(F.w)->c[s];
}

struct lease4 *lease_of_mac(struct dhcp4_worker *w, const uint8_t mac[6])
{
	struct lease_key k = { .kind = LEASE_KEY_HWADDR, .len = 7 };

	k.data[0] = 1;
	memcpy(k.data + 1, mac, 6);
	return lease_table_lookup(dhcp4_worker_leases(w), &k);
}

bool is_bcast_mac(const uint8_t m[6])
{
	static const uint8_t ff[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return !memcmp(m, ff, 6);
}

/* DISCOVER then SELECTING REQUEST; returns the bound address, 0 on failure. */
uint32_t dora_w(struct dhcp4_worker *w, const uint8_t mac[6], uint32_t giaddr,
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

uint32_t dora(const uint8_t mac[6], uint32_t giaddr)
{
	struct dhcp4_tx tx;

	return dora_w(F.w, mac, giaddr, &tx);
}

/* DISCOVER asking for `want`: the offered address (0 if no OFFER). */
uint32_t offer_w(struct dhcp4_worker *w, const uint8_t mac[6], uint32_t want)
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

bool in_pool0(uint32_t a)
{
	return a >= IP(198, 18, 0, 10) && a <= IP(198, 18, 0, 19);
}

char tmpdir[64];

struct lease_backend *be_open(const struct lease_backend_ops *ops)
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

struct wb *wb_open(const struct lease_backend_ops *ops, struct lease_backend *be,
			  enum conf_durability mode, unsigned ring, bool start)
{
	struct wb_params p = {
		.ops = ops, .be = be, .n_workers = 1, .logs = test_logs(1, ring), .mode = mode,
		.flush_interval_ms = 2,
	};
	struct wb *wb = wb_create(&p);

	if (wb && start && wb_start(wb)) {
		wb_free(wb);
		return NULL;
	}
	return wb;
}

struct wb *wb_two_workers(const struct lease_backend_ops *ops, struct lease_backend **be)
{
	struct wb_params wp = {
		.ops = ops, .n_workers = 2, .mode = CONF_DUR_COMMIT, .flush_interval_ms = 2,
	};
	struct wb *wb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	lease_file_reset();
	conf_build(true, false, CONF_DUR_COMMIT);
	F.rt = dhcp4_runtime_create(&F.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(F.rt);
	*be = be_open(ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*be);
	wp.be = *be;
	wp.logs = test_logs(2, 256);
	wb = wb_create(&wp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wb);
	return wb;
}

bool wait_durable_of(struct wb *wb, unsigned worker, uint64_t seq)
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

bool wait_durable(struct wb *wb, uint64_t seq)
{
	return wait_durable_of(wb, 0, seq);
}

/* Start a test on an empty lease file (tests share the temp dir). */
void lease_file_reset(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/leases4.csv", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/leases4.csv.1", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/leases4.csv.2", tmpdir);
	unlink(path);
}
