/* radius: Kea's RADIUS hook parameters (Kea 1.4's libdhcp_radius, its key
 * names and defaults) as one block for both families, and Peregrine's own
 * on top:
 *   - server names are address literals (Kea resolves host names at load;
 *     a name here would block the control thread on DNS: refused);
 *   - nas-ip-address, on-unreachable, cache-ttl, reject-ttl, cache-max,
 *     accounting-queue, accounting-queue-max are Peregrine's (Kea's host
 *     cache and accounting have no such bounds);
 *   - attribute names resolve through the dictionary at load, and a fixed
 *     `data` is encoded then, so a typo is a file:line at -t instead of a
 *     request FreeRADIUS drops;
 *   - identifier-type4 circuit-id (Kea's) is not offered;
 *   - an accounting attribute with `expr` is refused: accounting records
 *     come from lease changes on the RADIUS thread, where there is no
 *     DHCP packet to evaluate it on (Kea evaluates it on the packet that
 *     made the change); `data` and `raw` are sent in every record.
 * struct conf_radius in conf.h holds the result. */
#include "conf_priv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "net.h"
#include "rad_dict.h"
#include "rad_ident.h"

#define DEFAULT_DATA_DIR "/var/lib/peregrine"
#define QUEUE_FILE "radius-acct.queue"
#define TIMEOUT_MAX_MS 3600000u      /* an hour: beyond it a client gave up long ago */

static int parse_dictionary(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_ident4(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_ident6(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_timeout(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_service(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_servers(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_attrs(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_peer_updates(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_bindaddr(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_server_name(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_secret(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int radius_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);

static const struct conf_enum unreachable_names[] = {
	{ "deny", CONF_RADIUS_DENY }, { "serve", CONF_RADIUS_SERVE }, { NULL, 0 },
};

/* access / accounting: the service being filled, and what its entries
 * need from the block. */
struct xservice {
	struct conf_radius_service *svc;
	struct conf_radius *r;
	uint16_t port;                 /* the service's default port */
	const char *what;              /* "access" */
};

/* servers = ( { name; port; secret; }, ... ) */
static const struct conf_key server_keys[] = {
	STR("name", struct conf_radius_server, name, "", .flags = K_REQUIRED, .fn = check_server_name),
	U16("port", struct conf_radius_server, port, 1, 65535, 0),
	STR("secret", struct conf_radius_server, secret, "", .flags = K_REQUIRED, .fn = check_secret),
};
static const struct conf_table server_table = TABLE("in a radius servers entry", server_keys);

/* attributes = ( { name | type; data | expr | raw; }, ... ) */
struct xattr {
	const char *name, *data, *expr, *raw;
	uint32_t type;
};
static const struct conf_key attr_keys[] = {
	STRP("name", struct xattr, name),
	U32("type", struct xattr, type, 1, 255, 0),
	STRP("data", struct xattr, data),
	STRP("expr", struct xattr, expr),
	STRP("raw", struct xattr, raw),
};
static const struct conf_table attr_table = TABLE("in a radius attributes entry", attr_keys);

static const struct conf_key service_keys[] = {
	{ .name = "servers", .kind = K_CUSTOM, .flags = K_REQUIRED, .fn = parse_servers },
	{ .name = "attributes", .kind = K_CUSTOM, .fn = parse_attrs },
	{ .name = "peer-updates", .kind = K_CUSTOM, .fn = parse_peer_updates },
};
static const struct conf_table service_table = TABLE("in a radius service", service_keys);

/* Row order is parse order: the dictionary before the services whose
 * attributes it names. */
static const struct conf_key radius_keys[] = {
	CUSTOM("dictionary", struct conf_radius, dictionary, parse_dictionary),
	CUSTOM("identifier-type4", struct conf_radius, identifier_type4, parse_ident4),
	CUSTOM("identifier-type6", struct conf_radius, identifier_type6, parse_ident6),
	BOOL("canonical-mac-address", struct conf_radius, canonical_mac_address, false),
	BOOL("extract-duid", struct conf_radius, extract_duid, true),
	BOOL("client-id-printable", struct conf_radius, client_id_printable, false),
	BOOL("client-id-pop0", struct conf_radius, client_id_pop0, false),
	BOOL("require-message-authenticator", struct conf_radius, require_message_authenticator, false),
	STR("realm", struct conf_radius, realm, ""),
	STR("bindaddr", struct conf_radius, bindaddr, "*", .fn = check_bindaddr),
	IPV4("nas-ip-address", struct conf_radius, nas_ip_address),
	CUSTOM("timeout", struct conf_radius, timeout_ms, parse_timeout),
	U32("retries", struct conf_radius, retries, 1, 100, 3),
	U32("deadtime", struct conf_radius, deadtime, 0, U32MAX, 0),
	U32("thread-pool-size", struct conf_radius, thread_pool_size, 0, 64, 0),
	BOOL("reselect-subnet-pool", struct conf_radius, reselect_subnet_pool, false),
	BOOL("reselect-subnet-address", struct conf_radius, reselect_subnet_address, false),
	ENUM("on-unreachable", struct conf_radius, on_unreachable, unreachable_names, "deny"),
	U32("cache-ttl", struct conf_radius, cache_ttl, 0, U32MAX, 300),
	U32("reject-ttl", struct conf_radius, reject_ttl, 0, U32MAX, 0),  /* radius_post: cache-ttl */
	U32("cache-max", struct conf_radius, cache_max, 1, 16777216, 65536),
	STR("accounting-queue", struct conf_radius, accounting_queue, ""),  /* radius_post */
	U32("accounting-queue-max", struct conf_radius, accounting_queue_max, 1, U32MAX, 1000000),
	CUSTOM("access", struct conf_radius, access, parse_service, .def = 1812),
	CUSTOM("accounting", struct conf_radius, accounting, parse_service, .def = 1813),
};
static const struct conf_table radius_table = TABLE("in radius", radius_keys, .post = radius_post);

static const char *const dtype_names[] = {
	[RAD_DT_STRING] = "string", [RAD_DT_OCTETS] = "octets", [RAD_DT_IPADDR] = "ipaddr",
	[RAD_DT_INTEGER] = "integer", [RAD_DT_DATE] = "date", [RAD_DT_IPV6ADDR] = "ipv6addr",
	[RAD_DT_IPV6PREFIX] = "ipv6prefix", [RAD_DT_IFID] = "ifid",
	[RAD_DT_INTEGER64] = "integer64", [RAD_DT_BYTE] = "byte", [RAD_DT_SHORT] = "short",
};

static const char *dtype_name(unsigned t)
{
	return t < sizeof(dtype_names) / sizeof(dtype_names[0]) && dtype_names[t] ? dtype_names[t] : "?";
}

/* ------------------------------------------------------------------------
 * The block's keys
 */

static int parse_dictionary(struct conf_ld *ld, const config_setting_t *s, void *obj,
			    const struct conf_key *k)
{
	struct conf_radius *r = obj;
	const char *v = conf_string(ld, s, k->name);
	char derr[PATH_MAX + 256];

	if (v == NULL)
		return -1;
	if (*v == '\0')
		return conf_err(ld, s, "'dictionary' must not be empty (leave it out for the "
				"built-in standard attributes)");
	if (strlen(v) >= sizeof(r->dictionary))
		return conf_err(ld, s, "'dictionary' is longer than %zu characters",
				sizeof(r->dictionary) - 1);
	snprintf(r->dictionary, sizeof(r->dictionary), "%s", v);
	if (rad_dict_load(r->dict, v, derr, sizeof(derr)) < 0)
		return conf_err(ld, s, "'dictionary': %s", derr);
	return 0;
}

/* Kea's identifier-type names -> enum rad_ident_type; allowed: a bit per type. */
static int parse_ident(struct conf_ld *ld, const config_setting_t *s, uint8_t *out,
		       const char *key, unsigned allowed)
{
	static const struct conf_enum names[] = {
		{ "hw-address", RAD_ID_HW_ADDRESS }, { "client-id", RAD_ID_CLIENT_ID },
		{ "duid", RAD_ID_DUID }, { "flex-id", RAD_ID_FLEX_ID }, { NULL, 0 },
	};
	const char *v = conf_string(ld, s, key);
	char choices[96] = "";

	if (v == NULL)
		return -1;
	for (const struct conf_enum *e = names; e->name; e++)
		if ((allowed & 1u << e->value) && strcasecmp(v, e->name) == 0) {
			*out = (uint8_t)e->value;
			return 0;
		}
	for (const struct conf_enum *e = names; e->name; e++) {
		size_t n = strlen(choices);

		if (allowed & 1u << e->value)
			snprintf(choices + n, sizeof(choices) - n, "%s\"%s\"", n ? ", " : "", e->name);
	}
	if (strcasecmp(v, "circuit-id") == 0)
		return conf_err(ld, s, "'%s' \"circuit-id\" is not supported (%s); the relay's "
				"circuit-id is sent as NAS-Port-Id", key, choices);
	return conf_err(ld, s, "'%s' must be one of %s, not \"%s\"", key, choices, v);
}

static int parse_ident4(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	return parse_ident(ld, s, (uint8_t *)obj + k->off, k->name,
			   1u << RAD_ID_HW_ADDRESS | 1u << RAD_ID_CLIENT_ID | 1u << RAD_ID_DUID |
			   1u << RAD_ID_FLEX_ID);
}

/* DHCPv6 has no client-id option: the DUID is the client's identifier. */
static int parse_ident6(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	return parse_ident(ld, s, (uint8_t *)obj + k->off, k->name,
			   1u << RAD_ID_HW_ADDRESS | 1u << RAD_ID_DUID | 1u << RAD_ID_FLEX_ID);
}

/* Kea's timeout: seconds, an integer or a fraction ("0.2") -> ms. */
static int parse_timeout(struct conf_ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	uint32_t *ms = (uint32_t *)((char *)obj + k->off);
	int type = config_setting_type(s);
	double v;

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (type == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else
		return conf_err(ld, s, "'timeout' must be a number of seconds, not %s",
				conf_type_name(type));
	if (!(v * 1000.0 >= 1.0) || v * 1000.0 > TIMEOUT_MAX_MS)
		return conf_err(ld, s, "'timeout' must be between 0.001 and %u seconds, not %g",
				TIMEOUT_MAX_MS / 1000, v);
	*ms = (uint32_t)lround(v * 1000.0);
	return 0;
}

/* "*" (any) or an address literal the RADIUS sockets bind to. */
static int check_bindaddr(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	const char *v = (const char *)obj + k->off;
	uint8_t buf[16];

	if (strcmp(v, "*") == 0 || inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1)
		return 0;
	return conf_err(ld, s, "'bindaddr' \"%s\" is neither \"*\" nor an IPv4 or IPv6 address", v);
}

/* ------------------------------------------------------------------------
 * access / accounting
 */

static int check_server_name(struct conf_ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k)
{
	struct conf_radius_server *sv = obj;

	(void)k;
	if (conf_ip4(sv->name, &sv->addr4) == 0 && !strpbrk(sv->name, " \t")) {
		sv->v6 = false;
		return 0;
	}
	if (conf_ip6(sv->name, &sv->addr6) == 0 && !strpbrk(sv->name, " \t")) {
		sv->v6 = true;
		return 0;
	}
	return conf_err(ld, s, "server 'name' \"%s\" is not an IPv4 or IPv6 address (host names "
			"are not resolved: write the server's address)", sv->name);
}

static int check_secret(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	(void)k;
	if (((struct conf_radius_server *)obj)->secret[0] == '\0')
		return conf_err(ld, s, "server 'secret' must not be empty (RFC 2865 3: the shared "
				"secret signs every packet)");
	return 0;
}

static bool same_server(const struct conf_radius_server *a, const struct conf_radius_server *b)
{
	if (a->port != b->port || a->v6 != b->v6)
		return false;
	return a->v6 ? lease_addr6_eq(a->addr6, b->addr6) : a->addr4 == b->addr4;
}

/* A list of groups of at most max entries: its length, or -1. */
static int service_list(struct conf_ld *ld, const config_setting_t *s, const struct conf_key *k,
			const struct xservice *xs, int max)
{
	int n;

	if (conf_check_list(ld, s, k->name) < 0)
		return -1;
	n = config_setting_length(s);
	if (n > max)
		return conf_err(ld, config_setting_get_elem(s, (unsigned)max), "at most %d %s %s",
				max, xs->what, k->name);
	return n;
}

static int parse_servers(struct conf_ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	struct xservice *xs = obj;
	struct conf_radius_service *svc = xs->svc;
	int n = service_list(ld, s, k, xs, CONF_RADIUS_SERVERS_MAX);

	if (n < 0)
		return -1;
	if (n == 0)
		return conf_err(ld, s, "'%s' 'servers' is empty: name at least one RADIUS server",
				xs->what);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i), *found[CONF_MAX_KEYS];
		struct conf_radius_server *sv = &svc->servers[i];

		if (conf_walk(ld, e, &server_table, sv, found) < 0)
			return -1;
		if (sv->port == 0)
			sv->port = xs->port;
		sv->line = conf_line(e);
		svc->n_servers++;
		for (int j = 0; j < i; j++)
			if (same_server(&svc->servers[j], sv))
				return conf_err(ld, e, "%s server %s port %u is already listed (line %d)",
						xs->what, sv->name, sv->port, svc->servers[j].line);
	}
	return 0;
}

/* "0a0b", "0a:0b" -> bytes: the count, or -1. */
static int parse_hex(const char *v, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*v) {
		int hi = net_hexval((unsigned char)v[0]), lo = hi < 0 ? -1 : net_hexval((unsigned char)v[1]);

		if (hi < 0 || lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		v += 2;
		if (*v == ':' && v[1])
			v++;
	}
	return n ? (int)n : -1;
}

/* expr for one family: 0 compiled (or not for this family), -1 after ENOMEM. */
static int compile_expr(struct conf_ld *ld, const config_setting_t *s, const char *text,
			struct cls_registry *reg, enum cls_universe u, struct cls_prog **out,
			struct cls_err *cerr)
{
	struct cls_compile_params p = { .text = text, .result = CLS_T_STRING, .universe = u,
					.reg = reg };

	memset(cerr, 0, sizeof(*cerr));
	*out = cls_compile(&p, cerr);
	if (*out == NULL && errno == ENOMEM)
		return conf_nomem(ld, s);
	return 0;
}

static int attr_expr(struct conf_ld *ld, const config_setting_t *s, struct conf_radius_attr *at,
		     const char *text)
{
	struct conf6 *v6 = ld->c ? ld->c->v6 : NULL;
	struct cls_err e4, e6;

	at->expr_text = strdup(text);
	if (at->expr_text == NULL)
		return conf_nomem(ld, s);
	if (compile_expr(ld, s, text, ld->x->reg, CLS_V4, &at->expr4, &e4) < 0)
		return -1;
	if (v6 && compile_expr(ld, s, text, v6->reg, CLS_V6, &at->expr6, &e6) < 0)
		return -1;
	if (at->expr4 || at->expr6)
		return 0;
	if (v6 && strcmp(e4.msg, e6.msg) != 0)
		return conf_err(ld, s, "'expr' of attribute %s: DHCPv4: %s; DHCPv6: %s", at->name,
				e4.msg, e6.msg);
	return conf_err(ld, s, "'expr' of attribute %s: %s", at->name, e4.msg);
}

/* One attributes entry (walked into xa) -> at. */
static int attr_build(struct conf_ld *ld, const config_setting_t *e, const struct conf_radius *r,
		      const struct xattr *xa, const config_setting_t **found,
		      struct conf_radius_attr *at)
{
	const config_setting_t *s_name = conf_found(&attr_table, found, "name");
	const config_setting_t *s_type = conf_found(&attr_table, found, "type");
	const config_setting_t *src[3] = { conf_found(&attr_table, found, "data"),
					   conf_found(&attr_table, found, "expr"),
					   conf_found(&attr_table, found, "raw") };
	static const char *const src_name[3] = { "data", "expr", "raw" };
	const struct rad_dict_attr *a;
	struct rad_dict_attr num;
	uint8_t buf[253];
	int n_src = 0, which = -1, len;

	at->line = conf_line(e);
	if (s_name && s_type)
		return conf_err(ld, s_type, "an attribute is named by 'name' or by 'type', not both");
	if (!s_name && !s_type)
		return conf_err(ld, e, "an attribute needs 'name' (or Kea's 'type' with 'raw')");
	for (int i = 0; i < 3; i++)
		if (src[i]) {
			if (n_src++)
				return conf_err(ld, src[i], "attribute %s: '%s' and '%s' together; give "
						"its value once", xa->name ? xa->name : "",
						src_name[which], src_name[i]);
			which = i;
		}
	if (s_name) {
		a = rad_dict_by_name(r->dict, xa->name);
		if (a == NULL && r->dictionary[0])
			return conf_err(ld, s_name, "unknown RADIUS attribute \"%s\" (neither standard "
					"nor in dictionary %s)", xa->name, r->dictionary);
		if (a == NULL)
			return conf_err(ld, s_name, "unknown RADIUS attribute \"%s\" (not a standard "
					"one; a vendor's needs the 'dictionary' that defines it)",
					xa->name);
	} else {
		a = rad_dict_by_num(r->dict, 0, (uint8_t)xa->type);
		if (a == NULL) {
			memset(&num, 0, sizeof(num));
			snprintf(num.name, sizeof(num.name), "Attr-%u", xa->type);
			num.type = (uint8_t)xa->type;
			num.dtype = RAD_DT_OCTETS;
			a = &num;
		}
	}
	snprintf(at->name, sizeof(at->name), "%s", a->name);
	at->vendor = a->vendor;
	at->type = a->type;
	at->dtype = a->dtype;
	if (which < 0)
		return conf_err(ld, e, "attribute %s needs 'data', 'expr' or 'raw'", a->name);
	switch (which) {
	case 0:
		len = rad_dict_encode(r->dict, a, xa->data, buf, sizeof(buf));
		if (len < 0)
			return conf_err(ld, src[0], "attribute %s: 'data' \"%s\" is not a valid %s "
					"value", a->name, xa->data, dtype_name(a->dtype));
		break;
	case 1:
		return attr_expr(ld, src[1], at, xa->expr);
	default:
		len = parse_hex(xa->raw, buf, sizeof(buf));
		if (len < 0)
			return conf_err(ld, src[2], "attribute %s: 'raw' \"%s\" is not 1 to 253 octets "
					"in hex (\"0a0b\" or \"0a:0b\")", a->name, xa->raw);
		len = rad_dict_from_bytes(a, buf, (size_t)len, buf, sizeof(buf));
		if (len < 0)
			return conf_err(ld, src[2], "attribute %s: 'raw' \"%s\" has the wrong length "
					"for %s", a->name, xa->raw, dtype_name(a->dtype));
		break;
	}
	memcpy(at->data, buf, (size_t)len);
	at->len = (uint8_t)len;
	return 0;
}

static int parse_attrs(struct conf_ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k)
{
	struct xservice *xs = obj;
	int n = service_list(ld, s, k, xs, CONF_RADIUS_ATTRS_MAX);

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i), *found[CONF_MAX_KEYS];
		struct xattr xa;

		memset(&xa, 0, sizeof(xa));
		if (conf_walk(ld, e, &attr_table, &xa, found) < 0)
			return -1;
		if (xa.expr && strcmp(xs->what, "accounting") == 0)
			return conf_err(ld, conf_found(&attr_table, found, "expr"), "accounting attribute "
					"%s: 'expr' cannot be used in accounting (a record is made "
					"from a lease change, with no DHCP packet to evaluate it on); "
					"give a fixed 'data'", xa.name ? xa.name : "");
		/* counted first: conf_radius_free then sees a half-built one */
		xs->svc->n_attrs++;
		if (attr_build(ld, e, xs->r, &xa, found, &xs->svc->attrs[i]) < 0)
			return -1;
	}
	return 0;
}

/* accounting { peer-updates = bool; } (Kea's): whether the changes the
 * HA partner sent are accounted here too. */
static int parse_peer_updates(struct conf_ld *ld, const config_setting_t *s, void *obj,
			      const struct conf_key *k)
{
	struct xservice *xs = obj;

	if (strcmp(xs->what, "accounting") != 0)
		return conf_err(ld, s, "'%s' is an accounting key, not an %s one", k->name, xs->what);
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_err(ld, s, "'%s' must be true or false, not %s", k->name,
				conf_type_name(config_setting_type(s)));
	xs->r->peer_updates = config_setting_get_bool(s);
	return 0;
}

static int parse_service(struct conf_ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	struct xservice xs = { .svc = (struct conf_radius_service *)((char *)obj + k->off),
			       .r = obj, .port = (uint16_t)k->def, .what = k->name };
	const config_setting_t *found[CONF_MAX_KEYS];

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_err(ld, s, "'%s' must be a group { servers = ( ... ); ... }, not %s",
				k->name, conf_type_name(config_setting_type(s)));
	xs.svc->line = conf_line(s);
	xs.svc->enabled = true;
	return conf_walk(ld, s, &service_table, &xs, found);
}

/* ------------------------------------------------------------------------
 * The block
 */

static int radius_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		       const config_setting_t **found)
{
	struct conf_radius *r = obj;
	const struct conf *c = ld->c;
	const config_setting_t *s_id4 = conf_found(&radius_table, found, "identifier-type4");
	const config_setting_t *s_id6 = conf_found(&radius_table, found, "identifier-type6");

	r->line = conf_line(grp);
	if (!conf_found(&radius_table, found, "reject-ttl"))
		r->reject_ttl = r->cache_ttl;
	if (r->identifier_type4 == RAD_ID_FLEX_ID && ld->x->flex_expr == NULL)
		return conf_err(ld, s_id4, "'identifier-type4' \"flex-id\" needs the top-level "
				"'flex-id-expression'");
	if (r->identifier_type6 == RAD_ID_FLEX_ID && c && c->v6 && c->v6->flex_expr == NULL)
		return conf_err(ld, s_id6, "'identifier-type6' \"flex-id\" needs dhcp6's "
				"'flex-id-expression'");
	if (r->accounting_queue[0] == '\0') {
		const char *lf = c && c->lease_db.type == CONF_DB_MEMFILE ? c->lease_db.name : "";
		const char *slash = strrchr(lf, '/');
		int n;

		if (*lf == '\0')
			n = snprintf(r->accounting_queue, sizeof(r->accounting_queue), "%s/%s",
				     DEFAULT_DATA_DIR, QUEUE_FILE);
		else if (slash == NULL)
			n = snprintf(r->accounting_queue, sizeof(r->accounting_queue), "%s", QUEUE_FILE);
		else
			n = snprintf(r->accounting_queue, sizeof(r->accounting_queue), "%.*s/%s",
				     (int)(slash == lf ? 0 : slash - lf), lf, QUEUE_FILE);
		if (n < 0 || (size_t)n >= sizeof(r->accounting_queue))
			return conf_err(ld, grp, "the default 'accounting-queue' beside lease file \"%s\" "
					"is too long a path: set 'accounting-queue'", lf);
	}
	return 0;
}

int conf_key_radius(struct conf_ld *ld, const config_setting_t *s, void *obj,
		    const struct conf_key *k)
{
	struct conf *c = obj;
	const config_setting_t *found[CONF_MAX_KEYS];
	struct conf_radius *r;

	(void)k;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_err(ld, s, "'radius' must be a group { ... }, not %s",
				conf_type_name(config_setting_type(s)));
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return conf_nomem(ld, s);
	c->radius = r;
	r->dict = rad_dict_create();
	if (r->dict == NULL)
		return conf_nomem(ld, s);
	/* the defaults of the rows without one of their own (K_CUSTOM) */
	r->identifier_type4 = RAD_ID_CLIENT_ID;
	r->identifier_type6 = RAD_ID_DUID;
	r->timeout_ms = 10000;
	r->peer_updates = true;
	return conf_walk(ld, s, &radius_table, r, found);
}

static void service_free(struct conf_radius_service *svc)
{
	for (unsigned i = 0; i < svc->n_attrs; i++) {
		cls_prog_free(svc->attrs[i].expr4);
		cls_prog_free(svc->attrs[i].expr6);
		free(svc->attrs[i].expr_text);
	}
}

void conf_radius_free(struct conf_radius *r)
{
	if (r == NULL)
		return;
	service_free(&r->access);
	service_free(&r->accounting);
	rad_dict_free(r->dict);
	free(r);
}

/* ------------------------------------------------------------------------
 * Equality
 */

static bool server_eq(const struct conf_radius_server *a, const struct conf_radius_server *b)
{
	return strcmp(a->name, b->name) == 0 && same_server(a, b) &&
	       strcmp(a->secret, b->secret) == 0;
}

static bool attr_eq(const struct conf_radius_attr *a, const struct conf_radius_attr *b)
{
	if (strcmp(a->name, b->name) != 0 || a->vendor != b->vendor || a->type != b->type ||
	    a->dtype != b->dtype || (a->expr_text == NULL) != (b->expr_text == NULL))
		return false;
	if (a->expr_text)
		return strcmp(a->expr_text, b->expr_text) == 0;
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static bool service_eq(const struct conf_radius_service *a, const struct conf_radius_service *b)
{
	if (a->enabled != b->enabled || a->n_servers != b->n_servers || a->n_attrs != b->n_attrs)
		return false;
	for (unsigned i = 0; i < a->n_servers; i++)
		if (!server_eq(&a->servers[i], &b->servers[i]))
			return false;
	for (unsigned i = 0; i < a->n_attrs; i++)
		if (!attr_eq(&a->attrs[i], &b->attrs[i]))
			return false;
	return true;
}

bool conf_radius_equal(const struct conf_radius *a, const struct conf_radius *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return service_eq(&a->access, &b->access) && service_eq(&a->accounting, &b->accounting) &&
	       strcmp(a->dictionary, b->dictionary) == 0 &&
	       a->identifier_type4 == b->identifier_type4 &&
	       a->identifier_type6 == b->identifier_type6 &&
	       a->canonical_mac_address == b->canonical_mac_address &&
	       a->extract_duid == b->extract_duid && a->client_id_printable == b->client_id_printable &&
	       a->client_id_pop0 == b->client_id_pop0 &&
	       a->require_message_authenticator == b->require_message_authenticator &&
	       strcmp(a->realm, b->realm) == 0 &&
	       strcmp(a->bindaddr, b->bindaddr) == 0 && a->nas_ip_address == b->nas_ip_address &&
	       a->timeout_ms == b->timeout_ms && a->retries == b->retries &&
	       a->deadtime == b->deadtime && a->thread_pool_size == b->thread_pool_size &&
	       a->reselect_subnet_pool == b->reselect_subnet_pool &&
	       a->reselect_subnet_address == b->reselect_subnet_address &&
	       a->on_unreachable == b->on_unreachable && a->cache_ttl == b->cache_ttl &&
	       a->reject_ttl == b->reject_ttl && a->cache_max == b->cache_max &&
	       strcmp(a->accounting_queue, b->accounting_queue) == 0 &&
	       a->accounting_queue_max == b->accounting_queue_max &&
	       a->peer_updates == b->peer_updates;
}

void conf_radius_hand_over(struct conf *n, struct conf *o)
{
	if (!n->radius || !o->radius || n->radius == o->radius)
		return;
	conf_radius_free(n->radius);
	n->radius = o->radius;
	n->radius_borrowed = false;
	o->radius_borrowed = true;
}
