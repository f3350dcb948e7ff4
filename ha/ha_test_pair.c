/* The test harness of ha_service_test and ha_update_test (ha_test_pair.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "ha_test_pair.h"

struct inst A = { .name = "server1" }, B = { .name = "server2" };
struct inst C = { .name = "server3" }, D = { .name = "server4" };
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_bool g_stop;
bool g_dhcp6;
atomic_uint g_pages6;
static int h_get_page6(const json_t *args, json_t **out, char *text, size_t len, void *ctx);

void harness_init(void)
{
	struct inst *ins[N_INST] = { &A, &B, &C, &D };

	for (unsigned i = 0; i < N_INST; i++)
		pthread_mutex_init(&ins[i]->mu, NULL);
}

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- ops ---- */

void op_service(void *ctx, int fam, bool on)
{
	struct inst *in = ctx;

	if (fam != 4)
		return;
	pthread_mutex_lock(&in->mu);
	in->service = on;
	pthread_mutex_unlock(&in->mu);
}

void op_scopes(void *ctx, int fam, unsigned scopes)
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
int op_apply4(void *ctx, const struct lease_rec *recs, size_t n)
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
	uint64_t t0 = mono_ms();

	while (atomic_load(&in->hold) && mono_ms() - t0 < WAIT_MS)
		usleep(1000);
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

int listener_start(struct inst *in, uint16_t port)
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

void listener_stop(struct inst *in)
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

void conf_peers(struct inst *in, enum conf_ha_mode mode, struct inst *const *ins,
		const enum conf_ha_role *roles, unsigned n)
{
	struct conf_ha *ha = &in->ha;

	memset(ha, 0, sizeof(*ha));
	snprintf(ha->this_server_name, sizeof(ha->this_server_name), "%s", in->name);
	ha->mode = mode;
	ha->heartbeat_delay = HB_MS;
	ha->max_response_delay = MRD_MS;
	ha->max_ack_delay = 100;
	ha->max_unacked_clients = 0;
	ha->sync_timeout = 5000;
	ha->sync_page_limit = 2;        /* several pages for a handful of leases */
	ha->delayed_updates_limit = mode == CONF_HA_LOAD_BALANCING ? 100 : 0;
	ha->sync_leases = ha->send_lease_updates = true;
	ha->n_peers = n;
	for (unsigned i = 0; i < n; i++) {
		peer_set(&ha->peers[i], ins[i]->name, ins[i]->port, roles[i]);
		if (ins[i] == in)
			ha->this_peer = i;
	}
}

void conf_pair(struct inst *in, unsigned me, enum conf_ha_mode mode)
{
	struct inst *const ins[2] = { &A, &B };
	const enum conf_ha_role roles[2] = {
		CONF_HA_PRIMARY, mode == CONF_HA_LOAD_BALANCING ? CONF_HA_SECONDARY : CONF_HA_STANDBY
	};

	(void)me;	/* in is A or B */
	conf_peers(in, mode, ins, roles, 2);
}

void inst_reset(struct inst *in)
{
	pthread_mutex_lock(&in->mu);
	in->service = false;
	in->scopes = 0;
	in->partner_off = false;
	in->disables = in->enables = in->sync_done_calls = 0;
	pthread_mutex_unlock(&in->mu);
}

int service_start(struct inst *in)
{
	struct ha_service_params p = {
		.ha = &in->ha,
		.dhcp6 = g_dhcp6,
		.ops = { .apply_leases6 = op_apply6, .ctx = in, .set_service = op_service, .set_scopes = op_scopes,
			 .end_partner_disable = op_sync_done, .apply_leases4 = op_apply4,
			 .wall_clock = op_clock },
	};
	struct ha_service *svc;

	svc = ha_service_create(&p, mono_ms());
	if (!svc || ha_service_start(svc, mono_ms()) != 0)
		return -1;
	pthread_mutex_lock(&g_lock);
	in->svc = svc;
	in->running = true;
	pthread_mutex_unlock(&g_lock);
	return 0;
}

int service_up(struct inst *in, unsigned me, enum conf_ha_mode mode)
{
	conf_pair(in, me, mode);
	return service_start(in);
}

void server_down(struct inst *in)
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

int pair_up(enum conf_ha_mode mode)
{
	inst_reset(&A);
	inst_reset(&B);
	if (listener_start(&A, 0) || listener_start(&B, 0))
		return -1;
	if (service_up(&A, 0, mode) || service_up(&B, 1, mode))
		return -1;
	return 0;
}

void pair_down(void)
{
	server_down(&A);
	server_down(&B);
	A.skew_s = B.skew_s = 0;
	A.n_leases = B.n_leases = 0;
}

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

void *driver(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_stop)) {
		struct pollfd fds[N_INST * HA_SERVICE_POLLFDS_MAX];
		struct inst *ins[N_INST] = { &A, &B, &C, &D };
		unsigned n = 0;
		int t = 10;

		pthread_mutex_lock(&g_lock);
		for (unsigned i = 0; i < N_INST; i++) {
			if (!ins[i]->running)
				continue;
			n += ha_service_pollfds(ins[i]->svc, fds + n, HA_SERVICE_POLLFDS_MAX);
			int ti = ha_service_timeout_ms(ins[i]->svc, mono_ms());

			if (ti >= 0 && ti < t)
				t = ti;
		}
		if (poll(fds, n, t) < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; i < N_INST; i++)
			if (ins[i]->running)
				ha_service_poll(ins[i]->svc, mono_ms());
		pthread_mutex_unlock(&g_lock);
		usleep(100);    /* let setup take g_lock */
	}
	return NULL;
}

enum ha_state state_of(struct inst *in)
{
	struct ha_service_info i;

	return in->svc && ha_service_info(in->svc, 4, &i) == 0 ? i.state : HA_ST_UNKNOWN;
}

long wait_states(struct inst *a, enum ha_state sa, struct inst *b, enum ha_state sb)
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

void add_lease(struct inst *in, uint32_t addr, uint32_t expire)
{
	struct lease_rec r = { .addr = addr, .subnet_id = 1, .valid_lft = 600,
			       .expire = expire, .htype = 1, .hwaddr_len = 6 };

	r.hwaddr[0] = 0x02;
	r.hwaddr[5] = (uint8_t)addr;
	pthread_mutex_lock(&in->mu);
	in->leases[in->n_leases++] = r;
	pthread_mutex_unlock(&in->mu);
}

bool has_lease(struct inst *in, uint32_t addr)
{
	bool found = false;

	pthread_mutex_lock(&in->mu);
	for (unsigned i = 0; i < in->n_leases; i++)
		found |= in->leases[i].addr == addr;
	pthread_mutex_unlock(&in->mu);
	return found;
}

void snap(struct inst *in, bool *service, unsigned *scopes)
{
	pthread_mutex_lock(&in->mu);
	*service = in->service;
	*scopes = in->scopes;
	pthread_mutex_unlock(&in->mu);
}


/* ---- lease updates ---- */

void change4(struct lease_change *c, uint8_t op, uint32_t addr)
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

void push_all(struct inst *in, const uint8_t *ops, const unsigned *addrs, unsigned n,
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

unsigned collect(struct inst *in, struct ha_update_done *out, unsigned want)
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

bool bulk_is(struct inst *in, bool want)
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

void log_reset(struct inst *in)
{
	pthread_mutex_lock(&in->mu);
	in->n_log = in->n_bulk = 0;
	pthread_mutex_unlock(&in->mu);
}

unsigned log_count(struct inst *in)
{
	unsigned n;

	pthread_mutex_lock(&in->mu);
	n = in->n_log;
	pthread_mutex_unlock(&in->mu);
	return n;
}

unsigned harness_run(void)
{
	pthread_t th;
	unsigned fails;

	if (pthread_create(&th, NULL, driver, NULL) != 0) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	atomic_store(&g_stop, true);
	pthread_join(th, NULL);
	CU_cleanup_registry();
	return fails;
}
