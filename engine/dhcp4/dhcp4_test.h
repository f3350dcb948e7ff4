/* What the dhcp4 server test files share: the hand-built configuration
 * (fixture F), building requests and running them through dhcp4_process,
 * reading the reply, and the memfile backend behind the write-behind
 * flusher (all in dhcp4_test_util.c).  The test table is in
 * dhcp4_server_test.c. */
#pragma once
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access_cache.h"
#include "alloc.h"
#include "conf.h"
#include "dhcp4_server.h"
#include "dhcp4_wire.h"
#include "lease_backend.h"
#include "lease_table.h"
#include "stats.h"
#include "wb.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define T0 1700000000u
#define VALID 4000u
#define OFFER_LFT 30u
#define PROBATION 600u

/* iface 0 "lan" 198.18.0.1/24 serves subnet 1 (198.18.0.0/24, pool .10-.19);
 * subnet 2 198.18.2.0/24 is reached through relay 198.18.2.1 (pool .10-.12);
 * subnet 3 198.18.3.0/24 is reached through any relay inside it (pool .10-.20);
 * iface 1 "empty" 198.18.9.1 serves nothing. */
struct fixture {
	struct conf c;
	struct conf_iface ifaces[2];
	struct conf_subnet subnets[3];
	struct conf_pool pools[3];
	uint32_t relays[1];
	struct conf_option gopts[3];
	struct conf_option s1opts[2];
	struct dhcp4_runtime *rt;
	struct dhcp4_worker *w;
	struct lease_log *logs[2];      /* the workers' lease-change logs */
};
extern struct fixture F;

struct msg {
	uint8_t b[1200];
	size_t n;
	unsigned iface;
	uint32_t src_ip;
	uint16_t ha_class;             /* the HA filter's class (rx.ha_class), 0 none */
};

extern const uint8_t MAC_A[6], MAC_B[6], MAC_C[6], MAC_RELAY[6];
extern uint8_t out[1500];             /* the last reply */
extern struct dhcp4_pkt pkt;
extern char tmpdir[64];               /* made and removed by main */

struct conf_option mkopt(uint8_t code, bool always, const void *data, uint8_t len);
void subnet(struct conf_subnet *s, uint32_t id, uint32_t prefix, struct conf_pool *pool,
		   uint32_t first, uint32_t last, int iface);
void conf_build(bool match_cid, bool authoritative, enum conf_durability dur);
/* Worker id's log: made on first use (`size` entries, 0: 1024), freed by
 * teardown() or logs_free(). */
struct lease_log *test_log(unsigned id, unsigned size);
struct lease_log *const *test_logs(unsigned n, unsigned size);   /* fresh ones */
void logs_free(void);
/* A worker on log `id`; with a flusher, its changes are durable once the
 * flusher's watermark passes them. */
struct dhcp4_worker *mkworker_q(unsigned id, unsigned n, struct wb *wb, uint32_t queue);
struct dhcp4_worker *mkworker(unsigned id, unsigned n, struct wb *wb);
void setup(bool match_cid, bool authoritative);
int reload_to(const struct conf *nc, struct dhcp4_runtime *nrt, struct dhcp4_reconf *out);
void teardown(void);
struct dhcp4_hdr *mh(struct msg *m);
void m_opt(struct msg *m, uint8_t code, const void *d, uint8_t len);
void m_addr(struct msg *m, uint8_t code, uint32_t a);
void m_init(struct msg *m, uint8_t type, const uint8_t mac[6]);
void m_ciaddr(struct msg *m, uint32_t a);
void m_relay(struct msg *m, uint32_t giaddr);
void m_bcast(struct msg *m);
int run_w(struct dhcp4_worker *w, struct msg *m, struct dhcp4_tx *tx);
/* The same request, resumed after its question with this verdict. */
int resume_w(struct dhcp4_worker *w, struct msg *m, uint8_t ask, const struct access_answer *a,
	     struct dhcp4_tx *tx);
int run(struct msg *m, struct dhcp4_tx *tx);
const struct dhcp4_hdr *rh(void);
const uint8_t *r_opt(int len, uint8_t code, uint8_t *olen);
uint32_t r_u32(int len, uint8_t code);
int r_type(int len);
uint32_t r_yiaddr(void);
uint64_t ST(enum stat4 s);
struct lease4 *lease_of_mac(struct dhcp4_worker *w, const uint8_t mac[6]);
bool is_bcast_mac(const uint8_t m[6]);
uint32_t dora_w(struct dhcp4_worker *w, const uint8_t mac[6], uint32_t giaddr,
		       struct dhcp4_tx *tx);
uint32_t dora(const uint8_t mac[6], uint32_t giaddr);
uint32_t offer_w(struct dhcp4_worker *w, const uint8_t mac[6], uint32_t want);
bool in_pool0(uint32_t a);
struct lease_backend *be_open(const struct lease_backend_ops *ops);
struct wb *wb_open(const struct lease_backend_ops *ops, struct lease_backend *be,
			  enum conf_durability mode, unsigned ring, bool start);
/* Commit mode on an empty memfile, F.rt built, and a flusher for two
 * workers' logs, not started. */
struct wb *wb_two_workers(const struct lease_backend_ops *ops, struct lease_backend **be);
bool wait_durable(struct wb *wb, uint64_t seq);
bool wait_durable_of(struct wb *wb, unsigned worker, uint64_t seq);   /* worker's log */
void lease_file_reset(void);

/* dhcp4_exchange_test.c */
void test_access_suspend_resume(void);
void test_dora(void);
void test_returning_client(void);
void test_client_id(void);
void test_init_reboot(void);
void test_renew_rebind(void);
void test_release(void);
void test_decline(void);
void test_inform(void);
void test_offer_expiry(void);
void test_exhaustion_and_relay(void);
void test_prl_and_always_send(void);
void test_max_message_size(void);
void test_delivery(void);
void test_drops_and_counters(void);
void test_two_workers_share_pools(void);
void test_discover_elsewhere_keeps_lease(void);
/* dhcp4_persist_test.c */
void test_commit_and_restore(void);
void test_htype_across_restart(void);
void test_release_waits_for_durable_delete(void);
void test_discover_elsewhere_persists_nothing(void);
void test_release_queue_full(void);
void test_ring_full_keeps_leases(void);
void test_ring_full(void);
void test_restore_rules(void);
/* dhcp4_ctl_test.c */
void test_lease_ops(void);
void test_foreign_unknown_holder(void);
void test_learn_claim(void);
void test_learn_meets_ours(void);
void test_lease_reclaim(void);
void test_reconfigure_pending(void);
void test_lease_add_log_full(void);
void test_reconfigure(void);
/* dhcp4_owner_test.c */
void test_owner_index(void);
void test_page_matches_scan(void);
void test_page_1m(void);
void test_move_without_gap(void);
void test_reload_seed(void);
/* dhcp4_policy_test.c */
void test_class_pools(void);
void test_access_answers(void);
void test_access_reselect(void);
void test_ha_class_pools(void);
void test_drop_class(void);
void test_known_unknown(void);
void test_lease_hostname(void);
void test_reserved_addresses(void);
void test_reservation_identifiers(void);
void test_option_precedence(void);
void test_shared_network(void);
void test_required_classes(void);
void test_vendor_route_options(void);
void test_reload_reservations(void);
void test_reload_reservation_freed_before_switch(void);
