/* HA state machine and communication state (ha_state.h).
 *
 * The scenarios walk a pair of servers, A and B, through Kea 2.2's
 * transitions.  Each server's view of its partner is the partner's real
 * state (or unavailable when it is down) plus what the scenario says
 * about communication (interrupted, failure detected, clock skew...). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "ha_state.h"

struct srv {
	struct ha_sm_config cfg;
	struct ha_sm sm;
	bool alive, interrupted, failure, skew, new_unsent, overflown;
	struct ha_sm_result res;
};

static struct srv A, B;

static void view_of(const struct srv *me, const struct srv *peer, struct ha_sm_view *v)
{
	memset(v, 0, sizeof(*v));
	v->partner = peer->alive ? peer->sm.state : HA_ST_UNAVAILABLE;
	v->comm_interrupted = me->interrupted;
	v->failure_detected = me->failure;
	v->service_enabled = me->sm.service;
	v->clock_skew_fatal = me->skew;
	v->partner_new_unsent = me->new_unsent;
	v->backlog_overflown = me->overflown;
}

static int ev(struct srv *me, enum ha_event e)
{
	struct srv *peer = me == &A ? &B : &A;
	struct ha_sm_view v;

	view_of(me, peer, &v);
	return ha_sm_step(&me->cfg, &me->sm, &v, e, &me->res);
}

static void config(struct srv *s, enum ha_mode mode, enum ha_role role)
{
	memset(s, 0, sizeof(*s));
	s->cfg.mode = mode;
	s->cfg.role = role;
	s->cfg.auto_failover = true;
	s->cfg.sync_leases = true;
	s->cfg.send_lease_updates = true;
	ha_sm_init(&s->sm);
}

static void pair(enum ha_mode mode)
{
	config(&A, mode, HA_ROLE_PRIMARY);
	config(&B, mode, mode == HA_MODE_LOAD_BALANCING ? HA_ROLE_SECONDARY : HA_ROLE_STANDBY);
}

/* ---- The scenario table ---- */

enum op { OP_START, OP_EV, OP_KILL, OP_SET, OP_END };
enum field { F_INTERRUPTED, F_FAILURE, F_SKEW, F_NEW_UNSENT, F_OVERFLOWN };
#define X HA_ST_COUNT	/* state not checked */
#define N (-1)		/* scopes not checked */

struct step {
	uint8_t op, who;	/* who: 0 = A, 1 = B */
	uint8_t arg;		/* OP_EV: event; OP_SET: field */
	uint8_t val;		/* OP_SET: value */
	uint8_t a, b;		/* states expected after the step */
	int8_t sa, sb;		/* scopes expected after the step */
};

#define START(w, a, b, sa, sb)   { OP_START, w, 0, 0, a, b, sa, sb }
#define EV(w, e, a, b, sa, sb)   { OP_EV, w, e, 0, a, b, sa, sb }
#define KILL(w)                  { OP_KILL, w, 0, 0, X, X, N, N }
#define SET(w, f, v)             { OP_SET, w, f, v, X, X, N, N }
#define END                      { OP_END, 0, 0, 0, X, X, N, N }
#define HB(w, a, b, sa, sb)      EV(w, HA_EV_HEARTBEAT, a, b, sa, sb)
#define SYNCED(w, a, b, sa, sb)  EV(w, HA_EV_SYNC_DONE, a, b, sa, sb)

enum { W_A, W_B };
#define P HA_SCOPES_PRIMARY
#define S HA_SCOPES_SECONDARY
#define BOTH (HA_SCOPES_PRIMARY | HA_SCOPES_SECONDARY)

static void run_steps(const char *name, const struct step *t)
{
	for (unsigned i = 0; t[i].op != OP_END; i++) {
		struct srv *me = t[i].who == W_A ? &A : &B;
		bool *f;
		int rc = 0;

		switch (t[i].op) {
		case OP_START:
			ha_sm_init(&me->sm);
			me->alive = true;
			me->interrupted = me->failure = false;
			rc = ev(me, HA_EV_START);
			break;
		case OP_EV:
			rc = ev(me, (enum ha_event)t[i].arg);
			break;
		case OP_KILL:
			me->alive = false;
			break;
		case OP_SET:
			f = t[i].arg == F_INTERRUPTED ? &me->interrupted :
			    t[i].arg == F_FAILURE ? &me->failure :
			    t[i].arg == F_SKEW ? &me->skew :
			    t[i].arg == F_NEW_UNSENT ? &me->new_unsent : &me->overflown;
			*f = t[i].val != 0;
			break;
		}
		CU_ASSERT_EQUAL(rc, 0);
		if ((t[i].a != X && A.sm.state != t[i].a) || (t[i].b != X && B.sm.state != t[i].b) ||
		    (t[i].sa != N && A.sm.scopes != (unsigned)t[i].sa) ||
		    (t[i].sb != N && B.sm.scopes != (unsigned)t[i].sb)) {
			printf("\n  %s step %u: A %s/%u B %s/%u, expected A %s/%d B %s/%d\n", name, i,
			       ha_state_name(A.sm.state), A.sm.scopes, ha_state_name(B.sm.state),
			       B.sm.scopes, t[i].a == X ? "*" : ha_state_name(t[i].a), t[i].sa,
			       t[i].b == X ? "*" : ha_state_name(t[i].b), t[i].sb);
			CU_FAIL("unexpected state");
			return;
		}
	}
}

/* Kea's start-up of a load-balancing pair: both waiting, the primary
 * syncs first, both ready, the primary enters load-balancing first. */
static const struct step lb_startup[] = {
	START(W_A, HA_ST_WAITING, X, 0, N),
	START(W_B, HA_ST_WAITING, HA_ST_WAITING, 0, 0),
	HB(W_B, X, HA_ST_WAITING, N, 0),		/* secondary lets the primary go first */
	HB(W_A, HA_ST_SYNCING, X, 0, N),
	HB(W_B, X, HA_ST_WAITING, N, 0),		/* partner syncing: wait */
	SYNCED(W_A, HA_ST_READY, X, 0, N),
	HB(W_B, X, HA_ST_SYNCING, N, 0),
	SYNCED(W_B, X, HA_ST_READY, N, 0),		/* both ready: secondary waits */
	HB(W_A, HA_ST_LOAD_BALANCING, X, P, N),
	HB(W_B, X, HA_ST_LOAD_BALANCING, N, S),
	HB(W_A, HA_ST_LOAD_BALANCING, HA_ST_LOAD_BALANCING, P, S),
	END
};

static const struct step lb_crash_and_return[] = {
	/* B dies.  A heartbeat fails but communication is not interrupted
	 * yet: nothing (no communication-recovery configured). */
	KILL(W_B),
	HB(W_A, HA_ST_LOAD_BALANCING, X, P, N),
	/* Interrupted, but no unacked clients beyond the limit yet. */
	SET(W_A, F_INTERRUPTED, 1),
	HB(W_A, HA_ST_LOAD_BALANCING, X, P, N),
	SET(W_A, F_FAILURE, 1),
	HB(W_A, HA_ST_PARTNER_DOWN, X, BOTH, N),
	HB(W_A, HA_ST_PARTNER_DOWN, X, BOTH, N),
	/* B restarts: it sees A in partner-down and syncs from it at once. */
	START(W_B, X, HA_ST_SYNCING, N, 0),
	SET(W_A, F_INTERRUPTED, 0),
	SET(W_A, F_FAILURE, 0),
	HB(W_A, HA_ST_PARTNER_DOWN, X, BOTH, N),	/* partner syncing: keep serving */
	SYNCED(W_B, X, HA_ST_READY, N, 0),
	HB(W_B, X, HA_ST_READY, N, 0),
	HB(W_A, HA_ST_LOAD_BALANCING, X, P, N),		/* nothing unsent: straight back */
	HB(W_B, X, HA_ST_LOAD_BALANCING, N, S),
	END
};

/* The partner comes back having handed out leases it could not tell us
 * about (its unsent-update-count moved): we resync from it first. */
static const struct step lb_return_with_unsent[] = {
	KILL(W_B),
	SET(W_A, F_INTERRUPTED, 1),
	SET(W_A, F_FAILURE, 1),
	HB(W_A, HA_ST_PARTNER_DOWN, X, BOTH, N),
	START(W_B, X, HA_ST_SYNCING, N, 0),
	SET(W_A, F_INTERRUPTED, 0),
	SET(W_A, F_FAILURE, 0),
	SYNCED(W_B, X, HA_ST_READY, N, 0),
	SET(W_A, F_NEW_UNSENT, 1),
	HB(W_A, HA_ST_SYNCING, X, 0, N),		/* waiting, then syncing at once */
	SET(W_A, F_NEW_UNSENT, 0),
	SYNCED(W_A, HA_ST_LOAD_BALANCING, X, P, N),	/* ready; B ready; A primary */
	HB(W_B, X, HA_ST_LOAD_BALANCING, N, S),
	END
};

static void test_load_balancing_pair(void)
{
	pair(HA_MODE_LOAD_BALANCING);
	run_steps("lb_startup", lb_startup);
	CU_ASSERT(A.sm.service && B.sm.service);
	run_steps("lb_crash_and_return", lb_crash_and_return);
	run_steps("lb_return_with_unsent", lb_return_with_unsent);
}

/* Hot-standby: the primary serves, the standby serves no scope but keeps
 * DHCP enabled (to watch the clients' secs).  The primary cannot see the
 * standby's clients, so it goes partner-down as soon as communication is
 * interrupted; the standby waits for the unacked-clients evidence. */
static const struct step hs_pair[] = {
	START(W_A, HA_ST_WAITING, X, 0, N),
	START(W_B, X, HA_ST_WAITING, N, 0),
	HB(W_A, HA_ST_SYNCING, X, N, N),
	SYNCED(W_A, HA_ST_READY, X, N, N),
	HB(W_B, X, HA_ST_SYNCING, N, N),
	SYNCED(W_B, X, HA_ST_READY, N, N),
	HB(W_A, HA_ST_HOT_STANDBY, X, P, N),
	HB(W_B, X, HA_ST_HOT_STANDBY, N, 0),
	/* The primary dies; the standby needs failure detection. */
	KILL(W_A),
	SET(W_B, F_INTERRUPTED, 1),
	HB(W_B, X, HA_ST_HOT_STANDBY, N, 0),
	SET(W_B, F_FAILURE, 1),
	HB(W_B, X, HA_ST_PARTNER_DOWN, N, P),		/* takes the primary's scope */
	/* The primary returns, syncs from the standby, both hot-standby. */
	START(W_A, HA_ST_SYNCING, X, 0, N),
	SET(W_B, F_INTERRUPTED, 0),
	SET(W_B, F_FAILURE, 0),
	SYNCED(W_A, HA_ST_READY, X, 0, N),
	HB(W_B, X, HA_ST_HOT_STANDBY, N, 0),
	HB(W_A, HA_ST_HOT_STANDBY, X, P, N),
	/* The standby dies: the primary goes partner-down on interruption
	 * alone (no failure detected). */
	KILL(W_B),
	SET(W_A, F_INTERRUPTED, 1),
	HB(W_A, HA_ST_PARTNER_DOWN, X, P, N),
	END
};

static void test_hot_standby_pair(void)
{
	pair(HA_MODE_HOT_STANDBY);
	run_steps("hs_pair", hs_pair);
	CU_ASSERT(A.sm.service);
}

/* ha-maintenance-start on A: it asks B (ha-maintenance-notify), B goes
 * in-maintenance, A partner-in-maintenance serving both scopes; cancel
 * returns both; a second start and B's shutdown take A to partner-down
 * with no failure detection. */
static void test_maintenance(void)
{
	pair(HA_MODE_LOAD_BALANCING);
	run_steps("lb_startup", lb_startup);

	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START), 0);
	CU_ASSERT(A.res.actions & HA_ACT_SEND_MAINT_NOTIFY);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_NONE);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);
	/* A second request while the first is out is refused. */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_ERROR);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_NOTIFY), 0);
	CU_ASSERT_EQUAL(B.res.rc, HA_RC_SUCCESS);
	CU_ASSERT_STRING_EQUAL(B.res.text, "Server is in-maintenance state.");
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_IN_MAINTENANCE);
	CU_ASSERT_EQUAL(B.sm.scopes, 0);
	CU_ASSERT_FALSE(B.sm.service);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START_OK), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_SUCCESS);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_IN_MAINTENANCE);
	CU_ASSERT_EQUAL(A.sm.scopes, BOTH);
	CU_ASSERT(A.sm.service);
	/* Heartbeats change nothing while both wait. */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_IN_MAINTENANCE);
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_IN_MAINTENANCE);
	/* A partner-in-maintenance server cannot start another one; an
	 * in-maintenance one is not allowed to be notified again from it. */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_ERROR);
	CU_ASSERT_STRING_EQUAL(A.res.text, "Unable to transition the server from the "
			       "partner-in-maintenance to partner-in-maintenance state.");
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_NOTIFY), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_MAINT_NOT_ALLOWED);

	/* Cancel: A asks B, B returns to load-balancing, then A. */
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_CANCEL), 0);
	CU_ASSERT_EQUAL(B.res.rc, HA_RC_ERROR);		/* B is not partner-in-maintenance */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_CANCEL), 0);
	CU_ASSERT(A.res.actions & HA_ACT_SEND_MAINT_CANCEL);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_NOTIFY_CANCEL), 0);
	CU_ASSERT_EQUAL(B.res.rc, HA_RC_SUCCESS);
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_LOAD_BALANCING);
	CU_ASSERT_EQUAL(B.sm.scopes, S);
	CU_ASSERT(B.sm.service);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_CANCEL_OK), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_SUCCESS);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);
	CU_ASSERT_EQUAL(A.sm.scopes, P);
	/* Cancel in a server not in maintenance. */
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_NOTIFY_CANCEL), 0);
	CU_ASSERT_EQUAL(B.res.rc, HA_RC_ERROR);

	/* Again, and B is shut down: partner-down without detection. */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START), 0);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_NOTIFY), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START_OK), 0);
	B.alive = false;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_DOWN);
	CU_ASSERT_EQUAL(A.sm.scopes, BOTH);
}

/* ha-maintenance-start while the partner is unreachable: partner-down,
 * serving both scopes even without auto-failover (not a failover); a
 * refusal (1001) leaves the state alone. */
static void test_maintenance_partner_gone(void)
{
	pair(HA_MODE_LOAD_BALANCING);
	A.cfg.auto_failover = false;
	run_steps("lb_startup", lb_startup);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START_REFUSED), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(A.res.text, "ha-maintenance-notify command: "));
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);
	/* An outcome with no request out is ignored. */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START_OK), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_NONE);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);

	B.alive = false;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_MAINT_START_FAILED), 0);
	CU_ASSERT_EQUAL(A.res.rc, HA_RC_SUCCESS);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_DOWN);
	CU_ASSERT_EQUAL(A.sm.scopes, BOTH);

	/* A real failure without auto-failover keeps only the own scope. */
	pair(HA_MODE_LOAD_BALANCING);
	A.cfg.auto_failover = false;
	run_steps("lb_startup", lb_startup);
	B.alive = false;
	A.interrupted = A.failure = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_DOWN);
	CU_ASSERT_EQUAL(A.sm.scopes, P);
}

/* Clock skew over 60 s terminates both: DHCP stays enabled on the own
 * scope, heartbeats stop, and nothing moves it but a restart. */
static const struct step skew[] = {
	SET(W_A, F_SKEW, 1),
	HB(W_A, HA_ST_TERMINATED, X, P, N),
	HB(W_B, X, HA_ST_TERMINATED, N, S),
	SET(W_A, F_SKEW, 0),
	HB(W_A, HA_ST_TERMINATED, HA_ST_TERMINATED, P, S),
	/* A restarts with a good clock: waits for B to be restarted too. */
	START(W_A, HA_ST_WAITING, X, 0, N),
	HB(W_A, HA_ST_WAITING, X, 0, N),
	END
};

static void test_clock_skew(void)
{
	pair(HA_MODE_LOAD_BALANCING);
	run_steps("lb_startup", lb_startup);
	run_steps("skew", skew);
	CU_ASSERT(B.sm.service);
	CU_ASSERT_FALSE(ha_sm_heartbeats(&B.cfg, &B.sm));
	/* Skewed at start-up: terminated from waiting. */
	pair(HA_MODE_HOT_STANDBY);
	A.skew = true;
	A.alive = B.alive = true;
	B.sm.started = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_START), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_TERMINATED);
}

/* state-machine pausing: "once" on waiting holds the first entry only;
 * "always" on load-balancing holds every entry until ha-continue. */
static void test_pausing(void)
{
	pair(HA_MODE_LOAD_BALANCING);
	A.cfg.pausing[HA_ST_WAITING] = HA_PAUSE_ONCE;
	A.cfg.pausing[HA_ST_LOAD_BALANCING] = HA_PAUSE_ALWAYS;
	A.alive = B.alive = true;
	CU_ASSERT_EQUAL(ev(&B, HA_EV_START), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_START), 0);
	CU_ASSERT(A.res.actions & HA_ACT_PAUSED);
	CU_ASSERT(A.sm.paused);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_WAITING);	/* partner waiting, but paused */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_CONTINUE), 0);
	CU_ASSERT_STRING_EQUAL(A.res.text, "HA state machine continues.");
	CU_ASSERT_EQUAL(ev(&A, HA_EV_CONTINUE), 0);
	CU_ASSERT_STRING_EQUAL(A.res.text, "HA state machine is not paused.");
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_SYNCING);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_SYNC_DONE), 0);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_SYNC_DONE), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);
	CU_ASSERT(A.sm.paused);
	CU_ASSERT_EQUAL(A.sm.scopes, P);		/* entry actions still done */
	/* Paused in load-balancing: a dead partner does not move it. */
	B.alive = false;
	A.interrupted = A.failure = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_CONTINUE), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_DOWN);
	/* waiting again (ha-reset): "once" does not pause a second time.
	 * (With communication still interrupted, waiting would go straight
	 * back to partner-down: DHCP is off there, so no evidence is due.) */
	A.interrupted = false;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_RESET), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_WAITING);
	CU_ASSERT_FALSE(A.sm.paused);
	CU_ASSERT_FALSE(A.res.actions & HA_ACT_PAUSED);
}

/* Backup servers go straight to backup; in passive-backup mode the
 * primary goes to passive-backup and serves alone. */
static void test_backup_and_passive(void)
{
	struct ha_sm_view v = { .partner = HA_ST_UNKNOWN };
	struct ha_sm_result r;
	struct srv s;

	config(&s, HA_MODE_HOT_STANDBY, HA_ROLE_BACKUP);
	CU_ASSERT_EQUAL(ha_sm_step(&s.cfg, &s.sm, &v, HA_EV_START, &r), 0);
	CU_ASSERT_EQUAL(s.sm.state, HA_ST_BACKUP);
	CU_ASSERT_EQUAL(r.transitions, 2);		/* waiting, backup */
	CU_ASSERT_FALSE(s.sm.service);
	CU_ASSERT_EQUAL(s.sm.scopes, 0);
	CU_ASSERT_FALSE(ha_sm_heartbeats(&s.cfg, &s.sm));
	CU_ASSERT_EQUAL(ha_sm_step(&s.cfg, &s.sm, &v, HA_EV_MAINT_NOTIFY, &r), 0);
	CU_ASSERT_EQUAL(r.rc, HA_RC_MAINT_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(r.text, "Unable to transition the server from the backup "
			       "to in-maintenance state.");
	CU_ASSERT_EQUAL(ha_sm_step(&s.cfg, &s.sm, &v, HA_EV_MAINT_START, &r), 0);
	CU_ASSERT_EQUAL(r.rc, HA_RC_ERROR);

	config(&s, HA_MODE_PASSIVE_BACKUP, HA_ROLE_PRIMARY);
	CU_ASSERT_EQUAL(ha_sm_step(&s.cfg, &s.sm, &v, HA_EV_START, &r), 0);
	CU_ASSERT_EQUAL(s.sm.state, HA_ST_PASSIVE_BACKUP);
	CU_ASSERT(s.sm.service);
	CU_ASSERT_EQUAL(s.sm.scopes, P);
	CU_ASSERT(r.actions & HA_ACT_SERVICE);
	CU_ASSERT(r.service);
	CU_ASSERT_FALSE(ha_sm_heartbeats(&s.cfg, &s.sm));
	CU_ASSERT_EQUAL(ha_sm_update_policy(&s.cfg, s.sm.state, HA_ROLE_BACKUP), HA_UPD_SEND);
	s.cfg.wait_backup_ack = true;
	CU_ASSERT_EQUAL(ha_sm_update_policy(&s.cfg, s.sm.state, HA_ROLE_BACKUP), HA_UPD_SEND_WAIT);
}

/* communication-recovery (load-balancing with delayed-updates-limit):
 * a failed heartbeat queues updates instead of sending them; when the
 * partner is back the backlog goes first, or, if it overflowed, ha-reset
 * makes both resync. */
static void test_comm_recovery(void)
{
	pair(HA_MODE_LOAD_BALANCING);
	A.cfg.comm_recovery = B.cfg.comm_recovery = true;
	run_steps("lb_startup", lb_startup);
	B.alive = false;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_COMMUNICATION_RECOVERY);
	CU_ASSERT_EQUAL(A.sm.scopes, P);
	CU_ASSERT(A.sm.service);
	CU_ASSERT_EQUAL(ha_sm_update_policy(&A.cfg, A.sm.state, HA_ROLE_SECONDARY), HA_UPD_QUEUE);
	CU_ASSERT_EQUAL(ha_sm_update_policy(&A.cfg, A.sm.state, HA_ROLE_BACKUP), HA_UPD_SEND);
	/* Back: send the backlog, then normal. */
	B.alive = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT(A.res.actions & HA_ACT_SEND_BACKLOG);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_COMMUNICATION_RECOVERY);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);	/* in flight: no second send */
	CU_ASSERT_FALSE(A.res.actions & HA_ACT_SEND_BACKLOG);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_BACKLOG_SENT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_LOAD_BALANCING);
	CU_ASSERT(A.res.actions & HA_ACT_CLEAR_BACKLOG);

	/* Again, with a failed backlog: ha-reset, retried after a failure,
	 * then waiting (and syncing, since B is load-balancing). */
	B.alive = false;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	B.alive = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_BACKLOG_FAILED), 0);
	CU_ASSERT(A.res.actions & HA_ACT_SEND_RESET);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_RESET_FAILED), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_COMMUNICATION_RECOVERY);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT(A.res.actions & HA_ACT_SEND_RESET);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_RESET_SENT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_SYNCING);
	CU_ASSERT(A.res.actions & HA_ACT_START_SYNC);

	/* Overflowed backlog: straight to ha-reset. */
	pair(HA_MODE_LOAD_BALANCING);
	A.cfg.comm_recovery = true;
	run_steps("lb_startup", lb_startup);
	B.alive = false;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	B.alive = true;
	A.overflown = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT(A.res.actions & HA_ACT_SEND_RESET);
	CU_ASSERT_FALSE(A.res.actions & HA_ACT_SEND_BACKLOG);
	/* Failure detected while recovering: partner-down, backlog dropped. */
	CU_ASSERT_EQUAL(ev(&A, HA_EV_RESET_FAILED), 0);
	B.alive = false;
	A.interrupted = A.failure = true;
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_DOWN);
	CU_ASSERT(A.res.actions & HA_ACT_CLEAR_BACKLOG);
}

/* A partner configured for another mode: leave the normal state and sit
 * in waiting until the configurations agree. */
static void test_invalid_partner(void)
{
	struct ha_sm_view v = { .partner = HA_ST_HOT_STANDBY };
	struct ha_sm_result r;

	pair(HA_MODE_LOAD_BALANCING);
	run_steps("lb_startup", lb_startup);
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &A.sm, &v, HA_EV_HEARTBEAT, &r), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_WAITING);
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &A.sm, &v, HA_EV_HEARTBEAT, &r), 0);
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_WAITING);
	CU_ASSERT_FALSE(A.sm.service);
}

/* ha-reset, ha-sync-complete-notify, a failed sync, and bad calls. */
static void test_commands(void)
{
	struct ha_sm_view v = { .partner = HA_ST_UNAVAILABLE };
	struct ha_sm_result r;
	struct ha_sm sm;

	pair(HA_MODE_LOAD_BALANCING);
	run_steps("lb_startup", lb_startup);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_RESET), 0);
	CU_ASSERT_STRING_EQUAL(B.res.text, "HA state machine reset.");
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_SYNCING);	/* waiting ran once: partner LB */
	CU_ASSERT_FALSE(B.res.actions & HA_ACT_START_SYNC);	/* next event starts it */
	CU_ASSERT_FALSE(B.sm.service);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_HEARTBEAT), 0);
	CU_ASSERT(B.res.actions & HA_ACT_START_SYNC);
	CU_ASSERT_FALSE(ha_sm_heartbeats(&B.cfg, &B.sm));	/* paused during a sync */
	/* A failed sync stays in syncing and retries at the next heartbeat. */
	CU_ASSERT_EQUAL(ev(&B, HA_EV_SYNC_FAILED), 0);
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_SYNCING);
	CU_ASSERT(ha_sm_heartbeats(&B.cfg, &B.sm));
	CU_ASSERT_EQUAL(ev(&B, HA_EV_HEARTBEAT), 0);
	CU_ASSERT(B.res.actions & HA_ACT_START_SYNC);
	/* ha-reset while a sync runs: the sync is abandoned. */
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_NOTIFY), 0);
	CU_ASSERT(B.res.actions & HA_ACT_ABORT_SYNC);
	CU_ASSERT_FALSE(B.sm.sync_running);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_MAINT_NOTIFY_CANCEL), 0);
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_SYNCING);	/* back, held for one run */
	CU_ASSERT_FALSE(B.res.actions & HA_ACT_START_SYNC);
	/* With A unreachable (not yet interrupted) waiting stays put. */
	A.alive = false;
	CU_ASSERT_EQUAL(ev(&B, HA_EV_RESET), 0);
	CU_ASSERT_EQUAL(B.sm.state, HA_ST_WAITING);
	CU_ASSERT_EQUAL(ev(&B, HA_EV_RESET), 0);
	CU_ASSERT_STRING_EQUAL(B.res.text, "HA state machine already in WAITING state.");
	A.alive = true;

	/* sync-complete-notify re-enables DHCP, except in partner-down where
	 * the next heartbeat decides. */
	CU_ASSERT_EQUAL(ev(&B, HA_EV_SYNC_COMPLETE_NOTIFY), 0);
	CU_ASSERT(B.res.actions & HA_ACT_SERVICE);
	CU_ASSERT(B.res.service);
	CU_ASSERT_STRING_EQUAL(B.res.text,
			       "Server successfully notified about the synchronization completion.");
	pair(HA_MODE_HOT_STANDBY);
	run_steps("hs_pair", hs_pair);			/* ends with A in partner-down */
	CU_ASSERT_EQUAL(A.sm.state, HA_ST_PARTNER_DOWN);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_SYNC_COMPLETE_NOTIFY), 0);
	CU_ASSERT_FALSE(A.res.actions & HA_ACT_SERVICE);
	CU_ASSERT(A.sm.sync_complete_notified);
	CU_ASSERT_EQUAL(ev(&A, HA_EV_HEARTBEAT), 0);	/* B still unreachable */
	CU_ASSERT(A.res.actions & HA_ACT_SERVICE);
	CU_ASSERT(A.res.service);
	CU_ASSERT_FALSE(A.sm.sync_complete_notified);

	/* Events before START, START twice, unknown events, bad configs. */
	ha_sm_init(&sm);
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &sm, &v, HA_EV_HEARTBEAT, &r), -EINVAL);
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &sm, &v, HA_EV_START, &r), 0);
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &sm, &v, HA_EV_START, &r), -EINVAL);
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &sm, &v, HA_EV_COUNT, &r), -EINVAL);
	A.cfg.role = HA_ROLE_SECONDARY;			/* hot-standby has none */
	CU_ASSERT_EQUAL(ha_sm_step(&A.cfg, &sm, &v, HA_EV_HEARTBEAT, &r), -EINVAL);
}

/* Every state's row, as Kea's handlers set scopes and the service. */
static void test_state_table(void)
{
	static const struct { enum ha_state st; bool service; unsigned p, s, sb; } want[] = {
		/* state                       service  primary secondary standby (LB: p,s; HS: sb) */
		{ HA_ST_BACKUP,                 false, 0, 0, 0 },
		{ HA_ST_COMMUNICATION_RECOVERY, true,  P, S, 0 },
		{ HA_ST_HOT_STANDBY,            true,  P, S, 0 },
		{ HA_ST_LOAD_BALANCING,         true,  P, S, 0 },
		{ HA_ST_IN_MAINTENANCE,         false, 0, 0, 0 },
		{ HA_ST_PARTNER_DOWN,           true,  BOTH, BOTH, P },
		{ HA_ST_PARTNER_IN_MAINTENANCE, true,  BOTH, BOTH, P },
		{ HA_ST_PASSIVE_BACKUP,         true,  P, S, 0 },
		{ HA_ST_READY,                  false, 0, 0, 0 },
		{ HA_ST_SYNCING,                false, 0, 0, 0 },
		{ HA_ST_TERMINATED,             true,  P, S, 0 },
		{ HA_ST_WAITING,                false, 0, 0, 0 },
	};
	struct ha_sm_config lbp = { .mode = HA_MODE_LOAD_BALANCING, .role = HA_ROLE_PRIMARY };
	struct ha_sm_config lbs = { .mode = HA_MODE_LOAD_BALANCING, .role = HA_ROLE_SECONDARY };
	struct ha_sm_config hss = { .mode = HA_MODE_HOT_STANDBY, .role = HA_ROLE_STANDBY };

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ha_state_info *in = ha_state_info(want[i].st);
		enum ha_serve serve = (enum ha_serve)in->serve;

		if (serve == HA_SERVE_PARTNER_DOWN)	/* with auto-failover */
			serve = HA_SERVE_FAILOVER;
		CU_ASSERT(in->own);
		CU_ASSERT_EQUAL(in->service, want[i].service);
		CU_ASSERT_EQUAL(ha_scopes_for(&lbp, serve), want[i].p);
		CU_ASSERT_EQUAL(ha_scopes_for(&lbs, serve), want[i].s);
		CU_ASSERT_EQUAL(ha_scopes_for(&hss, serve), want[i].sb);
	}
	CU_ASSERT_FALSE(ha_state_info(HA_ST_UNAVAILABLE)->own);
	CU_ASSERT_PTR_NULL(ha_state_info(HA_ST_COUNT));
}

static void test_update_policy(void)
{
	struct ha_sm_config c = { .mode = HA_MODE_LOAD_BALANCING, .role = HA_ROLE_PRIMARY,
				  .send_lease_updates = true };

	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_LOAD_BALANCING, HA_ROLE_SECONDARY), HA_UPD_SEND_WAIT);
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_PARTNER_IN_MAINTENANCE, HA_ROLE_SECONDARY),
			HA_UPD_SEND_WAIT);
	/* Alone: not sent, counted for the partner's return. */
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_PARTNER_DOWN, HA_ROLE_SECONDARY), HA_UPD_SKIP_COUNT);
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_WAITING, HA_ROLE_SECONDARY), HA_UPD_SKIP_COUNT);
	/* Backups get everything, in every state. */
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_PARTNER_DOWN, HA_ROLE_BACKUP), HA_UPD_SEND);
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_SYNCING, HA_ROLE_BACKUP), HA_UPD_SEND);
	c.send_lease_updates = false;
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_LOAD_BALANCING, HA_ROLE_SECONDARY), HA_UPD_SKIP_COUNT);
	CU_ASSERT_EQUAL(ha_sm_update_policy(&c, HA_ST_LOAD_BALANCING, HA_ROLE_BACKUP), HA_UPD_SKIP);
}

static void test_names_and_config(void)
{
	struct ha_sm_config c = { .mode = HA_MODE_LOAD_BALANCING, .role = HA_ROLE_PRIMARY };
	enum ha_state st;
	enum ha_mode m;
	enum ha_role r;
	enum ha_pausing p;

	for (int i = 1; i < HA_ST_COUNT; i++) {
		CU_ASSERT_EQUAL(ha_state_parse(ha_state_name((enum ha_state)i), &st), 0);
		CU_ASSERT_EQUAL(st, i);
	}
	CU_ASSERT_STRING_EQUAL(ha_state_name(HA_ST_PARTNER_IN_MAINTENANCE), "partner-in-maintenance");
	CU_ASSERT_STRING_EQUAL(ha_state_name(HA_ST_UNKNOWN), "");
	CU_ASSERT_PTR_NULL(ha_state_name(HA_ST_COUNT));
	CU_ASSERT_EQUAL(ha_state_parse("", &st), -EINVAL);
	CU_ASSERT_EQUAL(ha_state_parse("Waiting", &st), -EINVAL);
	CU_ASSERT_EQUAL(ha_state_parse(NULL, &st), -EINVAL);
	CU_ASSERT_EQUAL(ha_mode_parse("hot-standby", &m), 0);
	CU_ASSERT_EQUAL(m, HA_MODE_HOT_STANDBY);
	CU_ASSERT_EQUAL(ha_role_parse("standby", &r), 0);
	CU_ASSERT_EQUAL(r, HA_ROLE_STANDBY);
	CU_ASSERT_EQUAL(ha_role_parse("tertiary", &r), -EINVAL);
	CU_ASSERT_EQUAL(ha_pausing_parse("once", &p), 0);
	CU_ASSERT_EQUAL(p, HA_PAUSE_ONCE);
	CU_ASSERT_STRING_EQUAL(ha_mode_name(HA_MODE_PASSIVE_BACKUP), "passive-backup");
	CU_ASSERT_STRING_EQUAL(ha_role_name(HA_ROLE_BACKUP), "backup");
	CU_ASSERT_STRING_EQUAL(ha_event_name(HA_EV_SYNC_COMPLETE_NOTIFY), "sync-complete-notify");

	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), 0);
	c.role = HA_ROLE_STANDBY;
	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), -EINVAL);
	c.role = HA_ROLE_BACKUP;
	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), 0);
	c.wait_backup_ack = true;
	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), -EINVAL);
	c.mode = HA_MODE_PASSIVE_BACKUP;
	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), 0);
	c.role = HA_ROLE_SECONDARY;
	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), -EINVAL);
	c.role = HA_ROLE_PRIMARY;
	c.pausing[HA_ST_READY] = 3;
	CU_ASSERT_EQUAL(ha_sm_config_validate(&c), -EINVAL);
	CU_ASSERT_EQUAL(ha_sm_normal_state(&c), HA_ST_PASSIVE_BACKUP);
}

/* ---- Communication state ---- */

static struct ha_comm *comm(uint32_t max_ack, uint32_t max_unacked, uint32_t max_clients)
{
	struct ha_comm_params p = { .max_response_delay_ms = 3000, .max_ack_delay_ms = max_ack,
				    .max_unacked_clients = max_unacked, .max_clients = max_clients };
	struct ha_comm *c = ha_comm_create(&p, 1000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void test_interruption(void)
{
	struct ha_comm *c = comm(500, 0, 0);
	struct ha_comm_report r;
	struct ha_sm_view v;

	/* Start counts as contact; interrupted strictly after the delay. */
	CU_ASSERT_FALSE(ha_comm_interrupted(c, 4000));
	CU_ASSERT(ha_comm_interrupted(c, 4001));
	ha_comm_poke(c, 5000);
	CU_ASSERT_FALSE(ha_comm_interrupted(c, 8000));
	ha_comm_report(c, 6500, &r);
	CU_ASSERT_FALSE(r.in_touch);			/* no heartbeat answer yet */
	CU_ASSERT_EQUAL(r.age_s, 0);
	ha_comm_set_partner_state(c, HA_ST_UNAVAILABLE);
	ha_comm_report(c, 9100, &r);
	CU_ASSERT(r.in_touch);
	CU_ASSERT_EQUAL(r.age_s, 4);
	CU_ASSERT(r.communication_interrupted);
	CU_ASSERT_EQUAL(r.unacked_clients_left, 1);	/* as the Kea standby reported */
	CU_ASSERT_EQUAL(r.last_state, HA_ST_UNAVAILABLE);
	/* max-unacked-clients 0: failure detected at once. */
	CU_ASSERT(ha_comm_failure_detected(c));
	ha_comm_view(c, 9100, true, false, &v);
	CU_ASSERT_EQUAL(v.partner, HA_ST_UNAVAILABLE);
	CU_ASSERT(v.comm_interrupted && v.failure_detected && v.service_enabled);
	CU_ASSERT_FALSE(v.clock_skew_fatal);
	ha_comm_destroy(c);
}

static void test_failure_detection4(void)
{
	struct ha_comm *c = comm(500, 2, 0);
	const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };
	const uint8_t m3[6] = { 2, 0, 0, 0, 0, 3 }, cid[3] = { 0, 'a', 'b' };
	struct ha_comm_report r;

	/* secs 0: connecting, not unacked. */
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 0, m1, 6, NULL, 0), 0);
	CU_ASSERT_FALSE(ha_comm_failure_detected(c));
	/* secs 1 s > 500 ms: unacked, once per client. */
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 1, m1, 6, NULL, 0), 1);
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 5, m1, 6, NULL, 0), 0);
	/* Same MAC with a client id is another client; the swapped secs
	 * 0x0100 reads as 1 s. */
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 0x0100, m1, 6, cid, 3), 1);
	CU_ASSERT_FALSE(ha_comm_failure_detected(c));	/* 2 unacked, not > 2 */
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 2, m2, 6, NULL, 0), 1);
	CU_ASSERT(ha_comm_failure_detected(c));
	ha_comm_report(c, 1000, &r);
	CU_ASSERT_EQUAL(r.connecting_clients, 3);
	CU_ASSERT_EQUAL(r.unacked_clients, 3);
	CU_ASSERT_EQUAL(r.analyzed_packets, 5);
	/* A heartbeat answer forgets them all. */
	ha_comm_poke(c, 2000);
	CU_ASSERT_FALSE(ha_comm_failure_detected(c));
	ha_comm_report(c, 2000, &r);
	CU_ASSERT_EQUAL(r.connecting_clients + r.unacked_clients + r.analyzed_packets, 0);
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 1, m1, 6, NULL, 0), 1);
	ha_comm_destroy(c);

	/* The threshold is strict: secs * 1000 > max-ack-delay. */
	c = comm(10000, 1, 0);
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 10, m1, 6, NULL, 0), 0);
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 11, m1, 6, NULL, 0), 1);
	/* 0x0101 is not swapped (low byte not 0): 257 s. */
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 0x0101, m3, 6, NULL, 0), 1);
	/* 0x0a00 is swapped: 10 s, not over 10 s. */
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 0x0a00, m2, 6, NULL, 0), 0);
	CU_ASSERT_EQUAL(ha_comm_analyze4(c, 0, m2, 21, NULL, 0), -EINVAL);
	ha_comm_destroy(c);
}

static void test_failure_detection6(void)
{
	struct ha_comm *c = comm(500, 1, 0);
	const uint8_t d1[10] = { 0, 1, 0, 1, 1, 2, 3, 4, 5, 6 }, d2[4] = { 0, 3, 0, 1 };
	struct ha_comm_report r;

	/* elapsed in 1/100 s: 50 = 500 ms (not over), 51 over. */
	CU_ASSERT_EQUAL(ha_comm_analyze6(c, true, 50, d1, 10), 0);
	CU_ASSERT_EQUAL(ha_comm_analyze6(c, false, 0, d2, 4), 0);	/* no option */
	CU_ASSERT_EQUAL(ha_comm_analyze6(c, true, 51, d1, 10), 1);
	CU_ASSERT_FALSE(ha_comm_failure_detected(c));
	CU_ASSERT_EQUAL(ha_comm_analyze6(c, true, 0, NULL, 0), 0);	/* no DUID */
	CU_ASSERT_EQUAL(ha_comm_analyze6(c, true, 3000, d2, 4), 1);
	CU_ASSERT(ha_comm_failure_detected(c));
	ha_comm_report(c, 1000, &r);
	CU_ASSERT_EQUAL(r.connecting_clients, 2);
	CU_ASSERT_EQUAL(r.analyzed_packets, 5);
	ha_comm_destroy(c);
}

/* The client table is bounded, and never hides a failure. */
static void test_bounded_clients(void)
{
	struct ha_comm *c = comm(500, 2, 4);
	struct ha_comm_params big = { .max_clients = 1u << 20, .max_unacked_clients = 1 };
	struct ha_comm_report r;
	uint8_t m[6] = { 2, 0, 0, 0, 0, 0 };

	for (unsigned i = 0; i < 10; i++) {
		m[5] = (uint8_t)i;
		CU_ASSERT_EQUAL(ha_comm_analyze4(c, 0, m, 6, NULL, 0), 0);
	}
	ha_comm_report(c, 1000, &r);
	CU_ASSERT_EQUAL(r.connecting_clients, 4);
	CU_ASSERT_EQUAL(r.untracked_clients, 6);
	/* Three new unacked clients still get in: failure detected. */
	for (unsigned i = 20; i < 23; i++) {
		m[5] = (uint8_t)i;
		CU_ASSERT_EQUAL(ha_comm_analyze4(c, 9, m, 6, NULL, 0), 1);
	}
	CU_ASSERT(ha_comm_failure_detected(c));
	ha_comm_destroy(c);
	errno = 0;
	CU_ASSERT_PTR_NULL(ha_comm_create(&big, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(ha_comm_create(NULL, 0));
}

static void test_clock_and_unsent(void)
{
	struct ha_comm *c = comm(500, 1, 0);

	ha_comm_set_partner_time(c, 1000060, 1000000);
	CU_ASSERT_EQUAL(ha_comm_clock_skew(c), 60);
	CU_ASSERT_FALSE(ha_comm_clock_skew_fatal(c));
	ha_comm_set_partner_time(c, 1000000, 1000061);
	CU_ASSERT(ha_comm_clock_skew_fatal(c));
	/* Warnings over 30 s, at most one a minute. */
	ha_comm_set_partner_time(c, 1000031, 1000000);
	CU_ASSERT(ha_comm_clock_skew_warn(c, 10000));
	CU_ASSERT_FALSE(ha_comm_clock_skew_warn(c, 70000));
	CU_ASSERT(ha_comm_clock_skew_warn(c, 71000));
	ha_comm_set_partner_time(c, 1000030, 1000000);
	CU_ASSERT_FALSE(ha_comm_clock_skew_warn(c, 500000));

	/* unsent-update-count. */
	CU_ASSERT_EQUAL(ha_comm_unsent(c), 0);
	ha_comm_unsent_inc(c);
	ha_comm_unsent_inc(c);
	CU_ASSERT_EQUAL(ha_comm_unsent(c), 2);
	CU_ASSERT_FALSE(ha_comm_partner_new_unsent(c));
	ha_comm_set_partner_unsent(c, 5);
	CU_ASSERT(ha_comm_partner_new_unsent(c));
	ha_comm_set_partner_unsent(c, 5);
	CU_ASSERT_FALSE(ha_comm_partner_new_unsent(c));
	ha_comm_set_partner_unsent(c, 0);	/* partner restarted */
	CU_ASSERT_FALSE(ha_comm_partner_new_unsent(c));
	ha_comm_set_partner_scopes(c, HA_SCOPES_PRIMARY);
	ha_comm_set_partner_state(c, HA_ST_HOT_STANDBY);
	CU_ASSERT_EQUAL(ha_comm_partner_state(c), HA_ST_HOT_STANDBY);
	ha_comm_destroy(c);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_state", NULL, NULL);
	CU_add_test(s, "load-balancing pair: start, crash, return", test_load_balancing_pair);
	CU_add_test(s, "hot-standby pair: failover both ways", test_hot_standby_pair);
	CU_add_test(s, "maintenance start and cancel", test_maintenance);
	CU_add_test(s, "maintenance with the partner gone", test_maintenance_partner_gone);
	CU_add_test(s, "clock skew terminates", test_clock_skew);
	CU_add_test(s, "state-machine pausing", test_pausing);
	CU_add_test(s, "backup and passive-backup", test_backup_and_passive);
	CU_add_test(s, "communication-recovery", test_comm_recovery);
	CU_add_test(s, "partner in another mode", test_invalid_partner);
	CU_add_test(s, "commands and bad calls", test_commands);
	CU_add_test(s, "state table", test_state_table);
	CU_add_test(s, "lease update policy", test_update_policy);
	CU_add_test(s, "names and config", test_names_and_config);
	CU_add_test(s, "communication interrupted", test_interruption);
	CU_add_test(s, "failure detection v4", test_failure_detection4);
	CU_add_test(s, "failure detection v6", test_failure_detection6);
	CU_add_test(s, "bounded client table", test_bounded_clients);
	CU_add_test(s, "clock skew and unsent updates", test_clock_and_unsent);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
