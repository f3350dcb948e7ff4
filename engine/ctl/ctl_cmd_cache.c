/* Kea's host-cache commands (its host_cache hook's names and answers)
 * over the DHCPv4 workers' caches of RADIUS answers (access_cache.h):
 * cache-size, cache-clear, cache-get, cache-get-by-id, cache-remove.
 *
 * Each worker owns its cache and is reached only through its message ring
 * (DP_MSG_ACACHE_*, handled by dp_acache.h on the worker).  A client's
 * answer is cached on the worker that served it, which steering chose by
 * the lease key, not by the RADIUS identifier, so the control thread does
 * not know which worker holds a given client: every command goes to every
 * worker and the answers are merged.  A server without RADIUS has no
 * caches; its workers answer as empty ones.
 *
 * cache-get is bounded: each worker answers pages of DP_ACACHE_PAGE
 * entries (the command pages through with a cursor: how many entries of
 * that worker it listed already, and the last of them), and one answer
 * lists at most CACHE_GET_MAX entries, saying so in its text when it had
 * to stop.  The pages are not one snapshot: an entry refreshed between
 * two pages is seen twice (the later copy is listed), and when the
 * cursor's own entry is refreshed or dropped meanwhile, other entries
 * dropped before it at the same time may shift out of the listing. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_cmd.h"
#include "rad_ident.h"

#define CACHE_GET_MAX 16384             /* entries one cache-get lists at most */

static const char *const id_types[] = {
	[RAD_ID_HW_ADDRESS] = "hw-address",
	[RAD_ID_CLIENT_ID] = "client-id",
	[RAD_ID_DUID] = "duid",
	[RAD_ID_FLEX_ID] = "flex-id",
};
#define N_ID_TYPES (sizeof(id_types) / sizeof(id_types[0]))

static int id_type_of(const char *name)
{
	for (unsigned i = 0; i < N_ID_TYPES; i++)
		if (!strcmp(name, id_types[i]))
			return (int)i;
	return -1;
}

static const char *id_type_name(uint8_t t)
{
	return t < N_ID_TYPES ? id_types[t] : "unknown";
}

/* Kea's identifier text: 'quoted' text as it is, else hex ("01:02:0a",
 * '-' separators or none).  The length, or -1. */
static int parse_ident(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') {
		if (n == 2 || n - 2 > max)
			return -1;
		memcpy(out, s + 1, n - 2);
		return (int)(n - 2);
	}
	return parse_hex(s, out, max);
}

/* The client a command names: {"identifier-type": t, "identifier": id},
 * or Kea's host-cache form {"<t>": id}.  Keys in `extra` (integers) are
 * allowed and ignored; any other key is an error.  1 with *k, 0 when
 * there is none and it is not required, -1 (text set). */
#define BAD(...) (fail(text, len, __VA_ARGS__), -1)
static bool listed(const char *const *names, const char *key)
{
	for (; names && *names; names++)
		if (!strcmp(*names, key))
			return true;
	return false;
}

static int cache_key(const json_t *args, bool required, const char *const *extra,
		     struct dp_acache_key *k, char *text, size_t len)
{
	const char *key, *type = NULL, *id = NULL, *kea = NULL, *kea_id = NULL;
	json_t *v;
	int t, n;

	json_object_foreach((json_t *)args, key, v) {
		if (listed(extra, key)) {
			if (!json_is_integer(v))
				return BAD("'%s' must be an integer", key);
			continue;
		}
		if (strcmp(key, "identifier-type") && strcmp(key, "identifier") &&
		    id_type_of(key) < 0)
			return BAD("unknown argument '%s'", key);
		if (!json_is_string(v))
			return BAD("'%s' must be a string", key);
		if (!strcmp(key, "identifier-type")) {
			type = json_string_value(v);
		} else if (!strcmp(key, "identifier")) {
			id = json_string_value(v);
		} else {
			if (kea)
				return BAD("only one identifier can be given");
			kea = key;
			kea_id = json_string_value(v);
		}
	}
	if (kea && (type || id))
		return BAD("give 'identifier-type' and 'identifier', or '%s' alone", kea);
	if (kea) {
		type = kea;
		id = kea_id;
	}
	if (!type && !id)
		return required ? BAD("an identifier is required: 'identifier-type' and "
				      "'identifier'") : 0;
	if (!id)
		return BAD("missing 'identifier' argument");
	if (!type)
		return BAD("missing 'identifier-type' argument");
	t = id_type_of(type);
	if (t < 0)
		return BAD("'identifier-type' must be \"hw-address\", \"client-id\", \"duid\" "
			   "or \"flex-id\", not \"%s\"", type);
	n = parse_ident(id, k->id, sizeof(k->id));
	if (n <= 0)
		return BAD("'identifier' \"%s\" is neither hex (\"01:02:03\") nor 'quoted' "
			   "text, of 1 to %u octets", id, ACCESS_ID_MAX);
	k->type = (uint8_t)t;
	k->len = (uint8_t)n;
	return 1;
}

/* What cache-get collects from the workers. */
struct entries {
	struct dp_acache_entry *v;
	size_t n, cap;
};

static int entries_add(struct entries *e, const struct dp_acache_entry *v, size_t n)
{
	if (!n)
		return 0;
	if (e->n + n > e->cap) {
		size_t cap = e->cap ? e->cap : 64;
		void *p;

		while (cap < e->n + n)
			cap *= 2;
		p = realloc(e->v, cap * sizeof(*e->v));
		if (!p)
			return -ENOMEM;
		e->v = p;
		e->cap = cap;
	}
	memcpy(e->v + e->n, v, n * sizeof(*v));
	e->n += n;
	return 0;
}

/* ---- messages to the workers ------------------------------------------- */

static unsigned n_workers(const struct dp_srv *s)
{
	return s->dp ? s->dp->n_workers : 0;
}

static void free_all(struct dp_msg **m, unsigned w0, unsigned w1)
{
	for (unsigned w = w0; w < w1; w++) {
		dp_msg_free(m[w]);
		m[w] = NULL;
	}
}

/* A message of `kind` for each of workers [w0, w1) into m[] (k: the
 * client, or NULL; cap: room for entries).  0 or -ENOMEM (none made). */
static int make_all(const struct dp_srv *s, enum dp_msg_kind kind, const struct dp_acache_key *k,
		    uint32_t cap, struct dp_msg **m, unsigned w0, unsigned w1)
{
	/* Kea's daemons each have their own cache: "service": ["dhcp6"]
	 * names the DHCPv6 workers' */
	uint8_t fam = request_family(s) == 6 ? 6 : 4;

	for (unsigned w = w0; w < w1; w++) {
		m[w] = dp_msg_new(kind, 0);
		if (m[w])
			m[w]->afam = fam;
		if (m[w] && cap) {
			m[w]->aout = calloc(cap, sizeof(*m[w]->aout));
			m[w]->cap = cap;
		}
		if (!m[w] || (cap && !m[w]->aout)) {
			free_all(m, w0, w + 1);
			return -ENOMEM;
		}
		if (k) {
			m[w]->akey = *k;
			m[w]->akey_set = true;
		}
	}
	return 0;
}

/* Post m[w] to each worker w of [w0, w1), then wait for each, bounded.
 * 0, or the first -errno (a worker's own answer included).  Afterwards
 * m[w] is NULL where the message is no longer ours: never posted (freed
 * here) or abandoned (its worker frees it). */
static int post_wait(struct dp_srv *s, struct dp_msg **m, unsigned w0, unsigned w1)
{
	int ret = 0, r;
	unsigned w;

	for (w = w0; w < w1; w++) {
		r = dp_msg_post(s->dp, w, m[w]);
		if (r) {
			ret = r;
			free_all(m, w, w1);
			break;
		}
	}
	for (w = w0; w < w1; w++) {
		if (!m[w])
			continue;
		r = dp_msg_wait(m[w], MSG_TIMEOUT_MS);
		if (r)
			m[w] = NULL;
		else
			r = m[w]->ret;
		if (r && !ret)
			ret = r;
	}
	return ret;
}

/* `kind` on every worker (cap: room for entries, then added to e);
 * *sum: their `matched` added up. */
static int round_all(struct dp_srv *s, enum dp_msg_kind kind, const struct dp_acache_key *k,
		     uint32_t cap, uint64_t *sum, struct entries *e)
{
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	unsigned n = n_workers(s), w;
	int ret = make_all(s, kind, k, cap, m, 0, n);

	*sum = 0;
	if (ret)
		return ret;
	ret = post_wait(s, m, 0, n);
	for (w = 0; w < n; w++)
		if (m[w]) {
			*sum += m[w]->matched;
			if (e && !ret)
				ret = entries_add(e, m[w]->aout, m[w]->n);
		}
	free_all(m, 0, n);
	return ret;
}

static int cache_all(struct dp_srv *s, enum dp_msg_kind kind, const struct dp_acache_key *k,
		     uint64_t *sum)
{
	return round_all(s, kind, k, 0, sum, NULL);
}

static int cache_error(int r, char *text, size_t len)
{
	if (r == -ENOBUFS)
		return fail(text, len, "a worker's message ring is full (the workers before it "
			    "may have done it): try again");
	return msg_error(r, text, len);
}

/* ---- cache-get: the entries -------------------------------------------- */

static int key_cmp(const struct dp_acache_key *a, const struct dp_acache_key *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->id, b->id, a->len);
}

static int entry_cmp(const void *x, const void *y)
{
	const struct dp_acache_entry *a = x, *b = y;
	int c = key_cmp(&a->key, &b->key);

	if (c)
		return c;
	return a->expire < b->expire ? -1 : a->expire > b->expire;
}

/* Sorted by identifier type and identifier; of an entry listed twice (it
 * was refreshed while the command paged) the later copy stays. */
static void entries_sort(struct entries *e)
{
	size_t i, k = 0;

	if (!e->n)
		return;
	qsort(e->v, e->n, sizeof(*e->v), entry_cmp);
	for (i = 1; i < e->n; i++) {
		if (key_cmp(&e->v[k].key, &e->v[i].key))
			k++;
		e->v[k] = e->v[i];
	}
	e->n = k + 1;
}

/* Every worker's entries, page by page, at most CACHE_GET_MAX in all;
 * *held: what the workers said they hold when it began. */
static int get_all(struct dp_srv *s, struct entries *e, uint64_t *held)
{
	struct dp_msg *m[DP_MAX_WORKERS] = { 0 };
	unsigned n = n_workers(s), w;
	int ret;

	ret = cache_all(s, DP_MSG_ACACHE_SIZE, NULL, held);
	for (w = 0; w < n && !ret; w++) {
		uint32_t skip = 0;

		while (e->n < CACHE_GET_MAX) {
			uint32_t cap = CACHE_GET_MAX - (uint32_t)e->n;
			size_t got;

			if (cap > DP_ACACHE_PAGE)
				cap = DP_ACACHE_PAGE;
			ret = make_all(s, DP_MSG_ACACHE_GET, NULL, cap, m, w, w + 1);
			if (ret)
				break;
			m[w]->askip = skip;
			if (skip)       /* the cursor: the last entry listed */
				m[w]->akey = e->v[e->n - 1].key;
			ret = post_wait(s, m, w, w + 1);
			if (!ret)
				ret = entries_add(e, m[w]->aout, m[w]->n);
			got = m[w] ? m[w]->n : 0;
			free_all(m, w, w + 1);
			if (ret || got < DP_ACACHE_PAGE)
				break;
			skip += (uint32_t)got;
		}
	}
	return ret;
}

/* The worker that holds k answers with it (a client lands on one). */
static int get_one(struct dp_srv *s, const struct dp_acache_key *k, struct entries *e)
{
	uint64_t held;

	return round_all(s, DP_MSG_ACACHE_GET, k, 1, &held, e);
}

static const char *verdict_name(uint8_t v)
{
	return v == ACCESS_ACCEPT ? "accept" : v == ACCESS_REJECT ? "reject" : "none";
}

/* One entry: its client, the verdict and what it assigns, its expiry. */
static json_t *entry_json(const struct dp_acache_entry *e)
{
	char id[3 * ACCESS_ID_MAX], ip[INET6_ADDRSTRLEN + 4], pool[ACCESS_POOL_MAX];
	const struct access_answer *a = &e->a;
	json_t *o = json_object();

	if (!o)
		return NULL;
	fmt_hex(e->key.id, e->key.len, id);
	json_object_set_new(o, "identifier-type", json_string(id_type_name(e->key.type)));
	json_object_set_new(o, "identifier", json_string(id));
	json_object_set_new(o, "verdict", json_string(verdict_name(a->verdict)));
	if (a->flags & ACCESS_F_ADDR4) {
		fmt_ip4(a->addr4, ip, sizeof(ip));
		json_object_set_new(o, "ip-address", json_string(ip));
	}
	if (a->flags & ACCESS_F_ADDR6) {
		fmt_ip6(a->addr6, ip, sizeof(ip));
		json_object_set_new(o, "ip-addresses", json_pack("[s]", ip));
	}
	if (a->flags & ACCESS_F_PREFIX6) {
		fmt_ip6(a->prefix6, ip, INET6_ADDRSTRLEN);
		snprintf(ip + strlen(ip), 5, "/%u", a->plen6);
		json_object_set_new(o, "prefixes", json_pack("[s]", ip));
	}
	if ((a->flags & ACCESS_F_POOL) && a->pool[0]) {
		fmt_printable(a->pool, sizeof(a->pool) - 1, pool);
		json_object_set_new(o, "client-classes", json_pack("[s]", pool));
	}
	json_object_set_new(o, "expire", json_integer(e->expire));
	return o;
}

/* Kea's answer: the list, "<n> entries returned.", 0 or 3 (none); `cut`:
 * it stopped at CACHE_GET_MAX of `held`. */
static int get_answer(struct entries *e, bool cut, uint64_t held, json_t **out, char *text,
		      size_t len)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < e->n; i++)
		if (json_array_append_new(list, entry_json(&e->v[i]))) {
			json_decref(list);
			list = NULL;
		}
	free(e->v);
	if (!list)
		return fail(text, len, "out of memory");
	*out = list;
	if (cut)
		snprintf(text, len, "%zu entries returned (of %" PRIu64 " cached: cache-get "
			 "lists at most %u).", i, held, CACHE_GET_MAX);
	else
		snprintf(text, len, "%zu entries returned.", i);
	return i ? CTL_SUCCESS : CTL_EMPTY;
}

static int cache_get(struct dp_srv *s, const json_t *args, bool by_id, json_t **out, char *text,
		     size_t len)
{
	struct entries e = { 0 };
	struct dp_acache_key k;
	uint64_t held = 0;
	int r = cache_key(args, by_id, NULL, &k, text, len);

	if (r < 0)
		return CTL_ERROR;
	locked(s);
	if (r)
		r = get_one(s, &k, &e);
	else
		r = get_all(s, &e, &held);
	pthread_mutex_unlock(&s->lock);
	if (!r) {
		bool cut = e.n >= CACHE_GET_MAX && held > e.n;

		entries_sort(&e);
		return get_answer(&e, cut, held, out, text, len);
	}
	free(e.v);
	return cache_error(r, text, len);
}

/* ---- the commands ------------------------------------------------------- */

HANDLER(cmd_cache_get)
{
	return cache_get(ctx, args, false, out, text, len);
}

HANDLER(cmd_cache_get_by_id)
{
	return cache_get(ctx, args, true, out, text, len);
}

HANDLER(cmd_cache_size)
{
	struct dp_srv *s = ctx;
	uint64_t n;
	int r;

	(void)args;
	locked(s);
	r = cache_all(s, DP_MSG_ACACHE_SIZE, NULL, &n);
	pthread_mutex_unlock(&s->lock);
	if (r)
		return cache_error(r, text, len);
	*out = json_pack("{sI}", "size", (json_int_t)n);
	snprintf(text, len, "%" PRIu64 " entries.", n);
	return CTL_SUCCESS;
}

HANDLER(cmd_cache_clear)
{
	struct dp_srv *s = ctx;
	uint64_t n;
	int r;

	(void)args;
	(void)out;
	locked(s);
	r = cache_all(s, DP_MSG_ACACHE_CLEAR, NULL, &n);
	pthread_mutex_unlock(&s->lock);
	if (r)
		return cache_error(r, text, len);
	snprintf(text, len, "Cache cleared.");
	return CTL_SUCCESS;
}

/* Kea's subnet selectors are accepted and ignored: one answer per client,
 * whatever the subnet. */
static const char *const remove_extra[] = { "subnet-id", "subnet-id4", "subnet-id6", NULL };

/* An address an answer assigned (Framed-IP-Address, Framed-IPv6-Address). */
struct cache_addr {
	int fam;                        /* 4 or 6 */
	uint32_t a4;
	struct lease_addr6 a6;
};

/* Kea's cache-remove by "ip-address" (its subnet selector ignored): 1
 * with *a, 0 when args name none, -1 (text set). */
static int addr_arg(const json_t *args, struct cache_addr *a, char *text, size_t len)
{
	json_t *ip = args ? json_object_get(args, "ip-address") : NULL, *v;
	const char *key, *str;
	struct in_addr in;

	if (!ip)
		return 0;
	json_object_foreach((json_t *)args, key, v) {
		if (!strcmp(key, "ip-address"))
			continue;
		if (!listed(remove_extra, key))
			return BAD("give 'ip-address' or a client's identifier, not '%s' too", key);
		if (!json_is_integer(v))
			return BAD("'%s' must be an integer", key);
	}
	str = json_string_value(ip);
	if (!str)
		return BAD("'ip-address' must be a string");
	if (inet_pton(AF_INET, str, &in) == 1 && in.s_addr) {
		a->fam = 4;
		a->a4 = ntohl(in.s_addr);
	} else if (!parse_ip6(str, &a->a6) && (a->a6.hi || a->a6.lo)) {
		a->fam = 6;
	} else {
		return BAD("'ip-address' \"%s\" is not an IPv4 or IPv6 address", str);
	}
	return 1;
}

static bool assigns(const struct access_answer *x, const struct cache_addr *a)
{
	if (a->fam == 4)
		return (x->flags & ACCESS_F_ADDR4) && x->addr4 == a->a4;
	return (x->flags & ACCESS_F_ADDR6) && lease_addr6_eq(x->addr6, a->a6);
}

/* Remove the entries whose answer assigned a, found among what cache-get
 * lists; *n: how many.  -E2BIG: none found, and the caches hold more
 * than that. */
static int remove_addr(struct dp_srv *s, const struct cache_addr *a, uint64_t *n)
{
	struct entries e = { 0 };
	uint64_t held = 0, one;
	size_t i;
	int r = get_all(s, &e, &held);

	*n = 0;
	for (i = 0; !r && i < e.n; i++)
		if (assigns(&e.v[i].a, a)) {
			r = cache_all(s, DP_MSG_ACACHE_REMOVE, &e.v[i].key, &one);
			*n += one;
		}
	if (!r && !*n && e.n >= CACHE_GET_MAX && held > e.n)
		r = -E2BIG;
	free(e.v);
	return r;
}

HANDLER(cmd_cache_remove)
{
	struct dp_srv *s = ctx;
	struct dp_acache_key k;
	struct cache_addr a;
	uint64_t n;
	int r;

	(void)out;
	r = addr_arg(args, &a, text, len);
	if (r < 0 || (!r && cache_key(args, true, remove_extra, &k, text, len) < 0))
		return CTL_ERROR;
	locked(s);
	if (r)
		r = remove_addr(s, &a, &n);
	else
		r = cache_all(s, DP_MSG_ACACHE_REMOVE, &k, &n);
	pthread_mutex_unlock(&s->lock);
	if (r == -E2BIG)
		return fail(text, len, "no entry with that address among the first %u of the "
			    "cached ones: remove it by its identifier", CACHE_GET_MAX);
	if (r)
		return cache_error(r, text, len);
	if (!n) {
		snprintf(text, len, "Host not found.");
		return CTL_EMPTY;
	}
	snprintf(text, len, "Host removed.");
	return CTL_SUCCESS;
}

const struct cmd_def cmds_cache[] = {
	{ "cache-clear", cmd_cache_clear },
	{ "cache-get", cmd_cache_get },
	{ "cache-get-by-id", cmd_cache_get_by_id },
	{ "cache-remove", cmd_cache_remove },
	{ "cache-size", cmd_cache_size },
	{ NULL, NULL },
};
