/* Ethernet / IPv4 / IPv6 / UDP / ARP / neighbour discovery helpers for the
 * datapath.  Pure byte work on a frame buffer; no DPDK, so they are unit
 * tested on their own.  Addresses in struct net_udp4 are in host byte
 * order; IPv6 addresses are 16 network-order bytes everywhere. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN   14
#define NET_UDP4_HLEN  (NET_ETH_HLEN + 20 + 8)   /* eth + ip (no options) + udp */
#define NET_UDP6_HLEN  (NET_ETH_HLEN + 40 + 8)   /* eth + ipv6 (no ext headers) + udp */
#define NET_IP6_MAX_EXT 8                        /* extension headers walked before UDP */
#define NET_ND_NA_LEN  (NET_ETH_HLEN + 40 + 24 + 8)   /* NA with a target link-layer option */

#define NET_ERRORS(X)                                   \
	X(SHORT,        "short-frame")                   \
	X(NOT_IP4,      "not-ipv4")                      \
	X(BAD_IP_HDR,   "bad-ip-header")                 \
	X(IP_FRAGMENT,  "ip-fragment")                   \
	X(NOT_UDP,      "not-udp")                       \
	X(BAD_UDP_LEN,  "bad-udp-length")                \
	X(BAD_CSUM,     "bad-checksum")                  \
	X(NOT_IP6,      "not-ipv6")                      \
	X(BAD_EXT_HDR,  "bad-extension-header")

enum net_err {
	NET_OK = 0,
#define X(e, s) NET_ERR_##e,
	NET_ERRORS(X)
#undef X
	NET_ERR_MAX
};
const char *net_err_name(int err);

struct net_udp4 {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip;        /* host order */
	uint16_t src_port, dst_port;    /* host order */
	uint16_t payload_off;           /* offset of the UDP payload in the frame */
	uint16_t payload_len;
};

struct net_udp6 {
	uint8_t src_mac[6], dst_mac[6];
	uint8_t src_ip[16], dst_ip[16];
	uint16_t src_port, dst_port;    /* host order */
	uint16_t payload_off;           /* offset of the UDP payload in the frame */
	uint16_t payload_len;
	uint8_t hop_limit;
};

/* Ethertype of a frame (host order), 0 if shorter than an Ethernet header. */
static inline uint16_t net_ethertype(const uint8_t *frame, size_t len)
{
	return len < NET_ETH_HLEN ? 0 : (uint16_t)(frame[12] << 8 | frame[13]);
}

/* Parse an untagged Ethernet/IPv4/UDP frame.  Checks IP version, IHL, total
 * length against the frame, header checksum, fragments (refused), UDP length
 * and the UDP checksum when it is non-zero.  Returns 0 or -(enum net_err). */
int net_parse_udp4(const uint8_t *frame, size_t len, struct net_udp4 *out);

/* Same, with flags.  NET_PARSE_NO_UDP_CSUM skips the UDP checksum: for
 * frames the NIC already verified (RTE_MBUF_F_RX_L4_CKSUM_GOOD), and for
 * frames from a Linux veth peer read through AF_PACKET, whose UDP checksum
 * is left unfinished (CHECKSUM_PARTIAL) when the sender used a UDP socket. */
#define NET_PARSE_NO_UDP_CSUM  0x1u
int net_parse_udp4_flags(const uint8_t *frame, size_t len, struct net_udp4 *out,
			 unsigned flags);

/* Write Ethernet + IPv4 (TTL 64, DF clear) + UDP headers in front of a
 * payload already at frame + NET_UDP4_HLEN, with both checksums.
 * Returns the frame length. */
size_t net_build_udp4(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		      uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		      size_t payload_len);

/* Parse an untagged Ethernet/IPv6/UDP frame.  Checks the version, the
 * payload length against the frame (Ethernet padding after it is fine),
 * walks at most NET_IP6_MAX_EXT hop-by-hop (first only), routing (with no
 * segments left) and destination options headers, refuses fragments
 * (IP_FRAGMENT) and any other next header (NOT_UDP: ESP, AH, no next
 * header, ICMPv6...), checks the UDP length and, unless
 * NET_PARSE_NO_UDP_CSUM, the UDP checksum over the IPv6 pseudo-header,
 * which IPv6 makes mandatory: zero is BAD_CSUM.  0 or -(enum net_err). */
int net_parse_udp6(const uint8_t *frame, size_t len, struct net_udp6 *out);
int net_parse_udp6_flags(const uint8_t *frame, size_t len, struct net_udp6 *out,
			 unsigned flags);

/* Write Ethernet + IPv6 (traffic class and flow label 0, no extension
 * headers) + UDP headers in front of a payload already at
 * frame + NET_UDP6_HLEN, with the UDP checksum.  Returns the frame length. */
size_t net_build_udp6(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		      const uint8_t src_ip[16], const uint8_t dst_ip[16], uint16_t src_port,
		      uint16_t dst_port, size_t payload_len, uint8_t hop_limit);

/* If `frame` is a valid neighbour solicitation (RFC 4861 7.1.1, no
 * extension headers) whose target is one of my_ips, rewrite it in place
 * into the neighbour advertisement from my_mac and return its length,
 * NET_ND_NA_LEN; otherwise return 0 and leave the frame as it was.  The
 * buffer must hold NET_ND_NA_LEN bytes even when len is shorter (an NS
 * without options is 78 bytes): an mbuf's data room always does.  A
 * solicitation from :: (duplicate address detection by someone else) is
 * answered to all nodes, ff02::1, with the solicited flag clear. */
size_t net_nd_reply(uint8_t *frame, size_t len, const uint8_t (*my_ips)[16], unsigned n_ips,
		    const uint8_t my_mac[6]);

/* fe80::/64 with the modified EUI-64 interface id of mac (RFC 4291 2.5.1). */
void net_ip6_linklocal(const uint8_t mac[6], uint8_t out[16]);
/* The Ethernet address of an IPv6 multicast group: 33:33 + its last 4 bytes. */
void net_ip6_mcast_mac(const uint8_t ip[16], uint8_t mac[6]);
/* The solicited-node group of ip: ff02::1:ff00:0/104 + its last 3 bytes. */
void net_ip6_solicited_node(const uint8_t ip[16], uint8_t out[16]);
/* ff02::1:2 (All_DHCP_Relay_Agents_and_Servers) or ff05::1:3
 * (All_DHCP_Servers): where clients and relays send to a server. */
bool net_ip6_is_all_dhcp(const uint8_t ip[16]);

/* If `frame` is an ARP request (Ethernet/IPv4) whose target is `my_ip` (host
 * order), rewrite it in place into the ARP reply from my_mac and return its
 * length; otherwise return 0 and leave the frame as it was. */
size_t net_arp_reply(uint8_t *frame, size_t len, uint32_t my_ip, const uint8_t my_mac[6]);

/* The value of one hex digit, or -1 (text forms: lease files, option data). */
static inline int net_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A dotted quad "a.b.c.d" -> *out in host byte order.  Strict, as
 * inet_pton(AF_INET): four decimal octets of one to three digits, each at
 * most 255, no leading zeros ("010" would be octal to inet_aton), nothing
 * before or after.  0, or -EINVAL with *out untouched. */
int net_ip4_parse(const char *s, uint32_t *out);
/* The same for the n characters at s, which need no NUL after them. */
int net_ip4_parse_n(const char *s, size_t n, uint32_t *out);
