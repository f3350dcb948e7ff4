#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <CUnit/Basic.h>
#include "lease_log.h"

/* Every byte an entry carries is a function of its seq, so a torn copy
 * (half old entry, half new) cannot pass check(). */
static void fill(struct lease_change *c, uint64_t seq)
{
	c->family = LEASE_FAMILY_V4;
	c->op = (uint8_t)(1 + seq % 6);
	c->origin = LEASE_ORIGIN_CLIENT;
	c->u.v4.addr = (uint32_t)(seq * 2654435761u);
	c->u.v4.expire = (uint32_t)seq;
	memset(c->u.v4.cid, (int)(seq & 0xff), sizeof(c->u.v4.cid));
	memset(c->u.v4.hostname, (int)((seq >> 8) & 0xff), sizeof(c->u.v4.hostname));
}

static bool check(const struct lease_change *c)
{
	uint64_t seq = c->seq;

	if (c->op != (uint8_t)(1 + seq % 6) || c->u.v4.addr != (uint32_t)(seq * 2654435761u) ||
	    c->u.v4.expire != (uint32_t)seq)
		return false;
	for (size_t i = 0; i < sizeof(c->u.v4.cid); i++)
		if (c->u.v4.cid[i] != (uint8_t)(seq & 0xff))
			return false;
	for (size_t i = 0; i < sizeof(c->u.v4.hostname); i++)
		if ((uint8_t)c->u.v4.hostname[i] != (uint8_t)((seq >> 8) & 0xff))
			return false;
	return true;
}

static uint64_t append(struct lease_log *log)
{
	struct lease_change *c = lease_log_claim(log);

	if (c == NULL)
		return 0;
	fill(c, lease_log_head(log) + 1);
	return lease_log_commit(log);
}

static void test_basic(void)
{
	struct lease_log_params p = { .size = 8 };
	struct lease_log *log = lease_log_create(&p);
	struct lease_change out[16];
	struct lease_log_stats st;
	int c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	c = lease_log_consumer_add(log, LEASE_LOG_HOLD, NULL);
	CU_ASSERT_EQUAL(c, 0);
	for (uint64_t i = 1; i <= 8; i++)
		CU_ASSERT_EQUAL(append(log), i);
	/* the holding consumer has read nothing: the ninth is refused */
	CU_ASSERT_PTR_NULL(lease_log_claim(log));
	CU_ASSERT_PTR_NULL(lease_log_claim(log));
	CU_ASSERT_EQUAL(lease_log_head(log), 8);
	CU_ASSERT_EQUAL(lease_log_unread(log, 0), 8);
	CU_ASSERT_EQUAL(lease_log_read(log, 0, out, 3), 3);
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(out[i].seq, i + 1);
		CU_ASSERT_TRUE(check(&out[i]));
	}
	/* room for three more, no more */
	for (uint64_t i = 9; i <= 11; i++)
		CU_ASSERT_EQUAL(append(log), i);
	CU_ASSERT_PTR_NULL(lease_log_claim(log));
	CU_ASSERT_EQUAL(lease_log_read(log, 0, out, 16), 8);
	for (unsigned i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(out[i].seq, i + 4);
		CU_ASSERT_TRUE(check(&out[i]));
	}
	CU_ASSERT_EQUAL(lease_log_read(log, 0, out, 16), 0);
	/* claiming twice gives one entry, committed once */
	CU_ASSERT_PTR_EQUAL(lease_log_claim(log), lease_log_claim(log));
	fill(lease_log_claim(log), 12);
	CU_ASSERT_EQUAL(lease_log_commit(log), 12);
	lease_log_get_stats(log, &st);
	CU_ASSERT_EQUAL(st.committed, 12);
	CU_ASSERT_EQUAL(st.full, 3);
	/* consumers only before the first change */
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, 0, NULL), -EINVAL);
	lease_log_free(log);

	errno = 0;
	p.size = 12;
	CU_ASSERT_PTR_NULL(lease_log_create(&p));
	CU_ASSERT_EQUAL(errno, EINVAL);
	p.size = 4;
	log = lease_log_create(&p);
	for (int i = 0; i < LEASE_LOG_MAX_CONSUMERS; i++)
		CU_ASSERT_EQUAL(lease_log_consumer_add(log, 0, NULL), i);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, 0, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, 8, NULL), -EINVAL);
	lease_log_free(log);
}

static void test_watermarks(void)
{
	struct lease_log_params p = { .size = 16 };
	struct lease_log *log = lease_log_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_HOLD, NULL), 0);   /* store */
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_LOSSY, NULL), 1);  /* peer */
	CU_ASSERT_EQUAL(lease_log_safe(log, 0), UINT64_MAX);
	CU_ASSERT_EQUAL(lease_log_safe(log, 3), 0);
	lease_log_publish(log, 0, 5);
	lease_log_publish(log, 1, 3);
	CU_ASSERT_EQUAL(lease_log_done(log, 0), 5);
	CU_ASSERT_EQUAL(lease_log_safe(log, 1), 5);
	CU_ASSERT_EQUAL(lease_log_safe(log, 2), 3);
	CU_ASSERT_EQUAL(lease_log_safe(log, 3), 3);
	CU_ASSERT_EQUAL(lease_log_safe(log, 4), 0);   /* no consumer 2 */
	lease_log_publish(log, 0, 4);           /* never backwards */
	CU_ASSERT_EQUAL(lease_log_done(log, 0), 5);
	lease_log_free(log);
}

static void test_lossy(void)
{
	struct lease_log_params p = { .size = 8 };
	struct lease_log *log = lease_log_create(&p);
	struct lease_change out[16];
	struct lease_log_stats st;
	unsigned n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_HOLD, NULL), 0);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_LOSSY, NULL), 1);
	/* the lossy one never holds the producer back; the holding one does */
	for (uint64_t i = 1; i <= 20; i++) {
		if (!lease_log_claim(log)) {
			CU_ASSERT_EQUAL(lease_log_read(log, 0, out, 16), 8);
		}
		CU_ASSERT_EQUAL(append(log), i);
	}
	n = lease_log_read(log, 1, out, 16);
	CU_ASSERT_EQUAL(n, 8);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(out[i].seq, 13 + i);
		CU_ASSERT_TRUE(check(&out[i]));
	}
	lease_log_get_stats(log, &st);
	CU_ASSERT_EQUAL(st.overflow[1], 12);
	CU_ASSERT_EQUAL(st.overflow[0], 0);
	/* the holding one still gets everything after what it read */
	n = lease_log_read(log, 0, out, 16);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(out[0].seq, 17);
	lease_log_free(log);

	/* nobody reads: every claim succeeds, sequence numbers still count */
	log = lease_log_create(&p);
	for (uint64_t i = 1; i <= 100; i++) {
		CU_ASSERT_PTR_NOT_NULL(lease_log_claim(log));
		CU_ASSERT_EQUAL(lease_log_commit(log), i);
	}
	lease_log_free(log);
}

static uint64_t each_last, each_n;
static bool each_ok;

static void each_cb(const struct lease_change *c, void *arg)
{
	(void)arg;
	if (c->seq != each_last + 1 || !check(c))
		each_ok = false;
	each_last = c->seq;
	each_n++;
}

/* In place for a holding consumer: every entry once, in order, intact;
 * the producer gets the room back; a lossy consumer cannot use it. */
static void test_read_each(void)
{
	struct lease_log_params p = { .size = 8 };
	struct lease_log *log = lease_log_create(&p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_HOLD, NULL), 0);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_LOSSY, NULL), 1);
	each_ok = true;
	for (uint64_t i = 1; i <= 8; i++)
		CU_ASSERT_EQUAL(append(log), i);
	CU_ASSERT_PTR_NULL(lease_log_claim(log));
	CU_ASSERT_EQUAL(lease_log_read_each(log, 0, 5, each_cb, NULL), 5);
	CU_ASSERT_EQUAL(lease_log_unread(log, 0), 3);
	for (uint64_t i = 9; i <= 13; i++)
		CU_ASSERT_EQUAL(append(log), i);
	CU_ASSERT_EQUAL(lease_log_read_each(log, 0, 64, each_cb, NULL), 8);
	CU_ASSERT_EQUAL(lease_log_read_each(log, 0, 64, each_cb, NULL), 0);
	CU_ASSERT_TRUE(each_ok);
	CU_ASSERT_EQUAL(each_n, 13);
	CU_ASSERT_EQUAL(each_last, 13);
	CU_ASSERT_EQUAL(lease_log_read_each(log, 1, 64, each_cb, NULL), 0);
	lease_log_free(log);
}

/* ---- threads ---------------------------------------------------------- */

#define STRESS_N 400000u

struct reader {
	struct lease_log *log;
	unsigned id;
	bool slow;
	uint64_t got, bad, order, last;
	volatile bool *stop;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct lease_change out[37];
	unsigned seed = r->id + 1;

	for (;;) {
		bool stop = __atomic_load_n(r->stop, __ATOMIC_ACQUIRE);
		unsigned n = lease_log_read(r->log, r->id, out, 1 + (unsigned)rand_r(&seed) % 37);

		for (unsigned i = 0; i < n; i++) {
			if (!check(&out[i]))
				r->bad++;
			if (out[i].seq <= r->last)
				r->order++;
			r->last = out[i].seq;
		}
		r->got += n;
		if (r->slow && rand_r(&seed) % 64 == 0) {
			struct timespec t = { 0, 20000 };

			nanosleep(&t, NULL);
		}
		if (!n) {
			if (stop && lease_log_unread(r->log, r->id) == 0)
				break;
			sched_yield();
		}
	}
	return NULL;
}

static void test_threads(void)
{
	struct lease_log_params p = { .size = 256 };
	struct lease_log *log = lease_log_create(&p);
	volatile bool stop = false;
	struct reader rd[2] = {
		{ .log = log, .id = 0, .stop = &stop },              /* holding, the store */
		{ .log = log, .id = 1, .slow = true, .stop = &stop }, /* lossy, a slow peer */
	};
	struct lease_log_stats st;
	pthread_t th[2];
	uint64_t refused = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_HOLD, NULL), 0);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_LOSSY, NULL), 1);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader_main, &rd[i]);
	for (uint64_t seq = 1; seq <= STRESS_N;) {
		struct lease_change *c = lease_log_claim(log);

		if (!c) {
			refused++;
			sched_yield();
			continue;
		}
		fill(c, seq);
		CU_ASSERT_EQUAL(lease_log_commit(log), seq);
		seq++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	lease_log_get_stats(log, &st);
	/* the store saw every change, in order, intact */
	CU_ASSERT_EQUAL(rd[0].got, STRESS_N);
	CU_ASSERT_EQUAL(rd[0].bad, 0);
	CU_ASSERT_EQUAL(rd[0].order, 0);
	CU_ASSERT_EQUAL(st.overflow[0], 0);
	CU_ASSERT_EQUAL(st.full, refused);
	/* the slow peer: never a torn or repeated entry; what it did not
	 * get it was told it missed */
	CU_ASSERT_EQUAL(rd[1].bad, 0);
	CU_ASSERT_EQUAL(rd[1].order, 0);
	CU_ASSERT_EQUAL(rd[1].got + st.overflow[1], STRESS_N);
	lease_log_free(log);
}

struct sleeper {
	struct lease_log *log;
	struct lease_log_bell *bell;
	bool woke;
	uint64_t seen;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;

	lease_log_bell_arm(s->bell);
	if (lease_log_unread(s->log, 0) == 0)
		s->woke = lease_log_bell_wait(s->bell, 5000000);
	s->seen = lease_log_unread(s->log, 0);
	return NULL;
}

static void test_bell(void)
{
	struct lease_log_params p = { .size = 8 };
	struct lease_log *log = lease_log_create(&p);
	static struct lease_log_bell bell;
	struct sleeper s = { .log = log, .bell = &bell };
	struct timespec t0, t1;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_HOLD, &bell), 0);
	pthread_create(&th, NULL, sleeper_main, &s);
	/* let it go to sleep (it returns at once if we are first: then the
	 * test still checks it saw the change) */
	while (!__atomic_load_n(&bell.sleeping, __ATOMIC_ACQUIRE))
		sched_yield();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(append(log), 1);
	pthread_join(th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CU_ASSERT_EQUAL(s.seen, 1);
	CU_ASSERT_TRUE(s.woke);
	/* woken by the commit, not by the 5 s timeout */
	CU_ASSERT_TRUE(t1.tv_sec - t0.tv_sec < 4);
	lease_log_free(log);
}

/* An eventfd bell (a consumer that sleeps in poll(2)): a commit while it
 * sleeps makes the eventfd readable, once; none while it is awake. */
static void test_bell_fd(void)
{
	struct lease_log_params p = { .size = 8 };
	struct lease_log *log = lease_log_create(&p);
	static struct lease_log_bell bell;
	struct pollfd pfd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	bell.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CU_ASSERT_FATAL(bell.fd > 0);
	pfd = (struct pollfd){ .fd = bell.fd, .events = POLLIN };
	CU_ASSERT_EQUAL(lease_log_consumer_add(log, LEASE_LOG_LOSSY, &bell), 0);
	CU_ASSERT_EQUAL(append(log), 1);                 /* awake: not rung */
	CU_ASSERT_EQUAL(poll(&pfd, 1, 0), 0);
	lease_log_bell_arm(&bell);
	CU_ASSERT_EQUAL(append(log), 2);                 /* asleep: rung */
	CU_ASSERT_EQUAL(append(log), 3);                 /* rung once only */
	CU_ASSERT_EQUAL(bell.sleeping, 0);
	CU_ASSERT_EQUAL(poll(&pfd, 1, 0), 1);
	lease_log_bell_disarm(&bell);                    /* read empty */
	CU_ASSERT_EQUAL(poll(&pfd, 1, 0), 0);
	close(bell.fd);
	lease_log_free(log);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("lease_log", NULL, NULL);
	CU_add_test(s, "claim, commit, read, full", test_basic);
	CU_add_test(s, "watermarks", test_watermarks);
	CU_add_test(s, "read in place (holding consumer)", test_read_each);
	CU_add_test(s, "lossy consumer is lapped, never holds", test_lossy);
	CU_add_test(s, "producer, store and slow peer threads", test_threads);
	CU_add_test(s, "bell wakes a sleeping consumer", test_bell);
	CU_add_test(s, "eventfd bell for a polling consumer", test_bell_fd);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
