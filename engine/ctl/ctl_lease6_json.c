/* DHCPv6 leases as Kea's lease_cmds write and read them: a lease6
 * record to JSON, lease6-add / -update arguments to a record, and the
 * lease6-get / -del selector to a worker filter.  Nothing here talks to
 * a worker, so ctl_cmd_test.c checks it on its own.
 *
 * The texts of argument errors are Kea's (lease_cmds' Lease6Parser and
 * getParameters) where Kea has the same check; a wrong JSON type or a
 * missing argument gets the words every command here uses (arg_*). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include "ctl_cmd.h"
#include "net.h"

static const char *const type_names[] = {
	[LEASE6_TYPE_NA] = "IA_NA", [LEASE6_TYPE_TA] = "IA_TA", [LEASE6_TYPE_PD] = "IA_PD",
};

json_t *lease6_json(const struct lease6_rec *r)
{
	char ip[INET6_ADDRSTRLEN], duid[3 * LEASE_DUID_MAX + 1], hw[3 * LEASE6_HWADDR_MAX + 1];
	char hostname[sizeof(r->hostname) + 1];
	json_t *o;

	fmt_ip6(r->addr, ip, sizeof(ip));
	if (r->duid_len)
		fmt_hex(r->duid, r->duid_len, duid);
	else
		snprintf(duid, sizeof(duid), "00");     /* Kea's empty DUID (a declined lease) */
	fmt_printable(r->hostname, r->hostname_len < sizeof(r->hostname) ? r->hostname_len :
		      sizeof(r->hostname), hostname);
	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:b, s:b, s:s, s:i}",
		      "ip-address", ip,
		      "type", r->type <= LEASE6_TYPE_PD ? type_names[r->type] : "IA_NA",
		      "iaid", (json_int_t)r->iaid, "duid", duid,
		      "subnet-id", (json_int_t)r->subnet_id,
		      "cltt", (json_int_t)r->expire - (json_int_t)r->valid_lft,
		      "preferred-lft", (json_int_t)r->pref_lft,
		      "valid-lft", (json_int_t)r->valid_lft,
		      "fqdn-fwd", r->fqdn_fwd != 0, "fqdn-rev", r->fqdn_rev != 0,
		      "hostname", hostname, "state", (int)r->state);
	if (!o)
		return NULL;
	/* as Kea: the prefix length of prefixes only, the hardware address
	 * when the lease has one */
	if (r->type == LEASE6_TYPE_PD)
		json_object_set_new(o, "prefix-len", json_integer(r->prefix_len));
	if (r->hwaddr_len) {
		fmt_hex(r->hwaddr, r->hwaddr_len, hw);
		json_object_set_new(o, "hw-address", json_string(hw));
	}
	return o;
}

/* An IPv6 address argument's text into *a, with Kea's words when it is
 * none (an IPv4 one, or not an address at all). */
static int addr6_arg(const char *s, const char *v4_text, struct lease_addr6 *a, char *text,
		     size_t len)
{
	uint32_t v4;

	if (!parse_ip6(s, a))
		return CTL_SUCCESS;
	if (!net_ip4_parse(s, &v4))
		return fail(text, len, "%s%s", v4_text, s);
	return fail(text, len, "Failed to convert string to address '%s': Invalid argument", s);
}

/* The subnet a lease at a belongs to.  sid given: that subnet, and an
 * address must lie in its prefix (Kea does not check prefixes against
 * the subnet); sid 0: the subnet whose prefix holds the address, for a
 * prefix the one with a pd-pool holding it (Kea asks for the subnet-id
 * of a prefix). */
static const struct conf6_subnet *lease6_subnet(const struct conf6 *c6, uint32_t sid,
						struct lease_addr6 a, bool pd, const char *ip,
						char *text, size_t len)
{
	char pfx[INET6_ADDRSTRLEN];
	unsigned i, k;

	for (i = 0; i < c6->n_subnets; i++) {
		const struct conf6_subnet *sn = &c6->subnets[i];
		bool in = lease_addr6_in_prefix(a, sn->prefix, sn->prefix_len);

		if (sid && sn->id == sid) {
			if (pd || in)
				return sn;
			fmt_ip6(sn->prefix, pfx, sizeof(pfx));
			fail(text, len, "The address %s does not belong to subnet %s/%u, subnet-id=%" PRIu32,
			     ip, pfx, sn->prefix_len, sid);
			return NULL;
		}
		if (sid)
			continue;
		for (k = 0; pd && k < sn->n_pd_pools; k++)
			if (lease_addr6_in_prefix(a, sn->pd_pools[k].prefix, sn->pd_pools[k].prefix_len))
				return sn;
		if (!pd && in)
			return sn;
	}
	if (sid)
		fail(text, len, "Invalid subnet-id: No IPv6 subnet with subnet-id=%" PRIu32
		     " currently configured.", sid);
	else
		fail(text, len, "subnet-id not specified and failed to find a subnet for address %s", ip);
	return NULL;
}

int lease6_from_json(const struct conf6 *c6, const json_t *args, uint32_t now,
		     struct lease6_rec *r, char *text, size_t len)
{
	const char *ip, *duid, *type = NULL, *hw = NULL, *host = NULL;
	uint64_t sid = 0, iaid, plen = 128, valid, pref, expire = 0, cltt = 0, state = 0;
	const struct conf6_subnet *sn;
	json_t *fwd, *rev;
	int n;

	memset(r, 0, sizeof(*r));
	if (!args || !json_is_object(args))
		return fail(text, len, "no parameters specified for the command");
	if (arg_str(args, "ip-address", true, &ip, text, len) < 0 ||
	    arg_str(args, "duid", true, &duid, text, len) < 0 ||
	    arg_uint(args, "iaid", true, UINT32_MAX, &iaid, text, len) < 0 ||
	    arg_str(args, "type", false, &type, text, len) < 0 ||
	    arg_uint(args, "subnet-id", false, UINT32_MAX, &sid, text, len) < 0 ||
	    arg_str(args, "hw-address", false, &hw, text, len) < 0 ||
	    arg_str(args, "hostname", false, &host, text, len) < 0 ||
	    arg_uint(args, "expire", false, UINT32_MAX, &expire, text, len) < 0 ||
	    arg_uint(args, "cltt", false, UINT32_MAX, &cltt, text, len) < 0 ||
	    arg_uint(args, "state", false, UINT8_MAX, &state, text, len) < 0 ||
	    arg_get(args, "fqdn-fwd", JSON_TRUE, &fwd, text, len) < 0 ||
	    arg_get(args, "fqdn-rev", JSON_TRUE, &rev, text, len) < 0)
		return CTL_ERROR;
	if (addr6_arg(ip, "Non-IPv6 address specified: ", &r->addr, text, len))
		return CTL_ERROR;
	n = parse_hex(duid, r->duid, sizeof(r->duid));
	if (n <= 0)
		return fail(text, len, "'duid' \"%s\" is not a DUID (hex bytes, at most %d)", duid,
			    LEASE_DUID_MAX);
	r->duid_len = (uint8_t)n;
	r->iaid = (uint32_t)iaid;
	r->type = LEASE6_TYPE_NA;
	if (type && !strcmp(type, "IA_PD")) {
		r->type = LEASE6_TYPE_PD;
		if (arg_uint(args, "prefix-len", true, 128, &plen, text, len) < 0)
			return CTL_ERROR;
		if (!plen)
			return fail(text, len, "'prefix-len' must be between 1 and 128");
	} else if (type && strcmp(type, "IA_NA")) {
		return fail(text, len, "Incorrect lease type: %s, the only supported values are: "
			    "IA_NA and IA_PD", type);
	}
	r->prefix_len = (uint8_t)plen;
	if (r->type == LEASE6_TYPE_PD &&
	    !lease_addr6_eq(lease_addr6_mask(r->addr, r->prefix_len), r->addr))
		return fail(text, len, "%s has bits set past its prefix length %u", ip, r->prefix_len);
	sn = lease6_subnet(c6, (uint32_t)sid, r->addr, r->type == LEASE6_TYPE_PD, ip, text, len);
	if (!sn)
		return CTL_ERROR;
	r->subnet_id = sn->id;
	if (hw) {
		n = parse_hex(hw, r->hwaddr, sizeof(r->hwaddr));
		if (n <= 0)
			return fail(text, len, "'hw-address' \"%s\" is not a hardware address", hw);
		r->hwaddr_len = (uint8_t)n;
		r->hwtype = 1;                  /* Ethernet, as Kea assumes */
	}
	/* as Kea, the subnet's lifetimes by default (Kea's preferred-lft
	 * default is the subnet's valid lifetime; here the preferred one) */
	valid = sn->valid_lifetime;
	pref = sn->preferred_lifetime;
	if (arg_uint(args, "valid-lft", false, UINT32_MAX, &valid, text, len) < 0 ||
	    arg_uint(args, "preferred-lft", false, UINT32_MAX, &pref, text, len) < 0)
		return CTL_ERROR;
	r->valid_lft = (uint32_t)valid;
	r->pref_lft = (uint32_t)pref;
	if (json_object_get(args, "expire") && !expire)
		return fail(text, len, "expiration time must be positive for address %s", ip);
	if (expire && expire < valid)
		return fail(text, len, "expiration time must be greater than valid lifetime for "
			    "address %s", ip);
	if (expire)
		r->expire = (uint32_t)expire;
	else
		r->expire = (uint32_t)RTE_MIN((cltt ? cltt : now) + valid, (uint64_t)UINT32_MAX);
	r->fqdn_fwd = fwd && json_is_true(fwd);
	r->fqdn_rev = rev && json_is_true(rev);
	if ((!host || !host[0]) && (r->fqdn_fwd || r->fqdn_rev))
		return fail(text, len, "No hostname specified and either forward or reverse fqdn "
			    "was set to true.");
	if (host && strlen(host) >= sizeof(r->hostname))
		return fail(text, len, "'hostname' is longer than the %zu characters a lease keeps",
			    sizeof(r->hostname) - 1);
	if (host) {
		memcpy(r->hostname, host, strlen(host) + 1);
		r->hostname_len = (uint8_t)strlen(host);
	}
	if (state > LEASE_STATE_EXPIRED_RECLAIMED)
		return fail(text, len, "Invalid state value: %" PRIu64 ", supported values are: 0 "
			    "(default), 1 (declined) and 2 (expired-reclaimed)", state);
	if (state == LEASE_STATE_DECLINED && r->type == LEASE6_TYPE_PD)
		return fail(text, len, "Invalid declined state for PD prefix.");
	if (state == LEASE_STATE_EXPIRED_RECLAIMED)
		return fail(text, len, "'state' 2 (expired-reclaimed) cannot be added; delete the lease");
	r->state = (uint8_t)state;
	return CTL_SUCCESS;
}

/* Kea's lease type words in a selector (also "0".."2"): -1 unknown. */
static int type_arg(const char *t)
{
	if (!strcmp(t, "IA_NA") || !strcmp(t, "0"))
		return LEASE6_TYPE_NA;
	if (!strcmp(t, "IA_TA") || !strcmp(t, "1"))
		return LEASE6_TYPE_TA;
	if (!strcmp(t, "IA_PD") || !strcmp(t, "2"))
		return LEASE6_TYPE_PD;
	return -1;
}

int lease6_selector(const json_t *args, bool del, struct dhcp6_lease_filter *f, char *text,
		    size_t len)
{
	const char *ip = NULL, *type = NULL, *idtype, *id;
	uint64_t sid, iaid = 0;
	json_t *v;
	int n;

	memset(f, 0, sizeof(*f));
	f->type = LEASE6_TYPE_NA;               /* Kea's default */
	if (!args || !json_is_object(args))
		return fail(text, len, "Parameters missing or are not a map.");
	if (arg_str(args, "type", false, &type, text, len) < 0)
		return CTL_ERROR;
	if (type) {
		f->type = type_arg(type);
		if (f->type < 0)
			return fail(text, len, "Invalid lease type specified: %s, only supported values "
				    "are: IA_NA, IA_TA, IA_PD and V4", type);
	}
	if (json_object_get(args, "ip-address")) {
		if (arg_str(args, "ip-address", true, &ip, text, len) < 0)
			return fail(text, len, "'ip-address' is not a string.");
		f->by_addr = true;
		return addr6_arg(ip, "Invalid IPv6 address specified: ", &f->addr, text, len);
	}
	v = json_object_get(args, "subnet-id");
	if (!v)
		return fail(text, len, "Mandatory 'subnet-id' parameter missing.");
	if (!json_is_integer(v))
		return fail(text, len, "'subnet-id' parameter is not integer.");
	if (arg_uint(args, "subnet-id", true, UINT32_MAX, &sid, text, len) < 0 ||
	    arg_uint(args, "iaid", false, UINT32_MAX, &iaid, text, len) < 0)
		return CTL_ERROR;
	idtype = json_string_value(json_object_get(args, "identifier-type"));
	id = json_string_value(json_object_get(args, "identifier"));
	if (!idtype)
		return fail(text, len, "No 'ip-address' provided and 'identifier-type' is either "
			    "missing or not a string.");
	if (!id)
		return fail(text, len, "No 'ip-address' provided and 'identifier' is either missing "
			    "or not a string.");
	if (!strcmp(idtype, "hw-address") || !strcmp(idtype, "client-id"))
		return fail(text, len, "%s by %s is not allowed in v6.", del ? "Delete" : "Query",
			    idtype);
	if (strcmp(idtype, "duid"))
		return fail(text, len, "Incorrect identifier type: %s, the only supported values "
			    "are: address, hw-address, duid", idtype);
	n = parse_hex(id, f->duid, sizeof(f->duid));
	if (n <= 0)
		return fail(text, len, "'identifier' \"%s\" is not a DUID", id);
	f->duid_len = (uint8_t)n;
	f->by_iaid = true;
	f->iaid = (uint32_t)iaid;
	f->subnet_ids[0] = (uint32_t)sid;
	f->n_subnet_ids = 1;
	return CTL_SUCCESS;
}
