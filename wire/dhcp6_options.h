/* DHCPv6 option definitions (Kea's standard set, by name and code, in the
 * "dhcp6" space and the spaces encapsulated in it) and the encoder that
 * turns a config `data` string into the option's wire value.  Used by
 * conf/ when a configuration is loaded, never per packet.
 *
 * A DHCPv6 option is code (2 bytes), length (2 bytes), value; values may
 * be longer than 255 bytes.  Sub-options inside an encapsulating option
 * (vendor-opts' enterprise block, ntp-server's sub-options) have the same
 * layout. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kea's option data types.  DHCP6_OT_TUPLE is a string after a 2-byte
 * length (RFC 8415's opaque data tuple); DHCP6_OT_IPV6_PREFIX is a length
 * byte then the prefix's significant bytes; DHCP6_OT_PSID (RFC 7597) a
 * length byte then 2 bytes with the PSID in the high bits. */
enum dhcp6_opt_type {
	DHCP6_OT_EMPTY, DHCP6_OT_BINARY, DHCP6_OT_STRING, DHCP6_OT_FQDN,
	DHCP6_OT_BOOL, DHCP6_OT_UINT8, DHCP6_OT_UINT16, DHCP6_OT_UINT32,
	DHCP6_OT_INT8, DHCP6_OT_INT16, DHCP6_OT_INT32, DHCP6_OT_IPV4,
	DHCP6_OT_IPV6, DHCP6_OT_IPV6_PREFIX, DHCP6_OT_PSID, DHCP6_OT_TUPLE,
	DHCP6_OT_RECORD,
};

#define DHCP6_SPACE              "dhcp6"
#define DHCP6_NTP_SERVER_SPACE   "v6-ntp-server-suboptions"   /* in ntp-server (56) */
#define DHCP6_VENDOR_SPACE_PREFIX "vendor-"                    /* vendor-<enterprise>, in vendor-opts (17) */
#define DHCP6_VALUE_MAX          65535

struct dhcp6_opt_def {
	uint16_t code;
	const char *name;            /* Kea's name, e.g. "dns-servers" */
	const char *space;           /* DHCP6_SPACE, DHCP6_NTP_SERVER_SPACE, ... */
	enum dhcp6_opt_type type;
	/* One or more values of type; for a record, the record with its last
	 * field repeated (Kea's array of records). */
	bool array;
	/* DHCP6_OT_RECORD: the field types (enum dhcp6_opt_type), ending in -1. */
	const int *fields;
	/* The space whose options go inside this one, NULL = none.  vendor-opts
	 * has DHCP6_VENDOR_SPACE_PREFIX: its space is vendor-<its enterprise>. */
	const char *encapsulate;
};

/* A standard definition in `space` (NULL = "dhcp6"), or NULL.  The spaces
 * with standard definitions: dhcp6, v6-ntp-server-suboptions and the
 * softwire ones (s46-cont-mape-options, s46-cont-mapt-options,
 * s46-cont-lw-options, s46-rule-options, s46-v4v6bind-options). */
const struct dhcp6_opt_def *dhcp6_opt_def_by_name(const char *space, const char *name);
const struct dhcp6_opt_def *dhcp6_opt_def_by_code(const char *space, uint16_t code);
/* Whether some standard definition lives in, or encapsulates, space. */
bool dhcp6_opt_space_known(const char *space);
/* The standard option whose value holds the options of space (ntp-server
 * for v6-ntp-server-suboptions, vendor-opts for any vendor-<n>), or NULL. */
const struct dhcp6_opt_def *dhcp6_opt_def_encapsulating(const char *space);

/* "vendor-<n>" (n a decimal uint32 without leading zeros) -> 0 and
 * *enterprise = n; anything else -1. */
int dhcp6_opt_vendor_space(const char *space, uint32_t *enterprise);

/* Encode `data` for option `def` (or raw, if def is NULL) as Kea does:
 * csv_format true: comma separated values parsed per the definition
 * (an array takes one or more, a record one per field, an array of
 * records repeats its last field);
 * csv_format false (or no definition): 'text in single quotes', or hex
 * with an optional 0x and ':'/' ' separators.
 * Writes at most cap (<= DHCP6_VALUE_MAX) bytes.  Returns the length, or
 * -1 with a reason in err (no file:line, the caller adds it). */
int dhcp6_opt_encode(const struct dhcp6_opt_def *def, const char *data, bool csv_format,
		     uint8_t *out, size_t cap, char *err, size_t errlen);

/* ---- encapsulation -------------------------------------------------- */

struct dhcp6_subopt {
	uint16_t code;
	uint16_t len;
	const uint8_t *data;
};

/* Append option (code, dlen, data) as code, length, value at out + *len.
 * 0, or -ENOSPC (nothing written) when it would pass cap. */
int dhcp6_opt_put(uint8_t *out, size_t cap, size_t *len, uint16_t code, const void *data,
		  size_t dlen);

/* An encapsulating option's value: its own fields (head: vendor-opts'
 * 4-byte enterprise number; nothing for ntp-server), then each sub-option
 * in the order given.  Returns the length, or -ENOSPC. */
int dhcp6_opt_encapsulate(uint8_t *out, size_t cap, const uint8_t *head, size_t head_len,
			  const struct dhcp6_subopt *subs, unsigned n);

/* vendor-opts (17): enterprise number, then the vendor-<enterprise>
 * sub-options.  Returns the length, or -ENOSPC. */
int dhcp6_opt_vendor_opts(uint8_t *out, size_t cap, uint32_t enterprise,
			  const struct dhcp6_subopt *subs, unsigned n);

/* Kea's type names ("uint8", "ipv6-prefix", "record"...) both ways;
 * by_name returns -1 for a name that is not a type here. */
const char *dhcp6_opt_type_name(enum dhcp6_opt_type t);
int dhcp6_opt_type_by_name(const char *name);
