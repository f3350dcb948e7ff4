/* Per-worker DHCPv4 lease table.  Single writer: only the owning worker ever
 * calls these, so there is no locking at all (lease_table_count is the one
 * exception, below).  Lookup by client key; an expiry index hands out
 * expired leases in bounded batches. */
#pragma once
#include "lease.h"

struct lease_table;

struct lease_table_params {
	const char *name;
	uint32_t capacity;      /* expected leases; the table grows beyond it */
};

/* NULL + errno (EINVAL, ENOMEM). */
struct lease_table *lease_table_create(const struct lease_table_params *p);
void lease_table_free(struct lease_table *t);

struct lease4 *lease_table_lookup(struct lease_table *t, const struct lease_key *k);

/* Insert a new lease under key `k`: returns a zeroed lease with key_kind and
 * the key's identity fields (cid or htype/hwaddr or addr) filled in, or the
 * existing lease for that key.  NULL + errno=ENOMEM.  The pointer stays valid
 * until lease_table_remove. */
struct lease4 *lease_table_insert(struct lease_table *t, const struct lease_key *k, bool *existed);

/* Set the client-id of a lease (copies; frees a previous long one). */
int lease_table_set_cid(struct lease_table *t, struct lease4 *l, const uint8_t *cid, uint8_t len);

/* The lease's hostname (Kea's hostname column), at most LEASE_HOSTNAME_MAX
 * bytes (longer is cut), kept out of line in fixed 64-byte slots that only
 * leases with a hostname use.  len 0 removes it.  0 or -ENOMEM (the old
 * one stays). */
#define LEASE_HOSTNAME_MAX 63
int lease_table_set_hostname(struct lease_table *t, struct lease4 *l, const char *name, size_t len);
/* NUL-terminated; "" when the lease has none. */
const char *lease_table_hostname(const struct lease_table *t, const struct lease4 *l);

void lease_table_remove(struct lease_table *t, struct lease4 *l);

/* Tell the expiry index that l->expire changed (call after every change). */
void lease_table_touch(struct lease_table *t, struct lease4 *l);

/* Call cb for up to `max` leases whose expire <= now (oldest first is not
 * promised).  cb may update (then touch) or remove the lease.  Returns how
 * many it handed out. */
unsigned lease_table_expire(struct lease_table *t, uint32_t now, unsigned max,
			    void (*cb)(struct lease4 *l, void *arg), void *arg);
/* Details of lease_table_expire (added by the lease table's owner):
 * - a lease is handed out once per touch: it leaves the expiry index
 *   before cb runs, so a cb that neither touches nor removes it will not
 *   see it again until the next touch;
 * - expire == UINT32_MAX (infinite lifetime) is never handed out;
 * - the work per call is bounded (max leases, plus a small budget of
 *   not-yet-due entries stepped over), so a return below `max` (even 0)
 *   does not prove that nothing is due: call again on the next pass.
 *   lease_table_expire_idle tells when the scan has caught up with `now`.
 * - a clock that steps back delays expiry, never hands out early. */
bool lease_table_expire_idle(const struct lease_table *t, uint32_t now);

/* Call cb for every lease; cb must not insert or remove.  Stops early and
 * returns cb's value if it is non-zero. */
int lease_table_foreach(struct lease_table *t, int (*cb)(struct lease4 *l, void *arg), void *arg);

/* Leases in the table.  Safe from any thread while the owner works: the
 * owner stores the count atomically and this loads it atomically (a
 * reader gets a recent value, never a torn or cached one).  Nothing else
 * here may be called from another thread. */
uint32_t lease_table_count(const struct lease_table *t);

/* Stamps: bringing every lease up to date after a change of the owner's
 * state (a new configuration) without one walk that stops the owner.
 * lease_table_restamp sets the table's stamp and the owner's hook; from
 * then on every lease whose stamp differs is stale, and the table calls
 * hook(l, arg) on it before lease_table_lookup, lease_table_insert (an
 * existing lease), lease_table_foreach or lease_table_expire hands it
 * out, then stamps it.  A new lease gets the table's stamp.  The hook
 * must not insert or remove.  lease_table_refresh brings at most `max`
 * leases up to date from *cursor on (start at 0) and returns true once
 * the cursor has passed the last lease: then none is stale. */
void lease_table_restamp(struct lease_table *t, uint8_t stamp,
			 void (*hook)(struct lease4 *l, void *arg), void *arg);
bool lease_table_refresh(struct lease_table *t, uint32_t *cursor, unsigned max);
size_t lease_table_memory(const struct lease_table *t);   /* bytes held */
