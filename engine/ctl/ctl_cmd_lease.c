/* The lease commands: lease4-add, -get, -get-all, -get-page,
 * -get-by-hw-address, -get-by-client-id, -update, -del, -wipe and
 * leases-reclaim, and the answers the DHCPv6 ones (ctl_cmd_lease6.c)
 * share with them.  Kea's JSON in and out here; the work is done by the
 * owning workers (ctl_lease_msg.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "lease_log.h"
#include "net.h"

/* ---- leases: JSON <-> records ------------------------------------------ */

static json_t *lease_json(const struct lease_rec *r)
{
	char ip[INET_ADDRSTRLEN], hw[3 * 16 + 1], cid[3 * 255 + 1];
	char hostname[sizeof(r->hostname) + 1];
	json_t *o;

	fmt_ip4(r->addr, ip, sizeof(ip));
	fmt_hex(r->hwaddr, r->hwaddr_len, hw);
	fmt_hex(r->cid, r->cid_len, cid);
	fmt_printable(r->hostname, r->hostname_len < sizeof(r->hostname) ? r->hostname_len :
		      sizeof(r->hostname), hostname);     /* the client's option 12 as given */
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:b, s:b, s:s}",
		      "ip-address", ip, "hw-address", hw,
		      "valid-lft", (json_int_t)r->valid_lft,
		      "cltt", (json_int_t)r->expire - (json_int_t)r->valid_lft,
		      "subnet-id", (json_int_t)r->subnet_id, "state", (int)r->state,
		      "fqdn-fwd", r->fqdn_fwd != 0, "fqdn-rev", r->fqdn_rev != 0,
		      "hostname", hostname);
	/* As Kea writes it: a client-id only when the lease has one.  Kea's
	 * own parser refuses an empty one, so a Kea partner syncing from us
	 * would drop every such lease of the page (integ-ha_mixed). */
	if (o && r->cid_len)
		json_object_set_new(o, "client-id", json_string(cid));
	return o;
}

/* Kea's lease4-add / lease4-update arguments -> record. */
int lease4_from_json(struct dp_srv *s, const json_t *args, struct lease_rec *r,
			   char *text, size_t len)
{
	const char *ip, *hw = NULL, *cid = NULL, *host = NULL;
	uint64_t subnet_id = 0, valid, expire = 0, cltt = 0, state = 0;
	const struct conf_subnet *sn = NULL;
	json_t *b;
	unsigned i;
	int n;

	memset(r, 0, sizeof(*r));
	if (!args || !json_is_object(args))
		return fail(text, len, "arguments missing or not an object");
	if (arg_str(args, "ip-address", true, &ip, text, len) < 0 ||
	    arg_str(args, "hw-address", true, &hw, text, len) < 0 ||
	    arg_str(args, "client-id", false, &cid, text, len) < 0 ||
	    arg_str(args, "hostname", false, &host, text, len) < 0 ||
	    arg_uint(args, "subnet-id", false, UINT32_MAX, &subnet_id, text, len) < 0 ||
	    arg_uint(args, "expire", false, UINT32_MAX, &expire, text, len) < 0 ||
	    arg_uint(args, "cltt", false, UINT32_MAX, &cltt, text, len) < 0 ||
	    arg_uint(args, "state", false, 2, &state, text, len) < 0)
		return CTL_ERROR;
	if (arg_get(args, "fqdn-fwd", JSON_TRUE, &b, text, len) < 0 ||
	    arg_get(args, "fqdn-rev", JSON_TRUE, &b, text, len) < 0)
		return CTL_ERROR;
	if (net_ip4_parse(ip, &r->addr))
		return fail(text, len, "'ip-address' \"%s\" is not an IPv4 address", ip);
	n = parse_hex(hw, r->hwaddr, sizeof(r->hwaddr));
	if (n <= 0)
		return fail(text, len, "'hw-address' \"%s\" is not a hardware address", hw);
	r->hwaddr_len = (uint8_t)n;
	r->htype = 1;
	if (cid) {
		n = parse_hex(cid, r->cid, sizeof(r->cid));
		if (n < 0 || (n > 0 && n < 2))
			return fail(text, len, "'client-id' \"%s\" is not a client identifier", cid);
		r->cid_len = (uint8_t)n;
	}
	for (i = 0; i < s->conf->n_subnets; i++) {
		const struct conf_subnet *c = &s->conf->subnets[i];

		if ((r->addr & c->mask) == (c->prefix & c->mask))
			sn = c;
	}
	if (subnet_id && !conf_subnet_by_id(s->conf, (uint32_t)subnet_id))
		return fail(text, len, "no subnet with subnet-id %" PRIu64, subnet_id);
	if (!sn || (subnet_id && sn->id != subnet_id))
		return fail(text, len, "address %s is not in %s", ip,
			    subnet_id ? "that subnet" : "any configured subnet");
	valid = sn->valid_lifetime;
	if (arg_uint(args, "valid-lft", false, UINT32_MAX, &valid, text, len) < 0)
		return CTL_ERROR;
	r->subnet_id = sn->id;
	r->valid_lft = (uint32_t)valid;
	r->state = (uint8_t)state;
	if (state == 2)
		return fail(text, len, "'state' 2 (expired-reclaimed) cannot be added; delete the lease");
	if (expire)
		r->expire = (uint32_t)expire;
	else if (cltt)
		r->expire = (uint32_t)RTE_MIN(cltt + valid, (uint64_t)UINT32_MAX);
	else
		r->expire = (uint32_t)RTE_MIN((uint64_t)time(NULL) + valid, (uint64_t)UINT32_MAX);
	if (host) {
		snprintf(r->hostname, sizeof(r->hostname), "%s", host);
		r->hostname_len = (uint8_t)strlen(r->hostname);
	}
	b = json_object_get(args, "fqdn-fwd");
	r->fqdn_fwd = b && json_is_true(b);
	b = json_object_get(args, "fqdn-rev");
	r->fqdn_rev = b && json_is_true(b);
	return CTL_SUCCESS;
}

/* ---- answers both families share (ctl_cmd.h) --------------------------- */

int leases_answer(void *v, size_t size, long n, uint32_t limit, json_t *(*one)(const void *r),
		  const char *fam, bool with_count, json_t **out, char *text, size_t len)
{
	json_t *a;
	long i;

	if (n < 0)
		return msg_error((int)n, text, len);
	if (limit && n > (long)limit)
		n = limit;
	a = json_array();
	for (i = 0; a && i < n; i++)
		json_array_append_new(a, one((const char *)v + (size_t)i * size));
	free(v);
	if (!a)
		return fail(text, len, "out of memory");
	*out = with_count ? json_pack("{s:o, s:I}", "leases", a, "count", (json_int_t)n)
			  : json_pack("{s:o}", "leases", a);
	snprintf(text, len, "%ld %s lease(s) found.", n, fam);
	return n ? CTL_SUCCESS : CTL_EMPTY;
}

int msg_error(int ret, char *text, size_t len)
{
	if (ret == -ETIMEDOUT)
		return fail(text, len, "a worker did not answer within %u ms", MSG_TIMEOUT_MS);
	if (ret == -ENOBUFS)
		return fail(text, len, "the worker's lease-change log is full (the lease store "
			    "is behind): nothing was changed, try again");
	if (ret == -ETIME)
		return fail(text, len, "the change is in memory but the lease store has not made "
			    "it durable within %u ms", DURABLE_WAIT_MS);
	return fail(text, len, "%s", strerror(-ret));
}

int del_error(int r, long n, char *text, size_t len)
{
	if (n > 0)
		return fail(text, len, "deleted %ld lease(s), some remain: %s", n, strerror(-r));
	return msg_error(r, text, len);
}

int wipe_args(const json_t *args, bool (*known)(const struct conf *c, uint32_t id),
	      const struct conf *c, uint32_t *sid, char *text, size_t len)
{
	uint64_t v = 0;

	if (arg_uint(args, "subnet-id", false, UINT32_MAX, &v, text, len) < 0)
		return -1;
	if (v && !known(c, (uint32_t)v)) {
		snprintf(text, len, "no subnet with subnet-id %" PRIu64, v);
		return -1;
	}
	*sid = (uint32_t)v;
	return 0;
}

/* Kea's text names the subnets wiped: the one asked for, or all. */
int wipe_answer(long n, bool v6, uint32_t sid, const struct conf *c, char *text, size_t len)
{
	unsigned i, n_ids = sid ? 1 : v6 ? c->v6->n_subnets : c->n_subnets;
	size_t k = (size_t)snprintf(text, len, "Deleted %ld IPv%c lease(s) from subnet(s)", n,
				    v6 ? '6' : '4');

	for (i = 0; i < n_ids && k < len; i++)
		k += (size_t)snprintf(text + k, len - k, " %" PRIu32, sid ? sid :
				      v6 ? c->v6->subnets[i].id : c->subnets[i].id);
	return n ? CTL_SUCCESS : CTL_EMPTY;
}

/* ---- lease4-* and leases-reclaim ---------------------------------------- */

static bool subnet4_known(const struct conf *c, uint32_t id)
{
	return conf_subnet_by_id(c, id) != NULL;
}

static json_t *lease4_item(const void *r)
{
	return lease_json(r);
}

static int lease_query_answer(struct dp_srv *s, const struct dhcp4_lease_filter *f, json_t **out,
			      char *text, size_t len, bool with_count, uint32_t limit)
{
	struct lease_rec *v;
	long n = query_all(s, f, &v);

	return leases_answer(v, sizeof(*v), n, limit, lease4_item, "IPv4", with_count, out, text,
			     len);
}

HANDLER(cmd_lease4_get_all)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f = { 0 };
	int r;

	locked(s);
	r = arg_subnets(args, subnet4_known, s->conf, f.subnet_ids, DHCP4_FILTER_SUBNETS,
			&f.n_subnet_ids, text, len) ? CTL_ERROR
		: lease_query_answer(s, &f, out, text, len, false, 0);
	pthread_mutex_unlock(&s->lock);
	return r;
}

HANDLER(cmd_lease4_get_page)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f = { 0 };
	struct lease_rec *v;
	const char *from;
	long n;

	if (arg_page(args, &from, &f.limit, text, len) < 0)
		return CTL_ERROR;
	if (strcmp(from, "start") && net_ip4_parse(from, &f.from))
		return fail(text, len, "'from' must be \"start\" or an IPv4 address, not \"%s\"", from);
	locked(s);
	n = page_query(s, f.from, f.limit, &v);
	pthread_mutex_unlock(&s->lock);
	return leases_answer(v, sizeof(*v), n, 0, lease4_item, "IPv4", true, out, text, len);
}

/* lease4-get-by-hw-address and lease4-get-by-client-id: every lease of
 * one identifier (hex), whichever worker holds it. */
static int lease_query_by_id(struct dp_srv *s, const json_t *args, bool hw, json_t **out,
			     char *text, size_t len)
{
	struct dhcp4_lease_filter f = { 0 };
	const char *key = hw ? "hw-address" : "client-id", *id;
	int n, r;

	if (arg_str(args, key, true, &id, text, len) < 0)
		return CTL_ERROR;
	n = hw ? parse_hex(id, f.hw, sizeof(f.hw)) : parse_hex(id, f.cid, sizeof(f.cid));
	if (n <= 0)
		return fail(text, len, "'%s' \"%s\" is not a %s", key, id,
			    hw ? "hardware address" : "client identifier");
	if (hw)
		f.hw_len = (uint8_t)n;
	else
		f.cid_len = (uint16_t)n;
	locked(s);
	r = lease_query_answer(s, &f, out, text, len, false, 0);
	pthread_mutex_unlock(&s->lock);
	return r;
}

HANDLER(cmd_lease4_get_by_hw)
{
	return lease_query_by_id(ctx, args, true, out, text, len);
}

HANDLER(cmd_lease4_get_by_cid)
{
	return lease_query_by_id(ctx, args, false, out, text, len);
}

/* lease4-get / lease4-del name a lease by ip-address, or by
 * identifier-type + identifier + subnet-id. */
int lease4_selector(const json_t *args, struct dhcp4_lease_filter *f, char *text, size_t len)
{
	const char *ip = NULL, *type = NULL, *id = NULL;
	uint64_t sid = 0;
	int n;

	memset(f, 0, sizeof(*f));
	if (!args || !json_is_object(args))
		return fail(text, len, "arguments missing or not an object");
	if (arg_str(args, "ip-address", false, &ip, text, len) < 0 ||
	    arg_str(args, "identifier-type", false, &type, text, len) < 0 ||
	    arg_str(args, "identifier", false, &id, text, len) < 0 ||
	    arg_uint(args, "subnet-id", false, UINT32_MAX, &sid, text, len) < 0)
		return CTL_ERROR;
	if (ip) {
		if (net_ip4_parse(ip, &f->addr))
			return fail(text, len, "'ip-address' \"%s\" is not an IPv4 address", ip);
		/* 0 means "no address filter" to the workers: 0.0.0.0 here would
		 * select (and lease4-del would delete) every lease */
		if (f->addr == 0)
			return fail(text, len, "'ip-address' 0.0.0.0 is not a lease address");
		return CTL_SUCCESS;
	}
	if (!type || !id || !sid)
		return fail(text, len, "give 'ip-address', or 'identifier-type', 'identifier' and 'subnet-id'");
	f->subnet_ids[0] = (uint32_t)sid;
	f->n_subnet_ids = 1;
	if (!strcmp(type, "hw-address")) {
		n = parse_hex(id, f->hw, sizeof(f->hw));
		if (n <= 0)
			return fail(text, len, "'identifier' \"%s\" is not a hardware address", id);
		f->hw_len = (uint8_t)n;
	} else if (!strcmp(type, "client-id")) {
		n = parse_hex(id, f->cid, sizeof(f->cid));
		if (n <= 0)
			return fail(text, len, "'identifier' \"%s\" is not a client identifier", id);
		f->cid_len = (uint16_t)n;
	} else {
		return fail(text, len, "'identifier-type' must be \"hw-address\" or \"client-id\", not \"%s\"",
			    type);
	}
	return CTL_SUCCESS;
}

HANDLER(cmd_lease4_get)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f;
	struct lease_rec *v, one;
	long n;
	int r = lease4_selector(args, &f, text, len);

	if (r)
		return r;
	locked(s);
	if (f.addr) {                           /* its owner only */
		n = holder_of(s, f.addr, &one, NULL);
		n = n >= 0 ? 1 : n == -ENOENT ? 0 : n;
		v = NULL;
	} else {
		n = query_all(s, &f, &v);
	}
	pthread_mutex_unlock(&s->lock);
	if (n < 0)
		return msg_error((int)n, text, len);
	if (!n) {
		free(v);
		snprintf(text, len, "Lease not found.");
		return CTL_EMPTY;
	}
	*out = lease_json(v ? &v[0] : &one);
	free(v);
	snprintf(text, len, "IPv4 lease found.");
	return CTL_SUCCESS;
}

HANDLER(cmd_lease4_add)
{
	struct dp_srv *s = ctx;
	struct lease_rec r;
	char ip[INET_ADDRSTRLEN];
	int ret;

	(void)out;
	locked(s);
	ret = lease4_from_json(s, args, &r, text, len);
	if (ret) {
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	/* An address outside every pool has no allocator bit to stop a second
	 * lease, and the new client's worker only sees its own table: ask the
	 * address's owner (dhcp4_addr_owner), if it has one. */
	ret = holder_of(s, r.addr, NULL, NULL);
	if (ret >= 0)
		ret = -EEXIST;
	else if (ret == -ENOENT)
		ret = send_one(s, rec_owner(s, &r), DP_MSG_ADD, &r);
	pthread_mutex_unlock(&s->lock);
	fmt_ip4(r.addr, ip, sizeof(ip));
	if (ret == -EEXIST)
		return fail(text, len, "IPv4 lease already exists (address %s or its client)", ip);
	if (ret == -EINVAL)
		return fail(text, len, "address %s is not in a configured subnet", ip);
	if (ret)
		return msg_error(ret, text, len);
	snprintf(text, len, "Lease for address %s, subnet-id %u added.", ip, r.subnet_id);
	return CTL_SUCCESS;
}

/* lease4-update: the lease keeps its address; if its new identity belongs
 * to another worker it moves there (move_lease, ctl_lease_msg.c). */
int dp_srv_lease4_apply(struct dp_srv *s, const struct lease_rec *in)
{
	struct lease_rec r = *in, cur;
	uint32_t ref;
	int holder, ret = 0;
	unsigned owner;

	locked(s);
	s->origin = LEASE_ORIGIN_HA;            /* the partner's lease: never sent back */
	if (r.expire <= (uint32_t)time(NULL) || !conf_subnet_by_id(s->conf, r.subnet_id))
		goto out;
	owner = rec_owner(s, &r);
	holder = holder_of(s, r.addr, &cur, &ref);
	if (holder >= 0 && cur.expire - cur.valid_lft >= r.expire - r.valid_lft)
		goto out;               /* ours is as new or newer */
	if (holder == -ENOENT)
		ret = send_one(s, owner, DP_MSG_ADD, &r);
	else if (holder < 0)
		ret = holder;
	else if ((unsigned)holder == owner)
		ret = send_one(s, owner, DP_MSG_UPDATE, &r);
	else
		ret = move_lease(s, (unsigned)holder, owner, ref, &r);
out:
	s->origin = 0;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int lease4_update(struct dp_srv *s, const struct lease_rec *r, bool force, bool *added)
{
	unsigned owner = rec_owner(s, r);
	uint32_t ref;
	int holder = holder_of(s, r->addr, NULL, &ref);

	if (added)
		*added = holder == -ENOENT;
	if (holder == -ENOENT && force)
		return send_one(s, owner, DP_MSG_ADD, r);
	if (holder < 0)
		return holder;
	if ((unsigned)holder == owner)
		return send_one(s, owner, DP_MSG_UPDATE, r);
	return move_lease(s, (unsigned)holder, owner, ref, r);
}

int lease4_update_error(int ret, uint32_t addr, char *text, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	fmt_ip4(addr, ip, sizeof(ip));
	if (ret == -ENOENT)
		return fail(text, len, "there is no lease at %s to update", ip);
	if (ret == -EEXIST)
		return fail(text, len, "the client in this update already has another lease");
	return msg_error(ret, text, len);
}

HANDLER(cmd_lease4_update)
{
	struct dp_srv *s = ctx;
	struct lease_rec r;
	json_t *fc;
	int ret;

	(void)out;
	if (arg_get(args, "force-create", JSON_TRUE, &fc, text, len) < 0)
		return CTL_ERROR;
	locked(s);
	ret = lease4_from_json(s, args, &r, text, len);
	if (!ret) {
		ret = lease4_update(s, &r, fc && json_is_true(fc), NULL);
		if (ret)
			ret = lease4_update_error(ret, r.addr, text, len);
		else
			snprintf(text, len, "IPv4 lease updated.");
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

HANDLER(cmd_lease4_del)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f;
	long n;
	int r = lease4_selector(args, &f, text, len);

	(void)out;
	if (r)
		return r;
	locked(s);
	r = del_all(s, &f, &n);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return del_error(r, n, text, len);
	if (!n) {
		snprintf(text, len, "IPv4 lease not found.");
		return CTL_EMPTY;
	}
	snprintf(text, len, "IPv4 lease deleted.");
	return CTL_SUCCESS;
}

HANDLER(cmd_lease4_wipe)
{
	struct dp_srv *s = ctx;
	struct dhcp4_lease_filter f = { 0 };
	uint32_t sid;
	long n;
	int r;

	(void)out;
	locked(s);
	if (wipe_args(args, subnet4_known, s->conf, &sid, text, len)) {
		pthread_mutex_unlock(&s->lock);
		return CTL_ERROR;
	}
	if (sid) {
		f.subnet_ids[0] = sid;
		f.n_subnet_ids = 1;
	}
	r = del_all(s, &f, &n);
	r = r < 0 ? del_error(r, n, text, len) : wipe_answer(n, false, sid, s->conf, text, len);
	pthread_mutex_unlock(&s->lock);
	return r;
}

HANDLER(cmd_leases_reclaim)
{
	struct dp_srv *s = ctx;
	json_t *rm;
	long n;

	if (arg_get(args, "remove", JSON_TRUE, &rm, text, len) < 0)
		return CTL_ERROR;
	if (!rm)
		return fail(text, len, "missing 'remove' argument");
	locked(s);
	n = broadcast(s, DP_MSG_RECLAIM, NULL, NULL, NULL);
	pthread_mutex_unlock(&s->lock);
	if (n < 0)
		return msg_error((int)n, text, len);
	*out = json_pack("{s:I}", "reclaimed", (json_int_t)n);
	/* our expiry always removes the lease (a delete record in the lease
	 * file), so remove=false behaves like remove=true */
	snprintf(text, len, "Reclamation of expired leases is complete.");
	return CTL_SUCCESS;
}

const struct cmd_def cmds_lease[] = {
	{ "lease4-add", cmd_lease4_add },
	{ "lease4-get", cmd_lease4_get },
	{ "lease4-get-all", cmd_lease4_get_all },
	{ "lease4-get-page", cmd_lease4_get_page },
	{ "lease4-get-by-hw-address", cmd_lease4_get_by_hw },
	{ "lease4-get-by-client-id", cmd_lease4_get_by_cid },
	{ "lease4-update", cmd_lease4_update },
	{ "lease4-del", cmd_lease4_del },
	{ "lease4-wipe", cmd_lease4_wipe },
	{ "leases-reclaim", cmd_leases_reclaim },
	{ NULL, NULL },
};
