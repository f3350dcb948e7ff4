/* The leases as a worker holds them (struct lease4 for DHCPv4, struct
 * lease6 for DHCPv6) and the client key that names their owner.
 * Addresses are host byte order; times are Unix epoch seconds.  Both are
 * 80 bytes: memory per lease is a target, and the lease tables keep
 * either kind in the same slab entries (lease_table_core.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_addr6.h"

enum lease_state {
	LEASE_STATE_DEFAULT = 0,           /* Kea's states, as in the CSV file */
	LEASE_STATE_DECLINED = 1,
	LEASE_STATE_EXPIRED_RECLAIMED = 2,
	LEASE_STATE_OFFERED = 0x80,        /* ours: held by an OFFER, never persisted */
};

enum lease_key_kind {
	LEASE_KEY_CLIENT_ID = 1,           /* option 61 value */
	LEASE_KEY_HWADDR = 2,              /* htype byte followed by chaddr[0..hlen) */
	LEASE_KEY_ADDR = 3,                /* 4 bytes, network order: a lease with no client (declined) */
	LEASE_KEY_DUID = 4,                /* v6: the client's DUID (steering; not a lease4 key) */
};

struct lease_key {
	uint8_t kind;
	uint8_t len;
	uint8_t data[255];
};

/* Stable 64-bit hash of a key; steering uses hash % n_workers, so it must be
 * the same in every process and on every run. */
uint64_t lease_key_hash(const struct lease_key *k);
/* lease_key_hash of the key {LEASE_KEY_DUID, len, duid}, without building
 * it: the v6 client's steering hash. */
uint64_t lease_duid_hash(const uint8_t *duid, uint8_t len);
/* The same hash of any n bytes under a kind of the caller's (the access
 * cache's identifiers). */
uint64_t lease_bytes_hash(uint8_t kind, const uint8_t *p, uint8_t n);
/* A v6 address's hash (the v6 lease table's address index). */
uint64_t lease_addr6_hash(struct lease_addr6 a);

#define LEASE_CID_INLINE 20

/* struct lease4.flags: the lease file's fqdn_fwd / fqdn_rev columns (DNS
 * updates a DDNS-enabled server did), kept so a Kea file reads back the
 * same; no DNS update is made here, so a renewal clears them. */
enum { LEASE_F_FQDN_FWD = 1, LEASE_F_FQDN_REV = 2, LEASE_F_FOREIGN = 16 };
/* A refusal whose holder the store could not read (a row or hash another
 * tool wrote in a form this server does not parse): the address is still
 * live for the store, so it is learnt as held, for this long, by a
 * stand-in client unique to the address (LEASE_UNKNOWN_HOLDER: the
 * identifier's first bytes; no real hardware address or DUID is 16 bytes
 * of this).  Without it the same address would be claimed again at once. */
#define LEASE_UNKNOWN_HOLD_S 300
#define LEASE_UNKNOWN_HOLDER "\xffperegrine-unkn"   /* 16 bytes */
/* LEASE_F_FOREIGN: another server's lease in a shared database, learnt
 * when the store refused this server's claim on its address.  It keeps
 * the address taken until it expires; it is never written to the store
 * and ends without a record.  (4 and 8 are DHCPv6's LEASE6_F_*.) */

struct lease4 {
	uint32_t addr;
	uint32_t subnet_id;
	uint32_t expire;                   /* absolute; cltt = expire - valid_lft */
	uint32_t valid_lft;
	uint8_t state;                     /* enum lease_state */
	uint8_t htype;
	uint8_t hwaddr_len;
	uint8_t cid_len;                   /* 0: the client sent no client-id */
	uint8_t hwaddr[16];
	/* The table's stamp when the owner last brought this lease up to date
	 * (lease_table_restamp); sits in what was padding before cid. */
	uint8_t stamp;
	union {
		uint8_t inl[LEASE_CID_INLINE];  /* cid_len <= LEASE_CID_INLINE */
		uint8_t *ext;                   /* longer: owned by the table */
	} cid;
	uint16_t pool;                     /* runtime pool index (dhcp4_server's) */
	uint8_t key_kind;                  /* enum lease_key_kind this lease is filed under */
	uint8_t flags;                     /* LEASE_F_* */
	uint32_t name;                     /* hostname slot + 1 in the table, 0 = none */
	uint64_t seq;                      /* write-behind sequence of its last change */
};

static inline const uint8_t *lease_cid(const struct lease4 *l)
{
	return l->cid_len <= LEASE_CID_INLINE ? l->cid.inl : l->cid.ext;
}

/* Key under which a lease is filed (from its own fields and key_kind). */
void lease_key_of(const struct lease4 *l, struct lease_key *k);

/* ---- DHCPv6 ---- */

/* IA types, numbered as Kea's lease_type column. */
enum lease6_type {
	LEASE6_TYPE_NA = 0,                /* IA_NA: a non-temporary address */
	LEASE6_TYPE_TA = 1,                /* IA_TA: a temporary address */
	LEASE6_TYPE_PD = 2,                /* IA_PD: a delegated prefix */
};

#define LEASE_DUID_MAX 130                 /* RFC 8415 11.1: 2-byte type + up to 128 */
#define LEASE_DUID_INLINE 24               /* DUID-LLT/LL/EN/UUID of usual sizes (10..22) */

/* One v6 lease: an address (IA_NA, IA_TA; prefix_len 128) or a delegated
 * prefix (IA_PD) of the IA (duid, iaid, type).  A client has per IA one
 * or several leases, and may have several IAs.  duid_len 0: the lease
 * has no client (a declined address in probation; Kea writes its DUID as
 * "00"), and is found by address only. */
struct lease6 {
	struct lease_addr6 addr;           /* the address, or the prefix */
	uint32_t iaid;
	uint32_t subnet_id;
	uint32_t expire;                   /* absolute; cltt = expire - valid_lft */
	uint32_t valid_lft;
	uint32_t pref_lft;
	uint32_t name;                     /* hostname slot + 1 in the table, 0 = none */
	uint64_t seq;                      /* lease-change log sequence of its last change */
	uint16_t pool;                     /* runtime pool index (the v6 server's) */
	uint8_t type;                      /* enum lease6_type */
	uint8_t prefix_len;                /* 128 for an address */
	uint8_t state;                     /* enum lease_state */
	uint8_t flags;                     /* LEASE_F_* */
	uint8_t duid_len;
	uint8_t reserved;
	union {
		uint8_t inl[LEASE_DUID_INLINE]; /* duid_len <= LEASE_DUID_INLINE */
		uint8_t *ext;                   /* longer: owned by the table */
	} duid;
};
_Static_assert(sizeof(struct lease6) == 80, "a lease grew: memory per lease is a target");

static inline const uint8_t *lease6_duid(const struct lease6 *l)
{
	return l->duid_len <= LEASE_DUID_INLINE ? l->duid.inl : l->duid.ext;
}
