/* 128-bit addresses: DHCPv6 addresses and delegated prefixes as the lease
 * code holds them.  Two 64-bit halves in host order (hi = the first 8
 * bytes on the wire), so comparing, masking and counting through a pool
 * are a few integer operations, the way a v4 address is one uint32_t.
 * The wire's 16 network-order bytes go in and out with load/store.
 * Protocol neutral, no DPDK. */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

struct lease_addr6 {
	uint64_t hi, lo;
};

static inline struct lease_addr6 lease_addr6_load(const uint8_t b[16])
{
	struct lease_addr6 a = { 0, 0 };

	for (unsigned i = 0; i < 8; i++) {
		a.hi = a.hi << 8 | b[i];
		a.lo = a.lo << 8 | b[8 + i];
	}
	return a;
}

static inline void lease_addr6_store(struct lease_addr6 a, uint8_t b[16])
{
	for (unsigned i = 0; i < 8; i++) {
		b[7 - i] = (uint8_t)(a.hi >> (8 * i));
		b[15 - i] = (uint8_t)(a.lo >> (8 * i));
	}
}

static inline bool lease_addr6_eq(struct lease_addr6 a, struct lease_addr6 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

/* -1, 0, 1 as a is below, equal to, above b (numeric order, which is
 * also the order of the wire bytes). */
static inline int lease_addr6_cmp(struct lease_addr6 a, struct lease_addr6 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* The first `plen` bits of a (0..128; more counts as 128), the rest zero. */
static inline struct lease_addr6 lease_addr6_mask(struct lease_addr6 a, unsigned plen)
{
	if (plen >= 128)
		return a;
	if (plen > 64) {
		a.lo &= ~0ULL << (128 - plen);
	} else {
		a.lo = 0;
		a.hi = plen == 0 ? 0 : a.hi & ~0ULL << (64 - plen);
	}
	return a;
}

/* Whether a lies in prefix/plen. */
static inline bool lease_addr6_in_prefix(struct lease_addr6 a, struct lease_addr6 prefix, unsigned plen)
{
	return lease_addr6_eq(lease_addr6_mask(a, plen), lease_addr6_mask(prefix, plen));
}

/* *a += n * 2^(128 - plen): n prefixes of length plen (1..128) further on;
 * plen 128 steps by addresses.  0, or -ERANGE (a unchanged) when the sum
 * passes ffff:...:ffff or plen is out of range. */
static inline int lease_addr6_add_prefixes(struct lease_addr6 *a, uint64_t n, unsigned plen)
{
	unsigned s = 128 - plen;        /* shift of the step */
	uint64_t hi, lo;

	if (plen == 0 || plen > 128)
		return -ERANGE;
	if (s >= 64) {
		if (s > 64 && n >> (128 - s) != 0)
			return -ERANGE;
		hi = n << (s - 64);
		lo = 0;
	} else {
		hi = s == 0 ? 0 : n >> (64 - s);
		lo = n << s;
	}
	lo += a->lo;
	hi += (lo < a->lo);             /* carry: only when s < 64, so hi < 2^63 */
	if (hi + a->hi < hi)
		return -ERANGE;
	a->hi += hi;
	a->lo = lo;
	return 0;
}

/* *a += n (addresses). */
static inline int lease_addr6_add(struct lease_addr6 *a, uint64_t n)
{
	return lease_addr6_add_prefixes(a, n, 128);
}

/* *off = b - a, the offset of b from a in addresses: 0, or -ERANGE when
 * b is below a or more than 2^64 - 1 above it. */
static inline int lease_addr6_offset(struct lease_addr6 a, struct lease_addr6 b, uint64_t *off)
{
	if (lease_addr6_cmp(b, a) < 0)
		return -ERANGE;
	if (b.hi - a.hi - (b.lo < a.lo) != 0)
		return -ERANGE;
	*off = b.lo - a.lo;
	return 0;
}

/* *n = (b - a) / 2^(128 - plen): how many prefixes of length plen (1..128)
 * fit from a up to b (rounded down; plen 128 counts addresses).  0, or
 * -ERANGE when b is below a, the count does not fit in 64 bits, or plen
 * is out of range. */
static inline int lease_addr6_offset_prefixes(struct lease_addr6 a, struct lease_addr6 b,
					      unsigned plen, uint64_t *n)
{
	unsigned s = 128 - plen;        /* shift of the step */
	uint64_t hi, lo;

	if (plen == 0 || plen > 128 || lease_addr6_cmp(b, a) < 0)
		return -ERANGE;
	lo = b.lo - a.lo;
	hi = b.hi - a.hi - (b.lo < a.lo);
	if (s == 0) {
		if (hi != 0)
			return -ERANGE;
		*n = lo;
	} else if (s < 64) {
		if (hi >> s != 0)
			return -ERANGE;
		*n = lo >> s | hi << (64 - s);
	} else {
		*n = hi >> (s - 64);
	}
	return 0;
}
