/* The Redis store's schema key, <prefix>peregrine:schema
 * (docs/redis-notes.md), for db-init, db-version and the check before a
 * copy.  The backend's open creates the key when it is missing (a server
 * starts on an empty store); these read it without writing, so that
 * db-version and a copy to a mistyped prefix or database number say so
 * instead of creating a store there.  The connection is the backend's
 * own (rd_connect_db: socket or host:port, AUTH, SELECT or key prefix). */
#include <stdio.h>
#include <string.h>

#include "leasetool.h"
#include "redis_int.h"

extern const struct lease_backend_ops lease_backend_redis_ops;


static redisContext *lt_connect(const struct conf_lease_db *db, char *prefix, size_t plen)
{
	char err[RD_ERR_MAX];
	redisContext *c = rd_connect_db(db, prefix, plen, err, sizeof(err));

	if (c == NULL)
		lt_err("%s", err);
	return c;
}

/* " in database N" when name selects one, else "" (a prefix is in the
 * key's name), for messages. */
static const char *lt_where(const struct conf_lease_db *db, char *buf, size_t len)
{
	size_t n = strlen(db->name);

	if (n == 0 || strspn(db->name, "0123456789") != n)
		return "";
	snprintf(buf, len, " in database %s", db->name);
	return buf;
}

/* What the schema key holds: 1 (*out its value), 0 (no key), -1 (not a
 * string, or the command failed; said). */
static int lt_schema_get(redisContext *c, const char *prefix, char *out, size_t len)
{
	redisReply *r = redisCommand(c, "GET %speregrine:schema", prefix);
	int ret;

	if (r == NULL) {
		lt_err("redis: GET %speregrine:schema: %s", prefix, c->errstr);
		return -1;
	}
	if (r->type == REDIS_REPLY_NIL) {
		ret = 0;
	} else if (r->type == REDIS_REPLY_STRING) {
		snprintf(out, len, "%.*s", (int)r->len, r->str);
		ret = 1;
	} else {
		lt_err("%speregrine:schema is not a string (%s): the schema is unknown", prefix,
		       r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
		ret = -1;
	}
	freeReplyObject(r);
	return ret;
}

/* One of the store's keys, the prefix taken off. */
static bool lt_is_ours(const char *k)
{
	return strcmp(k, "peregrine:schema") == 0 || strcmp(k, "expire4") == 0 ||
	       strcmp(k, "expire6") == 0 || strncmp(k, "lease4:", 7) == 0 ||
	       strncmp(k, "lease6:", 7) == 0 || strncmp(k, "stat4:", 6) == 0 ||
	       strncmp(k, "stat6:", 6) == 0;
}

struct lt_find {
	size_t plen;                   /* the key prefix's */
	char *found;
	size_t len;
};

static int lt_find_page(redisContext *c, const redisReply *keys, void *arg)
{
	struct lt_find *x = arg;

	(void)c;
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (k->type == REDIS_REPLY_STRING && k->len > x->plen && strlen(k->str) == k->len &&
		    lt_is_ours(k->str + x->plen)) {
			snprintf(x->found, x->len, "%s", k->str);
			return 1;
		}
	}
	return 0;
}

/* The first of the store's keys under the prefix into found ("" when
 * there is none): 0, or -1 (said). */
static int lt_find_ours(redisContext *c, const char *prefix, char *found, size_t len)
{
	struct lt_find x = { strlen(prefix), found, len };
	char err[RD_ERR_MAX];

	found[0] = '\0';
	if (rd_scan(c, prefix, "", lt_find_page, &x, err, sizeof(err)) < 0) {
		lt_err("%s", err);
		return -1;
	}
	return 0;
}

int lt_redis_init(const struct conf_lease_db *db)
{
	char prefix[RD_PREFIX_MAX], val[80], found[512];
	redisContext *c = lt_connect(db, prefix, sizeof(prefix));
	redisReply *r;
	int ret = 1, have;

	if (c == NULL)
		return 1;
	have = lt_schema_get(c, prefix, val, sizeof(val));
	if (have < 0)
		goto out;
	if (have) {
		lt_err("db-init: this store is already initialised (%speregrine:schema is '%s'); "
		       "nothing was changed", prefix, val);
		goto out;
	}
	if (lt_find_ours(c, prefix, found, sizeof(found)))
		goto out;
	if (found[0]) {
		lt_err("db-init: this store already holds lease data (key '%s') without a schema key; "
		       "nothing was changed", found);
		goto out;
	}
	r = redisCommand(c, "SET %speregrine:schema %s NX", prefix, RD_SCHEMA);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		lt_err("redis: SET %speregrine:schema: %s", prefix, r ? r->str : c->errstr);
	} else if (r->type == REDIS_REPLY_NIL) {
		lt_err("db-init: %speregrine:schema appeared meanwhile (another db-init or a server); "
		       "nothing was changed", prefix);
	} else {
		printf("%speregrine:schema = %s\n", prefix, RD_SCHEMA);
		ret = 0;
	}
	freeReplyObject(r);
out:
	redisFree(c);
	return ret;
}

/* The schema key on a connection of its own: lt_schema_get's answer, or
 * -1 when the connection failed (said). */
static int lt_schema_read(const struct conf_lease_db *db, char *prefix, char *val, size_t len)
{
	redisContext *c = lt_connect(db, prefix, RD_PREFIX_MAX);
	int have;

	if (c == NULL)
		return -1;
	have = lt_schema_get(c, prefix, val, len);
	redisFree(c);
	return have;
}

int lt_redis_version(const struct conf_lease_db *db)
{
	char prefix[RD_PREFIX_MAX], val[80], w[64];
	int have = lt_schema_read(db, prefix, val, sizeof(val)), ret = 1;

	if (have == 0) {
		lt_err("no schema: %speregrine:schema does not exist%s (an empty store: run db-init, or "
		       "check -n)", prefix, lt_where(db, w, sizeof(w)));
	} else if (have > 0) {
		printf("%s\n", val);
		if (strcmp(val, RD_SCHEMA) != 0)
			lt_err("schema '%s' is unknown to this Peregrine, which reads and writes schema %s",
			       val, RD_SCHEMA);
		ret = 0;
	}
	return ret;
}

int lt_redis_need_schema(const struct conf_lease_db *db)
{
	char prefix[RD_PREFIX_MAX], val[80], w[64];
	int have = lt_schema_read(db, prefix, val, sizeof(val)), ret = 1;

	if (have == 0)
		lt_err("no schema: %speregrine:schema does not exist%s (run db-init first, or check -n)",
		       prefix, lt_where(db, w, sizeof(w)));
	else if (have > 0 && strcmp(val, RD_SCHEMA) != 0)
		lt_err("%speregrine:schema is '%s', this Peregrine reads and writes schema %s", prefix, val,
		       RD_SCHEMA);
	else if (have > 0)
		ret = 0;
	return ret;
}

const char *lt_redis_last_error(const struct lease_backend_ops *ops, struct lease_backend *be)
{
	return ops == &lease_backend_redis_ops && be ? be->last_err : "";
}
