/* RADIUS packets (rad_pkt.h): building, signing, checking, reading.
 *
 * Everything here works on one flat buffer.  Every read of a received
 * packet is bounded twice: by the octets received (`len`) and by the
 * packet's own length field, which must not exceed them; attributes are
 * walked only inside the length field (octets past it are padding). */
#include "rad_pkt.h"

#include <errno.h>
#include <string.h>

#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/memops.h>

#define MSG_AUTH_LEN 16
#define PW_MAX       128               /* RFC 2865 5.2 */

static int fail(int err)
{
	errno = err;
	return -1;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- building ---- */

void rad_pkt_init(struct rad_pkt *p, uint8_t code, uint8_t id)
{
	memset(p->buf, 0, RAD_HDR_LEN);
	p->buf[0] = code;
	p->buf[1] = id;
	p->len = RAD_HDR_LEN;
	put16(p->buf + 2, RAD_HDR_LEN);
	p->overflow = false;
	p->msg_auth = -1;
}

/* Room for an attribute of `vlen` value octets, its header written;
 * NULL (overflow set) when it does not fit. */
static uint8_t *attr_reserve(struct rad_pkt *p, uint8_t type, size_t vlen)
{
	if (p->overflow || vlen > RAD_ATTR_MAX || p->len + 2 + vlen > RAD_PKT_MAX) {
		p->overflow = true;
		return NULL;
	}
	uint8_t *a = p->buf + p->len;
	a[0] = type;
	a[1] = (uint8_t)(2 + vlen);
	p->len = (uint16_t)(p->len + 2 + vlen);
	return a + 2;
}

int rad_pkt_add(struct rad_pkt *p, uint8_t type, const void *val, size_t len)
{
	uint8_t *v = attr_reserve(p, type, len);
	if (!v)
		return -1;
	if (len)
		memcpy(v, val, len);
	return 0;
}

int rad_pkt_add_str(struct rad_pkt *p, uint8_t type, const char *s)
{
	return rad_pkt_add(p, type, s, strlen(s));
}

int rad_pkt_add_u32(struct rad_pkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	return rad_pkt_add(p, type, b, 4);
}

int rad_pkt_add_ip4(struct rad_pkt *p, uint8_t type, uint32_t addr)
{
	return rad_pkt_add_u32(p, type, addr);
}

int rad_pkt_add_ip6(struct rad_pkt *p, uint8_t type, const uint8_t a[16])
{
	return rad_pkt_add(p, type, a, 16);
}

/* Clear the bits of a[0..16) past plen. */
static void prefix_mask(uint8_t a[16], unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		unsigned keep = plen > 8 * i ? plen - 8 * i : 0;
		a[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int rad_pkt_add_ip6_prefix(struct rad_pkt *p, uint8_t type, const uint8_t a[16], uint8_t plen)
{
	if (plen > 128) {
		p->overflow = true;
		return -1;
	}
	uint8_t b[18] = { 0, plen };
	size_t n = (plen + 7u) / 8;
	memcpy(b + 2, a, 16);
	prefix_mask(b + 2, plen);
	return rad_pkt_add(p, type, b, 2 + n);
}

int rad_pkt_add_vsa(struct rad_pkt *p, uint32_t vendor, uint8_t vtype, const void *val,
		    size_t len)
{
	if (len > RAD_ATTR_MAX - 6) {
		p->overflow = true;
		return -1;
	}
	uint8_t *v = attr_reserve(p, RAD_A_VENDOR_SPECIFIC, 6 + len);
	if (!v)
		return -1;
	put32(v, vendor);
	v[4] = vtype;
	v[5] = (uint8_t)(2 + len);
	if (len)
		memcpy(v + 6, val, len);
	return 0;
}

/* Walk encoded attributes a[0..len): each one's length at least 2 and
 * inside.  The offset of the one Message-Authenticator in *ma (-1: none);
 * -1 when malformed (or two Message-Authenticators, or one of a length
 * other than 18). */
static int attrs_walk(const uint8_t *a, size_t len, long *ma)
{
	*ma = -1;
	for (size_t off = 0; off < len;) {
		if (len - off < 2 || a[off + 1] < 2 || a[off + 1] > len - off)
			return -1;
		if (a[off] == RAD_A_MESSAGE_AUTHENTICATOR) {
			if (*ma >= 0 || a[off + 1] != 2 + MSG_AUTH_LEN)
				return -1;
			*ma = (long)off + 2;
		}
		off += a[off + 1];
	}
	return 0;
}

int rad_pkt_append_attrs(struct rad_pkt *p, const uint8_t *attrs, size_t len)
{
	long ma;
	if (p->overflow || attrs_walk(attrs, len, &ma) < 0 || (ma >= 0 && p->msg_auth >= 0))
		return -1;
	if (p->len + len > RAD_PKT_MAX) {
		p->overflow = true;
		return -1;
	}
	if (len)
		memcpy(p->buf + p->len, attrs, len);
	if (ma >= 0)
		p->msg_auth = (int16_t)(p->len + ma);
	p->len = (uint16_t)(p->len + len);
	return 0;
}

int rad_pkt_add_msg_auth(struct rad_pkt *p)
{
	static const uint8_t zero[MSG_AUTH_LEN];
	if (p->msg_auth >= 0)
		return -1;
	uint16_t at = p->len;
	if (rad_pkt_add(p, RAD_A_MESSAGE_AUTHENTICATOR, zero, MSG_AUTH_LEN) < 0)
		return -1;
	p->msg_auth = (int16_t)(at + 2);
	return 0;
}

/* ---- MD5 ---- */

/* MD5(secret || x) */
static void md5_sx(uint8_t out[MD5_DIGEST_SIZE], const char *secret, const uint8_t *x,
		   size_t xlen)
{
	struct md5_ctx m;
	md5_init(&m);
	md5_update(&m, strlen(secret), (const uint8_t *)secret);
	md5_update(&m, xlen, x);
	md5_digest(&m, MD5_DIGEST_SIZE, out);
}

static void hmac_md5(uint8_t out[MD5_DIGEST_SIZE], const char *secret, const uint8_t *d,
		     size_t len)
{
	struct hmac_md5_ctx h;
	hmac_md5_set_key(&h, strlen(secret), (const uint8_t *)secret);
	hmac_md5_update(&h, len, d);
	hmac_md5_digest(&h, MD5_DIGEST_SIZE, out);
}

/* Code, identifier, length, then `auth` in place of the authenticator,
 * then the attributes, then the secret: RFC 2865 3's Response
 * Authenticator and RFC 2866 3's Request Authenticator (auth zero). */
static void pkt_authenticator(uint8_t out[RAD_AUTH_LEN], const uint8_t *pkt, size_t len,
			      const uint8_t auth[RAD_AUTH_LEN], const char *secret)
{
	struct md5_ctx m;
	md5_init(&m);
	md5_update(&m, 4, pkt);
	md5_update(&m, RAD_AUTH_LEN, auth);
	md5_update(&m, len - RAD_HDR_LEN, pkt + RAD_HDR_LEN);
	md5_update(&m, strlen(secret), (const uint8_t *)secret);
	md5_digest(&m, MD5_DIGEST_SIZE, out);
}

/* The Message-Authenticator of pkt[0..len) with `auth` in the
 * authenticator field and the Message-Authenticator's value (at `ma`)
 * zero, computed on a copy so the packet itself is not touched. */
static void msg_auth_of(uint8_t out[MSG_AUTH_LEN], const uint8_t *pkt, size_t len, size_t ma,
			const uint8_t auth[RAD_AUTH_LEN], const char *secret)
{
	uint8_t tmp[RAD_PKT_MAX];
	memcpy(tmp, pkt, len);
	memcpy(tmp + 4, auth, RAD_AUTH_LEN);
	memset(tmp + ma, 0, MSG_AUTH_LEN);
	hmac_md5(out, secret, tmp, len);
}

/* ---- User-Password (RFC 2865 5.2) ---- */

/* c_i = p_i xor MD5(S || c_(i-1)), c_0 = the request authenticator.
 * hide: in = clear text, out = hidden; unhide the other way round. */
static void pw_xor(uint8_t *out, const uint8_t *in, size_t n, const uint8_t ra[RAD_AUTH_LEN],
		   const char *secret, bool hide)
{
	const uint8_t *prev = ra;
	for (size_t i = 0; i < n; i += 16) {
		uint8_t b[MD5_DIGEST_SIZE];
		md5_sx(b, secret, prev, 16);
		for (size_t j = 0; j < 16; j++)
			out[i + j] = in[i + j] ^ b[j];
		prev = hide ? out + i : in + i;
	}
}

static void write_len(struct rad_pkt *p)
{
	put16(p->buf + 2, p->len);
}

int rad_pkt_finish(struct rad_pkt *p, const uint8_t auth[RAD_AUTH_LEN], const char *secret,
		   const char *password)
{
	static const uint8_t zero[RAD_AUTH_LEN];
	if (p->overflow)
		return -1;
	bool acct = p->buf[0] == RAD_ACCOUNTING_REQUEST;
	if (password) {
		size_t n = strlen(password);
		if (n > PW_MAX)
			return -1;
		size_t padded = n ? (n + 15) / 16 * 16 : 16;
		uint8_t clear[PW_MAX] = { 0 };
		memcpy(clear, password, n);
		uint8_t *v = attr_reserve(p, RAD_A_USER_PASSWORD, padded);
		if (!v)
			return -1;
		pw_xor(v, clear, padded, acct ? zero : auth, secret, true);
	}
	write_len(p);
	/* An Accounting-Request's Message-Authenticator is computed with the
	 * authenticator zero (RFC 3579 3.2 via RFC 5080 2.2.1), before it. */
	const uint8_t *ra = acct ? zero : auth;
	memcpy(p->buf + 4, ra, RAD_AUTH_LEN);
	if (p->msg_auth >= 0)
		msg_auth_of(p->buf + p->msg_auth, p->buf, p->len, (size_t)p->msg_auth, ra, secret);
	if (acct)
		pkt_authenticator(p->buf + 4, p->buf, p->len, zero, secret);
	return 0;
}

int rad_pkt_finish_answer(struct rad_pkt *p, const uint8_t *req, const char *secret)
{
	if (p->overflow)
		return -1;
	p->buf[1] = req[1];
	write_len(p);
	const uint8_t *ra = req + 4;
	memcpy(p->buf + 4, ra, RAD_AUTH_LEN);
	if (p->msg_auth >= 0)
		msg_auth_of(p->buf + p->msg_auth, p->buf, p->len, (size_t)p->msg_auth, ra, secret);
	pkt_authenticator(p->buf + 4, p->buf, p->len, ra, secret);
	return 0;
}

/* ---- checking ---- */

/* Length field within 20..len (and 4096), attributes well formed; the
 * packet's length and the Message-Authenticator's offset (-1: none). */
static int check_form(const uint8_t *pkt, size_t len, size_t *plen, long *ma)
{
	if (len < RAD_HDR_LEN)
		return fail(EBADMSG);
	size_t l = rad_pkt_len(pkt);
	if (l < RAD_HDR_LEN || l > len || l > RAD_PKT_MAX)
		return fail(EBADMSG);
	if (attrs_walk(pkt + RAD_HDR_LEN, l - RAD_HDR_LEN, ma) < 0)
		return fail(EBADMSG);
	if (*ma >= 0)
		*ma += RAD_HDR_LEN;
	*plen = l;
	return 0;
}

static bool answers(uint8_t req_code, uint8_t code)
{
	if (req_code == RAD_ACCESS_REQUEST)
		return code == RAD_ACCESS_ACCEPT || code == RAD_ACCESS_REJECT ||
		       code == RAD_ACCESS_CHALLENGE;
	if (req_code == RAD_ACCOUNTING_REQUEST)
		return code == RAD_ACCOUNTING_RESPONSE;
	return false;
}

int rad_pkt_check_answer(const uint8_t *ans, size_t len, const uint8_t *req, const char *secret)
{
	return rad_pkt_check_answer_ma(ans, len, req, secret, true);
}

int rad_pkt_check_answer_ma(const uint8_t *ans, size_t len, const uint8_t *req,
			    const char *secret, bool need_ma)
{
	size_t l;
	long ma;
	if (check_form(ans, len, &l, &ma) < 0)
		return -1;
	if (!answers(req[0], ans[0]) || ans[1] != req[1])
		return fail(EPROTO);
	uint8_t a[RAD_AUTH_LEN];
	pkt_authenticator(a, ans, l, req + 4, secret);
	if (!memeql_sec(a, ans + 4, RAD_AUTH_LEN))
		return fail(EACCES);
	if (ma < 0) {
		uint8_t n;
		if (need_ma && rad_attr_find(req, RAD_A_MESSAGE_AUTHENTICATOR, &n))
			return fail(EACCES);
		return 0;
	}
	uint8_t m[MSG_AUTH_LEN];
	msg_auth_of(m, ans, l, (size_t)ma, req + 4, secret);
	if (!memeql_sec(m, ans + ma, MSG_AUTH_LEN))
		return fail(EACCES);
	return 0;
}

int rad_pkt_check_request(const uint8_t *req, size_t len, const char *secret)
{
	static const uint8_t zero[RAD_AUTH_LEN];
	size_t l;
	long ma;
	if (check_form(req, len, &l, &ma) < 0)
		return -1;
	bool acct = req[0] == RAD_ACCOUNTING_REQUEST;
	if (!acct && req[0] != RAD_ACCESS_REQUEST)
		return fail(EPROTO);
	if (acct) {
		uint8_t a[RAD_AUTH_LEN];
		pkt_authenticator(a, req, l, zero, secret);
		if (!memeql_sec(a, req + 4, RAD_AUTH_LEN))
			return fail(EACCES);
	}
	if (ma >= 0) {
		uint8_t m[MSG_AUTH_LEN];
		msg_auth_of(m, req, l, (size_t)ma, acct ? zero : req + 4, secret);
		if (!memeql_sec(m, req + ma, MSG_AUTH_LEN))
			return fail(EACCES);
	}
	return 0;
}

int rad_pkt_password(const uint8_t *req, const char *secret, char *out, size_t cap)
{
	uint8_t n;
	const uint8_t *v = rad_attr_find(req, RAD_A_USER_PASSWORD, &n);
	if (!v || n < 16 || n > PW_MAX || n % 16 || cap < (size_t)n + 1)
		return -1;
	uint8_t clear[PW_MAX];
	pw_xor(clear, v, n, req + 4, secret, false);
	size_t l = n;
	while (l > 0 && clear[l - 1] == 0)
		l--;
	if (memchr(clear, 0, l))
		return -1;              /* a NUL inside: not a C string */
	memcpy(out, clear, l);
	out[l] = '\0';
	return (int)l;
}

/* ---- reading ---- */

int rad_attr_next(const uint8_t *pkt, size_t *off, struct rad_attr *a)
{
	size_t l = rad_pkt_len(pkt);
	size_t o = *off;
	if (o >= l)
		return 0;
	if (l - o < 2 || pkt[o + 1] < 2 || pkt[o + 1] > l - o)
		return -1;
	a->type = pkt[o];
	a->len = (uint8_t)(pkt[o + 1] - 2);
	a->val = pkt + o + 2;
	a->vendor = 0;
	a->vtype = 0;
	/* One vendor attribute filling the value exactly (RFC 2865 5.26):
	 * vendor-id (4), vendor-type, vendor-length (2 + data). */
	if (a->type == RAD_A_VENDOR_SPECIFIC && a->len >= 6 && a->val[5] >= 2 &&
	    4u + a->val[5] == a->len) {
		a->vendor = get32(a->val);
		a->vtype = a->val[4];
		a->len = (uint8_t)(a->val[5] - 2);
		a->val += 6;
	}
	*off = o + pkt[o + 1];
	return 1;
}

const uint8_t *rad_attr_find(const uint8_t *pkt, uint8_t type, uint8_t *len)
{
	size_t off = RAD_HDR_LEN;
	struct rad_attr a;
	while (rad_attr_next(pkt, &off, &a) == 1)
		if (a.type == type && a.vendor == 0) {
			*len = a.len;
			return a.val;
		}
	return NULL;
}

int rad_val_u32(const struct rad_attr *a, uint32_t *v)
{
	if (a->len != 4)
		return -1;
	*v = get32(a->val);
	return 0;
}

int rad_val_ip4(const struct rad_attr *a, uint32_t *addr)
{
	return rad_val_u32(a, addr);
}

int rad_val_ip6(const struct rad_attr *a, uint8_t out[16])
{
	if (a->len != 16)
		return -1;
	memcpy(out, a->val, 16);
	return 0;
}

int rad_val_ip6_prefix(const struct rad_attr *a, uint8_t out[16], uint8_t *plen)
{
	if (a->len < 2 || a->len > 18)
		return -1;
	unsigned pl = a->val[1];
	size_t n = a->len - 2u;
	if (pl > 128 || n < (pl + 7) / 8)
		return -1;
	memset(out, 0, 16);
	memcpy(out, a->val + 2, n);
	prefix_mask(out, pl);
	*plen = (uint8_t)pl;
	return 0;
}
