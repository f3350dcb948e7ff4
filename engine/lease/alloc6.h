/* DHCPv6 address and prefix allocator: one per pool (an address range of
 * `pools`, or the delegated prefixes of a `pd-pools` entry), shared by all
 * workers, lock free, the single source of truth for "in use" inside the
 * process, like alloc.h for v4.
 *
 * A pool is a sequence of units: addresses (unit_len 128) or prefixes of
 * length unit_len, numbered 0..size-1 from `first`.  A pool of up to 2^24
 * units is a bitmap (alloc.h's).  A larger one (a /64 of addresses, a /32
 * cut into /64s) cannot be: it keeps the units in use in a lock-free
 * open-addressing set whose capacity bounds how many may be in use at
 * once, and finds a free unit by hashing the client's hint (several
 * probes when a candidate is taken), as Kea's random allocator does.
 * BENCHMARKS.md says how each behaves as the pool fills. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_addr6.h"

struct alloc6_pool;

struct alloc6_params {
	struct lease_addr6 first;      /* first unit (aligned to unit_len) */
	struct lease_addr6 last;       /* last unit (inclusive, aligned) */
	uint8_t unit_len;              /* 128: addresses; 1..127: prefixes of that length */
	/* Large pools: how many units may be in use at once (the set's
	 * capacity); 0 = a default.  Ignored for bitmap pools. */
	uint32_t max_used;
};

/* NULL + errno (EINVAL: first > last, misaligned, unit_len 0 or > 128). */
struct alloc6_pool *alloc6_pool_create(const struct alloc6_params *p);
void alloc6_pool_free(struct alloc6_pool *p);

/* Take a free unit.  hint: a hash of the client (DUID, IAID), so a client
 * tends to get the same unit back; cursor: the worker's own scan position
 * (bitmap pools).  0 and *out, or -ENOSPC. */
int alloc6_take(struct alloc6_pool *p, uint64_t hint, uint64_t *cursor, struct lease_addr6 *out);

/* Take a given unit: 0, -EBUSY if in use, -ERANGE if outside the pool or
 * not aligned, -ENOSPC if a large pool's set is full. */
int alloc6_claim(struct alloc6_pool *p, struct lease_addr6 a);

/* Give a unit back (it must be in use). */
void alloc6_release(struct alloc6_pool *p, struct lease_addr6 a);

bool alloc6_in_use(const struct alloc6_pool *p, struct lease_addr6 a);
bool alloc6_contains(const struct alloc6_pool *p, struct lease_addr6 a);
bool alloc6_is_sparse(const struct alloc6_pool *p);
/* Units in the pool, saturated at UINT64_MAX (a /64 of addresses). */
uint64_t alloc6_size(const struct alloc6_pool *p);
uint64_t alloc6_used(const struct alloc6_pool *p);   /* control thread */

/* Owner references beside each unit in use (see alloc_set_ref). */
void alloc6_set_ref(struct alloc6_pool *p, struct lease_addr6 a, uint32_t ref);
uint32_t alloc6_ref(const struct alloc6_pool *p, struct lease_addr6 a);

/* Every unit in use, in no particular order: cb returns non-zero to stop
 * (and that value is returned).  Control thread. */
int alloc6_foreach_used(const struct alloc6_pool *p,
			int (*cb)(struct lease_addr6 a, uint32_t ref, void *arg), void *arg);

/* Live reconfiguration, as alloc_copy_in_use: mark in dst every unit in
 * use in src that dst contains, except those skip names.  Returns how many
 * were marked. */
uint64_t alloc6_copy_in_use(struct alloc6_pool *dst, const struct alloc6_pool *src,
			    bool (*skip)(struct lease_addr6 a, void *arg), void *arg);
