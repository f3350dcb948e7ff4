/* DHCPv6 host reservations: the reservations lists of the dhcp6 block and
 * of its subnets, and the checks across all of them.  A reservation names
 * its client by one identifier (duid, hw-address or flex-id) and may hold
 * addresses, delegated prefixes, a hostname, options and classes. */
#include "conf6_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_prefixes(struct conf_ld *, const config_setting_t *, void *, const struct conf_key *);

/* Rows 0..2 are the identifiers; id_types says which is which. */
static const unsigned id_types[] = { CONF_HID_DUID, CONF_HID_HW_ADDRESS, CONF_HID_FLEX_ID };
#define N_ID_ROWS (sizeof(id_types) / sizeof(id_types[0]))

static const struct conf_key host_keys[] = {
	ANY("duid"),
	ANY("hw-address"),
	ANY("flex-id"),
	CUSTOM("ip-addresses", struct conf6_host, addrs, conf_parse_addrs6,
	       .off_n = offsetof(struct conf6_host, n_addrs)),
	CUSTOM("prefixes", struct conf6_host, prefixes, parse_prefixes),
	STR("hostname", struct conf6_host, hostname, ""),
	CUSTOM("option-data", struct conf6_host, options, conf6_key_options),
	CUSTOM("client-classes", struct conf6_host, classes, conf_key_class_list),
};
static const struct conf_table host_table = TABLE("in a dhcp6 reservations entry", host_keys);

/* prefixes = [ "2001:db8:8:100::/56", ... ] */
static int parse_prefixes(struct conf_ld *ld, const config_setting_t *s, void *obj,
			  const struct conf_key *k)
{
	struct conf6_host *h = obj;
	int type = config_setting_type(s), n = config_setting_length(s);

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_err(ld, s, "'%s' must be an array of prefixes [ ... ], not %s", k->name,
				conf_type_name(type));
	if (n == 0)
		return conf_err(ld, s, "'%s' is empty", k->name);
	h->prefixes = calloc((size_t)n, sizeof(*h->prefixes));
	if (h->prefixes == NULL)
		return conf_nomem(ld, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct conf6_prefix *p = &h->prefixes[i];
		const char *v = conf_string(ld, e, k->name);

		if (v == NULL)
			return -1;
		if (conf_ip6_prefix(v, &p->prefix, &p->len) < 0 || p->len == 0)
			return conf_err(ld, e, "'%s': \"%s\" is not an IPv6 prefix, e.g. "
					"\"2001:db8:8:100::/56\"", k->name, v);
		if (!lease_addr6_eq(lease_addr6_mask(p->prefix, p->len), p->prefix))
			return conf_err(ld, e, "'%s': \"%s\" has bits set past /%u", k->name, v, p->len);
		h->n_prefixes++;
	}
	return 0;
}

/* A subnet's reservation: its addresses inside the subnet (in a pool or
 * not), its prefixes inside one of the subnet's pd-pools or the subnet. */
static int check_in_subnet(struct conf_ld *ld, const struct conf6_host *h,
			   const config_setting_t **found, const struct conf6_subnet *sn)
{
	const config_setting_t *s_addrs = conf_found(&host_table, found, "ip-addresses");
	char net[CONF_IP6_STRLEN];

	conf_ip6_str(sn->prefix, net);
	for (unsigned i = 0; i < h->n_addrs; i++) {
		const config_setting_t *e = config_setting_get_elem(s_addrs, i);

		if (!lease_addr6_in_prefix(h->addrs[i], sn->prefix, sn->prefix_len))
			return conf_err(ld, e, "'ip-addresses': %s is not inside subnet %s/%u",
					config_setting_get_string(e), net, sn->prefix_len);
	}
	for (unsigned i = 0; i < h->n_prefixes; i++) {
		const struct conf6_prefix *p = &h->prefixes[i];
		bool inside = p->len >= sn->prefix_len &&
			      lease_addr6_in_prefix(p->prefix, sn->prefix, sn->prefix_len);

		for (unsigned j = 0; j < sn->n_pd_pools && !inside; j++) {
			const struct conf6_pd_pool *pd = &sn->pd_pools[j];

			inside = p->len >= pd->prefix_len &&
				 lease_addr6_in_prefix(p->prefix, pd->prefix, pd->prefix_len);
		}
		if (!inside) {
			const config_setting_t *e = config_setting_get_elem(
				conf_found(&host_table, found, "prefixes"), i);

			return conf_err(ld, e, "'prefixes': %s is inside neither a pd-pools prefix of "
					"subnet %u nor the subnet %s/%u", config_setting_get_string(e),
					sn->id, net, sn->prefix_len);
		}
	}
	return 0;
}

static int parse_host(struct conf_ld *ld, const config_setting_t *e,
		      const struct conf6_subnet *sn, struct conf6_host *h)
{
	const config_setting_t *found[CONF_MAX_KEYS], *s_id = NULL;
	unsigned row = 0;
	const char *v;

	h->line = conf_line(e);
	h->subnet_id = sn ? sn->id : 0;
	if (conf_walk(ld, e, &host_table, h, found) < 0)
		return -1;
	for (unsigned r = 0; r < N_ID_ROWS; r++) {
		if (!found[r])
			continue;
		if (s_id)
			return conf_err(ld, found[r], "a reservation takes one identifier: '%s' and '%s' "
					"are both given", host_keys[row].name, host_keys[r].name);
		s_id = found[r];
		row = r;
	}
	if (s_id == NULL)
		return conf_err(ld, e, "a reservation needs one of duid, hw-address or flex-id");
	if ((v = conf_string(ld, s_id, host_keys[row].name)) == NULL)
		return -1;
	h->id_type = (uint8_t)id_types[row];
	if (conf_parse_host_id(ld, s_id, id_types[row], v, h->id, &h->id_len) < 0)
		return -1;
	return sn ? check_in_subnet(ld, h, found, sn) : 0;
}

int conf6_key_reservations(struct conf_ld *ld, const config_setting_t *s, void *obj,
			   const struct conf_key *k)
{
	struct conf6 *v6 = ld->v6;
	struct conf6_ld *l6 = ld->l6;
	const struct conf6_subnet *sn = obj == (void *)v6 ? NULL : obj;
	unsigned need;

	(void)k;
	if (conf_check_list(ld, s, "reservations") < 0)
		return -1;
	need = v6->n_hosts + (unsigned)config_setting_length(s);
	if (conf_grow(ld, s, &v6->hosts, sizeof(*v6->hosts), &l6->cap_hosts, need) < 0 ||
	    conf_grow(ld, s, &l6->host_src, sizeof(*l6->host_src), &l6->cap_host_src, need) < 0)
		return -1;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		l6->host_src[v6->n_hosts] = e;
		/* counted first: conf6_free sees a partial one */
		if (parse_host(ld, e, sn, &v6->hosts[v6->n_hosts++]) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Checks across all reservations
 */

static int host_id_cmp(unsigned a, unsigned b, void *arg)
{
	const struct conf6_host *x = (const struct conf6_host *)arg + a;
	const struct conf6_host *y = (const struct conf6_host *)arg + b;

	if (x->subnet_id != y->subnet_id)
		return x->subnet_id < y->subnet_id ? -1 : 1;
	return conf_host_id_cmp(x->id_type, x->id, x->id_len, y->id_type, y->id, y->id_len);
}

/* One reserved address or prefix (len 128 for an address) of host h,
 * the k-th of its list. */
struct resv {
	struct lease_addr6 a;
	uint8_t len;
	bool prefix;                /* in prefixes, not ip-addresses */
	unsigned h, k;
};

static int resv_cmp(unsigned a, unsigned b, void *arg)
{
	const struct resv *x = (const struct resv *)arg + a, *y = (const struct resv *)arg + b;
	int c = lease_addr6_cmp(x->a, y->a);

	if (c)
		return c;
	return (int)x->len - (int)y->len;
}

/* No address and no prefix reserved twice, in any scope. */
static int check_resv_unique(struct conf_ld *ld)
{
	const struct conf6 *v6 = ld->v6;
	struct resv *r;
	unsigned n = 0, i, j;
	int found;

	for (i = 0; i < v6->n_hosts; i++)
		n += v6->hosts[i].n_addrs + v6->hosts[i].n_prefixes;
	if (n < 2)
		return 0;
	r = calloc(n, sizeof(*r));
	if (r == NULL)
		return conf_nomem(ld, ld->l6->grp);
	n = 0;
	for (i = 0; i < v6->n_hosts; i++) {
		const struct conf6_host *h = &v6->hosts[i];

		for (j = 0; j < h->n_addrs; j++)
			r[n++] = (struct resv){ h->addrs[j], 128, false, i, j };
		for (j = 0; j < h->n_prefixes; j++)
			r[n++] = (struct resv){ h->prefixes[j].prefix, h->prefixes[j].len, true, i, j };
	}
	found = conf_find_dup(ld, n, resv_cmp, r, &i, &j);
	if (found > 0) {
		const struct resv *dup = &r[j];
		const config_setting_t *e = config_setting_get_elem(config_setting_get_member(
			ld->l6->host_src[dup->h], dup->prefix ? "prefixes" : "ip-addresses"), dup->k);

		found = conf_err(ld, e, "%s %s is already reserved (line %d)",
				 dup->prefix ? "prefix" : "address", config_setting_get_string(e),
				 v6->hosts[r[i].h].line);
	}
	free(r);
	return found;
}

int conf6_hosts_check(struct conf_ld *ld)
{
	const struct conf6 *v6 = ld->v6;
	const struct conf6_ld *l6 = ld->l6;
	char ids[3 * CONF_HOST_ID_MAX + 1];
	unsigned i, j;
	int r;

	for (i = 0; i < v6->n_hosts; i++)
		if (conf_host_check_type(ld, l6->host_src[i], v6->hr_order, v6->n_hr_order,
					 v6->flex_expr != NULL, v6->hosts[i].id_type) < 0)
			return -1;
	r = conf_find_dup(ld, v6->n_hosts, host_id_cmp, v6->hosts, &i, &j);
	if (r > 0) {
		const struct conf6_host *h = &v6->hosts[j];

		conf_host_id_str(h->id, h->id_len, ids, sizeof(ids));
		if (h->subnet_id)
			return conf_err(ld, l6->host_src[j], "%s %s is already reserved in subnet %u "
					"(line %d)", conf_hid_name(h->id_type), ids, h->subnet_id,
					v6->hosts[i].line);
		return conf_err(ld, l6->host_src[j], "%s %s is already reserved globally (line %d)",
				conf_hid_name(h->id_type), ids, v6->hosts[i].line);
	}
	if (r < 0)
		return -1;
	return check_resv_unique(ld);
}
