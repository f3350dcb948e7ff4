/* DHCPv4 option definitions (RFC 2132 and the later ones Kea knows by name)
 * and the encoder that turns a config `data` string into wire bytes.
 * Used by conf/ when a configuration is loaded, never per packet. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dhcp4_opt_type {
	DHCP4_OT_EMPTY, DHCP4_OT_BINARY, DHCP4_OT_STRING, DHCP4_OT_FQDN,
	DHCP4_OT_BOOL, DHCP4_OT_UINT8, DHCP4_OT_UINT16, DHCP4_OT_UINT32,
	DHCP4_OT_INT8, DHCP4_OT_INT16, DHCP4_OT_INT32, DHCP4_OT_IPV4,
	DHCP4_OT_RECORD,
};

struct dhcp4_opt_def {
	uint8_t code;
	const char *name;            /* Kea's name, e.g. "domain-name-servers" */
	enum dhcp4_opt_type type;
	bool array;                  /* one or more values of `type` */
	/* For DHCP4_OT_RECORD: the field types, terminated by DHCP4_OT_EMPTY. */
	const enum dhcp4_opt_type *fields;
};

const struct dhcp4_opt_def *dhcp4_opt_def_by_name(const char *name);
const struct dhcp4_opt_def *dhcp4_opt_def_by_code(uint8_t code);

/* Encode `data` for option `def` (or raw, if def is NULL) as Kea does:
 * csv_format true: comma separated values parsed per the definition;
 * csv_format false (or no definition): hex, optional 0x and ':'/' ' separators.
 * Writes at most 255 bytes to out.  Returns the length (>= 0), or -1 with a
 * reason in err (no file:line, the caller adds it). */
int dhcp4_opt_encode(const struct dhcp4_opt_def *def, const char *data, bool csv_format,
		     uint8_t out[255], char *err, size_t errlen);

/* ---- encapsulated and vendor options (option-def, classes) -------------
 *
 * Option 43's sub-options live in Kea's "vendor-encapsulated-options-space";
 * option 125's (RFC 3925) in "vendor-<enterprise number>". */
#define DHCP4_VENDOR_ENCAP_SPACE "vendor-encapsulated-options-space"
#define DHCP4_VIVSO_SPACE_PREFIX "vendor-"

/* Append sub-option (code, dlen, data) to an encapsulating value of length
 * *len (option 43's value, or the sub-options of one option 125 block).
 * 0, or -ENOSPC if the value would pass 255 bytes (nothing written). */
int dhcp4_opt_put_sub(uint8_t out[255], size_t *len, uint8_t code, const void *data, size_t dlen);

/* Append one RFC 3925 block to an option 125 value: enterprise number (4
 * bytes, network order), data-len, then the sub-options.  0 or -ENOSPC.
 * dhcp4_opt_encode() of "vivso-suboptions" with csv data "4491, 3561"
 * gives such blocks with data-len 0. */
int dhcp4_opt_put_vivso(uint8_t out[255], size_t *len, uint32_t enterprise, const uint8_t *subs,
			size_t subs_len);

/* Kea's type names ("uint8", "ipv4-address", "record"...) both ways;
 * by_name returns -1 for a name that is not a type here. */
const char *dhcp4_opt_type_name(enum dhcp4_opt_type t);
int dhcp4_opt_type_by_name(const char *name);
