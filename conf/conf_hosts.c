/* Host reservations: the reservations lists (global and per subnet), the
 * identifier types they are looked up by (host-reservation-identifiers,
 * flex-id-expression), and the checks across all of them. */
#include "conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hid_names[CONF_HID_MAX] = {
	[CONF_HID_HW_ADDRESS] = "hw-address", [CONF_HID_DUID] = "duid",
	[CONF_HID_CIRCUIT_ID] = "circuit-id", [CONF_HID_CLIENT_ID] = "client-id",
	[CONF_HID_FLEX_ID] = "flex-id",
};

const char *conf_hid_name(enum conf_hid t)
{
	return (unsigned)t < CONF_HID_MAX ? hid_names[t] : "?";
}

/* ------------------------------------------------------------------------
 * host-reservation-identifiers, flex-id-expression
 */

int conf_parse_id_list(struct conf_ld *ld, const config_setting_t *s, unsigned allowed,
		       uint8_t *order, unsigned *n_order)
{
	int type = config_setting_type(s), n = config_setting_length(s);
	const char *key = "host-reservation-identifiers";
	char names[128] = "";

	for (unsigned t = 0; t < CONF_HID_MAX; t++) {
		size_t l = strlen(names);

		if (allowed & (1u << t))
			snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "", hid_names[t]);
	}
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'%s' must be an array of strings [ ... ], not %s", key,
				conf_type_name(type));
	if (n == 0)
		return conf_err(ld, s, "'%s' is empty (no reservation could ever match)", key);
	*n_order = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = conf_string(ld, e, key);
		unsigned t;

		if (v == NULL)
			return -1;
		for (t = 0; t < CONF_HID_MAX; t++)
			if ((allowed & (1u << t)) && strcmp(hid_names[t], v) == 0)
				break;
		if (t == CONF_HID_MAX)
			return conf_err(ld, e, "'%s': unknown identifier \"%s\" (%s)", key, v, names);
		for (unsigned j = 0; j < *n_order; j++)
			if (order[j] == t)
				return conf_err(ld, e, "'%s': \"%s\" is listed twice", key, v);
		order[(*n_order)++] = (uint8_t)t;
	}
	return 0;
}

int conf_parse_hr_ids(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_parse_id_list(ld, s, (1u << CONF_HID_MAX) - 1, ld->x->hr_order, &ld->x->n_hr_order);
}

int conf_compile_flex(struct conf_ld *ld, const config_setting_t *s, struct cls_registry *reg,
		      enum cls_universe universe, struct cls_prog **out)
{
	const char *v = conf_string(ld, s, "flex-id-expression");
	struct cls_compile_params p = { .result = CLS_T_STRING, .universe = universe };
	struct cls_err cerr;

	if (v == NULL)
		return -1;
	p.text = v;
	p.reg = reg;
	memset(&cerr, 0, sizeof(cerr));
	cls_prog_free(*out);
	*out = cls_compile(&p, &cerr);
	if (*out == NULL) {
		if (errno == ENOMEM)
			return conf_nomem(ld, s);
		return conf_err(ld, s, "'flex-id-expression': %s", cerr.msg);
	}
	return 0;
}

int conf_parse_flex_expr(struct conf_ld *ld, const config_setting_t *s)
{
	return conf_compile_flex(ld, s, ld->x->reg, CLS_V4, &ld->x->flex_expr);
}

/* ------------------------------------------------------------------------
 * Reservations
 */

struct xhost {
	const char *ids[CONF_HID_MAX];
	uint32_t addr;
	char hostname[256];
	uint32_t next_server;
	char server_hostname[64];
	char boot_file_name[128];
};

/* Rows 0..4 are the identifiers, in enum conf_hid order. */
static const struct conf_key host_keys[] = {
	STRP("hw-address", struct xhost, ids[CONF_HID_HW_ADDRESS]),
	STRP("duid", struct xhost, ids[CONF_HID_DUID]),
	STRP("circuit-id", struct xhost, ids[CONF_HID_CIRCUIT_ID]),
	STRP("client-id", struct xhost, ids[CONF_HID_CLIENT_ID]),
	STRP("flex-id", struct xhost, ids[CONF_HID_FLEX_ID]),
	IPV4("ip-address", struct xhost, addr),
	STR("hostname", struct xhost, hostname, ""),
	ANY("option-data"),
	ANY("client-classes"),
	IPV4("next-server", struct xhost, next_server),
	STR("server-hostname", struct xhost, server_hostname, ""),
	STR("boot-file-name", struct xhost, boot_file_name, ""),
};
static const struct conf_table host_table = TABLE("in a reservations entry", host_keys);

int conf_parse_host_id(struct conf_ld *ld, const config_setting_t *s, unsigned type,
		       const char *v, uint8_t id[CONF_HOST_ID_MAX], uint8_t *id_len)
{
	size_t n = strlen(v), max = type == CONF_HID_HW_ADDRESS ? 16 : CONF_HOST_ID_MAX;
	uint8_t buf[255];
	char why[128];
	int len;

	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
		len = (int)n - 2;
		if ((size_t)len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, v + 1, (size_t)len);
	} else {
		len = dhcp4_opt_encode(NULL, v, false, buf, why, sizeof(why));
		if (len < 0)
			return conf_err(ld, s, "'%s': \"%s\" is neither hex bytes (01:02:03) nor 'text' in "
					"single quotes", hid_names[type], v);
	}
	if (len == 0)
		return conf_err(ld, s, "'%s' is empty", hid_names[type]);
	if ((size_t)len > max)
		return conf_err(ld, s, "'%s' is %d bytes, at most %zu fit", hid_names[type], len, max);
	if (type == CONF_HID_CLIENT_ID && len < 2)
		return conf_err(ld, s, "'client-id' needs at least 2 bytes (RFC 2132 9.14)");
	*id_len = (uint8_t)len;
	memcpy(id, buf, (size_t)len);
	return 0;
}

static int parse_host(struct conf_ld *ld, const config_setting_t *e, const struct conf_subnet *sn,
		      struct conf_host *h)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s_id = NULL, *s_addr, *s_opts, *s_cls;
	struct xhost v;
	unsigned type = CONF_HID_MAX;

	memset(&v, 0, sizeof(v));
	if (conf_walk(ld, e, &host_table, &v, found) < 0)
		return -1;
	for (unsigned t = 0; t < CONF_HID_MAX; t++) {
		if (!found[t])
			continue;
		if (s_id)
			return conf_err(ld, found[t], "a reservation takes one identifier: '%s' and '%s' "
					"are both given", hid_names[type], hid_names[t]);
		s_id = found[t];
		type = t;
	}
	if (s_id == NULL)
		return conf_err(ld, e, "a reservation needs one of hw-address, duid, circuit-id, "
				"client-id or flex-id");
	h->subnet_id = sn ? sn->id : 0;
	h->line = conf_line(e);
	h->src = e;
	h->id_type = (uint8_t)type;
	if (conf_parse_host_id(ld, s_id, type, v.ids[type], h->id, &h->id_len) < 0)
		return -1;
	s_addr = conf_found(&host_table, found, "ip-address");
	if (s_addr) {
		char a[16], net[16];

		conf_ip4_str(v.addr, a);
		if (v.addr == 0)
			return conf_err(ld, s_addr, "'ip-address': 0.0.0.0 cannot be reserved");
		if (sn) {
			conf_ip4_str(sn->prefix, net);
			if ((v.addr & sn->mask) != sn->prefix)
				return conf_err(ld, s_addr, "'ip-address': %s is not inside subnet %s/%u",
						a, net, sn->prefix_len);
			if (sn->prefix_len < 31 && (v.addr == sn->prefix || v.addr == (sn->prefix | ~sn->mask)))
				return conf_err(ld, s_addr, "'ip-address': %s is the %s address of subnet "
						"%s/%u", a, v.addr == sn->prefix ? "network" : "broadcast",
						net, sn->prefix_len);
		}
		h->addr = v.addr;
	}
	memcpy(h->hostname, v.hostname, sizeof(h->hostname));
	h->next_server = v.next_server;
	memcpy(h->server_hostname, v.server_hostname, sizeof(h->server_hostname));
	memcpy(h->boot_file_name, v.boot_file_name, sizeof(h->boot_file_name));
	s_cls = conf_found(&host_table, found, "client-classes");
	if (s_cls && conf_parse_class_list(ld, s_cls, &h->classes) < 0)
		return -1;
	s_opts = conf_found(&host_table, found, "option-data");
	if (s_opts && conf_parse_options(ld, s_opts, &h->options) < 0)
		return -1;
	return 0;
}

int conf_parse_reservations(struct conf_ld *ld, const config_setting_t *s,
			    const struct conf_subnet *sn)
{
	struct conf_policy *x = ld->x;
	int n;

	if (conf_check_list(ld, s, "reservations") < 0)
		return -1;
	n = config_setting_length(s);
	if (conf_grow(ld, s, &x->hosts, sizeof(*x->hosts), &x->cap_hosts, x->n_hosts + (unsigned)n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct conf_host *h = &x->hosts[x->n_hosts];

		memset(h, 0, sizeof(*h));
		x->n_hosts++;
		if (parse_host(ld, config_setting_get_elem(s, (unsigned)i), sn, h) < 0)
			return -1;
	}
	return 0;
}

/* Global (obj is the conf) or the subnet being parsed (its id and prefix
 * are known: those rows come first in the subnet table). */
int conf_key_reservations(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	const struct conf_subnet *sn = obj == (void *)ld->c ? NULL : obj;

	(void)k;
	return conf_parse_reservations(ld, s, sn);
}

/* ------------------------------------------------------------------------
 * Cross checks, once everything is parsed
 */

/* Same scope, same identifier. */
static int host_id_cmp(unsigned a, unsigned b, void *arg)
{
	const struct conf_host *x = (const struct conf_host *)arg + a, *y = (const struct conf_host *)arg + b;

	if (x->subnet_id != y->subnet_id)
		return x->subnet_id < y->subnet_id ? -1 : 1;
	return conf_host_id_cmp(x->id_type, x->id, x->id_len, y->id_type, y->id, y->id_len);
}

/* Reserved addresses (the hosts without one are all "0" and skipped). */
static int host_addr_cmp(unsigned a, unsigned b, void *arg)
{
	const struct conf_host *x = (const struct conf_host *)arg + a, *y = (const struct conf_host *)arg + b;

	if (x->addr != y->addr || x->addr == 0)
		return x->addr < y->addr ? -1 : x->addr > y->addr ? 1 : a < b ? -1 : 1;
	return 0;
}

int conf_host_id_cmp(uint8_t ta, const uint8_t *a, uint8_t la, uint8_t tb, const uint8_t *b,
		     uint8_t lb)
{
	if (ta != tb)
		return (int)ta - (int)tb;
	if (la != lb)
		return (int)la - (int)lb;
	return memcmp(a, b, la);
}

void conf_host_id_str(const uint8_t *id, unsigned len, char *buf, size_t buflen)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < len && o + 4 < buflen; i++)
		o += (size_t)snprintf(buf + o, buflen - o, "%s%02x", i ? ":" : "", id[i]);
}

int conf_host_check_type(struct conf_ld *ld, const config_setting_t *s, const uint8_t *order,
			 unsigned n_order, bool have_flex, unsigned type)
{
	bool listed = false;

	for (unsigned j = 0; j < n_order; j++)
		listed |= order[j] == type;
	if (!listed)
		return conf_err(ld, s, "a reservation by %s never matches: \"%s\" is not in "
				"host-reservation-identifiers", hid_names[type], hid_names[type]);
	if (type == CONF_HID_FLEX_ID && !have_flex)
		return conf_err(ld, s, "a reservation by flex-id needs 'flex-id-expression'");
	return 0;
}

/* An error at reservation h (the setting is kept while loading). */
#define host_err(ld, h, ...) conf_err(ld, (const config_setting_t *)(h)->src, __VA_ARGS__)

int conf_hosts_check(struct conf_ld *ld)
{
	struct conf_policy *x = ld->x;
	char a[16], ids[3 * CONF_HOST_ID_MAX + 1];
	unsigned i, j;
	int r;

	for (i = 0; i < x->n_hosts; i++) {
		const struct conf_host *h = &x->hosts[i];

		if (conf_host_check_type(ld, h->src, x->hr_order, x->n_hr_order, x->flex_expr != NULL,
					 h->id_type) < 0)
			return -1;
	}
	r = conf_find_dup(ld, x->n_hosts, host_id_cmp, x->hosts, &i, &j);
	if (r > 0) {
		const struct conf_host *p = &x->hosts[i], *h = &x->hosts[j];

		conf_host_id_str(h->id, h->id_len, ids, sizeof(ids));
		if (h->subnet_id)
			return host_err(ld, h, "%s %s is already reserved in subnet %u (line %d)",
					hid_names[h->id_type], ids, h->subnet_id, p->line);
		return host_err(ld, h, "%s %s is already reserved globally (line %d)",
				hid_names[h->id_type], ids, p->line);
	}
	if (r == 0)
		r = conf_find_dup(ld, x->n_hosts, host_addr_cmp, x->hosts, &i, &j);
	if (r > 0) {
		conf_ip4_str(x->hosts[j].addr, a);
		return host_err(ld, &x->hosts[j], "address %s is already reserved (line %d)", a,
				x->hosts[i].line);
	}
	if (r < 0)
		return -1;
	for (i = 0; i < x->n_hosts; i++)
		x->hosts[i].src = NULL;
	return 0;
}
