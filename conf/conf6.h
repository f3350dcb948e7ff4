/* DHCPv6 configuration: the `dhcp6 = { ... }` block, Kea's "Dhcp6" keys
 * translated line by line (as the top level is Kea's "Dhcp4").  Part of
 * conf.h's snapshot (struct conf.v6, NULL when the file has no dhcp6
 * block); included from conf.h only.  Addresses are struct lease_addr6
 * (host-order halves). */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cls.h"
#include "dhcp6_options.h"
#include "lease_addr6.h"

/* One DHCPv6 option-data entry, encoded for the wire.  A v6 option value
 * may be longer than 255 bytes. */
struct conf6_option {
	uint16_t code;
	uint16_t len;
	bool always_send;
	uint8_t *data;                   /* owned */
};

struct conf6_option_set {
	unsigned n;
	struct conf6_option *opts;       /* sorted by code, codes unique */
};

/* Option `code` in a set, or NULL (binary search; per packet). */
static inline const struct conf6_option *conf6_option_find(const struct conf6_option_set *s,
							   uint16_t code)
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

/* pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } or "2001:db8:1::/80" ) */
struct conf6_pool {
	struct lease_addr6 first, last;  /* inclusive */
	struct conf6_option_set options;
	int client_class;                /* class registry id (v6 registry), -1 = any */
	struct cls_set require;          /* require-client-classes */
	int line;
};

/* pd-pools = ( { prefix = "2001:db8:8::"; prefix-len = 48; delegated-len = 56;
 *               excluded-prefix = "2001:db8:8:0:80::"; excluded-prefix-len = 72; } ) */
struct conf6_pd_pool {
	struct lease_addr6 prefix;
	uint8_t prefix_len, delegated_len;
	struct lease_addr6 excluded;     /* RFC 6603 PD_EXCLUDE, inside each delegated prefix */
	uint8_t excluded_len;            /* 0 = none */
	struct conf6_option_set options;
	int client_class;
	struct cls_set require;
	int line;
};

struct conf6_subnet {
	uint32_t id;                     /* 1..2^32-1, unique among subnet6 */
	struct lease_addr6 prefix;
	uint8_t prefix_len;
	struct conf6_pool *pools;
	unsigned n_pools;
	struct conf6_pd_pool *pd_pools;
	unsigned n_pd_pools;
	struct lease_addr6 *relay_addrs; /* relay = { ip-addresses = [...] } */
	unsigned n_relay_addrs;
	int iface;                       /* index into conf.ifaces, -1 = none given */
	uint8_t interface_id[128];       /* relay's interface-id option to match */
	uint8_t interface_id_len;        /* 0 = none */
	/* resolved: the subnet's own value, else the shared network's, else the global one */
	uint32_t valid_lifetime, preferred_lifetime, renew_timer, rebind_timer;
	bool rapid_commit;               /* Kea's rapid-commit, default false */
	struct conf6_option_set options;
	int shared;                      /* index into conf6.shared, -1 = none */
	int client_class;
	struct cls_set require;
	int line;
};

struct conf6_shared_net {
	char name[64];
	int iface;
	uint8_t interface_id[128];
	uint8_t interface_id_len;
	struct lease_addr6 *relay_addrs;
	unsigned n_relay_addrs;
	struct conf6_option_set options;
	int client_class;
	struct cls_set require;
	/* What its subnets inherit when they do not set them; 0 = not set
	 * here (the global value applies). */
	uint32_t valid_lifetime, preferred_lifetime, renew_timer, rebind_timer;
	bool rapid_commit;
	int line;
};

struct conf6_prefix {
	struct lease_addr6 prefix;
	uint8_t len;
};

/* reservations = ( { duid = "01:02:..."; ip-addresses = [...]; prefixes = [...];
 *                    hostname = "..."; option-data = (...); client-classes = [...]; } )
 * Identifier types: CONF_HID_DUID (the whole DUID), CONF_HID_HW_ADDRESS
 * (the client's link-layer address, from the DUID or the relay's
 * client-link-layer-address option), CONF_HID_FLEX_ID. */
struct conf6_host {
	uint32_t subnet_id;              /* 0 = global reservation */
	uint8_t id_type;                 /* enum conf_hid */
	uint8_t id_len;
	uint8_t id[128];
	struct lease_addr6 *addrs;       /* ip-addresses */
	unsigned n_addrs;
	struct conf6_prefix *prefixes;   /* prefixes */
	unsigned n_prefixes;
	char hostname[256];              /* "" = none */
	struct cls_set classes;
	struct conf6_option_set options;
	int line;
	int64_t db_id;                   /* hosts.host_id of a hosts-database row, 0 = the file's */
};

struct conf6_class {
	char name[CLS_NAME_MAX];
	int id;                          /* id in conf6.reg */
	bool only_if_required;
	struct conf6_option_set options;
	int line;
};

/* option-def in the dhcp6 block: space "dhcp6", "vendor-<enterprise>" or
 * a space of the user's (which some option-def's encapsulate names). */
struct conf6_optdef {
	char name[64];
	char space[64];
	uint16_t code;
	int type;                        /* enum dhcp6_opt_type (dhcp6_options.h) */
	bool array;
	int fields[17];                  /* record: field types, -1 terminated */
	char encapsulate[64];            /* "" = none */
	/* What dhcp6_opt_encode() takes; its strings and fields point into
	 * this struct, so an array of these is never moved. */
	struct dhcp6_opt_def def;
	int line;
};

/* server-id = { type = "LLT" | "EN" | "LL"; identifier = "hex"; htype = 1;
 *               time = 0; enterprise-id = 2495; persist = true; } (Kea's) */
enum conf6_duid_type { CONF6_DUID_LLT = 1, CONF6_DUID_EN = 2, CONF6_DUID_LL = 3 };
struct conf6_server_id {
	enum conf6_duid_type type;       /* default LLT */
	uint16_t htype;                  /* default 1 (Ethernet) */
	uint8_t identifier[128];         /* LLT/LL: link-layer address; EN: identifier */
	uint8_t identifier_len;          /* 0 = the first port's MAC (LLT/LL) / random (EN) */
	uint32_t time;                   /* LLT; 0 = now, when first made */
	uint32_t enterprise_id;          /* EN; default 2495 (ISC), as Kea */
	bool persist;                    /* default true: kept in data-directory */
	int line;
};

struct conf6 {
	uint32_t valid_lifetime, preferred_lifetime;   /* defaults 7200, 3600 */
	uint32_t renew_timer, rebind_timer;             /* 0 = derived: 1/2 and 4/5 of preferred */
	uint32_t decline_probation_period;              /* default 86400 */
	struct conf6_option_set options;
	struct conf6_subnet *subnets;
	unsigned n_subnets;
	struct conf6_shared_net *shared;
	unsigned n_shared;
	struct conf6_host *hosts;        /* global and per subnet, file order */
	unsigned n_hosts;
	uint8_t hr_order[8];             /* host-reservation-identifiers (enum conf_hid) */
	unsigned n_hr_order;             /* default: hw-address, duid */
	struct cls_prog *flex_expr;      /* flex-id-expression (v6 universe), NULL = none */
	struct cls_registry *reg;        /* the v6 client classes; owned */
	struct conf6_class *classes;     /* config order */
	unsigned n_classes;
	int16_t class_idx[CLS_MAX_CLASSES];
	struct conf6_optdef *defs;
	unsigned n_defs;
	struct conf6_server_id server_id;
	char data_dir[PATH_MAX];         /* data-directory: server DUID file; default /var/lib/peregrine */
	char lease_file[PATH_MAX];       /* lease-database.name (memfile); "" = leases in memory only */
	int line;
};

const struct conf6_subnet *conf6_subnet_by_id(const struct conf6 *c, uint32_t id);
