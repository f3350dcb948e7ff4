/* A client's identifier as RADIUS text (rad_ident.h): Kea's RADIUS hook
 * rules for hw-address, client-id, duid and flex-id. */
#include "rad_ident.h"

#include <stdio.h>
#include <string.h>

/* out[*n...] += s (n bytes), keeping room for the NUL: -1 if it does not fit. */
static int add(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > cap)
		return -1;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
	return 0;
}

/* "0a:1b:2c" (or with sep and upper case). */
static int hex(const uint8_t *b, size_t len, char sep, bool upper, char *out, size_t cap,
	       size_t *n)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		char x[3] = { sep, digits[b[i] >> 4], digits[b[i] & 15] };

		if (add(out, cap, n, i ? x : x + 1, i ? 3 : 2) < 0)
			return -1;
	}
	return 0;
}

static bool printable(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return false;
	return len > 0;
}

/* As is when asked and printable, else lower-case hex with ':'. */
static int text_or_hex(bool as_text, const uint8_t *b, size_t len, char *out, size_t cap,
		       size_t *n)
{
	if (as_text && printable(b, len))
		return add(out, cap, n, (const char *)b, len);
	return hex(b, len, ':', false, out, cap, n);
}

static int mac(const struct rad_ident_opts *o, const uint8_t *b, size_t len, char *out,
	       size_t cap, size_t *n)
{
	bool canon = o && o->canonical_mac_address;

	return hex(b, len, canon ? '-' : ':', false, out, cap, n);
}

int rad_ident_text(const struct rad_ident_opts *o, enum rad_ident_type t, const uint8_t *id,
		   size_t len, char *out, size_t cap)
{
	static const struct rad_ident_opts none = { .extract_duid = true };
	size_t n = 0;
	int r = -1;

	if (o == NULL)
		o = &none;
	if (out == NULL || cap == 0)
		return -1;
	out[0] = '\0';
	if (id == NULL || len == 0)
		return -1;
	switch (t) {
	case RAD_ID_HW_ADDRESS:
		r = mac(o, id, len, out, cap, &n);
		break;
	case RAD_ID_CLIENT_ID:
		/* RFC 4361: 255, IAID (4 octets), DUID; else pop a leading 0
		 * (the type octet of a text client-id) */
		if (o->extract_duid && len > 5 && id[0] == 255)
			id += 5, len -= 5;
		else if (o->client_id_pop0 && len > 1 && id[0] == 0)
			id++, len--;
		r = text_or_hex(o->client_id_printable, id, len, out, cap, &n);
		break;
	case RAD_ID_DUID:
		/* Kea: pop0 drops a leading pair of zeros (DUID type 0) */
		if (o->client_id_pop0 && len > 2 && id[0] == 0 && id[1] == 0)
			id += 2, len -= 2;
		r = text_or_hex(o->client_id_printable, id, len, out, cap, &n);
		break;
	case RAD_ID_FLEX_ID:
		r = text_or_hex(o->client_id_printable, id, len, out, cap, &n);
		break;
	}
	if (r == 0 && o->realm && o->realm[0] &&
	    (add(out, cap, &n, "@", 1) < 0 || add(out, cap, &n, o->realm, strlen(o->realm)) < 0))
		r = -1;
	if (r < 0) {
		out[0] = '\0';
		return -1;
	}
	return (int)n;
}

int rad_ident_mac(const struct rad_ident_opts *o, const uint8_t *mac_addr, size_t len, char *out,
		  size_t cap)
{
	size_t n = 0;

	if (out == NULL || cap == 0)
		return -1;
	out[0] = '\0';
	if (mac_addr == NULL || len == 0 || mac(o, mac_addr, len, out, cap, &n) < 0) {
		out[0] = '\0';
		return -1;
	}
	return (int)n;
}
