/* lease6-bulk-apply (Kea's lease_cmds: what a Kea 2.2 HA partner sends
 * for every DHCPv6 client change) and lease4-bulk-apply (Peregrine's: the
 * same shape for DHCPv4 leases, so a Peregrine partner batches its
 * updates; Kea 2.2 has none).
 *
 *   {"deleted-leases": [selector, ...], "leases": [lease, ...]}
 *
 * As Kea: every entry is parsed first, and one that is malformed refuses
 * the whole command (result 1, nothing changed).  Then the deleted-leases
 * are deleted and the leases updated or created (force-create), each list
 * in its order.  An entry that fails is listed in "failed-deleted-leases"
 * or "failed-leases" as {"type", "ip-address", "result", "error-message"}
 * and the others still apply: a delete that finds no lease is result 3
 * ("lease not found"), a lease whose client holds another one result 4
 * (conflict), anything else result 1.  The answer is result 0 when some
 * entry applied, 3 when none did.
 *
 * Each delete, and each DHCPv6 lease, is one change on its owner worker,
 * one at a time (the road lease4-del / -update and lease6-del / -update
 * take), under the one lock those commands hold.  The DHCPv4 leases go
 * batched (lease4_update_batch: one message per worker and up to
 * DP_APPLY_MAX leases, one durability wait per worker), so a partner's
 * batch of 256 costs a few worker round trips and one fsync, not 512 and
 * 256. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_cmd.h"

/* What the two families do not share. */
struct bulk_fam {
	const char *name;                       /* "IPv4", "IPv6" */
	size_t sel_size, rec_size;
	int (*lock)(struct dp_srv *s, char *text, size_t len);
	int (*parse_sel)(struct dp_srv *s, const json_t *e, void *sel, char *text, size_t len);
	int (*parse_rec)(struct dp_srv *s, const json_t *e, void *rec, char *text, size_t len);
	long (*del)(struct dp_srv *s, const void *sel);         /* 1, 0 none, -errno */
	int (*update)(struct dp_srv *s, const void *rec);       /* 0 or -errno */
	/* optional: every record at once, rets[i] as update's (batched) */
	void (*update_all)(struct dp_srv *s, const void *recs, size_t n, int *rets);
	/* Kea's failed entry of a selector or a record, without its result */
	json_t *(*sel_json)(const void *sel);
	json_t *(*rec_json)(const void *rec);
	int (*rec_error)(int ret, const void *rec, char *text, size_t len);
};

/* ---- DHCPv4 ---------------------------------------------------------------- */

static int lock4(struct dp_srv *s, char *text, size_t len)
{
	(void)text;
	(void)len;
	return locked(s);
}

static int sel4(struct dp_srv *s, const json_t *e, void *sel, char *text, size_t len)
{
	(void)s;
	return lease4_selector(e, sel, text, len);
}

static int rec4(struct dp_srv *s, const json_t *e, void *rec, char *text, size_t len)
{
	return lease4_from_json(s, e, rec, text, len);
}

static long del4(struct dp_srv *s, const void *sel)
{
	long n;
	int r = del_all(s, sel, &n);

	return r < 0 ? r : n;
}

static int update4(struct dp_srv *s, const void *rec)
{
	return lease4_update(s, rec, true, NULL);
}

static void update4_all(struct dp_srv *s, const void *recs, size_t n, int *rets)
{
	lease4_update_batch(s, recs, n, rets);
}

static json_t *failed4(uint32_t addr)
{
	char ip[INET_ADDRSTRLEN];

	fmt_ip4(addr, ip, sizeof(ip));
	return json_pack("{s:s, s:s}", "type", "V4", "ip-address", ip);
}

/* A delete by identifier names its identifier instead of an address. */
static json_t *sel4_json(const void *sel)
{
	const struct dhcp4_lease_filter *f = sel;
	char id[3 * 255 + 1];
	json_t *j;

	if (f->addr)
		return failed4(f->addr);
	j = json_pack("{s:s}", "type", "V4");
	if (f->hw_len)
		fmt_hex(f->hw, f->hw_len, id);
	else
		fmt_hex(f->cid, f->cid_len, id);
	if (j)
		json_object_set_new(j, f->hw_len ? "hw-address" : "client-id", json_string(id));
	return j;
}

static json_t *rec4_json(const void *rec)
{
	return failed4(((const struct lease_rec *)rec)->addr);
}

static int rec4_error(int ret, const void *rec, char *text, size_t len)
{
	return lease4_update_error(ret, ((const struct lease_rec *)rec)->addr, text, len);
}

static const struct bulk_fam fam4 = {
	"IPv4", sizeof(struct dhcp4_lease_filter), sizeof(struct lease_rec), lock4, sel4, rec4,
	del4, update4, update4_all, sel4_json, rec4_json, rec4_error,
};

/* ---- DHCPv6 ---------------------------------------------------------------- */

static int sel6(struct dp_srv *s, const json_t *e, void *sel, char *text, size_t len)
{
	(void)s;
	return lease6_selector(e, true, sel, text, len);
}

static int rec6(struct dp_srv *s, const json_t *e, void *rec, char *text, size_t len)
{
	return lease6_from_json(s->conf->v6, e, (uint32_t)time(NULL), rec, text, len);
}

static long del6(struct dp_srv *s, const void *sel)
{
	return lease6_del(s, sel);
}

static int update6(struct dp_srv *s, const void *rec)
{
	return lease6_update(s, rec, true, NULL);
}

static json_t *failed6(int type, const struct lease_addr6 *a, const uint8_t *duid, size_t duid_len)
{
	char buf[3 * LEASE_DUID_MAX + 1];
	json_t *j = json_pack("{s:s}", "type", type == LEASE6_TYPE_PD ? "IA_PD" : "IA_NA");

	if (!j)
		return NULL;
	if (a) {
		fmt_ip6(*a, buf, sizeof(buf));
		json_object_set_new(j, "ip-address", json_string(buf));
	} else {
		fmt_hex(duid, duid_len, buf);
		json_object_set_new(j, "duid", json_string(buf));
	}
	return j;
}

static json_t *sel6_json(const void *sel)
{
	const struct dhcp6_lease_filter *f = sel;

	return failed6(f->type, f->by_addr ? &f->addr : NULL, f->duid, f->duid_len);
}

static json_t *rec6_json(const void *rec)
{
	const struct lease6_rec *r = rec;

	return failed6(r->type, &r->addr, NULL, 0);
}

static int rec6_error(int ret, const void *rec, char *text, size_t len)
{
	return change6_error(ret, rec, text, len);
}

static const struct bulk_fam fam6 = {
	"IPv6", sizeof(struct dhcp6_lease_filter), sizeof(struct lease6_rec), v6_locked, sel6, rec6,
	del6, update6, NULL, sel6_json, rec6_json, rec6_error,
};

/* ---- the command ----------------------------------------------------------- */

/* The list at key: 1 (in *l, may be empty), 0 absent, -1 not a list. */
static int list_arg(const json_t *args, const char *key, json_t **l, char *text, size_t len)
{
	*l = json_object_get(args, key);
	if (!*l)
		return 0;
	if (!json_is_array(*l)) {
		fail(text, len, "the '%s' parameter must be a list", key);
		return -1;
	}
	return 1;
}

/* Every entry of list l parsed into v (n records of `size`): 0, or
 * CTL_ERROR with text. */
static int parse_all(struct dp_srv *s, const json_t *l, size_t size,
		     int (*parse)(struct dp_srv *s, const json_t *e, void *out, char *text, size_t len),
		     char *v, char *text, size_t len)
{
	size_t i;
	json_t *e;

	json_array_foreach(l, i, e)
		if (parse(s, e, v + i * size, text, len))
			return CTL_ERROR;
	return CTL_SUCCESS;
}

/* Add {..., "result", "error-message"} to *list (made on first use). */
static void failed_add(json_t **list, json_t *entry, int result, const char *msg)
{
	if (!entry)
		return;
	json_object_set_new(entry, "result", json_integer(result));
	json_object_set_new(entry, "error-message", json_string(msg));
	if (!*list)
		*list = json_array();
	if (*list)
		json_array_append_new(*list, entry);
	else
		json_decref(entry);
}

static int bulk_apply(const struct bulk_fam *fam, struct dp_srv *s, const json_t *args,
		      json_t **out, char *text, size_t len)
{
	json_t *dl, *ll, *fdel = NULL, *fput = NULL;
	size_t nd, nl, i, ok = 0;
	char *sels = NULL, *recs = NULL, why[256];
	int hd, hl, ret, *rets = NULL;

	if (!args || !json_is_object(args))
		return fail(text, len, "Command arguments missing or a not a map.");
	hd = list_arg(args, "deleted-leases", &dl, text, len);
	hl = hd < 0 ? 0 : list_arg(args, "leases", &ll, text, len);
	if (hd < 0 || hl < 0)
		return CTL_ERROR;
	if (!hd && !hl)
		return fail(text, len, "neither 'deleted-leases' nor 'leases' parameter specified");
	nd = hd ? json_array_size(dl) : 0;
	nl = hl ? json_array_size(ll) : 0;
	sels = malloc((nd ? nd : 1) * fam->sel_size);
	recs = malloc((nl ? nl : 1) * fam->rec_size);
	rets = calloc(nl ? nl : 1, sizeof(*rets));
	if (!sels || !recs || !rets) {
		free(sels);
		free(recs);
		free(rets);
		return fail(text, len, "out of memory");
	}
	if (fam->lock(s, text, len)) {
		ret = CTL_ERROR;
		goto out_free;
	}
	/* all or nothing: a malformed entry changes nothing */
	ret = parse_all(s, dl, fam->sel_size, fam->parse_sel, sels, text, len);
	if (!ret)
		ret = parse_all(s, ll, fam->rec_size, fam->parse_rec, recs, text, len);
	if (ret)
		goto out;
	for (i = 0; i < nd; i++) {
		const void *sel = sels + i * fam->sel_size;
		long n = fam->del(s, sel);

		if (n > 0) {
			ok++;
		} else if (n == 0) {
			failed_add(&fdel, fam->sel_json(sel), CTL_EMPTY, "lease not found");
		} else {
			msg_error((int)n, why, sizeof(why));
			failed_add(&fdel, fam->sel_json(sel), CTL_ERROR, why);
		}
	}
	if (fam->update_all && nl)
		fam->update_all(s, recs, nl, rets);
	for (i = 0; i < nl; i++) {
		const void *rec = recs + i * fam->rec_size;
		int r = fam->update_all ? rets[i] : fam->update(s, rec);

		if (!r) {
			ok++;
			continue;
		}
		fam->rec_error(r, rec, why, sizeof(why));
		failed_add(&fput, fam->rec_json(rec), r == -EEXIST ? CTL_CONFLICT : CTL_ERROR, why);
	}
	if (fdel || fput) {
		*out = json_object();
		if (*out && fdel)
			json_object_set(*out, "failed-deleted-leases", fdel);
		if (*out && fput)
			json_object_set(*out, "failed-leases", fput);
	}
	json_decref(fdel);
	json_decref(fput);
	snprintf(text, len, "Bulk apply of %zu %s leases completed.", ok, fam->name);
	ret = ok ? CTL_SUCCESS : CTL_EMPTY;
out:
	pthread_mutex_unlock(&s->lock);
out_free:
	free(sels);
	free(recs);
	free(rets);
	return ret;
}

HANDLER(cmd_lease4_bulk_apply)
{
	return bulk_apply(&fam4, ctx, args, out, text, len);
}

HANDLER(cmd_lease6_bulk_apply)
{
	return bulk_apply(&fam6, ctx, args, out, text, len);
}

const struct cmd_def cmds_bulk[] = {
	{ "lease4-bulk-apply", cmd_lease4_bulk_apply },
	{ "lease6-bulk-apply", cmd_lease6_bulk_apply },
	{ NULL, NULL },
};
