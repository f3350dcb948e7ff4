/* Lease updates (ha_update.c) between services in one process, each
 * behind its own peer listener (ha_test_pair.h): to the partner in bulk
 * and one by one, refusals, failed deliveries; to backups beside the
 * partner (hot-standby) and alone (passive-backup), with and without
 * wait-backup-ack; a backup that is away, and one lapped in the queue.
 * The waits are liveness bounds; "an outcome came while a peer could not
 * have answered" is shown by holding that peer's handler, not by time. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "ha_test_pair.h"

#define OP_U LEASE_OP_ADD
#define OP_D LEASE_OP_RELEASE

static void test_updates(void)
{
	struct ha_update_done out[8];
	struct ha_service_info info;
	uint64_t unsent, reqs;
	int rc[8];
	char txt[256];
	json_t *hb;

	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT(ha_service_updates_wait(A.svc, 4));
	/* Both are Peregrines: each heartbeat answer offers bulk applies. */
	CU_ASSERT_FATAL(bulk_is(&A, true));

	/* Bulk: the order holds across a delete between updates. */
	static const uint8_t ops1[5] = { OP_U, OP_U, OP_D, OP_U, LEASE_OP_RENEW };
	static const unsigned ad1[5] = { 1, 2, 1, 3, 3 };
	log_reset(&B);
	ha_service_info(A.svc, 4, &info);
	reqs = info.update_requests;
	push_all(&A, ops1, ad1, 5, 100, rc);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(rc[i], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 5), 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(out[i].tag, 100 + i);
		CU_ASSERT(out[i].ok);
	}
	CU_ASSERT_EQUAL_FATAL(B.n_log, 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(B.log_addr[i], BASE + ad1[i]);
		CU_ASSERT_EQUAL(B.log_kind[i], ops1[i] == OP_D ? 'D' : 'U');
	}
	CU_ASSERT_FALSE(has_lease(&B, BASE + 1));
	CU_ASSERT(has_lease(&B, BASE + 2) && has_lease(&B, BASE + 3));
	/* three batches of one kind each: [U U] [D] [U U] */
	CU_ASSERT_EQUAL(B.n_bulk, 3);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.update_requests - reqs, 3);
	CU_ASSERT_EQUAL(info.updates_acked, 5);

	/* The standby refuses one lease of a batch: only that one fails. */
	static const unsigned ad2[3] = { 4, 5, 6 };
	static const uint8_t ops2[3] = { OP_U, OP_U, OP_U };
	B.refuse_addr = BASE + 5;
	push_all(&A, ops2, ad2, 3, 200, rc);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 3), 3);
	CU_ASSERT(out[0].ok && out[0].tag == 200);
	CU_ASSERT(!out[1].ok && out[1].tag == 201);
	CU_ASSERT(out[2].ok && out[2].tag == 202);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.updates_refused, 1);
	CU_ASSERT_EQUAL(info.updates_failed, 0);

	/* A partner without the capability (as Kea): one change a request,
	 * lease4-update / lease4-del; a delete it does not have is no failure. */
	B.no_bulk = true;
	CU_ASSERT_FATAL(bulk_is(&A, false));
	log_reset(&B);
	static const uint8_t ops3[5] = { OP_U, OP_D, OP_U, OP_U, LEASE_OP_DELETE };
	static const unsigned ad3[5] = { 7, 7, 8, 5, 40 };
	push_all(&A, ops3, ad3, 5, 300, rc);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 5), 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(out[i].tag, 300 + i);
		CU_ASSERT_EQUAL(out[i].ok, ad3[i] != 5);   /* 5: still refused */
	}
	CU_ASSERT_EQUAL(B.n_bulk, 0);
	CU_ASSERT_EQUAL_FATAL(B.n_log, 5);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(B.log_addr[i], BASE + ad3[i]);
	CU_ASSERT_EQUAL(B.log_kind[1], 'D');
	CU_ASSERT(has_lease(&B, BASE + 8) && !has_lease(&B, BASE + 7));
	/* Expiry is not sent; nothing waits for it. */
	struct lease_change c;
	change4(&c, LEASE_OP_EXPIRE, BASE + 8);
	CU_ASSERT_EQUAL(ha_service_update_push(A.svc, &c, 399), 1);
	c.origin = LEASE_ORIGIN_HA;
	CU_ASSERT_EQUAL(ha_service_update_push(A.svc, &c, 399), -EINVAL);

	/* The standby stalls past max-response-delay: the change in flight
	 * fails and counts as unsent. */
	B.stall_ms = 3 * MRD_MS;
	ha_service_info(A.svc, 4, &info);
	unsent = info.unsent_updates;
	static const uint8_t ops4[1] = { OP_U };
	static const unsigned ad4[1] = { 9 };
	push_all(&A, ops4, ad4, 1, 400, rc);
	CU_ASSERT_EQUAL(rc[0], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 1), 1);
	CU_ASSERT(!out[0].ok);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.updates_failed, 1);
	CU_ASSERT_EQUAL(info.unsent_updates, unsent + 1);
	/* The standby goes: once the primary is in partner-down nothing
	 * waits and each change counts. */
	B.stall_ms = 0;
	server_down(&B);
	B.no_bulk = false;
	B.refuse_addr = 0;
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_PARTNER_DOWN, NULL, 0) >= 0);
	CU_ASSERT_FALSE(ha_service_updates_wait(A.svc, 4));
	ha_service_info(A.svc, 4, &info);
	unsent = info.unsent_updates;
	push_all(&A, ops2, ad2, 3, 500, rc);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rc[i], 1);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.unsent_updates, unsent + 3);
	pthread_mutex_lock(&g_lock);
	CU_ASSERT_EQUAL(ha_service_updates_done(A.svc, out, 8), 0);
	pthread_mutex_unlock(&g_lock);
	/* The heartbeat answer and status-get say it. */
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(A.svc, 4, &hb, txt, sizeof(txt)), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(hb, "unsent-update-count")),
			(json_int_t)unsent + 3);
	CU_ASSERT(json_is_true(json_object_get(hb, HA_MSG_BULK_KEY)));
	json_decref(hb);
	CU_ASSERT(ha_service_status(A.svc, 4, &hb) == 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(json_object_get(
		json_array_get(hb, 0), "ha-servers"), "local"), "unsent-update-count")),
			(json_int_t)unsent + 3);
	json_decref(hb);

	/* The standby returns; the primary, reset, syncs from it: its count
	 * starts again from 0, as Kea's after a sync. */
	inst_reset(&B);
	CU_ASSERT_FATAL(listener_start(&B, B.port) == 0);
	CU_ASSERT_FATAL(service_up(&B, 1, CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT_EQUAL(ha_service_command(A.svc, 4, HA_EV_RESET, txt, sizeof(txt)), 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT(info.syncs_done >= 1);
	CU_ASSERT_EQUAL(info.unsent_updates, 0);
	pair_down();
}

static struct ha_service_peer_info peer_info(struct inst *in, const struct inst *peer)
{
	struct ha_service_peer_info pi = { 0 };
	const struct conf_ha *ha = &in->ha;

	for (unsigned i = 0; i < ha->n_peers; i++)
		if (strcmp(ha->peers[i].name, peer->name) == 0)
			CU_ASSERT_EQUAL(ha_service_peer_info(in->svc, 4, &ha->peers[i], &pi), 0);
	return pi;
}

/* Wait until the field at `off` of peer's info (as in sees it) is at
 * least want (or, with at_most, at most want). */
static bool peer_reaches(struct inst *in, const struct inst *peer, size_t off, uint64_t want,
			 bool at_most)
{
	uint64_t t0 = mono_ms();

	while (mono_ms() - t0 < WAIT_MS) {
		struct ha_service_peer_info pi = peer_info(in, peer);
		uint64_t v;

		memcpy(&v, (const char *)&pi + off, sizeof(v));
		if (at_most ? v <= want : v >= want)
			return true;
		usleep(5000);
	}
	return false;
}

#define unsent_reaches(in, peer, want) \
	peer_reaches(in, peer, offsetof(struct ha_service_peer_info, unsent), want, false)
#define acked_reaches(in, peer, want) \
	peer_reaches(in, peer, offsetof(struct ha_service_peer_info, acked), want, false)
/* nothing queued for peer any more (sent and answered, or given up) */
#define queued_drains(in, peer) \
	peer_reaches(in, peer, offsetof(struct ha_service_peer_info, queued), 0, true)

/* status-get's "peregrine-backups" entry of `in` for peer, as
 * "connection wait-backup-ack sent acknowledged refused failed unsent
 * queued" (0/1 for the boolean); "" when the list has no such entry, "-"
 * when status-get has no list. */
static void backup_status(struct inst *in, const struct inst *peer, char *out, size_t len)
{
	json_t *st = NULL, *list, *e;
	size_t i;

	snprintf(out, len, "-");
	CU_ASSERT_FATAL(ha_service_status(in->svc, 4, &st) == 0);
	list = json_object_get(json_array_get(st, 0), "peregrine-backups");
	if (list)
		snprintf(out, len, "%s", "");
	json_array_foreach(list, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "name")), peer->name) != 0)
			continue;
		snprintf(out, len, "%s %d %lld %lld %lld %lld %lld %lld",
			 json_string_value(json_object_get(e, "connection")),
			 json_is_true(json_object_get(e, "wait-backup-ack")),
			 json_integer_value(json_object_get(e, "updates-sent")),
			 json_integer_value(json_object_get(e, "updates-acknowledged")),
			 json_integer_value(json_object_get(e, "updates-refused")),
			 json_integer_value(json_object_get(e, "updates-failed")),
			 json_integer_value(json_object_get(e, "updates-unsent")),
			 json_integer_value(json_object_get(e, "updates-queued")));
	}
	json_decref(st);
}

static bool log_reaches(struct inst *in, unsigned want)
{
	uint64_t t0 = mono_ms();

	while (mono_ms() - t0 < WAIT_MS) {
		if (log_count(in) >= want)
			return true;
		usleep(5000);
	}
	return false;
}

/* The peers' listeners, then each given service from one block. */
static int group_up(enum conf_ha_mode mode, struct inst *const *ins,
		    const enum conf_ha_role *roles, unsigned n, unsigned n_svc, bool wait_ack)
{
	for (unsigned i = 0; i < n; i++) {
		inst_reset(ins[i]);
		log_reset(ins[i]);
		if (listener_start(ins[i], 0) != 0)
			return -1;
	}
	for (unsigned i = 0; i < n_svc; i++) {
		conf_peers(ins[i], mode, ins, roles, n);
		ins[i]->ha.wait_backup_ack = wait_ack;
		/* passive-backup has no heartbeats: a held backup must not
		 * time out while the test looks */
		if (mode == CONF_HA_PASSIVE_BACKUP)
			ins[i]->ha.max_response_delay = WAIT_MS;
		if (service_start(ins[i]) != 0)
			return -1;
	}
	return 0;
}

static void group_down(struct inst *const *ins, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		atomic_store(&ins[i]->hold, false);
		ins[i]->refuse_addr = 0;
		server_down(ins[i]);
		ins[i]->n_leases = 0;
	}
}

/* Hot-standby primary (A), standby (B), backup (C; its own service runs
 * in state backup): each change reaches the standby and the backup, the
 * outcome waits for the standby only, a backup that is away changes
 * nothing but its own counts. */
static void test_hot_standby_backup(void)
{
	static const enum conf_ha_role roles[3] = { CONF_HA_PRIMARY, CONF_HA_STANDBY,
						    CONF_HA_BACKUP };
	static const uint8_t ops[3] = { OP_U, OP_D, OP_U };
	static const unsigned ad[3] = { 1, 1, 2 };
	struct inst *const ins[3] = { &A, &B, &C };
	struct ha_update_done out[8];
	struct ha_service_peer_info pb, pc;
	struct ha_service_info info;
	char bs[128], conn[16];
	unsigned long long v[6];
	int w;
	uint64_t unsent;
	int rc[8];

	CU_ASSERT_FATAL(group_up(CONF_HA_HOT_STANDBY, ins, roles, 3, 3, false) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT_EQUAL(state_of(&C), HA_ST_BACKUP);
	CU_ASSERT(ha_service_updates_wait(A.svc, 4));
	CU_ASSERT_EQUAL(ha_service_update_policy(A.svc, 4, &A.ha.peers[2]), HA_UPD_SEND);
	pb = peer_info(&A, &B);
	pc = peer_info(&A, &C);
	CU_ASSERT(pb.partner && pb.waits);
	CU_ASSERT(!pc.partner && !pc.waits);

	/* Every change to both, in order; the outcomes ok. */
	push_all(&A, ops, ad, 3, 10, rc);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rc[i], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 3), 3);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(out[i].ok && out[i].tag == 10 + i);
	CU_ASSERT_FATAL(log_reaches(&C, 3));
	CU_ASSERT_EQUAL(log_count(&B), 3);
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(B.log_addr[i], BASE + ad[i]);
		CU_ASSERT_EQUAL(C.log_addr[i], BASE + ad[i]);
		CU_ASSERT_EQUAL(C.log_kind[i], ops[i] == OP_D ? 'D' : 'U');
	}
	CU_ASSERT(has_lease(&C, BASE + 2) && !has_lease(&C, BASE + 1));
	CU_ASSERT_FATAL(acked_reaches(&A, &C, 3));
	/* the backup is sent Kea's form: one change a request */
	CU_ASSERT_EQUAL(peer_info(&A, &C).requests, 3);
	CU_ASSERT_EQUAL(C.n_bulk, 0);
	/* status-get shows the backup's counts (Peregrine's key), the
	 * partner is not among them */
	backup_status(&A, &C, bs, sizeof(bs));
	CU_ASSERT_STRING_EQUAL(bs, "ok 0 3 3 0 0 0 0");
	backup_status(&A, &B, bs, sizeof(bs));
	CU_ASSERT_STRING_EQUAL(bs, "");

	/* The backup's handler is held: the outcome comes all the same (the
	 * backup cannot have answered), then the backup gets the change. */
	static const uint8_t op1[1] = { OP_U };
	static const unsigned ad_held[1] = { 3 };
	atomic_store(&C.hold, true);
	push_all(&A, op1, ad_held, 1, 20, rc);
	CU_ASSERT_EQUAL(rc[0], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 1), 1);
	CU_ASSERT(out[0].ok && out[0].tag == 20);
	CU_ASSERT(has_lease(&B, BASE + 3));
	CU_ASSERT_FALSE(has_lease(&C, BASE + 3));
	atomic_store(&C.hold, false);
	CU_ASSERT(log_reaches(&C, 4));
	CU_ASSERT_FATAL(queued_drains(&A, &C));

	/* The backup goes away: outcomes stay ok, the partner's state and
	 * unsent-update-count stay as they were, the backup's unsent grows
	 * by every change it missed. */
	static const uint8_t ops5[5] = { OP_U, OP_U, OP_U, OP_U, OP_U };
	static const unsigned ad5[5] = { 4, 5, 6, 7, 8 };
	server_down(&C);
	pc = peer_info(&A, &C);
	ha_service_info(A.svc, 4, &info);
	unsent = info.unsent_updates;
	push_all(&A, ops5, ad5, 5, 30, rc);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 5), 5);
	for (unsigned i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(rc[i], 0);
		CU_ASSERT(out[i].ok && out[i].tag == 30 + i);
		CU_ASSERT(has_lease(&B, BASE + ad5[i]));
	}
	CU_ASSERT(unsent_reaches(&A, &C, pc.unsent + 5));
	CU_ASSERT(queued_drains(&A, &C));
	CU_ASSERT_EQUAL(peer_info(&A, &C).unsent, pc.unsent + 5);
	CU_ASSERT(peer_info(&A, &C).failed >= pc.failed + 1);
	/* status-get: the connection failed, the missed changes unsent */
	backup_status(&A, &C, bs, sizeof(bs));
	CU_ASSERT_EQUAL(sscanf(bs, "%15s %d %llu %llu %llu %llu %llu %llu", conn, &w, &v[0],
			       &v[1], &v[2], &v[3], &v[4], &v[5]), 8);
	CU_ASSERT_STRING_EQUAL(conn, "failed");
	CU_ASSERT(w == 0 && v[0] >= 5 && v[1] == 4 && v[2] == 0 && v[3] >= 1);
	CU_ASSERT(v[4] == pc.unsent + 5 && v[5] == 0);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.unsent_updates, unsent);
	CU_ASSERT_EQUAL(info.updates_failed, 0);
	CU_ASSERT_EQUAL(state_of(&A), HA_ST_HOT_STANDBY);
	CU_ASSERT_EQUAL(peer_info(&A, &B).failed, 0);
	group_down(ins, 3);
}

/* A backup server: state backup, nothing to send, status-get without
 * "remote" (Kea). */
static void test_backup_server(void)
{
	static const enum conf_ha_role roles[3] = { CONF_HA_PRIMARY, CONF_HA_STANDBY,
						    CONF_HA_BACKUP };
	struct inst *const ins[3] = { &C, &A, &B };	/* C primary, A standby, B backup */
	struct ha_service_peer_info pi;
	struct lease_change c;
	json_t *st;

	for (unsigned i = 0; i < 3; i++)
		log_reset(ins[i]);
	CU_ASSERT_FATAL(listener_start(&A, 0) == 0 && listener_start(&B, 0) == 0 &&
			listener_start(&C, 0) == 0);
	conf_peers(&B, CONF_HA_HOT_STANDBY, ins, roles, 3);
	CU_ASSERT_FATAL(service_start(&B) == 0);
	CU_ASSERT_FATAL(wait_states(&B, HA_ST_BACKUP, NULL, 0) >= 0);
	CU_ASSERT_FALSE(ha_service_updates_wait(B.svc, 4));
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(ha_service_update_policy(B.svc, 4, &B.ha.peers[i]), HA_UPD_SKIP);
	CU_ASSERT_EQUAL(ha_service_peer_info(B.svc, 4, &B.ha.peers[0], &pi), -ENOENT);
	change4(&c, OP_U, BASE + 1);
	CU_ASSERT_EQUAL(ha_service_update_push(B.svc, &c, 1), 1);
	CU_ASSERT(ha_service_status(B.svc, 4, &st) == 0);
	json_t *servers = json_object_get(json_array_get(st, 0), "ha-servers");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(servers, "local"),
								 "role")), "backup");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(servers, "local"),
								 "state")), "backup");
	CU_ASSERT_PTR_NULL(json_object_get(servers, "remote"));
	CU_ASSERT_PTR_NULL(json_object_get(json_array_get(st, 0), "peregrine-backups"));
	json_decref(st);
	CU_ASSERT_EQUAL(log_count(&A) + log_count(&C), 0);
	group_down(ins, 3);
}

/* Passive-backup primary (A) with two backups (C, D). */
static void test_passive_backup_updates(void)
{
	static const enum conf_ha_role roles[3] = { CONF_HA_PRIMARY, CONF_HA_BACKUP,
						    CONF_HA_BACKUP };
	static const uint8_t ops[3] = { OP_U, OP_U, OP_D };
	static const unsigned ad[3] = { 1, 2, 1 };
	struct inst *const ins[3] = { &A, &C, &D };
	struct ha_update_done out[8];
	struct ha_service_info info;
	uint64_t acked_c;
	int rc[8];

	/* wait-backup-ack: the outcomes wait for both. */
	CU_ASSERT_FATAL(group_up(CONF_HA_PASSIVE_BACKUP, ins, roles, 3, 1, true) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_PASSIVE_BACKUP, NULL, 0) >= 0);
	CU_ASSERT(ha_service_updates_wait(A.svc, 4));
	CU_ASSERT(peer_info(&A, &C).waits && peer_info(&A, &D).waits);
	push_all(&A, ops, ad, 3, 1, rc);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rc[i], 0);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 3), 3);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(out[i].ok && out[i].tag == 1 + i);
	/* both had them by then: the outcome waited for both */
	CU_ASSERT_EQUAL(log_count(&C), 3);
	CU_ASSERT_EQUAL(log_count(&D), 3);
	CU_ASSERT(has_lease(&C, BASE + 2) && !has_lease(&C, BASE + 1));
	CU_ASSERT(has_lease(&D, BASE + 2) && !has_lease(&D, BASE + 1));

	/* D held: C acknowledges, and still no outcome until D answers. */
	static const uint8_t op1[1] = { OP_U };
	static const unsigned ad_held[1] = { 3 };
	acked_c = peer_info(&A, &C).acked;
	atomic_store(&D.hold, true);
	push_all(&A, op1, ad_held, 1, 10, rc);
	CU_ASSERT_EQUAL(rc[0], 0);
	CU_ASSERT_FATAL(acked_reaches(&A, &C, acked_c + 1));
	pthread_mutex_lock(&g_lock);
	CU_ASSERT_EQUAL(ha_service_updates_done(A.svc, out, 8), 0);
	pthread_mutex_unlock(&g_lock);
	atomic_store(&D.hold, false);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 1), 1);
	CU_ASSERT(out[0].ok && out[0].tag == 10);
	CU_ASSERT(has_lease(&D, BASE + 3));

	/* One backup refuses a lease: that change's outcome is not ok. */
	static const uint8_t ops3[3] = { OP_U, OP_U, OP_U };
	static const unsigned ad3[3] = { 4, 5, 6 };
	C.refuse_addr = BASE + 5;
	push_all(&A, ops3, ad3, 3, 20, rc);
	CU_ASSERT_EQUAL_FATAL(collect(&A, out, 3), 3);
	CU_ASSERT(out[0].ok && out[0].tag == 20);
	CU_ASSERT(!out[1].ok && out[1].tag == 21);
	CU_ASSERT(out[2].ok && out[2].tag == 22);
	CU_ASSERT(has_lease(&D, BASE + 5));
	CU_ASSERT_EQUAL(peer_info(&A, &C).refused, 1);
	CU_ASSERT_EQUAL(peer_info(&A, &D).refused, 0);
	ha_service_info(A.svc, 4, &info);
	CU_ASSERT_EQUAL(info.state, HA_ST_PASSIVE_BACKUP);
	CU_ASSERT_EQUAL(info.heartbeats_ok + info.heartbeats_failed, 0);
	group_down(ins, 3);

	/* Without wait-backup-ack: push says nothing waits, both backups
	 * still get every change. */
	CU_ASSERT_FATAL(group_up(CONF_HA_PASSIVE_BACKUP, ins, roles, 3, 1, false) == 0);
	CU_ASSERT_FALSE(ha_service_updates_wait(A.svc, 4));
	push_all(&A, ops, ad, 3, 1, rc);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rc[i], 1);
	CU_ASSERT(log_reaches(&C, 3) && log_reaches(&D, 3));
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(C.log_addr[i] == BASE + ad[i] && D.log_addr[i] == BASE + ad[i]);
	CU_ASSERT(acked_reaches(&A, &C, 3) && acked_reaches(&A, &D, 3));
	pthread_mutex_lock(&g_lock);
	CU_ASSERT_EQUAL(ha_service_updates_done(A.svc, out, 8), 0);
	pthread_mutex_unlock(&g_lock);

	/* More than the queue holds, before any poll: nothing is refused
	 * (-ENOBUFS), the oldest are lapped, counted unsent per backup. */
	struct ha_service_peer_info c0 = peer_info(&A, &C), d0 = peer_info(&A, &D);
	struct lease_change c;
	unsigned n = HA_UPDATE_QUEUE + 50, ones = 0;
	pthread_mutex_lock(&g_lock);
	for (unsigned i = 0; i < n; i++) {
		change4(&c, OP_U, BASE + 100 + i % 100);
		ones += ha_service_update_push(A.svc, &c, 1000 + i) == 1;
	}
	pthread_mutex_unlock(&g_lock);
	CU_ASSERT_EQUAL(ones, n);
	struct ha_service_peer_info c1 = peer_info(&A, &C), d1 = peer_info(&A, &D);
	CU_ASSERT_EQUAL(c1.unsent - c0.unsent, 50);
	CU_ASSERT_EQUAL(d1.unsent - d0.unsent, 50);
	CU_ASSERT(c1.queued <= HA_UPDATE_QUEUE && d1.queued <= HA_UPDATE_QUEUE);
	group_down(ins, 3);
}

#undef OP_U
#undef OP_D

int main(void)
{
	CU_pSuite s;

	harness_init();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_update", NULL, NULL);
	CU_add_test(s, "to the partner: bulk, one by one, refusals, failures", test_updates);
	CU_add_test(s, "hot-standby with a backup", test_hot_standby_backup);
	CU_add_test(s, "a backup server sends nothing", test_backup_server);
	CU_add_test(s, "passive-backup: two backups, with and without wait-backup-ack",
		    test_passive_backup_updates);
	return harness_run() ? 1 : 0;
}
