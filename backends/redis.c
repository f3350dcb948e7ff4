/* redis: leases in a Redis server (issue 15), one hash per lease, so
 * several Peregrine servers can share one store.  One connection, used
 * only by the write-behind thread (and by main before the workers start,
 * for load); the counts have a connection of their own.
 *
 * This file: the connection (unix socket when host starts with '/',
 * else host:port, or the primary the sentinels name, checked with ROLE;
 * AUTH; SELECT when name is a number, else name is a key prefix), the
 * schema key, the ops table, the statistics, the refusals and the
 * counts.  Every connect asks the sentinels again, so the flusher's
 * reconnect follows a failover.  Keys and values: docs/redis-notes.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "redis_int.h"

static bool rd_is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One command that must answer OK (or any non-error): 0, or -EIO / -EACCES
 * with why set to "WHAT: the server's error" (never the arguments: AUTH's
 * password must not reach a log). */
static int rd_simple(redisContext *c, char *why, size_t wlen, const char *what,
		     const char *fmt, ...)
{
	redisReply *r;
	va_list ap;
	int ret = 0;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		snprintf(why, wlen, "%s: %s", what, c->errstr[0] ? c->errstr : "no answer");
		return -EIO;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, wlen, "%s: %.*s", what, (int)r->len, r->str);
		ret = -EACCES;
	}
	freeReplyObject(r);
	return ret;
}

/* A connection to a unix socket path (port < 0) or host:port within tv,
 * its commands then bounded by io; NULL with why set. */
static redisContext *rd_dial(const char *host, int port, struct timeval tv, struct timeval io,
			     char *why, size_t wlen)
{
	redisContext *c = port < 0 ? redisConnectUnixWithTimeout(host, tv)
				   : redisConnectWithTimeout(host, port, tv);

	if (c == NULL) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	if (c->err) {
		snprintf(why, wlen, "%s", c->errstr);
		goto fail;
	}
	if (redisSetTimeout(c, io) != REDIS_OK) {
		snprintf(why, wlen, "setting the I/O timeout: %s", c->errstr);
		goto fail;
	}
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* AUTH when a password is configured: 0 or -errno with why set. */
static int rd_auth(redisContext *c, const struct conf_lease_db *db, char *why, size_t wlen)
{
	if (db->password[0] == '\0')
		return 0;
	return db->user[0] ? rd_simple(c, why, wlen, "AUTH", "AUTH %s %s", db->user, db->password)
			   : rd_simple(c, why, wlen, "AUTH", "AUTH %s", db->password);
}

bool rd_is_primary(redisContext *c, char *why, size_t wlen)
{
	redisReply *r = redisCommand(c, "ROLE");
	bool ok = false;

	if (r == NULL)
		snprintf(why, wlen, "ROLE: %s", c->errstr[0] ? c->errstr : "no answer");
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(why, wlen, "ROLE: %.*s", (int)r->len, r->str);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
		 r->element[0]->type != REDIS_REPLY_STRING)
		snprintf(why, wlen, "ROLE: not an array");
	else if (strcmp(r->element[0]->str, "master") != 0)
		snprintf(why, wlen, "ROLE says '%.*s', not master (a stale answer during a failover?)",
			 (int)(r->element[0]->len > 16 ? 16 : r->element[0]->len), r->element[0]->str);
	else
		ok = true;
	freeReplyObject(r);
	return ok;
}

/* "host:port" or "[v6 address]:port" (conf.c checked the port). */
static int rd_split_hostport(const char *s, char *host, size_t hlen, int *port)
{
	const char *colon = strrchr(s, ':');
	size_t n;

	if (colon == NULL)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= hlen)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = atoi(colon + 1);
	return *port > 0 && *port < 65536 ? 0 : -EINVAL;
}

/* Asks sentinel i for the primary's address: 0 with host/port, else why. */
static int rd_sentinel_ask(const struct conf_lease_db *db, unsigned i, const char *master,
			   struct timeval tv, char *host, size_t hlen, int *port, char *why, size_t wlen)
{
	char shost[128];
	int sport, ret = -EIO;
	redisContext *s;
	redisReply *r;

	if (rd_split_hostport(db->sentinels[i], shost, sizeof(shost), &sport)) {
		snprintf(why, wlen, "not host:port");
		return -EINVAL;
	}
	/* a sentinel answers at once or not at all: bounded by connect-timeout */
	s = rd_dial(shost, sport, tv, tv, why, wlen);
	if (s == NULL)
		return -ECONNREFUSED;
	/* a sentinel with requirepass (the password never reaches why) */
	if (db->sentinel_password[0] &&
	    rd_simple(s, why, wlen, "AUTH", "AUTH %s", db->sentinel_password)) {
		redisFree(s);
		return -EACCES;
	}
	r = redisCommand(s, "SENTINEL get-master-addr-by-name %s", master);
	if (r == NULL)
		snprintf(why, wlen, "SENTINEL: %s", s->errstr[0] ? s->errstr : "no answer");
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(why, wlen, "SENTINEL: %.*s", (int)r->len, r->str);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		 r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
		snprintf(why, wlen, "does not know a primary named '%s'", master);
	else if (r->element[0]->len >= hlen || (*port = atoi(r->element[1]->str)) <= 0 || *port > 65535)
		snprintf(why, wlen, "a bad address for '%s'", master);
	else {
		memcpy(host, r->element[0]->str, r->element[0]->len + 1);
		ret = 0;
	}
	freeReplyObject(r);
	redisFree(s);
	return ret;
}

/* Each sentinel in turn: the primary it names, connected, authenticated
 * and saying ROLE master.  NULL with err naming every sentinel tried and
 * why it did not lead to a primary. */
static redisContext *rd_sentinel_primary(const struct conf_lease_db *db, struct timeval tv,
					 struct timeval io, char *err, size_t errlen)
{
	const char *master = db->sentinel_master[0] ? db->sentinel_master : "mymaster";
	size_t off;
	int n;

	n = snprintf(err, errlen, "redis: no primary '%s' from the sentinels:", master);
	off = n > 0 && (size_t)n < errlen ? (size_t)n : 0;
	for (unsigned i = 0; i < db->n_sentinels && i < CONF_REDIS_SENTINELS_MAX; i++) {
		char host[64], why[256];
		redisContext *c = NULL;
		int port;

		if (rd_sentinel_ask(db, i, master, tv, host, sizeof(host), &port, why, sizeof(why)) == 0) {
			char pwhy[160];

			c = rd_dial(host, port, tv, io, pwhy, sizeof(pwhy));
			if (c && (rd_auth(c, db, pwhy, sizeof(pwhy)) || !rd_is_primary(c, pwhy, sizeof(pwhy)))) {
				redisFree(c);
				c = NULL;
			}
			if (c)
				return c;
			snprintf(why, sizeof(why), "primary %s port %d: %s", host, port, pwhy);
		}
		n = snprintf(err + off, errlen - off, "%s %s: %s", i ? ";" : "", db->sentinels[i], why);
		if (n > 0 && off + (size_t)n < errlen)
			off += (size_t)n;
	}
	if (db->n_sentinels == 0)
		snprintf(err + off, errlen - off, " none listed");
	return NULL;
}

redisContext *rd_connect_db(const struct conf_lease_db *db, char *prefix, size_t plen,
			    char *err, size_t errlen)
{
	return rd_connect_db_io(db, prefix, plen, 0, err, errlen);
}

redisContext *rd_connect_db_io(const struct conf_lease_db *db, char *prefix, size_t plen,
			       unsigned io_s, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = db->connect_timeout ? db->connect_timeout : 5 };
	/* a sync's WAIT may take wait-timeout before it answers */
	struct timeval io = {
		.tv_sec = io_s ? io_s
			       : RD_IO_TIMEOUT_S + (db->wait_replicas ? db->wait_timeout_ms / 1000 : 0),
	};
	bool unix_sock = db->socket[0] || db->host[0] == '/';
	const char *host = db->socket[0] ? db->socket : db->host[0] ? db->host : "127.0.0.1";
	char why[RD_ERR_MAX - 64];
	redisContext *c;
	long port = -1;
	char *end;

	if (db->n_sentinels) {
		c = rd_sentinel_primary(db, tv, io, err, errlen);
		if (c == NULL)
			return NULL;
	} else {
		if (!unix_sock) {
			errno = 0;
			port = db->port[0] ? strtol(db->port, &end, 10) : 6379;
			if (errno || (db->port[0] && *end) || port < 1 || port > 65535) {
				snprintf(err, errlen, "redis: bad port '%s'", db->port);
				return NULL;
			}
		}
		c = rd_dial(host, (int)port, tv, io, why, sizeof(why));
		if (c == NULL) {
			snprintf(err, errlen, "redis: connecting to %s%s%s: %s", host,
				 unix_sock ? "" : " port ", unix_sock ? "" : (db->port[0] ? db->port : "6379"),
				 why);
			return NULL;
		}
		if (rd_auth(c, db, why, sizeof(why))) {
			snprintf(err, errlen, "redis: %s", why);
			goto fail;
		}
	}
	prefix[0] = '\0';
	if (rd_is_number(db->name)) {
		if (rd_simple(c, why, sizeof(why), "SELECT", "SELECT %s", db->name)) {
			snprintf(err, errlen, "redis: %s", why);
			goto fail;
		}
	} else if (db->name[0]) {
		if (strlen(db->name) + 2 > plen) {
			snprintf(err, errlen, "redis: key prefix '%s' too long", db->name);
			goto fail;
		}
		snprintf(prefix, plen, "%s:", db->name);
	}
	return c;
fail:
	redisFree(c);
	return NULL;
}

void rd_disconnect(struct lease_backend *be)
{
	if (be->c) {
		redisFree(be->c);
		be->c = NULL;
	}
	RD_STAT_SET(be, connected, 0);
}

/* <prefix>peregrine:schema: created (SET NX) when missing, must say 1. */
static int rd_check_schema(struct lease_backend *be, char *err, size_t errlen)
{
	redisReply *r = redisCommand(be->c, "SET %speregrine:schema %s NX", be->prefix, RD_SCHEMA);
	int ret = 0;

	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: creating the schema key: %s",
			 r ? r->str : be->c->errstr);
		ret = -EIO;
		goto out;
	}
	freeReplyObject(r);
	r = redisCommand(be->c, "GET %speregrine:schema", be->prefix);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: reading the schema key: %s", r ? r->str : be->c->errstr);
		ret = -EIO;
	} else if (r->type != REDIS_REPLY_STRING || strcmp(r->str, RD_SCHEMA) != 0) {
		snprintf(err, errlen, "redis: %speregrine:schema holds '%.*s': this store was written by "
			 "another version of the lease schema (this Peregrine reads and writes schema %s)",
			 be->prefix, r->type == REDIS_REPLY_STRING ? (int)(r->len > 64 ? 64 : r->len) : 0,
			 r->type == REDIS_REPLY_STRING ? r->str : "", RD_SCHEMA);
		ret = -EPROTO;
	}
out:
	freeReplyObject(r);
	return ret;
}

int rd_connect(struct lease_backend *be, char *err, size_t errlen)
{
	int ret;

	rd_disconnect(be);
	be->c = rd_connect_db(&be->db, be->prefix, sizeof(be->prefix), err, errlen);
	if (be->c == NULL) {
		ret = -ECONNREFUSED;
		goto fail;
	}
	ret = rd_check_schema(be, err, errlen);
	if (ret)
		goto fail;
	/* loaded before any sync, so that a MULTI never meets NOSCRIPT on a
	 * server it has not met yet (a new primary after a failover) */
	ret = rd_load_script(be, err, errlen);
	if (ret)
		goto fail;
	be->gen++;
	rd_claims_channel(be);
	if (be->was_connected)
		RD_STAT_ADD(be, reconnects, 1);
	be->was_connected = true;
	RD_STAT_SET(be, connected, 1);
	return 0;
fail:
	if (err != be->last_err)
		snprintf(be->last_err, sizeof(be->last_err), "%s", err);
	rd_disconnect(be);
	return ret;
}

static void rd_close(struct lease_backend *be);

static struct lease_backend *rd_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	struct lease_backend *be;
	int ret;

	if (db == NULL) {
		snprintf(err, errlen, "redis: no lease-database");
		errno = EINVAL;
		return NULL;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL) {
		snprintf(err, errlen, "redis: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	be->db = *db;
	be->pend[0].size = sizeof(struct lease_rec);
	be->pend[1].size = sizeof(struct lease6_rec);
	ret = rd_claims_init(be);
	if (ret) {
		snprintf(err, errlen, "redis: no random server id: %s", strerror(-ret));
		rd_close(be);
		errno = -ret;
		return NULL;
	}
	ret = rd_connect(be, err, errlen);
	if (ret) {
		rd_close(be);
		errno = -ret;
		return NULL;
	}
	return be;
}

static int rd_ping(struct lease_backend *be)
{
	redisReply *r;
	int ret;

	if (be == NULL)
		return -EINVAL;
	if (be->c && be->c->err)
		rd_disconnect(be);
	if (be->c == NULL && (ret = rd_connect(be, be->last_err, sizeof(be->last_err))) != 0)
		return ret;
	/* after a failover the old primary may answer PING as a replica:
	 * with sentinels the store is up only while it is the primary */
	if (be->db.n_sentinels) {
		char why[RD_ERR_MAX - 16];

		if (rd_is_primary(be->c, why, sizeof(why)))
			return 0;
		snprintf(be->last_err, sizeof(be->last_err), "redis: %s", why);
		rd_disconnect(be);
		return -EIO;
	}
	r = redisCommand(be->c, "PING");
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(be->last_err, sizeof(be->last_err), "redis: PING: %s",
			 r ? r->str : be->c->errstr);
		freeReplyObject(r);
		rd_disconnect(be);
		return -EIO;
	}
	freeReplyObject(r);
	return 0;
}

static unsigned rd_refused(struct lease_backend *be, struct lease_refusal *out, unsigned max)
{
	if (be == NULL || out == NULL)
		return 0;
	return lease_refusals_take(&be->ref, out, max);
}

static const char *rd_last_error(struct lease_backend *be)
{
	return be->last_err;
}

static void rd_get_stats(struct lease_backend *be, struct lease_backend_stats *s)
{
	lease_backend_stats_read(&be->st, s);
}

static void rd_close(struct lease_backend *be)
{
	if (be == NULL)
		return;
	rd_claims_free(be);
	rd_disconnect(be);
	rd_sync_free(be);
	lease_refusals_free(&be->ref);
	memset(be->db.password, 0, sizeof(be->db.password));
	free(be);
}

/* ---- counts: the stat4:/stat6: keys, on a connection of their own ---- */

struct rd_counts {
	struct conf_lease_db db;
	redisContext *c;
	char prefix[RD_PREFIX_MAX];
};

static struct lease_counts *rd_counts_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	struct rd_counts *rc = calloc(1, sizeof(*rc));

	if (rc == NULL) {
		snprintf(err, errlen, "redis: out of memory");
		return NULL;
	}
	rc->db = *db;
	rc->c = rd_connect_db_io(db, rc->prefix, sizeof(rc->prefix), RD_COUNTS_IO_S, err, errlen);
	if (rc->c == NULL) {
		free(rc);
		return NULL;
	}
	return (struct lease_counts *)rc;
}

/* "stat4:<subnet>:<state>" or "stat6:<subnet>:<type>:<state>" after the prefix. */
static bool rd_count_key(const char *k, struct lease_count *row)
{
	unsigned long sub, a, b = 0;
	int n = 0;

	if (strncmp(k, "stat4:", 6) == 0) {
		if (sscanf(k + 6, "%lu:%lu%n", &sub, &a, &n) != 2 || k[6 + n] != '\0')
			return false;
		row->family = 4;
		row->type = 0;
		row->state = (uint8_t)a;
	} else if (strncmp(k, "stat6:", 6) == 0) {
		if (sscanf(k + 6, "%lu:%lu:%lu%n", &sub, &a, &b, &n) != 3 || k[6 + n] != '\0' || a > 2)
			return false;
		row->family = 6;
		row->type = (uint8_t)a;
		row->state = (uint8_t)b;
	} else {
		return false;
	}
	if (sub > UINT32_MAX || row->state > 1)
		return false;
	row->subnet_id = (uint32_t)sub;
	return true;
}

struct rd_counts_acc {
	size_t plen;                   /* the key prefix's */
	struct lease_count *out;
	size_t cnt, cap;
};

/* One page of counter keys: each that reads as a count becomes a row. */
static int rd_counts_page(redisContext *c, const redisReply *keys, void *arg)
{
	struct rd_counts_acc *x = arg;

	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		struct lease_count row, *grown;
		redisReply *v;
		long long val;
		char *end;
		bool bad;

		if (k->type != REDIS_REPLY_STRING || k->len <= x->plen ||
		    !rd_count_key(k->str + x->plen, &row))
			continue;
		v = redisCommand(c, "GET %b", k->str, k->len);
		if (v == NULL)
			return -EIO;
		if (v->type != REDIS_REPLY_STRING) {
			freeReplyObject(v);
			continue;
		}
		val = strtoll(v->str, &end, 10);
		bad = v->len == 0 || *end != '\0';
		freeReplyObject(v);
		if (bad)
			continue;
		row.leases = val;
		if (x->cnt == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 16;
			grown = realloc(x->out, x->cap * sizeof(*x->out));
			if (grown == NULL)
				return -ENOMEM;
			x->out = grown;
		}
		x->out[x->cnt++] = row;
	}
	return 0;
}

static int rd_counts_read(struct lease_counts *lc, struct lease_count **rows, size_t *n)
{
	struct rd_counts *rc = (struct rd_counts *)lc;
	struct rd_counts_acc x = { 0 };
	char err[RD_ERR_MAX];
	int ret;

	*rows = NULL;
	*n = 0;
	if (rc->c && rc->c->err) {
		redisFree(rc->c);
		rc->c = NULL;
	}
	if (rc->c == NULL) {
		rc->c = rd_connect_db_io(&rc->db, rc->prefix, sizeof(rc->prefix), RD_COUNTS_IO_S, err,
					 sizeof(err));
		if (rc->c == NULL)
			return -ECONNREFUSED;
	}
	x.plen = strlen(rc->prefix);
	ret = rd_scan(rc->c, rc->prefix, "stat[46]:", rd_counts_page, &x, err, sizeof(err));
	if (ret) {
		free(x.out);
		if (ret == -ENOMEM)
			return ret;
		redisFree(rc->c);
		rc->c = NULL;
		return -EIO;
	}
	*rows = x.out;
	*n = x.cnt;
	return 0;
}

static void rd_counts_close(struct lease_counts *lc)
{
	struct rd_counts *rc = (struct rd_counts *)lc;

	if (rc == NULL)
		return;
	if (rc->c)
		redisFree(rc->c);
	memset(rc->db.password, 0, sizeof(rc->db.password));
	free(rc);
}

const struct lease_backend_ops lease_backend_redis_ops = {
	.name = "redis",
	.open = rd_open,
	.load = rd_load4,
	.append = rd_append4,
	.load6 = rd_load6,
	.append6 = rd_append6,
	.sync = rd_sync,
	.compact = NULL,               /* one hash per address: nothing to compact */
	.close = rd_close,
	.get_stats = rd_get_stats,
	.last_error = rd_last_error,
	.refused = rd_refused,
	.learnt = rd_learnt,
	.ping = rd_ping,
	.discard = rd_discard,
	.counts_open = rd_counts_open,
	.counts_read = rd_counts_read,
	.counts_close = rd_counts_close,
};
