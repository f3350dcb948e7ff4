/* Configuration, second part: classes, option definitions, reservations,
 * shared networks (see conf_ext.h).
 *
 * The keys of each block are one row each in a small table, walked by a
 * generic engine in the same way as conf.c's: unknown keys are errors,
 * scalars are type checked and stored by the engine, and anything that is
 * not a scalar comes back to the caller as its setting.  conf.c's engine is
 * file-local; this one is a reduced copy so the two files can change
 * independently (see the report of issue 4 for merging them).
 */
#include "conf_ext.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Errors: "file:line: reason", the first one kept
 */

const char *conf_ext_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { }";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ]";
	case CONFIG_TYPE_LIST: return "a list ( )";
	}
	return "something unknown";
}

/* libconfig names an @include'd file relative to the include directory;
 * show it relative to where the user stands (as conf.c does). */
void conf_ext_shown_file(const struct conf_ext_ld *ld, const char *file, char *buf, size_t len)
{
	if (file == NULL)
		file = ld->path;
	if (strcmp(file, ld->path) == 0 || file[0] == '/' || strcmp(ld->incdir, ".") == 0)
		snprintf(buf, len, "%s", file);
	else
		snprintf(buf, len, "%s/%s", ld->incdir, file);
}

int conf_ext_verr(struct conf_ext_ld *ld, int errnum, const char *file, int line,
		  const char *fmt, va_list ap)
{
	char where[2 * PATH_MAX + 16];
	size_t n;

	if (ld->errnum)
		return -1;          /* keep the first error */
	ld->errnum = errnum;
	if (ld->errlen == 0)
		return -1;
	conf_ext_shown_file(ld, file, where, sizeof(where) - 16);
	n = strlen(where);
	snprintf(where + n, sizeof(where) - n, ":%d: ", line > 0 ? line : 1);
	snprintf(ld->err, ld->errlen, "%s", where);
	n = strlen(ld->err);
	if (n < ld->errlen)
		vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	return -1;
}

static int verr(struct conf_ext_ld *ld, int errnum, const config_setting_t *s, const char *fmt,
		va_list ap)
{
	return conf_ext_verr(ld, errnum, s ? config_setting_source_file(s) : NULL,
			     s ? config_setting_source_line(s) : 1, fmt, ap);
}

__attribute__((format(printf, 3, 4)))
static int xerr(struct conf_ext_ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(ld, EINVAL, s, fmt, ap);
	va_end(ap);
	return -1;
}

static int nomem(struct conf_ext_ld *ld, const config_setting_t *s)
{
	if (ld->errnum)
		return -1;
	xerr(ld, s, "out of memory");
	ld->errnum = ENOMEM;
	return -1;
}

static int line_of(const config_setting_t *s)
{
	return s ? config_setting_source_line(s) : 0;
}

/* ------------------------------------------------------------------------
 * The table engine (reduced: scalars are stored, the rest handed back)
 */

enum xkind {
	XK_U32,       /* integer in [min, max] -> uint32_t */
	XK_BOOL,      /* -> bool */
	XK_STR,       /* string of at most max chars -> char[max + 1] */
	XK_STRP,      /* string -> const char *, borrowed while loading */
	XK_IPV4,      /* dotted quad -> uint32_t host order */
	XK_ANY,       /* the caller parses found[row] */
};

struct xkey {
	const char *name;
	enum xkind kind;
	bool required;
	long long min, max;
	size_t off;
};

struct xtable {
	const char *what;
	const struct xkey *keys;
	unsigned n;
};

#define XMAX_KEYS 16
#define XT(w, rows) { .what = w, .keys = rows, .n = sizeof(rows) / sizeof(rows[0]) }
#define XU32(n, st, f, lo, hi) { n, XK_U32, false, lo, hi, offsetof(st, f) }
#define XBOOL(n, st, f) { n, XK_BOOL, false, 0, 0, offsetof(st, f) }
#define XSTR(n, st, f) { n, XK_STR, false, 0, sizeof(((st *)0)->f) - 1, offsetof(st, f) }
#define XSTRP(n, st, f) { n, XK_STRP, false, 0, 0, offsetof(st, f) }
#define XIPV4(n, st, f) { n, XK_IPV4, false, 0, 0, offsetof(st, f) }
#define XANY(n) { n, XK_ANY, false, 0, 0, 0 }

/* Strict dotted quad: no leading zeros, no shorthand (as conf.c). */
static int ip4_parse(const char *p, uint32_t *out)
{
	uint32_t a = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		if (i > 0 && *p++ != '.')
			return -1;
		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return -1;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		a = a << 8 | v;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return -1;
	*out = a;
	return 0;
}

static void ip4_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static const char *get_string(struct conf_ext_ld *ld, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		xerr(ld, s, "'%s' must be a string, not %s", what, conf_ext_type_name(config_setting_type(s)));
		return NULL;
	}
	return config_setting_get_string(s);
}

static int store(struct conf_ext_ld *ld, const config_setting_t *s, const struct xkey *k, void *obj)
{
	void *field = (char *)obj + k->off;
	int type = config_setting_type(s);
	const char *str;

	switch (k->kind) {
	case XK_U32: {
		long long v;
		uint32_t u;

		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return xerr(ld, s, "'%s' must be an integer, not %s", k->name, conf_ext_type_name(type));
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return xerr(ld, s, "'%s' must be between %lld and %lld, not %lld", k->name,
				    k->min, k->max, v);
		u = (uint32_t)v;
		memcpy(field, &u, sizeof(u));
		return 0;
	}
	case XK_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return xerr(ld, s, "'%s' must be true or false, not %s", k->name, conf_ext_type_name(type));
		*(bool *)field = config_setting_get_bool(s);
		return 0;
	case XK_STR:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		if ((long long)strlen(str) > k->max)
			return xerr(ld, s, "'%s' is longer than %lld characters", k->name, k->max);
		memcpy(field, str, strlen(str) + 1);
		return 0;
	case XK_STRP:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		*(const char **)field = str;
		return 0;
	case XK_IPV4:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		if (ip4_parse(str, field) < 0)
			return xerr(ld, s, "'%s': \"%s\" is not an IPv4 address", k->name, str);
		return 0;
	case XK_ANY:
		return 0;
	}
	return 0;
}

/* Walk group grp with table t into obj (already holding the defaults).
 * found[row] gets the setting of each key written, NULL otherwise. */
static int walk(struct conf_ext_ld *ld, const config_setting_t *grp, const struct xtable *t,
		void *obj, const config_setting_t **found)
{
	memset(found, 0, sizeof(*found) * t->n);
	for (int i = 0; i < config_setting_length(grp); i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		unsigned r;

		for (r = 0; r < t->n; r++)
			if (strcmp(t->keys[r].name, name) == 0)
				break;
		if (r == t->n)
			return xerr(ld, s, "unknown key '%s' %s", name, t->what);
		found[r] = s;
	}
	for (unsigned r = 0; r < t->n; r++) {
		if (found[r] != NULL) {
			if (store(ld, found[r], &t->keys[r], obj) < 0)
				return -1;
		} else if (t->keys[r].required) {
			return xerr(ld, grp, "missing required key '%s' %s", t->keys[r].name, t->what);
		}
	}
	return 0;
}

static const config_setting_t *fkey(const struct xtable *t, const config_setting_t **found,
				    const char *name)
{
	for (unsigned r = 0; r < t->n; r++)
		if (strcmp(t->keys[r].name, name) == 0)
			return found[r];
	return NULL;
}

/* A list ( {..}, {..} ) whose entries are groups. */
static int check_list(struct conf_ext_ld *ld, const config_setting_t *s, const char *name)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return xerr(ld, s, "'%s' must be a list ( {...}, ... ), not %s", name,
			    conf_ext_type_name(config_setting_type(s)));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return xerr(ld, e, "each '%s' entry must be a group { ... }, not %s", name,
				    conf_ext_type_name(config_setting_type(e)));
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Life cycle
 */

static const char *const hid_names[CONF_HID_MAX] = {
	[CONF_HID_HW_ADDRESS] = "hw-address", [CONF_HID_DUID] = "duid",
	[CONF_HID_CIRCUIT_ID] = "circuit-id", [CONF_HID_CLIENT_ID] = "client-id",
	[CONF_HID_FLEX_ID] = "flex-id",
};

const char *conf_hid_name(enum conf_hid t)
{
	return (unsigned)t < CONF_HID_MAX ? hid_names[t] : "?";
}

struct conf_ext *conf_ext_create(void)
{
	struct conf_ext *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->reg = cls_registry_create();
	if (x->reg == NULL) {
		int e = errno;

		free(x);
		errno = e;
		return NULL;
	}
	x->precedence = CONF_PREC_KEA;
	for (unsigned i = 0; i < CLS_MAX_CLASSES; i++)
		x->class_idx[i] = -1;
	/* Kea 1.4's default order; flex-id needs to be listed (as Kea's
	 * flex-id hook needs to be loaded). */
	x->hr_order[0] = CONF_HID_HW_ADDRESS;
	x->hr_order[1] = CONF_HID_DUID;
	x->hr_order[2] = CONF_HID_CIRCUIT_ID;
	x->hr_order[3] = CONF_HID_CLIENT_ID;
	x->n_hr_order = 4;
	return x;
}

void conf_ext_free(struct conf_ext *x)
{
	if (x == NULL)
		return;
	cls_registry_free(x->reg);
	cls_prog_free(x->flex_expr);
	free(x->defs);
	for (unsigned i = 0; i < x->n_classes; i++)
		free(x->classes[i].options.opts);
	free(x->classes);
	for (unsigned i = 0; i < x->n_hosts; i++)
		free(x->hosts[i].options.opts);
	free(x->hosts);
	for (unsigned i = 0; i < x->n_shared; i++) {
		free(x->shared[i].relay_addrs);
		free(x->shared[i].options.opts);
	}
	free(x->shared);
	free(x);
}

void conf_ext_ld_init(struct conf_ext_ld *ld, struct conf_ext *x, const char *path,
		      const struct conf *c, char *err, size_t errlen)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	memset(ld, 0, sizeof(*ld));
	ld->path = path ? path : "";
	ld->x = x;
	ld->c = c;
	ld->err = err;
	ld->errlen = errlen;
	if (errlen)
		err[0] = '\0';
	if (slash == NULL)
		snprintf(ld->incdir, sizeof(ld->incdir), ".");
	else if (slash == path)
		snprintf(ld->incdir, sizeof(ld->incdir), "/");
	else
		snprintf(ld->incdir, sizeof(ld->incdir), "%.*s", (int)(slash - path), path);
}

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

static int parse_space(struct conf_ext_ld *ld, const config_setting_t *s, const char *name,
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
	return xerr(ld, s, "unknown option space \"%s\" (dhcp4, " DHCP4_VENDOR_ENCAP_SPACE
		    " or vendor-<enterprise number>)", name);
}

const struct conf_optdef *conf_ext_def_find(const struct conf_ext *x, const char *space,
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

static const struct xkey def_keys[] = {
	{ "name", XK_STR, true, 0, CONF_DEF_NAME_MAX - 1, offsetof(struct xdef, name) },
	{ "code", XK_U32, true, 1, 254, offsetof(struct xdef, code) },
	{ "type", XK_STRP, true, 0, 0, offsetof(struct xdef, type) },
	XBOOL("array", struct xdef, array),
	XSTRP("record-types", struct xdef, record_types),
	XSTRP("space", struct xdef, space),
};
static const struct xtable def_table = XT("in an option-def entry", def_keys);

/* Types an option-def may use; the ones Kea has that DHCPv4 here does not. */
static int def_type(struct conf_ext_ld *ld, const config_setting_t *s, const char *name,
		    bool in_record)
{
	static const char *const unsupported[] = {
		"ipv6-address", "ipv6-prefix", "psid", "tuple", "internal",
	};
	int t = dhcp4_opt_type_by_name(name);

	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(name, unsupported[i]) == 0)
			return xerr(ld, s, "type \"%s\" is not supported in DHCPv4 option definitions",
				    name);
	if (t < 0)
		return xerr(ld, s, "unknown option type \"%s\"", name);
	if (in_record && (t == DHCP4_OT_RECORD || t == DHCP4_OT_EMPTY))
		return xerr(ld, s, "record-types: a record field cannot be \"%s\"", name);
	return t;
}

static bool self_delimited(enum dhcp4_opt_type t)
{
	return t != DHCP4_OT_STRING && t != DHCP4_OT_BINARY && t != DHCP4_OT_EMPTY;
}

static bool valid_def_name(const char *n)
{
	if (*n == '\0' || *n == '-')
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '-' || *n == '_'))
			return false;
	return true;
}

static int parse_def(struct conf_ext_ld *ld, const config_setting_t *e, struct conf_optdef *d)
{
	const config_setting_t *found[XMAX_KEYS], *s_rt, *s_type, *s_space, *s_code, *s_name;
	struct conf_ext *x = ld->x;
	struct xdef v;
	struct space sp;
	int t;

	memset(&v, 0, sizeof(v));
	if (walk(ld, e, &def_table, &v, found) < 0)
		return -1;
	s_name = fkey(&def_table, found, "name");
	s_code = fkey(&def_table, found, "code");
	s_type = fkey(&def_table, found, "type");
	s_rt = fkey(&def_table, found, "record-types");
	s_space = fkey(&def_table, found, "space");
	if (!valid_def_name(v.name))
		return xerr(ld, s_name, "option-def name \"%s\" may only use letters, digits, '-' "
			    "and '_' (and not start with '-')", v.name);
	if (parse_space(ld, s_space, v.space, &sp) < 0)
		return -1;
	if ((t = def_type(ld, s_type, v.type, false)) < 0)
		return -1;

	snprintf(d->name, sizeof(d->name), "%s", v.name);
	snprintf(d->space, sizeof(d->space), "%s", sp.name);
	d->line = line_of(e);
	d->def.code = (uint8_t)v.code;
	d->def.name = d->name;
	d->def.type = (enum dhcp4_opt_type)t;
	d->def.array = v.array;
	d->fields[0] = DHCP4_OT_EMPTY;

	if (t == DHCP4_OT_RECORD) {
		char buf[512], *tok, *save = NULL;
		unsigned n = 0;

		if (s_rt == NULL)
			return xerr(ld, s_type, "a record option-def needs 'record-types'");
		if (strlen(v.record_types) >= sizeof(buf))
			return xerr(ld, s_rt, "'record-types' is too long");
		snprintf(buf, sizeof(buf), "%s", v.record_types);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *end;
			int ft;

			while (*tok == ' ' || *tok == '\t')
				tok++;
			end = tok + strlen(tok);
			while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			if (n == CONF_DEF_FIELDS_MAX)
				return xerr(ld, s_rt, "record-types: more than %d fields",
					    CONF_DEF_FIELDS_MAX);
			if (n > 0 && !self_delimited(d->fields[n - 1]))
				return xerr(ld, s_rt, "record-types: a %s field can only be the last one",
					    dhcp4_opt_type_name(d->fields[n - 1]));
			if ((ft = def_type(ld, s_rt, tok, true)) < 0)
				return -1;
			d->fields[n++] = (enum dhcp4_opt_type)ft;
		}
		if (n == 0)
			return xerr(ld, s_rt, "'record-types' is empty");
		d->fields[n] = DHCP4_OT_EMPTY;
		d->def.fields = d->fields;
		if (v.array && !self_delimited(d->fields[n - 1]))
			return xerr(ld, s_rt, "an array of records cannot end in a %s field "
				    "(where would one record stop?)", dhcp4_opt_type_name(d->fields[n - 1]));
	} else {
		if (s_rt != NULL)
			return xerr(ld, s_rt, "'record-types' only goes with type \"record\"");
		if (v.array && !self_delimited((enum dhcp4_opt_type)t))
			return xerr(ld, found[3], "an array of %s is not possible (the values have no "
				    "length of their own)", v.type);
	}

	if (sp.kind == SP_DHCP4) {
		const struct dhcp4_opt_def *std = dhcp4_opt_def_by_code((uint8_t)v.code);

		if (std != NULL)
			return xerr(ld, s_code, "option code %u is the standard option \"%s\": "
				    "option-def cannot redefine it", v.code, std->name);
		if ((std = dhcp4_opt_def_by_name(v.name)) != NULL)
			return xerr(ld, s_name, "\"%s\" is the name of standard option %u", v.name,
				    std->code);
	}
	for (struct conf_optdef *p = x->defs; p < d; p++) {
		if (strcmp(p->space, d->space) != 0)
			continue;
		if (strcmp(p->name, d->name) == 0)
			return xerr(ld, s_name, "option-def \"%s\" is already defined in space \"%s\" "
				    "(line %d)", d->name, d->space, p->line);
		if (p->def.code == d->def.code)
			return xerr(ld, s_code, "code %u in space \"%s\" is already defined as \"%s\" "
				    "(line %d)", v.code, d->space, p->name, p->line);
	}
	return 0;
}

int conf_ext_parse_option_defs(struct conf_ext_ld *ld, const config_setting_t *s)
{
	struct conf_ext *x = ld->x;
	int n;

	if (check_list(ld, s, "option-def") < 0)
		return -1;
	n = config_setting_length(s);
	if (n == 0)
		return 0;
	/* One allocation, never moved: def.name/fields point into it. */
	x->defs = calloc((size_t)n, sizeof(*x->defs));
	if (x->defs == NULL)
		return nomem(ld, s);
	for (int i = 0; i < n; i++) {
		if (parse_def(ld, config_setting_get_elem(s, (unsigned)i), &x->defs[i]) < 0)
			return -1;
		x->n_defs++;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * option-data
 */

/* Options the server fills in itself (the same list as conf.c's). */
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

struct xopt {
	const char *name, *space, *data;
	uint32_t code;
	bool csv_format, always_send;
};

static const struct xkey option_keys[] = {
	XSTRP("name", struct xopt, name),
	XU32("code", struct xopt, code, 1, 254),
	XSTRP("space", struct xopt, space),
	XSTRP("data", struct xopt, data),
	XBOOL("csv-format", struct xopt, csv_format),
	XBOOL("always-send", struct xopt, always_send),
};
static const struct xtable option_table = XT("in an option-data entry", option_keys);

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
static int encode_entry(struct conf_ext_ld *ld, const config_setting_t *e, struct conf_option *o,
			struct subopt *sub, bool *is_sub)
{
	const config_setting_t *found[XMAX_KEYS], *s_code, *s_name, *s_data, *s_space;
	const struct dhcp4_opt_def *def = NULL;
	const struct conf_optdef *udef;
	struct xopt v = { .csv_format = true };
	struct space sp;
	char why[256] = "";
	int len;

	if (walk(ld, e, &option_table, &v, found) < 0)
		return -1;
	s_code = fkey(&option_table, found, "code");
	s_name = fkey(&option_table, found, "name");
	s_data = fkey(&option_table, found, "data");
	s_space = fkey(&option_table, found, "space");
	if (!s_name && !s_code)
		return xerr(ld, e, "an option-data entry needs a 'name' or a 'code'");
	if (parse_space(ld, s_space, v.space, &sp) < 0)
		return -1;
	if (s_name) {
		udef = conf_ext_def_find(ld->x, sp.name, v.name, -1);
		def = udef ? &udef->def : sp.kind == SP_DHCP4 ? dhcp4_opt_def_by_name(v.name) : NULL;
		if (def == NULL) {
			if (sp.kind == SP_DHCP4)
				return xerr(ld, s_name, "unknown option name \"%s\"", v.name);
			return xerr(ld, s_name, "unknown option name \"%s\" in space \"%s\" (define it "
				    "with option-def)", v.name, sp.name);
		}
		if (s_code && def->code != v.code)
			return xerr(ld, s_code, "option \"%s\" has code %u, not %u", v.name,
				    def->code, v.code);
		v.code = def->code;
	} else {
		udef = conf_ext_def_find(ld->x, sp.name, NULL, (int)v.code);
		def = udef ? &udef->def : sp.kind == SP_DHCP4 ? dhcp4_opt_def_by_code((uint8_t)v.code) : NULL;
	}
	*is_sub = sp.kind != SP_DHCP4;
	if (!*is_sub) {
		for (size_t i = 0; i < sizeof(refused_options) / sizeof(refused_options[0]); i++)
			if (refused_options[i].code == v.code)
				return xerr(ld, s_name ? s_name : s_code, "option %u (%s) cannot be "
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
		return xerr(ld, s_data ? s_data : e, "option %u (%s): %s", v.code,
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
static int build_encap43(struct conf_ext_ld *ld, struct conf_option *o, const config_setting_t *e,
			 struct subopt *subs, unsigned n_subs)
{
	size_t len = o->len;

	for (unsigned i = 0; i < n_subs; i++) {
		if (subs[i].sp.kind != SP_ENCAP43)
			continue;
		subs[i].used = true;
		if (dhcp4_opt_put_sub(o->data, &len, subs[i].code, subs[i].data, subs[i].len) < 0)
			return xerr(ld, e, "option 43 (vendor-encapsulated-options): its sub-options "
				    "make it longer than 255 bytes");
	}
	o->len = (uint8_t)len;
	return 0;
}

/* Option 125: for each enterprise block, the vendor-<enterprise> sub-options
 * in code order after those the block already carries. */
static int build_vivso(struct conf_ext_ld *ld, struct conf_option *o, const config_setting_t *e,
		       struct subopt *subs, unsigned n_subs)
{
	uint8_t out[255];
	size_t len = 0, p = 0;

	while (p < o->len) {
		uint8_t blk[255];
		size_t blen;
		uint32_t ent;

		if (p + 5 > o->len || p + 5 + o->data[p + 4] > o->len)
			return xerr(ld, e, "option 125 (vivso-suboptions): its data is not a list of "
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
	return xerr(ld, e, "option 125 (vivso-suboptions): its sub-options make it longer than "
		    "255 bytes");
}

int conf_ext_parse_options(struct conf_ext_ld *ld, const config_setting_t *s,
			   struct conf_option_set *set)
{
	int type = config_setting_type(s), n = config_setting_length(s);
	const config_setting_t **where = NULL, *e43 = NULL, *e125 = NULL;
	struct subopt *subs = NULL;
	unsigned n_subs = 0;

	if (type != CONFIG_TYPE_LIST)
		return xerr(ld, s, "'option-data' must be a list ( {...}, ... ), not %s", conf_ext_type_name(type));
	if (n == 0)
		return 0;
	set->opts = calloc((size_t)n, sizeof(*set->opts));
	where = calloc((size_t)n, sizeof(*where));
	subs = calloc((size_t)n, sizeof(*subs));
	if (set->opts == NULL || where == NULL || subs == NULL) {
		nomem(ld, s);
		goto err;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct conf_option *o = &set->opts[set->n];
		struct subopt *sub = &subs[n_subs];
		bool is_sub;

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			xerr(ld, e, "each 'option-data' entry must be a group { ... }, not %s",
			     conf_ext_type_name(config_setting_type(e)));
			goto err;
		}
		if (encode_entry(ld, e, o, sub, &is_sub) < 0)
			goto err;
		if (is_sub) {
			for (unsigned j = 0; j < n_subs; j++) {
				if (subs[j].code == sub->code && subs[j].sp.kind == sub->sp.kind &&
				    subs[j].sp.enterprise == sub->sp.enterprise) {
					xerr(ld, e, "option %u in space \"%s\" is already set in this "
					     "scope (line %d)", sub->code, sub->sp.name, line_of(subs[j].e));
					goto err;
				}
			}
			n_subs++;
			continue;
		}
		for (unsigned j = 0; j < set->n; j++) {
			if (set->opts[j].code == o->code) {
				xerr(ld, e, "option %u is already set in this scope (line %d)",
				     o->code, line_of(where[j]));
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
			xerr(ld, subs[i].e, "option %u in space \"%s\" needs option 43 "
			     "(vendor-encapsulated-options) in the same option-data list",
			     subs[i].code, subs[i].sp.name);
		else
			xerr(ld, subs[i].e, "option %u in space \"%s\" needs option 125 "
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

/* ------------------------------------------------------------------------
 * Classes
 */

struct xclass {
	char name[CLS_NAME_MAX];
	const char *test;
	bool only_if_required;
	uint32_t next_server;
	char server_hostname[64];
	char boot_file_name[128];
};

static const struct xkey class_keys[] = {
	{ "name", XK_STR, true, 0, CLS_NAME_MAX - 1, offsetof(struct xclass, name) },
	XSTRP("test", struct xclass, test),
	XBOOL("only-if-required", struct xclass, only_if_required),
	XANY("option-data"),
	XIPV4("next-server", struct xclass, next_server),
	XSTR("server-hostname", struct xclass, server_hostname),
	XSTR("boot-file-name", struct xclass, boot_file_name),
};
static const struct xtable class_table = XT("in a client-classes entry", class_keys);

static int parse_class(struct conf_ext_ld *ld, const config_setting_t *e, struct conf_class *c)
{
	const config_setting_t *found[XMAX_KEYS], *s_name, *s_test, *s_opts;
	struct conf_ext *x = ld->x;
	struct xclass v;
	struct cls_err cerr;
	int id;

	memset(&v, 0, sizeof(v));
	if (walk(ld, e, &class_table, &v, found) < 0)
		return -1;
	s_name = fkey(&class_table, found, "name");
	s_test = fkey(&class_table, found, "test");
	s_opts = fkey(&class_table, found, "option-data");
	memset(&cerr, 0, sizeof(cerr));
	id = cls_registry_add(x->reg, v.name, v.test, v.only_if_required ? CLS_F_ONLY_IF_REQUIRED : 0,
			      &cerr);
	if (id == -EEXIST) {
		for (const struct conf_class *p = x->classes; p < c; p++)
			if (strcmp(p->name, v.name) == 0)
				return xerr(ld, s_name, "client class \"%s\" is already defined (line %d)",
					    v.name, p->line);
		return xerr(ld, s_name, "client class \"%s\" is already defined", v.name);
	}
	if (id == -ENOSPC)
		return xerr(ld, s_name, "client class \"%s\": too many classes (at most %d, the "
			    "builtins included)", v.name, CLS_MAX_CLASSES);
	if (id == -ENOMEM)
		return nomem(ld, e);
	if (id < 0 && cerr.col > 0)
		return xerr(ld, s_test, "client class \"%s\": test: %s", v.name, cerr.msg);
	if (id < 0)
		return xerr(ld, s_name, "client class \"%s\": %s", v.name,
			    cerr.msg[0] ? cerr.msg : "invalid name");
	snprintf(c->name, sizeof(c->name), "%s", v.name);
	c->id = id;
	c->only_if_required = v.only_if_required;
	c->next_server = v.next_server;
	memcpy(c->server_hostname, v.server_hostname, sizeof(c->server_hostname));
	memcpy(c->boot_file_name, v.boot_file_name, sizeof(c->boot_file_name));
	c->line = line_of(e);
	x->class_idx[id] = (int16_t)(c - x->classes);
	if (s_opts && conf_ext_parse_options(ld, s_opts, &c->options) < 0)
		return -1;
	if (c->options.n > 0)
		cls_set_add(&x->with_options, (unsigned)id);
	if (c->next_server || c->server_hostname[0] || c->boot_file_name[0])
		cls_set_add(&x->with_boot, (unsigned)id);
	return 0;
}

int conf_ext_parse_classes(struct conf_ext_ld *ld, const config_setting_t *s)
{
	struct conf_ext *x = ld->x;
	int n;

	if (check_list(ld, s, "client-classes") < 0)
		return -1;
	n = config_setting_length(s);
	if (n == 0)
		return 0;
	x->classes = calloc((size_t)n, sizeof(*x->classes));
	if (x->classes == NULL)
		return nomem(ld, s);
	for (int i = 0; i < n; i++) {
		/* Counted first so conf_ext_free() sees a partial entry. */
		x->n_classes++;
		if (parse_class(ld, config_setting_get_elem(s, (unsigned)i), &x->classes[i]) < 0)
			return -1;
	}
	return 0;
}

const struct conf_class *conf_ext_class(const struct conf_ext *x, unsigned id)
{
	if (id >= CLS_MAX_CLASSES || x->class_idx[id] < 0)
		return NULL;
	return &x->classes[x->class_idx[id]];
}

static int intern(struct conf_ext_ld *ld, const config_setting_t *s, const char *key,
		  const char *name)
{
	int id = cls_registry_intern(ld->x->reg, name);

	if (id == -ENOSPC)
		return xerr(ld, s, "'%s': \"%s\": too many client classes (at most %d)", key, name,
			    CLS_MAX_CLASSES);
	if (id == -ENOMEM)
		return nomem(ld, s);
	if (id < 0)
		return xerr(ld, s, "'%s': \"%s\" is not a valid class name", key, name);
	return id;
}

int conf_ext_parse_class_ref(struct conf_ext_ld *ld, const config_setting_t *s, int *id)
{
	const char *v = get_string(ld, s, config_setting_name(s));
	int r;

	if (v == NULL)
		return -1;
	if (*v == '\0')
		return xerr(ld, s, "'%s' must not be empty", config_setting_name(s));
	if ((r = intern(ld, s, config_setting_name(s), v)) < 0)
		return -1;
	*id = r;
	return 0;
}

int conf_ext_parse_class_list(struct conf_ext_ld *ld, const config_setting_t *s,
			      struct cls_set *out)
{
	const char *key = config_setting_name(s);
	int type = config_setting_type(s);

	cls_set_clear(out);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return xerr(ld, s, "'%s' must be an array of class names [ ... ], not %s", key,
			    conf_ext_type_name(type));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = get_string(ld, e, key);
		int id;

		if (v == NULL || (id = intern(ld, e, key, v)) < 0)
			return -1;
		cls_set_add(out, (unsigned)id);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Scalars at the top level
 */

int conf_ext_parse_hr_ids(struct conf_ext_ld *ld, const config_setting_t *s)
{
	struct conf_ext *x = ld->x;
	int type = config_setting_type(s), n = config_setting_length(s);
	const char *key = "host-reservation-identifiers";

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return xerr(ld, s, "'%s' must be an array of strings [ ... ], not %s", key,
			    conf_ext_type_name(type));
	if (n == 0)
		return xerr(ld, s, "'%s' is empty (no reservation could ever match)", key);
	x->n_hr_order = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = get_string(ld, e, key);
		unsigned t;

		if (v == NULL)
			return -1;
		for (t = 0; t < CONF_HID_MAX; t++)
			if (strcmp(hid_names[t], v) == 0)
				break;
		if (t == CONF_HID_MAX)
			return xerr(ld, e, "'%s': unknown identifier \"%s\" (hw-address, duid, "
				    "circuit-id, client-id or flex-id)", key, v);
		for (unsigned j = 0; j < x->n_hr_order; j++)
			if (x->hr_order[j] == t)
				return xerr(ld, e, "'%s': \"%s\" is listed twice", key, v);
		x->hr_order[x->n_hr_order++] = (uint8_t)t;
	}
	return 0;
}

int conf_ext_parse_flex_expr(struct conf_ext_ld *ld, const config_setting_t *s)
{
	struct conf_ext *x = ld->x;
	const char *v = get_string(ld, s, "flex-id-expression");
	struct cls_compile_params p = { .result = CLS_T_STRING, .universe = CLS_V4 };
	struct cls_err cerr;

	if (v == NULL)
		return -1;
	p.text = v;
	p.reg = x->reg;
	memset(&cerr, 0, sizeof(cerr));
	cls_prog_free(x->flex_expr);
	x->flex_expr = cls_compile(&p, &cerr);
	if (x->flex_expr == NULL) {
		if (errno == ENOMEM)
			return nomem(ld, s);
		return xerr(ld, s, "'flex-id-expression': %s", cerr.msg);
	}
	return 0;
}

int conf_ext_parse_precedence(struct conf_ext_ld *ld, const config_setting_t *s)
{
	const char *v = get_string(ld, s, "option-precedence");

	if (v == NULL)
		return -1;
	if (strcasecmp(v, "kea") == 0)
		ld->x->precedence = CONF_PREC_KEA;
	else if (strcasecmp(v, "isc-dhcpd") == 0)
		ld->x->precedence = CONF_PREC_ISC_DHCPD;
	else
		return xerr(ld, s, "'option-precedence' must be one of \"kea\", \"isc-dhcpd\", "
			    "not \"%s\"", v);
	return 0;
}

/* ------------------------------------------------------------------------
 * Reservations
 */

struct xhost {
	const char *ids[CONF_HID_MAX];
	uint32_t addr;
	char hostname[256];
	uint32_t next_server;
	char server_hostname[64];
	char boot_file_name[128];
};

/* Rows 0..4 are the identifiers, in enum conf_hid order. */
static const struct xkey host_keys[] = {
	XSTRP("hw-address", struct xhost, ids[CONF_HID_HW_ADDRESS]),
	XSTRP("duid", struct xhost, ids[CONF_HID_DUID]),
	XSTRP("circuit-id", struct xhost, ids[CONF_HID_CIRCUIT_ID]),
	XSTRP("client-id", struct xhost, ids[CONF_HID_CLIENT_ID]),
	XSTRP("flex-id", struct xhost, ids[CONF_HID_FLEX_ID]),
	XIPV4("ip-address", struct xhost, addr),
	XSTR("hostname", struct xhost, hostname),
	XANY("option-data"),
	XANY("client-classes"),
	XIPV4("next-server", struct xhost, next_server),
	XSTR("server-hostname", struct xhost, server_hostname),
	XSTR("boot-file-name", struct xhost, boot_file_name),
};
static const struct xtable host_table = XT("in a reservations entry", host_keys);

/* Identifier text: 'quoted text' or hex bytes. */
static int parse_ident(struct conf_ext_ld *ld, const config_setting_t *s, unsigned type,
		       const char *v, struct conf_host *h)
{
	size_t n = strlen(v), max = type == CONF_HID_HW_ADDRESS ? 16 : CONF_HOST_ID_MAX;
	uint8_t buf[255];
	char why[128];
	int len;

	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
		len = (int)n - 2;
		if ((size_t)len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, v + 1, (size_t)len);
	} else {
		len = dhcp4_opt_encode(NULL, v, false, buf, why, sizeof(why));
		if (len < 0)
			return xerr(ld, s, "'%s': \"%s\" is neither hex bytes (01:02:03) nor 'text' in "
				    "single quotes", hid_names[type], v);
	}
	if (len == 0)
		return xerr(ld, s, "'%s' is empty", hid_names[type]);
	if ((size_t)len > max)
		return xerr(ld, s, "'%s' is %d bytes, at most %zu fit", hid_names[type], len, max);
	if (type == CONF_HID_CLIENT_ID && len < 2)
		return xerr(ld, s, "'client-id' needs at least 2 bytes (RFC 2132 9.14)");
	h->id_type = (uint8_t)type;
	h->id_len = (uint8_t)len;
	memcpy(h->id, buf, (size_t)len);
	return 0;
}

static int parse_host(struct conf_ext_ld *ld, const config_setting_t *e, const struct conf_subnet *sn,
		      struct conf_host *h)
{
	const config_setting_t *found[XMAX_KEYS], *s_id = NULL, *s_addr, *s_opts, *s_cls;
	struct xhost v;
	unsigned type = CONF_HID_MAX;

	memset(&v, 0, sizeof(v));
	if (walk(ld, e, &host_table, &v, found) < 0)
		return -1;
	for (unsigned t = 0; t < CONF_HID_MAX; t++) {
		if (!found[t])
			continue;
		if (s_id)
			return xerr(ld, found[t], "a reservation takes one identifier: '%s' and '%s' "
				    "are both given", hid_names[type], hid_names[t]);
		s_id = found[t];
		type = t;
	}
	if (s_id == NULL)
		return xerr(ld, e, "a reservation needs one of hw-address, duid, circuit-id, "
			    "client-id or flex-id");
	h->subnet_id = sn ? sn->id : 0;
	h->line = line_of(e);
	h->src = e;
	if (parse_ident(ld, s_id, type, v.ids[type], h) < 0)
		return -1;
	s_addr = fkey(&host_table, found, "ip-address");
	if (s_addr) {
		char a[16], net[16];

		ip4_str(v.addr, a);
		if (v.addr == 0)
			return xerr(ld, s_addr, "'ip-address': 0.0.0.0 cannot be reserved");
		if (sn) {
			ip4_str(sn->prefix, net);
			if ((v.addr & sn->mask) != sn->prefix)
				return xerr(ld, s_addr, "'ip-address': %s is not inside subnet %s/%u",
					    a, net, sn->prefix_len);
			if (sn->prefix_len < 31 && (v.addr == sn->prefix || v.addr == (sn->prefix | ~sn->mask)))
				return xerr(ld, s_addr, "'ip-address': %s is the %s address of subnet "
					    "%s/%u", a, v.addr == sn->prefix ? "network" : "broadcast",
					    net, sn->prefix_len);
		}
		h->addr = v.addr;
	}
	memcpy(h->hostname, v.hostname, sizeof(h->hostname));
	h->next_server = v.next_server;
	memcpy(h->server_hostname, v.server_hostname, sizeof(h->server_hostname));
	memcpy(h->boot_file_name, v.boot_file_name, sizeof(h->boot_file_name));
	s_cls = fkey(&host_table, found, "client-classes");
	if (s_cls && conf_ext_parse_class_list(ld, s_cls, &h->classes) < 0)
		return -1;
	s_opts = fkey(&host_table, found, "option-data");
	if (s_opts && conf_ext_parse_options(ld, s_opts, &h->options) < 0)
		return -1;
	return 0;
}

int conf_ext_parse_reservations(struct conf_ext_ld *ld, const config_setting_t *s,
				const struct conf_subnet *sn)
{
	struct conf_ext *x = ld->x;
	int n;

	if (check_list(ld, s, "reservations") < 0)
		return -1;
	n = config_setting_length(s);
	if (x->n_hosts + (unsigned)n > x->cap_hosts) {
		unsigned cap = x->cap_hosts ? x->cap_hosts : 16;
		struct conf_host *h;

		while (cap < x->n_hosts + (unsigned)n)
			cap *= 2;
		h = realloc(x->hosts, cap * sizeof(*h));
		if (h == NULL)
			return nomem(ld, s);
		x->hosts = h;
		x->cap_hosts = cap;
	}
	for (int i = 0; i < n; i++) {
		struct conf_host *h = &x->hosts[x->n_hosts];

		memset(h, 0, sizeof(*h));
		x->n_hosts++;
		if (parse_host(ld, config_setting_get_elem(s, (unsigned)i), sn, h) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Shared networks
 */

struct xshared {
	char name[64];
	const char *iface;
};

static const struct xkey shared_keys[] = {
	{ "name", XK_STR, true, 0, 63, offsetof(struct xshared, name) },
	XSTRP("interface", struct xshared, iface),
	XANY("relay"),
	XANY("option-data"),
	XANY("client-class"),
	XANY("require-client-classes"),
	XANY("subnet4"),
};
static const struct xtable shared_table = XT("in a shared-networks entry", shared_keys);

static int parse_relay(struct conf_ext_ld *ld, const config_setting_t *s, struct conf_shared_net *sh)
{
	const config_setting_t *a;
	int n, type;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return xerr(ld, s, "'relay' must be a group { ... }, not %s",
			    conf_ext_type_name(config_setting_type(s)));
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);

		if (strcmp(config_setting_name(m), "ip-addresses") != 0)
			return xerr(ld, m, "unknown key '%s' in relay", config_setting_name(m));
	}
	a = config_setting_get_member(s, "ip-addresses");
	if (a == NULL)
		return xerr(ld, s, "missing required key 'ip-addresses' in relay");
	type = config_setting_type(a);
	n = config_setting_length(a);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return xerr(ld, a, "'ip-addresses' must be an array of addresses [ ... ], not %s",
			    conf_ext_type_name(type));
	if (n == 0)
		return xerr(ld, a, "'ip-addresses' is empty");
	sh->relay_addrs = calloc((size_t)n, sizeof(*sh->relay_addrs));
	if (sh->relay_addrs == NULL)
		return nomem(ld, a);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);
		const char *v = get_string(ld, e, "ip-addresses");

		if (v == NULL)
			return -1;
		if (ip4_parse(v, &sh->relay_addrs[i]) < 0)
			return xerr(ld, e, "'ip-addresses': \"%s\" is not an IPv4 address", v);
		sh->n_relay_addrs++;
	}
	return 0;
}

static int parse_shared(struct conf_ext_ld *ld, const config_setting_t *e, struct conf_shared_net *sh)
{
	const config_setting_t *found[XMAX_KEYS], *s;
	struct conf_ext *x = ld->x;
	struct xshared v;

	memset(&v, 0, sizeof(v));
	sh->iface = -1;
	sh->client_class = -1;
	sh->line = line_of(e);
	if (walk(ld, e, &shared_table, &v, found) < 0)
		return -1;
	s = fkey(&shared_table, found, "name");
	if (v.name[0] == '\0')
		return xerr(ld, s, "'name' must not be empty");
	for (const struct conf_shared_net *p = x->shared; p < sh; p++)
		if (strcmp(p->name, v.name) == 0)
			return xerr(ld, s, "shared network name \"%s\" is already used (line %d)",
				    v.name, p->line);
	memcpy(sh->name, v.name, sizeof(sh->name));
	if ((s = fkey(&shared_table, found, "interface")) != NULL) {
		for (unsigned i = 0; ld->c && i < ld->c->n_ifaces; i++)
			if (strcmp(ld->c->ifaces[i].name, v.iface) == 0)
				sh->iface = (int)i;
		if (sh->iface < 0)
			return xerr(ld, s, "'interface': no interface named \"%s\" in interfaces", v.iface);
	}
	if ((s = fkey(&shared_table, found, "relay")) != NULL && parse_relay(ld, s, sh) < 0)
		return -1;
	if ((s = fkey(&shared_table, found, "option-data")) != NULL &&
	    conf_ext_parse_options(ld, s, &sh->options) < 0)
		return -1;
	if ((s = fkey(&shared_table, found, "client-class")) != NULL &&
	    conf_ext_parse_class_ref(ld, s, &sh->client_class) < 0)
		return -1;
	if ((s = fkey(&shared_table, found, "require-client-classes")) != NULL &&
	    conf_ext_parse_class_list(ld, s, &sh->require) < 0)
		return -1;
	if ((s = fkey(&shared_table, found, "subnet4")) != NULL) {
		if (check_list(ld, s, "subnet4") < 0)
			return -1;
		sh->subnets = s;
	}
	return 0;
}

int conf_ext_parse_shared_networks(struct conf_ext_ld *ld, const config_setting_t *s)
{
	struct conf_ext *x = ld->x;
	int n;

	if (check_list(ld, s, "shared-networks") < 0)
		return -1;
	n = config_setting_length(s);
	if (n == 0)
		return 0;
	x->shared = calloc((size_t)n, sizeof(*x->shared));
	if (x->shared == NULL)
		return nomem(ld, s);
	for (int i = 0; i < n; i++) {
		x->n_shared++;
		if (parse_shared(ld, config_setting_get_elem(s, (unsigned)i), &x->shared[i]) < 0)
			return -1;
	}
	return 0;
}

int conf_ext_shared_subnet(struct conf_ext_ld *ld, const struct conf_shared_net *sh,
			   struct conf_subnet *sn, const config_setting_t *grp)
{
	const config_setting_t *s_if = grp ? config_setting_get_member(grp, "interface") : NULL;

	if (sn->iface >= 0 && sh->iface >= 0 && sn->iface != sh->iface) {
		const char *own = ld->c ? ld->c->ifaces[sn->iface].name : "?";
		const char *net = ld->c ? ld->c->ifaces[sh->iface].name : "?";

		return xerr(ld, s_if ? s_if : grp, "subnet %u is in shared network \"%s\" on "
			    "interface \"%s\": it cannot use interface \"%s\"", sn->id, sh->name,
			    net, own);
	}
	if (sn->iface < 0)
		sn->iface = sh->iface;
	if (sn->n_relay_addrs == 0 && sh->n_relay_addrs > 0) {
		sn->relay_addrs = calloc(sh->n_relay_addrs, sizeof(*sn->relay_addrs));
		if (sn->relay_addrs == NULL)
			return nomem(ld, grp);
		memcpy(sn->relay_addrs, sh->relay_addrs, sh->n_relay_addrs * sizeof(*sn->relay_addrs));
		sn->n_relay_addrs = sh->n_relay_addrs;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Cross checks
 */

static int host_id_cmp(const void *a, const void *b, void *arg)
{
	const struct conf_host *hs = arg;
	const struct conf_host *x = &hs[*(const unsigned *)a], *y = &hs[*(const unsigned *)b];

	if (x->subnet_id != y->subnet_id)
		return x->subnet_id < y->subnet_id ? -1 : 1;
	if (x->id_type != y->id_type)
		return (int)x->id_type - (int)y->id_type;
	if (x->id_len != y->id_len)
		return (int)x->id_len - (int)y->id_len;
	if (memcmp(x->id, y->id, x->id_len) != 0)
		return memcmp(x->id, y->id, x->id_len);
	return *(const unsigned *)a < *(const unsigned *)b ? -1 : 1;
}

static int host_addr_cmp(const void *a, const void *b, void *arg)
{
	const struct conf_host *hs = arg;
	const struct conf_host *x = &hs[*(const unsigned *)a], *y = &hs[*(const unsigned *)b];

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return *(const unsigned *)a < *(const unsigned *)b ? -1 : 1;
}

static void id_str(const struct conf_host *h, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < h->id_len && o + 4 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%02x", i ? ":" : "", h->id[i]);
}

/* An error at reservation h (the setting is kept while loading). */
#define host_err(ld, h, ...) xerr(ld, (const config_setting_t *)(h)->src, __VA_ARGS__)

int conf_ext_finish(struct conf_ext_ld *ld)
{
	struct conf_ext *x = ld->x;
	unsigned *idx = NULL, n = 0;
	char a[16], ids[3 * CONF_HOST_ID_MAX + 1];
	int ret = -1;

	x->classify_pre = cls_registry_stage_work(x->reg, CLS_STAGE_PRE_HOST) > 0;
	x->classify_post = cls_registry_stage_work(x->reg, CLS_STAGE_POST_HOST) > 0;
	for (unsigned i = 0; i < x->n_shared; i++)
		x->shared[i].subnets = NULL;
	for (unsigned i = 0; i < x->n_hosts; i++) {
		const struct conf_host *h = &x->hosts[i];
		bool listed = false;

		for (unsigned j = 0; j < x->n_hr_order; j++)
			listed |= x->hr_order[j] == h->id_type;
		if (!listed)
			return host_err(ld, h, "a reservation by %s never matches: \"%s\" is not in "
					"host-reservation-identifiers", hid_names[h->id_type],
					hid_names[h->id_type]);
		if (h->id_type == CONF_HID_FLEX_ID && x->flex_expr == NULL)
			return host_err(ld, h, "a reservation by flex-id needs 'flex-id-expression'");
	}
	if (x->n_hosts == 0)
		return 0;
	idx = calloc(x->n_hosts, sizeof(*idx));
	if (idx == NULL)
		return nomem(ld, NULL);
	for (unsigned i = 0; i < x->n_hosts; i++)
		idx[i] = i;
	qsort_r(idx, x->n_hosts, sizeof(*idx), host_id_cmp, x->hosts);
	for (unsigned i = 1; i < x->n_hosts; i++) {
		const struct conf_host *p = &x->hosts[idx[i - 1]], *h = &x->hosts[idx[i]];

		if (p->subnet_id != h->subnet_id || p->id_type != h->id_type ||
		    p->id_len != h->id_len || memcmp(p->id, h->id, h->id_len) != 0)
			continue;
		id_str(h, ids, sizeof(ids));
		if (h->subnet_id)
			host_err(ld, h, "%s %s is already reserved in subnet %u (line %d)",
				 hid_names[h->id_type], ids, h->subnet_id, p->line);
		else
			host_err(ld, h, "%s %s is already reserved globally (line %d)",
				 hid_names[h->id_type], ids, p->line);
		goto out;
	}
	for (unsigned i = 0; i < x->n_hosts; i++)
		if (x->hosts[i].addr)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), host_addr_cmp, x->hosts);
	for (unsigned i = 1; i < n; i++) {
		const struct conf_host *p = &x->hosts[idx[i - 1]], *h = &x->hosts[idx[i]];

		if (p->addr != h->addr)
			continue;
		ip4_str(h->addr, a);
		host_err(ld, h, "address %s is already reserved (line %d)", a, p->line);
		goto out;
	}
	ret = 0;
out:
	free(idx);
	if (ret == 0)
		for (unsigned i = 0; i < x->n_hosts; i++)
			x->hosts[i].src = NULL;
	return ret;
}
