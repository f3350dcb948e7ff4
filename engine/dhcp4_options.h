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
