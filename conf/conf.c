/* Configuration loader: libconfig file -> immutable, validated snapshot.
 *
 * Every key the server understands is one row in the tables near the top
 * of this file (Redis' standardConfig, nginx's command arrays): its name,
 * its type, its bounds, its default, where the value goes, and an optional
 * validator or parser.  The engine walking the tables is generic; only
 * things that are not a plain scalar (address lists, option-data, the
 * cross-subnet rules) have code of their own.
 *
 * Rows of a table are applied in table order, not file order.  That is on
 * purpose: a subnet can then inherit the global timers and refer to an
 * interface by name no matter where in the file those were written.
 *
 * The loader never returns something half built: the first error is
 * recorded as "file:line: reason", everything allocated so far is freed
 * and conf_load() returns NULL.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_ext.h"
#include "dhcp4_options.h"

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned and uint32_t rows share a store");

struct ld;
struct conf_key;

typedef int (*conf_fn)(struct ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k);

enum conf_kind {
	K_U32,      /* int or int64 within [min, max] -> uint32_t / unsigned */
	K_BOOL,     /* true / false -> bool */
	K_STR,      /* string, at most `max` chars -> char[max + 1] */
	K_STRP,     /* string -> const char *, borrowed while loading */
	K_IPV4,     /* "a.b.c.d" -> uint32_t host order */
	K_ENUM,     /* one of aux (struct conf_enum[]) -> enum, case-insensitive */
	K_GROUP,    /* { ... } parsed with table aux into obj + off */
	K_LIST,     /* ( {..}, {..} ) of table aux; array at off, count at off_n */
	K_CUSTOM,   /* fn parses it */
};

#define K_REQUIRED 0x1

struct conf_enum {
	const char *name;
	int value;
};

struct conf_table;

struct conf_key {
	const char *name;
	enum conf_kind kind;
	unsigned flags;
	long long min, max;      /* integers: bounds; K_STR: longest; K_LIST: fewest entries */
	long long def;           /* K_U32 / K_BOOL default */
	const char *def_str;     /* K_STR / K_IPV4 / K_ENUM default */
	size_t off;              /* where the value goes, from the table's target */
	size_t off_n;            /* K_LIST: where the entry count goes */
	const void *aux;         /* K_ENUM: names; K_GROUP / K_LIST: table */
	conf_fn fn;              /* K_CUSTOM: parser; otherwise validator run after the store */
};

struct conf_table {
	const char *what;        /* for messages: "in dpdk", "in an interfaces entry" */
	const struct conf_key *keys;
	unsigned n_keys;
	size_t size;             /* K_LIST entry size */
	void (*init)(struct ld *ld, void *obj);
	/* After all rows; grp is NULL when the group was not written at all. */
	int (*post)(struct ld *ld, const config_setting_t *grp, void *obj,
		    const config_setting_t **found);
};

#define CONF_MAX_KEYS 32

/* Where each pool and subnet came from, for the cross checks at the end. */
struct ld_range {
	uint32_t first, last;
	unsigned seq;            /* file order */
	const config_setting_t *s;
};

struct ld {
	struct conf *c;
	config_t cf;
	const config_setting_t *top[CONF_MAX_KEYS];   /* global settings, by top row */
	struct conf_subnet *cur_subnet;               /* while its pools are parsed */
	struct ld_range *pools;
	unsigned n_pools, cap_pools;
	/* Group setting of each subnet (indexed like c->subnets), top level
	 * and shared networks alike, for the cross checks in top_post(). */
	const config_setting_t **sn_src;
	unsigned cap_sn_src;
	struct conf_ext_ld ext;  /* path, include dir and the error state, shared
				  * with the conf_ext parsers */
};

/* Validators, parsers and hooks used by the tables. */
static int check_lcores(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_nonempty(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_bool(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_strings(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_addrs(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_iface_addr(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_subnet_prefix(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_subnet_iface(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_pool(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_options(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_option_defs(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_classes(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_hr_ids(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_flex_expr(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_precedence(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_reservations(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_shared_networks(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_class_ref(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_class_list(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static void pool_init(struct ld *, void *);
static void subnet_init(struct ld *, void *);
static int subnet_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);
static int iface_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);
static int pool_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);
static int lease_db_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);
static int top_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);
static int parse_mode(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_listen_addr(struct ld *, const config_setting_t *, void *, const struct conf_key *);
static int ctl_socket_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);
static int http_control_post(struct ld *, const config_setting_t *, void *, const config_setting_t **);

/* ------------------------------------------------------------------------
 * The key tables.  One row per key; rows are applied in this order.
 */

#define FSIZE(st, f) (sizeof(((st *)0)->f))
#define U32(n, st, f, lo, hi, d, ...) \
	{ .name = n, .kind = K_U32, .min = lo, .max = hi, .def = d, .off = offsetof(st, f), __VA_ARGS__ }
#define BOOL(n, st, f, d) \
	{ .name = n, .kind = K_BOOL, .def = d, .off = offsetof(st, f) }
#define STR(n, st, f, d, ...) \
	{ .name = n, .kind = K_STR, .max = FSIZE(st, f) - 1, .def_str = d, .off = offsetof(st, f), __VA_ARGS__ }
#define STRP(n, st, f, ...) \
	{ .name = n, .kind = K_STRP, .off = offsetof(st, f), __VA_ARGS__ }
#define IPV4(n, st, f) \
	{ .name = n, .kind = K_IPV4, .off = offsetof(st, f) }
#define ENUM(n, st, f, names, d) \
	{ .name = n, .kind = K_ENUM, .def_str = d, .off = offsetof(st, f), .aux = names }
#define GROUP(n, st, f, tbl, ...) \
	{ .name = n, .kind = K_GROUP, .off = offsetof(st, f), .aux = &tbl, __VA_ARGS__ }
#define LIST(n, st, f, fn_, tbl, least, ...) \
	{ .name = n, .kind = K_LIST, .min = least, .off = offsetof(st, f), .off_n = offsetof(st, fn_), \
	  .aux = &tbl, __VA_ARGS__ }
#define CUSTOM(n, st, f, parser, ...) \
	{ .name = n, .kind = K_CUSTOM, .off = offsetof(st, f), .fn = parser, __VA_ARGS__ }
#define TABLE(w, rows, ...) \
	{ .what = w, .keys = rows, .n_keys = sizeof(rows) / sizeof(rows[0]), __VA_ARGS__ }

#define U32MAX 0xffffffffLL

static const struct conf_enum durability_names[] = {
	{ "memory", CONF_DUR_MEMORY }, { "write-behind", CONF_DUR_WRITE_BEHIND },
	{ "commit", CONF_DUR_COMMIT }, { NULL, 0 },
};
static const struct conf_enum db_type_names[] = {
	{ "memfile", CONF_DB_MEMFILE }, { NULL, 0 },
};
static const struct conf_enum severity_names[] = {
	{ "DEBUG", CONF_LOG_DEBUG }, { "INFO", CONF_LOG_INFO }, { "WARN", CONF_LOG_WARN },
	{ "ERROR", CONF_LOG_ERROR }, { NULL, 0 },
};
static const struct conf_enum output_names[] = {
	{ "stderr", CONF_LOG_STDERR }, { "syslog", CONF_LOG_SYSLOG }, { NULL, 0 },
};

/* Keys whose value conf_ext.c parses into ld->c->ext (no offset). */
#define EXT(n, parser) { .name = n, .kind = K_CUSTOM, .fn = parser }

/* relay = { ip-addresses = [ ... ]; } */
static const struct conf_key relay_keys[] = {
	CUSTOM("ip-addresses", struct conf_subnet, relay_addrs, parse_addrs, .flags = K_REQUIRED),
};
static const struct conf_table relay_table = TABLE("in relay", relay_keys);

/* pools = ( { pool = "a - b"; client-class = "x"; option-data = (...); }, ... ) */
static const struct conf_key pool_keys[] = {
	CUSTOM("pool", struct conf_pool, first, parse_pool, .flags = K_REQUIRED),
	CUSTOM("option-data", struct conf_pool, options, parse_options),
	CUSTOM("client-class", struct conf_pool, client_class, parse_class_ref),
	CUSTOM("require-client-classes", struct conf_pool, require, parse_class_list),
};
static const struct conf_table pool_table = TABLE("in a pools entry", pool_keys,
	.size = sizeof(struct conf_pool), .init = pool_init, .post = pool_post);

/* subnet4 = ( { id = 1; subnet = "p/len"; ... }, ... )
 * Timers are 0 here when not given; subnet_post() resolves them. */
static const struct conf_key subnet_keys[] = {
	U32("id", struct conf_subnet, id, 1, U32MAX, 0, .flags = K_REQUIRED),
	CUSTOM("subnet", struct conf_subnet, prefix, parse_subnet_prefix, .flags = K_REQUIRED),
	/* after id and subnet: reservations are checked against both */
	{ .name = "reservations", .kind = K_CUSTOM, .fn = parse_reservations },
	CUSTOM("client-class", struct conf_subnet, client_class, parse_class_ref),
	CUSTOM("require-client-classes", struct conf_subnet, require, parse_class_list),
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
	CUSTOM("option-data", struct conf_subnet, options, parse_options),
};
static const struct conf_table subnet_table = TABLE("in a subnet4 entry", subnet_keys,
	.size = sizeof(struct conf_subnet), .init = subnet_init, .post = subnet_post);

/* interfaces = ( { name = ...; device = ...; address = "a/len"; }, ... ) */
static const struct conf_key iface_keys[] = {
	STR("name", struct conf_iface, name, "", .flags = K_REQUIRED, .fn = check_nonempty),
	STR("device", struct conf_iface, device, "", .flags = K_REQUIRED, .fn = check_nonempty),
	CUSTOM("address", struct conf_iface, addr, parse_iface_addr, .flags = K_REQUIRED),
};
static const struct conf_table iface_table = TABLE("in an interfaces entry", iface_keys,
	.size = sizeof(struct conf_iface), .post = iface_post);

static const struct conf_key dpdk_keys[] = {
	STR("lcores", struct conf_dpdk, lcores, "", .flags = K_REQUIRED, .fn = check_lcores),
	STR("file-prefix", struct conf_dpdk, file_prefix, "peregrine", .fn = check_nonempty),
	BOOL("no-huge", struct conf_dpdk, no_huge, false),
	U32("memory-mb", struct conf_dpdk, memory_mb, 0, 1024 * 1024, 0),
	U32("mbufs", struct conf_dpdk, mbufs, 0, U32MAX, 0),
	U32("rx-desc", struct conf_dpdk, rx_desc, 32, 32768, 1024),
	U32("tx-desc", struct conf_dpdk, tx_desc, 32, 32768, 1024),
	CUSTOM("extra-args", struct conf_dpdk, extra_args, parse_strings),
};
static const struct conf_table dpdk_table = TABLE("in dpdk", dpdk_keys);

static const struct conf_key lease_db_keys[] = {
	ENUM("type", struct conf_lease_db, type, db_type_names, "memfile"),
	STR("name", struct conf_lease_db, name, ""),
	CUSTOM("persist", struct conf_lease_db, durability, check_bool),  /* lease_db_post() maps it */
	ENUM("durability", struct conf_lease_db, durability, durability_names, "commit"),
	U32("flush-interval", struct conf_lease_db, flush_interval_ms, 1, 60000, 50),
	U32("lfc-interval", struct conf_lease_db, lfc_interval, 0, U32MAX, 3600),
};
static const struct conf_table lease_db_table = TABLE("in lease-database", lease_db_keys,
	.post = lease_db_post);

/* struct conf's logging member has no type name: offsets from the member. */
#define LOGGING_OFF(f) (offsetof(struct conf, logging.f) - offsetof(struct conf, logging))
static const struct conf_key logging_keys[] = {
	{ .name = "severity", .kind = K_ENUM, .def_str = "INFO", .off = LOGGING_OFF(severity),
	  .aux = severity_names },
	{ .name = "output", .kind = K_ENUM, .def_str = "stderr", .off = LOGGING_OFF(output),
	  .aux = output_names },
};
static const struct conf_table logging_table = TABLE("in logging", logging_keys);

static const struct conf_enum socket_type_names[] = {
	{ "unix", 1 }, { NULL, 0 },
};

/* Limits of the control channel, shared by both blocks (see conf.h). */
#define CTL_LIMIT_KEYS(st) \
	U32("max-request-size", st, max_request, 1024, 64 * 1024 * 1024, 0), \
	U32("idle-timeout", st, idle_timeout_ms, 100, 3600 * 1000, 0)

static const struct conf_key ctl_socket_keys[] = {
	{ .name = "socket-type", .kind = K_ENUM, .def_str = "unix", .aux = socket_type_names,
	  .off = offsetof(struct conf_ctl_socket, socket_type) },
	STR("socket-name", struct conf_ctl_socket, socket_name, "", .flags = K_REQUIRED,
	    .fn = check_nonempty),
	CUSTOM("socket-mode", struct conf_ctl_socket, mode, parse_mode),
	CTL_LIMIT_KEYS(struct conf_ctl_socket),
};
static const struct conf_table ctl_socket_table = TABLE("in control-socket", ctl_socket_keys,
	.post = ctl_socket_post);

static const struct conf_key http_control_keys[] = {
	STR("address", struct conf_http_control, address, "127.0.0.1", .fn = check_listen_addr),
	U32("port", struct conf_http_control, port, 1, 65535, 8004),
	STR("user", struct conf_http_control, user, ""),
	STR("password", struct conf_http_control, password, ""),
	CTL_LIMIT_KEYS(struct conf_http_control),
};
static const struct conf_table http_control_table = TABLE("in http-control", http_control_keys,
	.post = http_control_post);

/* Top level.  dpdk and interfaces come before subnet4 (subnets name
 * interfaces), the global scalars before subnet4 (subnets inherit them). */
static const struct conf_key top_keys[] = {
	GROUP("dpdk", struct conf, dpdk, dpdk_table, .flags = K_REQUIRED),
	LIST("interfaces", struct conf, ifaces, n_ifaces, iface_table, 1, .flags = K_REQUIRED),
	U32("valid-lifetime", struct conf, valid_lifetime, 1, U32MAX, 7200),
	U32("renew-timer", struct conf, renew_timer, 1, U32MAX, 0),
	U32("rebind-timer", struct conf, rebind_timer, 1, U32MAX, 0),
	U32("decline-probation-period", struct conf, decline_probation_period, 0, U32MAX, 86400),
	U32("offer-lifetime", struct conf, offer_lifetime, 1, 3600, 60),
	BOOL("match-client-id", struct conf, match_client_id, true),
	BOOL("authoritative", struct conf, authoritative, false),
	IPV4("next-server", struct conf, next_server),
	STR("server-hostname", struct conf, server_hostname, ""),
	STR("boot-file-name", struct conf, boot_file_name, ""),
	/* option-def first (option-data anywhere may use its names), then the
	 * classes (their option-data), before every other option-data. */
	EXT("option-def", parse_option_defs),
	EXT("client-classes", parse_classes),
	EXT("host-reservation-identifiers", parse_hr_ids),
	EXT("flex-id-expression", parse_flex_expr),
	EXT("option-precedence", parse_precedence),
	CUSTOM("option-data", struct conf, options, parse_options),
	GROUP("lease-database", struct conf, lease_db, lease_db_table),
	GROUP("logging", struct conf, logging, logging_table),
	GROUP("control-socket", struct conf, ctl_socket, ctl_socket_table),
	GROUP("http-control", struct conf, http_control, http_control_table),
	LIST("subnet4", struct conf, subnets, n_subnets, subnet_table, 0),
	EXT("reservations", parse_reservations),        /* global ones */
	EXT("shared-networks", parse_shared_networks),  /* appends to subnets */
};
static const struct conf_table top_table = TABLE("at the top level", top_keys, .post = top_post);

/* ------------------------------------------------------------------------
 * Errors
 */

/* Errors go through conf_ext's formatter and error state (ld->ext), the
 * one that the conf_ext parsers report into as well. */
#define type_name conf_ext_type_name

static int ld_verr(struct ld *ld, int errnum, const char *file, int line, const char *fmt, va_list ap)
{
	return conf_ext_verr(&ld->ext, errnum, file, line, fmt, ap);
}

/* Report at setting s (NULL: the top of the main file).  Returns -1. */
__attribute__((format(printf, 3, 4)))
static int ld_err(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ld_verr(ld, EINVAL, s ? config_setting_source_file(s) : NULL,
		      s ? config_setting_source_line(s) : 1, fmt, ap);
	va_end(ap);
	return ret;
}

__attribute__((format(printf, 4, 5)))
static int ld_err_at(struct ld *ld, int errnum, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ld_verr(ld, errnum, s ? config_setting_source_file(s) : NULL,
		      s ? config_setting_source_line(s) : 1, fmt, ap);
	va_end(ap);
	return ret;
}

static int ld_nomem(struct ld *ld, const config_setting_t *s)
{
	return ld_err_at(ld, ENOMEM, s, "out of memory");
}

/* ------------------------------------------------------------------------
 * Address parsing: strict dotted quads, no leading zeros, no shorthand.
 */

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parse a dotted quad at p; *end is set after it.  0 or -1. */
static int ip4_scan(const char *p, uint32_t *out, const char **end)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		if (i > 0 && *p++ != '.')
			return -1;
		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return -1;  /* "010" would be octal to inet_aton */
		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		a = a << 8 | v;
	}
	*out = a;
	*end = p;
	return 0;
}

static int ip4_parse(const char *s, uint32_t *out)
{
	const char *end;

	if (ip4_scan(skip_space(s), out, &end) < 0 || *skip_space(end) != '\0')
		return -1;
	return 0;
}

/* "a.b.c.d/len" */
static int ip4_parse_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
	const char *p;
	unsigned l = 0, digits = 0;

	if (ip4_scan(skip_space(s), addr, &p) < 0 || *p++ != '/')
		return -1;
	while (*p >= '0' && *p <= '9' && digits < 3) {
		l = l * 10 + (unsigned)(*p++ - '0');
		digits++;
	}
	if (digits == 0 || l > 32 || *skip_space(p) != '\0')
		return -1;
	*len = (uint8_t)l;
	return 0;
}

static uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static void ip4_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* ------------------------------------------------------------------------
 * The table engine
 */

static const char *get_string(struct ld *ld, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		ld_err(ld, s, "'%s' must be a string, not %s", what,
		       type_name(config_setting_type(s)));
		return NULL;
	}
	return config_setting_get_string(s);
}

static int store_enum(struct ld *ld, const config_setting_t *s, const struct conf_key *k,
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
	return ld_err(ld, s, "'%s' must be one of %s, not \"%s\"", k->name, choices, v);
}

static int parse_group(struct ld *ld, const config_setting_t *grp, const struct conf_table *t,
		       void *obj, const config_setting_t **found);

static int parse_list(struct ld *ld, const config_setting_t *s, const struct conf_key *k, void *obj)
{
	const struct conf_table *t = k->aux;
	unsigned *count = (unsigned *)((char *)obj + k->off_n);
	void **arr = (void **)((char *)obj + k->off);
	int n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return ld_err(ld, s, "'%s' must be a list ( {...}, ... ), not %s", k->name,
			      type_name(config_setting_type(s)));
	if (n < k->min)
		return ld_err(ld, s, "'%s' needs at least %lld entr%s", k->name, k->min,
			      k->min == 1 ? "y" : "ies");
	if (n == 0)
		return 0;
	*arr = calloc((size_t)n, t->size);
	if (*arr == NULL)
		return ld_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const config_setting_t *found[CONF_MAX_KEYS];

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return ld_err(ld, e, "each '%s' entry must be a group { ... }, not %s",
				      k->name, type_name(config_setting_type(e)));
		/* Counted before it is filled so conf_free() sees partial entries. */
		(*count)++;
		if (parse_group(ld, e, t, (char *)*arr + (size_t)i * t->size, found) < 0)
			return -1;
	}
	return 0;
}

/* Store the value of setting s (present in the file) for row k. */
static int parse_value(struct ld *ld, const config_setting_t *s, const struct conf_key *k, void *obj)
{
	void *field = (char *)obj + k->off;
	int type = config_setting_type(s);
	const char *str;

	switch (k->kind) {
	case K_U32: {
		long long v;
		uint32_t u;

		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return ld_err(ld, s, "'%s' must be an integer, not %s", k->name, type_name(type));
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return ld_err(ld, s, "'%s' must be between %lld and %lld, not %lld",
				      k->name, k->min, k->max, v);
		u = (uint32_t)v;
		memcpy(field, &u, sizeof(u));
		break;
	}
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return ld_err(ld, s, "'%s' must be true or false, not %s", k->name, type_name(type));
		*(bool *)field = config_setting_get_bool(s);
		break;
	case K_STR:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		if ((long long)strlen(str) > k->max)
			return ld_err(ld, s, "'%s' is longer than %lld characters", k->name, k->max);
		memcpy(field, str, strlen(str) + 1);
		break;
	case K_STRP:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		*(const char **)field = str;
		break;
	case K_IPV4:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		if (ip4_parse(str, field) < 0)
			return ld_err(ld, s, "'%s': \"%s\" is not an IPv4 address", k->name, str);
		break;
	case K_ENUM:
		if ((str = get_string(ld, s, k->name)) == NULL)
			return -1;
		if (store_enum(ld, s, k, str, field) < 0)
			return -1;
		break;
	case K_GROUP: {
		const config_setting_t *found[CONF_MAX_KEYS];

		if (type != CONFIG_TYPE_GROUP)
			return ld_err(ld, s, "'%s' must be a group { ... }, not %s", k->name, type_name(type));
		return parse_group(ld, s, k->aux, field, found);
	}
	case K_LIST:
		return parse_list(ld, s, k, obj);
	case K_CUSTOM:
		return k->fn(ld, s, obj, k);
	}
	if (k->fn)
		return k->fn(ld, s, obj, k);
	return 0;
}

/* The row's default, for a key that was not written. */
static int apply_default(struct ld *ld, const struct conf_key *k, void *obj)
{
	void *field = (char *)obj + k->off;
	uint32_t u;

	switch (k->kind) {
	case K_U32:
		u = (uint32_t)k->def;
		memcpy(field, &u, sizeof(u));
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

		return parse_group(ld, NULL, k->aux, field, found);
	}
	case K_STRP: case K_IPV4: case K_LIST: case K_CUSTOM:
		break;      /* the zeroed target is the default */
	}
	return 0;
}

/* Parse group grp (NULL: not written, defaults only; the row naming the
 * group says whether it may be left out) with table t into obj.
 * found[] gets, per row, the setting that gave it (NULL if defaulted). */
static int parse_group(struct ld *ld, const config_setting_t *grp, const struct conf_table *t,
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
			return ld_err(ld, s, "unknown key '%s' %s", name, t->what);
		found[r] = s;
	}
	for (unsigned r = 0; r < t->n_keys; r++) {
		const struct conf_key *k = &t->keys[r];

		if (found[r] != NULL) {
			if (parse_value(ld, found[r], k, obj) < 0)
				return -1;
		} else if ((k->flags & K_REQUIRED) && grp != NULL) {
			return ld_err(ld, grp, "missing required key '%s' %s", k->name, t->what);
		} else if (apply_default(ld, k, obj) < 0) {
			return -1;
		}
	}
	if (t->post)
		return t->post(ld, grp, obj, found);
	return 0;
}

static const config_setting_t *found_key(const struct conf_table *t,
					 const config_setting_t **found, const char *name)
{
	for (unsigned r = 0; r < t->n_keys; r++)
		if (strcmp(t->keys[r].name, name) == 0)
			return found[r];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Validators and parsers named by the tables
 */

static int check_nonempty(struct ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	if (*((char *)obj + k->off) == '\0')
		return ld_err(ld, s, "'%s' must not be empty", k->name);
	return 0;
}

/* A boolean that another hook reads from the setting itself. */
static int check_bool(struct ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	(void)obj;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return ld_err(ld, s, "'%s' must be true or false, not %s", k->name,
			      type_name(config_setting_type(s)));
	return 0;
}

/* EAL --lcores: "0,1", "0@0,1@1", "0-3", "(0,1)@0,2".  Count the lcore ids
 * before the '@' of each element; the first is the main lcore, so at least
 * one more is needed for a worker. */
static int check_lcores(struct ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	const char *p = (const char *)obj + k->off;
	unsigned n = 0;

	if (*p == '\0')
		return ld_err(ld, s, "'lcores' must not be empty");
	if (strspn(p, "0123456789,@()-") != strlen(p))
		return ld_err(ld, s, "'lcores' \"%s\": only digits and , @ ( ) - belong in an EAL lcore list", p);
	while (*p) {
		bool group = *p == '(';

		if (group)
			p++;
		for (;;) {
			char *e;
			unsigned long a = strtoul(p, &e, 10), b = a;

			if (e == p)
				goto bad;
			p = e;
			if (*p == '-') {
				b = strtoul(++p, &e, 10);
				if (e == p || b < a)
					goto bad;
				p = e;
			}
			n += (unsigned)(b - a + 1);
			if (!group || *p != ',')
				break;
			p++;
		}
		if (group && *p++ != ')')
			goto bad;
		if (*p == '@') {
			/* The cpu set: skip it, parentheses included. */
			p++;
			if (*p == '(') {
				while (*p && *p != ')')
					p++;
				if (*p++ != ')')
					goto bad;
			} else {
				p += strspn(p, "0123456789-");
			}
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (n < 2)
		return ld_err(ld, s, "'lcores' names %u lcore: the first is the main lcore, "
			      "at least one more is needed as a worker", n);
	return 0;
bad:
	return ld_err(ld, s, "'lcores' \"%s\" is not an EAL lcore list", (const char *)obj + k->off);
}

/* extra-args = [ "...", ... ] -> char ** */
static int parse_strings(struct ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	struct conf_dpdk *d = obj;
	int type = config_setting_type(s), n = config_setting_length(s);

	(void)k;
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return ld_err(ld, s, "'%s' must be an array of strings [ ... ], not %s",
			      config_setting_name(s), type_name(type));
	if (n == 0)
		return 0;
	d->extra_args = calloc((size_t)n, sizeof(*d->extra_args));
	if (d->extra_args == NULL)
		return ld_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = get_string(ld, e, config_setting_name(s));

		if (v == NULL)
			return -1;
		d->extra_args[i] = strdup(v);
		if (d->extra_args[i] == NULL)
			return ld_nomem(ld, e);
		d->n_extra_args++;
	}
	return 0;
}

/* relay ip-addresses = [ "a.b.c.d", ... ] -> uint32_t * */
static int parse_addrs(struct ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k)
{
	struct conf_subnet *sn = obj;
	int type = config_setting_type(s), n = config_setting_length(s);

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return ld_err(ld, s, "'%s' must be an array of addresses [ ... ], not %s",
			      k->name, type_name(type));
	if (n == 0)
		return ld_err(ld, s, "'%s' is empty", k->name);
	sn->relay_addrs = calloc((size_t)n, sizeof(*sn->relay_addrs));
	if (sn->relay_addrs == NULL)
		return ld_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = get_string(ld, e, k->name);

		if (v == NULL)
			return -1;
		if (ip4_parse(v, &sn->relay_addrs[i]) < 0)
			return ld_err(ld, e, "'%s': \"%s\" is not an IPv4 address", k->name, v);
		sn->n_relay_addrs++;
	}
	return 0;
}

static int parse_iface_addr(struct ld *ld, const config_setting_t *s, void *obj,
			    const struct conf_key *k)
{
	struct conf_iface *f = obj;
	const char *v = get_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	if (ip4_parse_prefix(v, &f->addr, &f->prefix_len) < 0 || f->prefix_len == 0)
		return ld_err(ld, s, "'address': \"%s\" is not an IPv4 address with a prefix "
			      "length, e.g. \"198.18.0.1/24\"", v);
	return 0;
}

static int parse_subnet_prefix(struct ld *ld, const config_setting_t *s, void *obj,
			       const struct conf_key *k)
{
	struct conf_subnet *sn = obj;
	const char *v = get_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	if (ip4_parse_prefix(v, &sn->prefix, &sn->prefix_len) < 0)
		return ld_err(ld, s, "'subnet': \"%s\" is not an IPv4 prefix, e.g. \"198.18.0.0/24\"", v);
	sn->mask = prefix_mask(sn->prefix_len);
	if (sn->prefix & ~sn->mask) {
		char net[16];

		ip4_str(sn->prefix & sn->mask, net);
		return ld_err(ld, s, "'subnet': \"%s\" has host bits set (did you mean \"%s/%u\"?)",
			      v, net, sn->prefix_len);
	}
	return 0;
}

static int parse_subnet_iface(struct ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	struct conf_subnet *sn = obj;
	const char *v = get_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	for (unsigned i = 0; i < ld->c->n_ifaces; i++) {
		if (strcmp(ld->c->ifaces[i].name, v) == 0) {
			sn->iface = (int)i;
			return 0;
		}
	}
	return ld_err(ld, s, "'interface': no interface named \"%s\" in interfaces", v);
}

/* "first - last" or "prefix/len", inside the subnet being parsed. */
static int parse_pool(struct ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	struct conf_pool *p = obj;
	const struct conf_subnet *sn = ld->cur_subnet;
	const char *v = get_string(ld, s, k->name), *dash;
	char net[16];

	if (v == NULL)
		return -1;
	if ((dash = strchr(v, '-')) != NULL) {
		char lo[64];
		size_t n = (size_t)(dash - v);

		if (n >= sizeof(lo))
			goto bad;
		memcpy(lo, v, n);
		lo[n] = '\0';
		if (ip4_parse(lo, &p->first) < 0 || ip4_parse(dash + 1, &p->last) < 0)
			goto bad;
		if (p->first > p->last)
			return ld_err(ld, s, "'pool': \"%s\" starts after it ends", v);
	} else {
		uint32_t addr;
		uint8_t len;

		if (ip4_parse_prefix(v, &addr, &len) < 0)
			goto bad;
		if (addr & ~prefix_mask(len))
			return ld_err(ld, s, "'pool': \"%s\" has host bits set", v);
		p->first = addr;
		p->last = addr | ~prefix_mask(len);
	}
	if (p->first < sn->prefix || p->last > (sn->prefix | ~sn->mask)) {
		ip4_str(sn->prefix, net);
		return ld_err(ld, s, "'pool': \"%s\" is not inside subnet %s/%u", v, net, sn->prefix_len);
	}
	return 0;
bad:
	return ld_err(ld, s, "'pool': \"%s\" is not \"first - last\" or \"prefix/len\"", v);
}

/* ------------------------------------------------------------------------
 * Keys parsed by conf_ext.c.  Its parsers report into the same error
 * buffer; only the error number has to be carried over.
 */

static int ext_fail(struct ld *ld)
{
	if (!ld->ext.errnum)
		ld->ext.errnum = EINVAL;
	return -1;
}

#define EXT_CALL(ld, call) ((call) < 0 ? ext_fail(ld) : 0)

/* option-data = ( ... ) -> struct conf_option_set, sorted by code (option-def
 * names, spaces and the vendor options 43 and 125 included). */
static int parse_options(struct ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	return EXT_CALL(ld, conf_ext_parse_options(&ld->ext, s, (void *)((char *)obj + k->off)));
}

static int parse_option_defs(struct ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k)
{
	(void)obj;
	(void)k;
	return EXT_CALL(ld, conf_ext_parse_option_defs(&ld->ext, s));
}

static int parse_classes(struct ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	(void)obj;
	(void)k;
	return EXT_CALL(ld, conf_ext_parse_classes(&ld->ext, s));
}

static int parse_hr_ids(struct ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	(void)obj;
	(void)k;
	return EXT_CALL(ld, conf_ext_parse_hr_ids(&ld->ext, s));
}

static int parse_flex_expr(struct ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k)
{
	(void)obj;
	(void)k;
	return EXT_CALL(ld, conf_ext_parse_flex_expr(&ld->ext, s));
}

static int parse_precedence(struct ld *ld, const config_setting_t *s, void *obj,
			    const struct conf_key *k)
{
	(void)obj;
	(void)k;
	return EXT_CALL(ld, conf_ext_parse_precedence(&ld->ext, s));
}

/* Global (obj is the conf) or the subnet being parsed (its id and prefix
 * are known: those rows come first in subnet_keys). */
static int parse_reservations(struct ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	const struct conf_subnet *sn = obj == (void *)ld->c ? NULL : obj;

	(void)k;
	return EXT_CALL(ld, conf_ext_parse_reservations(&ld->ext, s, sn));
}

static int parse_class_ref(struct ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k)
{
	return EXT_CALL(ld, conf_ext_parse_class_ref(&ld->ext, s, (int *)((char *)obj + k->off)));
}

static int parse_class_list(struct ld *ld, const config_setting_t *s, void *obj,
			    const struct conf_key *k)
{
	return EXT_CALL(ld, conf_ext_parse_class_list(&ld->ext, s,
						      (struct cls_set *)((char *)obj + k->off)));
}

/* shared-networks: conf_ext.c parses each network's own keys; its subnet4
 * list is parsed here with the subnet table, appended to c->subnets (so
 * every check and the server see one flat array), each subnet marked with
 * its network's index and given the network's interface and relays. */
static int parse_shared_networks(struct ld *ld, const config_setting_t *s, void *obj,
				 const struct conf_key *k)
{
	struct conf *c = obj;
	struct conf_ext *x = c->ext;
	unsigned total = c->n_subnets;

	(void)k;
	if (conf_ext_parse_shared_networks(&ld->ext, s) < 0)
		return ext_fail(ld);
	for (unsigned i = 0; i < x->n_shared; i++)
		if (x->shared[i].subnets)
			total += (unsigned)config_setting_length(x->shared[i].subnets);
	if (total == c->n_subnets)
		return 0;
	{
		struct conf_subnet *sns = realloc(c->subnets, total * sizeof(*sns));

		if (sns == NULL)
			return ld_nomem(ld, s);
		memset(sns + c->n_subnets, 0, (total - c->n_subnets) * sizeof(*sns));
		c->subnets = sns;
	}
	for (unsigned i = 0; i < x->n_shared; i++) {
		const config_setting_t *list = x->shared[i].subnets;

		for (int j = 0; list && j < config_setting_length(list); j++) {
			const config_setting_t *e = config_setting_get_elem(list, (unsigned)j);
			const config_setting_t *found[CONF_MAX_KEYS];
			struct conf_subnet *sn = &c->subnets[c->n_subnets];

			if (config_setting_type(e) != CONFIG_TYPE_GROUP)
				return ld_err(ld, e, "each 'subnet4' entry must be a group { ... }, not %s",
					      type_name(config_setting_type(e)));
			c->n_subnets++;         /* counted first: conf_free sees partial ones */
			if (parse_group(ld, e, &subnet_table, sn, found) < 0)
				return -1;
			sn->shared = (int)i;
			if (conf_ext_shared_subnet(&ld->ext, &x->shared[i], sn, e) < 0)
				return ext_fail(ld);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Per-table hooks
 */

static int iface_post(struct ld *ld, const config_setting_t *grp, void *obj,
		      const config_setting_t **found)
{
	struct conf_iface *f = obj;

	f->line = config_setting_source_line(grp);
	for (const struct conf_iface *p = ld->c->ifaces; p < f; p++) {
		if (strcmp(p->name, f->name) == 0)
			return ld_err(ld, found_key(&iface_table, found, "name"),
				      "interface name \"%s\" is already used (line %d)", f->name, p->line);
		if (strcmp(p->device, f->device) == 0)
			return ld_err(ld, found_key(&iface_table, found, "device"),
				      "device \"%s\" is already used by interface \"%s\"", f->device, p->name);
	}
	return 0;
}

static int pool_post(struct ld *ld, const config_setting_t *grp, void *obj,
		     const config_setting_t **found)
{
	struct conf_pool *p = obj;
	struct ld_range *r;

	p->line = config_setting_source_line(grp);
	if (ld->n_pools == ld->cap_pools) {
		unsigned cap = ld->cap_pools ? 2 * ld->cap_pools : 16;

		r = realloc(ld->pools, cap * sizeof(*r));
		if (r == NULL)
			return ld_nomem(ld, grp);
		ld->pools = r;
		ld->cap_pools = cap;
	}
	r = &ld->pools[ld->n_pools];
	r->first = p->first;
	r->last = p->last;
	r->seq = ld->n_pools++;
	r->s = found_key(&pool_table, found, "pool");
	return 0;
}

static void pool_init(struct ld *ld, void *obj)
{
	struct conf_pool *p = obj;

	(void)ld;
	p->client_class = -1;
}

static void subnet_init(struct ld *ld, void *obj)
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

static int timer_order(struct ld *ld, const config_setting_t *grp, const struct timer_src *a,
		       const struct timer_src *b)
{
	const config_setting_t *at;

	if (a->v < b->v)
		return 0;
	/* Point at the most specific key that took part. */
	at = b->own ? b->own : a->own ? a->own : b->global ? b->global : a->global ? a->global : grp;
	return ld_err(ld, at, "%s %u%s must be less than %s %u%s", a->name, a->v, a->how,
		      b->name, b->v, b->how);
}

static void timer_resolve(struct ld *ld, struct timer_src *t, const char *name, uint32_t own_v,
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
static int subnet_post(struct ld *ld, const config_setting_t *grp, void *obj,
		       const config_setting_t **found)
{
	struct conf_subnet *sn = obj;
	const struct conf *c = ld->c;
	struct timer_src valid, renew, rebind;

	sn->line = config_setting_source_line(grp);
	ld->cur_subnet = NULL;
	{
		size_t i = (size_t)(sn - c->subnets);

		if (i >= ld->cap_sn_src) {
			size_t cap = ld->cap_sn_src ? 2 * ld->cap_sn_src : 64;
			const config_setting_t **v;

			while (cap <= i)
				cap *= 2;
			v = realloc(ld->sn_src, cap * sizeof(*v));
			if (v == NULL)
				return ld_nomem(ld, grp);
			memset(v + ld->cap_sn_src, 0, (cap - ld->cap_sn_src) * sizeof(*v));
			ld->sn_src = v;
			ld->cap_sn_src = (unsigned)cap;
		}
		ld->sn_src[i] = grp;
	}

	timer_resolve(ld, &valid, "valid-lifetime", sn->valid_lifetime,
		      found_key(&subnet_table, found, "valid-lifetime"), c->valid_lifetime);
	timer_resolve(ld, &renew, "renew-timer", sn->renew_timer,
		      found_key(&subnet_table, found, "renew-timer"), c->renew_timer);
	timer_resolve(ld, &rebind, "rebind-timer", sn->rebind_timer,
		      found_key(&subnet_table, found, "rebind-timer"), c->rebind_timer);
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

	if (!found_key(&subnet_table, found, "next-server"))
		sn->next_server = c->next_server;
	if (!found_key(&subnet_table, found, "server-hostname"))
		memcpy(sn->server_hostname, c->server_hostname, sizeof(sn->server_hostname));
	if (!found_key(&subnet_table, found, "boot-file-name"))
		memcpy(sn->boot_file_name, c->boot_file_name, sizeof(sn->boot_file_name));
	return 0;
}

/* persist = false is Kea's way to say "memory"; durability says it in full.
 * Saying both differently is refused rather than guessed. */
static int lease_db_post(struct ld *ld, const config_setting_t *grp, void *obj,
			 const config_setting_t **found)
{
	struct conf_lease_db *db = obj;
	const config_setting_t *s_persist = found_key(&lease_db_table, found, "persist");
	const config_setting_t *s_dur = found_key(&lease_db_table, found, "durability");
	const config_setting_t *s_type = found_key(&lease_db_table, found, "type");

	if (grp == NULL) {
		/* No lease-database at all: leases live in memory only. */
		db->type = CONF_DB_NONE;
		db->durability = CONF_DUR_MEMORY;
		return 0;
	}
	if (s_persist) {
		bool persist = config_setting_get_bool(s_persist);

		if (s_dur && !persist && db->durability != CONF_DUR_MEMORY)
			return ld_err(ld, s_dur, "durability \"%s\" contradicts persist = false "
				      "(persist = false means durability \"memory\")",
				      conf_durability_name(db->durability));
		if (s_dur && persist && db->durability == CONF_DUR_MEMORY)
			return ld_err(ld, s_dur, "durability \"memory\" contradicts persist = true");
		if (!persist)
			db->durability = CONF_DUR_MEMORY;
	}
	if (db->type == CONF_DB_MEMFILE && db->durability != CONF_DUR_MEMORY && db->name[0] == '\0')
		return ld_err(ld, s_type ? s_type : grp, "a memfile lease-database needs a 'name' "
			      "(the lease file) unless durability is \"memory\"");
	return 0;
}

/* socket-mode = "0600": 3 or 4 octal digits, at most 0777. */
static int parse_mode(struct ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	const char *str = get_string(ld, s, k->name);
	unsigned v = 0;
	size_t n;

	if (str == NULL)
		return -1;
	n = strlen(str);
	if (n < 3 || n > 5 || strspn(str, "01234567") != n)
		return ld_err(ld, s, "'%s' \"%s\" must be octal permissions such as \"0600\"",
			      k->name, str);
	for (size_t i = 0; i < n; i++)
		v = v * 8 + (unsigned)(str[i] - '0');
	if (v > 0777)
		return ld_err(ld, s, "'%s' \"%s\": only permission bits (at most 0777) belong here",
			      k->name, str);
	if (!(v & 0600))
		return ld_err(ld, s, "'%s' \"%s\" leaves the owner unable to use the socket",
			      k->name, str);
	*(unsigned *)((char *)obj + k->off) = v;
	return 0;
}

static int check_listen_addr(struct ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k)
{
	const char *a = (const char *)obj + k->off;
	unsigned char buf[16];

	if (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1)
		return ld_err(ld, s, "'%s': \"%s\" is not an IPv4 or IPv6 address", k->name, a);
	return 0;
}

static int ctl_socket_post(struct ld *ld, const config_setting_t *grp, void *obj,
			   const config_setting_t **found)
{
	struct conf_ctl_socket *cs = obj;

	(void)ld;
	cs->enabled = grp != NULL;
	cs->line = grp ? config_setting_source_line(grp) : 0;
	if (!found_key(&ctl_socket_table, found, "socket-mode"))
		cs->mode = 0600;
	/* socket-type went through the enum into the first bytes: spell it */
	snprintf(cs->socket_type, sizeof(cs->socket_type), "unix");
	return 0;
}

static int http_control_post(struct ld *ld, const config_setting_t *grp, void *obj,
			     const config_setting_t **found)
{
	struct conf_http_control *h = obj;
	const config_setting_t *s_user = found_key(&http_control_table, found, "user");
	const config_setting_t *s_pass = found_key(&http_control_table, found, "password");

	h->enabled = grp != NULL;
	h->line = grp ? config_setting_source_line(grp) : 0;
	if (!grp)
		return 0;
	if ((h->user[0] != '\0') != (h->password[0] != '\0'))
		return ld_err(ld, s_user ? s_user : s_pass ? s_pass : grp,
			      "http-control needs both 'user' and 'password' (basic auth), or neither");
	if (strchr(h->user, ':'))
		return ld_err(ld, s_user, "'user' must not contain ':' (basic auth separates with it)");
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct ld_range *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted by first address, any overlap shows up between neighbours.
 * Report it at whichever of the two came later in the file. */
static int check_overlaps(struct ld *ld, struct ld_range *r, unsigned n, const char *what)
{
	qsort(r, n, sizeof(*r), range_cmp);
	for (unsigned i = 1; i < n; i++) {
		const struct ld_range *a = &r[i - 1], *b = &r[i];
		char where[2 * PATH_MAX];

		if (a->last < b->first)
			continue;
		if (a->seq > b->seq) {
			const struct ld_range *t = a;
			a = b;
			b = t;
		}
		conf_ext_shown_file(&ld->ext, config_setting_source_file(a->s), where, sizeof(where));
		return ld_err(ld, b->s, "%s \"%s\" overlaps %s \"%s\" at %s:%d", what,
			      config_setting_get_string(b->s), what, config_setting_get_string(a->s),
			      where, config_setting_source_line(a->s));
	}
	return 0;
}

/* Rules that span the whole file: run once everything is parsed. */
static int top_post(struct ld *ld, const config_setting_t *grp, void *obj,
		    const config_setting_t **found)
{
	struct conf *c = obj;
	const config_setting_t *s_valid = found_key(&top_table, found, "valid-lifetime");
	const config_setting_t *s_renew = found_key(&top_table, found, "renew-timer");
	const config_setting_t *s_rebind = found_key(&top_table, found, "rebind-timer");
	struct ld_range *r;
	int ret = 0;

	(void)grp;
	if (s_renew && s_rebind && c->renew_timer >= c->rebind_timer)
		return ld_err(ld, s_rebind, "renew-timer %u must be less than rebind-timer %u",
			      c->renew_timer, c->rebind_timer);
	if (s_rebind && c->rebind_timer >= c->valid_lifetime)
		return ld_err(ld, s_valid ? s_valid : s_rebind, "rebind-timer %u must be less than "
			      "valid-lifetime %u", c->rebind_timer, c->valid_lifetime);
	if (s_renew && c->renew_timer >= c->valid_lifetime)
		return ld_err(ld, s_valid ? s_valid : s_renew, "renew-timer %u must be less than "
			      "valid-lifetime %u", c->renew_timer, c->valid_lifetime);

	if (check_overlaps(ld, ld->pools, ld->n_pools, "pool") < 0)
		return -1;
	for (unsigned i = 0; i < c->n_ifaces && i < CLS_MAX_IFACES; i++)
		if (cls_registry_set_iface(c->ext->reg, i, c->ifaces[i].name) < 0)
			return ld_nomem(ld, NULL);
	if (c->n_subnets == 0)
		return EXT_CALL(ld, conf_ext_finish(&ld->ext));

	r = calloc(c->n_subnets, sizeof(*r));
	if (r == NULL)
		return ld_nomem(ld, NULL);
	for (unsigned i = 0; i < c->n_subnets; i++) {
		r[i].first = c->subnets[i].id;
		r[i].seq = i;
		r[i].s = config_setting_get_member(ld->sn_src[i], "id");
	}
	qsort(r, c->n_subnets, sizeof(*r), range_cmp);
	for (unsigned i = 1; i < c->n_subnets; i++) {
		if (r[i].first == r[i - 1].first) {
			ret = ld_err(ld, r[i].s, "subnet id %u is already used (line %d)",
				     r[i].first, config_setting_source_line(r[i - 1].s));
			goto out;
		}
	}
	for (unsigned i = 0; i < c->n_subnets; i++) {
		const struct conf_subnet *sn = &c->subnets[i];

		r[i].first = sn->prefix;
		r[i].last = sn->prefix | ~sn->mask;
		r[i].seq = i;
		r[i].s = config_setting_get_member(ld->sn_src[i], "subnet");
	}
	ret = check_overlaps(ld, r, c->n_subnets, "subnet");
	if (ret == 0)
		ret = EXT_CALL(ld, conf_ext_finish(&ld->ext));
out:
	free(r);
	return ret;
}

/* ------------------------------------------------------------------------
 * Public API
 */

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->dpdk.n_extra_args; i++)
		free(c->dpdk.extra_args[i]);
	free(c->dpdk.extra_args);
	free(c->ifaces);
	free(c->options.opts);
	for (unsigned i = 0; i < c->n_subnets; i++) {
		free(c->subnets[i].relay_addrs);
		free(c->subnets[i].options.opts);
		for (unsigned j = 0; c->subnets[i].pools && j < c->subnets[i].n_pools; j++)
			free(c->subnets[i].pools[j].options.opts);
		free(c->subnets[i].pools);
	}
	free(c->subnets);
	conf_ext_free(c->ext);
	free(c);
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct ld ld = { 0 };
	FILE *f;
	int errnum;

	if (errlen)
		err[0] = '\0';
	if (path == NULL || strlen(path) >= sizeof(ld.c->file)) {
		if (errlen)
			snprintf(err, errlen, "%s: bad configuration file name", path ? path : "(null)");
		errno = EINVAL;
		return NULL;
	}
	/* libconfig only says "file I/O error"; find out why ourselves. */
	f = fopen(path, "r");
	if (f == NULL) {
		errnum = errno;
		if (errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errnum));
		errno = errnum;
		return NULL;
	}
	fclose(f);

	/* @include paths are relative to the main file's directory (the
	 * service's working directory says nothing to the reader). */
	conf_ext_ld_init(&ld.ext, NULL, path, NULL, err, errlen);
	config_init(&ld.cf);
	config_set_include_dir(&ld.cf, ld.ext.incdir);
	if (!config_read_file(&ld.cf, path)) {
		const char *file = config_error_file(&ld.cf);

		if (config_error_type(&ld.cf) == CONFIG_ERR_FILE_IO || file == NULL) {
			ld.ext.errnum = EIO;
			if (errlen)
				snprintf(err, errlen, "%s: %s", path, config_error_text(&ld.cf));
		} else {
			char where[2 * PATH_MAX];

			conf_ext_shown_file(&ld.ext, file, where, sizeof(where));
			ld.ext.errnum = EINVAL;
			if (errlen)
				snprintf(err, errlen, "%s:%d: %s", where, config_error_line(&ld.cf),
					 config_error_text(&ld.cf));
		}
		goto err;
	}

	ld.c = calloc(1, sizeof(*ld.c));
	if (ld.c == NULL) {
		ld_nomem(&ld, NULL);
		goto err;
	}
	memcpy(ld.c->file, path, strlen(path) + 1);
	ld.c->ext = conf_ext_create();
	if (ld.c->ext == NULL) {
		ld_nomem(&ld, NULL);
		goto err;
	}
	ld.ext.x = ld.c->ext;
	ld.ext.c = ld.c;
	if (parse_group(&ld, config_root_setting(&ld.cf), &top_table, ld.c, ld.top) < 0)
		goto err;

	free(ld.pools);
	free(ld.sn_src);
	config_destroy(&ld.cf);
	return ld.c;
err:
	errnum = ld.ext.errnum ? ld.ext.errnum : EINVAL;
	conf_free(ld.c);
	free(ld.pools);
	free(ld.sn_src);
	config_destroy(&ld.cf);
	errno = errnum;
	return NULL;
}

const struct conf_subnet *conf_subnet_by_id(const struct conf *c, uint32_t id)
{
	for (unsigned i = 0; i < c->n_subnets; i++)
		if (c->subnets[i].id == id)
			return &c->subnets[i];
	return NULL;
}

const struct conf_option *conf_option_find(const struct conf_option_set *s, uint8_t code)
{
	unsigned lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (s->opts[mid].code == code)
			return &s->opts[mid];
		if (s->opts[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *conf_durability_name(enum conf_durability d)
{
	switch (d) {
	case CONF_DUR_MEMORY: return "memory";
	case CONF_DUR_WRITE_BEHIND: return "write-behind";
	case CONF_DUR_COMMIT: return "commit";
	}
	return "?";
}
