/* RFC 3074 hash and Kea's query filter scopes (ha_hash.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "ha_hash.h"

/* The mixing table is a permutation: every one-byte key (seed 1, one
 * step: mix[1 ^ k]) lands on a different value. */
static void test_table_is_permutation(void)
{
	unsigned seen[256] = { 0 };

	for (unsigned k = 0; k < 256; k++) {
		uint8_t b = (uint8_t)k;

		seen[ha_lb_hash(&b, 1)]++;
	}
	for (unsigned v = 0; v < 256; v++)
		CU_ASSERT_EQUAL(seen[v], 1);
}

/* Values worked out by hand from RFC 3074's table and algorithm. */
static void test_hand_vectors(void)
{
	const uint8_t z1[1] = { 0x00 }, o1[1] = { 0x01 }, z2[2] = { 0, 0 };
	const uint8_t ab[2] = { 0x00, 0x01 }, ba[2] = { 0x01, 0x00 };

	/* Empty key: the seed (0) and no step. */
	CU_ASSERT_EQUAL(ha_lb_hash(NULL, 0), 0);
	/* seed 1: mix[1 ^ 0] = mix[1] = 175, mix[1 ^ 1] = mix[0] = 251 */
	CU_ASSERT_EQUAL(ha_lb_hash(z1, 1), 175);
	CU_ASSERT_EQUAL(ha_lb_hash(o1, 1), 251);
	/* seed 2: mix[2] = 119, then mix[119] = 150 */
	CU_ASSERT_EQUAL(ha_lb_hash(z2, 2), 150);
	/* The walk runs from the last byte: {00 01}: mix[2 ^ 1] = mix[3] =
	 * 215, mix[215 ^ 0] = 120; {01 00}: mix[2] = 119, mix[119 ^ 1] =
	 * mix[118] = 155.  A forward walk would swap the two. */
	CU_ASSERT_EQUAL(ha_lb_hash(ab, 2), 120);
	CU_ASSERT_EQUAL(ha_lb_hash(ba, 2), 155);
}

/* The length seeds the hash: the same bytes with one more trailing zero
 * differ; and the length is taken modulo 256. */
static void test_length_seed(void)
{
	uint8_t k[300];

	memset(k, 0, sizeof(k));
	CU_ASSERT_NOT_EQUAL(ha_lb_hash(k, 6), ha_lb_hash(k, 7));
	/* 256 and 0 share seed 0, but 256 steps differ from none: just
	 * check it runs over all bytes and is stable. */
	CU_ASSERT_EQUAL(ha_lb_hash(k, 256), ha_lb_hash(k, 256));
}

/* With two servers, sequential MACs split about half and half. */
static void test_split_is_even(void)
{
	unsigned n[2] = { 0, 0 };
	uint8_t mac[6] = { 0x02, 0x00, 0, 0, 0, 0 };

	for (unsigned i = 0; i < 65536; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		n[ha_lb_scope(ha_lb_hash(mac, 6), 2)]++;
	}
	CU_ASSERT(n[0] > 65536 * 45 / 100 && n[0] < 65536 * 55 / 100);
	CU_ASSERT_EQUAL(n[0] + n[1], 65536);
	CU_ASSERT_EQUAL(ha_lb_scope(201, 1), 0);
	CU_ASSERT_EQUAL(ha_lb_scope(201, 0), 0);
	CU_ASSERT_EQUAL(ha_lb_scope(201, 2), 1);
	CU_ASSERT_EQUAL(ha_lb_scope(200, 2), 0);
}

static void test_v4_key(void)
{
	uint8_t chaddr[16], pad[20];
	const uint8_t cid[7] = { 1, 2, 0, 0xc6, 0x12, 0x01, 0x21 };

	for (unsigned i = 0; i < 16; i++)
		chaddr[i] = (uint8_t)(0xa0 + i);
	/* Client identifier first, whatever chaddr says. */
	CU_ASSERT_EQUAL(ha_lb_hash4(cid, 7, chaddr, 6), ha_lb_hash(cid, 7));
	CU_ASSERT_EQUAL(ha_lb_hash4(cid, 7, NULL, 0), ha_lb_hash(cid, 7));
	/* Empty or absent client-id: chaddr's hlen bytes, no htype. */
	CU_ASSERT_EQUAL(ha_lb_hash4(cid, 0, chaddr, 6), ha_lb_hash(chaddr, 6));
	CU_ASSERT_EQUAL(ha_lb_hash4(NULL, 0, chaddr, 6), ha_lb_hash(chaddr, 6));
	CU_ASSERT_EQUAL(ha_lb_hash4(NULL, 0, chaddr, 16), ha_lb_hash(chaddr, 16));
	/* hlen 17..20: the 16 bytes and zeros (Kea resizes its vector). */
	memset(pad, 0, sizeof(pad));
	memcpy(pad, chaddr, 16);
	CU_ASSERT_EQUAL(ha_lb_hash4(NULL, 0, chaddr, 18), ha_lb_hash(pad, 18));
	/* No key at all, or an hlen Kea refuses. */
	CU_ASSERT_EQUAL(ha_lb_hash4(NULL, 0, chaddr, 0), -EINVAL);
	CU_ASSERT_EQUAL(ha_lb_hash4(NULL, 0, chaddr, 21), -EINVAL);
	CU_ASSERT_EQUAL(ha_lb_hash6(NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(ha_lb_hash6(cid, 7), ha_lb_hash(cid, 7));
}

static void test_msg_types(void)
{
	unsigned n4 = 0, n6 = 0;

	for (unsigned t = 0; t < 256; t++) {
		n4 += ha_msg4_is_ha_type((uint8_t)t);
		n6 += ha_msg6_is_ha_type((uint8_t)t);
	}
	CU_ASSERT_EQUAL(n4, 5);
	CU_ASSERT(ha_msg4_is_ha_type(1) && ha_msg4_is_ha_type(3) && ha_msg4_is_ha_type(4) &&
		  ha_msg4_is_ha_type(7) && ha_msg4_is_ha_type(8));
	CU_ASSERT_EQUAL(n6, 7);
	CU_ASSERT(ha_msg6_is_ha_type(1) && ha_msg6_is_ha_type(3) && ha_msg6_is_ha_type(4) &&
		  ha_msg6_is_ha_type(5) && ha_msg6_is_ha_type(6) && ha_msg6_is_ha_type(8) &&
		  ha_msg6_is_ha_type(9));
	CU_ASSERT_FALSE(ha_msg6_is_ha_type(11));	/* INFORMATION-REQUEST */
}

static void test_query_scope(void)
{
	uint8_t chaddr[16] = { 0x02, 0x00, 0xc6, 0x12, 0x01, 0x21 };
	int s;

	/* A type HA does not balance: always answered, primary's class. */
	s = ha_query_scope4(2, 2, NULL, 0, chaddr, 6);
	CU_ASSERT_EQUAL(s, (int)HA_SCOPE_UNBALANCED);
	CU_ASSERT(ha_scope_served(s, 0));
	CU_ASSERT_EQUAL(ha_scope_class(s), 0);
	CU_ASSERT_EQUAL(ha_query_scope6(2, 11, NULL, 0), (int)HA_SCOPE_UNBALANCED);
	/* Hot-standby: the primary's scope, key or no key. */
	CU_ASSERT_EQUAL(ha_query_scope4(1, 1, NULL, 0, chaddr, 0), (int)HA_SCOPE_PRIMARY);
	CU_ASSERT_EQUAL(ha_query_scope6(1, 1, NULL, 0), (int)HA_SCOPE_PRIMARY);
	/* Load-balancing without a key: dropped. */
	s = ha_query_scope4(2, 1, NULL, 0, chaddr, 0);
	CU_ASSERT_EQUAL(s, -EINVAL);
	CU_ASSERT_FALSE(ha_scope_served(s, 3));
	CU_ASSERT_EQUAL(ha_scope_class(s), -1);
	CU_ASSERT_EQUAL(ha_query_scope6(2, 1, NULL, 0), -EINVAL);
	/* Load-balancing: the hash decides. */
	s = ha_query_scope4(2, 1, NULL, 0, chaddr, 6);
	CU_ASSERT_EQUAL(s, ha_lb_hash(chaddr, 6) % 2);
	CU_ASSERT(ha_scope_served(s, 1u << s));
	CU_ASSERT_FALSE(ha_scope_served(s, 1u << (1 - s)));
	CU_ASSERT(ha_scope_served(s, 3));
	CU_ASSERT_FALSE(ha_scope_served(s, 0));
}

/* Golden vectors from Kea 2.2 itself.  Two kea-dhcp4 2.2.0 servers with
 * libdhcp_ha.so in load-balancing (server1 primary, server2 secondary,
 * both in the load-balancing state), each in a network namespace on one
 * bridge; a client namespace sent one DISCOVER per client below (chaddr
 * with hlen 6, and option 61 when a client-id is given) and recorded which
 * server's OFFER came back (1 = primary, 2 = secondary); every client got
 * exactly one OFFER.  Fifty random locally administered MACs without
 * option 61, then eleven with client identifiers of 2 to 33 bytes (a
 * twelfth, with a 1-byte client-id, got no OFFER at all: Kea drops a
 * client-id shorter than 2 bytes as malformed before HA sees it). */
struct kea_vector {
	const char *mac;	/* 12 hex digits */
	const char *cid;	/* option 61 data in hex, NULL when absent */
	int server;		/* 1 primary, 2 secondary */
};

static const struct kea_vector kea_vectors[] = {
	{ "0200976a279b", NULL, 1 },
	{ "02000dcc220a", NULL, 2 },
	{ "020019cc438b", NULL, 1 },
	{ "02002a04d569", NULL, 1 },
	{ "0200bf3ba15e", NULL, 1 },
	{ "02006c600353", NULL, 2 },
	{ "020012fc134d", NULL, 1 },
	{ "0200b1ca7701", NULL, 1 },
	{ "0200fb83bdad", NULL, 2 },
	{ "0200a3975644", NULL, 2 },
	{ "02004d0f3f70", NULL, 1 },
	{ "02008cf026eb", NULL, 2 },
	{ "0200f982670c", NULL, 2 },
	{ "0200ab7e148c", NULL, 2 },
	{ "0200c7e3be5c", NULL, 2 },
	{ "02000ba9b0dc", NULL, 1 },
	{ "02004e453fd4", NULL, 2 },
	{ "02008aff0fd1", NULL, 1 },
	{ "0200bc7d630c", NULL, 1 },
	{ "0200c571283b", NULL, 1 },
	{ "020034915848", NULL, 2 },
	{ "0200712cd7ba", NULL, 2 },
	{ "0200c0e5eae5", NULL, 1 },
	{ "02001a8aea5b", NULL, 1 },
	{ "020045e0a2f8", NULL, 1 },
	{ "0200abb1fc2e", NULL, 1 },
	{ "02005533000b", NULL, 1 },
	{ "02003fb147a4", NULL, 2 },
	{ "02007bc1cc52", NULL, 1 },
	{ "02004eccef36", NULL, 2 },
	{ "02005f18efaf", NULL, 2 },
	{ "020035a47cfb", NULL, 1 },
	{ "0200f41e80b4", NULL, 2 },
	{ "0200aadb1486", NULL, 2 },
	{ "02008fc73792", NULL, 2 },
	{ "020012713c0e", NULL, 1 },
	{ "020080ae6450", NULL, 2 },
	{ "02009866599c", NULL, 2 },
	{ "0200baadf943", NULL, 2 },
	{ "0200993488d0", NULL, 1 },
	{ "0200beabd924", NULL, 2 },
	{ "02006863baeb", NULL, 2 },
	{ "0200dbd7bf2f", NULL, 1 },
	{ "0200076706a8", NULL, 1 },
	{ "0200e2ab0c74", NULL, 1 },
	{ "0200d4e09c04", NULL, 1 },
	{ "020034d0fbcb", NULL, 2 },
	{ "0200ef823505", NULL, 2 },
	{ "02008e33a698", NULL, 1 },
	{ "0200f90795d3", NULL, 2 },
	{ "0201be7d5919", "012e2b5200b846", 2 },
	{ "0201d918409b", "98421130c711d2c599a9047ded3987cccb8e7e624e0118ea31c6954dbabc211059", 1 },
	{ "02013a65c291", "9a51", 1 },
	{ "0201949c0040", "9fe4", 2 },
	{ "020172d264e3", "9964", 2 },
	{ "0201013e580a", "dfd5f50b84c5588a77", 1 },
	{ "0201f6969a52", "56724ff9ac209e0ca2", 2 },
	{ "0201aeb8e20d", "f637f47334a726", 1 },
	{ "0201bf359b5d", "fefb0eb230bf06b009053742322fc0095af0758f", 1 },
	{ "020188bf2f34", "25df223ab4dc5439ce", 2 },
	{ "0201fe62134e", "e0d129a3292555baaa", 2 },
};

/* The same for DHCPv6: kea-dhcp6 2.2.0 pair in load-balancing, one SOLICIT
 * per DUID (DUID-LL, DUID-LLT and DUID-EN of several lengths), recorded
 * which server's ADVERTISE came back (by its server identifier). */
struct kea_vector6 {
	const char *duid;	/* option 1 data in hex */
	int server;
};

static const struct kea_vector6 kea_vectors6[] = {
	{ "000300010203cd0c00ee", 2 },
	{ "0001000126072ab702045f923298", 2 },
	{ "0002000efc7642554b6fc88883e0", 2 },
	{ "000300010203c15a1713", 1 },
	{ "0001000105421ace0204a833efbf", 2 },
	{ "0002000f16a1d6e890ff", 2 },
	{ "000300010203a26208d1", 1 },
	{ "00010001116f478c020401ee5437", 2 },
	{ "0002000e3edc4bd93f41", 1 },
	{ "000300010203f9e655f8", 1 },
	{ "00010001311411a50204b3b44833", 1 },
	{ "000200089e2f876f9c5307e7b477", 1 },
	{ "000300010203f7f9e3f2", 2 },
	{ "0001000120e57e4702045fdbd4f8", 1 },
	{ "00020009027c2cec4ccf", 1 },
	{ "0003000102030300173e", 2 },
	{ "0001000123a381720204c102350f", 1 },
	{ "000200093be6fdac7d86", 2 },
	{ "0003000102030cf6d1c4", 2 },
	{ "000100011c227d4e0204a707bba9", 2 },
};

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2;

	if (n > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

static void test_kea_vectors(void)
{
	unsigned n = sizeof(kea_vectors) / sizeof(kea_vectors[0]), per[2] = { 0, 0 };

	CU_ASSERT(n >= 50);
	for (unsigned i = 0; i < n; i++) {
		uint8_t chaddr[16] = { 0 }, cid[64];
		int clen = 0, s;

		CU_ASSERT_EQUAL_FATAL(unhex(kea_vectors[i].mac, chaddr, 16), 6);
		if (kea_vectors[i].cid != NULL) {
			clen = unhex(kea_vectors[i].cid, cid, sizeof(cid));
			CU_ASSERT_FATAL(clen > 0);
		}
		s = ha_query_scope4(2, 1, clen ? cid : NULL, (size_t)clen, chaddr, 6);
		if (s != kea_vectors[i].server - 1)
			printf("\n  mismatch: %s %s: kea server%d, ours scope %d\n",
			       kea_vectors[i].mac, kea_vectors[i].cid ? kea_vectors[i].cid : "-",
			       kea_vectors[i].server, s);
		CU_ASSERT_EQUAL(s, kea_vectors[i].server - 1);
		if (s == 0 || s == 1)
			per[s]++;
	}
	/* Both servers answered some: the vectors test both outcomes. */
	CU_ASSERT(per[0] > 0 && per[1] > 0);
}

static void test_kea_vectors6(void)
{
	unsigned n = sizeof(kea_vectors6) / sizeof(kea_vectors6[0]), per[2] = { 0, 0 };

	CU_ASSERT(n >= 20);
	for (unsigned i = 0; i < n; i++) {
		uint8_t duid[64];
		int len = unhex(kea_vectors6[i].duid, duid, sizeof(duid)), s;

		CU_ASSERT_FATAL(len > 0);
		s = ha_query_scope6(2, 1, duid, (size_t)len);	/* SOLICIT */
		CU_ASSERT_EQUAL(s, kea_vectors6[i].server - 1);
		if (s == 0 || s == 1)
			per[s]++;
	}
	CU_ASSERT(per[0] > 0 && per[1] > 0);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ha_hash", NULL, NULL);
	CU_add_test(s, "mixing table is a permutation", test_table_is_permutation);
	CU_add_test(s, "hand-computed vectors", test_hand_vectors);
	CU_add_test(s, "length seeds the hash", test_length_seed);
	CU_add_test(s, "even split over two servers", test_split_is_even);
	CU_add_test(s, "DHCPv4 and DHCPv6 keys", test_v4_key);
	CU_add_test(s, "message types HA balances", test_msg_types);
	CU_add_test(s, "query scope", test_query_scope);
	CU_add_test(s, "Kea 2.2 golden vectors", test_kea_vectors);
	CU_add_test(s, "Kea 2.2 golden vectors, DHCPv6", test_kea_vectors6);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
