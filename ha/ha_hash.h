/* Load-balancing hash (RFC 3074) and the query filter's choice of scope,
 * computed exactly as Kea 2.2's HA hook (QueryFilter) does, so a mixed
 * Peregrine + Kea pair splits clients the same way.
 *
 * Kea's facts this follows:
 * - The hash is RFC 3074's Pearson hash: seeded with the key length (mod
 *   256), folded over the key from its LAST byte to its first through the
 *   RFC's 256-byte mixing table.
 * - DHCPv4 key: the data of option 61 (client identifier, type byte
 *   included) when present and not empty; otherwise chaddr's first hlen
 *   bytes (no htype byte).  No key: the query is dropped (not in scope).
 * - DHCPv6 key: the data of option 1 (client DUID); none: dropped.
 * - Scope index = hash % number of active servers (primary + secondary:
 *   2 in load-balancing).  Servers are ordered primary first, then the
 *   secondary (or standby), then backups; so index 0 is the primary's
 *   scope ("HA_<primary name>" class), index 1 the secondary's.
 * - Outside load-balancing (hot-standby, passive-backup) every query
 *   belongs to the primary's scope, key or not.
 * - Message types HA does not balance (v4: OFFER, ACK, NAK, lease query
 *   ...; v6: INFORMATION-REQUEST, RELAY-*, ...) always belong to the
 *   primary's scope and are always served ("in scope"). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scope indices, in Kea's peer order. */
#define HA_SCOPE_PRIMARY   0u	/* primary's scope */
#define HA_SCOPE_SECONDARY 1u	/* secondary's scope (load-balancing only) */
/* Not a type HA balances: it takes the primary's class (HA_<primary>) but
 * every server answers it whatever scopes it serves (Kea's inScope). */
#define HA_SCOPE_UNBALANCED 2u

/* chaddr is 16 bytes on the wire; Kea accepts hlen up to 20 (its largest
 * hardware address) and pads the missing 4 bytes with zeros. */
#define HA_CHADDR_LEN      16u
#define HA_HWADDR_MAX      20u

/* The RFC 3074 hash of a key (any length; 0 gives the seed's image). */
uint8_t ha_lb_hash(const uint8_t *key, size_t len);

/* Index of the server responsible for a hash among n_active servers
 * (n_active >= 1; 0 is treated as 1). */
static inline unsigned ha_lb_scope(uint8_t hash, unsigned n_active)
{
	return n_active > 1 ? hash % n_active : 0;
}

/* The hash of a DHCPv4 client as Kea keys it: client_id (option 61's data,
 * client_id_len bytes, may be NULL/0 when absent or empty), else chaddr
 * with hlen (1..20; beyond 16 zero-padded).  Returns 0..255, or -EINVAL
 * when there is no key (no client-id, hlen 0) or hlen > 20 (Kea refuses
 * such a packet before HA sees it). */
int ha_lb_hash4(const uint8_t *client_id, size_t client_id_len,
		const uint8_t *chaddr, uint8_t hlen);

/* The hash of a DHCPv6 client: its DUID (option 1's data).  -EINVAL when
 * len is 0. */
int ha_lb_hash6(const uint8_t *duid, size_t len);

/* Whether a message type is one HA load-balances (Kea's tables):
 * v4 DISCOVER, REQUEST, DECLINE, RELEASE, INFORM; v6 SOLICIT, REQUEST,
 * CONFIRM, RENEW, REBIND, RELEASE, DECLINE. */
bool ha_msg4_is_ha_type(uint8_t msg_type);
bool ha_msg6_is_ha_type(uint8_t msg_type);

/* The scope a DHCPv4 query belongs to: HA_SCOPE_UNBALANCED for a type HA
 * does not balance, else HA_SCOPE_PRIMARY or HA_SCOPE_SECONDARY, or
 * -EINVAL (load-balancing and no key: Kea drops it).  n_active is 2 in
 * load-balancing, 1 otherwise (every balanced query is the primary's). */
int ha_query_scope4(unsigned n_active, uint8_t msg_type,
		    const uint8_t *client_id, size_t client_id_len,
		    const uint8_t *chaddr, uint8_t hlen);

/* Same for DHCPv6, keyed by the DUID. */
int ha_query_scope6(unsigned n_active, uint8_t msg_type,
		    const uint8_t *duid, size_t duid_len);

/* Whether this server answers a query of `scope` (from the functions
 * above) while serving the scopes in `served` (bit i = scope i).  A query
 * with no scope (< 0) is never answered; an unbalanced one always is. */
static inline bool ha_scope_served(int scope, unsigned served)
{
	if (scope == (int)HA_SCOPE_UNBALANCED)
		return true;
	return scope >= 0 && scope < (int)HA_SCOPE_UNBALANCED &&
	       (served & (1u << scope)) != 0;
}

/* The index of the peer whose "HA_<name>" class a query of `scope` gets
 * (0 primary, 1 secondary/standby), or -1 when it has none. */
static inline int ha_scope_class(int scope)
{
	if (scope < 0)
		return -1;
	return scope == (int)HA_SCOPE_UNBALANCED ? (int)HA_SCOPE_PRIMARY : scope;
}
