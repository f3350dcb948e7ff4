/* Internal to engine/lease: the pieces a lease table is built from, shared
 * by the DHCPv4 table (struct lease_table, lease_table.c) and the DHCPv6
 * one (struct lease6_table, lease6_table.c).  lease_table.c explains how
 * they work and implements the out-of-line ones.
 *
 * - the slab (struct lt_core): 80-byte entries, a struct lease4 or a
 *   struct lease6, in size-aligned chunks; an entry's 32-bit id names it
 *   to the index and the wheel;
 * - an index (struct lt_index): hash -> ids, as many per table as it has
 *   ways of looking a lease up.  It is a multi-map: entries filed under
 *   one hash are all found by a probe (struct lt_probe), and the caller
 *   compares keys, so one client key may name several leases;
 * - the expiry wheel, the hostname slots, out-of-line key bytes and the
 *   published count, in struct lt_core.
 *
 * A front-end holds one lt_core and its indexes, and knows its keys.
 * Single writer, like the tables. */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lease.h"

union lt_entry {
	struct lease4 v4;
	struct lease6 v6;
};

_Static_assert(sizeof(struct lease4) == 80, "a lease grew: memory per lease is a target");
_Static_assert(sizeof(struct lease6) == sizeof(struct lease4),
	       "both lease kinds share the slab's 80-byte entries");

#define LT_CHUNK_SHIFT 18
#define LT_CHUNK_BYTES (1u << LT_CHUNK_SHIFT)
#define LT_CHUNK_HDR 64
#define LT_PER_CHUNK ((LT_CHUNK_BYTES - LT_CHUNK_HDR) / (sizeof(union lt_entry) + 2 * sizeof(uint32_t)))

#define LT_SENT_BASE 0xF0000000u         /* ids at or above: wheel sentinels */
#define LT_UNFILED 0xFFFFFFFFu           /* prev of an entry not in the wheel */
#define LT_FREE 0xFFFFFFFEu              /* prev of a free slab slot */
#define LT_NONE 0xFFFFFFFFu              /* no id: end of the free list, of a probe */
#define LT_TOMB UINT64_MAX               /* old-index slot: moved or deleted */

struct lt_chunk {
	uint32_t base;                   /* id of e[0] */
	uint8_t pad[LT_CHUNK_HDR - sizeof(uint32_t)];
	uint32_t next[LT_PER_CHUNK];     /* wheel links, or free list */
	uint32_t prev[LT_PER_CHUNK];     /* wheel link, LT_UNFILED or LT_FREE */
	union lt_entry e[LT_PER_CHUNK];
};

_Static_assert(sizeof(struct lt_chunk) <= LT_CHUNK_BYTES, "chunk overflows");

struct lt_index {
	uint64_t *slots;
	uint32_t mask;                   /* slots - 1 */
	uint32_t grow_at;                /* n that triggers doubling */
	uint32_t n;                      /* entries filed */
	uint64_t *old;                   /* index being drained, or NULL */
	uint32_t omask;
	uint32_t mig;                    /* next old slot to move */
};

struct lt_core {
	char name[32];
	uint32_t count;                  /* stored atomically: lt_count */
	uint32_t expire_off;             /* offset of the entries' uint32_t expire */

	/* slab */
	struct lt_chunk **chunks;
	uint32_t nchunks;
	uint32_t chunks_cap;
	uint32_t bump;                   /* ids below were handed out once */
	uint32_t free_head;
	size_t ext_bytes;                /* out-of-line key bytes (client-ids, DUIDs) */
	/* hostnames: LT_NAME_BYTES-byte slots, LT_NAMES_PER_CHUNK a chunk,
	 * a free list threaded through the first bytes of free slots */
	char **names;
	uint32_t names_nchunks, names_bump, names_free;

	/* expiry wheel: W buckets then the due list, as sentinels */
	uint32_t wsize;
	uint32_t *wnext;
	uint32_t *wprev;
	uint64_t *wbits;                 /* bucket non-empty */
	uint64_t cur;                    /* first second not fully visited */
	uint32_t pos;                    /* last node kept in the open bucket */
	bool open;                       /* bucket cur is being visited */
};

/* ---- core: lease_table.c ---- */

/* 0 or -EINVAL / -ENOMEM (then lt_core_fini frees what was built).
 * expire_off: offsetof(lease type, expire). */
int lt_core_init(struct lt_core *c, const char *name, uint32_t capacity, size_t expire_off);
void lt_core_fini(struct lt_core *c);
size_t lt_core_memory(const struct lt_core *c);

int lt_chunk_add(struct lt_core *c);

/* Copy `len` key bytes into an entry's inline array `inl` (inl_max
 * bytes) or, longer, into memory the table owns at *ext (`inl` and *ext
 * share a union); *cur_len is the length stored now, and becomes len.
 * 0 or -ENOMEM (nothing changed). */
int lt_bytes_store(struct lt_core *c, uint8_t *inl, uint8_t **ext, uint8_t *cur_len,
		   unsigned inl_max, const uint8_t *src, uint8_t len);
/* Drop an entry's out-of-line bytes, if it has them; *cur_len becomes 0. */
void lt_bytes_drop(struct lt_core *c, uint8_t **ext, uint8_t *cur_len, unsigned inl_max);
/* Free entry id, already out of the indexes: out of the wheel, its key
 * bytes and hostname dropped, back on the free list, counted out. */
void lt_release(struct lt_core *c, uint32_t id, uint8_t **ext, uint8_t *cur_len, unsigned inl_max,
		uint32_t *name);

/* Hostname slots: *slot is the entry's name field (slot + 1, 0 none). */
int lt_name_set(struct lt_core *c, uint32_t *slot, const char *name, size_t len);
const char *lt_name_get(const struct lt_core *c, uint32_t slot);

/* The expiry wheel and the walk over every entry, as the tables'
 * lease_table_expire and lease_table_foreach describe them.  The
 * callback of the table's kind is set, the other is NULL. */
struct lt_cb {
	void (*expired4)(struct lease4 *l, void *arg);
	void (*expired6)(struct lease6 *l, void *arg);
	int (*each4)(struct lease4 *l, void *arg);
	int (*each6)(struct lease6 *l, void *arg);
	void *arg;
};
unsigned lt_expire(struct lt_core *c, uint32_t now, unsigned max, const struct lt_cb *cb);
bool lt_expire_idle(const struct lt_core *c, uint32_t now);
int lt_foreach(struct lt_core *c, const struct lt_cb *cb);
void lt_file(struct lt_core *c, uint32_t id, uint32_t expire);
void lt_unlink(struct lt_core *c, uint32_t id);

int lt_index_init(struct lt_index *x, uint32_t capacity);
void lt_index_fini(struct lt_index *x);
size_t lt_index_memory(const struct lt_index *x);
void lt_index_migrate(struct lt_index *x, uint32_t n);
int lt_index_grow(struct lt_index *x);
/* Unfile id from under h32 (x->n counts it out). */
void lt_index_del(struct lt_index *x, uint32_t h32, uint32_t id);

/* ---- inline: the hot paths ---- */

/* The count is the one field other threads read (lease_table_count, from
 * the control thread and the statistics): the owner publishes every
 * change with an atomic store.  Its own reads stay plain, since nobody
 * else writes it. */
static inline void lt_count_set(struct lt_core *c, uint32_t n)
{
	__atomic_store_n(&c->count, n, __ATOMIC_RELAXED);
}

static inline uint32_t lt_count(const struct lt_core *c)
{
	return __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}

static inline struct lt_chunk *lt_chunk_of(const void *e)
{
	return (struct lt_chunk *)((uintptr_t)e & ~(uintptr_t)(LT_CHUNK_BYTES - 1));
}

/* The id of an entry, from its address. */
static inline uint32_t lt_id(const void *e)
{
	const struct lt_chunk *c = lt_chunk_of(e);

	return c->base + (uint32_t)((const union lt_entry *)e - c->e);
}

static inline union lt_entry *lt_entry(const struct lt_core *c, uint32_t id)
{
	return &c->chunks[id / LT_PER_CHUNK]->e[id % LT_PER_CHUNK];
}

static inline uint32_t *lt_next(const struct lt_core *c, uint32_t id)
{
	if (id >= LT_SENT_BASE)
		return &c->wnext[id - LT_SENT_BASE];
	return &c->chunks[id / LT_PER_CHUNK]->next[id % LT_PER_CHUNK];
}

static inline uint32_t *lt_prev(const struct lt_core *c, uint32_t id)
{
	if (id >= LT_SENT_BASE)
		return &c->wprev[id - LT_SENT_BASE];
	return &c->chunks[id / LT_PER_CHUNK]->prev[id % LT_PER_CHUNK];
}

/* A zeroed entry, not filed anywhere: its id, or LT_NONE. */
static inline uint32_t lt_slab_get(struct lt_core *c)
{
	uint32_t id;

	if (c->free_head != LT_NONE) {
		id = c->free_head;
		c->free_head = *lt_next(c, id);
	} else {
		if (c->bump == c->nchunks * LT_PER_CHUNK && lt_chunk_add(c) < 0)
			return LT_NONE;
		id = c->bump++;
	}
	memset(lt_entry(c, id), 0, sizeof(union lt_entry));
	*lt_prev(c, id) = LT_UNFILED;
	return id;
}

static inline void lt_slab_put(struct lt_core *c, uint32_t id)
{
	*lt_prev(c, id) = LT_FREE;
	*lt_next(c, id) = c->free_head;
	c->free_head = id;
}

/* Tell the wheel that entry id now expires at `expire`. */
static inline void lt_touch(struct lt_core *c, uint32_t id, uint32_t expire)
{
	if (*lt_prev(c, id) != LT_UNFILED)
		lt_unlink(c, id);
	lt_file(c, id, expire);
}

/* Take entry id out of the wheel (before it is freed). */
static inline void lt_unfile(struct lt_core *c, uint32_t id)
{
	if (*lt_prev(c, id) != LT_UNFILED)
		lt_unlink(c, id);
}

/* Index slots: high half = 32 bits of the key hash, low half = id + 1. */
static inline uint32_t lt_h32(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

static inline void lt_slot_put(uint64_t *slots, uint32_t mask, uint64_t v)
{
	uint32_t i = (uint32_t)(v >> 32) & mask;

	while (slots[i] != 0)
		i = (i + 1) & mask;
	slots[i] = v;
}

#define LT_MIGRATE_STEP 16

/* Before filing one more entry: move a step of a growing index, and
 * start doubling it when it is 3/4 full.  0 or -ENOMEM (full, and it
 * could not grow). */
static inline int lt_index_reserve(struct lt_index *x)
{
	if (x->old != NULL)
		lt_index_migrate(x, LT_MIGRATE_STEP);
	if (x->n >= x->grow_at && lt_index_grow(x) < 0 && x->n >= x->mask)
		return -ENOMEM;
	return 0;
}

/* File id under h32 (after lt_index_reserve). */
static inline void lt_index_add(struct lt_index *x, uint32_t h32, uint32_t id)
{
	lt_slot_put(x->slots, x->mask, (uint64_t)h32 << 32 | (id + 1));
	x->n++;
}

/* A walk over the ids filed under one hash: the live index, then the old
 * one while it is being drained.  Ids come in probe order; the caller
 * compares the keys, since different keys may share the 32 bits. */
struct lt_probe {
	const uint64_t *slots;
	const uint64_t *old;
	uint32_t mask, omask, i, h32;
};

static inline void lt_probe_start(struct lt_probe *p, const struct lt_index *x, uint32_t h32)
{
	p->slots = x->slots;
	p->mask = x->mask;
	p->old = x->old;
	p->omask = x->omask;
	p->h32 = h32;
	p->i = h32 & x->mask;
}

/* The next id filed under the hash, or LT_NONE. */
static inline uint32_t lt_probe_next(struct lt_probe *p)
{
	for (;;) {
		uint64_t s = p->slots[p->i];

		if (s == 0) {
			if (p->old == NULL)
				return LT_NONE;
			p->slots = p->old;
			p->mask = p->omask;
			p->i = p->h32 & p->omask;
			p->old = NULL;
			continue;
		}
		p->i = (p->i + 1) & p->mask;
		if ((uint32_t)(s >> 32) == p->h32 && s != LT_TOMB)
			return (uint32_t)s - 1;
	}
}
