/* RADIUS accounting on the RADIUS thread (radius_acct.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util_fs.h"
#include "conf.h"
#include "lease_log.h"
#include "lease_rec.h"
#include "rad_acctq.h"
#include "rad_client.h"
#include "rad_ident.h"
#include "rad_pkt.h"
#include "radius_acct.h"

#define READ_BATCH     256             /* changes copied out of a log at once */
#define READ_MAX       4096            /* ... per log per pass: the others get their turn */
#define WINDOW_DEFAULT 32
#define SESS_MIN       4096            /* session table slots at first (a power of two) */
#define STATE_DECLINED 1               /* lease_rec / lease6_rec state */

/* A session: one lease from Start to Stop, by its address. */
struct sess {
	uint64_t hi, lo;               /* v4: lo = address; v6: the address or prefix */
	uint8_t fam, plen, used;
	uint32_t start;                /* epoch seconds */
	uint64_t id;                   /* Acct-Session-Id's value */
};

struct sess_key {
	uint64_t hi, lo;
	uint8_t fam, plen;
};

/* What a request out carries back to its answer. */
struct out {
	struct radius_acct *a;
	uint64_t ticket;
};

struct radius_acct {
	struct lease_log *logs[64];
	unsigned n_logs;
	unsigned cons;                 /* our consumer id, the same in each log */
	uint64_t overflow[64];         /* each log's lapped count, as last seen */
	struct conf_radius_service svc;   /* the accounting servers and attributes (fixed ones) */
	struct rad_ident_opts io;
	char realm[64];
	uint8_t id_type4, id_type6;
	bool peer_updates;
	uint32_t nas_ip;
	char sess_path[4200];
	struct rad_client *client;
	struct rad_acctq *q;
	struct sess *sess;
	uint32_t sess_mask, sess_used;
	uint32_t sid_counter;
	struct out out[RAD_ACCTQ_WINDOW_MAX];
	struct lease_change buf[READ_BATCH];
	struct rad_acctq_rec rec;
	struct radius_acct_stats st;   /* written by the thread (relaxed atomics), read by any */
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* ---- sessions ------------------------------------------------------- */

static uint64_t key_hash(const struct sess_key *k)
{
	uint64_t h = k->hi * 0x9E3779B97F4A7C15ull ^ k->lo ^ ((uint64_t)k->fam << 56 | k->plen);

	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 29);
}

static bool key_eq(const struct sess *s, const struct sess_key *k)
{
	return s->used && s->hi == k->hi && s->lo == k->lo && s->fam == k->fam && s->plen == k->plen;
}

static struct sess *sess_find(struct radius_acct *a, const struct sess_key *k)
{
	for (uint32_t i = (uint32_t)key_hash(k) & a->sess_mask;; i = (i + 1) & a->sess_mask) {
		if (!a->sess[i].used)
			return NULL;
		if (key_eq(&a->sess[i], k))
			return &a->sess[i];
	}
}

static int sess_grow(struct radius_acct *a)
{
	uint32_t old_n = a->sess_mask + 1, n = a->sess ? 2 * old_n : SESS_MIN;
	struct sess *old = a->sess, *t = calloc(n, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	a->sess = t;
	a->sess_mask = n - 1;
	for (uint32_t i = 0; old && i < old_n; i++) {
		struct sess_key k = { old[i].hi, old[i].lo, old[i].fam, old[i].plen };
		uint32_t j = (uint32_t)key_hash(&k) & a->sess_mask;

		if (!old[i].used)
			continue;
		while (t[j].used)
			j = (j + 1) & a->sess_mask;
		t[j] = old[i];
	}
	free(old);
	return 0;
}

/* The session of k, made new (replacing one that was there). */
static struct sess *sess_start(struct radius_acct *a, const struct sess_key *k, uint32_t now)
{
	struct sess *s = sess_find(a, k);
	uint32_t i;

	if (s == NULL) {
		if ((a->sess_used + 1) * 2 > a->sess_mask + 1 && sess_grow(a) != 0)
			return NULL;
		for (i = (uint32_t)key_hash(k) & a->sess_mask; a->sess[i].used;
		     i = (i + 1) & a->sess_mask)
			;
		s = &a->sess[i];
		a->sess_used++;
	}
	*s = (struct sess){ .hi = k->hi, .lo = k->lo, .fam = k->fam, .plen = k->plen, .used = 1,
			    .start = now, .id = (uint64_t)now << 32 | a->sid_counter++ };
	return s;
}

/* Remove s (linear probing: the entries after it move back). */
static void sess_end(struct radius_acct *a, struct sess *s)
{
	uint32_t i = (uint32_t)(s - a->sess), j = i;

	a->sess[i].used = 0;
	a->sess_used--;
	for (;;) {
		struct sess_key k;
		uint32_t home;

		j = (j + 1) & a->sess_mask;
		if (!a->sess[j].used)
			return;
		k = (struct sess_key){ a->sess[j].hi, a->sess[j].lo, a->sess[j].fam, a->sess[j].plen };
		home = (uint32_t)key_hash(&k) & a->sess_mask;
		/* j moves into the hole i unless its home lies in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			a->sess[i] = a->sess[j];
			a->sess[j].used = 0;
			i = j;
		}
	}
}

/* The table as it was at the last clean stop.  Entries: struct sess as
 * is (the same binary writes and reads it), after a magic and a count. */
static const char sess_magic[8] = { 'P', 'G', 'A', 'C', 'S', 0, 0, 1 };

static void sess_load(struct radius_acct *a)
{
	FILE *f = fopen(a->sess_path, "rb");
	char magic[8];
	uint64_t n;
	struct sess s;

	if (f == NULL)
		return;
	if (fread(magic, sizeof(magic), 1, f) == 1 && memcmp(magic, sess_magic, 8) == 0 &&
	    fread(&n, sizeof(n), 1, f) == 1) {
		while (n-- && fread(&s, sizeof(s), 1, f) == 1) {
			struct sess_key k = { s.hi, s.lo, s.fam, s.plen };
			struct sess *t = sess_start(a, &k, s.start);

			if (t == NULL)
				break;
			t->id = s.id;
		}
	}
	fclose(f);
	/* read once: after a crash (no clean stop wrote it again) its
	 * sessions may have ended and started anew meanwhile, so a later
	 * start must not find them; the renewal then starts a new session */
	unlink(a->sess_path);
}

static void sess_save(struct radius_acct *a)
{
	char tmp[sizeof(a->sess_path) + 8];
	uint64_t n = a->sess_used;
	FILE *f;
	bool ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", a->sess_path);
	f = fopen(tmp, "wb");
	if (f == NULL)
		return;
	ok = fwrite(sess_magic, sizeof(sess_magic), 1, f) == 1 && fwrite(&n, sizeof(n), 1, f) == 1;
	for (uint32_t i = 0; ok && i <= a->sess_mask; i++)
		if (a->sess[i].used)
			ok = fwrite(&a->sess[i], sizeof(a->sess[i]), 1, f) == 1;
	ok = fflush(f) == 0 && fdatasync(fileno(f)) == 0 && ok;
	if (fclose(f) != 0 || !ok || rename(tmp, a->sess_path) != 0)
		unlink(tmp);
}

/* ---- records -------------------------------------------------------- */

/* The lease's identifier bytes for User-Name, as identifier-type4/6 asks
 * (a lease keeps no flex-id: the hardware address / the DUID instead). */
static const uint8_t *user_id(const struct radius_acct *a, const struct lease_change *c,
			      enum rad_ident_type *t, size_t *len)
{
	if (c->family == LEASE_FAMILY_V4) {
		const struct lease_rec *r = &c->u.v4;

		if (a->id_type4 == RAD_ID_DUID && r->cid_len > 5 && r->cid[0] == 255) {
			*t = RAD_ID_DUID;                 /* RFC 4361: 255, IAID, DUID */
			*len = r->cid_len - 5u;
			return r->cid + 5;
		}
		if ((a->id_type4 == RAD_ID_CLIENT_ID || a->id_type4 == RAD_ID_DUID) && r->cid_len) {
			*t = RAD_ID_CLIENT_ID;
			*len = r->cid_len;
			return r->cid;
		}
		*t = RAD_ID_HW_ADDRESS;
		*len = r->hwaddr_len;
		return r->hwaddr;
	}
	if (a->id_type6 == RAD_ID_HW_ADDRESS && c->u.v6.hwaddr_len) {
		*t = RAD_ID_HW_ADDRESS;
		*len = c->u.v6.hwaddr_len;
		return c->u.v6.hwaddr;
	}
	*t = RAD_ID_DUID;
	*len = c->u.v6.duid_len;
	return c->u.v6.duid;
}

static uint32_t terminate_cause(const struct lease_change *c)
{
	switch (c->op) {
	case LEASE_OP_RELEASE: return RAD_TERM_USER_REQUEST;
	case LEASE_OP_EXPIRE: return RAD_TERM_SESSION_TIMEOUT;
	case LEASE_OP_DELETE:
		return c->origin == LEASE_ORIGIN_CONTROL ? RAD_TERM_ADMIN_RESET : RAD_TERM_LOST_SERVICE;
	default: return RAD_TERM_LOST_SERVICE;   /* decline */
	}
}

int radius_acct_record(struct radius_acct *a, const struct lease_change *c, uint32_t now_s,
		       uint8_t *status, uint8_t *attrs, size_t cap, uint16_t *len)
{
	bool v4 = c->family == LEASE_FAMILY_V4, stop = c->op != LEASE_OP_ADD && c->op != LEASE_OP_RENEW;
	struct sess_key k = { 0 };
	struct sess *s, tmp;
	struct rad_pkt p;
	enum rad_ident_type t;
	const uint8_t *id;
	char text[256], sid[24];
	uint8_t b[16];
	size_t idlen;
	int n;

	if ((c->origin == LEASE_ORIGIN_HA && !a->peer_updates) ||
	    (c->family != LEASE_FAMILY_V4 && c->family != LEASE_FAMILY_V6))
		return 0;
	if (v4) {
		k = (struct sess_key){ 0, c->u.v4.addr, 4, 32 };
	} else {
		k = (struct sess_key){ c->u.v6.addr.hi, c->u.v6.addr.lo, 6, c->u.v6.prefix_len };
		if (c->u.v6.type != LEASE6_TYPE_PD)
			k.plen = 128;
	}
	s = sess_find(a, &k);
	if (stop && s == NULL) {
		/* the end of a decline's probation: the decline was the Stop */
		if ((v4 ? c->u.v4.state : c->u.v6.state) == STATE_DECLINED)
			return 0;
		/* a session begun before a crash: an id of its own */
		tmp = (struct sess){ .start = now_s, .id = (uint64_t)now_s << 32 | a->sid_counter++ };
		s = &tmp;
	}
	if (c->op == LEASE_OP_ADD || (c->op == LEASE_OP_RENEW && s == NULL)) {
		s = sess_start(a, &k, now_s);
		if (s == NULL)
			return -1;
		*status = RAD_ACCT_START;
	} else {
		*status = stop ? RAD_ACCT_STOP : RAD_ACCT_INTERIM_UPDATE;
	}

	rad_pkt_init(&p, RAD_ACCOUNTING_REQUEST, 0);
	rad_pkt_add_u32(&p, RAD_A_ACCT_STATUS_TYPE, *status);
	snprintf(sid, sizeof(sid), "%016llX", (unsigned long long)s->id);
	rad_pkt_add_str(&p, RAD_A_ACCT_SESSION_ID, sid);
	id = user_id(a, c, &t, &idlen);
	if (idlen && (n = rad_ident_text(&a->io, t, id, idlen, text, sizeof(text))) > 0)
		rad_pkt_add(&p, RAD_A_USER_NAME, text, (size_t)n);
	if (v4 && c->u.v4.hwaddr_len &&
	    (n = rad_ident_mac(&a->io, c->u.v4.hwaddr, c->u.v4.hwaddr_len, text, sizeof(text))) > 0)
		rad_pkt_add(&p, RAD_A_CALLING_STATION_ID, text, (size_t)n);
	if (!v4 && c->u.v6.hwaddr_len &&
	    (n = rad_ident_mac(&a->io, c->u.v6.hwaddr, c->u.v6.hwaddr_len, text, sizeof(text))) > 0)
		rad_pkt_add(&p, RAD_A_CALLING_STATION_ID, text, (size_t)n);
	if (v4) {
		rad_pkt_add_ip4(&p, RAD_A_FRAMED_IP_ADDRESS, c->u.v4.addr);
	} else {
		lease_addr6_store(c->u.v6.addr, b);
		if (c->u.v6.type == LEASE6_TYPE_PD)
			rad_pkt_add_ip6_prefix(&p, RAD_A_DELEGATED_IPV6_PREFIX, b, c->u.v6.prefix_len);
		else
			rad_pkt_add_ip6(&p, RAD_A_FRAMED_IPV6_ADDRESS, b);
	}
	if (a->nas_ip)
		rad_pkt_add_ip4(&p, RAD_A_NAS_IP_ADDRESS, a->nas_ip);
	rad_pkt_add_u32(&p, RAD_A_EVENT_TIMESTAMP, now_s);
	if (*status != RAD_ACCT_START)
		rad_pkt_add_u32(&p, RAD_A_ACCT_SESSION_TIME, now_s >= s->start ? now_s - s->start : 0);
	if (stop)
		rad_pkt_add_u32(&p, RAD_A_ACCT_TERMINATE_CAUSE, terminate_cause(c));
	for (unsigned i = 0; i < a->svc.n_attrs; i++) {
		const struct conf_radius_attr *at = &a->svc.attrs[i];

		if (at->vendor)
			rad_pkt_add_vsa(&p, at->vendor, at->type, at->data, at->len);
		else
			rad_pkt_add(&p, at->type, at->data, at->len);
	}
	if (stop && s != &tmp)
		sess_end(a, s);
	if (p.overflow || (size_t)(p.len - RAD_HDR_LEN) > cap)
		return -1;
	*len = (uint16_t)(p.len - RAD_HDR_LEN);
	memcpy(attrs, p.buf + RAD_HDR_LEN, *len);
	return 1;
}

/* ---- the pass ------------------------------------------------------- */

static void account(struct radius_acct *a, const struct lease_change *c, uint32_t now_s)
{
	uint8_t status, attrs[RAD_ACCTQ_ATTRS_MAX];
	uint16_t len;
	int ret = radius_acct_record(a, c, now_s, &status, attrs, sizeof(attrs), &len);

	count(&a->st.changes, 1);
	if (ret <= 0) {
		count(&a->st.skipped, 1);
		return;
	}
	ret = rad_acctq_append(a->q, status, now_s, attrs, len);
	if (ret == 0)
		count(&a->st.queued, 1);
	else if (ret == -ENOSPC)
		count(&a->st.dropped, 1);
}

/* Every log into the queue.  How many changes. */
static unsigned drain_logs(struct radius_acct *a, uint32_t now_s)
{
	unsigned k, n, i, all = 0;

	for (k = 0; k < a->n_logs; k++) {
		unsigned got = 0;
		struct lease_log_stats ls;
		uint64_t last = 0;

		while (got < READ_MAX &&
		       (n = lease_log_read(a->logs[k], a->cons, a->buf, READ_BATCH)) > 0) {
			for (i = 0; i < n; i++)
				account(a, &a->buf[i], now_s);
			last = a->buf[n - 1].seq;
			got += n;
		}
		if (!got)
			continue;
		lease_log_publish(a->logs[k], a->cons, last);
		lease_log_get_stats(a->logs[k], &ls);
		if (ls.overflow[a->cons] != a->overflow[k]) {
			count(&a->st.lapped, ls.overflow[a->cons] - a->overflow[k]);
			a->overflow[k] = ls.overflow[a->cons];
		}
		all += got;
	}
	return all;
}

static void answered(void *arg, enum rad_result res, const uint8_t *ans, size_t len,
		     unsigned server)
{
	struct out *o = arg;
	struct radius_acct *a = o->a;

	(void)len;
	(void)server;
	if (res == RAD_RES_ANSWER && ans[0] == RAD_ACCOUNTING_RESPONSE) {
		rad_acctq_ack(a->q, o->ticket);
		count(&a->st.answered, 1);
		__atomic_store_n(&a->st.down_since_ms, 0, __ATOMIC_RELAXED);
	} else {
		rad_acctq_fail(a->q, o->ticket);
		count(&a->st.failed, 1);
		if (!a->st.down_since_ms)
			__atomic_store_n(&a->st.down_since_ms, rad_now_ms(), __ATOMIC_RELAXED);
	}
}

/* The next records out, as many as the window lets. */
static unsigned send_some(struct radius_acct *a, uint64_t now_ms, uint32_t now_s)
{
	struct rad_acctq_rec *r = &a->rec;
	unsigned n = 0;

	while (rad_acctq_take(a->q, r) == 1) {
		struct out *o = &a->out[r->ticket % RAD_ACCTQ_WINDOW_MAX];
		struct rad_request req = { .code = RAD_ACCOUNTING_REQUEST, .attrs = r->attrs,
					   .attrs_len = r->len };
		uint8_t delay[6];

		if (now_s > r->event_time && r->len + sizeof(delay) <= sizeof(r->attrs)) {
			/* RFC 2866 5.2: how long the record waited */
			uint32_t d = now_s - r->event_time;

			delay[0] = RAD_A_ACCT_DELAY_TIME;
			delay[1] = sizeof(delay);
			delay[2] = (uint8_t)(d >> 24);
			delay[3] = (uint8_t)(d >> 16);
			delay[4] = (uint8_t)(d >> 8);
			delay[5] = (uint8_t)d;
			memcpy(r->attrs + r->len, delay, sizeof(delay));
			req.attrs_len = (uint16_t)(r->len + sizeof(delay));
		}
		o->a = a;
		o->ticket = r->ticket;
		if (rad_client_send(a->client, &req, answered, o, now_ms) != 0) {
			rad_acctq_fail(a->q, r->ticket);
			break;
		}
		count(&a->st.sent, 1);
		n++;
	}
	return n;
}

unsigned radius_acct_pump(struct radius_acct *a, uint64_t now_ms, uint32_t now_s)
{
	unsigned work = drain_logs(a, now_s);
	struct rad_acctq_stats qs;

	work += rad_client_run(a->client, now_ms);
	work += send_some(a, now_ms, now_s);
	rad_acctq_sync(a->q, now_ms, false);
	rad_acctq_stats(a->q, &qs);
	__atomic_store_n(&a->st.backlog, qs.backlog, __ATOMIC_RELAXED);
	return work;
}

unsigned radius_acct_pollfds(const struct radius_acct *a, struct pollfd *fds, unsigned max)
{
	return rad_client_pollfds(a->client, fds, max);
}

int radius_acct_next_ms(const struct radius_acct *a, uint64_t now_ms)
{
	return rad_client_next_ms(a->client, now_ms);
}

void radius_acct_stats(const struct radius_acct *a, struct radius_acct_stats *out)
{
	const uint64_t *src = (const uint64_t *)&a->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* ---- life ----------------------------------------------------------- */

void radius_client_cfg(const struct conf_radius *r, const struct conf_radius_service *svc,
		       struct rad_client_cfg *cc)
{
	unsigned k;

	memset(cc, 0, sizeof(*cc));
	for (k = 0; k < svc->n_servers && k < RAD_CLIENT_SERVERS_MAX; k++) {
		const struct conf_radius_server *s = &svc->servers[k];

		cc->servers[k] = (struct rad_server_cfg){ .v6 = s->v6, .addr4 = s->addr4,
							  .port = s->port, .secret = s->secret,
							  .name = s->name };
		lease_addr6_store(s->addr6, cc->servers[k].addr6);
	}
	cc->n_servers = k;
	cc->timeout_ms = r->timeout_ms;
	cc->retries = r->retries ? r->retries : 1;
	cc->deadtime_s = r->deadtime;
	cc->bindaddr = r->bindaddr[0] ? r->bindaddr : "*";
}

struct radius_acct *radius_acct_create(const struct radius_acct_params *p)
{
	const struct conf_radius *r = p->r;
	struct rad_client_cfg cc;
	struct rad_acctq_params qp = { 0 };
	struct radius_acct *a;
	unsigned k;
	int c;

	errno = 0;
	if (r == NULL || !r->accounting.enabled)
		return NULL;
	if (p->n_logs > 64 || p->window > RAD_ACCTQ_WINDOW_MAX) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->svc = r->accounting;
	for (k = 0; k < a->svc.n_attrs; k++)
		a->svc.attrs[k].expr4 = a->svc.attrs[k].expr6 = NULL;   /* refused at load anyway */
	snprintf(a->realm, sizeof(a->realm), "%s", r->realm);
	a->io = (struct rad_ident_opts){
		.canonical_mac_address = r->canonical_mac_address, .extract_duid = r->extract_duid,
		.client_id_printable = r->client_id_printable, .client_id_pop0 = r->client_id_pop0,
		.realm = a->realm };
	a->id_type4 = r->identifier_type4;
	a->id_type6 = r->identifier_type6;
	a->peer_updates = r->peer_updates;
	a->nas_ip = p->nas_ip;
	if (getrandom(&a->sid_counter, sizeof(a->sid_counter), GRND_NONBLOCK) != sizeof(a->sid_counter))
		a->sid_counter = (uint32_t)getpid() * 2654435761u;
	snprintf(a->sess_path, sizeof(a->sess_path), "%s.sessions", r->accounting_queue);
	if (sess_grow(a) != 0)
		goto fail;
	/* the queue's directory: made if missing (a fresh machine has none) */
	{
		int e = util_mkdir_parent(r->accounting_queue, 0755);

		if (e) {
			errno = -e;
			goto fail;
		}
	}
	sess_load(a);

	radius_client_cfg(r, &a->svc, &cc);
	a->client = rad_client_create(&cc);
	if (a->client == NULL)
		goto fail;
	qp.path = r->accounting_queue;
	qp.max_records = r->accounting_queue_max;
	qp.window = p->window ? p->window : WINDOW_DEFAULT;
	a->q = rad_acctq_open(&qp);
	if (a->q == NULL)
		goto fail;
	{
		struct rad_acctq_stats qs;

		rad_acctq_stats(a->q, &qs);
		a->st.reloaded = a->st.backlog = qs.backlog;
	}
	/* last: a consumer cannot be taken back out of a log */
	for (k = 0; k < p->n_logs; k++) {
		c = lease_log_consumer_add(p->logs[k], LEASE_LOG_LOSSY, NULL);
		if (c < 0 || (k > 0 && (unsigned)c != a->cons)) {
			errno = c < 0 ? -c : EINVAL;
			goto fail;
		}
		a->cons = (unsigned)c;
		a->logs[k] = p->logs[k];
	}
	a->n_logs = p->n_logs;
	return a;
fail: {
		int e = errno ? errno : ENOMEM;

		rad_client_destroy(a->client);
		rad_acctq_close(a->q);
		free(a->sess);
		free(a);
		errno = e;
		return NULL;
	}
}

void radius_acct_free(struct radius_acct *a)
{
	if (a == NULL)
		return;
	drain_logs(a, (uint32_t)time(NULL));
	/* requests still out are not answered: their records stay queued */
	rad_client_destroy(a->client);
	rad_acctq_close(a->q);
	sess_save(a);
	free(a->sess);
	free(a);
}

const struct rad_client *radius_acct_client(const struct radius_acct *a)
{
	return a->client;
}
