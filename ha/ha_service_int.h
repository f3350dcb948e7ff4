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
enum sync_step { SY_IDLE, SY_DISABLE, SY_PAGE, SY_NOTIFY, SY_ENABLE };

/* An operator's maintenance request waiting for the partner's answer. */
struct maint_wait {
	bool active, cancel, done;
	enum ha_event outcome;		/* HA_EV_MAINT_*_OK / _FAILED / _REFUSED */
	char partner_text[160];
};

/* One queued lease change (ha_update.c). */
enum upd_st { UPD_QUEUED, UPD_INFLIGHT, UPD_DONE };

struct upd_entry {
	uint64_t tag;
	uint8_t st;			/* enum upd_st */
	bool del;			/* goes as a delete */
	bool wait;			/* its outcome is reported */
	bool backlog;			/* queued in communication-recovery */
	bool ok;			/* with UPD_DONE */
	union {
		struct lease_rec v4;
		struct lease6_rec v6;
	} u;
};

/* One request on the update connection: entries [first, first + n) of
 * the queue that are UPD_INFLIGHT (consecutive: sent in order). */
struct upd_req {
	uint64_t id;			/* ha_http_conn_send's */
	uint64_t first;
	uint32_t n;
	bool bulk;			/* lease4/6-bulk-apply of a batch */
};

/* The update queue of one relationship.  Positions only grow; an entry
 * is ring[pos % HA_UPDATE_QUEUE].  [head, tail) are held: up to `done`
 * they are finished and wait for ha_service_updates_done, from `next`
 * none was sent yet. */
struct upd_queue {
	struct ha_http_conn *conn;
	struct upd_entry *ring;
	uint64_t head, done, next, tail;
	struct upd_req req[HA_UPDATE_PIPELINE];	/* in flight, oldest first */
	unsigned n_req;
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
	bool sync_ok;			/* with SY_ENABLE: the leases came */
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
/* The partner's policy for a change of r now (HA_UPD_SKIP: no partner). */
enum ha_update ha_svc_partner_policy(struct ha_service *s, struct rel *r);
/* A connection to the partner's URL for r's family; pipeline: requests
 * in flight at most. */
struct ha_http_conn *ha_svc_conn(const struct ha_service *s, int fam, unsigned timeout_ms,
				 unsigned pipeline);
/* Queue msg (consumed) on c: true when queued. */
bool ha_svc_send(struct ha_http_conn *c, json_t *msg);

/* ---- ha_update.c (lock held) ---- */

/* The queue and the connection (when there is a partner).  0, or -1. */
int upd_init(struct ha_service *s, struct rel *r);
void upd_free(struct rel *r);
/* Read the answers (revents: what poll saw for upd.conn), finish what
 * they tell, send what may go now. */
void upd_poll(struct ha_service *s, struct rel *r, short revents);
/* Whether upd_poll would send something now (the thread must not sleep). */
bool upd_due(struct ha_service *s, struct rel *r);
/* The machine's HA_ACT_SEND_BACKLOG and HA_ACT_CLEAR_BACKLOG. */
void upd_backlog_send(struct rel *r);
void upd_backlog_clear(struct rel *r);
