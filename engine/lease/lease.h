/* The DHCPv4 lease as a worker holds it, and the client key that names its
 * owner.  Addresses are host byte order; times are Unix epoch seconds. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
};

struct lease_key {
	uint8_t kind;
	uint8_t len;
	uint8_t data[255];
};

/* Stable 64-bit hash of a key; steering uses hash % n_workers, so it must be
 * the same in every process and on every run. */
uint64_t lease_key_hash(const struct lease_key *k);

#define LEASE_CID_INLINE 20

/* struct lease4.flags: the lease file's fqdn_fwd / fqdn_rev columns (DNS
 * updates a DDNS-enabled server did), kept so a Kea file reads back the
 * same; no DNS update is made here, so a renewal clears them. */
enum { LEASE_F_FQDN_FWD = 1, LEASE_F_FQDN_REV = 2 };

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
