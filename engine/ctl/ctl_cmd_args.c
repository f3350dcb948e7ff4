/* What every command handler uses: its answer text on failure, typed
 * arguments out of the JSON request, and the text forms of addresses and
 * identifiers. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ctl_cmd.h"
#include "net.h"

int request_family(const struct dp_srv *s)
{
	const json_t *sv = s->ctl ? ctl_request_service(s->ctl) : NULL, *e;
	bool v4 = false, v6 = false;
	size_t i;

	json_array_foreach(sv, i, e) {
		v4 |= json_is_string(e) && !strcmp(json_string_value(e), "dhcp4");
		v6 |= json_is_string(e) && !strcmp(json_string_value(e), "dhcp6");
	}
	return v4 == v6 ? 0 : v6 ? 6 : 4;
}

int fail(char *text, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, len, fmt, ap);
	va_end(ap);
	return CTL_ERROR;
}

/* An optional member of type `type`: 1 found, 0 absent, -1 wrong type (text set). */
int arg_get(const json_t *args, const char *key, json_type type, json_t **out,
	    char *text, size_t len)
{
	json_t *v = args ? json_object_get(args, key) : NULL;
	static const char *const tn[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "a list", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};

	*out = NULL;
	if (!v)
		return 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		snprintf(text, len, "'%s' must be %s", key, tn[type]);
		return -1;
	}
	*out = v;
	return 1;
}

/* arg_get, and a missing required argument is an error too: -1 (text
 * set), 0 absent, 1 with *out. */
static int arg_want(const json_t *args, const char *key, json_type type, bool required,
		    json_t **out, char *text, size_t len)
{
	int r = arg_get(args, key, type, out, text, len);

	if (r == 0 && required) {
		snprintf(text, len, "missing '%s' argument", key);
		return -1;
	}
	return r;
}

int arg_uint(const json_t *args, const char *key, bool required, uint64_t max,
	     uint64_t *out, char *text, size_t len)
{
	json_t *v;
	int r = arg_want(args, key, JSON_INTEGER, required, &v, text, len);

	if (r <= 0)
		return r;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
		snprintf(text, len, "'%s' must be between 0 and %" PRIu64, key, max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

int arg_str(const json_t *args, const char *key, bool required, const char **out,
	    char *text, size_t len)
{
	json_t *v;
	int r = arg_want(args, key, JSON_STRING, required, &v, text, len);

	*out = r > 0 ? json_string_value(v) : NULL;
	return r;
}

int arg_subnets(const json_t *args, bool (*known)(const struct conf *c, uint32_t id),
		const struct conf *c, uint32_t *ids, unsigned max, unsigned *n,
		char *text, size_t len)
{
	json_t *a, *v;
	size_t i;

	*n = 0;
	if (arg_get(args, "subnets", JSON_ARRAY, &a, text, len) < 0)
		return -1;
	if (!a)
		return 0;
	if (json_array_size(a) > max) {
		snprintf(text, len, "at most %u subnets at a time", max);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    json_integer_value(v) > UINT32_MAX) {
			snprintf(text, len, "'subnets' must list subnet ids (positive integers)");
			return -1;
		}
		if (!known(c, (uint32_t)json_integer_value(v))) {
			snprintf(text, len, "no subnet with subnet-id %" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			return -1;
		}
		ids[(*n)++] = (uint32_t)json_integer_value(v);
	}
	return 0;
}

int arg_page(const json_t *args, const char **from, uint32_t *limit, char *text, size_t len)
{
	uint64_t v;

	if (arg_str(args, "from", true, from, text, len) < 0 ||
	    arg_uint(args, "limit", true, 1000000, &v, text, len) < 0)
		return -1;
	if (!v) {
		snprintf(text, len, "page size 'limit' must be positive");
		return -1;
	}
	*limit = (uint32_t)v;
	return 0;
}

void fmt_ip4(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)len);
}

int parse_ip6(const char *s, struct lease_addr6 *a)
{
	uint8_t b[16];

	if (inet_pton(AF_INET6, s, b) != 1)
		return -EINVAL;
	*a = lease_addr6_load(b);
	return 0;
}

void fmt_ip6(struct lease_addr6 a, char *buf, size_t len)
{
	uint8_t b[16];

	lease_addr6_store(a, b);
	inet_ntop(AF_INET6, b, buf, (socklen_t)len);
}

void fmt_printable(const char *s, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

/* "01:02:0a" (also "-" separators or none) -> bytes.  Returns the length or -1. */
int parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		unsigned v;

		if (n == max || sscanf(s, "%2x", &v) != 1 || !s[1] ||
		    !strchr("0123456789abcdefABCDEF", s[0]) || !strchr("0123456789abcdefABCDEF", s[1]))
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
		if (*s == ':' || *s == '-')
			s++;
	}
	return (int)n;
}

void fmt_hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(out + 3 * i, i + 1 < n ? "%02x:" : "%02x", b[i]);
}
