/* A lease as records carry it between the workers, the lease-change log
 * and the stores: by value, protocol by protocol (struct lease_rec for
 * DHCPv4, struct lease6_rec for DHCPv6).  No DPDK, no store. */
#pragma once
#include <stdint.h>

#include "lease.h"

/* One DHCPv4 lease, exactly what a line of Kea's lease file holds.  A
 * record with valid_lft == 0 deletes the lease at `addr` (Kea's memfile
 * convention).  Addresses host order, times epoch seconds. */
struct lease_rec {
	uint64_t seq;                  /* its change's sequence in the worker's log */
	uint32_t addr;
	uint32_t subnet_id;
	uint32_t expire;
	uint32_t valid_lft;
	uint8_t state;                 /* 0 default, 1 declined, 2 expired-reclaimed */
	uint8_t htype;
	uint8_t hwaddr_len;
	uint8_t cid_len;
	uint8_t hwaddr[16];
	uint8_t cid[255];
	uint8_t hostname_len;
	char hostname[64];             /* hostname_len bytes, NUL-terminated when shorter */
	uint8_t fqdn_fwd, fqdn_rev;    /* 0/1: DNS forward/reverse update done (CSV columns) */
};

#define LEASE6_HWADDR_MAX 20           /* Kea's HWAddr::MAX_HWADDR_LEN */

/* One DHCPv6 lease, exactly what a line of Kea 2.2's lease6 file holds
 * (its header: address,duid,valid_lifetime,expire,subnet_id,
 * pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,
 * hwaddr,state,user_context,hwtype,hwaddr_source; user_context is not
 * kept).  The fields follow the columns.  A record with valid_lft == 0
 * deletes the lease at `addr`, as for v4.  duid_len 0 is Kea's empty
 * DUID "00" of a declined lease.  Address host order, times epoch
 * seconds. */
struct lease6_rec {
	uint64_t seq;                  /* its change's sequence in the worker's log */
	struct lease_addr6 addr;       /* address, or the prefix for IA_PD */
	uint8_t duid_len;
	uint8_t duid[LEASE_DUID_MAX];
	uint32_t valid_lft;
	uint32_t expire;
	uint32_t subnet_id;
	uint32_t pref_lft;
	uint8_t type;                  /* enum lease6_type: 0 NA, 1 TA, 2 PD */
	uint32_t iaid;
	uint8_t prefix_len;            /* 128 for an address */
	uint8_t fqdn_fwd, fqdn_rev;    /* 0/1: DNS forward/reverse update done */
	uint8_t hostname_len;
	char hostname[64];             /* hostname_len bytes, NUL-terminated when shorter */
	uint8_t hwaddr_len;            /* 0: none (Kea writes an empty column) */
	uint8_t hwaddr[LEASE6_HWADDR_MAX];
	uint8_t state;                 /* 0 default, 1 declined, 2 expired-reclaimed */
	uint16_t hwtype;               /* ARP hardware type of hwaddr (Kea: 1 when unknown) */
	uint32_t hwaddr_source;        /* Kea's HWADDR_SOURCE_* bits it came from, 0 unknown */
};
