/* lease_table_count and lease6_table_count across threads, under
 * ThreadSanitizer.
 *
 * A lease table (v4 or v6) has one writer, its worker lcore; the control
 * thread still reads the table's size (leases-in-memory in the statistics, the
 * first guess of a lease query's answer size in ctl_lease_msg.c).  That
 * read is safe only because the owner stores the count atomically and
 * lease_table_count loads it atomically.
 *
 * Here one thread plays the worker (inserts and removes v4 and v6 leases
 * without pause) and another the control thread (calls both counts the
 * way the statistics do).  Nothing else orders the two threads, so if either
 * side of the count goes back to a plain access, ThreadSanitizer reports
 * the data race and the run fails (TSAN_OPTIONS halt_on_error=1,
 * exitcode=66, set by meson).  The race is found from the missing
 * happens-before between the accesses, not from a lucky interleaving, so
 * the result does not depend on timing. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "lease_table.h"

#if defined(__SANITIZE_THREAD__)
#elif defined(__has_feature)
#if !__has_feature(thread_sanitizer)
#error "lease_tsan_test proves nothing without -fsanitize=thread"
#endif
#else
#error "lease_tsan_test proves nothing without -fsanitize=thread"
#endif

#define KEYS    4096
#define ROUNDS  64

static struct lease_table *table;
static struct lease6_table *table6;
static bool go, writer_done;
static uint32_t max_seen, nonzero_reads, bad_reads;

static void key_of(struct lease_key *k, uint32_t n)
{
	memset(k, 0, sizeof(*k));
	k->kind = LEASE_KEY_HWADDR;
	k->len = 7;
	k->data[0] = 1;
	k->data[1] = 0x02;
	k->data[3] = (uint8_t)(n >> 16);
	k->data[4] = (uint8_t)(n >> 8);
	k->data[5] = (uint8_t)n;
}

/* Client n / 2's lease n: two addresses per IA. */
static struct lease6_key key6_of(uint8_t duid[14], uint32_t n, struct lease_addr6 *a)
{
	memset(duid, 0, 14);
	duid[1] = 1;
	duid[11] = (uint8_t)(n >> 17);
	duid[12] = (uint8_t)(n >> 9);
	duid[13] = (uint8_t)(n >> 1);
	a->hi = 0x20010db800000000ULL;
	a->lo = n;
	return (struct lease6_key){ .duid = duid, .duid_len = 14, .type = LEASE6_TYPE_NA, .iaid = 1 };
}

static void wait_go(void)
{
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
}

/* The owner: fill the table, empty it, again. */
static void *worker(void *arg)
{
	struct lease_key k;
	struct lease_addr6 a;
	uint8_t duid[14];
	unsigned r, i;

	(void)arg;
	wait_go();
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < KEYS; i++) {
			struct lease6_key k6 = key6_of(duid, i, &a);

			key_of(&k, i);
			if (!lease_table_insert(table, &k, NULL) ||
			    !lease6_table_insert(table6, &k6, a, 128, NULL))
				return (void *)1;
		}
		for (i = 0; i < KEYS; i++) {
			key6_of(duid, i, &a);
			key_of(&k, i);
			lease_table_remove(table, lease_table_lookup(table, &k));
			lease6_table_remove(table6, lease6_table_lookup_addr(table6, a));
		}
	}
	__atomic_store_n(&writer_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* The control thread: the size, as long as the worker runs. */
static void *control(void *arg)
{
	(void)arg;
	wait_go();
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		uint32_t n = lease_table_count(table), n6 = lease6_table_count(table6);

		if (n > KEYS || n6 > KEYS)
			bad_reads++;
		if (n > max_seen)
			max_seen = n;
		if (n6 > max_seen)
			max_seen = n6;
		if (n || n6)
			nonzero_reads++;
	}
	return NULL;
}

int main(void)
{
	struct lease_table_params p = { .name = "tsan", .capacity = KEYS };
	pthread_t tw, tc;
	void *wret = NULL;

	table = lease_table_create(&p);
	table6 = lease6_table_create(&p);
	if (!table || !table6) {
		perror("lease_table_create");
		return 1;
	}
	if (pthread_create(&tw, NULL, worker, NULL) || pthread_create(&tc, NULL, control, NULL)) {
		perror("pthread_create");
		return 1;
	}
	__atomic_store_n(&go, true, __ATOMIC_RELEASE);
	pthread_join(tw, &wret);
	pthread_join(tc, NULL);
	printf("control thread: %u reads saw leases, at most %u of %u\n",
	       nonzero_reads, max_seen, KEYS);
	if (wret) {
		fprintf(stderr, "worker: insert failed\n");
		return 1;
	}
	/* a count outside 0..KEYS would be a torn or garbage read */
	if (bad_reads || lease_table_count(table) != 0 || lease6_table_count(table6) != 0) {
		fprintf(stderr, "%u impossible counts, %u + %u left\n", bad_reads,
			lease_table_count(table), lease6_table_count(table6));
		return 1;
	}
	lease_table_free(table);
	lease6_table_free(table6);
	return 0;
}
