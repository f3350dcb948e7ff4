/* libFuzzer target for the client-class expression compiler.
 *
 * The first input byte picks the result type (bit 0: boolean test or
 * string, e.g. flex-id) and the universe (bit 1: DHCPv4 or DHCPv6); the
 * rest is expression text, up to a NUL byte.  It is compiled against a
 * small registry of that universe (two classes, one depending on KNOWN)
 * and whatever compiles is evaluated against a packet rich in the options
 * the tokens read (DHCPv4: 60, 61, 82, 124, 125; DHCPv6: relays, 1, 16,
 * 17) and a bare one; in DHCPv6 also against a message whose relays and
 * options are made from the bytes after the NUL (fuzz6.c; a view built by
 * hand, not by the parser).  The evaluator must stay inside its stack and
 * scratch, return only its documented results, and give string results
 * that point into the packet, the program or the scratch buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cls.h"
#include "cls_internal.h"
#include "dhcp4_wire.h"
#include "fuzz_cls.h"

static const uint8_t rich_opts[] = {
	53, 1, 3,
	60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
	61, 7, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	12, 6, 'H', 'o', 's', 't', '-', '1',
	82, 9, 1, 2, 'e', '0', 2, 3, 'a', 'b', 'c',
	124, 22, 0, 0, 0x11, 0x8b, 9, 'd', 'o', 'c', 's', 'i', 's', '3', '.', '0',
	0, 0, 0x11, 0x8b, 3, 'f', 'o', 'o',
	125, 14, 0, 0, 0x11, 0x8b, 9, 1, 3, 'a', 'b', 'c', 2, 2, 1, 2,
	255,
};
static const uint8_t bare_opts[] = { 53, 1, 1, 255 };

static uint8_t raw[2][512];
static size_t raw_len[2];
static struct dhcp4_pkt pkts[2];
static struct cls_scratch scratch;
static char text[CLS_EXPR_MAX + 2];
static const char iface[] = "eth0";

static size_t build(uint8_t *buf, const uint8_t *opts, size_t n)
{
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;

	memset(buf, 0, DHCP4_MIN_LEN);
	h->op = DHCP4_BOOTREQUEST;
	h->htype = 1;
	h->hlen = 6;
	h->xid = 0x04030201;
	h->giaddr = 0x010112c6;
	memcpy(h->chaddr, "\x02\x00\x5e\x00\x00\x01", 6);
	h->magic = __builtin_bswap32(DHCP4_MAGIC);
	memcpy(buf + DHCP4_MIN_LEN, opts, n);
	return DHCP4_MIN_LEN + n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	raw_len[0] = build(raw[0], rich_opts, sizeof(rich_opts));
	raw_len[1] = build(raw[1], bare_opts, sizeof(bare_opts));
	check(dhcp4_parse(&pkts[0], raw[0], raw_len[0]) == 0);
	check(dhcp4_parse(&pkts[1], raw[1], raw_len[1]) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct dhcp4_rx rx = { .iface = 0, .src_ip = 0xc6120101, .dst_ip = 0xc6120001 };
	struct cls_compile_params cp;
	struct cls_registry *reg;
	struct cls_prog *prog;
	struct cls_err err;
	struct cls_set set;

	if (n < 1)
		return 0;
	if (d[0] & 2)
		return fuzz_cls6(d, n);
	if (n - 1 > CLS_EXPR_MAX + 1)
		return 0;
	memcpy(text, d + 1, n - 1);
	text[n - 1] = '\0';

	reg = cls_registry_create();
	check(reg != NULL);
	check(cls_registry_set_iface(reg, 0, "eth0") == 0);
	check(cls_registry_add(reg, "A", "option[60].exists", 0, &err) == CLS_ID_FIRST_USER);
	check(cls_registry_add(reg, "K", "member('KNOWN')", 0, &err) == CLS_ID_FIRST_USER + 1);

	memset(&cp, 0, sizeof(cp));
	cp.text = text;
	cp.result = (d[0] & 1) ? CLS_T_STRING : CLS_T_BOOL;
	cp.universe = CLS_V4;
	cp.reg = reg;
	prog = cls_compile(&cp, &err);
	if (prog == NULL) {
		check_refused(&err, n);
		cls_registry_free(reg);
		return 0;
	}
	check(cls_prog_stack(prog) >= 1 && cls_prog_stack(prog) <= CLS_STACK_MAX);

	cls_set_clear(&set);
	cls_set_add(&set, CLS_ID_ALL);
	cls_set_add(&set, CLS_ID_FIRST_USER);
	for (int i = 0; i < 2; i++) {
		struct cls_env env = { .pkt = &pkts[i], .rx = i ? NULL : &rx,
				       .iface = i ? NULL : iface, .set = i ? NULL : &set };
		int r;

		if (cp.result == CLS_T_BOOL) {
			r = cls_eval_bool(prog, &env);
			check(r == 0 || r == 1 || r == -EDOM || r == -ENOSPC);
		} else {
			const uint8_t *out = NULL;
			size_t len = 0;

			r = cls_eval_str(prog, &env, &scratch, &out, &len);
			check(r == 0 || r == -EDOM || r == -ENOSPC);
			check(scratch.used <= sizeof(scratch.buf));
			if (r == 0 && len > 0)
				check(inside(out, len, raw[i], raw_len[i]) ||
				      inside(out, len, pkts[i].concat, sizeof(pkts[i].concat)) ||
				      inside(out, len, scratch.buf, scratch.used) ||
				      inside(out, len, prog->code, (size_t)prog->code_len + prog->const_len) ||
				      inside(out, len, iface, 4));
		}
	}
	/* The same text as a class of the registry: same verdict. */
	if (cp.result == CLS_T_BOOL) {
		struct cls_cache *cc = cls_cache_create(NULL);

		check(cc != NULL);
		check(cls_registry_add(reg, "fuzzed", text, 0, &err) > CLS_ID_DROP);
		/* through the cache (twice: a miss, then a hit): the same answer */
		for (int i = 0; i < 2; i++) {
			const struct dhcp4_rx *r = i ? NULL : &rx;
			struct cls_set direct, cached;
			int rd = cls_classify(reg, &pkts[i], r, &direct, CLS_STAGE_PRE_HOST);

			for (int k = 0; k < 2; k++) {
				check(cls_classify_cached(reg, cc, &pkts[i], r, &cached) == rd);
				check(memcmp(&direct, &cached, sizeof(direct)) == 0);
			}
		}
		cls_cache_free(cc);
		check(cls_classify(reg, &pkts[0], &rx, &set, CLS_STAGE_PRE_HOST) >= 0);
		cls_set_known(&set, true);
		check(cls_classify(reg, &pkts[0], &rx, &set, CLS_STAGE_POST_HOST) >= 0);
	}
	cls_prog_free(prog);
	cls_registry_free(reg);
	return 0;
}
