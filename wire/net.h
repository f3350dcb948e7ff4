/* Ethernet / IPv4 / UDP / ARP helpers for the datapath.  Pure byte work on a
 * frame buffer; no DPDK, so they are unit tested on their own.
 * Addresses in struct net_udp4 are in host byte order. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN   14
#define NET_UDP4_HLEN  (NET_ETH_HLEN + 20 + 8)   /* eth + ip (no options) + udp */

#define NET_ERRORS(X)                                   \
	X(SHORT,        "short-frame")                   \
	X(NOT_IP4,      "not-ipv4")                      \
	X(BAD_IP_HDR,   "bad-ip-header")                 \
	X(IP_FRAGMENT,  "ip-fragment")                   \
	X(NOT_UDP,      "not-udp")                       \
	X(BAD_UDP_LEN,  "bad-udp-length")                \
	X(BAD_CSUM,     "bad-checksum")

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

/* Ethertype of a frame (host order), 0 if shorter than an Ethernet header. */
uint16_t net_ethertype(const uint8_t *frame, size_t len);

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
