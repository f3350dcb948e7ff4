/* The access cache (access_cache.h): a chained hash over a fixed array of
 * entries, plus a doubly linked list of the entries in the order they were
 * stored, oldest first, for eviction and expiry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access_cache.h"
#include "lease.h"

#define NIL UINT32_MAX
#define EXPIRE_SWEEP 2          /* expired entries removed per put, at most */

struct entry {
	uint32_t next;              /* hash chain */
	uint32_t older, newer;      /* age list; free list uses newer */
	uint32_t expire;
	uint8_t type, len;
	uint8_t id[ACCESS_ID_MAX];
	struct access_answer a;
};

struct access_cache {
	uint32_t max, count, mask;
	uint32_t oldest, newest;    /* age list ends */
	uint32_t free;              /* free list head */
	uint64_t evicted;
	uint32_t *bucket;           /* mask + 1 heads */
	struct entry *e;            /* max entries */
};

static uint32_t bucket_of(const struct access_cache *c, uint8_t type, const uint8_t *id,
			  uint8_t len)
{
	return (uint32_t)lease_bytes_hash(type, id, len) & c->mask;
}

struct access_cache *access_cache_create(uint32_t max)
{
	struct access_cache *c;
	uint32_t nb = 2;

	if (max == 0 || max > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < max)
		nb <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->bucket = malloc(sizeof(*c->bucket) * nb);
	c->e = malloc(sizeof(*c->e) * max);
	if (!c->bucket || !c->e) {
		access_cache_free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->max = max;
	c->mask = nb - 1;
	access_cache_clear(c);
	return c;
}

void access_cache_free(struct access_cache *c)
{
	if (!c)
		return;
	free(c->bucket);
	free(c->e);
	free(c);
}

void access_cache_clear(struct access_cache *c)
{
	uint32_t i;

	for (i = 0; i <= c->mask; i++)
		c->bucket[i] = NIL;
	for (i = 0; i < c->max; i++)
		c->e[i].newer = i + 1 < c->max ? i + 1 : NIL;
	c->free = 0;
	c->count = 0;
	c->oldest = c->newest = NIL;
}

/* The index of (type, id) and, through prev, the chain link pointing at
 * it; NIL if absent. */
static uint32_t lookup(const struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len,
		       uint32_t **prev)
{
	uint32_t *link = &c->bucket[bucket_of(c, type, id, len)];

	while (*link != NIL) {
		const struct entry *e = &c->e[*link];

		if (e->type == type && e->len == len && memcmp(e->id, id, len) == 0) {
			if (prev)
				*prev = link;
			return *link;
		}
		link = &c->e[*link].next;
	}
	return NIL;
}

static void age_unlink(struct access_cache *c, uint32_t i)
{
	struct entry *e = &c->e[i];

	if (e->older != NIL)
		c->e[e->older].newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NIL)
		c->e[e->newer].older = e->older;
	else
		c->newest = e->older;
}

static void age_append(struct access_cache *c, uint32_t i)
{
	struct entry *e = &c->e[i];

	e->older = c->newest;
	e->newer = NIL;
	if (c->newest != NIL)
		c->e[c->newest].newer = i;
	else
		c->oldest = i;
	c->newest = i;
}

static void drop_at(struct access_cache *c, uint32_t i, uint32_t *link)
{
	*link = c->e[i].next;
	age_unlink(c, i);
	c->e[i].newer = c->free;
	c->free = i;
	c->count--;
}

/* Remove entry i (found again for its chain link). */
static void drop_entry(struct access_cache *c, uint32_t i)
{
	uint32_t *link = NULL;
	const struct entry *e = &c->e[i];

	if (lookup(c, e->type, e->id, e->len, &link) == i)
		drop_at(c, i, link);
}

const struct access_answer *access_cache_get(struct access_cache *c, uint8_t type,
					     const uint8_t *id, uint8_t len, uint32_t now)
{
	uint32_t i;

	if (len > ACCESS_ID_MAX)
		return NULL;
	i = lookup(c, type, id, len, NULL);
	if (i == NIL || c->e[i].expire <= now)
		return NULL;
	return &c->e[i].a;
}

const struct access_answer *access_cache_stale(const struct access_cache *c, uint8_t type,
					       const uint8_t *id, uint8_t len)
{
	uint32_t i;

	if (len > ACCESS_ID_MAX)
		return NULL;
	i = lookup(c, type, id, len, NULL);
	return i == NIL ? NULL : &c->e[i].a;
}

int access_cache_put(struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len,
		     const struct access_answer *a, uint32_t now, uint32_t expire)
{
	uint32_t i, b;
	unsigned k;
	struct entry *e;

	if (len > ACCESS_ID_MAX)
		return -1;
	for (k = 0; k < EXPIRE_SWEEP && c->oldest != NIL && c->e[c->oldest].expire <= now; k++)
		drop_entry(c, c->oldest);
	i = lookup(c, type, id, len, NULL);
	if (i != NIL) {
		age_unlink(c, i);       /* refreshed: now the newest */
	} else {
		if (c->free == NIL) {
			drop_entry(c, c->oldest);
			c->evicted++;
		}
		i = c->free;
		c->free = c->e[i].newer;
		e = &c->e[i];
		e->type = type;
		e->len = len;
		memcpy(e->id, id, len);
		b = bucket_of(c, type, id, len);
		e->next = c->bucket[b];
		c->bucket[b] = i;
		c->count++;
	}
	e = &c->e[i];
	e->a = *a;
	e->a.pool[ACCESS_POOL_MAX - 1] = '\0';
	e->expire = expire;
	age_append(c, i);
	return 0;
}

bool access_cache_remove(struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len)
{
	uint32_t *link = NULL, i;

	if (len > ACCESS_ID_MAX)
		return false;
	i = lookup(c, type, id, len, &link);
	if (i == NIL)
		return false;
	drop_at(c, i, link);
	return true;
}

uint32_t access_cache_size(const struct access_cache *c)
{
	return c->count;
}

uint64_t access_cache_evicted(const struct access_cache *c)
{
	return c->evicted;
}

static void view_of(const struct entry *e, struct access_entry_view *v)
{
	v->type = e->type;
	v->len = e->len;
	v->id = e->id;
	v->expire = e->expire;
	v->a = &e->a;
}

void access_cache_walk(const struct access_cache *c,
		       bool (*fn)(void *arg, const struct access_entry_view *e), void *arg)
{
	struct access_entry_view v;
	uint32_t i;

	for (i = c->oldest; i != NIL; i = c->e[i].newer) {
		view_of(&c->e[i], &v);
		if (!fn(arg, &v))
			return;
	}
}

bool access_cache_find(const struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len,
		       struct access_entry_view *out)
{
	uint32_t i;

	if (len > ACCESS_ID_MAX)
		return false;
	i = lookup(c, type, id, len, NULL);
	if (i == NIL)
		return false;
	view_of(&c->e[i], out);
	return true;
}
