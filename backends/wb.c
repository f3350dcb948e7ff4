/* The write-behind flusher: the store's consumer of every worker's
 * lease-change log.  One thread reads all logs in bursts, appends one
 * batch to the backend, syncs and publishes, as its watermark in each
 * worker's log, the highest sequence number that is now durable.
 *
 * A batch holds both families: DHCPv4 changes go to the backend's append,
 * DHCPv6 ones to its append6, and one sync makes both durable.
 *
 * COMMIT mode is group commit: one sync per batch, and a worker's parked
 * replies are released only by a published seq, which is stored after the
 * sync returned (for every store the batch wrote).  WRITE_BEHIND syncs at
 * most every flush_interval_ms.
 *
 * The logs need no EAL, so the flusher and its tests work without it. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "lease_log.h"
#include "wb.h"

#define WB_BURST 64u
#define WB_BATCH_DEFAULT 1024
#define WB_IDLE_US_DEFAULT 100
#define WB_DEEP_IDLE_US_DEFAULT 100000  /* idle this long before the doorbell sleep */
#define WB_DEEP_SLEEP_US 10000          /* doorbell sleep timeout (timers, lfc) */
#define WB_MAX_WORKERS 1024
#define WB_RETRY_MS_MAX 1000u
#define WB_STOP_TRIES 20
#define WB_STOP_RETRY_MS 50u            /* stopping: give the store ~1 s in all */

struct wb {
	struct wb_params p;
	pthread_mutex_t err_mu;         /* guards err: the flusher writes, main reads */
	char err[WB_ERR_MAX];           /* why the store was last lost or refused a try */
	struct lease_log **logs;        /* one per worker */
	int *cons;                      /* our consumer id in each log */
	uint64_t *appended;             /* highest seq appended, per worker */
	uint64_t *batch_first;          /* first seq of each worker in the batch, 0 none */
	uint64_t *ceiling;              /* never publish past this (a lost batch) */
	struct lease_rec *batch;        /* what the backend appends */
	unsigned n_recs;                /* records in batch */
	struct lease6_rec *batch6;      /* what it appends with append6 */
	unsigned n_recs6;
	unsigned next_worker;           /* where the next drain pass starts */
	pthread_t thr;
	bool started;
	bool stop;                      /* atomic */
	struct wb_stats st;             /* flusher writes (relaxed atomics) */
	/* Rung by a commit while the flusher sleeps: a futex wake, a
	 * syscall that never blocks.  Read on every commit, written only
	 * around deep sleeps, so the line stays shared while busy. */
	struct lease_log_bell bell;
	/* The outage journal (NULL: none).  held/held6 are what the store
	 * was given since its last successful sync: the journal gets them
	 * when the store fails.  rep/rep6 carry a replay in chunks. */
	struct lease_backend *jbe;
	int state;                      /* enum wb_store_state, atomic */
	uint16_t *batch_w, *batch6_w;   /* each batch record's worker */
	uint16_t *held_w, *held6_w;     /* each held record's worker */
	struct wb_refq *refq;           /* per worker: refusals on their way to it */
	struct lease_refusal *ref_buf;  /* scratch for the store's refused() */
	struct lease_rec *held;
	unsigned n_held, cap_held;
	struct lease6_rec *held6;
	unsigned n_held6, cap_held6;
	struct lease_rec *rep;
	unsigned n_rep;
	struct lease6_rec *rep6;
	unsigned n_rep6;
	uint64_t next_try;              /* ns: when to ping the store again */
	unsigned tries;                 /* failed tries of this outage */
};

static int wb_replay(struct wb *wb);

/* Refusals on their way to one worker: single producer (the flusher),
 * single consumer (the worker); pushed before the watermark that covers
 * them is published, so a worker that reads the watermark first and
 * then drains this sees every refusal the watermark covers. */
#define WB_REFQ_SIZE 256u
struct wb_refq {
	uint32_t head;                  /* consumer: next to take (release store) */
	uint8_t pad0[60];
	uint32_t tail;                  /* producer: next free (release store) */
	uint8_t pad1[60];
	struct lease_refusal v[WB_REFQ_SIZE];
} __attribute__((aligned(64)));
#define WB_REF_BUF 64u
#define WB_LEARN_NS 1000000u            /* other servers' claims taken this often */

#define WB_STAT_ADD(wb, f, v) __atomic_fetch_add(&(wb)->st.f, (v), __ATOMIC_RELAXED)

static uint64_t wb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wb_sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

struct wb *wb_create(const struct wb_params *p)
{
	struct wb *wb = NULL;
	unsigned w;
	int err = EINVAL;

	if (p == NULL || p->ops == NULL || p->be == NULL || p->ops->append == NULL ||
	    p->ops->sync == NULL || p->n_workers == 0 || p->n_workers > WB_MAX_WORKERS ||
	    p->logs == NULL || (p->mode != CONF_DUR_WRITE_BEHIND && p->mode != CONF_DUR_COMMIT))
		goto err;
	for (w = 0; w < p->n_workers; w++)
		if (p->logs[w] == NULL)
			goto err;
	err = ENOMEM;
	wb = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sizeof(*wb), RTE_CACHE_LINE_SIZE));
	if (wb == NULL)
		goto err;
	memset(wb, 0, sizeof(*wb));
	pthread_mutex_init(&wb->err_mu, NULL);
	wb->p = *p;
	if (wb->p.idle_sleep_us == 0)
		wb->p.idle_sleep_us = WB_IDLE_US_DEFAULT;
	if (wb->p.deep_idle_us == 0)
		wb->p.deep_idle_us = WB_DEEP_IDLE_US_DEFAULT;
	if (wb->p.batch_max == 0)
		wb->p.batch_max = WB_BATCH_DEFAULT;
	wb->logs = calloc(p->n_workers, sizeof(*wb->logs));
	wb->cons = calloc(p->n_workers, sizeof(*wb->cons));
	wb->appended = calloc(p->n_workers, sizeof(*wb->appended));
	wb->batch_first = calloc(p->n_workers, sizeof(*wb->batch_first));
	wb->ceiling = malloc(p->n_workers * sizeof(*wb->ceiling));
	wb->batch_w = malloc(sizeof(*wb->batch_w) * wb->p.batch_max);
	wb->batch6_w = malloc(sizeof(*wb->batch6_w) * wb->p.batch_max);
	wb->refq = aligned_alloc(64, sizeof(*wb->refq) * p->n_workers);
	wb->ref_buf = malloc(sizeof(*wb->ref_buf) * WB_REF_BUF);
	if (wb->batch_w == NULL || wb->batch6_w == NULL || wb->refq == NULL || wb->ref_buf == NULL)
		goto err;
	memset(wb->refq, 0, sizeof(*wb->refq) * p->n_workers);
	wb->batch = malloc(sizeof(*wb->batch) * wb->p.batch_max);
	if (p->ops->append6)
		wb->batch6 = malloc(sizeof(*wb->batch6) * wb->p.batch_max);
	if (wb->logs == NULL || wb->cons == NULL || wb->appended == NULL || wb->batch == NULL ||
	    wb->batch_first == NULL || wb->ceiling == NULL || (p->ops->append6 && wb->batch6 == NULL))
		goto err;
	if (wb->p.reconnect_wait_ms < WB_RECONNECT_MIN_MS)
		wb->p.reconnect_wait_ms = WB_RECONNECT_MIN_MS;
	if (p->journal_db) {
		char jerr[256];

		err = EINVAL;
		if (p->journal_ops == NULL || p->journal_ops->load == NULL)
			goto err;
		err = ENOMEM;
		wb->rep = malloc(sizeof(*wb->rep) * wb->p.batch_max);
		wb->rep6 = malloc(sizeof(*wb->rep6) * wb->p.batch_max);
		if (wb->rep == NULL || wb->rep6 == NULL)
			goto err;
		wb->jbe = p->journal_ops->open(p->journal_db, jerr, sizeof(jerr));
		if (wb->jbe == NULL) {
			err = errno ? errno : EIO;
			goto err;
		}
		/* a journal an earlier run left (it stopped while the store was
		 * away): into the store before anything loads from it */
		if (wb_replay(wb)) {
			err = EIO;
			goto err;
		}
	}
	for (w = 0; w < p->n_workers; w++) {
		int c = lease_log_consumer_add(p->logs[w], LEASE_LOG_HOLD, &wb->bell);

		if (c < 0) {
			err = -c;
			goto err;
		}
		wb->logs[w] = p->logs[w];
		wb->cons[w] = c;
		wb->ceiling[w] = UINT64_MAX;
	}
	return wb;
err:
	wb_free(wb);
	errno = err;
	return NULL;
}

unsigned wb_consumer(const struct wb *wb, unsigned worker)
{
	return (unsigned)wb->cons[worker];
}

uint64_t wb_durable(const struct wb *wb, unsigned worker)
{
	return lease_log_done(wb->logs[worker], (unsigned)wb->cons[worker]);
}

/* The store keeps one record per change (lease_rec or lease6_rec, Kea's
 * CSV line of its family), a removal as valid_lft 0, copied once,
 * straight from the log into the family's batch.  A store without
 * append6 keeps no DHCPv6 leases: their changes are read (the watermark
 * passes them) but not written. */
struct wb_take {
	struct wb *wb;
	unsigned w;
};

static void wb_take_one(const struct lease_change *c, void *arg)
{
	struct wb_take *x = arg;
	struct wb *wb = x->wb;

	if (!wb->batch_first[x->w])
		wb->batch_first[x->w] = c->seq;
	/* in order per log: the last one has the highest seq */
	wb->appended[x->w] = c->seq;
	if (c->family == LEASE_FAMILY_V4) {
		struct lease_rec *r = &wb->batch[wb->n_recs];

		wb->batch_w[wb->n_recs++] = (uint16_t)x->w;
		*r = c->u.v4;
		r->seq = c->seq;
		if (lease_op_removes(c->op))
			r->valid_lft = 0;
	} else if (c->family == LEASE_FAMILY_V6 && wb->batch6) {
		struct lease6_rec *r = &wb->batch6[wb->n_recs6];

		wb->batch6_w[wb->n_recs6++] = (uint16_t)x->w;
		*r = c->u.v6;
		r->seq = c->seq;
		if (lease_op_removes(c->op))
			r->valid_lft = 0;
	}
}

/* Fills the batch from every log, a burst per log per pass, starting at
 * a rotating worker so no log waits behind a busy one. */
static unsigned wb_drain(struct wb *wb)
{
	unsigned nw = wb->p.n_workers, max = wb->p.batch_max, n = 0, i;
	bool got;

	wb->n_recs = 0;
	wb->n_recs6 = 0;
	memset(wb->batch_first, 0, nw * sizeof(*wb->batch_first));
	do {
		got = false;
		for (i = 0; i < nw && n < max; i++) {
			unsigned w = (wb->next_worker + i) % nw;
			struct wb_take x = { .wb = wb, .w = w };
			unsigned k = lease_log_read_each(wb->logs[w], (unsigned)wb->cons[w],
							 RTE_MIN(WB_BURST, max - n), wb_take_one, &x);

			if (k) {
				n += k;
				got = true;
			}
		}
	} while (got && n < max);
	wb->next_worker = (wb->next_worker + 1) % nw;
	return n;
}

static bool wb_logs_empty(const struct wb *wb)
{
	for (unsigned w = 0; w < wb->p.n_workers; w++)
		if (lease_log_unread(wb->logs[w], (unsigned)wb->cons[w]))
			return false;
	return true;
}

static bool wb_stopping(const struct wb *wb)
{
	return __atomic_load_n(&wb->stop, __ATOMIC_ACQUIRE);
}

/* Appends records of both families to one backend, each family's part
 * once; with retry, the part the backend failed is retried with back-off
 * (the logs fill meanwhile and new changes are refused and counted:
 * bounded, never blocking a worker), giving up only when stopping. */
static int wb_put(struct wb *wb, const struct lease_backend_ops *ops, struct lease_backend *be,
		  const struct lease_rec *r4, unsigned n4, const struct lease6_rec *r6, unsigned n6,
		  bool retry)
{
	bool done4 = n4 == 0, done6 = n6 == 0;
	unsigned tries = 0, ms = 1;
	int ret;

	for (;;) {
		ret = 0;
		if (!done4 && (ret = ops->append(be, r4, n4)) == 0)
			done4 = true;
		if (ret == 0 && !done6 && (ret = ops->append6 ? ops->append6(be, r6, n6) : -ENODEV) == 0)
			done6 = true;
		if (ret == 0)
			break;
		WB_STAT_ADD(wb, errors, 1);
		if (!retry || (wb_stopping(wb) && ++tries >= WB_STOP_TRIES))
			return ret;
		wb_sleep_us(ms * 1000);
		ms = RTE_MIN(ms * 2, wb_stopping(wb) ? WB_STOP_RETRY_MS : WB_RETRY_MS_MAX);
	}
	return 0;
}

static enum wb_store_state wb_state(const struct wb *wb)
{
	return (enum wb_store_state)__atomic_load_n(&wb->state, __ATOMIC_ACQUIRE);
}

enum wb_store_state wb_store_state(const struct wb *wb)
{
	return wb_state(wb);
}

static void wb_set_state(struct wb *wb, enum wb_store_state st)
{
	__atomic_store_n(&wb->state, (int)st, __ATOMIC_RELEASE);
}

/* Room in a held list (*v, *vw: n_held of cap) for n more records of
 * `size` bytes and their workers.  0 or -ENOMEM. */
static int wb_hold_room(void **v, uint16_t **vw, unsigned n_held, unsigned *cap, unsigned n,
			size_t size)
{
	unsigned c;
	void *nv;
	uint16_t *nw;

	if (n_held + n <= *cap)
		return 0;
	c = RTE_MAX(*cap * 2, n_held + n);
	nv = realloc(*v, (size_t)c * size);
	nw = realloc(*vw, (size_t)c * sizeof(*nw));
	if (nv)
		*v = nv;
	if (nw)
		*vw = nw;
	if (nv == NULL || nw == NULL)
		return -ENOMEM;
	*cap = c;
	return 0;
}

/* Keep a copy of what goes to the store until it has committed it: both
 * families or neither. */
static int wb_hold(struct wb *wb)
{
	if (wb_hold_room((void **)&wb->held, &wb->held_w, wb->n_held, &wb->cap_held, wb->n_recs,
			 sizeof(*wb->batch)) ||
	    wb_hold_room((void **)&wb->held6, &wb->held6_w, wb->n_held6, &wb->cap_held6,
			 wb->n_recs6, sizeof(*wb->batch6)))
		return -ENOMEM;
	memcpy(wb->held + wb->n_held, wb->batch, wb->n_recs * sizeof(*wb->batch));
	memcpy(wb->held_w + wb->n_held, wb->batch_w, wb->n_recs * sizeof(*wb->batch_w));
	wb->n_held += wb->n_recs;
	if (wb->n_recs6) {
		memcpy(wb->held6 + wb->n_held6, wb->batch6, wb->n_recs6 * sizeof(*wb->batch6));
		memcpy(wb->held6_w + wb->n_held6, wb->batch6_w, wb->n_recs6 * sizeof(*wb->batch6_w));
	}
	wb->n_held6 += wb->n_recs6;
	return 0;
}

/* Keeps the store's reason for the last failure, for wb_store_error, as
 * one line (a log line's): line breaks and tabs in it (libpq's messages
 * have them) become one space, trailing blanks go. */
static void wb_note_error(struct wb *wb)
{
	const char *e = wb->p.ops->last_error ? wb->p.ops->last_error(wb->p.be) : NULL;
	size_t o = 0;

	pthread_mutex_lock(&wb->err_mu);
	for (; e && *e && o + 1 < sizeof(wb->err); e++) {
		bool blank = *e == '\n' || *e == '\r' || *e == '\t' || *e == ' ';

		if (blank && (o == 0 || wb->err[o - 1] == ' '))
			continue;
		wb->err[o++] = blank ? ' ' : *e;
	}
	while (o && wb->err[o - 1] == ' ')
		o--;
	wb->err[o] = '\0';
	pthread_mutex_unlock(&wb->err_mu);
}

void wb_store_error(struct wb *wb, char *buf, size_t len)
{
	pthread_mutex_lock(&wb->err_mu);
	snprintf(buf, len, "%s", wb->err);
	pthread_mutex_unlock(&wb->err_mu);
}

/* The store is away (counted once per outage). */
static void wb_store_lost(struct wb *wb)
{
	wb_note_error(wb);
	if (wb_state(wb) != WB_STORE_UP)
		return;
	WB_STAT_ADD(wb, outages, 1);
	wb_set_state(wb, WB_STORE_DOWN);
	wb->tries = 0;
	wb->next_try = wb_now_ns() + (uint64_t)wb->p.reconnect_wait_ms * 1000000u;
}

/* One more try failed: after max_reconnect_tries the flusher gave up
 * (on-fail decides what the server does; it keeps trying). */
static void wb_try_failed(struct wb *wb)
{
	wb_note_error(wb);
	WB_STAT_ADD(wb, reconnect_tries, 1);
	wb->tries++;
	if (wb->p.max_reconnect_tries && wb->tries >= wb->p.max_reconnect_tries)
		wb_set_state(wb, WB_STORE_GAVE_UP);
	wb->next_try = wb_now_ns() + (uint64_t)wb->p.reconnect_wait_ms * 1000000u;
}

/* The store failed: what it had not committed goes to the journal (in
 * order, before anything later), the store forgets it, and every change
 * goes to the journal until a replay brings the store up to date. */
static int wb_go_down(struct wb *wb)
{
	int ret;

	wb_store_lost(wb);
	ret = wb_put(wb, wb->p.journal_ops, wb->jbe, wb->held, wb->n_held, wb->held6, wb->n_held6,
		     true);
	if (ret == 0) {
		WB_STAT_ADD(wb, journaled, wb->n_held + wb->n_held6);
		WB_STAT_ADD(wb, backlog, wb->n_held + wb->n_held6);
	}
	if (wb->p.ops->discard)
		wb->p.ops->discard(wb->p.be);
	wb->n_held = wb->n_held6 = 0;
	return ret;
}

/* Appends the batch: to the store, or while it is away to the journal.
 * Without a journal, the store is retried until it takes the batch. */
static int wb_append(struct wb *wb)
{
	int ret;

	if (wb->jbe == NULL) {
		/* a store that refuses claims: keep what it was given, to
		 * hand its refusals to their workers after the commit */
		if (wb->p.ops->refused && (ret = wb_hold(wb)) != 0)
			return ret;
		return wb_put(wb, wb->p.ops, wb->p.be, wb->batch, wb->n_recs, wb->batch6, wb->n_recs6,
			      true);
	}
	if (wb_state(wb) == WB_STORE_UP) {
		bool held = wb_hold(wb) == 0;

		if (held && wb_put(wb, wb->p.ops, wb->p.be, wb->batch, wb->n_recs, wb->batch6,
				   wb->n_recs6, false) == 0)
			return 0;
		/* the journal gets held, with this batch at its end when it
		 * could be held, else the batch right after */
		ret = wb_go_down(wb);
		if (ret || held)
			return ret;
	}
	ret = wb_put(wb, wb->p.journal_ops, wb->jbe, wb->batch, wb->n_recs, wb->batch6, wb->n_recs6,
		     true);
	if (ret == 0) {
		WB_STAT_ADD(wb, journaled, wb->n_recs + wb->n_recs6);
		WB_STAT_ADD(wb, backlog, wb->n_recs + wb->n_recs6);
	}
	return ret;
}

/* The worker whose record (family, seq, address) the store refused: the
 * held records are what the committed transaction(s) carried. */
static int wb_refused_worker(const struct wb *wb, const struct lease_refusal *r)
{
	unsigned i;

	if (r->family == LEASE_FAMILY_V4) {
		for (i = 0; i < wb->n_held; i++)
			if (wb->held[i].seq == r->seq && wb->held[i].addr == r->addr)
				return wb->held_w[i];
	} else {
		for (i = 0; i < wb->n_held6; i++)
			if (wb->held6[i].seq == r->seq &&
			    lease_addr6_eq(wb->held6[i].addr, r->addr6))
				return wb->held6_w[i];
	}
	return -1;
}

/* r into worker w's queue: false when it is full. */
static bool wb_refq_try(struct wb *wb, unsigned w, const struct lease_refusal *r)
{
	struct wb_refq *q = &wb->refq[w];

	if (q->tail - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) >= WB_REFQ_SIZE)
		return false;
	q->v[q->tail & (WB_REFQ_SIZE - 1)] = *r;
	__atomic_store_n(&q->tail, q->tail + 1, __ATOMIC_RELEASE);
	return true;
}

static void wb_refq_push(struct wb *wb, unsigned w, const struct lease_refusal *r)
{
	unsigned tries = 0;

	/* the worker drains its queue every pass: wait for room (a reply
	 * must never leave before its refusal reached its worker); only a
	 * worker that stopped never drains, and then no reply leaves */
	while (!wb_refq_try(wb, w, r)) {
		if (wb_stopping(wb) && ++tries > 1000) {
			WB_STAT_ADD(wb, refusals_lost, 1);
			return;
		}
		wb_sleep_us(100);
	}
}

/* After the store committed what is held: every record it refused goes
 * to its worker before any watermark covering it is published. */
static void wb_route_refusals(struct wb *wb)
{
	unsigned n, i;

	if (wb->p.ops->refused == NULL)
		return;
	while ((n = wb->p.ops->refused(wb->p.be, wb->ref_buf, WB_REF_BUF)) > 0) {
		for (i = 0; i < n; i++) {
			int w = wb_refused_worker(wb, &wb->ref_buf[i]);

			WB_STAT_ADD(wb, refused, 1);
			if (w >= 0)
				wb_refq_push(wb, (unsigned)w, &wb->ref_buf[i]);
		}
	}
}

/* Claims other servers made (the store's learnt op): each to the worker
 * the address hashes to, so one address's claims meet in one worker.
 * Never waits: with the worker's queue full the claim is dropped (only a
 * refusal it might have saved is lost). */
static void wb_route_learnt(struct wb *wb)
{
	unsigned n, i;

	while ((n = wb->p.ops->learnt(wb->p.be, wb->ref_buf, WB_REF_BUF)) > 0) {
		for (i = 0; i < n; i++) {
			const struct lease_refusal *r = &wb->ref_buf[i];
			uint64_t h = r->family == LEASE_FAMILY_V4
					     ? r->addr
					     : r->addr6.hi ^ r->addr6.lo ^ (r->addr6.lo >> 29);
			unsigned w = (unsigned)(((h * 0x9e3779b97f4a7c15ull) >> 32) % wb->p.n_workers);

			if (wb_refq_try(wb, w, r))
				WB_STAT_ADD(wb, learnt, 1);
			else
				WB_STAT_ADD(wb, learnt_dropped, 1);
		}
	}
}

unsigned wb_refusals_take(struct wb *wb, unsigned worker, struct lease_refusal *out, unsigned max)
{
	struct wb_refq *q = &wb->refq[worker];
	uint32_t head = q->head, tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	while (head != tail && n < max)
		out[n++] = q->v[head++ & (WB_REFQ_SIZE - 1)];
	__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
	return n;
}

/* Sync, then publish: a watermark never passes a record the sync did
 * not cover (everything appended before the sync call). */
static int wb_sync_publish(struct wb *wb)
{
	uint64_t t0 = wb_now_ns();
	unsigned w;
	int ret;

	if (wb->jbe && wb_state(wb) == WB_STORE_UP) {
		ret = wb->p.ops->sync(wb->p.be);
		if (ret == 0) {
			wb_route_refusals(wb);
			wb->n_held = wb->n_held6 = 0;
		} else {
			WB_STAT_ADD(wb, errors, 1);
			ret = wb_go_down(wb);
			if (ret == 0)
				ret = wb->p.journal_ops->sync(wb->jbe);
		}
	} else if (wb->jbe) {
		ret = wb->p.journal_ops->sync(wb->jbe);
	} else {
		ret = wb->p.ops->sync(wb->p.be);
		if (ret == 0 && wb->p.ops->refused) {
			wb_route_refusals(wb);
			wb->n_held = wb->n_held6 = 0;
		}
	}
	WB_STAT_ADD(wb, sync_ns, wb_now_ns() - t0);
	if (ret) {
		WB_STAT_ADD(wb, errors, 1);
		return ret;
	}
	WB_STAT_ADD(wb, syncs, 1);
	for (w = 0; w < wb->p.n_workers; w++)
		lease_log_publish(wb->logs[w], (unsigned)wb->cons[w],
				  RTE_MIN(wb->appended[w], wb->ceiling[w]));
	return 0;
}

/* ---- the outage journal: replay ----------------------------------------
 * The journal's records go to the store in chunks of batch_max, each
 * appended and synced, in the journal's order (memfile's load replays a
 * file in order, removals included).  Any failure stops the replay; the
 * journal stays as it is and is replayed whole next time (the store takes
 * the same records again harmlessly: an upsert or a delete each). */
static int wb_rep_flush(struct wb *wb)
{
	int ret;

	if (wb->n_rep + wb->n_rep6 == 0)
		return 0;
	ret = wb_put(wb, wb->p.ops, wb->p.be, wb->rep, wb->n_rep, wb->rep6, wb->n_rep6, false);
	if (ret == 0)
		ret = wb->p.ops->sync(wb->p.be);
	if (ret) {
		if (wb->p.ops->discard)
			wb->p.ops->discard(wb->p.be);
		return ret;
	}
	WB_STAT_ADD(wb, replayed, wb->n_rep + wb->n_rep6);
	wb->n_rep = wb->n_rep6 = 0;
	/* a journaled change another server's lease now refuses: its reply
	 * left while the store was away; counted, the store keeps the other */
	if (wb->p.ops->refused) {
		unsigned n;

		while ((n = wb->p.ops->refused(wb->p.be, wb->ref_buf, WB_REF_BUF)) > 0)
			WB_STAT_ADD(wb, refused_replay, n);
	}
	return 0;
}

static int wb_rep4(const struct lease_rec *r, void *arg)
{
	struct wb *wb = arg;

	wb->rep[wb->n_rep++] = *r;
	return wb->n_rep == wb->p.batch_max ? wb_rep_flush(wb) : 0;
}

static int wb_rep6(const struct lease6_rec *r, void *arg)
{
	struct wb *wb = arg;

	wb->rep6[wb->n_rep6++] = *r;
	return wb->n_rep6 == wb->p.batch_max ? wb_rep_flush(wb) : 0;
}

/* Empties the journal: its files removed and opened anew. */
static int wb_journal_reset(struct wb *wb)
{
	const struct conf_lease_db *jd = wb->p.journal_db;
	char err[256];

	if (wb->jbe)
		wb->p.journal_ops->close(wb->jbe);
	wb->jbe = NULL;
	if ((jd->name[0] && unlink(jd->name) < 0 && errno != ENOENT) ||
	    (jd->name6[0] && unlink(jd->name6) < 0 && errno != ENOENT))
		return -errno;
	wb->jbe = wb->p.journal_ops->open(jd, err, sizeof(err));
	if (wb->jbe == NULL)
		return errno ? -errno : -EIO;
	__atomic_store_n(&wb->st.backlog, 0, __ATOMIC_RELAXED);
	return 0;
}

/* Everything in the journal into the store, then the journal emptied.
 * 0, or -errno with the journal kept. */
static int wb_replay(struct wb *wb)
{
	int ret;

	wb->n_rep = wb->n_rep6 = 0;
	ret = wb->p.journal_ops->load(wb->jbe, wb_rep4, wb);
	if (ret == 0 && wb->p.journal_ops->load6)
		ret = wb->p.journal_ops->load6(wb->jbe, wb_rep6, wb);
	if (ret == 0)
		ret = wb_rep_flush(wb);
	if (ret)
		return ret;
	return wb_journal_reset(wb);
}

/* While the store is away: every reconnect_wait_ms, ping it; once it
 * answers, replay the journal and write to the store again. */
static void wb_reconnect(struct wb *wb, uint64_t now)
{
	int ret;

	if (now < wb->next_try)
		return;
	ret = wb->p.ops->ping ? wb->p.ops->ping(wb->p.be) : 0;
	if (ret == 0)
		ret = wb_replay(wb);
	if (ret == 0 && wb->jbe) {
		wb->tries = 0;
		wb_set_state(wb, WB_STORE_UP);
		return;
	}
	wb_try_failed(wb);
}

/* The current batch will never be durable (the flusher gave up on it while
 * stopping): no watermark of a worker in it may ever pass its first record,
 * whatever a later append or sync achieves. */
static void wb_lose_batch(struct wb *wb)
{
	for (unsigned w = 0; w < wb->p.n_workers; w++)
		if (wb->batch_first[w] && wb->batch_first[w] - 1 < wb->ceiling[w])
			wb->ceiling[w] = wb->batch_first[w] - 1;
}

static void *wb_thread(void *arg)
{
	struct wb *wb = arg;
	bool commit = wb->p.mode == CONF_DUR_COMMIT;
	uint64_t interval = (uint64_t)wb->p.flush_interval_ms * 1000000u;
	uint64_t lfc = (uint64_t)wb->p.lfc_interval * 1000000000u;
	uint64_t now = wb_now_ns(), last_sync = now, last_lfc = now, last_learn = now;
	bool pending = false;
	unsigned stop_tries = 0, idle_polls = 0;
	unsigned deep_after = wb->p.deep_idle_us / wb->p.idle_sleep_us;

	/* The default 50 us timer slack would stretch every idle sleep and
	 * add to commit-mode reply latency. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	pthread_setname_np(pthread_self(), "pg-wb");
	for (;;) {
		bool stopping = wb_stopping(wb);
		unsigned n = wb_drain(wb);

		if (n) {
			if (wb_append(wb) == 0) {
				pending = true;
				WB_STAT_ADD(wb, records, wb->n_recs + wb->n_recs6);
				WB_STAT_ADD(wb, records6, wb->n_recs6);
				WB_STAT_ADD(wb, batches, 1);
				if (n > wb->st.max_batch)
					__atomic_store_n(&wb->st.max_batch, n, __ATOMIC_RELAXED);
			}
			else
				/* stopping and the store keeps failing: the batch
				 * is lost, counted in errors, never published */
				wb_lose_batch(wb);
		}
		now = wb_now_ns();
		if (wb->p.ops->learnt && now - last_learn >= WB_LEARN_NS) {
			last_learn = now;
			wb_route_learnt(wb);
		}
		if (pending && (commit || now - last_sync >= interval || (stopping && n == 0))) {
			int ret = wb_sync_publish(wb);

			if (ret == 0) {
				pending = false;
				last_sync = now;
			} else if (commit && n) {
				/* A failed fsync may have dropped the dirty pages
				 * (Linux marks them clean), so a later fsync that
				 * succeeds proves nothing: rewrite the batch.  Its
				 * watermark is not published until that works. */
				bool net = wb->p.ops->ping != NULL && wb->jbe == NULL;

				/* a network store without a journal (a shared
				 * database): it is away until this works */
				if (net)
					wb_store_lost(wb);
				while (ret && !(stopping && ++stop_tries >= WB_STOP_TRIES)) {
					wb_sleep_us(net ? wb->p.reconnect_wait_ms * 1000 : 1000);
					/* a network store keeps what it was given
					 * (and held keeps its copy): only sync */
					ret = net ? 0 : wb_append(wb);
					if (ret == 0)
						ret = wb_sync_publish(wb);
					if (ret && net)
						wb_try_failed(wb);
				}
				if (ret)
					wb_lose_batch(wb);
				else if (net)
					wb_set_state(wb, WB_STORE_UP);
				pending = false;
			}
		}
		/* not with a journal sync owed: the replay leaves the journal
		 * empty, and what it held must be durable somewhere first */
		if (wb->jbe && !pending && wb_state(wb) != WB_STORE_UP && !stopping)
			wb_reconnect(wb, now);
		if (lfc && now - last_lfc >= lfc && wb->p.ops->compact) {
			last_lfc = now;
			if (wb->p.ops->compact(wb->p.be) == 0)
				WB_STAT_ADD(wb, compactions, 1);
		}
		if (n) {
			idle_polls = 0;
			continue;
		}
		if (stopping) {
			if (!pending || ++stop_tries >= WB_STOP_TRIES)
				break;
			wb_sleep_us(1000);
			continue;
		}
		/* Idle: short sleeps first, so a server with any traffic
		 * keeps ~0.1 ms wake latency and pays no syscall per push;
		 * after deep_idle_us a long sleep that a push cuts short
		 * (100 us polling cost 13% of a core here; the doorbell sleep
		 * ~0.3%).  Never a long sleep with a write-behind sync owed. */
		if (++idle_polls < deep_after || pending) {
			wb_sleep_us(wb->p.idle_sleep_us);
			continue;
		}
		lease_log_bell_arm(&wb->bell);
		if (wb_logs_empty(wb) && !wb_stopping(wb)) {
			WB_STAT_ADD(wb, deep_sleeps, 1);
			if (lease_log_bell_wait(&wb->bell, WB_DEEP_SLEEP_US))
				WB_STAT_ADD(wb, bell_wakes, 1);
		} else {
			__atomic_store_n(&wb->bell.sleeping, 0, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

int wb_start(struct wb *wb)
{
	int ret;

	if (wb == NULL || wb->started) {
		errno = EINVAL;
		return -EINVAL;
	}
	__atomic_store_n(&wb->stop, false, __ATOMIC_RELAXED);
	ret = pthread_create(&wb->thr, NULL, wb_thread, wb);
	if (ret) {
		errno = ret;
		return -ret;
	}
	wb->started = true;
	return 0;
}

void wb_get_stats(const struct wb *wb, struct wb_stats *s)
{
	unsigned w;

	s->records = __atomic_load_n(&wb->st.records, __ATOMIC_RELAXED);
	s->records6 = __atomic_load_n(&wb->st.records6, __ATOMIC_RELAXED);
	s->batches = __atomic_load_n(&wb->st.batches, __ATOMIC_RELAXED);
	s->syncs = __atomic_load_n(&wb->st.syncs, __ATOMIC_RELAXED);
	s->errors = __atomic_load_n(&wb->st.errors, __ATOMIC_RELAXED);
	s->compactions = __atomic_load_n(&wb->st.compactions, __ATOMIC_RELAXED);
	s->sync_ns = __atomic_load_n(&wb->st.sync_ns, __ATOMIC_RELAXED);
	s->max_batch = __atomic_load_n(&wb->st.max_batch, __ATOMIC_RELAXED);
	s->deep_sleeps = __atomic_load_n(&wb->st.deep_sleeps, __ATOMIC_RELAXED);
	s->bell_wakes = __atomic_load_n(&wb->st.bell_wakes, __ATOMIC_RELAXED);
	s->outages = __atomic_load_n(&wb->st.outages, __ATOMIC_RELAXED);
	s->journaled = __atomic_load_n(&wb->st.journaled, __ATOMIC_RELAXED);
	s->replayed = __atomic_load_n(&wb->st.replayed, __ATOMIC_RELAXED);
	s->backlog = __atomic_load_n(&wb->st.backlog, __ATOMIC_RELAXED);
	s->reconnect_tries = __atomic_load_n(&wb->st.reconnect_tries, __ATOMIC_RELAXED);
	s->refused = __atomic_load_n(&wb->st.refused, __ATOMIC_RELAXED);
	s->refused_replay = __atomic_load_n(&wb->st.refused_replay, __ATOMIC_RELAXED);
	s->refusals_lost = __atomic_load_n(&wb->st.refusals_lost, __ATOMIC_RELAXED);
	s->learnt = __atomic_load_n(&wb->st.learnt, __ATOMIC_RELAXED);
	s->learnt_dropped = __atomic_load_n(&wb->st.learnt_dropped, __ATOMIC_RELAXED);
	s->ring_full = 0;
	for (w = 0; w < wb->p.n_workers; w++) {
		struct lease_log_stats ls;

		lease_log_get_stats(wb->logs[w], &ls);
		s->ring_full += ls.full;
	}
}

void wb_get_store_stats(const struct wb *wb, struct lease_backend_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (wb->p.ops->get_stats)
		wb->p.ops->get_stats(wb->p.be, s);
}

void wb_stop(struct wb *wb)
{
	if (wb == NULL || !wb->started)
		return;
	__atomic_store_n(&wb->stop, true, __ATOMIC_SEQ_CST);
	lease_log_bell_ring(&wb->bell);
	pthread_join(wb->thr, NULL);
	wb->started = false;
}

void wb_free(struct wb *wb)
{
	if (wb == NULL)
		return;
	wb_stop(wb);
	free(wb->logs);
	free(wb->cons);
	free(wb->appended);
	free(wb->batch_first);
	free(wb->ceiling);
	free(wb->batch);
	free(wb->batch6);
	if (wb->jbe)
		wb->p.journal_ops->close(wb->jbe);
	free(wb->held);
	free(wb->held6);
	free(wb->held_w);
	free(wb->held6_w);
	free(wb->batch_w);
	free(wb->batch6_w);
	free(wb->refq);
	free(wb->ref_buf);
	free(wb->rep);
	free(wb->rep6);
	free(wb);
}
