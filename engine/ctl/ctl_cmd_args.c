/* What every command handler uses: its answer text on failure, typed
 * arguments out of the JSON request, and the text forms of addresses and
 * identifiers. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ctl_cmd.h"
#include "net.h"

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

void fmt_ip4(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)len);
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
