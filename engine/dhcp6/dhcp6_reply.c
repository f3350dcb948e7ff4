/* Options of a DHCPv6 reply: the server's DUID, and option-data from the
 * configuration.  Kea's order decides which level's value a code takes:
 * host reservation > pool (of the first lease given) > subnet > shared
 * network > client classes > global.  A code goes out when the client
 * asked for it in its ORO, or when its option-data says always-send. */
#include <string.h>

#include "dhcp6_priv.h"

#define MAX_SETS (6 + CLS_MAX_CLASSES)
#define MAX_SENT 128

int dhcp6_put_server_id(struct txn6 *t)
{
	return dhcp6_build_opt(&t->b, DHCP6_OPT_SERVERID, t->w->rt->duid, t->w->rt->duid_len);
}

static unsigned option_sets(const struct txn6 *t, const struct conf6_option_set **sets)
{
	const struct conf6 *c6 = t->c6;
	unsigned n = 0;

	if (t->host)
		sets[n++] = &t->host->options;
	if (t->first_pool != NO_POOL6)
		sets[n++] = t->w->rt->pools[t->first_pool].options;
	if (t->s >= 0) {
		const struct conf6_subnet *sn = &c6->subnets[t->s];

		sets[n++] = &sn->options;
		if (sn->shared >= 0)
			sets[n++] = &c6->shared[sn->shared].options;
	}
	for (unsigned i = 0; i < c6->n_classes && n < MAX_SETS - 1; i++) {
		const struct conf6_class *cl = &c6->classes[i];

		if (cl->options.n && cls_set_has(&t->classes, (unsigned)cl->id))
			sets[n++] = &cl->options;
	}
	sets[n++] = &c6->options;
	return n;
}

static bool sent_has(const uint16_t *sent, unsigned n, uint16_t code)
{
	for (unsigned i = 0; i < n; i++)
		if (sent[i] == code)
			return true;
	return false;
}

static void put_code(struct txn6 *t, const struct conf6_option_set **sets, unsigned n_sets,
		     uint16_t code, uint16_t *sent, unsigned *n_sent)
{
	/* the codes the server writes itself (client and server ids, IAs,
	 * status...) never reach a set: the loader refuses them in option-data */
	if (sent_has(sent, *n_sent, code) || *n_sent == MAX_SENT)
		return;
	for (unsigned i = 0; i < n_sets; i++) {
		const struct conf6_option *o = conf6_option_find(sets[i], code);

		if (o) {
			(void)dhcp6_build_opt(&t->b, code, o->data, o->len);
			sent[(*n_sent)++] = code;
			return;
		}
	}
}

void dhcp6_reply_options(struct txn6 *t)
{
	const struct conf6_option_set *sets[MAX_SETS];
	const struct dhcp6_opt_ref *oro = &t->req->oro;
	uint16_t sent[MAX_SENT];
	unsigned n_sets = option_sets(t, sets), n_sent = 0;

	if (oro->data)
		for (unsigned i = 0; i + 1 < oro->len; i += 2)
			put_code(t, sets, n_sets, (uint16_t)(oro->data[i] << 8 | oro->data[i + 1]),
				 sent, &n_sent);
	for (unsigned s = 0; s < n_sets; s++)
		for (unsigned i = 0; i < sets[s]->n; i++)
			if (sets[s]->opts[i].always_send)
				put_code(t, sets, n_sets, sets[s]->opts[i].code, sent, &n_sent);
}
