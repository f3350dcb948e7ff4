/* The DHCPv6 client simulator: the same contract as gen.h (clients as
 * small records named by index, driven by the caller's port and TSC
 * clock, open or closed loop, timeouts and retransmissions, --count and
 * --duration bounds, no allocation after create).  gen6_create returns a
 * struct gen that every gen_* call of gen.h takes.
 *
 * Client i: MAC 02:<tag>:<i, 4 bytes big endian>, DUID-LL
 * 00:03:00:01 + that MAC, link-local fe80:: + its modified EUI-64, IAID 1
 * for its IA_NA and 2 for its IA_PD.
 *
 *   sarr      SOLICIT, ADVERTISE, REQUEST with the advertised address and
 *             prefix, REPLY (with rapid_commit: SOLICIT + Rapid Commit,
 *             REPLY; an ADVERTISE still goes on with a REQUEST)
 *   renew     RENEW of what a bound client holds, REPLY
 *   release   RELEASE of it, REPLY (a transaction, unlike DHCPv4)
 *   mix, churn  as in gen.h
 *
 * Direct clients send from their link-local address and MAC to ff02::1:2
 * (33:33:00:01:00:02); the server answers to the link-local address, and
 * the generator answers neighbour solicitations for every client's
 * link-local address with the client's MAC.  Relayed: each message goes
 * in a RELAY-FORW (hop count 0, link-address, peer-address = the client's
 * link-local, an interface-id) from relay_addr:547 to server_addr:547 and
 * the server's MAC, which gen_probe's neighbour solicitation learns; the
 * generator answers solicitations for relay_addr and link_addr.
 *
 * Every ADVERTISE and REPLY is checked: the client from its DUID, the
 * transaction id, the relay's peer-address, each IA's status code
 * (counted by code; a refusal ends the transaction), its address inside
 * the pool, its prefix inside the pd-pool with the delegated length, and
 * no address or prefix held by two clients at once (owner tables keyed by
 * the unit's offset in its pool). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "gen.h"

enum gen6_ia { GEN6_IA_NA = 1, GEN6_IA_PD = 2, GEN6_IA_BOTH = 3 };

struct gen6_params {
	/* scenario, n_clients, tag, mac, port_id, pool, rate, outstanding,
	 * timeout_s, retries, count, duration_s, warmup, seed; the DHCPv4
	 * fields (client_id, relay_ip, server_ip, pool_first/last) are not read */
	struct gen_params common;
	unsigned ia;                    /* enum gen6_ia */
	bool rapid_commit;
	bool relayed;
	uint8_t link_addr[16];          /* relayed: RELAY-FORW link-address */
	uint8_t relay_addr[16];         /* relayed: our source address */
	uint8_t server_addr[16];        /* relayed: the server's (global) address */
	uint8_t interface_id[64];       /* relayed: INTERFACE_ID option value */
	uint8_t interface_id_len;       /* 0 = no option */
	uint8_t pool_first[16], pool_last[16];   /* IA_NA pool, inclusive; < 2^64 addresses */
	uint8_t pd_prefix[16];          /* IA_PD pool: pd_prefix/pd_len ... */
	uint8_t pd_len, delegated_len;  /* ... in /delegated_len prefixes; at most 2^64 */
};

struct gen *gen6_create(const struct gen6_params *p);   /* NULL + errno */

/* "FIRST-LAST" (spaces allowed around the dash) and "PREFIX/LEN". 0 or -EINVAL. */
int gen6_parse_range(const char *s, uint8_t first[16], uint8_t last[16]);
int gen6_parse_prefix(const char *s, uint8_t prefix[16], uint8_t *len);
