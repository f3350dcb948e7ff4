/* Configuration, second part: client classes, option definitions, host
 * reservations, shared networks and option precedence (issue 4).
 *
 * These parse functions take the libconfig setting of one key and fill a
 * struct conf_ext that the configuration snapshot owns.  conf.c calls them
 * from its own tables (see the wiring notes at each function); they share
 * its conventions: unknown keys are errors, every error is
 * "file:line: reason" and only the first one is kept.
 *
 * Order matters and is the caller's to keep (conf.c applies table rows in
 * table order, not file order):
 *   option-def            before any option-data (names become usable)
 *   client-classes        before option-data users refer to classes from;
 *                         client-class / require-client-classes may name a
 *                         class defined later or never (as in Kea)
 *   host-reservation-identifiers, flex-id-expression
 *                         any time before conf_ext_finish()
 *   reservations          global list, and each subnet's (after its id and
 *                         prefix are known)
 *   conf_ext_finish()     once, after everything: cross checks
 * Addresses are host byte order.
 */
#pragma once
#include <stdarg.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cls.h"
#include "conf.h"
#include "dhcp4_options.h"

struct config_setting_t;        /* libconfig's, so users need not include it */

/* option-precedence = "kea" | "isc-dhcpd" */
enum conf_prec {
	CONF_PREC_KEA = 0,          /* host > pool > subnet > shared network > class > global */
	CONF_PREC_ISC_DHCPD = 1,    /* host > class > pool > subnet > shared network > global */
};

/* Host identifier types, named as in Kea's host-reservation-identifiers. */
enum conf_hid {
	CONF_HID_HW_ADDRESS = 0,    /* chaddr[0..hlen) */
	CONF_HID_DUID = 1,          /* RFC 4361 client-id (type 255): the bytes after the IAID */
	CONF_HID_CIRCUIT_ID = 2,    /* option 82 sub-option 1 */
	CONF_HID_CLIENT_ID = 3,     /* option 61, type byte included */
	CONF_HID_FLEX_ID = 4,       /* value of flex-id-expression */
	CONF_HID_MAX
};
const char *conf_hid_name(enum conf_hid t);

#define CONF_HOST_ID_MAX    128     /* identifier bytes */
#define CONF_DEF_NAME_MAX   64
#define CONF_DEF_FIELDS_MAX 16      /* record-types */

/* One option-def entry.  def is what dhcp4_opt_encode() takes; its name
 * and fields point into this struct, so an array of these is never moved. */
struct conf_optdef {
	char name[CONF_DEF_NAME_MAX];
	char space[CONF_DEF_NAME_MAX];   /* "dhcp4", DHCP4_VENDOR_ENCAP_SPACE or "vendor-<n>" */
	enum dhcp4_opt_type fields[CONF_DEF_FIELDS_MAX + 1];
	struct dhcp4_opt_def def;
	int line;
};

struct conf_class {
	char name[CLS_NAME_MAX];
	int id;                          /* registry id */
	bool only_if_required;
	uint32_t next_server;            /* 0 = not set (the subnet's applies) */
	char server_hostname[64];        /* "" = not set */
	char boot_file_name[128];
	struct conf_option_set options;
	int line;
};

struct conf_host {
	uint32_t subnet_id;              /* 0 = global reservation */
	uint8_t id_type;                 /* enum conf_hid */
	uint8_t id_len;
	uint8_t id[CONF_HOST_ID_MAX];
	uint32_t addr;                   /* reserved address, 0 = none */
	char hostname[256];              /* "" = none */
	struct cls_set classes;          /* client-classes */
	uint32_t next_server;            /* 0 / "" = not set */
	char server_hostname[64];
	char boot_file_name[128];
	struct conf_option_set options;
	int line;
	const struct config_setting_t *src;   /* load time only, NULL after conf_ext_finish */
};

struct conf_shared_net {
	char name[64];
	int iface;                       /* index into conf.ifaces, -1 = none */
	uint32_t *relay_addrs;
	unsigned n_relay_addrs;
	struct conf_option_set options;
	int client_class;                /* registry id, -1 = none */
	struct cls_set require;          /* require-client-classes */
	int line;
	/* Load time only (NULL after conf_ext_finish): the shared network's
	 * own subnet4 list, for conf.c to parse with its subnet table. */
	const struct config_setting_t *subnets;
};

struct conf_ext {
	enum conf_prec precedence;
	struct cls_registry *reg;        /* owned */
	struct conf_optdef *defs;
	unsigned n_defs;
	struct conf_class *classes;      /* config order */
	unsigned n_classes;
	int16_t class_idx[CLS_MAX_CLASSES];  /* registry id -> index in classes, -1 */
	/* Classes that carry option-data / boot fields: a packet in none of
	 * them skips the per-class walks of option and boot selection. */
	struct cls_set with_options, with_boot;
	/* Set by conf_ext_finish(): the classification stages with work to do. */
	bool classify_pre, classify_post;
	uint8_t hr_order[CONF_HID_MAX];  /* host-reservation-identifiers */
	unsigned n_hr_order;
	struct cls_prog *flex_expr;      /* flex-id-expression, NULL = none; owned */
	struct conf_host *hosts;         /* global and per subnet, file order */
	unsigned n_hosts, cap_hosts;
	struct conf_shared_net *shared;
	unsigned n_shared;
};

/* The loader's state for these parsers: where errors go and which
 * snapshot is being filled.  One per conf_load(). */
struct conf_ext_ld {
	const char *path;                /* the main file, as given to conf_load() */
	char incdir[PATH_MAX];           /* directory of path (@include base) */
	char *err;
	size_t errlen;
	int errnum;                      /* 0 until the first error */
	const struct conf *c;            /* interfaces, for names; may be NULL */
	struct conf_ext *x;
};

/* An empty conf_ext with the defaults (Kea precedence, Kea 1.4's identifier
 * order hw-address, duid, circuit-id, client-id) and a class registry.
 * NULL + errno. */
struct conf_ext *conf_ext_create(void);
void conf_ext_free(struct conf_ext *x);

/* Errors, for conf.c too (one implementation, one error state): report
 * "file:line: reason" into ld->err, keeping the first error; returns -1.
 * file NULL means the main file; an @include'd one is shown relative to
 * where the user stands.  conf_ext_type_name names a libconfig type. */
int conf_ext_verr(struct conf_ext_ld *ld, int errnum, const char *file, int line,
		  const char *fmt, va_list ap);
void conf_ext_shown_file(const struct conf_ext_ld *ld, const char *file, char *buf, size_t len);
const char *conf_ext_type_name(int type);

void conf_ext_ld_init(struct conf_ext_ld *ld, struct conf_ext *x, const char *path,
		      const struct conf *c, char *err, size_t errlen);

/* Every parser returns 0, or -1 with ld->err = "file:line: reason" and
 * ld->errnum set (EINVAL or ENOMEM).  s is the setting of the key named. */

/* option-def = ( { name; code; type; array; record-types; space; }, ... ) */
int conf_ext_parse_option_defs(struct conf_ext_ld *ld, const struct config_setting_t *s);

/* option-data = ( { name; code; space; data; csv-format; always-send; } )
 * -> set (sorted by code, unique).  Drop-in for conf.c's parse_options
 * with the same messages, plus: option-def names and codes, the space key,
 * option 43 built from its vendor-encapsulated-options-space sub-options
 * and option 125 from vendor-<enterprise> sub-options in the same list. */
int conf_ext_parse_options(struct conf_ext_ld *ld, const struct config_setting_t *s,
			   struct conf_option_set *set);

/* client-classes = ( { name; test; only-if-required; option-data;
 * next-server; server-hostname; boot-file-name; }, ... ) */
int conf_ext_parse_classes(struct conf_ext_ld *ld, const struct config_setting_t *s);

/* client-class = "name" (subnet, pool, shared network) -> registry id. */
int conf_ext_parse_class_ref(struct conf_ext_ld *ld, const struct config_setting_t *s, int *id);

/* require-client-classes = [ "a", "b" ] -> set of registry ids. */
int conf_ext_parse_class_list(struct conf_ext_ld *ld, const struct config_setting_t *s,
			      struct cls_set *out);

/* host-reservation-identifiers = [ "hw-address", "client-id", ... ] */
int conf_ext_parse_hr_ids(struct conf_ext_ld *ld, const struct config_setting_t *s);

/* flex-id-expression = "..." (Kea's flex-id identifier-expression): a
 * string expression evaluated per packet; reservations' flex-id values
 * are compared with its result. */
int conf_ext_parse_flex_expr(struct conf_ext_ld *ld, const struct config_setting_t *s);

/* option-precedence = "kea" | "isc-dhcpd" */
int conf_ext_parse_precedence(struct conf_ext_ld *ld, const struct config_setting_t *s);

/* reservations = ( { hw-address | client-id | circuit-id | duid | flex-id;
 * ip-address; hostname; option-data; client-classes; next-server;
 * server-hostname; boot-file-name; }, ... ).  sn NULL: global.  Appends to
 * ld->x->hosts.  Identifiers are hex ("01:02:03", "010203") or text in
 * single quotes ("'port-1'"). */
int conf_ext_parse_reservations(struct conf_ext_ld *ld, const struct config_setting_t *s,
				const struct conf_subnet *sn);

/* shared-networks = ( { name; interface; relay; option-data; client-class;
 * require-client-classes; subnet4 = ( ... ); }, ... ).  The subnet4 lists
 * are left to conf.c: ld->x->shared[k].subnets. */
int conf_ext_parse_shared_networks(struct conf_ext_ld *ld, const struct config_setting_t *s);

/* A subnet of shared network sh: it takes the shared network's interface
 * and relay addresses when it has none of its own, and may not name a
 * different interface (Kea's rule).  grp is the subnet's group. */
int conf_ext_shared_subnet(struct conf_ext_ld *ld, const struct conf_shared_net *sh,
			   struct conf_subnet *sn, const struct config_setting_t *grp);

/* Cross checks once everything is parsed: identifiers unique per scope,
 * reserved addresses unique, every identifier type used by a reservation
 * is in host-reservation-identifiers, flex-id needs flex-id-expression. */
int conf_ext_finish(struct conf_ext_ld *ld);

/* Lookups (control thread, or read-only anywhere). */
const struct conf_optdef *conf_ext_def_find(const struct conf_ext *x, const char *space,
					    const char *name, int code);
const struct conf_class *conf_ext_class(const struct conf_ext *x, unsigned id);
