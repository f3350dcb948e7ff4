/* The DHCPv6 half of fuzz_cls: an input whose first byte has bit 1 set.
 *
 *   byte 0      bit 0: string result (else a boolean test)
 *   text        up to the first NUL (or the end): the expression
 *   packet      the bytes after that NUL, read by build_fuzzed(): a
 *               DHCPv6 view made by hand, as the parser would fill it
 *               but with whatever counts and lengths the bytes say
 *
 * The expression is compiled for DHCPv6 against a DHCPv6 registry and run
 * on a relayed message rich in what the tokens read, a bare one and the
 * fuzzed one; as a class it must give the classify stages the same verdict
 * as a direct evaluation.  Each view points into a heap copy of exactly
 * the bytes it may use, so ASan catches a read past them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cls.h"
#include "cls_internal.h"
#include "dhcp6_wire.h"
#include "fuzz_cls.h"

static char text6[CLS_EXPR_MAX + 2];
static struct cls_scratch scratch6;
static struct dhcp6_pkt rich, bare, fz;
static uint8_t rich_buf[512];
static size_t rich_len;
static const char iface6[] = "eth0";
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };

/* Appends n bytes to the rich message's buffer and returns where. */
static const uint8_t *rich_put(const void *b, size_t n)
{
	uint8_t *at = rich_buf + rich_len;

	check(rich_len + n <= sizeof(rich_buf));
	memcpy(at, b, n);
	rich_len += n;
	return at;
}

static void rich_opt(uint16_t code, const void *v, uint16_t len)
{
	struct dhcp6_opt_ref *o = &rich.opts[rich.n_opts++];

	o->code = code;
	o->len = len;
	o->data = rich_put(v, len);
}

/* A REQUEST through three relays (interface-id and remote-id on the
 * outer one) with a client-id, two vendor-class tuples, two vendor
 * sub-options and an option with a code above 255. */
static void build_rich(void)
{
	static const uint8_t relay_opts[] = { 0, 18, 0, 3, 'i', 'f', 'A',
					      0, 37, 0, 8, 0, 0, 0x11, 0x8b, 'r', 'i', 'd', '0' };
	static const uint8_t duid[] = { 0, 2, 0xaa, 0xbb, 0xcc, 0xdd, 1, 2 };
	static const uint8_t vclass[] = { 0, 0, 0x11, 0x8b, 0, 9, 'd', 'o', 'c', 's', 'i', 's',
					  '3', '.', '0', 0, 3, 'f', 'o', 'o' };
	static const uint8_t vopts[] = { 0, 0, 0x11, 0x8b, 0, 1, 0, 3, 'a', 'b', 'c',
					 0x80, 0, 0, 2, 1, 2 };
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	rich.buf = rich_buf;
	rich.msg_type = DHCP6_REQUEST;
	rich.transid = 0x0a0b0c;
	for (int i = 0; i < 3; i++) {
		struct dhcp6_relay *r = &rich.relays[rich.n_relays++];

		a[15] = (uint8_t)(2 * i + 1);
		r->link_addr = rich_put(a, 16);
		a[15]++;
		r->peer_addr = rich_put(a, 16);
		r->opts = rich_put(relay_opts, i ? 7 : sizeof(relay_opts));
		r->opts_len = i ? 7 : sizeof(relay_opts);
	}
	rich_opt(DHCP6_OPT_CLIENTID, duid, sizeof(duid));
	rich_opt(DHCP6_OPT_VENDOR_CLASS, vclass, sizeof(vclass));
	rich_opt(DHCP6_OPT_VENDOR_OPTS, vopts, sizeof(vopts));
	rich_opt(DHCP6_OPT_RAPID_COMMIT, "", 0);
	rich_opt(1234, "hello", 5);
	rich.len = rich_len;
	bare.msg_type = DHCP6_INFORMATION_REQUEST;
}

/* Bytes of the fuzzed message, taken in order; past the end, nothing. */
struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned rd_u8(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static unsigned rd_u16(struct rd *r)
{
	unsigned hi = rd_u8(r);

	return hi << 8 | rd_u8(r);
}

/* Up to want bytes (fewer at the end): where they are, *got how many. */
static const uint8_t *rd_take(struct rd *r, size_t want, size_t *got)
{
	const uint8_t *at = r->p;

	*got = want < r->n ? want : r->n;
	r->p += *got;
	r->n -= *got;
	return at;
}

/* msg-type, transid (3 bytes), the relay count (a byte: up to 255, more
 * than the array holds), for each relay the array holds: link and peer
 * addresses (16 bytes each; absent when fewer are left) and an option
 * area (a length byte, then that many bytes, whatever they say); then the
 * option count (a byte) and for each option the array holds: code and
 * length (2 bytes each, the length cut to what is left), the value.
 * Relays and options the bytes do not reach stay empty. */
static void build_fuzzed(struct dhcp6_pkt *p, const uint8_t *b, size_t n)
{
	struct rd r = { b, n };
	unsigned nr, no;
	size_t got;

	memset(p, 0, sizeof(*p));
	p->buf = b;
	p->len = n;
	p->msg_type = (uint8_t)rd_u8(&r);
	p->transid = rd_u8(&r) << 16;
	p->transid |= rd_u16(&r);
	nr = rd_u8(&r);
	p->n_relays = (uint8_t)nr;
	for (unsigned i = 0; i < nr && i < DHCP6_MAX_RELAYS && r.n > 0; i++) {
		struct dhcp6_relay *rl = &p->relays[i];
		const uint8_t *a;

		a = rd_take(&r, 16, &got);
		rl->link_addr = got == 16 ? a : NULL;
		a = rd_take(&r, 16, &got);
		rl->peer_addr = got == 16 ? a : NULL;
		rl->opts = rd_take(&r, rd_u8(&r), &got);
		rl->opts_len = (uint16_t)got;
	}
	no = rd_u8(&r);
	p->n_opts = (uint8_t)no;
	for (unsigned i = 0; i < no && i < DHCP6_MAX_OPTS && r.n > 0; i++) {
		struct dhcp6_opt_ref *o = &p->opts[i];
		unsigned len;

		o->code = (uint16_t)rd_u16(&r);
		len = rd_u16(&r);
		o->data = rd_take(&r, len, &got);
		o->len = (uint16_t)got;
	}
}

/* The registry's stages give the fuzzed class (the last one, `id`) the
 * verdict a direct evaluation gives, a failed evaluation counted and the
 * class left out. */
static void check_classes(const struct cls_registry *reg, int id, const struct cls_prog *prog,
			  const struct dhcp6_pkt *p, const struct cls_rx6 *rx)
{
	struct cls_env6 env = { .pkt = p, .src = rx ? rx->src : NULL, .dst = rx ? rx->dst : NULL,
				.iface = rx ? iface6 : NULL };
	struct cls_set set, req;
	bool post = cls_prog_depends_known(prog);
	int fails, r;

	fails = cls_classify6(reg, p, rx, &set, CLS_STAGE_PRE_HOST);
	check(fails >= 0);
	if (post) {
		check(!cls_set_has(&set, (unsigned)id));
		cls_set_known(&set, p == &rich);
		fails = cls_classify6(reg, p, rx, &set, CLS_STAGE_POST_HOST);
		check(fails >= 0);
	}
	env.set = &set;
	r = cls_eval6_bool(prog, &env);
	check(r == 0 || r == 1 || r == -EDOM || r == -ENOSPC);
	check(cls_set_has(&set, (unsigned)id) == (r == 1));
	if (r < 0)
		check(fails >= 1);
	cls_set_clear(&req);
	cls_set_add(&req, (unsigned)id);
	check(cls_require6(reg, p, rx, &set, &req) >= 0);
}

int fuzz_cls6(const uint8_t *d, size_t n)
{
	struct cls_rx6 rx = { .iface = 0, .src = src6, .dst = dst6 };
	const struct dhcp6_pkt *pkts[3] = { &rich, &bare, NULL };
	const uint8_t *nul = memchr(d + 1, '\0', n - 1);
	size_t tlen = nul != NULL ? (size_t)(nul - (d + 1)) : n - 1;
	struct cls_compile_params cp = { 0 };
	struct cls_registry *reg;
	struct cls_prog *prog;
	struct cls_err err;
	struct cls_set set;
	uint8_t *pk = NULL;
	size_t pk_len = 0;
	int id;

	if (rich_len == 0)
		build_rich();
	if (tlen > CLS_EXPR_MAX + 1)
		return 0;
	memcpy(text6, d + 1, tlen);
	text6[tlen] = '\0';
	if (nul != NULL) {
		pk_len = n - tlen - 2;
		pk = malloc(pk_len ? pk_len : 1);
		check(pk != NULL);
		memcpy(pk, nul + 1, pk_len);
		build_fuzzed(&fz, pk, pk_len);
		pkts[2] = &fz;
	}

	reg = cls_registry_create6();
	check(reg != NULL);
	check(cls_registry_set_iface(reg, 0, iface6) == 0);
	check(cls_registry_add(reg, "A", "option[1].exists", 0, &err) == CLS_ID_FIRST_USER);
	check(cls_registry_add(reg, "K", "member('KNOWN')", 0, &err) == CLS_ID_FIRST_USER + 1);
	cp.text = text6;
	cp.result = (d[0] & 1) ? CLS_T_STRING : CLS_T_BOOL;
	cp.universe = CLS_V6;
	cp.reg = reg;
	prog = cls_compile(&cp, &err);
	if (prog == NULL) {
		check_refused(&err, n);
		goto out;
	}
	check(cls_prog_stack(prog) >= 1 && cls_prog_stack(prog) <= CLS_STACK_MAX);
	check(cls_prog_universe(prog) == CLS_V6);

	cls_set_clear(&set);
	cls_set_add(&set, CLS_ID_ALL);
	cls_set_add(&set, CLS_ID_FIRST_USER);
	for (int i = 0; i < 3 && pkts[i] != NULL; i++) {
		struct cls_env6 env = { .pkt = pkts[i], .src = i == 1 ? NULL : src6,
					.dst = i == 1 ? NULL : dst6, .iface = i == 1 ? NULL : iface6,
					.set = i == 1 ? NULL : &set };
		const uint8_t *out = NULL;
		size_t len = 0;
		int r;

		if (cp.result == CLS_T_BOOL) {
			r = cls_eval6_bool(prog, &env);
			check(r == 0 || r == 1 || r == -EDOM || r == -ENOSPC);
			continue;
		}
		r = cls_eval6_str(prog, &env, &scratch6, &out, &len);
		check(r == 0 || r == -EDOM || r == -ENOSPC);
		check(scratch6.used <= sizeof(scratch6.buf));
		if (r == 0 && len > 0)
			check(inside(out, len, rich_buf, rich_len) ||
			      (i == 2 && inside(out, len, pk, pk_len)) ||
			      inside(out, len, scratch6.buf, scratch6.used) ||
			      inside(out, len, prog->code, (size_t)prog->code_len + prog->const_len) ||
			      inside(out, len, iface6, 4) || inside(out, len, src6, 16) ||
			      inside(out, len, dst6, 16));
	}
	/* A DHCPv6 program is refused on DHCPv4 packets without reading them. */
	{
		struct cls_env env4 = { 0 };
		const uint8_t *out;
		size_t len;

		check(cls_eval_bool(prog, &env4) == -EINVAL);
		check(cls_eval_str(prog, &env4, &scratch6, &out, &len) == -EINVAL);
	}
	if (cp.result == CLS_T_BOOL) {
		id = cls_registry_add(reg, "fuzzed", text6, 0, &err);
		check(id > CLS_ID_DROP);
		for (int i = 0; i < 3 && pkts[i] != NULL; i++)
			check_classes(reg, id, prog, pkts[i], i == 1 ? NULL : &rx);
	}
	cls_prog_free(prog);
out:
	cls_registry_free(reg);
	free(pk);
	return 0;
}
