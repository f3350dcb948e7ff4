/* Configuration loader: libconfig file -> immutable, validated snapshot.
 *
 * This file holds the top level of the file and its small blocks (dpdk,
 * interfaces, lease-database, logging, control-socket, http-control), the
 * checks that span the whole file, and conf_load() itself.  The blocks
 * with more to them have a file each (see conf.h); the key-table engine
 * they all use is conf_engine.c (see conf_priv.h for how tables read).
 *
 * The loader never returns something half built: the first error is
 * recorded as "file:line: reason", everything allocated so far is freed
 * and conf_load() returns NULL.
 */
#include "conf_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Validators, parsers and hooks used by the tables. */
static int check_lcores(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_nonempty(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_bool(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_pg_host(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_pg_port(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_strings(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_iface_addr(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_iface_addr6(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int iface_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int lease_db_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int hosts_db_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int parse_hosts_dbs(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_sentinels(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int top_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int parse_mode(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int check_listen_addr(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int ctl_socket_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int http_control_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);

/* ------------------------------------------------------------------------
 * The key tables.  One row per key; rows are applied in this order.
 */

static const struct conf_enum durability_names[] = {
	{ "memory", CONF_DUR_MEMORY }, { "write-behind", CONF_DUR_WRITE_BEHIND },
	{ "commit", CONF_DUR_COMMIT }, { NULL, 0 },
};
static const struct conf_enum db_type_names[] = {
	{ "memfile", CONF_DB_MEMFILE }, { "postgresql", CONF_DB_POSTGRESQL },
	{ "redis", CONF_DB_REDIS }, { NULL, 0 },
};
static const struct conf_enum on_fail_names[] = {
	{ "stop-retry-exit", CONF_ON_FAIL_STOP_RETRY_EXIT },
	{ "serve-retry-exit", CONF_ON_FAIL_SERVE_RETRY_EXIT },
	{ "serve-retry-continue", CONF_ON_FAIL_SERVE_RETRY_CONTINUE }, { NULL, 0 },
};
static const struct conf_enum severity_names[] = {
	{ "DEBUG", CONF_LOG_DEBUG }, { "INFO", CONF_LOG_INFO }, { "WARN", CONF_LOG_WARN },
	{ "ERROR", CONF_LOG_ERROR }, { NULL, 0 },
};
static const struct conf_enum output_names[] = {
	{ "stderr", CONF_LOG_STDERR }, { "syslog", CONF_LOG_SYSLOG }, { NULL, 0 },
};

/* interfaces = ( { name = ...; device = ...; address = "a/len"; address6 = "a/len"; }, ... ) */
static const struct conf_key iface_keys[] = {
	STR("name", struct conf_iface, name, "", .flags = K_REQUIRED, .fn = check_nonempty),
	STR("device", struct conf_iface, device, "", .flags = K_REQUIRED, .fn = check_nonempty),
	CUSTOM("address", struct conf_iface, addr, parse_iface_addr),
	CUSTOM("address6", struct conf_iface, addr6, parse_iface_addr6),
};
static const struct conf_table iface_table = TABLE("in an interfaces entry", iface_keys,
	.size = sizeof(struct conf_iface), .post = iface_post);

static const struct conf_key dpdk_keys[] = {
	STR("lcores", struct conf_dpdk, lcores, "", .flags = K_REQUIRED, .fn = check_lcores),
	STR("file-prefix", struct conf_dpdk, file_prefix, "peregrine", .fn = check_nonempty),
	BOOL("no-huge", struct conf_dpdk, no_huge, false),
	U32("memory-mb", struct conf_dpdk, memory_mb, 0, 1024 * 1024, 0),
	U32("mbufs", struct conf_dpdk, mbufs, 0, U32MAX, 0),
	U32("rx-desc", struct conf_dpdk, rx_desc, 32, 32768, 1024),
	U32("tx-desc", struct conf_dpdk, tx_desc, 32, 32768, 1024),
	CUSTOM("extra-args", struct conf_dpdk, extra_args, parse_strings),
};
static const struct conf_table dpdk_table = TABLE("in dpdk", dpdk_keys);

static const struct conf_key lease_db_keys[] = {
	ENUM("type", struct conf_lease_db, type, db_type_names, "memfile"),
	STR("name", struct conf_lease_db, name, ""),
	CUSTOM("persist", struct conf_lease_db, durability, check_bool),  /* lease_db_post() maps it */
	ENUM("durability", struct conf_lease_db, durability, durability_names, "commit"),
	U32("flush-interval", struct conf_lease_db, flush_interval_ms, 1, 60000, 50),
	U32("lfc-interval", struct conf_lease_db, lfc_interval, 0, U32MAX, 3600),
	/* postgresql: Kea's keys (lease_db_post refuses them for memfile) */
	STR("host", struct conf_lease_db, host, "localhost", .fn = check_pg_host),
	CUSTOM("port", struct conf_lease_db, port, parse_pg_port),
	STR("user", struct conf_lease_db, user, ""),
	STR("password", struct conf_lease_db, password, ""),
	U32("connect-timeout", struct conf_lease_db, connect_timeout, 1, 3600, 5),
	U32("max-reconnect-tries", struct conf_lease_db, max_reconnect_tries, 0, U32MAX, 0),
	U32("reconnect-wait-time", struct conf_lease_db, reconnect_wait_time, 0, U32MAX, 0),
	ENUM("on-fail", struct conf_lease_db, on_fail, on_fail_names, "serve-retry-continue"),
	STR("journal-directory", struct conf_lease_db, journal_dir, "/var/lib/peregrine",
	    .fn = check_nonempty),
	BOOL("shared", struct conf_lease_db, shared, false),
	/* redis only (lease_db_post refuses them elsewhere) */
	STR("socket", struct conf_lease_db, socket, "", .fn = check_nonempty),
	U32("wait-replicas", struct conf_lease_db, wait_replicas, 0, 64, 0),
	U32("wait-timeout", struct conf_lease_db, wait_timeout_ms, 1, 600000, 1000),
	CUSTOM("sentinels", struct conf_lease_db, sentinels, parse_sentinels),
	STR("sentinel-master", struct conf_lease_db, sentinel_master, "mymaster",
	    .fn = check_nonempty),
	STR("sentinel-password", struct conf_lease_db, sentinel_password, ""),
};
static const struct conf_table lease_db_table = TABLE("in lease-database", lease_db_keys,
	.post = lease_db_post);

/* hosts-database: the lease-database's connection keys (and parsers),
 * type "postgresql" (Kea's tables) or "redis" (docs/redis-hosts.md);
 * Kea's mysql and cql are not supported here.  hosts_db_post refuses the
 * keys that do not fit the type. */
static const struct conf_enum hosts_db_type_names[] = {
	{ "postgresql", CONF_DB_POSTGRESQL }, { "redis", CONF_DB_REDIS }, { NULL, 0 },
};
static const struct conf_key hosts_db_keys[] = {
	ENUM("type", struct conf_hosts_db, db.type, hosts_db_type_names, "postgresql"),
	STR("name", struct conf_hosts_db, db.name, "", .fn = check_nonempty),
	STR("host", struct conf_hosts_db, db.host, "localhost", .fn = check_pg_host),
	CUSTOM("port", struct conf_hosts_db, db.port, parse_pg_port),
	STR("socket", struct conf_hosts_db, db.socket, "", .fn = check_nonempty),
	STR("user", struct conf_hosts_db, db.user, ""),
	STR("password", struct conf_hosts_db, db.password, ""),
	U32("connect-timeout", struct conf_hosts_db, db.connect_timeout, 1, 3600, 5),
	U32("max-reconnect-tries", struct conf_hosts_db, db.max_reconnect_tries, 0, U32MAX, 0),
	U32("reconnect-wait-time", struct conf_hosts_db, db.reconnect_wait_time, 0, U32MAX, 0),
	ENUM("on-fail", struct conf_hosts_db, db.on_fail, on_fail_names, "serve-retry-continue"),
	BOOL("readonly", struct conf_hosts_db, readonly, false),
	U32("refresh-interval", struct conf_hosts_db, refresh_interval, 0, 86400, 60),
};
static const struct conf_table hosts_db_table = TABLE("in hosts-database", hosts_db_keys,
	.post = hosts_db_post);

/* struct conf's logging member has no type name: offsets from the member. */
#define LOGGING_OFF(f) (offsetof(struct conf, logging.f) - offsetof(struct conf, logging))
static const struct conf_key logging_keys[] = {
	{ .name = "severity", .kind = K_ENUM, .def_str = "INFO", .off = LOGGING_OFF(severity),
	  .aux = severity_names },
	{ .name = "output", .kind = K_ENUM, .def_str = "stderr", .off = LOGGING_OFF(output),
	  .aux = output_names },
};
static const struct conf_table logging_table = TABLE("in logging", logging_keys);

static const struct conf_enum socket_type_names[] = {
	{ "unix", 1 }, { NULL, 0 },
};

/* Limits of the control channel, shared by both blocks (see conf.h). */
#define CTL_LIMIT_KEYS(st) \
	U32("max-request-size", st, max_request, 1024, 64 * 1024 * 1024, 0), \
	U32("idle-timeout", st, idle_timeout_ms, 100, 3600 * 1000, 0)

static const struct conf_key ctl_socket_keys[] = {
	{ .name = "socket-type", .kind = K_ENUM, .def_str = "unix", .aux = socket_type_names,
	  .off = offsetof(struct conf_ctl_socket, socket_type) },
	STR("socket-name", struct conf_ctl_socket, socket_name, "", .flags = K_REQUIRED,
	    .fn = check_nonempty),
	CUSTOM("socket-mode", struct conf_ctl_socket, mode, parse_mode),
	CTL_LIMIT_KEYS(struct conf_ctl_socket),
};
static const struct conf_table ctl_socket_table = TABLE("in control-socket", ctl_socket_keys,
	.post = ctl_socket_post);

static const struct conf_key http_control_keys[] = {
	STR("address", struct conf_http_control, address, "127.0.0.1", .fn = check_listen_addr),
	U32("port", struct conf_http_control, port, 1, 65535, 8004),
	STR("user", struct conf_http_control, user, ""),
	STR("password", struct conf_http_control, password, ""),
	CTL_LIMIT_KEYS(struct conf_http_control),
};
static const struct conf_table http_control_table = TABLE("in http-control", http_control_keys,
	.post = http_control_post);

/* Top level.  dpdk and interfaces come before subnet4 (subnets name
 * interfaces), the global scalars before subnet4 (subnets inherit them). */
static const struct conf_key top_keys[] = {
	GROUP("dpdk", struct conf, dpdk, dpdk_table, .flags = K_REQUIRED),
	LIST("interfaces", struct conf, ifaces, n_ifaces, iface_table, 1, .flags = K_REQUIRED),
	U32("valid-lifetime", struct conf, valid_lifetime, 1, U32MAX, 7200),
	U32("renew-timer", struct conf, renew_timer, 1, U32MAX, 0),
	U32("rebind-timer", struct conf, rebind_timer, 1, U32MAX, 0),
	U32("decline-probation-period", struct conf, decline_probation_period, 0, U32MAX, 86400),
	U32("offer-lifetime", struct conf, offer_lifetime, 1, 3600, 60),
	BOOL("match-client-id", struct conf, match_client_id, true),
	BOOL("authoritative", struct conf, authoritative, false),
	IPV4("next-server", struct conf, next_server),
	STR("server-hostname", struct conf, server_hostname, ""),
	STR("boot-file-name", struct conf, boot_file_name, ""),
	/* high-availability (conf_ha.c) before anything names a class: its
	 * HA_<peer> scope classes are then known to every reference. */
	{ .name = "high-availability", .kind = K_CUSTOM, .fn = conf_key_ha },
	/* option-def first (option-data anywhere may use its names), then the
	 * classes (their option-data), before every other option-data. */
	PARSE("option-def", conf_parse_option_defs),
	PARSE("client-classes", conf_parse_classes),
	PARSE("host-reservation-identifiers", conf_parse_hr_ids),
	PARSE("flex-id-expression", conf_parse_flex_expr),
	PARSE("option-precedence", conf_parse_precedence),
	CUSTOM("option-data", struct conf, options, conf_key_options),
	GROUP("lease-database", struct conf, lease_db, lease_db_table),
	GROUP("hosts-database", struct conf, hosts_db, hosts_db_table),
	CUSTOM("hosts-databases", struct conf, hosts_db, parse_hosts_dbs),
	GROUP("logging", struct conf, logging, logging_table),
	GROUP("control-socket", struct conf, ctl_socket, ctl_socket_table),
	GROUP("http-control", struct conf, http_control, http_control_table),
	LIST("subnet4", struct conf, subnets, n_subnets, conf_subnet_table, 0),
	{ .name = "reservations", .kind = K_CUSTOM, .fn = conf_key_reservations },  /* global ones */
	{ .name = "shared-networks", .kind = K_CUSTOM,       /* appends to subnets */
	  .fn = conf_key_shared_networks },
	/* DHCPv6 (conf6.c): after interfaces (its subnets name them) and the
	 * top lease-database (its memfile settings hold for both). */
	{ .name = "dhcp6", .kind = K_CUSTOM, .fn = conf6_key_dhcp6 },
	/* RADIUS (conf_radius.c): after both families' classes and flex-id
	 * expressions and the lease-database. */
	{ .name = "radius", .kind = K_CUSTOM, .fn = conf_key_radius },
};
static const struct conf_table top_table = TABLE("at the top level", top_keys, .post = top_post);

/* ------------------------------------------------------------------------
 * Validators and parsers named by the tables
 */

static int check_nonempty(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	if (*((char *)obj + k->off) == '\0')
		return conf_err(ld, s, "'%s' must not be empty", k->name);
	return 0;
}

/* A boolean that another hook reads from the setting itself. */
static int check_bool(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	(void)obj;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_err(ld, s, "'%s' must be true or false, not %s", k->name,
				conf_type_name(config_setting_type(s)));
	return 0;
}

/* EAL --lcores: "0,1", "0@0,1@1", "0-3", "(0,1)@0,2".  Count the lcore ids
 * before the '@' of each element; the first is the main lcore, so at least
 * one more is needed for a worker. */
static int check_lcores(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	const char *p = (const char *)obj + k->off;
	unsigned n = 0;

	if (*p == '\0')
		return conf_err(ld, s, "'lcores' must not be empty");
	if (strspn(p, "0123456789,@()-") != strlen(p))
		return conf_err(ld, s, "'lcores' \"%s\": only digits and , @ ( ) - belong in an EAL lcore list", p);
	while (*p) {
		bool group = *p == '(';

		if (group)
			p++;
		for (;;) {
			char *e;
			unsigned long a = strtoul(p, &e, 10), b = a;

			if (e == p)
				goto bad;
			p = e;
			if (*p == '-') {
				b = strtoul(++p, &e, 10);
				if (e == p || b < a)
					goto bad;
				p = e;
			}
			n += (unsigned)(b - a + 1);
			if (!group || *p != ',')
				break;
			p++;
		}
		if (group && *p++ != ')')
			goto bad;
		if (*p == '@') {
			/* The cpu set: skip it, parentheses included. */
			p++;
			if (*p == '(') {
				while (*p && *p != ')')
					p++;
				if (*p++ != ')')
					goto bad;
			} else {
				p += strspn(p, "0123456789-");
			}
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (n < 2)
		return conf_err(ld, s, "'lcores' names %u lcore: the first is the main lcore, "
				"at least one more is needed as a worker", n);
	return 0;
bad:
	return conf_err(ld, s, "'lcores' \"%s\" is not an EAL lcore list", (const char *)obj + k->off);
}

/* extra-args = [ "...", ... ] -> char ** */
static int parse_strings(struct conf_ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	struct conf_dpdk *d = obj;
	int type = config_setting_type(s), n = config_setting_length(s);

	(void)k;
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'%s' must be an array of strings [ ... ], not %s",
				config_setting_name(s), conf_type_name(type));
	if (n == 0)
		return 0;
	d->extra_args = calloc((size_t)n, sizeof(*d->extra_args));
	if (d->extra_args == NULL)
		return conf_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = conf_string(ld, e, config_setting_name(s));

		if (v == NULL)
			return -1;
		d->extra_args[i] = strdup(v);
		if (d->extra_args[i] == NULL)
			return conf_nomem(ld, e);
		d->n_extra_args++;
	}
	return 0;
}

static int parse_iface_addr(struct conf_ld *ld, const config_setting_t *s, void *obj,
			    const struct conf_key *k)
{
	struct conf_iface *f = obj;
	const char *v = conf_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	if (conf_ip4_prefix(v, &f->addr, &f->prefix_len) < 0 || f->prefix_len == 0)
		return conf_err(ld, s, "'address': \"%s\" is not an IPv4 address with a prefix "
				"length, e.g. \"198.18.0.1/24\"", v);
	if (f->addr == 0)
		return conf_err(ld, s, "'address': 0.0.0.0 is not an address of this server");
	f->has_addr4 = true;
	return 0;
}

/* The port's global (or unique local) address: link-local ones are
 * derived from the MAC, multicast and :: are never a server's. */
static int parse_iface_addr6(struct conf_ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k)
{
	struct conf_iface *f = obj;
	const char *v = conf_string(ld, s, k->name);

	if (v == NULL)
		return -1;
	if (conf_ip6_prefix(v, &f->addr6, &f->prefix6_len) < 0 || f->prefix6_len == 0)
		return conf_err(ld, s, "'address6': \"%s\" is not an IPv6 address with a prefix "
				"length, e.g. \"2001:db8:1::1/64\"", v);
	if ((f->addr6.hi >> 56) == 0xff)
		return conf_err(ld, s, "'address6': \"%s\" is a multicast address", v);
	if ((f->addr6.hi >> 54) == (0xfe80ull >> 6))
		return conf_err(ld, s, "'address6': \"%s\" is link-local: the server derives its "
				"link-local address from the port's MAC; give its global one", v);
	if (f->addr6.hi == 0 && f->addr6.lo <= 1)
		return conf_err(ld, s, "'address6': \"%s\" is not a unicast address", v);
	f->has_addr6 = true;
	return 0;
}

/* ------------------------------------------------------------------------
 * Per-table hooks
 */

static int iface_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		      const config_setting_t **found)
{
	struct conf_iface *f = obj;

	f->line = config_setting_source_line(grp);
	if (!f->has_addr4 && !f->has_addr6)
		return conf_err(ld, grp, "interface \"%s\" needs 'address' (IPv4), 'address6' (IPv6) "
				"or both", f->name);
	for (const struct conf_iface *p = ld->c->ifaces; p < f; p++) {
		if (strcmp(p->name, f->name) == 0)
			return conf_err(ld, conf_found(&iface_table, found, "name"),
					"interface name \"%s\" is already used (line %d)", f->name, p->line);
		if (strcmp(p->device, f->device) == 0)
			return conf_err(ld, conf_found(&iface_table, found, "device"),
					"device \"%s\" is already used by interface \"%s\"", f->device, p->name);
	}
	return 0;
}

/* A redis store (lease- or hosts-database, its table tbl): one place to
 * connect to (host + port or a socket), one host, and a name that is a
 * database number or a key prefix without glob characters. */
static int redis_conn_check(struct conf_ld *ld, const struct conf_table *tbl, const char *what,
			    struct conf_lease_db *db, const config_setting_t **found)
{
	const config_setting_t *s_host = conf_found(tbl, found, "host");
	const config_setting_t *s_port = conf_found(tbl, found, "port");
	const config_setting_t *s_sock = conf_found(tbl, found, "socket");

	if (s_sock && (s_host || s_port))
		return conf_err(ld, s_host ? s_host : s_port, "a redis %s connects to 'socket' "
				"\"%s\" or to 'host'/'port', not both", what, db->socket);
	if (s_sock && db->socket[0] != '/')
		return conf_err(ld, s_sock, "'socket' \"%s\" must be an absolute path", db->socket);
	if (strchr(db->host, ','))
		return conf_err(ld, s_host, "'host' \"%s\": a redis %s has one host%s", db->host,
				what, tbl == &lease_db_table ? " (list the sentinels in 'sentinels' "
				"to follow a failover)" : "");
	if (strchr(db->port, ','))
		return conf_err(ld, s_port, "'port' \"%s\": a redis %s has one port", db->port, what);
	if (!s_host)
		snprintf(db->host, sizeof(db->host), "127.0.0.1");
	if (!s_port)
		snprintf(db->port, sizeof(db->port), "6379");
	for (const char *p = db->name; *p; p++)
		if (*p <= ' ' || *p == '*' || *p == '?' || *p == '[' || *p == ']' || *p == '\\')
			return conf_err(ld, conf_found(tbl, found, "name"), "'name' \"%s\" (a database "
					"number or a key prefix): no spaces, control characters or "
					"glob characters * ? [ ] \\", db->name);
	return 0;
}

/* A redis lease-database: the connection as above, or sentinels instead,
 * and WAIT only where replies wait for the store. */
static int redis_db_check(struct conf_ld *ld, struct conf_lease_db *db,
			  const config_setting_t **found)
{
	const config_setting_t *s_host = conf_found(&lease_db_table, found, "host");
	const config_setting_t *s_port = conf_found(&lease_db_table, found, "port");
	const config_setting_t *s_sock = conf_found(&lease_db_table, found, "socket");
	const config_setting_t *s_sent = conf_found(&lease_db_table, found, "sentinels");
	const config_setting_t *s_wait = conf_found(&lease_db_table, found, "wait-replicas");

	if (s_sent && (s_host || s_port || s_sock))
		return conf_err(ld, s_host ? s_host : s_port ? s_port : s_sock, "with 'sentinels' "
				"the sentinels name the redis primary: leave out 'host', 'port' and "
				"'socket'");
	if (redis_conn_check(ld, &lease_db_table, "lease-database", db, found) < 0)
		return -1;
	if (s_wait && db->wait_replicas && db->durability != CONF_DUR_COMMIT)
		return conf_err(ld, s_wait, "'wait-replicas' makes replies wait for the replicas: "
				"it needs durability \"commit\" (write-behind does not wait)");
	return 0;
}

/* sentinels = ( "127.0.0.1:26379", "[2001:db8::1]:26379" ): each "host:port". */
static int parse_sentinels(struct conf_ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k)
{
	struct conf_lease_db *db = obj;
	int type = config_setting_type(s), n = config_setting_length(s);

	(void)k;
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'sentinels' must be a list of \"host:port\" strings");
	if (n < 1 || n > CONF_REDIS_SENTINELS_MAX)
		return conf_err(ld, s, "'sentinels' lists 1..%d sentinels, not %d",
				CONF_REDIS_SENTINELS_MAX, n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = e ? config_setting_get_string(e) : NULL;
		const char *colon = v ? strrchr(v, ':') : NULL;
		char *end;
		long port;

		if (v == NULL)
			return conf_err(ld, e ? e : s, "'sentinels' entries are \"host:port\" strings");
		if (colon == NULL || colon == v || strlen(v) >= sizeof(db->sentinels[0]))
			return conf_err(ld, e, "sentinel \"%s\" is not \"host:port\"", v);
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
			return conf_err(ld, e, "sentinel \"%s\": '%s' is not a TCP port", v, colon + 1);
		snprintf(db->sentinels[i], sizeof(db->sentinels[i]), "%s", v);
	}
	db->n_sentinels = (unsigned)n;
	return 0;
}

/* The first of the NULL-terminated keys that the lease-database group
 * has (its name in *which), or NULL. */
static const config_setting_t *lease_db_found_any(const config_setting_t **found,
						  const char *const *keys, const char **which)
{
	for (; *keys; keys++) {
		const config_setting_t *x = conf_found(&lease_db_table, found, *keys);

		if (x) {
			*which = *keys;
			return x;
		}
	}
	return NULL;
}

/* persist = false is Kea's way to say "memory"; durability says it in full.
 * Saying both differently is refused rather than guessed. */
static int lease_db_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
			 const config_setting_t **found)
{
	struct conf_lease_db *db = obj;
	const config_setting_t *s_persist = conf_found(&lease_db_table, found, "persist");
	const config_setting_t *s_dur = conf_found(&lease_db_table, found, "durability");
	const config_setting_t *s_type = conf_found(&lease_db_table, found, "type");

	if (grp == NULL) {
		/* No lease-database at all: leases live in memory only. */
		db->type = CONF_DB_NONE;
		db->durability = CONF_DUR_MEMORY;
		return 0;
	}
	if (s_persist) {
		bool persist = config_setting_get_bool(s_persist);

		if (s_dur && !persist && db->durability != CONF_DUR_MEMORY)
			return conf_err(ld, s_dur, "durability \"%s\" contradicts persist = false "
					"(persist = false means durability \"memory\")",
					conf_durability_name(db->durability));
		if (s_dur && persist && db->durability == CONF_DUR_MEMORY)
			return conf_err(ld, s_dur, "durability \"memory\" contradicts persist = true");
		if (!persist)
			db->durability = CONF_DUR_MEMORY;
	}
	db->line = conf_line(grp);
	if (db->type == CONF_DB_MEMFILE && db->durability != CONF_DUR_MEMORY && db->name[0] == '\0')
		return conf_err(ld, s_type ? s_type : grp, "a memfile lease-database needs a 'name' "
				"(the lease file) unless durability is \"memory\"");
	if (db->type == CONF_DB_MEMFILE) {
		static const char *const db_only[] = { "host", "port", "user", "password",
			"connect-timeout", "max-reconnect-tries", "reconnect-wait-time", "on-fail",
			"shared", "journal-directory", NULL };
		const char *k;
		const config_setting_t *x = lease_db_found_any(found, db_only, &k);

		if (x)
			return conf_err(ld, x, "'%s' belongs to a database lease-database "
					"(type \"postgresql\" or \"redis\"), not to memfile", k);
	}
	if (db->type != CONF_DB_REDIS) {
		static const char *const redis_only[] = { "socket", "wait-replicas", "wait-timeout",
			"sentinels", "sentinel-master", "sentinel-password", NULL };
		const char *k;
		const config_setting_t *x = lease_db_found_any(found, redis_only, &k);

		if (x)
			return conf_err(ld, x, "'%s' belongs to a redis lease-database, not to %s", k,
					conf_db_type_name(db->type));
	}
	if (db->type == CONF_DB_MEMFILE)
		return 0;
	if (db->type == CONF_DB_POSTGRESQL && db->name[0] == '\0')
		return conf_err(ld, s_type ? s_type : grp, "a postgresql lease-database needs a "
				"'name' (the database, e.g. \"kea\")");
	if (db->type == CONF_DB_REDIS && redis_db_check(ld, db, found) < 0)
		return -1;
	if (conf_found(&lease_db_table, found, "lfc-interval"))
		return conf_err(ld, conf_found(&lease_db_table, found, "lfc-interval"),
				"'lfc-interval' belongs to memfile (the lease file's compaction)");
	if (db->durability == CONF_DUR_MEMORY)
		return conf_err(ld, s_persist ? s_persist : s_dur ? s_dur : s_type,
				"a %s lease-database keeps leases in the database: "
				"durability \"memory\" (persist = false) contradicts it",
				conf_db_type_name(db->type));
	if (db->shared && !conf_found(&lease_db_table, found, "on-fail"))
		db->on_fail = CONF_ON_FAIL_STOP_RETRY_EXIT;
	if (db->shared && db->on_fail != CONF_ON_FAIL_STOP_RETRY_EXIT)
		return conf_err(ld, conf_found(&lease_db_table, found, "on-fail"),
				"shared = true needs on-fail \"stop-retry-exit\" (its default then): "
				"serving while the database is away, no server could learn that "
				"another gave out the same address");
	if (db->shared && db->durability != CONF_DUR_COMMIT)
		return conf_err(ld, s_dur ? s_dur : conf_found(&lease_db_table, found, "shared"),
				"shared = true needs durability \"commit\": with \"%s\" a reply "
				"leaves before the database has refused an address another server "
				"holds, so two clients could get one address",
				conf_durability_name(db->durability));
	return 0;
}

static int hosts_db_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
			 const config_setting_t **found)
{
	struct conf_hosts_db *h = obj;
	const config_setting_t *s_sock = conf_found(&hosts_db_table, found, "socket");

	h->enabled = grp != NULL;
	h->line = conf_line(grp);
	h->db.line = h->line;
	h->db.durability = CONF_DUR_COMMIT;
	if (grp == NULL)
		return 0;
	if (h->db.type == CONF_DB_REDIS)
		return redis_conn_check(ld, &hosts_db_table, "hosts-database", &h->db, found);
	if (s_sock)
		return conf_err(ld, s_sock, "'socket' belongs to a redis hosts-database; a "
				"postgresql one names its socket directory in 'host'");
	if (h->db.name[0] == '\0')
		return conf_err(ld, conf_found(&hosts_db_table, found, "type") ?
				conf_found(&hosts_db_table, found, "type") : grp,
				"a postgresql hosts-database needs a 'name' (the database, e.g. "
				"\"kea\")");
	return 0;
}

/* hosts-databases = ( { ... } ): Kea's list; one database is supported
 * here (Kea asks each in turn; a second would need an order of lookups
 * and writes this server does not have). */
static int parse_hosts_dbs(struct conf_ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k)
{
	struct conf_hosts_db *h = obj;
	const config_setting_t *found[CONF_MAX_KEYS];

	const config_setting_t *one = config_setting_get_member(config_setting_parent(s),
								 "hosts-database");

	(void)k;
	if (one)
		return conf_err(ld, s, "'hosts-databases' and 'hosts-database' (line %d) are both "
				"given: write one", conf_line(one));
	if (conf_check_list(ld, s, "hosts-databases") < 0)
		return -1;
	if (config_setting_length(s) == 0)
		return conf_err(ld, s, "'hosts-databases' is empty");
	if (config_setting_length(s) > 1)
		return conf_err(ld, config_setting_get_elem(s, 1), "only one hosts database is "
				"supported (one database serves DHCPv4 and DHCPv6)");
	return conf_walk(ld, config_setting_get_elem(s, 0), &hosts_db_table, h, found);
}

/* host = "db1,db2": libpq's list; each entry a name, an address or a
 * socket directory (starting with '/').  No spaces or quotes, which
 * libpq's keyword values would need escaped. */
static int check_pg_host(struct conf_ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	const char *h = (const char *)obj + k->off;
	const char *p;

	if (h[0] == '\0')
		return conf_err(ld, s, "'%s' must not be empty", k->name);
	for (p = h; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\'' || *p == '"' || *p == '\\')
			return conf_err(ld, s, "'%s' \"%s\": no spaces, quotes or backslashes "
					"(a comma separates hosts)", k->name, h);
	if (h[0] == ',' || p[-1] == ',' || strstr(h, ",,"))
		return conf_err(ld, s, "'%s' \"%s\": an empty entry in the host list", k->name, h);
	return 0;
}

/* port = 5432 (Kea), or port = "5432,5433" for a host list. */
static int parse_pg_port(struct conf_ld *ld, const config_setting_t *s, void *obj,
			 const struct conf_key *k)
{
	char *out = (char *)obj + k->off;
	size_t size = sizeof(((struct conf_lease_db *)0)->port);
	const char *str, *p;

	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		int v = config_setting_get_int(s);

		if (v < 1 || v > 65535)
			return conf_err(ld, s, "'%s' %d is not a TCP port (1..65535)", k->name, v);
		snprintf(out, size, "%d", v);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_err(ld, s, "'%s' must be a port number or a string \"5432,5433\", not %s",
				k->name, conf_type_name(config_setting_type(s)));
	str = config_setting_get_string(s);
	if (str[0] == '\0' || strlen(str) >= size)
		return conf_err(ld, s, "'%s' \"%s\" is empty or too long", k->name, str);
	for (p = str; *p; ) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || v < 1 || v > 65535 || (*end != ',' && *end != '\0') ||
		    (*end == ',' && end[1] == '\0'))
			return conf_err(ld, s, "'%s' \"%s\": each entry must be a TCP port (1..65535)",
					k->name, str);
		p = *end ? end + 1 : end;
	}
	snprintf(out, size, "%s", str);
	return 0;
}

const char *conf_db_type_name(enum conf_db_type t)
{
	switch (t) {
	case CONF_DB_NONE: return "none";
	case CONF_DB_MEMFILE: return "memfile";
	case CONF_DB_POSTGRESQL: return "postgresql";
	case CONF_DB_REDIS: return "redis";
	}
	return "?";
}

const char *conf_on_fail_name(enum conf_on_fail f)
{
	switch (f) {
	case CONF_ON_FAIL_STOP_RETRY_EXIT: return "stop-retry-exit";
	case CONF_ON_FAIL_SERVE_RETRY_EXIT: return "serve-retry-exit";
	case CONF_ON_FAIL_SERVE_RETRY_CONTINUE: return "serve-retry-continue";
	}
	return "?";
}

unsigned conf_pg_params(const struct conf_lease_db *db, const char **keys, const char **vals,
			unsigned max, char *buf, size_t buflen)
{
	unsigned n = 0;

#define PG_PARAM(k, v) do { \
		if (n + 1 < max && (v) != NULL && (v)[0] != '\0') { \
			keys[n] = (k); \
			vals[n] = (v); \
			n++; \
		} \
	} while (0)
	PG_PARAM("host", db->host);
	PG_PARAM("port", db->port);
	PG_PARAM("dbname", db->name);
	PG_PARAM("user", db->user);
	PG_PARAM("password", db->password);
	if (buf != NULL && buflen > 0) {
		snprintf(buf, buflen, "%u", db->connect_timeout);
		PG_PARAM("connect_timeout", buf);
	}
	/* the writer needs the primary: after a failover libpq skips a
	 * host that came back as a standby */
	PG_PARAM("target_session_attrs", "read-write");
	PG_PARAM("application_name", "peregrine");
#undef PG_PARAM
	if (max > 0) {
		keys[n] = NULL;
		vals[n] = NULL;
	}
	return n;
}

/* socket-mode = "0600": 3 or 4 octal digits, at most 0777. */
static int parse_mode(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	const char *str = conf_string(ld, s, k->name);
	unsigned v = 0;
	size_t n;

	if (str == NULL)
		return -1;
	n = strlen(str);
	if (n < 3 || n > 5 || strspn(str, "01234567") != n)
		return conf_err(ld, s, "'%s' \"%s\" must be octal permissions such as \"0600\"",
				k->name, str);
	for (size_t i = 0; i < n; i++)
		v = v * 8 + (unsigned)(str[i] - '0');
	if (v > 0777)
		return conf_err(ld, s, "'%s' \"%s\": only permission bits (at most 0777) belong here",
				k->name, str);
	if (!(v & 0600))
		return conf_err(ld, s, "'%s' \"%s\" leaves the owner unable to use the socket",
				k->name, str);
	*(unsigned *)((char *)obj + k->off) = v;
	return 0;
}

static int check_listen_addr(struct conf_ld *ld, const config_setting_t *s, void *obj,
			     const struct conf_key *k)
{
	const char *a = (const char *)obj + k->off;
	unsigned char buf[16];

	if (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1)
		return conf_err(ld, s, "'%s': \"%s\" is not an IPv4 or IPv6 address", k->name, a);
	return 0;
}

static int ctl_socket_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
			   const config_setting_t **found)
{
	struct conf_ctl_socket *cs = obj;

	(void)ld;
	cs->enabled = grp != NULL;
	cs->line = grp ? config_setting_source_line(grp) : 0;
	if (!conf_found(&ctl_socket_table, found, "socket-mode"))
		cs->mode = 0600;
	/* socket-type went through the enum into the first bytes: spell it */
	snprintf(cs->socket_type, sizeof(cs->socket_type), "unix");
	return 0;
}

static int http_control_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
			     const config_setting_t **found)
{
	struct conf_http_control *h = obj;
	const config_setting_t *s_user = conf_found(&http_control_table, found, "user");
	const config_setting_t *s_pass = conf_found(&http_control_table, found, "password");

	h->enabled = grp != NULL;
	h->line = grp ? config_setting_source_line(grp) : 0;
	if (!grp)
		return 0;
	if ((h->user[0] != '\0') != (h->password[0] != '\0'))
		return conf_err(ld, s_user ? s_user : s_pass ? s_pass : grp,
				"http-control needs both 'user' and 'password' (basic auth), or neither");
	if (strchr(h->user, ':'))
		return conf_err(ld, s_user, "'user' must not contain ':' (basic auth separates with it)");
	return 0;
}

/* With a port that has no IPv4 address (its addr is 0.0.0.0, conf.h), a
 * subnet4 containing 0.0.0.0 would be that port's subnet to the DHCPv4
 * code that looks subnets up by the port's address. */
static int check_no_v4_iface(struct conf_ld *ld, const struct conf *c)
{
	const struct conf_iface *f = NULL;

	for (unsigned i = 0; i < c->n_ifaces && f == NULL; i++)
		if (c->ifaces[i].has_addr6 && !c->ifaces[i].has_addr4)
			f = &c->ifaces[i];
	for (unsigned i = 0; f && i < c->n_subnets; i++)
		if (c->subnets[i].prefix == 0)
			return conf_err(ld, config_setting_get_member(ld->sn_src[i], "subnet"),
					"subnet 0.0.0.0/%u contains 0.0.0.0, the IPv4 address of "
					"interface \"%s\" (which has address6 only)",
					c->subnets[i].prefix_len, f->name);
	return 0;
}

/* Rules that span the whole file: run once everything is parsed. */
static int top_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		    const config_setting_t **found)
{
	struct conf *c = obj;
	const config_setting_t *s_valid = conf_found(&top_table, found, "valid-lifetime");
	const config_setting_t *s_renew = conf_found(&top_table, found, "renew-timer");
	const config_setting_t *s_rebind = conf_found(&top_table, found, "rebind-timer");
	struct conf_range *r;
	int ret;

	(void)grp;
	if (conf_ha_finish(ld) < 0)
		return -1;
	if (s_renew && s_rebind && c->renew_timer >= c->rebind_timer)
		return conf_err(ld, s_rebind, "renew-timer %u must be less than rebind-timer %u",
				c->renew_timer, c->rebind_timer);
	if (s_rebind && c->rebind_timer >= c->valid_lifetime)
		return conf_err(ld, s_valid ? s_valid : s_rebind, "rebind-timer %u must be less than "
				"valid-lifetime %u", c->rebind_timer, c->valid_lifetime);
	if (s_renew && c->renew_timer >= c->valid_lifetime)
		return conf_err(ld, s_valid ? s_valid : s_renew, "renew-timer %u must be less than "
				"valid-lifetime %u", c->renew_timer, c->valid_lifetime);

	if (conf_check_overlaps(ld, ld->pools.r, ld->pools.n, "pool") < 0)
		return -1;
	if (check_no_v4_iface(ld, c) < 0)
		return -1;
	for (unsigned i = 0; i < c->n_ifaces && i < CLS_MAX_IFACES; i++)
		if (cls_registry_set_iface(c->policy->reg, i, c->ifaces[i].name) < 0)
			return conf_nomem(ld, NULL);
	if (c->n_subnets == 0)
		return conf_policy_finish(ld);

	r = calloc(c->n_subnets, sizeof(*r));
	if (r == NULL)
		return conf_nomem(ld, NULL);
	for (unsigned i = 0; i < c->n_subnets; i++) {
		r[i].first.lo = c->subnets[i].id;
		r[i].seq = i;
		r[i].s = config_setting_get_member(ld->sn_src[i], "id");
	}
	ret = conf_check_unique_ids(ld, r, c->n_subnets);
	for (unsigned i = 0; ret == 0 && i < c->n_subnets; i++) {
		const struct conf_subnet *sn = &c->subnets[i];

		r[i].first.lo = sn->prefix;
		r[i].last.lo = sn->prefix | ~sn->mask;
		r[i].seq = i;
		r[i].s = config_setting_get_member(ld->sn_src[i], "subnet");
	}
	if (ret == 0)
		ret = conf_check_overlaps(ld, r, c->n_subnets, "subnet");
	if (ret == 0)
		ret = conf_policy_finish(ld);
	free(r);
	return ret;
}

/* ------------------------------------------------------------------------
 * Public API
 */

struct conf_policy *conf_policy_create(void)
{
	struct conf_policy *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->reg = cls_registry_create();
	if (x->reg == NULL) {
		int e = errno;

		free(x);
		errno = e;
		return NULL;
	}
	x->precedence = CONF_PREC_KEA;
	for (unsigned i = 0; i < CLS_MAX_CLASSES; i++)
		x->class_idx[i] = -1;
	/* Kea 1.4's default order; flex-id needs to be listed (as Kea's
	 * flex-id hook needs to be loaded). */
	x->hr_order[0] = CONF_HID_HW_ADDRESS;
	x->hr_order[1] = CONF_HID_DUID;
	x->hr_order[2] = CONF_HID_CIRCUIT_ID;
	x->hr_order[3] = CONF_HID_CLIENT_ID;
	x->n_hr_order = 4;
	return x;
}

void conf_policy_free(struct conf_policy *x)
{
	if (x == NULL)
		return;
	cls_registry_free(x->reg);
	cls_prog_free(x->flex_expr);
	free(x->defs);
	for (unsigned i = 0; i < x->n_classes; i++)
		free(x->classes[i].options.opts);
	free(x->classes);
	for (unsigned i = 0; i < x->n_hosts; i++)
		free(x->hosts[i].options.opts);
	free(x->hosts);
	for (unsigned i = 0; i < x->n_shared; i++) {
		free(x->shared[i].relay_addrs);
		free(x->shared[i].options.opts);
	}
	free(x->shared);
	free(x);
}

int conf_policy_finish(struct conf_ld *ld)
{
	struct conf_policy *x = ld->x;

	x->classify_pre = cls_registry_stage_work(x->reg, CLS_STAGE_PRE_HOST) > 0;
	x->classify_post = cls_registry_stage_work(x->reg, CLS_STAGE_POST_HOST) > 0;
	for (unsigned i = 0; i < x->n_shared; i++)
		x->shared[i].subnets = NULL;
	return conf_hosts_check(ld);
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->dpdk.n_extra_args; i++)
		free(c->dpdk.extra_args[i]);
	free(c->dpdk.extra_args);
	free(c->ifaces);
	free(c->options.opts);
	for (unsigned i = 0; i < c->n_subnets; i++) {
		free(c->subnets[i].relay_addrs);
		free(c->subnets[i].options.opts);
		for (unsigned j = 0; c->subnets[i].pools && j < c->subnets[i].n_pools; j++)
			free(c->subnets[i].pools[j].options.opts);
		free(c->subnets[i].pools);
	}
	free(c->subnets);
	conf_policy_free(c->policy);
	conf6_free(c->v6);
	free(c->ha);
	if (!c->radius_borrowed)
		conf_radius_free(c->radius);
	free(c);
}

/* text NULL: read the file at path. */
static struct conf *load(const char *path, const char *text, char *err, size_t errlen)
{
	struct conf_ld ld;
	FILE *f;
	int errnum;

	if (errlen)
		err[0] = '\0';
	if (path == NULL || strlen(path) >= sizeof(ld.c->file)) {
		if (errlen)
			snprintf(err, errlen, "%s: bad configuration file name", path ? path : "(null)");
		errno = EINVAL;
		return NULL;
	}
	/* libconfig only says "file I/O error"; find out why ourselves. */
	f = text ? NULL : fopen(path, "r");
	if (text == NULL && f == NULL) {
		errnum = errno;
		if (errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errnum));
		errno = errnum;
		return NULL;
	}
	if (f)
		fclose(f);

	/* @include paths are relative to the main file's directory (the
	 * service's working directory says nothing to the reader). */
	conf_ld_init(&ld, NULL, path, NULL, err, errlen);
	config_init(&ld.cf);
	config_set_include_dir(&ld.cf, ld.incdir);
	if (!(text ? config_read_string(&ld.cf, text) : config_read_file(&ld.cf, path))) {
		const char *file = config_error_file(&ld.cf);

		if (config_error_type(&ld.cf) == CONFIG_ERR_FILE_IO || (file == NULL && !text)) {
			ld.errnum = EIO;
			if (errlen)
				snprintf(err, errlen, "%s: %s", path, config_error_text(&ld.cf));
		} else {
			char where[2 * PATH_MAX];

			conf_shown_file(&ld, file, where, sizeof(where));
			ld.errnum = EINVAL;
			if (errlen)
				snprintf(err, errlen, "%s:%d: %s", where, config_error_line(&ld.cf),
					 config_error_text(&ld.cf));
		}
		goto err;
	}

	ld.c = calloc(1, sizeof(*ld.c));
	if (ld.c == NULL) {
		conf_nomem(&ld, NULL);
		goto err;
	}
	memcpy(ld.c->file, path, strlen(path) + 1);
	ld.c->policy = conf_policy_create();
	if (ld.c->policy == NULL) {
		conf_nomem(&ld, NULL);
		goto err;
	}
	ld.x = ld.c->policy;
	if (conf_walk(&ld, config_root_setting(&ld.cf), &top_table, ld.c, ld.top) < 0)
		goto err;

	free(ld.pools.r);
	free(ld.sn_src);
	free(ld.refs);
	config_destroy(&ld.cf);
	return ld.c;
err:
	errnum = ld.errnum ? ld.errnum : EINVAL;
	conf_free(ld.c);
	free(ld.pools.r);
	free(ld.sn_src);
	free(ld.refs);
	config_destroy(&ld.cf);
	errno = errnum;
	return NULL;
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	return load(path, NULL, err, errlen);
}

struct conf *conf_load_text(const char *path, const char *text, char *err, size_t errlen)
{
	if (text == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s: no text", path ? path : "(null)");
		errno = EINVAL;
		return NULL;
	}
	return load(path, text, err, errlen);
}

const struct conf_subnet *conf_subnet_by_id(const struct conf *c, uint32_t id)
{
	for (unsigned i = 0; i < c->n_subnets; i++)
		if (c->subnets[i].id == id)
			return &c->subnets[i];
	return NULL;
}

const char *conf_durability_name(enum conf_durability d)
{
	switch (d) {
	case CONF_DUR_MEMORY: return "memory";
	case CONF_DUR_WRITE_BEHIND: return "write-behind";
	case CONF_DUR_COMMIT: return "commit";
	}
	return "?";
}
