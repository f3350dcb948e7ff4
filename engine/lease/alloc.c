/* Address allocator: a three-level atomic bitmap per pool, shared by workers.
 *
 * Level 0 (`word`): bit i set = address first + i is in use.  The bits past
 * the end of the pool in the last word are set at creation so they are
 * never handed out (alloc_used subtracts them).
 *
 * Level 1 (`sum`): bit w set = word w probably has a free bit.
 * Level 2 (`top`): bit s set = sum word s probably is not zero.
 * With 2^24 addresses that is 262144 words, 4096 summary words and 64 top
 * words, so even a full pool answers -ENOSPC after 64 loads, and a nearly
 * full one finds its last free addresses without walking the bitmap.
 *
 * The upper levels are hints for the scan, but they must never say "full"
 * for something that has a free bit once things are quiet, or a nearly
 * full pool would report -ENOSPC while it still has addresses.  Between
 * each level and the one above, two rules give that:
 *  - whoever sees a child full clears its bit above, then re-reads the
 *    child; if a bit was freed meanwhile it sets the bit above again;
 *  - whoever makes a full child not full (old value FULL, or 0 for a
 *    summary word) sets the bit above.
 * With sequentially consistent RMWs, either that set comes after the clear
 * (bit ends set), or the re-read comes after the release (it sees the free
 * bit and sets it again).  A stale "not full" is harmless: the scan finds
 * the child full, clears the bit, goes on.
 *
 * No counters are written per call: the only shared writes are the bit
 * being taken and, once per 64 takes, a summary bit.  Each worker starts
 * at its own cursor, so workers mostly touch different cache lines.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define ALLOC_MAX_SIZE (1u << 24)
#define ALLOC_LINE 64
#define WORD_FULL UINT64_MAX

struct alloc_pool {
	uint32_t first;
	uint32_t last;
	uint32_t size;           /* last - first + 1 */
	uint32_t nwords;         /* ceil(size / 64) */
	uint32_t nsum;           /* ceil(nwords / 64) */
	uint32_t ntop;           /* ceil(nsum / 64) */
	uint32_t pad_bits;       /* bits set past the end of the last word */
	_Atomic uint64_t *top;   /* ntop words */
	_Atomic uint64_t *sum;   /* nsum words */
	_Atomic uint64_t *word;  /* nwords words, cache-line aligned */
	_Atomic uint32_t *ref;   /* size words: owner references (alloc.h) */
};

/* Unit tests only: called when a word is seen full, before its summary
 * bit is cleared, so a test can release a bit inside that window. */
void (*alloc_test_hook_full)(struct alloc_pool *p, uint32_t addr);

static size_t round_line(size_t n)
{
	return (n + ALLOC_LINE - 1) & ~(size_t)(ALLOC_LINE - 1);
}

struct alloc_pool *alloc_pool_create(uint32_t first, uint32_t last)
{
	struct alloc_pool *p;
	uint64_t size;
	size_t hdr, top_sz, sum_sz, word_sz;
	uint32_t w, s, rem;

	if (first > last) {
		errno = EINVAL;
		return NULL;
	}
	size = (uint64_t)last - first + 1;
	if (size > ALLOC_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}

	/* One block: header, top, summary, words, each on its own cache
	 * lines so the read-mostly header never shares a line with written
	 * bits. */
	w = (uint32_t)((size + 63) / 64);
	s = (w + 63) / 64;
	hdr = round_line(sizeof(*p));
	top_sz = round_line(((s + 63) / 64) * sizeof(uint64_t));
	sum_sz = round_line(s * sizeof(uint64_t));
	word_sz = round_line(w * sizeof(uint64_t));
	p = aligned_alloc(ALLOC_LINE, hdr + top_sz + sum_sz + word_sz);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, hdr + top_sz + sum_sz + word_sz);
	p->first = first;
	p->last = last;
	p->size = (uint32_t)size;
	p->nwords = w;
	p->nsum = s;
	p->ntop = (s + 63) / 64;
	p->top = (_Atomic uint64_t *)((char *)p + hdr);
	p->sum = (_Atomic uint64_t *)((char *)p + hdr + top_sz);
	p->word = (_Atomic uint64_t *)((char *)p + hdr + top_sz + sum_sz);
	/* Apart, and calloc'd: a big pool's pages stay untouched (and
	 * unallocated) until an address in them is used. */
	p->ref = calloc(p->size, sizeof(*p->ref));
	if (p->ref == NULL) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}

	rem = p->size % 64;
	if (rem != 0) {
		p->pad_bits = 64 - rem;
		atomic_store_explicit(&p->word[w - 1], WORD_FULL << rem, memory_order_relaxed);
	}
	for (uint32_t i = 0; i < w; i++)
		atomic_fetch_or_explicit(&p->sum[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	for (uint32_t i = 0; i < s; i++)
		atomic_fetch_or_explicit(&p->top[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return p;
}

void alloc_pool_free(struct alloc_pool *p)
{
	if (p == NULL)
		return;
	free(p->ref);
	free(p);
}

/* Sum word s was seen zero: clear its top bit, undo if refilled since. */
static void top_mark_empty(struct alloc_pool *p, uint32_t s)
{
	uint64_t bit = 1ULL << (s % 64);

	if (!(atomic_load(&p->top[s / 64]) & bit))
		return;
	atomic_fetch_and(&p->top[s / 64], ~bit);
	if (atomic_load(&p->sum[s]) != 0)
		atomic_fetch_or(&p->top[s / 64], bit);
}

/* Word w has (or may have) a free bit again. */
static void sum_mark_free(struct alloc_pool *p, uint32_t w)
{
	uint32_t s = w / 64;

	if (atomic_fetch_or(&p->sum[s], 1ULL << (w % 64)) == 0)
		atomic_fetch_or(&p->top[s / 64], 1ULL << (s % 64));
}

/* Word w was seen full: clear its summary bit, then undo that if a bit was
 * released in between (see the top of the file). */
static void sum_mark_full(struct alloc_pool *p, uint32_t w)
{
	uint32_t s = w / 64;
	uint64_t bit = 1ULL << (w % 64), old;

	if (alloc_test_hook_full != NULL)
		alloc_test_hook_full(p, p->first + w * 64);
	/* Already clear: whoever cleared it did the re-read.  Checking first
	 * keeps a scan over full words from writing shared lines. */
	if (!(atomic_load(&p->sum[s]) & bit))
		return;
	old = atomic_fetch_and(&p->sum[s], ~bit);
	if ((old & ~bit) == 0)
		top_mark_empty(p, s);
	if (atomic_load(&p->word[w]) != WORD_FULL)
		sum_mark_free(p, w);
}

/* Take a free bit of word w, preferring bits at or above `from`.  The bit
 * index within the word, or -1 if the word is full. */
static int take_in_word(struct alloc_pool *p, uint32_t w, unsigned from)
{
	uint64_t v = atomic_load_explicit(&p->word[w], memory_order_relaxed);

	for (;;) {
		uint64_t free_bits = ~v, pick;
		int b;

		if (free_bits == 0) {
			sum_mark_full(p, w);
			return -1;
		}
		pick = free_bits & (WORD_FULL << from);
		b = __builtin_ctzll(pick != 0 ? pick : free_bits);
		/* On failure v is reloaded and we pick again. */
		if (atomic_compare_exchange_weak(&p->word[w], &v, v | (1ULL << b))) {
			if ((v | (1ULL << b)) == WORD_FULL)
				sum_mark_full(p, w);
			return b;
		}
	}
}

/* Bits of the 64-bit word covering indices [base, base + 64) that fall
 * in [lo, hi]. */
static inline uint64_t range_mask(uint32_t base, uint32_t lo, uint32_t hi)
{
	uint64_t m = WORD_FULL;

	if (lo > base)
		m &= WORD_FULL << (lo - base);
	if (hi < base + 63)
		m &= WORD_FULL >> (63 - (hi - base));
	return m;
}

/* Take a free bit in words [lo, hi], walking down from the top level.
 * The bit index in the pool, or -1. */
static int64_t take_in_range(struct alloc_pool *p, uint32_t lo, uint32_t hi)
{
	uint32_t slo = lo / 64, shi = hi / 64;

	for (uint32_t tw = slo / 64; tw <= shi / 64; tw++) {
		uint64_t tb = atomic_load_explicit(&p->top[tw], memory_order_relaxed) &
			      range_mask(tw * 64, slo, shi);

		while (tb != 0) {
			uint32_t s = tw * 64 + (uint32_t)__builtin_ctzll(tb);
			uint64_t sb = atomic_load_explicit(&p->sum[s], memory_order_relaxed) &
				      range_mask(s * 64, lo, hi);

			tb &= tb - 1;
			if (sb == 0 && atomic_load_explicit(&p->sum[s], memory_order_relaxed) == 0)
				top_mark_empty(p, s);
			while (sb != 0) {
				uint32_t w = s * 64 + (uint32_t)__builtin_ctzll(sb);
				int b;

				sb &= sb - 1;
				b = take_in_word(p, w, 0);
				if (b >= 0)
					return (int64_t)w * 64 + b;
			}
		}
	}
	return -1;
}

int alloc_take(struct alloc_pool *p, uint32_t *cursor, uint32_t *addr)
{
	uint32_t c = *cursor < p->size ? *cursor : *cursor % p->size;
	uint32_t w0 = c / 64;
	int64_t i;
	int b;

	/* Fast path: the cursor's own word, without reading the summary. */
	b = take_in_word(p, w0, c % 64);
	if (b >= 0) {
		i = (int64_t)w0 * 64 + b;
		goto found;
	}
	/* Then the words after it, then the ones before (wrapping). */
	i = w0 + 1 < p->nwords ? take_in_range(p, w0 + 1, p->nwords - 1) : -1;
	if (i < 0)
		i = take_in_range(p, 0, w0);
	if (i < 0)
		return -ENOSPC;

found:
	*addr = p->first + (uint32_t)i;
	*cursor = (uint32_t)i + 1 < p->size ? (uint32_t)i + 1 : 0;
	return 0;
}

int alloc_claim(struct alloc_pool *p, uint32_t addr)
{
	uint32_t i, w;
	uint64_t bit, old;

	if (!alloc_contains(p, addr))
		return -ERANGE;
	i = addr - p->first;
	w = i / 64;
	bit = 1ULL << (i % 64);
	old = atomic_fetch_or(&p->word[w], bit);
	if (old & bit)
		return -EBUSY;
	if ((old | bit) == WORD_FULL)
		sum_mark_full(p, w);
	return 0;
}

void alloc_release(struct alloc_pool *p, uint32_t addr)
{
	uint32_t i, w;
	uint64_t bit, old;

	if (!alloc_contains(p, addr))
		return;
	i = addr - p->first;
	w = i / 64;
	bit = 1ULL << (i % 64);
	old = atomic_fetch_and(&p->word[w], ~bit);
	if (old == WORD_FULL)
		sum_mark_free(p, w);
}

bool alloc_in_use(const struct alloc_pool *p, uint32_t addr)
{
	uint32_t i;

	if (!alloc_contains(p, addr))
		return false;
	i = addr - p->first;
	return (atomic_load_explicit(&p->word[i / 64], memory_order_acquire) >> (i % 64)) & 1;
}

bool alloc_contains(const struct alloc_pool *p, uint32_t addr)
{
	return addr >= p->first && addr <= p->last;
}

uint32_t alloc_size(const struct alloc_pool *p)
{
	return p->size;
}

void alloc_set_ref(struct alloc_pool *p, uint32_t addr, uint32_t ref)
{
	if (alloc_contains(p, addr))
		atomic_store_explicit(&p->ref[addr - p->first], ref, memory_order_relaxed);
}

uint32_t alloc_ref(const struct alloc_pool *p, uint32_t addr)
{
	if (!alloc_contains(p, addr))
		return 0;
	return atomic_load_explicit(&p->ref[addr - p->first], memory_order_relaxed);
}

int64_t alloc_next_used(const struct alloc_pool *p, uint32_t from)
{
	uint32_t i, w;
	uint64_t v;

	if (from > p->last)
		return -1;
	i = from < p->first ? 0 : from - p->first;
	for (w = i / 64; w < p->nwords; w++) {
		v = atomic_load_explicit(&p->word[w], memory_order_relaxed);
		if (w == i / 64)
			v &= WORD_FULL << (i % 64);
		if (w == p->nwords - 1 && p->pad_bits)
			v &= WORD_FULL >> p->pad_bits;    /* not the padding */
		if (v != 0)
			return (int64_t)p->first + (int64_t)w * 64 + __builtin_ctzll(v);
	}
	return -1;
}

uint32_t alloc_used(const struct alloc_pool *p)
{
	uint64_t n = 0;

	for (uint32_t w = 0; w < p->nwords; w++)
		n += (uint64_t)__builtin_popcountll(
			atomic_load_explicit(&p->word[w], memory_order_relaxed));
	return (uint32_t)(n - p->pad_bits);
}

/* ---- building a pool's bits from another's (live reconfiguration) ---- */

void alloc_pool_reset(struct alloc_pool *p)
{
	uint32_t rem = p->size % 64, i;

	for (i = 0; i < p->nwords; i++)
		atomic_store_explicit(&p->word[i], 0, memory_order_relaxed);
	if (rem != 0)
		atomic_store_explicit(&p->word[p->nwords - 1], WORD_FULL << rem,
				      memory_order_relaxed);
	for (i = 0; i < p->nsum; i++)
		atomic_store_explicit(&p->sum[i], 0, memory_order_relaxed);
	for (i = 0; i < p->ntop; i++)
		atomic_store_explicit(&p->top[i], 0, memory_order_relaxed);
	for (i = 0; i < p->nwords; i++)
		atomic_fetch_or_explicit(&p->sum[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	for (i = 0; i < p->nsum; i++)
		atomic_fetch_or_explicit(&p->top[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

/* The 64 bits of p for indices [i, i + 64), 0 outside the pool (i may be
 * negative; the padding past the end is not in use). */
static uint64_t bits_at(const struct alloc_pool *p, int64_t i)
{
	int64_t w = i >= 0 ? i / 64 : -((63 - i) / 64);
	unsigned sh = (unsigned)(i - w * 64);
	uint64_t lo = w >= 0 && w < p->nwords ?
		atomic_load_explicit(&p->word[w], memory_order_acquire) : 0;
	uint64_t hi = w + 1 >= 0 && w + 1 < p->nwords ?
		atomic_load_explicit(&p->word[w + 1], memory_order_acquire) : 0;
	uint64_t v = sh ? lo >> sh | hi << (64 - sh) : lo;

	if (i < 0)
		v &= i <= -64 ? 0 : WORD_FULL << -i;
	if (i + 64 > (int64_t)p->size)
		v &= i >= (int64_t)p->size ? 0 : WORD_FULL >> (i + 64 - p->size);
	return v;
}

/* Summary levels from the words again (a pool nobody else uses yet). */
static void resummarize(struct alloc_pool *p)
{
	uint32_t i;

	for (i = 0; i < p->nsum; i++)
		atomic_store_explicit(&p->sum[i], 0, memory_order_relaxed);
	for (i = 0; i < p->ntop; i++)
		atomic_store_explicit(&p->top[i], 0, memory_order_relaxed);
	for (i = 0; i < p->nwords; i++)
		if (atomic_load_explicit(&p->word[i], memory_order_relaxed) != WORD_FULL)
			atomic_fetch_or_explicit(&p->sum[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	for (i = 0; i < p->nsum; i++)
		if (atomic_load_explicit(&p->sum[i], memory_order_relaxed) != 0)
			atomic_fetch_or_explicit(&p->top[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

uint32_t alloc_copy_in_use(struct alloc_pool *dst, const struct alloc_pool *src,
			   bool (*skip)(uint32_t addr, void *arg), void *arg, uint64_t *seen)
{
	int64_t off = (int64_t)dst->first - src->first;
	uint32_t n = 0, w;

	if (src->first > dst->last || dst->first > src->last)
		return 0;
	/* dst takes no addresses yet: whole words, then the summaries once
	 * (a pool of 2^24 addresses is 262,144 words).  Only alloc_claim may
	 * run on it meanwhile, hence the fetch-or. */
	for (w = 0; w < dst->nwords; w++) {
		uint64_t v = bits_at(src, off + (int64_t)w * 64), old, add;

		if (v == 0)
			continue;
		old = atomic_load_explicit(&dst->word[w], memory_order_relaxed);
		add = v & ~old;
		while (skip != NULL && add != 0) {
			uint64_t b = add & -add;

			add &= add - 1;
			if (skip(dst->first + w * 64 + (uint32_t)__builtin_ctzll(b), arg))
				v &= ~b;
		}
		if (seen != NULL)
			__atomic_fetch_or(&seen[w], v, __ATOMIC_RELEASE);
		old = atomic_fetch_or(&dst->word[w], v);
		n += (uint32_t)__builtin_popcountll(v & ~old);
	}
	resummarize(dst);
	return n;
}

size_t alloc_seen_words(const struct alloc_pool *p)
{
	return p->nwords;
}

bool alloc_seen(const struct alloc_pool *p, const uint64_t *seen, uint32_t addr)
{
	uint32_t i;

	if (!alloc_contains(p, addr))
		return false;
	i = addr - p->first;
	return (__atomic_load_n(&seen[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1;
}
