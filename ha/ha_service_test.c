/* The HA service core's relationship: two services in one process, each
 * behind its own peer listener (ha_test_pair.h), reach hot-standby and
 * load-balancing, fail over and come back, terminate on clock skew, obey
 * the maintenance commands; create's refusals; passive-backup alone.  The
 * lease updates are ha_update_test's.
 *
 * ha_service_test --kea-primary|--kea-standby KEA_PORT MY_PORT: against
 * a real Kea 2.2 partner (tests/integration/ha_service_kea.sh). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "ha_test_pair.h"

/* ---- tests ---- */

static void test_hot_standby(void)
{
	uint32_t now = (uint32_t)time(NULL);
	struct ha_service_info info;
	bool svc;
	unsigned sc;
	long t;
	json_t *st;
	char txt[256];

	for (unsigned i = 0; i < 5; i++)
		add_lease(&A, BASE + i, now + 600);
	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	t = wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY);
	CU_ASSERT_FATAL(t >= 0);
	printf("\n  hot-standby on both after %ld ms\n", t);

	/* The standby synced the primary's leases, page by page. */
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT(has_lease(&B, BASE + i));
	CU_ASSERT(ha_service_info(B.svc, 4, &info) == 0);
	CU_ASSERT(info.syncs_done >= 1);
	CU_ASSERT(info.leases_synced >= 5);
	/* It disabled the primary meanwhile and the notify ended that. */
	CU_ASSERT(A.disables >= 1);
	CU_ASSERT(A.sync_done_calls >= 1);
	CU_ASSERT_FALSE(A.partner_off);

	/* Kea's table: both serve in hot-standby; only the primary has a scope. */
	snap(&A, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, 0);

	/* status-get's section as the capture shows it. */
	CU_ASSERT(ha_service_status(B.svc, 4, &st) == 0);
	json_t *rel = json_array_get(st, 0);
	json_t *loc = json_object_get(json_object_get(rel, "ha-servers"), "local");
	json_t *rem = json_object_get(json_object_get(rel, "ha-servers"), "remote");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rel, "ha-mode")), "hot-standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(loc, "role")), "standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(loc, "state")), "hot-standby");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(loc, "scopes")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rem, "role")), "primary");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rem, "last-state")),
			       "hot-standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
				       json_object_get(rem, "last-scopes"), 0)), "server1");
	CU_ASSERT(json_is_true(json_object_get(rem, "in-touch")));
	CU_ASSERT(json_is_false(json_object_get(rem, "communication-interrupted")));
	CU_ASSERT(json_is_integer(json_object_get(rem, "unacked-clients-left")));
	/* no backups: Kea's section, nothing of Peregrine's */
	CU_ASSERT_PTR_NULL(json_object_get(rel, "peregrine-backups"));
	json_decref(st);

	/* The heartbeat answer the partner gets. */
	json_t *hb = NULL;
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(A.svc, 4, &hb, txt, sizeof(txt)), 0);
	CU_ASSERT_STRING_EQUAL(txt, "HA peer status returned.");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hb, "state")), "hot-standby");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(hb, "scopes"), 0)),
			       "server1");
	CU_ASSERT(json_is_string(json_object_get(hb, "date-time")));
	json_decref(hb);
	/* No DHCPv6 relationship was asked for. */
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(A.svc, 6, &hb, txt, sizeof(txt)),
			HA_RESULT_UNSUPPORTED);
	/* The hook for lease updates: the primary waits for the standby. */
	CU_ASSERT_EQUAL(ha_service_update_policy(A.svc, 4, &A.ha.peers[1]), HA_UPD_SEND_WAIT);
	CU_ASSERT_EQUAL(ha_service_update_policy(A.svc, 4, &A.ha.peers[0]), HA_UPD_SKIP);

	/* The primary crashes: the standby takes over the primary's scope,
	 * not before communication has been interrupted max-response-delay
	 * after its last good heartbeat (at most one heartbeat-delay before). */
	uint64_t t_down = mono_ms();
	server_down(&A);
	t = wait_states(&B, HA_ST_PARTNER_DOWN, NULL, 0);
	CU_ASSERT_FATAL(t >= 0);
	printf("  standby in partner-down %lu ms after the primary went\n",
	       (unsigned long)(mono_ms() - t_down));
	CU_ASSERT(mono_ms() - t_down >= MRD_MS - HB_MS);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, HA_SCOPES_PRIMARY);
	CU_ASSERT(ha_service_info(B.svc, 4, &info) == 0);
	CU_ASSERT(info.heartbeats_failed >= 1);
	CU_ASSERT_EQUAL(info.partner, HA_ST_UNAVAILABLE);
	CU_ASSERT_EQUAL(ha_service_update_policy(B.svc, 4, &B.ha.peers[0]), HA_UPD_SKIP_COUNT);

	/* The standby hands out a lease alone; the primary comes back empty
	 * (on the same port), syncs it from the standby, both hot-standby. */
	add_lease(&B, BASE + 50, now + 900);
	A.n_leases = 0;
	inst_reset(&A);
	unsigned b_disables = B.disables;
	CU_ASSERT_FATAL(listener_start(&A, A.port) == 0);
	CU_ASSERT_FATAL(service_up(&A, 0, CONF_HA_HOT_STANDBY) == 0);
	t = wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY);
	CU_ASSERT_FATAL(t >= 0);
	printf("  back to hot-standby %ld ms after the restart\n", t);
	CU_ASSERT(has_lease(&A, BASE + 50));
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT(has_lease(&A, BASE + i));
	CU_ASSERT(B.disables > b_disables);
	CU_ASSERT_FALSE(B.partner_off);
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc && sc == 0);
	pair_down();
}

static void test_load_balancing(void)
{
	uint32_t now = (uint32_t)time(NULL);
	bool svc;
	unsigned sc;
	long t;

	add_lease(&A, BASE + 1, now + 600);
	add_lease(&B, BASE + 2, now + 600);
	CU_ASSERT_FATAL(pair_up(CONF_HA_LOAD_BALANCING) == 0);
	t = wait_states(&A, HA_ST_LOAD_BALANCING, &B, HA_ST_LOAD_BALANCING);
	CU_ASSERT_FATAL(t >= 0);
	/* Each synced the other's lease. */
	CU_ASSERT(has_lease(&A, BASE + 2));
	CU_ASSERT(has_lease(&B, BASE + 1));
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_SECONDARY);
	/* Both wait for the other's acknowledgement. */
	CU_ASSERT(ha_service_updates_wait(A.svc, 4) && ha_service_updates_wait(B.svc, 4));

	/* The secondary goes: the primary serves both scopes. */
	server_down(&B);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_PARTNER_DOWN, NULL, 0) >= 0);
	CU_ASSERT_FALSE(ha_service_updates_wait(A.svc, 4));
	snap(&A, &svc, &sc);
	CU_ASSERT(svc);
	CU_ASSERT_EQUAL(sc, HA_SCOPES_PRIMARY | HA_SCOPES_SECONDARY);

	/* It comes back and both return to load-balancing. */
	add_lease(&A, BASE + 3, now + 600);
	B.n_leases = 0;
	inst_reset(&B);
	CU_ASSERT_FATAL(listener_start(&B, B.port) == 0);
	CU_ASSERT_FATAL(service_up(&B, 1, CONF_HA_LOAD_BALANCING) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_LOAD_BALANCING, &B, HA_ST_LOAD_BALANCING) >= 0);
	CU_ASSERT(has_lease(&B, BASE + 3));
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	snap(&B, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_SECONDARY);
	pair_down();
}

/* The standby's clock is two minutes ahead: both terminate. */
static void test_clock_skew(void)
{
	struct ha_service_info info;

	B.skew_s = 120;
	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_TERMINATED, &B, HA_ST_TERMINATED) >= 0);
	CU_ASSERT(ha_service_info(A.svc, 4, &info) == 0);
	CU_ASSERT(info.clock_skew_s >= 119 && info.clock_skew_s <= 121);
	CU_ASSERT(ha_service_info(B.svc, 4, &info) == 0);
	CU_ASSERT(info.clock_skew_s <= -119 && info.clock_skew_s >= -121);
	pair_down();
}

/* ha-maintenance-start on the primary puts the standby in-maintenance
 * through ha-maintenance-notify; cancel returns both; ha-reset goes back
 * to waiting and the pair recovers. */
static void test_commands(void)
{
	char txt[512];
	int rc;

	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);

	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_START, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(strstr(txt, "partner-in-maintenance") != NULL);
	CU_ASSERT_EQUAL(state_of(&A), HA_ST_PARTNER_IN_MAINTENANCE);
	CU_ASSERT_EQUAL(state_of(&B), HA_ST_IN_MAINTENANCE);
	/* Not twice. */
	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_START, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, HA_RC_ERROR);

	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_CANCEL, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(txt, "Server maintenance successfully canceled.");
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);

	rc = ha_service_command(B.svc, 4, HA_EV_CONTINUE, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(txt, "HA state machine is not paused.");
	rc = ha_service_command(B.svc, 4, HA_EV_RESET, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(txt, "HA state machine reset.");
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	CU_ASSERT_EQUAL(ha_service_command(B.svc, 4, HA_EV_HEARTBEAT, txt, sizeof(txt)), -EINVAL);

	/* A partner that is gone: maintenance-start puts us in partner-down. */
	server_down(&B);
	rc = ha_service_command(A.svc, 4, HA_EV_MAINT_START, txt, sizeof(txt));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(state_of(&A), HA_ST_PARTNER_DOWN);
	pair_down();
}

/* Refusals of create. */
static void test_create_refusals(void)
{
	struct ha_service_params p = { .ha = &A.ha,
		.ops = { .ctx = &A, .set_service = op_service, .set_scopes = op_scopes,
			 .apply_leases4 = op_apply4 } };

	A.port = 9;   /* nothing is sent: any port */
	B.port = 9;
	conf_pair(&A, 0, CONF_HA_HOT_STANDBY);
	p.ops.set_scopes = NULL;
	errno = 0;
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	CU_ASSERT_EQUAL(errno, EINVAL);
	p.ops.set_scopes = op_scopes;
	p.dhcp6 = true;               /* sync-leases without apply_leases6 */
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	p.dhcp6 = false;
	A.ha.peers[1].role = CONF_HA_BACKUP;   /* no partner */
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	A.ha.peers[1].role = CONF_HA_STANDBY;
	A.ha.peers[0].role = CONF_HA_SECONDARY;   /* this server's: not in hot-standby */
	CU_ASSERT_PTR_NULL(ha_service_create(&p, mono_ms()));
	conf_pair(&A, 0, CONF_HA_HOT_STANDBY);
	struct ha_service *s = ha_service_create(&p, mono_ms());
	char txt[64];
	json_t *hb;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* Before the start: an error, no answer. */
	CU_ASSERT_EQUAL(ha_service_heartbeat_answer(s, 4, &hb, txt, sizeof(txt)), HA_RESULT_ERROR);
	CU_ASSERT_PTR_NULL(hb);
	CU_ASSERT_EQUAL(ha_service_start(s, mono_ms()), 0);
	CU_ASSERT_EQUAL(ha_service_start(s, mono_ms()), -EALREADY);
	ha_service_destroy(s);
	A.port = B.port = 0;
}

/* passive-backup: the primary alone with a backup peer serves at once,
 * sends nothing, and would send (without waiting) updates to the backup. */
static void test_passive_backup(void)
{
	struct ha_service_params p = { .ha = &A.ha,
		.ops = { .ctx = &A, .set_service = op_service, .set_scopes = op_scopes,
			 .apply_leases4 = op_apply4 } };
	struct ha_service *s;
	struct ha_service_info info;
	json_t *st;
	char txt[128];
	bool svc;
	unsigned sc;

	A.port = 9;     /* nothing listens, nothing is sent */
	B.port = 9;
	inst_reset(&A);
	conf_pair(&A, 0, CONF_HA_PASSIVE_BACKUP);
	A.ha.peers[1].role = CONF_HA_BACKUP;
	s = ha_service_create(&p, mono_ms());
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(ha_service_start(s, mono_ms()), 0);
	ha_service_poll(s, mono_ms());
	CU_ASSERT(ha_service_info(s, 4, &info) == 0);
	CU_ASSERT_EQUAL(info.state, HA_ST_PASSIVE_BACKUP);
	CU_ASSERT_EQUAL(info.heartbeats_ok + info.heartbeats_failed, 0);
	snap(&A, &svc, &sc);
	CU_ASSERT(svc && sc == HA_SCOPES_PRIMARY);
	CU_ASSERT_EQUAL(ha_service_timeout_ms(s, mono_ms()), -1);
	CU_ASSERT_EQUAL(ha_service_update_policy(s, 4, &A.ha.peers[1]), HA_UPD_SEND);
	CU_ASSERT(ha_service_status(s, 4, &st) == 0);
	json_t *servers = json_object_get(json_array_get(st, 0), "ha-servers");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(st, 0), "ha-mode")),
			       "passive-backup");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(servers, "local"));
	CU_ASSERT_PTR_NULL(json_object_get(servers, "remote"));
	json_decref(st);
	CU_ASSERT_EQUAL(ha_service_command(s, 4, HA_EV_CONTINUE, txt, sizeof(txt)), 0);
	ha_service_destroy(s);
	A.port = B.port = 0;
}

/* DHCPv6 as a second relationship beside DHCPv4, on the same URL (a
 * Peregrine partner): both reach hot-standby, each its own state. */
static void test_two_families(void)
{
	struct ha_service_info i4, i6;
	json_t *st;

	g_dhcp6 = true;
	CU_ASSERT_FATAL(pair_up(CONF_HA_HOT_STANDBY) == 0);
	CU_ASSERT_FATAL(wait_states(&A, HA_ST_HOT_STANDBY, &B, HA_ST_HOT_STANDBY) >= 0);
	uint64_t t0 = mono_ms();
	bool ok = false;
	while (!ok && mono_ms() - t0 < WAIT_MS) {
		ok = ha_service_info(A.svc, 6, &i6) == 0 && i6.state == HA_ST_HOT_STANDBY &&
		     ha_service_info(B.svc, 6, &i4) == 0 && i4.state == HA_ST_HOT_STANDBY;
		usleep(5000);
	}
	CU_ASSERT_FATAL(ok);
	CU_ASSERT(ha_service_info(A.svc, 6, &i6) == 0);
	CU_ASSERT(ha_service_info(A.svc, 4, &i4) == 0);
	CU_ASSERT(i6.heartbeats_ok >= 1 && i6.syncs_done >= 1);
	CU_ASSERT_EQUAL(i6.scopes, HA_SCOPES_PRIMARY);
	CU_ASSERT(g_pages6 >= 1);
	CU_ASSERT(ha_service_status(B.svc, 6, &st) == 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(json_object_get(
		json_array_get(st, 0), "ha-servers"), "local"), "state")), "hot-standby");
	json_decref(st);
	/* ha-reset on DHCPv6 leaves DHCPv4 where it is. */
	char txt[128];
	CU_ASSERT_EQUAL(ha_service_command(B.svc, 6, HA_EV_RESET, txt, sizeof(txt)), 0);
	CU_ASSERT(ha_service_info(B.svc, 4, &i4) == 0);
	CU_ASSERT_EQUAL(i4.state, HA_ST_HOT_STANDBY);
	pair_down();
	g_dhcp6 = false;
}


static void print_status(struct inst *in)
{
	json_t *st;
	char *txt;

	if (ha_service_status(in->svc, 4, &st) != 0)
		return;
	txt = json_dumps(st, JSON_COMPACT);
	printf("status-get high-availability: %s\n", txt ? txt : "?");
	free(txt);
	json_decref(st);
}

/* Against a real Kea 2.2 partner (tests/integration/ha_service_kea.sh),
 * in hot-standby: Kea is the primary (server1) and this process the
 * standby (server2), or the other way round (kea_primary false); our
 * peer listener is on my_port, Kea's on kea_port, Kea holds 198.18.1.150.
 * Both must reach hot-standby with that lease synced from Kea; then the
 * script kills Kea and we must reach partner-down serving the primary's
 * scope.
 * Exit 0 when all of that happened. */
static int kea_partner(bool kea_primary, uint16_t kea_port, uint16_t my_port)
{
	struct ha_service_info info;
	uint32_t now = (uint32_t)time(NULL);
	struct inst *me = kea_primary ? &B : &A, *kea = kea_primary ? &A : &B;
	pthread_t th;
	int rc = 1;

	kea->port = kea_port;
	add_lease(me, BASE + 10, now + 600);
	add_lease(me, BASE + 11, now + 600);
	if (listener_start(me, my_port) || service_up(me, kea_primary ? 1 : 0, CONF_HA_HOT_STANDBY) ||
	    pthread_create(&th, NULL, driver, NULL) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	uint64_t t0 = mono_ms();
	while (mono_ms() - t0 < 30000) {
		ha_service_info(me->svc, 4, &info);
		if (info.state == HA_ST_HOT_STANDBY && info.partner == HA_ST_HOT_STANDBY)
			break;
		usleep(10000);
	}
	ha_service_info(me->svc, 4, &info);
	printf("state %s, partner %s after %lu ms; heartbeats ok %lu failed %lu, syncs %lu, "
	       "leases synced %lu, disabled by the partner %u times, enabled %u\n",
	       ha_state_name(info.state), ha_state_name(info.partner),
	       (unsigned long)(mono_ms() - t0), (unsigned long)info.heartbeats_ok,
	       (unsigned long)info.heartbeats_failed, (unsigned long)info.syncs_done,
	       (unsigned long)info.leases_synced, me->disables, me->sync_done_calls);
	print_status(me);
	fflush(stdout);
	/* The lease the script gave Kea came over in our sync. */
	if (info.state != HA_ST_HOT_STANDBY || info.partner != HA_ST_HOT_STANDBY ||
	    info.syncs_done < 1 || !has_lease(me, BASE + 50))
		goto out;
	/* Lease updates to Kea, one at a time: two updates, a delete of one,
	 * a delete of a lease Kea does not have (3: not a failure). */
	{
		static const uint8_t ops[4] = { LEASE_OP_ADD, LEASE_OP_RENEW, LEASE_OP_RELEASE,
						LEASE_OP_DELETE };
		static const unsigned ad[4] = { 20, 21, 20, 30 };
		struct ha_update_done out[4];
		int prc[4];
		unsigned n, ok = 0;

		push_all(me, ops, ad, 4, 1, prc);
		n = collect(me, out, 4);
		for (unsigned i = 0; i < n; i++)
			ok += out[i].ok && out[i].tag == 1 + i && prc[i] == 0;
		ha_service_info(me->svc, 4, &info);
		printf("lease updates to Kea: %u of 4 ok in order, %lu requests, bulk %d\n", ok,
		       (unsigned long)info.update_requests, info.partner_bulk);
		if (ok != 4 || info.partner_bulk || info.update_requests != 4)
			goto out;
	}
	printf("HOT-STANDBY REACHED\n");
	fflush(stdout);
	t0 = mono_ms();
	while (mono_ms() - t0 < 30000) {
		ha_service_info(me->svc, 4, &info);
		if (info.state == HA_ST_PARTNER_DOWN)
			break;
		usleep(10000);
	}
	printf("state %s, scopes %#x, service %d\n", ha_state_name(info.state), info.scopes,
	       info.service);
	print_status(me);
	if (info.state == HA_ST_PARTNER_DOWN && info.scopes == HA_SCOPES_PRIMARY && info.service)
		rc = 0;
out:
	atomic_store(&g_stop, true);
	pthread_join(th, NULL);
	server_down(me);
	return rc;
}

int main(int argc, char **argv)
{
	CU_pSuite s;

	harness_init();
	if (argc == 4 && (strcmp(argv[1], "--kea-primary") == 0 ||
			  strcmp(argv[1], "--kea-standby") == 0))
		return kea_partner(strcmp(argv[1], "--kea-primary") == 0,
				   (uint16_t)atoi(argv[2]), (uint16_t)atoi(argv[3]));
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_service", NULL, NULL);
	CU_add_test(s, "create refusals", test_create_refusals);
	CU_add_test(s, "hot-standby: start, failover, return", test_hot_standby);
	CU_add_test(s, "load-balancing: start, failover, return", test_load_balancing);
	CU_add_test(s, "clock skew terminates both", test_clock_skew);
	CU_add_test(s, "maintenance, continue, reset", test_commands);
	CU_add_test(s, "DHCPv4 and DHCPv6 relationships", test_two_families);
	CU_add_test(s, "passive-backup: no partner to talk to", test_passive_backup);
	return harness_run() ? 1 : 0;
}
