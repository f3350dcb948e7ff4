/* Owners of the addresses outside every pool: a shared, fixed-size,
 * lock-free table from an address to an owner reference (32 bits, opaque
 * here, 0 = none; see alloc_set_ref for the in-pool addresses).
 *
 * Such an address has no allocator bit, so this is where a by-address
 * question learns which worker to ask.  Each entry has one writer at a
 * time: the worker that holds the address sets it, and clears it when it
 * lets go, only if it is still its own reference (a lease that moved to
 * another worker is not cleared by the one it left).  Readers never lock.
 *
 * One 64-bit word per slot, address above, reference below, so a reader
 * never sees half an update.  A key, once written, stays for the life of
 * the table (linear probing without deletion: readers can always probe),
 * so the table fills only with distinct addresses; when it is 3/4 full it
 * refuses new ones and says so (addr_owner_overflow): then "not found" is
 * no longer proof and the caller asks everybody. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct addr_owner;

/* Room for about cap addresses (rounded up to a power of two, at least
 * 64).  NULL + errno. */
struct addr_owner *addr_owner_create(uint32_t cap);
void addr_owner_free(struct addr_owner *x);

/* The holder of addr records ref (non-zero).  0, or -ENOSPC (counted by
 * addr_owner_overflow) when a new address finds the table full. */
int addr_owner_set(struct addr_owner *x, uint32_t addr, uint32_t ref);
/* Take addr for ref only if nobody holds it (its reference is 0 or ref
 * already): the one way to hold an outside address exclusively (a
 * RADIUS Framed-IP-Address outside the pools).  0, -EBUSY (another
 * reference holds it), or -ENOSPC. */
int addr_owner_claim(struct addr_owner *x, uint32_t addr, uint32_t ref);
/* The holder lets go: addr's reference becomes 0 if it is still ref. */
void addr_owner_clear(struct addr_owner *x, uint32_t addr, uint32_t ref);
/* addr's reference, 0 if none. */
uint32_t addr_owner_get(const struct addr_owner *x, uint32_t addr);
/* Some address could not be recorded since the table was made. */
bool addr_owner_overflow(const struct addr_owner *x);

/* One reader thread at a time (the control thread): up to n addresses
 * above `from` that have a reference, in address order, with their
 * references.  Works on a sorted copy of the keys that is rebuilt only
 * when keys were added since the last call, so a call costs O(log keys +
 * keys stepped over), not a pass over the table. */
unsigned addr_owner_after(struct addr_owner *x, uint32_t from, uint32_t *addrs, uint32_t *refs,
			  unsigned n);
