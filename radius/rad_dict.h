/* RADIUS dictionary: attribute names -> number, vendor and data type,
 * and the named values of integer attributes (Acct-Status-Type "Start").
 *
 * rad_dict_create() starts with the standard attributes built in
 * (RFC 2865, 2866, 2869, 3162, 3579, 4818, 6911; what an operator names in
 * the `attributes` of the radius block without a dictionary file).
 * rad_dict_load() adds a dictionary file in FreeRADIUS 3 / radcli format:
 *
 *   ATTRIBUTE  <name> <number> <type> [<vendor> | <flags>]
 *   VALUE      <attribute> <value-name> <number>
 *   VENDOR     <name> <number> [format=1,1]
 *   BEGIN-VENDOR <name> ... END-VENDOR <name>
 *   $INCLUDE   <path>           (relative to the including file's directory)
 *   # comments, blank lines
 *
 * Types: string, octets, ipaddr, integer, date, ipv6addr, ipv6prefix,
 * ifid, integer64, byte, short, signed, and the FreeRADIUS spellings of
 * these (uint8/16/32/64, ipv4addr, ether, abinary, combo-ip...); a type
 * this server cannot encode, or an attribute in a construct it does not
 * model (TLVs, extended attributes, BEGIN-PROTOCOL blocks, vendor formats
 * other than 1,1), is skipped, not refused, so the stock
 * /usr/share/freeradius/dictionary loads.  Later definitions of a name
 * replace earlier ones (FreeRADIUS's rule).
 *
 * Built on the control thread at config load, read-only afterwards (any
 * thread may read it).  Names are case-insensitive. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAD_DICT_NAME_MAX 64

enum rad_dtype {
	RAD_DT_STRING,      /* text */
	RAD_DT_OCTETS,      /* bytes: 0x<hex> or text */
	RAD_DT_IPADDR,      /* 4 octets */
	RAD_DT_INTEGER,     /* 4 octets, or a VALUE name */
	RAD_DT_DATE,        /* 4 octets, seconds since the epoch */
	RAD_DT_IPV6ADDR,    /* 16 octets */
	RAD_DT_IPV6PREFIX,  /* RFC 3162 2.3 */
	RAD_DT_IFID,        /* 8 octets */
	RAD_DT_INTEGER64,   /* 8 octets */
	RAD_DT_BYTE,        /* 1 octet */
	RAD_DT_SHORT,       /* 2 octets */
};

struct rad_dict_attr {
	char name[RAD_DICT_NAME_MAX];
	uint32_t vendor;               /* 0: a standard attribute */
	uint8_t type;                  /* attribute number (vendor-type for a vendor's) */
	uint8_t dtype;                 /* enum rad_dtype */
};

struct rad_dict;

/* The built-in standard attributes.  NULL on ENOMEM. */
struct rad_dict *rad_dict_create(void);
void rad_dict_free(struct rad_dict *d);
/* Add a dictionary file (and what it includes).  0, or -1 with
 * err = "file:line: reason" (a line it cannot read as one of the forms
 * above; an $INCLUDE that cannot be opened, at the including line; a
 * BEGIN-VENDOR never closed, at its line) or "file: cannot open: reason"
 * for path itself.  A VALUE for an unknown attribute is skipped.  On
 * error d keeps what was defined before the bad line: free it. */
int rad_dict_load(struct rad_dict *d, const char *path, char *err, size_t errlen);

const struct rad_dict_attr *rad_dict_by_name(const struct rad_dict *d, const char *name);
const struct rad_dict_attr *rad_dict_by_num(const struct rad_dict *d, uint32_t vendor,
					    uint8_t type);
/* The number of VALUE `name` of attribute a: 0, or -1 if none. */
int rad_dict_value(const struct rad_dict *d, const struct rad_dict_attr *a, const char *name,
		   uint32_t *out);
/* The name of value v of attribute a, or NULL (for logs, the stats dump). */
const char *rad_dict_value_name(const struct rad_dict *d, const struct rad_dict_attr *a,
				uint32_t v);

/* A value written as text in the config (`data`), encoded for attribute a:
 * string as is; octets "0x0a0b..." or text; ipaddr dotted quad; integer
 * decimal or a VALUE name; date decimal; ipv6addr; ipv6prefix "addr/len";
 * ifid "xxxx:xxxx:xxxx:xxxx"; integer64, byte, short decimal.  The value's
 * length, or -1 if the text is not a value of that type or does not fit
 * cap (<= 253 is always enough). */
int rad_dict_encode(const struct rad_dict *d, const struct rad_dict_attr *a, const char *text,
		    uint8_t *out, size_t cap);
/* The bytes an expression gave (`expr`), made a value of attribute a:
 * string and octets as they are; integer, date, ipaddr, ipv6addr, ifid,
 * integer64, byte, short when the byte count is the type's size (Kea's
 * expressions give integers as 4 octets big endian); ipv6prefix when 18
 * octets (already RFC 3162 form).  The length, or -1. */
int rad_dict_from_bytes(const struct rad_dict_attr *a, const uint8_t *val, size_t len,
			uint8_t *out, size_t cap);
/* The same value appended to encoded attributes buf (*used of cap): as
 * attribute a->type, or a vendor's inside Vendor-Specific (RFC 2865
 * 5.26) when a->vendor.  0, or -1 (not a value of the type, no room). */
int rad_dict_append_bytes(const struct rad_dict_attr *a, const uint8_t *val, size_t len,
			  uint8_t *buf, uint16_t *used, size_t cap);
