/* RADIUS dictionary (rad_dict.h): the built-in standard attributes, the
 * FreeRADIUS 3 / radcli file format, lookups by name and by number, and
 * config text -> attribute value.
 *
 * Storage: attributes live in fixed-size chunks, so a pointer handed out
 * by a lookup stays valid while later files are loaded (a name redefined
 * is updated in place).  Two open-addressed hash tables index them: by
 * lower-cased name, and by (vendor, number) -> the latest definition of
 * that number (FreeRADIUS's rule for number -> name). */
#include "rad_dict.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CHUNK_BITS 8
#define CHUNK (1u << CHUNK_BITS)
#define INCLUDE_DEPTH_MAX 16
#define VALUE_MAX 253

struct dvalue {
	char *name;
	uint32_t v;
};

struct dentry {
	struct rad_dict_attr a;        /* first: a lookup's pointer is the entry's */
	struct dvalue *vals;
	unsigned n_vals, cap_vals;
};

struct dvendor {
	char name[RAD_DICT_NAME_MAX];
	uint32_t id;
	bool modeled;                  /* format=1,1: its attributes are kept */
};

/* Open addressing, linear probing; a slot holds entry index + 1 (0: empty). */
struct dindex {
	uint32_t *slot;
	uint32_t cap;                  /* a power of two, or 0 */
	uint32_t n;
};

struct rad_dict {
	struct dentry **chunks;
	unsigned n, n_chunks;
	struct dindex by_name, by_num;
	struct dvendor *vendors;
	unsigned n_vendors, cap_vendors;
};

/* ------------------------------------------------------------------------
 * Built-in standard attributes (RFC 2865, 2866, 2869, 3162, 3579, 4818,
 * 6911), spelled as FreeRADIUS's dictionary.rfc* files spell them.
 */

struct builtin {
	const char *name;
	uint8_t type, dtype;
};

static const struct builtin builtins[] = {
	/* RFC 2865 */
	{ "User-Name", 1, RAD_DT_STRING }, { "User-Password", 2, RAD_DT_STRING },
	{ "CHAP-Password", 3, RAD_DT_OCTETS }, { "NAS-IP-Address", 4, RAD_DT_IPADDR },
	{ "NAS-Port", 5, RAD_DT_INTEGER }, { "Service-Type", 6, RAD_DT_INTEGER },
	{ "Framed-Protocol", 7, RAD_DT_INTEGER }, { "Framed-IP-Address", 8, RAD_DT_IPADDR },
	{ "Framed-IP-Netmask", 9, RAD_DT_IPADDR }, { "Framed-Routing", 10, RAD_DT_INTEGER },
	{ "Filter-Id", 11, RAD_DT_STRING }, { "Framed-MTU", 12, RAD_DT_INTEGER },
	{ "Framed-Compression", 13, RAD_DT_INTEGER }, { "Login-IP-Host", 14, RAD_DT_IPADDR },
	{ "Login-Service", 15, RAD_DT_INTEGER }, { "Login-TCP-Port", 16, RAD_DT_INTEGER },
	{ "Reply-Message", 18, RAD_DT_STRING }, { "Callback-Number", 19, RAD_DT_STRING },
	{ "Callback-Id", 20, RAD_DT_STRING }, { "Framed-Route", 22, RAD_DT_STRING },
	{ "Framed-IPX-Network", 23, RAD_DT_IPADDR }, { "State", 24, RAD_DT_OCTETS },
	{ "Class", 25, RAD_DT_OCTETS }, { "Vendor-Specific", 26, RAD_DT_OCTETS },
	{ "Session-Timeout", 27, RAD_DT_INTEGER }, { "Idle-Timeout", 28, RAD_DT_INTEGER },
	{ "Termination-Action", 29, RAD_DT_INTEGER }, { "Called-Station-Id", 30, RAD_DT_STRING },
	{ "Calling-Station-Id", 31, RAD_DT_STRING }, { "NAS-Identifier", 32, RAD_DT_STRING },
	{ "Proxy-State", 33, RAD_DT_OCTETS }, { "Login-LAT-Service", 34, RAD_DT_STRING },
	{ "Login-LAT-Node", 35, RAD_DT_STRING }, { "Login-LAT-Group", 36, RAD_DT_OCTETS },
	{ "Framed-AppleTalk-Link", 37, RAD_DT_INTEGER },
	{ "Framed-AppleTalk-Network", 38, RAD_DT_INTEGER },
	{ "Framed-AppleTalk-Zone", 39, RAD_DT_STRING }, { "CHAP-Challenge", 60, RAD_DT_OCTETS },
	{ "NAS-Port-Type", 61, RAD_DT_INTEGER }, { "Port-Limit", 62, RAD_DT_INTEGER },
	{ "Login-LAT-Port", 63, RAD_DT_STRING },
	/* RFC 2866 */
	{ "Acct-Status-Type", 40, RAD_DT_INTEGER }, { "Acct-Delay-Time", 41, RAD_DT_INTEGER },
	{ "Acct-Input-Octets", 42, RAD_DT_INTEGER }, { "Acct-Output-Octets", 43, RAD_DT_INTEGER },
	{ "Acct-Session-Id", 44, RAD_DT_STRING }, { "Acct-Authentic", 45, RAD_DT_INTEGER },
	{ "Acct-Session-Time", 46, RAD_DT_INTEGER }, { "Acct-Input-Packets", 47, RAD_DT_INTEGER },
	{ "Acct-Output-Packets", 48, RAD_DT_INTEGER },
	{ "Acct-Terminate-Cause", 49, RAD_DT_INTEGER },
	{ "Acct-Multi-Session-Id", 50, RAD_DT_STRING }, { "Acct-Link-Count", 51, RAD_DT_INTEGER },
	/* RFC 2869 (and 3579: EAP-Message, Message-Authenticator) */
	{ "Acct-Input-Gigawords", 52, RAD_DT_INTEGER },
	{ "Acct-Output-Gigawords", 53, RAD_DT_INTEGER }, { "Event-Timestamp", 55, RAD_DT_DATE },
	{ "ARAP-Password", 70, RAD_DT_OCTETS }, { "ARAP-Features", 71, RAD_DT_OCTETS },
	{ "ARAP-Zone-Access", 72, RAD_DT_INTEGER }, { "ARAP-Security", 73, RAD_DT_INTEGER },
	{ "ARAP-Security-Data", 74, RAD_DT_STRING }, { "Password-Retry", 75, RAD_DT_INTEGER },
	{ "Prompt", 76, RAD_DT_INTEGER }, { "Connect-Info", 77, RAD_DT_STRING },
	{ "Configuration-Token", 78, RAD_DT_STRING }, { "EAP-Message", 79, RAD_DT_OCTETS },
	{ "Message-Authenticator", 80, RAD_DT_OCTETS },
	{ "ARAP-Challenge-Response", 84, RAD_DT_OCTETS },
	{ "Acct-Interim-Interval", 85, RAD_DT_INTEGER }, { "NAS-Port-Id", 87, RAD_DT_STRING },
	{ "Framed-Pool", 88, RAD_DT_STRING },
	/* RFC 3162 */
	{ "NAS-IPv6-Address", 95, RAD_DT_IPV6ADDR }, { "Framed-Interface-Id", 96, RAD_DT_IFID },
	{ "Framed-IPv6-Prefix", 97, RAD_DT_IPV6PREFIX }, { "Login-IPv6-Host", 98, RAD_DT_IPV6ADDR },
	{ "Framed-IPv6-Route", 99, RAD_DT_STRING }, { "Framed-IPv6-Pool", 100, RAD_DT_STRING },
	/* RFC 4818 */
	{ "Delegated-IPv6-Prefix", 123, RAD_DT_IPV6PREFIX },
	/* RFC 6911 */
	{ "Framed-IPv6-Address", 168, RAD_DT_IPV6ADDR },
	{ "DNS-Server-IPv6-Address", 169, RAD_DT_IPV6ADDR },
	{ "Route-IPv6-Information", 170, RAD_DT_IPV6PREFIX },
	{ "Delegated-IPv6-Prefix-Pool", 171, RAD_DT_STRING },
	{ "Stateful-IPv6-Address-Pool", 172, RAD_DT_STRING },
};

struct builtin_value {
	const char *attr, *name;
	uint32_t v;
};

/* The first name of a number is the one rad_dict_value_name gives
 * (Interim-Update, not its older alias Alive). */
static const struct builtin_value builtin_values[] = {
	{ "Service-Type", "Login-User", 1 }, { "Service-Type", "Framed-User", 2 },
	{ "Service-Type", "Callback-Login-User", 3 }, { "Service-Type", "Callback-Framed-User", 4 },
	{ "Service-Type", "Outbound-User", 5 }, { "Service-Type", "Administrative-User", 6 },
	{ "Service-Type", "NAS-Prompt-User", 7 }, { "Service-Type", "Authenticate-Only", 8 },
	{ "Service-Type", "Callback-NAS-Prompt", 9 }, { "Service-Type", "Call-Check", 10 },
	{ "Service-Type", "Callback-Administrative", 11 },
	{ "Framed-Protocol", "PPP", 1 }, { "Framed-Protocol", "SLIP", 2 },
	{ "Framed-Protocol", "ARAP", 3 }, { "Framed-Protocol", "Gandalf-SLML", 4 },
	{ "Framed-Protocol", "Xylogics-IPX-SLIP", 5 }, { "Framed-Protocol", "X.75-Synchronous", 6 },
	{ "Framed-Routing", "None", 0 }, { "Framed-Routing", "Broadcast", 1 },
	{ "Framed-Routing", "Listen", 2 }, { "Framed-Routing", "Broadcast-Listen", 3 },
	{ "Framed-Compression", "None", 0 }, { "Framed-Compression", "Van-Jacobson-TCP-IP", 1 },
	{ "Framed-Compression", "IPX-Header-Compression", 2 },
	{ "Framed-Compression", "Stac-LZS", 3 },
	{ "Termination-Action", "Default", 0 }, { "Termination-Action", "RADIUS-Request", 1 },
	{ "NAS-Port-Type", "Async", 0 }, { "NAS-Port-Type", "Sync", 1 },
	{ "NAS-Port-Type", "ISDN", 2 }, { "NAS-Port-Type", "ISDN-V120", 3 },
	{ "NAS-Port-Type", "ISDN-V110", 4 }, { "NAS-Port-Type", "Virtual", 5 },
	{ "NAS-Port-Type", "PIAFS", 6 }, { "NAS-Port-Type", "HDLC-Clear-Channel", 7 },
	{ "NAS-Port-Type", "X.25", 8 }, { "NAS-Port-Type", "X.75", 9 },
	{ "NAS-Port-Type", "G.3-Fax", 10 }, { "NAS-Port-Type", "SDSL", 11 },
	{ "NAS-Port-Type", "ADSL-CAP", 12 }, { "NAS-Port-Type", "ADSL-DMT", 13 },
	{ "NAS-Port-Type", "IDSL", 14 }, { "NAS-Port-Type", "Ethernet", 15 },
	{ "NAS-Port-Type", "xDSL", 16 }, { "NAS-Port-Type", "Cable", 17 },
	{ "NAS-Port-Type", "Wireless-Other", 18 }, { "NAS-Port-Type", "Wireless-802.11", 19 },
	{ "Acct-Status-Type", "Start", 1 }, { "Acct-Status-Type", "Stop", 2 },
	{ "Acct-Status-Type", "Interim-Update", 3 }, { "Acct-Status-Type", "Alive", 3 },
	{ "Acct-Status-Type", "Accounting-On", 7 }, { "Acct-Status-Type", "Accounting-Off", 8 },
	{ "Acct-Status-Type", "Failed", 15 },
	{ "Acct-Authentic", "RADIUS", 1 }, { "Acct-Authentic", "Local", 2 },
	{ "Acct-Authentic", "Remote", 3 }, { "Acct-Authentic", "Diameter", 4 },
	{ "Acct-Terminate-Cause", "User-Request", 1 }, { "Acct-Terminate-Cause", "Lost-Carrier", 2 },
	{ "Acct-Terminate-Cause", "Lost-Service", 3 }, { "Acct-Terminate-Cause", "Idle-Timeout", 4 },
	{ "Acct-Terminate-Cause", "Session-Timeout", 5 }, { "Acct-Terminate-Cause", "Admin-Reset", 6 },
	{ "Acct-Terminate-Cause", "Admin-Reboot", 7 }, { "Acct-Terminate-Cause", "Port-Error", 8 },
	{ "Acct-Terminate-Cause", "NAS-Error", 9 }, { "Acct-Terminate-Cause", "NAS-Request", 10 },
	{ "Acct-Terminate-Cause", "NAS-Reboot", 11 }, { "Acct-Terminate-Cause", "Port-Unneeded", 12 },
	{ "Acct-Terminate-Cause", "Port-Preempted", 13 },
	{ "Acct-Terminate-Cause", "Port-Suspended", 14 },
	{ "Acct-Terminate-Cause", "Service-Unavailable", 15 },
	{ "Acct-Terminate-Cause", "Callback", 16 }, { "Acct-Terminate-Cause", "User-Error", 17 },
	{ "Acct-Terminate-Cause", "Host-Request", 18 },
	{ "Prompt", "No-Echo", 0 }, { "Prompt", "Echo", 1 },
};

/* ------------------------------------------------------------------------
 * Types
 */

struct dtype_name {
	const char *name;
	int dtype;                     /* -1: known to FreeRADIUS, not modeled here: skipped */
};

static const struct dtype_name dtype_names[] = {
	{ "string", RAD_DT_STRING }, { "octets", RAD_DT_OCTETS }, { "ipaddr", RAD_DT_IPADDR },
	{ "ipv4addr", RAD_DT_IPADDR }, { "integer", RAD_DT_INTEGER }, { "uint32", RAD_DT_INTEGER },
	{ "signed", RAD_DT_INTEGER }, { "date", RAD_DT_DATE }, { "ipv6addr", RAD_DT_IPV6ADDR },
	{ "ipv6prefix", RAD_DT_IPV6PREFIX }, { "ifid", RAD_DT_IFID },
	{ "integer64", RAD_DT_INTEGER64 }, { "uint64", RAD_DT_INTEGER64 },
	{ "byte", RAD_DT_BYTE }, { "uint8", RAD_DT_BYTE }, { "short", RAD_DT_SHORT },
	{ "uint16", RAD_DT_SHORT },
	{ "tlv", -1 }, { "vsa", -1 }, { "extended", -1 }, { "long-extended", -1 }, { "evs", -1 },
	{ "ether", -1 }, { "abinary", -1 }, { "combo-ip", -1 }, { "combo-ipaddr", -1 },
	{ "ipv4prefix", -1 }, { "struct", -1 }, { "time_delta", -1 }, { "bool", -1 },
	{ "int8", -1 }, { "int16", -1 }, { "int32", -1 }, { "int64", -1 }, { "float32", -1 },
	{ "float64", -1 }, { "group", -1 }, { "size", -1 }, { "ipaddr_v4_prefix", -1 },
};

/* 1: a modeled type into *dtype, 0: known but skipped, -1: unknown. */
static int dtype_parse(const char *t, int *dtype)
{
	char base[32];
	size_t n = strcspn(t, "[");

	/* octets[16]: a fixed length, still octets */
	if (n >= sizeof(base) || (t[n] == '[' && t[strlen(t) - 1] != ']'))
		return -1;
	memcpy(base, t, n);
	base[n] = '\0';
	for (size_t i = 0; i < sizeof(dtype_names) / sizeof(dtype_names[0]); i++)
		if (strcasecmp(base, dtype_names[i].name) == 0) {
			*dtype = dtype_names[i].dtype;
			return *dtype >= 0;
		}
	return -1;
}

/* ------------------------------------------------------------------------
 * The tables
 */

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 16777619u;
	return h;
}

static uint32_t hash_num(uint32_t vendor, uint8_t type)
{
	uint64_t k = ((uint64_t)vendor << 8 | type) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32);
}

static struct dentry *entry(const struct rad_dict *d, uint32_t i)
{
	return &d->chunks[i >> CHUNK_BITS][i & (CHUNK - 1)];
}

static uint32_t entry_hash(const struct rad_dict *d, const struct dindex *x, uint32_t i)
{
	const struct rad_dict_attr *a = &entry(d, i)->a;

	return x == &d->by_name ? hash_name(a->name) : hash_num(a->vendor, a->type);
}

/* The slot for key (hash h, matching eq), or the empty slot where it
 * would go. */
static uint32_t *index_find(const struct rad_dict *d, const struct dindex *x, uint32_t h,
			    bool (*eq)(const struct rad_dict_attr *, const void *), const void *key)
{
	uint32_t mask = x->cap - 1;

	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t *s = &x->slot[i];

		if (*s == 0 || eq(&entry(d, *s - 1)->a, key))
			return s;
	}
}

static int index_grow(struct rad_dict *d, struct dindex *x)
{
	uint32_t cap = x->cap ? x->cap * 2 : 512, *old = x->slot, old_cap = x->cap;

	x->slot = calloc(cap, sizeof(*x->slot));
	if (x->slot == NULL) {
		x->slot = old;
		return -1;
	}
	x->cap = cap;
	for (uint32_t i = 0; i < old_cap; i++) {
		uint32_t j;

		if (old[i] == 0)
			continue;
		for (j = entry_hash(d, x, old[i] - 1) & (cap - 1); x->slot[j]; j = (j + 1) & (cap - 1))
			;
		x->slot[j] = old[i];
	}
	free(old);
	return 0;
}

static bool eq_name(const struct rad_dict_attr *a, const void *key)
{
	return strcasecmp(a->name, key) == 0;
}

struct numkey {
	uint32_t vendor;
	uint8_t type;
};

static bool eq_num(const struct rad_dict_attr *a, const void *key)
{
	const struct numkey *k = key;

	return a->vendor == k->vendor && a->type == k->type;
}

/* Room for one more key in both tables (load at most a half). */
static int index_room(struct rad_dict *d)
{
	if ((d->by_name.n + 1) * 2 > d->by_name.cap && index_grow(d, &d->by_name) < 0)
		return -1;
	if ((d->by_num.n + 1) * 2 > d->by_num.cap && index_grow(d, &d->by_num) < 0)
		return -1;
	return 0;
}

/* Point (vendor, type) at entry i (the latest definition of the number). */
static void num_set(struct rad_dict *d, uint32_t i)
{
	const struct rad_dict_attr *a = &entry(d, i)->a;
	struct numkey k = { a->vendor, a->type };
	uint32_t *s = index_find(d, &d->by_num, hash_num(a->vendor, a->type), eq_num, &k);

	if (*s == 0)
		d->by_num.n++;
	*s = i + 1;
}

/* Entry old_i moved off (vendor, type): the number goes to the latest
 * other definition of it, or is removed (backward-shift deletion). */
static void num_unset(struct rad_dict *d, uint32_t old_i, uint32_t vendor, uint8_t type)
{
	struct dindex *x = &d->by_num;
	struct numkey k = { vendor, type };
	uint32_t *s, mask = x->cap - 1, i, j;

	for (uint32_t e = d->n; e-- > 0;)
		if (e != old_i && eq_num(&entry(d, e)->a, &k)) {
			s = index_find(d, x, hash_num(vendor, type), eq_num, &k);
			if (*s == 0)
				x->n++;
			*s = e + 1;
			return;
		}
	/* the slot still holds old_i, whose key changed: probe by index */
	for (i = hash_num(vendor, type) & mask; x->slot[i] && x->slot[i] != old_i + 1; i = (i + 1) & mask)
		;
	if (x->slot[i] == 0)
		return;
	x->slot[i] = 0;
	x->n--;
	for (j = (i + 1) & mask; x->slot[j]; j = (j + 1) & mask) {
		uint32_t home = entry_hash(d, x, x->slot[j] - 1) & mask;

		/* move j back to i when its home is not cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			x->slot[i] = x->slot[j];
			x->slot[j] = 0;
			i = j;
		}
	}
}

/* Define name (replacing an earlier definition of it): 0, or -1 (ENOMEM). */
static int dict_define(struct rad_dict *d, const char *name, uint32_t vendor, uint8_t type,
		       uint8_t dtype)
{
	struct dentry *e;
	uint32_t *s, i;

	if (index_room(d) < 0)
		return -1;
	s = index_find(d, &d->by_name, hash_name(name), eq_name, name);
	if (*s) {
		i = *s - 1;
		e = entry(d, i);
		if (e->a.vendor != vendor || e->a.type != type) {
			uint32_t ov = e->a.vendor;
			uint8_t ot = e->a.type;

			/* a new number: the old one's VALUEs do not carry over */
			for (unsigned v = 0; v < e->n_vals; v++)
				free(e->vals[v].name);
			e->n_vals = 0;
			e->a.vendor = vendor;
			e->a.type = type;
			num_unset(d, i, ov, ot);
		}
		e->a.dtype = dtype;
		snprintf(e->a.name, sizeof(e->a.name), "%s", name);
		num_set(d, i);
		return 0;
	}
	if ((d->n & (CHUNK - 1)) == 0) {
		struct dentry **c = realloc(d->chunks, (d->n_chunks + 1) * sizeof(*c));

		if (c == NULL)
			return -1;
		d->chunks = c;
		c[d->n_chunks] = calloc(CHUNK, sizeof(**c));
		if (c[d->n_chunks] == NULL)
			return -1;
		d->n_chunks++;
	}
	i = d->n++;
	e = entry(d, i);
	snprintf(e->a.name, sizeof(e->a.name), "%s", name);
	e->a.vendor = vendor;
	e->a.type = type;
	e->a.dtype = dtype;
	*s = i + 1;
	d->by_name.n++;
	num_set(d, i);
	return 0;
}

/* VALUE name of e is v (a later VALUE of the same name replaces it). */
static int value_add(struct dentry *e, const char *name, uint32_t v)
{
	for (unsigned i = 0; i < e->n_vals; i++)
		if (strcasecmp(e->vals[i].name, name) == 0) {
			e->vals[i].v = v;
			return 0;
		}
	if (e->n_vals == e->cap_vals) {
		unsigned cap = e->cap_vals ? e->cap_vals * 2 : 4;
		struct dvalue *nv = realloc(e->vals, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		e->vals = nv;
		e->cap_vals = cap;
	}
	e->vals[e->n_vals].name = strdup(name);
	if (e->vals[e->n_vals].name == NULL)
		return -1;
	e->vals[e->n_vals++].v = v;
	return 0;
}

static struct dentry *entry_of(const struct rad_dict *d, const struct rad_dict_attr *a)
{
	(void)d;
	return (struct dentry *)a;     /* a is the first member of its entry */
}

struct rad_dict *rad_dict_create(void)
{
	struct rad_dict *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (dict_define(d, builtins[i].name, 0, builtins[i].type, builtins[i].dtype) < 0)
			goto err;
	for (size_t i = 0; i < sizeof(builtin_values) / sizeof(builtin_values[0]); i++) {
		const struct builtin_value *bv = &builtin_values[i];

		if (value_add(entry_of(d, rad_dict_by_name(d, bv->attr)), bv->name, bv->v) < 0)
			goto err;
	}
	return d;
err:
	rad_dict_free(d);
	errno = ENOMEM;
	return NULL;
}

void rad_dict_free(struct rad_dict *d)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; i < d->n; i++) {
		struct dentry *e = entry(d, i);

		for (unsigned v = 0; v < e->n_vals; v++)
			free(e->vals[v].name);
		free(e->vals);
	}
	for (unsigned c = 0; c < d->n_chunks; c++)
		free(d->chunks[c]);
	free(d->chunks);
	free(d->by_name.slot);
	free(d->by_num.slot);
	free(d->vendors);
	free(d);
}

const struct rad_dict_attr *rad_dict_by_name(const struct rad_dict *d, const char *name)
{
	uint32_t *s;

	if (d == NULL || name == NULL || d->by_name.cap == 0)
		return NULL;
	s = index_find(d, &d->by_name, hash_name(name), eq_name, name);
	return *s ? &entry(d, *s - 1)->a : NULL;
}

const struct rad_dict_attr *rad_dict_by_num(const struct rad_dict *d, uint32_t vendor,
					    uint8_t type)
{
	struct numkey k = { vendor, type };
	uint32_t *s;

	if (d == NULL || d->by_num.cap == 0)
		return NULL;
	s = index_find(d, &d->by_num, hash_num(vendor, type), eq_num, &k);
	return *s ? &entry(d, *s - 1)->a : NULL;
}

int rad_dict_value(const struct rad_dict *d, const struct rad_dict_attr *a, const char *name,
		   uint32_t *out)
{
	const struct dentry *e;

	if (d == NULL || a == NULL || name == NULL)
		return -1;
	e = entry_of(d, a);
	for (unsigned i = 0; i < e->n_vals; i++)
		if (strcasecmp(e->vals[i].name, name) == 0) {
			*out = e->vals[i].v;
			return 0;
		}
	return -1;
}

const char *rad_dict_value_name(const struct rad_dict *d, const struct rad_dict_attr *a,
				uint32_t v)
{
	const struct dentry *e;

	if (d == NULL || a == NULL)
		return NULL;
	e = entry_of(d, a);
	for (unsigned i = 0; i < e->n_vals; i++)
		if (e->vals[i].v == v)
			return e->vals[i].name;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Dictionary files
 */

struct dload {
	struct rad_dict *d;
	char *err;
	size_t errlen;
	const char *file;              /* the file being read, as opened */
	int line;
	/* BEGIN-VENDOR: the vendor whose block this is, and whether its
	 * attributes are kept (format 1,1, not an extended-attribute block) */
	bool in_vendor, vendor_modeled;
	char vendor_name[RAD_DICT_NAME_MAX];
	uint32_t vendor;
	char vendor_file[PATH_MAX];    /* where BEGIN-VENDOR was, for "never closed" */
	int vendor_line;
	unsigned tlv_depth;            /* inside BEGIN-TLV: skipped */
	bool in_protocol;              /* inside BEGIN-PROTOCOL: skipped */
	int depth;                     /* files open ($INCLUDE nesting) */
};

__attribute__((format(printf, 2, 3)))
static int load_err(struct dload *l, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (l->errlen)
		snprintf(l->err, l->errlen, "%s:%d: %s", l->file, l->line, why);
	return -1;
}

static int load_nomem(struct dload *l)
{
	return load_err(l, "out of memory");
}

/* A decimal, 0x hex or 0 octal number (strtoull's base 0) up to max. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end || *out > max ? -1 : 0;
}

static struct dvendor *vendor_find(struct rad_dict *d, const char *name)
{
	for (unsigned i = d->n_vendors; i-- > 0;)
		if (strcasecmp(d->vendors[i].name, name) == 0)
			return &d->vendors[i];
	return NULL;
}

/* VENDOR <name> <number> [format=t,l[,c]] (radcli: a 4th word that is
 * not a format is ignored) */
static int kw_vendor(struct dload *l, char **w, int n)
{
	struct rad_dict *d = l->d;
	unsigned long long id;
	struct dvendor *v;
	bool modeled = true;

	if (n < 3)
		return load_err(l, "VENDOR needs a name and a number");
	if (strlen(w[1]) >= RAD_DICT_NAME_MAX)
		return load_err(l, "vendor name \"%s\" is longer than %d characters", w[1],
				RAD_DICT_NAME_MAX - 1);
	if (parse_num(w[2], 0xffffffu, &id) < 0)
		return load_err(l, "vendor number \"%s\" is not a number up to 16777215", w[2]);
	if (n > 3 && strncasecmp(w[3], "format=", 7) == 0) {
		const char *f = w[3] + 7;

		if (strspn(f, "0123456789,c") != strlen(f) || !isdigit((unsigned char)f[0]))
			return load_err(l, "vendor %s: \"%s\" is not format=<type>,<length>", w[1],
					w[3]);
		modeled = strcmp(f, "1,1") == 0;
	}
	v = vendor_find(d, w[1]);
	if (v == NULL) {
		if (d->n_vendors == d->cap_vendors) {
			unsigned cap = d->cap_vendors ? d->cap_vendors * 2 : 32;
			struct dvendor *nv = realloc(d->vendors, cap * sizeof(*nv));

			if (nv == NULL)
				return load_nomem(l);
			d->vendors = nv;
			d->cap_vendors = cap;
		}
		v = &d->vendors[d->n_vendors++];
		snprintf(v->name, sizeof(v->name), "%s", w[1]);
	}
	v->id = (uint32_t)id;
	v->modeled = modeled;
	return 0;
}

/* BEGIN-VENDOR <name> [format=<parent attribute>] */
static int kw_begin_vendor(struct dload *l, char **w, int n)
{
	const struct dvendor *v;

	if (n < 2)
		return load_err(l, "BEGIN-VENDOR needs a vendor name");
	if (l->in_vendor)
		return load_err(l, "BEGIN-VENDOR %s inside BEGIN-VENDOR %s", w[1], l->vendor_name);
	v = vendor_find(l->d, w[1]);
	if (v == NULL)
		return load_err(l, "BEGIN-VENDOR: unknown vendor \"%s\" (no VENDOR line before)",
				w[1]);
	l->in_vendor = true;
	snprintf(l->vendor_file, sizeof(l->vendor_file), "%s", l->file);
	l->vendor_line = l->line;
	snprintf(l->vendor_name, sizeof(l->vendor_name), "%s", v->name);
	l->vendor = v->id;
	/* format=Extended-Vendor-Specific-N: RFC 6929 extended VSAs */
	l->vendor_modeled = v->modeled && n < 3;
	return 0;
}

static int kw_end_vendor(struct dload *l, char **w, int n)
{
	if (n < 2)
		return load_err(l, "END-VENDOR needs a vendor name");
	if (!l->in_vendor)
		return load_err(l, "END-VENDOR %s without BEGIN-VENDOR", w[1]);
	if (strcasecmp(w[1], l->vendor_name) != 0)
		return load_err(l, "END-VENDOR %s does not close BEGIN-VENDOR %s", w[1],
				l->vendor_name);
	l->in_vendor = false;
	return 0;
}

/* A word of flags ("has_tag,encrypt=2"): 1 when the attribute is kept
 * with them (array, concat, secret, User-Password's encrypt=1), 0 when a
 * flag puts it out of what is modeled (tags, other encryptions, virtual
 * and internal attributes, key=value flags of later versions), -1 when
 * the word is not a list of flags. */
static int flags_parse(const char *w)
{
	static const char *const kept[] = { "array", "concat", "secret", "long", "encrypt=1" };
	static const char *const skipped[] = { "has_tag", "virtual", "internal" };
	char buf[128], *save = NULL;
	int ret = 1;

	if (strlen(w) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", w);
	for (char *f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		bool known = false;

		for (size_t i = 0; !known && i < sizeof(kept) / sizeof(kept[0]); i++)
			known = strcasecmp(f, kept[i]) == 0;
		if (known)
			continue;
		for (size_t i = 0; !known && i < sizeof(skipped) / sizeof(skipped[0]); i++)
			known = strcasecmp(f, skipped[i]) == 0;
		if (!known && !strchr(f, '='))
			return -1;
		ret = 0;
	}
	return ret;
}

/* ATTRIBUTE <name> <number> <type> [<vendor> | <flags>] ... */
static int kw_attribute(struct dload *l, char **w, int n)
{
	bool vendor_set = l->in_vendor, modeled = !l->in_vendor || l->vendor_modeled;
	uint32_t vendor = l->in_vendor ? l->vendor : 0;
	unsigned long long num;
	int dtype, t;

	if (n < 4)
		return load_err(l, "ATTRIBUTE needs a name, a number and a type");
	if (strlen(w[1]) >= RAD_DICT_NAME_MAX)
		return load_err(l, "attribute name \"%s\" is longer than %d characters", w[1],
				RAD_DICT_NAME_MAX - 1);
	t = dtype_parse(w[3], &dtype);
	if (t < 0)
		return load_err(l, "attribute %s: unknown type \"%s\"", w[1], w[3]);
	for (int i = 4; i < n; i++) {
		int f = flags_parse(w[i]);
		const struct dvendor *v;

		if (f >= 0) {
			modeled = modeled && f;
			continue;
		}
		/* the old form: a vendor name after the type */
		v = vendor_find(l->d, w[i]);
		if (v == NULL || vendor_set)
			return load_err(l, "attribute %s: \"%s\" is neither a vendor nor flags", w[1],
					w[i]);
		vendor_set = true;
		vendor = v->id;
		modeled = modeled && v->modeled;
	}
	if (strchr(w[2], '.'))
		return 0;                         /* TLV and extended numbers (241.1, 26.9.1) */
	if (parse_num(w[2], UINT32_MAX, &num) < 0)
		return load_err(l, "attribute %s: \"%s\" is not a number", w[1], w[2]);
	if (!modeled || t == 0 || l->tlv_depth || l->in_protocol)
		return 0;
	if (!vendor_set && (num == 0 || num > 255))
		return 0;                         /* the server's internal attributes (1000...) */
	if (vendor_set && num > 255)
		return load_err(l, "attribute %s: vendor attribute number %llu is over 255 (the "
				"vendor's format is 1,1)", w[1], num);
	if (dict_define(l->d, w[1], vendor, (uint8_t)num, (uint8_t)dtype) < 0)
		return load_nomem(l);
	return 0;
}

/* VALUE <attribute> <name> <number> */
static int kw_value(struct dload *l, char **w, int n)
{
	const struct rad_dict_attr *a;
	unsigned long long v;

	if (n < 4)
		return load_err(l, "VALUE needs an attribute, a name and a number");
	if (parse_num(w[3], UINT32_MAX, &v) < 0)
		return load_err(l, "VALUE %s %s: \"%s\" is not a number up to 4294967295", w[1], w[2],
				w[3]);
	a = rad_dict_by_name(l->d, w[1]);
	if (a == NULL || l->in_protocol)
		return 0;                         /* an attribute skipped, or not known */
	if (value_add(entry_of(l->d, a), w[2], (uint32_t)v) < 0)
		return load_nomem(l);
	return 0;
}

static int load_file(struct dload *l, const char *path);

/* $INCLUDE <path>, relative to the including file's directory;
 * $INCLUDE- (FreeRADIUS): the same, a missing file is no error. */
static int kw_include(struct dload *l, char **w, int n)
{
	const char *slash = strrchr(l->file, '/');
	char path[PATH_MAX];

	if (n < 2)
		return load_err(l, "%s needs a file name", w[0]);
	if (w[1][0] == '/' || slash == NULL)
		snprintf(path, sizeof(path), "%s", w[1]);
	else if ((size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - l->file), l->file,
				  w[1]) >= sizeof(path))
		return load_err(l, "%s %s: the path is too long", w[0], w[1]);
	if (w[0][8] == '-') {
		FILE *f = fopen(path, "r");

		if (f == NULL)
			return 0;
		fclose(f);
	}
	return load_file(l, path);
}

/* Split at blanks, '#' to the end of the line is a comment: the word count. */
static int split(char *s, char **w, int max)
{
	int n = 0;

	s[strcspn(s, "#\r\n")] = '\0';
	for (char *save = NULL, *t = strtok_r(s, " \t", &save); t && n < max;
	     t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	return n;
}

static int load_line(struct dload *l, char *buf)
{
	char *w[8];
	int n = split(buf, w, 8);

	if (n == 0)
		return 0;
	if (l->in_protocol && strcasecmp(w[0], "END-PROTOCOL") != 0)
		return 0;
	if (strcasecmp(w[0], "ATTRIBUTE") == 0)
		return kw_attribute(l, w, n);
	if (strcasecmp(w[0], "VALUE") == 0)
		return kw_value(l, w, n);
	if (strcasecmp(w[0], "VENDOR") == 0)
		return kw_vendor(l, w, n);
	if (strcasecmp(w[0], "BEGIN-VENDOR") == 0)
		return kw_begin_vendor(l, w, n);
	if (strcasecmp(w[0], "END-VENDOR") == 0)
		return kw_end_vendor(l, w, n);
	if (strcasecmp(w[0], "BEGIN-TLV") == 0) {
		l->tlv_depth++;
		return 0;
	}
	if (strcasecmp(w[0], "END-TLV") == 0) {
		if (l->tlv_depth == 0)
			return load_err(l, "END-TLV without BEGIN-TLV");
		l->tlv_depth--;
		return 0;
	}
	if (strcasecmp(w[0], "BEGIN-PROTOCOL") == 0) {
		l->in_protocol = true;
		return 0;
	}
	if (strcasecmp(w[0], "END-PROTOCOL") == 0) {
		if (!l->in_protocol)
			return load_err(l, "END-PROTOCOL without BEGIN-PROTOCOL");
		l->in_protocol = false;
		return 0;
	}
	if (strcmp(w[0], "$INCLUDE") == 0 || strcmp(w[0], "$INCLUDE-") == 0)
		return kw_include(l, w, n);
	return load_err(l, "unknown keyword \"%s\"", w[0]);
}

static int load_file(struct dload *l, const char *path)
{
	const char *file = l->file;
	int line = l->line, ret = 0;
	char *buf = NULL;
	size_t cap = 0;
	struct stat st;
	FILE *f;

	if (l->depth >= INCLUDE_DEPTH_MAX)
		return load_err(l, "$INCLUDE %s: includes nested deeper than %d (a loop?)", path,
				INCLUDE_DEPTH_MAX);
	f = fopen(path, "r");
	/* fopen() opens a directory for reading; reading it then fails */
	if (f && (fstat(fileno(f), &st) < 0 || S_ISDIR(st.st_mode))) {
		fclose(f);
		f = NULL;
		errno = EISDIR;
	}
	if (f == NULL) {
		if (file)
			return load_err(l, "$INCLUDE %s: %s", path, strerror(errno));
		if (l->errlen)
			snprintf(l->err, l->errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	l->file = path;
	l->line = 0;
	l->depth++;
	while (ret == 0 && getline(&buf, &cap, f) >= 0) {
		l->line++;
		ret = load_line(l, buf);
	}
	l->depth--;
	if (ret == 0 && ferror(f))
		ret = load_err(l, "read error");
	free(buf);
	fclose(f);
	l->file = file;
	l->line = line;
	return ret;
}

int rad_dict_load(struct rad_dict *d, const char *path, char *err, size_t errlen)
{
	struct dload l = { .d = d, .err = err, .errlen = errlen };
	int ret;

	if (errlen)
		err[0] = '\0';
	if (d == NULL || path == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s:0: no dictionary", path ? path : "(null)");
		return -1;
	}
	ret = load_file(&l, path);
	if (ret == 0 && l.in_vendor) {
		l.file = l.vendor_file;
		l.line = l.vendor_line;
		ret = load_err(&l, "BEGIN-VENDOR %s is never closed (END-VENDOR)", l.vendor_name);
	}
	return ret;
}

/* ------------------------------------------------------------------------
 * Values
 */

static int put(uint8_t *out, size_t cap, const void *v, size_t n)
{
	if (n > cap || n > VALUE_MAX)
		return -1;
	memcpy(out, v, n);
	return (int)n;
}

static int put_be(uint8_t *out, size_t cap, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return put(out, cap, b, n);
}

/* Decimal only, within max. */
static int dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "addr/len" -> the RFC 3162 form (reserved 0, length, 16 octets of the
 * prefix, the bits past len cleared). */
static int enc_prefix(const char *text, uint8_t *out, size_t cap)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	uint8_t b[18] = { 0 };
	uint64_t len;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(addr) ||
	    dec(slash + 1, 128, &len) < 0)
		return -1;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET6, addr, b + 2) != 1)
		return -1;
	b[1] = (uint8_t)len;
	for (unsigned bit = (unsigned)len; bit < 128; bit++)
		b[2 + bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return put(out, cap, b, sizeof(b));
}

/* "xxxx:xxxx:xxxx:xxxx", groups of 1 to 4 hex digits. */
static int enc_ifid(const char *text, uint8_t *out, size_t cap)
{
	uint8_t b[8];
	const char *p = text;

	for (int g = 0; g < 4; g++) {
		unsigned v = 0, digits = 0;

		for (; hexval((unsigned char)*p) >= 0 && digits < 5; p++, digits++)
			v = v << 4 | (unsigned)hexval((unsigned char)*p);
		if (digits == 0 || digits > 4 || *p != (g < 3 ? ':' : '\0'))
			return -1;
		if (g < 3)
			p++;
		b[2 * g] = (uint8_t)(v >> 8);
		b[2 * g + 1] = (uint8_t)v;
	}
	return put(out, cap, b, sizeof(b));
}

/* Decimal, or a VALUE name of a. */
static int enc_int(const struct rad_dict *d, const struct rad_dict_attr *a, const char *text,
		   uint64_t max, size_t n, uint8_t *out, size_t cap)
{
	uint64_t v;
	uint32_t named;

	if (dec(text, max, &v) < 0) {
		if (rad_dict_value(d, a, text, &named) < 0 || named > max)
			return -1;
		v = named;
	}
	return put_be(out, cap, v, n);
}

int rad_dict_encode(const struct rad_dict *d, const struct rad_dict_attr *a, const char *text,
		    uint8_t *out, size_t cap)
{
	uint8_t b[16];
	uint64_t v;

	if (a == NULL || text == NULL || out == NULL)
		return -1;
	switch (a->dtype) {
	case RAD_DT_STRING:
		return *text ? put(out, cap, text, strlen(text)) : -1;
	case RAD_DT_OCTETS: {
		size_t n = strlen(text);

		if (n == 0)
			return -1;
		if (strncasecmp(text, "0x", 2) != 0)
			return put(out, cap, text, n);
		if (n == 2 || n % 2 || (n - 2) / 2 > cap || (n - 2) / 2 > VALUE_MAX)
			return -1;
		for (size_t i = 2; i < n; i += 2) {
			int hi = hexval((unsigned char)text[i]), lo = hexval((unsigned char)text[i + 1]);

			if (hi < 0 || lo < 0)
				return -1;
			out[(i - 2) / 2] = (uint8_t)(hi << 4 | lo);
		}
		return (int)((n - 2) / 2);
	}
	case RAD_DT_IPADDR:
		return inet_pton(AF_INET, text, b) == 1 ? put(out, cap, b, 4) : -1;
	case RAD_DT_IPV6ADDR:
		return inet_pton(AF_INET6, text, b) == 1 ? put(out, cap, b, 16) : -1;
	case RAD_DT_IPV6PREFIX:
		return enc_prefix(text, out, cap);
	case RAD_DT_IFID:
		return enc_ifid(text, out, cap);
	case RAD_DT_INTEGER:
		return enc_int(d, a, text, UINT32_MAX, 4, out, cap);
	case RAD_DT_DATE:
		return dec(text, UINT32_MAX, &v) < 0 ? -1 : put_be(out, cap, v, 4);
	case RAD_DT_INTEGER64:
		return enc_int(d, a, text, UINT64_MAX, 8, out, cap);
	case RAD_DT_BYTE:
		return enc_int(d, a, text, 0xff, 1, out, cap);
	case RAD_DT_SHORT:
		return enc_int(d, a, text, 0xffff, 2, out, cap);
	}
	return -1;
}

int rad_dict_from_bytes(const struct rad_dict_attr *a, const uint8_t *val, size_t len,
			uint8_t *out, size_t cap)
{
	size_t want;

	if (a == NULL || (val == NULL && len) || out == NULL)
		return -1;
	switch (a->dtype) {
	case RAD_DT_STRING:
	case RAD_DT_OCTETS:
		return len ? put(out, cap, val, len) : -1;
	case RAD_DT_IPV6PREFIX:
		if (len != 18 || val[0] != 0 || val[1] > 128)
			return -1;
		return put(out, cap, val, len);
	case RAD_DT_IPADDR:
	case RAD_DT_INTEGER:
	case RAD_DT_DATE:
		want = 4;
		break;
	case RAD_DT_IPV6ADDR:
		want = 16;
		break;
	case RAD_DT_IFID:
	case RAD_DT_INTEGER64:
		want = 8;
		break;
	case RAD_DT_BYTE:
		want = 1;
		break;
	case RAD_DT_SHORT:
		want = 2;
		break;
	default:
		return -1;
	}
	return len == want ? put(out, cap, val, len) : -1;
}

int rad_dict_append_bytes(const struct rad_dict_attr *a, const uint8_t *val, size_t len,
			  uint8_t *buf, uint16_t *used, size_t cap)
{
	uint8_t v[253];
	size_t hdr = a->vendor ? 8 : 2;  /* type, length (+ vendor id, its type, length) */
	int n = rad_dict_from_bytes(a, val, len, v, sizeof(v) - (a->vendor ? 6 : 0));

	if (n <= 0 || *used + hdr + (size_t)n > cap)
		return -1;
	if (a->vendor) {
		buf[*used] = 26;
		buf[*used + 1] = (uint8_t)(n + 8);
		buf[*used + 2] = (uint8_t)(a->vendor >> 24);
		buf[*used + 3] = (uint8_t)(a->vendor >> 16);
		buf[*used + 4] = (uint8_t)(a->vendor >> 8);
		buf[*used + 5] = (uint8_t)a->vendor;
		buf[*used + 6] = a->type;
		buf[*used + 7] = (uint8_t)(n + 2);
	} else {
		buf[*used] = a->type;
		buf[*used + 1] = (uint8_t)(n + 2);
	}
	memcpy(buf + *used + hdr, v, (size_t)n);
	*used = (uint16_t)(*used + hdr + (size_t)n);
	return 0;
}
