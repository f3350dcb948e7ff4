/* Address -> lease index: an open-addressing table (linear probing,
 * tombstones) from an address to the lease that holds it.  A worker keeps
 * one only while records are being restored (see dhcp4_restore), and frees
 * it when it starts serving, so it costs nothing afterwards. */
#pragma once
#include <stdint.h>
#include "lease.h"

/* The hash both address tables use (a 32-bit finalizer). */
static inline uint32_t addr_index_hash(uint32_t a)
{
	a ^= a >> 16;
	a *= 0x7feb352du;
	a ^= a >> 15;
	a *= 0x846ca68bu;
	a ^= a >> 16;
	return a;
}

struct addr_index {
	uint32_t *addr;
	struct lease4 **lease;
	uint32_t cap, live, used;
};

/* Free the arrays; the index is empty (and usable) again. */
void addr_index_free(struct addr_index *x);
/* The lease filed under addr, or NULL. */
struct lease4 *addr_index_get(const struct addr_index *x, uint32_t addr);
/* File l under addr (replacing what was there).  0 or -ENOMEM. */
int addr_index_put(struct addr_index *x, uint32_t addr, struct lease4 *l);
/* Forget addr if l is what it names. */
void addr_index_del(struct addr_index *x, uint32_t addr, const struct lease4 *l);
