/* Live reconfiguration of the dhcp6 block: the control thread's side of
 * the two phases (engine/dhcp6/dhcp6_reconf.c is the worker's side and
 * says why no unit is ever held by two leases).
 *
 * DHCPv6 does not ride on DHCPv4's RCU snapshot: its new pools must hold
 * every old lease's unit before any worker serves them, which takes one
 * round of messages to every worker (prepare) before the one that
 * switches them (switch).  Each round goes out to every worker at once
 * and waits at most wait_ms for the answers.
 *
 * What may be freed when.  A worker reads the new runtime from the moment
 * it handles prepare until it handles abort, or for good after switch; it
 * reads the old runtime until it handles switch.  An answer says the
 * worker is past that point.  A worker that does not answer in time still
 * handles the message later (the message is abandoned, and the worker
 * frees it): so a prepare that timed out is followed by an abort whose
 * answer lets the new runtime go, and when that answer does not come
 * either, the new runtime is leaked rather than freed under the worker
 * (rt_kept, as dp_reload does).  After the switch the old runtime and the
 * old dhcp6 block stay until every worker's generation says it switched
 * (dp_reload6_reap, called every tick of the main loop); a new dhcp6
 * reload is refused meanwhile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dp.h"
#include "log.h"

struct dp_reload6 {
	uint64_t gen;                   /* dp->gen6 once published */
	struct dhcp6_runtime *rt, *old;
	struct conf6 *old_c6;           /* detached from the old conf */
	bool switched;                  /* phase 2 is published */
	/* phase 2's messages, made with phase 1 (the switch cannot fail for
	 * want of memory); one stays here until its worker's ring takes it */
	struct dp_msg *sw[DP_MAX_WORKERS];
	struct dhcp6_reconf rc[DP_MAX_WORKERS];
};

static void nap(void)
{
	struct timespec t = { 0, 50000 };

	nanosleep(&t, NULL);
}

static void r6_free(struct dp *dp, struct dp_reload6 *r)
{
	for (unsigned k = 0; k < dp->n_workers; k++) {
		free(r->rc[k].subnet);
		free(r->rc[k].pool);
		free(r->rc[k].cursor);
		dp_msg_free(r->sw[k]);
	}
	free(r);
}

/* Post m to worker k, again while its ring is full, until deadline:
 * 0, or -ETIMEDOUT (not posted). */
static int post(struct dp *dp, unsigned k, struct dp_msg *m, uint64_t deadline)
{
	for (;;) {
		int ret = dp_msg_post(dp, k, m);

		if (ret != -ENOBUFS)
			return ret;
		if (dp_now_us() >= deadline)
			return -ETIMEDOUT;
		nap();
	}
}

/* Wait for a posted m until deadline: the worker's answer (m freed), or
 * -ETIMEDOUT (m abandoned: the worker handles and frees it later). */
static int answer(struct dp_msg *m, uint64_t deadline)
{
	uint64_t now = dp_now_us();
	int ret;

	ret = dp_msg_wait(m, now < deadline ? (unsigned)((deadline - now + 999) / 1000) : 0);
	if (ret)
		return ret;
	ret = m->ret;
	dp_msg_free(m);
	return ret;
}

/* One round of `kind` to every worker.  res[k]: its answer, -ETIMEDOUT
 * (posted, not answered), -EAGAIN (never posted: its ring stayed full)
 * or -ENOMEM (not sent). */
static void round_trip(struct dp *dp, struct dp_reload6 *r, enum dp_msg_kind kind,
		       unsigned wait_ms, int *res)
{
	uint64_t deadline = dp_now_us() + (uint64_t)wait_ms * 1000;
	struct dp_msg *m[DP_MAX_WORKERS] = { NULL };
	unsigned k;

	for (k = 0; k < dp->n_workers; k++) {
		m[k] = dp_msg_new(kind, 0);
		if (!m[k]) {
			res[k] = -ENOMEM;
			continue;
		}
		m[k]->rc6 = &r->rc[k];
		m[k]->seq = r->gen;
		if (post(dp, k, m[k], deadline)) {
			res[k] = -EAGAIN;
			dp_msg_free(m[k]);
			m[k] = NULL;
		}
	}
	for (k = 0; k < dp->n_workers; k++)
		if (m[k])
			res[k] = answer(m[k], deadline);
}

/* Every worker that may have got prepare is unprepared again.  True when
 * one did not say so in time: the new runtime must then outlive it. */
static bool unprepare(struct dp *dp, struct dp_reload6 *r, const int *prep, unsigned wait_ms)
{
	int res[DP_MAX_WORKERS];
	bool kept = false;

	round_trip(dp, r, DP_MSG_ABORT6, wait_ms, res);
	for (unsigned k = 0; k < dp->n_workers; k++)
		if (res[k] && prep[k] != -EAGAIN && prep[k] != -ENOMEM) {
			LOG_E("dhcp6 reload: worker %u did not leave the reload given up within "
			      "%u ms; its new runtime is left allocated", k, wait_ms);
			kept = true;
		}
	return kept;
}

int dp_reload6_prepare(struct dp *dp, const struct conf *nc, struct dhcp6_runtime *rt,
		       unsigned wait_ms, struct dp_reload6_info *out)
{
	uint32_t n_pools = dhcp6_runtime_pool_count(rt);
	int res[DP_MAX_WORKERS], ret = 0;
	struct dp_reload6 *r;
	uint64_t t0 = dp_now_us();
	unsigned k;

	memset(out, 0, sizeof(*out));
	out->bad_pool = -1;
	if (dp_reload6_reap(dp))
		return -EBUSY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->rt = rt;
	r->old = dp->rt6;
	r->gen = dp->gen6 + 1;
	for (k = 0; k < dp->n_workers; k++) {
		struct dhcp6_reconf *rc = &r->rc[k];

		rc->conf = nc;
		rc->rt = rt;
		rc->subnet = calloc(nc->v6->n_subnets ? nc->v6->n_subnets : 1, sizeof(*rc->subnet));
		rc->pool = calloc(n_pools ? n_pools : 1, sizeof(*rc->pool));
		rc->cursor = calloc(n_pools ? n_pools : 1, sizeof(*rc->cursor));
		r->sw[k] = dp_msg_new(DP_MSG_SWITCH6, 0);
		if (!rc->subnet || !rc->pool || !rc->cursor || !r->sw[k]) {
			r6_free(dp, r);
			return -ENOMEM;
		}
		r->sw[k]->rc6 = rc;
		r->sw[k]->seq = r->gen;
	}
	round_trip(dp, r, DP_MSG_PREPARE6, wait_ms, res);
	for (k = 0; k < dp->n_workers; k++) {
		if (res[k] == 0) {
			out->conflicts += r->rc[k].conflicts;
			out->mismatched += r->rc[k].mismatched;
			if (out->bad_pool < 0)
				out->bad_pool = r->rc[k].bad_pool;
		} else if (!ret) {
			ret = res[k] == -EAGAIN ? -ETIMEDOUT : res[k];
		}
	}
	if (!ret && out->mismatched)
		ret = -EINVAL;
	out->prepare_us = dp_now_us() - t0;
	if (ret) {
		out->rt_kept = unprepare(dp, r, res, wait_ms);
		if (!out->rt_kept)
			r6_free(dp, r);         /* else its rc[] may still be read: leaked */
		return ret;
	}
	/* every old lease's unit is taken in the new pools: they may open */
	dhcp6_runtime_open(rt);
	dp->reload6 = r;
	return 0;
}

void dp_reload6_abort(struct dp *dp, unsigned wait_ms, struct dp_reload6_info *out)
{
	struct dp_reload6 *r = dp->reload6;
	int prep[DP_MAX_WORKERS] = { 0 };

	if (!r || r->switched)
		return;
	dp->reload6 = NULL;
	out->rt_kept = unprepare(dp, r, prep, wait_ms);
	if (!out->rt_kept)
		r6_free(dp, r);
}

/* Post the switch messages that are still here: each one is abandoned
 * once posted (its worker frees it), the generations say the rest. */
static void post_switches(struct dp *dp, struct dp_reload6 *r, uint64_t deadline)
{
	for (unsigned k = 0; k < dp->n_workers; k++) {
		struct dp_msg *m = r->sw[k];
		uint64_t now;

		if (!m || post(dp, k, m, deadline))
			continue;
		r->sw[k] = NULL;
		now = dp_now_us();
		if (dp_msg_wait(m, now < deadline ? (unsigned)((deadline - now + 999) / 1000) : 0))
			continue;       /* abandoned: its worker frees it */
		if (m->ret)
			LOG_E("dhcp6 reload: worker %u refused the switch: %s", k, strerror(-m->ret));
		dp_msg_free(m);
	}
}

void dp_reload6_switch(struct dp *dp, struct conf6 *old_c6, unsigned wait_ms,
		       struct dp_reload6_info *out)
{
	struct dp_reload6 *r = dp->reload6;
	uint64_t t0 = dp_now_us();

	if (!r || r->switched)
		return;
	r->old_c6 = old_c6;
	r->switched = true;
	dp->rt6 = r->rt;
	dp->gen6 = r->gen;
	post_switches(dp, r, t0 + (uint64_t)wait_ms * 1000);
	out->switch_us = dp_now_us() - t0;
	for (unsigned k = 0; k < dp->n_workers; k++) {
		if (!dp_worker6_current(dp, k)) {
			out->switching++;
			continue;
		}
		out->leases += r->rc[k].leases;
		out->orphaned += r->rc[k].orphaned;
	}
	if (out->switching)
		LOG_W("dhcp6 reload: %u worker(s) not switched within %u ms; the old dhcp6 "
		      "configuration is freed once they have", out->switching, wait_ms);
	(void)dp_reload6_reap(dp);
}

unsigned dp_reload6_reap(struct dp *dp)
{
	struct dp_reload6 *r = dp->reload6;

	if (!r)
		return 0;
	if (!r->switched)
		return 1;
	post_switches(dp, r, 0);
	for (unsigned k = 0; k < dp->n_workers; k++)
		if (!dp_worker6_current(dp, k))
			return 1;
	/* nobody reads the old runtime any more; the arrays in rc[] are the
	 * workers' old ones */
	dhcp6_runtime_commit(r->rt);
	dhcp6_runtime_free(r->old);
	conf6_free(r->old_c6);
	dp->reload6 = NULL;
	r6_free(dp, r);
	return 0;
}

void dp_reload6_finish(struct dp *dp)
{
	struct dp_reload6 *r = dp->reload6;

	if (!r || !r->switched)
		return;
	/* the workers are stopped: switch here whoever did not (a message
	 * still in its ring is freed with the ring, unhandled) */
	for (unsigned k = 0; k < dp->n_workers; k++) {
		struct dp_worker *w = dp->workers[k];

		if (!dp_worker6_current(dp, k) && w->dw6 &&
		    dhcp6_worker_switch(w->dw6, &r->rc[k]) == 0)
			__atomic_store_n(&w->gen6, r->gen, __ATOMIC_RELEASE);
	}
	if (dp_reload6_reap(dp))
		LOG_W("the replaced dhcp6 configuration could not be freed at shutdown");
}
