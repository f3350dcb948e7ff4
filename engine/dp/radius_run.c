/* The RADIUS thread (radius_run.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include "conf.h"
#include "ctl_srv.h"
#include "dp.h"
#include "lease.h"
#include "log.h"
#include "rad_client.h"
#include "rad_ident.h"
#include "rad_pkt.h"
#include "radius_acct.h"
#include "radius_run.h"

#define RR_CTX      8192        /* questions held: out, joined, or waiting to be posted */
#define RR_BUCKETS  4096        /* requests out, by client */
#define RR_TAKE     32          /* questions taken per worker per pass */
#define RR_POLL_MS  1           /* how often the rings are looked at when idle */
#define RR_SNAP_MS  250         /* how often the servers' counters are published */
#define RR_FLUSH_MS 1000        /* at stop: how long accounting may still send its backlog */
#define NIL         UINT32_MAX

/* One question: the one whose request is out (the lead) or one that
 * joined it (chained on `join`). */
struct ctx {
	struct radius_run *rr;
	struct dp_ask a;
	uint32_t join;              /* next question waiting for the same answer */
	uint32_t next;              /* bucket chain (leads) / free list */
	uint64_t hash;
	bool lead;
};

struct radius_run {
	struct dp *dp;
	struct conf_radius r;       /* a copy: the running conf may be replaced */
	struct rad_ident_opts io;
	uint32_t nas_ip;
	struct rad_client *client;  /* access (NULL: accounting only) */
	struct radius_acct *acct;   /* accounting (NULL: access only) */
	bool acct_down;             /* the outage was logged */
	uint64_t acct_peak;         /* ... the most records queued since */
	uint64_t acct_down_ms;      /* ... since when */
	pthread_t thr, athr;            /* access, accounting */
	bool started, astarted;
	volatile int stop;
	struct ctx *ctx;
	uint32_t free;
	uint32_t bucket[RR_BUCKETS];
	uint32_t *waiting;          /* answered, not yet posted (ring full) */
	uint32_t n_waiting;
	struct radius_run_stats st; /* written by the thread, read with atomics */
	/* The client's per-server counters, copied by the thread every
	 * RR_SNAP_MS for readers on other threads (under snap_lock). */
	pthread_mutex_t snap_lock;
	struct rad_server_stats snap[RAD_CLIENT_SERVERS_MAX];
	char snap_name[RAD_CLIENT_SERVERS_MAX][64];
	unsigned n_snap;
	struct rad_server_stats asnap[RAD_CLIENT_SERVERS_MAX];   /* accounting's servers */
	char asnap_name[RAD_CLIENT_SERVERS_MAX][64];
	unsigned n_asnap;
	uint64_t snap_at, asnap_at;     /* each thread's last copy */
};

/* Copy a client's per-server counters (c may be NULL: none). */
static unsigned snap_copy(const struct rad_client *c, struct rad_server_stats *out)
{
	unsigned i, n = c ? rad_client_n_servers(c) : 0;

	for (i = 0; i < n && i < RAD_CLIENT_SERVERS_MAX; i++)
		rad_client_stats(c, i, &out[i]);
	return i;
}

/* Publish one client's per-server counters (each thread its own). */
static void snap_publish(struct radius_run *rr, uint64_t now, bool acct)
{
	uint64_t *at = acct ? &rr->asnap_at : &rr->snap_at;

	if (now - *at < RR_SNAP_MS)
		return;
	*at = now;
	pthread_mutex_lock(&rr->snap_lock);
	if (acct)
		rr->n_asnap = snap_copy(radius_acct_client(rr->acct), rr->asnap);
	else
		rr->n_snap = snap_copy(rr->client, rr->snap);
	pthread_mutex_unlock(&rr->snap_lock);
}

static void count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static uint64_t hash_of(const struct dp_ask *a)
{
	return lease_bytes_hash((uint8_t)(a->family << 4 | a->id_type), a->id, a->id_len);
}

static bool same_client(const struct dp_ask *x, const struct dp_ask *y)
{
	return x->family == y->family && x->id_type == y->id_type && x->id_len == y->id_len &&
	       memcmp(x->id, y->id, x->id_len) == 0;
}

static uint32_t ctx_get(struct radius_run *rr)
{
	uint32_t i = rr->free;

	if (i != NIL) {
		rr->free = rr->ctx[i].next;
		rr->ctx[i].join = rr->ctx[i].next = NIL;
		rr->ctx[i].lead = false;
	}
	return i;
}

static void ctx_put(struct radius_run *rr, uint32_t i)
{
	rr->ctx[i].next = rr->free;
	rr->free = i;
}

/* Post question i's answer to its worker, or keep it for the next pass. */
static void post(struct radius_run *rr, uint32_t i)
{
	if (dp_answer_post(rr->dp, &rr->ctx[i].a) == 0) {
		ctx_put(rr, i);
		return;
	}
	rr->waiting[rr->n_waiting++] = i;      /* at most RR_CTX: every ctx once */
	count(&rr->st.answers_waiting, 1);
}

static void post_waiting(struct radius_run *rr)
{
	uint32_t k, n = rr->n_waiting;

	rr->n_waiting = 0;
	for (k = 0; k < n; k++) {
		uint32_t i = rr->waiting[k];

		if (dp_answer_post(rr->dp, &rr->ctx[i].a) == 0)
			ctx_put(rr, i);
		else
			rr->waiting[rr->n_waiting++] = i;
	}
}

/* This server could not ask (no room, no request to make): a refusal
 * that is not cached. */
static void local_refusal(struct access_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	ans->verdict = ACCESS_REJECT;
	ans->flags = ACCESS_F_NOCACHE;
}

static void unreachable_answer(const struct radius_run *rr, struct access_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	ans->verdict = rr->r.on_unreachable == CONF_RADIUS_SERVE ? ACCESS_ACCEPT : ACCESS_REJECT;
	ans->flags = ACCESS_F_NOCACHE | ACCESS_F_UNREACHABLE;
}

/* What an Access-Accept assigns, for a question of `family`. */
static void accept_answer(const uint8_t *pkt, uint8_t family, struct access_answer *ans)
{
	size_t off = RAD_HDR_LEN;
	struct rad_attr at;
	uint8_t b[16];

	memset(ans, 0, sizeof(*ans));
	ans->verdict = ACCESS_ACCEPT;
	while (rad_attr_next(pkt, &off, &at) == 1) {
		if (at.vendor)
			continue;
		switch (at.type) {
		case RAD_A_FRAMED_IP_ADDRESS:
			if (family == 4 && rad_val_ip4(&at, &ans->addr4) == 0)
				ans->flags |= ACCESS_F_ADDR4;
			break;
		case RAD_A_FRAMED_POOL:
		case RAD_A_FRAMED_IPV6_POOL:
			if ((at.type == RAD_A_FRAMED_POOL) == (family == 4) && at.len > 0 &&
			    at.len < ACCESS_POOL_MAX) {
				memcpy(ans->pool, at.val, at.len);
				ans->pool[at.len] = '\0';
				ans->flags |= ACCESS_F_POOL;
			}
			break;
		case RAD_A_FRAMED_IPV6_ADDRESS:
			if (family == 6 && rad_val_ip6(&at, b) == 0) {
				ans->addr6 = lease_addr6_load(b);
				ans->flags |= ACCESS_F_ADDR6;
			}
			break;
		case RAD_A_DELEGATED_IPV6_PREFIX:
			if (family == 6 && rad_val_ip6_prefix(&at, b, &ans->plen6) == 0) {
				ans->prefix6 = lease_addr6_load(b);
				ans->flags |= ACCESS_F_PREFIX6;
			}
			break;
		default:
			break;
		}
	}
}

/* Forget lead c as its client's request out. */
static void unlink_lead(struct radius_run *rr, struct ctx *c)
{
	uint32_t *link = &rr->bucket[c->hash % RR_BUCKETS];
	uint32_t self = (uint32_t)(c - rr->ctx);

	while (*link != NIL && *link != self)
		link = &rr->ctx[*link].next;
	if (*link == self)
		*link = c->next;
	c->lead = false;
}

/* A lead's request is over: answer it and every question that joined it. */
static void done(void *arg, enum rad_result res, const uint8_t *pkt, size_t len, unsigned server)
{
	struct ctx *c = arg;
	struct radius_run *rr = c->rr;
	struct access_answer a;
	uint32_t i, next;

	(void)len;
	(void)server;
	if (res == RAD_RES_ANSWER && pkt[0] == RAD_ACCESS_ACCEPT) {
		accept_answer(pkt, c->a.family, &a);
		count(&rr->st.accepts, 1);
	} else if (res == RAD_RES_ANSWER) {
		memset(&a, 0, sizeof(a));
		a.verdict = ACCESS_REJECT;        /* Reject, or a Challenge DHCP cannot meet */
		count(&rr->st.rejects, 1);
	} else {
		unreachable_answer(rr, &a);
		count(&rr->st.unreachable, 1);
	}
	unlink_lead(rr, c);
	for (i = (uint32_t)(c - rr->ctx); i != NIL; i = next) {
		next = rr->ctx[i].join;
		rr->ctx[i].a.ans = a;
		a.flags |= ACCESS_F_JOINED;     /* the lead answers; the rest end quietly */
		post(rr, i);
	}
}

/* Add the identifier's text, the MAC, the NAS address and the fixed
 * attributes after the worker's own. */
static int build(struct radius_run *rr, const struct dp_ask *a, struct rad_pkt *p)
{
	char text[3 * ACCESS_ID_MAX + 80];
	unsigned k;
	int n;

	rad_pkt_init(p, RAD_ACCESS_REQUEST, 0);
	if (a->attrs_len && rad_pkt_append_attrs(p, a->attrs, a->attrs_len))
		return -1;
	n = rad_ident_text(&rr->io, (enum rad_ident_type)a->id_type, a->id, a->id_len, text,
			   sizeof(text));
	if (n <= 0 || rad_pkt_add(p, RAD_A_USER_NAME, text, (size_t)n))
		return -1;
	if (a->hlen && (n = rad_ident_mac(&rr->io, a->chaddr, a->hlen, text, sizeof(text))) > 0)
		rad_pkt_add(p, RAD_A_CALLING_STATION_ID, text, (size_t)n);
	if (rr->nas_ip)
		rad_pkt_add_ip4(p, RAD_A_NAS_IP_ADDRESS, rr->nas_ip);
	for (k = 0; k < rr->r.access.n_attrs; k++) {
		const struct conf_radius_attr *at = &rr->r.access.attrs[k];

		if (at->expr4 || at->expr6)
			continue;               /* the worker's */
		if (at->vendor)
			rad_pkt_add_vsa(p, at->vendor, at->type, at->data, at->len);
		else
			rad_pkt_add(p, at->type, at->data, at->len);
	}
	return p->overflow ? -1 : 0;
}

/* A question from a worker: join the client's request out, or send one. */
static void ask(struct radius_run *rr, const struct dp_ask *q, uint64_t now)
{
	uint32_t i = ctx_get(rr), j;
	struct ctx *c;
	struct rad_pkt p;

	count(&rr->st.asked, 1);
	if (i == NIL) {
		/* every question slot is taken: refused now, not cached (the
		 * client asks again); never on-unreachable's verdict, which
		 * may be "serve": a flood must not open the door */
		struct dp_ask b = *q;

		local_refusal(&b.ans);
		count(&rr->st.busy, 1);
		if (dp_answer_post(rr->dp, &b))
			count(&rr->st.answers_waiting, 1);   /* the worker's deadline ends it */
		return;
	}
	c = &rr->ctx[i];
	c->a = *q;
	c->hash = hash_of(q);
	for (j = rr->bucket[c->hash % RR_BUCKETS]; j != NIL; j = rr->ctx[j].next)
		if (rr->ctx[j].hash == c->hash && same_client(&rr->ctx[j].a, q)) {
			c->join = rr->ctx[j].join;
			rr->ctx[j].join = i;
			count(&rr->st.joined, 1);
			return;
		}
	if (build(rr, q, &p) == 0) {
		struct rad_request r = { .code = RAD_ACCESS_REQUEST, .attrs = p.buf + RAD_HDR_LEN,
					 .attrs_len = (uint16_t)(p.len - RAD_HDR_LEN) };

		c->lead = true;
		c->next = rr->bucket[c->hash % RR_BUCKETS];
		rr->bucket[c->hash % RR_BUCKETS] = i;
		if (rad_client_send(rr->client, &r, done, c, now) == 0)
			return;
		unlink_lead(rr, c);
	}
	/* no request could be made (an identifier too long for User-Name,
	 * the client's queue full): refused, not cached, as above */
	local_refusal(&c->a.ans);
	count(&rr->st.busy, 1);
	post(rr, i);
}

/* Accounting's outage and its end, in the log: the most records that
 * waited on disk meanwhile says what the outage cost (nothing lost). */
static void acct_log(struct radius_run *rr)
{
	struct radius_acct_stats st;

	radius_acct_stats(rr->acct, &st);
	if (rr->acct_down && st.backlog > rr->acct_peak)
		rr->acct_peak = st.backlog;
	if (st.down_since_ms && !rr->acct_down) {
		rr->acct_down = true;
		rr->acct_peak = st.backlog;
		LOG_W("radius accounting: no server answers; records wait on disk (%lu queued)",
		      st.backlog);
	} else if (!st.down_since_ms && rr->acct_down) {
		rr->acct_down = false;
		LOG_I("radius accounting: a server answers again after %.1f s; %lu record(s) waited "
		      "on disk, %lu still to send", (double)(rad_now_ms() - rr->acct_down_ms) / 1000.0,
		      rr->acct_peak, st.backlog);
	}
	if (st.down_since_ms)
		rr->acct_down_ms = st.down_since_ms;
}

/* One pass of the access thread: the workers' questions, the client's
 * sockets and timers; then poll until something is due (at most
 * wait_max ms: the rings are looked at that often). */
static void pass_access(struct radius_run *rr, struct pollfd *fds, unsigned max, int wait_max)
{
	struct dp_ask q[RR_TAKE];
	uint64_t now = rad_now_ms();
	unsigned w, k, n, nfd;
	int wait = wait_max, t;

	for (w = 0; w < rr->dp->n_workers; w++) {
		n = dp_ask_take(rr->dp, w, q, RR_TAKE);
		for (k = 0; k < n; k++)
			ask(rr, &q[k], now);
	}
	rad_client_run(rr->client, rad_now_ms());
	if (rr->n_waiting)
		post_waiting(rr);
	snap_publish(rr, rad_now_ms(), false);
	nfd = rad_client_pollfds(rr->client, fds, max);
	t = rad_client_next_ms(rr->client, rad_now_ms());
	if (t >= 0 && t < wait)
		wait = t;
	poll(fds, nfd, wait);
}

/* One pass of the accounting thread: the lease-change logs into the
 * queue on disk, the queue to the servers.  A thread of its own, so its
 * disk writes and syncs never hold up an access question. */
static void pass_acct(struct radius_run *rr, struct pollfd *fds, unsigned max, int wait_max)
{
	unsigned nfd;
	int wait = wait_max, t;

	radius_acct_pump(rr->acct, rad_now_ms(), (uint32_t)time(NULL));
	acct_log(rr);
	snap_publish(rr, rad_now_ms(), true);
	nfd = radius_acct_pollfds(rr->acct, fds, max);
	t = radius_acct_next_ms(rr->acct, rad_now_ms());
	if (t >= 0 && t < wait)
		wait = t;
	poll(fds, nfd, wait);
}

#define RR_FDS (2 * RAD_CLIENT_SERVERS_MAX * RAD_CLIENT_SOCKS)

static void *access_main(void *arg)
{
	struct radius_run *rr = arg;
	struct pollfd fds[RR_FDS];

	while (!__atomic_load_n(&rr->stop, __ATOMIC_RELAXED))
		pass_access(rr, fds, RR_FDS, RR_POLL_MS);
	return NULL;
}

static void *acct_main(void *arg)
{
	struct radius_run *rr = arg;
	struct pollfd fds[RR_FDS];

	while (!__atomic_load_n(&rr->stop, __ATOMIC_RELAXED))
		pass_acct(rr, fds, RR_FDS, RR_POLL_MS);
	return NULL;
}

struct radius_run *radius_run_create(struct dp *dp, const struct conf_radius *r)
{
	struct rad_client_cfg cc;
	struct radius_run *rr;
	uint64_t total;
	unsigned k;

	errno = 0;
	if (!r || (!r->access.enabled && !r->accounting.enabled))
		return NULL;
	rr = calloc(1, sizeof(*rr));
	if (!rr)
		return NULL;
	rr->dp = dp;
	pthread_mutex_init(&rr->snap_lock, NULL);
	rr->r = *r;
	rr->r.dict = NULL;               /* the conf's; not used here */
	rr->io = (struct rad_ident_opts){
		.canonical_mac_address = r->canonical_mac_address, .extract_duid = r->extract_duid,
		.client_id_printable = r->client_id_printable, .client_id_pop0 = r->client_id_pop0,
		.realm = rr->r.realm };
	rr->nas_ip = r->nas_ip_address ? r->nas_ip_address
		     : dp->conf && dp->conf->n_ifaces ? dp->conf->ifaces[0].addr : 0;
	for (k = 0; k < r->accounting.n_servers && k < RAD_CLIENT_SERVERS_MAX; k++)
		snprintf(rr->asnap_name[k], sizeof(rr->asnap_name[k]), "%s:%u",
			 r->accounting.servers[k].name, r->accounting.servers[k].port);
	if (r->accounting.enabled) {
		/* consumers of every log, before the workers' first change */
		struct radius_acct_params ap = { .logs = dp->logs, .n_logs = dp->n_workers, .r = r,
						 .nas_ip = rr->nas_ip };

		rr->acct = radius_acct_create(&ap);
		if (rr->acct == NULL) {
			int e = errno ? errno : ENOMEM;

			LOG_E("radius accounting: queue %s: %s", r->accounting_queue, strerror(e));
			radius_run_stop(rr);
			errno = e;
			return NULL;
		}
	}
	if (!r->access.enabled)
		return rr;
	radius_client_cfg(r, &r->access, &cc);
	cc.require_msg_auth = r->require_message_authenticator;
	rr->client = rad_client_create(&cc);
	rr->ctx = calloc(RR_CTX, sizeof(*rr->ctx));
	rr->waiting = calloc(RR_CTX, sizeof(*rr->waiting));
	if (!rr->client || !rr->ctx || !rr->waiting) {
		int e = errno ? errno : ENOMEM;

		radius_run_stop(rr);
		errno = e;
		return NULL;
	}
	for (k = 0; k < RR_CTX; k++) {
		rr->ctx[k].rr = rr;
		rr->ctx[k].next = k + 1 < RR_CTX ? k + 1 : NIL;
	}
	for (k = 0; k < RR_BUCKETS; k++)
		rr->bucket[k] = NIL;
	for (k = 0; k < cc.n_servers; k++)
		snprintf(rr->snap_name[k], sizeof(rr->snap_name[k]), "%s:%u",
			 r->access.servers[k].name, r->access.servers[k].port);
	/* a worker keeps the question as long as RADIUS may take */
	total = (uint64_t)r->timeout_ms * cc.retries * (cc.n_servers ? cc.n_servers : 1) + 500;
	dp->ask_ms = (uint32_t)(total < 1000 ? 1000 : total > 60000 ? 60000 : total);
	dp_asks_enable(dp);
	return rr;
}

int radius_run_start(struct radius_run *rr)
{
	int ret;

	if (!rr)
		return 0;
	if (rr->client) {
		ret = pthread_create(&rr->thr, NULL, access_main, rr);
		if (ret)
			return -ret;
		rr->started = true;
		pthread_setname_np(rr->thr, "pg-radius");
	}
	if (rr->acct) {
		ret = pthread_create(&rr->athr, NULL, acct_main, rr);
		if (ret)
			return -ret;
		rr->astarted = true;
		pthread_setname_np(rr->athr, "pg-radius-acct");
	}
	return 0;
}

void radius_run_stop(struct radius_run *rr)
{
	if (!rr)
		return;
	__atomic_store_n(&rr->stop, 1, __ATOMIC_RELAXED);
	if (rr->started)
		pthread_join(rr->thr, NULL);
	if (rr->astarted)
		pthread_join(rr->athr, NULL);
	if (rr->acct) {
		/* the workers made their last change: a short while to send
		 * what is queued; what is left waits on disk for the next start */
		struct pollfd fds[RR_FDS];
		struct radius_acct_stats st;
		uint64_t end = rad_now_ms() + RR_FLUSH_MS;

		radius_acct_stats(rr->acct, &st);
		while (rr->astarted && rad_now_ms() < end) {
			pass_acct(rr, fds, RR_FDS, 10);
			radius_acct_stats(rr->acct, &st);
			if (st.backlog == 0)
				break;
		}
		radius_acct_free(rr->acct);
		LOG_I("radius accounting: %lu lease change(s) read, %lu record(s) queued, %lu answered, "
		      "%lu dropped (queue full), %lu lapped; %lu left on disk for the next start",
		      st.changes, st.queued, st.answered, st.dropped, st.lapped, st.backlog);
	}
	rad_client_destroy(rr->client);
	free(rr->ctx);
	free(rr->waiting);
	free(rr);
}

int radius_run_acct_stats(const struct radius_run *rr, struct radius_acct_stats *out)
{
	if (rr == NULL || rr->acct == NULL)
		return -ENOENT;
	radius_acct_stats(rr->acct, out);
	return 0;
}

void radius_run_stats(const struct radius_run *rr, struct radius_run_stats *out)
{
	out->asked = __atomic_load_n(&rr->st.asked, __ATOMIC_RELAXED);
	out->joined = __atomic_load_n(&rr->st.joined, __ATOMIC_RELAXED);
	out->accepts = __atomic_load_n(&rr->st.accepts, __ATOMIC_RELAXED);
	out->rejects = __atomic_load_n(&rr->st.rejects, __ATOMIC_RELAXED);
	out->unreachable = __atomic_load_n(&rr->st.unreachable, __ATOMIC_RELAXED);
	out->busy = __atomic_load_n(&rr->st.busy, __ATOMIC_RELAXED);
	out->answers_waiting = __atomic_load_n(&rr->st.answers_waiting, __ATOMIC_RELAXED);
}

unsigned radius_run_ext_stats(void *ctx, struct dp_ext_stat *out, unsigned max)
{
	static const char *const access = "radius-access", *const accounting = "radius-accounting";
	const struct radius_run *rr = ctx;
	struct radius_run_stats st;
	unsigned n = 0, i;

#define PUT(g, l, b, v, gg) do {                                               \
		if (n < max) {                                                  \
			out[n].group = (g);                                     \
			snprintf(out[n].label, sizeof(out[n].label), "%s", (l)); \
			out[n].base = (b);                                      \
			out[n].value = (int64_t)(v);                            \
			out[n].gauge = (gg);                                    \
			n++;                                                    \
		}                                                               \
	} while (0)
	if (!rr)
		return 0;
	radius_run_stats(rr, &st);
	PUT(NULL, "", "radius-access-asked", st.asked, false);
	PUT(NULL, "", "radius-access-joined", st.joined, false);
	PUT(NULL, "", "radius-access-accepts", st.accepts, false);
	PUT(NULL, "", "radius-access-rejects", st.rejects, false);
	PUT(NULL, "", "radius-access-unreachable", st.unreachable, false);
	PUT(NULL, "", "radius-access-busy", st.busy, false);
	pthread_mutex_lock((pthread_mutex_t *)&rr->snap_lock);
	for (i = 0; i < rr->n_snap + rr->n_asnap; i++) {
		bool acc = i < rr->n_snap;
		const struct rad_server_stats *v = acc ? &rr->snap[i] : &rr->asnap[i - rr->n_snap];
		uint64_t answered = v->accepts + v->rejects + v->challenges + v->acct_responses;
		const char *l = acc ? rr->snap_name[i] : rr->asnap_name[i - rr->n_snap];
		const char *g = acc ? access : accounting;

		PUT(g, l, "requests", v->requests, false);
		PUT(g, l, "retransmissions", v->retransmissions, false);
		if (acc) {
			PUT(g, l, "accepts", v->accepts, false);
			PUT(g, l, "rejects", v->rejects + v->challenges, false);
		} else {
			PUT(g, l, "responses", v->acct_responses, false);
		}
		PUT(g, l, "timeouts", v->timeouts, false);
		PUT(g, l, "bad-answers", v->bad_answers, false);
		PUT(g, l, "latency-avg-us", answered ? v->latency_us_sum / answered : 0, true);
		PUT(g, l, "latency-max-us", v->latency_us_max, true);
		PUT(g, l, "dead", v->dead, true);
	}
	pthread_mutex_unlock((pthread_mutex_t *)&rr->snap_lock);
	{
		struct radius_acct_stats a;

		if (radius_run_acct_stats(rr, &a) == 0) {
			PUT(NULL, "", "radius-accounting-changes", a.changes, false);
			PUT(NULL, "", "radius-accounting-queued", a.queued, false);
			PUT(NULL, "", "radius-accounting-backlog", a.backlog, true);
			PUT(NULL, "", "radius-accounting-sent", a.sent, false);
			PUT(NULL, "", "radius-accounting-answered", a.answered, false);
			PUT(NULL, "", "radius-accounting-failed", a.failed, false);
			PUT(NULL, "", "radius-accounting-dropped", a.dropped, false);
			PUT(NULL, "", "radius-accounting-lapped", a.lapped, false);
			PUT(NULL, "", "radius-accounting-skipped", a.skipped, false);
		}
	}
#undef PUT
	return n;
}
