/* Options in the dhcp6 block: option-def (definitions in the dhcp6 space,
 * the vendor-<enterprise> spaces and spaces of the user's own) and
 * option-data at every scope.
 *
 * option-data is encoded for the wire when it is loaded.  An option whose
 * definition encapsulates a space (vendor-opts: vendor-<its enterprise>;
 * ntp-server: v6-ntp-server-suboptions; the softwire containers; an
 * option-def's encapsulate) gets the entries of that space in the same
 * list after its own data, as sub-options in code order, the way Kea's
 * CfgOption::encapsulate() does; those may encapsulate further. */
#include "conf6_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * option-def
 */

struct xdef {
	char name[CONF_DEF_NAME_MAX];
	uint32_t code;
	const char *type, *record_types, *space, *encapsulate;
	bool array;
};

static const struct conf_key def_keys[] = {
	STR("name", struct xdef, name, "", .flags = K_REQUIRED),
	U32("code", struct xdef, code, 1, 65535, 0, .flags = K_REQUIRED),
	STRP("type", struct xdef, type, .flags = K_REQUIRED),
	BOOL("array", struct xdef, array, false),
	STRP("record-types", struct xdef, record_types),
	STRP("space", struct xdef, space),
	STRP("encapsulate", struct xdef, encapsulate),
};
static const struct conf_table def_table = TABLE("in a dhcp6 option-def entry", def_keys);

static int type6_by_name(const char *name)
{
	return dhcp6_opt_type_by_name(name);
}

static const char *type6_name(int t)
{
	return dhcp6_opt_type_name((enum dhcp6_opt_type)t);
}

static const char *const unsupported6[] = { "internal", NULL };
static const struct conf_def_types types6 = {
	.by_name = type6_by_name, .name = type6_name, .record = DHCP6_OT_RECORD,
	.empty = DHCP6_OT_EMPTY, .string = DHCP6_OT_STRING, .binary = DHCP6_OT_BINARY,
	.unsupported = unsupported6, .family = "DHCPv6",
};

/* A space's name follows the option name rule and fits. */
static int check_space(struct conf_ld *ld, const config_setting_t *s, const char *key,
		       const char *name)
{
	if (strlen(name) >= FSIZE(struct conf6_optdef, space) || !conf_valid_def_name(name))
		return conf_err(ld, s, "'%s': \"%s\" is not a space name (letters, digits, '-' and '_', "
				"at most %zu)", key, name, FSIZE(struct conf6_optdef, space) - 1);
	return 0;
}

/* The user's definition of name (or of code, name NULL) in space. */
static const struct conf6_optdef *def_find(const struct conf6 *v6, const char *space,
					   const char *name, int code)
{
	for (unsigned i = 0; i < v6->n_defs; i++) {
		const struct conf6_optdef *d = &v6->defs[i];

		if (strcmp(d->space, space) == 0 && (name ? strcmp(d->name, name) == 0 : d->code == code))
			return d;
	}
	return NULL;
}

static int parse_def(struct conf_ld *ld, const config_setting_t *e, void *entry)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s_name, *s_code, *s_space, *s_enc;
	const struct dhcp6_opt_def *std;
	struct conf6_optdef *d = entry;
	struct xdef v;
	int t;

	memset(&v, 0, sizeof(v));
	if (conf_walk(ld, e, &def_table, &v, found) < 0)
		return -1;
	s_name = conf_found(&def_table, found, "name");
	s_code = conf_found(&def_table, found, "code");
	s_space = conf_found(&def_table, found, "space");
	s_enc = conf_found(&def_table, found, "encapsulate");
	if (!conf_valid_def_name(v.name))
		return conf_err(ld, s_name, "option-def name \"%s\" may only use letters, digits, '-' "
				"and '_' (and not start with '-')", v.name);
	if (v.space == NULL)
		v.space = DHCP6_SPACE;
	if (check_space(ld, s_space, "space", v.space) < 0)
		return -1;
	t = conf_def_shape(ld, &types6, conf_found(&def_table, found, "type"), v.type,
			   conf_found(&def_table, found, "record-types"), v.record_types,
			   conf_found(&def_table, found, "array"), v.array, d->fields);
	if (t < 0)
		return -1;
	if (v.encapsulate) {
		if (check_space(ld, s_enc, "encapsulate", v.encapsulate) < 0)
			return -1;
		if (strcmp(v.encapsulate, DHCP6_SPACE) == 0 || strcmp(v.encapsulate, v.space) == 0)
			return conf_err(ld, s_enc, "'encapsulate': an option of space \"%s\" cannot carry "
					"the options of space \"%s\"", v.space, v.encapsulate);
	}
	if ((std = dhcp6_opt_def_by_code(v.space, (uint16_t)v.code)) != NULL)
		return conf_err(ld, s_code, "option code %u is the standard option \"%s\": "
				"option-def cannot redefine it", v.code, std->name);
	if ((std = dhcp6_opt_def_by_name(v.space, v.name)) != NULL)
		return conf_err(ld, s_name, "\"%s\" is the name of standard option %u", v.name, std->code);
	for (const struct conf6_optdef *p = ld->v6->defs; p < d; p++) {
		if (strcmp(p->space, v.space) != 0)
			continue;
		if (strcmp(p->name, v.name) == 0)
			return conf_err(ld, s_name, "option-def \"%s\" is already defined in space \"%s\" "
					"(line %d)", v.name, v.space, p->line);
		if (p->code == v.code)
			return conf_err(ld, s_code, "code %u in space \"%s\" is already defined as \"%s\" "
					"(line %d)", v.code, v.space, p->name, p->line);
	}

	snprintf(d->name, sizeof(d->name), "%s", v.name);
	snprintf(d->space, sizeof(d->space), "%s", v.space);
	snprintf(d->encapsulate, sizeof(d->encapsulate), "%s", v.encapsulate ? v.encapsulate : "");
	d->code = (uint16_t)v.code;
	d->type = t;
	d->array = v.array;
	d->line = conf_line(e);
	d->def = (struct dhcp6_opt_def){
		.code = d->code, .name = d->name, .space = d->space,
		.type = (enum dhcp6_opt_type)t, .array = v.array,
		.fields = t == DHCP6_OT_RECORD ? d->fields : NULL,
		.encapsulate = d->encapsulate[0] ? d->encapsulate : NULL,
	};
	return 0;
}

int conf6_parse_option_defs(struct conf_ld *ld, const config_setting_t *s)
{
	/* One allocation, never moved: def's pointers point into it. */
	return conf_parse_entries(ld, s, "option-def", &ld->v6->defs, sizeof(*ld->v6->defs),
				  &ld->v6->n_defs, parse_def);
}

/* ------------------------------------------------------------------------
 * option-data
 */

/* Options the server writes itself, or that only clients and relays send. */
static const struct {
	uint16_t code;
	const char *why;
} refused_options[] = {
	{ 1, "only clients send it" },
	{ 2, "the server's DUID comes from server-id" },
	{ 3, "the server builds IA_NA from the pools" },
	{ 4, "the server builds IA_TA from the pools" },
	{ 5, "the server builds addresses from the pools" },
	{ 6, "only clients send it" },
	{ 8, "only clients send it" },
	{ 9, "relays carry the messages" },
	{ 13, "the server sets status codes" },
	{ 14, "set rapid-commit in a subnet or shared network" },
	{ 18, "relays send it (a subnet's interface-id matches it)" },
	{ 19, "the server writes its own Reconfigure messages" },
	{ 20, "the server decides whether it accepts Reconfigure" },
	{ 25, "the server builds IA_PD from the pd-pools" },
	{ 26, "the server builds prefixes from the pd-pools" },
	{ 67, "it comes from a pd-pool's excluded-prefix" },
	{ 79, "relays send it" },
};

static const struct conf_key option_keys[] = {
	CONF_OPTION_KEYS(65535),
};
static const struct conf_table option_table = TABLE("in an option-data entry", option_keys);

/* One entry of a list, encoded, before encapsulation. */
struct ent {
	const char *space;              /* DHCP6_SPACE or a sub-option space (config text) */
	char encap[64];                 /* the space it carries, "" = none */
	uint16_t code;
	size_t len;
	uint8_t *data;                  /* owned */
	bool always_send, used, built;
	const config_setting_t *e;
};

/* Entry names may use: dhcp6, the standard sub-option spaces,
 * vendor-<n>, and every space an option-def lives in or encapsulates. */
static bool space_known(const struct conf6 *v6, const char *space)
{
	uint32_t ent;

	if (dhcp6_opt_space_known(space) || dhcp6_opt_vendor_space(space, &ent) == 0)
		return true;
	for (unsigned i = 0; i < v6->n_defs; i++)
		if (strcmp(v6->defs[i].space, space) == 0 || strcmp(v6->defs[i].encapsulate, space) == 0)
			return true;
	return false;
}

/* The user's definition first (it may name a code no standard one has),
 * then the standard one. */
static const struct dhcp6_opt_def *find_def(const struct conf6 *v6, const char *space,
					    const char *name, int code)
{
	const struct conf6_optdef *u = def_find(v6, space, name, code);

	if (u)
		return &u->def;
	return name ? dhcp6_opt_def_by_name(space, name) : dhcp6_opt_def_by_code(space, (uint16_t)code);
}

static int encode_entry(struct conf_ld *ld, const config_setting_t *e, struct ent *x, uint8_t *buf)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s_code, *s_name, *s_data;
	const struct dhcp6_opt_def *def;
	bool top;
	struct conf_xopt v = { 0 };
	char why[256] = "";
	int len;

	if (conf_walk(ld, e, &option_table, &v, found) < 0)
		return -1;
	s_code = conf_found(&option_table, found, "code");
	s_name = conf_found(&option_table, found, "name");
	s_data = conf_found(&option_table, found, "data");
	if (!s_name && !s_code)
		return conf_err(ld, e, "an option-data entry needs a 'name' or a 'code'");
	x->space = v.space ? v.space : DHCP6_SPACE;
	top = strcmp(x->space, DHCP6_SPACE) == 0;
	if (!space_known(ld->v6, x->space))
		return conf_err(ld, conf_found(&option_table, found, "space"), "unknown option space "
				"\"%s\" (dhcp6, vendor-<enterprise number>, " DHCP6_NTP_SERVER_SPACE
				", the s46 spaces, or one an option-def names)", x->space);
	def = find_def(ld->v6, x->space, v.name, (int)v.code);
	if (s_name && def == NULL)
		return conf_err(ld, s_name, "unknown option name \"%s\"%s%s%s", v.name,
				top ? "" : " in space \"", top ? "" : x->space,
				top ? "" : "\" (define it with option-def)");
	if (s_name && s_code && def->code != v.code)
		return conf_err(ld, s_code, "option \"%s\" has code %u, not %u", v.name, def->code, v.code);
	x->code = def ? def->code : (uint16_t)v.code;
	for (size_t i = 0; top && i < sizeof(refused_options) / sizeof(refused_options[0]); i++)
		if (refused_options[i].code == x->code)
			return conf_err(ld, s_name ? s_name : s_code, "option %u (%s) cannot be "
					"configured: %s", x->code, def ? def->name : "?",
					refused_options[i].why);
	len = dhcp6_opt_encode(def, v.data ? v.data : "", v.csv_format, buf, DHCP6_VALUE_MAX,
			       why, sizeof(why));
	if (len < 0)
		return conf_err(ld, s_data ? s_data : e, "option %u (%s): %s", x->code,
				def ? def->name : "no definition", why);
	x->data = malloc(len ? (size_t)len : 1);
	if (x->data == NULL)
		return conf_nomem(ld, e);
	memcpy(x->data, buf, (size_t)len);
	x->len = (size_t)len;
	x->always_send = v.always_send;
	x->e = e;
	if (def && def->encapsulate && strcmp(def->encapsulate, DHCP6_VENDOR_SPACE_PREFIX) == 0) {
		if (len < 4)
			return conf_err(ld, s_data ? s_data : e, "option %u (%s) needs its enterprise "
					"number", x->code, def->name);
		snprintf(x->encap, sizeof(x->encap), DHCP6_VENDOR_SPACE_PREFIX "%u",
			 (unsigned)x->data[0] << 24 | (unsigned)x->data[1] << 16 |
			 (unsigned)x->data[2] << 8 | x->data[3]);
	} else if (def && def->encapsulate) {
		snprintf(x->encap, sizeof(x->encap), "%s", def->encapsulate);
	}
	return 0;
}

static int subopt_cmp(const void *a, const void *b)
{
	const struct dhcp6_subopt *x = a, *y = b;

	return (int)x->code - (int)y->code;
}

#define ENCAP_DEPTH 8

/* x's value: its own data, then the entries of the space it carries
 * (each built the same way first) in code order. */
static int build(struct conf_ld *ld, struct ent *ents, unsigned n, struct ent *x, unsigned depth)
{
	struct dhcp6_subopt *subs;
	unsigned ns = 0;
	uint8_t *out;
	int len;

	if (x->built || x->encap[0] == '\0') {
		x->built = true;
		return 0;
	}
	if (depth > ENCAP_DEPTH)
		return conf_err(ld, x->e, "option %u: sub-options nested more than %d deep (does a "
				"space carry itself?)", x->code, ENCAP_DEPTH);
	subs = calloc(n, sizeof(*subs));
	out = malloc(DHCP6_VALUE_MAX);
	if (subs == NULL || out == NULL) {
		free(subs);
		free(out);
		return conf_nomem(ld, x->e);
	}
	for (unsigned i = 0; i < n; i++) {
		struct ent *y = &ents[i];

		if (y == x || strcmp(y->space, x->encap) != 0)
			continue;
		if (build(ld, ents, n, y, depth + 1) < 0) {
			free(subs);
			free(out);
			return -1;
		}
		y->used = true;
		subs[ns++] = (struct dhcp6_subopt){ y->code, (uint16_t)y->len, y->data };
	}
	qsort(subs, ns, sizeof(*subs), subopt_cmp);
	len = dhcp6_opt_encapsulate(out, DHCP6_VALUE_MAX, x->data, x->len, subs, ns);
	free(subs);
	if (len < 0) {
		free(out);
		return conf_err(ld, x->e, "option %u: its sub-options make it longer than %d bytes",
				x->code, DHCP6_VALUE_MAX);
	}
	free(x->data);
	x->data = realloc(out, len ? (size_t)len : 1);   /* shrinking: cannot fail in practice */
	if (x->data == NULL)
		x->data = out;
	x->len = (size_t)len;
	x->built = true;
	return 0;
}

/* A sub-option no option of the list carries. */
static int orphan(struct conf_ld *ld, const struct ent *x)
{
	const struct dhcp6_opt_def *carrier = dhcp6_opt_def_encapsulating(x->space);
	uint32_t ent;

	if (dhcp6_opt_vendor_space(x->space, &ent) == 0)
		return conf_err(ld, x->e, "option %u in space \"%s\" needs option 17 (vendor-opts) "
				"with enterprise %u in the same option-data list", x->code, x->space, ent);
	for (unsigned i = 0; !carrier && i < ld->v6->n_defs; i++)
		if (strcmp(ld->v6->defs[i].encapsulate, x->space) == 0)
			carrier = &ld->v6->defs[i].def;
	if (carrier)
		return conf_err(ld, x->e, "option %u in space \"%s\" needs option %u (%s) in the same "
				"option-data list", x->code, x->space, carrier->code, carrier->name);
	return conf_err(ld, x->e, "option %u in space \"%s\": no option carries that space",
			x->code, x->space);
}

static int option_cmp(const void *a, const void *b)
{
	const struct conf6_option *x = a, *y = b;

	return (int)x->code - (int)y->code;
}

/* The top-level entries to set, sorted; their data changes owner. */
static int collect(struct conf_ld *ld, const config_setting_t *s, struct ent *ents, unsigned n,
		   struct conf6_option_set *set)
{
	unsigned top = 0;

	for (unsigned i = 0; i < n; i++)
		top += strcmp(ents[i].space, DHCP6_SPACE) == 0;
	if (top == 0)
		return 0;
	set->opts = calloc(top, sizeof(*set->opts));
	if (set->opts == NULL)
		return conf_nomem(ld, s);
	for (unsigned i = 0; i < n; i++) {
		struct conf6_option *o = &set->opts[set->n];

		if (strcmp(ents[i].space, DHCP6_SPACE) != 0)
			continue;
		o->code = ents[i].code;
		o->len = (uint16_t)ents[i].len;
		o->always_send = ents[i].always_send;
		o->data = ents[i].data;
		ents[i].data = NULL;
		set->n++;
	}
	qsort(set->opts, set->n, sizeof(*set->opts), option_cmp);
	return 0;
}

int conf6_parse_options(struct conf_ld *ld, const config_setting_t *s, struct conf6_option_set *set)
{
	int type = config_setting_type(s), ret = -1;
	unsigned n = (unsigned)config_setting_length(s), k = 0;
	struct ent *ents = NULL;
	uint8_t *buf = NULL;

	if (type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'option-data' must be a list ( {...}, ... ), not %s",
				conf_type_name(type));
	if (n == 0)
		return 0;
	ents = calloc(n, sizeof(*ents));
	buf = malloc(DHCP6_VALUE_MAX);
	if (ents == NULL || buf == NULL) {
		conf_nomem(ld, s);
		goto out;
	}
	for (k = 0; k < n; k++) {
		const config_setting_t *e = config_setting_get_elem(s, k);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			conf_err(ld, e, "each 'option-data' entry must be a group { ... }, not %s",
				 conf_type_name(config_setting_type(e)));
			goto out;
		}
		if (encode_entry(ld, e, &ents[k], buf) < 0)
			goto out;
		for (unsigned j = 0; j < k; j++) {
			if (ents[j].code != ents[k].code || strcmp(ents[j].space, ents[k].space) != 0)
				continue;
			if (strcmp(ents[k].space, DHCP6_SPACE) == 0)
				conf_err(ld, e, "option %u is already set in this scope (line %d)",
					 ents[k].code, conf_line(ents[j].e));
			else
				conf_err(ld, e, "option %u in space \"%s\" is already set in this scope "
					 "(line %d)", ents[k].code, ents[k].space, conf_line(ents[j].e));
			goto out;
		}
	}
	/* Encapsulation is per list, as Kea's: the sub-options of one scope
	 * go into that scope's options. */
	for (unsigned i = 0; i < n; i++)
		if (strcmp(ents[i].space, DHCP6_SPACE) == 0 && build(ld, ents, n, &ents[i], 0) < 0)
			goto out;
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(ents[i].space, DHCP6_SPACE) != 0 && !ents[i].used) {
			orphan(ld, &ents[i]);
			goto out;
		}
	}
	ret = collect(ld, s, ents, n, set);
out:
	for (unsigned i = 0; ents && i < n && i <= k; i++)
		free(ents[i].data);
	free(ents);
	free(buf);
	return ret;
}

int conf6_key_options(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	return conf6_parse_options(ld, s, (struct conf6_option_set *)((char *)obj + k->off));
}

void conf6_options_free(struct conf6_option_set *set)
{
	for (unsigned i = 0; set->opts && i < set->n; i++)
		free(set->opts[i].data);
	free(set->opts);
	set->opts = NULL;
	set->n = 0;
}
