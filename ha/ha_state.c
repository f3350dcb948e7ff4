/* HA state machine (Kea 2.2's HAService handlers) and communication state
 * (CommunicationState4/6), as pure logic; see ha_state.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ha_state.h"

/* ---- Names and the state table ---- */

/* Kea's adjustNetworkState enables DHCP in communication-recovery,
 * load-balancing, hot-standby, partner-down, partner-in-maintenance,
 * passive-backup and terminated; scopes on entry are each handler's
 * serve*Scopes call; heartbeats stop in terminated and passive-backup and
 * never run on a backup. */
static const struct ha_state_info states[HA_ST_COUNT] = {
	/*                               name                      serve                  service heartbeat own */
	[HA_ST_UNKNOWN]                = { "",                       HA_SERVE_NONE,         false, false, false },
	[HA_ST_BACKUP]                 = { "backup",                 HA_SERVE_NONE,         false, false, true },
	[HA_ST_COMMUNICATION_RECOVERY] = { "communication-recovery", HA_SERVE_DEFAULT,      true,  true,  true },
	[HA_ST_HOT_STANDBY]            = { "hot-standby",            HA_SERVE_DEFAULT,      true,  true,  true },
	[HA_ST_LOAD_BALANCING]         = { "load-balancing",         HA_SERVE_DEFAULT,      true,  true,  true },
	[HA_ST_IN_MAINTENANCE]         = { "in-maintenance",         HA_SERVE_NONE,         false, true,  true },
	[HA_ST_PARTNER_DOWN]           = { "partner-down",           HA_SERVE_PARTNER_DOWN, true,  true,  true },
	[HA_ST_PARTNER_IN_MAINTENANCE] = { "partner-in-maintenance", HA_SERVE_FAILOVER,     true,  true,  true },
	[HA_ST_PASSIVE_BACKUP]         = { "passive-backup",         HA_SERVE_DEFAULT,      true,  false, true },
	[HA_ST_READY]                  = { "ready",                  HA_SERVE_NONE,         false, true,  true },
	[HA_ST_SYNCING]                = { "syncing",                HA_SERVE_NONE,         false, true,  true },
	[HA_ST_TERMINATED]             = { "terminated",             HA_SERVE_DEFAULT,      true,  false, true },
	[HA_ST_WAITING]                = { "waiting",                HA_SERVE_NONE,         false, true,  true },
	[HA_ST_UNAVAILABLE]            = { "unavailable",            HA_SERVE_NONE,         false, false, false },
};

static const char *const mode_names[] = { "load-balancing", "hot-standby", "passive-backup" };
static const char *const role_names[] = { "primary", "secondary", "standby", "backup" };
static const char *const pausing_names[] = { "never", "always", "once" };

static const char *const event_names[HA_EV_COUNT] = {
	[HA_EV_START] = "start",
	[HA_EV_HEARTBEAT] = "heartbeat",
	[HA_EV_UPDATES_DONE] = "updates-done",
	[HA_EV_SYNC_DONE] = "sync-done",
	[HA_EV_SYNC_FAILED] = "sync-failed",
	[HA_EV_BACKLOG_SENT] = "backlog-sent",
	[HA_EV_BACKLOG_FAILED] = "backlog-failed",
	[HA_EV_RESET_SENT] = "reset-sent",
	[HA_EV_RESET_FAILED] = "reset-failed",
	[HA_EV_MAINT_NOTIFY] = "maintenance-notify",
	[HA_EV_MAINT_NOTIFY_CANCEL] = "maintenance-notify-cancel",
	[HA_EV_MAINT_START] = "maintenance-start",
	[HA_EV_MAINT_START_OK] = "maintenance-start-ok",
	[HA_EV_MAINT_START_FAILED] = "maintenance-start-failed",
	[HA_EV_MAINT_START_REFUSED] = "maintenance-start-refused",
	[HA_EV_MAINT_CANCEL] = "maintenance-cancel",
	[HA_EV_MAINT_CANCEL_OK] = "maintenance-cancel-ok",
	[HA_EV_MAINT_CANCEL_FAILED] = "maintenance-cancel-failed",
	[HA_EV_RESET] = "reset",
	[HA_EV_CONTINUE] = "continue",
	[HA_EV_SYNC_COMPLETE_NOTIFY] = "sync-complete-notify",
};

const struct ha_state_info *ha_state_info(enum ha_state st)
{
	return (unsigned)st < HA_ST_COUNT ? &states[st] : NULL;
}

const char *ha_state_name(enum ha_state st)
{
	return (unsigned)st < HA_ST_COUNT ? states[st].name : NULL;
}

static int parse_name(const char *const *names, unsigned n, const char *name)
{
	for (unsigned i = 0; name != NULL && i < n; i++)
		if (names[i][0] != '\0' && strcmp(names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

int ha_state_parse(const char *name, enum ha_state *out)
{
	const char *names[HA_ST_COUNT];
	int i;

	for (i = 0; i < HA_ST_COUNT; i++)
		names[i] = states[i].name;
	i = parse_name(names, HA_ST_COUNT, name);
	if (i < 0)
		return i;
	*out = (enum ha_state)i;
	return 0;
}

#define NAME_OF(tab, v) ((unsigned)(v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : NULL)
#define PARSE(tab, name, out, type) do { \
		int i_ = parse_name(tab, sizeof(tab) / sizeof(tab[0]), name); \
		if (i_ < 0) \
			return i_; \
		*(out) = (type)i_; \
		return 0; \
	} while (0)

const char *ha_mode_name(enum ha_mode m) { return NAME_OF(mode_names, m); }
const char *ha_role_name(enum ha_role r) { return NAME_OF(role_names, r); }
const char *ha_pausing_name(enum ha_pausing p) { return NAME_OF(pausing_names, p); }
const char *ha_event_name(enum ha_event ev) { return NAME_OF(event_names, ev); }
int ha_mode_parse(const char *name, enum ha_mode *out) { PARSE(mode_names, name, out, enum ha_mode); }
int ha_role_parse(const char *name, enum ha_role *out) { PARSE(role_names, name, out, enum ha_role); }
int ha_pausing_parse(const char *name, enum ha_pausing *out) { PARSE(pausing_names, name, out, enum ha_pausing); }

/* ---- Configuration-derived answers ---- */

int ha_sm_config_validate(const struct ha_sm_config *cfg)
{
	if (cfg == NULL)
		return -EINVAL;
	switch (cfg->mode) {
	case HA_MODE_LOAD_BALANCING:
		if (cfg->role == HA_ROLE_STANDBY || cfg->wait_backup_ack)
			return -EINVAL;
		break;
	case HA_MODE_HOT_STANDBY:
		if (cfg->role == HA_ROLE_SECONDARY)
			return -EINVAL;
		break;
	case HA_MODE_PASSIVE_BACKUP:
		if (cfg->role != HA_ROLE_PRIMARY && cfg->role != HA_ROLE_BACKUP)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if ((unsigned)cfg->role > HA_ROLE_BACKUP)
		return -EINVAL;
	for (unsigned i = 0; i < HA_ST_COUNT; i++)
		if (cfg->pausing[i] > HA_PAUSE_ONCE)
			return -EINVAL;
	return 0;
}

unsigned ha_scopes_for(const struct ha_sm_config *cfg, enum ha_serve serve)
{
	switch (serve) {
	case HA_SERVE_DEFAULT:
		if (cfg->role == HA_ROLE_PRIMARY)
			return HA_SCOPES_PRIMARY;
		if (cfg->role == HA_ROLE_SECONDARY)
			return HA_SCOPES_SECONDARY;
		return 0;
	case HA_SERVE_FAILOVER:
	case HA_SERVE_PARTNER_DOWN:
		/* Every primary's and secondary's scope; a standby takes the
		 * primary's, and passive-backup has only the primary. */
		return HA_SCOPES_PRIMARY |
		       (cfg->mode == HA_MODE_LOAD_BALANCING ? HA_SCOPES_SECONDARY : 0);
	default:
		return 0;
	}
}

enum ha_state ha_sm_normal_state(const struct ha_sm_config *cfg)
{
	if (cfg->role == HA_ROLE_BACKUP)
		return HA_ST_BACKUP;
	switch (cfg->mode) {
	case HA_MODE_LOAD_BALANCING:
		return HA_ST_LOAD_BALANCING;
	case HA_MODE_HOT_STANDBY:
		return HA_ST_HOT_STANDBY;
	default:
		return HA_ST_PASSIVE_BACKUP;
	}
}

bool ha_sm_heartbeats(const struct ha_sm_config *cfg, const struct ha_sm *sm)
{
	if (cfg->role == HA_ROLE_BACKUP || cfg->mode == HA_MODE_PASSIVE_BACKUP)
		return false;
	if (sm->state == HA_ST_SYNCING && sm->sync_running)
		return false;	/* Kea stops them so they do not disturb the sync */
	return (unsigned)sm->state < HA_ST_COUNT && states[sm->state].heartbeat;
}

enum ha_update ha_sm_update_policy(const struct ha_sm_config *cfg,
				   enum ha_state state, enum ha_role peer_role)
{
	bool backup = peer_role == HA_ROLE_BACKUP;

	/* Updates not sent to an active partner are counted, so that the
	 * partner, back from partner-down, can see it missed some and
	 * resynchronise; backups catch up anyway. */
	if (!cfg->send_lease_updates)
		return backup ? HA_UPD_SKIP : HA_UPD_SKIP_COUNT;
	if (!backup && state == HA_ST_COMMUNICATION_RECOVERY)
		return HA_UPD_QUEUE;
	if (backup)
		return cfg->wait_backup_ack ? HA_UPD_SEND_WAIT : HA_UPD_SEND;
	if (cfg->role == HA_ROLE_BACKUP)
		return HA_UPD_SKIP_COUNT;
	switch (state) {
	case HA_ST_HOT_STANDBY:
	case HA_ST_LOAD_BALANCING:
	case HA_ST_PARTNER_IN_MAINTENANCE:
		return HA_UPD_SEND_WAIT;
	default:
		return HA_UPD_SKIP_COUNT;
	}
}

/* ---- The machine ---- */

/* A handler's answer when the machine stays where it is. */
#define STAY HA_ST_UNKNOWN
/* guard()'s answer when the handler goes on with the partner's state. */
#define GO_ON HA_ST_COUNT
/* Transitions one event may chain (each handler that moves hands over to
 * the next state's handler, as Kea's runModel loop does). */
#define CHAIN_MAX 16u

struct ctx {
	const struct ha_sm_config *cfg;
	struct ha_sm *sm;
	const struct ha_sm_view *v;
	struct ha_sm_result *res;
	bool service;		/* DHCP service as the chain leaves it */
	bool canceled;		/* next handler runs right after a maintenance cancel */
	bool maint_entry;	/* partner-down entered by ha-maintenance-start */
};

void ha_sm_init(struct ha_sm *sm)
{
	memset(sm, 0, sizeof(*sm));
	sm->state = HA_ST_WAITING;
	sm->prev = HA_ST_WAITING;
}

static bool should_pause(struct ctx *c, enum ha_state st)
{
	switch (c->cfg->pausing[st]) {
	case HA_PAUSE_ALWAYS:
		return true;
	case HA_PAUSE_ONCE:
		if (c->sm->paused_once & (1u << st))
			return false;
		c->sm->paused_once |= 1u << st;
		return true;
	default:
		return false;
	}
}

/* Leave the current state for `to` and do what entering it means. */
static void enter(struct ctx *c, enum ha_state to)
{
	struct ha_sm *sm = c->sm;
	struct ha_sm_result *res = c->res;
	enum ha_serve serve = states[to].serve;

	if (to == sm->state)
		return;		/* no entry, as Kea's setState */
	if (sm->state == HA_ST_COMMUNICATION_RECOVERY) {
		res->actions |= HA_ACT_CLEAR_BACKLOG;
		sm->backlog_sending = sm->backlog_sent = sm->backlog_failed = false;
		sm->reset_sending = sm->reset_sent = false;
	}
	if (sm->state == HA_ST_SYNCING && sm->sync_running) {
		res->actions |= HA_ACT_ABORT_SYNC;
		sm->sync_running = false;
	}
	sm->prev = sm->state;
	sm->state = to;
	res->transitions++;
	if (serve == HA_SERVE_PARTNER_DOWN)
		serve = c->maint_entry || c->cfg->auto_failover ? HA_SERVE_FAILOVER
								: HA_SERVE_DEFAULT;
	sm->scopes = ha_scopes_for(c->cfg, serve);
	sm->service = states[to].service;
	c->service = sm->service;
	res->actions |= HA_ACT_SCOPES | HA_ACT_SERVICE;
	res->scopes = sm->scopes;
	res->service = sm->service;
	if (!sm->paused && should_pause(c, to)) {
		sm->paused = true;
		res->actions |= HA_ACT_PAUSED;
	}
}

/* Kea's isPartnerStateInvalid: a partner in a mode other than ours. */
static bool partner_invalid(const struct ctx *c)
{
	switch (c->v->partner) {
	case HA_ST_COMMUNICATION_RECOVERY:
	case HA_ST_LOAD_BALANCING:
		return c->cfg->mode != HA_MODE_LOAD_BALANCING;
	case HA_ST_HOT_STANDBY:
		return c->cfg->mode != HA_MODE_HOT_STANDBY;
	default:
		return false;
	}
}

/* Kea's shouldPartnerDown.  Only a server that serves DHCP and would see
 * the partner's clients (load-balancing, or the standby) can wait for the
 * unacked-clients evidence; the others declare the partner down as soon
 * as communication is interrupted. */
static bool partner_down(const struct ctx *c)
{
	if (!c->v->comm_interrupted)
		return false;
	if (c->service && (c->cfg->mode == HA_MODE_LOAD_BALANCING ||
			   c->cfg->role == HA_ROLE_STANDBY))
		return c->v->failure_detected;
	return true;
}

/* The checks most handlers make first: pause or a just-cancelled
 * maintenance hold the machine, a clock skew terminates it, a partner in
 * another mode sends it to `on_invalid`. */
static enum ha_state guard(const struct ctx *c, enum ha_state on_invalid)
{
	if (c->canceled || c->sm->paused)
		return STAY;
	if (c->v->clock_skew_fatal)
		return HA_ST_TERMINATED;
	if (partner_invalid(c))
		return on_invalid;
	return GO_ON;
}

static enum ha_state sync_or_ready(const struct ctx *c)
{
	return c->cfg->sync_leases ? HA_ST_SYNCING : HA_ST_READY;
}

static enum ha_state h_stay(struct ctx *c)
{
	(void)c;	/* backup, passive-backup, in-maintenance, terminated */
	return STAY;
}

static enum ha_state h_waiting(struct ctx *c)
{
	const struct ha_sm_config *cfg = c->cfg;

	if (c->canceled || c->sm->paused)
		return STAY;
	if (cfg->role == HA_ROLE_BACKUP)
		return HA_ST_BACKUP;
	if (cfg->mode == HA_MODE_PASSIVE_BACKUP)
		return HA_ST_PASSIVE_BACKUP;
	if (c->v->clock_skew_fatal)
		return HA_ST_TERMINATED;
	if (partner_invalid(c))
		return STAY;	/* until the configurations agree */
	switch (c->v->partner) {
	case HA_ST_COMMUNICATION_RECOVERY:
	case HA_ST_HOT_STANDBY:
	case HA_ST_LOAD_BALANCING:
	case HA_ST_IN_MAINTENANCE:
	case HA_ST_PARTNER_DOWN:
	case HA_ST_PARTNER_IN_MAINTENANCE:
	case HA_ST_READY:
		return sync_or_ready(c);
	case HA_ST_WAITING:
		/* Both waiting: the primary goes first. */
		return cfg->role == HA_ROLE_PRIMARY ? sync_or_ready(c) : STAY;
	case HA_ST_UNAVAILABLE:
		return partner_down(c) ? HA_ST_PARTNER_DOWN : STAY;
	default:
		/* syncing (wait for it), terminated (it needs a restart),
		 * not heard yet */
		return STAY;
	}
}

static enum ha_state h_syncing(struct ctx *c)
{
	enum ha_state g;

	if (c->sm->sync_running)
		return STAY;	/* Kea syncs synchronously: nothing runs meanwhile */
	g = guard(c, HA_ST_WAITING);
	if (g != GO_ON)
		return g;
	switch (c->v->partner) {
	case HA_ST_TERMINATED:
		return HA_ST_TERMINATED;
	case HA_ST_UNAVAILABLE:
		return partner_down(c) ? HA_ST_PARTNER_DOWN : STAY;
	default:
		c->sm->sync_running = true;
		c->res->actions |= HA_ACT_START_SYNC;
		return STAY;
	}
}

static enum ha_state h_ready(struct ctx *c)
{
	enum ha_state g = guard(c, HA_ST_WAITING);

	if (g != GO_ON)
		return g;
	switch (c->v->partner) {
	case HA_ST_HOT_STANDBY:
	case HA_ST_LOAD_BALANCING:
	case HA_ST_COMMUNICATION_RECOVERY:
		return ha_sm_normal_state(c->cfg);
	case HA_ST_IN_MAINTENANCE:
		return HA_ST_PARTNER_IN_MAINTENANCE;
	case HA_ST_PARTNER_IN_MAINTENANCE:
		return HA_ST_IN_MAINTENANCE;
	case HA_ST_READY:
		/* Both ready: the primary goes first. */
		return c->cfg->role == HA_ROLE_PRIMARY ? ha_sm_normal_state(c->cfg) : STAY;
	case HA_ST_TERMINATED:
		return HA_ST_TERMINATED;
	case HA_ST_UNAVAILABLE:
		return partner_down(c) ? HA_ST_PARTNER_DOWN : STAY;
	default:
		return STAY;
	}
}

/* load-balancing and hot-standby */
static enum ha_state h_normal(struct ctx *c)
{
	enum ha_state g = guard(c, HA_ST_WAITING);

	if (g != GO_ON)
		return g;
	switch (c->v->partner) {
	case HA_ST_IN_MAINTENANCE:
		return HA_ST_PARTNER_IN_MAINTENANCE;
	case HA_ST_PARTNER_DOWN:
		return HA_ST_WAITING;	/* it served alone: resync from it */
	case HA_ST_PARTNER_IN_MAINTENANCE:
		return HA_ST_IN_MAINTENANCE;
	case HA_ST_TERMINATED:
		return HA_ST_TERMINATED;
	case HA_ST_UNAVAILABLE:
		if (partner_down(c))
			return HA_ST_PARTNER_DOWN;
		return c->cfg->comm_recovery ? HA_ST_COMMUNICATION_RECOVERY : STAY;
	default:
		return STAY;
	}
}

static enum ha_state h_comm_recovery(struct ctx *c)
{
	struct ha_sm *sm = c->sm;
	const struct ha_sm_view *v = c->v;
	enum ha_state g = guard(c, HA_ST_WAITING);
	enum ha_state normal = ha_sm_normal_state(c->cfg);

	if (g != GO_ON)
		return g;
	switch (v->partner) {
	case HA_ST_IN_MAINTENANCE:
		return HA_ST_PARTNER_IN_MAINTENANCE;
	case HA_ST_PARTNER_DOWN:
		return HA_ST_WAITING;
	case HA_ST_PARTNER_IN_MAINTENANCE:
		return HA_ST_IN_MAINTENANCE;
	case HA_ST_TERMINATED:
		return HA_ST_TERMINATED;
	case HA_ST_UNAVAILABLE:
		return partner_down(c) ? HA_ST_PARTNER_DOWN : STAY;
	case HA_ST_WAITING:
	case HA_ST_SYNCING:
	case HA_ST_READY:
		/* The partner is resynchronising anyway; only a lost backlog
		 * makes us resync too. */
		return !v->comm_interrupted && v->backlog_overflown ? HA_ST_WAITING : STAY;
	default:
		break;
	}
	if (v->comm_interrupted)
		return STAY;
	if (v->partner != normal && v->partner != HA_ST_COMMUNICATION_RECOVERY)
		return HA_ST_WAITING;
	if (sm->backlog_sending || sm->reset_sending)
		return STAY;	/* the HA thread reports back */
	if (v->backlog_overflown || sm->backlog_failed) {
		/* The partner must resync from us: ha-reset, then waiting. */
		if (sm->reset_sent)
			return HA_ST_WAITING;
		sm->reset_sending = true;
		c->res->actions |= HA_ACT_SEND_RESET;
		return STAY;
	}
	if (sm->backlog_sent)
		return normal;
	sm->backlog_sending = true;
	c->res->actions |= HA_ACT_SEND_BACKLOG;
	return STAY;
}

static enum ha_state h_partner_down(struct ctx *c)
{
	enum ha_state g = guard(c, HA_ST_WAITING);

	if (g != GO_ON)
		return g;
	switch (c->v->partner) {
	case HA_ST_COMMUNICATION_RECOVERY:
	case HA_ST_PARTNER_DOWN:
	case HA_ST_PARTNER_IN_MAINTENANCE:
		return HA_ST_WAITING;
	case HA_ST_READY:
		/* Back and synced from us: normal, unless it handed out
		 * leases it could not tell us about. */
		return c->v->partner_new_unsent ? HA_ST_WAITING : ha_sm_normal_state(c->cfg);
	case HA_ST_TERMINATED:
		return HA_ST_TERMINATED;
	default:
		return STAY;
	}
}

static enum ha_state h_partner_in_maintenance(struct ctx *c)
{
	if (c->sm->paused)
		return STAY;
	if (c->v->clock_skew_fatal)
		return HA_ST_TERMINATED;
	/* The partner was shut down for maintenance: no failure detection. */
	return c->v->partner == HA_ST_UNAVAILABLE ? HA_ST_PARTNER_DOWN : STAY;
}

/* One handler per state: the transition table. */
static enum ha_state (*const handlers[HA_ST_COUNT])(struct ctx *) = {
	[HA_ST_UNKNOWN] = h_stay,
	[HA_ST_BACKUP] = h_stay,
	[HA_ST_COMMUNICATION_RECOVERY] = h_comm_recovery,
	[HA_ST_HOT_STANDBY] = h_normal,
	[HA_ST_LOAD_BALANCING] = h_normal,
	[HA_ST_IN_MAINTENANCE] = h_stay,
	[HA_ST_PARTNER_DOWN] = h_partner_down,
	[HA_ST_PARTNER_IN_MAINTENANCE] = h_partner_in_maintenance,
	[HA_ST_PASSIVE_BACKUP] = h_stay,
	[HA_ST_READY] = h_ready,
	[HA_ST_SYNCING] = h_syncing,
	[HA_ST_TERMINATED] = h_stay,
	[HA_ST_WAITING] = h_waiting,
	[HA_ST_UNAVAILABLE] = h_stay,
};

/* Run handlers: each move enters the new state and, up to `runs`
 * handlers, lets it decide too.  Kea runs commands' follow-up with a NOP
 * event, which stops after one handler (runs = 1). */
static void run(struct ctx *c, unsigned runs)
{
	for (unsigned i = 0; i < runs; i++) {
		enum ha_state from = c->sm->state;
		enum ha_state to = handlers[from](c);

		c->canceled = false;
		if (to == STAY || to == from)
			break;
		enter(c, to);
	}
}

static void answer(struct ha_sm_result *res, int rc, const char *text)
{
	res->rc = rc;
	res->text = text;
}

static void answer_state(struct ha_sm_result *res, int rc, const char *fmt, enum ha_state st)
{
	snprintf(res->text_buf, sizeof(res->text_buf), fmt, states[st].name);
	answer(res, rc, res->text_buf);
}

/* A maintenance request already waits for the partner's answer (Kea
 * sends it synchronously, so it never sees two). */
static bool maint_busy(struct ctx *c)
{
	if (!c->sm->maint_pending)
		return false;
	answer(c->res, HA_RC_ERROR, "A maintenance request is already in progress.");
	return true;
}

/* The maintenance and reset commands (and their outcomes). */
static void step_command(struct ctx *c, enum ha_event ev)
{
	struct ha_sm *sm = c->sm;
	struct ha_sm_result *res = c->res;
	enum ha_state st = sm->state;

	switch (ev) {
	case HA_EV_MAINT_NOTIFY:
		if (st == HA_ST_BACKUP || st == HA_ST_PARTNER_IN_MAINTENANCE ||
		    st == HA_ST_TERMINATED) {
			answer_state(res, HA_RC_MAINT_NOT_ALLOWED, "Unable to transition the server "
				     "from the %s to in-maintenance state.", st);
			return;
		}
		enter(c, HA_ST_IN_MAINTENANCE);
		run(c, CHAIN_MAX);
		answer(res, HA_RC_SUCCESS, "Server is in-maintenance state.");
		return;
	case HA_EV_MAINT_NOTIFY_CANCEL:
		if (st != HA_ST_IN_MAINTENANCE) {
			answer(res, HA_RC_ERROR, "Unable to cancel the maintenance for the "
			       "server not in the in-maintenance state.");
			return;
		}
		enter(c, sm->prev);
		c->canceled = true;
		run(c, 1);
		answer(res, HA_RC_SUCCESS, "Server maintenance canceled.");
		return;
	case HA_EV_MAINT_START:
		if (maint_busy(c))
			return;
		if (st == HA_ST_BACKUP || st == HA_ST_IN_MAINTENANCE ||
		    st == HA_ST_PARTNER_IN_MAINTENANCE || st == HA_ST_TERMINATED) {
			answer_state(res, HA_RC_ERROR, "Unable to transition the server from the "
				     "%s to partner-in-maintenance state.", st);
			return;
		}
		sm->maint_pending = true;
		res->actions |= HA_ACT_SEND_MAINT_NOTIFY;
		return;
	case HA_EV_MAINT_START_OK:
	case HA_EV_MAINT_START_FAILED:
	case HA_EV_MAINT_START_REFUSED:
		if (!sm->maint_pending)
			return;
		sm->maint_pending = false;
		if (ev == HA_EV_MAINT_START_REFUSED) {
			answer(res, HA_RC_ERROR, "Unable to transition to the partner-in-maintenance "
			       "state. The partner server responded with the following message "
			       "to the ha-maintenance-notify command: ");
			return;
		}
		if (ev == HA_EV_MAINT_START_FAILED) {
			/* Not a failover: serve everything whatever auto-failover. */
			c->maint_entry = true;
			enter(c, HA_ST_PARTNER_DOWN);
			c->maint_entry = false;
			run(c, 1);
			answer(res, HA_RC_SUCCESS, "Server is now in the partner-down state as its "
			       "partner appears to be offline for maintenance.");
			return;
		}
		enter(c, HA_ST_PARTNER_IN_MAINTENANCE);
		run(c, 1);
		answer(res, HA_RC_SUCCESS, "Server is now in the partner-in-maintenance state and "
		       "its partner is in-maintenance state. The partner can be now safely shut down.");
		return;
	case HA_EV_MAINT_CANCEL:
		if (maint_busy(c))
			return;
		if (st != HA_ST_PARTNER_IN_MAINTENANCE) {
			answer(res, HA_RC_ERROR, "Unable to cancel maintenance request because the "
			       "server is not in the partner-in-maintenance state.");
			return;
		}
		sm->maint_pending = true;
		res->actions |= HA_ACT_SEND_MAINT_CANCEL;
		return;
	case HA_EV_MAINT_CANCEL_OK:
	case HA_EV_MAINT_CANCEL_FAILED:
		if (!sm->maint_pending)
			return;
		sm->maint_pending = false;
		if (ev == HA_EV_MAINT_CANCEL_FAILED) {
			answer(res, HA_RC_ERROR, "Unable to cancel maintenance. The partner server "
			       "responded with the following message to the ha-maintenance-notify "
			       "command: ");
			return;
		}
		if (st == HA_ST_PARTNER_IN_MAINTENANCE) {
			enter(c, sm->prev);
			c->canceled = true;
			run(c, 1);
		}
		answer(res, HA_RC_SUCCESS, "Server maintenance successfully canceled.");
		return;
	case HA_EV_RESET:
		if (st == HA_ST_WAITING) {
			answer(res, HA_RC_SUCCESS, "HA state machine already in WAITING state.");
			return;
		}
		enter(c, HA_ST_WAITING);
		run(c, 1);
		answer(res, HA_RC_SUCCESS, "HA state machine reset.");
		return;
	default:
		return;
	}
}

int ha_sm_step(const struct ha_sm_config *cfg, struct ha_sm *sm,
	       const struct ha_sm_view *view, enum ha_event ev,
	       struct ha_sm_result *res)
{
	struct ctx c = { .cfg = cfg, .sm = sm, .v = view, .res = res };
	bool synced_unavailable;

	if ((unsigned)ev >= HA_EV_COUNT || ha_sm_config_validate(cfg) != 0 ||
	    (unsigned)sm->state >= HA_ST_COUNT || !states[sm->state].own ||
	    (sm->started != (ev != HA_EV_START)))
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->from = sm->state;
	res->rc = HA_RC_NONE;
	c.service = view->service_enabled;

	switch (ev) {
	case HA_EV_START:
		sm->started = true;
		sm->state = HA_ST_UNKNOWN;	/* so that waiting is entered */
		enter(&c, HA_ST_WAITING);
		sm->prev = HA_ST_WAITING;
		run(&c, CHAIN_MAX);
		break;
	case HA_EV_HEARTBEAT:
		/* The partner said it finished syncing from us but we cannot
		 * reach it: keep serving alone (Kea re-applies the service). */
		synced_unavailable = sm->sync_complete_notified &&
				     view->partner == HA_ST_UNAVAILABLE;
		sm->sync_complete_notified = false;
		if (synced_unavailable && sm->state == HA_ST_PARTNER_DOWN) {
			sm->service = c.service = true;
			res->actions |= HA_ACT_SERVICE;
			res->service = true;
		}
		run(&c, CHAIN_MAX);
		break;
	case HA_EV_UPDATES_DONE:
		run(&c, CHAIN_MAX);
		break;
	case HA_EV_SYNC_DONE:
	case HA_EV_SYNC_FAILED:
		if (sm->state != HA_ST_SYNCING || !sm->sync_running)
			break;
		sm->sync_running = false;
		/* A failed sync waits for the next heartbeat to retry. */
		if (ev == HA_EV_SYNC_DONE) {
			enter(&c, HA_ST_READY);
			run(&c, CHAIN_MAX);
		}
		break;
	case HA_EV_BACKLOG_SENT:
	case HA_EV_BACKLOG_FAILED:
		if (sm->state != HA_ST_COMMUNICATION_RECOVERY || !sm->backlog_sending)
			break;
		sm->backlog_sending = false;
		sm->backlog_sent = ev == HA_EV_BACKLOG_SENT;
		sm->backlog_failed = ev == HA_EV_BACKLOG_FAILED;
		run(&c, CHAIN_MAX);
		break;
	case HA_EV_RESET_SENT:
	case HA_EV_RESET_FAILED:
		if (sm->state != HA_ST_COMMUNICATION_RECOVERY || !sm->reset_sending)
			break;
		sm->reset_sending = false;
		/* A failed ha-reset is retried at the next heartbeat. */
		if (ev == HA_EV_RESET_SENT) {
			sm->reset_sent = true;
			run(&c, CHAIN_MAX);
		}
		break;
	case HA_EV_CONTINUE:
		if (sm->paused) {
			sm->paused = false;
			answer(res, HA_RC_SUCCESS, "HA state machine continues.");
		} else {
			answer(res, HA_RC_SUCCESS, "HA state machine is not paused.");
		}
		break;
	case HA_EV_SYNC_COMPLETE_NOTIFY:
		/* The partner synced from us and lets us serve again (it
		 * disabled us with dhcp-disable).  In partner-down wait for
		 * the next heartbeat to tell whether it can reach us. */
		if (sm->state == HA_ST_PARTNER_DOWN) {
			sm->sync_complete_notified = true;
		} else {
			sm->service = true;
			res->actions |= HA_ACT_SERVICE;
			res->service = true;
		}
		answer(res, HA_RC_SUCCESS,
		       "Server successfully notified about the synchronization completion.");
		break;
	default:
		step_command(&c, ev);
		break;
	}
	res->to = sm->state;
	return 0;
}

/* ---- Communication state ---- */

#define CLIENTS_DEFAULT		4096u
#define CLIENTS_LIMIT		(1u << 20)
#define CLOCK_SKEW_WARN_S	30
#define CLOCK_SKEW_TERM_S	60
#define CLOCK_SKEW_WARN_GAP_S	60

struct ha_slot {
	uint64_t fp;		/* 0: empty */
	uint8_t unacked;
};

struct ha_comm {
	struct ha_comm_params p;
	uint64_t poke_ms;
	enum ha_state partner;
	unsigned partner_scopes;
	int64_t skew_s;
	bool warned;
	uint64_t warn_ms;
	uint64_t analyzed, connecting, unacked, untracked;
	uint64_t unsent, partner_unsent_prev, partner_unsent;
	uint64_t room;		/* max_clients + max_unacked + 1 */
	uint32_t mask;		/* slots - 1 */
	struct ha_slot *slots;
};

struct ha_comm *ha_comm_create(const struct ha_comm_params *p, uint64_t now_ms)
{
	struct ha_comm *c;
	uint64_t room, n = 1;

	if (p == NULL) {
		errno = EINVAL;
		return NULL;
	}
	room = (uint64_t)(p->max_clients ? p->max_clients : CLIENTS_DEFAULT) +
	       p->max_unacked_clients + 1;
	if (room > CLIENTS_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	while (n < 2 * room)	/* load factor at most one half */
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto err;
	c->slots = calloc(n, sizeof(*c->slots));
	if (c->slots == NULL)
		goto err;
	c->p = *p;
	if (c->p.max_clients == 0)
		c->p.max_clients = CLIENTS_DEFAULT;
	c->room = room;
	c->mask = (uint32_t)(n - 1);
	c->poke_ms = now_ms;
	c->partner = HA_ST_UNKNOWN;
	return c;
err:
	free(c);
	errno = ENOMEM;
	return NULL;
}

void ha_comm_destroy(struct ha_comm *c)
{
	if (c == NULL)
		return;
	free(c->slots);
	free(c);
}

static void forget_clients(struct ha_comm *c)
{
	if (c->connecting > 0)
		memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof(*c->slots));
	c->connecting = c->unacked = c->untracked = 0;
}

void ha_comm_poke(struct ha_comm *c, uint64_t now_ms)
{
	c->poke_ms = now_ms;
	forget_clients(c);
	c->analyzed = 0;
}

bool ha_comm_interrupted(const struct ha_comm *c, uint64_t now_ms)
{
	return now_ms > c->poke_ms && now_ms - c->poke_ms > c->p.max_response_delay_ms;
}

void ha_comm_set_partner_state(struct ha_comm *c, enum ha_state st) { c->partner = st; }
enum ha_state ha_comm_partner_state(const struct ha_comm *c) { return c->partner; }
void ha_comm_set_partner_scopes(struct ha_comm *c, unsigned scopes) { c->partner_scopes = scopes; }

void ha_comm_set_partner_time(struct ha_comm *c, int64_t partner_s, int64_t mine_s)
{
	c->skew_s = partner_s - mine_s;
}

int64_t ha_comm_clock_skew(const struct ha_comm *c) { return c->skew_s; }

static bool skew_over(const struct ha_comm *c, int64_t s)
{
	return c->skew_s > s || c->skew_s < -s;
}

bool ha_comm_clock_skew_fatal(const struct ha_comm *c)
{
	return skew_over(c, CLOCK_SKEW_TERM_S);
}

bool ha_comm_clock_skew_warn(struct ha_comm *c, uint64_t now_ms)
{
	if (!skew_over(c, CLOCK_SKEW_WARN_S))
		return false;
	/* At most one warning a minute, or the log fills up. */
	if (c->warned && (now_ms - c->warn_ms) / 1000 <= CLOCK_SKEW_WARN_GAP_S)
		return false;
	c->warned = true;
	c->warn_ms = now_ms;
	return true;
}

/* FNV-1a over the client's identity, then a final mix so that the low
 * bits (the table index) depend on every byte. */
static uint64_t fp_bytes(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fingerprint(uint8_t family, const uint8_t *a, size_t alen,
			    const uint8_t *b, size_t blen)
{
	uint8_t hdr[5] = { family, (uint8_t)alen, (uint8_t)(alen >> 8),
			   (uint8_t)blen, (uint8_t)(blen >> 8) };
	uint64_t h = 0xcbf29ce484222325ull;

	h = fp_bytes(h, hdr, sizeof(hdr));
	h = fp_bytes(h, a, alen);
	h = fp_bytes(h, b, blen);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Record a client; 1 when it became unacked now. */
static int track(struct ha_comm *c, uint64_t fp, bool unacked)
{
	uint32_t i = (uint32_t)fp & c->mask;

	while (c->slots[i].fp != 0 && c->slots[i].fp != fp)
		i = (i + 1) & c->mask;
	if (c->slots[i].fp == fp) {
		if (c->slots[i].unacked || !unacked)
			return 0;
		c->slots[i].unacked = 1;
		c->unacked++;
		return 1;
	}
	/* New client.  Room is kept for unacked ones past max_clients, so
	 * a table full of patient clients cannot hide a failure. */
	if ((!unacked && c->connecting >= c->p.max_clients) || c->connecting >= c->room) {
		c->untracked++;
		return 0;
	}
	c->slots[i].fp = fp;
	c->slots[i].unacked = unacked;
	c->connecting++;
	if (!unacked)
		return 0;
	c->unacked++;
	return 1;
}

uint64_t ha_comm_fp4(const uint8_t *chaddr, uint8_t hlen, const uint8_t *client_id,
		     size_t client_id_len)
{
	uint8_t hw[20] = { 0 };

	if (hlen > sizeof(hw))
		hlen = sizeof(hw);
	/* Kea keys the hardware address on 16 bytes of chaddr, zero-padded */
	if (chaddr != NULL)
		memcpy(hw, chaddr, hlen < 16 ? hlen : 16);
	return fingerprint(4, hw, hlen, client_id, client_id ? client_id_len : 0);
}

uint64_t ha_comm_fp6(const uint8_t *duid, size_t duid_len)
{
	return duid ? fingerprint(6, duid, duid_len, NULL, 0) : 0;
}

int ha_comm_analyze_fp(struct ha_comm *c, int fam, uint64_t fp, bool has_time, uint16_t t)
{
	c->analyzed++;
	if (fam == 4) {
		/* Some Windows clients send secs little-endian: 0x0500 is 5 s. */
		if (t > 255 && (t & 0xff) == 0)
			t = (uint16_t)((t >> 8) | (t << 8));
		return track(c, fp, (uint64_t)t * 1000 > c->p.max_ack_delay_ms);
	}
	if (fp == 0)
		return 0;
	return track(c, fp, has_time && (uint64_t)t * 10 > c->p.max_ack_delay_ms);
}

int ha_comm_analyze4(struct ha_comm *c, uint16_t secs,
		     const uint8_t *chaddr, uint8_t hlen,
		     const uint8_t *client_id, size_t client_id_len)
{
	if (hlen > 20)
		return -EINVAL;
	return ha_comm_analyze_fp(c, 4, ha_comm_fp4(chaddr, hlen, client_id, client_id_len),
				  true, secs);
}

int ha_comm_analyze6(struct ha_comm *c, bool has_elapsed, uint16_t elapsed,
		     const uint8_t *duid, size_t duid_len)
{
	return ha_comm_analyze_fp(c, 6, ha_comm_fp6(duid, duid_len), has_elapsed, elapsed);
}

bool ha_comm_failure_detected(const struct ha_comm *c)
{
	return c->p.max_unacked_clients == 0 || c->unacked > c->p.max_unacked_clients;
}

void ha_comm_unsent_inc(struct ha_comm *c)
{
	/* 0 is reserved for "just started": wrap to 1. */
	c->unsent = c->unsent == UINT64_MAX ? 1 : c->unsent + 1;
}

void ha_comm_unsent_add(struct ha_comm *c, uint64_t n)
{
	c->unsent = c->unsent > UINT64_MAX - n ? 1 : c->unsent + n;
}

void ha_comm_unsent_clear(struct ha_comm *c)
{
	c->unsent = 0;
}

uint64_t ha_comm_unsent(const struct ha_comm *c) { return c->unsent; }

void ha_comm_set_partner_unsent(struct ha_comm *c, uint64_t n)
{
	c->partner_unsent_prev = c->partner_unsent;
	c->partner_unsent = n;
}

bool ha_comm_partner_new_unsent(const struct ha_comm *c)
{
	return c->partner_unsent > 0 && c->partner_unsent != c->partner_unsent_prev;
}

void ha_comm_report(const struct ha_comm *c, uint64_t now_ms, struct ha_comm_report *r)
{
	memset(r, 0, sizeof(*r));
	r->in_touch = c->partner != HA_ST_UNKNOWN;
	if (r->in_touch && now_ms > c->poke_ms)
		r->age_s = (int64_t)((now_ms - c->poke_ms) / 1000);
	r->last_state = c->partner;
	r->last_scopes = c->partner_scopes;
	r->communication_interrupted = ha_comm_interrupted(c, now_ms);
	r->connecting_clients = c->connecting;
	r->unacked_clients = c->unacked;
	if (r->communication_interrupted && c->p.max_unacked_clients >= c->unacked)
		r->unacked_clients_left = c->p.max_unacked_clients - c->unacked + 1;
	r->analyzed_packets = c->analyzed;
	r->untracked_clients = c->untracked;
}

void ha_comm_view(const struct ha_comm *c, uint64_t now_ms, bool service_enabled,
		  bool backlog_overflown, struct ha_sm_view *v)
{
	memset(v, 0, sizeof(*v));
	v->partner = c->partner;
	v->comm_interrupted = ha_comm_interrupted(c, now_ms);
	v->failure_detected = ha_comm_failure_detected(c);
	v->service_enabled = service_enabled;
	v->clock_skew_fatal = ha_comm_clock_skew_fatal(c);
	v->partner_new_unsent = ha_comm_partner_new_unsent(c);
	v->backlog_overflown = backlog_overflown;
}
