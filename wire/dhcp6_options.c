/* DHCPv6 option definitions and the config-string encoder.
 *
 * Names, codes and types follow ISC Kea's standard DHCPv6 option
 * definitions (RFC 8415 and the later RFCs Kea knows by name), so a Kea
 * user's `option-data` entries mean the same thing here.  This runs on
 * the control thread when a configuration is loaded: clarity of the error
 * text matters more than speed.
 */
#include "dhcp6_options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt_enc.h"

#define OT(t) DHCP6_OT_##t

/* Record layouts, each ending in -1. */
static const int rec_ia[] = { OT(UINT32), OT(UINT32), OT(UINT32), -1 };
static const int rec_iaaddr[] = { OT(IPV6), OT(UINT32), OT(UINT32), -1 };
static const int rec_iaprefix[] = { OT(UINT32), OT(UINT32), OT(UINT8), OT(IPV6), -1 };
static const int rec_status[] = { OT(UINT16), OT(STRING), -1 };
static const int rec_vendor_class[] = { OT(UINT32), OT(BINARY), -1 };
static const int rec_geoconf[] = { OT(UINT8), OT(UINT16), OT(BINARY), -1 };
static const int rec_remote_id[] = { OT(UINT32), OT(BINARY), -1 };
static const int rec_client_fqdn[] = { OT(UINT8), OT(FQDN), -1 };
static const int rec_lq_query[] = { OT(UINT8), OT(IPV6), -1 };
static const int rec_lq_relay[] = { OT(IPV6), OT(BINARY), -1 };
static const int rec_nii[] = { OT(UINT8), OT(UINT8), OT(UINT8), -1 };
static const int rec_rdnss[] = { OT(IPV6), OT(UINT8), OT(FQDN), -1 };
static const int rec_s46_rule[] = { OT(UINT8), OT(UINT8), OT(UINT8), OT(IPV4), OT(IPV6_PREFIX), -1 };
static const int rec_s46_bind[] = { OT(IPV4), OT(IPV6_PREFIX), -1 };
static const int rec_s46_ports[] = { OT(UINT8), OT(PSID), -1 };

#define SP_MAPE "s46-cont-mape-options"
#define SP_MAPT "s46-cont-mapt-options"
#define SP_LW   "s46-cont-lw-options"
#define SP_RULE "s46-rule-options"
#define SP_BIND "s46-v4v6bind-options"

#define D(c, n, t, a)         { .code = c, .name = n, .space = DHCP6_SPACE, .type = OT(t), .array = a }
#define R(c, n, a, f)         { .code = c, .name = n, .space = DHCP6_SPACE, .type = OT(RECORD), \
				.array = a, .fields = f }
#define E(c, n, sp)           { .code = c, .name = n, .space = DHCP6_SPACE, .type = OT(EMPTY), \
				.encapsulate = sp }

/* The dhcp6 space, sorted by code.  Kea's lq-query and client-data
 * encapsulate dhcp6 itself and rsoo the relay's "rsoo-opts": bulk
 * leasequery and relay-supplied options, never configured, so here they
 * encapsulate nothing. */
static const struct dhcp6_opt_def defs_dhcp6[] = {
	D(1, "clientid", BINARY, false),
	D(2, "serverid", BINARY, false),
	R(3, "ia-na", false, rec_ia),
	D(4, "ia-ta", UINT32, false),
	R(5, "iaaddr", false, rec_iaaddr),
	D(6, "oro", UINT16, true),
	D(7, "preference", UINT8, false),
	D(8, "elapsed-time", UINT16, false),
	D(9, "relay-msg", BINARY, false),
	D(11, "auth", BINARY, false),
	D(12, "unicast", IPV6, false),
	R(13, "status-code", false, rec_status),
	D(14, "rapid-commit", EMPTY, false),
	D(15, "user-class", BINARY, false),
	R(16, "vendor-class", false, rec_vendor_class),
	{ .code = 17, .name = "vendor-opts", .space = DHCP6_SPACE, .type = OT(UINT32),
	  .encapsulate = DHCP6_VENDOR_SPACE_PREFIX },
	D(18, "interface-id", BINARY, false),
	D(19, "reconf-msg", UINT8, false),
	D(20, "reconf-accept", EMPTY, false),
	D(21, "sip-server-dns", FQDN, true),
	D(22, "sip-server-addr", IPV6, true),
	D(23, "dns-servers", IPV6, true),
	D(24, "domain-search", FQDN, true),
	R(25, "ia-pd", false, rec_ia),
	R(26, "iaprefix", false, rec_iaprefix),
	D(27, "nis-servers", IPV6, true),
	D(28, "nisp-servers", IPV6, true),
	D(29, "nis-domain-name", FQDN, true),
	D(30, "nisp-domain-name", FQDN, true),
	D(31, "sntp-servers", IPV6, true),
	D(32, "information-refresh-time", UINT32, false),
	D(33, "bcmcs-server-dns", FQDN, true),
	D(34, "bcmcs-server-addr", IPV6, true),
	R(36, "geoconf-civic", false, rec_geoconf),
	R(37, "remote-id", false, rec_remote_id),
	D(38, "subscriber-id", BINARY, false),
	R(39, "client-fqdn", false, rec_client_fqdn),
	D(40, "pana-agent", IPV6, true),
	D(41, "new-posix-timezone", STRING, false),
	D(42, "new-tzdb-timezone", STRING, false),
	D(43, "ero", UINT16, true),
	R(44, "lq-query", false, rec_lq_query),
	D(45, "client-data", EMPTY, false),
	D(46, "clt-time", UINT32, false),
	R(47, "lq-relay-data", false, rec_lq_relay),
	D(48, "lq-client-link", IPV6, true),
	D(51, "v6-lost", FQDN, false),
	D(52, "capwap-ac-v6", IPV6, true),
	D(53, "relay-id", BINARY, false),
	E(56, "ntp-server", DHCP6_NTP_SERVER_SPACE),
	D(57, "v6-access-domain", FQDN, false),
	D(58, "sip-ua-cs-list", FQDN, true),
	D(59, "bootfile-url", STRING, false),
	D(60, "bootfile-param", TUPLE, true),
	D(61, "client-arch-type", UINT16, true),
	R(62, "nii", false, rec_nii),
	D(64, "aftr-name", FQDN, false),
	D(65, "erp-local-domain-name", FQDN, false),
	D(66, "rsoo", EMPTY, false),
	D(67, "pd-exclude", IPV6_PREFIX, false),
	R(74, "rdnss-selection", true, rec_rdnss),
	D(79, "client-linklayer-addr", BINARY, false),
	D(80, "link-address", IPV6, false),
	D(82, "solmax-rt", UINT32, false),
	D(83, "inf-max-rt", UINT32, false),
	D(87, "dhcpv4-message", BINARY, false),
	D(88, "dhcp4o6-server-addr", IPV6, true),
	E(94, "s46-cont-mape", SP_MAPE),
	E(95, "s46-cont-mapt", SP_MAPT),
	E(96, "s46-cont-lw", SP_LW),
	D(103, "v6-captive-portal", STRING, false),
	D(135, "relay-source-port", UINT16, false),
	D(136, "v6-sztp-redirect", TUPLE, true),
	D(143, "ipv6-address-andsf", IPV6, true),
	D(148, "addr-reg-enable", EMPTY, false),
};

#undef D
#define S(sp, c, n, t)        { .code = c, .name = n, .space = sp, .type = OT(t) }
#define SR(sp, c, n, f, enc)  { .code = c, .name = n, .space = sp, .type = OT(RECORD), .fields = f, \
				.encapsulate = enc }

/* The spaces encapsulated in dhcp6 options (RFC 5908, RFC 7598). */
static const struct dhcp6_opt_def defs_sub[] = {
	S(DHCP6_NTP_SERVER_SPACE, 1, "ntp-server-address", IPV6),
	S(DHCP6_NTP_SERVER_SPACE, 2, "ntp-server-multicast", IPV6),
	S(DHCP6_NTP_SERVER_SPACE, 3, "ntp-server-fqdn", FQDN),
	SR(SP_MAPE, 89, "s46-rule", rec_s46_rule, SP_RULE),
	S(SP_MAPE, 90, "s46-br", IPV6),
	SR(SP_MAPT, 89, "s46-rule", rec_s46_rule, SP_RULE),
	S(SP_MAPT, 91, "s46-dmr", IPV6_PREFIX),
	S(SP_LW, 90, "s46-br", IPV6),
	SR(SP_LW, 92, "s46-v4v6bind", rec_s46_bind, SP_BIND),
	SR(SP_RULE, 93, "s46-portparams", rec_s46_ports, NULL),
	SR(SP_BIND, 93, "s46-portparams", rec_s46_ports, NULL),
};

#define N_DHCP6 (sizeof(defs_dhcp6) / sizeof(defs_dhcp6[0]))
#define N_SUB   (sizeof(defs_sub) / sizeof(defs_sub[0]))

/* The table of space, and its length. */
static const struct dhcp6_opt_def *space_defs(const char *space, size_t *n)
{
	if (space == NULL || strcmp(space, DHCP6_SPACE) == 0) {
		*n = N_DHCP6;
		return defs_dhcp6;
	}
	*n = N_SUB;
	return defs_sub;
}

static const struct dhcp6_opt_def *find(const char *space, const char *name, int code)
{
	size_t n;
	const struct dhcp6_opt_def *d = space_defs(space, &n);

	for (size_t i = 0; i < n; i++) {
		if (d != defs_dhcp6 && strcmp(d[i].space, space) != 0)
			continue;
		if (name ? strcmp(d[i].name, name) == 0 : d[i].code == code)
			return &d[i];
	}
	return NULL;
}

const struct dhcp6_opt_def *dhcp6_opt_def_by_name(const char *space, const char *name)
{
	return name ? find(space, name, -1) : NULL;
}

const struct dhcp6_opt_def *dhcp6_opt_def_by_code(const char *space, uint16_t code)
{
	return find(space, NULL, code);
}

bool dhcp6_opt_space_known(const char *space)
{
	if (space == NULL || strcmp(space, DHCP6_SPACE) == 0)
		return true;
	for (size_t i = 0; i < N_SUB; i++)
		if (strcmp(defs_sub[i].space, space) == 0)
			return true;
	return false;
}

const struct dhcp6_opt_def *dhcp6_opt_def_encapsulating(const char *space)
{
	uint32_t ent;

	if (space == NULL)
		return NULL;
	if (dhcp6_opt_vendor_space(space, &ent) == 0)
		return dhcp6_opt_def_by_code(DHCP6_SPACE, 17);
	for (size_t i = 0; i < N_DHCP6; i++)
		if (defs_dhcp6[i].encapsulate && strcmp(defs_dhcp6[i].encapsulate, space) == 0)
			return &defs_dhcp6[i];
	for (size_t i = 0; i < N_SUB; i++)
		if (defs_sub[i].encapsulate && strcmp(defs_sub[i].encapsulate, space) == 0)
			return &defs_sub[i];
	return NULL;
}

int dhcp6_opt_vendor_space(const char *space, uint32_t *enterprise)
{
	size_t pl = strlen(DHCP6_VENDOR_SPACE_PREFIX), n;
	const char *p;
	unsigned long long v;

	if (space == NULL || strncmp(space, DHCP6_VENDOR_SPACE_PREFIX, pl) != 0)
		return -1;
	p = space + pl;
	n = strlen(p);
	if (n == 0 || n > 10 || strspn(p, "0123456789") != n || (n > 1 && p[0] == '0'))
		return -1;
	v = strtoull(p, NULL, 10);
	if (v > UINT32_MAX)
		return -1;
	*enterprise = (uint32_t)v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Types
 */

static const char *const type_names[] = {
	[OT(EMPTY)] = "empty", [OT(BINARY)] = "binary", [OT(STRING)] = "string",
	[OT(FQDN)] = "fqdn", [OT(BOOL)] = "boolean", [OT(UINT8)] = "uint8",
	[OT(UINT16)] = "uint16", [OT(UINT32)] = "uint32", [OT(INT8)] = "int8",
	[OT(INT16)] = "int16", [OT(INT32)] = "int32", [OT(IPV4)] = "ipv4-address",
	[OT(IPV6)] = "ipv6-address", [OT(IPV6_PREFIX)] = "ipv6-prefix", [OT(PSID)] = "psid",
	[OT(TUPLE)] = "tuple", [OT(RECORD)] = "record",
};

const char *dhcp6_opt_type_name(enum dhcp6_opt_type t)
{
	return (unsigned)t <= OT(RECORD) ? type_names[t] : "?";
}

int dhcp6_opt_type_by_name(const char *name)
{
	for (int t = OT(EMPTY); t <= OT(RECORD); t++)
		if (strcmp(type_names[t], name) == 0)
			return t;
	return -1;
}

/* ------------------------------------------------------------------------
 * Values
 */

/* "text/number" split at the slash: the address or PSID part into buf,
 * the number after the slash into *n (0..max).  Blanks are allowed
 * anywhere (Kea removes them). */
static int split_slash(struct opt_enc *e, const char *tok, char *buf, size_t len, long long max,
		       long long *n, const char *what)
{
	char clean[128];
	size_t o = 0;
	const char *slash;

	for (const char *p = tok; *p && o + 1 < sizeof(clean); p++)
		if (*p != ' ' && *p != '\t')
			clean[o++] = *p;
	clean[o] = '\0';
	slash = strchr(clean, '/');
	if (slash == NULL || (size_t)(slash - clean) >= len)
		return opt_enc_fail(e, "invalid %s '%s' (expected value/length)", what, tok);
	memcpy(buf, clean, (size_t)(slash - clean));
	buf[slash - clean] = '\0';
	if (!opt_parse_int(slash + 1, n) || *n < 0 || *n > max)
		return opt_enc_fail(e, "invalid length in %s '%s' (0..%lld)", what, tok, max);
	return 0;
}

static int parse_ipv6(struct opt_enc *e, const char *tok, uint8_t a[16])
{
	if (inet_pton(AF_INET6, tok, a) != 1)
		return opt_enc_fail(e, "invalid IPv6 address '%s'", tok);
	return 0;
}

/* "2001:db8::/48" -> the length, then the prefix's significant bytes
 * with the bits past the length cleared (Kea's writePrefix). */
static int encode_prefix(struct opt_enc *e, const char *tok)
{
	char addr[64];
	uint8_t a[16];
	long long len;
	size_t bytes;

	if (split_slash(e, tok, addr, sizeof(addr), 128, &len, "IPv6 prefix") < 0 ||
	    parse_ipv6(e, addr, a) < 0)
		return -1;
	bytes = ((size_t)len + 7) / 8;
	if (len % 8)
		a[bytes - 1] &= (uint8_t)(0xff << (8 - len % 8));
	if (opt_enc_u8(e, (uint8_t)len) < 0)
		return -1;
	return opt_enc_put(e, a, bytes);
}

/* "psid/psid-len" (RFC 7597 5.1): the length, then the PSID in the high
 * bits of 2 bytes. */
static int encode_psid(struct opt_enc *e, const char *tok)
{
	char v[32];
	long long len, psid;

	if (split_slash(e, tok, v, sizeof(v), 16, &len, "PSID") < 0)
		return -1;
	if (!opt_parse_int(v, &psid) || psid < 0 || psid > 0xffff)
		return opt_enc_fail(e, "invalid PSID value in '%s'", tok);
	if (psid >> len != 0)
		return opt_enc_fail(e, "PSID %lld does not fit in %lld bits", psid, len);
	if (opt_enc_u8(e, (uint8_t)len) < 0)
		return -1;
	return opt_enc_uint(e, len ? (uint32_t)psid << (16 - len) : 0, 2);
}

static int encode_value(struct opt_enc *e, enum dhcp6_opt_type t, const char *tok)
{
	uint8_t a6[16];
	uint32_t a;
	size_t n;

	switch (t) {
	case OT(UINT8): return opt_enc_int(e, tok, 1, false, type_names[t]);
	case OT(UINT16): return opt_enc_int(e, tok, 2, false, type_names[t]);
	case OT(UINT32): return opt_enc_int(e, tok, 4, false, type_names[t]);
	case OT(INT8): return opt_enc_int(e, tok, 1, true, type_names[t]);
	case OT(INT16): return opt_enc_int(e, tok, 2, true, type_names[t]);
	case OT(INT32): return opt_enc_int(e, tok, 4, true, type_names[t]);
	case OT(BOOL): return opt_enc_bool(e, tok);
	case OT(FQDN): return opt_enc_fqdn(e, tok);
	case OT(BINARY): return opt_enc_hex(e, tok);
	case OT(IPV6_PREFIX): return encode_prefix(e, tok);
	case OT(PSID): return encode_psid(e, tok);
	case OT(IPV4):
		if (opt_enc_parse_ipv4(e, tok, &a) < 0)
			return -1;
		return opt_enc_ipv4_bytes(e, a, 4);
	case OT(IPV6):
		if (parse_ipv6(e, tok, a6) < 0)
			return -1;
		return opt_enc_put(e, a6, 16);
	case OT(STRING):
		if (*tok == '\0')
			return opt_enc_fail(e, "empty string value");
		return opt_enc_put(e, tok, strlen(tok));
	case OT(TUPLE):
		n = strlen(tok);
		if (n > 0xffff)
			return opt_enc_fail(e, "tuple longer than 65535 bytes");
		if (opt_enc_uint(e, (uint32_t)n, 2) < 0)
			return -1;
		return opt_enc_put(e, tok, n);
	case OT(EMPTY):
	case OT(RECORD):
		break;
	}
	return opt_enc_fail(e, "cannot encode a value of type %s", dhcp6_opt_type_name(t));
}

static int encode_tokens(struct opt_enc *e, const void *arg, const struct opt_tokens *t)
{
	const struct dhcp6_opt_def *def = arg;
	int nfields = 1;

	if (def->type == OT(RECORD)) {
		nfields = 0;
		while (def->fields[nfields] >= 0)
			nfields++;
	}
	if (def->array ? t->n < nfields : t->n != nfields)
		return opt_enc_fail(e, "option '%s' takes %s%d value%s, got %d", def->name,
				    def->array && nfields > 1 ? "at least " : "", nfields,
				    nfields == 1 ? "" : "s", t->n);
	for (int i = 0; i < t->n; i++) {
		enum dhcp6_opt_type ty = def->type;

		/* Kea's array of records repeats the last field. */
		if (ty == OT(RECORD))
			ty = (enum dhcp6_opt_type)def->fields[i < nfields ? i : nfields - 1];
		if (encode_value(e, ty, t->tok[i]) < 0)
			return -1;
	}
	return 0;
}


/* csv-format false: 'quoted text' as its bytes, else hex (Kea's
 * quotedStringToBinary, then decodeFormattedHexString). */
static int encode_raw(struct opt_enc *e, const char *data)
{
	size_t n;

	while (*data == ' ' || *data == '\t')
		data++;
	n = strlen(data);
	while (n > 0 && (data[n - 1] == ' ' || data[n - 1] == '\t'))
		n--;
	if (n >= 2 && data[0] == '\'' && data[n - 1] == '\'')
		return opt_enc_put(e, data + 1, n - 2);
	return opt_enc_hex(e, data);
}

int dhcp6_opt_encode(const struct dhcp6_opt_def *def, const char *data, bool csv_format,
		     uint8_t *out, size_t cap, char *err, size_t errlen)
{
	struct opt_enc e = { .out = out, .len = 0, .err = err, .errlen = errlen };
	int rc;

	e.cap = cap < DHCP6_VALUE_MAX ? cap : DHCP6_VALUE_MAX;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (data == NULL)
		data = "";
	if (def == NULL || !csv_format)
		rc = encode_raw(&e, data);
	else
		rc = opt_enc_csv(&e, data, def->name, def->type != OT(EMPTY), encode_tokens, def);
	return rc < 0 ? -1 : (int)e.len;
}

/* ------------------------------------------------------------------------
 * Encapsulation
 */

int dhcp6_opt_put(uint8_t *out, size_t cap, size_t *len, uint16_t code, const void *data,
		  size_t dlen)
{
	if (cap > DHCP6_VALUE_MAX)
		cap = DHCP6_VALUE_MAX;
	if (dlen > 0xffff || *len > cap || 4 + dlen > cap - *len)
		return -ENOSPC;
	out[*len] = (uint8_t)(code >> 8);
	out[*len + 1] = (uint8_t)code;
	out[*len + 2] = (uint8_t)(dlen >> 8);
	out[*len + 3] = (uint8_t)dlen;
	if (dlen)
		memcpy(out + *len + 4, data, dlen);
	*len += 4 + dlen;
	return 0;
}

int dhcp6_opt_encapsulate(uint8_t *out, size_t cap, const uint8_t *head, size_t head_len,
			  const struct dhcp6_subopt *subs, unsigned n)
{
	size_t len = head_len;

	if (cap > DHCP6_VALUE_MAX)
		cap = DHCP6_VALUE_MAX;
	if (head_len > cap)
		return -ENOSPC;
	if (head_len && out != head)
		memmove(out, head, head_len);
	for (unsigned i = 0; i < n; i++)
		if (dhcp6_opt_put(out, cap, &len, subs[i].code, subs[i].data, subs[i].len) < 0)
			return -ENOSPC;
	return (int)len;
}

int dhcp6_opt_vendor_opts(uint8_t *out, size_t cap, uint32_t enterprise,
			  const struct dhcp6_subopt *subs, unsigned n)
{
	uint8_t ent[4] = {
		(uint8_t)(enterprise >> 24), (uint8_t)(enterprise >> 16),
		(uint8_t)(enterprise >> 8), (uint8_t)enterprise,
	};

	return dhcp6_opt_encapsulate(out, cap, ent, sizeof(ent), subs, n);
}
