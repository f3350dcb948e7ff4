/* Subnets: subnet4 entries (at the top level and in shared networks), their
 * pools and relay addresses, the timers and boot fields they inherit from
 * the top level, and shared-networks. */
#include "conf_priv.h"

#include <stdlib.h>
#include <string.h>

static void pool_init(struct conf_ld *, void *);
static int pool_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static void subnet_init(struct conf_ld *, void *);
static int subnet_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int parse_subnet_prefix(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_subnet_iface(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_pool(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);

/* relay = { ip-addresses = [ ... ]; } */
#define RELAY_KEYS(st) \
	CUSTOM("ip-addresses", st, relay_addrs, conf_parse_addrs, \
	       .off_n = offsetof(st, n_relay_addrs), .flags = K_REQUIRED)

static const struct conf_key relay_keys[] = {
	RELAY_KEYS(struct conf_subnet),
};
static const struct conf_table relay_table = TABLE("in relay", relay_keys);

/* pools = ( { pool = "a - b"; client-class = "x"; option-data = (...); }, ... ) */
static const struct conf_key pool_keys[] = {
	CUSTOM("pool", struct conf_pool, first, parse_pool, .flags = K_REQUIRED),
	CUSTOM("option-data", struct conf_pool, options, conf_key_options),
	CUSTOM("client-class", struct conf_pool, client_class, conf_key_class_ref),
	CUSTOM("require-client-classes", struct conf_pool, require, conf_key_class_list),
};
static const struct conf_table pool_table = TABLE("in a pools entry", pool_keys,
	.size = sizeof(struct conf_pool), .init = pool_init, .post = pool_post);

/* subnet4 = ( { id = 1; subnet = "p/len"; ... }, ... )
 * Timers are 0 here when not given; subnet_post() resolves them. */
static const struct conf_key subnet_keys[] = {
	U32("id", struct conf_subnet, id, 1, U32MAX, 0, .flags = K_REQUIRED),
	CUSTOM("subnet", struct conf_subnet, prefix, parse_subnet_prefix, .flags = K_REQUIRED),
	/* after id and subnet: reservations are checked against both */
	{ .name = "reservations", .kind = K_CUSTOM, .fn = conf_key_reservations },
	CUSTOM("client-class", struct conf_subnet, client_class, conf_key_class_ref),
	CUSTOM("require-client-classes", struct conf_subnet, require, conf_key_class_list),
	CUSTOM("interface", struct conf_subnet, iface, parse_subnet_iface),
	LIST("pools", struct conf_subnet, pools, n_pools, pool_table, 0),
	/* off 0: the relay table fills the subnet itself. */
	{ .name = "relay", .kind = K_GROUP, .off = 0, .aux = &relay_table },
	U32("valid-lifetime", struct conf_subnet, valid_lifetime, 1, U32MAX, 0),
	U32("renew-timer", struct conf_subnet, renew_timer, 1, U32MAX, 0),
	U32("rebind-timer", struct conf_subnet, rebind_timer, 1, U32MAX, 0),
	IPV4("next-server", struct conf_subnet, next_server),
	STR("server-hostname", struct conf_subnet, server_hostname, ""),
	STR("boot-file-name", struct conf_subnet, boot_file_name, ""),
	CUSTOM("option-data", struct conf_subnet, options, conf_key_options),
};
const struct conf_table conf_subnet_table = TABLE("in a subnet4 entry", subnet_keys,
	.size = sizeof(struct conf_subnet), .init = subnet_init, .post = subnet_post);

static int parse_subnet_prefix(struct conf_ld *ld, const config_setting_t *s, void *obj,
			       const struct conf_key *k)
{
	struct conf_subnet *sn = obj;
	const char *v = conf_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	if (conf_ip4_prefix(v, &sn->prefix, &sn->prefix_len) < 0)
		return conf_err(ld, s, "'subnet': \"%s\" is not an IPv4 prefix, e.g. \"198.18.0.0/24\"", v);
	sn->mask = conf_prefix_mask(sn->prefix_len);
	if (sn->prefix & ~sn->mask) {
		char net[16];

		conf_ip4_str(sn->prefix & sn->mask, net);
		return conf_err(ld, s, "'subnet': \"%s\" has host bits set (did you mean \"%s/%u\"?)",
				v, net, sn->prefix_len);
	}
	return 0;
}

int conf_iface_index(struct conf_ld *ld, const config_setting_t *s, const char *name)
{
	for (unsigned i = 0; ld->c && i < ld->c->n_ifaces; i++)
		if (strcmp(ld->c->ifaces[i].name, name) == 0)
			return (int)i;
	return conf_err(ld, s, "'interface': no interface named \"%s\" in interfaces", name);
}

/* The same for DHCPv4, which needs the port's IPv4 address (conf.h). */
static int iface_index(struct conf_ld *ld, const config_setting_t *s, const char *name)
{
	int i = conf_iface_index(ld, s, name);
	const struct conf_iface *f = i >= 0 ? &ld->c->ifaces[i] : NULL;

	if (f && f->has_addr6 && !f->has_addr4)
		return conf_err(ld, s, "'interface': \"%s\" has no IPv4 'address' (only address6): "
				"DHCPv4 cannot be served on it", name);
	return i;
}

static int parse_subnet_iface(struct conf_ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	struct conf_subnet *sn = obj;
	const char *v = conf_string(ld, s, k->name);
	int i;

	if (v == NULL || (i = iface_index(ld, s, v)) < 0)
		return -1;
	sn->iface = i;
	return 0;
}

/* "first - last" or "prefix/len", inside the subnet being parsed. */
static int parse_pool(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	struct conf_pool *p = obj;
	const struct conf_subnet *sn = ld->cur_subnet;
	const char *v = conf_string(ld, s, k->name), *hi;
	char lo[64];
	char net[16];

	if (v == NULL)
		return -1;
	if ((hi = conf_range_split(v, lo, sizeof(lo))) != NULL) {
		if (conf_ip4(lo, &p->first) < 0 || conf_ip4(hi, &p->last) < 0)
			goto bad;
		if (p->first > p->last)
			return conf_err(ld, s, "'pool': \"%s\" starts after it ends", v);
	} else {
		uint32_t addr;
		uint8_t len;

		if (conf_ip4_prefix(v, &addr, &len) < 0)
			goto bad;
		if (addr & ~conf_prefix_mask(len))
			return conf_err(ld, s, "'pool': \"%s\" has host bits set", v);
		p->first = addr;
		p->last = addr | ~conf_prefix_mask(len);
	}
	if (p->first < sn->prefix || p->last > (sn->prefix | ~sn->mask)) {
		conf_ip4_str(sn->prefix, net);
		return conf_err(ld, s, "'pool': \"%s\" is not inside subnet %s/%u", v, net, sn->prefix_len);
	}
	return 0;
bad:
	return conf_err(ld, s, "'pool': \"%s\" is not \"first - last\" or \"prefix/len\"", v);
}

static int pool_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		     const config_setting_t **found)
{
	struct conf_pool *p = obj;
	struct lease_addr6 first = { 0, p->first }, last = { 0, p->last };

	p->line = config_setting_source_line(grp);
	return conf_range_add(ld, conf_found(&pool_table, found, "pool"), &ld->pools, first, last, 0);
}

static void pool_init(struct conf_ld *ld, void *obj)
{
	struct conf_pool *p = obj;

	(void)ld;
	p->client_class = -1;
}

static void subnet_init(struct conf_ld *ld, void *obj)
{
	struct conf_subnet *sn = obj;

	sn->iface = -1;
	sn->shared = -1;
	sn->client_class = -1;
	ld->cur_subnet = sn;
}

/* Describe where a resolved timer came from, for messages. */
struct timer_src {
	const char *name;
	uint32_t v;
	const config_setting_t *own, *global;
	const char *how;
};

static int timer_order(struct conf_ld *ld, const config_setting_t *grp, const struct timer_src *a,
		       const struct timer_src *b)
{
	const config_setting_t *at;

	if (a->v < b->v)
		return 0;
	/* Point at the most specific key that took part. */
	at = b->own ? b->own : a->own ? a->own : b->global ? b->global : a->global ? a->global : grp;
	return conf_err(ld, at, "%s %u%s must be less than %s %u%s", a->name, a->v, a->how,
			b->name, b->v, b->how);
}

static void timer_resolve(struct conf_ld *ld, struct timer_src *t, const char *name, uint32_t own_v,
			  const config_setting_t *own, uint32_t global_v)
{
	const config_setting_t *g = config_setting_get_member(config_root_setting(&ld->cf), name);

	t->name = name;
	t->own = own;
	t->global = g;
	t->v = own ? own_v : global_v;
	t->how = own ? "" : g ? " (global)" : "";
}

/* Inherit what the subnet does not set; derive T1/T2 (50% and 87.5% of the
 * lease, RFC 2131 4.4.5) when neither level gives them. */
static int subnet_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		       const config_setting_t **found)
{
	struct conf_subnet *sn = obj;
	const struct conf *c = ld->c;
	struct timer_src valid, renew, rebind;

	sn->line = config_setting_source_line(grp);
	ld->cur_subnet = NULL;
	{
		unsigned i = (unsigned)(sn - c->subnets);

		if (conf_grow(ld, grp, &ld->sn_src, sizeof(*ld->sn_src), &ld->cap_sn_src, i + 1) < 0)
			return -1;
		ld->sn_src[i] = grp;
	}

	timer_resolve(ld, &valid, "valid-lifetime", sn->valid_lifetime,
		      conf_found(&conf_subnet_table, found, "valid-lifetime"), c->valid_lifetime);
	timer_resolve(ld, &renew, "renew-timer", sn->renew_timer,
		      conf_found(&conf_subnet_table, found, "renew-timer"), c->renew_timer);
	timer_resolve(ld, &rebind, "rebind-timer", sn->rebind_timer,
		      conf_found(&conf_subnet_table, found, "rebind-timer"), c->rebind_timer);
	if (!valid.own)
		valid.how = valid.global ? " (global)" : " (default)";
	if (!renew.own && !renew.global) {
		renew.v = valid.v / 2;
		renew.how = " (derived: 50% of valid-lifetime)";
	}
	if (!rebind.own && !rebind.global) {
		rebind.v = (uint32_t)((uint64_t)valid.v * 7 / 8);
		rebind.how = " (derived: 87.5% of valid-lifetime)";
	}
	/* Derived values are consistent by construction; check only when a
	 * timer was written somewhere. */
	if (renew.own || renew.global || rebind.own || rebind.global) {
		if (timer_order(ld, grp, &renew, &rebind) < 0 ||
		    timer_order(ld, grp, &rebind, &valid) < 0)
			return -1;
	}
	sn->valid_lifetime = valid.v;
	sn->renew_timer = renew.v;
	sn->rebind_timer = rebind.v;

	if (!conf_found(&conf_subnet_table, found, "next-server"))
		sn->next_server = c->next_server;
	if (!conf_found(&conf_subnet_table, found, "server-hostname"))
		memcpy(sn->server_hostname, c->server_hostname, sizeof(sn->server_hostname));
	if (!conf_found(&conf_subnet_table, found, "boot-file-name"))
		memcpy(sn->boot_file_name, c->boot_file_name, sizeof(sn->boot_file_name));
	return 0;
}

/* ------------------------------------------------------------------------
 * Shared networks
 */

struct xshared {
	char name[64];
	const char *iface;
};

static const struct conf_key shared_keys[] = {
	STR("name", struct xshared, name, "", .flags = K_REQUIRED),
	STRP("interface", struct xshared, iface),
	ANY("relay"),
	ANY("option-data"),
	ANY("client-class"),
	ANY("require-client-classes"),
	ANY("subnet4"),
};
static const struct conf_table shared_table = TABLE("in a shared-networks entry", shared_keys);

static const struct conf_key shared_relay_keys[] = {
	RELAY_KEYS(struct conf_shared_net),
};
static const struct conf_table shared_relay_table = TABLE("in relay", shared_relay_keys);
static const struct conf_key shared_relay = {
	.name = "relay", .kind = K_GROUP, .off = 0, .aux = &shared_relay_table,
};

static int parse_shared(struct conf_ld *ld, const config_setting_t *e, void *entry)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s;
	struct conf_shared_net *sh = entry;
	struct xshared v;
	int i;

	memset(&v, 0, sizeof(v));
	sh->iface = -1;
	sh->client_class = -1;
	sh->line = conf_line(e);
	if (conf_walk(ld, e, &shared_table, &v, found) < 0)
		return -1;
	s = conf_found(&shared_table, found, "name");
	if (v.name[0] == '\0')
		return conf_err(ld, s, "'name' must not be empty");
	for (const struct conf_shared_net *p = ld->x->shared; p < sh; p++)
		if (strcmp(p->name, v.name) == 0)
			return conf_err(ld, s, "shared network name \"%s\" is already used (line %d)",
					v.name, p->line);
	memcpy(sh->name, v.name, sizeof(sh->name));
	if ((s = conf_found(&shared_table, found, "interface")) != NULL) {
		if ((i = iface_index(ld, s, v.iface)) < 0)
			return -1;
		sh->iface = i;
	}
	if ((s = conf_found(&shared_table, found, "relay")) != NULL &&
	    conf_set(ld, s, &shared_relay, sh) < 0)
		return -1;
	if ((s = conf_found(&shared_table, found, "option-data")) != NULL &&
	    conf_parse_options(ld, s, &sh->options) < 0)
		return -1;
	if ((s = conf_found(&shared_table, found, "client-class")) != NULL &&
	    conf_parse_class_ref(ld, s, &sh->client_class) < 0)
		return -1;
	if ((s = conf_found(&shared_table, found, "require-client-classes")) != NULL &&
	    conf_parse_class_list(ld, s, &sh->require) < 0)
		return -1;
	if ((s = conf_found(&shared_table, found, "subnet4")) != NULL) {
		if (conf_check_list(ld, s, "subnet4") < 0)
			return -1;
		sh->subnets = s;
	}
	return 0;
}

int conf_parse_shared_networks(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_parse_entries(ld, s, "shared-networks", &ld->x->shared, sizeof(*ld->x->shared),
				  &ld->x->n_shared, parse_shared);
}

int conf_shared_subnet(struct conf_ld *ld, const struct conf_shared_net *sh,
		       struct conf_subnet *sn, const config_setting_t *grp)
{
	const config_setting_t *s_if = grp ? config_setting_get_member(grp, "interface") : NULL;

	if (sn->iface >= 0 && sh->iface >= 0 && sn->iface != sh->iface) {
		const char *own = ld->c ? ld->c->ifaces[sn->iface].name : "?";
		const char *net = ld->c ? ld->c->ifaces[sh->iface].name : "?";

		return conf_err(ld, s_if ? s_if : grp, "subnet %u is in shared network \"%s\" on "
				"interface \"%s\": it cannot use interface \"%s\"", sn->id, sh->name,
				net, own);
	}
	if (sn->iface < 0)
		sn->iface = sh->iface;
	if (sn->n_relay_addrs == 0 && sh->n_relay_addrs > 0) {
		sn->relay_addrs = calloc(sh->n_relay_addrs, sizeof(*sn->relay_addrs));
		if (sn->relay_addrs == NULL)
			return conf_nomem(ld, grp);
		memcpy(sn->relay_addrs, sh->relay_addrs, sh->n_relay_addrs * sizeof(*sn->relay_addrs));
		sn->n_relay_addrs = sh->n_relay_addrs;
	}
	return 0;
}

/* shared-networks: each network's own keys first (conf_parse_shared_networks),
 * then its subnet4 list with the subnet table, appended to c->subnets (so
 * every check and the server see one flat array), each subnet marked with
 * its network's index and given the network's interface and relays. */
int conf_key_shared_networks(struct conf_ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k)
{
	struct conf *c = obj;
	struct conf_policy *x = c->policy;
	unsigned total = c->n_subnets;

	(void)k;
	if (conf_parse_shared_networks(ld, s) < 0)
		return -1;
	for (unsigned i = 0; i < x->n_shared; i++)
		if (x->shared[i].subnets)
			total += (unsigned)config_setting_length(x->shared[i].subnets);
	if (total == c->n_subnets)
		return 0;
	{
		struct conf_subnet *sns = realloc(c->subnets, total * sizeof(*sns));

		if (sns == NULL)
			return conf_nomem(ld, s);
		memset(sns + c->n_subnets, 0, (total - c->n_subnets) * sizeof(*sns));
		c->subnets = sns;
	}
	for (unsigned i = 0; i < x->n_shared; i++) {
		const config_setting_t *list = x->shared[i].subnets;

		/* conf_check_list has seen that every entry is a group. */
		for (int j = 0; list && j < config_setting_length(list); j++) {
			const config_setting_t *e = config_setting_get_elem(list, (unsigned)j);
			const config_setting_t *found[CONF_MAX_KEYS];
			struct conf_subnet *sn = &c->subnets[c->n_subnets];

			c->n_subnets++;         /* counted first: conf_free sees partial ones */
			if (conf_walk(ld, e, &conf_subnet_table, sn, found) < 0)
				return -1;
			sn->shared = (int)i;
			if (conf_shared_subnet(ld, &x->shared[i], sn, e) < 0)
				return -1;
		}
	}
	return 0;
}
