/* Lease stores behind one table of function pointers, registered by name
 * (memfile now; redis and postgresql later).  Called only from the
 * write-behind thread and, before the workers start, from main. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "conf.h"

/* One lease change, by value: exactly what a CSV line of Kea's lease file
 * holds.  A record with valid_lft == 0 deletes the lease at `addr` (Kea's
 * memfile convention).  Addresses host order, times epoch seconds. */
struct lease_rec {
	uint64_t seq;                  /* assigned by wb_push */
	uint32_t addr;
	uint32_t subnet_id;
	uint32_t expire;
	uint32_t valid_lft;
	uint8_t state;                 /* 0 default, 1 declined, 2 expired-reclaimed */
	uint8_t htype;
	uint8_t hwaddr_len;
	uint8_t cid_len;
	uint8_t hwaddr[16];
	uint8_t cid[255];
	uint8_t hostname_len;
	char hostname[64];
};

struct lease_backend;

struct lease_backend_ops {
	const char *name;              /* "memfile" */
	/* NULL with err set ("why") on failure. */
	struct lease_backend *(*open)(const struct conf_lease_db *db, char *err, size_t errlen);
	/* Replay every stored lease in order, later records overriding earlier
	 * ones for the same address (the callback sees them all, in order).
	 * Returns 0 or -errno; a bad line is skipped and counted, not fatal. */
	int (*load)(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg);
	int (*append)(struct lease_backend *be, const struct lease_rec *recs, unsigned n);
	int (*sync)(struct lease_backend *be);     /* make all appends durable */
	/* Start a compaction if none is running; it must not block appends for
	 * long and must survive a crash at any point. */
	int (*compact)(struct lease_backend *be);
	void (*close)(struct lease_backend *be);
};

const struct lease_backend_ops *lease_backend_find(const char *name);
