/* Address allocator: a two-level atomic bitmap per pool, shared by workers.
 *
 * Level 0 (`word`): bit i set = address first + i is in use.  The bits past
 * the end of the pool in the last word are set at creation so they are
 * never handed out (alloc_used subtracts them).
 *
 * Level 1 (`sum`): bit w set = word w probably has a free bit.  It is only
 * a hint for the scan, but it must never claim "full" for a word that has
 * a free bit once things are quiet, or a nearly full pool would report
 * -ENOSPC while it still has addresses.  Two rules give that:
 *  - whoever fills a word clears its summary bit and then re-reads the
 *    word; if a bit was freed meanwhile it sets the summary bit again;
 *  - whoever releases a bit of a full word sets the summary bit.
 * With sequentially consistent RMWs, either the release's set comes after
 * the filler's clear (bit ends set), or the filler's re-read comes after
 * the release (it sees the free bit and sets it again).  A stale "not
 * full" is harmless: the scan finds the word full, clears the bit, goes on.
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
	uint32_t pad_bits;       /* bits set past the end of the last word */
	_Atomic uint64_t *sum;   /* nsum words */
	_Atomic uint64_t *word;  /* nwords words, cache-line aligned */
};

static size_t round_line(size_t n)
{
	return (n + ALLOC_LINE - 1) & ~(size_t)(ALLOC_LINE - 1);
}

struct alloc_pool *alloc_pool_create(uint32_t first, uint32_t last)
{
	struct alloc_pool *p;
	uint64_t size;
	size_t hdr, sum_sz, word_sz;
	uint32_t w, rem;

	if (first > last) {
		errno = EINVAL;
		return NULL;
	}
	size = (uint64_t)last - first + 1;
	if (size > ALLOC_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}

	/* One block: header, summary, words, each on its own cache lines so
	 * the read-mostly header never shares a line with written bits. */
	hdr = round_line(sizeof(*p));
	w = (uint32_t)((size + 63) / 64);
	sum_sz = round_line(((w + 63) / 64) * sizeof(uint64_t));
	word_sz = round_line(w * sizeof(uint64_t));
	p = aligned_alloc(ALLOC_LINE, hdr + sum_sz + word_sz);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, hdr + sum_sz + word_sz);
	p->first = first;
	p->last = last;
	p->size = (uint32_t)size;
	p->nwords = w;
	p->nsum = (w + 63) / 64;
	p->sum = (_Atomic uint64_t *)((char *)p + hdr);
	p->word = (_Atomic uint64_t *)((char *)p + hdr + sum_sz);

	rem = p->size % 64;
	if (rem != 0) {
		p->pad_bits = 64 - rem;
		atomic_store_explicit(&p->word[w - 1], WORD_FULL << rem, memory_order_relaxed);
	}
	for (uint32_t i = 0; i < w; i++)
		atomic_fetch_or_explicit(&p->sum[i / 64], 1ULL << (i % 64), memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return p;
}

void alloc_pool_free(struct alloc_pool *p)
{
	free(p);
}

/* Word w was seen full: clear its summary bit, then undo that if a bit was
 * released in between (see the top of the file). */
static void sum_mark_full(struct alloc_pool *p, uint32_t w)
{
	uint64_t bit = 1ULL << (w % 64);

	/* Already clear: whoever cleared it did the re-read.  Checking first
	 * keeps a scan over full words from writing shared lines. */
	if (!(atomic_load_explicit(&p->sum[w / 64], memory_order_relaxed) & bit))
		return;
	atomic_fetch_and(&p->sum[w / 64], ~bit);
	if (atomic_load(&p->word[w]) != WORD_FULL)
		atomic_fetch_or(&p->sum[w / 64], bit);
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

int alloc_take(struct alloc_pool *p, uint32_t *cursor, uint32_t *addr)
{
	uint32_t c = *cursor < p->size ? *cursor : *cursor % p->size;
	uint32_t w0 = c / 64, s0 = w0 / 64;
	int b;

	/* Fast path: the cursor's own word, without reading the summary. */
	b = take_in_word(p, w0, c % 64);
	if (b >= 0)
		goto found;
	w0++;
	if (w0 == p->nwords)
		w0 = 0;
	s0 = w0 / 64;

	/* Then every summary word once, from the cursor's, wrapping; the
	 * first pass over s0 skips the words below w0, the last (i == nsum)
	 * comes back for exactly those. */
	for (uint32_t i = 0; i <= p->nsum; i++) {
		uint32_t s = (s0 + i) % p->nsum;
		uint64_t bits = atomic_load_explicit(&p->sum[s], memory_order_relaxed);

		if (i == 0)
			bits &= WORD_FULL << (w0 % 64);
		else if (i == p->nsum)
			bits &= ~(WORD_FULL << (w0 % 64));
		while (bits != 0) {
			uint32_t w = s * 64 + (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			b = take_in_word(p, w, 0);
			if (b >= 0) {
				w0 = w;
				goto found;
			}
		}
	}
	return -ENOSPC;

found:
	c = w0 * 64 + (uint32_t)b;
	*addr = p->first + c;
	*cursor = c + 1 < p->size ? c + 1 : 0;
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
		atomic_fetch_or(&p->sum[w / 64], 1ULL << (w % 64));
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

uint32_t alloc_used(const struct alloc_pool *p)
{
	uint64_t n = 0;

	for (uint32_t w = 0; w < p->nwords; w++)
		n += (uint64_t)__builtin_popcountll(
			atomic_load_explicit(&p->word[w], memory_order_relaxed));
	return (uint32_t)(n - p->pad_bits);
}
