/* Host reservations in a hosts-database, whichever store holds them:
 * read them all, add one, delete one.  Control thread only (each call may
 * block for up to the connection's connect-timeout); one connection of
 * its own.  hostdb_open picks the store by db->db.type:
 *
 *   "postgresql"  Kea 2.2's tables (hosts, ipv6_reservations,
 *                 dhcp4_options, dhcp6_options), rows laid out as Kea's
 *                 pgsql host data source writes them (hostdb_pg.c);
 *   "redis"       one hash per host plus index keys, docs/redis-hosts.md
 *                 (hostdb_redis.c).
 *
 * Errors: -errno with err set; -ENOTCONN when the store cannot be reached
 * (the next call connects again), -EEXIST when a uniqueness rule refused
 * an add, -EIO for any other refusal. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct hostdb;

/* NULL + err when the first connection fails (or the type has no store:
 * errno EINVAL). */
struct hostdb *hostdb_open(const struct conf_hosts_db *db, char *err, size_t errlen);
void hostdb_close(struct hostdb *h);

/* Every reservation (options with scope 3 and IPv6 reservations), by
 * host_id, as of one moment of the store.  *out is filled (free with
 * conf_db_hosts_free); rows->digest hashes everything read, so two reads
 * of the same content have the same digest. */
int hostdb_fetch(struct hostdb *h, struct conf_db_hosts *out, char *err, size_t errlen);

/* Whether the store may have changed since the last successful
 * hostdb_fetch: 1 maybe (fetch to know), 0 certainly not, -errno.  A
 * store without a cheap answer (postgresql) always says 1; redis compares
 * its hosts-version counter. */
int hostdb_changed(struct hostdb *h, char *err, size_t errlen);

/* Insert row r (its host_id is ignored) with its options and IPv6
 * reservations in one transaction: r->has_sub4 / has_sub6 say which of
 * dhcp4_subnet_id / dhcp6_subnet_id is written (the other is NULL, as
 * Kea writes a host of one family).  *host_id gets the new row's id. */
int hostdb_add(struct hostdb *h, const struct conf_db_host *r, int64_t *host_id, char *err,
	       size_t errlen);

/* Delete the reservation of identifier (type, id) in subnet_id of the
 * family, or (v4 only, id NULL) the one of address addr4.  The number of
 * hosts deleted (0: none), or -errno. */
int hostdb_del(struct hostdb *h, bool v6, uint32_t subnet_id, int id_type, const uint8_t *id,
	       size_t id_len, uint32_t addr4, char *err, size_t errlen);
