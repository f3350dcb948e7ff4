/* A worker's control messages (struct dp_msg, dp.h): the control thread's
 * side (make, post, wait, free) and the worker's (each message handled on
 * its lcore between packets, the answer published).  Moved out of
 * worker.c, whose concern is the packet path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rte_ring.h>
#include "dp.h"
#include "dp_acache.h"
#include "lease.h"
#include "lease_log.h"
#include "log.h"

/* ---- control messages ------------------------------------------------ */

struct dp_msg *dp_msg_new(enum dp_msg_kind kind, unsigned out_cap)
{
	struct dp_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->kind = kind;
	m->state = DP_MSG_PENDING;
	if (out_cap) {
		if (kind == DP_MSG_QUERY6)
			m->out6 = calloc(out_cap, sizeof(*m->out6));
		else
			m->out = calloc(out_cap, sizeof(*m->out));
		if (!m->out && !m->out6) {
			free(m);
			errno = ENOMEM;
			return NULL;
		}
		m->cap = out_cap;
	}
	return m;
}

void dp_msg_free(struct dp_msg *m)
{
	if (!m)
		return;
	free(m->out);
	free(m->out6);
	free(m->addrs);
	free(m->rets);
	free(m->aout);
	free(m);
}

int dp_msg_post(struct dp *dp, unsigned worker, struct dp_msg *m)
{
	if (worker >= dp->n_workers || !dp->ctl_ring[worker])
		return -EINVAL;
	__atomic_store_n(&m->state, DP_MSG_PENDING, __ATOMIC_RELAXED);
	return rte_ring_sp_enqueue(dp->ctl_ring[worker], m) ? -ENOBUFS : 0;
}

int dp_msg_wait(struct dp_msg *m, unsigned timeout_ms)
{
	struct timespec t0, t;
	uint32_t expect = DP_MSG_PENDING;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec nap = { 0, 20000 };

		if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == DP_MSG_DONE)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000 +
		    (uint64_t)((t.tv_nsec - t0.tv_nsec) / 1000000) >= timeout_ms)
			break;
		nanosleep(&nap, NULL);
	}
	if (__atomic_compare_exchange_n(&m->state, &expect, DP_MSG_ABANDONED, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -ETIMEDOUT;
	return 0;       /* answered just now */
}

/* Worker side: the answer is published with a release store; a message
 * the control thread gave up on is freed here. */
static void msg_complete(struct dp_msg *m)
{
	uint32_t expect = DP_MSG_PENDING;

	if (!__atomic_compare_exchange_n(&m->state, &expect, DP_MSG_DONE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		dp_msg_free(m);
}


static void msg_handle(struct dp_worker *w, struct dp_msg *m)
{
	/* whose change it is: the HA partner's (logged so, never sent back)
	 * or a control command's */
	uint8_t origin = m->origin ? m->origin : LEASE_ORIGIN_CONTROL;
	long n;

	dhcp4_worker_set_ctl_origin(w->dw, origin);
	if (w->dw6)
		dhcp6_worker_set_ctl_origin(w->dw6, origin);
	switch (m->kind) {
	case DP_MSG_QUERY:
		m->n = dhcp4_lease_query(w->dw, &m->filter, m->out, m->cap, &m->matched);
		m->ret = 0;
		break;
	case DP_MSG_ADD:
	case DP_MSG_UPDATE:
		m->ret = dhcp4_lease_add(w->dw, &m->rec, m->kind == DP_MSG_UPDATE, &m->seq);
		break;
	case DP_MSG_DEL:
		n = dhcp4_lease_del(w->dw, &m->filter, &m->n);
		m->ret = n < 0 ? (int)n : 0;
		m->matched = n < 0 ? 0 : (uint64_t)n;
		break;
	case DP_MSG_RECLAIM:
		m->matched = dhcp4_lease_reclaim(w->dw, UINT32_MAX);
		m->ret = 0;
		break;
	case DP_MSG_FETCH:
		m->n = dhcp4_lease_fetch(w->dw, m->addrs, m->n, m->out);
		m->ret = 0;
		break;
	case DP_MSG_ADOPT:
		m->ret = dhcp4_lease_adopt(w->dw, &m->rec, &m->seq);
		break;
	case DP_MSG_HANDOVER:
		m->ret = dhcp4_lease_handover(w->dw, m->filter.addr, m->ref, &m->seq);
		break;
	case DP_MSG_RELOG:
		m->ret = dhcp4_lease_relog(w->dw, m->filter.addr, &m->seq);
		break;
	case DP_MSG_APPLY:
		/* a partner's batch: each replaces the lease at its address,
		 * or is added; the results one by one, the last seq for the
		 * caller's one durability wait */
		m->seq = 0;
		for (unsigned i = 0; i < m->n; i++) {
			uint64_t seq = 0;
			int r = dhcp4_lease_put(w->dw, &m->out[i], &seq);

			m->rets[i] = r;
			if (!r && seq > m->seq)
				m->seq = seq;
		}
		m->ret = 0;
		break;
	case DP_MSG_QUERY6:
		if (!w->dw6) {
			m->ret = -ENOTSUP;
			break;
		}
		m->n = dhcp6_lease_query(w->dw6, &m->filter6, m->out6, m->cap, &m->matched);
		m->ret = 0;
		break;
	case DP_MSG_ADD6:
	case DP_MSG_UPDATE6:
		m->ret = w->dw6 ? dhcp6_lease_add(w->dw6, &m->rec6, m->kind == DP_MSG_UPDATE6, &m->seq)
				: -ENOTSUP;
		break;
	case DP_MSG_DEL6:
		n = w->dw6 ? dhcp6_lease_del(w->dw6, &m->filter6) : -ENOTSUP;
		m->ret = n < 0 ? (int)n : 0;
		m->matched = n < 0 ? 0 : (uint64_t)n;
		break;
	case DP_MSG_PREPARE6:
		m->ret = w->dw6 ? dhcp6_worker_prepare(w->dw6, m->rc6) : -ENOTSUP;
		break;
	case DP_MSG_ABORT6:
		if (w->dw6)
			dhcp6_worker_unprepare(w->dw6);
		m->ret = 0;
		break;
	case DP_MSG_SWITCH6:
		m->ret = w->dw6 ? dhcp6_worker_switch(w->dw6, m->rc6) : -ENOTSUP;
		if (!m->ret)    /* its statistics arrays have the new layout from now */
			__atomic_store_n(&w->gen6, m->seq, __ATOMIC_RELEASE);
		break;
	case DP_MSG_ACACHE_GET:
	case DP_MSG_ACACHE_REMOVE:
	case DP_MSG_ACACHE_CLEAR:
	case DP_MSG_ACACHE_SIZE:
		dp_acache_msg(m->afam == 6 ? (w->dw6 ? dhcp6_worker_access_cache(w->dw6) : NULL)
					   : dhcp4_worker_access_cache(w->dw), m);
		break;
	default:
		m->ret = -EINVAL;
	}
	dhcp4_worker_set_ctl_origin(w->dw, LEASE_ORIGIN_CONTROL);
	if (w->dw6)
		dhcp6_worker_set_ctl_origin(w->dw6, LEASE_ORIGIN_CONTROL);
}

unsigned dp_worker_msgs_drain(struct dp_worker *w)
{
	struct dp_msg *m[DP_MSG_BATCH];
	unsigned n, i;

	/* Lease commands change pool bits directly: while a reload freezes
	 * pools of this worker's runtime they wait for the switch. */
	if (unlikely(dhcp4_worker_frozen(w->dw)))
		return 0;
	n = rte_ring_sc_dequeue_burst(w->dp->ctl_ring[w->id], (void **)m, DP_MSG_BATCH, NULL);
	for (i = 0; i < n; i++) {
		msg_handle(w, m[i]);
		w->sdp.c[STAT_DP_CTL_MSGS]++;
		msg_complete(m[i]);
	}
	return n;
}
