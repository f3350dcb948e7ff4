/* A worker's side of the access-cache messages (DP_MSG_ACACHE_*, dp.h):
 * Kea's host-cache commands (engine/ctl/ctl_cmd_cache.c) on the cache of
 * RADIUS answers the worker owns (access_cache.h).  Run on the worker's
 * thread only, from its message handler (worker.c); inline here so that a
 * unit test's fake worker runs the same code on a real cache.
 *
 * Each message's time on the lcore is bounded: a GET copies at most
 * m->cap (<= DP_ACACHE_PAGE) entries after walking past at most m->askip
 * older ones; the control side bounds askip by the most it lists. */
#pragma once
#include <errno.h>
#include <string.h>
#include "access_cache.h"
#include "dp.h"

static inline void dp_acache_copy(struct dp_acache_entry *o, const struct access_entry_view *v)
{
	o->key.type = v->type;
	o->key.len = v->len;
	memcpy(o->key.id, v->id, v->len);
	o->expire = v->expire;
	o->a = *v->a;
}

/* A GET page's walk.  The cursor is the count of entries already listed
 * (askip) and the last of them (akey): the page starts right after that
 * entry when it is met within askip entries, so entries dropped before it
 * meanwhile (expiry, eviction, cache-remove) shift nothing out of the
 * listing.  When it is not met it was refreshed (now the newest) or
 * dropped itself: the page starts one before askip. */
struct dp_acache_page {
	struct dp_msg *m;
	uint32_t walked;
	bool started;
};

static inline bool dp_acache_page_one(void *arg, const struct access_entry_view *v)
{
	struct dp_acache_page *p = arg;
	struct dp_msg *m = p->m;

	if (!p->started) {
		if (v->type == m->akey.type && v->len == m->akey.len &&
		    !memcmp(v->id, m->akey.id, v->len)) {
			p->started = true;
			return true;
		}
		if (++p->walked < m->askip)
			return true;
		p->started = true;
	}
	dp_acache_copy(&m->aout[m->n++], v);
	return m->n < m->cap;
}

/* c: the worker's cache, NULL without one (no RADIUS: an empty cache). */
static inline void dp_acache_msg(struct access_cache *c, struct dp_msg *m)
{
	struct dp_acache_page page = { m, 0, m->askip == 0 };
	struct access_entry_view v;

	m->ret = 0;
	m->n = 0;
	m->matched = c ? access_cache_size(c) : 0;
	if (!c)
		return;
	switch (m->kind) {
	case DP_MSG_ACACHE_GET:
		if (!m->cap)
			break;
		if (!m->akey_set)
			access_cache_walk(c, dp_acache_page_one, &page);
		else if (access_cache_find(c, m->akey.type, m->akey.id, m->akey.len, &v))
			dp_acache_copy(&m->aout[m->n++], &v);
		break;
	case DP_MSG_ACACHE_REMOVE:
		m->matched = access_cache_remove(c, m->akey.type, m->akey.id, m->akey.len);
		break;
	case DP_MSG_ACACHE_CLEAR:
		access_cache_clear(c);
		break;
	case DP_MSG_ACACHE_SIZE:
		break;
	default:
		m->ret = -EINVAL;
	}
}
