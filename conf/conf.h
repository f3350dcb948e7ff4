/* Configuration: one libconfig file -> an immutable, fully validated
 * snapshot.  Table driven; unknown keys are errors; every error names
 * file:line.  Addresses are host byte order. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cls.h"

struct conf_ext;                   /* conf_ext.h: classes, option-def, hosts, shared networks */

enum conf_durability { CONF_DUR_MEMORY, CONF_DUR_WRITE_BEHIND, CONF_DUR_COMMIT };
enum conf_db_type { CONF_DB_NONE, CONF_DB_MEMFILE };
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
	int shared;                    /* index into ext->shared, -1 = none */
	int client_class;              /* class registry id, -1 = any client */
	struct cls_set require;        /* require-client-classes */
};

struct conf_iface {
	char name[32];                 /* the name subnets refer to */
	char device[256];              /* DPDK devargs, e.g. "net_af_packet0,iface=veth1" */
	uint32_t addr;                 /* the server's address on this port */
	uint8_t prefix_len;
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
	char name[PATH_MAX];           /* memfile path */
	enum conf_durability durability;
	uint32_t flush_interval_ms;    /* write-behind: the longest a change waits */
	uint32_t lfc_interval;         /* seconds between compactions, 0 = never */
};

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
	struct {
		enum conf_log_level severity;
		enum conf_log_output output;
	} logging;
	struct conf_ctl_socket ctl_socket;
	struct conf_http_control http_control;
	/* Classes, option-def, host reservations, shared networks and the
	 * option precedence (conf_ext.h); owned.  NULL in a hand-built conf:
	 * the server then runs without any of them. */
	struct conf_ext *ext;
};

/* Load and validate.  NULL on error with err = "file:line: reason" and
 * errno set (EINVAL, ENOMEM, or the open() error).  @include paths are
 * relative to the directory of `path`.  No lease-database block means
 * type CONF_DB_NONE with durability memory. */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);

const struct conf_subnet *conf_subnet_by_id(const struct conf *c, uint32_t id);
/* Option `code` in a set, or NULL. */
const struct conf_option *conf_option_find(const struct conf_option_set *s, uint8_t code);
const char *conf_durability_name(enum conf_durability d);
