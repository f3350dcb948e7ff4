/* Whether the server serves DHCPv4 and DHCPv6 now, as Kea's NetworkState
 * keeps it: several parties may disable a family, each for its own
 * reason (an origin), and the family serves again only when every one of
 * them has enabled it or its period has run out.  An operator's
 * dhcp-enable does not end the HA partner's disable during a sync, nor a
 * lost lease database's.
 *
 * Writers (the control thread, main's store watch, the HA thread) take
 * the lock; the datapath reads one word per family without it
 * (netstate_until: the epoch second until which the family is off, 0
 * serving, UINT32_MAX until enabled), so a packet costs one relaxed load.
 * No DPDK: the unit test runs without the EAL. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum netstate_origin {
	NETSTATE_USER,                 /* dhcp-disable from an operator (Kea "user") */
	NETSTATE_HA_PARTNER,           /* dhcp-disable from the HA partner ("ha-partner") */
	NETSTATE_HA_LOCAL,             /* this server's HA state machine */
	NETSTATE_DB,                   /* the lease database is away (on-fail stop-retry-exit) */
	NETSTATE_ORIGINS
};

enum { NETSTATE_V4 = 1u, NETSTATE_V6 = 2u, NETSTATE_BOTH = 3u };

struct netstate {
	pthread_mutex_t lock;
	/* per family (0 v4, 1 v6), per origin: off until (as netstate_until) */
	uint32_t off[2][NETSTATE_ORIGINS];
	uint32_t until[2];             /* published: the latest of off[f][*] */
};

void netstate_init(struct netstate *ns);
void netstate_destroy(struct netstate *ns);
/* Origin o turns the families in mask off: for seconds from now (epoch
 * second), or until it enables them again (seconds 0).  A later call of
 * the same origin replaces its earlier one. */
void netstate_disable(struct netstate *ns, unsigned mask, enum netstate_origin o, uint32_t now,
		      uint32_t seconds);
/* Origin o's disable of the families in mask ends (the others' stay). */
void netstate_enable(struct netstate *ns, unsigned mask, enum netstate_origin o);
/* True when origin o has family f (0 v4, 1 v6) off at now. */
bool netstate_off_by(struct netstate *ns, unsigned f, enum netstate_origin o, uint32_t now);
/* "user", "ha-partner" (Kea's dhcp-disable / dhcp-enable "origin"
 * values): 0 and *o set, or -1. */
int netstate_origin_parse(const char *s, enum netstate_origin *o);

/* The datapath's read: family f (0 v4, 1 v6) is off while now < this. */
static inline uint32_t netstate_until(const struct netstate *ns, unsigned f)
{
	return __atomic_load_n(&ns->until[f], __ATOMIC_RELAXED);
}
