/* What the DHCPv4 and DHCPv6 option encoders (dhcp4_options.c,
 * dhcp6_options.c) are both made of: a bounded output buffer with an
 * error sink, the comma separated tokens of a csv `data` string, and
 * Kea's text forms of the scalar types.  Config load time only.
 *
 * Every function returns 0 (or a length) on success, or -1 with the
 * reason written to e->err ("invalid uint8 value '12x'"; no file:line,
 * the configuration loader adds it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opt_enc {
	uint8_t *out;
	size_t len, cap;             /* bytes written, room in out */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
int opt_enc_fail(struct opt_enc *e, const char *fmt, ...);
/* Append n bytes; fails with "encoded value longer than <cap> bytes". */
int opt_enc_put(struct opt_enc *e, const void *p, size_t n);
int opt_enc_u8(struct opt_enc *e, uint8_t v);
/* v as `width` bytes (1, 2 or 4), network order. */
int opt_enc_uint(struct opt_enc *e, uint32_t v, size_t width);

/* Hex as Kea takes it: an optional 0x, then either bytes of one or two
 * digits separated by ':' or ' ' ("1:2:ab"), or a run of digits where an
 * odd count means a leading zero ("abc" == 0a bc).  Blanks at either end
 * are ignored; "" is no bytes. */
int opt_enc_hex(struct opt_enc *e, const char *s);
/* A decimal (optionally signed) or 0x-hex integer, the whole token. */
bool opt_parse_int(const char *s, long long *v);
/* The same, as an integer of `width` bytes
 * (1, 2, 4), signed or not; tname names the type in messages. */
int opt_enc_int(struct opt_enc *e, const char *tok, size_t width, bool is_signed,
		const char *tname);
/* "true" / "false" (any case) or "1" / "0" -> one byte. */
int opt_enc_bool(struct opt_enc *e, const char *tok);
/* A domain name in DNS wire format (RFC 1035 3.1), uncompressed, ending
 * in the root label; a trailing dot is optional, "." is the root. */
int opt_enc_fqdn(struct opt_enc *e, const char *tok);
/* Strict dotted quad (net_ip4_parse) -> *a host order, or the error. */
int opt_enc_parse_ipv4(struct opt_enc *e, const char *tok, uint32_t *a);
/* The first n (<= 4) bytes of a, network order. */
int opt_enc_ipv4_bytes(struct opt_enc *e, uint32_t a, size_t n);

/* Comma separated tokens, blanks around each trimmed; "\," is a literal
 * comma (Kea's escape).  "" is one empty token.  The buffers are sized
 * from the data: opt_tokens_free() releases them. */
struct opt_tokens {
	char *buf;
	const char **tok;
	int n;
};
int opt_tokenize(struct opt_enc *e, const char *data, struct opt_tokens *t);
void opt_tokens_free(struct opt_tokens *t);

/* Kea's csv form of an option's data, for option `name`: with no value
 * to take (type empty) only blanks may be written; otherwise the tokens
 * (at least one not empty) go to fn(e, def, tokens). */
int opt_enc_csv(struct opt_enc *e, const char *data, const char *name, bool takes_value,
		int (*fn)(struct opt_enc *e, const void *def, const struct opt_tokens *t),
		const void *def);
