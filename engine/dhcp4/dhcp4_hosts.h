/* Host reservations as the worker reads them: an immutable table built on
 * the control thread from struct conf_host records (the config's, later a
 * database backend's), published with the config snapshot and read on the
 * workers with plain loads: no lock, no allocation, no write.
 *
 * Two indexes, both open addressing over one allocation:
 *   (subnet id, identifier type, identifier bytes) -> host
 *   reserved address -> host (the allocator must not hand it to anyone else)
 * Subnet id 0 is the global scope.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct dhcp4_pkt;
struct dhcp4_rx;
struct alloc_pool;
struct dhcp4_hosts;

struct dhcp4_hosts_params {
	const struct conf_host *hosts; /* copied (options included) */
	unsigned n_hosts;
	const uint8_t *order;          /* enum conf_hid, host-reservation-identifiers */
	unsigned n_order;
	/* flex-id-expression (CLS_T_STRING), NULL = none.  Borrowed: it
	 * belongs to the same snapshot (conf_policy) and must outlive the table. */
	const struct cls_prog *flex;
};

/* NULL + errno: EINVAL (bad params, the same identifier twice in a scope,
 * the same address reserved twice, a bad identifier type), ENOMEM. */
struct dhcp4_hosts *dhcp4_hosts_create(const struct dhcp4_hosts_params *p);
void dhcp4_hosts_free(struct dhcp4_hosts *t);
unsigned dhcp4_hosts_count(const struct dhcp4_hosts *t);
/* True if some reservation belongs to a subnet (else all are global, and
 * one lookup with subnet_id 0 answers for every candidate subnet). */
bool dhcp4_hosts_subnet_scoped(const struct dhcp4_hosts *t);
const struct conf_host *dhcp4_hosts_get(const struct dhcp4_hosts *t, unsigned i);

/* Exact lookup in one scope (subnet_id 0: global). */
const struct conf_host *dhcp4_hosts_find(const struct dhcp4_hosts *t, uint32_t subnet_id,
					 enum conf_hid type, const uint8_t *id, size_t len);

/* The reservation of an address, or NULL. */
const struct conf_host *dhcp4_hosts_by_addr(const struct dhcp4_hosts *t, uint32_t addr);

/* Per packet, on the worker: the reservation of the client sending pkt.
 * For each type in host-reservation-identifiers order the identifier is
 * taken from the packet (chaddr, option 61, the DUID inside an RFC 4361
 * client-id, option 82 sub-option 1, or the flex-id-expression's value)
 * and looked up in subnet_id's scope; if none matches, the same again in
 * the global scope (a subnet's own reservation wins, as in Kea).
 * subnet_id 0 searches the global scope only.  rx, iface and set are for
 * the flex-id expression (pkt.iface, member()); they may be NULL. */
const struct conf_host *dhcp4_hosts_lookup(const struct dhcp4_hosts *t, uint32_t subnet_id,
					   const struct dhcp4_pkt *pkt, const struct dhcp4_rx *rx,
					   const char *iface, const struct cls_set *set);

/* One identifier of a packet (for tests and logging).  0 with *id and *len
 * (a view into pkt, or into s for flex-id), -ENOENT if the packet has
 * none of that type, or the evaluator's -errno for flex-id. */
int dhcp4_hosts_ident(const struct dhcp4_hosts *t, const struct dhcp4_pkt *pkt,
		      const struct dhcp4_rx *rx, const char *iface, const struct cls_set *set,
		      enum conf_hid type, struct cls_scratch *s, const uint8_t **id, size_t *len);

/* Runtime creation (control thread): take every reserved address that
 * lies in a pool out of that pool's free set, so alloc_take() never hands
 * it to another client.  pool_of(arg, addr) returns the pool containing
 * addr, or NULL (the runtime knows its pools; this module does not).
 * *claimed counts bits taken now, *busy those already in use (a lease of
 * that address exists: carried over a reload or restored from the lease
 * file).  The reserved client's own lease must then use the address
 * without alloc_claim() (its bit is already set) and must not
 * alloc_release() it when the lease ends; see dhcp4_hosts_reserved(). */
typedef struct alloc_pool *(*dhcp4_hosts_pool_fn)(void *arg, uint32_t addr);
int dhcp4_hosts_claim(const struct dhcp4_hosts *t, dhcp4_hosts_pool_fn pool_of, void *arg,
		      unsigned *claimed, unsigned *busy);

/* True if addr is reserved (its pool bit belongs to the reservation). */
static inline bool dhcp4_hosts_reserved(const struct dhcp4_hosts *t, uint32_t addr)
{
	return t != NULL && dhcp4_hosts_by_addr(t, addr) != NULL;
}

/* After a reload: the addresses reserved in `old` and not in `new`, so
 * the runtime can give back the pool bits nobody holds a lease on.
 * fn(arg, addr) is called for each.  Returns how many. */
unsigned dhcp4_hosts_dropped(const struct dhcp4_hosts *old, const struct dhcp4_hosts *new_,
			     void (*fn)(void *arg, uint32_t addr), void *arg);
