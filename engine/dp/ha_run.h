/* The HA thread (issue 16, docs/ha-plan.md): the HA service core
 * (ha/ha_service.h) driven by a thread of its own, wired to the server:
 * the state machine's DHCP service to netstate (NETSTATE_HA_LOCAL), its
 * scopes to the workers' query filter (dp->ha_scopes), the partner's
 * disable ending (NETSTATE_HA_PARTNER), sync pages applied through the
 * owner workers (dp_srv_lease4_apply).  DHCPv4 only so far: DHCPv6 keeps
 * serving every client (both scopes) and has no relationship yet.
 * Lease updates to the partner are the next step. */
#pragma once

struct conf;
struct dp;
struct dp_srv;
struct ha_run;

/* The service for conf->ha, its pointer in srv->ha (the control channel's
 * ha-* commands use it), the workers serving nothing until the state
 * machine says otherwise.  NULL with errno set; NULL with errno 0 without
 * a high-availability block.  Before the control channel starts. */
struct ha_run *ha_run_create(struct dp *dp, struct dp_srv *srv, const struct conf *conf);
/* Start the state machine and the thread: 0 or -errno.  After the
 * control channel (the partner's commands) runs. */
int ha_run_start(struct ha_run *r);
/* Stop the thread, free the service, srv->ha NULL.  After the control
 * channel stopped (no handler uses the service any more). */
void ha_run_stop(struct ha_run *r);
