/* DHCPv6 address and prefix allocator (see alloc6.h).
 *
 * A pool numbers its units 0..span from `first` (the unit offset); every
 * call turns an address into an offset (lease_addr6_offset_prefixes) and
 * back (lease_addr6_add_prefixes).  Up to 2^24 units the offsets live in
 * alloc.c's bitmap; above that in the set below.
 *
 * ---- The sparse set ----
 *
 * Open addressing with linear probing over C slots, C a power of two at
 * least 2 * max_used.  A slot is 16 bytes: the key (offset + 1, 0 = never
 * written), a state word (FREE or USED) and the owner reference.  At most
 * C / 2 keys are ever written (the `keys` budget), so the load stays at or
 * below 0.5 and a probe ends at an empty slot within a few slots (2.5 on
 * average for a key that is absent at load 0.5).  The one offset whose
 * key would be 0 (2^64 - 1, the last unit of a /64 of addresses) has a
 * slot of its own beside the table (`spare`).
 *
 * A key, once written, stays in its slot for the life of the set; a
 * release only flips the state back to FREE.  Two consequences:
 *  - each key is in at most one slot, so the unit's state word is the
 *    single source of truth and a claim is one compare-and-swap on it;
 *  - probes never meet a hole, so readers need no tombstones, no retries
 *    and no grace period.
 *
 * Why one slot per key, with no lock: an insert of k walks the probe
 * sequence from k's home slot and writes k only by CAS(key: 0 -> k+1) at
 * the first slot it finds empty; a failed CAS returns the slot's value and
 * the walk goes on from there (or stops if that value is k).  A slot's key
 * goes from 0 to its final value once and never changes after, so all
 * threads agree on every slot's final value (coherence of a single atomic
 * location, nothing more).  A thread passes a slot only after seeing its
 * final value and that it is not k.  So if k ended up in two slots j1
 * before j2 on its sequence, whoever wrote j2 passed j1 having seen a
 * final value that is not k: a contradiction.  Two threads inserting the
 * same new key at once therefore race on the same first empty slot: one
 * CAS wins, the other fails, reads k and uses the same slot.  They then
 * race again on that slot's state (CAS FREE -> USED): exactly one becomes
 * the holder; the other gets -EBUSY (claim) or tries its next candidate
 * (take).  No interleaving leaves both believing they hold the unit.
 *
 * Memory orders: the key CAS is acq_rel and key loads are acquire, though
 * the argument above needs only coherence; nothing is published through
 * the key.  The state CAS FREE -> USED is acquire and a release stores
 * FREE with release order, so whatever the previous holder wrote before
 * letting go (its reference, the caller's own per-unit data) happens
 * before the next holder's reads: the same hand-over as a mutex.  The
 * owner reference itself is relaxed, as in alloc.c: the holder writes it,
 * readers check alloc6_in_use first.  The `keys` budget is a relaxed
 * counter (a quantity, not a publication): reserved by fetch-add before
 * the key CAS, given back when the CAS loses or the budget is spent, so
 * at most C / 2 keys are ever written and every probe meets an empty slot.
 * Near the limit two racing inserts can both be refused for a moment
 * (each sees the other's reservation): a spurious -ENOSPC at the very
 * edge, never an overshoot.
 *
 * The budget counter is the only shared write that is not the unit's own
 * slot: one fetch-add per new key (a unit no client used before), on a
 * cache line of its own; re-using a written key costs nothing there.  No
 * used-count is kept: alloc6_used scans (control thread).
 *
 * take: candidates are hash(hint, attempt) reduced over the pool (16
 * attempts); a candidate is looked up, written if absent, then grabbed by
 * the state CAS.  Candidate 0 of a hint is always the same unit, so a
 * client that comes back after a release gets its unit again if free.
 * A /64 of addresses is so much larger than what is in use that candidate
 * 0 is virtually always free; in a smaller sparse pool that is mostly in
 * use, candidates miss like Kea's random allocator does (it draws from a
 * per-pool Fisher-Yates permutation behind a mutex instead).  When every
 * candidate misses, or as soon as one cannot be written (the budget is
 * spent), take walks up to SCAN_MAX slots from the worker's cursor for a
 * written key whose state is FREE and grabs that unit.
 *
 * Degradation and recovery: released keys keep their slots, so over a
 * long uptime `keys` climbs towards C / 2 with every distinct unit ever
 * used.  Once the budget is spent no new unit can be introduced: take
 * still succeeds by re-using released units (the cursor walk: a client
 * gets its hint's unit only if that unit has a key already), while
 * alloc6_claim of a unit never used before returns -ENOSPC even though
 * few are in use.  The pool
 * recovers by alloc6_copy_in_use into a fresh pool of the same params
 * (only what is in use is written there), which the runtime can do at
 * reload or as a compaction when alloc6_slots_written() nears
 * alloc6_capacity().  Probes never get longer than at load 0.5.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc6.h"

#define BITMAP_MAX      ALLOC6_BITMAP_MAX
#define MAX_USED_LIMIT  (1u << 30)      /* C <= 2^31 slots (32 GiB) */
#define ATTEMPTS        16              /* hashed candidates per take */
#define SCAN_MAX        256             /* slots walked for a released key: 4 KiB */
#define LINE            64

enum { SLOT_FREE = 0, SLOT_USED = 1 };

struct slot6 {
	_Atomic uint64_t key;           /* offset + 1; 0 = never written */
	_Atomic uint32_t state;         /* SLOT_FREE / SLOT_USED */
	_Atomic uint32_t ref;           /* owner reference (alloc6_set_ref) */
};

struct alloc6_pool {
	struct lease_addr6 first, last;
	uint64_t span;                  /* units - 1 */
	uint8_t unit_len;
	struct alloc_pool *bits;        /* bitmap pools; NULL for sparse ones */
	struct slot6 *slot;             /* sparse: C slots */
	uint64_t mask;                  /* C - 1 */
	uint64_t max_keys;              /* keys budget: min(C / 2, units) */
	struct slot6 spare;             /* the offset 2^64 - 1 */
	/* keys written or reserved; its own cache line (the struct's size
	 * is a multiple of its alignment) */
	alignas(LINE) _Atomic uint64_t keys;
};

#ifdef ALLOC6_STATS
struct alloc6_stats alloc6_stats;
#define STAT(field, n) (alloc6_stats.field += (n))
#else
#define STAT(field, n) ((void)0)
#endif

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The hint's attempt-th candidate offset, uniform over the pool
 * (multiply-high reduction: no division, bias under 2^-40). */
static uint64_t candidate(const struct alloc6_pool *p, uint64_t hint, unsigned attempt)
{
	uint64_t h = mix64(hint + (attempt + 1) * 0x9e3779b97f4a7c15ULL);

	if (p->span == UINT64_MAX)
		return h;
	return (uint64_t)(((unsigned __int128)h * (p->span + 1)) >> 64);
}

/* a's offset in p: 0, or -ERANGE outside the pool or not a unit start. */
static int unit_off(const struct alloc6_pool *p, struct lease_addr6 a, uint64_t *off)
{
	if (lease_addr6_cmp(a, p->first) < 0 || lease_addr6_cmp(a, p->last) > 0 ||
	    !lease_addr6_eq(lease_addr6_mask(a, p->unit_len), a))
		return -ERANGE;
	return lease_addr6_offset_prefixes(p->first, a, p->unit_len, off);
}

static struct lease_addr6 unit_addr(const struct alloc6_pool *p, uint64_t off)
{
	struct lease_addr6 a = p->first;

	lease_addr6_add_prefixes(&a, off, p->unit_len);   /* off <= span: fits */
	return a;
}

struct alloc6_pool *alloc6_pool_create(const struct alloc6_params *prm)
{
	struct alloc6_pool *p;
	uint64_t span, want, c = 64;

	if (prm == NULL || prm->unit_len == 0 || prm->unit_len > 128 ||
	    lease_addr6_cmp(prm->first, prm->last) > 0 ||
	    !lease_addr6_eq(lease_addr6_mask(prm->first, prm->unit_len), prm->first) ||
	    !lease_addr6_eq(lease_addr6_mask(prm->last, prm->unit_len), prm->last) ||
	    lease_addr6_offset_prefixes(prm->first, prm->last, prm->unit_len, &span) != 0 ||
	    prm->max_used > MAX_USED_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	p = aligned_alloc(LINE, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->first = prm->first;
	p->last = prm->last;
	p->span = span;
	p->unit_len = prm->unit_len;
	if (span < BITMAP_MAX) {
		p->bits = alloc_pool_create(0, (uint32_t)span);
		if (p->bits == NULL)
			goto err;
		return p;
	}
	want = prm->max_used ? prm->max_used : ALLOC6_DEFAULT_MAX_USED;
	if (want > span)
		want = span + 1;                /* never more than the units */
	while (c < 2 * want)
		c *= 2;
	p->slot = calloc(c, sizeof(*p->slot));  /* pages stay untouched until used */
	if (p->slot == NULL)
		goto err;
	p->mask = c - 1;
	p->max_keys = span < c / 2 ? span + 1 : c / 2;
	return p;
err:
	free(p);
	errno = ENOMEM;
	return NULL;
}

void alloc6_pool_free(struct alloc6_pool *p)
{
	if (p == NULL)
		return;
	alloc_pool_free(p->bits);
	free(p->slot);
	free(p);
}

/* ---- the sparse set (see the top of the file) ---- */

/* k's slot; with `add`, written when absent if the budget allows.  NULL:
 * absent (and, with add, no budget left).  The walk always ends: at most
 * C / 2 keys are written, so an empty slot is never more than C / 2 away. */
static struct slot6 *find_slot(struct alloc6_pool *p, uint64_t k, bool add)
{
	uint64_t want = k + 1, i;

	if (want == 0)
		return &p->spare;
	for (i = mix64(k) & p->mask;; i = (i + 1) & p->mask) {
		uint64_t v = atomic_load_explicit(&p->slot[i].key, memory_order_acquire);

		STAT(probes, 1);
		if (v == want)
			return &p->slot[i];
		if (v != 0)
			continue;
		if (!add)
			return NULL;
		/* A spent budget is read, not written: a saturated set does not
		 * make every take bounce the counter's line. */
		if (atomic_load_explicit(&p->keys, memory_order_relaxed) >= p->max_keys)
			return NULL;
		if (atomic_fetch_add_explicit(&p->keys, 1, memory_order_relaxed) >= p->max_keys) {
			atomic_fetch_sub_explicit(&p->keys, 1, memory_order_relaxed);
			return NULL;
		}
		if (atomic_compare_exchange_strong_explicit(&p->slot[i].key, &v, want,
							    memory_order_acq_rel,
							    memory_order_acquire))
			return &p->slot[i];
		/* Lost the slot: v is its final key. */
		atomic_fetch_sub_explicit(&p->keys, 1, memory_order_relaxed);
		if (v == want)
			return &p->slot[i];
	}
}

/* Become the holder of s's unit: the one CAS that makes a claim exclusive. */
static bool slot_grab(struct slot6 *s)
{
	uint32_t st = SLOT_FREE;

	if (atomic_load_explicit(&s->state, memory_order_relaxed) != SLOT_FREE)
		return false;               /* read only: no write to a held slot */
	return atomic_compare_exchange_strong_explicit(&s->state, &st, SLOT_USED,
						       memory_order_acquire,
						       memory_order_relaxed);
}

/* A released key from the worker's cursor on: its offset, or -1.  (Not
 * the spare: it is outside the budget, reached by a claim or by a
 * candidate that is exactly 2^64 - 1.) */
static int64_t reuse_scan(struct alloc6_pool *p, uint64_t *cursor, uint64_t *off)
{
	uint64_t i = *cursor & p->mask;

	for (unsigned n = 0; n < SCAN_MAX; n++, i = (i + 1) & p->mask) {
		uint64_t v = atomic_load_explicit(&p->slot[i].key, memory_order_acquire);

		STAT(scanned, 1);
		if (v != 0 && slot_grab(&p->slot[i])) {
			*off = v - 1;
			*cursor = i + 1;
			return 0;
		}
	}
	*cursor = i;
	return -1;
}

static int sparse_take(struct alloc6_pool *p, uint64_t hint, uint64_t *cursor, uint64_t *off)
{
	for (unsigned i = 0; i < ATTEMPTS; i++) {
		uint64_t k = candidate(p, hint, i);
		struct slot6 *s = find_slot(p, k, true);

		STAT(candidates, 1);
		if (s != NULL && slot_grab(s)) {
			*off = k;
			return 0;
		}
		/* Not written: the budget is spent, the other candidates would
		 * fail the same way (bar one that lands on a released key, which
		 * the walk finds directly). */
		if (s == NULL)
			break;
	}
	return reuse_scan(p, cursor, off) == 0 ? 0 : -ENOSPC;
}

/* ---- the API: offsets to the bitmap or the set ---- */

static int claim_off(struct alloc6_pool *p, uint64_t off)
{
	struct slot6 *s;

	if (p->bits != NULL)
		return alloc_claim(p->bits, (uint32_t)off);
	s = find_slot(p, off, true);
	if (s == NULL)
		return -ENOSPC;
	return slot_grab(s) ? 0 : -EBUSY;
}

int alloc6_take(struct alloc6_pool *p, uint64_t hint, uint64_t *cursor, struct lease_addr6 *out)
{
	uint64_t off;

	STAT(takes, 1);
	if (p->bits != NULL) {
		/* The hint's unit when it is free (a client tends to get the
		 * same one back, as in a sparse pool; one read of one word when
		 * it is not), else the worker's own scan as in v4. */
		uint32_t c, o;

		off = candidate(p, hint, 0);
		if (!alloc_in_use(p->bits, (uint32_t)off) && alloc_claim(p->bits, (uint32_t)off) == 0) {
			STAT(hint_hits, 1);
			goto found;
		}
		c = (uint32_t)(*cursor % (p->span + 1));
		if (alloc_take(p->bits, &c, &o) != 0)
			return -ENOSPC;
		*cursor = c;
		off = o;
	} else if (sparse_take(p, hint, cursor, &off) != 0) {
		return -ENOSPC;
	}
found:
	*out = unit_addr(p, off);
	return 0;
}

int alloc6_claim(struct alloc6_pool *p, struct lease_addr6 a)
{
	uint64_t off;

	if (unit_off(p, a, &off) != 0)
		return -ERANGE;
	return claim_off(p, off);
}

void alloc6_release(struct alloc6_pool *p, struct lease_addr6 a)
{
	struct slot6 *s;
	uint64_t off;

	if (unit_off(p, a, &off) != 0)
		return;
	if (p->bits != NULL) {
		alloc_release(p->bits, (uint32_t)off);
		return;
	}
	s = find_slot(p, off, false);
	if (s != NULL)
		atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
}

bool alloc6_in_use(const struct alloc6_pool *p, struct lease_addr6 a)
{
	struct slot6 *s;
	uint64_t off;

	if (unit_off(p, a, &off) != 0)
		return false;
	if (p->bits != NULL)
		return alloc_in_use(p->bits, (uint32_t)off);
	s = find_slot((struct alloc6_pool *)p, off, false);
	return s != NULL && atomic_load_explicit(&s->state, memory_order_acquire) == SLOT_USED;
}

bool alloc6_contains(const struct alloc6_pool *p, struct lease_addr6 a)
{
	uint64_t off;

	return unit_off(p, a, &off) == 0;
}

bool alloc6_is_sparse(const struct alloc6_pool *p)
{
	return p->bits == NULL;
}

uint64_t alloc6_size(const struct alloc6_pool *p)
{
	return p->span == UINT64_MAX ? UINT64_MAX : p->span + 1;
}

uint64_t alloc6_capacity(const struct alloc6_pool *p)
{
	return p->bits != NULL ? p->span + 1 : p->max_keys;
}

uint64_t alloc6_slots_written(const struct alloc6_pool *p)
{
	if (p->bits != NULL)
		return alloc_used(p->bits);
	return atomic_load_explicit(&((struct alloc6_pool *)p)->keys, memory_order_relaxed);
}

uint64_t alloc6_used(const struct alloc6_pool *p)
{
	uint64_t n = 0;

	if (p->bits != NULL)
		return alloc_used(p->bits);
	for (uint64_t i = 0; i <= p->mask; i++)
		n += atomic_load_explicit(&p->slot[i].state, memory_order_relaxed) == SLOT_USED;
	return n + (atomic_load_explicit(&p->spare.state, memory_order_relaxed) == SLOT_USED);
}

/* The holder's reference: its unit is in the set (written by its claim). */
static void set_ref_off(struct alloc6_pool *p, uint64_t off, uint32_t ref)
{
	struct slot6 *s;

	if (p->bits != NULL) {
		alloc_set_ref(p->bits, (uint32_t)off, ref);
		return;
	}
	s = find_slot(p, off, false);
	if (s != NULL)
		atomic_store_explicit(&s->ref, ref, memory_order_relaxed);
}

void alloc6_set_ref(struct alloc6_pool *p, struct lease_addr6 a, uint32_t ref)
{
	uint64_t off;

	if (unit_off(p, a, &off) == 0)
		set_ref_off(p, off, ref);
}

uint32_t alloc6_ref(const struct alloc6_pool *p, struct lease_addr6 a)
{
	struct slot6 *s;
	uint64_t off;

	if (unit_off(p, a, &off) != 0)
		return 0;
	if (p->bits != NULL)
		return alloc_ref(p->bits, (uint32_t)off);
	s = find_slot((struct alloc6_pool *)p, off, false);
	return s != NULL ? atomic_load_explicit(&s->ref, memory_order_relaxed) : 0;
}

/* One slot of the walk: cb's value if it stops. */
static int visit_slot(const struct alloc6_pool *p, const struct slot6 *s, uint64_t off,
		      int (*cb)(struct lease_addr6 a, uint32_t ref, void *arg), void *arg)
{
	if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_USED)
		return 0;
	return cb(unit_addr(p, off), atomic_load_explicit(&s->ref, memory_order_relaxed), arg);
}

int alloc6_foreach_used(const struct alloc6_pool *p,
			int (*cb)(struct lease_addr6 a, uint32_t ref, void *arg), void *arg)
{
	int rc;

	if (p->bits != NULL) {
		for (int64_t o = alloc_next_used(p->bits, 0); o >= 0;
		     o = o < (int64_t)p->span ? alloc_next_used(p->bits, (uint32_t)o + 1) : -1) {
			rc = cb(unit_addr(p, (uint64_t)o), alloc_ref(p->bits, (uint32_t)o), arg);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	for (uint64_t i = 0; i <= p->mask; i++) {
		uint64_t v = atomic_load_explicit(&p->slot[i].key, memory_order_acquire);

		if (v != 0 && (rc = visit_slot(p, &p->slot[i], v - 1, cb, arg)) != 0)
			return rc;
	}
	return p->span == UINT64_MAX ? visit_slot(p, &p->spare, UINT64_MAX, cb, arg) : 0;
}

/* ---- live reconfiguration and compaction ---- */

struct copy_ctx {
	struct alloc6_pool *dst;
	unsigned src_len;               /* src's unit_len */
	bool (*skip)(struct lease_addr6 a, void *arg);
	void *arg;
	uint64_t marked;
};

/* Mark dst's unit off as held, with src's reference: once its claim
 * succeeded the copy is that unit's holder, so the reference it writes
 * is nobody else's.  -ENOSPC (stops the walk) when dst's set is full. */
static int copy_mark(struct copy_ctx *x, uint64_t off, uint32_t ref)
{
	int rc = claim_off(x->dst, off);

	if (rc == 0) {
		x->marked++;
		set_ref_off(x->dst, off, ref);
	}
	return rc == -ENOSPC ? rc : 0;
}

/* src's unit a marks every dst unit it overlaps: the one that holds it
 * when dst's units are as long or longer, else each one it covers (a /56
 * in use keeps all its /60s out of a pool re-cut into /60s). */
static int copy_one(struct lease_addr6 a, uint32_t ref, void *arg)
{
	struct copy_ctx *x = arg;
	const struct alloc6_pool *d = x->dst;
	struct lease_addr6 end, m;
	uint64_t o = 0, o_end = 0;
	int rc;

	if (x->skip != NULL && x->skip(a, x->arg))
		return 0;
	if (x->src_len >= d->unit_len)
		return unit_off(d, lease_addr6_mask(a, d->unit_len), &o) == 0 ? copy_mark(x, o, ref) : 0;
	m = lease_addr6_mask((struct lease_addr6){ ~0ULL, ~0ULL }, x->src_len);
	end = (struct lease_addr6){ a.hi | ~m.hi, a.lo | ~m.lo };
	if (lease_addr6_cmp(end, d->first) < 0 || lease_addr6_cmp(a, d->last) > 0)
		return 0;
	if (lease_addr6_cmp(a, d->first) < 0)
		a = d->first;
	if (lease_addr6_cmp(end, d->last) > 0)
		end = d->last;
	lease_addr6_offset_prefixes(d->first, a, d->unit_len, &o);
	lease_addr6_offset_prefixes(d->first, end, d->unit_len, &o_end);
	for (;; o++) {
		if ((rc = copy_mark(x, o, ref)) != 0)
			return rc;
		if (o == o_end)
			return 0;
	}
}

uint64_t alloc6_copy_in_use(struct alloc6_pool *dst, const struct alloc6_pool *src,
			    bool (*skip)(struct lease_addr6 a, void *arg), void *arg)
{
	struct copy_ctx x = { .dst = dst, .src_len = src->unit_len, .skip = skip, .arg = arg };

	alloc6_foreach_used(src, copy_one, &x);
	return x.marked;
}
