/* Address allocator: one per pool, shared by all workers, lock free.
 * An atomic bitmap is the single source of truth for "in use"; taking an
 * address is one compare-and-swap, so no address can go to two clients.
 * A summary level (one bit per non-full 64-bit word) keeps a nearly full
 * pool cheap to scan.  Addresses are host byte order. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc_pool;

/* NULL + errno (EINVAL if first > last or the range is over 2^24). */
struct alloc_pool *alloc_pool_create(uint32_t first, uint32_t last);
void alloc_pool_free(struct alloc_pool *p);

/* Take any free address, scanning from *cursor (a per-worker hint that the
 * call advances).  0 and *addr, or -ENOSPC when the pool is full. */
int alloc_take(struct alloc_pool *p, uint32_t *cursor, uint32_t *addr);

/* Take a given address: 0, -EBUSY if in use, -ERANGE if outside the pool. */
int alloc_claim(struct alloc_pool *p, uint32_t addr);

/* Give an address back (it must be in use). */
void alloc_release(struct alloc_pool *p, uint32_t addr);

bool alloc_in_use(const struct alloc_pool *p, uint32_t addr);
bool alloc_contains(const struct alloc_pool *p, uint32_t addr);
uint32_t alloc_size(const struct alloc_pool *p);
uint32_t alloc_used(const struct alloc_pool *p);   /* counts bits: control thread only */

/* Owner references: one 32-bit word per address beside its bit, opaque
 * here (0 = none).  Whoever holds the address (the worker that claimed the
 * bit, or that a lease moved to) stores it with a relaxed atomic store;
 * anyone may load it.  A freed bit leaves the word as it was: readers
 * check alloc_in_use first and the holder checks its own word. */
void alloc_set_ref(struct alloc_pool *p, uint32_t addr, uint32_t ref);
uint32_t alloc_ref(const struct alloc_pool *p, uint32_t addr);

/* The lowest address >= from that is in use, or -1 (for walking a pool in
 * address order: one load per 64 addresses). */
int64_t alloc_next_used(const struct alloc_pool *p, uint32_t from);

/* Live reconfiguration (control thread, on a pool dst that takes no
 * address yet; alloc_claim may run on it meanwhile).
 * alloc_pool_reset: every address free again, as just created.
 * alloc_copy_in_use: mark in dst every address of the overlap of the two
 * ranges that is in use in src, except those skip(addr, arg) names (skip
 * may be NULL); returns how many were free in dst.  Exact only while
 * nobody takes or releases in src. */
void alloc_pool_reset(struct alloc_pool *p);
/* seen (may be NULL): alloc_seen_words(dst) words that get every bit the
 * copy marked, before it is marked (alloc_seen: was addr among them). */
uint32_t alloc_copy_in_use(struct alloc_pool *dst, const struct alloc_pool *src,
			   bool (*skip)(uint32_t addr, void *arg), void *arg, uint64_t *seen);
size_t alloc_seen_words(const struct alloc_pool *p);
bool alloc_seen(const struct alloc_pool *p, const uint64_t *seen, uint32_t addr);
