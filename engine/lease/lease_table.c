/* Per-worker lease tables: slab + open-addressing index + timing wheel.
 *
 * This file holds the machinery (struct lt_core and struct lt_index, see
 * lease_table_core.h) and the DHCPv4 front-end (struct lease_table);
 * lease6_table.c is the DHCPv6 front-end over the same machinery.  The v4
 * front-end lives here so that its hot paths (lookup, insert, touch)
 * inline the machinery as they did before v6 came.
 *
 * Single writer (the owning worker), so nothing here is atomic or locked
 * (but the count, below).
 *
 * Slab.  Leases (struct lease4 or struct lease6, both 80 bytes) live in
 * 256 KiB chunks aligned to their size: a lease pointer masked down gives
 * its chunk, and the chunk's base number plus the offset gives a 32-bit
 * lease id.  Pointers never move; a freed lease goes
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
 * is compared against the lease's own fields (v4: per key_kind).  Nothing
 * stops two entries with the same key: the v4 table looks before it
 * files (one lease per client key), the v6 table files every lease of an
 * IA under the client's DUID and a probe walks them all.  A table has one
 * index per way of looking a lease up (v4: client key; v6: DUID, and
 * address).
 *
 * Growth doubles the index when it is 3/4 full, incrementally: the old
 * array is drained 16 slots per insert (the stored hashes make a move a
 * plain copy), lookups look in both until it is empty, deletes in the old
 * one leave tombstones.  A one-off copy stalled an insert ~100 ms at 1M.
 *
 * Expiry.  One timing wheel per table, over the slab's ids whatever the
 * lease kind (the front-end gives the offset of its entries' expire): W
 * one-second buckets (W a power of two, 4096..65536 by capacity), each a circular doubly linked list through the
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
#include "lease_table_core.h"

#define LT_MAX_LEASES (LT_SENT_BASE - 1)
#define LT_MAX_CAPACITY (1u << 28)

#define LT_WHEEL_MIN 4096u
#define LT_WHEEL_MAX 65536u

#define LT_NAME_BYTES       (LEASE_HOSTNAME_MAX + 1)
#define LT_NAMES_PER_CHUNK  4096u
#define LT_NAMES_CHUNKS_MAX (1u << 12)     /* 16M hostnames */

/* ---- slab ---- */

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

int lt_chunk_add(struct lt_core *c)
{
	struct lt_chunk *k;

	if ((uint64_t)(c->nchunks + 1) * LT_PER_CHUNK > LT_MAX_LEASES)
		return -ENOMEM;
	if (c->nchunks == c->chunks_cap) {
		uint32_t cap = c->chunks_cap ? 2 * c->chunks_cap : 16;
		struct lt_chunk **v = realloc(c->chunks, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->chunks = v;
		c->chunks_cap = cap;
	}
	k = lt_chunk_map();
	if (k == NULL)
		return -ENOMEM;
	k->base = c->nchunks * (uint32_t)LT_PER_CHUNK;
	c->chunks[c->nchunks++] = k;
	return 0;
}

int lt_bytes_store(struct lt_core *c, uint8_t *inl, uint8_t **ext, uint8_t *cur_len,
		   unsigned inl_max, const uint8_t *src, uint8_t len)
{
	uint8_t *e = NULL;

	if (len > inl_max) {
		e = malloc(len);
		if (e == NULL)
			return -ENOMEM;
		memcpy(e, src, len);
	}
	lt_bytes_drop(c, ext, cur_len, inl_max);
	if (e != NULL) {
		*ext = e;
		c->ext_bytes += len;
	} else if (len > 0) {
		memmove(inl, src, len);         /* src may be the entry's own */
	}
	*cur_len = len;
	return 0;
}

void lt_bytes_drop(struct lt_core *c, uint8_t **ext, uint8_t *cur_len, unsigned inl_max)
{
	if (*cur_len > inl_max) {
		c->ext_bytes -= *cur_len;
		free(*ext);
	}
	*cur_len = 0;
}

void lt_release(struct lt_core *c, uint32_t id, uint8_t **ext, uint8_t *cur_len, unsigned inl_max,
		uint32_t *name)
{
	lt_unfile(c, id);
	lt_bytes_drop(c, ext, cur_len, inl_max);
	lt_name_set(c, name, NULL, 0);
	lt_slab_put(c, id);
	lt_count_set(c, c->count - 1);
}

static char *lt_name(const struct lt_core *c, uint32_t slot)
{
	return c->names[slot / LT_NAMES_PER_CHUNK] + (size_t)(slot % LT_NAMES_PER_CHUNK) * LT_NAME_BYTES;
}

int lt_name_set(struct lt_core *c, uint32_t *lslot, const char *name, size_t len)
{
	uint32_t slot;
	char *d;

	if (len == 0 || name == NULL) {
		if (*lslot) {                   /* back on the free list */
			slot = *lslot - 1;
			memcpy(lt_name(c, slot), &c->names_free, sizeof(c->names_free));
			c->names_free = slot + 1;
			*lslot = 0;
		}
		return 0;
	}
	if (*lslot == 0) {
		if (c->names_free) {
			slot = c->names_free - 1;
			memcpy(&c->names_free, lt_name(c, slot), sizeof(c->names_free));
		} else {
			if (c->names_bump == c->names_nchunks * LT_NAMES_PER_CHUNK) {
				/* a new chunk: once per 4,096 hostnames */
				char **v;

				if (c->names_nchunks == LT_NAMES_CHUNKS_MAX)
					return -ENOMEM;
				v = realloc(c->names, (c->names_nchunks + 1) * sizeof(*v));
				if (v == NULL)
					return -ENOMEM;
				c->names = v;
				v[c->names_nchunks] = malloc((size_t)LT_NAMES_PER_CHUNK * LT_NAME_BYTES);
				if (v[c->names_nchunks] == NULL)
					return -ENOMEM;
				c->names_nchunks++;
			}
			slot = c->names_bump++;
		}
		*lslot = slot + 1;
	}
	d = lt_name(c, *lslot - 1);
	len = len > LEASE_HOSTNAME_MAX ? LEASE_HOSTNAME_MAX : len;
	memcpy(d, name, len);
	d[len] = '\0';
	return 0;
}

const char *lt_name_get(const struct lt_core *c, uint32_t slot)
{
	return slot ? lt_name(c, slot - 1) : "";
}

/* ---- index ---- */

static uint32_t lt_index_size(uint32_t count)
{
	uint32_t n = 16;

	while ((uint64_t)n * 3 / 4 < count)
		n *= 2;
	return n;
}

int lt_index_init(struct lt_index *x, uint32_t capacity)
{
	memset(x, 0, sizeof(*x));
	x->mask = lt_index_size(capacity) - 1;
	x->grow_at = (uint32_t)((uint64_t)(x->mask + 1) * 3 / 4);
	x->slots = calloc(x->mask + 1, sizeof(*x->slots));
	return x->slots == NULL ? -ENOMEM : 0;
}

void lt_index_fini(struct lt_index *x)
{
	free(x->slots);
	free(x->old);
	x->slots = x->old = NULL;
}

size_t lt_index_memory(const struct lt_index *x)
{
	return (size_t)(x->mask + 1) * sizeof(*x->slots) +
	       (x->old != NULL ? (size_t)(x->omask + 1) * sizeof(*x->old) : 0);
}

/* Move up to `n` slots of the old index into the new one; free the old
 * one when it is drained.  A moved slot becomes a tombstone so the probe
 * chains of entries still waiting there stay intact. */
void lt_index_migrate(struct lt_index *x, uint32_t n)
{
	while (n-- > 0 && x->old != NULL) {
		uint64_t v = x->old[x->mig];

		if (v != 0) {
			if (v != LT_TOMB)
				lt_slot_put(x->slots, x->mask, v);
			x->old[x->mig] = LT_TOMB;
		}
		if (x->mig++ == x->omask) {
			free(x->old);
			x->old = NULL;
		}
	}
}

/* Start doubling the index.  The new array comes from calloc (fresh
 * zero pages for a large one, so no memset pass); the entries move over
 * LT_MIGRATE_STEP old slots per insert.  That finishes long before the new
 * index is 3/4 full: the old one had 3/4 * S entries in S slots, the new
 * one has 2S slots and sees at most S / LT_MIGRATE_STEP inserts meanwhile. */
int lt_index_grow(struct lt_index *x)
{
	uint32_t n = (x->mask + 1) * 2;
	uint64_t *s;

	if (x->old != NULL)
		lt_index_migrate(x, x->omask + 1);   /* cannot happen; stay correct */
	if (n == 0 || n > (1u << 31))
		return -ENOMEM;
	s = calloc(n, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	x->old = x->slots;
	x->omask = x->mask;
	x->mig = 0;
	x->slots = s;
	x->mask = n - 1;
	x->grow_at = (uint32_t)((uint64_t)n * 3 / 4);
	return 0;
}

/* Remove the slot holding lease `id`, filed under hash h32.  In the live
 * index shift the rest of the cluster back so no probe chain breaks; in
 * an old index being drained leave a tombstone. */
void lt_index_del(struct lt_index *x, uint32_t h32, uint32_t id)
{
	uint64_t want = (uint64_t)h32 << 32 | (id + 1);
	uint32_t i = h32 & x->mask, j;

	while (x->slots[i] != want) {
		if (x->slots[i] == 0)
			goto old;
		i = (i + 1) & x->mask;
	}
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & x->mask;
		if (x->slots[j] == 0)
			break;
		home = (uint32_t)(x->slots[j] >> 32) & x->mask;
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->slots[i] = 0;
	x->n--;
	return;

old:
	if (x->old == NULL)
		return;                    /* not indexed: nothing to do */
	for (i = h32 & x->omask; x->old[i] != 0; i = (i + 1) & x->omask) {
		if (x->old[i] == want) {
			x->old[i] = LT_TOMB;
			x->n--;
			return;
		}
	}
}

/* ---- expiry wheel ---- */

static inline uint32_t lt_due(const struct lt_core *c)
{
	return LT_SENT_BASE + c->wsize;
}

static inline uint32_t lt_expire_of(const struct lt_core *c, uint32_t id)
{
	return *(const uint32_t *)((const char *)lt_entry(c, id) + c->expire_off);
}

static void lt_link_after(struct lt_core *c, uint32_t at, uint32_t id)
{
	uint32_t n = *lt_next(c, at);

	*lt_next(c, id) = n;
	*lt_prev(c, id) = at;
	*lt_prev(c, n) = id;
	*lt_next(c, at) = id;
}

void lt_unlink(struct lt_core *c, uint32_t id)
{
	uint32_t p = *lt_prev(c, id), n = *lt_next(c, id);

	*lt_next(c, p) = n;
	*lt_prev(c, n) = p;
	*lt_prev(c, id) = LT_UNFILED;
	if (c->open && c->pos == id)
		c->pos = p;
	if (p == n && p >= LT_SENT_BASE && p < lt_due(c)) {
		uint32_t b = p - LT_SENT_BASE;

		c->wbits[b / 64] &= ~(1ULL << (b % 64));
	}
}

void lt_file(struct lt_core *c, uint32_t id, uint32_t expire)
{
	uint64_t e = expire;
	uint32_t b;

	if (expire == UINT32_MAX)
		return;                    /* infinite lease: never handed out */
	if (e < c->cur || (e == c->cur && c->open)) {
		lt_link_after(c, lt_due(c), id);
		return;
	}
	b = (uint32_t)(e & (c->wsize - 1));
	lt_link_after(c, LT_SENT_BASE + b, id);
	c->wbits[b / 64] |= 1ULL << (b % 64);
}

/* Skip empty buckets from `cur` on, at most up to `now`, with the bitmap;
 * spends one unit of *budget per word looked at (at least one word). */
static void lt_skip_empty(struct lt_core *c, uint32_t now, unsigned long *budget)
{
	uint64_t limit = (uint64_t)now - c->cur, skipped = 0;
	uint32_t b = (uint32_t)(c->cur & (c->wsize - 1));

	for (;;) {
		uint32_t off = b % 64;
		uint64_t bits = c->wbits[b / 64] >> off;

		if (*budget > 0)
			(*budget)--;
		if (bits != 0) {
			skipped += (uint64_t)__builtin_ctzll(bits);
			break;
		}
		skipped += 64 - off;
		b = (b + 64 - off) & (c->wsize - 1);
		if (skipped > limit || *budget == 0)
			break;
	}
	c->cur += skipped > limit ? limit + 1 : skipped;
}

/* Hand entry id to the table's expiry callback. */
static inline void lt_expired(const struct lt_core *c, uint32_t id, const struct lt_cb *cb)
{
	if (cb->expired4 != NULL)
		cb->expired4(&lt_entry(c, id)->v4, cb->arg);
	else
		cb->expired6(&lt_entry(c, id)->v6, cb->arg);
}

unsigned lt_expire(struct lt_core *c, uint32_t now, unsigned max, const struct lt_cb *cb)
{
	uint32_t due = lt_due(c);
	unsigned long budget = 64 + 4UL * max;
	/* Idle seconds are cheap to skip (a word of bitmap per 64): allow up
	 * to a whole revolution per call, so catching up after a pause or at
	 * the first call does not take many calls. */
	unsigned long words = c->wsize / 64 + 1;
	unsigned n = 0;

	if (max == 0)
		return 0;

	/* The due list holds leases that expired before `cur` (or at `cur`
	 * once its bucket is open); if the clock went back past that, wait. */
	if ((uint64_t)now + 1 >= c->cur + (c->open ? 1 : 0)) {
		while (n < max && budget > 0 && c->wnext[c->wsize] != due) {
			uint32_t id = c->wnext[c->wsize];
			uint32_t e = lt_expire_of(c, id);

			budget--;
			lt_unlink(c, id);
			if (e > now) {
				lt_file(c, id, e);   /* changed without a touch */
				continue;
			}
			lt_expired(c, id, cb);
			n++;
		}
	}

	/* Far behind (first call, or a long pause): one revolution from
	 * now - W + 1 visits every bucket, which is all that is needed. */
	if (c->cur + c->wsize <= now) {
		c->cur = (uint64_t)now - c->wsize + 1;
		c->open = false;
	}

	while (n < max && budget > 0 && c->cur <= now) {
		uint32_t sent = LT_SENT_BASE + (uint32_t)(c->cur & (c->wsize - 1));
		uint32_t id;

		if (!c->open) {
			if (c->wnext[sent - LT_SENT_BASE] == sent) {
				budget--;
				lt_skip_empty(c, now, &words);
				continue;
			}
			c->open = true;
			c->pos = sent;
		}
		budget--;
		id = *lt_next(c, c->pos);
		if (id == sent) {
			c->open = false;
			c->cur++;
			continue;
		}
		if (lt_expire_of(c, id) > now) {
			c->pos = id;               /* a later revolution */
			continue;
		}
		lt_unlink(c, id);
		lt_expired(c, id, cb);
		n++;
	}
	return n;
}

bool lt_expire_idle(const struct lt_core *c, uint32_t now)
{
	if (c->wnext[c->wsize] != lt_due(c) && (uint64_t)now + 1 >= c->cur + (c->open ? 1 : 0))
		return false;
	return c->cur > now;
}

int lt_foreach(struct lt_core *c, const struct lt_cb *cb)
{
	for (uint32_t id = 0; id < c->bump; id++) {
		union lt_entry *e = lt_entry(c, id);
		int rc;

		if (*lt_prev(c, id) == LT_FREE)
			continue;
		rc = cb->each4 != NULL ? cb->each4(&e->v4, cb->arg) : cb->each6(&e->v6, cb->arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- core ---- */

int lt_core_init(struct lt_core *c, const char *name, uint32_t capacity, size_t expire_off)
{
	uint32_t w;

	memset(c, 0, sizeof(*c));
	c->free_head = LT_NONE;
	if (capacity > LT_MAX_CAPACITY || expire_off > sizeof(union lt_entry) - sizeof(uint32_t))
		return -EINVAL;
	snprintf(c->name, sizeof(c->name), "%s", name != NULL ? name : "lease");
	c->expire_off = (uint32_t)expire_off;

	for (w = LT_WHEEL_MIN; w < LT_WHEEL_MAX && w < capacity; w *= 2)
		;
	c->wsize = w;
	c->wnext = malloc((w + 1) * sizeof(*c->wnext));
	c->wprev = malloc((w + 1) * sizeof(*c->wprev));
	c->wbits = calloc(w / 64, sizeof(*c->wbits));
	if (c->wnext == NULL || c->wprev == NULL || c->wbits == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i <= w; i++)
		c->wnext[i] = c->wprev[i] = LT_SENT_BASE + i;

	/* Map the slab for the expected leases now, not in the packet loop. */
	while ((uint64_t)c->nchunks * LT_PER_CHUNK < capacity)
		if (lt_chunk_add(c) < 0)
			return -ENOMEM;
	return 0;
}

void lt_core_fini(struct lt_core *c)
{
	for (uint32_t i = 0; i < c->names_nchunks; i++)
		free(c->names[i]);
	free(c->names);
	for (uint32_t i = 0; i < c->nchunks; i++)
		munmap(c->chunks[i], LT_CHUNK_BYTES);
	free(c->chunks);
	free(c->wnext);
	free(c->wprev);
	free(c->wbits);
	memset(c, 0, sizeof(*c));
}

size_t lt_core_memory(const struct lt_core *c)
{
	return (size_t)c->nchunks * LT_CHUNK_BYTES +
	       (size_t)c->chunks_cap * sizeof(*c->chunks) +
	       (size_t)(c->wsize + 1) * (sizeof(*c->wnext) + sizeof(*c->wprev)) +
	       (size_t)c->wsize / 8 +
	       c->ext_bytes +
	       (size_t)c->names_nchunks * (LT_NAMES_PER_CHUNK * LT_NAME_BYTES + sizeof(*c->names));
}

/* ==== the DHCPv4 table ==== */

struct lease_table {
	struct lt_core c;
	struct lt_index key;             /* client key (lease_key) -> lease */
	/* stamps (lease_table_restamp) */
	uint8_t stamp;
	void (*fresh)(struct lease4 *l, void *arg);
	void *fresh_arg;
};

static inline struct lease4 *lt4_lease(const struct lease_table *t, uint32_t id)
{
	return &lt_entry(&t->c, id)->v4;
}

/* A stale lease is brought up to date by the owner before anyone sees it
 * (out of line: it happens once per lease per reload). */
static __attribute__((noinline, cold)) void lt_refresh_one(struct lease_table *t, struct lease4 *l)
{
	if (t->fresh != NULL)
		t->fresh(l, t->fresh_arg);
	l->stamp = t->stamp;
}

static inline struct lease4 *lt_fresh(struct lease_table *t, struct lease4 *l)
{
	if (__builtin_expect(l != NULL && l->stamp != t->stamp, 0))
		lt_refresh_one(t, l);
	return l;
}

/* The expiry and foreach callbacks get fresh leases too. */
struct lt4_fresh_cb {
	struct lease_table *t;
	void (*expired)(struct lease4 *l, void *arg);
	int (*each)(struct lease4 *l, void *arg);
	void *arg;
};

static void lt4_expired_fresh(struct lease4 *l, void *arg)
{
	struct lt4_fresh_cb *x = arg;

	x->expired(lt_fresh(x->t, l), x->arg);
}

static int lt4_each_fresh(struct lease4 *l, void *arg)
{
	struct lt4_fresh_cb *x = arg;

	return x->each(lt_fresh(x->t, l), x->arg);
}

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

static uint32_t lt_lease_h32(const struct lease4 *l)
{
	struct lease_key k;

	lease_key_of(l, &k);
	return lt_h32(lease_key_hash(&k));
}

/* Copy a client-id into a lease, allocating when it does not fit inline. */
static int lt_cid_store(struct lease_table *t, struct lease4 *l, const uint8_t *cid, uint8_t len)
{
	return lt_bytes_store(&t->c, l->cid.inl, &l->cid.ext, &l->cid_len, LEASE_CID_INLINE, cid, len);
}

static struct lease4 *lt_find(struct lease_table *t, const struct lease_key *k, uint32_t h32)
{
	struct lt_probe p;
	uint32_t id;

	lt_probe_start(&p, &t->key, h32);
	while ((id = lt_probe_next(&p)) != LT_NONE) {
		struct lease4 *l = lt4_lease(t, id);

		if (lt_key_eq(l, k))
			return l;
	}
	return NULL;
}

struct lease_table *lease_table_create(const struct lease_table_params *p)
{
	struct lease_table *t;
	int rc;

	if (p == NULL || p->capacity > LT_MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rc = lt_index_init(&t->key, p->capacity);
	if (rc == 0)
		rc = lt_core_init(&t->c, p->name, p->capacity, offsetof(struct lease4, expire));
	if (rc < 0) {
		lease_table_free(t);
		errno = -rc;
		return NULL;
	}
	return t;
}

static int lt4_drop_cid(struct lease4 *l, void *arg)
{
	struct lease_table *t = arg;

	lt_bytes_drop(&t->c, &l->cid.ext, &l->cid_len, LEASE_CID_INLINE);
	return 0;
}

void lease_table_free(struct lease_table *t)
{
	if (t == NULL)
		return;
	lt_foreach(&t->c, &(struct lt_cb){ .each4 = lt4_drop_cid, .arg = t });
	lt_core_fini(&t->c);
	lt_index_fini(&t->key);
	free(t);
}

struct lease4 *lease_table_lookup_h(struct lease_table *t, const struct lease_key *k, uint64_t hash)
{
	return lt_fresh(t, lt_find(t, k, lt_h32(hash)));
}

struct lease4 *lease_table_lookup(struct lease_table *t, const struct lease_key *k)
{
	if (!lt_key_valid(k))
		return NULL;
	return lease_table_lookup_h(t, k, lease_key_hash(k));
}

struct lease4 *lease_table_insert(struct lease_table *t, const struct lease_key *k, bool *existed)
{
	if (!lt_key_valid(k)) {
		errno = EINVAL;
		return NULL;
	}
	return lease_table_insert_h(t, k, lease_key_hash(k), existed);
}

struct lease4 *lease_table_insert_h(struct lease_table *t, const struct lease_key *k, uint64_t hash,
				    bool *existed)
{
	struct lease4 *l;
	uint32_t h32, id;

	h32 = lt_h32(hash);
	l = lt_find(t, k, h32);
	if (existed != NULL)
		*existed = l != NULL;
	if (l != NULL)
		return lt_fresh(t, l);

	if (lt_index_reserve(&t->key) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	id = lt_slab_get(&t->c);
	if (id == LT_NONE) {
		errno = ENOMEM;
		return NULL;
	}
	l = lt4_lease(t, id);
	l->key_kind = k->kind;
	l->stamp = t->stamp;
	switch (k->kind) {
	case LEASE_KEY_CLIENT_ID:
		if (lt_cid_store(t, l, k->data, k->len) < 0) {
			lt_slab_put(&t->c, id);
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
	lt_index_add(&t->key, h32, id);
	lt_count_set(&t->c, t->c.count + 1);
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
	lt_index_del(&t->key, old_h32, id);
	lt_index_add(&t->key, h32, id);
	return 0;
}

int lease_table_set_hostname(struct lease_table *t, struct lease4 *l, const char *name, size_t len)
{
	return lt_name_set(&t->c, &l->name, name, len);
}

const char *lease_table_hostname(const struct lease_table *t, const struct lease4 *l)
{
	return lt_name_get(&t->c, l->name);
}

void lease_table_remove(struct lease_table *t, struct lease4 *l)
{
	uint32_t id = lt_id(l);

	lt_index_del(&t->key, lt_lease_h32(l), id);
	lt_release(&t->c, id, &l->cid.ext, &l->cid_len, LEASE_CID_INLINE, &l->name);
}

uint32_t lease_table_id(const struct lease_table *t, const struct lease4 *l)
{
	(void)t;
	return lt_id(l);
}

struct lease4 *lease_table_at(struct lease_table *t, uint32_t id)
{
	if (id >= t->c.bump || *lt_prev(&t->c, id) == LT_FREE)
		return NULL;
	return lt_fresh(t, lt4_lease(t, id));
}

void lease_table_touch(struct lease_table *t, struct lease4 *l)
{
	lt_touch(&t->c, lt_id(l), l->expire);
}

unsigned lease_table_expire(struct lease_table *t, uint32_t now, unsigned max,
			    void (*cb)(struct lease4 *l, void *arg), void *arg)
{
	struct lt4_fresh_cb x = { .t = t, .expired = cb, .arg = arg };

	return lt_expire(&t->c, now, max, &(struct lt_cb){ .expired4 = lt4_expired_fresh, .arg = &x });
}

bool lease_table_expire_idle(const struct lease_table *t, uint32_t now)
{
	return lt_expire_idle(&t->c, now);
}

int lease_table_foreach(struct lease_table *t, int (*cb)(struct lease4 *l, void *arg), void *arg)
{
	struct lt4_fresh_cb x = { .t = t, .each = cb, .arg = arg };

	return lt_foreach(&t->c, &(struct lt_cb){ .each4 = lt4_each_fresh, .arg = &x });
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
	for (; id < t->c.bump && max > 0; id++, max--)
		if (*lt_prev(&t->c, id) != LT_FREE)
			lt_fresh(t, lt4_lease(t, id));
	*cursor = id;
	return id >= t->c.bump;
}

uint32_t lease_table_count(const struct lease_table *t)
{
	return lt_count(&t->c);
}

size_t lease_table_memory(const struct lease_table *t)
{
	return sizeof(*t) + lt_index_memory(&t->key) + lt_core_memory(&t->c);
}
