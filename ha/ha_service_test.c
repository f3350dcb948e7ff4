/* Two HA services in one process, each behind its own peer listener
 * (engine/ctl's ctl on 127.0.0.1, the partner's commands registered as
 * the server will), driven by one thread that polls both as the HA thread
 * will.  Short timers (heartbeat-delay 100 ms, max-response-delay 300 ms);
 * the waits below are generous liveness bounds, not speed checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>      /* before ctl.h, which uses bool without it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "ctl.h"
#include "ha_msg.h"
#include "ha_service.h"
#include "lease_log.h"

#define HB_MS     100
#define MRD_MS    300
#define WAIT_MS   15000      /* liveness bound for every wait */
#define MAX_LEASES 64
#define UPD_LOG_MAX 32

struct inst {
	const char *name;
	struct ctl *ctl;
	uint16_t port;
	struct conf_ha ha;
	struct ha_service *svc;
	bool running;                /* polled by the driver */
	int64_t skew_s;              /* added to this server's wall clock */
	pthread_mutex_t mu;          /* what follows: ops and handlers write it */
	bool service;
	unsigned scopes;
	bool partner_off;            /* disabled by the partner's dhcp-disable */
	unsigned disables, enables, sync_done_calls;
	struct lease_rec leases[MAX_LEASES];
	unsigned n_leases;
	/* lease updates received: the changes in order, bulk requests */
	uint32_t log_addr[UPD_LOG_MAX];
	char log_kind[UPD_LOG_MAX];	/* 'U' update, 'D' delete */
	unsigned n_log, n_bulk;
	uint32_t refuse_addr;		/* its updates are refused */
	bool no_bulk;			/* heartbeat answer without the capability (as Kea) */
	unsigned stall_ms;		/* each update handler sleeps this long */
};

static struct inst A = { .name = "server1" }, B = { .name = "server2" };
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;   /* the driver vs setup */
static atomic_bool g_stop;
static bool g_dhcp6;                 /* pair_up runs DHCPv6 relationships too */
static atomic_uint g_pages6;         /* lease6-get-page requests answered */
static int h_get_page6(const json_t *args, json_t **out, char *text, size_t len, void *ctx);

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- ops ---- */

static void op_service(void *ctx, int fam, bool on)
{
	struct inst *in = ctx;

	if (fam != 4)
		return;
	pthread_mutex_lock(&in->mu);
	in->service = on;
	pthread_mutex_unlock(&in->mu);
}

static void op_scopes(void *ctx, int fam, unsigned scopes)
{
	struct inst *in = ctx;

	if (fam != 4)
		return;
	pthread_mutex_lock(&in->mu);
	in->scopes = scopes;
	pthread_mutex_unlock(&in->mu);
}

static void op_sync_done(void *ctx, int fam)
{
	struct inst *in = ctx;

	(void)fam;
	pthread_mutex_lock(&in->mu);
	in->partner_off = false;
	in->sync_done_calls++;
	pthread_mutex_unlock(&in->mu);
}

/* Keep the newer of ours and theirs, by expiry. */
static int op_apply4(void *ctx, const struct lease_rec *recs, size_t n)
{
	struct inst *in = ctx;

	pthread_mutex_lock(&in->mu);
	for (size_t i = 0; i < n; i++) {
		unsigned k;

		for (k = 0; k < in->n_leases && in->leases[k].addr != recs[i].addr; k++)
			;
		if (k == in->n_leases) {
			if (k == MAX_LEASES)
				continue;
			in->n_leases++;
		} else if (in->leases[k].expire >= recs[i].expire) {
			continue;
		}
		in->leases[k] = recs[i];
	}
	pthread_mutex_unlock(&in->mu);
	return 0;
}

static int op_apply6(void *ctx, const struct lease6_rec *recs, size_t n)
{
	(void)ctx;
	(void)recs;
	return n == 0 ? 0 : -1;    /* the partner has none */
}

static int64_t op_clock(void *ctx)
{
	return (int64_t)time(NULL) + ((struct inst *)ctx)->skew_s;
}

/* ---- the peer listener's handlers ---- */

/* The instance's service as the HA side set it (NULL while it is down:
 * its listener may still answer in between). */
static struct ha_service *svc_of(struct inst *in)
{
	struct ha_service *svc;

	pthread_mutex_lock(&g_lock);
	svc = in->svc;
	pthread_mutex_unlock(&g_lock);
	return svc;
}

static int fam_of(struct inst *in)
{
	const json_t *svc = ctl_request_service(in->ctl);
	const char *s = json_string_value(json_array_get(svc, 0));

	return s && strcmp(s, "dhcp6") == 0 ? 6 : 4;
}

static int h_heartbeat(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;
	int rc;

	(void)args;
	rc = ha_service_heartbeat_answer(svc_of(in), fam_of(in), out, text, len);
	if (in->no_bulk && *out)
		json_object_del(*out, HA_MSG_BULK_KEY);
	return rc;
}

static int h_sync_complete(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;

	(void)args;
	(void)out;
	return ha_service_sync_complete_notify(svc_of(in), fam_of(in), text, len);
}

static int h_maint_notify(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;
	bool cancel = json_is_true(json_object_get(args, "cancel"));

	(void)out;
	return ha_service_command(svc_of(in), fam_of(in),
				  cancel ? HA_EV_MAINT_NOTIFY_CANCEL : HA_EV_MAINT_NOTIFY, text, len);
}

static int h_reset(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;

	(void)args;
	(void)out;
	return ha_service_command(svc_of(in), fam_of(in), HA_EV_RESET, text, len);
}

static int h_disable(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;
	const char *origin = json_string_value(json_object_get(args, "origin"));

	(void)out;
	if (!origin || strcmp(origin, "ha-partner") != 0) {
		snprintf(text, len, "origin ha-partner expected");
		return CTL_ERROR;
	}
	pthread_mutex_lock(&in->mu);
	in->partner_off = true;
	in->disables++;
	pthread_mutex_unlock(&in->mu);
	snprintf(text, len, "DHCPv4 service disabled for %lld seconds",
		 (long long)json_integer_value(json_object_get(args, "max-period")));
	return CTL_SUCCESS;
}

static int h_enable(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;

	(void)args;
	(void)out;
	pthread_mutex_lock(&in->mu);
	in->partner_off = false;
	in->enables++;
	pthread_mutex_unlock(&in->mu);
	snprintf(text, len, "DHCP service successfully enabled");
	return CTL_SUCCESS;
}

static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = ((const struct lease_rec *)a)->addr, y = ((const struct lease_rec *)b)->addr;

	return x < y ? -1 : x > y;
}

/* lease4-get-page as libdhcp_lease_cmds answers it. */
static int h_get_page(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	struct inst *in = ctx;
	const char *from = json_string_value(json_object_get(args, "from"));
	json_int_t limit = json_integer_value(json_object_get(args, "limit"));
	uint32_t after = 0;
	bool start = from && strcmp(from, "start") == 0;
	json_t *list = json_array();
	struct in_addr ia;
	unsigned n = 0;

	if (!from || limit < 1 || (!start && inet_pton(AF_INET, from, &ia) != 1)) {
		json_decref(list);
		snprintf(text, len, "bad arguments");
		return CTL_ERROR;
	}
	if (!start)
		after = ntohl(ia.s_addr);
	pthread_mutex_lock(&in->mu);
	qsort(in->leases, in->n_leases, sizeof(in->leases[0]), cmp_addr);
	for (unsigned i = 0; i < in->n_leases && n < (unsigned)limit; i++) {
		if (!start && in->leases[i].addr <= after)
			continue;
		json_array_append_new(list, ha_msg_lease4_json(&in->leases[i], false));
		n++;
	}
	pthread_mutex_unlock(&in->mu);
	*out = json_pack("{s:I, s:o}", "count", (json_int_t)n, "leases", list);
	snprintf(text, len, "%u IPv4 lease(s) found.", n);
	return n ? CTL_SUCCESS : CTL_EMPTY;
}

/* ---- the partner's side of lease updates: fake lease handlers ---- */

/* Apply one lease change to in's table: 0, or -1 when refused
 * (in->refuse_addr), 1 for a delete of a lease it does not have. */
static int apply_change(struct inst *in, const json_t *l, bool del, char kind, uint32_t *addr)
{
	struct lease_rec r;
	char err[128];
	unsigned k;
	int rc = 0;

	if (in->stall_ms)
		usleep(in->stall_ms * 1000);
	if (ha_msg_lease4_from_json(l, !del, (uint32_t)time(NULL), &r, err, sizeof(err)) != 0)
		return -1;
	*addr = r.addr;
	pthread_mutex_lock(&in->mu);
	if (in->n_log < UPD_LOG_MAX) {
		in->log_addr[in->n_log] = r.addr;
		in->log_kind[in->n_log++] = kind;
	}
	for (k = 0; k < in->n_leases && in->leases[k].addr != r.addr; k++)
		;
	if (r.addr == in->refuse_addr)
		rc = -1;
	else if (del && k == in->n_leases)
		rc = 1;
	else if (del)
		in->leases[k] = in->leases[--in->n_leases];
	else if (k < MAX_LEASES)
		in->leases[k == in->n_leases ? in->n_leases++ : k] = r;
	pthread_mutex_unlock(&in->mu);
	return rc;
}

static int h_lease4_update(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	uint32_t addr;

	(void)out;
	if (!json_is_true(json_object_get(args, "force-create")) ||
	    apply_change(ctx, args, false, 'U', &addr) < 0) {
		snprintf(text, len, "refused");
		return CTL_ERROR;
	}
	snprintf(text, len, "IPv4 lease updated.");
	return CTL_SUCCESS;
}

static int h_lease4_del(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	uint32_t addr;
	int rc = apply_change(ctx, args, true, 'D', &addr);

	(void)out;
	snprintf(text, len, rc == 0 ? "IPv4 lease deleted." : rc > 0 ? "IPv4 lease not found."
								      : "refused");
	return rc == 0 ? CTL_SUCCESS : rc > 0 ? CTL_EMPTY : CTL_ERROR;
}

/* lease4-bulk-apply as Peregrine answers it: Kea's lease6-bulk-apply form. */
static int h_lease4_bulk(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	static const char *const lists[2] = { "deleted-leases", "leases" };
	struct inst *in = ctx;
	json_t *failed[2] = { json_array(), json_array() }, *l;
	unsigned applied = 0;
	size_t i;

	pthread_mutex_lock(&in->mu);
	in->n_bulk++;
	pthread_mutex_unlock(&in->mu);
	for (unsigned d = 0; d < 2; d++) {
		json_array_foreach(json_object_get(args, lists[d]), i, l) {
			uint32_t addr = 0;
			int rc = apply_change(in, l, d == 0, d == 0 ? 'D' : 'U', &addr);
			char ip[INET_ADDRSTRLEN];
			struct in_addr ia = { .s_addr = htonl(addr) };

			applied += rc == 0;
			if (rc == 0)
				continue;
			inet_ntop(AF_INET, &ia, ip, sizeof(ip));
			json_array_append_new(failed[d], json_pack("{s:s, s:i}", "ip-address", ip,
								   "result", rc > 0 ? 3 : 1));
		}
	}
	*out = json_pack("{s:o, s:o}", "failed-deleted-leases", failed[0], "failed-leases",
			 failed[1]);
	snprintf(text, len, "Bulk apply of %u IPv4 leases completed.", applied);
	return applied ? CTL_SUCCESS : CTL_EMPTY;
}

static int listener_start(struct inst *in, uint16_t port)
{
	struct ctl_params p = { .peer_addr = "127.0.0.1", .peer_port = port };
	static const struct { const char *name; ctl_handler_fn fn; } cmds[] = {
		{ "ha-heartbeat", h_heartbeat }, { "ha-sync-complete-notify", h_sync_complete },
		{ "ha-maintenance-notify", h_maint_notify }, { "ha-reset", h_reset },
		{ "dhcp-disable", h_disable }, { "dhcp-enable", h_enable },
		{ "lease4-get-page", h_get_page }, { "lease6-get-page", h_get_page6 },
		{ "lease4-update", h_lease4_update }, { "lease4-del", h_lease4_del },
		{ "lease4-bulk-apply", h_lease4_bulk },
	};

	in->ctl = ctl_create(&p);
	if (!in->ctl)
		return -1;
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (ctl_register(in->ctl, cmds[i].name, cmds[i].fn, in) != 0)
			return -1;
	if (ctl_start(in->ctl) != 0)
		return -1;
	in->port = ctl_peer_port(in->ctl);
	return 0;
}

static void listener_stop(struct inst *in)
{
	if (in->ctl) {
		ctl_stop(in->ctl);
		ctl_free(in->ctl);
		in->ctl = NULL;
	}
}

/* ---- the pair ---- */

static void peer_set(struct conf_ha_peer *p, const char *name, uint16_t port,
		     enum conf_ha_role role)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->url.host, sizeof(p->url.host), "127.0.0.1");
	snprintf(p->url.text, sizeof(p->url.text), "http://127.0.0.1:%u/", port);
	p->url.addr4 = 0x7f000001;
	p->url.port = port;
	p->url6 = p->url;
	p->role = role;
	p->auto_failover = true;
	p->class4 = p->class6 = -1;
}

static void conf_pair(struct inst *in, unsigned me, enum conf_ha_mode mode)
{
	struct conf_ha *ha = &in->ha;

	memset(ha, 0, sizeof(*ha));
	snprintf(ha->this_server_name, sizeof(ha->this_server_name), "%s", in->name);
	ha->this_peer = me;
	ha->mode = mode;
	ha->heartbeat_delay = HB_MS;
	ha->max_response_delay = MRD_MS;
	ha->max_ack_delay = 100;
	ha->max_unacked_clients = 0;
	ha->sync_timeout = 5000;
	ha->sync_page_limit = 2;        /* several pages for a handful of leases */
	ha->delayed_updates_limit = mode == CONF_HA_LOAD_BALANCING ? 100 : 0;
	ha->sync_leases = ha->send_lease_updates = true;
	ha->n_peers = 2;
	peer_set(&ha->peers[0], "server1", A.port, CONF_HA_PRIMARY);
	peer_set(&ha->peers[1], "server2", B.port,
		 mode == CONF_HA_LOAD_BALANCING ? CONF_HA_SECONDARY : CONF_HA_STANDBY);
}

static void inst_reset(struct inst *in)
{
	pthread_mutex_lock(&in->mu);
	in->service = false;
	in->scopes = 0;
	in->partner_off = false;
	in->disables = in->enables = in->sync_done_calls = 0;
	pthread_mutex_unlock(&in->mu);
}

/* Create and start in's service (its listener already runs). */
static int service_up(struct inst *in, unsigned me, enum conf_ha_mode mode)
{
	struct ha_service_params p = {
		.ha = &in->ha,
		.dhcp6 = g_dhcp6,
		.ops = { .apply_leases6 = op_apply6, .ctx = in, .set_service = op_service, .set_scopes = op_scopes,
			 .end_partner_disable = op_sync_done, .apply_leases4 = op_apply4,
			 .wall_clock = op_clock },
	};
	struct ha_service *svc;

	conf_pair(in, me, mode);
	svc = ha_service_create(&p, mono_ms());
	if (!svc || ha_service_start(svc, mono_ms()) != 0)
		return -1;
	pthread_mutex_lock(&g_lock);
	in->svc = svc;
	in->running = true;
	pthread_mutex_unlock(&g_lock);
	return 0;
}

/* Stop polling in, close its listener, drop its service (a crash). */
static void server_down(struct inst *in)
{
	struct ha_service *svc;

	pthread_mutex_lock(&g_lock);
	in->running = false;
	pthread_mutex_unlock(&g_lock);
	listener_stop(in);
	pthread_mutex_lock(&g_lock);
	svc = in->svc;
	in->svc = NULL;
	pthread_mutex_unlock(&g_lock);
	ha_service_destroy(svc);
}

static int pair_up(enum conf_ha_mode mode)
{
	inst_reset(&A);
	inst_reset(&B);
	if (listener_start(&A, 0) || listener_start(&B, 0))
		return -1;
	if (service_up(&A, 0, mode) || service_up(&B, 1, mode))
		return -1;
	return 0;
}

static void pair_down(void)
{
	server_down(&A);
	server_down(&B);
	A.skew_s = B.skew_s = 0;
	A.n_leases = B.n_leases = 0;
}

/* The HA thread of both servers. */
/* Kea's answer for a store without DHCPv6 leases. */
static int h_get_page6(const json_t *args, json_t **out, char *text, size_t len, void *ctx)
{
	(void)args;
	(void)ctx;
	atomic_fetch_add(&g_pages6, 1);
	*out = json_pack("{s:i, s:[]}", "count", 0, "leases");
	snprintf(text, len, "0 IPv6 lease(s) found.");
	return CTL_EMPTY;
}

static void *driver(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_stop)) {
		struct pollfd fds[2 * HA_SERVICE_POLLFDS_MAX];
		struct inst *ins[2] = { &A, &B };
		unsigned n = 0;
		int t = 10;

		pthread_mutex_lock(&g_lock);
		for (unsigned i = 0; i < 2; i++) {
			if (!ins[i]->running)
				continue;
			n += ha_service_pollfds(ins[i]->svc, fds + n, HA_SERVICE_POLLFDS_MAX);
			int ti = ha_service_timeout_ms(ins[i]->svc, mono_ms());

			if (ti >= 0 && ti < t)
				t = ti;
		}
		if (poll(fds, n, t) < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; i < 2; i++)
			if (ins[i]->running)
				ha_service_poll(ins[i]->svc, mono_ms());
		pthread_mutex_unlock(&g_lock);
		usleep(100);    /* let setup take g_lock */
	}
	return NULL;
}

static enum ha_state state_of(struct inst *in)
{
	struct ha_service_info i;

	return in->svc && ha_service_info(in->svc, 4, &i) == 0 ? i.state : HA_ST_UNKNOWN;
}

/* Wait until a is in sa and (b NULL or) b in sb; the time it took, or -1. */
static long wait_states(struct inst *a, enum ha_state sa, struct inst *b, enum ha_state sb)
{
	uint64_t t0 = mono_ms();

	while (mono_ms() - t0 < WAIT_MS) {
		if (state_of(a) == sa && (!b || state_of(b) == sb))
			return (long)(mono_ms() - t0);
		usleep(5000);
	}
	fprintf(stderr, "\n  timeout: %s in %s, %s in %s\n", a->name, ha_state_name(state_of(a)),
		b ? b->name : "-", b ? ha_state_name(state_of(b)) : "-");
	return -1;
}

static void add_lease(struct inst *in, uint32_t addr, uint32_t expire)
{
	struct lease_rec r = { .addr = addr, .subnet_id = 1, .valid_lft = 600,
			       .expire = expire, .htype = 1, .hwaddr_len = 6 };

	r.hwaddr[0] = 0x02;
	r.hwaddr[5] = (uint8_t)addr;
	pthread_mutex_lock(&in->mu);
	in->leases[in->n_leases++] = r;
	pthread_mutex_unlock(&in->mu);
}

static bool has_lease(struct inst *in, uint32_t addr)
{
	bool found = false;

	pthread_mutex_lock(&in->mu);
	for (unsigned i = 0; i < in->n_leases; i++)
		found |= in->leases[i].addr == addr;
	pthread_mutex_unlock(&in->mu);
	return found;
}

static void snap(struct inst *in, bool *service, unsigned *scopes)
{
	pthread_mutex_lock(&in->mu);
	*service = in->service;
	*scopes = in->scopes;
	pthread_mutex_unlock(&in->mu);
}

#define BASE 0xc6120164u   /* 198.18.1.100 */

/* ---- tests ---- */

static void test_hot_standby(void)
{
	uint32_t now = (uint32_t)time(NULL);
	struct ha_service_info info;
	bool svc;
	unsigned sc;
	long t;
	json_t *st;
	char txt[256];

	for (unsigned i = 0; i < 5; i++)
		add_lease(&A, BASE + i, now + 600);
	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	t = wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY);
	CU_ASSERT_FATAL(t >= 0);
	printf("\n  hot-standby on both after %ld ms\n", t);

	/* The standby synced the primary's leases, page by page. */
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT(has_lease(&B, BASE + i));
	CU_ASSERT(ha_service_info(B.svc, 4, &info) == 0);
	CU_ASSERT(info.syncs_done >= 1);
	CU_ASSERT(info.leases_synced >= 5);
	/* It disabled the primary meanwhile and the notify ended that. */
	CU_ASSERT(A.disables >= 1);
	CU_ASSERT(A.sync_done_calls >= 1);
	CU_ASSERT_FALSE(A.partner_off);

	/* Kea's table: both serve in hot-standby; only the primary has a scope. */
	snap(&A, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, 0);

	/* status-get's section as the capture shows it. */
	CU_ASSERT(ha_service_status(B.svc, 4, &st) == 0);
	json_t *rel = json_array_get(st, 0);
	json_t *loc = json_object_get(json_object_get(rel, "ha-servers"), "local");
	json_t *rem = json_object_get(json_object_get(rel, "ha-servers"), "remote");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rel, "ha-mode")), "hot-standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(loc, "role")), "standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(loc, "state")), "hot-standby");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(loc, "scopes")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rem, "role")), "primary");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rem, "last-state")),
			       "hot-standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
				       json_object_get(rem, "last-scopes"), 0)), "server1");
	CU_ASSERT(json_is_true(json_object_get(rem, "in-touch")));
	CU_ASSERT(json_is_false(json_object_get(rem, "communication-interrupted")));
	CU_ASSERT(json_is_integer(json_object_get(rem, "unacked-clients-left")));
	json_decref(st);

	/* The heartbeat answer the partner gets. */
	json_t *hb = NULL;
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(A.svc, 4, &hb, txt, sizeof(txt)), 0);
	CU_ASSERT_STRING_EQUAL(txt, "HA peer status returned.");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hb, "state")), "hot-standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(hb, "scopes"), 0)),
			       "server1");
	CU_ASSERT(json_is_string(json_object_get(hb, "date-time")));
	json_decref(hb);
	/* No DHCPv6 relationship was asked for. */
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(A.svc, 6, &hb, txt, sizeof(txt)),
			HA_RESULT_UNSUPPORTED);
	/* The hook for lease updates: the primary waits for the standby. */
	CU_ASSERT_EQUAL(ha_service_update_policy(A.svc, 4, &A.ha.peers[1]), HA_UPD_SEND_WAIT);
	CU_ASSERT_EQUAL(ha_service_update_policy(A.svc, 4, &A.ha.peers[0]), HA_UPD_SKIP);

	/* The primary crashes: the standby takes over the primary's scope,
	 * not before communication has been interrupted max-response-delay
	 * after its last good heartbeat (at most one heartbeat-delay before). */
	uint64_t t_down = mono_ms();
	server_down(&A);
	t = wait_states(&B, HA_ST_PARTNER_DOWN, NULL, 0);
	CU_ASSERT_FATAL(t >= 0);
	printf("  standby in partner-down %lu ms after the primary went\n",
	       (unsigned long)(mono_ms() - t_down));
	CU_ASSERT(mono_ms() - t_down >= MRD_MS - HB_MS);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, HA_SCOPES_PRIMARY);
	CU_ASSERT(ha_service_info(B.svc, 4, &info) == 0);
	CU_ASSERT(info.heartbeats_failed >= 1);
	CU_ASSERT_EQUAL(info.partner, HA_ST_UNAVAILABLE);
	CU_ASSERT_EQUAL(ha_service_update_policy(B.svc, 4, &B.ha.peers[0]), HA_UPD_SKIP_COUNT);

	/* The standby hands out a lease alone; the primary comes back empty
	 * (on the same port), syncs it from the standby, both hot-standby. */
	add_lease(&B, BASE + 50, now + 900);
	A.n_leases = 0;
	inst_reset(&A);
	unsigned b_disables = B.disables;
	CU_ASSERT_FATAL(listener_start(&A, A.port) == 0);
	CU_ASSERT_FATAL(service_up(&A, 0, CONF_HA_HOT_STANDBY) == 0);
	t = wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY);
	CU_ASSERT_FATAL(t >= 0);
	printf("  back to hot-standby %ld ms after the restart\n", t);
	CU_ASSERT(has_lease(&A, BASE + 50));
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT(has_lease(&A, BASE + i));
	CU_ASSERT(B.disables > b_disables);
	CU_ASSERT_FALSE(B.partner_off);
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc && sc == 0);
	pair_down();
}

static void test_load_balancing(void)
{
	uint32_t now = (uint32_t)time(NULL);
	bool svc;
	unsigned sc;
	long t;

	add_lease(&A, BASE + 1, now + 600);
	add_lease(&B, BASE + 2, now + 600);
	CU_ASSERT_FATAL(pair_up(CONF_HA_LOAD_BALANCING) == 0);
	t = wait_states(&A, HA_ST_LOAD_BALANCING, &B, HA_ST_LOAD_BALANCING);
	CU_ASSERT_FATAL(t >= 0);
	/* Each synced the other's lease. */
	CU_ASSERT(has_lease(&A, BASE + 2));
	CU_ASSERT(has_lease(&B, BASE + 1));
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_SECONDARY);
	/* Both wait for the other's acknowledgement. */
	CU_ASSERT(ha_service_updates_wait(A.svc, 4) && ha_service_updates_wait(B.svc, 4));

	/* The secondary goes: the primary serves both scopes. */
	server_down(&B);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_PARTNER_DOWN, NULL, 0) >= 0);
	CU_ASSERT_FALSE(ha_service_updates_wait(A.svc, 4));
	snap(&A, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, HA_SCOPES_PRIMARY | HA_SCOPES_SECONDARY);

	/* It comes back and both return to load-balancing. */
	add_lease(&A, BASE + 3, now + 600);
	B.n_leases = 0;
	inst_reset(&B);
	CU_ASSERT_FATAL(listener_start(&B, B.port) == 0);
	CU_ASSERT_FATAL(service_up(&B, 1, CONF_HA_LOAD_BALANCING) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_LOAD_BALANCING, &B, HA_ST_LOAD_BALANCING) >= 0);
	CU_ASSERT(has_lease(&B, BASE + 3));
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_SECONDARY);
	pair_down();
}

/* The standby's clock is two minutes ahead: both terminate. */
static void test_clock_skew(void)
{
	struct ha_service_info info;

	B.skew_s = 120;
	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_TERMINATED, &B, HA_ST_TERMINATED) >= 0);
	CU_ASSERT(ha_service_info(A.svc, 4, &info) == 0);
	CU_ASSERT(info.clock_skew_s >= 119 && info.clock_skew_s <= 121);
	CU_ASSERT(ha_service_info(B.svc, 4, &info) == 0);
	CU_ASSERT(info.clock_skew_s <= -119 && info.clock_skew_s >= -121);
	pair_down();
}

/* ha-maintenance-start on the primary puts the standby in-maintenance
 * through ha-maintenance-notify; cancel returns both; ha-reset goes back
 * to waiting and the pair recovers. */
static void test_commands(void)
{
	char txt[512];
	int rc;

	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);

	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_START, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(strstr(txt, "partner-in-maintenance") != NULL);
	CU_ASSERT_EQUAL(state_of(&A), HA_ST_PARTNER_IN_MAINTENANCE);
	CU_ASSERT_EQUAL(state_of(&B), HA_ST_IN_MAINTENANCE);
	/* Not twice. */
	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_START, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, HA_RC_ERROR);

	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_CANCEL, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(txt, "Server maintenance successfully canceled.");
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);

	rc = ha_service_command(B.svc, 4, HA_EV_CONTINUE, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(txt, "HA state machine is not paused.");
	rc = ha_service_command(B.svc, 4, HA_EV_RESET, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(txt, "HA state machine reset.");
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT_EQUAL(ha_service_command(B.svc, 4, HA_EV_HEARTBEAT, txt, sizeof(txt)), -EINVAL);

	/* A partner that is gone: maintenance-start puts us in partner-down. */
	server_down(&B);
	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_START, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(state_of(&A), HA_ST_PARTNER_DOWN);
	pair_down();
}

/* Refusals of create. */
static void test_create_refusals(void)
{
	struct ha_service_params p = { .ha = &A.ha,
		.ops = { .ctx = &A, .set_service = op_service, .set_scopes = op_scopes,
			 .apply_leases4 = op_apply4 } };

	A.port = 9;   /* nothing is sent: any port */
	B.port = 9;
	conf_pair(&A, 0, CONF_HA_HOT_STANDBY);
	p.ops.set_scopes = NULL;
	errno = 0;
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	CU_ASSERT_EQUAL(errno, EINVAL);
	p.ops.set_scopes = op_scopes;
	p.dhcp6 = true;               /* sync-leases without apply_leases6 */
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	p.dhcp6 = false;
	A.ha.peers[1].role = CONF_HA_BACKUP;   /* no partner */
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	A.ha.peers[1].role = CONF_HA_STANDBY;
	A.ha.peers[0].role = CONF_HA_SECONDARY;   /* this server's: not in hot-standby */
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	conf_pair(&A, 0, CONF_HA_HOT_STANDBY);
	struct ha_service *s = ha_service_create(&p, mono_ms());
	char txt[64];
	json_t *hb;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* Before the start: an error, no answer. */
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(s, 4, &hb, txt, sizeof(txt)), HA_RESULT_ERROR);
	CU_ASSERT_PTR_NULL(hb);
	CU_ASSERT_EQUAL(ha_service_start(s, mono_ms()), 0);
	CU_ASSERT_EQUAL(ha_service_start(s, mono_ms()), -EALREADY);
	ha_service_destroy(s);
	A.port = B.port = 0;
}

/* passive-backup: the primary alone with a backup peer serves at once,
 * sends nothing, and would send (without waiting) updates to the backup. */
static void test_passive_backup(void)
{
	struct ha_service_params p = { .ha = &A.ha,
		.ops = { .ctx = &A, .set_service = op_service, .set_scopes = op_scopes,
			 .apply_leases4 = op_apply4 } };
	struct ha_service *s;
	struct ha_service_info info;
	json_t *st;
	char txt[128];
	bool svc;
	unsigned sc;

	A.port = 9;     /* nothing listens, nothing is sent */
	B.port = 9;
	inst_reset(&A);
	conf_pair(&A, 0, CONF_HA_PASSIVE_BACKUP);
	A.ha.peers[1].role = CONF_HA_BACKUP;
	s = ha_service_create(&p, mono_ms());
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(ha_service_start(s, mono_ms()), 0);
	ha_service_poll(s, mono_ms());
	CU_ASSERT(ha_service_info(s, 4, &info) == 0);
	CU_ASSERT_EQUAL(info.state, HA_ST_PASSIVE_BACKUP);
	CU_ASSERT_EQUAL(info.heartbeats_ok + info.heartbeats_failed, 0);
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	CU_ASSERT_EQUAL(ha_service_timeout_ms(s, mono_ms()), -1);
	CU_ASSERT_EQUAL(ha_service_update_policy(s, 4, &A.ha.peers[1]), HA_UPD_SEND);
	CU_ASSERT(ha_service_status(s, 4, &st) == 0);
	json_t *servers = json_object_get(json_array_get(st, 0), "ha-servers");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(st, 0), "ha-mode")),
			       "passive-backup");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(servers, "local"));
	CU_ASSERT_PTR_NULL(json_object_get(servers, "remote"));
	json_decref(st);
	CU_ASSERT_EQUAL(ha_service_command(s, 4, HA_EV_CONTINUE, txt, sizeof(txt)), 0);
	ha_service_destroy(s);
	A.port = B.port = 0;
}

/* DHCPv6 as a second relationship beside DHCPv4, on the same URL (a
 * Peregrine partner): both reach hot-standby, each its own state. */
static void test_two_families(void)
{
	struct ha_service_info i4, i6;
	json_t *st;

	g_dhcp6 = true;
	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	uint64_t t0 = mono_ms();
	bool ok = false;
	while (!ok && mono_ms() - t0 < WAIT_MS) {
		ok = ha_service_info(A.svc, 6, &i6) == 0 && i6.state == HA_ST_HOT_STANDBY &&
		     ha_service_info(B.svc, 6, &i4) == 0 && i4.state == HA_ST_HOT_STANDBY;
		usleep(5000);
	}
	CU_ASSERT_FATAL(ok);
	CU_ASSERT(ha_service_info(A.svc, 6, &i6) == 0);
	CU_ASSERT(ha_service_info(A.svc, 4, &i4) == 0);
	CU_ASSERT(i6.heartbeats_ok >= 1 && i6.syncs_done >= 1);
	CU_ASSERT_EQUAL(i6.scopes, HA_SCOPES_PRIMARY);
	CU_ASSERT(g_pages6 >= 1);
	CU_ASSERT(ha_service_status(B.svc, 6, &st) == 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(json_object_get(
		json_array_get(st, 0), "ha-servers"), "local"), "state")), "hot-standby");
	json_decref(st);
	/* ha-reset on DHCPv6 leaves DHCPv4 where it is. */
	char txt[128];
	CU_ASSERT_EQUAL(ha_service_command(B.svc, 6, HA_EV_RESET, txt, sizeof(txt)), 0);
	CU_ASSERT(ha_service_info(B.svc, 4, &i4) == 0);
	CU_ASSERT_EQUAL(i4.state, HA_ST_HOT_STANDBY);
	pair_down();
	g_dhcp6 = false;
}

/* ---- lease updates ---- */

static void change4(struct lease_change *c, uint8_t op, uint32_t addr)
{
	memset(c, 0, sizeof(*c));
	c->family = LEASE_FAMILY_V4;
	c->op = op;
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v4 = (struct lease_rec){ .addr = addr, .subnet_id = 1, .htype = 1, .hwaddr_len = 6,
				      .valid_lft = lease_op_removes(op) ? 0 : 600,
				      .expire = (uint32_t)time(NULL) + 600 };
	c->u.v4.hwaddr[0] = 0x02;
	c->u.v4.hwaddr[5] = (uint8_t)addr;
}

/* Push n changes (ops[i] on BASE + addrs[i], tag = tag0 + i) as the HA
 * thread does, all before its next poll; each push's return in rc. */
static void push_all(struct inst *in, const uint8_t *ops, const unsigned *addrs, unsigned n,
		     uint64_t tag0, int *rc)
{
	struct lease_change c;

	pthread_mutex_lock(&g_lock);
	for (unsigned i = 0; i < n; i++) {
		change4(&c, ops[i], BASE + addrs[i]);
		rc[i] = ha_service_update_push(in->svc, &c, tag0 + i);
	}
	pthread_mutex_unlock(&g_lock);
}

/* Take outcomes until `want` came (or the liveness bound). */
static unsigned collect(struct inst *in, struct ha_update_done *out, unsigned want)
{
	uint64_t t0 = mono_ms();
	unsigned n = 0;

	while (n < want && mono_ms() - t0 < WAIT_MS) {
		pthread_mutex_lock(&g_lock);
		n += ha_service_updates_done(in->svc, out + n, want - n);
		pthread_mutex_unlock(&g_lock);
		if (n < want)
			usleep(2000);
	}
	return n;
}

static bool bulk_is(struct inst *in, bool want)
{
	struct ha_service_info i;
	uint64_t t0 = mono_ms();

	while (mono_ms() - t0 < WAIT_MS) {
		if (ha_service_info(in->svc, 4, &i) == 0 && i.partner_bulk == want)
			return true;
		usleep(5000);
	}
	return false;
}

static void log_reset(struct inst *in)
{
	pthread_mutex_lock(&in->mu);
	in->n_log = in->n_bulk = 0;
	pthread_mutex_unlock(&in->mu);
}

#define U LEASE_OP_ADD
#define D LEASE_OP_RELEASE

static void test_updates(void)
{
	struct ha_update_done out[8];
	struct ha_service_info info;
	uint64_t unsent, reqs;
	int rc[8];
	char txt[256];
	json_t *hb;

	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT(ha_service_updates_wait(A.svc, 4));
	/* Both are Peregrines: each heartbeat answer offers bulk applies. */
	CU_ASSERT_FATAL(bulk_is(&A, true));

	/* Bulk: the order holds across a delete between updates. */
	static const uint8_t ops1[5] = { U, U, D, U, LEASE_OP_RENEW };
	static const unsigned ad1[5] = { 1, 2, 1, 3, 3 };
	log_reset(&B);
	ha_service_info(A.svc, 4, &info);
	reqs = info.update_requests;
	push_all(&A, ops1, ad1, 5, 100, rc);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(rc[i], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 5), 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(out[i].tag, 100 + i);
		CU_ASSERT(out[i].ok);
	}
	CU_ASSERT_EQUAL_FATAL(B.n_log, 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(B.log_addr[i], BASE + ad1[i]);
		CU_ASSERT_EQUAL(B.log_kind[i], ops1[i] == D ? 'D' : 'U');
	}
	CU_ASSERT_FALSE(has_lease(&B, BASE + 1));
	CU_ASSERT(has_lease(&B, BASE + 2) && has_lease(&B, BASE + 3));
	/* three batches of one kind each: [U U] [D] [U U] */
	CU_ASSERT_EQUAL(B.n_bulk, 3);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.update_requests - reqs, 3);
	CU_ASSERT_EQUAL(info.updates_acked, 5);

	/* The standby refuses one lease of a batch: only that one fails. */
	static const unsigned ad2[3] = { 4, 5, 6 };
	static const uint8_t ops2[3] = { U, U, U };
	B.refuse_addr = BASE + 5;
	push_all(&A, ops2, ad2, 3, 200, rc);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 3), 3);
	CU_ASSERT(out[0].ok && out[0].tag == 200);
	CU_ASSERT(!out[1].ok && out[1].tag == 201);
	CU_ASSERT(out[2].ok && out[2].tag == 202);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.updates_refused, 1);
	CU_ASSERT_EQUAL(info.updates_failed, 0);

	/* A partner without the capability (as Kea): one change a request,
	 * lease4-update / lease4-del; a delete it does not have is no failure. */
	B.no_bulk = true;
	CU_ASSERT_FATAL(bulk_is(&A, false));
	log_reset(&B);
	static const uint8_t ops3[5] = { U, D, U, U, LEASE_OP_DELETE };
	static const unsigned ad3[5] = { 7, 7, 8, 5, 40 };
	push_all(&A, ops3, ad3, 5, 300, rc);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 5), 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(out[i].tag, 300 + i);
		CU_ASSERT_EQUAL(out[i].ok, ad3[i] != 5);   /* 5: still refused */
	}
	CU_ASSERT_EQUAL(B.n_bulk, 0);
	CU_ASSERT_EQUAL_FATAL(B.n_log, 5);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(B.log_addr[i], BASE + ad3[i]);
	CU_ASSERT_EQUAL(B.log_kind[1], 'D');
	CU_ASSERT(has_lease(&B, BASE + 8) && !has_lease(&B, BASE + 7));
	/* Expiry is not sent; nothing waits for it. */
	struct lease_change c;
	change4(&c, LEASE_OP_EXPIRE, BASE + 8);
	CU_ASSERT_EQUAL(ha_service_update_push(A.svc, &c, 399), 1);
	c.origin = LEASE_ORIGIN_HA;
	CU_ASSERT_EQUAL(ha_service_update_push(A.svc, &c, 399), -EINVAL);

	/* The standby stalls past max-response-delay: the change in flight
	 * fails and counts as unsent. */
	B.stall_ms = 3 * MRD_MS;
	ha_service_info(A.svc, 4, &info);
	unsent = info.unsent_updates;
	static const uint8_t ops4[1] = { U };
	static const unsigned ad4[1] = { 9 };
	push_all(&A, ops4, ad4, 1, 400, rc);
	CU_ASSERT_EQUAL(rc[0], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 1), 1);
	CU_ASSERT(!out[0].ok);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.updates_failed, 1);
	CU_ASSERT_EQUAL(info.unsent_updates, unsent + 1);
	/* The standby goes: once the primary is in partner-down nothing
	 * waits and each change counts. */
	B.stall_ms = 0;
	server_down(&B);
	B.no_bulk = false;
	B.refuse_addr = 0;
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_PARTNER_DOWN, NULL, 0) >= 0);
	CU_ASSERT_FALSE(ha_service_updates_wait(A.svc, 4));
	ha_service_info(A.svc, 4, &info);
	unsent = info.unsent_updates;
	push_all(&A, ops2, ad2, 3, 500, rc);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rc[i], 1);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.unsent_updates, unsent + 3);
	pthread_mutex_lock(&g_lock);
	CU_ASSERT_EQUAL(ha_service_updates_done(A.svc, out, 8), 0);
	pthread_mutex_unlock(&g_lock);
	/* The heartbeat answer and status-get say it. */
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(A.svc, 4, &hb, txt, sizeof(txt)), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(hb, "unsent-update-count")),
			(json_int_t)unsent + 3);
	CU_ASSERT(json_is_true(json_object_get(hb, HA_MSG_BULK_KEY)));
	json_decref(hb);
	CU_ASSERT(ha_service_status(A.svc, 4, &hb) == 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(json_object_get(
		json_array_get(hb, 0), "ha-servers"), "local"), "unsent-update-count")),
			(json_int_t)unsent + 3);
	json_decref(hb);

	/* The standby returns; the primary, reset, syncs from it: its count
	 * starts again from 0, as Kea's after a sync. */
	inst_reset(&B);
	CU_ASSERT_FATAL(listener_start(&B, B.port) == 0);
	CU_ASSERT_FATAL(service_up(&B, 1, CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT_EQUAL(ha_service_command(A.svc, 4, HA_EV_RESET, txt, sizeof(txt)), 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT(info.syncs_done >= 1);
	CU_ASSERT_EQUAL(info.unsent_updates, 0);
	pair_down();
}
#undef U
#undef D

static void print_status(struct inst *in)
{
	json_t *st;
	char *txt;

	if (ha_service_status(in->svc, 4, &st) != 0)
		return;
	txt = json_dumps(st, JSON_COMPACT);
	printf("status-get high-availability: %s\n", txt ? txt : "?");
	free(txt);
	json_decref(st);
}

/* Against a real Kea 2.2 partner (tests/integration/ha_service_kea.sh),
 * in hot-standby: Kea is the primary (server1) and this process the
 * standby (server2), or the other way round (kea_primary false); our
 * peer listener is on my_port, Kea's on kea_port, Kea holds 198.18.1.150.
 * Both must reach hot-standby with that lease synced from Kea; then the
 * script kills Kea and we must reach partner-down serving the primary's
 * scope.
 * Exit 0 when all of that happened. */
static int kea_partner(bool kea_primary, uint16_t kea_port, uint16_t my_port)
{
	struct ha_service_info info;
	uint32_t now = (uint32_t)time(NULL);
	struct inst *me = kea_primary ? &B : &A, *kea = kea_primary ? &A : &B;
	pthread_t th;
	int rc = 1;

	kea->port = kea_port;
	add_lease(me, BASE + 10, now + 600);
	add_lease(me, BASE + 11, now + 600);
	if (listener_start(me, my_port) || service_up(me, kea_primary ? 1 : 0, CONF_HA_HOT_STANDBY) ||
	    pthread_create(&th, NULL, driver, NULL) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	uint64_t t0 = mono_ms();
	while (mono_ms() - t0 < 30000) {
		ha_service_info(me->svc, 4, &info);
		if (info.state == HA_ST_HOT_STANDBY && info.partner == HA_ST_HOT_STANDBY)
			break;
		usleep(10000);
	}
	ha_service_info(me->svc, 4, &info);
	printf("state %s, partner %s after %lu ms; heartbeats ok %lu failed %lu, syncs %lu, "
	       "leases synced %lu, disabled by the partner %u times, enabled %u\n",
	       ha_state_name(info.state), ha_state_name(info.partner),
	       (unsigned long)(mono_ms() - t0), (unsigned long)info.heartbeats_ok,
	       (unsigned long)info.heartbeats_failed, (unsigned long)info.syncs_done,
	       (unsigned long)info.leases_synced, me->disables, me->sync_done_calls);
	print_status(me);
	fflush(stdout);
	/* The lease the script gave Kea came over in our sync. */
	if (info.state != HA_ST_HOT_STANDBY || info.partner != HA_ST_HOT_STANDBY ||
	    info.syncs_done < 1 || !has_lease(me, BASE + 50))
		goto out;
	/* Lease updates to Kea, one at a time: two updates, a delete of one,
	 * a delete of a lease Kea does not have (3: not a failure). */
	{
		static const uint8_t ops[4] = { LEASE_OP_ADD, LEASE_OP_RENEW, LEASE_OP_RELEASE,
						LEASE_OP_DELETE };
		static const unsigned ad[4] = { 20, 21, 20, 30 };
		struct ha_update_done out[4];
		int prc[4];
		unsigned n, ok = 0;

		push_all(me, ops, ad, 4, 1, prc);
		n = collect(me, out, 4);
		for (unsigned i = 0; i < n; i++)
			ok += out[i].ok && out[i].tag == 1 + i && prc[i] == 0;
		ha_service_info(me->svc, 4, &info);
		printf("lease updates to Kea: %u of 4 ok in order, %lu requests, bulk %d\n", ok,
		       (unsigned long)info.update_requests, info.partner_bulk);
		if (ok != 4 || info.partner_bulk || info.update_requests != 4)
			goto out;
	}
	printf("HOT-STANDBY REACHED\n");
	fflush(stdout);
	t0 = mono_ms();
	while (mono_ms() - t0 < 30000) {
		ha_service_info(me->svc, 4, &info);
		if (info.state == HA_ST_PARTNER_DOWN)
			break;
		usleep(10000);
	}
	printf("state %s, scopes %#x, service %d\n", ha_state_name(info.state), info.scopes,
	       info.service);
	print_status(me);
	if (info.state == HA_ST_PARTNER_DOWN && info.scopes == HA_SCOPES_PRIMARY && info.service)
		rc = 0;
out:
	atomic_store(&g_stop, true);
	pthread_join(th, NULL);
	server_down(me);
	return rc;
}

int main(int argc, char **argv)
{
	pthread_t th;
	unsigned fails;
	CU_pSuite s;

	pthread_mutex_init(&A.mu, NULL);
	pthread_mutex_init(&B.mu, NULL);
	if (argc == 4 && (strcmp(argv[1], "--kea-primary") == 0 ||
			  strcmp(argv[1], "--kea-standby") == 0))
		return kea_partner(strcmp(argv[1], "--kea-primary") == 0,
				   (uint16_t)atoi(argv[2]), (uint16_t)atoi(argv[3]));
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_service", NULL, NULL);
	CU_add_test(s, "create refusals", test_create_refusals);
	CU_add_test(s, "hot-standby: start, failover, return", test_hot_standby);
	CU_add_test(s, "load-balancing: start, failover, return", test_load_balancing);
	CU_add_test(s, "clock skew terminates both", test_clock_skew);
	CU_add_test(s, "maintenance, continue, reset", test_commands);
	CU_add_test(s, "DHCPv4 and DHCPv6 relationships", test_two_families);
	CU_add_test(s, "lease updates: bulk, one by one, refusals, failures", test_updates);
	CU_add_test(s, "passive-backup: no partner to talk to", test_passive_backup);
	if (pthread_create(&th, NULL, driver, NULL) != 0)
		return 1;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	atomic_store(&g_stop, true);
	pthread_join(th, NULL);
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
