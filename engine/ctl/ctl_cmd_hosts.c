/* Host reservations from a hosts-database, and Kea's host_cmds commands:
 * reservation-add, reservation-get, reservation-get-all,
 * reservation-get-page and reservation-del.
 *
 * The database's reservations live in the snapshot beside the file's
 * (conf_merge_db_hosts), so the workers' lookups, KNOWN and the host's
 * options are the file's code paths.  The rows of the running snapshot
 * are kept here (s->db_hosts): a config-reload merges them again without
 * asking the database.  A command that writes (one transaction) re-reads
 * the store and reloads the running configuration with it, which
 * publishes a new snapshot to the workers without stopping them; so does
 * the periodic refresh when the store changed (another server, Kea,
 * redis-cli).  The store is PostgreSQL or Redis (backends/hostdb.h).
 * Everything here runs on the control thread or on main, never on a
 * worker; s->lock serialises the database connection.
 *
 * Family: a request with "service": ["dhcp6"], or a reservation with
 * ip-addresses or prefixes, is about DHCPv6 (Kea's kea-dhcp6 answers it);
 * anything else about DHCPv4.  get answers from the running snapshot
 * (the file's reservations and the database's as last read). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "hostdb.h"
#include "log.h"

/* How the logs and answers name the database: its name, or (a redis
 * store without a name: database 0, no prefix) its type. */
static const char *db_label(const struct conf *c)
{
	return c->hosts_db.db.name[0] ? c->hosts_db.db.name : conf_db_type_name(c->hosts_db.db.type);
}

static void warn_row(void *arg, int64_t host_id, bool v6, const char *why)
{
	(void)arg;
	LOG_W("hosts-database: host_id %" PRId64 " (DHCPv%d part) left out: %s", host_id,
	      v6 ? 6 : 4, why);
}

int dp_srv_hosts_merge(struct dp_srv *s, struct conf *c, char *err, size_t len)
{
	unsigned n4 = 0, n6 = 0;
	int ret;

	if (!s->db_hosts)
		return 0;
	ret = conf_merge_db_hosts(c, s->db_hosts, warn_row, NULL, &n4, &n6);
	if (ret) {
		snprintf(err, len, "%s: hosts-database: %s", c->file, strerror(-ret));
		return ret;
	}
	LOG_I("hosts-database %s: %u DHCPv4 and %u DHCPv6 reservation(s) of %u row(s) merged",
	      db_label(c), n4, n6, s->db_hosts->n);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Read the tables into s->db_hosts (the old rows kept on failure).
 * Under s->lock. 1 changed, 0 unchanged, -errno. */
static int fetch(struct dp_srv *s, char *err, size_t len)
{
	struct conf_db_hosts *rows = calloc(1, sizeof(*rows));
	int ret;

	if (!rows)
		return -ENOMEM;
	ret = hostdb_fetch(s->hostdb, rows, err, len);
	s->hosts_read_at = now_ms();
	if (ret) {
		free(rows);
		return ret;
	}
	ret = !s->db_hosts || s->db_hosts->digest != rows->digest;
	conf_db_hosts_free(s->db_hosts);
	free(s->db_hosts);
	s->db_hosts = rows;
	return ret;
}

int dp_srv_hosts_start(struct dp_srv *s, char *err, size_t len)
{
	const struct conf_hosts_db *hd = &s->conf->hosts_db;
	int ret;

	if (!hd->enabled)
		return 0;
	s->hostdb = hostdb_open(hd, err, len);
	if (!s->hostdb)
		return -ENOTCONN;
	ret = fetch(s, err, len);
	if (ret < 0)
		return ret;
	return dp_srv_hosts_merge(s, s->conf, err, len);
}

void dp_srv_hosts_stop(struct dp_srv *s)
{
	hostdb_close(s->hostdb);
	s->hostdb = NULL;
	conf_db_hosts_free(s->db_hosts);
	free(s->db_hosts);
	s->db_hosts = NULL;
}

/* The running file's text with the rows now in s->db_hosts. */
static int reload_hosts(struct dp_srv *s, char *err, size_t len)
{
	return dp_srv_reload_text(s, err, len, NULL);
}

void dp_srv_hosts_tick(struct dp_srv *s)
{
	char err[512];
	uint32_t every;
	int ret;

	if (!s->hostdb)
		return;
	locked(s);
	every = s->conf->hosts_db.refresh_interval;
	if (!every || now_ms() - s->hosts_read_at < (uint64_t)every * 1000) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	/* a store that can tell cheaply (redis: one GET of its version
	 * counter) is read in full only when it changed */
	ret = hostdb_changed(s->hostdb, err, sizeof(err));
	if (ret > 0)
		ret = fetch(s, err, sizeof(err));
	else
		s->hosts_read_at = now_ms();
	pthread_mutex_unlock(&s->lock);
	if (ret < 0) {
		LOG_W("hosts-database %s: refresh failed, the reservations read before stay: %s",
		      db_label(s->conf), err);
		return;
	}
	if (ret == 0)
		return;
	LOG_I("hosts-database %s: the reservations changed, reloading", db_label(s->conf));
	reload_hosts(s, err, sizeof(err));
}

/* ---- JSON ------------------------------------------------------------- */

static bool want_v6(const struct dp_srv *s, const json_t *resv)
{
	int fam = request_family(s);

	if (fam)
		return fam == 6;
	return resv && (json_object_get(resv, "ip-addresses") || json_object_get(resv, "prefixes"));
}

static const char *const id_names[CONF_HID_MAX] = {
	"hw-address", "duid", "circuit-id", "client-id", "flex-id",
};

/* Kea's forms: hw-address and duid "0a:0b", the others "0A0B". */
static json_t *id_json(unsigned type, const uint8_t *id, unsigned len)
{
	char buf[3 * CONF_HOST_ID_MAX + 1];

	if (type == CONF_HID_HW_ADDRESS || type == CONF_HID_DUID) {
		fmt_hex(id, len, buf);
	} else {
		for (unsigned i = 0; i < len; i++)
			sprintf(buf + 2 * i, "%02X", id[i]);
		buf[2 * len] = '\0';
	}
	return json_string(buf);
}

static json_t *classes_json(const struct cls_registry *reg, const struct cls_set *set)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < CLS_MAX_CLASSES; i++)
		if (cls_set_has(set, i) && cls_registry_name(reg, i))
			json_array_append_new(a, json_string(cls_registry_name(reg, i)));
	return a;
}

static json_t *opt_json(uint16_t code, const uint8_t *data, unsigned len, bool always, bool v6)
{
	char *hexs = malloc(2 * (size_t)len + 1);
	const char *name = NULL;
	json_t *o;

	if (!hexs)
		return NULL;
	for (unsigned i = 0; i < len; i++)
		sprintf(hexs + 2 * i, "%02X", data[i]);
	hexs[2 * len] = '\0';
	if (v6) {
		const struct dhcp6_opt_def *d = dhcp6_opt_def_by_code("dhcp6", code);

		name = d ? d->name : NULL;
	} else {
		const struct dhcp4_opt_def *d = code < 256 ? dhcp4_opt_def_by_code((uint8_t)code) : NULL;

		name = d ? d->name : NULL;
	}
	o = json_pack("{s:b, s:i, s:b, s:s, s:s}", "always-send", always, "code", (int)code,
		      "csv-format", 0, "data", hexs, "space", v6 ? "dhcp6" : "dhcp4");
	if (o && name)
		json_object_set_new(o, "name", json_string(name));
	free(hexs);
	return o;
}

static json_t *host4_json(const struct conf *c, const struct conf_host *h)
{
	char a[16];
	json_t *j = json_object(), *opts = json_array();

	json_object_set_new(j, id_names[h->id_type], id_json(h->id_type, h->id, h->id_len));
	if (h->addr) {
		fmt_ip4(h->addr, a, sizeof(a));
		json_object_set_new(j, "ip-address", json_string(a));
	}
	json_object_set_new(j, "hostname", json_string(h->hostname));
	fmt_ip4(h->next_server, a, sizeof(a));
	json_object_set_new(j, "next-server", json_string(a));
	json_object_set_new(j, "server-hostname", json_string(h->server_hostname));
	json_object_set_new(j, "boot-file-name", json_string(h->boot_file_name));
	json_object_set_new(j, "client-classes", classes_json(c->policy->reg, &h->classes));
	for (unsigned i = 0; i < h->options.n; i++) {
		const struct conf_option *o = &h->options.opts[i];

		json_array_append_new(opts, opt_json(o->code, o->data, o->len, o->always_send, false));
	}
	json_object_set_new(j, "option-data", opts);
	json_object_set_new(j, "subnet-id", json_integer(h->subnet_id));
	return j;
}

static json_t *host6_json(const struct conf6 *c6, const struct conf6_host *h)
{
	char a[INET6_ADDRSTRLEN + 8];
	json_t *j = json_object(), *addrs = json_array(), *pfx = json_array(), *opts = json_array();

	json_object_set_new(j, id_names[h->id_type], id_json(h->id_type, h->id, h->id_len));
	for (unsigned i = 0; i < h->n_addrs; i++) {
		fmt_ip6(h->addrs[i], a, sizeof(a));
		json_array_append_new(addrs, json_string(a));
	}
	for (unsigned i = 0; i < h->n_prefixes; i++) {
		fmt_ip6(h->prefixes[i].prefix, a, INET6_ADDRSTRLEN);
		snprintf(a + strlen(a), 8, "/%u", h->prefixes[i].len);
		json_array_append_new(pfx, json_string(a));
	}
	json_object_set_new(j, "ip-addresses", addrs);
	json_object_set_new(j, "prefixes", pfx);
	json_object_set_new(j, "hostname", json_string(h->hostname));
	json_object_set_new(j, "client-classes", classes_json(c6->reg, &h->classes));
	for (unsigned i = 0; i < h->options.n; i++) {
		const struct conf6_option *o = &h->options.opts[i];

		json_array_append_new(opts, opt_json(o->code, o->data, o->len, o->always_send, true));
	}
	json_object_set_new(j, "option-data", opts);
	json_object_set_new(j, "subnet-id", json_integer(h->subnet_id));
	return j;
}

/* ---- arguments ------------------------------------------------------- */

/* 'text' in single quotes, or hex ("01:02:03", "010203"). */
/* A dotted quad, host order: 0, or -1. */
static int ip4(const char *v, uint32_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, v, &in) != 1)
		return -1;
	*a = ntohl(in.s_addr);
	return 0;
}

static int parse_ident(const char *v, uint8_t *out, size_t max)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
		if (n - 2 > max)
			return -1;
		memcpy(out, v + 1, n - 2);
		return (int)n - 2;
	}
	return parse_hex(v, out, max);
}

static int id_type_by_name(const char *v)
{
	for (unsigned t = 0; t < CONF_HID_MAX; t++)
		if (!strcmp(v, id_names[t]))
			return (int)t;
	return -1;
}

/* The subnet-id of a request (required): 0 or -1 with text. */
static int arg_subnet(const json_t *args, uint32_t *sid, char *text, size_t len)
{
	uint64_t v = 0;

	if (!json_is_object(args))
		return fail(text, len, "Parameters missing or are not a map."), -1;
	if (arg_uint(args, "subnet-id", true, UINT32_MAX, &v, text, len) < 0)
		return -1;
	*sid = (uint32_t)v;
	return 0;
}

static int str_dup(const json_t *o, const char *key, char **out, char *text, size_t len)
{
	const char *v = NULL;

	if (arg_str(o, key, false, &v, text, len) < 0)
		return -1;
	*out = v ? strdup(v) : NULL;
	return 0;
}

/* option-data entries -> rows (code resolved by name, csv text or bytes). */
static int opts_row(const struct conf *c, const json_t *a, bool v6, struct conf_db_option **out,
		    unsigned *n, char *text, size_t len)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return fail(text, len, "'option-data' must be a list"), -1;
	*out = calloc(json_array_size(a) + 1, sizeof(**out));
	if (!*out)
		return fail(text, len, "out of memory"), -1;
	json_array_foreach(a, i, e) {
		struct conf_db_option *o = &(*out)[(*n)++];
		const char *name = NULL, *space = NULL, *data = "";
		uint64_t code = 0;
		json_t *b;

		if (!json_is_object(e) || arg_str(e, "name", false, &name, text, len) < 0 ||
		    arg_str(e, "space", false, &space, text, len) < 0 ||
		    arg_str(e, "data", false, &data, text, len) < 0 ||
		    arg_uint(e, "code", false, v6 ? 65535 : 254, &code, text, len) < 0)
			return json_is_object(e) ? -1 : (fail(text, len, "'option-data' entries must "
							      "be maps"), -1);
		if (!data)
			data = "";
		if (name) {
			int k = conf_option_code(c, v6, space, name);

			if (k < 0)
				return fail(text, len, "unknown option name \"%s\"", name), -1;
			if (code && code != (uint64_t)k)
				return fail(text, len, "option \"%s\" has code %d, not %" PRIu64, name,
					    k, code), -1;
			code = (uint64_t)k;
		}
		if (!code)
			return fail(text, len, "an option-data entry needs a 'name' or a 'code'"), -1;
		o->code = (int64_t)code;
		o->space = strdup(space ? space : v6 ? "dhcp6" : "dhcp4");
		b = json_object_get(e, "always-send");
		o->persistent = json_is_true(b);
		b = json_object_get(e, "csv-format");
		if (b && json_is_false(b)) {
			o->value = malloc(strlen(data) / 2 + 1);
			int l = o->value ? parse_hex(data, o->value, strlen(data) / 2 + 1) : -1;

			if (l < 0)
				return fail(text, len, "option %" PRIu64 ": \"%s\" is not hex bytes",
					    code, data), -1;
			o->value_len = (size_t)l;
			o->has_value = true;
		} else {
			o->formatted = strdup(data);
		}
	}
	return 0;
}

static int classes_row(const json_t *a, char **out, char *text, size_t len)
{
	size_t i, n = 0;
	json_t *e;

	if (!json_is_array(a))
		return fail(text, len, "'client-classes' must be a list"), -1;
	json_array_foreach(a, i, e) {
		if (!json_is_string(e))
			return fail(text, len, "'client-classes' must list class names"), -1;
		n += strlen(json_string_value(e)) + 1;
	}
	*out = calloc(n + 1, 1);
	if (!*out)
		return fail(text, len, "out of memory"), -1;
	json_array_foreach(a, i, e) {
		if (i)
			strcat(*out, ",");
		strcat(*out, json_string_value(e));
	}
	return 0;
}

/* Kea's reservation JSON -> a hosts row (not yet checked against the
 * configuration: the trial merge does that). */
static int resv_row(const struct conf *c, const json_t *r, bool v6, struct conf_db_host *h,
		    char *text, size_t len)
{
	static const char *const keys4[] = { "subnet-id", "hw-address", "duid", "circuit-id",
		"client-id", "flex-id", "ip-address", "hostname", "client-classes", "option-data",
		"next-server", "server-hostname", "boot-file-name", "user-context", NULL };
	static const char *const keys6[] = { "subnet-id", "hw-address", "duid", "flex-id",
		"ip-addresses", "prefixes", "hostname", "client-classes", "option-data",
		"user-context", NULL };
	const char *key, *v;
	uint8_t id[CONF_HOST_ID_MAX];
	uint32_t sid;
	json_t *val;
	int t, l = -1;

	json_object_foreach((json_t *)r, key, val) {
		const char *const *k = v6 ? keys6 : keys4;

		while (*k && strcmp(*k, key))
			k++;
		if (!*k)
			return fail(text, len, "unsupported parameter '%s' in a DHCPv%d reservation",
				    key, v6 ? 6 : 4), -1;
	}
	if (arg_subnet(r, &sid, text, len) < 0)
		return -1;
	h->id_type = -1;
	for (t = 0; t < CONF_HID_MAX; t++) {
		if (arg_str(r, id_names[t], false, &v, text, len) < 0)
			return -1;
		if (!v)
			continue;
		if (h->id_type >= 0)
			return fail(text, len, "a reservation takes one identifier: '%s' and '%s' are "
				    "both given", id_names[h->id_type], id_names[t]), -1;
		l = parse_ident(v, id, sizeof(id));
		if (l <= 0)
			return fail(text, len, "'%s': \"%s\" is neither hex bytes nor 'text'",
				    id_names[t], v), -1;
		h->id_type = t;
	}
	if (h->id_type < 0)
		return fail(text, len, "a reservation needs one of hw-address, duid, circuit-id, "
			    "client-id or flex-id"), -1;
	h->id = malloc((size_t)l);
	if (!h->id)
		return fail(text, len, "out of memory"), -1;
	memcpy(h->id, id, (size_t)l);
	h->id_len = (size_t)l;
	if (v6) {
		h->has_sub6 = true;
		h->sub6 = sid;
	} else {
		h->has_sub4 = true;
		h->sub4 = sid;
	}
	if (str_dup(r, "hostname", &h->hostname, text, len) < 0)
		return -1;
	if ((val = json_object_get(r, "client-classes")) &&
	    classes_row(val, v6 ? &h->classes6 : &h->classes4, text, len) < 0)
		return -1;
	if ((val = json_object_get(r, "option-data")) &&
	    opts_row(c, val, v6, v6 ? &h->opts6 : &h->opts4, v6 ? &h->n_opts6 : &h->n_opts4,
		     text, len) < 0)
		return -1;
	if (!v6) {
		uint32_t a;

		if (arg_str(r, "ip-address", false, &v, text, len) < 0)
			return -1;
		if (v && ip4(v, &a) < 0)
			return fail(text, len, "'ip-address': \"%s\" is not an IPv4 address", v), -1;
		h->ipv4 = v ? a : 0;
		if (arg_str(r, "next-server", false, &v, text, len) < 0)
			return -1;
		if (v && ip4(v, &a) < 0)
			return fail(text, len, "'next-server': \"%s\" is not an IPv4 address", v), -1;
		h->next_server = v ? a : 0;
		if (str_dup(r, "server-hostname", &h->server_hostname, text, len) < 0 ||
		    str_dup(r, "boot-file-name", &h->boot_file_name, text, len) < 0)
			return -1;
		return 0;
	}
	for (int pass = 0; pass < 2; pass++) {
		json_t *a = json_object_get(r, pass ? "prefixes" : "ip-addresses"), *e;
		size_t i;

		if (!a)
			continue;
		if (!json_is_array(a))
			return fail(text, len, "'%s' must be a list", pass ? "prefixes" : "ip-addresses"), -1;
		json_array_foreach(a, i, e) {
			struct conf_db_resv6 *rv = realloc(h->resv, (h->n_resv + 1) * sizeof(*rv));
			struct lease_addr6 x;
			char buf[64], *slash;

			if (!rv)
				return fail(text, len, "out of memory"), -1;
			h->resv = rv;
			rv = &rv[h->n_resv];
			memset(rv, 0, sizeof(*rv));
			if (!json_is_string(e) || strlen(json_string_value(e)) >= sizeof(buf))
				return fail(text, len, "'%s' must list strings", pass ? "prefixes" :
					    "ip-addresses"), -1;
			snprintf(buf, sizeof(buf), "%s", json_string_value(e));
			slash = strchr(buf, '/');
			rv->prefix_len = 128;
			if (pass && slash) {
				*slash = '\0';
				rv->prefix_len = atoi(slash + 1);
			}
			if (parse_ip6(buf, &x) || (pass && !slash))
				return fail(text, len, "'%s': \"%s\" is not an IPv6 %s", pass ? "prefixes" :
					    "ip-addresses", json_string_value(e), pass ? "prefix" :
					    "address"), -1;
			/* Kea writes the address as IOAddress prints it */
			fmt_ip6(x, buf, sizeof(buf));
			rv->address = strdup(buf);
			rv->type = pass ? 2 : 0;
			h->n_resv++;
		}
	}
	return 0;
}

/* ---- the commands ---------------------------------------------------- */

/* The hosts of one family in the running snapshot, for the lookups. */
struct view {
	const struct conf *c;
	bool v6;
	unsigned n;
};

static struct view view_of(const struct dp_srv *s, bool v6)
{
	struct view v = { s->conf, v6, 0 };

	v.n = v6 ? (s->conf->v6 ? s->conf->v6->n_hosts : 0) :
		   (s->conf->policy ? s->conf->policy->n_hosts : 0);
	return v;
}

static uint32_t v_sid(const struct view *v, unsigned i)
{
	return v->v6 ? v->c->v6->hosts[i].subnet_id : v->c->policy->hosts[i].subnet_id;
}

static int64_t v_dbid(const struct view *v, unsigned i)
{
	return v->v6 ? v->c->v6->hosts[i].db_id : v->c->policy->hosts[i].db_id;
}

static json_t *v_json(const struct view *v, unsigned i)
{
	return v->v6 ? host6_json(v->c->v6, &v->c->v6->hosts[i]) :
		       host4_json(v->c, &v->c->policy->hosts[i]);
}

static bool v_id_is(const struct view *v, unsigned i, int type, const uint8_t *id, int len)
{
	uint8_t t = v->v6 ? v->c->v6->hosts[i].id_type : v->c->policy->hosts[i].id_type;
	uint8_t l = v->v6 ? v->c->v6->hosts[i].id_len : v->c->policy->hosts[i].id_len;
	const uint8_t *b = v->v6 ? v->c->v6->hosts[i].id : v->c->policy->hosts[i].id;

	return t == type && l == len && !memcmp(b, id, (size_t)len);
}

static bool v_addr_is(const struct view *v, unsigned i, const char *a)
{
	if (!v->v6) {
		uint32_t x;

		return ip4(a, &x) == 0 && x && v->c->policy->hosts[i].addr == x;
	}
	struct lease_addr6 x;
	const struct conf6_host *h = &v->c->v6->hosts[i];

	if (parse_ip6(a, &x))
		return false;
	for (unsigned k = 0; k < h->n_addrs; k++)
		if (lease_addr6_eq(h->addrs[k], x))
			return true;
	return false;
}

static bool subnet_known(const struct dp_srv *s, bool v6, uint32_t sid)
{
	if (!sid)
		return true;
	return v6 ? s->conf->v6 && conf6_subnet_by_id(s->conf->v6, sid) :
		    conf_subnet_by_id(s->conf, sid) != NULL;
}

/* subnet-id + (ip-address | identifier-type + identifier): the host's
 * index, -1 none (*out/text set for errors: returns -2). */
static int find_host(struct dp_srv *s, const json_t *args, bool v6, json_t **out, char *text,
		     size_t len, uint32_t *sidp, int *typep, uint8_t *id, int *idlen, const char **addr)
{
	struct view v = view_of(s, v6);
	const char *tn = NULL, *iv = NULL;
	uint32_t sid;

	(void)out;
	*addr = NULL;
	if (arg_subnet(args, &sid, text, len) < 0 || arg_str(args, "ip-address", false, addr,
							     text, len) < 0)
		return -2;
	*sidp = sid;
	if (!*addr) {
		if (arg_str(args, "identifier-type", false, &tn, text, len) < 0 ||
		    arg_str(args, "identifier", false, &iv, text, len) < 0)
			return -2;
		if (!tn || !iv)
			return fail(text, len, "No 'ip-address' provided and 'identifier-type' is "
				    "either missing or not a string."), -2;
		*typep = id_type_by_name(tn);
		if (*typep < 0)
			return fail(text, len, "Value of 'identifier-type' was not recognized."), -2;
		*idlen = parse_ident(iv, id, CONF_HOST_ID_MAX);
		if (*idlen < 0)
			return fail(text, len, "Unable to parse 'identifier' value."), -2;
		if (*idlen == 0)
			return fail(text, len, "Unable to query for empty 'identifier'."), -2;
	}
	for (unsigned i = 0; i < v.n; i++)
		if (v_sid(&v, i) == sid && (*addr ? v_addr_is(&v, i, *addr) :
					    v_id_is(&v, i, *typep, id, *idlen)))
			return (int)i;
	return -1;
}

HANDLER(cmd_reservation_get)
{
	struct dp_srv *s = ctx;
	bool v6 = want_v6(s, NULL);
	uint8_t id[CONF_HOST_ID_MAX];
	const char *addr;
	uint32_t sid;
	int type = 0, idlen = 0, i;

	locked(s);
	i = find_host(s, args, v6, out, text, len, &sid, &type, id, &idlen, &addr);
	if (i >= 0) {
		struct view v = view_of(s, v6);

		*out = v_json(&v, (unsigned)i);
	}
	pthread_mutex_unlock(&s->lock);
	if (i == -2)
		return CTL_ERROR;
	if (i < 0) {
		snprintf(text, len, "Host not found.");
		return CTL_EMPTY;
	}
	snprintf(text, len, "Host found.");
	return CTL_SUCCESS;
}

static int hosts_answer(json_t *hosts, bool v6, json_t *next, json_t **out, char *text, size_t len)
{
	size_t n = json_array_size(hosts);

	*out = json_pack("{s:o}", "hosts", hosts);
	if (next) {
		json_object_set_new(*out, "count", json_integer((json_int_t)n));
		if (n)
			json_object_set_new(*out, "next", next);
		else
			json_decref(next);
	}
	snprintf(text, len, "%zu IPv%d host(s) found.", n, v6 ? 6 : 4);
	return n ? CTL_SUCCESS : CTL_EMPTY;
}

HANDLER(cmd_reservation_get_all)
{
	struct dp_srv *s = ctx;
	bool v6 = want_v6(s, NULL);
	json_t *hosts;
	uint32_t sid;
	struct view v;

	if (arg_subnet(args, &sid, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	if (!subnet_known(s, v6, sid)) {
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "IPv%d subnet with ID of '%u' is not configured", v6 ? 6 : 4,
			    sid);
	}
	v = view_of(s, v6);
	hosts = json_array();
	for (unsigned i = 0; i < v.n; i++)
		if (v_sid(&v, i) == sid)
			json_array_append_new(hosts, v_json(&v, i));
	pthread_mutex_unlock(&s->lock);
	return hosts_answer(hosts, v6, NULL, out, text, len);
}

/* Kea's sources: index 0 the configuration file (host ids 1..n in file
 * order here), 1 the hosts-database (hosts.host_id).  A page ends in one
 * source; an empty source 0 goes on with source 1 from its start. */
HANDLER(cmd_reservation_get_page)
{
	struct dp_srv *s = ctx;
	bool v6 = want_v6(s, NULL);
	int has_sid;
	uint64_t limit = 0, idx = 0, from = 0, sid = 0;
	json_t *hosts;
	int64_t last = 0;
	struct view v;

	if (!json_is_object(args))
		return fail(text, len, "Parameters missing or are not a map.");
	if (arg_uint(args, "limit", true, UINT32_MAX, &limit, text, len) < 0 ||
	    arg_uint(args, "source-index", false, 10, &idx, text, len) < 0 ||
	    arg_uint(args, "from", false, INT64_MAX, &from, text, len) < 0)
		return CTL_ERROR;
	has_sid = arg_uint(args, "subnet-id", false, UINT32_MAX, &sid, text, len);
	if (has_sid < 0)
		return CTL_ERROR;
	if (!limit)
		return fail(text, len, "page size 'limit' must be positive");
	if (idx > 1)
		return fail(text, len, "no host source with 'source-index' %" PRIu64 " (0 the "
			    "configuration, 1 the hosts-database)", idx);
	locked(s);
	if (has_sid && !subnet_known(s, v6, (uint32_t)sid)) {
		pthread_mutex_unlock(&s->lock);
		return fail(text, len, "IPv%d subnet with ID of '%" PRIu64 "' is not configured",
			    v6 ? 6 : 4, sid);
	}
	v = view_of(s, v6);
	hosts = json_array();
	for (; idx <= 1 && json_array_size(hosts) == 0; idx++, from = 0) {
		unsigned file_no = 0;

		for (unsigned i = 0; i < v.n && json_array_size(hosts) < limit; i++) {
			int64_t key = v_dbid(&v, i) ? v_dbid(&v, i) : ++file_no;

			if ((v_dbid(&v, i) != 0) != (idx == 1) || key <= (int64_t)from ||
			    (has_sid && v_sid(&v, i) != sid))
				continue;
			json_array_append_new(hosts, v_json(&v, i));
			last = key;
		}
		if (json_array_size(hosts))
			break;
	}
	if (idx > 1)
		idx = 1;
	pthread_mutex_unlock(&s->lock);
	return hosts_answer(hosts, v6, json_pack("{s:I, s:I}", "source-index", (json_int_t)idx,
						 "from", (json_int_t)last), out, text, len);
}

/* Writes need the database, writable. */
static int can_write(struct dp_srv *s, const char *what, char *text, size_t len)
{
	if (!s->hostdb)
		return fail(text, len, "Host database not available, cannot %s host.", what), -1;
	if (s->conf->hosts_db.readonly)
		return fail(text, len, "Host database %s is read-only (readonly = true), cannot %s "
			    "host.", db_label(s->conf), what), -1;
	return 0;
}

/* Reload with the rows in s->db_hosts; the answer says if it failed. */
static int after_write(struct dp_srv *s, const char *done, char *text, size_t len)
{
	char err[1024];

	if (reload_hosts(s, err, sizeof(err)))
		return fail(text, len, "%s in the database, but the running configuration was not "
			    "reloaded with it: %s", done, err);
	return CTL_SUCCESS;
}

/* reservation-add's trial merge: the reason its row was left out; the
 * other rows' were logged when they were read. */
struct trial_watch {
	int64_t watch;
	bool hit;
	char why[512];
};

static void why_row(void *arg, int64_t host_id, bool v6, const char *why)
{
	struct trial_watch *w = arg;

	(void)v6;
	if (host_id == w->watch && !w->hit) {
		w->hit = true;
		snprintf(w->why, sizeof(w->why), "%s", why);
	}
}

HANDLER(cmd_reservation_add)
{
	struct dp_srv *s = ctx;
	const json_t *r = json_is_object(args) ? json_object_get(args, "reservation") : NULL;
	bool v6 = want_v6(s, r);
	struct conf_db_host row = { 0 };
	struct conf_db_hosts trial = { 0 };
	struct conf_db_host *all;
	struct conf *nc;
	char err[1024];
	struct trial_watch w = { .watch = INT64_MAX };
	int64_t host_id = 0;
	int ret;

	(void)out;
	if (!json_is_object(args))
		return fail(text, len, "no parameters specified for the command");
	if (!json_is_object(r))
		return fail(text, len, "reservation must be specified");
	locked(s);
	if (can_write(s, "add", text, len) < 0)
		goto refuse;
	if (resv_row(s->conf, r, v6, &row, text, len) < 0)
		goto refuse;
	if (v6 && !s->conf->v6) {
		fail(text, len, "this server has no dhcp6 block");
		goto refuse;
	}
	if (!subnet_known(s, v6, (uint32_t)(v6 ? row.sub6 : row.sub4))) {
		fail(text, len, "IPv%d subnet with ID of '%" PRId64 "' is not configured", v6 ? 6 : 4,
		     v6 ? row.sub6 : row.sub4);
		goto refuse;
	}
	/* The trial: the database as it is now, and this row last, merged
	 * into the running file's configuration; what the merge says about
	 * this row (if anything) is the reason to refuse it. */
	ret = fetch(s, err, sizeof(err));
	if (ret < 0) {
		fail(text, len, "%s", err);
		goto refuse;
	}
	all = calloc(s->db_hosts->n + 1, sizeof(*all));
	nc = all ? conf_load_text(s->conf_path, s->conf_text, err, sizeof(err)) : NULL;
	if (!nc) {
		fail(text, len, "%s", all ? err : "out of memory");
		free(all);
		goto refuse;
	}
	memcpy(all, s->db_hosts->h, s->db_hosts->n * sizeof(*all));
	row.host_id = INT64_MAX;
	all[s->db_hosts->n] = row;
	trial.h = all;
	trial.n = s->db_hosts->n + 1;
	ret = conf_merge_db_hosts(nc, &trial, why_row, &w, NULL, NULL);
	conf_free(nc);
	free(all);                      /* the rows' contents are s->db_hosts' and row's */
	if (ret) {
		fail(text, len, "%s", strerror(-ret));
		goto refuse;
	}
	if (w.hit) {
		fail(text, len, "%s", w.why);
		goto refuse;
	}
	ret = hostdb_add(s->hostdb, &row, &host_id, err, sizeof(err));
	if (ret) {
		fail(text, len, "%s", ret == -EEXIST ? "Database duplicate entry error: a "
		     "reservation for this identifier and subnet (or address) exists" : err);
		goto refuse;
	}
	ret = fetch(s, err, sizeof(err));
	conf_db_host_clear(&row);
	pthread_mutex_unlock(&s->lock);
	LOG_I("reservation-add: host_id %" PRId64 " added to hosts-database %s", host_id,
	      db_label(s->conf));
	if (ret < 0)
		return fail(text, len, "Host added to the database, but reading it back failed: %s",
			    err);
	ret = after_write(s, "Host added", text, len);
	if (ret == CTL_SUCCESS)
		snprintf(text, len, "Host added.");
	return ret;
refuse:
	conf_db_host_clear(&row);
	pthread_mutex_unlock(&s->lock);
	return CTL_ERROR;
}

HANDLER(cmd_reservation_del)
{
	struct dp_srv *s = ctx;
	bool v6 = want_v6(s, NULL);
	uint8_t id[CONF_HOST_ID_MAX];
	const char *addr;
	char err[1024];
	uint32_t sid;
	int type = 0, idlen = 0, i, ret;

	(void)out;
	locked(s);
	if (can_write(s, "delete", text, len) < 0) {
		pthread_mutex_unlock(&s->lock);
		return CTL_ERROR;
	}
	i = find_host(s, args, v6, out, text, len, &sid, &type, id, &idlen, &addr);
	if (i == -2) {
		pthread_mutex_unlock(&s->lock);
		return CTL_ERROR;
	}
	if (addr && v6) {
		/* by the identifier of the reservation holding it */
		if (i >= 0) {
			const struct conf6_host *h = &s->conf->v6->hosts[i];

			type = h->id_type;
			idlen = h->id_len;
			memcpy(id, h->id, h->id_len);
			addr = NULL;
		} else {
			pthread_mutex_unlock(&s->lock);
			snprintf(text, len, "Host not deleted (not found).");
			return CTL_EMPTY;
		}
	}
	if (addr) {
		uint32_t a;

		if (ip4(addr, &a) < 0) {
			pthread_mutex_unlock(&s->lock);
			return fail(text, len, "'ip-address': \"%s\" is not an IPv4 address", addr);
		}
		ret = hostdb_del(s->hostdb, false, sid, 0, NULL, 0, a, err, sizeof(err));
	} else {
		ret = hostdb_del(s->hostdb, v6, sid, type, id, (size_t)idlen, 0, err, sizeof(err));
	}
	if (ret > 0)
		ret = fetch(s, err, sizeof(err)) < 0 ? -EIO : 1;
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return fail(text, len, "%s", err);
	if (ret == 0) {
		snprintf(text, len, "Host not deleted (not found).");
		return CTL_EMPTY;
	}
	LOG_I("reservation-del: subnet %u, deleted from hosts-database %s", sid,
	      db_label(s->conf));
	ret = after_write(s, "Host deleted", text, len);
	if (ret == CTL_SUCCESS)
		snprintf(text, len, "Host deleted.");
	return ret;
}

const struct cmd_def cmds_hosts[] = {
	{ "reservation-add", cmd_reservation_add },
	{ "reservation-get", cmd_reservation_get },
	{ "reservation-get-all", cmd_reservation_get_all },
	{ "reservation-get-page", cmd_reservation_get_page },
	{ "reservation-del", cmd_reservation_del },
	{ NULL, NULL },
};
