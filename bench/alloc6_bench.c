/* alloc6_bench: nanoseconds per alloc6_take as a pool fills, for the two
 * kinds of DHCPv6 pool (BENCHMARKS.md, "DHCPv6 allocator").
 *
 *   build/bench/alloc6_bench [runs]        (default 5; prints the medians)
 *
 * Pools: a sparse /64 of addresses sized for 2^20 in use (max_used 1M:
 * 2^21 slots, 32 MiB), and a bitmap pool of 2^20 addresses.  One thread,
 * one worker cursor, a new client (hint) per take.  Each pool is filled
 * (untimed) to 10, 50, 90 and 99% of what it can hold, and the next 8,192
 * takes are timed there, in chunks of 1,024 (the row is the median
 * chunk).  Then the pool is filled up: the first -ENOSPC is where it
 * comes, then 1,024 takes on the full pool are timed.  Last,
 * the "aged" row: the full pool with a random half released (a sparse
 * set keeps every released key: this is a set whose budget is spent, where
 * takes live on re-used units), the next 8,192 takes timed.
 *
 * alloc6.c is built into this program with -DALLOC6_STATS, so each row
 * also says what a take did: hashed candidates and slots read (sparse),
 * slots walked for a released key (sparse), takes served by the hint's
 * own unit (bitmap; the others scanned from the cursor). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc6.h"

#define UNITS   (1u << 20)
#define BATCH   8192
#define CHUNK   1024                    /* timed apart: BATCH / CHUNK medians */
#define FULL_N  1024
#define MAX_RUNS 15

enum { L10, L50, L90, L99, LFULL, LAGED, NLEVELS };
static const char *const level_name[NLEVELS] = {
	"10%", "50%", "90%", "99%", "full (-ENOSPC)", "aged: full, half released",
};
static const double level_fill[4] = { 0.10, 0.50, 0.90, 0.99 };

struct row {
	double ns;                      /* per take */
	double candidates, probes, scanned, hint_hits;  /* per take */
};

struct result {
	struct row row[NLEVELS];
	uint64_t first_enospc;          /* takes before the first -ENOSPC */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t next_hint(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* n takes with the counters' deltas per take; ns per take is the median
 * of chunks of CHUNK takes timed apart (one preemption on a shared box
 * spoils a chunk, not the row).  Returns how many succeeded (kept in
 * held[] when given). */
static uint64_t timed_takes(struct alloc6_pool *p, uint64_t n, uint64_t *hs, uint64_t *cursor,
			    struct lease_addr6 *held, uint64_t *nheld, struct row *r)
{
	struct alloc6_stats before = alloc6_stats;
	double chunk_ns[BATCH / CHUNK];
	unsigned nchunks = 0;
	struct lease_addr6 a;
	uint64_t ok = 0;
	double t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (alloc6_take(p, next_hint(hs), cursor, &a) == 0) {
			ok++;
			if (held != NULL)
				held[(*nheld)++] = a;
		}
		if ((i + 1) % CHUNK == 0 && nchunks < BATCH / CHUNK) {
			double t1 = now_ns();

			chunk_ns[nchunks++] = (t1 - t0) / CHUNK;
			t0 = t1;
		}
	}
	r->ns = nchunks ? median(chunk_ns, nchunks) : 0;
	r->candidates = (double)(alloc6_stats.candidates - before.candidates) / n;
	r->probes = (double)(alloc6_stats.probes - before.probes) / n;
	r->scanned = (double)(alloc6_stats.scanned - before.scanned) / n;
	r->hint_hits = (double)(alloc6_stats.hint_hits - before.hint_hits) / n;
	return ok;
}

static int one_run(bool sparse, unsigned run, struct result *res)
{
	struct alloc6_params prm = { .first = { 0x20010db800000000ULL, 0 }, .unit_len = 128 };
	struct lease_addr6 *held = malloc((UNITS + 16) * sizeof(*held));
	uint64_t hs = 1000003ULL * (run + 1), cursor = 0, nheld = 0, cap;
	struct alloc6_pool *p;
	struct row scratch;

	prm.last = (struct lease_addr6){ prm.first.hi, sparse ? ~0ULL : UNITS - 1 };
	prm.max_used = sparse ? UNITS : 0;
	p = alloc6_pool_create(&prm);
	if (p == NULL || held == NULL) {
		fprintf(stderr, "alloc6_bench: %s\n", strerror(errno));
		return -1;
	}
	cap = alloc6_capacity(p);
	for (int l = L10; l <= L99; l++) {
		uint64_t target = (uint64_t)(level_fill[l] * cap);

		if (nheld < target)
			timed_takes(p, target - nheld, &hs, &cursor, held, &nheld, &scratch);
		if (timed_takes(p, BATCH, &hs, &cursor, held, &nheld, &res->row[l]) != BATCH)
			fprintf(stderr, "alloc6_bench: -ENOSPC at %s\n", level_name[l]);
	}
	/* up to the first -ENOSPC */
	for (;;) {
		struct lease_addr6 a;

		if (alloc6_take(p, next_hint(&hs), &cursor, &a) != 0)
			break;
		held[nheld++] = a;
	}
	res->first_enospc = nheld;
	timed_takes(p, FULL_N, &hs, &cursor, NULL, NULL, &res->row[LFULL]);
	/* aged: a random half released, then takes */
	for (uint64_t i = 0; i < nheld / 2; i++) {
		uint64_t j = i + next_hint(&hs) % (nheld - i);
		struct lease_addr6 t = held[i];

		held[i] = held[j];
		held[j] = t;
		alloc6_release(p, held[i]);
	}
	timed_takes(p, BATCH, &hs, &cursor, NULL, NULL, &res->row[LAGED]);
	alloc6_pool_free(p);
	free(held);
	return 0;
}

static double median_of(struct result *r, unsigned runs, int level, size_t field)
{
	double v[MAX_RUNS];

	for (unsigned i = 0; i < runs; i++)
		v[i] = *(double *)((char *)&r[i].row[level] + field);
	return median(v, runs);
}

static void print_table(bool sparse, struct result *r, unsigned runs)
{
	printf("\n%s, median of %u runs (ns per take; min-max of the runs)\n",
	       sparse ? "sparse /64, max_used 2^20 (2^21 slots)" : "bitmap, 2^20 addresses", runs);
	if (sparse)
		printf("| fill | ns/take | min-max | candidates/take | slots read/take | walked/take |\n"
		       "|---|---:|---:|---:|---:|---:|\n");
	else
		printf("| fill | ns/take | min-max | hint's unit |\n|---|---:|---:|---:|\n");
	for (int l = 0; l < NLEVELS; l++) {
		double lo = r[0].row[l].ns, hi = lo;

		for (unsigned i = 1; i < runs; i++) {
			lo = r[i].row[l].ns < lo ? r[i].row[l].ns : lo;
			hi = r[i].row[l].ns > hi ? r[i].row[l].ns : hi;
		}
		printf("| %s | %.0f | %.0f-%.0f |", level_name[l],
		       median_of(r, runs, l, offsetof(struct row, ns)), lo, hi);
		if (sparse)
			printf(" %.2f | %.2f | %.1f |\n",
			       median_of(r, runs, l, offsetof(struct row, candidates)),
			       median_of(r, runs, l, offsetof(struct row, probes)),
			       median_of(r, runs, l, offsetof(struct row, scanned)));
		else
			printf(" %.0f%% |\n",
			       100 * median_of(r, runs, l, offsetof(struct row, hint_hits)));
	}
	printf("first -ENOSPC after %llu takes (capacity %u)\n",
	       (unsigned long long)r[0].first_enospc, UNITS);
}

int main(int argc, char **argv)
{
	static struct result res[2][MAX_RUNS];
	unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 5;

	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: alloc6_bench [runs 1..%d]\n", MAX_RUNS);
		return 2;
	}
	for (unsigned i = 0; i < runs; i++)
		for (int k = 0; k < 2; k++)
			if (one_run(k == 0, i, &res[k][i]) != 0)
				return 1;
	print_table(true, res[0], runs);
	print_table(false, res[1], runs);
	return 0;
}
