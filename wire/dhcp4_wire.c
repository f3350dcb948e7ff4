/* DHCPv4 wire format: zero-copy request parser and reply builder.
 *
 * Runs per packet on the lcores.  The parser touches each option byte once,
 * clears only the presence bitmap (idx[] and opts[] are written before they
 * are read), and never reads outside [buf, buf + len).
 */
#include "dhcp4_wire.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const char *const parse_err_names[] = {
	[DHCP4_OK] = "ok",
#define X(e, s) [DHCP4_ERR_##e] = s,
	DHCP4_PARSE_ERRORS(X)
#undef X
};

const char *dhcp4_parse_err_name(int err)
{
	if (err < 0)
		err = -err;
	if (err >= DHCP4_ERR_MAX)
		return "unknown";
	return parse_err_names[err];
}

static inline void set_present(struct dhcp4_pkt *p, uint8_t code)
{
	p->present[code >> 6] |= 1ull << (code & 63);
}

/* A repeated option (RFC 3396): its pieces are joined in pkt->concat.  The
 * joined value must be contiguous, so if another option was concatenated
 * since, the value so far is moved to the end first.  concat is bounded;
 * running out is treated like an option that runs past the packet. */
static int opt_append(struct dhcp4_pkt *p, struct dhcp4_opt_ref *o,
		      const uint8_t *data, uint8_t len)
{
	/* Unsigned arithmetic: a pointer into the packet gives a huge offset. */
	uintptr_t off = (uintptr_t)o->data - (uintptr_t)p->concat;
	bool at_tail = off < sizeof(p->concat) && off + o->len == p->concat_len;
	size_t need = at_tail ? len : (size_t)len + o->len;

	if (p->concat_len + need > sizeof(p->concat))
		return -DHCP4_ERR_OPT_OVERRUN;
	if (!at_tail) {
		memmove(p->concat + p->concat_len, o->data, o->len);
		o->data = p->concat + p->concat_len;
		p->concat_len += o->len;
	}
	memcpy(p->concat + p->concat_len, data, len);
	p->concat_len += len;
	o->len += len;
	return 0;
}

/* Walk one options area.  PAD is skipped, END stops the walk.  Reaching
 * the end of the area without END is accepted, as Kea and ISC dhcpd do:
 * many clients and relays fill the packet exactly.  A code byte without
 * room for its length, or a length running past the area, is an error. */
static int parse_area(struct dhcp4_pkt *p, const uint8_t *a, size_t n, bool main_area)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = a[i], olen;
		struct dhcp4_opt_ref *o;

		if (code == DHCP4_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP4_OPT_END)
			return 0;
		if (i + 2 > n)
			return -DHCP4_ERR_OPT_OVERRUN;
		olen = a[i + 1];
		if (i + 2 + olen > n)
			return -DHCP4_ERR_OPT_OVERRUN;
		if (code == DHCP4_OPT_OVERLOAD && !main_area)
			return -DHCP4_ERR_BAD_OVERLOAD;   /* RFC 2131 4.1: only in options */

		if (dhcp4_has_opt(p, code)) {
			int rc;

			o = &p->opts[p->idx[code]];
			rc = opt_append(p, o, a + i + 2, olen);
			if (rc < 0)
				return rc;
		} else {
			if (p->n_opts == DHCP4_MAX_OPTS)
				return -DHCP4_ERR_TOO_MANY_OPTS;
			p->idx[code] = p->n_opts;
			o = &p->opts[p->n_opts++];
			o->code = code;
			o->len = olen;
			o->data = a + i + 2;
			set_present(p, code);
		}
		i += 2 + (size_t)olen;
	}
	return 0;
}

int dhcp4_parse(struct dhcp4_pkt *p, const uint8_t *buf, size_t len)
{
	const struct dhcp4_hdr *h = (const struct dhcp4_hdr *)buf;
	const struct dhcp4_opt_ref *o;
	int rc;

	p->present[0] = p->present[1] = p->present[2] = p->present[3] = 0;
	p->n_opts = 0;
	p->concat_len = 0;
	p->msg_type = 0;
	p->overload = 0;
	p->hdr = h;
	p->len = len;

	if (buf == NULL || len < DHCP4_MIN_LEN)
		return -DHCP4_ERR_TRUNCATED;
	if (h->op != DHCP4_BOOTREQUEST)
		return -DHCP4_ERR_BAD_OP;
	if (h->hlen > 16)
		return -DHCP4_ERR_BAD_HLEN;
	if (memcmp(&h->magic, "\x63\x82\x53\x63", 4) != 0)
		return -DHCP4_ERR_BAD_MAGIC;

	rc = parse_area(p, buf + DHCP4_MIN_LEN, len - DHCP4_MIN_LEN, true);
	if (rc < 0)
		return rc;

	if (dhcp4_has_opt(p, DHCP4_OPT_OVERLOAD)) {
		o = &p->opts[p->idx[DHCP4_OPT_OVERLOAD]];
		if (o->len != 1 || o->data[0] < 1 || o->data[0] > 3)
			return -DHCP4_ERR_BAD_OVERLOAD;
		p->overload = o->data[0];
		/* RFC 2131 4.1: options, then file, then sname. */
		if (p->overload & 1) {
			rc = parse_area(p, (const uint8_t *)h->file, sizeof(h->file), false);
			if (rc < 0)
				return rc;
		}
		if (p->overload & 2) {
			rc = parse_area(p, (const uint8_t *)h->sname, sizeof(h->sname), false);
			if (rc < 0)
				return rc;
		}
	}

	if (!dhcp4_has_opt(p, DHCP4_OPT_MSG_TYPE))
		return -DHCP4_ERR_NO_MSG_TYPE;
	o = &p->opts[p->idx[DHCP4_OPT_MSG_TYPE]];
	if (o->len != 1 || o->data[0] < DHCP4_DISCOVER || o->data[0] > DHCP4_INFORM)
		return -DHCP4_ERR_BAD_MSG_TYPE;
	p->msg_type = o->data[0];
	return 0;
}

const uint8_t *dhcp4_opt(const struct dhcp4_pkt *p, uint8_t code, uint16_t *len)
{
	const struct dhcp4_opt_ref *o;

	if (!dhcp4_has_opt(p, code))
		return NULL;
	o = &p->opts[p->idx[code]];
	if (len != NULL)
		*len = o->len;
	return o->data;
}

void dhcp4_build_init(struct dhcp4_build *b, uint8_t *buf, size_t cap,
		      const struct dhcp4_hdr *req, uint8_t msg_type)
{
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;

	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
	b->added[0] = b->added[1] = b->added[2] = b->added[3] = 0;
	/* Header, cookie, option 53 and END must fit, or nothing is written. */
	if (cap < DHCP4_MIN_LEN + 3 + 1) {
		b->overflow = true;
		return;
	}

	memset(buf, 0, DHCP4_MIN_LEN);
	h->op = DHCP4_BOOTREPLY;
	h->htype = req->htype;
	h->hlen = req->hlen;
	h->xid = req->xid;
	h->flags = req->flags;
	h->giaddr = req->giaddr;
	memcpy(h->chaddr, req->chaddr, sizeof(h->chaddr));
	memcpy(&h->magic, "\x63\x82\x53\x63", 4);
	b->len = DHCP4_MIN_LEN;
	dhcp4_build_opt(b, DHCP4_OPT_MSG_TYPE, &msg_type, 1);
}

/* Values longer than 255 bytes go out as consecutive options of the same
 * code (RFC 3396), which the receiver joins.  One byte is always kept for
 * END so that finish cannot fail after every option was accepted.  PAD and
 * END are not options: passing them is a caller bug (-EINVAL). */
int dhcp4_build_opt(struct dhcp4_build *b, uint8_t code, const void *data, size_t len)
{
	const uint8_t *d = data;
	size_t pieces;
	uint8_t *o;

	if (code == DHCP4_OPT_PAD || code == DHCP4_OPT_END)
		return -EINVAL;
	/* The common case, one piece, without the split loop: a reply adds
	 * about ten small options, and this was 14% of a DORA's instructions
	 * (callgrind, bench/fastpath). */
	if (len <= 255) {
		if (b->overflow || b->len + len + 3 > b->cap) {
			b->overflow = true;
			return -ENOSPC;
		}
		o = b->buf + b->len;
		o[0] = code;
		o[1] = (uint8_t)len;
		if (len == 4)
			memcpy(o + 2, d, 4);
		else if (len == 1)
			o[2] = d[0];
		else if (len)
			memcpy(o + 2, d, len);
		b->len += 2 + len;
		b->added[code >> 6] |= 1ull << (code & 63);
		return 0;
	}
	pieces = (len + 254) / 255;
	if (b->overflow || b->len + len + 2 * pieces + 1 > b->cap) {
		b->overflow = true;
		return -ENOSPC;
	}
	do {
		size_t n = len > 255 ? 255 : len;

		b->buf[b->len] = code;
		b->buf[b->len + 1] = (uint8_t)n;
		if (n > 0)
			memcpy(b->buf + b->len + 2, d, n);
		b->len += 2 + n;
		d += n;
		len -= n;
	} while (len > 0);
	b->added[code >> 6] |= 1ull << (code & 63);
	return 0;
}

size_t dhcp4_build_finish(struct dhcp4_build *b)
{
	if (b->overflow)
		return 0;
	b->buf[b->len++] = DHCP4_OPT_END;
	if (b->len < DHCP4_BOOTP_MIN && b->cap >= DHCP4_BOOTP_MIN) {
		memset(b->buf + b->len, 0, DHCP4_BOOTP_MIN - b->len);
		b->len = DHCP4_BOOTP_MIN;
	}
	return b->len;
}
