/* DHCPv4 server logic: real exchanges through dhcp4_process with the real
 * wire parser, lease table, allocator, config helpers and (for commit mode
 * and restore) the memfile backend behind the write-behind flusher. */
#include "dhcp4_test.h"

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "DORA", test_dora },
		{ "returning client", test_returning_client },
		{ "client-id vs chaddr", test_client_id },
		{ "INIT-REBOOT", test_init_reboot },
		{ "RENEW and REBIND", test_renew_rebind },
		{ "RELEASE", test_release },
		{ "DECLINE and probation", test_decline },
		{ "INFORM", test_inform },
		{ "offer and lease expiry", test_offer_expiry },
		{ "relay, option 82, exhaustion", test_exhaustion_and_relay },
		{ "PRL and always-send", test_prl_and_always_send },
		{ "max message size", test_max_message_size },
		{ "delivery", test_delivery },
		{ "drops and counters", test_drops_and_counters },
		{ "access verdict: suspend and resume", test_access_suspend_resume },
		{ "access answers: Framed-Pool, Framed-IP-Address", test_access_answers },
		{ "access answers: reselect-subnet-address / -pool", test_access_reselect },
		{ "two workers share pools", test_two_workers_share_pools },
		{ "DISCOVER through another subnet keeps the bound lease",
		  test_discover_elsewhere_keeps_lease },
		{ "commit mode and restore", test_commit_and_restore },
		{ "htype survives a restart (key normalised)", test_htype_across_restart },
		{ "release waits for its durable delete (two workers, restart)",
		  test_release_waits_for_durable_delete },
		{ "release queue full refuses the release", test_release_queue_full },
		{ "DISCOVER through another subnet persists nothing (restart)",
		  test_discover_elsewhere_persists_nothing },
		{ "flush ring full keeps leases (RELEASE, DECLINE, expiry)",
		  test_ring_full_keeps_leases },
		{ "flush ring full", test_ring_full },
		{ "restore rules", test_restore_rules },
		{ "lease commands (query/add/update/del/wipe)", test_lease_ops },
		{ "a refusal without a readable holder keeps the address held", test_foreign_unknown_holder },
		{ "another server's claim learnt: held, refreshed, replaced, ended",
		  test_learn_claim },
		{ "a learnt claim against our offers and leases", test_learn_meets_ours },
		{ "leases-reclaim", test_lease_reclaim },
		{ "lease4-add/-update with the log full change nothing", test_lease_add_log_full },
		{ "reload: carry-over, remap, orphans", test_reconfigure },
		{ "reload keeps addresses waiting for their delete", test_reconfigure_pending },
		{ "address owners: claim, release, two workers", test_owner_index },
		{ "lease4-get-page: owner walk = full scan, page by page", test_page_matches_scan },
		{ "lease4-get-page at 1M leases (timing)", test_page_1m },
		{ "lease moves between workers without a gap (memory, restart)",
		  test_move_without_gap },
		{ "reload: new pools built from the in-use bits, frozen pools", test_reload_seed },
		{ "class-restricted pools", test_class_pools },
		{ "HA_<server> classes from the HA filter guard pools", test_ha_class_pools },
		{ "DROP class", test_drop_class },
		{ "KNOWN and UNKNOWN", test_known_unknown },
		{ "reserved addresses in and out of pool", test_reserved_addresses },
		{ "reservation identifiers in order", test_reservation_identifiers },
		{ "reload: reservation whose address is freed before the switch",
		  test_reload_reservation_freed_before_switch },
		{ "option precedence kea / isc-dhcpd", test_option_precedence },
		{ "shared network", test_shared_network },
		{ "required classes", test_required_classes },
		{ "options 43, 121, 125", test_vendor_route_options },
		{ "reload with reservations", test_reload_reservations },
		{ "lease hostname", test_lease_hostname },
	};
	CU_pSuite s;
	unsigned i, failed;
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pg-server-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("dhcp4_server", NULL, NULL);
	for (i = 0; s && i < sizeof(tests) / sizeof(tests[0]); i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return failed ? 1 : 0;
}
