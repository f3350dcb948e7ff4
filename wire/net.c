/* Ethernet / IPv4 / IPv6 / UDP / ARP / neighbour discovery byte handling
 * for the datapath.
 *
 * Frames come straight from the NIC, so every length is checked before the
 * bytes it covers are read.  Multi-byte fields are read byte by byte: the
 * IP header of a received frame is only 2-byte aligned.
 */
#include "net.h"
#include "wire_bytes.h"

#include <errno.h>
#include <string.h>

#define ETHERTYPE_IP4  0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_IP6  0x86dd
#define IPPROTO_UDP_   17
#define IP6_HLEN       40
/* IPv6 next-header values the parser tells apart */
#define IP6_HOPOPTS    0
#define IP6_ROUTING    43
#define IP6_FRAGMENT   44
#define IP6_ICMP       58
#define IP6_DSTOPTS    60
/* neighbour discovery (RFC 4861 4.3, 4.4, 4.6) */
#define ND_NS          135
#define ND_NA          136
#define ND_MSG_LEN     24     /* type, code, checksum, flags/reserved, target */
#define ND_OPT_SLLA    1
#define ND_OPT_TLLA    2
#define ND_HOP_LIMIT   255
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE  0x20
#define IP4_MF         0x2000
#define IP4_OFFMASK    0x1fff
#define ARP_LEN        28

static const char *const net_err_names[] = {
	[NET_OK] = "ok",
#define X(e, s) [NET_ERR_##e] = s,
	NET_ERRORS(X)
#undef X
};

const char *net_err_name(int err)
{
	if (err < 0)
		err = -err;
	if (err >= NET_ERR_MAX)
		return "unknown";
	return net_err_names[err];
}

/* RFC 1071 sum of big-endian 16-bit words, not yet folded.  An odd last
 * byte is padded with zero.
 *
 * The ones' complement sum does not depend on byte order except for one
 * final swap (RFC 1071 §2(B)), so the bytes are added as native 32-bit
 * words, 8 bytes per addition with the carries out of bit 63 counted and
 * added back (2^64 = 1 mod 2^16 - 1), folded to 16 bits and swapped once:
 * 4x fewer additions than 16-bit big-endian loads; unrolled by four for
 * the bulk of a reply, which halves the loop's share of the work. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t acc = 0, w64, carry = 0;
	uint32_t w32;
	uint16_t w16, v;

	for (; n >= 32; n -= 32, p += 32) {
		uint64_t w0, w1, w2, w3;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		carry += __builtin_add_overflow(acc, w0, &acc);
		carry += __builtin_add_overflow(acc, w1, &acc);
		carry += __builtin_add_overflow(acc, w2, &acc);
		carry += __builtin_add_overflow(acc, w3, &acc);
	}
	/* 8 bytes per step; the carries out of bit 63 are added back after */
	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w64, p, 8);
		carry += __builtin_add_overflow(acc, w64, &acc);
	}
	acc = (acc & 0xffffffffu) + (acc >> 32) + carry;
	if (n >= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
		n -= 4;
		p += 4;
	}
	if (n >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		n -= 2;
		p += 2;
	}
	if (n) {
		w16 = 0;
		memcpy(&w16, p, 1);    /* the byte goes first in memory: the high byte on the wire */
		acc += w16;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	v = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = (uint16_t)(v << 8 | v >> 8);
#endif
	return sum + v;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t udp_pseudo(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       IPPROTO_UDP_ + udp_len;
}

/* Write the UDP header at udp and its checksum, from the sum of the
 * pseudo-header the IP version defines. */
static inline void udp_hdr(uint8_t *udp, uint16_t src_port, uint16_t dst_port, uint16_t udp_len,
			   uint32_t pseudo)
{
	uint16_t csum;

	wr16(udp, src_port);
	wr16(udp + 2, dst_port);
	wr16(udp + 4, udp_len);
	wr16(udp + 6, 0);
	csum = (uint16_t)~csum_fold(csum_add(pseudo, udp, udp_len));
	/* RFC 768: a computed zero is sent as all ones (zero means "none"). */
	wr16(udp + 6, csum == 0 ? 0xffff : csum);
}

/* The length of the UDP datagram at udp, which has `room` bytes of IP
 * payload to sit in (it may leave some unused), or -NET_ERR_BAD_UDP_LEN. */
static int udp_len_in(const uint8_t *udp, size_t room)
{
	size_t n;

	if (room < 8)
		return -NET_ERR_BAD_UDP_LEN;
	n = rd16(udp + 4);
	if (n < 8 || n > room)
		return -NET_ERR_BAD_UDP_LEN;
	return (int)n;
}

int net_parse_udp4(const uint8_t *frame, size_t len, struct net_udp4 *out)
{
	return net_parse_udp4_flags(frame, len, out, 0);
}

int net_parse_udp4_flags(const uint8_t *frame, size_t len, struct net_udp4 *out,
			 unsigned flags)
{
	const uint8_t *ip = frame + NET_ETH_HLEN, *udp;
	size_t ihl, tot;
	uint16_t frag;
	int udp_len;

	if (len < NET_ETH_HLEN + 20)
		return -NET_ERR_SHORT;
	if (rd16(frame + 12) != ETHERTYPE_IP4)
		return -NET_ERR_NOT_IP4;
	if ((ip[0] >> 4) != 4)
		return -NET_ERR_BAD_IP_HDR;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	/* Frames may carry Ethernet padding after the datagram, so the total
	 * length may be shorter than the frame, never longer. */
	if (ihl < 20 || tot < ihl || tot > len - NET_ETH_HLEN)
		return -NET_ERR_BAD_IP_HDR;
	if (csum_fold(csum_add(0, ip, ihl)) != 0xffff)
		return -NET_ERR_BAD_CSUM;
	frag = rd16(ip + 6);
	if (frag & (IP4_MF | IP4_OFFMASK))
		return -NET_ERR_IP_FRAGMENT;
	if (ip[9] != IPPROTO_UDP_)
		return -NET_ERR_NOT_UDP;

	udp = ip + ihl;
	udp_len = udp_len_in(udp, tot - ihl);
	if (udp_len < 0)
		return udp_len;
	if (rd16(udp + 6) != 0 && !(flags & NET_PARSE_NO_UDP_CSUM)) {
		uint32_t sum = udp_pseudo(rd32(ip + 12), rd32(ip + 16), (uint16_t)udp_len);

		if (csum_fold(csum_add(sum, udp, (size_t)udp_len)) != 0xffff)
			return -NET_ERR_BAD_CSUM;
	}

	memcpy(out->dst_mac, frame, 6);
	memcpy(out->src_mac, frame + 6, 6);
	out->src_ip = rd32(ip + 12);
	out->dst_ip = rd32(ip + 16);
	out->src_port = rd16(udp);
	out->dst_port = rd16(udp + 2);
	out->payload_off = (uint16_t)(NET_ETH_HLEN + ihl + 8);
	out->payload_len = (uint16_t)(udp_len - 8);
	return 0;
}

size_t net_build_udp4(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		      uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		      size_t payload_len)
{
	uint8_t *ip = frame + NET_ETH_HLEN, *udp = ip + 20;
	uint16_t udp_len = (uint16_t)(8 + payload_len);

	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	wr16(frame + 12, ETHERTYPE_IP4);

	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(20 + udp_len));
	wr16(ip + 4, 0);                /* id: never fragmented */
	wr16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP_;
	wr16(ip + 10, 0);
	wr32(ip + 12, src_ip);
	wr32(ip + 16, dst_ip);
	wr16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
	udp_hdr(udp, src_port, dst_port, udp_len, udp_pseudo(src_ip, dst_ip, udp_len));
	return NET_UDP4_HLEN + payload_len;
}

/* Answer who-has for our address.  An announcement from someone else that
 * claims my_ip as its own sender address is not answered: replying to it
 * could only feed a loop with a misconfigured peer. */
size_t net_arp_reply(uint8_t *frame, size_t len, uint32_t my_ip, const uint8_t my_mac[6])
{
	uint8_t *arp = frame + NET_ETH_HLEN;
	uint8_t sha[6], spa[4];

	if (len < NET_ETH_HLEN + ARP_LEN || rd16(frame + 12) != ETHERTYPE_ARP)
		return 0;
	if (rd16(arp) != 1 || rd16(arp + 2) != ETHERTYPE_IP4 || arp[4] != 6 || arp[5] != 4 ||
	    rd16(arp + 6) != 1)
		return 0;
	if (rd32(arp + 24) != my_ip || rd32(arp + 14) == my_ip)
		return 0;

	memcpy(sha, arp + 8, 6);
	memcpy(spa, arp + 14, 4);
	/* Reply to the L2 source of the request. */
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, my_mac, 6);
	wr16(arp + 6, 2);
	memcpy(arp + 8, my_mac, 6);
	wr32(arp + 14, my_ip);
	memcpy(arp + 18, sha, 6);
	memcpy(arp + 24, spa, 4);
	return len;
}

int net_ip4_parse_n(const char *s, size_t n, uint32_t *out)
{
	uint32_t a = 0;
	size_t i = 0;

	for (int octet = 0; octet < 4; octet++) {
		unsigned v = 0, digits = 0;

		if (octet > 0 && (i == n || s[i++] != '.'))
			return -EINVAL;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return -EINVAL;
		a = a << 8 | v;
	}
	if (i != n)
		return -EINVAL;
	*out = a;
	return 0;
}

int net_ip4_parse(const char *s, uint32_t *out)
{
	return net_ip4_parse_n(s, strlen(s), out);
}

/* ------------------------------------------------------------------- IPv6 */

static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

/* The IPv6 pseudo-header (RFC 8200 8.1) of an upper-layer packet of
 * `ulen` bytes and protocol `nh`: source and destination sit side by side
 * in the header, so they are summed as one 32-byte run. */
static uint32_t ip6_pseudo(const uint8_t *ip, uint32_t ulen, uint8_t nh)
{
	return csum_add(0, ip + 8, 32) + (ulen >> 16) + (ulen & 0xffff) + nh;
}

static bool ip6_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* Step over the extension headers between the IPv6 header and its upper
 * layer: *off (from the IPv6 header) and *nh end on the first header that
 * is none of them.  The count is bounded, so a chain of empty headers
 * cannot make a packet cost more than a few, and so the payload offset
 * stays below 2^16 (eight headers of at most 2 KB each). */
static int ip6_skip_ext(const uint8_t *ip, size_t end, size_t *off, uint8_t *nh)
{
	for (unsigned i = 0;; i++) {
		const uint8_t *h = ip + *off;
		size_t hl;

		switch (*nh) {
		case IP6_HOPOPTS:
			/* RFC 8200 4.1: only right after the IPv6 header */
			if (i != 0)
				return -NET_ERR_BAD_EXT_HDR;
			break;
		case IP6_ROUTING:
		case IP6_DSTOPTS:
			break;
		case IP6_FRAGMENT:
			return -NET_ERR_IP_FRAGMENT;
		default:
			return 0;
		}
		if (i == NET_IP6_MAX_EXT || end - *off < 8)
			return -NET_ERR_BAD_EXT_HDR;
		hl = ((size_t)h[1] + 1) * 8;
		if (hl > end - *off)
			return -NET_ERR_BAD_EXT_HDR;
		/* Segments left: the destination is a waypoint, not the final
		 * one, and not ours to answer (nor to forward). */
		if (*nh == IP6_ROUTING && h[3] != 0)
			return -NET_ERR_BAD_EXT_HDR;
		*nh = h[0];
		*off += hl;
	}
}

int net_parse_udp6(const uint8_t *frame, size_t len, struct net_udp6 *out)
{
	return net_parse_udp6_flags(frame, len, out, 0);
}

int net_parse_udp6_flags(const uint8_t *frame, size_t len, struct net_udp6 *out,
			 unsigned flags)
{
	const uint8_t *ip = frame + NET_ETH_HLEN, *udp;
	size_t end, off = IP6_HLEN;
	uint8_t nh;
	int rc, udp_len;

	if (len < NET_ETH_HLEN + IP6_HLEN)
		return -NET_ERR_SHORT;
	if (rd16(frame + 12) != ETHERTYPE_IP6)
		return -NET_ERR_NOT_IP6;
	if ((ip[0] >> 4) != 6)
		return -NET_ERR_BAD_IP_HDR;
	/* As for IPv4, the frame may be longer (padding), never shorter.  A
	 * jumbogram (payload length 0) has no room for UDP and fails below. */
	end = IP6_HLEN + (size_t)rd16(ip + 4);
	if (end > len - NET_ETH_HLEN)
		return -NET_ERR_BAD_IP_HDR;
	nh = ip[6];
	rc = ip6_skip_ext(ip, end, &off, &nh);
	if (rc < 0)
		return rc;
	if (nh != IPPROTO_UDP_)
		return -NET_ERR_NOT_UDP;

	udp = ip + off;
	udp_len = udp_len_in(udp, end - off);
	if (udp_len < 0)
		return udp_len;
	/* RFC 8200 8.1: unlike IPv4, a zero checksum is not "none". */
	if (!(flags & NET_PARSE_NO_UDP_CSUM)) {
		uint32_t sum = ip6_pseudo(ip, (uint32_t)udp_len, IPPROTO_UDP_);

		if (rd16(udp + 6) == 0 || csum_fold(csum_add(sum, udp, (size_t)udp_len)) != 0xffff)
			return -NET_ERR_BAD_CSUM;
	}

	memcpy(out->dst_mac, frame, 6);
	memcpy(out->src_mac, frame + 6, 6);
	memcpy(out->src_ip, ip + 8, 16);
	memcpy(out->dst_ip, ip + 24, 16);
	out->src_port = rd16(udp);
	out->dst_port = rd16(udp + 2);
	out->payload_off = (uint16_t)(NET_ETH_HLEN + off + 8);
	out->payload_len = (uint16_t)(udp_len - 8);
	out->hop_limit = ip[7];
	return 0;
}

/* Ethernet and the fixed IPv6 header (version 6, traffic class and flow
 * label 0); the payload length is what follows the 40 bytes.  The
 * addresses must not point into the header being written (the NA copies
 * them out of the NS first). */
static void ip6_hdr(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		    const uint8_t src_ip[16], const uint8_t dst_ip[16], uint16_t plen,
		    uint8_t nh, uint8_t hop_limit)
{
	uint8_t *ip = frame + NET_ETH_HLEN;

	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	wr16(frame + 12, ETHERTYPE_IP6);
	wr32(ip, 6u << 28);
	wr16(ip + 4, plen);
	ip[6] = nh;
	ip[7] = hop_limit;
	memcpy(ip + 8, src_ip, 16);
	memcpy(ip + 24, dst_ip, 16);
}

size_t net_build_udp6(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		      const uint8_t src_ip[16], const uint8_t dst_ip[16], uint16_t src_port,
		      uint16_t dst_port, size_t payload_len, uint8_t hop_limit)
{
	uint8_t *ip = frame + NET_ETH_HLEN;
	uint16_t udp_len = (uint16_t)(8 + payload_len);

	ip6_hdr(frame, src_mac, dst_mac, src_ip, dst_ip, udp_len, IPPROTO_UDP_, hop_limit);
	udp_hdr(ip + IP6_HLEN, src_port, dst_port, udp_len,
		ip6_pseudo(ip, udp_len, IPPROTO_UDP_));
	return NET_UDP6_HLEN + payload_len;
}

/* RFC 4861 7.1.1: every option has a non-zero length and fits, and a
 * solicitation from :: carries no source link-layer address (there is
 * no address to bind it to). */
static bool nd_opts_ok(const uint8_t *o, size_t n, bool from_unspec)
{
	size_t i = 0;

	while (i < n) {
		size_t olen;

		if (n - i < 2)
			return false;
		olen = (size_t)o[i + 1] * 8;
		if (olen == 0 || olen > n - i)
			return false;
		if (o[i] == ND_OPT_SLLA && from_unspec)
			return false;
		i += olen;
	}
	return true;
}

static bool ip6_in(const uint8_t a[16], const uint8_t (*set)[16], unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(a, set[i], 16) == 0)
			return true;
	return false;
}

/* Everything is checked before the first byte is written: a frame that
 * is not answered goes on to the rest of the datapath untouched.  A
 * source that is multicast is refused too (RFC 4291 2.7: never a
 * source), lest the advertisement go to a group. */
size_t net_nd_reply(uint8_t *frame, size_t len, const uint8_t (*my_ips)[16], unsigned n_ips,
		    const uint8_t my_mac[6])
{
	uint8_t *ip = frame + NET_ETH_HLEN, *icmp = ip + IP6_HLEN;
	uint8_t peer_mac[6], peer_ip[16], target[16], sn[16];
	size_t plen;
	bool dad;
	uint16_t csum;

	if (len < NET_ETH_HLEN + IP6_HLEN + ND_MSG_LEN || rd16(frame + 12) != ETHERTYPE_IP6)
		return 0;
	if ((ip[0] >> 4) != 6 || ip[6] != IP6_ICMP || ip[7] != ND_HOP_LIMIT)
		return 0;
	plen = rd16(ip + 4);
	if (plen < ND_MSG_LEN || plen > len - NET_ETH_HLEN - IP6_HLEN)
		return 0;
	if (icmp[0] != ND_NS || icmp[1] != 0)
		return 0;
	if (csum_fold(csum_add(ip6_pseudo(ip, (uint32_t)plen, IP6_ICMP), icmp, plen)) != 0xffff)
		return 0;
	memcpy(target, icmp + 8, 16);
	if (target[0] == 0xff || ip[8] == 0xff)
		return 0;
	dad = ip6_is_unspecified(ip + 8);
	if (!nd_opts_ok(icmp + ND_MSG_LEN, plen - ND_MSG_LEN, dad))
		return 0;
	if (dad) {
		net_ip6_solicited_node(target, sn);
		if (memcmp(ip + 24, sn, 16) != 0)
			return 0;
	}
	if (!ip6_in(target, my_ips, n_ips))
		return 0;

	/* RFC 4861 7.2.4: to the soliciting node, or to all nodes when it
	 * has no address yet (and then not "solicited"). */
	if (dad) {
		memcpy(peer_ip, ip6_all_nodes, 16);
		net_ip6_mcast_mac(ip6_all_nodes, peer_mac);
	} else {
		memcpy(peer_ip, ip + 8, 16);
		memcpy(peer_mac, frame + 6, 6);
	}
	ip6_hdr(frame, my_mac, peer_mac, target, peer_ip, ND_MSG_LEN + 8, IP6_ICMP,
		ND_HOP_LIMIT);
	icmp[0] = ND_NA;
	icmp[1] = 0;
	wr16(icmp + 2, 0);
	/* router 0; override 1: this is the address's owner speaking */
	wr32(icmp + 4, 0);
	icmp[4] = (uint8_t)((dad ? 0 : ND_NA_SOLICITED) | ND_NA_OVERRIDE);
	memcpy(icmp + 8, target, 16);
	icmp[ND_MSG_LEN] = ND_OPT_TLLA;
	icmp[ND_MSG_LEN + 1] = 1;                  /* in units of 8 bytes */
	memcpy(icmp + ND_MSG_LEN + 2, my_mac, 6);
	csum = (uint16_t)~csum_fold(csum_add(ip6_pseudo(ip, ND_MSG_LEN + 8, IP6_ICMP), icmp,
					     ND_MSG_LEN + 8));
	wr16(icmp + 2, csum);
	return NET_ND_NA_LEN;
}

void net_ip6_linklocal(const uint8_t mac[6], uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	/* modified EUI-64: the universal/local bit flipped, ff:fe inserted */
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

void net_ip6_mcast_mac(const uint8_t ip[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, ip + 12, 4);
}

void net_ip6_solicited_node(const uint8_t ip[16], uint8_t out[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(out, prefix, 13);
	memcpy(out + 13, ip + 13, 3);
}

bool net_ip6_is_all_dhcp(const uint8_t ip[16])
{
	static const uint8_t relays_and_servers[16] = { 0xff, 0x02, [13] = 0x01, [15] = 0x02 };
	static const uint8_t servers[16] = { 0xff, 0x05, [13] = 0x01, [15] = 0x03 };

	return memcmp(ip, relays_and_servers, 16) == 0 || memcmp(ip, servers, 16) == 0;
}
