/* The pieces both option encoders share (opt_enc.h).  Clarity of the
 * error text matters more than speed here: this runs when a configuration
 * is loaded, never per packet. */
#include "opt_enc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net.h"

int opt_enc_fail(struct opt_enc *e, const char *fmt, ...)
{
	va_list ap;

	if (e->err != NULL && e->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(e->err, e->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int opt_enc_put(struct opt_enc *e, const void *p, size_t n)
{
	if (n > e->cap - e->len)
		return opt_enc_fail(e, "encoded value longer than %zu bytes", e->cap);
	if (n)
		memcpy(e->out + e->len, p, n);
	e->len += n;
	return 0;
}

int opt_enc_u8(struct opt_enc *e, uint8_t v)
{
	return opt_enc_put(e, &v, 1);
}

int opt_enc_uint(struct opt_enc *e, uint32_t v, size_t width)
{
	uint8_t b[4];

	for (size_t i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	return opt_enc_put(e, b, width);
}

int opt_enc_hex(struct opt_enc *e, const char *s)
{
	size_t n, i = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;

	if (memchr(s, ':', n) != NULL || memchr(s, ' ', n) != NULL) {
		while (i < n) {
			int hi = -1, lo;
			size_t digits = 0;

			while (i < n && net_hexval(s[i]) >= 0 && digits < 3) {
				lo = net_hexval(s[i]);
				hi = digits == 0 ? lo : hi * 16 + lo;
				digits++;
				i++;
			}
			if (digits == 0 || digits > 2)
				return opt_enc_fail(e, "invalid hex string '%.*s'", (int)n, s);
			if (opt_enc_u8(e, (uint8_t)hi) < 0)
				return -1;
			if (i < n) {
				if (s[i] != ':' && s[i] != ' ')
					return opt_enc_fail(e, "invalid hex string '%.*s'", (int)n, s);
				i++;
				if (i == n)
					return opt_enc_fail(e, "invalid hex string '%.*s'", (int)n, s);
			}
		}
		return 0;
	}

	for (size_t k = 0; k < n; k++)
		if (net_hexval(s[k]) < 0)
			return opt_enc_fail(e, "invalid hex string '%.*s'", (int)n, s);
	if (n % 2) {
		if (opt_enc_u8(e, (uint8_t)net_hexval(s[0])) < 0)
			return -1;
		i = 1;
	}
	for (; i < n; i += 2)
		if (opt_enc_u8(e, (uint8_t)(net_hexval(s[i]) * 16 + net_hexval(s[i + 1]))) < 0)
			return -1;
	return 0;
}

bool opt_parse_int(const char *s, long long *v)
{
	bool neg = false;
	unsigned long long acc = 0;
	int base = 10;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		int d = net_hexval(*s);

		if (d < 0 || d >= base)
			return false;
		acc = acc * base + d;
		if (acc > (1ull << 40))     /* far beyond any int32/uint32 */
			return false;
	}
	*v = neg ? -(long long)acc : (long long)acc;
	return true;
}

int opt_enc_int(struct opt_enc *e, const char *tok, size_t width, bool is_signed,
		const char *tname)
{
	long long v, lo, hi;

	hi = (1ll << (8 * width - is_signed)) - 1;
	lo = is_signed ? -hi - 1 : 0;
	if (!opt_parse_int(tok, &v))
		return opt_enc_fail(e, "invalid %s value '%s'", tname, tok);
	if (v < lo || v > hi)
		return opt_enc_fail(e, "value '%s' out of range for %s", tok, tname);
	return opt_enc_uint(e, (uint32_t)(unsigned long long)v, width);
}

int opt_enc_bool(struct opt_enc *e, const char *tok)
{
	if (strcasecmp(tok, "true") == 0 || strcmp(tok, "1") == 0)
		return opt_enc_u8(e, 1);
	if (strcasecmp(tok, "false") == 0 || strcmp(tok, "0") == 0)
		return opt_enc_u8(e, 0);
	return opt_enc_fail(e, "invalid boolean '%s' (expected true or false)", tok);
}

int opt_enc_fqdn(struct opt_enc *e, const char *tok)
{
	size_t n = strlen(tok), start = e->len, i = 0;

	if (n == 0)
		return opt_enc_fail(e, "empty domain name");
	if (strcmp(tok, ".") == 0)
		return opt_enc_u8(e, 0);
	if (tok[n - 1] == '.')
		n--;
	while (i < n) {
		const char *dot = memchr(tok + i, '.', n - i);
		size_t l = dot ? (size_t)(dot - (tok + i)) : n - i;

		if (l == 0)
			return opt_enc_fail(e, "empty label in domain name '%s'", tok);
		if (l > 63)
			return opt_enc_fail(e, "label longer than 63 bytes in domain name '%s'", tok);
		for (size_t k = 0; k < l; k++)
			if (tok[i + k] <= ' ' || tok[i + k] == 0x7f)
				return opt_enc_fail(e, "invalid character in domain name '%s'", tok);
		if (opt_enc_u8(e, (uint8_t)l) < 0 || opt_enc_put(e, tok + i, l) < 0)
			return -1;
		i += l + 1;
	}
	if (opt_enc_u8(e, 0) < 0)
		return -1;
	if (e->len - start > 255)
		return opt_enc_fail(e, "domain name '%s' longer than 255 bytes", tok);
	return 0;
}

int opt_enc_parse_ipv4(struct opt_enc *e, const char *tok, uint32_t *a)
{
	if (net_ip4_parse(tok, a) < 0)
		return opt_enc_fail(e, "invalid IPv4 address '%s'", tok);
	return 0;
}

int opt_enc_ipv4_bytes(struct opt_enc *e, uint32_t a, size_t n)
{
	uint8_t b[4] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a };

	return opt_enc_put(e, b, n);
}

int opt_tokenize(struct opt_enc *e, const char *data, struct opt_tokens *t)
{
	size_t o = 0, n = strlen(data), max = 1;
	const char *p = data;

	for (size_t i = 0; i < n; i++)
		max += data[i] == ',';
	t->n = 0;
	t->buf = malloc(n + 1);
	t->tok = malloc(max * sizeof(*t->tok));
	if (t->buf == NULL || t->tok == NULL) {
		opt_tokens_free(t);
		return opt_enc_fail(e, "out of memory");
	}
	for (;;) {
		size_t start = o;

		while (*p == ' ' || *p == '\t')
			p++;
		while (*p != '\0' && *p != ',') {
			if (p[0] == '\\' && p[1] == ',')
				p++;
			t->buf[o++] = *p++;
		}
		while (o > start && (t->buf[o - 1] == ' ' || t->buf[o - 1] == '\t'))
			o--;
		t->buf[o++] = '\0';
		t->tok[t->n++] = t->buf + start;
		if (*p == '\0')
			break;
		p++;
	}
	return 0;
}

void opt_tokens_free(struct opt_tokens *t)
{
	free(t->buf);
	free(t->tok);
	t->buf = NULL;
	t->tok = NULL;
	t->n = 0;
}

int opt_enc_csv(struct opt_enc *e, const char *data, const char *name, bool takes_value,
		int (*fn)(struct opt_enc *e, const void *def, const struct opt_tokens *t),
		const void *def)
{
	struct opt_tokens t;
	int rc;

	if (!takes_value) {
		for (const char *p = data; *p; p++)
			if (*p != ' ' && *p != '\t')
				return opt_enc_fail(e, "option '%s' takes no value", name);
		return 0;
	}
	if (opt_tokenize(e, data, &t) < 0)
		return -1;
	if (t.n == 1 && t.tok[0][0] == '\0')
		rc = opt_enc_fail(e, "option '%s' needs a value", name);
	else
		rc = fn(e, def, &t);
	opt_tokens_free(&t);
	return rc;
}
