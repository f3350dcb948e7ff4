/* A lease as records carry it between the workers, the lease-change log
 * and the stores: by value, protocol by protocol.  No DPDK, no store. */
#pragma once
#include <stdint.h>

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
