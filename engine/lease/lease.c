/* Client keys: the stable steering hash (v4 keys, v6 DUIDs) and the key a
 * v4 lease is filed under. */
#include <string.h>

#include "lease.h"

/*
 * The hash is part of the wire of the process: every worker steers a packet
 * to hash % n_workers, and a restarted process must steer a client to the
 * same place it did before.  So no seed, no per-run randomisation, and
 * words are read little-endian whatever the host is.  lease_test pins a few
 * values; changing this function changes which worker owns which client.
 *
 * Shape: each 8-byte word is multiplied into the state and folded with a
 * shift; the tail is zero padded and the length is mixed in up front, so
 * "ab" and "ab\0" differ.  A final avalanche makes the low bits (used by
 * % n_workers) depend on every input bit.
 */
#define LKH_K0 0x9e3779b97f4a7c15ULL    /* 2^64 / golden ratio */
#define LKH_K1 0xbf58476d1ce4e5b9ULL
#define LKH_K2 0x94d049bb133111ebULL

static inline uint64_t lkh_load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline uint64_t lkh_round(uint64_t h, uint64_t w)
{
	h ^= w * LKH_K0;
	h *= LKH_K1;
	return h ^ (h >> 31);
}

static inline uint64_t lkh_final(uint64_t h)
{
	h ^= h >> 30;
	h *= LKH_K1;
	h ^= h >> 27;
	h *= LKH_K2;
	return h ^ (h >> 31);
}

/* The hash of n bytes at p under `kind`.  `end` bounds what may be read:
 * the tail is read as a whole word when that stays below it. */
static inline uint64_t lkh_bytes(uint8_t kind, const uint8_t *p, unsigned n, const uint8_t *end)
{
	uint64_t h = lkh_round(LKH_K2, ((uint64_t)kind << 8) | n);

	while (n >= 8) {
		h = lkh_round(h, lkh_load64(p));
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t w;

		/* The tail, zero padded: read the whole word and mask when it
		 * stays inside the buffer (for a lease_key every key but the
		 * longest), which saves a variable-length memcpy call per hash
		 * (~25% of this function, callgrind).  Same value either way. */
		if (p + 8 <= end) {
			w = lkh_load64(p) & (~0ull >> (64 - 8 * n));
		} else {
			uint8_t tail[8] = { 0 };

			memcpy(tail, p, n);
			w = lkh_load64(tail);
		}
		h = lkh_round(h, w);
	}
	return lkh_final(h);
}

uint64_t lease_key_hash(const struct lease_key *k)
{
	return lkh_bytes(k->kind, k->data, k->len, k->data + sizeof(k->data));
}

uint64_t lease_duid_hash(const uint8_t *duid, uint8_t len)
{
	return lkh_bytes(LEASE_KEY_DUID, duid, len, duid + len);
}

uint64_t lease_bytes_hash(uint8_t kind, const uint8_t *p, uint8_t n)
{
	return lkh_bytes(kind, p, n, p + n);
}

uint64_t lease_addr6_hash(struct lease_addr6 a)
{
	return lkh_final(lkh_round(lkh_round(LKH_K2, a.hi), a.lo));
}

void lease_key_of(const struct lease4 *l, struct lease_key *k)
{
	k->kind = l->key_kind;
	switch (l->key_kind) {
	case LEASE_KEY_CLIENT_ID:
		k->len = l->cid_len;
		memcpy(k->data, lease_cid(l), l->cid_len);
		break;
	case LEASE_KEY_HWADDR: {
		uint8_t hl = l->hwaddr_len > sizeof(l->hwaddr) ? sizeof(l->hwaddr) : l->hwaddr_len;

		k->len = 1 + hl;
		k->data[0] = l->htype;
		memcpy(k->data + 1, l->hwaddr, hl);
		break;
	}
	case LEASE_KEY_ADDR:
		k->len = 4;
		k->data[0] = l->addr >> 24;
		k->data[1] = l->addr >> 16;
		k->data[2] = l->addr >> 8;
		k->data[3] = l->addr;
		break;
	default:
		k->len = 0;
		break;
	}
}
