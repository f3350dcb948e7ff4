/* Kea's host-cache commands (ctl_cmd_cache.c): cache-size, cache-clear,
 * cache-get, cache-get-by-id, cache-remove.
 *
 * The requests go through the real control core (ctl_run_request) into
 * the real handlers.  The workers are fakes of the message calls of dp.h
 * (the linker takes these instead of engine/dp's): each answers a message
 * at once with engine/dp's own access-cache handler (dp_acache.h) on a
 * real access cache, or, as a test asks, refuses it (a full ring) or never
 * answers (a stuck worker). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <CUnit/Basic.h>
#include "ctl_cmd.h"
#include "ctl_priv.h"
#include "dp_acache.h"
#include "rad_ident.h"

#define NW 2
#define CACHE_MAX 10000

static struct dp dp;
static struct dp_srv srv;
static struct conf conf;
static struct ctl *ctl;
static uint32_t now;

/* ---- the fake workers ------------------------------------------------------- */

static struct access_cache *cache[NW];          /* NULL: no RADIUS */
static int post_err[NW];                        /* dp_msg_post's answer, 0: delivered */
static bool mute[NW];                           /* delivered, never answered */
static struct dp_msg *stuck[16];                /* what mute workers hold */
static unsigned n_stuck;
static unsigned posted[DP_MSG_ACACHE_SIZE + 1]; /* delivered messages by kind */
static unsigned posted_to[NW];
/* called before a worker answers a GET page after its first */
static void (*between_pages)(unsigned w);

struct dp_msg *dp_msg_new(enum dp_msg_kind kind, unsigned out_cap)
{
	struct dp_msg *m = calloc(1, sizeof(*m));

	CU_ASSERT_EQUAL_FATAL(out_cap, 0);      /* the cache commands bring their own room */
	m->kind = kind;
	return m;
}

void dp_msg_free(struct dp_msg *m)
{
	if (m) {
		free(m->aout);
		free(m);
	}
}

int dp_msg_post(struct dp *d, unsigned w, struct dp_msg *m)
{
	CU_ASSERT_FATAL(d == &dp && w < NW);
	CU_ASSERT_FATAL(m->kind >= DP_MSG_ACACHE_GET && m->kind <= DP_MSG_ACACHE_SIZE);
	if (post_err[w])
		return post_err[w];
	posted[m->kind]++;
	posted_to[w]++;
	m->state = DP_MSG_PENDING;
	if (mute[w]) {
		CU_ASSERT_FATAL(n_stuck < 16);
		stuck[n_stuck++] = m;
		return 0;
	}
	if (m->kind == DP_MSG_ACACHE_GET) {
		/* a page is bounded, and has its room */
		CU_ASSERT(m->cap >= 1 && m->cap <= DP_ACACHE_PAGE);
		CU_ASSERT_PTR_NOT_NULL(m->aout);
		if (m->askip && between_pages)
			between_pages(w);
	}
	dp_acache_msg(cache[w], m);
	m->state = DP_MSG_DONE;
	return 0;
}

int dp_msg_wait(struct dp_msg *m, unsigned timeout_ms)
{
	(void)timeout_ms;
	if (m->state == DP_MSG_DONE)
		return 0;
	m->state = DP_MSG_ABANDONED;            /* the worker's to free (here: the test's) */
	return -ETIMEDOUT;
}

static void workers_reset(bool radius)
{
	for (unsigned w = 0; w < NW; w++) {
		access_cache_free(cache[w]);
		cache[w] = radius ? access_cache_create(CACHE_MAX) : NULL;
		post_err[w] = 0;
		mute[w] = false;
		posted_to[w] = 0;
	}
	while (n_stuck)
		dp_msg_free(stuck[--n_stuck]);
	memset(posted, 0, sizeof(posted));
	between_pages = NULL;
}

/* ---- set-up --------------------------------------------------------------------- */

static int suite_init(void)
{
	struct ctl_params cp = { .peer_addr = "127.0.0.1" };

	now = (uint32_t)time(NULL);
	dp.n_workers = NW;
	srv.dp = &dp;
	srv.conf = &conf;
	pthread_mutex_init(&srv.lock, NULL);
	ctl = ctl_create(&cp);
	if (!ctl)
		return -1;
	srv.ctl = ctl;
	for (const struct cmd_def *d = cmds_cache; d->name; d++)
		if (ctl_register(ctl, d->name, d->fn, &srv))
			return -1;
	return 0;
}

static int suite_clean(void)
{
	workers_reset(false);
	ctl_free(ctl);
	return 0;
}

/* ---- helpers -------------------------------------------------------------------- */

static char text[1024];

/* Run one request: the answer's result, its text in `text`, its
 * arguments in *args (may be NULL; the caller decrefs). */
static int run(const char *req, json_t **args)
{
	json_t *a = ctl_run_request(ctl, req, strlen(req), NULL);
	const char *t;
	int r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	r = (int)json_integer_value(json_object_get(a, "result"));
	t = json_string_value(json_object_get(a, "text"));
	snprintf(text, sizeof(text), "%s", t ? t : "");
	if (args) {
		*args = json_object_get(a, "arguments");
		json_incref(*args);
	}
	json_decref(a);
	return r;
}

static const uint8_t mac1[6] = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
static const uint8_t mac2[6] = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x60 };
static const uint8_t cid1[7] = { 0x01, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
static const uint8_t duid1[10] = { 0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 0x11, 0x22 };

static void put(unsigned w, uint8_t type, const uint8_t *id, uint8_t len,
		const struct access_answer *a, uint32_t ttl)
{
	CU_ASSERT_EQUAL_FATAL(access_cache_put(cache[w], type, id, len, a, now, now + ttl), 0);
}

static const struct access_answer accept_addr = {
	.verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR4, .addr4 = 0xc6120105u,   /* 198.18.1.5 */
};
static const struct access_answer accept_pool = {
	.verdict = ACCESS_ACCEPT, .flags = ACCESS_F_POOL, .pool = "gold",
};
static const struct access_answer reject = { .verdict = ACCESS_REJECT };
static const struct access_answer accept_plain = { .verdict = ACCESS_ACCEPT };

/* Four clients on worker 0 and 1: mac1 accepted with an address (w0),
 * cid1 accepted into pool "gold" (w1), mac2 rejected (w1), duid1
 * accepted without attributes (w0). */
static void four_clients(void)
{
	workers_reset(true);
	put(0, RAD_ID_HW_ADDRESS, mac1, 6, &accept_addr, 300);
	put(1, RAD_ID_CLIENT_ID, cid1, 7, &accept_pool, 300);
	put(1, RAD_ID_HW_ADDRESS, mac2, 6, &reject, 60);
	put(0, RAD_ID_DUID, duid1, 10, &accept_plain, 300);
}

/* A string member of entry i of a list. */
static const char *field(json_t *list, size_t i, const char *key)
{
	const char *v = json_string_value(json_object_get(json_array_get(list, i), key));

	return v ? v : "(none)";
}

static json_t *entry_of(json_t *list, const char *type, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "identifier-type")), type) &&
		    !strcmp(json_string_value(json_object_get(e, "identifier")), id))
			return e;
	return NULL;
}

/* ---- tests ---------------------------------------------------------------------- */

/* A server without RADIUS has no caches: every command still answers,
 * after asking every worker. */
static void test_no_radius(void)
{
	json_t *a;

	workers_reset(false);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-size\"}", &a), 0);
	CU_ASSERT_STRING_EQUAL(text, "0 entries.");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "size")), 0);
	CU_ASSERT_TRUE(json_is_integer(json_object_get(a, "size")));
	json_decref(a);

	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), CTL_EMPTY);
	CU_ASSERT_TRUE(json_is_array(a));
	CU_ASSERT_EQUAL(json_array_size(a), 0);
	CU_ASSERT_STRING_EQUAL(text, "0 entries returned.");
	json_decref(a);

	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get-by-id\",\"arguments\":"
			    "{\"hw-address\":\"0a:1b:2c:3d:4e:5f\"}}", &a), CTL_EMPTY);
	CU_ASSERT_TRUE(json_is_array(a) && json_array_size(a) == 0);
	json_decref(a);

	CU_ASSERT_EQUAL(run("{\"command\":\"cache-clear\"}", NULL), 0);
	CU_ASSERT_STRING_EQUAL(text, "Cache cleared.");

	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":{\"identifier-type\":"
			    "\"hw-address\",\"identifier\":\"0a:1b:2c:3d:4e:5f\"}}", NULL), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "Host not found.");
	/* size, get (size + one page each), by-id, clear, remove: each to both */
	CU_ASSERT_EQUAL(posted_to[0], 6);
	CU_ASSERT_EQUAL(posted_to[1], 6);
}

/* cache-size adds up the workers' counts. */
static void test_size_merges(void)
{
	json_t *a;

	four_clients();
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-size\"}", &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "size")), 4);
	CU_ASSERT_STRING_EQUAL(text, "4 entries.");
	json_decref(a);
	CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_SIZE], NW);
}

/* cache-get lists both workers' entries, each with what it assigns. */
static void test_get_merges(void)
{
	json_t *a, *e, *cc;

	four_clients();
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), 0);
	CU_ASSERT_STRING_EQUAL(text, "4 entries returned.");
	CU_ASSERT_FATAL(json_is_array(a) && json_array_size(a) == 4);

	e = entry_of(a, "hw-address", "0a:1b:2c:3d:4e:5f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "verdict")), "accept");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "ip-address")), "198.18.1.5");
	CU_ASSERT_PTR_NULL(json_object_get(e, "client-classes"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "expire")), now + 300);

	e = entry_of(a, "client-id", "01:0a:1b:2c:3d:4e:5f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "verdict")), "accept");
	cc = json_object_get(e, "client-classes");
	CU_ASSERT_TRUE(json_is_array(cc) && json_array_size(cc) == 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(cc, 0)), "gold");
	CU_ASSERT_PTR_NULL(json_object_get(e, "ip-address"));

	e = entry_of(a, "hw-address", "0a:1b:2c:3d:4e:60");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "verdict")), "reject");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "expire")), now + 60);
	CU_ASSERT_PTR_NULL(json_object_get(e, "ip-address"));

	e = entry_of(a, "duid", "00:01:00:01:2a:2b:2c:2d:11:22");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NULL(json_object_get(e, "ip-address"));
	CU_ASSERT_PTR_NULL(json_object_get(e, "client-classes"));
	/* sorted by identifier type, then identifier: hw-address first */
	CU_ASSERT_STRING_EQUAL(field(a, 0, "identifier"), "0a:1b:2c:3d:4e:5f");
	CU_ASSERT_STRING_EQUAL(field(a, 3, "identifier-type"), "duid");
	json_decref(a);
}

/* One client, asked by Kea's form or by identifier-type: the worker that
 * holds it answers; others do not make it a second entry. */
static void test_get_by_id(void)
{
	json_t *a;

	four_clients();
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get-by-id\",\"arguments\":"
			    "{\"client-id\":\"01:0a:1b:2c:3d:4e:5f\"}}", &a), 0);
	CU_ASSERT_STRING_EQUAL(text, "1 entries returned.");
	CU_ASSERT_FATAL(json_is_array(a) && json_array_size(a) == 1);
	CU_ASSERT_STRING_EQUAL(field(a, 0, "identifier-type"), "client-id");
	json_decref(a);
	CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_GET], NW);

	/* cache-get with an identifier is the same */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\",\"arguments\":{\"identifier-type\":"
			    "\"hw-address\",\"identifier\":\"0A-1B-2C-3D-4E-60\"}}", &a), 0);
	CU_ASSERT_FATAL(json_array_size(a) == 1);
	CU_ASSERT_STRING_EQUAL(field(a, 0, "verdict"), "reject");
	json_decref(a);

	/* the same bytes under another type are another client */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get-by-id\",\"arguments\":"
			    "{\"flex-id\":\"0a:1b:2c:3d:4e:5f\"}}", &a), CTL_EMPTY);
	CU_ASSERT_TRUE(json_is_array(a) && json_array_size(a) == 0);
	CU_ASSERT_STRING_EQUAL(text, "0 entries returned.");
	json_decref(a);

	/* a flex-id in Kea's quoted text form */
	put(1, RAD_ID_FLEX_ID, (const uint8_t *)"abc", 3, &accept_plain, 300);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get-by-id\",\"arguments\":"
			    "{\"flex-id\":\"'abc'\"}}", &a), 0);
	CU_ASSERT_FATAL(json_array_size(a) == 1);
	CU_ASSERT_STRING_EQUAL(field(a, 0, "identifier"), "61:62:63");
	json_decref(a);
}

/* cache-remove takes the one client's entry off its worker; the others stay. */
static void test_remove(void)
{
	const char *req = "{\"command\":\"cache-remove\",\"arguments\":{\"identifier-type\":"
			  "\"hw-address\",\"identifier\":\"0a:1b:2c:3d:4e:60\",\"subnet-id\":1}}";
	struct access_entry_view v;
	json_t *a;

	four_clients();
	CU_ASSERT_EQUAL(run(req, NULL), 0);
	CU_ASSERT_STRING_EQUAL(text, "Host removed.");
	CU_ASSERT_FALSE(access_cache_find(cache[1], RAD_ID_HW_ADDRESS, mac2, 6, &v));
	CU_ASSERT_TRUE(access_cache_find(cache[1], RAD_ID_CLIENT_ID, cid1, 7, &v));
	CU_ASSERT_EQUAL(access_cache_size(cache[0]), 2);
	CU_ASSERT_EQUAL(access_cache_size(cache[1]), 1);
	CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_REMOVE], NW);

	CU_ASSERT_EQUAL(run(req, NULL), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "Host not found.");

	/* Kea's form, on the other worker */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":"
			    "{\"hw-address\":\"0a:1b:2c:3d:4e:5f\",\"subnet-id4\":3}}", NULL), 0);
	CU_ASSERT_EQUAL(access_cache_size(cache[0]), 1);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-size\"}", &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "size")), 2);
	json_decref(a);
}

/* Kea's cache-remove by address: the entries whose answer assigned it. */
static void test_remove_by_address(void)
{
	struct access_answer v6 = { .verdict = ACCESS_ACCEPT, .flags = ACCESS_F_ADDR6 };
	struct access_entry_view v;
	json_t *a;

	four_clients();
	CU_ASSERT_EQUAL(parse_ip6("2001:db8:1::5", &v6.addr6), 0);
	put(1, RAD_ID_DUID, duid1, 9, &v6, 300);     /* another client's duid */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":"
			    "{\"ip-address\":\"198.18.1.5\",\"subnet-id\":1}}", NULL), 0);
	CU_ASSERT_STRING_EQUAL(text, "Host removed.");
	CU_ASSERT_FALSE(access_cache_find(cache[0], RAD_ID_HW_ADDRESS, mac1, 6, &v));
	CU_ASSERT_EQUAL(access_cache_size(cache[0]), 1);
	CU_ASSERT_EQUAL(access_cache_size(cache[1]), 3);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":"
			    "{\"ip-address\":\"198.18.1.5\",\"subnet-id\":1}}", NULL), CTL_EMPTY);
	CU_ASSERT_STRING_EQUAL(text, "Host not found.");

	/* IPv6: that client only, not the one whose answer had no address */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":"
			    "{\"ip-address\":\"2001:db8:1::5\",\"subnet-id6\":1}}", NULL), 0);
	CU_ASSERT_FALSE(access_cache_find(cache[1], RAD_ID_DUID, duid1, 9, &v));
	CU_ASSERT_TRUE(access_cache_find(cache[0], RAD_ID_DUID, duid1, 10, &v));
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-size\"}", &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "size")), 3);
	json_decref(a);
}

static void test_clear(void)
{
	json_t *a;

	four_clients();
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-clear\"}", NULL), 0);
	CU_ASSERT_STRING_EQUAL(text, "Cache cleared.");
	CU_ASSERT_EQUAL(access_cache_size(cache[0]), 0);
	CU_ASSERT_EQUAL(access_cache_size(cache[1]), 0);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), CTL_EMPTY);
	CU_ASSERT_EQUAL(json_array_size(a), 0);
	json_decref(a);
	/* the caches still work after */
	put(1, RAD_ID_HW_ADDRESS, mac1, 6, &reject, 60);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-size\"}", &a), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "size")), 1);
	json_decref(a);
}

/* Wrong or missing arguments: result 1 with a reason, nothing asked of
 * any worker, nothing removed. */
static void test_bad_args(void)
{
	static const struct {
		const char *cmd, *args, *reason;
	} bad[] = {
		{ "cache-remove", NULL, "an identifier is required" },
		{ "cache-remove", "{}", "an identifier is required" },
		{ "cache-remove", "{\"subnet-id\":1}", "an identifier is required" },
		{ "cache-get-by-id", NULL, "an identifier is required" },
		{ "cache-remove", "{\"identifier-type\":\"hw-address\"}", "missing 'identifier'" },
		{ "cache-get", "{\"identifier\":\"01:02\"}", "missing 'identifier-type'" },
		{ "cache-remove", "{\"identifier-type\":\"circuit-id\",\"identifier\":\"01\"}",
		  "'identifier-type' must be" },
		{ "cache-remove", "{\"circuit-id\":\"01\"}", "unknown argument 'circuit-id'" },
		{ "cache-get", "{\"ip-address\":\"198.18.1.5\"}", "unknown argument 'ip-address'" },
		{ "cache-remove", "{\"hw-address\":\"0a:1b:zz\"}", "is neither hex" },
		{ "cache-remove", "{\"hw-address\":\"\"}", "is neither hex" },
		{ "cache-remove", "{\"flex-id\":\"''\"}", "is neither hex" },
		{ "cache-remove", "{\"hw-address\":17}", "'hw-address' must be a string" },
		{ "cache-remove", "{\"hw-address\":\"0a:1b:2c:3d:4e:5f\",\"duid\":\"01:02\"}",
		  "only one identifier" },
		{ "cache-remove", "{\"hw-address\":\"0a:1b:2c:3d:4e:5f\",\"identifier\":\"01\"}",
		  "or 'hw-address' alone" },
		{ "cache-remove", "{\"hw-address\":\"0a:1b:2c:3d:4e:5f\",\"subnet-id\":\"1\"}",
		  "'subnet-id' must be an integer" },
		{ "cache-get-by-id", "{\"hw-address\":\"0a:1b:2c:3d:4e:5f\",\"subnet-id\":1}",
		  "unknown argument 'subnet-id'" },
		{ "cache-remove", "{\"ip-address\":\"198.18.1.5\",\"hw-address\":\"0a:1b\"}",
		  "not 'hw-address' too" },
		{ "cache-remove", "{\"ip-address\":\"198.18.1.500\"}", "is not an IPv4 or IPv6" },
		{ "cache-remove", "{\"ip-address\":\"0.0.0.0\"}", "is not an IPv4 or IPv6" },
		{ "cache-remove", "{\"ip-address\":\"::\"}", "is not an IPv4 or IPv6" },
		{ "cache-remove", "{\"ip-address\":5}", "'ip-address' must be a string" },
		{ "cache-remove", "{\"ip-address\":\"198.18.1.5\",\"subnet-id\":\"x\"}",
		  "'subnet-id' must be an integer" },
	};
	char req[512], longid[3 * 131 + 1];
	unsigned i, sent;

	four_clients();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].args)
			snprintf(req, sizeof(req), "{\"command\":\"%s\",\"arguments\":%s}",
				 bad[i].cmd, bad[i].args);
		else
			snprintf(req, sizeof(req), "{\"command\":\"%s\"}", bad[i].cmd);
		CU_ASSERT_EQUAL(run(req, NULL), CTL_ERROR);
		if (!strstr(text, bad[i].reason))
			fprintf(stderr, "\n%s: \"%s\", wanted \"%s\"\n", req, text, bad[i].reason);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, bad[i].reason));
	}
	/* an identifier longer than any cache key (ACCESS_ID_MAX octets) */
	for (i = 0; i < 131; i++)
		memcpy(longid + 3 * i, i + 1 < 131 ? "ab:" : "ab\0", 3);
	snprintf(req, sizeof(req) - 1, "{\"command\":\"cache-remove\",\"arguments\":"
		 "{\"duid\":\"%.400s\"}}", longid);
	CU_ASSERT_EQUAL(run(req, NULL), CTL_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "of 1 to 130 octets"));
	for (sent = 0, i = 0; i < NW; i++)
		sent += posted_to[i];
	CU_ASSERT_EQUAL(sent, 0);
	CU_ASSERT_EQUAL(access_cache_size(cache[0]) + access_cache_size(cache[1]), 4);
}

/* Client i of worker w: 02:00:<w>:<i, 3 octets> (a static buffer). */
static const uint8_t *id_of(unsigned w, unsigned i)
{
	static uint8_t id[6];

	id[0] = 0x02;
	id[1] = 0;
	id[2] = (uint8_t)w;
	id[3] = (uint8_t)(i >> 16);
	id[4] = (uint8_t)(i >> 8);
	id[5] = (uint8_t)i;
	return id;
}

static void put_many(unsigned w, unsigned first, unsigned n)
{
	for (unsigned i = first; i < first + n; i++)
		put(w, RAD_ID_HW_ADDRESS, id_of(w, i), 6, &accept_plain, 300);
}

/* Every identifier of a cache-get answer is listed once, in order. */
static bool all_distinct(json_t *a)
{
	for (size_t i = 1; i < json_array_size(a); i++)
		if (strcmp(field(a, i - 1, "identifier"), field(a, i, "identifier")) >= 0)
			return false;
	return true;
}

/* A worker with more than a page of entries is paged through: every
 * entry comes back, each page bounded (checked in dp_msg_post). */
static void test_get_pages(void)
{
	json_t *a;

	workers_reset(true);
	put_many(0, 0, 2 * DP_ACACHE_PAGE + 452);
	put_many(1, 0, 10);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), 0);
	CU_ASSERT_EQUAL(json_array_size(a), 2 * DP_ACACHE_PAGE + 462);
	CU_ASSERT_TRUE(all_distinct(a));
	CU_ASSERT_STRING_EQUAL(text, "2510 entries returned.");
	json_decref(a);
	/* worker 0: three pages; worker 1: one */
	CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_GET], 4);

	/* exactly a page: one more, empty, ask tells it is the end */
	workers_reset(true);
	put_many(1, 0, DP_ACACHE_PAGE);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), 0);
	CU_ASSERT_EQUAL(json_array_size(a), DP_ACACHE_PAGE);
	json_decref(a);
	CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_GET], 3);
}

/* Changes between two pages of worker 0 (1034 entries, ids 0..1033 oldest
 * first: the first page lists 0..1023, its cursor is id 1023). */
static void refresh_oldest(unsigned w)         /* id 0 becomes the newest */
{
	access_cache_put(cache[w], RAD_ID_HW_ADDRESS, id_of(w, 0), 6, &reject, now, now + 900);
}

static void refresh_cursor(unsigned w)         /* the cursor's own entry moves */
{
	access_cache_put(cache[w], RAD_ID_HW_ADDRESS, id_of(w, 1023), 6, &reject, now, now + 900);
}

static void drop_oldest(unsigned w)            /* five go before the cursor */
{
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_TRUE(access_cache_remove(cache[w], RAD_ID_HW_ADDRESS, id_of(w, i), 6));
}

static void test_get_changed_between_pages(void)
{
	static const struct {
		void (*hook)(unsigned w);
		unsigned refreshed;             /* its entry: listed once, new expiry */
	} cases[] = { { refresh_oldest, 0 }, { refresh_cursor, 1023 }, { drop_oldest, ~0u } };
	char id[32];
	json_t *a, *e;

	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		workers_reset(true);
		put_many(0, 0, DP_ACACHE_PAGE + 10);
		between_pages = cases[c].hook;
		CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), 0);
		CU_ASSERT_TRUE(all_distinct(a));
		/* each listed once, none missed (the dropped ones were listed
		 * on the first page) */
		CU_ASSERT_EQUAL(json_array_size(a), DP_ACACHE_PAGE + 10);
		if (cases[c].refreshed != ~0u) {
			fmt_hex(id_of(0, cases[c].refreshed), 6, id);
			e = entry_of(a, "hw-address", id);
			CU_ASSERT_PTR_NOT_NULL_FATAL(e);
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "expire")), now + 900);
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "verdict")),
					       "reject");
		}
		json_decref(a);
		CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_GET], 2 + 1);
	}
}

/* More entries than one answer lists: it stops at its bound and says so. */
static void test_get_cut(void)
{
	json_t *a;

	workers_reset(true);
	put_many(0, 0, 9000);
	put_many(1, 0, 9000);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), 0);
	CU_ASSERT_EQUAL(json_array_size(a), 16384);
	CU_ASSERT_TRUE(all_distinct(a));
	CU_ASSERT_STRING_EQUAL(text, "16384 entries returned (of 18000 cached: cache-get lists "
			       "at most 16384).");
	json_decref(a);
	/* worker 0: 8 full pages and 808; worker 1: 7 full pages and the
	 * 216 left of the bound */
	CU_ASSERT_EQUAL(posted[DP_MSG_ACACHE_GET], 9 + 8);

	/* removing by address looks at as many: it says when that was not all */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":"
			    "{\"ip-address\":\"198.18.1.5\"}}", NULL), CTL_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "remove it by its identifier"));
	put(0, RAD_ID_HW_ADDRESS, mac1, 6, &accept_addr, 300);   /* worker 0 is listed whole */
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-remove\",\"arguments\":"
			    "{\"ip-address\":\"198.18.1.5\"}}", NULL), 0);
	CU_ASSERT_EQUAL(access_cache_size(cache[0]), 9000);
}

/* A worker whose ring is full, or that does not answer: result 1, and
 * the workers that did answer did the work. */
static void test_worker_fails(void)
{
	json_t *a = NULL;

	four_clients();
	post_err[1] = -ENOBUFS;
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-size\"}", &a), CTL_ERROR);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "message ring is full"));
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get\"}", &a), CTL_ERROR);
	json_decref(a);
	post_err[1] = 0;

	mute[1] = true;
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-clear\"}", NULL), CTL_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "did not answer"));
	CU_ASSERT_EQUAL(access_cache_size(cache[0]), 0);
	CU_ASSERT_EQUAL(access_cache_size(cache[1]), 2);
	CU_ASSERT_EQUAL(run("{\"command\":\"cache-get-by-id\",\"arguments\":"
			    "{\"client-id\":\"01:0a:1b:2c:3d:4e:5f\"}}", NULL), CTL_ERROR);
	CU_ASSERT_EQUAL(n_stuck, 2);
	workers_reset(false);
}

/* The names Kea's host_cache hook registers (the ones we have). */
static void test_registered(void)
{
	json_t *a;
	static const char *const names[] = {
		"cache-clear", "cache-get", "cache-get-by-id", "cache-remove", "cache-size",
	};

	CU_ASSERT_EQUAL(run("{\"command\":\"list-commands\"}", &a), 0);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bool found = false;
		size_t j;
		json_t *v;

		json_array_foreach(a, j, v)
			found |= !strcmp(json_string_value(v), names[i]);
		CU_ASSERT_TRUE(found);
	}
	json_decref(a);
}

int main(void)
{
	CU_pSuite s;
	int fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ctl_cache", suite_init, suite_clean);
	CU_add_test(s, "no RADIUS: empty answers", test_no_radius);
	CU_add_test(s, "cache-size adds up the workers", test_size_merges);
	CU_add_test(s, "cache-get merges the workers", test_get_merges);
	CU_add_test(s, "cache-get-by-id", test_get_by_id);
	CU_add_test(s, "cache-remove", test_remove);
	CU_add_test(s, "cache-remove by address", test_remove_by_address);
	CU_add_test(s, "cache-clear", test_clear);
	CU_add_test(s, "bad arguments", test_bad_args);
	CU_add_test(s, "cache-get pages", test_get_pages);
	CU_add_test(s, "cache-get: changes between pages", test_get_changed_between_pages);
	CU_add_test(s, "cache-get: cut at its bound", test_get_cut);
	CU_add_test(s, "a worker that fails", test_worker_fails);
	CU_add_test(s, "registered names", test_registered);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
