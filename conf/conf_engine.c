/* The key-table engine of the configuration (conf_priv.h): walks a group
 * with its table, type checks, bounds checks and stores each scalar, fills
 * the defaults, and reports every error once as "file:line: reason". */
#include "conf_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net.h"

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned and uint32_t rows share a store");

/* ------------------------------------------------------------------------
 * Errors: "file:line: reason", the first one kept
 */

const char *conf_type_name(int type)
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
 * show it relative to where the user stands. */
void conf_shown_file(const struct conf_ld *ld, const char *file, char *buf, size_t len)
{
	if (file == NULL)
		file = ld->path;
	if (strcmp(file, ld->path) == 0 || file[0] == '/' || strcmp(ld->incdir, ".") == 0)
		snprintf(buf, len, "%s", file);
	else
		snprintf(buf, len, "%s/%s", ld->incdir, file);
}

int conf_verr(struct conf_ld *ld, int errnum, const char *file, int line,
	      const char *fmt, va_list ap)
{
	char where[2 * PATH_MAX + 16];
	size_t n;

	if (ld->errnum)
		return -1;          /* keep the first error */
	ld->errnum = errnum;
	if (ld->errlen == 0)
		return -1;
	conf_shown_file(ld, file, where, sizeof(where) - 16);
	n = strlen(where);
	snprintf(where + n, sizeof(where) - n, ":%d: ", line > 0 ? line : 1);
	snprintf(ld->err, ld->errlen, "%s", where);
	n = strlen(ld->err);
	if (n < ld->errlen)
		vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	return -1;
}

static int verr_at(struct conf_ld *ld, int errnum, const config_setting_t *s, const char *fmt,
		   va_list ap)
{
	return conf_verr(ld, errnum, s ? config_setting_source_file(s) : NULL,
			 s ? config_setting_source_line(s) : 1, fmt, ap);
}

int conf_err(struct conf_ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(ld, EINVAL, s, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 4, 5)))
static int err_errno(struct conf_ld *ld, int errnum, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(ld, errnum, s, fmt, ap);
	va_end(ap);
	return -1;
}

int conf_nomem(struct conf_ld *ld, const config_setting_t *s)
{
	return err_errno(ld, ENOMEM, s, "out of memory");
}

void conf_ld_init(struct conf_ld *ld, struct conf_policy *x, const char *path,
		  struct conf *c, char *err, size_t errlen)
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
 * Addresses: net_ip4_parse's strict dotted quads; the configuration also
 * allows blanks around them ("a - b" pools are written with spaces).
 */

static int blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The n characters at s without the blanks at either end. */
static int ip4_trimmed(const char *s, size_t n, uint32_t *out)
{
	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && blank(s[n - 1]))
		n--;
	return net_ip4_parse_n(s, n, out);
}

int conf_ip4(const char *s, uint32_t *out)
{
	return ip4_trimmed(s, strlen(s), out) < 0 ? -1 : 0;
}

int conf_ip4_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
	const char *slash = strchr(s, '/'), *p;
	unsigned l = 0, digits = 0;

	while (blank(*s))
		s++;
	if (slash == NULL || net_ip4_parse_n(s, (size_t)(slash - s), addr) < 0)
		return -1;
	for (p = slash + 1; *p >= '0' && *p <= '9' && digits < 3; p++) {
		l = l * 10 + (unsigned)(*p - '0');
		digits++;
	}
	while (blank(*p))
		p++;
	if (digits == 0 || l > 32 || *p != '\0')
		return -1;
	*len = (uint8_t)l;
	return 0;
}

void conf_ip4_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

const char *conf_range_split(const char *v, char *lo, size_t len)
{
	const char *dash = strchr(v, '-');
	size_t n = dash ? (size_t)(dash - v) : 0;

	if (dash == NULL || n >= len)
		return NULL;
	memcpy(lo, v, n);
	lo[n] = '\0';
	return dash + 1;
}

/* IPv6: inet_pton's text forms, blanks around them allowed. */
static int ip6_trimmed(const char *s, size_t n, struct lease_addr6 *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	uint8_t b[16];

	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -1;
	*out = lease_addr6_load(b);
	return 0;
}

int conf_ip6(const char *s, struct lease_addr6 *out)
{
	return ip6_trimmed(s, strlen(s), out);
}

int conf_ip6_prefix(const char *s, struct lease_addr6 *addr, uint8_t *len)
{
	const char *slash = strchr(s, '/'), *p;
	unsigned l = 0, digits = 0;

	if (slash == NULL || ip6_trimmed(s, (size_t)(slash - s), addr) < 0)
		return -1;
	for (p = slash + 1; blank(*p); p++)
		;
	for (; *p >= '0' && *p <= '9' && digits < 4; p++) {
		l = l * 10 + (unsigned)(*p - '0');
		digits++;
	}
	while (blank(*p))
		p++;
	if (digits == 0 || l > 128 || *p != '\0')
		return -1;
	*len = (uint8_t)l;
	return 0;
}

void conf_ip6_str(struct lease_addr6 a, char buf[CONF_IP6_STRLEN])
{
	uint8_t b[16];

	lease_addr6_store(a, b);
	if (inet_ntop(AF_INET6, b, buf, CONF_IP6_STRLEN) == NULL)
		snprintf(buf, CONF_IP6_STRLEN, "?");
}

/* ------------------------------------------------------------------------
 * The table engine
 */

const char *conf_string(struct conf_ld *ld, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(ld, s, "'%s' must be a string, not %s", what,
			 conf_type_name(config_setting_type(s)));
		return NULL;
	}
	return config_setting_get_string(s);
}

static int store_enum(struct conf_ld *ld, const config_setting_t *s, const struct conf_key *k,
		      const char *v, void *field)
{
	const struct conf_enum *e;
	char choices[256] = "";
	int value;

	for (e = k->aux; e->name; e++) {
		if (strcasecmp(e->name, v) == 0) {
			value = e->value;
			memcpy(field, &value, sizeof(value));
			return 0;
		}
	}
	for (e = k->aux; e->name; e++) {
		size_t n = strlen(choices);
		snprintf(choices + n, sizeof(choices) - n, "%s\"%s\"", n ? ", " : "", e->name);
	}
	return conf_err(ld, s, "'%s' must be one of %s, not \"%s\"", k->name, choices, v);
}

static int entry_not_group(struct conf_ld *ld, const config_setting_t *e, const char *name)
{
	return conf_err(ld, e, "each '%s' entry must be a group { ... }, not %s", name,
			conf_type_name(config_setting_type(e)));
}

static int not_list(struct conf_ld *ld, const config_setting_t *s, const char *name)
{
	return conf_err(ld, s, "'%s' must be a list ( {...}, ... ), not %s", name,
			conf_type_name(config_setting_type(s)));
}

static int parse_list(struct conf_ld *ld, const config_setting_t *s, const struct conf_key *k,
		      void *obj)
{
	const struct conf_table *t = k->aux;
	unsigned *count = (unsigned *)((char *)obj + k->off_n);
	void **arr = (void **)((char *)obj + k->off);
	int n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return not_list(ld, s, k->name);
	if (n < k->min)
		return conf_err(ld, s, "'%s' needs at least %lld entr%s", k->name, k->min,
				k->min == 1 ? "y" : "ies");
	if (n == 0)
		return 0;
	*arr = calloc((size_t)n, t->size);
	if (*arr == NULL)
		return conf_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const config_setting_t *found[CONF_MAX_KEYS];

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return entry_not_group(ld, e, k->name);
		/* Counted before it is filled so conf_free() sees partial entries. */
		(*count)++;
		if (conf_walk(ld, e, t, (char *)*arr + (size_t)i * t->size, found) < 0)
			return -1;
	}
	return 0;
}

/* An integer row's value (within its bounds) at its width. */
static void store_uint(const struct conf_key *k, void *field, long long v)
{
	uint32_t u32 = (uint32_t)v;
	uint16_t u16 = (uint16_t)v;
	uint8_t u8 = (uint8_t)v;

	if (k->kind == K_U8)
		memcpy(field, &u8, sizeof(u8));
	else if (k->kind == K_U16)
		memcpy(field, &u16, sizeof(u16));
	else
		memcpy(field, &u32, sizeof(u32));
}

int conf_set(struct conf_ld *ld, const config_setting_t *s, const struct conf_key *k, void *obj)
{
	void *field = (char *)obj + k->off;
	int type = config_setting_type(s);
	const char *str;

	switch (k->kind) {
	case K_U32: case K_U16: case K_U8: {
		long long v;

		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return conf_err(ld, s, "'%s' must be an integer, not %s", k->name,
					conf_type_name(type));
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return conf_err(ld, s, "'%s' must be between %lld and %lld, not %lld",
					k->name, k->min, k->max, v);
		store_uint(k, field, v);
		break;
	}
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return conf_err(ld, s, "'%s' must be true or false, not %s", k->name,
					conf_type_name(type));
		*(bool *)field = config_setting_get_bool(s);
		break;
	case K_STR:
		if ((str = conf_string(ld, s, k->name)) == NULL)
			return -1;
		if ((long long)strlen(str) > k->max)
			return conf_err(ld, s, "'%s' is longer than %lld characters", k->name, k->max);
		memcpy(field, str, strlen(str) + 1);
		break;
	case K_STRP:
		if ((str = conf_string(ld, s, k->name)) == NULL)
			return -1;
		*(const char **)field = str;
		break;
	case K_IPV4:
		if ((str = conf_string(ld, s, k->name)) == NULL)
			return -1;
		if (conf_ip4(str, field) < 0)
			return conf_err(ld, s, "'%s': \"%s\" is not an IPv4 address", k->name, str);
		break;
	case K_IPV6:
		if ((str = conf_string(ld, s, k->name)) == NULL)
			return -1;
		if (conf_ip6(str, field) < 0)
			return conf_err(ld, s, "'%s': \"%s\" is not an IPv6 address", k->name, str);
		break;
	case K_ENUM:
		if ((str = conf_string(ld, s, k->name)) == NULL)
			return -1;
		if (store_enum(ld, s, k, str, field) < 0)
			return -1;
		break;
	case K_GROUP: {
		const config_setting_t *found[CONF_MAX_KEYS];

		if (type != CONFIG_TYPE_GROUP)
			return conf_err(ld, s, "'%s' must be a group { ... }, not %s", k->name,
					conf_type_name(type));
		return conf_walk(ld, s, k->aux, field, found);
	}
	case K_LIST:
		return parse_list(ld, s, k, obj);
	case K_CUSTOM:
		return k->fn(ld, s, obj, k);
	case K_PARSE:
		return k->parse(ld, s);
	case K_ANY:
		return 0;
	}
	if (k->fn)
		return k->fn(ld, s, obj, k);
	return 0;
}

/* The row's default, for a key that was not written. */
static int apply_default(struct conf_ld *ld, const struct conf_key *k, void *obj)
{
	void *field = (char *)obj + k->off;

	switch (k->kind) {
	case K_U32: case K_U16: case K_U8:
		store_uint(k, field, k->def);
		break;
	case K_BOOL:
		*(bool *)field = k->def != 0;
		break;
	case K_STR:
		snprintf(field, (size_t)k->max + 1, "%s", k->def_str ? k->def_str : "");
		break;
	case K_ENUM:
		return store_enum(ld, NULL, k, k->def_str, field);
	case K_GROUP: {
		/* A group not written at all still gets its defaults. */
		const config_setting_t *found[CONF_MAX_KEYS];

		return conf_walk(ld, NULL, k->aux, field, found);
	}
	case K_STRP: case K_IPV4: case K_IPV6: case K_LIST: case K_CUSTOM: case K_PARSE: case K_ANY:
		break;      /* the zeroed target is the default */
	}
	return 0;
}

int conf_walk(struct conf_ld *ld, const config_setting_t *grp, const struct conf_table *t,
	      void *obj, const config_setting_t **found)
{
	memset(found, 0, sizeof(*found) * t->n_keys);
	if (t->init)
		t->init(ld, obj);
	for (int i = 0; grp && i < config_setting_length(grp); i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		unsigned r;

		for (r = 0; r < t->n_keys; r++)
			if (strcmp(t->keys[r].name, name) == 0)
				break;
		if (r == t->n_keys)
			return conf_err(ld, s, "unknown key '%s' %s", name, t->what);
		found[r] = s;
	}
	for (unsigned r = 0; r < t->n_keys; r++) {
		const struct conf_key *k = &t->keys[r];

		if (found[r] != NULL) {
			if (conf_set(ld, found[r], k, obj) < 0)
				return -1;
		} else if ((k->flags & K_REQUIRED) && grp != NULL) {
			return conf_err(ld, grp, "missing required key '%s' %s", k->name, t->what);
		} else if (apply_default(ld, k, obj) < 0) {
			return -1;
		}
	}
	if (t->post)
		return t->post(ld, grp, obj, found);
	return 0;
}

const config_setting_t *conf_found(const struct conf_table *t, const config_setting_t **found,
				   const char *name)
{
	for (unsigned r = 0; r < t->n_keys; r++)
		if (strcmp(t->keys[r].name, name) == 0)
			return found[r];
	return NULL;
}

int conf_check_list(struct conf_ld *ld, const config_setting_t *s, const char *name)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return not_list(ld, s, name);
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return entry_not_group(ld, e, name);
	}
	return 0;
}

int conf_parse_entries(struct conf_ld *ld, const config_setting_t *s, const char *name,
		       void *arr, size_t size, unsigned *count,
		       int (*fn)(struct conf_ld *ld, const config_setting_t *e, void *entry))
{
	void **a = arr;
	int n;

	if (conf_check_list(ld, s, name) < 0)
		return -1;
	n = config_setting_length(s);
	if (n == 0)
		return 0;
	*a = calloc((size_t)n, size);
	if (*a == NULL)
		return conf_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		(*count)++;
		if (fn(ld, config_setting_get_elem(s, (unsigned)i), (char *)*a + (size_t)i * size) < 0)
			return -1;
	}
	return 0;
}

/* An address list [ "...", ... ] for row k: elem-byte entries at obj + k->off,
 * their count at obj + k->off_n, each made by parse (0 or -1). */
static int parse_addr_list(struct conf_ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k, size_t elem, int (*parse)(const char *, void *),
			   const char *family)
{
	void **addrs = (void **)((char *)obj + k->off);
	unsigned *count = (unsigned *)((char *)obj + k->off_n);
	int type = config_setting_type(s), n = config_setting_length(s);

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'%s' must be an array of addresses [ ... ], not %s",
				k->name, conf_type_name(type));
	if (n == 0)
		return conf_err(ld, s, "'%s' is empty", k->name);
	*addrs = calloc((size_t)n, elem);
	if (*addrs == NULL)
		return conf_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = conf_string(ld, e, k->name);

		if (v == NULL)
			return -1;
		if (parse(v, (char *)*addrs + (size_t)i * elem) < 0)
			return conf_err(ld, e, "'%s': \"%s\" is not an %s address", k->name, v, family);
		(*count)++;
	}
	return 0;
}

static int parse_ip4(const char *v, void *out)
{
	return conf_ip4(v, out);
}

static int parse_ip6(const char *v, void *out)
{
	return conf_ip6(v, out);
}

int conf_parse_addrs(struct conf_ld *ld, const config_setting_t *s, void *obj,
		     const struct conf_key *k)
{
	return parse_addr_list(ld, s, obj, k, sizeof(uint32_t), parse_ip4, "IPv4");
}

int conf_parse_addrs6(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	return parse_addr_list(ld, s, obj, k, sizeof(struct lease_addr6), parse_ip6, "IPv6");
}

/* ------------------------------------------------------------------------
 * Checks across entries: growing arrays, overlapping ranges, duplicates
 */

int conf_grow(struct conf_ld *ld, const config_setting_t *s, void *arr, size_t size,
	      unsigned *cap, unsigned need)
{
	void **a = arr, *p;
	unsigned c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*a, (size_t)c * size);
	if (p == NULL)
		return conf_nomem(ld, s);
	memset((char *)p + (size_t)*cap * size, 0, (size_t)(c - *cap) * size);
	*a = p;
	*cap = c;
	return 0;
}

int conf_range_add(struct conf_ld *ld, const config_setting_t *s, struct conf_ranges *rs,
		   struct lease_addr6 first, struct lease_addr6 last, uint8_t plen)
{
	struct conf_range *r;

	if (conf_grow(ld, s, &rs->r, sizeof(*rs->r), &rs->cap, rs->n + 1) < 0)
		return -1;
	r = &rs->r[rs->n];
	r->first = first;
	r->last = last;
	r->plen = plen;
	r->seq = rs->n++;
	r->s = s;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct conf_range *x = a, *y = b;
	int c = lease_addr6_cmp(x->first, y->first);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void range_label(const struct conf_range *r, char *buf, size_t len)
{
	const char *v = config_setting_get_string(r->s);

	if (r->plen)
		snprintf(buf, len, "%s/%u", v ? v : "?", r->plen);
	else
		snprintf(buf, len, "%s", v ? v : "?");
}

int conf_check_overlaps(struct conf_ld *ld, struct conf_range *r, unsigned n, const char *what)
{
	if (n < 2)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (unsigned i = 1; i < n; i++) {
		const struct conf_range *a = &r[i - 1], *b = &r[i];
		char where[2 * PATH_MAX], la[128], lb[128];

		if (lease_addr6_cmp(a->last, b->first) < 0)
			continue;
		if (a->seq > b->seq) {
			const struct conf_range *t = a;
			a = b;
			b = t;
		}
		conf_shown_file(ld, config_setting_source_file(a->s), where, sizeof(where));
		range_label(a, la, sizeof(la));
		range_label(b, lb, sizeof(lb));
		return conf_err(ld, b->s, "%s \"%s\" overlaps %s \"%s\" at %s:%d", what, lb, what, la,
				where, config_setting_source_line(a->s));
	}
	return 0;
}

int conf_check_unique_ids(struct conf_ld *ld, struct conf_range *r, unsigned n)
{
	if (n < 2)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (unsigned i = 1; i < n; i++)
		if (lease_addr6_eq(r[i].first, r[i - 1].first))
			return conf_err(ld, r[i].s, "subnet id %llu is already used (line %d)",
					(unsigned long long)r[i].first.lo,
					config_setting_source_line(r[i - 1].s));
	return 0;
}

struct dup_sort {
	int (*cmp)(unsigned a, unsigned b, void *arg);
	void *arg;
};

static int dup_cmp(const void *a, const void *b, void *arg)
{
	const struct dup_sort *d = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	int c = d->cmp(x, y, d->arg);

	return c ? c : (x < y ? -1 : 1);
}

int conf_find_dup(struct conf_ld *ld, unsigned n, int (*cmp)(unsigned a, unsigned b, void *arg),
		  void *arg, unsigned *first, unsigned *second)
{
	struct dup_sort d = { cmp, arg };
	unsigned *idx;
	int found = 0;

	if (n < 2)
		return 0;
	idx = calloc(n, sizeof(*idx));
	if (idx == NULL)
		return conf_nomem(ld, NULL);
	for (unsigned i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), dup_cmp, &d);
	for (unsigned i = 1; i < n && !found; i++) {
		if (cmp(idx[i - 1], idx[i], arg) == 0) {
			*first = idx[i - 1];
			*second = idx[i];
			found = 1;
		}
	}
	free(idx);
	return found;
}
