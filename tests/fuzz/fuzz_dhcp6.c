/* libFuzzer target for DHCPv6 and IPv6 on the wire.
 *
 * The same input is read as a bare DHCPv6 message (dhcp6_parse) and as an
 * Ethernet frame (net_parse_udp6_flags, then the payload it carries, and
 * net_nd_reply on a copy).  Whatever parses gets a reply built for it,
 * with every IA and address echoed, and the reply must parse back with
 * the same relay chain, transaction id and IAs; built again into a buffer
 * too small for it, the builder must say so and write nothing past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_wire.h"
#include "net.h"

#define check(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct dhcp6_pkt req, back;
static uint8_t out[DHCP6_BUILD_MAX + 64];

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

/* Every view the parser gave points into the input. */
static void check_views(const uint8_t *d, size_t n)
{
	check(req.n_relays <= DHCP6_MAX_RELAYS && req.n_opts <= DHCP6_MAX_OPTS);
	check(req.n_ias <= DHCP6_MAX_IAS);
	check(req.msg_type >= DHCP6_SOLICIT && req.msg_type <= DHCP6_INFORMATION_REQUEST);
	check(inside(req.msg, req.msg_len, d, n));
	for (int i = 0; i < req.n_relays; i++) {
		const struct dhcp6_relay *r = &req.relays[i];

		check(inside(r->opts, r->opts_len, d, n));
		if (r->interface_id.data != NULL)
			check(inside(r->interface_id.data, r->interface_id.len, r->opts, r->opts_len));
		check(dhcp6_opt_in(r->opts, r->opts_len, DHCP6_OPT_RELAY_MSG, NULL) != NULL);
	}
	for (int i = 0; i < req.n_opts; i++)
		check(inside(req.opts[i].data, req.opts[i].len, req.msg, req.msg_len));
	check((dhcp6_opt(&req, DHCP6_OPT_CLIENTID, NULL) != NULL) == (req.client_id.data != NULL));
	check(!dhcp6_oro_has(&req, DHCP6_OPT_DNS_SERVERS) || req.oro.len >= 2);
	for (int i = 0; i < req.n_ias; i++) {
		const struct dhcp6_ia *ia = &req.ias[i];

		check(ia->n_addrs <= DHCP6_MAX_IA_ADDRS);
		for (int k = 0; k < ia->n_addrs; k++) {
			check(inside(ia->addrs[k].addr, 16, ia->opts, ia->opts_len));
			check(ia->addrs[k].plen <= 128);
			dhcp6_opt_in(ia->addrs[k].opts, ia->addrs[k].opts_len, DHCP6_OPT_STATUS_CODE, NULL);
		}
	}
}

/* A reply with every IA of the request and each of its addresses. */
static size_t build(size_t cap)
{
	struct dhcp6_build b;
	uint8_t f[25];

	dhcp6_build_init(&b, out, cap, &req, DHCP6_REPLY);
	if (req.client_id.data != NULL)
		dhcp6_build_opt(&b, DHCP6_OPT_CLIENTID, req.client_id.data, req.client_id.len);
	dhcp6_build_opt(&b, DHCP6_OPT_SERVERID, "\x00\x03\x00\x01\x02\x00\x5e\x12\x00\x01", 10);
	for (int i = 0; i < req.n_ias; i++) {
		const struct dhcp6_ia *ia = &req.ias[i];
		bool pd = ia->type == DHCP6_OPT_IA_PD;
		int h;

		wr32(f, ia->iaid);
		wr32(f + 4, 1800);
		wr32(f + 8, 2880);
		h = dhcp6_build_open(&b, ia->type, f, ia->type == DHCP6_OPT_IA_TA ? 4 : 12);
		for (int k = 0; k < ia->n_addrs; k++) {
			const struct dhcp6_iaaddr *a = &ia->addrs[k];
			int ah;

			if (pd) {
				wr32(f, 3600);
				wr32(f + 4, 5400);
				f[8] = a->plen;
				memcpy(f + 9, a->addr, 16);
			} else {
				memcpy(f, a->addr, 16);
				wr32(f + 16, 3600);
				wr32(f + 20, 5400);
			}
			ah = dhcp6_build_open(&b, pd ? DHCP6_OPT_IAPREFIX : DHCP6_OPT_IAADDR, f,
					      pd ? 25 : 24);
			dhcp6_build_status(&b, DHCP6_ST_SUCCESS, "ok");
			dhcp6_build_close(&b, ah);
		}
		dhcp6_build_close(&b, h);
	}
	dhcp6_build_status(&b, DHCP6_ST_SUCCESS, NULL);
	return dhcp6_build_finish(&b);
}

/* The reply framed as the datapath would send it, and read back with
 * its checksum checked. */
static void frame_reply(size_t n)
{
	static uint8_t f[NET_UDP6_HLEN + DHCP6_BUILD_MAX];
	static const uint8_t mac[6] = { 2, 0, 0x5e, 0x12, 0, 1 };
	struct net_udp6 u;
	size_t len;

	memcpy(f + NET_UDP6_HLEN, out, n);
	len = net_build_udp6(f, mac, mac, req.relays[0].peer_addr, req.relays[0].link_addr,
			     DHCP6_SERVER_PORT, DHCP6_SERVER_PORT, n, 64);
	check(len == NET_UDP6_HLEN + n);
	check(net_parse_udp6(f, len, &u) == 0 && u.payload_len == n);
}

static void roundtrip(void)
{
	size_t n = build(DHCP6_BUILD_MAX), half;

	if (n == 0)
		return;    /* a request near 64 KB can echo more than fits */
	if (req.n_relays > 0)
		frame_reply(n);
	check(dhcp6_parse(&back, out, n) == 0);
	check(back.n_relays == req.n_relays && back.transid == req.transid);
	check(back.msg_type == DHCP6_REPLY && back.n_ias == req.n_ias);
	for (int i = 0; i < req.n_relays; i++) {
		const struct dhcp6_relay *q = &req.relays[i], *r = &back.relays[i];

		check(r->hop_count == q->hop_count);
		check(memcmp(r->link_addr, q->link_addr, 16) == 0);
		check(memcmp(r->peer_addr, q->peer_addr, 16) == 0);
		check((r->interface_id.data == NULL) == (q->interface_id.data == NULL));
		check(r->interface_id.len == q->interface_id.len);
		check(r->remote_id.len == q->remote_id.len);
	}
	for (int i = 0; i < req.n_ias; i++) {
		check(back.ias[i].iaid == req.ias[i].iaid && back.ias[i].type == req.ias[i].type);
		check(back.ias[i].n_addrs == req.ias[i].n_addrs);
	}

	/* too small by half: refused, and nothing written past the cap */
	half = n / 2;
	memset(out + half, 0xa5, n - half);
	check(build(half) == 0);
	for (size_t i = half; i < n; i++)
		check(out[i] == 0xa5);
}

static void parse_dhcp6(const uint8_t *d, size_t n)
{
	int rc = dhcp6_parse(&req, d, n);

	check(rc <= 0 && rc > -DHCP6_ERR_MAX);
	if (rc == 0) {
		check_views(d, n);
		roundtrip();
	}
}

/* RFC 1071 over the IPv6 pseudo-header and an ICMPv6 message, the slow
 * way: 0 when the message's checksum is right. */
static uint16_t icmp6_csum(const uint8_t *ip, size_t n)
{
	uint32_t sum = (uint32_t)n + 58;

	for (size_t i = 8; i < 40; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)ip[40 + i] << 8 | ip[41 + i];
	if (n & 1)
		sum += (uint32_t)ip[40 + n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const uint8_t my_ips[2][16] = {
		{ 0xfe, 0x80, [8] = 0x00, 0x00, 0x5e, 0xff, 0xfe, 0x12, 0x00, 0x01 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 1 },
	};
	static uint8_t frame[65536 + NET_ND_NA_LEN];
	struct net_udp6 u;

	parse_dhcp6(d, n);
	for (unsigned flags = 0; flags <= NET_PARSE_NO_UDP_CSUM; flags++) {
		if (net_parse_udp6_flags(d, n, &u, flags) == 0) {
			check((size_t)u.payload_off + u.payload_len <= n);
			check(u.payload_off >= NET_UDP6_HLEN);
			parse_dhcp6(d + u.payload_off, u.payload_len);
		}
	}

	if (n <= 65536) {
		size_t r;

		memcpy(frame, d, n);
		r = net_nd_reply(frame, n, my_ips, 2, (const uint8_t *)"\x02\x00\x5e\x12\x00\x01");
		check(r == 0 || r == NET_ND_NA_LEN);
		if (r == 0) {
			check(memcmp(frame, d, n) == 0);
		} else {
			const uint8_t *ip = frame + NET_ETH_HLEN;

			check(ip[6] == 58 && ip[7] == 255 && ip[40] == 136);
			check(icmp6_csum(ip, 32) == 0);
		}
	}
	return 0;
}
