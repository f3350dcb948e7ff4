/* load and load6: SCAN over <prefix>lease4:* (lease6:*) in pages, the
 * page's hashes read with pipelined HGETALLs (one round trip a page).
 * A hash that does not read (a field missing or out of range, a value
 * that is not ours) is skipped and counted in bad_lines: bad data in the
 * store never stops a start. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_int.h"


/* The value of field f in a flat (field, value, ...) reply, or NULL. */
static const redisReply *rd_field(const redisReply *h, const char *f)
{
	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *k = h->element[i];

		if (k->type == REDIS_REPLY_STRING && strlen(f) == k->len && memcmp(k->str, f, k->len) == 0)
			return h->element[i + 1]->type == REDIS_REPLY_STRING ? h->element[i + 1] : NULL;
	}
	return NULL;
}

static int rd_u32(const redisReply *h, const char *f, uint32_t max, uint32_t *v)
{
	const redisReply *x = rd_field(h, f);
	unsigned long long n;
	char *end;

	if (x == NULL || x->len == 0 || x->len > 10 || x->str[0] < '0' || x->str[0] > '9')
		return -1;
	n = strtoull(x->str, &end, 10);
	if (*end || n > max)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* Hex, as this server writes it, or with ':' / '-' between the bytes
 * (how most tools print a hardware address). */
static int rd_bytes(const redisReply *h, const char *f, uint8_t *out, size_t max, uint8_t *len)
{
	const redisReply *x = rd_field(h, f);
	char plain[2 * 255];
	size_t k = 0;
	int n;

	if (x == NULL)
		return -1;
	if (memchr(x->str, ':', x->len) || memchr(x->str, '-', x->len)) {
		for (size_t i = 0; i < x->len; i++) {
			char c = x->str[i];

			if (c == ':' || c == '-') {
				/* one separator after each whole byte */
				if (k == 0 || k % 2 || i + 1 == x->len)
					return -1;
				continue;
			}
			if (k == sizeof(plain))
				return -1;
			plain[k++] = c;
		}
		n = lease_unhex(plain, k, out, max);
	} else {
		n = lease_unhex(x->str, x->len, out, max);
	}
	if (n < 0)
		return -1;
	*len = (uint8_t)n;
	return 0;
}

static int rd_hostname(const redisReply *h, char *out, uint8_t *len)
{
	const redisReply *x = rd_field(h, "hostname");

	if (x == NULL || x->len > 63 || memchr(x->str, '\0', x->len))
		return -1;
	memcpy(out, x->str, x->len);
	out[x->len] = '\0';
	*len = (uint8_t)x->len;
	return 0;
}

int rd_hash_to_rec4(const char *addr, const redisReply *h, struct lease_rec *r)
{
	struct in_addr in;
	uint32_t v[4];

	memset(r, 0, sizeof(*r));
	if (h == NULL || h->type != REDIS_REPLY_ARRAY || inet_pton(AF_INET, addr, &in) != 1)
		return -EINVAL;
	r->addr = ntohl(in.s_addr);
	if (rd_bytes(h, "hwaddr", r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len) ||
	    rd_bytes(h, "client_id", r->cid, sizeof(r->cid), &r->cid_len) ||
	    rd_u32(h, "valid_lifetime", UINT32_MAX, &r->valid_lft) ||
	    rd_u32(h, "expire", UINT32_MAX, &r->expire) ||
	    rd_u32(h, "subnet_id", UINT32_MAX, &r->subnet_id) ||
	    rd_u32(h, "fqdn_fwd", 1, &v[0]) || rd_u32(h, "fqdn_rev", 1, &v[1]) ||
	    rd_u32(h, "state", 2, &v[2]) || rd_hostname(h, r->hostname, &r->hostname_len))
		return -EINVAL;
	r->fqdn_fwd = (uint8_t)v[0];
	r->fqdn_rev = (uint8_t)v[1];
	r->state = (uint8_t)v[2];
	r->htype = r->hwaddr_len ? 1 : 0;
	return 0;
}

int rd_hash_to_rec6(const char *addr, const redisReply *h, struct lease6_rec *r)
{
	uint8_t b[16];
	uint32_t v[7];

	memset(r, 0, sizeof(*r));
	if (h == NULL || h->type != REDIS_REPLY_ARRAY || inet_pton(AF_INET6, addr, b) != 1)
		return -EINVAL;
	r->addr = lease_addr6_load(b);
	if (rd_bytes(h, "duid", r->duid, sizeof(r->duid), &r->duid_len) ||
	    rd_u32(h, "iaid", UINT32_MAX, &r->iaid) ||
	    rd_u32(h, "lease_type", 2, &v[0]) || rd_u32(h, "prefix_len", 128, &v[1]) ||
	    rd_u32(h, "pref_lifetime", UINT32_MAX, &r->pref_lft) ||
	    rd_u32(h, "valid_lifetime", UINT32_MAX, &r->valid_lft) ||
	    rd_u32(h, "expire", UINT32_MAX, &r->expire) ||
	    rd_u32(h, "subnet_id", UINT32_MAX, &r->subnet_id) ||
	    rd_u32(h, "fqdn_fwd", 1, &v[2]) || rd_u32(h, "fqdn_rev", 1, &v[3]) ||
	    rd_hostname(h, r->hostname, &r->hostname_len) ||
	    rd_bytes(h, "hwaddr", r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len) ||
	    rd_u32(h, "hwtype", UINT16_MAX, &v[4]) ||
	    rd_u32(h, "hwaddr_source", UINT32_MAX, &r->hwaddr_source) ||
	    rd_u32(h, "state", 2, &v[5]))
		return -EINVAL;
	r->type = (uint8_t)v[0];
	r->prefix_len = (uint8_t)v[1];
	r->fqdn_fwd = (uint8_t)v[2];
	r->fqdn_rev = (uint8_t)v[3];
	r->hwtype = (uint16_t)v[4];
	r->state = (uint8_t)v[5];
	if (r->duid_len == 0 && r->state != LEASE_STATE_DECLINED)
		return -EINVAL;
	return 0;
}

int rd_scan(redisContext *c, const char *prefix, const char *what,
	    int (*page)(redisContext *c, const redisReply *keys, void *arg), void *arg,
	    char *err, size_t errlen)
{
	char pat[2 * RD_PREFIX_MAX + 32], cursor[32] = "0";
	size_t o = 0;
	int ret = 0;

	/* SCAN's MATCH is a glob: the prefix's own glob characters escaped */
	for (; *prefix && o + 3 < sizeof(pat); prefix++) {
		if (strchr("*?[]\\", *prefix))
			pat[o++] = '\\';
		pat[o++] = *prefix;
	}
	snprintf(pat + o, sizeof(pat) - o, "%s*", what);
	do {
		redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT %d", cursor, pat, RD_SCAN_COUNT);

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
			snprintf(err, errlen, "redis: SCAN: %s", r == NULL ? c->errstr :
				 r->type == REDIS_REPLY_ERROR ? r->str : "bad answer");
			ret = r ? -EPROTO : -EIO;
			freeReplyObject(r);
			return ret;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		ret = page(c, r->element[1], arg);
		freeReplyObject(r);
	} while (ret == 0 && strcmp(cursor, "0") != 0);
	return ret;
}

struct rd_load_ctx {
	struct lease_backend *be;
	int fam;
	size_t skip;                   /* prefix + "lease4:" */
	int (*cb4)(const struct lease_rec *, void *);
	int (*cb6)(const struct lease6_rec *, void *);
	void *arg;
};

/* One page of lease keys: their hashes read with pipelined HGETALLs (one
 * round trip), each handed to the callback. */
static int rd_load_page(redisContext *c, const redisReply *keys, void *arg)
{
	struct rd_load_ctx *x = arg;
	struct lease_backend *be = x->be;
	redisReply *h;
	int ret = 0;

	for (size_t i = 0; i < keys->elements; i++)
		if (keys->element[i]->type == REDIS_REPLY_STRING)
			redisAppendCommand(c, "HGETALL %b", keys->element[i]->str, keys->element[i]->len);
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		char addr[64];
		int rc = -EINVAL;

		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (redisGetReply(c, (void **)&h) != REDIS_OK) {
			snprintf(be->last_err, sizeof(be->last_err), "redis: HGETALL: %s", c->errstr);
			return -EIO;
		}
		if (k->len > x->skip && k->len - x->skip < sizeof(addr) && h->type == REDIS_REPLY_ARRAY &&
		    h->elements) {
			memcpy(addr, k->str + x->skip, k->len - x->skip);
			addr[k->len - x->skip] = '\0';
			if (x->fam) {
				struct lease6_rec r;

				rc = rd_hash_to_rec6(addr, h, &r);
				if (rc == 0)
					ret = x->cb6(&r, x->arg);
			} else {
				struct lease_rec r;

				rc = rd_hash_to_rec4(addr, h, &r);
				if (rc == 0)
					ret = x->cb4(&r, x->arg);
			}
		}
		freeReplyObject(h);
		if (rc)
			RD_STAT_ADD(be, bad_lines, 1);
		else
			RD_STAT_ADD(be, loaded, 1);
		if (ret) {
			/* drain the page's other answers before giving up */
			for (size_t j = i + 1; j < keys->elements; j++)
				if (keys->element[j]->type == REDIS_REPLY_STRING &&
				    redisGetReply(c, (void **)&h) == REDIS_OK)
					freeReplyObject(h);
			return ret;
		}
	}
	return 0;
}

static int rd_load_fam(struct lease_backend *be, int fam, int (*cb4)(const struct lease_rec *, void *),
		       int (*cb6)(const struct lease6_rec *, void *), void *arg)
{
	struct rd_load_ctx x = { be, fam, strlen(be->prefix) + 7, cb4, cb6, arg };
	int ret;

	if (be->c && be->c->err)
		rd_disconnect(be);
	if (be->c == NULL && (ret = rd_connect(be, be->last_err, sizeof(be->last_err))) != 0)
		return ret;
	ret = rd_scan(be->c, be->prefix, fam ? "lease6:" : "lease4:", rd_load_page, &x,
		      be->last_err, sizeof(be->last_err));
	if (ret == -EIO)
		rd_disconnect(be);
	return ret;
}

int rd_load4(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg)
{
	return be == NULL || cb == NULL ? -EINVAL : rd_load_fam(be, 0, cb, NULL, arg);
}

int rd_load6(struct lease_backend *be, int (*cb)(const struct lease6_rec *r, void *arg), void *arg)
{
	return be == NULL || cb == NULL ? -EINVAL : rd_load_fam(be, 1, NULL, cb, arg);
}
