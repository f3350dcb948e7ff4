/* Configuration: one libconfig file -> an immutable, fully validated
 * snapshot.  Table driven; unknown keys are errors; every error names
 * file:line.  Addresses are host byte order.
 *
 * Where the code is (all of it behind this header):
 *   conf.c          conf_load/conf_free, the top level, dpdk, interfaces,
 *                   lease-database, logging, the control blocks
 *   conf_engine.c   the key-table engine: walker, typed setters, bounds,
 *                   file:line errors (conf_priv.h describes the tables)
 *   conf_subnets.c  subnet4, pools, relay, shared-networks
 *   conf_options.c  option-def, option-data, option-precedence
 *   conf_classes.c  client-classes and the references to them
 *   conf_hosts.c    reservations, host-reservation-identifiers,
 *                   flex-id-expression and their cross checks
 *   conf_ha.c       high-availability
 *   conf_radius.c   radius (Kea's RADIUS hook keys)
 *   conf6*.c        the dhcp6 block (conf6.h; conf6_priv.h says which
 *                   file holds what) */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cls.h"
#include "dhcp4_options.h"
#include "conf6.h"

struct conf_policy;                /* below: classes, option-def, hosts, shared networks */
struct config_setting_t;           /* libconfig's, so users need not include it */

enum conf_durability { CONF_DUR_MEMORY, CONF_DUR_WRITE_BEHIND, CONF_DUR_COMMIT };
enum conf_db_type { CONF_DB_NONE, CONF_DB_MEMFILE, CONF_DB_POSTGRESQL, CONF_DB_REDIS };
/* A store other servers and tools can reach (postgresql, redis): it has
 * the reconnect keys, the outage journal and shared = true. */
#define CONF_DB_REMOTE(t) ((t) == CONF_DB_POSTGRESQL || (t) == CONF_DB_REDIS)
#define CONF_REDIS_SENTINELS_MAX 8
/* Kea's on-fail: what a lost database connection does once reconnecting
 * (max-reconnect-tries) has failed. */
enum conf_on_fail { CONF_ON_FAIL_STOP_RETRY_EXIT, CONF_ON_FAIL_SERVE_RETRY_EXIT,
		    CONF_ON_FAIL_SERVE_RETRY_CONTINUE };
enum conf_log_output { CONF_LOG_STDERR, CONF_LOG_SYSLOG };
enum conf_log_level { CONF_LOG_ERROR, CONF_LOG_WARN, CONF_LOG_INFO, CONF_LOG_DEBUG };

struct conf_option {               /* one option-data entry, encoded for the wire */
	uint8_t code;
	uint8_t len;
	bool always_send;
	uint8_t data[255];
};

struct conf_option_set {
	unsigned n;
	struct conf_option *opts;      /* sorted by code, codes unique */
};

struct conf_pool {
	uint32_t first, last;          /* inclusive */
	int line;
	struct conf_option_set options;
	int client_class;              /* class registry id, -1 = any client */
	struct cls_set require;        /* require-client-classes */
};

struct conf_subnet {
	uint32_t id;                   /* 1..2^32-1, unique */
	uint32_t prefix, mask;
	uint8_t prefix_len;
	struct conf_pool *pools;
	unsigned n_pools;
	uint32_t *relay_addrs;         /* relay = { ip-addresses = [...] } */
	unsigned n_relay_addrs;
	int iface;                     /* index into conf.ifaces, -1 = none given */
	/* resolved: the subnet's own value, else the global one */
	uint32_t valid_lifetime, renew_timer, rebind_timer;
	/* also resolved: the subnet's own value, else the global one */
	uint32_t next_server;          /* 0 = unset */
	char server_hostname[64];
	char boot_file_name[128];
	struct conf_option_set options;
	int line;
	int shared;                    /* index into conf.policy->shared, -1 = none */
	int client_class;              /* class registry id, -1 = any client */
	struct cls_set require;        /* require-client-classes */
};

/* interfaces = ( { name; device; address = "a.b.c.d/len";
 *                  address6 = "2001:db8:1::1/64"; } ): at least one address.
 *
 * An interface with address6 only has addr 0, prefix_len 0 and has_addr4
 * false.  DHCPv4 is not served there: the loader refuses a subnet4 or v4
 * shared network naming it, and a subnet4 containing 0.0.0.0 once such an
 * interface exists, so the DHCPv4 code that reads addr (served_on, the
 * fallback subnet by the interface's address, the unicast destination
 * check) finds no subnet through it, and 0.0.0.0 is never a relay's or a
 * renewing client's destination.  (A client naming 0.0.0.0 as server
 * identifier is the one thing that still matches such a port.)  A
 * hand-built conf may set addr without has_addr4: v4 code keys on addr. */
struct conf_iface {
	char name[32];                 /* the name subnets refer to */
	char device[256];              /* DPDK devargs, e.g. "net_af_packet0,iface=veth1" */
	uint32_t addr;                 /* the server's IPv4 address on this port, 0 = none */
	uint8_t prefix_len;
	bool has_addr4;                /* address was given */
	/* The server's global IPv6 address on this port (address6); its
	 * link-local one is derived from the MAC at run time. */
	struct lease_addr6 addr6;
	uint8_t prefix6_len;
	bool has_addr6;                /* address6 was given */
	int line;
};

struct conf_dpdk {
	char lcores[128];              /* EAL --lcores; the first lcore is the main (control) one */
	char file_prefix[64];
	bool no_huge;
	unsigned memory_mb;            /* EAL -m, 0 = EAL's default */
	unsigned mbufs;                /* mbufs per port pool, 0 = sized automatically */
	unsigned rx_desc, tx_desc;
	char **extra_args;             /* passed to rte_eal_init as they are */
	unsigned n_extra_args;
};

struct conf_lease_db {
	enum conf_db_type type;
	char name[PATH_MAX];           /* memfile path, or the PostgreSQL database name */
	enum conf_durability durability;
	uint32_t flush_interval_ms;    /* write-behind: the longest a change waits */
	uint32_t lfc_interval;         /* seconds between compactions, 0 = never */
	char name6[PATH_MAX];          /* DHCPv6 memfile path (dhcp6.lease-database.name), "" = none */
	/* type "postgresql", Kea's keys.  One database holds both families
	 * (tables lease4 and lease6); name6 stays "". */
	char host[256];                /* libpq host: a name, an address or a socket directory;
					* a comma list for failover (default "localhost") */
	char port[64];                 /* "5432", or a comma list matching host; "" = libpq's */
	char user[64];
	char password[128];
	uint32_t connect_timeout;      /* seconds (Kea: 5) */
	uint32_t max_reconnect_tries;  /* tries before on-fail gives up, 0 = no limit */
	uint32_t reconnect_wait_time;  /* milliseconds between tries (Kea: 0; at least 100 here) */
	/* What a lost connection does: stop-* disables DHCP service until the
	 * store is back, serve-* keeps serving (every change then goes to the
	 * local journal); once max-reconnect-tries tries failed (0 = no
	 * limit), *-retry-exit stops the server, serve-retry-continue goes on.
	 * Default serve-retry-continue (Kea's is stop-retry-exit: Kea cannot
	 * record leases while the database is away, Peregrine journals them). */
	enum conf_on_fail on_fail;
	char journal_dir[PATH_MAX];    /* journal-directory: the outage journal's files */
	/* Peregrine's own: other servers write this database too.  Only the
	 * commit durability is safe then (a reply waits for the database's
	 * verdict on its address), so write-behind is refused. */
	bool shared;
	/* type "redis" (docs/redis-notes.md): host + port, or socket (a unix
	 * socket path); name: a database number, or a key prefix ("" = db 0,
	 * no prefix).  The other connection keys are the ones above. */
	char socket[108];
	/* commit: a reply also waits until WAIT reports this many replicas
	 * have the batch (within wait-timeout ms, else the batch counts as
	 * not stored and is tried again).  0 = do not wait. */
	uint32_t wait_replicas;
	uint32_t wait_timeout_ms;
	/* Redis Sentinel: "host:port" of each sentinel, asked in turn for the
	 * address of the primary named sentinel_master; host/port/socket are
	 * then not used. */
	char sentinels[CONF_REDIS_SENTINELS_MAX][128];
	unsigned n_sentinels;
	char sentinel_master[64];
	char sentinel_password[128];   /* AUTH to each sentinel (its requirepass), "" = none */
	int line;                      /* of the lease-database group, 0 if absent */
};
/* "memfile", "postgresql", "redis" ("none" for CONF_DB_NONE) */
const char *conf_db_type_name(enum conf_db_type t);
/* libpq's keyword/value connection parameters of a postgresql
 * lease-database (host, port, dbname, user, password, connect_timeout,
 * target_session_attrs=read-write, application_name=peregrine; the
 * empty ones left out), NULL terminated as PQconnectdbParams wants them,
 * pointing into db, into buf (numbers written as text) and into static
 * strings: valid while db and buf are.  Returns how many pairs were
 * written (at most max - 1; max 16 and a 32-byte buf always suffice). */
/* hosts-database = { type = "postgresql"; name; host; port; user; password;
 * connect-timeout; max-reconnect-tries; reconnect-wait-time; on-fail;
 * readonly; refresh-interval; } (or hosts-databases = ( { ... } ), with
 * one entry): host reservations, one top-level database for DHCPv4 and
 * DHCPv6.  type "postgresql": Kea 2.2's PostgreSQL schema (tables hosts,
 * ipv6_reservations, dhcp4_options, dhcp6_options); name is required.
 * type "redis": docs/redis-hosts.md; host + port (default 127.0.0.1
 * 6379) or socket (an absolute path), name a database number or a key
 * prefix ("" = db 0, no prefix).  The connection keys are the
 * lease-database's (db, so conf_pg_params() and rd_connect_db() take it
 * as it is). */
struct conf_hosts_db {
	bool enabled;                  /* false: no hosts-database written */
	struct conf_lease_db db;       /* type, name, host, port, socket, user, password, timeouts */
	bool readonly;                 /* Kea's: reservation-add/-del are refused */
	/* Peregrine's: seconds between re-reads of the store (changes made
	 * by another server, by Kea or by redis-cli); a re-read that finds
	 * them changed reloads the running configuration.  0 = never.
	 * Default 60.  Redis reads its hosts-version counter first and the
	 * hosts only when it moved. */
	uint32_t refresh_interval;
	int line;
};

unsigned conf_pg_params(const struct conf_lease_db *db, const char **keys, const char **vals,
			unsigned max, char *buf, size_t buflen);
const char *conf_on_fail_name(enum conf_on_fail f);

/* control-socket = { socket-type = "unix"; socket-name = "..."; socket-mode = "0600"; }
 * (Kea's names).  socket-mode is a string of octal digits, so that "0600"
 * cannot be read as the decimal 600.  max-request-size and idle-timeout
 * are accepted in both control blocks; the control channel has one value
 * for both listeners and takes the smaller of those written. */
struct conf_ctl_socket {
	bool enabled;                  /* false: the block was not written, no socket */
	char socket_type[8];           /* "unix" */
	char socket_name[108];         /* fits sockaddr_un.sun_path */
	unsigned mode;                 /* default 0600 */
	uint32_t max_request;          /* bytes, 0 = not written */
	uint32_t idle_timeout_ms;      /* 0 = not written */
	int line;
};

/* http-control = { address = "127.0.0.1"; port = 8004; user = "..."; password = "..."; } */
struct conf_http_control {
	bool enabled;                  /* false: the block was not written, no listener */
	char address[64];              /* IPv4 or IPv6 literal, default 127.0.0.1 */
	uint32_t port;                 /* default 8004 */
	char user[64];                 /* basic auth: both or neither */
	char password[128];
	uint32_t max_request;
	uint32_t idle_timeout_ms;
	int line;
};

/* high-availability = { ... }: Kea 2.2's libdhcp_ha.so keys (conf_ha.c;
 * README "High availability").  One block for both families: the one
 * process serves DHCPv4 and DHCPv6 and speaks for both on its peer link.
 * Kea writes the block as a list of one relationship; both forms are read.
 * Timers are milliseconds.  NULL in struct conf without the block. */
#define CONF_HA_PEERS_MAX   16
#define CONF_HA_NAME_MAX    61      /* peer name + NUL: "HA_<name>" fits a class name */
#define CONF_HA_URL_MAX     128

enum conf_ha_mode { CONF_HA_LOAD_BALANCING, CONF_HA_HOT_STANDBY, CONF_HA_PASSIVE_BACKUP };
enum conf_ha_role { CONF_HA_PRIMARY, CONF_HA_SECONDARY, CONF_HA_STANDBY, CONF_HA_BACKUP };
/* The states state-machine may name (Kea's names; "unavailable" is only
 * ever the partner's state as seen from here, so it is not one). */
enum conf_ha_state {
	CONF_HA_ST_BACKUP, CONF_HA_ST_COMMUNICATION_RECOVERY, CONF_HA_ST_HOT_STANDBY,
	CONF_HA_ST_LOAD_BALANCING, CONF_HA_ST_IN_MAINTENANCE, CONF_HA_ST_PARTNER_DOWN,
	CONF_HA_ST_PARTNER_IN_MAINTENANCE, CONF_HA_ST_PASSIVE_BACKUP, CONF_HA_ST_READY,
	CONF_HA_ST_SYNCING, CONF_HA_ST_TERMINATED, CONF_HA_ST_WAITING,
	CONF_HA_ST_MAX
};
/* Kea's state-machine pausing: the state machine stops on entering the
 * state until ha-continue, never, every time, or the first time only. */
enum conf_ha_pause { CONF_HA_PAUSE_NEVER, CONF_HA_PAUSE_ALWAYS, CONF_HA_PAUSE_ONCE };

/* "http://198.18.2.1:8000/" or "http://[2001:db8::1]:8000/": an address
 * literal (Kea's rule: no names), an explicit port, path "/" or none. */
struct conf_ha_url {
	char text[CONF_HA_URL_MAX];    /* as written */
	bool v6;                       /* the host is an IPv6 literal */
	uint32_t addr4;                /* host order, when !v6 */
	struct lease_addr6 addr6;      /* when v6 */
	uint16_t port;
	char host[48];                 /* the address literal as written, without brackets
					* (what a listener binds; a Host: header brackets a v6 one) */
};

struct conf_ha_peer {
	char name[CONF_HA_NAME_MAX];   /* unique; letters, digits, '.', '-', '_' */
	/* url: where the peer's HA listener takes commands; for this
	 * server's own entry, where its listener binds.  url6: Peregrine's,
	 * where the peer takes DHCPv6 commands when that is elsewhere (a Kea
	 * partner's kea-dhcp6 listens apart from its kea-dhcp4); a copy of
	 * url when not written (has_url6 false). */
	struct conf_ha_url url, url6;
	bool has_url6;
	enum conf_ha_role role;
	bool auto_failover;            /* Kea's default true */
	/* Basic auth sent to this peer (both or neither).  For this server's
	 * own entry: what its listener is to require. */
	char basic_auth_user[64];
	char basic_auth_password[128];
	/* Class registry ids of "HA_<name>" (struct conf_policy reg, struct
	 * conf6 reg) for a peer whose scope has a class (the primary; the
	 * secondary in load-balancing: conf_ha_scope_class), interned without
	 * a test at load time, so no client is ever in it until the datapath
	 * adds the id to the packet's set after the load-balancing decision
	 * (Kea's QueryFilter adds "HA_<scope>" to every query in scope).
	 * -1: no class (standby, backup; class6 also without a dhcp6 block). */
	int class4, class6;
	int line;
};

struct conf_ha {
	char this_server_name[CONF_HA_NAME_MAX];
	unsigned this_peer;            /* index of this server's entry in peers */
	enum conf_ha_mode mode;
	uint32_t heartbeat_delay;      /* ms, 1..65535 (Kea: uint16), default 10000 */
	uint32_t max_response_delay;   /* ms, > heartbeat-delay, <= 65535, default 60000 */
	uint32_t max_ack_delay;        /* ms, 0..65535, default 10000 */
	uint32_t max_unacked_clients;  /* default 10; 0 = partner-down at max-response-delay */
	uint32_t sync_timeout;         /* ms, default 60000 */
	uint32_t sync_page_limit;      /* leases per lease*-get-page, >= 1, default 10000 */
	uint32_t delayed_updates_limit;/* load-balancing only: default 100 there, 0 elsewhere */
	bool sync_leases, send_lease_updates;   /* default true */
	bool wait_backup_ack;          /* passive-backup only (Kea's rule), default false */
	struct conf_ha_peer peers[CONF_HA_PEERS_MAX];   /* file order */
	unsigned n_peers;
	uint8_t pause[CONF_HA_ST_MAX]; /* enum conf_ha_pause per state, default never */
	int line;
};

const char *conf_ha_mode_name(enum conf_ha_mode m);
const char *conf_ha_role_name(enum conf_ha_role r);
const char *conf_ha_state_name(enum conf_ha_state s);
const char *conf_ha_pause_name(enum conf_ha_pause p);
/* The peer named name, or NULL. */
const struct conf_ha_peer *conf_ha_peer_find(const struct conf_ha *ha, const char *name);
static inline const struct conf_ha_peer *conf_ha_this(const struct conf_ha *ha)
{
	return &ha->peers[ha->this_peer];
}
/* The peer's scope has a class HA_<name>: the primary's (in every mode,
 * it is the scope of every client in hot-standby and passive-backup) and,
 * in load-balancing, the secondary's. */
bool conf_ha_scope_class(const struct conf_ha *ha, const struct conf_ha_peer *p);
/* Same relationship, same settings (lines and class ids aside): what a
 * live reload requires.  NULL equals NULL only. */
bool conf_ha_equal(const struct conf_ha *a, const struct conf_ha *b);

/* radius = { ... }: Kea's RADIUS hook keys (conf_radius.c; README
 * "RADIUS", docs/radius-plan.md).  One block for both families.  Attribute
 * names resolve through the dictionary at load (built-in standard
 * attributes, plus `dictionary` when given), so an unknown name is refused
 * with file:line at -t.  NULL in struct conf without the block. */
#define CONF_RADIUS_SERVERS_MAX 8
#define CONF_RADIUS_ATTRS_MAX   32
#define CONF_RADIUS_SECRET_MAX  128

/* Kea's identifier-type4 / identifier-type6 names; values are enum
 * rad_ident_type's (radius/rad_ident.h): hw-address, client-id, duid,
 * flex-id.  Kea also knows circuit-id for v4: refused here for now. */
enum conf_radius_unreachable { CONF_RADIUS_DENY, CONF_RADIUS_SERVE };

struct conf_radius_server {
	char name[64];                 /* as written: an address literal (Kea allows names: refused here) */
	bool v6;
	uint32_t addr4;                /* host order, when !v6 */
	struct lease_addr6 addr6;
	uint16_t port;                 /* default 1812 access, 1813 accounting */
	char secret[CONF_RADIUS_SECRET_MAX];
	int line;
};

/* One entry of `attributes`: { name = "..."; data = "..." } (fixed, encoded
 * at load) or { name = "..."; expr = "..." } (Kea's expression language,
 * evaluated per request on the worker; the bytes then go through
 * rad_dict_from_bytes).  Kea's { type = N; raw = "hex" } form names the
 * attribute by number with a hex value. */
struct conf_radius_attr {
	char name[64];                 /* the dictionary's spelling */
	uint32_t vendor;               /* 0: standard */
	uint8_t type, dtype;           /* number, enum rad_dtype */
	uint8_t len;                   /* data's length (no expr) */
	uint8_t data[253];
	/* expr compiled for each family present (expr6: with a dhcp6 block)
	 * whose tokens it uses; NULL for a family it cannot be compiled for
	 * (pkt4.* has no DHCPv6 meaning): the attribute is then not sent for
	 * that family.  At least one is set when expr was written.  Owned. */
	struct cls_prog *expr4, *expr6;
	char *expr_text;               /* expr as written (owned), NULL for data: conf_radius_equal compares it */
	int line;
};

struct conf_radius_service {
	bool enabled;                  /* the block was written with at least one server */
	struct conf_radius_server servers[CONF_RADIUS_SERVERS_MAX];   /* file order = preference */
	unsigned n_servers;
	struct conf_radius_attr attrs[CONF_RADIUS_ATTRS_MAX];
	unsigned n_attrs;
	int line;
};

struct rad_dict;

struct conf_radius {
	struct conf_radius_service access, accounting;
	char dictionary[PATH_MAX];     /* "" = built-in attributes only */
	struct rad_dict *dict;         /* built-in + dictionary; owned; read-only */
	uint8_t identifier_type4;      /* enum rad_ident_type, Kea default client-id */
	uint8_t identifier_type6;      /* Kea default duid */
	bool canonical_mac_address, extract_duid, client_id_printable, client_id_pop0;
	/* ours: refuse answers without a Message-Authenticator (Blast-RADIUS,
	 * CVE-2024-3596); default false, as Kea, for servers that do not add
	 * one (a present one is always checked) */
	bool require_message_authenticator;
	char realm[64];
	char bindaddr[48];             /* Kea's: "*" or an address literal the sockets bind to */
	uint32_t nas_ip_address;       /* NAS-IP-Address, host order; 0 = bindaddr's, else the first interface's */
	uint32_t timeout_ms;           /* Kea's timeout is seconds (default 10); a fraction is allowed */
	uint32_t retries;              /* Kea default 3: sends per server before the next */
	uint32_t deadtime;             /* s a server that did not answer is skipped, 0 = never */
	uint32_t thread_pool_size;     /* RADIUS threads; 0 = 1 */
	bool reselect_subnet_pool, reselect_subnet_address;
	enum conf_radius_unreachable on_unreachable;   /* default deny */
	uint32_t cache_ttl;            /* s an Access-Accept is cached, default 300; 0 = no cache */
	uint32_t reject_ttl;           /* s an Access-Reject is cached, default cache-ttl */
	uint32_t cache_max;            /* entries per worker, default 65536 */
	char accounting_queue[PATH_MAX];   /* on-disk queue file, default <data dir>/radius-acct.queue */
	uint32_t accounting_queue_max;     /* records, default 1000000 */
	/* accounting { peer-updates }: Kea's; account the changes the HA
	 * partner sent (origin HA), default true */
	bool peer_updates;
	int line;
};
/* Same block, same settings (lines aside): what a live reload keeps.
 * Attributes compare by their resolved number, type and value (or expr
 * text), so a dictionary file edited under the same name counts only
 * through what it changed in them.  NULL equals NULL only. */
bool conf_radius_equal(const struct conf_radius *a, const struct conf_radius *b);
/* A live reload keeps the running radius block (it cannot change): n
 * gives up its own equal copy and takes o's, which o then only borrows;
 * the block thus lives at one address for the life of the process, and a
 * worker still on o (the DHCPv6 workers switch last) never reads a freed
 * one.  Call it once n is published; o keeps pointing at the same block.
 * (Its expressions stay compiled against the first snapshot's classes.) */
struct conf;
void conf_radius_hand_over(struct conf *n, struct conf *o);

struct conf {
	char file[PATH_MAX];
	struct conf_dpdk dpdk;
	struct conf_iface *ifaces;
	unsigned n_ifaces;
	uint32_t valid_lifetime, renew_timer, rebind_timer;  /* timers 0 = derived 1/2 and 7/8 */
	uint32_t decline_probation_period;
	uint32_t offer_lifetime;       /* how long an OFFER holds its address */
	bool match_client_id;
	bool authoritative;            /* NAK requests for addresses we don't know */
	uint32_t next_server;
	char server_hostname[64];
	char boot_file_name[128];
	struct conf_option_set options;
	struct conf_subnet *subnets;
	unsigned n_subnets;
	struct conf_lease_db lease_db;
	struct conf_hosts_db hosts_db;
	struct {
		enum conf_log_level severity;
		enum conf_log_output output;
	} logging;
	struct conf_ctl_socket ctl_socket;
	struct conf_http_control http_control;
	/* Classes, option-def, host reservations, shared networks and the
	 * option precedence (struct conf_policy below); owned.  NULL in a
	 * hand-built conf: the server then runs without any of them.  (The
	 * member's name is older than the struct's; engine/dhcp4_server.c
	 * reads it.) */
	struct conf_policy *policy;
	/* The dhcp6 block (conf6.h); NULL when the file has none: then the
	 * server answers no DHCPv6. */
	struct conf6 *v6;
	/* high-availability; NULL when the file has none. */
	struct conf_ha *ha;
	/* radius; NULL when the file has none. */
	struct conf_radius *radius;
	/* radius is another snapshot's (conf_radius_hand_over): not freed
	 * with this one. */
	bool radius_borrowed;
};

/* Load and validate.  NULL on error with err = "file:line: reason" and
 * errno set (EINVAL, ENOMEM, or the open() error).  @include paths are
 * relative to the directory of `path`.  No lease-database block means
 * type CONF_DB_NONE with durability memory. */
struct conf *conf_load(const char *path, char *err, size_t errlen);
/* The same from text already read (the running file's text, kept when it
 * was loaded): path names it in messages and @include paths are relative
 * to its directory. */
struct conf *conf_load_text(const char *path, const char *text, char *err, size_t errlen);
void conf_free(struct conf *c);
/* The dhcp6 block alone: a live reload hands the old one to the DHCPv6
 * workers' retirement (they may still serve it after the rest of the old
 * snapshot is gone), detached from its conf (c->v6 = NULL first). */
void conf6_free(struct conf6 *v6);

const struct conf_subnet *conf_subnet_by_id(const struct conf *c, uint32_t id);
/* Option `code` in a set, or NULL.  Inline: option selection calls it per
 * packet. */
static inline const struct conf_option *conf_option_find(const struct conf_option_set *s,
							 uint8_t code)
{
	unsigned lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (s->opts[mid].code == code)
			return &s->opts[mid];
		if (s->opts[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
const char *conf_durability_name(enum conf_durability d);

/* ------------------------------------------------------------------------
 * Policy: classes, option definitions, host reservations, shared networks
 * and option precedence.
 */

/* option-precedence = "kea" | "isc-dhcpd" */
enum conf_prec {
	CONF_PREC_KEA = 0,          /* host > pool > subnet > shared network > class > global */
	CONF_PREC_ISC_DHCPD = 1,    /* host > class > pool > subnet > shared network > global */
};

/* Host identifier types, named as in Kea's host-reservation-identifiers. */
enum conf_hid {
	CONF_HID_HW_ADDRESS = 0,    /* chaddr[0..hlen) */
	CONF_HID_DUID = 1,          /* RFC 4361 client-id (type 255): the bytes after the IAID */
	CONF_HID_CIRCUIT_ID = 2,    /* option 82 sub-option 1 */
	CONF_HID_CLIENT_ID = 3,     /* option 61, type byte included */
	CONF_HID_FLEX_ID = 4,       /* value of flex-id-expression */
	CONF_HID_MAX
};
const char *conf_hid_name(enum conf_hid t);

#define CONF_HOST_ID_MAX    128     /* identifier bytes */
#define CONF_DEF_NAME_MAX   64
#define CONF_DEF_FIELDS_MAX 16      /* record-types */

/* One option-def entry.  def is what dhcp4_opt_encode() takes; its name
 * and fields point into this struct, so an array of these is never moved. */
struct conf_optdef {
	char name[CONF_DEF_NAME_MAX];
	char space[CONF_DEF_NAME_MAX];   /* "dhcp4", DHCP4_VENDOR_ENCAP_SPACE or "vendor-<n>" */
	enum dhcp4_opt_type fields[CONF_DEF_FIELDS_MAX + 1];
	struct dhcp4_opt_def def;
	int line;
};

struct conf_class {
	char name[CLS_NAME_MAX];
	int id;                          /* registry id */
	bool only_if_required;
	uint32_t next_server;            /* 0 = not set (the subnet's applies) */
	char server_hostname[64];        /* "" = not set */
	char boot_file_name[128];
	struct conf_option_set options;
	int line;
};

struct conf_host {
	uint32_t subnet_id;              /* 0 = global reservation */
	uint8_t id_type;                 /* enum conf_hid */
	uint8_t id_len;
	uint8_t id[CONF_HOST_ID_MAX];
	uint32_t addr;                   /* reserved address, 0 = none */
	char hostname[256];              /* "" = none */
	struct cls_set classes;          /* client-classes */
	uint32_t next_server;            /* 0 / "" = not set */
	char server_hostname[64];
	char boot_file_name[128];
	struct conf_option_set options;
	int line;
	int64_t db_id;                   /* hosts.host_id of a hosts-database row, 0 = the file's */
	const struct config_setting_t *src;   /* load time only, NULL after loading */
};

struct conf_shared_net {
	char name[64];
	int iface;                       /* index into conf.ifaces, -1 = none */
	uint32_t *relay_addrs;
	unsigned n_relay_addrs;
	struct conf_option_set options;
	int client_class;                /* registry id, -1 = none */
	struct cls_set require;          /* require-client-classes */
	int line;
	/* Load time only (NULL after loading): the shared network's
	 * own subnet4 list, for the subnet table to parse. */
	const struct config_setting_t *subnets;
};

struct conf_policy {
	enum conf_prec precedence;
	struct cls_registry *reg;        /* owned */
	struct conf_optdef *defs;
	unsigned n_defs;
	struct conf_class *classes;      /* config order */
	unsigned n_classes;
	int16_t class_idx[CLS_MAX_CLASSES];  /* registry id -> index in classes, -1 */
	/* Classes that carry option-data / boot fields: a packet in none of
	 * them skips the per-class walks of option and boot selection. */
	struct cls_set with_options, with_boot;
	/* Set once everything is loaded: the classification stages with work to do. */
	bool classify_pre, classify_post;
	uint8_t hr_order[CONF_HID_MAX];  /* host-reservation-identifiers */
	unsigned n_hr_order;
	struct cls_prog *flex_expr;      /* flex-id-expression, NULL = none; owned */
	struct conf_host *hosts;         /* global and per subnet, file order */
	unsigned n_hosts, cap_hosts;
	struct conf_shared_net *shared;
	unsigned n_shared;
};

/* An empty policy with the defaults (Kea precedence, Kea 1.4's identifier
 * order hw-address, duid, circuit-id, client-id) and a class registry.
 * NULL + errno. */
struct conf_policy *conf_policy_create(void);
void conf_policy_free(struct conf_policy *x);

/* Lookups (control thread, or read-only anywhere). */
const struct conf_optdef *conf_policy_def_find(const struct conf_policy *x, const char *space,
					       const char *name, int code);
const struct conf_class *conf_policy_class(const struct conf_policy *x, unsigned id);

/* ------------------------------------------------------------------------
 * Host reservations from a hosts-database (conf_hostdb.c): rows as the
 * store read them (Kea 2.2's tables, values not yet trusted), merged into
 * a snapshot beside the file's reservations before it is published.
 */

struct conf_db_option {            /* a dhcp4_options / dhcp6_options row, scope_id 3 */
	int64_t code;
	char *space;                   /* NULL: "dhcp4" / "dhcp6" */
	char *formatted;               /* formatted_value (csv text), NULL = none */
	uint8_t *value;                /* value (wire bytes), used without formatted_value */
	size_t value_len;
	bool has_value;
	bool persistent;               /* always-send */
};

struct conf_db_resv6 {             /* an ipv6_reservations row */
	char *address;
	int64_t prefix_len;
	int64_t type;                  /* 0 IA_NA, 2 IA_PD */
};

struct conf_db_host {              /* a hosts row and its children */
	int64_t host_id;
	uint8_t *id;
	size_t id_len;
	int64_t id_type;               /* 0 hw-address, 1 duid, 2 circuit-id, 3 client-id, 4 flex-id */
	bool has_sub4, has_sub6;       /* dhcp4_subnet_id / dhcp6_subnet_id not NULL */
	int64_t sub4, sub6;
	int64_t ipv4;                  /* 0 = none */
	int64_t next_server;
	char *hostname, *classes4, *classes6, *server_hostname, *boot_file_name;  /* NULL = none */
	struct conf_db_option *opts4, *opts6;
	unsigned n_opts4, n_opts6;
	struct conf_db_resv6 *resv;
	unsigned n_resv;
};

struct conf_db_hosts {
	struct conf_db_host *h;        /* by host_id */
	unsigned n;
	uint64_t digest;               /* of everything read: a refresh compares it */
};

void conf_db_host_clear(struct conf_db_host *h);
void conf_db_hosts_free(struct conf_db_hosts *rows);

/* Called for each row left out, with why ("bad identifier length...").
 * v6: the row's DHCPv6 part (a row may hold both). */
typedef void (*conf_db_warn_fn)(void *arg, int64_t host_id, bool v6, const char *why);

/* Append the rows' reservations to c (policy->hosts for dhcp4_subnet_id,
 * v6->hosts for dhcp6_subnet_id; subnet id 0 = global), each checked as
 * the file's are (identifier, subnet, address inside it, options, classes).
 * The file's reservations come first: a row whose identifier the file
 * (or an earlier row) reserves in the same subnet, or whose address
 * another reservation holds, is left out.  Rows that do not fit are left
 * out and reported to warn; nothing of them stays in c.  *n4 / *n6 (may
 * be NULL) count the reservations added.  0, or -ENOMEM (c is then to be
 * freed). */
int conf_merge_db_hosts(struct conf *c, const struct conf_db_hosts *rows, conf_db_warn_fn warn,
			void *arg, unsigned *n4, unsigned *n6);

/* The code of option `name` in space (NULL: the family's own), by the
 * snapshot's option-def and the standard definitions; -1 if unknown. */
int conf_option_code(const struct conf *c, bool v6, const char *space, const char *name);
