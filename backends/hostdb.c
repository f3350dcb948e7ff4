/* hostdb.h: the store of a hosts-database chosen by its type, each call
 * passed to that store's ops table (hostdb_int.h). */
#include <errno.h>
#include <stdio.h>

#include "hostdb_int.h"

struct hostdb *hostdb_open(const struct conf_hosts_db *db, char *err, size_t errlen)
{
	const struct hostdb_ops *ops = db->db.type == CONF_DB_POSTGRESQL ? &hostdb_pg_ops :
				       db->db.type == CONF_DB_REDIS ? &hostdb_redis_ops : NULL;
	struct hostdb *h;

	if (ops == NULL) {
		snprintf(err, errlen, "hosts-database: type \"%s\" has no host store",
			 conf_db_type_name(db->db.type));
		errno = EINVAL;
		return NULL;
	}
	h = ops->open(db, err, errlen);
	if (h)
		h->ops = ops;
	return h;
}

void hostdb_close(struct hostdb *h)
{
	if (h)
		h->ops->close(h);
}

int hostdb_fetch(struct hostdb *h, struct conf_db_hosts *out, char *err, size_t errlen)
{
	return h->ops->fetch(h, out, err, errlen);
}

int hostdb_changed(struct hostdb *h, char *err, size_t errlen)
{
	return h->ops->changed ? h->ops->changed(h, err, errlen) : 1;
}

int hostdb_add(struct hostdb *h, const struct conf_db_host *r, int64_t *host_id, char *err,
	       size_t errlen)
{
	return h->ops->add(h, r, host_id, err, errlen);
}

int hostdb_del(struct hostdb *h, bool v6, uint32_t subnet_id, int id_type, const uint8_t *id,
	       size_t id_len, uint32_t addr4, char *err, size_t errlen)
{
	return h->ops->del(h, v6, subnet_id, id_type, id, id_len, addr4, err, errlen);
}
