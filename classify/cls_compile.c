/* Expression compiler: lexer, recursive-descent parser with type checking,
 * and code generation in one pass (the grammar yields postfix order, so
 * each construct emits its opcode once its operands are emitted).
 *
 * Control thread only: allocates freely, fails with a column and a reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cls_internal.h"
#include "dhcp4_options.h"
#include "dhcp6_wire.h"

const uint8_t cls_op_argbytes[CLS_OP_MAX] = {
#define X(n, a) [CLS_OP_##n] = (a),
	CLS_OPS(X)
#undef X
};

/* Parentheses and function calls nest at most this deep: the parser
 * recurses, and text like "((((..." must not exhaust the C stack. */
#define CLS_NEST_MAX 64

/* ------------------------------------------------------------------ lexer */

enum tok_kind {
	TK_END, TK_LP, TK_RP, TK_LB, TK_RB, TK_DOT, TK_COMMA, TK_STAR, TK_EQ,
	TK_STR, TK_HEX, TK_INT, TK_IP4, TK_IP6, TK_IDENT,
};

static const char *const tok_names[] = {
	[TK_END] = "end of expression", [TK_LP] = "'('", [TK_RP] = "')'",
	[TK_LB] = "'['", [TK_RB] = "']'", [TK_DOT] = "'.'", [TK_COMMA] = "','",
	[TK_STAR] = "'*'", [TK_EQ] = "'=='", [TK_STR] = "string",
	[TK_HEX] = "hex string", [TK_INT] = "integer", [TK_IP4] = "IPv4 address",
	[TK_IP6] = "IPv6 address", [TK_IDENT] = "name",
};

struct tok {
	enum tok_kind kind;
	int col;                 /* 1-based */
	const char *s;           /* token text (TK_STR: without the quotes) */
	size_t len;
	long long ival;          /* TK_INT, saturated at +-2^40 */
};

struct cc {
	const char *text;
	size_t text_len;
	enum cls_universe uni;
	struct cls_registry *reg;
	struct cls_err *err;
	struct tok cur;
	size_t pos;              /* lexer position after cur */
	int nest;
	/* output */
	uint8_t *code;
	size_t code_len, code_cap;
	uint8_t *cst;
	size_t cst_len, cst_cap;
	unsigned depth, max_depth;
	size_t last_op;          /* where the last opcode was emitted */
	unsigned fallible;       /* ops emitted so far that can fail at run time */
	bool depends_known;
	bool failed;
};

static void fail(struct cc *c, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct cc *c, int col, const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->err->col = col;
	snprintf(c->err->msg, sizeof(c->err->msg), "col %d: %s", col, reason);
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Read the next token into c->cur.  On a lexical error, fails and returns
 * TK_END so the parser unwinds. */
static void lex(struct cc *c)
{
	const char *t = c->text;
	size_t n = c->text_len, p = c->pos, q;
	struct tok *k = &c->cur;

	while (p < n && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r'))
		p++;
	memset(k, 0, sizeof(*k));
	k->col = (int)p + 1;
	k->s = t + p;
	if (c->failed || p >= n) {
		k->kind = TK_END;
		c->pos = p;
		return;
	}
	switch (t[p]) {
	case '(': k->kind = TK_LP; c->pos = p + 1; k->len = 1; return;
	case ')': k->kind = TK_RP; c->pos = p + 1; k->len = 1; return;
	case '[': k->kind = TK_LB; c->pos = p + 1; k->len = 1; return;
	case ']': k->kind = TK_RB; c->pos = p + 1; k->len = 1; return;
	case '.': k->kind = TK_DOT; c->pos = p + 1; k->len = 1; return;
	case ',': k->kind = TK_COMMA; c->pos = p + 1; k->len = 1; return;
	case '*': k->kind = TK_STAR; c->pos = p + 1; k->len = 1; return;
	case '=':
		if (p + 1 < n && t[p + 1] == '=') {
			k->kind = TK_EQ;
			k->len = 2;
			c->pos = p + 2;
			return;
		}
		fail(c, k->col, "'=' is not an operator (did you mean '=='?)");
		goto end;
	case '\'':
		/* Kea's strings: no escapes, no newline inside. */
		for (q = p + 1; q < n && t[q] != '\'' && t[q] != '\n'; q++)
			;
		if (q >= n || t[q] != '\'') {
			fail(c, k->col, "unterminated string");
			goto end;
		}
		k->kind = TK_STR;
		k->s = t + p + 1;
		k->len = q - p - 1;
		c->pos = q + 1;
		return;
	}

	/* An IPv6 address is the longest run of hex digits, ':' and '.' that
	 * holds a ':' (nothing else in the language uses ':'). */
	if (is_hex(t[p]) || t[p] == ':') {
		for (q = p; q < n && (is_hex(t[q]) || t[q] == ':' || t[q] == '.'); q++)
			;
		if (memchr(t + p, ':', q - p) != NULL) {
			char buf[64];
			uint8_t a[16];

			if (q - p >= sizeof(buf)) {
				fail(c, k->col, "bad IPv6 address");
				goto end;
			}
			memcpy(buf, t + p, q - p);
			buf[q - p] = '\0';
			if (inet_pton(AF_INET6, buf, a) != 1) {
				fail(c, k->col, "bad IPv6 address '%s'", buf);
				goto end;
			}
			k->kind = TK_IP6;
			k->len = q - p;
			c->pos = q;
			return;
		}
	}
	if (t[p] == '0' && p + 1 < n && (t[p + 1] == 'x' || t[p + 1] == 'X')) {
		for (q = p + 2; q < n && is_hex(t[q]); q++)
			;
		if (q == p + 2) {
			fail(c, k->col, "'0x' needs hex digits");
			goto end;
		}
		k->kind = TK_HEX;
		k->len = q - p;
		c->pos = q;
		return;
	}
	if (is_digit(t[p]) || (t[p] == '-' && p + 1 < n && is_digit(t[p + 1]))) {
		long long v = 0;
		bool neg = t[p] == '-';

		for (q = p + neg; q < n && is_digit(t[q]); q++) {
			if (v < (1ll << 40))
				v = v * 10 + (t[q] - '0');
		}
		if (!neg && q < n && t[q] == '.' && q + 1 < n && is_digit(t[q + 1])) {
			char buf[32];
			uint8_t a[4];

			for (q = p; q < n && (is_digit(t[q]) || t[q] == '.'); q++)
				;
			if (q - p >= sizeof(buf) || (memcpy(buf, t + p, q - p), buf[q - p] = '\0',
						      inet_pton(AF_INET, buf, a) != 1)) {
				fail(c, k->col, "bad IPv4 address '%.*s'", (int)(q - p), t + p);
				goto end;
			}
			k->kind = TK_IP4;
			k->len = q - p;
			c->pos = q;
			return;
		}
		k->kind = TK_INT;
		k->ival = neg ? -v : v;
		k->len = q - p;
		c->pos = q;
		return;
	}
	if (is_alpha(t[p])) {
		for (q = p; q < n && (is_alpha(t[q]) || is_digit(t[q]) || t[q] == '-' || t[q] == '_'); q++)
			;
		/* A name ends with a letter or digit (Kea's option-name rule). */
		while (t[q - 1] == '-' || t[q - 1] == '_')
			q--;
		k->kind = TK_IDENT;
		k->len = q - p;
		c->pos = q;
		return;
	}
	if ((unsigned char)t[p] >= 0x20 && (unsigned char)t[p] < 0x7f)
		fail(c, k->col, "invalid character '%c'", t[p]);
	else
		fail(c, k->col, "invalid character 0x%02x", (unsigned char)t[p]);
end:
	k->kind = TK_END;
	c->pos = n;
}

static bool is_kw(const struct tok *k, const char *kw)
{
	return k->kind == TK_IDENT && strlen(kw) == k->len && memcmp(k->s, kw, k->len) == 0;
}

static void describe(const struct tok *k, char *buf, size_t cap)
{
	if (k->kind == TK_IDENT || k->kind == TK_INT || k->kind == TK_HEX ||
	    k->kind == TK_IP4 || k->kind == TK_IP6)
		snprintf(buf, cap, "'%.*s'", (int)(k->len > 40 ? 40 : k->len), k->s);
	else if (k->kind == TK_STR)
		snprintf(buf, cap, "string '%.*s'", (int)(k->len > 40 ? 40 : k->len), k->s);
	else
		snprintf(buf, cap, "%s", tok_names[k->kind]);
}

static bool expect(struct cc *c, enum tok_kind kind, const char *what)
{
	char d[64];

	if (c->failed)
		return false;
	if (c->cur.kind == kind) {
		lex(c);
		return true;
	}
	describe(&c->cur, d, sizeof(d));
	fail(c, c->cur.col, "expected %s %s, got %s", tok_names[kind], what, d);
	return false;
}

/* ---------------------------------------------------------------- codegen */

static void emit(struct cc *c, const void *b, size_t n)
{
	if (c->failed)
		return;
	if (c->code_len + n > c->code_cap) {
		fail(c, 1, "expression too long");
		return;
	}
	memcpy(c->code + c->code_len, b, n);
	c->code_len += n;
}

/* One opcode with its operands; `pop` values consumed, `push` produced
 * (0 or 1).  `col` is where a stack overflow is blamed. */
/* Ops that can return an error per packet (scratch full, a conversion of
 * the wrong size): a side of 'and'/'or' holding one is never skipped. */
static bool fallible(enum cls_op o)
{
	switch (o) {
	case CLS_OP_SRC: case CLS_OP_DST: case CLS_OP_LEN: case CLS_OP_HLEN:
	case CLS_OP_HTYPE: case CLS_OP_MSGTYPE: case CLS_OP_CONCAT: case CLS_OP_HEXSTR:
	case CLS_OP_ADDR2TXT: case CLS_OP_I8TXT: case CLS_OP_I16TXT: case CLS_OP_I32TXT:
	case CLS_OP_U8TXT: case CLS_OP_U16TXT: case CLS_OP_U32TXT: case CLS_OP_LCASE:
	case CLS_OP_UCASE: case CLS_OP_LEN6: case CLS_OP_MSGTYPE6: case CLS_OP_TRANSID6:
		return true;
	default:
		return false;
	}
}

static void op(struct cc *c, int col, enum cls_op o, unsigned pop, const void *args, size_t n)
{
	uint8_t b = (uint8_t)o;

	if (o == CLS_OP_EQ && !c->failed && c->code_len >= 5 && c->last_op == c->code_len - 5 &&
	    c->code[c->last_op] == CLS_OP_STR) {
		/* the constant just emitted is the right operand: fuse in place */
		c->code[c->last_op] = CLS_OP_EQC;
		c->depth = c->depth - pop + 1;
		return;
	}
	c->last_op = c->code_len;
	c->fallible += fallible(o);
	emit(c, &b, 1);
	if (n)
		emit(c, args, n);
	c->depth = c->depth - pop + 1;
	if (c->depth > c->max_depth) {
		c->max_depth = c->depth;
		if (c->depth > CLS_STACK_MAX)
			fail(c, col, "expression needs more than %d stack slots", CLS_STACK_MAX);
	}
}

static void op_const(struct cc *c, int col, const void *v, size_t n)
{
	uint8_t a[4];

	if (c->failed)
		return;
	if (c->cst_len + n > c->cst_cap || c->cst_len + n > UINT16_MAX) {
		fail(c, col, "too many constants");
		return;
	}
	memcpy(c->cst + c->cst_len, v, n);
	a[0] = c->cst_len & 0xff;
	a[1] = c->cst_len >> 8;
	a[2] = n & 0xff;
	a[3] = n >> 8;
	c->cst_len += n;
	op(c, col, CLS_OP_STR, 0, a, 4);
}

static void put32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);       /* operands are read back with memcpy: host order */
}

static void put16(uint8_t *b, uint16_t v)
{
	memcpy(b, &v, 2);
}

/* ----------------------------------------------------------------- parser */

enum ty { TY_NONE = 0, TY_BOOL = 1, TY_STR = 2 };

static const char *ty_name(enum ty t)
{
	return t == TY_BOOL ? "boolean" : t == TY_STR ? "string" : "nothing";
}

static enum ty parse_or(struct cc *c);

/* An integer literal argument within [lo, hi]. */
static bool int_arg(struct cc *c, const char *what, long long lo, long long hi, long long *v)
{
	char d[64];

	if (c->failed)
		return false;
	if (c->cur.kind != TK_INT) {
		describe(&c->cur, d, sizeof(d));
		fail(c, c->cur.col, "%s must be an integer literal, got %s", what, d);
		return false;
	}
	if (c->cur.ival < lo || c->cur.ival > hi) {
		fail(c, c->cur.col, "%s %.*s out of range %lld..%lld", what,
		     (int)c->cur.len, c->cur.s, lo, hi);
		return false;
	}
	*v = c->cur.ival;
	lex(c);
	return true;
}

/* [N] after option, relay4, relay6[L].option and vendor[E].option: a code
 * (DHCPv4 0..255, DHCPv6 0..65535) or, in DHCPv4, a known option name. */
static bool opt_code(struct cc *c, uint16_t *code)
{
	long long v;

	if (!expect(c, TK_LB, "after 'option'"))
		return false;
	if (c->cur.kind == TK_IDENT && c->uni == CLS_V6) {
		fail(c, c->cur.col, "DHCPv6 option names are not known here, give the code "
		     "instead of '%.*s'", (int)(c->cur.len > 40 ? 40 : c->cur.len), c->cur.s);
		return false;
	}
	if (c->cur.kind == TK_IDENT) {
		char name[64];
		const struct dhcp4_opt_def *d = NULL;

		if (c->cur.len < sizeof(name)) {
			memcpy(name, c->cur.s, c->cur.len);
			name[c->cur.len] = '\0';
			d = dhcp4_opt_def_by_name(name);
		}
		if (d == NULL) {
			fail(c, c->cur.col, "unknown option name '%.*s'", (int)c->cur.len, c->cur.s);
			return false;
		}
		*code = d->code;
		lex(c);
	} else {
		if (!int_arg(c, "option code", 0, c->uni == CLS_V6 ? UINT16_MAX : UINT8_MAX, &v))
			return false;
		*code = (uint16_t)v;
	}
	return expect(c, TK_RB, "after the option code");
}

static bool enterprise(struct cc *c, uint32_t *ent)
{
	long long v;

	if (!expect(c, TK_LB, "before the enterprise id"))
		return false;
	if (c->cur.kind == TK_STAR) {
		*ent = 0;
		lex(c);
	} else {
		if (!int_arg(c, "enterprise id", 0, UINT32_MAX, &v))
			return false;
		*ent = (uint32_t)v;
	}
	return expect(c, TK_RB, "after the enterprise id");
}

/* .hex | .text | .exists after option[N]: pushes and returns the type. */
static enum ty opt_repr(struct cc *c, int col, enum cls_op val, enum cls_op ex,
			const uint8_t *args, size_t n)
{
	char d[64];

	if (!expect(c, TK_DOT, "after ']'"))
		return TY_NONE;
	if (is_kw(&c->cur, "hex") || is_kw(&c->cur, "text")) {
		/* Both give the option's bytes: Kea's .text is the same for
		 * string options, the only ones .text is meant for. */
		lex(c);
		op(c, col, val, 0, args, n);
		return TY_STR;
	}
	if (is_kw(&c->cur, "exists")) {
		lex(c);
		op(c, col, ex, 0, args, n);
		return TY_BOOL;
	}
	describe(&c->cur, d, sizeof(d));
	fail(c, c->cur.col, "expected 'hex', 'text' or 'exists', got %s", d);
	return TY_NONE;
}

static enum ty field(struct cc *c, int col, const char *what,
		     const char *const *names, const enum cls_op *ops)
{
	char d[64];

	if (!expect(c, TK_DOT, what))
		return TY_NONE;
	for (unsigned i = 0; names[i] != NULL; i++) {
		if (is_kw(&c->cur, names[i])) {
			lex(c);
			op(c, col, ops[i], 0, NULL, 0);
			return TY_STR;
		}
	}
	describe(&c->cur, d, sizeof(d));
	fail(c, c->cur.col, "unknown field %s after %s", d, what + 6);
	return TY_NONE;
}

/* pkt.iface|src|dst|len: the same words in both universes, read from
 * the packet of the program's universe. */
static enum ty tok_pkt(struct cc *c, int col)
{
	static const char *const n[] = { "iface", "src", "dst", "len", NULL };
	static const enum cls_op o4[] = { CLS_OP_IFACE, CLS_OP_SRC, CLS_OP_DST, CLS_OP_LEN };
	static const enum cls_op o6[] = { CLS_OP_IFACE6, CLS_OP_SRC6, CLS_OP_DST6, CLS_OP_LEN6 };

	return field(c, col, "after 'pkt'", n, c->uni == CLS_V6 ? o6 : o4);
}

static enum ty tok_pkt4(struct cc *c, int col)
{
	static const char *const n[] = {
		"mac", "hlen", "htype", "ciaddr", "giaddr", "yiaddr", "siaddr",
		"msgtype", "transid", NULL };
	static const enum cls_op o[] = {
		CLS_OP_MAC, CLS_OP_HLEN, CLS_OP_HTYPE, CLS_OP_CIADDR, CLS_OP_GIADDR,
		CLS_OP_YIADDR, CLS_OP_SIADDR, CLS_OP_MSGTYPE, CLS_OP_TRANSID };

	return field(c, col, "after 'pkt4'", n, o);
}

static enum ty tok_pkt6(struct cc *c, int col)
{
	static const char *const n[] = { "msgtype", "transid", NULL };
	static const enum cls_op o[] = { CLS_OP_MSGTYPE6, CLS_OP_TRANSID6 };

	return field(c, col, "after 'pkt6'", n, o);
}

/* option[N]: DHCPv4 options have 8-bit codes, DHCPv6 ones 16-bit. */
static enum ty tok_option(struct cc *c, int col)
{
	uint16_t code;
	uint8_t a[2];

	if (!opt_code(c, &code))
		return TY_NONE;
	if (c->uni == CLS_V6) {
		put16(a, code);
		return opt_repr(c, col, CLS_OP_OPT6, CLS_OP_OPT6_EX, a, 2);
	}
	a[0] = (uint8_t)code;
	return opt_repr(c, col, CLS_OP_OPT, CLS_OP_OPT_EX, a, 1);
}

static enum ty tok_relay4(struct cc *c, int col)
{
	uint16_t code;
	uint8_t a;

	if (!opt_code(c, &code))
		return TY_NONE;
	a = (uint8_t)code;
	return opt_repr(c, col, CLS_OP_RAI, CLS_OP_RAI_EX, &a, 1);
}

/* relay6[L].option[N].hex|text|exists | relay6[L].peeraddr | relay6[L].linkaddr.
 * L is Kea's nesting level, -32..31 (negative: counted from the client). */
static enum ty tok_relay6(struct cc *c, int col)
{
	long long nest;
	uint16_t code;
	uint8_t a[3];
	char d[64];

	if (!expect(c, TK_LB, "after 'relay6'") ||
	    !int_arg(c, "relay6 nesting level", -DHCP6_MAX_RELAYS, DHCP6_MAX_RELAYS - 1, &nest) ||
	    !expect(c, TK_RB, "after the nesting level") || !expect(c, TK_DOT, "after ']'"))
		return TY_NONE;
	a[0] = (uint8_t)(int8_t)nest;
	if (is_kw(&c->cur, "peeraddr") || is_kw(&c->cur, "linkaddr")) {
		enum cls_op o = is_kw(&c->cur, "peeraddr") ? CLS_OP_R6_PEER : CLS_OP_R6_LINK;

		lex(c);
		op(c, col, o, 0, a, 1);
		return TY_STR;
	}
	if (!is_kw(&c->cur, "option")) {
		describe(&c->cur, d, sizeof(d));
		fail(c, c->cur.col, "expected 'option', 'peeraddr' or 'linkaddr' after "
		     "'relay6[...].', got %s", d);
		return TY_NONE;
	}
	lex(c);
	if (!opt_code(c, &code))
		return TY_NONE;
	put16(a + 1, code);
	return opt_repr(c, col, CLS_OP_R6_OPT, CLS_OP_R6_OPT_EX, a, 3);
}

/* The head that vendor (option 125) and vendor-class (option 124) share:
 * "NAME.enterprise" and "NAME[E].exists" are whole tokens (returns true,
 * *ty their type, TY_NONE on error); otherwise the enterprise number is in
 * a[0..3], the current token is the keyword after "NAME[E]." and the
 * caller goes on (returns false).  `more` is that keyword, for the error. */
static bool vendor_head(struct cc *c, int col, const char *name, const char *more,
			enum cls_op op_ent, enum cls_op op_ex, uint8_t a[4], enum ty *ty)
{
	uint32_t ent;
	char d[64];

	*ty = TY_NONE;
	if (c->cur.kind == TK_DOT) {
		lex(c);
		if (!is_kw(&c->cur, "enterprise")) {
			describe(&c->cur, d, sizeof(d));
			fail(c, c->cur.col, "expected 'enterprise' after '%s.', got %s", name, d);
			return true;
		}
		lex(c);
		op(c, col, op_ent, 0, NULL, 0);
		*ty = TY_STR;
		return true;
	}
	if (!enterprise(c, &ent) || !expect(c, TK_DOT, "after ']'"))
		return true;
	put32(a, ent);
	if (is_kw(&c->cur, "exists")) {
		lex(c);
		op(c, col, op_ex, 0, a, 4);
		*ty = TY_BOOL;
		return true;
	}
	if (!is_kw(&c->cur, more)) {
		describe(&c->cur, d, sizeof(d));
		fail(c, c->cur.col, "expected 'exists' or '%s' after '%s[...].', got %s", more, name, d);
		return true;
	}
	lex(c);
	return false;
}

/* vendor.enterprise | vendor[E].exists | vendor[E].option[N].hex|text|exists:
 * option 125 in DHCPv4 (8-bit sub-option codes), 17 in DHCPv6 (16-bit). */
static enum ty tok_vendor(struct cc *c, int col)
{
	bool v6 = c->uni == CLS_V6;
	uint16_t code;
	uint8_t a[6];
	enum ty ty;

	if (vendor_head(c, col, "vendor", "option", v6 ? CLS_OP_VEN6_ENT : CLS_OP_VEN_ENT,
			v6 ? CLS_OP_VEN6_EX : CLS_OP_VEN_EX, a, &ty))
		return ty;
	if (!opt_code(c, &code))
		return TY_NONE;
	if (v6) {
		put16(a + 4, code);
		return opt_repr(c, col, CLS_OP_VEN6_OPT, CLS_OP_VEN6_OPT_EX, a, 6);
	}
	a[4] = (uint8_t)code;
	return opt_repr(c, col, CLS_OP_VEN_OPT, CLS_OP_VEN_OPT_EX, a, 5);
}

/* vendor-class.enterprise | vendor-class[E].exists | vendor-class[E].data[I]:
 * option 124 in DHCPv4, 16 in DHCPv6. */
static enum ty tok_vendor_class(struct cc *c, int col)
{
	bool v6 = c->uni == CLS_V6;
	uint8_t a[5];
	long long idx = 0;
	enum ty ty;

	if (vendor_head(c, col, "vendor-class", "data", v6 ? CLS_OP_VCL6_ENT : CLS_OP_VCL_ENT,
			v6 ? CLS_OP_VCL6_EX : CLS_OP_VCL_EX, a, &ty))
		return ty;
	if (c->cur.kind == TK_LB) {
		lex(c);
		if (!int_arg(c, "data index", 0, 255, &idx) || !expect(c, TK_RB, "after the data index"))
			return TY_NONE;
	}
	a[4] = (uint8_t)idx;
	op(c, col, v6 ? CLS_OP_VCL6_DATA : CLS_OP_VCL_DATA, 0, a, 5);
	return TY_STR;
}

/* Functions: a name, '(' and arguments of these kinds. */
enum arg { A_BOOL, A_STR, A_INT, A_LEN, A_NAME };

struct fn {
	const char *name;
	enum cls_op op;
	uint8_t nargs;
	enum arg args[3];
	enum ty result;
};

static const struct fn fns[] = {
	{ "substring",    CLS_OP_SUBSTR,   3, { A_STR, A_INT, A_LEN }, TY_STR },
	{ "concat",       CLS_OP_CONCAT,   2, { A_STR, A_STR },        TY_STR },
	{ "ifelse",       CLS_OP_IFELSE,   3, { A_BOOL, A_STR, A_STR }, TY_STR },
	{ "member",       CLS_OP_MEMBER,   1, { A_NAME },              TY_BOOL },
	{ "hexstring",    CLS_OP_HEXSTR,   2, { A_STR, A_STR },        TY_STR },
	{ "split",        CLS_OP_SPLIT,    3, { A_STR, A_STR, A_INT }, TY_STR },
	{ "addrtotext",   CLS_OP_ADDR2TXT, 1, { A_STR },               TY_STR },
	{ "int8totext",   CLS_OP_I8TXT,    1, { A_STR },               TY_STR },
	{ "int16totext",  CLS_OP_I16TXT,   1, { A_STR },               TY_STR },
	{ "int32totext",  CLS_OP_I32TXT,   1, { A_STR },               TY_STR },
	{ "uint8totext",  CLS_OP_U8TXT,    1, { A_STR },               TY_STR },
	{ "uint16totext", CLS_OP_U16TXT,   1, { A_STR },               TY_STR },
	{ "uint32totext", CLS_OP_U32TXT,   1, { A_STR },               TY_STR },
	{ "lcase",        CLS_OP_LCASE,    1, { A_STR },               TY_STR },
	{ "ucase",        CLS_OP_UCASE,    1, { A_STR },               TY_STR },
};

static const char *const ordinal[] = { "first", "second", "third" };

static void member_arg(struct cc *c, int col, uint8_t *id)
{
	char d[64];
	bool dep = false;
	int r;

	if (c->cur.kind != TK_STR) {
		describe(&c->cur, d, sizeof(d));
		fail(c, c->cur.col, "member() needs a class name in quotes, got %s", d);
		return;
	}
	r = cls_registry_member(c->reg, c->cur.s, c->cur.len, &dep);
	if (r < 0) {
		fail(c, c->cur.col, "class '%.*s' is not defined before this one (nor builtin)",
		     (int)(c->cur.len > 64 ? 64 : c->cur.len), c->cur.s);
		return;
	}
	(void)col;
	*id = (uint8_t)r;
	c->depends_known |= dep;
	lex(c);
}

static enum ty call(struct cc *c, int col, const struct fn *f)
{
	int32_t ints[2] = { 0, 0 };
	uint8_t a[9] = { 0 }, all = 0, id = 0;
	unsigned nint = 0, base = c->depth;
	char d[64];

	if (!expect(c, TK_LP, "after the function name"))
		return TY_NONE;
	for (unsigned i = 0; i < f->nargs && !c->failed; i++) {
		long long v;
		enum ty t;
		int acol;

		if (i > 0 && c->cur.kind != TK_COMMA) {
			describe(&c->cur, d, sizeof(d));
			fail(c, c->cur.col, "'%s' takes %u arguments, got %s after the %s",
			     f->name, f->nargs, d, ordinal[i - 1]);
			break;
		}
		if (i > 0)
			lex(c);
		acol = c->cur.col;
		switch (f->args[i]) {
		case A_BOOL:
		case A_STR:
			t = parse_or(c);
			if (c->failed)
				break;
			if (t != (f->args[i] == A_BOOL ? TY_BOOL : TY_STR))
				fail(c, acol, "%s argument of '%s' must be %s, got %s",
				     ordinal[i], f->name,
				     f->args[i] == A_BOOL ? "a boolean" : "a string", ty_name(t));
			break;
		case A_LEN:
			if (is_kw(&c->cur, "all")) {
				all = 1;
				lex(c);
				break;
			}
			/* fall through */
		case A_INT:
			if (int_arg(c, f->op == CLS_OP_SPLIT ? "split field" :
				    i == 1 ? "substring start" : "substring length",
				    INT32_MIN, INT32_MAX, &v))
				ints[nint++] = (int32_t)v;
			if (f->args[i] == A_LEN)
				nint = 2;
			break;
		case A_NAME:
			member_arg(c, col, &id);
			break;
		}
	}
	if (c->failed)
		return TY_NONE;
	if (c->cur.kind != TK_RP) {
		describe(&c->cur, d, sizeof(d));
		fail(c, c->cur.col, "'%s' takes %u argument%s, expected ')' but got %s",
		     f->name, f->nargs, f->nargs > 1 ? "s" : "", d);
		return TY_NONE;
	}
	lex(c);
	switch (f->op) {
	case CLS_OP_SUBSTR:
		put32(a, (uint32_t)ints[0]);
		put32(a + 4, (uint32_t)ints[1]);
		a[8] = all;
		op(c, col, f->op, c->depth - base, a, 9);
		break;
	case CLS_OP_SPLIT:
		put32(a, (uint32_t)ints[0]);
		op(c, col, f->op, c->depth - base, a, 4);
		break;
	case CLS_OP_MEMBER:
		op(c, col, f->op, 0, &id, 1);
		break;
	default:
		op(c, col, f->op, c->depth - base, NULL, 0);
		break;
	}
	return f->result;
}

struct kw {
	const char *name;
	unsigned universes;      /* bit 0: v4, bit 1: v6 */
	enum ty (*fn)(struct cc *c, int col);
};

#define U4 1u
#define U6 2u

/* The token table.  A word of both universes reads the packet of the one
 * being compiled for (its handler picks the ops), so a program holds the
 * input ops of one universe only. */
static const struct kw kws[] = {
	{ "option",       U4 | U6, tok_option },
	{ "relay4",       U4,      tok_relay4 },
	{ "relay6",       U6,      tok_relay6 },
	{ "pkt",          U4 | U6, tok_pkt },
	{ "pkt4",         U4,      tok_pkt4 },
	{ "pkt6",         U6,      tok_pkt6 },
	{ "vendor",       U4 | U6, tok_vendor },
	{ "vendor-class", U4 | U6, tok_vendor_class },
};

static int hexval(char ch)
{
	return is_digit(ch) ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

static enum ty parse_primary(struct cc *c)
{
	struct tok k = c->cur;
	char d[64];
	uint8_t b[16];
	enum ty t;

	if (c->failed)
		return TY_NONE;
	switch (k.kind) {
	case TK_LP:
		if (++c->nest > CLS_NEST_MAX) {
			fail(c, k.col, "expression nested more than %d deep", CLS_NEST_MAX);
			return TY_NONE;
		}
		lex(c);
		t = parse_or(c);
		if (!c->failed && c->cur.kind != TK_RP) {
			describe(&c->cur, d, sizeof(d));
			fail(c, c->cur.col, "expected ')' to close the '(' at col %d, got %s",
			     k.col, d);
		}
		lex(c);
		c->nest--;
		return t;
	case TK_STR:
		lex(c);
		op_const(c, k.col, k.s, k.len);
		return TY_STR;
	case TK_HEX: {
		/* 0x, then the digits; an odd count gets a leading 0 (Kea). */
		size_t nd = k.len - 2, nb = (nd + 1) / 2;
		uint8_t *v = malloc(nb ? nb : 1);
		const char *h = k.s + 2;

		if (v == NULL) {
			fail(c, k.col, "out of memory");
			return TY_NONE;
		}
		for (size_t i = 0, j = 0; i < nb; i++) {
			unsigned hi = 0;

			if (i > 0 || nd % 2 == 0)
				hi = hexval(h[j++]);
			v[i] = (uint8_t)(hi << 4 | hexval(h[j++]));
		}
		lex(c);
		op_const(c, k.col, v, nb);
		free(v);
		return TY_STR;
	}
	case TK_INT:
		/* An integer where a string goes is its 4-byte big-endian
		 * value, as Kea's TokenInteger. */
		if (k.ival < 0 || k.ival > UINT32_MAX) {
			fail(c, k.col, "integer %.*s out of range 0..4294967295", (int)k.len, k.s);
			return TY_NONE;
		}
		b[0] = (uint8_t)(k.ival >> 24);
		b[1] = (uint8_t)(k.ival >> 16);
		b[2] = (uint8_t)(k.ival >> 8);
		b[3] = (uint8_t)k.ival;
		lex(c);
		op_const(c, k.col, b, 4);
		return TY_STR;
	case TK_IP4:
	case TK_IP6: {
		char s[64];

		memcpy(s, k.s, k.len);
		s[k.len] = '\0';
		inet_pton(k.kind == TK_IP4 ? AF_INET : AF_INET6, s, b);
		lex(c);
		op_const(c, k.col, b, k.kind == TK_IP4 ? 4 : 16);
		return TY_STR;
	}
	case TK_IDENT:
		for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
			if (is_kw(&k, fns[i].name)) {
				if (++c->nest > CLS_NEST_MAX) {
					fail(c, k.col, "expression nested more than %d deep", CLS_NEST_MAX);
					return TY_NONE;
				}
				lex(c);
				t = call(c, k.col, &fns[i]);
				c->nest--;
				return t;
			}
		}
		for (unsigned i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
			if (!is_kw(&k, kws[i].name))
				continue;
			if (!(kws[i].universes & (c->uni == CLS_V6 ? U6 : U4))) {
				fail(c, k.col, "'%s' can only be used in DHCPv%c", kws[i].name,
				     c->uni == CLS_V6 ? '4' : '6');
				return TY_NONE;
			}
			lex(c);
			return kws[i].fn(c, k.col);
		}
		/* fall through */
	default:
		describe(&k, d, sizeof(d));
		fail(c, k.col, "unexpected %s", d);
		return TY_NONE;
	}
}

static enum ty parse_cmp(struct cc *c)
{
	enum ty l = parse_primary(c), r;

	while (!c->failed && c->cur.kind == TK_EQ) {
		int col = c->cur.col;

		lex(c);
		r = parse_primary(c);
		if (c->failed)
			break;
		if (l != TY_STR || r != TY_STR) {
			fail(c, col, "'==' needs string operands, got %s",
			     l != TY_STR ? ty_name(l) : ty_name(r));
			break;
		}
		op(c, col, CLS_OP_EQ, 2, NULL, 0);
		l = TY_BOOL;
	}
	return l;
}

static enum ty parse_not(struct cc *c)
{
	enum ty t;

	if (is_kw(&c->cur, "not")) {
		int col = c->cur.col;

		if (++c->nest > CLS_NEST_MAX) {
			fail(c, col, "expression nested more than %d deep", CLS_NEST_MAX);
			return TY_NONE;
		}
		lex(c);
		t = parse_not(c);
		c->nest--;
		if (c->failed)
			return TY_NONE;
		if (t != TY_BOOL) {
			fail(c, col, "'not' needs a boolean operand, got %s", ty_name(t));
			return TY_NONE;
		}
		op(c, col, CLS_OP_NOT, 1, NULL, 0);
		return TY_BOOL;
	}
	return parse_cmp(c);
}

static enum ty parse_binary(struct cc *c, const char *kw, enum cls_op o,
			    enum ty (*sub)(struct cc *))
{
	enum ty l = sub(c), r;

	while (!c->failed && is_kw(&c->cur, kw)) {
		int col = c->cur.col;
		uint8_t j[3] = { o == CLS_OP_OR ? CLS_OP_JOR : CLS_OP_JAND, 0, 0 };
		size_t at = c->code_len, skip;
		unsigned f0 = c->fallible;

		lex(c);
		emit(c, j, 3);              /* the jump over [b]; patched below */
		c->last_op = at;
		r = sub(c);
		if (c->failed)
			return TY_NONE;
		if (l != TY_BOOL || r != TY_BOOL) {
			fail(c, col, "'%s' needs boolean operands, got %s", kw,
			     l != TY_BOOL ? ty_name(l) : ty_name(r));
			return TY_NONE;
		}
		if (c->fallible != f0) {
			/* [b] may fail: Kea evaluates it, so no jump, and the
			 * op combines both.  Jumps inside [b] are relative and
			 * move with it. */
			memmove(c->code + at, c->code + at + 3, c->code_len - at - 3);
			c->code_len -= 3;
			c->last_op -= 3;
			op(c, col, o, 2, NULL, 0);
		} else {
			/* the jump pops a that does not decide, so [b] is the
			 * result and no op is needed after it */
			c->depth--;
			skip = c->code_len - (at + 3);
			if (skip > UINT16_MAX) {
				fail(c, col, "expression too long");
				return TY_NONE;
			}
			c->code[at + 1] = (uint8_t)skip;
			c->code[at + 2] = (uint8_t)(skip >> 8);
		}
	}
	return l;
}

static enum ty parse_and(struct cc *c)
{
	return parse_binary(c, "and", CLS_OP_AND, parse_not);
}

static enum ty parse_or(struct cc *c)
{
	return parse_binary(c, "or", CLS_OP_OR, parse_and);
}

struct cls_prog *cls_compile(const struct cls_compile_params *p, struct cls_err *err)
{
	struct cls_err dummy;
	struct cls_prog *prog = NULL;
	struct cc c;
	enum ty t;
	char d[64];

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (p == NULL || p->text == NULL ||
	    (p->result != CLS_T_BOOL && p->result != CLS_T_STRING) ||
	    (p->universe != 0 && p->universe != CLS_V4 && p->universe != CLS_V6)) {
		snprintf(err->msg, sizeof(err->msg), "invalid compile parameters");
		errno = EINVAL;
		return NULL;
	}
	if (p->reg != NULL && p->reg->uni != (p->universe ? p->universe : CLS_V4)) {
		snprintf(err->msg, sizeof(err->msg), "member() registry holds DHCPv%d classes, "
			 "the expression is for DHCPv%d", p->reg->uni, p->universe ? p->universe : CLS_V4);
		errno = EINVAL;
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.text = p->text;
	c.text_len = strlen(p->text);
	c.uni = p->universe ? p->universe : CLS_V4;
	c.reg = p->reg;
	c.err = err;
	if (c.text_len > CLS_EXPR_MAX) {
		fail(&c, 1, "expression longer than %d bytes", CLS_EXPR_MAX);
		errno = EINVAL;
		return NULL;
	}
	/* Every token emits at most 10 bytes of code and 16 of constants. */
	c.code_cap = 10 * c.text_len + 16;
	c.cst_cap = 16 * c.text_len + 16;
	c.code = malloc(c.code_cap);
	c.cst = malloc(c.cst_cap);
	if (c.code == NULL || c.cst == NULL) {
		errno = ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}

	lex(&c);
	if (c.cur.kind == TK_END && !c.failed)
		fail(&c, 1, "empty expression");
	t = parse_or(&c);
	if (!c.failed && c.cur.kind != TK_END) {
		describe(&c.cur, d, sizeof(d));
		fail(&c, c.cur.col, "unexpected %s after a complete expression", d);
	}
	if (!c.failed && t != (p->result == CLS_T_BOOL ? TY_BOOL : TY_STR))
		fail(&c, 1, "expression is %s, a %s is needed here", ty_name(t),
		     p->result == CLS_T_BOOL ? "boolean" : "string");
	if (c.failed) {
		errno = EINVAL;
		goto out;
	}
	op(&c, 1, CLS_OP_END, 1, NULL, 0);

	prog = malloc(sizeof(*prog) + c.code_len + c.cst_len);
	if (prog == NULL) {
		errno = ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}
	prog->result = (uint8_t)p->result;
	prog->stack = (uint8_t)c.max_depth;
	prog->depends_known = c.depends_known;
	prog->universe = (uint8_t)c.uni;
	prog->code_len = (uint16_t)c.code_len;
	prog->const_len = (uint16_t)c.cst_len;
	memcpy(prog->code, c.code, c.code_len);
	memcpy(prog->code + c.code_len, c.cst, c.cst_len);
out:
	free(c.code);
	free(c.cst);
	return prog;
}

void cls_prog_free(struct cls_prog *p)
{
	free(p);
}

size_t cls_prog_code_len(const struct cls_prog *p)
{
	return p->code_len;
}

unsigned cls_prog_stack(const struct cls_prog *p)
{
	return p->stack;
}

bool cls_prog_depends_known(const struct cls_prog *p)
{
	return p->depends_known;
}

enum cls_universe cls_prog_universe(const struct cls_prog *p)
{
	return (enum cls_universe)p->universe;
}
