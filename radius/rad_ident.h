/* A client's identity as RADIUS sees it, from the DHCP packet's
 * identifier bytes, with Kea's RADIUS hook's formatting rules.
 *
 *   identifier-type4 / identifier-type6 pick the bytes (the caller's job):
 *     hw-address  the chaddr (hlen octets) / the DUID's link-layer address
 *     client-id   option 61's value
 *     duid        option 1's value (v6), or extracted from a v4 client-id
 *     flex-id     the flex-id expression's result
 *   text form (User-Name), Kea's:
 *     hw-address: lower-case hex with ':' ("0a:1b:2c:3d:4e:5f"); with
 *       canonical-mac-address, "0a-1b-2c-3d-4e-5f" (Kea writes RFC 3580
 *       3.21's form in lower case);
 *     client-id: with extract-duid (Kea's default true) a client-id of
 *       type 255 (RFC 4361: 255, IAID[4], DUID) gives its DUID; with
 *       client-id-pop0 a leading 0 octet is removed; with
 *       client-id-printable the bytes are sent as they are when every one
 *       is printable ASCII; otherwise lower-case hex with ':';
 *     duid: with client-id-pop0 a leading pair of 0 octets is removed;
 *       as is when printable and client-id-printable, else hex with ':'
 *       (Kea applies both flags to DUIDs too: radius_utils pop0(DuidPtr));
 *     flex-id: as is when printable and client-id-printable, else hex
 *       with ':';
 *     realm (when set): "@realm" appended to any of these.
 *   Calling-Station-Id: the hardware address in the same hw-address form,
 *   whatever the identifier type.
 *
 * Pure functions, any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rad_ident_type {
	RAD_ID_HW_ADDRESS,
	RAD_ID_CLIENT_ID,
	RAD_ID_DUID,
	RAD_ID_FLEX_ID,
};

struct rad_ident_opts {
	bool canonical_mac_address;    /* Kea default false */
	bool extract_duid;             /* Kea default true */
	bool client_id_printable;      /* Kea default false */
	bool client_id_pop0;           /* Kea default false */
	const char *realm;             /* "" or NULL: none; else "@realm" is appended */
};

/* The text of an identifier into out (NUL-terminated).  Its length, or -1
 * if it does not fit cap (253 + 1 is always enough for User-Name) or the
 * identifier is empty. */
int rad_ident_text(const struct rad_ident_opts *o, enum rad_ident_type t, const uint8_t *id,
		   size_t len, char *out, size_t cap);
/* A MAC address (hlen octets) in the configured form, for
 * Calling-Station-Id.  Its length, or -1. */
int rad_ident_mac(const struct rad_ident_opts *o, const uint8_t *mac, size_t len, char *out,
		  size_t cap);
