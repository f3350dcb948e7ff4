/* The per-worker DHCPv6 lease table: a front-end of lease_table.c's
 * machinery (slab, index, expiry wheel, hostname slots, count) for
 * struct lease6.
 *
 * Two indexes over one slab:
 * - `duid`: every lease that has a client is filed under its DUID's hash
 *   (lease_duid_hash, the steering hash, so bits 32..63 as in the v4
 *   table).  One probe walks all of a client's leases, whatever their IA;
 *   an IA lookup keeps those whose IAID and type match too.  A client
 *   holds few leases (an address and a prefix or two), so the walk is
 *   short.  A lease with no client (declined: Kea's empty DUID) is not
 *   filed here, or every declined address would pile up under one hash.
 * - `addr`: every lease under its address's hash.  An address has at
 *   most one lease (Kea's memfile keeps them unique too): insert looks
 *   there first.
 * The key bytes are not stored in the indexes: the DUID, IAID, type and
 * address are the lease's own fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lease_table.h"
#include "lease_table_core.h"

/* The client's hardware address of a lease (Kea keeps one per v6 lease
 * and shows it in lease6-get): beside the slab, by entry id, so the
 * 80-byte entry that v4 shares stays as it is.  Grown on demand to the
 * highest id that has one. */
struct l6_hw {
	uint8_t len;                     /* 0: none */
	uint8_t src;                     /* Kea's HWADDR_SOURCE_* bit */
	uint16_t type;
	uint8_t b[LEASE6_HW_MAX];
};

struct lease6_table {
	struct lt_core c;
	struct lt_index duid;            /* client DUID -> its leases */
	struct lt_index addr;            /* address -> its lease */
	struct l6_hw *hw;
	uint32_t hw_cap;
};

static inline struct lease6 *l6_lease(const struct lease6_table *t, uint32_t id)
{
	return &lt_entry(&t->c, id)->v6;
}

static inline uint32_t l6_duid_h32(const uint8_t *duid, uint8_t len)
{
	return lt_h32(lease_duid_hash(duid, len));
}

static inline uint32_t l6_addr_h32(struct lease_addr6 a)
{
	return lt_h32(lease_addr6_hash(a));
}

static bool l6_key_valid(const struct lease6_key *k)
{
	return k->type <= LEASE6_TYPE_PD && k->duid_len <= LEASE_DUID_MAX &&
	       (k->duid_len == 0 || k->duid != NULL);
}

static bool l6_plen_valid(uint8_t type, uint8_t plen)
{
	return type == LEASE6_TYPE_PD ? plen >= 1 && plen <= 128 : plen == 128;
}

static bool l6_duid_eq(const struct lease6 *l, const uint8_t *duid, uint8_t len)
{
	return l->duid_len == len && memcmp(lease6_duid(l), duid, len) == 0;
}

static bool l6_ia_eq(const struct lease6 *l, const struct lease6_key *k)
{
	return l->iaid == k->iaid && l->type == k->type && l6_duid_eq(l, k->duid, k->duid_len);
}

/* Walk the leases filed under a DUID; count those of IA `ia` (NULL: all)
 * and keep the first `max`. */
static unsigned l6_collect(struct lease6_table *t, const uint8_t *duid, uint8_t len,
			   const struct lease6_key *ia, struct lease6 **out, unsigned max)
{
	struct lt_probe p;
	unsigned found = 0;
	uint32_t id;

	if (len == 0 || len > LEASE_DUID_MAX || duid == NULL)
		return 0;
	lt_probe_start(&p, &t->duid, l6_duid_h32(duid, len));
	while ((id = lt_probe_next(&p)) != LT_NONE) {
		struct lease6 *l = l6_lease(t, id);

		if (!l6_duid_eq(l, duid, len) ||
		    (ia != NULL && (l->iaid != ia->iaid || l->type != ia->type)))
			continue;
		if (found < max)
			out[found] = l;
		found++;
	}
	return found;
}

static struct lease6 *l6_find_addr(struct lease6_table *t, struct lease_addr6 a, uint32_t h32)
{
	struct lt_probe p;
	uint32_t id;

	lt_probe_start(&p, &t->addr, h32);
	while ((id = lt_probe_next(&p)) != LT_NONE) {
		struct lease6 *l = l6_lease(t, id);

		if (lease_addr6_eq(l->addr, a))
			return l;
	}
	return NULL;
}

static int l6_duid_store(struct lease6_table *t, struct lease6 *l, const uint8_t *duid, uint8_t len)
{
	return lt_bytes_store(&t->c, l->duid.inl, &l->duid.ext, &l->duid_len, LEASE_DUID_INLINE,
			      duid, len);
}

struct lease6_table *lease6_table_create(const struct lease_table_params *p)
{
	struct lease6_table *t;
	int rc;

	if (p == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rc = lt_core_init(&t->c, p->name, p->capacity, offsetof(struct lease6, expire));
	if (rc == 0)
		rc = lt_index_init(&t->duid, p->capacity);
	if (rc == 0)
		rc = lt_index_init(&t->addr, p->capacity);
	if (rc < 0) {
		lease6_table_free(t);
		errno = -rc;
		return NULL;
	}
	return t;
}

static int l6_drop_duid(struct lease6 *l, void *arg)
{
	struct lease6_table *t = arg;

	lt_bytes_drop(&t->c, &l->duid.ext, &l->duid_len, LEASE_DUID_INLINE);
	return 0;
}

void lease6_table_free(struct lease6_table *t)
{
	if (t == NULL)
		return;
	lt_foreach(&t->c, &(struct lt_cb){ .each6 = l6_drop_duid, .arg = t });
	lt_core_fini(&t->c);
	lt_index_fini(&t->duid);
	lt_index_fini(&t->addr);
	free(t->hw);
	free(t);
}

int lease6_table_set_hwaddr(struct lease6_table *t, struct lease6 *l, uint16_t type, uint8_t src,
			    const uint8_t *hw, uint8_t len)
{
	uint32_t id = lt_id(l);
	struct l6_hw *h;

	if (len > LEASE6_HW_MAX)
		return -EINVAL;
	if (id >= t->hw_cap) {
		uint32_t cap = t->hw_cap ? t->hw_cap : 1024;
		struct l6_hw *n;

		if (len == 0)
			return 0;
		while (cap <= id)
			cap *= 2;
		n = realloc(t->hw, (size_t)cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		memset(n + t->hw_cap, 0, (size_t)(cap - t->hw_cap) * sizeof(*n));
		t->hw = n;
		t->hw_cap = cap;
	}
	h = &t->hw[id];
	h->len = len;
	h->src = src;
	h->type = type;
	memcpy(h->b, hw, len);
	return 0;
}

uint8_t lease6_table_hwaddr(const struct lease6_table *t, const struct lease6 *l, uint16_t *type,
			    uint8_t *src, const uint8_t **hw)
{
	uint32_t id = lt_id(l);

	if (id >= t->hw_cap || t->hw[id].len == 0)
		return 0;
	*type = t->hw[id].type;
	*src = t->hw[id].src;
	*hw = t->hw[id].b;
	return t->hw[id].len;
}

unsigned lease6_table_lookup_ia(struct lease6_table *t, const struct lease6_key *k,
				struct lease6 **out, unsigned max)
{
	if (!l6_key_valid(k))
		return 0;
	return l6_collect(t, k->duid, k->duid_len, k, out, max);
}

unsigned lease6_table_lookup_duid(struct lease6_table *t, const uint8_t *duid, uint8_t duid_len,
				  struct lease6 **out, unsigned max)
{
	return l6_collect(t, duid, duid_len, NULL, out, max);
}

struct lease6 *lease6_table_lookup_addr(struct lease6_table *t, struct lease_addr6 addr)
{
	return l6_find_addr(t, addr, l6_addr_h32(addr));
}

struct lease6 *lease6_table_insert(struct lease6_table *t, const struct lease6_key *k,
				   struct lease_addr6 addr, uint8_t prefix_len, bool *existed)
{
	struct lease6 *l;
	uint32_t ah, id;

	if (!l6_key_valid(k) || !l6_plen_valid(k->type, prefix_len)) {
		errno = EINVAL;
		return NULL;
	}
	ah = l6_addr_h32(addr);
	l = l6_find_addr(t, addr, ah);
	if (l != NULL) {
		if (!l6_ia_eq(l, k) || l->prefix_len != prefix_len) {
			errno = EEXIST;
			return NULL;
		}
		if (existed != NULL)
			*existed = true;
		return l;
	}
	if (existed != NULL)
		*existed = false;

	if (lt_index_reserve(&t->addr) < 0 || (k->duid_len > 0 && lt_index_reserve(&t->duid) < 0)) {
		errno = ENOMEM;
		return NULL;
	}
	id = lt_slab_get(&t->c);
	if (id == LT_NONE) {
		errno = ENOMEM;
		return NULL;
	}
	l = l6_lease(t, id);
	if (l6_duid_store(t, l, k->duid, k->duid_len) < 0) {
		lt_slab_put(&t->c, id);
		errno = ENOMEM;
		return NULL;
	}
	l->addr = addr;
	l->prefix_len = prefix_len;
	l->type = k->type;
	l->iaid = k->iaid;
	lt_index_add(&t->addr, ah, id);
	if (k->duid_len > 0)
		lt_index_add(&t->duid, l6_duid_h32(k->duid, k->duid_len), id);
	if (id < t->hw_cap)
		t->hw[id].len = 0;       /* a reused entry: not the last lease's */
	lt_count_set(&t->c, t->c.count + 1);
	return l;
}

int lease6_table_set_ia(struct lease6_table *t, struct lease6 *l, const struct lease6_key *k)
{
	uint8_t new_len = k != NULL ? k->duid_len : 0;
	uint32_t id = lt_id(l), old_h32 = 0, new_h32 = 0;
	bool was_filed = l->duid_len > 0;
	int rc;

	if (k != NULL && (!l6_key_valid(k) || k->type != l->type))
		return -EINVAL;
	if (new_len > 0) {
		if (lt_index_reserve(&t->duid) < 0)
			return -ENOMEM;
		new_h32 = l6_duid_h32(k->duid, new_len);
	}
	if (was_filed)
		old_h32 = l6_duid_h32(lease6_duid(l), l->duid_len);
	rc = l6_duid_store(t, l, new_len > 0 ? k->duid : NULL, new_len);
	if (rc < 0)
		return rc;
	if (was_filed)
		lt_index_del(&t->duid, old_h32, id);
	if (new_len > 0)
		lt_index_add(&t->duid, new_h32, id);
	if (k != NULL)
		l->iaid = k->iaid;
	return 0;
}

int lease6_table_set_hostname(struct lease6_table *t, struct lease6 *l, const char *name, size_t len)
{
	return lt_name_set(&t->c, &l->name, name, len);
}

const char *lease6_table_hostname(const struct lease6_table *t, const struct lease6 *l)
{
	return lt_name_get(&t->c, l->name);
}

void lease6_table_remove(struct lease6_table *t, struct lease6 *l)
{
	uint32_t id = lt_id(l);

	lt_index_del(&t->addr, l6_addr_h32(l->addr), id);
	if (l->duid_len > 0)
		lt_index_del(&t->duid, l6_duid_h32(lease6_duid(l), l->duid_len), id);
	lt_release(&t->c, id, &l->duid.ext, &l->duid_len, LEASE_DUID_INLINE, &l->name);
	if (id < t->hw_cap)
		t->hw[id].len = 0;
}

void lease6_table_touch(struct lease6_table *t, struct lease6 *l)
{
	lt_touch(&t->c, lt_id(l), l->expire);
}

unsigned lease6_table_expire(struct lease6_table *t, uint32_t now, unsigned max,
			     void (*cb)(struct lease6 *l, void *arg), void *arg)
{
	return lt_expire(&t->c, now, max, &(struct lt_cb){ .expired6 = cb, .arg = arg });
}

bool lease6_table_expire_idle(const struct lease6_table *t, uint32_t now)
{
	return lt_expire_idle(&t->c, now);
}

int lease6_table_foreach(struct lease6_table *t, int (*cb)(struct lease6 *l, void *arg), void *arg)
{
	return lt_foreach(&t->c, &(struct lt_cb){ .each6 = cb, .arg = arg });
}

uint32_t lease6_table_count(const struct lease6_table *t)
{
	return lt_count(&t->c);
}

size_t lease6_table_memory(const struct lease6_table *t)
{
	return sizeof(*t) + lt_index_memory(&t->duid) + lt_index_memory(&t->addr) +
	       lt_core_memory(&t->c) + (size_t)t->hw_cap * sizeof(struct l6_hw);
}
