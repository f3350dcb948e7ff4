/* high-availability: Kea 2.2's libdhcp_ha.so block, its keys, defaults and
 * bounds (ha_config_parser.cc, ha_config.cc), the rules Kea's validation
 * applies (roles per mode, one primary, wait-backup-ack and
 * delayed-updates-limit per mode), and Peregrine's own on top:
 *   - the peer link speaks plain HTTP (no TLS keys, no https: URLs);
 *   - a URL is http://<address literal>:<port>/ (Kea connects to the
 *     port written and refuses names; a missing port would be port 0);
 *   - peer names are letters, digits, '.', '-', '_' (they go into JSON,
 *     log lines and the HA_<name> class names);
 *   - two peers may not share a URL;
 *   - max-response-delay must be greater than heartbeat-delay (Kea's
 *     manual says it should be: otherwise the partner is deemed gone
 *     between two heartbeats), heartbeat-delay, sync-timeout and
 *     sync-page-limit are at least 1 (Kea fails at run time on a zero
 *     heartbeat, and a page of 0 leases never ends a sync);
 *   - at most CONF_HA_PEERS_MAX peers;
 *   - basic auth both or neither (Kea sends an empty password).
 * The HA_<name> classes: see conf.h (struct conf_ha_peer class4). */
#include "conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_url(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_peers(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int parse_states(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int refuse_tls(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int refuse_mt(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);
static int peer_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);
static int ha_post(struct conf_ld *, const config_setting_t *, void *, const config_setting_t **);

static const struct conf_enum mode_names[] = {
	{ "load-balancing", CONF_HA_LOAD_BALANCING }, { "hot-standby", CONF_HA_HOT_STANDBY },
	{ "passive-backup", CONF_HA_PASSIVE_BACKUP }, { NULL, 0 },
};
static const struct conf_enum role_names[] = {
	{ "primary", CONF_HA_PRIMARY }, { "secondary", CONF_HA_SECONDARY },
	{ "standby", CONF_HA_STANDBY }, { "backup", CONF_HA_BACKUP }, { NULL, 0 },
};
static const struct conf_enum state_names[] = {
	{ "backup", CONF_HA_ST_BACKUP }, { "communication-recovery", CONF_HA_ST_COMMUNICATION_RECOVERY },
	{ "hot-standby", CONF_HA_ST_HOT_STANDBY }, { "load-balancing", CONF_HA_ST_LOAD_BALANCING },
	{ "in-maintenance", CONF_HA_ST_IN_MAINTENANCE }, { "partner-down", CONF_HA_ST_PARTNER_DOWN },
	{ "partner-in-maintenance", CONF_HA_ST_PARTNER_IN_MAINTENANCE },
	{ "passive-backup", CONF_HA_ST_PASSIVE_BACKUP }, { "ready", CONF_HA_ST_READY },
	{ "syncing", CONF_HA_ST_SYNCING }, { "terminated", CONF_HA_ST_TERMINATED },
	{ "waiting", CONF_HA_ST_WAITING }, { NULL, 0 },
};
static const struct conf_enum pause_names[] = {
	{ "never", CONF_HA_PAUSE_NEVER }, { "always", CONF_HA_PAUSE_ALWAYS },
	{ "once", CONF_HA_PAUSE_ONCE }, { NULL, 0 },
};

#define TLS_KEYS \
	{ .name = "trust-anchor", .kind = K_CUSTOM, .fn = refuse_tls }, \
	{ .name = "cert-file", .kind = K_CUSTOM, .fn = refuse_tls }, \
	{ .name = "key-file", .kind = K_CUSTOM, .fn = refuse_tls }

/* peers = ( { name; url; url6; role; auto-failover; basic-auth-user;
 * basic-auth-password; }, ... ) */
static const struct conf_key peer_keys[] = {
	STR("name", struct conf_ha_peer, name, "", .flags = K_REQUIRED),
	CUSTOM("url", struct conf_ha_peer, url, parse_url, .flags = K_REQUIRED),
	CUSTOM("url6", struct conf_ha_peer, url6, parse_url),
	{ .name = "role", .kind = K_ENUM, .flags = K_REQUIRED, .aux = role_names,
	  .def_str = "primary", .off = offsetof(struct conf_ha_peer, role) },
	BOOL("auto-failover", struct conf_ha_peer, auto_failover, true),
	STR("basic-auth-user", struct conf_ha_peer, basic_auth_user, ""),
	STR("basic-auth-password", struct conf_ha_peer, basic_auth_password, ""),
	TLS_KEYS,
};
static const struct conf_table peer_table = TABLE("in a high-availability peers entry", peer_keys,
	.post = peer_post);

/* state-machine = { states = ( { state; pause; }, ... ); } */
struct xstate {
	int state;
	int pause;
};
static const struct conf_key state_keys[] = {
	{ .name = "state", .kind = K_ENUM, .flags = K_REQUIRED, .aux = state_names,
	  .def_str = "waiting", .off = offsetof(struct xstate, state) },
	ENUM("pause", struct xstate, pause, pause_names, "never"),
};
static const struct conf_table state_table = TABLE("in a state-machine states entry", state_keys);

/* The group's target is the pause table itself. */
static const struct conf_key sm_keys[] = {
	{ .name = "states", .kind = K_CUSTOM, .off = 0, .fn = parse_states },
};
static const struct conf_table sm_table = TABLE("in state-machine", sm_keys);

static const struct conf_key ha_keys[] = {
	STR("this-server-name", struct conf_ha, this_server_name, "", .flags = K_REQUIRED),
	{ .name = "mode", .kind = K_ENUM, .flags = K_REQUIRED, .aux = mode_names,
	  .def_str = "hot-standby", .off = offsetof(struct conf_ha, mode) },
	U32("heartbeat-delay", struct conf_ha, heartbeat_delay, 1, 65535, 10000),
	U32("max-response-delay", struct conf_ha, max_response_delay, 1, 65535, 60000),
	U32("max-ack-delay", struct conf_ha, max_ack_delay, 0, 65535, 10000),
	U32("max-unacked-clients", struct conf_ha, max_unacked_clients, 0, U32MAX, 10),
	U32("sync-timeout", struct conf_ha, sync_timeout, 1, U32MAX, 60000),
	U32("sync-page-limit", struct conf_ha, sync_page_limit, 1, U32MAX, 10000),
	U32("delayed-updates-limit", struct conf_ha, delayed_updates_limit, 0, U32MAX, 0),
	BOOL("sync-leases", struct conf_ha, sync_leases, true),
	BOOL("send-lease-updates", struct conf_ha, send_lease_updates, true),
	BOOL("wait-backup-ack", struct conf_ha, wait_backup_ack, false),
	CUSTOM("peers", struct conf_ha, peers, parse_peers, .flags = K_REQUIRED),
	GROUP("state-machine", struct conf_ha, pause, sm_table),
	TLS_KEYS,
	{ .name = "require-client-certs", .kind = K_CUSTOM, .fn = refuse_tls },
	{ .name = "multi-threading", .kind = K_CUSTOM, .fn = refuse_mt },
};
static const struct conf_table ha_table = TABLE("in high-availability", ha_keys, .post = ha_post);

/* ------------------------------------------------------------------------
 * Names
 */

static const char *enum_name(const struct conf_enum *e, int v)
{
	for (; e->name; e++)
		if (e->value == v)
			return e->name;
	return "?";
}

const char *conf_ha_mode_name(enum conf_ha_mode m)
{
	return enum_name(mode_names, (int)m);
}

const char *conf_ha_role_name(enum conf_ha_role r)
{
	return enum_name(role_names, (int)r);
}

const char *conf_ha_state_name(enum conf_ha_state s)
{
	return enum_name(state_names, (int)s);
}

const char *conf_ha_pause_name(enum conf_ha_pause p)
{
	return enum_name(pause_names, (int)p);
}

const struct conf_ha_peer *conf_ha_peer_find(const struct conf_ha *ha, const char *name)
{
	for (unsigned i = 0; ha && i < ha->n_peers; i++)
		if (strcmp(ha->peers[i].name, name) == 0)
			return &ha->peers[i];
	return NULL;
}

bool conf_ha_scope_class(const struct conf_ha *ha, const struct conf_ha_peer *p)
{
	return p->role == CONF_HA_PRIMARY ||
	       (ha->mode == CONF_HA_LOAD_BALANCING && p->role == CONF_HA_SECONDARY);
}

/* A URL's text decides all of it. */
static bool peer_eq(const struct conf_ha_peer *p, const struct conf_ha_peer *q)
{
	return strcmp(p->name, q->name) == 0 && strcmp(p->url.text, q->url.text) == 0 &&
	       strcmp(p->url6.text, q->url6.text) == 0 && p->has_url6 == q->has_url6 &&
	       p->role == q->role && p->auto_failover == q->auto_failover &&
	       strcmp(p->basic_auth_user, q->basic_auth_user) == 0 &&
	       strcmp(p->basic_auth_password, q->basic_auth_password) == 0;
}

/* Everything but where it was written and the class ids (which follow
 * the client-classes around them). */
bool conf_ha_equal(const struct conf_ha *a, const struct conf_ha *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a->this_server_name, b->this_server_name) != 0 || a->mode != b->mode ||
	    a->heartbeat_delay != b->heartbeat_delay ||
	    a->max_response_delay != b->max_response_delay ||
	    a->max_ack_delay != b->max_ack_delay ||
	    a->max_unacked_clients != b->max_unacked_clients ||
	    a->sync_timeout != b->sync_timeout || a->sync_page_limit != b->sync_page_limit ||
	    a->delayed_updates_limit != b->delayed_updates_limit ||
	    a->sync_leases != b->sync_leases || a->send_lease_updates != b->send_lease_updates ||
	    a->wait_backup_ack != b->wait_backup_ack || a->n_peers != b->n_peers ||
	    memcmp(a->pause, b->pause, sizeof(a->pause)) != 0)
		return false;
	for (unsigned i = 0; i < a->n_peers; i++)
		if (!peer_eq(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * Parsers
 */

static int refuse_tls(struct conf_ld *ld, const config_setting_t *s, void *obj,
		      const struct conf_key *k)
{
	(void)obj;
	return conf_err(ld, s, "'%s': TLS is not supported on the HA peer link (plain HTTP; keep "
			"it on a private management network)", k->name);
}

static int refuse_mt(struct conf_ld *ld, const config_setting_t *s, void *obj,
		     const struct conf_key *k)
{
	(void)obj;
	(void)k;
	return conf_err(ld, s, "'multi-threading' is Kea's: Peregrine's peer link always runs on "
			"its own HA thread and listener; remove the key");
}

/* http://a.b.c.d:port/ or http://[v6]:port/ -> struct conf_ha_url. */
static int parse_url(struct conf_ld *ld, const config_setting_t *s, void *obj,
		     const struct conf_key *k)
{
	struct conf_ha_url *u = (struct conf_ha_url *)((char *)obj + k->off);
	const char *v = conf_string(ld, s, k->name), *h, *end, *p;
	char host[sizeof(u->host)];
	unsigned long port = 0;
	size_t n;

	if (v == NULL)
		return -1;
	memset(u, 0, sizeof(*u));
	if (strlen(v) >= sizeof(u->text))
		return conf_err(ld, s, "'%s' is longer than %zu characters", k->name,
				sizeof(u->text) - 1);
	snprintf(u->text, sizeof(u->text), "%s", v);
	if (strncasecmp(v, "https://", 8) == 0)
		return conf_err(ld, s, "'%s' \"%s\": TLS is not supported on the HA peer link: use "
				"http:// (on a private management network)", k->name, v);
	if (strncasecmp(v, "http://", 7) != 0)
		return conf_err(ld, s, "'%s' \"%s\" is not http://host:port/", k->name, v);
	h = v + 7;
	if (memchr(h, '@', strcspn(h, "/")))
		return conf_err(ld, s, "'%s' \"%s\": credentials go in basic-auth-user and "
				"basic-auth-password, not in the URL", k->name, v);
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL)
			return conf_err(ld, s, "'%s' \"%s\": no ']' after the IPv6 address", k->name, v);
		n = (size_t)(end - h - 1);
		if (n == 0 || n >= sizeof(host))
			return conf_err(ld, s, "'%s' \"%s\": the host must be an IPv4 or IPv6 address",
					k->name, v);
		memcpy(host, h + 1, n);
		host[n] = '\0';
		if (conf_ip6(host, &u->addr6) < 0 || strchr(host, ' ') || strchr(host, '\t'))
			return conf_err(ld, s, "'%s' \"%s\": \"%s\" is not an IPv6 address", k->name, v,
					host);
		u->v6 = true;
		end++;
	} else {
		end = h + strcspn(h, ":/");
		n = (size_t)(end - h);
		if (n >= sizeof(host))
			n = sizeof(host) - 1;
		memcpy(host, h, n);
		host[n] = '\0';
		if (n == 0 || conf_ip4(host, &u->addr4) < 0 || strchr(host, ' ') || strchr(host, '\t')) {
			if (*end == ':' && strchr(end + 1, ':'))
				return conf_err(ld, s, "'%s' \"%s\": an IPv6 address is written in "
						"brackets: http://[2001:db8::1]:8000/", k->name, v);
			return conf_err(ld, s, "'%s' \"%s\": the host must be an IPv4 or IPv6 address "
					"(as in Kea, not a name)", k->name, v);
		}
	}
	/* both branches checked the literal fits (host is as large as u->host) */
	snprintf(u->host, sizeof(u->host), "%s", host);
	if (*end != ':')
		return conf_err(ld, s, "'%s' \"%s\" has no port: write http://host:port/", k->name, v);
	for (p = end + 1; *p >= '0' && *p <= '9' && port <= 65535; p++)
		port = port * 10 + (unsigned long)(*p - '0');
	if (p == end + 1 || port < 1 || port > 65535)
		return conf_err(ld, s, "'%s' \"%s\": the port must be 1..65535", k->name, v);
	if (*p != '\0' && strcmp(p, "/") != 0)
		return conf_err(ld, s, "'%s' \"%s\": only the path \"/\" is used (HA commands are "
				"posted to /)", k->name, v);
	u->port = (uint16_t)port;
	return 0;
}

static bool name_ok(const char *n)
{
	if (*n == '\0')
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '.' || *n == '-' || *n == '_'))
			return false;
	return true;
}

static int peer_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		     const config_setting_t **found)
{
	struct conf_ha_peer *p = obj;
	const config_setting_t *s_name = conf_found(&peer_table, found, "name");
	const config_setting_t *s_user = conf_found(&peer_table, found, "basic-auth-user");
	const config_setting_t *s_pass = conf_found(&peer_table, found, "basic-auth-password");

	p->line = conf_line(grp);
	p->class4 = p->class6 = -1;
	if (!name_ok(p->name))
		return conf_err(ld, s_name, "peer name \"%s\": letters, digits, '.', '-' and '_' only, "
				"not empty", p->name);
	p->has_url6 = conf_found(&peer_table, found, "url6") != NULL;
	if (!p->has_url6)
		p->url6 = p->url;
	if ((p->basic_auth_user[0] != '\0') != (p->basic_auth_password[0] != '\0'))
		return conf_err(ld, s_user ? s_user : s_pass, "peer \"%s\" needs both "
				"'basic-auth-user' and 'basic-auth-password', or neither", p->name);
	if (strchr(p->basic_auth_user, ':'))
		return conf_err(ld, s_user, "'basic-auth-user' must not contain ':' (basic auth "
				"separates with it)");
	return 0;
}

/* Two peers may not be reached at the same address and port. */
static bool same_url(const struct conf_ha_url *a, const struct conf_ha_url *b)
{
	if (a->port != b->port || a->v6 != b->v6)
		return false;
	return a->v6 ? lease_addr6_eq(a->addr6, b->addr6) : a->addr4 == b->addr4;
}

static int check_peer_dups(struct conf_ld *ld, const config_setting_t *s, struct conf_ha *ha,
			   unsigned i)
{
	const struct conf_ha_peer *p = &ha->peers[i];
	const config_setting_t *e = config_setting_get_elem(s, i);

	for (unsigned j = 0; j < i; j++) {
		const struct conf_ha_peer *q = &ha->peers[j];
		const struct conf_ha_url *pu[2] = { &p->url, &p->url6 };
		const struct conf_ha_url *qu[2] = { &q->url, &q->url6 };

		if (strcmp(q->name, p->name) == 0)
			return conf_err(ld, config_setting_get_member(e, "name"), "peer \"%s\" is "
					"already defined (line %d)", p->name, q->line);
		for (unsigned a = 0; a < 2; a++)
			for (unsigned b = 0; b < 2; b++)
				if (same_url(pu[a], qu[b]))
					return conf_err(ld, config_setting_get_member(e, a ? "url6" : "url"),
							"peer \"%s\": %s \"%s\" is also peer \"%s\"'s "
							"(line %d)", p->name, a ? "url6" : "url",
							pu[a]->text, q->name, q->line);
	}
	return 0;
}

static int parse_peers(struct conf_ld *ld, const config_setting_t *s, void *obj,
		       const struct conf_key *k)
{
	struct conf_ha *ha = obj;
	int n;

	(void)k;
	if (conf_check_list(ld, s, "peers") < 0)
		return -1;
	n = config_setting_length(s);
	if (n == 0)
		return conf_err(ld, s, "'peers' is empty: name this server and its partner");
	if (n > CONF_HA_PEERS_MAX)
		return conf_err(ld, config_setting_get_elem(s, CONF_HA_PEERS_MAX), "at most %d "
				"high-availability peers", CONF_HA_PEERS_MAX);
	for (int i = 0; i < n; i++) {
		const config_setting_t *found[CONF_MAX_KEYS];

		if (conf_walk(ld, config_setting_get_elem(s, (unsigned)i), &peer_table,
			      &ha->peers[i], found) < 0)
			return -1;
		ha->n_peers++;
		if (check_peer_dups(ld, s, ha, (unsigned)i) < 0)
			return -1;
	}
	return 0;
}

/* states = ( ... ) -> the pause table at obj + k->off (indexed by state). */
static int parse_states(struct conf_ld *ld, const config_setting_t *s, void *obj,
			const struct conf_key *k)
{
	uint8_t *pause = (uint8_t *)obj + k->off;
	int seen[CONF_HA_ST_MAX] = { 0 };

	if (conf_check_list(ld, s, "states") < 0)
		return -1;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const config_setting_t *found[CONF_MAX_KEYS];
		struct xstate v;

		memset(&v, 0, sizeof(v));
		if (conf_walk(ld, e, &state_table, &v, found) < 0)
			return -1;
		if (seen[v.state])
			return conf_err(ld, conf_found(&state_table, found, "state"), "state \"%s\" is "
					"already configured (line %d)", conf_ha_state_name(v.state),
					seen[v.state]);
		seen[v.state] = conf_line(e);
		pause[v.state] = (uint8_t)v.pause;
	}
	return 0;
}

/* One primary, one secondary, one standby at most; then what the mode
 * needs.  Kea's rules (HAConfig::validate), each reported at the peer or
 * key that breaks it. */
static int check_roles(struct conf_ld *ld, const config_setting_t *grp, struct conf_ha *ha,
		       const config_setting_t *s_mode, const config_setting_t *s_peers)
{
	int first[4] = { 0 };
	const char *mode = conf_ha_mode_name(ha->mode);

	for (unsigned i = 0; i < ha->n_peers; i++) {
		const struct conf_ha_peer *p = &ha->peers[i];
		const config_setting_t *e = config_setting_get_elem(s_peers, i);
		const config_setting_t *s_role = config_setting_get_member(e, "role");

		if (p->role != CONF_HA_BACKUP && first[p->role])
			return conf_err(ld, s_role, "peer \"%s\" is a second %s (the first: line %d); "
					"a relationship has one", p->name, conf_ha_role_name(p->role),
					first[p->role]);
		if (!first[p->role])
			first[p->role] = p->line;
		if ((p->role == CONF_HA_STANDBY && ha->mode != CONF_HA_HOT_STANDBY) ||
		    (p->role == CONF_HA_SECONDARY && ha->mode != CONF_HA_LOAD_BALANCING))
			return conf_err(ld, s_role, "peer \"%s\": role \"%s\" does not belong in %s "
					"(load-balancing: primary, secondary, backup; hot-standby: "
					"primary, standby, backup; passive-backup: primary, backup)",
					p->name, conf_ha_role_name(p->role), mode);
	}
	if (!first[CONF_HA_PRIMARY] ||
	    (ha->mode == CONF_HA_LOAD_BALANCING && !first[CONF_HA_SECONDARY]) ||
	    (ha->mode == CONF_HA_HOT_STANDBY && !first[CONF_HA_STANDBY]))
		return conf_err(ld, s_mode ? s_mode : grp, "%s needs %s", mode,
				ha->mode == CONF_HA_LOAD_BALANCING ? "one primary and one secondary peer" :
				ha->mode == CONF_HA_HOT_STANDBY ? "one primary and one standby peer" :
				"a primary peer");
	return 0;
}

static int ha_post(struct conf_ld *ld, const config_setting_t *grp, void *obj,
		   const config_setting_t **found)
{
	struct conf_ha *ha = obj;
	const config_setting_t *s_this = conf_found(&ha_table, found, "this-server-name");
	const config_setting_t *s_mode = conf_found(&ha_table, found, "mode");
	const config_setting_t *s_peers = conf_found(&ha_table, found, "peers");
	const config_setting_t *s_hb = conf_found(&ha_table, found, "heartbeat-delay");
	const config_setting_t *s_mrd = conf_found(&ha_table, found, "max-response-delay");
	const config_setting_t *s_wba = conf_found(&ha_table, found, "wait-backup-ack");
	const config_setting_t *s_dul = conf_found(&ha_table, found, "delayed-updates-limit");
	const struct conf_ha_peer *me;

	ha->line = conf_line(grp);
	me = conf_ha_peer_find(ha, ha->this_server_name);
	if (me == NULL) {
		char names[CONF_HA_PEERS_MAX * (CONF_HA_NAME_MAX + 2)] = "";

		for (unsigned i = 0; i < ha->n_peers; i++) {
			size_t n = strlen(names);

			snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", ha->peers[i].name);
		}
		return conf_err(ld, s_this, "'this-server-name' \"%s\" is not among the peers (%s)",
				ha->this_server_name, names);
	}
	ha->this_peer = (unsigned)(me - ha->peers);
	if (check_roles(ld, grp, ha, s_mode, s_peers) < 0)
		return -1;
	if (ha->max_response_delay <= ha->heartbeat_delay)
		return conf_err(ld, s_mrd ? s_mrd : s_hb ? s_hb : grp, "max-response-delay (%u ms) must "
				"be greater than heartbeat-delay (%u ms): the partner would count as "
				"unreachable between two heartbeats", ha->max_response_delay,
				ha->heartbeat_delay);
	if (ha->wait_backup_ack && ha->mode != CONF_HA_PASSIVE_BACKUP)
		return conf_err(ld, s_wba, "'wait-backup-ack' must be false in %s (only a "
				"passive-backup primary waits for its backups, as in Kea)",
				conf_ha_mode_name(ha->mode));
	if (ha->mode != CONF_HA_LOAD_BALANCING && ha->delayed_updates_limit > 0)
		return conf_err(ld, s_dul, "'delayed-updates-limit' must be 0 in %s (only "
				"load-balancing has the communication-recovery state)",
				conf_ha_mode_name(ha->mode));
	/* Kea's load-balancing default (HA_CONFIG_LB_DEFAULTS) */
	if (ha->mode == CONF_HA_LOAD_BALANCING && s_dul == NULL)
		ha->delayed_updates_limit = 100;
	return 0;
}

/* ------------------------------------------------------------------------
 * The top row, the classes
 */

/* "HA_<name>" interned into reg: its id, or -1 after the error. */
static int intern_scope_class(struct conf_ld *ld, const config_setting_t *s, struct cls_registry *reg,
			      const struct conf_ha_peer *p)
{
	char name[CLS_NAME_MAX];
	int id;

	snprintf(name, sizeof(name), "HA_%s", p->name);
	id = cls_registry_intern(reg, name);
	if (id == -ENOMEM)
		return conf_nomem(ld, s);
	if (id < 0)
		return conf_err(ld, s, "peer \"%s\": no room for its class \"%s\" (at most %d classes)",
				p->name, name, CLS_MAX_CLASSES);
	return id;
}

int conf_key_ha(struct conf_ld *ld, const config_setting_t *s, void *obj,
		const struct conf_key *k)
{
	struct conf *c = obj;
	const config_setting_t *grp = s, *found[CONF_MAX_KEYS];
	struct conf_ha *ha;

	(void)k;
	/* Kea: "high-availability": [ { ... } ], one relationship */
	if (config_setting_type(s) == CONFIG_TYPE_LIST) {
		if (config_setting_length(s) != 1)
			return conf_err(ld, s, "'high-availability' holds one relationship: write "
					"high-availability = { ... } (or Kea's list of one)");
		grp = config_setting_get_elem(s, 0);
	}
	if (config_setting_type(grp) != CONFIG_TYPE_GROUP)
		return conf_err(ld, grp, "'high-availability' must be a group { ... }, not %s",
				conf_type_name(config_setting_type(grp)));
	ha = calloc(1, sizeof(*ha));
	if (ha == NULL)
		return conf_nomem(ld, s);
	c->ha = ha;
	if (conf_walk(ld, grp, &ha_table, ha, found) < 0)
		return -1;
	for (unsigned i = 0; i < ha->n_peers; i++) {
		struct conf_ha_peer *p = &ha->peers[i];

		if (conf_ha_scope_class(ha, p) &&
		    (p->class4 = intern_scope_class(ld, grp, ld->x->reg, p)) < 0)
			return -1;
	}
	return 0;
}

int conf_ha_finish(struct conf_ld *ld)
{
	struct conf_ha *ha = ld->c ? ld->c->ha : NULL;

	if (ha == NULL || ld->c->v6 == NULL)
		return 0;
	for (unsigned i = 0; i < ha->n_peers; i++) {
		struct conf_ha_peer *p = &ha->peers[i];

		if (conf_ha_scope_class(ha, p) &&
		    (p->class6 = intern_scope_class(ld, NULL, ld->c->v6->reg, p)) < 0)
			return -1;
	}
	return 0;
}

int conf_ha_class_check(struct conf_ld *ld, const config_setting_t *s, const char *key,
			const char *name, bool define)
{
	const struct conf_ha *ha = ld->c ? ld->c->ha : NULL;
	const struct conf_ha_peer *p;

	if (strncmp(name, "HA_", 3) != 0)
		return 0;
	p = conf_ha_peer_find(ha, name + 3);
	if (define)
		return p ? conf_err(ld, s, "client class \"%s\" is high-availability's (the scope "
				    "class of peer \"%s\"): it cannot be defined", name, p->name) : 0;
	if (ha == NULL)
		return conf_err(ld, s, "'%s': \"%s\" is a high-availability scope class, and there is "
				"no high-availability block (or define the class)", key, name);
	if (p == NULL)
		return conf_err(ld, s, "'%s': \"%s\": high-availability has no peer \"%s\"", key, name,
				name + 3);
	if (!conf_ha_scope_class(ha, p))
		return conf_err(ld, s, "'%s': \"%s\" is never assigned: %s", key, name,
				ha->mode == CONF_HA_LOAD_BALANCING ?
				"a backup serves no scope of its own" :
				"every client is in the primary's scope outside load-balancing");
	return 1;
}
