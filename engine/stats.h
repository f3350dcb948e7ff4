/* Statistics: per-worker counters, cache aligned and written only by their
 * worker; the control thread sums them when asked.  Names are Kea's where
 * Kea has the statistic; one X-macro list each so names never drift. */
#pragma once
#include <stdint.h>
#include "dhcp4_wire.h"
#include "dhcp6_wire.h"
#include "net.h"

#define STATS4(X)                                                      \
	X(PKT4_RECEIVED,          "pkt4-received")                     \
	X(PKT4_DISCOVER_RECEIVED, "pkt4-discover-received")            \
	X(PKT4_OFFER_RECEIVED,    "pkt4-offer-received")               \
	X(PKT4_REQUEST_RECEIVED,  "pkt4-request-received")             \
	X(PKT4_ACK_RECEIVED,      "pkt4-ack-received")                 \
	X(PKT4_NAK_RECEIVED,      "pkt4-nak-received")                 \
	X(PKT4_RELEASE_RECEIVED,  "pkt4-release-received")             \
	X(PKT4_DECLINE_RECEIVED,  "pkt4-decline-received")             \
	X(PKT4_INFORM_RECEIVED,   "pkt4-inform-received")              \
	X(PKT4_UNKNOWN_RECEIVED,  "pkt4-unknown-received")             \
	X(PKT4_SENT,              "pkt4-sent")                         \
	X(PKT4_OFFER_SENT,        "pkt4-offer-sent")                   \
	X(PKT4_ACK_SENT,          "pkt4-ack-sent")                     \
	X(PKT4_NAK_SENT,          "pkt4-nak-sent")                     \
	X(PKT4_PARSE_FAILED,      "pkt4-parse-failed")                 \
	X(PKT4_RECEIVE_DROP,      "pkt4-receive-drop")                 \
	X(V4_ALLOCATION_FAIL,     "v4-allocation-fail")                \
	X(RECLAIMED_LEASES,       "reclaimed-leases")                  \
	X(RECLAIMED_DECLINED,     "reclaimed-declined-addresses")      \
	X(FLUSH_RING_FULL,        "flush-ring-full")                   \
	X(NO_SUBNET,              "drop-no-subnet")                    \
	X(NOT_FOR_US,             "drop-not-for-us")                   \
	X(RELEASE_QUEUE_FULL,     "release-queue-full")                \
	X(LEASES_FOREIGN,         "leases-learnt-foreign")             \
	X(LEASES_CLAIMS,          "leases-learnt-claims")              \
	X(DROP_CLASS,             "drop-class")                        \
	X(ACCESS_REJECTED,        "drop-access-rejected")              \
	X(ACCESS_CACHE_HITS,      "access-cache-hits")                 \
	X(ACCESS_ASKED,           "access-asked")                      \
	X(ACCESS_UNKNOWN_POOL,    "access-unknown-pool")               \
	X(ACCESS_ADDR_UNUSABLE,   "access-address-unusable")           \
	X(ACCESS_ATTR_FAILED,     "access-attribute-failed")           \
	X(ACCESS_JOINED,          "access-retransmission-dropped")     \
	X(ACCESS_STALE,           "access-served-stale")               \
	X(CLASS_EVAL_FAILED,      "class-eval-failed")                 \
	/* ours: the classification cache (classify/cls.h), in its order */ \
	X(CLASS_CACHE_HITS,       "class-cache-hits")                  \
	X(CLASS_CACHE_MISSES,     "class-cache-misses")                \
	X(CLASS_CACHE_DIRECT,     "class-cache-direct")

/* DHCPv6 counters: Kea's kea-dhcp6 names, then ours. */
#define STATS6(X)                                                      \
	X(PKT6_RECEIVED,          "pkt6-received")                     \
	X(PKT6_SOLICIT_RECEIVED,  "pkt6-solicit-received")             \
	X(PKT6_ADVERTISE_RECEIVED, "pkt6-advertise-received")          \
	X(PKT6_REQUEST_RECEIVED,  "pkt6-request-received")             \
	X(PKT6_REPLY_RECEIVED,    "pkt6-reply-received")               \
	X(PKT6_RENEW_RECEIVED,    "pkt6-renew-received")               \
	X(PKT6_REBIND_RECEIVED,   "pkt6-rebind-received")              \
	X(PKT6_RELEASE_RECEIVED,  "pkt6-release-received")             \
	X(PKT6_DECLINE_RECEIVED,  "pkt6-decline-received")             \
	X(PKT6_CONFIRM_RECEIVED,  "pkt6-confirm-received")             \
	X(PKT6_INFREQUEST_RECEIVED, "pkt6-infrequest-received")        \
	X(PKT6_UNKNOWN_RECEIVED,  "pkt6-unknown-received")             \
	X(PKT6_SENT,              "pkt6-sent")                         \
	X(PKT6_ADVERTISE_SENT,    "pkt6-advertise-sent")               \
	X(PKT6_REPLY_SENT,        "pkt6-reply-sent")                   \
	X(PKT6_PARSE_FAILED,      "pkt6-parse-failed")                 \
	X(PKT6_RECEIVE_DROP,      "pkt6-receive-drop")                 \
	X(V6_ALLOCATION_FAIL,     "v6-allocation-fail")                \
	X(V6_IA_NA_LEASE_REUSES,  "v6-ia-na-lease-reuses")             \
	X(V6_IA_PD_LEASE_REUSES,  "v6-ia-pd-lease-reuses")             \
	X(RECLAIMED_LEASES,       "reclaimed-leases")                  \
	X(RECLAIMED_DECLINED,     "reclaimed-declined-addresses")      \
	/* ours */                                                     \
	X(LOG_FULL,               "v6-log-full")                       \
	X(NO_SUBNET,              "v6-drop-no-subnet")                 \
	X(NOT_FOR_US,             "v6-drop-not-for-us")                \
	X(NO_CLIENT_ID,           "v6-drop-no-client-id")              \
	X(BAD_SERVER_ID,          "v6-drop-server-id")                 \
	X(RELEASE_QUEUE_FULL,     "v6-release-queue-full")             \
	X(LEASES_FOREIGN,         "v6-leases-learnt-foreign")          \
	X(LEASES_CLAIMS,          "v6-leases-learnt-claims")           \
	X(DROP_CLASS,             "v6-drop-class")                     \
	X(CLASS_EVAL_FAILED,      "v6-class-eval-failed")              \
	X(ACCESS_REJECTED,        "v6-drop-access-rejected")           \
	X(ACCESS_CACHE_HITS,      "v6-access-cache-hits")              \
	X(ACCESS_ASKED,           "v6-access-asked")                   \
	X(ACCESS_UNKNOWN_POOL,    "v6-access-unknown-pool")            \
	X(ACCESS_ADDR_UNUSABLE,   "v6-access-address-unusable")        \
	X(ACCESS_PREFIX_UNUSABLE, "v6-access-prefix-unusable")         \
	X(ACCESS_ATTR_FAILED,     "v6-access-attribute-failed")        \
	X(ACCESS_JOINED,          "v6-access-retransmission-dropped")  \
	X(ACCESS_STALE,           "v6-access-served-stale")            \
	X(REPLY_OVERFLOW,         "v6-drop-reply-overflow")

/* Datapath drops and events, ours (no Kea equivalent). */
#define STATS_DP(X)                                                    \
	X(RX_PACKETS,       "dp-rx-packets")                           \
	X(ND_REPLIES,       "dp-nd-replies")                           \
	X(TX_PACKETS,       "dp-tx-packets")                           \
	X(ARP_REPLIES,      "dp-arp-replies")                          \
	X(NOT_DHCP,         "dp-drop-not-dhcp")                        \
	X(STEERED,          "dp-steered")                              \
	X(STEER_RING_FULL,  "dp-drop-steer-ring-full")                 \
	X(TX_FULL,          "dp-drop-tx-full")                         \
	X(PARK_FULL,        "dp-drop-park-full")                       \
	X(PARKED,           "dp-parked")                               \
	X(GATE_TIMEOUTS,    "dp-drop-gate-timeout")                    \
	X(ASKED,            "dp-asked")                                \
	X(ASK_FULL,         "dp-drop-ask-full")                        \
	X(ASK_TIMEOUTS,     "dp-drop-ask-timeout")                     \
	X(ANSWERS_LATE,     "dp-answers-late")                         \
	X(DISABLED_DROP,    "dp-drop-dhcp-disabled")                   \
	X(OVERLOAD,         "dp-drop-overload")                        \
	X(HA_NOT_IN_SCOPE,  "dp-drop-ha-not-in-scope")                 \
	X(REFUSED,          "dp-lease-refused")                        \
	X(REFUSED_DROP,     "dp-drop-lease-refused")                   \
	X(RERUN,            "dp-lease-refused-served-again")           \
	X(HA_UPDATE_DROP,   "dp-drop-ha-update-failed")                \
	X(CTL_MSGS,         "dp-ctl-messages")

enum stat4 {
#define X(e, s) STAT4_##e,
	STATS4(X)
#undef X
	STAT4_MAX
};
enum stat6 {
#define X(e, s) STAT6_##e,
	STATS6(X)
#undef X
	STAT6_MAX
};
enum stat_dp {
#define X(e, s) STAT_DP_##e,
	STATS_DP(X)
#undef X
	STAT_DP_MAX
};

struct stats4_subnet {
	int64_t assigned;           /* gauge delta of this worker: leases in DEFAULT state */
	int64_t declined;           /* gauge delta: addresses held in probation */
	uint64_t reclaimed;
	uint64_t reclaimed_declined;
	uint64_t cumulative;        /* leases newly assigned (Kea's cumulative-assigned-addresses) */
};

/* Per pool (indexed like the runtime's pools; added for Kea's
 * subnet[N].pool[M].* statistics). */
struct stats4_pool {
	int64_t assigned;
	int64_t declined;
	uint64_t cumulative;
};

/* A worker's DHCPv4 counters (its dhcp4 worker owns them). */
struct stats4 {
	uint64_t c[STAT4_MAX];
	uint64_t parse_err[DHCP4_ERR_MAX];
	struct stats4_subnet *subnet;   /* indexed like conf->subnets */
	unsigned n_subnets;
	struct stats4_pool *pool;       /* indexed like the runtime's pools */
	unsigned n_pools;
} __attribute__((aligned(64)));

/* DHCPv6 per subnet (indexed like conf->v6->subnets): Kea's
 * assigned-nas, assigned-pds, declined-addresses, cumulative-assigned-*,
 * reclaimed-*, as this worker's deltas. */
struct stats6_subnet {
	int64_t assigned_nas, assigned_pds, declined;
	uint64_t cumulative_nas, cumulative_pds;
	uint64_t reclaimed, reclaimed_declined;
};

/* Per pool and pd-pool (indexed like the v6 runtime's pools). */
struct stats6_pool {
	int64_t assigned, declined;
	uint64_t cumulative;
};

/* A worker's DHCPv6 counters (its dhcp6 worker owns them). */
struct stats6 {
	uint64_t c[STAT6_MAX];
	uint64_t parse_err[DHCP6_ERR_MAX];
	struct stats6_subnet *subnet;
	unsigned n_subnets;
	struct stats6_pool *pool;
	unsigned n_pools;
} __attribute__((aligned(64)));

/* A worker's datapath counters, whatever the protocol (the datapath
 * worker owns them): frames, steering, parking, drops before any DHCP
 * parser, and why a frame failed the Ethernet/IP/UDP checks. */
struct stats_dp {
	uint64_t c[STAT_DP_MAX];
	uint64_t net_err[NET_ERR_MAX];
} __attribute__((aligned(64)));

extern const char *const stats4_names[STAT4_MAX];
extern const char *const stats_dp_names[STAT_DP_MAX];
extern const char *const stats6_names[STAT6_MAX];
