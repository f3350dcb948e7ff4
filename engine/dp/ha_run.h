/* The HA thread (issue 16, docs/ha-plan.md): the HA service core
 * (ha/ha_service.h) driven by a thread of its own, wired to the server:
 * the state machine's DHCP service to netstate (NETSTATE_HA_LOCAL), its
 * scopes to the workers' query filter (dp->ha_scopes), the partner's
 * disable ending (NETSTATE_HA_PARTNER), sync pages applied through the
 * owner workers (dp_srv_lease4_apply / _lease6_apply, origin HA).  One
 * relationship for DHCPv4, one for DHCPv6 when the server serves it.
 *
 * Lease updates.  The thread is a lossy consumer of every worker's
 * lease-change log (the same consumer id in each: dp->ha_bit).  It hands
 * each change a client's packet or the server made (not the partner's,
 * not a control command's, not an expiry) to the service, which sends it
 * to the partner; the outcomes come back in any order and the thread
 * publishes, per worker, the watermark up to which every change has one.
 * A change the partner refused or never got is first pushed onto the
 * worker's refusal ring (dp->ha_refq), so its reply is dropped, never
 * sent on the watermark.  While the service says replies wait
 * (ha_service_updates_wait), the thread sets the consumer's bit in
 * dp->ha_need[family] and the workers park those replies in their gate
 * until the watermark passes their change.  A log that laps the thread
 * (16384 changes unread) is counted in unsent-update-count and its gap
 * refused as a range. */
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
