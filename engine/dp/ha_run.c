/* The HA thread and the server's side of the HA service core (ha_run.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_ring.h>

#include "conf.h"
#include "ctl_srv.h"
#include "dp.h"
#include "ha_run.h"
#include "ha_service.h"
#include "lease_log.h"
#include "lease_rec.h"
#include "log.h"

/* Each worker's changes as the HA thread tracks them, from the last
 * published watermark (pub) to the last one read (read): an entry's
 * outcome by its seq.  Twice the log: the log laps the consumer before
 * the tracking fills. */
#define TRK_SIZE (2u * DP_LOG_SIZE)
#define TRK_MASK (TRK_SIZE - 1)
#define READ_BATCH 64
#define REFQ_SIZE 4096
#define TAG_SEQ_BITS 48
#define SEEN_SIZE 1024                 /* queries to analyze in flight per worker */

enum { TRK_PENDING, TRK_OK, TRK_FAILED };

struct ha_trk {
	uint64_t read, pub;
	uint64_t overflow;              /* the log's count for us, as last seen */
	struct lease_change buf[READ_BATCH];
	unsigned nbuf, ibuf;            /* read from the log, not handled yet */
	bool blocked;                   /* the last pump stopped on a full queue or ring,
					 * or on outcomes it needs first */
	uint8_t st[TRK_SIZE];
};

struct ha_run {
	struct dp *dp;
	struct dp_srv *srv;
	struct ha_service *svc;
	bool dhcp6;
	unsigned cons;                  /* our consumer id, the same in every log */
	struct lease_log_bell bell;     /* rung (its eventfd) while the thread sleeps */
	struct ha_trk *trk[DP_MAX_WORKERS];
	pthread_t thr;
	int stopfd;
	bool started;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned fam_mask(int fam)
{
	return fam == 6 ? NETSTATE_V6 : NETSTATE_V4;
}

static void set_service(void *ctx, int fam, bool on)
{
	struct ha_run *r = ctx;

	if (on)
		netstate_enable(&r->dp->ns, fam_mask(fam), NETSTATE_HA_LOCAL);
	else
		netstate_disable(&r->dp->ns, fam_mask(fam), NETSTATE_HA_LOCAL, (uint32_t)time(NULL), 0);
}

static void set_scopes(void *ctx, int fam, unsigned scopes)
{
	struct ha_run *r = ctx;

	__atomic_store_n(&r->dp->ha_scopes[fam == 6 ? 1 : 0], scopes, __ATOMIC_RELAXED);
}

static void end_partner_disable(void *ctx, int fam)
{
	struct ha_run *r = ctx;

	netstate_enable(&r->dp->ns, fam_mask(fam), NETSTATE_HA_PARTNER);
}

/* A sync page: each lease through its owner worker, the newer one kept.
 * A lease this server cannot take (its client holds another one here)
 * is logged and skipped: the page goes on. */
static int apply_leases4(void *ctx, const struct lease_rec *recs, size_t n)
{
	struct ha_run *r = ctx;

	for (size_t i = 0; i < n; i++) {
		int ret = dp_srv_lease4_apply(r->srv, &recs[i]);

		if (ret == -ENOMEM)
			return ret;
		if (ret)
			LOG_W("HA sync: a lease of the partner's not taken: %s", strerror(-ret));
	}
	return 0;
}

static int apply_leases6(void *ctx, const struct lease6_rec *recs, size_t n)
{
	struct ha_run *r = ctx;

	for (size_t i = 0; i < n; i++) {
		int ret = dp_srv_lease6_apply(r->srv, &recs[i]);

		if (ret == -ENOMEM)
			return ret;
		if (ret)
			LOG_W("HA sync: a DHCPv6 lease of the partner's not taken: %s", strerror(-ret));
	}
	return 0;
}

static void state_changed(void *ctx, int fam, enum ha_state from, enum ha_state to)
{
	(void)ctx;
	LOG_I("HA (DHCPv%d): %s -> %s", fam, from ? ha_state_name(from) : "start",
	      ha_state_name(to));
}

/* ---- lease updates: the workers' logs -> the service -> the gate ----- */

/* Whether the partner hears of this change at all.  Kea's HA sends what
 * its clients' packets change (leases4_committed, lease4_release, ...);
 * not what the partner sent (origin HA: it would echo forever), not
 * expiries (each server reclaims on its own), not control commands
 * (lease_cmds does not go through the HA hooks in Kea either). */
static bool change_sent(const struct ha_run *r, const struct lease_change *c)
{
	if (c->origin == LEASE_ORIGIN_HA || c->origin == LEASE_ORIGIN_CONTROL)
		return false;
	if (c->op == LEASE_OP_EXPIRE)
		return false;
	return c->family == LEASE_FAMILY_V4 || (c->family == LEASE_FAMILY_V6 && r->dhcp6);
}

/* The log lapped us: the changes before `seq` that we never read never
 * reach the partner, and their replies must not leave as if they had.
 * Once every earlier outcome is published (so one watermark covers
 * them), the gap is refused to the worker in ranges (HA_REFQ_RANGE),
 * each before the watermark passes it.  false: not yet (outcomes
 * pending, or the refusal ring is full): try again next pass. */
static bool skip_gap(struct ha_run *r, unsigned k, uint64_t seq)
{
	struct ha_trk *t = r->trk[k];

	if (t->pub != t->read)
		return false;
	while (t->read + 1 < seq) {
		uint64_t lo = t->read + 1, hi = seq - 1;

		if (hi - lo >= HA_REFQ_RANGE_MAX)
			hi = lo + HA_REFQ_RANGE_MAX - 1;
		if (rte_ring_sp_enqueue(r->dp->ha_refq[k],
					(void *)(uintptr_t)HA_REFQ_RANGE(lo, hi)) != 0)
			return false;
		t->read = t->pub = hi;
		lease_log_publish(r->dp->logs[k], r->cons, hi);
	}
	return true;
}

/* Worker k's log into the service: 0 when the service's queue is full
 * (the rest waits in t->buf), else how many were handled. */
static unsigned pump_log(struct ha_run *r, unsigned k)
{
	struct ha_trk *t = r->trk[k];
	struct lease_log *log = r->dp->logs[k];
	unsigned done = 0;

	t->blocked = true;
	for (;;) {
		if (t->ibuf == t->nbuf) {
			struct lease_log_stats ls;
			unsigned max = READ_BATCH;

			/* room to track what is read: the oldest pending outcome
			 * must stay within the ring */
			if (t->read - t->pub + READ_BATCH > TRK_SIZE)
				return done;
			t->nbuf = lease_log_read(log, r->cons, t->buf, max);
			t->ibuf = 0;
			if (!t->nbuf) {
				t->blocked = false;
				return done;
			}
			lease_log_get_stats(log, &ls);
			if (ls.overflow[r->cons] != t->overflow) {
				/* lapped: those changes never reach the partner */
				ha_service_unsent_add(r->svc, ls.overflow[r->cons] - t->overflow);
				t->overflow = ls.overflow[r->cons];
			}
		}
		while (t->ibuf < t->nbuf) {
			const struct lease_change *c = &t->buf[t->ibuf];
			uint8_t st = TRK_OK;

			if (c->seq > t->read + 1 && !skip_gap(r, k, c->seq))
				return done;
			if (c->seq - t->pub > TRK_SIZE)
				return done;    /* wait for the oldest outcome */
			if (change_sent(r, c)) {
				int ret = ha_service_update_push(r->svc, c,
								 ((uint64_t)k << TAG_SEQ_BITS) | c->seq);

				if (ret == -ENOBUFS)
					return done;
				st = ret == 0 ? TRK_PENDING : TRK_OK;
			}
			t->st[c->seq & TRK_MASK] = st;
			t->read = c->seq;
			t->ibuf++;
			done++;
		}
	}
}

/* The outcomes the service has: each tracked change ok or failed. */
static unsigned take_outcomes(struct ha_run *r)
{
	struct ha_update_done d[256];
	unsigned n, i, all = 0;

	while ((n = ha_service_updates_done(r->svc, d, 256)) > 0) {
		for (i = 0; i < n; i++) {
			unsigned k = (unsigned)(d[i].tag >> TAG_SEQ_BITS);
			uint64_t seq = d[i].tag & ((1ull << TAG_SEQ_BITS) - 1);
			struct ha_trk *t = k < r->dp->n_workers ? r->trk[k] : NULL;

			if (t && seq > t->pub && seq <= t->read)
				t->st[seq & TRK_MASK] = d[i].ok ? TRK_OK : TRK_FAILED;
		}
		all += n;
	}
	return all;
}

/* Worker k's watermark over every change with an outcome, in order; the
 * failed ones are refused to the worker first (its gate then drops their
 * replies), so a reply never leaves on a watermark that passed a refusal
 * it has not seen. */
static unsigned publish(struct ha_run *r, unsigned k)
{
	struct ha_trk *t = r->trk[k];
	uint64_t s = t->pub + 1;

	while (s <= t->read) {
		uint8_t st = t->st[s & TRK_MASK];

		if (st == TRK_PENDING)
			break;
		if (st == TRK_FAILED &&
		    rte_ring_sp_enqueue(r->dp->ha_refq[k], (void *)(uintptr_t)s) != 0)
			break;          /* the worker drains it: next pass */
		s++;
	}
	if (s - 1 == t->pub)
		return 0;
	t->pub = s - 1;
	lease_log_publish(r->dp->logs[k], r->cons, t->pub);
	return 1;
}

/* Whether replies wait for the partner: the service's word per family,
 * published to the workers as our consumer's bit in their gate's mask. */
static void publish_need(struct ha_run *r)
{
	uint32_t bit = 1u << r->cons;

	__atomic_store_n(&r->dp->ha_need[0], ha_service_updates_wait(r->svc, 4) ? bit : 0,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&r->dp->ha_need[1],
			 r->dhcp6 && ha_service_updates_wait(r->svc, 6) ? bit : 0, __ATOMIC_RELAXED);
}

/* Failure detection: tell the workers whether to send the queries this
 * server does not serve (communication with the partner interrupted),
 * and hand the service those they sent. */
static unsigned analyze(struct ha_run *r)
{
	struct dp_ha_seen e[64];
	unsigned k, n, i, all = 0;

	__atomic_store_n(&r->dp->ha_analyze[0], ha_service_analyzing(r->svc, 4), __ATOMIC_RELAXED);
	__atomic_store_n(&r->dp->ha_analyze[1], r->dhcp6 && ha_service_analyzing(r->svc, 6),
			 __ATOMIC_RELAXED);
	for (k = 0; k < r->dp->n_workers; k++) {
		while ((n = rte_ring_sc_dequeue_burst_elem(r->dp->ha_seen[k], e, sizeof(e[0]),
							   RTE_DIM(e), NULL)) > 0) {
			for (i = 0; i < n; i++)
				ha_service_analyze(r->svc, e[i].fam, e[i].fp, e[i].has_t, e[i].t);
			all += n;
		}
	}
	return all;
}

/* One round: read, push, take outcomes, publish, analyze.  How much was
 * done. */
static unsigned pump(struct ha_run *r)
{
	unsigned k, work = 0;

	for (k = 0; k < r->dp->n_workers; k++)
		work += pump_log(r, k);
	work += take_outcomes(r);
	for (k = 0; k < r->dp->n_workers; k++)
		work += publish(r, k);
	publish_need(r);
	work += analyze(r);
	return work;
}

/* 1: a log has a change the last pump did not see (committed since);
 * -1: a pump stopped on something the partner's answers free (a full
 * queue, outcomes it needs first): no point in waking for commits, but
 * look again soon; 0: all read. */
static int logs_pending(const struct ha_run *r)
{
	int ret = 0;

	for (unsigned k = 0; k < r->dp->n_workers; k++) {
		if (r->trk[k]->blocked)
			ret = -1;
		else if (lease_log_unread(r->dp->logs[k], r->cons) > 0)
			return 1;
	}
	return ret;
}

static void *ha_thread(void *arg)
{
	struct ha_run *r = arg;
	struct pollfd pfd[HA_SERVICE_POLLFDS_MAX + 2];

	for (;;) {
		unsigned work = pump(r);
		uint64_t now = mono_ms();
		unsigned n = ha_service_pollfds(r->svc, pfd, HA_SERVICE_POLLFDS_MAX);
		int t = ha_service_timeout_ms(r->svc, now);

		if (t < 0 || t > 1000)
			t = 1000;
		if (work) {
			t = 0;
		} else {
			/* asleep from here: a commit rings the eventfd; one that
			 * came before the bell was armed is seen here.  Blocked
			 * on the partner: its answers wake us, commits need not. */
			lease_log_bell_arm(&r->bell);
			switch (logs_pending(r)) {
			case 1:
				t = 0;
				break;
			case -1:
				lease_log_bell_disarm(&r->bell);
				if (t > 1)
					t = 1;
				break;
			}
		}
		pfd[n] = (struct pollfd){ .fd = r->stopfd, .events = POLLIN };
		pfd[n + 1] = (struct pollfd){ .fd = r->bell.fd, .events = POLLIN };
		if (poll(pfd, n + 2, t) < 0 && errno != EINTR)
			break;
		lease_log_bell_disarm(&r->bell);
		if (pfd[n].revents & POLLIN)
			break;
		pump(r);
		ha_service_poll(r->svc, mono_ms());
	}
	return NULL;
}

/* Our lossy consumer in every worker's log (the same id in each, so one
 * bit in the gate's mask names it), the tracking, and the refusal ring
 * to each worker.  Before the workers make their first change. */
static int attach_logs(struct ha_run *r)
{
	struct dp *dp = r->dp;

	for (unsigned k = 0; k < dp->n_workers; k++) {
		char name[RTE_RING_NAMESIZE];
		int c = lease_log_consumer_add(dp->logs[k], LEASE_LOG_LOSSY, &r->bell);

		if (c < 0 || (k > 0 && (unsigned)c != r->cons)) {
			errno = c < 0 ? -c : EINVAL;
			return -1;
		}
		r->cons = (unsigned)c;
		dp->ha_bit = 1u << c;
		r->trk[k] = calloc(1, sizeof(*r->trk[k]));
		snprintf(name, sizeof(name), "ha_refq_%u", k);
		dp->ha_refq[k] = rte_ring_create(name, REFQ_SIZE, (int)rte_socket_id(),
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ha_seen_%u", k);
		dp->ha_seen[k] = rte_ring_create_elem(name, sizeof(struct dp_ha_seen), SEEN_SIZE,
						      (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r->trk[k] == NULL || dp->ha_refq[k] == NULL || dp->ha_seen[k] == NULL) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

/* What create made; the refusal rings stay the datapath's (the workers
 * may still read them: dp_workers_free frees them). */
static void ha_run_free(struct ha_run *r)
{
	for (unsigned k = 0; k < DP_MAX_WORKERS; k++)
		free(r->trk[k]);
	if (r->svc)
		ha_service_destroy(r->svc);
	if (r->stopfd >= 0)
		close(r->stopfd);
	if (r->bell.fd > 0)
		close(r->bell.fd);
	free(r);
}

struct ha_run *ha_run_create(struct dp *dp, struct dp_srv *srv, const struct conf *conf)
{
	struct ha_run *r;
	struct ha_service_params p;

	errno = 0;
	if (conf->ha == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->dp = dp;
	r->srv = srv;
	/* one relationship per family served, as Kea runs one per daemon */
	r->dhcp6 = dp->rt6 != NULL;
	r->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->bell.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->stopfd < 0 || r->bell.fd <= 0 || attach_logs(r) != 0)
		goto fail;
	memset(&p, 0, sizeof(p));
	p.ha = conf->ha;
	p.dhcp6 = r->dhcp6;
	p.ops = (struct ha_service_ops){
		.ctx = r, .set_service = set_service, .set_scopes = set_scopes,
		.end_partner_disable = end_partner_disable, .apply_leases4 = apply_leases4,
		.apply_leases6 = apply_leases6, .state_changed = state_changed,
	};
	r->svc = ha_service_create(&p, mono_ms());
	if (r->svc == NULL)
		goto fail;
	/* nothing served until the state machine says which scopes */
	__atomic_store_n(&dp->ha_scopes[0], 0u, __ATOMIC_RELAXED);
	if (r->dhcp6)
		__atomic_store_n(&dp->ha_scopes[1], 0u, __ATOMIC_RELAXED);
	srv->ha = r->svc;
	return r;
fail: {
		int e = errno ? errno : ENOMEM;

		ha_run_free(r);
		errno = e;
		return NULL;
	}
}

int ha_run_start(struct ha_run *r)
{
	int ret = ha_service_start(r->svc, mono_ms());

	if (ret)
		return ret;
	ret = pthread_create(&r->thr, NULL, ha_thread, r);
	if (ret)
		return -ret;
	pthread_setname_np(r->thr, "ha");
	r->started = true;
	return 0;
}

void ha_run_stop(struct ha_run *r)
{
	uint64_t one = 1;

	if (r == NULL)
		return;
	if (r->started) {
		if (write(r->stopfd, &one, sizeof(one)) < 0)
			abort();        /* an eventfd write cannot fail here */
		pthread_join(r->thr, NULL);
	}
	/* replies stop waiting for a partner nobody talks to any more (what
	 * is parked already leaves by its deadline or at the drain) */
	__atomic_store_n(&r->dp->ha_need[0], 0u, __ATOMIC_RELAXED);
	__atomic_store_n(&r->dp->ha_need[1], 0u, __ATOMIC_RELAXED);
	r->srv->ha = NULL;
	ha_run_free(r);
}
