/* Unit tests for IPv6 on the wire: IPv6/UDP framing, neighbour discovery
 * and the address helpers.  Golden frames (wire/testdata/v6, made by scapy
 * with gen_dhcp6.py) are read from wire/. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_wire.h"
#include "net.h"
#include "wire_bytes.h"
#include "wire_test_util.h"

static const uint8_t client_mac[6] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x0a };
static const uint8_t server_mac[6] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01 };

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
	CU_ASSERT_STRING_EQUAL(net_err_name(-NET_ERR_NOT_IP6), "not-ipv6");
	CU_ASSERT_STRING_EQUAL(net_err_name(-NET_ERR_BAD_EXT_HDR), "bad-extension-header");
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
