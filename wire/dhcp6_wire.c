/* DHCPv6 wire format (RFC 8415): zero-copy parser and reply builder.
 *
 * Runs per packet on the lcores and is fuzzed: every length is checked
 * against what is left of its container before the bytes it covers are
 * read, and the walk over options is one loop (opt_next) shared by the
 * message, the relay hops, the IAs and their addresses.  The parser clears
 * only the fields it fills by search (ids, flags, counters), not the
 * arrays: a dhcp6_pkt is some 5 KB and is reused per packet.
 */
#include "dhcp6_wire.h"
#include "wire_bytes.h"

#include <errno.h>
#include <string.h>

#define OPT_HDR_LEN     4      /* code, length */
#define IA_NA_FIXED     12     /* iaid, T1, T2 (IA_PD has the same) */
#define IA_TA_FIXED     4      /* iaid */
#define IAADDR_FIXED    24     /* address, preferred, valid */
#define IAPREFIX_FIXED  25     /* preferred, valid, prefix length, prefix */
#define REMOTE_ID_MIN   4      /* RFC 4649: enterprise number, then the id */

static const char *const parse_err_names[] = {
	[DHCP6_OK] = "ok",
#define X(e, s) [DHCP6_ERR_##e] = s,
	DHCP6_PARSE_ERRORS(X)
#undef X
};

const char *dhcp6_parse_err_name(int err)
{
	if (err < 0)
		err = -err;
	if (err >= DHCP6_ERR_MAX)
		return "unknown";
	return parse_err_names[err];
}

/* The option at *off in the area [a, a + n): 1 with *o filled and *off
 * moved past it, 0 at the end of the area, or -OPT_OVERRUN when a header
 * or a value does not fit.  Unlike DHCPv4 there is no padding or END:
 * the area must be used up exactly. */
static int opt_next(const uint8_t *a, size_t n, size_t *off, struct dhcp6_opt_ref *o)
{
	size_t left = n - *off;

	if (left == 0)
		return 0;
	if (left < OPT_HDR_LEN)
		return -DHCP6_ERR_OPT_OVERRUN;
	o->code = rd16(a + *off);
	o->len = rd16(a + *off + 2);
	if (o->len > left - OPT_HDR_LEN)
		return -DHCP6_ERR_OPT_OVERRUN;
	o->data = a + *off + OPT_HDR_LEN;
	*off += OPT_HDR_LEN + (size_t)o->len;
	return 1;
}

/* Walk an area only to see that its options fit (an address's own). */
static int opts_check(const uint8_t *a, size_t n)
{
	struct dhcp6_opt_ref o;
	size_t off = 0;
	int rc;

	while ((rc = opt_next(a, n, &off, &o)) > 0)
		;
	return rc;
}

/* Keep the first of an option that may appear once: a second is refused,
 * since whichever copy the server used, a relay or client reading the
 * other would disagree with it. */
static int take_once(struct dhcp6_opt_ref *slot, const struct dhcp6_opt_ref *o)
{
	if (slot->data != NULL)
		return -DHCP6_ERR_DUP_OPTION;
	*slot = *o;
	return 0;
}

/* One IAADDR or IAPREFIX of an IA.  Past DHCP6_MAX_IA_ADDRS they are
 * counted, not kept: a client that sends many hints still gets an answer
 * for the IA.  The count saturates rather than wraps. */
static int parse_iaaddr(struct dhcp6_ia *ia, const struct dhcp6_opt_ref *o)
{
	const uint8_t *d = o->data;
	struct dhcp6_iaaddr *a;
	size_t fixed = o->code == DHCP6_OPT_IAPREFIX ? IAPREFIX_FIXED : IAADDR_FIXED;
	int rc;

	if (o->len < fixed)
		return -DHCP6_ERR_BAD_IA;
	if (o->code == DHCP6_OPT_IAPREFIX && d[8] > 128)
		return -DHCP6_ERR_BAD_IA;
	rc = opts_check(d + fixed, o->len - fixed);
	if (rc < 0)
		return rc;
	if (ia->n_addrs == DHCP6_MAX_IA_ADDRS) {
		if (ia->n_dropped < UINT8_MAX)
			ia->n_dropped++;
		return 0;
	}
	a = &ia->addrs[ia->n_addrs++];
	if (o->code == DHCP6_OPT_IAPREFIX) {
		a->pref = rd32(d);
		a->valid = rd32(d + 4);
		a->plen = d[8];
		a->addr = d + 9;
	} else {
		a->addr = d;
		a->plen = 128;
		a->pref = rd32(d + 16);
		a->valid = rd32(d + 20);
	}
	a->opts = d + fixed;
	a->opts_len = (uint16_t)(o->len - fixed);
	return 0;
}

/* IA_NA, IA_TA or IA_PD.  IAADDRs count in IA_NA and IA_TA, IAPREFIXes in
 * IA_PD; the other kind, and anything else, stays in the raw options. */
static int parse_ia(struct dhcp6_pkt *p, const struct dhcp6_opt_ref *o)
{
	size_t fixed = o->code == DHCP6_OPT_IA_TA ? IA_TA_FIXED : IA_NA_FIXED;
	uint16_t want = o->code == DHCP6_OPT_IA_PD ? DHCP6_OPT_IAPREFIX : DHCP6_OPT_IAADDR;
	struct dhcp6_opt_ref sub;
	struct dhcp6_ia *ia;
	size_t off = 0;
	int rc;

	if (p->n_ias == DHCP6_MAX_IAS)
		return -DHCP6_ERR_TOO_MANY_IAS;
	if (o->len < fixed)
		return -DHCP6_ERR_BAD_IA;
	ia = &p->ias[p->n_ias++];
	ia->type = o->code;
	ia->iaid = rd32(o->data);
	ia->t1 = fixed == IA_NA_FIXED ? rd32(o->data + 4) : 0;
	ia->t2 = fixed == IA_NA_FIXED ? rd32(o->data + 8) : 0;
	ia->opts = o->data + fixed;
	ia->opts_len = (uint16_t)(o->len - fixed);
	ia->n_addrs = ia->n_dropped = 0;
	while ((rc = opt_next(ia->opts, ia->opts_len, &off, &sub)) > 0) {
		if (sub.code != want)
			continue;
		rc = parse_iaaddr(ia, &sub);
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* The option checks of the client message: the ones the server reads are
 * indexed (ids, ORO, elapsed time, flags, IAs), every one is kept in
 * opts[] in wire order. */
static int parse_msg_opt(struct dhcp6_pkt *p, const struct dhcp6_opt_ref *o)
{
	switch (o->code) {
	case DHCP6_OPT_CLIENTID:
	case DHCP6_OPT_SERVERID:
		if (o->len == 0 || o->len > DHCP6_DUID_MAX)
			return -DHCP6_ERR_BAD_DUID;
		return take_once(o->code == DHCP6_OPT_CLIENTID ? &p->client_id : &p->server_id, o);
	case DHCP6_OPT_IA_NA:
	case DHCP6_OPT_IA_TA:
	case DHCP6_OPT_IA_PD:
		return parse_ia(p, o);
	case DHCP6_OPT_ORO:
		if (o->len & 1)
			return -DHCP6_ERR_BAD_OPT_LEN;
		if (p->oro.data == NULL)
			p->oro = *o;
		return 0;
	case DHCP6_OPT_ELAPSED_TIME:
		if (o->len != 2)
			return -DHCP6_ERR_BAD_OPT_LEN;
		if (p->elapsed.data == NULL)
			p->elapsed = *o;
		return 0;
	case DHCP6_OPT_STATUS_CODE:
		return o->len < 2 ? -DHCP6_ERR_BAD_OPT_LEN : 0;
	case DHCP6_OPT_RAPID_COMMIT:
	case DHCP6_OPT_RECONF_ACCEPT:
		if (o->len != 0)
			return -DHCP6_ERR_BAD_OPT_LEN;
		if (o->code == DHCP6_OPT_RAPID_COMMIT)
			p->rapid_commit = true;
		else
			p->reconf_accept = true;
		return 0;
	default:
		return 0;
	}
}

static int parse_msg(struct dhcp6_pkt *p, const uint8_t *m, size_t n)
{
	struct dhcp6_opt_ref o;
	size_t off = 0;
	int rc;

	if (n < DHCP6_HDR_LEN)
		return -DHCP6_ERR_TRUNCATED;
	p->msg = m;
	p->msg_len = n;
	p->msg_type = m[0];
	p->transid = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	while ((rc = opt_next(m + DHCP6_HDR_LEN, n - DHCP6_HDR_LEN, &off, &o)) > 0) {
		if (p->n_opts == DHCP6_MAX_OPTS)
			return -DHCP6_ERR_TOO_MANY_OPTS;
		p->opts[p->n_opts++] = o;
		rc = parse_msg_opt(p, &o);
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* One relay hop: its header and options.  *inner gets the RELAY_MSG,
 * which is the next hop or the client message. */
static int parse_relay(struct dhcp6_pkt *p, const uint8_t *m, size_t n,
		       struct dhcp6_opt_ref *inner)
{
	struct dhcp6_relay *r;
	struct dhcp6_opt_ref o;
	size_t off = 0;
	int rc;

	if (n < DHCP6_RELAY_HDR_LEN)
		return -DHCP6_ERR_TRUNCATED;
	if (p->n_relays == DHCP6_MAX_RELAYS)
		return -DHCP6_ERR_RELAY_TOO_DEEP;
	/* Only a buffer longer than any UDP payload gets past this (an inner
	 * hop is the value of a 16-bit option): opts_len could not say it. */
	if (n - DHCP6_RELAY_HDR_LEN > UINT16_MAX)
		return -DHCP6_ERR_OPT_OVERRUN;
	r = &p->relays[p->n_relays++];
	r->hop_count = m[1];
	r->link_addr = m + 2;
	r->peer_addr = m + 18;
	r->opts = m + DHCP6_RELAY_HDR_LEN;
	r->opts_len = (uint16_t)(n - DHCP6_RELAY_HDR_LEN);
	r->interface_id = (struct dhcp6_opt_ref){ DHCP6_OPT_INTERFACE_ID, 0, NULL };
	r->remote_id = (struct dhcp6_opt_ref){ DHCP6_OPT_REMOTE_ID, 0, NULL };
	inner->data = NULL;
	while ((rc = opt_next(r->opts, r->opts_len, &off, &o)) > 0) {
		switch (o.code) {
		case DHCP6_OPT_RELAY_MSG:
			rc = take_once(inner, &o);
			break;
		case DHCP6_OPT_INTERFACE_ID:
			rc = take_once(&r->interface_id, &o);
			break;
		case DHCP6_OPT_REMOTE_ID:
			rc = o.len < REMOTE_ID_MIN ? -DHCP6_ERR_BAD_OPT_LEN
						   : take_once(&r->remote_id, &o);
			break;
		default:
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	return inner->data == NULL ? -DHCP6_ERR_NO_RELAY_MSG : 0;
}

/* The chain is walked in a loop, not by recursion: its depth is the
 * sender's choice, the stack's is not.  RELAY-REPL has the shape of
 * RELAY-FORW and is walked the same way, so a built reply parses back. */
int dhcp6_parse(struct dhcp6_pkt *p, const uint8_t *buf, size_t len)
{
	static const struct dhcp6_opt_ref none;
	const uint8_t *m = buf;
	size_t n = len;
	int rc;

	p->buf = buf;
	p->len = len;
	p->n_relays = 0;
	p->msg = NULL;
	p->msg_len = 0;
	p->msg_type = 0;
	p->transid = 0;
	p->n_opts = 0;
	p->client_id = p->server_id = p->oro = p->elapsed = none;
	p->rapid_commit = p->reconf_accept = false;
	p->n_ias = 0;

	for (;;) {
		struct dhcp6_opt_ref inner;

		if (m == NULL || n == 0)
			return -DHCP6_ERR_TRUNCATED;
		if (m[0] < DHCP6_SOLICIT || m[0] > DHCP6_RELAY_REPL)
			return -DHCP6_ERR_BAD_MSG_TYPE;
		if (m[0] != DHCP6_RELAY_FORW && m[0] != DHCP6_RELAY_REPL)
			return parse_msg(p, m, n);
		rc = parse_relay(p, m, n, &inner);
		if (rc < 0)
			return rc;
		m = inner.data;
		n = inner.len;
	}
}

const uint8_t *dhcp6_opt(const struct dhcp6_pkt *p, uint16_t code, uint16_t *len)
{
	for (unsigned i = 0; i < p->n_opts; i++) {
		if (p->opts[i].code == code) {
			if (len != NULL)
				*len = p->opts[i].len;
			return p->opts[i].data;
		}
	}
	return NULL;
}

const uint8_t *dhcp6_opt_in(const uint8_t *opts, size_t opts_len, uint16_t code,
			    uint16_t *len)
{
	struct dhcp6_opt_ref o;
	size_t off = 0;

	if (opts == NULL)
		return NULL;
	while (opt_next(opts, opts_len, &off, &o) > 0) {
		if (o.code == code) {
			if (len != NULL)
				*len = o.len;
			return o.data;
		}
	}
	return NULL;
}

bool dhcp6_oro_has(const struct dhcp6_pkt *p, uint16_t code)
{
	for (size_t i = 0; i + 1 < p->oro.len; i += 2)
		if (rd16(p->oro.data + i) == code)
			return true;
	return false;
}

/* ---------------------------------------------------------------- builder */

/* n more bytes at the end of the reply, or NULL (overflow set).  Once
 * something did not fit, nothing more is written: the reply is dropped,
 * and a later small option must not land where a larger one failed. */
static uint8_t *room(struct dhcp6_build *b, size_t n)
{
	uint8_t *p;

	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return NULL;
	}
	p = b->buf + b->len;
	b->len += n;
	return p;
}

/* An option header and its first `len` bytes of value; the offset of the
 * header, or -1. */
static int put_opt(struct dhcp6_build *b, uint16_t code, const void *data, size_t len)
{
	uint8_t *o = room(b, OPT_HDR_LEN + len);

	if (o == NULL)
		return -1;
	wr16(o, code);
	wr16(o + 2, (uint16_t)len);
	if (len)
		memcpy(o + OPT_HDR_LEN, data, len);
	return (int)(o - b->buf);
}

/* Echo one of a hop's options (interface-id, remote-id) when it has it. */
static void echo_opt(struct dhcp6_build *b, const struct dhcp6_opt_ref *o)
{
	if (o->data != NULL)
		put_opt(b, o->code, o->data, o->len);
}

void dhcp6_build_init(struct dhcp6_build *b, uint8_t *buf, size_t cap,
		      const struct dhcp6_pkt *req, uint8_t msg_type)
{
	uint8_t *h;
	int o;

	b->buf = buf;
	b->cap = cap > DHCP6_BUILD_MAX ? DHCP6_BUILD_MAX : cap;
	b->len = 0;
	b->overflow = false;
	b->n_relays = 0;
	/* Outermost first, as the request's chain was read: each hop's
	 * RELAY_MSG is its last option, so its value runs to the end of the
	 * reply and finish can size it from the final length. */
	for (unsigned i = 0; i < req->n_relays; i++) {
		const struct dhcp6_relay *r = &req->relays[i];

		h = room(b, DHCP6_RELAY_HDR_LEN);
		if (h == NULL)
			return;
		h[0] = DHCP6_RELAY_REPL;
		h[1] = r->hop_count;
		memcpy(h + 2, r->link_addr, 16);
		memcpy(h + 18, r->peer_addr, 16);
		echo_opt(b, &r->interface_id);
		echo_opt(b, &r->remote_id);
		o = put_opt(b, DHCP6_OPT_RELAY_MSG, NULL, 0);
		if (o < 0)
			return;
		b->relay_len_off[b->n_relays++] = (uint16_t)(o + 2);
	}
	h = room(b, DHCP6_HDR_LEN);
	if (h == NULL)
		return;
	h[0] = msg_type;
	h[1] = (uint8_t)(req->transid >> 16);
	h[2] = (uint8_t)(req->transid >> 8);
	h[3] = (uint8_t)req->transid;
}

int dhcp6_build_opt(struct dhcp6_build *b, uint16_t code, const void *data, size_t len)
{
	return put_opt(b, code, data, len) < 0 ? -ENOSPC : 0;
}

int dhcp6_build_open(struct dhcp6_build *b, uint16_t code, const void *fixed, size_t fixed_len)
{
	return put_opt(b, code, fixed, fixed_len);
}

/* The length covers everything written since the open: the fixed fields
 * and the options added inside.  A handle from a failed open (or any
 * close after an overflow) writes nothing: the reply is void anyway. */
void dhcp6_build_close(struct dhcp6_build *b, int handle)
{
	if (handle < 0 || b->overflow || (size_t)handle + OPT_HDR_LEN > b->len)
		return;
	wr16(b->buf + handle + 2, (uint16_t)(b->len - (size_t)handle - OPT_HDR_LEN));
}

int dhcp6_build_status(struct dhcp6_build *b, uint16_t status, const char *msg)
{
	size_t n = msg != NULL ? strlen(msg) : 0;
	uint8_t code[2], *text;
	int h;

	wr16(code, status);
	h = dhcp6_build_open(b, DHCP6_OPT_STATUS_CODE, code, sizeof(code));
	text = room(b, n);
	if (h < 0 || text == NULL)
		return -ENOSPC;
	if (n)
		memcpy(text, msg, n);
	dhcp6_build_close(b, h);
	return 0;
}

size_t dhcp6_build_finish(struct dhcp6_build *b)
{
	if (b->overflow)
		return 0;
	for (unsigned i = 0; i < b->n_relays; i++) {
		size_t off = b->relay_len_off[i];

		wr16(b->buf + off, (uint16_t)(b->len - off - 2));
	}
	return b->len;
}
