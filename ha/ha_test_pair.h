/* Test harness shared by ha_service_test and ha_update_test: HA services
 * in one process, each behind its own peer listener (engine/ctl's ctl on
 * 127.0.0.1, the partner's commands registered as the server will),
 * driven by one thread that polls them all as the HA thread does.
 * Short timers (heartbeat-delay 100 ms, max-response-delay 300 ms); the
 * waits are generous liveness bounds, not speed checks.
 *
 * Instances: A (server1) and B (server2) are the pair; C (server3) and
 * D (server4) serve as backups.  An instance may run only its listener
 * (a peer that takes lease updates) or also a service (polled by the
 * driver while `running`).  Test-only code: not in any library. */
#pragma once
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>      /* before ctl.h, which uses bool without it */
#include <stdint.h>
#include <jansson.h>

#include "ctl.h"
#include "ha_msg.h"
#include "ha_service.h"
#include "lease_log.h"

#define HB_MS      100
#define MRD_MS     300
#define WAIT_MS    15000      /* liveness bound for every wait */
#define MAX_LEASES 64
#define UPD_LOG_MAX 32
#define BASE 0xc6120164u      /* 198.18.1.100 */
#define N_INST     4

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
	atomic_bool hold;		/* update handlers wait while set (at most WAIT_MS) */
};

extern struct inst A, B, C, D;
extern pthread_mutex_t g_lock;       /* the driver vs setup */
extern atomic_bool g_stop;
extern bool g_dhcp6;                 /* services run DHCPv6 relationships too */
extern atomic_uint g_pages6;         /* lease6-get-page requests answered */

uint64_t mono_ms(void);
/* The mutexes; once, before anything else. */
void harness_init(void);

/* The ops every service here gets (ctx: its inst). */
void op_service(void *ctx, int fam, bool on);
void op_scopes(void *ctx, int fam, unsigned scopes);
int op_apply4(void *ctx, const struct lease_rec *recs, size_t n);

/* The peer listener on 127.0.0.1:port (0: any) with the commands a
 * partner sends (heartbeat, sync, maintenance, lease updates). */
int listener_start(struct inst *in, uint16_t port);
void listener_stop(struct inst *in);

/* in's block: ins[i] with roles[i] (in among them), the short timers. */
void conf_peers(struct inst *in, enum conf_ha_mode mode, struct inst *const *ins,
		const enum conf_ha_role *roles, unsigned n);
/* A and B in mode (me: in's index, 0 A, 1 B). */
void conf_pair(struct inst *in, unsigned me, enum conf_ha_mode mode);
void inst_reset(struct inst *in);
/* Create and start a service from in->ha (its listener already runs). */
int service_start(struct inst *in);
int service_up(struct inst *in, unsigned me, enum conf_ha_mode mode);
/* Stop polling in, close its listener, drop its service (a crash). */
void server_down(struct inst *in);
int pair_up(enum conf_ha_mode mode);
void pair_down(void);
/* The HA thread of every running instance (g_stop ends it). */
void *driver(void *arg);
/* Run the registered CUnit tests with the driver running, clean up: the
 * number of failures. */
unsigned harness_run(void);

enum ha_state state_of(struct inst *in);
/* Wait until a is in sa and (b NULL or) b in sb; the time it took, or -1. */
long wait_states(struct inst *a, enum ha_state sa, struct inst *b, enum ha_state sb);
void add_lease(struct inst *in, uint32_t addr, uint32_t expire);
bool has_lease(struct inst *in, uint32_t addr);
void snap(struct inst *in, bool *service, unsigned *scopes);

/* ---- lease updates ---- */
void change4(struct lease_change *c, uint8_t op, uint32_t addr);
/* Push n changes (ops[i] on BASE + addrs[i], tag = tag0 + i) as the HA
 * thread does, all before its next poll; each push's return in rc. */
void push_all(struct inst *in, const uint8_t *ops, const unsigned *addrs, unsigned n,
	      uint64_t tag0, int *rc);
/* Take outcomes until `want` came (or the liveness bound). */
unsigned collect(struct inst *in, struct ha_update_done *out, unsigned want);
/* Wait until in's partner's bulk capability is `want`. */
bool bulk_is(struct inst *in, bool want);
void log_reset(struct inst *in);
/* in's count of received changes, under its lock. */
unsigned log_count(struct inst *in);
