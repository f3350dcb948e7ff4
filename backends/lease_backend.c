/* Registry of lease backends by name (Kea's LeaseMgrFactory idea): main
 * asks for "memfile", "postgresql" or "redis" and gets a table of function pointers, so the
 * flusher never knows which store it writes to. */
#include <errno.h>
#include <string.h>

#include "lease_backend.h"

extern const struct lease_backend_ops lease_backend_memfile_ops;
extern const struct lease_backend_ops lease_backend_pgsql_ops;
extern const struct lease_backend_ops lease_backend_redis_ops;

#define LEASE_BACKEND_MAX 8

/* Written only before threads start (see lease_backend_register), read
 * afterwards, so no lock. */
static const struct lease_backend_ops *lease_backends[LEASE_BACKEND_MAX] = {
	&lease_backend_memfile_ops,
	&lease_backend_pgsql_ops,
	&lease_backend_redis_ops,
};

const struct lease_backend_ops *lease_backend_find(const char *name)
{
	unsigned i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < LEASE_BACKEND_MAX && lease_backends[i]; i++)
		if (strcmp(lease_backends[i]->name, name) == 0)
			return lease_backends[i];
	return NULL;
}

int lease_backend_register(const struct lease_backend_ops *ops)
{
	unsigned i;

	if (ops == NULL || ops->name == NULL || ops->open == NULL || ops->load == NULL ||
	    ops->append == NULL || ops->sync == NULL || ops->close == NULL)
		return -EINVAL;
	for (i = 0; i < LEASE_BACKEND_MAX; i++) {
		if (lease_backends[i] == NULL) {
			lease_backends[i] = ops;
			return 0;
		}
		if (strcmp(lease_backends[i]->name, ops->name) == 0)
			return -EEXIST;
	}
	return -ENOSPC;
}
