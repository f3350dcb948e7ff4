/* Kea's lease-file rows, read and written as Kea 2.2 does, so a Kea
 * user's lease files load as they are and ours load in Kea:
 *
 *   DHCPv4  address,hwaddr,client_id,valid_lifetime,expire,subnet_id,
 *           fqdn_fwd,fqdn_rev,hostname,state,user_context
 *   DHCPv6  address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,
 *           lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,
 *           hwaddr,state,user_context,hwtype,hwaddr_source
 *
 * Older Kea versions wrote fewer columns (each file's leading part); a
 * row of an older schema reads with the later columns' defaults.  The
 * user_context column is not kept, and written empty.  One table per
 * family (struct mf_format) lets memfile_file.c handle both files with
 * one loader and one compaction. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memfile_int.h"
#include "net.h"

#define MF4_NCOLS 11
#define MF6_NCOLS 17

const char lease_csv_header[] =
	"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";
const char lease6_csv_header[] =
	"address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
	"fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";

/* ---- fields --------------------------------------------------------- */

static int csv_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (lease_udec(s, n, max, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Kea writes expire as a 64-bit time_t; an infinite lifetime (0xffffffff)
 * pushes it past 2^32, which our records saturate. */
static int csv_expire(const char *s, size_t n, uint32_t *out)
{
	uint64_t v;

	if (lease_udec(s, n, UINT64_MAX, &v))
		return -EINVAL;
	*out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return 0;
}

/* Kea writes booleans 1/0; it also reads true/false. */
static int csv_bool(const char *s, size_t n, uint8_t *out)
{
	if (n == 1 && (s[0] == '0' || s[0] == '1'))
		*out = s[0] == '1';
	else if (n == 4 && memcmp(s, "true", 4) == 0)
		*out = 1;
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

/* "01:0a:b", Kea's colon form (one or two digits a byte), or plain "010a0b". */
static int csv_hex(const char *s, size_t n, uint8_t *out, size_t max, uint8_t *outlen)
{
	size_t i = 0, k = 0;

	if (n == 0) {
		*outlen = 0;
		return 0;
	}
	if (memchr(s, ':', n) == NULL) {
		if (n % 2 || n / 2 > max)
			return -EINVAL;
		for (i = 0; i < n; i += 2) {
			int hi = net_hexval(s[i]), lo = net_hexval(s[i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[k++] = (uint8_t)(hi << 4 | lo);
		}
		*outlen = (uint8_t)k;
		return 0;
	}
	for (;;) {
		int d0, d1 = -1;

		if (i >= n || (d0 = net_hexval(s[i])) < 0)
			return -EINVAL;
		i++;
		if (i < n && s[i] != ':') {
			if ((d1 = net_hexval(s[i])) < 0)
				return -EINVAL;
			i++;
		}
		if (k == max)
			return -EINVAL;
		out[k++] = (uint8_t)(d1 < 0 ? d0 : d0 << 4 | d1);
		if (i == n)
			break;
		if (s[i] != ':')
			return -EINVAL;
		i++;
	}
	*outlen = (uint8_t)k;
	return 0;
}

/* Kea's CSV escape: "&#x" and two hex digits stand for one byte (a comma
 * in a hostname is written "&#x2c").  A malformed sequence stays as is,
 * like Kea's unescape.  Returns the full unescaped length; stores at most
 * `max` bytes. */
static size_t csv_unescape(const char *s, size_t n, char *out, size_t max)
{
	size_t i = 0, k = 0;

	while (i < n) {
		char c = s[i];

		if (c == '&' && i + 5 <= n && s[i + 1] == '#' && s[i + 2] == 'x' &&
		    net_hexval(s[i + 3]) >= 0 && net_hexval(s[i + 4]) >= 0) {
			c = (char)(net_hexval(s[i + 3]) << 4 | net_hexval(s[i + 4]));
			i += 5;
		} else {
			i++;
		}
		if (k < max)
			out[k] = c;
		k++;
	}
	return k;
}

/* The hostname column: unescaped into a 64-byte field, cut to 63 bytes
 * (and *truncated set) when longer, and at an escaped NUL ("&#x00"): the
 * field is a C string, and what follows a NUL would never be written
 * back. */
static void csv_hostname(const char *s, size_t n, char out[64], uint8_t *outlen, int *truncated)
{
	size_t hl = csv_unescape(s, n, out, 63);

	if (hl > 63) {
		hl = 63;
		if (truncated)
			*truncated = 1;
	}
	out[hl] = '\0';
	hl = strlen(out);
	memset(out + hl, 0, 64 - hl);
	*outlen = (uint8_t)hl;
}

/* Splits a line into at most `max` fields; returns the count or -EINVAL. */
static int csv_split(const char *line, size_t len, const char **f, size_t *fl, int max)
{
	size_t start = 0, i;
	int nf = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (nf == max)
			return -EINVAL;
		f[nf] = line + start;
		fl[nf] = i - start;
		nf++;
		start = i + 1;
	}
	return nf;
}

static const char hexdig[] = "0123456789abcdef";

static char *csv_put_hex(char *p, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			*p++ = ':';
		*p++ = hexdig[b[i] >> 4];
		*p++ = hexdig[b[i] & 15];
	}
	return p;
}

/* Escape what would break the line: the delimiter (as Kea does), control
 * bytes, and a '&' that would otherwise read back as an escape. */
static bool csv_must_escape(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ',' || c < 0x20 || c == 0x7f)
		return true;
	return c == '&' && i + 2 < n && s[i + 1] == '#' && s[i + 2] == 'x';
}

/* The hostname column as Kea writes it (at most 63 * 5 bytes). */
static char *csv_put_hostname(char *p, const char *h, uint8_t len, size_t cap)
{
	size_t hl = len > cap ? cap : len, i;

	for (i = 0; i < hl && h[i] != '\0'; i++) {
		if (csv_must_escape(h, i, hl)) {
			unsigned char c = (unsigned char)h[i];

			*p++ = '&';
			*p++ = '#';
			*p++ = 'x';
			*p++ = hexdig[c >> 4];
			*p++ = hexdig[c & 15];
		} else {
			*p++ = h[i];
		}
	}
	return p;
}

static int csv_out(const char *tmp, const char *end, char *buf, size_t len)
{
	size_t n = (size_t)(end - tmp);

	if (n > len)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return (int)n;
}

/* What the public parsers do around a family's parser: check the
 * arguments, clear *truncated, drop a '\r' (a file edited on Windows). */
static int csv_parse_line(int (*parse)(const char *, size_t, void *, int *, int *),
			  const char *line, size_t len, void *r, int *truncated)
{
	if (line == NULL || r == NULL)
		return -EINVAL;
	if (truncated)
		*truncated = 0;
	if (len && line[len - 1] == '\r')
		len--;
	return parse(line, len, r, truncated, NULL);
}

int mf_header(const struct mf_format *fmt, const char *line, size_t len)
{
	const char *f[MF_NCOLS_MAX];
	size_t fl[MF_NCOLS_MAX];
	int nf, i;

	if (len < 7 || memcmp(line, "address", 7) != 0)
		return 0;
	nf = csv_split(line, len, f, fl, fmt->ncols);
	if (nf < 0 || fmt->pad[nf] == NULL)
		return -EINVAL;
	for (i = 0; i < nf; i++)
		if (fl[i] != strlen(fmt->cols[i]) || memcmp(f[i], fmt->cols[i], fl[i]) != 0)
			return -EINVAL;
	return nf;
}

/* ---- DHCPv4 --------------------------------------------------------- */

/* Kea 1.0 files stop after hostname (9), Kea 1.1..1.4 after state (10). */
static const char *const mf4_cols[MF4_NCOLS] = {
	"address", "hwaddr", "client_id", "valid_lifetime", "expire", "subnet_id",
	"fqdn_fwd", "fqdn_rev", "hostname", "state", "user_context",
};

static const char *const mf4_pad[MF4_NCOLS + 1] = {
	[9] = ",0,",                   /* state 0, empty context */
	[10] = ",",
	[11] = "",
};

static int mf4_parse(const char *line, size_t len, void *rec, int *truncated, int *ncols)
{
	struct lease_rec *r = rec;
	const char *f[MF4_NCOLS];
	size_t fl[MF4_NCOLS];
	uint32_t v;
	int nf;

	nf = csv_split(line, len, f, fl, MF4_NCOLS);
	if (nf < 9)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (net_ip4_parse_n(f[0], fl[0], &r->addr) < 0 || r->addr == 0)
		return -EINVAL;
	if (csv_hex(f[1], fl[1], r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len))
		return -EINVAL;
	r->htype = 1;               /* Kea's v4 file has no htype: Ethernet */
	if (csv_hex(f[2], fl[2], r->cid, sizeof(r->cid), &r->cid_len) ||
	    csv_u32(f[3], fl[3], UINT32_MAX, &r->valid_lft) ||
	    csv_expire(f[4], fl[4], &r->expire) ||
	    csv_u32(f[5], fl[5], UINT32_MAX, &r->subnet_id) ||
	    csv_bool(f[6], fl[6], &r->fqdn_fwd) ||
	    csv_bool(f[7], fl[7], &r->fqdn_rev))
		return -EINVAL;
	csv_hostname(f[8], fl[8], r->hostname, &r->hostname_len, truncated);
	if (nf >= 10) {
		if (csv_u32(f[9], fl[9], 2, &v))
			return -EINVAL;
		r->state = (uint8_t)v;
	}
	/* f[10], user_context: JSON with its commas escaped; not kept. */
	if (ncols)
		*ncols = nf;
	return 0;
}

int lease_csv_parse(const char *line, size_t len, struct lease_rec *r, int *truncated)
{
	return csv_parse_line(mf4_parse, line, len, r, truncated);
}

int lease_csv_format(const struct lease_rec *r, char *buf, size_t len)
{
	char tmp[LEASE_CSV_LINE_MAX];
	char *p = tmp;

	if (r == NULL || buf == NULL)
		return -EINVAL;
	p += sprintf(p, "%u.%u.%u.%u,", r->addr >> 24, (r->addr >> 16) & 255,
		     (r->addr >> 8) & 255, r->addr & 255);
	p = csv_put_hex(p, r->hwaddr, r->hwaddr_len > sizeof(r->hwaddr) ? sizeof(r->hwaddr) : r->hwaddr_len);
	*p++ = ',';
	p = csv_put_hex(p, r->cid, r->cid_len);
	p += sprintf(p, ",%u,%u,%u,%u,%u,", r->valid_lft, r->expire, r->subnet_id,
		     r->fqdn_fwd ? 1 : 0, r->fqdn_rev ? 1 : 0);
	p = csv_put_hostname(p, r->hostname, r->hostname_len, sizeof(r->hostname));
	p += sprintf(p, ",%u,\n", r->state);
	return csv_out(tmp, p, buf, len);
}

static int mf4_format(const void *rec, char *buf, size_t len)
{
	return lease_csv_format(rec, buf, len);
}

static void mf4_key(const void *rec, struct mf_key *k, bool *drop)
{
	const struct lease_rec *r = rec;

	k->hi = 0;
	k->lo = r->addr;
	*drop = r->valid_lft == 0 || r->state == 2;
}

const struct mf_format mf_format4 = {
	.what = "DHCPv4",
	.header = lease_csv_header,
	.header_len = sizeof(lease_csv_header) - 1,
	.cols = mf4_cols,
	.ncols = MF4_NCOLS,
	.pad = mf4_pad,
	.rec_size = sizeof(struct lease_rec),
	.parse = mf4_parse,
	.format = mf4_format,
	.key = mf4_key,
};

/* ---- DHCPv6 --------------------------------------------------------- */

/* Kea's v6 schemas: 1.0 stops after hostname (12 columns), 2.0 after
 * hwaddr (13), 3.0 after state (14), 3.1 after user_context (15); 4.0
 * (Kea 2.2) adds hwtype and hwaddr_source (17).  No Kea wrote 16. */
static const char *const mf6_cols[MF6_NCOLS] = {
	"address", "duid", "valid_lifetime", "expire", "subnet_id", "pref_lifetime",
	"lease_type", "iaid", "prefix_len", "fqdn_fwd", "fqdn_rev", "hostname",
	"hwaddr", "state", "user_context", "hwtype", "hwaddr_source",
};

/* Kea upgrades an old row with the later columns' defaults: state 0,
 * everything else empty (an empty hwtype reads as 1, Ethernet, and an
 * empty hwaddr_source as 0, unknown). */
static const char *const mf6_pad[MF6_NCOLS + 1] = {
	[12] = ",,0,,,",
	[13] = ",0,,,",
	[14] = ",,,",
	[15] = ",,",
	[17] = "",
};

/* The hwaddr, hwtype and hwaddr_source columns.  Kea keeps a lease whose
 * hardware address it cannot read (too long, bad hex, bad hwtype or
 * source), without the hardware address, and so do we.  A lease without
 * one has hwtype and hwaddr_source 0: Kea writes all three empty. */
static void mf6_hwaddr(struct lease6_rec *r, const char *const *f, const size_t *fl, int nf)
{
	uint32_t type = 1, src = 0;     /* Kea's defaults: Ethernet, source unknown */

	if (csv_hex(f[12], fl[12], r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len) || r->hwaddr_len == 0)
		goto none;
	if (nf == MF6_NCOLS && ((fl[15] && csv_u32(f[15], fl[15], UINT16_MAX, &type)) ||
				(fl[16] && csv_u32(f[16], fl[16], UINT32_MAX, &src))))
		goto none;
	r->hwtype = (uint16_t)type;
	r->hwaddr_source = src;
	return;
none:
	r->hwaddr_len = 0;
	memset(r->hwaddr, 0, sizeof(r->hwaddr));
}

static int mf6_parse(const char *line, size_t len, void *rec, int *truncated, int *ncols)
{
	struct lease6_rec *r = rec;
	const char *f[MF6_NCOLS];
	size_t fl[MF6_NCOLS];
	char text[INET6_ADDRSTRLEN];
	uint8_t b[16];
	uint32_t type, plen, state = 0;
	int nf;

	nf = csv_split(line, len, f, fl, MF6_NCOLS);
	if (nf < 12 || mf6_pad[nf] == NULL)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (fl[0] == 0 || fl[0] >= sizeof(text))
		return -EINVAL;
	memcpy(text, f[0], fl[0]);
	text[fl[0]] = '\0';
	if (inet_pton(AF_INET6, text, b) != 1)
		return -EINVAL;
	r->addr = lease_addr6_load(b);
	if ((r->addr.hi | r->addr.lo) == 0)
		return -EINVAL;
	/* Kea refuses an empty DUID column */
	if (fl[1] == 0 || csv_hex(f[1], fl[1], r->duid, sizeof(r->duid), &r->duid_len) ||
	    csv_u32(f[2], fl[2], UINT32_MAX, &r->valid_lft) ||
	    csv_expire(f[3], fl[3], &r->expire) ||
	    csv_u32(f[4], fl[4], UINT32_MAX, &r->subnet_id) ||
	    csv_u32(f[5], fl[5], UINT32_MAX, &r->pref_lft) ||
	    csv_u32(f[6], fl[6], LEASE6_TYPE_PD, &type) ||
	    csv_u32(f[7], fl[7], UINT32_MAX, &r->iaid) ||
	    csv_u32(f[8], fl[8], 128, &plen) ||
	    csv_bool(f[9], fl[9], &r->fqdn_fwd) ||
	    csv_bool(f[10], fl[10], &r->fqdn_rev))
		return -EINVAL;
	r->type = (uint8_t)type;
	r->prefix_len = (uint8_t)plen;
	csv_hostname(f[11], fl[11], r->hostname, &r->hostname_len, truncated);
	if (nf >= 13)
		mf6_hwaddr(r, f, fl, nf);
	if (nf >= 14 && csv_u32(f[13], fl[13], 2, &state))
		return -EINVAL;
	r->state = (uint8_t)state;
	/* The one-byte DUID 0 is Kea's empty DUID ("00"), which only a
	 * declined lease may have (Kea refuses the line otherwise). */
	if (r->duid_len == 1 && r->duid[0] == 0) {
		if (r->state != 1)
			return -EINVAL;
		r->duid_len = 0;
	}
	/* f[14], user_context: JSON with its commas escaped; not kept. */
	if (ncols)
		*ncols = nf;
	return 0;
}

int lease6_csv_parse(const char *line, size_t len, struct lease6_rec *r, int *truncated)
{
	return csv_parse_line(mf6_parse, line, len, r, truncated);
}

int lease6_csv_format(const struct lease6_rec *r, char *buf, size_t len)
{
	char tmp[LEASE_CSV_LINE_MAX];
	char *p = tmp;
	uint8_t b[16];
	unsigned n;

	if (r == NULL || buf == NULL)
		return -EINVAL;
	lease_addr6_store(r->addr, b);
	inet_ntop(AF_INET6, b, p, INET6_ADDRSTRLEN);
	p += strlen(p);
	*p++ = ',';
	n = r->duid_len > sizeof(r->duid) ? sizeof(r->duid) : r->duid_len;
	if (n == 0) {
		*p++ = '0';                     /* Kea's empty DUID */
		*p++ = '0';
	} else {
		p = csv_put_hex(p, r->duid, n);
	}
	p += sprintf(p, ",%u,%u,%u,%u,%u,%u,%u,%u,%u,", r->valid_lft, r->expire, r->subnet_id,
		     r->pref_lft, r->type, r->iaid, r->prefix_len, r->fqdn_fwd ? 1 : 0,
		     r->fqdn_rev ? 1 : 0);
	p = csv_put_hostname(p, r->hostname, r->hostname_len, sizeof(r->hostname));
	*p++ = ',';
	n = r->hwaddr_len > sizeof(r->hwaddr) ? sizeof(r->hwaddr) : r->hwaddr_len;
	p = csv_put_hex(p, r->hwaddr, n);
	/* state, an empty user_context, then hwtype and hwaddr_source,
	 * which Kea writes only with a hardware address */
	p += sprintf(p, ",%u,", r->state);
	if (n)
		p += sprintf(p, ",%u,%u\n", r->hwtype, r->hwaddr_source);
	else
		p += sprintf(p, ",,\n");
	return csv_out(tmp, p, buf, len);
}

static int mf6_format(const void *rec, char *buf, size_t len)
{
	return lease6_csv_format(rec, buf, len);
}

static void mf6_key(const void *rec, struct mf_key *k, bool *drop)
{
	const struct lease6_rec *r = rec;

	k->hi = r->addr.hi;
	k->lo = r->addr.lo;
	*drop = r->valid_lft == 0 || r->state == 2;
}

const struct mf_format mf_format6 = {
	.what = "DHCPv6",
	.header = lease6_csv_header,
	.header_len = sizeof(lease6_csv_header) - 1,
	.cols = mf6_cols,
	.ncols = MF6_NCOLS,
	.pad = mf6_pad,
	.rec_size = sizeof(struct lease6_rec),
	.parse = mf6_parse,
	.format = mf6_format,
	.key = mf6_key,
};
