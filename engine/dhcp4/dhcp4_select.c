/* Candidate subnets and pools: which of the subnets that could serve the
 * client (the selected one, then its siblings on the interface or in the
 * shared network) and which of their pools its classes may use.  The
 * selection itself (giaddr, option 118, link selection, interface) is
 * select_subnet() in dhcp4_process.c, inlined into the request path. */

#include "dhcp4_priv.h"

/* Client-class restrictions of a subnet and its shared network.  A
 * hand-built conf leaves client_class 0, which is ALL: always a member. */
bool dhcp4_subnet_allowed(const struct txn *t, int s)
{
	const struct conf_subnet *sn = &t->c->subnets[s];
	int k = shared_of(t->c, s);

	if (sn->client_class >= 0 && !cls_set_has(t->cls, (unsigned)sn->client_class))
		return false;
	if (k >= 0 && t->c->policy->shared[k].client_class >= 0 &&
	    !cls_set_has(t->cls, (unsigned)t->c->policy->shared[k].client_class))
		return false;
	return true;
}

bool dhcp4_pool_allowed(const struct txn *t, uint16_t p)
{
	const struct rt_pool *rp = &t->w->rt->pools[p];
	int cc = t->c->subnets[rp->subnet].pools[rp->index].client_class;

	return cc < 0 || cls_set_has(t->cls, (unsigned)cc);
}

/* Next candidate subnet after `s` (start with -1), or -1: the selected
 * one, then its siblings in config order, leaving out those the client's
 * classes may not use. */
int dhcp4_subnet_next(const struct txn *t, int s)
{
	unsigned i;

	if (t->s0 < 0)
		return -1;
	if (s < 0 && dhcp4_subnet_allowed(t, t->s0))
		return t->s0;
	if (!t->by_iface && t->shared < 0)
		return -1;
	for (i = s < 0 || s == t->s0 ? 0 : (unsigned)s + 1; i < t->c->n_subnets; i++)
		if ((int)i != t->s0 && subnet_sibling(t, (int)i) && dhcp4_subnet_allowed(t, (int)i))
			return (int)i;
	return -1;
}
