/* Unit tests for DHCPv6 and IPv6 on the wire: the DHCPv6 parser and reply
 * builder, IPv6/UDP framing, neighbour discovery and the address helpers.
 * Golden frames (wire/testdata/v6, made by scapy with gen_dhcp6.py) and
 * the malformed corpus (wire/testdata/malformed6) are read from wire/. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_wire.h"
#include "net.h"
#include "wire_bytes.h"
#include "wire_test_util.h"

static const uint8_t client_mac[6] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x0a };
static const uint8_t server_mac[6] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01 };
/* DUID-LLT of the client and DUID-LL of the server, as gen_dhcp6.py has them */
static const uint8_t client_duid[14] = { 0, 1, 0, 1, 0x2c, 0x3d, 0x4e, 0x5f,
					 0x02, 0x00, 0x5e, 0x12, 0x00, 0x0a };
static const uint8_t server_duid[10] = { 0, 3, 0, 1, 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01 };

static struct dhcp6_pkt pkt;

/* ---------------------------------------------------------------- helpers */

/* The 16 bytes of an address in text form (inet_pton; the test's own
 * strings, so a typo is a test failure, not a silent zero). */
static const uint8_t *ip6(const char *s)
{
	static uint8_t ring[8][16];
	static unsigned next;
	uint8_t *a = ring[next++ % 8];

	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, s, a), 1);
	return a;
}

static bool ip_is(const uint8_t *a, const char *s)
{
	return a != NULL && memcmp(a, ip6(s), 16) == 0;
}

static bool ref_is(const struct dhcp6_opt_ref *o, const void *val, size_t len)
{
	return o->data != NULL && o->len == len && memcmp(o->data, val, len) == 0;
}

/* The reference checksum over the IPv6 pseudo-header and `n` bytes of
 * upper layer: 0 when the checksum in the data is right. */
static uint16_t ref6_csum(const uint8_t *ip, const uint8_t *l4, size_t n, uint8_t nh)
{
	uint32_t sum = (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff) + nh;

	for (size_t i = 8; i < 40; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	return ref_csum(l4, n, sum);
}

/* Recompute the ICMPv6 checksum of a frame after an edit. */
static void icmp6_fix_csum(uint8_t *f)
{
	uint8_t *ip = f + NET_ETH_HLEN, *icmp = ip + 40;
	size_t plen = rd16(ip + 4);

	wr16(icmp + 2, 0);
	wr16(icmp + 2, ref6_csum(ip, icmp, plen, 58));
}

/* Parse the UDP payload of a golden frame into pkt. */
static int parse_golden(const struct blob *b, struct net_udp6 *u)
{
	CU_ASSERT_EQUAL_FATAL(net_parse_udp6(b->p, b->n, u), 0);
	return dhcp6_parse(&pkt, b->p + u->payload_off, u->payload_len);
}

static void ia_fixed(uint8_t f[12], uint32_t iaid, uint32_t t1, uint32_t t2)
{
	wr32(f, iaid);
	wr32(f + 4, t1);
	wr32(f + 8, t2);
}

/* ----------------------------------------------------------------- parser */

static void check_solicit_body(void)
{
	const struct dhcp6_ia *na = &pkt.ias[0], *pd = &pkt.ias[1];
	uint16_t l = 0;

	CU_ASSERT_EQUAL(pkt.msg_type, DHCP6_SOLICIT);
	CU_ASSERT_EQUAL(pkt.transid, 0x123456);
	CU_ASSERT_EQUAL(pkt.n_opts, 6);
	CU_ASSERT_TRUE(ref_is(&pkt.client_id, client_duid, sizeof(client_duid)));
	CU_ASSERT_PTR_NULL(pkt.server_id.data);
	CU_ASSERT_TRUE(ref_is(&pkt.elapsed, "\0\0", 2));
	CU_ASSERT_TRUE(pkt.rapid_commit);
	CU_ASSERT_FALSE(pkt.reconf_accept);
	CU_ASSERT_TRUE(dhcp6_oro_has(&pkt, DHCP6_OPT_DNS_SERVERS));
	CU_ASSERT_TRUE(dhcp6_oro_has(&pkt, DHCP6_OPT_DOMAIN_SEARCH));
	CU_ASSERT_FALSE(dhcp6_oro_has(&pkt, DHCP6_OPT_SOL_MAX_RT));
	CU_ASSERT_PTR_EQUAL(dhcp6_opt(&pkt, DHCP6_OPT_ORO, &l), pkt.oro.data);
	CU_ASSERT_EQUAL(l, 4);
	CU_ASSERT_PTR_NOT_NULL(dhcp6_opt(&pkt, DHCP6_OPT_RAPID_COMMIT, &l));
	CU_ASSERT_EQUAL(l, 0);
	CU_ASSERT_PTR_NULL(dhcp6_opt(&pkt, DHCP6_OPT_SERVERID, &l));

	CU_ASSERT_EQUAL_FATAL(pkt.n_ias, 2);
	CU_ASSERT_EQUAL(na->type, DHCP6_OPT_IA_NA);
	CU_ASSERT_EQUAL(na->iaid, 0x0a0b0c0du);
	CU_ASSERT_EQUAL(na->t1, 3600);
	CU_ASSERT_EQUAL(na->t2, 5400);
	CU_ASSERT_EQUAL(na->opts_len, 28);
	CU_ASSERT_EQUAL_FATAL(na->n_addrs, 1);
	CU_ASSERT_EQUAL(na->n_dropped, 0);
	CU_ASSERT_TRUE(ip_is(na->addrs[0].addr, "2001:db8:1::100"));
	CU_ASSERT_EQUAL(na->addrs[0].plen, 128);
	CU_ASSERT_EQUAL(na->addrs[0].pref, 7200);
	CU_ASSERT_EQUAL(na->addrs[0].valid, 10800);
	CU_ASSERT_EQUAL(na->addrs[0].opts_len, 0);

	CU_ASSERT_EQUAL(pd->type, DHCP6_OPT_IA_PD);
	CU_ASSERT_EQUAL(pd->iaid, 0x01020304u);
	CU_ASSERT_EQUAL(pd->t1, 0);
	CU_ASSERT_EQUAL(pd->t2, 0);
	CU_ASSERT_EQUAL_FATAL(pd->n_addrs, 1);
	CU_ASSERT_TRUE(ip_is(pd->addrs[0].addr, "2001:db8:8000::"));
	CU_ASSERT_EQUAL(pd->addrs[0].plen, 56);
	CU_ASSERT_EQUAL(pd->addrs[0].pref, 0);
	CU_ASSERT_EQUAL(pd->addrs[0].valid, 0);
}

static void test_golden_solicit(void)
{
	struct blob b = load("v6/solicit.bin");
	struct net_udp6 u;
	uint8_t ll[16], mac[6];

	CU_ASSERT_EQUAL_FATAL(parse_golden(&b, &u), 0);
	CU_ASSERT_EQUAL(memcmp(u.src_mac, client_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(u.dst_mac, "\x33\x33\x00\x01\x00\x02", 6), 0);
	CU_ASSERT_TRUE(ip_is(u.src_ip, "fe80::5eff:fe12:a"));
	CU_ASSERT_TRUE(ip_is(u.dst_ip, "ff02::1:2"));
	CU_ASSERT_EQUAL(u.src_port, DHCP6_CLIENT_PORT);
	CU_ASSERT_EQUAL(u.dst_port, DHCP6_SERVER_PORT);
	CU_ASSERT_EQUAL(u.hop_limit, 1);
	CU_ASSERT_EQUAL(u.payload_off, NET_UDP6_HLEN);
	CU_ASSERT_EQUAL(u.payload_len, b.n - NET_UDP6_HLEN);
	/* the helpers agree with what the client's stack put on the wire */
	net_ip6_linklocal(client_mac, ll);
	CU_ASSERT_EQUAL(memcmp(ll, u.src_ip, 16), 0);
	net_ip6_mcast_mac(u.dst_ip, mac);
	CU_ASSERT_EQUAL(memcmp(mac, u.dst_mac, 6), 0);
	CU_ASSERT_TRUE(net_ip6_is_all_dhcp(u.dst_ip));

	CU_ASSERT_EQUAL(pkt.n_relays, 0);
	CU_ASSERT_PTR_EQUAL(pkt.msg, b.p + NET_UDP6_HLEN);
	CU_ASSERT_EQUAL(pkt.msg_len, u.payload_len);
	check_solicit_body();
	free(b.p);
}

static void test_golden_request(void)
{
	struct blob b = load("v6/request.bin");
	struct net_udp6 u;

	CU_ASSERT_EQUAL_FATAL(parse_golden(&b, &u), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP6_REQUEST);
	CU_ASSERT_EQUAL(pkt.transid, 0xabcdef);
	CU_ASSERT_TRUE(ref_is(&pkt.client_id, client_duid, sizeof(client_duid)));
	CU_ASSERT_TRUE(ref_is(&pkt.server_id, server_duid, sizeof(server_duid)));
	CU_ASSERT_TRUE(ref_is(&pkt.elapsed, "\x00\x64", 2));      /* 1 s, in 1/100 */
	CU_ASSERT_FALSE(pkt.rapid_commit);
	CU_ASSERT_TRUE(dhcp6_oro_has(&pkt, DHCP6_OPT_DNS_SERVERS));
	CU_ASSERT_FALSE(dhcp6_oro_has(&pkt, DHCP6_OPT_DOMAIN_SEARCH));
	CU_ASSERT_EQUAL_FATAL(pkt.n_ias, 1);
	CU_ASSERT_EQUAL(pkt.ias[0].iaid, 0x0a0b0c0du);
	CU_ASSERT_EQUAL(pkt.ias[0].t1, 0);
	CU_ASSERT_EQUAL_FATAL(pkt.ias[0].n_addrs, 1);
	CU_ASSERT_TRUE(ip_is(pkt.ias[0].addrs[0].addr, "2001:db8:1::100"));
	CU_ASSERT_EQUAL(pkt.ias[0].addrs[0].valid, 0);
	free(b.p);
}

static void test_golden_relayed(void)
{
	struct blob b = load("v6/relay2_solicit.bin");
	const struct dhcp6_relay *r0 = &pkt.relays[0], *r1 = &pkt.relays[1];
	struct net_udp6 u;
	uint16_t l = 0;
	const uint8_t *d;

	CU_ASSERT_EQUAL_FATAL(parse_golden(&b, &u), 0);
	CU_ASSERT_EQUAL(u.src_port, DHCP6_SERVER_PORT);
	CU_ASSERT_TRUE(ip_is(u.src_ip, "2001:db8:ffff::1"));
	CU_ASSERT_EQUAL(u.hop_limit, 64);
	CU_ASSERT_EQUAL_FATAL(pkt.n_relays, 2);
	/* relays[0]: the hop that sent it to us */
	CU_ASSERT_EQUAL(r0->hop_count, 1);
	CU_ASSERT_TRUE(ip_is(r0->link_addr, "::"));
	CU_ASSERT_TRUE(ip_is(r0->peer_addr, "2001:db8:ffff:10::1"));
	CU_ASSERT_TRUE(ref_is(&r0->interface_id, "ge-0/0/1", 8));
	CU_ASSERT_EQUAL(r0->interface_id.code, DHCP6_OPT_INTERFACE_ID);
	/* enterprise 4491, then the id */
	CU_ASSERT_TRUE(ref_is(&r0->remote_id, "\x00\x00\x11\x8b\x00\x11\x22", 7));
	CU_ASSERT_EQUAL(r0->remote_id.code, DHCP6_OPT_REMOTE_ID);
	CU_ASSERT_PTR_EQUAL(r0->opts, b.p + NET_UDP6_HLEN + DHCP6_RELAY_HDR_LEN);
	CU_ASSERT_EQUAL(r0->opts_len, u.payload_len - DHCP6_RELAY_HDR_LEN);
	/* relays[1]: the client's own link */
	CU_ASSERT_EQUAL(r1->hop_count, 0);
	CU_ASSERT_TRUE(ip_is(r1->link_addr, "2001:db8:1::1"));
	CU_ASSERT_TRUE(ip_is(r1->peer_addr, "fe80::5eff:fe12:a"));
	CU_ASSERT_TRUE(ref_is(&r1->interface_id, "eth3", 4));
	CU_ASSERT_PTR_NULL(r1->remote_id.data);
	d = dhcp6_opt_in(r1->opts, r1->opts_len, DHCP6_OPT_SUBSCRIBER_ID, &l);
	CU_ASSERT_TRUE(d != NULL && l == 6 && memcmp(d, "sub-42", 6) == 0);
	CU_ASSERT_PTR_NULL(dhcp6_opt_in(r1->opts, r1->opts_len, DHCP6_OPT_REMOTE_ID, &l));
	/* the client message, three levels down */
	CU_ASSERT_EQUAL(pkt.msg_len, 129);
	CU_ASSERT_PTR_EQUAL(pkt.msg + pkt.msg_len, b.p + b.n);
	check_solicit_body();
	free(b.p);
}

/* Every proper prefix of a relayed message is refused (the relay's
 * lengths no longer match), and reading one never goes past its end:
 * each is copied into a buffer of exactly its size. */
static void test_truncations(void)
{
	struct blob b = load("v6/relay2_solicit.bin");
	const uint8_t *payload = b.p + NET_UDP6_HLEN;
	size_t n = b.n - NET_UDP6_HLEN;
	unsigned bad = 0;

	for (size_t k = 0; k < n; k++) {
		uint8_t *c = malloc(k + 1);
		int rc;

		memcpy(c, payload, k);
		rc = dhcp6_parse(&pkt, c, k);
		if (rc != -DHCP6_ERR_TRUNCATED && rc != -DHCP6_ERR_OPT_OVERRUN &&
		    rc != -DHCP6_ERR_NO_RELAY_MSG)
			bad++;
		free(c);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, payload, n), 0);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, NULL, 0), -DHCP6_ERR_TRUNCATED);
	free(b.p);
}

/* A message: type, transaction id 0x010203, then `olen` bytes of options. */
static size_t mkmsg(uint8_t *buf, uint8_t type, const void *opts, size_t olen)
{
	buf[0] = type;
	buf[1] = 1;
	buf[2] = 2;
	buf[3] = 3;
	if (olen)
		memcpy(buf + 4, opts, olen);
	return 4 + olen;
}

static size_t put(uint8_t *p, uint16_t code, const void *data, size_t len)
{
	wr16(p, code);
	wr16(p + 2, (uint16_t)len);
	if (len)
		memcpy(p + 4, data, len);
	return 4 + len;
}

/* Wrap buf[0..n) in `depth` RELAY-FORW hops, in place (the buffer has
 * room); the new length. */
static size_t wrap_relays(uint8_t *buf, size_t n, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++) {
		memmove(buf + DHCP6_RELAY_HDR_LEN + 4, buf, n);
		memset(buf, 0, DHCP6_RELAY_HDR_LEN);
		buf[0] = DHCP6_RELAY_FORW;
		buf[1] = (uint8_t)i;                 /* innermost first: hop 0 */
		put(buf + DHCP6_RELAY_HDR_LEN, DHCP6_OPT_RELAY_MSG, NULL, 0);
		wr16(buf + DHCP6_RELAY_HDR_LEN + 2, (uint16_t)n);
		n += DHCP6_RELAY_HDR_LEN + 4;
	}
	return n;
}

static void test_parse_limits(void)
{
	static uint8_t buf[80000], opts[70000];
	uint8_t a[28] = { 0 };
	size_t o, n;

	/* DHCP6_MAX_RELAYS hops are fine, one more is not */
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n = wrap_relays(buf, n, DHCP6_MAX_RELAYS);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.n_relays, DHCP6_MAX_RELAYS);
	CU_ASSERT_EQUAL(pkt.relays[0].hop_count, DHCP6_MAX_RELAYS - 1);
	CU_ASSERT_EQUAL(pkt.relays[DHCP6_MAX_RELAYS - 1].hop_count, 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP6_SOLICIT);
	CU_ASSERT_EQUAL(pkt.transid, 0x010203);
	n = wrap_relays(buf, n, 1);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), -DHCP6_ERR_RELAY_TOO_DEEP);

	/* 64 options are kept, unknown ones too; the 65th is refused */
	for (o = 0; o < DHCP6_MAX_OPTS * 5; o += 5)
		put(opts + o, 0xfff0, "x", 1);
	n = mkmsg(buf, DHCP6_INFORMATION_REQUEST, opts, o);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.n_opts, DHCP6_MAX_OPTS);
	CU_ASSERT_EQUAL(pkt.opts[63].code, 0xfff0);
	CU_ASSERT_TRUE(ref_is(&pkt.opts[63], "x", 1));
	o += put(opts + o, DHCP6_OPT_RECONF_ACCEPT, NULL, 0);
	n = mkmsg(buf, DHCP6_INFORMATION_REQUEST, opts, o);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), -DHCP6_ERR_TOO_MANY_OPTS);
	o = put(opts, DHCP6_OPT_RECONF_ACCEPT, NULL, 0);
	n = mkmsg(buf, DHCP6_REPLY, opts, o);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_TRUE(pkt.reconf_accept);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP6_REPLY);

	/* 300 addresses in one IA: 8 kept, the count of the rest saturates */
	ia_fixed(opts, 7, 100, 200);
	for (o = 12; o < 12 + 300 * 28; o += 28) {
		a[15] = (uint8_t)(o / 28);
		put(opts + o, DHCP6_OPT_IAADDR, a, 24);
	}
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_IA_NA, opts, o);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.ias[0].n_addrs, DHCP6_MAX_IA_ADDRS);
	CU_ASSERT_EQUAL(pkt.ias[0].n_dropped, 255);
	CU_ASSERT_EQUAL(pkt.ias[0].addrs[7].addr[15], 7);
	/* 9: one dropped */
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_IA_NA, opts, 12 + 9 * 28);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.ias[0].n_dropped, 1);
	/* IAADDRs in an IA_PD are not prefixes: kept raw, not indexed */
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_IA_PD, opts, 12 + 2 * 28);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.ias[0].n_addrs, 0);
	CU_ASSERT_EQUAL(pkt.ias[0].opts_len, 2 * 28);
	CU_ASSERT_PTR_NOT_NULL(dhcp6_opt_in(pkt.ias[0].opts, pkt.ias[0].opts_len,
					    DHCP6_OPT_IAADDR, NULL));
	/* IA_TA: an iaid and no timers; 16 IAs are fine */
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	for (int i = 0; i < DHCP6_MAX_IAS; i++)
		n += put(buf + n, DHCP6_OPT_IA_TA, "\x00\x00\x00\x09", 4);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.n_ias, DHCP6_MAX_IAS);
	CU_ASSERT_EQUAL(pkt.ias[15].type, DHCP6_OPT_IA_TA);
	CU_ASSERT_EQUAL(pkt.ias[15].iaid, 9);
	CU_ASSERT_EQUAL(pkt.ias[15].t1, 0);
	/* IAPREFIX: a /128 is the longest there is */
	memset(a, 0, sizeof(a));
	a[8] = 128;
	ia_fixed(opts, 1, 0, 0);
	o = 12 + put(opts + 12, DHCP6_OPT_IAPREFIX, a, 25);
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_IA_PD, opts, o);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.ias[0].addrs[0].plen, 128);
	opts[12 + 4 + 8] = 129;
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_IA_PD, opts, o);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), -DHCP6_ERR_BAD_IA);

	/* DUIDs of 130 bytes are the longest */
	memset(opts, 0x11, 131);
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_CLIENTID, opts, DHCP6_DUID_MAX);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.client_id.len, DHCP6_DUID_MAX);
	n = mkmsg(buf, DHCP6_SOLICIT, NULL, 0);
	n += put(buf + n, DHCP6_OPT_SERVERID, opts, DHCP6_DUID_MAX + 1);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), -DHCP6_ERR_BAD_DUID);
	/* status code: at least its code */
	n = mkmsg(buf, DHCP6_REPLY, NULL, 0);
	n += put(buf + n, DHCP6_OPT_STATUS_CODE, "\x00", 1);
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), -DHCP6_ERR_BAD_OPT_LEN);

	/* A relay longer than a UDP payload: its options cannot be described */
	memset(buf, 0, sizeof(buf));
	buf[0] = DHCP6_RELAY_FORW;
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, DHCP6_RELAY_HDR_LEN + 65536),
			-DHCP6_ERR_OPT_OVERRUN);
	/* RELAY-REPL has the same shape and is walked the same way */
	n = mkmsg(buf, DHCP6_REPLY, NULL, 0);
	n = wrap_relays(buf, n, 1);
	buf[0] = DHCP6_RELAY_REPL;
	CU_ASSERT_EQUAL(dhcp6_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.n_relays, 1);

	/* lookups on absent or broken areas */
	CU_ASSERT_PTR_NULL(dhcp6_opt_in(NULL, 10, 1, NULL));
	CU_ASSERT_PTR_NULL(dhcp6_opt_in((const uint8_t *)"\x00\x01\x00\x09", 4, 1, NULL));
	CU_ASSERT_FALSE(dhcp6_oro_has(&pkt, DHCP6_OPT_DNS_SERVERS));
}

static void test_err_names(void)
{
	for (int i = 1; i < DHCP6_ERR_MAX; i++) {
		CU_ASSERT_STRING_NOT_EQUAL(dhcp6_parse_err_name(-i), "unknown");
		CU_ASSERT_STRING_EQUAL(dhcp6_parse_err_name(-i), dhcp6_parse_err_name(i));
		for (int j = 1; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(dhcp6_parse_err_name(i), dhcp6_parse_err_name(j));
	}
	CU_ASSERT_STRING_EQUAL(dhcp6_parse_err_name(0), "ok");
	CU_ASSERT_STRING_EQUAL(dhcp6_parse_err_name(-DHCP6_ERR_RELAY_TOO_DEEP), "relay-too-deep");
	CU_ASSERT_STRING_EQUAL(dhcp6_parse_err_name(DHCP6_ERR_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(net_err_name(-NET_ERR_NOT_IP6), "not-ipv6");
	CU_ASSERT_STRING_EQUAL(net_err_name(-NET_ERR_BAD_EXT_HDR), "bad-extension-header");
}

/* Every file of testdata/malformed6 is named <error>--<what>.bin and must
 * be refused with that error; together they cover every error. */
static void test_malformed_corpus(void)
{
	DIR *d = opendir("testdata/malformed6");
	bool seen[DHCP6_ERR_MAX] = { false };
	unsigned files = 0;
	struct dirent *e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL) {
		char name[300], want[64];
		const char *sep = strstr(e->d_name, "--");
		size_t nl = strlen(e->d_name);
		struct blob b;
		int rc;

		if (nl < 4 || strcmp(e->d_name + nl - 4, ".bin") != 0)
			continue;
		CU_ASSERT_PTR_NOT_NULL_FATAL(sep);
		snprintf(want, sizeof(want), "%.*s", (int)(sep - e->d_name), e->d_name);
		snprintf(name, sizeof(name), "malformed6/%s", e->d_name);
		b = load(name);
		rc = dhcp6_parse(&pkt, b.p, b.n);
		if (strcmp(dhcp6_parse_err_name(rc), want) != 0 || rc == 0)
			fprintf(stderr, "\n  %s: got %s", e->d_name, dhcp6_parse_err_name(rc));
		CU_ASSERT_STRING_EQUAL(dhcp6_parse_err_name(rc), want);
		CU_ASSERT(rc < 0);
		if (rc < 0 && -rc < DHCP6_ERR_MAX)
			seen[-rc] = true;
		files++;
		free(b.p);
	}
	closedir(d);
	CU_ASSERT(files >= 20);
	for (int i = 1; i < DHCP6_ERR_MAX; i++) {
		if (!seen[i])
			fprintf(stderr, "\n  no malformed6 file for %s", dhcp6_parse_err_name(i));
		CU_ASSERT_TRUE(seen[i]);
	}
}

/* ---------------------------------------------------------------- builder */

/* The reply the golden frames hold.  To solicit.bin (rapid commit): a
 * REPLY with IA_NA and IA_PD and a status; to relay2_solicit.bin: an
 * ADVERTISE whose address carries its own status. */
static size_t build_reply(uint8_t *buf, size_t cap, const struct dhcp6_pkt *req)
{
	bool relayed = req->n_relays > 0;
	struct dhcp6_build b;
	uint8_t f[25];
	int ia, a;

	dhcp6_build_init(&b, buf, cap, req, relayed ? DHCP6_ADVERTISE : DHCP6_REPLY);
	dhcp6_build_opt(&b, DHCP6_OPT_SERVERID, server_duid, sizeof(server_duid));
	dhcp6_build_opt(&b, DHCP6_OPT_CLIENTID, req->client_id.data, req->client_id.len);
	if (!relayed)
		dhcp6_build_opt(&b, DHCP6_OPT_RAPID_COMMIT, NULL, 0);
	ia_fixed(f, req->ias[0].iaid, 1800, 2880);
	ia = dhcp6_build_open(&b, DHCP6_OPT_IA_NA, f, 12);
	memcpy(f, req->ias[0].addrs[0].addr, 16);
	wr32(f + 16, 3600);
	wr32(f + 20, 5400);
	a = dhcp6_build_open(&b, DHCP6_OPT_IAADDR, f, 24);
	if (relayed)
		dhcp6_build_status(&b, DHCP6_ST_SUCCESS, "assigned");
	dhcp6_build_close(&b, a);
	dhcp6_build_close(&b, ia);
	if (!relayed) {
		ia_fixed(f, req->ias[1].iaid, 1800, 2880);
		ia = dhcp6_build_open(&b, DHCP6_OPT_IA_PD, f, 12);
		wr32(f, 3600);
		wr32(f + 4, 5400);
		f[8] = req->ias[1].addrs[0].plen;
		memcpy(f + 9, req->ias[1].addrs[0].addr, 16);
		dhcp6_build_close(&b, dhcp6_build_open(&b, DHCP6_OPT_IAPREFIX, f, 25));
		dhcp6_build_close(&b, ia);
		dhcp6_build_status(&b, DHCP6_ST_SUCCESS, "ok");
	}
	return dhcp6_build_finish(&b);
}

/* Request in, reply frame out, byte for byte what scapy made: the DHCPv6
 * builder and net_build_udp6 together, addressed from the request. */
static void build_golden(const char *req_file, const char *reply_file, uint8_t hop_limit)
{
	struct blob rq = load(req_file), rp = load(reply_file);
	uint8_t *frame = calloc(1, NET_UDP6_HLEN + 2048);
	uint8_t src[16];
	struct net_udp6 u, back;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(parse_golden(&rq, &u), 0);
	n = build_reply(frame + NET_UDP6_HLEN, 2048, &pkt);
	CU_ASSERT_EQUAL_FATAL(n, rp.n - NET_UDP6_HLEN);
	/* to a client on the link from our link-local address; to a relay
	 * from the address it sent to */
	if (pkt.n_relays == 0)
		net_ip6_linklocal(server_mac, src);
	else
		memcpy(src, u.dst_ip, 16);
	n = net_build_udp6(frame, server_mac, u.src_mac, src, u.src_ip, DHCP6_SERVER_PORT,
			   u.src_port, n, hop_limit);
	CU_ASSERT_EQUAL(n, rp.n);
	CU_ASSERT_EQUAL(memcmp(frame, rp.p, rp.n), 0);
	CU_ASSERT_EQUAL(net_parse_udp6(frame, n, &back), 0);
	free(frame);
	free(rq.p);
	free(rp.p);
}

static void test_build_golden(void)
{
	build_golden("v6/solicit.bin", "v6/reply_rapid.bin", 255);
	build_golden("v6/relay2_solicit.bin", "v6/reply_relay2.bin", 64);
}

/* The reply to a twice relayed request, read back by our own parser:
 * RELAY-REPL(RELAY-REPL(ADVERTISE)), hops and echoed options in order,
 * nothing echoed that should not be (the subscriber-id). */
static void test_build_relayed_back(void)
{
	struct blob rq = load("v6/relay2_solicit.bin");
	static uint8_t out[2048];
	static struct dhcp6_pkt rep;
	const struct dhcp6_iaaddr *a;
	struct net_udp6 u;
	uint16_t l = 0;
	const uint8_t *st;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(parse_golden(&rq, &u), 0);
	n = build_reply(out, sizeof(out), &pkt);
	CU_ASSERT_EQUAL_FATAL(dhcp6_parse(&rep, out, n), 0);
	CU_ASSERT_EQUAL(out[0], DHCP6_RELAY_REPL);
	CU_ASSERT_EQUAL_FATAL(rep.n_relays, 2);
	for (int i = 0; i < 2; i++) {
		const struct dhcp6_relay *q = &pkt.relays[i], *r = &rep.relays[i];

		CU_ASSERT_EQUAL(r->hop_count, q->hop_count);
		CU_ASSERT_EQUAL(memcmp(r->link_addr, q->link_addr, 16), 0);
		CU_ASSERT_EQUAL(memcmp(r->peer_addr, q->peer_addr, 16), 0);
		CU_ASSERT_TRUE(ref_is(&r->interface_id, q->interface_id.data, q->interface_id.len));
		CU_ASSERT_PTR_NULL(dhcp6_opt_in(r->opts, r->opts_len, DHCP6_OPT_SUBSCRIBER_ID, NULL));
	}
	CU_ASSERT_EQUAL(rep.relays[0].opts_len, n - DHCP6_RELAY_HDR_LEN);
	CU_ASSERT_TRUE(ref_is(&rep.relays[0].remote_id, "\x00\x00\x11\x8b\x00\x11\x22", 7));
	CU_ASSERT_PTR_NULL(rep.relays[1].remote_id.data);

	CU_ASSERT_EQUAL(rep.msg_type, DHCP6_ADVERTISE);
	CU_ASSERT_EQUAL(rep.transid, 0x123456);
	CU_ASSERT_PTR_EQUAL(rep.msg + rep.msg_len, out + n);
	CU_ASSERT_TRUE(ref_is(&rep.client_id, client_duid, sizeof(client_duid)));
	CU_ASSERT_TRUE(ref_is(&rep.server_id, server_duid, sizeof(server_duid)));
	CU_ASSERT_EQUAL_FATAL(rep.n_ias, 1);
	CU_ASSERT_EQUAL(rep.ias[0].iaid, 0x0a0b0c0du);
	CU_ASSERT_EQUAL(rep.ias[0].t1, 1800);
	CU_ASSERT_EQUAL(rep.ias[0].t2, 2880);
	CU_ASSERT_EQUAL_FATAL(rep.ias[0].n_addrs, 1);
	a = &rep.ias[0].addrs[0];
	CU_ASSERT_TRUE(ip_is(a->addr, "2001:db8:1::100"));
	CU_ASSERT_EQUAL(a->pref, 3600);
	CU_ASSERT_EQUAL(a->valid, 5400);
	st = dhcp6_opt_in(a->opts, a->opts_len, DHCP6_OPT_STATUS_CODE, &l);
	CU_ASSERT_TRUE(st != NULL && l == 10 && memcmp(st, "\x00\x00" "assigned", 10) == 0);
	free(rq.p);
}

/* Every cap short of the reply's size: finish says 0, and nothing is
 * written past the cap.  The exact size is enough. */
static void test_build_overflow(void)
{
	static const char *const reqs[] = { "v6/solicit.bin", "v6/relay2_solicit.bin" };
	static uint8_t out[2048 + 64];
	struct dhcp6_build b;

	for (int r = 0; r < 2; r++) {
		struct blob rq = load(reqs[r]);
		struct net_udp6 u;
		size_t full;
		unsigned bad = 0;

		CU_ASSERT_EQUAL_FATAL(parse_golden(&rq, &u), 0);
		full = build_reply(out, 2048, &pkt);
		CU_ASSERT_FATAL(full > 0);
		for (size_t cap = 0; cap < full; cap++) {
			memset(out, 0xa5, sizeof(out));
			if (build_reply(out, cap, &pkt) != 0)
				bad++;
			for (size_t i = cap; i < sizeof(out); i++)
				if (out[i] != 0xa5)
					bad++;
		}
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(build_reply(out, full, &pkt), full);
		free(rq.p);
	}

	/* the calls after an overflow report it and write nothing */
	dhcp6_build_init(&b, out, 6, &pkt, DHCP6_REPLY);
	CU_ASSERT_TRUE(b.overflow);
	dhcp6_build_init(&b, out, 12, &(struct dhcp6_pkt){ .transid = 0x0a0b0c }, DHCP6_REPLY);
	CU_ASSERT_FALSE(b.overflow);
	CU_ASSERT_EQUAL(memcmp(out, "\x07\x0a\x0b\x0c", 4), 0);
	CU_ASSERT_EQUAL(dhcp6_build_opt(&b, DHCP6_OPT_RAPID_COMMIT, NULL, 0), 0);
	CU_ASSERT_EQUAL(dhcp6_build_opt(&b, DHCP6_OPT_PREFERENCE, "\xff", 1), -ENOSPC);
	CU_ASSERT_TRUE(b.overflow);
	CU_ASSERT_EQUAL(dhcp6_build_opt(&b, DHCP6_OPT_RAPID_COMMIT, NULL, 0), -ENOSPC);
	CU_ASSERT_EQUAL(dhcp6_build_open(&b, DHCP6_OPT_IA_NA, NULL, 0), -1);
	CU_ASSERT_EQUAL(dhcp6_build_status(&b, 0, NULL), -ENOSPC);
	dhcp6_build_close(&b, -1);
	CU_ASSERT_EQUAL(b.len, 8);
	CU_ASSERT_EQUAL(dhcp6_build_finish(&b), 0);
	/* a status without text is its code alone; a huge cap is clamped */
	dhcp6_build_init(&b, out, SIZE_MAX, &(struct dhcp6_pkt){ .transid = 1 }, DHCP6_REPLY);
	CU_ASSERT_EQUAL(b.cap, DHCP6_BUILD_MAX);
	CU_ASSERT_EQUAL(dhcp6_build_status(&b, DHCP6_ST_NO_BINDING, NULL), 0);
	CU_ASSERT_EQUAL(dhcp6_build_finish(&b), 10);
	CU_ASSERT_EQUAL(memcmp(out, "\x07\x00\x00\x01\x00\x0d\x00\x02\x00\x03", 10), 0);
}

/* ------------------------------------------------------------------- IPv6 */

/* Put `ext` (extension headers whose last next-header is UDP) between
 * the IPv6 and UDP headers of f; `first` is the first one's type.  The
 * UDP checksum stays right: the pseudo-header does not cover them. */
static size_t with_ext(uint8_t *f, size_t n, const uint8_t *ext, size_t ext_len, uint8_t first)
{
	uint8_t *ip = f + NET_ETH_HLEN;

	memmove(ip + 40 + ext_len, ip + 40, n - NET_ETH_HLEN - 40);
	memcpy(ip + 40, ext, ext_len);
	ip[6] = first;
	wr16(ip + 4, (uint16_t)(rd16(ip + 4) + ext_len));
	return n + ext_len;
}

static void test_udp6_parse_errors(void)
{
	struct blob b = load("v6/solicit.bin"), x = load("v6/solicit_ext.bin");
	struct blob fr = load("v6/solicit_frag.bin");
	uint8_t *f = malloc(b.n + 256), *ip = f + NET_ETH_HLEN, *udp = ip + 40;
	static const uint8_t not_udp[] = { 6, 50, 51, 58, 59 };   /* TCP ESP AH ICMPv6 none */
	uint8_t ext[9 * 8];
	struct net_udp6 u;
	size_t n;

#define RESET() memcpy(f, b.p, b.n)
	RESET();
	CU_ASSERT_EQUAL(net_ethertype(f, b.n), 0x86dd);
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), 0);
	memset(f + b.n, 0, 64);                        /* Ethernet padding */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n + 64, &u), 0);
	CU_ASSERT_EQUAL(u.payload_len, b.n - NET_UDP6_HLEN);
	CU_ASSERT_EQUAL(net_parse_udp6(f, NET_ETH_HLEN + 39, &u), -NET_ERR_SHORT);
	f[12] = 0x08; f[13] = 0x00;
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_NOT_IP6);
	RESET();
	ip[0] = 0x40;
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_IP_HDR);
	RESET();
	ip[5]++;                                       /* payload length > frame */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_IP_HDR);
	for (unsigned i = 0; i < sizeof(not_udp); i++) {
		RESET();
		ip[6] = not_udp[i];
		CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_NOT_UDP);
	}
	RESET();
	ip[4] = 0; ip[5] = 7;                          /* no room for UDP */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
	RESET();
	udp[4] = 0; udp[5] = 7;
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
	RESET();
	udp[5]++;                                      /* UDP length > IP payload */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
	RESET();
	ip[4] = 0; ip[5] = 0;                          /* jumbogram: not here */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
	RESET();
	f[b.n - 1] ^= 0x10;                            /* payload vs checksum */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_CSUM);
	CU_ASSERT_EQUAL(net_parse_udp6_flags(f, b.n, &u, NET_PARSE_NO_UDP_CSUM), 0);
	RESET();
	udp[6] = udp[7] = 0;                           /* zero: no "none" in IPv6 */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_CSUM);
	CU_ASSERT_EQUAL(net_parse_udp6_flags(f, b.n, &u, NET_PARSE_NO_UDP_CSUM), 0);

	/* hop-by-hop, routing and destination options: skipped */
	CU_ASSERT_EQUAL_FATAL(net_parse_udp6(x.p, x.n, &u), 0);
	CU_ASSERT_EQUAL(u.payload_off, NET_UDP6_HLEN + 3 * 8);
	CU_ASSERT_EQUAL(u.payload_len, b.n - NET_UDP6_HLEN);
	CU_ASSERT_EQUAL(memcmp(x.p + u.payload_off, b.p + NET_UDP6_HLEN, u.payload_len), 0);
	CU_ASSERT_EQUAL(u.dst_port, DHCP6_SERVER_PORT);
	x.p[NET_ETH_HLEN + 40 + 8 + 3] = 1;            /* routing: segments left */
	CU_ASSERT_EQUAL(net_parse_udp6(x.p, x.n, &u), -NET_ERR_BAD_EXT_HDR);
	x.p[NET_ETH_HLEN + 40 + 8 + 3] = 0;
	x.p[NET_ETH_HLEN + 40] = 0;                    /* a second hop-by-hop */
	CU_ASSERT_EQUAL(net_parse_udp6(x.p, x.n, &u), -NET_ERR_BAD_EXT_HDR);
	x.p[NET_ETH_HLEN + 40] = 43;
	x.p[NET_ETH_HLEN + 40 + 16 + 1] = 255;         /* destination options: 2 KB */
	CU_ASSERT_EQUAL(net_parse_udp6(x.p, x.n, &u), -NET_ERR_BAD_EXT_HDR);
	CU_ASSERT_EQUAL(net_parse_udp6(fr.p, fr.n, &u), -NET_ERR_IP_FRAGMENT);

	/* eight destination options headers are walked, nine are too many */
	for (int i = 0; i < 9; i++)
		memcpy(ext + 8 * i, i == 8 ? "\x11\x00\x01\x04\0\0\0\0" : "\x3c\x00\x01\x04\0\0\0\0", 8);
	RESET();
	n = with_ext(f, b.n, ext + 8, 8 * 8, 60);
	CU_ASSERT_EQUAL_FATAL(net_parse_udp6(f, n, &u), 0);
	CU_ASSERT_EQUAL(u.payload_off, NET_UDP6_HLEN + 64);
	RESET();
	n = with_ext(f, b.n, ext, 9 * 8, 60);
	CU_ASSERT_EQUAL(net_parse_udp6(f, n, &u), -NET_ERR_BAD_EXT_HDR);
	RESET();
	ip[4] = 0; ip[5] = 4; ip[6] = 0;               /* header cut by the payload length */
	CU_ASSERT_EQUAL(net_parse_udp6(f, b.n, &u), -NET_ERR_BAD_EXT_HDR);
#undef RESET
	free(f);
	free(b.p);
	free(x.p);
	free(fr.p);
}

/* Built frames for every payload length up to 1,500 bytes at four
 * alignments: the checksum against the slow reference, and the frame
 * read back with the checksum checked. */
static void test_udp6_build(void)
{
	static uint8_t buf[8 + NET_UDP6_HLEN + 1500];
	uint8_t src[16], dst[16], *f = buf, *udp = f + NET_ETH_HLEN + 40;
	unsigned bad = 0, seed = 99;
	struct net_udp6 u;

	memcpy(src, ip6("2001:db8:0:1::1"), 16);
	memcpy(dst, ip6("fe80::5eff:fe12:a"), 16);
	for (size_t len = 0; len <= 1500; len++) {
		for (unsigned off = 0; off < 8; off += 3) {
			uint8_t *fo = buf + off, *ip = fo + NET_ETH_HLEN;

			dst[15] = (uint8_t)len;
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				fo[NET_UDP6_HLEN + i] = (uint8_t)(seed >> 16);
			}
			if (net_build_udp6(fo, server_mac, client_mac, src, dst, 547, 546, len, 255) !=
			    NET_UDP6_HLEN + len)
				bad++;
			if (ref6_csum(ip, ip + 40, 8 + len, 17) != 0 || rd16(ip + 46) == 0)
				bad++;
			if (net_parse_udp6(fo, NET_UDP6_HLEN + len, &u) != 0 || u.payload_len != len ||
			    u.payload_off != NET_UDP6_HLEN || u.src_port != 547 || u.dst_port != 546 ||
			    u.hop_limit != 255 || memcmp(u.src_ip, src, 16) != 0 ||
			    memcmp(u.dst_ip, dst, 16) != 0 || memcmp(u.src_mac, server_mac, 6) != 0 ||
			    memcmp(u.dst_mac, client_mac, 6) != 0)
				bad++;
			/* version 6, traffic class and flow label 0 */
			if (rd32(ip) != 0x60000000u || ip[6] != 17 || rd16(fo + 12) != 0x86dd)
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);

	/* A payload whose checksum computes to 0, sent as 0xffff: in ones'
	 * complement the two are the same sum, so only the explicit rule
	 * tells the zero apart.  The word that makes it so is the checksum
	 * the frame had with that word zero. */
	memset(f + NET_UDP6_HLEN, 0, 4);
	net_build_udp6(f, server_mac, client_mac, src, dst, 547, 546, 4, 255);
	memcpy(f + NET_UDP6_HLEN, udp + 6, 2);
	net_build_udp6(f, server_mac, client_mac, src, dst, 547, 546, 4, 255);
	CU_ASSERT_EQUAL(rd16(udp + 6), 0xffff);
	CU_ASSERT_EQUAL(net_parse_udp6(f, NET_UDP6_HLEN + 4, &u), 0);
	wr16(udp + 6, 0);
	CU_ASSERT_EQUAL(net_parse_udp6(f, NET_UDP6_HLEN + 4, &u), -NET_ERR_BAD_CSUM);
}

/* ----------------------------------------------------- neighbour discovery */

static void test_nd_reply(void)
{
	struct blob ns = load("v6/ns.bin"), na = load("v6/na.bin");
	struct blob dad = load("v6/ns_dad.bin"), na_dad = load("v6/na_dad.bin");
	uint8_t f[256], *ip = f + NET_ETH_HLEN, *icmp = ip + 40;
	uint8_t mine[3][16];

	memcpy(mine[0], ip6("fe80::5eff:fe12:1"), 16);
	memcpy(mine[1], ip6("2001:db8:0:1::1"), 16);
	memcpy(mine[2], ip6("ff02::1"), 16);        /* a bad target stays bad */

	memcpy(f, ns.p, ns.n);
	memset(f + ns.n, 0, 10);                    /* padding does not matter */
	CU_ASSERT_EQUAL_FATAL(net_nd_reply(f, ns.n + 10, mine, 2, server_mac), NET_ND_NA_LEN);
	CU_ASSERT_EQUAL(na.n, NET_ND_NA_LEN);
	CU_ASSERT_EQUAL(memcmp(f, na.p, na.n), 0);
	CU_ASSERT_EQUAL(memcmp(f, client_mac, 6), 0);
	CU_ASSERT_EQUAL(ip[7], 255);
	CU_ASSERT_TRUE(ip_is(ip + 8, "2001:db8:0:1::1"));
	CU_ASSERT_TRUE(ip_is(ip + 24, "fe80::5eff:fe12:a"));
	CU_ASSERT_EQUAL(icmp[0], 136);
	CU_ASSERT_EQUAL(icmp[4], 0x60);             /* R 0, S 1, O 1 */
	CU_ASSERT_TRUE(ip_is(icmp + 8, "2001:db8:0:1::1"));
	CU_ASSERT_EQUAL(memcmp(icmp + 24, "\x02\x01", 2), 0);
	CU_ASSERT_EQUAL(memcmp(icmp + 26, server_mac, 6), 0);
	CU_ASSERT_EQUAL(ref6_csum(ip, icmp, 32, 58), 0);

	/* from ::, duplicate address detection: to all nodes, S clear */
	memcpy(f, dad.p, dad.n);
	CU_ASSERT_EQUAL_FATAL(net_nd_reply(f, dad.n, mine, 2, server_mac), NET_ND_NA_LEN);
	CU_ASSERT_EQUAL(memcmp(f, na_dad.p, na_dad.n), 0);
	CU_ASSERT_EQUAL(icmp[4], 0x20);
	CU_ASSERT_TRUE(ip_is(ip + 24, "ff02::1"));
	CU_ASSERT_EQUAL(memcmp(f, "\x33\x33\x00\x00\x00\x01", 6), 0);

	/* Each of these is not answered, and the frame is left alone. */
#define NOT_ANSWERED(frame_blob, n_ips, edit, fix) do {                          \
		memcpy(f, (frame_blob).p, (frame_blob).n);                        \
		edit;                                                              \
		if (fix)                                                           \
			icmp6_fix_csum(f);                                         \
		uint8_t before[256];                                               \
		memcpy(before, f, sizeof(before));                                 \
		CU_ASSERT_EQUAL(net_nd_reply(f, (frame_blob).n, mine, n_ips, server_mac), 0); \
		CU_ASSERT_EQUAL(memcmp(f, before, sizeof(before)), 0);             \
	} while (0)
	NOT_ANSWERED(ns, 1, (void)0, false);                      /* not my address */
	NOT_ANSWERED(ns, 0, (void)0, false);
	NOT_ANSWERED(ns, 2, icmp[23] = 2, true);                 /* 2001:db8:0:1::2 */
	NOT_ANSWERED(ns, 3, memcpy(icmp + 8, mine[2], 16), true); /* multicast target */
	NOT_ANSWERED(ns, 2, ip[7] = 254, false);                 /* routed: not on link */
	NOT_ANSWERED(ns, 2, icmp[1] = 1, true);                  /* code */
	NOT_ANSWERED(ns, 2, icmp[0] = 136, true);                /* an NA */
	NOT_ANSWERED(ns, 2, icmp[3] ^= 1, false);                /* checksum */
	NOT_ANSWERED(ns, 2, icmp[25] = 0, true);                 /* option of length 0 */
	NOT_ANSWERED(ns, 2, icmp[25] = 2, true);                 /* option past the end */
	NOT_ANSWERED(ns, 2, ip[8] = 0xff, true);                 /* multicast source */
	NOT_ANSWERED(ns, 2, memset(ip + 8, 0, 16), true);        /* :: with a source option */
	NOT_ANSWERED(ns, 2, ip[6] = 0, false);                   /* an extension header */
	NOT_ANSWERED(ns, 2, ip[0] = 0x40, false);
	NOT_ANSWERED(ns, 2, f[13] = 0xde, false);
	NOT_ANSWERED(ns, 2, ip[5] = 8, true);                    /* shorter than an NS */
	NOT_ANSWERED(dad, 2, memcpy(ip + 24, mine[1], 16), true); /* :: but unicast */
	NOT_ANSWERED(dad, 2, ip[5]++, false);                    /* longer than the frame */
#undef NOT_ANSWERED
	memcpy(f, ns.p, ns.n);
	CU_ASSERT_EQUAL(net_nd_reply(f, NET_ETH_HLEN + 40 + 23, mine, 2, server_mac), 0);

	free(ns.p);
	free(na.p);
	free(dad.p);
	free(na_dad.p);
}

static void test_ip6_helpers(void)
{
	static const uint8_t ul_mac[6] = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc };
	uint8_t a[16], mac[6];

	net_ip6_linklocal(server_mac, a);
	CU_ASSERT_TRUE(ip_is(a, "fe80::5eff:fe12:1"));
	net_ip6_linklocal(ul_mac, a);                /* the U/L bit flips the other way */
	CU_ASSERT_TRUE(ip_is(a, "fe80::21b:21ff:feaa:bbcc"));
	net_ip6_mcast_mac(ip6("ff02::1:2"), mac);
	CU_ASSERT_EQUAL(memcmp(mac, "\x33\x33\x00\x01\x00\x02", 6), 0);
	net_ip6_mcast_mac(ip6("ff02::1:ffbb:ccdd"), mac);
	CU_ASSERT_EQUAL(memcmp(mac, "\x33\x33\xff\xbb\xcc\xdd", 6), 0);
	net_ip6_solicited_node(ip6("2001:db8:0:1::1"), a);
	CU_ASSERT_TRUE(ip_is(a, "ff02::1:ff00:1"));
	net_ip6_solicited_node(ip6("2001:db8::aabb:ccdd"), a);
	CU_ASSERT_TRUE(ip_is(a, "ff02::1:ffbb:ccdd"));
	CU_ASSERT_TRUE(net_ip6_is_all_dhcp(ip6("ff02::1:2")));
	CU_ASSERT_TRUE(net_ip6_is_all_dhcp(ip6("ff05::1:3")));
	CU_ASSERT_FALSE(net_ip6_is_all_dhcp(ip6("ff02::1:3")));
	CU_ASSERT_FALSE(net_ip6_is_all_dhcp(ip6("ff05::1:2")));
	CU_ASSERT_FALSE(net_ip6_is_all_dhcp(ip6("ff02::1")));
	CU_ASSERT_FALSE(net_ip6_is_all_dhcp(ip6("2001:db8:0:1::1")));
}

/* ------------------------------------------------------------------- main */

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;

	s = CU_add_suite("dhcp6_wire", NULL, NULL);
	CU_add_test(s, "golden SOLICIT (IA_NA, IA_PD, ORO, rapid commit)", test_golden_solicit);
	CU_add_test(s, "golden REQUEST", test_golden_request);
	CU_add_test(s, "golden twice relayed SOLICIT", test_golden_relayed);
	CU_add_test(s, "every truncation", test_truncations);
	CU_add_test(s, "limits and edges", test_parse_limits);
	CU_add_test(s, "error names", test_err_names);
	CU_add_test(s, "malformed corpus", test_malformed_corpus);
	CU_add_test(s, "builder matches scapy", test_build_golden);
	CU_add_test(s, "relayed reply read back", test_build_relayed_back);
	CU_add_test(s, "builder overflow", test_build_overflow);

	s = CU_add_suite("net6", NULL, NULL);
	CU_add_test(s, "UDP parse errors and extension headers", test_udp6_parse_errors);
	CU_add_test(s, "UDP build, every length", test_udp6_build);
	CU_add_test(s, "neighbour advertisement", test_nd_reply);
	CU_add_test(s, "address helpers", test_ip6_helpers);

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
