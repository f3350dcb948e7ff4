/* DHCPv4 option definitions and the config-string encoder.
 *
 * Names and types follow ISC Kea's standard DHCPv4 option definitions so a
 * Kea user's `option-data` entries mean the same thing here.  This runs on
 * the control thread when a configuration is loaded: clarity of the error
 * text matters more than speed.
 */
#include "dhcp4_options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "opt_enc.h"

#define OT(t) DHCP4_OT_##t

static const enum dhcp4_opt_type rec_slp_da[] = { OT(BOOL), OT(IPV4), OT(EMPTY) };
static const enum dhcp4_opt_type rec_slp_scope[] = { OT(BOOL), OT(STRING), OT(EMPTY) };
static const enum dhcp4_opt_type rec_fqdn[] = { OT(UINT8), OT(UINT8), OT(UINT8), OT(FQDN), OT(EMPTY) };
static const enum dhcp4_opt_type rec_ndi[] = { OT(UINT8), OT(UINT8), OT(UINT8), OT(EMPTY) };
static const enum dhcp4_opt_type rec_uuid[] = { OT(UINT8), OT(BINARY), OT(EMPTY) };
static const enum dhcp4_opt_type rec_vivco[] = { OT(UINT32), OT(BINARY), OT(EMPTY) };
static const enum dhcp4_opt_type rec_rdnss[] = { OT(UINT8), OT(IPV4), OT(IPV4), OT(FQDN), OT(EMPTY) };
static const enum dhcp4_opt_type rec_status[] = { OT(UINT8), OT(STRING), OT(EMPTY) };
static const enum dhcp4_opt_type rec_portparams[] = { OT(UINT8), OT(UINT8), OT(UINT16), OT(EMPTY) };

#define D(c, n, t, a)     { .code = c, .name = n, .type = OT(t), .array = a }
#define R(c, n, a, f)     { .code = c, .name = n, .type = OT(RECORD), .array = a, .fields = f }

/* Sorted by code.  Options 43 and 82 are encapsulated spaces in Kea; here
 * they are binary, so hex data (csv-format false) works for them.  Option
 * 121 is binary in the table but csv data in Kea's "prefix - router" form
 * is understood (see encode_classless_routes).  150 and 252 are not in
 * Kea's standard set (Kea users define them by hand); their names are the
 * ones commonly used. */
static const struct dhcp4_opt_def opt_defs[] = {
	D(1, "subnet-mask", IPV4, false),
	D(2, "time-offset", INT32, false),
	D(3, "routers", IPV4, true),
	D(4, "time-servers", IPV4, true),
	D(5, "name-servers", IPV4, true),
	D(6, "domain-name-servers", IPV4, true),
	D(7, "log-servers", IPV4, true),
	D(8, "cookie-servers", IPV4, true),
	D(9, "lpr-servers", IPV4, true),
	D(10, "impress-servers", IPV4, true),
	D(11, "resource-location-servers", IPV4, true),
	D(12, "host-name", STRING, false),
	D(13, "boot-size", UINT16, false),
	D(14, "merit-dump", STRING, false),
	D(15, "domain-name", STRING, false),
	D(16, "swap-server", IPV4, false),
	D(17, "root-path", STRING, false),
	D(18, "extensions-path", STRING, false),
	D(19, "ip-forwarding", BOOL, false),
	D(20, "non-local-source-routing", BOOL, false),
	D(21, "policy-filter", IPV4, true),
	D(22, "max-dgram-reassembly", UINT16, false),
	D(23, "default-ip-ttl", UINT8, false),
	D(24, "path-mtu-aging-timeout", UINT32, false),
	D(25, "path-mtu-plateau-table", UINT16, true),
	D(26, "interface-mtu", UINT16, false),
	D(27, "all-subnets-local", BOOL, false),
	D(28, "broadcast-address", IPV4, false),
	D(29, "perform-mask-discovery", BOOL, false),
	D(30, "mask-supplier", BOOL, false),
	D(31, "router-discovery", BOOL, false),
	D(32, "router-solicitation-address", IPV4, false),
	D(33, "static-routes", IPV4, true),
	D(34, "trailer-encapsulation", BOOL, false),
	D(35, "arp-cache-timeout", UINT32, false),
	D(36, "ieee802-3-encapsulation", BOOL, false),
	D(37, "default-tcp-ttl", UINT8, false),
	D(38, "tcp-keepalive-interval", UINT32, false),
	D(39, "tcp-keepalive-garbage", BOOL, false),
	D(40, "nis-domain", STRING, false),
	D(41, "nis-servers", IPV4, true),
	D(42, "ntp-servers", IPV4, true),
	D(43, "vendor-encapsulated-options", BINARY, false),
	D(44, "netbios-name-servers", IPV4, true),
	D(45, "netbios-dd-server", IPV4, true),
	D(46, "netbios-node-type", UINT8, false),
	D(47, "netbios-scope", STRING, false),
	D(48, "font-servers", IPV4, true),
	D(49, "x-display-manager", IPV4, true),
	D(50, "dhcp-requested-address", IPV4, false),
	D(51, "dhcp-lease-time", UINT32, false),
	D(52, "dhcp-option-overload", UINT8, false),
	D(53, "dhcp-message-type", UINT8, false),
	D(54, "dhcp-server-identifier", IPV4, false),
	D(55, "dhcp-parameter-request-list", UINT8, true),
	D(56, "dhcp-message", STRING, false),
	D(57, "dhcp-max-message-size", UINT16, false),
	D(58, "dhcp-renewal-time", UINT32, false),
	D(59, "dhcp-rebinding-time", UINT32, false),
	D(60, "vendor-class-identifier", STRING, false),
	D(61, "dhcp-client-identifier", BINARY, false),
	D(62, "nwip-domain-name", STRING, false),
	D(63, "nwip-suboptions", BINARY, false),
	D(64, "nisplus-domain-name", STRING, false),
	D(65, "nisplus-servers", IPV4, true),
	D(66, "tftp-server-name", STRING, false),
	D(67, "boot-file-name", STRING, false),
	D(68, "mobile-ip-home-agent", IPV4, true),
	D(69, "smtp-server", IPV4, true),
	D(70, "pop-server", IPV4, true),
	D(71, "nntp-server", IPV4, true),
	D(72, "www-server", IPV4, true),
	D(73, "finger-server", IPV4, true),
	D(74, "irc-server", IPV4, true),
	D(75, "streettalk-server", IPV4, true),
	D(76, "streettalk-directory-assistance-server", IPV4, true),
	D(77, "user-class", BINARY, false),
	R(78, "slp-directory-agent", true, rec_slp_da),
	R(79, "slp-service-scope", false, rec_slp_scope),
	R(81, "fqdn", false, rec_fqdn),
	D(82, "dhcp-agent-options", BINARY, false),
	D(85, "nds-servers", IPV4, true),
	D(86, "nds-tree-name", STRING, false),
	D(87, "nds-context", STRING, false),
	D(88, "bcms-controller-names", FQDN, true),
	D(89, "bcms-controller-address", IPV4, true),
	D(90, "authenticate", BINARY, false),
	D(91, "client-last-transaction-time", UINT32, false),
	D(92, "associated-ip", IPV4, true),
	D(93, "client-system", UINT16, true),
	R(94, "client-ndi", false, rec_ndi),
	R(97, "uuid-guid", false, rec_uuid),
	D(98, "uap-servers", STRING, false),
	D(99, "geoconf-civic", BINARY, false),
	D(100, "pcode", STRING, false),
	D(101, "tcode", STRING, false),
	D(108, "v6-only-preferred", UINT32, false),
	D(112, "netinfo-server-address", IPV4, true),
	D(113, "netinfo-server-tag", STRING, false),
	D(114, "v4-captive-portal", STRING, false),
	D(116, "auto-config", UINT8, false),
	D(117, "name-service-search", UINT16, true),
	D(118, "subnet-selection", IPV4, false),
	D(119, "domain-search", FQDN, true),
	D(121, "classless-static-route", BINARY, false),
	R(124, "vivco-suboptions", false, rec_vivco),
	D(125, "vivso-suboptions", UINT32, false),
	D(136, "pana-agent", IPV4, true),
	D(137, "v4-lost", FQDN, false),
	D(138, "capwap-ac-v4", IPV4, true),
	D(141, "sip-ua-cs-domains", FQDN, true),
	R(146, "rdnss-selection", true, rec_rdnss),
	D(150, "tftp-server-address", IPV4, true),
	R(151, "status-code", false, rec_status),
	D(152, "base-time", UINT32, false),
	D(153, "start-time-of-state", UINT32, false),
	D(154, "query-start-time", UINT32, false),
	D(155, "query-end-time", UINT32, false),
	D(156, "dhcp-state", UINT8, false),
	D(157, "data-source", UINT8, false),
	R(159, "v4-portparams", false, rec_portparams),
	D(213, "v4-access-domain", FQDN, false),
	D(252, "wpad-proxy-url", STRING, false),
};

#define N_DEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

const struct dhcp4_opt_def *dhcp4_opt_def_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < N_DEFS; i++)
		if (strcmp(opt_defs[i].name, name) == 0)
			return &opt_defs[i];
	return NULL;
}

const struct dhcp4_opt_def *dhcp4_opt_def_by_code(uint8_t code)
{
	for (size_t i = 0; i < N_DEFS; i++)
		if (opt_defs[i].code == code)
			return &opt_defs[i];
	return NULL;
}

static const char *type_name(enum dhcp4_opt_type t)
{
	switch (t) {
	case OT(EMPTY): return "empty";
	case OT(BINARY): return "binary";
	case OT(STRING): return "string";
	case OT(FQDN): return "fqdn";
	case OT(BOOL): return "boolean";
	case OT(UINT8): return "uint8";
	case OT(UINT16): return "uint16";
	case OT(UINT32): return "uint32";
	case OT(INT8): return "int8";
	case OT(INT16): return "int16";
	case OT(INT32): return "int32";
	case OT(IPV4): return "ipv4-address";
	case OT(RECORD): return "record";
	}
	return "?";
}

#define ENC_MAX 255

/* Integers: width and signedness of each type. */
static int encode_int(struct opt_enc *e, enum dhcp4_opt_type t, const char *tok)
{
	switch (t) {
	case OT(UINT8): return opt_enc_int(e, tok, 1, false, type_name(t));
	case OT(UINT16): return opt_enc_int(e, tok, 2, false, type_name(t));
	case OT(UINT32): return opt_enc_int(e, tok, 4, false, type_name(t));
	case OT(INT8): return opt_enc_int(e, tok, 1, true, type_name(t));
	case OT(INT16): return opt_enc_int(e, tok, 2, true, type_name(t));
	default: return opt_enc_int(e, tok, 4, true, type_name(t));
	}
}

static int encode_value(struct opt_enc *e, enum dhcp4_opt_type t, const char *tok)
{
	uint32_t a;

	switch (t) {
	case OT(UINT8): case OT(UINT16): case OT(UINT32):
	case OT(INT8): case OT(INT16): case OT(INT32):
		return encode_int(e, t, tok);
	case OT(IPV4):
		if (opt_enc_parse_ipv4(e, tok, &a) < 0)
			return -1;
		return opt_enc_ipv4_bytes(e, a, 4);
	case OT(BOOL):
		return opt_enc_bool(e, tok);
	case OT(FQDN):
		return opt_enc_fqdn(e, tok);
	case OT(STRING):
		/* RFC 2132 2: NVT ASCII options carry at least one byte. */
		if (*tok == '\0')
			return opt_enc_fail(e, "empty string value");
		return opt_enc_put(e, tok, strlen(tok));
	case OT(BINARY):
		return opt_enc_hex(e, tok);
	case OT(EMPTY):
	case OT(RECORD):
		break;
	}
	return opt_enc_fail(e, "cannot encode a value of type %s", type_name(t));
}

/* RFC 3442 routes written as Kea does: "10.0.0.0/8 - 10.1.1.1, ...".
 * Each route is the prefix length, the significant octets of the
 * destination, then the router. */
static int encode_classless_routes(struct opt_enc *e, const struct opt_tokens *t)
{
	for (int i = 0; i < t->n; i++) {
		char dst[32], rtr[32];
		unsigned plen;
		int used = 0;
		uint32_t d, r;

		if (sscanf(t->tok[i], "%31[0-9.] / %u - %31[0-9.] %n", dst, &plen, rtr, &used) != 3 ||
		    t->tok[i][used] != '\0')
			return opt_enc_fail(e, "invalid classless static route '%s' (expected "
					    "prefix/len - router)", t->tok[i]);
		if (plen > 32)
			return opt_enc_fail(e, "prefix length %u out of range in route '%s'", plen,
					    t->tok[i]);
		if (opt_enc_parse_ipv4(e, dst, &d) < 0 || opt_enc_parse_ipv4(e, rtr, &r) < 0)
			return -1;
		if (opt_enc_u8(e, (uint8_t)plen) < 0 || opt_enc_ipv4_bytes(e, d, (plen + 7) / 8) < 0 ||
		    opt_enc_ipv4_bytes(e, r, 4) < 0)
			return -1;
	}
	return 0;
}

/* RFC 3925 option 125 written as Kea's vivso-suboptions: one or more
 * enterprise numbers.  Each becomes a block with data-len 0; the config
 * loader appends the vendor-<enterprise> sub-options to it afterwards
 * (dhcp4_opt_put_vivso).  Without the data-len byte a client would read
 * the next block's first byte as a length. */
static int encode_vivso(struct opt_enc *e, const struct opt_tokens *t)
{
	for (int i = 0; i < t->n; i++) {
		if (encode_int(e, OT(UINT32), t->tok[i]) < 0 || opt_enc_u8(e, 0) < 0)
			return -1;
	}
	return 0;
}

static int encode_tokens(struct opt_enc *e, const void *arg, const struct opt_tokens *t)
{
	const struct dhcp4_opt_def *def = arg;
	int nfields = 1;

	if (def->code == 121 && def->type == OT(BINARY))
		return encode_classless_routes(e, t);
	if (def->code == 125 && def->type == OT(UINT32))
		return encode_vivso(e, t);

	if (def->type == OT(RECORD)) {
		nfields = 0;
		while (def->fields[nfields] != OT(EMPTY))
			nfields++;
	}
	if (!def->array && t->n != nfields)
		return opt_enc_fail(e, "option '%s' takes %d value%s, got %d", def->name, nfields,
				    nfields == 1 ? "" : "s", t->n);
	if (def->array && t->n % nfields != 0)
		return opt_enc_fail(e, "option '%s' takes groups of %d values, got %d", def->name,
				    nfields, t->n);

	for (int i = 0; i < t->n; i++) {
		enum dhcp4_opt_type ty = def->type == OT(RECORD) ? def->fields[i % nfields] : def->type;

		if (encode_value(e, ty, t->tok[i]) < 0)
			return -1;
	}
	return 0;
}


int dhcp4_opt_encode(const struct dhcp4_opt_def *def, const char *data, bool csv_format,
		     uint8_t out[255], char *err, size_t errlen)
{
	struct opt_enc e = { .out = out, .len = 0, .cap = ENC_MAX, .err = err, .errlen = errlen };
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (data == NULL)
		data = "";
	if (def == NULL || !csv_format)
		rc = opt_enc_hex(&e, data);
	else
		rc = opt_enc_csv(&e, data, def->name, def->type != OT(EMPTY), encode_tokens, def);
	return rc < 0 ? -1 : (int)e.len;
}

int dhcp4_opt_put_sub(uint8_t out[255], size_t *len, uint8_t code, const void *data, size_t dlen)
{
	if (dlen > 255 || *len + 2 + dlen > ENC_MAX)
		return -ENOSPC;
	out[*len] = code;
	out[*len + 1] = (uint8_t)dlen;
	if (dlen)
		memcpy(out + *len + 2, data, dlen);
	*len += 2 + dlen;
	return 0;
}

int dhcp4_opt_put_vivso(uint8_t out[255], size_t *len, uint32_t enterprise, const uint8_t *subs,
			size_t subs_len)
{
	if (subs_len > 255 || *len + 5 + subs_len > ENC_MAX)
		return -ENOSPC;
	out[*len] = (uint8_t)(enterprise >> 24);
	out[*len + 1] = (uint8_t)(enterprise >> 16);
	out[*len + 2] = (uint8_t)(enterprise >> 8);
	out[*len + 3] = (uint8_t)enterprise;
	out[*len + 4] = (uint8_t)subs_len;
	if (subs_len)
		memcpy(out + *len + 5, subs, subs_len);
	*len += 5 + subs_len;
	return 0;
}

const char *dhcp4_opt_type_name(enum dhcp4_opt_type t)
{
	return type_name(t);
}

int dhcp4_opt_type_by_name(const char *name)
{
	for (int t = OT(EMPTY); t <= OT(RECORD); t++)
		if (strcmp(type_name((enum dhcp4_opt_type)t), name) == 0)
			return t;
	return -1;
}
