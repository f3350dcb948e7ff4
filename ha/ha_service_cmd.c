/* The HA service core's serving side (ha_service.h): the partner's
 * heartbeat and sync-complete-notify, the operator's ha-* commands, and
 * the HA section of status-get.  Split from ha_service.c (the
 * relationship's machine, heartbeats, sync and the HA thread's loop);
 * both share ha_service_int.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

#include "ha_msg.h"
#include "ha_service_int.h"

/* ---- the serving side ---- */

/* The relationship for a command, lock taken; NULL with *rc set. */
static struct rel *enter_cmd(struct ha_service *s, int fam, int *rc, char *text, size_t len)
{
	struct rel *r;

	if (s == NULL) {                /* not created yet, or gone */
		*rc = HA_RESULT_ERROR;
		ha_svc_put_text(text, len, "HA service not running.");
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	r = ha_svc_rel_of(s, fam);
	if (!r) {
		*rc = HA_RESULT_UNSUPPORTED;
		ha_svc_put_text(text, len, fam == 6 ? "DHCPv6 has no HA relationship here."
					     : "unknown service.");
	} else if (!s->started) {
		*rc = HA_RESULT_ERROR;
		ha_svc_put_text(text, len, "HA service not started.");
		r = NULL;
	}
	if (!r)
		pthread_mutex_unlock(&s->lock);
	return r;
}

int ha_service_heartbeat_answer(struct ha_service *s, int fam, json_t **args, char *text,
				size_t textlen)
{
	const char *names[2];
	unsigned n;
	int rc = HA_RESULT_SUCCESS;
	struct rel *r = enter_cmd(s, fam, &rc, text, textlen);

	*args = NULL;
	if (!r)
		return rc;
	n = ha_svc_scope_names(s->ha, r->sm.scopes, names);
	*args = ha_msg_heartbeat_args(ha_state_name(r->sm.state), names, n, ha_svc_wall_now(s),
				      ha_comm_unsent(r->comm));
	pthread_mutex_unlock(&s->lock);
	if (*args && ha_msg_heartbeat_bulk(*args) != 0) {
		json_decref(*args);
		*args = NULL;
	}
	if (!*args) {
		ha_svc_put_text(text, textlen, "out of memory");
		return HA_RESULT_ERROR;
	}
	ha_svc_put_text(text, textlen, "HA peer status returned.");
	return HA_RESULT_SUCCESS;
}

int ha_service_sync_complete_notify(struct ha_service *s, int fam, char *text, size_t textlen)
{
	struct ha_sm_result res;
	int rc = HA_RESULT_SUCCESS;
	struct rel *r = enter_cmd(s, fam, &rc, text, textlen);

	if (!r)
		return rc;
	if (ha_svc_step_res(s, r, HA_EV_SYNC_COMPLETE_NOTIFY, &res) != 0) {
		rc = HA_RESULT_ERROR;
		ha_svc_put_text(text, textlen, "internal error");
	} else {
		/* carry_out ended the partner's disable with the service on
		 * (outside partner-down). */
		rc = res.rc;
		ha_svc_put_text(text, textlen, res.text);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* A command waits (lock held) for the HA thread to set *done, at most
 * sync-timeout + 2 s; whether it did. */
static bool cmd_wait(struct ha_service *s, const bool *done)
{
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += s->ha->sync_timeout / 1000 + 2;
	while (!*done)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &dl) == ETIMEDOUT)
			break;
	return *done;
}

/* Wait for the partner's answer to ha-maintenance-notify (lock held). */
static enum ha_event maint_wait(struct ha_service *s, struct rel *r, bool cancel,
				char *partner_text, size_t len)
{
	r->maint = (struct maint_wait){ .active = true, .cancel = cancel };
	ha_svc_wake(s);
	if (!cmd_wait(s, &r->maint.done)) {
		r->maint.active = false;
		snprintf(partner_text, len, "no answer");
		return cancel ? HA_EV_MAINT_CANCEL_FAILED : HA_EV_MAINT_START_FAILED;
	}
	snprintf(partner_text, len, "%s", r->maint.partner_text);
	r->maint.done = false;
	return r->maint.outcome;
}

int ha_service_command(struct ha_service *s, int fam, enum ha_event ev, char *text,
		       size_t textlen)
{
	struct ha_sm_result res;
	char partner_text[160];
	int rc = HA_RESULT_SUCCESS;
	struct rel *r;

	switch (ev) {
	case HA_EV_CONTINUE:
	case HA_EV_MAINT_NOTIFY:
	case HA_EV_MAINT_NOTIFY_CANCEL:
	case HA_EV_MAINT_START:
	case HA_EV_MAINT_CANCEL:
	case HA_EV_RESET:
		break;
	default:
		return -EINVAL;
	}
	r = enter_cmd(s, fam, &rc, text, textlen);
	if (!r)
		return rc;
	if (ha_svc_step_res(s, r, ev, &res) != 0) {
		pthread_mutex_unlock(&s->lock);
		ha_svc_put_text(text, textlen, "internal error");
		return HA_RESULT_ERROR;
	}
	if (res.actions & (HA_ACT_SEND_MAINT_NOTIFY | HA_ACT_SEND_MAINT_CANCEL)) {
		enum ha_event out = maint_wait(s, r, ev == HA_EV_MAINT_CANCEL, partner_text,
					       sizeof(partner_text));

		ha_svc_step_res(s, r, out, &res);
		if (out == HA_EV_MAINT_START_REFUSED || out == HA_EV_MAINT_CANCEL_FAILED) {
			snprintf(text, textlen, "%s%s.", res.text ? res.text : "", partner_text);
			pthread_mutex_unlock(&s->lock);
			return res.rc;
		}
	}
	rc = res.rc == HA_RC_NONE ? HA_RESULT_SUCCESS : res.rc;
	ha_svc_put_text(text, textlen, res.text);
	pthread_mutex_unlock(&s->lock);
	ha_svc_wake(s);	/* a sync, a reset or a heartbeat may be due now */
	return rc;
}

int ha_service_scopes(struct ha_service *s, int fam, const char *const *names, unsigned n,
		      char *text, size_t textlen)
{
	unsigned scopes = 0, i, k;
	int rc = HA_RESULT_SUCCESS;
	struct rel *r = enter_cmd(s, fam, &rc, text, textlen);

	if (!r)
		return rc;
	for (i = 0; i < n; i++) {
		int scope = -1;

		for (k = 0; k < s->ha->n_peers; k++) {
			const struct conf_ha_peer *p = &s->ha->peers[k];

			if (strcmp(p->name, names[i]) != 0)
				continue;
			if (p->role == CONF_HA_PRIMARY)
				scope = 0;
			else if (p->role == CONF_HA_SECONDARY)
				scope = 1;
		}
		if (scope < 0) {
			pthread_mutex_unlock(&s->lock);
			snprintf(text, textlen, "invalid server name specified '%s' while "
				 "enabling/disabling HA scopes", names[i]);
			return HA_RESULT_ERROR;
		}
		scopes |= 1u << scope;
	}
	/* the machine's too: status-get and the heartbeat answer say them,
	 * and the next transition sets its own (as Kea's query filter) */
	r->sm.scopes = scopes;
	r->scopes = scopes;
	s->ops.set_scopes(s->ops.ctx, r->fam, scopes);
	pthread_mutex_unlock(&s->lock);
	ha_svc_put_text(text, textlen, "New HA scopes configured.");
	return HA_RESULT_SUCCESS;
}

int ha_service_sync_cmd(struct ha_service *s, int fam, const char *server, char *text,
			size_t textlen)
{
	int rc = HA_RESULT_SUCCESS;
	struct rel *r = enter_cmd(s, fam, &rc, text, textlen);

	if (!r)
		return rc;
	if (!s->partner || !r->hb || (server && strcmp(server, s->partner->name) != 0)) {
		pthread_mutex_unlock(&s->lock);
		snprintf(text, textlen, "server name '%s' is not this server's partner",
			 server ? server : "");
		return HA_RESULT_ERROR;
	}
	if (r->sync != SY_IDLE) {
		pthread_mutex_unlock(&s->lock);
		ha_svc_put_text(text, textlen, "a lease database synchronization is in progress");
		return HA_RESULT_ERROR;
	}
	r->manual_sync = true;
	r->manual_done = false;
	r->sync = SY_DISABLE;
	r->sync_gen++;
	r->sync_ok = false;
	r->have_from = false;
	ha_svc_wake(s);
	if (!cmd_wait(s, &r->manual_done)) {
		/* the HA thread finishes it (or the next state aborts it) */
		pthread_mutex_unlock(&s->lock);
		ha_svc_put_text(text, textlen, "lease database synchronization timed out");
		return HA_RESULT_ERROR;
	}
	r->manual_done = false;
	rc = r->manual_ok ? HA_RESULT_SUCCESS : HA_RESULT_ERROR;
	pthread_mutex_unlock(&s->lock);
	ha_svc_put_text(text, textlen, rc == HA_RESULT_SUCCESS ? "Lease database synchronization complete."
							: "lease database synchronization failed");
	return rc;
}

/* Peregrine's "peregrine-backups" of r (ha_service_status): per backup
 * this server sends updates to, what became of them.  NULL when it sends
 * to none (the section is then Kea's alone). */
static json_t *backups_json(struct ha_service *s, struct rel *r)
{
	json_t *list = NULL;

	for (unsigned i = 0; i < r->upd.n_peers; i++) {
		const struct upd_peer *p = &r->upd.peer[i];
		const struct ha_service_peer_info *st = &p->stats;

		if (p->partner)
			continue;
		if (!list && !(list = json_array()))
			return NULL;
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I}",
			"name", p->peer->name,
			"connection", ha_peer_link_name(st->link),
			"wait-backup-ack", ha_svc_peer_policy(s, r, p->peer) == HA_UPD_SEND_WAIT,
			"updates-sent", (json_int_t)st->requests,
			"updates-acknowledged", (json_int_t)st->acked,
			"updates-refused", (json_int_t)st->refused,
			"updates-failed", (json_int_t)st->failed,
			"updates-unsent", (json_int_t)st->unsent,
			"updates-queued", (json_int_t)st->queued));
	}
	return list;
}

int ha_service_status(struct ha_service *s, int fam, json_t **ha_section)
{
	json_t *backups;
	struct ha_comm_report rep;
	json_t *local, *remote, *rel;
	struct rel *r;

	*ha_section = NULL;
	pthread_mutex_lock(&s->lock);
	r = ha_svc_rel_of(s, fam);
	if (!r) {
		pthread_mutex_unlock(&s->lock);
		return -EINVAL;
	}
	ha_comm_report(r->comm, s->now_ms, &rep);
	/* unsent-update-count: Peregrine's, as its heartbeat answer says it */
	local = json_pack("{s:s, s:o, s:s, s:I}", "role", ha_role_name(ha_svc_role_of(s->me->role)),
			  "scopes", ha_svc_scopes_json(s->ha, r->sm.scopes),
			  "state", ha_state_name(r->sm.state),
			  "unsent-update-count", (json_int_t)ha_comm_unsent(r->comm));
	/* "local" only in passive-backup and on a backup server, as Kea. */
	remote = !s->partner || s->me->role == CONF_HA_BACKUP ? NULL :
		 json_pack("{s:I, s:I, s:b, s:I, s:b, s:o, s:s, s:s, s:I, s:I}",
			   "age", (json_int_t)rep.age_s,
			   "analyzed-packets", (json_int_t)rep.analyzed_packets,
			   "communication-interrupted", rep.communication_interrupted,
			   "connecting-clients", (json_int_t)rep.connecting_clients,
			   "in-touch", rep.in_touch,
			   "last-scopes", ha_svc_scopes_json(s->ha, rep.last_scopes),
			   "last-state", ha_state_name(rep.last_state),
			   "role", ha_role_name(ha_svc_role_of(s->partner->role)),
			   "unacked-clients", (json_int_t)rep.unacked_clients,
			   "unacked-clients-left", (json_int_t)rep.unacked_clients_left);
	backups = backups_json(s, r);
	pthread_mutex_unlock(&s->lock);
	rel = json_pack("{s:s, s:{s:o}}", "ha-mode", ha_mode_name(s->cfg.mode),
			"ha-servers", "local", local);
	if (rel && backups)
		json_object_set_new(rel, "peregrine-backups", backups);
	else
		json_decref(backups);
	if (rel && remote)
		json_object_set_new(json_object_get(rel, "ha-servers"), "remote", remote);
	else
		json_decref(remote);
	*ha_section = rel ? json_pack("[o]", rel) : NULL;
	return *ha_section ? 0 : -ENOMEM;
}

enum ha_update ha_svc_peer_policy(struct ha_service *s, struct rel *r,
				  const struct conf_ha_peer *peer)
{
	/* Kea's backup server serves no clients: it has nothing to send. */
	if (!peer || peer == s->me || s->me->role == CONF_HA_BACKUP)
		return HA_UPD_SKIP;
	return ha_sm_update_policy(&s->cfg, r->sm.state, ha_svc_role_of(peer->role));
}

enum ha_update ha_service_update_policy(struct ha_service *s, int fam,
					const struct conf_ha_peer *peer)
{
	enum ha_update u = HA_UPD_SKIP;
	struct rel *r;

	pthread_mutex_lock(&s->lock);
	r = ha_svc_rel_of(s, fam);
	if (r)
		u = ha_svc_peer_policy(s, r, peer);
	pthread_mutex_unlock(&s->lock);
	return u;
}

int ha_service_info(struct ha_service *s, int fam, struct ha_service_info *out)
{
	struct rel *r;

	pthread_mutex_lock(&s->lock);
	r = ha_svc_rel_of(s, fam);
	if (r) {
		*out = r->stats;
		out->state = r->sm.state;
		out->partner = ha_comm_partner_state(r->comm);
		out->service = r->service;
		out->scopes = r->scopes;
		out->paused = r->sm.paused;
		out->clock_skew_s = ha_comm_clock_skew(r->comm);
		out->unsent_updates = ha_comm_unsent(r->comm);
		if (r->upd.partner) {
			const struct ha_service_peer_info *p = &r->upd.partner->stats;

			out->updates_acked = p->acked;
			out->updates_refused = p->refused;
			out->updates_failed = p->failed;
			out->update_requests = p->requests;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r ? 0 : -EINVAL;
}
