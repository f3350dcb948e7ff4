/* The DHCPv6 lease commands: lease6-add, -get, -get-all, -get-page,
 * -get-by-duid, -update, -del and -wipe.  Kea's JSON in and out
 * (ctl_lease6_json.c); the work is done by the workers (ctl_lease_msg.c).
 * A v6 lease lives on the worker that owns its DUID (dhcp6_rec_owner), so
 * by-DUID work goes to that worker only; no worker owns an address, so
 * by-address work asks every worker.  Without a dhcp6 block every command
 * here answers result 1 "DHCPv6 is not configured". */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"
#include "lease_log.h"

/* The lock taken, or CTL_ERROR (lock not held) when DHCPv6 is not served. */
int v6_locked(struct dp_srv *s, char *text, size_t len)
{
	locked(s);
	if (s->conf->v6 && s->dp->rt6)
		return CTL_SUCCESS;
	pthread_mutex_unlock(&s->lock);
	return fail(text, len, "DHCPv6 is not configured");
}

static bool subnet6_known(const struct conf *c, uint32_t id)
{
	return conf6_subnet_by_id(c->v6, id) != NULL;
}

static json_t *lease6_item(const void *r)
{
	return lease6_json(r);
}

/* A filter that matches every lease (type -1: any). */
static void filter_all(struct dhcp6_lease_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->type = -1;
}

static unsigned n_workers(const struct dp_srv *s)
{
	return s->dp->n_workers;
}

/* lease6-get-all, -get-page, -get-by-duid: the leases matching f, the
 * first f->limit of them (0: all), as Kea's {"leases": [...]}; those of
 * one DUID from its owner, the others from every worker.  args: the
 * request's, for its "subnets" list (NULL: none). */
static int leases6_answer(struct dp_srv *s, const json_t *args, struct dhcp6_lease_filter *f,
			  bool with_count, json_t **out, char *text, size_t len)
{
	struct lease6_rec *v;
	unsigned w0 = 0, w1;
	long n;

	if (v6_locked(s, text, len))
		return CTL_ERROR;
	if (arg_subnets(args, subnet6_known, s->conf, f->subnet_ids,
			sizeof(f->subnet_ids) / sizeof(f->subnet_ids[0]), &f->n_subnet_ids, text,
			len)) {
		pthread_mutex_unlock(&s->lock);
		return CTL_ERROR;
	}
	w1 = n_workers(s);
	if (f->duid_len) {
		w0 = duid_owner(s, f->duid, f->duid_len);
		w1 = w0 + 1;
	}
	n = query6(s, f, w0, w1, &v);
	pthread_mutex_unlock(&s->lock);
	return leases_answer(v, sizeof(*v), n, f->limit, lease6_item, "IPv6", with_count, out, text,
			     len);
}

HANDLER(cmd_lease6_get_all)
{
	struct dhcp6_lease_filter f;

	filter_all(&f);
	return leases6_answer(ctx, args, &f, false, out, text, len);
}

/* Each worker keeps its `limit` lowest addresses above `from`; the
 * lowest `limit` of their union is the page. */
HANDLER(cmd_lease6_get_page)
{
	struct dhcp6_lease_filter f;
	const char *from;

	filter_all(&f);
	if (arg_page(args, &from, &f.limit, text, len) < 0)
		return CTL_ERROR;
	if (strcmp(from, "start")) {
		if (parse_ip6(from, &f.from))
			return fail(text, len, "'from' must be \"start\" or an IPv6 address, not \"%s\"",
				    from);
		f.after = true;
	}
	return leases6_answer(ctx, NULL, &f, true, out, text, len);
}

HANDLER(cmd_lease6_get_by_duid)
{
	struct dhcp6_lease_filter f;
	const char *duid;
	int n;

	filter_all(&f);
	if (arg_str(args, "duid", true, &duid, text, len) < 0)
		return CTL_ERROR;
	n = parse_hex(duid, f.duid, sizeof(f.duid));
	if (n <= 0)
		return fail(text, len, "'duid' \"%s\" is not a DUID", duid);
	f.duid_len = (uint8_t)n;
	return leases6_answer(ctx, NULL, &f, false, out, text, len);
}

/* The lease a lease6-get / -del selector names: 1 found, 0 none, -errno.
 * By address every worker is asked; by DUID its owner, and Kea's answer
 * is one lease of the IA: the lowest address here. */
static long find6(struct dp_srv *s, const struct dhcp6_lease_filter *f, struct lease6_rec *one,
		  unsigned *holder)
{
	struct lease6_rec *v;
	unsigned w;
	long n;

	if (f->by_addr) {
		n = holder6_of(s, f, one);
		if (n >= 0)
			*holder = (unsigned)n;
		return n >= 0 ? 1 : n == -ENOENT ? 0 : n;
	}
	w = duid_owner(s, f->duid, f->duid_len);
	n = query6(s, f, w, w + 1, &v);
	if (n > 0) {
		*one = v[0];
		*holder = w;
		n = 1;
	}
	free(v);
	return n;
}

HANDLER(cmd_lease6_get)
{
	struct dp_srv *s = ctx;
	struct dhcp6_lease_filter f;
	struct lease6_rec one;
	unsigned holder;
	long n;

	if (lease6_selector(args, false, &f, text, len) || v6_locked(s, text, len))
		return CTL_ERROR;
	n = find6(s, &f, &one, &holder);
	pthread_mutex_unlock(&s->lock);
	if (n < 0)
		return msg_error((int)n, text, len);
	if (!n) {
		snprintf(text, len, "Lease not found.");
		return CTL_EMPTY;
	}
	*out = lease6_json(&one);
	snprintf(text, len, "IPv6 lease found.");
	return CTL_SUCCESS;
}

/* Kea's words for a lease6-add or -update the workers refused. */
int change6_error(int ret, const struct lease6_rec *r, char *text, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	fmt_ip6(r->addr, ip, sizeof(ip));
	switch (ret) {
	case -EEXIST:
		return fail(text, len, "IPv6 lease already exists.");
	case -ENOENT:
		return fail(text, len, "failed to update the lease with address %s either because the "
			    "lease has been deleted or it has changed in the database, in both cases "
			    "a retry might succeed", ip);
	case -EINVAL:
		return fail(text, len, "subnet-id %u is not one the DHCPv6 server runs", r->subnet_id);
	case -EIO:
		return fail(text, len, "the lease at %s was deleted to move to its new client's worker "
			    "and could be added on neither worker", ip);
	default:
		return msg_error(ret, text, len);
	}
}

/* lease6-add and -update: the lock taken and the lease in *r, with the
 * filter of its address (any type) in *f; or CTL_ERROR, lock not held. */
static int lease6_args_locked(struct dp_srv *s, const json_t *args, struct lease6_rec *r,
			      struct dhcp6_lease_filter *f, char *text, size_t len)
{
	if (v6_locked(s, text, len))
		return CTL_ERROR;
	if (lease6_from_json(s->conf->v6, args, (uint32_t)time(NULL), r, text, len)) {
		pthread_mutex_unlock(&s->lock);
		return CTL_ERROR;
	}
	filter_all(f);
	f->by_addr = true;
	f->addr = r->addr;
	return CTL_SUCCESS;
}

HANDLER(cmd_lease6_add)
{
	struct dp_srv *s = ctx;
	struct dhcp6_lease_filter f;
	struct lease6_rec r;
	char ip[INET6_ADDRSTRLEN];
	int ret;

	(void)out;
	if (lease6_args_locked(s, args, &r, &f, text, len))
		return CTL_ERROR;
	/* The new client's worker sees only its own table, and an address
	 * outside the pools has no allocator unit to stop a second lease:
	 * ask every worker first. */
	ret = holder6_of(s, &f, NULL);
	if (ret >= 0)
		ret = -EEXIST;
	else if (ret == -ENOENT)
		ret = send6_one(s, dhcp6_rec_owner(&r, n_workers(s)), DP_MSG_ADD6, &r);
	pthread_mutex_unlock(&s->lock);
	if (ret)
		return change6_error(ret, &r, text, len);
	fmt_ip6(r.addr, ip, sizeof(ip));
	if (r.type == LEASE6_TYPE_PD)
		snprintf(text, len, "Lease for prefix %s/%u, subnet-id %u added.", ip, r.prefix_len,
			 r.subnet_id);
	else
		snprintf(text, len, "Lease for address %s, subnet-id %u added.", ip, r.subnet_id);
	return CTL_SUCCESS;
}

/* lease6-update: the lease keeps its address; when its DUID now belongs
 * to another worker it moves there (move6_lease). */
int lease6_update(struct dp_srv *s, const struct lease6_rec *r, bool force, bool *added)
{
	struct dhcp6_lease_filter f;
	struct lease6_rec old;
	unsigned owner = dhcp6_rec_owner(r, n_workers(s));
	int holder;

	filter_all(&f);
	f.by_addr = true;
	f.addr = r->addr;
	holder = holder6_of(s, &f, &old);
	if (added)
		*added = holder == -ENOENT;
	if (holder == -ENOENT && force)
		return send6_one(s, owner, DP_MSG_ADD6, r);
	if (holder < 0)
		return holder;
	if ((unsigned)holder == owner)
		return send6_one(s, owner, DP_MSG_UPDATE6, r);
	return move6_lease(s, (unsigned)holder, owner, &old, r);
}

int dp_srv_lease6_apply(struct dp_srv *s, const struct lease6_rec *in)
{
	struct dhcp6_lease_filter f;
	struct lease6_rec cur;
	int holder, ret = 0;
	char text[8];

	if (v6_locked(s, text, sizeof(text)) != CTL_SUCCESS)
		return -ENOTSUP;
	s->origin = LEASE_ORIGIN_HA;            /* the partner's lease: never sent back */
	if (in->expire <= (uint32_t)time(NULL) || !subnet6_known(s->conf, in->subnet_id))
		goto out;
	filter_all(&f);
	f.by_addr = true;
	f.addr = in->addr;
	holder = holder6_of(s, &f, &cur);
	if (holder >= 0 && cur.expire - cur.valid_lft >= in->expire - in->valid_lft)
		goto out;               /* ours is as new or newer */
	if (holder < 0 && holder != -ENOENT) {
		ret = holder;
		goto out;
	}
	ret = lease6_update(s, in, true, NULL);
out:
	s->origin = 0;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

HANDLER(cmd_lease6_update)
{
	struct dp_srv *s = ctx;
	struct dhcp6_lease_filter f;
	struct lease6_rec r;
	json_t *fc;
	bool added;
	int ret;

	(void)out;
	if (arg_get(args, "force-create", JSON_TRUE, &fc, text, len) < 0 ||
	    lease6_args_locked(s, args, &r, &f, text, len))
		return CTL_ERROR;
	ret = lease6_update(s, &r, fc && json_is_true(fc), &added);
	pthread_mutex_unlock(&s->lock);
	if (ret)
		return change6_error(ret, &r, text, len);
	snprintf(text, len, added ? "IPv6 lease added." : "IPv6 lease updated.");
	return CTL_SUCCESS;
}

/* As Kea, one lease: the one lease6-get would answer. */
long lease6_del(struct dp_srv *s, const struct dhcp6_lease_filter *sel)
{
	struct dhcp6_lease_filter f = *sel;
	struct lease6_rec one;
	unsigned holder;
	long n = find6(s, &f, &one, &holder);
	int r;

	if (n > 0) {
		int type = f.type;

		filter_all(&f);
		f.by_addr = true;
		f.addr = one.addr;
		f.type = type;
		r = del6_all(s, &f, holder, holder + 1, &n);
		n = r < 0 ? r : n;
	}
	return n;
}

HANDLER(cmd_lease6_del)
{
	struct dp_srv *s = ctx;
	struct dhcp6_lease_filter f;
	long n;

	(void)out;
	if (lease6_selector(args, true, &f, text, len) || v6_locked(s, text, len))
		return CTL_ERROR;
	n = lease6_del(s, &f);
	pthread_mutex_unlock(&s->lock);
	if (n < 0)
		return msg_error((int)n, text, len);
	if (!n) {
		snprintf(text, len, "IPv6 lease not found.");
		return CTL_EMPTY;
	}
	snprintf(text, len, "IPv6 lease deleted.");
	return CTL_SUCCESS;
}

HANDLER(cmd_lease6_wipe)
{
	struct dp_srv *s = ctx;
	struct dhcp6_lease_filter f;
	uint32_t sid;
	long n;
	int r;

	(void)out;
	filter_all(&f);
	if (v6_locked(s, text, len))
		return CTL_ERROR;
	if (wipe_args(args, subnet6_known, s->conf, &sid, text, len)) {
		pthread_mutex_unlock(&s->lock);
		return CTL_ERROR;
	}
	if (sid) {
		f.subnet_ids[0] = sid;
		f.n_subnet_ids = 1;
	}
	r = del6_all(s, &f, 0, n_workers(s), &n);
	r = r < 0 ? del_error(r, n, text, len) : wipe_answer(n, true, sid, s->conf, text, len);
	pthread_mutex_unlock(&s->lock);
	return r;
}

const struct cmd_def cmds_lease6[] = {
	{ "lease6-add", cmd_lease6_add },
	{ "lease6-get", cmd_lease6_get },
	{ "lease6-get-all", cmd_lease6_get_all },
	{ "lease6-get-page", cmd_lease6_get_page },
	{ "lease6-get-by-duid", cmd_lease6_get_by_duid },
	{ "lease6-update", cmd_lease6_update },
	{ "lease6-del", cmd_lease6_del },
	{ "lease6-wipe", cmd_lease6_wipe },
	{ NULL, NULL },
};
