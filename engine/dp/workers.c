/* The workers' set-up and tear-down, on the main thread (worker.c is the
 * packet loop): their lease-change logs, the per-worker state, gates,
 * pending tables and DHCP workers, the rings between them and the
 * control and helper threads, the quiescent-state variable; and the
 * helper thread's side of the ask/answer rings. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include "dp.h"
#include "gate.h"
#include "lease_log.h"
#include "log.h"
#include "pending.h"

int dp_logs_init(struct dp *dp)
{
	struct lease_log_params lp = { .size = DP_LOG_SIZE };
	unsigned i;

	if (dp->n_workers < 1 || dp->n_workers > DP_MAX_WORKERS)
		return -EINVAL;
	for (i = 0; i < dp->n_workers; i++) {
		dp->logs[i] = lease_log_create(&lp);
		if (!dp->logs[i]) {
			LOG_E("worker %u: lease-change log: %s", i, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

void dp_logs_free(struct dp *dp)
{
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++) {
		lease_log_free(dp->logs[i]);
		dp->logs[i] = NULL;
	}
}

int dp_workers_init(struct dp *dp, struct dhcp4_runtime *rt)
{
	struct gate_params gp = { .lane_size = DP_PARK_SIZE };
	unsigned lcore, id = 0, from, to, s, i;
	char name[RTE_RING_NAMESIZE];
	uint64_t addrs = 0;
	uint32_t capacity;
	size_t qs_size;

	if (dp->n_workers < 1 || dp->n_workers > DP_MAX_WORKERS) {
		LOG_E("dpdk.lcores must name the main lcore and 1..%d worker lcores", DP_MAX_WORKERS);
		return -EINVAL;
	}
	/* Size each table for its share of every pool so it does not grow in
	 * the packet loop; past 1M per worker it grows incrementally. */
	for (s = 0; s < dp->conf->n_subnets; s++)
		for (i = 0; i < dp->conf->subnets[s].n_pools; i++)
			addrs += (uint64_t)dp->conf->subnets[s].pools[i].last -
				 dp->conf->subnets[s].pools[i].first + 1;
	capacity = (uint32_t)RTE_MIN(addrs / dp->n_workers + 1024, (uint64_t)1 << 20);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dhcp4_worker_params wp = {
			.id = id, .n_workers = dp->n_workers, .conf = dp->conf, .rt = rt,
			.ask_access = dp->asks, .replies_wait = dp->ha_on,
			.access_cache_max = dp->conf->radius ? dp->conf->radius->cache_max : 0,
			.log = dp->logs[id], .durable = dp->durable,
			.lease_capacity = capacity,
			/* every record that can be in flight: log + one batch */
			.release_queue = DP_LOG_SIZE + DP_WB_BATCH,
		};
		struct dp_worker *w = rte_zmalloc_socket("dp_worker", sizeof(*w),
							 RTE_CACHE_LINE_SIZE,
							 (int)rte_lcore_to_socket_id(lcore));

		if (!w)
			return -ENOMEM;
		dp->workers[id] = w;
		w->id = id;
		w->lcore = lcore;
		w->dp = dp;
		w->log = dp->logs[id];
		w->need = dp->commit ? wp.durable : 0;
		w->need_f[0] = w->need_f[1] = w->need;
		/* a shared database can refuse a claim (commit mode only) */
		w->keep_req = dp->commit && dp->conf->lease_db.shared;
		w->gate_cycles = rte_get_tsc_hz() / 1000 * DP_GATE_TIMEOUT_MS;
		w->gate = gate_create(&gp);
		if (!w->log || !w->gate) {
			LOG_E("worker %u: reply gate: %s", id, strerror(errno));
			return -ENOMEM;
		}
		if (dp->asks) {
			w->pend = pend_create(DP_PENDING);
			w->ask_cycles = rte_get_tsc_hz() / 1000 * (dp->ask_ms ? dp->ask_ms : DP_ASK_MS);
			if (!w->pend)
				return -ENOMEM;
		}
		w->dw = dhcp4_worker_create(&wp);
		if (!w->dw) {
			LOG_E("worker %u: %s", id, strerror(errno));
			return -errno;
		}
		w->st = dhcp4_worker_stats(w->dw);
		if (dp->rt6) {
			struct dhcp6_worker_params wp6 = {
				.id = id, .n_workers = dp->n_workers, .conf = dp->conf,
				.rt = dp->rt6, .log = dp->logs[id], .durable = dp->durable,
				.lease_capacity = 4096, .replies_wait = dp->ha_on,
				.ask_access = dp->asks,
				.access_cache_max = dp->conf->radius ? dp->conf->radius->cache_max : 0,
			};

			w->dw6 = dhcp6_worker_create(&wp6);
			if (!w->dw6) {
				LOG_E("worker %u: DHCPv6: %s", id, strerror(errno));
				return -errno;
			}
			w->st6 = dhcp6_worker_stats(w->dw6);
		}
		id++;
	}
	for (id = 0; id < dp->n_workers && dp->asks; id++) {
		snprintf(name, sizeof(name), "ask_%u", id);
		dp->ask_ring[id] = rte_ring_create_elem(name, sizeof(struct dp_ask), DP_ASK_RING,
							(int)rte_socket_id(),
							RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "answer_%u", id);
		dp->answer_ring[id] = rte_ring_create_elem(name, sizeof(struct dp_ask), DP_ASK_RING,
							   (int)rte_socket_id(),
							   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!dp->ask_ring[id] || !dp->answer_ring[id]) {
			LOG_E("ring %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	qs_size = rte_rcu_qsbr_get_memsize(dp->n_workers);
	dp->qs = rte_zmalloc("dp_qsbr", qs_size, RTE_CACHE_LINE_SIZE);
	if (!dp->qs || rte_rcu_qsbr_init(dp->qs, dp->n_workers)) {
		LOG_E("quiescent state variable: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (id = 0; id < dp->n_workers; id++)
		rte_rcu_qsbr_thread_register(dp->qs, id);
	for (id = 0; id < dp->n_workers; id++) {
		snprintf(name, sizeof(name), "ctl_%u", id);
		dp->ctl_ring[id] = rte_ring_create(name, DP_MSG_RING, (int)rte_socket_id(),
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!dp->ctl_ring[id]) {
			LOG_E("ring %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	for (from = 0; from < dp->n_workers && dp->n_workers > 1; from++)
		for (to = 0; to < dp->n_workers; to++) {
			if (from == to)
				continue;
			snprintf(name, sizeof(name), "steer_%u_%u", from, to);
			dp->steer[from][to] = rte_ring_create(name, DP_STEER_RING,
							      (int)rte_socket_id(),
							      RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!dp->steer[from][to]) {
				LOG_E("ring %s: %s", name, rte_strerror(rte_errno));
				return -rte_errno;
			}
		}
	return 0;
}

void dp_asks_enable(struct dp *dp)
{
	dp->asks = true;
}

unsigned dp_ask_take(struct dp *dp, unsigned worker, struct dp_ask *out, unsigned max)
{
	if (worker >= dp->n_workers || !dp->ask_ring[worker])
		return 0;
	return rte_ring_sc_dequeue_burst_elem(dp->ask_ring[worker], out, sizeof(*out), max, NULL);
}

int dp_answer_post(struct dp *dp, const struct dp_ask *a)
{
	if (a->worker >= dp->n_workers || !dp->answer_ring[a->worker])
		return -EINVAL;
	struct dp_ask c = *a;

	return rte_ring_sp_enqueue_elem(dp->answer_ring[a->worker], &c, sizeof(c)) ? -ENOBUFS : 0;
}

/* Statistics are summed over every worker: when start-up failed half way
 * (dhcp4_worker_create refused one, or an allocation failed) some slots
 * are missing or half built, and nothing may read them. */
bool dp_workers_ready(const struct dp *dp)
{
	unsigned i;

	if (!dp->n_workers || dp->n_workers > DP_MAX_WORKERS)
		return false;
	for (i = 0; i < dp->n_workers; i++)
		if (!dp->workers[i] || !dp->workers[i]->dw || !dp->workers[i]->st)
			return false;
	return true;
}

void dp_rings_drain(struct dp *dp)
{
	struct rte_mbuf *m;
	unsigned i, j;

	for (i = 0; i < DP_MAX_WORKERS; i++)
		for (j = 0; j < DP_MAX_WORKERS; j++)
			while (dp->steer[i][j] &&
			       rte_ring_sc_dequeue(dp->steer[i][j], (void **)&m) == 0)
				rte_pktmbuf_free(m);
}

void dp_workers_free(struct dp *dp)
{
	unsigned i, j;

	dp_rings_drain(dp);
	for (i = 0; i < DP_MAX_WORKERS; i++) {
		struct dp_msg *m;

		/* the control thread is stopped: whatever is left was abandoned */
		while (dp->ctl_ring[i] && rte_ring_sc_dequeue(dp->ctl_ring[i], (void **)&m) == 0)
			dp_msg_free(m);
		rte_ring_free(dp->ctl_ring[i]);
		dp->ctl_ring[i] = NULL;
		rte_ring_free(dp->ask_ring[i]);
		rte_ring_free(dp->answer_ring[i]);
		dp->ask_ring[i] = dp->answer_ring[i] = NULL;
		rte_ring_free(dp->ha_refq[i]);  /* ha_run_create's */
		rte_ring_free(dp->ha_seen[i]);
		dp->ha_refq[i] = dp->ha_seen[i] = NULL;
	}
	for (i = 0; i < DP_MAX_WORKERS; i++)
		for (j = 0; j < DP_MAX_WORKERS; j++) {
			rte_ring_free(dp->steer[i][j]);
			dp->steer[i][j] = NULL;
		}
	for (i = 0; i < dp->n_workers; i++) {
		if (!dp->workers[i])
			continue;
		dhcp4_worker_free(dp->workers[i]->dw);
		dhcp6_worker_free(dp->workers[i]->dw6);
		gate_free(dp->workers[i]->gate);
		pend_free(dp->workers[i]->pend);
		rte_free(dp->workers[i]);
		dp->workers[i] = NULL;
	}
	rte_free(dp->qs);
	dp->qs = NULL;
}
