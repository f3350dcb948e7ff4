/* Kea 2.2's HA peer messages (ha_msg.h).  Leases here are records
 * (lease_rec.h) and Kea's JSON, nothing else: no configuration, no lease
 * table, so the serving side and the tests use the same conversions. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ha_msg.h"
#include "net.h"

static int ferr(char *err, size_t elen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ferr(char *err, size_t elen, const char *fmt, ...)
{
	va_list ap;

	if (err && elen) {
		va_start(ap, fmt);
		vsnprintf(err, elen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

char *ha_msg_text(const json_t *msg)
{
	return msg ? json_dumps(msg, JSON_COMPACT) : NULL;
}

/* ---- text forms --------------------------------------------------------- */

/* Kea's hex text of bytes: "aa:bb:cc" ("" for none).  out: 3 * n + 1. */
static void hex_text(const uint8_t *b, size_t n, char *out)
{
	static const char dig[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = dig[b[i] >> 4];
		*out++ = dig[b[i] & 15];
		if (i + 1 < n)
			*out++ = ':';
	}
	*out = '\0';
}

/* Kea's hex text back into bytes: groups of one or two digits separated
 * by ':', or one run of digits of even length.  The length or -1. */
static int hex_parse(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!*s)
		return 0;
	if (!strchr(s, ':')) {
		size_t l = strlen(s), i;

		if (l % 2 || l / 2 > max)
			return -1;
		for (i = 0; i < l; i += 2) {
			int h = net_hexval(s[i]), lo = net_hexval(s[i + 1]);

			if (h < 0 || lo < 0)
				return -1;
			out[n++] = (uint8_t)(h << 4 | lo);
		}
		return (int)n;
	}
	for (;;) {
		int h = net_hexval(s[0]), lo;

		if (h < 0 || n == max)
			return -1;
		lo = net_hexval(s[1]);
		if (lo >= 0) {
			out[n++] = (uint8_t)(h << 4 | lo);
			s += 2;
		} else {
			out[n++] = (uint8_t)h;
			s += 1;
		}
		if (!*s)
			return (int)n;
		if (*s != ':' || !s[1])
			return -1;
		s++;
	}
}

/* A hostname field as a JSON string.  JSON wants UTF-8: a name that is
 * not (raw bytes a client sent) goes with '?' for every non-ASCII byte. */
static json_t *hostname_json(const char *h, uint8_t len)
{
	char buf[sizeof(((struct lease_rec *)0)->hostname) + 1];
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1, i;
	json_t *s;

	n = strnlen(h, n);
	s = json_stringn(h, n);
	if (s)
		return s;
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)h[i] >= 0x20 && (unsigned char)h[i] < 0x7f ? h[i] : '?';
	return json_stringn(buf, n);
}

/* A hostname into the 64-byte field, cut at a UTF-8 character boundary
 * when longer (a lease update is not refused for a long name). */
static uint8_t hostname_set(char *dst, size_t cap, const char *s, size_t n)
{
	if (n > cap) {
		n = cap;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memset(dst, 0, cap);
	memcpy(dst, s, n);
	return (uint8_t)n;
}

static const char *const type6_names[] = { "IA_NA", "IA_TA", "IA_PD" };

/* ---- leases as JSON ----------------------------------------------------- */

/* "expire" or "cltt" of a lease with these times. */
static int set_time(json_t *o, bool expire, uint32_t exp, uint32_t valid)
{
	if (expire)
		return json_object_set_new(o, "expire", json_integer(exp));
	return json_object_set_new(o, "cltt", json_integer((json_int_t)exp - (json_int_t)valid));
}

/* The end both lease forms share: the optional hex member `key` (n bytes
 * at b; left out when n is 0) and the time.  o, or NULL (o freed). */
static json_t *lease_tail(json_t *o, const char *key, const uint8_t *b, size_t n, bool expire,
			  uint32_t exp, uint32_t valid)
{
	char hex[3 * 255 + 1];

	if (!o)
		return NULL;
	if (n) {
		hex_text(b, n < 255 ? n : 255, hex);
		if (json_object_set_new(o, key, json_string(hex)))
			goto err;
	}
	if (set_time(o, expire, exp, valid))
		goto err;
	return o;
err:
	json_decref(o);
	return NULL;
}

json_t *ha_msg_lease4_json(const struct lease_rec *r, bool expire)
{
	char ip[INET_ADDRSTRLEN], hw[3 * sizeof(r->hwaddr) + 1];
	struct in_addr a = { .s_addr = htonl(r->addr) };
	json_t *o;

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	hex_text(r->hwaddr, r->hwaddr_len < sizeof(r->hwaddr) ? r->hwaddr_len : sizeof(r->hwaddr), hw);
	o = json_pack("{s:s, s:I, s:s, s:I, s:b, s:b, s:o, s:i}",
		      "ip-address", ip, "subnet-id", (json_int_t)r->subnet_id, "hw-address", hw,
		      "valid-lft", (json_int_t)r->valid_lft,
		      "fqdn-fwd", r->fqdn_fwd != 0, "fqdn-rev", r->fqdn_rev != 0,
		      "hostname", hostname_json(r->hostname, r->hostname_len),
		      "state", (int)r->state);
	/* Kea: a client-id only when the lease has one */
	return lease_tail(o, "client-id", r->cid, r->cid_len, expire, r->expire, r->valid_lft);
}

json_t *ha_msg_lease6_json(const struct lease6_rec *r, bool expire)
{
	char ip[INET6_ADDRSTRLEN], duid[3 * LEASE_DUID_MAX + 1];
	uint8_t b[16];
	json_t *o;

	lease_addr6_store(r->addr, b);
	inet_ntop(AF_INET6, b, ip, sizeof(ip));
	if (r->duid_len)
		hex_text(r->duid, r->duid_len <= LEASE_DUID_MAX ? r->duid_len : LEASE_DUID_MAX, duid);
	else
		strcpy(duid, "00");                /* Kea's empty DUID (a declined lease) */
	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:b, s:b, s:o, s:I}",
		      "ip-address", ip,
		      "type", r->type <= LEASE6_TYPE_PD ? type6_names[r->type] : "IA_NA",
		      "iaid", (json_int_t)r->iaid, "duid", duid,
		      "subnet-id", (json_int_t)r->subnet_id,
		      "preferred-lft", (json_int_t)r->pref_lft,
		      "valid-lft", (json_int_t)r->valid_lft,
		      "fqdn-fwd", r->fqdn_fwd != 0, "fqdn-rev", r->fqdn_rev != 0,
		      "hostname", hostname_json(r->hostname, r->hostname_len),
		      "state", (json_int_t)r->state);
	if (!o)
		return NULL;
	/* as Kea: the prefix length of a prefix only, the hardware address
	 * when the lease has one */
	if (r->type == LEASE6_TYPE_PD &&
	    json_object_set_new(o, "prefix-len", json_integer(r->prefix_len))) {
		json_decref(o);
		return NULL;
	}
	return lease_tail(o, "hw-address", r->hwaddr, r->hwaddr_len <= LEASE6_HWADDR_MAX ?
			  r->hwaddr_len : LEASE6_HWADDR_MAX, expire, r->expire, r->valid_lft);
}

/* ---- leases from JSON --------------------------------------------------- */

/* An optional member: 1 found (of the type), 0 absent, -1 (err) another type. */
static int member(const json_t *o, const char *key, json_type t, json_t **v, char *err,
		  size_t elen)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "a map", [JSON_ARRAY] = "a list", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};

	*v = json_object_get(o, key);
	if (!*v)
		return 0;
	if (json_typeof(*v) == t || (t == JSON_TRUE && json_is_boolean(*v)))
		return 1;
	return ferr(err, elen, "'%s' is not %s", key, names[t]);
}

static int get_str(const json_t *o, const char *key, bool required, const char **s,
		   char *err, size_t elen)
{
	json_t *v;
	int ret = member(o, key, JSON_STRING, &v, err, elen);

	if (ret < 0)
		return -1;
	if (!ret && required)
		return ferr(err, elen, "'%s' missing", key);
	*s = ret ? json_string_value(v) : NULL;
	return ret;
}

static int get_uint(const json_t *o, const char *key, bool required, uint64_t max, uint64_t *u,
		    char *err, size_t elen)
{
	json_t *v;
	int ret = member(o, key, JSON_INTEGER, &v, err, elen);

	if (ret < 0)
		return -1;
	if (!ret) {
		if (required)
			return ferr(err, elen, "'%s' missing", key);
		return 0;
	}
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return ferr(err, elen, "'%s' %" JSON_INTEGER_FORMAT " out of range 0..%" PRIu64,
			    key, json_integer_value(v), max);
	*u = (uint64_t)json_integer_value(v);
	return 1;
}

static int get_bool(const json_t *o, const char *key, uint8_t *b, char *err, size_t elen)
{
	json_t *v;
	int ret = member(o, key, JSON_TRUE, &v, err, elen);

	if (ret > 0)
		*b = json_is_true(v);
	return ret < 0 ? -1 : 0;
}

/* The lease's expiry from "expire", else "cltt" + valid, else now + valid. */
static int lease_expire(const json_t *l, uint64_t valid, uint32_t now, uint32_t *out,
			char *err, size_t elen)
{
	uint64_t expire = 0, cltt = 0;
	int e, c;

	e = get_uint(l, "expire", false, UINT32_MAX, &expire, err, elen);
	if (e < 0)
		return -1;
	c = get_uint(l, "cltt", false, UINT32_MAX, &cltt, err, elen);
	if (c < 0)
		return -1;
	if (!e)
		expire = (c ? cltt : now) + valid;
	if (expire > UINT32_MAX)
		return ferr(err, elen, "expiry past 2106");
	*out = (uint32_t)expire;
	return 0;
}

/* The members both families read the same way. */
static int lease_common(const json_t *l, bool update, uint32_t now, uint32_t *subnet_id,
			uint32_t *valid_lft, uint32_t *expire, uint8_t *state, uint8_t *fwd,
			uint8_t *rev, char *host, size_t host_cap, uint8_t *host_len,
			char *err, size_t elen)
{
	uint64_t sid = 0, valid = 0, st = 0;
	const char *h = NULL;

	if (get_uint(l, "subnet-id", false, UINT32_MAX, &sid, err, elen) < 0 ||
	    get_uint(l, "valid-lft", update, UINT32_MAX, &valid, err, elen) < 0 ||
	    get_uint(l, "state", false, LEASE_STATE_EXPIRED_RECLAIMED, &st, err, elen) < 0 ||
	    get_bool(l, "fqdn-fwd", fwd, err, elen) < 0 ||
	    get_bool(l, "fqdn-rev", rev, err, elen) < 0 ||
	    get_str(l, "hostname", false, &h, err, elen) < 0)
		return -1;
	if (lease_expire(l, valid, now, expire, err, elen))
		return -1;
	*subnet_id = (uint32_t)sid;
	*valid_lft = (uint32_t)valid;
	*state = (uint8_t)st;
	if (h)
		*host_len = hostname_set(host, host_cap, h, strlen(h));
	return 0;
}

int ha_msg_lease4_from_json(const json_t *l, bool update, uint32_t now, struct lease_rec *r,
			    char *err, size_t elen)
{
	const char *ip, *hw = NULL, *cid = NULL;
	struct in_addr a;
	int n;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(l))
		return ferr(err, elen, "lease is not a map");
	if (get_str(l, "ip-address", true, &ip, err, elen) < 0 ||
	    get_str(l, "hw-address", update, &hw, err, elen) < 0 ||
	    get_str(l, "client-id", false, &cid, err, elen) < 0)
		return -1;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return ferr(err, elen, "'ip-address' \"%s\" is not an IPv4 address", ip);
	r->addr = ntohl(a.s_addr);
	if (hw) {
		n = hex_parse(hw, r->hwaddr, sizeof(r->hwaddr));
		if (n < 0)
			return ferr(err, elen, "'hw-address' \"%s\" is not a hardware address", hw);
		r->hwaddr_len = (uint8_t)n;
		r->htype = 1;                  /* Kea's JSON has no type: Ethernet */
	}
	if (cid) {
		n = hex_parse(cid, r->cid, sizeof(r->cid));
		if (n < 0)
			return ferr(err, elen, "'client-id' \"%s\" is not a client identifier", cid);
		r->cid_len = (uint8_t)n;
	}
	return lease_common(l, update, now, &r->subnet_id, &r->valid_lft, &r->expire, &r->state,
			    &r->fqdn_fwd, &r->fqdn_rev, r->hostname, sizeof(r->hostname),
			    &r->hostname_len, err, elen);
}

int ha_msg_lease6_from_json(const json_t *l, bool update, uint32_t now, struct lease6_rec *r,
			    char *err, size_t elen)
{
	const char *ip, *duid = NULL, *type = NULL, *hw = NULL;
	uint64_t iaid = 0, plen = 128, pref = 0;
	uint8_t b[16];
	int n;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(l))
		return ferr(err, elen, "lease is not a map");
	if (get_str(l, "ip-address", true, &ip, err, elen) < 0 ||
	    get_str(l, "duid", update, &duid, err, elen) < 0 ||
	    get_uint(l, "iaid", update, UINT32_MAX, &iaid, err, elen) < 0 ||
	    get_str(l, "type", false, &type, err, elen) < 0 ||
	    get_str(l, "hw-address", false, &hw, err, elen) < 0 ||
	    get_uint(l, "preferred-lft", false, UINT32_MAX, &pref, err, elen) < 0)
		return -1;
	if (inet_pton(AF_INET6, ip, b) != 1)
		return ferr(err, elen, "'ip-address' \"%s\" is not an IPv6 address", ip);
	r->addr = lease_addr6_load(b);
	r->type = LEASE6_TYPE_NA;
	if (type) {
		for (n = 0; n <= LEASE6_TYPE_PD; n++)
			if (!strcmp(type, type6_names[n]))
				break;
		if (n > LEASE6_TYPE_PD)
			return ferr(err, elen, "'type' \"%s\" is none of IA_NA, IA_TA, IA_PD", type);
		r->type = (uint8_t)n;
	}
	if (r->type == LEASE6_TYPE_PD) {
		if (get_uint(l, "prefix-len", true, 128, &plen, err, elen) < 0)
			return -1;
		if (!plen)
			return ferr(err, elen, "'prefix-len' 0");
	}
	r->prefix_len = (uint8_t)plen;
	if (duid) {
		n = hex_parse(duid, r->duid, sizeof(r->duid));
		if (n <= 0)
			return ferr(err, elen, "'duid' \"%s\" is not a DUID", duid);
		/* Kea's empty DUID "00" (a declined lease) is no DUID here */
		r->duid_len = n == 1 && !r->duid[0] ? 0 : (uint8_t)n;
	}
	r->iaid = (uint32_t)iaid;
	r->pref_lft = (uint32_t)pref;
	if (hw) {
		n = hex_parse(hw, r->hwaddr, sizeof(r->hwaddr));
		if (n < 0)
			return ferr(err, elen, "'hw-address' \"%s\" is not a hardware address", hw);
		r->hwaddr_len = (uint8_t)n;
		r->hwtype = n ? 1 : 0;         /* Kea's JSON has no type: Ethernet */
	}
	return lease_common(l, update, now, &r->subnet_id, &r->valid_lft, &r->expire, &r->state,
			    &r->fqdn_fwd, &r->fqdn_rev, r->hostname, sizeof(r->hostname),
			    &r->hostname_len, err, elen);
}

/* ---- requests ----------------------------------------------------------- */

/* {"command": name, "service": [svc], "arguments": args (stolen, may be NULL)} */
static json_t *command(const char *name, int fam, json_t *args)
{
	json_t *o = json_pack("{s:s, s:[s]}", "command", name,
			      "service", fam == 6 ? "dhcp6" : "dhcp4");

	if (!o || (args && json_object_set_new(o, "arguments", args))) {
		json_decref(o);
		if (!o)
			json_decref(args);
		return NULL;
	}
	return o;
}

json_t *ha_msg_heartbeat(int fam)
{
	return command("ha-heartbeat", fam, NULL);
}

json_t *ha_msg_dhcp_disable(int fam, uint32_t max_period)
{
	json_t *a = json_pack("{s:s}", "origin", "ha-partner");

	if (a && max_period && json_object_set_new(a, "max-period", json_integer(max_period))) {
		json_decref(a);
		return NULL;
	}
	return a ? command("dhcp-disable", fam, a) : NULL;
}

json_t *ha_msg_dhcp_enable(int fam)
{
	json_t *a = json_pack("{s:s}", "origin", "ha-partner");

	return a ? command("dhcp-enable", fam, a) : NULL;
}

json_t *ha_msg_sync_complete_notify(int fam)
{
	return command("ha-sync-complete-notify", fam, NULL);
}

json_t *ha_msg_ha_reset(int fam)
{
	return command("ha-reset", fam, NULL);
}

json_t *ha_msg_maintenance_notify(int fam, bool cancel)
{
	json_t *a = json_pack("{s:b}", "cancel", cancel);

	return a ? command("ha-maintenance-notify", fam, a) : NULL;
}

/* A lease command: the lease (l, consumed) is the arguments; an update
 * also carries "force-create": true (add the lease when the peer has none). */
static json_t *lease_command(const char *name, int fam, json_t *l, bool force)
{
	if (!l)
		return NULL;
	if (force && json_object_set_new(l, "force-create", json_true())) {
		json_decref(l);
		return NULL;
	}
	return command(name, fam, l);
}

json_t *ha_msg_lease4_update(const struct lease_rec *r)
{
	return lease_command("lease4-update", 4, ha_msg_lease4_json(r, true), true);
}

json_t *ha_msg_lease4_del(const struct lease_rec *r)
{
	return lease_command("lease4-del", 4, ha_msg_lease4_json(r, true), false);
}

json_t *ha_msg_lease6_update(const struct lease6_rec *r)
{
	return lease_command("lease6-update", 6, ha_msg_lease6_json(r, true), true);
}

json_t *ha_msg_lease6_del(const struct lease6_rec *r)
{
	return lease_command("lease6-del", 6, ha_msg_lease6_json(r, true), false);
}

/* A list of leases in the HA form: n records of `size` bytes at v, each
 * turned into JSON by `one`.  NULL: out of memory. */
static json_t *lease_list(const void *v, size_t n, size_t size, json_t *(*one)(const void *r))
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		if (json_array_append_new(a, one((const char *)v + i * size))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *lease4_ha(const void *r)
{
	return ha_msg_lease4_json(r, true);
}

static json_t *lease6_ha(const void *r)
{
	return ha_msg_lease6_json(r, true);
}

/* {"deleted-leases": [..], "leases": [..]} as the command `name`. */
static json_t *bulk_apply(const char *name, int fam, json_t *upd, json_t *del)
{
	json_t *a = json_pack("{s:o, s:o}", "deleted-leases", del, "leases", upd);

	return a ? command(name, fam, a) : NULL;
}

json_t *ha_msg_lease6_bulk_apply(const struct lease6_rec *upd, size_t n_upd,
				 const struct lease6_rec *del, size_t n_del)
{
	return bulk_apply("lease6-bulk-apply", 6, lease_list(upd, n_upd, sizeof(*upd), lease6_ha),
			  lease_list(del, n_del, sizeof(*del), lease6_ha));
}

json_t *ha_msg_lease4_bulk_apply(const struct lease_rec *upd, size_t n_upd,
				 const struct lease_rec *del, size_t n_del)
{
	return bulk_apply("lease4-bulk-apply", 4, lease_list(upd, n_upd, sizeof(*upd), lease4_ha),
			  lease_list(del, n_del, sizeof(*del), lease4_ha));
}

static json_t *get_page(const char *name, int fam, const char *from, uint32_t limit)
{
	json_t *a;

	if (!limit) {
		errno = EINVAL;
		return NULL;
	}
	a = json_pack("{s:s, s:I}", "from", from, "limit", (json_int_t)limit);
	return a ? command(name, fam, a) : NULL;
}

json_t *ha_msg_lease4_get_page(const uint32_t *from, uint32_t limit)
{
	char ip[INET_ADDRSTRLEN] = "start";

	if (from) {
		struct in_addr a = { .s_addr = htonl(*from) };

		inet_ntop(AF_INET, &a, ip, sizeof(ip));
	}
	return get_page("lease4-get-page", 4, ip, limit);
}

json_t *ha_msg_lease6_get_page(const struct lease_addr6 *from, uint32_t limit)
{
	char ip[INET6_ADDRSTRLEN] = "start";

	if (from) {
		uint8_t b[16];

		lease_addr6_store(*from, b);
		inet_ntop(AF_INET6, b, ip, sizeof(ip));
	}
	return get_page("lease6-get-page", 6, ip, limit);
}

/* ---- answers ------------------------------------------------------------ */

int ha_msg_parse_answer(const char *body, size_t len, struct ha_answer *a, char *err,
			size_t elen)
{
	json_error_t je;
	json_t *o, *v;

	memset(a, 0, sizeof(*a));
	a->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!a->root)
		return ferr(err, elen, "answer is not JSON: %s (line %d)", je.text, je.line);
	o = a->root;
	if (json_is_array(o)) {
		if (!json_array_size(o)) {
			ha_answer_free(a);
			return ferr(err, elen, "answer is an empty list");
		}
		o = json_array_get(o, 0);
	}
	if (!json_is_object(o)) {
		ha_answer_free(a);
		return ferr(err, elen, "answer is not a map");
	}
	v = json_object_get(o, "result");
	if (!json_is_integer(v)) {
		ha_answer_free(a);
		return ferr(err, elen, "answer without an integer 'result'");
	}
	a->result = (int)json_integer_value(v);
	v = json_object_get(o, "text");
	a->text = json_is_string(v) ? json_string_value(v) : "";
	a->args = json_object_get(o, "arguments");
	return 0;
}

void ha_answer_free(struct ha_answer *a)
{
	json_decref(a->root);
	memset(a, 0, sizeof(*a));
}

/* A result that carries no data: its text for err, -1. */
static int failed(const struct ha_answer *a, char *err, size_t elen)
{
	return ferr(err, elen, "peer answered %d: %s", a->result, a->text);
}

int ha_msg_heartbeat_answer(const struct ha_answer *a, struct ha_heartbeat *hb, char *err,
			    size_t elen)
{
	const char *state, *date;
	json_t *scopes, *v;
	uint64_t unsent;
	size_t i;
	int ret;

	memset(hb, 0, sizeof(*hb));
	if (a->result != HA_RESULT_SUCCESS && a->result != HA_RESULT_EMPTY)
		return failed(a, err, elen);
	if (!json_is_object(a->args))
		return ferr(err, elen, "heartbeat answer without arguments");
	if (get_str(a->args, "state", true, &state, err, elen) < 0 ||
	    get_str(a->args, "date-time", true, &date, err, elen) < 0)
		return -1;
	if (strlen(state) >= sizeof(hb->state))
		return ferr(err, elen, "'state' \"%.40s\" is no HA state", state);
	strcpy(hb->state, state);
	if (ha_msg_parse_http_date(date, &hb->date_time))
		return ferr(err, elen, "'date-time' \"%.40s\" is not an HTTP date", date);
	ret = get_uint(a->args, "unsent-update-count", false, INT64_MAX, &unsent, err, elen);
	if (ret < 0)
		return -1;
	hb->has_unsent = ret > 0;
	hb->unsent_update_count = ret > 0 ? unsent : 0;
	/* Peregrine's capability; Kea neither sends nor reads it */
	hb->bulk_apply = json_is_true(json_object_get(a->args, HA_MSG_BULK_KEY));
	/* as Kea: scopes that are missing or malformed are not a failed heartbeat */
	scopes = json_object_get(a->args, "scopes");
	if (!json_is_array(scopes))
		return 0;
	if (json_array_size(scopes) > HA_MAX_SCOPES)
		return ferr(err, elen, "more than %d scopes", HA_MAX_SCOPES);
	json_array_foreach(scopes, i, v) {
		if (json_is_string(v) && strlen(json_string_value(v)) < HA_NAME_MAX)
			strcpy(hb->scopes[hb->n_scopes++], json_string_value(v));
	}
	return 0;
}

/* The leases of a get-page answer, each made a record of `size` bytes by
 * `one`. */
static long page(const struct ha_answer *a, size_t size,
		 int (*one)(const json_t *l, void *r, char *err, size_t elen),
		 void **out, char *err, size_t elen)
{
	json_t *leases, *l;
	char *v;
	size_t i;

	*out = NULL;
	if (a->result == HA_RESULT_EMPTY)
		return 0;
	if (a->result != HA_RESULT_SUCCESS)
		return failed(a, err, elen);
	leases = json_is_object(a->args) ? json_object_get(a->args, "leases") : NULL;
	if (!json_is_array(leases))
		return ferr(err, elen, "page answer without a 'leases' list");
	if (!json_array_size(leases))
		return 0;
	v = calloc(json_array_size(leases), size);
	if (!v)
		return ferr(err, elen, "out of memory for %zu leases", json_array_size(leases));
	json_array_foreach(leases, i, l) {
		char why[160];

		if (one(l, v + i * size, why, sizeof(why))) {
			free(v);
			return ferr(err, elen, "lease %zu of the page: %s", i, why);
		}
	}
	*out = v;
	return (long)json_array_size(leases);
}

static int page4_one(const json_t *l, void *r, char *err, size_t elen)
{
	return ha_msg_lease4_from_json(l, true, 0, r, err, elen);
}

static int page6_one(const json_t *l, void *r, char *err, size_t elen)
{
	return ha_msg_lease6_from_json(l, true, 0, r, err, elen);
}

long ha_msg_lease4_page(const struct ha_answer *a, struct lease_rec **out, char *err,
			size_t elen)
{
	void *v;
	long n = page(a, sizeof(struct lease_rec), page4_one, &v, err, elen);

	*out = v;
	return n;
}

long ha_msg_lease6_page(const struct ha_answer *a, struct lease6_rec **out, char *err,
			size_t elen)
{
	void *v;
	long n = page(a, sizeof(struct lease6_rec), page6_one, &v, err, elen);

	*out = v;
	return n;
}

long ha_msg_bulk_apply_failed(const struct ha_answer *a, char *err, size_t elen)
{
	json_t *f, *d;

	if (a->result != HA_RESULT_SUCCESS && a->result != HA_RESULT_EMPTY)
		return failed(a, err, elen);
	if (!json_is_object(a->args))
		return 0;
	f = json_object_get(a->args, "failed-leases");
	d = json_object_get(a->args, "failed-deleted-leases");
	return (long)(json_is_array(f) ? json_array_size(f) : 0) +
	       (long)(json_is_array(d) ? json_array_size(d) : 0);
}

/* The entries of one failed list: each a failure unless it is a delete
 * the peer did not have (result 3).  n so far, or -1. */
static long failed_list(const json_t *list, bool deleted, int fam, struct ha_failed_lease *out,
			size_t max, long n, char *err, size_t elen)
{
	const json_t *e;
	size_t i;

	if (!list)
		return n;
	if (!json_is_array(list))
		return ferr(err, elen, "'%s' is not a list",
			    deleted ? "failed-deleted-leases" : "failed-leases");
	json_array_foreach(list, i, e) {
		const char *ip = json_string_value(json_object_get(e, "ip-address"));
		json_t *res = json_object_get(e, "result");
		struct ha_failed_lease f = { .deleted = deleted,
			.result = json_is_integer(res) ? (int)json_integer_value(res) : HA_RESULT_ERROR };
		struct in_addr a4;
		uint8_t b[16];

		if (deleted && f.result == HA_RESULT_EMPTY)
			continue;		/* not found: gone already */
		if (!ip)
			return ferr(err, elen, "failed lease %zu without 'ip-address'", i);
		if (fam == 4 && inet_pton(AF_INET, ip, &a4) == 1)
			f.addr4 = ntohl(a4.s_addr);
		else if (fam == 6 && inet_pton(AF_INET6, ip, b) == 1)
			f.addr6 = lease_addr6_load(b);
		else
			return ferr(err, elen, "failed lease %zu: \"%.60s\" is no IPv%d address", i,
				    ip, fam);
		if ((size_t)n < max)
			out[n] = f;
		n++;
	}
	return n;
}

long ha_msg_bulk_apply_failures(const struct ha_answer *a, int fam, struct ha_failed_lease *out,
				size_t max, char *err, size_t elen)
{
	long n;

	if (a->result != HA_RESULT_SUCCESS && a->result != HA_RESULT_EMPTY)
		return failed(a, err, elen);
	if (!json_is_object(a->args))
		return 0;
	n = failed_list(json_object_get(a->args, "failed-leases"), false, fam, out, max, 0, err,
			elen);
	if (n < 0)
		return -1;
	return failed_list(json_object_get(a->args, "failed-deleted-leases"), true, fam, out, max, n,
			   err, elen);
}

int ha_msg_heartbeat_bulk(json_t *args)
{
	return json_object_set_new(args, HA_MSG_BULK_KEY, json_true()) ? -1 : 0;
}

/* ---- HTTP dates ------------------------------------------------------------ */

int ha_msg_parse_http_date(const char *s, int64_t *epoch)
{
	static const char *const forms[] = {
		"%a, %d %b %Y %H:%M:%S GMT",       /* RFC 1123, what Kea sends */
		"%A, %d-%b-%y %H:%M:%S GMT",       /* RFC 850 */
		"%a %b %e %H:%M:%S %Y",            /* asctime */
	};
	unsigned i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (!end)
			continue;
		while (*end == ' ')
			end++;
		if (*end)
			continue;
		*epoch = (int64_t)timegm(&tm);
		return 0;
	}
	return -EINVAL;
}

void ha_msg_format_http_date(int64_t epoch, char out[32])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ---- the serving side ------------------------------------------------------ */

int ha_msg_parse_command(const char *body, size_t len, struct ha_cmd *c, char *err,
			 size_t elen)
{
	json_error_t je;
	json_t *v;

	memset(c, 0, sizeof(*c));
	c->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!c->root)
		return ferr(err, elen, "command is not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(c->root)) {
		ha_cmd_free(c);
		return ferr(err, elen, "command is not a map");
	}
	v = json_object_get(c->root, "command");
	if (!json_is_string(v)) {
		ha_cmd_free(c);
		return ferr(err, elen, "no 'command' string");
	}
	c->command = json_string_value(v);
	v = json_object_get(c->root, "service");
	if (v) {
		const char *svc = json_is_array(v) && json_array_size(v) == 1 &&
				  json_is_string(json_array_get(v, 0)) ?
				  json_string_value(json_array_get(v, 0)) : "";

		c->fam = !strcmp(svc, "dhcp4") ? 4 : !strcmp(svc, "dhcp6") ? 6 : 0;
		if (!c->fam) {
			ha_cmd_free(c);
			return ferr(err, elen, "'service' is not [\"dhcp4\"] or [\"dhcp6\"]");
		}
	}
	c->args = json_object_get(c->root, "arguments");
	if (c->args && !json_is_object(c->args)) {
		ha_cmd_free(c);
		return ferr(err, elen, "'arguments' is not a map");
	}
	return 0;
}

void ha_cmd_free(struct ha_cmd *c)
{
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}

json_t *ha_msg_answer(int result, const char *text, json_t *args)
{
	json_t *o = json_pack("{s:i}", "result", result);

	if (!o) {
		json_decref(args);
		return NULL;
	}
	/* json_object_set_new takes the value even when it fails */
	if ((text && json_object_set_new(o, "text", json_string(text))) ||
	    (args && json_object_set_new(o, "arguments", args))) {
		json_decref(o);
		return NULL;
	}
	return json_pack("[o]", o);
}

json_t *ha_msg_heartbeat_args(const char *state, const char *const *scopes, unsigned n_scopes,
			      int64_t now, uint64_t unsent_update_count)
{
	char date[32];
	json_t *list = json_array(), *o;
	unsigned i;

	for (i = 0; list && i < n_scopes; i++) {
		if (json_array_append_new(list, json_string(scopes[i]))) {
			json_decref(list);
			return NULL;
		}
	}
	if (!list)
		return NULL;
	ha_msg_format_http_date(now, date);
	o = json_pack("{s:s, s:s, s:o, s:I}", "state", state, "date-time", date, "scopes", list,
		      "unsent-update-count", (json_int_t)unsent_update_count);
	return o;
}
