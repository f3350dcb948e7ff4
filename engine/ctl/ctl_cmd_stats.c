/* Kea's statistics: the statistic-* commands, stat-lease4-get, the
 * Prometheus page and the statistics file, all from one enumeration of
 * the workers' counters.  Resets and removals are baselines kept here,
 * never writes to the workers' counters. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
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
};

struct stat_list {
	struct stat_item *v;
	size_t n, cap;
};

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
		snprintf(it->name, sizeof(it->name), "subnet[%u].pool[%d].%s", subnet_id, pool, base);
	else if (subnet_id)
		snprintf(it->name, sizeof(it->name), "subnet[%u].%s", subnet_id, base);
	else
		snprintf(it->name, sizeof(it->name), "%s", base);
	it->base = base;
	it->value = v;
	it->gauge = gauge;
	it->subnet_id = subnet_id;
	it->pool = pool;
	return it;
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
	for (i = 1; i < NET_ERR_MAX; i++) {
		SUM(dp->workers[w]->sdp.net_err[i]);
		ADD(net_names[i], (int64_t)v, false, 0, -1);
	}
	for (i = 0; i < STAT_DP_MAX; i++) {
		SUM(dp->workers[w]->sdp.c[i]);
		ADD(stats_dp_names[i], (int64_t)v, false, 0, -1);
	}
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
	}
	ADD("dp-mbufs-in-use", (int64_t)dp_mbufs_in_use(dp), true, 0, -1);
#undef SUM
#undef ADD
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
	struct stat_base *e = base_get(b, it->name, it->value);

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

/* statistic-* share one walk: op on the named statistic (or all). */
enum stat_op { ST_GET, ST_RESET, ST_REMOVE };

static int stat_cmd(struct dp_srv *s, const json_t *args, json_t **out, char *text, size_t len,
		    enum stat_op op, bool all)
{
	struct stat_list l = { 0 };
	const char *name = NULL;
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

		if (name && strcmp(l.v[i].name, name))
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
			snprintf(text, len, "%zu IPv4 statistic(s) returned.", hit);
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

/* stat-lease4-get: Kea's result-set, one row per subnet. */
HANDLER(cmd_stat_lease4_get)
{
	struct dp_srv *s = ctx;
	struct stat_list l = { 0 };
	uint64_t id = 0, first = 0, last = UINT32_MAX;
	json_t *range, *rows, *cols;
	unsigned sn;
	size_t i;
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
	if (stats_collect(s, &l)) {
		pthread_mutex_unlock(&s->lock);
		free(l.v);
		return fail(text, len, "out of memory");
	}
	rows = json_array();
	for (sn = 0; sn < s->conf->n_subnets; sn++) {
		uint32_t sid = s->conf->subnets[sn].id;
		int64_t col[4] = { 0 };

		if (sid < first || sid > last)
			continue;
		for (i = 0; i < l.n; i++) {
			const struct stat_item *it = &l.v[i];
			struct stat_base *e;
			int k;

			if (it->subnet_id != sid || it->pool >= 0)
				continue;
			if (!strcmp(it->base, "total-addresses"))
				k = 0;
			else if (!strcmp(it->base, "cumulative-assigned-addresses"))
				k = 1;
			else if (!strcmp(it->base, "assigned-addresses"))
				k = 2;
			else if (!strcmp(it->base, "declined-addresses"))
				k = 3;
			else
				continue;
			e = observe(s->base, it);
			col[k] = it->value - (e && k ? e->base : 0);
		}
		json_array_append_new(rows, json_pack("[I, I, I, I, I]", (json_int_t)sid,
						      (json_int_t)col[0], (json_int_t)col[1],
						      (json_int_t)col[2], (json_int_t)col[3]));
	}
	pthread_mutex_unlock(&s->lock);
	free(l.v);
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		if (r)
			snprintf(text, len, "subnet-id %" PRIu64 " does not exist", id);
		else
			snprintf(text, len, "stat-lease4-get: no matching data");
		return CTL_EMPTY;
	}
	cols = json_pack("[s, s, s, s, s]", "subnet-id", "total-addresses",
			 "cumulative-assigned-addresses", "assigned-addresses", "declined-addresses");
	{
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S.000000", &tm);
		*out = json_pack("{s:{s:o, s:o, s:s}}", "result-set", "columns", cols, "rows", rows,
				 "timestamp", ts);
	}
	snprintf(text, len, "stat-lease4-get: %zu rows found", json_array_size(
		 json_object_get(json_object_get(*out, "result-set"), "rows")));
	return CTL_SUCCESS;
}

/* ---- Prometheus -------------------------------------------------------- */

static void prom_name(const struct stat_item *it, char *out, size_t len)
{
	size_t n;
	const char *p;

	n = (size_t)snprintf(out, len, "peregrine_%s", it->pool >= 0 ? "pool_" : it->subnet_id ? "subnet_" : "");
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
	return x->pool - y->pool;
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
			fprintf(f, "# HELP %s Kea statistic %s%s\n", name,
				it->pool >= 0 ? "subnet[N].pool[M]." : it->subnet_id ? "subnet[N]." : "",
				it->base);
			fprintf(f, "# TYPE %s %s\n", name, it->gauge ? "gauge" : "counter");
			snprintf(prev, sizeof(prev), "%s", name);
		}
		if (it->pool >= 0)
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

void dp_srv_stats_write(struct dp_srv *s, FILE *f)
{
	struct stat_list l = { 0 };
	size_t i;

	locked(s);
	if (!stats_collect(s, &l))
		for (i = 0; i < l.n; i++)
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
	{ NULL, NULL },
};
