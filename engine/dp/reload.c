/* Live reconfiguration without stopping the datapath.
 *
 * The control thread builds the new runtime, freezes the old pools that
 * new ones replace, copies their in-use bits (dhcp4_runtime_seed) once no
 * worker is inside a unit of work begun before the freeze, and publishes
 * the snapshot with one pointer store.  Each worker picks it up at its
 * quiescent point (once per loop pass), remaps its leases lazily, and says
 * when it is done with the old runtime.  The old snapshot is freed once
 * every worker is done and rte_rcu_qsbr_check says every online worker
 * passed a quiescent state after the publication; a worker that is slow
 * only delays that, never the other workers or the reload's answer.
 * Every wait here has a deadline. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rte_rcu_qsbr.h>
#include "dp.h"
#include "log.h"

/* What a reload replaced, until nobody can use it any more. */
struct dp_retired {
	struct dp_retired *next;
	uint64_t gen;                   /* the reload that replaced it */
	uint64_t token;                 /* rte_rcu_qsbr_start after publishing */
	struct conf *conf;              /* the old configuration */
	struct dhcp4_runtime *rt;       /* the old runtime */
	struct dhcp4_runtime *new_rt;   /* committed when this is freed */
	struct dp_snap *snap;           /* the new snapshot: its rc[] hold the old arrays */
	struct dp_snap *old_snap;       /* the one it replaced (NULL: the first) */
};

#define NAP_NS 50000                    /* between two looks at the workers */

static void nap(void)
{
	struct timespec t = { 0, NAP_NS };

	nanosleep(&t, NULL);
}

bool dp_worker_current(const struct dp *dp, unsigned k)
{
	const struct dp_snap *s = dp->snap;

	return !s || __atomic_load_n(&dp->workers[k]->gen_seen, __ATOMIC_ACQUIRE) == s->gen;
}

static unsigned workers_done(const struct dp *dp, uint64_t gen)
{
	unsigned k, n = 0;

	for (k = 0; k < dp->n_workers; k++)
		n += __atomic_load_n(&dp->workers[k]->gen_done, __ATOMIC_ACQUIRE) >= gen;
	return n;
}

static void snap_free_arrays(struct dp_snap *s, unsigned n_workers)
{
	unsigned k;

	for (k = 0; s && k < n_workers; k++) {
		free(s->rc[k].subnet);
		free(s->rc[k].pool);
		free(s->rc[k].cursor);
		s->rc[k].subnet = NULL;
		s->rc[k].pool = NULL;
		s->rc[k].cursor = NULL;
	}
}

static bool retire_ready(struct dp *dp, const struct dp_retired *r)
{
	return workers_done(dp, r->gen) == dp->n_workers &&
	       rte_rcu_qsbr_check(dp->qs, r->token, false) == 1;
}

static void retire(struct dp *dp, struct dp_retired *r)
{
	/* every worker switched (their old arrays are back in r->snap) and
	 * none uses the old runtime: its held flags are final */
	dhcp4_runtime_commit(r->new_rt);
	dhcp4_runtime_free(r->rt);
	conf_free(r->conf);
	snap_free_arrays(r->snap, dp->n_workers);
	free(r->old_snap);
	free(r);
}

unsigned dp_reload_reap(struct dp *dp, unsigned wait_ms)
{
	uint64_t deadline = dp_now_us() + (uint64_t)wait_ms * 1000;
	unsigned left = 0;

	/* oldest first: a reload is retired only after the one before it */
	for (;;) {
		struct dp_retired *r = dp->retired;

		if (!r)
			return 0;
		if (retire_ready(dp, r)) {
			dp->retired = r->next;
			retire(dp, r);
			continue;
		}
		if (dp_now_us() >= deadline)
			break;
		nap();
	}
	for (struct dp_retired *r = dp->retired; r; r = r->next)
		left++;
	return left;
}

/* Wait until no worker is inside a unit of work that began before the
 * freeze: a worker whose count is odd is in one; once it changed, any unit
 * it begins sees the frozen pools. */
static int freeze_settle(struct dp *dp, unsigned freeze_ms)
{
	uint64_t deadline = dp_now_us() + (uint64_t)freeze_ms * 1000;
	uint32_t seen[DP_MAX_WORKERS];
	unsigned k, busy;

	for (k = 0; k < dp->n_workers; k++)
		seen[k] = dhcp4_worker_busy(dp->workers[k]->dw);
	/* A loop pass lasts microseconds and, while a pool is frozen, the
	 * workers cannot take from it: yield rather than nap (a nap of 50 us
	 * is a millisecond on a busy host). */
	for (;;) {
		for (k = 0, busy = 0; k < dp->n_workers; k++)
			busy += (seen[k] & 1) && dhcp4_worker_busy(dp->workers[k]->dw) == seen[k];
		if (!busy)
			return 0;
		if (dp_now_us() >= deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
}

int dp_reload(struct dp *dp, struct conf *nc, struct dhcp4_runtime *rt, struct conf *oc,
	      struct dhcp4_runtime *ort, unsigned freeze_ms, unsigned wait_ms,
	      struct dp_reload_info *out)
{
	uint32_t n_pools = dhcp4_runtime_pool_count(rt);
	struct dp_retired *r;
	struct dp_snap *s;
	uint64_t t0, t1, t2, deadline;
	unsigned k, done;
	int ret;

	memset(out, 0, sizeof(*out));
	/* A worker switches only once it is done with the reload before, and
	 * the old runtime is freed only after every worker: one at a time. */
	if (dp_reload_reap(dp, wait_ms))
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	r = calloc(1, sizeof(*r));
	if (!s || !r)
		goto nomem;
	s->conf = nc;
	s->rt = rt;
	s->gen = (dp->snap ? dp->snap->gen : 0) + 1;
	for (k = 0; k < dp->n_workers; k++) {
		struct dhcp4_reconf *rc = &s->rc[k];

		rc->conf = nc;
		rc->rt = rt;
		rc->subnet = calloc(nc->n_subnets ? nc->n_subnets : 1, sizeof(*rc->subnet));
		rc->pool = calloc(n_pools ? n_pools : 1, sizeof(*rc->pool));
		rc->cursor = calloc(n_pools ? n_pools : 1, sizeof(*rc->cursor));
		if (!rc->subnet || !rc->pool || !rc->cursor)
			goto nomem;
	}
	t0 = dp_now_us();
	if (dhcp4_runtime_freeze(rt)) {
		ret = freeze_settle(dp, freeze_ms);
		if (ret) {
			/* A worker that saw a frozen pool may be reading rt (its
			 * new pools) until its unit of work ends: rt is freed by
			 * the caller only once that is sure. */
			dhcp4_runtime_thaw(rt);
			if (freeze_settle(dp, freeze_ms * 10)) {
				LOG_E("reload: a worker is stuck in one loop pass; the new "
				      "runtime is left allocated rather than freed under it");
				out->rt_kept = true;
			}
			snap_free_arrays(s, dp->n_workers);
			free(s);
			free(r);
			return ret;
		}
	}
	/* the old pools are still now: the copy is exact */
	dhcp4_runtime_seed(rt);
	t1 = dp_now_us();
	out->freeze_us = t1 - t0;
	__atomic_store_n(&dp->conf, nc, __ATOMIC_RELEASE);
	r->old_snap = dp->snap;
	__atomic_store_n(&dp->snap, s, __ATOMIC_RELEASE);
	r->token = rte_rcu_qsbr_start(dp->qs);
	r->gen = s->gen;
	r->conf = oc;
	r->rt = ort;
	r->new_rt = rt;
	r->snap = s;
	r->next = NULL;
	{
		struct dp_retired **pp = &dp->retired;

		while (*pp)
			pp = &(*pp)->next;
		*pp = r;
	}

	/* What is known within wait_ms: the counts of the workers that are done. */
	deadline = t1 + (uint64_t)wait_ms * 1000;
	t2 = 0;
	while ((done = workers_done(dp, s->gen)) < dp->n_workers && dp_now_us() < deadline) {
		if (!t2) {
			for (k = 0; k < dp->n_workers && dp_worker_current(dp, k); k++)
				;
			if (k == dp->n_workers)
				t2 = dp_now_us();
		}
		nap();
	}
	if (!t2 && done == dp->n_workers)
		t2 = dp_now_us();
	out->switch_us = t2 ? t2 - t1 : 0;
	out->remap_us = done == dp->n_workers ? dp_now_us() - t1 : 0;
	out->remapping = dp->n_workers - done;
	for (k = 0; k < dp->n_workers; k++) {
		if (__atomic_load_n(&dp->workers[k]->gen_done, __ATOMIC_ACQUIRE) < s->gen)
			continue;
		out->leases += s->rc[k].leases;
		out->orphaned += s->rc[k].orphaned;
		out->conflicts += s->rc[k].conflicts;
	}
	dp_reload_reap(dp, 0);
	return 0;
nomem:
	snap_free_arrays(s, dp->n_workers);
	free(s);
	free(r);
	return -ENOMEM;
}

void dp_reload_finish(struct dp *dp)
{
	struct dp_snap *s = dp->snap;
	unsigned k;

	/* the workers are stopped (and offline): do what they did not get to */
	for (k = 0; s && k < dp->n_workers; k++) {
		struct dp_worker *w = dp->workers[k];

		if (!w || !w->dw)
			continue;
		while (!dhcp4_worker_remap(w->dw, UINT32_MAX))
			;
		if (w->snap != s && dhcp4_worker_switch(w->dw, &s->rc[k]) == 0) {
			w->snap = s;
			__atomic_store_n(&w->gen_seen, s->gen, __ATOMIC_RELEASE);
		}
		while (!dhcp4_worker_remap(w->dw, UINT32_MAX))
			;
		__atomic_store_n(&w->gen_done, w->gen_seen, __ATOMIC_RELEASE);
	}
	if (dp_reload_reap(dp, 0))
		LOG_W("a replaced configuration could not be freed at shutdown");
	snap_free_arrays(s, dp->n_workers);
	free(s);
	dp->snap = NULL;
}
