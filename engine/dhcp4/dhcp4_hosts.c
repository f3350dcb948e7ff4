/* Host reservation table (see dhcp4_hosts.h).
 *
 * Built once, then only read: two open-addressing indexes of 32-bit hash
 * and host index, sized to a power of two at least twice the host count so
 * a probe sequence stays short and always ends at an empty slot.  The
 * per-packet path hashes a few identifier bytes and compares one or two
 * candidates; types no reservation uses are skipped without hashing, so a
 * config with only hw-address reservations pays for one lookup per scope.
 */
#include "dhcp4_hosts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cls.h"
#include "dhcp4_wire.h"

struct slot {
	uint32_t hash;              /* by_id: the id hash; by_addr: the address itself */
	uint32_t idx1;              /* host index + 1, 0 = empty */
};

struct dhcp4_hosts {
	struct conf_host *hosts;
	unsigned n;
	uint32_t mask;              /* slots - 1 */
	struct slot *by_id, *by_addr;
	/* A bit per value of a hash's top bits (4 bits per slot), set when
	 * some entry has it: most lookups are for clients and addresses with
	 * no reservation, and end here, in 2 x 1 KB per 1,000 hosts, without
	 * touching the slot tables. */
	uint64_t *id_filter, *addr_filter;
	unsigned fshift;
	uint8_t order[CONF_HID_MAX];
	unsigned n_order;
	uint8_t types_global;       /* bit per conf_hid used by a global reservation */
	uint8_t types_subnet;       /* ... by a subnet reservation */
	/* order[] restricted to the types used: [0] subnet, [1] global */
	uint8_t scope_order[2][CONF_HID_MAX];
	unsigned n_scope_order[2];
	bool only_global_hw;        /* every reservation global, by hw-address */
	const struct cls_prog *flex;
	struct conf_option *opts;   /* every host's options, one block */
};

/* Word at a time (this runs per packet): scope and type seed it, the id
 * goes in 8 bytes per round, then the tail; a final mix so the low
 * bits (the slot) depend on every byte. */
static inline uint32_t id_hash(uint32_t subnet_id, unsigned type, const uint8_t *id, size_t len)
{
	uint64_t h = (((uint64_t)subnet_id << 8 | type) ^ (uint64_t)len << 40) * 0x9e3779b97f4a7c15ull;
	uint64_t w;

	for (; len >= 8; id += 8, len -= 8) {
		memcpy(&w, id, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	if (len) {
		uint32_t lo, hi;

		if (len >= 4) {          /* two 4-byte loads that may overlap */
			memcpy(&lo, id, 4);
			memcpy(&hi, id + len - 4, 4);
			w = lo | (uint64_t)hi << 32;
		} else {
			w = id[0] | (uint64_t)id[len / 2] << 8 | (uint64_t)id[len - 1] << 16;
		}
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	h *= 0x94d049bb133111ebull;
	return (uint32_t)(h ^ h >> 32);
}

static uint32_t addr_hash(uint32_t a)
{
	a *= 0x9e3779b1u;
	a ^= a >> 16;
	a *= 0x85ebca6bu;
	return a ^ a >> 13;
}

static inline void filter_set(uint64_t *f, uint32_t h, unsigned shift)
{
	uint32_t b = h >> shift;

	f[b >> 6] |= 1ull << (b & 63);
}

static inline bool filter_has(const uint64_t *f, uint32_t h, unsigned shift)
{
	uint32_t b = h >> shift;

	return f[b >> 6] >> (b & 63) & 1;
}

static bool id_eq(const struct conf_host *h, uint32_t subnet_id, unsigned type, const uint8_t *id,
		  size_t len)
{
	return h->subnet_id == subnet_id && h->id_type == type && h->id_len == len &&
	       memcmp(h->id, id, len) == 0;
}

void dhcp4_hosts_free(struct dhcp4_hosts *t)
{
	if (t == NULL)
		return;
	free(t->hosts);
	free(t->by_id);
	free(t->by_addr);
	free(t->id_filter);
	free(t->addr_filter);
	free(t->opts);
	free(t);
}

struct dhcp4_hosts *dhcp4_hosts_create(const struct dhcp4_hosts_params *p)
{
	struct dhcp4_hosts *t;
	size_t n_opts = 0, o = 0;
	uint32_t slots = 16;
	int e = EINVAL;

	if (p == NULL || (p->n_hosts && p->hosts == NULL) || p->n_order > CONF_HID_MAX ||
	    (p->n_order && p->order == NULL) || p->n_hosts > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned i = 0; i < p->n_order; i++) {
		if (p->order[i] >= CONF_HID_MAX) {
			errno = EINVAL;
			return NULL;
		}
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	while (slots < 2 * (uint64_t)p->n_hosts)
		slots *= 2;
	t->mask = slots - 1;
	t->n = p->n_hosts;
	t->flex = p->flex;
	t->n_order = p->n_order;
	memcpy(t->order, p->order, p->n_order);
	for (unsigned i = 0; i < p->n_hosts; i++)
		n_opts += p->hosts[i].options.n;
	t->hosts = calloc(p->n_hosts ? p->n_hosts : 1, sizeof(*t->hosts));
	t->by_id = calloc(slots, sizeof(*t->by_id));
	t->by_addr = calloc(slots, sizeof(*t->by_addr));
	t->opts = calloc(n_opts ? n_opts : 1, sizeof(*t->opts));
	/* 4 * slots bits (slots >= 16, so at least one word) */
	t->fshift = 32 - 2 - (unsigned)__builtin_ctz(slots);
	t->id_filter = calloc(slots / 16, sizeof(uint64_t));
	t->addr_filter = calloc(slots / 16, sizeof(uint64_t));
	if (!t->hosts || !t->by_id || !t->by_addr || !t->opts || !t->id_filter || !t->addr_filter) {
		e = ENOMEM;
		goto err;
	}
	for (unsigned i = 0; i < p->n_hosts; i++) {
		struct conf_host *h = &t->hosts[i];
		uint32_t hs, s;

		*h = p->hosts[i];
		h->src = NULL;
		if (h->id_type >= CONF_HID_MAX || h->id_len == 0 || h->id_len > CONF_HOST_ID_MAX)
			goto err;
		if (h->options.n) {
			memcpy(t->opts + o, h->options.opts, h->options.n * sizeof(*t->opts));
			h->options.opts = t->opts + o;
			o += h->options.n;
		} else {
			h->options.opts = NULL;
		}
		if (h->subnet_id)
			t->types_subnet |= (uint8_t)(1u << h->id_type);
		else
			t->types_global |= (uint8_t)(1u << h->id_type);

		hs = id_hash(h->subnet_id, h->id_type, h->id, h->id_len);
		for (s = hs & t->mask; t->by_id[s].idx1; s = (s + 1) & t->mask) {
			const struct conf_host *o2 = &t->hosts[t->by_id[s].idx1 - 1];

			if (t->by_id[s].hash == hs && id_eq(o2, h->subnet_id, h->id_type, h->id, h->id_len))
				goto err;   /* the same identifier twice in one scope */
		}
		t->by_id[s].hash = hs;
		t->by_id[s].idx1 = i + 1;
		filter_set(t->id_filter, hs, t->fshift);

		if (h->addr == 0)
			continue;
		hs = addr_hash(h->addr);
		for (s = hs & t->mask; t->by_addr[s].idx1; s = (s + 1) & t->mask)
			if (t->by_addr[s].hash == h->addr)
				goto err;   /* one address, two reservations */
		t->by_addr[s].hash = h->addr;
		t->by_addr[s].idx1 = i + 1;
		filter_set(t->addr_filter, hs, t->fshift);
	}
	for (unsigned i = 0; i < t->n_order; i++) {
		unsigned ty = t->order[i];

		if (t->types_subnet >> ty & 1)
			t->scope_order[0][t->n_scope_order[0]++] = (uint8_t)ty;
		if (t->types_global >> ty & 1)
			t->scope_order[1][t->n_scope_order[1]++] = (uint8_t)ty;
	}
	t->only_global_hw = t->n_scope_order[0] == 0 && t->n_scope_order[1] == 1 &&
			    t->scope_order[1][0] == CONF_HID_HW_ADDRESS;
	return t;
err:
	dhcp4_hosts_free(t);
	errno = e;
	return NULL;
}

unsigned dhcp4_hosts_count(const struct dhcp4_hosts *t)
{
	return t ? t->n : 0;
}

bool dhcp4_hosts_subnet_scoped(const struct dhcp4_hosts *t)
{
	return t && t->types_subnet;
}

const struct conf_host *dhcp4_hosts_get(const struct dhcp4_hosts *t, unsigned i)
{
	return t && i < t->n ? &t->hosts[i] : NULL;
}

/* The reservation of (scope, type, id), len in 1..CONF_HOST_ID_MAX. */
static inline __attribute__((always_inline)) const struct conf_host *
probe(const struct dhcp4_hosts *t, uint32_t subnet_id, enum conf_hid type, const uint8_t *id,
      size_t len)
{
	uint32_t hs = id_hash(subnet_id, type, id, len), s;

	if (!filter_has(t->id_filter, hs, t->fshift))
		return NULL;
	for (s = hs & t->mask; t->by_id[s].idx1; s = (s + 1) & t->mask) {
		const struct conf_host *h = &t->hosts[t->by_id[s].idx1 - 1];

		if (t->by_id[s].hash == hs && id_eq(h, subnet_id, type, id, len))
			return h;
	}
	return NULL;
}

const struct conf_host *dhcp4_hosts_find(const struct dhcp4_hosts *t, uint32_t subnet_id,
					 enum conf_hid type, const uint8_t *id, size_t len)
{
	if (t == NULL || t->n == 0 || len == 0 || len > CONF_HOST_ID_MAX)
		return NULL;
	return probe(t, subnet_id, type, id, len);
}

const struct conf_host *dhcp4_hosts_by_addr(const struct dhcp4_hosts *t, uint32_t addr)
{
	uint32_t s, hs;

	if (t == NULL || t->n == 0 || addr == 0)
		return NULL;
	/* the slot holds the address: no host is touched until it matches
	 * (allocation asks this for nearly every address it hands out) */
	hs = addr_hash(addr);
	if (!filter_has(t->addr_filter, hs, t->fshift))
		return NULL;
	for (s = hs & t->mask; t->by_addr[s].idx1; s = (s + 1) & t->mask)
		if (t->by_addr[s].hash == addr)
			return &t->hosts[t->by_addr[s].idx1 - 1];
	return NULL;
}

/* Option 82 sub-option `code` (RFC 3046 2.0: code, length, value). */
static const uint8_t *rai_sub(const struct dhcp4_pkt *pkt, uint8_t code, size_t *len)
{
	uint16_t n;
	const uint8_t *v = dhcp4_opt(pkt, DHCP4_OPT_RAI, &n);

	for (size_t i = 0; v && i + 2 <= n; i += 2 + v[i + 1]) {
		if (i + 2 + v[i + 1] > n)
			break;
		if (v[i] == code) {
			*len = v[i + 1];
			return v + i + 2;
		}
	}
	return NULL;
}

/* The hw-address identifier: chaddr, hlen bytes (at most 16). */
static inline const uint8_t *hw_id(const struct dhcp4_pkt *pkt, size_t *len)
{
	*len = pkt->hdr->hlen <= 16 ? pkt->hdr->hlen : 16;
	return pkt->hdr->chaddr;
}

int dhcp4_hosts_ident(const struct dhcp4_hosts *t, const struct dhcp4_pkt *pkt,
		      const struct dhcp4_rx *rx, const char *iface, const struct cls_set *set,
		      enum conf_hid type, struct cls_scratch *s, const uint8_t **id, size_t *len)
{
	const uint8_t *v = NULL;
	uint16_t n = 0;
	size_t l = 0;

	switch (type) {
	case CONF_HID_HW_ADDRESS:
		v = hw_id(pkt, &l);
		break;
	case CONF_HID_CLIENT_ID:
		v = dhcp4_opt(pkt, DHCP4_OPT_CLIENT_ID, &n);
		l = n;
		break;
	case CONF_HID_DUID:
		/* RFC 4361 6.1: type 255, IAID (4 bytes), then the DUID. */
		v = dhcp4_opt(pkt, DHCP4_OPT_CLIENT_ID, &n);
		if (v == NULL || n <= 5 || v[0] != 0xff)
			return -ENOENT;
		v += 5;
		l = n - 5u;
		break;
	case CONF_HID_CIRCUIT_ID:
		v = rai_sub(pkt, 1, &l);
		break;
	case CONF_HID_FLEX_ID: {
		struct cls_env env = { .pkt = pkt, .rx = rx, .iface = iface, .set = set };
		int rc;

		if (t == NULL || t->flex == NULL)
			return -ENOENT;
		s->used = 0;
		rc = cls_eval_str(t->flex, &env, s, &v, &l);
		if (rc < 0)
			return rc;
		break;
	}
	default:
		return -ENOENT;
	}
	if (v == NULL || l == 0)
		return -ENOENT;
	*id = v;
	*len = l;
	return 0;
}

const struct conf_host *dhcp4_hosts_lookup(const struct dhcp4_hosts *t, uint32_t subnet_id,
					   const struct dhcp4_pkt *pkt, const struct dhcp4_rx *rx,
					   const char *iface, const struct cls_set *set)
{
	const uint8_t *id[CONF_HID_MAX];
	size_t len[CONF_HID_MAX];
	uint8_t tried = 0, have = 0;
	struct cls_scratch scratch;   /* only touched when flex-id is used */

	if (t == NULL || t->n == 0)
		return NULL;
	if (t->only_global_hw) {        /* the common set-up, without the walk */
		size_t hl;
		const uint8_t *hw = hw_id(pkt, &hl);

		return hl ? probe(t, 0, CONF_HID_HW_ADDRESS, hw, hl) : NULL;
	}
	for (int pass = subnet_id ? 0 : 1; pass < 2; pass++) {
		uint32_t scope = pass == 0 ? subnet_id : 0;

		for (unsigned i = 0; i < t->n_scope_order[pass]; i++) {
			unsigned ty = t->scope_order[pass][i];
			const struct conf_host *h;

			if (!(tried >> ty & 1)) {
				tried |= (uint8_t)(1u << ty);
				if (dhcp4_hosts_ident(t, pkt, rx, iface, set, (enum conf_hid)ty, &scratch,
						      &id[ty], &len[ty]) == 0 && len[ty] <= CONF_HOST_ID_MAX)
					have |= (uint8_t)(1u << ty);
			}
			if (!(have >> ty & 1))
				continue;
			h = probe(t, scope, (enum conf_hid)ty, id[ty], len[ty]);
			if (h)
				return h;
		}
	}
	return NULL;
}

int dhcp4_hosts_claim(const struct dhcp4_hosts *t, dhcp4_hosts_pool_fn pool_of, void *arg,
		      unsigned *claimed, unsigned *busy)
{
	unsigned c = 0, b = 0;

	if (pool_of == NULL)
		return -EINVAL;
	for (unsigned i = 0; t && i < t->n; i++) {
		struct alloc_pool *ap;
		int rc;

		if (t->hosts[i].addr == 0 || (ap = pool_of(arg, t->hosts[i].addr)) == NULL)
			continue;
		rc = alloc_claim(ap, t->hosts[i].addr);
		if (rc == 0)
			c++;
		else if (rc == -EBUSY)
			b++;
	}
	if (claimed)
		*claimed = c;
	if (busy)
		*busy = b;
	return 0;
}

unsigned dhcp4_hosts_dropped(const struct dhcp4_hosts *old, const struct dhcp4_hosts *new_,
			     void (*fn)(void *arg, uint32_t addr), void *arg)
{
	unsigned n = 0;

	for (unsigned i = 0; old && i < old->n; i++) {
		uint32_t a = old->hosts[i].addr;

		if (a == 0 || dhcp4_hosts_by_addr(new_, a) != NULL)
			continue;
		if (fn)
			fn(arg, a);
		n++;
	}
	return n;
}
