/* The network state (netstate.h): who turned which family off, until when. */
#include <string.h>

#include "netstate.h"

void netstate_init(struct netstate *ns)
{
	memset(ns, 0, sizeof(*ns));
	pthread_mutex_init(&ns->lock, NULL);
}

void netstate_destroy(struct netstate *ns)
{
	pthread_mutex_destroy(&ns->lock);
}

/* Under the lock: the latest end of any origin's disable per family.  An
 * origin whose period ran out counts no more once now passed it, and the
 * datapath's comparison (now < until) already treats it so. */
static void publish(struct netstate *ns)
{
	for (unsigned f = 0; f < 2; f++) {
		uint32_t u = 0;

		for (unsigned o = 0; o < NETSTATE_ORIGINS; o++)
			if (ns->off[f][o] > u)
				u = ns->off[f][o];
		__atomic_store_n(&ns->until[f], u, __ATOMIC_RELAXED);
	}
}

void netstate_disable(struct netstate *ns, unsigned mask, enum netstate_origin o, uint32_t now,
		      uint32_t seconds)
{
	uint32_t until = seconds == 0 || (uint64_t)now + seconds >= UINT32_MAX ? UINT32_MAX
									  : now + seconds;

	if (o >= NETSTATE_ORIGINS)
		return;
	pthread_mutex_lock(&ns->lock);
	for (unsigned f = 0; f < 2; f++)
		if (mask & (1u << f))
			ns->off[f][o] = until;
	publish(ns);
	pthread_mutex_unlock(&ns->lock);
}

void netstate_enable(struct netstate *ns, unsigned mask, enum netstate_origin o)
{
	if (o >= NETSTATE_ORIGINS)
		return;
	pthread_mutex_lock(&ns->lock);
	for (unsigned f = 0; f < 2; f++)
		if (mask & (1u << f))
			ns->off[f][o] = 0;
	publish(ns);
	pthread_mutex_unlock(&ns->lock);
}

bool netstate_off_by(struct netstate *ns, unsigned f, enum netstate_origin o, uint32_t now)
{
	bool off;

	if (f > 1 || o >= NETSTATE_ORIGINS)
		return false;
	pthread_mutex_lock(&ns->lock);
	off = now < ns->off[f][o];
	pthread_mutex_unlock(&ns->lock);
	return off;
}

int netstate_origin_parse(const char *s, enum netstate_origin *o)
{
	if (strcmp(s, "user") == 0)
		*o = NETSTATE_USER;
	else if (strcmp(s, "ha-partner") == 0)
		*o = NETSTATE_HA_PARTNER;
	else
		return -1;
	return 0;
}
