/* Classification cache (see cls.h): a small direct-mapped table per
 * worker from the exact bytes the PRE_HOST tests read to the classes they
 * gave.  Worker only; no locks, no allocation after create. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cls_internal.h"
#include "dhcp4_wire.h"

#define CC_SLOTS_LOG  6
#define CC_SLOTS      (1u << CC_SLOTS_LOG)
#define CC_KEY_WORDS  15                  /* 120 bytes of key */
#define CC_WINDOW     1024                /* lookups per hit-rate check */
#define CC_MIN_HITS   (CC_WINDOW / 8)
#define CC_STEP_ASIDE (15 * CC_WINDOW)    /* packets classified directly */

struct cc_entry {
	uint64_t key[CC_KEY_WORDS];   /* zero-padded to whole words */
	uint64_t hash;
	uint64_t gen;                 /* registry generation; 0 = empty */
	uint16_t klen;
	int16_t fails;
	struct cls_set set;
};

struct cls_cache {
	uint32_t window, window_hits, aside;
	uint64_t *n;                  /* CLS_CACHE_COUNTERS counters */
	uint64_t own[CLS_CACHE_COUNTERS];
	struct cc_entry e[CC_SLOTS];
};

struct cls_cache *cls_cache_create(uint64_t *counters)
{
	struct cls_cache *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	c->n = counters != NULL ? counters : c->own;
	return c;
}

void cls_cache_free(struct cls_cache *c)
{
	free(c);
}

const uint64_t *cls_cache_counters(const struct cls_cache *c)
{
	return c->n;
}

/* memcpy for the few bytes a key atom usually has, without a call. */
static inline void copy_small(uint8_t *d, const uint8_t *p, uint32_t n)
{
	uint32_t a, b;
	uint16_t c;

	if (n >= 4 && n <= 8) {          /* two loads that may overlap */
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n >= 2 && n < 4) {
		memcpy(&c, p, 2);
		memcpy(d, &c, 2);
		d[n - 1] = p[n - 1];
	} else if (n == 1) {
		d[0] = p[0];
	} else if (n > 8) {
		memcpy(d, p, n);
	}
}

/* An atom's length byte: 0..KEY_LONG-1 the length itself; KEY_LONG, then
 * two bytes of length; KEY_ABSENT an option that is not there. */
#define KEY_LONG   0xfe
#define KEY_ABSENT 0xff

/* The key of the packet: the header runs, then each atom as its
 * length byte(s) and bytes (a boolean: one byte 0/1).  Returns its length,
 * or -1 if it would not fit in cap. */
static inline __attribute__((always_inline)) int
key_of(const struct cls_registry *reg, const struct dhcp4_pkt *pkt, const struct dhcp4_rx *rx,
       uint8_t *key, size_t cap)
{
	const struct cls_keyplan *pl = &reg->pre_plan;
	const uint8_t *h = (const uint8_t *)pkt->hdr;
	struct cls_scratch s;
	struct cls_env env = { .pkt = pkt, .rx = rx };
	size_t k = 0;

	for (unsigned i = 0; i < pl->n_runs; i++) {
		if (k + pl->run_len[i] > cap)
			return -1;
		copy_small(key + k, h + pl->run_off[i], pl->run_len[i]);
		k += pl->run_len[i];
	}
	s.used = 0;
	for (unsigned i = 0; i < pl->n_atoms; i++) {
		const struct cls_atom *a = &pl->atoms[i];
		const uint8_t *p;
		uint32_t n;

		if (a->op == CLS_OP_OPT && !a->sliced) {      /* the usual atom, inline */
			uint16_t n16;

			p = dhcp4_opt(pkt, a->arg[0], &n16);
			if (p == NULL) {
				if (k + 1 > cap)
					return -1;
				key[k++] = KEY_ABSENT;
				continue;
			}
			n = n16;
		} else {
			if (env.iface == NULL && rx != NULL && rx->iface < CLS_MAX_IFACES)
				env.iface = reg->iface[rx->iface];     /* pkt.iface */
			if (cls_atom_value(a, &env, &s, &p, &n) < 0)
				return -1;
			if (a->op == CLS_OP_OPT && p != NULL && !dhcp4_has_opt(pkt, a->arg[0])) {
				/* a slice of an absent option: still absent */
				if (k + 1 > cap)
					return -1;
				key[k++] = KEY_ABSENT;
				continue;
			}
		}
		if (p == NULL) {                 /* a boolean */
			if (k + 1 > cap)
				return -1;
			key[k++] = (uint8_t)n;
			continue;
		}
		if (k + 3 + n > cap)
			return -1;
		if (n < KEY_LONG) {
			key[k++] = (uint8_t)n;
		} else {
			key[k++] = KEY_LONG;
			key[k++] = (uint8_t)n;
			key[k++] = (uint8_t)(n >> 8);
		}
		copy_small(key + k, p, n);
		k += n;
	}
	return (int)k;
}

static uint64_t hash(const uint64_t *w, unsigned nw, unsigned klen)
{
	uint64_t h = (klen + 1) * 0x9e3779b97f4a7c15ull;

	for (unsigned i = 0; i < nw; i++) {
		h = (h ^ w[i]) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	return h;
}

static void account(struct cls_cache *c, bool hit)
{
	c->window_hits += hit;
	if (++c->window < CC_WINDOW)
		return;
	if (c->window_hits < CC_MIN_HITS)
		c->aside = CC_STEP_ASIDE;
	c->window = 0;
	c->window_hits = 0;
}

int cls_classify_cached(const struct cls_registry *reg, struct cls_cache *c,
			const struct dhcp4_pkt *pkt, const struct dhcp4_rx *rx, struct cls_set *set)
{
	union {
		uint64_t w[CC_KEY_WORDS];
		uint8_t b[CC_KEY_WORDS * 8];
	} k;
	struct cc_entry *e;
	unsigned nw, i;
	uint64_t h;
	int klen, fails;

	if (c == NULL || reg->uni != CLS_V4)      /* (a DHCPv6 registry: -EINVAL) */
		return cls_classify(reg, pkt, rx, set, CLS_STAGE_PRE_HOST);
	if (reg->n_pre == 0 || reg->pre_plan.full || c->aside > 0) {
		c->aside -= c->aside > 0;
		c->n[CLS_CACHE_DIRECT]++;
		return cls_classify(reg, pkt, rx, set, CLS_STAGE_PRE_HOST);
	}
	klen = key_of(reg, pkt, rx, k.b, sizeof(k.b));
	if (klen < 0) {
		c->n[CLS_CACHE_DIRECT]++;
		return cls_classify(reg, pkt, rx, set, CLS_STAGE_PRE_HOST);
	}
	nw = ((unsigned)klen + 7) / 8;
	if (klen & 7) {         /* the bytes past the key in its last word: zero */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		k.w[nw - 1] &= ~0ull >> (64 - 8 * (klen & 7));
#else
		memset(k.b + klen, 0, nw * 8 - (unsigned)klen);
#endif
	}
	h = hash(k.w, nw, (unsigned)klen);
	e = &c->e[h >> (64 - CC_SLOTS_LOG)];
	if (e->gen == reg->gen && e->hash == h && e->klen == klen) {
		for (i = 0; i < nw && e->key[i] == k.w[i]; i++)
			;
		if (i == nw) {
			*set = e->set;
			c->n[CLS_CACHE_HITS]++;
			account(c, true);
			return e->fails;
		}
	}
	fails = cls_classify(reg, pkt, rx, set, CLS_STAGE_PRE_HOST);
	memcpy(e->key, k.w, nw * 8);
	e->hash = h;
	e->gen = reg->gen;
	e->klen = (uint16_t)klen;
	e->fails = (int16_t)fails;
	e->set = *set;
	c->n[CLS_CACHE_MISSES]++;
	account(c, false);
	return fails;
}
