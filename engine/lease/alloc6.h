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
 * BENCHMARKS.md says how each behaves as the pool fills.
 *
 * Memory: a bitmap pool about 4.1 bytes per unit (a bit, and the 32-bit
 * owner reference, whose pages stay unallocated until used); a sparse
 * pool 16 bytes per slot, two slots per unit that may be in use (max_used
 * rounded up to a power of two: 2 MiB for the default), calloc'd, so a
 * page is untouched until a key lands in it (keys land at random: most
 * pages once about 1% of the slots are written).  alloc6.c explains the
 * set, its safety without locks and how it ages (alloc6_slots_written). */
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

/* Pools of up to this many units are bitmaps. */
#define ALLOC6_BITMAP_MAX (1u << 24)
/* max_used 0: the set is sized for this many units in use (2 MiB). */
#define ALLOC6_DEFAULT_MAX_USED 65536u

/* NULL + errno (EINVAL: first > last, misaligned, unit_len 0 or > 128).
 * Also EINVAL: more than 2^64 units (a pool of addresses wider than a /64,
 * or prefixes more than 64 bits longer than the range), max_used over
 * 2^30; ENOMEM. */
struct alloc6_pool *alloc6_pool_create(const struct alloc6_params *p);
void alloc6_pool_free(struct alloc6_pool *p);

/* Take a free unit.  hint: a hash of the client (DUID, IAID), so a client
 * tends to get the same unit back; cursor: the worker's own scan position
 * (bitmap pools).  0 and *out, or -ENOSPC.
 *
 * Both kinds try the hint's unit first and hand it out when it is free:
 * the same client gets the same unit whatever the pool's size, and two
 * servers sharing a database spread their picks instead of racing down
 * the same range.  Then a bitmap pool scans from *cursor, as in v4 (each
 * worker on its own cache lines, the summary keeps a full pool cheap, and
 * -ENOSPC means full).  A sparse pool tries 15 more hashed candidates,
 * then walks its set from *cursor for a unit that was used and released
 * (so -ENOSPC may come before every unit is in use when what is in use
 * nears the pool's size, as with any random allocator).  Both advance
 * *cursor when they scan; start it anywhere (e.g. worker id * a prime). */
int alloc6_take(struct alloc6_pool *p, uint64_t hint, uint64_t *cursor, struct lease_addr6 *out);

/* Take a given unit: 0, -EBUSY if in use, -ERANGE if outside the pool or
 * not aligned, -ENOSPC if a large pool's set is full (for a unit that was
 * never in use since the pool was made, once alloc6_slots_written reached
 * alloc6_capacity). */
int alloc6_claim(struct alloc6_pool *p, struct lease_addr6 a);

/* Give a unit back (it must be in use). */
void alloc6_release(struct alloc6_pool *p, struct lease_addr6 a);

bool alloc6_in_use(const struct alloc6_pool *p, struct lease_addr6 a);
bool alloc6_contains(const struct alloc6_pool *p, struct lease_addr6 a);
bool alloc6_is_sparse(const struct alloc6_pool *p);
/* Units in the pool, saturated at UINT64_MAX (a /64 of addresses). */
uint64_t alloc6_size(const struct alloc6_pool *p);
uint64_t alloc6_used(const struct alloc6_pool *p);   /* control thread */

/* How many units may be in use at once: the size for a bitmap pool; for
 * a sparse one the keys its set can hold (max_used rounded up to a power
 * of two, at most the size). */
uint64_t alloc6_capacity(const struct alloc6_pool *p);
/* Room used in the set: a sparse pool's keys written (every distinct unit
 * in use since the pool was made: a released unit keeps its key); a
 * bitmap pool's units in use.  When this nears alloc6_capacity while
 * alloc6_used is well below it, the set is full of released keys: new
 * units can no longer be claimed (takes re-use released ones).  Rebuild
 * the pool then (alloc6_copy_in_use into a fresh one), e.g. at reload
 * when slots_written > capacity * 3 / 4 > used * 2. */
uint64_t alloc6_slots_written(const struct alloc6_pool *p);

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
/* More precisely: skip (may be NULL) is asked about each src unit in use;
 * every dst unit that overlaps one it lets through is marked, with that
 * src unit's owner reference (when units differ in length: the dst unit
 * that holds it, or every dst unit it covers).  Marking is claiming, so
 * workers may claim in dst meanwhile; it stops early if dst's set fills.
 * Exact only while nobody takes or releases in src.  Also the way to
 * compact a sparse pool: copy into a fresh pool of the same params. */

#ifdef ALLOC6_STATS
/* Built with -DALLOC6_STATS (bench/alloc6_bench only; not thread safe):
 * what the calls did, summed since the start. */
struct alloc6_stats {
	uint64_t takes;
	uint64_t candidates;     /* sparse: hashed candidates looked up */
	uint64_t probes;         /* sparse: slots read while looking up keys */
	uint64_t scanned;        /* sparse: slots walked for a released key */
	uint64_t hint_hits;      /* bitmap: takes served by the hint's unit */
};
extern struct alloc6_stats alloc6_stats;
#endif
