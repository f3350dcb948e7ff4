/* The client simulator behind peregrine-bench and bench/fastpath: DHCPv4
 * here (gen_create), DHCPv6 in gen6.h (gen6_create); every other call
 * takes either generator.
 *
 * Millions of clients, each one a small state record named by its index
 * (chaddr 02:<tag>:<index, 4 bytes big endian>; optionally a client-id
 * 01 + chaddr).  The generator only turns frames into frames: the caller
 * owns the port and the clock (TSC cycles), so the same code drives a veth
 * through af_packet/af_xdp and rte_ring ports inside one process.
 *
 *   gen_rx(g, replies)    checks every reply, advances its client, and
 *                         queues the follow-up (REQUEST after OFFER, ARP
 *                         replies); the mbufs are reused or freed.
 *   gen_tx(g, out, max)   follow-ups first, then retransmissions of timed
 *                         out requests, then new transactions as the rate
 *                         (open loop) or the outstanding bound (closed loop)
 *                         allows, never more than --count, never after
 *                         --duration.
 *
 * Every ACK is checked: its address must be in the pool, and no address may
 * be held by two clients at once (an owner table over the pool counts
 * duplicates).  No allocation after gen_create.
 *
 * The protocol-independent half (clients, waiting list, timeouts, pacing,
 * scenarios, histogram, owner table, reports) is gen_core.c; gen.c and
 * gen6.c only turn client states into frames and frames into states. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

enum gen_scenario {
	GEN_DORA,       /* DISCOVER/OFFER/REQUEST/ACK, clients in turn */
	GEN_RENEW,      /* REQUEST in RENEWING (ciaddr, unicast) from bound clients */
	GEN_RELEASE,    /* RELEASE from bound clients (no answer expected) */
	GEN_MIX,        /* a third each: DORA, renew, release */
	GEN_CHURN,      /* RELEASE a random bound client + DORA a fresh one:
			 * keeps the pool utilisation where the warm-up left it */
};

enum gen_kind { GEN_K_DORA, GEN_K_RENEW, GEN_K_RELEASE, GEN_K_MAX };

struct gen_params {
	enum gen_scenario scenario;
	uint32_t n_clients;
	bool client_id;                 /* send option 61 */
	uint8_t tag;                    /* second chaddr byte: separates runs */
	uint32_t relay_ip;              /* giaddr; 0 = direct (broadcast) clients */
	uint32_t server_ip;             /* for renewals and relayed requests */
	uint8_t mac[6];                 /* our port's MAC (relay mode source) */
	uint16_t port_id;               /* stamped into mbuf->port (ring ports) */
	struct rte_mempool *pool;
	double rate;                    /* new transactions/s; 0 = closed loop */
	uint32_t outstanding;           /* closed loop: in flight; open loop: cap */
	double timeout_s;               /* per request */
	uint32_t retries;               /* retransmissions before giving up */
	uint64_t count;                 /* transactions to start (after warm-up) */
	double duration_s;              /* measured phase, hard bound */
	uint32_t warmup;                /* DORAs for clients [0, warmup) first, unmeasured */
	uint32_t pool_first, pool_last; /* expected pool (host order) */
	uint64_t seed;
};

struct gen_hist {
	uint64_t n;
	uint64_t b[64 * 16];
};

struct gen_counters {
	uint64_t started[GEN_K_MAX], done[GEN_K_MAX];
	uint64_t pkts_tx, pkts_rx, requests_tx, retransmits;
	uint64_t drops;                 /* requests that timed out (before a retry) */
	uint64_t timeouts;              /* transactions given up after every retry */
	uint64_t naks, duplicates, out_of_pool, late, bad_replies, unknown;
	uint64_t arp_replies, tx_full;  /* ARP or neighbour advertisements sent */
	/* DHCPv6 only */
	uint64_t status[8];             /* status codes seen (7: any code above 6) */
	uint64_t granted_na, granted_pd;   /* addresses / prefixes in REPLYs */
	uint64_t bad_plen;              /* a delegated prefix of another length */
};

struct gen_report {
	double elapsed_s;
	struct gen_counters c;
	double leases_per_s;            /* completed DORA + renew ACKs per second */
	double tx_per_s;                /* transactions completed per second */
	double drop_pct;                /* drops / requests sent * 100 */
	double p50_us, p90_us, p99_us, p999_us, max_us;
	uint32_t bound;
	bool v6, relayed;
	const char *const *kind_text;   /* "DORA" / "SARR", "renew", "release" */
	const char *const *kind_json;   /* the same for JSON keys and the scenario */
};

struct gen;

struct gen *gen_create(const struct gen_params *p);   /* NULL + errno */
void gen_free(struct gen *g);

/* Learn the server's MAC (relay mode and renewals need it). */
void gen_set_server_mac(struct gen *g, const uint8_t mac[6]);
bool gen_server_mac_known(const struct gen *g);
/* Whether to learn it before starting: 0 no use, 1 worth a try (direct
 * DHCPv4: renewals are unicast), 2 required (relayed). */
int gen_server_mac_need(const struct gen *g);
/* An ARP request (DHCPv4) or neighbour solicitation (DHCPv6) for the
 * server's address, or NULL without an mbuf. */
struct rte_mbuf *gen_probe(struct gen *g);

void gen_rx(struct gen *g, struct rte_mbuf **pkts, unsigned n, uint64_t now);
unsigned gen_tx(struct gen *g, struct rte_mbuf **out, unsigned max, uint64_t now);
/* Frames that could not be sent: counted, freed; timeouts retransmit them. */
void gen_tx_failed(struct gen *g, struct rte_mbuf **pkts, unsigned n);

/* true once the warm-up is over and the measured phase has begun */
bool gen_measuring(const struct gen *g);
/* true when nothing more will be sent and nothing is in flight (or the
 * drain deadline after the last start passed). */
bool gen_done(const struct gen *g, uint64_t now);
uint32_t gen_outstanding(const struct gen *g);

/* Live line for the last interval, then a new interval begins. */
void gen_progress(struct gen *g, uint64_t now, FILE *f);
void gen_report(const struct gen *g, uint64_t now, struct gen_report *r);
void gen_report_text(const struct gen_report *r, const struct gen_params *p, FILE *f);
void gen_report_json(const struct gen_report *r, const struct gen_params *p, FILE *f);

const char *gen_scenario_name(enum gen_scenario s);
int gen_scenario_parse(const char *s);   /* enum value or -EINVAL; "sarr" is "dora" */
double gen_hist_pct(const struct gen_hist *h, double pct, uint64_t hz);   /* us */
