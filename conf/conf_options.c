/* Options in the configuration: option-def (names, codes and types of
 * options the standard does not define, in the dhcp4 space and the vendor
 * spaces), option-data at every scope, and option-precedence.
 *
 * option-data is encoded for the wire when it is loaded.  Sub-options of
 * the vendor spaces are collected per list and encapsulated into that
 * list's option 43 or 125, as Kea's CfgOption::encapsulate() does. */
#include "conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Option spaces and definitions
 */
/* Spaces an option or a definition may live in. */
enum space_kind { SP_DHCP4, SP_ENCAP43, SP_VIVSO };

struct space {
	enum space_kind kind;
	uint32_t enterprise;         /* SP_VIVSO */
	const char *name;
};

static int parse_space(struct conf_ld *ld, const config_setting_t *s, const char *name,
		       struct space *sp)
{
	sp->name = name ? name : "dhcp4";
	sp->enterprise = 0;
	if (name == NULL || strcmp(name, "dhcp4") == 0) {
		sp->kind = SP_DHCP4;
		return 0;
	}
	if (strcmp(name, DHCP4_VENDOR_ENCAP_SPACE) == 0) {
		sp->kind = SP_ENCAP43;
		return 0;
	}
	if (strncmp(name, DHCP4_VIVSO_SPACE_PREFIX, strlen(DHCP4_VIVSO_SPACE_PREFIX)) == 0) {
		const char *p = name + strlen(DHCP4_VIVSO_SPACE_PREFIX);
		unsigned long long v = 0;
		size_t n = strlen(p);

		if (n > 0 && n <= 10 && strspn(p, "0123456789") == n && (n == 1 || p[0] != '0')) {
			v = strtoull(p, NULL, 10);
			if (v <= UINT32_MAX) {
				sp->kind = SP_VIVSO;
				sp->enterprise = (uint32_t)v;
				return 0;
			}
		}
	}
	return conf_err(ld, s, "unknown option space \"%s\" (dhcp4, " DHCP4_VENDOR_ENCAP_SPACE
			" or vendor-<enterprise number>)", name);
}

const struct conf_optdef *conf_policy_def_find(const struct conf_policy *x, const char *space,
					       const char *name, int code)
{
	if (space == NULL)
		space = "dhcp4";
	for (unsigned i = 0; x && i < x->n_defs; i++) {
		const struct conf_optdef *d = &x->defs[i];

		if (strcmp(d->space, space) != 0)
			continue;
		if (name ? strcmp(d->name, name) == 0 : d->def.code == code)
			return d;
	}
	return NULL;
}

struct xdef {
	char name[CONF_DEF_NAME_MAX];
	uint32_t code;
	const char *type, *record_types, *space;
	bool array;
};

static const struct conf_key def_keys[] = {
	STR("name", struct xdef, name, "", .flags = K_REQUIRED),
	U32("code", struct xdef, code, 1, 254, 0, .flags = K_REQUIRED),
	STRP("type", struct xdef, type, .flags = K_REQUIRED),
	BOOL("array", struct xdef, array, false),
	STRP("record-types", struct xdef, record_types),
	STRP("space", struct xdef, space),
};
static const struct conf_table def_table = TABLE("in an option-def entry", def_keys);

/* One type name of an option-def (or of one of its record fields). */
static int def_type(struct conf_ld *ld, const struct conf_def_types *ty, const config_setting_t *s,
		    const char *name, bool in_record)
{
	int t = ty->by_name(name);

	for (const char *const *u = ty->unsupported; *u; u++)
		if (strcmp(name, *u) == 0)
			return conf_err(ld, s, "type \"%s\" is not supported in %s option definitions",
					name, ty->family);
	if (t < 0)
		return conf_err(ld, s, "unknown option type \"%s\"", name);
	if (in_record && (t == ty->record || t == ty->empty))
		return conf_err(ld, s, "record-types: a record field cannot be \"%s\"", name);
	return t;
}

/* Whether values of type t carry their own length (so another may follow). */
static bool self_delimited(const struct conf_def_types *ty, int t)
{
	return t != ty->string && t != ty->binary && t != ty->empty;
}

int conf_def_shape(struct conf_ld *ld, const struct conf_def_types *ty, const config_setting_t *s_type,
		   const char *type, const config_setting_t *s_rt, const char *record_types,
		   const config_setting_t *s_array, bool array, int fields[CONF_DEF_FIELDS_MAX + 1])
{
	int t = def_type(ld, ty, s_type, type, false);
	char buf[512], *tok, *save = NULL;
	unsigned n = 0;

	fields[0] = -1;
	if (t < 0)
		return -1;
	if (t != ty->record) {
		if (s_rt != NULL)
			return conf_err(ld, s_rt, "'record-types' only goes with type \"record\"");
		if (array && !self_delimited(ty, t))
			return conf_err(ld, s_array, "an array of %s is not possible (the values have no "
					"length of their own)", type);
		return t;
	}
	if (s_rt == NULL)
		return conf_err(ld, s_type, "a record option-def needs 'record-types'");
	if (strlen(record_types) >= sizeof(buf))
		return conf_err(ld, s_rt, "'record-types' is too long");
	snprintf(buf, sizeof(buf), "%s", record_types);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		int ft;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (n == CONF_DEF_FIELDS_MAX)
			return conf_err(ld, s_rt, "record-types: more than %d fields", CONF_DEF_FIELDS_MAX);
		if (n > 0 && !self_delimited(ty, fields[n - 1]))
			return conf_err(ld, s_rt, "record-types: a %s field can only be the last one",
					ty->name(fields[n - 1]));
		if ((ft = def_type(ld, ty, s_rt, tok, true)) < 0)
			return -1;
		fields[n++] = ft;
		fields[n] = -1;
	}
	if (n == 0)
		return conf_err(ld, s_rt, "'record-types' is empty");
	if (array && !self_delimited(ty, fields[n - 1]))
		return conf_err(ld, s_rt, "an array of records cannot end in a %s field "
				"(where would one record stop?)", ty->name(fields[n - 1]));
	return t;
}

static int type4_by_name(const char *name)
{
	return dhcp4_opt_type_by_name(name);
}

static const char *type4_name(int t)
{
	return dhcp4_opt_type_name((enum dhcp4_opt_type)t);
}

static const char *const unsupported4[] = {
	"ipv6-address", "ipv6-prefix", "psid", "tuple", "internal", NULL,
};
static const struct conf_def_types types4 = {
	.by_name = type4_by_name, .name = type4_name, .record = DHCP4_OT_RECORD,
	.empty = DHCP4_OT_EMPTY, .string = DHCP4_OT_STRING, .binary = DHCP4_OT_BINARY,
	.unsupported = unsupported4, .family = "DHCPv4",
};

bool conf_valid_def_name(const char *n)
{
	if (*n == '\0' || *n == '-')
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '-' || *n == '_'))
			return false;
	return true;
}

static int parse_def(struct conf_ld *ld, const config_setting_t *e, void *entry)
{
	struct conf_optdef *d = entry;
	const config_setting_t *found[CONF_MAX_KEYS], *s_rt, *s_type, *s_space, *s_code, *s_name;
	struct conf_policy *x = ld->x;
	struct xdef v;
	struct space sp;
	int t, fields[CONF_DEF_FIELDS_MAX + 1];

	memset(&v, 0, sizeof(v));
	if (conf_walk(ld, e, &def_table, &v, found) < 0)
		return -1;
	s_name = conf_found(&def_table, found, "name");
	s_code = conf_found(&def_table, found, "code");
	s_type = conf_found(&def_table, found, "type");
	s_rt = conf_found(&def_table, found, "record-types");
	s_space = conf_found(&def_table, found, "space");
	if (!conf_valid_def_name(v.name))
		return conf_err(ld, s_name, "option-def name \"%s\" may only use letters, digits, '-' "
				"and '_' (and not start with '-')", v.name);
	if (parse_space(ld, s_space, v.space, &sp) < 0)
		return -1;
	t = conf_def_shape(ld, &types4, s_type, v.type, s_rt, v.record_types,
			   conf_found(&def_table, found, "array"), v.array, fields);
	if (t < 0)
		return -1;

	snprintf(d->name, sizeof(d->name), "%s", v.name);
	snprintf(d->space, sizeof(d->space), "%s", sp.name);
	d->line = conf_line(e);
	d->def.code = (uint8_t)v.code;
	d->def.name = d->name;
	d->def.type = (enum dhcp4_opt_type)t;
	d->def.array = v.array;
	for (unsigned i = 0; i <= CONF_DEF_FIELDS_MAX; i++) {
		d->fields[i] = fields[i] < 0 ? DHCP4_OT_EMPTY : (enum dhcp4_opt_type)fields[i];
		if (fields[i] < 0)
			break;
	}
	if (t == DHCP4_OT_RECORD)
		d->def.fields = d->fields;

	if (sp.kind == SP_DHCP4) {
		const struct dhcp4_opt_def *std = dhcp4_opt_def_by_code((uint8_t)v.code);

		if (std != NULL)
			return conf_err(ld, s_code, "option code %u is the standard option \"%s\": "
					"option-def cannot redefine it", v.code, std->name);
		if ((std = dhcp4_opt_def_by_name(v.name)) != NULL)
			return conf_err(ld, s_name, "\"%s\" is the name of standard option %u", v.name,
					std->code);
	}
	for (struct conf_optdef *p = x->defs; p < d; p++) {
		if (strcmp(p->space, d->space) != 0)
			continue;
		if (strcmp(p->name, d->name) == 0)
			return conf_err(ld, s_name, "option-def \"%s\" is already defined in space \"%s\" "
					"(line %d)", d->name, d->space, p->line);
		if (p->def.code == d->def.code)
			return conf_err(ld, s_code, "code %u in space \"%s\" is already defined as \"%s\" "
					"(line %d)", v.code, d->space, p->name, p->line);
	}
	return 0;
}

int conf_parse_option_defs(struct conf_ld *ld, const config_setting_t *s)
{
	/* One allocation, never moved: def.name/fields point into it. */
	return conf_parse_entries(ld, s, "option-def", &ld->x->defs, sizeof(*ld->x->defs),
				  &ld->x->n_defs, parse_def);
}

/* ------------------------------------------------------------------------
 * option-data
 */

/* Options the server fills in itself. */
static const struct {
	uint8_t code;
	const char *why;
} refused_options[] = {
	{ 50, "only clients send it" },
	{ 51, "the lease time comes from valid-lifetime" },
	{ 52, "the server decides option overload itself" },
	{ 53, "the server sets the message type" },
	{ 54, "the server identifier is the interface address" },
	{ 55, "only clients send it" },
	{ 56, "the server writes its own messages" },
	{ 57, "only clients send it" },
	{ 58, "T1 comes from renew-timer" },
	{ 59, "T2 comes from rebind-timer" },
	{ 61, "only clients send it" },
	{ 82, "relay agent information is echoed from the relay, never configured" },
};

static const struct conf_key option_keys[] = {
	CONF_OPTION_KEYS(254),
};
static const struct conf_table option_table = TABLE("in an option-data entry", option_keys);

/* A sub-option waiting for its encapsulating option. */
struct subopt {
	struct space sp;
	uint8_t code, len;
	bool used;
	uint8_t data[255];
	const config_setting_t *e;
};

static int option_cmp(const void *a, const void *b)
{
	const struct conf_option *x = a, *y = b;

	return (int)x->code - (int)y->code;
}

static int subopt_cmp(const void *a, const void *b)
{
	const struct subopt *x = a, *y = b;

	return (int)x->code - (int)y->code;
}

/* One entry -> *o (dhcp4 space) or *sub (vendor spaces); *is_sub says which. */
static int encode_entry(struct conf_ld *ld, const config_setting_t *e, struct conf_option *o,
			struct subopt *sub, bool *is_sub)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s_code, *s_name, *s_data, *s_space;
	const struct dhcp4_opt_def *def = NULL;
	const struct conf_optdef *udef;
	struct conf_xopt v = { 0 };
	struct space sp;
	char why[256] = "";
	int len;

	if (conf_walk(ld, e, &option_table, &v, found) < 0)
		return -1;
	s_code = conf_found(&option_table, found, "code");
	s_name = conf_found(&option_table, found, "name");
	s_data = conf_found(&option_table, found, "data");
	s_space = conf_found(&option_table, found, "space");
	if (!s_name && !s_code)
		return conf_err(ld, e, "an option-data entry needs a 'name' or a 'code'");
	if (parse_space(ld, s_space, v.space, &sp) < 0)
		return -1;
	if (s_name) {
		udef = conf_policy_def_find(ld->x, sp.name, v.name, -1);
		def = udef ? &udef->def : sp.kind == SP_DHCP4 ? dhcp4_opt_def_by_name(v.name) : NULL;
		if (def == NULL) {
			if (sp.kind == SP_DHCP4)
				return conf_err(ld, s_name, "unknown option name \"%s\"", v.name);
			return conf_err(ld, s_name, "unknown option name \"%s\" in space \"%s\" (define it "
					"with option-def)", v.name, sp.name);
		}
		if (s_code && def->code != v.code)
			return conf_err(ld, s_code, "option \"%s\" has code %u, not %u", v.name,
					def->code, v.code);
		v.code = def->code;
	} else {
		udef = conf_policy_def_find(ld->x, sp.name, NULL, (int)v.code);
		def = udef ? &udef->def : sp.kind == SP_DHCP4 ? dhcp4_opt_def_by_code((uint8_t)v.code) : NULL;
	}
	*is_sub = sp.kind != SP_DHCP4;
	if (!*is_sub) {
		for (size_t i = 0; i < sizeof(refused_options) / sizeof(refused_options[0]); i++)
			if (refused_options[i].code == v.code)
				return conf_err(ld, s_name ? s_name : s_code, "option %u (%s) cannot be "
						"configured: %s", v.code, def ? def->name : "?",
						refused_options[i].why);
	}
	/* Option 43 without data is Kea's way of saying "made of its
	 * sub-options" (they are appended by build_encap43). */
	if (!*is_sub && v.code == 43 && s_data == NULL)
		len = 0;
	else
		len = dhcp4_opt_encode(def, v.data ? v.data : "", v.csv_format,
				       *is_sub ? sub->data : o->data, why, sizeof(why));
	if (len < 0)
		return conf_err(ld, s_data ? s_data : e, "option %u (%s): %s", v.code,
				def ? def->name : "no definition", why);
	if (*is_sub) {
		sub->sp = sp;
		sub->code = (uint8_t)v.code;
		sub->len = (uint8_t)len;
		sub->used = false;
		sub->e = e;
	} else {
		o->code = (uint8_t)v.code;
		o->len = (uint8_t)len;
		o->always_send = v.always_send;
	}
	return 0;
}

/* Option 43: its own data, then its sub-options in code order. */
static int build_encap43(struct conf_ld *ld, struct conf_option *o, const config_setting_t *e,
			 struct subopt *subs, unsigned n_subs)
{
	size_t len = o->len;

	for (unsigned i = 0; i < n_subs; i++) {
		if (subs[i].sp.kind != SP_ENCAP43)
			continue;
		subs[i].used = true;
		if (dhcp4_opt_put_sub(o->data, &len, subs[i].code, subs[i].data, subs[i].len) < 0)
			return conf_err(ld, e, "option 43 (vendor-encapsulated-options): its sub-options "
					"make it longer than 255 bytes");
	}
	o->len = (uint8_t)len;
	return 0;
}

/* Option 125: for each enterprise block, the vendor-<enterprise> sub-options
 * in code order after those the block already carries. */
static int build_vivso(struct conf_ld *ld, struct conf_option *o, const config_setting_t *e,
		       struct subopt *subs, unsigned n_subs)
{
	uint8_t out[255];
	size_t len = 0, p = 0;

	while (p < o->len) {
		uint8_t blk[255];
		size_t blen;
		uint32_t ent;

		if (p + 5 > o->len || p + 5 + o->data[p + 4] > o->len)
			return conf_err(ld, e, "option 125 (vivso-suboptions): its data is not a list of "
					"enterprise blocks (RFC 3925)");
		ent = (uint32_t)o->data[p] << 24 | (uint32_t)o->data[p + 1] << 16 |
		      (uint32_t)o->data[p + 2] << 8 | o->data[p + 3];
		blen = o->data[p + 4];
		memcpy(blk, o->data + p + 5, blen);
		p += 5 + blen;
		for (unsigned i = 0; i < n_subs; i++) {
			if (subs[i].sp.kind != SP_VIVSO || subs[i].sp.enterprise != ent)
				continue;
			subs[i].used = true;
			if (dhcp4_opt_put_sub(blk, &blen, subs[i].code, subs[i].data, subs[i].len) < 0)
				goto toolong;
		}
		if (dhcp4_opt_put_vivso(out, &len, ent, blk, blen) < 0)
			goto toolong;
	}
	memcpy(o->data, out, len);
	o->len = (uint8_t)len;
	return 0;
toolong:
	return conf_err(ld, e, "option 125 (vivso-suboptions): its sub-options make it longer than "
			"255 bytes");
}

int conf_parse_options(struct conf_ld *ld, const config_setting_t *s,
		       struct conf_option_set *set)
{
	int type = config_setting_type(s), n = config_setting_length(s);
	const config_setting_t **where = NULL, *e43 = NULL, *e125 = NULL;
	struct subopt *subs = NULL;
	unsigned n_subs = 0;

	if (type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'option-data' must be a list ( {...}, ... ), not %s", conf_type_name(type));
	if (n == 0)
		return 0;
	set->opts = calloc((size_t)n, sizeof(*set->opts));
	where = calloc((size_t)n, sizeof(*where));
	subs = calloc((size_t)n, sizeof(*subs));
	if (set->opts == NULL || where == NULL || subs == NULL) {
		conf_nomem(ld, s);
		goto err;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct conf_option *o = &set->opts[set->n];
		struct subopt *sub = &subs[n_subs];
		bool is_sub;

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			conf_err(ld, e, "each 'option-data' entry must be a group { ... }, not %s",
				 conf_type_name(config_setting_type(e)));
			goto err;
		}
		if (encode_entry(ld, e, o, sub, &is_sub) < 0)
			goto err;
		if (is_sub) {
			for (unsigned j = 0; j < n_subs; j++) {
				if (subs[j].code == sub->code && subs[j].sp.kind == sub->sp.kind &&
				    subs[j].sp.enterprise == sub->sp.enterprise) {
					conf_err(ld, e, "option %u in space \"%s\" is already set in this "
						 "scope (line %d)", sub->code, sub->sp.name, conf_line(subs[j].e));
					goto err;
				}
			}
			n_subs++;
			continue;
		}
		for (unsigned j = 0; j < set->n; j++) {
			if (set->opts[j].code == o->code) {
				conf_err(ld, e, "option %u is already set in this scope (line %d)",
					 o->code, conf_line(where[j]));
				goto err;
			}
		}
		if (o->code == 43)
			e43 = e;
		if (o->code == 125)
			e125 = e;
		where[set->n++] = e;
	}
	/* Encapsulation is per list, as Kea's CfgOption::encapsulate(): the
	 * sub-options of one scope go into that scope's option 43/125. */
	qsort(subs, n_subs, sizeof(*subs), subopt_cmp);
	for (unsigned i = 0; i < set->n; i++) {
		struct conf_option *o = &set->opts[i];

		if (o->code == 43 && build_encap43(ld, o, e43, subs, n_subs) < 0)
			goto err;
		if (o->code == 125 && build_vivso(ld, o, e125, subs, n_subs) < 0)
			goto err;
	}
	for (unsigned i = 0; i < n_subs; i++) {
		if (subs[i].used)
			continue;
		if (subs[i].sp.kind == SP_ENCAP43)
			conf_err(ld, subs[i].e, "option %u in space \"%s\" needs option 43 "
				 "(vendor-encapsulated-options) in the same option-data list",
				 subs[i].code, subs[i].sp.name);
		else
			conf_err(ld, subs[i].e, "option %u in space \"%s\" needs option 125 "
				 "(vivso-suboptions) with enterprise %u in the same option-data list",
				 subs[i].code, subs[i].sp.name, subs[i].sp.enterprise);
		goto err;
	}
	free(where);
	free(subs);
	qsort(set->opts, set->n, sizeof(*set->opts), option_cmp);
	return 0;
err:
	free(where);
	free(subs);
	return -1;
}

/* option-data = ( ... ) at obj + k->off */
int conf_key_options(struct conf_ld *ld, const config_setting_t *s, void *obj,
		     const struct conf_key *k)
{
	return conf_parse_options(ld, s, (struct conf_option_set *)((char *)obj + k->off));
}

/* ------------------------------------------------------------------------
 * option-precedence
 */

int conf_parse_precedence(struct conf_ld *ld, const config_setting_t *s)
{
	const char *v = conf_string(ld, s, "option-precedence");

	if (v == NULL)
		return -1;
	if (strcasecmp(v, "kea") == 0)
		ld->x->precedence = CONF_PREC_KEA;
	else if (strcasecmp(v, "isc-dhcpd") == 0)
		ld->x->precedence = CONF_PREC_ISC_DHCPD;
	else
		return conf_err(ld, s, "'option-precedence' must be one of \"kea\", \"isc-dhcpd\", "
				"not \"%s\"", v);
	return 0;
}
