/* Bytecode evaluator: runs per packet on a worker.  No allocation, no
 * locks, no system calls: a fixed value stack (the compiler refused
 * anything deeper) and a bounded scratch buffer for the bytes that
 * functions make.  Values are views; most point into the packet.  The
 * DHCPv4 inputs are read here, the DHCPv6 ones in cls_eval6.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cls_internal.h"
#include "dhcp4_wire.h"

const uint8_t cls_empty[1];

static inline uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static inline uint16_t rd16le(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

/* Sub-option `code` of a code/len/value list (option 82, a vendor block).
 * A truncated entry ends the search. */
static const uint8_t *subopt(const uint8_t *d, size_t n, uint8_t code, uint8_t *len)
{
	size_t i = 0;

	while (i + 2 <= n) {
		uint8_t c = d[i], l = d[i + 1];

		if (i + 2 + l > n)
			return NULL;
		if (c == code) {
			*len = l;
			return d + i + 2;
		}
		i += 2 + l;
	}
	return NULL;
}

/* Option 125 (RFC 3925 V-I vendor-specific information) as Kea 1.4 reads
 * it: the first enterprise number and its data block.  NULL when absent
 * or shorter than an enterprise number. */
static const uint8_t *vivso(const struct dhcp4_pkt *p, uint32_t want, const uint8_t **blk, size_t *blen)
{
	uint16_t n;
	const uint8_t *d = dhcp4_opt(p, 125, &n);

	if (d == NULL || n < 4)
		return NULL;
	if (want != 0 && cls_be32(d) != want)
		return NULL;
	*blk = NULL;
	*blen = 0;
	if (n >= 5) {
		*blk = d + 5;
		*blen = d[4] <= n - 5 ? d[4] : (size_t)(n - 5);
	}
	return d;
}

/* Option 124 (V-I vendor class) validated the way Kea 1.4's
 * OptionVendorClass::unpack does: enterprise, then tuples (1-byte length
 * and data), each later tuple preceded by its own enterprise number that
 * Kea ignores.  A malformed option is treated as absent.  Returns the
 * option (enterprise at d[0..3]) and, for `index`, the tuple's data. */
static const uint8_t *vivco(const struct dhcp4_pkt *p, uint32_t want, unsigned index,
			    const uint8_t **data, uint8_t *dlen)
{
	uint16_t n;
	const uint8_t *d = dhcp4_opt(p, 124, &n);
	size_t off = 4;
	unsigned i = 0;

	*data = NULL;
	*dlen = 0;
	if (d == NULL || n < 5)
		return NULL;
	while (off < n) {
		uint8_t l = d[off];

		if (off + 1 + l > n)
			goto none;
		if (i++ == index) {
			*data = d + off + 1;
			*dlen = l;
		}
		off += 1 + l;
		if (off != n) {
			off += 4;
			if (off + 1 >= n)
				goto none;
		}
	}
	if (want != 0 && cls_be32(d) != want)
		goto none;
	return d;
none:           /* malformed (a tuple found before the flaw included), or not want */
	*data = NULL;
	*dlen = 0;
	return NULL;
}

/* Kea's substring(): negative start counts from the end, a negative
 * length takes the bytes before start. */
static struct cls_val substr(struct cls_val v, int32_t start32, int32_t len32, bool all)
{
	long long len = all ? (long long)v.n : (long long)len32, start = start32, sl = v.n;
	struct cls_val r = { cls_empty, 0 };

	if (v.n == 0 || start < -sl || start >= sl)
		return r;
	if (start < 0)
		start += sl;
	if (len < 0) {
		len = -len;
		if (len <= start) {
			start -= len;
		} else {
			len = start;
			start = 0;
		}
	}
	if (len > sl - start)
		len = sl - start;
	r.p = v.p + start;
	r.n = (uint32_t)len;
	return r;
}

static struct cls_val split(struct cls_val v, struct cls_val delims, int32_t field)
{
	struct cls_val r = { cls_empty, 0 };
	uint32_t i, from = 0;
	int32_t f = 1;

	if (v.n == 0)
		return r;
	if (delims.n == 0)
		return v;
	if (field < 1)
		return r;
	for (i = 0; i <= v.n; i++) {
		if (i < v.n && memchr(delims.p, v.p[i], delims.n) == NULL)
			continue;
		if (f == field) {
			r.p = v.p + from;
			r.n = i - from;
			return r;
		}
		f++;
		from = i + 1;
	}
	return r;
}

static size_t utoa(char *b, unsigned long long v)
{
	char t[24];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		b[i] = t[n - 1 - i];
	return n;
}

static size_t itoa(char *b, long long v)
{
	if (v < 0) {
		b[0] = '-';
		return 1 + utoa(b + 1, (unsigned long long)(-(v + 1)) + 1);
	}
	return utoa(b, (unsigned long long)v);
}

/* int8totext..uint32totext: a value of the exact size, big endian. */
static int int2txt(enum cls_op o, struct cls_val v, struct cls_scratch *s, struct cls_val *r)
{
	static const uint8_t size[] = {
		[CLS_OP_I8TXT - CLS_OP_I8TXT] = 1, [CLS_OP_I16TXT - CLS_OP_I8TXT] = 2,
		[CLS_OP_I32TXT - CLS_OP_I8TXT] = 4, [CLS_OP_U8TXT - CLS_OP_I8TXT] = 1,
		[CLS_OP_U16TXT - CLS_OP_I8TXT] = 2, [CLS_OP_U32TXT - CLS_OP_I8TXT] = 4,
	};
	unsigned want = size[o - CLS_OP_I8TXT];
	unsigned long long u = 0;
	char b[24];
	size_t n;
	uint8_t *out;

	if (v.n == 0) {
		*r = v;       /* Kea leaves an empty value as it is */
		return 0;
	}
	if (v.n != want)
		return -EDOM;
	for (unsigned i = 0; i < want; i++)
		u = u << 8 | v.p[i];
	switch (o) {
	case CLS_OP_I8TXT:  n = itoa(b, (int8_t)u); break;
	case CLS_OP_I16TXT: n = itoa(b, (int16_t)u); break;
	case CLS_OP_I32TXT: n = itoa(b, (int32_t)u); break;
	default:            n = utoa(b, u); break;
	}
	out = cls_take(s, n);
	if (out == NULL)
		return -ENOSPC;
	memcpy(out, b, n);
	r->p = out;
	r->n = (uint32_t)n;
	return 0;
}

static int addr2txt(struct cls_val v, struct cls_scratch *s, struct cls_val *r)
{
	char b[INET6_ADDRSTRLEN];
	size_t n;
	uint8_t *out;

	if (v.n == 0) {
		*r = v;
		return 0;
	}
	if (v.n == 4) {
		n = 0;
		for (int i = 0; i < 4; i++) {
			if (i)
				b[n++] = '.';
			n += utoa(b + n, v.p[i]);
		}
	} else if (v.n == 16) {
		uint8_t a[16];

		memcpy(a, v.p, 16);
		if (inet_ntop(AF_INET6, a, b, sizeof(b)) == NULL)
			return -EDOM;
		n = strlen(b);
	} else {
		return -EDOM;
	}
	out = cls_take(s, n);
	if (out == NULL)
		return -ENOSPC;
	memcpy(out, b, n);
	r->p = out;
	r->n = (uint32_t)n;
	return 0;
}

/* Where the 4-byte header fields are. */
static const uint8_t hdr_field[CLS_OP_MAX] = {
	[CLS_OP_CIADDR] = offsetof(struct dhcp4_hdr, ciaddr),
	[CLS_OP_GIADDR] = offsetof(struct dhcp4_hdr, giaddr),
	[CLS_OP_YIADDR] = offsetof(struct dhcp4_hdr, yiaddr),
	[CLS_OP_SIADDR] = offsetof(struct dhcp4_hdr, siaddr),
	[CLS_OP_TRANSID] = offsetof(struct dhcp4_hdr, xid),
};

/* The value an input op (CLS_OP_OPT .. CLS_OP_VCL_DATA) gives for the
 * packet in env: a view, or a boolean (p NULL, n 0/1) for the .exists
 * forms.  pc points at the op's operands.  0, or -ENOSPC when the scratch
 * is full.  The evaluator and the classification cache's key (which must
 * see exactly what the programs see) both read inputs through here. */
static inline __attribute__((always_inline)) int
load(enum cls_op op, const uint8_t *pc, const struct cls_env *env, struct cls_scratch *s,
     struct cls_val *v)
{
	const struct dhcp4_pkt *pkt = env->pkt;
	const struct dhcp4_hdr *h = pkt->hdr;
	const uint8_t *d, *blk;
	size_t blen;
	uint16_t n16;
	uint8_t l8 = 0, *o;

#define VIEW(P, N) do { v->p = (P); v->n = (uint32_t)(N); } while (0)
#define BOOL(B) do { v->p = NULL; v->n = (B) ? 1 : 0; } while (0)
#define VIEW_OR_EMPTY(P, N) do { if ((P) != NULL) VIEW(P, N); else VIEW(cls_empty, 0); } while (0)
	switch (op) {
	case CLS_OP_OPT:
		d = dhcp4_opt(pkt, pc[0], &n16);
		VIEW_OR_EMPTY(d, n16);
		break;
	case CLS_OP_OPT_EX:
		BOOL(dhcp4_has_opt(pkt, pc[0]));
		break;
	case CLS_OP_RAI:
	case CLS_OP_RAI_EX:
		d = dhcp4_opt(pkt, DHCP4_OPT_RAI, &n16);
		if (d != NULL)
			d = subopt(d, n16, pc[0], &l8);
		if (op == CLS_OP_RAI)
			VIEW_OR_EMPTY(d, l8);
		else
			BOOL(d != NULL);
		break;
	case CLS_OP_IFACE:
		if (env->iface != NULL)
			VIEW((const uint8_t *)env->iface, strlen(env->iface));
		else
			VIEW(cls_empty, 0);
		break;
	case CLS_OP_SRC:
	case CLS_OP_DST:
		if (env->rx == NULL) {
			VIEW(cls_empty, 0);
			break;
		}
		o = cls_put_u32(s, op == CLS_OP_SRC ? env->rx->src_ip : env->rx->dst_ip);
		if (o == NULL)
			return -ENOSPC;
		VIEW(o, 4);
		break;
	case CLS_OP_LEN:
	case CLS_OP_HLEN:
	case CLS_OP_HTYPE:
	case CLS_OP_MSGTYPE:
		/* Kea gives these as 4-byte big-endian integers. */
		o = cls_put_u32(s, op == CLS_OP_LEN ? (uint32_t)pkt->len :
				   op == CLS_OP_HLEN ? h->hlen :
				   op == CLS_OP_HTYPE ? h->htype : pkt->msg_type);
		if (o == NULL)
			return -ENOSPC;
		VIEW(o, 4);
		break;
	case CLS_OP_MAC:
		VIEW(h->chaddr, h->hlen <= 16 ? h->hlen : 16);
		break;
	case CLS_OP_CIADDR:
	case CLS_OP_GIADDR:
	case CLS_OP_YIADDR:
	case CLS_OP_SIADDR:
	case CLS_OP_TRANSID:
		VIEW((const uint8_t *)h + hdr_field[op], 4);
		break;
	case CLS_OP_VEN_ENT:
		d = vivso(pkt, 0, &blk, &blen);
		VIEW_OR_EMPTY(d, 4);
		break;
	case CLS_OP_VEN_EX:
		BOOL(vivso(pkt, rd32(pc), &blk, &blen) != NULL);
		break;
	case CLS_OP_VEN_OPT:
	case CLS_OP_VEN_OPT_EX:
		d = vivso(pkt, rd32(pc), &blk, &blen);
		if (d != NULL)
			d = blk != NULL ? subopt(blk, blen, pc[4], &l8) : NULL;
		if (op == CLS_OP_VEN_OPT)
			VIEW_OR_EMPTY(d, l8);
		else
			BOOL(d != NULL);
		break;
	case CLS_OP_VCL_ENT:
		d = vivco(pkt, 0, 0, &blk, &l8);
		VIEW_OR_EMPTY(d, 4);
		break;
	case CLS_OP_VCL_EX:
		BOOL(vivco(pkt, rd32(pc), 0, &blk, &l8) != NULL);
		break;
	case CLS_OP_VCL_DATA:
		vivco(pkt, rd32(pc), pc[4], &blk, &l8);
		VIEW_OR_EMPTY(blk, l8);
		break;
	default:
		return -EINVAL;    /* not an input op */
	}
	return 0;
#undef VIEW
#undef BOOL
#undef VIEW_OR_EMPTY
}

/* DHCPv4 input ops: what the classification cache keys on. */
static inline bool is_input(enum cls_op op)
{
	return op >= CLS_OP_OPT && op <= CLS_OP_VCL_DATA;
}

/* a.n bytes at a and b equal; small sizes without a call */
static inline bool same(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint32_t x, y, z, w;

	if (n >= 4 && n <= 8) {          /* two loads each that may overlap */
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&z, a + n - 4, 4);
		memcpy(&w, b + n - 4, 4);
		return ((x ^ y) | (z ^ w)) == 0;
	}
	if (n < 4) {
		for (uint32_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	return memcmp(a, b, n) == 0;
}

/* Run a program on envp: a const struct cls_env * for a CLS_V4 program, a
 * const struct cls_env6 * for a CLS_V6 one (the caller has checked
 * prog->universe; the compiler emits only that universe's input ops, so
 * each op knows how envp is to be read).  member() tests against set. */
static int run(const struct cls_prog *prog, const void *envp, const struct cls_set *set,
	       struct cls_scratch *s, struct cls_val *res)
{
	static const char hexd[] = "0123456789abcdef";
	const struct cls_env *env = envp;      /* read by DHCPv4 input ops only */
	const uint8_t *pc = prog->code, *cst = prog->code + prog->code_len;
	struct cls_val st[CLS_STACK_MAX];
	struct cls_val a, b;
	unsigned sp = 0;
	uint8_t *o;
	int rc;

#define PUSH(P, N) do { st[sp].p = (P); st[sp].n = (uint32_t)(N); sp++; } while (0)
#define PUSHB(B) do { st[sp].p = NULL; st[sp].n = (B) ? 1 : 0; sp++; } while (0)

	/* Threaded dispatch: the usual ops have a label each and step pc
	 * themselves; the rest (and anything unknown) go through the switch
	 * below and step by cls_op_argbytes. */
	static const void *const fast[256] = {
		[CLS_OP_END] = &&op_end, [CLS_OP_STR] = &&op_str, [CLS_OP_OPT] = &&op_opt,
		[CLS_OP_OPT_EX] = &&op_opt_ex, [CLS_OP_MAC] = &&op_mac,
		[CLS_OP_CIADDR] = &&op_hdr4, [CLS_OP_GIADDR] = &&op_hdr4,
		[CLS_OP_YIADDR] = &&op_hdr4, [CLS_OP_SIADDR] = &&op_hdr4,
		[CLS_OP_TRANSID] = &&op_hdr4, [CLS_OP_EQ] = &&op_eq, [CLS_OP_EQC] = &&op_eqc,
		[CLS_OP_OR] = &&op_or, [CLS_OP_AND] = &&op_and, [CLS_OP_NOT] = &&op_not,
		[CLS_OP_JOR] = &&op_jor, [CLS_OP_JAND] = &&op_jand,
		[CLS_OP_MEMBER] = &&op_member,
	};
	enum cls_op op;
#define NEXT() do {                                     \
		op = (enum cls_op)*pc++;                \
		if (fast[op] != NULL)                   \
			goto *fast[op];                 \
		goto slow;                              \
	} while (0)

	NEXT();
op_end:
	*res = st[sp - 1];
	return 0;
op_str:
	PUSH(cst + rd16le(pc), rd16le(pc + 2));
	pc += 4;
	NEXT();
op_opt: {
		uint16_t n16;
		const uint8_t *d = dhcp4_opt(env->pkt, pc[0], &n16);

		if (d != NULL)
			PUSH(d, n16);
		else
			PUSH(cls_empty, 0);
		pc += 1;
		NEXT();
	}
op_opt_ex:
	PUSHB(dhcp4_has_opt(env->pkt, pc[0]));
	pc += 1;
	NEXT();
op_mac: {
		const struct dhcp4_hdr *h = env->pkt->hdr;

		PUSH(h->chaddr, h->hlen <= 16 ? h->hlen : 16);
		NEXT();
	}
op_hdr4:
	PUSH((const uint8_t *)env->pkt->hdr + hdr_field[op], 4);
	NEXT();
op_eq:
	b = st[--sp];
	a = st[sp - 1];
	st[sp - 1].p = NULL;
	st[sp - 1].n = a.n == b.n && same(a.p, b.p, a.n);
	NEXT();
op_eqc:       /* STR then EQ, fused by the compiler */
	a = st[sp - 1];
	st[sp - 1].p = NULL;
	st[sp - 1].n = a.n == rd16le(pc + 2) && same(a.p, cst + rd16le(pc), a.n);
	pc += 4;
	NEXT();
op_or:
	sp--;
	st[sp - 1].n = st[sp - 1].n | st[sp].n;
	NEXT();
op_and:
	sp--;
	st[sp - 1].n = st[sp - 1].n & st[sp].n;
	NEXT();
op_not:
	st[sp - 1].n = !st[sp - 1].n;
	NEXT();
op_jor:         /* a true left side of 'or' is the result: skip the right */
	if (st[sp - 1].n)
		pc += rd16le(pc);
	else
		sp--;           /* the right side is the result */
	pc += 2;
	NEXT();
op_jand:
	if (!st[sp - 1].n)
		pc += rd16le(pc);
	else
		sp--;
	pc += 2;
	NEXT();
op_member:
	PUSHB(set != NULL && cls_set_has(set, pc[0]));
	pc += 1;
	NEXT();

	for (;;) {
slow:
		switch (op) {
		case CLS_OP_RAI: case CLS_OP_RAI_EX:
		case CLS_OP_IFACE: case CLS_OP_SRC: case CLS_OP_DST: case CLS_OP_LEN:
		case CLS_OP_HLEN: case CLS_OP_HTYPE: case CLS_OP_MSGTYPE:
		case CLS_OP_VEN_ENT: case CLS_OP_VEN_EX: case CLS_OP_VEN_OPT:
		case CLS_OP_VEN_OPT_EX: case CLS_OP_VCL_ENT: case CLS_OP_VCL_EX: case CLS_OP_VCL_DATA:
			rc = load(op, pc, env, s, &st[sp]);
			if (rc < 0)
				return rc;
			sp++;
			break;
		case CLS_OP_OPT6: case CLS_OP_OPT6_EX: case CLS_OP_R6_OPT: case CLS_OP_R6_OPT_EX:
		case CLS_OP_R6_PEER: case CLS_OP_R6_LINK: case CLS_OP_IFACE6: case CLS_OP_SRC6:
		case CLS_OP_DST6: case CLS_OP_LEN6: case CLS_OP_MSGTYPE6: case CLS_OP_TRANSID6:
		case CLS_OP_VEN6_ENT: case CLS_OP_VEN6_EX: case CLS_OP_VEN6_OPT: case CLS_OP_VEN6_OPT_EX:
		case CLS_OP_VCL6_ENT: case CLS_OP_VCL6_EX: case CLS_OP_VCL6_DATA:
			rc = cls_load6(op, pc, envp, s, &st[sp]);
			if (rc < 0)
				return rc;
			sp++;
			break;
		case CLS_OP_SUBSTR:
			st[sp - 1] = substr(st[sp - 1], (int32_t)rd32(pc), (int32_t)rd32(pc + 4), pc[8]);
			break;
		case CLS_OP_CONCAT:
			b = st[--sp];
			a = st[sp - 1];
			if (a.n > 0 && a.p + a.n == s->buf + s->used) {
				/* The left side was the last thing made: grow it. */
				o = cls_take(s, b.n);
				if (o == NULL)
					return -ENOSPC;
				memcpy(o, b.p, b.n);
				st[sp - 1].n = a.n + b.n;
				break;
			}
			o = cls_take(s, (size_t)a.n + b.n);
			if (o == NULL)
				return -ENOSPC;
			memcpy(o, a.p, a.n);
			memcpy(o + a.n, b.p, b.n);
			st[sp - 1].p = o;
			st[sp - 1].n = a.n + b.n;
			break;
		case CLS_OP_IFELSE:
			b = st[--sp];
			a = st[--sp];
			st[sp - 1] = st[sp - 1].n ? a : b;
			break;
		case CLS_OP_HEXSTR: {
			size_t need;

			b = st[--sp];                 /* separator */
			a = st[sp - 1];
			if (a.n == 0) {
				st[sp - 1].p = cls_empty;
				break;
			}
			need = 2 * (size_t)a.n + ((size_t)a.n - 1) * b.n;
			o = cls_take(s, need);
			if (o == NULL)
				return -ENOSPC;
			st[sp - 1].p = o;
			st[sp - 1].n = (uint32_t)need;
			for (uint32_t i = 0; i < a.n; i++) {
				if (i) {
					memcpy(o, b.p, b.n);
					o += b.n;
				}
				*o++ = hexd[a.p[i] >> 4];
				*o++ = hexd[a.p[i] & 15];
			}
			break;
		}
		case CLS_OP_SPLIT:
			b = st[--sp];
			st[sp - 1] = split(st[sp - 1], b, (int32_t)rd32(pc));
			break;
		case CLS_OP_ADDR2TXT:
			rc = addr2txt(st[sp - 1], s, &st[sp - 1]);
			if (rc < 0)
				return rc;
			break;
		case CLS_OP_I8TXT:
		case CLS_OP_I16TXT:
		case CLS_OP_I32TXT:
		case CLS_OP_U8TXT:
		case CLS_OP_U16TXT:
		case CLS_OP_U32TXT:
			rc = int2txt(op, st[sp - 1], s, &st[sp - 1]);
			if (rc < 0)
				return rc;
			break;
		case CLS_OP_LCASE:
		case CLS_OP_UCASE:
			a = st[sp - 1];
			o = cls_take(s, a.n);
			if (o == NULL)
				return -ENOSPC;
			for (uint32_t i = 0; i < a.n; i++) {
				uint8_t ch = a.p[i];

				if (op == CLS_OP_LCASE && ch >= 'A' && ch <= 'Z')
					ch |= 0x20;
				else if (op == CLS_OP_UCASE && ch >= 'a' && ch <= 'z')
					ch &= ~0x20;
				o[i] = ch;
			}
			st[sp - 1].p = a.n ? o : cls_empty;
			break;
		default:
			return -EINVAL;    /* cannot happen with compiled code */
		}
		pc += cls_op_argbytes[op];
		NEXT();
	}
#undef PUSH
#undef PUSHB
#undef NEXT
}

void cls_plan_add_atom(struct cls_keyplan *pl, const struct cls_atom *a)
{
	struct cls_atom ex = { .op = CLS_OP_OPT_EX };
	unsigned i;

	if (a->op == CLS_OP_OPT_EX) {
		/* presence is in any option[N] atom's key */
		for (i = 0; i < pl->n_atoms; i++)
			if (pl->atoms[i].op == CLS_OP_OPT && pl->atoms[i].arg[0] == a->arg[0])
				return;
	}
	for (i = 0; i < pl->n_atoms; i++)
		if (memcmp(&pl->atoms[i], a, sizeof(*a)) == 0)
			return;
	if (pl->n_atoms >= CLS_ATOMS_MAX) {
		pl->full = true;
		return;
	}
	pl->atoms[pl->n_atoms++] = *a;
	if (a->op == CLS_OP_OPT) {             /* an option[N].exists it covers goes */
		ex.arg[0] = a->arg[0];
		for (i = 0; i < pl->n_atoms; i++) {
			if (memcmp(&pl->atoms[i], &ex, sizeof(ex)) == 0) {
				memmove(&pl->atoms[i], &pl->atoms[i + 1],
					(pl->n_atoms - i - 1) * sizeof(pl->atoms[0]));
				pl->n_atoms--;
				break;
			}
		}
	}
}

/* Header bytes an op reads (bit i = byte i), given the SUBSTR operands
 * that follow it (sub NULL: none); 0 if it is not a header op, or is best
 * keyed as an atom. */
static uint64_t hdr_bytes(enum cls_op op, const uint8_t *sub)
{
#define RANGE(off, n) (((1ull << (n)) - 1) << (off))
	const unsigned chaddr = offsetof(struct dhcp4_hdr, chaddr);

	switch (op) {
	case CLS_OP_HTYPE:
		return RANGE(offsetof(struct dhcp4_hdr, htype), 1);
	case CLS_OP_HLEN:
		return RANGE(offsetof(struct dhcp4_hdr, hlen), 1);
	case CLS_OP_CIADDR:
	case CLS_OP_GIADDR:
	case CLS_OP_YIADDR:
	case CLS_OP_SIADDR:
	case CLS_OP_TRANSID:
		return RANGE(hdr_field[op], 4);
	case CLS_OP_MAC: {
		/* the value is chaddr[0, min(hlen, 16)); a substring(v, s, l)
		 * with s, l >= 0 of it depends on hlen and chaddr[s, s + l) */
		uint64_t b = RANGE(offsetof(struct dhcp4_hdr, hlen), 1);
		int32_t st = sub ? (int32_t)rd32(sub) : 0, ln = sub ? (int32_t)rd32(sub + 4) : 16;

		if (sub == NULL)
			return b | RANGE(chaddr, 16);
		if (st < 0 || ln < 0 || sub[8])
			return 0;      /* a generic atom: the exact slice */
		if (st >= 16 || ln == 0)
			return b;
		ln = ln > 16 - st ? 16 - st : ln;
		return b | RANGE(chaddr + (unsigned)st, (unsigned)ln);
	}
	default:
		return 0;
	}
#undef RANGE
}

void cls_plan_add_prog(struct cls_keyplan *pl, const struct cls_prog *p)
{
	const uint8_t *c = p->code, *end = p->code + p->code_len;

	while (c < end && *c != CLS_OP_END) {
		enum cls_op op = (enum cls_op)*c;
		const uint8_t *next = c + 1 + cls_op_argbytes[op];
		const uint8_t *sub = next < end && *next == CLS_OP_SUBSTR ? next + 1 : NULL;
		uint64_t hb = hdr_bytes(op, sub);
		struct cls_atom a;

		if (hb != 0) {
			pl->hdr |= hb;
		} else if (is_input(op)) {
			memset(&a, 0, sizeof(a));
			a.op = (uint8_t)op;
			memcpy(a.arg, c + 1, cls_op_argbytes[op]);
			if (sub != NULL) {
				a.sliced = 1;
				memcpy(a.sub, sub, sizeof(a.sub));
			}
			cls_plan_add_atom(pl, &a);
		}
		c = next;
	}
	/* the header mask as runs of bytes */
	pl->n_runs = 0;
	for (unsigned i = 0; i < CLS_HDR_KEY_BYTES; ) {
		unsigned j = i;

		if (!(pl->hdr >> i & 1)) {
			i++;
			continue;
		}
		while (j < CLS_HDR_KEY_BYTES && (pl->hdr >> j & 1))
			j++;
		pl->run_off[pl->n_runs] = (uint8_t)i;
		pl->run_len[pl->n_runs++] = (uint8_t)(j - i);
		i = j;
	}
}

int cls_atom_value(const struct cls_atom *a, const struct cls_env *env, struct cls_scratch *s,
		   const uint8_t **p, uint32_t *n)
{
	struct cls_val v;

	if (load((enum cls_op)a->op, a->arg, env, s, &v) < 0)
		return -1;
	if (v.p != NULL && a->sliced)
		v = substr(v, (int32_t)rd32(a->sub), (int32_t)rd32(a->sub + 4), a->sub[8]);
	*p = v.p;
	*n = v.n;
	return 0;
}

int cls_eval_steps(const struct cls_step *steps, unsigned n, const void *env,
		   struct cls_set *set)
{
	struct cls_scratch s;
	struct cls_val r;
	int errors = 0;

	for (unsigned i = 0; i < n; i++) {
		s.used = 0;
		if (run(steps[i].prog, env, set, &s, &r) < 0)
			errors++;
		else if (r.n)
			cls_set_add(set, steps[i].id);
	}
	return errors;
}

/* The public entry points of both universes are these, inlined. */
static inline __attribute__((always_inline)) int
eval_bool(const struct cls_prog *p, enum cls_universe u, const void *env, const struct cls_set *set)
{
	struct cls_scratch s;
	struct cls_val r;
	int rc;

	if (p->result != CLS_T_BOOL || p->universe != u)
		return -EINVAL;
	s.used = 0;
	rc = run(p, env, set, &s, &r);
	return rc < 0 ? rc : r.n != 0;
}

static inline __attribute__((always_inline)) int
eval_str(const struct cls_prog *p, enum cls_universe u, const void *env, const struct cls_set *set,
	 struct cls_scratch *s, const uint8_t **out, size_t *len)
{
	struct cls_val r;
	int rc;

	if (p->result != CLS_T_STRING || p->universe != u)
		return -EINVAL;
	s->used = 0;
	rc = run(p, env, set, s, &r);
	if (rc < 0)
		return rc;
	*out = r.p;
	*len = r.n;
	return 0;
}

int cls_eval_bool(const struct cls_prog *p, const struct cls_env *env)
{
	return eval_bool(p, CLS_V4, env, env->set);
}

int cls_eval_str(const struct cls_prog *p, const struct cls_env *env,
		 struct cls_scratch *s, const uint8_t **out, size_t *len)
{
	return eval_str(p, CLS_V4, env, env->set, s, out, len);
}

int cls_eval6_bool(const struct cls_prog *p, const struct cls_env6 *env)
{
	return eval_bool(p, CLS_V6, env, env->set);
}

int cls_eval6_str(const struct cls_prog *p, const struct cls_env6 *env,
		  struct cls_scratch *s, const uint8_t **out, size_t *len)
{
	return eval_str(p, CLS_V6, env, env->set, s, out, len);
}
