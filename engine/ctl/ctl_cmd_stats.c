/* Kea's statistics: the statistic-* commands, stat-lease4-get and
 * stat-lease6-get, the Prometheus page and the statistics file, all from
 * one enumeration of the workers' counters (DHCPv4, DHCPv6, datapath).
 * Resets and removals are baselines kept here, never writes to the
 * workers' counters. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "lease_backend.h"
#include "lease_table.h"
#include "wb.h"

/* ---- statistics: enumeration ----------------------------------------- */

struct stat_item {
	char name[96];                  /* Kea's name, e.g. subnet[1].pool[0].assigned-addresses */
	const char *base;               /* without the subnet/pool prefix */
	int64_t value;
	bool gauge;
	uint32_t subnet_id;             /* 0: global */
	int pool;                       /* -1: not a pool statistic */
	bool pd;                        /* pool is a pd-pool: subnet[N].pd-pool[M] */
	uint8_t fam;                    /* 4 or 6: which server's it is in Kea; 0: the datapath's */
	bool shared;                    /* a DHCPv6 one whose name a DHCPv4 one has too */
	const char *group;              /* an outside thread's per-server one: group[label].base */
	char label[64];
};

struct stat_list {
	struct stat_item *v;
	size_t n, cap;
	uint8_t fam;                    /* what stat_add gives the next items */
	bool pd;
};

/* Kea runs one server per family, so both have these names (globally,
 * per subnet and per pool); one process here has both servers' names in
 * one namespace.  The DHCPv6 ones are reached through the request's
 * service (enum stat_view). */
static bool kea_shared(const char *base)
{
	return !strcmp(base, "declined-addresses") || !strcmp(base, "reclaimed-leases") ||
	       !strcmp(base, "reclaimed-declined-addresses");
}

static struct stat_item *stat_add(struct stat_list *l, const char *base, int64_t v, bool gauge,
				  uint32_t subnet_id, int pool)
{
	struct stat_item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct stat_item *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = cap;
	}
	it = &l->v[l->n++];
	if (pool >= 0)
		snprintf(it->name, sizeof(it->name), "subnet[%u].%s[%d].%s", subnet_id,
			 l->pd ? "pd-pool" : "pool", pool, base);
	else if (subnet_id)
		snprintf(it->name, sizeof(it->name), "subnet[%u].%s", subnet_id, base);
	else
		snprintf(it->name, sizeof(it->name), "%s", base);
	it->base = base;
	it->value = v;
	it->gauge = gauge;
	it->subnet_id = subnet_id;
	it->pool = pool;
	it->pd = pool >= 0 && l->pd;
	it->fam = l->fam;
	it->shared = l->fam == 6 && kea_shared(base);
	it->group = NULL;
	it->label[0] = '\0';
	return it;
}

/* The RADIUS thread's statistics (dp_srv radius_stats). */
static int ext_collect(struct dp_srv *s, struct stat_list *l)
{
	struct dp_ext_stat e[256];
	unsigned n, i;

	if (!s->radius_stats)
		return 0;
	n = s->radius_stats(s->radius_ctx, e, 256);
	for (i = 0; i < n; i++) {
		struct stat_item *it = stat_add(l, e[i].base, e[i].value, e[i].gauge, 0, -1);

		if (!it)
			return -ENOMEM;
		if (e[i].group) {
			it->group = e[i].group;
			snprintf(it->label, sizeof(it->label), "%s", e[i].label);
			snprintf(it->name, sizeof(it->name), "%s[%s].%s", e[i].group, e[i].label,
				 e[i].base);
		}
	}
	return 0;
}

/* a + b, at most UINT64_MAX (a /64 pool alone has 2^64 addresses) */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* A count as a statistic: jansson's integers are int64_t, so a size past
 * INT64_MAX (a /64 pool) shows as INT64_MAX, the largest it can print.
 * (Kea 2.2 prints such a size as -1, its saturated uint64_t cast to
 * int64_t; later Kea prints 2^64 as a big integer.) */
static int64_t stat_int(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The DHCPv6 server's statistics (none without a dhcp6 block): Kea
 * 2.2's kea-dhcp6 names, per subnet and per pool and pd-pool as later Kea
 * has them; sizes from the runtime's pools. */
static int stats6_collect(struct dp_srv *s, struct stat_list *l)
{
	const struct dp *dp = s->dp;
	const struct conf6 *c6 = s->conf->v6;
	static char parse_names[DHCP6_ERR_MAX][64];
	static bool names_done;
	uint64_t v, *tot = NULL, cum_na = 0, cum_pd = 0, size;
	int64_t g, declined = 0;
	unsigned i, w, sn, si, idx, np;
	bool pd;
	int ret = -ENOMEM;

	if (!dp->rt6 || !c6)
		return 0;
	if (!names_done) {
		for (i = 1; i < DHCP6_ERR_MAX; i++)
			snprintf(parse_names[i], sizeof(parse_names[i]), "pkt6-parse-failed.%s",
				 dhcp6_parse_err_name(-(int)i));
		names_done = true;
	}
	l->fam = 6;
/* Workers without DHCPv6 state have no counters.  A per-subnet or
 * per-pool array has the running runtime's layout only on a worker that
 * switched to it (a dhcp6 reload does not wait for a slow one): the others
 * are left out of those sums until they have (SUM6C, GAUGE6C). */
#define SUM6(expr) do { v = 0; for (w = 0; w < dp->n_workers; w++) { \
	const struct stats6 *st = dp->workers[w]->st6; if (st) v += (expr); } } while (0)
#define SUM6C(expr) do { v = 0; for (w = 0; w < dp->n_workers; w++) { \
	const struct stats6 *st = dp->workers[w]->st6; \
	if (st && dp_worker6_current(dp, w)) v += (expr); } } while (0)
#define GAUGE6C(expr) do { g = 0; for (w = 0; w < dp->n_workers; w++) { \
	const struct stats6 *st = dp->workers[w]->st6; \
	if (st && dp_worker6_current(dp, w)) g += (expr); } } while (0)
#define ADD(...) do { if (!stat_add(l, __VA_ARGS__)) goto out; } while (0)
	for (i = 0; i < STAT6_MAX; i++) {
		SUM6(st->c[i]);
		ADD(stats6_names[i], (int64_t)v, false, 0, -1);
	}
	for (i = 1; i < DHCP6_ERR_MAX; i++) {
		SUM6(st->parse_err[i]);
		ADD(parse_names[i], (int64_t)v, false, 0, -1);
	}
	/* subnet sizes: the sums of their pools' (tot[2 * sn] addresses,
	 * tot[2 * sn + 1] prefixes) */
	np = dhcp6_runtime_pool_count(dp->rt6);
	tot = calloc(2 * (size_t)c6->n_subnets + 1, sizeof(*tot));
	if (!tot)
		goto out;
	for (i = 0; i < np; i++)
		if (!dhcp6_runtime_pool_info(dp->rt6, i, &si, &idx, &pd, &size, NULL) &&
		    si < c6->n_subnets)
			tot[2 * si + pd] = add_sat(tot[2 * si + pd], size);
	for (sn = 0; sn < c6->n_subnets; sn++) {
		uint32_t id = c6->subnets[sn].id;

#define SUBNET6(f) (sn < st->n_subnets ? st->subnet[sn].f : 0)
		ADD("total-nas", stat_int(tot[2 * sn]), true, id, -1);
		GAUGE6C(SUBNET6(assigned_nas));
		ADD("assigned-nas", g, true, id, -1);
		ADD("total-pds", stat_int(tot[2 * sn + 1]), true, id, -1);
		GAUGE6C(SUBNET6(assigned_pds));
		ADD("assigned-pds", g, true, id, -1);
		GAUGE6C(SUBNET6(declined));
		declined += g;
		ADD("declined-addresses", g, true, id, -1);
		SUM6C(SUBNET6(cumulative_nas));
		cum_na += v;
		ADD("cumulative-assigned-nas", (int64_t)v, false, id, -1);
		SUM6C(SUBNET6(cumulative_pds));
		cum_pd += v;
		ADD("cumulative-assigned-pds", (int64_t)v, false, id, -1);
		SUM6C(SUBNET6(reclaimed));
		ADD("reclaimed-leases", (int64_t)v, false, id, -1);
		SUM6C(SUBNET6(reclaimed_declined));
		ADD("reclaimed-declined-addresses", (int64_t)v, false, id, -1);
#undef SUBNET6
	}
	for (i = 0; i < np; i++) {
		uint32_t id;

		if (dhcp6_runtime_pool_info(dp->rt6, i, &si, &idx, &pd, &size, NULL) ||
		    si >= c6->n_subnets)
			continue;
		id = c6->subnets[si].id;
		l->pd = pd;
#define POOL6(f) (i < st->n_pools ? st->pool[i].f : 0)
		ADD(pd ? "total-pds" : "total-nas", stat_int(size), true, id, (int)idx);
		GAUGE6C(POOL6(assigned));
		ADD(pd ? "assigned-pds" : "assigned-nas", g, true, id, (int)idx);
		SUM6C(POOL6(cumulative));
		ADD(pd ? "cumulative-assigned-pds" : "cumulative-assigned-nas", (int64_t)v, false, id,
		    (int)idx);
		if (!pd) {
			GAUGE6C(POOL6(declined));
			ADD("declined-addresses", g, true, id, (int)idx);
		}
#undef POOL6
	}
	l->pd = false;
	ADD("declined-addresses", declined, true, 0, -1);
	ADD("cumulative-assigned-nas", (int64_t)cum_na, false, 0, -1);
	ADD("cumulative-assigned-pds", (int64_t)cum_pd, false, 0, -1);
	/* ours, as leases-in-memory for v4 */
	SUM6(lease6_table_count(dhcp6_worker_leases(dp->workers[w]->dw6)));
	ADD("v6-leases-in-memory", (int64_t)v, true, 0, -1);
#undef SUM6
#undef SUM6C
#undef GAUGE6C
#undef ADD
	ret = 0;
out:
	free(tot);
	l->fam = 4;
	l->pd = false;
	return ret;
}

/* A shared database's counts are read at most every COUNTS_MAX_AGE_NS:
 * a scrape and the commands right after it share one query. */
#define COUNTS_MAX_AGE_NS (200ull * 1000 * 1000)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool counts_fresh(struct dp_srv *s)
{
	uint64_t now = mono_ns();
	struct lease_count *rows;
	size_t n;

	if (s->counts == NULL)
		return false;
	if (s->counts_at && now - s->counts_at < COUNTS_MAX_AGE_NS)
		return s->counts_ok;
	s->counts_at = now;
	if (s->counts_read(s->counts, &rows, &n)) {
		s->count_errors++;
		s->counts_ok = false;
		return false;
	}
	free(s->count_rows);
	s->count_rows = rows;
	s->n_count_rows = n;
	s->counts_ok = true;
	return true;
}

static int64_t count_of(const struct dp_srv *s, uint8_t fam, uint32_t sid, int type, uint8_t state)
{
	int64_t v = 0;

	for (size_t i = 0; i < s->n_count_rows; i++) {
		const struct lease_count *r = &s->count_rows[i];

		if (r->family == fam && r->subnet_id == sid && r->state == state &&
		    (type < 0 || r->type == type))
			v += r->leases;
	}
	return v;
}

/* With a shared database the subnets' assigned and declined gauges are
 * the database's (every server's leases, as Kea's stat_cmds counts
 * them), and the global sums follow; pools keep the workers' gauges (the
 * schema counts per subnet only). */
static void stats_apply_counts(struct dp_srv *s, struct stat_list *l)
{
	int64_t decl4 = 0, asg4 = 0, decl6 = 0;
	size_t i;

	if (!counts_fresh(s))
		return;
	for (i = 0; i < l->n; i++) {
		struct stat_item *it = &l->v[i];

		if (!it->subnet_id || it->pool >= 0)
			continue;
		if (it->fam == 4 && !strcmp(it->base, "assigned-addresses"))
			asg4 += it->value = count_of(s, 4, it->subnet_id, -1, 0);
		else if (it->fam == 4 && !strcmp(it->base, "declined-addresses"))
			decl4 += it->value = count_of(s, 4, it->subnet_id, -1, 1);
		else if (it->fam == 6 && !strcmp(it->base, "assigned-nas"))
			it->value = count_of(s, 6, it->subnet_id, 0, 0);
		else if (it->fam == 6 && !strcmp(it->base, "assigned-pds"))
			it->value = count_of(s, 6, it->subnet_id, 2, 0);
		else if (it->fam == 6 && !strcmp(it->base, "declined-addresses"))
			decl6 += it->value = count_of(s, 6, it->subnet_id, -1, 1);
	}
	for (i = 0; i < l->n; i++) {
		struct stat_item *it = &l->v[i];

		if (it->subnet_id || it->pool >= 0)
			continue;
		if (it->fam == 4 && !strcmp(it->base, "assigned-addresses"))
			it->value = asg4;
		else if (it->fam == 4 && !strcmp(it->base, "declined-addresses"))
			it->value = decl4;
		else if (it->fam == 6 && !strcmp(it->base, "declined-addresses"))
			it->value = decl6;
	}
}

/* Sum the per-worker counters.  Workers keep running: each counter has one
 * writer and aligned 64-bit loads do not tear, so the worst case is a
 * slightly stale sum.  Nothing is written to the workers' cache lines. */
static int stats_collect(struct dp_srv *s, struct stat_list *l)
{
	const struct dp *dp = s->dp;
	const struct conf *c = s->conf;
	unsigned i, w, sn, p;
	uint64_t v, cum_total = 0;
	int64_t g, declined_total = 0, assigned_total = 0;
	static char parse_names[DHCP4_ERR_MAX][64], net_names[NET_ERR_MAX][64];
	static bool names_done;

	/* every sum below reads each worker's counters: not before all exist */
	if (!dp_workers_ready(dp))
		return -EAGAIN;

	if (!names_done) {
		for (i = 1; i < DHCP4_ERR_MAX; i++)
			snprintf(parse_names[i], sizeof(parse_names[i]), "pkt4-parse-failed.%s",
				 dhcp4_parse_err_name(-(int)i));
		for (i = 1; i < NET_ERR_MAX; i++)
			snprintf(net_names[i], sizeof(net_names[i]), "dp-drop-%s", net_err_name(-(int)i));
		names_done = true;
	}
	l->n = 0;
	l->fam = 4;
	l->pd = false;
#define SUM(expr) do { v = 0; for (w = 0; w < dp->n_workers; w++) v += (expr); } while (0)
/* Per-subnet and per-pool arrays have the layout of the running snapshot
 * only on workers that have switched to it (a reload does not wait for a
 * slow one): the others are left out until they have. */
#define SUM_CUR(expr) do { v = 0; for (w = 0; w < dp->n_workers; w++) \
	if (dp_worker_current(dp, w)) v += (expr); } while (0)
#define ADD(...) do { if (!stat_add(l, __VA_ARGS__)) return -ENOMEM; } while (0)
	for (i = 0; i < STAT4_MAX; i++) {
		SUM(dp->workers[w]->st->c[i]);
		ADD(stats4_names[i], (int64_t)v, false, 0, -1);
	}
	for (i = 1; i < DHCP4_ERR_MAX; i++) {
		SUM(dp->workers[w]->st->parse_err[i]);
		ADD(parse_names[i], (int64_t)v, false, 0, -1);
	}
	l->fam = 0;                     /* the datapath's: every family's frames */
	for (i = 1; i < NET_ERR_MAX; i++) {
		SUM(dp->workers[w]->sdp.net_err[i]);
		ADD(net_names[i], (int64_t)v, false, 0, -1);
	}
	for (i = 0; i < STAT_DP_MAX; i++) {
		SUM(dp->workers[w]->sdp.c[i]);
		ADD(stats_dp_names[i], (int64_t)v, false, 0, -1);
	}
	ADD("dp-mbufs-in-use", (int64_t)dp_mbufs_in_use(dp), true, 0, -1);
	l->fam = 4;
	for (sn = 0; sn < c->n_subnets; sn++) {
		const struct conf_subnet *su = &c->subnets[sn];
		uint64_t total = 0;

		for (i = 0; i < su->n_pools; i++)
			total += (uint64_t)su->pools[i].last - su->pools[i].first + 1;
		ADD("total-addresses", (int64_t)total, true, su->id, -1);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp_worker_current(dp, w) ? dp->workers[w]->st->subnet[sn].assigned : 0;
		assigned_total += g;
		ADD("assigned-addresses", g, true, su->id, -1);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp_worker_current(dp, w) ? dp->workers[w]->st->subnet[sn].declined : 0;
		declined_total += g;
		ADD("declined-addresses", g, true, su->id, -1);
		SUM_CUR(dp->workers[w]->st->subnet[sn].cumulative);
		cum_total += v;
		ADD("cumulative-assigned-addresses", (int64_t)v, false, su->id, -1);
		SUM_CUR(dp->workers[w]->st->subnet[sn].reclaimed);
		ADD("reclaimed-leases", (int64_t)v, false, su->id, -1);
		SUM_CUR(dp->workers[w]->st->subnet[sn].reclaimed_declined);
		ADD("reclaimed-declined-addresses", (int64_t)v, false, su->id, -1);
	}
	for (p = 0; p < dhcp4_runtime_pool_count(s->rt); p++) {
		unsigned si, idx;
		uint32_t first, last, id;

		dhcp4_runtime_pool_info(s->rt, p, &si, &idx, &first, &last);
		id = c->subnets[si].id;
		ADD("total-addresses", (int64_t)last - first + 1, true, id, (int)idx);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp_worker_current(dp, w) ? dp->workers[w]->st->pool[p].assigned : 0;
		ADD("assigned-addresses", g, true, id, (int)idx);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp_worker_current(dp, w) ? dp->workers[w]->st->pool[p].declined : 0;
		ADD("declined-addresses", g, true, id, (int)idx);
		SUM_CUR(dp->workers[w]->st->pool[p].cumulative);
		ADD("cumulative-assigned-addresses", (int64_t)v, false, id, (int)idx);
	}
	ADD("assigned-addresses", assigned_total, true, 0, -1);
	ADD("declined-addresses", declined_total, true, 0, -1);
	ADD("cumulative-assigned-addresses", (int64_t)cum_total, false, 0, -1);
	/* published by each worker with an atomic store (lease_table.h) */
	SUM(lease_table_count(dhcp4_worker_leases(dp->workers[w]->dw)));
	ADD("leases-in-memory", (int64_t)v, true, 0, -1);
	if (dp->wb) {
		struct wb_stats ws;

		wb_get_stats(dp->wb, &ws);
		ADD("lease-db-records", (int64_t)ws.records, false, 0, -1);
		ADD("lease-db-batches", (int64_t)ws.batches, false, 0, -1);
		ADD("lease-db-syncs", (int64_t)ws.syncs, false, 0, -1);
		ADD("lease-db-ring-full", (int64_t)ws.ring_full, false, 0, -1);
		ADD("lease-db-errors", (int64_t)ws.errors, false, 0, -1);
		ADD("lease-db-compactions", (int64_t)ws.compactions, false, 0, -1);
		/* the flusher's own view: the largest batch it took, and the
		 * time its syncs (a commit or an fsync) took in all */
		ADD("lease-db-max-batch", (int64_t)ws.max_batch, true, 0, -1);
		ADD("lease-db-sync-us", (int64_t)(ws.sync_ns / 1000), false, 0, -1);
		if (CONF_DB_REMOTE(s->conf->lease_db.type)) {
			ADD("lease-db-connected", wb_store_state(dp->wb) == WB_STORE_UP, true, 0, -1);
			ADD("lease-db-outages", (int64_t)ws.outages, false, 0, -1);
			ADD("lease-db-journal-backlog", (int64_t)ws.backlog, true, 0, -1);
			ADD("lease-db-journaled", (int64_t)ws.journaled, false, 0, -1);
			ADD("lease-db-replayed", (int64_t)ws.replayed, false, 0, -1);
			ADD("lease-db-reconnect-tries", (int64_t)ws.reconnect_tries, false, 0, -1);
			{
				struct lease_backend_stats bs;

				wb_get_store_stats(dp->wb, &bs);
				ADD("lease-db-commits", (int64_t)bs.commits, false, 0, -1);
				ADD("lease-db-reconnects", (int64_t)bs.reconnects, false, 0, -1);
				/* another server's live lease held the address */
				ADD("lease-db-refused", (int64_t)bs.refused, false, 0, -1);
				/* ... of them, journaled changes refused at the replay:
				 * their replies had left while the database was away */
				ADD("lease-db-refused-at-replay", (int64_t)ws.refused_replay, false, 0,
				    -1);
				/* redis wait-replicas: batches WAIT found short (tried again) */
				if (s->conf->lease_db.type == CONF_DB_REDIS)
					ADD("lease-db-wait-short", (int64_t)bs.wait_short, false, 0, -1);
				/* redis, shared: other servers' claims by pub/sub */
				if (s->conf->lease_db.type == CONF_DB_REDIS && s->conf->lease_db.shared) {
					ADD("lease-db-claims-subscribed", (int64_t)bs.sub_connected, true,
					    0, -1);
					ADD("lease-db-claims-heard", (int64_t)bs.claims_heard, false, 0, -1);
					ADD("lease-db-claims-bad", (int64_t)bs.claims_bad, false, 0, -1);
					ADD("lease-db-claims-dropped", (int64_t)ws.learnt_dropped, false, 0,
					    -1);
				}
			}
		}
	}
	if (s->counts)
		ADD("lease-db-count-errors", (int64_t)s->count_errors, false, 0, -1);
#undef SUM
#undef SUM_CUR
#undef ADD
	if (stats6_collect(s, l) || ext_collect(s, l))
		return -ENOMEM;
	stats_apply_counts(s, l);
	return 0;
}

/* ---- statistics: baselines, removal, timestamps ----------------------- *
 *
 * statistic-reset and -remove never touch the workers' counters (a write
 * from here would bounce their cache lines and race their increments).
 * The control thread keeps, per name, the value at the last reset (the
 * baseline), whether the statistic was removed (Kea: it disappears until
 * it changes again), and when it was last seen to change. */

struct stat_base {
	char *name;
	int64_t base;
	int64_t last;                   /* raw value when last observed */
	struct timespec ts;             /* when it was seen to change */
	bool removed;
};

struct dp_stat_base {
	struct stat_base *v;            /* open addressing on the name */
	size_t cap, n;
	struct timespec t0;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static struct stat_base *base_get(struct dp_stat_base *b, const char *name, int64_t raw)
{
	size_t i;

	if ((b->n + 1) * 2 > b->cap) {
		struct dp_stat_base nb = { .cap = b->cap ? b->cap * 2 : 1024, .t0 = b->t0 };

		nb.v = calloc(nb.cap, sizeof(*nb.v));
		if (!nb.v)
			return NULL;
		for (i = 0; i < b->cap; i++) {
			size_t j;

			if (!b->v[i].name)
				continue;
			for (j = name_hash(b->v[i].name) & (nb.cap - 1); nb.v[j].name; j = (j + 1) & (nb.cap - 1))
				;
			nb.v[j] = b->v[i];
		}
		nb.n = b->n;
		free(b->v);
		*b = nb;
	}
	for (i = name_hash(name) & (b->cap - 1); b->v[i].name; i = (i + 1) & (b->cap - 1))
		if (!strcmp(b->v[i].name, name))
			return &b->v[i];
	b->v[i].name = strdup(name);
	if (!b->v[i].name)
		return NULL;
	b->v[i].last = raw;
	b->v[i].ts = b->t0;
	b->n++;
	return &b->v[i];
}

/* Observe a raw value: the entry with its timestamp brought up to date,
 * and a removed statistic revived when it changed. */
static struct stat_base *observe(struct dp_stat_base *b, const struct stat_item *it)
{
	char key[sizeof(it->name) + 8];
	struct stat_base *e;

	/* a DHCPv6 statistic under a DHCPv4 name keeps a baseline of its own */
	snprintf(key, sizeof(key), "%s%s", it->shared ? "dhcp6/" : "", it->name);
	e = base_get(b, key, it->value);

	if (!e)
		return NULL;
	if (e->last != it->value) {
		e->last = it->value;
		clock_gettime(CLOCK_REALTIME, &e->ts);
		e->removed = false;
	}
	return e;
}

static json_t *stat_sample(const struct stat_base *e, int64_t value)
{
	char ts[64];
	struct tm tm;
	time_t sec = e->ts.tv_sec;
	size_t n;

	localtime_r(&sec, &tm);
	n = strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%06ld", e->ts.tv_nsec / 1000);
	/* Kea: each statistic is a list of [value, "timestamp"] samples */
	return json_pack("[[Is]]", (json_int_t)value, ts);
}

/* ---- statistic-* and stat-lease4-get ---------------------------------- */

/* Which server a request is for.  Kea's Control Agent clients name it:
 * "service": ["dhcp6"] reaches kea-dhcp6, whose statistics carry the
 * names both servers have (kea_shared) with their DHCPv6 values.  Without
 * a service (or naming both) the answer has every statistic, those
 * shared names with their DHCPv4 values; ["dhcp4"] leaves the DHCPv6
 * ones out.  The datapath's are in every view. */
enum stat_view { VIEW_ALL, VIEW_V4, VIEW_V6 };

static enum stat_view request_view(const struct dp_srv *s)
{
	int fam = request_family(s);

	return fam == 0 ? VIEW_ALL : fam == 6 ? VIEW_V6 : VIEW_V4;
}

static bool in_view(const struct stat_item *it, enum stat_view view)
{
	if (view == VIEW_V4)
		return it->fam != 6;
	if (view == VIEW_V6)
		return it->fam != 4;
	return it->fam != 6 || !it->shared;
}

/* statistic-* share one walk: op on the named statistic (or all). */
enum stat_op { ST_GET, ST_RESET, ST_REMOVE };

static int stat_cmd(struct dp_srv *s, const json_t *args, json_t **out, char *text, size_t len,
		    enum stat_op op, bool all)
{
	struct stat_list l = { 0 };
	const char *name = NULL;
	enum stat_view view = request_view(s);
	json_t *res;
	size_t i, hit = 0;

	if (!all && arg_str(args, "name", true, &name, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	if (stats_collect(s, &l)) {
		pthread_mutex_unlock(&s->lock);
		free(l.v);
		return fail(text, len, "out of memory");
	}
	res = json_object();
	for (i = 0; i < l.n; i++) {
		struct stat_base *e;

		if ((name && strcmp(l.v[i].name, name)) || !in_view(&l.v[i], view))
			continue;
		e = observe(s->base, &l.v[i]);
		if (!e)
			continue;
		if (e->removed && op == ST_GET)
			continue;
		hit++;
		if (op == ST_GET) {
			json_object_set_new(res, l.v[i].name, stat_sample(e, l.v[i].value - e->base));
		} else {
			e->base = l.v[i].value;
			clock_gettime(CLOCK_REALTIME, &e->ts);
			e->removed = op == ST_REMOVE;
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(l.v);
	if (op == ST_GET) {
		*out = res;
		if (all)
			snprintf(text, len, "%zu IPv%c statistic(s) returned.", hit,
				 view == VIEW_V6 ? '6' : '4');
		return CTL_SUCCESS;       /* Kea: an unknown name gives {} */
	}
	json_decref(res);
	if (!hit && name)
		return fail(text, len, "No '%s' statistic found", name);
	if (all)
		snprintf(text, len, "All statistics %s.", op == ST_RESET ? "reset" : "removed");
	else
		snprintf(text, len, "Statistic '%s' %s.", name, op == ST_RESET ? "reset" : "removed");
	return CTL_SUCCESS;
}

HANDLER(cmd_stat_get) { return stat_cmd(ctx, args, out, text, len, ST_GET, false); }
HANDLER(cmd_stat_get_all) { return stat_cmd(ctx, args, out, text, len, ST_GET, true); }
HANDLER(cmd_stat_reset) { return stat_cmd(ctx, args, out, text, len, ST_RESET, false); }
HANDLER(cmd_stat_reset_all) { return stat_cmd(ctx, args, out, text, len, ST_RESET, true); }
HANDLER(cmd_stat_remove) { return stat_cmd(ctx, args, out, text, len, ST_REMOVE, false); }
HANDLER(cmd_stat_remove_all) { return stat_cmd(ctx, args, out, text, len, ST_REMOVE, true); }

/* stat_cmds' stat-lease4-get and stat-lease6-get: Kea's result-set, one
 * row per subnet of the family, the columns after "subnet-id" from that
 * subnet's statistics (counts since the last statistic-reset; sizes as
 * they are). */
struct lease_stat_cols {
	const char *cmd;
	uint8_t fam;
	unsigned n;
	const char *col[7];
};

static const struct lease_stat_cols cols4 = {
	"stat-lease4-get", 4, 4,
	{ "total-addresses", "cumulative-assigned-addresses", "assigned-addresses",
	  "declined-addresses" },
};
/* Kea 2.2 labelled the fifth "declined-nas"; later Kea, as here,
 * "declined-addresses" (the statistic's name). */
static const struct lease_stat_cols cols6 = {
	"stat-lease6-get", 6, 7,
	{ "total-nas", "cumulative-assigned-nas", "assigned-nas", "declined-addresses",
	  "total-pds", "cumulative-assigned-pds", "assigned-pds" },
};

static json_t *stat_lease_row(struct dp_srv *s, const struct stat_list *l,
			      const struct lease_stat_cols *c, uint32_t sid)
{
	json_t *row = json_array();
	unsigned k;
	size_t i;

	json_array_append_new(row, json_integer(sid));
	for (k = 0; k < c->n; k++) {
		int64_t v = 0;

		for (i = 0; i < l->n; i++) {
			const struct stat_item *it = &l->v[i];
			struct stat_base *e;

			if (it->fam != c->fam || it->subnet_id != sid || it->pool >= 0 ||
			    strcmp(it->base, c->col[k]))
				continue;
			e = observe(s->base, it);
			v = it->value - (e && strncmp(c->col[k], "total-", 6) ? e->base : 0);
			break;
		}
		json_array_append_new(row, json_integer(v));
	}
	return row;
}

static int stat_lease_get(struct dp_srv *s, const json_t *args, const struct lease_stat_cols *c,
			  json_t **out, char *text, size_t len)
{
	struct stat_list l = { 0 };
	uint64_t id = 0, first = 0, last = UINT32_MAX;
	json_t *range, *rows, *cols;
	unsigned sn, n_subnets;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	r = arg_uint(args, "subnet-id", false, UINT32_MAX, &id, text, len);
	if (r < 0 || arg_get(args, "subnet-range", JSON_OBJECT, &range, text, len) < 0)
		return CTL_ERROR;
	if (r && range)
		return fail(text, len, "give 'subnet-id' or 'subnet-range', not both");
	if (range && (arg_uint(range, "first-subnet-id", true, UINT32_MAX, &first, text, len) < 0 ||
		      arg_uint(range, "last-subnet-id", false, UINT32_MAX, &last, text, len) < 0))
		return CTL_ERROR;
	if (range && first > last)
		return fail(text, len, "first-subnet-id %" PRIu64 " is above last-subnet-id %" PRIu64,
			    first, last);
	if (r)
		first = last = id;
	locked(s);
	if (c->fam == 6 && (!s->conf->v6 || !s->dp->rt6)) {
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "DHCPv6 is not configured");
	}
	if (stats_collect(s, &l)) {
		pthread_mutex_unlock(&s->lock);
		free(l.v);
		return fail(text, len, "out of memory");
	}
	rows = json_array();
	n_subnets = c->fam == 6 ? s->conf->v6->n_subnets : s->conf->n_subnets;
	for (sn = 0; sn < n_subnets; sn++) {
		uint32_t sid = c->fam == 6 ? s->conf->v6->subnets[sn].id : s->conf->subnets[sn].id;

		if (sid >= first && sid <= last)
			json_array_append_new(rows, stat_lease_row(s, &l, c, sid));
	}
	pthread_mutex_unlock(&s->lock);
	free(l.v);
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		if (r)
			snprintf(text, len, "subnet-id %" PRIu64 " does not exist", id);
		else
			snprintf(text, len, "%s: no matching data", c->cmd);
		return CTL_EMPTY;
	}
	cols = json_array();
	json_array_append_new(cols, json_string("subnet-id"));
	for (sn = 0; sn < c->n; sn++)
		json_array_append_new(cols, json_string(c->col[sn]));
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S.000000", &tm);
	snprintf(text, len, "%s: %zu rows found", c->cmd, json_array_size(rows));
	*out = json_pack("{s:{s:o, s:o, s:s}}", "result-set", "columns", cols, "rows", rows,
			 "timestamp", ts);
	return CTL_SUCCESS;
}

HANDLER(cmd_stat_lease4_get) { return stat_lease_get(ctx, args, &cols4, out, text, len); }
HANDLER(cmd_stat_lease6_get) { return stat_lease_get(ctx, args, &cols6, out, text, len); }

/* ---- Prometheus -------------------------------------------------------- */

/* peregrine_[dhcp6_][subnet_|pool_|pd_pool_]<base>[_total]: the DHCPv6
 * server's under dhcp6_, so both servers' Kea names stay apart. */
static void prom_name(const struct stat_item *it, char *out, size_t len)
{
	size_t n;
	const char *p;

	n = (size_t)snprintf(out, len, "peregrine_%s%s%s%s", it->fam == 6 ? "dhcp6_" : "",
			     it->pool >= 0 ? (it->pd ? "pd_pool_" : "pool_") :
			     it->subnet_id ? "subnet_" : "", it->group ? it->group : "",
			     it->group ? "-" : "");
	for (size_t k = 0; k < n && k < len; k++)
		if (out[k] == '-')
			out[k] = '_';
	for (p = it->base; *p && n + 8 < len; p++)
		out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p :
			   (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '_';
	out[n] = '\0';
	if (!it->gauge)
		snprintf(out + n, len - n, "_total");
}

static int prom_cmp(const void *a, const void *b)
{
	const struct stat_item *x = a, *y = b;
	char nx[128], ny[128];
	int c;

	prom_name(x, nx, sizeof(nx));
	prom_name(y, ny, sizeof(ny));
	c = strcmp(nx, ny);
	if (c)
		return c;
	if (x->subnet_id != y->subnet_id)
		return x->subnet_id < y->subnet_id ? -1 : 1;
	if (x->pool != y->pool)
		return x->pool - y->pool;
	return strcmp(x->label, y->label);
}

/* Raw values: Prometheus computes rates itself and expects counters that
 * only grow, so statistic-reset does not apply here. */
int stats_prometheus(FILE *f, void *ctx)
{
	struct dp_srv *s = ctx;
	struct stat_list l = { 0 };
	char name[128], prev[128] = "";
	size_t i;

	locked(s);
	if (stats_collect(s, &l)) {
		pthread_mutex_unlock(&s->lock);
		free(l.v);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&s->lock);
	qsort(l.v, l.n, sizeof(*l.v), prom_cmp);
	for (i = 0; i < l.n; i++) {
		const struct stat_item *it = &l.v[i];

		prom_name(it, name, sizeof(name));
		if (strcmp(name, prev)) {
			if (it->group)
				fprintf(f, "# HELP %s statistic %s[server].%s\n", name, it->group,
					it->base);
			else
				fprintf(f, "# HELP %s Kea %sstatistic %s%s\n", name,
					it->fam == 6 ? "DHCPv6 " : "",
					it->pool >= 0 ? (it->pd ? "subnet[N].pd-pool[M]." :
							      "subnet[N].pool[M].") :
					it->subnet_id ? "subnet[N]." : "", it->base);
			fprintf(f, "# TYPE %s %s\n", name, it->gauge ? "gauge" : "counter");
			snprintf(prev, sizeof(prev), "%s", name);
		}
		if (it->group)
			fprintf(f, "%s{server=\"%s\"} %" PRId64 "\n", name, it->label, it->value);
		else if (it->pool >= 0)
			fprintf(f, "%s{subnet=\"%u\",pool=\"%d\"} %" PRId64 "\n", name, it->subnet_id,
				it->pool, it->value);
		else if (it->subnet_id)
			fprintf(f, "%s{subnet=\"%u\"} %" PRId64 "\n", name, it->subnet_id, it->value);
		else
			fprintf(f, "%s %" PRId64 "\n", name, it->value);
	}
	free(l.v);
	return 0;
}

/* The names of statistic-get-all without a service: a DHCPv6 one under a
 * DHCPv4 name is left out. */
void dp_srv_stats_write(struct dp_srv *s, FILE *f)
{
	struct stat_list l = { 0 };
	size_t i;

	locked(s);
	if (!stats_collect(s, &l))
		for (i = 0; i < l.n; i++)
			if (in_view(&l.v[i], VIEW_ALL))
				fprintf(f, "%s %" PRId64 "\n", l.v[i].name, l.v[i].value);
	pthread_mutex_unlock(&s->lock);
	free(l.v);
}

struct dp_stat_base *stat_base_new(void)
{
	struct dp_stat_base *b = calloc(1, sizeof(*b));

	if (b)
		clock_gettime(CLOCK_REALTIME, &b->t0);
	return b;
}

void stat_base_free(struct dp_stat_base *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->cap; i++)
		free(b->v[i].name);
	free(b->v);
	free(b);
}

const struct cmd_def cmds_stats[] = {
	{ "statistic-get", cmd_stat_get },
	{ "statistic-get-all", cmd_stat_get_all },
	{ "statistic-reset", cmd_stat_reset },
	{ "statistic-reset-all", cmd_stat_reset_all },
	{ "statistic-remove", cmd_stat_remove },
	{ "statistic-remove-all", cmd_stat_remove_all },
	{ "stat-lease4-get", cmd_stat_lease4_get },
	{ "stat-lease6-get", cmd_stat_lease6_get },
	{ NULL, NULL },
};
