/* Host reservations in Redis (hostdb.h, the "redis" store).  Keys and
 * values: docs/redis-hosts.md.  In short, with P the key prefix:
 *
 *   Phost:<id>              hash, one host (Kea's hosts row, its options
 *                           and IPv6 reservations as opt4.N.* / opt6.N.* /
 *                           resv.N.* fields)
 *   Phost-ids               sorted set, member = score = <id>
 *   Phost-next-id           the id counter (INCR)
 *   Phost4-id:<subnet>:<type>:<hex>, Phost6-id:<subnet>:<type>:<hex>,
 *   Phost4-addr:<subnet>:<dotted address>
 *                           unique index keys, value = <id>
 *   Phosts-version          bumped (INCR) by every write
 *
 * Writing: one Lua script each for add and del (atomic; the uniqueness
 * checks run inside the add).  Both scripts derive a host's index keys
 * from its fields with the same Lua function, so del removes exactly what
 * add (or a second writer following the document) made.
 *
 * Reading: hosts-version, the ids, every hash (pipelined HGETALL), then
 * hosts-version again; a read during which it moved is done again (every
 * writer bumps it in the same atomic step as its write), so the rows are
 * the store as of one version without blocking Redis for a long script.
 * The same counter makes the refresh cheap: hostdb_changed is one GET. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostdb_int.h"
#include "redis_int.h"

#define HR_TRIES 5                     /* reads that saw the version move, then -EAGAIN */
#define HR_CHUNK 256                   /* HGETALLs per pipelined round trip */
#define HR_ARGS_MAX 4096               /* fields of one host written by add */

struct hostdb_rd {
	struct hostdb base;            /* first: hostdb.c's handle */
	struct conf_lease_db db;
	redisContext *c;               /* NULL while disconnected */
	char prefix[RD_PREFIX_MAX];
	bool have_version;             /* version is the one of the last fetch */
	long long version;
};

static void drop(struct hostdb_rd *h)
{
	if (h->c)
		redisFree(h->c);
	h->c = NULL;
}

static int conn_ok(struct hostdb_rd *h, char *err, size_t len)
{
	if (h->c && !h->c->err)
		return 0;
	drop(h);
	h->c = rd_connect_db(&h->db, h->prefix, sizeof(h->prefix), err, len);
	return h->c ? 0 : -ENOTCONN;
}

/* A reply that is not what was asked for: NULL (the connection is lost:
 * -ENOTCONN, connected again next time) or an error reply (-EIO).  r is
 * freed. */
static int bad_reply(struct hostdb_rd *h, redisReply *r, const char *what, char *err, size_t len)
{
	if (r == NULL) {
		snprintf(err, len, "redis: %s: %s", what, h->c && h->c->errstr[0] ? h->c->errstr :
			 "no answer");
		drop(h);
		return -ENOTCONN;
	}
	if (r->type == REDIS_REPLY_ERROR)
		snprintf(err, len, "redis: %s: %.*s", what, (int)r->len, r->str);
	else
		snprintf(err, len, "redis: %s: unexpected reply type %d", what, r->type);
	freeReplyObject(r);
	return -EIO;
}

static redisReply *get_reply(struct hostdb_rd *h)
{
	void *r = NULL;

	if (redisGetReply(h->c, &r) != REDIS_OK)
		return NULL;
	return r;
}

/* hosts-version from a GET reply (nil = 0); r is freed. */
static int read_version(struct hostdb_rd *h, redisReply *r, long long *v, char *err, size_t len)
{
	char *end;

	if (r && r->type == REDIS_REPLY_NIL) {
		*v = 0;
	} else if (r && r->type == REDIS_REPLY_STRING) {
		errno = 0;
		*v = strtoll(r->str, &end, 10);
		if (errno || end == r->str || *end) {
			snprintf(err, len, "redis: %shosts-version \"%.40s\" is not a number",
				 h->prefix, r->str);
			freeReplyObject(r);
			return -EIO;
		}
	} else {
		return bad_reply(h, r, "reading hosts-version", err, len);
	}
	freeReplyObject(r);
	return 0;
}

static struct hostdb *hr_open(const struct conf_hosts_db *db, char *err, size_t errlen)
{
	struct hostdb_rd *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->db = db->db;
	if (conn_ok(h, err, errlen)) {
		free(h);
		return NULL;
	}
	return &h->base;
}

static void hr_close(struct hostdb *base)
{
	struct hostdb_rd *h = (struct hostdb_rd *)base;

	drop(h);
	free(h);
}

static int hr_changed(struct hostdb *base, char *err, size_t len)
{
	struct hostdb_rd *h = (struct hostdb_rd *)base;
	long long v;
	int ret = conn_ok(h, err, len);

	if (ret)
		return ret;
	ret = read_version(h, redisCommand(h->c, "GET %shosts-version", h->prefix), &v, err, len);
	if (ret)
		return ret;
	return !h->have_version || v != h->version;
}

/* ------------------------------------------------------------------------
 * Reading: one hash into a row.  Nothing read is trusted: a value that is
 * not a number becomes -1 (the merge says why the row is left out).
 */

static int64_t num(const char *s, int64_t bad)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || end == s || *end ? bad : v;
}

/* dotted quad, "" = 0; else -1 */
static int64_t ip4_num(const char *s)
{
	struct in_addr a;

	if (s[0] == '\0')
		return 0;
	return inet_pton(AF_INET, s, &a) == 1 ? (int64_t)ntohl(a.s_addr) : -1;
}

static int dup_str(char **out, const char *s)
{
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* "opt4.N.attr", "opt6.N.attr", "resv.N.attr": the group (0, 1, 2), N and
 * attr; -1 for any other field. */
static int sub_field(const char *f, unsigned long *n, const char **attr)
{
	static const char *const group[] = { "opt4.", "opt6.", "resv." };
	char *end;

	for (int g = 0; g < 3; g++) {
		if (strncmp(f, group[g], 5) || f[5] < '0' || f[5] > '9')
			continue;
		errno = 0;
		*n = strtoul(f + 5, &end, 10);
		if (errno || *end != '.')
			return -1;
		*attr = end + 1;
		return g;
	}
	return -1;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* The distinct N of each group, sorted: the options and reservations in
 * the order of their N (gaps allowed).  ns[g] has room for every field. */
static void group_slots(const redisReply *r, unsigned long *ns[3], unsigned nn[3])
{
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *attr;
		unsigned long n;
		int g = sub_field(r->element[i]->str, &n, &attr);

		if (g >= 0)
			ns[g][nn[g]++] = n;
	}
	for (int g = 0; g < 3; g++) {
		unsigned k = 0;

		qsort(ns[g], nn[g], sizeof(ns[g][0]), cmp_ul);
		for (unsigned i = 0; i < nn[g]; i++)
			if (k == 0 || ns[g][k - 1] != ns[g][i])
				ns[g][k++] = ns[g][i];
		nn[g] = k;
	}
}

static unsigned slot_of(const unsigned long *ns, unsigned nn, unsigned long n)
{
	const unsigned long *p = bsearch(&n, ns, nn, sizeof(n), cmp_ul);

	return (unsigned)(p - ns);
}

static int set_option(struct conf_db_option *o, const char *attr, const char *v)
{
	if (!strcmp(attr, "code"))
		o->code = num(v, -1);
	else if (!strcmp(attr, "space"))
		return dup_str(&o->space, v);
	else if (!strcmp(attr, "formatted"))
		return dup_str(&o->formatted, v);
	else if (!strcmp(attr, "persistent"))
		o->persistent = !strcmp(v, "1") || !strcmp(v, "true");
	else if (!strcmp(attr, "value")) {
		size_t n = strlen(v) / 2;

		free(o->value);
		o->value = malloc(n ? n : 1);
		if (o->value == NULL)
			return -ENOMEM;
		o->has_value = true;
		/* not hex: an option the merge refuses (code -1), never a guess */
		if (lease_unhex(v, strlen(v), o->value, n) < 0)
			o->code = -1, n = 0;
		o->value_len = n;
	}
	return 0;
}

static int set_resv(struct conf_db_resv6 *x, const char *attr, const char *v)
{
	if (!strcmp(attr, "address"))
		return dup_str(&x->address, v);
	if (!strcmp(attr, "prefix_len"))
		x->prefix_len = num(v, -1);
	else if (!strcmp(attr, "type"))
		x->type = num(v, -1);
	return 0;
}

static int set_field(struct conf_db_host *h, const char *f, const char *v)
{
	static const struct { const char *name; size_t off; } strs[] = {
		{ "hostname", offsetof(struct conf_db_host, hostname) },
		{ "dhcp4_client_classes", offsetof(struct conf_db_host, classes4) },
		{ "dhcp6_client_classes", offsetof(struct conf_db_host, classes6) },
		{ "dhcp4_server_hostname", offsetof(struct conf_db_host, server_hostname) },
		{ "dhcp4_boot_file_name", offsetof(struct conf_db_host, boot_file_name) },
	};

	if (!strcmp(f, "identifier_type")) {
		h->id_type = num(v, -1);
	} else if (!strcmp(f, "identifier")) {
		size_t n = strlen(v) / 2;
		int got;

		free(h->id);
		h->id = malloc(n ? n : 1);
		if (h->id == NULL)
			return -ENOMEM;
		got = lease_unhex(v, strlen(v), h->id, n);
		h->id_len = got < 0 ? 0 : (size_t)got;     /* the merge refuses length 0 */
	} else if (!strcmp(f, "dhcp4_subnet_id")) {
		h->has_sub4 = true;
		h->sub4 = num(v, -1);
	} else if (!strcmp(f, "dhcp6_subnet_id")) {
		h->has_sub6 = true;
		h->sub6 = num(v, -1);
	} else if (!strcmp(f, "ipv4_address")) {
		h->ipv4 = ip4_num(v);
	} else if (!strcmp(f, "dhcp4_next_server")) {
		h->next_server = ip4_num(v);
	} else {
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (!strcmp(f, strs[i].name))
				return dup_str((char **)((char *)h + strs[i].off), v);
	}
	return 0;
}

/* Host id's hash r (field, value pairs) into h. */
static int parse_host(int64_t id, const redisReply *r, struct conf_db_host *h)
{
	unsigned long *ns[3] = { NULL };
	unsigned nn[3] = { 0 };
	size_t nf = r->elements / 2;
	int ret = -ENOMEM;

	h->host_id = id;
	h->id_type = -1;               /* no identifier_type: "unknown identifier type" */
	for (int g = 0; g < 3; g++)
		if ((ns[g] = malloc((nf ? nf : 1) * sizeof(**ns))) == NULL)
			goto out;
	group_slots(r, ns, nn);
	h->opts4 = calloc(nn[0] ? nn[0] : 1, sizeof(*h->opts4));
	h->opts6 = calloc(nn[1] ? nn[1] : 1, sizeof(*h->opts6));
	h->resv = calloc(nn[2] ? nn[2] : 1, sizeof(*h->resv));
	if (!h->opts4 || !h->opts6 || !h->resv)
		goto out;
	h->n_opts4 = nn[0];
	h->n_opts6 = nn[1];
	h->n_resv = nn[2];
	for (unsigned i = 0; i < nn[2]; i++)
		h->resv[i].prefix_len = 128;                /* as Kea's NULL prefix_len */
	ret = 0;
	for (size_t i = 0; !ret && i + 1 < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str, *attr;
		unsigned long n;
		int g = sub_field(f, &n, &attr);

		if (g == 0)
			ret = set_option(&h->opts4[slot_of(ns[0], nn[0], n)], attr, v);
		else if (g == 1)
			ret = set_option(&h->opts6[slot_of(ns[1], nn[1], n)], attr, v);
		else if (g == 2)
			ret = set_resv(&h->resv[slot_of(ns[2], nn[2], n)], attr, v);
		else
			ret = set_field(h, f, v);
	}
	/* an empty formatted value with wire bytes means the bytes (as pg) */
	for (unsigned i = 0; i < h->n_opts4 + h->n_opts6; i++) {
		struct conf_db_option *o = i < h->n_opts4 ? &h->opts4[i] : &h->opts6[i - h->n_opts4];

		if (o->formatted && o->formatted[0] == '\0' && o->has_value) {
			free(o->formatted);
			o->formatted = NULL;
		}
	}
out:
	for (int g = 0; g < 3; g++)
		free(ns[g]);
	return ret;
}

static uint64_t mix(uint64_t d, const char *s, size_t n, uint8_t end)
{
	for (size_t i = 0; i < n; i++)
		d = (d ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return (d ^ end) * 0x100000001b3ull;
}

/* a field, value pair of an HGETALL reply, by the field's bytes */
static int cmp_field(const void *a, const void *b)
{
	const redisReply *x = (*(redisReply *const *const *)a)[0];
	const redisReply *y = (*(redisReply *const *const *)b)[0];
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The host's id and its fields in field order (HGETALL's order is the
 * hash's, not the content's). */
static int digest_host(uint64_t *d, int64_t id, const redisReply *r)
{
	size_t nf = r->elements / 2;
	redisReply *const **ord = malloc((nf ? nf : 1) * sizeof(*ord));
	char buf[24];

	if (ord == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nf; i++)
		ord[i] = &r->element[2 * i];
	qsort(ord, nf, sizeof(*ord), cmp_field);
	snprintf(buf, sizeof(buf), "%" PRId64, id);
	*d = mix(*d, buf, strlen(buf), 0xfd);
	for (size_t i = 0; i < nf; i++) {
		*d = mix(*d, ord[i][0]->str, ord[i][0]->len, 0xfe);
		*d = mix(*d, ord[i][1]->str, ord[i][1]->len, 0xff);
	}
	free(ord);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Phost-ids as numbers, ascending, without repeats or non-numbers. */
static int read_ids(struct hostdb_rd *h, redisReply *r, int64_t **ids, size_t *n, char *err,
		    size_t len)
{
	size_t k = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return bad_reply(h, r, "reading host-ids", err, len);
	*ids = malloc((r->elements ? r->elements : 1) * sizeof(**ids));
	if (*ids == NULL) {
		freeReplyObject(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->elements; i++) {
		int64_t v = r->element[i]->type == REDIS_REPLY_STRING ? num(r->element[i]->str, 0) : 0;

		if (v > 0)
			(*ids)[k++] = v;
	}
	freeReplyObject(r);
	qsort(*ids, k, sizeof(**ids), cmp_i64);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || (*ids)[*n - 1] != (*ids)[i])
			(*ids)[(*n)++] = (*ids)[i];
	return 0;
}

/* One read; *v0 / *v1: hosts-version before and after. */
static int fetch_once(struct hostdb_rd *h, struct conf_db_hosts *out, long long *v0,
		      long long *v1, char *err, size_t len)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int ret;

	if (redisAppendCommand(h->c, "GET %shosts-version", h->prefix) != REDIS_OK ||
	    redisAppendCommand(h->c, "ZRANGE %shost-ids 0 -1", h->prefix) != REDIS_OK)
		return bad_reply(h, NULL, "reading the hosts", err, len);
	ret = read_version(h, get_reply(h), v0, err, len);
	if (ret) {
		if (h->c)
			freeReplyObject(get_reply(h));     /* ZRANGE's, so the next command lines up */
		return ret;
	}
	ret = read_ids(h, get_reply(h), &ids, &n, err, len);
	if (ret)
		return ret;
	out->h = calloc(n ? n : 1, sizeof(*out->h));
	if (out->h == NULL) {
		free(ids);
		return -ENOMEM;
	}
	out->digest = 0xcbf29ce484222325ull;
	for (size_t at = 0; at < n && !ret; at += HR_CHUNK) {
		size_t m = n - at < HR_CHUNK ? n - at : HR_CHUNK, got = 0;

		for (size_t i = 0; i < m; i++)
			if (redisAppendCommand(h->c, "HGETALL %shost:%" PRId64, h->prefix,
					       ids[at + i]) != REDIS_OK)
				return free(ids), bad_reply(h, NULL, "reading the hosts", err, len);
		for (; got < m; got++) {
			redisReply *r = get_reply(h);

			if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
				ret = bad_reply(h, r, "reading a host", err, len);
				break;
			}
			/* an id without a hash: gone since ZRANGE (the version moved)
			 * or a writer's leftover; either way no host */
			if (r->elements) {
				ret = digest_host(&out->digest, ids[at + got], r);
				if (!ret)
					ret = parse_host(ids[at + got], r, &out->h[out->n++]);
			}
			freeReplyObject(r);
			if (ret)
				break;
		}
		/* the rest of the round, read and dropped so the stream lines up */
		for (got++; h->c && got < m; got++)
			freeReplyObject(get_reply(h));
	}
	free(ids);
	if (ret)
		return ret;
	return read_version(h, redisCommand(h->c, "GET %shosts-version", h->prefix), v1, err, len);
}

static int hr_fetch(struct hostdb *base, struct conf_db_hosts *out, char *err, size_t len)
{
	struct hostdb_rd *h = (struct hostdb_rd *)base;
	long long v0 = 0, v1 = 0;
	int ret;

	for (int i = 0; i < HR_TRIES; i++) {
		memset(out, 0, sizeof(*out));
		ret = conn_ok(h, err, len);
		if (ret)
			return ret;
		ret = fetch_once(h, out, &v0, &v1, err, len);
		if (ret == -ENOMEM)
			snprintf(err, len, "hosts-database: out of memory");
		if (ret || v0 != v1) {
			conf_db_hosts_free(out);
			if (ret)
				return ret;
			continue;
		}
		h->have_version = true;
		h->version = v0;
		return 0;
	}
	snprintf(err, len, "redis: %shosts-version moved during %d reads in a row (%lld -> %lld)",
		 h->prefix, HR_TRIES, v0, v1);
	return -EAGAIN;
}

/* ------------------------------------------------------------------------
 * Writing
 */

/* What both scripts share: ARGV[1] is the prefix; idx(f) the index keys
 * of a host whose fields are f; fields(key) a hash as a table (nil when
 * there is none); holds(id, k) whether host id exists and makes index k. */
static const char lua_common[] =
	"local p = ARGV[1]\n"
	"local function idx(f)\n"
	"  local k = {}\n"
	"  local t, id, s4, s6 = f.identifier_type, f.identifier, f.dhcp4_subnet_id, f.dhcp6_subnet_id\n"
	"  if t and id then\n"
	"    id = string.lower(id)\n"
	"    if s4 then k[#k + 1] = p .. 'host4-id:' .. s4 .. ':' .. t .. ':' .. id end\n"
	"    if s6 then k[#k + 1] = p .. 'host6-id:' .. s6 .. ':' .. t .. ':' .. id end\n"
	"  end\n"
	"  local a = f.ipv4_address\n"
	"  if s4 and a and a ~= '' and a ~= '0.0.0.0' then\n"
	"    k[#k + 1] = p .. 'host4-addr:' .. s4 .. ':' .. a\n"
	"  end\n"
	"  return k\n"
	"end\n"
	"local function fields(key)\n"
	"  local r = redis.call('HGETALL', key)\n"
	"  if #r == 0 then return nil end\n"
	"  local f = {}\n"
	"  for i = 1, #r, 2 do f[r[i]] = r[i + 1] end\n"
	"  return f\n"
	"end\n"
	"local function holds(id, k)\n"
	"  local f = fields(p .. 'host:' .. id)\n"
	"  if not f then return false end\n"
	"  for _, x in ipairs(idx(f)) do if x == k then return true end end\n"
	"  return false\n"
	"end\n";

/* ARGV[2..]: the new host's field, value pairs.  {0, key}: index key held
 * by another host; {1, id}: written. */
static const char lua_add[] =
	"local f = {}\n"
	"for i = 2, #ARGV, 2 do f[ARGV[i]] = ARGV[i + 1] end\n"
	"local ks = idx(f)\n"
	"for _, k in ipairs(ks) do\n"
	"  local id = redis.call('GET', k)\n"
	"  if id and holds(id, k) then return {0, k} end\n"
	"end\n"
	"local id = redis.call('INCR', p .. 'host-next-id')\n"
	"while redis.call('EXISTS', p .. 'host:' .. id) == 1 do\n"
	"  id = redis.call('INCR', p .. 'host-next-id')\n"
	"end\n"
	"redis.call('HSET', p .. 'host:' .. id, unpack(ARGV, 2))\n"
	"for _, k in ipairs(ks) do redis.call('SET', k, id) end\n"
	"redis.call('ZADD', p .. 'host-ids', id, id)\n"
	"redis.call('INCR', p .. 'hosts-version')\n"
	"return {1, id}\n";

/* ARGV[2]: an index key.  The number of hosts deleted (0 or 1); an index
 * key its host no longer makes deletes nothing. */
static const char lua_del[] =
	"local k = ARGV[2]\n"
	"local id = redis.call('GET', k)\n"
	"if not id then return 0 end\n"
	"local f = fields(p .. 'host:' .. id)\n"
	"if not f then return 0 end\n"
	"local ks, held = idx(f), false\n"
	"for _, x in ipairs(ks) do if x == k then held = true end end\n"
	"if not held then return 0 end\n"
	"redis.call('DEL', p .. 'host:' .. id)\n"
	"redis.call('ZREM', p .. 'host-ids', id)\n"
	"for _, x in ipairs(ks) do\n"
	"  if redis.call('GET', x) == id then redis.call('DEL', x) end\n"
	"end\n"
	"redis.call('INCR', p .. 'hosts-version')\n"
	"return 1\n";

/* The EVAL command's arguments, each one malloc'd. */
struct args {
	char *v[HR_ARGS_MAX];
	size_t len[HR_ARGS_MAX];
	unsigned n;
	bool nomem;
};

static void push_n(struct args *a, const char *s, size_t n)
{
	char *c;

	if (a->nomem || a->n == HR_ARGS_MAX || (c = malloc(n + 1)) == NULL) {
		a->nomem = true;
		return;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	a->v[a->n] = c;
	a->len[a->n++] = n;
}

static void push(struct args *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		a->nomem = true;
	else
		push_n(a, buf, (size_t)n);
}

static void push_hex(struct args *a, const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s == NULL) {
		a->nomem = true;
		return;
	}
	rd_hex(b, (unsigned)n, s);
	push_n(a, s, 2 * n);
	free(s);
}

static void push_ip4(struct args *a, const char *field, int64_t v)
{
	struct in_addr x = { .s_addr = htonl((uint32_t)v) };
	char s[INET_ADDRSTRLEN];

	push(a, "%s", field);
	push(a, "%s", inet_ntop(AF_INET, &x, s, sizeof(s)));
}

/* field, value when the value is not empty */
static void push_str(struct args *a, const char *field, const char *v)
{
	if (v && v[0]) {
		push(a, "%s", field);
		push_n(a, v, strlen(v));
	}
}

static void push_options(struct args *a, const char *grp, const struct conf_db_option *o,
			 unsigned n, const char *space)
{
	for (unsigned i = 0; i < n; i++) {
		push(a, "%s.%u.code", grp, i);
		push(a, "%" PRId64, o[i].code);
		push(a, "%s.%u.space", grp, i);
		push(a, "%s", o[i].space ? o[i].space : space);
		if (o[i].formatted) {
			push(a, "%s.%u.formatted", grp, i);
			push_n(a, o[i].formatted, strlen(o[i].formatted));
		} else if (o[i].has_value) {
			push(a, "%s.%u.value", grp, i);
			push_hex(a, o[i].value, o[i].value_len);
		}
		push(a, "%s.%u.persistent", grp, i);
		push(a, "%d", o[i].persistent ? 1 : 0);
	}
}

static void args_free(struct args *a)
{
	for (unsigned i = 0; i < a->n; i++)
		free(a->v[i]);
}

/* A script's arguments on a live connection, the key prefix first; NULL
 * with *ret (and err) when there is no connection or no memory. */
static struct args *args_begin(struct hostdb_rd *h, int *ret, char *err, size_t len)
{
	struct args *a;

	*ret = conn_ok(h, err, len);
	if (*ret)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, len, "hosts-database: out of memory");
		*ret = -ENOMEM;
		return NULL;
	}
	push(a, "%s", h->prefix);
	return a;
}

/* EVAL script (lua_common + body) 0 ARGS...; the reply or NULL with ret. */
static redisReply *eval(struct hostdb_rd *h, const char *body, struct args *a, int *ret,
			char *err, size_t len)
{
	size_t n = strlen(lua_common) + strlen(body);
	char *script = malloc(n + 1);
	redisReply *r;

	if (script == NULL || a->nomem || a->n + 3 > HR_ARGS_MAX) {
		free(script);
		snprintf(err, len, "hosts-database: out of memory (or more than %d fields)",
			 HR_ARGS_MAX);
		*ret = -ENOMEM;
		return NULL;
	}
	snprintf(script, n + 1, "%s%s", lua_common, body);
	memmove(&a->v[3], &a->v[0], a->n * sizeof(a->v[0]));
	memmove(&a->len[3], &a->len[0], a->n * sizeof(a->len[0]));
	a->v[0] = "EVAL";
	a->len[0] = 4;
	a->v[1] = script;
	a->len[1] = n;
	a->v[2] = "0";
	a->len[2] = 1;
	r = redisCommandArgv(h->c, (int)a->n + 3, (const char **)a->v, a->len);
	memmove(&a->v[0], &a->v[3], a->n * sizeof(a->v[0]));
	free(script);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		*ret = bad_reply(h, r, "hosts script", err, len);
		return NULL;
	}
	return r;
}

/* eval, then the arguments are freed (a with them). */
static redisReply *eval_args(struct hostdb_rd *h, const char *body, struct args *a, int *ret,
			     char *err, size_t len)
{
	redisReply *r = eval(h, body, a, ret, err, len);

	args_free(a);
	free(a);
	return r;
}

static int hr_add(struct hostdb *base, const struct conf_db_host *r, int64_t *host_id, char *err,
		  size_t len)
{
	struct hostdb_rd *h = (struct hostdb_rd *)base;
	struct args *a;
	redisReply *rep;
	int ret;

	a = args_begin(h, &ret, err, len);
	if (a == NULL)
		return ret;
	push(a, "identifier_type");
	push(a, "%" PRId64, r->id_type);
	push(a, "identifier");
	push_hex(a, r->id, r->id_len);
	if (r->has_sub4) {
		push(a, "dhcp4_subnet_id");
		push(a, "%" PRId64, r->sub4);
	}
	if (r->has_sub6) {
		push(a, "dhcp6_subnet_id");
		push(a, "%" PRId64, r->sub6);
	}
	if (r->ipv4)
		push_ip4(a, "ipv4_address", r->ipv4);
	push_str(a, "hostname", r->hostname);
	push_str(a, "dhcp4_client_classes", r->classes4);
	push_str(a, "dhcp6_client_classes", r->classes6);
	if (r->next_server)
		push_ip4(a, "dhcp4_next_server", r->next_server);
	push_str(a, "dhcp4_server_hostname", r->server_hostname);
	push_str(a, "dhcp4_boot_file_name", r->boot_file_name);
	push_options(a, "opt4", r->opts4, r->n_opts4, "dhcp4");
	push_options(a, "opt6", r->opts6, r->n_opts6, "dhcp6");
	for (unsigned i = 0; i < r->n_resv; i++) {
		push(a, "resv.%u.address", i);
		push(a, "%s", r->resv[i].address ? r->resv[i].address : "");
		push(a, "resv.%u.prefix_len", i);
		push(a, "%" PRId64, r->resv[i].prefix_len);
		push(a, "resv.%u.type", i);
		push(a, "%" PRId64, r->resv[i].type);
	}
	rep = eval_args(h, lua_add, a, &ret, err, len);
	if (rep == NULL)
		return ret;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER)
		return bad_reply(h, rep, "the add script's answer", err, len);
	if (rep->element[0]->integer == 0) {
		snprintf(err, len, "redis: %.*s is held by another host", (int)rep->element[1]->len,
			 rep->element[1]->str ? rep->element[1]->str : "an index key");
		ret = -EEXIST;
	} else {
		*host_id = rep->element[1]->integer;
	}
	freeReplyObject(rep);
	return ret;
}

static int hr_del(struct hostdb *base, bool v6, uint32_t subnet_id, int id_type, const uint8_t *id,
		  size_t id_len, uint32_t addr4, char *err, size_t len)
{
	struct hostdb_rd *h = (struct hostdb_rd *)base;
	struct args *a;
	redisReply *rep;
	int ret;

	a = args_begin(h, &ret, err, len);
	if (a == NULL)
		return ret;
	if (id) {
		char *hex = malloc(2 * id_len + 1);

		if (hex) {
			rd_hex(id, (unsigned)id_len, hex);
			push(a, "%shost%d-id:%" PRIu32 ":%d:%s", h->prefix, v6 ? 6 : 4, subnet_id,
			     id_type, hex);
			free(hex);
		} else {
			a->nomem = true;
		}
	} else {
		struct in_addr x = { .s_addr = htonl(addr4) };
		char s[INET_ADDRSTRLEN];

		push(a, "%shost4-addr:%" PRIu32 ":%s", h->prefix, subnet_id,
		     inet_ntop(AF_INET, &x, s, sizeof(s)));
	}
	rep = eval_args(h, lua_del, a, &ret, err, len);
	if (rep == NULL)
		return ret;
	if (rep->type != REDIS_REPLY_INTEGER)
		return bad_reply(h, rep, "the del script's answer", err, len);
	ret = (int)rep->integer;
	freeReplyObject(rep);
	return ret;
}

const struct hostdb_ops hostdb_redis_ops = {
	.name = "redis",
	.open = hr_open,
	.close = hr_close,
	.fetch = hr_fetch,
	.changed = hr_changed,
	.add = hr_add,
	.del = hr_del,
};
