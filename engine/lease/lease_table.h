/* Per-worker lease tables: struct lease_table holds a worker's DHCPv4
 * leases (struct lease4), struct lease6_table its DHCPv6 leases (struct
 * lease6); both are built from the same slab, hash index and expiry wheel
 * (lease_table.c).  Single writer: only the owning worker ever calls
 * these, so there is no locking at all (the counts are the one
 * exception, below).  v4: one lease per client key.  v6: per client
 * (DUID) several IAs, per IA (DUID + IAID + type) one or several leases,
 * found by IA, by DUID and by address.  In both, an expiry index hands
 * out expired leases in bounded batches. */
#pragma once
#include "lease.h"

/* ==== DHCPv4 ==== */

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

/* The same two with the key's hash already computed (lease_key_hash(k)):
 * a transaction that looks its client up and then files it hashes once.
 * The key must be valid (a client-id of at least one byte, a hardware
 * address of 1..16 bytes after its type byte, an address of 4): the plain
 * calls check that, these do not. */
struct lease4 *lease_table_lookup_h(struct lease_table *t, const struct lease_key *k, uint64_t hash);
struct lease4 *lease_table_insert_h(struct lease_table *t, const struct lease_key *k, uint64_t hash,
				    bool *existed);

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

/* A lease's id in its table: stable until lease_table_remove, then reused.
 * lease_table_at gives the live lease of an id, or NULL (out of range or
 * free), so an id remembered elsewhere (the address owner index) can be
 * checked by the owner without a search. */
uint32_t lease_table_id(const struct lease_table *t, const struct lease4 *l);
struct lease4 *lease_table_at(struct lease_table *t, uint32_t id);

/* Tell the expiry index that l->expire changed (call after every change). */
void lease_table_touch(struct lease_table *t, struct lease4 *l);

/* Call cb for up to `max` leases whose expire <= now (oldest first is not
 * promised).  cb may update (then touch) or remove the lease.  Returns how
 * many it handed out. */
unsigned lease_table_expire(struct lease_table *t, uint32_t now, unsigned max,
			    void (*cb)(struct lease4 *l, void *arg), void *arg);
/* Details of lease_table_expire:
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

/* ==== DHCPv6 ====
 * The same contracts as the v4 calls of the same name (insert, remove,
 * touch, hostname, expire, foreach, count, memory); what differs is how
 * a lease is named.  lease_table_params serves both. */
struct lease6_table;

/* An IA: the leases a client holds under one IAID of one type. */
struct lease6_key {
	const uint8_t *duid;    /* duid_len bytes (not copied) */
	uint8_t duid_len;       /* 1..LEASE_DUID_MAX; 0: no client (insert only) */
	uint8_t type;           /* enum lease6_type */
	uint32_t iaid;
};

/* NULL + errno (EINVAL, ENOMEM). */
struct lease6_table *lease6_table_create(const struct lease_table_params *p);
void lease6_table_free(struct lease6_table *t);

/* The leases of IA k: up to `max` of them into out[] (in no promised
 * order), and how many the IA has (more than max means out[] is not all
 * of them).  0 for an invalid key or one with no client. */
unsigned lease6_table_lookup_ia(struct lease6_table *t, const struct lease6_key *k,
				struct lease6 **out, unsigned max);
/* The same for every lease of the client, all IAs and types. */
unsigned lease6_table_lookup_duid(struct lease6_table *t, const uint8_t *duid, uint8_t duid_len,
				  struct lease6 **out, unsigned max);
/* The lease on an address or prefix (any type, with or without a
 * client), or NULL.  A worker answers for its own clients' leases only:
 * the address's owner worker is recorded beside its bitmap bit. */
struct lease6 *lease6_table_lookup_addr(struct lease6_table *t, struct lease_addr6 addr);

/* A new lease of IA k on addr/prefix_len (128 for IA_NA and IA_TA,
 * 1..128 for IA_PD): zeroed, with addr, prefix_len and the IA's fields
 * (type, iaid, duid) filled in.  The address's existing lease is
 * returned when it is this IA's (*existed set; nothing changes).  NULL
 * + errno: EEXIST (another IA or client holds the address), EINVAL,
 * ENOMEM.  k->duid_len 0 files a lease with no client (a declined
 * address), found by address only.  The pointer stays valid until
 * lease6_table_remove. */
struct lease6 *lease6_table_insert(struct lease6_table *t, const struct lease6_key *k,
				   struct lease_addr6 addr, uint8_t prefix_len, bool *existed);

/* File a lease under another IA, or under none (k NULL or duid_len 0:
 * DECLINE takes the address away from its client).  Address and prefix
 * length stay.  0, -EINVAL or -ENOMEM (then unchanged). */
int lease6_table_set_ia(struct lease6_table *t, struct lease6 *l, const struct lease6_key *k);

int lease6_table_set_hostname(struct lease6_table *t, struct lease6 *l, const char *name, size_t len);
/* The client's hardware address of a lease (Kea's hwaddr, hwtype and
 * hwaddr_source columns), kept beside the entry: len 0 clears it.  0,
 * -EINVAL (over LEASE6_HW_MAX bytes) or -ENOMEM.  A new or removed lease
 * has none.  lease6_table_hwaddr gives its length (0: none). */
#define LEASE6_HW_MAX 20
int lease6_table_set_hwaddr(struct lease6_table *t, struct lease6 *l, uint16_t type, uint8_t src,
			    const uint8_t *hw, uint8_t len);
uint8_t lease6_table_hwaddr(const struct lease6_table *t, const struct lease6 *l, uint16_t *type,
			    uint8_t *src, const uint8_t **hw);
const char *lease6_table_hostname(const struct lease6_table *t, const struct lease6 *l);

void lease6_table_remove(struct lease6_table *t, struct lease6 *l);
void lease6_table_touch(struct lease6_table *t, struct lease6 *l);
unsigned lease6_table_expire(struct lease6_table *t, uint32_t now, unsigned max,
			     void (*cb)(struct lease6 *l, void *arg), void *arg);
bool lease6_table_expire_idle(const struct lease6_table *t, uint32_t now);
int lease6_table_foreach(struct lease6_table *t, int (*cb)(struct lease6 *l, void *arg), void *arg);
/* Safe from any thread, like lease_table_count. */
uint32_t lease6_table_count(const struct lease6_table *t);
size_t lease6_table_memory(const struct lease6_table *t);
