/* Control plane: Kea's commands on top of engine/ctl, statistics with
 * baselines, lease commands as messages to the owning workers, and live
 * reconfiguration.
 *
 * Everything here runs on the control thread (or on main for SIGHUP and
 * the statistics file) under srv->lock.  Nothing here writes a worker's
 * memory: counters are summed from the workers' own cache lines and
 * compared with baselines kept here; leases change only on their worker,
 * through its message ring.
 *
 * Address lookups (lease4-get by address, lease4-del, lease4-update) are
 * broadcast to every worker, which scans its own table.  A per-worker
 * address index would make the lookup O(1) but costs an extra hash write
 * on every lease change on the packet path; control commands are rare and
 * a scan is ~10 ns per lease, so the packet path stays as it is. */
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <rte_version.h>
#include "ctl.h"
#include "dp.h"
#include "lease_table.h"
#include "log.h"
#include "wb.h"

#define MSG_TIMEOUT_MS   3000
#define RC_ARRIVE_MS     2000
#define DURABLE_WAIT_MS  2000

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
		SUM(dp->workers[w]->st->net_err[i]);
		ADD(net_names[i], (int64_t)v, false, 0, -1);
	}
	for (i = 0; i < STAT_DP_MAX; i++) {
		SUM(dp->workers[w]->st->dp[i]);
		ADD(stats_dp_names[i], (int64_t)v, false, 0, -1);
	}
	for (sn = 0; sn < c->n_subnets; sn++) {
		const struct conf_subnet *su = &c->subnets[sn];
		uint64_t total = 0;

		for (i = 0; i < su->n_pools; i++)
			total += (uint64_t)su->pools[i].last - su->pools[i].first + 1;
		ADD("total-addresses", (int64_t)total, true, su->id, -1);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp->workers[w]->st->subnet[sn].assigned;
		assigned_total += g;
		ADD("assigned-addresses", g, true, su->id, -1);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp->workers[w]->st->subnet[sn].declined;
		declined_total += g;
		ADD("declined-addresses", g, true, su->id, -1);
		SUM(dp->workers[w]->st->subnet[sn].cumulative);
		cum_total += v;
		ADD("cumulative-assigned-addresses", (int64_t)v, false, su->id, -1);
		SUM(dp->workers[w]->st->subnet[sn].reclaimed);
		ADD("reclaimed-leases", (int64_t)v, false, su->id, -1);
		SUM(dp->workers[w]->st->subnet[sn].reclaimed_declined);
		ADD("reclaimed-declined-addresses", (int64_t)v, false, su->id, -1);
	}
	for (p = 0; p < dhcp4_runtime_pool_count(s->rt); p++) {
		unsigned si, idx;
		uint32_t first, last, id;

		dhcp4_runtime_pool_info(s->rt, p, &si, &idx, &first, &last);
		id = c->subnets[si].id;
		ADD("total-addresses", (int64_t)last - first + 1, true, id, (int)idx);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp->workers[w]->st->pool[p].assigned;
		ADD("assigned-addresses", g, true, id, (int)idx);
		for (g = 0, w = 0; w < dp->n_workers; w++)
			g += dp->workers[w]->st->pool[p].declined;
		ADD("declined-addresses", g, true, id, (int)idx);
		SUM(dp->workers[w]->st->pool[p].cumulative);
		ADD("cumulative-assigned-addresses", (int64_t)v, false, id, (int)idx);
	}
	ADD("assigned-addresses", assigned_total, true, 0, -1);
	ADD("declined-addresses", declined_total, true, 0, -1);
	ADD("cumulative-assigned-addresses", (int64_t)cum_total, false, 0, -1);
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

/* ---- helpers ---------------------------------------------------------- */

static int fail(char *text, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *text, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, len, fmt, ap);
	va_end(ap);
	return CTL_ERROR;
}

/* An optional member of type `type`: 1 found, 0 absent, -1 wrong type (text set). */
static int arg_get(const json_t *args, const char *key, json_type type, json_t **out,
		   char *text, size_t len)
{
	json_t *v = args ? json_object_get(args, key) : NULL;
	static const char *const tn[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "a list", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};

	*out = NULL;
	if (!v)
		return 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		snprintf(text, len, "'%s' must be %s", key, tn[type]);
		return -1;
	}
	*out = v;
	return 1;
}

/* arg_get, and a missing required argument is an error too: -1 (text
 * set), 0 absent, 1 with *out. */
static int arg_want(const json_t *args, const char *key, json_type type, bool required,
		    json_t **out, char *text, size_t len)
{
	int r = arg_get(args, key, type, out, text, len);

	if (r == 0 && required) {
		snprintf(text, len, "missing '%s' argument", key);
		return -1;
	}
	return r;
}

static int arg_uint(const json_t *args, const char *key, bool required, uint64_t max,
		    uint64_t *out, char *text, size_t len)
{
	json_t *v;
	int r = arg_want(args, key, JSON_INTEGER, required, &v, text, len);

	if (r <= 0)
		return r;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
		snprintf(text, len, "'%s' must be between 0 and %" PRIu64, key, max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

static int arg_str(const json_t *args, const char *key, bool required, const char **out,
		   char *text, size_t len)
{
	json_t *v;
	int r = arg_want(args, key, JSON_STRING, required, &v, text, len);

	*out = r > 0 ? json_string_value(v) : NULL;
	return r;
}

static int parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static void fmt_ip4(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)len);
}

/* "01:02:0a" (also "-" separators or none) -> bytes.  Returns the length or -1. */
static int parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		unsigned v;

		if (n == max || sscanf(s, "%2x", &v) != 1 || !s[1] ||
		    !strchr("0123456789abcdefABCDEF", s[0]) || !strchr("0123456789abcdefABCDEF", s[1]))
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
		if (*s == ':' || *s == '-')
			s++;
	}
	return (int)n;
}

static void fmt_hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(out + 3 * i, i + 1 < n ? "%02x:" : "%02x", b[i]);
}

/* ---- leases: JSON <-> records ------------------------------------------ */

/* The n bytes of s up to a NUL as JSON-safe text: JSON needs UTF-8, so
 * bytes outside printable ASCII show as '?'.  out holds n + 1. */
static void fmt_printable(const char *s, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static json_t *lease_json(const struct lease_rec *r)
{
	char ip[INET_ADDRSTRLEN], hw[3 * 16 + 1], cid[3 * 255 + 1];
	char hostname[sizeof(r->hostname) + 1];

	fmt_ip4(r->addr, ip, sizeof(ip));
	fmt_hex(r->hwaddr, r->hwaddr_len, hw);
	fmt_hex(r->cid, r->cid_len, cid);
	fmt_printable(r->hostname, r->hostname_len < sizeof(r->hostname) ? r->hostname_len :
		      sizeof(r->hostname), hostname);     /* the client's option 12 as given */
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:b, s:b, s:s}",
			 "ip-address", ip, "hw-address", hw, "client-id", cid,
			 "valid-lft", (json_int_t)r->valid_lft,
			 "cltt", (json_int_t)r->expire - (json_int_t)r->valid_lft,
			 "subnet-id", (json_int_t)r->subnet_id, "state", (int)r->state,
			 "fqdn-fwd", r->fqdn_fwd != 0, "fqdn-rev", r->fqdn_rev != 0,
			 "hostname", hostname);
}

/* Kea's lease4-add / lease4-update arguments -> record. */
static int lease_from_json(struct dp_srv *s, const json_t *args, struct lease_rec *r,
			   char *text, size_t len)
{
	const char *ip, *hw = NULL, *cid = NULL, *host = NULL;
	uint64_t subnet_id = 0, valid, expire = 0, cltt = 0, state = 0;
	const struct conf_subnet *sn = NULL;
	json_t *b;
	unsigned i;
	int n;

	memset(r, 0, sizeof(*r));
	if (!args || !json_is_object(args))
		return fail(text, len, "arguments missing or not an object");
	if (arg_str(args, "ip-address", true, &ip, text, len) < 0 ||
	    arg_str(args, "hw-address", true, &hw, text, len) < 0 ||
	    arg_str(args, "client-id", false, &cid, text, len) < 0 ||
	    arg_str(args, "hostname", false, &host, text, len) < 0 ||
	    arg_uint(args, "subnet-id", false, UINT32_MAX, &subnet_id, text, len) < 0 ||
	    arg_uint(args, "expire", false, UINT32_MAX, &expire, text, len) < 0 ||
	    arg_uint(args, "cltt", false, UINT32_MAX, &cltt, text, len) < 0 ||
	    arg_uint(args, "state", false, 2, &state, text, len) < 0)
		return CTL_ERROR;
	if (arg_get(args, "fqdn-fwd", JSON_TRUE, &b, text, len) < 0 ||
	    arg_get(args, "fqdn-rev", JSON_TRUE, &b, text, len) < 0)
		return CTL_ERROR;
	if (parse_ip4(ip, &r->addr))
		return fail(text, len, "'ip-address' \"%s\" is not an IPv4 address", ip);
	n = parse_hex(hw, r->hwaddr, sizeof(r->hwaddr));
	if (n <= 0)
		return fail(text, len, "'hw-address' \"%s\" is not a hardware address", hw);
	r->hwaddr_len = (uint8_t)n;
	r->htype = 1;
	if (cid) {
		n = parse_hex(cid, r->cid, sizeof(r->cid));
		if (n < 0 || (n > 0 && n < 2))
			return fail(text, len, "'client-id' \"%s\" is not a client identifier", cid);
		r->cid_len = (uint8_t)n;
	}
	for (i = 0; i < s->conf->n_subnets; i++) {
		const struct conf_subnet *c = &s->conf->subnets[i];

		if ((r->addr & c->mask) == (c->prefix & c->mask))
			sn = c;
	}
	if (subnet_id && !conf_subnet_by_id(s->conf, (uint32_t)subnet_id))
		return fail(text, len, "no subnet with subnet-id %" PRIu64, subnet_id);
	if (!sn || (subnet_id && sn->id != subnet_id))
		return fail(text, len, "address %s is not in %s", ip,
			    subnet_id ? "that subnet" : "any configured subnet");
	valid = sn->valid_lifetime;
	if (arg_uint(args, "valid-lft", false, UINT32_MAX, &valid, text, len) < 0)
		return CTL_ERROR;
	r->subnet_id = sn->id;
	r->valid_lft = (uint32_t)valid;
	r->state = (uint8_t)state;
	if (state == 2)
		return fail(text, len, "'state' 2 (expired-reclaimed) cannot be added; delete the lease");
	if (expire)
		r->expire = (uint32_t)expire;
	else if (cltt)
		r->expire = (uint32_t)RTE_MIN(cltt + valid, (uint64_t)UINT32_MAX);
	else
		r->expire = (uint32_t)RTE_MIN((uint64_t)time(NULL) + valid, (uint64_t)UINT32_MAX);
	if (host) {
		snprintf(r->hostname, sizeof(r->hostname), "%s", host);
		r->hostname_len = (uint8_t)strlen(r->hostname);
	}
	b = json_object_get(args, "fqdn-fwd");
	r->fqdn_fwd = b && json_is_true(b);
	b = json_object_get(args, "fqdn-rev");
	r->fqdn_rev = b && json_is_true(b);
	return CTL_SUCCESS;
}

/* ---- leases: messages --------------------------------------------------- */

static int rec_cmp(const void *a, const void *b)
{
	const struct lease_rec *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Ask every worker for the leases matching f; the answers are merged and
 * sorted by address into *out (caller frees).  Returns the count or -errno. */
static long query_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, struct lease_rec **out)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	struct lease_rec *v = NULL;
	size_t total = 0;
	unsigned w, tries;
	long ret = 0;

	*out = NULL;
	for (w = 0; w < dp->n_workers; w++) {
		unsigned cap = f->addr ? 1 : f->limit ? f->limit :
			lease_table_count(dhcp4_worker_leases(dp->workers[w]->dw)) + 64;

		for (tries = 0; tries < 4; tries++) {
			m[w] = dp_msg_new(DP_MSG_QUERY, cap ? cap : 1);
			if (!m[w]) {
				ret = -ENOMEM;
				goto out;
			}
			m[w]->filter = *f;
			ret = dp_msg_post(dp, w, m[w]);
			if (!ret)
				ret = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
			if (ret) {
				if (ret != -ETIMEDOUT)
					dp_msg_free(m[w]);
				m[w] = NULL;      /* abandoned: the worker frees it */
				goto out;
			}
			if (f->limit || m[w]->matched <= m[w]->n)
				break;
			/* the table grew between the count and the scan */
			cap = (unsigned)m[w]->matched + 1024;
			dp_msg_free(m[w]);
			m[w] = NULL;
		}
		if (!m[w]) {
			ret = -EAGAIN;
			goto out;
		}
		total += m[w]->n;
	}
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out;
	}
	total = 0;
	for (w = 0; w < dp->n_workers; w++) {
		memcpy(v + total, m[w]->out, m[w]->n * sizeof(*v));
		total += m[w]->n;
	}
	qsort(v, total, sizeof(*v), rec_cmp);
	*out = v;
	ret = (long)total;
out:
	for (w = 0; w < dp->n_workers; w++)
		dp_msg_free(m[w]);
	return ret;
}

/* Post one message of `kind` to every worker and wait for all; the sum of
 * their `matched`, or the first error.  incomplete: NULL, or where to
 * count the workers whose delete left matching leases for lack of room in
 * the write-behind ring or release queue (-ENOBUFS is then not an error);
 * done: NULL, or the sum of `matched` even when the answer is an error. */
static long broadcast(struct dp_srv *s, enum dp_msg_kind kind, const struct dhcp4_lease_filter *f,
		      unsigned *incomplete, long *done)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	unsigned w;
	long ret = 0, sum = 0;

	/* every message exists before any is posted: a failed allocation
	 * must not leave posted ones that nobody waits for or frees */
	for (w = 0; w < dp->n_workers; w++) {
		m[w] = dp_msg_new(kind, 0);
		if (!m[w]) {
			while (w--)
				dp_msg_free(m[w]);
			return -ENOMEM;
		}
		if (f)
			m[w]->filter = *f;
	}
	for (w = 0; w < dp->n_workers; w++) {
		ret = dp_msg_post(dp, w, m[w]);
		if (ret) {
			/* this one and the rest were never posted: ours to free */
			for (; w < dp->n_workers; w++) {
				dp_msg_free(m[w]);
				m[w] = NULL;
			}
			break;
		}
	}
	for (w = 0; w < dp->n_workers; w++) {
		int r;

		if (!m[w])
			continue;
		r = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
		if (r) {
			ret = r;              /* abandoned: the worker frees it */
			continue;
		}
		if (incomplete && (m[w]->ret == -ENOBUFS || (kind == DP_MSG_DEL && m[w]->n)))
			(*incomplete)++;
		else if (m[w]->ret && !ret)
			ret = m[w]->ret;
		sum += (long)m[w]->matched;
		dp_msg_free(m[w]);
	}
	if (done)
		*done = sum;
	return ret ? ret : sum;
}

/* Delete every lease matching f.  A worker's pass stops early when its
 * write-behind ring or release queue is full (the rest of its matches
 * stay, and it says how many), so passes repeat, with a pause for the
 * flusher, while some worker left matches behind, up to DEL_ALL_MS.  Only
 * leftovers bring another pass: leases that clients take anew while it
 * runs are not chased.  *deleted gets the total; returns 0, or -errno
 * (-ETIMEDOUT when leftovers remain at the bound). */
#define DEL_ALL_MS 20000
static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int del_all(struct dp_srv *s, const struct dhcp4_lease_filter *f, long *deleted)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	uint64_t until = now_ms() + DEL_ALL_MS;
	long n, done;

	*deleted = 0;
	for (;;) {
		unsigned incomplete = 0;

		done = 0;
		n = broadcast(s, DP_MSG_DEL, f, &incomplete, &done);
		*deleted += done;
		if (n < 0)
			return (int)n;
		if (incomplete == 0)
			return 0;
		if (now_ms() > until)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

/* In commit mode a change is acknowledged once it is durable, like a
 * DHCPACK. */
static int wait_durable(struct dp_srv *s, unsigned w, uint64_t seq)
{
	struct timespec nap = { 0, 200000 };
	unsigned i;

	if (!s->dp->wb || !s->dp->commit || !seq)
		return 0;
	for (i = 0; i < DURABLE_WAIT_MS * 5; i++) {
		if (wb_durable(s->dp->wb, w) >= seq)
			return 0;
		nanosleep(&nap, NULL);
	}
	return -ETIMEDOUT;
}

static int send_one(struct dp_srv *s, unsigned w, enum dp_msg_kind kind, const struct lease_rec *r)
{
	struct dp_msg *m = dp_msg_new(kind, 0);
	int ret;

	if (!m)
		return -ENOMEM;
	m->rec = *r;
	ret = dp_msg_post(s->dp, w, m);
	if (ret) {
		dp_msg_free(m);
		return ret;
	}
	ret = dp_msg_wait(m, MSG_TIMEOUT_MS);
	if (ret)
		return ret;               /* abandoned */
	ret = m->ret;
	if (!ret)
		ret = wait_durable(s, w, m->seq);
	dp_msg_free(m);
	return ret;
}

static unsigned rec_owner(struct dp_srv *s, const struct lease_rec *r)
{
	struct lease_key k;

	dhcp4_rec_key(r, s->conf->match_client_id, &k);
	return dhcp4_owner(&k, s->dp->n_workers);
}

/* Which worker holds the lease at addr: -ENOENT, or the worker index. */
static int holder_of(struct dp_srv *s, uint32_t addr, struct lease_rec *found)
{
	struct dp *dp = s->dp;
	unsigned w;

	for (w = 0; w < dp->n_workers; w++) {
		struct dp_msg *m = dp_msg_new(DP_MSG_QUERY, 1);
		int ret;

		if (!m)
			return -ENOMEM;
		m->filter.addr = addr;
		ret = dp_msg_post(dp, w, m);
		if (!ret)
			ret = dp_msg_wait(m, MSG_TIMEOUT_MS);
		if (ret) {
			if (ret != -ETIMEDOUT)
				dp_msg_free(m);
			return ret;
		}
		if (m->n) {
			if (found)
				*found = m->out[0];
			dp_msg_free(m);
			return (int)w;
		}
		dp_msg_free(m);
	}
	return -ENOENT;
}

static int leases_answer(struct lease_rec *v, long n, json_t **out, char *text, size_t len,
			 bool with_count)
{
	json_t *a = json_array();
	long i;

	if (!a)
		return fail(text, len, "out of memory");
	for (i = 0; i < n; i++)
		json_array_append_new(a, lease_json(&v[i]));
	*out = with_count ? json_pack("{s:o, s:I}", "leases", a, "count", (json_int_t)n)
			  : json_pack("{s:o}", "leases", a);
	snprintf(text, len, "%ld IPv4 lease(s) found.", n);
	return n ? CTL_SUCCESS : CTL_EMPTY;
}

static int msg_error(int ret, char *text, size_t len)
{
	if (ret == -ETIMEDOUT)
		return fail(text, len, "a worker did not answer within %u ms", MSG_TIMEOUT_MS);
	return fail(text, len, "%s", strerror(-ret));
}

/* The answer to a del_all() that failed after deleting n leases. */
static int del_error(int r, long n, char *text, size_t len)
{
	if (n > 0)
		return fail(text, len, "deleted %ld lease(s), some remain: %s", n, strerror(-r));
	return msg_error(r, text, len);
}

/* ---- command handlers --------------------------------------------------- */

#define HANDLER(name) \
	static int name(const json_t *args, json_t **out, char *text, size_t len, void *ctx)

static int locked(struct dp_srv *s)
{
	return pthread_mutex_lock(&s->lock);
}

HANDLER(cmd_version_get)
{
	(void)args; (void)ctx;
	snprintf(text, len, "%s", PEREGRINE_VERSION);
	*out = json_pack("{s:s}", "extended", "peregrine " PEREGRINE_VERSION " (DHCPv4, DPDK datapath)");
	return CTL_SUCCESS;
}

HANDLER(cmd_build_report)
{
	(void)args; (void)out; (void)ctx;
	snprintf(text, len, "peregrine %s; %s; compiler %s; built %s %s; libconfig, jansson %s",
		 PEREGRINE_VERSION, rte_version(), __VERSION__, __DATE__, __TIME__, JANSSON_VERSION);
	return CTL_SUCCESS;
}

HANDLER(cmd_status_get)
{
	struct dp_srv *s = ctx;
	json_t *ifs = json_array();
	time_t now = time(NULL);
	uint32_t dis;
	unsigned i;

	(void)args; (void)text; (void)len;
	locked(s);
	for (i = 0; ifs && i < s->conf->n_ifaces; i++) {
		char a[INET_ADDRSTRLEN], buf[64];

		fmt_ip4(s->conf->ifaces[i].addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s/%u", a, s->conf->ifaces[i].prefix_len);
		json_array_append_new(ifs, json_pack("{s:s, s:s, s:s}", "name", s->conf->ifaces[i].name,
						     "device", s->conf->ifaces[i].device, "address", buf));
	}
	dis = __atomic_load_n(&s->dp->disabled_until, __ATOMIC_RELAXED);
	*out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:o, s:s, s:s, s:I}",
			 "pid", (json_int_t)getpid(),
			 "uptime", (json_int_t)(now - s->started),
			 "reload", (json_int_t)(now - s->reloaded),
			 "reload-count", (json_int_t)s->reloads,
			 "workers", (json_int_t)s->dp->n_workers,
			 "multi-threading-enabled", s->dp->n_workers > 1,
			 "thread-pool-size", (json_int_t)s->dp->n_workers,
			 "interfaces", ifs,
			 "durability", conf_durability_name(s->dp->wb ? s->conf->lease_db.durability
							    : CONF_DUR_MEMORY),
			 "dhcp-state", (uint32_t)now < dis ? "disabled" : "enabled",
			 "subnets", (json_int_t)s->conf->n_subnets);
	pthread_mutex_unlock(&s->lock);
	return CTL_SUCCESS;
}

/* libconfig tree -> JSON, faithfully: groups become objects, lists and
 * arrays become arrays, scalars keep their type. */
static json_t *setting_json(const config_setting_t *st)
{
	json_t *j;
	int i, n;

	switch (config_setting_type(st)) {
	case CONFIG_TYPE_GROUP:
		j = json_object();
		n = config_setting_length(st);
		for (i = 0; j && i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);

			json_object_set_new(j, config_setting_name(e), setting_json(e));
		}
		return j;
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		j = json_array();
		n = config_setting_length(st);
		for (i = 0; j && i < n; i++)
			json_array_append_new(j, setting_json(config_setting_get_elem(st, (unsigned)i)));
		return j;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return json_integer((json_int_t)config_setting_get_int64(st));
	case CONFIG_TYPE_FLOAT:
		return json_real(config_setting_get_float(st));
	case CONFIG_TYPE_BOOL:
		return json_boolean(config_setting_get_bool(st));
	case CONFIG_TYPE_STRING:
		return json_string(config_setting_get_string(st));
	}
	return json_null();
}

/* The running configuration as the file said it (includes expanded),
 * parsed from the text kept at load time so that later edits of the file
 * do not show up here. */
HANDLER(cmd_config_get)
{
	struct dp_srv *s = ctx;
	char dir[PATH_MAX], *slash;
	config_t cf;
	json_t *body;

	(void)args;
	locked(s);
	snprintf(dir, sizeof(dir), "%s", s->conf->file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	config_init(&cf);
	config_set_include_dir(&cf, dir);
	if (!s->conf_text || !config_read_string(&cf, s->conf_text)) {
		config_destroy(&cf);
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "cannot render the running configuration");
	}
	body = setting_json(config_root_setting(&cf));
	config_destroy(&cf);
	/* the password of the HTTP listener is not something to hand out */
	if (json_is_object(json_object_get(body, "http-control")) &&
	    json_object_get(json_object_get(body, "http-control"), "password"))
		json_object_set_new(json_object_get(body, "http-control"), "password",
				    json_string("*****"));
	*out = json_pack("{s:o, s:s, s:I}", "Peregrine", body, "file", s->conf->file,
			 "loaded", (json_int_t)s->reloaded);
	pthread_mutex_unlock(&s->lock);
	snprintf(text, len, "Current configuration returned.");
	return CTL_SUCCESS;
}

/* Parts of a config that a running process cannot change: the EAL, the
 * ports, the lease store, the steering key and the control channel.
 * 0, or -EINVAL with err "file:line: why". */
static int reload_compatible(const struct conf *o, const struct conf *n, char *err, size_t len)
{
	unsigned i;

#define REFUSE(line, ...) do { \
	int k_ = snprintf(err, len, "%s:%d: ", n->file, (line) > 0 ? (line) : 1); \
	snprintf(err + k_, len - (size_t)k_, __VA_ARGS__); return -EINVAL; } while (0)
	if (strcmp(o->dpdk.lcores, n->dpdk.lcores) || strcmp(o->dpdk.file_prefix, n->dpdk.file_prefix) ||
	    o->dpdk.no_huge != n->dpdk.no_huge || o->dpdk.memory_mb != n->dpdk.memory_mb ||
	    o->dpdk.mbufs != n->dpdk.mbufs || o->dpdk.rx_desc != n->dpdk.rx_desc ||
	    o->dpdk.tx_desc != n->dpdk.tx_desc || o->dpdk.n_extra_args != n->dpdk.n_extra_args)
		REFUSE(1, "the dpdk block (EAL) cannot change while running; restart to apply it");
	for (i = 0; i < n->dpdk.n_extra_args; i++)
		if (strcmp(o->dpdk.extra_args[i], n->dpdk.extra_args[i]))
			REFUSE(1, "dpdk.extra-args cannot change while running; restart to apply it");
	if (o->n_ifaces != n->n_ifaces)
		REFUSE(n->ifaces[0].line, "interfaces cannot be added or removed while running; restart");
	for (i = 0; i < n->n_ifaces; i++)
		if (strcmp(o->ifaces[i].name, n->ifaces[i].name) ||
		    strcmp(o->ifaces[i].device, n->ifaces[i].device) ||
		    o->ifaces[i].addr != n->ifaces[i].addr ||
		    o->ifaces[i].prefix_len != n->ifaces[i].prefix_len)
			REFUSE(n->ifaces[i].line, "interface '%s' cannot change while running (ports "
			       "belong to the EAL); restart to apply it", n->ifaces[i].name);
	if (o->lease_db.type != n->lease_db.type || strcmp(o->lease_db.name, n->lease_db.name) ||
	    o->lease_db.durability != n->lease_db.durability ||
	    o->lease_db.flush_interval_ms != n->lease_db.flush_interval_ms ||
	    o->lease_db.lfc_interval != n->lease_db.lfc_interval)
		REFUSE(1, "lease-database cannot change while running; restart to apply it");
	if (o->match_client_id != n->match_client_id)
		REFUSE(1, "match-client-id decides which worker owns each client and cannot change "
		       "while running; restart to apply it");
	if (memcmp(&o->ctl_socket, &n->ctl_socket, offsetof(struct conf_ctl_socket, line)) ||
	    memcmp(&o->http_control, &n->http_control, offsetof(struct conf_http_control, line)))
		REFUSE(n->ctl_socket.line > 0 ? n->ctl_socket.line : n->http_control.line,
		       "control-socket and http-control cannot change while running; restart to apply them");
#undef REFUSE
	return 0;
}

static char *read_text(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

HANDLER(cmd_config_test)
{
	struct dp_srv *s = ctx;
	const char *path = NULL;
	char err[1024];
	struct conf *c;
	int ret;

	if (arg_str(args, "file", false, &path, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	c = conf_load(path ? path : s->conf_path, err, sizeof(err));
	if (!c) {
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "%s", err);
	}
	ret = reload_compatible(s->conf, c, err, sizeof(err));
	*out = json_pack("{s:s, s:I, s:I, s:b}", "file", c->file, "subnets", (json_int_t)c->n_subnets,
			 "interfaces", (json_int_t)c->n_ifaces, "reloadable", ret == 0);
	conf_free(c);
	pthread_mutex_unlock(&s->lock);
	if (ret)
		snprintf(text, len, "Configuration seems sane, but not for a reload: %s", err);
	else
		snprintf(text, len, "Configuration seems sane.");
	return CTL_SUCCESS;
}

HANDLER(cmd_config_write)
{
	struct dp_srv *s = ctx;
	const char *path = NULL;
	char tmp[PATH_MAX + 16];
	FILE *f;
	int ok;

	if (arg_str(args, "filename", false, &path, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	if (!path)
		path = s->conf_path;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "w");
	ok = f && fwrite(s->conf_text, 1, s->conf_text_len, f) == s->conf_text_len;
	if (f)
		ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "cannot write %s: %s", path, strerror(e));
	}
	*out = json_pack("{s:s, s:I}", "filename", path, "size", (json_int_t)s->conf_text_len);
	pthread_mutex_unlock(&s->lock);
	snprintf(text, len, "Configuration written to %s successfully", path);
	return CTL_SUCCESS;
}

HANDLER(cmd_config_reload)
{
	struct dp_srv *s = ctx;
	char err[1024];
	void *info = NULL;

	(void)args;
	if (dp_srv_reload(s, NULL, err, sizeof(err), &info))
		return fail(text, len, "%s", err);
	*out = info;
	snprintf(text, len, "Configuration successful.");
	return CTL_SUCCESS;
}

HANDLER(cmd_shutdown)
{
	struct dp_srv *s = ctx;

	(void)args; (void)out;
	*s->quit = 1;
	snprintf(text, len, "Shutting down.");
	return CTL_SUCCESS;
}

HANDLER(cmd_dhcp_disable)
{
	struct dp_srv *s = ctx;
	uint64_t period = 0;
	int r = arg_uint(args, "max-period", false, 365u * 86400, &period, text, len);

	(void)out;
	if (r < 0)
		return CTL_ERROR;
	if (r && !period)
		return fail(text, len, "'max-period' must be positive");
	__atomic_store_n(&s->dp->disabled_until,
			 r ? (uint32_t)(time(NULL) + (time_t)period) : UINT32_MAX, __ATOMIC_RELAXED);
	if (r)
		snprintf(text, len, "DHCPv4 service disabled for %" PRIu64 " seconds.", period);
	else
		snprintf(text, len, "DHCPv4 service disabled.");
	return CTL_SUCCESS;
}

HANDLER(cmd_dhcp_enable)
{
	struct dp_srv *s = ctx;

	(void)args; (void)out;
	__atomic_store_n(&s->dp->disabled_until, 0, __ATOMIC_RELAXED);
	snprintf(text, len, "DHCP service successfully enabled");
	return CTL_SUCCESS;
}

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

/* Subnets list of lease4-get-all / -wipe into a filter. */
static int filter_subnets(struct dp_srv *s, const json_t *args, struct dhcp4_lease_filter *f,
			  char *text, size_t len)
{
	json_t *a, *v;
	size_t i;

	if (arg_get(args, "subnets", JSON_ARRAY, &a, text, len) < 0)
		return -1;
	if (!a)
		return 0;
	if (json_array_size(a) > DHCP4_FILTER_SUBNETS) {
		snprintf(text, len, "at most %d subnets at a time", DHCP4_FILTER_SUBNETS);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    json_integer_value(v) > UINT32_MAX) {
			snprintf(text, len, "'subnets' must list subnet ids (positive integers)");
			return -1;
		}
		if (!conf_subnet_by_id(s->conf, (uint32_t)json_integer_value(v))) {
			snprintf(text, len, "no subnet with subnet-id %" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			return -1;
		}
		f->subnet_ids[f->n_subnet_ids++] = (uint32_t)json_integer_value(v);
	}
	return 0;
}

static int lease_query_answer(struct dp_srv *s, const struct dhcp4_lease_filter *f, json_t **out,
			      char *text, size_t len, bool with_count, uint32_t limit)
{
	struct lease_rec *v;
	long n = query_all(s, f, &v);
	int r;

	if (n < 0)
		return msg_error((int)n, text, len);
	if (limit && n > (long)limit)
		n = limit;
	r = leases_answer(v, n, out, text, len, with_count);
	free(v);
	return r;
}

HANDLER(cmd_lease4_get_all)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f = { 0 };
	int r;

	locked(s);
	r = filter_subnets(s, args, &f, text, len) ? CTL_ERROR
		: lease_query_answer(s, &f, out, text, len, false, 0);
	pthread_mutex_unlock(&s->lock);
	return r;
}

HANDLER(cmd_lease4_get_page)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f = { 0 };
	const char *from;
	uint64_t limit;
	int r;

	if (arg_str(args, "from", true, &from, text, len) < 0 ||
	    arg_uint(args, "limit", true, 1000000, &limit, text, len) < 0)
		return CTL_ERROR;
	if (!limit)
		return fail(text, len, "page size 'limit' must be positive");
	if (strcmp(from, "start") && parse_ip4(from, &f.from))
		return fail(text, len, "'from' must be \"start\" or an IPv4 address, not \"%s\"", from);
	f.limit = (uint32_t)limit;
	locked(s);
	r = lease_query_answer(s, &f, out, text, len, true, f.limit);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* lease4-get-by-hw-address and lease4-get-by-client-id: every lease of
 * one identifier (hex), whichever worker holds it. */
static int lease_query_by_id(struct dp_srv *s, const json_t *args, bool hw, json_t **out,
			     char *text, size_t len)
{
	struct dhcp4_lease_filter f = { 0 };
	const char *key = hw ? "hw-address" : "client-id", *id;
	int n, r;

	if (arg_str(args, key, true, &id, text, len) < 0)
		return CTL_ERROR;
	n = hw ? parse_hex(id, f.hw, sizeof(f.hw)) : parse_hex(id, f.cid, sizeof(f.cid));
	if (n <= 0)
		return fail(text, len, "'%s' \"%s\" is not a %s", key, id,
			    hw ? "hardware address" : "client identifier");
	if (hw)
		f.hw_len = (uint8_t)n;
	else
		f.cid_len = (uint16_t)n;
	locked(s);
	r = lease_query_answer(s, &f, out, text, len, false, 0);
	pthread_mutex_unlock(&s->lock);
	return r;
}

HANDLER(cmd_lease4_get_by_hw)
{
	return lease_query_by_id(ctx, args, true, out, text, len);
}

HANDLER(cmd_lease4_get_by_cid)
{
	return lease_query_by_id(ctx, args, false, out, text, len);
}

/* lease4-get / lease4-del name a lease by ip-address, or by
 * identifier-type + identifier + subnet-id. */
static int lease_selector(const json_t *args, struct dhcp4_lease_filter *f, char *text, size_t len)
{
	const char *ip = NULL, *type = NULL, *id = NULL;
	uint64_t sid = 0;
	int n;

	memset(f, 0, sizeof(*f));
	if (!args || !json_is_object(args))
		return fail(text, len, "arguments missing or not an object");
	if (arg_str(args, "ip-address", false, &ip, text, len) < 0 ||
	    arg_str(args, "identifier-type", false, &type, text, len) < 0 ||
	    arg_str(args, "identifier", false, &id, text, len) < 0 ||
	    arg_uint(args, "subnet-id", false, UINT32_MAX, &sid, text, len) < 0)
		return CTL_ERROR;
	if (ip) {
		if (parse_ip4(ip, &f->addr))
			return fail(text, len, "'ip-address' \"%s\" is not an IPv4 address", ip);
		/* 0 means "no address filter" to the workers: 0.0.0.0 here would
		 * select (and lease4-del would delete) every lease */
		if (f->addr == 0)
			return fail(text, len, "'ip-address' 0.0.0.0 is not a lease address");
		return CTL_SUCCESS;
	}
	if (!type || !id || !sid)
		return fail(text, len, "give 'ip-address', or 'identifier-type', 'identifier' and 'subnet-id'");
	f->subnet_ids[0] = (uint32_t)sid;
	f->n_subnet_ids = 1;
	if (!strcmp(type, "hw-address")) {
		n = parse_hex(id, f->hw, sizeof(f->hw));
		if (n <= 0)
			return fail(text, len, "'identifier' \"%s\" is not a hardware address", id);
		f->hw_len = (uint8_t)n;
	} else if (!strcmp(type, "client-id")) {
		n = parse_hex(id, f->cid, sizeof(f->cid));
		if (n <= 0)
			return fail(text, len, "'identifier' \"%s\" is not a client identifier", id);
		f->cid_len = (uint16_t)n;
	} else {
		return fail(text, len, "'identifier-type' must be \"hw-address\" or \"client-id\", not \"%s\"",
			    type);
	}
	return CTL_SUCCESS;
}

HANDLER(cmd_lease4_get)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f;
	struct lease_rec *v;
	long n;
	int r = lease_selector(args, &f, text, len);

	if (r)
		return r;
	locked(s);
	n = query_all(s, &f, &v);
	pthread_mutex_unlock(&s->lock);
	if (n < 0)
		return msg_error((int)n, text, len);
	if (!n) {
		free(v);
		snprintf(text, len, "Lease not found.");
		return CTL_EMPTY;
	}
	*out = lease_json(&v[0]);
	free(v);
	snprintf(text, len, "IPv4 lease found.");
	return CTL_SUCCESS;
}

HANDLER(cmd_lease4_add)
{
	struct dp_srv *s = ctx;
	struct lease_rec r;
	char ip[INET_ADDRSTRLEN];
	int ret;

	(void)out;
	locked(s);
	ret = lease_from_json(s, args, &r, text, len);
	if (ret) {
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	/* An address outside every pool has no allocator bit to stop a second
	 * lease, and the owner only sees its own table: ask every worker. */
	ret = holder_of(s, r.addr, NULL);
	if (ret >= 0)
		ret = -EEXIST;
	else if (ret == -ENOENT)
		ret = send_one(s, rec_owner(s, &r), DP_MSG_ADD, &r);
	pthread_mutex_unlock(&s->lock);
	fmt_ip4(r.addr, ip, sizeof(ip));
	if (ret == -EEXIST)
		return fail(text, len, "IPv4 lease already exists (address %s or its client)", ip);
	if (ret == -EINVAL)
		return fail(text, len, "address %s is not in a configured subnet", ip);
	if (ret)
		return msg_error(ret, text, len);
	snprintf(text, len, "Lease for address %s, subnet-id %u added.", ip, r.subnet_id);
	return CTL_SUCCESS;
}

/* lease4-update: the lease keeps its address; if its new identity belongs
 * to another worker it moves there (see move_lease). */
/* The lease at r->addr moves from worker `from` to the new client's owner
 * `to`: delete there, add here.  The delete keeps the address's pool bit
 * until its record is durable (so the file never holds the add before the
 * delete), so the add is retried until the old worker has let the bit go.
 * If it still cannot be added, the old lease is put back where it was
 * rather than lost. */
static int move_lease(struct dp_srv *s, int from, unsigned to, const struct lease_rec *r)
{
	struct dhcp4_lease_filter f = { 0 };
	struct lease_rec old;
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int ret, tries;

	if (holder_of(s, r->addr, &old) != from)
		return -EAGAIN;
	f.addr = r->addr;
	ret = (int)broadcast(s, DP_MSG_DEL, &f, NULL, NULL);
	if (ret < 0)
		return ret;
	for (tries = 0; tries < 200; tries++) {        /* 2 s at most */
		ret = send_one(s, to, DP_MSG_ADD, r);
		if (ret != -EEXIST)
			return ret;
		nanosleep(&nap, NULL);
	}
	for (tries = 0; tries < 200; tries++) {
		if (send_one(s, (unsigned)from, DP_MSG_ADD, &old) != -EEXIST)
			break;
		nanosleep(&nap, NULL);
	}
	return -EEXIST;
}

HANDLER(cmd_lease4_update)
{
	struct dp_srv *s = ctx;
	struct lease_rec r;
	char ip[INET_ADDRSTRLEN];
	json_t *fc;
	int ret, holder;
	unsigned owner;
	bool force = false;

	(void)out;
	if (arg_get(args, "force-create", JSON_TRUE, &fc, text, len) < 0)
		return CTL_ERROR;
	force = fc && json_is_true(fc);
	locked(s);
	ret = lease_from_json(s, args, &r, text, len);
	if (ret)
		goto out;
	fmt_ip4(r.addr, ip, sizeof(ip));
	owner = rec_owner(s, &r);
	holder = holder_of(s, r.addr, NULL);
	if (holder == -ENOENT && force) {
		ret = send_one(s, owner, DP_MSG_ADD, &r);
	} else if (holder < 0) {
		ret = holder;
	} else if ((unsigned)holder == owner) {
		ret = send_one(s, owner, DP_MSG_UPDATE, &r);
	} else {
		ret = move_lease(s, holder, owner, &r);
	}
	if (ret == -ENOENT)
		ret = fail(text, len, "there is no lease at %s to update", ip);
	else if (ret == -EEXIST)
		ret = fail(text, len, "the client in this update already has another lease");
	else if (ret)
		ret = msg_error(ret, text, len);
	else
		snprintf(text, len, "IPv4 lease updated.");
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

HANDLER(cmd_lease4_del)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f;
	long n;
	int r = lease_selector(args, &f, text, len);

	(void)out;
	if (r)
		return r;
	locked(s);
	r = del_all(s, &f, &n);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return del_error(r, n, text, len);
	if (!n) {
		snprintf(text, len, "IPv4 lease not found.");
		return CTL_EMPTY;
	}
	snprintf(text, len, "IPv4 lease deleted.");
	return CTL_SUCCESS;
}

HANDLER(cmd_lease4_wipe)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f = { 0 };
	uint64_t sid = 0;
	long n;
	int r;

	(void)out;
	if (arg_uint(args, "subnet-id", false, UINT32_MAX, &sid, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	if (sid && !conf_subnet_by_id(s->conf, (uint32_t)sid)) {
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "no subnet with subnet-id %" PRIu64, sid);
	}
	if (sid) {
		f.subnet_ids[0] = (uint32_t)sid;
		f.n_subnet_ids = 1;
	}
	r = del_all(s, &f, &n);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return del_error(r, n, text, len);
	if (sid)
		snprintf(text, len, "Deleted %ld IPv4 lease(s) from subnet(s) %" PRIu64, n, sid);
	else
		snprintf(text, len, "Deleted %ld IPv4 lease(s) from subnet(s) all", n);
	return n ? CTL_SUCCESS : CTL_EMPTY;
}

HANDLER(cmd_leases_reclaim)
{
	struct dp_srv *s = ctx;
	json_t *rm;
	long n;

	if (arg_get(args, "remove", JSON_TRUE, &rm, text, len) < 0)
		return CTL_ERROR;
	if (!rm)
		return fail(text, len, "missing 'remove' argument");
	locked(s);
	n = broadcast(s, DP_MSG_RECLAIM, NULL, NULL, NULL);
	pthread_mutex_unlock(&s->lock);
	if (n < 0)
		return msg_error((int)n, text, len);
	*out = json_pack("{s:I}", "reclaimed", (json_int_t)n);
	/* our expiry always removes the lease (a delete record in the lease
	 * file), so remove=false behaves like remove=true */
	snprintf(text, len, "Reclamation of expired leases is complete.");
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
static int metrics(FILE *f, void *ctx)
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

/* ---- live reconfiguration ---------------------------------------------- */

static void rc_free_arrays(struct dhcp4_reconf *rc)
{
	free(rc->subnet);
	free(rc->pool);
	free(rc->cursor);
	rc->subnet = NULL;
	rc->pool = NULL;
	rc->cursor = NULL;
}

static bool wait_count(uint32_t *ctr, uint32_t want, unsigned timeout_ms)
{
	struct timespec nap = { 0, 20000 };
	unsigned long spins = (unsigned long)timeout_ms * 50, i;

	for (i = 0; i <= spins || !timeout_ms; i++) {
		if (__atomic_load_n(ctr, __ATOMIC_ACQUIRE) >= want)
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

/* Publish conf/rt to every worker under the barrier (see worker.c).  The
 * grace period is explicit: when every worker has acknowledged, none can
 * still hold a pointer into the old snapshot, so it is freed here. */
static int publish(struct dp_srv *s, struct conf *nc, struct dhcp4_runtime *rt, json_t *info,
		   char *err, size_t errlen)
{
	struct dp *dp = s->dp;
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	uint32_t n_pools = dhcp4_runtime_pool_count(rt);
	uint64_t orphaned = 0, conflicts = 0, leases = 0;
	struct timespec t0, t1;
	unsigned w, posted = 0;
	int ret = 0;

	for (w = 0; w < dp->n_workers; w++) {
		m[w] = dp_msg_new(DP_MSG_RECONF, 0);
		if (!m[w])
			goto nomem;
		m[w]->rc.conf = nc;
		m[w]->rc.rt = rt;
		m[w]->rc.subnet = calloc(nc->n_subnets ? nc->n_subnets : 1, sizeof(struct stats4_subnet));
		m[w]->rc.pool = calloc(n_pools ? n_pools : 1, sizeof(struct stats4_pool));
		m[w]->rc.cursor = calloc(n_pools ? n_pools : 1, sizeof(uint32_t));
		if (!m[w]->rc.subnet || !m[w]->rc.pool || !m[w]->rc.cursor)
			goto nomem;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	__atomic_store_n(&dp->rc_arrived, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_done, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_gen, dp->rc_gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_phase, DP_RC_ARRIVE, __ATOMIC_RELEASE);
	for (w = 0; w < dp->n_workers; w++) {
		m[w]->gen = dp->rc_gen;
		if (dp_msg_post(dp, w, m[w]))
			break;
		posted++;
	}
	if (posted < dp->n_workers || !wait_count(&dp->rc_arrived, dp->n_workers, RC_ARRIVE_MS)) {
		/* Someone did not come: nobody changes anything. */
		__atomic_store_n(&dp->rc_phase, DP_RC_ABORT, __ATOMIC_RELEASE);
		for (w = 0; w < dp->n_workers; w++) {
			if (w >= posted) {
				rc_free_arrays(&m[w]->rc);
				dp_msg_free(m[w]);
			} else if (dp_msg_wait(m[w], MSG_TIMEOUT_MS) == 0) {
				rc_free_arrays(&m[w]->rc);
				dp_msg_free(m[w]);
			}
			/* else abandoned: it cancels itself and the worker frees it
			 * (the arrays leak, which is better than a use after free) */
		}
		snprintf(err, errlen, "%s: a worker did not reach the reload barrier within %u ms; "
			 "configuration unchanged", nc->file, RC_ARRIVE_MS);
		return -ETIMEDOUT;
	}
	/* Every worker is paused: the new snapshot goes in. */
	__atomic_store_n(&dp->conf, nc, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->rc_phase, DP_RC_GO, __ATOMIC_RELEASE);
	wait_count(&dp->rc_done, dp->n_workers, 0);
	__atomic_store_n(&dp->rc_phase, DP_RC_RESUME, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (w = 0; w < dp->n_workers; w++) {
		dp_msg_wait(m[w], 0xffffffffu);     /* they are past the barrier */
		if (m[w]->ret && !ret)
			ret = m[w]->ret;
		orphaned += m[w]->rc.orphaned;
		conflicts += m[w]->rc.conflicts;
		leases += m[w]->rc.leases;
		rc_free_arrays(&m[w]->rc);           /* the old arrays, swapped back */
		dp_msg_free(m[w]);
	}
	__atomic_store_n(&dp->rc_phase, DP_RC_IDLE, __ATOMIC_RELEASE);
	json_object_set_new(info, "orphaned-leases", json_integer((json_int_t)orphaned));
	json_object_set_new(info, "address-conflicts", json_integer((json_int_t)conflicts));
	json_object_set_new(info, "leases", json_integer((json_int_t)leases));
	json_object_set_new(info, "pause-us", json_integer((json_int_t)(
		(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000)));
	return ret;
nomem:
	for (w = 0; w < dp->n_workers; w++)
		if (m[w]) {
			rc_free_arrays(&m[w]->rc);
			dp_msg_free(m[w]);
		}
	snprintf(err, errlen, "%s: out of memory", nc->file);
	return -ENOMEM;
}

int dp_srv_reload(struct dp_srv *s, const char *path, char *err, size_t errlen, void **infop)
{
	struct conf *nc = NULL, *oc;
	struct dhcp4_runtime *rt = NULL, *ort;
	char *text = NULL;
	size_t tlen = 0;
	json_t *info = NULL;
	int ret;

	if (infop)
		*infop = NULL;
	locked(s);
	if (!path)
		path = s->conf_path;
	nc = conf_load(path, err, errlen);
	if (!nc) {
		ret = -errno;
		goto fail;
	}
	ret = reload_compatible(s->conf, nc, err, errlen);
	if (ret)
		goto fail;
	text = read_text(path, &tlen);
	if (!text) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rt = dhcp4_runtime_create_from(nc, s->rt);
	if (!rt) {
		ret = -errno;
		snprintf(err, errlen, "%s: runtime: %s", path, strerror(errno));
		goto fail;
	}
	info = json_pack("{s:s, s:I, s:I}", "file", nc->file, "subnets", (json_int_t)nc->n_subnets,
			 "pools-carried-over", (json_int_t)dhcp4_runtime_carried(rt));
	ret = publish(s, nc, rt, info, err, errlen);
	if (ret == -ETIMEDOUT || ret == -ENOMEM)
		goto fail;                    /* nothing was published */
	/* Published: from here the new snapshot serves, whatever happens. */
	oc = s->conf;
	ort = s->rt;
	dhcp4_runtime_commit(rt);
	s->conf = nc;
	s->rt = rt;
	dhcp4_runtime_free(ort);              /* leaves the carried pools alone */
	conf_free(oc);
	free(s->conf_text);
	s->conf_text = text;
	s->conf_text_len = tlen;
	s->reloads++;
	s->reloaded = time(NULL);
	LOG_I("configuration reloaded from %s: %u subnet(s), %u pool(s) carried over, %" PRId64
	      " orphaned lease(s), paused %" PRId64 " us", nc->file, nc->n_subnets,
	      dhcp4_runtime_carried(rt),
	      (int64_t)json_integer_value(json_object_get(info, "orphaned-leases")),
	      (int64_t)json_integer_value(json_object_get(info, "pause-us")));
	pthread_mutex_unlock(&s->lock);
	if (infop)
		*infop = info;
	else
		json_decref(info);
	return 0;
fail:
	pthread_mutex_unlock(&s->lock);
	json_decref(info);
	dhcp4_runtime_free(rt);               /* gives carried pools back */
	conf_free(nc);
	free(text);
	LOG_W("configuration reload refused, the old one keeps serving: %s", err);
	return ret ? ret : -EINVAL;
}

/* ---- set-up ------------------------------------------------------------- */

int dp_srv_init(struct dp_srv *s)
{
	pthread_mutex_init(&s->lock, NULL);
	s->started = s->reloaded = time(NULL);
	s->base = calloc(1, sizeof(*s->base));
	if (!s->base)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &s->base->t0);
	s->conf_text = read_text(s->conf_path, &s->conf_text_len);
	return s->conf_text ? 0 : -errno;
}

static const struct {
	const char *name;
	ctl_handler_fn fn;
} commands[] = {
	{ "version-get", cmd_version_get },
	{ "build-report", cmd_build_report },
	{ "status-get", cmd_status_get },
	{ "config-get", cmd_config_get },
	{ "config-test", cmd_config_test },
	{ "config-reload", cmd_config_reload },
	{ "config-write", cmd_config_write },
	{ "shutdown", cmd_shutdown },
	{ "dhcp-disable", cmd_dhcp_disable },
	{ "dhcp-enable", cmd_dhcp_enable },
	{ "statistic-get", cmd_stat_get },
	{ "statistic-get-all", cmd_stat_get_all },
	{ "statistic-reset", cmd_stat_reset },
	{ "statistic-reset-all", cmd_stat_reset_all },
	{ "statistic-remove", cmd_stat_remove },
	{ "statistic-remove-all", cmd_stat_remove_all },
	{ "stat-lease4-get", cmd_stat_lease4_get },
	{ "lease4-add", cmd_lease4_add },
	{ "lease4-get", cmd_lease4_get },
	{ "lease4-get-all", cmd_lease4_get_all },
	{ "lease4-get-page", cmd_lease4_get_page },
	{ "lease4-get-by-hw-address", cmd_lease4_get_by_hw },
	{ "lease4-get-by-client-id", cmd_lease4_get_by_cid },
	{ "lease4-update", cmd_lease4_update },
	{ "lease4-del", cmd_lease4_del },
	{ "lease4-wipe", cmd_lease4_wipe },
	{ "leases-reclaim", cmd_leases_reclaim },
};

int dp_srv_ctl_start(struct dp_srv *s)
{
	const struct conf *c = s->conf;
	struct ctl_params p = { 0 };
	unsigned i;
	int ret;

	if (!c->ctl_socket.enabled && !c->http_control.enabled)
		return 0;
	if (c->ctl_socket.enabled) {
		p.unix_path = c->ctl_socket.socket_name;
		p.unix_mode = c->ctl_socket.mode;
	}
	if (c->http_control.enabled) {
		p.http_addr = c->http_control.address;
		p.http_port = (uint16_t)c->http_control.port;
		if (c->http_control.user[0]) {
			p.http_user = c->http_control.user;
			p.http_password = c->http_control.password;
		}
	}
	/* one limit for both listeners: the stricter of those written */
	if (c->ctl_socket.enabled && c->ctl_socket.max_request)
		p.max_request = c->ctl_socket.max_request;
	if (c->http_control.enabled && c->http_control.max_request &&
	    (!p.max_request || c->http_control.max_request < p.max_request))
		p.max_request = c->http_control.max_request;
	if (c->ctl_socket.enabled && c->ctl_socket.idle_timeout_ms)
		p.idle_timeout_ms = c->ctl_socket.idle_timeout_ms;
	if (c->http_control.enabled && c->http_control.idle_timeout_ms &&
	    (!p.idle_timeout_ms || c->http_control.idle_timeout_ms < p.idle_timeout_ms))
		p.idle_timeout_ms = c->http_control.idle_timeout_ms;
	s->ctl = ctl_create(&p);
	if (!s->ctl)
		return -errno;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		ret = ctl_register(s->ctl, commands[i].name, commands[i].fn, s);
		if (ret)
			goto err;
	}
	ctl_set_metrics(s->ctl, metrics, s);
	ret = ctl_start(s->ctl);
	if (ret)
		goto err;
	LOG_I("control channel: %s%s%s", c->ctl_socket.enabled ? c->ctl_socket.socket_name : "",
	      c->ctl_socket.enabled && c->http_control.enabled ? " and " : "",
	      c->http_control.enabled ? "http" : "");
	return 0;
err:
	ctl_free(s->ctl);
	s->ctl = NULL;
	return ret;
}

void dp_srv_ctl_stop(struct dp_srv *s)
{
	if (!s->ctl)
		return;
	ctl_stop(s->ctl);
	ctl_free(s->ctl);
	s->ctl = NULL;
}

void dp_srv_fini(struct dp_srv *s)
{
	size_t i;

	if (s->base) {
		for (i = 0; i < s->base->cap; i++)
			free(s->base->v[i].name);
		free(s->base->v);
		free(s->base);
		s->base = NULL;
	}
	free(s->conf_text);
	s->conf_text = NULL;
	pthread_mutex_destroy(&s->lock);
}
