/* The stores behind hostdb.h: each one's handle starts with a struct
 * hostdb naming its ops table; hostdb.c dispatches through it. */
#pragma once
#include "hostdb.h"

struct hostdb_ops {
	const char *name;
	struct hostdb *(*open)(const struct conf_hosts_db *db, char *err, size_t errlen);
	void (*close)(struct hostdb *h);
	int (*fetch)(struct hostdb *h, struct conf_db_hosts *out, char *err, size_t errlen);
	int (*changed)(struct hostdb *h, char *err, size_t errlen);     /* NULL: always 1 */
	int (*add)(struct hostdb *h, const struct conf_db_host *r, int64_t *host_id, char *err,
		   size_t errlen);
	int (*del)(struct hostdb *h, bool v6, uint32_t subnet_id, int id_type, const uint8_t *id,
		   size_t id_len, uint32_t addr4, char *err, size_t errlen);
};

struct hostdb {
	const struct hostdb_ops *ops;
};

extern const struct hostdb_ops hostdb_pg_ops;     /* hostdb_pg.c */
extern const struct hostdb_ops hostdb_redis_ops;  /* hostdb_redis.c */
