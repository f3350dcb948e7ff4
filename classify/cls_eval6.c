/* What the DHCPv6 tokens read, per packet on a worker: the parsed view
 * (struct dhcp6_pkt) and the raw option areas it points into.  The
 * evaluator in cls_eval.c calls cls_load6 for every DHCPv6 input op; the
 * operators and functions are the same for both universes.
 *
 * No allocation, and every walk is bounded by the lengths it is given:
 * the counts of a view built by hand (tests, the fuzzer) are clamped to
 * the arrays, and an option area is walked only while whole options fit.
 */
#include <errno.h>
#include <string.h>

#include "cls_internal.h"
#include "dhcp6_wire.h"

static inline uint16_t rd16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);       /* operands are host order (the compiler's put16) */
	return v;
}

static inline uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static inline uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The first option `code` in a raw DHCPv6 option area (2-byte code, 2-byte
 * length, value, all network order): a relay's options, the sub-options
 * of option 17.  An option that runs past the end stops the walk, as it
 * stops Kea's unpacking (what came before it is kept).  NULL if absent. */
static const uint8_t *area_opt(const uint8_t *d, size_t n, uint16_t code, uint16_t *len)
{
	size_t i = 0;

	if (d == NULL)
		return NULL;
	while (n - i >= 4) {
		uint16_t l = be16(d + i + 2);

		if (l > n - i - 4)
			return NULL;
		if (be16(d + i) == code) {
			*len = l;
			return d + i + 4;
		}
		i += 4 + (size_t)l;
	}
	return NULL;
}

/* The first top-level option `code` of the client message (Kea reads the
 * first instance of a repeated option).  An entry without data is not
 * there.  NULL if absent. */
static const uint8_t *msg_opt(const struct dhcp6_pkt *p, uint16_t code, uint16_t *len)
{
	unsigned n = p->n_opts < DHCP6_MAX_OPTS ? p->n_opts : DHCP6_MAX_OPTS;

	for (unsigned i = 0; i < n; i++) {
		if (p->opts[i].code == code && p->opts[i].data != NULL) {
			*len = p->opts[i].len;
			return p->opts[i].data;
		}
	}
	return NULL;
}

/* Kea numbers relays from the server's side: relay6[0] is the relay that
 * sent the packet to the server, the outermost RELAY-FORW, which is
 * dhcp6_pkt.relays[0]; relay6[1] is the relay that sent the packet to
 * relay6[0], and so on towards the client.  A negative level counts from
 * the client's side: relay6[-1] is the relay next to the client,
 * relays[n_relays - 1].  NULL when the packet has no relay at that level
 * (not relayed at all, or fewer hops). */
static const struct dhcp6_relay *relay_at(const struct dhcp6_pkt *p, int8_t nest)
{
	int n = p->n_relays < DHCP6_MAX_RELAYS ? p->n_relays : DHCP6_MAX_RELAYS;
	int i = nest >= 0 ? nest : n + nest;

	return i >= 0 && i < n ? &p->relays[i] : NULL;
}

/* Option 17 (vendor-opts) as Kea reads it: the first instance, holding an
 * enterprise number and sub-options.  NULL when absent, shorter than an
 * enterprise number, or of another enterprise than want (0: any). */
static const uint8_t *vendor_opts(const struct dhcp6_pkt *p, uint32_t want, uint16_t *len)
{
	const uint8_t *d = msg_opt(p, DHCP6_OPT_VENDOR_OPTS, len);

	if (d == NULL || *len < 4 || (want != 0 && cls_be32(d) != want))
		return NULL;
	return d;
}

const uint8_t *cls_vendor_class6(const struct dhcp6_pkt *p, uint32_t want, unsigned index,
				 const uint8_t **data, uint16_t *dlen)
{
	uint16_t n;
	const uint8_t *d = msg_opt(p, DHCP6_OPT_VENDOR_CLASS, &n);
	size_t off = 4;
	unsigned i = 0;

	*data = NULL;
	*dlen = 0;
	if (d == NULL || n < 4 || (want != 0 && cls_be32(d) != want))
		return NULL;
	while (off < n) {
		uint16_t l;

		if (n - off < 2 || (l = be16(d + off)) > n - off - 2) {
			*data = NULL;           /* malformed: no tuple either */
			*dlen = 0;
			return NULL;
		}
		if (i++ == index) {
			*data = d + off + 2;
			*dlen = l;
		}
		off += 2 + (size_t)l;
	}
	return d;
}

int cls_load6(enum cls_op op, const uint8_t *pc, const struct cls_env6 *env,
	      struct cls_scratch *s, struct cls_val *v)
{
	const struct dhcp6_pkt *pkt = env->pkt;
	const struct dhcp6_relay *r;
	const uint8_t *d = NULL;
	size_t n = 0;
	uint16_t n16 = 0;
	const uint8_t *tuple;
	uint32_t u;
	bool exists = false;

	switch (op) {
	case CLS_OP_OPT6_EX:
		exists = true;
		/* fall through */
	case CLS_OP_OPT6:
		d = msg_opt(pkt, rd16(pc), &n16);
		n = n16;
		break;
	case CLS_OP_R6_OPT_EX:
		exists = true;
		/* fall through */
	case CLS_OP_R6_OPT:
		r = relay_at(pkt, (int8_t)pc[0]);
		if (r != NULL)
			d = area_opt(r->opts, r->opts_len, rd16(pc + 1), &n16);
		n = n16;
		break;
	case CLS_OP_R6_PEER:
	case CLS_OP_R6_LINK:
		r = relay_at(pkt, (int8_t)pc[0]);
		if (r != NULL)
			d = op == CLS_OP_R6_PEER ? r->peer_addr : r->link_addr;
		n = 16;
		break;
	case CLS_OP_IFACE6:
		d = (const uint8_t *)env->iface;
		n = d != NULL ? strlen(env->iface) : 0;
		break;
	case CLS_OP_SRC6:
	case CLS_OP_DST6:
		d = op == CLS_OP_SRC6 ? env->src : env->dst;
		n = 16;
		break;
	case CLS_OP_LEN6:
	case CLS_OP_MSGTYPE6:
	case CLS_OP_TRANSID6:
		/* 4-byte big-endian integers, as Kea gives them; pkt.len is
		 * the whole UDP payload, relay headers included. */
		u = op == CLS_OP_LEN6 ? (uint32_t)pkt->len :
		    op == CLS_OP_MSGTYPE6 ? pkt->msg_type : pkt->transid & 0xffffff;
		d = cls_put_u32(s, u);
		if (d == NULL)
			return -ENOSPC;
		n = 4;
		break;
	case CLS_OP_VEN6_ENT:
		d = vendor_opts(pkt, 0, &n16);
		n = 4;
		break;
	case CLS_OP_VEN6_EX:
		exists = true;
		d = vendor_opts(pkt, rd32(pc), &n16);
		break;
	case CLS_OP_VEN6_OPT_EX:
		exists = true;
		/* fall through */
	case CLS_OP_VEN6_OPT:
		d = vendor_opts(pkt, rd32(pc), &n16);
		if (d != NULL)
			d = area_opt(d + 4, n16 - 4u, rd16(pc + 4), &n16);
		n = n16;
		break;
	case CLS_OP_VCL6_ENT:
		d = cls_vendor_class6(pkt, 0, 0, &tuple, &n16);
		n = 4;
		break;
	case CLS_OP_VCL6_EX:
		exists = true;
		d = cls_vendor_class6(pkt, rd32(pc), 0, &tuple, &n16);
		break;
	case CLS_OP_VCL6_DATA:
		cls_vendor_class6(pkt, rd32(pc), pc[4], &d, &n16);
		n = n16;
		break;
	default:
		return -EINVAL;    /* not a DHCPv6 input op */
	}
	if (exists) {
		v->p = NULL;
		v->n = d != NULL;
	} else if (d != NULL) {
		v->p = d;
		v->n = (uint32_t)n;
	} else {
		v->p = cls_empty;
		v->n = 0;
	}
	return 0;
}
