/* The HA service core: one server's HA relationship with its partner,
 * over the real peer link.  It owns, per served family, the partner's
 * communication state (ha_comm), the state machine (ha_sm) and three HTTP
 * connections to the partner (heartbeats; sync and commands; lease
 * updates), sends
 * heartbeats every heartbeat-delay, steps the machine after each outcome
 * and carries out its actions through an ops table of callbacks into the
 * server (service on/off, scopes, leases fetched by a sync).
 *
 * Families.  One relationship per family, as Kea 2.2 runs one per daemon
 * (kea-dhcp4 and kea-dhcp6 are separate HA services, each with its own
 * heartbeats and state).  DHCPv4 always; DHCPv6 when params.dhcp6.  A
 * Peregrine partner answers both families on one URL ("service" tells
 * them apart), a Kea partner's DHCPv6 relationship is on the peer entry's
 * url6.  Keeping the two separate also toward a Peregrine partner means a
 * mixed pair and a Peregrine pair behave the same, and a v6 sync never
 * holds v4 service off.
 *
 * Threads.  ONE thread (the HA thread) drives it: it polls the
 * descriptors ha_service_pollfds gives, for at most ha_service_timeout_ms,
 * then calls ha_service_poll.  Nothing here blocks on the network.  The
 * control thread (the peer listener's handlers) calls the "serving side"
 * functions below at any time: one mutex guards the state, and a wakeup
 * descriptor (in the poll set) makes the HA thread act at once on what a
 * command asked for.  The ops are called with that mutex held, from
 * either thread: they must be quick and must not call back into the
 * service (apply_leases4/6 excepted: see there).  ha_service_command
 * with HA_EV_MAINT_START / HA_EV_MAINT_CANCEL
 * waits (at most sync-timeout + 1 s) for the HA thread to hear the
 * partner's answer, so the HA thread must not be the caller.
 *
 * Lease updates: ha_service_update_push and ha_service_updates_done
 * (below), on a connection of their own per peer and family: the
 * partner's and each backup's.  Backups get no heartbeats and no
 * commands, only lease updates; a backup server sends nothing. */
#pragma once
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "conf.h"
#include "ha_state.h"
#include "lease_rec.h"

/* Callbacks into the server; ctx is passed back.  fam is 4 or 6. */
struct ha_service_ops {
	void *ctx;
	/* HA_ACT_SERVICE: the state wants DHCP service of fam on or off
	 * (the server maps it to netstate's NETSTATE_HA_LOCAL origin). */
	void (*set_service)(void *ctx, int fam, bool on);
	/* HA_ACT_SCOPES: serve these scopes (HA_SCOPES_*) from now on. */
	void (*set_scopes)(void *ctx, int fam, unsigned scopes);
	/* The partner's dhcp-disable (origin "ha-partner", the server's
	 * NETSTATE_HA_PARTNER) ends.  Kea 2.2 keeps its own and the
	 * partner's disable under one origin (HA_COMMAND), so whatever
	 * enables service ends both: called on ha-sync-complete-notify
	 * (outside partner-down; there the next heartbeat decides, as in
	 * Kea) and each time the machine turns service on.  Optional. */
	void (*end_partner_disable)(void *ctx, int fam);
	/* One page of the partner's leases during a sync; the server keeps
	 * the newer of its own and each (cltt).  0, or < 0: the sync fails
	 * (and is tried again).  Unlike the other ops, called WITHOUT the
	 * service's mutex, from the HA thread (within ha_service_poll): a
	 * big page takes a while, and the partner's heartbeats and commands
	 * are answered meanwhile. */
	int (*apply_leases4)(void *ctx, const struct lease_rec *recs, size_t n);
	int (*apply_leases6)(void *ctx, const struct lease6_rec *recs, size_t n);
	/* A transition (for the log).  Optional. */
	void (*state_changed)(void *ctx, int fam, enum ha_state from, enum ha_state to);
	/* This server's wall clock, epoch seconds (heartbeat date-time and
	 * the partner's clock skew).  NULL: time(NULL).  Tests fake skew. */
	int64_t (*wall_clock)(void *ctx);
};

struct ha_service_params {
	const struct conf_ha *ha;	/* kept by reference: must outlive the service */
	bool dhcp6;			/* run the DHCPv6 relationship too */
	struct ha_service_ops ops;
};

struct ha_service;

/* NULL + errno: EINVAL (no partner among the peers, a role the mode does
 * not allow, no apply_leases4 / apply_leases6 (with dhcp6) while
 * sync-leases, set_service or set_scopes missing), ENOMEM, or a socket
 * error.  Nothing runs until ha_service_start.  now_ms: CLOCK_MONOTONIC
 * milliseconds, as everywhere below. */
struct ha_service *ha_service_create(const struct ha_service_params *p, uint64_t now_ms);
/* Closes the connections; the ops are not called. */
void ha_service_destroy(struct ha_service *svc);

/* The machine's start (waiting: service off, no scopes, through the ops);
 * the first heartbeat goes at the next poll.  0, -EALREADY. */
int ha_service_start(struct ha_service *svc, uint64_t now_ms);

/* The descriptors to poll (the wakeup eventfd first, then each
 * connection with a socket): how many were written, at most max
 * (HA_SERVICE_POLLFDS_MAX always suffices: per family heartbeats,
 * commands and one update connection per other peer). */
#define HA_SERVICE_POLLFDS_MAX (1 + 2 * (2 + CONF_HA_PEERS_MAX - 1))
unsigned ha_service_pollfds(struct ha_service *svc, struct pollfd *out, unsigned max);
/* Milliseconds the HA thread may sleep: until the next heartbeat or
 * connection deadline; 0 when there is work now, -1 when nothing is due. */
int ha_service_timeout_ms(struct ha_service *svc, uint64_t now_ms);
/* Do everything due: read the connections (it polls its own descriptors
 * with timeout 0, so it may be called after any wakeup or timeout), feed
 * the answers to the machine, carry out the actions, send what is due. */
void ha_service_poll(struct ha_service *svc, uint64_t now_ms);

/* ---- The serving side: the partner's commands (control thread) -------
 * Each returns Kea's result code (HA_RC_*, HA_RESULT_*) and writes Kea's
 * answer text into text[textlen].  A family without a relationship:
 * HA_RESULT_UNSUPPORTED (2).  Before ha_service_start: HA_RESULT_ERROR. */

/* ha-heartbeat: *args gets {"state", "scopes", "date-time",
 * "unsent-update-count", "peregrine-bulk-apply": true} (caller owns it;
 * Kea ignores the last key, a Peregrine partner then sends batches). */
int ha_service_heartbeat_answer(struct ha_service *svc, int fam, json_t **args, char *text,
				size_t textlen);
/* ha-sync-complete-notify. */
int ha_service_sync_complete_notify(struct ha_service *svc, int fam, char *text,
				    size_t textlen);
/* ha-continue (HA_EV_CONTINUE), ha-maintenance-notify (HA_EV_MAINT_NOTIFY,
 * _CANCEL), ha-maintenance-start / -cancel (HA_EV_MAINT_START,
 * HA_EV_MAINT_CANCEL: sends ha-maintenance-notify to the partner and
 * waits for its answer), ha-reset (HA_EV_RESET).  Other events: -EINVAL.
 * The result may be HA_RC_MAINT_NOT_ALLOWED (1001). */
int ha_service_command(struct ha_service *svc, int fam, enum ha_event ev, char *text,
		       size_t textlen);
/* ha-scopes: serve the scopes of these servers (peer names of the
 * primary / secondary; none: serve nothing) until the state machine sets
 * them again, as Kea's.  An unknown name: HA_RESULT_ERROR, nothing set. */
int ha_service_scopes(struct ha_service *svc, int fam, const char *const *names, unsigned n,
		      char *text, size_t textlen);
/* ha-sync: sync the leases from the partner now (server: its name, or
 * NULL) -- dhcp-disable, the pages, then ha-sync-complete-notify -- and
 * wait for the end (at most sync-timeout + 2 s).  The state machine is
 * not stepped.  The caller must not be the HA thread. */
int ha_service_sync_cmd(struct ha_service *svc, int fam, const char *server, char *text,
			size_t textlen);
/* status-get's "high-availability" value for fam: a list of one
 * {"ha-mode", "ha-servers": {"local": {...}, "remote": {...}}} as Kea
 * 2.2 writes it.  When this server sends updates to backup servers (Kea
 * 2.2 shows nothing of them) the relationship also has Peregrine's
 * "peregrine-backups": per backup {"name", "connection" (idle / ok /
 * failed), "wait-backup-ack" (whether replies wait for it now),
 * "updates-sent" (one change a request, Kea's form), "-acknowledged",
 * "-refused", "-failed" (not delivered), "-unsent" (never delivered:
 * failed, or lapped in the queue while it was behind), "-queued" (waiting
 * to go to it now)}.  0, or -EINVAL (no such relationship), -ENOMEM. */
int ha_service_status(struct ha_service *svc, int fam, json_t **ha_section);

/* ---- Lease updates (the HA thread) -----------------------------------
 * The HA thread reads the workers' lease-change logs (its own lossy
 * consumer) and hands every change not made by the partner (origin HA)
 * here.  The service decides, per peer and per the current state
 * (ha_sm_update_policy), whether to send it, queues it, sends it on a
 * connection of its own (never behind a sync page), and reports each
 * queued change's outcome once.
 *
 * Peers.  Every peer other than this server gets the changes its policy
 * sends: the active partner (none in passive-backup) and each backup,
 * as Kea 2.2 does.  Each has its own sender (connection, position in the
 * one shared queue, requests in flight) and gets the changes in the order
 * pushed.  Backups are sent Kea's form (one change a request, one in
 * flight: no heartbeat tells whether a backup takes more).  A backup
 * whose acknowledgement nothing waits for (no wait-backup-ack) never
 * delays an outcome nor fails one: when it is away or slow its changes
 * stay queued for it until the queue laps them (counted unsent for that
 * peer), and after a failed delivery it is tried again a heartbeat-delay
 * later.  Its failures do not touch the partner's state or
 * unsent-update-count (Kea counts neither for backups).
 *
 * Kea 2.2 partner: one request per change (lease4-update with
 * force-create / lease4-del; lease6-bulk-apply of one lease), one in
 * flight (Kea's listener does not answer pipelined requests).  Peregrine
 * partner (its heartbeat answer says "peregrine-bulk-apply": true):
 * lease4-bulk-apply / lease6-bulk-apply of up to HA_UPDATE_BATCH changes
 * of one kind (updates or deletes; a change of the other kind starts
 * the next request, so the order of changes holds), pipelined up to
 * HA_UPDATE_PIPELINE requests deep on one keep-alive connection.
 * Removals (release, expire, delete) go as deletes; add, renew and
 * decline as updates.  Expiry (LEASE_OP_EXPIRE) is not sent: the
 * partner reclaims on its own, as Kea's does.
 *
 * Outcome: ok when every peer whose policy was HA_UPD_SEND_WAIT
 * acknowledged it (success, or for a bulk apply: not among the failed
 * leases); not ok when one refused it or it could not be delivered
 * (connection failure, deadline: max-response-delay) -- the client's
 * reply must then be dropped, as Kea drops it.  A failed delivery to the
 * partner counts in unsent-update-count and asks for a heartbeat at once
 * (the failure detection); one to a waited-for backup fails the changes
 * queued for it too.  A queued change whose peer's policy is no longer
 * SEND / SEND_WAIT when its turn comes (the partner went down meanwhile)
 * is not sent, counted as the policy says, and is ok (nothing waits for
 * it any more). */
#define HA_UPDATE_BATCH    256
#define HA_UPDATE_PIPELINE 4
#define HA_UPDATE_QUEUE    16384	/* changes queued per family, all peers */

struct ha_update_done {
	uint64_t tag;			/* as given to ha_service_update_push */
	bool ok;
};

/* Queue change c (its family, op and record; its origin must not be
 * LEASE_ORIGIN_HA).  1: nothing will wait for it (no peer sends with
 * wait: skipped, counted, or sent without waiting, e.g. a backup
 * without wait-backup-ack) and no outcome will be reported; 0: queued,
 * its outcome comes through ha_service_updates_done; -ENOBUFS: the
 * queue is full (outcomes not taken yet, or the partner or a waited-for
 * backup is behind: try again after a poll; a lossy backup behind never
 * causes it); -EINVAL: bad family.  Only the HA thread calls it. */
struct lease_change;
int ha_service_update_push(struct ha_service *svc, const struct lease_change *c, uint64_t tag);
/* Take up to max outcomes (any order between families; one family's
 * in the order pushed).  Only the HA thread. */
unsigned ha_service_updates_done(struct ha_service *svc, struct ha_update_done *out,
				 unsigned max);
/* Log entries the HA thread never saw (its consumer was lapped): added
 * to unsent-update-count of every relationship (sync repairs them). */
void ha_service_unsent_add(struct ha_service *svc, uint64_t n);
/* Whether a client's reply of fam must wait for its change's outcome now:
 * some peer's policy is HA_UPD_SEND_WAIT in the current state (the
 * partner in hot-standby / load-balancing / partner-in-maintenance, the
 * backups with wait-backup-ack).  The HA thread publishes it to the
 * workers (their reply gate's mask). */
bool ha_service_updates_wait(struct ha_service *svc, int fam);

/* What to do now with a lease change of fam for this peer of the block
 * (ha_sm_update_policy in the current state).  HA_UPD_SKIP for this
 * server's own entry, a family without a relationship, and every peer
 * when this server is a backup. */
enum ha_update ha_service_update_policy(struct ha_service *svc, int fam,
					const struct conf_ha_peer *peer);

/* ---- Failure detection fed by the datapath (the HA thread) -----------
 * While communication with the partner is interrupted and
 * max-unacked-clients > 0, Kea looks at the queries the partner should
 * answer (not in this server's scopes) before it declares the partner
 * down: ha_service_analyzing says whether to feed them now, and
 * ha_service_analyze takes one (the client's fingerprint from
 * ha_comm_fp4 / ha_comm_fp6, its secs or elapsed time).  The machine
 * sees the count at its next heartbeat outcome. */
bool ha_service_analyzing(struct ha_service *svc, int fam);
void ha_service_analyze(struct ha_service *svc, int fam, uint64_t fp, bool has_time, uint16_t t);

/* ---- Introspection (tests, logs) ------------------------------------- */

struct ha_service_info {
	enum ha_state state;
	enum ha_state partner;		/* last heard (UNAVAILABLE after a failure) */
	bool service;			/* as last set through ops->set_service */
	unsigned scopes;		/* as last set through ops->set_scopes */
	bool paused;
	uint64_t heartbeats_ok, heartbeats_failed;
	uint64_t syncs_done, syncs_failed;
	uint64_t leases_synced;		/* leases handed to apply_leases* */
	/* lease updates to the partner (backups: ha_service_peer_info):
	 * changes acknowledged, refused, failed to deliver;
	 * unsent-update-count (this server's, as its heartbeat answer says
	 * it); requests sent; whether the partner takes bulk applies (its
	 * heartbeat said so) */
	uint64_t updates_acked, updates_refused, updates_failed, unsent_updates;
	uint64_t update_requests;
	bool partner_bulk;
	int64_t clock_skew_s;
};
/* 0, or -EINVAL (no such relationship). */
int ha_service_info(struct ha_service *svc, int fam, struct ha_service_info *out);

/* How this server's update connection to a peer last went. */
enum ha_peer_link {
	HA_PEER_LINK_IDLE,		/* nothing exchanged yet */
	HA_PEER_LINK_OK,		/* its last answer came (success or refusal) */
	HA_PEER_LINK_FAILED,		/* the last delivery failed (a backup is
					 * tried again a heartbeat-delay later) */
};
/* "idle", "ok", "failed" (status-get's "peregrine-backups"). */
const char *ha_peer_link_name(enum ha_peer_link l);

/* The lease updates to one peer, in fam's relationship. */
struct ha_service_peer_info {
	bool partner;			/* the active partner; else a backup */
	bool waits;			/* outcomes wait for it now (HA_UPD_SEND_WAIT) */
	enum ha_peer_link link;
	/* changes it acknowledged; refused (it answered an error for
	 * them); failed to deliver (connection, deadline, an answer not
	 * Kea's); unsent: never delivered (failed ones, those lapped in
	 * the queue while it was behind, those its policy skipped and
	 * counted) */
	uint64_t acked, refused, failed, unsent;
	uint64_t requests;		/* requests sent to it */
	uint64_t queued;		/* changes waiting to go to it now */
};
/* 0, or -EINVAL (no such relationship), -ENOENT (peer is not sent
 * updates: this server, or this server is a backup). */
int ha_service_peer_info(struct ha_service *svc, int fam, const struct conf_ha_peer *peer,
			 struct ha_service_peer_info *out);
