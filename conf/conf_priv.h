/* Configuration internals shared by the conf_*.c files and their tests.
 *
 * Every key the server understands is one row in a key table (Redis'
 * standardConfig, nginx's command arrays): its name, its type, its bounds,
 * its default, where the value goes, and an optional validator or parser.
 * One engine (conf_engine.c) walks every table; only things that are not a
 * plain scalar have code of their own.
 *
 * Rows of a table are applied in table order, not file order.  That is on
 * purpose: a subnet can then inherit the global timers and refer to an
 * interface by name no matter where in the file those were written.  The
 * order the top table keeps:
 *   option-def            before any option-data (names become usable)
 *   client-classes        before option-data users refer to classes from;
 *                         client-class / require-client-classes may name a
 *                         class defined later or never (as in Kea)
 *   host-reservation-identifiers, flex-id-expression
 *                         any time before conf_policy_finish()
 *   reservations          global list, and each subnet's (after its id and
 *                         prefix are known)
 *   conf_policy_finish()  once, after everything: cross checks
 *
 * Errors: the first one is kept as "file:line: reason" in ld->err with
 * ld->errnum set (EINVAL or ENOMEM); every function here that can fail
 * returns 0, or -1 after reporting.
 */
#pragma once
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define CONF_MAX_KEYS 32

/* Where each pool and subnet came from, for the cross checks at the end.
 * 128 bits wide, so one kind serves IPv4 (in lo), IPv6 and subnet ids. */
struct conf_range {
	struct lease_addr6 first, last;
	unsigned seq;            /* file order */
	uint8_t plen;            /* messages show "<s's string>/<plen>" when not 0 */
	const config_setting_t *s;
};

struct conf_ranges {
	struct conf_range *r;
	unsigned n, cap;
};

struct conf6_ld;

/* A class name a key referred to (client-class, require-client-classes,
 * a reservation's client-classes), for the check that it is defined. */
struct conf_class_ref {
	int id;
	const config_setting_t *s;
};

/* The loader's state: where errors go and what is being filled.  One per
 * conf_load(); a test may make one with conf_ld_init() alone and call the
 * parsers of one block. */
struct conf_ld {
	const char *path;                /* the main file, as given to conf_load() */
	char incdir[PATH_MAX];           /* directory of path (@include base) */
	char *err;
	size_t errlen;
	int errnum;                      /* 0 until the first error */
	struct conf *c;                  /* the snapshot (interfaces, for names); may be NULL */
	struct conf_policy *x;           /* c->policy, or a test's own */

	/* conf_load() only */
	config_t cf;
	const config_setting_t *top[CONF_MAX_KEYS];   /* global settings, by top row */
	struct conf_subnet *cur_subnet;               /* while its pools are parsed */
	struct conf_ranges pools;
	/* Group setting of each subnet (indexed like c->subnets), top level
	 * and shared networks alike, for the cross checks at the end. */
	const config_setting_t **sn_src;
	unsigned cap_sn_src;

	/* While the dhcp6 block is parsed: its snapshot (class names then go
	 * to its registry), the v6 loader's state (conf6_priv.h) and the
	 * class names referred to. */
	struct conf6 *v6;
	struct conf6_ld *l6;
	struct conf_class_ref *refs;
	unsigned n_refs, cap_refs;
};

void conf_ld_init(struct conf_ld *ld, struct conf_policy *x, const char *path,
		  struct conf *c, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * Errors
 */

/* Report "file:line: reason" (file NULL: the main file; an @include'd one
 * is shown relative to where the user stands).  Returns -1. */
int conf_verr(struct conf_ld *ld, int errnum, const char *file, int line,
	      const char *fmt, va_list ap);
/* At setting s (NULL: the top of the main file), EINVAL.  Returns -1. */
__attribute__((format(printf, 3, 4)))
int conf_err(struct conf_ld *ld, const config_setting_t *s, const char *fmt, ...);
int conf_nomem(struct conf_ld *ld, const config_setting_t *s);
void conf_shown_file(const struct conf_ld *ld, const char *file, char *buf, size_t len);
const char *conf_type_name(int type);

static inline int conf_line(const config_setting_t *s)
{
	return s ? config_setting_source_line(s) : 0;
}

/* ------------------------------------------------------------------------
 * Key tables
 */

struct conf_key;

typedef int (*conf_fn)(struct conf_ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k);

enum conf_kind {
	K_U32,      /* int or int64 within [min, max] -> uint32_t / unsigned */
	K_U16,      /* the same -> uint16_t */
	K_U8,       /* the same -> uint8_t */
	K_BOOL,     /* true / false -> bool */
	K_STR,      /* string, at most `max` chars -> char[max + 1] */
	K_STRP,     /* string -> const char *, borrowed while loading */
	K_IPV4,     /* "a.b.c.d" -> uint32_t host order */
	K_IPV6,     /* "2001:db8::1" -> struct lease_addr6 */
	K_ENUM,     /* one of aux (struct conf_enum[]) -> enum, case-insensitive */
	K_GROUP,    /* { ... } parsed with table aux into obj + off */
	K_LIST,     /* ( {..}, {..} ) of table aux; array at off, count at off_n */
	K_CUSTOM,   /* fn parses it */
	K_PARSE,    /* parse(ld, s) fills ld->x */
	K_ANY,      /* any type: the caller reads found[row] after the walk */
};

#define K_REQUIRED 0x1

struct conf_enum {
	const char *name;
	int value;
};

struct conf_key {
	const char *name;
	enum conf_kind kind;
	unsigned flags;
	long long min, max;      /* integers: bounds; K_STR: longest; K_LIST: fewest entries */
	long long def;           /* K_U32 / K_BOOL default */
	const char *def_str;     /* K_STR / K_ENUM default */
	size_t off;              /* where the value goes, from the table's target */
	size_t off_n;            /* K_LIST, address lists: where the entry count goes */
	const void *aux;         /* K_ENUM: names; K_GROUP / K_LIST: table */
	conf_fn fn;              /* K_CUSTOM: parser; otherwise validator run after the store */
	int (*parse)(struct conf_ld *ld, const config_setting_t *s);   /* K_PARSE */
};

struct conf_table {
	const char *what;        /* for messages: "in dpdk", "in an interfaces entry" */
	const struct conf_key *keys;
	unsigned n_keys;
	size_t size;             /* K_LIST entry size */
	void (*init)(struct conf_ld *ld, void *obj);
	/* After all rows; grp is NULL when the group was not written at all. */
	int (*post)(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		    const config_setting_t **found);
};

#define FSIZE(st, f) (sizeof(((st *)0)->f))
#define U32(n, st, f, lo, hi, d, ...) \
	{ .name = n, .kind = K_U32, .min = lo, .max = hi, .def = d, .off = offsetof(st, f), __VA_ARGS__ }
#define U16(n, st, f, lo, hi, d, ...) \
	{ .name = n, .kind = K_U16, .min = lo, .max = hi, .def = d, .off = offsetof(st, f), __VA_ARGS__ }
#define U8(n, st, f, lo, hi, d, ...) \
	{ .name = n, .kind = K_U8, .min = lo, .max = hi, .def = d, .off = offsetof(st, f), __VA_ARGS__ }
#define IPV6(n, st, f, ...) \
	{ .name = n, .kind = K_IPV6, .off = offsetof(st, f), __VA_ARGS__ }
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
#define PARSE(n, parser) { .name = n, .kind = K_PARSE, .parse = parser }
#define ANY(n) { .name = n, .kind = K_ANY }
#define TABLE(w, rows, ...) \
	{ .what = w, .keys = rows, .n_keys = sizeof(rows) / sizeof(rows[0]), __VA_ARGS__ }

#define U32MAX 0xffffffffLL

/* Parse group grp (NULL: not written, defaults only; the row naming the
 * group says whether it may be left out) with table t into obj.
 * found[] (CONF_MAX_KEYS) gets, per row, the setting that gave it (NULL if
 * defaulted). */
int conf_walk(struct conf_ld *ld, const config_setting_t *grp, const struct conf_table *t,
	      void *obj, const config_setting_t **found);
/* Store setting s (present in the file) for row k into obj. */
int conf_set(struct conf_ld *ld, const config_setting_t *s, const struct conf_key *k, void *obj);
/* The setting found for the row named name, NULL if it was not written. */
const config_setting_t *conf_found(const struct conf_table *t, const config_setting_t **found,
				   const char *name);

/* A string setting, or NULL after "'what' must be a string". */
const char *conf_string(struct conf_ld *ld, const config_setting_t *s, const char *what);
/* A list ( {..}, {..} ) whose entries are all groups. */
int conf_check_list(struct conf_ld *ld, const config_setting_t *s, const char *name);
/* List s of groups (checked first) -> a new zeroed array of entries of
 * `size` bytes at *arr, each filled by fn.  *count counts each entry
 * before it is filled, so the snapshot's free sees a partial one.  Nothing
 * is allocated for an empty list. */
int conf_parse_entries(struct conf_ld *ld, const config_setting_t *s, const char *name,
		       void *arr, size_t size, unsigned *count,
		       int (*fn)(struct conf_ld *ld, const config_setting_t *e, void *entry));
/* Address list [ "a.b.c.d", ... ] for row k -> a uint32_t array at
 * obj + k->off, its count at obj + k->off_n (K_CUSTOM parser). */
int conf_parse_addrs(struct conf_ld *ld, const config_setting_t *s, void *obj,
		     const struct conf_key *k);
/* The same for [ "2001:db8::1", ... ] -> a struct lease_addr6 array. */
int conf_parse_addrs6(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k);

/* *arr (an array of `size`-byte entries with room for *cap) grown to room
 * for at least `need`, the new room zeroed.  0, or -1 after "out of
 * memory" at s. */
int conf_grow(struct conf_ld *ld, const config_setting_t *s, void *arr, size_t size,
	      unsigned *cap, unsigned need);
/* Append [first, last] from setting s (file order kept). */
int conf_range_add(struct conf_ld *ld, const config_setting_t *s, struct conf_ranges *rs,
		   struct lease_addr6 first, struct lease_addr6 last, uint8_t plen);
/* No two ranges overlap: sorted by first, any overlap shows up between
 * neighbours; reported at whichever came later in the file, naming the
 * other's file:line.  what: "pool", "subnet"... */
int conf_check_overlaps(struct conf_ld *ld, struct conf_range *r, unsigned n, const char *what);
/* Subnet ids (in first.lo) unique: "subnet id N is already used (line L)". */
int conf_check_unique_ids(struct conf_ld *ld, struct conf_range *r, unsigned n);
/* The first pair among items 0..n-1 that cmp (comparing items by index)
 * finds equal: 1 with *first < *second (file order), 0 if none, -1 after
 * "out of memory". */
int conf_find_dup(struct conf_ld *ld, unsigned n, int (*cmp)(unsigned a, unsigned b, void *arg),
		  void *arg, unsigned *first, unsigned *second);

/* ------------------------------------------------------------------------
 * Addresses: strict dotted quads (net_ip4_parse), blanks around them allowed
 */

int conf_ip4(const char *s, uint32_t *out);
/* "a.b.c.d/len" */
int conf_ip4_prefix(const char *s, uint32_t *addr, uint8_t *len);
void conf_ip4_str(uint32_t a, char buf[16]);

/* A pool's "first - last": the text before the dash into lo (len bytes
 * with the NUL), the text after it returned; NULL without a dash or when
 * the first part does not fit. */
const char *conf_range_split(const char *v, char *lo, size_t len);

/* IPv6 (inet_pton's forms), blanks around them allowed; "addr/len" with
 * len 0..128.  conf_ip6_str gives inet_ntop's. */
#define CONF_IP6_STRLEN 46
int conf_ip6(const char *s, struct lease_addr6 *out);
int conf_ip6_prefix(const char *s, struct lease_addr6 *addr, uint8_t *len);
void conf_ip6_str(struct lease_addr6 a, char buf[CONF_IP6_STRLEN]);

static inline uint32_t conf_prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

/* ------------------------------------------------------------------------
 * The blocks.  Each parser takes the setting of the key named.
 */

/* conf_subnets.c */
extern const struct conf_table conf_subnet_table;
/* 'interface' = "name" -> index into c->ifaces, or -1 after the error. */
int conf_iface_index(struct conf_ld *ld, const config_setting_t *s, const char *name);
/* shared-networks = ( { name; interface; relay; option-data; client-class;
 * require-client-classes; subnet4 = ( ... ); }, ... ).  The subnet4 lists
 * are left in ld->x->shared[k].subnets (see conf_key_shared_networks). */
int conf_parse_shared_networks(struct conf_ld *ld, const config_setting_t *s);
/* A subnet of shared network sh: it takes the shared network's interface
 * and relay addresses when it has none of its own, and may not name a
 * different interface (Kea's rule).  grp is the subnet's group. */
int conf_shared_subnet(struct conf_ld *ld, const struct conf_shared_net *sh,
		       struct conf_subnet *sn, const config_setting_t *grp);
/* The top row: the networks, then their subnets appended to c->subnets. */
int conf_key_shared_networks(struct conf_ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k);

/* conf_options.c */
/* option-def = ( { name; code; type; array; record-types; space; }, ... ) */
int conf_parse_option_defs(struct conf_ld *ld, const config_setting_t *s);
/* A family's option types, as option-def checks them (conf_def_shape). */
struct conf_def_types {
	int (*by_name)(const char *name);          /* -1: not a type */
	const char *(*name)(int t);
	int record, empty, string, binary;         /* the family's values of these */
	const char *const *unsupported;            /* Kea's names this family lacks, NULL-ended */
	const char *family;                        /* "DHCPv4" */
};
/* An option-def's type (s_type) and, for a record, record-types (s_rt)
 * into fields[] (ending in -1): known types, string/binary fields only
 * last, arrays only of values that carry their own length.  The type,
 * or -1 after the error. */
int conf_def_shape(struct conf_ld *ld, const struct conf_def_types *ty, const config_setting_t *s_type,
		   const char *type, const config_setting_t *s_rt, const char *record_types,
		   const config_setting_t *s_array, bool array, int fields[CONF_DEF_FIELDS_MAX + 1]);
/* Letters, digits, '-' and '_', not starting with '-' (Kea's rule). */
bool conf_valid_def_name(const char *name);
/* One option-data entry as both families read it (only the code's
 * bound differs): CONF_OPTION_KEYS(254) or (65535) make the rows. */
struct conf_xopt {
	const char *name, *space, *data;
	uint32_t code;
	bool csv_format, always_send;
};
#define CONF_OPTION_KEYS(max_code) \
	STRP("name", struct conf_xopt, name), \
	U32("code", struct conf_xopt, code, 1, max_code, 0), \
	STRP("space", struct conf_xopt, space), \
	STRP("data", struct conf_xopt, data), \
	BOOL("csv-format", struct conf_xopt, csv_format, true), \
	BOOL("always-send", struct conf_xopt, always_send, false)
/* option-data = ( { name; code; space; data; csv-format; always-send; } )
 * -> set (sorted by code, unique): option-def names and codes, the space
 * key, option 43 built from its vendor-encapsulated-options-space
 * sub-options and option 125 from vendor-<enterprise> sub-options in the
 * same list. */
int conf_parse_options(struct conf_ld *ld, const config_setting_t *s,
		       struct conf_option_set *set);
int conf_key_options(struct conf_ld *ld, const config_setting_t *s, void *obj,
		     const struct conf_key *k);
/* option-precedence = "kea" | "isc-dhcpd" */
int conf_parse_precedence(struct conf_ld *ld, const config_setting_t *s);

/* conf_classes.c */
/* client-classes = ( { name; test; only-if-required; option-data;
 * next-server; server-hostname; boot-file-name; }, ... ) */
int conf_parse_classes(struct conf_ld *ld, const config_setting_t *s);
/* Add class name (test may be NULL) to reg: its id, or -1 after the error
 * at s_name or, for an expression error, at s_test.  prev_line: where a
 * class of that name was defined before, 0 = nowhere known. */
int conf_class_register(struct conf_ld *ld, struct cls_registry *reg, const config_setting_t *s_name,
			const config_setting_t *s_test, const char *name, const char *test,
			bool only_if_required, int prev_line);
/* client-class = "name" (subnet, pool, shared network) -> registry id. */
int conf_parse_class_ref(struct conf_ld *ld, const config_setting_t *s, int *id);
/* require-client-classes = [ "a", "b" ] -> set of registry ids. */
int conf_parse_class_list(struct conf_ld *ld, const config_setting_t *s, struct cls_set *out);
int conf_key_class_ref(struct conf_ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k);
int conf_key_class_list(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k);

/* conf_hosts.c */
/* host-reservation-identifiers = [ "hw-address", "client-id", ... ] */
int conf_parse_hr_ids(struct conf_ld *ld, const config_setting_t *s);
/* The same list, of the types in `allowed` (bits 1 << enum conf_hid). */
int conf_parse_id_list(struct conf_ld *ld, const config_setting_t *s, unsigned allowed,
		       uint8_t *order, unsigned *n_order);
/* flex-id-expression for registry reg in universe u -> *out (replaced). */
int conf_compile_flex(struct conf_ld *ld, const config_setting_t *s, struct cls_registry *reg,
		      enum cls_universe universe, struct cls_prog **out);
/* A reservation's identifier of type t: hex bytes ("01:02:03", "010203")
 * or 'text' in single quotes -> id, *id_len. */
int conf_parse_host_id(struct conf_ld *ld, const config_setting_t *s, unsigned type,
		       const char *v, uint8_t id[CONF_HOST_ID_MAX], uint8_t *id_len);
/* Order of identifiers (type, then length, then bytes); 0 when equal. */
int conf_host_id_cmp(uint8_t ta, const uint8_t *a, uint8_t la, uint8_t tb, const uint8_t *b,
		     uint8_t lb);
/* "01:02:03" for messages. */
void conf_host_id_str(const uint8_t *id, unsigned len, char *buf, size_t buflen);
/* A reservation (setting s) by identifier `type` can match: its type is
 * in order[], and flex-id has an expression.  0, or -1 after the error. */
int conf_host_check_type(struct conf_ld *ld, const config_setting_t *s, const uint8_t *order,
			 unsigned n_order, bool have_flex, unsigned type);
/* flex-id-expression = "..." (Kea's flex-id identifier-expression): a
 * string expression evaluated per packet; reservations' flex-id values
 * are compared with its result. */
int conf_parse_flex_expr(struct conf_ld *ld, const config_setting_t *s);
/* reservations = ( { hw-address | client-id | circuit-id | duid | flex-id;
 * ip-address; hostname; option-data; client-classes; next-server;
 * server-hostname; boot-file-name; }, ... ).  sn NULL: global.  Appends to
 * ld->x->hosts.  Identifiers are hex ("01:02:03", "010203") or text in
 * single quotes ("'port-1'"). */
int conf_parse_reservations(struct conf_ld *ld, const config_setting_t *s,
			    const struct conf_subnet *sn);
/* Global (obj is the conf) or the subnet being parsed. */
int conf_key_reservations(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k);
/* Identifiers unique per scope, reserved addresses unique, every
 * identifier type used by a reservation is in host-reservation-identifiers,
 * flex-id needs flex-id-expression. */
int conf_hosts_check(struct conf_ld *ld);

/* conf6.c: dhcp6 = { ... } (obj is the conf): its snapshot goes to c->v6. */
int conf6_key_dhcp6(struct conf_ld *ld, const config_setting_t *s, void *obj,
		    const struct conf_key *k);

/* conf_ha.c: high-availability = { ... } (obj is the conf), or Kea's
 * list of one such group: the block goes to c->ha, and the HA_<name>
 * scope classes are interned into the DHCPv4 registry (conf.h). */
int conf_key_ha(struct conf_ld *ld, const config_setting_t *s, void *obj,
		const struct conf_key *k);
/* Once everything is parsed: the HA_<name> classes interned into the
 * dhcp6 block's registry too (struct conf_ha_peer class6). */
int conf_ha_finish(struct conf_ld *ld);
/* A class reference or definition named `name` (key: for messages):
 * 0 when it is not an HA_ name, 1 when it is the scope class of a peer
 * the block names (a reference is then valid without a definition), or
 * -1 after the error: an HA_ name without high-availability, naming no
 * peer, or a peer whose scope has no class.  define: a client-classes
 * entry, which may not take a peer's HA_<name> at all. */
int conf_ha_class_check(struct conf_ld *ld, const config_setting_t *s, const char *key,
			const char *name, bool define);

/* conf_radius.c: radius = { ... } (obj is the conf) -> c->radius.  After
 * client-classes, flex-id-expression, lease-database and dhcp6 (its expr
 * attributes compile against both class registries; the accounting
 * queue's default sits beside the v4 lease file). */
int conf_key_radius(struct conf_ld *ld, const config_setting_t *s, void *obj,
		    const struct conf_key *k);
void conf_radius_free(struct conf_radius *r);

/* conf.c: the cross checks of the policy once everything is parsed
 * (conf_hosts_check and the classification stages). */
int conf_policy_finish(struct conf_ld *ld);
