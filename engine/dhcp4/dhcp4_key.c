/* Client keys: who a packet or a persisted record belongs to (the lease
 * table key, and through dhcp4_owner the worker that owns the client). */
#include <string.h>

#include "dhcp4_priv.h"

/* RFC 2132 §9.14: a client identifier is at least two bytes (type + id). */
#define CID_MIN 2

/* The htype byte of every LEASE_KEY_HWADDR key.  Kea's lease file has no
 * htype column, so a lease read back from it says 1 whatever the client's
 * link was; a key that kept the real htype would name a different client
 * (and a different owner worker) after a restart.  So the hardware type is
 * left out of the identity: packet keys, record keys and steering all use
 * this constant, and a hwaddr-keyed lease stores it as its htype. */
#define KEY_HTYPE 1

void dhcp4_client_key(const struct dhcp4_pkt *p, bool match_client_id, struct lease_key *k)
{
	const uint8_t *cid;
	uint16_t len = 0;

	cid = match_client_id ? dhcp4_opt(p, DHCP4_OPT_CLIENT_ID, &len) : NULL;
	if (cid && len >= CID_MIN) {
		k->kind = LEASE_KEY_CLIENT_ID;
		k->len = (uint8_t)(len > 255 ? 255 : len);
		memcpy(k->data, cid, k->len);
		return;
	}
	k->kind = LEASE_KEY_HWADDR;
	k->data[0] = KEY_HTYPE;
	k->len = (uint8_t)(1 + (p->hdr->hlen > 16 ? 16 : p->hdr->hlen));
	memcpy(k->data + 1, p->hdr->chaddr, k->len - 1u);
}

/* Declined records belong to no client: always filed under their address,
 * as dhcp4 files them at DECLINE time. */
void dhcp4_rec_key(const struct lease_rec *r, bool match_client_id, struct lease_key *k)
{
	if (r->state == LEASE_STATE_DECLINED || (!(match_client_id && r->cid_len >= CID_MIN) &&
						 !r->hwaddr_len)) {
		addr_key(r->addr, k);
		return;
	}
	if (match_client_id && r->cid_len >= CID_MIN) {
		k->kind = LEASE_KEY_CLIENT_ID;
		k->len = r->cid_len;
		memcpy(k->data, r->cid, r->cid_len);
		return;
	}
	k->kind = LEASE_KEY_HWADDR;
	k->data[0] = KEY_HTYPE;
	k->len = (uint8_t)(1 + (r->hwaddr_len > 16 ? 16 : r->hwaddr_len));
	memcpy(k->data + 1, r->hwaddr, k->len - 1u);
}
