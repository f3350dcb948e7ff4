/* RFC 3074 load-balancing hash and Kea's query filter (see ha_hash.h). */
#include <errno.h>
#include <string.h>
#include "ha_hash.h"

/* RFC 3074 section 6: the "mixing table", a permutation of 0..255.  Kea
 * and ISC dhcpd use the same one; ha_hash_test checks it is a
 * permutation and reproduces hashes recorded from a Kea 2.2 pair. */
static const uint8_t lb_mix[256] = {
	/*   0 */ 251, 175, 119, 215,  81,  14,  79, 191, 103,  49, 181, 143, 186, 157,   0, 232,
	/*  16 */  31,  32,  55,  60, 152,  58,  17, 237, 174,  70, 160, 144, 220,  90,  57, 223,
	/*  32 */  59,   3,  18, 140, 111, 166, 203, 196, 134, 243, 124,  95, 222, 179, 197,  65,
	/*  48 */ 180,  48,  36,  15, 107,  46, 233, 130, 165,  30, 123, 161, 209,  23,  97,  16,
	/*  64 */  40,  91, 219,  61, 100,  10, 210, 109, 250, 127,  22, 138,  29, 108, 244,  67,
	/*  80 */ 207,   9, 178, 204,  74,  98, 126, 249, 167, 116,  34,  77, 193, 200, 121,   5,
	/*  96 */  20, 113,  71,  35, 128,  13, 182,  94,  25, 226, 227, 199,  75,  27,  41, 245,
	/* 112 */ 230, 224,  43, 225, 177,  26, 155, 150, 212, 142, 218, 115, 241,  73,  88, 105,
	/* 128 */  39, 114,  62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122,  12,  84,
	/* 144 */  82, 163,  44, 139, 228, 236, 205, 242, 217,  11, 187, 146, 159,  64,  86, 239,
	/* 160 */ 195,  42, 106, 198, 118, 112, 184, 172,  87,   2, 173, 117, 176, 229, 247, 253,
	/* 176 */ 137, 185,  99, 164, 102, 147,  45,  66, 231,  52, 141, 211, 194, 206, 246, 238,
	/* 192 */  56, 110,  78, 248,  63, 240, 189,  93,  92,  51,  53, 183,  19, 171,  72,  50,
	/* 208 */  33, 104, 101,  69,   8, 252,  83, 120,  76, 135,  85,  54, 202, 125, 188, 213,
	/* 224 */  96, 235, 136, 208, 162, 129, 190, 132, 156,  38,  47,   1,   7, 254,  24,   4,
	/* 240 */ 216, 131,  89,  21,  28, 133,  37, 153, 149,  80, 170,  68,   6, 169, 234, 151,
};

uint8_t ha_lb_hash(const uint8_t *key, size_t len)
{
	/* The seed is the length cut to a byte; the walk runs backwards, as
	 * the RFC's reference code (and Kea) do: a forward walk would give
	 * different buckets and split clients unlike the partner. */
	uint8_t h = (uint8_t)len;

	while (len > 0)
		h = lb_mix[h ^ key[--len]];
	return h;
}

int ha_lb_hash4(const uint8_t *client_id, size_t client_id_len,
		const uint8_t *chaddr, uint8_t hlen)
{
	uint8_t hw[HA_HWADDR_MAX];

	if (client_id != NULL && client_id_len > 0)
		return ha_lb_hash(client_id, client_id_len);
	if (hlen == 0 || hlen > HA_HWADDR_MAX || chaddr == NULL)
		return -EINVAL;
	if (hlen <= HA_CHADDR_LEN)
		return ha_lb_hash(chaddr, hlen);
	/* Kea reads the 16 chaddr bytes and resizes to hlen: zeros after. */
	memset(hw, 0, sizeof(hw));
	memcpy(hw, chaddr, HA_CHADDR_LEN);
	return ha_lb_hash(hw, hlen);
}

int ha_lb_hash6(const uint8_t *duid, size_t len)
{
	if (duid == NULL || len == 0)
		return -EINVAL;
	return ha_lb_hash(duid, len);
}

bool ha_msg4_is_ha_type(uint8_t t)
{
	/* DISCOVER 1, REQUEST 3, DECLINE 4, RELEASE 7, INFORM 8. */
	return t == 1 || t == 3 || t == 4 || t == 7 || t == 8;
}

bool ha_msg6_is_ha_type(uint8_t t)
{
	/* SOLICIT 1, REQUEST 3, CONFIRM 4, RENEW 5, REBIND 6, RELEASE 8,
	 * DECLINE 9.  (Kea leaves DHCPv4-query alone too.) */
	return t == 1 || (t >= 3 && t <= 6) || t == 8 || t == 9;
}

int ha_query_scope4(unsigned n_active, uint8_t msg_type,
		    const uint8_t *client_id, size_t client_id_len,
		    const uint8_t *chaddr, uint8_t hlen)
{
	int h;

	if (!ha_msg4_is_ha_type(msg_type))
		return HA_SCOPE_UNBALANCED;
	if (n_active <= 1)
		return HA_SCOPE_PRIMARY;
	h = ha_lb_hash4(client_id, client_id_len, chaddr, hlen);
	if (h < 0)
		return h;
	return (int)ha_lb_scope((uint8_t)h, n_active);
}

int ha_query_scope6(unsigned n_active, uint8_t msg_type,
		    const uint8_t *duid, size_t duid_len)
{
	int h;

	if (!ha_msg6_is_ha_type(msg_type))
		return HA_SCOPE_UNBALANCED;
	if (n_active <= 1)
		return HA_SCOPE_PRIMARY;
	h = ha_lb_hash6(duid, duid_len);
	if (h < 0)
		return h;
	return (int)ha_lb_scope((uint8_t)h, n_active);
}
