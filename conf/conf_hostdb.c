/* Host reservations of a hosts-database merged into a snapshot.
 *
 * Each row is turned into the reservation a file would hold (a libconfig
 * group built in memory: hw-address = "01:02:..."; ip-address = ...;
 * option-data = (...)) and parsed by the very parsers the file's
 * reservations go through, so a database reservation is checked and
 * encoded exactly as the same reservation in the file would be.  What the
 * parsers refuse, and what would clash with a reservation already there,
 * leaves the row out with a warning naming its host_id: bad data in a
 * shared database must never stop the server or a reload.
 *
 * Order: the file's reservations first, then the rows by host_id (Kea
 * asks its configuration before its databases).
 */
#include "conf6_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conf_db_host_clear(struct conf_db_host *h)
{
	free(h->id);
	free(h->hostname);
	free(h->classes4);
	free(h->classes6);
	free(h->server_hostname);
	free(h->boot_file_name);
	for (unsigned i = 0; i < h->n_opts4; i++) {
		free(h->opts4[i].space);
		free(h->opts4[i].formatted);
		free(h->opts4[i].value);
	}
	for (unsigned i = 0; i < h->n_opts6; i++) {
		free(h->opts6[i].space);
		free(h->opts6[i].formatted);
		free(h->opts6[i].value);
	}
	free(h->opts4);
	free(h->opts6);
	for (unsigned i = 0; i < h->n_resv; i++)
		free(h->resv[i].address);
	free(h->resv);
	memset(h, 0, sizeof(*h));
}

void conf_db_hosts_free(struct conf_db_hosts *rows)
{
	if (rows == NULL)
		return;
	for (unsigned i = 0; i < rows->n; i++)
		conf_db_host_clear(&rows->h[i]);
	free(rows->h);
	memset(rows, 0, sizeof(*rows));
}

int conf_option_code(const struct conf *c, bool v6, const char *space, const char *name)
{
	if (!v6) {
		const struct conf_optdef *u = conf_policy_def_find(c->policy, space, name, -1);
		const struct dhcp4_opt_def *d;

		if (u)
			return u->def.code;
		if (space && strcmp(space, "dhcp4"))
			return -1;
		d = dhcp4_opt_def_by_name(name);
		return d ? d->code : -1;
	}
	if (c->v6 == NULL)
		return -1;
	if (space == NULL)
		space = "dhcp6";
	for (unsigned i = 0; i < c->v6->n_defs; i++)
		if (!strcmp(c->v6->defs[i].space, space) && !strcmp(c->v6->defs[i].name, name))
			return c->v6->defs[i].code;
	const struct dhcp6_opt_def *d = dhcp6_opt_def_by_name(space, name);

	return d ? d->code : -1;
}

/* ------------------------------------------------------------------------
 * Row -> libconfig reservation
 */

static const char *const id_keys[] = { "hw-address", "duid", "circuit-id", "client-id", "flex-id" };

static bool add_str(config_setting_t *g, const char *key, const char *v)
{
	config_setting_t *s = config_setting_add(g, key, CONFIG_TYPE_STRING);

	return s && config_setting_set_string(s, v) == CONFIG_TRUE;
}

static char *hex(const uint8_t *b, size_t n)
{
	char *out = malloc(n ? 3 * n : 1);

	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sprintf(out + 3 * i, i + 1 < n ? "%02x:" : "%02x", b[i]);
	return out;
}

static bool add_hex(config_setting_t *g, const char *key, const uint8_t *b, size_t n)
{
	char *h = hex(b, n);
	bool ok = h && add_str(g, key, h);

	free(h);
	return ok;
}

/* "a, b,c" (Kea writes "a,b") -> client-classes = [ "a", "b", "c" ] */
static bool add_classes(config_setting_t *g, const char *list)
{
	config_setting_t *a;
	const char *p = list;

	if (list == NULL || strspn(list, " ,") == strlen(list))
		return true;
	a = config_setting_add(g, "client-classes", CONFIG_TYPE_ARRAY);
	if (a == NULL)
		return false;
	while (*p) {
		size_t n;
		char name[256];

		p += strspn(p, " ");
		n = strcspn(p, ",");
		while (n && p[n - 1] == ' ')
			n--;
		if (n) {
			config_setting_t *e = config_setting_add(a, NULL, CONFIG_TYPE_STRING);

			snprintf(name, sizeof(name), "%.*s", (int)(n < 255 ? n : 255), p);
			if (e == NULL || config_setting_set_string(e, name) != CONFIG_TRUE)
				return false;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return true;
}

/* option-data = ( { code; space; data; csv-format; always-send; } ): the
 * text of formatted_value as csv, else the wire bytes of value as hex.
 * A code out of range is left for the parser to refuse (as an int). */
static bool add_options(config_setting_t *g, const struct conf_db_option *o, unsigned n)
{
	config_setting_t *l;

	if (n == 0)
		return true;
	l = config_setting_add(g, "option-data", CONFIG_TYPE_LIST);
	if (l == NULL)
		return false;
	for (unsigned i = 0; i < n; i++) {
		config_setting_t *e = config_setting_add(l, NULL, CONFIG_TYPE_GROUP), *s;
		bool csv = o[i].formatted != NULL;
		char *data = csv ? NULL : hex(o[i].value, o[i].has_value ? o[i].value_len : 0);

		if (e == NULL || (!csv && data == NULL) ||
		    (s = config_setting_add(e, "code", CONFIG_TYPE_INT64)) == NULL ||
		    config_setting_set_int64(s, o[i].code < 0 || o[i].code > 70000 ? 0 : o[i].code)
			    != CONFIG_TRUE ||
		    (o[i].space && !add_str(e, "space", o[i].space)) ||
		    !add_str(e, "data", csv ? o[i].formatted : data) ||
		    (s = config_setting_add(e, "csv-format", CONFIG_TYPE_BOOL)) == NULL ||
		    config_setting_set_bool(s, csv) != CONFIG_TRUE ||
		    (s = config_setting_add(e, "always-send", CONFIG_TYPE_BOOL)) == NULL ||
		    config_setting_set_bool(s, o[i].persistent) != CONFIG_TRUE) {
			free(data);
			return false;
		}
		free(data);
	}
	return true;
}

static bool add_ip4(config_setting_t *g, const char *key, int64_t v)
{
	char a[16];

	conf_ip4_str((uint32_t)v, a);
	return add_str(g, key, a);
}

/* The row's DHCPv4 reservation into group g.  why is set when the row
 * cannot be written as one (the parser explains the rest). */
static int build4(config_setting_t *g, const struct conf_db_host *h, char *why, size_t len)
{
	if (h->ipv4 < 0 || h->ipv4 > 0xffffffffLL || h->next_server < 0 ||
	    h->next_server > 0xffffffffLL) {
		snprintf(why, len, "ipv4_address or dhcp4_next_server is not an IPv4 address");
		return -1;
	}
	if (!add_hex(g, id_keys[h->id_type], h->id, h->id_len) ||
	    (h->ipv4 && !add_ip4(g, "ip-address", h->ipv4)) ||
	    (h->hostname && h->hostname[0] && !add_str(g, "hostname", h->hostname)) ||
	    !add_classes(g, h->classes4) ||
	    (h->next_server && !add_ip4(g, "next-server", h->next_server)) ||
	    (h->server_hostname && h->server_hostname[0] &&
	     !add_str(g, "server-hostname", h->server_hostname)) ||
	    (h->boot_file_name && h->boot_file_name[0] &&
	     !add_str(g, "boot-file-name", h->boot_file_name)) ||
	    !add_options(g, h->opts4, h->n_opts4)) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int build6(config_setting_t *g, const struct conf_db_host *h, char *why, size_t len)
{
	config_setting_t *addrs = NULL, *pfx = NULL, *e;
	char buf[96];

	if (h->id_type == CONF_HID_CIRCUIT_ID || h->id_type == CONF_HID_CLIENT_ID) {
		snprintf(why, len, "identifier type %s is not one of DHCPv6",
			 conf_hid_name((enum conf_hid)h->id_type));
		return -1;
	}
	if (!add_hex(g, id_keys[h->id_type], h->id, h->id_len))
		goto nomem;
	for (unsigned i = 0; i < h->n_resv; i++) {
		const struct conf_db_resv6 *r = &h->resv[i];
		config_setting_t **l = r->type == 2 ? &pfx : &addrs;

		if ((r->type != 0 && r->type != 2) || r->address == NULL ||
		    (r->type == 0 && r->prefix_len != 128) || r->prefix_len < 1 ||
		    r->prefix_len > 128) {
			snprintf(why, len, "ipv6_reservations row %u: type %lld, prefix_len %lld is "
				 "neither an address (0, 128) nor a prefix (2, 1..128)", i,
				 (long long)r->type, (long long)r->prefix_len);
			return -1;
		}
		if (*l == NULL && (*l = config_setting_add(g, r->type == 2 ? "prefixes" : "ip-addresses",
							   CONFIG_TYPE_ARRAY)) == NULL)
			goto nomem;
		if (r->type == 2)
			snprintf(buf, sizeof(buf), "%.60s/%lld", r->address, (long long)r->prefix_len);
		else
			snprintf(buf, sizeof(buf), "%.60s", r->address);
		if ((e = config_setting_add(*l, NULL, CONFIG_TYPE_STRING)) == NULL ||
		    config_setting_set_string(e, buf) != CONFIG_TRUE)
			goto nomem;
	}
	if ((h->hostname && h->hostname[0] && !add_str(g, "hostname", h->hostname)) ||
	    !add_classes(g, h->classes6) || !add_options(g, h->opts6, h->n_opts6))
		goto nomem;
	return 0;
nomem:
	snprintf(why, len, "out of memory");
	return -ENOMEM;
}

/* ------------------------------------------------------------------------
 * What is reserved already: identifiers per subnet, addresses and prefixes
 */

enum { K4_ID, K4_ADDR, K6_ID, K6_RESV };

struct key {
	uint64_t hash;                 /* 0 = empty slot */
	uint32_t host;
	uint16_t k;                    /* K6_RESV: which address (addrs, then prefixes) */
	uint8_t kind;
};

struct keyset {
	struct key *slot;
	size_t mask;
	const struct conf *c;
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* A key's bytes: kind, scope and value. */
static size_t key_bytes(const struct conf *c, const struct key *k, uint8_t *out)
{
	size_t n = 0;

	out[n++] = k->kind;
	if (k->kind == K4_ID || k->kind == K6_ID) {
		uint32_t sid = k->kind == K4_ID ? c->policy->hosts[k->host].subnet_id :
			       c->v6->hosts[k->host].subnet_id;
		const uint8_t *id = k->kind == K4_ID ? c->policy->hosts[k->host].id : c->v6->hosts[k->host].id;
		uint8_t t = k->kind == K4_ID ? c->policy->hosts[k->host].id_type : c->v6->hosts[k->host].id_type;
		uint8_t l = k->kind == K4_ID ? c->policy->hosts[k->host].id_len : c->v6->hosts[k->host].id_len;

		memcpy(out + n, &sid, 4);
		n += 4;
		out[n++] = t;
		out[n++] = l;
		memcpy(out + n, id, l);
		return n + l;
	}
	if (k->kind == K4_ADDR) {
		memcpy(out + n, &c->policy->hosts[k->host].addr, 4);
		return n + 4;
	}
	const struct conf6_host *h = &c->v6->hosts[k->host];
	struct lease_addr6 a;
	uint8_t len = 128;

	if (k->k < h->n_addrs) {
		a = h->addrs[k->k];
	} else {
		a = h->prefixes[k->k - h->n_addrs].prefix;
		len = h->prefixes[k->k - h->n_addrs].len;
	}
	memcpy(out + n, &a, sizeof(a));
	n += sizeof(a);
	out[n++] = len;
	return n;
}

#define KEY_MAX (1 + 4 + 2 + CONF_HOST_ID_MAX + sizeof(struct lease_addr6))

/* The entry holding the same key as k, or NULL; with add, k is added
 * when none does. */
static const struct key *keyset_find(struct keyset *ks, struct key k, bool add)
{
	uint8_t a[KEY_MAX], b[KEY_MAX];
	size_t na = key_bytes(ks->c, &k, a);
	size_t i;

	k.hash = mix(0xcbf29ce484222325ull, a, na) | 1;
	for (i = k.hash & ks->mask; ks->slot[i].hash; i = (i + 1) & ks->mask)
		if (ks->slot[i].hash == k.hash && key_bytes(ks->c, &ks->slot[i], b) == na &&
		    memcmp(a, b, na) == 0)
			return &ks->slot[i];
	if (add)
		ks->slot[i] = k;
	return NULL;
}

static int keyset_init(struct keyset *ks, const struct conf *c, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 16)
		cap *= 2;
	ks->slot = calloc(cap, sizeof(*ks->slot));
	ks->mask = cap - 1;
	ks->c = c;
	return ks->slot ? 0 : -ENOMEM;
}

static void who(const struct conf *c, bool v6, uint32_t host, char *buf, size_t len)
{
	int64_t id = v6 ? c->v6->hosts[host].db_id : c->policy->hosts[host].db_id;
	int line = v6 ? c->v6->hosts[host].line : c->policy->hosts[host].line;

	if (id)
		snprintf(buf, len, "host_id %lld", (long long)id);
	else
		snprintf(buf, len, "the configuration file (line %d)", line);
}

/* ------------------------------------------------------------------------
 * The merge
 */

/* The parser's message without its "file:line: " head. */
static const char *reason(const char *err)
{
	const char *p = err;

	while ((p = strchr(p, ':')) != NULL) {
		size_t d = strspn(p + 1, "0123456789");

		if (d && p[1 + d] == ':' && p[2 + d] == ' ')
			return p + 3 + d;
		p++;
	}
	return err;
}

/* Host i of the policy checked against what is there: 0 and its keys
 * added, or -1 with why. */
static int check4(struct keyset *ks, uint32_t i, char *why, size_t len)
{
	const struct conf *c = ks->c;
	const struct conf_host *h = &c->policy->hosts[i];
	const struct key *o;
	char w[64], a[16];

	o = keyset_find(ks, (struct key){ .host = i, .kind = K4_ID }, false);
	if (o) {
		who(c, false, o->host, w, sizeof(w));
		snprintf(why, len, "%s is already reserved %s%.0u by %s", conf_hid_name(h->id_type),
			 h->subnet_id ? "in subnet " : "globally", h->subnet_id, w);
		return -1;
	}
	if (h->addr && (o = keyset_find(ks, (struct key){ .host = i, .kind = K4_ADDR }, false))) {
		who(c, false, o->host, w, sizeof(w));
		conf_ip4_str(h->addr, a);
		snprintf(why, len, "address %s is already reserved by %s", a, w);
		return -1;
	}
	keyset_find(ks, (struct key){ .host = i, .kind = K4_ID }, true);
	if (h->addr)
		keyset_find(ks, (struct key){ .host = i, .kind = K4_ADDR }, true);
	return 0;
}

static int check6(struct keyset *ks, uint32_t i, char *why, size_t len)
{
	const struct conf *c = ks->c;
	const struct conf6_host *h = &c->v6->hosts[i];
	const struct key *o;
	char w[64], a[CONF_IP6_STRLEN];

	o = keyset_find(ks, (struct key){ .host = i, .kind = K6_ID }, false);
	if (o) {
		who(c, true, o->host, w, sizeof(w));
		snprintf(why, len, "%s is already reserved %s%.0u by %s", conf_hid_name(h->id_type),
			 h->subnet_id ? "in subnet " : "globally", h->subnet_id, w);
		return -1;
	}
	for (unsigned k = 0; k < h->n_addrs + h->n_prefixes; k++) {
		o = keyset_find(ks, (struct key){ .host = i, .k = (uint16_t)k, .kind = K6_RESV }, false);
		if (o) {
			who(c, true, o->host, w, sizeof(w));
			conf_ip6_str(k < h->n_addrs ? h->addrs[k] : h->prefixes[k - h->n_addrs].prefix, a);
			snprintf(why, len, "%s %s is already reserved by %s",
				 k < h->n_addrs ? "address" : "prefix", a, w);
			return -1;
		}
	}
	keyset_find(ks, (struct key){ .host = i, .kind = K6_ID }, true);
	for (unsigned k = 0; k < h->n_addrs + h->n_prefixes; k++)
		keyset_find(ks, (struct key){ .host = i, .k = (uint16_t)k, .kind = K6_RESV }, true);
	return 0;
}

static void drop4(struct conf_policy *x, unsigned from)
{
	while (x->n_hosts > from) {
		x->n_hosts--;
		free(x->hosts[x->n_hosts].options.opts);
		memset(&x->hosts[x->n_hosts], 0, sizeof(x->hosts[0]));
	}
}

static void drop6(struct conf6 *v6, unsigned from)
{
	while (v6->n_hosts > from) {
		struct conf6_host *h = &v6->hosts[--v6->n_hosts];

		free(h->addrs);
		free(h->prefixes);
		conf6_options_free(&h->options);
		memset(h, 0, sizeof(*h));
	}
}

/* One family of one row: parsed into c, checked, kept or dropped.
 * 1 kept, 0 left out (warned), -ENOMEM. */
static int merge_one(struct conf *c, struct keyset *ks, struct conf6_ld *l6,
		     const struct conf_db_host *h, bool v6, conf_db_warn_fn warn, void *arg)
{
	char err[512] = "", why[512] = "";
	struct conf_ld ld;
	config_t cf;
	config_setting_t *list, *g;
	unsigned before;
	int ret = 0, r;
	int64_t sid = v6 ? h->sub6 : h->sub4;
	const void *sn = NULL;

	if (sid < 0 || sid > 0xffffffffLL) {
		snprintf(why, sizeof(why), "dhcp%d_subnet_id %lld is not a subnet id", v6 ? 6 : 4,
			 (long long)sid);
		goto skip;
	}
	if (sid && !(sn = v6 ? (const void *)conf6_subnet_by_id(c->v6, (uint32_t)sid) :
			       (const void *)conf_subnet_by_id(c, (uint32_t)sid))) {
		snprintf(why, sizeof(why), "IPv%d subnet %lld is not configured", v6 ? 6 : 4,
			 (long long)sid);
		goto skip;
	}
	config_init(&cf);
	list = config_setting_add(config_root_setting(&cf), "reservations", CONFIG_TYPE_LIST);
	g = list ? config_setting_add(list, NULL, CONFIG_TYPE_GROUP) : NULL;
	r = g ? (v6 ? build6 : build4)(g, h, why, sizeof(why)) : -ENOMEM;
	if (r == -ENOMEM) {
		config_destroy(&cf);
		return -ENOMEM;
	}
	conf_ld_init(&ld, c->policy, "hosts-database", c, err, sizeof(err));
	if (v6) {
		ld.v6 = c->v6;
		ld.l6 = l6;
		before = c->v6->n_hosts;
		l6->cap_hosts = c->v6->n_hosts;   /* conf_grow reallocates past what is used */
		if (r == 0)
			r = conf6_key_reservations(&ld, list, sn ? (void *)sn : (void *)c->v6, NULL);
		if (r == 0)
			r = conf_host_check_type(&ld, g, c->v6->hr_order, c->v6->n_hr_order,
						 c->v6->flex_expr != NULL, (unsigned)h->id_type);
		if (r == 0) {
			c->v6->hosts[before].db_id = h->host_id;
			c->v6->hosts[before].line = 0;
			r = check6(ks, before, why, sizeof(why));
		} else if (!why[0]) {
			snprintf(why, sizeof(why), "%s", reason(err));
		}
		if (r)
			drop6(c->v6, before);
	} else {
		struct conf_policy *x = c->policy;

		before = x->n_hosts;
		if (r == 0)
			r = conf_parse_reservations(&ld, list, sn);
		if (r == 0)
			r = conf_host_check_type(&ld, g, x->hr_order, x->n_hr_order, x->flex_expr != NULL,
						 (unsigned)h->id_type);
		if (r == 0) {
			x->hosts[before].db_id = h->host_id;
			x->hosts[before].line = 0;
			x->hosts[before].src = NULL;
			r = check4(ks, before, why, sizeof(why));
		} else if (!why[0]) {
			snprintf(why, sizeof(why), "%s", reason(err));
		}
		if (r)
			drop4(x, before);
	}
	free(ld.refs);
	config_destroy(&cf);
	if (ld.errnum == ENOMEM)
		return -ENOMEM;
	if (r == 0)
		return 1;
	ret = 0;
skip:
	if (warn)
		warn(arg, h->host_id, v6, why);
	return ret;
}

int conf_merge_db_hosts(struct conf *c, const struct conf_db_hosts *rows, conf_db_warn_fn warn,
			void *arg, unsigned *n4, unsigned *n6)
{
	struct keyset k4 = { 0 }, k6 = { 0 };
	struct conf6_ld l6;
	size_t need4, need6 = 0;
	unsigned added4 = 0, added6 = 0;
	int ret = 0;

	memset(&l6, 0, sizeof(l6));
	need4 = 2 * ((size_t)c->policy->n_hosts + rows->n);
	if (c->v6) {
		need6 = c->v6->n_hosts + rows->n;
		for (unsigned i = 0; i < c->v6->n_hosts; i++)
			need6 += c->v6->hosts[i].n_addrs + c->v6->hosts[i].n_prefixes;
		for (unsigned i = 0; i < rows->n; i++)
			need6 += rows->h[i].n_resv;
	}
	if (keyset_init(&k4, c, need4) || keyset_init(&k6, c, need6)) {
		ret = -ENOMEM;
		goto out;
	}
	/* the file's own: unique among themselves (the loader checked) */
	for (uint32_t i = 0; i < c->policy->n_hosts; i++) {
		keyset_find(&k4, (struct key){ .host = i, .kind = K4_ID }, true);
		if (c->policy->hosts[i].addr)
			keyset_find(&k4, (struct key){ .host = i, .kind = K4_ADDR }, true);
	}
	for (uint32_t i = 0; c->v6 && i < c->v6->n_hosts; i++) {
		const struct conf6_host *h = &c->v6->hosts[i];

		keyset_find(&k6, (struct key){ .host = i, .kind = K6_ID }, true);
		for (unsigned k = 0; k < h->n_addrs + h->n_prefixes; k++)
			keyset_find(&k6, (struct key){ .host = i, .k = (uint16_t)k, .kind = K6_RESV }, true);
	}
	for (unsigned i = 0; i < rows->n; i++) {
		const struct conf_db_host *h = &rows->h[i];
		int r;

		if (h->id_type < 0 || h->id_type >= CONF_HID_MAX) {
			if (warn)
				warn(arg, h->host_id, h->has_sub6 && !h->has_sub4, "unknown "
				     "dhcp_identifier_type (0 hw-address, 1 duid, 2 circuit-id, "
				     "3 client-id, 4 flex-id)");
			continue;
		}
		if (h->has_sub4) {
			r = merge_one(c, &k4, &l6, h, false, warn, arg);
			if (r < 0) {
				ret = r;
				goto out;
			}
			added4 += (unsigned)r;
		}
		if (h->has_sub6 && c->v6) {
			r = merge_one(c, &k6, &l6, h, true, warn, arg);
			if (r < 0) {
				ret = r;
				goto out;
			}
			added6 += (unsigned)r;
		}
	}
out:
	free(k4.slot);
	free(k6.slot);
	free(l6.host_src);
	if (n4)
		*n4 = added4;
	if (n6)
		*n6 = added6;
	return ret;
}
