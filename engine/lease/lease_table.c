/* Per-worker DHCPv4 lease table: slab + open-addressing index + timing wheel.
 *
 * Single writer (the owning worker), so nothing here is atomic or locked.
 *
 * Slab.  Leases live in 256 KiB chunks aligned to their size: a lease
 * pointer masked down gives its chunk, and the chunk's base number plus the
 * offset gives a 32-bit lease id.  Pointers never move; a freed lease goes
 * on a free list threaded through the chunk's side arrays; a chunk is
 * mapped every ~3000 leases, never per insert.  Each chunk also holds, per
 * lease, the two 32-bit links of the expiry wheel, so the id is all the
 * wheel and the index need.
 *
 * Index.  Linear probing over 64-bit slots: high half = 32 bits of the key
 * hash (bits 32..63, so it does not correlate with the hash % n_workers
 * that picked this worker), low half = lease id + 1 (0 = empty).  The
 * stored hash is checked before the lease is touched, so a probe compares
 * keys only on a 32-bit match, and deletion shifts entries back without
 * re-hashing keys (no tombstones).  The key bytes are not stored: the key
 * is compared against the lease's own fields per key_kind.
 *
 * Growth doubles the index when it is 3/4 full, incrementally: the old
 * array is drained 16 slots per insert (the stored hashes make a move a
 * plain copy), lookups look in both until it is empty, deletes in the old
 * one leave tombstones.  A one-off copy stalled an insert ~100 ms at 1M.
 *
 * Expiry.  A timing wheel of W one-second buckets (W a power of two,
 * 4096..65536 by capacity), each a circular doubly linked list through the
 * lease ids with a sentinel per bucket, plus a "due" list.  Touch is O(1):
 * unlink, link.  A lease expiring at e is in bucket e % W; a bucket is
 * visited once per W seconds, and entries of a later revolution are simply
 * stepped over (once per W seconds of their life).  `cur` is the first
 * second not yet fully visited; leases touched to a time already behind
 * `cur` go on the due list, which is handed out first.  lease_table_expire
 * does bounded work per call (max handed out, and a budget of entries
 * stepped over and bitmap words scanned), remembers where it stopped inside
 * a bucket, and picks up there.  A bitmap of non-empty buckets lets it skip
 * idle seconds 64 at a time.  Never early: every lease is compared with
 * `now` before it is handed out; a clock that steps back only delays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lease_table.h"

#define LT_CHUNK_SHIFT 18
#define LT_CHUNK_BYTES (1u << LT_CHUNK_SHIFT)
#define LT_CHUNK_HDR 64
#define LT_PER_CHUNK ((LT_CHUNK_BYTES - LT_CHUNK_HDR) / (sizeof(struct lease4) + 2 * sizeof(uint32_t)))

#define LT_SENT_BASE 0xF0000000u         /* ids at or above: wheel sentinels */
#define LT_UNFILED 0xFFFFFFFFu           /* prev of a lease not in the wheel */
#define LT_FREE 0xFFFFFFFEu              /* prev of a free slab slot */
#define LT_NONE 0xFFFFFFFFu              /* end of the free list */
#define LT_MAX_LEASES (LT_SENT_BASE - 1)
#define LT_TOMB UINT64_MAX               /* old-index slot: moved or deleted */
#define LT_MIGRATE_STEP 16
#define LT_MAX_CAPACITY (1u << 28)

#define LT_WHEEL_MIN 4096u
#define LT_WHEEL_MAX 65536u

struct lt_chunk {
	uint32_t base;                   /* id of leases[0] */
	uint8_t pad[LT_CHUNK_HDR - sizeof(uint32_t)];
	uint32_t next[LT_PER_CHUNK];     /* wheel links, or free list */
	uint32_t prev[LT_PER_CHUNK];     /* wheel link, LT_UNFILED or LT_FREE */
	struct lease4 leases[LT_PER_CHUNK];
};

_Static_assert(sizeof(struct lt_chunk) <= LT_CHUNK_BYTES, "chunk overflows");
_Static_assert(sizeof(struct lease4) == 80, "a lease grew: memory per lease is a target");

#define LT_NAME_BYTES       (LEASE_HOSTNAME_MAX + 1)
#define LT_NAMES_PER_CHUNK  4096u
#define LT_NAMES_CHUNKS_MAX (1u << 12)     /* 16M hostnames */

struct lease_table {
	char name[32];

	/* index */
	uint64_t *slots;
	uint32_t mask;                   /* slots - 1 */
	uint32_t grow_at;                /* count that triggers doubling */
	uint32_t count;                  /* stored atomically: lease_table_count */
	uint64_t *old;                   /* index being drained, or NULL */
	uint32_t omask;
	uint32_t mig;                    /* next old slot to move */

	/* slab */
	struct lt_chunk **chunks;
	uint32_t nchunks;
	uint32_t chunks_cap;
	uint32_t bump;                   /* ids below were handed out once */
	uint32_t free_head;
	size_t ext_bytes;                /* long client-ids */
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

	/* stamps (lease_table_restamp) */
	uint8_t stamp;
	void (*fresh)(struct lease4 *l, void *arg);
	void *fresh_arg;
};

/* A stale lease is brought up to date by the owner before anyone sees it. */
static inline struct lease4 *lt_fresh(struct lease_table *t, struct lease4 *l)
{
	if (l != NULL && l->stamp != t->stamp) {
		if (t->fresh != NULL)
			t->fresh(l, t->fresh_arg);
		l->stamp = t->stamp;
	}
	return l;
}

/* The count is the one field other threads read (lease_table_count, from
 * the control thread and the statistics): the owner publishes every
 * change with an atomic store.  Its own reads stay plain, since nobody
 * else writes it. */
static inline void lt_count_set(struct lease_table *t, uint32_t n)
{
	__atomic_store_n(&t->count, n, __ATOMIC_RELAXED);
}

/* ---- slab ---- */

static inline struct lt_chunk *lt_chunk_of(const struct lease4 *l)
{
	return (struct lt_chunk *)((uintptr_t)l & ~(uintptr_t)(LT_CHUNK_BYTES - 1));
}

static inline uint32_t lt_id(const struct lease4 *l)
{
	const struct lt_chunk *c = lt_chunk_of(l);

	return c->base + (uint32_t)(l - c->leases);
}

static inline struct lease4 *lt_lease(const struct lease_table *t, uint32_t id)
{
	return &t->chunks[id / LT_PER_CHUNK]->leases[id % LT_PER_CHUNK];
}

static inline uint32_t *lt_next(const struct lease_table *t, uint32_t id)
{
	if (id >= LT_SENT_BASE)
		return &t->wnext[id - LT_SENT_BASE];
	return &t->chunks[id / LT_PER_CHUNK]->next[id % LT_PER_CHUNK];
}

static inline uint32_t *lt_prev(const struct lease_table *t, uint32_t id)
{
	if (id >= LT_SENT_BASE)
		return &t->wprev[id - LT_SENT_BASE];
	return &t->chunks[id / LT_PER_CHUNK]->prev[id % LT_PER_CHUNK];
}

/* A chunk aligned to its own size: map twice as much and trim. */
static struct lt_chunk *lt_chunk_map(void)
{
	size_t len = 2 * (size_t)LT_CHUNK_BYTES;
	uintptr_t raw, aligned;
	void *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)m;
	aligned = (raw + LT_CHUNK_BYTES - 1) & ~(uintptr_t)(LT_CHUNK_BYTES - 1);
	if (aligned > raw)
		munmap(m, aligned - raw);
	if (raw + len > aligned + LT_CHUNK_BYTES)
		munmap((void *)(aligned + LT_CHUNK_BYTES), raw + len - aligned - LT_CHUNK_BYTES);
	return (struct lt_chunk *)aligned;
}

static int lt_chunk_add(struct lease_table *t)
{
	struct lt_chunk *c;

	if ((uint64_t)(t->nchunks + 1) * LT_PER_CHUNK > LT_MAX_LEASES)
		return -ENOMEM;
	if (t->nchunks == t->chunks_cap) {
		uint32_t cap = t->chunks_cap ? 2 * t->chunks_cap : 16;
		struct lt_chunk **v = realloc(t->chunks, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		t->chunks = v;
		t->chunks_cap = cap;
	}
	c = lt_chunk_map();
	if (c == NULL)
		return -ENOMEM;
	c->base = t->nchunks * (uint32_t)LT_PER_CHUNK;
	t->chunks[t->nchunks++] = c;
	return 0;
}

/* A zeroed lease, not filed anywhere: its id, or LT_NONE. */
static uint32_t lt_slab_get(struct lease_table *t)
{
	uint32_t id;

	if (t->free_head != LT_NONE) {
		id = t->free_head;
		t->free_head = *lt_next(t, id);
	} else {
		if (t->bump == t->nchunks * LT_PER_CHUNK && lt_chunk_add(t) < 0)
			return LT_NONE;
		id = t->bump++;
	}
	memset(lt_lease(t, id), 0, sizeof(struct lease4));
	*lt_prev(t, id) = LT_UNFILED;
	return id;
}

static void lt_slab_put(struct lease_table *t, uint32_t id)
{
	*lt_prev(t, id) = LT_FREE;
	*lt_next(t, id) = t->free_head;
	t->free_head = id;
}

/* ---- keys ---- */

static bool lt_key_valid(const struct lease_key *k)
{
	switch (k->kind) {
	case LEASE_KEY_CLIENT_ID:
		return k->len >= 1;
	case LEASE_KEY_HWADDR:
		return k->len >= 1 && k->len <= 1 + 16;
	case LEASE_KEY_ADDR:
		return k->len == 4;
	default:
		return false;
	}
}

static inline uint32_t lt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool lt_key_eq(const struct lease4 *l, const struct lease_key *k)
{
	if (l->key_kind != k->kind)
		return false;
	switch (k->kind) {
	case LEASE_KEY_CLIENT_ID:
		return l->cid_len == k->len && memcmp(lease_cid(l), k->data, k->len) == 0;
	case LEASE_KEY_HWADDR:
		return l->hwaddr_len + 1 == k->len && l->htype == k->data[0] &&
		       memcmp(l->hwaddr, k->data + 1, l->hwaddr_len) == 0;
	case LEASE_KEY_ADDR:
		return l->addr == lt_be32(k->data);
	default:
		return false;
	}
}

static inline uint32_t lt_h32(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

static uint32_t lt_lease_h32(const struct lease4 *l)
{
	struct lease_key k;

	lease_key_of(l, &k);
	return lt_h32(lease_key_hash(&k));
}

/* Copy a client-id into a lease, allocating when it does not fit inline. */
static int lt_cid_store(struct lease_table *t, struct lease4 *l, const uint8_t *cid, uint8_t len)
{
	uint8_t *ext = NULL;

	if (len > LEASE_CID_INLINE) {
		ext = malloc(len);
		if (ext == NULL)
			return -ENOMEM;
		memcpy(ext, cid, len);
	}
	if (l->cid_len > LEASE_CID_INLINE) {
		t->ext_bytes -= l->cid_len;
		free(l->cid.ext);
	}
	if (ext != NULL) {
		l->cid.ext = ext;
		t->ext_bytes += len;
	} else if (len > 0) {
		memcpy(l->cid.inl, cid, len);
	}
	l->cid_len = len;
	return 0;
}

static char *lt_name(const struct lease_table *t, uint32_t slot)
{
	return t->names[slot / LT_NAMES_PER_CHUNK] + (size_t)(slot % LT_NAMES_PER_CHUNK) * LT_NAME_BYTES;
}

int lease_table_set_hostname(struct lease_table *t, struct lease4 *l, const char *name, size_t len)
{
	uint32_t slot;
	char *d;

	if (len == 0 || name == NULL) {
		if (l->name) {                  /* back on the free list */
			slot = l->name - 1;
			memcpy(lt_name(t, slot), &t->names_free, sizeof(t->names_free));
			t->names_free = slot + 1;
			l->name = 0;
		}
		return 0;
	}
	if (l->name == 0) {
		if (t->names_free) {
			slot = t->names_free - 1;
			memcpy(&t->names_free, lt_name(t, slot), sizeof(t->names_free));
		} else {
			if (t->names_bump == t->names_nchunks * LT_NAMES_PER_CHUNK) {
				/* a new chunk: once per 4,096 hostnames */
				char **v;

				if (t->names_nchunks == LT_NAMES_CHUNKS_MAX)
					return -ENOMEM;
				v = realloc(t->names, (t->names_nchunks + 1) * sizeof(*v));
				if (v == NULL)
					return -ENOMEM;
				t->names = v;
				v[t->names_nchunks] = malloc((size_t)LT_NAMES_PER_CHUNK * LT_NAME_BYTES);
				if (v[t->names_nchunks] == NULL)
					return -ENOMEM;
				t->names_nchunks++;
			}
			slot = t->names_bump++;
		}
		l->name = slot + 1;
	}
	d = lt_name(t, l->name - 1);
	len = len > LEASE_HOSTNAME_MAX ? LEASE_HOSTNAME_MAX : len;
	memcpy(d, name, len);
	d[len] = '\0';
	return 0;
}

const char *lease_table_hostname(const struct lease_table *t, const struct lease4 *l)
{
	return l->name ? lt_name(t, l->name - 1) : "";
}

/* ---- index ---- */

static uint32_t lt_index_size(uint32_t count)
{
	uint32_t n = 16;

	while ((uint64_t)n * 3 / 4 < count)
		n *= 2;
	return n;
}

static void lt_slot_put(uint64_t *slots, uint32_t mask, uint64_t v)
{
	uint32_t i = (uint32_t)(v >> 32) & mask;

	while (slots[i] != 0)
		i = (i + 1) & mask;
	slots[i] = v;
}

/* Move up to `n` slots of the old index into the new one; free the old
 * one when it is drained.  A moved slot becomes a tombstone so the probe
 * chains of entries still waiting there stay intact. */
static void lt_migrate(struct lease_table *t, uint32_t n)
{
	while (n-- > 0 && t->old != NULL) {
		uint64_t v = t->old[t->mig];

		if (v != 0) {
			if (v != LT_TOMB)
				lt_slot_put(t->slots, t->mask, v);
			t->old[t->mig] = LT_TOMB;
		}
		if (t->mig++ == t->omask) {
			free(t->old);
			t->old = NULL;
		}
	}
}

/* Start doubling the index.  The new array comes from calloc (fresh
 * zero pages for a large one, so no memset pass); the entries move over
 * LT_MIGRATE_STEP old slots per insert.  That finishes long before the new
 * index is 3/4 full: the old one had 3/4 * S entries in S slots, the new
 * one has 2S slots and sees at most S / LT_MIGRATE_STEP inserts meanwhile. */
static int lt_index_grow(struct lease_table *t)
{
	uint32_t n = (t->mask + 1) * 2;
	uint64_t *s;

	if (t->old != NULL)
		lt_migrate(t, t->omask + 1);   /* cannot happen; stay correct */
	if (n == 0 || n > (1u << 31))
		return -ENOMEM;
	s = calloc(n, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	t->old = t->slots;
	t->omask = t->mask;
	t->mig = 0;
	t->slots = s;
	t->mask = n - 1;
	t->grow_at = (uint32_t)((uint64_t)n * 3 / 4);
	return 0;
}

static struct lease4 *lt_find_in(struct lease_table *t, const uint64_t *slots, uint32_t mask,
				 const struct lease_key *k, uint32_t h32)
{
	uint32_t i = h32 & mask;
	uint64_t s;

	while ((s = slots[i]) != 0) {
		if ((uint32_t)(s >> 32) == h32 && s != LT_TOMB) {
			struct lease4 *l = lt_lease(t, (uint32_t)s - 1);

			if (lt_key_eq(l, k))
				return l;
		}
		i = (i + 1) & mask;
	}
	return NULL;
}

static struct lease4 *lt_find(struct lease_table *t, const struct lease_key *k, uint32_t h32)
{
	struct lease4 *l = lt_find_in(t, t->slots, t->mask, k, h32);

	if (l == NULL && t->old != NULL)
		l = lt_find_in(t, t->old, t->omask, k, h32);
	return l;
}

/* Remove the slot holding lease `id`, filed under hash h32.  In the live
 * index shift the rest of the cluster back so no probe chain breaks; in
 * an old index being drained leave a tombstone. */
static void lt_slot_del(struct lease_table *t, uint32_t id, uint32_t h32)
{
	uint64_t want = (uint64_t)h32 << 32 | (id + 1);
	uint32_t i = h32 & t->mask, j;

	while (t->slots[i] != want) {
		if (t->slots[i] == 0)
			goto old;
		i = (i + 1) & t->mask;
	}
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & t->mask;
		if (t->slots[j] == 0)
			break;
		home = (uint32_t)(t->slots[j] >> 32) & t->mask;
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = 0;
	return;

old:
	if (t->old == NULL)
		return;                    /* not indexed: nothing to do */
	for (i = h32 & t->omask; t->old[i] != 0; i = (i + 1) & t->omask) {
		if (t->old[i] == want) {
			t->old[i] = LT_TOMB;
			return;
		}
	}
}

/* ---- expiry wheel ---- */

static inline uint32_t lt_due(const struct lease_table *t)
{
	return LT_SENT_BASE + t->wsize;
}

static void lt_link_after(struct lease_table *t, uint32_t at, uint32_t id)
{
	uint32_t n = *lt_next(t, at);

	*lt_next(t, id) = n;
	*lt_prev(t, id) = at;
	*lt_prev(t, n) = id;
	*lt_next(t, at) = id;
}

static void lt_unlink(struct lease_table *t, uint32_t id)
{
	uint32_t p = *lt_prev(t, id), n = *lt_next(t, id);

	*lt_next(t, p) = n;
	*lt_prev(t, n) = p;
	*lt_prev(t, id) = LT_UNFILED;
	if (t->open && t->pos == id)
		t->pos = p;
	if (p == n && p >= LT_SENT_BASE && p < lt_due(t)) {
		uint32_t b = p - LT_SENT_BASE;

		t->wbits[b / 64] &= ~(1ULL << (b % 64));
	}
}

static void lt_file(struct lease_table *t, uint32_t id, const struct lease4 *l)
{
	uint64_t e = l->expire;
	uint32_t b;

	if (l->expire == UINT32_MAX)
		return;                    /* infinite lease: never handed out */
	if (e < t->cur || (e == t->cur && t->open)) {
		lt_link_after(t, lt_due(t), id);
		return;
	}
	b = (uint32_t)(e & (t->wsize - 1));
	lt_link_after(t, LT_SENT_BASE + b, id);
	t->wbits[b / 64] |= 1ULL << (b % 64);
}

/* ---- API ---- */

struct lease_table *lease_table_create(const struct lease_table_params *p)
{
	struct lease_table *t;
	uint32_t w;

	if (p == NULL || p->capacity > LT_MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto err_nomem;
	snprintf(t->name, sizeof(t->name), "%s", p->name != NULL ? p->name : "lease");
	t->free_head = LT_NONE;

	t->mask = lt_index_size(p->capacity) - 1;
	t->grow_at = (uint32_t)((uint64_t)(t->mask + 1) * 3 / 4);
	t->slots = calloc(t->mask + 1, sizeof(*t->slots));
	if (t->slots == NULL)
		goto err_nomem;

	for (w = LT_WHEEL_MIN; w < LT_WHEEL_MAX && w < p->capacity; w *= 2)
		;
	t->wsize = w;
	t->wnext = malloc((w + 1) * sizeof(*t->wnext));
	t->wprev = malloc((w + 1) * sizeof(*t->wprev));
	t->wbits = calloc(w / 64, sizeof(*t->wbits));
	if (t->wnext == NULL || t->wprev == NULL || t->wbits == NULL)
		goto err_nomem;
	for (uint32_t i = 0; i <= w; i++)
		t->wnext[i] = t->wprev[i] = LT_SENT_BASE + i;

	/* Map the slab for the expected leases now, not in the packet loop. */
	while ((uint64_t)t->nchunks * LT_PER_CHUNK < p->capacity)
		if (lt_chunk_add(t) < 0)
			goto err_nomem;
	return t;

err_nomem:
	lease_table_free(t);
	errno = ENOMEM;
	return NULL;
}

void lease_table_free(struct lease_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t id = 0; id < t->bump; id++) {
		struct lease4 *l = lt_lease(t, id);

		if (*lt_prev(t, id) != LT_FREE && l->cid_len > LEASE_CID_INLINE)
			free(l->cid.ext);
	}
	for (uint32_t i = 0; i < t->names_nchunks; i++)
		free(t->names[i]);
	free(t->names);
	for (uint32_t i = 0; i < t->nchunks; i++)
		munmap(t->chunks[i], LT_CHUNK_BYTES);
	free(t->chunks);
	free(t->slots);
	free(t->old);
	free(t->wnext);
	free(t->wprev);
	free(t->wbits);
	free(t);
}

struct lease4 *lease_table_lookup(struct lease_table *t, const struct lease_key *k)
{
	if (!lt_key_valid(k))
		return NULL;
	return lt_fresh(t, lt_find(t, k, lt_h32(lease_key_hash(k))));
}

struct lease4 *lease_table_insert(struct lease_table *t, const struct lease_key *k, bool *existed)
{
	struct lease4 *l;
	uint32_t h32, id;

	if (!lt_key_valid(k)) {
		errno = EINVAL;
		return NULL;
	}
	h32 = lt_h32(lease_key_hash(k));
	l = lt_find(t, k, h32);
	if (existed != NULL)
		*existed = l != NULL;
	if (l != NULL)
		return lt_fresh(t, l);

	if (t->old != NULL)
		lt_migrate(t, LT_MIGRATE_STEP);
	if (t->count >= t->grow_at && lt_index_grow(t) < 0 && t->count >= t->mask) {
		errno = ENOMEM;
		return NULL;
	}
	id = lt_slab_get(t);
	if (id == LT_NONE) {
		errno = ENOMEM;
		return NULL;
	}
	l = lt_lease(t, id);
	l->key_kind = k->kind;
	l->stamp = t->stamp;
	switch (k->kind) {
	case LEASE_KEY_CLIENT_ID:
		if (lt_cid_store(t, l, k->data, k->len) < 0) {
			lt_slab_put(t, id);
			errno = ENOMEM;
			return NULL;
		}
		break;
	case LEASE_KEY_HWADDR:
		l->htype = k->data[0];
		l->hwaddr_len = k->len - 1;
		memcpy(l->hwaddr, k->data + 1, k->len - 1);
		break;
	case LEASE_KEY_ADDR:
		l->addr = lt_be32(k->data);
		break;
	}
	lt_slot_put(t->slots, t->mask, (uint64_t)h32 << 32 | (id + 1));
	lt_count_set(t, t->count + 1);
	return l;
}

int lease_table_set_cid(struct lease_table *t, struct lease4 *l, const uint8_t *cid, uint8_t len)
{
	struct lease_key k;
	struct lease4 *other;
	uint32_t old_h32, h32, id;
	int rc;

	if (len > 0 && cid == NULL)
		return -EINVAL;
	if (l->key_kind != LEASE_KEY_CLIENT_ID)
		return lt_cid_store(t, l, cid, len);

	/* The client-id is this lease's key: re-file it under the new one. */
	if (len == 0)
		return -EINVAL;
	k.kind = LEASE_KEY_CLIENT_ID;
	k.len = len;
	memcpy(k.data, cid, len);
	h32 = lt_h32(lease_key_hash(&k));
	other = lt_find(t, &k, h32);
	if (other == l)
		return 0;
	if (other != NULL)
		return -EEXIST;
	id = lt_id(l);
	old_h32 = lt_lease_h32(l);
	rc = lt_cid_store(t, l, cid, len);
	if (rc < 0)
		return rc;
	lt_slot_del(t, id, old_h32);
	lt_slot_put(t->slots, t->mask, (uint64_t)h32 << 32 | (id + 1));
	return 0;
}

void lease_table_remove(struct lease_table *t, struct lease4 *l)
{
	uint32_t id = lt_id(l);

	lt_slot_del(t, id, lt_lease_h32(l));
	if (*lt_prev(t, id) != LT_UNFILED)
		lt_unlink(t, id);
	if (l->cid_len > LEASE_CID_INLINE) {
		t->ext_bytes -= l->cid_len;
		free(l->cid.ext);
		l->cid_len = 0;
	}
	lease_table_set_hostname(t, l, NULL, 0);
	lt_slab_put(t, id);
	lt_count_set(t, t->count - 1);
}

void lease_table_touch(struct lease_table *t, struct lease4 *l)
{
	uint32_t id = lt_id(l);

	if (*lt_prev(t, id) != LT_UNFILED)
		lt_unlink(t, id);
	lt_file(t, id, l);
}

/* Skip empty buckets from `cur` on, at most up to `now`, with the bitmap;
 * spends one unit of *budget per word looked at (at least one word). */
static void lt_skip_empty(struct lease_table *t, uint32_t now, unsigned long *budget)
{
	uint64_t limit = (uint64_t)now - t->cur, skipped = 0;
	uint32_t b = (uint32_t)(t->cur & (t->wsize - 1));

	for (;;) {
		uint32_t off = b % 64;
		uint64_t bits = t->wbits[b / 64] >> off;

		if (*budget > 0)
			(*budget)--;
		if (bits != 0) {
			skipped += (uint64_t)__builtin_ctzll(bits);
			break;
		}
		skipped += 64 - off;
		b = (b + 64 - off) & (t->wsize - 1);
		if (skipped > limit || *budget == 0)
			break;
	}
	t->cur += skipped > limit ? limit + 1 : skipped;
}

unsigned lease_table_expire(struct lease_table *t, uint32_t now, unsigned max,
			    void (*cb)(struct lease4 *l, void *arg), void *arg)
{
	uint32_t due = lt_due(t);
	unsigned long budget = 64 + 4UL * max;
	/* Idle seconds are cheap to skip (a word of bitmap per 64): allow up
	 * to a whole revolution per call, so catching up after a pause or at
	 * the first call does not take many calls. */
	unsigned long words = t->wsize / 64 + 1;
	unsigned n = 0;

	if (max == 0)
		return 0;

	/* The due list holds leases that expired before `cur` (or at `cur`
	 * once its bucket is open); if the clock went back past that, wait. */
	if ((uint64_t)now + 1 >= t->cur + (t->open ? 1 : 0)) {
		while (n < max && budget > 0 && t->wnext[t->wsize] != due) {
			uint32_t id = t->wnext[t->wsize];
			struct lease4 *l = lt_lease(t, id);

			budget--;
			lt_unlink(t, id);
			if (l->expire > now) {
				lt_file(t, id, l);   /* changed without a touch */
				continue;
			}
			cb(lt_fresh(t, l), arg);
			n++;
		}
	}

	/* Far behind (first call, or a long pause): one revolution from
	 * now - W + 1 visits every bucket, which is all that is needed. */
	if (t->cur + t->wsize <= now) {
		t->cur = (uint64_t)now - t->wsize + 1;
		t->open = false;
	}

	while (n < max && budget > 0 && t->cur <= now) {
		uint32_t sent = LT_SENT_BASE + (uint32_t)(t->cur & (t->wsize - 1));
		uint32_t id;
		struct lease4 *l;

		if (!t->open) {
			if (t->wnext[sent - LT_SENT_BASE] == sent) {
				budget--;
				lt_skip_empty(t, now, &words);
				continue;
			}
			t->open = true;
			t->pos = sent;
		}
		budget--;
		id = *lt_next(t, t->pos);
		if (id == sent) {
			t->open = false;
			t->cur++;
			continue;
		}
		l = lt_lease(t, id);
		if (l->expire > now) {
			t->pos = id;               /* a later revolution */
			continue;
		}
		lt_unlink(t, id);
		cb(lt_fresh(t, l), arg);
		n++;
	}
	return n;
}

bool lease_table_expire_idle(const struct lease_table *t, uint32_t now)
{
	if (t->wnext[t->wsize] != lt_due(t) && (uint64_t)now + 1 >= t->cur + (t->open ? 1 : 0))
		return false;
	return t->cur > now;
}

int lease_table_foreach(struct lease_table *t, int (*cb)(struct lease4 *l, void *arg), void *arg)
{
	for (uint32_t id = 0; id < t->bump; id++) {
		int rc;

		if (*lt_prev(t, id) == LT_FREE)
			continue;
		rc = cb(lt_fresh(t, lt_lease(t, id)), arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void lease_table_restamp(struct lease_table *t, uint8_t stamp,
			 void (*hook)(struct lease4 *l, void *arg), void *arg)
{
	t->stamp = stamp;
	t->fresh = hook;
	t->fresh_arg = arg;
}

bool lease_table_refresh(struct lease_table *t, uint32_t *cursor, unsigned max)
{
	uint32_t id = *cursor;

	/* Free slots cost a step too, so the work per call is bounded. */
	for (; id < t->bump && max > 0; id++, max--)
		if (*lt_prev(t, id) != LT_FREE)
			lt_fresh(t, lt_lease(t, id));
	*cursor = id;
	return id >= t->bump;
}

uint32_t lease_table_count(const struct lease_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}

size_t lease_table_memory(const struct lease_table *t)
{
	return sizeof(*t) +
	       (size_t)(t->mask + 1) * sizeof(*t->slots) +
	       (t->old != NULL ? (size_t)(t->omask + 1) * sizeof(*t->old) : 0) +
	       (size_t)t->nchunks * LT_CHUNK_BYTES +
	       (size_t)t->chunks_cap * sizeof(*t->chunks) +
	       (size_t)(t->wsize + 1) * (sizeof(*t->wnext) + sizeof(*t->wprev)) +
	       (size_t)t->wsize / 8 +
	       t->ext_bytes +
	       (size_t)t->names_nchunks * (LT_NAMES_PER_CHUNK * LT_NAME_BYTES + sizeof(*t->names));
}
