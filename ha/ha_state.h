/* The HA state machine and the partner's communication state, as pure
 * logic: no clock, no socket, no thread.  The HA thread owns one
 * `struct ha_sm` and one `struct ha_comm`, feeds them what it learns
 * (heartbeat answers, clients seen, command requests, outcomes of the
 * work it was asked to do) and carries out the actions a step returns.
 *
 * Behaviour follows Kea 2.2's libdhcp_ha (HAService state handlers,
 * CommunicationState4/6, QueryFilter scopes), so a Peregrine server goes
 * through the same states as its Kea partner expects:
 *
 *   waiting --(partner seen)--> syncing --(sync done)--> ready
 *   ready --(both ready; primary first)--> load-balancing | hot-standby
 *   normal --(partner unavailable, failure detected)--> partner-down
 *   normal --(partner unavailable, delayed updates allowed)--> communication-recovery
 *   partner-down --(partner back in ready)--> normal or waiting (resync)
 *   any --(clock skew > 60 s)--> terminated
 *   backup role --> backup; passive-backup mode primary --> passive-backup
 *
 * States and their properties are one table (ha_state_info); the
 * transitions are one handler per state, in ha_state.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kea 2.2's state names.  HA_ST_UNKNOWN is a partner not heard yet (Kea's
 * -1, reported as ""); HA_ST_UNAVAILABLE a partner that did not answer. */
enum ha_state {
	HA_ST_UNKNOWN = 0,
	HA_ST_BACKUP,
	HA_ST_COMMUNICATION_RECOVERY,
	HA_ST_HOT_STANDBY,
	HA_ST_LOAD_BALANCING,
	HA_ST_IN_MAINTENANCE,
	HA_ST_PARTNER_DOWN,
	HA_ST_PARTNER_IN_MAINTENANCE,
	HA_ST_PASSIVE_BACKUP,
	HA_ST_READY,
	HA_ST_SYNCING,
	HA_ST_TERMINATED,
	HA_ST_WAITING,
	HA_ST_UNAVAILABLE,
	HA_ST_COUNT
};

enum ha_mode { HA_MODE_LOAD_BALANCING, HA_MODE_HOT_STANDBY, HA_MODE_PASSIVE_BACKUP };
enum ha_role { HA_ROLE_PRIMARY, HA_ROLE_SECONDARY, HA_ROLE_STANDBY, HA_ROLE_BACKUP };
/* state-machine.states[].pause */
enum ha_pausing { HA_PAUSE_NEVER, HA_PAUSE_ALWAYS, HA_PAUSE_ONCE };

/* Names as Kea spells them; "" for HA_ST_UNKNOWN, NULL when out of range.
 * The parsers return 0 or -EINVAL. */
const char *ha_state_name(enum ha_state st);
int ha_state_parse(const char *name, enum ha_state *out);
const char *ha_mode_name(enum ha_mode m);
int ha_mode_parse(const char *name, enum ha_mode *out);
const char *ha_role_name(enum ha_role r);
int ha_role_parse(const char *name, enum ha_role *out);
const char *ha_pausing_name(enum ha_pausing p);
int ha_pausing_parse(const char *name, enum ha_pausing *out);

/* Which scopes a state serves on entry. */
enum ha_serve {
	HA_SERVE_NONE,		/* no scope */
	HA_SERVE_DEFAULT,	/* own scope (primary/secondary); none for standby/backup */
	HA_SERVE_FAILOVER,	/* primary's and secondary's scopes */
	HA_SERVE_PARTNER_DOWN,	/* FAILOVER with auto-failover (or entered by
				 * ha-maintenance-start), else DEFAULT */
};

/* One row of the state table. */
struct ha_state_info {
	const char *name;
	uint8_t serve;		/* enum ha_serve */
	bool service;		/* DHCP service enabled in this state (Kea's
				 * adjustNetworkState) */
	bool heartbeat;		/* heartbeats go to the partner in this state */
	bool own;		/* a state this server can be in */
};

/* The row for a state, NULL when out of range. */
const struct ha_state_info *ha_state_info(enum ha_state st);

/* What the machine needs from the configuration (the HA block parsed
 * elsewhere fills it). */
struct ha_sm_config {
	enum ha_mode mode;
	enum ha_role role;		/* this server's */
	bool auto_failover;		/* this server's peer entry */
	bool sync_leases;
	bool send_lease_updates;
	bool wait_backup_ack;
	bool comm_recovery;		/* delayed-updates-limit > 0 */
	uint8_t pausing[HA_ST_COUNT];	/* enum ha_pausing, per state */
};

/* 0, or -EINVAL when the role does not fit the mode (load-balancing:
 * primary/secondary/backup; hot-standby: primary/standby/backup;
 * passive-backup: primary/backup), a pausing value is out of range, or
 * wait-backup-ack is set in load-balancing (Kea refuses it). */
int ha_sm_config_validate(const struct ha_sm_config *cfg);

/* Scope bit masks: bit HA_SCOPE_PRIMARY (0), HA_SCOPE_SECONDARY (1). */
#define HA_SCOPES_PRIMARY   0x1u
#define HA_SCOPES_SECONDARY 0x2u

/* The scopes `serve` means for this configuration.  FAILOVER is the
 * primary's scope, plus the secondary's in load-balancing; DEFAULT is the
 * own scope of a primary or secondary. */
unsigned ha_scopes_for(const struct ha_sm_config *cfg, enum ha_serve serve);

/* The state "normal operation" means for this configuration:
 * load-balancing, hot-standby, passive-backup, or backup for a backup. */
enum ha_state ha_sm_normal_state(const struct ha_sm_config *cfg);

/* The machine.  A plain value: the HA thread may read every field; it
 * writes `scopes` itself for the ha-scopes command. */
struct ha_sm {
	enum ha_state state;
	enum ha_state prev;		/* state before the last transition
					 * (maintenance cancel returns to it) */
	bool started;
	bool paused;			/* state-machine pausing: no transition
					 * until ha-continue */
	uint32_t paused_once;		/* bit per state: "once" already used */
	bool service;			/* DHCP service as HA wants it */
	unsigned scopes;		/* HA_SCOPES_* served now */
	/* Work handed to the HA thread and not reported back yet. */
	bool sync_running;
	bool backlog_sending, backlog_sent, backlog_failed;
	bool reset_sending, reset_sent;
	bool maint_pending;		/* ha-maintenance-start/cancel in flight */
	bool sync_complete_notified;	/* ha-sync-complete-notify seen in partner-down */
};

/* What the HA thread knows at a step (ha_comm_view fills most of it). */
struct ha_sm_view {
	enum ha_state partner;		/* last heartbeat's answer; UNAVAILABLE
					 * after a failed heartbeat or update */
	bool comm_interrupted;		/* no successful heartbeat for longer
					 * than max-response-delay */
	bool failure_detected;		/* max-unacked-clients exceeded (or 0) */
	bool service_enabled;		/* DHCP service actually enabled now */
	bool clock_skew_fatal;		/* |partner clock - ours| > 60 s */
	bool partner_new_unsent;	/* partner's unsent-update-count moved */
	bool backlog_overflown;		/* delayed-updates-limit was exceeded */
};

/* Events.  Commands first run their check (answer in rc/text); those that
 * need the partner ask for it with an action and finish with the matching
 * *_OK/_FAILED event. */
enum ha_event {
	HA_EV_START,			/* service start: waiting, then run */
	HA_EV_HEARTBEAT,		/* a heartbeat finished (ok or not) */
	HA_EV_UPDATES_DONE,		/* a query's lease updates finished */
	HA_EV_SYNC_DONE,		/* HA_ACT_START_SYNC succeeded */
	HA_EV_SYNC_FAILED,
	HA_EV_BACKLOG_SENT,		/* HA_ACT_SEND_BACKLOG succeeded */
	HA_EV_BACKLOG_FAILED,
	HA_EV_RESET_SENT,		/* HA_ACT_SEND_RESET: partner answered ok */
	HA_EV_RESET_FAILED,
	HA_EV_MAINT_NOTIFY,		/* ha-maintenance-notify, cancel false */
	HA_EV_MAINT_NOTIFY_CANCEL,	/* ha-maintenance-notify, cancel true */
	HA_EV_MAINT_START,		/* ha-maintenance-start (operator) */
	HA_EV_MAINT_START_OK,		/* partner answered 0: it is in-maintenance */
	HA_EV_MAINT_START_FAILED,	/* no answer (mark it unavailable first),
					 * or result 1: it counts as down */
	HA_EV_MAINT_START_REFUSED,	/* any other result (1001: not allowed) */
	HA_EV_MAINT_CANCEL,		/* ha-maintenance-cancel (operator) */
	HA_EV_MAINT_CANCEL_OK,		/* partner answered 0 */
	HA_EV_MAINT_CANCEL_FAILED,	/* no answer or a non-zero result */
	HA_EV_RESET,			/* ha-reset received */
	HA_EV_CONTINUE,			/* ha-continue */
	HA_EV_SYNC_COMPLETE_NOTIFY,	/* ha-sync-complete-notify received */
	HA_EV_COUNT
};

const char *ha_event_name(enum ha_event ev);

/* Actions of a step. */
#define HA_ACT_SERVICE		(1u << 0)  /* set DHCP service to res.service */
#define HA_ACT_SCOPES		(1u << 1)  /* serve res.scopes from now on */
#define HA_ACT_START_SYNC	(1u << 2)  /* dhcp-disable the partner, pull its
					    * leases page by page, then
					    * ha-sync-complete-notify; report
					    * SYNC_DONE / SYNC_FAILED */
#define HA_ACT_ABORT_SYNC	(1u << 3)  /* left syncing with a sync running */
#define HA_ACT_SEND_BACKLOG	(1u << 4)  /* send the queued lease updates */
#define HA_ACT_SEND_RESET	(1u << 5)  /* send ha-reset to the partner */
#define HA_ACT_CLEAR_BACKLOG	(1u << 6)  /* drop the queued updates */
#define HA_ACT_SEND_MAINT_NOTIFY (1u << 7) /* ha-maintenance-notify cancel false */
#define HA_ACT_SEND_MAINT_CANCEL (1u << 8) /* ha-maintenance-notify cancel true */
#define HA_ACT_PAUSED		(1u << 9)  /* paused on entering res.to */

/* Control-channel result codes Kea uses. */
#define HA_RC_SUCCESS		0
#define HA_RC_ERROR		1
#define HA_RC_MAINT_NOT_ALLOWED	1001
#define HA_RC_NONE		(-1)	/* not a command, or answered later */

struct ha_sm_result {
	enum ha_state from, to;
	unsigned transitions;	/* states entered in this step */
	uint32_t actions;	/* HA_ACT_* */
	bool service;		/* with HA_ACT_SERVICE */
	unsigned scopes;	/* with HA_ACT_SCOPES */
	int rc;			/* command answer, HA_RC_NONE otherwise */
	const char *text;	/* Kea's answer text (may point into text_buf);
				 * for MAINT_START_REFUSED and MAINT_CANCEL_FAILED
				 * the partner's message and "." follow it */
	char text_buf[128];
};

/* Initialise a machine (state waiting, not started). */
void ha_sm_init(struct ha_sm *sm);

/* Run one event.  0, or -EINVAL for an unknown event or a config that
 * ha_sm_config_validate refuses.  res is always filled on 0. */
int ha_sm_step(const struct ha_sm_config *cfg, struct ha_sm *sm,
	       const struct ha_sm_view *view, enum ha_event ev,
	       struct ha_sm_result *res);

/* Whether heartbeats go to the partner now (none from a backup or in
 * passive-backup mode, none in terminated, none while a sync runs). */
bool ha_sm_heartbeats(const struct ha_sm_config *cfg, const struct ha_sm *sm);

/* What to do with a lease change for one peer (Kea's
 * shouldSendLeaseUpdates / shouldQueueLeaseUpdates). */
enum ha_update {
	HA_UPD_SEND_WAIT,	/* send; the client's reply waits for the ack */
	HA_UPD_SEND,		/* send; do not wait (backup, no wait-backup-ack) */
	HA_UPD_QUEUE,		/* communication-recovery: into the backlog */
	HA_UPD_SKIP_COUNT,	/* not sent; count it in unsent-update-count */
	HA_UPD_SKIP,		/* not sent, not counted */
};
enum ha_update ha_sm_update_policy(const struct ha_sm_config *cfg,
				   enum ha_state state, enum ha_role peer_role);

/* ---- Communication state and failure detection (CommunicationState4/6) ----
 *
 * While the heartbeat does not succeed for longer than max-response-delay,
 * communication is "interrupted".  Then, before declaring the partner
 * down, the server looks at the clients the partner should answer (queries
 * not in its own scopes): a client whose `secs` (v4, seconds; bytes
 * swapped when the low byte is 0 and the value > 255, as Kea does for some
 * Windows clients) or elapsed-time (v6, 1/100 s) exceeds max-ack-delay is
 * "unacked".  Failure is detected when more than max-unacked-clients
 * distinct clients are unacked, or at once when max-unacked-clients is 0.
 * A successful heartbeat (poke) forgets every client.  v4 clients are told
 * apart by (hardware address, client identifier), v6 clients by DUID.
 *
 * Clients are kept as 64-bit fingerprints in a table of bounded size; once
 * max_clients are tracked, further clients that are not unacked are only
 * counted (overflow), while unacked ones still get in (room is reserved
 * for max-unacked-clients + 1 of them), so detection never stalls. */
struct ha_comm;

struct ha_comm_params {
	uint32_t max_response_delay_ms;
	uint32_t max_ack_delay_ms;
	uint32_t max_unacked_clients;
	uint32_t max_clients;	/* tracked clients; 0 = 4096 */
};

/* NULL + errno (EINVAL: max_clients + max_unacked_clients over 1 << 20;
 * ENOMEM).  now_ms is any monotonic clock in ms: the start counts as the
 * last contact, as in Kea. */
struct ha_comm *ha_comm_create(const struct ha_comm_params *p, uint64_t now_ms);
void ha_comm_destroy(struct ha_comm *c);

/* A heartbeat succeeded: contact now, connecting clients forgotten. */
void ha_comm_poke(struct ha_comm *c, uint64_t now_ms);
bool ha_comm_interrupted(const struct ha_comm *c, uint64_t now_ms);

/* The partner's state, scopes (HA_SCOPES_*) and clock from its heartbeat
 * answer ("state", "scopes", "date-time": seconds since the epoch, and
 * ours when it arrived); set_partner_state(UNAVAILABLE) when it failed. */
void ha_comm_set_partner_state(struct ha_comm *c, enum ha_state st);
enum ha_state ha_comm_partner_state(const struct ha_comm *c);
void ha_comm_set_partner_scopes(struct ha_comm *c, unsigned scopes);
void ha_comm_set_partner_time(struct ha_comm *c, int64_t partner_s, int64_t mine_s);
int64_t ha_comm_clock_skew(const struct ha_comm *c);	/* partner - mine, s */
bool ha_comm_clock_skew_fatal(const struct ha_comm *c);	/* > 60 s either way */
/* > 30 s, and no warning in the last 60 s (then it counts as one). */
bool ha_comm_clock_skew_warn(struct ha_comm *c, uint64_t now_ms);

/* Feed one query the partner should have answered while communication is
 * interrupted (Kea: a query not in our scopes).  v4: secs field (host
 * order), chaddr and hlen (up to 20; past 16 zero-padded, as Kea keys the
 * hardware address), client identifier data (NULL/0 when absent).  v6:
 * elapsed time in 1/100 s (has_elapsed false when the option is absent),
 * DUID (NULL: no client-id option; the query is counted as analyzed but
 * not tracked).  Returns 1 when this made a client unacked for the first
 * time, 0 otherwise, -EINVAL for hlen > 20. */
int ha_comm_analyze4(struct ha_comm *c, uint16_t secs,
		     const uint8_t *chaddr, uint8_t hlen,
		     const uint8_t *client_id, size_t client_id_len);
int ha_comm_analyze6(struct ha_comm *c, bool has_elapsed, uint16_t elapsed,
		     const uint8_t *duid, size_t duid_len);
/* The same in two halves, for a caller that sees the query on another
 * thread (the datapath's workers hand the HA thread 16 bytes a query):
 * the client's fingerprint (0 for v6 without a DUID; hlen > 20 is cut to
 * 20), then the analysis with the raw secs (v4) or elapsed time (v6,
 * has_time false when absent).  Same result as ha_comm_analyze4/6. */
uint64_t ha_comm_fp4(const uint8_t *chaddr, uint8_t hlen, const uint8_t *client_id,
		     size_t client_id_len);
uint64_t ha_comm_fp6(const uint8_t *duid, size_t duid_len);
int ha_comm_analyze_fp(struct ha_comm *c, int fam, uint64_t fp, bool has_time, uint16_t t);
bool ha_comm_failure_detected(const struct ha_comm *c);

/* unsent-update-count: ours (updates not sent to the partner), and the
 * partner's from its heartbeats.  Ours never wraps to 0 (0 means "just
 * started").  The partner has new unsent updates when its count is not 0
 * and differs from the one before. */
void ha_comm_unsent_inc(struct ha_comm *c);
void ha_comm_unsent_add(struct ha_comm *c, uint64_t n);
/* After a successful sync with the partner (Kea clears it then too). */
void ha_comm_unsent_clear(struct ha_comm *c);
uint64_t ha_comm_unsent(const struct ha_comm *c);
void ha_comm_set_partner_unsent(struct ha_comm *c, uint64_t n);
bool ha_comm_partner_new_unsent(const struct ha_comm *c);

/* The remote part of status-get. */
struct ha_comm_report {
	bool in_touch;			/* a heartbeat was tried */
	int64_t age_s;			/* since the last contact, when in touch */
	enum ha_state last_state;
	unsigned last_scopes;
	bool communication_interrupted;
	uint64_t connecting_clients, unacked_clients, unacked_clients_left;
	uint64_t analyzed_packets;
	uint64_t untracked_clients;	/* Peregrine's: clients past max_clients */
};
void ha_comm_report(const struct ha_comm *c, uint64_t now_ms, struct ha_comm_report *r);

/* Fill a view for ha_sm_step.  service_enabled and backlog_overflown come
 * from outside the communication state. */
void ha_comm_view(const struct ha_comm *c, uint64_t now_ms, bool service_enabled,
		  bool backlog_overflown, struct ha_sm_view *v);
