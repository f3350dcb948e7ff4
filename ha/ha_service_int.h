/* The HA service core's insides, shared by its files: ha_service.c (the
 * relationship, heartbeats, sync, the serving side) and ha_update.c (the
 * lease-update queue and its sender).  Not a public header: the server
 * and the tests use ha_service.h. */
#pragma once
#include <pthread.h>

#include "ha_http.h"
#include "ha_service.h"

/* What the command connection has in flight. */
enum req {
	REQ_NONE,
	REQ_SYNC_DISABLE,	/* dhcp-disable origin ha-partner */
	REQ_SYNC_PAGE,		/* lease*-get-page */
	REQ_SYNC_NOTIFY,	/* ha-sync-complete-notify */
	REQ_SYNC_ENABLE,	/* dhcp-enable: notify refused, or sync failed */
	REQ_RESET,		/* ha-reset */
	REQ_MAINT,		/* ha-maintenance-notify */
};

/* Steps of a running sync. */
/* SY_APPLY: a page came and waits to be applied by the HA thread outside
 * the service's lock (ha_service_poll); nothing is sent meanwhile. */
enum sync_step { SY_IDLE, SY_DISABLE, SY_PAGE, SY_APPLY, SY_NOTIFY, SY_ENABLE };

/* An operator's maintenance request waiting for the partner's answer. */
struct maint_wait {
	bool active, cancel, done;
	enum ha_event outcome;		/* HA_EV_MAINT_*_OK / _FAILED / _REFUSED */
	char partner_text[160];
};

/* Lease updates (ha_update.c).  One ring of changes per relationship,
 * shared by every peer they go to (the partner, each backup): each peer
 * has its own sender (connection, read position, requests in flight) and
 * each change a bit per sender that has still to finish it.  A change is
 * stored once however many peers take it. */

/* One change in the ring.  The sender with index i is bit (1 << i). */
struct upd_entry {
	uint64_t tag;
	uint16_t pend;			/* senders that have still to finish it */
	uint16_t wait;			/* senders whose answer its outcome waits for */
	bool del;			/* goes as a delete */
	bool backlog;			/* the partner's, queued in communication-recovery */
	bool ok;			/* no waited-for sender refused or failed it */
	union {
		struct lease_rec v4;
		struct lease6_rec v6;
	} u;
};

/* One request on a sender's connection: the changes of positions
 * [first, first + n), consecutive (sent in order). */
struct upd_req {
	uint64_t id;			/* ha_http_conn_send's */
	uint64_t first;
	uint32_t n;
	bool bulk;			/* lease4/6-bulk-apply of a batch */
	bool del;			/* its changes are deletes */
};

/* The sender to one peer. */
struct upd_peer {
	const struct conf_ha_peer *peer;
	struct ha_http_conn *conn;
	uint16_t bit;
	bool partner;			/* the active partner; else a backup */
	bool lossy;			/* nothing waits for it (a backup without
					 * wait-backup-ack): lapped when behind */
	uint64_t next;			/* the next position it has to look at */
	uint64_t retry_ms;		/* lossy, after a failed delivery: not before */
	struct upd_req req[HA_UPDATE_PIPELINE];	/* in flight, oldest first */
	unsigned n_req;
	struct ha_service_peer_info stats;
};

/* The ring of one relationship.  Positions only grow; an entry is
 * ring[pos % HA_UPDATE_QUEUE] and positions from tail - HA_UPDATE_QUEUE
 * on are held.  Before `done` every change's waited-for senders
 * finished; before `out` the outcomes were taken.  A slot is reused
 * once its outcome was taken and no sender but a lossy one still has it
 * (those are lapped: counted unsent). */
struct upd_queue {
	struct upd_entry *ring;
	uint64_t out, done, tail;
	struct upd_peer peer[CONF_HA_PEERS_MAX - 1];
	unsigned n_peers;
	struct upd_peer *partner;	/* NULL: none (passive-backup, a backup server) */
	uint16_t lossy;			/* bits of the lossy senders */
	uint64_t backlog;		/* entries queued in communication-recovery */
	bool backlog_overflown;		/* more than delayed-updates-limit of them */
	bool backlog_sending;		/* HA_ACT_SEND_BACKLOG: send them now */
};

struct rel {
	int fam;			/* 4 or 6; 0: not run */
	struct ha_sm sm;
	struct ha_comm *comm;
	struct ha_http_conn *hb;	/* heartbeats */
	struct ha_http_conn *cmd;	/* sync and commands */
	bool hb_inflight;
	uint64_t next_hb_ms;
	enum req cmd_req;		/* REQ_NONE: the command connection is idle */
	/* sync */
	enum sync_step sync;
	uint64_t sync_gen;		/* syncs started: a page applied for an older one is dropped */
	void *page;			/* SY_APPLY: the page's records (struct lease_rec or lease6_rec) */
	long page_n;
	bool sync_ok;			/* with SY_ENABLE: the leases came */
	/* ha-sync (an operator's): the machine is not told; the command
	 * waits for manual_done */
	bool manual_sync, manual_done, manual_ok;
	bool have_from;
	uint32_t from4;
	struct lease_addr6 from6;
	/* work asked for by a step, done by the poll */
	bool want_reset;
	struct maint_wait maint;
	/* lease updates */
	struct upd_queue upd;
	/* what the ops were last told */
	bool service;
	unsigned scopes;
	struct ha_service_info stats;
};

struct ha_service {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* maintenance answers */
	const struct conf_ha *ha;
	const struct conf_ha_peer *me, *partner;
	struct ha_sm_config cfg;
	struct ha_service_ops ops;
	int wake_fd;
	bool started;
	uint64_t now_ms;		/* the last poll's (commands step with it) */
	struct rel rel[2];		/* [0] DHCPv4, [1] DHCPv6 */
};

/* ---- ha_service.c, for ha_update.c (lock held) ---- */

/* Run an event through r's machine and carry out its actions. */
void ha_svc_step(struct ha_service *s, struct rel *r, enum ha_event ev);
/* ... and its result (0, or ha_sm_step's error). */
int ha_svc_step_res(struct ha_service *s, struct rel *r, enum ha_event ev,
		    struct ha_sm_result *res);
/* Small helpers of ha_service.c that ha_service_cmd.c shares. */
int64_t ha_svc_wall_now(const struct ha_service *s);
struct rel *ha_svc_rel_of(struct ha_service *s, int fam);    /* NULL: no such relationship */
void ha_svc_put_text(char *text, size_t len, const char *t);
void ha_svc_wake(struct ha_service *s);                      /* the HA thread's eventfd */
enum ha_role ha_svc_role_of(enum conf_ha_role r);
/* The names of the peers whose scopes mask holds (at most 2), and the
 * same as a JSON array. */
unsigned ha_svc_scope_names(const struct conf_ha *ha, unsigned mask, const char *names[2]);
json_t *ha_svc_scopes_json(const struct conf_ha *ha, unsigned mask);
/* peer's policy for a change of r now (HA_UPD_SKIP: peer is this
 * server, or this server is a backup: a backup sends nothing). */
enum ha_update ha_svc_peer_policy(struct ha_service *s, struct rel *r,
				  const struct conf_ha_peer *peer);
/* A connection to peer's URL (url6 for DHCPv6); pipeline: requests in
 * flight at most. */
struct ha_http_conn *ha_svc_conn(const struct conf_ha_peer *peer, int fam, unsigned timeout_ms,
				 unsigned pipeline);
/* What poll saw for c's descriptor in fds[0..n) (0 when not there). */
short ha_svc_revents(const struct pollfd *fds, unsigned n, struct ha_http_conn *c);
/* Queue msg (consumed) on c: true when queued. */
bool ha_svc_send(struct ha_http_conn *c, json_t *msg);

/* ---- ha_update.c (lock held) ---- */

/* The ring and a sender per peer other than this server (none on a
 * backup server).  0, or -1. */
int upd_init(struct ha_service *s, struct rel *r);
void upd_free(struct rel *r);
/* The senders' descriptors into out (at most max): how many. */
unsigned upd_pollfds(struct rel *r, struct pollfd *out, unsigned max);
/* Read the answers (fds: what poll saw), finish what they tell, send
 * what may go now. */
void upd_poll(struct ha_service *s, struct rel *r, const struct pollfd *fds, unsigned n);
/* Milliseconds until upd_poll has something to do (0: now), -1: nothing. */
int upd_timeout_ms(struct ha_service *s, struct rel *r);
/* The machine's HA_ACT_SEND_BACKLOG and HA_ACT_CLEAR_BACKLOG. */
void upd_backlog_send(struct rel *r);
void upd_backlog_clear(struct rel *r);
