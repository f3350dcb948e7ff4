/* libFuzzer target for the engine's wire formats.
 *
 * The same input is read as an Ethernet frame (net_parse_udp4, then the
 * DHCP payload it carries, and net_arp_reply on a copy), as a bare DHCP
 * message (dhcp4_parse), and as an option-data string for the config
 * encoder.  Whatever parses is rebuilt as a reply and parsed back: the
 * options must survive the round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4_options.h"
#include "dhcp4_wire.h"
#include "net.h"

#define check(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct dhcp4_pkt req, back;
static uint8_t out[65536 + 2048];

/* Every option of `req` but 52 and 53 goes into a reply; the reply, read
 * as a request again, must carry the same values. */
static void roundtrip(void)
{
	struct dhcp4_build b;
	struct dhcp4_hdr *h;
	size_t n;

	dhcp4_build_init(&b, out, sizeof(out), req.hdr, DHCP4_ACK);
	check(!b.overflow);
	for (int i = 0; i < req.n_opts; i++) {
		const struct dhcp4_opt_ref *o = &req.opts[i];

		if (o->code == DHCP4_OPT_OVERLOAD || o->code == DHCP4_OPT_MSG_TYPE)
			continue;
		check(dhcp4_build_opt(&b, o->code, o->data, o->len) == 0);
	}
	n = dhcp4_build_finish(&b);
	check(n >= DHCP4_BOOTP_MIN && n <= sizeof(out));

	h = (struct dhcp4_hdr *)out;
	check(h->op == DHCP4_BOOTREPLY && h->xid == req.hdr->xid);
	h->op = DHCP4_BOOTREQUEST;
	check(dhcp4_parse(&back, out, n) == 0);
	check(back.msg_type == DHCP4_ACK);
	for (int i = 0; i < req.n_opts; i++) {
		const struct dhcp4_opt_ref *o = &req.opts[i];
		const uint8_t *d;
		uint16_t l;

		if (o->code == DHCP4_OPT_OVERLOAD || o->code == DHCP4_OPT_MSG_TYPE)
			continue;
		d = dhcp4_opt(&back, o->code, &l);
		check(d != NULL && l == o->len && memcmp(d, o->data, l) == 0);
	}
}

static void parse_dhcp(const uint8_t *d, size_t n)
{
	int rc = dhcp4_parse(&req, d, n);

	check(rc <= 0 && rc > -DHCP4_ERR_MAX);
	if (rc == 0) {
		check(req.msg_type >= DHCP4_DISCOVER && req.msg_type <= DHCP4_INFORM);
		roundtrip();
	}
}

static void encode_opt(const uint8_t *d, size_t n)
{
	char data[512], err[128];
	uint8_t val[255];
	const struct dhcp4_opt_def *def;
	int rc;

	if (n < 2)
		return;
	if (n - 2 >= sizeof(data))
		n = sizeof(data) + 1;
	memcpy(data, d + 2, n - 2);
	data[n - 2] = '\0';
	def = dhcp4_opt_def_by_code(d[0]);
	rc = dhcp4_opt_encode(def, data, d[1] & 1, val, err, sizeof(err));
	check(rc >= -1 && rc <= 255);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct net_udp4 u;
	static uint8_t frame[65536];

	if (net_parse_udp4(d, n, &u) == 0) {
		check((size_t)u.payload_off + u.payload_len <= n);
		parse_dhcp(d + u.payload_off, u.payload_len);
	}
	parse_dhcp(d, n);

	if (n <= sizeof(frame)) {
		size_t r;

		memcpy(frame, d, n);
		r = net_arp_reply(frame, n, 0xc6120001u, (const uint8_t *)"\x02\x00\x5e\x12\x00\x01");
		check(r == 0 || r == n);
		if (r == 0)
			check(memcmp(frame, d, n) == 0);
	}
	encode_opt(d, n);
	return 0;
}
