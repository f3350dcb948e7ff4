/* The serving side of HA lease updates: whose changes the workers log
 * (origin HA for what came on the peer listener and for
 * dp_srv_lease4_apply, CONTROL on the control channel), lease4-bulk-apply
 * and lease6-bulk-apply.
 *
 * The requests go through the real control core (ctl_run_request and
 * ctl_run_peer_request, what the unix socket, http-control and the peer
 * listener call) into the real handlers.  The DHCPv4 workers are real
 * (dhcp4 workers on one subnet, each with a lease-change log this test
 * reads as a consumer); only the message ring is a fake that runs each
 * message at once on its worker, setting the worker's control origin from
 * the message as engine/dp's handler does.  DHCPv6 workers are small
 * arrays of records, each change noted with the message's origin. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <CUnit/Basic.h>
#include "ctl_cmd.h"
#include "ctl_priv.h"
#include "lease_log.h"

#define NW 3
#define CAP6 32
#define IP4(d) (0xc6120000u | (d))          /* 198.18.0.0/16 + d */

static struct conf conf;
static struct conf_subnet sn4;
static struct conf_pool pool4;
static struct conf6 c6;
static struct conf6_subnet sn6;
static struct conf6_pool pool6;
static struct dp dp;
static struct dp_srv srv;
static struct ctl *ctl;
static struct dhcp4_runtime *rt;
static struct dhcp4_worker *dw[NW];
static struct lease_log *logs[NW];
static int cons[NW];
static uint32_t now;

static struct fake6 {
	struct lease6_rec v[CAP6];
	unsigned n;
} f6[NW];
static uint8_t origins6[256];           /* origin of each v6 change, in order */
static unsigned n_origins6;

/* ---- the message ring: each message handled at once ---------------------- */

struct dp_msg *dp_msg_new(enum dp_msg_kind kind, unsigned out_cap)
{
	struct dp_msg *m = calloc(1, sizeof(*m));

	m->kind = kind;
	m->cap = out_cap;
	if (out_cap && kind == DP_MSG_QUERY6)
		m->out6 = calloc(out_cap, sizeof(*m->out6));
	else if (out_cap)
		m->out = calloc(out_cap, sizeof(*m->out));
	return m;
}

void dp_msg_free(struct dp_msg *m)
{
	if (m) {
		free(m->out);
		free(m->out6);
		free(m->addrs);
		free(m->rets);
		free(m);
	}
}

static struct lease6_rec *find6(struct fake6 *x, struct lease_addr6 a)
{
	for (unsigned i = 0; i < x->n; i++)
		if (lease_addr6_eq(x->v[i].addr, a))
			return &x->v[i];
	return NULL;
}

static void msg6(struct fake6 *x, struct dp_msg *m)
{
	const struct dhcp6_lease_filter *f = &m->filter6;
	struct lease6_rec *l;

	switch (m->kind) {
	case DP_MSG_QUERY6:            /* by address only here */
		l = f->by_addr ? find6(x, f->addr) : NULL;
		m->matched = m->n = l && m->cap ? 1 : 0;
		if (m->n)
			m->out6[0] = *l;
		return;
	case DP_MSG_ADD6:
		if (find6(x, m->rec6.addr) || x->n == CAP6) {
			m->ret = -EEXIST;
			return;
		}
		x->v[x->n++] = m->rec6;
		break;
	case DP_MSG_UPDATE6:
		l = find6(x, m->rec6.addr);
		if (!l) {
			m->ret = -ENOENT;
			return;
		}
		*l = m->rec6;
		break;
	case DP_MSG_DEL6:
		l = find6(x, f->addr);
		if (!l)
			return;
		*l = x->v[--x->n];
		m->matched = 1;
		break;
	default:
		m->ret = -EINVAL;
		return;
	}
	if (n_origins6 < sizeof(origins6))
		origins6[n_origins6++] = m->origin ? m->origin : LEASE_ORIGIN_CONTROL;
}

static unsigned n_apply;       /* APPLY messages: the batched road was taken */

/* What engine/dp's message handler does for the lease kinds. */
int dp_msg_post(struct dp *d, unsigned w, struct dp_msg *m)
{
	struct dhcp4_worker *x = dw[w];
	long n;

	(void)d;
	m->ret = 0;
	dhcp4_worker_set_ctl_origin(x, m->origin ? m->origin : LEASE_ORIGIN_CONTROL);
	switch (m->kind) {
	case DP_MSG_QUERY:
		m->n = dhcp4_lease_query(x, &m->filter, m->out, m->cap, &m->matched);
		break;
	case DP_MSG_ADD:
	case DP_MSG_UPDATE:
		m->ret = dhcp4_lease_add(x, &m->rec, m->kind == DP_MSG_UPDATE, &m->seq);
		break;
	case DP_MSG_DEL:
		n = dhcp4_lease_del(x, &m->filter, &m->n);
		m->ret = n < 0 ? (int)n : 0;
		m->matched = n < 0 ? 0 : (uint64_t)n;
		break;
	case DP_MSG_FETCH:
		m->n = dhcp4_lease_fetch(x, m->addrs, m->n, m->out);
		break;
	case DP_MSG_ADOPT:
		m->ret = dhcp4_lease_adopt(x, &m->rec, &m->seq);
		break;
	case DP_MSG_HANDOVER:
		m->ret = dhcp4_lease_handover(x, m->filter.addr, m->ref, &m->seq);
		break;
	case DP_MSG_RELOG:
		m->ret = dhcp4_lease_relog(x, m->filter.addr, &m->seq);
		break;
	case DP_MSG_APPLY:
		n_apply++;
		for (unsigned i = 0; i < m->n; i++) {
			uint64_t seq = 0;
			int r = dhcp4_lease_put(x, &m->out[i], &seq);

			m->rets[i] = r;
			if (!r && seq > m->seq)
				m->seq = seq;
		}
		break;
	default:
		msg6(&f6[w], m);
	}
	dhcp4_worker_set_ctl_origin(x, LEASE_ORIGIN_CONTROL);
	m->state = DP_MSG_DONE;
	return 0;
}

int dp_msg_wait(struct dp_msg *m, unsigned timeout_ms)
{
	(void)timeout_ms;
	CU_ASSERT_EQUAL(m->state, DP_MSG_DONE);
	return 0;
}

/* ---- set-up ------------------------------------------------------------------ */

static int suite_init(void)
{
	struct lease_log_params lp = { .size = 4096 };
	struct ctl_params cp = { .peer_addr = "127.0.0.1" };
	const struct cmd_def *tables[] = { cmds_lease, cmds_lease6, cmds_bulk };
	unsigned w, t;

	now = (uint32_t)time(NULL);
	pool4 = (struct conf_pool){ .first = IP4(10), .last = IP4(0x3ff) };
	sn4 = (struct conf_subnet){ .id = 1, .prefix = IP4(0), .prefix_len = 16,
				    .mask = 0xffff0000u, .pools = &pool4, .n_pools = 1, .iface = -1,
				    .valid_lifetime = 4000 };
	if (parse_ip6("2001:db8:1::100", &pool6.first) || parse_ip6("2001:db8:1::1ff", &pool6.last) ||
	    parse_ip6("2001:db8:1::", &sn6.prefix))
		return -1;
	sn6.id = 1;
	sn6.prefix_len = 64;
	sn6.pools = &pool6;
	sn6.n_pools = 1;
	sn6.valid_lifetime = 4000;
	sn6.preferred_lifetime = 3000;
	c6.subnets = &sn6;
	c6.n_subnets = 1;
	conf.subnets = &sn4;
	conf.n_subnets = 1;
	conf.valid_lifetime = 4000;
	conf.v6 = &c6;
	rt = dhcp4_runtime_create(&conf);
	if (!rt)
		return -1;
	dp.n_workers = NW;
	dp.rt6 = (struct dhcp6_runtime *)&dp;   /* "DHCPv6 is served"; never looked into */
	for (w = 0; w < NW; w++) {
		struct dhcp4_worker_params p = {
			.id = w, .n_workers = NW, .conf = &conf, .rt = rt, .lease_capacity = 1024,
		};

		logs[w] = lease_log_create(&lp);
		if (!logs[w])
			return -1;
		cons[w] = lease_log_consumer_add(logs[w], LEASE_LOG_LOSSY, NULL);
		p.log = logs[w];
		dw[w] = dhcp4_worker_create(&p);
		dp.workers[w] = aligned_alloc(64, sizeof(*dp.workers[w]));
		if (cons[w] < 0 || !dw[w] || !dp.workers[w])
			return -1;
		dhcp4_worker_set_now(dw[w], now);
		memset(dp.workers[w], 0, sizeof(*dp.workers[w]));
		dp.workers[w]->dw = dw[w];
		dp.workers[w]->log = logs[w];
	}
	srv.dp = &dp;
	srv.conf = &conf;
	srv.rt = rt;
	pthread_mutex_init(&srv.lock, NULL);
	ctl = ctl_create(&cp);
	if (!ctl)
		return -1;
	srv.ctl = ctl;
	for (t = 0; t < 3; t++)
		for (const struct cmd_def *d = tables[t]; d->name; d++)
			if (ctl_register(ctl, d->name, d->fn, &srv))
				return -1;
	return 0;
}

static int suite_clean(void)
{
	ctl_free(ctl);
	for (unsigned w = 0; w < NW; w++) {
		dhcp4_worker_free(dw[w]);
		lease_log_free(logs[w]);
		free(dp.workers[w]);
	}
	dhcp4_runtime_free(rt);
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

/* Run one request, from the partner (peer listener) or the control
 * channel: the answer's result; its arguments in *args (may be NULL). */
static int request(bool peer, const char *req, json_t **args)
{
	json_t *a = peer ? ctl_run_peer_request(ctl, req, strlen(req))
			 : ctl_run_request(ctl, req, strlen(req), NULL);
	int r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	r = (int)json_integer_value(json_object_get(a, "result"));
	if (args) {
		*args = json_object_get(a, "arguments");
		json_incref(*args);
	}
	json_decref(a);
	return r;
}

/* Every log entry since the last call, over all workers: how many, and
 * how many of them have `origin`. */
static unsigned drain(uint8_t origin, unsigned *with_origin)
{
	struct lease_change ch[64];
	unsigned w, n, i, total = 0;

	*with_origin = 0;
	for (w = 0; w < NW; w++)
		while ((n = lease_log_read(logs[w], (unsigned)cons[w], ch, 64)) > 0)
			for (i = 0; i < n; i++, total++)
				*with_origin += ch[i].origin == origin;
	return total;
}

/* The lease at IP4(d): 1 with its MAC's last two bytes in *mac, 0 none. */
static int lease_at(unsigned d, unsigned *mac)
{
	struct lease_rec r;

	if (holder_of(&srv, IP4(d), &r, NULL) < 0)
		return 0;
	*mac = (unsigned)r.hwaddr[4] << 8 | r.hwaddr[5];
	return 1;
}

/* Kea's lease4-update arguments for IP4(d), MAC 02:00:00:00:m (two
 * bytes), cltt c. */
static void lease4_args(char *b, size_t n, unsigned d, unsigned m, uint32_t c)
{
	snprintf(b, n, "{\"ip-address\": \"198.18.%u.%u\", \"hw-address\": \"02:00:00:00:%02x:%02x\","
		 " \"subnet-id\": 1, \"valid-lft\": 4000, \"cltt\": %u, \"force-create\": true}",
		 d >> 8, d & 255, m >> 8, m & 255, c);
}

static void wipe(void)
{
	unsigned o;

	CU_ASSERT(request(false, "{\"command\": \"lease4-wipe\"}", NULL) <= CTL_EMPTY);
	memset(f6, 0, sizeof(f6));
	n_origins6 = 0;
	drain(0, &o);
}

/* ---- origins ----------------------------------------------------------------- */

static void test_origin_update(void)
{
	char req[512], a[300];
	unsigned ha, ctrl, mac;

	wipe();
	lease4_args(a, sizeof(a), 20, 1, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-update\", \"arguments\": %s}", a);
	CU_ASSERT_EQUAL(request(true, req, NULL), CTL_SUCCESS);
	CU_ASSERT(lease_at(20, &mac) && mac == 1);
	CU_ASSERT_EQUAL(drain(LEASE_ORIGIN_HA, &ha), 1);
	CU_ASSERT_EQUAL(ha, 1);
	/* the same command on the control channel is the operator's */
	lease4_args(a, sizeof(a), 20, 1, now + 10);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-update\", \"arguments\": %s}", a);
	CU_ASSERT_EQUAL(request(false, req, NULL), CTL_SUCCESS);
	CU_ASSERT_EQUAL(drain(LEASE_ORIGIN_CONTROL, &ctrl), 1);
	CU_ASSERT_EQUAL(ctrl, 1);
	/* the partner's delete too */
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease4-del\", \"arguments\":"
				" {\"ip-address\": \"198.18.0.20\"}}", NULL), CTL_SUCCESS);
	CU_ASSERT_FALSE(lease_at(20, &mac));
	CU_ASSERT_EQUAL(drain(LEASE_ORIGIN_HA, &ha), 1);
	CU_ASSERT_EQUAL(ha, 1);
}

/* A lease whose new client belongs to another worker moves there (ADOPT,
 * HANDOVER): the new holder's record is the partner's too. */
static void test_origin_move(void)
{
	struct lease_rec r = { .hwaddr_len = 6, .htype = 1, .hwaddr = { 2, 0, 0, 0, 0, 1 } };
	char req[512], a[300];
	unsigned m, ha, total, mac;

	wipe();
	lease4_args(a, sizeof(a), 21, 1, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-update\", \"arguments\": %s}", a);
	CU_ASSERT_EQUAL_FATAL(request(false, req, NULL), CTL_SUCCESS);
	drain(0, &ha);
	/* a MAC owned by another worker than 02:..:01's */
	for (m = 2; m < 255; m++) {
		unsigned o1 = rec_owner(&srv, &r);

		r.hwaddr[5] = (uint8_t)m;
		if (rec_owner(&srv, &r) != o1)
			break;
		r.hwaddr[5] = 1;
	}
	CU_ASSERT_FATAL(m < 255);
	lease4_args(a, sizeof(a), 21, m, now + 5);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-update\", \"arguments\": %s}", a);
	CU_ASSERT_EQUAL(request(true, req, NULL), CTL_SUCCESS);
	CU_ASSERT(lease_at(21, &mac) && mac == m);
	total = drain(LEASE_ORIGIN_HA, &ha);
	CU_ASSERT(total >= 1);
	CU_ASSERT_EQUAL(ha, total);
}

/* The HA thread's sync pages: origin HA, and the control channel's next
 * change is CONTROL again. */
static void test_origin_apply(void)
{
	struct lease_rec r = { .addr = IP4(22), .hwaddr_len = 6, .htype = 1,
			       .hwaddr = { 2, 0, 0, 0, 0, 9 }, .subnet_id = 1, .valid_lft = 4000,
			       .expire = now + 4000 };
	char req[512], a[300];
	unsigned ha, ctrl, mac;

	wipe();
	CU_ASSERT_EQUAL(dp_srv_lease4_apply(&srv, &r), 0);
	CU_ASSERT(lease_at(22, &mac) && mac == 9);
	CU_ASSERT_EQUAL(drain(LEASE_ORIGIN_HA, &ha), 1);
	CU_ASSERT_EQUAL(ha, 1);
	lease4_args(a, sizeof(a), 23, 3, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-add\", \"arguments\": %s}", a);
	CU_ASSERT_EQUAL(request(false, req, NULL), CTL_SUCCESS);
	CU_ASSERT_EQUAL(drain(LEASE_ORIGIN_CONTROL, &ctrl), 1);
	CU_ASSERT_EQUAL(ctrl, 1);
}

/* The partner's changes are acknowledged once applied, a control
 * command's once durable: with a consumer the replies wait for that never
 * confirms (a store that stalls), lease4-bulk-apply from the peer
 * listener and a sync page's apply succeed at once; lease4-add fails with
 * the durability timeout (2 s). */
static void test_ha_no_durable_wait(void)
{
	struct lease_rec r = { .addr = IP4(24), .hwaddr_len = 6, .htype = 1,
			       .hwaddr = { 2, 0, 0, 0, 0, 10 }, .subnet_id = 1, .valid_lft = 4000,
			       .expire = now + 4000 };
	char req[1024], a[300];
	unsigned w, mac;

	wipe();
	for (w = 0; w < NW; w++)
		dp.workers[w]->need = 1u << cons[w];     /* nobody publishes its watermark */
	CU_ASSERT_EQUAL(dp_srv_lease4_apply(&srv, &r), 0);
	CU_ASSERT(lease_at(24, &mac) && mac == 10);
	lease4_args(a, sizeof(a), 25, 11, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-bulk-apply\", \"arguments\":"
		 " {\"leases\": [%s]}}", a);
	CU_ASSERT_EQUAL(request(true, req, NULL), CTL_SUCCESS);
	CU_ASSERT(lease_at(25, &mac) && mac == 11);
	lease4_args(a, sizeof(a), 26, 12, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-add\", \"arguments\": %s}", a);
	CU_ASSERT_NOT_EQUAL(request(false, req, NULL), CTL_SUCCESS);
	for (w = 0; w < NW; w++)
		dp.workers[w]->need = 0;
}

/* ---- lease4-bulk-apply ----------------------------------------------------- */

static const json_t *failed(const json_t *args, const char *list, size_t i)
{
	return json_array_get(json_object_get(args, list), i);
}

static void test_bulk4(void)
{
	char req[2048], a[4][300];
	unsigned mac, ha, total;
	json_t *args;
	const json_t *e;

	wipe();
	/* .30 (MAC 1) and .31 (MAC 2) exist */
	lease4_args(a[0], sizeof(a[0]), 30, 1, now);
	lease4_args(a[1], sizeof(a[1]), 31, 2, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-bulk-apply\", \"arguments\":"
		 " {\"leases\": [%s, %s]}}", a[0], a[1]);
	CU_ASSERT_EQUAL(request(false, req, &args), CTL_SUCCESS);
	CU_ASSERT_PTR_NULL(args);                       /* nothing failed */
	CU_ASSERT(lease_at(30, &mac) && mac == 1);
	CU_ASSERT(lease_at(31, &mac) && mac == 2);
	drain(0, &ha);

	/* From the partner: delete .30 and .99 (none), then re-create .30
	 * for MAC 3 (after the delete: it stays), update .31 (newer), create
	 * .32 for MAC 1 (free after the delete), and a lease for MAC 2 at .33
	 * (MAC 2 holds .31: refused, the others applied). */
	lease4_args(a[0], sizeof(a[0]), 30, 3, now);
	lease4_args(a[1], sizeof(a[1]), 31, 2, now + 100);
	lease4_args(a[2], sizeof(a[2]), 32, 1, now);
	lease4_args(a[3], sizeof(a[3]), 33, 2, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-bulk-apply\", \"arguments\":"
		 " {\"deleted-leases\": [{\"ip-address\": \"198.18.0.30\"},"
		 " {\"ip-address\": \"198.18.0.99\"}], \"leases\": [%s, %s, %s, %s]}}",
		 a[0], a[1], a[2], a[3]);
	CU_ASSERT_EQUAL(request(true, req, &args), CTL_SUCCESS);
	CU_ASSERT(lease_at(30, &mac) && mac == 3);
	CU_ASSERT(lease_at(31, &mac) && mac == 2);
	CU_ASSERT(lease_at(32, &mac) && mac == 1);
	CU_ASSERT_FALSE(lease_at(33, &mac));
	{
		struct lease_rec r;

		CU_ASSERT(holder_of(&srv, IP4(31), &r, NULL) >= 0 &&
			  r.expire - r.valid_lft == now + 100);
	}
	CU_ASSERT_EQUAL(json_array_size(json_object_get(args, "failed-deleted-leases")), 1);
	e = failed(args, "failed-deleted-leases", 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "ip-address")), "198.18.0.99");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "type")), "V4");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "result")), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "error-message")),
			       "lease not found");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(args, "failed-leases")), 1);
	e = failed(args, "failed-leases", 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "ip-address")), "198.18.0.33");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "result")), CTL_CONFLICT);
	json_decref(args);
	/* every change logged as the partner's: 1 delete + 3 leases */
	total = drain(LEASE_ORIGIN_HA, &ha);
	CU_ASSERT_EQUAL(total, 4);
	CU_ASSERT_EQUAL(ha, 4);

	/* a malformed entry: result 1, nothing changed (the delete neither) */
	lease4_args(a[0], sizeof(a[0]), 34, 4, now);
	snprintf(req, sizeof(req), "{\"command\": \"lease4-bulk-apply\", \"arguments\":"
		 " {\"deleted-leases\": [{\"ip-address\": \"198.18.0.31\"}], \"leases\": [%s,"
		 " {\"ip-address\": \"10.9.9.9\", \"hw-address\": \"02:00:00:00:00:05\"}]}}", a[0]);
	CU_ASSERT_EQUAL(request(true, req, NULL), CTL_ERROR);
	CU_ASSERT(lease_at(31, &mac));
	CU_ASSERT_FALSE(lease_at(34, &mac));
	CU_ASSERT_EQUAL(drain(0, &ha), 0);
	/* only failures: result 3 */
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease4-bulk-apply\", \"arguments\":"
				" {\"deleted-leases\": [{\"ip-address\": \"198.18.0.99\"}]}}", NULL),
			CTL_EMPTY);
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease4-bulk-apply\", \"arguments\": {}}",
				NULL), CTL_ERROR);
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease4-bulk-apply\", \"arguments\":"
				" {\"leases\": {}}}", NULL), CTL_ERROR);
}

/* BULK_N leases in one lease4-bulk-apply: all applied.  The rate is printed
 * (this test's fake ring answers at once: it is the control side's cost,
 * not the workers'), never asserted. */
#define BULK_N 256
static void test_bulk4_many(void)
{
	size_t cap = BULK_N * 200 + 128, k;
	char *req = malloc(cap), a[300];
	struct timespec t0, t1;
	unsigned i, mac, ok = 0, ha;
	double s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	wipe();
	k = (size_t)snprintf(req, cap, "{\"command\": \"lease4-bulk-apply\", \"arguments\": {\"leases\": [");
	for (i = 0; i < BULK_N; i++) {
		lease4_args(a, sizeof(a), 0x100 + i, i, now);
		k += (size_t)snprintf(req + k, cap - k, "%s%s", i ? ", " : "", a);
	}
	snprintf(req + k, cap - k, "]}}");
	n_apply = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(request(true, req, NULL), CTL_SUCCESS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* batched: a few APPLY messages per worker, not one per lease */
	CU_ASSERT(n_apply >= NW && n_apply <= BULK_N / DP_APPLY_MAX + NW);
	for (i = 0; i < BULK_N; i++)
		ok += lease_at(0x100 + i, &mac) && mac == i;
	CU_ASSERT_EQUAL(ok, BULK_N);
	CU_ASSERT_EQUAL(drain(LEASE_ORIGIN_HA, &ha), BULK_N);
	CU_ASSERT_EQUAL(ha, BULK_N);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("\n  lease4-bulk-apply: %u leases in %.2f ms, %.0f leases/s (%u APPLY messages) ",
	       BULK_N, s * 1e3, BULK_N / s, n_apply);
	free(req);
}

/* ---- lease6-bulk-apply ----------------------------------------------------- */

static unsigned n6(void)
{
	return f6[0].n + f6[1].n + f6[2].n;
}

static bool has6(const char *ip)
{
	struct lease_addr6 a;

	if (parse_ip6(ip, &a))
		return false;
	for (unsigned w = 0; w < NW; w++)
		if (find6(&f6[w], a))
			return true;
	return false;
}

#define L6(ip, duid, extra) \
	"{\"ip-address\": \"" ip "\", \"duid\": \"" duid "\", \"iaid\": 1, \"subnet-id\": 1" extra "}"

static void test_bulk6(void)
{
	json_t *args;
	const json_t *e;
	struct lease6_rec *l;
	struct lease_addr6 a;
	unsigned i;

	wipe();
	CU_ASSERT_EQUAL(request(false, "{\"command\": \"lease6-bulk-apply\", \"arguments\": {\"leases\": ["
				L6("2001:db8:1::100", "0a:01", "") ", "
				L6("2001:db8:1::101", "0a:02", "") "]}}", &args), CTL_SUCCESS);
	CU_ASSERT_PTR_NULL(args);
	CU_ASSERT_EQUAL(n6(), 2);
	CU_ASSERT(n_origins6 == 2 && origins6[0] == LEASE_ORIGIN_CONTROL &&
		  origins6[1] == LEASE_ORIGIN_CONTROL);
	n_origins6 = 0;
	/* From the partner: delete ::100 and ::1ff (none), re-create ::100
	 * for another client (after the delete: it stays), update ::101
	 * (newer expire). */
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease6-bulk-apply\", \"arguments\": {"
				"\"deleted-leases\": [{\"ip-address\": \"2001:db8:1::100\"},"
				" {\"ip-address\": \"2001:db8:1::1ff\", \"type\": \"IA_NA\"}],"
				" \"leases\": ["
				L6("2001:db8:1::100", "0a:03", "") ", "
				L6("2001:db8:1::101", "0a:02", ", \"expire\": 1900000000") "]}}", &args),
			CTL_SUCCESS);
	CU_ASSERT(has6("2001:db8:1::100") && has6("2001:db8:1::101"));
	CU_ASSERT_EQUAL(n6(), 2);
	CU_ASSERT_FATAL(!parse_ip6("2001:db8:1::101", &a));
	for (i = 0, l = NULL; i < NW && !l; i++)
		l = find6(&f6[i], a);
	CU_ASSERT(l && l->expire == 1900000000u);
	CU_ASSERT_FATAL(!parse_ip6("2001:db8:1::100", &a));
	for (i = 0, l = NULL; i < NW && !l; i++)
		l = find6(&f6[i], a);
	CU_ASSERT(l && l->duid_len == 2 && l->duid[1] == 3);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(args, "failed-deleted-leases")), 1);
	e = failed(args, "failed-deleted-leases", 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "ip-address")), "2001:db8:1::1ff");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "type")), "IA_NA");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "result")), CTL_EMPTY);
	CU_ASSERT_PTR_NULL(json_object_get(args, "failed-leases"));
	json_decref(args);
	/* delete + add + update, all the partner's */
	CU_ASSERT_EQUAL(n_origins6, 3);
	for (i = 0; i < n_origins6; i++)
		CU_ASSERT_EQUAL(origins6[i], LEASE_ORIGIN_HA);

	/* a worker that refuses one lease: listed, the other applied */
	{
		unsigned w = duid_owner(&srv, (const uint8_t[]){ 0x0a, 0x04 }, 2);

		while (f6[w].n < CAP6) {                /* fill its table: ADD6 refused */
			f6[w].v[f6[w].n] = (struct lease6_rec){ .addr = { 1, f6[w].n } };
			f6[w].n++;
		}
	}
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease6-bulk-apply\", \"arguments\": {"
				"\"leases\": [" L6("2001:db8:1::104", "0a:04", "") ", "
				L6("2001:db8:1::105", "0a:05", "") "]}}", &args), CTL_SUCCESS);
	CU_ASSERT_TRUE(has6("2001:db8:1::105"));
	CU_ASSERT_FALSE(has6("2001:db8:1::104"));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(args, "failed-leases")), 1);
	e = failed(args, "failed-leases", 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "ip-address")), "2001:db8:1::104");
	CU_ASSERT(json_integer_value(json_object_get(e, "result")) == CTL_CONFLICT ||
		  json_integer_value(json_object_get(e, "result")) == CTL_ERROR);
	json_decref(args);
	/* malformed: nothing applied */
	CU_ASSERT_EQUAL(request(true, "{\"command\": \"lease6-bulk-apply\", \"arguments\": {"
				"\"deleted-leases\": [{\"ip-address\": \"2001:db8:1::105\"}],"
				" \"leases\": [{\"ip-address\": \"2001:db8:1::106\"}]}}", NULL), CTL_ERROR);
	CU_ASSERT_TRUE(has6("2001:db8:1::105"));
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha lease updates served", suite_init, suite_clean);
	CU_add_test(s, "lease4-update/-del: origin HA from the peer, CONTROL from the channel",
		    test_origin_update);
	CU_add_test(s, "a move to another worker keeps origin HA", test_origin_move);
	CU_add_test(s, "dp_srv_lease4_apply: origin HA", test_origin_apply);
	CU_add_test(s, "the partner's changes: no durability wait", test_ha_no_durable_wait);
	CU_add_test(s, "lease4-bulk-apply", test_bulk4);
	CU_add_test(s, "lease4-bulk-apply of 256 leases", test_bulk4_many);
	CU_add_test(s, "lease6-bulk-apply", test_bulk6);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
