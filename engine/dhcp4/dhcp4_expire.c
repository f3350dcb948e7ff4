/* Expiry: each worker reclaims its expired offers, leases and declined
 * addresses in bounded batches per loop pass. */

#include "dhcp4_priv.h"

static void expire_one(struct lease4 *l, void *arg)
{
	struct dhcp4_worker *w = arg;
	int s = lease_subnet(w, l);
	uint8_t state = l->state;

	if (l->flags & LEASE_F_FOREIGN) {
		/* another server's lease, never written here: it just ends */
		dhcp4_lease_drop(w, l, 0);
		return;
	}
	if (dhcp4_lease_drop(w, l, LEASE_OP_EXPIRE)) {
		/* Not freed now (counted): due again in a second, so the next
		 * sweeps retry without spinning on it in this one. */
		l->expire = w->now + 1;
		lease_table_touch(w->lt, l);
		return;
	}
	if (state == LEASE_STATE_DEFAULT) {
		w->st.c[STAT4_RECLAIMED_LEASES]++;
		if (s >= 0)
			w->st.subnet[s].reclaimed++;
	} else if (state == LEASE_STATE_DECLINED) {
		w->st.c[STAT4_RECLAIMED_DECLINED]++;
		if (s >= 0)
			w->st.subnet[s].reclaimed_declined++;
	}
}

unsigned dhcp4_expire(struct dhcp4_worker *w, unsigned max)
{
	uint8_t origin = w->origin;
	unsigned n;

	worker_serving(w);
	dhcp4_worker_poll(w);
	/* leases-reclaim comes here as a control command: keep its origin */
	if (origin == LEASE_ORIGIN_CLIENT)
		w->origin = LEASE_ORIGIN_SERVER;
	n = lease_table_expire(w->lt, w->now, max, expire_one, w);
	w->origin = origin;
	return n;
}
