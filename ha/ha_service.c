/* The HA service core: heartbeats, the state machine and a minimal lease
 * sync over the peer link, one relationship per family (ha_service.h).
 * The lease updates are in ha_update.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "ha_msg.h"
#include "ha_service_int.h"

/* ---- helpers ---- */

int64_t ha_svc_wall_now(const struct ha_service *s)
{
	return s->ops.wall_clock ? s->ops.wall_clock(s->ops.ctx) : (int64_t)time(NULL);
}

struct rel *ha_svc_rel_of(struct ha_service *s, int fam)
{
	struct rel *r = fam == 4 ? &s->rel[0] : fam == 6 ? &s->rel[1] : NULL;

	return r && r->fam ? r : NULL;
}

void ha_svc_put_text(char *text, size_t len, const char *t)
{
	if (text && len)
		snprintf(text, len, "%s", t ? t : "");
}

void ha_svc_wake(struct ha_service *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the HA thread has a wakeup pending anyway */
	}
}

/* Kea's enum order is the same in conf and ha_state; spelled out so that
 * a reordering of either shows here. */
static const enum ha_state conf_state_map[CONF_HA_ST_MAX] = {
	[CONF_HA_ST_BACKUP] = HA_ST_BACKUP,
	[CONF_HA_ST_COMMUNICATION_RECOVERY] = HA_ST_COMMUNICATION_RECOVERY,
	[CONF_HA_ST_HOT_STANDBY] = HA_ST_HOT_STANDBY,
	[CONF_HA_ST_LOAD_BALANCING] = HA_ST_LOAD_BALANCING,
	[CONF_HA_ST_IN_MAINTENANCE] = HA_ST_IN_MAINTENANCE,
	[CONF_HA_ST_PARTNER_DOWN] = HA_ST_PARTNER_DOWN,
	[CONF_HA_ST_PARTNER_IN_MAINTENANCE] = HA_ST_PARTNER_IN_MAINTENANCE,
	[CONF_HA_ST_PASSIVE_BACKUP] = HA_ST_PASSIVE_BACKUP,
	[CONF_HA_ST_READY] = HA_ST_READY,
	[CONF_HA_ST_SYNCING] = HA_ST_SYNCING,
	[CONF_HA_ST_TERMINATED] = HA_ST_TERMINATED,
	[CONF_HA_ST_WAITING] = HA_ST_WAITING,
};

enum ha_role ha_svc_role_of(enum conf_ha_role r)
{
	switch (r) {
	case CONF_HA_PRIMARY: return HA_ROLE_PRIMARY;
	case CONF_HA_SECONDARY: return HA_ROLE_SECONDARY;
	case CONF_HA_STANDBY: return HA_ROLE_STANDBY;
	default: return HA_ROLE_BACKUP;
	}
}

static int sm_config(const struct conf_ha *ha, struct ha_sm_config *cfg)
{
	const struct conf_ha_peer *me = conf_ha_this(ha);

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = ha->mode == CONF_HA_LOAD_BALANCING ? HA_MODE_LOAD_BALANCING
		  : ha->mode == CONF_HA_HOT_STANDBY ? HA_MODE_HOT_STANDBY
						    : HA_MODE_PASSIVE_BACKUP;
	cfg->role = ha_svc_role_of(me->role);
	cfg->auto_failover = me->auto_failover;
	cfg->sync_leases = ha->sync_leases;
	cfg->send_lease_updates = ha->send_lease_updates;
	cfg->wait_backup_ack = ha->wait_backup_ack;
	cfg->comm_recovery = ha->delayed_updates_limit > 0;
	for (unsigned i = 0; i < CONF_HA_ST_MAX; i++) {
		uint8_t p = ha->pause[i];

		cfg->pausing[conf_state_map[i]] = p == CONF_HA_PAUSE_ALWAYS ? HA_PAUSE_ALWAYS
						: p == CONF_HA_PAUSE_ONCE ? HA_PAUSE_ONCE
									  : HA_PAUSE_NEVER;
	}
	return ha_sm_config_validate(cfg);
}

/* The active partner: the first peer other than this one that is not a
 * backup (the configuration allows one). */
static const struct conf_ha_peer *find_partner(const struct conf_ha *ha)
{
	for (unsigned i = 0; i < ha->n_peers; i++)
		if (i != ha->this_peer && ha->peers[i].role != CONF_HA_BACKUP)
			return &ha->peers[i];
	return NULL;
}

/* The peer whose scope a HA_SCOPES_* bit is. */
static const struct conf_ha_peer *scope_peer(const struct conf_ha *ha, unsigned bit)
{
	enum conf_ha_role want = bit == HA_SCOPES_PRIMARY ? CONF_HA_PRIMARY : CONF_HA_SECONDARY;

	for (unsigned i = 0; i < ha->n_peers; i++)
		if (ha->peers[i].role == want)
			return &ha->peers[i];
	return NULL;
}

unsigned ha_svc_scope_names(const struct conf_ha *ha, unsigned mask, const char *names[2])
{
	static const unsigned bits[2] = { HA_SCOPES_PRIMARY, HA_SCOPES_SECONDARY };
	unsigned n = 0;

	for (unsigned i = 0; i < 2; i++) {
		const struct conf_ha_peer *p = (mask & bits[i]) ? scope_peer(ha, bits[i]) : NULL;

		if (p)
			names[n++] = p->name;
	}
	return n;
}

json_t *ha_svc_scopes_json(const struct conf_ha *ha, unsigned mask)
{
	const char *names[2];
	unsigned n = ha_svc_scope_names(ha, mask, names);
	json_t *a = json_array();

	for (unsigned i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

/* conf_ha_peer_find without linking the configuration library. */
static const struct conf_ha_peer *peer_named(const struct conf_ha *ha, const char *name)
{
	for (unsigned i = 0; i < ha->n_peers; i++)
		if (strcmp(ha->peers[i].name, name) == 0)
			return &ha->peers[i];
	return NULL;
}

static unsigned scopes_from_names(const struct conf_ha *ha, const struct ha_heartbeat *hb)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < hb->n_scopes; i++) {
		const struct conf_ha_peer *p = peer_named(ha, hb->scopes[i]);

		if (p && p->role == CONF_HA_PRIMARY)
			mask |= HA_SCOPES_PRIMARY;
		else if (p && p->role == CONF_HA_SECONDARY)
			mask |= HA_SCOPES_SECONDARY;
	}
	return mask;
}

/* ---- the machine and its actions (lock held) ---- */

static void carry_out(struct ha_service *s, struct rel *r, const struct ha_sm_result *res)
{
	if (res->actions & HA_ACT_SERVICE) {
		r->service = res->service;
		s->ops.set_service(s->ops.ctx, r->fam, res->service);
		if (res->service && s->ops.end_partner_disable)
			s->ops.end_partner_disable(s->ops.ctx, r->fam);
	}
	if (res->actions & HA_ACT_SCOPES) {
		r->scopes = res->scopes;
		s->ops.set_scopes(s->ops.ctx, r->fam, res->scopes);
	}
	if (res->actions & HA_ACT_ABORT_SYNC)
		r->sync = SY_IDLE;	/* an answer in flight is dropped */
	if (res->actions & HA_ACT_START_SYNC) {
		r->sync = SY_DISABLE;
		r->sync_gen++;
		r->sync_ok = false;
		r->have_from = false;
	}
	if (res->actions & HA_ACT_CLEAR_BACKLOG)
		upd_backlog_clear(r);
	if (res->actions & HA_ACT_SEND_BACKLOG)
		upd_backlog_send(r);
	if (res->actions & HA_ACT_SEND_RESET)
		r->want_reset = true;
	if (res->from != res->to && s->ops.state_changed)
		s->ops.state_changed(s->ops.ctx, r->fam, res->from, res->to);
}

int ha_svc_step_res(struct ha_service *s, struct rel *r, enum ha_event ev, struct ha_sm_result *res)
{
	struct ha_sm_view v;
	int rc;

	ha_comm_view(r->comm, s->now_ms, r->service, r->upd.backlog_overflown, &v);
	rc = ha_sm_step(&s->cfg, &r->sm, &v, ev, res);
	if (rc == 0)
		carry_out(s, r, res);
	return rc;
}

void ha_svc_step(struct ha_service *s, struct rel *r, enum ha_event ev)
{
	struct ha_sm_result res;

	ha_svc_step_res(s, r, ev, &res);
}

/* ---- heartbeats ---- */

static bool heartbeat_parse(struct ha_service *s, struct rel *r, const struct ha_http_result *hr)
{
	struct ha_answer a;
	struct ha_heartbeat hb;
	enum ha_state st;
	char err[128];
	bool ok = false;

	if (hr->err || hr->status != 200 ||
	    ha_msg_parse_answer(hr->body, hr->body_len, &a, err, sizeof(err)) != 0)
		return false;
	if (ha_msg_heartbeat_answer(&a, &hb, err, sizeof(err)) == 0 &&
	    ha_state_parse(hb.state, &st) == 0 && ha_state_info(st)->own) {
		ha_comm_set_partner_state(r->comm, st);
		ha_comm_set_partner_scopes(r->comm, scopes_from_names(s->ha, &hb));
		ha_comm_set_partner_time(r->comm, hb.date_time, ha_svc_wall_now(s));
		if (hb.has_unsent)
			ha_comm_set_partner_unsent(r->comm, hb.unsent_update_count);
		r->stats.partner_bulk = hb.bulk_apply;
		ok = true;
	}
	ha_answer_free(&a);
	return ok;
}

static void heartbeat_done(struct ha_service *s, struct rel *r, const struct ha_http_result *hr)
{
	r->hb_inflight = false;
	r->next_hb_ms = s->now_ms + s->ha->heartbeat_delay;
	if (heartbeat_parse(s, r, hr)) {
		ha_comm_poke(r->comm, s->now_ms);
		r->stats.heartbeats_ok++;
	} else {
		ha_comm_set_partner_state(r->comm, HA_ST_UNAVAILABLE);
		r->stats.heartbeats_failed++;
	}
	ha_svc_step(s, r, HA_EV_HEARTBEAT);
}

/* ---- the command connection ---- */

bool ha_svc_send(struct ha_http_conn *c, json_t *msg)
{
	char *body = msg && c ? ha_msg_text(msg) : NULL;
	int64_t id = body ? ha_http_conn_send(c, body, strlen(body)) : -ENOMEM;

	json_decref(msg);
	free(body);
	return id > 0;
}

/* The answer's result, or -1 when there was none (no answer, not
 * Kea's form).  *a filled (free it) when >= 0. */
static int answer_of(const struct ha_http_result *hr, struct ha_answer *a)
{
	char err[128];

	if (hr->err || hr->status != 200 ||
	    ha_msg_parse_answer(hr->body, hr->body_len, a, err, sizeof(err)) != 0)
		return -1;
	return a->result;
}

static void sync_end(struct ha_service *s, struct rel *r, bool ok)
{
	r->sync = SY_IDLE;
	/* The partner's leases are ours now: what it missed of ours is
	 * repaired by its own sync, as Kea counts it (cleared on success). */
	if (ok)
		ha_comm_unsent_clear(r->comm);
	if (ok)
		r->stats.syncs_done++;
	else
		r->stats.syncs_failed++;
	if (r->manual_sync) {
		/* ha-sync: the operator's, outside the machine's steps */
		r->manual_sync = false;
		r->manual_done = true;
		r->manual_ok = ok;
		pthread_cond_broadcast(&s->cond);
		return;
	}
	ha_svc_step(s, r, ok ? HA_EV_SYNC_DONE : HA_EV_SYNC_FAILED);
}

/* A sync step failed: the partner gets its service back (dhcp-enable),
 * then the machine hears of the failure. */
static void sync_fail(struct rel *r)
{
	r->sync = SY_ENABLE;
	r->sync_ok = false;
}

/* One page came: kept for the HA thread to apply outside the lock
 * (page_apply), or, empty, the notify next. */
static void sync_page(struct rel *r, const struct ha_answer *a)
{
	char err[128];
	void *recs = NULL;
	long n;

	if (r->fam == 4)
		n = ha_msg_lease4_page(a, (struct lease_rec **)&recs, err, sizeof(err));
	else
		n = ha_msg_lease6_page(a, (struct lease6_rec **)&recs, err, sizeof(err));
	if (n < 0) {
		free(recs);
		sync_fail(r);
		return;
	}
	if (n == 0) {
		free(recs);
		r->sync = SY_NOTIFY;
		return;
	}
	free(r->page);
	r->page = recs;
	r->page_n = n;
	r->sync = SY_APPLY;
}

/* A page applied (rc from the op): the next page, the notify, or the
 * failure.  Lock held; r->sync is still SY_APPLY of the same sync. */
static void sync_page_done(struct ha_service *s, struct rel *r, const void *recs, long n, int rc)
{
	if (rc < 0) {
		sync_fail(r);
		return;
	}
	if (r->fam == 4)
		r->from4 = ((const struct lease_rec *)recs)[n - 1].addr;
	else
		r->from6 = ((const struct lease6_rec *)recs)[n - 1].addr;
	r->stats.leases_synced += (uint64_t)n;
	r->have_from = true;
	/* Kea asks for another page while a page comes full. */
	r->sync = (uint64_t)n < s->ha->sync_page_limit ? SY_NOTIFY : SY_PAGE;
}

/* The HA thread, lock NOT held: apply each relationship's waiting page
 * through the ops (they take the server's own locks and wait for its
 * workers: holding the service's lock meanwhile would stall every
 * heartbeat answer and command of the partner's), then finish the step
 * unless the sync was aborted or restarted meanwhile. */
static void page_apply(struct ha_service *s)
{
	struct { void *recs; long n; uint64_t gen; } pg[2] = { { 0 } };
	unsigned i;
	bool any = false;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < 2; i++) {
		struct rel *r = &s->rel[i];

		if (r->fam && r->sync == SY_APPLY && r->page) {
			pg[i].recs = r->page;
			pg[i].n = r->page_n;
			pg[i].gen = r->sync_gen;
			r->page = NULL;
			any = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!any)
		return;
	for (i = 0; i < 2; i++) {
		int rc;

		if (!pg[i].recs)
			continue;
		rc = s->rel[i].fam == 4 ?
			s->ops.apply_leases4(s->ops.ctx, pg[i].recs, (size_t)pg[i].n) :
			s->ops.apply_leases6(s->ops.ctx, pg[i].recs, (size_t)pg[i].n);
		pthread_mutex_lock(&s->lock);
		if (s->rel[i].sync == SY_APPLY && s->rel[i].sync_gen == pg[i].gen)
			sync_page_done(s, &s->rel[i], pg[i].recs, pg[i].n, rc);
		pthread_mutex_unlock(&s->lock);
		free(pg[i].recs);
	}
	ha_svc_wake(s);		/* the next request goes at the next poll */
}

static void maint_done(struct ha_service *s, struct rel *r, enum ha_event outcome,
		       const char *partner_text)
{
	r->maint.done = true;
	r->maint.outcome = outcome;
	snprintf(r->maint.partner_text, sizeof(r->maint.partner_text), "%s",
		 partner_text ? partner_text : "");
	pthread_cond_broadcast(&s->cond);
}

static void cmd_done(struct ha_service *s, struct rel *r, const struct ha_http_result *hr)
{
	enum req req = r->cmd_req;
	struct ha_answer a = { 0 };
	int result = answer_of(hr, &a);

	r->cmd_req = REQ_NONE;
	switch (req) {
	case REQ_SYNC_DISABLE:
		if (r->sync != SY_DISABLE)
			break;		/* aborted meanwhile */
		if (result == HA_RESULT_SUCCESS)
			r->sync = SY_PAGE;
		else
			sync_fail(r);
		break;
	case REQ_SYNC_PAGE:
		if (r->sync != SY_PAGE)
			break;
		if (result == HA_RESULT_SUCCESS || result == HA_RESULT_EMPTY)
			sync_page(r, &a);
		else
			sync_fail(r);
		break;
	case REQ_SYNC_NOTIFY:
		if (r->sync != SY_NOTIFY)
			break;
		if (result == HA_RESULT_SUCCESS) {
			sync_end(s, r, true);
		} else {
			/* A partner without ha-sync-complete-notify (Kea < 2.0)
			 * gets dhcp-enable, as Kea 2.2 does. */
			r->sync = SY_ENABLE;
			r->sync_ok = true;
		}
		break;
	case REQ_SYNC_ENABLE:
		if (r->sync == SY_ENABLE)
			sync_end(s, r, r->sync_ok);
		break;
	case REQ_RESET:
		ha_svc_step(s, r, result == HA_RESULT_SUCCESS ? HA_EV_RESET_SENT : HA_EV_RESET_FAILED);
		break;
	case REQ_MAINT: {
		enum ha_event ev;

		if (r->maint.cancel)
			ev = result == 0 ? HA_EV_MAINT_CANCEL_OK : HA_EV_MAINT_CANCEL_FAILED;
		else if (result == 0)
			ev = HA_EV_MAINT_START_OK;
		else if (result < 0 || result == HA_RESULT_ERROR)
			ev = HA_EV_MAINT_START_FAILED;
		else
			ev = HA_EV_MAINT_START_REFUSED;
		/* An unreachable partner counts as unavailable (Kea). */
		if (result < 0)
			ha_comm_set_partner_state(r->comm, HA_ST_UNAVAILABLE);
		maint_done(s, r, ev, result >= 0 ? a.text : hr->reason);
		break;
	}
	default:
		break;
	}
	if (result >= 0)
		ha_answer_free(&a);
}

/* Send the next thing the command connection has to do, if any. */
static void cmd_next(struct ha_service *s, struct rel *r)
{
	json_t *msg = NULL;
	enum req req = REQ_NONE;

	if (r->cmd_req != REQ_NONE)
		return;
	switch (r->sync) {
	case SY_DISABLE:
		/* max-period: the sync's own timeout, so that a partner whose
		 * syncing peer dies serves again by itself. */
		msg = ha_msg_dhcp_disable(r->fam, (s->ha->sync_timeout + 999) / 1000);
		req = REQ_SYNC_DISABLE;
		break;
	case SY_PAGE:
		if (r->fam == 4)
			msg = ha_msg_lease4_get_page(r->have_from ? &r->from4 : NULL,
						     s->ha->sync_page_limit);
		else
			msg = ha_msg_lease6_get_page(r->have_from ? &r->from6 : NULL,
						     s->ha->sync_page_limit);
		req = REQ_SYNC_PAGE;
		break;
	case SY_NOTIFY:
		msg = ha_msg_sync_complete_notify(r->fam);
		req = REQ_SYNC_NOTIFY;
		break;
	case SY_ENABLE:
		msg = ha_msg_dhcp_enable(r->fam);
		req = REQ_SYNC_ENABLE;
		break;
	default:
		break;
	}
	if (req == REQ_NONE && r->want_reset) {
		r->want_reset = false;
		msg = ha_msg_ha_reset(r->fam);
		req = REQ_RESET;
	}
	if (req == REQ_NONE && r->maint.active && !r->maint.done) {
		r->maint.active = false;	/* sent; done marks the answer */
		msg = ha_msg_maintenance_notify(r->fam, r->maint.cancel);
		req = REQ_MAINT;
	}
	if (req == REQ_NONE)
		return;
	if (ha_svc_send(r->cmd, msg)) {
		r->cmd_req = req;
		return;
	}
	/* Could not even queue it (out of memory): fail it now. */
	switch (req) {
	case REQ_SYNC_DISABLE:
	case REQ_SYNC_PAGE:
		sync_fail(r);
		break;
	case REQ_SYNC_NOTIFY:
	case REQ_SYNC_ENABLE:
		sync_end(s, r, false);
		break;
	case REQ_RESET:
		ha_svc_step(s, r, HA_EV_RESET_FAILED);
		break;
	case REQ_MAINT:
		maint_done(s, r, r->maint.cancel ? HA_EV_MAINT_CANCEL_FAILED
						 : HA_EV_MAINT_START_FAILED, "out of memory");
		break;
	default:
		break;
	}
}

/* ---- lifecycle ---- */

struct ha_http_conn *ha_svc_conn(const struct conf_ha_peer *p, int fam, unsigned timeout_ms,
				 unsigned pipeline)
{
	const struct conf_ha_url *u = fam == 6 ? &p->url6 : &p->url;
	struct ha_http_params hp = {
		.host = u->host,
		.port = u->port,
		.path = "/",
		.user = p->basic_auth_user[0] ? p->basic_auth_user : NULL,
		.password = p->basic_auth_user[0] ? p->basic_auth_password : NULL,
		.connect_timeout_ms = timeout_ms < 2000 ? timeout_ms : 2000,
		.response_timeout_ms = timeout_ms,
		.max_pipeline = pipeline,	/* Kea's listener takes one at a time */
	};

	return ha_http_conn_new(&hp);
}

static int rel_init(struct ha_service *s, struct rel *r, int fam, uint64_t now_ms)
{
	const struct conf_ha *ha = s->ha;
	struct ha_comm_params cp = {
		.max_response_delay_ms = ha->max_response_delay,
		.max_ack_delay_ms = ha->max_ack_delay,
		.max_unacked_clients = ha->max_unacked_clients,
	};

	r->fam = fam;
	ha_sm_init(&r->sm);
	r->comm = ha_comm_create(&cp, now_ms);
	if (!r->comm)
		return -1;
	/* A heartbeat slower than max-response-delay finds communication
	 * interrupted anyway: its answer is not waited for longer.  A sync
	 * page may take sync-timeout. */
	if (!s->partner)
		return upd_init(s, r);	/* passive-backup: nobody to talk to */
	r->hb = ha_svc_conn(s->partner, fam, ha->max_response_delay, 1);
	r->cmd = ha_svc_conn(s->partner, fam, ha->sync_timeout, 1);
	return r->hb && r->cmd && upd_init(s, r) == 0 ? 0 : -1;
}

static void rel_free(struct rel *r)
{
	if (r->comm)
		ha_comm_destroy(r->comm);
	if (r->hb)
		ha_http_conn_free(r->hb);
	if (r->cmd)
		ha_http_conn_free(r->cmd);
	upd_free(r);
	free(r->page);
	r->page = NULL;
}

struct ha_service *ha_service_create(const struct ha_service_params *p, uint64_t now_ms)
{
	struct ha_service *s;
	pthread_condattr_t ca;
	int err = EINVAL;

	if (!p || !p->ha || !p->ops.set_service || !p->ops.set_scopes ||
	    p->ha->this_peer >= p->ha->n_peers ||
	    (p->ha->sync_leases && (!p->ops.apply_leases4 || (p->dhcp6 && !p->ops.apply_leases6)))) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->ha = p->ha;
	s->ops = p->ops;
	s->me = conf_ha_this(p->ha);
	s->partner = find_partner(p->ha);
	s->now_ms = now_ms;
	s->wake_fd = -1;
	/* Only passive-backup has no active partner (its other peers are
	 * backups, which get lease updates and no heartbeats). */
	if (sm_config(p->ha, &s->cfg) != 0 ||
	    (!s->partner && s->cfg.mode != HA_MODE_PASSIVE_BACKUP))
		goto fail;
	err = ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		err = errno;
		goto fail;
	}
	if (rel_init(s, &s->rel[0], 4, now_ms) != 0 ||
	    (p->dhcp6 && rel_init(s, &s->rel[1], 6, now_ms) != 0)) {
		err = errno ? errno : ENOMEM;
		goto fail;
	}
	return s;
fail:
	ha_service_destroy(s);
	errno = err;
	return NULL;
}

void ha_service_destroy(struct ha_service *s)
{
	if (!s)
		return;
	rel_free(&s->rel[0]);
	rel_free(&s->rel[1]);
	if (s->wake_fd >= 0) {
		close(s->wake_fd);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
	}
	free(s);
}

int ha_service_start(struct ha_service *s, uint64_t now_ms)
{
	pthread_mutex_lock(&s->lock);
	if (s->started) {
		pthread_mutex_unlock(&s->lock);
		return -EALREADY;
	}
	s->started = true;
	s->now_ms = now_ms;
	for (unsigned i = 0; i < 2; i++) {
		struct rel *r = &s->rel[i];

		if (!r->fam)
			continue;
		/* Communication counts from the start, as in Kea. */
		ha_comm_poke(r->comm, now_ms);
		r->service = true;	/* as the server starts: serving */
		ha_svc_step(s, r, HA_EV_START);
		r->next_hb_ms = now_ms;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- the HA thread's loop ---- */

unsigned ha_service_pollfds(struct ha_service *s, struct pollfd *out, unsigned max)
{
	unsigned n = 0;

	if (max == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	out[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
	for (unsigned i = 0; i < 2; i++) {
		struct ha_http_conn *cs[2] = { s->rel[i].hb, s->rel[i].cmd };

		if (!s->rel[i].fam)
			continue;
		for (unsigned k = 0; k < 2; k++) {
			short ev = 0;
			int fd = cs[k] ? ha_http_conn_pollfd(cs[k], &ev) : -1;

			if (fd >= 0 && n < max)
				out[n++] = (struct pollfd){ .fd = fd, .events = ev };
		}
		n += upd_pollfds(&s->rel[i], out + n, max - n);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

int ha_service_timeout_ms(struct ha_service *s, uint64_t now_ms)
{
	int t = -1;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; s->started && i < 2; i++) {
		struct rel *r = &s->rel[i];

		if (!r->fam)
			continue;
		t = min_timeout(t, upd_timeout_ms(s, r));
		if (!r->hb)
			continue;	/* passive-backup: only updates to backups */
		t = min_timeout(t, ha_http_conn_timeout(r->hb));
		t = min_timeout(t, ha_http_conn_timeout(r->cmd));
		if (r->cmd_req == REQ_NONE &&
		    (r->sync != SY_IDLE || r->want_reset || r->maint.active))
			t = 0;
		if (!r->hb_inflight && ha_sm_heartbeats(&s->cfg, &r->sm)) {
			uint64_t due = r->next_hb_ms > now_ms ? r->next_hb_ms - now_ms : 0;

			t = min_timeout(t, due > 60000 ? 60000 : (int)due);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return t;
}

short ha_svc_revents(const struct pollfd *fds, unsigned n, struct ha_http_conn *c)
{
	short ev;
	int fd = ha_http_conn_pollfd(c, &ev);

	for (unsigned i = 0; fd >= 0 && i < n; i++)
		if (fds[i].fd == fd)
			return fds[i].revents;
	return 0;
}

static void rel_poll(struct ha_service *s, struct rel *r, const struct pollfd *fds, unsigned n)
{
	struct ha_http_result hr;

	if (!r->hb) {
		cmd_next(s, r);	/* fails what needs the partner */
		upd_poll(s, r, fds, n);
		return;
	}
	ha_http_conn_process(r->hb, ha_svc_revents(fds, n, r->hb));
	while (ha_http_conn_result(r->hb, &hr) == 1) {
		if (r->hb_inflight)
			heartbeat_done(s, r, &hr);
		free(hr.body);
	}
	ha_http_conn_process(r->cmd, ha_svc_revents(fds, n, r->cmd));
	while (ha_http_conn_result(r->cmd, &hr) == 1) {
		cmd_done(s, r, &hr);
		free(hr.body);
	}
	/* Updates before the heartbeat: a failed delivery asks for one now. */
	upd_poll(s, r, fds, n);
	cmd_next(s, r);
	if (!r->hb_inflight && ha_sm_heartbeats(&s->cfg, &r->sm) && s->now_ms >= r->next_hb_ms) {
		if (ha_svc_send(r->hb, ha_msg_heartbeat(r->fam))) {
			r->hb_inflight = true;
		} else {
			r->next_hb_ms = s->now_ms + s->ha->heartbeat_delay;
			r->stats.heartbeats_failed++;
		}
	}
}

void ha_service_poll(struct ha_service *s, uint64_t now_ms)
{
	struct pollfd fds[HA_SERVICE_POLLFDS_MAX];
	unsigned n = ha_service_pollfds(s, fds, HA_SERVICE_POLLFDS_MAX);
	uint64_t drain;

	if (poll(fds, n, 0) < 0)
		n = 0;
	if (fds[0].revents & POLLIN) {
		if (read(s->wake_fd, &drain, sizeof(drain)) < 0) {
			/* EAGAIN: another poll drained it */
		}
	}
	pthread_mutex_lock(&s->lock);
	if (now_ms > s->now_ms)
		s->now_ms = now_ms;
	for (unsigned i = 0; s->started && i < 2; i++)
		if (s->rel[i].fam)
			rel_poll(s, &s->rel[i], fds, n);
	pthread_mutex_unlock(&s->lock);
	page_apply(s);
}

/* ---- failure detection fed by the datapath ---- */

bool ha_service_analyzing(struct ha_service *s, int fam)
{
	struct rel *r;
	bool on = false;

	pthread_mutex_lock(&s->lock);
	r = ha_svc_rel_of(s, fam);
	if (r && s->started && r->hb && s->ha->max_unacked_clients > 0)
		on = ha_comm_interrupted(r->comm, s->now_ms);
	pthread_mutex_unlock(&s->lock);
	return on;
}

void ha_service_analyze(struct ha_service *s, int fam, uint64_t fp, bool has_time, uint16_t t)
{
	struct rel *r;

	pthread_mutex_lock(&s->lock);
	r = ha_svc_rel_of(s, fam);
	if (r && r->comm)
		(void)ha_comm_analyze_fp(r->comm, fam, fp, has_time, t);
	pthread_mutex_unlock(&s->lock);
}
