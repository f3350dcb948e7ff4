/* The access cache: RADIUS answers (Access-Accept with what it assigns,
 * Access-Reject) a worker has seen, keyed by the client's identifier as
 * RADIUS names it, each until its own expiry time.  Kea's host cache, per
 * worker: a client's packets always reach the same worker (steering by
 * the client), so the cache is that worker's alone — no lock, no shared
 * memory.  The control thread reaches it only through the worker's
 * message ring (cache-get, cache-remove, cache-clear, cache-size).
 *
 * Bounded: at `max` entries the oldest entry goes (entries are kept in
 * the order they were stored or refreshed; with one TTL per verdict that
 * is the order they expire).  An expired entry is not an answer any more
 * but stays until pushed out (a few at a time when storing, or by the
 * bound): when no RADIUS server answers, its client is served with it
 * (access_cache_stale).  No allocation after create. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_addr6.h"

#define ACCESS_ID_MAX   130     /* a DUID (<= 128 octets) with room to spare */
#define ACCESS_POOL_MAX 64      /* a class name, NUL included (CLS_NAME_MAX) */
#define ACCESS_ATTRS_MAX 320    /* RADIUS attributes a worker builds for a question */

enum access_verdict { ACCESS_NONE = 0, ACCESS_ACCEPT = 1, ACCESS_REJECT = 2 };
enum access_flags {
	ACCESS_F_ADDR4 = 1u << 0,       /* Framed-IP-Address */
	ACCESS_F_ADDR6 = 1u << 1,       /* Framed-IPv6-Address */
	ACCESS_F_PREFIX6 = 1u << 2,     /* Delegated-IPv6-Prefix */
	ACCESS_F_POOL = 1u << 3,        /* Framed-Pool (v4) / Framed-IPv6-Pool (v6): a class */
	ACCESS_F_NOCACHE = 1u << 4,     /* not to be cached (on-unreachable serve / deny) */
	ACCESS_F_UNREACHABLE = 1u << 5, /* no server answered (the verdict is on-unreachable's) */
	ACCESS_F_JOINED = 1u << 6,      /* a retransmission's question that joined an earlier
					 * one of the same client: the earlier one answers
					 * the client, this transaction ends without reply */
};

/* What an answer assigns.  By value on rings and in the cache. */
struct access_answer {
	uint8_t verdict;                /* enum access_verdict */
	uint8_t flags;                  /* enum access_flags */
	uint8_t plen6;                  /* prefix6's length */
	uint8_t pad;
	uint32_t addr4;                 /* host order */
	struct lease_addr6 addr6, prefix6;
	char pool[ACCESS_POOL_MAX];     /* NUL-terminated */
};

/* One cached entry as cache-get shows it. */
struct access_entry_view {
	uint8_t type;                   /* the identifier's type (rad_ident_type) */
	uint8_t len;
	const uint8_t *id;
	uint32_t expire;                /* epoch seconds */
	const struct access_answer *a;
};

struct access_cache;

/* max: entries, 1..1<<24.  NULL + errno. */
struct access_cache *access_cache_create(uint32_t max);
void access_cache_free(struct access_cache *c);
/* The answer for (type, id) if cached and not expired at `now`.  len <=
 * ACCESS_ID_MAX (longer: NULL). */
const struct access_answer *access_cache_get(struct access_cache *c, uint8_t type,
					     const uint8_t *id, uint8_t len, uint32_t now);
/* The answer for (type, id) expired or not (what to serve the client with
 * when no server answers), or NULL. */
const struct access_answer *access_cache_stale(const struct access_cache *c, uint8_t type,
					       const uint8_t *id, uint8_t len);
/* Store (or refresh) the answer until `expire`.  0, or -1 (len too long).
 * A full cache gives up its oldest entry (counted: access_cache_evicted). */
int access_cache_put(struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len,
		     const struct access_answer *a, uint32_t now, uint32_t expire);
/* Remove one entry: true if it was there. */
bool access_cache_remove(struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len);
void access_cache_clear(struct access_cache *c);
uint32_t access_cache_size(const struct access_cache *c);
uint64_t access_cache_evicted(const struct access_cache *c);
/* Entries oldest first, for cache-get: fn returns false to stop. */
void access_cache_walk(const struct access_cache *c, bool (*fn)(void *arg,
		       const struct access_entry_view *e), void *arg);
/* The entry of (type, id) whether expired or not, for cache-get with an
 * identifier: true and *out filled, or false. */
bool access_cache_find(const struct access_cache *c, uint8_t type, const uint8_t *id, uint8_t len,
		       struct access_entry_view *out);
