/* DHCPv6 subnets: subnet6 entries (in the dhcp6 block and in its shared
 * networks), their address pools and prefix delegation pools, relay
 * addresses and interface-id, the timers they inherit (subnet, else
 * shared network, else the block), and shared-networks. */
#include "conf6_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_prefix(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_iface(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_interface_id(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_pool(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static void pool_init(struct conf_ld *, void *);
static void pd_init(struct conf_ld *, void *);
static int pool_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int pd_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static void subnet_init(struct conf_ld *, void *);
static int subnet_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static void shared_init(struct conf_ld *, void *);
static int shared_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);

/* ------------------------------------------------------------------------
 * The tables
 */

/* relay = { ip-addresses = [ "2001:db8:1::1", ... ]; } */
#define RELAY6_KEYS(st) \
	CUSTOM("ip-addresses", st, relay_addrs, conf_parse_addrs6, \
	       .off_n = offsetof(st, n_relay_addrs), .flags = K_REQUIRED)
/* Who may use a pool, subnet or shared network, and its options. */
#define CLASS6_KEYS(st) \
	CUSTOM("option-data", st, options, conf6_key_options), \
	CUSTOM("client-class", st, client_class, conf_key_class_ref), \
	CUSTOM("require-client-classes", st, require, conf_key_class_list)
/* Timers: 0 = not written here (min 1); subnet_post resolves them. */
#define TIMER6_KEYS(st) \
	U32("renew-timer", st, renew_timer, 1, U32MAX, 0), \
	U32("rebind-timer", st, rebind_timer, 1, U32MAX, 0), \
	U32("preferred-lifetime", st, preferred_lifetime, 1, U32MAX, 0), \
	U32("valid-lifetime", st, valid_lifetime, 1, U32MAX, 0), \
	BOOL("rapid-commit", st, rapid_commit, false)
/* Where the clients are: a port (direct), or a relay's interface-id. */
#define LINK6_KEYS(st) \
	CUSTOM("interface", st, iface, parse_iface), \
	CUSTOM("interface-id", st, interface_id, parse_interface_id, \
	       .off_n = offsetof(st, interface_id_len))

static const struct conf_key relay_keys[] = {
	RELAY6_KEYS(struct conf6_subnet),
};
static const struct conf_table relay_table = TABLE("in relay", relay_keys);

/* pools = ( { pool = "a - b" | "prefix/len"; option-data; client-class;
 *             require-client-classes; } ) */
static const struct conf_key pool_keys[] = {
	CUSTOM("pool", struct conf6_pool, first, parse_pool, .flags = K_REQUIRED),
	CLASS6_KEYS(struct conf6_pool),
};
static const struct conf_table pool_table = TABLE("in a pools entry", pool_keys,
	.size = sizeof(struct conf6_pool), .init = pool_init, .post = pool_post);

/* pd-pools = ( { prefix; prefix-len; delegated-len; excluded-prefix;
 *                excluded-prefix-len; option-data; client-class;
 *                require-client-classes; } ) */
static const struct conf_key pd_keys[] = {
	IPV6("prefix", struct conf6_pd_pool, prefix, .flags = K_REQUIRED),
	U8("prefix-len", struct conf6_pd_pool, prefix_len, 1, 128, 0, .flags = K_REQUIRED),
	U8("delegated-len", struct conf6_pd_pool, delegated_len, 1, 128, 0, .flags = K_REQUIRED),
	IPV6("excluded-prefix", struct conf6_pd_pool, excluded),
	U8("excluded-prefix-len", struct conf6_pd_pool, excluded_len, 1, 128, 0),
	CLASS6_KEYS(struct conf6_pd_pool),
};
static const struct conf_table pd_table = TABLE("in a pd-pools entry", pd_keys,
	.size = sizeof(struct conf6_pd_pool), .init = pd_init, .post = pd_post);

/* subnet6 = ( { id; subnet = "2001:db8:1::/64"; ... } ).  Pools and
 * pd-pools before the reservations, which are checked against them. */
static const struct conf_key subnet_keys[] = {
	U32("id", struct conf6_subnet, id, 1, U32MAX, 0, .flags = K_REQUIRED),
	CUSTOM("subnet", struct conf6_subnet, prefix, parse_prefix, .flags = K_REQUIRED),
	LINK6_KEYS(struct conf6_subnet),
	/* off 0: the relay table fills the subnet itself. */
	{ .name = "relay", .kind = K_GROUP, .off = 0, .aux = &relay_table },
	LIST("pools", struct conf6_subnet, pools, n_pools, pool_table, 0),
	LIST("pd-pools", struct conf6_subnet, pd_pools, n_pd_pools, pd_table, 0),
	{ .name = "reservations", .kind = K_CUSTOM, .fn = conf6_key_reservations },
	TIMER6_KEYS(struct conf6_subnet),
	CLASS6_KEYS(struct conf6_subnet),
};
const struct conf_table conf6_subnet_table = TABLE("in a subnet6 entry", subnet_keys,
	.size = sizeof(struct conf6_subnet), .init = subnet_init, .post = subnet_post);

static const struct conf_key shared_relay_keys[] = {
	RELAY6_KEYS(struct conf6_shared_net),
};
static const struct conf_table shared_relay_table = TABLE("in relay", shared_relay_keys);

static const struct conf_key shared_keys[] = {
	STR("name", struct conf6_shared_net, name, "", .flags = K_REQUIRED),
	LINK6_KEYS(struct conf6_shared_net),
	{ .name = "relay", .kind = K_GROUP, .off = 0, .aux = &shared_relay_table },
	TIMER6_KEYS(struct conf6_shared_net),
	CLASS6_KEYS(struct conf6_shared_net),
	ANY("subnet6"),                  /* by shared_post, once the rest is known */
};
static const struct conf_table shared_table = TABLE("in a dhcp6 shared-networks entry",
	shared_keys, .size = sizeof(struct conf6_shared_net), .init = shared_init,
	.post = shared_post);

/* ------------------------------------------------------------------------
 * Prefixes, links, pools
 */

/* The last address of prefix/plen. */
static struct lease_addr6 prefix_last(struct lease_addr6 a, unsigned plen)
{
	if (plen >= 128)
		return a;
	if (plen >= 64) {
		a.lo |= plen == 64 ? ~0ULL : ~0ULL >> (plen - 64);
	} else {
		a.lo = ~0ULL;
		a.hi |= plen == 0 ? ~0ULL : ~0ULL >> plen;
	}
	return a;
}

/* a/plen with bits set past plen: the message suggests the prefix. */
static int host_bits(struct conf_ld *ld, const config_setting_t *s, const char *key, const char *v,
		     struct lease_addr6 a, unsigned plen)
{
	char net[CONF_IP6_STRLEN];

	if (lease_addr6_eq(lease_addr6_mask(a, plen), a))
		return 0;
	conf_ip6_str(lease_addr6_mask(a, plen), net);
	return conf_err(ld, s, "'%s': \"%s\" has bits set past /%u (did you mean \"%s/%u\"?)", key, v,
			plen, net, plen);
}

static int parse_prefix(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	struct conf6_subnet *sn = obj;
	const char *v = conf_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	if (conf_ip6_prefix(v, &sn->prefix, &sn->prefix_len) < 0 || sn->prefix_len == 0)
		return conf_err(ld, s, "'subnet': \"%s\" is not an IPv6 prefix, e.g. \"2001:db8:1::/64\"", v);
	return host_bits(ld, s, "subnet", v, sn->prefix, sn->prefix_len);
}

/* interface = "name" from the top-level interfaces (any of them: a port
 * without address6 still has its link-local address). */
static int parse_iface(struct conf_ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k)
{
	const char *v = conf_string(ld, s, k->name);
	int i;

	if (v == NULL || (i = conf_iface_index(ld, s, v)) < 0)
		return -1;
	*(int *)((char *)obj + k->off) = i;
	return 0;
}

/* interface-id = "text": the relay's interface-id option (18) to match. */
static int parse_interface_id(struct conf_ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	const char *v = conf_string(ld, s, k->name);
	size_t n;

	if (v == NULL)
		return -1;
	n = strlen(v);
	if (n == 0)
		return conf_err(ld, s, "'interface-id' must not be empty");
	if (n > FSIZE(struct conf6_subnet, interface_id))
		return conf_err(ld, s, "'interface-id' is longer than %zu bytes",
				FSIZE(struct conf6_subnet, interface_id));
	memcpy((char *)obj + k->off, v, n);
	*((uint8_t *)obj + k->off_n) = (uint8_t)n;
	return 0;
}

/* "first - last" or "prefix/len", inside the subnet being parsed. */
static int parse_pool(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	struct conf6_pool *p = obj;
	const struct conf6_subnet *sn = ld->l6->cur_subnet;
	const char *v = conf_string(ld, s, k->name), *hi;
	char lo[64];
	char net[CONF_IP6_STRLEN];
	uint8_t len;

	if (v == NULL)
		return -1;
	if ((hi = conf_range_split(v, lo, sizeof(lo))) != NULL) {
		if (conf_ip6(lo, &p->first) < 0 || conf_ip6(hi, &p->last) < 0)
			goto bad;
		if (lease_addr6_cmp(p->first, p->last) > 0)
			return conf_err(ld, s, "'pool': \"%s\" starts after it ends", v);
	} else {
		if (conf_ip6_prefix(v, &p->first, &len) < 0)
			goto bad;
		if (host_bits(ld, s, "pool", v, p->first, len) < 0)
			return -1;
		p->last = prefix_last(p->first, len);
	}
	if (!lease_addr6_in_prefix(p->first, sn->prefix, sn->prefix_len) ||
	    !lease_addr6_in_prefix(p->last, sn->prefix, sn->prefix_len)) {
		conf_ip6_str(sn->prefix, net);
		return conf_err(ld, s, "'pool': \"%s\" is not inside subnet %s/%u", v, net, sn->prefix_len);
	}
	return 0;
bad:
	return conf_err(ld, s, "'pool': \"%s\" is not \"first - last\" or \"prefix/len\" (IPv6)", v);
}

static void pool_init(struct conf_ld *ld, void *obj)
{
	(void)ld;
	((struct conf6_pool *)obj)->client_class = -1;
}

static void pd_init(struct conf_ld *ld, void *obj)
{
	(void)ld;
	((struct conf6_pd_pool *)obj)->client_class = -1;
}

static int pool_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		     const config_setting_t **found)
{
	struct conf6_pool *p = obj;

	p->line = conf_line(grp);
	return conf_range_add(ld, conf_found(&pool_table, found, "pool"), &ld->l6->pools,
			      p->first, p->last, 0);
}

/* RFC 3633 / 6603: delegated prefixes of delegated-len carved from
 * prefix/prefix-len; the excluded prefix (inside the first delegated
 * prefix) tells where, in each of them, the prefix the router keeps for
 * its own link lies. */
static int pd_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		   const config_setting_t **found)
{
	struct conf6_pd_pool *p = obj;
	const config_setting_t *s_prefix = conf_found(&pd_table, found, "prefix");
	const config_setting_t *s_dlen = conf_found(&pd_table, found, "delegated-len");
	const config_setting_t *s_ex = conf_found(&pd_table, found, "excluded-prefix");
	const config_setting_t *s_exlen = conf_found(&pd_table, found, "excluded-prefix-len");
	char a[CONF_IP6_STRLEN];

	p->line = conf_line(grp);
	if (p->delegated_len < p->prefix_len)
		return conf_err(ld, s_dlen, "'delegated-len' %u is shorter than 'prefix-len' %u",
				p->delegated_len, p->prefix_len);
	if (host_bits(ld, s_prefix, "prefix", config_setting_get_string(s_prefix), p->prefix,
		      p->prefix_len) < 0)
		return -1;
	if ((s_ex == NULL) != (s_exlen == NULL))
		return conf_err(ld, s_ex ? s_ex : s_exlen, "'excluded-prefix' and "
				"'excluded-prefix-len' go together");
	if (s_ex) {
		if (p->excluded_len <= p->delegated_len)
			return conf_err(ld, s_exlen, "'excluded-prefix-len' %u must be longer than "
					"'delegated-len' %u", p->excluded_len, p->delegated_len);
		if (host_bits(ld, s_ex, "excluded-prefix", config_setting_get_string(s_ex),
			      p->excluded, p->excluded_len) < 0)
			return -1;
		if (!lease_addr6_in_prefix(p->excluded, p->prefix, p->delegated_len)) {
			conf_ip6_str(p->prefix, a);
			return conf_err(ld, s_ex, "'excluded-prefix' %s/%u is not inside the first "
					"delegated prefix %s/%u (its bits past delegated-len place it "
					"in each delegated prefix)", config_setting_get_string(s_ex),
					p->excluded_len, a, p->delegated_len);
		}
	}
	return conf_range_add(ld, s_prefix, &ld->l6->pd_pools, p->prefix,
			      prefix_last(p->prefix, p->prefix_len), p->prefix_len);
}

/* ------------------------------------------------------------------------
 * Timers: the subnet's own, else its shared network's, else the block's,
 * else the default.  renew <= rebind <= preferred <= valid among those
 * set; T1/T2 set nowhere stay 0 (derived when a lease is made).
 */

enum { T_RENEW, T_REBIND, T_PREFERRED, T_VALID, N_TIMERS };

static const char *const timer_names[N_TIMERS] = {
	"renew-timer", "rebind-timer", "preferred-lifetime", "valid-lifetime",
};
/* Where a value came from, least specific first. */
enum { L_DEFAULT, L_GLOBAL, L_SHARED, L_OWN };
static const char *const level_how[] = { " (default)", " (global)", " (shared network)", "" };

struct timer6 {
	uint32_t v;
	int level;
	const config_setting_t *at;
};

/* own_v/own_s: the subnet's values and settings (own_s NULL: none). */
static void timers_resolve(struct conf_ld *ld, const uint32_t own_v[N_TIMERS],
			   const config_setting_t *const own_s[N_TIMERS], struct timer6 t[N_TIMERS])
{
	const struct conf6 *v6 = ld->v6;
	const struct conf6_ld *l6 = ld->l6;
	const struct conf6_shared_net *sh = l6->cur_shared;
	const uint32_t global[N_TIMERS] = {
		v6->renew_timer, v6->rebind_timer, v6->preferred_lifetime, v6->valid_lifetime,
	};
	uint32_t shared[N_TIMERS] = { 0 };

	if (sh) {
		shared[T_RENEW] = sh->renew_timer;
		shared[T_REBIND] = sh->rebind_timer;
		shared[T_PREFERRED] = sh->preferred_lifetime;
		shared[T_VALID] = sh->valid_lifetime;
	}
	for (unsigned i = 0; i < N_TIMERS; i++) {
		const config_setting_t *g = config_setting_get_member(l6->grp, timer_names[i]);

		if (own_s && own_s[i]) {
			t[i] = (struct timer6){ own_v[i], L_OWN, own_s[i] };
		} else if (shared[i]) {
			t[i] = (struct timer6){ shared[i], L_SHARED,
				config_setting_get_member(l6->cur_shared_grp, timer_names[i]) };
		} else if (g) {
			t[i] = (struct timer6){ global[i], L_GLOBAL, g };
		} else {
			/* T1/T2 unset (0); preferred and valid: the block's defaults */
			t[i] = (struct timer6){ i < T_PREFERRED ? 0 : global[i], L_DEFAULT, NULL };
		}
	}
	/* A preferred lifetime written nowhere: 3600, or 5/8 of a valid
	 * lifetime shorter than that (Kea's fallback). */
	if (t[T_PREFERRED].level == L_DEFAULT && t[T_PREFERRED].v > t[T_VALID].v)
		t[T_PREFERRED].v = (uint32_t)((uint64_t)t[T_VALID].v * 5 / 8);
}

/* Each pair in order; the error names the more specific of the two keys. */
static int timers_check(struct conf_ld *ld, const config_setting_t *grp,
			const struct timer6 t[N_TIMERS])
{
	for (unsigned i = 0; i < N_TIMERS; i++) {
		for (unsigned j = i + 1; j < N_TIMERS; j++) {
			const struct timer6 *a = &t[i], *b = &t[j];
			const config_setting_t *at;

			/* T1/T2 set nowhere take no part */
			if ((i < T_PREFERRED && a->level == L_DEFAULT) ||
			    (j < T_PREFERRED && b->level == L_DEFAULT) || a->v <= b->v)
				continue;
			at = a->level > b->level ? a->at : b->at;
			return conf_err(ld, at ? at : grp, "%s %u%s is more than %s %u%s", timer_names[i],
					a->v, level_how[a->level], timer_names[j], b->v,
					level_how[b->level]);
		}
	}
	return 0;
}

int conf6_global_timers_check(struct conf_ld *ld)
{
	struct timer6 t[N_TIMERS];

	timers_resolve(ld, NULL, NULL, t);
	return timers_check(ld, ld->l6->grp, t);
}

/* ------------------------------------------------------------------------
 * Subnets
 */

static void subnet_init(struct conf_ld *ld, void *obj)
{
	struct conf6_subnet *sn = obj;

	sn->iface = -1;
	sn->shared = -1;
	sn->client_class = -1;
	ld->l6->cur_subnet = sn;
}

/* What a subnet takes from its shared network: the link (one link for
 * all its subnets: a different interface or interface-id is refused),
 * relay addresses and rapid-commit when it has none of its own. */
static int inherit_shared(struct conf_ld *ld, struct conf6_subnet *sn, const config_setting_t *grp,
			  const config_setting_t **found)
{
	const struct conf6_shared_net *sh = ld->l6->cur_shared;
	const config_setting_t *s_if = conf_found(&conf6_subnet_table, found, "interface");
	const config_setting_t *s_id = conf_found(&conf6_subnet_table, found, "interface-id");

	sn->shared = (int)(sh - ld->v6->shared);
	if (sn->iface >= 0 && sh->iface >= 0 && sn->iface != sh->iface)
		return conf_err(ld, s_if, "subnet %u is in shared network \"%s\" on interface \"%s\": "
				"it cannot use interface \"%s\"", sn->id, sh->name,
				ld->c->ifaces[sh->iface].name, ld->c->ifaces[sn->iface].name);
	if (sn->interface_id_len && sh->interface_id_len &&
	    (sn->interface_id_len != sh->interface_id_len ||
	     memcmp(sn->interface_id, sh->interface_id, sh->interface_id_len) != 0))
		return conf_err(ld, s_id, "subnet %u is in shared network \"%s\": it cannot have an "
				"interface-id of its own", sn->id, sh->name);
	if (sn->iface < 0)
		sn->iface = sh->iface;
	if (sn->interface_id_len == 0) {
		memcpy(sn->interface_id, sh->interface_id, sizeof(sn->interface_id));
		sn->interface_id_len = sh->interface_id_len;
	}
	if (sn->n_relay_addrs == 0 && sh->n_relay_addrs > 0) {
		sn->relay_addrs = calloc(sh->n_relay_addrs, sizeof(*sn->relay_addrs));
		if (sn->relay_addrs == NULL)
			return conf_nomem(ld, grp);
		memcpy(sn->relay_addrs, sh->relay_addrs, sh->n_relay_addrs * sizeof(*sn->relay_addrs));
		sn->n_relay_addrs = sh->n_relay_addrs;
	}
	if (!conf_found(&conf6_subnet_table, found, "rapid-commit"))
		sn->rapid_commit = sh->rapid_commit;
	return 0;
}

static int subnet_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		       const config_setting_t **found)
{
	struct conf6_subnet *sn = obj;
	struct conf6_ld *l6 = ld->l6;
	unsigned i = (unsigned)(sn - ld->v6->subnets);
	const uint32_t own[N_TIMERS] = {
		sn->renew_timer, sn->rebind_timer, sn->preferred_lifetime, sn->valid_lifetime,
	};
	const config_setting_t *own_s[N_TIMERS];
	struct timer6 t[N_TIMERS];

	sn->line = conf_line(grp);
	l6->cur_subnet = NULL;
	if (conf_grow(ld, grp, &l6->sn_src, sizeof(*l6->sn_src), &l6->cap_sn_src, i + 1) < 0)
		return -1;
	l6->sn_src[i] = grp;
	if (l6->cur_shared && inherit_shared(ld, sn, grp, found) < 0)
		return -1;
	if (sn->iface >= 0 && sn->interface_id_len) {
		const config_setting_t *s_if = conf_found(&conf6_subnet_table, found, "interface");
		const config_setting_t *s_id = conf_found(&conf6_subnet_table, found, "interface-id");

		return conf_err(ld, s_id ? s_id : s_if ? s_if : grp, "subnet %u has both an interface "
				"(its clients are on the link) and an interface-id (they are behind a "
				"relay)", sn->id);
	}

	for (unsigned k = 0; k < N_TIMERS; k++)
		own_s[k] = conf_found(&conf6_subnet_table, found, timer_names[k]);
	timers_resolve(ld, own, own_s, t);
	if (timers_check(ld, grp, t) < 0)
		return -1;
	sn->renew_timer = t[T_RENEW].v;
	sn->rebind_timer = t[T_REBIND].v;
	sn->preferred_lifetime = t[T_PREFERRED].v;
	sn->valid_lifetime = t[T_VALID].v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Shared networks
 */

static void shared_init(struct conf_ld *ld, void *obj)
{
	struct conf6_shared_net *sh = obj;

	(void)ld;
	sh->iface = -1;
	sh->client_class = -1;
}

/* The network's own keys are in; now its subnets, appended to
 * v6->subnets (one flat array for every check and for the server). */
static int shared_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		       const config_setting_t **found)
{
	struct conf6_shared_net *sh = obj;
	struct conf6 *v6 = ld->v6;
	struct conf6_ld *l6 = ld->l6;
	const config_setting_t *s_name = conf_found(&shared_table, found, "name");
	const config_setting_t *list = conf_found(&shared_table, found, "subnet6");
	int n, ret = 0;

	sh->line = conf_line(grp);
	if (sh->name[0] == '\0')
		return conf_err(ld, s_name, "'name' must not be empty");
	for (const struct conf6_shared_net *p = v6->shared; p < sh; p++)
		if (strcmp(p->name, sh->name) == 0)
			return conf_err(ld, s_name, "shared network name \"%s\" is already used (line %d)",
					sh->name, p->line);
	if (sh->iface >= 0 && sh->interface_id_len)
		return conf_err(ld, grp, "shared network \"%s\" has both an interface and an "
				"interface-id", sh->name);
	if (list == NULL)
		return 0;
	if (conf_check_list(ld, list, "subnet6") < 0)
		return -1;
	n = config_setting_length(list);
	/* the subnet6 list of the block allocated exactly its entries */
	if (l6->cap_subnets < v6->n_subnets)
		l6->cap_subnets = v6->n_subnets;
	if (conf_grow(ld, list, &v6->subnets, sizeof(*v6->subnets), &l6->cap_subnets,
		      v6->n_subnets + (unsigned)n) < 0)
		return -1;
	l6->cur_shared = sh;
	l6->cur_shared_grp = grp;
	for (int j = 0; j < n && ret == 0; j++) {
		const config_setting_t *sfound[CONF_MAX_KEYS];
		struct conf6_subnet *sn = &v6->subnets[v6->n_subnets++];   /* counted first: freed */

		ret = conf_walk(ld, config_setting_get_elem(list, (unsigned)j), &conf6_subnet_table, sn,
				sfound);
	}
	l6->cur_shared = NULL;
	l6->cur_shared_grp = NULL;
	return ret;
}

int conf6_key_shared_networks(struct conf_ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	static const struct conf_key row = LIST("shared-networks", struct conf6, shared, n_shared,
						shared_table, 0);

	(void)k;
	return conf_set(ld, s, &row, obj);
}

/* ------------------------------------------------------------------------
 * Across subnets
 */

int conf6_subnets_check(struct conf_ld *ld)
{
	const struct conf6 *v6 = ld->v6;
	struct conf6_ld *l6 = ld->l6;
	struct conf_range *r;
	int ret;

	if (conf_check_overlaps(ld, l6->pools.r, l6->pools.n, "pool") < 0 ||
	    conf_check_overlaps(ld, l6->pd_pools.r, l6->pd_pools.n, "pd-pool") < 0)
		return -1;
	if (v6->n_subnets == 0)
		return 0;
	r = calloc(v6->n_subnets, sizeof(*r));
	if (r == NULL)
		return conf_nomem(ld, l6->grp);
	for (unsigned i = 0; i < v6->n_subnets; i++) {
		r[i].first.lo = v6->subnets[i].id;
		r[i].seq = i;
		r[i].s = config_setting_get_member(l6->sn_src[i], "id");
	}
	ret = conf_check_unique_ids(ld, r, v6->n_subnets);
	for (unsigned i = 0; ret == 0 && i < v6->n_subnets; i++) {
		const struct conf6_subnet *sn = &v6->subnets[i];

		r[i].first = sn->prefix;
		r[i].last = prefix_last(sn->prefix, sn->prefix_len);
		r[i].seq = i;
		r[i].s = config_setting_get_member(l6->sn_src[i], "subnet");
	}
	if (ret == 0)
		ret = conf_check_overlaps(ld, r, v6->n_subnets, "subnet");
	free(r);
	return ret;
}
