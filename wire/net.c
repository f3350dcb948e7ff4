/* Ethernet / IPv4 / UDP / ARP byte handling for the datapath.
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
#define IPPROTO_UDP_   17
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

uint16_t net_ethertype(const uint8_t *frame, size_t len)
{
	if (len < NET_ETH_HLEN)
		return 0;
	return rd16(frame + 12);
}

int net_parse_udp4(const uint8_t *frame, size_t len, struct net_udp4 *out)
{
	return net_parse_udp4_flags(frame, len, out, 0);
}

int net_parse_udp4_flags(const uint8_t *frame, size_t len, struct net_udp4 *out,
			 unsigned flags)
{
	const uint8_t *ip = frame + NET_ETH_HLEN, *udp;
	size_t ihl, tot, udp_len;
	uint16_t frag;

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
	if (tot - ihl < 8)
		return -NET_ERR_BAD_UDP_LEN;
	udp_len = rd16(udp + 4);
	if (udp_len < 8 || udp_len > tot - ihl)
		return -NET_ERR_BAD_UDP_LEN;
	if (rd16(udp + 6) != 0 && !(flags & NET_PARSE_NO_UDP_CSUM)) {
		uint32_t sum = udp_pseudo(rd32(ip + 12), rd32(ip + 16), (uint16_t)udp_len);

		if (csum_fold(csum_add(sum, udp, udp_len)) != 0xffff)
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
	uint16_t csum;

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

	wr16(udp, src_port);
	wr16(udp + 2, dst_port);
	wr16(udp + 4, udp_len);
	wr16(udp + 6, 0);
	csum = (uint16_t)~csum_fold(csum_add(udp_pseudo(src_ip, dst_ip, udp_len), udp, udp_len));
	/* RFC 768: a computed zero is sent as all ones (zero means "none"). */
	wr16(udp + 6, csum == 0 ? 0xffff : csum);
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
