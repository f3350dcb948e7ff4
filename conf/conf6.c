/* The dhcp6 block: Kea's "Dhcp6" keys on the key-table engine (conf_priv.h,
 * conf6_priv.h say where the rest of it is).  This file holds the block's
 * own table and scalars, server-id, its lease-database, client-classes,
 * the checks across the whole block, and freeing it.
 *
 * The block gets its own class registry (compiled for DHCPv6), its own
 * reservations and identifier order: nothing in it is shared with the
 * DHCPv4 policy but the interfaces and the top-level lease-database's
 * memfile settings. */
#include "conf6_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_server_ident(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int server_id_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int parse_lease_db(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int top_level_only(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_data_dir(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_classes(struct conf_ld *, const config_setting_t *);
static int parse_hr_ids(struct conf_ld *, const config_setting_t *);
static int parse_flex(struct conf_ld *, const config_setting_t *);
static void dhcp6_init(struct conf_ld *, void *);
static int dhcp6_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);

/* ------------------------------------------------------------------------
 * The tables
 */

/* server-id = { type = "LLT"; identifier = "hex"; htype = 1; time = 0;
 * enterprise-id = 2495; persist = true; } (Kea's keys and defaults) */
static const struct conf_enum duid_type_names[] = {
	{ "LLT", CONF6_DUID_LLT }, { "EN", CONF6_DUID_EN }, { "LL", CONF6_DUID_LL }, { NULL, 0 },
};
static const struct conf_key server_id_keys[] = {
	ENUM("type", struct conf6_server_id, type, duid_type_names, "LLT"),
	CUSTOM("identifier", struct conf6_server_id, identifier, parse_server_ident),
	U16("htype", struct conf6_server_id, htype, 0, 65535, 1),
	U32("time", struct conf6_server_id, time, 0, U32MAX, 0),
	U32("enterprise-id", struct conf6_server_id, enterprise_id, 0, U32MAX, 2495),
	BOOL("persist", struct conf6_server_id, persist, true),
};
static const struct conf_table server_id_table = TABLE("in server-id", server_id_keys,
	.post = server_id_post);

/* lease-database = { type = "memfile"; name = "..."; }: the DHCPv6 lease
 * file.  How leases are written (persist, durability, flush-interval,
 * lfc-interval) is the top-level lease-database's, for both families. */
struct xdb6 {
	int type;
	char name[PATH_MAX];
};
static const struct conf_enum db6_type_names[] = {
	{ "memfile", CONF_DB_MEMFILE }, { NULL, 0 },
};
static const struct conf_key lease_db_keys[] = {
	ENUM("type", struct xdb6, type, db6_type_names, "memfile"),
	STR("name", struct xdb6, name, ""),
	{ .name = "persist", .kind = K_CUSTOM, .fn = top_level_only },
	{ .name = "durability", .kind = K_CUSTOM, .fn = top_level_only },
	{ .name = "flush-interval", .kind = K_CUSTOM, .fn = top_level_only },
	{ .name = "lfc-interval", .kind = K_CUSTOM, .fn = top_level_only },
};
static const struct conf_table lease_db_table = TABLE("in dhcp6 lease-database", lease_db_keys);

/* One process serves both families: the top-level hosts-database holds
 * the DHCPv6 reservations too (hosts.dhcp6_subnet_id), as one Kea
 * database serves a kea-dhcp4 and a kea-dhcp6 that both name it. */
static int refuse_hosts_db(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_err(ld, s, "'%s' belongs at the top level: there one hosts database "
			"serves DHCPv4 and DHCPv6 (rows with dhcp6_subnet_id)", config_setting_name(s));
}

/* dhcp6 = { ... }: the scalars first (subnets inherit them), option-def
 * before any option-data, classes before the option-data that is not
 * theirs, subnets before the shared networks that append to them. */
static const struct conf_key dhcp6_keys[] = {
	U32("valid-lifetime", struct conf6, valid_lifetime, 1, U32MAX, 7200),
	U32("preferred-lifetime", struct conf6, preferred_lifetime, 1, U32MAX, 3600),
	U32("renew-timer", struct conf6, renew_timer, 1, U32MAX, 0),
	U32("rebind-timer", struct conf6, rebind_timer, 1, U32MAX, 0),
	U32("decline-probation-period", struct conf6, decline_probation_period, 0, U32MAX, 86400),
	STR("data-directory", struct conf6, data_dir, "/var/lib/peregrine", .fn = check_data_dir),
	GROUP("server-id", struct conf6, server_id, server_id_table),
	CUSTOM("lease-database", struct conf6, lease_file, parse_lease_db),
	PARSE("hosts-database", refuse_hosts_db),
	PARSE("hosts-databases", refuse_hosts_db),
	PARSE("option-def", conf6_parse_option_defs),
	PARSE("client-classes", parse_classes),
	PARSE("host-reservation-identifiers", parse_hr_ids),
	PARSE("flex-id-expression", parse_flex),
	CUSTOM("option-data", struct conf6, options, conf6_key_options),
	LIST("subnet6", struct conf6, subnets, n_subnets, conf6_subnet_table, 0),
	{ .name = "shared-networks", .kind = K_CUSTOM, .fn = conf6_key_shared_networks },
	{ .name = "reservations", .kind = K_CUSTOM, .fn = conf6_key_reservations },  /* global ones */
};
static const struct conf_table dhcp6_table = TABLE("in dhcp6", dhcp6_keys,
	.init = dhcp6_init, .post = dhcp6_post);

/* ------------------------------------------------------------------------
 * server-id, lease-database, data-directory
 */

/* identifier = "hex": the link-layer address (LLT, LL) or the vendor's
 * identifier (EN). */
static int parse_server_ident(struct conf_ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	struct conf6_server_id *sid = obj;
	const char *v = conf_string(ld, s, k->name);
	char why[128];
	int len;

	if (v == NULL)
		return -1;
	len = dhcp6_opt_encode(NULL, v, false, sid->identifier, sizeof(sid->identifier), why,
			       sizeof(why));
	if (len < 0)
		return conf_err(ld, s, "'identifier': \"%s\": %s (hex bytes, at most %zu)", v, why,
				sizeof(sid->identifier));
	if (len == 0)
		return conf_err(ld, s, "'identifier' is empty");
	sid->identifier_len = (uint8_t)len;
	return 0;
}

/* Each key belongs to some DUID types only: say so rather than ignore it. */
static int server_id_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
			  const config_setting_t **found)
{
	struct conf6_server_id *sid = obj;
	const config_setting_t *s;

	sid->line = conf_line(grp);
	if ((s = conf_found(&server_id_table, found, "time")) && sid->type != CONF6_DUID_LLT)
		return conf_err(ld, s, "'time' belongs to server-id type \"LLT\"");
	if ((s = conf_found(&server_id_table, found, "htype")) && sid->type == CONF6_DUID_EN)
		return conf_err(ld, s, "'htype' belongs to server-id types \"LLT\" and \"LL\"");
	if ((s = conf_found(&server_id_table, found, "enterprise-id")) && sid->type != CONF6_DUID_EN)
		return conf_err(ld, s, "'enterprise-id' belongs to server-id type \"EN\"");
	return 0;
}

static int top_level_only(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	(void)obj;
	return conf_err(ld, s, "'%s' is set in the top-level lease-database: it holds for the "
			"DHCPv4 and DHCPv6 leases alike", k->name);
}

static int parse_lease_db(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	const config_setting_t *found[CONF_MAX_KEYS], *at;
	struct conf_lease_db *db = &ld->c->lease_db;
	struct conf6 *v6 = obj;
	struct xdb6 v;

	(void)k;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_err(ld, s, "'lease-database' must be a group { ... }, not %s",
				conf_type_name(config_setting_type(s)));
	memset(&v, 0, sizeof(v));
	if (conf_walk(ld, s, &lease_db_table, &v, found) < 0)
		return -1;
	at = conf_found(&lease_db_table, found, "name");
	if (CONF_DB_REMOTE(db->type))
		return conf_err(ld, s, "the top-level %s lease-database \"%s\" keeps the "
				"DHCPv6 leases too (%s): leave out the dhcp6 lease-database",
				conf_db_type_name(db->type), db->name,
				db->type == CONF_DB_POSTGRESQL ? "table lease6" : "keys lease6:*");
	if (db->type != CONF_DB_MEMFILE)
		return conf_err(ld, s, "a dhcp6 lease-database needs a top-level lease-database of "
				"type \"memfile\" (where persist, durability and lfc-interval are set)");
	if (v.name[0] == '\0' && db->durability != CONF_DUR_MEMORY)
		return conf_err(ld, s, "the dhcp6 lease-database needs a 'name' (the DHCPv6 lease "
				"file) unless the top-level durability is \"memory\"");
	if (v.name[0] != '\0' && strcmp(v.name, db->name) == 0)
		return conf_err(ld, at, "'name': \"%s\" is the DHCPv4 lease file (the top-level "
				"lease-database's); DHCPv6 leases need a file of their own", v.name);
	memcpy(v6->lease_file, v.name, sizeof(v6->lease_file));
	memcpy(db->name6, v.name, sizeof(db->name6));
	return 0;
}

static int check_data_dir(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	if (*((char *)obj + k->off) == '\0')
		return conf_err(ld, s, "'%s' must not be empty", k->name);
	return 0;
}

/* ------------------------------------------------------------------------
 * client-classes, host-reservation-identifiers, flex-id-expression
 */

struct xclass6 {
	char name[CLS_NAME_MAX];
	const char *test;
	bool only_if_required;
};

static const struct conf_key class_keys[] = {
	STR("name", struct xclass6, name, "", .flags = K_REQUIRED),
	STRP("test", struct xclass6, test),
	BOOL("only-if-required", struct xclass6, only_if_required, false),
	ANY("option-data"),
};
static const struct conf_table class_table = TABLE("in a dhcp6 client-classes entry", class_keys);

static int parse_class(struct conf_ld *ld, const config_setting_t *e, void *entry)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s_opts;
	struct conf6 *v6 = ld->v6;
	struct conf6_class *c = entry;
	struct xclass6 v;
	int id, prev = 0;

	memset(&v, 0, sizeof(v));
	if (conf_walk(ld, e, &class_table, &v, found) < 0)
		return -1;
	for (const struct conf6_class *p = v6->classes; p < c && prev == 0; p++)
		if (strcmp(p->name, v.name) == 0)
			prev = p->line;
	id = conf_class_register(ld, v6->reg, conf_found(&class_table, found, "name"),
				 conf_found(&class_table, found, "test"), v.name, v.test,
				 v.only_if_required, prev);
	if (id < 0)
		return -1;
	snprintf(c->name, sizeof(c->name), "%s", v.name);
	c->id = id;
	c->only_if_required = v.only_if_required;
	c->line = conf_line(e);
	v6->class_idx[id] = (int16_t)(c - v6->classes);
	s_opts = conf_found(&class_table, found, "option-data");
	return s_opts ? conf6_parse_options(ld, s_opts, &c->options) : 0;
}

static int parse_classes(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_parse_entries(ld, s, "client-classes", &ld->v6->classes, sizeof(*ld->v6->classes),
				  &ld->v6->n_classes, parse_class);
}

/* A client is known to DHCPv6 by its DUID, its link-layer address (from
 * the DUID or the relay) or a flex-id: circuit-id and client-id are
 * DHCPv4's. */
static int parse_hr_ids(struct conf_ld *ld, const config_setting_t *s)
{
	unsigned allowed = 1u << CONF_HID_HW_ADDRESS | 1u << CONF_HID_DUID | 1u << CONF_HID_FLEX_ID;

	return conf_parse_id_list(ld, s, allowed, ld->v6->hr_order, &ld->v6->n_hr_order);
}

static int parse_flex(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_compile_flex(ld, s, ld->v6->reg, CLS_V6, &ld->v6->flex_expr);
}

/* Every class a key names is defined in the block's client-classes, or
 * builtin (ALL, KNOWN, UNKNOWN, DROP, VENDOR_CLASS_*). */
static int check_class_refs(struct conf_ld *ld)
{
	const struct cls_registry *reg = ld->v6->reg;

	for (unsigned i = 0; i < ld->n_refs; i++) {
		const struct conf_class_ref *r = &ld->refs[i];
		const char *name = cls_registry_name(reg, (unsigned)r->id);
		const char *key = config_setting_name(r->s);

		if (r->id < CLS_ID_FIRST_USER || cls_registry_defined(reg, (unsigned)r->id) ||
		    strncmp(name, CLS_VENDOR_PREFIX, strlen(CLS_VENDOR_PREFIX)) == 0)
			continue;
		if (key == NULL)
			key = config_setting_name(config_setting_parent(r->s));
		return conf_err(ld, r->s, "'%s': client class \"%s\" is not defined in the dhcp6 "
				"client-classes (a class without a test serves as a tag)", key, name);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * The block
 */

static void dhcp6_init(struct conf_ld *ld, void *obj)
{
	struct conf6 *v6 = obj;

	(void)ld;
	for (unsigned i = 0; i < CLS_MAX_CLASSES; i++)
		v6->class_idx[i] = -1;
	/* Kea's default identifier order for DHCPv6 */
	v6->hr_order[0] = CONF_HID_HW_ADDRESS;
	v6->hr_order[1] = CONF_HID_DUID;
	v6->n_hr_order = 2;
}

static int dhcp6_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		      const config_setting_t **found)
{
	struct conf6 *v6 = obj;
	const struct conf *c = ld->c;

	(void)found;
	v6->line = conf_line(grp);
	/* Persisted leases need a DHCPv6 file too: without one every DHCPv6
	 * change would wait forever for a store that cannot take it. */
	if (c && c->lease_db.type == CONF_DB_MEMFILE && c->lease_db.durability != CONF_DUR_MEMORY &&
	    v6->lease_file[0] == '\0')
		return conf_err(ld, grp, "the dhcp6 block needs lease-database = { name = \"...\"; } "
				"(the DHCPv6 lease file): the top-level lease-database persists leases");
	if (conf6_global_timers_check(ld) < 0 || conf6_subnets_check(ld) < 0 ||
	    check_class_refs(ld) < 0 || conf6_hosts_check(ld) < 0)
		return -1;
	for (unsigned i = 0; c && i < c->n_ifaces && i < CLS_MAX_IFACES; i++)
		if (cls_registry_set_iface(v6->reg, i, c->ifaces[i].name) < 0)
			return conf_nomem(ld, grp);
	return 0;
}

int conf6_key_dhcp6(struct conf_ld *ld, const config_setting_t *s, void *obj,
		    const struct conf_key *k)
{
	const config_setting_t *found[CONF_MAX_KEYS];
	struct conf *c = obj;
	struct conf6_ld l6;
	struct conf6 *v6;
	int ret;

	(void)k;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_err(ld, s, "'dhcp6' must be a group { ... }, not %s",
				conf_type_name(config_setting_type(s)));
	/* Owned by c from here on: conf_free frees what was built. */
	v6 = c->v6 = calloc(1, sizeof(*v6));
	if (v6 == NULL)
		return conf_nomem(ld, s);
	v6->reg = cls_registry_create6();   /* its tests are DHCPv6 expressions */
	if (v6->reg == NULL)
		return conf_nomem(ld, s);
	memset(&l6, 0, sizeof(l6));
	l6.grp = s;
	ld->v6 = v6;
	ld->l6 = &l6;
	ld->n_refs = 0;
	ret = conf_walk(ld, s, &dhcp6_table, v6, found);
	ld->v6 = NULL;
	ld->l6 = NULL;
	free(l6.pools.r);
	free(l6.pd_pools.r);
	free(l6.sn_src);
	free(l6.host_src);
	return ret;
}

const struct conf6_subnet *conf6_subnet_by_id(const struct conf6 *c, uint32_t id)
{
	for (unsigned i = 0; c && i < c->n_subnets; i++)
		if (c->subnets[i].id == id)
			return &c->subnets[i];
	return NULL;
}

void conf6_free(struct conf6 *v6)
{
	if (v6 == NULL)
		return;
	conf6_options_free(&v6->options);
	for (unsigned i = 0; i < v6->n_subnets; i++) {
		struct conf6_subnet *sn = &v6->subnets[i];

		for (unsigned j = 0; sn->pools && j < sn->n_pools; j++)
			conf6_options_free(&sn->pools[j].options);
		for (unsigned j = 0; sn->pd_pools && j < sn->n_pd_pools; j++)
			conf6_options_free(&sn->pd_pools[j].options);
		free(sn->pools);
		free(sn->pd_pools);
		free(sn->relay_addrs);
		conf6_options_free(&sn->options);
	}
	free(v6->subnets);
	for (unsigned i = 0; i < v6->n_shared; i++) {
		free(v6->shared[i].relay_addrs);
		conf6_options_free(&v6->shared[i].options);
	}
	free(v6->shared);
	for (unsigned i = 0; i < v6->n_hosts; i++) {
		free(v6->hosts[i].addrs);
		free(v6->hosts[i].prefixes);
		conf6_options_free(&v6->hosts[i].options);
	}
	free(v6->hosts);
	for (unsigned i = 0; i < v6->n_classes; i++)
		conf6_options_free(&v6->classes[i].options);
	free(v6->classes);
	free(v6->defs);
	cls_prog_free(v6->flex_expr);
	cls_registry_free(v6->reg);
	free(v6);
}
