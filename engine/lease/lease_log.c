/* The lease-change log (see lease_log.h).
 *
 * A ring of entries indexed by (seq - 1) & mask.  The producer writes an
 * entry in place: it first marks the slot's seq 0 ("being written"), fills
 * it, then stores the slot's real seq and advances head, both with
 * release order.  A reader copies an entry and checks the slot's seq
 * before and after the copy: if either differs from the seq it wants, the
 * producer has lapped it (possible only for a lossy consumer; a holding
 * one is never overwritten).
 *
 * Each consumer's read position and watermark live on its own cache line,
 * written by that consumer only; the producer keeps a private copy of
 * the slowest holding consumer's position and re-reads the real ones only
 * when that copy says the log is full, so a busy producer does not pull
 * the consumers' lines on every change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "lease_log.h"

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

struct lease_log *lease_log_create(const struct lease_log_params *p)
{
	struct lease_log *log;

	if (p == NULL || p->size < 2 || (p->size & (p->size - 1)) != 0 || p->size > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	log = aligned_alloc(64, sizeof(*log));
	if (log == NULL)
		return NULL;
	memset(log, 0, sizeof(*log));
	log->mask = p->size - 1;
	log->ring = aligned_alloc(64, sizeof(*log->ring) * p->size);
	if (log->ring == NULL) {
		free(log);
		errno = ENOMEM;
		return NULL;
	}
	/* Slot i first holds seq i + 1: mark them all "never written". */
	for (uint32_t i = 0; i < p->size; i++)
		log->ring[i].seq = 0;
	return log;
}

void lease_log_free(struct lease_log *log)
{
	if (log == NULL)
		return;
	free(log->ring);
	free(log);
}

int lease_log_consumer_add(struct lease_log *log, unsigned flags, struct lease_log_bell *bell)
{
	struct lease_log_cons *c;

	if (log == NULL || (flags & ~(unsigned)LEASE_LOG_LOSSY) || log->head != 0)
		return -EINVAL;
	if (log->n_cons == LEASE_LOG_MAX_CONSUMERS)
		return -ENOSPC;
	c = &log->cons[log->n_cons];
	memset(c, 0, sizeof(*c));
	c->flags = flags;
	c->bell = bell;
	if (bell)
		log->n_bells++;
	if (!(flags & LEASE_LOG_LOSSY))
		log->n_hold++;
	return (int)log->n_cons++;
}

/* The slowest holding consumer's read position (n_hold > 0). */
static uint64_t hold_min(const struct lease_log *log)
{
	uint64_t m = UINT64_MAX;

	for (uint32_t i = 0; i < log->n_cons; i++)
		if (!(log->cons[i].flags & LEASE_LOG_LOSSY)) {
			uint64_t r = LOAD_ACQ(&log->cons[i].read);

			if (r < m)
				m = r;
		}
	return m;
}

struct lease_change *lease_log_claim_slow(struct lease_log *log)
{
	uint64_t seq = log->head + 1;
	struct lease_change *e;

	/* seq may be written once every holding reader has copied seq - size */
	if (log->n_hold && seq - log->hold_min > (uint64_t)log->mask + 1) {
		log->hold_min = hold_min(log);
		if (seq - log->hold_min > (uint64_t)log->mask + 1) {
			STORE_RLX(&log->full, log->full + 1);
			return NULL;
		}
	}
	e = &log->ring[(seq - 1) & log->mask];
	if (!log->claimed) {
		/* "being written": a lapped reader of the old entry sees it
		 * change and discards its copy.  The fence keeps this store
		 * ahead of the fill (a compiler barrier on x86). */
		STORE_RLX(&e->seq, 0);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		log->claimed = true;
	}
	return e;
}

uint64_t lease_log_commit_slow(struct lease_log *log)
{
	uint64_t seq = log->head + 1;

	log->claimed = false;
	STORE_REL(&log->ring[(seq - 1) & log->mask].seq, seq);
	STORE_REL(&log->head, seq);
	if (log->n_bells) {
		/* Store-load order: the new head must be visible before we
		 * look at a bell, or a consumer could find the log empty and
		 * sleep while we read its bell as quiet (a lost wake-up). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (uint32_t i = 0; i < log->n_cons; i++) {
			struct lease_log_bell *b = log->cons[i].bell;

			if (b && __builtin_expect(LOAD_RLX(&b->sleeping) != 0, 0))
				lease_log_bell_ring(b);
		}
	}
	return seq;
}

unsigned lease_log_read(struct lease_log *log, unsigned consumer, struct lease_change *out,
			unsigned max)
{
	struct lease_log_cons *c = &log->cons[consumer];
	uint64_t size = (uint64_t)log->mask + 1;
	uint64_t pos = c->read, head = LOAD_ACQ(&log->head), missed = 0;
	unsigned n = 0;

	while (n < max && pos < head) {
		const struct lease_change *e;
		uint64_t want;

		if (head - pos > size) {
			/* lapped (lossy only): the oldest entry left is head - size + 1 */
			missed += head - size - pos;
			pos = head - size;
		}
		want = pos + 1;
		e = &log->ring[(want - 1) & log->mask];
		if (LOAD_ACQ(&e->seq) == want) {
			memcpy(&out[n], e, sizeof(*e));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (LOAD_RLX(&e->seq) == want) {
				n++;
				pos = want;
				continue;
			}
		}
		/* Overwritten while we looked (a lossy consumer only: the
		 * producer never claims an entry a holding one has not read):
		 * that one is missed; go on from the producer's new head. */
		missed++;
		pos = want;
		head = LOAD_ACQ(&log->head);
	}
	if (missed)
		STORE_RLX(&c->overflow, c->overflow + missed);
	STORE_REL(&c->read, pos);
	return n;
}

unsigned lease_log_read_each(struct lease_log *log, unsigned consumer, unsigned max,
			     void (*fn)(const struct lease_change *c, void *arg), void *arg)
{
	struct lease_log_cons *c = &log->cons[consumer];
	uint64_t pos = c->read, head = LOAD_ACQ(&log->head);
	unsigned n = 0;

	if (c->flags & LEASE_LOG_LOSSY)
		return 0;
	for (; n < max && pos < head; n++)
		fn(&log->ring[pos++ & log->mask], arg);
	/* release: the producer may reuse these slots once it sees this */
	STORE_REL(&c->read, pos);
	return n;
}

uint64_t lease_log_unread(const struct lease_log *log, unsigned consumer)
{
	return LOAD_ACQ(&log->head) - LOAD_RLX(&log->cons[consumer].read);
}

void lease_log_publish(struct lease_log *log, unsigned consumer, uint64_t seq)
{
	struct lease_log_cons *c = &log->cons[consumer];

	if (seq > LOAD_RLX(&c->done))
		STORE_REL(&c->done, seq);
}

uint64_t lease_log_done(const struct lease_log *log, unsigned consumer)
{
	return LOAD_ACQ(&log->cons[consumer].done);
}

uint64_t lease_log_safe(const struct lease_log *log, uint32_t mask)
{
	uint64_t m = UINT64_MAX;

	/* a bit for a consumer that does not exist is never safe */
	if (mask >> log->n_cons)
		return 0;
	for (uint32_t i = 0; mask; i++, mask >>= 1)
		if (mask & 1) {
			uint64_t d = LOAD_ACQ(&log->cons[i].done);

			if (d < m)
				m = d;
		}
	return m;
}

void lease_log_get_stats(const struct lease_log *log, struct lease_log_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->committed = LOAD_ACQ(&log->head);
	s->full = LOAD_RLX(&log->full);
	for (uint32_t i = 0; i < log->n_cons; i++) {
		s->overflow[i] = LOAD_RLX(&log->cons[i].overflow);
		s->done[i] = LOAD_ACQ(&log->cons[i].done);
	}
}

void lease_log_bell_arm(struct lease_log_bell *b)
{
	__atomic_store_n(&b->sleeping, 1, __ATOMIC_SEQ_CST);
}

bool lease_log_bell_wait(struct lease_log_bell *b, uint32_t timeout_us)
{
	struct timespec t = { .tv_sec = timeout_us / 1000000,
			      .tv_nsec = (long)(timeout_us % 1000000) * 1000 };
	bool rung;

	rung = syscall(SYS_futex, &b->sleeping, FUTEX_WAIT_PRIVATE, 1, &t, NULL, 0) == 0 ||
	       errno == EAGAIN;
	__atomic_store_n(&b->sleeping, 0, __ATOMIC_RELAXED);
	return rung;
}

void lease_log_bell_ring(struct lease_log_bell *b)
{
	uint64_t one = 1;

	if (!__atomic_exchange_n(&b->sleeping, 0, __ATOMIC_ACQ_REL))
		return;
	if (b->fd <= 0)
		syscall(SYS_futex, &b->sleeping, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	else if (write(b->fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake-up is pending anyway */
	}
}

void lease_log_bell_disarm(struct lease_log_bell *b)
{
	uint64_t v;

	__atomic_store_n(&b->sleeping, 0, __ATOMIC_RELAXED);
	if (b->fd > 0 && read(b->fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing rang */
	}
}
